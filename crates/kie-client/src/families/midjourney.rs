//! Midjourney: generate (images, video), upscale, vary, video extend (creates),
//! `record-info` (`successFlag` 0/1/2/3; `resultInfoJson.resultUrls[]` are `{resultUrl}`
//! objects) and the camelCase callback (`data.resultUrls` plain strings). Four images per grid.
//! Must never resend a create whose outcome is unknown, nor log a request body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{self, Callback};
use super::{
    Family, FamilyCreate, FamilyEndpoint, FamilyRecord, FamilyTaskState, ResultKind, ResultSet,
};

/// Task type of `generate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MjTaskType {
    /// Text to image.
    MjTxt2img,
    /// Image to image.
    MjImg2img,
    /// Style reference.
    MjStyleReference,
    /// Omni reference.
    MjOmniReference,
    /// Image to video.
    MjVideo,
    /// Image to HD video.
    MjVideoHd,
}

impl MjTaskType {
    fn is_video(self) -> bool {
        matches!(self, MjTaskType::MjVideo | MjTaskType::MjVideoHd)
    }
}

/// Speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MjSpeed {
    /// Relaxed.
    Relaxed,
    /// Fast.
    Fast,
    /// Turbo.
    Turbo,
}

/// Video motion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MjMotion {
    /// High (default).
    High,
    /// Low.
    Low,
}

/// `POST /api/v1/mj/generate`. `aspectRatio` and `version` are strings from the documented
/// lists (`"16:9"`, `"7"`, `"niji6"`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MjGenerate {
    /// Task type.
    pub task_type: MjTaskType,
    /// Speed (required except for video and omni reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<MjSpeed>,
    /// Prompt (at most 2000).
    pub prompt: String,
    /// Input images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_urls: Option<Vec<String>>,
    /// Aspect ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<String>,
    /// Version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// 0-100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variety: Option<u32>,
    /// 0-1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stylization: Option<u32>,
    /// 0-3000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness: Option<u32>,
    /// Omni weight 1-1000 (omni reference only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ow: Option<u32>,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_mark: Option<String>,
    /// Translate the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_translation: Option<bool>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
    /// 1, 2 or 4 videos (video only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_batch_size: Option<u8>,
    /// Motion (video only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion: Option<MjMotion>,
}

const MJ_RATIOS: &[&str] = &[
    "1:2", "9:16", "2:3", "3:4", "5:6", "6:5", "4:3", "3:2", "1:1", "16:9", "2:1",
];
const MJ_VERSIONS: &[&str] = &["7", "6.1", "6", "5.2", "5.1", "niji6"];

impl FamilyCreate for MjGenerate {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::MjGenerate;

    fn validate(&self) -> Result<(), String> {
        let t = self.task_type;
        if self.prompt.trim().is_empty() || self.prompt.chars().count() > 2000 {
            return Err("prompt must be 1-2000 characters".into());
        }
        if self.speed.is_none() && !(t.is_video() || t == MjTaskType::MjOmniReference) {
            return Err("speed is required for this taskType".into());
        }
        let images = self.file_urls.as_ref().map_or(0, Vec::len);
        match t {
            MjTaskType::MjTxt2img if images > 0 => return Err("mj_txt2img takes no images".into()),
            MjTaskType::MjTxt2img => {}
            _ if t.is_video() && images != 1 => return Err("video takes exactly one image".into()),
            _ if images == 0 => return Err("this taskType needs fileUrls".into()),
            _ => {}
        }
        if self
            .aspect_ratio
            .as_deref()
            .is_some_and(|r| !MJ_RATIOS.contains(&r))
        {
            return Err("unknown aspectRatio".into());
        }
        if self
            .version
            .as_deref()
            .is_some_and(|v| !MJ_VERSIONS.contains(&v))
        {
            return Err("unknown version".into());
        }
        if self.variety.is_some_and(|v| v > 100)
            || self.stylization.is_some_and(|v| v > 1000)
            || self.weirdness.is_some_and(|v| v > 3000)
        {
            return Err("variety/stylization/weirdness out of range".into());
        }
        if let Some(ow) = self.ow
            && (t != MjTaskType::MjOmniReference || !(1..=1000).contains(&ow))
        {
            return Err("ow is 1-1000 and only for mj_omni_reference".into());
        }
        if self.video_batch_size.is_some() && !t.is_video()
            || self
                .video_batch_size
                .is_some_and(|n| ![1, 2, 4].contains(&n))
        {
            return Err("videoBatchSize is 1, 2 or 4 and only for video".into());
        }
        Ok(())
    }
}

macro_rules! pick {
    ($name:ident, $endpoint:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// The grid task.
            pub task_id: String,
            /// Which image, 0-3.
            pub image_index: u8,
            /// Watermark text.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub water_mark: Option<String>,
            /// Callback URL.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub call_back_url: Option<String>,
        }

        impl FamilyCreate for $name {
            const ENDPOINT: FamilyEndpoint = FamilyEndpoint::$endpoint;

            fn validate(&self) -> Result<(), String> {
                if self.task_id.is_empty() || self.image_index > 3 {
                    return Err("taskId and imageIndex 0-3 are required".into());
                }
                Ok(())
            }
        }
    };
}

pick!(
    MjUpscale,
    MjUpscale,
    "`POST /api/v1/mj/generateUpscale`: upscale one image of a grid."
);
pick!(
    MjVary,
    MjVary,
    "`POST /api/v1/mj/generateVary`: variations of one image of a grid."
);

/// Video extension kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MjExtendType {
    /// With a prompt.
    MjVideoExtendManual,
    /// Automatic.
    MjVideoExtendAuto,
}

/// `POST /api/v1/mj/generateVideoExtend`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MjVideoExtend {
    /// The video task.
    pub task_id: String,
    /// Kind.
    pub task_type: MjExtendType,
    /// Which video.
    pub index: u32,
    /// Prompt (manual only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_mark: Option<String>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for MjVideoExtend {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::MjVideoExtend;

    fn validate(&self) -> Result<(), String> {
        if self.task_id.is_empty() {
            return Err("taskId is required".into());
        }
        if self.task_type == MjExtendType::MjVideoExtendManual
            && self.prompt.as_deref().is_none_or(|p| p.trim().is_empty())
        {
            return Err("manual extension needs a prompt".into());
        }
        Ok(())
    }
}

fn kind_for(task_type: Option<&str>, url: &url::Url) -> ResultKind {
    let video = match task_type {
        Some(t) => t.contains("video"),
        None => url.path().ends_with(".mp4"),
    };
    if video {
        ResultKind::Video
    } else {
        ResultKind::Image
    }
}

fn results(urls: Vec<url::Url>, task_type: Option<&str>) -> ResultSet {
    ResultSet {
        files: urls
            .into_iter()
            .map(|u| super::ResultFile::new(kind_for(task_type, &u), u))
            .collect(),
        ..ResultSet::default()
    }
}

pub(crate) fn status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = parse::flag_0123(data)?;
    let info = parse::json_object(parse::field(data, &["resultInfoJson", "resultInfo"]))
        .map_err(|e| format!("resultInfoJson: {e}"))?
        .unwrap_or(Value::Null);
    let urls = parse::urls(info.get("resultUrls").or_else(|| info.get("result_urls")))?;
    let task_type = parse::text_of(data, &["taskType"]);
    parse::record(
        Family::Midjourney,
        parse::task_id(data)?,
        state,
        results(urls, task_type.as_deref()),
        parse::param(data, &["paramJson"])?,
        None,
    )
}

pub(crate) fn callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let state = if cb.code == 200 {
        FamilyTaskState::Succeeded
    } else {
        cb.failed()
    };
    let urls = parse::urls_of(cb.data, &["resultUrls", "result_urls"])?;
    parse::record(
        Family::Midjourney,
        cb.task_id()?,
        state,
        results(urls, None),
        parse::param(cb.data, &["promptJson", "paramJson"])?,
        None,
    )
}

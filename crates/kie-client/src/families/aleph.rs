//! Runway Aleph (video-to-video): generate, `record-info` (`successFlag` 1 success, 0 *pending
//! or failed* — a failure is 0 with a non-zero `errorCode` or a message) and the callback, whose
//! three documented shapes differ (top-level `taskId` or `data.task_id`; `result_video_url` or
//! `video_url`). Must never resend a create whose outcome is unknown, nor log a request body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{self, Callback};
use super::{
    Family, FamilyCreate, FamilyEndpoint, FamilyRecord, FamilyTaskState, ResultFile, ResultKind,
    ResultSet,
};

/// Aspect ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlephAspectRatio {
    /// 16:9.
    #[serde(rename = "16:9")]
    R16x9,
    /// 9:16.
    #[serde(rename = "9:16")]
    R9x16,
    /// 4:3.
    #[serde(rename = "4:3")]
    R4x3,
    /// 3:4.
    #[serde(rename = "3:4")]
    R3x4,
    /// 1:1.
    #[serde(rename = "1:1")]
    R1x1,
    /// 21:9.
    #[serde(rename = "21:9")]
    R21x9,
}

/// `POST /api/v1/aleph/generate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlephGenerate {
    /// What to change.
    pub prompt: String,
    /// The source video.
    pub video_url: String,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_mark: Option<String>,
    /// Use the China upload path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_cn: Option<bool>,
    /// Aspect ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<AlephAspectRatio>,
    /// Seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Style reference image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_image: Option<String>,
}

impl FamilyCreate for AlephGenerate {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::AlephGenerate;

    fn validate(&self) -> Result<(), String> {
        if self.prompt.trim().is_empty() || self.video_url.trim().is_empty() {
            return Err("prompt and videoUrl are required".into());
        }
        Ok(())
    }
}

fn video(obj: &Map<String, Value>) -> Result<ResultSet, String> {
    let mut set = ResultSet::default();
    let thumb = parse::url_of(obj, &["resultImageUrl", "result_image_url", "image_url"])?;
    if let Some(url) = parse::url_of(obj, &["resultVideoUrl", "result_video_url", "video_url"])? {
        let mut f = ResultFile::new(ResultKind::Video, url);
        f.id = parse::text_of(obj, &["video_id", "videoId"]);
        f.cover_url.clone_from(&thumb);
        set.files.push(f);
        if let Some(t) = thumb {
            set.files.push(ResultFile::new(ResultKind::Thumbnail, t));
        }
    }
    Ok(set)
}

pub(crate) fn status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let flag = parse::field(data, &["successFlag"]).ok_or("no successFlag")?;
    let state = match parse::int(flag) {
        Some(1) => FamilyTaskState::Succeeded,
        Some(0) => {
            let code = parse::field(data, &["errorCode"]).and_then(parse::code);
            let message = parse::text_of(data, &["errorMessage", "errorMsg"]);
            if code.is_some_and(|c| c != 0 && c != 200) || message.is_some() {
                FamilyTaskState::Failed { code, message }
            } else {
                FamilyTaskState::Running { progress: None }
            }
        }
        _ => return Err(format!("unknown successFlag {flag}")),
    };
    let empty = Map::new();
    parse::record(
        Family::Aleph,
        parse::task_id(data)?,
        state,
        video(parse::obj(data.get("response"), &empty))?,
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
    parse::record(
        Family::Aleph,
        cb.task_id()?,
        state,
        video(cb.data)?,
        None,
        None,
    )
}

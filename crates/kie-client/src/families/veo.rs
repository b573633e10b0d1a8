//! Veo 3.1: generate, extend, 4K (creates), 1080p (a query, [`crate::KieClient::veo_1080p`]),
//! `record-info` (`successFlag` 0 generating, 1 success, 2 failed, 3 generation failed) and the
//! callbacks (camelCase; the 4K one also in a snake_case variant). Must never resend a create
//! whose outcome is unknown, nor log a request body (its `callBackUrl` holds our token).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{self, Callback};
use super::{
    Family, FamilyCreate, FamilyEndpoint, FamilyRecord, FamilyTaskState, ResultFile, ResultKind,
    ResultSet,
};

/// Veo model (generate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VeoModel {
    /// Quality.
    #[serde(rename = "veo3")]
    Veo3,
    /// Fast (Kie's default).
    #[serde(rename = "veo3_fast")]
    Veo3Fast,
    /// Lite.
    #[serde(rename = "veo3_lite")]
    Veo3Lite,
}

/// How a video is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VeoGenerationType {
    /// From the prompt only.
    #[serde(rename = "TEXT_2_VIDEO")]
    Text2Video,
    /// Animate one image, or go from a first to a last frame (1-2 images).
    #[serde(rename = "FIRST_AND_LAST_FRAMES_2_VIDEO")]
    FirstAndLastFrames2Video,
    /// From 1-3 reference images (veo3_fast, veo3_lite; 8 s only).
    #[serde(rename = "REFERENCE_2_VIDEO")]
    Reference2Video,
}

/// Aspect ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VeoAspectRatio {
    /// 16:9.
    #[serde(rename = "16:9")]
    Landscape,
    /// 9:16.
    #[serde(rename = "9:16")]
    Portrait,
    /// Auto.
    Auto,
}

/// Output resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VeoResolution {
    /// 720p.
    #[serde(rename = "720p")]
    P720,
    /// 1080p.
    #[serde(rename = "1080p")]
    P1080,
    /// 4k.
    #[serde(rename = "4k")]
    K4,
}

/// `POST /api/v1/veo/generate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VeoGenerate {
    /// The prompt (required).
    pub prompt: String,
    /// Up to 3 image URLs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_urls: Option<Vec<String>>,
    /// Model (default veo3_fast).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<VeoModel>,
    /// Mode (inferred from the images when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_type: Option<VeoGenerationType>,
    /// Aspect ratio (default 16:9). Kie also accepts `aspect_ratio`; we send `aspectRatio`.
    #[serde(skip_serializing_if = "Option::is_none", alias = "aspect_ratio")]
    pub aspect_ratio: Option<VeoAspectRatio>,
    /// Resolution (default 720p).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<VeoResolution>,
    /// 4, 6 or 8 seconds (default 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u8>,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
    /// Translate the prompt to English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_translation: Option<bool>,
    /// Deprecated fallback channel (16:9 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_fallback: Option<bool>,
    /// Seed, 10000..=99999.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeds: Option<u32>,
}

fn seeds_ok(seeds: Option<u32>) -> Result<(), String> {
    match seeds {
        Some(s) if !(10_000..=99_999).contains(&s) => Err("seeds must be 10000-99999".into()),
        _ => Ok(()),
    }
}

impl FamilyCreate for VeoGenerate {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::VeoGenerate;

    fn validate(&self) -> Result<(), String> {
        if self.prompt.trim().is_empty() {
            return Err("prompt is required".into());
        }
        let images = self.image_urls.as_ref().map_or(0, Vec::len);
        if images > 3 {
            return Err("at most 3 imageUrls".into());
        }
        if let Some(d) = self.duration
            && ![4, 6, 8].contains(&d)
        {
            return Err("duration must be 4, 6 or 8".into());
        }
        seeds_ok(self.seeds)?;
        match self.generation_type {
            Some(VeoGenerationType::Text2Video) if images > 0 => {
                return Err("TEXT_2_VIDEO takes no images".into());
            }
            Some(VeoGenerationType::FirstAndLastFrames2Video) if !(1..=2).contains(&images) => {
                return Err("FIRST_AND_LAST_FRAMES_2_VIDEO takes 1 or 2 images".into());
            }
            Some(VeoGenerationType::Reference2Video) => {
                if images == 0 {
                    return Err("REFERENCE_2_VIDEO needs 1-3 images".into());
                }
                if self.model == Some(VeoModel::Veo3) {
                    return Err("REFERENCE_2_VIDEO needs veo3_fast or veo3_lite".into());
                }
                if self.duration.is_some_and(|d| d != 8) {
                    return Err("REFERENCE_2_VIDEO supports only 8 s".into());
                }
            }
            _ => {}
        }
        if self.enable_fallback == Some(true)
            && self
                .aspect_ratio
                .is_some_and(|a| a != VeoAspectRatio::Landscape)
        {
            return Err("enableFallback requires 16:9".into());
        }
        Ok(())
    }
}

/// Extend model (note: not the generate model ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VeoExtendModel {
    /// Fast (default).
    Fast,
    /// Quality.
    Quality,
    /// Lite.
    Lite,
}

/// `POST /api/v1/veo/extend`: continue an earlier Veo task.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VeoExtend {
    /// The task to extend.
    pub task_id: String,
    /// What happens next.
    pub prompt: String,
    /// Seed, 10000..=99999.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeds: Option<u32>,
    /// Model (default fast).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<VeoExtendModel>,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for VeoExtend {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::VeoExtend;

    fn validate(&self) -> Result<(), String> {
        if self.task_id.is_empty() || self.prompt.trim().is_empty() {
            return Err("taskId and prompt are required".into());
        }
        seeds_ok(self.seeds)
    }
}

/// `POST /api/v1/veo/get-4k-video`: the 4K version of an earlier Veo task's video.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VeoGet4k {
    /// The finished task.
    pub task_id: String,
    /// Which of its videos (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for VeoGet4k {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::VeoGet4k;

    fn validate(&self) -> Result<(), String> {
        if self.task_id.is_empty() {
            return Err("taskId is required".into());
        }
        Ok(())
    }
}

/// Videos, originals and thumbnails of a `response`/`info` object (either casing).
fn results(info: &Map<String, Value>) -> Result<ResultSet, String> {
    let resolution = parse::text_of(info, &["resolution"]);
    let mut videos = parse::urls_of(info, &["resultUrls", "result_urls"])?;
    if videos.is_empty() {
        videos = parse::urls_of(info, &["fullResultUrls", "full_result_urls"])?;
    }
    let mut files: Vec<ResultFile> = parse::files(ResultKind::Video, videos);
    for f in &mut files {
        f.resolution.clone_from(&resolution);
    }
    files.extend(parse::files(
        ResultKind::Original,
        parse::urls_of(info, &["originUrls", "origin_urls"])?,
    ));
    files.extend(parse::files(
        ResultKind::Thumbnail,
        parse::urls_of(info, &["imageUrls", "image_urls"])?,
    ));
    Ok(ResultSet {
        files,
        ..ResultSet::default()
    })
}

pub(crate) fn status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = parse::flag_0123(data)?;
    let empty = Map::new();
    let results = results(parse::obj(data.get("response"), &empty))?;
    parse::record(
        Family::Veo,
        parse::task_id(data)?,
        state,
        results,
        parse::param(data, &["paramJson", "param"])?,
        None,
    )
}

pub(crate) fn callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let task_id = cb.task_id()?;
    let param = parse::param(cb.data, &["promptJson", "paramJson"])?;
    if cb.code != 200 {
        return parse::record(
            Family::Veo,
            task_id,
            cb.failed(),
            ResultSet::default(),
            param,
            None,
        );
    }
    // `data.info` on the callbacks page; the 4K endpoint's schema puts the lists in `data`.
    let info = cb
        .data
        .get("info")
        .and_then(Value::as_object)
        .unwrap_or(cb.data);
    parse::record(
        Family::Veo,
        task_id,
        FamilyTaskState::Succeeded,
        results(info)?,
        param,
        None,
    )
}

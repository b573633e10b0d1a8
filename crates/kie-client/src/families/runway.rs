//! Runway Gen-4: generate and extend (creates), `record-detail` (`state` wait / queueing /
//! generating / success / fail — not the Market spellings) and the snake_case callback
//! (`data.task_id`, `video_url`, `image_url`). One video plus a thumbnail per task. Must never
//! resend a create whose outcome is unknown, nor log a request body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{self, Callback};
use super::{
    Family, FamilyCreate, FamilyEndpoint, FamilyRecord, FamilyTaskState, ResultFile, ResultKind,
    ResultSet,
};

/// Quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunwayQuality {
    /// 720p.
    #[serde(rename = "720p")]
    P720,
    /// 1080p (5 s only).
    #[serde(rename = "1080p")]
    P1080,
}

/// Aspect ratio (text-to-video only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunwayAspectRatio {
    /// 16:9.
    #[serde(rename = "16:9")]
    R16x9,
    /// 4:3.
    #[serde(rename = "4:3")]
    R4x3,
    /// 1:1.
    #[serde(rename = "1:1")]
    R1x1,
    /// 3:4.
    #[serde(rename = "3:4")]
    R3x4,
    /// 9:16.
    #[serde(rename = "9:16")]
    R9x16,
}

/// `POST /api/v1/runway/generate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunwayGenerate {
    /// Prompt (at most 1800).
    pub prompt: String,
    /// Image to animate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// 5 or 10 seconds.
    pub duration: u8,
    /// Quality.
    pub quality: RunwayQuality,
    /// Aspect ratio (required without an image, ignored with one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<RunwayAspectRatio>,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_mark: Option<String>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for RunwayGenerate {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::RunwayGenerate;

    fn validate(&self) -> Result<(), String> {
        if self.prompt.trim().is_empty() || self.prompt.chars().count() > 1800 {
            return Err("prompt must be 1-1800 characters".into());
        }
        match (self.duration, self.quality) {
            (5, _) | (10, RunwayQuality::P720) => {}
            (10, RunwayQuality::P1080) => return Err("1080p only with 5-second videos".into()),
            _ => return Err("duration must be 5 or 10".into()),
        }
        if self.image_url.is_none() && self.aspect_ratio.is_none() {
            return Err("text-to-video needs aspectRatio".into());
        }
        Ok(())
    }
}

/// `POST /api/v1/runway/extend`: continue an earlier Runway task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunwayExtend {
    /// The task to extend.
    pub task_id: String,
    /// What happens next.
    pub prompt: String,
    /// Quality.
    pub quality: RunwayQuality,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_mark: Option<String>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for RunwayExtend {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::RunwayExtend;

    fn validate(&self) -> Result<(), String> {
        if self.task_id.is_empty() || self.prompt.trim().is_empty() {
            return Err("taskId and prompt are required".into());
        }
        Ok(())
    }
}

fn video(obj: &Map<String, Value>) -> Result<ResultSet, String> {
    let mut set = ResultSet::default();
    let thumb = parse::url_of(obj, &["imageUrl", "image_url"])?;
    if let Some(url) = parse::url_of(obj, &["videoUrl", "video_url"])? {
        let mut f = ResultFile::new(ResultKind::Video, url);
        f.id = parse::text_of(obj, &["videoId", "video_id"]);
        f.cover_url.clone_from(&thumb);
        set.files.push(f);
        if let Some(t) = thumb {
            set.files.push(ResultFile::new(ResultKind::Thumbnail, t));
        }
    }
    Ok(set)
}

pub(crate) fn status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = match data
        .get("state")
        .and_then(Value::as_str)
        .ok_or("no state")?
    {
        "wait" | "queueing" => FamilyTaskState::Queued,
        "generating" => FamilyTaskState::Running { progress: None },
        "success" => FamilyTaskState::Succeeded,
        "fail" => parse::failure(data, "fail"),
        other => return Err(format!("unknown state {other:?}")),
    };
    let empty = Map::new();
    parse::record(
        Family::Runway,
        parse::task_id(data)?,
        state,
        video(parse::obj(data.get("videoInfo"), &empty))?,
        parse::param(data, &["generateParam", "paramJson"])?,
        parse::text_of(data, &["parentTaskId"]),
    )
}

pub(crate) fn callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let state = if cb.code == 200 {
        FamilyTaskState::Succeeded
    } else {
        cb.failed()
    };
    parse::record(
        Family::Runway,
        cb.task_id()?,
        state,
        video(cb.data)?,
        None,
        None,
    )
}

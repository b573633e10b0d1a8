//! 4o Image (GPT image): generate, `record-info` (`status` GENERATING / SUCCESS /
//! CREATE_TASK_FAILED / GENERATE_FAILED with `successFlag` 0/1/2 and `progress` "0.00".."1.00";
//! `response.resultUrls`, also seen as `result_urls`) and the callback (`data.info.result_urls`).
//! A create answered 550 (queue full) created nothing. Must never resend a create whose outcome
//! is unknown, nor log a request body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{self, Callback};
use super::{
    Family, FamilyCreate, FamilyEndpoint, FamilyRecord, FamilyTaskState, ResultKind, ResultSet,
};

/// Image size (aspect ratio).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gpt4oSize {
    /// 1:1.
    #[serde(rename = "1:1")]
    Square,
    /// 3:2.
    #[serde(rename = "3:2")]
    Landscape,
    /// 2:3.
    #[serde(rename = "2:3")]
    Portrait,
}

/// Fallback model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Gpt4oFallback {
    /// GPT_IMAGE_1.
    #[serde(rename = "GPT_IMAGE_1")]
    GptImage1,
    /// FLUX_MAX (default).
    FluxMax,
}

/// `POST /api/v1/gpt4o-image/generate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gpt4oImageGenerate {
    /// Prompt (this or images required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Up to 5 input images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_url: Option<Vec<String>>,
    /// Size.
    pub size: Gpt4oSize,
    /// 1, 2 or 4 images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_variants: Option<u8>,
    /// Edit mask (ignored with more than one image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask_url: Option<String>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
    /// Enhance the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_enhance: Option<bool>,
    /// Use the China upload path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_cn: Option<bool>,
    /// Fall back to another model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_fallback: Option<bool>,
    /// Which (only with enableFallback).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_model: Option<Gpt4oFallback>,
}

impl FamilyCreate for Gpt4oImageGenerate {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::Gpt4oImageGenerate;

    fn validate(&self) -> Result<(), String> {
        let images = self.files_url.as_ref().map_or(0, Vec::len);
        if self.prompt.as_deref().is_none_or(|p| p.trim().is_empty()) && images == 0 {
            return Err("prompt or filesUrl is required".into());
        }
        if images > 5 {
            return Err("at most 5 filesUrl".into());
        }
        if self.n_variants.is_some_and(|n| ![1, 2, 4].contains(&n)) {
            return Err("nVariants must be 1, 2 or 4".into());
        }
        if self.fallback_model.is_some() && self.enable_fallback != Some(true) {
            return Err("fallbackModel needs enableFallback".into());
        }
        Ok(())
    }
}

fn images(obj: &Map<String, Value>) -> Result<ResultSet, String> {
    Ok(ResultSet {
        files: parse::files(
            ResultKind::Image,
            parse::urls_of(obj, &["resultUrls", "result_urls"])?,
        ),
        ..ResultSet::default()
    })
}

pub(crate) fn status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let progress = parse::field(data, &["progress"]).and_then(parse::decimal);
    let state = match data.get("status").and_then(Value::as_str) {
        Some("GENERATING") => FamilyTaskState::Running { progress },
        Some("SUCCESS") => FamilyTaskState::Succeeded,
        Some(w @ ("CREATE_TASK_FAILED" | "GENERATE_FAILED")) => parse::failure(data, w),
        Some(other) => return Err(format!("unknown status {other:?}")),
        None => match parse::field(data, &["successFlag"]).and_then(parse::int) {
            Some(0) => FamilyTaskState::Running { progress },
            Some(1) => FamilyTaskState::Succeeded,
            Some(2) => parse::failure(data, "failed"),
            _ => return Err("neither status nor a known successFlag".into()),
        },
    };
    let empty = Map::new();
    parse::record(
        Family::Gpt4oImage,
        parse::task_id(data)?,
        state,
        images(parse::obj(data.get("response"), &empty))?,
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
    let empty = Map::new();
    let info = parse::obj(cb.data.get("info"), &empty);
    parse::record(
        Family::Gpt4oImage,
        cb.task_id()?,
        state,
        images(info)?,
        None,
        None,
    )
}

//! Flux Kontext: generate (text-to-image, or editing with `inputImage`), `record-info`
//! (`successFlag` 0 generating, 1 success, 2 create failed, 3 generation failed;
//! `response.resultImageUrl`, `originImageUrl` valid only 10 min) and the camelCase callback
//! (`data.info`). Must never resend a create whose outcome is unknown, nor log a request body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{self, Callback};
use super::{
    Family, FamilyCreate, FamilyEndpoint, FamilyRecord, FamilyTaskState, ResultKind, ResultSet,
};

/// Model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FluxKontextModel {
    /// Pro (default).
    FluxKontextPro,
    /// Max.
    FluxKontextMax,
}

/// Aspect ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FluxAspectRatio {
    /// 21:9.
    #[serde(rename = "21:9")]
    R21x9,
    /// 16:9 (default).
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

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FluxOutputFormat {
    /// JPEG (default).
    Jpeg,
    /// PNG.
    Png,
}

/// `POST /api/v1/flux/kontext/generate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FluxKontextGenerate {
    /// Prompt.
    pub prompt: String,
    /// Translate the prompt to English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_translation: Option<bool>,
    /// Use the China upload path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_cn: Option<bool>,
    /// Image to edit (editing mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_image: Option<String>,
    /// Aspect ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<FluxAspectRatio>,
    /// Output format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_format: Option<FluxOutputFormat>,
    /// Let the model rewrite the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_upsampling: Option<bool>,
    /// Model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<FluxKontextModel>,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
    /// 0-6 for generation, 0-2 for editing (default 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safety_tolerance: Option<u8>,
    /// Watermark text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
}

impl FamilyCreate for FluxKontextGenerate {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::FluxKontextGenerate;

    fn validate(&self) -> Result<(), String> {
        if self.prompt.trim().is_empty() {
            return Err("prompt is required".into());
        }
        let max = if self.input_image.is_some() { 2 } else { 6 };
        if self.safety_tolerance.is_some_and(|t| t > max) {
            return Err(format!("safetyTolerance must be 0-{max}"));
        }
        Ok(())
    }
}

fn images(obj: &Map<String, Value>) -> Result<ResultSet, String> {
    let mut files = parse::files(
        ResultKind::Image,
        parse::url_of(obj, &["resultImageUrl", "result_image_url"])?
            .into_iter()
            .collect(),
    );
    files.extend(parse::files(
        ResultKind::Original,
        parse::url_of(obj, &["originImageUrl", "origin_image_url"])?
            .into_iter()
            .collect(),
    ));
    Ok(ResultSet {
        files,
        ..ResultSet::default()
    })
}

pub(crate) fn status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = parse::flag_0123(data)?;
    let empty = Map::new();
    parse::record(
        Family::FluxKontext,
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
        Family::FluxKontext,
        cb.task_id()?,
        state,
        images(info)?,
        None,
        None,
    )
}

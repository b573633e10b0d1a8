//! The result of a job as stored in `jobs.result`: what kind it is and where Kie put it. Kept
//! small and versionless on purpose: URLs and text only, never file bytes (they can be large;
//! they are downloaded at delivery time, right after Kie finishes).

use catalog::OutputKind;
use kie_client::{TaskOutput, TaskRecord};
use serde::{Deserialize, Serialize};
use url::Url;

/// What kind of result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// Picture(s).
    Image,
    /// Video.
    Video,
    /// Audio.
    Audio,
    /// Text (speech to text).
    Text,
}

impl From<OutputKind> for ResultKind {
    fn from(k: OutputKind) -> Self {
        match k {
            OutputKind::Image => ResultKind::Image,
            OutputKind::Video => ResultKind::Video,
            OutputKind::Audio => ResultKind::Audio,
            OutputKind::Text => ResultKind::Text,
        }
    }
}

/// `jobs.result`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredResult {
    pub kind: ResultKind,
    #[serde(default)]
    pub urls: Vec<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits_consumed: Option<String>,
}

impl StoredResult {
    pub fn from_record(kind: ResultKind, rec: &TaskRecord) -> Option<StoredResult> {
        let credits = rec.credits_consumed.map(|c| c.to_string());
        match rec.output.as_ref()? {
            TaskOutput::Urls(urls) => Some(StoredResult {
                kind,
                urls: urls.clone(),
                text: None,
                credits_consumed: credits,
            }),
            TaskOutput::Object(obj) => Some(StoredResult {
                kind: ResultKind::Text,
                urls: Vec::new(),
                text: Some(
                    obj.get("text")
                        .and_then(|t| t.as_str())
                        .map(str::to_string)
                        .unwrap_or_else(|| obj.to_string()),
                ),
                credits_consumed: credits,
            }),
        }
    }
}

//! [`Param`]: a typed view of one input-schema property, for the wizard and the audits.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;

use pricing::Text;

/// The kind of file an upload parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A picture.
    Image,
    /// A video clip.
    Video,
    /// A sound recording.
    Audio,
}

/// One parameter a user can set.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The key sent to Kie.
    pub name: String,
    /// What the UI calls it.
    pub label: Text,
    /// The user must give it (or the schema default does).
    pub required: bool,
    /// Its value changes the price.
    pub priced: bool,
    /// A short hint the UI shows next to it (e.g. a constraint between parameters).
    pub note: Option<Text>,
    /// Its type and limits.
    pub kind: ParamKind,
}

/// A parameter's type and limits, one variant per wizard widget.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamKind {
    /// One of a fixed set of values (buttons).
    Choice {
        /// The allowed values, as JSON (strings or numbers).
        values: Vec<Value>,
        /// The default, if any.
        default: Option<Value>,
        /// Human labels for values whose raw form means nothing to a user (voice ids).
        labels: BTreeMap<String, Text>,
    },
    /// On or off (a toggle).
    Toggle {
        /// The default; `None` leaves it to the model.
        default: Option<bool>,
    },
    /// A whole number in a range.
    Integer {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
        /// The default, if any.
        default: Option<i64>,
    },
    /// A decimal number in a range.
    Number {
        /// Smallest allowed.
        min: Decimal,
        /// Largest allowed.
        max: Decimal,
        /// The default, if any.
        default: Option<Decimal>,
    },
    /// Free text.
    Text {
        /// Fewest characters.
        min_len: u64,
        /// Most characters.
        max_len: u64,
        /// True for the model's main prompt.
        prompt: bool,
    },
    /// One file (or several, when `max_items > 1` or the value is an array).
    Upload {
        /// What kind of file.
        media: MediaKind,
        /// True when Kie takes an array of URLs.
        multiple: bool,
        /// Fewest files.
        min_items: u64,
        /// Most files.
        max_items: u64,
        /// Largest file, in bytes.
        max_bytes: u64,
        /// Accepted formats (file extensions).
        formats: Vec<String>,
        /// Longest accepted duration, for audio and video.
        max_seconds: Option<u64>,
        /// Largest accepted side, for images.
        max_side_px: Option<u64>,
    },
    /// Lines of a dialogue, each with a voice.
    Dialogue {
        /// Most lines.
        max_lines: u64,
        /// Most characters per line.
        max_line_len: u64,
        /// Allowed voices.
        voices: Vec<String>,
        /// Their human labels.
        voice_labels: BTreeMap<String, Text>,
    },
}

impl ParamKind {
    /// A short name of the widget kind, for audits ("choice", "upload:image", ...).
    pub fn describe(&self) -> String {
        match self {
            ParamKind::Choice { .. } => "choice".into(),
            ParamKind::Toggle { .. } => "toggle".into(),
            ParamKind::Integer { .. } => "integer".into(),
            ParamKind::Number { .. } => "number".into(),
            ParamKind::Text { prompt: true, .. } => "prompt".into(),
            ParamKind::Text { .. } => "text".into(),
            ParamKind::Upload { media, .. } => format!(
                "upload:{}",
                serde_json::to_value(media).unwrap().as_str().unwrap()
            ),
            ParamKind::Dialogue { .. } => "dialogue".into(),
        }
    }
}

/// Reads a JSON number as an exact decimal (through its text, never through f64 arithmetic).
pub(crate) fn decimal_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => {
            let t = n.to_string();
            t.parse().ok().or_else(|| Decimal::from_scientific(&t).ok())
        }
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn text_of(v: Option<&Value>) -> Option<Text> {
    serde_json::from_value(v?.clone()).ok()
}

fn labels_of(v: Option<&Value>) -> BTreeMap<String, Text> {
    v.and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// Builds the typed view of property `name`. `Err` names what is missing; the format schema
/// has already guaranteed the basic shape.
pub(crate) fn param_of(name: &str, s: &Value, required: bool) -> Result<Param, String> {
    let ui = s.get("x-ui").cloned().unwrap_or(Value::Null);
    let label = text_of(ui.get("label")).ok_or("x-ui.label missing")?;
    let u64_of = |v: Option<&Value>| v.and_then(Value::as_u64);
    let kind = if ui.get("role").and_then(Value::as_str) == Some("upload") {
        let media: MediaKind =
            serde_json::from_value(ui.get("media").cloned().unwrap_or(Value::Null))
                .map_err(|_| "x-ui.media must be image, video or audio")?;
        let multiple = s.get("type").and_then(Value::as_str) == Some("array");
        let item = if multiple {
            s.get("items").ok_or("items missing")?
        } else {
            s
        };
        if item.get("type").and_then(Value::as_str) != Some("string")
            || item.get("format").and_then(Value::as_str) != Some("uri")
        {
            return Err("an upload must be a string (or array of strings) with format uri".into());
        }
        ParamKind::Upload {
            media,
            multiple,
            min_items: if multiple {
                u64_of(s.get("minItems")).unwrap_or(0)
            } else {
                1
            },
            max_items: if multiple {
                u64_of(s.get("maxItems")).ok_or("maxItems missing")?
            } else {
                1
            },
            max_bytes: u64_of(ui.get("max_bytes")).ok_or("x-ui.max_bytes missing")?,
            formats: serde_json::from_value(ui.get("formats").cloned().unwrap_or(Value::Null))
                .map_err(|_| "x-ui.formats missing")?,
            max_seconds: u64_of(ui.get("max_seconds")),
            max_side_px: u64_of(ui.get("max_side_px")),
        }
    } else if let Some(values) = s.get("enum").and_then(Value::as_array) {
        ParamKind::Choice {
            values: values.clone(),
            default: s.get("default").cloned(),
            labels: labels_of(ui.get("labels")),
        }
    } else {
        match s.get("type").and_then(Value::as_str) {
            Some("boolean") => ParamKind::Toggle {
                default: s.get("default").and_then(Value::as_bool),
            },
            Some("integer") => ParamKind::Integer {
                min: s
                    .get("minimum")
                    .and_then(Value::as_i64)
                    .ok_or("minimum missing")?,
                max: s
                    .get("maximum")
                    .and_then(Value::as_i64)
                    .ok_or("maximum missing")?,
                default: s.get("default").and_then(Value::as_i64),
            },
            Some("number") => ParamKind::Number {
                min: s
                    .get("minimum")
                    .and_then(decimal_of)
                    .ok_or("minimum missing")?,
                max: s
                    .get("maximum")
                    .and_then(decimal_of)
                    .ok_or("maximum missing")?,
                default: s.get("default").and_then(decimal_of),
            },
            Some("string") => ParamKind::Text {
                min_len: u64_of(s.get("minLength")).unwrap_or(0),
                max_len: u64_of(s.get("maxLength")).ok_or("maxLength missing")?,
                prompt: ui.get("role").and_then(Value::as_str) == Some("prompt"),
            },
            Some("array") => {
                let items = s.get("items").ok_or("items missing")?;
                let props = items
                    .get("properties")
                    .ok_or("array items must be typed objects")?;
                let text = props.get("text").ok_or("dialogue items need `text`")?;
                let voice = props.get("voice").ok_or("dialogue items need `voice`")?;
                ParamKind::Dialogue {
                    max_lines: u64_of(s.get("maxItems")).ok_or("maxItems missing")?,
                    max_line_len: u64_of(text.get("maxLength")).ok_or("text.maxLength missing")?,
                    voices: voice
                        .get("enum")
                        .and_then(Value::as_array)
                        .ok_or("voice.enum missing")?
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    voice_labels: labels_of(ui.get("voice_labels")),
                }
            }
            other => return Err(format!("unsupported type {other:?}")),
        }
    };
    Ok(Param {
        name: name.to_string(),
        label,
        required,
        priced: ui.get("priced").and_then(Value::as_bool).unwrap_or(false),
        note: text_of(ui.get("note")),
        kind,
    })
}

//! Tolerant readers shared by the family parsers: fields under several spellings, URLs as
//! strings, `{resultUrl}` objects or JSON-encoded arrays, codes as numbers or numeric strings.
//! Must never guess a state: unknown status values are errors.

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use url::Url;

use super::{Family, FamilyRecord, FamilyTaskState, ResultFile, ResultKind, ResultSet};

/// A callback envelope, split.
pub(crate) struct Callback<'a> {
    /// The envelope `code`.
    pub code: u16,
    /// The envelope `msg`.
    pub msg: Option<String>,
    /// `data` (an empty map when null).
    pub data: &'a Map<String, Value>,
    /// The whole envelope (Aleph puts `taskId` at the top level).
    pub envelope: &'a Map<String, Value>,
}

impl Callback<'_> {
    /// The task id under any documented spelling and place.
    pub fn task_id(&self) -> Result<String, String> {
        task_id(self.data)
            .or_else(|_| task_id(self.envelope))
            .map_err(|_| "callback without a taskId".to_string())
    }

    /// A failure state from the envelope code and message.
    pub fn failed(&self) -> FamilyTaskState {
        FamilyTaskState::Failed {
            code: Some(self.code),
            message: self.msg.clone(),
        }
    }
}

/// The first present, non-null value among `keys`.
pub(crate) fn field<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| obj.get(*k).filter(|v| !v.is_null()))
}

/// A non-empty string (numbers are written out).
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A text field under any of `keys`.
pub(crate) fn text_of(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| obj.get(*k).and_then(text))
}

/// A code as a number or a numeric string.
pub(crate) fn code(v: &Value) -> Option<u16> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|c| u16::try_from(c).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An integer flag as a number or a numeric string.
pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A number (or numeric string).
pub(crate) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A decimal (or decimal string).
pub(crate) fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The task id: `taskId` or `task_id`.
pub(crate) fn task_id(obj: &Map<String, Value>) -> Result<String, String> {
    text_of(obj, &["taskId", "task_id"]).ok_or_else(|| "no taskId".to_string())
}

/// One URL: a string (empty = none) or an object with `resultUrl`/`url`.
pub(crate) fn url(v: &Value) -> Result<Option<Url>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Url::parse(s.trim())
            .map(Some)
            .map_err(|e| format!("bad URL {s:?}: {e}")),
        Value::Object(o) => match field(o, &["resultUrl", "result_url", "url"]) {
            Some(inner) => url(inner),
            None => Err(format!("no URL in {v}")),
        },
        other => Err(format!("not a URL: {other}")),
    }
}

/// A URL field under any of `keys`.
pub(crate) fn url_of(obj: &Map<String, Value>, keys: &[&str]) -> Result<Option<Url>, String> {
    match field(obj, keys) {
        Some(v) => url(v),
        None => Ok(None),
    }
}

/// A list of URLs: an array of strings or `{resultUrl}` objects, a JSON-encoded array in a
/// string (`"[\"https://..\"]"`), a bracketed list without quotes (`"[https://..]"`, as one
/// Veo schema shows), or a single URL string.
pub(crate) fn urls(v: Option<&Value>) -> Result<Vec<Url>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                if let Some(u) = url(item)? {
                    out.push(u);
                }
            }
            Ok(out)
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Vec::new());
            }
            if t.starts_with('[') {
                if let Ok(parsed) = serde_json::from_str::<Value>(t) {
                    return urls(Some(&parsed));
                }
                let inner = t.trim_start_matches('[').trim_end_matches(']');
                return inner
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        Url::parse(p.trim_matches('"')).map_err(|e| format!("bad URL {p:?}: {e}"))
                    })
                    .collect();
            }
            Ok(url(v)?.into_iter().collect())
        }
        other => Ok(url(other)?.into_iter().collect()),
    }
}

/// A URL-list field under any of `keys`.
pub(crate) fn urls_of(obj: &Map<String, Value>, keys: &[&str]) -> Result<Vec<Url>, String> {
    urls(field(obj, keys))
}

/// An object that may come as an object or as a JSON string (`paramJson`, `resultInfoJson`).
pub(crate) fn json_object(v: Option<&Value>) -> Result<Option<Value>, String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| format!("not JSON: {e}")),
        Some(Value::Object(o)) => Ok(Some(Value::Object(o.clone()))),
        _ => Ok(None),
    }
}

/// The stored create body under any of `keys`, decoded.
pub(crate) fn param(obj: &Map<String, Value>, keys: &[&str]) -> Result<Option<Value>, String> {
    json_object(field(obj, keys)).map_err(|e| format!("param: {e}"))
}

/// Files of `kind` from URLs.
pub(crate) fn files(kind: ResultKind, urls: Vec<Url>) -> Vec<ResultFile> {
    urls.into_iter()
        .map(|u| ResultFile::new(kind.clone(), u))
        .collect()
}

/// The failure fields (`errorCode`/`failCode`, `errorMessage`/`failMsg`/`errorMsg`), with
/// `fallback` as the message when Kie gives none.
pub(crate) fn failure(obj: &Map<String, Value>, fallback: &str) -> FamilyTaskState {
    FamilyTaskState::Failed {
        code: field(obj, &["errorCode", "failCode", "error_code"]).and_then(code),
        message: text_of(
            obj,
            &["errorMessage", "failMsg", "errorMsg", "error_message"],
        )
        .or_else(|| Some(fallback.to_string())),
    }
}

/// An integer `successFlag` in the common 0 generating / 1 success / 2, 3 failed encoding
/// (Veo, Flux Kontext, Midjourney, Suno MIDI). Anything else is an error.
pub(crate) fn flag_0123(obj: &Map<String, Value>) -> Result<FamilyTaskState, String> {
    let flag = field(obj, &["successFlag", "success_flag"]).ok_or("no successFlag")?;
    match int(flag) {
        Some(0) => Ok(FamilyTaskState::Running { progress: None }),
        Some(1) => Ok(FamilyTaskState::Succeeded),
        Some(2) => Ok(failure(obj, "create task failed")),
        Some(3) => Ok(failure(obj, "generation failed")),
        _ => Err(format!("unknown successFlag {flag}")),
    }
}

/// A record, after the state and results were read; a success needs at least one result.
pub(crate) fn record(
    family: Family,
    task_id: String,
    state: FamilyTaskState,
    results: ResultSet,
    param: Option<Value>,
    parent_task_id: Option<String>,
) -> Result<FamilyRecord, String> {
    if state == FamilyTaskState::Succeeded && results.is_empty() {
        return Err("success without results".into());
    }
    Ok(FamilyRecord {
        family,
        task_id,
        state,
        results,
        param,
        parent_task_id,
    })
}

/// An empty map, for absent objects.
pub(crate) fn obj<'a>(
    v: Option<&'a Value>,
    empty: &'a Map<String, Value>,
) -> &'a Map<String, Value> {
    v.and_then(Value::as_object).unwrap_or(empty)
}

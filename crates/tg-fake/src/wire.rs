//! Telegram's wire format as the fake speaks it: the parsed request ([`ApiRequest`]), tolerant
//! parameter readers, error answers ([`ApiFailure`]) and builders for Bot API objects (users,
//! chats, photo sizes).
//!
//! It must never depend on the fake's state: everything here is a pure function of its inputs.

use std::collections::HashMap;

use axum::body::Bytes;
use serde_json::{Map, Value, json};

use crate::types::{FakeError, UserSpec};

/// A parsed Bot API request: the parameters and the uploaded file parts by part name.
#[derive(Debug, Default)]
pub(crate) struct ApiRequest {
    pub params: Map<String, Value>,
    pub files: HashMap<String, UploadedPart>,
}

/// One file part of a multipart request.
#[derive(Clone, Debug)]
pub(crate) struct UploadedPart {
    pub file_name: Option<String>,
    pub mime: Option<String>,
    pub bytes: Bytes,
}

/// An error answer: `{"ok":false,"error_code":code,"description":...,"parameters"?}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiFailure {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
}

impl ApiFailure {
    pub fn bad_request(what: &str) -> Self {
        Self {
            code: 400,
            description: format!("Bad Request: {what}"),
            retry_after: None,
        }
    }

    pub fn forbidden_blocked() -> Self {
        Self {
            code: 403,
            description: "Forbidden: bot was blocked by the user".to_owned(),
            retry_after: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self {
            code: 401,
            description: "Unauthorized".to_owned(),
            retry_after: None,
        }
    }

    pub fn method_not_found() -> Self {
        Self {
            code: 404,
            description: "Not Found: method not found".to_owned(),
            retry_after: None,
        }
    }

    pub fn conflict(what: &str) -> Self {
        Self {
            code: 409,
            description: format!("Conflict: {what}"),
            retry_after: None,
        }
    }

    pub fn too_large() -> Self {
        Self {
            code: 413,
            description: "Request Entity Too Large".to_owned(),
            retry_after: None,
        }
    }

    pub fn body(&self) -> Value {
        let mut body =
            json!({"ok": false, "error_code": self.code, "description": self.description});
        if let Some(seconds) = self.retry_after {
            body["parameters"] = json!({"retry_after": seconds});
        }
        body
    }
}

impl From<&FakeError> for ApiFailure {
    fn from(error: &FakeError) -> Self {
        match error {
            FakeError::TooManyRequests { retry_after } => Self {
                code: 429,
                description: format!("Too Many Requests: retry after {retry_after}"),
                retry_after: Some(*retry_after),
            },
            FakeError::Forbidden => Self::forbidden_blocked(),
            FakeError::BadRequest(text) if text.starts_with("Bad Request:") => Self {
                code: 400,
                description: text.clone(),
                retry_after: None,
            },
            FakeError::BadRequest(text) => Self::bad_request(text),
            FakeError::Api { code, description } => Self {
                code: *code,
                description: description.clone(),
                retry_after: None,
            },
        }
    }
}

/// The result of a method: the `result` value or an error answer.
pub(crate) type ApiResult = Result<Value, ApiFailure>;

/// Multipart/urlencoded fields whose text is JSON (teloxide JSON-encodes structs and lists).
const JSON_FIELDS: &[&str] = &[
    "reply_markup",
    "media",
    "entities",
    "caption_entities",
    "prices",
    "link_preview_options",
    "reply_parameters",
    "suggested_tip_amounts",
    "commands",
    "scope",
    "menu_button",
    "allowed_updates",
    "results",
];

/// Multipart/urlencoded fields that are integers.
const INT_FIELDS: &[&str] = &[
    "chat_id",
    "message_id",
    "user_id",
    "width",
    "height",
    "duration",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "max_tip_amount",
    "reply_to_message_id",
    "message_thread_id",
    "start_timestamp",
    "max_connections",
];

/// Multipart/urlencoded fields that are booleans.
const BOOL_FIELDS: &[&str] = &[
    "ok",
    "show_alert",
    "disable_notification",
    "protect_content",
    "has_spoiler",
    "supports_streaming",
    "drop_pending_updates",
    "disable_content_type_detection",
    "show_caption_above_media",
    "allow_sending_without_reply",
    "disable_web_page_preview",
    "need_name",
    "need_phone_number",
    "need_email",
    "need_shipping_address",
    "is_flexible",
    "allow_paid_broadcast",
];

/// Turns a text field of a multipart or urlencoded body into the JSON value a JSON body would
/// have carried.
pub(crate) fn field_value(name: &str, text: String) -> Value {
    if JSON_FIELDS.contains(&name) {
        return serde_json::from_str(&text).unwrap_or(Value::String(text));
    }
    if INT_FIELDS.contains(&name)
        && let Ok(n) = text.trim().parse::<i64>()
    {
        return Value::from(n);
    }
    if BOOL_FIELDS.contains(&name) {
        match text.trim() {
            "true" | "True" | "1" => return Value::Bool(true),
            "false" | "False" | "0" => return Value::Bool(false),
            _ => {}
        }
    }
    Value::String(text)
}

/// An integer from a number or a numeric string.
pub(crate) fn value_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Tolerant readers over a parameter object.
pub(crate) trait Params {
    fn get_param(&self, name: &str) -> Option<&Value>;

    fn int(&self, name: &str) -> Option<i64> {
        self.get_param(name).and_then(value_i64)
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.get_param(name)?.as_str()
    }

    fn flag(&self, name: &str) -> bool {
        match self.get_param(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "True" || s == "1",
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A structured value, parsing it when it arrived as JSON text.
    fn structured(&self, name: &str) -> Option<Value> {
        match self.get_param(name)? {
            Value::Null => None,
            Value::String(s) => serde_json::from_str(s).ok(),
            other => Some(other.clone()),
        }
    }

    fn required_int(&self, name: &str) -> Result<i64, ApiFailure> {
        self.int(name)
            .ok_or_else(|| ApiFailure::bad_request(&format!("{name} is empty")))
    }
}

impl Params for Map<String, Value> {
    fn get_param(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl Params for Value {
    fn get_param(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// The Bot API `User` of a person.
pub(crate) fn user_json(user: &UserSpec) -> Value {
    let mut out = json!({"id": user.id, "is_bot": false, "first_name": user.first_name});
    if let Some(v) = &user.last_name {
        out["last_name"] = json!(v);
    }
    if let Some(v) = &user.username {
        out["username"] = json!(v);
    }
    if let Some(v) = &user.language_code {
        out["language_code"] = json!(v);
    }
    out
}

/// The Bot API `Chat` for a chat id: a private chat with a known user, a private chat with a
/// stranger (positive id), or a group (negative id).
pub(crate) fn chat_json(chat_id: i64, user: Option<&UserSpec>) -> Value {
    match user {
        Some(user) => {
            let mut out = json!({"id": chat_id, "type": "private", "first_name": user.first_name});
            if let Some(v) = &user.last_name {
                out["last_name"] = json!(v);
            }
            if let Some(v) = &user.username {
                out["username"] = json!(v);
            }
            out
        }
        None if chat_id > 0 => {
            json!({"id": chat_id, "type": "private", "first_name": format!("User{chat_id}")})
        }
        None => json!({"id": chat_id, "type": "group", "title": format!("Group {chat_id}")}),
    }
}

/// Current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A guess of a MIME type from a file name's extension.
pub(crate) fn mime_from_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "txt" => "text/plain",
        "json" => "application/json",
        _ => return None,
    })
}

/// Width and height read from a PNG, GIF or JPEG header, if the bytes are one.
pub(crate) fn image_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if bytes.len() >= 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(&bytes[16..20]), be32(&bytes[20..24])));
    }
    if bytes.len() >= 10 && (bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        let w = u32::from(u16::from_le_bytes([bytes[6], bytes[7]]));
        let h = u32::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        return Some((w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Walk the JPEG segments up to a start-of-frame marker.
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
            if is_sof {
                let h = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
                let w = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
                return Some((w, h));
            }
            i += 2 + len;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_fields_become_json_values() {
        assert_eq!(field_value("chat_id", "42".into()), json!(42));
        assert_eq!(field_value("chat_id", "@name".into()), json!("@name"));
        assert_eq!(field_value("text", "42".into()), json!("42"));
        assert_eq!(field_value("show_alert", "true".into()), json!(true));
        assert_eq!(
            field_value("reply_markup", r#"{"inline_keyboard":[]}"#.into()),
            json!({"inline_keyboard": []})
        );
    }

    #[test]
    fn reads_png_and_gif_dimensions() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(image_dimensions(&png), Some((640, 480)));
        let gif = b"GIF89a\x10\x00\x20\x00";
        assert_eq!(image_dimensions(gif), Some((16, 32)));
        assert_eq!(image_dimensions(b"hello"), None);
    }

    #[test]
    fn failures_have_telegram_bodies() {
        let f = ApiFailure::from(&FakeError::TooManyRequests { retry_after: 3 });
        assert_eq!(
            f.body(),
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3",
                   "parameters": {"retry_after": 3}})
        );
        let f = ApiFailure::from(&FakeError::BadRequest("chat not found".into()));
        assert_eq!(f.description, "Bad Request: chat not found");
    }
}

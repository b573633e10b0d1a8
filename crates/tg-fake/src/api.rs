//! The Bot API methods (all but `getUpdates`, whose long poll lives in `server.rs`, and the
//! webhook methods, in `webhook.rs`): each turns
//! a parsed request and the state into a `result` value or an error answer shaped like
//! Telegram's, changing the state as Telegram would.
//!
//! It must never block or await (it runs under the state lock), and never accept a request
//! Telegram refuses in a way a bot could rely on: identical edits, missing messages, oversize
//! texts, bad HTML, oversize callback data and downloads over 20 MB all fail here too.

use axum::body::Bytes;
use serde_json::{Map, Value, json};

use crate::{
    html,
    state::{MessageMeta, NewFile, State, buttons_of},
    types::{BotCommand, CallbackAnswer, InvoiceSummary, MessageKind, PreCheckoutAnswer},
    webhook,
    wire::{ApiFailure, ApiRequest, ApiResult, Params, mime_from_name, unix_now},
};

/// Longest message text, in characters after entity parsing.
const MAX_TEXT: usize = 4096;
/// Longest caption.
const MAX_CAPTION: usize = 1024;
/// Largest upload through the Bot API.
const MAX_UPLOAD: usize = 50 * 1024 * 1024;
/// Largest file `getFile` serves.
pub(crate) const MAX_DOWNLOAD: u64 = 20 * 1024 * 1024;

/// Runs one method. `method` is lowercased.
pub(crate) fn call(st: &mut State, method: &str, req: &ApiRequest) -> ApiResult {
    let p = &req.params;
    if let Some(chat_id) = target_chat(st, p)
        && st.blocked.contains(&chat_id)
    {
        return Err(ApiFailure::forbidden_blocked());
    }
    match method {
        "getme" => Ok(get_me(st)),
        "logout" | "close" => Ok(json!(true)),
        "deletewebhook" => webhook::delete_webhook(st, p),
        "setwebhook" => webhook::set_webhook(st, p),
        "getwebhookinfo" => Ok(webhook::webhook_info(st)),
        "setmycommands" => set_my_commands(st, p),
        "getmycommands" => Ok(get_my_commands(st, p)),
        "deletemycommands" => {
            st.commands.remove(&command_key(p));
            Ok(json!(true))
        }
        "setchatmenubutton" => {
            let chat = p.int("chat_id");
            let button = p
                .structured("menu_button")
                .unwrap_or(json!({"type": "default"}));
            st.menu_buttons.insert(chat, button);
            Ok(json!(true))
        }
        "getchatmenubutton" => {
            let chat = p.int("chat_id");
            Ok(st
                .menu_buttons
                .get(&chat)
                .or_else(|| st.menu_buttons.get(&None))
                .cloned()
                .unwrap_or(json!({"type": "commands"})))
        }
        "sendchataction" => {
            chat_id(st, p)?;
            if p.text("action").unwrap_or_default().is_empty() {
                return Err(ApiFailure::bad_request("wrong parameter action in request"));
            }
            Ok(json!(true))
        }
        "sendmessage" => send_message(st, p),
        "sendphoto" => send_media(st, req, MessageKind::Photo),
        "sendvideo" => send_media(st, req, MessageKind::Video),
        "sendaudio" => send_media(st, req, MessageKind::Audio),
        "sendvoice" => send_media(st, req, MessageKind::Voice),
        "senddocument" => send_media(st, req, MessageKind::Document),
        "sendanimation" => send_media(st, req, MessageKind::Animation),
        "sendmediagroup" => send_media_group(st, req),
        "editmessagetext" => edit_text(st, p),
        "editmessagecaption" => edit_caption(st, p),
        "editmessagereplymarkup" => edit_markup(st, p),
        "editmessagemedia" => edit_media(st, req),
        "deletemessage" => delete_message(st, p),
        "answercallbackquery" => answer_callback(st, p),
        "getfile" => get_file(st, p),
        "sendinvoice" => send_invoice(st, p),
        "answerprecheckoutquery" => answer_pre_checkout(st, p),
        "refundstarpayment" => refund(st, p),
        _ => Err(ApiFailure::method_not_found()),
    }
}

/// The chat a request targets, for blocking (`None` when it names none or an unknown name).
fn target_chat(st: &State, p: &Map<String, Value>) -> Option<i64> {
    p.get("chat_id")?;
    chat_id(st, p).ok()
}

/// `chat_id`: a number or `@username` of a known user.
fn chat_id(st: &State, p: &Map<String, Value>) -> Result<i64, ApiFailure> {
    if let Some(id) = p.int("chat_id") {
        return Ok(id);
    }
    let name = p.text("chat_id").unwrap_or_default();
    let name = name.strip_prefix('@').unwrap_or(name);
    st.users
        .values()
        .find(|u| !name.is_empty() && u.username.as_deref() == Some(name))
        .map(|u| u.id)
        .ok_or_else(|| ApiFailure::bad_request("chat not found"))
}

fn message_id(p: &Map<String, Value>) -> Result<i32, ApiFailure> {
    let id = p
        .int("message_id")
        .ok_or_else(|| ApiFailure::bad_request("message_id is empty"))?;
    i32::try_from(id).map_err(|_| ApiFailure::bad_request("MESSAGE_ID_INVALID"))
}

fn get_me(st: &State) -> Value {
    let mut me = st.bot.user_json();
    me["can_join_groups"] = json!(true);
    me["can_read_all_group_messages"] = json!(false);
    me["supports_inline_queries"] = json!(false);
    me["can_connect_to_business"] = json!(false);
    me["has_main_web_app"] = json!(false);
    me
}

// ---- commands ------------------------------------------------------------------------------

fn command_key(p: &Map<String, Value>) -> (String, String) {
    let scope = p
        .structured("scope")
        .map_or_else(|| "default".to_owned(), |s| s.to_string());
    let scope = if scope == r#"{"type":"default"}"# {
        "default".to_owned()
    } else {
        scope
    };
    (
        scope,
        p.text("language_code").unwrap_or_default().to_owned(),
    )
}

fn set_my_commands(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let list = p
        .structured("commands")
        .and_then(|c| c.as_array().cloned())
        .unwrap_or_default();
    let mut commands = Vec::new();
    for c in list {
        let command = c.text("command").unwrap_or_default();
        let description = c.text("description").unwrap_or_default();
        let valid_command = (1..=32).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_command {
            return Err(ApiFailure::bad_request("BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiFailure::bad_request("command description is empty"));
        }
        commands.push(BotCommand {
            command: command.to_owned(),
            description: description.to_owned(),
        });
    }
    st.commands.insert(command_key(p), commands);
    Ok(json!(true))
}

fn get_my_commands(st: &State, p: &Map<String, Value>) -> Value {
    let list = st
        .commands
        .get(&command_key(p))
        .cloned()
        .unwrap_or_default();
    list.into_iter()
        .map(|c| json!({"command": c.command, "description": c.description}))
        .collect()
}

// ---- text and markup -----------------------------------------------------------------------

/// The visible text and entities of a text or caption, as Telegram renders it.
fn render(
    text: &str,
    parse_mode: Option<&str>,
    entities: Option<Value>,
) -> Result<(String, Vec<Value>), ApiFailure> {
    if parse_mode.is_some_and(|m| m.eq_ignore_ascii_case("html")) {
        let formatted = html::parse(text)
            .map_err(|e| ApiFailure::bad_request(&format!("can't parse entities: {e}")))?;
        return Ok((formatted.text, formatted.entities));
    }
    let entities = entities
        .and_then(|e| e.as_array().cloned())
        .unwrap_or_default();
    Ok((text.to_owned(), entities))
}

/// Writes `text`/`entities` (or `caption`/`caption_entities`) into a message's content.
fn put_text(
    content: &mut Value,
    key: &str,
    entities_key: &str,
    visible: String,
    entities: Vec<Value>,
) {
    content[key] = json!(visible);
    if !entities.is_empty() {
        content[entities_key] = Value::Array(entities);
    }
}

/// The caption of a media message: rendered, checked, written into `content`.
fn caption(content: &mut Value, p: &Value, meta: &mut MessageMeta) -> Result<(), ApiFailure> {
    let Some(text) = p.text("caption").filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let mode = p.text("parse_mode");
    let (visible, entities) = render(text, mode, p.structured("caption_entities"))?;
    if visible.chars().count() > MAX_CAPTION {
        return Err(ApiFailure::bad_request("message caption is too long"));
    }
    put_text(content, "caption", "caption_entities", visible, entities);
    meta.raw_text = Some(text.to_owned());
    meta.parse_mode = mode.map(str::to_owned);
    Ok(())
}

/// The inline keyboard a message will show, checked. `None` for no keyboard, an empty one,
/// or another kind of markup (reply keyboards are not part of the message).
fn inline_markup(p: &Map<String, Value>) -> Result<Option<Value>, ApiFailure> {
    let Some(markup) = p.structured("reply_markup") else {
        return Ok(None);
    };
    let Some(rows) = markup.get("inline_keyboard") else {
        return Ok(None);
    };
    let Some(rows) = rows.as_array() else {
        return Err(ApiFailure::bad_request(
            "can't parse inline keyboard: field \"inline_keyboard\" must be an Array",
        ));
    };
    for row in rows {
        for button in row.as_array().into_iter().flatten() {
            if button.text("text").is_none_or(str::is_empty) {
                return Err(ApiFailure::bad_request(
                    "can't parse inline keyboard button: Text must be non-empty",
                ));
            }
            if let Some(data) = button.get("callback_data") {
                let len = data.as_str().map_or(0, str::len);
                if !(1..=64).contains(&len) {
                    return Err(ApiFailure::bad_request("BUTTON_DATA_INVALID"));
                }
            }
            let actions = [
                "callback_data",
                "url",
                "pay",
                "web_app",
                "login_url",
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat",
                "copy_text",
                "callback_game",
            ];
            if !actions.iter().any(|a| button.get(*a).is_some()) {
                return Err(ApiFailure::bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
        }
    }
    let rows: Vec<&Value> = rows
        .iter()
        .filter(|r| r.as_array().is_some_and(|b| !b.is_empty()))
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(json!({"inline_keyboard": rows})))
}

fn set_markup(content: &mut Value, markup: Option<Value>) {
    match markup {
        Some(markup) => content["reply_markup"] = markup,
        None => {
            if let Some(map) = content.as_object_mut() {
                map.remove("reply_markup");
            }
        }
    }
}

fn send_message(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let chat = chat_id(st, p)?;
    let text = p.text("text").unwrap_or_default();
    let mode = p.text("parse_mode");
    let (visible, entities) = render(text, mode, p.structured("entities"))?;
    if visible.trim().is_empty() {
        return Err(ApiFailure::bad_request("message text is empty"));
    }
    if visible.chars().count() > MAX_TEXT {
        return Err(ApiFailure::bad_request("message is too long"));
    }
    let mut content = json!({});
    put_text(&mut content, "text", "entities", visible, entities);
    set_markup(&mut content, inline_markup(p)?);
    let mut meta = MessageMeta::new(true, MessageKind::Text);
    meta.raw_text = Some(text.to_owned());
    meta.parse_mode = mode.map(str::to_owned);
    let from = st.bot.user_json();
    Ok(st.add_message(chat, from, content, meta))
}

// ---- media ---------------------------------------------------------------------------------

/// The request field carrying the file, the file store directory, the wire key.
pub(crate) fn media_names(kind: MessageKind) -> (&'static str, &'static str) {
    match kind {
        MessageKind::Photo => ("photo", "photos"),
        MessageKind::Video => ("video", "videos"),
        MessageKind::Audio => ("audio", "music"),
        MessageKind::Voice => ("voice", "voice"),
        MessageKind::Animation => ("animation", "animations"),
        _ => ("document", "documents"),
    }
}

fn media_kind(name: &str) -> Option<MessageKind> {
    Some(match name {
        "photo" => MessageKind::Photo,
        "video" => MessageKind::Video,
        "audio" => MessageKind::Audio,
        "voice" => MessageKind::Voice,
        "animation" => MessageKind::Animation,
        "document" => MessageKind::Document,
        _ => return None,
    })
}

/// Resolves an `InputFile` value (`attach://name`, a part uploaded under the field's own name,
/// a URL or a known `file_id`) to a stored file id.
fn input_file(
    st: &mut State,
    req: &ApiRequest,
    field: &str,
    value: Option<&Value>,
    dir: &str,
) -> Result<String, ApiFailure> {
    let wrong = || ApiFailure::bad_request("wrong file identifier/HTTP URL specified");
    let text = value.and_then(Value::as_str).unwrap_or_default();
    let part = match text.strip_prefix("attach://") {
        Some(name) => Some(req.files.get(name).ok_or_else(wrong)?),
        None if text.is_empty() => Some(req.files.get(field).ok_or_else(|| {
            ApiFailure::bad_request(&format!("there is no {field} in the request"))
        })?),
        None => None,
    };
    if let Some(part) = part {
        if part.bytes.len() > MAX_UPLOAD {
            return Err(ApiFailure::too_large());
        }
        let name = part.file_name.clone().filter(|n| !n.is_empty());
        let mime = part
            .mime
            .clone()
            .filter(|m| m.contains('/') && !m.eq_ignore_ascii_case("application/octet-stream"))
            .or_else(|| name.as_deref().and_then(mime_from_name).map(str::to_owned));
        let file = NewFile {
            bytes: part.bytes.clone(),
            name,
            mime,
            url: None,
            claimed_size: None,
        };
        return Ok(st.store_file(dir, file));
    }
    if text.starts_with("http://") || text.starts_with("https://") {
        let name = text
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let mime = name.as_deref().and_then(mime_from_name).map(str::to_owned);
        let file = NewFile {
            bytes: Bytes::new(),
            name,
            mime,
            url: Some(text.to_owned()),
            claimed_size: None,
        };
        return Ok(st.store_file(dir, file));
    }
    if st.files.contains_key(text) {
        return Ok(text.to_owned());
    }
    Err(wrong())
}

/// The wire object of a media message's file (`photo` array, `video` object …).
pub(crate) fn media_object(st: &mut State, kind: MessageKind, file_id: &str, p: &Value) -> Value {
    let file = st.files[file_id].clone();
    let dim = |key: &str| p.int(key).and_then(|n| u32::try_from(n).ok());
    let mut object = file.meta_json();
    let add_name_and_mime = |object: &mut Value| {
        if let Some(name) = &file.name {
            object["file_name"] = json!(name);
        }
        if let Some(mime) = &file.mime {
            object["mime_type"] = json!(mime);
        }
    };
    match kind {
        MessageKind::Photo => {
            let (w, h) = crate::wire::image_dimensions(&file.bytes).unwrap_or((512, 512));
            return st.photo_sizes(
                file_id,
                dim("width").unwrap_or(w),
                dim("height").unwrap_or(h),
            );
        }
        MessageKind::Video | MessageKind::Animation => {
            let (w, h) = crate::wire::image_dimensions(&file.bytes).unwrap_or((0, 0));
            object["width"] = json!(dim("width").unwrap_or(w));
            object["height"] = json!(dim("height").unwrap_or(h));
            object["duration"] = json!(dim("duration").unwrap_or(0));
            add_name_and_mime(&mut object);
        }
        MessageKind::Audio => {
            object["duration"] = json!(dim("duration").unwrap_or(0));
            for key in ["performer", "title"] {
                if let Some(v) = p.text(key) {
                    object[key] = json!(v);
                }
            }
            add_name_and_mime(&mut object);
        }
        MessageKind::Voice => {
            object["duration"] = json!(dim("duration").unwrap_or(0));
            object["mime_type"] = json!(file.mime.as_deref().unwrap_or("audio/ogg"));
        }
        _ => add_name_and_mime(&mut object),
    }
    object
}

/// The content of a media message (file object, caption) and what to store beside it.
fn media_content(
    st: &mut State,
    req: &ApiRequest,
    kind: MessageKind,
    item: &Value,
    field: &str,
) -> Result<(Value, MessageMeta), ApiFailure> {
    let (key, dir) = media_names(kind);
    let mut meta = MessageMeta::new(true, kind);
    let mut content = json!({});
    caption(&mut content, item, &mut meta)?;
    let file_id = input_file(st, req, field, item.get(field), dir)?;
    content[key] = media_object(st, kind, &file_id, item);
    if kind == MessageKind::Animation {
        // Telegram duplicates an animation as a document for old clients.
        content["document"] = content["animation"].clone();
    }
    if item.flag("has_spoiler") {
        content["has_media_spoiler"] = json!(true);
    }
    meta.file_id = Some(match kind {
        MessageKind::Photo => content[key]
            .as_array()
            .and_then(|sizes| sizes.last())
            .and_then(|s| s["file_id"].as_str())
            .unwrap_or(&file_id)
            .to_owned(),
        _ => file_id,
    });
    Ok((content, meta))
}

fn send_media(st: &mut State, req: &ApiRequest, kind: MessageKind) -> ApiResult {
    let p = &req.params;
    let chat = chat_id(st, p)?;
    let markup = inline_markup(p)?;
    let (field, _) = media_names(kind);
    let item = Value::Object(p.clone());
    let (mut content, meta) = media_content(st, req, kind, &item, field)?;
    set_markup(&mut content, markup);
    let from = st.bot.user_json();
    Ok(st.add_message(chat, from, content, meta))
}

fn send_media_group(st: &mut State, req: &ApiRequest) -> ApiResult {
    let p = &req.params;
    let chat = chat_id(st, p)?;
    let items = p
        .structured("media")
        .and_then(|m| m.as_array().cloned())
        .unwrap_or_default();
    if items.len() < 2 {
        return Err(ApiFailure::bad_request(
            "MEDIA_GROUP_INVALID: an album needs 2 to 10 items",
        ));
    }
    if items.len() > 10 {
        return Err(ApiFailure::bad_request(
            "Too much messages to send as an album",
        ));
    }
    let mut kinds = Vec::new();
    for item in &items {
        match item.text("type").and_then(media_kind) {
            Some(
                kind @ (MessageKind::Photo
                | MessageKind::Video
                | MessageKind::Audio
                | MessageKind::Document),
            ) => kinds.push(kind),
            _ => {
                return Err(ApiFailure::bad_request(
                    "MEDIA_GROUP_INVALID: unsupported media type in an album",
                ));
            }
        }
    }
    for lone in [MessageKind::Audio, MessageKind::Document] {
        if kinds.contains(&lone) && kinds.iter().any(|k| *k != lone) {
            let name = if lone == MessageKind::Audio {
                "audio"
            } else {
                "document"
            };
            return Err(ApiFailure::bad_request(&format!(
                "{name} can't be mixed with other media types"
            )));
        }
    }
    let group = format!("fake-album-{}", st.next_unique());
    let mut prepared = Vec::new();
    for (item, kind) in items.iter().zip(kinds) {
        let (mut content, mut meta) = media_content(st, req, kind, item, "media")?;
        content["media_group_id"] = json!(group);
        meta.media_group_id = Some(group.clone());
        prepared.push((content, meta));
    }
    let from = st.bot.user_json();
    let sent: Vec<Value> = prepared
        .into_iter()
        .map(|(content, meta)| st.add_message(chat, from.clone(), content, meta))
        .collect();
    Ok(Value::Array(sent))
}

// ---- edits ---------------------------------------------------------------------------------

/// The bot's message an edit targets.
fn editable(st: &State, p: &Map<String, Value>) -> Result<(i64, i32), ApiFailure> {
    if p.get("inline_message_id").is_some() && p.get("chat_id").is_none() {
        return Err(ApiFailure::bad_request(
            "MESSAGE_ID_INVALID (the fake has no inline messages)",
        ));
    }
    let chat = chat_id(st, p)?;
    let id = message_id(p)?;
    let message = st
        .message(chat, id)
        .ok_or_else(|| ApiFailure::bad_request("message to edit not found"))?;
    if !message.from_bot {
        return Err(ApiFailure::bad_request("message can't be edited"));
    }
    Ok((chat, id))
}

fn not_modified() -> ApiFailure {
    ApiFailure::bad_request(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    )
}

/// Replaces the given content keys and the markup of a stored message, refusing a no-op.
fn apply_edit(
    st: &mut State,
    chat: i64,
    id: i32,
    keys: &[&str],
    new: Value,
    update: impl FnOnce(&mut crate::state::StoredMessage),
) -> ApiResult {
    let message = st
        .message_mut(chat, id)
        .ok_or_else(|| ApiFailure::bad_request("message to edit not found"))?;
    let same = keys.iter().all(|k| message.json.get(*k) == new.get(*k))
        && message.json.get("reply_markup") == new.get("reply_markup");
    if same {
        return Err(not_modified());
    }
    if let Some(map) = message.json.as_object_mut() {
        for key in keys.iter().copied().chain(["reply_markup"]) {
            match new.get(key) {
                Some(v) => {
                    map.insert(key.to_owned(), v.clone());
                }
                None => {
                    map.remove(key);
                }
            }
        }
        map.insert("edit_date".to_owned(), json!(unix_now()));
    }
    message.edits += 1;
    update(message);
    Ok(message.json.clone())
}

fn edit_text(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let (chat, id) = editable(st, p)?;
    if st
        .message(chat, id)
        .is_some_and(|m| m.kind != MessageKind::Text)
    {
        return Err(ApiFailure::bad_request(
            "there is no text in the message to edit",
        ));
    }
    let text = p.text("text").unwrap_or_default();
    let mode = p.text("parse_mode");
    let (visible, entities) = render(text, mode, p.structured("entities"))?;
    if visible.trim().is_empty() {
        return Err(ApiFailure::bad_request("message text is empty"));
    }
    if visible.chars().count() > MAX_TEXT {
        return Err(ApiFailure::bad_request("message is too long"));
    }
    let mut new = json!({});
    put_text(&mut new, "text", "entities", visible, entities);
    set_markup(&mut new, inline_markup(p)?);
    let (raw, mode) = (text.to_owned(), mode.map(str::to_owned));
    apply_edit(st, chat, id, &["text", "entities"], new, |m| {
        m.raw_text = Some(raw);
        m.parse_mode = mode;
    })
}

fn edit_caption(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let (chat, id) = editable(st, p)?;
    if st
        .message(chat, id)
        .is_some_and(|m| matches!(m.kind, MessageKind::Text | MessageKind::Invoice))
    {
        return Err(ApiFailure::bad_request(
            "there is no caption in the message to edit",
        ));
    }
    let mut new = json!({});
    let mut meta = MessageMeta::new(true, MessageKind::Other);
    caption(&mut new, &Value::Object(p.clone()), &mut meta)?;
    set_markup(&mut new, inline_markup(p)?);
    apply_edit(st, chat, id, &["caption", "caption_entities"], new, |m| {
        m.raw_text = meta.raw_text;
        m.parse_mode = meta.parse_mode;
    })
}

fn edit_markup(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let (chat, id) = editable(st, p)?;
    let mut new = json!({});
    set_markup(&mut new, inline_markup(p)?);
    apply_edit(st, chat, id, &[], new, |_| {})
}

fn edit_media(st: &mut State, req: &ApiRequest) -> ApiResult {
    let p = &req.params;
    let (chat, id) = editable(st, p)?;
    if st
        .message(chat, id)
        .is_some_and(|m| matches!(m.kind, MessageKind::Text | MessageKind::Invoice))
    {
        return Err(ApiFailure::bad_request(
            "there is no media in the message to edit",
        ));
    }
    let item = p
        .structured("media")
        .ok_or_else(|| ApiFailure::bad_request("media is empty"))?;
    let kind = item
        .text("type")
        .and_then(media_kind)
        .ok_or_else(|| ApiFailure::bad_request("wrong media type"))?;
    let markup = inline_markup(p)?;
    let (mut new, meta) = media_content(st, req, kind, &item, "media")?;
    set_markup(&mut new, markup);
    let keys = [
        "photo",
        "video",
        "audio",
        "voice",
        "document",
        "animation",
        "caption",
        "caption_entities",
        "has_media_spoiler",
    ];
    apply_edit(st, chat, id, &keys, new, |m| {
        m.kind = meta.kind;
        m.file_id = meta.file_id;
        m.raw_text = meta.raw_text;
        m.parse_mode = meta.parse_mode;
    })
}

fn delete_message(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let chat = chat_id(st, p)?;
    let id = message_id(p)?;
    let removed = st
        .chats
        .get_mut(&chat)
        .and_then(|log| log.messages.remove(&id));
    match removed {
        Some(_) => Ok(json!(true)),
        None => Err(ApiFailure::bad_request("message to delete not found")),
    }
}

// ---- callbacks, files, payments ------------------------------------------------------------

fn answer_callback(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let id = p.text("callback_query_id").unwrap_or_default();
    let invalid = || {
        ApiFailure::bad_request(
            "query is too old and response timeout expired or query id is invalid",
        )
    };
    let record = st.callbacks.get_mut(id).ok_or_else(invalid)?;
    if record.answer.is_some() {
        return Err(invalid());
    }
    record.answer = Some(CallbackAnswer {
        text: p.text("text").map(str::to_owned),
        show_alert: p.flag("show_alert"),
        url: p.text("url").map(str::to_owned),
    });
    Ok(json!(true))
}

fn get_file(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let id = p.text("file_id").unwrap_or_default();
    let file = st
        .files
        .get(id)
        .ok_or_else(|| ApiFailure::bad_request("wrong file id"))?;
    if file.size > MAX_DOWNLOAD {
        return Err(ApiFailure::bad_request("file is too big"));
    }
    let mut out = file.meta_json();
    out["file_path"] = json!(file.path);
    Ok(out)
}

fn send_invoice(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let chat = chat_id(st, p)?;
    let title = p.text("title").unwrap_or_default();
    let description = p.text("description").unwrap_or_default();
    let payload = p.text("payload").unwrap_or_default();
    let currency = p.text("currency").unwrap_or_default();
    let provider_token = p.text("provider_token").map(str::to_owned);
    if !(1..=32).contains(&title.chars().count()) {
        return Err(ApiFailure::bad_request("INVOICE_TITLE_INVALID"));
    }
    if !(1..=255).contains(&description.chars().count()) {
        return Err(ApiFailure::bad_request("INVOICE_DESCRIPTION_INVALID"));
    }
    if !(1..=128).contains(&payload.len()) {
        return Err(ApiFailure::bad_request("INVOICE_PAYLOAD_INVALID"));
    }
    if currency.len() != 3 {
        return Err(ApiFailure::bad_request("CURRENCY_INVALID"));
    }
    let prices: Vec<(String, i64)> = p
        .structured("prices")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|price| {
            (
                price.text("label").unwrap_or_default().to_owned(),
                price.int("amount").unwrap_or_default(),
            )
        })
        .collect();
    if prices.is_empty() {
        return Err(ApiFailure::bad_request("CURRENCY_TOTAL_AMOUNT_INVALID"));
    }
    if currency == "XTR"
        && (prices.len() != 1 || provider_token.as_deref().is_some_and(|t| !t.is_empty()))
    {
        return Err(ApiFailure::bad_request(
            "STARS_INVOICE_INVALID: Stars invoices take exactly one price and an empty provider_token",
        ));
    }
    let total: i64 = prices.iter().map(|(_, amount)| amount).sum();
    if total <= 0 {
        return Err(ApiFailure::bad_request("CURRENCY_TOTAL_AMOUNT_INVALID"));
    }
    let markup = inline_markup(p)?;
    if let Some(markup) = &markup {
        let first_is_pay = buttons_of(&json!({"reply_markup": markup}))
            .first()
            .and_then(|row| row.first())
            .is_some_and(|b| b.pay);
        if !first_is_pay {
            return Err(ApiFailure::bad_request(
                "REPLY_MARKUP_BUY_EMPTY: the first button must be a Pay button",
            ));
        }
    }
    let pay_label = if currency == "XTR" {
        format!("Pay ⭐️{total}")
    } else {
        format!("Pay {total} {currency}")
    };
    let markup =
        markup.unwrap_or_else(|| json!({"inline_keyboard": [[{"text": pay_label, "pay": true}]]}));
    let content = json!({
        "invoice": {
            "title": title,
            "description": description,
            "start_parameter": p.text("start_parameter").unwrap_or_default(),
            "currency": currency,
            "total_amount": total,
        },
        "reply_markup": markup,
    });
    let mut meta = MessageMeta::new(true, MessageKind::Invoice);
    meta.invoice = Some(InvoiceSummary {
        payload: payload.to_owned(),
        currency: currency.to_owned(),
        total_amount: total,
        title: title.to_owned(),
        description: description.to_owned(),
        provider_token,
        prices,
    });
    let from = st.bot.user_json();
    Ok(st.add_message(chat, from, content, meta))
}

fn answer_pre_checkout(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let id = p.text("pre_checkout_query_id").unwrap_or_default();
    let record = st
        .pre_checkouts
        .get_mut(id)
        .filter(|r| r.answer.is_none())
        .ok_or_else(|| ApiFailure::bad_request("QUERY_ID_INVALID"))?;
    let ok = p.flag("ok");
    let error_message = p.text("error_message").map(str::to_owned);
    if !ok && error_message.as_deref().is_none_or(str::is_empty) {
        return Err(ApiFailure::bad_request("ERROR_MESSAGE_EMPTY"));
    }
    record.answer = Some(PreCheckoutAnswer { ok, error_message });
    Ok(json!(true))
}

fn refund(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let user = p.required_int("user_id")?;
    let charge_id = p.text("telegram_payment_charge_id").unwrap_or_default();
    let charge = st
        .charges
        .iter_mut()
        .find(|c| c.charge_id == charge_id && c.user_id == user)
        .ok_or_else(|| ApiFailure::bad_request("CHARGE_NOT_FOUND"))?;
    if charge.refunded {
        return Err(ApiFailure::bad_request("CHARGE_ALREADY_REFUNDED"));
    }
    charge.refunded = true;
    Ok(json!(true))
}

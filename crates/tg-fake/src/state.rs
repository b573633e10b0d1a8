//! The fake's memory: chats and their messages, files, the update queue, recorded calls,
//! injected faults, callback and pre-checkout answers, payments, commands, the webhook (whose
//! delivery state and methods live in `webhook.rs`).
//!
//! Everything lives in one [`State`] behind one `std::sync::Mutex` in [`Shared`], and every
//! change bumps a `watch` counter so waiters re-check. It must never hold the lock across an
//! await, and never answer an HTTP request itself (that is `server.rs` and `api.rs`).

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    sync::{Mutex, MutexGuard},
    time::Instant,
};

use axum::body::Bytes;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::{
    types::{
        BotCommand, Button, Call, CallEvent, CallbackAnswer, ChargeSummary, ChatMessage, FakeError,
        FileSummary, InvoiceSummary, MessageKind, PreCheckoutAnswer, UserSpec,
    },
    webhook::{PushState, Webhook},
    wire::{ApiRequest, ApiResult, chat_json, unix_now, user_json, value_i64},
};

/// Who the bot is (`getMe`).
#[derive(Clone, Debug)]
pub(crate) struct BotIdentity {
    pub id: i64,
    pub first_name: String,
    pub username: String,
}

impl BotIdentity {
    pub fn user_json(&self) -> Value {
        json!({"id": self.id, "is_bot": true, "first_name": self.first_name, "username": self.username})
    }
}

/// The state shared by the server, the handle and the fake users.
pub(crate) struct Shared {
    pub token: String,
    pub state: Mutex<State>,
    pub changes: watch::Sender<u64>,
}

impl Shared {
    pub fn new(token: String, bot: BotIdentity) -> Self {
        Self {
            token,
            state: Mutex::new(State::new(bot)),
            changes: watch::Sender::new(0),
        }
    }

    /// Reads the state (no change notification).
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the state, then wakes everyone waiting for a change.
    pub fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let out = f(&mut self.lock());
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        out
    }

    /// Changes the state without waking waiters (for `getUpdates` taking its batch, which
    /// would otherwise wake itself forever).
    pub fn quietly<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the data usable for a test's post-mortem.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One update waiting for `getUpdates` or a webhook delivery.
#[derive(Clone, Debug)]
pub(crate) struct QueuedUpdate {
    /// Unique per queue entry (a replay has its original's `id` but its own `seq`).
    pub seq: u64,
    pub id: i64,
    pub body: Value,
    /// A duplicate delivery of an earlier update id ([`State::replay_update`]): kept until
    /// delivered even though its id is below the bot's offset.
    pub replay: bool,
    pub delivered: bool,
}

/// A file Telegram stores.
#[derive(Clone, Debug)]
pub(crate) struct StoredFile {
    pub file_id: String,
    pub unique_id: String,
    pub path: String,
    pub bytes: Bytes,
    /// The size reported (may be claimed larger than `bytes`).
    pub size: u64,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub url: Option<String>,
}

impl StoredFile {
    pub fn meta_json(&self) -> Value {
        json!({"file_id": self.file_id, "file_unique_id": self.unique_id, "file_size": self.size})
    }

    pub fn summary(&self) -> FileSummary {
        FileSummary {
            name: self.name.clone(),
            mime: self.mime.clone(),
            len: self.size,
            bytes: self.bytes.clone(),
            url: self.url.clone(),
            file_id: self.file_id.clone(),
        }
    }
}

/// One message as stored: its wire form plus what the wire form loses.
#[derive(Clone, Debug)]
pub(crate) struct StoredMessage {
    /// The Bot API `Message` as Telegram would return it now.
    pub json: Value,
    pub from_bot: bool,
    pub kind: MessageKind,
    /// Text or caption as sent (with markup).
    pub raw_text: Option<String>,
    pub parse_mode: Option<String>,
    pub file_id: Option<String>,
    pub invoice: Option<InvoiceSummary>,
    pub media_group_id: Option<String>,
    pub edits: u32,
}

/// A chat: its messages by id and the next id.
#[derive(Debug, Default)]
pub(crate) struct ChatLog {
    pub next_id: i32,
    pub messages: BTreeMap<i32, StoredMessage>,
}

/// A callback query pushed by a fake user.
#[derive(Clone, Debug)]
pub(crate) struct CallbackRecord {
    /// The chat of the message the button was on.
    pub chat_id: i64,
    pub answer: Option<CallbackAnswer>,
}

/// A pre-checkout query pushed by a fake user.
#[derive(Clone, Debug)]
pub(crate) struct PreCheckoutRecord {
    pub answer: Option<PreCheckoutAnswer>,
}

/// Everything the fake remembers.
pub(crate) struct State {
    pub bot: BotIdentity,
    next_update_id: i64,
    pub queue: VecDeque<QueuedUpdate>,
    history: HashMap<i64, Value>,
    /// The last `allowed_updates` a `getUpdates` or `setWebhook` sent (`None`: Telegram's
    /// default).
    pub allowed_updates: Option<Vec<String>>,
    pub poll_generation: u64,
    /// `getUpdates` requests started and not yet answered.
    pub polls_in_flight: usize,
    /// `getUpdates` requests that arrived while another was in flight.
    pub poll_overlaps: u64,
    next_seq: u64,
    pub webhook: Option<Webhook>,
    /// Webhook delivery: targets, lanes in flight, the delivery log.
    pub push: PushState,
    pub chats: HashMap<i64, ChatLog>,
    pub users: HashMap<i64, UserSpec>,
    pub files: HashMap<String, StoredFile>,
    pub paths: HashMap<String, String>,
    counter: u64,
    pub calls: Vec<Call>,
    /// Whether answered calls are kept in `calls` (on unless a benchmark turns it off).
    pub record_calls: bool,
    /// Subscribers to [`CallEvent`]s (closed ones are dropped on the next call).
    pub call_watchers: Vec<mpsc::UnboundedSender<CallEvent>>,
    pub faults: HashMap<String, VecDeque<FakeError>>,
    pub blocked: HashSet<i64>,
    pub callbacks: HashMap<String, CallbackRecord>,
    pub pre_checkouts: HashMap<String, PreCheckoutRecord>,
    pub charges: Vec<ChargeSummary>,
    /// Commands by (scope key, language code or "").
    pub commands: BTreeMap<(String, String), Vec<BotCommand>>,
    /// Menu buttons by chat (`None`: the default one).
    pub menu_buttons: HashMap<Option<i64>, Value>,
}

/// Update types Telegram sends when `allowed_updates` was never given.
const DEFAULT_EXCLUDED_UPDATES: &[&str] =
    &["chat_member", "message_reaction", "message_reaction_count"];

impl State {
    fn new(bot: BotIdentity) -> Self {
        Self {
            bot,
            next_update_id: 1,
            queue: VecDeque::new(),
            history: HashMap::new(),
            allowed_updates: None,
            poll_generation: 0,
            polls_in_flight: 0,
            poll_overlaps: 0,
            next_seq: 0,
            webhook: None,
            push: PushState::default(),
            chats: HashMap::new(),
            users: HashMap::new(),
            files: HashMap::new(),
            paths: HashMap::new(),
            counter: 0,
            calls: Vec::new(),
            record_calls: true,
            call_watchers: Vec::new(),
            faults: HashMap::new(),
            blocked: HashSet::new(),
            callbacks: HashMap::new(),
            pre_checkouts: HashMap::new(),
            charges: Vec::new(),
            commands: BTreeMap::new(),
            menu_buttons: HashMap::new(),
        }
    }

    /// A fresh process-unique number (file ids, query ids, charge ids).
    pub fn next_unique(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    // ---- updates ------------------------------------------------------------------------

    /// Queues an update body (without `update_id`) under a fresh update id.
    pub fn push_update(&mut self, mut body: Value) -> i64 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        if let Some(map) = body.as_object_mut() {
            map.insert("update_id".to_owned(), json!(id));
        }
        self.register_payment(&body);
        self.history.insert(id, body.clone());
        self.enqueue(id, body, false);
        id
    }

    /// Queues a raw update as given; a missing `update_id` gets a fresh one, a given one moves
    /// the counter past it.
    pub fn push_raw(&mut self, body: Value) -> i64 {
        match body.get("update_id").and_then(Value::as_i64) {
            Some(id) => {
                self.next_update_id = self.next_update_id.max(id + 1);
                self.register_payment(&body);
                self.history.insert(id, body.clone());
                self.enqueue(id, body, false);
                id
            }
            None => self.push_update(body),
        }
    }

    /// Queues an exact copy of an earlier update, same id.
    pub fn replay_update(&mut self, update_id: i64) -> Option<()> {
        let body = self.history.get(&update_id)?.clone();
        self.enqueue(update_id, body, true);
        Some(())
    }

    fn enqueue(&mut self, id: i64, body: Value, replay: bool) {
        self.next_seq += 1;
        self.queue.push_back(QueuedUpdate {
            seq: self.next_seq,
            id,
            body,
            replay,
            delivered: false,
        });
    }

    /// The update with this id as first pushed.
    pub fn update_body(&self, update_id: i64) -> Option<&Value> {
        self.history.get(&update_id)
    }

    /// `getUpdates`' `offset`: forgets updates below it (a replay only once delivered); a
    /// negative offset keeps only the last `-offset` updates.
    pub fn confirm(&mut self, offset: i64) {
        if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.queue.len() > keep {
                self.queue.pop_front();
            }
        } else {
            self.queue
                .retain(|u| u.id >= offset || (u.replay && !u.delivered));
        }
    }

    /// Drops the queued updates of types the bot did not allow (in `getUpdates` or
    /// `setWebhook`), as Telegram never creates them. Returns whether any was dropped.
    pub fn drop_disallowed(&mut self) -> bool {
        let allowed = self.allowed_updates.as_deref();
        let is_allowed = |body: &Value| {
            let kind = update_kind(body);
            match allowed {
                Some(list) => list.iter().any(|a| a == kind),
                None => !DEFAULT_EXCLUDED_UPDATES.contains(&kind),
            }
        };
        let before = self.queue.len();
        self.queue.retain(|u| {
            let keep = is_allowed(&u.body);
            if !keep {
                tracing::debug!(
                    update_id = u.id,
                    kind = update_kind(&u.body),
                    "dropping an update the bot did not allow"
                );
            }
            keep
        });
        self.queue.len() != before
    }

    /// The next batch for `getUpdates`, marked delivered. Updates of types the bot did not
    /// allow are dropped first. A batch never goes back in ids: a replayed update travels
    /// alone, so the bot's next offset confirms nothing it has not seen.
    pub fn take_batch(&mut self, limit: usize) -> Vec<Value> {
        self.drop_disallowed();
        let mut batch = Vec::new();
        let mut last: Option<i64> = None;
        for update in self.queue.iter_mut() {
            if batch.len() >= limit {
                break;
            }
            if let Some(last) = last
                && (update.replay || update.id <= last)
            {
                break;
            }
            update.delivered = true;
            batch.push(update.body.clone());
            last = Some(update.id);
            if update.replay {
                break;
            }
        }
        batch
    }

    fn register_payment(&mut self, body: &Value) {
        let Some(message) = body.get("message") else {
            return;
        };
        let Some(payment) = message.get("successful_payment") else {
            return;
        };
        let charge_id = payment["telegram_payment_charge_id"]
            .as_str()
            .unwrap_or_default();
        if charge_id.is_empty() || self.charges.iter().any(|c| c.charge_id == charge_id) {
            return;
        }
        self.charges.push(ChargeSummary {
            charge_id: charge_id.to_owned(),
            user_id: message["from"]["id"].as_i64().unwrap_or_default(),
            currency: payment["currency"].as_str().unwrap_or_default().to_owned(),
            total_amount: payment["total_amount"].as_i64().unwrap_or_default(),
            payload: payment["invoice_payload"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            refunded: false,
        });
    }

    // ---- calls --------------------------------------------------------------------------

    /// Records an answered call (unless recording is off) and tells the subscribers.
    pub fn record_call(
        &mut self,
        method: &str,
        request: &ApiRequest,
        at: Instant,
        result: &ApiResult,
    ) {
        let (status, error) = match result {
            Ok(_) => (200, None),
            Err(f) => (f.code, Some(f.description.clone())),
        };
        if !self.call_watchers.is_empty() {
            let p = &request.params;
            let callback_query_id = p
                .get("callback_query_id")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let chat_id = p.get("chat_id").and_then(value_i64).or_else(|| {
                callback_query_id
                    .as_ref()
                    .and_then(|id| self.callbacks.get(id))
                    .map(|r| r.chat_id)
            });
            let message_id = result
                .as_ref()
                .ok()
                .and_then(|v| v.get("message_id"))
                .or_else(|| p.get("message_id"))
                .and_then(value_i64)
                .and_then(|n| i32::try_from(n).ok());
            let event = CallEvent {
                method: method.to_owned(),
                chat_id,
                message_id,
                callback_query_id,
                at,
                answered_at: Instant::now(),
                status,
            };
            self.call_watchers.retain(|w| w.send(event.clone()).is_ok());
        }
        if self.record_calls {
            self.calls.push(Call {
                method: method.to_owned(),
                params: recorded_params(request),
                at,
                status,
                error,
            });
        }
    }

    // ---- messages -----------------------------------------------------------------------

    /// The wire `Chat` of a chat id.
    pub fn chat_json(&self, chat_id: i64) -> Value {
        chat_json(chat_id, self.users.get(&chat_id))
    }

    /// Adds a message to a chat: `content` holds the kind-specific fields (`text`, `photo`,
    /// `invoice` …); `message_id`, `from`, `chat` and `date` are added here.
    pub fn add_message(
        &mut self,
        chat_id: i64,
        from: Value,
        content: Value,
        meta: MessageMeta,
    ) -> Value {
        let chat = self.chat_json(chat_id);
        let log = self.chats.entry(chat_id).or_default();
        log.next_id += 1;
        let id = log.next_id;
        let mut json = json!({"message_id": id, "from": from, "chat": chat, "date": unix_now()});
        if let (Some(map), Value::Object(content)) = (json.as_object_mut(), content) {
            map.extend(content);
        }
        log.messages.insert(
            id,
            StoredMessage {
                json: json.clone(),
                from_bot: meta.from_bot,
                kind: meta.kind,
                raw_text: meta.raw_text,
                parse_mode: meta.parse_mode,
                file_id: meta.file_id,
                invoice: meta.invoice,
                media_group_id: meta.media_group_id,
                edits: 0,
            },
        );
        json
    }

    /// A user's message in their private chat.
    pub fn add_user_message(
        &mut self,
        user: &UserSpec,
        content: Value,
        meta: MessageMeta,
    ) -> Value {
        self.users.entry(user.id).or_insert_with(|| user.clone());
        self.add_message(user.id, user_json(user), content, meta)
    }

    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<&StoredMessage> {
        self.chats.get(&chat_id)?.messages.get(&message_id)
    }

    pub fn message_mut(&mut self, chat_id: i64, message_id: i32) -> Option<&mut StoredMessage> {
        self.chats.get_mut(&chat_id)?.messages.get_mut(&message_id)
    }

    /// The visible messages of a chat, oldest first.
    pub fn chat_messages(&self, chat_id: i64) -> Vec<ChatMessage> {
        let Some(log) = self.chats.get(&chat_id) else {
            return Vec::new();
        };
        log.messages.values().map(|m| self.view(m)).collect()
    }

    /// The test-facing view of a stored message.
    pub fn view(&self, m: &StoredMessage) -> ChatMessage {
        ChatMessage {
            id: m.json["message_id"]
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or_default(),
            from_bot: m.from_bot,
            kind: m.kind,
            text: m.raw_text.clone(),
            parse_mode: m.parse_mode.clone(),
            buttons: buttons_of(&m.json),
            file: m
                .file_id
                .as_ref()
                .and_then(|id| self.files.get(id))
                .map(StoredFile::summary),
            invoice: m.invoice.clone(),
            media_group_id: m.media_group_id.clone(),
            edits: m.edits,
            raw: m.json.clone(),
        }
    }

    // ---- files --------------------------------------------------------------------------

    /// Stores a file under a fresh id and path (`<dir>/file_<n>.<ext>`).
    pub fn store_file(&mut self, dir: &str, file: NewFile) -> String {
        let n = self.next_unique();
        let ext = file
            .name
            .as_deref()
            .and_then(|name| name.rsplit_once('.').map(|(_, ext)| ext.to_owned()))
            .unwrap_or_else(|| default_extension(dir).to_owned());
        let file_id = format!("fake-file-{n}-{}", dir.trim_end_matches('s'));
        let path = format!("{dir}/file_{n}.{ext}");
        let size = file.claimed_size.unwrap_or(file.bytes.len() as u64);
        self.paths.insert(path.clone(), file_id.clone());
        self.files.insert(
            file_id.clone(),
            StoredFile {
                file_id: file_id.clone(),
                unique_id: format!("fake-unique-{n}"),
                path,
                bytes: file.bytes,
                size,
                name: file.name,
                mime: file.mime,
                url: file.url,
            },
        );
        file_id
    }

    /// A Bot API `PhotoSize` array for a stored photo: a thumbnail (sharing the bytes) and the
    /// photo itself, largest last.
    pub fn photo_sizes(&mut self, file_id: &str, width: u32, height: u32) -> Value {
        let Some(main) = self.files.get(file_id).cloned() else {
            return json!([]);
        };
        let scale = |side: u32| {
            let longest = width.max(height).max(1);
            u32::try_from(u64::from(side) * 90 / u64::from(longest))
                .unwrap_or(1)
                .max(1)
        };
        let thumb_id = self.store_file(
            "photos",
            NewFile {
                bytes: main.bytes.clone(),
                name: None,
                mime: main.mime.clone(),
                url: main.url.clone(),
                claimed_size: Some(main.size.min(main.size / 10 + 1)),
            },
        );
        let mut thumb = self.files[&thumb_id].meta_json();
        thumb["width"] = json!(scale(width));
        thumb["height"] = json!(scale(height));
        let mut full = main.meta_json();
        full["width"] = json!(width);
        full["height"] = json!(height);
        json!([thumb, full])
    }
}

/// The parameters as recorded: file parts summarised.
fn recorded_params(request: &ApiRequest) -> Value {
    let mut params = request.params.clone();
    for (name, part) in &request.files {
        params.insert(
            name.clone(),
            json!({"file_name": part.file_name, "mime": part.mime, "len": part.bytes.len()}),
        );
    }
    Value::Object(params)
}

/// What [`State::add_message`] stores beside the wire form.
#[derive(Debug)]
pub(crate) struct MessageMeta {
    pub from_bot: bool,
    pub kind: MessageKind,
    pub raw_text: Option<String>,
    pub parse_mode: Option<String>,
    pub file_id: Option<String>,
    pub invoice: Option<InvoiceSummary>,
    pub media_group_id: Option<String>,
}

impl MessageMeta {
    pub fn new(from_bot: bool, kind: MessageKind) -> Self {
        Self {
            from_bot,
            kind,
            raw_text: None,
            parse_mode: None,
            file_id: None,
            invoice: None,
            media_group_id: None,
        }
    }
}

/// A file to store.
#[derive(Debug)]
pub(crate) struct NewFile {
    pub bytes: Bytes,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub url: Option<String>,
    pub claimed_size: Option<u64>,
}

fn default_extension(dir: &str) -> &'static str {
    match dir {
        "photos" => "jpg",
        "videos" | "animations" => "mp4",
        "music" => "mp3",
        "voice" => "oga",
        _ => "bin",
    }
}

/// The update type of an update body: its first key besides `update_id`.
pub(crate) fn update_kind(body: &Value) -> &str {
    body.as_object()
        .and_then(|map| map.keys().find(|k| *k != "update_id"))
        .map_or("", String::as_str)
}

/// The inline keyboard of a wire `Message`.
pub(crate) fn buttons_of(message: &Value) -> Vec<Vec<Button>> {
    let Some(rows) = message["reply_markup"]["inline_keyboard"].as_array() else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            row.as_array()
                .map(|buttons| {
                    buttons
                        .iter()
                        .map(|b| Button {
                            text: b["text"].as_str().unwrap_or_default().to_owned(),
                            callback_data: b["callback_data"].as_str().map(str::to_owned),
                            url: b["url"].as_str().map(str::to_owned),
                            pay: b["pay"].as_bool().unwrap_or(false),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::new(BotIdentity {
            id: 1,
            first_name: "Bot".into(),
            username: "bot".into(),
        })
    }

    fn ids(batch: &[Value]) -> Vec<i64> {
        batch
            .iter()
            .map(|u| u["update_id"].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn batches_respect_offset_limit_and_replays() {
        let mut st = state();
        for _ in 0..3 {
            st.push_update(json!({"message": {}}));
        }
        assert_eq!(ids(&st.take_batch(2)), vec![1, 2]);
        st.confirm(3);
        assert_eq!(ids(&st.take_batch(100)), vec![3]);
        st.confirm(4);
        st.replay_update(2).unwrap();
        st.push_update(json!({"message": {}}));
        // The replay of 2 travels alone even though the bot's offset is past it.
        assert_eq!(ids(&st.take_batch(100)), vec![2]);
        st.confirm(3);
        assert_eq!(ids(&st.take_batch(100)), vec![4]);
        st.confirm(5);
        assert!(st.take_batch(100).is_empty());
    }

    #[test]
    fn disallowed_updates_are_dropped() {
        let mut st = state();
        st.push_update(json!({"callback_query": {}}));
        st.push_update(json!({"message": {}}));
        st.allowed_updates = Some(vec!["message".into()]);
        assert_eq!(ids(&st.take_batch(100)), vec![2]);
        st.allowed_updates = None;
        st.confirm(2);
        assert_eq!(ids(&st.take_batch(100)), vec![2]);
    }
}

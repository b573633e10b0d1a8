//! [`FakeUser`]: a person a test plays. Each action adds what the person did to their private
//! chat and queues the update Telegram would send the bot (messages, button presses, uploads,
//! Stars payments), with increasing update ids.
//!
//! It must never reach around the wire: the bot learns of an action only through
//! `getUpdates` or a webhook delivery, and the user sees the bot only through what the bot sent
//! over HTTP.

use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use serde_json::{Value, json};

use crate::{
    api,
    fake::FakeTelegram,
    state::{CallbackRecord, MessageMeta, NewFile, PreCheckoutRecord, State},
    types::{CallbackAnswer, MessageKind, UserSpec},
    wire::user_json,
};

/// How long [`FakeUser::pay_invoice`] waits for `answerPreCheckoutQuery` (Telegram's limit).
pub const PRE_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// A message a fake user sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserMessage {
    /// The update that carries it.
    pub update_id: i64,
    /// Its id in the chat.
    pub message_id: i32,
}

/// A button press a fake user made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PressedButton {
    /// The update that carries it.
    pub update_id: i64,
    /// The callback query id (see [`FakeTelegram::callback_answer`]).
    pub callback_id: String,
    /// The bot message the button is on.
    pub message_id: i32,
    /// The callback data sent.
    pub data: String,
}

/// The outcome of [`FakeUser::pay_invoice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentResult {
    /// The update carrying the `pre_checkout_query`.
    pub pre_checkout_update_id: i64,
    /// The pre-checkout query id.
    pub pre_checkout_id: String,
    /// Whether the bot answered the pre-checkout query in time.
    pub answered: bool,
    /// Whether the bot accepted it (`ok = true`).
    pub pre_checkout_ok: bool,
    /// The bot's `error_message` when it refused.
    pub error_message: Option<String>,
    /// The `telegram_payment_charge_id`, when paid.
    pub charge_id: Option<String>,
    /// The update carrying the `successful_payment` message, when paid.
    pub update_id: Option<i64>,
    /// The `successful_payment` message, when paid.
    pub message_id: Option<i32>,
}

/// A file a fake user sends; build with [`UserMedia::photo`] and friends.
#[derive(Clone, Debug)]
pub struct UserMedia {
    /// Photo, Video, Audio, Voice, Document or Animation.
    pub kind: MessageKind,
    /// The content, served back by `getFile` and `/file/bot<token>/<path>`.
    pub bytes: Bytes,
    /// The file name (not for photos and voice notes).
    pub file_name: Option<String>,
    /// The MIME type.
    pub mime: Option<String>,
    /// Width in pixels (photo, video, animation).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Duration in seconds (video, audio, voice, animation).
    pub duration: u32,
    /// A `file_size` to report instead of the bytes' length (to test limits cheaply).
    pub claimed_size: Option<u64>,
    /// A caption.
    pub caption: Option<String>,
}

impl UserMedia {
    fn new(kind: MessageKind, bytes: impl Into<Bytes>) -> Self {
        Self {
            kind,
            bytes: bytes.into(),
            file_name: None,
            mime: None,
            width: 0,
            height: 0,
            duration: 0,
            claimed_size: None,
            caption: None,
        }
    }

    /// A photo of the given size (Telegram sends it as JPEG; any bytes will do).
    pub fn photo(bytes: impl Into<Bytes>, width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            mime: Some("image/jpeg".to_owned()),
            ..Self::new(MessageKind::Photo, bytes)
        }
    }

    /// A document (a file sent "as file").
    pub fn document(bytes: impl Into<Bytes>, file_name: &str, mime: &str) -> Self {
        Self {
            file_name: Some(file_name.to_owned()),
            mime: Some(mime.to_owned()),
            ..Self::new(MessageKind::Document, bytes)
        }
    }

    /// An audio file.
    pub fn audio(bytes: impl Into<Bytes>, file_name: &str, mime: &str, duration: u32) -> Self {
        Self {
            duration,
            ..Self::document(bytes, file_name, mime)
        }
        .kind(MessageKind::Audio)
    }

    /// A voice note (OGG/Opus).
    pub fn voice(bytes: impl Into<Bytes>, duration: u32) -> Self {
        Self {
            duration,
            mime: Some("audio/ogg".to_owned()),
            ..Self::new(MessageKind::Voice, bytes)
        }
    }

    /// A video.
    pub fn video(bytes: impl Into<Bytes>, width: u32, height: u32, duration: u32) -> Self {
        Self {
            width,
            height,
            duration,
            mime: Some("video/mp4".to_owned()),
            ..Self::new(MessageKind::Video, bytes)
        }
    }

    /// The same media with a caption.
    pub fn caption(mut self, caption: &str) -> Self {
        self.caption = Some(caption.to_owned());
        self
    }

    /// The same media reporting another `file_size`.
    pub fn claiming_size(mut self, size: u64) -> Self {
        self.claimed_size = Some(size);
        self
    }

    fn kind(mut self, kind: MessageKind) -> Self {
        self.kind = kind;
        self
    }
}

/// A person talking to the bot in their private chat (chat id = user id).
#[derive(Clone, Debug)]
pub struct FakeUser {
    fake: FakeTelegram,
    spec: UserSpec,
}

impl FakeUser {
    pub(crate) fn new(fake: FakeTelegram, spec: UserSpec) -> Self {
        Self { fake, spec }
    }

    /// The user id.
    pub fn id(&self) -> i64 {
        self.spec.id
    }

    /// The private chat's id (the user id).
    pub fn chat_id(&self) -> i64 {
        self.spec.id
    }

    /// Who this is.
    pub fn spec(&self) -> &UserSpec {
        &self.spec
    }

    /// The fake this user lives in.
    pub fn fake(&self) -> &FakeTelegram {
        &self.fake
    }

    /// Sends a text; a leading `/command` gets a `bot_command` entity.
    pub async fn send_text(&self, text: &str) -> UserMessage {
        let mut content = json!({"text": text});
        if text.starts_with('/') {
            let command = text.split_whitespace().next().unwrap_or(text);
            let length: usize = command.chars().map(char::len_utf16).sum();
            content["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
        }
        let mut meta = MessageMeta::new(false, MessageKind::Text);
        meta.raw_text = Some(text.to_owned());
        self.send_message(content, meta)
    }

    /// Presses the button whose label contains `label` on the newest bot message that has one.
    /// Fails, listing the visible buttons, if there is none.
    pub async fn press(&self, label: &str) -> anyhow::Result<PressedButton> {
        let found = self
            .fake
            .chat(self.chat_id())
            .into_iter()
            .rev()
            .filter(|m| m.from_bot)
            .find_map(|m| {
                let button = m
                    .all_buttons()
                    .find(|b| b.text.contains(label) && b.callback_data.is_some())?;
                Some((m.id, button.callback_data.clone()?))
            });
        match found {
            Some((message_id, data)) => Ok(self.push_callback(message_id, &data)),
            None => bail!(
                "no bot message has a callback button labelled {label:?}\n{}",
                self.fake.dump_chat(self.chat_id())
            ),
        }
    }

    /// Presses the button whose label contains `label` on one message.
    pub async fn press_in(&self, message_id: i32, label: &str) -> anyhow::Result<PressedButton> {
        let message = self
            .fake
            .message(self.chat_id(), message_id)
            .with_context(|| {
                format!(
                    "no message {message_id}\n{}",
                    self.fake.dump_chat(self.chat_id())
                )
            })?;
        let data = message
            .all_buttons()
            .find(|b| b.text.contains(label))
            .and_then(|b| b.callback_data.clone())
            .with_context(|| {
                format!(
                    "message {message_id} has no callback button labelled {label:?}\n{}",
                    self.fake.dump_chat(self.chat_id())
                )
            })?;
        Ok(self.push_callback(message_id, &data))
    }

    /// Pushes a callback query with any data on a message (forged or stale presses). A
    /// message that no longer exists is sent as Telegram's inaccessible message (`date: 0`).
    pub async fn press_data(&self, message_id: i32, data: &str) -> PressedButton {
        self.push_callback(message_id, data)
    }

    fn push_callback(&self, message_id: i32, data: &str) -> PressedButton {
        let from = user_json(&self.spec);
        let chat_id = self.chat_id();
        self.fake.shared().update(|st| {
            let message = match st.message(chat_id, message_id) {
                Some(m) => m.json.clone(),
                None => json!({"chat": st.chat_json(chat_id), "message_id": message_id, "date": 0}),
            };
            let callback_id = format!("fake-callback-{}", st.next_unique());
            st.callbacks.insert(
                callback_id.clone(),
                CallbackRecord {
                    chat_id,
                    answer: None,
                },
            );
            let update_id = st.push_update(json!({"callback_query": {
                "id": callback_id,
                "from": from,
                "message": message,
                "chat_instance": format!("fake-instance-{chat_id}"),
                "data": data,
            }}));
            PressedButton {
                update_id,
                callback_id,
                message_id,
                data: data.to_owned(),
            }
        })
    }

    /// Waits until the bot answers a callback query this user made.
    pub async fn wait_callback_answer(
        &self,
        callback_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<CallbackAnswer> {
        self.fake.wait_callback_answer(callback_id, timeout).await
    }

    /// Sends a photo: two sizes (a thumbnail and the photo), both served by `getFile`.
    pub async fn send_photo(
        &self,
        bytes: impl Into<Bytes>,
        width: u32,
        height: u32,
    ) -> UserMessage {
        self.send_media(UserMedia::photo(bytes, width, height))
            .await
    }

    /// Sends a document.
    pub async fn send_document(
        &self,
        bytes: impl Into<Bytes>,
        file_name: &str,
        mime: &str,
    ) -> UserMessage {
        self.send_media(UserMedia::document(bytes, file_name, mime))
            .await
    }

    /// Sends a document that reports `claimed_size` as its `file_size` (over 20 MB, `getFile`
    /// answers "file is too big", as Telegram does).
    pub async fn send_document_claiming_size(
        &self,
        bytes: impl Into<Bytes>,
        file_name: &str,
        mime: &str,
        claimed_size: u64,
    ) -> UserMessage {
        self.send_media(UserMedia::document(bytes, file_name, mime).claiming_size(claimed_size))
            .await
    }

    /// Sends an audio file.
    pub async fn send_audio(
        &self,
        bytes: impl Into<Bytes>,
        file_name: &str,
        mime: &str,
        duration: u32,
    ) -> UserMessage {
        self.send_media(UserMedia::audio(bytes, file_name, mime, duration))
            .await
    }

    /// Sends a voice note.
    pub async fn send_voice(&self, bytes: impl Into<Bytes>, duration: u32) -> UserMessage {
        self.send_media(UserMedia::voice(bytes, duration)).await
    }

    /// Sends a video.
    pub async fn send_video(
        &self,
        bytes: impl Into<Bytes>,
        width: u32,
        height: u32,
        duration: u32,
    ) -> UserMessage {
        self.send_media(UserMedia::video(bytes, width, height, duration))
            .await
    }

    /// Sends any media.
    pub async fn send_media(&self, media: UserMedia) -> UserMessage {
        let spec = self.spec.clone();
        self.fake.shared().update(|st| {
            let (_, dir) = api::media_names(media.kind);
            let file_id = st.store_file(
                dir,
                NewFile {
                    bytes: media.bytes.clone(),
                    name: media.file_name.clone(),
                    mime: media.mime.clone(),
                    url: None,
                    claimed_size: media.claimed_size,
                },
            );
            let dims =
                json!({"width": media.width, "height": media.height, "duration": media.duration});
            let (key, _) = api::media_names(media.kind);
            let object = api::media_object(st, media.kind, &file_id, &dims);
            let mut content = json!({ key: object });
            if media.kind == MessageKind::Animation {
                content["document"] = content["animation"].clone();
            }
            let mut meta = MessageMeta::new(false, media.kind);
            meta.file_id = Some(file_id);
            if let Some(caption) = &media.caption {
                content["caption"] = json!(caption);
                meta.raw_text = Some(caption.clone());
            }
            add_and_push(st, &spec, content, meta)
        })
    }

    /// Pays the newest invoice the bot sent this user; see [`FakeUser::pay_invoice_in`].
    pub async fn pay_invoice(&self) -> anyhow::Result<PaymentResult> {
        let invoice = self
            .fake
            .chat(self.chat_id())
            .into_iter()
            .rev()
            .find(|m| m.from_bot && m.invoice.is_some())
            .with_context(|| {
                format!(
                    "the bot sent no invoice\n{}",
                    self.fake.dump_chat(self.chat_id())
                )
            })?;
        self.pay_invoice_in(invoice.id, PRE_CHECKOUT_TIMEOUT).await
    }

    /// Pays an invoice as Telegram runs it: pushes a `pre_checkout_query`, waits up to
    /// `timeout` for `answerPreCheckoutQuery`, and if the bot said ok, pushes the
    /// `successful_payment` message with a fresh `telegram_payment_charge_id`.
    pub async fn pay_invoice_in(
        &self,
        message_id: i32,
        timeout: Duration,
    ) -> anyhow::Result<PaymentResult> {
        let invoice = self
            .fake
            .message(self.chat_id(), message_id)
            .and_then(|m| m.invoice)
            .with_context(|| {
                format!(
                    "message {message_id} is not an invoice\n{}",
                    self.fake.dump_chat(self.chat_id())
                )
            })?;
        let from = user_json(&self.spec);
        let (pre_checkout_id, pre_checkout_update_id) = self.fake.shared().update(|st| {
            let id = format!("fake-pre-checkout-{}", st.next_unique());
            st.pre_checkouts
                .insert(id.clone(), PreCheckoutRecord { answer: None });
            let update_id = st.push_update(json!({"pre_checkout_query": {
                "id": id,
                "from": from,
                "currency": invoice.currency,
                "total_amount": invoice.total_amount,
                "invoice_payload": invoice.payload,
            }}));
            (id, update_id)
        });
        let mut result = PaymentResult {
            pre_checkout_update_id,
            pre_checkout_id: pre_checkout_id.clone(),
            answered: false,
            pre_checkout_ok: false,
            error_message: None,
            charge_id: None,
            update_id: None,
            message_id: None,
        };
        let Ok(answer) = self
            .fake
            .wait_for(timeout, |fake| fake.pre_checkout_answer(&pre_checkout_id))
            .await
        else {
            return Ok(result);
        };
        result.answered = true;
        result.pre_checkout_ok = answer.ok;
        result.error_message = answer.error_message;
        if answer.ok {
            let spec = self.spec.clone();
            let (charge_id, sent) = self.fake.shared().update(|st| {
                let charge_id = format!("fake-charge-{}", st.next_unique());
                let payment = json!({
                    "currency": invoice.currency,
                    "total_amount": invoice.total_amount,
                    "invoice_payload": invoice.payload,
                    "telegram_payment_charge_id": charge_id,
                    "provider_payment_charge_id": "",
                });
                (charge_id, push_payment(st, &spec, payment))
            });
            result.charge_id = Some(charge_id);
            result.update_id = Some(sent.update_id);
            result.message_id = Some(sent.message_id);
        }
        Ok(result)
    }

    /// Pushes the `successful_payment` of an earlier charge again, in a new message and a new
    /// update (what a bot must not credit twice).
    pub async fn resend_successful_payment(&self, charge_id: &str) -> anyhow::Result<UserMessage> {
        let charge = self
            .fake
            .charge(charge_id)
            .with_context(|| format!("no charge {charge_id}"))?;
        let spec = self.spec.clone();
        Ok(self.fake.shared().update(|st| {
            let payment = json!({
                "currency": charge.currency,
                "total_amount": charge.total_amount,
                "invoice_payload": charge.payload,
                "telegram_payment_charge_id": charge.charge_id,
                "provider_payment_charge_id": "",
            });
            push_payment(st, &spec, payment)
        }))
    }

    /// Delivers an earlier update again with the same `update_id`; see
    /// [`FakeTelegram::replay_update`].
    pub async fn replay_update(&self, update_id: i64) -> anyhow::Result<()> {
        self.fake.replay_update(update_id)
    }

    /// Blocks the bot: every call to this chat answers 403 "bot was blocked by the user".
    pub fn block_bot(&self) {
        self.fake.block_user(self.chat_id());
    }

    fn send_message(&self, content: Value, meta: MessageMeta) -> UserMessage {
        let spec = self.spec.clone();
        self.fake
            .shared()
            .update(|st| add_and_push(st, &spec, content, meta))
    }
}

fn add_and_push(st: &mut State, spec: &UserSpec, content: Value, meta: MessageMeta) -> UserMessage {
    let message = st.add_user_message(spec, content, meta);
    let message_id = message["message_id"]
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or_default();
    let update_id = st.push_update(json!({"message": message}));
    UserMessage {
        update_id,
        message_id,
    }
}

fn push_payment(st: &mut State, spec: &UserSpec, payment: Value) -> UserMessage {
    let meta = MessageMeta::new(false, MessageKind::SuccessfulPayment);
    add_and_push(st, spec, json!({"successful_payment": payment}), meta)
}

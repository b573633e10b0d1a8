//! A fake Telegram Bot API server over real HTTP, for tests, the demo and benchmarks. The real
//! teloxide `Bot` talks to it unchanged: `Bot::new(token).set_api_url(fake.api_url())`.
//!
//! # What it must never do
//! It never talks to the real Telegram and never fetches a URL it is given: its only outgoing
//! requests are webhook deliveries, and only to loopback addresses or targets a test set. It
//! never sleeps to fix a race: waits wake on every change of its state (the one pause it takes
//! is a webhook retry's back-off). It never answers a 5xx unless a test injects one (teloxide
//! sleeps 10 s after a 5xx).
//!
//! # Usage
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use tg_fake::{FakeError, FakeTelegram, UserSpec};
//!
//! let fake = FakeTelegram::start("123456:TEST").await;
//! // Give the bot `fake.api_url()` (teloxide: `Bot::new(fake.token()).set_api_url(..)`) and
//! // run it; then play a user:
//! let alice = fake.user(UserSpec::new(42, "Alice").language("ru"));
//! alice.send_text("/start").await;
//! let menu = fake.wait_bot_message(42, Duration::from_secs(2), |m| !m.buttons.is_empty()).await?;
//! let press = alice.press("Balance").await?;
//! fake.wait_callback_answer(&press.callback_id, Duration::from_secs(2)).await?;
//! // Faults: the next sendMessage answers 429, a user who blocked the bot answers 403.
//! fake.fail_next("sendMessage", 1, FakeError::TooManyRequests { retry_after: 1 });
//! fake.block_user(42);
//! # let _ = menu; Ok(()) }
//! ```
//!
//! # The wire
//! - `POST|GET /bot<token>/<method>`, the method in any casing (teloxide sends `SendMessage`);
//!   bodies JSON, `multipart/form-data` (teloxide's choice when a request carries an upload:
//!   text fields, JSON text for structured ones like `reply_markup` and `media`, file parts
//!   named by a random id that a field refers to as `attach://<id>`) or urlencoded; query
//!   parameters too. A wrong token answers 401 `Unauthorized`, an unknown method 404
//!   `Not Found: method not found`. Answers are `{"ok":true,"result":...}` in Bot API shapes,
//!   errors `{"ok":false,"error_code":..,"description":..,"parameters"?}` with Telegram's
//!   wording, so teloxide maps them to its `ApiError` variants.
//! - `GET /file/bot<token>/<file_path>` serves stored files (teloxide escapes the `/` of the
//!   path as `%2F`; both forms work).
//!
//! # Methods
//! `getMe`, `getUpdates` (long polling with `offset`, `limit`, `timeout`, `allowed_updates`
//! — updates of types the bot did not allow are dropped as Telegram does; a second poller ends
//! the first with 409 and counts as an overlap, below; a set webhook makes it 409 too),
//! `setWebhook`, `deleteWebhook`
//! (`drop_pending_updates`) and `getWebhookInfo` (push mode, below), `setMyCommands`,
//! `getMyCommands`, `deleteMyCommands` (per scope and language), `setChatMenuButton`,
//! `getChatMenuButton`, `sendMessage`, `sendPhoto`, `sendVideo`, `sendAudio`, `sendVoice`,
//! `sendDocument`, `sendAnimation`, `sendMediaGroup`, `sendChatAction`, `editMessageText`,
//! `editMessageCaption`, `editMessageReplyMarkup`, `editMessageMedia`, `deleteMessage`,
//! `answerCallbackQuery`, `getFile`, `sendInvoice`, `answerPreCheckoutQuery`,
//! `refundStarPayment`, `close`, `logOut`.
//!
//! Telegram's refusals that bots meet in production are reproduced: an edit that changes
//! nothing (`message is not modified…`), a missing message (`message to edit not found`,
//! `message to delete not found`), an edit without `reply_markup` removes the keyboard (as in
//! Telegram), texts over 4096 or captions over 1024 characters, malformed `parse_mode=HTML`
//! (`can't parse entities: …`, e.g. an unescaped `<`), callback data over 64 bytes
//! (`BUTTON_DATA_INVALID`), a second answer to a callback query (`query is too old…`),
//! `getFile` over 20 MB (`file is too big`), uploads over 50 MB (413), a Stars invoice with
//! more than one price or a provider token, a second refund (`CHARGE_ALREADY_REFUNDED`).
//! HTML texts are stored as sent ([`ChatMessage::text`]) and rendered into visible text and
//! entities on the wire ([`ChatMessage::raw`]); MarkdownV2 is not parsed.
//!
//! # Push mode (webhooks)
//! After `setWebhook` the fake delivers updates as Telegram does, and `getUpdates` answers 409
//! until `deleteWebhook`. `setWebhook` checks like Telegram: `url` must be HTTPS on port 80, 88,
//! 443 or 8443 (`bad webhook: …`); `secret_token` is 1–256 characters of `A-Za-z0-9_-`
//! (`secret token contains unallowed characters`, `secret token is too long`);
//! `max_connections` is clamped into 1–100 (default 40); `allowed_updates` is kept as from
//! `getUpdates`; `drop_pending_updates` forgets the queue. **Leniency:** any `http://` or
//! `https://` URL of a loopback host (`127.0.0.1`, `[::1]`, `localhost`), on any port, is
//! accepted too, which Telegram never would, so tests can receive on a local port.
//!
//! A background task `POST`s each pending update as JSON (`Content-Type: application/json`,
//! `X-Telegram-Bot-Api-Secret-Token` when a secret was set). One chat's updates go strictly in
//! sequence: the next is sent only after the previous got a 2xx. The chat of an update is its
//! `message`'s or `edited_message`'s chat, a `callback_query`'s message chat (else its sender),
//! a `pre_checkout_query`'s sender; any other update goes alone. Different chats go in
//! parallel, at most `max_connections` requests at once. A non-2xx answer or a transport error
//! is retried after a back-off ([`FakeConfig::webhook_retry_first`], doubling up to
//! [`FakeConfig::webhook_retry_max`]; a request times out after
//! [`FakeConfig::webhook_request_timeout`]) before any later update of its chat; an update is
//! confirmed (leaves the queue) only on a 2xx. The answer's body is ignored (Telegram would run
//! a method in it). `getWebhookInfo` reports the URL, `pending_update_count`,
//! `max_connections`, `allowed_updates` and the last error. `deleteWebhook` (or a new
//! `setWebhook`) ends the retries; what is pending waits for `getUpdates` then.
//!
//! The fake connects only to a loopback webhook URL or to targets a test set: a webhook
//! registered elsewhere (the production URL) is recorded, and its updates wait until
//! [`FakeTelegram::set_webhook_targets`] points delivery at receivers of the test —
//! round-robin per request, a load balancer in front of several instances (the registered URL
//! and secret stay what the bot set). [`FakeTelegram::webhook_in_flight`] counts the updates
//! being delivered.
//! [`FakeTelegram::webhook_deliveries`] records every request ([`WebhookDelivery`]: update,
//! target, status or error, attempt, time), [`FakeTelegram::wait_webhook_confirmed`] waits for a
//! 2xx. Fake users work unchanged: they queue updates, only the transport differs.
//!
//! # Overlapping polls
//! Telegram ends one of two concurrent `getUpdates` with 409; a correct deployment never has two
//! in flight. [`FakeTelegram::poll_overlaps`] counts the `getUpdates` calls that arrived while
//! another was still in flight (the older is ended with 409, as before);
//! [`FakeTelegram::polls_in_flight`] and [`FakeTelegram::polls_started`] tell where polling is.
//!
//! # Inspecting
//! [`FakeTelegram::calls`] records every call (lowercased method, parameters, arrival time,
//! status); [`FakeTelegram::chat`] is the visible state of a chat after edits and deletions;
//! [`FakeTelegram::wait_for`] and friends wait on state changes and fail with a dump of the
//! chats. [`FakeTelegram::max_sends_per_window`] checks flood limits.
//! For benchmarks, [`FakeTelegram::set_record_calls`] turns the recording off and
//! [`FakeTelegram::subscribe_calls`] streams a small [`CallEvent`] per answered call instead
//! (no parameters copied, no chat state cloned).
//!
//! # Playing users
//! [`FakeTelegram::user`] gives a [`FakeUser`] who sends texts (commands get a `bot_command`
//! entity), presses inline buttons by label (or forges callback data), uploads photos,
//! documents, audio, voice and video (served back by `getFile`), and pays Stars invoices
//! ([`FakeUser::pay_invoice`]: pre-checkout, the bot's answer, `successful_payment`).
//! Duplicate deliveries: [`FakeUser::resend_successful_payment`] and
//! [`FakeTelegram::replay_update`]. Anything else: [`FakeTelegram::push_raw_update`].

mod api;
mod fake;
mod html;
mod server;
mod state;
mod types;
mod user;
mod webhook;
mod wire;

pub use fake::{FakeConfig, FakeTelegram};
pub use types::{
    BotCommand, Button, Call, CallEvent, CallbackAnswer, ChargeSummary, ChatMessage, FakeError,
    FileSummary, InvoiceSummary, MessageKind, PreCheckoutAnswer, UserSpec, WebhookDelivery,
};
pub use user::{
    FakeUser, PRE_CHECKOUT_TIMEOUT, PaymentResult, PressedButton, UserMedia, UserMessage,
};

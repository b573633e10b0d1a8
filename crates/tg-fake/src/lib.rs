//! A fake Telegram Bot API server over real HTTP, for tests, the demo and benchmarks. The real
//! teloxide `Bot` talks to it unchanged: `Bot::new(token).set_api_url(fake.api_url())`.
//!
//! # What it must never do
//! It never talks to the real Telegram, never fetches a URL it is given, and never sleeps to
//! fix a race: waits wake on every change of its state. It never answers a 5xx unless a test
//! injects one (teloxide sleeps 10 s after a 5xx).
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
//! the first with 409; a set webhook makes it 409 too), `deleteWebhook` (`drop_pending_updates`),
//! `setWebhook` and `getWebhookInfo` (recorded only, nothing is delivered), `setMyCommands`,
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
mod wire;

pub use fake::{FakeConfig, FakeTelegram};
pub use types::{
    BotCommand, Button, Call, CallEvent, CallbackAnswer, ChargeSummary, ChatMessage, FakeError,
    FileSummary, InvoiceSummary, MessageKind, PreCheckoutAnswer, UserSpec,
};
pub use user::{
    FakeUser, PRE_CHECKOUT_TIMEOUT, PaymentResult, PressedButton, UserMedia, UserMessage,
};

//! The public records of the fake: recorded calls, the visible state of a chat, injected faults
//! and the people a test plays.
//!
//! These are plain data, cloned out of the fake's state for a test to look at. They must never
//! hold a lock or a reference into the fake, so a test can keep them across awaits.

use std::time::Instant;

use axum::body::Bytes;
use serde_json::Value;

/// One Bot API call the fake answered, in the order answered.
#[derive(Clone, Debug)]
pub struct Call {
    /// The method, lowercased (`"sendmessage"`, `"getupdates"`).
    pub method: String,
    /// The parameters as a JSON object: the JSON body, or the multipart/urlencoded text fields
    /// (complex values such as `reply_markup` or `media` parsed from their JSON text, integer
    /// and boolean fields converted); file parts are summarised as
    /// `{"file_name": ..., "mime": ..., "len": ...}` under their part name.
    pub params: Value,
    /// When the request arrived (a long `getUpdates` is recorded when answered, so `calls()` is
    /// ordered by answer, not strictly by `at`).
    pub at: Instant,
    /// The HTTP status the fake answered with (200, 400, 403, 429 …).
    pub status: u16,
    /// The error description when `status` is not 200.
    pub error: Option<String>,
}

impl Call {
    /// The numeric `chat_id` parameter, if the call has one.
    pub fn chat_id(&self) -> Option<i64> {
        crate::wire::value_i64(self.params.get("chat_id")?)
    }

    /// A string parameter (`text`, `caption`, `callback_query_id` …).
    pub fn str_param(&self, name: &str) -> Option<&str> {
        self.params.get(name)?.as_str()
    }

    /// Whether this call answered `{"ok": true}`.
    pub fn ok(&self) -> bool {
        self.status == 200
    }
}

/// A short note of one answered call, sent to subscribers of
/// [`FakeTelegram::subscribe_calls`](crate::FakeTelegram::subscribe_calls) as it is answered.
///
/// Cheaper than [`Call`]: no parameters are copied, so a benchmark can follow every call of
/// thousands of users without the fake's own bookkeeping dominating what it measures.
#[derive(Clone, Debug)]
pub struct CallEvent {
    /// The method, lowercased (`"sendmessage"`, `"answercallbackquery"`).
    pub method: String,
    /// The chat it concerns: its `chat_id` parameter, or for `answerCallbackQuery` the chat of
    /// the button press it answers.
    pub chat_id: Option<i64>,
    /// The message sent (from the result) or edited (the `message_id` parameter).
    pub message_id: Option<i32>,
    /// The `callback_query_id` parameter, for `answerCallbackQuery`.
    pub callback_query_id: Option<String>,
    /// When the request arrived (as [`Call::at`]).
    pub at: Instant,
    /// When it was answered.
    pub answered_at: Instant,
    /// The HTTP status the fake answered with.
    pub status: u16,
}

/// One webhook request the fake made to deliver an update (see
/// [`FakeTelegram::webhook_deliveries`](crate::FakeTelegram::webhook_deliveries)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The update delivered.
    pub update_id: i64,
    /// The chat whose updates it is ordered with (`None`: an update with no chat, delivered
    /// in its own lane).
    pub chat_id: Option<i64>,
    /// Where it went: the registered webhook URL, or a test target
    /// ([`FakeTelegram::set_webhook_targets`](crate::FakeTelegram::set_webhook_targets)).
    pub url: url::Url,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The transport error, when it did not (connection refused, timeout …).
    pub error: Option<String>,
    /// 1 for the first request of this update, 2 for its first retry, and so on.
    pub attempt: u32,
    /// When the request was sent.
    pub at: Instant,
    /// When it was answered or failed.
    pub answered_at: Instant,
}

impl WebhookDelivery {
    /// Whether the receiver answered 2xx, which confirms the update.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What kind of message a [`ChatMessage`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A text message.
    Text,
    /// A photo (possibly part of an album, see [`ChatMessage::media_group_id`]).
    Photo,
    /// A video.
    Video,
    /// An audio file (music).
    Audio,
    /// A voice note.
    Voice,
    /// A general file.
    Document,
    /// A GIF or soundless video.
    Animation,
    /// An invoice sent by `sendInvoice`.
    Invoice,
    /// The user's service message about a successful payment.
    SuccessfulPayment,
    /// Anything else (pushed raw).
    Other,
}

/// One inline keyboard button as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    /// The label.
    pub text: String,
    /// `callback_data`, for callback buttons.
    pub callback_data: Option<String>,
    /// `url`, for link buttons.
    pub url: Option<String>,
    /// Whether this is the pay button of an invoice.
    pub pay: bool,
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// The file's name, if the sender gave one (teloxide's `InputFile::memory` sends none
    /// unless `.file_name(..)` is set).
    pub name: Option<String>,
    /// The MIME type: the part's `Content-Type`, else a guess from the name's extension.
    pub mime: Option<String>,
    /// The size Telegram reports (`file_size`): the bytes' length, unless a fake user claimed
    /// another size.
    pub len: u64,
    /// The bytes (empty for a file sent by URL: the fake never fetches URLs).
    pub bytes: Bytes,
    /// The URL, for a file sent by URL.
    pub url: Option<String>,
    /// Telegram's `file_id` of the file (for photos, of the largest size).
    pub file_id: String,
}

/// The invoice of an invoice message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceSummary {
    /// The bot-defined payload (`invoice_payload` of the payment).
    pub payload: String,
    /// The currency (`"XTR"` for Stars).
    pub currency: String,
    /// The sum of the prices, in the currency's smallest units (whole Stars for XTR).
    pub total_amount: i64,
    /// The title.
    pub title: String,
    /// The description.
    pub description: String,
    /// The provider token as sent (`None` when absent; Stars invoices send none or `""`).
    pub provider_token: Option<String>,
    /// The labelled prices: (label, amount).
    pub prices: Vec<(String, i64)>,
}

/// The current visible state of one message in a chat.
#[derive(Clone, Debug)]
pub struct ChatMessage {
    /// The message id (increasing per chat, shared by the bot's and the user's messages).
    pub id: i32,
    /// Whether the bot sent it.
    pub from_bot: bool,
    /// What kind of message it is.
    pub kind: MessageKind,
    /// The text or caption exactly as sent (HTML is not stripped; the wire form in
    /// [`ChatMessage::raw`] is).
    pub text: Option<String>,
    /// The `parse_mode` the text or caption was sent with.
    pub parse_mode: Option<String>,
    /// The inline keyboard, row by row (empty without one).
    pub buttons: Vec<Vec<Button>>,
    /// The attached file (for photos, the largest size).
    pub file: Option<FileSummary>,
    /// The invoice, for invoice messages.
    pub invoice: Option<InvoiceSummary>,
    /// The album this message belongs to (`sendMediaGroup`).
    pub media_group_id: Option<String>,
    /// How many times it was edited (text, caption, markup or media).
    pub edits: u32,
    /// The Bot API `Message` object as Telegram would return it now.
    pub raw: Value,
}

impl ChatMessage {
    /// All buttons, row by row, flattened.
    pub fn all_buttons(&self) -> impl Iterator<Item = &Button> {
        self.buttons.iter().flatten()
    }

    /// The first button whose label contains `label_substring`.
    pub fn button(&self, label_substring: &str) -> Option<&Button> {
        self.all_buttons()
            .find(|b| b.text.contains(label_substring))
    }

    /// The labels of all buttons, row by row, flattened.
    pub fn button_texts(&self) -> Vec<&str> {
        self.all_buttons().map(|b| b.text.as_str()).collect()
    }

    /// The text or caption, or `""`.
    pub fn text_or_empty(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }
}

/// An error the fake answers instead of running a method (see
/// [`FakeTelegram::fail_next`](crate::FakeTelegram::fail_next)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FakeError {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after = N`; teloxide turns
    /// it into `RequestError::RetryAfter`.
    TooManyRequests {
        /// Seconds to wait.
        retry_after: u32,
    },
    /// 403 `Forbidden: bot was blocked by the user` (`ApiError::BotBlocked`).
    Forbidden,
    /// 400 `Bad Request: <text>` (the prefix is added unless present).
    BadRequest(String),
    /// Any status and description, e.g. 502 `Bad Gateway`. Beware: teloxide sleeps 10 s after
    /// any 5xx before reading the body.
    Api {
        /// The HTTP status and `error_code`.
        code: u16,
        /// The `description`.
        description: String,
    },
}

/// A Telegram user a test plays (see [`FakeTelegram::user`](crate::FakeTelegram::user)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSpec {
    /// The user id; their private chat with the bot has the same id.
    pub id: i64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Username without `@`.
    pub username: Option<String>,
    /// IETF language tag, e.g. `"ru"`.
    pub language_code: Option<String>,
}

impl UserSpec {
    /// A user with just an id and a first name.
    pub fn new(id: i64, first_name: &str) -> Self {
        Self {
            id,
            first_name: first_name.to_owned(),
            last_name: None,
            username: None,
            language_code: None,
        }
    }

    /// The same user with a language code.
    pub fn language(mut self, code: &str) -> Self {
        self.language_code = Some(code.to_owned());
        self
    }

    /// The same user with a username.
    pub fn username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }
}

/// How the bot answered a callback query (`answerCallbackQuery`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackAnswer {
    /// The notification text, if any.
    pub text: Option<String>,
    /// Whether it is an alert rather than a toast.
    pub show_alert: bool,
    /// The URL to open, if any.
    pub url: Option<String>,
}

/// How the bot answered a pre-checkout query (`answerPreCheckoutQuery`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreCheckoutAnswer {
    /// `ok`.
    pub ok: bool,
    /// `error_message`, when refused.
    pub error_message: Option<String>,
}

/// A Stars payment the fake completed, and whether the bot refunded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeSummary {
    /// `telegram_payment_charge_id`.
    pub charge_id: String,
    /// The payer.
    pub user_id: i64,
    /// The currency.
    pub currency: String,
    /// The amount.
    pub total_amount: i64,
    /// `invoice_payload`.
    pub payload: String,
    /// Whether `refundStarPayment` refunded it.
    pub refunded: bool,
}

/// A bot command registered with `setMyCommands`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotCommand {
    /// The command without `/`.
    pub command: String,
    /// Its description.
    pub description: String,
}

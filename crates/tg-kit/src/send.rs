//! Sending and editing screens with the failure handling Telegram needs: "message is not
//! modified" is success, a message that can no longer be edited is replaced by a new one, and a
//! 429 is waited out (`retry_after`). Every message waits for its flood allowance
//! ([`UiBot::to_chat`]).
//!
//! This module must never swallow other errors: callers decide what a failure means.

use std::time::Duration;

use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use teloxide::{ApiError, RequestError};

use crate::UiBot;
use crate::screen::Screen;

/// Longest Telegram message text, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// How often a request refused with 429 is tried again before giving up.
const RETRIES_AFTER_429: u32 = 3;

/// 429s met since the process started (for the metrics endpoint; per process, like the
/// limits they reveal a breach of).
static RETRY_AFTERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many 429s (flood waits) Telegram answered this process so far.
pub fn retry_afters() -> u64 {
    RETRY_AFTERS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs `request` again after a 429 for as long as Telegram asks (a few times at most).
pub async fn with_retry_after<T, F, Fut>(mut request: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut tries = 0;
    loop {
        match request().await {
            Err(RequestError::RetryAfter(after)) if tries < RETRIES_AFTER_429 => {
                tries += 1;
                RETRY_AFTERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(?after, "Telegram asked to wait");
                // Telegram's explicit instruction.
                tokio::time::sleep(after.duration().max(Duration::from_millis(50))).await;
            }
            other => return other,
        }
    }
}

/// Makes a request to `chat` (a send of any kind) within its flood allowance, waiting out
/// 429s: the allowance is awaited before every attempt.
pub async fn limited<T, F, Fut>(
    bot: &UiBot,
    chat: ChatId,
    mut request: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    with_retry_after(|| {
        let attempt = request();
        async move {
            bot.to_chat(chat).await;
            attempt.await
        }
    })
    .await
}

/// Sends `screen` as a new message.
pub async fn send(bot: &UiBot, chat: ChatId, screen: &Screen) -> Result<MessageId, RequestError> {
    let text = clip(&screen.text);
    let markup = screen.markup();
    let msg = with_retry_after(|| async {
        let mut req = bot
            .to_chat(chat)
            .await
            .send_message(chat, text.clone())
            .parse_mode(ParseMode::Html);
        if let Some(m) = &markup {
            req = req.reply_markup(m.clone());
        }
        req.await
    })
    .await?;
    Ok(msg.id)
}

/// Replaces message `id` with `screen`, or sends it anew when that message cannot be edited.
pub async fn edit(
    bot: &UiBot,
    chat: ChatId,
    id: MessageId,
    screen: &Screen,
) -> Result<MessageId, RequestError> {
    let text = clip(&screen.text);
    let markup = screen.markup();
    let res = with_retry_after(|| async {
        let mut req = bot
            .to_chat(chat)
            .await
            .edit_message_text(chat, id, text.clone())
            .parse_mode(ParseMode::Html);
        if let Some(m) = &markup {
            req = req.reply_markup(m.clone());
        }
        req.await
    })
    .await;
    match res {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(id),
        Err(RequestError::Api(ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited)) => {
            send(bot, chat, screen).await
        }
        Err(e) => Err(e),
    }
}

/// Edits `id` when given, else sends.
pub async fn show(
    bot: &UiBot,
    chat: ChatId,
    id: Option<MessageId>,
    screen: &Screen,
) -> Result<MessageId, RequestError> {
    match id {
        Some(id) => edit(bot, chat, id, screen).await,
        None => send(bot, chat, screen).await,
    }
}

/// Cuts a text to Telegram's limit (on a character boundary; our own texts never reach it,
/// long user texts are cut with an ellipsis).
pub fn clip(text: &str) -> String {
    clip_to(text, MAX_TEXT_CHARS)
}

/// Cuts `text` to at most `max` characters, ending with "…" when cut.
pub fn clip_to(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// True when Telegram says the user cannot be reached (blocked the bot, deleted the account).
pub fn is_unreachable(e: &RequestError) -> bool {
    matches!(
        e,
        RequestError::Api(
            ApiError::BotBlocked
                | ApiError::UserDeactivated
                | ApiError::ChatNotFound
                | ApiError::BotKicked
                | ApiError::BotKickedFromSupergroup
                | ApiError::CantInitiateConversation
        )
    )
}

/// Edits message `id` in place and nothing else (progress updates: a message that cannot be
/// edited any more is left alone rather than repeated).
pub async fn edit_plain(
    bot: &UiBot,
    chat: ChatId,
    id: MessageId,
    screen: &Screen,
) -> Result<(), RequestError> {
    let text = clip(&screen.text);
    let mut req = bot
        .to_chat(chat)
        .await
        .edit_message_text(chat, id, text)
        .parse_mode(ParseMode::Html);
    if let Some(m) = screen.markup() {
        req = req.reply_markup(m);
    }
    match req.await {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e),
    }
}

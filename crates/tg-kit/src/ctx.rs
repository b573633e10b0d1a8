//! The handler context: who is talking to the bot, loaded once per update from PostgreSQL
//! (their record, created on first contact, and the chat's stored dialogue, in one round trip),
//! and [`guarded`], the wrapper every endpoint runs in.
//!
//! This module must never decide what a user may do (branches do: the ban check, the admin
//! role) and never hold a database connection across a Telegram call.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, CallbackQueryId, User as TgUser};

use crate::UiBot;
use crate::i18n::{I18n, Lang, language_for};

/// What every handler returns.
pub type HandlerResult = anyhow::Result<()>;

/// Who is talking to the bot, loaded once per update.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The user's record (created on first contact).
    pub user: ledger::User,
    /// Their interface language.
    pub lang: Lang,
    /// The private chat with them.
    pub chat: ChatId,
    /// The chat's stored dialogue state when the update arrived (read with the user, in the
    /// same round trip).
    pub dialogue: Option<serde_json::Value>,
}

async fn load(pool: &ledger::Pool, from: &TgUser, chat: ChatId) -> Option<Ctx> {
    let profile = ledger::TelegramProfile {
        id: ledger::UserId(from.id.0 as i64),
        username: from.username.clone(),
        first_name: from.first_name.clone(),
        last_name: from.last_name.clone(),
    };
    let lang = language_for(from.language_code.as_deref());
    let mut conn = match pool.get().await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no database connection");
            return None;
        }
    };
    match ledger::enter(&mut conn, &profile, lang, chat.0).await {
        Ok((mut user, dialogue)) => {
            // They write again, so they no longer block the bot.
            if !user.reachable {
                match ledger::mark_reachable(&mut conn, user.id).await {
                    Ok(()) => user.reachable = true,
                    Err(e) => tracing::warn!(error = %e, "marking a user reachable failed"),
                }
            }
            Some(Ctx {
                lang: user.language,
                user,
                chat,
                dialogue,
            })
        }
        Err(e) => {
            tracing::error!(error = %e, "loading the user failed");
            None
        }
    }
}

/// The context of a message: private chats with people only (the bot's screens and money are
/// personal), `None` for anything else.
pub async fn message_ctx(msg: Message, pool: ledger::Pool) -> Option<Ctx> {
    if !msg.chat.is_private() {
        return None;
    }
    let from = msg.from.as_ref()?;
    if from.is_bot {
        return None;
    }
    load(&pool, from, msg.chat.id).await
}

/// The context of a button press on one of the bot's messages.
pub async fn callback_ctx(q: CallbackQuery, pool: ledger::Pool) -> Option<Ctx> {
    let chat = q.message.as_ref().map(|m| m.chat().id)?;
    load(&pool, &q.from, chat).await
}

/// Runs a handler; if it fails, the user still hears something ("something went wrong,
/// nothing was charged") and the error goes to the log. Money is never at stake here: every
/// money movement is one ledger call that either happened or did not.
pub async fn guarded(
    bot: UiBot,
    i18n: Arc<I18n>,
    ctx: Ctx,
    work: impl std::future::Future<Output = HandlerResult>,
) -> HandlerResult {
    if let Err(e) = work.await {
        tracing::error!(
            user = ctx.user.id.0,
            error = format!("{e:#}"),
            "a handler failed"
        );
        if let Err(e) = bot
            .to_chat(ctx.chat)
            .await
            .send_message(ctx.chat, i18n.t(ctx.lang, "error-internal"))
            .await
        {
            tracing::warn!(error = %e, "telling the user about a failure failed");
        }
    }
    Ok(())
}

/// Answers a callback query at once (a spinner that never stops looks broken).
pub async fn answer(bot: &UiBot, id: CallbackQueryId, text: Option<String>) -> HandlerResult {
    let mut req = bot.api().answer_callback_query(id);
    if let Some(t) = text {
        req = req.text(t);
    }
    if let Err(e) = req.await {
        // "query is too old" after a long outage: the user's tap still acts.
        tracing::warn!(error = %e, "answering a callback query failed");
    }
    Ok(())
}

/// "This button is out of date": the answer to anything forged, stale or foreign.
pub async fn stale(bot: &UiBot, i18n: &I18n, lang: Lang, id: CallbackQueryId) -> HandlerResult {
    answer(bot, id, Some(i18n.t(lang, "stale-button"))).await
}

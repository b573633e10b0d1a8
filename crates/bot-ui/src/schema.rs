//! The handler tree: one [`schema`] from which every update finds its screen.
//!
//! Order matters and is the point of this file: pre-checkout queries are answered before
//! anything slow, then the user is loaded, then payments (credited
//! even to a user banned after paying: Telegram has the Stars), then banned users stop, then
//! commands (a known one, or the short help for an unknown one — also while a wizard step
//! waits for a value), typed input and buttons go to the screens. Duplicate updates never get
//! here: the inbox stores each `update_id` once.
//! This module must never render a screen itself: it only routes.

use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, CallbackQuery, SuccessfulPayment, Update, User as TgUser};

use crate::callback::Action;
use crate::i18n::{I18n, Lang, language_for};
use crate::screens;
use crate::{Ui, UiBot};

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
    /// same round trip; see `State::entry`).
    pub dialogue: Option<serde_json::Value>,
}

/// The commands the bot understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Welcome and the main menu.
    Start,
    /// The main menu.
    Menu,
    /// Balance and receipts.
    Balance,
    /// Top up with Stars.
    TopUp,
    /// Past generations.
    History,
    /// Change the language.
    Language,
    /// How it works.
    Help,
    /// Payment problems.
    PaySupport,
    /// Terms of service.
    Terms,
    /// Leave what is in progress.
    Cancel,
    /// Search models.
    Search,
}

impl Command {
    /// Every command, in menu order, with its name.
    pub const ALL: [(Command, &'static str); 11] = [
        (Command::Start, "start"),
        (Command::Menu, "menu"),
        (Command::Balance, "balance"),
        (Command::TopUp, "topup"),
        (Command::History, "history"),
        (Command::Search, "search"),
        (Command::Language, "language"),
        (Command::Help, "help"),
        (Command::PaySupport, "paysupport"),
        (Command::Terms, "terms"),
        (Command::Cancel, "cancel"),
    ];

    /// Parses "/name", "/name@bot" and "/name args" (arguments are ignored).
    pub fn parse(text: &str) -> Option<Command> {
        let first = text.strip_prefix('/')?.split_whitespace().next()?;
        let name = first.split('@').next()?.to_ascii_lowercase();
        Command::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(c, _)| *c)
    }
}

/// The command list for `setMyCommands` in `lang`.
pub fn commands_for(i18n: &I18n, lang: Lang) -> Vec<BotCommand> {
    Command::ALL
        .iter()
        .map(|(_, name)| BotCommand::new(*name, i18n.t(lang, &format!("cmd-{name}"))))
        .collect()
}

/// The handler tree. Dependencies: [`Ui`] and [`UiBot`].
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_pre_checkout_query().endpoint(screens::balance::pre_checkout))
        .branch(
            Update::filter_message()
                .filter_map_async(message_ctx)
                // Before the ban check: Telegram has taken the Stars, so they are credited
                // even to a user banned since the pre-checkout answer.
                .branch(
                    dptree::filter_map(|m: Message| m.successful_payment().cloned()).endpoint(
                        |bot: UiBot, ui: Ui, ctx: Ctx, p: SuccessfulPayment| {
                            let work = screens::balance::successful_payment(
                                bot.clone(),
                                ui.clone(),
                                ctx.clone(),
                                p,
                            );
                            guarded(bot, ui, ctx, work)
                        },
                    ),
                )
                .branch(dptree::filter(|ctx: Ctx| ctx.user.banned).endpoint(banned_message))
                .branch(
                    dptree::filter_map(|m: Message| m.text().and_then(Command::parse)).endpoint(
                        |bot: UiBot, ui: Ui, ctx: Ctx, cmd: Command| {
                            let work = screens::command(bot.clone(), ui.clone(), ctx.clone(), cmd);
                            guarded(bot, ui, ctx, work)
                        },
                    ),
                )
                .branch(
                    dptree::filter(|m: Message| starts_with_command(&m)).endpoint(
                        |bot: UiBot, ui: Ui, ctx: Ctx| {
                            let work = screens::menu::unknown_command(
                                bot.clone(),
                                ui.clone(),
                                ctx.clone(),
                            );
                            guarded(bot, ui, ctx, work)
                        },
                    ),
                )
                .endpoint(|bot: UiBot, ui: Ui, ctx: Ctx, msg: Message| {
                    let work = screens::input(bot.clone(), ui.clone(), ctx.clone(), msg);
                    guarded(bot, ui, ctx, work)
                }),
        )
        .branch(
            Update::filter_callback_query()
                .filter_map_async(callback_ctx)
                .branch(dptree::filter(|ctx: Ctx| ctx.user.banned).endpoint(banned_callback))
                .endpoint(|bot: UiBot, ui: Ui, ctx: Ctx, q: CallbackQuery| {
                    let work = button(bot.clone(), ui.clone(), ctx.clone(), q);
                    guarded(bot, ui, ctx, work)
                }),
        )
}

/// Runs a handler; if it fails, the user still hears something ("something went wrong,
/// nothing was charged") and the error goes to the log. Money is never at stake here: every
/// money movement is one ledger call that either happened or did not.
async fn guarded(
    bot: UiBot,
    ui: Ui,
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
            .send_message(ctx.chat, ui.i18n.t(ctx.lang, "error-internal"))
            .await
        {
            tracing::warn!(error = %e, "telling the user about a failure failed");
        }
    }
    Ok(())
}

/// True when the message begins with a command as Telegram marks it (a `bot_command` entity
/// at offset 0), known to us or not: "/frobnicate" at a number step is a command, not a value.
fn starts_with_command(msg: &Message) -> bool {
    msg.entities().is_some_and(|entities| {
        entities
            .iter()
            .any(|e| e.offset == 0 && e.kind == teloxide::types::MessageEntityKind::BotCommand)
    }) || msg.text().is_some_and(|t| {
        t.starts_with('/') && t[1..].starts_with(|c: char| c.is_ascii_alphabetic())
    })
}

async fn load_ctx(ui: &Ui, from: &TgUser, chat: ChatId) -> Option<Ctx> {
    let profile = ledger::TelegramProfile {
        id: ledger::UserId(from.id.0 as i64),
        username: from.username.clone(),
        first_name: from.first_name.clone(),
        last_name: from.last_name.clone(),
    };
    let lang = language_for(from.language_code.as_deref());
    let mut conn = match ui.db().await {
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

async fn message_ctx(msg: Message, ui: Ui) -> Option<Ctx> {
    // Only private chats: the bot's screens and money are personal.
    if !msg.chat.is_private() {
        return None;
    }
    let from = msg.from.as_ref()?;
    if from.is_bot {
        return None;
    }
    load_ctx(&ui, from, msg.chat.id).await
}

async fn callback_ctx(q: CallbackQuery, ui: Ui) -> Option<Ctx> {
    let chat = q.message.as_ref().map(|m| m.chat().id)?;
    load_ctx(&ui, &q.from, chat).await
}

async fn banned_message(bot: UiBot, ui: Ui, ctx: Ctx) -> HandlerResult {
    bot.to_chat(ctx.chat)
        .await
        .send_message(ctx.chat, ui.i18n.t(ctx.lang, "banned"))
        .await?;
    Ok(())
}

async fn banned_callback(bot: UiBot, ui: Ui, ctx: Ctx, q: CallbackQuery) -> HandlerResult {
    bot.api()
        .answer_callback_query(q.id)
        .text(ui.i18n.t(ctx.lang, "banned"))
        .show_alert(true)
        .await?;
    Ok(())
}

/// A button press: answered at once, then routed. Data that is not ours, or a button for a
/// message we did not send, gets "out of date" and changes nothing.
async fn button(bot: UiBot, ui: Ui, ctx: Ctx, q: CallbackQuery) -> HandlerResult {
    let action = q.data.as_deref().and_then(Action::decode);
    let message = q.message.as_ref().map(|m| m.id());
    match (action, message) {
        (Some(action), Some(message)) => {
            screens::button(bot, ui, ctx, q.id.clone(), message, action).await
        }
        _ => screens::stale(&bot, &ui, &ctx, q.id.clone()).await,
    }
}

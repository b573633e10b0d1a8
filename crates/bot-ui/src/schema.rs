//! The user interface's branches of the handler tree. `bot` assembles the whole tree from
//! them and the admin branch, in this order: pre-checkout queries are answered before anything
//! slow ([`pre_checkout`]); then the user is loaded (`tg_kit::ctx`); then payments ([`payments`],
//! credited even to a user banned after paying: Telegram has the Stars); then banned users stop
//! ([`banned_messages`], [`banned_callbacks`]); then the admin branch; then commands (a known
//! one, or the short help for an unknown one — also while a wizard step waits for a value),
//! typed input ([`messages`]) and buttons ([`callbacks`]) go to the screens. Duplicate updates
//! never get here: the inbox stores each `update_id` once.
//!
//! Endpoints need [`Ui`], [`UiBot`] and, from the context filters, [`Ctx`].
//! This module must never render a screen itself: it only routes.

use teloxide::dispatching::{DpHandlerDescription, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, CallbackQuery, SuccessfulPayment, Update};
use tg_kit::{Ctx, HandlerResult};

use crate::callback::Action;
use crate::i18n::{I18n, Lang};
use crate::screens;
use crate::{Ui, UiBot};

/// A branch of the handler tree.
pub type Branch = Handler<'static, HandlerResult, DpHandlerDescription>;

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

/// Pre-checkout queries: answered within Telegram's 10 seconds, before any user is loaded.
pub fn pre_checkout() -> Branch {
    Update::filter_pre_checkout_query().endpoint(screens::balance::pre_checkout)
}

/// A Stars payment (under the message context): credited before the ban check, since
/// Telegram has taken the Stars even from a user banned since the pre-checkout answer.
pub fn payments() -> Branch {
    dptree::filter_map(|m: Message| m.successful_payment().cloned()).endpoint(
        |bot: UiBot, ui: Ui, ctx: Ctx, p: SuccessfulPayment| {
            let work =
                screens::balance::successful_payment(bot.clone(), ui.clone(), ctx.clone(), p);
            guarded(bot, ui, ctx, work)
        },
    )
}

/// A banned user's message: one short answer and nothing else.
pub fn banned_messages() -> Branch {
    dptree::filter(|ctx: Ctx| ctx.user.banned).endpoint(banned_message)
}

/// A banned user's button press: an alert and nothing else.
pub fn banned_callbacks() -> Branch {
    dptree::filter(|ctx: Ctx| ctx.user.banned).endpoint(banned_callback)
}

/// Messages (under the message context): commands, then typed input and files.
pub fn messages() -> Branch {
    dptree::entry()
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
                    let work = screens::menu::unknown_command(bot.clone(), ui.clone(), ctx.clone());
                    guarded(bot, ui, ctx, work)
                },
            ),
        )
        .endpoint(|bot: UiBot, ui: Ui, ctx: Ctx, msg: Message| {
            let work = screens::input(bot.clone(), ui.clone(), ctx.clone(), msg);
            guarded(bot, ui, ctx, work)
        })
}

/// Button presses (under the callback context): every data no other branch owns.
pub fn callbacks() -> Branch {
    dptree::endpoint(|bot: UiBot, ui: Ui, ctx: Ctx, q: CallbackQuery| {
        let work = button(bot.clone(), ui.clone(), ctx.clone(), q);
        guarded(bot, ui, ctx, work)
    })
}

/// The user interface alone, for tools that run it without the admin branch: the same order
/// as the bot's tree.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(pre_checkout())
        .branch(
            Update::filter_message()
                .filter_map_async(tg_kit::ctx::message_ctx)
                .branch(payments())
                .branch(banned_messages())
                .branch(messages()),
        )
        .branch(
            Update::filter_callback_query()
                .filter_map_async(tg_kit::ctx::callback_ctx)
                .branch(banned_callbacks())
                .branch(callbacks()),
        )
}

/// [`tg_kit::guarded`] with this crate's parts.
async fn guarded(
    bot: UiBot,
    ui: Ui,
    ctx: Ctx,
    work: impl std::future::Future<Output = HandlerResult>,
) -> HandlerResult {
    tg_kit::guarded(bot, ui.i18n.clone(), ctx, work).await
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

//! The screens, and the three entry points the handler tree routes to: [`command`] (a
//! /command), [`input`] (any other message: typed text or a file, read against the chat's
//! state) and [`button`] (a decoded inline button).
//!
//! Each screen module renders with pure functions (`… -> Screen`) and has small async handlers
//! around them that read the database, then talk to Telegram. Nothing here holds a database
//! connection across a Telegram call.

pub mod balance;
pub mod catalog;
pub mod confirm;
pub mod history;
pub mod menu;
pub mod presets;
pub mod wizard;

use teloxide::prelude::*;
use teloxide::types::{CallbackQueryId, MessageId};

use crate::callback::Action;
use crate::schema::Command;
use crate::state::{Mode, State};
use crate::{Ui, UiBot};
use tg_kit::{Ctx, HandlerResult};

pub use tg_kit::ctx::answer;

/// "This button is out of date": the answer to anything forged, stale or foreign.
pub async fn stale(bot: &UiBot, ui: &Ui, ctx: &Ctx, id: CallbackQueryId) -> HandlerResult {
    tg_kit::ctx::stale(bot, &ui.i18n, ctx.lang, id).await
}

/// A /command.
pub async fn command(bot: UiBot, ui: Ui, ctx: Ctx, cmd: Command) -> HandlerResult {
    // A command leaves any text-input mode; a wizard in progress stays until /cancel or a new
    // one starts, except that the menu commands drop it (its buttons would be stale anyway).
    let mut state = State::entry(&ctx);
    let before = state.clone();
    state.mode = Mode::Normal;
    match cmd {
        Command::Start | Command::Menu | Command::Cancel => state.wizard = None,
        _ => {}
    }
    if state != before {
        state.save(&mut *ui.db().await?, ctx.chat.0).await?;
    }
    match cmd {
        Command::Start => menu::start(&bot, &ui, &ctx).await,
        Command::Menu => menu::show_menu(&bot, &ui, &ctx, None).await,
        Command::Cancel => menu::cancelled(&bot, &ui, &ctx, before.wizard.is_some()).await,
        Command::Balance => balance::show_balance(&bot, &ui, &ctx, None).await,
        Command::TopUp => balance::show_top_up(&bot, &ui, &ctx, None).await,
        Command::History => history::show_page(&bot, &ui, &ctx, None, None).await,
        Command::Search => catalog::ask_search(&bot, &ui, &ctx, None).await,
        Command::Language => menu::show_language(&bot, &ui, &ctx, None).await,
        Command::Help => menu::show_help(&bot, &ui, &ctx, None).await,
        Command::PaySupport => balance::pay_support(&bot, &ui, &ctx).await,
        Command::Terms => menu::show_terms(&bot, &ui, &ctx).await,
    }
}

/// A message that is not a command: what it means depends on the chat's state.
pub async fn input(bot: UiBot, ui: Ui, ctx: Ctx, msg: Message) -> HandlerResult {
    let state = State::entry(&ctx);
    match state.mode {
        Mode::Search if msg.text().is_some() => {
            catalog::search(&bot, &ui, &ctx, state, msg.text().unwrap_or_default()).await
        }
        Mode::TopUpAmount if msg.text().is_some() => {
            balance::custom_amount(&bot, &ui, &ctx, state, msg.text().unwrap_or_default()).await
        }
        Mode::PresetName { job } if msg.text().is_some() => {
            let text = msg.text().unwrap_or_default();
            presets::name_typed(&bot, &ui, &ctx, state, job, text).await
        }
        _ => match state.wizard {
            Some(_) => wizard::input(&bot, &ui, &ctx, state, &msg).await,
            None => menu::unexpected_input(&bot, &ui, &ctx).await,
        },
    }
}

/// A button. Navigation edits the message the button was on.
pub async fn button(
    bot: UiBot,
    ui: Ui,
    ctx: Ctx,
    q: CallbackQueryId,
    message: MessageId,
    action: Action,
) -> HandlerResult {
    let at = Some(message);
    match action {
        Action::Wizard { rev, op } => wizard::on_button(&bot, &ui, &ctx, q, message, rev, op).await,
        Action::Job { job, op } => history::job_button(&bot, &ui, &ctx, q, message, job, op).await,
        Action::TopUpStars { stars } => balance::invoice(&bot, &ui, &ctx, q, stars).await,
        Action::Language { lang } => menu::set_language(&bot, &ui, &ctx, q, message, lang).await,
        Action::Star { model, on } => catalog::star(&bot, &ui, &ctx, q, message, &model, on).await,
        Action::Preset { id, op } => presets::on_button(&bot, &ui, &ctx, q, message, id, op).await,
        Action::Noop => answer(&bot, q, None).await,
        other => {
            answer(&bot, q, None).await?;
            match other {
                Action::Menu => {
                    leave_text_modes(&ui, &ctx, true).await?;
                    menu::show_menu(&bot, &ui, &ctx, at).await
                }
                Action::Category { category, page } => {
                    catalog::show_category(&bot, &ui, &ctx, at, category, page).await
                }
                Action::Free { page } => catalog::show_free(&bot, &ui, &ctx, at, page).await,
                Action::Popular { page } => catalog::show_popular(&bot, &ui, &ctx, at, page).await,
                Action::Favourites { page } => {
                    catalog::show_favourites(&bot, &ui, &ctx, at, page).await
                }
                Action::Search => catalog::ask_search(&bot, &ui, &ctx, at).await,
                Action::Card { model } => catalog::show_card(&bot, &ui, &ctx, at, &model).await,
                Action::Generate { model } => wizard::start(&bot, &ui, &ctx, at, &model).await,
                Action::History { before } => history::show_page(&bot, &ui, &ctx, at, before).await,
                Action::Balance => balance::show_balance(&bot, &ui, &ctx, at).await,
                Action::TopUp => balance::show_top_up(&bot, &ui, &ctx, at).await,
                Action::TopUpCustom => balance::ask_amount(&bot, &ui, &ctx).await,
                Action::Help => menu::show_help(&bot, &ui, &ctx, at).await,
                Action::Wizard { .. }
                | Action::Job { .. }
                | Action::TopUpStars { .. }
                | Action::Language { .. }
                | Action::Star { .. }
                | Action::Preset { .. }
                | Action::Noop => unreachable!("handled above"),
            }
        }
    }
}

/// Makes typed text mean `mode` (a search query, a Stars amount); the wizard stays.
pub async fn set_mode(ui: &Ui, ctx: &Ctx, mode: Mode) -> HandlerResult {
    let mut conn = ui.db().await?;
    let mut state = State::load(&mut conn, ctx.chat.0).await?;
    state.mode = mode;
    state.save(&mut conn, ctx.chat.0).await
}

/// Leaves search / amount entry; with `drop_wizard`, also the wizard.
pub async fn leave_text_modes(ui: &Ui, ctx: &Ctx, drop_wizard: bool) -> HandlerResult {
    let mut conn = ui.db().await?;
    let mut state = State::load(&mut conn, ctx.chat.0).await?;
    let before = state.clone();
    state.mode = Mode::Normal;
    if drop_wizard {
        state.wizard = None;
    }
    if state != before {
        state.save(&mut conn, ctx.chat.0).await?;
    }
    Ok(())
}

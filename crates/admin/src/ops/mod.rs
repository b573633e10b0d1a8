//! The panel's operations, one file per area: [`home`], [`users`] (lists, search, the card),
//! [`models`], [`log`], [`admins`], and [`actions`] (the two-step ones: propose, confirm,
//! cancel). Each reads what it needs, renders a pure screen, then talks to Telegram; none holds
//! a database connection across a Telegram call.
//!
//! Every entry point here receives an [`Actor`] whose role the branch read for this very
//! update; operations that need more than `support` check it again.

pub mod actions;
pub mod admins;
pub mod analytics;
pub mod broadcasts;
pub mod broken;
pub mod errors;
pub mod home;
pub mod log;
pub mod models;
pub mod refunds;
pub mod settings;
pub mod stats;
pub mod users;

use ledger::UserId;
use teloxide::types::{CallbackQueryId, MessageId};
use tg_kit::{Ctx, HandlerResult, Screen, UiBot};

use crate::Admin;
use crate::broadcast::Change;
use crate::button::AdminButton;
use crate::command::{self, AdminCommand};
use crate::pending::Plan;
use crate::roles::Role;

/// The admin who wrote or pressed, with the role just read from the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    /// Their id.
    pub id: UserId,
    /// Their role now.
    pub role: Role,
}

impl Actor {
    /// True when their role is at least `needed`.
    pub fn may(&self, needed: Role) -> bool {
        self.role >= needed
    }
}

/// An admin command.
pub async fn command(
    bot: UiBot,
    admin: Admin,
    ctx: Ctx,
    actor: Actor,
    text: String,
) -> HandlerResult {
    let Some(parsed) = command::parse(&text) else {
        return home::show(&bot, &admin, &ctx, actor, None).await;
    };
    let cmd = match parsed {
        Ok(cmd) => cmd,
        Err(name) => {
            let usage = admin.i18n.t(ctx.lang, &format!("admin-usage-{name}"));
            return send_screen(&bot, &ctx, &Screen::new(usage)).await;
        }
    };
    let (target, plan) = match cmd {
        AdminCommand::Home => return home::show(&bot, &admin, &ctx, actor, None).await,
        AdminCommand::Find { query } => {
            return users::find(&bot, &admin, &ctx, actor, &query).await;
        }
        AdminCommand::Models { query } => {
            return models::search(&bot, &admin, &ctx, &query).await;
        }
        AdminCommand::Log { filter } => {
            return log::page(&bot, &admin, &ctx, actor, None, filter.as_ref(), None).await;
        }
        AdminCommand::Credit { user, rub, reason } => (Some(user), Plan::Credit { rub, reason }),
        AdminCommand::Debit { user, rub, reason } => (Some(user), Plan::Debit { rub, reason }),
        AdminCommand::Ban { user, reason } => (Some(user), Plan::Ban { reason }),
        AdminCommand::Unban { user } => (Some(user), Plan::Unban),
        AdminCommand::Disable { model, reason } => (None, Plan::DisableModel { model, reason }),
        AdminCommand::Enable { model } => (None, Plan::EnableModel { model }),
        AdminCommand::Grant { user, role } => (Some(user), Plan::Grant { role }),
        AdminCommand::Revoke { user } => (Some(user), Plan::Revoke),
        AdminCommand::Refund { payment, reason } => {
            return refunds::propose_stars(&bot, &admin, &ctx, actor, payment, reason).await;
        }
        AdminCommand::RefundJob { job, reason } => {
            return refunds::propose_job(&bot, &admin, &ctx, actor, job, reason).await;
        }
        AdminCommand::Settings => return settings::show(&bot, &admin, &ctx).await,
        AdminCommand::Set { key, value, reason } => {
            return settings::propose_set(&bot, &admin, &ctx, actor, key, value, reason).await;
        }
        AdminCommand::Free => return settings::free(&bot, &admin, &ctx).await,
        AdminCommand::FreeAdd { model, reason } => {
            return settings::propose_free(&bot, &admin, &ctx, actor, model, true, reason).await;
        }
        AdminCommand::FreeRemove { model, reason } => {
            return settings::propose_free(&bot, &admin, &ctx, actor, model, false, reason).await;
        }
        AdminCommand::Broadcast { segment, text } => (None, Plan::Broadcast { segment, text }),
        AdminCommand::Broadcasts => {
            return broadcasts::list(&bot, &admin, &ctx, actor, None).await;
        }
    };
    actions::propose(&bot, &admin, &ctx, actor, target.map(UserId), plan, None).await
}

/// An admin button.
pub async fn button(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    q: CallbackQueryId,
    message: MessageId,
    pressed: AdminButton,
) -> HandlerResult {
    let at = Some(message);
    match pressed {
        AdminButton::Confirm { action } => {
            return actions::confirm(bot, admin, ctx, actor, q, message, action).await;
        }
        AdminButton::Cancel { action } => {
            return actions::cancel(bot, admin, ctx, actor, q, message, action).await;
        }
        _ => tg_kit::ctx::answer(bot, q, None).await?,
    }
    match pressed {
        AdminButton::Home => home::show(bot, admin, ctx, actor, at).await,
        AdminButton::Users { order, page } => {
            users::list(bot, admin, ctx, actor, at, order, page).await
        }
        AdminButton::Card { user } => users::card(bot, admin, ctx, actor, at, UserId(user)).await,
        AdminButton::Unban { user } => {
            actions::propose(
                bot,
                admin,
                ctx,
                actor,
                Some(UserId(user)),
                Plan::Unban,
                None,
            )
            .await
        }
        AdminButton::Models { page } => models::list(bot, admin, ctx, at, page).await,
        AdminButton::Model { model } => models::card(bot, admin, ctx, actor, at, &model).await,
        AdminButton::Enable { model } => {
            actions::propose(
                bot,
                admin,
                ctx,
                actor,
                None,
                Plan::EnableModel { model },
                None,
            )
            .await
        }
        AdminButton::Log { before } => log::page(bot, admin, ctx, actor, at, None, before).await,
        AdminButton::Admins => admins::list(bot, admin, ctx, at).await,
        AdminButton::Stats { days, order, page } => {
            stats::show(bot, admin, ctx, at, days, order, page).await
        }
        AdminButton::Broken => broken::show(bot, admin, ctx, at).await,
        AdminButton::DisableBroken { model } => {
            broken::disable(bot, admin, ctx, actor, model).await
        }
        AdminButton::Analytics => analytics::show(bot, admin, ctx, at).await,
        AdminButton::AnalyticsChart => analytics::chart(bot, admin, ctx).await,
        AdminButton::AnalyticsCsv => analytics::csv(bot, admin, ctx).await,
        AdminButton::Errors { days } => errors::show(bot, admin, ctx, actor, at, days).await,
        AdminButton::LogFiltered { filter, before } => {
            log::page(bot, admin, ctx, actor, at, Some(&filter), before).await
        }
        AdminButton::LogCsv { filter } => log::csv(bot, admin, ctx, actor, filter.as_ref()).await,
        AdminButton::Broadcasts => broadcasts::list(bot, admin, ctx, actor, at).await,
        AdminButton::BroadcastPause { id } => {
            broadcasts::change(bot, admin, ctx, actor, at, id, Change::Pause).await
        }
        AdminButton::BroadcastResume { id } => {
            broadcasts::change(bot, admin, ctx, actor, at, id, Change::Resume).await
        }
        AdminButton::BroadcastCancel { id } => {
            broadcasts::change(bot, admin, ctx, actor, at, id, Change::Cancel).await
        }
        AdminButton::Confirm { .. } | AdminButton::Cancel { .. } => Ok(()),
    }
}

/// Sends `screen` to the admin as a new message.
pub(crate) async fn send_screen(bot: &UiBot, ctx: &Ctx, screen: &Screen) -> HandlerResult {
    tg_kit::send::send(bot, ctx.chat, screen).await?;
    Ok(())
}

/// Edits message `at` into `screen`, or sends it when there is none.
pub(crate) async fn show_screen(
    bot: &UiBot,
    ctx: &Ctx,
    at: Option<MessageId>,
    screen: &Screen,
) -> HandlerResult {
    tg_kit::send::show(bot, ctx.chat, at, screen).await?;
    Ok(())
}

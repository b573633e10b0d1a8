//! The two-step actions: [`propose`] checks the role and the arguments, stores the pending
//! action and shows its effect in plain words with Confirm and Cancel; [`confirm`] takes it
//! (once, only its own admin, before it expires), checks the role again, runs it, records the
//! outcome and tells the user it concerns.
//!
//! Money moves only through the ledger: `ledger::adjust`, keyed by the pending action's id, and
//! the refunds (`super::refunds`), keyed by the payment or the job they refund.

use ledger::{Adjustment, MoveOutcome, UserId};
use serde_json::json;
use teloxide::types::{CallbackQueryId, ChatId, MessageId};
use tg_kit::{Args, Ctx, HandlerResult, Screen, UiBot};

use super::{Actor, send_screen, show_screen};
use crate::pending::{self, Pending, Plan};
use crate::roles::{self, Role};
use crate::{Admin, screens};

/// The role an action needs: support may ban and unban; money, models and admins are the
/// owners'.
pub fn needed_role(plan: &Plan) -> Role {
    match plan {
        Plan::Ban { .. } | Plan::Unban => Role::Support,
        _ => Role::Owner,
    }
}

/// Why an action cannot be proposed, as a message id of this crate.
async fn refusal(
    admin: &Admin,
    actor: Actor,
    target: Option<UserId>,
    plan: &Plan,
) -> anyhow::Result<Option<&'static str>> {
    if !actor.may(needed_role(plan)) {
        return Ok(Some("admin-owner-only"));
    }
    let mut conn = admin.db().await?;
    if let Some(target) = target
        && ledger::user(&mut conn, target).await?.is_none()
        && !matches!(plan, Plan::Grant { .. } | Plan::Revoke)
    {
        return Ok(Some("admin-no-such-user"));
    }
    Ok(match plan {
        Plan::DisableModel { model, .. } | Plan::EnableModel { model }
            if admin.catalog.get(model).is_none() =>
        {
            Some("admin-no-such-model")
        }
        Plan::Revoke if target.is_some_and(|t| admin.config.owner_ids.contains(&t.0)) => {
            Some("admin-seeded-owner")
        }
        Plan::Revoke | Plan::Grant { .. } if target == Some(actor.id) => Some("admin-not-yourself"),
        Plan::Ban { .. } if target.is_some_and(|t| admin.config.owner_ids.contains(&t.0)) => {
            Some("admin-seeded-owner")
        }
        _ => None,
    })
}

/// Stores a pending action and shows its preview (or why it cannot be done).
pub async fn propose(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    target: Option<UserId>,
    plan: Plan,
    at: Option<MessageId>,
) -> HandlerResult {
    if let Some(why) = refusal(admin, actor, target, &plan).await? {
        return send_screen(bot, ctx, &Screen::new(admin.i18n.t(ctx.lang, why))).await;
    }
    let (pending, preview) = {
        let mut conn = admin.db().await?;
        let pending =
            pending::propose(&mut conn, actor.id, target, &plan, admin.config.confirm_ttl).await?;
        let facts = screens::actions::Facts::read(&mut conn, admin, &pending).await?;
        (pending.id, facts)
    };
    let screen = screens::actions::preview(&admin.i18n, ctx.lang, pending, &preview);
    if let Plan::Broadcast { .. } = plan {
        // The preview is the message itself: Telegram's answer checks the owner's HTML.
        return super::broadcasts::send_preview(bot, admin, ctx, actor, pending, &screen).await;
    }
    show_screen(bot, ctx, at, &screen).await
}

/// Runs a pending action, once.
pub async fn confirm(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    q: CallbackQueryId,
    message: MessageId,
    action: i64,
) -> HandlerResult {
    let taken = pending::take(&mut *admin.db().await?, action, actor.id).await?;
    let Some(pending) = taken else {
        let text = admin.i18n.t(ctx.lang, "admin-action-gone");
        return tg_kit::ctx::answer(bot, q, Some(text)).await;
    };
    tg_kit::ctx::answer(bot, q, None).await?;
    if !actor.may(needed_role(&pending.plan)) {
        pending::finish(
            &mut *admin.db().await?,
            pending.id,
            false,
            json!({"refused": "role"}),
        )
        .await?;
        return send_screen(
            bot,
            ctx,
            &Screen::new(admin.i18n.t(ctx.lang, "admin-owner-only")),
        )
        .await;
    }
    let done = run(bot, admin, actor, ctx.lang, &pending).await;
    let (ok, outcome, text) = match done {
        Ok(Done::Applied { message, notice }) => {
            if let (Some(target), Some(notice)) = (pending.target, notice) {
                tell_user(bot, admin, target, notice).await;
            }
            (true, json!({"ok": true}), message)
        }
        Ok(Done::Refused(why)) => (false, json!({"refused": why}), admin.i18n.t(ctx.lang, why)),
        Ok(Done::Failed { message, outcome }) => (false, outcome, message),
        Err(e) => {
            tracing::error!(
                action = pending.id,
                error = format!("{e:#}"),
                "an admin action failed"
            );
            (
                false,
                json!({"error": e.to_string()}),
                admin.i18n.t(ctx.lang, "error-internal"),
            )
        }
    };
    pending::finish(&mut *admin.db().await?, pending.id, ok, outcome).await?;
    // Models and settings are in the storefront: show the change at once.
    admin.storefront.invalidate();
    let label = admin.i18n.t(ctx.lang, "admin-back-home");
    let screen = Screen::new(text).row(vec![tg_kit::button(
        label,
        crate::button::AdminButton::Home.encode(),
    )]);
    show_screen(bot, ctx, Some(message), &screen).await
}

/// Drops a pending action.
pub async fn cancel(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    q: CallbackQueryId,
    message: MessageId,
    action: i64,
) -> HandlerResult {
    let cancelled = pending::cancel(&mut *admin.db().await?, action, actor.id).await?;
    let id = if cancelled {
        "admin-cancelled"
    } else {
        "admin-action-gone"
    };
    tg_kit::ctx::answer(bot, q, Some(admin.i18n.t(ctx.lang, id))).await?;
    if cancelled {
        show_screen(
            bot,
            ctx,
            Some(message),
            &Screen::new(admin.i18n.t(ctx.lang, "admin-cancelled")),
        )
        .await?;
    }
    Ok(())
}

/// What running an action came to.
pub(crate) enum Done {
    /// It happened: the admin's message, and what the user is told.
    Applied {
        message: String,
        notice: Option<Notice>,
    },
    /// It could not happen (a message id of this crate); nothing changed.
    Refused(&'static str),
    /// It did not (fully) happen, explained in words (what did and what to do); recorded as
    /// failed with `outcome`. A Stars refund Telegram refused after the ledger marked it.
    Failed {
        message: String,
        outcome: serde_json::Value,
    },
}

/// What the user an action concerned is told, in their own language.
pub(crate) enum Notice {
    Credited {
        rub: pricing::Money,
        reason: String,
    },
    Debited {
        rub: pricing::Money,
        reason: String,
    },
    Banned,
    Unbanned,
    StarsRefunded {
        stars: i64,
        rub: pricing::Money,
        reason: String,
    },
    JobRefunded {
        job: i64,
        rub: pricing::Money,
        reason: String,
    },
}

impl Notice {
    fn render(&self, i18n: &tg_kit::I18n, lang: tg_kit::Lang) -> String {
        match self {
            Notice::Credited { rub, reason } => i18n.tf(
                lang,
                "admin-notice-credited",
                &Args::new().money("rub", lang, *rub).text("reason", reason),
            ),
            Notice::Debited { rub, reason } => i18n.tf(
                lang,
                "admin-notice-debited",
                &Args::new().money("rub", lang, *rub).text("reason", reason),
            ),
            Notice::Banned => i18n.t(lang, "admin-notice-banned"),
            Notice::Unbanned => i18n.t(lang, "admin-notice-unbanned"),
            Notice::StarsRefunded { stars, rub, reason } => i18n.tf(
                lang,
                "admin-notice-stars-refunded",
                &Args::new()
                    .num("stars", *stars)
                    .money("rub", lang, *rub)
                    .text("reason", reason),
            ),
            Notice::JobRefunded { job, rub, reason } => i18n.tf(
                lang,
                "admin-notice-job-refunded",
                &Args::new()
                    .num("job", *job)
                    .money("rub", lang, *rub)
                    .text("reason", reason),
            ),
        }
    }
}

async fn run(
    bot: &UiBot,
    admin: &Admin,
    actor: Actor,
    lang: tg_kit::Lang,
    pending: &Pending,
) -> anyhow::Result<Done> {
    let i18n = &admin.i18n;
    let key = format!("admin-action:{}", pending.id);
    let mut conn = admin.db().await?;
    let target = pending.target;
    let target_user =
        || target.ok_or_else(|| anyhow::anyhow!("action {} has no target", pending.id));
    Ok(match &pending.plan {
        Plan::Credit { rub, reason } | Plan::Debit { rub, reason } => {
            let change = match &pending.plan {
                Plan::Credit { .. } => Adjustment::Credit(*rub),
                _ => Adjustment::Debit(*rub),
            };
            let notice = match change {
                Adjustment::Credit(_) => Notice::Credited {
                    rub: *rub,
                    reason: reason.clone(),
                },
                Adjustment::Debit(_) => Notice::Debited {
                    rub: *rub,
                    reason: reason.clone(),
                },
            };
            match ledger::adjust(&mut conn, actor.id, target_user()?, change, reason, &key).await? {
                MoveOutcome::Applied { balance, .. } => Done::Applied {
                    message: i18n.tf(
                        lang,
                        "admin-done-money",
                        &Args::new().money("available", lang, balance.available),
                    ),
                    notice: Some(notice),
                },
                MoveOutcome::AlreadyApplied { .. } => Done::Refused("admin-action-gone"),
                MoveOutcome::InsufficientFunds { .. } => Done::Refused("admin-insufficient"),
                _ => Done::Refused("admin-action-gone"),
            }
        }
        Plan::Ban { reason } => {
            ledger::ban(&mut conn, actor.id, target_user()?, reason).await?;
            Done::Applied {
                message: i18n.t(lang, "admin-done-ban"),
                notice: Some(Notice::Banned),
            }
        }
        Plan::Unban => {
            ledger::unban(&mut conn, actor.id, target_user()?).await?;
            Done::Applied {
                message: i18n.t(lang, "admin-done-unban"),
                notice: Some(Notice::Unbanned),
            }
        }
        Plan::DisableModel { model, reason } => {
            ledger::set_model_disabled(&mut conn, actor.id, model, true, Some(reason)).await?;
            Done::Applied {
                message: i18n.t(lang, "admin-done-disable"),
                notice: None,
            }
        }
        Plan::EnableModel { model } => {
            ledger::set_model_disabled(&mut conn, actor.id, model, false, None).await?;
            Done::Applied {
                message: i18n.t(lang, "admin-done-enable"),
                notice: None,
            }
        }
        Plan::Grant { role } => {
            let role = Role::parse(role).ok_or_else(|| anyhow::anyhow!("role {role:?}"))?;
            roles::grant(&mut conn, actor.id, target_user()?, role).await?;
            Done::Applied {
                message: i18n.t(lang, "admin-done-grant"),
                notice: None,
            }
        }
        Plan::Revoke => {
            let revoked = roles::revoke(&mut conn, actor.id, target_user()?).await?;
            if revoked {
                Done::Applied {
                    message: i18n.t(lang, "admin-done-revoke"),
                    notice: None,
                }
            } else {
                Done::Refused("admin-not-an-admin")
            }
        }
        // The ledger first, then Telegram, with no connection held across the call.
        Plan::RefundStars { .. } => {
            drop(conn);
            super::refunds::run_stars(bot, admin, actor, lang, pending).await?
        }
        Plan::RefundJob { job, reason } => {
            super::refunds::run_job(&mut conn, admin, actor, lang, *job, reason).await?
        }
        Plan::SetSetting { key, value, reason } => {
            super::settings::run(&mut conn, admin, actor, lang, (key, value, reason)).await?
        }
        // Only creates it (recipients fixed now, keyed by this action); the worker sends.
        Plan::Broadcast { segment, text } => {
            let made =
                crate::broadcast::create(&mut conn, actor.id, pending.id, *segment, text).await?;
            Done::Applied {
                message: i18n.tf(
                    lang,
                    "admin-done-broadcast",
                    &Args::new().num("id", made.id).num("total", made.total),
                ),
                notice: None,
            }
        }
    })
}

/// Tells the user an action concerned them, in their language (once: the action ran once). A
/// user who blocked the bot is marked unreachable; nothing else depends on this message.
async fn tell_user(bot: &UiBot, admin: &Admin, target: UserId, notice: Notice) {
    let lang = match ledger::user(
        &mut *match admin.db().await {
            Ok(conn) => conn,
            Err(_) => return,
        },
        target,
    )
    .await
    {
        Ok(Some(user)) => user.language,
        _ => return,
    };
    let text = notice.render(&admin.i18n, lang);
    let chat = ChatId(target.0);
    if let Err(e) = tg_kit::send::send(bot, chat, &Screen::new(text)).await {
        if tg_kit::send::is_unreachable(&e) {
            if let Ok(mut conn) = admin.db().await {
                let _ = ledger::mark_unreachable(&mut conn, target).await;
            }
        } else {
            tracing::warn!(error = %e, "telling a user about an admin action failed");
        }
    }
}

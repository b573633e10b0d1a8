//! Broadcasts, owners only: the preview (sent as the message itself, so Telegram's answer checks
//! the owner's HTML), the progress screen, and Pause / Resume / Cancel. Creating one is the
//! pending action's run (`actions`); sending is the worker's (`crate::broadcast::run`).

use teloxide::RequestError;
use teloxide::types::MessageId;
use tg_kit::{Args, Ctx, HandlerResult, Screen, UiBot};

use super::{Actor, send_screen, show_screen};
use crate::broadcast::{self, Change};
use crate::roles::Role;
use crate::{Admin, pending, screens};

/// Sends the preview of pending broadcast `action`. If Telegram refuses it (malformed HTML,
/// too long), the pending action is dropped and the owner is told why: what Telegram refuses
/// in the preview it would refuse for every recipient.
pub(crate) async fn send_preview(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    action: i64,
    preview: &Screen,
) -> HandlerResult {
    match tg_kit::send::send(bot, ctx.chat, preview).await {
        Ok(_) => Ok(()),
        Err(RequestError::Api(refused)) => {
            pending::cancel(&mut *admin.db().await?, action, actor.id).await?;
            let text = admin.i18n.tf(
                ctx.lang,
                "admin-broadcast-refused",
                &Args::new().text("error", refused.to_string()),
            );
            send_screen(bot, ctx, &Screen::new(text)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The progress screen (edits `at` when given).
pub async fn list(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    at: Option<MessageId>,
) -> HandlerResult {
    show_list(bot, admin, ctx, actor, at, None).await
}

async fn show_list(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    at: Option<MessageId>,
    notice: Option<String>,
) -> HandlerResult {
    if !actor.may(Role::Owner) {
        let refused = Screen::new(admin.i18n.t(ctx.lang, "admin-owner-only"));
        return show_screen(bot, ctx, at, &refused).await;
    }
    let rows = broadcast::recent(&mut *admin.db().await?, screens::broadcasts::LISTED).await?;
    let screen = screens::broadcasts::list(&admin.i18n, ctx.lang, &rows, notice);
    show_screen(bot, ctx, at, &screen).await
}

/// Pauses, resumes or cancels broadcast `id`, then shows the progress screen.
pub async fn change(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    at: Option<MessageId>,
    id: i64,
    change: Change,
) -> HandlerResult {
    if !actor.may(Role::Owner) {
        return show_list(bot, admin, ctx, actor, at, None).await;
    }
    let changed = broadcast::change(&mut *admin.db().await?, actor.id, id, change).await?;
    let notice = (!changed).then(|| admin.i18n.t(ctx.lang, "admin-broadcast-unchanged"));
    show_list(bot, admin, ctx, actor, at, notice).await
}

//! The admin branch: admin commands and `a:` buttons, each behind a fresh read of the role.
//! A non-admin never matches, so their update goes on to the user interface, which answers it
//! as an unknown command or a stale button — exactly what they saw before the panel existed.
//!
//! This module must never act: it routes to `ops` with the [`Actor`] it just read.

use teloxide::dispatching::DpHandlerDescription;
use teloxide::prelude::*;
use teloxide::types::CallbackQuery;
use tg_kit::{Ctx, HandlerResult, UiBot};

use crate::Admin;
use crate::button::AdminButton;
use crate::command;
use crate::ops::{self, Actor};

type Branch = Handler<'static, HandlerResult, DpHandlerDescription>;

/// Admin commands (under the message context).
pub fn messages() -> Branch {
    dptree::filter(|m: Message| m.text().and_then(command::name_of).is_some())
        .filter_map_async(actor)
        .endpoint(
            |bot: UiBot, admin: Admin, ctx: Ctx, actor: Actor, m: Message| {
                let text = m.text().unwrap_or_default().to_string();
                let work = ops::command(bot.clone(), admin.clone(), ctx.clone(), actor, text);
                tg_kit::guarded(bot, admin.i18n.clone(), ctx, work)
            },
        )
}

/// Admin buttons (under the callback context).
pub fn callbacks() -> Branch {
    dptree::filter(|q: CallbackQuery| {
        q.data
            .as_deref()
            .is_some_and(|d| tg_kit::callback::ADMIN.owns(d))
    })
    .filter_map_async(actor)
    .endpoint(
        |bot: UiBot, admin: Admin, ctx: Ctx, actor: Actor, q: CallbackQuery| {
            let work = button(bot.clone(), admin.clone(), ctx.clone(), actor, q);
            tg_kit::guarded(bot, admin.i18n.clone(), ctx, work)
        },
    )
}

/// The role of whoever sent the update, read now; `None` (the branch does not match) for
/// anyone who is not an admin, or when it cannot be read.
async fn actor(ctx: Ctx, admin: Admin) -> Option<Actor> {
    let mut conn = match admin.db().await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, "no database connection for the role check");
            return None;
        }
    };
    match crate::roles::role_of(&mut conn, ctx.user.id).await {
        Ok(Some(role)) => Some(Actor {
            id: ctx.user.id,
            role,
        }),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "reading an admin role failed");
            None
        }
    }
}

async fn button(
    bot: UiBot,
    admin: Admin,
    ctx: Ctx,
    actor: Actor,
    q: CallbackQuery,
) -> HandlerResult {
    let pressed = q.data.as_deref().and_then(AdminButton::decode);
    let message = q.message.as_ref().map(|m| m.id());
    match (pressed, message) {
        (Some(pressed), Some(message)) => {
            ops::button(&bot, &admin, &ctx, actor, q.id.clone(), message, pressed).await
        }
        _ => tg_kit::ctx::stale(&bot, &admin.i18n, ctx.lang, q.id.clone()).await,
    }
}

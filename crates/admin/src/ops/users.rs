//! Users: the lists, the search and the card. Opening a card or searching is a view of users'
//! data, so it is written to the audit log with the read.

use chrono::Utc;
use ledger::UserId;
use ledger::reports::UserOrder;
use serde_json::json;
use teloxide::types::MessageId;
use tg_kit::{Ctx, HandlerResult, Screen, UiBot};

use super::{Actor, send_screen, show_screen};
use crate::{Admin, screens};

/// A page of users.
pub async fn list(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    _actor: Actor,
    at: Option<MessageId>,
    order: UserOrder,
    page: u16,
) -> HandlerResult {
    let size = admin.config.page_size;
    let (counts, rows) = {
        let mut conn = admin.db().await?;
        let counts = ledger::reports::users::user_counts(&mut conn, Utc::now()).await?;
        let offset = page as i64 * size as i64;
        let rows = ledger::reports::users::user_list(&mut conn, order, size as i64, offset).await?;
        (counts, rows)
    };
    let screen = screens::users::list(&admin.i18n, ctx.lang, order, page, size, &counts, &rows);
    show_screen(bot, ctx, at, &screen).await
}

/// Users matching `query` (an id, @username or part of a name).
pub async fn find(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    query: &str,
) -> HandlerResult {
    let rows = {
        let mut conn = admin.db().await?;
        let rows = ledger::reports::user_card::find_users(&mut conn, query, 20).await?;
        ledger::record_audit(
            &mut conn,
            Some(actor.id),
            "admin_find",
            None,
            json!({"query": query, "found": rows.len()}),
        )
        .await?;
        rows
    };
    let screen = if rows.is_empty() {
        Screen::new(admin.i18n.tf(
            ctx.lang,
            "admin-found-none",
            &tg_kit::Args::new().text("query", query),
        ))
    } else {
        screens::users::found(&admin.i18n, ctx.lang, query, &rows)
    };
    send_screen(bot, ctx, &screen).await
}

/// A user's card.
pub async fn card(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    at: Option<MessageId>,
    user: UserId,
) -> HandlerResult {
    let card = {
        let mut conn = admin.db().await?;
        let card = ledger::reports::user_card::user_card(&mut conn, user).await?;
        if card.is_some() {
            ledger::record_audit(
                &mut conn,
                Some(actor.id),
                "admin_view_user",
                Some(user),
                json!({}),
            )
            .await?;
        }
        card
    };
    let screen = match card {
        Some(card) => screens::users::card(&admin.i18n, ctx.lang, &card),
        None => Screen::new(admin.i18n.t(ctx.lang, "admin-no-such-user")),
    };
    show_screen(bot, ctx, at, &screen).await
}

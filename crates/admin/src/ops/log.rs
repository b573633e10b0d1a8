//! The audit log, paged.

use teloxide::types::MessageId;
use tg_kit::{Ctx, HandlerResult, UiBot};

use super::show_screen;
use crate::{Admin, screens};

/// Records older than `before`, newest first.
pub async fn page(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    at: Option<MessageId>,
    before: Option<i64>,
) -> HandlerResult {
    let size = admin.config.page_size;
    let records = ledger::recent_audit(&mut *admin.db().await?, before, size as i64).await?;
    show_screen(
        bot,
        ctx,
        at,
        &screens::log::page(&admin.i18n, ctx.lang, &records, size),
    )
    .await
}

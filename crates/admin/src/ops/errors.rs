//! Errors: reads the failures of the period (by cause, model and stage, delivery failures,
//! ambiguous creates and late successes) and shows them. The delivery failures name users, so
//! the view is written to the audit log with the read.

use chrono::Utc;
use serde_json::json;
use teloxide::types::MessageId;
use tg_kit::{Ctx, HandlerResult, UiBot};

use super::{Actor, show_screen};
use crate::Admin;
use crate::screens::errors::{ErrorsView, MAX_LINES, page};
use ledger::reports::errors;

/// The failures of the last `days`.
pub async fn show(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    at: Option<MessageId>,
    days: u8,
) -> HandlerResult {
    let since = Utc::now() - chrono::Duration::days(i64::from(days));
    // One more than shown, so the screen knows there are more.
    let limit = MAX_LINES as i64 + 1;
    let (groups, by_model, by_stage, deliveries, ambiguous) = {
        let mut conn = admin.db().await?;
        let groups = errors::failure_groups(&mut conn, since, limit).await?;
        let by_model = errors::failures_by_model(&mut conn, since).await?;
        let by_stage = errors::failures_by_stage(&mut conn, since).await?;
        let deliveries = errors::delivery_failures(&mut conn, since, limit).await?;
        let ambiguous = errors::ambiguous_and_late(&mut conn, since).await?;
        ledger::record_audit(
            &mut conn,
            Some(actor.id),
            "admin_view_errors",
            None,
            json!({"days": days, "delivery_failures": deliveries.len()}),
        )
        .await?;
        (groups, by_model, by_stage, deliveries, ambiguous)
    };
    let view = ErrorsView {
        days,
        groups: &groups,
        by_model: &by_model,
        by_stage: &by_stage,
        deliveries: &deliveries,
        ambiguous: &ambiguous,
    };
    show_screen(bot, ctx, at, &page(&admin.i18n, ctx.lang, &view)).await
}

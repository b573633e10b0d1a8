//! Model stats: reads every model's figures over the period and the effective exchange rate,
//! and shows a page of them.

use chrono::Utc;
use teloxide::types::MessageId;
use tg_kit::i18n::code;
use tg_kit::{Ctx, HandlerResult, UiBot};

use super::show_screen;
use crate::Admin;
use crate::button::StatsOrder;
use crate::screens::stats::{StatsView, page};

/// A page of the model stats over the last `days`.
pub async fn show(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    at: Option<MessageId>,
    days: u8,
    order: StatsOrder,
    page_number: u16,
) -> HandlerResult {
    let (models, rub_per_usd) = {
        let mut conn = admin.db().await?;
        let settings = ledger::effective_settings(&mut conn, &admin.base_settings).await?;
        let since = Utc::now() - chrono::Duration::days(i64::from(days));
        let models = ledger::reports::model_stats::model_stats(&mut conn, since).await?;
        (models, settings.pricing.rub_per_usd)
    };
    let view = StatsView {
        days,
        order,
        page: page_number,
        page_size: admin.config.page_size,
        rub_per_usd,
        models: &models,
    };
    let title = |id: &str| {
        admin
            .catalog
            .get(id)
            .map(|m| m.title.get(code(ctx.lang)).to_string())
    };
    show_screen(bot, ctx, at, &page(&admin.i18n, ctx.lang, &view, title)).await
}

//! Analytics: reads the last 30 UTC days (one row per day) at the effective exchange rate and
//! shows their summary; Chart sends them as a PNG photo, CSV as a document. Files go through
//! `tg_kit::send::limited`, so they respect the flood limits and Telegram's 429s.

use chrono::{NaiveDate, Utc};
use ledger::reports::DayFigures;
use rust_decimal::Decimal;
use teloxide::payloads::{SendDocumentSetters, SendPhotoSetters};
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageId, ParseMode};
use tg_kit::{Ctx, HandlerResult, UiBot};

use super::show_screen;
use crate::screens::analytics::{self, DAYS};
use crate::{Admin, export};

/// The period's days, its first and last day, and the rate they were converted at.
struct Period {
    from: NaiveDate,
    to: NaiveDate,
    rub_per_usd: Decimal,
    days: Vec<DayFigures>,
    active_users: i64,
}

async fn read(admin: &Admin) -> anyhow::Result<Period> {
    let mut conn = admin.db().await?;
    let settings = ledger::effective_settings(&mut conn, &admin.base_settings).await?;
    let rub_per_usd = settings.pricing.rub_per_usd;
    let to = Utc::now().date_naive();
    let from = to - chrono::Duration::days(i64::from(DAYS) - 1);
    let days = ledger::reports::daily_analytics(&mut conn, from, DAYS, rub_per_usd).await?;
    let active_users = ledger::reports::distinct_active_users(&mut conn, from, DAYS).await?;
    Ok(Period {
        from,
        to,
        rub_per_usd,
        days,
        active_users,
    })
}

/// The summary of the last 30 days, with the Chart and CSV buttons.
pub async fn show(bot: &UiBot, admin: &Admin, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    let p = read(admin).await?;
    let summary = ledger::reports::summary(&p.days, p.active_users);
    let screen = analytics::summary(&admin.i18n, ctx.lang, p.from, p.to, p.rub_per_usd, &summary);
    show_screen(bot, ctx, at, &screen).await
}

/// Sends the chart of the last 30 days as a photo.
pub async fn chart(bot: &UiBot, admin: &Admin, ctx: &Ctx) -> HandlerResult {
    let p = read(admin).await?;
    let chart = analytics::chart(&admin.i18n, ctx.lang, &p.days);
    let caption = teloxide::utils::html::escape(&chart.title);
    // CPU-bound (a few milliseconds): off the async workers.
    let png = tokio::task::spawn_blocking(move || export::daily_chart_png(&chart)).await??;
    let file = InputFile::memory(png).file_name("analytics.png");
    let chat = ctx.chat;
    let api = bot.api();
    tg_kit::send::limited(bot, chat, || {
        api.send_photo(chat, file.clone())
            .caption(caption.clone())
            .parse_mode(ParseMode::Html)
            .into_future()
    })
    .await?;
    Ok(())
}

/// Sends the last 30 days as a CSV document, its columns explained in the caption.
pub async fn csv(bot: &UiBot, admin: &Admin, ctx: &Ctx) -> HandlerResult {
    let p = read(admin).await?;
    let table = analytics::table(ctx.lang, &p.days);
    let bytes = export::to_csv(&table)?;
    let caption = analytics::csv_caption(&admin.i18n, ctx.lang, p.from, p.to, &table);
    let name = format!("analytics-{}-{}.csv", p.from, p.to);
    let file = InputFile::memory(bytes).file_name(name);
    let chat = ctx.chat;
    let api = bot.api();
    tg_kit::send::limited(bot, chat, || {
        api.send_document(chat, file.clone())
            .caption(caption.clone())
            .parse_mode(ParseMode::Html)
            .into_future()
    })
    .await?;
    Ok(())
}

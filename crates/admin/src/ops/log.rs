//! The audit log, paged, all of it or under a filter, and its CSV export. The log holds users'
//! data, so every view and export is itself written to the log, with the read.

use serde_json::json;
use teloxide::payloads::SendDocumentSetters;
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageId, ParseMode};
use tg_kit::{Ctx, HandlerResult, UiBot};

use super::{Actor, show_screen};
use crate::button::LogFilter;
use crate::{Admin, export, screens};

/// At most this many records go into one CSV export (the newest).
pub const CSV_MAX_ROWS: usize = 5000;

/// Records read per query of an export.
const CSV_BATCH: usize = 1000;

fn audited(filter: Option<&LogFilter>) -> (Option<ledger::UserId>, serde_json::Value) {
    let target = match filter {
        Some(LogFilter::User(id)) => Some(ledger::UserId(*id)),
        _ => None,
    };
    (target, json!(filter.map(LogFilter::describe)))
}

/// Records matching `filter` older than `before`, newest first.
pub async fn page(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    at: Option<MessageId>,
    filter: Option<&LogFilter>,
    before: Option<i64>,
) -> HandlerResult {
    let size = admin.config.page_size;
    let wanted = filter.map(LogFilter::audit).unwrap_or_default();
    let records = {
        let mut conn = admin.db().await?;
        let records = ledger::audit_page(&mut conn, &wanted, before, size as i64).await?;
        let (target, described) = audited(filter);
        ledger::record_audit(
            &mut conn,
            Some(actor.id),
            "admin_view_log",
            target,
            json!({"filter": described, "before": before, "shown": records.len()}),
        )
        .await?;
        records
    };
    show_screen(
        bot,
        ctx,
        at,
        &screens::log::page(&admin.i18n, ctx.lang, &records, size, filter),
    )
    .await
}

/// Sends the records matching `filter` (the newest [`CSV_MAX_ROWS`]) as a CSV document.
pub async fn csv(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    filter: Option<&LogFilter>,
) -> HandlerResult {
    let wanted = filter.map(LogFilter::audit).unwrap_or_default();
    let (records, complete) = {
        let mut conn = admin.db().await?;
        let mut records: Vec<ledger::AuditRecord> = Vec::new();
        let mut complete = false;
        while records.len() < CSV_MAX_ROWS {
            let before = records.last().map(|r| r.id);
            let batch = ledger::audit_page(&mut conn, &wanted, before, CSV_BATCH as i64).await?;
            let last = batch.len() < CSV_BATCH;
            records.extend(batch);
            if last {
                complete = true;
                break;
            }
        }
        records.truncate(CSV_MAX_ROWS);
        let (target, described) = audited(filter);
        ledger::record_audit(
            &mut conn,
            Some(actor.id),
            "admin_export_log",
            target,
            json!({"filter": described, "rows": records.len()}),
        )
        .await?;
        (records, complete)
    };
    let table = screens::log::table(ctx.lang, &records);
    let bytes = export::to_csv(&table)?;
    let caption = screens::log::csv_caption(
        &admin.i18n,
        ctx.lang,
        filter,
        records.len(),
        complete,
        &table,
    );
    let name = match filter {
        Some(f) => format!("audit-{}.csv", f.describe().replace(':', "-")),
        None => "audit.csv".to_string(),
    };
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

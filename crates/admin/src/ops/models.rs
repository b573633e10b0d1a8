//! Models: the list with their states (on sale, failing, disabled, off in the registry) and a
//! model's admin card with its last 30 days.

use teloxide::types::MessageId;
use tg_kit::{Ctx, HandlerResult, Screen, UiBot};

use super::{Actor, show_screen};
use crate::Admin;
use crate::screens::models::{self, ModelState};

/// A page of every model in the registry with its state.
pub async fn list(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    at: Option<MessageId>,
    page: u16,
) -> HandlerResult {
    let (overrides, health) = read_states(admin).await?;
    let all: Vec<_> = admin
        .catalog
        .models()
        .iter()
        .map(|m| (m, ModelState::of(m, &overrides, &health)))
        .collect();
    let screen = models::list(&admin.i18n, ctx.lang, page, admin.config.page_size, &all);
    show_screen(bot, ctx, at, &screen).await
}

/// Models matching `query` (id, titles, tags), with their states: at most one page.
pub async fn search(bot: &UiBot, admin: &Admin, ctx: &Ctx, query: &str) -> HandlerResult {
    const MAX_HITS: usize = 20;
    let (overrides, health) = read_states(admin).await?;
    let hits: Vec<_> = admin
        .catalog
        .search(query)
        .into_iter()
        .take(MAX_HITS)
        .map(|m| (m, ModelState::of(m, &overrides, &health)))
        .collect();
    let screen = if hits.is_empty() {
        let args = tg_kit::Args::new().text("query", query);
        Screen::new(admin.i18n.tf(ctx.lang, "admin-models-none", &args))
    } else {
        models::list(&admin.i18n, ctx.lang, 0, hits.len(), &hits)
    };
    super::send_screen(bot, ctx, &screen).await
}

/// A model's admin card with its last 30 days.
pub async fn card(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    _actor: Actor,
    at: Option<MessageId>,
    model_id: &str,
) -> HandlerResult {
    let Some(model) = admin.catalog.get(model_id) else {
        let gone = Screen::new(admin.i18n.t(ctx.lang, "admin-no-such-model"));
        return show_screen(bot, ctx, at, &gone).await;
    };
    let (overrides, health) = read_states(admin).await?;
    let (settings, stats) = {
        let mut conn = admin.db().await?;
        let settings = ledger::effective_settings(&mut conn, &admin.base_settings).await?;
        let since = chrono::Utc::now() - chrono::Duration::days(30);
        let stats = ledger::reports::model_stats::model_stats(&mut conn, since).await?;
        (settings, stats)
    };
    let state = ModelState::of(model, &overrides, &health);
    let stats = stats.iter().find(|s| s.model_id == model.id);
    let screen = models::card(
        &admin.i18n,
        ctx.lang,
        model,
        &state,
        &settings.pricing,
        stats,
    );
    show_screen(bot, ctx, at, &screen).await
}

/// The admins' overrides and the models' recent health.
async fn read_states(
    admin: &Admin,
) -> anyhow::Result<(
    Vec<ledger::ModelOverride>,
    Vec<ledger::reports::health::ModelHealth>,
)> {
    let mut conn = admin.db().await?;
    let overrides = ledger::model_overrides(&mut conn).await?;
    let rule = ledger::reports::health::HealthRule::default();
    let health =
        ledger::reports::health::model_health(&mut conn, chrono::Utc::now(), &rule).await?;
    Ok((overrides, health))
}

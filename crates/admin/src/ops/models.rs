//! Models: the list with their states and a model's admin card.

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
    let overrides = ledger::model_overrides(&mut *admin.db().await?).await?;
    let all: Vec<_> = admin
        .catalog
        .models()
        .iter()
        .map(|m| (m, ModelState::of(m, &overrides)))
        .collect();
    let screen = models::list(&admin.i18n, ctx.lang, page, admin.config.page_size, &all);
    show_screen(bot, ctx, at, &screen).await
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
        return show_screen(
            bot,
            ctx,
            at,
            &Screen::new(admin.i18n.t(ctx.lang, "admin-no-such-model")),
        )
        .await;
    };
    let (overrides, settings, stats) = {
        let mut conn = admin.db().await?;
        let overrides = ledger::model_overrides(&mut conn).await?;
        let settings = ledger::effective_settings(&mut conn, &admin.base_settings).await?;
        let since = chrono::Utc::now() - chrono::Duration::days(30);
        let stats = ledger::reports::model_stats::model_stats(&mut conn, since).await?;
        (overrides, settings, stats)
    };
    let state = ModelState::of(model, &overrides);
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

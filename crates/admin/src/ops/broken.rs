//! Broken models: reads the models' health now and lists the failing ones; Disable proposes
//! the usual two-step `Plan::DisableModel` with a reason worked out from the figures read at
//! that moment (the button carries only the model's id). Taking a model off sale is the
//! owners' (`actions::propose` refuses support).

use chrono::Utc;
use ledger::reports::HealthRule;
use teloxide::types::MessageId;
use tg_kit::i18n::code;
use tg_kit::{Ctx, HandlerResult, UiBot};

use super::{Actor, actions, show_screen};
use crate::Admin;
use crate::pending::Plan;
use crate::screens::broken::{self, BrokenModel};
use crate::screens::models::ModelState;

/// The failing models with their newest errors.
pub async fn show(bot: &UiBot, admin: &Admin, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    let (health, overrides) = {
        let mut conn = admin.db().await?;
        let health =
            ledger::reports::health::model_health(&mut conn, Utc::now(), &HealthRule::default())
                .await?;
        (health, ledger::model_overrides(&mut conn).await?)
    };
    let models: Vec<BrokenModel<'_>> = broken::failing(&health)
        .into_iter()
        .map(|h| {
            let model = admin.catalog.get(&h.model_id);
            BrokenModel {
                health: h,
                title: model.map(|m| m.title.get(code(ctx.lang)).to_string()),
                off_sale: model.is_none_or(|m| !ModelState::of(m, &overrides, &health).on_sale()),
            }
        })
        .collect();
    show_screen(bot, ctx, at, &broken::list(&admin.i18n, ctx.lang, &models)).await
}

/// Proposes to take `model` off sale, with the reason its figures give now.
pub async fn disable(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    model: String,
) -> HandlerResult {
    let health = {
        let mut conn = admin.db().await?;
        ledger::reports::health::model_health(&mut conn, Utc::now(), &HealthRule::default()).await?
    };
    let reason = broken::reason(health.iter().find(|h| h.model_id == model));
    actions::propose(
        bot,
        admin,
        ctx,
        actor,
        None,
        Plan::DisableModel { model, reason },
        None,
    )
    .await
}

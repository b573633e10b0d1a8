//! The home screen: reads the health figures (each one cheap query, Kie's balance with a short
//! timeout) and shows them.

use chrono::Utc;
use teloxide::types::MessageId;
use tg_kit::{Ctx, HandlerResult, UiBot};

use super::{Actor, show_screen};
use crate::Admin;
use crate::screens::home::{Health, home};

/// Shows the home screen (edits `at` when given).
pub async fn show(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    at: Option<MessageId>,
) -> HandlerResult {
    let health = read(admin).await?;
    show_screen(
        bot,
        ctx,
        at,
        &home(&admin.i18n, ctx.lang, actor.role, &health),
    )
    .await
}

async fn read(admin: &Admin) -> anyhow::Result<Health> {
    let kie_credits =
        match tokio::time::timeout(std::time::Duration::from_secs(3), admin.kie.credit()).await {
            Ok(Ok(credits)) => Some(credits),
            _ => None,
        };
    let mut conn = admin.db().await?;
    let now = Utc::now();
    let in_flight = ledger::stats::jobs_by_state(&mut conn)
        .await?
        .into_iter()
        .filter(|(state, _)| {
            state
                .parse::<ledger::JobState>()
                .is_ok_and(|s| !s.is_final())
        })
        .map(|(_, n)| n)
        .sum();
    let errors_last_hour =
        ledger::reports::errors::failure_groups(&mut conn, now - chrono::Duration::hours(1), 200)
            .await?
            .iter()
            .map(|g| g.count)
            .sum();
    let settings = ledger::effective_settings(&mut conn, &admin.base_settings).await?;
    let today = ledger::reports::analytics::daily_analytics(
        &mut conn,
        now.date_naive(),
        1,
        settings.pricing.rub_per_usd,
    )
    .await?;
    let counts = ledger::reports::users::user_counts(&mut conn, now).await?;
    Ok(Health {
        kie_credits,
        paused: generation::is_paused(&mut conn).await?,
        jobs_in_flight: in_flight,
        inbox_depth: inbox::depth(&mut conn).await?,
        errors_last_hour,
        revenue_today: today
            .first()
            .map(|d| pricing::Money::floor(d.revenue_rub))
            .unwrap_or_default(),
        kie_cost_today_usd: today.first().map(|d| d.kie_cost_usd).unwrap_or_default(),
        users_total: counts.total,
        users_active_1d: counts.active_1d,
        users_paying: counts.paying,
    })
}

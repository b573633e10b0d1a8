//! Settings and the free models. `/settings` and `/free` are views (support may look);
//! `/set <key> <value> <reason>` and `/free add|remove <model>` are owners' two-step changes,
//! both through one path: `Plan::SetSetting`, previewed with its effect (how many models
//! change price, the cheapest before and after, the free set before and after) and written by
//! `ledger::set_setting` (checked there with `pricing::Settings::check`, audited in the same
//! statement). The preview's check is the same function ([`ledger::setting_candidate`]), so a
//! change the ledger would refuse (a markup below 1: selling below cost) is refused before it
//! is ever proposed.
//!
//! The storefront cache is dropped after every confirmed action (`actions::confirm`), so this
//! instance's users see a new price or free set at once, others within the cache's time to live.

use chrono::Utc;
use ledger::{AsyncPgConnection, LedgerError};
use pricing::Settings;
use serde_json::json;
use storefront::Storefront;
use tg_kit::{Args, Ctx, HandlerResult, Screen, UiBot};

use super::actions::{self, Done};
use super::{Actor, send_screen};
use crate::Admin;
use crate::pending::Plan;
use crate::screens::settings::{
    Cheapest, FreeModel, FreeView, SettingEffect, SettingsView, value_of,
};

/// `/settings`: every runtime setting, where its value comes from, and the latest changes.
pub async fn show(bot: &UiBot, admin: &Admin, ctx: &Ctx) -> HandlerResult {
    let view = {
        let mut conn = admin.db().await?;
        SettingsView {
            settings: ledger::effective_settings(&mut conn, &admin.base_settings).await?,
            file: admin.base_settings.clone(),
            overridden: ledger::current_overrides(&mut conn)
                .await?
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
            history: ledger::settings_history(&mut conn, 10).await?,
        }
    };
    let screen = crate::screens::settings::settings(&admin.i18n, ctx.lang, &view);
    send_screen(bot, ctx, &screen).await
}

/// `/free`: the free models now, the per-user quotas, and today's free budget.
pub async fn free(bot: &UiBot, admin: &Admin, ctx: &Ctx) -> HandlerResult {
    let (store, spent) = {
        let mut conn = admin.db().await?;
        let store =
            Storefront::load(&mut conn, admin.catalog.clone(), &admin.base_settings).await?;
        let spent = ledger::free_budget_spent(&mut conn, Utc::now().date_naive()).await?;
        (store, spent)
    };
    let settings = store.settings().clone();
    let lang = tg_kit::i18n::code(ctx.lang);
    let mut free: Vec<FreeModel> = store
        .free_models()
        .iter()
        .filter_map(|id| store.on_sale(id))
        .map(|m| FreeModel {
            id: m.id.clone(),
            title: m.title.get(lang).to_string(),
            price: m.price_range(&settings.pricing).min,
        })
        .collect();
    // Cheapest first, as the automatic choice picks them.
    free.sort_by(|a, b| (a.price, &a.id).cmp(&(b.price, &b.id)));
    let listed_off_sale = settings
        .free
        .models
        .iter()
        .filter(|m| store.on_sale(m).is_none())
        .cloned()
        .collect();
    let view = FreeView {
        settings,
        free,
        listed_off_sale,
        spent_today_usd: spent,
    };
    let screen = crate::screens::settings::free(&admin.i18n, ctx.lang, &view);
    send_screen(bot, ctx, &screen).await
}

fn cheapest(store: &Storefront, settings: &Settings) -> Option<Cheapest> {
    store
        .models()
        .into_iter()
        .map(|m| (m.price_range(&settings.pricing).min, m.id.clone()))
        .min()
        .map(|(price, model)| Cheapest { model, price })
}

/// What changing `key` to `value` would do, or why it cannot be done (the ledger's words).
pub(crate) async fn effect(
    conn: &mut AsyncPgConnection,
    admin: &Admin,
    key: &str,
    value: &str,
) -> anyhow::Result<Result<SettingEffect, String>> {
    let file = &admin.base_settings;
    let current = ledger::effective_settings(conn, file).await?;
    let candidate = match ledger::setting_candidate(conn, file, key, Some(value)).await {
        Ok(candidate) => candidate,
        Err(LedgerError::Invalid(why)) => return Ok(Err(why)),
        Err(e) => return Err(e.into()),
    };
    let overrides = ledger::model_overrides(conn).await?;
    let now = Storefront::new(admin.catalog.clone(), current.clone(), overrides.clone());
    let after = Storefront::new(admin.catalog.clone(), candidate.clone(), overrides);
    // Settings never change what is on sale: the same models, quoted both ways.
    let on_sale = now.models();
    let changed = on_sale
        .iter()
        .filter(|m| {
            let (a, b) = (
                m.price_range(&current.pricing),
                m.price_range(&candidate.pricing),
            );
            (a.min, a.max) != (b.min, b.max)
        })
        .count();
    Ok(Ok(SettingEffect {
        before: value_of(&current, key),
        after: value_of(&candidate, key),
        on_sale: on_sale.len(),
        changed,
        cheapest_before: cheapest(&now, &current),
        cheapest_after: cheapest(&after, &candidate),
        free_before: now.free_models(),
        free_after: after.free_models(),
        stars: (
            current.stars.rub_for_stars(100),
            candidate.stars.rub_for_stars(100),
        ),
    }))
}

/// Checks a change (owners only; valid under `pricing::Settings::check`; not already in force)
/// and proposes it.
async fn propose_change(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    plan: Plan,
) -> HandlerResult {
    let Plan::SetSetting { key, value, .. } = &plan else {
        anyhow::bail!("not a setting change: {plan:?}");
    };
    let i18n = &admin.i18n;
    let effect = effect(&mut *admin.db().await?, admin, key, value).await?;
    let refusal = match effect {
        Err(problem) => Some(i18n.tf(
            ctx.lang,
            "admin-setting-refused",
            &Args::new().text("problem", problem),
        )),
        Ok(e) if e.before == e.after => Some(i18n.tf(
            ctx.lang,
            "admin-setting-unchanged",
            &Args::new().raw(
                "value",
                format!("<code>{}</code>", teloxide::utils::html::escape(&e.after)),
            ),
        )),
        Ok(_) => None,
    };
    if let Some(text) = refusal {
        return send_screen(bot, ctx, &Screen::new(text)).await;
    }
    actions::propose(bot, admin, ctx, actor, None, plan, None).await
}

/// `/set <key> <value> <reason>`.
pub async fn propose_set(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    key: String,
    value: String,
    reason: String,
) -> HandlerResult {
    let plan = Plan::SetSetting { key, value, reason };
    if !actor.may(actions::needed_role(&plan)) {
        let text = admin.i18n.t(ctx.lang, "admin-owner-only");
        return send_screen(bot, ctx, &Screen::new(text)).await;
    }
    propose_change(bot, admin, ctx, actor, plan).await
}

/// `/free add <model>` (`add`) or `/free remove <model>`: a new explicit list of free models.
/// With the automatic choice in force, the list starts from the models free now, so adding one
/// keeps the others free; a list emptied by a removal returns to the automatic choice (the
/// preview shows the free set before and after).
pub async fn propose_free(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    model: String,
    add: bool,
    reason: String,
) -> HandlerResult {
    let refuse = |why: &'static str| async move {
        send_screen(bot, ctx, &Screen::new(admin.i18n.t(ctx.lang, why))).await
    };
    let probe = Plan::SetSetting {
        key: "free.models".into(),
        value: String::new(),
        reason: reason.clone(),
    };
    if !actor.may(actions::needed_role(&probe)) {
        return refuse("admin-owner-only").await;
    }
    if admin.catalog.get(&model).is_none() {
        return refuse("admin-no-such-model").await;
    }
    let store = Storefront::load(
        &mut *admin.db().await?,
        admin.catalog.clone(),
        &admin.base_settings,
    )
    .await?;
    let policy = &store.settings().free;
    let mut list = if policy.models.is_empty() {
        store.free_models()
    } else {
        policy.models.clone()
    };
    if add {
        if store.is_free(&model) {
            return refuse("admin-free-already").await;
        }
        if store.on_sale(&model).is_none() {
            return refuse("admin-free-off-sale-refused").await;
        }
        list.push(model);
    } else {
        if !list.contains(&model) {
            return refuse("admin-free-not-listed").await;
        }
        list.retain(|m| *m != model);
    }
    list.sort();
    list.dedup();
    let plan = Plan::SetSetting {
        key: "free.models".into(),
        value: list.join(","),
        reason,
    };
    propose_change(bot, admin, ctx, actor, plan).await
}

/// Runs a confirmed setting change through the ledger (which checks it again and audits it).
pub(crate) async fn run(
    conn: &mut AsyncPgConnection,
    admin: &Admin,
    actor: Actor,
    lang: tg_kit::Lang,
    (key, value, reason): (&str, &str, &str),
) -> anyhow::Result<Done> {
    let i18n = &admin.i18n;
    match ledger::set_setting(
        conn,
        &admin.base_settings,
        actor.id,
        key,
        Some(value),
        reason,
    )
    .await
    {
        Ok(settings) => Ok(Done::Applied {
            message: i18n.tf(
                lang,
                "admin-done-setting",
                &Args::new().raw("key", format!("<code>{key}</code>")).raw(
                    "value",
                    format!(
                        "<code>{}</code>",
                        teloxide::utils::html::escape(&value_of(&settings, key))
                    ),
                ),
            ),
            notice: None,
        }),
        // Valid when proposed, no longer with the other settings in force now.
        Err(LedgerError::Invalid(problem)) => Ok(Done::Failed {
            message: i18n.tf(
                lang,
                "admin-setting-refused",
                &Args::new().text("problem", &problem),
            ),
            outcome: json!({"refused": problem}),
        }),
        Err(e) => Err(e.into()),
    }
}

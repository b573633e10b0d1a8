//! Models: the list with each model's state, and a model's admin card (price rule, last 30 days).

use catalog::Model;
use ledger::ModelOverride;
use ledger::reports::model_stats::ModelStats;
use pricing::{Money, PriceSettings};
use tg_kit::i18n::{code, fmt_money};
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::{home_button, pager};
use crate::button::AdminButton;

/// Whether a model is on sale, as an admin sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelState {
    /// On sale.
    OnSale,
    /// Taken off sale by an admin, with the reason.
    Disabled(String),
    /// Off in the registry itself (not an admin's choice), with its reason.
    Unlisted(String),
}

impl ModelState {
    /// The state of `model` under `overrides`.
    pub fn of(model: &Model, overrides: &[ModelOverride]) -> ModelState {
        if !model.enabled {
            return ModelState::Unlisted(model.disabled_reason.clone().unwrap_or_default());
        }
        match overrides.iter().find(|o| o.model_id == model.id) {
            Some(o) if o.disabled => ModelState::Disabled(o.reason.clone().unwrap_or_default()),
            _ => ModelState::OnSale,
        }
    }

    fn mark(&self) -> &'static str {
        match self {
            ModelState::OnSale => "✅",
            ModelState::Disabled(_) => "⛔",
            ModelState::Unlisted(_) => "⏸",
        }
    }
}

/// A page of models (registry order) with their states.
pub fn list(
    i18n: &I18n,
    lang: Lang,
    page: u16,
    page_size: usize,
    models: &[(&Model, ModelState)],
) -> Screen {
    let start = page as usize * page_size;
    let shown: Vec<_> = models.iter().skip(start).take(page_size).collect();
    let on_sale = models
        .iter()
        .filter(|(_, s)| *s == ModelState::OnSale)
        .count();
    let head = i18n.tf(
        lang,
        "admin-models-head",
        &Args::new()
            .num("total", models.len() as i64)
            .num("on_sale", on_sale as i64),
    );
    let lines: Vec<String> = shown
        .iter()
        .map(|(m, s)| {
            format!(
                "{} <code>{}</code> — {}",
                s.mark(),
                teloxide::utils::html::escape(&m.id),
                teloxide::utils::html::escape(m.title.get(code(lang)))
            )
        })
        .collect();
    let buttons = shown
        .iter()
        .map(|(m, s)| {
            button(
                format!("{} {}", s.mark(), m.title.get(code(lang))),
                AdminButton::Model {
                    model: m.id.clone(),
                }
                .encode(),
            )
        })
        .collect();
    Screen::new(format!("{head}\n\n{}", lines.join("\n")))
        .grid(buttons, 2)
        .row(pager(page, start + page_size < models.len(), |p| {
            AdminButton::Models { page: p }
        }))
        .row(vec![home_button(i18n, lang)])
}

/// A model's admin card.
pub fn card(
    i18n: &I18n,
    lang: Lang,
    model: &Model,
    state: &ModelState,
    settings: &PriceSettings,
    stats: Option<&ModelStats>,
) -> Screen {
    let range = model.price_range(settings);
    let state_text = match state {
        ModelState::OnSale => i18n.t(lang, "admin-model-on-sale"),
        ModelState::Disabled(reason) => i18n.tf(
            lang,
            "admin-model-disabled",
            &Args::new().text("reason", reason),
        ),
        ModelState::Unlisted(reason) => i18n.tf(
            lang,
            "admin-model-unlisted",
            &Args::new().text("reason", reason),
        ),
    };
    let runs = stats.map_or(0, |s| s.runs);
    let successes = stats.map_or(0, |s| s.successes);
    let success = if runs > 0 {
        (successes * 100 / runs).to_string()
    } else {
        "—".into()
    };
    let revenue = stats.map(|s| s.revenue_rub).unwrap_or_default();
    let kie_cost = stats.map(|s| s.kie_cost_usd).unwrap_or_default();
    let args = Args::new()
        .text("title", model.title.get(code(lang)))
        .text("model", &model.id)
        .raw(
            "category",
            i18n.t(lang, &format!("admin-category-{}", model.category.as_str())),
        )
        .raw("state", state_text)
        .raw("min", fmt_money(lang, range.min))
        .raw("max", fmt_money(lang, range.max))
        .raw("cost_min", format!("${}", range.min_cost_usd.round_dp(4)))
        .raw("cost_max", format!("${}", range.max_cost_usd.round_dp(4)))
        .num("runs", runs)
        .raw("success", success)
        .raw("revenue", fmt_money(lang, Money::floor(revenue)))
        .raw("kie_cost", format!("${}", kie_cost.round_dp(2)));
    let mut screen = Screen::new(i18n.tf(lang, "admin-model-card", &args));
    screen = match state {
        ModelState::Disabled(_) => screen.row(vec![button(
            i18n.t(lang, "admin-enable"),
            AdminButton::Enable {
                model: model.id.clone(),
            }
            .encode(),
        )]),
        ModelState::OnSale => {
            screen.text.push_str("\n\n");
            screen.text.push_str(&i18n.tf(
                lang,
                "admin-model-disable-hint",
                &Args::new().text("model", &model.id),
            ));
            screen
        }
        ModelState::Unlisted(_) => screen,
    };
    screen
        .row(vec![button(
            i18n.t(lang, "admin-models"),
            AdminButton::Models { page: 0 }.encode(),
        )])
        .row(vec![home_button(i18n, lang)])
}

//! Models: the list with each model's state (by category), and a model's admin card (price
//! rule, last 30 days).

use catalog::{Category, Model};
use ledger::ModelOverride;
use ledger::reports::health::{Health, ModelHealth};
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
    /// On sale, and failing lately (`ledger::reports::health`).
    Failing {
        /// Broken (its last runs all failed, or Kie rejects its input), not just often failing.
        broken: bool,
    },
    /// Taken off sale by an admin, with the reason.
    Disabled(String),
    /// Off in the registry itself (not an admin's choice), with its reason.
    Unlisted(String),
}

impl ModelState {
    /// The state of `model` under the admins' `overrides` and the models' recent `health`.
    pub fn of(model: &Model, overrides: &[ModelOverride], health: &[ModelHealth]) -> ModelState {
        if !model.enabled {
            return ModelState::Unlisted(model.disabled_reason.clone().unwrap_or_default());
        }
        if let Some(o) = overrides
            .iter()
            .find(|o| o.model_id == model.id && o.disabled)
        {
            return ModelState::Disabled(o.reason.clone().unwrap_or_default());
        }
        match health
            .iter()
            .find(|h| h.model_id == model.id)
            .map(|h| h.state)
        {
            Some(Health::Failing) => ModelState::Failing { broken: false },
            Some(Health::Broken) => ModelState::Failing { broken: true },
            _ => ModelState::OnSale,
        }
    }

    /// True when users can buy it.
    pub fn on_sale(&self) -> bool {
        matches!(self, ModelState::OnSale | ModelState::Failing { .. })
    }

    fn mark(&self) -> &'static str {
        match self {
            ModelState::OnSale => "✅",
            ModelState::Failing { broken: false } => "⚠️",
            ModelState::Failing { broken: true } => "🔥",
            ModelState::Disabled(_) => "⛔",
            ModelState::Unlisted(_) => "⏸",
        }
    }

    fn text(&self, i18n: &I18n, lang: Lang) -> String {
        match self {
            ModelState::OnSale => i18n.t(lang, "admin-model-on-sale"),
            ModelState::Failing { broken: false } => i18n.t(lang, "admin-model-failing"),
            ModelState::Failing { broken: true } => i18n.t(lang, "admin-model-broken"),
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
        }
    }
}

fn category_name(i18n: &I18n, lang: Lang, category: Category) -> String {
    i18n.t(lang, &format!("admin-category-{}", category.as_str()))
}

/// A page of models, by category then id, with their states.
pub fn list(
    i18n: &I18n,
    lang: Lang,
    page: u16,
    page_size: usize,
    models: &[(&Model, ModelState)],
) -> Screen {
    let escape = teloxide::utils::html::escape;
    let mut sorted: Vec<&(&Model, ModelState)> = models.iter().collect();
    sorted.sort_by_key(|(m, _)| (Category::ALL.iter().position(|c| *c == m.category), &m.id));
    let start = page as usize * page_size;
    let shown: Vec<_> = sorted.iter().skip(start).take(page_size).collect();
    let on_sale = models.iter().filter(|(_, s)| s.on_sale()).count();
    let head = i18n.tf(
        lang,
        "admin-models-head",
        &Args::new()
            .num("total", models.len() as i64)
            .num("on_sale", on_sale as i64),
    );
    let mut lines = Vec::new();
    let mut category = None;
    for (m, s) in &shown {
        if category != Some(m.category) {
            category = Some(m.category);
            lines.push(format!("<b>{}</b>", category_name(i18n, lang, m.category)));
        }
        let title = m.title.get(code(lang));
        lines.push(format!(
            "{} <code>{}</code> — {}",
            s.mark(),
            escape(&m.id),
            escape(title)
        ));
    }
    let buttons = shown
        .iter()
        .map(|(m, s)| {
            let label = format!("{} {}", s.mark(), m.title.get(code(lang)));
            button(
                label,
                AdminButton::Model {
                    model: m.id.clone(),
                }
                .encode(),
            )
        })
        .collect();
    let has_next = start + page_size < models.len();
    Screen::new(format!("{head}\n\n{}", lines.join("\n")))
        .grid(buttons, 2)
        .row(pager(page, has_next, |p| AdminButton::Models { page: p }))
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
        .raw("category", category_name(i18n, lang, model.category))
        .raw("state", state.text(i18n, lang))
        .raw("min", fmt_money(lang, range.min))
        .raw("max", fmt_money(lang, range.max))
        .raw("cost_min", format!("${}", range.min_cost_usd.round_dp(4)))
        .raw("cost_max", format!("${}", range.max_cost_usd.round_dp(4)))
        .num("runs", runs)
        .raw("success", success)
        .raw("revenue", fmt_money(lang, Money::floor(revenue)))
        .raw("kie_cost", format!("${}", kie_cost.round_dp(2)));
    let mut screen = Screen::new(i18n.tf(lang, "admin-model-card", &args));
    if let ModelState::Disabled(_) = state {
        let enable = AdminButton::Enable {
            model: model.id.clone(),
        };
        screen = screen.row(vec![button(i18n.t(lang, "admin-enable"), enable.encode())]);
    } else if state.on_sale() {
        screen.text.push_str("\n\n");
        screen.text.push_str(&i18n.tf(
            lang,
            "admin-model-disable-hint",
            &Args::new().text("model", &model.id),
        ));
    }
    let models = AdminButton::Models { page: 0 };
    screen
        .row(vec![button(i18n.t(lang, "admin-models"), models.encode())])
        .row(vec![home_button(i18n, lang)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn catalog() -> catalog::Catalog {
        let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry");
        catalog::Catalog::load_dir(&registry).expect("the registry loads")
    }

    fn disabled(model: &str) -> ModelOverride {
        ModelOverride {
            model_id: model.into(),
            disabled: true,
            reason: Some("upstream <outage>".into()),
            changed_by: 1,
            changed_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn states_come_from_the_registry_the_overrides_and_health() {
        let catalog = catalog();
        let model = catalog.get("google/imagen4-fast").expect("a model");
        assert_eq!(ModelState::of(model, &[], &[]), ModelState::OnSale);
        let off = ModelState::of(model, &[disabled(&model.id)], &[]);
        assert_eq!(off, ModelState::Disabled("upstream <outage>".into()));
        assert!(!off.on_sale());
    }

    #[test]
    fn the_list_groups_by_category_and_every_button_fits() {
        let catalog = catalog();
        let i18n = I18n::new(&[crate::LOCALE]);
        let states: Vec<_> = catalog
            .models()
            .iter()
            .map(|m| {
                (
                    m,
                    ModelState::of(m, &[disabled("google/imagen4-fast")], &[]),
                )
            })
            .collect();
        let first = list(&i18n, Lang::En, 0, 10, &states);
        assert!(
            first
                .text
                .starts_with(&format!("Models: {} in the registry", states.len())),
            "{}",
            first.text
        );
        assert!(first.text.contains("<b>Images</b>"), "{}", first.text);
        let mut page = 0;
        let mut seen_disabled = false;
        loop {
            let screen = list(&i18n, Lang::En, page, 10, &states);
            seen_disabled |= screen.text.contains("⛔ <code>google/imagen4-fast</code>");
            for b in screen.rows.concat() {
                if let teloxide::types::InlineKeyboardButtonKind::CallbackData(d) = &b.kind {
                    assert!(d.len() <= 64 && AdminButton::decode(d).is_some(), "{d}");
                }
            }
            if !screen.rows.concat().iter().any(|b| b.text == "›") {
                break;
            }
            page += 1;
        }
        assert!(seen_disabled, "the disabled model is listed with its mark");
        assert_eq!(usize::from(page) + 1, states.len().div_ceil(10));
    }

    #[test]
    fn a_disabled_models_card_offers_enable_and_escapes_the_reason() {
        let catalog = catalog();
        let i18n = I18n::new(&[crate::LOCALE]);
        let model = catalog.get("google/imagen4-fast").expect("a model");
        let state = ModelState::of(model, &[disabled(&model.id)], &[]);
        let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry");
        let settings = pricing::Settings::load(&registry.join("settings.toml")).expect("settings");
        let card = card(&i18n, Lang::Ru, model, &state, &settings.pricing, None);
        assert!(
            card.text.contains("upstream &lt;outage&gt;"),
            "{}",
            card.text
        );
        assert!(
            card.rows
                .concat()
                .iter()
                .any(|b| b.text == i18n.t(Lang::Ru, "admin-enable"))
        );
    }
}

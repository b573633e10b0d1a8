//! Settings: `/settings` (every runtime setting with where its value comes from, and the latest
//! changes), `/free` (the free models, the quotas and today's free budget), and the preview of
//! a change with its effect on prices and on the free set. Pure: `ops::settings` reads.

use ledger::SettingChange;
use pricing::{Money, Settings};
use rust_decimal::Decimal;
use tg_kit::i18n::{fmt_money, fmt_when};
use tg_kit::{Args, I18n, Lang, Screen};

use super::home_button;

/// A setting's value in `settings`, as `/set` takes it (`—` for an empty list, `none` for no
/// budget). `key` is one of `ledger::SETTING_KEYS`.
pub fn value_of(settings: &Settings, key: &str) -> String {
    let d = |d: Decimal| d.normalize().to_string();
    match key {
        "pricing.rub_per_usd" => d(settings.pricing.rub_per_usd),
        "pricing.markup" => d(settings.pricing.markup),
        "stars.rub_per_star" => d(settings.stars.rub_per_star),
        "free.auto_count" => settings.free.auto_count.to_string(),
        "free.per_day" => settings.free.per_day.to_string(),
        "free.per_hour" => settings.free.per_hour.to_string(),
        "free.models" if settings.free.models.is_empty() => "—".into(),
        "free.models" => settings.free.models.join(","),
        "free.daily_budget_usd" => settings
            .free
            .daily_budget_usd
            .map_or_else(|| "none".into(), d),
        other => format!("? ({other})"),
    }
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", teloxide::utils::html::escape(s))
}

/// What `/settings` shows.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsView {
    /// The settings in force.
    pub settings: Settings,
    /// The settings file's.
    pub file: Settings,
    /// Keys an admin's override sets now.
    pub overridden: Vec<String>,
    /// The latest changes, newest first.
    pub history: Vec<SettingChange>,
}

/// `/settings`.
pub fn settings(i18n: &I18n, lang: Lang, view: &SettingsView) -> Screen {
    let lines: Vec<String> = ledger::SETTING_KEYS
        .iter()
        .map(|key| {
            let now = value_of(&view.settings, key);
            let source = if view.overridden.iter().any(|k| k == key) {
                i18n.tf(
                    lang,
                    "admin-settings-overridden",
                    &Args::new().raw("file", code(&value_of(&view.file, key))),
                )
            } else {
                i18n.t(lang, "admin-settings-from-file")
            };
            format!("{} = <b>{}</b> · {source}", code(key), code(&now))
        })
        .collect();
    let history: Vec<String> = view
        .history
        .iter()
        .map(|c| {
            i18n.tf(
                lang,
                "admin-settings-change",
                &Args::new()
                    .raw("when", fmt_when(lang, c.changed_at))
                    .raw("key", code(&c.key))
                    .raw("value", code(c.value.as_deref().unwrap_or("(file)")))
                    .num("admin", c.changed_by)
                    .text("reason", &c.reason),
            )
        })
        .collect();
    let history = if history.is_empty() {
        i18n.t(lang, "admin-list-empty")
    } else {
        history.join("\n")
    };
    Screen::new(
        i18n.tf(
            lang,
            "admin-settings",
            &Args::new()
                .raw("list", lines.join("\n"))
                .raw("history", history),
        ),
    )
    .row(vec![home_button(i18n, lang)])
}

/// A free model as `/free` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct FreeModel {
    /// Its id.
    pub id: String,
    /// Its title in the admin's language.
    pub title: String,
    /// What its cheapest run costs when it is not free.
    pub price: Money,
}

/// What `/free` shows.
#[derive(Clone, Debug, PartialEq)]
pub struct FreeView {
    /// The settings in force.
    pub settings: Settings,
    /// The free models now (on sale only).
    pub free: Vec<FreeModel>,
    /// Models of the explicit list that are not on sale (so not free).
    pub listed_off_sale: Vec<String>,
    /// What today's free runs cost at Kie so far (UTC day).
    pub spent_today_usd: Decimal,
}

/// `/free`.
pub fn free(i18n: &I18n, lang: Lang, view: &FreeView) -> Screen {
    let policy = &view.settings.free;
    let mode = if policy.models.is_empty() {
        i18n.tf(
            lang,
            "admin-free-auto",
            &Args::new().num("count", policy.auto_count as i64),
        )
    } else {
        i18n.t(lang, "admin-free-explicit")
    };
    let mut list: Vec<String> = view
        .free
        .iter()
        .map(|m| {
            format!(
                "• {} — {} ({})",
                code(&m.id),
                teloxide::utils::html::escape(&m.title),
                fmt_money(lang, m.price)
            )
        })
        .collect();
    if list.is_empty() {
        list.push(i18n.t(lang, "admin-list-empty"));
    }
    if !view.listed_off_sale.is_empty() {
        let ids: Vec<String> = view.listed_off_sale.iter().map(|m| code(m)).collect();
        list.push(i18n.tf(
            lang,
            "admin-free-off-sale",
            &Args::new().raw("models", ids.join(", ")),
        ));
    }
    let budget = match policy.daily_budget_usd {
        Some(b) => i18n.tf(
            lang,
            "admin-free-budget",
            &Args::new()
                .raw(
                    "spent",
                    format!("${}", view.spent_today_usd.round_dp(4).normalize()),
                )
                .raw("budget", format!("${}", b.normalize())),
        ),
        None => i18n.tf(
            lang,
            "admin-free-no-budget",
            &Args::new().raw(
                "spent",
                format!("${}", view.spent_today_usd.round_dp(4).normalize()),
            ),
        ),
    };
    let text = i18n.tf(
        lang,
        "admin-free-screen",
        &Args::new()
            .raw("mode", mode)
            .raw("list", list.join("\n"))
            .num("per_day", i64::from(policy.per_day))
            .num("per_hour", i64::from(policy.per_hour))
            .raw("budget", budget),
    );
    Screen::new(text).row(vec![home_button(i18n, lang)])
}

/// The cheapest on-sale price under some settings, and which model has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cheapest {
    /// The model.
    pub model: String,
    /// Its cheapest run.
    pub price: Money,
}

/// What a setting change would do, computed when it is proposed.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingEffect {
    /// The value in force now.
    pub before: String,
    /// The value after the change.
    pub after: String,
    /// Models on sale.
    pub on_sale: usize,
    /// On-sale models whose price range changes.
    pub changed: usize,
    /// The cheapest on-sale model now.
    pub cheapest_before: Option<Cheapest>,
    /// The cheapest on-sale model after.
    pub cheapest_after: Option<Cheapest>,
    /// The free models now.
    pub free_before: Vec<String>,
    /// The free models after.
    pub free_after: Vec<String>,
    /// What 100 Stars credit now and after.
    pub stars: (Money, Money),
}

fn cheapest(lang: Lang, c: &Option<Cheapest>) -> String {
    c.as_ref().map_or_else(
        || "—".into(),
        |c| format!("{} ({})", fmt_money(lang, c.price), code(&c.model)),
    )
}

fn ids(list: &[String]) -> String {
    if list.is_empty() {
        "—".into()
    } else {
        list.iter().map(|m| code(m)).collect::<Vec<_>>().join(", ")
    }
}

/// The text of a setting change's preview.
pub fn setting_body(
    i18n: &I18n,
    lang: Lang,
    key: &str,
    reason: &str,
    effect: &SettingEffect,
) -> String {
    let mut text = i18n.tf(
        lang,
        "admin-preview-setting",
        &Args::new()
            .raw("key", code(key))
            .raw("before", code(&effect.before))
            .raw("after", code(&effect.after))
            .text("reason", reason),
    );
    let mut effects = Vec::new();
    if effect.changed > 0 || effect.cheapest_before != effect.cheapest_after {
        effects.push(
            i18n.tf(
                lang,
                "admin-setting-prices",
                &Args::new()
                    .num("changed", effect.changed as i64)
                    .num("on_sale", effect.on_sale as i64)
                    .raw("before", cheapest(lang, &effect.cheapest_before))
                    .raw("after", cheapest(lang, &effect.cheapest_after)),
            ),
        );
    }
    if effect.free_before != effect.free_after {
        effects.push(
            i18n.tf(
                lang,
                "admin-setting-free",
                &Args::new()
                    .raw("before", ids(&effect.free_before))
                    .raw("after", ids(&effect.free_after)),
            ),
        );
    }
    if effect.stars.0 != effect.stars.1 {
        effects.push(
            i18n.tf(
                lang,
                "admin-setting-stars",
                &Args::new().money("before", lang, effect.stars.0).money(
                    "after",
                    lang,
                    effect.stars.1,
                ),
            ),
        );
    }
    if effects.is_empty() {
        effects.push(i18n.t(lang, "admin-setting-no-effect"));
    }
    text.push_str("\n\n");
    text.push_str(&effects.join("\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn effect() -> SettingEffect {
        let m = |s: &str| Money::parse(s).unwrap();
        SettingEffect {
            before: "2".into(),
            after: "3".into(),
            on_sale: 40,
            changed: 38,
            cheapest_before: Some(Cheapest {
                model: "a/b".into(),
                price: m("2"),
            }),
            cheapest_after: Some(Cheapest {
                model: "a/b".into(),
                price: m("3"),
            }),
            free_before: vec!["a/b".into()],
            free_after: vec!["a/b".into()],
            stars: (m("120"), m("120")),
        }
    }

    #[test]
    fn a_price_change_says_how_many_models_change_and_the_cheapest() {
        for lang in [Lang::Ru, Lang::En] {
            let i18n = i18n();
            let text = setting_body(&i18n, lang, "pricing.markup", "sale", &effect());
            assert!(text.contains("38"), "{text}");
            assert!(
                text.contains(&fmt_money(lang, Money::parse("2").unwrap()))
                    && text.contains(&fmt_money(lang, Money::parse("3").unwrap())),
                "{text}"
            );
            assert!(!text.contains(&i18n.t(lang, "admin-setting-no-effect")));
        }
    }

    #[test]
    fn a_change_without_an_effect_says_so() {
        let i18n = i18n();
        let mut e = effect();
        e.changed = 0;
        e.cheapest_after = e.cheapest_before.clone();
        let text = setting_body(&i18n, Lang::En, "free.per_day", "x", &e);
        assert!(text.contains(&i18n.t(Lang::En, "admin-setting-no-effect")));
    }

    #[test]
    fn values_read_as_set_takes_them() {
        let mut s = Settings::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../registry/settings.toml"
        )))
        .expect("the registry's settings");
        assert_eq!(value_of(&s, "free.models"), "—");
        assert_eq!(value_of(&s, "free.daily_budget_usd"), "none");
        s.free.models = vec!["a/b".into(), "c/d".into()];
        s.pricing.markup = Decimal::new(250, 2);
        assert_eq!(value_of(&s, "free.models"), "a/b,c/d");
        assert_eq!(value_of(&s, "pricing.markup"), "2.5");
        for key in ledger::SETTING_KEYS {
            assert!(!value_of(&s, key).starts_with('?'), "{key}");
        }
    }
}

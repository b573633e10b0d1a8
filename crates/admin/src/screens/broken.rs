//! Broken models: the models failing right now (`ledger::reports::health`), each with its
//! newest errors and a Disable button that proposes the usual two-step action with a reason
//! worked out from the figures ("auto: 5 of 6 recent runs failed").

use ledger::reports::{BROKEN_STREAK, Health, HealthRule, ModelHealth};
use tg_kit::i18n::fmt_when;
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::figures::{fit, outside};
use super::home_button;
use crate::button::AdminButton;

/// At most this many models are listed (the worst case stays within one message).
pub const MAX_SHOWN: usize = 6;

/// A failing model as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokenModel<'a> {
    /// Its health.
    pub health: &'a ModelHealth,
    /// Its title in the admin's language (`None`: no longer in the registry).
    pub title: Option<String>,
    /// Already off sale (an admin disabled it, or the registry did).
    pub off_sale: bool,
}

/// The models that are failing or broken: broken first, then by the share of failures, then
/// by id.
pub fn failing(all: &[ModelHealth]) -> Vec<&ModelHealth> {
    let mut out: Vec<&ModelHealth> = all.iter().filter(|h| h.state != Health::Ok).collect();
    out.sort_by(|a, b| {
        let broken = |h: &ModelHealth| h.state == Health::Broken;
        broken(b)
            .cmp(&broken(a))
            .then(b.share_percent.cmp(&a.share_percent))
            .then_with(|| a.model_id.cmp(&b.model_id))
    });
    out
}

/// The reason a Disable from this list proposes (stored with the model and shown to admins).
pub fn reason(health: Option<&ModelHealth>) -> String {
    match health {
        Some(h) if h.state != Health::Ok => {
            let mut reason = format!("auto: {} of {} recent runs failed", h.failures, h.runs);
            if h.schema_rejected {
                reason.push_str(", Kie rejected the input");
            }
            reason
        }
        Some(h) => format!(
            "auto: was failing; now {} of {} recent runs failed",
            h.failures, h.runs
        ),
        None => "auto: was failing; no recent runs now".into(),
    }
}

fn entry(i18n: &I18n, lang: Lang, model: &BrokenModel<'_>) -> String {
    let h = model.health;
    let (mark, state) = match h.state {
        Health::Broken => ("🔴", i18n.t(lang, "admin-health-broken")),
        _ => ("🟠", i18n.t(lang, "admin-health-failing")),
    };
    let mut notes = String::new();
    if h.schema_rejected {
        notes.push_str(&i18n.t(lang, "admin-broken-schema"));
    }
    if model.off_sale {
        notes.push_str(&i18n.t(lang, "admin-broken-off-sale"));
    }
    let mut text = i18n.tf(
        lang,
        "admin-broken-line",
        &Args::new()
            .raw("mark", mark)
            .text("title", model.title.as_deref().unwrap_or(&h.model_id))
            .text("model", &h.model_id)
            .raw("state", state)
            .num("failures", h.failures)
            .num("runs", h.runs)
            .num("share", h.share_percent)
            .raw("notes", notes),
    );
    for (at, code, message) in &h.last_errors {
        let code = if code.is_empty() { "—" } else { code };
        text.push_str(&format!(
            "\n   • {} <code>{}</code> {}",
            fmt_when(lang, *at),
            outside(code, 24),
            outside(message, 80)
        ));
    }
    text
}

/// The list of failing models (`models` as [`failing`] ordered them).
pub fn list(i18n: &I18n, lang: Lang, models: &[BrokenModel<'_>]) -> Screen {
    let rule = HealthRule::default();
    let head = i18n.tf(
        lang,
        "admin-broken-head",
        &Args::new()
            .num("min_failures", rule.min_failures)
            .num("share", rule.min_failure_share_percent)
            .num("window", rule.window_runs)
            .num("hours", rule.within.num_hours())
            .num("streak", BROKEN_STREAK),
    );
    if models.is_empty() {
        return Screen::new(format!("{head}\n\n{}", i18n.t(lang, "admin-broken-none")))
            .row(vec![home_button(i18n, lang)]);
    }
    let entries: Vec<String> = models
        .iter()
        .take(MAX_SHOWN)
        .map(|m| entry(i18n, lang, m))
        .collect();
    let beyond = models.len() - entries.len();
    let more = |n: usize| {
        i18n.tf(
            lang,
            "admin-broken-more",
            &Args::new().num("count", (n + beyond) as i64),
        )
    };
    let (mut text, shown) = fit(&head, &entries, "\n\n", more);
    if shown == entries.len() && beyond > 0 {
        text.push_str("\n\n");
        text.push_str(&more(0));
    }
    let mut screen = Screen::new(text);
    for model in models[..shown].iter().filter(|m| !m.off_sale) {
        let name = model.title.as_deref().unwrap_or(&model.health.model_id);
        let label = i18n.tf(
            lang,
            "admin-broken-disable",
            &Args::new().raw("model", tg_kit::send::clip_to(name, 32)),
        );
        screen = screen.row(vec![button(
            label,
            AdminButton::DisableBroken {
                model: model.health.model_id.clone(),
            }
            .encode(),
        )]);
    }
    screen.row(vec![home_button(i18n, lang)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::figures::callback_data;
    use chrono::TimeZone;
    use tg_kit::callback::MAX_CALLBACK_BYTES;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn health(model: &str, state: Health, failures: i64, runs: i64) -> ModelHealth {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 4, 11, 30, 0).unwrap();
        ModelHealth {
            model_id: model.into(),
            runs,
            failures,
            share_percent: failures * 100 / runs,
            schema_rejected: false,
            state,
            last_errors: vec![
                (at, "500".into(), "Internal <error> & co".into()),
                (at, "".into(), "x".repeat(300)),
            ],
        }
    }

    #[test]
    fn failing_models_come_broken_first_with_their_errors_and_a_disable_button() {
        let all = vec![
            health("m/fine", Health::Ok, 0, 10),
            health("m/flaky", Health::Failing, 5, 8),
            ModelHealth {
                schema_rejected: true,
                ..health("m/dead", Health::Broken, 3, 6)
            },
            health("m/off", Health::Broken, 6, 6),
        ];
        let chosen = failing(&all);
        let ids: Vec<&str> = chosen.iter().map(|h| h.model_id.as_str()).collect();
        assert_eq!(ids, ["m/off", "m/dead", "m/flaky"]);
        let models: Vec<BrokenModel<'_>> = chosen
            .iter()
            .map(|h| BrokenModel {
                health: h,
                title: (h.model_id != "m/dead").then(|| format!("T {}", h.model_id)),
                off_sale: h.model_id == "m/off",
            })
            .collect();
        let i18n = i18n();
        let screen = list(&i18n, Lang::En, &models);
        let text = &screen.text;
        for wanted in [
            "<b>T m/flaky</b>",
            "<b>m/dead</b>",
            "5 of 8",
            "62 %",
            "3 of 6",
            "Internal &lt;error&gt; &amp; co",
            "<code>500</code>",
            "<code>—</code>",
            "…",
            "2026-03-04 11:30",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from\n{text}");
        }
        assert!(!text.contains("m/fine"));
        let data = callback_data(&screen);
        let disable = |m: &str| {
            AdminButton::DisableBroken {
                model: m.to_string(),
            }
            .encode()
        };
        assert!(data.contains(&disable("m/flaky")) && data.contains(&disable("m/dead")));
        assert!(
            !data.contains(&disable("m/off")),
            "no Disable for a model already off sale"
        );
        for d in &data {
            assert!(d.len() <= MAX_CALLBACK_BYTES && AdminButton::decode(d).is_some());
        }
        assert_eq!(reason(Some(chosen[2])), "auto: 5 of 8 recent runs failed");
        assert_eq!(
            reason(Some(chosen[1])),
            "auto: 3 of 6 recent runs failed, Kie rejected the input"
        );
        assert_eq!(reason(None), "auto: was failing; no recent runs now");
    }

    #[test]
    fn none_failing_says_so_and_the_worst_case_fits_one_message() {
        let i18n = i18n();
        let screen = list(&i18n, Lang::Ru, &[]);
        assert!(screen.text.contains(&i18n.t(Lang::Ru, "admin-broken-none")));
        let long_id = "m".repeat(catalog::MAX_MODEL_ID_BYTES);
        let mut worst = health(&long_id, Health::Broken, 10, 10);
        worst.schema_rejected = true;
        worst.last_errors = vec![worst.last_errors[1].clone(); 3];
        for e in &mut worst.last_errors {
            e.1 = "&".repeat(100);
            e.2 = "<".repeat(500);
        }
        let all = vec![worst; 20];
        let models: Vec<BrokenModel<'_>> = all
            .iter()
            .map(|h| BrokenModel {
                health: h,
                title: Some("Я".repeat(catalog::MAX_TITLE_CHARS)),
                off_sale: true,
            })
            .collect();
        for lang in [Lang::Ru, Lang::En] {
            let screen = list(&i18n, lang, &models);
            let chars = screen.text.chars().count();
            assert!(chars <= tg_kit::send::MAX_TEXT_CHARS, "{chars} characters");
        }
    }
}

//! Errors: the failures of the last 24 hours or 7 days — by stage of the pipeline, ambiguous
//! createTask calls and late successes, grouped by code and message (with the newest job), by
//! model, and the results that could not be delivered (with their users' ids: viewing this is
//! audited).

use ledger::reports::{
    AmbiguousAndLate, DeliveryFailure, FailureGroup, FailureStage, ModelFailures,
};
use tg_kit::i18n::fmt_when;
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::figures::{fit, outside, usd};
use super::home_button;
use crate::button::{AdminButton, ERROR_PERIODS};

/// At most this many lines per list (groups, models, deliveries).
pub const MAX_LINES: usize = 8;

/// What the errors screen shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorsView<'a> {
    /// The period, in days.
    pub days: u8,
    /// Failures by code and message, largest groups first.
    pub groups: &'a [FailureGroup],
    /// Failures per model, most first.
    pub by_model: &'a [ModelFailures],
    /// Failures per stage, in pipeline order.
    pub by_stage: &'a [(FailureStage, i64)],
    /// Jobs whose delivery failed, newest first.
    pub deliveries: &'a [DeliveryFailure],
    /// Ambiguous createTask calls and late successes.
    pub ambiguous: &'a AmbiguousAndLate,
}

fn section(i18n: &I18n, lang: Lang, title_id: &str, lines: Vec<String>, total: usize) -> String {
    let title = i18n.t(lang, title_id);
    if lines.is_empty() {
        return format!("<b>{title}</b>\n{}", i18n.t(lang, "admin-errors-none"));
    }
    let mut text = format!("<b>{title}</b>\n{}", lines.join("\n"));
    if total > lines.len() {
        text.push_str("\n…");
    }
    text
}

fn code(code: &str) -> String {
    format!(
        "<code>{}</code>",
        outside(if code.is_empty() { "—" } else { code }, 24)
    )
}

/// The errors screen.
pub fn page(i18n: &I18n, lang: Lang, view: &ErrorsView<'_>) -> Screen {
    let period = |days: u8| {
        i18n.tf(
            lang,
            "admin-errors-period",
            &Args::new().num("days", i64::from(days)),
        )
    };
    let head = i18n.tf(
        lang,
        "admin-errors-head",
        &Args::new().raw("period", period(view.days)).num(
            "failures",
            view.by_model.iter().map(|m| m.failures).sum::<i64>(),
        ),
    );
    let stages: Vec<String> = view
        .by_stage
        .iter()
        .map(|(stage, n)| {
            let name = i18n.t(lang, &format!("admin-stage-{}", stage.as_str()));
            format!("{name} {n}")
        })
        .collect();
    let stages = format!(
        "<b>{}</b>\n{}",
        i18n.t(lang, "admin-errors-by-stage"),
        stages.join(" · ")
    );
    let a = view.ambiguous;
    let ambiguous = i18n.tf(
        lang,
        "admin-errors-ambiguous",
        &Args::new()
            .num("ambiguous", a.ambiguous)
            .num("waiting", a.ambiguous_waiting)
            .num("released", a.ambiguous_released)
            .num("adopted", a.ambiguous_adopted)
            .num("late", a.late_successes)
            .num("delivered", a.late_delivered)
            .raw("cost", usd(a.late_kie_cost_usd)),
    );
    let several = i18n.t(lang, "admin-errors-several-models");
    let groups = view
        .groups
        .iter()
        .take(MAX_LINES)
        .map(|g| {
            let model = g.model_id.as_deref().map_or_else(
                || several.clone(),
                |m| format!("<code>{}</code>", outside(m, 64)),
            );
            i18n.tf(
                lang,
                "admin-errors-group",
                &Args::new()
                    .num("count", g.count)
                    .raw("code", code(&g.code))
                    .raw("message", outside(&g.message, 80))
                    .raw("model", model)
                    .num("job", g.newest_job.0)
                    .raw("when", fmt_when(lang, g.newest_at)),
            )
        })
        .collect();
    let groups = section(
        i18n,
        lang,
        "admin-errors-by-cause",
        groups,
        view.groups.len(),
    );
    let models = view
        .by_model
        .iter()
        .take(MAX_LINES)
        .map(|m| {
            i18n.tf(
                lang,
                "admin-errors-model",
                &Args::new()
                    .text("model", &m.model_id)
                    .num("failures", m.failures)
                    .num("codes", m.codes)
                    .raw("when", fmt_when(lang, m.newest_at)),
            )
        })
        .collect();
    let models = section(
        i18n,
        lang,
        "admin-errors-by-model",
        models,
        view.by_model.len(),
    );
    let deliveries = view
        .deliveries
        .iter()
        .take(MAX_LINES)
        .map(|d| {
            let outcome = if d.delivered {
                i18n.t(lang, "admin-errors-delivered")
            } else if d.gave_up {
                i18n.t(lang, "admin-errors-gave-up")
            } else {
                i18n.t(lang, "admin-errors-retrying")
            };
            let error = d
                .last_error
                .as_deref()
                .map(|e| format!(": {}", outside(e, 80)))
                .unwrap_or_default();
            let blocked = if d.user_reachable {
                String::new()
            } else {
                i18n.t(lang, "admin-errors-blocked")
            };
            i18n.tf(
                lang,
                "admin-errors-delivery",
                &Args::new()
                    .num("job", d.job_id.0)
                    .num("user", d.user_id.0)
                    .text("model", &d.model_id)
                    .num("attempts", d.failed_attempts)
                    .raw("outcome", format!("{outcome}{error}{blocked}")),
            )
        })
        .collect();
    let deliveries = section(
        i18n,
        lang,
        "admin-errors-deliveries",
        deliveries,
        view.deliveries.len(),
    );
    let (text, _) = fit(
        &head,
        &[stages, ambiguous, groups, models, deliveries],
        "\n\n",
        |_| "…".into(),
    );
    let periods = ERROR_PERIODS
        .iter()
        .map(|&days| {
            let label = period(days);
            let label = if days == view.days {
                format!("• {label}")
            } else {
                label
            };
            button(label, AdminButton::Errors { days }.encode())
        })
        .collect();
    Screen::new(text)
        .row(periods)
        .row(vec![home_button(i18n, lang)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::figures::callback_data;
    use chrono::TimeZone;
    use ledger::{JobId, UserId};
    use rust_decimal_macros::dec;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    #[test]
    fn every_section_shows_its_figures() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 4, 11, 30, 0).unwrap();
        let groups = vec![
            FailureGroup {
                code: "501".into(),
                message: "Kie <failed> & gave up".into(),
                model_id: Some("google/imagen4-fast".into()),
                count: 4,
                newest_job: JobId(77),
                newest_at: at,
            },
            FailureGroup {
                code: String::new(),
                message: String::new(),
                model_id: None,
                count: 1,
                newest_job: JobId(12),
                newest_at: at,
            },
        ];
        let by_model = vec![ModelFailures {
            model_id: "google/imagen4-fast".into(),
            failures: 5,
            codes: 2,
            newest_at: at,
        }];
        let by_stage: Vec<(FailureStage, i64)> = FailureStage::ALL
            .iter()
            .enumerate()
            .map(|(k, s)| (*s, k as i64))
            .collect();
        let deliveries = vec![DeliveryFailure {
            job_id: JobId(90),
            user_id: UserId(700_000_123),
            model_id: "m/video".into(),
            failed_attempts: 2,
            delivered: false,
            gave_up: true,
            last_error: Some("Forbidden: bot was blocked".into()),
            user_reachable: false,
            created_at: at,
        }];
        let ambiguous = AmbiguousAndLate {
            ambiguous: 3,
            ambiguous_waiting: 1,
            ambiguous_released: 1,
            ambiguous_adopted: 1,
            late_successes: 2,
            late_delivered: 1,
            late_kie_cost_usd: dec!(0.8),
        };
        let view = ErrorsView {
            days: 7,
            groups: &groups,
            by_model: &by_model,
            by_stage: &by_stage,
            deliveries: &deliveries,
            ambiguous: &ambiguous,
        };
        let i18n = i18n();
        let screen = page(&i18n, Lang::En, &view);
        let text = &screen.text;
        for wanted in [
            "4×",
            "<code>501</code>",
            "Kie &lt;failed&gt; &amp; gave up",
            "#77",
            "<code>—</code>",
            &i18n.t(Lang::En, "admin-errors-several-models"),
            "<code>google/imagen4-fast</code>",
            "2026-03-04 11:30",
            &format!("{} 4", i18n.t(Lang::En, "admin-stage-delivery")),
            &format!("{} 0", i18n.t(Lang::En, "admin-stage-queue")),
            "#90",
            "700000123",
            "Forbidden: bot was blocked",
            "$0.80",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from\n{text}");
        }
        let data = callback_data(&screen);
        for days in ERROR_PERIODS {
            assert!(data.contains(&AdminButton::Errors { days }.encode()));
        }
        for d in &data {
            assert!(d.len() <= 64 && AdminButton::decode(d).is_some(), "{d}");
        }
        assert!(screen.rows[0].iter().any(|b| b.text.starts_with("• ")));
    }

    #[test]
    fn nothing_wrong_and_the_worst_case_both_fit() {
        let i18n = i18n();
        let ambiguous = AmbiguousAndLate {
            ambiguous: 0,
            ambiguous_waiting: 0,
            ambiguous_released: 0,
            ambiguous_adopted: 0,
            late_successes: 0,
            late_delivered: 0,
            late_kie_cost_usd: dec!(0),
        };
        let stages: Vec<(FailureStage, i64)> = FailureStage::ALL.map(|s| (s, 0)).to_vec();
        let empty = ErrorsView {
            days: 1,
            groups: &[],
            by_model: &[],
            by_stage: &stages,
            deliveries: &[],
            ambiguous: &ambiguous,
        };
        let screen = page(&i18n, Lang::Ru, &empty);
        assert!(screen.text.contains(&i18n.t(Lang::Ru, "admin-errors-none")));
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 4, 11, 30, 0).unwrap();
        let long = "m".repeat(catalog::MAX_MODEL_ID_BYTES);
        let groups = vec![
            FailureGroup {
                code: "<".repeat(100),
                message: "&".repeat(1000),
                model_id: Some(long.clone()),
                count: i64::MAX,
                newest_job: JobId(i64::MAX),
                newest_at: at,
            };
            50
        ];
        let deliveries = vec![
            DeliveryFailure {
                job_id: JobId(i64::MAX),
                user_id: UserId(i64::MAX),
                model_id: long,
                failed_attempts: i64::MAX,
                delivered: false,
                gave_up: true,
                last_error: Some(">".repeat(1000)),
                user_reachable: false,
                created_at: at,
            };
            50
        ];
        let worst = ErrorsView {
            groups: &groups,
            deliveries: &deliveries,
            ..empty
        };
        for lang in [Lang::Ru, Lang::En] {
            let chars = page(&i18n, lang, &worst).text.chars().count();
            assert!(chars <= tg_kit::send::MAX_TEXT_CHARS, "{chars}");
        }
    }
}

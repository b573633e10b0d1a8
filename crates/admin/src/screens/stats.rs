//! Model stats: per model over 1, 7 or 30 days — runs and how they ended (failures by their
//! top codes), p50/p90 of a successful run, revenue, Kie's cost in dollars and in rubles at the
//! effective rate, the margin, and the money held and given back. Sorted by revenue or by
//! runs, paged; a model's button opens its card.

use ledger::reports::ModelStats;
use rust_decimal::Decimal;
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::figures::{duration_ms, fit, outside, rub, usd, usd_in_rub};
use super::{home_button, pager};
use crate::button::{AdminButton, STATS_PERIODS, StatsOrder};

/// What the stats screen shows: the period and order asked for, and the figures read.
#[derive(Clone, Debug, PartialEq)]
pub struct StatsView<'a> {
    /// The period, in days.
    pub days: u8,
    /// How the models are sorted.
    pub order: StatsOrder,
    /// Page, from 0.
    pub page: u16,
    /// Models per page.
    pub page_size: usize,
    /// Rubles per US dollar (the effective settings).
    pub rub_per_usd: Decimal,
    /// Every model with jobs in the period (any order).
    pub models: &'a [ModelStats],
}

/// At most this many models a page (so that a page fits one message).
pub const PAGE_MAX: usize = 8;

/// How many failure codes a model's line names.
const TOP_CODES: usize = 3;

/// The models in `order`: most revenue (or runs) first, then the other figure, then the id.
pub fn sorted(models: &[ModelStats], order: StatsOrder) -> Vec<&ModelStats> {
    let mut out: Vec<&ModelStats> = models.iter().collect();
    out.sort_by(|a, b| {
        let by_revenue = b.revenue_rub.cmp(&a.revenue_rub);
        let by_runs = b.runs.cmp(&a.runs);
        match order {
            StatsOrder::Revenue => by_revenue.then(by_runs),
            StatsOrder::Runs => by_runs.then(by_revenue),
        }
        .then_with(|| a.model_id.cmp(&b.model_id))
    });
    out
}

/// " (500×2, 422×1)" for the top failure codes; empty without failures.
fn codes(stats: &ModelStats) -> String {
    if stats.failures_by_code.is_empty() {
        return String::new();
    }
    let top: Vec<String> = stats
        .failures_by_code
        .iter()
        .take(TOP_CODES)
        .map(|(code, n)| {
            let code = if code.is_empty() { "—" } else { code };
            format!("<code>{}</code>×{n}", outside(code, 24))
        })
        .collect();
    let more = if stats.failures_by_code.len() > TOP_CODES {
        ", …"
    } else {
        ""
    };
    format!(" ({}{more})", top.join(", "))
}

fn line(
    i18n: &I18n,
    lang: Lang,
    n: usize,
    title: &str,
    stats: &ModelStats,
    rub_per_usd: Decimal,
) -> String {
    let cost_rub = usd_in_rub(stats.kie_cost_usd, rub_per_usd);
    let args = Args::new()
        .num("n", n as i64)
        .text("title", title)
        .text("model", &stats.model_id)
        .num("runs", stats.runs)
        .num("successes", stats.successes)
        .num("failures", stats.failures)
        .raw("codes", codes(stats))
        .raw("p50", duration_ms(lang, stats.p50_ms))
        .raw("p90", duration_ms(lang, stats.p90_ms))
        .raw("revenue", rub(lang, stats.revenue_rub))
        .raw("cost_usd", usd(stats.kie_cost_usd))
        .raw("cost_rub", rub(lang, cost_rub))
        .raw("margin", rub(lang, stats.revenue_rub - cost_rub))
        .raw("released", rub(lang, stats.released_rub));
    i18n.tf(lang, "admin-stats-line", &args)
}

/// The stats screen. `title` names a model in the admin's language (`None`: a model no longer
/// in the registry, shown by its id).
pub fn page(
    i18n: &I18n,
    lang: Lang,
    view: &StatsView<'_>,
    title: impl Fn(&str) -> Option<String>,
) -> Screen {
    let all = sorted(view.models, view.order);
    let total = |f: fn(&ModelStats) -> Decimal| all.iter().map(|s| f(s)).sum::<Decimal>();
    let count = |f: fn(&ModelStats) -> i64| all.iter().map(|s| f(s)).sum::<i64>();
    let revenue = total(|s| s.revenue_rub);
    let cost_usd = total(|s| s.kie_cost_usd);
    // The sum of the per-model rounded amounts, so the lines add up to the total.
    let cost_rub: Decimal = all
        .iter()
        .map(|s| usd_in_rub(s.kie_cost_usd, view.rub_per_usd))
        .sum();
    let order_name = i18n.t(
        lang,
        match view.order {
            StatsOrder::Revenue => "admin-stats-by-revenue",
            StatsOrder::Runs => "admin-stats-by-runs",
        },
    );
    let head = i18n.tf(
        lang,
        "admin-stats-head",
        &Args::new()
            .num("days", i64::from(view.days))
            .raw("order", order_name)
            .num("models", all.len() as i64)
            .num("runs", count(|s| s.runs))
            .num("successes", count(|s| s.successes))
            .num("failures", count(|s| s.failures))
            .raw("revenue", rub(lang, revenue))
            .raw("cost_usd", usd(cost_usd))
            .raw("cost_rub", rub(lang, cost_rub))
            .raw("margin", rub(lang, revenue - cost_rub))
            .raw("released", rub(lang, total(|s| s.released_rub)))
            .raw("rate", view.rub_per_usd.normalize().to_string()),
    );
    let size = view.page_size.clamp(1, PAGE_MAX);
    let start = view.page as usize * size;
    let mut shown: Vec<(usize, &ModelStats, String)> = all
        .iter()
        .enumerate()
        .skip(start)
        .take(size)
        .map(|(k, s)| {
            let name = title(&s.model_id).unwrap_or_else(|| s.model_id.clone());
            (k + 1, *s, name)
        })
        .collect();
    let text = if shown.is_empty() {
        format!("{head}\n\n{}", i18n.t(lang, "admin-list-empty"))
    } else {
        let lines: Vec<String> = shown
            .iter()
            .map(|(n, s, name)| line(i18n, lang, *n, name, s, view.rub_per_usd))
            .collect();
        let (text, fitted) = fit(&head, &lines, "\n\n", |_| "…".into());
        shown.truncate(fitted);
        text
    };
    let periods = STATS_PERIODS
        .iter()
        .map(|&days| {
            let label = i18n.tf(
                lang,
                "admin-stats-period",
                &Args::new().num("days", i64::from(days)),
            );
            button(
                marked(label, days == view.days),
                AdminButton::Stats {
                    days,
                    order: view.order,
                    page: 0,
                }
                .encode(),
            )
        })
        .collect();
    let orders = StatsOrder::ALL
        .iter()
        .map(|&order| {
            let label = i18n.t(
                lang,
                match order {
                    StatsOrder::Revenue => "admin-stats-by-revenue",
                    StatsOrder::Runs => "admin-stats-by-runs",
                },
            );
            button(
                marked(label, order == view.order),
                AdminButton::Stats {
                    days: view.days,
                    order,
                    page: 0,
                }
                .encode(),
            )
        })
        .collect();
    let cards = shown
        .iter()
        .map(|(n, s, name)| {
            button(
                tg_kit::send::clip_to(&format!("{n}. {name}"), 40),
                AdminButton::Model {
                    model: s.model_id.clone(),
                }
                .encode(),
            )
        })
        .collect();
    let (days, order) = (view.days, view.order);
    Screen::new(text)
        .grid(cards, 2)
        .row(pager(view.page, start + size < all.len(), |page| {
            AdminButton::Stats { days, order, page }
        }))
        .row(periods)
        .row(orders)
        .row(vec![home_button(i18n, lang)])
}

/// A button label with "•" in front when it is the current choice.
fn marked(label: String, current: bool) -> String {
    if current {
        format!("• {label}")
    } else {
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::figures::callback_data;
    use rust_decimal_macros::dec;
    use tg_kit::callback::MAX_CALLBACK_BYTES;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn stats(model: &str, runs: i64, revenue: Decimal) -> ModelStats {
        ModelStats {
            model_id: model.into(),
            unstarted: 0,
            runs,
            successes: runs - 3,
            failures: 3,
            cancelled: 0,
            expired: 0,
            in_flight: 0,
            free_runs: 0,
            failures_by_code: vec![
                ("500".into(), 1),
                ("<422>".into(), 1),
                ("".into(), 1),
                ("deadline".into(), 0),
            ],
            p50_ms: Some(12_345),
            p90_ms: Some(185_000),
            revenue_rub: revenue,
            kie_cost_usd: dec!(0.55),
            released_rub: dec!(30),
        }
    }

    fn fixture() -> Vec<ModelStats> {
        vec![
            stats("m/few-dear", 5, dec!(500)),
            stats("m/many-cheap", 40, dec!(120.50)),
            stats("m/gone", 4, dec!(0)),
        ]
    }

    fn view(models: &[ModelStats], order: StatsOrder, page: u16, size: usize) -> StatsView<'_> {
        StatsView {
            days: 7,
            order,
            page,
            page_size: size,
            rub_per_usd: dec!(95),
            models,
        }
    }

    fn title(id: &str) -> Option<String> {
        (id != "m/gone").then(|| format!("Title of {id}"))
    }

    #[test]
    fn the_figures_and_their_sums_are_shown() {
        let models = fixture();
        let screen = page(
            &i18n(),
            Lang::En,
            &view(&models, StatsOrder::Revenue, 0, 10),
            title,
        );
        let text = &screen.text;
        // 0.55 USD × 95 = 52.25 RUB; 500 − 52.25 = 447.75.
        for wanted in [
            "Title of m/few-dear",
            "<code>m/few-dear</code>",
            "$0.55",
            "52.25\u{a0}₽",
            "447.75\u{a0}₽",
            "12.3 s",
            "3 min 5 s",
            "<code>500</code>×1",
            "<code>&lt;422&gt;</code>×1",
            "<code>—</code>×1",
            ", …",
            "30\u{a0}₽",
            // Totals: 49 runs, revenue 620.50, cost 1.65 USD = 3 × 52.25 = 156.75 RUB.
            "49",
            "620.50\u{a0}₽",
            "$1.65",
            "156.75\u{a0}₽",
            "463.75\u{a0}₽",
            "95",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from\n{text}");
        }
        // A model gone from the registry is shown by its id.
        assert!(text.contains("3. <b>m/gone</b>"), "{text}");
        // By revenue: the dear model first.
        assert!(text.find("m/few-dear") < text.find("m/many-cheap"));
        let by_runs = page(
            &i18n(),
            Lang::Ru,
            &view(&models, StatsOrder::Runs, 0, 10),
            title,
        );
        assert!(by_runs.text.find("m/many-cheap") < by_runs.text.find("m/few-dear"));
        assert!(by_runs.text.contains("52,25\u{a0}₽"), "{}", by_runs.text);
    }

    #[test]
    fn a_models_button_opens_its_card_and_every_button_decodes() {
        let models = fixture();
        let screen = page(
            &i18n(),
            Lang::En,
            &view(&models, StatsOrder::Revenue, 0, 2),
            title,
        );
        let data = callback_data(&screen);
        assert!(
            data.contains(
                &AdminButton::Model {
                    model: "m/few-dear".into()
                }
                .encode()
            )
        );
        assert!(
            !data.contains(
                &AdminButton::Model {
                    model: "m/gone".into()
                }
                .encode()
            ),
            "page 1 holds two models"
        );
        assert!(
            data.contains(
                &AdminButton::Stats {
                    days: 7,
                    order: StatsOrder::Revenue,
                    page: 1
                }
                .encode()
            )
        );
        for days in STATS_PERIODS {
            assert!(
                data.contains(
                    &AdminButton::Stats {
                        days,
                        order: StatsOrder::Revenue,
                        page: 0
                    }
                    .encode()
                )
            );
        }
        for d in &data {
            assert!(d.len() <= MAX_CALLBACK_BYTES, "{d}");
            assert!(AdminButton::decode(d).is_some(), "{d}");
        }
        let last = page(
            &i18n(),
            Lang::En,
            &view(&models, StatsOrder::Revenue, 1, 2),
            title,
        );
        assert!(last.text.contains("m/gone") && !last.text.contains("m/few-dear"));
    }

    #[test]
    fn the_worst_page_fits_one_message() {
        let long_id = "m".repeat(catalog::MAX_MODEL_ID_BYTES);
        let mut worst = stats(&long_id, 1_000_000_000_000, dec!(99999999999.99));
        worst.failures_by_code = vec![("<&>".repeat(40), 1_000_000_000_000); 10];
        let models = vec![worst; 30];
        let long_title = |_: &str| Some("&".repeat(catalog::MAX_TITLE_CHARS));
        for lang in [Lang::Ru, Lang::En] {
            let screen = page(
                &i18n(),
                lang,
                &view(&models, StatsOrder::Runs, 1, 50),
                long_title,
            );
            let chars = screen.text.chars().count();
            assert!(chars <= tg_kit::send::MAX_TEXT_CHARS, "{chars} characters");
            assert!(!callback_data(&screen).is_empty());
        }
    }

    #[test]
    fn no_jobs_is_an_empty_list() {
        let screen = page(
            &i18n(),
            Lang::En,
            &view(&[], StatsOrder::Runs, 0, 10),
            title,
        );
        assert!(
            screen
                .text
                .contains(&i18n().t(Lang::En, "admin-list-empty"))
        );
    }
}

//! Analytics: the last 30 UTC days' money and audience — a summary (Stars in and the rubles
//! they credited, revenue, Kie's cost, the gross margin, refunds, new users, payer conversion,
//! ARPU), the same by day as a chart (revenue, Kie's cost and the margin in rubles) and as a
//! CSV table (one row per day, its columns explained beside the file).

use chrono::NaiveDate;
use ledger::reports::{DayFigures, Summary};
use rust_decimal::Decimal;
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::figures::{percent, rub, usd};
use super::home_button;
use crate::button::AdminButton;
use crate::export::{Column, DailyChart, Series, Table};

/// How many days the analytics cover (ending today, UTC).
pub const DAYS: u32 = 30;

/// The summary screen, with the Chart and CSV buttons.
pub fn summary(
    i18n: &I18n,
    lang: Lang,
    from: NaiveDate,
    to: NaiveDate,
    rub_per_usd: Decimal,
    s: &Summary,
) -> Screen {
    let args = Args::new()
        .raw("from", day(lang, from))
        .raw("to", day(lang, to))
        .num("days", i64::from(DAYS))
        .num("stars_in", s.stars_in)
        .raw("credited", rub(lang, s.rub_credited))
        .raw("revenue", rub(lang, s.revenue_rub))
        .raw("cost_usd", usd(s.kie_cost_usd))
        .raw("cost_rub", rub(lang, s.kie_cost_rub))
        .raw("rate", rub_per_usd.normalize().to_string())
        .raw("margin", rub(lang, s.gross_margin_rub))
        .num("stars_refunded", s.stars_refunded)
        .raw("refunds", rub(lang, s.refunds_rub))
        .num("new_users", s.new_users)
        .num("new_payers", s.new_payers)
        .raw("conversion", percent(lang, s.payer_conversion))
        .num("active", s.active_users)
        .raw(
            "arpu",
            s.arpu_rub.map_or_else(|| "—".into(), |a| rub(lang, a)),
        );
    Screen::new(i18n.tf(lang, "admin-analytics-text", &args))
        .row(vec![
            button(
                i18n.t(lang, "admin-analytics-chart"),
                AdminButton::AnalyticsChart.encode(),
            ),
            button(
                i18n.t(lang, "admin-analytics-csv"),
                AdminButton::AnalyticsCsv.encode(),
            ),
        ])
        .row(vec![home_button(i18n, lang)])
}

fn day(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Ru => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    }
}

/// The chart: revenue, Kie's cost and the gross margin in rubles per day, labelled in `lang`.
pub fn chart(i18n: &I18n, lang: Lang, days: &[DayFigures]) -> DailyChart {
    let series = |id: &str, f: fn(&DayFigures) -> Decimal| Series {
        label: i18n.t(lang, id),
        values: days.iter().map(f).collect(),
    };
    DailyChart {
        title: i18n.tf(
            lang,
            "admin-chart-title",
            &Args::new().num("days", days.len() as i64),
        ),
        days: days.iter().map(|d| d.day).collect(),
        series: vec![
            series("admin-chart-revenue", |d| d.revenue_rub),
            series("admin-chart-cost", |d| d.kie_cost_rub),
            series("admin-chart-margin", |d| d.gross_margin_rub),
        ],
        unit: "₽".into(),
    }
}

/// The CSV file's columns, with their meanings in English and in Russian.
const COLUMNS: [(&str, &str, &str); 13] = [
    ("day", "UTC day, YYYY-MM-DD", "день по UTC, ГГГГ-ММ-ДД"),
    ("stars_in", "Stars paid", "оплачено звёзд"),
    (
        "rub_credited",
        "rubles those payments credited",
        "рублей зачислено за них",
    ),
    ("stars_refunded", "Stars refunded", "звёзд возвращено"),
    (
        "refunds_rub",
        "rubles the refunds debited",
        "рублей списано возвратами",
    ),
    (
        "revenue_rub",
        "rubles charged for generations",
        "рублей списано за генерации",
    ),
    (
        "kie_cost_usd",
        "Kie's cost, US dollars",
        "себестоимость Kie, доллары США",
    ),
    (
        "kie_cost_rub",
        "Kie's cost, rubles at the current rate",
        "себестоимость Kie, рубли по текущему курсу",
    ),
    (
        "gross_margin_rub",
        "revenue_rub − kie_cost_rub",
        "revenue_rub − kie_cost_rub",
    ),
    ("new_users", "users first seen", "новых пользователей"),
    (
        "new_payers",
        "users who paid for the first time",
        "впервые заплативших",
    ),
    ("paying_users", "users who paid", "заплативших"),
    (
        "active_users",
        "users who started a generation",
        "запускавших генерации",
    ),
];

/// One row per day, the columns documented (see [`crate::export::describe_columns`]).
pub fn table(lang: Lang, days: &[DayFigures]) -> Table {
    let columns = COLUMNS
        .iter()
        .map(|(name, en, ru)| {
            Column::new(
                name,
                match lang {
                    Lang::Ru => ru,
                    Lang::En => en,
                },
            )
        })
        .collect();
    let rows = days
        .iter()
        .map(|d| {
            vec![
                d.day.format("%Y-%m-%d").to_string(),
                d.stars_in.to_string(),
                cents(d.rub_credited),
                d.stars_refunded.to_string(),
                cents(d.refunds_rub),
                cents(d.revenue_rub),
                d.kie_cost_usd.normalize().to_string(),
                cents(d.kie_cost_rub),
                cents(d.gross_margin_rub),
                d.new_users.to_string(),
                d.new_payers.to_string(),
                d.paying_users.to_string(),
                d.active_users.to_string(),
            ]
        })
        .collect();
    Table { columns, rows }
}

/// A ruble amount as a plain decimal with two places ("-5.00").
pub fn cents(rubles: Decimal) -> String {
    format!("{:.2}", rubles.round_dp(2))
}

/// The CSV file's caption: what it holds and what its columns mean (within Telegram's 1024
/// characters: a test checks both languages).
pub fn csv_caption(
    i18n: &I18n,
    lang: Lang,
    from: NaiveDate,
    to: NaiveDate,
    table: &Table,
) -> String {
    let head = i18n.tf(
        lang,
        "admin-analytics-csv-caption",
        &Args::new()
            .raw("from", day(lang, from))
            .raw("to", day(lang, to)),
    );
    format!(
        "{head}\n{}",
        teloxide::utils::html::escape(&crate::export::describe_columns(table))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::to_csv;
    use crate::screens::figures::callback_data;
    use rust_decimal_macros::dec;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn days() -> Vec<DayFigures> {
        let figures = |d: u32, revenue: Decimal, cost_usd: Decimal| {
            let cost_rub = cost_usd * dec!(95);
            DayFigures {
                day: date(d),
                stars_in: 100,
                rub_credited: dec!(150),
                stars_refunded: 40,
                refunds_rub: dec!(60),
                revenue_rub: revenue,
                kie_cost_usd: cost_usd,
                kie_cost_rub: cost_rub,
                gross_margin_rub: revenue - cost_rub,
                new_users: 3,
                new_payers: 1,
                paying_users: 2,
                active_users: 2,
            }
        };
        vec![
            figures(1, dec!(120.50), dec!(0.45)),
            figures(2, dec!(0), dec!(0.10)),
        ]
    }

    #[test]
    fn the_summary_shows_the_periods_figures() {
        let days = days();
        let s = ledger::reports::summary(&days, 3);
        let screen = summary(&i18n(), Lang::En, date(1), date(2), dec!(95), &s);
        let text = &screen.text;
        // Revenue 120.50; cost 0.55 USD = 52.25 RUB; margin 68.25; ARPU 120.50 / 3 = 40.17;
        // conversion 2 of 6 new users = 33.3 %.
        for wanted in [
            "2026-03-01",
            "2026-03-02",
            "200 ⭐",
            "300\u{a0}₽",
            "120.50\u{a0}₽",
            "$0.55",
            "52.25\u{a0}₽",
            "68.25\u{a0}₽",
            "80 ⭐",
            "120\u{a0}₽",
            "33.3 %",
            "40.17\u{a0}₽",
            "95",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from\n{text}");
        }
        let data = callback_data(&screen);
        assert!(data.contains(&AdminButton::AnalyticsChart.encode()));
        assert!(data.contains(&AdminButton::AnalyticsCsv.encode()));
        for d in &data {
            assert!(d.len() <= 64 && AdminButton::decode(d).is_some());
        }
        let ru = summary(
            &i18n(),
            Lang::Ru,
            date(1),
            date(2),
            dec!(95),
            &ledger::reports::summary(&[], 0),
        );
        assert!(ru.text.contains("01.03.2026") && ru.text.contains('—'));
    }

    #[test]
    fn the_chart_has_three_series_in_rubles_labelled_in_the_language() {
        let days = days();
        let i18n = i18n();
        let chart = chart(&i18n, Lang::Ru, &days);
        assert_eq!(chart.days, [date(1), date(2)]);
        assert_eq!(chart.series.len(), 3);
        assert_eq!(
            chart.series[0].label,
            i18n.t(Lang::Ru, "admin-chart-revenue")
        );
        assert_eq!(chart.series[0].values, [dec!(120.50), dec!(0)]);
        assert_eq!(chart.series[1].values, [dec!(42.75), dec!(9.50)]);
        assert_eq!(chart.series[2].values, [dec!(77.75), dec!(-9.50)]);
        let png = crate::export::daily_chart_png(&chart).expect("draws");
        assert!(png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn the_csv_has_a_row_per_day_and_its_columns_are_explained() {
        let days = days();
        let i18n = i18n();
        for lang in [Lang::Ru, Lang::En] {
            let table = table(lang, &days);
            let bytes = to_csv(&table).expect("writes");
            let text = String::from_utf8(bytes).unwrap();
            let mut lines = text.trim_start_matches('\u{feff}').lines();
            assert_eq!(
                lines.next(),
                Some(
                    "day,stars_in,rub_credited,stars_refunded,refunds_rub,revenue_rub,\
                     kie_cost_usd,kie_cost_rub,gross_margin_rub,new_users,new_payers,\
                     paying_users,active_users"
                )
            );
            assert_eq!(
                lines.next(),
                Some("2026-03-01,100,150.00,40,60.00,120.50,0.45,42.75,77.75,3,1,2,2")
            );
            assert_eq!(
                lines.next(),
                Some("2026-03-02,100,150.00,40,60.00,0.00,0.1,9.50,-9.50,3,1,2,2")
            );
            let caption = csv_caption(&i18n, lang, date(1), date(2), &table);
            assert!(caption.contains("• gross_margin_rub — "), "{caption}");
            assert!(
                caption.chars().count() <= 1024,
                "{}",
                caption.chars().count()
            );
        }
    }
}

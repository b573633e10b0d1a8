//! What the report screens share: how they write their figures — rubles (a `Decimal` from the
//! ledger, shown to the kopeck), US dollars, durations and shares — how a long report is kept
//! within one message, and the home screen's row of report buttons. Pure formatting; nothing is
//! added up here.

use pricing::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use teloxide::types::InlineKeyboardButton;
use tg_kit::i18n::fmt_money;
use tg_kit::{I18n, Lang, button};

use crate::button::{AdminButton, StatsOrder};

/// The home screen's row of reports: stats, broken models, analytics, errors.
pub fn reports_row(i18n: &I18n, lang: Lang) -> Vec<InlineKeyboardButton> {
    vec![
        button(
            i18n.t(lang, "admin-stats"),
            AdminButton::Stats {
                days: 7,
                order: StatsOrder::Revenue,
                page: 0,
            }
            .encode(),
        ),
        button(i18n.t(lang, "admin-broken"), AdminButton::Broken.encode()),
        button(
            i18n.t(lang, "admin-analytics"),
            AdminButton::Analytics.encode(),
        ),
        button(
            i18n.t(lang, "admin-errors"),
            AdminButton::Errors { days: 1 }.encode(),
        ),
    ]
}

/// Rubles to the kopeck ("1 234,50 ₽"); a negative amount keeps its sign.
pub fn rub(lang: Lang, rubles: Decimal) -> String {
    fmt_money(lang, Money::floor(rubles))
}

/// US dollars to the cent ("$12.35"), half to even.
pub fn usd(dollars: Decimal) -> String {
    let cents = dollars.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    if cents.is_sign_negative() && !cents.is_zero() {
        format!("−${:.2}", cents.abs())
    } else {
        format!("${:.2}", cents.abs())
    }
}

/// `usd × rub_per_usd` to the kopeck, half to even: the same rounding as the daily analytics.
pub fn usd_in_rub(dollars: Decimal, rub_per_usd: Decimal) -> Decimal {
    dollars
        .checked_mul(rub_per_usd)
        .unwrap_or_default()
        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

/// A duration in milliseconds for a percentile: "12.3 s" / "12,3 с" under a minute, "3 min 5 s"
/// above; "—" for none.
pub fn duration_ms(lang: Lang, ms: Option<i64>) -> String {
    let Some(ms) = ms.filter(|ms| *ms >= 0) else {
        return "—".into();
    };
    if ms < 60_000 {
        let (whole, tenth) = (ms / 1000, ms % 1000 / 100);
        match lang {
            Lang::Ru => format!("{whole},{tenth} с"),
            Lang::En => format!("{whole}.{tenth} s"),
        }
    } else {
        tg_kit::i18n::fmt_duration(lang, std::time::Duration::from_millis(ms as u64))
    }
}

/// A ratio (0.1234) as a percentage to one decimal ("12.3 %" / "12,3 %"); "—" for none.
pub fn percent(lang: Lang, ratio: Option<Decimal>) -> String {
    let Some(ratio) = ratio else {
        return "—".into();
    };
    let value = (ratio * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointNearestEven);
    let text = format!("{value:.1}");
    match lang {
        Lang::Ru => format!("{} %", text.replace('.', ",")),
        Lang::En => format!("{text} %"),
    }
}

/// Outside text (Kie's messages, codes) for an HTML screen: cut to `max` characters first, then
/// escaped (so a cut never splits an entity).
pub fn outside(text: &str, max: usize) -> String {
    teloxide::utils::html::escape(&tg_kit::send::clip_to(text, max))
}

/// What a report's text may take: Telegram's limit, less room for a last "… and N more".
pub const TEXT_BUDGET: usize = tg_kit::send::MAX_TEXT_CHARS - 200;

/// `head`, then as many of `entries` as fit [`TEXT_BUDGET`] (whole entries only, so no HTML
/// tag is ever cut), joined by `sep`, then `more(left out)` when some did not fit. Returns the
/// text and how many entries it holds.
pub fn fit(
    head: &str,
    entries: &[String],
    sep: &str,
    more: impl Fn(usize) -> String,
) -> (String, usize) {
    let mut text = head.to_string();
    let mut used = text.chars().count();
    let mut shown = 0;
    for entry in entries {
        let cost = sep.chars().count() + entry.chars().count();
        if used + cost > TEXT_BUDGET {
            break;
        }
        text.push_str(sep);
        text.push_str(entry);
        used += cost;
        shown += 1;
    }
    if shown < entries.len() {
        text.push_str(sep);
        text.push_str(&more(entries.len() - shown));
    }
    (text, shown)
}

/// The callback data of every button of `screen` (for the screens' tests).
#[cfg(test)]
pub(crate) fn callback_data(screen: &tg_kit::Screen) -> Vec<String> {
    screen
        .rows
        .iter()
        .flatten()
        .filter_map(|b| match &b.kind {
            teloxide::types::InlineKeyboardButtonKind::CallbackData(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn figures_are_written_per_language() {
        assert_eq!(rub(Lang::En, dec!(1234.5)), "1,234.50\u{a0}₽");
        assert_eq!(rub(Lang::Ru, dec!(-5)), "−5\u{a0}₽");
        assert_eq!(usd(dec!(0.125)), "$0.12");
        assert_eq!(usd(dec!(12)), "$12.00");
        assert_eq!(usd(dec!(-1.5)), "−$1.50");
        assert_eq!(usd_in_rub(dec!(0.05), dec!(95)), dec!(4.75));
        assert_eq!(usd_in_rub(dec!(0.0005), dec!(95)), dec!(0.05));
        assert_eq!(duration_ms(Lang::En, Some(12_345)), "12.3 s");
        assert_eq!(duration_ms(Lang::Ru, Some(900)), "0,9 с");
        assert_eq!(duration_ms(Lang::En, Some(185_000)), "3 min 5 s");
        assert_eq!(duration_ms(Lang::En, None), "—");
        assert_eq!(percent(Lang::En, Some(dec!(0.1234))), "12.3 %");
        assert_eq!(percent(Lang::Ru, Some(dec!(1.5))), "150,0 %");
        assert_eq!(percent(Lang::Ru, None), "—");
        assert_eq!(outside("<b>&", 100), "&lt;b&gt;&amp;");
        assert_eq!(outside("abcdef", 3), "ab…");
    }

    #[test]
    fn the_home_row_opens_the_four_reports() {
        let i18n = I18n::new(&[crate::LOCALE]);
        let row = reports_row(&i18n, Lang::Ru);
        let data = callback_data(&tg_kit::Screen::new("x").row(row));
        let decoded: Vec<_> = data.iter().filter_map(|d| AdminButton::decode(d)).collect();
        assert_eq!(
            decoded,
            [
                AdminButton::Stats {
                    days: 7,
                    order: StatsOrder::Revenue,
                    page: 0
                },
                AdminButton::Broken,
                AdminButton::Analytics,
                AdminButton::Errors { days: 1 },
            ]
        );
    }

    #[test]
    fn entries_fit_whole_or_not_at_all() {
        let entries = vec!["<b>x</b>".repeat(300); 5];
        let (text, shown) = fit("head", &entries, "\n", |n| format!("+{n}"));
        assert_eq!(shown, 1);
        assert!(text.ends_with("\n+4") && text.chars().count() <= TEXT_BUDGET + 10);
        let (text, shown) = fit("head", &["a".into(), "b".into()], ", ", |_| "never".into());
        assert_eq!((text.as_str(), shown), ("head, a, b", 2));
    }
}

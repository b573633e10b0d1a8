//! The audit log, paged newest first: who, what, when, to whom, details — all of it, or under
//! a filter (`/log user <id>`, `/log admin <id>`, `/log kind <action>`), with a CSV export of
//! what the filter selects.

use ledger::AuditRecord;
use tg_kit::i18n::fmt_when;
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::figures::fit;
use super::{home_button, pager};
use crate::button::{AdminButton, LogFilter};
use crate::export::{Column, Table};

/// One page of audit records (`page_size` asked for; a full page has a "›"), under `filter`.
pub fn page(
    i18n: &I18n,
    lang: Lang,
    records: &[AuditRecord],
    page_size: usize,
    filter: Option<&LogFilter>,
) -> Screen {
    let escape = teloxide::utils::html::escape;
    let lines: Vec<String> = records
        .iter()
        .map(|r| {
            let actor = r
                .actor_id
                .map_or_else(|| i18n.t(lang, "admin-log-system"), |a| a.to_string());
            let target = r
                .target_user_id
                .map(|t| format!(" → {t}"))
                .unwrap_or_default();
            let details = tg_kit::send::clip_to(&r.details.to_string(), 120);
            format!(
                "#{} {} · <b>{}</b> · {}{target}\n<code>{}</code>",
                r.id,
                fmt_when(lang, r.at),
                escape(&r.action),
                escape(&actor),
                escape(&details)
            )
        })
        .collect();
    let mut head = format!("<b>{}</b>", i18n.t(lang, "admin-log"));
    if let Some(filter) = filter {
        head.push('\n');
        head.push_str(&describe(i18n, lang, filter));
    }
    head.push('\n');
    head.push_str(&i18n.t(lang, "admin-log-hint"));
    head.push('\n');
    let (text, shown) = if lines.is_empty() {
        (format!("{head}\n{}", i18n.t(lang, "admin-list-empty")), 0)
    } else {
        fit(&head, &lines, "\n", |_| "…".into())
    };
    // The next page starts after the last record shown.
    let oldest = records[..shown].last().map(|r| r.id);
    let mut nav = Vec::new();
    if let (Some(oldest), true) = (oldest, records.len() == page_size || shown < records.len()) {
        nav = pager(0, true, |_| match filter {
            None => AdminButton::Log {
                before: Some(oldest),
            },
            Some(f) => AdminButton::LogFiltered {
                filter: f.clone(),
                before: Some(oldest),
            },
        });
    }
    Screen::new(text)
        .row(nav)
        .row(vec![button(
            i18n.t(lang, "admin-log-csv"),
            AdminButton::LogCsv {
                filter: filter.cloned(),
            }
            .encode(),
        )])
        .row(vec![home_button(i18n, lang)])
}

/// "Filter: user 42" (or admin, or action).
pub fn describe(i18n: &I18n, lang: Lang, filter: &LogFilter) -> String {
    match filter {
        LogFilter::User(id) => i18n.tf(lang, "admin-log-filter-user", &Args::new().num("id", *id)),
        LogFilter::Admin(id) => {
            i18n.tf(lang, "admin-log-filter-admin", &Args::new().num("id", *id))
        }
        LogFilter::Kind(action) => i18n.tf(
            lang,
            "admin-log-filter-kind",
            &Args::new().text("action", action),
        ),
    }
}

/// The CSV export's columns (meanings in English and Russian).
const COLUMNS: [(&str, &str, &str); 6] = [
    ("id", "record number", "номер записи"),
    ("at", "when, UTC (RFC 3339)", "когда, UTC (RFC 3339)"),
    (
        "actor",
        "the admin's Telegram id; empty for the system",
        "Telegram id администратора; пусто — система",
    ),
    ("action", "what was done", "что сделано"),
    (
        "target",
        "the user it concerned; empty if none",
        "пользователь, которого это касается; пусто — никто",
    ),
    ("details", "details, JSON", "подробности, JSON"),
];

/// The records as a table, one row each (newest first, as read).
pub fn table(lang: Lang, records: &[AuditRecord]) -> Table {
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
    let rows = records
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
                r.action.clone(),
                r.target_user_id.map(|t| t.to_string()).unwrap_or_default(),
                r.details.to_string(),
            ]
        })
        .collect();
    Table { columns, rows }
}

/// The CSV file's caption: the filter, how many records, what the columns mean.
pub fn csv_caption(
    i18n: &I18n,
    lang: Lang,
    filter: Option<&LogFilter>,
    rows: usize,
    complete: bool,
    table: &Table,
) -> String {
    let mut text = i18n.tf(
        lang,
        "admin-log-csv-caption",
        &Args::new().num("rows", rows as i64),
    );
    if let Some(filter) = filter {
        text.push('\n');
        text.push_str(&describe(i18n, lang, filter));
    }
    if !complete {
        text.push('\n');
        text.push_str(&i18n.t(lang, "admin-log-csv-newest-only"));
    }
    text.push('\n');
    text.push_str(&teloxide::utils::html::escape(
        &crate::export::describe_columns(table),
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::figures::callback_data;
    use chrono::TimeZone;
    use serde_json::json;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn record(id: i64, action: &str) -> AuditRecord {
        AuditRecord {
            id,
            at: chrono::Utc.with_ymd_and_hms(2026, 3, 4, 11, 30, 0).unwrap(),
            actor_id: (id % 2 == 0).then_some(9_000_001),
            action: action.into(),
            target_user_id: Some(42),
            details: json!({"reason": "<spam>", "formula": "=1+1"}),
        }
    }

    #[test]
    fn a_filtered_page_keeps_its_filter_in_the_pager_and_the_export() {
        let i18n = i18n();
        let records = vec![record(12, "ban"), record(11, "admin_view_user")];
        let filter = LogFilter::User(42);
        let screen = page(&i18n, Lang::En, &records, 2, Some(&filter));
        let text = &screen.text;
        for wanted in [
            "#12",
            "<b>ban</b>",
            "9000001",
            "→ 42",
            "&lt;spam&gt;",
            "2026-03-04 11:30",
            &describe(&i18n, Lang::En, &filter),
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from\n{text}");
        }
        let data = callback_data(&screen);
        assert!(
            data.contains(
                &AdminButton::LogFiltered {
                    filter: filter.clone(),
                    before: Some(11)
                }
                .encode()
            )
        );
        assert!(
            data.contains(
                &AdminButton::LogCsv {
                    filter: Some(filter)
                }
                .encode()
            )
        );
        for d in &data {
            assert!(d.len() <= 64 && AdminButton::decode(d).is_some(), "{d}");
        }
        // Unfiltered, a short page: no "›", the export of everything.
        let all = page(&i18n, Lang::Ru, &records, 10, None);
        let data = callback_data(&all);
        assert!(data.contains(&AdminButton::LogCsv { filter: None }.encode()));
        assert!(!data.iter().any(|d| d.starts_with("a:l:")));
    }

    #[test]
    fn the_export_has_the_documented_columns_and_neutralised_details() {
        let i18n = i18n();
        let records = vec![record(12, "ban"), record(11, "=cmd")];
        let table = table(Lang::En, &records);
        let csv = String::from_utf8(crate::export::to_csv(&table).unwrap()).unwrap();
        let mut lines = csv.trim_start_matches('\u{feff}').lines();
        assert_eq!(lines.next(), Some("id,at,actor,action,target,details"));
        assert_eq!(
            lines.next(),
            Some(
                "12,2026-03-04T11:30:00Z,9000001,ban,42,\
                 \"{\"\"reason\"\":\"\"<spam>\"\",\"\"formula\"\":\"\"=1+1\"\"}\""
            )
        );
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("11,2026-03-04T11:30:00Z,,'=cmd,42,")
        );
        for lang in [Lang::Ru, Lang::En] {
            let caption = csv_caption(
                &i18n,
                lang,
                Some(&LogFilter::Kind("ban".into())),
                2,
                false,
                &super::table(lang, &records),
            );
            assert!(caption.contains("• details — ") && caption.contains("ban"));
            assert!(caption.chars().count() <= 1024);
        }
    }
}

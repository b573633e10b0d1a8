//! The audit log, paged newest first: who, what, when, to whom, details.

use ledger::AuditRecord;
use tg_kit::i18n::fmt_when;
use tg_kit::{I18n, Lang, Screen};

use super::{home_button, pager};
use crate::button::AdminButton;

/// One page of audit records (`page_size` asked for; a full page has a "›").
pub fn page(i18n: &I18n, lang: Lang, records: &[AuditRecord], page_size: usize) -> Screen {
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
    let body = if lines.is_empty() {
        i18n.t(lang, "admin-list-empty")
    } else {
        lines.join("\n")
    };
    let oldest = records.last().map(|r| r.id);
    let mut nav = Vec::new();
    if let (Some(oldest), true) = (oldest, records.len() == page_size) {
        nav = pager(0, true, |_| AdminButton::Log {
            before: Some(oldest),
        });
    }
    Screen::new(format!("<b>{}</b>\n\n{body}", i18n.t(lang, "admin-log")))
        .row(nav)
        .row(vec![home_button(i18n, lang)])
}

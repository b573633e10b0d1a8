//! Users: a page of a list, search results, and the user card.

use ledger::reports::UserOrder;
use ledger::reports::user_card::UserCard;
use ledger::reports::users::{UserCounts, UserRow};
use pricing::Money;
use tg_kit::i18n::{fmt_money, fmt_when};
use tg_kit::{Args, I18n, Lang, Screen, button};

use super::{home_button, pager};
use crate::button::AdminButton;

fn money(lang: Lang, rubles: rust_decimal::Decimal) -> String {
    fmt_money(lang, Money::floor(rubles))
}

fn line(i18n: &I18n, lang: Lang, number: usize, row: &UserRow) -> String {
    let username = row
        .username
        .as_deref()
        .map(|u| format!(" @{u}"))
        .unwrap_or_default();
    let args = Args::new()
        .num("n", number as i64)
        .text("name", format!("{}{username}", row.first_name))
        .num("user", row.id.0)
        .raw("available", money(lang, row.available))
        .raw("spent", money(lang, row.spent))
        .num("stars", row.paid_stars)
        .raw("banned", if row.banned { " ⛔" } else { "" });
    i18n.tf(lang, "admin-user-line", &args)
}

/// Buttons to open each listed user's card.
fn card_buttons(rows: &[UserRow], first: usize) -> Vec<teloxide::types::InlineKeyboardButton> {
    rows.iter()
        .enumerate()
        .map(|(k, r)| {
            button(
                format!("{}", first + k),
                AdminButton::Card { user: r.id.0 }.encode(),
            )
        })
        .collect()
}

/// A page of users in `order`, with the counts on top.
pub fn list(
    i18n: &I18n,
    lang: Lang,
    order: UserOrder,
    page: u16,
    page_size: usize,
    counts: &UserCounts,
    rows: &[UserRow],
) -> Screen {
    let title = i18n.t(
        lang,
        match order {
            UserOrder::Newest => "admin-users-newest",
            UserOrder::TopSpend => "admin-users-spend",
            UserOrder::TopBalance => "admin-users-balance",
            UserOrder::RecentlyActive => "admin-users-active",
        },
    );
    let head = i18n.tf(
        lang,
        "admin-user-counts",
        &Args::new()
            .num("total", counts.total)
            .num("d1", counts.active_1d)
            .num("d7", counts.active_7d)
            .num("d30", counts.active_30d)
            .num("paying", counts.paying),
    );
    let first = page as usize * page_size + 1;
    let lines: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(k, r)| line(i18n, lang, first + k, r))
        .collect();
    let body = if lines.is_empty() {
        i18n.t(lang, "admin-list-empty")
    } else {
        lines.join("\n")
    };
    Screen::new(format!("<b>{title}</b>\n{head}\n\n{body}"))
        .grid(card_buttons(rows, first), 5)
        .row(pager(page, rows.len() == page_size, |p| {
            AdminButton::Users { order, page: p }
        }))
        .row(vec![home_button(i18n, lang)])
}

/// Search results for `query`.
pub fn found(i18n: &I18n, lang: Lang, query: &str, rows: &[UserRow]) -> Screen {
    let head = i18n.tf(
        lang,
        "admin-found",
        &Args::new()
            .text("query", query)
            .num("count", rows.len() as i64),
    );
    let lines: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(k, r)| line(i18n, lang, k + 1, r))
        .collect();
    Screen::new(format!("{head}\n\n{}", lines.join("\n")))
        .grid(card_buttons(rows, 1), 5)
        .row(vec![home_button(i18n, lang)])
}

/// A user's card.
pub fn card(i18n: &I18n, lang: Lang, card: &UserCard) -> Screen {
    let p = &card.profile;
    let name = [Some(p.first_name.as_str()), p.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let status = match (p.banned, p.reachable) {
        (true, _) => i18n.tf(
            lang,
            "admin-card-banned",
            &Args::new().text("reason", p.ban_reason.as_deref().unwrap_or("—")),
        ),
        (false, false) => i18n.t(lang, "admin-card-blocked"),
        (false, true) => i18n.t(lang, "admin-card-ok"),
    };
    let args = Args::new()
        .text("name", &name)
        .text(
            "username",
            p.username
                .as_deref()
                .map(|u| format!("@{u}"))
                .unwrap_or_else(|| "—".into()),
        )
        .num("user", p.id.0)
        .raw("language", tg_kit::i18n::code(p.language))
        .raw("joined", fmt_when(lang, p.created_at))
        .raw("seen", fmt_when(lang, p.last_seen_at))
        .raw("status", status)
        .raw("available", money(lang, p.available))
        .raw("held", money(lang, p.held))
        .num("paid_stars", p.paid_xtr)
        .raw("paid_rub", money(lang, p.rub_credited))
        .num("refunded_stars", p.refunded_xtr)
        .raw("spent", money(lang, p.spent))
        .num("free_runs", p.free_runs_used);
    let mut text = i18n.tf(lang, "admin-card", &args);
    let states: Vec<String> = card
        .jobs_by_state
        .iter()
        .map(|(s, n)| format!("{}: {n}", s.as_str()))
        .collect();
    if !states.is_empty() {
        text.push_str(&format!("\n{}", states.join(" · ")));
    }
    text.push_str(&format!("\n\n<b>{}</b>", i18n.t(lang, "admin-card-jobs")));
    for job in &card.last_jobs {
        let price = if job.is_free {
            i18n.t(lang, "admin-free")
        } else {
            money(lang, job.price)
        };
        let code = job
            .failure_code
            .as_deref()
            .map(|c| format!(" ({})", tg_kit::send::clip_to(&escape(c), 40)))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n#{} <code>{}</code> · {}{code} · {price} · {}",
            job.id.0,
            escape(&job.model_id),
            job.state.as_str(),
            fmt_when(lang, job.created_at)
        ));
    }
    text.push_str(&format!(
        "\n\n<b>{}</b>",
        i18n.t(lang, "admin-card-payments")
    ));
    for pay in &card.last_payments {
        text.push_str(&format!(
            "\n#{} · {} ⭐ → {} · {} · {}",
            pay.id.0,
            pay.xtr_amount,
            money(lang, pay.rub_credited),
            escape(&pay.state),
            fmt_when(lang, pay.created_at)
        ));
    }
    text.push_str("\n\n");
    text.push_str(&i18n.tf(
        lang,
        "admin-card-commands",
        &Args::new().num("user", p.id.0),
    ));
    let mut screen = Screen::new(text);
    if p.banned {
        screen = screen.row(vec![button(
            i18n.t(lang, "admin-unban"),
            AdminButton::Unban { user: p.id.0 }.encode(),
        )]);
    }
    screen.row(vec![home_button(i18n, lang)])
}

fn escape(s: &str) -> String {
    teloxide::utils::html::escape(s)
}

//! The panel's home: health at a glance.

use pricing::Money;
use rust_decimal::Decimal;
use tg_kit::{Args, I18n, Lang, Screen, button};

use crate::button::AdminButton;
use crate::roles::Role;
use ledger::reports::UserOrder;

/// The figures on the home screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Health {
    /// Kie credits left; `None` when Kie did not answer.
    pub kie_credits: Option<Decimal>,
    /// New runs are paused because Kie refuses tasks.
    pub paused: bool,
    /// Jobs not yet ended.
    pub jobs_in_flight: i64,
    /// Updates stored and not yet handled.
    pub inbox_depth: i64,
    /// Failed jobs in the last hour.
    pub errors_last_hour: i64,
    /// Charged today (rubles).
    pub revenue_today: Money,
    /// Kie's cost of today's successes (USD).
    pub kie_cost_today_usd: Decimal,
    /// Users in all.
    pub users_total: i64,
    /// Users seen in the last day.
    pub users_active_1d: i64,
    /// Users who ever paid.
    pub users_paying: i64,
}

/// The home screen for an admin with `role`.
pub fn home(i18n: &I18n, lang: Lang, role: Role, health: &Health) -> Screen {
    let kie = match health.kie_credits {
        Some(credits) => i18n.tf(
            lang,
            "admin-home-kie",
            &Args::new().raw("credits", credits.round_dp(2).to_string()),
        ),
        None => i18n.t(lang, "admin-home-kie-unknown"),
    };
    let runs = i18n.t(
        lang,
        if health.paused {
            "admin-home-paused"
        } else {
            "admin-home-running"
        },
    );
    let args = Args::new()
        .raw(
            "role",
            i18n.t(lang, &format!("admin-role-{}", role.as_str())),
        )
        .raw("kie", kie)
        .raw("runs", runs)
        .num("in_flight", health.jobs_in_flight)
        .num("inbox", health.inbox_depth)
        .num("errors", health.errors_last_hour)
        .money("revenue", lang, health.revenue_today)
        .raw(
            "cost",
            format!("${}", health.kie_cost_today_usd.round_dp(2)),
        )
        .num("users", health.users_total)
        .num("active", health.users_active_1d)
        .num("paying", health.users_paying);
    let list = |id: &str, order: UserOrder| {
        button(
            i18n.t(lang, id),
            AdminButton::Users { order, page: 0 }.encode(),
        )
    };
    let mut screen = Screen::new(i18n.tf(lang, "admin-home", &args))
        .row(vec![
            list("admin-users-newest", UserOrder::Newest),
            list("admin-users-active", UserOrder::RecentlyActive),
        ])
        .row(vec![
            list("admin-users-spend", UserOrder::TopSpend),
            list("admin-users-balance", UserOrder::TopBalance),
        ])
        .row(vec![
            button(
                i18n.t(lang, "admin-models"),
                AdminButton::Models { page: 0 }.encode(),
            ),
            button(
                i18n.t(lang, "admin-log"),
                AdminButton::Log { before: None }.encode(),
            ),
        ]);
    if role == Role::Owner {
        screen = screen.row(vec![button(
            i18n.t(lang, "admin-admins"),
            AdminButton::Admins.encode(),
        )]);
    }
    screen
}

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
        ])
        .row(crate::screens::figures::reports_row(i18n, lang));
    if role == Role::Owner {
        screen = screen.row(vec![
            button(i18n.t(lang, "admin-admins"), AdminButton::Admins.encode()),
            button(
                i18n.t(lang, "admin-broadcasts"),
                AdminButton::Broadcasts.encode(),
            ),
        ]);
    }
    screen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health() -> Health {
        Health {
            kie_credits: Some(Decimal::new(123456, 2)),
            paused: true,
            jobs_in_flight: 3,
            inbox_depth: 1,
            errors_last_hour: 2,
            revenue_today: Money::parse("190").unwrap(),
            kie_cost_today_usd: Decimal::new(5, 1),
            users_total: 10,
            users_active_1d: 4,
            users_paying: 2,
        }
    }

    #[test]
    fn the_home_shows_the_figures_and_only_owners_get_the_admins_button() {
        let i18n = I18n::new(&[crate::LOCALE]);
        let owner = home(&i18n, Lang::En, Role::Owner, &health());
        for part in ["1234.56", "paused", "in flight: 3", "190", "$0.5", "10"] {
            assert!(owner.text.contains(part), "{part} in {}", owner.text);
        }
        let labels = |s: &Screen| {
            s.rows
                .concat()
                .iter()
                .map(|b| b.text.clone())
                .collect::<Vec<_>>()
        };
        let admins = i18n.t(Lang::En, "admin-admins");
        assert!(labels(&owner).contains(&admins));
        let support = home(&i18n, Lang::Ru, Role::Support, &health());
        assert!(!labels(&support).contains(&i18n.t(Lang::Ru, "admin-admins")));
        assert!(
            support
                .text
                .contains(&i18n.t(Lang::Ru, "admin-role-support"))
        );
    }
}

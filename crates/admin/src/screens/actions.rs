//! The preview of a pending action: its effect in plain words ("150 ₽ to Anna (id 42): the
//! balance goes from 10 ₽ to 160 ₽"), with Confirm and Cancel.

use ledger::{AsyncPgConnection, Balance};
use tg_kit::{Args, I18n, Lang, Screen, button};

use crate::Admin;
use crate::button::AdminButton;
use crate::pending::{Pending, Plan};

/// What the preview says besides the plan: read when the action is proposed.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    /// The plan.
    pub plan: Plan,
    /// The user's display name and id, when the action concerns one.
    pub target: Option<(String, i64)>,
    /// Their balance now.
    pub balance: Option<Balance>,
    /// The model's display name, when it concerns one.
    pub model_name: Option<String>,
    /// Minutes the Confirm button stays valid.
    pub minutes: i64,
    /// How many users a broadcast would reach now.
    pub recipients: Option<i64>,
    /// The figures of a refund or a setting change (`ops::refunds::extra_facts`).
    pub extra: Option<Extra>,
}

/// What the preview of a refund or a setting change shows besides the plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Extra {
    /// A Stars payment and its payer's balance.
    Payment(super::refunds::PaymentFacts),
    /// A charged job and its user's balance.
    Job(super::refunds::JobFacts),
    /// What a setting change does to prices and the free set.
    Setting(super::settings::SettingEffect),
}

impl Facts {
    /// Reads what the preview of `pending` needs.
    pub async fn read(
        conn: &mut AsyncPgConnection,
        admin: &Admin,
        pending: &Pending,
    ) -> anyhow::Result<Facts> {
        let mut facts = Facts {
            plan: pending.plan.clone(),
            target: None,
            balance: None,
            model_name: None,
            // Rounded up: a 5-minute window read a few milliseconds later is still "5 min".
            minutes: ((pending.expires_at - chrono::Utc::now()).num_seconds() + 59)
                .div_euclid(60)
                .max(1),
            recipients: None,
            extra: None,
        };
        if let Some(target) = pending.target {
            let name = ledger::user(conn, target)
                .await?
                .map(|u| u.first_name)
                .unwrap_or_else(|| "—".into());
            facts.target = Some((name, target.0));
            if matches!(pending.plan, Plan::Credit { .. } | Plan::Debit { .. }) {
                facts.balance = Some(ledger::balance(conn, target).await?);
            }
        }
        if let Plan::DisableModel { model, .. } | Plan::EnableModel { model } = &pending.plan {
            facts.model_name = admin.catalog.get(model).map(|m| m.title.en.clone());
        }
        if let Plan::Broadcast { segment, .. } = &pending.plan {
            facts.recipients = Some(crate::broadcast::count_recipients(conn, *segment).await?);
        }
        facts.extra = crate::ops::refunds::extra_facts(conn, admin, pending).await?;
        Ok(facts)
    }
}

/// The preview screen of pending action `id`.
pub fn preview(i18n: &I18n, lang: Lang, id: i64, facts: &Facts) -> Screen {
    let (name, user) = facts.target.clone().unwrap_or_default();
    let who = Args::new().text("name", &name).num("user", user);
    let body = match &facts.plan {
        Plan::Credit { rub, reason } | Plan::Debit { rub, reason } => {
            let before = facts.balance.map(|b| b.available).unwrap_or_default();
            let credit = matches!(facts.plan, Plan::Credit { .. });
            let after = if credit {
                before + *rub
            } else {
                before.checked_sub(*rub).unwrap_or_default()
            };
            let args = who
                .money("rub", lang, *rub)
                .money("before", lang, before)
                .money("after", lang, after)
                .text("reason", reason);
            let id = if credit {
                "admin-preview-credit"
            } else {
                "admin-preview-debit"
            };
            let mut text = i18n.tf(lang, id, &args);
            if !credit && before < *rub {
                text.push_str("\n\n");
                text.push_str(&i18n.t(lang, "admin-insufficient"));
            }
            text
        }
        Plan::Ban { reason } => i18n.tf(lang, "admin-preview-ban", &who.text("reason", reason)),
        Plan::Unban => i18n.tf(lang, "admin-preview-unban", &who),
        Plan::DisableModel { model, reason } => i18n.tf(
            lang,
            "admin-preview-disable",
            &Args::new()
                .text("model", facts.model_name.as_deref().unwrap_or(model))
                .text("reason", reason),
        ),
        Plan::EnableModel { model } => i18n.tf(
            lang,
            "admin-preview-enable",
            &Args::new().text("model", facts.model_name.as_deref().unwrap_or(model)),
        ),
        Plan::Grant { role } => i18n.tf(lang, "admin-preview-grant", &who.text("role", role)),
        Plan::Revoke => i18n.tf(lang, "admin-preview-revoke", &who),
        // The message itself, exactly as the recipients will get it, then their number.
        Plan::Broadcast { segment, text } => crate::screens::broadcasts::preview_body(
            i18n,
            lang,
            *segment,
            text,
            facts.recipients.unwrap_or(0),
        ),
        Plan::RefundStars { reason, retry, .. } => match &facts.extra {
            Some(Extra::Payment(p)) => {
                super::refunds::stars_body(i18n, lang, (&name, user), reason, *retry, p)
            }
            _ => i18n.t(lang, "admin-no-such-payment"),
        },
        Plan::RefundJob { reason, .. } => match &facts.extra {
            Some(Extra::Job(j)) => super::refunds::job_body(i18n, lang, (&name, user), reason, j),
            _ => i18n.t(lang, "admin-no-such-job"),
        },
        Plan::SetSetting { key, reason, .. } => match &facts.extra {
            Some(Extra::Setting(e)) => super::settings::setting_body(i18n, lang, key, reason, e),
            _ => i18n.t(lang, "admin-setting-stale"),
        },
    };
    let expires = i18n.tf(
        lang,
        "admin-preview-expires",
        &Args::new().num("minutes", facts.minutes),
    );
    Screen::new(format!("{body}\n\n{expires}")).row(vec![
        button(
            i18n.t(lang, "admin-confirm"),
            AdminButton::Confirm { action: id }.encode(),
        ),
        button(
            i18n.t(lang, "admin-cancel"),
            AdminButton::Cancel { action: id }.encode(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use pricing::Money;

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn facts(plan: Plan, available: &str) -> Facts {
        Facts {
            plan,
            target: Some(("Anna <b>".into(), 42)),
            balance: Some(Balance {
                available: Money::parse(available).unwrap(),
                held: Money::ZERO,
            }),
            model_name: None,
            minutes: 5,
            recipients: None,
            extra: None,
        }
    }

    #[test]
    fn a_credit_preview_says_who_how_much_why_and_the_balance_after() {
        let plan = Plan::Credit {
            rub: Money::parse("150").unwrap(),
            reason: "goodwill".into(),
        };
        let screen = preview(&i18n(), Lang::En, 7, &facts(plan, "10"));
        for part in [
            "150\u{a0}₽",
            "Anna &lt;b&gt;",
            "42",
            "goodwill",
            "from 10\u{a0}₽",
            "to 160\u{a0}₽",
            "5 min",
        ] {
            assert!(screen.text.contains(part), "{part} in {}", screen.text);
        }
        let data: Vec<_> = screen
            .rows
            .concat()
            .iter()
            .map(|b| format!("{:?}", b.kind))
            .collect();
        assert!(
            data.iter().any(|d| d.contains("a:y:7")) && data.iter().any(|d| d.contains("a:n:7")),
            "{data:?}"
        );
    }

    #[test]
    fn a_debit_larger_than_the_balance_is_flagged_and_never_shown_below_zero() {
        let plan = Plan::Debit {
            rub: Money::parse("50").unwrap(),
            reason: "chargeback".into(),
        };
        let screen = preview(&i18n(), Lang::Ru, 8, &facts(plan, "10"));
        assert!(
            screen
                .text
                .contains(&i18n().t(Lang::Ru, "admin-insufficient")),
            "{}",
            screen.text
        );
        assert!(
            screen.text.contains("станет 0\u{a0}₽"),
            "after is zero, not negative: {}",
            screen.text
        );
        assert!(!screen.text.contains('-'), "{}", screen.text);
    }
}

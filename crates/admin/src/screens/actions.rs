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
            minutes: (pending.expires_at - chrono::Utc::now())
                .num_minutes()
                .max(1),
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

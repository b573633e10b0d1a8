//! The admin journey for `cargo xtask e2e`: an owner opens /admin, finds a customer, opens
//! their card, credits them (preview, then Confirm), sees the new balance, the customer is
//! told, and the credit is in the audit log. Each message id the checks look for comes from
//! the panel's own translations, so the journey reads the same in both languages.

use anyhow::Context as _;
use tg_fake::UserSpec;

use crate::{Script, Stack, Transcript, plain};

fn t(lang: &str, id: &str) -> String {
    let lang = if lang == "ru" {
        ledger::Language::Ru
    } else {
        ledger::Language::En
    };
    bot::tree::i18n().t(lang, id)
}

/// Runs the admin journey of `owner` (made an owner by [`crate::OWNER`] first) about
/// `customer`, who must have written to the bot already.
pub async fn admin_journey(stack: &Stack, owner: i64, customer: i64, lang: &str) -> Transcript {
    let spec = UserSpec::new(owner, "Olga").language(lang);
    let mut s = Script::new(&stack.tg, spec, lang);
    if let Err(e) = run(stack, &mut s, owner, customer, lang).await {
        tracing::warn!(error = %e, "the admin journey stopped");
    }
    s.transcript
}

async fn run(
    stack: &Stack,
    s: &mut Script<'_>,
    owner: i64,
    customer: i64,
    lang: &str,
) -> anyhow::Result<()> {
    admin::roles::grant(
        &mut *stack.app.ui.db().await?,
        ledger::UserId(crate::OWNER),
        ledger::UserId(owner),
        admin::Role::Owner,
    )
    .await?;
    let newest = t(lang, "admin-users-newest");
    s.step(
        "/admin",
        "the panel's home: health at a glance and the lists",
        |u| async move {
            u.send_text("/admin").await;
            Ok(())
        },
        |m| m.button(&newest).is_some(),
    )
    .await?;
    let id = customer.to_string();
    let find = format!("/find {customer}");
    s.step(
        &find.clone(),
        "the customer, found by id",
        |u| async move {
            u.send_text(&find).await;
            Ok(())
        },
        |m| m.text_or_empty().contains(&id) && m.button("1").is_some(),
    )
    .await?;
    s.step(
        "taps «1»",
        "the user card: balance, payments, jobs, actions",
        |u| async move { u.press("1").await.map(|_| ()) },
        |m| m.text_or_empty().contains("/credit"),
    )
    .await?;
    let confirm = t(lang, "admin-confirm");
    let credit = format!("/credit {customer} 50 goodwill");
    s.step(
        &credit.clone(),
        "a preview of the effect with Confirm and Cancel; nothing moved yet",
        |u| async move {
            u.send_text(&credit).await;
            Ok(())
        },
        |m| m.button(&confirm).is_some(),
    )
    .await?;
    let done: String = plain(&t(lang, "admin-done-money"))
        .chars()
        .take(8)
        .collect();
    let label = t(lang, "admin-confirm");
    s.step(
        &format!("taps «{label}»"),
        "done, with the new balance",
        |u| async move { u.press(&label).await.map(|_| ()) },
        |m| m.text_or_empty().starts_with(&done),
    )
    .await?;
    let notice: String = plain(&t(lang, "admin-notice-credited"))
        .chars()
        .take(10)
        .collect();
    let told = stack
        .tg
        .bot_messages(customer)
        .iter()
        .filter(|m| m.text_or_empty().starts_with(&notice))
        .count();
    s.record(
        "(the customer's chat)",
        format!("{told} notice(s) of the credit"),
        "the customer is told once",
        told == 1,
    );
    let log = t(lang, "admin-log");
    s.step(
        "/admin",
        "the home again",
        |u| async move {
            u.send_text("/admin").await;
            Ok(())
        },
        |m| m.button(&log).is_some(),
    )
    .await?;
    let log = t(lang, "admin-log");
    s.step(
        &format!("taps «{log}»"),
        "the audit log: the credit and the view of the card, by this admin",
        |u| async move { u.press(&log).await.map(|_| ()) },
        |m| {
            m.text_or_empty().contains("adjust_credit")
                && m.text_or_empty().contains("admin_view_user")
        },
    )
    .await
    .context("the audit log")?;
    Ok(())
}

//! The previews of refunds: a Stars payment (what Telegram returns, what is debited, the
//! balance before and after, and a warning when the money is no longer there) and a charged
//! job (what goes back). Pure: `ops::refunds` reads the figures.

use chrono::{DateTime, Utc};
use ledger::{Balance, PaymentDetails};
use pricing::Money;
use tg_kit::i18n::fmt_when;
use tg_kit::{Args, I18n, Lang};

/// What the preview of a Stars refund shows.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentFacts {
    /// The payment as stored now.
    pub payment: PaymentDetails,
    /// The payer's balance now.
    pub balance: Balance,
}

/// What the preview of a job refund shows.
#[derive(Clone, Debug, PartialEq)]
pub struct JobFacts {
    /// The job.
    pub job: i64,
    /// The model's title (or its id when the registry no longer has it).
    pub model: String,
    /// What it was charged.
    pub price: Money,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The user's balance now.
    pub balance: Balance,
}

/// The text of a Stars refund's preview (`retry`: the ledger already debited it, only Telegram
/// is asked again).
pub fn stars_body(
    i18n: &I18n,
    lang: Lang,
    (name, user): (&str, i64),
    reason: &str,
    retry: bool,
    facts: &PaymentFacts,
) -> String {
    let p = &facts.payment;
    let b = facts.balance;
    let args = || {
        Args::new()
            .text("name", name)
            .num("user", user)
            .num("payment", p.id.0)
            .num("stars", i64::from(p.xtr_amount))
            .money("rub", lang, p.rub_credited)
            .raw("when", fmt_when(lang, p.created_at))
            .text("reason", reason)
    };
    if retry {
        let when = p.refunded_at.unwrap_or(p.created_at);
        return i18n.tf(
            lang,
            "admin-preview-refund-retry",
            &args().raw("refunded", fmt_when(lang, when)),
        );
    }
    let after = b.available.checked_sub(p.rub_credited);
    let mut text = i18n.tf(
        lang,
        "admin-preview-refund",
        &args()
            .money("available", lang, b.available)
            .money("held", lang, b.held)
            .money("after", lang, after.unwrap_or_default()),
    );
    if after.is_none() {
        text.push_str("\n\n");
        text.push_str(
            &i18n.tf(
                lang,
                "admin-refund-spent-warning",
                &Args::new().money("rub", lang, p.rub_credited).money(
                    "available",
                    lang,
                    b.available,
                ),
            ),
        );
    }
    text
}

/// The text of a job refund's preview.
pub fn job_body(
    i18n: &I18n,
    lang: Lang,
    (name, user): (&str, i64),
    reason: &str,
    facts: &JobFacts,
) -> String {
    let before = facts.balance.available;
    i18n.tf(
        lang,
        "admin-preview-refundjob",
        &Args::new()
            .text("name", name)
            .num("user", user)
            .num("job", facts.job)
            .text("model", &facts.model)
            .raw("when", fmt_when(lang, facts.created_at))
            .money("rub", lang, facts.price)
            .money("before", lang, before)
            .money("after", lang, before + facts.price)
            .text("reason", reason),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger::{PaymentId, UserId};

    fn i18n() -> I18n {
        I18n::new(&[crate::LOCALE])
    }

    fn payment(refunded: bool) -> PaymentFacts {
        PaymentFacts {
            payment: PaymentDetails {
                id: PaymentId(17),
                user_id: UserId(42),
                telegram_payment_charge_id: "ch".into(),
                xtr_amount: 50,
                rub_credited: Money::parse("60").unwrap(),
                state: if refunded { "refunded" } else { "credited" }.into(),
                created_at: Utc::now(),
                refunded_at: refunded.then(Utc::now),
                refunded_by: None,
                refund_reason: None,
            },
            balance: Balance {
                available: Money::parse("25").unwrap(),
                held: Money::parse("5").unwrap(),
            },
        }
    }

    #[test]
    fn a_refund_of_spent_money_is_previewed_with_the_warning() {
        let i18n = i18n();
        let text = stars_body(
            &i18n,
            Lang::En,
            ("<Ann>", 42),
            "asked",
            false,
            &payment(false),
        );
        assert!(
            text.contains("50 ⭐") && text.contains("60\u{a0}₽"),
            "{text}"
        );
        assert!(text.contains("&lt;Ann&gt;"), "names are escaped: {text}");
        assert!(
            text.contains(
                &i18n.tf(
                    Lang::En,
                    "admin-refund-spent-warning",
                    &Args::new()
                        .money("rub", Lang::En, Money::parse("60").unwrap())
                        .money("available", Lang::En, Money::parse("25").unwrap())
                )
            ),
            "{text}"
        );
        let retry = stars_body(&i18n, Lang::Ru, ("Ann", 42), "asked", true, &payment(true));
        let head: String = i18n
            .t(Lang::Ru, "admin-preview-refund-retry")
            .chars()
            .take(6)
            .collect();
        assert!(retry.starts_with(&head), "{retry}");
    }

    /// Ids the refunds and settings code names outside `.t(`/`.tf(` (refusals).
    #[test]
    fn every_refusal_id_exists() {
        let ids = crate::LOCALE.ids(Lang::En);
        for id in [
            "admin-no-such-payment",
            "admin-refund-already",
            "admin-refund-raced",
            "admin-no-such-job",
            "admin-refundjob-free",
            "admin-refundjob-not-charged",
            "admin-refundjob-running",
            "admin-refundjob-already",
            "admin-free-already",
            "admin-free-off-sale-refused",
            "admin-free-not-listed",
            "admin-no-such-model",
            "admin-owner-only",
        ] {
            assert!(ids.contains(id), "{id}");
        }
    }

    #[test]
    fn a_job_refund_shows_the_balance_after() {
        let i18n = i18n();
        let facts = JobFacts {
            job: 9,
            model: "Imagen".into(),
            price: Money::parse("4.75").unwrap(),
            created_at: Utc::now(),
            balance: Balance {
                available: Money::parse("10").unwrap(),
                held: Money::ZERO,
            },
        };
        let text = job_body(&i18n, Lang::En, ("Ann", 42), "blurry", &facts);
        assert!(
            text.contains("4.75\u{a0}₽") && text.contains("14.75\u{a0}₽"),
            "{text}"
        );
    }
}

//! Refunds, two-step like every money action: `/refund <payment> <reason>` (a Telegram Stars
//! payment) and `/refundjob <job> <reason>` (a charged job the user disputes). Owners only.
//!
//! # A Stars refund: the order, and what each failure leaves
//! The ledger's order (`ledger::refund_stars`): first the ledger marks the payment refunded and
//! debits what it credited — only if that money is still *available*, in one statement keyed by
//! Telegram's charge id, so it happens at most once however often it is confirmed — and only
//! then is Telegram asked to return the Stars (`refundStarPayment`). The other order could
//! return Stars for money the user has meanwhile spent, and nothing could take it back.
//!
//! - The money is no longer available (spent, or held for running jobs): the ledger refuses,
//!   nothing changes, Telegram is not called, and the admin reads how much is missing.
//! - Telegram answers `CHARGE_ALREADY_REFUNDED`: the Stars are back already (an earlier attempt
//!   whose answer was lost) — counted as done.
//! - Telegram refuses or cannot be reached **after the ledger marked the payment**: the ledger
//!   stays as it is — the payment refunded and debited once — and the refund is *owed*: the
//!   action ends `failed` with Telegram's error, an audit record `refund_stars_telegram` says
//!   so, the user is not told anything yet, and the admin is told exactly that, with the way
//!   out. We deliberately do not undo the debit: after a timeout or a 5xx nobody knows whether
//!   Telegram refunded, and crediting back then could pay the user twice (Stars and rubles);
//!   and the ledger has no way to un-refund a payment (its entries are append-only, and the
//!   invariants want a refunded payment to have exactly one refund entry).
//! - The way out: `/refund <payment>` again. A payment the ledger marked refunded without a
//!   `done` refund action (so Telegram never confirmed it) is proposed as a *retry*: its
//!   preview says nothing will be debited again, and Confirm only asks Telegram again (the
//!   ledger answers "already refunded" and changes nothing). When Telegram confirms, the user
//!   is told. If Telegram can never refund it (say, the charge is too old), an owner gives the
//!   rubles back with `/credit`, as the message says.
//! - The process dies between the two steps: the action stays `running`, never `done`, so the
//!   same retry applies.
//!
//! # A job refund
//! `ledger::refund_job` credits the job's committed price back, keyed by the job (not by the
//! pending action), so two admins, or two proposals, refund one job once. Only a charged job
//! can be refunded: a failed, cancelled or expired job was never charged (its money went back
//! when it ended), a free run holds no money, and a running job's money is only held.

use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use ledger::{AsyncPgConnection, JobId, JobRefundOutcome, JobState, PaymentId, RefundOutcome};
use serde_json::json;
use teloxide::prelude::Requester;
use teloxide::types::TelegramTransactionId;
use tg_kit::{Args, Ctx, HandlerResult, Screen, UiBot};

use super::actions::{self, Done, Notice};
use super::{Actor, send_screen};
use crate::Admin;
use crate::pending::{Pending, Plan};
use crate::screens::actions::Extra;
use crate::screens::refunds::{JobFacts, PaymentFacts};

async fn refuse(bot: &UiBot, admin: &Admin, ctx: &Ctx, why: &str) -> HandlerResult {
    send_screen(bot, ctx, &Screen::new(admin.i18n.t(ctx.lang, why))).await
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// True when a refund action of `payment` ended `done`: Telegram confirmed returning the Stars.
async fn telegram_confirmed(conn: &mut AsyncPgConnection, payment: i64) -> anyhow::Result<bool> {
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM admin_actions \
         WHERE kind = 'refund_stars' AND state = 'done' \
           AND details @> jsonb_build_object('payment', $1::BIGINT)",
    )
    .bind::<BigInt, _>(payment)
    .get_result(conn)
    .await?;
    Ok(row.n > 0)
}

/// `/refund <payment> <reason>`: checks it can be done and proposes it (a retry when the
/// ledger already debited it and Telegram never confirmed).
pub async fn propose_stars(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    payment: i64,
    reason: String,
) -> HandlerResult {
    let mut plan = Plan::RefundStars {
        payment,
        reason,
        retry: false,
    };
    if !actor.may(actions::needed_role(&plan)) {
        return refuse(bot, admin, ctx, "admin-owner-only").await;
    }
    let (found, confirmed) = {
        let mut conn = admin.db().await?;
        let found = ledger::payment(&mut conn, PaymentId(payment)).await?;
        let confirmed = match &found {
            Some(p) if p.is_refunded() => telegram_confirmed(&mut conn, payment).await?,
            _ => false,
        };
        (found, confirmed)
    };
    let Some(found) = found else {
        return refuse(bot, admin, ctx, "admin-no-such-payment").await;
    };
    if confirmed {
        return refuse(bot, admin, ctx, "admin-refund-already").await;
    }
    if let Plan::RefundStars { retry, .. } = &mut plan {
        *retry = found.is_refunded();
    }
    actions::propose(bot, admin, ctx, actor, Some(found.user_id), plan, None).await
}

/// `/refundjob <job> <reason>`: checks the job was charged and not refunded, and proposes it.
pub async fn propose_job(
    bot: &UiBot,
    admin: &Admin,
    ctx: &Ctx,
    actor: Actor,
    job: i64,
    reason: String,
) -> HandlerResult {
    let plan = Plan::RefundJob { job, reason };
    if !actor.may(actions::needed_role(&plan)) {
        return refuse(bot, admin, ctx, "admin-owner-only").await;
    }
    let (found, refunded) = {
        let mut conn = admin.db().await?;
        let found = ledger::job(&mut conn, JobId(job)).await?;
        let refunded = ledger::job_refund(&mut conn, JobId(job)).await?.is_some();
        (found, refunded)
    };
    let Some(found) = found else {
        return refuse(bot, admin, ctx, "admin-no-such-job").await;
    };
    let why = match found.state {
        _ if found.is_free => Some("admin-refundjob-free"),
        JobState::Failed | JobState::Cancelled | JobState::Expired => {
            Some("admin-refundjob-not-charged")
        }
        s if !s.is_final() => Some("admin-refundjob-running"),
        _ if refunded => Some("admin-refundjob-already"),
        _ => None,
    };
    if let Some(why) = why {
        return refuse(bot, admin, ctx, why).await;
    }
    actions::propose(bot, admin, ctx, actor, Some(found.user_id), plan, None).await
}

/// What the preview of a refund or a setting change shows besides the plan.
pub(crate) async fn extra_facts(
    conn: &mut AsyncPgConnection,
    admin: &Admin,
    pending: &Pending,
) -> anyhow::Result<Option<Extra>> {
    Ok(match &pending.plan {
        Plan::RefundStars { payment, .. } => {
            match ledger::payment(conn, PaymentId(*payment)).await? {
                Some(payment) => Some(Extra::Payment(PaymentFacts {
                    balance: ledger::balance(conn, payment.user_id).await?,
                    payment,
                })),
                None => None,
            }
        }
        Plan::RefundJob { job, .. } => match ledger::job(conn, JobId(*job)).await? {
            Some(job) => Some(Extra::Job(JobFacts {
                job: job.id.0,
                model: admin
                    .catalog
                    .get(&job.model_id)
                    .map_or_else(|| job.model_id.clone(), |m| m.title.en.clone()),
                price: job.price,
                created_at: job.created_at,
                balance: ledger::balance(conn, job.user_id).await?,
            })),
            None => None,
        },
        Plan::SetSetting { key, value, .. } => {
            match super::settings::effect(conn, admin, key, value).await? {
                Ok(effect) => Some(Extra::Setting(effect)),
                Err(_) => None,
            }
        }
        _ => None,
    })
}

/// What Telegram said to `refundStarPayment`.
enum Telegram {
    /// Refunded now.
    Refunded,
    /// Refunded before (`CHARGE_ALREADY_REFUNDED`): the Stars are back.
    AlreadyRefunded,
    /// Refused or unreachable: Telegram's words.
    Failed(String),
}

async fn ask_telegram(bot: &UiBot, user: i64, charge: &str) -> Telegram {
    let user = teloxide::types::UserId(user as u64);
    let charge = TelegramTransactionId(charge.to_string());
    let asked = tg_kit::send::with_retry_after(|| async {
        bot.api().refund_star_payment(user, charge.clone()).await
    })
    .await;
    match asked {
        Ok(_) => Telegram::Refunded,
        Err(e) if e.to_string().contains("CHARGE_ALREADY_REFUNDED") => Telegram::AlreadyRefunded,
        Err(e) => Telegram::Failed(e.to_string()),
    }
}

/// Runs a confirmed Stars refund: the ledger first, then Telegram (see the module docs).
pub(crate) async fn run_stars(
    bot: &UiBot,
    admin: &Admin,
    actor: Actor,
    lang: tg_kit::Lang,
    pending: &Pending,
) -> anyhow::Result<Done> {
    let Plan::RefundStars {
        payment,
        reason,
        retry,
    } = &pending.plan
    else {
        anyhow::bail!("action {} is not a Stars refund", pending.id);
    };
    let i18n = &admin.i18n;
    // The ledger, with a connection given back before Telegram is called.
    let (found, ledger_outcome, balance) = {
        let mut conn = admin.db().await?;
        let Some(found) = ledger::payment(&mut conn, PaymentId(*payment)).await? else {
            return Ok(Done::Refused("admin-no-such-payment"));
        };
        if pending.target != Some(found.user_id) {
            anyhow::bail!(
                "action {} names user {:?}, payment {payment} is user {}'s",
                pending.id,
                pending.target,
                found.user_id.0
            );
        }
        let charge = &found.telegram_payment_charge_id;
        let outcome = ledger::refund_stars(&mut conn, charge, actor.id, reason).await?;
        let balance = match outcome {
            RefundOutcome::Refunded { balance, .. } => balance,
            // A retry confirmed after another retry succeeded: nothing more to ask.
            RefundOutcome::AlreadyRefunded
                if *retry && telegram_confirmed(&mut conn, *payment).await? =>
            {
                return Ok(Done::Refused("admin-refund-already"));
            }
            RefundOutcome::AlreadyRefunded if *retry => {
                ledger::balance(&mut conn, found.user_id).await?
            }
            // Refunded by another confirmation since the preview: that one asks Telegram.
            RefundOutcome::AlreadyRefunded => return Ok(Done::Refused("admin-refund-raced")),
            RefundOutcome::NotEnoughAvailable { needed, available } => {
                return Ok(Done::Failed {
                    message: i18n.tf(
                        lang,
                        "admin-refund-spent",
                        &Args::new().money("needed", lang, needed).money(
                            "available",
                            lang,
                            available,
                        ),
                    ),
                    outcome: json!({"refused": "insufficient", "needed": needed.to_string(),
                                    "available": available.to_string()}),
                });
            }
            RefundOutcome::NotFound => return Ok(Done::Refused("admin-no-such-payment")),
        };
        (found, outcome, balance)
    };
    let ledger_said = match ledger_outcome {
        RefundOutcome::Refunded { .. } => "refunded",
        _ => "already_refunded",
    };
    let telegram = ask_telegram(bot, found.user_id.0, &found.telegram_payment_charge_id).await;
    let (result, error) = match &telegram {
        Telegram::Refunded => ("refunded", None),
        Telegram::AlreadyRefunded => ("already_refunded", None),
        Telegram::Failed(e) => ("failed", Some(e.clone())),
    };
    ledger::record_audit(
        &mut *admin.db().await?,
        Some(actor.id),
        "refund_stars_telegram",
        Some(found.user_id),
        json!({"payment_id": found.id.0, "charge_id": found.telegram_payment_charge_id,
               "xtr": found.xtr_amount, "ledger": ledger_said, "telegram": result,
               "error": error, "action": pending.id}),
    )
    .await?;
    let stars = i64::from(found.xtr_amount);
    Ok(match telegram {
        Telegram::Refunded | Telegram::AlreadyRefunded => Done::Applied {
            message: i18n.tf(
                lang,
                "admin-done-refund",
                &Args::new()
                    .num("stars", stars)
                    .money("rub", lang, found.rub_credited)
                    .money("available", lang, balance.available),
            ),
            notice: Some(Notice::StarsRefunded {
                stars,
                rub: found.rub_credited,
                reason: reason.clone(),
            }),
        },
        Telegram::Failed(error) => Done::Failed {
            message: i18n.tf(
                lang,
                "admin-refund-telegram-failed",
                &Args::new()
                    .num("payment", found.id.0)
                    .num("stars", stars)
                    .money("rub", lang, found.rub_credited)
                    .raw("amount", found.rub_credited.amount().to_string())
                    .num("user", found.user_id.0)
                    .text("error", &error),
            ),
            outcome: json!({"ledger": ledger_said, "telegram": "failed", "error": error}),
        },
    })
}

/// Runs a confirmed job refund (once per job, whoever confirms).
pub(crate) async fn run_job(
    conn: &mut AsyncPgConnection,
    admin: &Admin,
    actor: Actor,
    lang: tg_kit::Lang,
    job: i64,
    reason: &str,
) -> anyhow::Result<Done> {
    Ok(
        match ledger::refund_job(conn, JobId(job), actor.id, reason).await? {
            JobRefundOutcome::Refunded { rub, balance, .. } => Done::Applied {
                message: admin.i18n.tf(
                    lang,
                    "admin-done-refundjob",
                    &Args::new().money("rub", lang, rub).money(
                        "available",
                        lang,
                        balance.available,
                    ),
                ),
                notice: Some(Notice::JobRefunded {
                    job,
                    rub,
                    reason: reason.to_string(),
                }),
            },
            JobRefundOutcome::AlreadyRefunded { .. } => Done::Refused("admin-refundjob-already"),
            JobRefundOutcome::NotCharged => Done::Refused("admin-refundjob-not-charged"),
            JobRefundOutcome::NotFound => Done::Refused("admin-no-such-job"),
        },
    )
}

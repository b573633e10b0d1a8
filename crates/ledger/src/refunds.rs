//! What an admin's refunds need beyond [`crate::refund_stars`]: a Stars payment by its id (the
//! panel shows ids, the refund needs Telegram's charge id and the payer), and the refund of a
//! charged job ([`refund_job`], one call of `ledger_refund_job`: the job's committed price back
//! to available, exactly once per job).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricing::Money;
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::history::Entry;
use crate::money::{Balance, money};
use crate::schema::{ledger_entries, payments};
use crate::types::{EntryId, JobId, PaymentId, UserId};

/// A Stars payment as stored, with its refund state.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = payments, check_for_backend(diesel::pg::Pg))]
pub struct PaymentDetails {
    /// The payment.
    #[diesel(deserialize_as = i64)]
    pub id: PaymentId,
    /// Who paid.
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    /// Telegram's `telegram_payment_charge_id` (what `refundStarPayment` takes).
    pub telegram_payment_charge_id: String,
    /// Stars paid.
    pub xtr_amount: i32,
    /// Rubles credited.
    #[diesel(deserialize_as = Decimal)]
    pub rub_credited: Money,
    /// `credited` or `refunded`.
    pub state: String,
    /// When it was paid.
    pub created_at: DateTime<Utc>,
    /// When the ledger marked it refunded.
    pub refunded_at: Option<DateTime<Utc>>,
    /// Who refunded it.
    pub refunded_by: Option<i64>,
    /// Why.
    pub refund_reason: Option<String>,
}

impl PaymentDetails {
    /// True once the ledger marked it refunded (and debited what it credited).
    pub fn is_refunded(&self) -> bool {
        self.state == "refunded"
    }
}

/// The payment with this id, if any.
pub async fn payment(
    conn: &mut AsyncPgConnection,
    id: PaymentId,
) -> Result<Option<PaymentDetails>, LedgerError> {
    Ok(payments::table
        .find(id.0)
        .select(PaymentDetails::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// What [`refund_job`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobRefundOutcome {
    /// The job's charged price is back on the user's available balance (this call's entry).
    Refunded {
        /// The credit.
        entry: EntryId,
        /// What was credited: the job's committed hold.
        rub: Money,
        /// The balance after.
        balance: Balance,
    },
    /// The job was refunded before (by anyone); nothing changed.
    AlreadyRefunded {
        /// The first refund's entry.
        entry: EntryId,
        /// What it credited.
        rub: Money,
    },
    /// The job was never charged (a free run, or it failed, was cancelled, expired or has not
    /// ended yet): nothing to give back; nothing changed.
    NotCharged,
    /// No such job.
    NotFound,
}

#[derive(QueryableByName)]
struct RefundJobRow {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    entry_id: Option<i64>,
    #[diesel(sql_type = Nullable<Numeric>)]
    rub: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    available: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    held: Option<Decimal>,
}

/// The idempotency key of a job's refund: one per job, whoever refunds it.
pub fn job_refund_key(job: JobId) -> String {
    format!("job-refund:{}", job.0)
}

/// Credits back what a succeeded (charged) job cost, exactly once per job (the key is the
/// job's, not the caller's: two admins cannot refund one job twice), with `admin` and `reason`
/// on the entry and in the audit log, written by the same statement.
pub async fn refund_job(
    conn: &mut AsyncPgConnection,
    job: JobId,
    admin: UserId,
    reason: &str,
) -> Result<JobRefundOutcome, LedgerError> {
    if reason.trim().is_empty() {
        return Err(LedgerError::Invalid("a job refund needs a reason".into()));
    }
    let row: RefundJobRow = diesel::sql_query("SELECT * FROM ledger_refund_job($1, $2, $3)")
        .bind::<BigInt, _>(job.0)
        .bind::<BigInt, _>(admin.0)
        .bind::<Text, _>(reason)
        .get_result(conn)
        .await?;
    let need = |d: Option<Decimal>| {
        d.ok_or_else(|| LedgerError::Unexpected("ledger_refund_job: missing amount".into()))
            .and_then(money)
    };
    let entry = || {
        row.entry_id
            .map(EntryId)
            .ok_or_else(|| LedgerError::Unexpected("ledger_refund_job: missing entry".into()))
    };
    match row.outcome.as_str() {
        "refunded" => Ok(JobRefundOutcome::Refunded {
            entry: entry()?,
            rub: need(row.rub)?,
            balance: Balance {
                available: need(row.available)?,
                held: need(row.held)?,
            },
        }),
        "already_refunded" => Ok(JobRefundOutcome::AlreadyRefunded {
            entry: entry()?,
            rub: need(row.rub)?,
        }),
        "not_charged" => Ok(JobRefundOutcome::NotCharged),
        "not_found" => Ok(JobRefundOutcome::NotFound),
        other => Err(LedgerError::Unexpected(format!(
            "ledger_refund_job outcome {other}"
        ))),
    }
}

/// The entry that refunded `job`, if it was refunded.
pub async fn job_refund(
    conn: &mut AsyncPgConnection,
    job: JobId,
) -> Result<Option<Entry>, LedgerError> {
    Ok(ledger_entries::table
        .filter(ledger_entries::idempotency_key.eq(job_refund_key(job)))
        .select(Entry::as_select())
        .first(conn)
        .await
        .optional()?)
}

//! Every movement of money: holds and how they end, Stars top-ups and refunds, admin
//! adjustments and promo credits, and the balance.
//!
//! Each function is a thin typed wrapper over one `ledger_*` SQL function (one statement, one
//! transaction; see the crate docs). Repeating a call is safe: holds are keyed by job, endings by
//! hold, top-ups by Telegram's charge id, adjustments by the caller's key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricing::Money;
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::schema::{accounts, holds};
use crate::types::{EntryId, HoldId, HoldState, JobId, JobState, PaymentId, UserId};

/// A user's money: what they can spend now, and what is held for running jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    /// Spendable now.
    pub available: Money,
    /// Held for jobs that have not ended yet.
    pub held: Money,
}

pub(crate) fn money(d: Decimal) -> Result<Money, LedgerError> {
    Money::from_exact(d)
        .ok_or_else(|| LedgerError::Unexpected(format!("amount {d} has sub-kopeck digits")))
}

fn balance_of(available: Decimal, held: Decimal) -> Result<Balance, LedgerError> {
    Ok(Balance {
        available: money(available)?,
        held: money(held)?,
    })
}

fn positive(amount: Money, what: &str) -> Result<Decimal, LedgerError> {
    if amount.is_zero() || amount.is_negative() {
        return Err(LedgerError::Invalid(format!(
            "{what} must be positive, got {amount}"
        )));
    }
    Ok(amount.amount())
}

/// The user's balance.
pub async fn balance(conn: &mut AsyncPgConnection, user: UserId) -> Result<Balance, LedgerError> {
    let (available, held): (Decimal, Decimal) = accounts::table
        .find(user.0)
        .select((accounts::available, accounts::held))
        .first(conn)
        .await
        .optional()?
        .ok_or(LedgerError::NoSuchUser(user.0))?;
    balance_of(available, held)
}

/// What [`hold`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    /// The job's price is held (now, or by an earlier call with the same job: `first_time` false).
    Held {
        /// The hold.
        hold: HoldId,
        /// True if and only if this call opened it.
        first_time: bool,
        /// The balance after.
        balance: Balance,
    },
    /// Not enough available money; nothing changed.
    InsufficientFunds {
        /// What the user has.
        available: Money,
        /// What is missing for this job.
        missing: Money,
    },
}

#[derive(QueryableByName)]
struct HoldRow {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    hold_id: Option<i64>,
    #[diesel(sql_type = Numeric)]
    available: Decimal,
    #[diesel(sql_type = Numeric)]
    held: Decimal,
}

/// Holds `amount` (the job's price) for a paid job in state `created`, and moves the job to
/// `held`, in one transaction. The hold expires after `ttl` unless the job ends first.
///
/// Calling it again for the same job returns the same hold and changes nothing.
pub async fn hold(
    conn: &mut AsyncPgConnection,
    user: UserId,
    amount: Money,
    job: JobId,
    ttl: Duration,
) -> Result<HoldOutcome, LedgerError> {
    let amount_dec = positive(amount, "a hold")?;
    let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX).max(1);
    let row: HoldRow = diesel::sql_query("SELECT * FROM ledger_hold($1, $2, $3, $4)")
        .bind::<BigInt, _>(user.0)
        .bind::<BigInt, _>(job.0)
        .bind::<Numeric, _>(amount_dec)
        .bind::<BigInt, _>(ttl_secs)
        .get_result(conn)
        .await?;
    let balance = balance_of(row.available, row.held)?;
    match (row.outcome.as_str(), row.hold_id) {
        ("held", Some(id)) => Ok(HoldOutcome::Held {
            hold: HoldId(id),
            first_time: true,
            balance,
        }),
        ("already_held", Some(id)) => Ok(HoldOutcome::Held {
            hold: HoldId(id),
            first_time: false,
            balance,
        }),
        ("insufficient", None) => Ok(HoldOutcome::InsufficientFunds {
            available: balance.available,
            missing: amount - balance.available,
        }),
        (other, _) => Err(LedgerError::Unexpected(format!(
            "ledger_hold outcome {other}"
        ))),
    }
}

/// How a job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// Kie succeeded: the hold is committed (the user is charged).
    Succeeded,
    /// Kie or the pipeline failed: the hold is released (a free run is given back).
    Failed {
        /// A short machine-readable code (Kie's failCode, "deadline", …).
        code: String,
        /// What happened, for the user and the admin.
        message: String,
    },
    /// The user cancelled: the hold is released.
    Cancelled,
    /// The hold's time ran out: it expires (a release).
    Expired,
}

impl JobOutcome {
    fn parts(&self) -> (&'static str, Option<&str>, Option<&str>) {
        match self {
            JobOutcome::Succeeded => ("succeeded", None, None),
            JobOutcome::Failed { code, message } => ("failed", Some(code), Some(message)),
            JobOutcome::Cancelled => ("cancelled", Some("cancelled"), None),
            JobOutcome::Expired => ("expired", Some("hold_expired"), None),
        }
    }
}

/// What [`finish_job`] found and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    /// True if and only if this call ended the job (false: it had ended already, and nothing
    /// changed; or, for [`expire_due`], it was not due).
    pub changed: bool,
    /// The job's state now.
    pub job_state: JobState,
    /// Its hold's state now (`None` for free jobs and jobs never held).
    pub hold_state: Option<HoldState>,
    /// The user's balance now.
    pub balance: Balance,
}

#[derive(QueryableByName)]
struct FinishRow {
    #[diesel(sql_type = Bool)]
    changed: bool,
    #[diesel(sql_type = Text)]
    job_state: String,
    #[diesel(sql_type = Nullable<Text>)]
    hold_state: Option<String>,
    #[diesel(sql_type = Numeric)]
    available: Decimal,
    #[diesel(sql_type = Numeric)]
    held: Decimal,
}

/// Which job to finish: by its id, or by its hold's (resolved in the same statement).
enum Target {
    Job(JobId),
    Hold(HoldId),
}

async fn finish(
    conn: &mut AsyncPgConnection,
    target: Target,
    outcome: &JobOutcome,
    due_at: Option<DateTime<Utc>>,
) -> Result<Finished, LedgerError> {
    let (state, code, message) = outcome.parts();
    let (sql, id) = match target {
        Target::Job(j) => ("SELECT * FROM ledger_finish_job($1, $2, $3, $4, $5)", j.0),
        // A missing hold gives a NULL job, which the function refuses ("no job").
        Target::Hold(h) => (
            "SELECT * FROM ledger_finish_job((SELECT job_id FROM holds WHERE id = $1), $2, $3, $4, $5)",
            h.0,
        ),
    };
    let row: FinishRow = diesel::sql_query(sql)
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(state)
        .bind::<Nullable<Text>, _>(code)
        .bind::<Nullable<Text>, _>(message)
        .bind::<Nullable<Timestamptz>, _>(due_at)
        .get_result(conn)
        .await?;
    let parse = |e: crate::types::UnknownValue| LedgerError::Unexpected(e.to_string());
    Ok(Finished {
        changed: row.changed,
        job_state: row.job_state.parse().map_err(parse)?,
        hold_state: row
            .hold_state
            .map(|s| s.parse())
            .transpose()
            .map_err(parse)?,
        balance: balance_of(row.available, row.held)?,
    })
}

/// Ends a job together with its money, in one transaction: success commits the hold, anything
/// else releases it (a free job gets its free run back instead).
///
/// A job ends exactly once: on an ended job this returns its final states with
/// `changed: false`. A job never held (`created`) can be failed or cancelled, not succeed.
pub async fn finish_job(
    conn: &mut AsyncPgConnection,
    job: JobId,
    outcome: JobOutcome,
) -> Result<Finished, LedgerError> {
    finish(conn, Target::Job(job), &outcome, None).await
}

fn final_hold_state(f: Finished) -> Result<HoldState, LedgerError> {
    f.hold_state
        .ok_or_else(|| LedgerError::Unexpected("a hold's job reported no hold".into()))
}

/// Commits a hold (charges the user) and marks its job succeeded, in one transaction.
/// On an ended hold: returns its final state and changes nothing.
pub async fn commit(conn: &mut AsyncPgConnection, hold: HoldId) -> Result<HoldState, LedgerError> {
    final_hold_state(finish(conn, Target::Hold(hold), &JobOutcome::Succeeded, None).await?)
}

/// Releases a hold (returns the money to available) and marks its job failed or cancelled
/// (`reason` says which), in one transaction. On an ended hold: returns its final state and
/// changes nothing.
pub async fn release(
    conn: &mut AsyncPgConnection,
    hold: HoldId,
    reason: JobOutcome,
) -> Result<HoldState, LedgerError> {
    if reason == JobOutcome::Succeeded {
        return Err(LedgerError::Invalid(
            "release with a success: use commit".into(),
        ));
    }
    final_hold_state(finish(conn, Target::Hold(hold), &reason, None).await?)
}

/// Expires every open hold whose time is up at `now` (and ends its job as expired), each in its
/// own transaction. Returns how many it expired. Safe to run from several instances at once:
/// each hold is re-checked under its lock.
pub async fn expire_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    let mut expired = 0;
    loop {
        let due: Vec<i64> = holds::table
            .filter(holds::state.eq(HoldState::Open.as_str()))
            .filter(holds::expires_at.le(now))
            .order(holds::expires_at)
            .select(holds::job_id)
            .limit(500)
            .load(conn)
            .await?;
        let batch = due.len();
        let mut changed = 0;
        for job in due {
            if finish(
                conn,
                Target::Job(JobId(job)),
                &JobOutcome::Expired,
                Some(now),
            )
            .await?
            .changed
            {
                changed += 1;
            }
        }
        expired += changed;
        // A short batch means no more are due; a batch where nothing changed means another
        // instance is expiring the same holds (re-reading would spin on them).
        if batch < 500 || changed == 0 {
            return Ok(expired);
        }
    }
}

/// A successful Telegram Stars payment, as the bot received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarsPayment {
    /// Who paid.
    pub user: UserId,
    /// Telegram's `telegram_payment_charge_id`: the key that makes crediting exactly-once.
    pub charge_id: String,
    /// `provider_payment_charge_id` (empty for Stars, kept when present).
    pub provider_charge_id: Option<String>,
    /// The invoice payload we issued.
    pub payload: String,
    /// Stars paid.
    pub xtr: i32,
    /// Rubles to credit (the Stars rate applied by the caller, rounded down).
    pub rub: Money,
}

/// What [`top_up_stars`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopUp {
    /// The payment's record.
    pub payment: PaymentId,
    /// True if and only if this call credited it (false: it was credited before).
    pub credited_now: bool,
    /// The balance after.
    pub balance: Balance,
}

#[derive(QueryableByName)]
struct TopUpRow {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    payment_id: i64,
    #[diesel(sql_type = Numeric)]
    available: Decimal,
    #[diesel(sql_type = Numeric)]
    held: Decimal,
}

/// Credits a Stars payment exactly once per `charge_id`, however often Telegram (or a retry)
/// delivers it, sequentially or concurrently.
pub async fn top_up_stars(
    conn: &mut AsyncPgConnection,
    payment: &StarsPayment,
) -> Result<TopUp, LedgerError> {
    let rub = positive(payment.rub, "a top-up")?;
    if payment.xtr <= 0 || payment.charge_id.is_empty() {
        return Err(LedgerError::Invalid(
            "a top-up needs Stars and a charge id".into(),
        ));
    }
    let row: TopUpRow =
        diesel::sql_query("SELECT * FROM ledger_top_up_stars($1, $2, $3, $4, $5, $6)")
            .bind::<BigInt, _>(payment.user.0)
            .bind::<Text, _>(&payment.charge_id)
            .bind::<Nullable<Text>, _>(payment.provider_charge_id.as_deref())
            .bind::<Text, _>(&payment.payload)
            .bind::<Integer, _>(payment.xtr)
            .bind::<Numeric, _>(rub)
            .get_result(conn)
            .await?;
    let credited_now = match row.outcome.as_str() {
        "credited" => true,
        "already_credited" => false,
        other => {
            return Err(LedgerError::Unexpected(format!(
                "ledger_top_up_stars outcome {other}"
            )));
        }
    };
    Ok(TopUp {
        payment: PaymentId(row.payment_id),
        credited_now,
        balance: balance_of(row.available, row.held)?,
    })
}

/// What [`refund_stars`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Marked refunded and `rub` debited. The caller now refunds the Stars through Telegram.
    Refunded {
        /// The rubles debited (what the payment credited).
        rub: Money,
        /// The balance after.
        balance: Balance,
    },
    /// Refunded before; nothing changed.
    AlreadyRefunded,
    /// The credited rubles are no longer available (spent or held): nothing changed. The
    /// balance never goes below zero.
    NotEnoughAvailable {
        /// What the refund would debit.
        needed: Money,
        /// What is available.
        available: Money,
    },
    /// No payment with that charge id.
    NotFound,
}

#[derive(QueryableByName)]
struct RefundRow {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    rub: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    available: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    held: Option<Decimal>,
}

/// Marks a Stars payment refunded and debits what it credited, only if that money is still
/// available; `by` is the admin (or the user, for a self-service refund), recorded in the audit log.
pub async fn refund_stars(
    conn: &mut AsyncPgConnection,
    charge_id: &str,
    by: UserId,
    reason: &str,
) -> Result<RefundOutcome, LedgerError> {
    let row: RefundRow = diesel::sql_query("SELECT * FROM ledger_refund_stars($1, $2, $3)")
        .bind::<Text, _>(charge_id)
        .bind::<BigInt, _>(by.0)
        .bind::<Text, _>(reason)
        .get_result(conn)
        .await?;
    let need = |d: Option<Decimal>| {
        d.ok_or_else(|| LedgerError::Unexpected("ledger_refund_stars: missing amount".into()))
            .and_then(money)
    };
    match row.outcome.as_str() {
        "refunded" => Ok(RefundOutcome::Refunded {
            rub: need(row.rub)?,
            balance: Balance {
                available: need(row.available)?,
                held: need(row.held)?,
            },
        }),
        "already_refunded" => Ok(RefundOutcome::AlreadyRefunded),
        "insufficient" => Ok(RefundOutcome::NotEnoughAvailable {
            needed: need(row.rub)?,
            available: need(row.available)?,
        }),
        "not_found" => Ok(RefundOutcome::NotFound),
        other => Err(LedgerError::Unexpected(format!(
            "ledger_refund_stars outcome {other}"
        ))),
    }
}

/// An admin's change to a balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    /// Add to available.
    Credit(Money),
    /// Take from available (never below zero).
    Debit(Money),
}

/// What [`adjust`] and [`bonus`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveOutcome {
    /// Applied now.
    Applied {
        /// The entry written.
        entry: EntryId,
        /// The balance after.
        balance: Balance,
    },
    /// Applied before under the same key; nothing changed.
    AlreadyApplied {
        /// The entry written the first time.
        entry: EntryId,
    },
    /// A debit larger than the available money; nothing changed.
    InsufficientFunds {
        /// What is available.
        available: Money,
    },
    /// The key was already used for a different movement (another user or amount); nothing
    /// changed. A caller bug, or a forged request.
    KeyReused,
}

#[derive(QueryableByName)]
struct MoveRow {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    entry_id: Option<i64>,
    #[diesel(sql_type = Numeric)]
    available: Decimal,
    #[diesel(sql_type = Numeric)]
    held: Decimal,
}

async fn movement(
    conn: &mut AsyncPgConnection,
    user: UserId,
    kind: &str,
    amount: Money,
    key: &str,
    admin: Option<UserId>,
    reason: &str,
) -> Result<MoveOutcome, LedgerError> {
    let amount = positive(amount, "an adjustment")?;
    if key.trim().is_empty() || reason.trim().is_empty() {
        return Err(LedgerError::Invalid(
            "an adjustment needs a key and a reason".into(),
        ));
    }
    let row: MoveRow = diesel::sql_query("SELECT * FROM ledger_move($1, $2, $3, $4, $5, $6)")
        .bind::<BigInt, _>(user.0)
        .bind::<Text, _>(kind)
        .bind::<Numeric, _>(amount)
        .bind::<Text, _>(key)
        .bind::<Nullable<BigInt>, _>(admin.map(|a| a.0))
        .bind::<Text, _>(reason)
        .get_result(conn)
        .await?;
    let balance = balance_of(row.available, row.held)?;
    match (row.outcome.as_str(), row.entry_id) {
        ("applied", Some(e)) => Ok(MoveOutcome::Applied {
            entry: EntryId(e),
            balance,
        }),
        ("already_applied", Some(e)) => Ok(MoveOutcome::AlreadyApplied { entry: EntryId(e) }),
        ("insufficient", _) => Ok(MoveOutcome::InsufficientFunds {
            available: balance.available,
        }),
        ("key_reused", _) => Ok(MoveOutcome::KeyReused),
        (other, _) => Err(LedgerError::Unexpected(format!(
            "ledger_move outcome {other}"
        ))),
    }
}

/// An admin's credit or debit of a user's available money, exactly once per `key`, recorded in
/// the audit log with the admin and the reason.
pub async fn adjust(
    conn: &mut AsyncPgConnection,
    admin: UserId,
    user: UserId,
    change: Adjustment,
    reason: &str,
    key: &str,
) -> Result<MoveOutcome, LedgerError> {
    let (kind, amount) = match change {
        Adjustment::Credit(m) => ("adjust_credit", m),
        Adjustment::Debit(m) => ("adjust_debit", m),
    };
    movement(conn, user, kind, amount, key, Some(admin), reason).await
}

/// A promo or bonus credit, exactly once per `key`.
pub async fn bonus(
    conn: &mut AsyncPgConnection,
    user: UserId,
    amount: Money,
    reason: &str,
    key: &str,
) -> Result<MoveOutcome, LedgerError> {
    movement(conn, user, "bonus", amount, key, None, reason).await
}

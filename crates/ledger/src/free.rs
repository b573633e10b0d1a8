//! Free runs: per user and model, counted in fixed UTC day and hour windows, and a global
//! budget per UTC day of what free runs cost at Kie.
//!
//! Windows are calendar windows in UTC (a day resets at 00:00 UTC, an hour on the hour), so a
//! "resets at" time is exact and the same on every instance. A free job takes its user's run
//! and its share of the day's budget in one statement ([`hold_free`]), and a free job that does
//! not succeed gives both back with its ending ([`crate::finish_job`]), exactly once.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricing::{FreePolicy, FreeQuota};
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::types::{JobId, UserId};

/// How many free runs a user may take per model, and what all free runs of a day may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeLimits {
    /// Per UTC day.
    pub per_day: u32,
    /// Per UTC hour.
    pub per_hour: u32,
    /// What every free run of a UTC day together may cost at Kie, in US dollars; `None`: no
    /// budget. Taken by [`hold_free`] only ([`consume_free`] counts the user's windows alone).
    pub daily_budget_usd: Option<Decimal>,
}

impl From<&FreePolicy> for FreeLimits {
    fn from(p: &FreePolicy) -> Self {
        FreeLimits {
            per_day: p.per_day,
            per_hour: p.per_hour,
            daily_budget_usd: p.daily_budget_usd,
        }
    }
}

impl FreeLimits {
    fn as_sql(self) -> (i32, i32) {
        let clamp = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        (clamp(self.per_day), clamp(self.per_hour))
    }
}

/// What [`consume_free`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeOutcome {
    /// One free run taken; `used` counts it.
    Consumed {
        /// Use in the current windows, including this run.
        used: FreeQuota,
    },
    /// The day or hour window is used up; nothing changed.
    QuotaExceeded {
        /// When the window that blocks ends.
        resets_at: DateTime<Utc>,
        /// Use in the current windows.
        used: FreeQuota,
    },
}

#[derive(QueryableByName)]
struct ConsumeRow {
    #[diesel(sql_type = Bool)]
    ok: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    resets_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    used_today: i32,
    #[diesel(sql_type = Integer)]
    used_this_hour: i32,
}

fn quota(day: i32, hour: i32) -> FreeQuota {
    FreeQuota {
        used_today: u32::try_from(day).unwrap_or(0),
        used_this_hour: u32::try_from(hour).unwrap_or(0),
    }
}

/// Takes one free run of `model` for `user` at `now`, atomically: of any number of concurrent
/// calls, exactly as many succeed as the limits allow. The daily budget is not involved: it is
/// taken with a job, by [`hold_free`].
pub async fn consume_free(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model: &str,
    now: DateTime<Utc>,
    limits: FreeLimits,
) -> Result<FreeOutcome, LedgerError> {
    let (per_day, per_hour) = limits.as_sql();
    let row: ConsumeRow =
        diesel::sql_query("SELECT * FROM ledger_consume_free($1, $2, $3, $4, $5)")
            .bind::<BigInt, _>(user.0)
            .bind::<Text, _>(model)
            .bind::<Timestamptz, _>(now)
            .bind::<Integer, _>(per_day)
            .bind::<Integer, _>(per_hour)
            .get_result(conn)
            .await?;
    let used = quota(row.used_today, row.used_this_hour);
    match (row.ok, row.resets_at) {
        (true, _) => Ok(FreeOutcome::Consumed { used }),
        (false, Some(resets_at)) => Ok(FreeOutcome::QuotaExceeded { resets_at, used }),
        (false, None) => Err(LedgerError::Unexpected(
            "quota exceeded without a reset time".into(),
        )),
    }
}

/// Gives back a free run taken at `consumed_at` (a failed free generation). Harmless when its
/// windows have passed.
pub async fn restore_free(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model: &str,
    consumed_at: DateTime<Utc>,
) -> Result<(), LedgerError> {
    diesel::sql_query("SELECT ledger_restore_free($1, $2, $3)")
        .bind::<BigInt, _>(user.0)
        .bind::<Text, _>(model)
        .bind::<Timestamptz, _>(consumed_at)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct QuotaRow {
    #[diesel(sql_type = Integer)]
    used_today: i32,
    #[diesel(sql_type = Integer)]
    used_this_hour: i32,
}

/// The user's use of a model's free runs in the windows containing `now` (for the model card).
pub async fn free_quota(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model: &str,
    now: DateTime<Utc>,
) -> Result<FreeQuota, LedgerError> {
    let row: QuotaRow = diesel::sql_query(
        "SELECT \
           coalesce(max(used) FILTER (WHERE window_kind = 'day' AND window_start = date_trunc('day', $3, 'UTC')), 0) AS used_today, \
           coalesce(max(used) FILTER (WHERE window_kind = 'hour' AND window_start = date_trunc('hour', $3, 'UTC')), 0) AS used_this_hour \
         FROM free_usage WHERE user_id = $1 AND model_id = $2",
    )
    .bind::<BigInt, _>(user.0)
    .bind::<Text, _>(model)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .await?;
    Ok(quota(row.used_today, row.used_this_hour))
}

/// What [`hold_free`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeHoldOutcome {
    /// A free run is taken for the job and the job is `held` (now, or by an earlier call).
    Held {
        /// True if and only if this call took it.
        first_time: bool,
    },
    /// The quota is used up; the job stays `created`.
    QuotaExceeded {
        /// When the blocking window ends.
        resets_at: DateTime<Utc>,
    },
    /// The day's free budget cannot pay for this run (until the next UTC midnight, or until
    /// other free runs fail and give theirs back); the job stays `created` and the user's free
    /// run is not taken.
    BudgetSpent,
}

#[derive(QueryableByName)]
struct FreeHoldRow {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    resets_at: Option<DateTime<Utc>>,
}

/// Starts a free job: takes a free run of the user's quota, adds the job's `kie_cost_usd` to
/// the UTC day (of `now`) of the free budget, and moves the job `created` → `held`, in one
/// transaction. With `limits.daily_budget_usd` set, the cost is added only if the day's total
/// stays within it (else [`FreeHoldOutcome::BudgetSpent`], and nothing changes); of any number
/// of concurrent calls, only as many succeed as fit. Without a budget the cost is still counted
/// ([`free_budget_spent`]), so a budget set during the day knows what the day has spent.
/// If the job later fails, [`crate::finish_job`] gives the run and the budget back in the same
/// transaction.
pub async fn hold_free(
    conn: &mut AsyncPgConnection,
    job: JobId,
    now: DateTime<Utc>,
    limits: FreeLimits,
) -> Result<FreeHoldOutcome, LedgerError> {
    if limits.daily_budget_usd.is_some_and(|b| b < Decimal::ZERO) {
        return Err(LedgerError::Invalid(
            "the free runs' daily budget must not be negative".into(),
        ));
    }
    let (per_day, per_hour) = limits.as_sql();
    let row: FreeHoldRow = diesel::sql_query("SELECT * FROM ledger_hold_free($1, $2, $3, $4, $5)")
        .bind::<BigInt, _>(job.0)
        .bind::<Timestamptz, _>(now)
        .bind::<Integer, _>(per_day)
        .bind::<Integer, _>(per_hour)
        .bind::<Nullable<Numeric>, _>(limits.daily_budget_usd)
        .get_result(conn)
        .await?;
    match (row.outcome.as_str(), row.resets_at) {
        ("held", _) => Ok(FreeHoldOutcome::Held { first_time: true }),
        ("already_held", _) => Ok(FreeHoldOutcome::Held { first_time: false }),
        ("quota_exceeded", Some(resets_at)) => Ok(FreeHoldOutcome::QuotaExceeded { resets_at }),
        ("budget_spent", _) => Ok(FreeHoldOutcome::BudgetSpent),
        (other, _) => Err(LedgerError::Unexpected(format!(
            "ledger_hold_free outcome {other}"
        ))),
    }
}

#[derive(QueryableByName)]
struct SpentRow {
    #[diesel(sql_type = Numeric)]
    spent_usd: Decimal,
}

/// What the free runs of the UTC day `day` cost at Kie so far, in US dollars (runs that failed
/// gave theirs back); zero for a day without free runs.
pub async fn free_budget_spent(
    conn: &mut AsyncPgConnection,
    day: NaiveDate,
) -> Result<Decimal, LedgerError> {
    let row: SpentRow = diesel::sql_query(
        "SELECT coalesce((SELECT spent_usd FROM free_budget_days WHERE day = $1), 0) AS spent_usd",
    )
    .bind::<Date, _>(day)
    .get_result(conn)
    .await?;
    Ok(row.spent_usd.normalize())
}

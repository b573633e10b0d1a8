//! Free runs: per user and model, counted in fixed UTC day and hour windows.
//!
//! Windows are calendar windows in UTC (a day resets at 00:00 UTC, an hour on the hour), so a
//! "resets at" time is exact and the same on every instance.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricing::{FreePolicy, FreeQuota};

use crate::LedgerError;
use crate::types::{JobId, UserId};

/// How many free runs a user may take per model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeLimits {
    /// Per UTC day.
    pub per_day: u32,
    /// Per UTC hour.
    pub per_hour: u32,
}

impl From<&FreePolicy> for FreeLimits {
    fn from(p: &FreePolicy) -> Self {
        FreeLimits {
            per_day: p.per_day,
            per_hour: p.per_hour,
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
/// calls, exactly as many succeed as the limits allow.
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
}

#[derive(QueryableByName)]
struct FreeHoldRow {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    resets_at: Option<DateTime<Utc>>,
}

/// Starts a free job: takes a free run and moves the job `created` → `held` in one transaction.
/// If the job later fails, [`crate::finish_job`] gives the run back in the same transaction.
pub async fn hold_free(
    conn: &mut AsyncPgConnection,
    job: JobId,
    now: DateTime<Utc>,
    limits: FreeLimits,
) -> Result<FreeHoldOutcome, LedgerError> {
    let (per_day, per_hour) = limits.as_sql();
    let row: FreeHoldRow = diesel::sql_query("SELECT * FROM ledger_hold_free($1, $2, $3, $4)")
        .bind::<BigInt, _>(job.0)
        .bind::<Timestamptz, _>(now)
        .bind::<Integer, _>(per_day)
        .bind::<Integer, _>(per_hour)
        .get_result(conn)
        .await?;
    match (row.outcome.as_str(), row.resets_at) {
        ("held", _) => Ok(FreeHoldOutcome::Held { first_time: true }),
        ("already_held", _) => Ok(FreeHoldOutcome::Held { first_time: false }),
        ("quota_exceeded", Some(resets_at)) => Ok(FreeHoldOutcome::QuotaExceeded { resets_at }),
        (other, _) => Err(LedgerError::Unexpected(format!(
            "ledger_hold_free outcome {other}"
        ))),
    }
}

//! The `jobs` table: creating a job (exactly once per idempotency key), reading jobs, and the
//! steps that move a job without moving money. The money-moving steps (`created` → `held`, and
//! into a final state) are in `money` and `free`, each one transaction with its money.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricing::Money;
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::schema::jobs;
use crate::types::{JobId, JobState, UserId};

/// A generation job as stored.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = jobs, check_for_backend(diesel::pg::Pg))]
pub struct Job {
    /// The job.
    #[diesel(deserialize_as = i64)]
    pub id: JobId,
    /// Whose job.
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    /// The key that made creating it exactly-once.
    pub idempotency_key: String,
    /// The Kie model id.
    pub model_id: String,
    /// The validated input, as sent to Kie.
    pub input: serde_json::Value,
    /// The ruble price quoted (zero for a free run).
    #[diesel(deserialize_as = Decimal)]
    pub price: Money,
    /// Kie's cost in credits.
    pub kie_credits: Decimal,
    /// Kie's cost in US dollars.
    pub kie_cost_usd: Decimal,
    /// The price breakdown, as the pricing crate serialised it.
    pub breakdown: serde_json::Value,
    /// A free run (no hold; a free-quota unit instead).
    pub is_free: bool,
    /// Where the job is.
    #[diesel(deserialize_as = String)]
    pub state: JobState,
    /// The chat to report progress and deliver to.
    pub chat_id: Option<i64>,
    /// The progress message edited in place.
    pub progress_message_id: Option<i32>,
    /// Kie's task id, once createTask answered.
    pub kie_task_id: Option<String>,
    /// Result URLs and delivery flags.
    pub result: Option<serde_json::Value>,
    /// Why it failed (a short code).
    pub failure_code: Option<String>,
    /// Why it failed (words).
    pub failure_message: Option<String>,
    /// When its free run was taken.
    pub free_consumed_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Money held.
    pub held_at: Option<DateTime<Utc>>,
    /// Accepted by Kie.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Delivered to the user.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Written just before createTask was sent (after it, a paid task may exist).
    pub create_sent_at: Option<DateTime<Utc>>,
    /// Kie must have finished by then.
    pub deadline_at: Option<DateTime<Utc>>,
    /// When a worker should look at the job next (`None`: nothing to do).
    pub next_check_at: Option<DateTime<Utc>>,
    /// recordInfo calls made for it.
    pub checks: i32,
    /// The last state Kie reported.
    pub kie_state: Option<String>,
    /// Kie first reported it generating.
    pub running_at: Option<DateTime<Utc>>,
    /// Kie reported success or failure.
    pub kie_finished_at: Option<DateTime<Utc>>,
    /// Delivery attempts so far.
    pub delivery_attempts: i32,
    /// Kie succeeded after the hold had been released (Kie paid, the user not charged).
    pub late_success: bool,
    /// A worker is on it until then.
    pub leased_until: Option<DateTime<Utc>>,
    /// The user was told it failed.
    pub failure_notified_at: Option<DateTime<Utc>>,
    /// A free run: the UTC day whose free budget it counts in.
    pub free_budget_day: Option<NaiveDate>,
    /// A free run: what it added to that day's free budget (its `kie_cost_usd`), given back
    /// if it does not succeed.
    pub free_budget_usd: Option<Decimal>,
}

/// A job to create: everything the confirm screen showed, fixed at that moment.
#[derive(Clone, Debug, PartialEq)]
pub struct NewJob {
    /// Whose job.
    pub user: UserId,
    /// Unique per confirmation (a double tap on Run finds the first job).
    pub idempotency_key: String,
    /// The Kie model id.
    pub model_id: String,
    /// The validated input.
    pub input: serde_json::Value,
    /// The ruble price (zero if and only if `is_free`).
    pub price: Money,
    /// Kie's cost in credits.
    pub kie_credits: Decimal,
    /// Kie's cost in US dollars.
    pub kie_cost_usd: Decimal,
    /// The breakdown shown to the user.
    pub breakdown: serde_json::Value,
    /// A free run.
    pub is_free: bool,
    /// The chat to report progress and deliver to.
    pub chat_id: Option<i64>,
    /// The progress message, if already sent.
    pub progress_message_id: Option<i32>,
}

/// Creates a job in state `created`, exactly once per idempotency key: a repeated key returns
/// the job created first (`false`), and a key already used by another user is refused.
pub async fn create_job(
    conn: &mut AsyncPgConnection,
    new: &NewJob,
) -> Result<(Job, bool), LedgerError> {
    if new.price.is_negative() || new.is_free != new.price.is_zero() {
        return Err(LedgerError::Invalid(format!(
            "job price {} does not match free = {}",
            new.price, new.is_free
        )));
    }
    if new.idempotency_key.is_empty() {
        return Err(LedgerError::Invalid(
            "a job needs an idempotency key".into(),
        ));
    }
    let inserted: Option<Job> = diesel::insert_into(jobs::table)
        .values((
            jobs::user_id.eq(new.user.0),
            jobs::idempotency_key.eq(&new.idempotency_key),
            jobs::model_id.eq(&new.model_id),
            jobs::input.eq(&new.input),
            jobs::price.eq(new.price.amount()),
            jobs::kie_credits.eq(new.kie_credits),
            jobs::kie_cost_usd.eq(new.kie_cost_usd),
            jobs::breakdown.eq(&new.breakdown),
            jobs::is_free.eq(new.is_free),
            jobs::chat_id.eq(new.chat_id),
            jobs::progress_message_id.eq(new.progress_message_id),
        ))
        .on_conflict(jobs::idempotency_key)
        .do_nothing()
        .returning(Job::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    if let Some(job) = inserted {
        return Ok((job, true));
    }
    let existing = job_by_key(conn, &new.idempotency_key)
        .await?
        .ok_or_else(|| LedgerError::Unexpected("job key conflict without a job".into()))?;
    if existing.user_id != new.user {
        return Err(LedgerError::Invalid(
            "job key belongs to another user".into(),
        ));
    }
    Ok((existing, false))
}

/// A job by id.
pub async fn job(conn: &mut AsyncPgConnection, id: JobId) -> Result<Option<Job>, LedgerError> {
    Ok(jobs::table
        .find(id.0)
        .select(Job::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A job by its idempotency key.
pub async fn job_by_key(
    conn: &mut AsyncPgConnection,
    key: &str,
) -> Result<Option<Job>, LedgerError> {
    Ok(jobs::table
        .filter(jobs::idempotency_key.eq(key))
        .select(Job::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Jobs that have money or a free run held and have not ended, oldest first (for recovery).
pub async fn unfinished_jobs(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> Result<Vec<Job>, LedgerError> {
    let live = [
        JobState::Held,
        JobState::Submitting,
        JobState::Submitted,
        JobState::Running,
    ];
    Ok(jobs::table
        .filter(jobs::state.eq_any(live.map(JobState::as_str)))
        .order(jobs::id)
        .limit(limit)
        .select(Job::as_select())
        .load(conn)
        .await?)
}

/// A step of a job that moves no money.
#[derive(Clone, Debug, PartialEq)]
pub enum JobStep {
    /// `held` → `submitting`: written before createTask is called.
    Submitting,
    /// `submitting` → `submitted`, with Kie's task id.
    Submitted {
        /// Kie's taskId.
        task_id: String,
    },
    /// `submitted` → `running`.
    Running,
    /// `succeeded` → `delivered`, with what was delivered.
    Delivered {
        /// Result URLs and delivery flags.
        result: serde_json::Value,
    },
}

/// Applies a step if the job is in the state the step starts from; returns whether it did
/// (false: the job had moved on, e.g. a racing worker or a callback got there first).
pub async fn advance_job(
    conn: &mut AsyncPgConnection,
    id: JobId,
    step: JobStep,
) -> Result<bool, LedgerError> {
    let target = jobs::table.find(id.0);
    let now = diesel::dsl::now;
    let n = match step {
        JobStep::Submitting => {
            diesel::update(target.filter(jobs::state.eq(JobState::Held.as_str())))
                .set((
                    jobs::state.eq(JobState::Submitting.as_str()),
                    jobs::updated_at.eq(now),
                ))
                .execute(conn)
                .await?
        }
        JobStep::Submitted { task_id } => {
            diesel::update(target.filter(jobs::state.eq(JobState::Submitting.as_str())))
                .set((
                    jobs::state.eq(JobState::Submitted.as_str()),
                    jobs::kie_task_id.eq(task_id),
                    // A task id implies createTask was sent (a CHECK constraint insists).
                    jobs::create_sent_at.eq(diesel::dsl::sql::<
                        diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                    >(
                        "coalesce(create_sent_at, now())"
                    )),
                    jobs::submitted_at.eq(now),
                    jobs::updated_at.eq(now),
                ))
                .execute(conn)
                .await?
        }
        JobStep::Running => {
            diesel::update(target.filter(jobs::state.eq(JobState::Submitted.as_str())))
                .set((
                    jobs::state.eq(JobState::Running.as_str()),
                    jobs::updated_at.eq(now),
                ))
                .execute(conn)
                .await?
        }
        JobStep::Delivered { result } => {
            diesel::update(target.filter(jobs::state.eq(JobState::Succeeded.as_str())))
                .set((
                    jobs::state.eq(JobState::Delivered.as_str()),
                    jobs::result.eq(result),
                    jobs::delivered_at.eq(now),
                    jobs::updated_at.eq(now),
                ))
                .execute(conn)
                .await?
        }
    };
    Ok(n == 1)
}

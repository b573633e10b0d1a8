//! What went wrong, for the admin panel: failures grouped by code and message, by model and by
//! pipeline stage, results that could not be delivered, ambiguous createTask calls and late
//! successes. Read-only: it must never write.
//!
//! A *failure* here is a job that ended without a result through no choice of its user:
//! `failed` or `expired` (a cancelled job is the user's choice). Each report covers the jobs
//! *created* since the given moment.
//!
//! # Failure codes and stages
//! This module is the one place where the codes the pipeline writes (`crates/generation`, and
//! `ledger::finish_job` itself) are mapped to the stage that failed ([`FailureStage`]):
//!
//! | code | written when | stage |
//! |---|---|---|
//! | `hold_expired` | the hold's time ran out in the queue (state `expired`) | queue |
//! | `upload_<code>` | Kie's upload host refused a user file | upload |
//! | `model_gone` | the model left the catalog before createTask | create |
//! | `kie_<code>` | createTask refused: our Kie account (402 no credit, 401 bad key) | create |
//! | `ambiguous_submit` | createTask's outcome stayed unknown past the grace period | create |
//! | `deadline` | Kie accepted the task but did not finish in time | status |
//! | any other (Kie's code: `422`, `500`, …; `fail` when Kie gave none) | without a Kie task id: createTask refused the input; with one: the task failed | create / status |
//!
//! A delivery failure is not a failure code: the job is `succeeded` (charged) but not
//! delivered, with failed attempts counted in `delivery_attempts` and, once the pipeline gives
//! up, a `delivery_failed` event whose detail is Telegram's error (403: the user blocked the
//! bot, who is then marked unreachable; a file too large; …).

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Nullable, Numeric, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::types::{JobId, UserId};

/// The failure code of Kie's input validation refusal (HTTP or envelope 422, from createTask or
/// as a task's failCode): Kie rejected what we sent, which for a whole model means its input
/// schema in our registry is wrong.
pub const SCHEMA_REJECTED_CODE: &str = "422";

/// The stage of the pipeline where a job failed (see the module docs for the mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureStage {
    /// Waiting for a worker: the hold expired before the job was submitted.
    Queue,
    /// Uploading the user's files to Kie.
    Upload,
    /// Calling createTask (refused, our account, ambiguous, model gone).
    Create,
    /// Kie accepted the task; it failed or missed the deadline while we polled its status.
    Status,
    /// Kie succeeded and the user was charged, but the result has not reached them.
    Delivery,
}

impl FailureStage {
    /// Every stage, in pipeline order.
    pub const ALL: [FailureStage; 5] = [
        FailureStage::Queue,
        FailureStage::Upload,
        FailureStage::Create,
        FailureStage::Status,
        FailureStage::Delivery,
    ];

    /// The name the SQL mapping uses.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureStage::Queue => "queue",
            FailureStage::Upload => "upload",
            FailureStage::Create => "create",
            FailureStage::Status => "status",
            FailureStage::Delivery => "delivery",
        }
    }
}

/// The stage of a failed or expired `jobs` row aliased `j`: the module docs' table, in SQL.
macro_rules! sql_stage_of_failure {
    () => {
        "CASE WHEN j.state = 'expired' OR j.failure_code = 'hold_expired' THEN 'queue' \
              WHEN j.failure_code LIKE 'upload\\_%' THEN 'upload' \
              WHEN j.failure_code IN ('model_gone', 'ambiguous_submit') \
                OR j.failure_code LIKE 'kie\\_%' THEN 'create' \
              WHEN j.failure_code = 'deadline' THEN 'status' \
              WHEN j.kie_task_id IS NULL THEN 'create' \
              ELSE 'status' END"
    };
}

/// Failures with the same code and message.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct FailureGroup {
    /// The failure code (empty when none was recorded).
    #[diesel(sql_type = Text)]
    pub code: String,
    /// The failure message as recorded (Kie's or the pipeline's; empty when none).
    #[diesel(sql_type = Text)]
    pub message: String,
    /// The model, when all the group's jobs are of one model.
    #[diesel(sql_type = Nullable<Text>)]
    pub model_id: Option<String>,
    /// How many jobs.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    /// The job that ended last.
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub newest_job: JobId,
    /// When it ended.
    #[diesel(sql_type = Timestamptz)]
    pub newest_at: DateTime<Utc>,
}

/// Failures since `since` grouped by code and message, the largest groups first (then the
/// most recent), at most `limit` (1–200) groups.
pub async fn failure_groups(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<FailureGroup>, LedgerError> {
    Ok(diesel::sql_query(
        "SELECT coalesce(failure_code, '') AS code, coalesce(failure_message, '') AS message, \
           CASE WHEN count(DISTINCT model_id) = 1 THEN min(model_id) END AS model_id, \
           count(*) AS count, (array_agg(id ORDER BY finished_at DESC, id DESC))[1] AS newest_job, \
           max(finished_at) AS newest_at \
         FROM jobs WHERE state IN ('failed', 'expired') AND created_at >= $1 \
         GROUP BY 1, 2 ORDER BY 4 DESC, 6 DESC, 1 LIMIT $2",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<BigInt, _>(limit.clamp(1, 200))
    .load(conn)
    .await?)
}

/// One model's failures.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct ModelFailures {
    /// The Kie model id.
    #[diesel(sql_type = Text)]
    pub model_id: String,
    /// Its failures (`failed` and `expired`).
    #[diesel(sql_type = BigInt)]
    pub failures: i64,
    /// Of them, distinct failure codes.
    #[diesel(sql_type = BigInt)]
    pub codes: i64,
    /// When the last one ended.
    #[diesel(sql_type = Timestamptz)]
    pub newest_at: DateTime<Utc>,
}

/// Failures since `since` per model, most first (ties by model id); models without any absent.
pub async fn failures_by_model(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> Result<Vec<ModelFailures>, LedgerError> {
    Ok(diesel::sql_query(
        "SELECT model_id, count(*) AS failures, \
           count(DISTINCT coalesce(failure_code, '')) AS codes, max(finished_at) AS newest_at \
         FROM jobs WHERE state IN ('failed', 'expired') AND created_at >= $1 \
         GROUP BY model_id ORDER BY failures DESC, model_id",
    )
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?)
}

#[derive(diesel::QueryableByName)]
struct StageCount {
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

const STAGES_SQL: &str = concat!(
    "SELECT stage, count(*) AS n FROM ( \
       SELECT ",
    sql_stage_of_failure!(),
    " AS stage FROM jobs j WHERE j.state IN ('failed', 'expired') AND j.created_at >= $1 \
       UNION ALL \
       SELECT 'delivery' FROM jobs j \
        WHERE j.state = 'succeeded' AND j.delivery_attempts > 0 AND j.created_at >= $1) s \
     GROUP BY stage"
);

/// Failures since `since` per stage, every stage in pipeline order (zero when none). The
/// delivery stage counts charged jobs not delivered after at least one failed attempt.
pub async fn failures_by_stage(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> Result<Vec<(FailureStage, i64)>, LedgerError> {
    let rows: Vec<StageCount> = diesel::sql_query(STAGES_SQL)
        .bind::<Timestamptz, _>(since)
        .load(conn)
        .await?;
    let count_of = |stage: FailureStage| {
        rows.iter()
            .find(|r| r.stage == stage.as_str())
            .map_or(0, |r| r.n)
    };
    Ok(FailureStage::ALL.map(|s| (s, count_of(s))).to_vec())
}

/// A job whose result delivery failed at least once.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct DeliveryFailure {
    /// The job.
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub job_id: JobId,
    /// Whose.
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub user_id: UserId,
    /// The Kie model id.
    #[diesel(sql_type = Text)]
    pub model_id: String,
    /// Failed delivery attempts (the successful one not counted).
    #[diesel(sql_type = BigInt)]
    pub failed_attempts: i64,
    /// Delivered in the end.
    #[diesel(sql_type = Bool)]
    pub delivered: bool,
    /// The pipeline gave up (a `delivery_failed` event).
    #[diesel(sql_type = Bool)]
    pub gave_up: bool,
    /// The detail of the last `delivery_failed` event: Telegram's error.
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    /// False once Telegram answered 403 (the user blocked the bot).
    #[diesel(sql_type = Bool)]
    pub user_reachable: bool,
    /// When the job was created.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Jobs created since `since` whose delivery failed at least once (retried, given up, or
/// delivered after retries), newest first, at most `limit` (1–200).
pub async fn delivery_failures(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DeliveryFailure>, LedgerError> {
    Ok(diesel::sql_query(
        "SELECT job_id, user_id, model_id, failed_attempts, delivered, \
                last_error IS NOT NULL AS gave_up, last_error, user_reachable, created_at \
         FROM (SELECT j.id AS job_id, j.user_id, j.model_id, j.created_at, \
                 greatest(j.delivery_attempts - (j.delivered_at IS NOT NULL)::int, 0)::bigint \
                   AS failed_attempts, \
                 j.delivered_at IS NOT NULL AS delivered, u.reachable AS user_reachable, \
                 (SELECT e.detail FROM pipeline_events e \
                   WHERE e.job_id = j.id AND e.kind = 'delivery_failed' \
                   ORDER BY e.id DESC LIMIT 1) AS last_error \
               FROM jobs j JOIN users u ON u.id = j.user_id \
               WHERE j.created_at >= $1 AND j.delivery_attempts > 0) d \
         WHERE failed_attempts > 0 OR last_error IS NOT NULL \
         ORDER BY created_at DESC, job_id DESC LIMIT $2",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<BigInt, _>(limit.clamp(1, 200))
    .load(conn)
    .await?)
}

/// Ambiguous createTask calls and late successes: where Kie may have been paid without the
/// user being charged.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct AmbiguousAndLate {
    /// Jobs whose createTask outcome was unknown: an `ambiguous_submit` event, the
    /// `ambiguous_submit` failure code, or still `submitting` with createTask sent and no task
    /// id (a crash between sending and recording leaves no event).
    #[diesel(sql_type = BigInt)]
    pub ambiguous: i64,
    /// Of them, still waiting (`submitting`, no task id).
    #[diesel(sql_type = BigInt)]
    pub ambiguous_waiting: i64,
    /// Of them, released after the grace period (failure code `ambiguous_submit`).
    #[diesel(sql_type = BigInt)]
    pub ambiguous_released: i64,
    /// Of them, whose task was found after all (a callback named it: the task id is set).
    #[diesel(sql_type = BigInt)]
    pub ambiguous_adopted: i64,
    /// Late successes: Kie finished after the hold was released (Kie paid, user not charged).
    #[diesel(sql_type = BigInt)]
    pub late_successes: i64,
    /// Of them, delivered as goodwill.
    #[diesel(sql_type = BigInt)]
    pub late_delivered: i64,
    /// What Kie charged for the late successes, in US dollars.
    #[diesel(sql_type = Numeric)]
    pub late_kie_cost_usd: Decimal,
}

/// Ambiguous createTask calls and late successes among the jobs created since `since`.
pub async fn ambiguous_and_late(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> Result<AmbiguousAndLate, LedgerError> {
    Ok(diesel::sql_query(
        "SELECT count(*) FILTER (WHERE ambiguous) AS ambiguous, \
           count(*) FILTER (WHERE ambiguous AND state = 'submitting' AND kie_task_id IS NULL) \
             AS ambiguous_waiting, \
           count(*) FILTER (WHERE ambiguous AND failure_code = 'ambiguous_submit') \
             AS ambiguous_released, \
           count(*) FILTER (WHERE ambiguous AND kie_task_id IS NOT NULL) AS ambiguous_adopted, \
           count(*) FILTER (WHERE late_success) AS late_successes, \
           count(*) FILTER (WHERE late_success AND delivered_at IS NOT NULL) AS late_delivered, \
           coalesce(sum(kie_cost_usd) FILTER (WHERE late_success), 0) AS late_kie_cost_usd \
         FROM (SELECT j.state, j.kie_task_id, j.failure_code, j.late_success, j.delivered_at, \
                 j.kie_cost_usd, \
                 (j.failure_code = 'ambiguous_submit' \
                  OR (j.state = 'submitting' AND j.create_sent_at IS NOT NULL \
                      AND j.kie_task_id IS NULL) \
                  OR EXISTS (SELECT 1 FROM pipeline_events e \
                              WHERE e.job_id = j.id AND e.kind = 'ambiguous_submit')) \
                   IS TRUE AS ambiguous \
               FROM jobs j WHERE j.created_at >= $1) s",
    )
    .bind::<Timestamptz, _>(since)
    .get_result(conn)
    .await?)
}

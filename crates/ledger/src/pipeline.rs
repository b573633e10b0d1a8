//! The generation pipeline's queries on `jobs`, `job_uploads`, `service_flags` and
//! `pipeline_events`: claiming queued work, recording each step before and after Kie is called,
//! scheduling checks and deliveries, and what ETAs and admins read. None of these moves money;
//! the steps that do are [`crate::finish_job`] and friends. Every write is one statement, and
//! every step is conditional on the state it starts from, so a racing worker, a callback and a
//! poll can all try the same step and exactly one of them wins.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Interval, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::LedgerError;
use crate::jobs::Job;
use crate::schema::{job_uploads, jobs, pipeline_events, service_flags};
use crate::types::{JobId, JobState};

fn interval(d: Duration) -> diesel::data_types::PgInterval {
    diesel::data_types::PgInterval::from_microseconds(d.as_micros() as i64)
}

/// Limits on what [`claim_for_submission`] may start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimLimits {
    /// Jobs of one user in flight at once (submitting, submitted, running).
    pub per_user: i32,
    /// Jobs in flight in all (the Kie concurrency we allow ourselves).
    pub global: i32,
    /// Jobs claimed by one call.
    pub batch: i32,
    /// How long a claim is ours before recovery may take the job back.
    pub lease: Duration,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

async fn load_jobs(conn: &mut AsyncPgConnection, ids: Vec<i64>) -> Result<Vec<Job>, LedgerError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(jobs::table
        .filter(jobs::id.eq_any(ids))
        .order(jobs::id)
        .select(Job::as_select())
        .load(conn)
        .await?)
}

/// Claims queued (`held`) jobs, oldest first, within `limits`, moving them to `submitting`
/// (`FOR UPDATE SKIP LOCKED` under one advisory lock: several instances can share the queue).
pub async fn claim_for_submission(
    conn: &mut AsyncPgConnection,
    limits: ClaimLimits,
) -> Result<Vec<Job>, LedgerError> {
    let rows: Vec<IdRow> =
        diesel::sql_query("SELECT pipeline_claim AS id FROM pipeline_claim($1, $2, $3, $4)")
            .bind::<Integer, _>(limits.per_user)
            .bind::<Integer, _>(limits.global)
            .bind::<Integer, _>(limits.batch)
            .bind::<Interval, _>(interval(limits.lease))
            .load(conn)
            .await?;
    load_jobs(conn, rows.into_iter().map(|r| r.id).collect()).await
}

/// Puts a claimed job back in the queue (nothing reached Kie), to be tried again at `at`.
pub async fn requeue(
    conn: &mut AsyncPgConnection,
    id: JobId,
    at: DateTime<Utc>,
) -> Result<bool, LedgerError> {
    let n = diesel::update(
        jobs::table
            .find(id.0)
            .filter(jobs::state.eq(JobState::Submitting.as_str()))
            .filter(jobs::kie_task_id.is_null()),
    )
    .set((
        jobs::state.eq(JobState::Held.as_str()),
        jobs::create_sent_at.eq(None::<DateTime<Utc>>),
        jobs::next_check_at.eq(Some(at)),
        jobs::leased_until.eq(None::<DateTime<Utc>>),
        jobs::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Records, durably, that createTask is about to be sent. Returns false if the job is no longer
/// ours to submit (cancelled, or taken back by recovery) — then createTask must not be sent.
pub async fn mark_create_sent(
    conn: &mut AsyncPgConnection,
    id: JobId,
) -> Result<bool, LedgerError> {
    let n = diesel::update(
        jobs::table
            .find(id.0)
            .filter(jobs::state.eq(JobState::Submitting.as_str()))
            .filter(jobs::create_sent_at.is_null()),
    )
    .set((
        jobs::create_sent_at.eq(diesel::dsl::now),
        jobs::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// `submitting` → `submitted` with Kie's task id, its deadline and the first check. Also adopts
/// a task for a job whose createTask was ambiguous (a callback named it). False if the job had
/// already moved on.
pub async fn record_submitted(
    conn: &mut AsyncPgConnection,
    id: JobId,
    task_id: &str,
    deadline_at: DateTime<Utc>,
) -> Result<bool, LedgerError> {
    let n = diesel::update(
        jobs::table
            .find(id.0)
            .filter(jobs::state.eq(JobState::Submitting.as_str()))
            .filter(jobs::create_sent_at.is_not_null())
            .filter(jobs::kie_task_id.is_null()),
    )
    .set((
        jobs::state.eq(JobState::Submitted.as_str()),
        jobs::kie_task_id.eq(task_id),
        jobs::submitted_at.eq(diesel::dsl::now),
        jobs::deadline_at.eq(deadline_at),
        jobs::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Takes up to `limit` jobs whose check is due (`next_check_at <= now`) and that no worker
/// holds, leasing them for `lease` (`FOR UPDATE SKIP LOCKED`: instances share the work, and a
/// job is worked on by one worker at a time). Covers everything with something to do: claims
/// that lapsed, tasks to poll, results to deliver, failures to report, late tasks to watch.
/// The worker ends its lease with [`schedule`].
pub async fn take_due(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Job>, LedgerError> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "UPDATE jobs SET leased_until = now() + $2 WHERE id IN ( \
           SELECT id FROM jobs WHERE next_check_at <= now() AND state <> 'held' \
              AND (leased_until IS NULL OR leased_until <= now()) \
            ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Interval, _>(interval(lease))
    .load(conn)
    .await?;
    load_jobs(conn, rows.into_iter().map(|r| r.id).collect()).await
}

/// Asks for a look at the job as soon as no worker holds it (a callback arrived, a user
/// cancelled). Leaves any lease alone, so the worker holding the job finishes first.
pub async fn poke(conn: &mut AsyncPgConnection, id: JobId) -> Result<(), LedgerError> {
    diesel::update(jobs::table.find(id.0))
        .set(jobs::next_check_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks finished jobs whose user has not heard the outcome (no delivery, no failure notice)
/// as due. Run at start and periodically: it is what makes an interrupted notification happen.
pub async fn schedule_unreported(conn: &mut AsyncPgConnection) -> Result<usize, LedgerError> {
    Ok(diesel::sql_query(
        "UPDATE jobs SET next_check_at = now() WHERE next_check_at IS NULL AND ( \
            (state = 'succeeded' AND delivered_at IS NULL) \
         OR (state IN ('failed', 'cancelled', 'expired') AND failure_notified_at IS NULL) \
         OR (state IN ('submitting', 'submitted', 'running')))",
    )
    .execute(conn)
    .await?)
}

/// Records that the user was told the job failed.
pub async fn mark_failure_notified(
    conn: &mut AsyncPgConnection,
    id: JobId,
) -> Result<bool, LedgerError> {
    let n = diesel::update(
        jobs::table
            .find(id.0)
            .filter(jobs::failure_notified_at.is_null()),
    )
    .set(jobs::failure_notified_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Attaches a task Kie reported (through a callback) to a job whose createTask was ambiguous and
/// which has since been released: its result is then watched for and delivered as goodwill.
pub async fn adopt_late_task(
    conn: &mut AsyncPgConnection,
    id: JobId,
    task_id: &str,
) -> Result<bool, LedgerError> {
    let n = diesel::update(
        jobs::table
            .find(id.0)
            .filter(jobs::state.eq_any(["failed", "expired"]))
            .filter(jobs::create_sent_at.is_not_null())
            .filter(jobs::kie_task_id.is_null()),
    )
    .set((
        jobs::kie_task_id.eq(task_id),
        jobs::next_check_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Ends the worker's lease and sets when the job should be looked at next (`None`: nothing left
/// to do). A [`poke`] that arrived meanwhile wins: the earlier time is kept.
pub async fn schedule(
    conn: &mut AsyncPgConnection,
    id: JobId,
    at: Option<DateTime<Utc>>,
    pokes_since: DateTime<Utc>,
) -> Result<(), LedgerError> {
    diesel::sql_query(
        "UPDATE jobs SET leased_until = NULL, \
           next_check_at = CASE WHEN next_check_at IS NOT NULL AND next_check_at > $3 \
                                 AND next_check_at <= now() THEN next_check_at ELSE $2 END \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id.0)
    .bind::<Nullable<diesel::sql_types::Timestamptz>, _>(at)
    .bind::<diesel::sql_types::Timestamptz, _>(pokes_since)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a recordInfo answer: Kie's state and one more check; `submitted` → `running` once Kie
/// says it is generating; `finished` stamps Kie's end.
pub async fn record_check(
    conn: &mut AsyncPgConnection,
    id: JobId,
    kie_state: &str,
    generating: bool,
    finished: bool,
) -> Result<(), LedgerError> {
    diesel::sql_query(
        "UPDATE jobs SET kie_state = $2, checks = checks + 1, \
           state = CASE WHEN $3 AND state = 'submitted' THEN 'running' ELSE state END, \
           running_at = CASE WHEN $3 AND running_at IS NULL THEN now() ELSE running_at END, \
           kie_finished_at = CASE WHEN $4 AND kie_finished_at IS NULL THEN now() ELSE kie_finished_at END, \
           updated_at = now() \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id.0)
    .bind::<Text, _>(kie_state)
    .bind::<diesel::sql_types::Bool, _>(generating)
    .bind::<diesel::sql_types::Bool, _>(finished)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the result (URLs, kinds) before the money moves, so a crash between the two loses
/// nothing. `late` marks a success that came after the hold was released.
pub async fn store_result(
    conn: &mut AsyncPgConnection,
    id: JobId,
    result: &serde_json::Value,
    late: bool,
) -> Result<(), LedgerError> {
    diesel::update(jobs::table.find(id.0).filter(jobs::delivered_at.is_null()))
        .set((
            jobs::result.eq(result),
            jobs::late_success.eq(late),
            jobs::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that the result reached the user: `succeeded` → `delivered`, or, for a late success
/// on a released job, only the delivery time. False if it was already delivered.
pub async fn mark_delivered(conn: &mut AsyncPgConnection, id: JobId) -> Result<bool, LedgerError> {
    let n = diesel::sql_query(
        "UPDATE jobs SET delivered_at = now(), updated_at = now(), \
           delivery_attempts = delivery_attempts + 1, \
           state = CASE WHEN state = 'succeeded' THEN 'delivered' ELSE state END \
         WHERE id = $1 AND delivered_at IS NULL AND (state = 'succeeded' OR late_success)",
    )
    .bind::<BigInt, _>(id.0)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Counts a failed delivery attempt; returns the attempts so far.
pub async fn delivery_failed(conn: &mut AsyncPgConnection, id: JobId) -> Result<i32, LedgerError> {
    Ok(diesel::update(jobs::table.find(id.0))
        .set(jobs::delivery_attempts.eq(jobs::delivery_attempts + 1))
        .returning(jobs::delivery_attempts)
        .get_result(conn)
        .await?)
}

/// Jobs queued before this one (its place in the queue, 0 = next). `None` if not queued.
pub async fn queue_position(
    conn: &mut AsyncPgConnection,
    id: JobId,
) -> Result<Option<i64>, LedgerError> {
    #[derive(QueryableByName)]
    struct Pos {
        #[diesel(sql_type = Nullable<BigInt>)]
        pos: Option<i64>,
    }
    let row: Pos = diesel::sql_query(
        "SELECT CASE WHEN j.state = 'held' THEN \
           (SELECT count(*) FROM jobs q WHERE q.state = 'held' AND q.id < j.id) END AS pos \
         FROM jobs j WHERE j.id = $1",
    )
    .bind::<BigInt, _>(id.0)
    .get_result(conn)
    .await?;
    Ok(row.pos)
}

/// Observed Kie durations of a model's last `sample` successful tasks, from submission to Kie's
/// end: (p50, p90). `None` until something finished.
pub async fn observed_durations(
    conn: &mut AsyncPgConnection,
    model_id: &str,
    sample: i64,
) -> Result<Option<(Duration, Duration)>, LedgerError> {
    #[derive(QueryableByName)]
    struct P {
        #[diesel(sql_type = Nullable<BigInt>)]
        p50: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        p90: Option<i64>,
    }
    let row: P = diesel::sql_query(
        "SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::bigint AS p50, \
                (percentile_cont(0.9) WITHIN GROUP (ORDER BY ms))::bigint AS p90 \
         FROM (SELECT extract(epoch FROM kie_finished_at - submitted_at) * 1000 AS ms FROM jobs \
               WHERE model_id = $1 AND kie_finished_at IS NOT NULL AND submitted_at IS NOT NULL \
                 AND kie_state = 'success' \
               ORDER BY id DESC LIMIT $2) t",
    )
    .bind::<Text, _>(model_id)
    .bind::<BigInt, _>(sample)
    .get_result(conn)
    .await?;
    let ms = |v: i64| Duration::from_millis(v.max(0) as u64);
    Ok(row.p50.zip(row.p90).map(|(a, b)| (ms(a), ms(b))))
}

/// A user file waiting to go to Kie.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = job_uploads, check_for_backend(diesel::pg::Pg))]
pub struct JobUpload {
    /// The input parameter it belongs to.
    pub param: String,
    /// Its place among that parameter's files.
    pub position: i32,
    /// Its name.
    pub file_name: String,
    /// Its MIME type.
    pub mime: String,
    /// Its size in bytes.
    pub size: i64,
    /// The bytes, until Kie has them.
    pub bytes: Option<Vec<u8>>,
    /// Kie's URL, once uploaded.
    pub kie_url: Option<String>,
}

/// Stores a user's file for a job (before the job is queued).
pub async fn add_upload(
    conn: &mut AsyncPgConnection,
    id: JobId,
    param: &str,
    position: i32,
    file_name: &str,
    mime: &str,
    bytes: &[u8],
) -> Result<(), LedgerError> {
    diesel::insert_into(job_uploads::table)
        .values((
            job_uploads::job_id.eq(id.0),
            job_uploads::param.eq(param),
            job_uploads::position.eq(position),
            job_uploads::file_name.eq(file_name),
            job_uploads::mime.eq(mime),
            job_uploads::size.eq(bytes.len() as i64),
            job_uploads::bytes.eq(bytes),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// A job's files, in parameter and position order.
pub async fn uploads(
    conn: &mut AsyncPgConnection,
    id: JobId,
) -> Result<Vec<JobUpload>, LedgerError> {
    Ok(job_uploads::table
        .filter(job_uploads::job_id.eq(id.0))
        .order((job_uploads::param, job_uploads::position))
        .select(JobUpload::as_select())
        .load(conn)
        .await?)
}

/// Records Kie's URL for a file and drops its bytes.
pub async fn upload_done(
    conn: &mut AsyncPgConnection,
    id: JobId,
    param: &str,
    position: i32,
    kie_url: &str,
) -> Result<(), LedgerError> {
    diesel::update(
        job_uploads::table
            .filter(job_uploads::job_id.eq(id.0))
            .filter(job_uploads::param.eq(param))
            .filter(job_uploads::position.eq(position)),
    )
    .set((
        job_uploads::kie_url.eq(kie_url),
        job_uploads::bytes.eq(None::<Vec<u8>>),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// A service-wide flag's value and since when, if set.
pub async fn flag(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> Result<Option<(String, DateTime<Utc>)>, LedgerError> {
    Ok(service_flags::table
        .find(name)
        .select((service_flags::value, service_flags::since))
        .first(conn)
        .await
        .optional()?)
}

/// Sets a flag; returns true only if the value changed (so an alert fires once per change, from
/// whichever instance changed it).
pub async fn set_flag(
    conn: &mut AsyncPgConnection,
    name: &str,
    value: &str,
) -> Result<bool, LedgerError> {
    let n = diesel::sql_query(
        "INSERT INTO service_flags (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, since = now() \
         WHERE service_flags.value IS DISTINCT FROM EXCLUDED.value",
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(value)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// An event admins must see.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pipeline_events, check_for_backend(diesel::pg::Pg))]
pub struct PipelineEvent {
    /// Its id.
    pub id: i64,
    /// The job, if about one.
    pub job_id: Option<i64>,
    /// `late_success`, `ambiguous_submit`, `kie_paused`, `kie_resumed`, `kie_rejected`,
    /// `callback_refused`, `delivery_failed`.
    pub kind: String,
    /// Details.
    pub detail: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Records an event for admins.
pub async fn record_event(
    conn: &mut AsyncPgConnection,
    job: Option<JobId>,
    kind: &str,
    detail: &str,
) -> Result<(), LedgerError> {
    diesel::insert_into(pipeline_events::table)
        .values((
            pipeline_events::job_id.eq(job.map(|j| j.0)),
            pipeline_events::kind.eq(kind),
            pipeline_events::detail.eq(detail),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest events, newest first.
pub async fn recent_events(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> Result<Vec<PipelineEvent>, LedgerError> {
    Ok(pipeline_events::table
        .order(pipeline_events::id.desc())
        .limit(limit)
        .select(PipelineEvent::as_select())
        .load(conn)
        .await?)
}

/// Cancels a job (releasing its money or giving back its free run) only while nothing can have
/// reached Kie: still queued, or claimed with createTask not yet marked as sent. False otherwise.
pub async fn cancel_queued(conn: &mut AsyncPgConnection, id: JobId) -> Result<bool, LedgerError> {
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        cancelled: bool,
    }
    let r: R = diesel::sql_query("SELECT pipeline_cancel_queued($1) AS cancelled")
        .bind::<BigInt, _>(id.0)
        .get_result(conn)
        .await?;
    Ok(r.cancelled)
}

/// Extends a worker's lease on a job it is still working on (a heartbeat). Does nothing once
/// the worker has ended its lease with [`schedule`].
/// Hands the leases of `jobs` back at once (a clean stop aborted their steps), so another
/// instance takes them without waiting for the leases to lapse.
pub async fn hand_back_leases(
    conn: &mut AsyncPgConnection,
    jobs: &[JobId],
) -> Result<usize, LedgerError> {
    let ids: Vec<i64> = jobs.iter().map(|j| j.0).collect();
    Ok(diesel::sql_query(
        "UPDATE jobs SET leased_until = now() WHERE id = ANY($1) AND leased_until > now()",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
    .execute(conn)
    .await?)
}

/// Extends the lease of `id` by `lease` from now.
pub async fn renew_lease(
    conn: &mut AsyncPgConnection,
    id: JobId,
    lease: Duration,
) -> Result<(), LedgerError> {
    diesel::sql_query(
        "UPDATE jobs SET leased_until = now() + $2 WHERE id = $1 AND leased_until IS NOT NULL",
    )
    .bind::<BigInt, _>(id.0)
    .bind::<Interval, _>(interval(lease))
    .execute(conn)
    .await?;
    Ok(())
}

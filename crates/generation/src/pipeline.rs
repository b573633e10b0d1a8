//! [`Pipeline`]: submission (quote, job, files, hold), the worker loop (claim, submit, poll,
//! complete, deliver, report, recover) and the small queries the UI needs (status, cancel).
//! Every database write is one statement conditional on the state it starts from; the worker
//! owns a job only under a lease. Must never send createTask for a job whose `create_sent_at`
//! is already set, and never release a job because a status query failed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use catalog::{Catalog, ParamKind, ValidatedInput};
use chrono::{DateTime, Utc};
use kie_client::{CreateTask, ErrorKind, KieClient, KieError, TaskState};
use ledger::{
    ClaimLimits, FreeHoldOutcome, FreeLimits, HoldOutcome, Job, JobId, JobOutcome, JobState,
    LedgerError, NewJob, UserId,
};
use pricing::{Money, PriceSettings};
use serde_json::{Map, Value};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::PipelineConfig;
use crate::callback::callback_url;
use crate::deliver::{Alert, Deliver, DeliveryError, Failure, FailureKind, Progress, ResultFile};
use crate::result::{ResultKind, StoredResult};

/// The flag that pauses new runs while Kie refuses them (402, 401).
const PAUSE_FLAG: &str = "kie_paused";
const NOT_PAUSED: &str = "off";

/// Whether new runs are paused because Kie refuses tasks (the flag the pipeline sets and
/// lifts; read by the admin panel's home screen too).
pub async fn is_paused(conn: &mut ledger::AsyncPgConnection) -> Result<bool, ledger::LedgerError> {
    Ok(ledger::flag(conn, PAUSE_FLAG)
        .await?
        .is_some_and(|(v, _)| v != NOT_PAUSED))
}

/// The placeholder a UI puts into an upload parameter before validation; the pipeline replaces
/// it with Kie's URL after uploading the file. (It is a valid URI, so the input schema's
/// `format: uri` accepts it, and it names no host, so it can never leak anywhere.)
pub fn pending_upload_url(param: &str, position: u32) -> String {
    format!("upload:{param}/{position}")
}

/// A file the user sent, as bytes (never a Telegram URL: it contains the bot token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// The upload parameter.
    pub param: String,
    /// Its place among the parameter's files (0 for single uploads).
    pub position: u32,
    /// A file name (for Kie's upload host).
    pub file_name: String,
    /// Its MIME type.
    pub mime: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What the confirm button asks for.
#[derive(Clone, Debug)]
pub struct Order {
    /// Whose run.
    pub user: UserId,
    /// One per confirm screen: a second tap finds the first job.
    pub idempotency_key: String,
    /// The validated input (upload parameters hold [`pending_upload_url`] placeholders).
    pub input: ValidatedInput,
    /// The uploaded files.
    pub files: Vec<InputFile>,
    /// Run on the free quota.
    pub free: Option<FreeLimits>,
    /// The price the confirm screen showed; if the price changed since, nothing happens.
    pub expected_price: Option<Money>,
    /// Where to report.
    pub chat_id: Option<i64>,
    /// The progress message to edit.
    pub progress_message_id: Option<i32>,
}

/// What [`Pipeline::submit`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Submission {
    /// The money (or free run) is held and the job is queued.
    Queued {
        /// The job.
        job: Box<Job>,
        /// Jobs ahead of it.
        position: i64,
    },
    /// This confirm was already submitted (a double tap): the existing job.
    AlreadySubmitted {
        /// The job.
        job: Box<Job>,
    },
    /// Not enough money; the job waits in `created` and the same order can be submitted again
    /// after a top-up.
    InsufficientFunds {
        /// What the user has.
        available: Money,
        /// What is missing.
        missing: Money,
    },
    /// The free quota is used up until then.
    FreeQuotaUsed {
        /// When a run is free again.
        resets_at: DateTime<Utc>,
    },
    /// The day's budget for free runs (all users together) cannot pay for this run; the job
    /// waits in `created`, the user's free run is not taken. It can run paid.
    FreeBudgetSpent,
    /// The price changed since the confirm screen (settings changed): show the new one.
    PriceChanged {
        /// The price now.
        price: Money,
    },
    /// New runs are paused (Kie refuses tasks: no credit or a bad key). Nothing was held.
    Paused,
    /// The model is unknown, withheld by the registry or disabled by an admin. Nothing was
    /// held.
    ModelUnavailable,
}

/// A job's state for the progress message and history.
#[derive(Clone, Debug, PartialEq)]
pub struct JobStatus {
    /// The job.
    pub job: Job,
    /// Queue position while queued.
    pub position: Option<i64>,
    /// Expected remaining time, when known.
    pub eta: Option<Duration>,
}

/// A point where a test can make the pipeline stop dead, as if the process were killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the claim, before anything was sent to Kie.
    BeforeCreate,
    /// createTask answered, the task id is not recorded yet.
    AfterCreateBeforeRecord,
    /// The task is recorded and running; before the next status query.
    WhileRunning,
    /// Kie said success; the hold is not committed yet.
    AfterSuccessBeforeCommit,
    /// The hold is committed; the result is not delivered yet.
    AfterCommitBeforeDelivery,
}

/// Why the pipeline stopped or a call failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The database.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A test's crash point was reached.
    #[error("crashed at {0:?} (test hook)")]
    Crashed(CrashPoint),
    /// An input that cannot be priced or submitted (a bug in the caller).
    #[error("invalid order: {0}")]
    Invalid(String),
}

/// The generation pipeline. Clone it freely (clones share everything).
pub struct Pipeline<D: Deliver> {
    inner: Arc<Inner<D>>,
}

impl<D: Deliver> Clone for Pipeline<D> {
    fn clone(&self) -> Self {
        Pipeline {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<D> {
    pool: ledger::Pool,
    kie: KieClient,
    catalog: Arc<Catalog>,
    deliver: D,
    config: PipelineConfig,
    wake: Notify,
    crash_at: Mutex<Option<CrashPoint>>,
    crashed: AtomicBool,
}

type Conn = ledger::PooledConnection;

impl<D: Deliver> Pipeline<D> {
    /// A pipeline over these collaborators.
    pub fn new(
        pool: ledger::Pool,
        kie: KieClient,
        catalog: Arc<Catalog>,
        deliver: D,
        config: PipelineConfig,
    ) -> Pipeline<D> {
        Pipeline {
            inner: Arc::new(Inner {
                pool,
                kie,
                catalog,
                deliver,
                config,
                wake: Notify::new(),
                crash_at: Mutex::new(None),
                crashed: AtomicBool::new(false),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PipelineConfig {
        &self.inner.config
    }

    /// The Kie client (shared rate limits and counters).
    pub fn kie(&self) -> &KieClient {
        &self.inner.kie
    }

    /// The `Deliver` implementation.
    pub fn deliverer(&self) -> &D {
        &self.inner.deliver
    }

    /// Test hook: stop dead when reaching `point` (see [`CrashPoint`]).
    pub fn crash_at(&self, point: Option<CrashPoint>) {
        *self.inner.crash_at.lock().expect("not poisoned") = point;
    }

    /// Test hook: whether a crash point was reached.
    pub fn has_crashed(&self) -> bool {
        self.inner.crashed.load(Ordering::SeqCst)
    }

    fn checkpoint(&self, point: CrashPoint) -> Result<(), PipelineError> {
        if self.inner.crashed.load(Ordering::SeqCst) {
            return Err(PipelineError::Crashed(point));
        }
        if *self.inner.crash_at.lock().expect("not poisoned") == Some(point) {
            self.inner.crashed.store(true, Ordering::SeqCst);
            return Err(PipelineError::Crashed(point));
        }
        Ok(())
    }

    /// A pooled connection for ONE statement (`&mut *self.db().await?` as an argument: the
    /// temporary is returned at the end of the statement). Never held across a Kie call or a
    /// delivery: those can wait for minutes behind rate limits, and a held connection per
    /// waiting job would drain the pool.
    async fn db(&self) -> Result<Conn, PipelineError> {
        Ok(self
            .inner
            .pool
            .get()
            .await
            .map_err(|e| LedgerError::Pool(e.to_string()))?)
    }

    /// Wakes the worker loop (new work, a callback).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Whether new runs are paused because Kie refuses tasks.
    pub async fn paused(&self) -> Result<bool, PipelineError> {
        Ok(is_paused(&mut *self.db().await?).await?)
    }

    /// Quotes, creates the job (once per idempotency key), stores the files and holds the
    /// price or a free run. See [`Submission`].
    pub async fn submit(
        &self,
        order: Order,
        settings: &PriceSettings,
    ) -> Result<Submission, PipelineError> {
        let Some(model) = self.inner.catalog.get(order.input.model_id()) else {
            return Ok(Submission::ModelUnavailable);
        };
        if !model.enabled {
            return Ok(Submission::ModelUnavailable);
        }
        // Fail closed: only Market tasks are wired (createTask / recordInfo). A family model
        // (Veo, Suno, …) is refused even if a registry edit enabled it, until family tasks run.
        if !model.api.is_market() {
            return Ok(Submission::ModelUnavailable);
        }
        if let Some(existing) =
            ledger::job_by_key(&mut *self.db().await?, &order.idempotency_key).await?
            && existing.state != JobState::Created
        {
            return Ok(Submission::AlreadySubmitted {
                job: Box::new(existing),
            });
        }
        // Read fresh, never from a cached storefront: a model an admin disabled cannot be run
        // from an old confirm button or a history re-run.
        if ledger::model_override(&mut *self.db().await?, &model.id)
            .await?
            .is_some_and(|o| o.disabled)
        {
            return Ok(Submission::ModelUnavailable);
        }
        if self.paused().await? {
            return Ok(Submission::Paused);
        }
        let quote = model
            .quote(&order.input, settings)
            .map_err(|e| PipelineError::Invalid(e.to_string()))?;
        let is_free = order.free.is_some();
        let price = if is_free { Money::ZERO } else { quote.price };
        if !is_free && order.expected_price.is_some_and(|p| p != price) {
            return Ok(Submission::PriceChanged { price });
        }
        for f in &order.files {
            if model.upload_media(&f.param).is_none() || f.bytes.is_empty() {
                return Err(PipelineError::Invalid(format!(
                    "{} is not a file parameter of {} (or the file is empty)",
                    f.param, model.id
                )));
            }
        }
        let new = NewJob {
            user: order.user,
            idempotency_key: order.idempotency_key.clone(),
            model_id: model.id.clone(),
            input: Value::Object(model.kie_input(&order.input)),
            price,
            kie_credits: quote.cost_credits,
            kie_cost_usd: quote.cost_usd,
            breakdown: serde_json::to_value(&quote.breakdown)
                .map_err(|e| PipelineError::Invalid(e.to_string()))?,
            is_free,
            chat_id: order.chat_id,
            progress_message_id: order.progress_message_id,
        };
        let (job, _) = ledger::create_job(&mut *self.db().await?, &new).await?;
        if job.state != JobState::Created {
            return Ok(Submission::AlreadySubmitted { job: Box::new(job) });
        }
        for f in &order.files {
            ledger::add_upload(
                &mut *self.db().await?,
                job.id,
                &f.param,
                f.position as i32,
                &f.file_name,
                &f.mime,
                &f.bytes,
            )
            .await?;
        }
        match order.free {
            Some(limits) => {
                match ledger::hold_free(&mut *self.db().await?, job.id, Utc::now(), limits).await? {
                    FreeHoldOutcome::Held { .. } => {}
                    FreeHoldOutcome::QuotaExceeded { resets_at } => {
                        return Ok(Submission::FreeQuotaUsed { resets_at });
                    }
                    FreeHoldOutcome::BudgetSpent => return Ok(Submission::FreeBudgetSpent),
                }
            }
            None => match ledger::hold(
                &mut *self.db().await?,
                order.user,
                price,
                job.id,
                self.inner.config.hold_ttl,
            )
            .await?
            {
                HoldOutcome::Held { .. } => {}
                HoldOutcome::InsufficientFunds { available, missing } => {
                    return Ok(Submission::InsufficientFunds { available, missing });
                }
            },
        }
        let position = ledger::queue_position(&mut *self.db().await?, job.id)
            .await?
            .unwrap_or(0);
        let job = ledger::job(&mut *self.db().await?, job.id)
            .await?
            .ok_or_else(|| LedgerError::Unexpected("the job vanished".into()))?;
        self.wake();
        Ok(Submission::Queued {
            job: Box::new(job),
            position,
        })
    }

    /// Cancels a job of `user` while it is still queued: the money (or free run) is released.
    /// False if it is not theirs or already went to Kie.
    pub async fn cancel(&self, user: UserId, job: JobId) -> Result<bool, PipelineError> {
        match ledger::job(&mut *self.db().await?, job).await? {
            Some(j) if j.user_id == user => {}
            _ => return Ok(false),
        }
        let cancelled = ledger::cancel_queued(&mut *self.db().await?, job).await?;
        if cancelled {
            // The cancel is the failure report's trigger: the worker tells the user.
            ledger::poke(&mut *self.db().await?, job).await?;
            self.wake();
        }
        Ok(cancelled)
    }

    /// Where a job is, with its queue position and ETA.
    pub async fn status(&self, job: JobId) -> Result<Option<JobStatus>, PipelineError> {
        let Some(job) = ledger::job(&mut *self.db().await?, job).await? else {
            return Ok(None);
        };
        let position = ledger::queue_position(&mut *self.db().await?, job.id).await?;
        let eta = self.eta(&job, Utc::now()).await?;
        Ok(Some(JobStatus { job, position, eta }))
    }

    async fn eta(&self, job: &Job, now: DateTime<Utc>) -> Result<Option<Duration>, PipelineError> {
        let Some((p50, _p90)) = ledger::observed_durations(
            &mut *self.db().await?,
            &job.model_id,
            self.inner.config.eta_sample,
        )
        .await?
        else {
            return Ok(None);
        };
        let elapsed = job
            .submitted_at
            .map(|s| (now - s).to_std().unwrap_or_default())
            .unwrap_or_default();
        Ok(Some(p50.saturating_sub(elapsed)))
    }

    /// Runs the worker loop until `shutdown` is cancelled (or a test crash point is reached).
    /// Recovery is part of the loop: on start every unfinished job is made due, and lapsed
    /// leases bring back the work of a dead instance.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), PipelineError> {
        {
            ledger::schedule_unreported(&mut *self.db().await?).await?;
        }
        let mut tasks: JoinSet<Result<(), PipelineError>> = JoinSet::new();
        let mut owners: HashMap<tokio::task::Id, JobId> = HashMap::new();
        let mut last_sweep = tokio::time::Instant::now() - Duration::from_secs(3600);
        let mut last_credit_check = last_sweep;
        loop {
            // Reap finished work; a crash (test hook) stops everything at once, like a kill.
            while let Some(done) = tasks.try_join_next_with_id() {
                let done = match done {
                    Ok((id, result)) => {
                        owners.remove(&id);
                        Ok(result)
                    }
                    Err(e) => {
                        owners.remove(&e.id());
                        Err(e)
                    }
                };
                match done {
                    Ok(Err(PipelineError::Crashed(p))) => {
                        tasks.abort_all();
                        return Err(PipelineError::Crashed(p));
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "a pipeline step failed; it will be retried")
                    }
                    Ok(Ok(())) => {}
                    Err(e) if e.is_panic() => tracing::error!("a pipeline step panicked: {e}"),
                    Err(_) => {}
                }
            }
            if self.inner.crashed.load(Ordering::SeqCst) {
                tasks.abort_all();
                return Err(PipelineError::Crashed(CrashPoint::BeforeCreate));
            }

            if let Err(e) = self
                .tick(
                    &mut tasks,
                    &mut owners,
                    &mut last_sweep,
                    &mut last_credit_check,
                )
                .await
            {
                tracing::warn!(error = %e, "pipeline tick failed");
            }

            tokio::select! {
                _ = shutdown.cancelled() => {
                    self.drain(tasks, owners).await;
                    return Ok(());
                }
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(self.inner.config.tick) => {}
            }
        }
    }

    /// A clean stop: claims nothing more, lets the steps in flight finish within
    /// `config.stop_drain`, then aborts the rest and hands their leases back so another
    /// instance takes the jobs at once instead of after the lease lapses. An aborted step is
    /// exactly a crash at that point, which every step survives (see the crash tests).
    async fn drain(
        &self,
        mut tasks: JoinSet<Result<(), PipelineError>>,
        mut owners: HashMap<tokio::task::Id, JobId>,
    ) {
        let in_flight = tasks.len();
        let until = tokio::time::Instant::now() + self.inner.config.stop_drain;
        while let Ok(Some(done)) = tokio::time::timeout_at(until, tasks.join_next_with_id()).await {
            match done {
                Ok((id, _)) => owners.remove(&id),
                Err(e) => owners.remove(&e.id()),
            };
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let unfinished: Vec<JobId> = owners.into_values().collect();
        if !unfinished.is_empty() {
            match self.db().await {
                Ok(mut conn) => {
                    if let Err(e) = ledger::hand_back_leases(&mut conn, &unfinished).await {
                        tracing::warn!(error = %e, "handing back job leases failed; they lapse");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "handing back job leases failed; they lapse"),
            }
        }
        tracing::info!(
            in_flight,
            handed_back = unfinished.len(),
            "the pipeline stopped"
        );
    }

    async fn tick(
        &self,
        tasks: &mut JoinSet<Result<(), PipelineError>>,
        owners: &mut HashMap<tokio::task::Id, JobId>,
        last_sweep: &mut tokio::time::Instant,
        last_credit_check: &mut tokio::time::Instant,
    ) -> Result<(), PipelineError> {
        let cfg = &self.inner.config;
        let now = tokio::time::Instant::now();
        if now.duration_since(*last_sweep) >= cfg.tick * 10 {
            *last_sweep = now;
            // Holds whose time ran out (a queue that did not move) end as expired; their users
            // must hear it.
            if ledger::expire_due(&mut *self.db().await?, Utc::now()).await? > 0 {
                ledger::schedule_unreported(&mut *self.db().await?).await?;
            }
        }
        let paused = ledger::flag(&mut *self.db().await?, PAUSE_FLAG)
            .await?
            .is_some_and(|(v, _)| v != NOT_PAUSED);
        if paused && now.duration_since(*last_credit_check) >= cfg.credit_check {
            *last_credit_check = now;
            self.check_credit().await?;
        }
        let room = cfg.max_tasks.saturating_sub(tasks.len());
        if !paused && room > 0 {
            let claimed = ledger::claim_for_submission(
                &mut *self.db().await?,
                ClaimLimits {
                    per_user: cfg.per_user_in_flight,
                    global: cfg.global_in_flight,
                    batch: room.min(100) as i32,
                    lease: cfg.lease,
                },
            )
            .await?;
            for job in claimed {
                let me = self.clone();
                let id = job.id;
                let task =
                    tasks.spawn(async move { me.leased(job.id, me.submit_job(job.clone())).await });
                owners.insert(task.id(), id);
            }
        }
        let room = cfg.max_tasks.saturating_sub(tasks.len());
        if room > 0 {
            for job in ledger::take_due(&mut *self.db().await?, room as i64, cfg.lease).await? {
                let me = self.clone();
                let id = job.id;
                let task =
                    tasks.spawn(async move { me.leased(job.id, me.process(job.clone())).await });
                owners.insert(task.id(), id);
            }
        }
        Ok(())
    }

    /// Runs `work` on a job while renewing the job's lease, so a slow step (a createTask
    /// waiting out 429s, a large download) is never mistaken for a dead worker. If this process
    /// dies, renewals stop and the lease lapses.
    async fn leased(
        &self,
        job: JobId,
        work: impl Future<Output = Result<(), PipelineError>>,
    ) -> Result<(), PipelineError> {
        let lease = self.inner.config.lease;
        let renew = async {
            let mut every = tokio::time::interval(lease / 3);
            every.tick().await;
            loop {
                every.tick().await;
                if let Ok(mut conn) = self.db().await
                    && let Err(e) = ledger::renew_lease(&mut conn, job, lease).await
                {
                    tracing::warn!(job = job.0, error = %e, "lease renewal failed");
                }
            }
        };
        tokio::select! {
            done = work => done,
            never = renew => never,
        }
    }

    async fn check_credit(&self) -> Result<(), PipelineError> {
        match self.inner.kie.credit().await {
            Ok(credits) if credits >= self.inner.config.resume_credits => {
                if ledger::set_flag(&mut *self.db().await?, PAUSE_FLAG, NOT_PAUSED).await? {
                    ledger::record_event(
                        &mut *self.db().await?,
                        None,
                        "kie_resumed",
                        &format!("credits {credits}"),
                    )
                    .await?;
                    self.inner.deliver.alert(Alert::KieResumed).await;
                }
            }
            Ok(credits) => tracing::info!(%credits, "Kie credit still below the resume level"),
            Err(e) => tracing::info!(error = %e, "Kie credit check failed"),
        }
        Ok(())
    }

    async fn pause(&self, e: &KieError) -> Result<(), PipelineError> {
        let reason = if e.is_insufficient_credits() {
            "no_credit"
        } else {
            "unauthorized"
        };
        if ledger::set_flag(&mut *self.db().await?, PAUSE_FLAG, reason).await? {
            ledger::record_event(&mut *self.db().await?, None, "kie_paused", &e.to_string())
                .await?;
            self.inner
                .deliver
                .alert(Alert::KiePaused {
                    code: e.code.unwrap_or_default(),
                    message: e.message.clone(),
                })
                .await;
        }
        Ok(())
    }

    /// A claimed job: upload its files, mark createTask as sent, send it once, record the task.
    async fn submit_job(&self, job: Job) -> Result<(), PipelineError> {
        let cfg = &self.inner.config;
        self.checkpoint(CrashPoint::BeforeCreate)?;
        let Some(model) = self.inner.catalog.get(&job.model_id) else {
            let failure = Failure {
                kind: FailureKind::ServiceUnavailable,
                code: "model_gone".into(),
                message: format!("model {} is no longer in the catalog", job.model_id),
            };
            return self.fail(&job, failure).await;
        };
        let input = match self.upload_inputs(&job).await {
            Ok(input) => input,
            Err(e) if e.kind == ErrorKind::Rejected => {
                let failure = Failure {
                    kind: FailureKind::Rejected,
                    code: format!("upload_{}", e.code.unwrap_or_default()),
                    message: e.message.clone(),
                };
                return self.fail(&job, failure).await;
            }
            Err(e) => {
                tracing::info!(job = job.id.0, error = %e, "upload failed; requeued");
                ledger::requeue(
                    &mut *self.db().await?,
                    job.id,
                    Utc::now() + chrono_dur(cfg.requeue_delay),
                )
                .await?;
                return Ok(());
            }
        };
        if !ledger::mark_create_sent(&mut *self.db().await?, job.id).await? {
            // Cancelled (or taken back) meanwhile: nothing may be sent.
            return Ok(());
        }
        let request = CreateTask {
            model: model.id.clone(),
            input,
            callback_url: cfg
                .callback_base
                .as_ref()
                .map(|b| callback_url(b, &cfg.callback_secret, job.id)),
        };
        let created = self.inner.kie.create_task(&request).await;
        self.checkpoint(CrashPoint::AfterCreateBeforeRecord)?;
        match created {
            Ok(task) => {
                let deadline = Utc::now() + chrono_dur(cfg.deadlines.for_output(model.output));
                ledger::record_submitted(&mut *self.db().await?, job.id, &task.task_id, deadline)
                    .await?;
                let first = Utc::now() + chrono_dur(cfg.poll.first);
                ledger::schedule(&mut *self.db().await?, job.id, Some(first), Utc::now()).await?;
                let eta = self.eta(&job, Utc::now()).await?;
                self.inner
                    .deliver
                    .progress(
                        &job,
                        Progress::Generating {
                            elapsed: Duration::ZERO,
                            eta,
                        },
                    )
                    .await;
                Ok(())
            }
            Err(e) if e.is_insufficient_credits() || e.is_unauthorized() => {
                self.pause(&e).await?;
                let failure = Failure {
                    kind: FailureKind::ServiceUnavailable,
                    code: format!("kie_{}", e.code.unwrap_or_default()),
                    message: e.message.clone(),
                };
                self.fail(&job, failure).await
            }
            Err(e) if e.kind == ErrorKind::Rejected => {
                ledger::record_event(
                    &mut *self.db().await?,
                    Some(job.id),
                    "kie_rejected",
                    &e.to_string(),
                )
                .await?;
                let failure = Failure {
                    kind: FailureKind::Rejected,
                    code: e.code.map(|c| c.to_string()).unwrap_or_default(),
                    message: e.message.clone(),
                };
                self.fail(&job, failure).await
            }
            Err(e) if e.kind == ErrorKind::Unavailable => {
                // Kie proved nothing was created (429/455 after retries, no connection).
                tracing::info!(job = job.id.0, error = %e, "Kie unavailable; requeued");
                ledger::requeue(
                    &mut *self.db().await?,
                    job.id,
                    Utc::now() + chrono_dur(cfg.requeue_delay),
                )
                .await?;
                Ok(())
            }
            Err(e) => {
                // Ambiguous: a paid task may exist. Wait for a callback naming this job.
                tracing::warn!(job = job.id.0, error = %e, "createTask outcome unknown");
                ledger::record_event(
                    &mut *self.db().await?,
                    Some(job.id),
                    "ambiguous_submit",
                    &e.to_string(),
                )
                .await?;
                self.inner
                    .deliver
                    .alert(Alert::AmbiguousSubmit { job: job.id.0 })
                    .await;
                let at = Utc::now() + chrono_dur(cfg.ambiguous_grace);
                ledger::schedule(&mut *self.db().await?, job.id, Some(at), Utc::now()).await?;
                Ok(())
            }
        }
    }

    /// Uploads the job's files (those not yet on Kie) and builds Kie's input with their URLs.
    async fn upload_inputs(&self, job: &Job) -> Result<Map<String, Value>, KieError> {
        let mut input = job.input.as_object().cloned().unwrap_or_default();
        let files = ledger::uploads(&mut *self.db().await.map_err(|e| db_as_kie(&e))?, job.id)
            .await
            .map_err(|e| db_as_kie(&e))?;
        let model = self.inner.catalog.get(&job.model_id);
        let mut urls: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for f in files {
            let url = match (&f.kie_url, &f.bytes) {
                (Some(u), _) => u.clone(),
                (None, Some(bytes)) => {
                    let up = self
                        .inner
                        .kie
                        .upload(bytes, &f.file_name, &f.mime, "user-uploads")
                        .await?;
                    ledger::upload_done(
                        &mut *self.db().await.map_err(|e| db_as_kie(&e))?,
                        job.id,
                        &f.param,
                        f.position,
                        up.download_url.as_str(),
                    )
                    .await
                    .map_err(|e| db_as_kie(&e))?;
                    up.download_url.to_string()
                }
                (None, None) => continue,
            };
            urls.entry(f.param.clone()).or_default().push(url);
        }
        for (param, list) in urls {
            let multiple = model
                .and_then(|m| m.param(&param))
                .is_some_and(|p| matches!(p.kind, ParamKind::Upload { multiple: true, .. }));
            let value = if multiple {
                Value::Array(list.into_iter().map(Value::String).collect())
            } else {
                Value::String(list.into_iter().next().unwrap_or_default())
            };
            input.insert(param, value);
        }
        Ok(input)
    }

    /// Releases a job's money (or free run) with `failure`, tells the user, and keeps watching
    /// its task for a late success where there is one.
    async fn fail(&self, job: &Job, failure: Failure) -> Result<(), PipelineError> {
        let finished = ledger::finish_job(
            &mut *self.db().await?,
            job.id,
            JobOutcome::Failed {
                code: failure.code.clone(),
                message: failure.message.clone(),
            },
        )
        .await?;
        if !finished.changed {
            // Someone else ended it first; whatever they decided stands. Look again at once, so
            // its report or delivery happens.
            ledger::schedule(&mut *self.db().await?, job.id, Some(Utc::now()), Utc::now()).await?;
            return Ok(());
        }
        self.report_failure(job, failure).await
    }

    async fn report_failure(&self, job: &Job, failure: Failure) -> Result<(), PipelineError> {
        match self.inner.deliver.failed(job, &failure).await {
            Ok(()) | Err(DeliveryError::Permanent(_)) => {
                ledger::mark_failure_notified(&mut *self.db().await?, job.id).await?;
            }
            Err(DeliveryError::Retry(m)) => {
                tracing::info!(job = job.id.0, "failure notice failed: {m}");
                let at = Utc::now() + chrono_dur(self.inner.config.delivery_retry);
                ledger::schedule(&mut *self.db().await?, job.id, Some(at), Utc::now()).await?;
                return Ok(());
            }
        }
        let next = self.late_watch_next(job);
        ledger::schedule(&mut *self.db().await?, job.id, next, Utc::now()).await?;
        Ok(())
    }

    /// When to look again at a released job whose Kie task may still finish (`None`: never).
    fn late_watch_next(&self, job: &Job) -> Option<DateTime<Utc>> {
        let cfg = &self.inner.config;
        let watching = job.kie_task_id.is_some()
            && job.kie_finished_at.is_none()
            && Utc::now() - job.created_at < chrono_dur(cfg.late_watch);
        watching.then(|| Utc::now() + chrono_dur(cfg.poll.late))
    }

    /// A due job: whatever its state needs next.
    async fn process(&self, job: Job) -> Result<(), PipelineError> {
        let now = Utc::now();
        let cfg = &self.inner.config;
        match job.state {
            JobState::Submitting => match (job.create_sent_at, &job.kie_task_id) {
                (None, _) => {
                    // The claimer died before sending anything: queue it again.
                    ledger::requeue(&mut *self.db().await?, job.id, now).await?;
                    self.wake();
                    Ok(())
                }
                (Some(sent), None) if now - sent >= chrono_dur(cfg.ambiguous_grace) => {
                    let failure = Failure {
                        kind: FailureKind::Uncertain,
                        code: "ambiguous_submit".into(),
                        message: "createTask may or may not have reached Kie; not charged".into(),
                    };
                    self.fail(&job, failure).await
                }
                (Some(sent), _) => {
                    let at = sent + chrono_dur(cfg.ambiguous_grace);
                    ledger::schedule(&mut *self.db().await?, job.id, Some(at), now).await?;
                    Ok(())
                }
            },
            JobState::Submitted | JobState::Running => self.check_task(job).await,
            JobState::Succeeded => self.deliver(&job).await,
            JobState::Failed | JobState::Cancelled | JobState::Expired => {
                if job.failure_notified_at.is_none() {
                    let failure = failure_of(&job);
                    return self.report_failure(&job, failure).await;
                }
                if job.late_success && job.delivered_at.is_none() {
                    return self.deliver(&job).await;
                }
                if self.late_watch_next(&job).is_some() {
                    return self.check_task(job).await;
                }
                ledger::schedule(&mut *self.db().await?, job.id, None, now).await?;
                Ok(())
            }
            JobState::Delivered | JobState::Held | JobState::Created => {
                ledger::schedule(&mut *self.db().await?, job.id, None, now).await?;
                Ok(())
            }
        }
    }

    /// Asks Kie (the authority) about a job's task and acts on the answer.
    async fn check_task(&self, job: Job) -> Result<(), PipelineError> {
        let Some(task_id) = job.kie_task_id.clone() else {
            ledger::schedule(&mut *self.db().await?, job.id, None, Utc::now()).await?;
            return Ok(());
        };
        self.checkpoint(CrashPoint::WhileRunning)?;
        let live = matches!(job.state, JobState::Submitted | JobState::Running);
        let started = Utc::now();
        let record = match self.inner.kie.record_info(&task_id).await {
            Ok(r) => r,
            Err(e) => {
                // Never a reason to refund: Kie may still finish (and charge us). Try again later;
                // the deadline below still applies.
                tracing::info!(job = job.id.0, error = %e, "status query failed");
                return self.after_check(&job, live, started).await;
            }
        };
        match record.state {
            TaskState::Success => {
                let model_kind = self
                    .inner
                    .catalog
                    .get(&job.model_id)
                    .map(|m| ResultKind::from(m.output))
                    .unwrap_or(ResultKind::Image);
                let Some(stored) = StoredResult::from_record(model_kind, &record) else {
                    return self.after_check(&job, live, started).await;
                };
                let value = serde_json::to_value(&stored)
                    .map_err(|e| PipelineError::Invalid(e.to_string()))?;
                ledger::store_result(&mut *self.db().await?, job.id, &value, !live).await?;
                ledger::record_check(&mut *self.db().await?, job.id, "success", false, true)
                    .await?;
                if live {
                    self.checkpoint(CrashPoint::AfterSuccessBeforeCommit)?;
                    ledger::finish_job(&mut *self.db().await?, job.id, JobOutcome::Succeeded)
                        .await?;
                    self.checkpoint(CrashPoint::AfterCommitBeforeDelivery)?;
                } else {
                    ledger::record_event(&mut *self.db().await?,
                        Some(job.id),
                        "late_success",
                        "Kie finished after the hold was released: Kie was paid, the user was not charged",
                    )
                    .await?;
                    self.inner
                        .deliver
                        .alert(Alert::LateSuccess { job: job.id.0 })
                        .await;
                }
                let job = ledger::job(&mut *self.db().await?, job.id)
                    .await?
                    .unwrap_or(job);
                self.deliver(&job).await
            }
            TaskState::Fail => {
                ledger::record_check(&mut *self.db().await?, job.id, "fail", false, true).await?;
                if !live {
                    ledger::schedule(&mut *self.db().await?, job.id, None, Utc::now()).await?;
                    return Ok(());
                }
                let code = record.fail_code.clone().unwrap_or_else(|| "fail".into());
                let kind = if matches!(code.as_str(), "400" | "422" | "451") {
                    FailureKind::Rejected
                } else {
                    FailureKind::GenerationFailed
                };
                let failure = Failure {
                    kind,
                    code,
                    message: record.fail_msg.clone().unwrap_or_default(),
                };
                let job = Job {
                    kie_finished_at: Some(Utc::now()),
                    ..job
                };
                self.fail(&job, failure).await
            }
            ref other => {
                let generating = matches!(other, TaskState::Generating);
                let state = match other {
                    TaskState::Waiting => "waiting",
                    TaskState::Queuing => "queuing",
                    TaskState::Generating => "generating",
                    TaskState::Other(s) => s.as_str(),
                    _ => "unknown",
                };
                ledger::record_check(&mut *self.db().await?, job.id, state, generating, false)
                    .await?;
                if live && generating {
                    let elapsed = job
                        .submitted_at
                        .map(|s| (Utc::now() - s).to_std().unwrap_or_default())
                        .unwrap_or_default();
                    let eta = self.eta(&job, Utc::now()).await?;
                    self.inner
                        .deliver
                        .progress(&job, Progress::Generating { elapsed, eta })
                        .await;
                }
                self.after_check(&job, live, started).await
            }
        }
    }

    /// After a status query that did not end the job: enforce the deadline or schedule the next
    /// poll.
    async fn after_check(
        &self,
        job: &Job,
        live: bool,
        started: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        let cfg = &self.inner.config;
        let now = Utc::now();
        if !live {
            let next = self.late_watch_next(job);
            ledger::schedule(&mut *self.db().await?, job.id, next, started).await?;
            return Ok(());
        }
        if let Some(deadline) = job.deadline_at
            && now >= deadline
        {
            let failure = Failure {
                kind: FailureKind::Deadline,
                code: "deadline".into(),
                message: "Kie did not finish in time".into(),
            };
            return self.fail(job, failure).await;
        }
        let age = job
            .submitted_at
            .map(|s| (now - s).to_std().unwrap_or_default())
            .unwrap_or_default();
        let mut next = now + chrono_dur(cfg.poll.interval(age));
        if let Some(deadline) = job.deadline_at {
            next = next.min(deadline);
        }
        ledger::schedule(&mut *self.db().await?, job.id, Some(next), started).await?;
        Ok(())
    }

    /// Downloads the result and hands it to the UI; records the delivery, or schedules a retry.
    async fn deliver(&self, job: &Job) -> Result<(), PipelineError> {
        let stored: Option<StoredResult> = job
            .result
            .clone()
            .and_then(|v| serde_json::from_value(v).ok());
        let Some(stored) = stored else {
            tracing::error!(job = job.id.0, "succeeded without a stored result");
            ledger::schedule(&mut *self.db().await?, job.id, None, Utc::now()).await?;
            return Ok(());
        };
        let files = match self.download(&stored).await {
            Ok(files) => files,
            Err(e) => return self.delivery_retry(job, &e.to_string()).await,
        };
        match self
            .inner
            .deliver
            .deliver(job, files, job.late_success)
            .await
        {
            Ok(()) => {
                ledger::mark_delivered(&mut *self.db().await?, job.id).await?;
                ledger::schedule(&mut *self.db().await?, job.id, None, Utc::now()).await?;
                Ok(())
            }
            Err(DeliveryError::Retry(m)) => self.delivery_retry(job, &m).await,
            Err(DeliveryError::Permanent(m)) => {
                ledger::delivery_failed(&mut *self.db().await?, job.id).await?;
                ledger::record_event(&mut *self.db().await?, Some(job.id), "delivery_failed", &m)
                    .await?;
                ledger::schedule(&mut *self.db().await?, job.id, None, Utc::now()).await?;
                Ok(())
            }
        }
    }

    async fn delivery_retry(&self, job: &Job, why: &str) -> Result<(), PipelineError> {
        let cfg = &self.inner.config;
        let attempts = ledger::delivery_failed(&mut *self.db().await?, job.id).await?;
        if attempts >= cfg.delivery_attempts {
            ledger::record_event(&mut *self.db().await?, Some(job.id), "delivery_failed", why)
                .await?;
            ledger::schedule(&mut *self.db().await?, job.id, None, Utc::now()).await?;
            return Ok(());
        }
        let backoff = cfg.delivery_retry * 2u32.saturating_pow(attempts.max(0) as u32 - 1);
        ledger::schedule(
            &mut *self.db().await?,
            job.id,
            Some(Utc::now() + chrono_dur(backoff)),
            Utc::now(),
        )
        .await?;
        Ok(())
    }

    async fn download(&self, stored: &StoredResult) -> Result<Vec<ResultFile>, KieError> {
        if let Some(text) = &stored.text {
            return Ok(vec![ResultFile {
                kind: ResultKind::Text,
                url: None,
                bytes: None,
                mime: Some("text/plain".into()),
                text: Some(text.clone()),
            }]);
        }
        let mut files = Vec::with_capacity(stored.urls.len());
        for url in &stored.urls {
            let d = self
                .inner
                .kie
                .download(url, self.inner.config.max_download_bytes)
                .await?;
            files.push(ResultFile {
                kind: stored.kind,
                url: Some(url.clone()),
                bytes: d.bytes,
                mime: d.content_type,
                text: None,
            });
        }
        Ok(files)
    }

    /// A callback named `task_id` for `job`: make the job due, adopting the task first if the
    /// job's createTask was ambiguous and Kie confirms (its recorded `callBackUrl` is this job's).
    /// Returns false if the callback does not belong to the job.
    pub(crate) async fn on_callback(
        &self,
        job_id: JobId,
        task_id: &str,
    ) -> Result<bool, PipelineError> {
        let Some(job) = ledger::job(&mut *self.db().await?, job_id).await? else {
            return Ok(false);
        };
        match &job.kie_task_id {
            Some(t) if t == task_id => {}
            Some(_) => return Ok(false),
            None => {
                if job.create_sent_at.is_none() {
                    return Ok(false);
                }
                // Only Kie can say whether this task is ours: its param holds our callback URL.
                let cfg = &self.inner.config;
                let Ok(record) = self.inner.kie.record_info(task_id).await else {
                    return Ok(false);
                };
                let ours = cfg
                    .callback_base
                    .as_ref()
                    .map(|b| callback_url(b, &cfg.callback_secret, job.id));
                if ours.as_ref().map(Url::as_str) != record.callback_url() {
                    return Ok(false);
                }
                let model_kind = self
                    .inner
                    .catalog
                    .get(&job.model_id)
                    .map(|m| m.output)
                    .unwrap_or(catalog::OutputKind::Image);
                let deadline = Utc::now() + chrono_dur(cfg.deadlines.for_output(model_kind));
                let adopted =
                    ledger::record_submitted(&mut *self.db().await?, job.id, task_id, deadline)
                        .await?
                        || ledger::adopt_late_task(&mut *self.db().await?, job.id, task_id).await?;
                if !adopted {
                    return Ok(false);
                }
                tracing::info!(
                    job = job.id.0,
                    "adopted the task of an ambiguous createTask"
                );
            }
        }
        ledger::poke(&mut *self.db().await?, job.id).await?;
        self.wake();
        Ok(true)
    }

    /// Records a refused callback for admins.
    pub(crate) async fn callback_refused(&self, job: Option<JobId>, why: &str) {
        if let Ok(mut conn) = self.db().await {
            let _ = ledger::record_event(&mut conn, job, "callback_refused", why).await;
        }
    }
}

/// The failure to report for a job that ended without a report (recovery).
fn failure_of(job: &Job) -> Failure {
    let code = job.failure_code.clone().unwrap_or_default();
    let kind = match (job.state, code.as_str()) {
        (JobState::Cancelled, _) => FailureKind::Cancelled,
        (JobState::Expired, _) => FailureKind::Expired,
        (_, "deadline") => FailureKind::Deadline,
        (_, "ambiguous_submit") => FailureKind::Uncertain,
        (_, "400" | "422" | "451") => FailureKind::Rejected,
        (_, c) if c.starts_with("kie_") || c == "model_gone" => FailureKind::ServiceUnavailable,
        (_, c) if c.starts_with("upload_") => FailureKind::Rejected,
        _ => FailureKind::GenerationFailed,
    };
    Failure {
        kind,
        code,
        message: job.failure_message.clone().unwrap_or_default(),
    }
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn db_as_kie(e: &dyn std::fmt::Display) -> KieError {
    // A database error during uploads: treat like "Kie unavailable" (retry later, nothing sent).
    KieError {
        kind: ErrorKind::Unavailable,
        code: None,
        message: format!("database: {e}"),
        endpoint: "upload",
    }
}

//! A faithful Kie.ai HTTP API simulator (axum), for tests, the end-to-end demo and operators'
//! dry runs. It speaks Kie's wire format as `shared/kie-api.md` describes it: `{code,msg,data}`
//! envelopes with most errors as HTTP 200, real HTTP 429 for rate limits, lazily advancing task
//! states, signed callbacks with retries, the upload host, credits and download links.
//!
//! Models come from [`SimConfig::docs`]: [`KieDocs::bundled`] (a copy of
//! `shared/kie-api-inputs.json`) by default, or [`KieDocs::load`] for another file.
//!
//! # What it must never do
//! It never learns models from our registry: model inputs come only from Kie's documentation
//! ([`KieDocs`], `data/kie-api-inputs.json`), so a drift between our registry and Kie fails a test.
//! It never logs the API key or request headers, and never holds its state lock across an await.
//!
//! # Running it
//! [`KieSim::start`] binds `127.0.0.1:0` and serves in a spawned task until [`KieSim::shutdown`]
//! or drop; [`KieSim::base_url`] serves both Kie hosts: the API paths (`/api/v1/...`), the upload
//! paths (`/api/file-base64-upload`, `/api/file-stream-upload`, `/api/file-url-upload`) and the
//! files it produced (`/files/...`, no auth, like Kie's temp-file host). The `kie-sim` binary
//! wraps the same server (`kie-sim --listen 127.0.0.1:8787 --api-key KEY`).
//!
//! # Endpoints
//! - `POST /api/v1/jobs/createTask` `{model, input, callBackUrl?}`. Checks, in order: the key
//!   (`401`), the body (`400` if not a JSON object), then everything else as one `422` whose
//!   `msg` lists every problem joined by `"; "`, each naming the field and the rule: unknown
//!   top-level fields, an unknown model, and `input` against the model's documented inputs
//!   (required fields — a required field with a documented default may be omitted, and the few
//!   whose docs tie them to a mode (kling-3.0's `multi_prompt`, `kling_elements`) are required
//!   only in that mode, see `docs.rs` `CONDITIONAL`; types, where
//!   `"5"` and `5` differ; enums compared as JSON values; min/max; `max_length` in characters;
//!   `max_items`; unknown fields), e.g. `input.duration: "7" is not one of ["5","10"]`. A JSON
//!   `null` counts as absent, an empty string or list in a field that must be given is rejected,
//!   and an enum the docs mark with an `enum_note` (voice names) is advisory. Then the
//!   create rate limit (HTTP `429`), then credits (`402`). Success:
//!   `{"code":200,"msg":"success","data":{"taskId":...}}`, plus `recordId` for `elevenlabs/*`.
//! - `GET /api/v1/jobs/recordInfo?taskId=` → `400` without taskId, `404` unknown, HTTP `429` over
//!   the status limit; `data` has `taskId, model, state, param` (JSON string of the create body),
//!   `resultJson` (JSON string, `""` unless success), `failCode` (string), `failMsg`, `costTime`
//!   (ms), `createTime`, `updateTime`, `completeTime` (Unix ms, `null` until terminal) and, once
//!   terminal, `creditsConsumed`.
//! - `GET /api/v1/chat/credit` → the balance; `POST /api/v1/common/download-url {"url"}` → a
//!   direct link for files the simulator produced or stored, else `422`.
//! - Uploads answer `{"success":true,"code":200,"msg":"File uploaded successfully","data":{
//!   fileName, filePath, downloadUrl, fileSize, mimeType, uploadedAt}}`; bad base64 is `400`.
//!   Files are kept in memory; the same `uploadPath/fileName` overwrites.
//!
//! # Own-endpoint families
//! Veo 3.1, Suno, Midjourney, Runway, Runway Aleph, Flux Kontext and 4o Image are served on
//! their documented paths (`data/kie-api-families.json`, see `families/mod.rs`) with the same
//! key, rate limits, credits, scripts, markers, faults and callback signing as the Market API,
//! each answering in its own status and callback shapes. Market `recordInfo` does not report
//! family tasks. `script_for_model` keys for families: the request's `model` (e.g.
//! `veo3_fast`, `V4_5`), else the family id (`midjourney`, `runway`, `runway_aleph`, …).
//!
//! # Tasks, results and callbacks
//! A task goes `waiting → queuing → generating → success|fail`, computed lazily from the time
//! since creation ([`Timing`], with seeded jitter). A timer per task settles it at its end even
//! if nobody polls: credits are debited ([`SimConfig::credits_per_task`], reserved at create so
//! running tasks cannot overdraw, released on failure) and the callback is sent. Results are
//! real files served by the simulator at unique URLs `/files/r/<taskId>_<i>.<ext>`: an 8×8 PNG
//! for `image` models (as many as `max_images`/`num_images`/`n` ask for), a minimal MP4 (`ftyp`
//! first) for `video`, silent MP3 frames for `audio`, and for speech-to-text models
//! `{"resultObject":{"text":...,"language_code":"en"}}`.
//!
//! Callbacks POST `{"code":200|400|500|501,"msg":...,"data":<recordInfo data>}`; with
//! [`SimConfig::hmac_key`] they carry `X-Webhook-Timestamp` and `X-Webhook-Signature` =
//! [`webhook_signature`]. A receiver must answer 2xx within [`SimConfig::callback_timeout`]
//! or the delivery is retried up to [`SimConfig::callback_retries`] times with doubling
//! back-off; [`SimConfig::callback_repeats`] > 1 repeats the whole delivery (idempotency tests).
//!
//! # Scripting outcomes
//! The outcome of a new task is, in priority order: the next [`KieSim::script`]ed outcome
//! (FIFO), a marker in a `prompt` or `text` input, the [`KieSim::script_for_model`] outcome,
//! else [`Outcome::Success`]. Markers, handy for demos through the real bot:
//! - `[sim:fail=501]` fails with that `failCode` (any code); `[sim:fail=422]` fails as a content
//!   policy rejection, `"Invalid prompt: prompt contains prohibited content"`;
//! - `[sim:slow]` stretches every phase tenfold (combines with the others);
//! - `[sim:never]` stays `generating` forever.
//!
//! # Faults
//! [`KieSim::inject`] arms a [`Fault`] for its default [`Endpoint`] (create, except
//! [`Fault::RecordInfoHang`]); [`KieSim::inject_on`] picks the endpoint (or [`Endpoint::Any`]).
//! The next `times` matching requests fail that way, before anything else (even the key) is
//! checked: `Http429`, `Code455`, `Code500` (HTTP 200) and `Http500` answer at once and change
//! nothing; `CreateThenHang` processes the request (the task exists, runs and calls back) and
//! then holds the connection open until shutdown, an ambiguous timeout for the client;
//! `CreateThenDrop` processes it and closes the connection without an answer; `RecordInfoHang`
//! holds the request open without processing it; `Disconnect` closes without processing.
//!
//! # Observing it
//! [`KieSim::tasks`], [`KieSim::task`] ([`TaskView`]) and [`KieSim::stats`] ([`SimStats`]) show
//! what happened; [`KieSim::wait_terminal`] and [`KieSim::wait_stats`] await a condition without
//! polling; [`KieSim::finish_now`] ends a task at once (firing its callback).
//!
//! # Time scale
//! [`SimConfig::time_scale`] divides every duration — phases, [`Outcome::Slow`], rate-limit
//! windows, callback timeout and back-off — so `10.0` runs the simulated Kie ten times faster;
//! clients are configured with the same scale by their user. Reported times (`createTime`,
//! `costTime`, …) are real wall-clock times.
//!
//! # Determinism
//! All randomness (task ids, jitter, generated file names) comes from one
//! `fastrand::Rng::with_seed(`[`SimConfig::seed`]`)`; the same seed and the same sequence of
//! requests give the same ids and timings.

mod callback;
mod docs;
mod families;
mod media;
mod server;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use serde_json::Value;
use tokio::sync::watch;
use url::Url;

pub use callback::webhook_signature;
pub use docs::{Category, InputDoc, InputType, KieDocs, ModelDoc};
pub use media::MediaKind;

use state::Shared;

/// How long each phase of a task lasts, in simulated Kie time (divided by
/// [`SimConfig::time_scale`] on the real clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// `waiting`: accepted, not yet queued.
    pub waiting: Duration,
    /// `queuing`: in Kie's queue.
    pub queuing: Duration,
    /// `generating`: running.
    pub generating: Duration,
    /// Relative jitter applied to each phase, uniformly in `±jitter` (0.2 = ±20 %), seeded.
    pub jitter: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            waiting: Duration::from_millis(200),
            queuing: Duration::from_millis(300),
            generating: Duration::from_secs(1),
            jitter: 0.2,
        }
    }
}

/// The simulator's configuration. Durations are simulated Kie time (see
/// [`SimConfig::time_scale`]).
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The Bearer key accepted; anything else gets `{"code":401,"msg":"You do not have access
    /// permissions"}`.
    pub api_key: String,
    /// Model input specs (Kie's documentation).
    pub docs: KieDocs,
    /// createTask limit: at most `.0` accepted creates in any sliding `.1` window; default
    /// (20, 10 s). The rejected request gets HTTP 429 and creates nothing.
    pub create_limit: (u32, Duration),
    /// recordInfo limit, default (10, 1 s), same behaviour.
    pub status_limit: (u32, Duration),
    /// Phase durations.
    pub timing: Timing,
    /// Divides every duration and window; `10.0` = ten times faster. Must be positive.
    pub time_scale: f64,
    /// Starting credit balance.
    pub credits: f64,
    /// Credits charged per successful task (reported as `creditsConsumed`).
    pub credits_per_task: f64,
    /// When set, callbacks are signed (kie-api.md §3).
    pub hmac_key: Option<String>,
    /// How many times the whole final callback is delivered (1 = once).
    pub callback_repeats: u32,
    /// How long a callback receiver has to answer 2xx (Kie: 15 s).
    pub callback_timeout: Duration,
    /// Retries after a failed callback attempt (Kie: 3).
    pub callback_retries: u32,
    /// Back-off before the first retry; doubles for each further one.
    pub callback_backoff: Duration,
    /// Seed of all randomness.
    pub seed: u64,
    /// Base of the URLs the simulator hands out (results, uploads, download links); defaults to
    /// `http://<bound address>`.
    pub public_url: Option<Url>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            api_key: "sim-api-key".into(),
            docs: KieDocs::bundled(),
            create_limit: (20, Duration::from_secs(10)),
            status_limit: (10, Duration::from_secs(1)),
            timing: Timing::default(),
            time_scale: 1.0,
            credits: 1000.0,
            credits_per_task: 4.0,
            hmac_key: None,
            callback_repeats: 1,
            callback_timeout: Duration::from_secs(15),
            callback_retries: 3,
            callback_backoff: Duration::from_secs(1),
            seed: 0,
            public_url: None,
        }
    }
}

impl SimConfig {
    /// The defaults with this API key.
    pub fn new(api_key: impl Into<String>) -> Self {
        SimConfig {
            api_key: api_key.into(),
            ..SimConfig::default()
        }
    }

    /// `d` on the real clock.
    pub fn scaled(&self, d: Duration) -> Duration {
        d.div_f64(self.time_scale)
    }
}

/// How a task ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Success with the usual number of results.
    Success,
    /// Success with exactly `count` result URLs.
    SuccessWith {
        /// Number of result files.
        count: usize,
    },
    /// `state: fail` with this `failCode` (a string, as Kie sends it) and `failMsg`.
    Fail {
        /// `failCode`, e.g. `"501"`.
        code: String,
        /// `failMsg`.
        msg: String,
    },
    /// Stays `generating` forever (until [`KieSim::finish_now`], which makes it succeed).
    Never,
    /// Success after this long (simulated time) from creation.
    Slow(Duration),
}

impl Outcome {
    /// A failure with Kie's usual message for `code`: `422` is the content-policy rejection
    /// `"Invalid prompt: prompt contains prohibited content"`.
    pub fn fail_with_code(code: &str) -> Self {
        let msg = match code {
            "422" => "Invalid prompt: prompt contains prohibited content",
            "400" => "Invalid request parameters",
            "500" => "Internal server error",
            _ => "Generation failed",
        };
        Outcome::Fail {
            code: code.into(),
            msg: msg.into(),
        }
    }
}

/// A failure to inject with [`KieSim::inject`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429, `{"code":429,"msg":"Rate limit exceeded"}`; nothing happens.
    Http429,
    /// HTTP 200, `{"code":455,"msg":"Service unavailable"}`; nothing happens.
    Code455,
    /// HTTP 200, `{"code":500,...}`; nothing happens.
    Code500,
    /// HTTP 500 with a code-500 envelope; nothing happens.
    Http500,
    /// The request is processed normally (on create: the task exists, runs and calls back), but
    /// the answer never comes: the connection is held open until shutdown. An ambiguous
    /// timeout for the client.
    CreateThenHang,
    /// The request is processed normally, then the connection is closed without a response.
    CreateThenDrop,
    /// The request is held open without being processed (default target: recordInfo).
    RecordInfoHang,
    /// The connection is closed without processing or answering.
    Disconnect,
}

impl Fault {
    /// The endpoint [`KieSim::inject`] arms this fault for.
    pub fn default_target(&self) -> Endpoint {
        match self {
            Fault::RecordInfoHang => Endpoint::RecordInfo,
            _ => Endpoint::Create,
        }
    }
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /api/v1/jobs/createTask`.
    Create,
    /// `GET /api/v1/jobs/recordInfo`.
    RecordInfo,
    /// The three upload endpoints.
    Upload,
    /// `GET /api/v1/chat/credit`.
    Credit,
    /// `POST /api/v1/common/download-url`.
    DownloadUrl,
    /// `GET /files/...` (result and upload downloads).
    Files,
    /// Every JSON endpoint above (not `Files`).
    Any,
}

impl Endpoint {
    fn covers(self, request: Endpoint) -> bool {
        self == request || (self == Endpoint::Any && request != Endpoint::Files)
    }
}

/// Counters since start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Tasks created.
    pub creates_accepted: u64,
    /// Creates rejected for the key.
    pub creates_rejected_401: u64,
    /// Creates rejected for a malformed body.
    pub creates_rejected_400: u64,
    /// Creates rejected by validation.
    pub creates_rejected_422: u64,
    /// Creates rejected by the rate limit.
    pub creates_rejected_429: u64,
    /// Creates rejected for lack of credits.
    pub creates_rejected_402: u64,
    /// recordInfo requests answered (not rate-limited), including 400/404 answers.
    pub record_infos: u64,
    /// recordInfo requests rejected by the rate limit.
    pub status_rejected_429: u64,
    /// Successful uploads.
    pub uploads: u64,
    /// Files served.
    pub downloads: u64,
    /// Credit queries answered.
    pub credit_queries: u64,
    /// download-url requests (authorised).
    pub download_url_requests: u64,
    /// Callback POST attempts.
    pub callbacks_sent: u64,
    /// Callback attempts answered 2xx in time.
    pub callbacks_acknowledged: u64,
    /// Tasks that ended in success.
    pub tasks_succeeded: u64,
    /// Tasks that ended in failure.
    pub tasks_failed: u64,
    /// Injected faults applied.
    pub faults_injected: u64,
    /// Most tasks running (created, not ended) at once.
    pub peak_running: usize,
}

/// A task's state as recordInfo reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Accepted, not yet queued.
    Waiting,
    /// Queued.
    Queuing,
    /// Running.
    Generating,
    /// Ended with results.
    Success,
    /// Ended with `failCode`/`failMsg`.
    Fail,
}

impl TaskState {
    /// Kie's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Waiting => "waiting",
            TaskState::Queuing => "queuing",
            TaskState::Generating => "generating",
            TaskState::Success => "success",
            TaskState::Fail => "fail",
        }
    }

    /// `success` or `fail`.
    pub fn is_terminal(self) -> bool {
        matches!(self, TaskState::Success | TaskState::Fail)
    }
}

/// A snapshot of one task.
#[derive(Debug, Clone)]
pub struct TaskView {
    /// The id createTask returned.
    pub task_id: String,
    /// `recordId` (ElevenLabs models only).
    pub record_id: Option<String>,
    /// Model id.
    pub model: String,
    /// The `input` object as sent.
    pub input: Value,
    /// The `callBackUrl` as sent.
    pub call_back_url: Option<String>,
    /// Current state.
    pub state: TaskState,
    /// The outcome it was given.
    pub outcome: Outcome,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it ended.
    pub completed_at: Option<SystemTime>,
    /// Real (scaled) length of the `waiting` phase.
    pub waiting: Duration,
    /// Real length of `queuing`.
    pub queuing: Duration,
    /// Real length of `generating`; `None` for a task that never ends.
    pub generating: Option<Duration>,
    /// Result URLs (after success).
    pub result_urls: Vec<String>,
    /// Credits charged.
    pub credits_consumed: f64,
    /// Callback POSTs attempted for it.
    pub callback_attempts: u32,
    /// Callback POSTs acknowledged.
    pub callback_acks: u32,
}

/// A running simulator. Stops when dropped (or on [`KieSim::shutdown`]).
pub struct KieSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: Url,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl KieSim {
    /// Starts on `127.0.0.1` at a free port.
    pub async fn start(config: SimConfig) -> anyhow::Result<KieSim> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`.
    pub async fn start_on(config: SimConfig, addr: SocketAddr) -> anyhow::Result<KieSim> {
        anyhow::ensure!(
            config.time_scale.is_finite() && config.time_scale > 0.0,
            "time_scale must be a positive number"
        );
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr()?;
        let base_url = match &config.public_url {
            Some(u) => u.clone(),
            None => {
                let host = if addr.ip().is_unspecified() {
                    "127.0.0.1".to_string()
                } else {
                    addr.ip().to_string()
                };
                let host = if addr.is_ipv6() && host != "127.0.0.1" {
                    format!("[{host}]")
                } else {
                    host
                };
                Url::parse(&format!("http://{host}:{}/", addr.port()))?
            }
        };
        let base = base_url.as_str().trim_end_matches('/').to_owned();
        let (stop, stopped) = watch::channel(false);
        let shared = Shared::new(config, base, stopped.clone())?;
        let app = server::router(Arc::clone(&shared));
        let mut on_stop = stopped;
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                // Also resolves when the sender is dropped with the KieSim.
                let _ = on_stop.wait_for(|s| *s).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "kie-sim server failed");
            }
        });
        Ok(KieSim {
            shared,
            addr,
            base_url,
            stop,
            server: Some(server),
        })
    }

    /// The base URL for both Kie hosts (API and uploads), with a trailing slash.
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// The next accepted createTask (FIFO) gets `outcome`.
    pub fn script(&self, outcome: Outcome) {
        self.shared.with_state(|st, _| st.queue.push_back(outcome));
    }

    /// Every later task of `model` gets `outcome` (unless a queued script or marker applies).
    pub fn script_for_model(&self, model: &str, outcome: Outcome) {
        self.shared
            .with_state(|st, _| st.per_model.insert(model.to_owned(), outcome));
    }

    /// Forgets queued and per-model scripts.
    pub fn clear_scripts(&self) {
        self.shared.with_state(|st, _| {
            st.queue.clear();
            st.per_model.clear();
        });
    }

    /// The next `times` requests to the fault's [`Fault::default_target`] fail this way.
    pub fn inject(&self, fault: Fault, times: u32) {
        self.inject_on(fault.default_target(), fault, times);
    }

    /// The next `times` requests to `endpoint` fail this way (faults apply in arming order).
    pub fn inject_on(&self, endpoint: Endpoint, fault: Fault, times: u32) {
        self.shared
            .with_state(|st, _| st.arm(endpoint, fault, times));
    }

    /// Disarms all faults.
    pub fn clear_faults(&self) {
        self.shared.with_state(|st, _| st.clear_faults());
    }

    /// Sets the credit balance.
    pub fn set_credits(&self, credits: f64) {
        self.shared.with_state(|st, _| st.credits = credits);
    }

    /// The credit balance (what `/api/v1/chat/credit` reports).
    pub fn credits(&self) -> f64 {
        self.shared.with_state(|st, _| st.credits)
    }

    /// Counters.
    pub fn stats(&self) -> SimStats {
        self.shared.with_state(|st, _| st.stats.clone())
    }

    /// All tasks, in creation order.
    pub fn tasks(&self) -> Vec<TaskView> {
        let base = self.shared.base.clone();
        self.shared.with_state(|st, now| {
            st.settle_all(now, &self.shared.config, &base);
            (0..st.tasks.len())
                .map(|i| st.view(i, now, &base))
                .collect()
        })
    }

    /// One task.
    pub fn task(&self, task_id: &str) -> Option<TaskView> {
        let base = self.shared.base.clone();
        self.shared.with_state(|st, now| {
            let i = st.find(task_id)?;
            st.settle(i, now, &self.shared.config, &base);
            Some(st.view(i, now, &base))
        })
    }

    /// Ends a task now with its outcome (a [`Outcome::Never`] task succeeds), firing its
    /// callback. Returns `false` for an unknown task.
    pub fn finish_now(&self, task_id: &str) -> bool {
        let base = self.shared.base.clone();
        self.shared.with_state(|st, now| {
            let Some(i) = st.find(task_id) else {
                return false;
            };
            st.finish_now(i, now);
            st.settle(i, now, &self.shared.config, &base);
            true
        })
    }

    /// Waits (without polling) until the task is terminal, up to `timeout` of real time.
    /// `None` if it is unknown or still running at the deadline.
    pub async fn wait_terminal(&self, task_id: &str, timeout: Duration) -> Option<TaskView> {
        let mut changes = self.shared.events.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.mark_unchanged();
            let view = self.task(task_id)?;
            if view.state.is_terminal() {
                return Some(view);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }

    /// Waits (without polling) until `done(&stats)` holds, up to `timeout` of real time, e.g.
    /// until a callback was acknowledged. Re-checked whenever a task ends or a callback attempt
    /// completes. Returns the stats that satisfied it.
    pub async fn wait_stats(
        &self,
        timeout: Duration,
        done: impl Fn(&SimStats) -> bool,
    ) -> Option<SimStats> {
        let mut changes = self.shared.events.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.mark_unchanged();
            let stats = self.stats();
            if done(&stats) {
                return Some(stats);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }

    /// Stops serving and waits for the server task. Held-open (hanging) requests are released.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for KieSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use state::{Phase, SlidingWindow, plan_task};
    use std::time::Instant;

    #[test]
    fn sliding_window_admits_limit_per_window() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::new(2, Duration::from_secs(10));
        for _ in 0..2 {
            assert!(!w.is_full(t0));
            w.record(t0);
        }
        assert!(w.is_full(t0 + Duration::from_secs(9)));
        assert!(
            !w.is_full(t0 + Duration::from_secs(10)),
            "the window slides"
        );
    }

    #[test]
    fn phases_follow_the_plan_and_scale() {
        let config = SimConfig {
            time_scale: 10.0,
            timing: Timing {
                jitter: 0.0,
                ..Timing::default()
            },
            ..SimConfig::default()
        };
        let mut rng = fastrand::Rng::with_seed(1);
        let t0 = Instant::now();
        let plan = plan_task(&config, &mut rng, &Outcome::Success, false, t0);
        let ms = |n| t0 + Duration::from_millis(n);
        // 0.2 s / 0.3 s / 1 s at scale 10 → 20 ms / 30 ms / 100 ms.
        assert_eq!(plan.phase_at(ms(0)), Phase::Waiting);
        assert_eq!(plan.phase_at(ms(25)), Phase::Queuing);
        assert_eq!(plan.phase_at(ms(60)), Phase::Generating);
        assert_eq!(plan.phase_at(ms(150)), Phase::Due);
        let never = plan_task(&config, &mut rng, &Outcome::Never, false, t0);
        assert_eq!(never.phase_at(ms(1_000_000)), Phase::Generating);
        let slow = plan_task(&config, &mut rng, &Outcome::Success, true, t0);
        assert_eq!(slow.done, Some(ms(1500)), "[sim:slow] stretches tenfold");
    }

    #[test]
    fn same_seed_same_plans() {
        let config = SimConfig::default();
        let t0 = Instant::now();
        let plans = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..5)
                .map(|_| plan_task(&config, &mut rng, &Outcome::Success, false, t0).done)
                .collect::<Vec<_>>()
        };
        assert_eq!(plans(7), plans(7));
        assert_ne!(plans(7), plans(8));
    }

    #[test]
    fn defaults_match_kie() {
        let c = SimConfig::default();
        assert_eq!(c.create_limit, (20, Duration::from_secs(10)));
        assert_eq!(c.status_limit, (10, Duration::from_secs(1)));
        assert_eq!(c.callback_timeout, Duration::from_secs(15));
        assert_eq!(c.callback_retries, 3);
    }
}

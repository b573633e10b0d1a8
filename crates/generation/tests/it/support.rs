//! The test rig: a database, a simulator, a pipeline with a recording `Deliver`, a callback
//! server, and helpers to submit, fund and wait for what the user would see.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalog::Catalog;
use generation::{
    Alert, Deliver, DeliveryError, Failure, InputFile, Order, Pipeline, PipelineConfig, Progress,
    ResultFile, Submission,
};
use kie_client::{ApiKey, KieClient, KieConfig};
use kie_sim::{KieSim, SimConfig};
use ledger::{Adjustment, Job, JobId, Language, MoveOutcome, Pool, TelegramProfile, UserId};
use pricing::{Money, PriceSettings, Settings};
use serde_json::{Map, Value, json};
use test_db::TestDatabase;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use url::Url;

/// How fast the simulator and the client run (both the same).
pub const SCALE: u32 = 5;
pub const ADMIN: UserId = UserId(1);
/// Upper bound for anything a test waits for (a hang fails the test instead of blocking CI).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// What the user (or an admin) would have seen.
#[derive(Clone, Debug)]
pub enum Seen {
    Delivered {
        job: JobId,
        files: Vec<ResultFile>,
        goodwill: bool,
    },
    Failed {
        job: JobId,
        failure: Failure,
    },
    Progress {
        job: JobId,
        progress: Progress,
    },
    Alert(Alert),
}

/// A `Deliver` that records everything and can be told to fail.
#[derive(Clone, Default)]
pub struct Recorder {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    notify: Arc<Notify>,
    pub fail_deliveries: Arc<Mutex<u32>>,
}

impl Recorder {
    fn push(&self, s: Seen) {
        self.seen.lock().unwrap().push(s);
        self.notify.notify_waiters();
    }

    pub fn all(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn deliveries(&self, job: JobId) -> Vec<(Vec<ResultFile>, bool)> {
        self.all()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Delivered {
                    job: j,
                    files,
                    goodwill,
                } if j == job => Some((files, goodwill)),
                _ => None,
            })
            .collect()
    }

    pub fn failures(&self, job: JobId) -> Vec<Failure> {
        self.all()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Failed { job: j, failure } if j == job => Some(failure),
                _ => None,
            })
            .collect()
    }

    pub fn progress(&self, job: JobId) -> Vec<Progress> {
        self.all()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Progress { job: j, progress } if j == job => Some(progress),
                _ => None,
            })
            .collect()
    }

    pub fn alerts(&self) -> Vec<Alert> {
        self.all()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Alert(a) => Some(a),
                _ => None,
            })
            .collect()
    }

    /// Waits until `pred` holds for what was seen (woken by each new record), or panics after
    /// [`PATIENCE`].
    pub async fn wait_until(&self, what: &str, pred: impl Fn(&[Seen]) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let notified = self.notify.notified();
            if pred(&self.seen.lock().unwrap()) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {what}; seen: {:#?}", self.all());
            }
        }
    }

    /// Waits for the job's outcome (a delivery or a failure notice).
    pub async fn wait_outcome(&self, job: JobId) {
        self.wait_until(&format!("the outcome of job {}", job.0), |seen| {
            seen.iter().any(|s| {
                matches!(s, Seen::Delivered { job: j, .. } | Seen::Failed { job: j, .. } if *j == job)
            })
        })
        .await
    }
}

impl Deliver for Recorder {
    async fn deliver(
        &self,
        job: &Job,
        files: Vec<ResultFile>,
        goodwill: bool,
    ) -> Result<(), DeliveryError> {
        {
            let mut f = self.fail_deliveries.lock().unwrap();
            if *f > 0 {
                *f -= 1;
                return Err(DeliveryError::Retry("telegram is down (test)".into()));
            }
        }
        self.push(Seen::Delivered {
            job: job.id,
            files,
            goodwill,
        });
        Ok(())
    }

    async fn failed(&self, job: &Job, failure: &Failure) -> Result<(), DeliveryError> {
        self.push(Seen::Failed {
            job: job.id,
            failure: failure.clone(),
        });
        Ok(())
    }

    async fn progress(&self, job: &Job, progress: Progress) {
        self.push(Seen::Progress {
            job: job.id,
            progress,
        });
    }

    async fn alert(&self, alert: Alert) {
        self.push(Seen::Alert(alert));
    }
}

fn registry() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry")
}

pub fn catalog() -> Arc<Catalog> {
    static CATALOG: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::load_dir(&registry()).unwrap_or_else(|e| panic!("{e}"))))
        .clone()
}

pub fn settings() -> PriceSettings {
    Settings::load(&registry().join("settings.toml"))
        .expect("settings")
        .pricing
}

pub fn rub(s: &str) -> Money {
    Money::parse(s).expect("rubles")
}

/// A pipeline configuration for tests: fast ticks and polls, short leases.
pub fn test_config() -> PipelineConfig {
    PipelineConfig {
        callback_secret: b"test-callback-secret".to_vec(),
        tick: Duration::from_millis(20),
        lease: Duration::from_secs(2),
        ambiguous_grace: Duration::from_secs(4),
        requeue_delay: Duration::from_millis(200),
        delivery_retry: Duration::from_millis(50),
        credit_check: Duration::from_millis(100),
        poll: generation::PollSchedule {
            first: Duration::from_millis(100),
            first_until: Duration::from_secs(5),
            then: Duration::from_millis(300),
            then_until: Duration::from_secs(60),
            finally: Duration::from_secs(1),
            late: Duration::from_millis(200),
        },
        ..PipelineConfig::default()
    }
}

pub struct Rig {
    /// Kept alive for the test: dropping it drops the database.
    _db: TestDatabase,
    pub pool: Pool,
    pub sim: KieSim,
    pub kie: KieClient,
    pub recorder: Recorder,
    pub config: PipelineConfig,
    pub callback_base: Option<Url>,
    callback_server: Option<tokio::task::JoinHandle<()>>,
    pipelines: Vec<(
        CancellationToken,
        tokio::task::JoinHandle<Result<(), generation::PipelineError>>,
    )>,
}

impl Rig {
    /// A rig with this simulator configuration; `callbacks` serves the callback router.
    pub async fn new(sim: SimConfig, callbacks: bool, config: PipelineConfig) -> Rig {
        let db = TestDatabase::new().await;
        let pool = ledger::connect_pool(db.url(), 16).expect("pool");
        let sim = KieSim::start(SimConfig {
            time_scale: SCALE as f64,
            ..sim
        })
        .await
        .expect("simulator");
        let kie = KieClient::new(
            KieConfig::new(ApiKey::new(sim.config().api_key.clone()))
                .with_base(sim.base_url())
                .with_time_scale(SCALE),
        )
        .expect("client");
        let mut rig = Rig {
            _db: db,
            pool,
            sim,
            kie,
            recorder: Recorder::default(),
            config,
            callback_base: None,
            callback_server: None,
            pipelines: Vec::new(),
        };
        {
            let mut conn = rig.pool.get().await.unwrap();
            user(&mut conn, ADMIN.0).await;
        }
        if callbacks {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
            rig.config.callback_base = Some(base.clone());
            rig.callback_base = Some(base);
            // The handler only touches the database and wakes the loop, so one server can
            // serve every pipeline the test starts (as one HTTP server serves a restarted bot).
            let router = generation::callback_router(rig.pipeline());
            rig.callback_server = Some(tokio::spawn(async move {
                axum::serve(listener, router).await.unwrap();
            }));
        }
        rig
    }

    /// A new pipeline (a fresh "process") over the same database, simulator and recorder.
    pub fn pipeline(&self) -> Pipeline<Recorder> {
        Pipeline::new(
            self.pool.clone(),
            // A new client too: a restarted process has fresh limiters.
            KieClient::new(self.kie.config().clone()).unwrap(),
            catalog(),
            self.recorder.clone(),
            self.config.clone(),
        )
    }

    /// Starts a pipeline's worker loop in the background.
    pub fn start(&mut self, p: &Pipeline<Recorder>) -> CancellationToken {
        let token = CancellationToken::new();
        let p = p.clone();
        let t = token.clone();
        let handle = tokio::spawn(async move { p.run(t).await });
        self.pipelines.push((token.clone(), handle));
        token
    }

    pub async fn user(&self, id: i64, funds: &str) -> UserId {
        let mut conn = self.pool.get().await.unwrap();
        let u = user(&mut conn, id).await;
        if funds != "0" {
            let out = ledger::adjust(
                &mut conn,
                ADMIN,
                u,
                Adjustment::Credit(rub(funds)),
                "test funds",
                &format!("fund-{id}"),
            )
            .await
            .unwrap();
            assert!(matches!(out, MoveOutcome::Applied { .. }), "{out:?}");
        }
        u
    }

    pub async fn balance(&self, u: UserId) -> ledger::Balance {
        let mut conn = self.pool.get().await.unwrap();
        ledger::balance(&mut conn, u).await.unwrap()
    }

    pub async fn job(&self, id: JobId) -> Job {
        let mut conn = self.pool.get().await.unwrap();
        ledger::job(&mut conn, id).await.unwrap().unwrap()
    }

    /// Waits until the job satisfies `pred` (reading the database every 10 ms), or panics
    /// after [`PATIENCE`].
    pub async fn wait_job(&self, id: JobId, what: &str, pred: impl Fn(&Job) -> bool) -> Job {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let j = self.job(id).await;
            if pred(&j) {
                return j;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for job {} to be {what}: {j:#?}",
                id.0
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the user has heard the job's outcome and the pipeline has recorded it.
    pub async fn wait_outcome(&self, id: JobId) -> Job {
        self.recorder.wait_outcome(id).await;
        self.wait_job(id, "reported", |j| {
            j.delivered_at.is_some() || j.failure_notified_at.is_some()
        })
        .await
    }

    pub async fn assert_sound(&self) {
        let mut conn = self.pool.get().await.unwrap();
        let v = ledger::check_invariants(&mut conn).await.unwrap();
        assert!(v.is_empty(), "ledger invariants broken: {v:#?}");
    }

    pub async fn events(&self) -> Vec<ledger::PipelineEvent> {
        let mut conn = self.pool.get().await.unwrap();
        ledger::recent_events(&mut conn, 100).await.unwrap()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        for (t, h) in &self.pipelines {
            t.cancel();
            h.abort();
        }
        if let Some(h) = &self.callback_server {
            h.abort();
        }
    }
}

pub async fn user(conn: &mut ledger::AsyncPgConnection, id: i64) -> UserId {
    let profile = TelegramProfile {
        id: UserId(id),
        username: None,
        first_name: format!("User {id}"),
        last_name: None,
    };
    ledger::upsert_user(conn, &profile, Language::En)
        .await
        .unwrap()
        .id
}

/// An order for google/nano-banana (one image) with this prompt.
pub fn image_order(user: UserId, key: &str, prompt: &str) -> Order {
    order(
        user,
        key,
        "google/nano-banana",
        json!({ "prompt": prompt }),
        Vec::new(),
    )
}

pub fn order(user: UserId, key: &str, model: &str, params: Value, files: Vec<InputFile>) -> Order {
    let cat = catalog();
    let model = cat.get(model).expect("model");
    let params: Map<String, Value> = params.as_object().cloned().unwrap();
    let input = model
        .validate(&params)
        .unwrap_or_else(|e| panic!("invalid test input: {e:?}"));
    Order {
        user,
        idempotency_key: key.to_string(),
        input,
        files,
        free: None,
        expected_price: None,
        chat_id: Some(user.0),
        progress_message_id: None,
    }
}

/// Submits and expects the job to be queued.
pub async fn submit(p: &Pipeline<Recorder>, order: Order) -> Job {
    match p.submit(order, &settings()).await.expect("submit") {
        Submission::Queued { job, .. } => *job,
        other => panic!("expected Queued, got {other:?}"),
    }
}

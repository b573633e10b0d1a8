//! `cargo xtask bench pipeline`: N concurrent generations through the real pipeline, the real
//! Kie client and the Kie simulator with Kie's real limits (20 creates / 10 s, 10 status
//! queries / s) and realistic task durations, on a clock scaled `--scale` times faster for
//! both the simulator and the client (the report says so).
//!
//! The anchor, measured in the same run, is the least time Kie's create limit allows for N
//! tasks (`ceil(N / 20) - 1` full windows, plus one task's duration); the headline ratio is that
//! over the measured time. Also reported: the share of the create limit used while creating,
//! 429s met, Kie calls per job, and the process's peak memory. Must never assert timings: it
//! prints figures and fails only if a job does not finish or a user sees an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, anyhow, bail};
use generation::{
    Alert, Deliver, DeliveryError, Failure, Order, Pipeline, PipelineConfig, Progress, ResultFile,
    Submission,
};
use kie_client::{ApiKey, KieClient, KieConfig};
use kie_sim::{KieSim, SimConfig, Timing};
use ledger::{Adjustment, Job, Language, TelegramProfile, UserId};
use serde_json::json;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::postgres::Postgres;
use crate::project;

#[derive(Default)]
struct Counter {
    delivered: AtomicUsize,
    failed: AtomicUsize,
    done: Notify,
}

#[derive(Clone, Default)]
struct Sink(Arc<Counter>);

impl Deliver for Sink {
    async fn deliver(&self, _: &Job, _: Vec<ResultFile>, _: bool) -> Result<(), DeliveryError> {
        self.0.delivered.fetch_add(1, Ordering::SeqCst);
        self.0.done.notify_one();
        Ok(())
    }
    async fn failed(&self, job: &Job, f: &Failure) -> Result<(), DeliveryError> {
        eprintln!("job {} failed: {f:?}", job.id.0);
        self.0.failed.fetch_add(1, Ordering::SeqCst);
        self.0.done.notify_one();
        Ok(())
    }
    async fn progress(&self, _: &Job, _: Progress) {}
    async fn alert(&self, a: Alert) {
        eprintln!("alert: {a:?}");
    }
}

pub fn run(jobs: usize, scale: u32) -> Result<()> {
    let pg = Postgres::find(false)?;
    let db = format!("kiebot_bench_pipeline_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let url = test_db::with_database(&pg.url, &db);
    let result =
        rt.block_on(pg.with_scratch_databases(&[&db], async || measure(&url, jobs, scale).await));
    drop(pg);
    result
}

async fn measure(url: &str, jobs: usize, scale: u32) -> Result<()> {
    ledger::migrate(url).await?;
    let pool = ledger::connect_pool(url, 20)?;
    let catalog = Arc::new(project::load_catalog()?);
    let settings = project::load_settings()?.pricing;

    // Kie's documented limits; an image task of about 15 s (1 + 2 + 12 s, ±30 %).
    let timing = Timing {
        waiting: Duration::from_secs(1),
        queuing: Duration::from_secs(2),
        generating: Duration::from_secs(12),
        jitter: 0.3,
    };
    let task_time = (timing.waiting + timing.queuing + timing.generating) / scale;
    let sim = KieSim::start(SimConfig {
        time_scale: scale as f64,
        timing,
        credits: 1e9,
        seed: 7,
        ..SimConfig::default()
    })
    .await?;
    let (create_max, create_window) = sim.config().create_limit;
    let window = create_window / scale;
    let kie = KieClient::new(
        KieConfig::new(ApiKey::new(sim.config().api_key.clone()))
            .with_base(sim.base_url())
            .with_time_scale(scale),
    )?;
    let sink = Sink::default();
    let config = PipelineConfig {
        tick: Duration::from_millis(500),
        ..PipelineConfig::default()
    }
    .scaled(scale);
    let pipeline = Pipeline::new(pool.clone(), kie, catalog.clone(), sink.clone(), config);

    // Users and money first (not measured).
    let admin = UserId(1);
    {
        let mut conn = pool.get().await.context("pool")?;
        for id in 1..=jobs as i64 + 1 {
            let profile = TelegramProfile {
                id: UserId(id),
                username: None,
                first_name: format!("bench {id}"),
                last_name: None,
            };
            ledger::upsert_user(&mut conn, &profile, Language::En).await?;
        }
        for id in 2..=jobs as i64 + 1 {
            ledger::adjust(
                &mut conn,
                admin,
                UserId(id),
                Adjustment::Credit(pricing::Money::from_kopecks(100_000)),
                "bench funds",
                &format!("bench-{id}"),
            )
            .await?;
        }
    }
    let model = catalog
        .get("google/nano-banana")
        .context("the bench model is missing")?;
    let input = model
        .validate(
            json!({"prompt": "a lighthouse at dawn"})
                .as_object()
                .unwrap(),
        )
        .map_err(|e| anyhow!("bench input: {e:?}"))?;

    let shutdown = CancellationToken::new();
    let runner = {
        let p = pipeline.clone();
        let t = shutdown.clone();
        tokio::spawn(async move { p.run(t).await })
    };
    let started = Instant::now();
    let started_wall = SystemTime::now();
    // Every user confirms at once.
    let mut submits = tokio::task::JoinSet::new();
    for i in 0..jobs {
        let p = pipeline.clone();
        let order = Order {
            user: UserId(i as i64 + 2),
            idempotency_key: format!("bench-{i}"),
            input: input.clone(),
            files: Vec::new(),
            free: None,
            expected_price: None,
            chat_id: None,
            progress_message_id: None,
        };
        let s = settings.clone();
        submits.spawn(async move { p.submit(order, &s).await });
    }
    while let Some(r) = submits.join_next().await {
        match r?? {
            Submission::Queued { .. } => {}
            other => bail!("a bench job was not queued: {other:?}"),
        }
    }
    let submitted_in = started.elapsed();
    let patience = task_time * 4 + window * (jobs as u32 / create_max + 4) * 3;
    let all_done = async {
        loop {
            let notified = sink.0.done.notified();
            if sink.0.delivered.load(Ordering::SeqCst) + sink.0.failed.load(Ordering::SeqCst)
                >= jobs
            {
                break;
            }
            notified.await;
        }
    };
    if tokio::time::timeout(patience, all_done).await.is_err() {
        bail!(
            "only {} of {jobs} jobs finished within {patience:?}",
            sink.0.delivered.load(Ordering::SeqCst)
        );
    }
    let elapsed = started.elapsed();
    shutdown.cancel();
    let _ = runner.await;

    let failed = sink.0.failed.load(Ordering::SeqCst);
    let stats = sim.stats();
    let [creates, status, other, limited, retries] = pipeline.kie().stats().snapshot();
    let tasks = sim.tasks();
    let mut created: Vec<Duration> = tasks
        .iter()
        .map(|t| {
            t.created_at
                .duration_since(started_wall)
                .unwrap_or_default()
        })
        .collect();
    created.sort();
    let span =
        created.last().copied().unwrap_or_default() - created.first().copied().unwrap_or_default();
    let full_windows = (jobs as u32).div_ceil(create_max).saturating_sub(1);
    let least_creating = window * full_windows;
    let share = least_creating.as_secs_f64() / span.as_secs_f64().max(1e-9);
    let anchor = least_creating + task_time;
    let peak = peak_rss_kib();

    println!(
        "bench pipeline: {jobs} concurrent generations, clock scaled {scale}x (simulator and client alike)"
    );
    println!(
        "  Kie limits (real clock / scaled): {create_max} creates per {create_window:?} / {window:?}; 10 status per 1 s / {:?}",
        Duration::from_secs(1) / scale
    );
    println!("  task duration ~{:?} scaled (15 s real, ±30 %)", task_time);
    println!("  submitted (quote + job + hold) in {submitted_in:.2?}");
    println!(
        "  finished: {} delivered, {failed} failed, in {elapsed:.2?}",
        jobs - failed
    );
    println!(
        "  anchor (least time the create limit allows): {anchor:.2?}; measured / anchor = {:.2}",
        elapsed.as_secs_f64() / anchor.as_secs_f64()
    );
    println!(
        "  create limit used while creating: {share:.3} ({} creates in {span:.2?}; the limit allows them in {least_creating:.2?})",
        tasks.len()
    );
    println!(
        "  429 answers: {limited} seen by the client ({} creates, {} status at the simulator); retries: {retries}",
        stats.creates_rejected_429, stats.status_rejected_429
    );
    println!(
        "  Kie calls per job: {:.2} (createTask {:.2}, recordInfo {:.2}, other {:.2})",
        (creates + status + other) as f64 / jobs as f64,
        creates as f64 / jobs as f64,
        status as f64 / jobs as f64,
        other as f64 / jobs as f64
    );
    println!(
        "  peak concurrently running Kie tasks: {}",
        stats.peak_running
    );
    match peak {
        Some(kib) => println!(
            "  peak memory (whole process: pipeline, simulator, runtime): {:.1} MiB",
            kib as f64 / 1024.0
        ),
        None => println!("  peak memory: unavailable (no /proc)"),
    }
    let mut conn = pool.get().await.context("pool")?;
    let violations = ledger::check_invariants(&mut conn).await?;
    println!(
        "  ledger invariants: {}",
        if violations.is_empty() {
            "hold".to_string()
        } else {
            format!("{} violation(s)", violations.len())
        }
    );
    if failed > 0 || !violations.is_empty() {
        bail!(
            "{failed} job(s) failed; {} invariant violation(s)",
            violations.len()
        );
    }
    Ok(())
}

/// Peak resident set size of this process (VmHWM), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

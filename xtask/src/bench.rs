//! `cargo xtask bench …`: performance figures as ratios against an anchor measured in the same
//! run. Benchmarks rebuild and re-run themselves in release mode, since debug timings mislead.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use crate::project;

#[derive(Subcommand)]
pub enum Which {
    /// Time to load and check the whole registry (parse, format-check, compile every input
    /// schema, prove every price rule), against merely reading and parsing the same JSON files.
    Registry {
        /// Repetitions; the median is reported.
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Hold+commit pairs per second (each pair on a fresh job, as the pipeline does) at 1, 8 and
    /// 32 clients each on its own user, against `pgbench -N` at the same client counts on the same
    /// server in the same run; then all clients on one hot user.
    Ledger {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Client counts.
        #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
        clients: Vec<usize>,
    },
    /// N concurrent generations through the pipeline, the real Kie client and the simulator
    /// with Kie's limits, on a clock scaled for both; against the least time the create limit
    /// allows.
    Pipeline {
        /// Concurrent generations.
        #[arg(long, default_value_t = 1000)]
        jobs: usize,
        /// Clock speed-up shared by the simulator and the client.
        #[arg(long, default_value_t = 10)]
        scale: u32,
    },
    /// The Telegram side: N users walking the menus of the real product (handler tree, database
    /// reads) in a closed loop against the fake Bot API, flood limits lifted: updates handled
    /// per second and p50/p99 latency, against a minimal teloxide echo bot on the same fake in
    /// the same run. Then the real `bot` binary (release): spawn → first answer, idle memory.
    Ui {
        /// Simulated user counts (each user in a closed loop); every workload runs at each.
        #[arg(long, value_delimiter = ',', default_value = "1,64")]
        users: Vec<usize>,
        /// Measured seconds per workload.
        #[arg(long, default_value_t = 8)]
        seconds: u64,
        /// Warm-up seconds per workload (not measured).
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        /// Skip building and measuring the real binary.
        #[arg(long)]
        no_binary: bool,
        /// Keep tg-fake's call recording on (its default), to see what it costs.
        #[arg(long)]
        record_calls: bool,
        /// Set synchronous_commit = off on the walk's scratch database, to see what waiting
        /// for the disk at each commit costs.
        #[arg(long)]
        async_commit: bool,
        /// Keep Telegram's limits (1/s per chat, burst 3; 30/s overall) instead of lifting
        /// them: the fairness run (p50/p99 time to the screen, taps unanswered within 10 s).
        #[arg(long)]
        shipped_limits: bool,
    },
}

pub fn run(which: Which) -> Result<()> {
    if cfg!(debug_assertions) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        eprintln!("bench: re-running in a release build");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["run", "--quiet", "--release", "--package", "xtask", "--"])
            .args(&args)
            .current_dir(project::root())
            .status()
            .context("running cargo")?;
        if !status.success() {
            bail!("release bench failed");
        }
        return Ok(());
    }
    match which {
        Which::Registry { runs } => registry(runs),
        Which::Ledger { seconds, clients } => crate::bench_ledger::run(seconds, &clients),
        Which::Pipeline { jobs, scale } => crate::bench_pipeline::run(jobs, scale),
        Which::Ui {
            users,
            seconds,
            warmup,
            no_binary,
            record_calls,
            async_commit,
            shipped_limits,
        } => crate::bench_ui::run(&crate::bench_ui::Options {
            async_commit,
            shipped_limits,
            users,
            seconds,
            warmup,
            binary: !no_binary,
            record_calls,
        }),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn registry(runs: usize) -> Result<()> {
    let dir = project::registry_dir();
    let anchor = || -> Result<usize> {
        let mut n = 0;
        for e in std::fs::read_dir(dir.join("models"))? {
            let text = std::fs::read_to_string(e?.path())?;
            let v: serde_json::Value = serde_json::from_str(&text)?;
            n += usize::from(v.is_object());
        }
        Ok(n)
    };
    let mut parse = Vec::new();
    let mut load = Vec::new();
    let mut models = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        std::hint::black_box(anchor()?);
        parse.push(t.elapsed());
        let t = Instant::now();
        let c = catalog::Catalog::load_dir(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
        load.push(t.elapsed());
        models = c.len();
    }
    let (p, l) = (median(parse), median(load));
    println!("registry load, {models} models, median of {runs} runs (release build):");
    println!("  anchor: read + parse JSON only   {:>9.2?}", p);
    println!(
        "  full load, check and compile     {:>9.2?}  ({:.1}× the anchor, {:.2?} per model)",
        l,
        l.as_secs_f64() / p.as_secs_f64(),
        l / u32::try_from(models.max(1))?
    );
    Ok(())
}

//! `cargo xtask bench ledger`: the ledger's hold+commit throughput against `pgbench -N` on the
//! same server in the same run.
//!
//! The headline is what the issue asks: hold+commit pairs per second (a call of `hold` and one
//! of `commit`: two statements, two transactions) on jobs created beforehand. A last table adds
//! the job's creation to each pair (the pipeline's whole money cycle: three transactions).
//! pgbench -N is one transaction of five statements (simple-update TPC-B). The ratio printed is
//! our pairs per second over pgbench's transactions per second, measured one after the other on
//! the same server in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use ledger::{
    Adjustment, HoldOutcome, HoldState, JobId, Language, NewJob, TelegramProfile, UserId,
};
use pricing::Money;

use crate::postgres::Postgres;

pub fn run(seconds: u64, clients: &[usize]) -> Result<()> {
    let pg = Postgres::find(false)?;
    let pgbench =
        which("pgbench").context("pgbench is needed on PATH (it ships with PostgreSQL)")?;
    let pid = std::process::id();
    let ours = format!("kiebot_bench_{pid}");
    let theirs = format!("kiebot_pgbench_{pid}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(pg.with_scratch_databases(&[&ours, &theirs], async || {
        measure(&pg, &pgbench, &ours, &theirs, seconds, clients).await
    }));
    drop(pg);
    result
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn pgbench_tps(pgbench: &std::path::Path, url: &str, clients: usize, seconds: u64) -> Result<f64> {
    let out = std::process::Command::new(pgbench)
        .args(["-N", "-n", "-M", "prepared"])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .args(["-T", &seconds.to_string(), url])
        .output()
        .context("running pgbench")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow!("no tps in pgbench's output:\n{text}"))
}

struct Ours {
    pairs_per_sec: f64,
    errors: u64,
}

/// Where a client's jobs come from: created beforehand in bulk, or created in the loop.
#[derive(Clone, Copy)]
enum Jobs {
    Ready,
    CreatedInLoop,
}

/// Creates `n` paid jobs of 1 ₽ for `user` in one statement.
async fn ready_jobs(
    conn: &mut AsyncPgConnection,
    user: UserId,
    run: &str,
    n: i64,
) -> Result<Vec<JobId>> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "INSERT INTO jobs (user_id, idempotency_key, model_id, input, price, kie_credits, \
           kie_cost_usd, breakdown, is_free) \
         SELECT $1, $2 || '-' || g, 'bench/model', '{\"prompt\": \"bench\"}', 1, 1, 0.005, '[]', false \
         FROM generate_series(1, $3) g RETURNING id",
    )
    .bind::<BigInt, _>(user.0)
    .bind::<Text, _>(run)
    .bind::<BigInt, _>(n)
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| JobId(i.id)).collect())
}

fn new_job(user: UserId, key: String) -> NewJob {
    NewJob {
        user,
        idempotency_key: key,
        model_id: "bench/model".into(),
        input: serde_json::json!({"prompt": "bench"}),
        price: Money::from_kopecks(100),
        kie_credits: 1.into(),
        kie_cost_usd: rust_decimal::Decimal::new(5, 3),
        breakdown: serde_json::json!([]),
        is_free: false,
        chat_id: None,
        progress_message_id: None,
    }
}

/// One create-or-take job, hold, commit.
async fn one_pair(
    conn: &mut AsyncPgConnection,
    user: UserId,
    ready: Option<JobId>,
    key: String,
) -> Result<(), ledger::LedgerError> {
    let price = Money::from_kopecks(100);
    let job = match ready {
        Some(j) => j,
        None => ledger::create_job(conn, &new_job(user, key)).await?.0.id,
    };
    let HoldOutcome::Held { hold, .. } =
        ledger::hold(conn, user, price, job, Duration::from_secs(3600)).await?
    else {
        return Err(ledger::LedgerError::Invalid("bench user ran dry".into()));
    };
    match ledger::commit(conn, hold).await? {
        HoldState::Committed => Ok(()),
        other => Err(ledger::LedgerError::Invalid(format!(
            "commit ended as {other}"
        ))),
    }
}

async fn hold_commit(
    pool: &ledger::Pool,
    users: &[UserId],
    seconds: u64,
    run: &str,
    jobs: Jobs,
) -> Result<Ours> {
    // Jobs made ahead: more than a fast server gets through; running out is an error below.
    let per_client = (60_000 / users.len() as i64).max(6_000);
    let mut prepared = Vec::new();
    if let Jobs::Ready = jobs {
        let mut c = pool.get().await?;
        for (i, &user) in users.iter().enumerate() {
            prepared.push(ready_jobs(&mut c, user, &format!("{run}-{i}"), per_client).await?);
        }
        c.batch_execute("VACUUM ANALYZE jobs").await?;
    }
    let mut prepared = prepared.into_iter();
    let stop = Arc::new(AtomicBool::new(false));
    let pairs = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let ran_out = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, &user) in users.iter().enumerate() {
        let (pool, stop) = (pool.clone(), stop.clone());
        let (pairs, errors, ran_out) = (pairs.clone(), errors.clone(), ran_out.clone());
        let run = run.to_string();
        let mut ready = prepared.next().unwrap_or_default().into_iter();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.get().await.expect("bench connection");
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let ready_job = match jobs {
                    Jobs::CreatedInLoop => None,
                    Jobs::Ready => match ready.next() {
                        Some(j) => Some(j),
                        None => {
                            ran_out.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    },
                };
                match one_pair(&mut conn, user, ready_job, format!("{run}-{i}-{n}")).await {
                    Ok(()) => pairs.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        eprintln!("bench: {e}");
                        errors.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if ran_out.load(Ordering::Relaxed) > 0 {
        bail!("{run}: clients ran out of prepared jobs before {seconds} s");
    }
    Ok(Ours {
        pairs_per_sec: pairs.load(Ordering::Relaxed) as f64 / elapsed,
        errors: errors.load(Ordering::Relaxed),
    })
}

async fn measure(
    pg: &Postgres,
    pgbench: &std::path::Path,
    ours: &str,
    theirs: &str,
    seconds: u64,
    clients: &[usize],
) -> Result<()> {
    let ours_url = test_db::with_database(&pg.url, ours);
    let theirs_url = test_db::with_database(&pg.url, theirs);
    ledger::migrate(&ours_url).await?;
    let init = std::process::Command::new(pgbench)
        .args(["-i", "-q", "-s", "1", &theirs_url])
        .output()?;
    if !init.status.success() {
        bail!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
    }
    let max_clients = clients.iter().copied().max().unwrap_or(1);
    let pool = ledger::connect_pool(&ours_url, max_clients + 1)?;
    let mut users = Vec::new();
    {
        let mut c = pool.get().await?;
        for id in 1..=max_clients as i64 {
            let profile = TelegramProfile {
                id: UserId(id),
                username: None,
                first_name: "bench".into(),
                last_name: None,
            };
            let u = ledger::upsert_user(&mut c, &profile, Language::En)
                .await?
                .id;
            let fund = Adjustment::Credit(Money::from_kopecks(1_000_000_000));
            ledger::adjust(
                &mut c,
                UserId(1),
                u,
                fund,
                "bench funds",
                &format!("bench-{id}"),
            )
            .await?;
            users.push(u);
        }
    }

    println!(
        "ledger bench on {} ({seconds} s per run, release build)",
        pg.origin
    );
    let tables = [
        (
            "hold+commit pairs, each client on its own user (jobs created beforehand):",
            Jobs::Ready,
            false,
        ),
        (
            "hold+commit pairs, all clients on one hot user (serialised by its account row lock):",
            Jobs::Ready,
            true,
        ),
        (
            "create job + hold + commit (3 transactions), each client on its own user:",
            Jobs::CreatedInLoop,
            false,
        ),
    ];
    for (t, (title, jobs, hot)) in tables.into_iter().enumerate() {
        println!("{title}");
        println!(
            "{:>8} {:>14} {:>16} {:>7} {:>7}",
            "clients", "pgbench tps", "ours pairs/s", "ratio", "errors"
        );
        for &c in clients {
            let tps = pgbench_tps(pgbench, &theirs_url, c, seconds)?;
            let who = if hot {
                vec![users[0]; c]
            } else {
                users[..c].to_vec()
            };
            let o = hold_commit(&pool, &who, seconds, &format!("t{t}c{c}"), jobs).await?;
            println!(
                "{c:>8} {tps:>14.0} {:>16.0} {:>7.2} {:>7}",
                o.pairs_per_sec,
                o.pairs_per_sec / tps,
                o.errors
            );
        }
    }
    let mut conn = pool.get().await?;
    let violations = ledger::check_invariants(&mut conn).await?;
    if !violations.is_empty() {
        bail!("the bench broke the ledger: {violations:?}");
    }
    println!("invariants after the bench: hold");
    Ok(())
}

//! Exactly-once under concurrency: many callers at once, and a transaction cut off mid-way.

use std::time::Duration;

use chrono::Utc;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use ledger::{FreeLimits, FreeOutcome, HoldOutcome, HoldState, JobState, StarsPayment};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_holds_against_a_balance_for_ten_hold_exactly_ten() {
    let (_db, pool) = setup(20).await;
    let mut c = pool.get().await.unwrap();
    let u = user(&mut c, 100).await;
    fund(&mut c, u, "100").await;
    let mut jobs = Vec::new();
    for i in 0..50 {
        jobs.push(paid_job(&mut c, u, &format!("job-{i}"), "10").await);
    }
    drop(c);

    let outcomes: Vec<HoldOutcome> = all_at_once(jobs.len(), |i| {
        let (pool, job) = (pool.clone(), jobs[i]);
        async move {
            let mut c = pool.get().await.unwrap();
            ledger::hold(&mut c, u, rub("10"), job, HOUR).await.unwrap()
        }
    })
    .await;
    let held: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o {
            HoldOutcome::Held { hold, .. } => Some(*hold),
            HoldOutcome::InsufficientFunds { .. } => None,
        })
        .collect();
    assert_eq!(held.len(), 10, "{outcomes:?}");
    let c = &mut pool.get().await.unwrap();
    let b = ledger::balance(c, u).await.unwrap();
    assert_eq!((b.available, b.held), (rub("0"), rub("100")));
    assert_sound(c).await;

    for h in held {
        assert_eq!(ledger::commit(c, h).await.unwrap(), HoldState::Committed);
    }
    let b = ledger::balance(c, u).await.unwrap();
    assert_eq!((b.available, b.held), (rub("0"), rub("0")));
    assert_sound(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_stars_charge_delivered_concurrently_is_credited_once() {
    let (_db, pool) = setup(20).await;
    let u = user(&mut pool.get().await.unwrap(), 100).await;
    let payment = StarsPayment {
        user: u,
        charge_id: "stxAbC123".into(),
        provider_charge_id: None,
        payload: "topup:100".into(),
        xtr: 100,
        rub: rub("120"),
    };
    let results = all_at_once(20, |_| {
        let (pool, payment) = (pool.clone(), payment.clone());
        async move {
            let mut c = pool.get().await.unwrap();
            ledger::top_up_stars(&mut c, &payment).await.unwrap()
        }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.credited_now).count(), 1);
    assert!(results.iter().all(|r| r.payment == results[0].payment));
    let c = &mut pool.get().await.unwrap();
    assert_eq!(ledger::balance(c, u).await.unwrap().available, rub("120"));
    assert_sound(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_free_runs_with_a_limit_of_five_give_exactly_five() {
    let (_db, pool) = setup(20).await;
    let u = user(&mut pool.get().await.unwrap(), 100).await;
    let now = Utc::now();
    let limits = FreeLimits {
        per_day: 5,
        per_hour: 5,
        daily_budget_usd: None,
    };
    let results = all_at_once(20, |_| {
        let pool = pool.clone();
        async move {
            let mut c = pool.get().await.unwrap();
            ledger::consume_free(&mut c, u, "free/model", now, limits)
                .await
                .unwrap()
        }
    })
    .await;
    let consumed = results
        .iter()
        .filter(|r| matches!(r, FreeOutcome::Consumed { .. }))
        .count();
    assert_eq!(consumed, 5, "{results:?}");
    let used = ledger::free_quota(&mut pool.get().await.unwrap(), u, "free/model", now)
        .await
        .unwrap();
    assert_eq!((used.used_today, used.used_this_hour), (5, 5));
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = BigInt)]
    pid: i64,
}

#[derive(QueryableByName)]
struct Waiting {
    #[diesel(sql_type = Bool)]
    waiting: bool,
}

/// Waits until backend `pid` is blocked on a lock: a condition, polled, not a fixed sleep.
async fn until_waiting_on_a_lock(observer: &mut AsyncPgConnection, pid: i64) {
    for _ in 0..2000 {
        let w: Waiting = diesel::sql_query(
            "SELECT coalesce(bool_or(wait_event_type = 'Lock'), false) AS waiting FROM pg_stat_activity WHERE pid = $1",
        )
        .bind::<BigInt, _>(pid)
        .get_result(observer)
        .await
        .unwrap();
        if w.waiting {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("backend {pid} never blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_money_call_cut_off_mid_way_leaves_nothing_behind() {
    let (db, pool) = setup(4).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    fund(c, u, "40").await;
    let (job, hold) = held_job(c, u, "k1", "25", HOUR).await;

    // A blocker takes, uncommitted, the entry key the commit will need, so the commit stalls
    // after it has already ended the hold and moved the money inside its transaction.
    let mut blocker = db.connect().await;
    blocker.batch_execute("BEGIN").await.unwrap();
    blocker
        .batch_execute(&format!(
            "INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, hold_id, job_id) \
             VALUES ({u}, 'commit', 25, 15, 0, 'commit:{hold}', {hold}, {job})",
            u = u.0,
            hold = hold.0,
            job = job.0
        ))
        .await
        .unwrap();

    let mut victim = db.connect().await;
    let pid = diesel::sql_query("SELECT pg_backend_pid()::BIGINT AS pid")
        .get_result::<Pid>(&mut victim)
        .await
        .unwrap()
        .pid;
    let call = tokio::spawn(async move { ledger::commit(&mut victim, hold).await });
    until_waiting_on_a_lock(c, pid).await;
    // The connection dies mid-call (as when a process or the network goes away).
    diesel::sql_query("SELECT pg_terminate_backend($1::INT)")
        .bind::<BigInt, _>(pid)
        .execute(c)
        .await
        .unwrap();
    assert!(
        call.await.unwrap().is_err(),
        "the cut-off call must not report success"
    );
    blocker.batch_execute("ROLLBACK").await.unwrap();

    // Nothing partial is visible: the hold is open, the money held, the job unfinished.
    let b = ledger::balance(c, u).await.unwrap();
    assert_eq!((b.available, b.held), (rub("15"), rub("25")));
    assert_eq!(
        ledger::job(c, job).await.unwrap().unwrap().state,
        JobState::Held
    );
    assert_sound(c).await;
    // And the job can still end properly.
    assert_eq!(ledger::commit(c, hold).await.unwrap(), HoldState::Committed);
    assert_sound(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_transaction_dropped_before_commit_leaves_nothing_behind() {
    let (db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let job = paid_job(c, u, "k1", "25").await;
    {
        // Several money calls in one client transaction, then the connection is dropped.
        let mut conn = db.connect().await;
        conn.batch_execute("BEGIN").await.unwrap();
        let payment = StarsPayment {
            user: u,
            charge_id: "ch-lost".into(),
            provider_charge_id: None,
            payload: "p".into(),
            xtr: 50,
            rub: rub("60"),
        };
        assert!(
            ledger::top_up_stars(&mut conn, &payment)
                .await
                .unwrap()
                .credited_now
        );
        assert!(matches!(
            ledger::hold(&mut conn, u, rub("25"), job, HOUR)
                .await
                .unwrap(),
            HoldOutcome::Held { .. }
        ));
        drop(conn);
    }
    let b = ledger::balance(c, u).await.unwrap();
    assert!(b.available.is_zero() && b.held.is_zero(), "{b:?}");
    assert_eq!(
        ledger::job(c, job).await.unwrap().unwrap().state,
        JobState::Created
    );
    assert!(
        ledger::entries_page(c, u, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_sound(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_caller_never_leaves_a_pooled_connection_in_a_transaction() {
    // The diesel-async trap: a future dropped inside a transaction. Money calls are single
    // statements, so even a caller cancelled mid-call leaves the pooled connection clean.
    let (_db, pool) = setup(1).await;
    let u = user(&mut pool.get().await.unwrap(), 100).await;
    fund(&mut pool.get().await.unwrap(), u, "10").await;
    let job = paid_job(&mut pool.get().await.unwrap(), u, "k1", "10").await;
    let p = pool.clone();
    let call = tokio::spawn(async move {
        let mut c = p.get().await.unwrap();
        ledger::hold(&mut c, u, rub("10"), job, HOUR).await
    });
    call.abort();
    let _ = call.await;
    let c = &mut pool.get().await.unwrap();
    // SAVEPOINT is refused outside a transaction block: refusal proves the connection is clean.
    let in_tx = c.batch_execute("SAVEPOINT probe").await.is_ok();
    assert!(
        !in_tx,
        "the pooled connection was left inside a transaction"
    );
    // Whatever the cancelled call managed, the ledger is whole and the hold is either there or not.
    let b = ledger::balance(c, u).await.unwrap();
    assert!(b.available + b.held == rub("10"));
    assert_sound(c).await;
}

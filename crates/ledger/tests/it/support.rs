//! Helpers shared by the ledger tests: a database and pool per test, users, funds, jobs.

use std::time::Duration;

use ledger::{
    Adjustment, AsyncPgConnection, HoldId, HoldOutcome, JobId, Language, MoveOutcome, NewJob, Pool,
    TelegramProfile, UserId,
};
use pricing::Money;
use rust_decimal::Decimal;
use test_db::TestDatabase;

pub const ADMIN: UserId = UserId(1);
pub const HOUR: Duration = Duration::from_secs(3600);

/// A fresh database and a pool of `size` connections to it.
pub async fn setup(size: usize) -> (TestDatabase, Pool) {
    let db = TestDatabase::new().await;
    let pool = ledger::connect_pool(db.url(), size).expect("pool");
    let mut conn = pool.get().await.expect("connection");
    user(&mut conn, ADMIN.0).await;
    (db, pool)
}

pub fn rub(s: &str) -> Money {
    Money::parse(s).expect("a ruble amount")
}

pub async fn user(conn: &mut AsyncPgConnection, id: i64) -> UserId {
    let profile = TelegramProfile {
        id: UserId(id),
        username: Some(format!("user{id}")),
        first_name: format!("User {id}"),
        last_name: None,
    };
    ledger::upsert_user(conn, &profile, Language::Ru)
        .await
        .expect("upsert")
        .id
}

/// Credits `amount` to `user` as an admin adjustment.
pub async fn fund(conn: &mut AsyncPgConnection, user: UserId, amount: &str) {
    let key = format!("fund-{}-{}", user.0, rand_key());
    let out = ledger::adjust(
        conn,
        ADMIN,
        user,
        Adjustment::Credit(rub(amount)),
        "test funds",
        &key,
    )
    .await
    .expect("fund");
    assert!(matches!(out, MoveOutcome::Applied { .. }), "{out:?}");
}

fn rand_key() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

pub fn new_job(user: UserId, key: &str, price: &str) -> NewJob {
    let price = rub(price);
    NewJob {
        user,
        idempotency_key: key.to_string(),
        model_id: if price.is_zero() {
            "free/model".into()
        } else {
            "paid/model".into()
        },
        input: serde_json::json!({"prompt": "a cat"}),
        price,
        kie_credits: Decimal::new(40, 0),
        kie_cost_usd: Decimal::new(20, 2),
        breakdown: serde_json::json!([{"label": "base"}]),
        is_free: price.is_zero(),
        chat_id: Some(user.0),
        progress_message_id: None,
    }
}

/// Creates a paid job of `price` rubles and returns its id.
pub async fn paid_job(conn: &mut AsyncPgConnection, user: UserId, key: &str, price: &str) -> JobId {
    ledger::create_job(conn, &new_job(user, key, price))
        .await
        .expect("job")
        .0
        .id
}

/// Creates a paid job of `price` rubles and holds it for `ttl`; panics unless the hold opens.
pub async fn held_job(
    conn: &mut AsyncPgConnection,
    user: UserId,
    key: &str,
    price: &str,
    ttl: Duration,
) -> (JobId, HoldId) {
    let job = paid_job(conn, user, key, price).await;
    match ledger::hold(conn, user, rub(price), job, ttl)
        .await
        .expect("hold")
    {
        HoldOutcome::Held { hold, .. } => (job, hold),
        other => panic!("job {key} not held: {other:?}"),
    }
}

/// Asserts the ledger is sound, naming every violation.
pub async fn assert_sound(conn: &mut AsyncPgConnection) {
    let v = ledger::check_invariants(conn)
        .await
        .expect("invariants query");
    assert!(
        v.is_empty(),
        "invariants violated:\n{}",
        v.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Runs `n` calls of `f` as concurrent tasks and returns their results in order.
pub async fn all_at_once<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks = (0..n).map(|i| tokio::spawn(f(i)));
    futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task panicked"))
        .collect()
}

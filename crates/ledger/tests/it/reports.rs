//! The admin reports (`ledger::reports`) against one fixture: six users, five Stars payments and
//! eighteen jobs of three models over 1–4 March 2026, in every state the pipeline leaves them
//! in. Money moves only through the ledger's functions; afterwards the timestamps are set to
//! fixed values, so every figure below is worked out by hand (the comments show how).
//!
//! The fixture (prices: `m/image` 10 RUB / 0.05 USD at Kie, `m/video` 50 / 0.40, `m/free`
//! free / 0.01; "dur" is submitted → finished in seconds; a job is created at the time given,
//! held 1 s, submitted 10 s and finished 10 s + dur later):
//!
//! | job | user | created | how it ended |
//! |---|---|---|---|
//! | J1 | A | 03-01 10:05 | delivered, dur 20 |
//! | J2 | A | 03-01 12:00 | delivered, dur 40 |
//! | J3 | B | 03-01 13:00 | delivered after one failed delivery, dur 60 |
//! | V1 | A | 03-01 14:00 | delivered, dur 300 |
//! | J4 | A | 03-02 10:00 | failed `500` at Kie (task id set), dur 30 |
//! | F1 | C | 03-02 10:30 | free, delivered, dur 5 |
//! | F2 | C | 03-02 10:40 | free, failed `500` at Kie, dur 5 |
//! | J5 | B | 03-02 12:00 | succeeded, delivery failed twice then given up (403), dur 100 |
//! | J6 | A | 03-02 13:00 | cancelled while queued |
//! | J7 | A | 03-03 09:00 | failed `upload_413` |
//! | J8 | A | 03-03 10:00 | hold expired |
//! | J9 | A | 03-03 11:00 | only created (never held) |
//! | V2 | A | 03-03 12:00 | failed `422` at createTask (no task id) |
//! | V3 | A | 03-03 13:00 | failed `422` at createTask |
//! | V4 | B | 03-03 14:00 | failed `deadline` (task id set), dur 600 |
//! | V5 | A | 03-03 15:00 | ambiguous createTask, released, then a late success delivered |
//! | J10 | B | 03-04 11:00 | held, queued |
//! | V6 | A | 03-04 11:30 | ambiguous createTask, still waiting |
//!
//! Payments: P1 A 100 XTR / 150 RUB 03-01 10:00; P2 B 50 / 75 03-01 11:00; P3 A 200 / 300
//! 03-02 09:00; P4 C 40 / 60 03-02 11:00, refunded 03-03 09:00; P5 D 30 / 45 02-15 12:00.
//! "Now" is 03-04 12:00.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use ledger::reports::{
    self, AmbiguousAndLate, DayFigures, DeliveryFailure, FailureGroup, FailureStage, Health,
    HealthRule, ModelFailures, ModelHealth, ModelStats, Summary, UserCounts, UserOrder,
};
use ledger::{
    FreeHoldOutcome, FreeLimits, JobId, JobOutcome, JobStep, Language, NewJob, Pool, RefundOutcome,
    StarsPayment, TelegramProfile, UserId,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use test_db::TestDatabase;

use crate::support::*;

const A: UserId = UserId(10);
const B: UserId = UserId(20);
const C: UserId = UserId(30);
const D: UserId = UserId(40);
const E: UserId = UserId(50);
const IMAGE: &str = "m/image";
const VIDEO: &str = "m/video";
const FREE: &str = "m/free";
const LONG: Duration = Duration::from_secs(30 * 24 * 3600);

/// A UTC time from "YYYY-MM-DD HH:MM[:SS]".
fn at(s: &str) -> DateTime<Utc> {
    let fmt = if s.len() > 16 {
        "%Y-%m-%d %H:%M:%S"
    } else {
        "%Y-%m-%d %H:%M"
    };
    NaiveDateTime::parse_from_str(s, fmt)
        .expect("a fixture time")
        .and_utc()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a fixture day")
}

/// When a job created at `created` with duration `dur` ended (see [`stamp`]).
fn ended(created: &str, dur: i64) -> DateTime<Utc> {
    at(created) + chrono::Duration::seconds(10 + dur)
}

fn now() -> DateTime<Utc> {
    at("2026-03-04 12:00")
}

struct Fixture {
    _db: TestDatabase,
    pool: Pool,
    jobs: HashMap<&'static str, JobId>,
}

impl Fixture {
    fn job(&self, name: &str) -> JobId {
        self.jobs[name]
    }
}

async fn exec(c: &mut AsyncPgConnection, sql: &str) {
    c.batch_execute(sql).await.expect(sql);
}

async fn person(
    c: &mut AsyncPgConnection,
    id: UserId,
    username: Option<&str>,
    first: &str,
    last: Option<&str>,
) {
    let profile = TelegramProfile {
        id,
        username: username.map(str::to_string),
        first_name: first.into(),
        last_name: last.map(str::to_string),
    };
    ledger::upsert_user(c, &profile, Language::Ru)
        .await
        .expect("upsert");
}

async fn seen(c: &mut AsyncPgConnection, id: UserId, created: &str, last_seen: &str) {
    diesel::sql_query("UPDATE users SET created_at = $2, last_seen_at = $3 WHERE id = $1")
        .bind::<BigInt, _>(id.0)
        .bind::<Timestamptz, _>(at(created))
        .bind::<Timestamptz, _>(at(last_seen))
        .execute(c)
        .await
        .expect("user times");
}

async fn pay(
    c: &mut AsyncPgConnection,
    user: UserId,
    charge: &str,
    xtr: i32,
    amount: &str,
    when: &str,
) {
    let payment = StarsPayment {
        user,
        charge_id: charge.into(),
        provider_charge_id: None,
        payload: format!("topup:{xtr}"),
        xtr,
        rub: rub(amount),
    };
    assert!(
        ledger::top_up_stars(c, &payment)
            .await
            .unwrap()
            .credited_now
    );
    diesel::sql_query("UPDATE payments SET created_at = $2 WHERE telegram_payment_charge_id = $1")
        .bind::<Text, _>(charge)
        .bind::<Timestamptz, _>(at(when))
        .execute(c)
        .await
        .expect("payment time");
}

fn spec(user: UserId, key: &str, model: &str) -> NewJob {
    let (price, usd) = match model {
        IMAGE => ("10", dec!(0.05)),
        VIDEO => ("50", dec!(0.40)),
        _ => ("0", dec!(0.01)),
    };
    let price = rub(price);
    NewJob {
        user,
        idempotency_key: key.into(),
        model_id: model.into(),
        input: serde_json::json!({"prompt": key}),
        price,
        kie_credits: Decimal::ONE,
        kie_cost_usd: usd,
        breakdown: serde_json::json!([]),
        is_free: price.is_zero(),
        chat_id: Some(user.0),
        progress_message_id: None,
    }
}

/// Creates a job and takes its money (`ttl`) or free run (at `free_at`).
async fn held(
    c: &mut AsyncPgConnection,
    user: UserId,
    key: &str,
    model: &str,
    free_at: &str,
) -> JobId {
    let new = spec(user, key, model);
    let job = ledger::create_job(c, &new).await.unwrap().0.id;
    if new.is_free {
        let limits = FreeLimits {
            per_day: 5,
            per_hour: 5,
            daily_budget_usd: None,
        };
        let out = ledger::hold_free(c, job, at(free_at), limits)
            .await
            .unwrap();
        assert_eq!(out, FreeHoldOutcome::Held { first_time: true });
    } else {
        let out = ledger::hold(c, user, new.price, job, LONG).await.unwrap();
        assert!(
            matches!(out, ledger::HoldOutcome::Held { .. }),
            "{key}: {out:?}"
        );
    }
    job
}

async fn step(c: &mut AsyncPgConnection, job: JobId, s: JobStep) {
    assert!(ledger::advance_job(c, job, s).await.unwrap(), "{job}");
}

/// held → submitting → submitted (with a task id).
async fn submitted(c: &mut AsyncPgConnection, job: JobId) {
    step(c, job, JobStep::Submitting).await;
    let task_id = format!("task-{job}");
    step(c, job, JobStep::Submitted { task_id }).await;
}

/// held → submitting with createTask marked as sent, no task id.
async fn create_sent(c: &mut AsyncPgConnection, job: JobId) {
    step(c, job, JobStep::Submitting).await;
    assert!(ledger::mark_create_sent(c, job).await.unwrap());
}

async fn end(c: &mut AsyncPgConnection, job: JobId, outcome: JobOutcome) {
    assert!(
        ledger::finish_job(c, job, outcome).await.unwrap().changed,
        "{job}"
    );
}

async fn fail(c: &mut AsyncPgConnection, job: JobId, code: &str, message: &str) {
    let outcome = JobOutcome::Failed {
        code: code.into(),
        message: message.into(),
    };
    end(c, job, outcome).await;
}

async fn delivered(c: &mut AsyncPgConnection, job: JobId) {
    submitted(c, job).await;
    end(c, job, JobOutcome::Succeeded).await;
    let result = serde_json::json!({"urls": ["https://example.com/r.png"]});
    step(c, job, JobStep::Delivered { result }).await;
}

async fn event(c: &mut AsyncPgConnection, job: JobId, kind: &str, detail: &str) {
    ledger::record_event(c, Some(job), kind, detail)
        .await
        .unwrap();
}

/// Sets a job's times: created at `created`, held 1 s later, createTask sent 9 s later,
/// submitted 10 s later, Kie finished and the job ended `10 + dur` s later, delivered 5 s after
/// that (each only if the job has it).
async fn stamp(c: &mut AsyncPgConnection, job: JobId, created: &str, dur: i32) {
    diesel::sql_query(
        "UPDATE jobs SET created_at = $2, \
           held_at = CASE WHEN held_at IS NOT NULL THEN $2 + interval '1 second' END, \
           create_sent_at = CASE WHEN create_sent_at IS NOT NULL THEN $2 + interval '9 seconds' END, \
           submitted_at = CASE WHEN submitted_at IS NOT NULL THEN $2 + interval '10 seconds' END, \
           kie_finished_at = CASE WHEN kie_finished_at IS NOT NULL THEN $2 + make_interval(secs => 10 + $3) END, \
           finished_at = CASE WHEN finished_at IS NOT NULL THEN $2 + make_interval(secs => 10 + $3) END, \
           delivered_at = CASE WHEN delivered_at IS NOT NULL THEN $2 + make_interval(secs => 15 + $3) END \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(job.0)
    .bind::<Timestamptz, _>(at(created))
    .bind::<Integer, _>(dur)
    .execute(c)
    .await
    .expect("job times");
}

/// The ledger's entries are append-only; for the fixture only, their times are set to the
/// moment of the movement they record (the job's end, the payment's time), which is what
/// production writes in the same transaction.
async fn date_entries(c: &mut AsyncPgConnection) {
    exec(
        c,
        "ALTER TABLE ledger_entries DISABLE TRIGGER entries_append_only; \
         UPDATE ledger_entries e SET created_at = j.held_at FROM jobs j \
          WHERE e.job_id = j.id AND e.kind = 'hold'; \
         UPDATE ledger_entries e SET created_at = j.finished_at FROM jobs j \
          WHERE e.job_id = j.id AND e.kind IN ('commit', 'release', 'expire'); \
         UPDATE ledger_entries e SET created_at = p.created_at FROM payments p \
          WHERE e.payment_id = p.id AND e.kind = 'topup_stars'; \
         UPDATE ledger_entries e SET created_at = p.refunded_at FROM payments p \
          WHERE e.payment_id = p.id AND e.kind = 'refund_stars'; \
         ALTER TABLE ledger_entries ENABLE TRIGGER entries_append_only;",
    )
    .await;
}

async fn users_and_payments(c: &mut AsyncPgConnection) {
    person(c, A, Some("Alice_W"), "Alice", Some("Wonder")).await;
    person(c, B, Some("bob"), "Bob", None).await;
    person(c, C, None, "Carol", Some("100%_off")).await;
    person(c, D, Some("dave"), "Dave", None).await;
    person(c, E, Some("eve"), "Eve", None).await;
    pay(c, A, "P1", 100, "150.00", "2026-03-01 10:00").await;
    pay(c, B, "P2", 50, "75.00", "2026-03-01 11:00").await;
    pay(c, A, "P3", 200, "300.00", "2026-03-02 09:00").await;
    pay(c, C, "P4", 40, "60.00", "2026-03-02 11:00").await;
    pay(c, D, "P5", 30, "45.00", "2026-02-15 12:00").await;
    let refund = ledger::refund_stars(c, "P4", ADMIN, "asked").await.unwrap();
    assert!(
        matches!(refund, RefundOutcome::Refunded { .. }),
        "{refund:?}"
    );
    exec(
        c,
        "UPDATE payments SET refunded_at = '2026-03-03 09:00+00' WHERE telegram_payment_charge_id = 'P4'",
    )
    .await;
    ledger::ban(c, ADMIN, D, "spam").await.unwrap();
}

async fn jobs_of_day_one(c: &mut AsyncPgConnection, jobs: &mut HashMap<&'static str, JobId>) {
    for (name, user, model, created, dur) in [
        ("J1", A, IMAGE, "2026-03-01 10:05", 20),
        ("J2", A, IMAGE, "2026-03-01 12:00", 40),
        ("V1", A, VIDEO, "2026-03-01 14:00", 300),
    ] {
        let job = held(c, user, name, model, "").await;
        delivered(c, job).await;
        stamp(c, job, created, dur).await;
        jobs.insert(name, job);
    }
    let j3 = held(c, B, "J3", IMAGE, "").await;
    submitted(c, j3).await;
    end(c, j3, JobOutcome::Succeeded).await;
    assert_eq!(ledger::delivery_failed(c, j3).await.unwrap(), 1);
    assert!(ledger::mark_delivered(c, j3).await.unwrap());
    stamp(c, j3, "2026-03-01 13:00", 60).await;
    jobs.insert("J3", j3);
}

async fn jobs_of_day_two(c: &mut AsyncPgConnection, jobs: &mut HashMap<&'static str, JobId>) {
    let j4 = held(c, A, "J4", IMAGE, "").await;
    submitted(c, j4).await;
    fail(c, j4, "500", "internal error").await;
    stamp(c, j4, "2026-03-02 10:00", 30).await;

    let f1 = held(c, C, "F1", FREE, "2026-03-02 10:30").await;
    delivered(c, f1).await;
    stamp(c, f1, "2026-03-02 10:30", 5).await;
    let f2 = held(c, C, "F2", FREE, "2026-03-02 10:40").await;
    submitted(c, f2).await;
    fail(c, f2, "500", "internal error").await;
    stamp(c, f2, "2026-03-02 10:40", 5).await;

    let j5 = held(c, B, "J5", IMAGE, "").await;
    submitted(c, j5).await;
    end(c, j5, JobOutcome::Succeeded).await;
    ledger::delivery_failed(c, j5).await.unwrap();
    assert_eq!(ledger::delivery_failed(c, j5).await.unwrap(), 2);
    event(
        c,
        j5,
        "delivery_failed",
        "Forbidden: bot was blocked by the user",
    )
    .await;
    ledger::mark_unreachable(c, B).await.unwrap();
    stamp(c, j5, "2026-03-02 12:00", 100).await;

    let j6 = held(c, A, "J6", IMAGE, "").await;
    assert!(ledger::cancel_queued(c, j6).await.unwrap());
    stamp(c, j6, "2026-03-02 13:00", 0).await;
    jobs.extend([("J4", j4), ("F1", f1), ("F2", f2), ("J5", j5), ("J6", j6)]);
}

async fn jobs_of_day_three(c: &mut AsyncPgConnection, jobs: &mut HashMap<&'static str, JobId>) {
    let j7 = held(c, A, "J7", IMAGE, "").await;
    step(c, j7, JobStep::Submitting).await;
    fail(c, j7, "upload_413", "file too large").await;
    stamp(c, j7, "2026-03-03 09:00", 0).await;

    let j9 = ledger::create_job(c, &spec(A, "J9", IMAGE))
        .await
        .unwrap()
        .0
        .id;
    stamp(c, j9, "2026-03-03 11:00", 0).await;

    for (name, created) in [("V2", "2026-03-03 12:00"), ("V3", "2026-03-03 13:00")] {
        let job = held(c, A, name, VIDEO, "").await;
        create_sent(c, job).await;
        event(
            c,
            job,
            "kie_rejected",
            "kie createTask: Rejected (code 422)",
        )
        .await;
        fail(c, job, "422", "prompt: field required").await;
        stamp(c, job, created, 0).await;
        jobs.insert(name, job);
    }

    let v4 = held(c, B, "V4", VIDEO, "").await;
    submitted(c, v4).await;
    fail(c, v4, "deadline", "Kie did not finish in time").await;
    stamp(c, v4, "2026-03-03 14:00", 600).await;

    // Ambiguous, released after the grace period; then a callback named its task, which had
    // succeeded: Kie was paid, the user was not charged and got the result anyway.
    let v5 = held(c, A, "V5", VIDEO, "").await;
    create_sent(c, v5).await;
    event(
        c,
        v5,
        "ambiguous_submit",
        "kie createTask: Ambiguous: timed out",
    )
    .await;
    fail(
        c,
        v5,
        "ambiguous_submit",
        "createTask may or may not have reached Kie; not charged",
    )
    .await;
    assert!(ledger::adopt_late_task(c, v5, "task-late").await.unwrap());
    ledger::record_check(c, v5, "success", false, true)
        .await
        .unwrap();
    let result = serde_json::json!({"urls": ["https://example.com/v.mp4"]});
    ledger::store_result(c, v5, &result, true).await.unwrap();
    event(
        c,
        v5,
        "late_success",
        "Kie finished after the hold was released",
    )
    .await;
    assert!(ledger::mark_delivered(c, v5).await.unwrap());
    stamp(c, v5, "2026-03-03 15:00", 0).await;
    jobs.extend([("J7", j7), ("J9", j9), ("V4", v4), ("V5", v5)]);
}

async fn jobs_of_day_four(c: &mut AsyncPgConnection, jobs: &mut HashMap<&'static str, JobId>) {
    let j10 = held(c, B, "J10", IMAGE, "").await;
    stamp(c, j10, "2026-03-04 11:00", 0).await;
    let v6 = held(c, A, "V6", VIDEO, "").await;
    create_sent(c, v6).await;
    event(
        c,
        v6,
        "ambiguous_submit",
        "kie createTask: Ambiguous: connection reset",
    )
    .await;
    stamp(c, v6, "2026-03-04 11:30", 0).await;

    // J8 (day three) is held for a minute only and expires; every other hold lasts 30 days.
    let new = spec(A, "J8", IMAGE);
    let j8 = ledger::create_job(c, &new).await.unwrap().0.id;
    let short = Duration::from_secs(60);
    let out = ledger::hold(c, A, new.price, j8, short).await.unwrap();
    assert!(matches!(out, ledger::HoldOutcome::Held { .. }));
    let later = Utc::now() + chrono::Duration::minutes(10);
    assert_eq!(ledger::expire_due(c, later).await.unwrap(), 1);
    stamp(c, j8, "2026-03-03 10:00", 0).await;
    jobs.extend([("J10", j10), ("V6", v6), ("J8", j8)]);
}

async fn fixture() -> Fixture {
    let (db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let mut jobs = HashMap::new();
    users_and_payments(c).await;
    jobs_of_day_one(c, &mut jobs).await;
    jobs_of_day_two(c, &mut jobs).await;
    jobs_of_day_three(c, &mut jobs).await;
    jobs_of_day_four(c, &mut jobs).await;
    for (id, created, last_seen) in [
        (ADMIN, "2026-01-01 00:00", "2026-01-15 00:00"),
        (A, "2026-03-01 08:00", "2026-03-04 10:00"),
        (B, "2026-03-01 09:00", "2026-03-02 12:00"),
        (C, "2026-03-02 10:00", "2026-03-02 10:00"),
        (D, "2026-02-10 00:00", "2026-02-20 00:00"),
        (E, "2026-03-03 08:00", "2026-03-03 08:00"),
    ] {
        seen(c, id, created, last_seen).await;
    }
    date_entries(c).await;
    assert_eq!(jobs.len(), 18);
    assert_sound(c).await;
    Fixture {
        _db: db,
        pool,
        jobs,
    }
}

fn ids(rows: &[reports::UserRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id.0).collect()
}

#[tokio::test]
async fn user_counts_and_the_user_list_in_each_order() {
    let f = fixture().await;
    let c = &mut f.pool.get().await.unwrap();
    // Seen after now − 1 day (03-03 12:00): A. After 02-25 12:00: A, B, C, E. After
    // 02-02 12:00: also D. Paying: A, B, D (C's only payment was refunded).
    let counts = reports::user_counts(c, now()).await.unwrap();
    let expected = UserCounts {
        total: 6,
        active_1d: 1,
        active_7d: 4,
        active_30d: 5,
        paying: 3,
    };
    assert_eq!(counts, expected);

    // Created: E 03-03, C 03-02, B 03-01 09:00, A 03-01 08:00, D 02-10, admin 01-01.
    let newest = reports::user_list(c, UserOrder::Newest, 10, 0)
        .await
        .unwrap();
    assert_eq!(ids(&newest), [50, 30, 20, 10, 40, 1]);
    let top_spend = reports::user_list(c, UserOrder::TopSpend, 10, 0)
        .await
        .unwrap();
    // Spent: A 10 + 10 + 50 = 70, B 10 + 10 = 20, the others nothing (ties by id).
    assert_eq!(ids(&top_spend), [10, 20, 1, 30, 40, 50]);
    let spent: Vec<Decimal> = top_spend.iter().map(|r| r.spent).collect();
    assert_eq!(
        spent,
        [dec!(70), dec!(20), dec!(0), dec!(0), dec!(0), dec!(0)]
    );
    // Available: A 450 − 70 spent − 50 held (V6) = 330; B 75 − 20 − 10 held (J10) = 45; D 45.
    let top_balance = reports::user_list(c, UserOrder::TopBalance, 10, 0)
        .await
        .unwrap();
    assert_eq!(ids(&top_balance), [10, 20, 40, 1, 30, 50]);
    // Seen: A 03-04, E 03-03, B 03-02 12:00, C 03-02 10:00, D 02-20, admin 01-15.
    let recent = reports::user_list(c, UserOrder::RecentlyActive, 10, 0)
        .await
        .unwrap();
    assert_eq!(ids(&recent), [10, 50, 20, 30, 40, 1]);
    let page = reports::user_list(c, UserOrder::TopSpend, 2, 1)
        .await
        .unwrap();
    assert_eq!(ids(&page), [20, 1]);

    let alice = reports::UserRow {
        id: A,
        username: Some("Alice_W".into()),
        first_name: "Alice".into(),
        language: Language::Ru,
        banned: false,
        available: dec!(330.00),
        held: dec!(50.00),
        spent: dec!(70.00),
        // P1 100 + P3 200, both still credited.
        paid_stars: 300,
        created_at: at("2026-03-01 08:00"),
        last_seen_at: at("2026-03-04 10:00"),
    };
    assert_eq!(top_balance[0], alice);
    // D is banned; C's refunded Stars are not "paid".
    let dave = &top_balance[2];
    assert_eq!(
        (dave.banned, dave.paid_stars, dave.available),
        (true, 30, dec!(45))
    );
    assert_eq!(top_balance[4].paid_stars, 0);
}

#[tokio::test]
async fn users_are_found_by_id_username_or_a_piece_of_a_name() {
    let f = fixture().await;
    let c = &mut f.pool.get().await.unwrap();
    let mut find = async |q: &str| ids(&reports::find_users(c, q, 20).await.unwrap());
    assert_eq!(find("20").await, [20]);
    assert_eq!(find(" 40 ").await, [40]);
    assert!(find("999").await.is_empty());
    assert_eq!(find("@BOB").await, [20]);
    assert_eq!(find("@alice_w").await, [10]);
    assert!(find("@bo").await.is_empty(), "a username matches whole");
    assert_eq!(find("ALI").await, [10]);
    assert_eq!(find("wond").await, [10], "last names are searched");
    // `%` and `_` are literal: only names containing them match.
    assert_eq!(find("%").await, [30]);
    assert_eq!(find("_").await, [10, 30]);
    assert_eq!(find("0%_O").await, [30]);
    assert!(find(r"\").await.is_empty());
    assert!(find("   ").await.is_empty());
}

#[tokio::test]
async fn a_user_card_shows_money_payments_and_jobs() {
    let f = fixture().await;
    let c = &mut f.pool.get().await.unwrap();
    let card = reports::user_card(c, A).await.unwrap().expect("A's card");
    let p = &card.profile;
    assert_eq!(
        (p.id, p.username.as_deref(), p.last_name.as_deref()),
        (A, Some("Alice_W"), Some("Wonder"))
    );
    assert_eq!(
        (p.language, p.role, p.banned, p.reachable),
        (Language::Ru, ledger::Role::User, false, true)
    );
    // Paid: P1 100 XTR / 150 RUB + P3 200 / 300; nothing refunded.
    assert_eq!(
        (p.paid_xtr, p.rub_credited, p.refunded_xtr, p.refunded_rub),
        (300, dec!(450), 0, dec!(0))
    );
    // Spent J1 + J2 + V1 = 10 + 10 + 50; held V6's 50; available 450 − 70 − 50.
    assert_eq!(
        (p.spent, p.held, p.available),
        (dec!(70), dec!(50), dec!(330))
    );
    assert_eq!(p.free_runs_used, 0);
    use ledger::JobState as S;
    // Delivered J1 J2 V1; failed J4 J7 V2 V3 V5; cancelled J6; expired J8; created J9; V6.
    let by_state = [
        (S::Cancelled, 1),
        (S::Created, 1),
        (S::Delivered, 3),
        (S::Expired, 1),
        (S::Failed, 5),
        (S::Submitting, 1),
    ];
    assert_eq!(card.jobs_by_state, by_state);
    let newest: Vec<JobId> = card.last_jobs.iter().map(|j| j.id).collect();
    let expected: Vec<JobId> = ["V6", "V5", "V3", "V2", "J9", "J8", "J7", "J6", "J4", "V1"]
        .map(|n| f.job(n))
        .to_vec();
    assert_eq!(newest, expected, "the 10 newest of 12, J2 and J1 left out");
    let v3 = &card.last_jobs[2];
    assert_eq!(
        (
            v3.model_id.as_str(),
            v3.state,
            v3.price,
            v3.is_free,
            v3.failure_code.as_deref()
        ),
        (VIDEO, S::Failed, dec!(50), false, Some("422"))
    );
    assert_eq!(v3.created_at, at("2026-03-03 13:00"));
    let payments: Vec<(i32, Decimal, &str, &str)> = card
        .last_payments
        .iter()
        .map(|p| {
            (
                p.xtr_amount,
                p.rub_credited,
                p.state.as_str(),
                p.telegram_payment_charge_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        payments,
        [
            (200, dec!(300), "credited", "P3"),
            (100, dec!(150), "credited", "P1")
        ]
    );
    assert_eq!(card.last_payments[1].created_at, at("2026-03-01 10:00"));

    // C: P4 40 XTR / 60 RUB, refunded; F1 kept its free run, F2 gave it back.
    let carol = reports::user_card(c, C).await.unwrap().unwrap();
    let p = &carol.profile;
    assert_eq!(
        (p.paid_xtr, p.rub_credited, p.refunded_xtr, p.refunded_rub),
        (40, dec!(60), 40, dec!(60))
    );
    assert_eq!(
        (p.available, p.spent, p.free_runs_used),
        (dec!(0), dec!(0), 1)
    );
    assert_eq!(carol.jobs_by_state, [(S::Delivered, 1), (S::Failed, 1)]);
    assert_eq!(carol.last_payments[0].state, "refunded");
    #[derive(diesel::QueryableByName)]
    struct Used {
        #[diesel(sql_type = BigInt)]
        used: i64,
    }
    let used: Used = diesel::sql_query(
        "SELECT coalesce(sum(used), 0)::bigint AS used FROM free_usage WHERE user_id = 30 AND window_kind = 'day'",
    )
    .get_result(c)
    .await
    .unwrap();
    assert_eq!(
        used.used, p.free_runs_used,
        "the free_usage day windows agree"
    );

    let bob = reports::user_card(c, B).await.unwrap().unwrap();
    assert!(!bob.profile.reachable, "J5's delivery got a 403");
    let dave = reports::user_card(c, D).await.unwrap().unwrap();
    assert_eq!(
        (dave.profile.banned, dave.profile.ban_reason.as_deref()),
        (true, Some("spam"))
    );
    assert!(dave.last_jobs.is_empty() && dave.jobs_by_state.is_empty());
    assert!(reports::user_card(c, UserId(999)).await.unwrap().is_none());
}

#[tokio::test]
async fn model_stats_count_runs_outcomes_durations_and_money() {
    let f = fixture().await;
    let c = &mut f.pool.get().await.unwrap();
    let stats = reports::model_stats(c, at("2026-03-01 00:00"))
        .await
        .unwrap();
    let free = ModelStats {
        model_id: FREE.into(),
        unstarted: 0,
        runs: 2,
        successes: 1,
        failures: 1,
        cancelled: 0,
        expired: 0,
        in_flight: 0,
        free_runs: 2,
        failures_by_code: vec![("500".into(), 1)],
        p50_ms: Some(5_000),
        p90_ms: Some(5_000),
        revenue_rub: dec!(0),
        // F1 only: F2 failed, Kie did not charge.
        kie_cost_usd: dec!(0.01),
        released_rub: dec!(0),
    };
    let image = ModelStats {
        model_id: IMAGE.into(),
        // J9.
        unstarted: 1,
        // J1–J8 and J10.
        runs: 9,
        // J1 J2 J3 J5.
        successes: 4,
        // J4 J7.
        failures: 2,
        cancelled: 1,
        expired: 1,
        // J10.
        in_flight: 1,
        free_runs: 0,
        failures_by_code: vec![("500".into(), 1), ("upload_413".into(), 1)],
        // Successes took 20, 40, 60, 100 s: the median is (40 + 60) / 2 = 50 s; the 90th
        // percentile sits at 0.9 × 3 = 2.7 → 60 + 0.7 × (100 − 60) = 88 s.
        p50_ms: Some(50_000),
        p90_ms: Some(88_000),
        // 4 successes × 10.
        revenue_rub: dec!(40),
        // 4 × 0.05.
        kie_cost_usd: dec!(0.20),
        // J4 J6 J7 released, J8 expired: 4 × 10.
        released_rub: dec!(40),
    };
    let video = ModelStats {
        model_id: VIDEO.into(),
        unstarted: 0,
        runs: 6,
        successes: 1,
        // V2 V3 V4 V5.
        failures: 4,
        cancelled: 0,
        expired: 0,
        in_flight: 1,
        free_runs: 0,
        failures_by_code: vec![
            ("422".into(), 2),
            ("ambiguous_submit".into(), 1),
            ("deadline".into(), 1),
        ],
        p50_ms: Some(300_000),
        p90_ms: Some(300_000),
        revenue_rub: dec!(50),
        // V1, and V5's late success: Kie was paid for both. 2 × 0.40.
        kie_cost_usd: dec!(0.80),
        // V2–V5: 4 × 50.
        released_rub: dec!(200),
    };
    assert_eq!(stats, [free, image, video]);

    // Since 03-03: J7 J8 J9 J10 and V2–V6; the free model had nothing.
    let later = reports::model_stats(c, at("2026-03-03 00:00"))
        .await
        .unwrap();
    let summary: Vec<(&str, i64, i64, i64, Option<i64>)> = later
        .iter()
        .map(|m| {
            (
                m.model_id.as_str(),
                m.unstarted,
                m.runs,
                m.failures,
                m.p50_ms,
            )
        })
        .collect();
    assert_eq!(summary, [(IMAGE, 1, 3, 1, None), (VIDEO, 0, 5, 4, None)]);

    let since = at("2026-03-01 00:00");
    let video_codes = reports::failures_by_code(c, since, Some(VIDEO))
        .await
        .unwrap();
    assert_eq!(video_codes, stats[2].failures_by_code);
    let all: Vec<(String, i64)> = [
        ("422", 2),
        ("500", 2),
        ("ambiguous_submit", 1),
        ("deadline", 1),
        ("upload_413", 1),
    ]
    .map(|(code, n)| (code.to_string(), n))
    .to_vec();
    assert_eq!(
        reports::failures_by_code(c, since, None).await.unwrap(),
        all
    );
}

fn zero_day(d: &str) -> DayFigures {
    DayFigures {
        day: day(d),
        stars_in: 0,
        rub_credited: dec!(0),
        stars_refunded: 0,
        refunds_rub: dec!(0),
        revenue_rub: dec!(0),
        kie_cost_usd: dec!(0),
        kie_cost_rub: dec!(0),
        gross_margin_rub: dec!(0),
        new_users: 0,
        new_payers: 0,
        paying_users: 0,
        active_users: 0,
    }
}

#[tokio::test]
async fn daily_analytics_fill_every_day_and_add_up() {
    let f = fixture().await;
    let c = &mut f.pool.get().await.unwrap();
    let rate = dec!(92.75);
    let days = reports::daily_analytics(c, day("2026-02-28"), 5, rate)
        .await
        .unwrap();
    let first = DayFigures {
        // P1 100 + P2 50 XTR, 150 + 75 RUB; A and B are new and pay for the first time.
        stars_in: 150,
        rub_credited: dec!(225),
        // J1 J2 J3 10 each + V1 50.
        revenue_rub: dec!(80),
        // J1 J2 J3 0.05 each + V1 0.40 = 0.55 USD × 92.75 = 51.0125 → 51.01.
        kie_cost_usd: dec!(0.55),
        kie_cost_rub: dec!(51.01),
        // 80 − 51.01.
        gross_margin_rub: dec!(28.99),
        new_users: 2,
        new_payers: 2,
        paying_users: 2,
        active_users: 2,
        ..zero_day("2026-03-01")
    };
    let second = DayFigures {
        // P3 200 (A, not new) + P4 40 (C, new), 300 + 60 RUB.
        stars_in: 240,
        rub_credited: dec!(360),
        // J5.
        revenue_rub: dec!(10),
        // J5 0.05 + F1 0.01 = 0.06 USD × 92.75 = 5.565 → 5.56 (half to even; not 5.57).
        kie_cost_usd: dec!(0.06),
        kie_cost_rub: dec!(5.56),
        gross_margin_rub: dec!(4.44),
        new_users: 1,
        new_payers: 1,
        paying_users: 2,
        // A (J4 J6), B (J5), C (F1 F2).
        active_users: 3,
        ..zero_day("2026-03-02")
    };
    let third = DayFigures {
        // P4 refunded.
        stars_refunded: 40,
        refunds_rub: dec!(60),
        // V5's late success: 0.40 × 92.75 = 37.10, no revenue against it.
        kie_cost_usd: dec!(0.40),
        kie_cost_rub: dec!(37.10),
        gross_margin_rub: dec!(-37.10),
        // E.
        new_users: 1,
        // A (J7 J8 J9 V2 V3 V5), B (V4).
        active_users: 2,
        ..zero_day("2026-03-03")
    };
    // J10 (B) and V6 (A).
    let fourth = DayFigures {
        active_users: 2,
        ..zero_day("2026-03-04")
    };
    assert_eq!(days, [zero_day("2026-02-28"), first, second, third, fourth]);
    assert!(
        reports::daily_analytics(c, day("2026-03-01"), 0, rate)
            .await
            .unwrap()
            .is_empty()
    );

    // A, B and C created jobs in the period.
    let active = reports::distinct_active_users(c, day("2026-02-28"), 5)
        .await
        .unwrap();
    assert_eq!(active, 3);
    let expected = Summary {
        stars_in: 390,
        rub_credited: dec!(585),
        stars_refunded: 40,
        refunds_rub: dec!(60),
        revenue_rub: dec!(90),
        kie_cost_usd: dec!(1.01),
        // 51.01 + 5.56 + 37.10.
        kie_cost_rub: dec!(93.67),
        gross_margin_rub: dec!(-3.67),
        new_users: 4,
        new_payers: 3,
        // 3 / 4.
        payer_conversion: Some(dec!(0.75)),
        active_users: 3,
        // 90 / 3.
        arpu_rub: Some(dec!(30)),
    };
    assert_eq!(reports::summary(&days, active), expected);
    let empty = reports::summary(&days[..1], 0);
    assert_eq!((empty.payer_conversion, empty.arpu_rub), (None, None));
}

#[tokio::test]
async fn errors_are_grouped_by_cause_model_and_stage() {
    let f = fixture().await;
    let c = &mut f.pool.get().await.unwrap();
    let since = at("2026-03-01 00:00");
    let group =
        |code: &str, message: &str, model: Option<&str>, count, job: &str, end: DateTime<Utc>| {
            FailureGroup {
                code: code.into(),
                message: message.into(),
                model_id: model.map(str::to_string),
                count,
                newest_job: f.job(job),
                newest_at: end,
            }
        };
    // Two of a kind first (the newer first), then single failures, newest first.
    let expected = [
        group(
            "422",
            "prompt: field required",
            Some(VIDEO),
            2,
            "V3",
            ended("2026-03-03 13:00", 0),
        ),
        // J4 (m/image) and F2 (m/free): no single model.
        group(
            "500",
            "internal error",
            None,
            2,
            "F2",
            ended("2026-03-02 10:40", 5),
        ),
        group(
            "ambiguous_submit",
            "createTask may or may not have reached Kie; not charged",
            Some(VIDEO),
            1,
            "V5",
            ended("2026-03-03 15:00", 0),
        ),
        group(
            "deadline",
            "Kie did not finish in time",
            Some(VIDEO),
            1,
            "V4",
            ended("2026-03-03 14:00", 600),
        ),
        group(
            "hold_expired",
            "",
            Some(IMAGE),
            1,
            "J8",
            ended("2026-03-03 10:00", 0),
        ),
        group(
            "upload_413",
            "file too large",
            Some(IMAGE),
            1,
            "J7",
            ended("2026-03-03 09:00", 0),
        ),
    ];
    assert_eq!(
        reports::failure_groups(c, since, 10).await.unwrap(),
        expected
    );
    assert_eq!(
        reports::failure_groups(c, since, 3).await.unwrap(),
        expected[..3]
    );

    let by_model = reports::failures_by_model(c, since).await.unwrap();
    let model = |id: &str, failures, codes, newest| ModelFailures {
        model_id: id.into(),
        failures,
        codes,
        newest_at: newest,
    };
    assert_eq!(
        by_model,
        [
            model(VIDEO, 4, 3, expected[2].newest_at),
            // J4 `500`, J7 `upload_413`, J8 `hold_expired`.
            model(IMAGE, 3, 3, expected[4].newest_at),
            model(FREE, 1, 1, expected[1].newest_at),
        ]
    );

    // Queue: J8. Upload: J7. Create: V2 V3 (422 without a task), V5. Status: J4 F2 (500 with a
    // task), V4. Delivery: J5 (charged, never delivered).
    let stages = reports::failures_by_stage(c, since).await.unwrap();
    use FailureStage as St;
    assert_eq!(
        stages,
        [
            (St::Queue, 1),
            (St::Upload, 1),
            (St::Create, 3),
            (St::Status, 3),
            (St::Delivery, 1)
        ]
    );
    let late = reports::failures_by_stage(c, at("2026-03-04 00:00"))
        .await
        .unwrap();
    assert!(late.iter().all(|(_, n)| *n == 0), "{late:?}");

    let failure =
        |job: &str, created: &str, failed_attempts, delivered, last_error: Option<&str>| {
            DeliveryFailure {
                job_id: f.job(job),
                user_id: B,
                model_id: IMAGE.into(),
                failed_attempts,
                delivered,
                gave_up: last_error.is_some(),
                last_error: last_error.map(str::to_string),
                user_reachable: false,
                created_at: at(created),
            }
        };
    // V5 was delivered at the first attempt: not a delivery failure.
    let deliveries = reports::delivery_failures(c, since, 10).await.unwrap();
    assert_eq!(
        deliveries,
        [
            failure(
                "J5",
                "2026-03-02 12:00",
                2,
                false,
                Some("Forbidden: bot was blocked by the user")
            ),
            failure("J3", "2026-03-01 13:00", 1, true, None),
        ]
    );

    // V5 and V6 were ambiguous (V2 and V3 had createTask sent too, but Kie answered 422).
    let expected = AmbiguousAndLate {
        ambiguous: 2,
        ambiguous_waiting: 1,
        ambiguous_released: 1,
        ambiguous_adopted: 1,
        late_successes: 1,
        late_delivered: 1,
        late_kie_cost_usd: dec!(0.40),
    };
    assert_eq!(
        reports::ambiguous_and_late(c, since).await.unwrap(),
        expected
    );
    let today = AmbiguousAndLate {
        ambiguous: 1,
        ambiguous_waiting: 1,
        ambiguous_released: 0,
        ambiguous_adopted: 0,
        late_successes: 0,
        late_delivered: 0,
        late_kie_cost_usd: dec!(0),
    };
    assert_eq!(
        reports::ambiguous_and_late(c, at("2026-03-04 00:00"))
            .await
            .unwrap(),
        today
    );
}

#[tokio::test]
async fn model_health_tells_failing_from_broken() {
    let f = fixture().await;
    let c = &mut f.pool.get().await.unwrap();
    let err = |created: &str, dur: i64, code: &str, message: &str| {
        (ended(created, dur), code.to_string(), message.to_string())
    };
    let v5 = err(
        "2026-03-03 15:00",
        0,
        "ambiguous_submit",
        "createTask may or may not have reached Kie; not charged",
    );
    let v4 = err(
        "2026-03-03 14:00",
        600,
        "deadline",
        "Kie did not finish in time",
    );
    let v3 = err("2026-03-03 13:00", 0, "422", "prompt: field required");

    // The last 24 h (jobs created from 03-03 12:00): V2–V5 ended, all failed, two with 422.
    // m/image's J10 and m/video's V6 have not ended; nothing else is that recent.
    let health = reports::model_health(c, now(), &HealthRule::default())
        .await
        .unwrap();
    let video = ModelHealth {
        model_id: VIDEO.into(),
        runs: 4,
        failures: 4,
        share_percent: 100,
        schema_rejected: true,
        state: Health::Broken,
        last_errors: vec![v5.clone(), v4.clone(), v3.clone()],
    };
    assert_eq!(health, [video]);

    // Three days back (from 03-01 12:00), at least 2 failures and 40 %:
    // m/free: F1 ok, F2 failed: 1 failure, below 2 → Ok.
    // m/image: J2 J3 J4✗ J5 J7✗ (J1 too early; J6 cancelled and J8 expired left out):
    //   2 of 5 = 40 % → the rule matches; the newest three J7✗ J5 J4✗ did not all fail, no 422
    //   → Failing.
    // m/video: V1 ok, V2–V5 failed: 4 of 5 = 80 %, the newest three failed → Broken.
    let rule = HealthRule {
        window_runs: 10,
        min_failures: 2,
        min_failure_share_percent: 40,
        within: chrono::Duration::days(3),
    };
    let health = reports::model_health(c, now(), &rule).await.unwrap();
    let verdicts: Vec<(&str, i64, i64, i64, bool, Health)> = health
        .iter()
        .map(|h| {
            (
                h.model_id.as_str(),
                h.runs,
                h.failures,
                h.share_percent,
                h.schema_rejected,
                h.state,
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            (FREE, 2, 1, 50, false, Health::Ok),
            (IMAGE, 5, 2, 40, false, Health::Failing),
            (VIDEO, 5, 4, 80, true, Health::Broken),
        ]
    );
    let j7 = err("2026-03-03 09:00", 0, "upload_413", "file too large");
    let j4 = err("2026-03-02 10:00", 30, "500", "internal error");
    assert_eq!(health[1].last_errors, [j7, j4]);
    assert_eq!(health[2].last_errors, [v5, v4, v3]);

    // Only the last 3 runs: m/image J7✗ J5 J4✗ → 2 failures, below 3 → Ok; m/video V5✗ V4✗ V3✗.
    let last_three = HealthRule {
        window_runs: 3,
        within: chrono::Duration::days(3),
        ..HealthRule::default()
    };
    let health = reports::model_health(c, now(), &last_three).await.unwrap();
    let verdicts: Vec<(&str, i64, i64, Health)> = health
        .iter()
        .map(|h| (h.model_id.as_str(), h.runs, h.failures, h.state))
        .collect();
    assert_eq!(
        verdicts,
        [
            (FREE, 2, 1, Health::Ok),
            (IMAGE, 3, 2, Health::Ok),
            (VIDEO, 3, 3, Health::Broken)
        ]
    );
    // Before anything ran there is nothing to say.
    let early = reports::model_health(c, at("2026-02-01 00:00"), &HealthRule::default())
        .await
        .unwrap();
    assert!(early.is_empty());
}

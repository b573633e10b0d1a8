//! Random interleavings: thousands of money calls from many tasks at once on shared users —
//! top-ups, holds, commits, releases, expiries, adjustments, refunds, bonuses, and repeats of
//! earlier calls with the same keys. After every step the invariants hold, and at the end every
//! balance equals what the calls' own answers add up to.
//!
//! Seeded: set LEDGER_SEED to replay a failure (the seed is printed).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;
use ledger::{
    Adjustment, Finished, HoldId, HoldOutcome, HoldState, JobId, JobOutcome, MoveOutcome, Pool,
    RefundOutcome, StarsPayment, UserId,
};
use pricing::Money;

use crate::support::*;

const TASKS: u64 = 8;
const STEPS_PER_TASK: usize = 250;
const USERS: i64 = 5;

/// splitmix64: small, seedable, good enough to pick operations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the calls' answers say each user's total (available + held) must be.
type Expected = Arc<Mutex<HashMap<i64, Money>>>;

fn add(expected: &Expected, user: UserId, delta: Money, sign: i8) {
    let mut map = expected.lock().unwrap();
    let total = map.entry(user.0).or_insert(Money::ZERO);
    *total = if sign > 0 {
        *total + delta
    } else {
        *total - delta
    };
}

fn user_of(k: u64) -> UserId {
    UserId(1000 + (k % USERS as u64) as i64)
}

/// Charge k always belongs to the same user with the same amount: a repeat is a true repeat.
fn charge(k: u64) -> StarsPayment {
    StarsPayment {
        user: user_of(k),
        charge_id: format!("charge-{k}"),
        provider_charge_id: None,
        payload: format!("topup-{k}"),
        xtr: (k as i32 + 1) * 10,
        rub: Money::from_kopecks((k as i64 + 1) * 1250),
    }
}

/// Adjustment key k always means the same movement.
fn adjustment(k: u64) -> (UserId, Adjustment, String) {
    let amount = Money::from_kopecks(100 + (k as i64) * 37);
    let change = if k.is_multiple_of(3) {
        Adjustment::Debit(amount)
    } else {
        Adjustment::Credit(amount)
    };
    (user_of(k / 2), change, format!("adj-{k}"))
}

struct Held {
    user: UserId,
    job: JobId,
    hold: HoldId,
    amount: Money,
}

fn account_ended(f: &Finished, expected: &Expected, h: &Held) {
    if f.changed && f.hold_state == Some(HoldState::Committed) {
        add(expected, h.user, h.amount, -1);
    }
}

async fn run_task(pool: Pool, task: u64, seed: u64, expected: Expected) {
    let mut rng = Rng(seed ^ (task.wrapping_mul(0xA24B_AED4_963E_E407)));
    let mut open: Vec<Held> = Vec::new();
    let mut ended: Vec<Held> = Vec::new();
    let mut c = pool.get().await.unwrap();
    for step in 0..STEPS_PER_TASK {
        match rng.below(100) {
            0..=14 => {
                let p = charge(rng.below(40));
                if ledger::top_up_stars(&mut c, &p).await.unwrap().credited_now {
                    add(&expected, p.user, p.rub, 1);
                }
            }
            15..=39 => {
                let user = user_of(rng.below(USERS as u64));
                let amount = Money::from_kopecks(100 + rng.below(3000) as i64);
                let key = format!("t{task}-s{step}");
                let job = paid_job(&mut c, user, &key, &amount.to_string()).await;
                let ttl = if rng.below(5) == 0 {
                    Duration::from_secs(1 + rng.below(4))
                } else {
                    HOUR
                };
                if let HoldOutcome::Held {
                    hold, first_time, ..
                } = ledger::hold(&mut c, user, amount, job, ttl).await.unwrap()
                {
                    assert!(first_time);
                    // A retried hold of the same job moves nothing.
                    let again = ledger::hold(&mut c, user, amount, job, ttl).await.unwrap();
                    assert!(
                        matches!(again, HoldOutcome::Held { hold: h, first_time: false, .. } if h == hold)
                    );
                    open.push(Held {
                        user,
                        job,
                        hold,
                        amount,
                    });
                }
            }
            40..=54 if !open.is_empty() => {
                let h = open.swap_remove(rng.below(open.len() as u64) as usize);
                let f = ledger::finish_job(&mut c, h.job, JobOutcome::Succeeded)
                    .await
                    .unwrap();
                account_ended(&f, &expected, &h);
                ended.push(h);
            }
            55..=64 if !open.is_empty() => {
                let h = open.swap_remove(rng.below(open.len() as u64) as usize);
                let outcome = if rng.below(2) == 0 {
                    JobOutcome::Cancelled
                } else {
                    JobOutcome::Failed {
                        code: "500".into(),
                        message: "sim".into(),
                    }
                };
                let f = ledger::finish_job(&mut c, h.job, outcome).await.unwrap();
                account_ended(&f, &expected, &h);
                ended.push(h);
            }
            65..=69 => {
                let ahead = chrono::Duration::seconds(rng.below(6) as i64);
                ledger::expire_due(&mut c, Utc::now() + ahead)
                    .await
                    .unwrap();
            }
            70..=81 => {
                let (user, change, key) = adjustment(rng.below(30));
                let out = ledger::adjust(&mut c, ADMIN, user, change, "interleaving", &key)
                    .await
                    .unwrap();
                if let MoveOutcome::Applied { .. } = out {
                    match change {
                        Adjustment::Credit(m) => add(&expected, user, m, 1),
                        Adjustment::Debit(m) => add(&expected, user, m, -1),
                    }
                }
            }
            82..=87 if !ended.is_empty() => {
                // Repeat an ending: whatever is asked, an ended job moves no money.
                let h = &ended[rng.below(ended.len() as u64) as usize];
                let state = if rng.below(2) == 0 {
                    ledger::commit(&mut c, h.hold).await.unwrap()
                } else {
                    ledger::release(&mut c, h.hold, JobOutcome::Cancelled)
                        .await
                        .unwrap()
                };
                assert_ne!(state, HoldState::Open);
            }
            88..=93 => {
                let p = charge(rng.below(40));
                if let RefundOutcome::Refunded { rub, .. } =
                    ledger::refund_stars(&mut c, &p.charge_id, ADMIN, "interleaving")
                        .await
                        .unwrap()
                {
                    add(&expected, p.user, rub, -1);
                }
            }
            _ => {
                let k = rng.below(20);
                let user = user_of(k);
                let amount = Money::from_kopecks(50 + k as i64);
                if let MoveOutcome::Applied { .. } =
                    ledger::bonus(&mut c, user, amount, "promo", &format!("promo-{k}"))
                        .await
                        .unwrap()
                {
                    add(&expected, user, amount, 1);
                }
            }
        }
        let violations = ledger::check_invariants(&mut c).await.unwrap();
        assert!(
            violations.is_empty(),
            "seed {seed}, task {task}, step {step}: {violations:?}"
        );
    }
    // Wind down: end every job still open (some may have expired meanwhile).
    for h in open {
        let f = ledger::finish_job(&mut c, h.job, JobOutcome::Succeeded)
            .await
            .unwrap();
        account_ended(&f, &expected, &h);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_interleavings_keep_every_invariant() {
    let seed = std::env::var("LEDGER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap_or(7) as u64);
    println!("LEDGER_SEED={seed}");
    let (_db, pool) = setup(TASKS as usize + 2).await;
    {
        let c = &mut pool.get().await.unwrap();
        for u in 0..USERS {
            user(c, 1000 + u).await;
        }
    }
    let expected: Expected = Arc::default();
    let tasks = (0..TASKS).map(|t| tokio::spawn(run_task(pool.clone(), t, seed, expected.clone())));
    for r in join_all(tasks).await {
        r.unwrap();
    }
    let c = &mut pool.get().await.unwrap();
    assert_sound(c).await;
    let expected = expected.lock().unwrap().clone();
    for u in 0..USERS {
        let id = UserId(1000 + u);
        let b = ledger::balance(c, id).await.unwrap();
        assert_eq!(
            b.held,
            Money::ZERO,
            "seed {seed}: user {id} still has money held"
        );
        assert_eq!(
            b.available + b.held,
            expected.get(&id.0).copied().unwrap_or(Money::ZERO),
            "seed {seed}: user {id}'s balance differs from what the calls reported"
        );
    }
}

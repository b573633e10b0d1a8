//! The free runs' daily budget: taken with the user's free run in one statement, never more
//! than the budget however many runs race, given back exactly once by a run that fails.

use chrono::{TimeZone, Utc};
use ledger::{FreeHoldOutcome, FreeLimits, JobId, JobOutcome, JobState, UserId};
use pricing::FreeQuota;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::support::*;

/// A free job costing Kie `cost_usd` (the support jobs cost $0.20).
async fn free_job(
    c: &mut ledger::AsyncPgConnection,
    u: UserId,
    key: &str,
    cost_usd: Decimal,
) -> JobId {
    let mut new = new_job(u, key, "0");
    new.kie_cost_usd = cost_usd;
    ledger::create_job(c, &new).await.unwrap().0.id
}

fn budget(usd: Option<Decimal>) -> FreeLimits {
    FreeLimits {
        per_day: 100,
        per_hour: 100,
        daily_budget_usd: usd,
    }
}

fn failed() -> JobOutcome {
    JobOutcome::Failed {
        code: "501".into(),
        message: "generation failed".into(),
    }
}

#[tokio::test]
async fn a_run_is_held_only_while_the_day_budget_covers_it_and_a_failure_gives_it_back_once() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 23, 30, 0).unwrap();
    let day = now.date_naive();
    let limits = budget(Some(dec!(0.50)));

    let a = free_job(c, u, "a", dec!(0.20)).await;
    let b = free_job(c, u, "b", dec!(0.20)).await;
    let third = free_job(c, u, "c", dec!(0.20)).await;
    for j in [a, b] {
        assert_eq!(
            ledger::hold_free(c, j, now, limits).await.unwrap(),
            FreeHoldOutcome::Held { first_time: true }
        );
    }
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.40));
    // 0.40 + 0.20 > 0.50: refused, the job stays created and the user's quota is untouched.
    assert_eq!(
        ledger::hold_free(c, third, now, limits).await.unwrap(),
        FreeHoldOutcome::BudgetSpent
    );
    let j = ledger::job(c, third).await.unwrap().unwrap();
    assert_eq!(
        (j.state, j.free_consumed_at, j.free_budget_day),
        (JobState::Created, None, None)
    );
    assert_eq!(
        ledger::free_quota(c, u, "free/model", now).await.unwrap(),
        FreeQuota {
            used_today: 2,
            used_this_hour: 2
        }
    );
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.40));
    let held = ledger::job(c, a).await.unwrap().unwrap();
    assert_eq!(
        (held.free_budget_day, held.free_budget_usd),
        (Some(day), Some(dec!(0.20)))
    );
    // A repeated hold of a held job takes nothing more.
    assert_eq!(
        ledger::hold_free(c, a, now, limits).await.unwrap(),
        FreeHoldOutcome::Held { first_time: false }
    );
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.40));
    assert_sound(c).await;

    // A failure gives back its quota and its budget, to its own day, once.
    assert!(ledger::finish_job(c, a, failed()).await.unwrap().changed);
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.20));
    assert!(!ledger::finish_job(c, a, failed()).await.unwrap().changed);
    assert!(
        !ledger::finish_job(c, a, JobOutcome::Cancelled)
            .await
            .unwrap()
            .changed
    );
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.20));
    assert_eq!(
        ledger::free_quota(c, u, "free/model", now).await.unwrap(),
        FreeQuota {
            used_today: 1,
            used_this_hour: 1
        }
    );
    // Now the third fits; a success keeps its budget spent.
    assert_eq!(
        ledger::hold_free(c, third, now, limits).await.unwrap(),
        FreeHoldOutcome::Held { first_time: true }
    );
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.40));
    ledger::finish_job(c, third, JobOutcome::Succeeded)
        .await
        .unwrap();
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.40));
    assert_sound(c).await;

    // The next UTC day has a budget of its own; a run of yesterday failing gives back to yesterday.
    let tomorrow = Utc.with_ymd_and_hms(2026, 12, 3, 0, 10, 0).unwrap();
    let d = free_job(c, u, "d", dec!(0.50)).await;
    assert_eq!(
        ledger::hold_free(c, d, tomorrow, limits).await.unwrap(),
        FreeHoldOutcome::Held { first_time: true }
    );
    ledger::finish_job(c, b, JobOutcome::Expired).await.unwrap();
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(0.20));
    assert_eq!(
        ledger::free_budget_spent(c, tomorrow.date_naive())
            .await
            .unwrap(),
        dec!(0.50)
    );
    assert_sound(c).await;
}

#[tokio::test]
async fn without_a_budget_runs_are_counted_and_a_run_dearer_than_the_budget_never_fits() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let now = Utc::now();
    let day = now.date_naive();
    assert_eq!(
        ledger::free_budget_spent(c, day).await.unwrap(),
        Decimal::ZERO
    );
    let a = free_job(c, u, "a", dec!(3)).await;
    assert_eq!(
        ledger::hold_free(c, a, now, budget(None)).await.unwrap(),
        FreeHoldOutcome::Held { first_time: true }
    );
    assert_eq!(ledger::free_budget_spent(c, day).await.unwrap(), dec!(3));
    // A budget set during the day counts what the day spent already.
    let b = free_job(c, u, "b", dec!(1)).await;
    assert_eq!(
        ledger::hold_free(c, b, now, budget(Some(dec!(3.5))))
            .await
            .unwrap(),
        FreeHoldOutcome::BudgetSpent
    );
    // On a fresh day, a run dearer than the whole budget is refused too, and a zero budget
    // still lets a run that costs nothing through.
    let later = now + chrono::Duration::days(3);
    assert_eq!(
        ledger::hold_free(c, b, later, budget(Some(dec!(0.5))))
            .await
            .unwrap(),
        FreeHoldOutcome::BudgetSpent
    );
    assert_eq!(
        ledger::free_budget_spent(c, later.date_naive())
            .await
            .unwrap(),
        Decimal::ZERO
    );
    let zero = free_job(c, u, "zero", Decimal::ZERO).await;
    assert_eq!(
        ledger::hold_free(c, zero, later, budget(Some(Decimal::ZERO)))
            .await
            .unwrap(),
        FreeHoldOutcome::Held { first_time: true }
    );
    // A negative budget is a bug in the caller.
    assert!(
        ledger::hold_free(c, b, now, budget(Some(dec!(-1))))
            .await
            .is_err()
    );
    assert_sound(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_free_runs_with_a_budget_for_three_hold_exactly_three() {
    let (_db, pool) = setup(20).await;
    let now = Utc::now();
    let limits = FreeLimits {
        per_day: 5,
        per_hour: 5,
        daily_budget_usd: Some(dec!(0.70)),
    };
    let mut jobs = Vec::new();
    {
        let c = &mut pool.get().await.unwrap();
        for i in 0..20 {
            let u = user(c, 200 + i).await;
            jobs.push((u, free_job(c, u, &format!("race-{i}"), dec!(0.20)).await));
        }
    }
    let jobs = std::sync::Arc::new(jobs);
    let results = all_at_once(20, |i| {
        let pool = pool.clone();
        let jobs = jobs.clone();
        async move {
            let mut c = pool.get().await.unwrap();
            ledger::hold_free(&mut c, jobs[i].1, now, limits)
                .await
                .unwrap()
        }
    })
    .await;
    let held = results
        .iter()
        .filter(|r| matches!(r, FreeHoldOutcome::Held { first_time: true }))
        .count();
    let spent = results
        .iter()
        .filter(|r| matches!(r, FreeHoldOutcome::BudgetSpent))
        .count();
    assert_eq!((held, spent), (3, 17), "{results:?}");
    let c = &mut pool.get().await.unwrap();
    assert_eq!(
        ledger::free_budget_spent(c, now.date_naive())
            .await
            .unwrap(),
        dec!(0.60)
    );
    // The refused users kept their free runs.
    for (i, r) in results.iter().enumerate() {
        let used = ledger::free_quota(c, jobs[i].0, "free/model", now)
            .await
            .unwrap();
        let expected = u32::from(matches!(r, FreeHoldOutcome::Held { .. }));
        assert_eq!(used.used_today, expected, "user {i}: {r:?}");
    }
    assert_sound(c).await;
}

//! Holds and how they end, top-ups, refunds, adjustments: each call's effect and its repeat.

use chrono::Utc;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use ledger::{
    Adjustment, EntryKind, HoldOutcome, HoldState, JobOutcome, JobState, MoveOutcome,
    RefundOutcome, StarsPayment, UserId,
};

use crate::support::*;

fn stars(user: UserId, charge: &str, xtr: i32, amount: &str) -> StarsPayment {
    StarsPayment {
        user,
        charge_id: charge.into(),
        provider_charge_id: None,
        payload: format!("topup:{xtr}"),
        xtr,
        rub: rub(amount),
    }
}

#[tokio::test]
async fn a_paid_job_is_held_then_charged_once() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    ledger::top_up_stars(c, &stars(u, "ch-1", 100, "120.00"))
        .await
        .unwrap();
    let job = paid_job(c, u, "k1", "30.50").await;

    let HoldOutcome::Held {
        hold,
        first_time: true,
        balance,
    } = ledger::hold(c, u, rub("30.50"), job, HOUR).await.unwrap()
    else {
        panic!("not held")
    };
    assert_eq!(
        (balance.available, balance.held),
        (rub("89.50"), rub("30.50"))
    );
    assert_eq!(
        ledger::job(c, job).await.unwrap().unwrap().state,
        JobState::Held
    );

    // Holding the same job again returns the same hold and moves nothing.
    let again = ledger::hold(c, u, rub("30.50"), job, HOUR).await.unwrap();
    assert_eq!(
        again,
        HoldOutcome::Held {
            hold,
            first_time: false,
            balance
        }
    );

    assert_eq!(ledger::commit(c, hold).await.unwrap(), HoldState::Committed);
    let b = ledger::balance(c, u).await.unwrap();
    assert_eq!((b.available, b.held), (rub("89.50"), rub("0")));
    assert_eq!(
        ledger::job(c, job).await.unwrap().unwrap().state,
        JobState::Succeeded
    );

    // Ended once: commit and release again report the final state and change nothing.
    assert_eq!(ledger::commit(c, hold).await.unwrap(), HoldState::Committed);
    let late_failure = JobOutcome::Failed {
        code: "late".into(),
        message: "too late".into(),
    };
    assert_eq!(
        ledger::release(c, hold, late_failure).await.unwrap(),
        HoldState::Committed
    );
    assert_eq!(ledger::balance(c, u).await.unwrap(), b);

    let kinds: Vec<EntryKind> = ledger::entries_page(c, u, None, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EntryKind::Commit, EntryKind::Hold, EntryKind::TopUpStars]
    );
    assert_sound(c).await;
}

#[tokio::test]
async fn a_failed_job_releases_its_hold_and_records_why() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    fund(c, u, "50").await;
    let job = paid_job(c, u, "k1", "20").await;
    ledger::hold(c, u, rub("20"), job, HOUR).await.unwrap();
    let failed = JobOutcome::Failed {
        code: "500".into(),
        message: "Kie failed".into(),
    };
    let f = ledger::finish_job(c, job, failed.clone()).await.unwrap();
    assert!(f.changed);
    assert_eq!(
        (f.job_state, f.hold_state),
        (JobState::Failed, Some(HoldState::Released))
    );
    assert_eq!((f.balance.available, f.balance.held), (rub("50"), rub("0")));
    let j = ledger::job(c, job).await.unwrap().unwrap();
    assert_eq!(
        (j.failure_code.as_deref(), j.failure_message.as_deref()),
        (Some("500"), Some("Kie failed"))
    );
    // A success arriving after the release charges nothing.
    let late = ledger::finish_job(c, job, JobOutcome::Succeeded)
        .await
        .unwrap();
    assert!(!late.changed);
    assert_eq!(late.balance.available, rub("50"));
    assert_sound(c).await;
}

#[tokio::test]
async fn insufficient_funds_change_nothing_and_say_what_is_missing() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    fund(c, u, "12.30").await;
    let job = paid_job(c, u, "k1", "20").await;
    let out = ledger::hold(c, u, rub("20"), job, HOUR).await.unwrap();
    assert_eq!(
        out,
        HoldOutcome::InsufficientFunds {
            available: rub("12.30"),
            missing: rub("7.70")
        }
    );
    assert_eq!(
        ledger::job(c, job).await.unwrap().unwrap().state,
        JobState::Created
    );
    // After a top-up the same job can be held: the confirm screen comes back to it.
    fund(c, u, "10").await;
    assert!(matches!(
        ledger::hold(c, u, rub("20"), job, HOUR).await.unwrap(),
        HoldOutcome::Held { .. }
    ));
    assert_sound(c).await;
}

#[tokio::test]
async fn a_hold_for_the_wrong_amount_or_user_is_refused_whole() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let other = user(c, 200).await;
    fund(c, u, "50").await;
    fund(c, other, "50").await;
    let job = paid_job(c, u, "k1", "20").await;
    assert!(ledger::hold(c, u, rub("19.99"), job, HOUR).await.is_err());
    assert!(ledger::hold(c, other, rub("20"), job, HOUR).await.is_err());
    assert!(ledger::hold(c, u, rub("0"), job, HOUR).await.is_err());
    assert_eq!(ledger::balance(c, u).await.unwrap().held, rub("0"));
    assert_eq!(ledger::balance(c, other).await.unwrap().held, rub("0"));
    assert_sound(c).await;
}

#[tokio::test]
async fn holds_expire_when_due_and_not_before() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    fund(c, u, "100").await;
    let minute = std::time::Duration::from_secs(60);
    let (short, hold) = held_job(c, u, "short", "10", minute).await;
    held_job(c, u, "long", "15", HOUR).await;

    assert_eq!(ledger::expire_due(c, Utc::now()).await.unwrap(), 0);
    let in_two_minutes = Utc::now() + chrono::Duration::minutes(2);
    assert_eq!(ledger::expire_due(c, in_two_minutes).await.unwrap(), 1);
    assert_eq!(ledger::expire_due(c, in_two_minutes).await.unwrap(), 0);

    let b = ledger::balance(c, u).await.unwrap();
    assert_eq!((b.available, b.held), (rub("85"), rub("15")));
    assert_eq!(
        ledger::job(c, short).await.unwrap().unwrap().state,
        JobState::Expired
    );
    // Kie finishing after the expiry charges nothing: the commit reports the final state.
    assert_eq!(ledger::commit(c, hold).await.unwrap(), HoldState::Expired);
    assert_eq!(ledger::balance(c, u).await.unwrap(), b);
    assert_sound(c).await;
}

#[tokio::test]
async fn a_job_never_held_can_be_cancelled_but_not_succeed() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let job = paid_job(c, u, "k1", "20").await;
    assert!(
        ledger::finish_job(c, job, JobOutcome::Succeeded)
            .await
            .is_err()
    );
    let f = ledger::finish_job(c, job, JobOutcome::Cancelled)
        .await
        .unwrap();
    assert_eq!(
        (f.changed, f.job_state, f.hold_state),
        (true, JobState::Cancelled, None)
    );
    assert_sound(c).await;
}

#[tokio::test]
async fn a_stars_charge_is_credited_once() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let p = stars(u, "tg-charge-1", 50, "60.00");
    let first = ledger::top_up_stars(c, &p).await.unwrap();
    let second = ledger::top_up_stars(c, &p).await.unwrap();
    assert!(first.credited_now && !second.credited_now);
    assert_eq!(first.payment, second.payment);
    assert_eq!(ledger::balance(c, u).await.unwrap().available, rub("60"));
    // The same charge id can never be credited to someone else.
    let thief = user(c, 666).await;
    assert!(
        ledger::top_up_stars(c, &stars(thief, "tg-charge-1", 50, "60.00"))
            .await
            .is_err()
    );
    assert_eq!(ledger::balance(c, thief).await.unwrap().available, rub("0"));
    assert_sound(c).await;
}

#[tokio::test]
async fn a_refund_debits_only_money_still_available() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    ledger::top_up_stars(c, &stars(u, "ch-a", 50, "60.00"))
        .await
        .unwrap();
    let job = paid_job(c, u, "k1", "50").await;
    ledger::hold(c, u, rub("50"), job, HOUR).await.unwrap();

    // 50 of the 60 are held: the refund would take the balance below zero, so nothing happens.
    let refused = ledger::refund_stars(c, "ch-a", ADMIN, "user asked")
        .await
        .unwrap();
    assert_eq!(
        refused,
        RefundOutcome::NotEnoughAvailable {
            needed: rub("60"),
            available: rub("10")
        }
    );

    ledger::finish_job(c, job, JobOutcome::Cancelled)
        .await
        .unwrap();
    let done = ledger::refund_stars(c, "ch-a", ADMIN, "user asked")
        .await
        .unwrap();
    assert!(
        matches!(done, RefundOutcome::Refunded { rub: r, balance } if r == rub("60") && balance.available == rub("0"))
    );
    assert_eq!(
        ledger::refund_stars(c, "ch-a", ADMIN, "again")
            .await
            .unwrap(),
        RefundOutcome::AlreadyRefunded
    );
    assert_eq!(
        ledger::refund_stars(c, "no-such", ADMIN, "x")
            .await
            .unwrap(),
        RefundOutcome::NotFound
    );
    let audit = ledger::recent_audit(c, None, 10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "refund_stars" && a.actor_id == Some(ADMIN.0))
    );
    assert_sound(c).await;
}

async fn adjust(
    c: &mut AsyncPgConnection,
    u: UserId,
    change: Adjustment,
    key: &str,
) -> MoveOutcome {
    ledger::adjust(c, ADMIN, u, change, "goodwill", key)
        .await
        .unwrap()
}

#[tokio::test]
async fn adjustments_apply_once_per_key_and_never_go_below_zero() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    let credit = Adjustment::Credit(rub("25"));
    let MoveOutcome::Applied { entry, balance } = adjust(c, u, credit, "a-1").await else {
        panic!("not applied")
    };
    assert_eq!(balance.available, rub("25"));
    assert_eq!(
        adjust(c, u, credit, "a-1").await,
        MoveOutcome::AlreadyApplied { entry }
    );
    let other_amount = Adjustment::Credit(rub("99"));
    assert_eq!(
        adjust(c, u, other_amount, "a-1").await,
        MoveOutcome::KeyReused
    );
    let too_much = adjust(c, u, Adjustment::Debit(rub("25.01")), "d-1").await;
    assert_eq!(
        too_much,
        MoveOutcome::InsufficientFunds {
            available: rub("25")
        }
    );
    let debit = adjust(c, u, Adjustment::Debit(rub("5")), "d-2").await;
    assert!(
        matches!(debit, MoveOutcome::Applied { balance, .. } if balance.available == rub("20"))
    );
    let bonus = ledger::bonus(c, u, rub("3"), "welcome", "welcome-100")
        .await
        .unwrap();
    assert!(
        matches!(bonus, MoveOutcome::Applied { balance, .. } if balance.available == rub("23"))
    );
    let zero = ledger::adjust(c, ADMIN, u, Adjustment::Credit(rub("0")), "zero", "z").await;
    assert!(zero.is_err());

    let audit = ledger::recent_audit(c, None, 10).await.unwrap();
    let adjusts: Vec<_> = audit
        .iter()
        .filter(|a| a.action.starts_with("adjust_"))
        .collect();
    assert_eq!(
        adjusts.len(),
        2,
        "one record per applied adjustment: {audit:?}"
    );
    assert!(
        adjusts
            .iter()
            .all(|a| a.actor_id == Some(ADMIN.0) && a.target_user_id == Some(u.0))
    );
    assert_sound(c).await;
}

#[tokio::test]
async fn the_database_refuses_what_the_ledger_promises_never_happens() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 100).await;
    fund(c, u, "10").await;
    let (job, hold) = held_job(c, u, "k1", "10", HOUR).await;
    ledger::commit(c, hold).await.unwrap();
    for sql in [
        "UPDATE accounts SET available = -1".to_string(),
        "UPDATE ledger_entries SET amount = 1".to_string(),
        "DELETE FROM ledger_entries".to_string(),
        "TRUNCATE ledger_entries CASCADE".to_string(),
        "DELETE FROM audit_log".to_string(),
        format!(
            "UPDATE holds SET state = 'released', ended_at = now() WHERE id = {}",
            hold.0
        ),
        "DELETE FROM holds".to_string(),
        format!(
            "INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, hold_id, job_id) \
             VALUES ({}, 'release', 10, 10, 0, 'other-key', {}, {})",
            u.0, hold.0, job.0
        ),
        format!("UPDATE jobs SET price = 0 WHERE id = {}", job.0),
    ] {
        assert!(
            c.batch_execute(&sql).await.is_err(),
            "the database accepted: {sql}"
        );
    }
    let n: usize = diesel::sql_query("SELECT 1 FROM ledger_entries")
        .execute(c)
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_sound(c).await;
}

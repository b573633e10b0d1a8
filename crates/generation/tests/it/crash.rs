//! Crash safety: the pipeline is stopped dead at each step (before createTask, after createTask
//! before recording the task, while running, after Kie's success before the commit, after the
//! commit before delivery), a new pipeline starts over the same database, and every job ends
//! exactly once with the ledger sound and no duplicate paid task at Kie.

use generation::CrashPoint;
use kie_sim::SimConfig;
use ledger::JobState;

use crate::support::*;

async fn crash_and_recover(point: CrashPoint, callbacks: bool) {
    let mut rig = Rig::new(SimConfig::default(), callbacks, test_config()).await;
    let u = rig.user(50, "100").await;
    let first = rig.pipeline();
    first.crash_at(Some(point));
    let job = submit(&first, image_order(u, "k", "crash")).await;
    let token = rig.start(&first);
    // Wait until the first "process" has died at the crash point.
    let handle_done = async {
        loop {
            if first_crashed(&first).await {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(PATIENCE, handle_done)
        .await
        .unwrap_or_else(|_| panic!("never reached {point:?}"));
    token.cancel();

    // A new process over the same database.
    let second = rig.pipeline();
    rig.start(&second);
    rig.wait_outcome(job.id).await;

    let j = rig.job(job.id).await;
    let deliveries = rig.recorder.deliveries(job.id).len();
    let failures = rig.recorder.failures(job.id).len();
    assert_eq!(deliveries + failures, 1, "{point:?}: exactly one outcome");
    let tasks = rig.sim.stats().creates_accepted;
    assert_eq!(
        tasks, 1,
        "{point:?}: exactly one Kie task (no duplicate paid task)"
    );
    let b = rig.balance(u).await;
    assert!(b.held.is_zero(), "{point:?}: nothing left held");
    if deliveries == 1 {
        assert_eq!(j.state, JobState::Delivered);
        assert_eq!(b.available, rub("100").checked_sub(job.price).unwrap());
    } else {
        assert_eq!(b.available, rub("100"), "{point:?}: released in full");
    }
    rig.assert_sound().await;
}

async fn first_crashed(p: &generation::Pipeline<Recorder>) -> bool {
    // The crash hook makes every later checkpoint fail too; probing it is how we know.
    p.status(ledger::JobId(0)).await.ok();
    p.has_crashed()
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_before_create_task() {
    crash_and_recover(CrashPoint::BeforeCreate, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_after_create_task_before_recording_it_is_adopted_by_the_callback() {
    crash_and_recover(CrashPoint::AfterCreateBeforeRecord, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_after_create_task_before_recording_it_without_callbacks_is_released() {
    crash_and_recover(CrashPoint::AfterCreateBeforeRecord, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_while_running() {
    crash_and_recover(CrashPoint::WhileRunning, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_after_success_before_commit() {
    crash_and_recover(CrashPoint::AfterSuccessBeforeCommit, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_after_commit_before_delivery() {
    crash_and_recover(CrashPoint::AfterCommitBeforeDelivery, true).await;
}

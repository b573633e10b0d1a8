//! The main journey (`stack::main_journey`): /start → category → model → wizard with two
//! uploads, a prompt, a choice, a toggle and a number → confirm → not enough money → Stars
//! top-up → back to the same confirm → run → progress → the result as a photo, charged exactly
//! the price shown. Then, on the same conversation: exactly one job exists for the order (the
//! Run before the top-up and the Run after it share the job's key).

use journeys::Rig;

async fn main_journey(code: &str) {
    let rig = Rig::start().await;
    let user = 500_000_001;
    let transcript = stack::main_journey(&rig.stack, user, code).await;
    assert!(
        transcript.passed(),
        "the main journey failed ({code}):\n{}\n{}",
        transcript.markdown(),
        rig.tg().dump_chat(user)
    );
    // Run was pressed twice (short of money, then after the top-up): one job, one hold.
    let jobs = rig.jobs(user).await;
    assert_eq!(jobs.len(), 1, "one job for one confirmed order: {jobs:#?}");
    let holds = rig
        .entries(user)
        .await
        .into_iter()
        .filter(|e| e.kind == ledger::EntryKind::Hold)
        .count();
    assert_eq!(holds, 1, "one hold for one job");
    rig.finish().await;
}

both_languages!(main_journey);

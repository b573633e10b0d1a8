//! What a user gets for each way a generation can end: charged exactly the quoted price on
//! success; released and told on failure, rejection, deadline and Kie's 402; nothing wrong
//! reaches them through a storm of 429s.

use std::time::Duration;

use generation::{Alert, FailureKind, ResultKind, Submission};
use kie_sim::{Endpoint, Fault, Outcome, SimConfig};
use ledger::JobState;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn success_charges_exactly_the_quoted_price_and_delivers_a_real_image() {
    let mut rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let u = rig.user(10, "100").await;
    let p = rig.pipeline();
    let order = image_order(u, "k1", "a red fox");
    let quoted = catalog()
        .get("google/nano-banana")
        .unwrap()
        .quote(&order.input, &settings())
        .unwrap()
        .price;
    let job = submit(&p, order).await;
    assert_eq!(job.price, quoted);
    assert_eq!(rig.balance(u).await.held, quoted, "held while queued");
    rig.start(&p);
    rig.wait_outcome(job.id).await;

    let delivered = rig.recorder.deliveries(job.id);
    assert_eq!(delivered.len(), 1);
    let (files, goodwill) = &delivered[0];
    assert!(!goodwill);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].kind, ResultKind::Image);
    let bytes = files[0].bytes.as_ref().expect("downloaded");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a real PNG");

    let b = rig.balance(u).await;
    assert_eq!(b.available, rub("100").checked_sub(quoted).unwrap());
    assert!(b.held.is_zero());
    let job = rig.job(job.id).await;
    assert_eq!(job.state, JobState::Delivered);
    assert!(job.kie_task_id.is_some());
    // The user never heard of a failure, and saw progress.
    assert!(rig.recorder.failures(job.id).is_empty());
    assert!(
        rig.recorder
            .progress(job.id)
            .iter()
            .any(|p| matches!(p, generation::Progress::Generating { .. }))
    );
    rig.assert_sound().await;
}

async fn released_with(outcome: Outcome, expected: FailureKind, code: &str) {
    let mut rig = Rig::new(SimConfig::default(), false, test_config()).await;
    rig.sim.script(outcome);
    let u = rig.user(11, "50").await;
    let p = rig.pipeline();
    let job = submit(&p, image_order(u, "k", "a cat")).await;
    rig.start(&p);
    rig.wait_outcome(job.id).await;
    let failures = rig.recorder.failures(job.id);
    assert_eq!(failures.len(), 1, "told exactly once");
    assert_eq!(failures[0].kind, expected);
    assert_eq!(failures[0].code, code);
    assert!(rig.recorder.deliveries(job.id).is_empty());
    let b = rig.balance(u).await;
    assert_eq!(b.available, rub("50"), "every kopeck back");
    assert!(b.held.is_zero());
    assert_eq!(rig.job(job.id).await.state, JobState::Failed);
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_generation_501_is_released_and_explained() {
    released_with(
        Outcome::fail_with_code("501"),
        FailureKind::GenerationFailed,
        "501",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_content_policy_rejection_422_is_released_and_explained() {
    released_with(Outcome::fail_with_code("422"), FailureKind::Rejected, "422").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_deadline_the_money_is_released_and_a_late_success_is_a_gift() {
    let mut config = test_config();
    config.deadlines.image = Duration::from_millis(600);
    let mut rig = Rig::new(SimConfig::default(), false, config).await;
    // Kie takes 3 s (simulated 15 s at scale 5): well past our deadline, but it does finish.
    rig.sim
        .script(Outcome::Slow(Duration::from_secs(3 * SCALE as u64)));
    let u = rig.user(12, "50").await;
    let p = rig.pipeline();
    let job = submit(&p, image_order(u, "k", "slow")).await;
    rig.start(&p);
    rig.wait_outcome(job.id).await;
    let failures = rig.recorder.failures(job.id);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].kind, FailureKind::Deadline);
    assert_eq!(rig.balance(u).await.available, rub("50"));

    // Kie finishes later: recorded for the admin, delivered as goodwill, still not charged.
    rig.wait_job(job.id, "delivered as goodwill", |j| {
        j.delivered_at.is_some()
    })
    .await;
    let d = rig.recorder.deliveries(job.id);
    assert_eq!(d.len(), 1);
    assert!(d[0].1, "marked as goodwill");
    assert!(
        rig.recorder
            .alerts()
            .contains(&Alert::LateSuccess { job: job.id.0 })
    );
    assert!(rig.events().await.iter().any(|e| e.kind == "late_success"));
    let j = rig.job(job.id).await;
    assert_eq!(j.state, JobState::Failed);
    assert!(j.late_success && j.delivered_at.is_some());
    assert_eq!(rig.balance(u).await.available, rub("50"));
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kie_out_of_credit_releases_pauses_alerts_once_and_resumes() {
    let mut rig = Rig::new(SimConfig::default(), false, test_config()).await;
    rig.sim.set_credits(0.0);
    let p = rig.pipeline();
    // Two users' jobs hit the empty account.
    let mut jobs = Vec::new();
    for i in 0..2 {
        let u = rig.user(13 + i, "50").await;
        jobs.push((u, submit(&p, image_order(u, &format!("k{i}"), "one")).await));
    }
    rig.start(&p);
    for (u, job) in &jobs {
        rig.wait_outcome(job.id).await;
        let f = rig.recorder.failures(job.id);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, FailureKind::ServiceUnavailable);
        assert_eq!(rig.balance(*u).await.available, rub("50"), "released");
    }
    assert!(p.paused().await.unwrap());
    let paused_alerts = |rig: &Rig| {
        rig.recorder
            .alerts()
            .into_iter()
            .filter(|a| matches!(a, Alert::KiePaused { code: 402, .. }))
            .count()
    };
    assert_eq!(
        paused_alerts(&rig),
        1,
        "admins alerted once, not once per job"
    );
    // New runs are refused before any money is held.
    let u = jobs[0].0;
    let refused = p
        .submit(image_order(u, "k3", "three"), &settings())
        .await
        .unwrap();
    assert_eq!(refused, Submission::Paused);
    assert!(rig.balance(u).await.held.is_zero());

    // Credit comes back: the periodic check resumes runs.
    rig.sim.set_credits(1000.0);
    rig.recorder
        .wait_until("the resume alert", |seen| {
            seen.iter()
                .any(|s| matches!(s, Seen::Alert(Alert::KieResumed)))
        })
        .await;
    assert!(!p.paused().await.unwrap());
    let job = submit(&p, image_order(u, "k4", "four")).await;
    rig.wait_outcome(job.id).await;
    assert_eq!(rig.recorder.deliveries(job.id).len(), 1);
    assert_eq!(paused_alerts(&rig), 1);
    let events = rig.events().await;
    assert_eq!(events.iter().filter(|e| e.kind == "kie_paused").count(), 1);
    assert_eq!(events.iter().filter(|e| e.kind == "kie_resumed").count(), 1);
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storm_of_429s_never_reaches_the_user() {
    let mut rig = Rig::new(SimConfig::default(), false, test_config()).await;
    rig.sim.inject_on(Endpoint::Create, Fault::Http429, 6);
    rig.sim.inject_on(Endpoint::RecordInfo, Fault::Http429, 10);
    let p = rig.pipeline();
    let mut jobs = Vec::new();
    for i in 0..4 {
        let u = rig.user(20 + i, "50").await;
        jobs.push((
            u,
            submit(&p, image_order(u, &format!("k{i}"), "storm")).await,
        ));
    }
    rig.start(&p);
    for (u, job) in &jobs {
        rig.wait_outcome(job.id).await;
        assert!(
            rig.recorder.failures(job.id).is_empty(),
            "{:?}",
            rig.recorder.failures(job.id)
        );
        assert_eq!(rig.recorder.deliveries(job.id).len(), 1, "delivered");
        assert!(
            rig.recorder.failures(job.id).is_empty(),
            "no error reached the user"
        );
        assert_eq!(
            rig.balance(*u).await.available,
            rub("50").checked_sub(job.price).unwrap()
        );
    }
    let stats = rig.sim.stats();
    assert_eq!(stats.faults_injected, 16, "every injected 429 was answered");
    // No duplicate paid tasks: exactly one per job.
    assert_eq!(stats.creates_accepted, jobs.len() as u64);
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_double_submit_holds_once_and_a_queued_job_can_be_cancelled() {
    let rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let u = rig.user(14, "50").await;
    let p = rig.pipeline();
    let job = submit(&p, image_order(u, "same", "a")).await;
    match p
        .submit(image_order(u, "same", "a"), &settings())
        .await
        .unwrap()
    {
        Submission::AlreadySubmitted { job: j } => assert_eq!(j.id, job.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(rig.balance(u).await.held, job.price, "held once");
    // Not running any worker: the job is queued; another user cannot cancel it, its owner can.
    let other = rig.user(15, "0").await;
    assert!(!p.cancel(other, job.id).await.unwrap());
    assert!(p.cancel(u, job.id).await.unwrap());
    assert_eq!(rig.balance(u).await.available, rub("50"));
    assert_eq!(rig.job(job.id).await.state, JobState::Cancelled);
    assert!(!p.cancel(u, job.id).await.unwrap(), "once");
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn not_enough_money_holds_nothing_and_the_same_order_runs_after_a_top_up() {
    let mut rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let u = rig.user(16, "0").await;
    let p = rig.pipeline();
    match p
        .submit(image_order(u, "k", "a"), &settings())
        .await
        .unwrap()
    {
        Submission::InsufficientFunds { missing, .. } => assert!(!missing.is_zero()),
        other => panic!("{other:?}"),
    }
    {
        let mut conn = rig.pool.get().await.unwrap();
        ledger::adjust(
            &mut conn,
            ADMIN,
            u,
            ledger::Adjustment::Credit(rub("10")),
            "top up",
            "topup-16",
        )
        .await
        .unwrap();
    }
    let job = submit(&p, image_order(u, "k", "a")).await;
    rig.start(&p);
    rig.wait_outcome(job.id).await;
    assert_eq!(rig.recorder.deliveries(job.id).len(), 1);
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_go_to_kie_and_their_urls_into_the_input() {
    let mut rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let u = rig.user(17, "100").await;
    let p = rig.pipeline();
    let png = {
        // Any bytes will do for the simulator's upload host; a PNG header keeps it honest.
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&[0u8; 64]);
        v
    };
    let file = generation::InputFile {
        param: "image_urls".into(),
        position: 0,
        file_name: "cat.png".into(),
        mime: "image/png".into(),
        bytes: png.clone(),
    };
    let o = order(
        u,
        "edit",
        "google/nano-banana-edit",
        serde_json::json!({
            "prompt": "make it blue",
            "image_urls": [generation::pending_upload_url("image_urls", 0)],
        }),
        vec![file],
    );
    let job = submit(&p, o).await;
    rig.start(&p);
    rig.wait_outcome(job.id).await;
    assert_eq!(rig.recorder.deliveries(job.id).len(), 1);
    let job = rig.job(job.id).await;
    let task = rig.sim.task(job.kie_task_id.as_deref().unwrap()).unwrap();
    let urls = task.input["image_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1);
    let url = urls[0].as_str().unwrap();
    assert!(url.starts_with(rig.sim.base_url().as_str()), "{url}");
    let served = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), png.as_slice(), "Kie got the user's bytes");
    rig.assert_sound().await;
}

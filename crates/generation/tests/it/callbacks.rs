//! Callbacks: a repeated callback completes a job once; a forged one (wrong path token, bad
//! signature, or a "success" Kie does not confirm) changes nothing; a callback racing the
//! poller completes each job once.

use std::time::Duration;

use generation::PollSchedule;
use kie_sim::{Outcome, SimConfig};
use ledger::JobState;

use crate::support::*;

/// Polling so slow that only callbacks can finish a job within a test.
fn callbacks_only() -> generation::PipelineConfig {
    let mut c = test_config();
    c.poll = PollSchedule {
        first: Duration::from_secs(3600),
        first_until: Duration::from_secs(3600),
        then: Duration::from_secs(3600),
        then_until: Duration::from_secs(3600),
        finally: Duration::from_secs(3600),
        late: Duration::from_secs(3600),
    };
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn a_callback_delivered_three_times_completes_the_job_once() {
    let sim = SimConfig {
        callback_repeats: 3,
        hmac_key: Some("kie-hmac".into()),
        ..SimConfig::default()
    };
    let mut config = callbacks_only();
    config.kie_hmac_key = Some(b"kie-hmac".to_vec());
    let mut rig = Rig::new(sim, true, config).await;
    let u = rig.user(30, "50").await;
    let p = rig.pipeline();
    let job = submit(&p, image_order(u, "k", "thrice")).await;
    rig.start(&p);
    rig.wait_outcome(job.id).await;
    let task = rig.job(job.id).await.kie_task_id.unwrap();
    // Wait until the simulator has delivered all three callbacks.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while rig.sim.task(&task).unwrap().callback_acks < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "callbacks not delivered"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Give the loop every chance to (wrongly) act on the repeats: wake it and wait for it.
    p.wake();
    assert_eq!(rig.recorder.deliveries(job.id).len(), 1, "delivered once");
    let b = rig.balance(u).await;
    assert_eq!(
        b.available,
        rub("50").checked_sub(job.price).unwrap(),
        "charged once"
    );
    assert_eq!(rig.job(job.id).await.state, JobState::Delivered);
    // Only callbacks could have finished it (polling is an hour away).
    assert!(rig.job(job.id).await.checks <= 2);
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_callbacks_are_refused_and_change_nothing() {
    let mut config = callbacks_only();
    config.kie_hmac_key = Some(b"kie-hmac".to_vec());
    let sim = SimConfig {
        hmac_key: Some("kie-hmac".into()),
        ..SimConfig::default()
    };
    let mut rig = Rig::new(sim, true, config).await;
    rig.sim.script(Outcome::Never);
    let u = rig.user(31, "50").await;
    let p = rig.pipeline();
    let job = submit(&p, image_order(u, "k", "forge me")).await;
    rig.start(&p);
    // Wait until Kie has the task.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let task = loop {
        if let Some(t) = rig.job(job.id).await.kie_task_id {
            break t;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let base = rig.callback_base.clone().unwrap();
    let token = generation::callback_token(&rig.config.callback_secret, job.id);
    let body = serde_json::json!({"code":200,"msg":"ok","data":{
        "taskId": task, "state":"success",
        "resultJson":"{\"resultUrls\":[\"https://evil.example/x.png\"]}"}});
    let http = reqwest::Client::new();
    let ts = chrono::Utc::now().timestamp();

    // 1. Wrong path token.
    let r = http
        .post(
            base.join(&format!("kie/callback/{}/{}", job.id.0, "0".repeat(32)))
                .unwrap(),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // 2. Right token, wrong signature.
    let url = base
        .join(&format!("kie/callback/{}/{}", job.id.0, token))
        .unwrap();
    let r = http
        .post(url.clone())
        .header("X-Webhook-Timestamp", ts.to_string())
        .header(
            "X-Webhook-Signature",
            kie_client::sign(b"wrong-key", &task, ts),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // 3. Right token, valid signature, but Kie says the task is still generating: the body's
    //    "success" is not believed.
    let r = http
        .post(url)
        .header("X-Webhook-Timestamp", ts.to_string())
        .header(
            "X-Webhook-Signature",
            kie_client::sign(b"kie-hmac", &task, ts),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Wait for the worker to have acted on the poke (a status query was made).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while rig.job(job.id).await.checks == 0 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let j = rig.job(job.id).await;
    assert!(
        matches!(j.state, JobState::Submitted | JobState::Running),
        "{:?}",
        j.state
    );
    assert!(rig.recorder.deliveries(job.id).is_empty());
    assert_eq!(
        rig.balance(u).await.held,
        job.price,
        "nothing charged or released"
    );
    let refused = rig
        .events()
        .await
        .iter()
        .filter(|e| e.kind == "callback_refused")
        .count();
    assert_eq!(refused, 2);
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn callback_and_poll_racing_complete_each_job_once() {
    let sim = SimConfig {
        callback_repeats: 2,
        ..SimConfig::default()
    };
    let mut config = test_config();
    // Poll as often as Kie allows, so polls and callbacks overlap all the time.
    config.poll.first = Duration::from_millis(10);
    let mut rig = Rig::new(sim, true, config).await;
    // Two instances share the queue, each with its own loop.
    let a = rig.pipeline();
    let b = rig.pipeline();
    let mut jobs = Vec::new();
    for i in 0..12 {
        let u = rig.user(40 + i, "50").await;
        jobs.push((
            u,
            submit(&a, image_order(u, &format!("k{i}"), "race")).await,
        ));
    }
    rig.start(&a);
    rig.start(&b);
    for (u, job) in &jobs {
        rig.wait_outcome(job.id).await;
        assert_eq!(
            rig.recorder.deliveries(job.id).len(),
            1,
            "job {} delivered once",
            job.id.0
        );
        assert_eq!(
            rig.balance(*u).await.available,
            rub("50").checked_sub(job.price).unwrap()
        );
    }
    assert_eq!(rig.sim.stats().creates_accepted, jobs.len() as u64);
    rig.assert_sound().await;
}

//! A clean stop: SIGTERM ends the process within the deadline with exit code 0, hands back
//! what it could not finish (updates and jobs) so the next instance goes on at once, and a
//! second signal exits at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use generation::{
    Alert, Deliver, DeliveryError, Failure, Order, Pipeline, PipelineConfig, Progress, ResultFile,
    Submission,
};
use ledger::{Job, JobState, UserId};
use tg_fake::{FakeError, UserSpec};

use crate::support::{World, answers, wait_answers};

/// The test's own pipeline only submits (it never runs): the bot processes do the work.
#[derive(Clone)]
struct SubmitOnly;

impl Deliver for SubmitOnly {
    async fn deliver(&self, _: &Job, _: Vec<ResultFile>, _: bool) -> Result<(), DeliveryError> {
        unreachable!("the test's pipeline never runs")
    }
    async fn failed(&self, _: &Job, _: &Failure) -> Result<(), DeliveryError> {
        unreachable!("the test's pipeline never runs")
    }
    async fn progress(&self, _: &Job, _: Progress) {}
    async fn alert(&self, _: Alert) {}
}

fn registry() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../registry")
}

/// A paid job for `user` (credited first), queued straight into the database.
async fn queue_job(world: &World, user: i64, prompt: &str) -> (Job, pricing::Money) {
    let pool = world.db.pool(2);
    let mut conn = pool.get().await.unwrap();
    let profile = ledger::TelegramProfile {
        id: UserId(user),
        username: None,
        first_name: "Stop".into(),
        last_name: None,
    };
    ledger::upsert_user(&mut conn, &profile, ledger::Language::En)
        .await
        .unwrap();
    ledger::bonus(
        &mut conn,
        UserId(user),
        pricing::Money::parse("100").unwrap(),
        "test",
        "stop-bonus",
    )
    .await
    .unwrap();
    drop(conn);
    let catalog = Arc::new(catalog::Catalog::load_dir(&registry()).unwrap());
    let settings = pricing::Settings::load(&registry().join("settings.toml"))
        .unwrap()
        .pricing;
    let kie = kie_client::KieClient::new(
        kie_client::KieConfig::new(kie_client::ApiKey::new(crate::support::KIE_KEY))
            .with_base(world.sim.base_url()),
    )
    .unwrap();
    let model = catalog.get("google/nano-banana").unwrap();
    let input = model
        .validate(serde_json::json!({ "prompt": prompt }).as_object().unwrap())
        .unwrap();
    let pipeline = Pipeline::new(pool, kie, catalog, SubmitOnly, PipelineConfig::default());
    let order = Order {
        user: UserId(user),
        idempotency_key: "stop-test-job".into(),
        input,
        files: Vec::new(),
        free: None,
        expected_price: None,
        chat_id: Some(user),
        progress_message_id: None,
    };
    match pipeline.submit(order, &settings).await.unwrap() {
        Submission::Queued { job, .. } => {
            let price = job.price;
            (*job, price)
        }
        other => panic!("not queued: {other:?}"),
    }
}

async fn job_state(world: &World, job: &Job) -> Job {
    let mut conn = world.db.connect().await;
    ledger::job(&mut conn, job.id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_generation_exits_in_time_and_the_next_instance_finishes_the_job() {
    let world = World::new().await;
    let user = 740_001;
    let mut first = world.spawn("first", &[("STOP_DEADLINE_SECS", "5")]).await;
    // `[sim:slow]`: the task runs long enough to be in flight when the signal comes.
    let (job, price) = queue_job(&world, user, "[sim:slow] a lighthouse at dawn").await;
    let until = Instant::now() + Duration::from_secs(30);
    while job_state(&world, &job).await.kie_task_id.is_none() {
        assert!(
            Instant::now() < until,
            "the job was never sent to Kie:\n{}",
            first.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.signal("TERM");
    let (status, took) = first.wait_exit(Duration::from_secs(15)).await;
    assert!(
        status.success(),
        "exit 0 after a clean stop:\n{}",
        first.log()
    );
    assert!(
        took < Duration::from_secs(5 + 3),
        "within the deadline: {took:?}"
    );
    println!("SIGTERM mid-generation: exited in {took:.1?}");
    let mid = job_state(&world, &job).await;
    assert!(
        !mid.state.is_final(),
        "the job outlives the instance: {:?}",
        mid.state
    );
    let second = world.spawn("second", &[]).await;
    world
        .tg
        .wait_for(Duration::from_secs(90), |tg| {
            (!tg.bot_messages(user).is_empty()).then_some(())
        })
        .await
        .expect("the result is delivered by the next instance");
    let done = job_state(&world, &job).await;
    assert!(
        matches!(done.state, JobState::Delivered | JobState::Succeeded),
        "{:?}",
        done.state
    );
    let mut conn = world.db.connect().await;
    let balance = ledger::balance(&mut conn, UserId(user)).await.unwrap();
    assert_eq!(
        balance.available,
        pricing::Money::parse("100").unwrap() - price,
        "charged once"
    );
    assert!(balance.held.is_zero());
    assert!(
        ledger::check_invariants(&mut conn)
            .await
            .unwrap()
            .is_empty()
    );
    let metrics = second.get_text("/metrics").await;
    assert!(
        metrics.contains("kiebot_kie_calls_total{endpoint="),
        "Kie calls counted: {metrics}"
    );
    assert!(metrics.contains("kiebot_jobs{state="), "{metrics}");
}

/// An instance (stop deadline `deadline` seconds) whose handler for chat `chat` is stuck waiting
/// out a long 429 from Telegram.
async fn stuck_handler(world: &World, chat: i64, deadline: &str) -> crate::support::Instance {
    let first = world
        .spawn("first", &[("STOP_DEADLINE_SECS", deadline)])
        .await;
    world.tg.fail_next(
        "sendMessage",
        1,
        FakeError::TooManyRequests { retry_after: 60 },
    );
    world
        .tg
        .user(UserSpec::new(chat, "Stuck").language("en"))
        .send_text("/help")
        .await;
    world
        .tg
        .wait_for(Duration::from_secs(20), |tg| {
            tg.calls_of("sendMessage")
                .iter()
                .any(|c| c.status == 429)
                .then_some(())
        })
        .await
        .unwrap();
    first
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_deadline_unfinished_updates_are_handed_back_at_once() {
    let world = World::new().await;
    let chat = 741_001;
    let mut first = stuck_handler(&world, chat, "1").await;
    let stopped = Instant::now();
    first.signal("TERM");
    let (status, took) = first.wait_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{}", first.log());
    println!("SIGTERM with a handler stuck: exited in {took:.1?}");
    assert!(
        first.log().contains("unfinished updates handed back"),
        "{}",
        first.log()
    );
    let _second = world.spawn("second", &[]).await;
    wait_answers(&world.tg, chat, 1, Duration::from_secs(20)).await;
    // Handed back, not left to lapse (the claim lease is 15 s).
    assert!(
        stopped.elapsed() < Duration::from_secs(15),
        "taken over at once: {:?}",
        stopped.elapsed()
    );
    assert_eq!(answers(&world.tg, chat), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_exits_at_once() {
    let world = World::new().await;
    let chat = 742_001;
    let mut first = stuck_handler(&world, chat, "60").await;
    first.signal("TERM");
    let until = Instant::now() + Duration::from_secs(10);
    while !first.log().contains("stopping") {
        assert!(Instant::now() < until, "{}", first.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.signal("INT");
    let (status, took) = first.wait_exit(Duration::from_secs(5)).await;
    assert_eq!(status.code(), Some(130), "{}", first.log());
    println!("second signal: exited in {took:.1?}");
}

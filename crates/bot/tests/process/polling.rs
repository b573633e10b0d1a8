//! Polling across processes: one poller at a time, takeover after a kill, a stop or a pause,
//! nothing lost or answered twice, and an idle bot that answers at once.

use std::time::{Duration, Instant};

use tg_fake::{FakeError, UserSpec};

use crate::support::{World, answers, p50_max, wait_answers};

const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_poll_one_at_a_time_and_answer_each_update_once() {
    let world = World::new().await;
    let instances = [
        world.spawn("one", &[]).await,
        world.spawn("two", &[]).await,
        world.spawn("three", &[]).await,
    ];
    world.wait_holder(PATIENCE, Option::is_some).await;
    for chat in 0..30 {
        let user = world
            .tg
            .user(UserSpec::new(700_000 + chat, "Poll").language("en"));
        user.send_text("/help").await;
    }
    for chat in 0..30 {
        wait_answers(&world.tg, 700_000 + chat, 1, PATIENCE).await;
    }
    crate::support::wait_all_handled(&world).await;
    for chat in 0..30 {
        assert_eq!(
            answers(&world.tg, 700_000 + chat),
            1,
            "chat {chat} answered once"
        );
    }
    assert_eq!(
        world.tg.poll_overlaps(),
        0,
        "never two getUpdates in flight"
    );
    for instance in &instances {
        assert!(
            instance.errors().is_empty(),
            "{}: {:?}",
            instance.name,
            instance.errors()
        );
        assert_eq!(
            instance.get("/healthz").await,
            200,
            "standbys are healthy too"
        );
        assert_eq!(instance.get("/readyz").await, 200);
    }
    // Between them the instances counted every update, and each reports the shared figures.
    let mut handled = 0.0;
    for instance in &instances {
        let metrics = instance.get_text("/metrics").await;
        assert!(metrics.contains("kiebot_inbox_depth 0"), "{metrics}");
        assert!(metrics.contains("kiebot_money_held_kopecks 0"), "{metrics}");
        handled += metrics
            .lines()
            .find(|l| l.starts_with("kiebot_updates_total{kind=\"message\",outcome=\"ok\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0);
    }
    assert_eq!(
        handled, 30.0,
        "updates counted once, by whoever handled them"
    );
    // Each takes a third of the token's 30 messages/s: they learn of each other by heartbeat.
    let until = Instant::now() + PATIENCE;
    for instance in &instances {
        while !instance
            .get_text("/metrics")
            .await
            .contains("kiebot_instances_alive 3")
        {
            assert!(
                Instant::now() < until,
                "{} never saw three instances",
                instance.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// SIGKILL, SIGTERM and SIGSTOP of the lease holder, in turn (TAKEOVER_CYCLES, default 3;
/// the closing note's figures come from 50): a standby answers within 15 s each time.
#[tokio::test(flavor = "multi_thread")]
async fn the_holder_dies_stops_or_hangs_and_a_standby_takes_over() {
    let cycles: usize = std::env::var("TAKEOVER_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let world = World::new().await;
    let mut instances = vec![world.spawn("i0", &[]).await, world.spawn("i1", &[]).await];
    let mut spawned = 2;
    let mut takeovers = Vec::new();
    let mut paused = None;
    for cycle in 0..cycles {
        let (holder, epoch) = world.wait_holder(PATIENCE, Option::is_some).await.unwrap();
        let index = instances
            .iter()
            .position(|i| i.name == holder)
            .expect("a holder of ours");
        let signal = ["KILL", "TERM", "STOP"][cycle % 3];
        let started = Instant::now();
        let mut gone = instances.remove(index);
        gone.signal(signal);
        let chat = 710_000 + cycle as i64;
        world
            .tg
            .user(UserSpec::new(chat, "Take").language("en"))
            .send_text("/help")
            .await;
        // A TERM'd holder may still take this update before it lets go: either way it is
        // answered, once; the takeover is the new epoch.
        let answered = wait_answers(&world.tg, chat, 1, Duration::from_secs(20)).await;
        world
            .wait_holder(Duration::from_secs(20), |h| {
                h.as_ref().is_some_and(|(_, e)| *e > epoch)
            })
            .await;
        let took = started.elapsed();
        takeovers.push((signal, took, answered));
        match signal {
            "STOP" => {
                // Resumed after its lease lapsed: it must not poll again as the holder.
                gone.signal("CONT");
                paused = Some(gone);
            }
            "TERM" => {
                let (status, _) = gone.wait_exit(Duration::from_secs(15)).await;
                assert!(status.success(), "a clean stop exits 0: {}", gone.log());
            }
            _ => {
                gone.wait_exit(Duration::from_secs(5)).await;
            }
        }
        if let Some(resumed) = paused.take() {
            instances.push(resumed);
        } else {
            spawned += 1;
            instances.push(world.spawn(&format!("i{spawned}"), &[]).await);
        }
    }
    for cycle in 0..cycles {
        assert_eq!(
            answers(&world.tg, 710_000 + cycle as i64),
            1,
            "cycle {cycle}: answered once"
        );
    }
    crate::support::wait_all_handled(&world).await;
    assert_eq!(
        world.tg.poll_overlaps(),
        0,
        "never two getUpdates in flight"
    );
    for signal in ["KILL", "TERM", "STOP"] {
        let of = |pick: fn(&(&str, Duration, Duration)) -> Duration| {
            p50_max(
                takeovers
                    .iter()
                    .filter(|t| t.0 == signal)
                    .map(pick)
                    .collect(),
            )
        };
        let ((p50, max), (answer_p50, answer_max)) = (of(|t| t.1), of(|t| t.2));
        println!(
            "{signal}: new holder p50 {p50:.1?} max {max:.1?}; answered p50 {answer_p50:.1?} max {answer_max:.1?}"
        );
    }
    let worst = takeovers
        .iter()
        .map(|t| t.1.max(t.2))
        .max()
        .unwrap_or_default();
    assert!(
        worst < Duration::from_secs(15),
        "takeover within 15 s: {takeovers:?}"
    );
}

/// Telegram answers slowly (a 429 on the first answer), the bot is killed after it fetched
/// and acknowledged ten updates of one chat: after a restart every one is answered, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_kill_right_after_a_batch_was_fetched_loses_nothing() {
    let world = World::new().await;
    let chat = 720_001;
    let user = world.tg.user(UserSpec::new(chat, "Batch").language("en"));
    for _ in 0..10 {
        user.send_text("/help").await;
    }
    world.tg.fail_next(
        "sendMessage",
        1,
        FakeError::TooManyRequests { retry_after: 5 },
    );
    let mut first = world.spawn("first", &[]).await;
    // Fetched, stored, acknowledged: Telegram holds none of them any more ...
    world
        .tg
        .wait_for(PATIENCE, |tg| {
            let refused = tg.calls_of("sendMessage").iter().any(|c| c.status == 429);
            (refused && tg.pending_updates().is_empty()).then_some(())
        })
        .await
        .unwrap();
    // ... and the first answer is still waiting out its 429.
    assert_eq!(answers(&world.tg, chat), 0);
    first.kill().await;
    let _second = world.spawn("second", &[]).await;
    wait_answers(&world.tg, chat, 10, Duration::from_secs(40)).await;
    crate::support::wait_all_handled(&world).await;
    assert_eq!(
        answers(&world.tg, chat),
        10,
        "each of the ten answered once"
    );
}

async fn idle_then_answered(silence: Duration) {
    let world = World::new().await;
    // The production poll settings and client: POLL_TIMEOUT_SECS left at its default (25).
    let instance = world.spawn("idle", &[]).await;
    world.wait_holder(PATIENCE, Option::is_some).await;
    tokio::time::sleep(silence).await; // the silence is what is tested
    assert_eq!(
        world.tg.polls_in_flight(),
        1,
        "a poll is waiting when the user writes"
    );
    let chat = 730_001;
    let sent = Instant::now();
    world
        .tg
        .user(UserSpec::new(chat, "Idle").language("en"))
        .send_text("/help")
        .await;
    wait_answers(&world.tg, chat, 1, Duration::from_secs(10)).await;
    println!(
        "after {silence:?} of silence: answered in {:.0?}",
        sent.elapsed()
    );
    let log = instance.log();
    assert!(
        !log.contains("getUpdates failed"),
        "an idle poll never fails:\n{log}"
    );
    assert!(
        instance.errors().is_empty(),
        "nothing at ERROR while idle: {:?}",
        instance.errors()
    );
    assert_eq!(world.tg.poll_overlaps(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_quiet_minute_an_update_is_answered_at_once() {
    idle_then_answered(Duration::from_secs(60)).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "five minutes of silence: too long for CI; run with --ignored for the figures"]
async fn after_five_quiet_minutes_an_update_is_answered_at_once() {
    idle_then_answered(Duration::from_secs(300)).await;
}

/// The holder's database connection is cut (its lease cannot be renewed): it stops polling
/// before its lease can have expired, and a standby with a working database takes over.
#[tokio::test(flavor = "multi_thread")]
async fn a_holder_cut_off_from_the_database_gives_way() {
    let world = World::new().await;
    let proxy = crate::support::PgProxy::start(world.db.url()).await;
    let through_proxy = proxy.url(world.db.url());
    let _cut = world
        .spawn("cut", &[("DATABASE_URL", through_proxy.as_str())])
        .await;
    world
        .wait_holder(PATIENCE, |h| {
            h.as_ref().is_some_and(|(name, _)| name == "cut")
        })
        .await;
    let _standby = world.spawn("standby", &[]).await;
    proxy.set_down(true);
    let started = Instant::now();
    let chat = 760_001;
    world
        .tg
        .user(UserSpec::new(chat, "Cut").language("en"))
        .send_text("/help")
        .await;
    wait_answers(&world.tg, chat, 1, Duration::from_secs(20)).await;
    let took = started.elapsed();
    println!("holder cut off from the database: answered by the standby after {took:.1?}");
    assert!(took < Duration::from_secs(15));
    let (holder, _) = world.holder().await.expect("a holder");
    assert_eq!(holder, "standby");
    assert_eq!(
        world.tg.poll_overlaps(),
        0,
        "the cut-off holder stopped polling in time"
    );
    assert_eq!(answers(&world.tg, chat), 1);
}

/// A rolling deploy under traffic: users keep writing while the old instance gets SIGTERM and a
/// new one is already standing by. Every update is answered exactly once, none lost.
#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_deploy_under_traffic_loses_and_doubles_nothing() {
    let world = World::new().await;
    let mut old = world.spawn("old", &[]).await;
    world
        .wait_holder(PATIENCE, |h| {
            h.as_ref().is_some_and(|(name, _)| name == "old")
        })
        .await;
    let _new = world.spawn("new", &[]).await;
    let users: Vec<_> = (0..10)
        .map(|n| {
            world
                .tg
                .user(UserSpec::new(770_000 + n, "Roll").language("en"))
        })
        .collect();
    let mut sent = 0;
    // Twelve rounds: each chat's answers are paced at Telegram's 1/s per chat.
    for round in 0..12 {
        if round == 4 {
            old.signal("TERM");
        }
        for user in &users {
            user.send_text("/help").await;
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // the traffic's pace
    }
    let (status, _) = old.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "a clean stop exits 0: {}", old.log());
    for n in 0..10 {
        wait_answers(&world.tg, 770_000 + n, 12, Duration::from_secs(30)).await;
    }
    crate::support::wait_all_handled(&world).await;
    let answered: usize = (0..10).map(|n| answers(&world.tg, 770_000 + n)).sum();
    assert_eq!(
        answered, sent,
        "each of {sent} updates answered exactly once"
    );
    assert_eq!(world.tg.poll_overlaps(), 0);
    let (holder, _) = world.holder().await.expect("a holder");
    assert_eq!(holder, "new");
}

/// Someone polls the token outside our lease (another deployment, a script): Telegram answers
/// the bot 409. The instance says so at ERROR, stops polling for good and lets the lease go;
/// it stays up for jobs and HTTP.
#[tokio::test(flavor = "multi_thread")]
async fn a_poller_outside_the_lease_makes_the_holder_stop_polling_and_say_so() {
    let world = World::new().await;
    let instance = world.spawn("ours", &[]).await;
    world.wait_holder(PATIENCE, Option::is_some).await;
    world
        .tg
        .wait_for(PATIENCE, |tg| (tg.polls_in_flight() == 1).then_some(()))
        .await
        .unwrap();
    // The stray poller: its getUpdates ends the bot's waiting one with 409.
    let stray = format!(
        "{}bot{}/getUpdates",
        world.tg.api_url(),
        crate::support::TOKEN
    );
    let answer: serde_json::Value = reqwest::Client::new()
        .post(&stray)
        .json(&serde_json::json!({"timeout": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["ok"], true);
    let until = Instant::now() + PATIENCE;
    while instance.errors().is_empty() {
        assert!(
            Instant::now() < until,
            "no ERROR about the conflict:\n{}",
            instance.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        instance.errors()[0].contains("409 Conflict"),
        "{:?}",
        instance.errors()
    );
    world.wait_holder(PATIENCE, Option::is_none).await;
    let polls = world.tg.polls_started();
    assert_eq!(instance.get("/healthz").await, 200, "still up");
    assert_eq!(world.tg.polls_started(), polls, "and no longer polling");
}

/// JSON logs: one object per line, and a handler's lines carry the update and the chat.
#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_the_update_and_the_chat() {
    let world = World::new().await;
    let instance = world
        .spawn("json", &[("LOG_FORMAT", "json"), ("LOG_LEVEL", "debug")])
        .await;
    let chat = 780_001;
    world
        .tg
        .user(UserSpec::new(chat, "Json").language("en"))
        .send_text("/frobnicate")
        .await;
    wait_answers(&world.tg, chat, 1, PATIENCE).await;
    let log = instance.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let in_update = lines
        .iter()
        .find(|l| l["span"]["name"] == "update" && l["span"]["chat_id"] == chat)
        .unwrap_or_else(|| panic!("no line inside the update's span:\n{log}"));
    assert!(in_update["span"]["update_id"].is_u64(), "{in_update}");
    assert!(
        !log.contains("process-test-token"),
        "the token is never logged"
    );
}

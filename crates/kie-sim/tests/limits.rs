//! Rate limits and credits over HTTP: the create and recordInfo windows answer a real HTTP 429
//! and create nothing; insufficient credits answer 402 and create nothing; the credit endpoint.

mod common;

use std::time::Duration;

use common::*;
use kie_sim::{SimConfig, Timing};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn the_21st_create_in_ten_seconds_is_rejected_with_http_429() {
    // Real-time clock and the default (20, 10 s) window: the 21 requests take well under 10 s.
    let (sim, api) = start(SimConfig {
        timing: Timing {
            waiting: Duration::from_secs(3600),
            ..Timing::default()
        },
        ..SimConfig::new(KEY)
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..21 {
        let (status, v) = api.create(nano_banana(&format!("cat {i}"))).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(
                v,
                json!({"code": 429, "msg": "Rate limit exceeded", "data": null})
            );
        } else {
            assert_eq!(v["code"], 200, "{v}");
        }
        statuses.push(status);
    }
    let rejected = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(rejected, 1);
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sim.tasks().len(), 20);
    let stats = sim.stats();
    assert_eq!(
        (stats.creates_accepted, stats.creates_rejected_429),
        (20, 1)
    );
    assert_eq!(stats.peak_running, 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_creates_do_not_use_the_rate_limit() {
    let (sim, api) = start(SimConfig {
        create_limit: (1, Duration::from_secs(3600)),
        ..fast_config()
    })
    .await;
    for _ in 0..3 {
        let (_, v) = api
            .create(json!({"model": "google/nano-banana", "input": {}}))
            .await;
        assert_eq!(v["code"], 422);
    }
    api.create_ok(nano_banana("ok")).await;
    assert_eq!(
        api.create(nano_banana("over")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(sim.tasks().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_11th_record_info_in_the_window_is_rejected_with_http_429() {
    // The default window is one second (checked by a unit test); a long window keeps this test
    // independent of machine speed.
    let (sim, api) = start(SimConfig {
        status_limit: (10, Duration::from_secs(60)),
        ..fast_config()
    })
    .await;
    let id = api.create_ok(nano_banana("cat")).await;
    for _ in 0..10 {
        let (status, v) = api.record(&id).await;
        assert_eq!((status, v["code"].as_u64()), (StatusCode::OK, Some(200)));
    }
    let (status, v) = api.record(&id).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["msg"], "Rate limit exceeded");
    let stats = sim.stats();
    assert_eq!((stats.record_infos, stats.status_rejected_429), (10, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_windows_follow_the_time_scale() {
    // 1000 s of simulated time at scale 1e9 is one microsecond, shorter than any HTTP round
    // trip: the one-create window has always slid by the next request.
    let (sim, api) = start(SimConfig {
        create_limit: (1, Duration::from_secs(1000)),
        time_scale: 1e9,
        ..fast_config()
    })
    .await;
    for i in 0..3 {
        api.create_ok(nano_banana(&format!("{i}"))).await;
    }
    assert_eq!(sim.tasks().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn credits_run_out_with_402_and_no_task() {
    let (sim, api) = start(SimConfig {
        credits: 10.0,
        credits_per_task: 4.0,
        timing: Timing {
            waiting: Duration::from_secs(3600),
            ..Timing::default()
        },
        ..fast_config()
    })
    .await;
    let (_, v) = api.get("/api/v1/chat/credit").await;
    assert_eq!(v, json!({"code": 200, "msg": "success", "data": 10}));

    let a = api.create_ok(nano_banana("a")).await;
    api.create_ok(nano_banana("b")).await;
    // 2 running tasks reserve 8 of the 10 credits.
    let (status, v) = api.create(nano_banana("c")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v,
        json!({"code": 402, "msg": "The current credits are insufficient. Please top up.", "data": null})
    );
    assert_eq!(sim.tasks().len(), 2);
    assert_eq!(sim.stats().creates_rejected_402, 1);

    sim.finish_now(&a);
    let (_, v) = api.get("/api/v1/chat/credit").await;
    assert_eq!(v["data"], 6, "debited on success");

    sim.set_credits(100.5);
    assert_eq!(api.get("/api/v1/chat/credit").await.1["data"], 100.5);
    api.create_ok(nano_banana("d")).await;
    assert_eq!(sim.credits(), 100.5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_concurrent_tasks_all_finish_and_call_back() {
    let (cb_url, _rx) = callback_receiver(0).await;
    let (sim, api) = start(SimConfig {
        create_limit: (u32::MAX, Duration::from_secs(1)),
        status_limit: (u32::MAX, Duration::from_secs(1)),
        credits: 1e9,
        // 1.5 s of real time per task, so creates overlap.
        time_scale: 1.0,
        ..fast_config()
    })
    .await;
    let api = std::sync::Arc::new(api);
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..20 {
        let api = api.clone();
        let cb_url = cb_url.clone();
        clients.spawn(async move {
            for i in 0..50 {
                let id = api
                    .create_ok(json!({"model": "google/nano-banana",
                        "input": {"prompt": format!("cat {c}/{i}")}, "callBackUrl": cb_url}))
                    .await;
                assert_eq!(api.record(&id).await.0, StatusCode::OK);
            }
        });
    }
    while let Some(r) = clients.join_next().await {
        r.unwrap();
    }
    let stats = sim
        .wait_stats(Duration::from_secs(60), |s| {
            s.callbacks_acknowledged == 1000
        })
        .await
        .expect("every task ends and calls back");
    assert_eq!(
        (stats.creates_accepted, stats.tasks_succeeded),
        (1000, 1000)
    );
    assert_eq!(stats.callbacks_sent, 1000);
    assert!(
        stats.peak_running > 20,
        "tasks overlapped: {}",
        stats.peak_running
    );
    assert_eq!(sim.credits(), 1e9 - 4000.0);
}

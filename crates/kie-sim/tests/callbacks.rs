//! Callbacks over HTTP to a small axum receiver: the body mirrors recordInfo, the HMAC signature
//! verifies with kie-api.md §3's formula, refused deliveries are retried, repeats are sent.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use hmac::{Hmac, Mac};
use kie_sim::{Outcome, SimConfig};
use reqwest::StatusCode;
use serde_json::json;
use sha2::Sha256;

const HMAC_KEY: &str = "whsec-test";

/// The receiver's side of §3, written out independently of the simulator's code.
fn signature_is_valid(headers: &axum::http::HeaderMap, task_id: &str) -> bool {
    let ts = headers["x-webhook-timestamp"].to_str().unwrap();
    let sig = headers["x-webhook-signature"].to_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        now.abs_diff(ts.parse().unwrap()) < 300,
        "a Unix-seconds timestamp"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(HMAC_KEY.as_bytes()).unwrap();
    mac.update(format!("{task_id}.{ts}").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    mac.verify_slice(&sig).is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_callback_carries_the_record() {
    let (cb_url, mut rx) = callback_receiver(0).await;
    let (sim, api) = start(SimConfig {
        hmac_key: Some(HMAC_KEY.into()),
        ..fast_config()
    })
    .await;
    let body =
        json!({"model": "google/nano-banana", "input": {"prompt": "cat"}, "callBackUrl": cb_url});
    let id = api.create_ok(body.clone()).await;

    let got = next_callback(&mut rx).await;
    assert_eq!(got.body["code"], 200);
    let data = &got.body["data"];
    assert_eq!(data["taskId"], id.as_str());
    assert_eq!(data["state"], "success");
    assert_eq!(data["creditsConsumed"], 4);
    assert_eq!(inner_json(&data["param"]), body);
    assert_eq!(
        inner_json(&data["resultJson"])["resultUrls"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(signature_is_valid(&got.headers, &id));
    assert!(!signature_is_valid_for_other_task(&got.headers));

    let stats = sim
        .wait_stats(PATIENCE, |s| s.callbacks_acknowledged == 1)
        .await
        .unwrap();
    assert_eq!(stats.callbacks_sent, 1);
    assert_eq!(sim.task(&id).unwrap().callback_acks, 1);
}

fn signature_is_valid_for_other_task(headers: &axum::http::HeaderMap) -> bool {
    signature_is_valid(headers, "another-task")
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_without_a_key_and_failure_codes() {
    let (cb_url, mut rx) = callback_receiver(0).await;
    let (_sim, api) = start(fast_config()).await;
    let body = json!({"model": "google/nano-banana",
        "input": {"prompt": "cat [sim:fail=422]"}, "callBackUrl": cb_url});
    api.create_ok(body).await;
    let got = next_callback(&mut rx).await;
    assert!(got.headers.get("x-webhook-signature").is_none());
    assert_eq!(
        got.body["code"], 400,
        "content-policy failures call back with 400"
    );
    assert_eq!(got.body["data"]["state"], "fail");
    assert_eq!(got.body["data"]["failCode"], "422");
    assert_eq!(got.body["data"]["resultJson"], "");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_callback_is_retried() {
    let (cb_url, mut rx) = callback_receiver(1).await;
    let (sim, api) = start(SimConfig {
        hmac_key: Some(HMAC_KEY.into()),
        callback_backoff: Duration::from_millis(500), // 10 ms at scale 50
        ..fast_config()
    })
    .await;
    sim.script(Outcome::fail_with_code("501"));
    let id = api
        .create_ok(json!({"model": "google/nano-banana", "input": {"prompt": "cat"}, "callBackUrl": cb_url}))
        .await;
    let first = next_callback(&mut rx).await;
    assert_eq!(first.answered, StatusCode::INTERNAL_SERVER_ERROR);
    let second = next_callback(&mut rx).await;
    assert_eq!(second.answered, StatusCode::OK);
    assert_eq!(first.body, second.body);
    assert_eq!(second.body["code"], 501);
    assert!(signature_is_valid(&second.headers, &id));
    let stats = sim
        .wait_stats(PATIENCE, |s| s.callbacks_acknowledged == 1)
        .await
        .unwrap();
    assert_eq!(stats.callbacks_sent, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_receiver_gets_four_attempts_then_nothing() {
    let (cb_url, mut rx) = callback_receiver(u32::MAX).await;
    let (sim, api) = start(SimConfig {
        callback_backoff: Duration::from_millis(50),
        ..fast_config()
    })
    .await;
    api.create_ok(
        json!({"model": "google/nano-banana", "input": {"prompt": "cat"}, "callBackUrl": cb_url}),
    )
    .await;
    let stats = sim
        .wait_stats(PATIENCE, |s| s.callbacks_sent == 4)
        .await
        .unwrap();
    assert_eq!(stats.callbacks_acknowledged, 0);
    for _ in 0..4 {
        assert_eq!(
            next_callback(&mut rx).await.answered,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(200), rx.recv())
            .await
            .is_err(),
        "no fifth attempt"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn callback_repeats_deliver_the_same_callback_again() {
    let (cb_url, mut rx) = callback_receiver(0).await;
    let (sim, api) = start(SimConfig {
        callback_repeats: 3,
        ..fast_config()
    })
    .await;
    api.create_ok(
        json!({"model": "google/nano-banana", "input": {"prompt": "cat"}, "callBackUrl": cb_url}),
    )
    .await;
    let bodies = [
        next_callback(&mut rx).await.body,
        next_callback(&mut rx).await.body,
        next_callback(&mut rx).await.body,
    ];
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    sim.wait_stats(PATIENCE, |s| s.callbacks_acknowledged == 3)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_receiver_times_out_and_is_retried() {
    // The receiver answers in 200 ms, but has only 15 s / 500 = 30 ms.
    use axum::routing::post;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let app = axum::Router::new().route(
        "/slow",
        post(move || {
            let tx = tx.clone();
            async move {
                let _ = tx.send(());
                // The receiver under test is slow on purpose; this is its behaviour, not a
                // wait for a race.
                tokio::time::sleep(Duration::from_millis(200)).await;
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (sim, api) = start(SimConfig {
        time_scale: 500.0,
        callback_retries: 1,
        ..fast_config()
    })
    .await;
    api.create_ok(
        json!({"model": "google/nano-banana", "input": {"prompt": "cat"}, "callBackUrl": url}),
    )
    .await;
    let stats = sim
        .wait_stats(PATIENCE, |s| s.callbacks_sent == 2)
        .await
        .unwrap();
    assert_eq!(stats.callbacks_acknowledged, 0);
    for _ in 0..2 {
        tokio::time::timeout(PATIENCE, rx.recv()).await.unwrap();
    }
}

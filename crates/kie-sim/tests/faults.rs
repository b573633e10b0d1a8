//! Injected faults over HTTP: error envelopes and statuses that create nothing, and the
//! ambiguous ones (hang, drop) where the task exists although the client saw no answer.

mod common;

use std::time::Duration;

use common::*;
use kie_sim::{Endpoint, Fault, TaskState};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn error_faults_answer_and_create_nothing() {
    let (sim, api) = start(fast_config()).await;
    sim.inject(Fault::Code455, 1);
    sim.inject(Fault::Code500, 1);
    sim.inject(Fault::Http500, 1);
    sim.inject(Fault::Http429, 2);

    let (status, v) = api.create(nano_banana("a")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v,
        json!({"code": 455, "msg": "Service unavailable", "data": null})
    );
    let (status, v) = api.create(nano_banana("a")).await;
    assert_eq!((status, v["code"].as_u64()), (StatusCode::OK, Some(500)));
    let (status, v) = api.create(nano_banana("a")).await;
    assert_eq!(
        (status, v["code"].as_u64()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some(500))
    );
    for _ in 0..2 {
        let (status, v) = api.create(nano_banana("a")).await;
        assert_eq!(
            (status, v["code"].as_u64()),
            (StatusCode::TOO_MANY_REQUESTS, Some(429))
        );
    }
    assert!(sim.tasks().is_empty());
    api.create_ok(nano_banana("now it works")).await;
    assert_eq!(sim.stats().faults_injected, 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_target_their_endpoint() {
    let (sim, api) = start(fast_config()).await;
    sim.inject_on(Endpoint::RecordInfo, Fault::Code455, 1);
    sim.inject_on(Endpoint::Credit, Fault::Http500, 1);
    sim.inject_on(Endpoint::Upload, Fault::Code500, 1);
    let id = api.create_ok(nano_banana("cat")).await;
    assert_eq!(api.record(&id).await.1["code"], 455);
    assert_eq!(api.record(&id).await.1["code"], 200);
    assert_eq!(
        api.get("/api/v1/chat/credit").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let (_, v) = api
        .post(
            "/api/file-base64-upload",
            &json!({"base64Data": "aGk=", "uploadPath": "x"}),
        )
        .await;
    assert_eq!(v["code"], 500);
    assert_eq!(v["success"], false, "the upload host's envelope");
    sim.inject_on(Endpoint::Any, Fault::Code455, 1);
    assert_eq!(api.get("/api/v1/chat/credit").await.1["code"], 455);
    assert_eq!(api.get("/api/v1/chat/credit").await.1["code"], 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_then_hang_creates_a_task_the_client_never_hears_of() {
    let (cb_url, mut rx) = callback_receiver(0).await;
    let (sim, api) = start(fast_config()).await;
    sim.inject(Fault::CreateThenHang, 1);
    let sent = api
        .http
        .post(api.url("/api/v1/jobs/createTask"))
        .bearer_auth(&api.key)
        .timeout(Duration::from_millis(500))
        .json(&json!({"model": "google/nano-banana", "input": {"prompt": "cat"}, "callBackUrl": cb_url}))
        .send()
        .await;
    assert!(sent.unwrap_err().is_timeout());
    let tasks = sim.tasks();
    assert_eq!(
        tasks.len(),
        1,
        "the task exists although the client timed out"
    );
    let id = tasks[0].task_id.clone();
    let got = next_callback(&mut rx).await;
    assert_eq!(got.body["data"]["taskId"], id.as_str());
    assert_eq!(
        sim.wait_terminal(&id, PATIENCE).await.unwrap().state,
        TaskState::Success
    );
    // The next request is answered normally.
    api.create_ok(nano_banana("dog")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_then_drop_closes_the_connection_after_creating() {
    let (sim, api) = start(fast_config()).await;
    sim.inject(Fault::CreateThenDrop, 1);
    let err = api.create_raw(nano_banana("cat")).await.unwrap_err();
    assert!(!err.is_timeout() && !err.is_status(), "{err:?}");
    assert_eq!(sim.tasks().len(), 1);

    sim.inject(Fault::Disconnect, 1);
    assert!(api.create_raw(nano_banana("cat")).await.is_err());
    assert_eq!(sim.tasks().len(), 1, "a plain disconnect creates nothing");
    api.create_ok(nano_banana("fine")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn record_info_hang_holds_the_poll_open() {
    let (sim, api) = start(fast_config()).await;
    let id = api.create_ok(nano_banana("cat")).await;
    sim.inject(Fault::RecordInfoHang, 1);
    let sent = api
        .http
        .get(api.url(&format!("/api/v1/jobs/recordInfo?taskId={id}")))
        .bearer_auth(&api.key)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(sent.unwrap_err().is_timeout());
    assert_eq!(api.record(&id).await.1["code"], 200);
    // Shutting down releases the held request instead of waiting for it forever.
    tokio::time::timeout(PATIENCE, sim.shutdown())
        .await
        .expect("shutdown completes");
}

trait CreateRaw {
    async fn create_raw(
        &self,
        body: serde_json::Value,
    ) -> Result<reqwest::Response, reqwest::Error>;
}

impl CreateRaw for Api {
    async fn create_raw(
        &self,
        body: serde_json::Value,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(self.url("/api/v1/jobs/createTask"))
            .bearer_auth(&self.key)
            .timeout(PATIENCE)
            .json(&body)
            .send()
            .await
    }
}

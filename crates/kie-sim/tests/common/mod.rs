//! Shared helpers for the simulator's HTTP tests: a plain reqwest client speaking Kie's wire
//! format, a fast configuration and a small callback receiver. Tests must never reach the
//! simulator except over HTTP (or its documented control methods).
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use kie_sim::{KieSim, SimConfig, Timing};
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub const KEY: &str = "test-key";

/// Generous real-time limit for anything the simulator should do within milliseconds.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Defaults with the test key, running 50× faster (a task takes ~30 ms) and no jitter.
pub fn fast_config() -> SimConfig {
    SimConfig {
        time_scale: 50.0,
        timing: Timing {
            jitter: 0.0,
            ..Timing::default()
        },
        ..SimConfig::new(KEY)
    }
}

pub async fn start(config: SimConfig) -> (KieSim, Api) {
    let sim = KieSim::start(config).await.expect("simulator starts");
    let api = Api::new(&sim, KEY);
    (sim, api)
}

/// A client of the simulator, as kie-client would talk to Kie.
pub struct Api {
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

impl Api {
    pub fn new(sim: &KieSim, key: &str) -> Api {
        Api {
            base: sim.base_url().as_str().trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            http: http(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    pub async fn create(&self, body: Value) -> (StatusCode, Value) {
        self.post("/api/v1/jobs/createTask", &body).await
    }

    /// Creates a task that must be accepted and returns its id.
    pub async fn create_ok(&self, body: Value) -> String {
        let (status, v) = self.create(body).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["code"], 200, "{v}");
        v["data"]["taskId"].as_str().unwrap().to_owned()
    }

    pub async fn record(&self, task_id: &str) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/jobs/recordInfo?taskId={task_id}"))
            .await
    }

    /// recordInfo `data` of an existing task.
    pub async fn record_data(&self, task_id: &str) -> Value {
        let (status, v) = self.record(task_id).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["code"], 200, "{v}");
        v["data"].clone()
    }

    /// Downloads a URL (no auth, like Kie's temp-file host): status, content type, bytes.
    pub async fn download(&self, url: &str) -> (StatusCode, String, Vec<u8>) {
        let r = self.http.get(url).send().await.unwrap();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (r.status(), ct, r.bytes().await.unwrap().to_vec())
    }
}

pub fn nano_banana(prompt: &str) -> Value {
    json!({"model": "google/nano-banana", "input": {"prompt": prompt, "aspect_ratio": "16:9"}})
}

/// Parses a field that Kie sends as a JSON string holding JSON.
pub fn inner_json(v: &Value) -> Value {
    serde_json::from_str(v.as_str().expect("a JSON string")).expect("holding JSON")
}

/// One callback as received.
#[derive(Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Value,
    pub answered: StatusCode,
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<Received>,
    fail_first: Arc<AtomicU32>,
}

/// A callback receiver on 127.0.0.1 that answers 500 to the first `fail_first` calls and 200
/// afterwards, reporting every call on the channel.
pub async fn callback_receiver(fail_first: u32) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = ReceiverState {
        tx,
        fail_first: Arc::new(AtomicU32::new(fail_first)),
    };
    async fn handle(
        State(s): State<ReceiverState>,
        headers: HeaderMap,
        axum::Json(body): axum::Json<Value>,
    ) -> StatusCode {
        let fail = s
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let answered = if fail {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        };
        let _ = s.tx.send(Received {
            headers,
            body,
            answered,
        });
        answered
    }
    let app = Router::new().route("/cb", post(handle)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb?token=secret", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

pub async fn next_callback(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("a callback arrives in time")
        .expect("receiver alive")
}

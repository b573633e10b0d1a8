//! Callback delivery to `callBackUrl` when a task ends, with Kie's optional HMAC signature,
//! its 15-second answer deadline and its retries (kie-api.md §3).
//!
//! Deliveries run in their own tasks and must never hold the state lock across a request; they
//! stop at simulator shutdown. The HMAC key is never logged.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::state::{Delivery, Shared};

/// `base64(HMAC-SHA256(key, task_id + "." + timestamp))`, the `X-Webhook-Signature` Kie sends
/// beside `X-Webhook-Timestamp` (Unix seconds) when a webhook HMAC key is configured.
pub fn webhook_signature(key: &str, task_id: &str, timestamp: u64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{task_id}.{timestamp}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Sends one task's callback: `callback_repeats` deliveries, each tried once plus up to
/// `callback_retries` more times with doubling back-off until the receiver answers 2xx in time.
pub(crate) async fn deliver(shared: Arc<Shared>, d: Delivery) {
    let mut shutdown = shared.shutdown.clone();
    tokio::select! {
        _ = deliver_all(&shared, &d) => {}
        _ = shutdown.wait_for(|s| *s) => {}
    }
}

async fn deliver_all(shared: &Arc<Shared>, d: &Delivery) {
    let c = &shared.config;
    for _ in 0..c.callback_repeats.max(1) {
        for body in &d.bodies {
            deliver_body(shared, d, body).await;
        }
    }
}

async fn deliver_body(shared: &Arc<Shared>, d: &Delivery, body: &serde_json::Value) {
    let c = &shared.config;
    {
        for attempt in 0..=c.callback_retries {
            if attempt > 0 {
                let backoff = c.callback_backoff * 2u32.saturating_pow(attempt - 1);
                tokio::time::sleep(c.scaled(backoff)).await;
            }
            shared.with_state(|st, _| {
                st.stats.callbacks_sent += 1;
                if let Some(i) = st.find(&d.task_id) {
                    st.tasks[i].callback_attempts += 1;
                }
            });
            let acked = send_once(shared, d, body).await;
            if acked {
                shared.with_state(|st, _| {
                    st.stats.callbacks_acknowledged += 1;
                    if let Some(i) = st.find(&d.task_id) {
                        st.tasks[i].callback_acks += 1;
                    }
                });
            }
            shared.events.send_modify(|n| *n += 1);
            if acked {
                break;
            }
        }
    }
}

async fn send_once(shared: &Shared, d: &Delivery, body: &serde_json::Value) -> bool {
    let c = &shared.config;
    let mut req = shared
        .http
        .post(&d.url)
        .timeout(c.scaled(c.callback_timeout))
        .json(body);
    if let Some(key) = &c.hmac_key {
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        req = req.header("X-Webhook-Timestamp", ts.to_string()).header(
            "X-Webhook-Signature",
            webhook_signature(key, &d.task_id, ts),
        );
    }
    match req.send().await {
        Ok(resp) if resp.status().is_success() => true,
        Ok(resp) => {
            tracing::debug!(task_id = %d.task_id, status = %resp.status(), "callback refused");
            false
        }
        Err(e) => {
            tracing::debug!(task_id = %d.task_id, error = %e, "callback failed");
            false
        }
    }
}

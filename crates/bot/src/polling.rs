//! Long polling, our own loop: getUpdates only while this instance holds the poller lease,
//! each batch stored in the inbox (fenced by the lease) before the next offset is asked for.
//!
//! # Why not teloxide's `Polling`
//! It acknowledges a batch (asks for the next offset) before the batch is handled, so a crash
//! loses what was fetched; it retries 409 forever, so two pollers keep stealing each other's
//! updates; it backs off exponentially for a single network error; and it deletes any webhook.
//!
//! # Rules
//! - The HTTP client waits [`CLIENT_SLACK`] longer than the poll, so an idle poll is an empty
//!   answer, never a time-out; an empty answer polls again at once.
//! - Each poll's `timeout` ends before the lease's local deadline, so a poller that stops
//!   renewing (paused, cut off) has no poll in flight when a standby starts its own.
//! - Network errors and 5xx retry fast (100 ms doubling to 5 s); 429 waits `retry_after`.
//! - 409 while the lease is ours means someone polls this token outside the lease (another
//!   deployment, a stray script) or a webhook is set: this instance stops polling for good,
//!   releases the lease and says so at ERROR. 401 stops it too (the token was revoked).
//! - Secrets: the request URL contains the token, so errors are logged without their URL.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Secret;
use crate::metrics::Metrics;

/// How much longer the HTTP client waits than the poll it sent.
pub const CLIENT_SLACK: Duration = Duration::from_secs(15);

/// The update types the bot handles (getUpdates' and setWebhook's `allowed_updates`).
pub const ALLOWED_UPDATES: [&str; 4] = [
    "message",
    "edited_message",
    "callback_query",
    "pre_checkout_query",
];

/// What the poller needs.
pub struct Poller {
    /// The Bot API server.
    pub api_url: Url,
    /// The bot token.
    pub token: Secret,
    /// Long-poll time-out.
    pub timeout: Duration,
    /// The database pool (the inbox).
    pub pool: ledger::Pool,
    /// The lease: poll only while it is held.
    pub lease: lock::LeaseWatch,
    /// Told when a fenced store was refused.
    pub keeper: Arc<lock::LeaseKeeper>,
    /// Woken when new updates are stored.
    pub stored: Arc<Notify>,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

/// How a getUpdates call ended.
enum PollError {
    /// No answer, or a 5xx: try again soon.
    Transient(String),
    /// 429: wait this long.
    RetryAfter(Duration),
    /// 409: another poller or a webhook.
    Conflict(String),
    /// 401/404: the token is not valid.
    Unauthorized(String),
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    result: Option<Vec<Value>>,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
}

impl Poller {
    /// Polls until `stop` is cancelled (or polling must end for good: a conflict or a revoked
    /// token). Returns why it ended.
    pub async fn run(mut self, stop: CancellationToken) -> &'static str {
        let client = match reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(self.timeout + CLIENT_SLACK)
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the polling HTTP client");
                return "client";
            }
        };
        let mut offset: Option<i64> = None;
        let mut backoff = Duration::ZERO;
        loop {
            let Some(held) = self.lease.current() else {
                self.metrics.poller_lease_held.set(0);
                tokio::select! {
                    () = stop.cancelled() => return "stopped",
                    () = self.lease.changed() => continue,
                    // The deadline may pass without a published change.
                    () = tokio::time::sleep(Duration::from_millis(500)) => continue,
                }
            };
            self.metrics.poller_lease_held.set(1);
            self.metrics.poller_lease_epoch.set(held.fence.epoch);
            // The poll must end before the lease may have: whole seconds, at least one.
            let room = held
                .remaining()
                .saturating_sub(Duration::from_millis(1_500));
            if room < Duration::from_secs(1) {
                tokio::select! {
                    () = stop.cancelled() => return "stopped",
                    () = self.lease.changed() => continue,
                    () = tokio::time::sleep(Duration::from_millis(200)) => continue,
                }
            }
            let seconds = self.timeout.min(room).as_secs().max(1);
            let answer = tokio::select! {
                () = stop.cancelled() => return "stopped",
                answer = self.get_updates(&client, offset, seconds) => answer,
            };
            match answer {
                Ok(batch) => {
                    backoff = Duration::ZERO;
                    Metrics::count(
                        &self.metrics.polls,
                        if batch.is_empty() { "empty" } else { "updates" },
                    );
                    if batch.is_empty() {
                        continue;
                    }
                    match self.store(&held.fence, batch).await {
                        Ok(Some(next)) => offset = Some(next),
                        Ok(None) => self.keeper.report_lost(held.fence.clone()),
                        Err(e) => {
                            // Not stored, so not acknowledged: the same batch comes again.
                            tracing::warn!(error = %e, "storing polled updates failed");
                            backoff = next_backoff(backoff);
                            sleep_or_stop(&stop, backoff).await;
                        }
                    }
                }
                Err(PollError::Transient(why)) => {
                    Metrics::count(&self.metrics.polls, "network");
                    backoff = next_backoff(backoff);
                    tracing::warn!(error = %why, retry_in = ?backoff, "getUpdates failed");
                    sleep_or_stop(&stop, backoff).await;
                }
                Err(PollError::RetryAfter(wait)) => {
                    Metrics::count(&self.metrics.polls, "retry_after");
                    tracing::warn!(?wait, "getUpdates: Telegram asked to wait");
                    sleep_or_stop(&stop, wait).await;
                }
                Err(PollError::Conflict(why)) => {
                    Metrics::count(&self.metrics.polls, "conflict");
                    if self.lease.current().is_none() {
                        // We lost the lease meanwhile: the new holder's poll ended ours.
                        continue;
                    }
                    tracing::error!(
                        telegram = %why,
                        "Telegram answered 409 Conflict while this instance holds the poller lease: \
                         another process polls this bot token outside our lock, or a webhook is set \
                         (use BOT_MODE=webhook, or `bot delete-webhook`). This instance stops polling; \
                         it keeps serving jobs and HTTP."
                    );
                    return "conflict";
                }
                Err(PollError::Unauthorized(why)) => {
                    Metrics::count(&self.metrics.polls, "unauthorized");
                    tracing::error!(telegram = %why, "getUpdates refused the bot token; polling stops");
                    return "unauthorized";
                }
            }
        }
    }

    async fn get_updates(
        &self,
        client: &reqwest::Client,
        offset: Option<i64>,
        seconds: u64,
    ) -> Result<Vec<Value>, PollError> {
        let url = method_url(&self.api_url, &self.token, "getUpdates");
        let mut body = json!({"timeout": seconds, "allowed_updates": ALLOWED_UPDATES});
        if let Some(offset) = offset {
            body["offset"] = json!(offset);
        }
        let response = client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| PollError::Transient(e.without_url().to_string()))?;
        let status = response.status();
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| PollError::Transient(format!("HTTP {status}: {}", e.without_url())))?;
        if answer.ok {
            return Ok(answer.result.unwrap_or_default());
        }
        let description = answer.description.unwrap_or_default();
        Err(match answer.error_code.unwrap_or(status.as_u16()) {
            409 => PollError::Conflict(description),
            401 | 404 => PollError::Unauthorized(description),
            429 => PollError::RetryAfter(Duration::from_secs(
                answer
                    .parameters
                    .and_then(|p| p.get("retry_after").and_then(Value::as_u64))
                    .unwrap_or(1),
            )),
            _ => PollError::Transient(format!("{status}: {description}")),
        })
    }

    /// Stores a batch under the lease; `Some(next offset)` once committed, `None` if the lease
    /// was lost (nothing stored, nothing to acknowledge).
    async fn store(&self, fence: &lock::Fence, batch: Vec<Value>) -> anyhow::Result<Option<i64>> {
        let mut next = 0;
        let mut incoming = Vec::with_capacity(batch.len());
        for raw in batch {
            match inbox::describe(raw) {
                Some(update) => {
                    next = next.max(update.update_id + 1);
                    incoming.push(update);
                }
                None => tracing::warn!("getUpdates returned something without an update_id"),
            }
        }
        let mut conn = self.pool.get().await?;
        match inbox::store_polled(&mut conn, fence, &incoming).await? {
            inbox::StoreOutcome::Stored(new) => {
                tracing::debug!(fetched = incoming.len(), new, "updates stored");
                self.stored.notify_one();
                Ok(Some(next))
            }
            inbox::StoreOutcome::Fenced => {
                tracing::warn!(
                    epoch = fence.epoch,
                    "polled updates refused: the poller lease moved on"
                );
                Ok(None)
            }
        }
    }
}

/// `{api}/bot{token}/{method}`. The result contains the token: never log it.
pub fn method_url(api: &Url, token: &Secret, method: &str) -> Url {
    let mut url = api.clone();
    let base = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{base}/bot{}/{method}", token.0));
    url
}

fn next_backoff(current: Duration) -> Duration {
    if current.is_zero() {
        Duration::from_millis(100)
    } else {
        (current * 2).min(Duration::from_secs(5))
    }
}

async fn sleep_or_stop(stop: &CancellationToken, wait: Duration) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(wait) => {}
    }
}

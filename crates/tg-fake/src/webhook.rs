//! Webhook push mode: `setWebhook`, `deleteWebhook` and `getWebhookInfo` with Telegram's checks,
//! and the background delivery of pending updates as Telegram makes it: one `POST` of JSON per
//! update, one chat's updates strictly in sequence, chats in parallel up to `max_connections`
//! requests, a refused or failed request retried with back-off before any later update of its
//! chat, and an update confirmed (removed from the queue) only by a 2xx answer.
//!
//! It must never hold the state lock across a request, never confirm an update without a 2xx,
//! and never connect anywhere but a loopback address or a target a test set: a webhook
//! registered elsewhere (a production URL) is recorded, and its updates wait for
//! [`FakeTelegram::set_webhook_targets`]. The only pause it takes is the retry back-off.

use std::{
    collections::HashSet,
    error::Error as _,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;
use url::{Host, Url};

use crate::{
    fake::FakeTelegram,
    state::{Shared, State},
    types::WebhookDelivery,
    wire::{ApiFailure, ApiResult, Params, unix_now},
};

/// Telegram's default `max_connections`.
const DEFAULT_MAX_CONNECTIONS: i64 = 40;
/// The header that carries `secret_token`.
const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";
/// The longest `secret_token`.
const MAX_SECRET: usize = 256;

/// The webhook in force.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    /// The URL as the bot gave it (`getWebhookInfo` answers it unchanged).
    pub url_text: String,
    pub url: Url,
    pub secret: Option<String>,
    pub max_connections: usize,
    /// The `setWebhook` parameters as sent.
    pub params: Value,
}

/// How deliveries retry and time out (from `FakeConfig`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    pub first_pause: Duration,
    pub max_pause: Duration,
    pub request_timeout: Duration,
}

/// What orders an update's delivery: one chat's updates go one after another; an update with
/// no chat goes alone (by its queue entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Lane {
    Chat(i64),
    Alone(u64),
}

impl Lane {
    fn of(body: &Value, seq: u64) -> Self {
        let chat_of = |m: &Value| m["chat"]["id"].as_i64();
        let chat = body
            .get("message")
            .or_else(|| body.get("edited_message"))
            .and_then(chat_of)
            .or_else(|| {
                let query = body.get("callback_query")?;
                query
                    .get("message")
                    .and_then(chat_of)
                    .or_else(|| query["from"]["id"].as_i64())
            })
            .or_else(|| body.get("pre_checkout_query")?["from"]["id"].as_i64());
        chat.map_or(Self::Alone(seq), Self::Chat)
    }

    fn chat(self) -> Option<i64> {
        match self {
            Self::Chat(id) => Some(id),
            Self::Alone(_) => None,
        }
    }
}

/// Delivery bookkeeping, part of the fake's state.
#[derive(Debug, Default)]
pub(crate) struct PushState {
    /// Bumped by every `setWebhook` and `deleteWebhook`: deliveries begun under an older one
    /// stop retrying.
    generation: u64,
    /// Test targets that replace the registered URL, round-robin per request.
    targets: Vec<Url>,
    next_target: usize,
    /// Lanes with an update being delivered (sent, or waiting to be retried).
    busy: HashSet<Lane>,
    /// Deliveries under way (one per busy lane), at most the webhook's `max_connections`.
    in_flight: usize,
    deliveries: Vec<WebhookDelivery>,
    confirmed: HashSet<i64>,
    /// (Unix time, message) of the last failed request, for `getWebhookInfo`.
    last_error: Option<(i64, String)>,
}

/// One update being delivered.
struct Job {
    seq: u64,
    update_id: i64,
    lane: Lane,
    body: Value,
    generation: u64,
}

// ---- the methods ---------------------------------------------------------------------------

/// `setWebhook`: checks `url`, `secret_token`, `max_connections` (clamped into 1–100 as
/// Telegram does) and `allowed_updates`, then starts pushing. An empty `url` removes the webhook.
pub(crate) fn set_webhook(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    let url_text = p.text("url").unwrap_or_default().trim().to_owned();
    if url_text.is_empty() {
        return delete_webhook(st, p);
    }
    let url = check_url(&url_text)?;
    let secret = check_secret(p)?;
    let max_connections = p
        .int("max_connections")
        .unwrap_or(DEFAULT_MAX_CONNECTIONS)
        .clamp(1, 100);
    if let Some(list) = p
        .structured("allowed_updates")
        .and_then(|v| v.as_array().cloned())
    {
        let list: Vec<String> = list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        st.allowed_updates = (!list.is_empty()).then_some(list);
    }
    if p.flag("drop_pending_updates") {
        st.queue.clear();
    }
    st.webhook = Some(Webhook {
        url_text,
        url,
        secret,
        max_connections: usize::try_from(max_connections).unwrap_or(1),
        params: Value::Object(p.clone()),
    });
    st.push.generation += 1;
    st.push.last_error = None;
    Ok(json!(true))
}

/// `deleteWebhook`: stops pushing (retries end; a request already sent may still confirm its
/// update); `drop_pending_updates` forgets the queue.
pub(crate) fn delete_webhook(st: &mut State, p: &Map<String, Value>) -> ApiResult {
    if p.flag("drop_pending_updates") {
        st.queue.clear();
    }
    st.webhook = None;
    st.push.generation += 1;
    st.push.last_error = None;
    Ok(json!(true))
}

/// `getWebhookInfo`.
pub(crate) fn webhook_info(st: &State) -> Value {
    let mut info =
        json!({"url": "", "has_custom_certificate": false, "pending_update_count": st.queue.len()});
    if let Some(hook) = &st.webhook {
        info["url"] = json!(hook.url_text);
        info["max_connections"] = json!(hook.max_connections);
        if let Some(list) = &st.allowed_updates {
            info["allowed_updates"] = json!(list);
        }
        if let Some((date, message)) = &st.push.last_error {
            info["last_error_date"] = json!(date);
            info["last_error_message"] = json!(message);
        }
    }
    info
}

/// Telegram wants HTTPS on ports 80, 88, 443 or 8443. The fake also takes any `http://` or
/// `https://` URL of a loopback host, so tests can receive on `http://127.0.0.1:<port>`.
fn check_url(text: &str) -> Result<Url, ApiFailure> {
    let invalid = || ApiFailure::bad_request("invalid webhook URL specified");
    let url = Url::parse(text).map_err(|_| invalid())?;
    if url.host().is_none() {
        return Err(invalid());
    }
    match url.scheme() {
        "http" | "https" if is_loopback(&url) => Ok(url),
        "https" if matches!(url.port_or_known_default(), Some(80 | 88 | 443 | 8443)) => Ok(url),
        "https" => Err(ApiFailure::bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        )),
        "http" => Err(ApiFailure::bad_request(
            "bad webhook: HTTPS url must be provided for webhook",
        )),
        _ => Err(invalid()),
    }
}

/// `secret_token`: up to 256 characters of `A-Za-z0-9_-`; empty means none.
fn check_secret(p: &Map<String, Value>) -> Result<Option<String>, ApiFailure> {
    let secret = match p.get("secret_token") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if secret.is_empty() {
        return Ok(None);
    }
    if secret.len() > MAX_SECRET {
        return Err(ApiFailure::bad_request("secret token is too long"));
    }
    if !secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ApiFailure::bad_request(
            "secret token contains unallowed characters",
        ));
    }
    Ok(Some(secret))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

// ---- the state's side ----------------------------------------------------------------------

impl State {
    /// The updates to send now, their lanes marked busy: the first pending update of every
    /// lane not busy, in queue order, while fewer than `max_connections` are under way.
    /// Updates of types the bot did not allow are dropped first (the flag says if any was).
    fn take_push_jobs(&mut self) -> (Vec<Job>, bool) {
        let Some(hook) = &self.webhook else {
            return (Vec::new(), false);
        };
        if self.push.targets.is_empty() && !is_loopback(&hook.url) {
            return (Vec::new(), false);
        }
        let room = hook.max_connections.saturating_sub(self.push.in_flight);
        if room == 0 {
            return (Vec::new(), false);
        }
        let dropped = self.drop_disallowed();
        let mut jobs = Vec::new();
        let mut passed = HashSet::new();
        for update in &self.queue {
            if jobs.len() >= room {
                break;
            }
            let lane = Lane::of(&update.body, update.seq);
            if !passed.insert(lane) || self.push.busy.contains(&lane) {
                continue;
            }
            jobs.push(Job {
                seq: update.seq,
                update_id: update.id,
                lane,
                body: update.body.clone(),
                generation: self.push.generation,
            });
        }
        self.push.busy.extend(jobs.iter().map(|j| j.lane));
        self.push.in_flight += jobs.len();
        (jobs, dropped)
    }

    /// Where to send the next request of a job and with which secret; `None` once the webhook
    /// changed, the update is gone, or there is nowhere local to send it.
    fn push_target(&mut self, job: &Job) -> Option<(Url, Option<String>)> {
        if self.push.generation != job.generation || !self.queue.iter().any(|u| u.seq == job.seq) {
            return None;
        }
        let hook = self.webhook.as_ref()?;
        let url = if self.push.targets.is_empty() {
            is_loopback(&hook.url).then(|| hook.url.clone())?
        } else {
            let at = self.push.next_target % self.push.targets.len();
            self.push.next_target = self.push.next_target.wrapping_add(1);
            self.push.targets[at].clone()
        };
        Some((url, hook.secret.clone()))
    }

    /// Notes one request: a 2xx confirms the update, anything else is the last error.
    fn record_delivery(&mut self, job: &Job, delivery: WebhookDelivery, error: Option<String>) {
        if delivery.ok() {
            self.queue.retain(|u| u.seq != job.seq);
            self.push.confirmed.insert(job.update_id);
        } else if let Some(message) = error {
            self.push.last_error = Some((unix_now(), message));
        }
        if self.record_calls {
            self.push.deliveries.push(delivery);
        }
    }

    fn finish_job(&mut self, job: &Job) {
        self.push.busy.remove(&job.lane);
        self.push.in_flight = self.push.in_flight.saturating_sub(1);
    }
}

// ---- delivery ------------------------------------------------------------------------------

/// The delivery loop, for the fake's lifetime: on every change of the state, starts a task
/// for each update that may go now. Aborting it aborts the deliveries under way.
pub(crate) async fn run(shared: Arc<Shared>, policy: RetryPolicy) {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(policy.request_timeout)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for webhook deliveries");
            return;
        }
    };
    let mut tasks = JoinSet::new();
    let mut changes = shared.changes.subscribe();
    loop {
        changes.borrow_and_update();
        let (jobs, dropped) = shared.quietly(State::take_push_jobs);
        if !jobs.is_empty() || dropped {
            // Tell waiters (pending updates, deliveries in flight); wakes this loop once more.
            shared.update(|_| ());
        }
        for job in jobs {
            tasks.spawn(deliver(Arc::clone(&shared), client.clone(), job, policy));
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// Sends one update until a 2xx, pausing between tries (doubling up to the policy's longest),
/// or until the webhook changes.
async fn deliver(shared: Arc<Shared>, client: reqwest::Client, job: Job, policy: RetryPolicy) {
    let body = serde_json::to_vec(&job.body).unwrap_or_default();
    let mut pause = policy.first_pause;
    let mut attempt = 0;
    while let Some((url, secret)) = shared.quietly(|st| st.push_target(&job)) {
        attempt += 1;
        let at = Instant::now();
        let mut request = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        if let Some(secret) = &secret {
            request = request.header(SECRET_HEADER, secret);
        }
        let (status, error, last_error) = match request.send().await {
            Ok(response) => {
                let status = response.status();
                // Telegram reads (and may run) a method in the answer; the fake ignores it.
                let _ = response.bytes().await;
                let message = format!(
                    "Wrong response from the webhook: {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or_default()
                );
                (Some(status.as_u16()), None, message)
            }
            Err(e) => {
                let message = if e.is_timeout() {
                    "Read timeout expired".to_owned()
                } else if e.is_connect() {
                    "Connection refused".to_owned()
                } else {
                    e.to_string()
                };
                (None, Some(error_chain(&e)), message)
            }
        };
        let delivery = WebhookDelivery {
            update_id: job.update_id,
            chat_id: job.lane.chat(),
            url,
            status,
            error,
            attempt,
            at,
            answered_at: Instant::now(),
        };
        let ok = delivery.ok();
        tracing::debug!(
            update_id = job.update_id,
            attempt,
            ?status,
            "webhook delivery"
        );
        shared.update(|st| st.record_delivery(&job, delivery, (!ok).then_some(last_error)));
        if ok || !pause_before_retry(&shared, job.generation, pause).await {
            break;
        }
        pause = pause.saturating_mul(2).min(policy.max_pause);
    }
    shared.update(|st| st.finish_job(&job));
}

/// Waits `pause`; `false` if the webhook changed meanwhile (no retry then).
async fn pause_before_retry(shared: &Shared, generation: u64, pause: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + pause;
    let mut changes = shared.changes.subscribe();
    loop {
        changes.borrow_and_update();
        if shared.read(|st| st.push.generation != generation) {
            return false;
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return false },
            () = tokio::time::sleep_until(deadline) => return true,
        }
    }
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// A line about the webhook for a failure dump, if one is set.
pub(crate) fn dump_line(st: &State) -> Option<String> {
    let hook = st.webhook.as_ref()?;
    let last_error = st
        .push
        .last_error
        .as_ref()
        .map_or("none", |(_, m)| m.as_str());
    Some(format!(
        "webhook {} ({} targets): {} deliveries, {} in flight, last error: {last_error}\n",
        hook.url_text,
        st.push.targets.len(),
        st.push.deliveries.len(),
        st.push.in_flight,
    ))
}

// ---- the handle ----------------------------------------------------------------------------

impl FakeTelegram {
    /// Delivers webhook requests to these URLs, round-robin per request (a retry goes to the
    /// next one), instead of the URL the bot registered: a load balancer in front of several
    /// instances. The registered URL and secret stay what the bot set (`getWebhookInfo`
    /// answers them). An empty list delivers to the registered URL again, if it is local.
    pub fn set_webhook_targets(&self, targets: Vec<Url>) {
        self.shared().update(|st| {
            st.push.targets = targets;
            st.push.next_target = 0;
        });
    }

    /// Every webhook request made so far, in the order they ended (none are recorded while
    /// [`FakeTelegram::set_record_calls`] is off).
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared().read(|st| st.push.deliveries.clone())
    }

    /// Whether a webhook request delivered this update with a 2xx answer.
    pub fn webhook_confirmed(&self, update_id: i64) -> bool {
        self.shared()
            .read(|st| st.push.confirmed.contains(&update_id))
    }

    /// How many updates are being delivered now (a request sent, or waiting to be retried).
    pub fn webhook_in_flight(&self) -> usize {
        self.shared().read(|st| st.push.in_flight)
    }

    /// Waits until a webhook request delivered the update with a 2xx answer.
    pub async fn wait_webhook_confirmed(
        &self,
        update_id: i64,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        self.wait_for(timeout, |fake| {
            fake.webhook_confirmed(update_id).then_some(())
        })
        .await
        .with_context(|| format!("no webhook delivery of update {update_id} was answered 2xx"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_follow_the_chat() {
        let message = json!({"update_id": 1, "message": {"chat": {"id": 7}}});
        assert_eq!(Lane::of(&message, 1), Lane::Chat(7));
        let press = json!({"callback_query": {"from": {"id": 8}, "message": {"chat": {"id": 9}}}});
        assert_eq!(Lane::of(&press, 2), Lane::Chat(9));
        let inline_press = json!({"callback_query": {"from": {"id": 8}}});
        assert_eq!(Lane::of(&inline_press, 3), Lane::Chat(8));
        let pre_checkout = json!({"pre_checkout_query": {"from": {"id": 5}}});
        assert_eq!(Lane::of(&pre_checkout, 4), Lane::Chat(5));
        assert_eq!(Lane::of(&json!({"poll": {}}), 5), Lane::Alone(5));
    }

    #[test]
    fn urls_are_checked_like_telegram_but_loopback_is_allowed() {
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("http://localhost:1/").is_ok());
        assert!(check_url("http://[::1]:9/").is_ok());
        assert!(check_url("https://bot.example.com/hook").is_ok());
        assert!(check_url("https://bot.example.com:8443/hook").is_ok());
        let refused = |url: &str| check_url(url).unwrap_err().description;
        assert_eq!(
            refused("http://bot.example.com/hook"),
            "Bad Request: bad webhook: HTTPS url must be provided for webhook"
        );
        assert_eq!(
            refused("https://bot.example.com:8080/"),
            "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        );
        assert_eq!(
            refused("ftp://127.0.0.1/"),
            "Bad Request: invalid webhook URL specified"
        );
        assert_eq!(
            refused("not a url"),
            "Bad Request: invalid webhook URL specified"
        );
    }

    #[test]
    fn secrets_are_checked_like_telegram() {
        let check = |secret: Value| {
            let mut p = Map::new();
            p.insert("secret_token".into(), secret);
            check_secret(&p).map_err(|f| f.description)
        };
        assert_eq!(check(json!("Ab9_-")), Ok(Some("Ab9_-".into())));
        assert_eq!(check(json!("")), Ok(None));
        assert_eq!(
            check(json!("x".repeat(256))).map(|s| s.map(|s| s.len())),
            Ok(Some(256))
        );
        assert_eq!(
            check(json!("x".repeat(257))),
            Err("Bad Request: secret token is too long".into())
        );
        for bad in ["a b", "a:b", "a+b/c=", "секрет"] {
            assert_eq!(
                check(json!(bad)),
                Err("Bad Request: secret token contains unallowed characters".into())
            );
        }
    }
}

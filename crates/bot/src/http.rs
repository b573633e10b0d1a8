//! The HTTP server every instance runs (LISTEN): `/healthz`, `/readyz`, `/metrics`, Kie's
//! callbacks and, in webhook mode, Telegram's updates.
//!
//! # The webhook
//! `POST /telegram/webhook`. The path is not a secret and never contains the token; the
//! `X-Telegram-Bot-Api-Secret-Token` header is compared with WEBHOOK_SECRET in constant time
//! (401 without it: nothing is stored). 200 only once the update is committed to the inbox; 503
//! when the database is unreachable or the instance is stopping, so Telegram delivers it again
//! (to this or another instance). A body that is not an update answers 400.
//!
//! # Health
//! - `/healthz`: the process is alive and the database was migrated (the server only starts
//!   after the migrations). Standbys answer 200 too: a platform's health check must not kill
//!   them.
//! - `/readyz`: the database answers and the registry is loaded; 503 while stopping.
//!
//! This module must never answer 200 to Telegram for an update it did not store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use subtle::ConstantTimeEq;
use tokio::sync::Notify;

use crate::config::Secret;
use crate::metrics::Metrics;

/// The webhook's path (public, not a secret).
pub const WEBHOOK_PATH: &str = "/telegram/webhook";

/// What the routes share.
#[derive(Clone)]
pub struct HttpState {
    /// The pool.
    pub pool: ledger::Pool,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Set when a stop begins.
    pub stopping: Arc<AtomicBool>,
    /// Models loaded from the registry.
    pub models: usize,
    /// The webhook secret (webhook mode only; without it the route is not mounted).
    pub webhook_secret: Option<Secret>,
    /// Woken when an update is stored.
    pub stored: Arc<Notify>,
    /// The bot (for scrape-time figures).
    pub bot: bot_ui::UiBot,
    /// The poller lease's name (for the metrics).
    pub lease_name: String,
}

/// The router: health, metrics, webhook (if configured), plus `extra` (Kie's callbacks).
pub fn router(state: HttpState, extra: Router) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    if state.webhook_secret.is_some() {
        router = router.route(WEBHOOK_PATH, post(webhook));
    }
    router.with_state(state).merge(extra)
}

/// Every database probe behind an HTTP answer gives up after this long.
const PROBE: Duration = Duration::from_secs(2);

async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if state.stopping.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping");
    }
    if state.models == 0 {
        return (StatusCode::SERVICE_UNAVAILABLE, "no models loaded");
    }
    // A pool checkout plus one round trip (no transaction: a time-out drops nothing open).
    let probe = async {
        let mut conn = state.pool.get().await.ok()?;
        inbox::depth(&mut conn).await.ok()
    };
    match tokio::time::timeout(PROBE, probe).await {
        Ok(Some(_)) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

async fn metrics(State(state): State<HttpState>) -> (StatusCode, HeaderMap, String) {
    let m = &state.metrics;
    m.telegram_messages.set(state.bot.messages_sent());
    m.telegram_429s.set(tg_kit::retry_afters());
    let figures = async {
        let mut conn = state.pool.get().await.ok()?;
        let depth = inbox::depth(&mut conn).await.ok()?;
        let jobs = ledger::stats::jobs_by_state(&mut conn).await.ok()?;
        let money = ledger::stats::money_totals(&mut conn).await.ok()?;
        let lease = lock::holder_of(&mut conn, &state.lease_name).await.ok()?;
        Some((depth, jobs, money, lease))
    };
    if let Ok(Some((depth, jobs, money, lease))) = tokio::time::timeout(PROBE, figures).await {
        m.inbox_depth.set(depth);
        for (state, n) in jobs {
            m.jobs
                .get_or_create(&crate::metrics::StateLabel { state })
                .set(n);
        }
        let kopecks = |d: rust_decimal::Decimal| {
            i64::try_from((d * rust_decimal::Decimal::ONE_HUNDRED).trunc().mantissa())
                .unwrap_or(i64::MAX)
        };
        m.money_held_kopecks.set(kopecks(money.held));
        m.money_charged_kopecks.set(kopecks(money.charged));
        if let Some(lease) = lease {
            m.poller_lease_epoch.set(lease.epoch);
        }
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    (StatusCode::OK, headers, m.encode())
}

/// The header Telegram sends the secret in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

async fn webhook(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(secret) = &state.webhook_secret else {
        return StatusCode::NOT_FOUND;
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(secret.0.as_bytes())) {
        Metrics::count(&state.metrics.webhook, "unauthorized");
        return StatusCode::UNAUTHORIZED;
    }
    if state.stopping.load(Ordering::SeqCst) {
        Metrics::count(&state.metrics.webhook, "stopping");
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let Some(update) = serde_json::from_slice(&body).ok().and_then(inbox::describe) else {
        Metrics::count(&state.metrics.webhook, "malformed");
        return StatusCode::BAD_REQUEST;
    };
    // Single statements: a time-out here drops no open transaction.
    let stored = tokio::time::timeout(Duration::from_secs(5), async {
        let mut conn = state.pool.get().await.ok()?;
        inbox::store(&mut conn, &update).await.ok()
    })
    .await;
    match stored {
        Ok(Some(new)) => {
            Metrics::count(
                &state.metrics.webhook,
                if new { "stored" } else { "duplicate" },
            );
            state.stored.notify_one();
            StatusCode::OK
        }
        _ => {
            tracing::warn!(
                update_id = update.update_id,
                "webhook update not stored (database unavailable): 503, Telegram retries"
            );
            Metrics::count(&state.metrics.webhook, "unavailable");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

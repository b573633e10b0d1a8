//! The inbox's consumer on this instance: claims lane heads, runs each through the handler
//! tree, and reports them done in the next claim (one round trip per cycle).
//!
//! # Rules
//! - At most `concurrency` updates run at once; one chat's updates never overlap (the claim
//!   hands out lane heads only) and run in `update_id` order.
//! - Claims are leased and renewed while their handler runs; if this process dies, the lease
//!   lapses and another instance handles the update. The one window where an update can be
//!   handled twice is a crash after its handler finished and before the next claim recorded it
//!   done — milliseconds, and the handlers' own idempotency keys (payments, jobs) keep money
//!   exact even then.
//! - A stop ([`Handling::run`]'s token) claims nothing more, lets running handlers finish
//!   until the deadline, then aborts the rest and hands their updates back at once.
//! - A database failure never loses a finished update's "done": it is kept and sent with the
//!   next claim.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::UpdateHandler;
use teloxide::types::Update;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// How long a claim lasts without renewal.
const CLAIM_LEASE: Duration = Duration::from_secs(15);
/// Running claims are renewed this often.
const RENEW_EVERY: Duration = Duration::from_secs(4);
/// With no news, look at the inbox this often (other instances' stores, lapsed claims).
const IDLE_LOOK: Duration = Duration::from_millis(500);

/// The consumer's parts.
pub struct Handling {
    /// This instance's worker name.
    pub worker: String,
    /// The pool.
    pub pool: ledger::Pool,
    /// The handler tree.
    pub handler: Arc<UpdateHandler<anyhow::Error>>,
    /// What handlers get injected besides the update (see `tree::schema`).
    pub deps: dptree::di::DependencyMap,
    /// Woken when this instance stored updates.
    pub stored: Arc<Notify>,
    /// Updates at once.
    pub concurrency: usize,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

struct Finished {
    update_id: i64,
    ok: bool,
}

impl Handling {
    /// Runs until `stop`, then drains within `deadline`.
    pub async fn run(self, stop: CancellationToken, deadline: Duration) {
        let (finished_tx, mut finished_rx) = mpsc::unbounded_channel::<Finished>();
        let mut running: JoinSet<()> = JoinSet::new();
        let mut tasks: HashMap<tokio::task::Id, i64> = HashMap::new();
        let mut done: Vec<i64> = Vec::new();
        let mut failed: Vec<i64> = Vec::new();
        let mut last_renew = tokio::time::Instant::now();
        let mut backoff = Duration::ZERO;
        while !stop.is_cancelled() {
            while let Ok(f) = finished_rx.try_recv() {
                if f.ok {
                    done.push(f.update_id)
                } else {
                    failed.push(f.update_id)
                }
            }
            reap(&mut running, &mut tasks, &mut failed);
            let renew_now = last_renew.elapsed() >= RENEW_EVERY;
            let renew: Vec<i64> = if renew_now {
                tasks.values().copied().collect()
            } else {
                Vec::new()
            };
            let room = self.concurrency.saturating_sub(running.len());
            match self.claim(&done, &failed, &renew, room).await {
                Ok(claimed) => {
                    backoff = Duration::ZERO;
                    done.clear();
                    failed.clear();
                    if renew_now {
                        last_renew = tokio::time::Instant::now();
                    }
                    for update in claimed {
                        let id = update.update_id;
                        tracing::debug!(update_id = id, "claimed");
                        let handle = running.spawn(self.handle(update, finished_tx.clone()));
                        tasks.insert(handle.id(), id);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claiming updates failed");
                    backoff =
                        (backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(2));
                }
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.stored.notified(), if backoff.is_zero() => {}
                Some(f) = finished_rx.recv() => {
                    if f.ok { done.push(f.update_id) } else { failed.push(f.update_id) }
                }
                () = tokio::time::sleep(if backoff.is_zero() { IDLE_LOOK } else { backoff }) => {}
            }
        }
        self.drain(running, tasks, finished_rx, done, failed, deadline)
            .await;
    }

    async fn claim(
        &self,
        done: &[i64],
        failed: &[i64],
        renew: &[i64],
        room: usize,
    ) -> anyhow::Result<Vec<inbox::Claimed>> {
        if done.is_empty() && failed.is_empty() && renew.is_empty() && room == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        Ok(inbox::claim(
            &mut conn,
            &self.worker,
            done,
            failed,
            renew,
            room,
            CLAIM_LEASE,
        )
        .await?)
    }

    /// Runs one update through the handler tree.
    fn handle(
        &self,
        claimed: inbox::Claimed,
        finished: mpsc::UnboundedSender<Finished>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let handler = self.handler.clone();
        let mut deps = self.deps.clone();
        let metrics = self.metrics.clone();
        async move {
            let waited = (chrono::Utc::now() - claimed.received_at)
                .to_std()
                .unwrap_or_default();
            metrics.waiting_seconds.observe(waited.as_secs_f64());
            let started = std::time::Instant::now();
            let kind = claimed.kind.clone();
            let span = tracing::info_span!("update", update_id = claimed.update_id, chat_id = claimed.lane, kind = %kind);
            let outcome = {
                let _enter = span.enter();
                // From text, not from the `Value`: teloxide's `UpdateKind` reads its key as a
                // borrowed `&str`, which an owned `Value` cannot lend (the update would come
                // out as `UpdateKind::Error`).
                match serde_json::from_str::<Update>(&claimed.payload.to_string()) {
                    Ok(update) => Some(update),
                    Err(e) => {
                        tracing::warn!(error = %e, "an update teloxide cannot read; set aside");
                        None
                    }
                }
            };
            let ok = match outcome {
                None => false,
                Some(update) => {
                    deps.insert(update);
                    let result =
                        tracing::Instrument::instrument(handler.dispatch(deps), span.clone()).await;
                    match result {
                        std::ops::ControlFlow::Break(Ok(())) => true,
                        std::ops::ControlFlow::Break(Err(e)) => {
                            let _enter = span.enter();
                            tracing::error!(error = format!("{e:#}"), "handler error");
                            true
                        }
                        // No branch wanted it (a group message, a bot): handled by ignoring.
                        std::ops::ControlFlow::Continue(_) => {
                            let _enter = span.enter();
                            tracing::debug!("no handler wanted this update");
                            true
                        }
                    }
                }
            };
            metrics
                .handling_seconds
                .observe(started.elapsed().as_secs_f64());
            metrics.update_handled(&kind, if ok { "ok" } else { "failed" });
            let _ = finished.send(Finished {
                update_id: claimed.update_id,
                ok,
            });
        }
    }

    /// After a stop: lets running handlers finish until `deadline`, records what finished,
    /// hands back what did not.
    async fn drain(
        &self,
        mut running: JoinSet<()>,
        mut tasks: HashMap<tokio::task::Id, i64>,
        mut finished_rx: mpsc::UnboundedReceiver<Finished>,
        mut done: Vec<i64>,
        mut failed: Vec<i64>,
        deadline: Duration,
    ) {
        let in_flight = running.len();
        let until = tokio::time::Instant::now() + deadline;
        while !running.is_empty() {
            match tokio::time::timeout_at(until, running.join_next_with_id()).await {
                Ok(Some(Ok((id, ())))) => {
                    tasks.remove(&id);
                }
                Ok(Some(Err(e))) => {
                    if let Some(update) = tasks.remove(&e.id()) {
                        failed.push(update);
                    }
                }
                Ok(None) | Err(_) => break,
            }
        }
        running.abort_all();
        while let Ok(f) = finished_rx.try_recv() {
            tasks.retain(|_, id| *id != f.update_id);
            if f.ok {
                done.push(f.update_id)
            } else {
                failed.push(f.update_id)
            }
        }
        let unfinished: Vec<i64> = tasks.values().copied().collect();
        if let Err(e) = self.claim(&done, &failed, &[], 0).await {
            tracing::warn!(error = %e, "recording the last handled updates failed; their claims lapse and they run again");
        }
        if !unfinished.is_empty() {
            match self.pool.get().await {
                Ok(mut conn) => match inbox::release(&mut conn, &self.worker, &unfinished).await {
                    Ok(n) => tracing::warn!(
                        updates = n,
                        "stop deadline passed: unfinished updates handed back"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "handing back updates failed; their claims lapse")
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "handing back updates failed; their claims lapse")
                }
            }
        }
        tracing::info!(
            in_flight,
            unfinished = unfinished.len(),
            "update handling stopped"
        );
    }
}

/// Collects finished handler tasks; a panicked one's update is recorded as failed.
fn reap(
    running: &mut JoinSet<()>,
    tasks: &mut HashMap<tokio::task::Id, i64>,
    failed: &mut Vec<i64>,
) {
    while let Some(result) = running.try_join_next_with_id() {
        match result {
            Ok((id, ())) => {
                tasks.remove(&id);
            }
            Err(e) => {
                if let Some(update) = tasks.remove(&e.id()) {
                    tracing::error!(update_id = update, "a handler panicked");
                    failed.push(update);
                }
            }
        }
    }
}

//! [`LeaseKeeper`]: a task that takes the lease when it is free, renews it while held, and
//! tells the rest of the process through a [`LeaseWatch`] whether — and until when — it may
//! act as the holder.
//!
//! It uses a connection of its own, not the pool: a pool starved by busy handlers must not
//! delay a renewal into a lost lease. Every statement is bounded (a statement timeout in SQL
//! and a time-out around the call; no transaction is ever open), and a connection that failed
//! or timed out is dropped and opened anew.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::lease::{self, Fence, LeaseConfig, LeaseError};

/// The lease while held: its fence and the local instant until which it may be trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// What writes under the lease carry.
    pub fence: Fence,
    /// After this instant the lease may have expired in the database: act no more.
    pub valid_until: Instant,
}

impl Held {
    /// How long the lease may still be trusted (zero once past).
    pub fn remaining(&self) -> Duration {
        self.valid_until.saturating_duration_since(Instant::now())
    }
}

/// Read side of the keeper: is the lease held now?
#[derive(Clone, Debug)]
pub struct LeaseWatch(watch::Receiver<Option<Held>>);

impl LeaseWatch {
    /// The lease if it is held and still within its local deadline.
    pub fn current(&self) -> Option<Held> {
        self.0
            .borrow()
            .clone()
            .filter(|held| Instant::now() < held.valid_until)
    }

    /// Waits for the keeper to publish a change (acquired, renewed, lost, released). Returns
    /// at once if the keeper has stopped.
    pub async fn changed(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The running keeper.
pub struct LeaseKeeper {
    stop: CancellationToken,
    lost: mpsc::UnboundedSender<Fence>,
    task: JoinHandle<()>,
}

impl LeaseKeeper {
    /// Starts keeping `config.name` for `config.holder` on its own connection to `database_url`.
    pub fn spawn(database_url: String, config: LeaseConfig) -> (LeaseKeeper, LeaseWatch) {
        let (publish, watch) = watch::channel(None);
        let (lost, lost_rx) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        let keeper = Keeper {
            url: database_url,
            config,
            conn: None,
            held: None,
            publish,
        };
        let task = tokio::spawn(keeper.run(stop.clone(), lost_rx));
        (LeaseKeeper { stop, lost, task }, LeaseWatch(watch))
    }

    /// A write under `fence` was refused (the database says the lease is gone): stop trusting
    /// it now instead of at the next renewal.
    pub fn report_lost(&self, fence: Fence) {
        let _ = self.lost.send(fence);
    }

    /// Stops keeping the lease and releases it if held, without waiting (see [`Self::stop`]).
    pub fn cancel(&self) {
        self.stop.cancel();
    }

    /// Stops keeping the lease and releases it if held, so a standby takes over at once.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

struct Keeper {
    url: String,
    config: LeaseConfig,
    conn: Option<AsyncPgConnection>,
    held: Option<Held>,
    publish: watch::Sender<Option<Held>>,
}

/// Every lease statement is this fast or treated as failed.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(2);

impl Keeper {
    async fn run(mut self, stop: CancellationToken, mut lost: mpsc::UnboundedReceiver<Fence>) {
        let mut wait = Duration::ZERO;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                Some(fence) = lost.recv() => {
                    if self.held.as_ref().is_some_and(|h| h.fence == fence) {
                        tracing::warn!(epoch = fence.epoch, "poller lease lost (a fenced write was refused)");
                        self.set(None);
                    }
                    continue;
                }
                () = tokio::time::sleep(wait) => {}
            }
            self.step().await;
            wait = if self.held.is_some() {
                self.config.renew_every
            } else {
                self.config.retry_every
            };
        }
        self.release().await;
    }

    async fn step(&mut self) {
        let sent = Instant::now();
        let valid_until = sent + self.config.ttl.saturating_sub(self.config.margin);
        let ttl = self.config.ttl;
        match self.held.clone() {
            Some(held) => {
                let fence = held.fence.clone();
                match self
                    .call(async |conn| lease::renew(conn, &fence, ttl).await)
                    .await
                {
                    Ok(true) => self.set(Some(Held { fence, valid_until })),
                    Ok(false) => {
                        tracing::warn!(
                            epoch = fence.epoch,
                            "poller lease lost (expired or taken over)"
                        );
                        self.set(None);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "renewing the poller lease failed");
                        if Instant::now() >= held.valid_until {
                            self.set(None);
                        }
                    }
                }
            }
            None => {
                let (name, holder) = (self.config.name.clone(), self.config.holder.clone());
                match self
                    .call(async |conn| lease::try_acquire(conn, &name, &holder, ttl).await)
                    .await
                {
                    Ok(Some(fence)) => {
                        tracing::info!(epoch = fence.epoch, holder = %fence.holder, "poller lease acquired");
                        self.set(Some(Held { fence, valid_until }));
                    }
                    Ok(None) => {}
                    Err(e) => tracing::debug!(error = %e, "acquiring the poller lease failed"),
                }
            }
        }
    }

    fn set(&mut self, held: Option<Held>) {
        self.held = held.clone();
        self.publish.send_replace(held);
    }

    /// Runs one statement on the keeper's connection, opening it if needed; a failure or a
    /// time-out drops the connection (no transaction is open, so dropping loses nothing).
    async fn call<T>(
        &mut self,
        statement: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, LeaseError>,
    ) -> Result<T, LeaseError> {
        if self.conn.is_none() {
            let connect = async {
                let mut conn = AsyncPgConnection::establish(&self.url)
                    .await
                    .map_err(|e| LeaseError::Connect(e.to_string()))?;
                conn.batch_execute("SET statement_timeout = '2s'")
                    .await
                    .map_err(LeaseError::Db)?;
                Ok::<_, LeaseError>(conn)
            };
            let conn = tokio::time::timeout(STATEMENT_TIMEOUT * 2, connect)
                .await
                .map_err(|_| LeaseError::Connect("timed out".into()))??;
            self.conn = Some(conn);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(LeaseError::Connect("no connection".into()));
        };
        let result = tokio::time::timeout(STATEMENT_TIMEOUT, statement(conn))
            .await
            .unwrap_or_else(|_| Err(LeaseError::Connect("statement timed out".into())));
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn release(&mut self) {
        let Some(held) = self.held.clone() else {
            return;
        };
        self.set(None);
        let fence = held.fence;
        match self
            .call(async |conn| lease::release(conn, &fence).await)
            .await
        {
            Ok(true) => tracing::info!(epoch = fence.epoch, "poller lease released"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "releasing the poller lease failed; it expires by itself")
            }
        }
    }
}

//! Membership: every instance heartbeats a row of `instances` (this crate's table), and learns
//! from the same statement how many instances are alive. Limits that belong to the whole
//! deployment (the bot token's 30 messages/s, the Kie key's windows) are divided by that count.
//!
//! A dead instance stops counting `ALIVE_FOR` after its last heartbeat; a clean stop removes
//! its row at once. Between a death and that moment the others are briefly too careful, never
//! too fast.

use std::time::Duration;

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::lease::LeaseError;

/// An instance counts as alive this long after its last heartbeat.
pub const ALIVE_FOR: Duration = Duration::from_secs(10);

#[derive(diesel::QueryableByName)]
struct Alive {
    #[diesel(sql_type = BigInt)]
    alive: i64,
}

/// Records a heartbeat of `name` and returns how many instances are alive (itself included).
pub async fn heartbeat(conn: &mut AsyncPgConnection, name: &str) -> Result<usize, LeaseError> {
    let row: Alive = diesel::sql_query(
        "WITH beat AS ( \
             INSERT INTO instances (name) VALUES ($1) \
             ON CONFLICT (name) DO UPDATE SET last_seen = clock_timestamp() RETURNING name) \
         SELECT 1 + count(*) AS alive FROM instances \
          WHERE last_seen > clock_timestamp() - make_interval(secs => $2 / 1000.0) \
            AND name NOT IN (SELECT name FROM beat)",
    )
    .bind::<Text, _>(name)
    .bind::<BigInt, _>(i64::try_from(ALIVE_FOR.as_millis()).unwrap_or(i64::MAX))
    .get_result(conn)
    .await?;
    Ok(usize::try_from(row.alive).unwrap_or(1).max(1))
}

/// Removes `name` (a clean stop) and rows silent for a day.
pub async fn leave(conn: &mut AsyncPgConnection, name: &str) -> Result<(), LeaseError> {
    diesel::sql_query(
        "DELETE FROM instances WHERE name = $1 OR last_seen < clock_timestamp() - interval '1 day'",
    )
    .bind::<Text, _>(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// The running heartbeat: publishes the live count (1 until the database says otherwise).
pub struct Membership {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Membership {
    /// Heartbeats `name` every `every` on a connection of its own to `database_url`.
    pub fn spawn(
        database_url: String,
        name: String,
        every: Duration,
    ) -> (Membership, watch::Receiver<usize>) {
        let (publish, count) = watch::channel(1);
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut conn: Option<AsyncPgConnection> = None;
            loop {
                if conn.is_none() {
                    conn = connect(&database_url).await;
                }
                if let Some(c) = conn.as_mut() {
                    match tokio::time::timeout(Duration::from_secs(2), heartbeat(c, &name)).await {
                        Ok(Ok(alive)) => {
                            publish.send_if_modified(|n| std::mem::replace(n, alive) != alive);
                        }
                        _ => conn = None,
                    }
                }
                tokio::select! {
                    () = token.cancelled() => break,
                    () = tokio::time::sleep(every) => {}
                }
            }
            if let Some(c) = conn.as_mut()
                && let Err(e) = leave(c, &name).await
            {
                tracing::debug!(error = %e, "leaving the instance list failed; the row lapses");
            }
        });
        (Membership { stop, task }, count)
    }

    /// Stops heartbeating and removes this instance's row.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

async fn connect(url: &str) -> Option<AsyncPgConnection> {
    let connect = async {
        let mut conn = AsyncPgConnection::establish(url).await.ok()?;
        conn.batch_execute("SET statement_timeout = '2s'")
            .await
            .ok()?;
        Some(conn)
    };
    tokio::time::timeout(Duration::from_secs(4), connect)
        .await
        .ok()
        .flatten()
}

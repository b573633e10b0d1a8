//! The connection pool and the embedded migrations.
//!
//! Timeouts live in SQL (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`
//! set on every new connection), never in `tokio::time::timeout` around a query: a cancelled
//! future inside a transaction would leave it open on a pooled connection (diesel-async's docs).

use std::time::Duration;

use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::LedgerError;

/// The migrations in `migrations/` at the workspace root, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// A pool of PostgreSQL connections.
pub type Pool = diesel_async::pooled_connection::deadpool::Pool<AsyncPgConnection>;
/// A connection borrowed from a [`Pool`]; derefs to `AsyncPgConnection`.
pub type PooledConnection = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

/// Settings every pooled connection starts with. A money call takes milliseconds; these only
/// stop a stuck one from holding its locks for ever.
const SESSION_SETUP: &str = "SET statement_timeout = '30s'; \
     SET lock_timeout = '10s'; \
     SET idle_in_transaction_session_timeout = '60s'";

/// Builds a pool of up to `max_size` connections. Waiting for a free connection and opening a
/// new one each give up after 10 s with [`LedgerError::Pool`].
pub fn connect_pool(url: &str, max_size: usize) -> Result<Pool, LedgerError> {
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    // No `SELECT 1` round trip on every checkout (it was a third of the bot's statements per
    // update). A connection the server dropped fails its first statement, is then known broken
    // and is not reused; every money call is one statement, so nothing is left half-done.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(|url| {
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.batch_execute(SESSION_SETUP)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(max_size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| LedgerError::Pool(e.to_string()))
}

/// Applies every pending migration and returns the versions applied (none when up to date).
///
/// Runs the synchronous migration harness on a blocking thread, so it works on any Tokio
/// runtime. Migrations only ever add: none drops or rewrites data (a tidy test checks).
pub async fn migrate(url: &str) -> Result<Vec<String>, LedgerError> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            diesel::Connection::establish(&url)
                .map_err(|e| LedgerError::Migrations(format!("connecting: {e}")))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| LedgerError::Migrations(e.to_string()))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    })
    .await
    .map_err(|e| LedgerError::Migrations(format!("migration thread: {e}")))?
}

//! Test support: every data test gets its own PostgreSQL database, cloned from one migrated
//! template (the crates.io pattern), and dropped when the test ends.
//!
//! - The server comes from `TEST_DATABASE_URL`, else `DATABASE_URL`, else the local server at
//!   `postgres://postgres@127.0.0.1:5432/postgres`. `cargo xtask test` sets `TEST_DATABASE_URL`
//!   (starting a throwaway cluster when no server runs).
//! - The template is named after a fingerprint of `migrations/`, built once per fingerprint under
//!   an advisory lock (nextest runs tests as parallel processes), so a changed migration gets a
//!   fresh template and concurrent tests never see a half-migrated one.
//!
//! # What this crate must never do
//! Skip a test quietly: with no reachable server, [`TestDatabase::new`] panics with a message
//! that says how to get one. It is test support only: nothing in a shipped binary depends on it.
#![deny(missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The project's migrations, embedded from `migrations/` at the workspace root.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

const FINGERPRINT: &str = env!("MIGRATIONS_FINGERPRINT");
const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Prefix of every per-test database: `cargo xtask test` drops leftovers of killed runs by it.
pub const TEST_DB_PREFIX: &str = "kiebot_test_";
const TEMPLATE_PREFIX: &str = "kiebot_tpl_";

/// The URL of the server's maintenance database that tests create their databases from.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_SERVER.to_string())
}

/// `url` with its database name replaced by `db` (query parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A database of one test's own, dropped (`WITH (FORCE)`) when this value is dropped.
pub struct TestDatabase {
    name: String,
    url: String,
    server: String,
}

impl TestDatabase {
    /// Clones a fresh database from the migrated template.
    ///
    /// # Panics
    /// When the server cannot be reached or the template cannot be built: a data test must
    /// fail, never skip, without PostgreSQL.
    pub async fn new() -> TestDatabase {
        match Self::try_new().await {
            Ok(db) => db,
            Err(e) => panic!(
                "test database: {e}\n\
                 Data tests need PostgreSQL. Run them with `cargo xtask test` (it finds or starts a \
                 server), or set TEST_DATABASE_URL to a server where this user may CREATE DATABASE."
            ),
        }
    }

    async fn try_new() -> Result<TestDatabase, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let server = server_url();
        let template = ensure_template(&server).await?;
        let name = format!(
            "{TEST_DB_PREFIX}{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = connect(&server).await?;
        // Nobody ever connects to a finished template (it is renamed into place only once
        // migrated), so concurrent clones from it do not collide.
        // A killed run may have left a database under a reused process id.
        for sql in [
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""),
        ] {
            admin
                .batch_execute(&sql)
                .await
                .map_err(|e| format!("creating {name} from {template}: {e}"))?;
        }
        let url = with_database(&server, &name);
        Ok(TestDatabase { name, url, server })
    }

    /// The connection URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One new connection to this test's database.
    pub async fn connect(&self) -> AsyncPgConnection {
        connect(&self.url)
            .await
            .expect("connecting to the test database")
    }

    /// A pool of up to `max_size` connections to this test's database.
    pub fn pool(&self, max_size: usize) -> Pool<AsyncPgConnection> {
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(&self.url);
        Pool::builder(manager)
            .max_size(max_size)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(30)))
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .build()
            .expect("building the test pool")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on itself: a short-lived
        // thread with its own runtime drops the database.
        let server = self.server.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping the test database");
            rt.block_on(async {
                let mut admin = connect(&server).await?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(e)) | Err(e) = dropped.map_err(|_| "panicked".to_string()) {
            eprintln!("test database {}: could not drop it: {e}", self.name);
        }
    }
}

async fn connect(url: &str) -> Result<AsyncPgConnection, String> {
    AsyncPgConnection::establish(url).await.map_err(|e| {
        // The URL may carry a password: name only the server part.
        let shown = url.rsplit('@').next().unwrap_or(url);
        format!("cannot connect to PostgreSQL at {shown}: {e}")
    })
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
}

/// Builds the template for the current migrations once (per server), and returns its name.
async fn ensure_template(server: &str) -> Result<String, String> {
    let template = format!("{TEMPLATE_PREFIX}{FINGERPRINT}");
    let building = format!("{template}_building");
    let mut admin = connect(server).await?;
    let err = |what: &str| {
        let what = what.to_string();
        move |e: diesel::result::Error| format!("{what}: {e}")
    };
    // Session advisory lock: one process builds, the others wait and then find it built.
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(0x6b69_6562_6f74_7470)
        .execute(&mut admin)
        .await
        .map_err(err("locking the template"))?;
    let exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(&template)
            .get_result::<Exists>(&mut admin)
            .await
            .map_err(err("looking for the template"))?
            .exists;
    if !exists {
        // Templates of older migrations are garbage now.
        let stale: Vec<Name> = diesel::sql_query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'kiebot\\_tpl\\_%'",
        )
        .load(&mut admin)
        .await
        .map_err(err("listing old templates"))?;
        for old in stale {
            admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    old.datname
                ))
                .await
                .map_err(err("dropping an old template"))?;
        }
        // We hold the lock, so a half-built template here is a killed builder's: start over.
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await
            .map_err(err("dropping a half-built template"))?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .await
            .map_err(err("creating the template"))?;
        let building_url = with_database(server, &building);
        let migrated = tokio::task::spawn_blocking(move || -> Result<(), String> {
            let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
                diesel::Connection::establish(&building_url).map_err(|e| e.to_string())?;
            conn.run_pending_migrations(MIGRATIONS)
                .map(|_| ())
                .map_err(|e| format!("migrating the template: {e}"))
        })
        .await
        .map_err(|e| e.to_string())?;
        migrated?;
        // Renamed only once complete: a crash mid-migration leaves no half-built template.
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
            ))
            .await
            .map_err(err("renaming the template"))?;
    }
    diesel::sql_query("SELECT pg_advisory_unlock_all()")
        .execute(&mut admin)
        .await
        .map_err(err("unlocking the template"))?;
    Ok(template)
}

/// Drops the per-test databases whose test process is gone (`is_alive(pid)` false): leftovers
/// of killed runs. Databases of running tests are kept, so concurrent runs do not collide.
pub async fn drop_leftover_databases(
    server: &str,
    is_alive: impl Fn(u32) -> bool,
) -> Result<usize, String> {
    let mut admin = connect(server).await?;
    let found: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'kiebot\\_test\\_%'")
            .load(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
    let mut dropped = 0;
    for db in &found {
        let pid = db.datname[TEST_DB_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(&is_alive) {
            continue;
        }
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                db.datname
            ))
            .await
            .map_err(|e| e.to_string())?;
        dropped += 1;
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
    #[diesel(sql_type = Bool)]
    primary: bool,
}

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    child: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    parent: String,
}

/// Renders diesel's `schema.rs` for the migrated database behind `conn`, in the layout of
/// `diesel print-schema` (tables sorted, columns in table order, `joinable!` for single-column
/// foreign keys). `cargo xtask schema` writes it; a ledger test compares it with the committed
/// file. This replaces diesel_cli, which needs libpq. The tables of `lock`, `inbox` and `admin`
/// are left out: those crates own them and use their own SQL, never the ledger's schema.
pub async fn render_schema(conn: &mut AsyncPgConnection) -> Result<String, String> {
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_name::TEXT, c.column_name::TEXT, c.udt_name::TEXT, c.is_nullable = 'YES' AS nullable, \
                EXISTS (SELECT 1 FROM information_schema.key_column_usage k \
                        JOIN information_schema.table_constraints t USING (constraint_schema, constraint_name) \
                        WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema \
                          AND k.table_name = c.table_name AND k.column_name = c.column_name) AS primary \
         FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '__diesel_schema_migrations' \
           AND c.table_name NOT IN ('inbox_updates', 'poller_leases', 'instances', 'admins', 'admin_actions', 'broadcasts', 'broadcast_recipients') \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .load(conn)
    .await
    .map_err(|e| e.to_string())?;
    let keys: Vec<ForeignKey> = diesel::sql_query(
        "SELECT cl.relname::TEXT AS child, att.attname::TEXT AS column_name, pcl.relname::TEXT AS parent \
         FROM pg_constraint c \
         JOIN pg_class cl ON cl.oid = c.conrelid \
         JOIN pg_class pcl ON pcl.oid = c.confrelid \
         JOIN pg_attribute att ON att.attrelid = c.conrelid AND att.attnum = c.conkey[1] \
         WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 \
         ORDER BY child, parent, column_name",
    )
    .load(conn)
    .await
    .map_err(|e| e.to_string())?;

    let mut out = String::from(
        "//! Diesel's table definitions, @generated by `cargo xtask schema` from the migrated database:\n\
         //! do not edit by hand.\n\
         //! The test `schema_rs_matches_the_migrations` fails when this file and migrations/ disagree.\n",
    );
    let mut tables: Vec<&str> = columns.iter().map(|c| c.table_name.as_str()).collect();
    tables.dedup();
    for table in &tables {
        let cols: Vec<&Column> = columns.iter().filter(|c| c.table_name == *table).collect();
        let pk: Vec<&str> = cols
            .iter()
            .filter(|c| c.primary)
            .map(|c| c.column_name.as_str())
            .collect();
        out.push_str(&format!(
            "\ndiesel::table! {{\n    {table} ({}) {{\n",
            pk.join(", ")
        ));
        for c in cols {
            let ty = match c.udt_name.as_str() {
                "int8" => "Int8",
                "int4" => "Int4",
                "int2" => "Int2",
                "text" => "Text",
                "numeric" => "Numeric",
                "bool" => "Bool",
                "timestamptz" => "Timestamptz",
                "date" => "Date",
                "jsonb" => "Jsonb",
                "bytea" => "Bytea",
                other => {
                    return Err(format!(
                        "{table}.{}: type {other} has no mapping",
                        c.column_name
                    ));
                }
            };
            let ty = if c.nullable {
                format!("Nullable<{ty}>")
            } else {
                ty.to_string()
            };
            out.push_str(&format!("        {} -> {ty},\n", c.column_name));
        }
        out.push_str("    }\n}\n");
    }
    // diesel cannot express two joins between the same pair of tables: like print-schema, skip
    // pairs with more than one foreign key.
    let pair_count = |k: &ForeignKey| {
        keys.iter()
            .filter(|o| o.child == k.child && o.parent == k.parent)
            .count()
    };
    let mut joins = String::new();
    // Keys of the tables left out (the admin crate's broadcasts) are not the ledger's either.
    let listed = |t: &str| tables.contains(&t);
    for k in keys
        .iter()
        .filter(|k| pair_count(k) == 1 && listed(&k.child) && listed(&k.parent))
    {
        joins.push_str(&format!(
            "diesel::joinable!({} -> {} ({}));\n",
            k.child, k.parent, k.column_name
        ));
    }
    if !joins.is_empty() {
        out.push('\n');
        out.push_str(&joins);
    }
    out.push_str("\ndiesel::allow_tables_to_appear_in_same_query!(\n");
    for table in &tables {
        out.push_str(&format!("    {table},\n"));
    }
    out.push_str(");\n");
    Ok(out)
}

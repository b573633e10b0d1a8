//! xtask commands that talk to PostgreSQL: `verify --db` (the ledger's invariants on a live
//! database, read-only) and `schema` (regenerate diesel's schema.rs from the migrations).

use anyhow::{Context, Result, anyhow, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::project;

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Checks every ledger invariant on the database at `url`; fails listing each violation.
pub fn verify(url: &str) -> Result<()> {
    runtime()?.block_on(async {
        // The URL may hold a password: errors name the database, never the URL.
        let mut conn = AsyncPgConnection::establish(url)
            .await
            .map_err(|e| anyhow!("verify --db: cannot connect: {e}"))?;
        let violations = ledger::check_invariants(&mut conn)
            .await
            .context("verify --db: running the invariant checks (is the database migrated?)")?;
        if violations.is_empty() {
            println!("verify --db: ledger invariants hold");
            return Ok(());
        }
        for v in &violations {
            eprintln!("  {v}");
        }
        bail!(
            "verify --db: {} ledger invariant violations",
            violations.len()
        )
    })
}

/// Writes crates/ledger/src/schema.rs for the current migrations.
pub fn write_schema() -> Result<()> {
    let text = runtime()?.block_on(async {
        let db = test_db::TestDatabase::new().await;
        let mut conn = db.connect().await;
        test_db::render_schema(&mut conn)
            .await
            .map_err(|e| anyhow!(e))
    })?;
    let path = project::root().join("crates/ledger/src/schema.rs");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

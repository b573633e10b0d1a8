//! [`StorefrontCache`]: one [`Snapshot`] per time to live, re-read after it, dropped at once on
//! [`StorefrontCache::invalidate`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use catalog::Catalog;
use ledger::{LedgerError, Pool};
use pricing::Settings;

use crate::storefront::{Snapshot, Storefront};

/// Keeps the storefront for `ttl`: [`Self::get`] answers from memory while the snapshot is
/// younger than that, and reads a new one (one caller at a time; the others wait for it) when
/// it is older. [`Self::invalidate`] drops it, so the next `get` reads the database — call it
/// after an admin's change in this process. Other processes see a change within `ttl`.
#[derive(Debug)]
pub struct StorefrontCache {
    catalog: Arc<Catalog>,
    base_settings: Settings,
    ttl: Duration,
    slot: Mutex<Slot>,
    /// Held while reading a snapshot, so an expired cache is read once, not once per caller.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Slot {
    current: Option<(Instant, Snapshot)>,
    /// Bumped by every invalidation: a read that started before one is not kept.
    generation: u64,
}

impl StorefrontCache {
    /// A cache over the registry and the settings file; nothing is read until [`Self::get`].
    pub fn new(catalog: Arc<Catalog>, base_settings: Settings, ttl: Duration) -> StorefrontCache {
        StorefrontCache {
            catalog,
            base_settings,
            ttl,
            slot: Mutex::new(Slot::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// How long a snapshot is kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The registry.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The settings file (before the admins' overrides).
    pub fn base_settings(&self) -> &Settings {
        &self.base_settings
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        // The slot holds plain data, never half-written: a panic elsewhere cannot spoil it.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self) -> Option<Snapshot> {
        self.slot()
            .current
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, s)| s.clone())
    }

    /// The storefront: the kept snapshot while it is younger than the time to live, else a new
    /// one read with one pooled connection (returned before this returns).
    pub async fn get(&self, pool: &Pool) -> Result<Snapshot, LedgerError> {
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let _reading = self.refresh.lock().await;
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let (generation, started) = (self.slot().generation, Instant::now());
        let snapshot = {
            let mut conn = pool
                .get()
                .await
                .map_err(|e| LedgerError::Pool(e.to_string()))?;
            Storefront::load(&mut conn, self.catalog.clone(), &self.base_settings).await?
        };
        let mut slot = self.slot();
        // Invalidated while reading: what was read may predate the change; it serves this
        // caller, but the next one reads again.
        if slot.generation == generation {
            slot.current = Some((started, snapshot.clone()));
        }
        Ok(snapshot)
    }

    /// Drops the kept snapshot: the next [`Self::get`] reads the database (a read already
    /// under way is not kept either).
    pub fn invalidate(&self) {
        let mut slot = self.slot();
        slot.generation += 1;
        slot.current = None;
    }
}

//! The Telegram user interface: one teloxide handler tree ([`schema`]) with every user screen
//! — menu, catalog, model cards, the wizard generated from each model's input schema, confirm,
//! progress, results, history, balance, Stars top-ups, help — and [`TelegramDeliver`], which
//! turns the pipeline's results, failures and progress into messages.
//!
//! # How a request flows
//! An update passes the root filters first: a duplicate `update_id` is dropped
//! (`ledger::first_time_seen`), the user is created or refreshed (and reachable again if they
//! had blocked the bot), a banned user gets one short answer and nothing else (but a Stars
//! payment Telegram already took is credited). Then commands, payments, typed input and button
//! presses go to their screen. Every callback query is answered before any slow work. The
//! chat's [`state::State`] lives in PostgreSQL.
//!
//! # Invariants
//! - Prices come from `catalog::Model::quote` with the effective settings, the same function
//!   the pipeline charges with; the confirm screen's price is handed to the pipeline, which
//!   refuses to charge a different one.
//! - Callback data is produced only by [`callback::Action::encode`] and parsed strictly; job
//!   buttons act only for the job's owner; wizard buttons only for the wizard they were drawn for.
//! - Every text that came from a user, a model file or Kie is HTML-escaped ([`i18n::Args::text`]).
//! - Users' files are downloaded by the bot and handed to the pipeline as bytes; a Telegram file
//!   URL (it contains the bot token) never leaves this process.
//!
//! # What this crate must never do
//! Move money itself (the ledger and the pipeline do), talk to Kie, or hold a database
//! connection across a Telegram call.
#![deny(missing_docs)]

pub mod callback;
mod deliver;
pub mod i18n;
mod keyboard;
mod schema;
mod screens;
pub mod state;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use catalog::Catalog;
use generation::Pipeline;
use ledger::reports::health::Health;
use pricing::Settings;
use storefront::{Snapshot, StorefrontCache};
use teloxide::payloads::SetMyCommandsSetters;
use teloxide::requests::Requester;

pub use deliver::{AlertRecipients, TelegramDeliver, alert_text};
pub use i18n::LOCALE;
pub use i18n::{I18n, Lang};
pub use schema::{
    Branch, banned_callbacks, banned_messages, callbacks, commands_for, messages, payments,
    pre_checkout, schema,
};
pub use tg_kit::{FloodLimits, HandlerResult, UiBot};

/// Settings of the interface.
#[derive(Clone, Debug)]
pub struct UiConfig {
    /// Telegram ids of the admins (alerts go to them).
    pub admin_ids: Vec<i64>,
    /// Where users get help (shown in /help and /paysupport), e.g. `@kie_support`.
    pub support_contact: String,
    /// The Stars amounts offered on the top-up screen.
    pub star_presets: Vec<u32>,
    /// The smallest custom top-up, in Stars.
    pub min_stars: u32,
    /// The largest top-up, in Stars.
    pub max_stars: u32,
    /// Models per catalog page.
    pub page_size: usize,
    /// At most one progress edit per job per this long.
    pub progress_interval: Duration,
    /// Largest file the bot downloads from Telegram (getFile serves up to 20 MB).
    pub max_download_bytes: u64,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            admin_ids: Vec::new(),
            support_contact: "@kie_bot_support".into(),
            star_presets: vec![50, 100, 250, 500, 1000],
            min_stars: 1,
            max_stars: 10_000,
            page_size: 7,
            progress_interval: Duration::from_secs(3),
            max_download_bytes: 20 * 1024 * 1024,
        }
    }
}

/// Everything the handlers share: cheap to clone.
#[derive(Clone)]
pub struct Ui(Arc<UiInner>);

/// The shared parts of [`Ui`].
pub struct UiInner {
    /// The database.
    pub pool: ledger::Pool,
    /// The models.
    pub catalog: Arc<Catalog>,
    /// The settings file (the database may override prices and the free policy).
    pub base_settings: Settings,
    /// What is on sale: the registry with the admins' overrides (shared with the admin panel,
    /// which invalidates it after a change).
    pub storefront: Arc<StorefrontCache>,
    /// Runs generations.
    pub pipeline: Pipeline<TelegramDeliver>,
    /// Translations.
    pub i18n: Arc<I18n>,
    /// Interface settings.
    pub config: UiConfig,
    popular_cache: Mutex<Option<(Instant, Vec<String>)>>,
    health_cache: Mutex<Option<(Instant, Vec<ledger::reports::health::ModelHealth>)>>,
}

impl std::ops::Deref for Ui {
    type Target = UiInner;
    fn deref(&self) -> &UiInner {
        &self.0
    }
}

/// How long the storefront and the popular list are reused before re-reading.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// How long the models' health is reused (it changes with runs, not with taps).
const HEALTH_TTL: Duration = Duration::from_secs(60);

impl Ui {
    /// The interface over these parts.
    pub fn new(
        pool: ledger::Pool,
        storefront: Arc<StorefrontCache>,
        pipeline: Pipeline<TelegramDeliver>,
        i18n: Arc<I18n>,
        config: UiConfig,
    ) -> Ui {
        Ui(Arc::new(UiInner {
            pool,
            catalog: storefront.catalog().clone(),
            base_settings: storefront.base_settings().clone(),
            storefront,
            pipeline,
            i18n,
            config,
            popular_cache: Mutex::new(None),
            health_cache: Mutex::new(None),
        }))
    }

    /// A pooled connection (hold it for a few statements, never across a Telegram call).
    pub async fn db(&self) -> anyhow::Result<ledger::PooledConnection> {
        Ok(self.pool.get().await?)
    }

    /// What is on sale now (re-read every few seconds; the pipeline re-checks a model's
    /// override and re-prices at submit, so a stale read can only show an old screen, never
    /// sell a disabled model or charge an old price).
    pub async fn store(&self) -> anyhow::Result<Snapshot> {
        Ok(self.storefront.get(&self.pool).await?)
    }

    /// The settings in force: the file's, with the admins' overrides.
    pub async fn settings(&self) -> anyhow::Result<Settings> {
        Ok(self.store().await?.settings().clone())
    }

    /// The free model ids (on-sale models only).
    pub async fn free_models(&self) -> anyhow::Result<Vec<String>> {
        Ok(self.store().await?.free_models())
    }

    /// The model, if it is on sale now: the one answer every screen, the wizard and
    /// history's re-run ask.
    pub async fn on_sale(&self, model_id: &str) -> anyhow::Result<Option<&catalog::Model>> {
        let store = self.store().await?;
        Ok(store
            .on_sale(model_id)
            .is_some()
            .then(|| self.catalog.get(model_id))
            .flatten())
    }

    /// How a model has fared lately (`None`: no recent runs, or nothing wrong).
    pub async fn health(&self, model_id: &str) -> anyhow::Result<Option<Health>> {
        let fresh = self
            .health_cache
            .lock()
            .unwrap()
            .as_ref()
            .filter(|(at, _)| at.elapsed() < HEALTH_TTL)
            .map(|(_, rows)| rows.clone());
        let rows = match fresh {
            Some(rows) => rows,
            None => {
                let rule = ledger::reports::health::HealthRule::default();
                let rows = ledger::reports::health::model_health(
                    &mut *self.db().await?,
                    chrono::Utc::now(),
                    &rule,
                )
                .await?;
                *self.health_cache.lock().unwrap() = Some((Instant::now(), rows.clone()));
                rows
            }
        };
        Ok(rows
            .into_iter()
            .find(|h| h.model_id == model_id)
            .map(|h| h.state)
            .filter(|state| *state != Health::Ok))
    }

    /// The most used models of the last week (then the cheapest, to fill the page).
    pub async fn popular(&self) -> anyhow::Result<Vec<String>> {
        if let Some((at, p)) = &*self.popular_cache.lock().unwrap()
            && at.elapsed() < CACHE_TTL * 12
        {
            return Ok(p.clone());
        }
        let since = chrono::Utc::now() - chrono::Duration::days(7);
        let rows = ledger::popular_models(&mut *self.db().await?, since, 20).await?;
        let store = self.store().await?;
        let mut ids: Vec<String> = rows
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| store.on_sale(id).is_some())
            .collect();
        if ids.len() < 14 {
            let mut rest: Vec<_> = store
                .models()
                .into_iter()
                .filter(|m| !ids.contains(&m.id))
                .collect();
            rest.sort_by(|a, b| {
                a.min_cost_usd()
                    .cmp(&b.min_cost_usd())
                    .then(a.id.cmp(&b.id))
            });
            ids.extend(rest.into_iter().take(14 - ids.len()).map(|m| m.id.clone()));
        }
        *self.popular_cache.lock().unwrap() = Some((Instant::now(), ids.clone()));
        Ok(ids)
    }
}

/// Registers the command menu in Russian and English (`setMyCommands` per language).
pub async fn register_commands(bot: &UiBot, i18n: &I18n) -> anyhow::Result<()> {
    bot.api()
        .set_my_commands(commands_for(i18n, Lang::En))
        .await?;
    bot.api()
        .set_my_commands(commands_for(i18n, Lang::Ru))
        .language_code("ru")
        .await?;
    Ok(())
}

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
use pricing::Settings;
use teloxide::payloads::SetMyCommandsSetters;
use teloxide::requests::Requester;

pub use deliver::TelegramDeliver;
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
    /// Runs generations.
    pub pipeline: Pipeline<TelegramDeliver>,
    /// Translations.
    pub i18n: Arc<I18n>,
    /// Interface settings.
    pub config: UiConfig,
    settings_cache: Mutex<Option<(Instant, Settings)>>,
    popular_cache: Mutex<Option<(Instant, Vec<String>)>>,
}

impl std::ops::Deref for Ui {
    type Target = UiInner;
    fn deref(&self) -> &UiInner {
        &self.0
    }
}

/// How long the effective settings and the popular list are reused before re-reading.
const CACHE_TTL: Duration = Duration::from_secs(5);

impl Ui {
    /// The interface over these parts.
    pub fn new(
        pool: ledger::Pool,
        catalog: Arc<Catalog>,
        base_settings: Settings,
        pipeline: Pipeline<TelegramDeliver>,
        i18n: Arc<I18n>,
        config: UiConfig,
    ) -> Ui {
        Ui(Arc::new(UiInner {
            pool,
            catalog,
            base_settings,
            pipeline,
            i18n,
            config,
            settings_cache: Mutex::new(None),
            popular_cache: Mutex::new(None),
        }))
    }

    /// A pooled connection (hold it for a few statements, never across a Telegram call).
    pub async fn db(&self) -> anyhow::Result<ledger::PooledConnection> {
        Ok(self.pool.get().await?)
    }

    /// The settings in force: the file's, with the admins' overrides (re-read every few
    /// seconds; the pipeline re-prices at submit, so a stale read can only show an old price,
    /// never charge one).
    pub async fn settings(&self) -> anyhow::Result<Settings> {
        if let Some((at, s)) = &*self.settings_cache.lock().unwrap()
            && at.elapsed() < CACHE_TTL
        {
            return Ok(s.clone());
        }
        let s = ledger::effective_settings(&mut *self.db().await?, &self.base_settings).await?;
        *self.settings_cache.lock().unwrap() = Some((Instant::now(), s.clone()));
        Ok(s)
    }

    /// The free model ids under the settings in force.
    pub fn free_models(&self, settings: &Settings) -> Vec<String> {
        self.catalog.free_models(&settings.free, &settings.pricing)
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
        let mut ids: Vec<String> = rows
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| self.catalog.get(id).is_some_and(|m| m.enabled))
            .collect();
        if ids.len() < 14 {
            let mut rest: Vec<_> = self
                .catalog
                .models()
                .iter()
                .filter(|m| m.enabled && !ids.contains(&m.id))
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

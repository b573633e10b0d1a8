//! Wiring: from settings to a running bot — migrations, the registry, the Kie client, the
//! generation pipeline, the handler tree fed from the update inbox, the update source (the
//! lease-guarded poller or the webhook), the HTTP server, periodic pruning — and a clean stop.
//!
//! The same [`App::start`] runs production, the demo, the journey tests and the benchmarks;
//! they differ only in the URLs, limits and timings they pass. This module must never contain
//! product logic: screens are bot-ui's, money is the ledger's, jobs are the pipeline's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use bot_ui::{TelegramDeliver, Ui, UiBot, UiConfig};
use catalog::Catalog;
use generation::{Pipeline, PipelineConfig};
use kie_client::{KieClient, KieConfig};
use pricing::Settings;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::{Mode, Secret};
use crate::handling::Handling;
use crate::http::{HttpState, router};
use crate::metrics::Metrics;
use crate::polling::Poller;

/// Everything [`App::start`] needs.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The bot token.
    pub bot_token: Secret,
    /// The Bot API server.
    pub telegram_api_url: Url,
    /// PostgreSQL.
    pub database_url: String,
    /// Connections in the pool.
    pub db_pool_size: usize,
    /// Kie's hosts, key, limits and time-outs.
    pub kie: KieConfig,
    /// The registry directory.
    pub registry: PathBuf,
    /// The interface settings.
    pub ui: UiConfig,
    /// The pipeline settings (callback URL and secrets included).
    pub pipeline: PipelineConfig,
    /// Outgoing flood limits.
    pub limits: bot_ui::FloodLimits,
    /// Where the HTTP server listens (health, metrics, Kie callbacks, the webhook).
    pub listen: SocketAddr,
    /// How updates arrive.
    pub mode: Mode,
    /// The webhook secret (webhook mode).
    pub webhook_secret: Option<Secret>,
    /// getUpdates long-poll time-out.
    pub poll_timeout: Duration,
    /// The poller lease's timings (production: TTL 10 s, renewed every 3 s).
    pub lease: LeaseTimings,
    /// Updates handled at once.
    pub handler_concurrency: usize,
    /// How long a clean stop waits for work in flight.
    pub stop_deadline: Duration,
    /// This instance's name in leases, claims and logs.
    pub instance_id: String,
    /// Send Kie's callbacks to `http://{listen address}` (local runs against the simulator;
    /// production sets `pipeline.callback_base` to its public URL instead).
    pub callback_via_listen: bool,
}

/// The poller lease's timings.
#[derive(Clone, Copy, Debug)]
pub struct LeaseTimings {
    /// How long a renewal keeps it.
    pub ttl: Duration,
    /// How often the holder renews.
    pub renew_every: Duration,
    /// How often a standby tries to take it.
    pub retry_every: Duration,
}

impl Default for LeaseTimings {
    fn default() -> Self {
        LeaseTimings {
            ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            retry_every: Duration::from_secs(1),
        }
    }
}

/// A name for this instance: host, process id and a random suffix.
pub fn default_instance_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}-{}-{:04x}", std::process::id(), fastrand::u16(..))
}

/// A running bot.
pub struct App {
    /// The interface (database pool, catalog, pipeline).
    pub ui: Ui,
    /// The bot the handlers use.
    pub bot: UiBot,
    /// The admin panel.
    pub admin: admin::Admin,
    /// Where the HTTP server listens.
    pub http_addr: SocketAddr,
    /// Its metrics.
    pub metrics: Arc<Metrics>,
    stopping: Arc<AtomicBool>,
    stop_deadline: Duration,
    source: Option<UpdateSource>,
    handling: (CancellationToken, JoinHandle<()>),
    pipeline: (CancellationToken, JoinHandle<()>),
    membership: lock::Membership,
    background: (CancellationToken, Vec<JoinHandle<()>>),
}

/// The poller and its lease keeper (polling mode only).
struct UpdateSource {
    stop: CancellationToken,
    poller: JoinHandle<&'static str>,
    keeper: Arc<lock::LeaseKeeper>,
}

fn repo_path(p: &std::path::Path) -> PathBuf {
    if p.is_absolute() || p.exists() {
        return p.to_path_buf();
    }
    // Run from a crate directory (tests): the registry is at the workspace root.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.join(p)
}

/// The poller lease's name: one per bot (the token's numeric id, which is not secret).
pub fn lease_name(token: &Secret) -> String {
    let id = token.0.split(':').next().unwrap_or("bot");
    format!("telegram-poller:{id}")
}

impl App {
    /// Migrates the database, loads the registry, and starts the workers, the HTTP server and
    /// the update source. Returns once everything runs.
    pub async fn start(config: AppConfig) -> anyhow::Result<App> {
        let applied = ledger::migrate(&config.database_url)
            .await
            .context("DATABASE_URL: migrations failed")?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        let pool = ledger::connect_pool(&config.database_url, config.db_pool_size)
            .context("DATABASE_URL: cannot build the pool")?;
        let registry = repo_path(&config.registry);
        let catalog = Arc::new(
            Catalog::load_dir(&registry)
                .map_err(|e| anyhow::anyhow!("REGISTRY_DIR {}: {e}", registry.display()))?,
        );
        let settings = Settings::load(&registry.join("settings.toml"))
            .map_err(|e| anyhow::anyhow!("REGISTRY_DIR settings.toml: {e}"))?;
        tracing::info!(models = catalog.len(), "registry loaded");
        let kie = KieClient::new(config.kie.clone()).context("KIE_API_KEY / Kie hosts")?;
        let metrics = Metrics::new();
        {
            let metrics = metrics.clone();
            kie.observe(Arc::new(move |endpoint, code| {
                metrics
                    .kie_calls
                    .get_or_create(&crate::metrics::KieLabels {
                        endpoint: endpoint.to_string(),
                        code: code.to_string(),
                    })
                    .inc();
            }));
        }
        // The HTTP server's socket first: its address may be the callback URL.
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("LISTEN {}: cannot bind", config.listen))?;
        let http_addr = listener.local_addr()?;
        let mut pipeline_config = config.pipeline.clone();
        pipeline_config.stop_drain = config.stop_deadline;
        if config.callback_via_listen {
            pipeline_config.callback_base = Some(Url::parse(&format!("http://{http_addr}"))?);
            if pipeline_config.callback_secret.is_empty() {
                pipeline_config.callback_secret =
                    format!("{:032x}", fastrand::u128(..)).into_bytes();
            }
        }
        let bot =
            teloxide::Bot::new(&config.bot_token.0).set_api_url(config.telegram_api_url.clone());
        let bot = UiBot::new(bot, config.limits);
        let i18n = Arc::new(crate::tree::i18n());
        let deliver = TelegramDeliver::new(
            bot.clone(),
            pool.clone(),
            catalog.clone(),
            i18n.clone(),
            config.ui.clone(),
        );
        let models = catalog.len();
        let kie_share = kie.clone();
        // One view of what is on sale, shared by the user interface and the panel (which
        // drops it after a change, so this instance shows the change at once).
        let storefront = Arc::new(storefront::StorefrontCache::new(
            catalog.clone(),
            settings.clone(),
            bot_ui::CACHE_TTL,
        ));
        let admin = admin::Admin::new(admin::AdminInner {
            pool: pool.clone(),
            catalog: catalog.clone(),
            storefront: storefront.clone(),
            base_settings: settings.clone(),
            kie: kie.clone(),
            i18n: i18n.clone(),
            config: admin::AdminConfig {
                owner_ids: config.ui.admin_ids.clone(),
                ..admin::AdminConfig::default()
            },
        });
        admin
            .seed_owners()
            .await
            .context("ADMIN_IDS: seeding the owners failed")?;
        let pipeline = Pipeline::new(pool.clone(), kie, catalog.clone(), deliver, pipeline_config);
        // Alerts go to every admin in the database (each in their own language).
        pipeline.deliverer().alert_to({
            let pool = pool.clone();
            Arc::new(move || {
                let pool = pool.clone();
                Box::pin(async move {
                    let rows = admin::roles::admins(&mut *pool.get().await?).await?;
                    Ok(rows.into_iter().map(|r| r.user_id).collect())
                })
            })
        });
        let ui = Ui::new(
            pool.clone(),
            storefront,
            pipeline.clone(),
            i18n.clone(),
            config.ui.clone(),
        );
        bot_ui::register_commands(&bot, &i18n)
            .await
            .context("TELEGRAM_API_URL / BOT_TOKEN: setMyCommands failed")?;

        let stopping = Arc::new(AtomicBool::new(false));
        let stored = Arc::new(Notify::new());
        let background = CancellationToken::new();
        let mut background_tasks = vec![tokio::spawn(prune_loop(pool.clone(), background.clone()))];
        let (membership, alive) = lock::Membership::spawn(
            config.database_url.clone(),
            config.instance_id.clone(),
            config.lease.renew_every,
        );
        background_tasks.push(tokio::spawn(share_limits(
            alive,
            bot.clone(),
            kie_share,
            metrics.clone(),
            background.clone(),
        )));
        // Broadcasts: claims recipients (FOR UPDATE SKIP LOCKED, so instances never share one)
        // and sends behind the bulk allowance; on stop it finishes the batch in flight.
        background_tasks.push(tokio::spawn(admin::broadcast::run(
            bot.clone(),
            pool.clone(),
            admin::broadcast::WorkerConfig::new(config.instance_id.clone()),
            background.clone().cancelled_owned(),
        )));
        let http = HttpState {
            pool: pool.clone(),
            metrics: metrics.clone(),
            stopping: stopping.clone(),
            models,
            webhook_secret: (config.mode == Mode::Webhook)
                .then(|| config.webhook_secret.clone())
                .flatten(),
            stored: stored.clone(),
            bot: bot.clone(),
            lease_name: lease_name(&config.bot_token),
        };
        let routes = router(http, generation::callback_router(pipeline.clone()));
        {
            let token = background.clone();
            background_tasks.push(tokio::spawn(async move {
                let serve = axum::serve(listener, routes)
                    .with_graceful_shutdown(async move { token.cancelled().await });
                if let Err(e) = serve.await {
                    tracing::error!(error = %e, "the HTTP server stopped");
                }
            }));
        }
        let pipeline_task = {
            let token = CancellationToken::new();
            let pipeline = pipeline.clone();
            let run = token.clone();
            (
                token,
                tokio::spawn(async move {
                    if let Err(e) = pipeline.run(run).await {
                        tracing::error!(error = %e, "the pipeline stopped");
                    }
                }),
            )
        };
        let handling = {
            let token = CancellationToken::new();
            let consumer = Handling {
                worker: config.instance_id.clone(),
                pool: pool.clone(),
                handler: Arc::new(crate::tree::schema()),
                deps: dptree::deps![pool.clone(), ui.clone(), admin.clone(), bot.clone()],
                stored: stored.clone(),
                concurrency: config.handler_concurrency.max(1),
                metrics: metrics.clone(),
            };
            let (run, deadline) = (token.clone(), config.stop_deadline);
            (token, tokio::spawn(consumer.run(run, deadline)))
        };
        let source = match config.mode {
            Mode::Polling => Some(start_polling(
                &config,
                pool.clone(),
                stored,
                metrics.clone(),
            )),
            Mode::Webhook => None,
        };
        tracing::info!(mode = ?config.mode, instance = %config.instance_id, %http_addr, "the bot is running");
        Ok(App {
            ui,
            admin,
            bot,
            http_addr,
            metrics,
            stopping,
            stop_deadline: config.stop_deadline,
            source,
            handling,
            pipeline: pipeline_task,
            membership,
            background: (background, background_tasks),
        })
    }

    /// A clean stop: readiness goes 503 and the webhook refuses new updates; polling stops and
    /// the poller lease is released (a standby takes over at once); handlers and generation
    /// steps in flight finish within the stop deadline, the rest is handed back to the other
    /// instances; then the HTTP server and the background tasks end.
    pub async fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(source) = self.source.take() {
            source.stop.cancel();
            let _ = source.poller.await;
            match Arc::try_unwrap(source.keeper) {
                Ok(keeper) => keeper.stop().await,
                Err(_) => {
                    tracing::warn!("the lease keeper is still shared; its lease expires by itself")
                }
            }
        }
        self.handling.0.cancel();
        self.pipeline.0.cancel();
        let (handling, pipeline) = (self.handling.1, self.pipeline.1);
        let drained = tokio::time::timeout(self.stop_deadline + Duration::from_secs(5), async {
            let _ = tokio::join!(handling, pipeline);
        })
        .await;
        if drained.is_err() {
            tracing::warn!("work in flight did not end within the stop deadline");
        }
        // Gone from the instance list at once: the others take its share of the limits.
        self.membership.stop().await;
        self.background.0.cancel();
        for task in self.background.1 {
            let _ = task.await;
        }
        tracing::info!("stopped");
    }
}

fn start_polling(
    config: &AppConfig,
    pool: ledger::Pool,
    stored: Arc<Notify>,
    metrics: Arc<Metrics>,
) -> UpdateSource {
    let lease_config = lock::LeaseConfig {
        ttl: config.lease.ttl,
        renew_every: config.lease.renew_every,
        retry_every: config.lease.retry_every,
        ..lock::LeaseConfig::new(lease_name(&config.bot_token), config.instance_id.clone())
    };
    let (keeper, watch) = lock::LeaseKeeper::spawn(config.database_url.clone(), lease_config);
    let keeper = Arc::new(keeper);
    let poller = Poller {
        api_url: config.telegram_api_url.clone(),
        token: config.bot_token.clone(),
        timeout: config.poll_timeout,
        pool,
        lease: watch,
        keeper: keeper.clone(),
        stored,
        metrics,
    };
    let stop = CancellationToken::new();
    let run = stop.clone();
    let task_keeper = keeper.clone();
    let poller = tokio::spawn(async move {
        let why = poller.run(run).await;
        if why != "stopped" {
            // Polling ended for good: let the lease go so it is not held by a non-poller.
            task_keeper.cancel();
        }
        why
    });
    UpdateSource {
        stop,
        poller,
        keeper,
    }
}

/// Keeps this instance's share of the deployment's limits (Telegram's overall allowance, Kie's
/// windows) equal to `1 / live instances`.
async fn share_limits(
    mut alive: tokio::sync::watch::Receiver<usize>,
    bot: UiBot,
    kie: KieClient,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    loop {
        let instances = (*alive.borrow_and_update()).max(1);
        bot.set_instances(instances);
        kie.set_instances(instances);
        metrics
            .instances_alive
            .set(i64::try_from(instances).unwrap_or(i64::MAX));
        tracing::debug!(
            instances,
            telegram_per_sec = bot.overall_share(),
            "limits shared"
        );
        tokio::select! {
            () = stop.cancelled() => return,
            changed = alive.changed() => if changed.is_err() { return },
        }
    }
}

/// Forgets handled updates and stale free-quota windows after two days (hourly).
async fn prune_loop(pool: ledger::Pool, shutdown: CancellationToken) {
    loop {
        if let Ok(mut conn) = pool.get().await {
            let before = chrono::Utc::now() - chrono::Duration::days(2);
            match ledger::prune(&mut conn, before, before).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning failed"),
            }
            match inbox::prune(&mut conn, before).await {
                Ok(n) if n > 0 => tracing::info!(updates = n, "inbox pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning the inbox failed"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

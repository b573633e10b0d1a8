//! Wiring: from settings to a running bot — migrations, the registry, the Kie client, the
//! generation pipeline and its workers, the Telegram handler tree on long polling, the Kie
//! callback endpoint, periodic pruning — and an orderly stop.
//!
//! The same [`App::start`] runs production, the demo, the journey tests and the benchmarks;
//! they differ only in the URLs and limits they pass. This module must never contain product
//! logic: screens are bot-ui's, money is the ledger's, jobs are the pipeline's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bot_ui::{I18n, TelegramDeliver, Ui, UiBot, UiConfig};
use catalog::Catalog;
use generation::{Pipeline, PipelineConfig};
use kie_client::{KieClient, KieConfig};
use pricing::Settings;
use teloxide::dispatching::{Dispatcher, ShutdownToken};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::update_listeners::{Polling, UpdateListener as _};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Secret;

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
    /// Where the HTTP server (Kie callbacks, /healthz) listens, if anywhere.
    pub listen: Option<SocketAddr>,
    /// getUpdates long-poll time-out.
    pub poll_timeout: Duration,
    /// Send Kie's callbacks to `http://{listen address}` (local runs against the simulator;
    /// production sets `pipeline.callback_base` to its public URL instead).
    pub callback_via_listen: bool,
}

/// A running bot.
pub struct App {
    /// The interface (database pool, catalog, pipeline).
    pub ui: Ui,
    /// The bot the handlers use.
    pub bot: UiBot,
    /// Where the HTTP server listens, when it runs.
    pub http_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    dispatcher: ShutdownToken,
    polling: StopToken,
    tasks: Vec<JoinHandle<()>>,
}

fn repo_path(p: &std::path::Path) -> PathBuf {
    if p.is_absolute() || p.exists() {
        return p.to_path_buf();
    }
    // Run from a crate directory (tests): the registry is at the workspace root.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.join(p)
}

impl App {
    /// Migrates the database, loads the registry, and starts the workers, the HTTP server and
    /// the dispatcher. Returns once everything runs.
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
        // The HTTP server's socket first: its address may be the callback URL.
        let mut pipeline_config = config.pipeline.clone();
        let mut http_addr = None;
        let http_listener = match config.listen {
            Some(listen) => {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("LISTEN {listen}: cannot bind"))?;
                let addr = listener.local_addr()?;
                http_addr = Some(addr);
                if config.callback_via_listen {
                    pipeline_config.callback_base = Some(Url::parse(&format!("http://{addr}"))?);
                    if pipeline_config.callback_secret.is_empty() {
                        pipeline_config.callback_secret =
                            format!("{:032x}", fastrand::u128(..)).into_bytes();
                    }
                }
                Some(listener)
            }
            None => None,
        };
        let bot =
            teloxide::Bot::new(&config.bot_token.0).set_api_url(config.telegram_api_url.clone());
        let bot = UiBot::new(bot, config.limits);
        let i18n = Arc::new(I18n::new());
        let deliver = TelegramDeliver::new(
            bot.clone(),
            pool.clone(),
            catalog.clone(),
            i18n.clone(),
            config.ui.clone(),
        );
        let pipeline = Pipeline::new(pool.clone(), kie, catalog.clone(), deliver, pipeline_config);
        let ui = Ui::new(
            pool.clone(),
            catalog,
            settings,
            pipeline.clone(),
            i18n.clone(),
            config.ui.clone(),
        );
        bot_ui::register_commands(&bot, &i18n)
            .await
            .context("TELEGRAM_API_URL / BOT_TOKEN: setMyCommands failed")?;

        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();
        {
            let pipeline = pipeline.clone();
            let token = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(e) = pipeline.run(token).await {
                    tracing::error!(error = %e, "the pipeline stopped");
                }
            }));
        }
        tasks.push(tokio::spawn(prune_loop(pool.clone(), shutdown.clone())));
        if let Some(listener) = http_listener {
            let router = generation::callback_router(pipeline.clone())
                .route("/healthz", axum::routing::get(|| async { "ok" }));
            let token = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                let serve = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { token.cancelled().await });
                if let Err(e) = serve.await {
                    tracing::error!(error = %e, "the HTTP server stopped");
                }
            }));
        }

        let mut dispatcher = Dispatcher::builder(bot.api().clone(), bot_ui::schema())
            .dependencies(dptree::deps![ui.clone(), bot.clone()])
            .default_handler(|_| async {})
            .error_handler(LoggingErrorHandler::with_custom_text("handler error"))
            .build();
        let dispatcher_token = dispatcher.shutdown_token();
        let mut listener = Polling::builder(bot.api().clone())
            .timeout(config.poll_timeout)
            .delete_webhook()
            .await
            .build();
        let polling = listener.stop_token();
        // Last in `tasks`: `stop` awaits it first.
        tasks.push(tokio::spawn(async move {
            dispatcher
                .dispatch_with_listener(
                    listener,
                    LoggingErrorHandler::with_custom_text("polling error"),
                )
                .await;
        }));
        tracing::info!("the bot is running");
        Ok(App {
            ui,
            bot,
            http_addr,
            shutdown,
            dispatcher: dispatcher_token,
            polling,
            tasks,
        })
    }

    /// Stops polling, lets handlers finish, stops the workers.
    pub async fn stop(mut self) {
        // Ending the update stream stops the dispatcher even when teloxide's shutdown signal
        // is missed (it is lost if the dispatcher is busy with an update at that moment). Not
        // the future `shutdown()` returns either: it hangs if the dispatcher finished first.
        // The dispatcher's own task ending is the signal.
        self.polling.stop();
        let _ = self.dispatcher.shutdown();
        if let Some(dispatcher) = self.tasks.pop() {
            let _ = dispatcher.await;
        }
        self.shutdown.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Forgets processed update ids after two days and stale free-quota windows (hourly).
async fn prune_loop(pool: ledger::Pool, shutdown: CancellationToken) {
    loop {
        if let Ok(mut conn) = pool.get().await {
            let now = chrono::Utc::now();
            let before = now - chrono::Duration::days(2);
            match ledger::prune(&mut conn, before, before).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning failed"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

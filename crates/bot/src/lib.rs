//! The bot binary's library: settings ([`config`]), wiring ([`app::App`]) and the
//! self-contained demo ([`demo`]). `main.rs` only parses the command line and calls in here.
//!
//! # What this crate must never do
//! Contain product logic (screens, money, jobs): it assembles the crates that do.

pub mod app;
pub mod config;
pub mod demo;

use std::time::Duration;

use bot_ui::UiConfig;
use generation::PipelineConfig;
use kie_client::{ApiKey, KieConfig};

use crate::app::{App, AppConfig};
use crate::config::{Checked, LogFormat, RunArgs};

/// Sets up logging as configured (`RUST_LOG` wins over `--log-level`).
pub fn init_logging(args: &RunArgs) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&args.log_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The production configuration from checked settings.
pub fn app_config(args: &RunArgs, checked: Checked) -> AppConfig {
    let mut kie = KieConfig::new(ApiKey::new(checked.kie_api_key.0.clone()));
    kie.api_base = args.kie_api_base.clone();
    kie.upload_base = args.kie_upload_base.clone();
    let mut pipeline = PipelineConfig::default();
    if let Some(public) = &args.public_url {
        pipeline.callback_base = Some(public.clone());
        pipeline.callback_secret = args
            .callback_secret
            .as_ref()
            .map(|s| s.0.as_bytes().to_vec())
            .unwrap_or_default();
    }
    pipeline.kie_hmac_key = args.kie_hmac_key.as_ref().map(|s| s.0.as_bytes().to_vec());
    AppConfig {
        bot_token: checked.bot_token,
        telegram_api_url: args.telegram_api_url.clone(),
        database_url: checked.database_url,
        db_pool_size: args.db_pool_size,
        kie,
        registry: args.registry.clone(),
        ui: UiConfig {
            admin_ids: args.admin_ids.clone(),
            support_contact: args.support_contact.clone(),
            ..UiConfig::default()
        },
        pipeline,
        limits: bot_ui::FloodLimits::telegram(),
        listen: args.public_url.as_ref().map(|_| args.listen),
        poll_timeout: Duration::from_secs(25),
        callback_via_listen: false,
    }
}

/// Runs the bot until Ctrl-C or SIGTERM.
pub async fn run(args: RunArgs, checked: Checked) -> anyhow::Result<()> {
    let app = App::start(app_config(&args, checked)).await?;
    shutdown_signal().await;
    tracing::info!("stopping");
    app.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = ctrl_c => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

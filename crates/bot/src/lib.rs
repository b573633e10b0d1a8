//! The bot binary's library and the composition root: settings ([`config`]), wiring
//! ([`app::App`]: the handler tree, the HTTP router, the update source and the workers), the
//! update source ([`polling`], and the webhook in [`http`]), the inbox's consumer
//! ([`handling`]) and [`metrics`]. `main.rs` only parses the command line and calls in here.
//!
//! # What this crate must never do
//! Contain product logic (screens, money, jobs): it assembles the crates that do. Depend on a
//! fake (the Kie simulator, the fake Telegram, test databases) or fall back to a demo: a
//! missing secret is an error. A tidy test over `cargo metadata` checks the dependencies.

pub mod app;
pub mod config;
pub mod handling;
pub mod http;
pub mod metrics;
pub mod polling;
pub mod tree;

use std::io::IsTerminal as _;
use std::time::Duration;

use bot_ui::UiConfig;
use generation::PipelineConfig;
use kie_client::{ApiKey, KieConfig};
use serde_json::{Value, json};

use crate::app::{App, AppConfig, LeaseTimings};
use crate::config::{Checked, LogFormat, RunArgs, SettingError};

/// Sets up logging as configured (`RUST_LOG` wins over `--log-level`). Text logs carry ANSI
/// colours only when written to a terminal.
pub fn init_logging(args: &RunArgs) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&args.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
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
        listen: args.listen,
        mode: args.mode,
        webhook_secret: args.webhook_secret.clone(),
        poll_timeout: Duration::from_secs(args.poll_timeout_secs),
        lease: LeaseTimings::default(),
        handler_concurrency: usize::try_from(args.handler_concurrency).unwrap_or(256),
        stop_deadline: Duration::from_secs(args.stop_deadline_secs),
        instance_id: args
            .instance_id
            .clone()
            .unwrap_or_else(app::default_instance_id),
        callback_via_listen: false,
    }
}

/// Runs the bot until SIGTERM or SIGINT, then stops cleanly; a second signal exits at once.
pub async fn run(args: RunArgs, checked: Checked) -> anyhow::Result<()> {
    let app = App::start(app_config(&args, checked)).await?;
    shutdown_signal().await;
    tracing::info!("stopping (a second signal exits at once)");
    tokio::spawn(async {
        shutdown_signal().await;
        tracing::warn!("second signal: exiting now");
        std::process::exit(130);
    });
    app.stop().await;
    Ok(())
}

/// Waits for SIGTERM (Docker, Render, systemd) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Why `set-webhook` / `delete-webhook` failed.
#[derive(Debug)]
pub enum AdminError {
    /// A setting is missing or wrong (exit code 2).
    Setting(SettingError),
    /// Telegram refused or could not be reached.
    Failed(anyhow::Error),
}

/// `bot set-webhook` (`set = true`) or `bot delete-webhook`.
pub async fn webhook_admin(args: &RunArgs, set: bool) -> Result<(), AdminError> {
    let token = args.bot_token.clone().ok_or_else(|| {
        AdminError::Setting(SettingError(
            "BOT_TOKEN (--bot-token) is not set; see bot --help".into(),
        ))
    })?;
    let body = if set {
        let secret = config::check_webhook_secret(args.webhook_secret.as_ref())
            .map_err(AdminError::Setting)?;
        let public = args.public_url.clone().ok_or_else(|| {
            AdminError::Setting(SettingError(
                "PUBLIC_URL (--public-url) must be set for set-webhook".into(),
            ))
        })?;
        let url = public
            .join(http::WEBHOOK_PATH.trim_start_matches('/'))
            .map_err(|e| AdminError::Setting(SettingError(format!("PUBLIC_URL: {e}"))))?;
        json!({
            "url": url.as_str(),
            "secret_token": secret.0,
            "allowed_updates": polling::ALLOWED_UPDATES,
            "max_connections": args.webhook_max_connections,
        })
    } else {
        json!({"drop_pending_updates": false})
    };
    let method = if set { "setWebhook" } else { "deleteWebhook" };
    let answer: Value = reqwest::Client::new()
        .post(polling::method_url(&args.telegram_api_url, &token, method))
        .json(&body)
        .send()
        .await
        .map_err(|e| AdminError::Failed(anyhow::anyhow!("{method}: {}", e.without_url())))?
        .json()
        .await
        .map_err(|e| AdminError::Failed(anyhow::anyhow!("{method}: {}", e.without_url())))?;
    if answer["ok"] != json!(true) {
        return Err(AdminError::Failed(anyhow::anyhow!(
            "{method} refused: {}",
            answer["description"].as_str().unwrap_or("no description")
        )));
    }
    match body.get("url") {
        Some(url) => println!(
            "webhook set: {url} (secret token, {} connections at most)",
            args.webhook_max_connections
        ),
        None => println!("webhook deleted; pending updates kept"),
    }
    Ok(())
}

//! The command line and environment: every option is a flag, an environment variable and a line
//! in `.env` (an empty variable counts as unset). A missing or malformed setting is a one-line
//! error naming it; secrets never appear in `Debug` output or errors.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use url::Url;

/// A secret string (bot token, Kie key): shown as `***` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("empty".into());
        }
        Ok(Secret(s.trim().to_string()))
    }
}

/// How updates arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Long polling with getUpdates: one poller per token across all instances (a lease in
    /// PostgreSQL); the others stand by, serving the workers and HTTP.
    Polling,
    /// Telegram POSTs updates to PUBLIC_URL/telegram/webhook; any number of instances.
    Webhook,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A Telegram bot that sells Kie.ai generations for a ruble balance.
///
/// Every option can also be given as an environment variable or in a `.env` file in the
/// working directory. A missing secret is an error (exit code 2): this binary never falls back
/// to a demo (the demo is `cargo xtask run` without tokens, or `cargo run -p stack --bin demo`).
#[derive(Debug, Parser)]
#[command(name = "bot", version, about, long_about)]
pub struct Cli {
    /// What to run (default: the bot).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings of the bot.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the bot (needs BOT_TOKEN, KIE_API_KEY and DATABASE_URL).
    Run,
    /// Register PUBLIC_URL/telegram/webhook with Telegram (secret_token = WEBHOOK_SECRET, the
    /// update types the bot handles, WEBHOOK_MAX_CONNECTIONS). Run once per deploy target;
    /// stopping an instance never deletes it. Needs BOT_TOKEN, PUBLIC_URL, WEBHOOK_SECRET.
    SetWebhook,
    /// Delete the webhook (to go back to polling). Pending updates are kept.
    DeleteWebhook,
}

/// The bot's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Telegram bot token from @BotFather.
    #[arg(long, env = "BOT_TOKEN", global = true, hide_env_values = true)]
    pub bot_token: Option<Secret>,
    /// PostgreSQL URL, e.g. postgres://user:pass@localhost/kiebot (migrations run on start).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Kie.ai API key.
    #[arg(long, env = "KIE_API_KEY", global = true, hide_env_values = true)]
    pub kie_api_key: Option<Secret>,
    /// Kie's API host (point it at the simulator for dry runs).
    #[arg(
        long,
        env = "KIE_API_BASE",
        default_value = "https://api.kie.ai",
        global = true
    )]
    pub kie_api_base: Url,
    /// Kie's upload host.
    #[arg(
        long,
        env = "KIE_UPLOAD_BASE",
        default_value = "https://kieai.redpandaai.co",
        global = true
    )]
    pub kie_upload_base: Url,
    /// Telegram Bot API server.
    #[arg(
        long,
        env = "TELEGRAM_API_URL",
        default_value = "https://api.telegram.org",
        global = true
    )]
    pub telegram_api_url: Url,
    /// Telegram ids of the admins, comma-separated (they get alerts).
    #[arg(long, env = "ADMIN_IDS", value_delimiter = ',', global = true)]
    pub admin_ids: Vec<i64>,
    /// Where users get help (shown in /help and /paysupport).
    #[arg(
        long,
        env = "SUPPORT_CONTACT",
        default_value = "@kie_bot_support",
        global = true
    )]
    pub support_contact: String,
    /// The registry directory (models/ and settings.toml).
    #[arg(long, env = "REGISTRY_DIR", default_value = "registry", global = true)]
    pub registry: PathBuf,
    /// How updates arrive: polling (one poller at a time, the others stand by) or webhook.
    #[arg(
        long,
        env = "BOT_MODE",
        value_enum,
        default_value = "polling",
        global = true
    )]
    pub mode: Mode,
    /// Public HTTPS base URL of this deployment: Kie's callbacks go to it (without it, jobs
    /// are polled) and, in webhook mode, Telegram's updates (PUBLIC_URL/telegram/webhook).
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<Url>,
    /// Address the HTTP server listens on: /healthz, /readyz, /metrics, Kie callbacks and the
    /// Telegram webhook. Always on.
    #[arg(long, env = "LISTEN", default_value = "0.0.0.0:8080", global = true)]
    pub listen: SocketAddr,
    /// The secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (webhook mode; 16–256
    /// characters of A-Z a-z 0-9 _ -). Requests without it are refused with 401.
    #[arg(long, env = "WEBHOOK_SECRET", global = true, hide_env_values = true)]
    pub webhook_secret: Option<Secret>,
    /// At most this many webhook connections Telegram opens at once (set-webhook; 1–100).
    #[arg(long, env = "WEBHOOK_MAX_CONNECTIONS", default_value_t = 40, global = true,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub webhook_max_connections: u8,
    /// getUpdates long-poll time-out in seconds (the HTTP client waits longer than this).
    #[arg(long, env = "POLL_TIMEOUT_SECS", default_value_t = 25, global = true,
          value_parser = clap::value_parser!(u64).range(1..=50))]
    pub poll_timeout_secs: u64,
    /// Updates handled at once by this instance (one chat at a time, chats in parallel). A
    /// handler waiting for Telegram's flood allowance holds a slot but no database connection,
    /// so this is far above DB_POOL_SIZE: a tap is answered while other chats wait their turn.
    #[arg(long, env = "HANDLER_CONCURRENCY", default_value_t = 256, global = true,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub handler_concurrency: u64,
    /// On SIGTERM/SIGINT: seconds to let handlers and generation steps finish before their
    /// work is handed back to the other instances. A second signal exits at once.
    #[arg(long, env = "STOP_DEADLINE_SECS", default_value_t = 20, global = true,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub stop_deadline_secs: u64,
    /// This instance's name in leases and logs (default: host name, process id and a random
    /// suffix).
    #[arg(long, env = "INSTANCE_ID", global = true)]
    pub instance_id: Option<String>,
    /// Secret for the per-job callback tokens (required with PUBLIC_URL; 16+ characters).
    #[arg(long, env = "CALLBACK_SECRET", global = true, hide_env_values = true)]
    pub callback_secret: Option<Secret>,
    /// Kie's webhook HMAC key, to verify callback signatures.
    #[arg(
        long,
        env = "KIE_WEBHOOK_HMAC_KEY",
        global = true,
        hide_env_values = true
    )]
    pub kie_hmac_key: Option<Secret>,
    /// Database connections in the pool.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 16, global = true)]
    pub db_pool_size: usize,
    /// Log level or filter (e.g. info, or bot=debug,info).
    #[arg(long, env = "LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,
    /// Log format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

/// Parses the command line and the environment, treating an empty environment variable as
/// unset: a platform's blank secret field (`KIE_WEBHOOK_HMAC_KEY=`) or a copied `.env` line
/// (`ADMIN_IDS=`) then means "not given" instead of a parse error.
pub fn parse_cli() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let command = Cli::command().mut_args(|arg| {
        let blank = arg
            .get_env()
            .and_then(std::env::var_os)
            .is_some_and(|value| value.to_string_lossy().trim().is_empty());
        if blank { arg.env(None::<&str>) } else { arg }
    });
    Cli::from_arg_matches(&command.try_get_matches()?)
}

/// A setting that is missing or wrong, named as the operator would set it.
#[derive(Debug)]
pub struct SettingError(pub String);

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingError {}

/// The settings `run` needs, checked.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Bot token.
    pub bot_token: Secret,
    /// Database URL.
    pub database_url: String,
    /// Kie key.
    pub kie_api_key: Secret,
}

impl RunArgs {
    /// Checks what `run` needs; the error names the first missing or wrong setting.
    pub fn check(&self) -> Result<Checked, SettingError> {
        let missing = |name: &str, flag: &str| {
            SettingError(format!("{name} (--{flag}) is not set; see bot --help"))
        };
        let bot_token = self
            .bot_token
            .clone()
            .ok_or_else(|| missing("BOT_TOKEN", "bot-token"))?;
        if !bot_token.0.contains(':') {
            return Err(SettingError(
                "BOT_TOKEN (--bot-token) does not look like a bot token (id:secret)".into(),
            ));
        }
        let kie_api_key = self
            .kie_api_key
            .clone()
            .ok_or_else(|| missing("KIE_API_KEY", "kie-api-key"))?;
        let database_url = self
            .database_url
            .clone()
            .ok_or_else(|| missing("DATABASE_URL", "database-url"))?;
        if !database_url.starts_with("postgres://") && !database_url.starts_with("postgresql://") {
            return Err(SettingError(
                "DATABASE_URL (--database-url) must start with postgres://".into(),
            ));
        }
        if self.public_url.is_some() && self.callback_secret.as_ref().is_none_or(|s| s.0.len() < 16)
        {
            return Err(SettingError(
                "CALLBACK_SECRET (--callback-secret) must be set (16+ characters) with PUBLIC_URL"
                    .into(),
            ));
        }
        if self.mode == Mode::Webhook {
            check_webhook_secret(self.webhook_secret.as_ref())?;
            if self.public_url.is_none() {
                return Err(SettingError(
                    "PUBLIC_URL (--public-url) must be set with BOT_MODE=webhook".into(),
                ));
            }
        }
        Ok(Checked {
            bot_token,
            database_url,
            kie_api_key,
        })
    }
}

/// WEBHOOK_SECRET as Telegram accepts it (1–256 of `A-Za-z0-9_-`), and at least 16 long so it
/// cannot be guessed.
pub fn check_webhook_secret(secret: Option<&Secret>) -> Result<&Secret, SettingError> {
    let secret = secret.ok_or_else(|| {
        SettingError("WEBHOOK_SECRET (--webhook-secret) is not set; see bot --help".into())
    })?;
    let allowed = secret
        .0
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !allowed || !(16..=256).contains(&secret.0.len()) {
        return Err(SettingError(
            "WEBHOOK_SECRET (--webhook-secret) must be 16–256 characters of A-Z a-z 0-9 _ -".into(),
        ));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("bot").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn missing_settings_are_named_and_secrets_are_hidden() {
        let cli = parse(&["run", "--bot-token", "1:abc"]);
        let err = cli.run.check().unwrap_err().to_string();
        assert!(err.starts_with("KIE_API_KEY"), "{err}");
        assert!(!err.contains('\n'));
        let debug = format!("{:?}", cli.run);
        assert!(!debug.contains("1:abc"), "{debug}");
    }

    #[test]
    fn malformed_values_are_refused() {
        assert!(
            Cli::try_parse_from(["bot", "--admin-ids", "1,x"]).is_err(),
            "a non-numeric admin id"
        );
        let cli = parse(&[
            "--bot-token",
            "nocolon",
            "--kie-api-key",
            "k",
            "--database-url",
            "postgres://x",
        ]);
        assert!(
            cli.run
                .check()
                .unwrap_err()
                .to_string()
                .starts_with("BOT_TOKEN")
        );
    }

    #[test]
    fn webhook_mode_needs_a_strong_secret_and_a_public_url() {
        let base = [
            "--bot-token",
            "1:abc",
            "--kie-api-key",
            "k",
            "--database-url",
            "postgres://x",
            "--mode",
            "webhook",
        ];
        let err = |extra: &[&str]| {
            let args: Vec<&str> = base.iter().chain(extra).copied().collect();
            parse(&args)
                .run
                .check()
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        assert!(err(&[]).starts_with("WEBHOOK_SECRET"));
        assert!(err(&["--webhook-secret", "short"]).starts_with("WEBHOOK_SECRET"));
        assert!(err(&["--webhook-secret", "bad chars in here!!"]).starts_with("WEBHOOK_SECRET"));
        assert!(err(&["--webhook-secret", "0123456789abcdef"]).starts_with("PUBLIC_URL"));
        let args: Vec<&str> = base
            .iter()
            .chain(&[
                "--webhook-secret",
                "0123456789abcdef",
                "--public-url",
                "https://x.example",
                "--callback-secret",
                "fedcba9876543210",
            ])
            .copied()
            .collect();
        assert!(parse(&args).run.check().is_ok());
    }
}

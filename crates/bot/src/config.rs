//! The command line and environment: every option is a flag, an environment variable and a line
//! in `.env`. A missing or malformed setting is a one-line error naming it; secrets never
//! appear in `Debug` output or errors.

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
    /// Long polling with getUpdates (one instance at a time).
    Polling,
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
/// working directory. Without BOT_TOKEN and KIE_API_KEY (and no subcommand), the
/// self-contained demo runs instead: the Kie simulator, a fake Telegram and a scripted user.
#[derive(Debug, Parser)]
#[command(name = "bot", version, about, long_about)]
pub struct Cli {
    /// What to run (default: the bot, or the demo when no tokens are given).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings of the bot.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot (needs BOT_TOKEN, KIE_API_KEY and DATABASE_URL).
    Run,
    /// Run the whole product against the Kie simulator and a fake Telegram with a scripted
    /// user, and print the conversation. Needs only PostgreSQL.
    Demo {
        /// Print the transcript in this language (ru or en).
        #[arg(long, default_value = "ru")]
        lang: String,
    },
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
    /// How updates arrive (webhook mode comes with the singleton lock).
    #[arg(
        long,
        env = "BOT_MODE",
        value_enum,
        default_value = "polling",
        global = true
    )]
    pub mode: Mode,
    /// Public HTTPS base URL where Kie can reach our callbacks (without it, jobs are polled).
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<Url>,
    /// Address the HTTP server (Kie callbacks, /healthz) listens on when PUBLIC_URL is set.
    #[arg(long, env = "LISTEN", default_value = "0.0.0.0:8080", global = true)]
    pub listen: SocketAddr,
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
    /// True when neither token is given (the demo runs instead of the bot).
    pub fn no_tokens(&self) -> bool {
        self.bot_token.is_none() && self.kie_api_key.is_none()
    }

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
        Ok(Checked {
            bot_token,
            database_url,
            kie_api_key,
        })
    }
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
}

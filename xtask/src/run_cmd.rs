//! `cargo xtask run`: the README's "run" command. With BOT_TOKEN and KIE_API_KEY (environment or
//! `.env`) it runs the bot (release build); without them it runs the self-contained demo on a
//! scratch database of the PostgreSQL `xtask test` would use (a throwaway cluster if need be).
//! It must never invent a token or reach Telegram or Kie without one.

use anyhow::{Context, Result, bail};

use crate::project;

/// Runs the bot or the demo; `extra` goes to the bot's command line.
pub fn run(extra: &[String]) -> Result<()> {
    // The bot reads .env itself; xtask reads it only to decide between bot and demo.
    let _ = dotenvy::from_path(project::root().join(".env"));
    let has = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(&cargo);
    cmd.current_dir(project::root());
    let _pg; // keeps a throwaway cluster alive while the demo runs
    if has("BOT_TOKEN") || has("KIE_API_KEY") {
        eprintln!("xtask run: starting the bot (release build)");
        cmd.args(["run", "--release", "--quiet", "-p", "bot", "--", "run"]);
    } else {
        let pg = crate::postgres::Postgres::find(false)?;
        eprintln!(
            "xtask run: BOT_TOKEN and KIE_API_KEY are not set, so this is the demo (PostgreSQL: {})",
            pg.origin
        );
        let url = match pg.url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/kiebot_demo"),
            None => bail!("unexpected PostgreSQL URL {}", pg.url),
        };
        cmd.args(["run", "--quiet", "-p", "stack", "--bin", "demo", "--"])
            .env("DATABASE_URL", url);
        _pg = pg;
    }
    let status = cmd.args(extra).status().context("running cargo")?;
    if !status.success() {
        bail!("the bot exited with {status}");
    }
    Ok(())
}

//! `demo`: the whole product against the Kie simulator and a fake Telegram, with a scripted
//! user, printed as a transcript. Needs only PostgreSQL. This is what `cargo xtask run` starts
//! when no tokens are given; the production `bot` binary never falls back to it.

use clap::Parser;

/// The self-contained demo of the Kie bot (no Telegram or Kie account needed).
#[derive(Debug, Parser)]
#[command(name = "demo", version, about)]
struct Args {
    /// Print the transcript in this language (ru or en).
    #[arg(long, default_value = "ru")]
    lang: String,
    /// PostgreSQL server to make the demo's scratch database on (its name gets `_run_<pid>`).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    match stack::run_demo(args.database_url, &args.lang).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

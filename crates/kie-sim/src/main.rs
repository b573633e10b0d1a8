//! The `kie-sim` binary: serves the simulator on a fixed address until Ctrl-C, for the e2e demo
//! and operators' dry runs. It must never print or log the API key or the HMAC key.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use kie_sim::{KieSim, SimConfig};

/// A Kie.ai API simulator: createTask, recordInfo, callbacks, uploads, credit, download-url.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Bearer key the simulator accepts.
    #[arg(long, env = "KIE_SIM_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Sign callbacks with this webhook HMAC key.
    #[arg(long, env = "KIE_SIM_HMAC_KEY", hide_env_values = true)]
    hmac_key: Option<String>,
    /// Run the simulated clock this many times faster (durations and rate-limit windows).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Starting credit balance.
    #[arg(long, default_value_t = 1000.0)]
    credits: f64,
    /// Credits charged per successful task.
    #[arg(long, default_value_t = 4.0)]
    credits_per_task: f64,
    /// Seed of all randomness (task ids, timing jitter).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Seconds a task spends generating (simulated time).
    #[arg(long)]
    generating_secs: Option<f64>,
    /// Base URL to hand out in result and upload links (default: the listen address).
    #[arg(long)]
    public_url: Option<url::Url>,
    /// Deliver each final callback this many times.
    #[arg(long, default_value_t = 1)]
    callback_repeats: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "kie_sim=info".into()),
        )
        .init();
    let args = Args::parse();
    let mut config = SimConfig::new(args.api_key);
    config.hmac_key = args.hmac_key;
    config.time_scale = args.time_scale;
    config.credits = args.credits;
    config.credits_per_task = args.credits_per_task;
    config.seed = args.seed;
    config.public_url = args.public_url;
    config.callback_repeats = args.callback_repeats;
    if let Some(secs) = args.generating_secs {
        anyhow::ensure!(
            secs >= 0.0 && secs.is_finite(),
            "--generating-secs must be >= 0"
        );
        config.timing.generating = Duration::from_secs_f64(secs);
    }
    let sim = KieSim::start_on(config, args.listen).await?;
    println!("kie-sim listening on {}", sim.base_url());
    stop_signal().await?;
    sim.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a supervisor on Unix.
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

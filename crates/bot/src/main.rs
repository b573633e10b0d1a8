//! `bot`: parses the command line (flags, environment, `.env`) and runs the bot or the demo.
//! Everything else lives in the library.

use clap::Parser;

use bot::config::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A missing .env is normal; a malformed one is reported by the settings it breaks.
    let _ = dotenvy::dotenv();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line naming the setting (clap's first line), not a page of usage.
            let text = e.render().to_string();
            eprintln!("{}", text.lines().next().unwrap_or("invalid arguments"));
            return std::process::ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::SUCCESS;
        }
    };
    bot::init_logging(&cli.run);
    let demo_lang = match &cli.command {
        Some(Command::Demo { lang }) => Some(lang.clone()),
        None if cli.run.no_tokens() => {
            eprintln!(
                "BOT_TOKEN and KIE_API_KEY are not set: running the self-contained demo (bot --help for the real thing)"
            );
            Some("ru".to_string())
        }
        _ => None,
    };
    let result = match demo_lang {
        Some(lang) => bot::demo::run_demo(&cli.run, &lang).await,
        None => match cli.run.check() {
            Ok(checked) => bot::run(cli.run.clone(), checked).await,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! `bot`: parses the command line (flags, environment, `.env`) and runs the bot, or registers
//! or deletes its webhook. Everything else lives in the library.
//!
//! Exit codes: 0 after a clean stop, 2 for a missing or malformed setting (one line naming
//! it), 1 for a failure while running. It fails closed: there is no demo in this binary.

use bot::config::Command;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A missing .env is normal; a malformed one is reported by the settings it breaks.
    let _ = dotenvy::dotenv();
    let cli = match bot::config::parse_cli() {
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
    let command = cli.command.unwrap_or(Command::Run);
    let result = match command {
        Command::Run => match cli.run.check() {
            Ok(checked) => bot::run(cli.run.clone(), checked).await,
            Err(e) => return setting_error(&e),
        },
        Command::SetWebhook | Command::DeleteWebhook => {
            match bot::webhook_admin(&cli.run, command == Command::SetWebhook).await {
                Err(bot::AdminError::Setting(e)) => return setting_error(&e),
                Err(bot::AdminError::Failed(e)) => Err(e),
                Ok(()) => Ok(()),
            }
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn setting_error(e: &bot::config::SettingError) -> std::process::ExitCode {
    eprintln!("error: {e}");
    std::process::ExitCode::from(2)
}

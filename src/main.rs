use clap::Parser;
use newsflow::commands::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // JSON logs for log shippers (stderr redirected, containers), text on a terminal.
    newsflow::observability::init_tracing(cli.log_json || !std::io::stderr().is_terminal());
    let result = match cli.command {
        Command::Enrich(args) => newsflow::commands::enrich::run(args),
        #[cfg(feature = "kafka")]
        Command::Run(args) => newsflow::commands::run::run(args),
        #[cfg(feature = "kafka")]
        Command::Replay(args) => newsflow::commands::replay::run(args),
        Command::CheckConfig(args) => newsflow::commands::check_config::run(args),
        Command::Eval { command } => command.run(),
        Command::Train { command } => command.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("newsflow: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

//! The command line: one module per subcommand, each with its `Args` and a
//! `run` function, so `main.rs` stays a dispatcher.

pub mod enrich;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "newsflow",
    version,
    about = "Stream processor for news: clean, entities, relations"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enrich JSON Lines articles from a file or stdin to stdout (no Kafka).
    Enrich(enrich::Args),
}

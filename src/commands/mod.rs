//! The command line: one module per subcommand, each with its `Args` and a
//! `run` function, so `main.rs` stays a dispatcher.

pub mod check_config;
pub mod enrich;
pub mod eval_clean;
pub mod eval_ner;
pub mod eval_relations;
#[cfg(feature = "kafka")]
pub mod replay;
#[cfg(feature = "kafka")]
pub mod run;
pub mod train_clean;
pub mod train_clean_html;
pub mod train_ner;
pub mod train_relations;

use clap::{Parser, Subcommand};

/// Worker threads for a command's `--jobs` option: the option, or one per
/// core when it is not given (at least one).
pub fn jobs(option: Option<usize>) -> usize {
    option
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

#[derive(Debug, Parser)]
#[command(
    name = "newsflow",
    version,
    about = "Stream processor for news: clean, entities, relations"
)]
pub struct Cli {
    /// Log JSON lines on stderr even on a terminal (JSON is the default when stderr is not a terminal).
    #[arg(long, global = true, env = "NEWSFLOW_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enrich JSON Lines articles from a file or stdin to stdout (no Kafka).
    Enrich(enrich::Args),
    /// Run the Kafka job: consume raw articles, publish enriched records, relations, dead letters.
    #[cfg(feature = "kafka")]
    Run(run::Args),
    /// Re-run a range of a topic (or the DLQ) through the pipeline, without touching the live group.
    #[cfg(feature = "kafka")]
    Replay(replay::Args),
    /// Validate the configuration and print it with secrets masked.
    CheckConfig(check_config::Args),
    /// Measure a stage against ground truth (`newsflow eval clean DIR`, ...).
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Train a stage's model from the corpora in ../shared (`newsflow train ner`, ...).
    Train {
        #[command(subcommand)]
        command: TrainCommand,
    },
}

/// `newsflow eval <stage>`: one variant per evaluated stage, each with its
/// own module `eval_<stage>` (`Args` + `run`).
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Word-level P/R/F1 of the clean stage on pages with ground truth (WCXB layout).
    Clean(eval_clean::Args),
    /// Strict span P/R/F1 of the entity tagger on a CoNLL-style file (token and tag columns, IOB).
    Ner(eval_ner::Args),
    /// Strict micro P/R/F1 of relations on CoNLL04-format JSON, end to end or given gold entities.
    Relations(eval_relations::Args),
}

impl EvalCommand {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            EvalCommand::Clean(args) => eval_clean::run(args),
            EvalCommand::Ner(args) => eval_ner::run(args),
            EvalCommand::Relations(args) => eval_relations::run(args),
        }
    }
}

/// `newsflow train <stage>`: one variant per trainable model, each with its
/// own module `train_<stage>` (`Args` + `run`).
#[derive(Debug, Subcommand)]
pub enum TrainCommand {
    /// The entity tagger (PER, ORG, LOC, MISC) from ../shared/corpora/ner and CoNLL04.
    Ner(train_ner::Args),
    /// The CoNLL04 pair classifier of the relations stage.
    Relations(train_relations::Args),
    /// The line model of the clean stage's scraped-text path, from WCXB dev (held-out fifth scored).
    Clean(train_clean::Args),
    /// The HTML path's line combiner (extractor output + line model), from WCXB dev.
    CleanHtml(train_clean_html::Args),
}

impl TrainCommand {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            TrainCommand::Ner(args) => train_ner::run(args),
            TrainCommand::Relations(args) => train_relations::run(args),
            TrainCommand::Clean(args) => train_clean::run(args),
            TrainCommand::CleanHtml(args) => train_clean_html::run(args),
        }
    }
}

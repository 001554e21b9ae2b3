//! newsflow: a stream processor for news.
//!
//! * [`pipeline`]: the pure core (clean, language, tokens, entities,
//!   linking, relations). No I/O.
//! * `stream`: the Kafka runtime around the core (feature `kafka`).
//! * [`commands`]: the CLI subcommands, one module each.
//! * [`observability`]: logs, metrics, `/health` and `/ready`.

pub mod commands;
pub mod config;
pub mod observability;
pub mod pipeline;
#[cfg(feature = "kafka")]
pub mod stream;

//! `newsflow replay`: re-run a range of a topic through the pipeline.
//!
//! Its own consumer (throw-away group, nothing committed: the live group's
//! offsets are untouched), the normal outputs or the topics given with
//! `--enriched-topic`/`--relations-topic`/`--dlq-topic`, a progress line
//! with ETA on a terminal, and exit when the range is done. `--topic
//! articles.dlq` re-drives dead letters after a fix. See docs/stream.md.

use crate::config::{CliOverrides, Config};
use crate::observability::Health;
use crate::pipeline::Pipeline;
use crate::stream::replay::{parse_time, resolve, Bound, KafkaLookup, ProgressLine, RangeSpec};
use crate::stream::runtime::{self, client_config, Options, Source};
use crate::stream::worker::EnrichFn;
use anyhow::Context;
use rdkafka::consumer::BaseConsumer;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub config: CliOverrides,
    /// Topic to replay (default: the input topic; the DLQ topic to re-drive dead letters).
    #[arg(long)]
    pub topic: Option<String>,
    /// Partitions to replay, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub partitions: Option<Vec<i32>>,
    /// First offset (inclusive) in every chosen partition.
    #[arg(long, conflicts_with = "from_time")]
    pub from_offset: Option<i64>,
    /// End offset (exclusive) in every chosen partition.
    #[arg(long, conflicts_with = "to_time")]
    pub to_offset: Option<i64>,
    /// First record time (inclusive), RFC 3339, e.g. 2026-11-29T10:00:00Z.
    #[arg(long)]
    pub from_time: Option<String>,
    /// End time (exclusive), RFC 3339.
    #[arg(long)]
    pub to_time: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut config = Config::load(&args.config)?;
    config.metrics.listen.clear();
    // The replayed topic may be an output (the DLQ, to re-drive it): the
    // range is finite, so reading it cannot loop.
    let spec = RangeSpec {
        topic: args.topic.clone().unwrap_or_else(|| config.topics.input.clone()),
        partitions: args.partitions.clone(),
        from: match (args.from_offset, &args.from_time) {
            (Some(o), _) => Some(Bound::Offset(o)),
            (None, Some(t)) => Some(Bound::Time(parse_time(t)?)),
            (None, None) => None,
        },
        to: match (args.to_offset, &args.to_time) {
            (Some(o), _) => Some(Bound::Offset(o)),
            (None, Some(t)) => Some(Bound::Time(parse_time(t)?)),
            (None, None) => None,
        },
    };
    let parts = {
        let mut props = config.consumer_properties();
        props.insert(
            "group.id".into(),
            format!("{}-replay-lookup-{}", config.group_id, std::process::id()),
        );
        let lookup_consumer: BaseConsumer = client_config(&props)
            .create()
            .context("creating the consumer for offset lookups")?;
        let lookup = KafkaLookup {
            consumer: &lookup_consumer,
            timeout: Duration::from_secs(10),
        };
        resolve(&spec, &lookup)?
    };
    let total: u64 = parts.iter().map(|p| (p.to - p.from).max(0) as u64).sum();
    for p in &parts {
        tracing::info!(topic = %p.topic, partition = p.partition, from = p.from, to = p.to, "replay range");
    }
    let stages = config.stages().map_err(anyhow::Error::msg)?;
    let pipeline = Arc::new(Pipeline::load().context("loading the models")?);
    let provenance = super::run::provenance(&pipeline);
    let enrich: Arc<EnrichFn> = Arc::new(move |a| pipeline.enrich(a, stages));
    let progress = Arc::new(ProgressLine::new(total));
    let started = Instant::now();
    let report = {
        let progress = Arc::clone(&progress);
        Arc::new(move |done: u64| progress.update(done))
    };
    runtime::run(
        Options {
            config,
            enrich,
            provenance,
            health: Arc::new(Health::new()),
            shutdown: Arc::new(AtomicBool::new(false)),
        },
        Source::Range(parts),
        Some(report),
    )?;
    progress.finish();
    tracing::info!(
        records = total,
        seconds = started.elapsed().as_secs_f64(),
        "replay done"
    );
    Ok(())
}

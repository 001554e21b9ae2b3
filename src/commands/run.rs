//! `newsflow run --brokers HOST:PORT [--config FILE]`: the live job.
//!
//! Consumes raw articles, enriches them, publishes enriched records,
//! relations and dead letters, serves /metrics, /health and /ready, and on
//! SIGTERM/SIGINT drains, commits and exits 0. See docs/stream.md.

use crate::config::Config;
use crate::observability::Health;
use crate::pipeline::Pipeline;
use crate::stream::produce::Provenance;
use crate::stream::runtime::{self, Options, Source};
use crate::stream::worker::EnrichFn;
use anyhow::Context;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Every setting's command-line override (`--brokers`, `--config`, ...).
pub use crate::config::CliOverrides as Args;

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::load(&args)?;
    let stages = config.stages().map_err(anyhow::Error::msg)?;
    let pipeline = Arc::new(Pipeline::load().context("loading the models")?);
    let provenance = provenance(&pipeline);
    let enrich: Arc<EnrichFn> = {
        let pipeline = Arc::clone(&pipeline);
        Arc::new(move |a| pipeline.enrich(a, stages))
    };
    let health = Arc::new(Health::new());
    let shutdown = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .thread_name("newsflow-http")
        .build()
        .context("starting the async runtime")?;
    let server = if config.metrics.listen.is_empty() {
        None
    } else {
        let addr = config.metrics.listen.parse().context("metrics.listen")?;
        Some(rt.block_on(crate::observability::serve(addr, Arc::clone(&health)))?)
    };
    rt.spawn(watch_signals(Arc::clone(&shutdown)));
    tracing::info!(brokers = %config.brokers, workers = config.workers(), "newsflow run starting");
    let result = runtime::run(
        Options {
            config,
            enrich,
            provenance,
            health,
            shutdown,
        },
        Source::Live,
        None,
    );
    if let Some(server) = server {
        server.abort();
    }
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    result?;
    tracing::info!("stopped cleanly: in-flight records drained and offsets committed");
    Ok(())
}

/// Provenance stamped on every output of this process.
pub fn provenance(pipeline: &Pipeline) -> Provenance {
    Provenance {
        pipeline_version: crate::pipeline::PIPELINE_VERSION.to_owned(),
        model_versions: pipeline.model_versions(),
    }
}

/// Sets `shutdown` on the first SIGTERM or SIGINT; a second one exits at
/// once (the operator insists; uncommitted records are processed again).
pub async fn watch_signals(shutdown: Arc<AtomicBool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::error!("cannot install signal handlers: stop with SIGKILL only");
        return;
    };
    for n in 0.. {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        if n == 0 {
            tracing::info!(
                "signal received: stopping intake, draining, committing (send again to exit at once)"
            );
            shutdown.store(true, Ordering::SeqCst);
        } else {
            tracing::warn!("second signal: exiting without draining");
            std::process::exit(130);
        }
    }
}

//! Logs, metrics and health endpoints.
//!
//! * [`init_tracing`]: structured logs on stderr (JSON for machines, human
//!   text on a terminal), filtered by `NEWSFLOW_LOG`. Available in every build.
//! * [`Health`]: the two facts readiness rests on (partitions assigned,
//!   broker reachable), shared between the Kafka runtime and the HTTP server.
//! * [`serve`] (feature `kafka`): installs the Prometheus recorder and serves
//!   `/metrics`, `/health` and `/ready`.
//! * [`metric`]: the metric names the runtime emits, so producer and
//!   documentation cannot drift apart; [`describe_metrics`] gives them
//!   their `# HELP` text.
//!
//! The metric names, labels and endpoints are documented for operators in
//! `docs/observability.md`; the Grafana dashboard in `deploy/grafana/`
//! queries them by name.

use std::sync::atomic::{AtomicBool, Ordering};

/// Crates whose log records are parser chatter, not news for an operator:
/// html5ever reports every malformed-markup recovery ("foster parenting not
/// implemented", "unexpected token") as a warning, about 2,000 lines for
/// the 1,497 WCXB dev pages through `enrich`, none of them actionable and
/// none carrying the article id. They stay available by naming the target
/// in `NEWSFLOW_LOG` (e.g. `info,html5ever=warn`).
const QUIET_TARGETS: &[&str] = &["html5ever"];

/// The filter directives `init_tracing` uses: the user's `NEWSFLOW_LOG`
/// (default `info`), plus `=error` for each [`QUIET_TARGETS`] entry the
/// user's filter does not mention, so that `NEWSFLOW_LOG=debug` still
/// means "debug for newsflow" and not a flood from the HTML parser.
pub fn log_filter_spec(user: Option<&str>) -> String {
    let base = match user.map(str::trim) {
        Some(spec) if !spec.is_empty() => spec,
        _ => "info",
    };
    let mut spec = base.to_string();
    for target in QUIET_TARGETS {
        if !base.contains(target) {
            spec.push_str(&format!(",{target}=error"));
        }
    }
    spec
}

/// Sets up the global `tracing` subscriber, writing to stderr.
///
/// `json`: one JSON object per line (for log shippers; `main` picks it when
/// stderr is not a terminal or `--log-json` is given), else human-readable
/// text. The filter comes from `NEWSFLOW_LOG` (`tracing` env-filter syntax,
/// e.g. `info,newsflow::stream=debug`), default `info`; an invalid filter is
/// reported on stderr and `info` is used rather than failing the run. The
/// HTML parser's recovery notices are quietened unless the filter names
/// them (see [`log_filter_spec`]).
///
/// In JSON, event fields are flattened to the top level and the fields of
/// the current span (the runtime's per-record span carries topic,
/// partition, offset and article id) are under `span`, so every log line
/// about a record can be traced back to its message.
///
/// Calling it a second time (tests) leaves the first subscriber in place.
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let user = std::env::var("NEWSFLOW_LOG").ok();
    let filter = EnvFilter::try_new(log_filter_spec(user.as_deref())).unwrap_or_else(|err| {
        eprintln!(
            "newsflow: NEWSFLOW_LOG={:?} is not a valid log filter ({err}); using `info`. \
             Example: NEWSFLOW_LOG=info,newsflow::stream=debug",
            user.unwrap_or_default()
        );
        EnvFilter::new(log_filter_spec(None))
    });
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    // `try_init`: a second call (tests, embedding) must not panic.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Names of the metrics newsflow emits. Labels are given in each doc
/// comment; `docs/observability.md` explains them for operators.
pub mod metric {
    /// Counter, label `topic`: messages consumed from an input topic.
    pub const RECORDS_IN: &str = "newsflow_records_in_total";
    /// Counter, label `topic`: records acknowledged by the broker on an output topic.
    pub const RECORDS_OUT: &str = "newsflow_records_out_total";
    /// Counter, label `reason`: messages sent to the dead-letter topic, by error kind.
    pub const RECORDS_DLQ: &str = "newsflow_records_dlq_total";
    /// Histogram (seconds), label `stage`: wall time of one pipeline stage on one article.
    pub const STAGE_SECONDS: &str = "newsflow_stage_seconds";
    /// Histogram (seconds): input message timestamp to the broker's ack of its last output.
    pub const END_TO_END_SECONDS: &str = "newsflow_end_to_end_seconds";
    /// Gauge: messages consumed and not yet acknowledged on the output or DLQ.
    pub const IN_FLIGHT: &str = "newsflow_in_flight";
    /// Gauge, labels `topic`, `partition`: high watermark minus committed position.
    pub const CONSUMER_LAG: &str = "newsflow_consumer_lag";
    /// Counter: successful offset commits (or offsets sent in a transaction).
    pub const COMMITS: &str = "newsflow_commits_total";
    /// Counter, label `outcome` (`committed`, `aborted`): producer transactions (exactly-once mode).
    pub const TRANSACTIONS: &str = "newsflow_transactions_total";
    /// Counter, label `kind`: transient failures retried with backoff (never dropped, never DLQ'd).
    pub const RETRIES: &str = "newsflow_retries_total";
    /// Gauge: 1 while `/ready` answers 200, else 0 (updated on each scrape).
    pub const READY: &str = "newsflow_ready";
    /// Gauge: 1 while the consumer holds at least one partition (updated on each scrape).
    pub const PARTITIONS_ASSIGNED: &str = "newsflow_partitions_assigned";
    /// Gauge: 1 while the broker answers (updated on each scrape).
    pub const BROKER_REACHABLE: &str = "newsflow_broker_reachable";
    /// Gauge = 1, labels `version`, `pipeline_version`: which build is running.
    pub const BUILD_INFO: &str = "newsflow_build_info";

    /// Every name above (the dashboard and docs tests check against it).
    pub const ALL: &[&str] = &[
        RECORDS_IN,
        RECORDS_OUT,
        RECORDS_DLQ,
        STAGE_SECONDS,
        END_TO_END_SECONDS,
        IN_FLIGHT,
        CONSUMER_LAG,
        COMMITS,
        TRANSACTIONS,
        RETRIES,
        READY,
        PARTITIONS_ASSIGNED,
        BROKER_REACHABLE,
        BUILD_INFO,
    ];
}

/// Histogram buckets (seconds) for [`metric::STAGE_SECONDS`]: a stage takes
/// from tens of microseconds (clean on a short text) to a few hundred
/// milliseconds (relations on a long article); the tail buckets catch
/// pathological inputs.
pub const STAGE_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0,
];

/// Histogram buckets (seconds) for [`metric::END_TO_END_SECONDS`]: from the
/// input message's timestamp (set by its producer or the broker) to the
/// broker's acknowledgement of its last output, so it includes the input's time in
/// Kafka, consumer fetch batching and queueing behind the in-flight bound:
/// milliseconds when idle, seconds to minutes under backlog or after a stall.
pub const END_TO_END_BUCKETS: &[f64] = &[
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Registers `# HELP` text and units for every metric in [`metric`].
///
/// Descriptions go to the recorder installed at the time of the call, so
/// [`serve`] calls this right after installing its recorder; calling it
/// again is harmless.
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        metric::RECORDS_IN,
        Unit::Count,
        "Messages consumed from the input topic (label topic)."
    );
    describe_counter!(
        metric::RECORDS_OUT,
        Unit::Count,
        "Records acknowledged by the broker on an output topic (label topic)."
    );
    describe_counter!(
        metric::RECORDS_DLQ,
        Unit::Count,
        "Messages written to the dead-letter topic, by error kind (label reason)."
    );
    describe_histogram!(
        metric::STAGE_SECONDS,
        Unit::Seconds,
        "Wall time of one pipeline stage on one article (label stage)."
    );
    describe_histogram!(
        metric::END_TO_END_SECONDS,
        Unit::Seconds,
        "Time from the input message's Kafka timestamp until the broker acknowledged its last output (enriched, relations or dead letter)."
    );
    describe_gauge!(
        metric::IN_FLIGHT,
        Unit::Count,
        "Messages consumed and not yet acknowledged on the output or the DLQ."
    );
    describe_gauge!(
        metric::CONSUMER_LAG,
        Unit::Count,
        "Messages between the committed position and the high watermark (labels topic, partition)."
    );
    describe_counter!(
        metric::COMMITS,
        Unit::Count,
        "Successful consumer offset commits (or offsets sent in a transaction)."
    );
    describe_counter!(
        metric::TRANSACTIONS,
        Unit::Count,
        "Producer transactions in exactly-once mode (label outcome: committed, aborted)."
    );
    describe_counter!(
        metric::RETRIES,
        Unit::Count,
        "Transient failures retried with backoff; these never drop data (label kind)."
    );
    describe_gauge!(
        metric::READY,
        "1 while /ready answers 200 (partitions assigned and broker reachable)."
    );
    describe_gauge!(
        metric::PARTITIONS_ASSIGNED,
        "1 while the consumer holds at least one partition."
    );
    describe_gauge!(metric::BROKER_REACHABLE, "1 while the broker answers.");
    describe_gauge!(
        metric::BUILD_INFO,
        "Always 1; labels version and pipeline_version say which build runs."
    );
}

/// What readiness rests on, set by the Kafka runtime and read by `/ready`.
///
/// Plain atomics: the runtime updates them from rdkafka callbacks (rebalance,
/// error and stats callbacks run on librdkafka's threads) without locks, and
/// the HTTP handler only loads them. A fresh `Health` is not ready.
#[derive(Debug, Default)]
pub struct Health {
    partitions_assigned: AtomicBool,
    broker_reachable: AtomicBool,
}

/// A snapshot of [`Health`], as `/ready` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub partitions_assigned: bool,
    pub broker_reachable: bool,
}

impl Readiness {
    /// Why the process is not ready, in words an operator can act on.
    pub fn reason(&self) -> &'static str {
        match (self.partitions_assigned, self.broker_reachable) {
            (true, true) => "ready",
            (false, true) => "no partitions assigned (waiting for the consumer group, or every partition is held by other replicas)",
            (true, false) => "broker unreachable (check the brokers setting and the network; records are retried, not dropped)",
            (false, false) => "broker unreachable and no partitions assigned (check the brokers setting and the network)",
        }
    }
}

impl Health {
    pub fn new() -> Health {
        Health::default()
    }

    /// Called on rebalance: true once partitions are assigned, false when all are revoked.
    pub fn set_partitions_assigned(&self, assigned: bool) {
        self.partitions_assigned.store(assigned, Ordering::Relaxed);
    }

    /// Called when the broker answers (true) or on all-brokers-down / transport errors (false).
    pub fn set_broker_reachable(&self, reachable: bool) {
        self.broker_reachable.store(reachable, Ordering::Relaxed);
    }

    /// Ready = partitions assigned and broker reachable.
    pub fn is_ready(&self) -> bool {
        self.readiness().ready
    }

    pub fn readiness(&self) -> Readiness {
        let partitions_assigned = self.partitions_assigned.load(Ordering::Relaxed);
        let broker_reachable = self.broker_reachable.load(Ordering::Relaxed);
        Readiness {
            ready: partitions_assigned && broker_reachable,
            partitions_assigned,
            broker_reachable,
        }
    }
}

#[cfg(feature = "kafka")]
pub use server::{serve, serve_listener};

#[cfg(feature = "kafka")]
mod server {
    use super::{describe_metrics, metric, Health, END_TO_END_BUCKETS, STAGE_BUCKETS};
    use anyhow::Context;
    use axum::extract::State;
    use axum::http::{header, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::Router;
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
    use metrics_util::MetricKindMask;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::Duration;
    use tokio::task::JoinHandle;

    /// How often histograms are drained into their buckets between scrapes,
    /// so memory stays bounded when nothing scrapes.
    const UPKEEP_EVERY: Duration = Duration::from_secs(5);

    /// Gauges not set for this long disappear from `/metrics` (see
    /// `prometheus_handle`); well above the statistics and commit intervals.
    const GAUGE_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

    /// The process-wide recorder: `metrics` allows one global recorder, and
    /// tests call `serve` several times.
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    static INSTALL: Mutex<()> = Mutex::new(());

    fn prometheus_handle() -> anyhow::Result<PrometheusHandle> {
        if let Some(handle) = HANDLE.get() {
            return Ok(handle.clone());
        }
        let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = HANDLE.get() {
            return Ok(handle.clone());
        }
        let handle = PrometheusBuilder::new()
            // A partition's lag gauge stops being updated when another replica
            // takes the partition over; without expiry its last value would be
            // exported forever. Every live gauge is set at least every few seconds.
            .idle_timeout(MetricKindMask::GAUGE, Some(GAUGE_IDLE_TIMEOUT))
            .set_buckets_for_metric(Matcher::Full(metric::STAGE_SECONDS.into()), STAGE_BUCKETS)?
            .set_buckets_for_metric(Matcher::Full(metric::END_TO_END_SECONDS.into()), END_TO_END_BUCKETS)?
            .install_recorder()
            .context("installing the Prometheus metrics recorder (another metrics recorder is already installed in this process)")?;
        describe_metrics();
        let _ = HANDLE.set(handle.clone());
        Ok(handle)
    }

    #[derive(Clone)]
    struct AppState {
        prometheus: PrometheusHandle,
        health: Arc<Health>,
    }

    /// Installs the Prometheus recorder (once per process) and serves
    /// `/metrics`, `/health` and `/ready` on `addr` in a background task.
    ///
    /// Binding happens before this returns, so a taken port is an error
    /// here, with advice, rather than a log line from a task. Abort the
    /// returned handle to stop the server.
    pub async fn serve(addr: SocketAddr, health: Arc<Health>) -> anyhow::Result<JoinHandle<()>> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
            let advice = match err.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "the port is already in use (another newsflow replica on this host?): \
                     set `metrics.listen` to a free address"
                }
                std::io::ErrorKind::PermissionDenied => {
                    "ports below 1024 need privileges: set `metrics.listen` to a port above 1024"
                }
                std::io::ErrorKind::AddrNotAvailable => {
                    "this host has no such address: set `metrics.listen` to 0.0.0.0:PORT or 127.0.0.1:PORT"
                }
                _ => "check `metrics.listen`",
            };
            anyhow::anyhow!("cannot serve metrics on {addr}: {err}; {advice}")
        })?;
        serve_listener(listener, health).await
    }

    /// [`serve`] on a listener the caller bound (tests bind port 0 and read
    /// the address back).
    pub async fn serve_listener(
        listener: tokio::net::TcpListener,
        health: Arc<Health>,
    ) -> anyhow::Result<JoinHandle<()>> {
        let prometheus = prometheus_handle()?;
        let local = listener.local_addr().ok();
        let app = Router::new()
            .route("/metrics", get(metrics_endpoint))
            .route("/health", get(health_endpoint))
            .route("/ready", get(ready_endpoint))
            .with_state(AppState {
                prometheus: prometheus.clone(),
                health,
            });
        if let Some(addr) = local {
            tracing::info!(%addr, "serving /metrics, /health and /ready");
        }
        Ok(tokio::spawn(async move {
            let upkeep = async {
                let mut tick = tokio::time::interval(UPKEEP_EVERY);
                loop {
                    tick.tick().await;
                    prometheus.run_upkeep();
                }
            };
            tokio::select! {
                result = axum::serve(listener, app) => {
                    if let Err(err) = result {
                        tracing::error!(error = %err, "metrics server stopped");
                    }
                }
                () = upkeep => {}
            }
        }))
    }

    async fn metrics_endpoint(State(state): State<AppState>) -> Response {
        let r = state.health.readiness();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        metrics::gauge!(metric::READY).set(flag(r.ready));
        metrics::gauge!(metric::PARTITIONS_ASSIGNED).set(flag(r.partitions_assigned));
        metrics::gauge!(metric::BROKER_REACHABLE).set(flag(r.broker_reachable));
        // Set on every scrape, like the three above, so the idle timeout never expires it.
        metrics::gauge!(
            metric::BUILD_INFO,
            "version" => env!("CARGO_PKG_VERSION"),
            "pipeline_version" => crate::pipeline::PIPELINE_VERSION
        )
        .set(1.0);
        (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            state.prometheus.render(),
        )
            .into_response()
    }

    /// Liveness: answers while the process runs and its runtime schedules tasks.
    async fn health_endpoint() -> Response {
        json_response(StatusCode::OK, serde_json::json!({ "status": "ok" }))
    }

    async fn ready_endpoint(State(state): State<AppState>) -> Response {
        let r = state.health.readiness();
        let status = if r.ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        json_response(
            status,
            serde_json::json!({
                "ready": r.ready,
                "partitions_assigned": r.partitions_assigned,
                "broker_reachable": r.broker_reachable,
                "reason": r.reason(),
            }),
        )
    }

    fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_needs_both_facts() {
        let h = Health::new();
        assert!(!h.is_ready(), "a fresh process is not ready");
        h.set_broker_reachable(true);
        assert!(!h.is_ready());
        assert!(h.readiness().reason().starts_with("no partitions"));
        h.set_partitions_assigned(true);
        assert!(h.is_ready());
        assert_eq!(h.readiness().reason(), "ready");
        h.set_broker_reachable(false);
        assert!(!h.is_ready());
        assert!(h.readiness().reason().starts_with("broker unreachable"));
        h.set_partitions_assigned(false);
        assert!(h.readiness().reason().contains("and no partitions"));
    }

    /// Whether an event of `level` from html5ever's tree builder, and an
    /// info event from newsflow, pass the filter `spec`.
    fn passes(spec: &str) -> (bool, bool) {
        use tracing_subscriber::layer::SubscriberExt;
        let filter = tracing_subscriber::EnvFilter::try_new(spec).unwrap();
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            (
                tracing::enabled!(target: "html5ever::tree_builder", tracing::Level::WARN),
                tracing::enabled!(target: "newsflow::commands::enrich", tracing::Level::INFO),
            )
        })
    }

    #[test]
    fn html_parser_warnings_are_quiet_unless_asked_for() {
        assert_eq!(passes(&log_filter_spec(None)), (false, true));
        assert_eq!(passes(&log_filter_spec(Some("  "))), (false, true));
        // A user asking for more detail still does not get the parser's chatter ...
        assert_eq!(passes(&log_filter_spec(Some("debug"))), (false, true));
        // ... unless they name it.
        assert_eq!(
            passes(&log_filter_spec(Some("info,html5ever=warn"))),
            (true, true)
        );
        assert_eq!(log_filter_spec(Some("warn")), "warn,html5ever=error");
    }

    #[test]
    fn buckets_are_sorted() {
        for b in [STAGE_BUCKETS, END_TO_END_BUCKETS] {
            assert!(b.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[cfg(feature = "kafka")]
    mod http {
        use super::super::*;
        use std::sync::Arc;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        /// A minimal HTTP/1.1 GET: status code and body.
        async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.unwrap();
            let response = String::from_utf8(response).unwrap();
            let status: u16 = response
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
            let body = response
                .split_once("\r\n\r\n")
                .map(|(_, b)| b.to_owned())
                .unwrap_or_default();
            (status, body)
        }

        async fn start(health: Arc<Health>) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            (addr, serve_listener(listener, health).await.unwrap())
        }

        #[tokio::test]
        async fn endpoints_answer_and_ready_follows_health() {
            let health = Arc::new(Health::new());
            let (addr, server) = start(health.clone()).await;

            let (status, body) = get(addr, "/health").await;
            assert_eq!(status, 200);
            assert!(body.contains("\"ok\""), "{body}");

            let (status, body) = get(addr, "/ready").await;
            assert_eq!(status, 503, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["ready"], false);
            assert_eq!(v["partitions_assigned"], false);
            assert!(v["reason"].as_str().unwrap().contains("unreachable"));

            health.set_broker_reachable(true);
            health.set_partitions_assigned(true);
            let (status, body) = get(addr, "/ready").await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&body).unwrap()["ready"],
                true
            );

            // A stalled broker makes the replica unready, recovery makes it ready again.
            health.set_broker_reachable(false);
            assert_eq!(get(addr, "/ready").await.0, 503);
            health.set_broker_reachable(true);
            assert_eq!(get(addr, "/ready").await.0, 200);

            assert_eq!(get(addr, "/nope").await.0, 404);
            server.abort();
        }

        #[tokio::test]
        async fn metrics_renders_histograms_with_configured_buckets() {
            let health = Arc::new(Health::new());
            let (addr, server) = start(health.clone()).await;
            metrics::counter!(metric::RECORDS_IN, "topic" => "obs-test.raw").increment(3);
            metrics::counter!(metric::RECORDS_DLQ, "reason" => "obs_test").increment(1);
            metrics::histogram!(metric::STAGE_SECONDS, "stage" => "obs_test").record(0.0003);
            metrics::histogram!(metric::END_TO_END_SECONDS).record(0.02);
            metrics::gauge!(metric::CONSUMER_LAG, "topic" => "obs-test.raw", "partition" => "0").set(5.0);

            let (status, body) = get(addr, "/metrics").await;
            assert_eq!(status, 200);
            assert!(body.contains("# HELP newsflow_records_in_total"), "{body}");
            assert!(
                body.contains("newsflow_records_in_total{topic=\"obs-test.raw\"} 3"),
                "{body}"
            );
            assert!(
                body.contains("newsflow_records_dlq_total{reason=\"obs_test\"} 1"),
                "{body}"
            );
            // Real histograms (buckets), not summaries: Grafana computes p50/p99 from them.
            assert!(
                body.contains("newsflow_stage_seconds_bucket{stage=\"obs_test\",le=\"0.0005\"} 1"),
                "{body}"
            );
            assert!(body.contains("newsflow_stage_seconds_bucket{stage=\"obs_test\",le=\"0.00025\"} 0"));
            assert!(
                body.contains("newsflow_end_to_end_seconds_bucket{le=\"0.025\"} 1"),
                "{body}"
            );
            assert!(body.contains("newsflow_consumer_lag{topic=\"obs-test.raw\",partition=\"0\"} 5"));
            assert!(body.contains("newsflow_ready 0"), "{body}");
            assert!(body.contains("newsflow_build_info{"), "{body}");
            health.set_broker_reachable(true);
            health.set_partitions_assigned(true);
            assert!(get(addr, "/metrics").await.1.contains("newsflow_ready 1"));
            server.abort();
        }

        #[tokio::test]
        async fn port_in_use_says_what_to_do() {
            let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = taken.local_addr().unwrap();
            let err = serve(addr, Arc::new(Health::new()))
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("metrics.listen"), "{err}");
            assert!(err.contains(&addr.to_string()), "{err}");
        }
    }
}

//! Faults a real broker cannot produce on demand, on librdkafka's mock
//! cluster: produce requests failing with retriable errors, and the broker
//! going down and coming back. Transient errors are retried, never dead-
//! lettered, nothing is lost, and the pipeline recovers on its own.
#![cfg(feature = "kafka")]

mod support;

use newsflow::observability::Health;
use newsflow::pipeline::{Article, Pipeline, Stages};
use newsflow::stream::produce::Provenance;
use newsflow::stream::runtime::{self, Options, Source};
use newsflow::stream::worker::EnrichFn;
use rdkafka::mocking::MockCluster;
use rdkafka::types::RDKafkaApiKey;
use rdkafka::types::RDKafkaRespErr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

/// Plain (non-idempotent) retries through the faults, pipelined requests.
#[test]
fn request_errors_and_broker_down_lose_nothing() {
    faults(false);
}

/// The production default (idempotent producer) through the same faults;
/// see `faults` for why this variant runs one request in flight.
#[test]
fn request_errors_and_broker_down_lose_nothing_idempotent() {
    faults(true);
}

fn faults(idempotent: bool) {
    if std::env::var_os("NEWSFLOW_TEST_VERBOSE").is_some() {
        newsflow::observability::init_tracing(false);
    }
    let mock = MockCluster::new(1).expect("mock cluster");
    let brokers = mock.bootstrap_servers();
    let t = Topics::new("faults");
    for topic in [&t.raw, &t.enriched, &t.relations, &t.dlq] {
        mock.create_topic(topic, 2, 1).unwrap();
    }
    let p = TestProducer::new(&brokers);
    for i in 0..300 {
        let id = format!("f{i:04}");
        p.send(
            &t.raw,
            Some(i % 2),
            Some(id.as_bytes()),
            Some(&article(&id, "Tokaïev à Astana.")),
            &[],
        );
    }
    p.flush();

    let pipeline = Pipeline::load().unwrap();
    let enrich: Arc<EnrichFn> = Arc::new(move |a: &Article| pipeline.enrich(a, Stages::ALL));
    let mut config = t.config(&brokers);
    config.processing.max_in_flight_per_partition = 50;
    // NEWSFLOW_TEST_PIPELINED=1 drops the cap below, to reproduce the
    // mock's loss (IMPLICITACK lines in the producer's `eos` debug log).
    let pipelined = std::env::var_os("NEWSFLOW_TEST_PIPELINED").is_some();
    if !idempotent {
        config.producer.insert(
            "enable.idempotence".into(),
            newsflow::config::PropValue::Str("false".into()),
        );
    } else if !pipelined {
        // The mock checks produce sequences only for transactional
        // producers. With several requests in flight, the last injected
        // error can fail batch N while batch N+1 (next sequence, already
        // built into a request) is appended; a real broker would refuse N+1
        // as out of order, the mock acks it, and librdkafka, correctly for
        // a real broker, takes that ack as proof batch N was written
        // ("IMPLICITACK": successful delivery reports, offset -1001, for
        // records never written). Traced in docs/stream.md, "The idempotent
        // `kafka_faults` loss". One request in flight leaves no later batch
        // to be acked past a failed one.
        config.producer.insert(
            "max.in.flight.requests.per.connection".into(),
            newsflow::config::PropValue::Str("1".into()),
        );
    }
    // librdkafka debug contexts for the producer, e.g. `msg,eos,protocol`
    // (shown with NEWSFLOW_TEST_VERBOSE=1 NEWSFLOW_LOG=info,librdkafka=debug).
    if let Ok(debug) = std::env::var("NEWSFLOW_TEST_PRODUCER_DEBUG") {
        config
            .producer
            .insert("debug".into(), newsflow::config::PropValue::Str(debug));
    }
    let health = Arc::new(Health::new());
    let shutdown = Arc::new(AtomicBool::new(false));
    // Produce requests fail (retriable) before the runtime even starts.
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION; 20],
    );
    let opts = Options {
        config,
        enrich,
        provenance: Provenance::default(),
        health: Arc::clone(&health),
        shutdown: Arc::clone(&shutdown),
    };
    let handle = std::thread::spawn(move || runtime::run(opts, Source::Live, None));

    let first = count_keys(&brokers, &[&t.enriched], Duration::from_secs(60), |c| {
        c.len() >= 100
    });
    assert!(
        first.len() >= 100,
        "no progress through produce errors: {}",
        first.len()
    );

    // The broker goes down mid-stream, then comes back.
    mock.broker_down(1).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while health.readiness().broker_reachable && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!health.is_ready(), "not ready while the broker is down");
    // Down for longer than the group session (session.timeout.ms = 3 s):
    // the member is expelled, so the partitions are revoked and assigned
    // again while paused at their in-flight bound (50). librdkafka keeps
    // that pause across the re-assignment; before the runtime resumed
    // assigned partitions, intake stalled here for good and ids from f0200
    // on never came out (the "loss" of the 2026-11-29 runs).
    std::thread::sleep(Duration::from_secs(4));
    mock.broker_up(1).unwrap();

    let all = count_keys(&brokers, &[&t.enriched, &t.dlq], Duration::from_secs(90), |c| {
        c.len() >= 300
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !health.is_ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(health.is_ready(), "ready again once the broker is back");
    shutdown.store(true, Ordering::SeqCst);
    handle.join().unwrap().expect("clean stop");
    let missing: Vec<String> = (0..300)
        .map(|i| format!("f{i:04}"))
        .filter(|k| !all.contains_key(k))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    let dlq = count_keys(&brokers, &[&t.dlq], Duration::from_secs(2), |_| false);
    assert!(dlq.is_empty(), "transient errors must never dead-letter: {dlq:?}");
}

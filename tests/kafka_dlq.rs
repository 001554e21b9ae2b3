//! Poison pills of every kind land in the DLQ with their original key,
//! value and headers and the right reason, and the records after them keep
//! flowing. Runs the runtime in-process with an injected enrich function
//! that fails or panics on chosen articles (production code has no test
//! hooks: the pipeline is a parameter of the worker).
#![cfg(feature = "kafka")]

mod support;

use newsflow::observability::Health;
use newsflow::pipeline::{Article, Pipeline, PipelineError, Stages};
use newsflow::stream::produce::Provenance;
use newsflow::stream::runtime::{self, Options, Source};
use newsflow::stream::worker::EnrichFn;
use rdkafka::message::Message;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

#[test]
fn poison_pills_go_to_the_dlq_and_the_rest_flows() {
    let Some(brokers) = brokers() else { return };
    let t = Topics::new("dlq");
    t.create(&brokers, 1);
    let p = TestProducer::new(&brokers);
    let good = |i: usize| {
        article(
            &format!("good-{i}"),
            "Le Kazakhstan et l'Union européenne coopèrent.",
        )
    };
    let big = format!("{{\"id\":\"big\",\"text\":\"{}\"}}", "a".repeat(5000));
    let poison: Vec<(&str, Vec<u8>)> = vec![
        ("not_utf8", b"\xff\xfe\x00garbage".to_vec()),
        ("bad_json", br#"{"id": "trunc", "text": "#.to_vec()),
        (
            "no_content",
            br#"{"id": "empty", "title": "only a title"}"#.to_vec(),
        ),
        ("too_large", big.into_bytes()),
        ("stage_error", article("stage-err", "x")),
        ("panic", article("panic", "x")),
    ];
    let mut expected_kinds = BTreeMap::new();
    let mut offset = 0i64;
    let send_good = |i: usize| {
        p.send(
            &t.raw,
            Some(0),
            Some(format!("k{i}").as_bytes()),
            Some(&good(i)),
            &[],
        )
    };
    for i in 0..5 {
        send_good(i);
        offset += 1;
    }
    for (kind, value) in &poison {
        p.send(
            &t.raw,
            Some(0),
            Some(kind.as_bytes()),
            Some(value),
            &[("origin", Some(b"\x00\x01bin"))],
        );
        expected_kinds.insert(offset, (*kind, value.clone()));
        offset += 1;
    }
    for i in 5..10 {
        send_good(i);
    }
    p.flush();

    let pipeline = Pipeline::load().unwrap();
    let enrich: Arc<EnrichFn> = Arc::new(move |a: &Article| match a.id.as_str() {
        "panic" => panic!("injected panic for {}", a.id),
        "stage-err" => Err(PipelineError::Stage {
            stage: "entities",
            message: "injected failure".into(),
        }),
        _ => pipeline.enrich(a, Stages::ALL),
    });
    let mut config = t.config(&brokers);
    config.max_article_bytes = 1000;
    let shutdown = Arc::new(AtomicBool::new(false));
    let opts = Options {
        config,
        enrich,
        provenance: Provenance::default(),
        health: Arc::new(Health::new()),
        shutdown: Arc::clone(&shutdown),
    };
    let handle = std::thread::spawn(move || runtime::run(opts, Source::Live, None));

    let dlq = read(&brokers, &t.dlq, poison.len(), Duration::from_secs(60));
    let enriched = read(&brokers, &t.enriched, 10, Duration::from_secs(30));
    shutdown.store(true, Ordering::SeqCst);
    let result = handle.join().expect("runtime thread");
    result.expect("runtime returns Ok after shutdown");

    assert_eq!(dlq.len(), poison.len(), "every poison pill dead-lettered");
    for m in &dlq {
        let off: i64 = header(m, "newsflow-source-offset").unwrap().parse().unwrap();
        let (kind, value) = &expected_kinds[&off];
        assert_eq!(header(m, "newsflow-error-kind"), Some(*kind), "offset {off}");
        assert!(!header(m, "newsflow-error-message").unwrap().is_empty());
        assert_eq!(m.payload(), Some(&value[..]), "original value untouched");
        assert_eq!(m.key(), Some(kind.as_bytes()), "original key untouched");
        assert_eq!(header(m, "newsflow-source-topic"), Some(t.raw.as_str()));
        assert_eq!(header(m, "newsflow-source-partition"), Some("0"));
        assert!(header(m, "newsflow-source-timestamp").is_some());
        let origin = rdkafka::message::Headers::iter(m.headers().unwrap())
            .find(|h| h.key == "origin")
            .and_then(|h| h.value);
        assert_eq!(
            origin,
            Some(&b"\x00\x01bin"[..]),
            "original binary header untouched"
        );
    }
    let panic_letter = dlq
        .iter()
        .find(|m| header(m, "newsflow-error-kind") == Some("panic"))
        .unwrap();
    assert!(header(panic_letter, "newsflow-error-message")
        .unwrap()
        .contains("injected panic"));
    assert_eq!(header(panic_letter, "newsflow-article-id"), Some("panic"));

    let mut ids: Vec<String> = enriched
        .iter()
        .map(|m| json(m)["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("good-{i}")).collect();
    want.sort();
    assert_eq!(
        ids, want,
        "the records before and after the poison pills all came out"
    );
    let c = committed(&brokers, &t.group, &t.raw, 1);
    assert_eq!(c.get(&0), Some(&16), "everything committed: {c:?}");
}

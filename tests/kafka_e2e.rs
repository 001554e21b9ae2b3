//! End to end through a real broker (Tansu, started by scripts/test.sh):
//! the example article produced to the raw topic comes out of `newsflow
//! run` enriched, keyed by its id, with provenance headers; relations come
//! out keyed by subject; SIGTERM drains, commits and exits 0.
#![cfg(feature = "kafka")]

mod support;

use rdkafka::message::Message;
use std::time::Duration;
use support::*;

#[test]
fn example_article_comes_out_enriched_with_provenance() {
    let Some(brokers) = brokers() else { return };
    let t = Topics::new("e2e");
    t.create(&brokers, 2);
    let line = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/kazakhstan-eu.jsonl"
    ))
    .unwrap();
    let line = line.lines().next().unwrap().trim().to_owned();
    let expected = newsflow::pipeline::Pipeline::load()
        .unwrap()
        .enrich(
            &newsflow::pipeline::Article::from_json_str(&line, None).unwrap(),
            newsflow::pipeline::Stages::ALL,
        )
        .unwrap();
    let p = TestProducer::new(&brokers);
    p.send(
        &t.raw,
        Some(1),
        Some(b"kazakhstan-eu"),
        Some(line.as_bytes()),
        &[("trace-id", Some(b"abc"))],
    );
    p.flush();

    let mut args = vec!["run".to_string()];
    args.extend(t.flags(&brokers));
    args.extend(["--metrics-listen".into(), String::new()]);
    let mut run = Newsflow::spawn(&args, &[]);

    let out = read(&brokers, &t.enriched, 1, Duration::from_secs(60));
    assert_eq!(out.len(), 1, "no enriched record within 60 s");
    let m = &out[0];
    assert_eq!(m.key(), Some(&b"kazakhstan-eu"[..]));
    assert_eq!(header(m, "newsflow-source-topic"), Some(t.raw.as_str()));
    assert_eq!(header(m, "newsflow-source-partition"), Some("1"));
    assert_eq!(header(m, "newsflow-source-offset"), Some("0"));
    assert_eq!(
        header(m, "newsflow-pipeline-version"),
        Some(newsflow::pipeline::PIPELINE_VERSION)
    );
    assert!(header(m, "newsflow-model-versions").is_some());
    assert_eq!(header(m, "content-type"), Some("application/json"));
    let v = json(m);
    assert_eq!(v["id"], "kazakhstan-eu");
    assert_eq!(v["lang"], "fr");
    assert_eq!(v["url"], expected.extra["url"]);
    // Same record as the in-process core gives (the Kafka layer adds nothing, loses nothing).
    assert_eq!(v["text"], expected.text);
    assert_eq!(
        v["entities"].as_array().map(Vec::len),
        Some(expected.entities.len())
    );

    // One relation record per relation, keyed by subject entity id.
    if !expected.relations.is_empty() {
        let rels = read(
            &brokers,
            &t.relations,
            expected.relations.len(),
            Duration::from_secs(20),
        );
        assert_eq!(rels.len(), expected.relations.len());
        for r in &rels {
            let rv = json(r);
            assert_eq!(
                r.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                rv["subject"].as_str().map(String::from)
            );
            assert_eq!(rv["article_id"], "kazakhstan-eu");
        }
    }

    run.signal("TERM");
    let status = run
        .wait(Duration::from_secs(30))
        .expect("newsflow did not stop within 30 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    let committed = committed(&brokers, &t.group, &t.raw, 2);
    assert_eq!(
        committed.get(&1),
        Some(&1),
        "offset after the article committed on shutdown: {committed:?}"
    );
    assert!(
        read(&brokers, &t.dlq, 1, Duration::from_secs(2)).is_empty(),
        "nothing dead-lettered"
    );
}

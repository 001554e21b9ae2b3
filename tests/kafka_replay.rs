//! `newsflow replay`: a range by offset reproduces the same enriched
//! records as the live run, without touching the live group's offsets, to
//! a chosen topic, and exits by itself; replaying the DLQ re-drives dead
//! letters through the pipeline. (Replay by time is tested through the
//! offset-lookup seam in src/stream/replay.rs: neither test broker answers
//! ListOffsets by timestamp correctly.)
#![cfg(feature = "kafka")]

mod support;

use newsflow::observability::Health;
use newsflow::pipeline::{Article, Pipeline, PipelineError, Stages};
use newsflow::stream::produce::Provenance;
use newsflow::stream::runtime::{self, Options, Source};
use newsflow::stream::worker::EnrichFn;
use rdkafka::message::Message;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

#[test]
fn replay_by_offset_reproduces_outputs_and_redrives_the_dlq() {
    let Some(brokers) = brokers() else { return };
    let t = Topics::new("replay");
    t.create(&brokers, 2);
    let p = TestProducer::new(&brokers);
    for i in 0..20 {
        let id = format!("r{i:02}");
        p.send(
            &t.raw,
            Some(i % 2),
            Some(id.as_bytes()),
            Some(&article(
                &id,
                &format!("Article {i} : Jean-Yves Le Drian à Bruxelles.",),
            )),
            &[],
        );
    }
    p.flush();

    // Live run, with r05 failing as if a stage had a bug.
    let pipeline = Pipeline::load().unwrap();
    let enrich: Arc<EnrichFn> = Arc::new(move |a: &Article| {
        if a.id == "r05" {
            return Err(PipelineError::Stage {
                stage: "entities",
                message: "bug, fixed later".into(),
            });
        }
        pipeline.enrich(a, Stages::ALL)
    });
    let shutdown = Arc::new(AtomicBool::new(false));
    let opts = Options {
        config: t.config(&brokers),
        enrich,
        provenance: Provenance::default(),
        health: Arc::new(Health::new()),
        shutdown: Arc::clone(&shutdown),
    };
    let live = std::thread::spawn(move || runtime::run(opts, Source::Live, None));
    let live_out = read(&brokers, &t.enriched, 19, Duration::from_secs(60));
    assert_eq!(read(&brokers, &t.dlq, 1, Duration::from_secs(20)).len(), 1);
    shutdown.store(true, Ordering::SeqCst);
    live.join().unwrap().unwrap();
    assert_eq!(live_out.len(), 19);
    let committed_before = committed(&brokers, &t.group, &t.raw, 2);
    assert_eq!(committed_before.values().sum::<i64>(), 20);

    // Replay offsets [2, 6) of both partitions to another topic.
    let replay_topic = unique("replay-out");
    create_topic(&brokers, &replay_topic, 1);
    let mut args = vec!["replay".to_string()];
    args.extend(with_enriched(t.flags(&brokers), &replay_topic));
    args.extend(
        ["--from-offset", "2", "--to-offset", "6"]
            .iter()
            .map(|s| s.to_string()),
    );
    let mut replay = Newsflow::spawn(&args, &[]);
    let status = replay
        .wait(Duration::from_secs(60))
        .expect("replay exits by itself when the range is done");
    assert!(status.success(), "{status:?}");
    let replayed = read(&brokers, &replay_topic, 100, Duration::from_secs(5));
    // Partition 0 holds r00, r02, ...; offsets 2..6 are r04, r06, r08, r10 and
    // r05, r07, r09, r11 (the replay runs the real pipeline, so r05 passes).
    let mut ids: Vec<String> = replayed
        .iter()
        .map(|m| json(m)["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["r04", "r05", "r06", "r07", "r08", "r09", "r10", "r11"]);
    let live_by_id: HashMap<String, serde_json::Value> = live_out
        .iter()
        .map(|m| (json(m)["id"].as_str().unwrap().to_owned(), json(m)))
        .collect();
    for m in &replayed {
        let v = json(m);
        let id = v["id"].as_str().unwrap();
        if id != "r05" {
            assert_eq!(v, live_by_id[id], "replayed {id} differs from the live record");
        }
        assert_eq!(header(m, "newsflow-source-topic"), Some(t.raw.as_str()));
    }
    assert_eq!(
        committed(&brokers, &t.group, &t.raw, 2),
        committed_before,
        "the live group's offsets are untouched"
    );

    // Re-drive the DLQ with the fixed pipeline: r05 comes out enriched.
    let redrive_topic = unique("redrive-out");
    create_topic(&brokers, &redrive_topic, 1);
    let mut args = vec!["replay".to_string()];
    args.extend(with_enriched(t.flags(&brokers), &redrive_topic));
    args.extend(["--topic".to_string(), t.dlq.clone()]);
    let mut redrive = Newsflow::spawn(&args, &[]);
    let status = redrive
        .wait(Duration::from_secs(60))
        .expect("DLQ re-drive exits by itself");
    assert!(status.success(), "{status:?}");
    let out = read(&brokers, &redrive_topic, 1, Duration::from_secs(10));
    assert_eq!(out.len(), 1);
    assert_eq!(json(&out[0])["id"], "r05");
    assert_eq!(out[0].key(), Some(&b"r05"[..]));
    assert_eq!(header(&out[0], "newsflow-source-topic"), Some(t.dlq.as_str()));
}

/// The flags with the enriched topic replaced.
fn with_enriched(mut flags: Vec<String>, topic: &str) -> Vec<String> {
    let i = flags.iter().position(|f| f == "--enriched-topic").unwrap();
    flags[i + 1] = topic.to_owned();
    flags
}

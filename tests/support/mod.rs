//! Helpers for the Kafka integration tests (`tests/kafka_*.rs`).
//!
//! The broker address comes from `NEWSFLOW_TEST_BROKERS`, which
//! `scripts/test.sh` sets after starting Tansu (scripts/tansu.sh). Without
//! it a test prints why and returns: run the suite through scripts/test.sh.
//! Every test uses its own topics and group, so tests share one broker.
#![allow(dead_code)]

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The test broker, or `None` (with a message) when the suite runs without one.
pub fn brokers() -> Option<String> {
    match std::env::var("NEWSFLOW_TEST_BROKERS") {
        Ok(b) if !b.is_empty() => Some(b),
        _ => {
            eprintln!(
                "SKIPPED: NEWSFLOW_TEST_BROKERS is not set; run the Kafka tests with scripts/test.sh, \
                 which starts a Tansu broker"
            );
            None
        }
    }
}

/// A name unique to this test run.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    format!(
        "{prefix}-{}-{ms}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Topic names of one test.
pub struct Topics {
    pub raw: String,
    pub enriched: String,
    pub relations: String,
    pub dlq: String,
    pub group: String,
}

impl Topics {
    pub fn new(test: &str) -> Topics {
        Topics {
            raw: unique(&format!("{test}-raw")),
            enriched: unique(&format!("{test}-enriched")),
            relations: unique(&format!("{test}-relations")),
            dlq: unique(&format!("{test}-dlq")),
            group: unique(&format!("{test}-group")),
        }
    }

    /// CLI flags pointing `newsflow run`/`replay` at these topics.
    pub fn flags(&self, brokers: &str) -> Vec<String> {
        [
            "--brokers",
            brokers,
            "--group-id",
            &self.group,
            "--input-topic",
            &self.raw,
            "--enriched-topic",
            &self.enriched,
            "--relations-topic",
            &self.relations,
            "--dlq-topic",
            &self.dlq,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// The same settings as a `newsflow::config::Config` for in-process runs.
    pub fn config(&self, brokers: &str) -> newsflow::config::Config {
        let mut c = newsflow::config::Config {
            brokers: brokers.into(),
            group_id: self.group.clone(),
            ..Default::default()
        };
        c.topics.input = self.raw.clone();
        c.topics.enriched = self.enriched.clone();
        c.topics.relations = self.relations.clone();
        c.topics.dlq = self.dlq.clone();
        c.metrics.listen.clear();
        c.consumer.insert(
            "session.timeout.ms".into(),
            newsflow::config::PropValue::Str("3000".into()),
        );
        c.consumer.insert(
            "heartbeat.interval.ms".into(),
            newsflow::config::PropValue::Str("500".into()),
        );
        c
    }

    pub fn create(&self, brokers: &str, raw_partitions: i32) {
        create_topic(brokers, &self.raw, raw_partitions);
        create_topic(brokers, &self.enriched, 3);
        create_topic(brokers, &self.relations, 1);
        create_topic(brokers, &self.dlq, 1);
    }
}

fn base_config(brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c
}

pub fn create_topic(brokers: &str, name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = base_config(brokers).create().expect("admin client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let res = rt
        .block_on(admin.create_topics(
            &[topic],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        ))
        .expect("create_topics");
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

pub struct TestProducer {
    producer: ThreadedProducer<DefaultProducerContext>,
}

impl TestProducer {
    pub fn new(brokers: &str) -> TestProducer {
        TestProducer {
            producer: base_config(brokers)
                .set("linger.ms", "5")
                .set("enable.idempotence", "true")
                .create()
                .expect("producer"),
        }
    }

    /// Queues one record (blocking while the local queue is full).
    pub fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
    ) {
        let mut hs = OwnedHeaders::new();
        for (k, v) in headers {
            hs = hs.insert(Header { key: k, value: *v });
        }
        loop {
            let mut rec = BaseRecord::<[u8], [u8]>::to(topic).headers(hs.clone());
            if let Some(p) = partition {
                rec = rec.partition(p);
            }
            if let Some(k) = key {
                rec = rec.key(k);
            }
            if let Some(v) = value {
                rec = rec.payload(v);
            }
            match self.producer.send(rec) {
                Ok(()) => return,
                Err((e, _)) => {
                    assert!(format!("{e}").contains("Queue full"), "produce failed: {e}");
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }

    pub fn flush(&self) {
        self.producer.flush(Duration::from_secs(30)).expect("flush");
    }
}

/// Reads `topic` from the beginning (assign, no group) until `want`
/// records arrived or `timeout` passed.
pub fn read(brokers: &str, topic: &str, want: usize, timeout: Duration) -> Vec<OwnedMessage> {
    read_with(brokers, topic, want, timeout, &[])
}

pub fn read_with(
    brokers: &str,
    topic: &str,
    want: usize,
    timeout: Duration,
    props: &[(&str, &str)],
) -> Vec<OwnedMessage> {
    let mut cfg = base_config(brokers);
    cfg.set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    for (k, v) in props {
        cfg.set(*k, *v);
    }
    let consumer: BaseConsumer = cfg.create().expect("consumer");
    let parts = {
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        md.topics()[0]
            .partitions()
            .iter()
            .map(|p| p.id())
            .collect::<Vec<_>>()
    };
    let mut tpl = TopicPartitionList::new();
    for p in parts {
        tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).expect("assign");
    drop(tpl);
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while out.len() < want && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            out.push(m.detach());
        }
    }
    out
}

pub fn header<'a>(m: &'a OwnedMessage, name: &str) -> Option<&'a str> {
    m.headers()?
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| std::str::from_utf8(v).unwrap())
}

pub fn json(m: &OwnedMessage) -> serde_json::Value {
    serde_json::from_slice(m.payload().expect("payload")).expect("JSON payload")
}

/// Committed offsets of a group (partition → offset) for a topic.
pub fn committed(brokers: &str, group: &str, topic: &str, partitions: i32) -> HashMap<i32, i64> {
    let consumer: BaseConsumer = base_config(brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    let out = got
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect();
    // Drop the list before the consumer (librdkafka issue 3796).
    drop(got);
    out
}

/// A `newsflow` child process, killed on drop if still running.
pub struct Newsflow {
    pub child: Child,
}

impl Newsflow {
    pub fn spawn(args: &[String], env: &[(&str, &str)]) -> Newsflow {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_newsflow"));
        cmd.args(args)
            .env("NEWSFLOW_CONSUMER__SESSION_TIMEOUT_MS", "3000")
            // Heartbeats well inside the short session (librdkafka's default
            // interval is 3 s, as long as the whole session).
            .env("NEWSFLOW_CONSUMER__HEARTBEAT_INTERVAL_MS", "500")
            .env("NEWSFLOW_LOG", "info,librdkafka=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        if std::env::var_os("NEWSFLOW_TEST_VERBOSE").is_none() {
            cmd.stderr(Stdio::null());
        }
        Newsflow {
            child: cmd.spawn().expect("spawning newsflow"),
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for exit, at most `timeout`; `None` if still running.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Newsflow {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An article as the raw topic carries it.
pub fn article(id: &str, text: &str) -> Vec<u8> {
    serde_json::json!({ "id": id, "text": text, "lang": "fr", "source": "test" })
        .to_string()
        .into_bytes()
}

/// Reads several topics from the beginning and counts records per key until
/// `done` says enough or `timeout` passes.
pub fn count_keys(
    brokers: &str,
    topics: &[&str],
    timeout: Duration,
    done: impl Fn(&HashMap<String, usize>) -> bool,
) -> HashMap<String, usize> {
    let consumer: BaseConsumer = base_config(brokers)
        .set("group.id", unique("counter"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        for p in md.topics()[0].partitions() {
            tpl.add_partition_offset(topic, p.id(), Offset::Beginning)
                .unwrap();
        }
    }
    consumer.assign(&tpl).expect("assign");
    drop(tpl);
    let deadline = Instant::now() + timeout;
    let mut counts = HashMap::new();
    while !done(&counts) && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let key = String::from_utf8_lossy(m.key().unwrap_or(b"")).into_owned();
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    counts
}

//! Output records and the Kafka producer that writes them.
//!
//! One enriched record per article on the enriched topic, keyed by article
//! id; one record per relation on the relations topic, keyed by the subject
//! entity id; provenance headers on all of them. [`KafkaSink`] sends them,
//! retrying transient failures (local queue full, broker unreachable) with
//! backoff for as long as it takes: they never become dead letters and are
//! never dropped. A record the broker refuses for good (too large) turns its
//! input into a dead letter instead. The input offset is acknowledged to the
//! [`Ledger`] only when every output of it is acknowledged by the broker.

use super::dlq;
use super::input::{Header, InputMessage};
use super::offsets::{Ledger, Tp};
use super::worker::{Failure, Sink};
use crate::observability::metric;
use crate::pipeline::record::Relation;
use crate::pipeline::EnrichedRecord;
use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as RdHeader, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientConfig;
use serde::Serialize;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Provenance header names.
pub mod header {
    pub const SOURCE_TOPIC: &str = "newsflow-source-topic";
    pub const SOURCE_PARTITION: &str = "newsflow-source-partition";
    pub const SOURCE_OFFSET: &str = "newsflow-source-offset";
    pub const SOURCE_TIMESTAMP: &str = "newsflow-source-timestamp";
    pub const PIPELINE_VERSION: &str = "newsflow-pipeline-version";
    pub const MODEL_VERSIONS: &str = "newsflow-model-versions";
    pub const CONTENT_TYPE: &str = "content-type";
}

/// Output topic names as the workers use them.
#[derive(Debug, Clone)]
pub struct Topics {
    pub enriched: String,
    /// `None`: relations are not published.
    pub relations: Option<String>,
    pub dlq: String,
}

impl Default for Topics {
    fn default() -> Self {
        let t = crate::config::Topics::default();
        Topics::from(&t)
    }
}

impl From<&crate::config::Topics> for Topics {
    fn from(t: &crate::config::Topics) -> Self {
        Topics {
            enriched: t.enriched.clone(),
            relations: Some(t.relations.clone()).filter(|r| !r.is_empty()),
            dlq: t.dlq.clone(),
        }
    }
}

/// Versions stamped on every output.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub pipeline_version: String,
    /// `name=version` of each loaded model, comma-separated ("" when none).
    pub model_versions: String,
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance {
            pipeline_version: crate::pipeline::PIPELINE_VERSION.to_owned(),
            model_versions: String::new(),
        }
    }
}

impl Provenance {
    /// Appends where `msg` came from and which code processed it.
    pub fn push_source_headers(&self, msg: &InputMessage, headers: &mut Vec<Header>) {
        let mut add = |k: &str, v: String| {
            headers.push(Header {
                key: k.to_owned(),
                value: Some(v.into_bytes()),
            })
        };
        add(header::SOURCE_TOPIC, msg.topic.clone());
        add(header::SOURCE_PARTITION, msg.partition.to_string());
        add(header::SOURCE_OFFSET, msg.offset.to_string());
        if let Some(ts) = msg.timestamp_ms {
            add(header::SOURCE_TIMESTAMP, ts.to_string());
        }
        add(header::PIPELINE_VERSION, self.pipeline_version.clone());
        add(header::MODEL_VERSIONS, self.model_versions.clone());
    }
}

/// One record to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    /// A dead letter (its own failure cannot be dead-lettered again).
    pub dead_letter: bool,
}

/// The enriched record and its relation records for one input message.
pub fn enriched_records(
    msg: &InputMessage,
    record: &EnrichedRecord,
    topics: &Topics,
    prov: &Provenance,
) -> serde_json::Result<Vec<OutRecord>> {
    let mut headers = vec![Header {
        key: header::CONTENT_TYPE.into(),
        value: Some(b"application/json".to_vec()),
    }];
    prov.push_source_headers(msg, &mut headers);
    let mut out = vec![OutRecord {
        topic: topics.enriched.clone(),
        key: Some(record.id.as_bytes().to_vec()),
        value: Some(serde_json::to_vec(record)?),
        headers: headers.clone(),
        dead_letter: false,
    }];
    if let Some(rel_topic) = &topics.relations {
        for (index, rel) in record.relations.iter().enumerate() {
            out.push(OutRecord {
                topic: rel_topic.clone(),
                key: Some(rel.subject.as_bytes().to_vec()),
                value: Some(serde_json::to_vec(&RelationOut::new(record, index))?),
                headers: headers.clone(),
                dead_letter: false,
            });
        }
    }
    Ok(out)
}

/// A relation record: the relation's own fields plus which article it is
/// from and the names of both entities, so a consumer of the relations
/// topic needs nothing else. Serialised straight from the record (the
/// first version built a `serde_json::Value` map per relation, which cost
/// more than the rest of the Kafka layer's per-record work together).
#[derive(Serialize)]
struct RelationOut<'a> {
    #[serde(flatten)]
    rel: &'a Relation,
    article_id: &'a str,
    index: usize,
    subject_name: Option<&'a str>,
    object_name: Option<&'a str>,
    pipeline_version: &'a str,
}

impl<'a> RelationOut<'a> {
    fn new(record: &'a EnrichedRecord, index: usize) -> RelationOut<'a> {
        let rel = &record.relations[index];
        let name = |id: &str| {
            record
                .entities
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.name.as_str())
        };
        RelationOut {
            rel,
            article_id: &record.id,
            index,
            subject_name: name(&rel.subject),
            object_name: name(&rel.object),
            pipeline_version: record.pipeline_version,
        }
    }
}

/// The relation record for `record.relations[index]` as a JSON value (what
/// the relations topic carries; the schema test checks it).
pub fn relation_value(record: &EnrichedRecord, index: usize) -> serde_json::Result<Value> {
    serde_json::to_value(RelationOut::new(record, index))
}

/// Outputs of one input message still waiting for the broker.
struct Pending {
    tp: Tp,
    generation: u64,
    msg: Arc<InputMessage>,
    remaining: AtomicUsize,
}

/// What rides along with each produced record to its delivery report.
pub struct Delivery {
    pending: Arc<Pending>,
    dead_letter: bool,
    attempt: u32,
}

/// Work for the retry thread: send this again after a backoff.
enum RetryJob {
    Send {
        record: OutRecord,
        delivery: Box<Delivery>,
    },
    Stop,
}

/// Backoff settings for transient errors.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(16);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// The producer's callbacks: acks into the ledger, failures to the retrier.
pub struct DeliveryContext {
    ledger: Arc<Ledger>,
    retry_tx: Mutex<Sender<RetryJob>>,
    /// Exactly-once mode: a failed delivery dooms the open transaction (it
    /// is aborted and the input re-consumed) instead of being retried.
    transactional: bool,
    txn_failed: AtomicBool,
    dlq_topic: String,
    provenance: Provenance,
    health: Arc<crate::observability::Health>,
}

impl ClientContext for DeliveryContext {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.health.set_broker_reachable(false);
        }
        tracing::warn!(target: "librdkafka", "producer: {error}: {reason}");
    }
}

/// Errors that no retry can fix: the record itself is unacceptable.
fn is_permanent(code: Option<RDKafkaErrorCode>) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidRecord
                | RDKafkaErrorCode::InvalidMessage
                | RDKafkaErrorCode::MessageBatchTooLarge
        )
    )
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<Delivery>;

    fn delivery(&self, result: &DeliveryResult<'_>, delivery: Box<Delivery>) {
        match result {
            Ok(m) => {
                // Every ack, for tracing a record end to end. Offset -1001:
                // librdkafka acked it implicitly (a later batch of the same
                // idempotent partition succeeded), so no offset is known.
                tracing::debug!(
                    topic = m.topic(),
                    partition = m.partition(),
                    offset = m.offset(),
                    key = %String::from_utf8_lossy(m.key().unwrap_or_default()),
                    attempt = delivery.attempt,
                    "delivered"
                );
                metrics::counter!(metric::RECORDS_OUT, "topic" => m.topic().to_owned()).increment(1);
                self.done(&delivery, true);
            }
            Err((err, m)) => {
                if self.transactional {
                    tracing::warn!("delivery failed in a transaction, it will be aborted: {err}");
                    self.txn_failed.store(true, Ordering::SeqCst);
                    self.done(&delivery, false);
                    return;
                }
                let record = OutRecord {
                    topic: m.topic().to_owned(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers: super::input::owned_headers(m),
                    dead_letter: delivery.dead_letter,
                };
                let record = if is_permanent(err.rdkafka_error_code()) && !delivery.dead_letter {
                    tracing::warn!(
                        topic = m.topic(),
                        "broker refused an output for good, dead-lettering the input: {err}"
                    );
                    self.reject(&delivery.pending.msg, err)
                } else {
                    metrics::counter!(metric::RETRIES, "kind" => "delivery").increment(1);
                    tracing::warn!(
                        topic = m.topic(),
                        attempt = delivery.attempt,
                        "delivery failed, retrying: {err}"
                    );
                    record
                };
                let job = RetryJob::Send {
                    record,
                    delivery: Box::new(Delivery {
                        attempt: delivery.attempt + 1,
                        dead_letter: delivery.dead_letter,
                        pending: Arc::clone(&delivery.pending),
                    }),
                };
                let _ = self.retry_tx.lock().unwrap_or_else(|p| p.into_inner()).send(job);
            }
        }
    }
}

impl DeliveryContext {
    /// Counts one output of the input as settled; the last one acknowledges
    /// the input offset. `acked`: the broker wrote it (not a doomed
    /// transaction's failure), so the end-to-end latency is recorded.
    fn done(&self, delivery: &Delivery, acked: bool) {
        let p = &delivery.pending;
        if p.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.ledger.ack(&p.tp, p.generation, p.msg.offset);
            // End to end = input timestamp to the broker's ack of the last
            // output of that input (the moment a reader can see it).
            if let Some(ts) = p.msg.timestamp_ms.filter(|_| acked) {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                if now >= ts {
                    metrics::histogram!(metric::END_TO_END_SECONDS).record((now - ts) as f64 / 1000.0);
                }
            }
        }
    }

    fn reject(&self, msg: &InputMessage, err: &KafkaError) -> OutRecord {
        let failure = Failure {
            kind: "output_rejected",
            message: format!("the broker refused an output record of this article: {err}"),
            article_id: None,
        };
        dlq::dead_letter(msg, &failure, &self.dlq_topic, &self.provenance)
    }

    /// Whether a delivery failed in the current transaction; clears the flag.
    pub fn take_txn_failed(&self) -> bool {
        self.txn_failed.swap(false, Ordering::SeqCst)
    }
}

pub type KafkaProducer = ThreadedProducer<DeliveryContext>;

/// Sends outputs through librdkafka; see the module docs.
pub struct KafkaSink {
    producer: KafkaProducer,
    backoff: Backoff,
    retrier: Option<std::thread::JoinHandle<()>>,
    retry_tx: Sender<RetryJob>,
}

impl KafkaSink {
    pub fn new(
        config: &ClientConfig,
        ledger: Arc<Ledger>,
        backoff: Backoff,
        transactional: bool,
        dlq_topic: &str,
        provenance: Provenance,
        health: Arc<crate::observability::Health>,
    ) -> anyhow::Result<Arc<KafkaSink>> {
        let (retry_tx, retry_rx) = std::sync::mpsc::channel();
        let ctx = DeliveryContext {
            ledger,
            retry_tx: Mutex::new(retry_tx.clone()),
            transactional,
            txn_failed: AtomicBool::new(false),
            dlq_topic: dlq_topic.to_owned(),
            provenance,
            health,
        };
        let producer: KafkaProducer = config.create_with_context(ctx).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the Kafka producer: {e} (check the [kafka] and [producer] properties)"
            )
        })?;
        let retrier = {
            let producer = producer.clone();
            std::thread::Builder::new()
                .name("newsflow-retry".into())
                .spawn(move || retry_loop(&producer, backoff, &retry_rx))?
        };
        Ok(Arc::new(KafkaSink {
            producer,
            backoff,
            retrier: Some(retrier),
            retry_tx,
        }))
    }

    pub fn producer(&self) -> &KafkaProducer {
        &self.producer
    }

    /// Waits until everything queued is acknowledged (or the timeout passes).
    pub fn flush(&self, timeout: Duration) -> anyhow::Result<()> {
        self.producer
            .flush(timeout)
            .map_err(|e| anyhow::anyhow!("flushing the producer: {e}"))
    }
}

impl Drop for KafkaSink {
    fn drop(&mut self) {
        let _ = self.retry_tx.send(RetryJob::Stop);
        if let Some(h) = self.retrier.take() {
            let _ = h.join();
        }
    }
}

impl Sink for KafkaSink {
    fn send(&self, tp: &Tp, generation: u64, msg: &Arc<InputMessage>, records: Vec<OutRecord>) {
        let pending = Arc::new(Pending {
            tp: tp.clone(),
            generation,
            msg: Arc::clone(msg),
            remaining: AtomicUsize::new(records.len()),
        });
        for record in records {
            let delivery = Box::new(Delivery {
                pending: Arc::clone(&pending),
                dead_letter: record.dead_letter,
                attempt: 0,
            });
            send_until_queued(&self.producer, self.backoff, record, delivery);
        }
    }
}

/// Queues one record, waiting out a full local queue (the backpressure that
/// eventually pauses intake) and retrying other local errors with backoff.
fn send_until_queued(
    producer: &KafkaProducer,
    backoff: Backoff,
    mut record: OutRecord,
    delivery: Box<Delivery>,
) {
    let mut attempt = 0u32;
    let mut delivery = Some(delivery);
    loop {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for h in &record.headers {
            headers = headers.insert(RdHeader {
                key: &h.key,
                value: h.value.as_deref(),
            });
        }
        let mut base = BaseRecord::with_opaque_to(&record.topic, delivery.take().expect("opaque present"))
            .headers(headers);
        if let Some(k) = &record.key {
            base = base.key(k.as_slice());
        }
        if let Some(v) = &record.value {
            base = base.payload(v.as_slice());
        }
        match producer.send(base) {
            Ok(()) => return,
            Err((err, base)) => {
                let back = base.delivery_opaque;
                let code = err.rdkafka_error_code();
                if is_permanent(code) && !back.dead_letter {
                    tracing::warn!(topic = %record.topic, "output refused, dead-lettering the input: {err}");
                    let ctx = producer.context();
                    record = ctx.reject(&back.pending.msg, &err);
                    delivery = Some(Box::new(Delivery {
                        dead_letter: true,
                        ..*back
                    }));
                    continue;
                }
                let kind = if code == Some(RDKafkaErrorCode::QueueFull) {
                    "queue_full"
                } else {
                    "produce"
                };
                metrics::counter!(metric::RETRIES, "kind" => kind).increment(1);
                if kind != "queue_full" || attempt > 4 {
                    tracing::warn!(topic = %record.topic, attempt, "cannot queue an output yet, retrying: {err}");
                }
                delivery = Some(back);
                std::thread::sleep(backoff.delay(attempt));
                attempt = attempt.saturating_add(1);
            }
        }
    }
}

fn retry_loop(producer: &KafkaProducer, backoff: Backoff, rx: &Receiver<RetryJob>) {
    while let Ok(RetryJob::Send { record, delivery }) = rx.recv() {
        std::thread::sleep(backoff.delay(delivery.attempt.saturating_sub(1)));
        send_until_queued(producer, backoff, record, delivery);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::record::{Entity, EntityType, Relation, Span};

    #[test]
    fn enriched_and_relation_records_with_provenance() {
        let p = crate::pipeline::Pipeline::load().unwrap();
        let a =
            crate::pipeline::Article::from_json_str(r#"{"id":"a1","text":"Le Kazakhstan."}"#, None).unwrap();
        let mut rec = p.enrich(&a, crate::pipeline::Stages::ALL).unwrap();
        let ent = |id: &str, name: &str| Entity {
            id: id.into(),
            name: name.into(),
            kind: EntityType::LOC,
            subtype: None,
            qid: None,
            mentions: vec![],
            count: 1,
            first: 0,
            salience: 1.0,
        };
        rec.entities = vec![ent("wd:Q232", "Kazakhstan"), ent("wd:Q458", "European Union")];
        rec.relations = vec![Relation {
            kind: "cooperates_with".into(),
            subject: "wd:Q232".into(),
            object: "wd:Q458".into(),
            subject_mention: Span::new(0, 1),
            object_mention: Span::new(2, 3),
            attributes: Default::default(),
            evidence: Span::new(0, 3),
            trigger: None,
            confidence: 0.9,
            extractor: "test".into(),
        }];
        let msg = InputMessage {
            topic: "articles.raw".into(),
            partition: 1,
            offset: 7,
            timestamp_ms: None,
            key: None,
            value: None,
            headers: vec![],
        };
        let prov = Provenance {
            pipeline_version: "9.9".into(),
            model_versions: "ner=1".into(),
        };
        let out = enriched_records(&msg, &rec, &Topics::default(), &prov).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].topic, "articles.enriched");
        assert_eq!(out[0].key.as_deref(), Some(&b"a1"[..]));
        let v: Value = serde_json::from_slice(out[0].value.as_deref().unwrap()).unwrap();
        assert_eq!(v["id"], "a1");
        assert_eq!(out[1].topic, "articles.relations");
        assert_eq!(out[1].key.as_deref(), Some(&b"wd:Q232"[..]));
        let r: Value = serde_json::from_slice(out[1].value.as_deref().unwrap()).unwrap();
        assert_eq!(r["article_id"], "a1");
        assert_eq!(r["subject_name"], "Kazakhstan");
        assert_eq!(r["object_name"], "European Union");
        assert_eq!(r["type"], "cooperates_with");
        let h = |k: &str| {
            out[1]
                .headers
                .iter()
                .find(|h| h.key == k)
                .and_then(|h| h.value.clone())
                .map(|v| String::from_utf8(v).unwrap())
        };
        assert_eq!(h(header::SOURCE_OFFSET).as_deref(), Some("7"));
        assert_eq!(h(header::SOURCE_PARTITION).as_deref(), Some("1"));
        assert_eq!(h(header::PIPELINE_VERSION).as_deref(), Some("9.9"));
        assert_eq!(h(header::MODEL_VERSIONS).as_deref(), Some("ner=1"));
        let none = Topics {
            relations: None,
            ..Topics::default()
        };
        assert_eq!(enriched_records(&msg, &rec, &none, &prov).unwrap().len(), 1);
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.delay(0), Duration::from_millis(100));
        assert_eq!(b.delay(2), Duration::from_millis(400));
        assert_eq!(b.delay(40), Duration::from_secs(1));
    }
}

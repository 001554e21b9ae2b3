//! The run loop: consume, dispatch to the CPU pool, commit, shut down
//! cleanly.
//!
//! One intake thread owns the consumer. It polls, hands each message to the
//! pool, pauses a partition whose in-flight bound is reached and resumes it
//! when commits free room, and commits acknowledged offsets (or, in
//! exactly-once mode, commits the transaction) every interval. Workers
//! produce; the producer's delivery callbacks acknowledge offsets into the
//! [`Ledger`]. Rebalance callbacks run on the intake thread inside `poll`:
//! on revocation they wait until the revoked partitions' records are
//! acknowledged, commit them, and only then let the partitions go. On
//! SIGTERM/SIGINT (the `shutdown` flag) intake stops, in-flight records
//! drain, offsets are committed, and `run` returns `Ok`.

use super::input::InputMessage;
use super::offsets::{Ledger, Tp};
use super::produce::{Backoff, KafkaSink, Provenance, Topics};
use super::transactions::{Transactions, TxnOutcome};
use super::worker::{EnrichFn, Job, Pool, Sequencer, WorkerContext};
use crate::config::{Config, DeliveryMode};
use crate::observability::{metric, Health};
use anyhow::Context as _;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::Producer;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything `run` needs besides the config.
pub struct Options {
    pub config: Config,
    /// The core; tests inject failing or panicking ones.
    pub enrich: Arc<EnrichFn>,
    pub provenance: Provenance,
    pub health: Arc<Health>,
    /// Set by the signal handler (or a test) to stop: drain, commit, return.
    pub shutdown: Arc<AtomicBool>,
}

/// What the intake consumes.
pub enum Source {
    /// The live job: subscribe with the consumer group, commit as configured.
    Live,
    /// A replay: these partitions from these offsets up to (excluding) these
    /// ends, assigned directly, never committing.
    Range(Vec<RangePart>),
}

/// One partition of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangePart {
    pub topic: String,
    pub partition: i32,
    pub from: i64,
    /// Exclusive.
    pub to: i64,
}

/// Progress reports for replay (records handled, records in the range).
pub type Progress = dyn Fn(u64) + Send + Sync;

pub fn client_config(props: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in props {
        c.set(k, v);
    }
    c
}

/// The producer's librdkafka properties; a transactional id only when the
/// producer is used transactionally (exactly-once live runs, not replays).
fn producer_properties(config: &Config, transactional: bool) -> BTreeMap<String, String> {
    let mut props = config.producer_properties();
    if !transactional {
        props.remove("transactional.id");
    }
    props
}

/// Creates (and drops) both clients without connecting: librdkafka checks
/// property names and values only when a client is created, so
/// `check-config` catches what `run` would be refused.
pub fn check_client_properties(config: &Config) -> anyhow::Result<()> {
    client_config(&config.consumer_properties())
        .create::<BaseConsumer>()
        .map_err(|e| anyhow::anyhow!("consumer properties rejected by librdkafka: {e}"))?;
    let transactional = config.delivery.mode == DeliveryMode::ExactlyOnce;
    client_config(&producer_properties(config, transactional))
        .create::<rdkafka::producer::BaseProducer>()
        .map_err(|e| anyhow::anyhow!("producer properties rejected by librdkafka: {e}"))?;
    Ok(())
}

enum Committer {
    AtLeastOnce,
    ExactlyOnce {
        txn: Transactions,
        /// A transaction is open (false once the last one is committed at shutdown).
        open: AtomicBool,
    },
    Never,
}

/// The consumer's callbacks: rebalances, statistics, errors.
pub struct IntakeContext {
    ledger: Arc<Ledger>,
    seqs: Mutex<HashMap<Tp, Arc<Sequencer>>>,
    health: Arc<Health>,
    committer: Committer,
    sink: Arc<KafkaSink>,
    drain_timeout: Duration,
    shutdown: Arc<AtomicBool>,
    closing: AtomicBool,
    /// An error raised inside a callback, returned by the loop.
    fatal: Mutex<Option<anyhow::Error>>,
}

impl ClientContext for IntakeContext {
    fn stats(&self, stats: Statistics) {
        for (topic, t) in &stats.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 && p.consumer_lag >= 0 {
                    metrics::gauge!(metric::CONSUMER_LAG, "topic" => topic.clone(), "partition" => partition.to_string())
                        .set(p.consumer_lag as f64);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.health.set_broker_reachable(false);
        }
        tracing::warn!(target: "librdkafka", "consumer: {error}: {reason}");
    }
}

impl ConsumerContext for IntakeContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let revoked: Vec<Tp> = tpl
                .elements()
                .iter()
                .map(|e| (e.topic().to_owned(), e.partition()))
                .collect();
            tracing::info!(?revoked, "partitions revoked: draining and committing");
            if let Err(e) = self.release(consumer, &revoked) {
                tracing::error!("{e:#}");
                self.fatal
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert(e);
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                // librdkafka keeps a partition's application pause across a
                // revocation and a later re-assignment (it only resets its
                // own internal pause), while the intake loop forgets what it
                // paused when the partition is revoked. A partition paused at
                // its in-flight bound when the group session was lost (broker
                // down longer than session.timeout.ms) came back paused and
                // was never fetched again: intake stalled for good. The fresh
                // assignment has nothing in flight, so it starts resumed.
                if let Err(e) = consumer.resume(tpl) {
                    tracing::warn!("resuming newly assigned partitions: {e}");
                }
                let mut ledger = self.ledger.lock();
                let mut seqs = self.seqs.lock().unwrap_or_else(|p| p.into_inner());
                for e in tpl.elements() {
                    let tp = (e.topic().to_owned(), e.partition());
                    ledger.assign(tp.clone());
                    seqs.insert(tp, Arc::new(Sequencer::default()));
                }
                tracing::info!(partitions = tpl.count(), "partitions assigned");
                self.health.set_partitions_assigned(true);
            }
            Rebalance::Revoke(_) => {
                let any = self.ledger.lock().partitions().next().is_some();
                self.health.set_partitions_assigned(any);
            }
            Rebalance::Error(e) => tracing::warn!("rebalance error: {e}"),
        }
    }
}

impl IntakeContext {
    /// Drains, commits and forgets revoked partitions.
    fn release(&self, consumer: &BaseConsumer<Self>, revoked: &[Tp]) -> anyhow::Result<()> {
        let deadline = Instant::now() + self.drain_timeout;
        let drained = match self.committer {
            // A transaction covers every partition: quiesce them all.
            Committer::ExactlyOnce { .. } => self.ledger.wait_until(deadline, |t| t.total_in_flight() == 0),
            _ => self
                .ledger
                .wait_until(deadline, |t| revoked.iter().all(|tp| t.in_flight(tp) == 0)),
        };
        if !drained {
            tracing::error!(
                "partitions revoked before their records were acknowledged (within delivery.shutdown_timeout_ms): \
                 the new owner will process them again"
            );
        }
        let result = self.commit(consumer, !self.closing.load(Ordering::SeqCst));
        let mut ledger = self.ledger.lock();
        let mut seqs = self.seqs.lock().unwrap_or_else(|p| p.into_inner());
        for tp in revoked {
            ledger.revoke(tp);
            seqs.remove(tp);
        }
        result
    }

    /// Commits what is acknowledged. In exactly-once mode this waits until
    /// every dispatched record is acknowledged and commits the transaction
    /// (beginning the next one when `reopen`).
    fn commit(&self, consumer: &BaseConsumer<Self>, reopen: bool) -> anyhow::Result<()> {
        match &self.committer {
            Committer::Never => Ok(()),
            Committer::AtLeastOnce => {
                let pending = self.ledger.lock().pending_commits();
                if pending.is_empty() {
                    return Ok(());
                }
                let mut tpl = TopicPartitionList::with_capacity(pending.len());
                for ((topic, partition), offset) in &pending {
                    tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
                }
                let result = consumer.commit(&tpl, CommitMode::Sync);
                drop(tpl);
                match result {
                    Ok(()) => {
                        let mut ledger = self.ledger.lock();
                        for (tp, offset) in &pending {
                            ledger.mark_committed(tp, *offset);
                        }
                        metrics::counter!(metric::COMMITS).increment(1);
                    }
                    Err(e) => {
                        // Not fatal: the next commit covers these offsets.
                        metrics::counter!(metric::RETRIES, "kind" => "commit").increment(1);
                        tracing::warn!("offset commit failed, will retry: {e}");
                    }
                }
                Ok(())
            }
            Committer::ExactlyOnce { txn, open } => {
                if !open.load(Ordering::SeqCst) {
                    return Ok(());
                }
                // Quiesce: nothing may be produced while committing. Intake
                // is not polling meanwhile. If records are still waiting for
                // the broker, try again at the next tick (the transaction
                // stays open) unless this is the last commit.
                let closing = !reopen || self.shutdown.load(Ordering::SeqCst);
                let wait = if closing {
                    self.drain_timeout
                } else {
                    Duration::from_secs(1)
                };
                if !self
                    .ledger
                    .wait_until(Instant::now() + wait, |t| t.total_in_flight() == 0)
                {
                    if closing {
                        anyhow::bail!(
                            "records still unacknowledged after delivery.shutdown_timeout_ms: the open transaction \
                             is left to be aborted, and its input will be processed again after a restart"
                        );
                    }
                    return Ok(());
                }
                let pending = self.ledger.lock().pending_commits();
                let doomed = self.sink.producer().context().take_txn_failed();
                let outcome = txn.commit(&pending, consumer, doomed)?;
                match outcome {
                    TxnOutcome::Committed => {
                        let mut ledger = self.ledger.lock();
                        for (tp, offset) in &pending {
                            ledger.mark_committed(tp, *offset);
                        }
                        metrics::counter!(metric::COMMITS).increment(1);
                    }
                    TxnOutcome::Aborted => self.rewind(consumer)?,
                }
                if reopen {
                    txn.begin()?;
                } else {
                    open.store(false, Ordering::SeqCst);
                }
                Ok(())
            }
        }
    }

    /// After an aborted transaction: consume again from the last committed
    /// positions, with fresh bookkeeping.
    fn rewind(&self, consumer: &BaseConsumer<Self>) -> anyhow::Result<()> {
        let points: Vec<(Tp, Option<i64>)> = {
            let ledger = self.ledger.lock();
            ledger
                .partitions()
                .map(|tp| (tp.clone(), ledger.get(tp).and_then(|p| p.rewind_point())))
                .collect()
        };
        for (tp, point) in points {
            let mut ledger = self.ledger.lock();
            ledger.assign(tp.clone());
            if let Some(offset) = point {
                ledger.mark_committed(&tp, offset);
                drop(ledger);
                consumer
                    .seek(&tp.0, tp.1, Offset::Offset(offset), Duration::from_secs(10))
                    .with_context(|| {
                        format!(
                            "rewinding {}[{}] to {offset} after an aborted transaction",
                            tp.0, tp.1
                        )
                    })?;
            }
            self.seqs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(tp, Arc::new(Sequencer::default()));
        }
        Ok(())
    }

    fn take_fatal(&self) -> Option<anyhow::Error> {
        self.fatal.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Runs until `opts.shutdown` is set (live) or the range is done (replay).
pub fn run(opts: Options, source: Source, progress: Option<Arc<Progress>>) -> anyhow::Result<()> {
    let config = &opts.config;
    let exactly_once = matches!(source, Source::Live) && config.delivery.mode == DeliveryMode::ExactlyOnce;
    let ledger = Arc::new(Ledger::new(config.processing.max_in_flight_per_partition));
    let topics = Topics::from(&config.topics);
    let sink = KafkaSink::new(
        &client_config(&producer_properties(config, exactly_once)),
        Arc::clone(&ledger),
        Backoff {
            initial: Duration::from_millis(config.delivery.retry_backoff_ms),
            max: Duration::from_millis(config.delivery.retry_backoff_max_ms),
        },
        exactly_once,
        &topics.dlq,
        opts.provenance.clone(),
        Arc::clone(&opts.health),
    )?;
    let committer = match (&source, exactly_once) {
        (Source::Range(_), _) => Committer::Never,
        (Source::Live, false) => Committer::AtLeastOnce,
        (Source::Live, true) => {
            let txn = Transactions::new(sink.producer().clone(), Duration::from_secs(30));
            txn.start()?;
            Committer::ExactlyOnce {
                txn,
                open: AtomicBool::new(true),
            }
        }
    };
    let ctx = IntakeContext {
        ledger: Arc::clone(&ledger),
        seqs: Mutex::new(HashMap::new()),
        health: Arc::clone(&opts.health),
        committer,
        sink: Arc::clone(&sink),
        drain_timeout: Duration::from_millis(config.delivery.shutdown_timeout_ms),
        shutdown: Arc::clone(&opts.shutdown),
        closing: AtomicBool::new(false),
        fatal: Mutex::new(None),
    };
    let mut consumer_props = config.consumer_properties();
    if let Source::Range(_) = source {
        // A replay must never move the live group's offsets: its own
        // throw-away group id, and it never commits.
        consumer_props.insert(
            "group.id".into(),
            format!("{}-replay-{}-{}", config.group_id, std::process::id(), now_ms()),
        );
        consumer_props.insert("enable.partition.eof".into(), "false".into());
    }
    let consumer: BaseConsumer<IntakeContext> = client_config(&consumer_props)
        .create_with_context(ctx)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create the Kafka consumer: {e} (check the [kafka] and [consumer] properties)"
            )
        })?;

    let pool = Pool::start(
        config.workers(),
        Arc::new(WorkerContext {
            enrich: Arc::clone(&opts.enrich),
            sink: sink.clone(),
            topics,
            provenance: opts.provenance.clone(),
            max_bytes: config.max_article_bytes,
        }),
    );
    let probe_stop = Arc::new(AtomicBool::new(false));
    let probe = spawn_broker_probe(&sink, &config.topics.input, &opts.health, &probe_stop);

    let ends: Option<HashMap<Tp, i64>> = match &source {
        Source::Live => {
            consumer
                .subscribe(&[&config.topics.input])
                .with_context(|| format!("subscribing to {}", config.topics.input))?;
            tracing::info!(topic = %config.topics.input, group = %config.group_id, mode = %config.delivery.mode, "consuming");
            None
        }
        Source::Range(parts) => {
            let mut tpl = TopicPartitionList::new();
            let mut ends = HashMap::new();
            {
                let mut ledger = ledger.lock();
                let mut seqs = consumer.context().seqs.lock().unwrap_or_else(|p| p.into_inner());
                for p in parts.iter().filter(|p| p.to > p.from) {
                    tpl.add_partition_offset(&p.topic, p.partition, Offset::Offset(p.from))?;
                    let tp = (p.topic.clone(), p.partition);
                    ledger.assign(tp.clone());
                    seqs.insert(tp.clone(), Arc::new(Sequencer::default()));
                    ends.insert(tp, p.to);
                }
            }
            if !ends.is_empty() {
                consumer.assign(&tpl).context("assigning the replay partitions")?;
            }
            drop(tpl);
            opts.health.set_partitions_assigned(true);
            Some(ends)
        }
    };

    let result = intake_loop(&consumer, &pool, &opts, ends, progress.as_deref());

    // Shutdown: no more intake; drain what is in flight; final commit.
    let ctx = consumer.context();
    let deadline = Instant::now() + ctx.drain_timeout;
    let drained = ledger.wait_until(deadline, |t| t.total_in_flight() == 0);
    ctx.closing.store(true, Ordering::SeqCst);
    let commit_result = if result.is_ok() {
        ctx.commit(&consumer, false)
    } else {
        Ok(())
    };
    let left = ledger.lock().total_in_flight();
    drop(consumer); // leaves the group (the revoke callback finds nothing left to do)
    drop(pool);
    let _ = sink.flush(Duration::from_secs(5));
    probe_stop.store(true, Ordering::SeqCst);
    if let Some(p) = probe {
        let _ = p.join();
    }
    result?;
    commit_result?;
    if !drained {
        anyhow::bail!(
            "stopped with {left} records not acknowledged by the broker within delivery.shutdown_timeout_ms: \
             their offsets are not committed, so they will be processed again after a restart"
        );
    }
    Ok(())
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn tpl_of(tps: &[Tp]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(tps.len());
    for (t, p) in tps {
        tpl.add_partition(t, *p);
    }
    tpl
}

fn intake_loop(
    consumer: &BaseConsumer<IntakeContext>,
    pool: &Pool,
    opts: &Options,
    mut ends: Option<HashMap<Tp, i64>>,
    progress: Option<&Progress>,
) -> anyhow::Result<()> {
    let ctx = consumer.context();
    let ledger = &ctx.ledger;
    let commit_every = Duration::from_millis(opts.config.delivery.commit_interval_ms);
    let mut last_commit = Instant::now();
    let mut paused: HashSet<Tp> = HashSet::new();
    let mut handled = 0u64;
    loop {
        if let Some(e) = ctx.take_fatal() {
            return Err(e);
        }
        if opts.shutdown.load(Ordering::SeqCst) {
            tracing::info!("shutdown requested: draining");
            return Ok(());
        }
        if let Some(ends) = &ends {
            if ends.is_empty() && ledger.lock().total_in_flight() == 0 {
                return Ok(());
            }
        }
        // Resume partitions that have room again; forget revoked ones.
        if !paused.is_empty() {
            let ready: Vec<Tp> = {
                let l = ledger.lock();
                paused.retain(|tp| l.generation(tp).is_some());
                paused
                    .iter()
                    .filter(|tp| !l.is_full(tp) && ends.as_ref().is_none_or(|e| e.contains_key(*tp)))
                    .cloned()
                    .collect()
            };
            if !ready.is_empty() {
                let tpl = tpl_of(&ready);
                consumer.resume(&tpl).context("resuming partitions")?;
                drop(tpl);
                for tp in &ready {
                    paused.remove(tp);
                }
            }
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => {
                if let Some(code) = e.rdkafka_error_code() {
                    if matches!(
                        code,
                        RDKafkaErrorCode::Fatal
                            | RDKafkaErrorCode::InvalidGroupId
                            | RDKafkaErrorCode::GroupAuthorizationFailed
                            | RDKafkaErrorCode::TopicAuthorizationFailed
                            | RDKafkaErrorCode::SaslAuthenticationFailed
                            | RDKafkaErrorCode::Authentication
                    ) {
                        return Err(anyhow::anyhow!(
                            "consumer error: {e} (check credentials and ACLs)"
                        ));
                    }
                }
                metrics::counter!(metric::RETRIES, "kind" => "consume").increment(1);
                tracing::warn!("consumer error (retried by librdkafka): {e}");
            }
            Some(Ok(m)) => {
                let msg = Arc::new(InputMessage::from_message(&m));
                drop(m);
                let tp: Tp = (msg.topic.clone(), msg.partition);
                if let Some(ends) = &mut ends {
                    match ends.get(&tp) {
                        Some(&end) if msg.offset < end => {
                            if msg.offset + 1 >= end {
                                ends.remove(&tp);
                                let tpl = tpl_of(std::slice::from_ref(&tp));
                                consumer.pause(&tpl)?;
                                drop(tpl);
                            }
                        }
                        _ => continue, // past the range (or done)
                    }
                }
                let generation = match ledger.lock().dispatch(&tp, msg.offset) {
                    Ok(g) => g,
                    Err(e) => {
                        // A message fetched before its partition was revoked
                        // or rewound: it will be consumed again where it belongs.
                        tracing::debug!("skipping {}[{}]@{}: {e}", tp.0, tp.1, msg.offset);
                        continue;
                    }
                };
                let seq = ctx
                    .seqs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&tp)
                    .cloned();
                let Some(seq) = seq else { continue };
                seq.expect(msg.offset);
                pool.submit(Job {
                    msg,
                    generation,
                    sequencer: seq,
                });
                handled += 1;
                if let Some(report) = progress {
                    report(handled);
                }
                if ledger.lock().is_full(&tp) && paused.insert(tp.clone()) {
                    let tpl = tpl_of(std::slice::from_ref(&tp));
                    consumer
                        .pause(&tpl)
                        .context("pausing a partition at its in-flight bound")?;
                    drop(tpl);
                }
            }
        }
        let due = last_commit.elapsed() >= commit_every;
        if due || ledger.lock().wants_commit() {
            ctx.commit(consumer, true)?;
            last_commit = Instant::now();
            metrics::gauge!(metric::IN_FLIGHT).set(ledger.lock().total_in_flight() as f64);
        }
    }
}

/// Checks every 2 s that the cluster answers a metadata request; drives
/// the broker half of `/ready`. librdkafka's own "all brokers down" event
/// misses a broker that accepts connections but does not answer.
fn spawn_broker_probe(
    sink: &Arc<KafkaSink>,
    topic: &str,
    health: &Arc<Health>,
    stop: &Arc<AtomicBool>,
) -> Option<std::thread::JoinHandle<()>> {
    let sink = Arc::clone(sink);
    let health = Arc::clone(health);
    let stop = Arc::clone(stop);
    let topic = topic.to_owned();
    std::thread::Builder::new()
        .name("newsflow-probe".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let ok = sink
                    .producer()
                    .client()
                    .fetch_metadata(Some(&topic), Duration::from_secs(3))
                    .is_ok();
                if ok != health.readiness().broker_reachable {
                    tracing::info!(reachable = ok, "broker reachability changed");
                }
                health.set_broker_reachable(ok);
                for _ in 0..20 {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
        .ok()
}

//! The CPU pool: runs the core on consumed messages, in parallel across and
//! within partitions, and hands each partition's outputs to the sink in
//! offset order.
//!
//! Workers take any job; a per-partition reorder buffer ([`Sequencer`])
//! releases results in the order the messages were consumed, so a slow
//! article holds back only the records after it in its own partition. The
//! enrich function is injected ([`EnrichFn`]): production passes
//! `Pipeline::enrich`, tests pass failing or panicking ones. A panic is
//! caught per message and becomes a dead letter.

use super::input::{self, InputMessage};
use super::offsets::Tp;
use super::produce::{self, OutRecord, Provenance, Topics};
use crate::pipeline::{Article, EnrichedRecord, PipelineError};
use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The core as the runtime sees it: one article in, one record or an error out.
pub type EnrichFn = dyn Fn(&Article) -> Result<EnrichedRecord, PipelineError> + Send + Sync;

/// Why a message became a dead letter: a stable `kind` (DLQ header
/// `newsflow-error-kind`, metric label) and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
    pub article_id: Option<String>,
}

/// What the core made of one message.
#[derive(Debug)]
pub enum Outcome {
    Enriched(Box<EnrichedRecord>),
    Failed(Failure),
}

/// Parses and enriches one message; never panics.
pub fn process(msg: &InputMessage, max_bytes: usize, enrich: &EnrichFn) -> Outcome {
    let article = match input::parse(msg, max_bytes) {
        Ok(a) => a,
        Err(e) => {
            return Outcome::Failed(Failure {
                kind: e.kind(),
                message: e.to_string(),
                article_id: None,
            })
        }
    };
    tracing::Span::current().record("article_id", article.id.as_str());
    match catch_unwind(AssertUnwindSafe(|| enrich(&article))) {
        Ok(Ok(record)) => Outcome::Enriched(Box::new(record)),
        Ok(Err(e)) => Outcome::Failed(Failure {
            kind: e.kind(),
            message: e.to_string(),
            article_id: Some(article.id),
        }),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            Outcome::Failed(Failure {
                kind: "panic",
                message: format!(
                    "a pipeline stage panicked (a bug: please report it with this article): {what}"
                ),
                article_id: Some(article.id),
            })
        }
    }
}

/// Where ordered outputs go: the Kafka producer in production.
pub trait Sink: Send + Sync {
    /// Sends every output of one input message. The sink acknowledges the
    /// input offset (with its generation) once all of them are written.
    /// May block (backpressure) but must not drop records.
    fn send(&self, tp: &Tp, generation: u64, msg: &Arc<InputMessage>, records: Vec<OutRecord>);
}

/// Per-partition reorder buffer.
#[derive(Debug, Default)]
pub struct Sequencer {
    state: Mutex<SeqState>,
}

#[derive(Debug, Default)]
struct SeqState {
    /// Offsets dispatched and not yet released, in consumption order.
    order: VecDeque<i64>,
    done: HashMap<i64, (Arc<InputMessage>, Vec<OutRecord>)>,
}

impl Sequencer {
    /// Registers a message before it goes to a worker.
    pub fn expect(&self, offset: i64) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .order
            .push_back(offset);
    }

    /// Stores a result and sends every result that is now next in line. The
    /// lock is held while sending so two workers cannot interleave.
    fn complete(
        &self,
        tp: &Tp,
        generation: u64,
        msg: Arc<InputMessage>,
        records: Vec<OutRecord>,
        sink: &dyn Sink,
    ) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.done.insert(msg.offset, (msg, records));
        while let Some(&next) = st.order.front() {
            let Some((m, recs)) = st.done.remove(&next) else {
                break;
            };
            st.order.pop_front();
            sink.send(tp, generation, &m, recs);
        }
    }
}

/// One message to process.
pub struct Job {
    pub msg: Arc<InputMessage>,
    pub generation: u64,
    pub sequencer: Arc<Sequencer>,
}

/// Settings shared by all workers.
pub struct WorkerContext {
    pub enrich: Arc<EnrichFn>,
    pub sink: Arc<dyn Sink>,
    pub topics: Topics,
    pub provenance: Provenance,
    pub max_bytes: usize,
}

/// A fixed pool of OS threads (the core is CPU-bound and synchronous).
pub struct Pool {
    tx: Option<Sender<Job>>,
    handles: Vec<JoinHandle<()>>,
}

impl Pool {
    pub fn start(threads: usize, ctx: Arc<WorkerContext>) -> Pool {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let handles = (0..threads.max(1))
            .map(|i| {
                let rx = Arc::clone(&rx);
                let ctx = Arc::clone(&ctx);
                std::thread::Builder::new()
                    .name(format!("newsflow-worker-{i}"))
                    .spawn(move || worker_loop(&rx, &ctx))
                    .expect("spawning a worker thread")
            })
            .collect();
        Pool {
            tx: Some(tx),
            handles,
        }
    }

    pub fn submit(&self, job: Job) {
        if let Some(tx) = &self.tx {
            // Workers only stop when the pool is dropped, so this cannot fail
            // while the pool is alive.
            let _ = tx.send(job);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.tx.take();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn worker_loop(rx: &Mutex<Receiver<Job>>, ctx: &WorkerContext) {
    loop {
        let job = {
            let guard = rx.lock().unwrap_or_else(|p| p.into_inner());
            guard.recv()
        };
        let Ok(job) = job else { return };
        run_job(job, ctx);
    }
}

fn run_job(job: Job, ctx: &WorkerContext) {
    let msg = job.msg;
    let span = tracing::info_span!(
        "record",
        topic = %msg.topic,
        partition = msg.partition,
        offset = msg.offset,
        article_id = tracing::field::Empty
    );
    let _enter = span.enter();
    metrics::counter!(crate::observability::metric::RECORDS_IN, "topic" => msg.topic.clone()).increment(1);
    let outcome = process(&msg, ctx.max_bytes, &*ctx.enrich);
    let records = match outcome {
        Outcome::Enriched(record) => {
            for (stage, took) in &record.timings {
                metrics::histogram!(crate::observability::metric::STAGE_SECONDS, "stage" => *stage)
                    .record(took.as_secs_f64());
            }
            match produce::enriched_records(&msg, &record, &ctx.topics, &ctx.provenance) {
                Ok(recs) => recs,
                Err(e) => {
                    let failure = Failure {
                        kind: "serialize",
                        message: format!("the enriched record could not be serialised: {e}"),
                        article_id: Some(record.id.clone()),
                    };
                    vec![super::dlq::dead_letter(
                        &msg,
                        &failure,
                        &ctx.topics.dlq,
                        &ctx.provenance,
                    )]
                }
            }
        }
        Outcome::Failed(failure) => {
            tracing::warn!(kind = failure.kind, "dead letter: {}", failure.message);
            vec![super::dlq::dead_letter(
                &msg,
                &failure,
                &ctx.topics.dlq,
                &ctx.provenance,
            )]
        }
    };
    let tp = (msg.topic.clone(), msg.partition);
    job.sequencer
        .complete(&tp, job.generation, msg, records, &*ctx.sink);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::input::Header;
    use std::time::Duration;

    fn msg(offset: i64, value: &[u8]) -> InputMessage {
        InputMessage {
            topic: "in".into(),
            partition: 0,
            offset,
            timestamp_ms: Some(1),
            key: None,
            value: Some(value.to_vec()),
            headers: vec![Header {
                key: "h".into(),
                value: None,
            }],
        }
    }

    fn ok_enrich() -> Arc<EnrichFn> {
        let p = crate::pipeline::Pipeline::load().unwrap();
        Arc::new(move |a: &Article| p.enrich(a, crate::pipeline::Stages::ALL))
    }

    #[test]
    fn panics_and_stage_errors_become_failures() {
        let panicking: Arc<EnrichFn> = Arc::new(|_a: &Article| panic!("boom"));
        match process(&msg(0, br#"{"id":"a","text":"x"}"#), 100, &*panicking) {
            Outcome::Failed(f) => {
                assert_eq!(f.kind, "panic");
                assert!(f.message.contains("boom"));
                assert_eq!(f.article_id.as_deref(), Some("a"));
            }
            o => panic!("{o:?}"),
        }
        let failing: Arc<EnrichFn> = Arc::new(|_a: &Article| {
            Err(PipelineError::Stage {
                stage: "entities",
                message: "model missing".into(),
            })
        });
        match process(&msg(0, br#"{"id":"a","text":"x"}"#), 100, &*failing) {
            Outcome::Failed(f) => assert_eq!(f.kind, "stage_error"),
            o => panic!("{o:?}"),
        }
        assert!(matches!(
            process(&msg(0, br#"{"id":"a","text":"x"}"#), 100, &*ok_enrich()),
            Outcome::Enriched(_)
        ));
    }

    struct Collect(Mutex<Vec<i64>>);
    impl Sink for Collect {
        fn send(&self, _tp: &Tp, _g: u64, msg: &Arc<InputMessage>, _r: Vec<OutRecord>) {
            self.0.lock().unwrap().push(msg.offset);
        }
    }

    #[test]
    fn releases_in_offset_order_whatever_the_finish_order() {
        let sink = Arc::new(Collect(Mutex::new(Vec::new())));
        // Slow on low offsets so later ones finish first.
        let enrich: Arc<EnrichFn> = {
            let inner = ok_enrich();
            Arc::new(move |a: &Article| {
                let n: u64 = a.id.parse().unwrap();
                std::thread::sleep(Duration::from_millis((20 - n) * 2));
                inner(a)
            })
        };
        let ctx = Arc::new(WorkerContext {
            enrich,
            sink: sink.clone(),
            topics: Topics::default(),
            provenance: Provenance::default(),
            max_bytes: 1000,
        });
        let pool = Pool::start(4, ctx);
        let seq = Arc::new(Sequencer::default());
        for o in 0..20 {
            seq.expect(o);
            let body = format!(r#"{{"id":"{o}","text":"x"}}"#);
            pool.submit(Job {
                msg: Arc::new(msg(o, body.as_bytes())),
                generation: 0,
                sequencer: Arc::clone(&seq),
            });
        }
        drop(pool);
        assert_eq!(*sink.0.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }
}

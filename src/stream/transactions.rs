//! Exactly-once mode: outputs and consumed offsets commit atomically.
//!
//! The producer is transactional (`transactional.id` stable per replica, so
//! a restarted replica fences its previous incarnation and aborts whatever
//! transaction it left open). The runtime quiesces (every dispatched record
//! acknowledged), sends the consumed positions into the transaction with
//! the consumer's group metadata, and commits. A delivery failure or an
//! abortable error aborts instead, and the runtime rewinds the consumer to
//! the last committed positions, so the aborted records are produced again
//! in a later transaction: `read_committed` readers see each article once.

use super::offsets::Tp;
use super::produce::KafkaProducer;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use rdkafka::{Offset, TopicPartitionList};
use std::time::Duration;

/// What became of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnOutcome {
    Committed,
    /// Aborted: the caller must rewind to the last committed positions.
    Aborted,
}

pub struct Transactions {
    producer: KafkaProducer,
    timeout: Duration,
}

fn fatal(what: &str, e: &KafkaError) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} failed: {e}. If another replica uses the same `delivery.transactional_id` it has fenced this one: \
         give each replica its own id"
    )
}

impl Transactions {
    pub fn new(producer: KafkaProducer, timeout: Duration) -> Transactions {
        Transactions { producer, timeout }
    }

    /// Registers the transactional id (fencing older incarnations) and opens
    /// the first transaction.
    pub fn start(&self) -> anyhow::Result<()> {
        self.producer
            .init_transactions(self.timeout)
            .map_err(|e| fatal("initialising transactions", &e))?;
        self.begin()
    }

    pub fn begin(&self) -> anyhow::Result<()> {
        self.producer
            .begin_transaction()
            .map_err(|e| fatal("beginning a transaction", &e))
    }

    /// Commits the open transaction with `offsets` as the group's consumed
    /// positions, or aborts it (`doomed`: a delivery in it failed). Fatal
    /// errors (fenced, misconfigured) are returned; the process must stop.
    pub fn commit<C: ConsumerContext>(
        &self,
        offsets: &[(Tp, i64)],
        consumer: &BaseConsumer<C>,
        doomed: bool,
    ) -> anyhow::Result<TxnOutcome> {
        if doomed {
            return self.abort();
        }
        let cgm = consumer.group_metadata().ok_or_else(|| {
            anyhow::anyhow!("the consumer has no group metadata: exactly-once needs a consumer group")
        })?;
        let result = (|| {
            if !offsets.is_empty() {
                let mut tpl = TopicPartitionList::with_capacity(offsets.len());
                for ((topic, partition), offset) in offsets {
                    tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
                }
                self.producer
                    .send_offsets_to_transaction(&tpl, &cgm, self.timeout)?;
            }
            // Retriable errors (timeouts) may be retried with the same call.
            let mut attempt = 0;
            loop {
                match self.producer.commit_transaction(self.timeout) {
                    Err(KafkaError::Transaction(e)) if e.is_retriable() && attempt < 5 => {
                        metrics::counter!(crate::observability::metric::RETRIES, "kind" => "txn_commit")
                            .increment(1);
                        tracing::warn!("transaction commit not confirmed yet, retrying: {e}");
                        attempt += 1;
                    }
                    other => return other,
                }
            }
        })();
        match result {
            Ok(()) => {
                metrics::counter!(crate::observability::metric::TRANSACTIONS, "outcome" => "committed")
                    .increment(1);
                Ok(TxnOutcome::Committed)
            }
            Err(KafkaError::Transaction(e)) if e.is_fatal() => {
                Err(fatal("committing a transaction", &KafkaError::Transaction(e)))
            }
            Err(e) => {
                tracing::warn!("transaction failed, aborting it (its records will be produced again): {e}");
                self.abort()
            }
        }
    }

    fn abort(&self) -> anyhow::Result<TxnOutcome> {
        self.producer
            .abort_transaction(self.timeout)
            .map_err(|e| fatal("aborting a transaction", &e))?;
        metrics::counter!(crate::observability::metric::TRANSACTIONS, "outcome" => "aborted").increment(1);
        Ok(TxnOutcome::Aborted)
    }
}

//! The Kafka runtime around the pure core (feature `kafka`).
//!
//! * [`input`]: Kafka message → `Article` (JSON, text or HTML; key as fallback id).
//! * [`worker`]: the CPU pool, per-partition order, panics → dead letters.
//! * [`produce`]: enriched and relation records with provenance headers; the producer.
//! * [`dlq`]: dead letters with their original key, value and headers plus reasons.
//! * [`offsets`]: which offsets may be committed; the in-flight bound.
//! * [`transactions`]: exactly-once mode.
//! * [`replay`]: re-running a range of a topic (or the DLQ).
//! * [`runtime`]: the run loop, rebalances, shutdown.
//!
//! Design, guarantees and tests: docs/stream.md.

pub mod dlq;
pub mod input;
pub mod offsets;
pub mod produce;
pub mod replay;
pub mod runtime;
pub mod transactions;
pub mod worker;

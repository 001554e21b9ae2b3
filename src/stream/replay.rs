//! `newsflow replay`: which offsets a replay covers, and its progress line.
//!
//! A replay reads a range of a topic (all or chosen partitions; from/to by
//! offset or by RFC 3339 time) with its own consumer: a throw-away group id,
//! partitions assigned directly, nothing ever committed, so the live job's
//! offsets are untouched. The records go through the same workers and
//! producer as the live job, to the normal outputs or to chosen topics.
//! Re-driving the DLQ is a replay of the DLQ topic: a dead letter's value is
//! the original message, so it goes through the pipeline again.
//!
//! Time → offset resolution goes through [`OffsetLookup`], a seam: the
//! Kafka implementation asks the broker (ListOffsets by timestamp), tests
//! use a fake, since neither test broker answers that request correctly.

use super::runtime::RangePart;
use anyhow::{bail, Context};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One end of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Offset(i64),
    /// Milliseconds since the epoch.
    Time(i64),
}

/// What to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSpec {
    pub topic: String,
    /// `None`: every partition of the topic.
    pub partitions: Option<Vec<i32>>,
    /// Inclusive; `None`: the earliest offset.
    pub from: Option<Bound>,
    /// Exclusive; `None`: the end of the partition when the replay starts.
    pub to: Option<Bound>,
}

/// What the broker knows about offsets (ListOffsets and metadata).
pub trait OffsetLookup {
    fn partitions(&self, topic: &str) -> anyhow::Result<Vec<i32>>;
    /// (low, high) watermarks: the first offset and one past the last.
    fn watermarks(&self, topic: &str, partition: i32) -> anyhow::Result<(i64, i64)>;
    /// The first offset whose timestamp is at or after `ts_ms`; `None` if
    /// every record is older.
    fn offset_for_time(&self, topic: &str, partition: i32, ts_ms: i64) -> anyhow::Result<Option<i64>>;
}

/// Parses an RFC 3339 time (`2026-11-29T10:00:00Z`, any offset) to epoch ms.
pub fn parse_time(s: &str) -> anyhow::Result<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .with_context(|| format!("`{s}` is not an RFC 3339 time (like 2026-11-29T10:00:00Z)"))
}

/// Turns a spec into per-partition offset ranges.
pub fn resolve(spec: &RangeSpec, lookup: &dyn OffsetLookup) -> anyhow::Result<Vec<RangePart>> {
    let all = lookup.partitions(&spec.topic)?;
    if all.is_empty() {
        bail!("topic `{}` does not exist or has no partitions", spec.topic);
    }
    let chosen = match &spec.partitions {
        None => all.clone(),
        Some(ps) => {
            for p in ps {
                if !all.contains(p) {
                    bail!("topic `{}` has no partition {p} (it has {:?})", spec.topic, all);
                }
            }
            ps.clone()
        }
    };
    let mut parts = Vec::with_capacity(chosen.len());
    for partition in chosen {
        let (low, high) = lookup.watermarks(&spec.topic, partition)?;
        // Offsets given explicitly are used as given: they are the caller's
        // exact range, and a broker's watermarks may lag (some test brokers
        // report wrong ones). Only times and open ends need the broker.
        let at = |b: Bound| -> anyhow::Result<i64> {
            Ok(match b {
                Bound::Offset(o) => o.max(0),
                Bound::Time(t) => lookup
                    .offset_for_time(&spec.topic, partition, t)?
                    .unwrap_or(high)
                    .clamp(low, high),
            })
        };
        let from = spec.from.map(at).transpose()?.unwrap_or(low);
        let to = spec.to.map(at).transpose()?.unwrap_or(high);
        if to > high {
            tracing::warn!(
                topic = %spec.topic,
                partition,
                to,
                high_watermark = high,
                "the range ends past the partition's last offset: the replay waits for those records"
            );
        }
        parts.push(RangePart {
            topic: spec.topic.clone(),
            partition,
            from,
            to: to.max(from),
        });
    }
    Ok(parts)
}

/// [`OffsetLookup`] against the cluster.
pub struct KafkaLookup<'a, C: rdkafka::consumer::ConsumerContext> {
    pub consumer: &'a BaseConsumer<C>,
    pub timeout: Duration,
}

impl<C: rdkafka::consumer::ConsumerContext> OffsetLookup for KafkaLookup<'_, C> {
    fn partitions(&self, topic: &str) -> anyhow::Result<Vec<i32>> {
        let md = self
            .consumer
            .fetch_metadata(Some(topic), self.timeout)
            .with_context(|| format!("fetching metadata of `{topic}` (are the brokers reachable?)"))?;
        let mut ps: Vec<i32> = md
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        ps.sort_unstable();
        Ok(ps)
    }

    fn watermarks(&self, topic: &str, partition: i32) -> anyhow::Result<(i64, i64)> {
        self.consumer
            .fetch_watermarks(topic, partition, self.timeout)
            .with_context(|| format!("fetching the offsets of {topic}[{partition}]"))
    }

    fn offset_for_time(&self, topic: &str, partition: i32, ts_ms: i64) -> anyhow::Result<Option<i64>> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(ts_ms))?;
        let found = self
            .consumer
            .offsets_for_times(tpl, self.timeout)
            .with_context(|| format!("looking up {topic}[{partition}] by time"))?;
        let offset = found
            .elements()
            .first()
            .map(|e| e.offset())
            .unwrap_or(Offset::End);
        drop(found);
        Ok(match offset {
            Offset::Offset(o) => Some(o),
            _ => None,
        })
    }
}

/// A progress line with rate and ETA on a terminal (stderr); nothing
/// otherwise (the end summary is logged either way).
pub struct ProgressLine {
    total: u64,
    started: Instant,
    last: Mutex<Instant>,
    tty: bool,
}

impl ProgressLine {
    pub fn new(total: u64) -> ProgressLine {
        ProgressLine {
            total,
            started: Instant::now(),
            last: Mutex::new(Instant::now() - Duration::from_secs(1)),
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// Reports `done` records handled; redraws at most 4 times a second.
    pub fn update(&self, done: u64) {
        if !self.tty {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() < Duration::from_millis(250) && done < self.total {
            return;
        }
        *last = Instant::now();
        let line = render(done, self.total, self.started.elapsed());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// `1200/5000 (24%) 350/s ETA 0:11`.
pub fn render(done: u64, total: u64, elapsed: Duration) -> String {
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let eta = if rate > 0.0 && total > done {
        let s = ((total - done) as f64 / rate).round() as u64;
        format!("{}:{:02}", s / 60, s % 60)
    } else if done >= total {
        "0:00".into()
    } else {
        "?".into()
    };
    format!("{done}/{total} ({pct}%) {rate:.0}/s ETA {eta}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Records' timestamps per partition, offset = index + `low`.
    struct Fake {
        low: i64,
        times: HashMap<i32, Vec<i64>>,
    }

    impl OffsetLookup for Fake {
        fn partitions(&self, _topic: &str) -> anyhow::Result<Vec<i32>> {
            let mut p: Vec<i32> = self.times.keys().copied().collect();
            p.sort();
            Ok(p)
        }
        fn watermarks(&self, _t: &str, p: i32) -> anyhow::Result<(i64, i64)> {
            Ok((self.low, self.low + self.times[&p].len() as i64))
        }
        fn offset_for_time(&self, _t: &str, p: i32, ts: i64) -> anyhow::Result<Option<i64>> {
            Ok(self.times[&p]
                .iter()
                .position(|&t| t >= ts)
                .map(|i| self.low + i as i64))
        }
    }

    fn fake() -> Fake {
        Fake {
            low: 10,
            times: HashMap::from([(0, vec![100, 200, 300, 400]), (1, vec![150, 250]), (2, vec![])]),
        }
    }

    fn spec(from: Option<Bound>, to: Option<Bound>, partitions: Option<Vec<i32>>) -> RangeSpec {
        RangeSpec {
            topic: "t".into(),
            partitions,
            from,
            to,
        }
    }

    fn ranges(parts: &[RangePart]) -> Vec<(i32, i64, i64)> {
        parts.iter().map(|p| (p.partition, p.from, p.to)).collect()
    }

    #[test]
    fn whole_topic_by_default() {
        let r = resolve(&spec(None, None, None), &fake()).unwrap();
        assert_eq!(ranges(&r), [(0, 10, 14), (1, 10, 12), (2, 10, 10)]);
    }

    #[test]
    fn by_time_through_the_seam() {
        // [200, 400) covers offsets 11 and 12 on partition 0, 11 on partition 1.
        let r = resolve(
            &spec(Some(Bound::Time(200)), Some(Bound::Time(400)), None),
            &fake(),
        )
        .unwrap();
        assert_eq!(ranges(&r), [(0, 11, 13), (1, 11, 12), (2, 10, 10)]);
        // After every record: empty ranges at the end.
        let r = resolve(&spec(Some(Bound::Time(999)), None, Some(vec![0])), &fake()).unwrap();
        assert_eq!(ranges(&r), [(0, 14, 14)]);
    }

    #[test]
    fn by_offset_as_given() {
        let r = resolve(
            &spec(Some(Bound::Offset(11)), Some(Bound::Offset(12)), Some(vec![0, 1])),
            &fake(),
        )
        .unwrap();
        assert_eq!(ranges(&r), [(0, 11, 12), (1, 11, 12)]);
        let r = resolve(&spec(Some(Bound::Offset(-5)), None, Some(vec![1])), &fake()).unwrap();
        assert_eq!(ranges(&r), [(1, 0, 12)]);
        let r = resolve(
            &spec(Some(Bound::Offset(13)), Some(Bound::Offset(11)), Some(vec![0])),
            &fake(),
        )
        .unwrap();
        assert_eq!(ranges(&r), [(0, 13, 13)], "an inverted range is empty");
        assert!(resolve(&spec(None, None, Some(vec![7])), &fake()).is_err());
    }

    #[test]
    fn times_parse_with_any_offset() {
        assert_eq!(parse_time("1970-01-01T00:00:01Z").unwrap(), 1000);
        assert_eq!(parse_time("1970-01-01T01:00:01+01:00").unwrap(), 1000);
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn progress_line() {
        assert_eq!(
            render(50, 100, Duration::from_secs(10)),
            "50/100 (50%) 5/s ETA 0:10"
        );
        assert_eq!(render(0, 0, Duration::ZERO), "0/0 (100%) 0/s ETA 0:00");
    }
}

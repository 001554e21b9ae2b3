//! Which input offsets may be committed: pure bookkeeping, no Kafka.
//!
//! Records of a partition are dispatched in offset order but acknowledged
//! by the broker in any order (outputs go to other partitions, retries).
//! Committing offset `o` tells the group "everything below `o` is done", so
//! the commit point is the lowest offset still in flight, or one past the
//! highest dispatched when nothing is: never past a gap. The number in
//! flight per partition is bounded; the runtime pauses a partition at the
//! bound, which also bounds the duplicates a crash can cause.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A topic-partition.
pub type Tp = (String, i32);

/// Bookkeeping for one partition.
#[derive(Debug, Clone, Default)]
pub struct PartitionOffsets {
    /// Dispatched, not yet acknowledged.
    in_flight: BTreeSet<i64>,
    /// Dispatched, not yet committed (a superset of `in_flight`), in order.
    /// Its length is what the in-flight bound limits: after a crash,
    /// exactly these are processed again.
    uncommitted: VecDeque<i64>,
    /// The first offset dispatched in this assignment (where a rewind goes
    /// when nothing was committed yet).
    first: Option<i64>,
    /// The highest offset ever dispatched.
    highest: Option<i64>,
    /// The last offset committed (the next offset to consume), if any.
    committed: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OffsetError {
    #[error("offset {offset} dispatched after {highest}: offsets of a partition must increase")]
    NotIncreasing { offset: i64, highest: i64 },
    #[error("a record of a partition that is not assigned was dispatched")]
    NotAssigned,
}

/// The tracker shared between the intake thread (dispatch, commit) and the
/// producer's delivery callbacks (ack), with a condition variable to wait
/// for acks on drain.
#[derive(Debug)]
pub struct Ledger {
    tracker: Mutex<OffsetTracker>,
    acked: Condvar,
}

impl Ledger {
    pub fn new(max_in_flight_per_partition: usize) -> Self {
        Ledger {
            tracker: Mutex::new(OffsetTracker::new(max_in_flight_per_partition)),
            acked: Condvar::new(),
        }
    }

    /// Locks the tracker (a poisoned lock is still consistent: every
    /// mutation is a single map operation).
    pub fn lock(&self) -> MutexGuard<'_, OffsetTracker> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn ack(&self, tp: &Tp, generation: u64, offset: i64) {
        self.lock().ack(tp, generation, offset);
        self.acked.notify_all();
    }

    /// Waits until `done` holds or the deadline passes; returns whether it holds.
    pub fn wait_until(&self, deadline: Instant, mut done: impl FnMut(&OffsetTracker) -> bool) -> bool {
        let mut guard = self.lock();
        loop {
            if done(&guard) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let wait = (deadline - now).min(Duration::from_millis(200));
            guard = self
                .acked
                .wait_timeout(guard, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl PartitionOffsets {
    /// Records that `offset` was handed to the pipeline. Offsets must come in
    /// increasing order (the order a partition is consumed in); a repeated
    /// or lower one means the consumer was rewound without a reset.
    pub fn dispatch(&mut self, offset: i64) -> Result<(), OffsetError> {
        if let Some(h) = self.highest {
            if offset <= h {
                return Err(OffsetError::NotIncreasing { offset, highest: h });
            }
        }
        self.highest = Some(offset);
        self.first.get_or_insert(offset);
        self.in_flight.insert(offset);
        self.uncommitted.push_back(offset);
        Ok(())
    }

    /// Records that every output of `offset` is acknowledged by the broker.
    /// Returns false when the offset was not in flight (a late or repeated ack).
    pub fn ack(&mut self, offset: i64) -> bool {
        self.in_flight.remove(&offset)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The next offset to consume such that every dispatched offset below it
    /// is acknowledged.
    pub fn commit_point(&self) -> Option<i64> {
        match self.in_flight.first() {
            Some(&lowest) => Some(lowest),
            None => self.highest.map(|h| h + 1),
        }
    }

    /// The commit point, if it moved past the last commit.
    pub fn pending_commit(&self) -> Option<i64> {
        self.commit_point()
            .filter(|&p| self.committed.is_none_or(|c| p > c))
    }

    pub fn mark_committed(&mut self, offset: i64) {
        self.committed = Some(self.committed.map_or(offset, |c| c.max(offset)));
        while self.uncommitted.front().is_some_and(|&o| o < offset) {
            self.uncommitted.pop_front();
        }
    }

    pub fn committed(&self) -> Option<i64> {
        self.committed
    }

    /// Dispatched and not yet committed.
    pub fn uncommitted(&self) -> usize {
        self.uncommitted.len()
    }

    /// Where consumption must restart to redo everything not committed.
    pub fn rewind_point(&self) -> Option<i64> {
        self.committed.or(self.first)
    }
}

/// Bookkeeping for every assigned partition.
///
/// Each assignment of a partition gets a new generation number; acks carry
/// the generation they were dispatched in, so a late ack from before a
/// revocation can never acknowledge the same offset of a later assignment.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    parts: BTreeMap<Tp, (u64, PartitionOffsets)>,
    max_in_flight: usize,
    next_generation: u64,
}

impl OffsetTracker {
    pub fn new(max_in_flight_per_partition: usize) -> Self {
        OffsetTracker {
            parts: BTreeMap::new(),
            max_in_flight: max_in_flight_per_partition.max(1),
            next_generation: 1,
        }
    }

    /// Starts tracking a partition afresh (on assignment, or to rewind it);
    /// returns its new generation.
    pub fn assign(&mut self, tp: Tp) -> u64 {
        let generation = self.next_generation;
        self.next_generation += 1;
        self.parts.insert(tp, (generation, PartitionOffsets::default()));
        generation
    }

    /// Stops tracking a partition (after revocation and its final commit).
    pub fn revoke(&mut self, tp: &Tp) -> Option<PartitionOffsets> {
        self.parts.remove(tp).map(|(_, p)| p)
    }

    /// The current generation of an assigned partition.
    pub fn generation(&self, tp: &Tp) -> Option<u64> {
        self.parts.get(tp).map(|(g, _)| *g)
    }

    pub fn get(&self, tp: &Tp) -> Option<&PartitionOffsets> {
        self.parts.get(tp).map(|(_, p)| p)
    }

    /// Records a dispatch; the partition must be assigned.
    pub fn dispatch(&mut self, tp: &Tp, offset: i64) -> Result<u64, OffsetError> {
        let (g, p) = self.parts.get_mut(tp).ok_or(OffsetError::NotAssigned)?;
        p.dispatch(offset)?;
        Ok(*g)
    }

    /// Acknowledges an offset dispatched in `generation`; stale acks are ignored.
    pub fn ack(&mut self, tp: &Tp, generation: u64, offset: i64) -> bool {
        match self.parts.get_mut(tp) {
            Some((g, p)) if *g == generation => p.ack(offset),
            _ => false,
        }
    }

    pub fn in_flight(&self, tp: &Tp) -> usize {
        self.get(tp).map_or(0, PartitionOffsets::in_flight)
    }

    pub fn total_in_flight(&self) -> usize {
        self.parts.values().map(|(_, p)| p.in_flight()).sum()
    }

    /// Whether the partition reached its in-flight bound (pause it).
    pub fn is_full(&self, tp: &Tp) -> bool {
        self.get(tp).map_or(0, PartitionOffsets::uncommitted) >= self.max_in_flight
    }

    /// Whether some partition is half-way to its bound: commit now rather
    /// than at the next interval, so the bound does not throttle throughput.
    pub fn wants_commit(&self) -> bool {
        self.parts
            .values()
            .any(|(_, p)| p.uncommitted() * 2 >= self.max_in_flight && p.pending_commit().is_some())
    }

    /// Offsets to commit now, one per partition whose commit point moved.
    pub fn pending_commits(&self) -> Vec<(Tp, i64)> {
        self.parts
            .iter()
            .filter_map(|(tp, (_, p))| p.pending_commit().map(|o| (tp.clone(), o)))
            .collect()
    }

    pub fn mark_committed(&mut self, tp: &Tp, offset: i64) {
        if let Some((_, p)) = self.parts.get_mut(tp) {
            p.mark_committed(offset);
        }
    }

    pub fn partitions(&self) -> impl Iterator<Item = &Tp> {
        self.parts.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn never_commits_past_a_gap() {
        let mut p = PartitionOffsets::default();
        for o in [10, 11, 12, 15] {
            p.dispatch(o).unwrap();
        }
        assert_eq!(p.pending_commit(), Some(10), "nothing acked: the start");
        p.ack(11);
        p.ack(12);
        assert_eq!(p.pending_commit(), Some(10), "10 is still in flight");
        p.ack(10);
        assert_eq!(p.pending_commit(), Some(15));
        p.mark_committed(15);
        assert_eq!(p.pending_commit(), None);
        p.ack(15);
        assert_eq!(p.pending_commit(), Some(16));
        assert!(!p.ack(15), "a repeated ack is ignored");
        assert!(p.dispatch(14).is_err());
    }

    #[test]
    fn bound_and_revoke() {
        let mut t = OffsetTracker::new(2);
        let tp: Tp = ("t".into(), 0);
        assert!(t.dispatch(&tp, 0).is_err(), "not assigned");
        let g = t.assign(tp.clone());
        t.dispatch(&tp, 0).unwrap();
        assert!(!t.is_full(&tp));
        t.dispatch(&tp, 1).unwrap();
        assert!(t.is_full(&tp));
        assert!(t.ack(&tp, g, 1));
        assert!(t.is_full(&tp), "acked is not committed: still counts");
        assert!(t.ack(&tp, g, 0));
        assert_eq!(t.pending_commits(), vec![(tp.clone(), 2)]);
        t.mark_committed(&tp, 2);
        assert!(!t.is_full(&tp));
        t.dispatch(&tp, 2).unwrap();
        t.revoke(&tp);
        assert!(t.pending_commits().is_empty());
        assert!(!t.ack(&tp, g, 2));
        // Re-assigned: an ack from the old generation does not count.
        let g2 = t.assign(tp.clone());
        t.dispatch(&tp, 0).unwrap();
        assert!(!t.ack(&tp, g, 0));
        assert!(t.ack(&tp, g2, 0));
    }

    proptest! {
        /// Whatever the ack order, the commit point never passes an
        /// unacknowledged offset, only moves forward, and ends one past the
        /// last offset.
        #[test]
        fn commit_point_is_safe(
            gaps in proptest::collection::vec(1i64..4, 1..60),
            order in proptest::collection::vec(any::<prop::sample::Index>(), 60),
        ) {
            let mut offsets = Vec::new();
            let mut o = 0i64;
            for g in gaps { o += g; offsets.push(o); }
            let mut p = PartitionOffsets::default();
            for &o in &offsets { p.dispatch(o).unwrap(); }
            let mut unacked = offsets.clone();
            let mut last = None;
            for idx in order.iter().take(offsets.len()) {
                let i = idx.index(unacked.len());
                let o = unacked.swap_remove(i);
                prop_assert!(p.ack(o));
                if let Some(c) = p.pending_commit() {
                    prop_assert!(unacked.iter().all(|&u| u >= c), "commit {} passes unacked {:?}", c, unacked);
                    prop_assert!(last.is_none_or(|l| c > l));
                    p.mark_committed(c);
                    last = Some(c);
                }
                if unacked.is_empty() { break; }
            }
            for o in unacked.clone() { p.ack(o); }
            let end = offsets.last().unwrap() + 1;
            prop_assert_eq!(p.commit_point(), Some(end));
        }
    }
}

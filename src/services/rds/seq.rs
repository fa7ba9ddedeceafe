//! Which members of a sequence (log sequence numbers, binlog positions) an instance holds:
//! a contiguous prefix plus the few that arrived early, out of order.
//!
//! Replication streams are ordered (TCP), but the simulated network draws each message's
//! delay independently, so consecutive messages can overtake each other. A receiver marks what
//! it holds here and applies only the contiguous prefix, as a real replica applies its relay
//! log in order. Memory is the reordering window, not the stream: no allocation once the
//! window has reached its largest size.

use std::collections::VecDeque;

/// A set of sequence numbers ≥ 1: all of `1..=prefix`, plus `early`.
#[derive(Clone, Debug, Default)]
pub struct SeqTracker {
    prefix: u64,
    /// `early[i]` is true if `prefix + 2 + i` is held (`prefix + 1` never is).
    early: VecDeque<bool>,
}

impl SeqTracker {
    /// Holds exactly `1..=prefix`.
    pub fn starting_at(prefix: u64) -> Self {
        SeqTracker { prefix, early: VecDeque::new() }
    }

    /// Bytes allocated for the numbers held beyond the prefix.
    pub fn footprint(&self) -> u64 {
        self.early.capacity() as u64
    }

    /// The highest `n` such that `1..=n` are all held.
    #[inline]
    pub fn prefix(&self) -> u64 {
        self.prefix
    }

    /// The highest number held (the end of the log, gaps included).
    pub fn max(&self) -> u64 {
        match self.early.iter().rposition(|&held| held) {
            Some(i) => self.prefix + 2 + i as u64,
            None => self.prefix,
        }
    }

    /// True if `seq` is held.
    pub fn contains(&self, seq: u64) -> bool {
        if seq <= self.prefix {
            return true;
        }
        if seq == self.prefix + 1 {
            return false;
        }
        self.early.get((seq - self.prefix - 2) as usize).copied().unwrap_or(false)
    }

    /// Marks `seq` held; returns how far the prefix advanced (0 if it did not).
    #[inline]
    pub fn mark(&mut self, seq: u64) -> u64 {
        if seq <= self.prefix {
            return 0;
        }
        if seq == self.prefix + 1 {
            let before = self.prefix;
            self.prefix = seq;
            while let Some(held) = self.early.pop_front() {
                if held {
                    self.prefix += 1;
                } else {
                    break;
                }
            }
            // The entry popped as `false` stood for prefix + 1, which is still missing; the
            // window now starts at prefix + 2, so nothing else shifts.
            return self.prefix - before;
        }
        let offset = (seq - self.prefix - 2) as usize;
        if self.early.len() <= offset {
            self.early.resize(offset + 1, false);
        }
        self.early[offset] = true;
        0
    }

    /// Forgets everything and holds exactly `1..=prefix`.
    pub fn reset(&mut self, prefix: u64) {
        self.prefix = prefix;
        self.early.clear();
    }

    /// How many of `lo..=hi` are held.
    pub fn count_in(&self, lo: u64, hi: u64) -> u64 {
        if hi < lo {
            return 0;
        }
        let in_prefix = if lo <= self.prefix { self.prefix.min(hi) - lo + 1 } else { 0 };
        let early = self
            .early
            .iter()
            .enumerate()
            .filter(|&(i, &held)| {
                let seq = self.prefix + 2 + i as u64;
                held && seq >= lo && seq <= hi
            })
            .count() as u64;
        in_prefix + early
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_and_out_of_order_arrivals() {
        let mut t = SeqTracker::default();
        assert_eq!(t.mark(1), 1);
        assert_eq!(t.mark(3), 0);
        assert_eq!(t.mark(5), 0);
        assert!(t.contains(3) && !t.contains(2) && !t.contains(4) && t.contains(5));
        assert_eq!((t.prefix(), t.max()), (1, 5));
        assert_eq!(t.mark(2), 2, "2 fills the gap, 3 follows");
        assert_eq!(t.prefix(), 3);
        assert!(!t.contains(4) && t.contains(5));
        assert_eq!(t.mark(4), 2);
        assert_eq!((t.prefix(), t.max()), (5, 5));
        assert_eq!(t.mark(4), 0, "duplicates are ignored");
    }

    #[test]
    fn counts_held_members_of_a_range() {
        let mut t = SeqTracker::starting_at(10);
        t.mark(13);
        t.mark(15);
        assert_eq!(t.count_in(1, 10), 10);
        assert_eq!(t.count_in(9, 16), 4, "9, 10, 13, 15");
        assert_eq!(t.count_in(11, 12), 0);
        assert_eq!(t.count_in(12, 11), 0);
        t.reset(20);
        assert_eq!((t.prefix(), t.max(), t.count_in(15, 25)), (20, 20, 6));
    }

    #[test]
    fn random_permutations_end_complete() {
        use rand::seq::SliceRandom;
        let mut rng = crate::engine::StreamKey { seed: 9, point: 0, replication: 0 }.rng("seq");
        for _ in 0..50 {
            let mut order: Vec<u64> = (1..=200).collect();
            order.shuffle(&mut rng);
            let mut t = SeqTracker::default();
            let mut advanced = 0;
            for seq in order {
                advanced += t.mark(seq);
                assert!(t.contains(seq));
            }
            assert_eq!((t.prefix(), advanced), (200, 200));
        }
    }
}

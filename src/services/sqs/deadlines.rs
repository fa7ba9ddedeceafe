//! Deadlines kept by the queue itself instead of one engine timer each: visibility timeouts
//! and long-poll waits are nearly always cancelled (the batch is deleted, the poll answered),
//! so the queue keeps them in order here and sets one engine timer for the earliest that is
//! still live, skipping those that are no longer. Deadlines that arrive in order (one
//! visibility timeout, one wait time) go to a ring buffer in O(1); the others (a changed
//! visibility, consumers with different wait times) to a binary heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::engine::SimTime;

/// One deadline: when, and the slot and generation of what it guards.
pub type Deadline = (SimTime, u32, u32);

/// Deadlines in time order, and the engine timer armed for them.
#[derive(Default)]
pub struct Deadlines {
    in_order: VecDeque<Deadline>,
    out_of_order: BinaryHeap<Reverse<Deadline>>,
    /// When the armed timer fires, if one is armed.
    pub armed: Option<SimTime>,
}

impl Deadlines {
    /// Adds a deadline.
    #[inline]
    pub fn push(&mut self, deadline: Deadline) {
        if self.in_order.back().is_none_or(|last| last.0 <= deadline.0) {
            self.in_order.push_back(deadline);
        } else {
            self.out_of_order.push(Reverse(deadline));
        }
    }

    /// The earliest deadline, after dropping those at the front that `live` rejects.
    pub fn earliest(&mut self, live: impl Fn(&Deadline) -> bool) -> Option<SimTime> {
        while self.in_order.front().is_some_and(|d| !live(d)) {
            self.in_order.pop_front();
        }
        while self.out_of_order.peek().is_some_and(|Reverse(d)| !live(d)) {
            self.out_of_order.pop();
        }
        match (self.in_order.front(), self.out_of_order.peek()) {
            (Some(a), Some(Reverse(b))) => Some(a.0.min(b.0)),
            (Some(a), None) => Some(a.0),
            (None, Some(Reverse(b))) => Some(b.0),
            (None, None) => None,
        }
    }

    /// Takes the earliest deadline due at `now` (live or not: the caller checks).
    pub fn pop_due(&mut self, now: SimTime) -> Option<Deadline> {
        let a = self.in_order.front().filter(|d| d.0 <= now).copied();
        let b = self.out_of_order.peek().filter(|Reverse(d)| d.0 <= now).map(|Reverse(d)| *d);
        match (a, b) {
            (Some(x), Some(y)) if y.0 < x.0 => self.out_of_order.pop().map(|Reverse(d)| d),
            (Some(_), _) => self.in_order.pop_front(),
            (None, Some(_)) => self.out_of_order.pop().map(|Reverse(d)| d),
            (None, None) => None,
        }
    }

    /// Entries held, live or stale.
    pub fn len(&self) -> usize {
        self.in_order.len() + self.out_of_order.len()
    }

    /// Drops every entry `live` rejects (when stale entries pile up behind a live one that is
    /// due late: a long visibility timeout).
    pub fn compact(&mut self, live: impl Fn(&Deadline) -> bool) {
        self.in_order.retain(|d| live(d));
        self.out_of_order.retain(|Reverse(d)| live(d));
    }

    /// Entries held (live or stale), for the memory estimate.
    pub fn capacity(&self) -> usize {
        self.in_order.capacity() + self.out_of_order.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_come_out_in_time_order_and_stale_ones_are_skipped() {
        let t = SimTime;
        let mut d = Deadlines::default();
        d.push((t(10), 0, 0));
        d.push((t(20), 1, 0));
        d.push((t(15), 2, 0)); // Out of order: the heap.
        d.push((t(30), 3, 0));
        assert_eq!(d.earliest(|_| true), Some(t(10)));
        assert_eq!(d.earliest(|e| e.1 != 0), Some(t(15)), "slot 0 is stale");
        assert_eq!(d.pop_due(t(25)), Some((t(15), 2, 0)));
        assert_eq!(d.pop_due(t(25)), Some((t(20), 1, 0)));
        assert_eq!(d.pop_due(t(25)), None);
        assert_eq!(d.earliest(|_| true), Some(t(30)));
        d.push((t(40), 4, 0));
        d.compact(|e| e.1 != 3);
        assert_eq!((d.len(), d.earliest(|_| true)), (1, Some(t(40))));
    }
}

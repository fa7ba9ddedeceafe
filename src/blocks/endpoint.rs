//! Endpoint history: what a DNS name answered from when. A client keeps the address it
//! resolved until its cache expires, so a request carries the time its client resolved the
//! name ([`Request::resolved_at`](crate::model::Request::resolved_at)), and the service looks
//! up which instance the name named then: after a failover's DNS switch, clients with older
//! caches still reach the old address.

use std::collections::VecDeque;

use crate::engine::SimTime;

/// The answers of one DNS name over time: `(since, answer)` entries, oldest first, of which
/// the last `capacity` are kept. A resolution older than every kept entry gets the oldest kept
/// answer (a client's TTL is far shorter than the time it takes to make `capacity` switches).
#[derive(Clone, Debug)]
pub struct EndpointHistory<T: Copy> {
    entries: VecDeque<(SimTime, T)>,
    capacity: usize,
}

impl<T: Copy> EndpointHistory<T> {
    /// A name that answers `initial` from time zero, keeping `capacity` (at least 1) answers.
    pub fn new(initial: T, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let mut entries = VecDeque::with_capacity(capacity + 1);
        entries.push_back((SimTime::ZERO, initial));
        EndpointHistory { entries, capacity }
    }

    /// What the name answers now.
    #[inline]
    pub fn current(&self) -> T {
        self.entries.back().expect("a history always has an entry").1
    }

    /// What the name answered at `resolved_at`: the latest answer switched to at or before it.
    #[inline]
    pub fn at(&self, resolved_at: SimTime) -> T {
        self.entries
            .iter()
            .rev()
            .find(|(since, _)| *since <= resolved_at)
            .or_else(|| self.entries.front())
            .expect("a history always has an entry")
            .1
    }

    /// Answers kept (1 until the first switch).
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true: a name always has an answer (for clippy's `len` rule).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The name answers `answer` from `now` on.
    pub fn switch(&mut self, now: SimTime, answer: T) {
        self.entries.push_back((now, answer));
        if self.entries.len() > self.capacity {
            self.entries.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn t(secs: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(secs)
    }

    #[test]
    fn requests_resolved_before_a_switch_reach_the_old_address() {
        let mut dns = EndpointHistory::new(0usize, 16);
        dns.switch(t(10), 1);
        dns.switch(t(20), 0);
        assert_eq!(dns.current(), 0);
        assert_eq!(dns.at(t(5)), 0, "resolved before both switches");
        assert_eq!(dns.at(t(15)), 1);
        assert_eq!(dns.at(t(20)), 0, "resolved at the switch: the new address");
        assert_eq!(dns.at(t(25)), 0);
    }

    #[test]
    fn resolutions_older_than_the_kept_history_get_the_oldest_kept_answer() {
        let mut dns = EndpointHistory::new(0u32, 3);
        for k in 1..=5 {
            dns.switch(t(10 * u64::from(k)), k);
        }
        // Kept: (30, 3), (40, 4), (50, 5).
        assert_eq!(dns.at(t(1)), 3);
        assert_eq!(dns.at(t(35)), 3);
        assert_eq!(dns.at(t(45)), 4);
        assert_eq!(dns.current(), 5);
    }
}

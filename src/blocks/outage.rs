//! Outages as clients see them. An outage is a gap between two successful replies during which
//! at least one attempt failed (timed out or was refused): a quiet spell at low load, with no
//! failure, is not an outage, so a healthy system shows zero downtime at any request rate. A
//! gap shorter than the policy's `outage_gap` is not counted (an isolated refusal is noise, not
//! an outage).
//!
//! The same gap is tracked three ways, because "until anyone succeeds" hides outages that hit
//! only part of the traffic: over all requests; per operation class (reads apart from writes:
//! reads that keep succeeding while writes cannot commit do not end the writes' outage); and
//! per client host (each host's own view, so the worst host's outage is visible when some
//! hosts recovered before others, e.g. as their DNS caches expire at different times).

use crate::engine::{SimDuration, SimTime};

/// One view's state: the last success, whether anything failed since, and what was measured.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct OutageTracker {
    last_success: Option<SimTime>,
    failed: bool,
    /// Total length of the outages.
    pub downtime: SimDuration,
    /// Number of outages.
    pub outages: u64,
    /// The longest outage.
    pub longest: SimDuration,
}

impl OutageTracker {
    /// An attempt failed.
    #[inline]
    pub fn failure(&mut self) {
        self.failed = true;
    }

    /// A request succeeded at `now`: the gap since the last success is an outage if an attempt
    /// failed within it and it is longer than `threshold`.
    #[inline]
    pub fn success(&mut self, now: SimTime, threshold: SimDuration) {
        if self.failed
            && let Some(last) = self.last_success
        {
            let gap = now - last;
            if gap > threshold {
                self.downtime += gap;
                self.outages += 1;
                self.longest = self.longest.max(gap);
            }
        }
        self.last_success = Some(now);
        self.failed = false;
    }

    /// Restarts the measurement at `now` (end of warm-up), as if a success had just happened;
    /// a failure still unresolved stays pending.
    pub fn reset(&mut self, now: SimTime) {
        *self = OutageTracker { last_success: Some(now), failed: self.failed, ..OutageTracker::default() };
    }

    /// Counts the outage still open at the end of the run (`now`).
    pub fn close(&mut self, now: SimTime, threshold: SimDuration) {
        let (last, failed) = (self.last_success, self.failed);
        self.success(now, threshold);
        (self.last_success, self.failed) = (last, failed);
    }
}

/// The client-side outages of one caller: overall, by operation class, and by host.
#[derive(Clone, Debug)]
pub struct Outages {
    /// Over every request.
    pub all: OutageTracker,
    /// Over reads (`Op::is_read`) only.
    pub reads: OutageTracker,
    /// Over every other operation.
    pub writes: OutageTracker,
    /// One per client host.
    pub hosts: Vec<OutageTracker>,
    threshold: SimDuration,
}

impl Outages {
    /// Trackers for `hosts` client hosts, counting gaps longer than `threshold`.
    pub fn new(hosts: u32, threshold: SimDuration) -> Self {
        let fresh = OutageTracker { last_success: Some(SimTime::ZERO), ..OutageTracker::default() };
        Outages { all: fresh, reads: fresh, writes: fresh, hosts: vec![fresh; hosts as usize], threshold }
    }

    /// An attempt of a read (`read`) or other operation from `host` failed.
    #[inline]
    pub fn failure(&mut self, read: bool, host: u32) {
        self.all.failure();
        if read {
            self.reads.failure()
        } else {
            self.writes.failure()
        }
        if let Some(tracker) = self.hosts.get_mut(host as usize) {
            tracker.failure();
        }
    }

    /// A read (`read`) or other operation from `host` succeeded at `now`.
    #[inline]
    pub fn success(&mut self, read: bool, host: u32, now: SimTime) {
        let threshold = self.threshold;
        self.all.success(now, threshold);
        if read {
            self.reads.success(now, threshold)
        } else {
            self.writes.success(now, threshold)
        }
        if let Some(tracker) = self.hosts.get_mut(host as usize) {
            tracker.success(now, threshold);
        }
    }

    /// Restarts every view at `now` (end of warm-up).
    pub fn reset(&mut self, now: SimTime) {
        for tracker in [&mut self.all, &mut self.reads, &mut self.writes].into_iter().chain(self.hosts.iter_mut()) {
            tracker.reset(now);
        }
    }

    /// Closes every view at the end of the run.
    pub fn close(&mut self, now: SimTime) {
        let threshold = self.threshold;
        for tracker in [&mut self.all, &mut self.reads, &mut self.writes].into_iter().chain(self.hosts.iter_mut()) {
            tracker.close(now, threshold);
        }
    }

    /// The longest outage any single host saw.
    pub fn worst_host(&self) -> SimDuration {
        self.hosts.iter().map(|tracker| tracker.longest).max().unwrap_or(SimDuration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(secs)
    }

    #[test]
    fn quiet_gaps_are_not_outages_and_failed_gaps_are() {
        let threshold = SimDuration::from_secs(1);
        let mut tracker = OutageTracker { last_success: Some(t(0.0)), ..OutageTracker::default() };
        tracker.success(t(100.0), threshold);
        assert_eq!(tracker.outages, 0, "a 100 s gap with no failure (low load) is no outage");
        tracker.failure();
        tracker.success(t(130.0), threshold);
        assert_eq!((tracker.outages, tracker.longest), (1, SimDuration::from_secs(30)));
        tracker.failure();
        tracker.success(t(130.5), threshold);
        assert_eq!(tracker.outages, 1, "shorter than the threshold");
        tracker.failure();
        tracker.close(t(140.0), threshold);
        assert_eq!((tracker.outages, tracker.downtime), (2, SimDuration::from_secs_f64(39.5)), "open at the end");
    }

    #[test]
    fn reads_do_not_end_an_outage_of_writes_and_hosts_keep_their_own() {
        let mut outages = Outages::new(2, SimDuration::from_secs(1));
        outages.failure(false, 0);
        outages.failure(false, 1);
        outages.success(true, 0, t(5.0)); // A read succeeds: writes are still failing.
        outages.success(false, 0, t(20.0)); // Host 0 writes again at 20 s ...
        outages.success(false, 1, t(50.0)); // ... host 1 only at 50 s.
        outages.close(t(60.0));
        assert_eq!(outages.all.longest, SimDuration::from_secs(5), "until anyone succeeds");
        assert_eq!(outages.writes.longest, SimDuration::from_secs(20));
        assert_eq!(outages.reads.outages, 0);
        assert_eq!(outages.worst_host(), SimDuration::from_secs(50));
    }
}

//! How long an experiment will take, told before it starts: the events the scenario is
//! expected to deliver and the time one thread takes to simulate them
//! ([`Scenario::expected_work`]: rates × duration × events a request causes, each at the cost
//! measured for its kind), spread over the worker threads.

use crate::scenario::Scenario;
use crate::units::format_duration_approx;

/// An experiment expected to last longer than this (wall-clock seconds) is announced with
/// [`WorkEstimate::note`].
pub const LONG_RUN_SECS: f64 = 60.0;

/// The expected work of an experiment.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct WorkEstimate {
    /// Events expected over every run.
    pub events: f64,
    /// Seconds one thread would take to simulate them all.
    pub thread_secs: f64,
    /// Seconds of the longest run (a run is one thread's work).
    pub longest_run_secs: f64,
    /// Runs (points × replications).
    pub runs: usize,
    /// Worker threads.
    pub threads: usize,
}

impl WorkEstimate {
    /// Expected wall-clock seconds: the work spread over the threads, and at least the
    /// longest run.
    pub fn seconds(&self) -> f64 {
        let parallel = self.threads.min(self.runs).max(1) as f64;
        (self.thread_secs / parallel).max(self.longest_run_secs)
    }

    /// True if the experiment is expected to last longer than [`LONG_RUN_SECS`].
    pub fn is_long(&self) -> bool {
        self.seconds() > LONG_RUN_SECS
    }

    /// "this experiment simulates ~3.6e9 events; expect ~15 min on 2 threads (more if
    /// clients retry a lot, less if queues run away: such runs stop early)".
    pub fn note(&self) -> String {
        format!(
            "this experiment simulates ~{:.1e} events; expect ~{} on {} thread{} (more if clients retry a lot, \
             less if queues run away: such runs stop early)",
            self.events,
            format_duration_approx(self.seconds()),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
        )
    }
}

/// The expected work of running `scenario` on `threads` worker threads (None: one per core).
pub fn estimate(scenario: &Scenario, threads: Option<usize>) -> WorkEstimate {
    let runs = scenario.points.iter().map(|point| point.spec.simulation.replications as usize).sum();
    let longest_run_secs = scenario.points.iter().map(|point| point.spec.expected_work().1).fold(0.0, f64::max);
    let (events, thread_secs) = scenario.expected_work();
    WorkEstimate {
        events,
        thread_secs,
        longest_run_secs,
        runs,
        threads: threads.unwrap_or_else(rayon::current_num_threads),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_over_threads_but_never_faster_than_the_longest_run() {
        let estimate = WorkEstimate { events: 1e9, thread_secs: 200.0, longest_run_secs: 20.0, runs: 10, threads: 2 };
        assert_eq!(estimate.seconds(), 100.0);
        assert!(estimate.is_long());
        let one_run = WorkEstimate { events: 1e9, thread_secs: 100.0, longest_run_secs: 100.0, runs: 1, threads: 8 };
        assert_eq!(one_run.seconds(), 100.0);
        assert_eq!(
            one_run.note(),
            "this experiment simulates ~1.0e9 events; expect ~2 min on 8 threads (more if clients retry a lot, less \
             if queues run away: such runs stop early)"
        );
        let short = WorkEstimate { events: 1e6, thread_secs: 0.1, longest_run_secs: 0.01, runs: 10, threads: 2 };
        assert!(!short.is_long());
    }
}

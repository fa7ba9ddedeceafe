//! Sweep points whose queues ran away: what is reported instead of their measurements, and
//! the memory each run may hold.
//!
//! The runs in progress share the scenario's memory budget equally: each gets the budget over
//! the number of runs that can run at once — the machine's cores, or `--threads` if more, but
//! never more than there are runs. The share does not depend on `--threads` up to the number
//! of cores, so neither do the outputs.

use crate::model::world::{Runaway, RunawayCause};
use crate::units::{format_count_approx, format_duration_approx, format_size_approx};

/// Why a sweep point has no measurements: one of its replications ran away (the
/// lowest-numbered one; the point's later replications may not have run).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Instability {
    /// The component the run named (its name in the scenario); None if only the event
    /// queue held anything.
    pub component: Option<String>,
    /// The replication that stopped.
    pub replication: u32,
    /// What the run reported when it stopped.
    pub runaway: Runaway,
    /// The memory budget of all runs in progress together (bytes).
    pub budget: u64,
    /// How many runs shared it.
    pub runs_at_once: usize,
}

impl Instability {
    /// Where the queues ran away: the component's name, or "the event queue".
    pub fn place(&self) -> &str {
        self.component.as_deref().unwrap_or("the event queue")
    }

    /// The measured offered load ρ of the component named, where it is a station.
    pub fn offered_load(&self) -> Option<f64> {
        self.runaway.backlog.offered_load
    }

    /// The marker of summary.csv, the console and the report: `unstable (ρ ≥ 1 at app)` for
    /// a station whose measured offered load is at least 1, `unstable (queues ran away at db)`
    /// otherwise.
    pub fn marker(&self) -> String {
        if self.offered_load().is_some_and(|load| load >= 1.0) {
            format!("unstable (ρ ≥ 1 at {})", self.place())
        } else {
            format!("unstable (queues ran away at {})", self.place())
        }
    }

    /// What was seen: "ρ ≈ 1.50, 12.3 M requests queued after 2 h 10 min of simulated time
    /// (replication 0 stopped there, holding 2.00 GiB, past its share of 2.00 GiB of the
    /// 4.00 GiB memory budget, 2 runs at a time)".
    pub fn detail(&self) -> String {
        let runaway = &self.runaway;
        let backlog = &runaway.backlog;
        let mut held = if backlog.queued > 0 {
            format!("{} requests queued", format_count_approx(backlog.queued))
        } else {
            format!("{} requests held", format_count_approx(backlog.held))
        };
        if let Some(load) = self.offered_load() {
            held = format!("ρ ≈ {load:.2}, {held}");
        }
        let when = format_duration_approx(runaway.at.as_secs_f64());
        match runaway.cause {
            RunawayCause::OverBudget { budget } => format!(
                "{held} after {when} of simulated time (replication {} stopped there, holding {}, past its share \
                 of {} of the {} memory budget, {} run{} at a time)",
                self.replication,
                format_size_approx(runaway.total_bytes),
                format_size_approx(budget),
                format_size_approx(self.budget),
                self.runs_at_once,
                if self.runs_at_once == 1 { "" } else { "s" }
            ),
            RunawayCause::GrewToTheEnd => format!(
                "{held} at the end of the run ({when} of simulated time), the queue having grown all along \
                 (replication {})",
                self.replication
            ),
        }
    }
}

/// How many runs can be in progress at once: the cores (or `threads`, if more), but no more
/// than `runs`. Every run gets this share of the memory budget.
pub fn runs_at_once(runs: usize, threads: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    runs.min(threads.max(cores)).max(1)
}

/// The machine's memory in bytes, if known: the smaller of the physical memory
/// (`/proc/meminfo`) and the control group's limit (`/sys/fs/cgroup/memory.max`), on Linux.
pub fn machine_memory() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    });
    let limit = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|text| text.trim().parse().ok());
    match (total, limit) {
        (Some(total), Some(limit)) => Some(total.min(limit)),
        (total, limit) => total.or(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{SimDuration, SimTime};
    use crate::model::{Backlog, ComponentId};

    fn instability(offered_load: Option<f64>, cause: RunawayCause) -> Instability {
        Instability {
            component: Some("app".into()),
            replication: 0,
            runaway: Runaway {
                cause,
                component: Some(ComponentId(0)),
                backlog: Backlog { queued: 12_300_000, held: 12_300_001, bytes: 1 << 30, offered_load, arrived: 0 },
                total_bytes: 2 << 30,
                pending_events: 3,
                at: SimTime::ZERO + SimDuration::from_secs(7800),
                events: 1,
            },
            budget: 4 << 30,
            runs_at_once: 2,
        }
    }

    #[test]
    fn markers_claim_rho_only_for_an_overloaded_station() {
        let budget = RunawayCause::OverBudget { budget: 2 << 30 };
        let station = instability(Some(1.5), budget);
        assert_eq!(station.marker(), "unstable (ρ ≥ 1 at app)");
        assert_eq!(
            station.detail(),
            "ρ ≈ 1.50, 12.3 M requests queued after 2 h 10 min of simulated time (replication 0 stopped there, \
             holding 2.00 GiB, past its share of 2.00 GiB of the 4.00 GiB memory budget, 2 runs at a time)"
        );
        assert_eq!(instability(None, budget).marker(), "unstable (queues ran away at app)");
        assert_eq!(instability(Some(0.8), budget).marker(), "unstable (queues ran away at app)");
        let grew = instability(Some(1.1), RunawayCause::GrewToTheEnd);
        assert!(grew.detail().contains("at the end of the run (2 h 10 min of simulated time), the queue having grown"));
    }

    #[test]
    fn the_share_never_exceeds_the_runs() {
        assert_eq!(runs_at_once(1, 64), 1);
        assert!(runs_at_once(1000, 1) >= 1);
        assert_eq!(runs_at_once(1000, 100_000), 1000);
    }
}

//! Runs whose queues run away: the memory budget a world is kept within, and the check at the
//! end of a run for a queue that was fed faster than it was served for the whole run.
//!
//! A component fed faster than it serves (ρ ≥ 1, no `queue_limit`) holds more requests every
//! simulated second, and so does every client waiting for them: memory grows with simulated
//! time until the machine runs out. Every [`BUDGET_CHECK_EVENTS`] events the world adds up what
//! its components hold ([`Component::backlog`](crate::model::Component::backlog)) and its
//! pending events; over the budget, the run stops with [`RunStop::Runaway`] naming the
//! component with the longest queue. A run that ends within its budget but with a station whose
//! offered load was ≥ 1 over the whole run and whose queue holds a share of everything that
//! arrived ([`RUNAWAY_SHARE`]) stops the same way: its measurements describe how long it ran,
//! not a steady state.

use super::{Member, Stalled, World};
use crate::engine::SimTime;
use crate::model::{Backlog, ComponentId, Event};

/// Events delivered between two checks of the memory budget (2¹⁴): each check asks every
/// component for its backlog, a few hundred nanoseconds, so the checks cost well under 0.1%
/// of a run, while what a run can add between two checks (a few hundred bytes an event) stays
/// a few megabytes.
pub const BUDGET_CHECK_EVENTS: u32 = 1 << 14;

/// At the end of a run, a station whose offered load was ≥ 1 is reported unstable if its queue
/// holds at least this share of the requests that arrived (and at least
/// [`RUNAWAY_MIN_QUEUE`]): a queue fed at ρ holds about (1 − 1/ρ) of its arrivals when it never
/// empties, so 1% catches ρ ≥ 1.01, while a stable queue's length does not grow with the run.
pub const RUNAWAY_SHARE: f64 = 0.01;

/// The shortest queue reported unstable at the end of a run: a stable queue at ρ = 0.999
/// holds about 1,000 requests on average, and exceeds 10,000 with probability e⁻⁹.
pub const RUNAWAY_MIN_QUEUE: u64 = 10_000;

/// Bytes a pending event takes in the event queue: the event and its (time, sequence) key.
pub const EVENT_BYTES: u64 = std::mem::size_of::<Event>() as u64 + 16;

/// Why a run produced no measurements.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum RunStop {
    /// Simulated time stopped advancing (a mistake in the scenario).
    #[error(transparent)]
    Stalled(#[from] Stalled),
    /// A queue ran away: the run went over its memory budget, or ended with a station fed
    /// beyond its capacity all along.
    #[error("{0}")]
    Runaway(Runaway),
}

/// What made a run's queues count as runaway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RunawayCause {
    /// What the run held went over its memory budget of this many bytes.
    OverBudget {
        /// The run's budget, in bytes.
        budget: u64,
    },
    /// The run reached its end with a station whose offered load was ≥ 1 over the whole run
    /// and whose queue held at least [`RUNAWAY_SHARE`] of its arrivals.
    GrewToTheEnd,
}

/// A run stopped because a queue ran away, and the evidence.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Runaway {
    /// Why.
    pub cause: RunawayCause,
    /// The component with the longest queue (or, if nothing is queued, holding the most
    /// memory); `None` if only the event queue held anything.
    pub component: Option<ComponentId>,
    /// What that component held.
    pub backlog: Backlog,
    /// Bytes held by every component and the event queue together.
    pub total_bytes: u64,
    /// Events pending in the event queue.
    pub pending_events: u64,
    /// When the run stopped (its end, for [`RunawayCause::GrewToTheEnd`]).
    pub at: SimTime,
    /// Events delivered until then.
    pub events: u64,
}

impl std::fmt::Display for Runaway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = self.component.map_or("the event queue".to_string(), |id| format!("component {}", id.0));
        match self.cause {
            RunawayCause::OverBudget { budget } => write!(
                f,
                "queues ran away at {who}: {} requests queued, {} bytes held in all at {}, over the budget of {budget} bytes",
                self.backlog.queued, self.total_bytes, self.at
            ),
            RunawayCause::GrewToTheEnd => {
                write!(f, "queues ran away at {who}: {} requests queued at the end ({})", self.backlog.queued, self.at)
            }
        }
    }
}

impl World {
    /// Keeps the run within `bytes` of what its components and event queue hold (None: no
    /// limit, the default); over it, [`World::run`] stops with [`RunStop::Runaway`].
    pub fn set_memory_budget(&mut self, bytes: Option<u64>) {
        self.memory_budget = bytes.unwrap_or(u64::MAX);
    }

    /// Every component's backlog at `now`, the component to blame (longest queue, then most
    /// memory, then the lowest id) and the bytes held in all.
    fn census(&self, now: SimTime) -> (Option<(ComponentId, Backlog)>, u64) {
        let mut total = self.queue.len() as u64 * EVENT_BYTES;
        let mut worst: Option<(ComponentId, Backlog)> = None;
        for (index, Member { component, .. }) in self.components.iter().enumerate() {
            let backlog = component.backlog(now);
            total = total.saturating_add(backlog.bytes);
            let worse = match &worst {
                None => backlog.queued > 0 || backlog.bytes > 0,
                Some((_, held)) => (backlog.queued, backlog.bytes) > (held.queued, held.bytes),
            };
            if worse {
                worst = Some((ComponentId(index as u32), backlog));
            }
        }
        (worst, total)
    }

    /// Called every [`BUDGET_CHECK_EVENTS`] events: stops the run if it holds more than its
    /// budget.
    pub(super) fn check_budget(&self, now: SimTime) -> Result<(), RunStop> {
        if self.memory_budget == u64::MAX {
            return Ok(());
        }
        let (worst, total) = self.census(now);
        if total <= self.memory_budget {
            return Ok(());
        }
        Err(RunStop::Runaway(Runaway {
            cause: RunawayCause::OverBudget { budget: self.memory_budget },
            component: worst.map(|(id, _)| id),
            backlog: worst.map(|(_, backlog)| backlog).unwrap_or_default(),
            total_bytes: total,
            pending_events: self.queue.len() as u64,
            at: now,
            events: self.queue.delivered(),
        }))
    }

    /// At the end of the run: a station fed at ρ ≥ 1 over the whole run whose queue holds at
    /// least [`RUNAWAY_SHARE`] of its arrivals (and [`RUNAWAY_MIN_QUEUE`]) ran away, even if
    /// it stayed within the budget.
    pub(super) fn runaway_at_end(&self, end: SimTime) -> Result<(), RunStop> {
        let mut runaway: Option<(ComponentId, Backlog)> = None;
        for (index, Member { component, .. }) in self.components.iter().enumerate() {
            let backlog = component.backlog(end);
            let overloaded = backlog.offered_load.is_some_and(|load| load >= 1.0);
            let threshold = RUNAWAY_MIN_QUEUE.max((backlog.arrived as f64 * RUNAWAY_SHARE).ceil() as u64);
            let longer = runaway.is_none_or(|(_, held)| backlog.queued > held.queued);
            if overloaded && backlog.queued >= threshold && longer {
                runaway = Some((ComponentId(index as u32), backlog));
            }
        }
        let Some((component, backlog)) = runaway else { return Ok(()) };
        let (_, total) = self.census(end);
        Err(RunStop::Runaway(Runaway {
            cause: RunawayCause::GrewToTheEnd,
            component: Some(component),
            backlog,
            total_bytes: total,
            pending_events: self.queue.len() as u64,
            at: end,
            events: self.queue.delivered(),
        }))
    }
}

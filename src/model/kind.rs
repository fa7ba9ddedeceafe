//! The contract between a component kind and the scenario loader: what a `[[component]]`
//! table's parameter struct provides ([`KindConfig`]) and what it may know of the world while
//! it is built ([`BuildContext`]). The registry of kinds lives in `services::registry`.

use serde::{Deserialize, Serialize};

use super::billing::BillableItem;
use super::dist::{DistSpec, Seconds};
use super::{Component, ComponentId, SpecError};

/// What every component kind's parameter struct provides.
pub trait KindConfig: Clone + std::fmt::Debug + Serialize + for<'de> Deserialize<'de> {
    /// Other components this one names: (field, name) pairs.
    fn references(&self) -> Vec<(&'static str, &str)> {
        Vec::new()
    }

    /// Duration distributions that may name an empirical-sample file, with their field paths,
    /// so the scenario loader can read the files.
    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        Vec::new()
    }

    /// Checks the parameters and builds the component. Errors name the field relative to the
    /// component's table.
    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError>;

    /// The parameters with every default the kind chooses at build time written in (defaults
    /// that depend on other parameters or the topology: AZ placements, deployment-dependent
    /// timings), so the resolved scenario shows what ran. `az_names[i]` names AZ index `i`.
    fn resolved(&self, _context: &BuildContext<'_>, _az_names: &[String]) -> Result<Self, SpecError> {
        Ok(self.clone())
    }

    /// Events one request to this component causes on average, from its delivery to its reply
    /// (timers, messages between its instances, the reply), not counting what the components
    /// it forwards to ([`references`](Self::references)) do: for the estimate of a run's
    /// work before it starts. `write_fraction` is the share of writes. The default, 3, is a
    /// single hop: the request, the end of its service, the reply.
    fn events_per_request(&self, _write_fraction: f64) -> f64 {
        DEFAULT_EVENTS_PER_REQUEST
    }

    /// Wall-clock nanoseconds one of its events takes to simulate, roughly (release build):
    /// for turning the work estimate into time. The default is a station's, measured on
    /// `scenarios/mmc-10k.toml` (about 10 M events/s on one thread).
    fn nanos_per_event(&self) -> f64 {
        DEFAULT_NANOS_PER_EVENT
    }

    /// Requests per second it can serve at most, if that is known from its parameters alone
    /// (a station: servers over the mean service time): bounds the rate of closed loops in
    /// the work estimate.
    fn capacity(&self) -> Option<f64> {
        None
    }

    /// What the component called `name` is billed for: its instances by class, shards or
    /// nodes, and the usage metrics priced per unit. The default, nothing, is for kinds
    /// that are not AWS services (`station`).
    fn billing(&self, _name: &str) -> Vec<BillableItem> {
        Vec::new()
    }
}

/// Wall-clock nanoseconds an event takes to simulate where the kind says nothing else
/// ([`KindConfig::nanos_per_event`]): 100 ns, a station's.
pub const DEFAULT_NANOS_PER_EVENT: f64 = 100.0;

/// Events a request causes at a component that says nothing else
/// ([`KindConfig::events_per_request`]): its delivery, the end of its service and the reply.
pub const DEFAULT_EVENTS_PER_REQUEST: f64 = 3.0;

/// What a component may know about the world while it is built.
pub struct BuildContext<'a> {
    /// Maps a component name to its id.
    pub resolve: &'a dyn Fn(&str) -> Option<ComponentId>,
    /// Maps an AZ name to its index.
    pub az_index: &'a dyn Fn(&str) -> Option<u16>,
    /// The AZ the component is placed in (its `az`, default the first).
    pub own_az: u16,
    /// Number of AZs in the topology (indices 0..az_count).
    pub az_count: u16,
}

//! The contract between a component kind and the scenario loader: what a `[[component]]`
//! table's parameter struct provides ([`KindConfig`]) and what it may know of the world while
//! it is built ([`BuildContext`]). The registry of kinds lives in `services::registry`.

use serde::{Deserialize, Serialize};

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
}

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

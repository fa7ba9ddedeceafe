//! Helpers shared by the test modules: run a scenario given as TOML text, and look up what it
//! measured at point 0.

use std::path::Path;

use stratus::experiment::{self, ExperimentResults, MetricSummary, RunOptions};
use stratus::scenario::Scenario;

/// Loads `toml` (data files relative to `base_dir`) and runs it on every core.
pub fn run_in(label: &str, toml: &str, base_dir: &Path) -> ExperimentResults {
    let scenario =
        Scenario::from_source(label, toml, base_dir, &[]).unwrap_or_else(|e| panic!("{label} does not load: {e}"));
    experiment::run(&scenario, &RunOptions { threads: None, progress: stratus::experiment::Progress::Hidden })
        .expect("the experiment runs")
}

/// Loads and runs `toml`.
pub fn run(label: &str, toml: &str) -> ExperimentResults {
    run_in(label, toml, Path::new("."))
}

/// The summary of `name` at point 0.
pub fn metric<'a>(results: &'a ExperimentResults, name: &str) -> &'a MetricSummary {
    results.points[0].metric(name).unwrap_or_else(|| panic!("no metric {name}"))
}

/// The value of `name` in each replication of point 0.
pub fn per_replication(results: &ExperimentResults, name: &str) -> Vec<f64> {
    results.points[0].replication_values(name).unwrap_or_else(|| panic!("no metric {name}"))
}

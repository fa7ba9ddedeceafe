//! stratus: a deterministic discrete-event simulator of cloud data infrastructure.
//!
//! Layers, each depending only on those below it: [`engine`] (time, event queue, random
//! streams) → [`metrics`] → [`model`] (the component contract, world, network, faults) →
//! [`blocks`] (station, caller, workloads) → [`services`] (RDS, Aurora; the kind registry) →
//! [`scenario`] (TOML files) → [`experiment`] (sweeps and parallel replications) → [`report`] (CSV, histograms,
//! charts, HTML). [`units`] parses durations and sizes for every layer.
#![warn(missing_docs)]

pub mod blocks;
pub mod engine;
pub mod experiment;
pub mod metrics;
pub mod model;
pub mod planning;
pub mod report;
pub mod scenario;
pub mod services;
pub mod units;

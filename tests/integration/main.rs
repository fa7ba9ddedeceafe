//! The integration tests: one binary, one module per area, so CI links once.

mod analytic;
mod aurora;
mod budget;
mod cli;
mod common;
mod documented;
mod elasticache;
mod faults;
mod layers;
mod malformed;
mod rds;
mod rds_runs;
mod workloads;

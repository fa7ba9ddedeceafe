//! The integration tests: one binary, one module per area, so CI links once.

mod adaptive;
mod analytic;
mod app;
mod aurora;
mod budget;
mod cli;
mod common;
mod compare;
mod cost;
mod documented;
mod elasticache;
mod faults;
mod kinesis;
mod lambda;
mod layers;
mod malformed;
mod pipelines;
mod planning;
mod rds;
mod rds_runs;
mod report;
mod shards;
mod sns;
mod sqs;
mod workloads;

//! The AWS services, one folder each, built on [`crate::blocks`]: [`rds`] (Multi-AZ instance
//! and cluster, read replicas, RDS Proxy) and [`aurora`] (quorum storage, replicas, failover);
//! and the [`registry`] of component kinds that a scenario's `kind = "..."` selects.

pub mod app;
pub mod aurora;
pub mod classes;
pub mod elasticache;
pub mod kinesis;
pub mod lambda;
pub mod prices;
pub mod rds;
pub mod registry;
pub mod sns;
pub mod sqs;

//! Building blocks written once and shared by every service: the station ([`station::ServerPool`]
//! and the `station` kind), the caller's retry policy ([`caller`]), and the workloads that drive
//! a scenario ([`workload`]). Blocks know the model's contract and nothing of any AWS service.

pub mod caller;
pub mod station;
pub mod workload;

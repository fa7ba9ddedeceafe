//! Building blocks written once and shared by every service. Blocks know the model's contract
//! and nothing of any AWS service:
//!
//! - [`station`]: [`station::ServerPool`] (c servers, a FIFO queue, service times) and the
//!   `station` kind built on it;
//! - [`caller`]: calls from one component to another (timeouts, retries with backoff, DNS
//!   caching), under the [`client`] policy;
//! - [`workload`]: open and closed-loop clients that drive a scenario, and their
//!   [`arrivals`] processes;
//! - [`health`]: crash depth and nested slow factors per instance, role → instance bindings;
//! - [`endpoint`]: what a DNS name answered from when (failover switches);
//! - [`outage`]: outages as clients see them, overall, by operation and by host;
//! - [`slab`]: slots with a free list, for per-request state named by timers;
//! - [`token_bucket`]: the one rate limiter (shard limits, API rates, concurrency).

pub mod arrivals;
pub mod caller;
pub mod client;
pub mod endpoint;
pub mod health;
pub mod outage;
pub mod slab;
pub mod station;
pub mod token_bucket;
pub mod workload;

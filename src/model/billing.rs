//! What a component bills for: the resources its configuration holds (instances of a class,
//! shards, nodes) and the usage its metrics count (requests, payload units, I/O), as
//! [`BillableItem`]s. Prices are not here: `planning::cost` turns items into money. Each kind says what it bills for in
//! [`KindConfig::billing`](super::kind::KindConfig::billing).

use serde::{Deserialize, Serialize};

/// One thing a component is billed for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BillableItem {
    /// `count` instances of an instance class, billed per instance-hour by class.
    Instances {
        /// Component name.
        component: String,
        /// What they are (`writer`, `replicas`, `cache nodes`).
        what: String,
        /// Instance class, e.g. `db.r6g.2xlarge`.
        class: String,
        /// How many.
        count: f64,
    },
}

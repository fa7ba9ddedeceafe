//! What a component bills for: the resources its configuration holds (instances of a class,
//! shards, nodes) and the usage its metrics count (requests, payload units, I/O), as
//! [`BillableItem`]s. Prices are not here: `planning::cost` turns items into money. Each kind says what it bills for in
//! [`KindConfig::billing`](super::kind::KindConfig::billing).

use serde::{Deserialize, Serialize};

/// Hours in the month the cost model bills: 730 (AWS's pricing pages and calculator use
/// 730 hours a month, 8,760 a year).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// One thing a component is billed for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BillableItem {
    /// `count` instances of an instance class, billed per instance-hour by class.
    Instances {
        /// Component name.
        component: String,
        /// What they are (`writer`, `replicas`, `cache nodes`).
        what: String,
        /// The price list: `rds`, `aurora`, `elasticache` or `ec2`
        /// (`services::classes::Service::as_str`).
        service: String,
        /// Instance class, e.g. `db.r6g.2xlarge`.
        class: String,
        /// How many.
        count: f64,
    },
    /// A fixed monthly quantity of something priced per unit (shard-hours of a fixed stream,
    /// GB-months of storage, proxy vCPU-hours).
    Fixed {
        /// Component name.
        component: String,
        /// What it is (`shards`, `storage`).
        what: String,
        /// Quantity per month, in `unit`.
        quantity: f64,
        /// Unit (`shard-hours`, `GB-months`).
        unit: String,
        /// The price, per unit (`services::prices`).
        price_key: String,
    },
    /// Usage measured by a metric of the run, scaled to a month: `monthly(metric) × factor /
    /// per_unit` units at the price of `price_key` per unit.
    Usage {
        /// Component name.
        component: String,
        /// What it is (`requests (empty receives included)`).
        what: String,
        /// The metric (`q.api_requests`).
        metric: String,
        /// How the metric's mean becomes a monthly amount.
        scale: UsageScale,
        /// A factor on the metric (a share of it, units per event).
        factor: f64,
        /// Amount per priced unit (1e6 for "million requests").
        per_unit: f64,
        /// The priced unit (`million requests`).
        unit: String,
        /// The price, per unit (`services::prices`).
        price_key: String,
        /// Seconds the metric was measured over (duration − warm-up), for
        /// [`UsageScale::Count`]; filled in by the experiment ([`BillableItem::measured_over`]).
        #[serde(default)]
        measured_seconds: f64,
    },
}

/// How a usage metric becomes a monthly amount.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageScale {
    /// A rate per second: × 730 × 3,600.
    PerSecond,
    /// A count over the measured window: ÷ measured seconds × 730 × 3,600.
    Count,
    /// A time-average level (instances in service, open shards): × 730 hours.
    Level,
}

impl BillableItem {
    /// The component billed.
    pub fn component(&self) -> &str {
        match self {
            BillableItem::Instances { component, .. }
            | BillableItem::Fixed { component, .. }
            | BillableItem::Usage { component, .. } => component,
        }
    }

    /// The item with the measured window set (usage counts are scaled by it).
    pub fn measured_over(mut self, seconds: f64) -> BillableItem {
        if let BillableItem::Usage { measured_seconds, .. } = &mut self {
            *measured_seconds = seconds;
        }
        self
    }

    /// A usage item of `component` (measured window unset).
    #[allow(clippy::too_many_arguments)]
    pub fn usage(
        component: &str,
        what: &str,
        metric: String,
        scale: UsageScale,
        factor: f64,
        per_unit: f64,
        unit: &str,
        price_key: &str,
    ) -> BillableItem {
        BillableItem::Usage {
            component: component.to_string(),
            what: what.to_string(),
            metric,
            scale,
            factor,
            per_unit,
            unit: unit.to_string(),
            price_key: price_key.to_string(),
            measured_seconds: 0.0,
        }
    }

    /// `count` instances of `class` in the price list `service`.
    pub fn instances(component: &str, what: &str, service: &str, class: &str, count: f64) -> BillableItem {
        BillableItem::Instances {
            component: component.to_string(),
            what: what.to_string(),
            service: service.to_string(),
            class: class.to_string(),
            count,
        }
    }
}

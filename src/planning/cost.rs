//! The cost model: money per month for a sweep point's [`BillableItem`]s at the scenario's
//! prices.
//!
//! A month is 730 hours ([`HOURS_PER_MONTH`]), a year 12 months. Instance-hours cost
//! `count × 730 × hourly price` (the class's us-east-1 On-Demand price, times the service's
//! 1-year reservation factor with `purchase = "reserved_1y"`, times `region_multiplier`);
//! fixed quantities cost `quantity × unit price`; usage is the metric's mean over the
//! replications scaled to a month (a rate × 2,628,000 s, a count ÷ the measured seconds ×
//! 2,628,000 s, a level × 730 h) times its factor, in priced units. An override
//! (`[pricing] overrides`) is the unit price as given. A point with no measurements (its
//! queues ran away) bills its fixed items only; usage lines then show quantity 0.

use serde::{Deserialize, Serialize};

use crate::experiment::PointResult;
use crate::model::billing::{BillableItem, HOURS_PER_MONTH, UsageScale};
use crate::scenario::{PricingConfig, Purchase};
use crate::services::classes::{Service, hourly_price, price_key, reserved_1y_factor};
use crate::services::prices::usage_price;

/// One line of a point's bill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    /// Component name.
    pub component: String,
    /// What is billed (`writer db.r6g.large instance-hours`).
    pub item: String,
    /// Quantity per month.
    pub quantity: f64,
    /// Unit of the quantity (`instance-hours`, `million requests`).
    pub unit: String,
    /// Price per unit, USD.
    pub unit_price: f64,
    /// USD per month.
    pub monthly: f64,
}

/// What a sweep point costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// USD per month (730 hours).
    pub monthly: f64,
    /// USD per year.
    pub annual: f64,
    /// The lines, by component in file order.
    pub lines: Vec<CostLine>,
}

/// Seconds in a 730-hour month.
const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;

/// The unit price of `key` at `pricing`: the override if there is one, else the bundled
/// price times the region multiplier (and, for instance-hours, the reservation factor).
/// None for a key with no price.
pub fn unit_price(key: &str, pricing: &PricingConfig) -> Option<f64> {
    if let Some(price) = pricing.overrides.get(key) {
        return Some(*price);
    }
    if let Some(price) = usage_price(key) {
        return Some(price * pricing.multiplier());
    }
    let (service, price) = crate::services::prices::instance_price(key)?;
    let purchase = match pricing.purchase {
        Purchase::OnDemand => 1.0,
        Purchase::Reserved1y => reserved_1y_factor(service),
    };
    Some(price * purchase * pricing.multiplier())
}

/// The cost of `items` at `pricing`, usage scaled from what `point` measured to a month.
pub fn cost(items: &[BillableItem], pricing: &PricingConfig, point: &PointResult) -> CostBreakdown {
    let lines: Vec<CostLine> = items.iter().map(|item| line(item, pricing, point)).collect();
    let monthly = lines.iter().map(|line| line.monthly).sum::<f64>();
    CostBreakdown { monthly, annual: 12.0 * monthly, lines }
}

fn line(item: &BillableItem, pricing: &PricingConfig, point: &PointResult) -> CostLine {
    match item {
        BillableItem::Instances { component, what, service, class, count } => {
            let key = match Service::from_name(service) {
                Some(service) => price_key(service, class),
                None => format!("{service}.{class}"),
            };
            // A class without a bundled price (validation keeps them out) bills at 0 unless
            // overridden.
            let unit_price = unit_price(&key, pricing)
                .or_else(|| Service::from_name(service).and_then(|s| hourly_price(s, class)))
                .unwrap_or(0.0);
            let quantity = count * HOURS_PER_MONTH;
            CostLine {
                component: component.clone(),
                item: format!("{what} {class} ({count} × {HOURS_PER_MONTH} h)"),
                quantity,
                unit: "instance-hours".into(),
                unit_price,
                monthly: quantity * unit_price,
            }
        }
        BillableItem::Fixed { component, what, quantity, unit, price_key } => {
            let unit_price = unit_price(price_key, pricing).unwrap_or(0.0);
            CostLine {
                component: component.clone(),
                item: what.clone(),
                quantity: *quantity,
                unit: unit.clone(),
                unit_price,
                monthly: quantity * unit_price,
            }
        }
        BillableItem::Usage { component, what, metric, scale, factor, per_unit, unit, price_key, measured_seconds } => {
            let unit_price = unit_price(price_key, pricing).unwrap_or(0.0);
            let value = point.metric(metric).map(|m| m.mean).filter(|v| v.is_finite());
            let monthly_amount = match (value, scale) {
                (Some(rate), UsageScale::PerSecond) => rate * SECONDS_PER_MONTH,
                (Some(count), UsageScale::Count) if *measured_seconds > 0.0 => {
                    count / measured_seconds * SECONDS_PER_MONTH
                }
                (Some(level), UsageScale::Level) => level * HOURS_PER_MONTH,
                _ => 0.0,
            };
            let quantity = if *per_unit > 0.0 { monthly_amount * factor / per_unit } else { 0.0 };
            let item = match value {
                Some(_) => format!("{what} (from {metric})"),
                None => format!("{what} (not measured: no {metric})"),
            };
            CostLine {
                component: component.clone(),
                item,
                quantity,
                unit: unit.clone(),
                unit_price,
                monthly: quantity * unit_price,
            }
        }
    }
}

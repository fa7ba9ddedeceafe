//! The cost model: money per month for a sweep point's [`BillableItem`]s at the scenario's
//! prices.

use serde::{Deserialize, Serialize};

use crate::experiment::PointResult;
use crate::model::billing::BillableItem;
use crate::scenario::PricingConfig;

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

/// The cost of `items` at `pricing`, usage scaled from what `point` measured to a month.
pub fn cost(items: &[BillableItem], pricing: &PricingConfig, point: &PointResult) -> CostBreakdown {
    let _ = (items, pricing, point);
    CostBreakdown { monthly: 0.0, annual: 0.0, lines: Vec::new() }
}

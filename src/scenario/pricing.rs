//! `[pricing]`: the region, purchase option and price overrides the cost model uses.
//!
//! ```toml
//! [pricing]
//! region = "us-east-1"          # the only bundled price list (the default)
//! purchase = "reserved_1y"      # or "on_demand" (the default)
//! overrides = { "aurora.db.r6g.large" = 0.25, "sqs.requests_million" = 0.40 }
//! ```
//!
//! Only us-east-1 prices are bundled (`services::classes` and `services::prices`, each with its
//! source and date). Another region is accepted with `region_multiplier`, a factor applied to
//! every bundled price (AWS's other US and EU regions list 0–20% above us-east-1: measure
//! yours), and overrides then give exact prices; without a multiplier it is an error, so a
//! bill is never silently priced in the wrong region.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The region whose prices are bundled.
pub const BUNDLED_REGION: &str = "us-east-1";

/// How instances are bought.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purchase {
    /// On-Demand, per instance-hour.
    #[default]
    OnDemand,
    /// 1-year reservation, no upfront: the effective hourly price
    /// (`services::classes::reserved_1y_factor`). Usage prices (requests, GB-s) are the same.
    Reserved1y,
}

/// The `[pricing]` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawPricing")]
pub struct PricingConfig {
    /// AWS region (default us-east-1, the bundled price list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Factor on every bundled price, required for a region other than us-east-1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_multiplier: Option<f64>,
    /// `on_demand` (default) or `reserved_1y`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub purchase: Purchase,
    /// Prices by key, USD per unit, used as given (no multiplier, no reservation factor):
    /// instance-hours `<service>.<class>` (`rds.db.r6g.large`, `aurora.…`, `elasticache.…`,
    /// `ec2.…`) and usage keys (`services::prices::USAGE_PRICES`, docs/models.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<String, f64>,
}

fn is_default(purchase: &Purchase) -> bool {
    *purchase == Purchase::OnDemand
}

/// `[pricing]` as written, checked into [`PricingConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPricing {
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    region_multiplier: Option<f64>,
    #[serde(default)]
    purchase: Purchase,
    #[serde(default)]
    overrides: BTreeMap<String, f64>,
}

impl TryFrom<RawPricing> for PricingConfig {
    type Error = String;

    fn try_from(raw: RawPricing) -> Result<Self, String> {
        let config = PricingConfig {
            region: raw.region,
            region_multiplier: raw.region_multiplier,
            purchase: raw.purchase,
            overrides: raw.overrides,
        };
        config.validate()?;
        Ok(config)
    }
}

impl PricingConfig {
    /// The region.
    pub fn region(&self) -> &str {
        self.region.as_deref().unwrap_or(BUNDLED_REGION)
    }

    /// The factor on bundled prices: 1 in us-east-1, else `region_multiplier`.
    pub fn multiplier(&self) -> f64 {
        self.region_multiplier.unwrap_or(1.0)
    }

    /// Checks the region, multiplier and override keys.
    pub fn validate(&self) -> Result<(), String> {
        if self.region() != BUNDLED_REGION && self.region_multiplier.is_none() {
            return Err(format!(
                "only {BUNDLED_REGION} prices are bundled; for region `{}` give `region_multiplier` (a factor on every us-east-1 price) and `overrides` for the prices you know",
                self.region()
            ));
        }
        if let Some(factor) = self.region_multiplier
            && !(factor.is_finite() && factor > 0.0)
        {
            return Err(format!("`region_multiplier` must be a positive number, found {factor}"));
        }
        for (key, price) in &self.overrides {
            if !crate::services::prices::is_price_key(key) {
                return Err(format!(
                    "unknown price key `{key}` in `overrides`{}; keys are `<service>.<class>` (e.g. `rds.db.r6g.large`) or one of {}",
                    crate::model::did_you_mean(key, crate::services::prices::USAGE_PRICES.iter().map(|p| p.key)),
                    crate::services::prices::USAGE_PRICES
                        .iter()
                        .map(|p| format!("`{}`", p.key))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !(price.is_finite() && *price >= 0.0) {
                return Err(format!("the price of `{key}` must be a number >= 0, found {price}"));
            }
        }
        Ok(())
    }
}

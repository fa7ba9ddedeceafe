//! `[pricing]`: the region, purchase option and price overrides the cost model uses.

use serde::{Deserialize, Serialize};

/// The `[pricing]` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingConfig {}

//! `[[objective]]`: a service-level objective a sweep point must meet, e.g.
//! `metric = "app.latency", stat = "p99", below = "50ms"`.

use serde::{Deserialize, Serialize};

/// One `[[objective]]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveConfig {
    /// The metric, `<component>.<quantity>` as in summary.csv.
    pub metric: String,
    /// Which statistic of it: `mean` (default), `p50`, `p90`, `p99`, `p999`, `max`.
    #[serde(default = "default_stat")]
    pub stat: String,
}

fn default_stat() -> String {
    "mean".into()
}

//! `[simulation.adaptive]`: how many replications a sweep point runs when it runs them until
//! its confidence intervals are narrow enough (the rounds are run by
//! `experiment::adaptive`).

use serde::{Deserialize, Serialize};

use crate::model::SpecError;

/// `[simulation.adaptive]`: run replications until the intervals are narrow enough.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdaptiveConfig {
    /// Metrics whose interval must be narrow (`<component>.<quantity>`, as in summary.csv).
    pub metrics: Vec<String>,
    /// Target half-width of the 95% interval over the mean's magnitude (0.05: ±5%).
    pub relative_precision: f64,
    /// Most replications a point may run.
    pub max_replications: u32,
}

impl AdaptiveConfig {
    /// Checks the table against the first round's size (`replications`).
    pub fn validate(&self, replications: u32) -> Result<(), SpecError> {
        if self.metrics.is_empty() {
            return Err(SpecError::new("metrics", "name at least one metric, e.g. metrics = [\"users.latency\"]"));
        }
        if !(self.relative_precision > 0.0 && self.relative_precision <= 1.0) {
            return Err(SpecError::new(
                "relative_precision",
                format!("expected a fraction in (0, 1], e.g. 0.05 for ±5%; got {}", self.relative_precision),
            ));
        }
        if replications < 2 {
            return Err(SpecError::new("", "adaptive replications need replications ≥ 2 in the first round"));
        }
        if self.max_replications < replications {
            return Err(SpecError::new(
                "max_replications",
                format!("max_replications ({}) is below replications ({replications})", self.max_replications),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> AdaptiveConfig {
        AdaptiveConfig { metrics: vec!["a.latency".into()], relative_precision: 0.05, max_replications: 40 }
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(target().validate(5).is_ok());
        assert!(AdaptiveConfig { metrics: vec![], ..target() }.validate(5).is_err());
        assert!(AdaptiveConfig { relative_precision: 0.0, ..target() }.validate(5).is_err());
        assert!(AdaptiveConfig { max_replications: 3, ..target() }.validate(5).is_err());
        assert!(target().validate(1).is_err());
    }
}

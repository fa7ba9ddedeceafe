//! Adaptive replications: a sweep point runs replications in rounds until the 95% confidence
//! interval of each chosen metric is narrower than a target share of its mean, or until a
//! maximum. The number of replications depends only on the results of the rounds before, which
//! do not depend on the thread count, so the same inputs always run the same replications.
//!
//! After a round of `n` replications whose worst relative half-width is `h` against a target
//! `t`, the point goes on to `⌈n·(h/t)²⌉` replications (the half-width shrinks as 1/√n: the
//! sample-size rule of Law, *Simulation Modeling and Analysis*, 5th ed., §9.4.1), at least one
//! more, at most twice as many (the standard deviation of a small first round is itself noisy:
//! one overestimate would otherwise jump straight to the maximum) and at most the maximum.

use serde::{Deserialize, Serialize};

use super::ExperimentError;
use super::stats::estimate;
use crate::model::world::RunOutput;
pub use crate::scenario::AdaptiveConfig;

/// How an adaptive point ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveOutcome {
    /// The target it was run to.
    pub target: AdaptiveConfig,
    /// Replications it ran.
    pub replications: u32,
    /// The worst relative half-width among the metrics, at the end.
    pub precision: f64,
    /// The metric with that half-width.
    pub worst_metric: String,
}

impl AdaptiveOutcome {
    /// True if every metric reached the target.
    pub fn met(&self) -> bool {
        self.precision <= self.target.relative_precision
    }
}

/// The worst relative half-width of `target`'s metrics over the finished runs `runs` (in
/// replication order), and its metric: infinite if fewer than two runs have the metric.
pub fn precision<'a>(
    target: &AdaptiveConfig,
    runs: impl Iterator<Item = &'a RunOutput> + Clone,
) -> Result<(f64, String), ExperimentError> {
    let mut worst = (f64::NEG_INFINITY, String::new());
    for name in &target.metrics {
        let mut known: Vec<String> = Vec::new();
        let values: Vec<f64> = runs
            .clone()
            .filter_map(|run| {
                let found = run.metrics.metrics.iter().find(|metric| &metric.name == name);
                if found.is_none() && known.is_empty() {
                    known = run.metrics.metrics.iter().map(|metric| metric.name.clone()).collect();
                }
                found.map(|metric| metric.replication_value())
            })
            .collect();
        if values.is_empty() && !known.is_empty() {
            return Err(ExperimentError::UnknownMetric { metric: name.clone(), known: known.join(", ") });
        }
        let interval = estimate(&values);
        // NaN with fewer than two values: not precise at all.
        let half_width = if values.len() < 2 { f64::INFINITY } else { (interval.high - interval.low) / 2.0 };
        let relative = if half_width == 0.0 {
            0.0
        } else if interval.mean == 0.0 || !half_width.is_finite() {
            f64::INFINITY
        } else {
            half_width / interval.mean.abs()
        };
        if relative > worst.0 || worst.1.is_empty() {
            worst = (relative, name.clone());
        }
    }
    Ok(worst)
}

/// Replications to run next for a point at `n` with worst relative half-width `precision`;
/// `None` if it is done (the target is met, or the maximum reached).
pub fn next_count(target: &AdaptiveConfig, n: u32, precision: f64) -> Option<u32> {
    if precision <= target.relative_precision || n >= target.max_replications {
        return None;
    }
    let ratio = precision / target.relative_precision;
    let wanted = if ratio.is_finite() { (f64::from(n) * ratio * ratio).ceil() } else { f64::INFINITY };
    let most = n.saturating_mul(2).min(target.max_replications);
    Some((wanted.min(f64::from(most)) as u32).max(n + 1).min(target.max_replications))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> AdaptiveConfig {
        AdaptiveConfig { metrics: vec!["a.latency".into()], relative_precision: 0.05, max_replications: 40 }
    }

    #[test]
    fn the_next_round_follows_the_square_root_law_within_bounds() {
        // 1.2 times the target half-width at n = 5: 1.44 times the replications.
        assert_eq!(next_count(&target(), 5, 0.06), Some(8));
        // Just above the target: one more at least.
        assert_eq!(next_count(&target(), 5, 0.0500001), Some(6));
        // Far above: at most twice as many, and at most the maximum.
        assert_eq!(next_count(&target(), 5, 1.0), Some(10));
        assert_eq!(next_count(&target(), 5, f64::INFINITY), Some(10));
        assert_eq!(next_count(&target(), 30, 1.0), Some(40));
        assert_eq!(next_count(&target(), 40, 0.2), None);
        assert_eq!(next_count(&target(), 5, 0.04), None);
    }
}

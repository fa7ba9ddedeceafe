//! The binding bottleneck of a sweep point: the component closest to (or at) a limit.
//!
//! Candidates, from the metrics the services report:
//! - a hard limit being hit: requests throttled (`*throttled*`, `*throttles*`), rejected by a
//!   full queue (`*.rejected`) or refused for too many connections
//!   (`*.too_many_connections`), with a mean above 0 over the replications, or a throttled
//!   fraction above 0; these rank above any utilization (the limit already binds), by how
//!   many requests it turned away;
//! - otherwise the highest `*utilization` (a fraction of the servers or workers busy).
//!
//! A point whose queues ran away is bound by the component the run named.

use super::plan::{Bottleneck, number};
use crate::experiment::PointResult;
use crate::metrics::Unit;

fn is_limit(name: &str) -> bool {
    let quantity = name.rsplit('.').next().unwrap_or(name);
    quantity.contains("throttled")
        || quantity.contains("throttles")
        || quantity == "rejected"
        || quantity == "too_many_connections"
}

/// The binding bottleneck of `point`, if any metric shows one.
pub fn bottleneck(point: &PointResult) -> Option<Bottleneck> {
    if let Some(unstable) = &point.unstable {
        return Some(Bottleneck {
            component: unstable.place().to_string(),
            metric: "unstable".into(),
            value: unstable.offered_load().unwrap_or(f64::NAN),
            reason: format!("{}: {}", unstable.marker(), unstable.detail()),
        });
    }
    // (score, metric position): limits score 1 + share of the turned-away, utilizations their value.
    let mut best: Option<(f64, usize)> = None;
    for (position, metric) in point.metrics.iter().enumerate() {
        let value = metric.mean;
        if !value.is_finite() {
            continue;
        }
        let score = if is_limit(&metric.name) && value > 0.0 {
            match metric.unit {
                Unit::Fraction => 1.0 + value,
                _ => 1.0 + value / (value + 1e6),
            }
        } else if metric.name.ends_with("utilization") && metric.unit == Unit::Fraction {
            value
        } else {
            continue;
        };
        if best.is_none_or(|(top, _)| score > top) {
            best = Some((score, position));
        }
    }
    let (score, position) = best?;
    let metric = &point.metrics[position];
    let component = metric.name.split('.').next().unwrap_or(&metric.name).to_string();
    let reason = if score > 1.0 {
        match metric.unit {
            Unit::Fraction => {
                format!("{component} is at its limit: {} of requests throttled ({})", percent(metric.mean), metric.name)
            }
            _ => format!(
                "{component} is at its limit: {} requests turned away per replication ({})",
                number(metric.mean),
                metric.name
            ),
        }
    } else {
        format!("{component} is the busiest: utilization {} ({})", percent(metric.mean), metric.name)
    };
    Some(Bottleneck { component, metric: metric.name.clone(), value: metric.mean, reason })
}

fn percent(fraction: f64) -> String {
    format!("{}%", number(fraction * 100.0))
}

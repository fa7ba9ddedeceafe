//! The scenario's `[[objective]]`s as the report draws them: metric, statistic and bound in
//! the metric's unit, read from the resolved scenario TOML (the report receives it whole, so
//! it needs nothing of the objective type beyond what the file says).

use crate::experiment::ExperimentResults;
use crate::metrics::Unit;

/// One objective, for drawing and labelling.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveLine {
    /// The metric, `<component>.<quantity>`.
    pub metric: String,
    /// The statistic (`mean`, `p99`, …).
    pub stat: String,
    /// The bound in the metric's unit, when the file gives one the report can read.
    pub bound: Option<f64>,
    /// True for `below` (lower is better), false for `above`.
    pub below: bool,
    /// The bound as written (`50ms`, `0.999`).
    pub written: String,
}

impl ObjectiveLine {
    /// The objective in words: `users.latency p99 below 50ms`.
    pub fn label(&self) -> String {
        let side = if self.below { "below" } else { "above" };
        format!("{} {} {side} {}", self.metric, self.stat, self.written)
    }
}

/// A bound given as a string: a duration (`"50ms"`) in the metric's unit, a percentage
/// (`"99.9%"`) as a fraction, or a plain number.
fn string_bound(text: &str, unit: Option<Unit>) -> Option<f64> {
    let trimmed = text.trim();
    if let Some(percent) = trimmed.strip_suffix('%') {
        return percent.trim().parse::<f64>().ok().map(|p| p / 100.0);
    }
    if let Ok(number) = trimmed.parse::<f64>() {
        return Some(number);
    }
    let nanos = crate::units::parse_duration(trimmed).ok()?.0 as f64;
    Some(match unit {
        Some(Unit::Seconds) => nanos / 1e9,
        _ => nanos / 1e6,
    })
}

/// The objectives of the resolved scenario `resolved_toml`, in file order (the order of
/// `PlanInputs::objectives`); empty when the text does not parse or has none.
pub fn objective_lines(resolved_toml: &str, results: &ExperimentResults) -> Vec<ObjectiveLine> {
    let Ok(table) = resolved_toml.parse::<toml::Table>() else { return Vec::new() };
    let Some(objectives) = table.get("objective").and_then(|v| v.as_array()) else { return Vec::new() };
    objectives
        .iter()
        .filter_map(|objective| objective.as_table())
        .map(|objective| {
            let metric = objective.get("metric").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let stat = objective.get("stat").and_then(|v| v.as_str()).unwrap_or("mean").to_string();
            let unit = results.points.iter().find_map(|p| p.metric(&metric)).map(|m| m.unit);
            let (below, value) = match (objective.get("below"), objective.get("above")) {
                (Some(value), _) => (true, Some(value)),
                (None, Some(value)) => (false, Some(value)),
                (None, None) => (true, None),
            };
            let (bound, written) = match value {
                Some(toml::Value::Integer(n)) => (Some(*n as f64), n.to_string()),
                Some(toml::Value::Float(x)) => (Some(*x), super::number(*x)),
                Some(toml::Value::String(s)) => (string_bound(s, unit), s.clone()),
                _ => (None, "?".to_string()),
            };
            ObjectiveLine { metric, stat, bound, below, written }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::tests::synthetic;

    #[test]
    fn bounds_in_the_metric_unit() {
        let results = synthetic(true);
        let toml = "name = \"x\"\n[[objective]]\nmetric = \"app.response_time\"\nstat = \"p99\"\nbelow = \"50ms\"\n\
                    [[objective]]\nmetric = \"app.utilization\"\nabove = 0.5\n\
                    [[objective]]\nmetric = \"app.utilization\"\nbelow = \"90%\"\n";
        let lines = objective_lines(toml, &results);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].bound, Some(50.0));
        assert_eq!(lines[0].label(), "app.response_time p99 below 50ms");
        assert_eq!((lines[1].bound, lines[1].below, lines[1].stat.as_str()), (Some(0.5), false, "mean"));
        assert_eq!(lines[2].bound, Some(0.9));
        assert!(objective_lines("not toml [", &results).is_empty());
    }
}

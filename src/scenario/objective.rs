//! `[[objective]]`: a service-level objective a sweep point must meet, e.g.
//! `metric = "app.latency", stat = "p99", below = "50ms"`. `planning::plan` judges each point
//! against it with a confidence interval across replications.

use serde::{Deserialize, Serialize};

use crate::metrics::Unit;
use crate::model::{KindDoc, ParamDoc, SpecError};

/// The statistics an objective may bound.
pub const STATS: &[&str] = &["mean", "p50", "p90", "p95", "p99", "p999", "max"];

/// Default confidence of an objective's interval: 0.95 (the level of summary.csv's intervals).
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// One `[[objective]]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveConfig {
    /// A label for reports (default: `<stat> of <metric>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The metric, `<component>.<quantity>` as in summary.csv.
    pub metric: String,
    /// Which statistic of it: `mean` (default), `p50`, `p90`, `p95`, `p99`, `p999`, `max`.
    #[serde(default = "default_stat")]
    pub stat: String,
    /// The statistic must be below this (a number in the metric's unit, or a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<Bound>,
    /// The statistic must be above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<Bound>,
    /// Confidence of the interval the verdict is drawn from, in (0, 1).
    #[serde(default = "default_confidence")]
    pub confidence: f64,
}

/// A bound: a number in the metric's unit, or a duration string (`"50ms"`) converted to the
/// unit of a time metric (ms or s) when judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    /// A number in the metric's unit.
    Number(f64),
    /// A duration such as `"50ms"`.
    Duration(String),
}

/// Which side of the bound the statistic must be on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `below`.
    Below,
    /// `above`.
    Above,
}

impl Direction {
    /// `below` or `above`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Below => "below",
            Direction::Above => "above",
        }
    }
}

fn default_stat() -> String {
    "mean".into()
}

fn default_confidence() -> f64 {
    DEFAULT_CONFIDENCE
}

impl Bound {
    /// The bound in a metric's `unit`: a number as is; a duration in ms for [`Unit::Millis`]
    /// metrics and s for [`Unit::Seconds`]; an error for a duration on any other metric.
    pub fn in_unit(&self, unit: Unit) -> Result<f64, String> {
        match self {
            Bound::Number(value) => Ok(*value),
            Bound::Duration(text) => {
                let duration = crate::units::parse_duration(text)?;
                match unit {
                    Unit::Millis => Ok(duration.as_nanos() as f64 / 1e6),
                    Unit::Seconds => Ok(duration.as_nanos() as f64 / 1e9),
                    other => Err(format!(
                        "the bound \"{text}\" is a duration, but the metric is in {} (not a time); give a number",
                        other.as_str()
                    )),
                }
            }
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Number(value) => write!(f, "{value}"),
            Bound::Duration(text) => write!(f, "{text}"),
        }
    }
}

impl ObjectiveConfig {
    /// The bound and its direction (validation makes sure exactly one is given).
    pub fn bound(&self) -> (Direction, &Bound) {
        match (&self.below, &self.above) {
            (Some(below), _) => (Direction::Below, below),
            (None, Some(above)) => (Direction::Above, above),
            (None, None) => (Direction::Below, &Bound::Number(f64::NAN)),
        }
    }

    /// `p99 of web.latency`, or the objective's `name`.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| format!("{} of {}", self.stat, self.metric))
    }

    /// Checks the table; the error's field is relative to it.
    pub fn validate(&self) -> Result<(), SpecError> {
        if !self.metric.contains('.') || self.metric.starts_with('.') || self.metric.ends_with('.') {
            return Err(SpecError::new(
                "metric",
                format!(
                    "`{}` is not a metric name: write `<component>.<quantity>` as in summary.csv, e.g. \"app.latency\"",
                    self.metric
                ),
            ));
        }
        if !STATS.contains(&self.stat.as_str()) {
            let hint = crate::model::did_you_mean(&self.stat, STATS.iter().copied());
            return Err(SpecError::new(
                "stat",
                format!(
                    "unknown statistic `{}`, expected one of {}{hint}",
                    self.stat,
                    STATS.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let bound = match (&self.below, &self.above) {
            (Some(_), Some(_)) => {
                return Err(SpecError::new("above", "give either `below` or `above`, not both"));
            }
            (None, None) => {
                return Err(SpecError::new(
                    "",
                    "this objective has no bound: give `below` (e.g. below = \"50ms\") or `above` (e.g. above = 0.999)",
                ));
            }
            (Some(below), None) => ("below", below),
            (None, Some(above)) => ("above", above),
        };
        match bound.1 {
            Bound::Number(value) if !value.is_finite() => {
                return Err(SpecError::new(bound.0, "the bound must be a finite number"));
            }
            Bound::Duration(text) => {
                crate::units::parse_duration(text).map_err(|message| SpecError::new(bound.0, message))?;
            }
            Bound::Number(_) => {}
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(SpecError::new(
                "confidence",
                format!("expected a probability in (0, 1), e.g. 0.95; got {}", self.confidence),
            ));
        }
        Ok(())
    }
}

/// `stratus describe objective`.
pub const OBJECTIVE_DOC: KindDoc = KindDoc {
    kind: "objective",
    summary: "An [[objective]] table: a service-level objective every sweep point is judged against, \
              e.g. metric = \"web.latency\", stat = \"p99\", below = \"50ms\". Each point gets an estimate \
              and a Student-t interval across replications at the objective's confidence (for \
              percentiles, of the replications' own percentiles), and a verdict: meets (the whole \
              interval on the right side of the bound), fails (on the wrong side), inconclusive (it \
              straddles the bound: more replications would tell) or unstable (the queues ran away). \
              The points meeting every objective are ranked by monthly cost (plans.csv).",
    params: &[
        ParamDoc {
            name: "metric",
            default: "required",
            unit: "name",
            meaning: "the metric, <component>.<quantity> as in summary.csv; an unknown name fails the point with the close names",
            source: "-",
        },
        ParamDoc {
            name: "stat",
            default: "mean",
            unit: "mean|p50|p90|p95|p99|p999|max",
            meaning: "the statistic bounded; percentiles apply to latency metrics",
            source: "-",
        },
        ParamDoc {
            name: "below",
            default: "-",
            unit: "number or duration",
            meaning: "the statistic must be below this; a duration (\"50ms\") is converted to ms or s for time metrics",
            source: "-",
        },
        ParamDoc {
            name: "above",
            default: "-",
            unit: "number or duration",
            meaning: "the statistic must be above this (give exactly one of below and above)",
            source: "-",
        },
        ParamDoc {
            name: "confidence",
            default: "0.95",
            unit: "probability",
            meaning: "confidence of the two-sided interval the verdict is drawn from",
            source: "-",
        },
        ParamDoc {
            name: "name",
            default: "<stat> of <metric>",
            unit: "text",
            meaning: "a label for the reports",
            source: "-",
        },
    ],
    metrics: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ObjectiveConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn tables_validate() {
        let ok = parse("metric = \"web.latency\"\nstat = \"p99\"\nbelow = \"50ms\"");
        assert!(ok.validate().is_ok());
        assert_eq!(ok.confidence, 0.95);
        assert_eq!(ok.bound().1.in_unit(Unit::Millis), Ok(50.0));
        assert_eq!(ok.bound().1.in_unit(Unit::Seconds), Ok(0.05));
        assert!(ok.bound().1.in_unit(Unit::Fraction).is_err());
        assert_eq!(parse("metric = \"a.b\"\nabove = 0.99").bound(), (Direction::Above, &Bound::Number(0.99)));
        let err = parse("metric = \"a.b\"\nstat = \"p98\"\nbelow = 1").validate().unwrap_err();
        assert_eq!(err.field, "stat");
        assert!(parse("metric = \"a.b\"\nbelow = 1\nabove = 2").validate().is_err());
        assert!(parse("metric = \"a.b\"").validate().is_err());
        assert!(parse("metric = \"ab\"\nbelow = 1").validate().is_err());
        assert_eq!(parse("metric = \"a.b\"\nbelow = \"5 parsecs\"").validate().unwrap_err().field, "below");
        assert_eq!(parse("metric = \"a.b\"\nbelow = 1\nconfidence = 1.0").validate().unwrap_err().field, "confidence");
    }
}

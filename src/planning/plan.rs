//! Objectives judged per sweep point, and the plans ranked by cost.
//!
//! Each objective's statistic is estimated at each point with a two-sided Student-t interval
//! across replications at the objective's confidence ([`interval`](super::interval)):
//!
//! - `mean`: the interval of the replication means (as summary.csv's, at any level).
//! - percentiles and `max`: the interval of the replications' *own* percentiles, each read
//!   from that replication's histogram before the merge
//!   ([`ReplicationResult::percentiles`](crate::experiment::ReplicationResult::percentiles)).
//!   Replications are independent and identically distributed, so their p99s are i.i.d.
//!   draws of one estimator and the t-interval applies to its expectation (the replication /
//!   deletion method, Law, *Simulation Modeling and Analysis*, 5th ed., §9.5.2). The merged
//!   histogram's p99 (summary.csv) has no such interval: the samples within a run are
//!   autocorrelated (one busy period fills many), so counting them as independent would make
//!   the interval far too narrow. The per-replication p99 is biased by O(1/samples per run),
//!   negligible with the thousands of samples a run holds; the estimate reported here is the
//!   mean of the replications' values, consistent with its interval.
//!
//! With uncertain inputs (`{ low, mid, high, confidence }`: each replication one future drawn
//! from the forecast) the interval is a prediction interval instead, half-width
//! t·s·√(1 + 1/n): it bounds the statistic in one more future drawn from the forecast, so
//! "meets" means "meets in the futures the forecast allows, at the objective's confidence"
//! (a confidence interval of the mean would shrink with more replications towards the
//! average future and hide the bad ones). It assumes the replication values are roughly
//! normal; near saturation they are skewed to the right, so the bound is a little optimistic
//! there — more replications do not fix that, a lower `low`/higher `high` check does.
//!
//! A point meets an objective when its whole interval is on the right side of the bound,
//! fails when it is on the wrong side (a bound equal to the estimate counts as wrong: "below
//! 50 ms" is not met at exactly 50 ms), and is inconclusive when the interval straddles it.

use serde::{Deserialize, Serialize};

use super::cost::{self, CostBreakdown};
use super::interval::Spread;
use crate::experiment::{ExperimentResults, PointResult};
use crate::metrics::Unit;
use crate::scenario::{Direction, ObjectiveConfig};

/// Whether a point meets an objective (or all of them).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The whole confidence interval is on the right side of the bound.
    Meets,
    /// The whole interval is on the wrong side.
    Fails,
    /// The interval straddles the bound: more replications would tell.
    Inconclusive,
    /// The point's queues ran away: it has no measurements.
    Unstable,
}

impl Verdict {
    /// `meets`, `fails`, `inconclusive`, `unstable` (as in plans.csv).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Meets => "meets",
            Verdict::Fails => "fails",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Unstable => "unstable",
        }
    }
}

/// One objective at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveVerdict {
    /// Index into the scenario's objectives.
    pub objective: usize,
    /// The statistic's estimate, in the metric's unit (NaN if the point has none).
    pub estimate: f64,
    /// Lower end of its confidence interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// The bound in the metric's unit (NaN if it could not be converted).
    pub bound: f64,
    /// The metric's unit as in summary.csv (`ms`), empty if the metric is missing.
    pub unit: String,
    /// Why it is not met, in words (None when met).
    pub reason: Option<String>,
}

/// What limits a point: the component whose utilization, queue, connection limit or
/// throttling binds first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// Component name.
    pub component: String,
    /// The metric that shows it.
    pub metric: String,
    /// Its value.
    pub value: f64,
    /// In words (`db utilization 0.93`).
    pub reason: String,
}

/// One sweep point as a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointPlan {
    /// Point index.
    pub index: usize,
    /// What it costs.
    pub cost: CostBreakdown,
    /// Each objective's verdict, in objective order.
    pub objectives: Vec<ObjectiveVerdict>,
    /// Meets only if every objective is met.
    pub verdict: Verdict,
    /// Its binding bottleneck.
    pub bottleneck: Option<Bottleneck>,
    /// Why it fails (or is inconclusive), one sentence per objective missed.
    pub reasons: Vec<String>,
}

/// The planning outcome of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Planning {
    /// One plan per point, in point order.
    pub points: Vec<PointPlan>,
    /// Point indices meeting every objective, cheapest first.
    pub ranked: Vec<usize>,
    /// The cheapest point meeting every objective.
    pub cheapest: Option<usize>,
    /// The answer in one or two sentences (which point, or why none).
    pub answer: String,
}

/// Judges every point of `results` against its objectives and costs; None when the scenario
/// has neither objectives nor anything billable.
pub fn evaluate(results: &ExperimentResults) -> Option<Planning> {
    let inputs = &results.plan_inputs;
    let billable = inputs.billing.iter().any(|items| !items.is_empty());
    if inputs.objectives.is_empty() && !billable {
        return None;
    }
    let points: Vec<PointPlan> = results
        .points
        .iter()
        .enumerate()
        .map(|(position, point)| {
            let items = inputs.billing.get(position).map(Vec::as_slice).unwrap_or(&[]);
            let cost = cost::cost(items, &inputs.pricing, point);
            plan_point(point, &inputs.objectives, cost, inputs.forecast)
        })
        .collect();
    Some(plan_from(results, points))
}

/// The ranking, cheapest point and answer of already judged and costed `points` (exposed so
/// the ranking can be checked with explicit costs).
pub fn plan_from(results: &ExperimentResults, points: Vec<PointPlan>) -> Planning {
    let ranked = rank(&points);
    let cheapest = ranked.first().copied();
    let answer = super::answer::answer(results, &points, cheapest);
    Planning { points, ranked, cheapest, answer }
}

/// Indices of the points meeting every objective, by monthly cost in whole dollars — the
/// precision the answer and the console show; usage-priced lines (Aurora I/O, requests) vary
/// by cents with the run's noise, so 4 large instances and 8 of half the size, which cost the
/// same, are not told apart by it — ties by index.
pub fn rank(points: &[PointPlan]) -> Vec<usize> {
    let mut meeting: Vec<&PointPlan> = points.iter().filter(|point| point.verdict == Verdict::Meets).collect();
    let dollars = |point: &PointPlan| point.cost.monthly.round();
    meeting.sort_by(|a, b| dollars(a).total_cmp(&dollars(b)).then(a.index.cmp(&b.index)));
    meeting.iter().map(|point| point.index).collect()
}

/// Judges one point: each objective, the overall verdict, the bottleneck, the reasons.
/// With `forecast` (the scenario has uncertain inputs) each objective is judged on a
/// prediction interval: whether the statistic meets it in a future drawn from the forecast.
pub fn plan_point(
    point: &PointResult,
    objectives: &[ObjectiveConfig],
    cost: CostBreakdown,
    forecast: bool,
) -> PointPlan {
    let spread = if forecast { Spread::OfANewValue } else { Spread::OfTheMean };
    let verdicts: Vec<ObjectiveVerdict> =
        objectives.iter().enumerate().map(|(index, objective)| judge(point, index, objective, spread)).collect();
    let verdict = if point.unstable.is_some() {
        Verdict::Unstable
    } else if verdicts.iter().any(|v| v.verdict == Verdict::Fails) {
        Verdict::Fails
    } else if verdicts.iter().any(|v| v.verdict == Verdict::Inconclusive) {
        Verdict::Inconclusive
    } else {
        Verdict::Meets
    };
    let mut reasons: Vec<String> = verdicts.iter().filter_map(|v| v.reason.clone()).collect();
    if let Some(unstable) = &point.unstable
        && reasons.is_empty()
    {
        reasons.push(unstable.marker());
    }
    PointPlan {
        index: point.index,
        cost,
        objectives: verdicts,
        verdict,
        bottleneck: super::bottleneck::bottleneck(point),
        reasons,
    }
}

/// One objective at one point.
/// `spread` says whether the interval bounds the statistic's expectation (a confidence
/// interval) or its value in one more replication (a prediction interval, for forecasts).
pub fn judge(point: &PointResult, index: usize, objective: &ObjectiveConfig, spread: Spread) -> ObjectiveVerdict {
    let label = objective.label();
    let missing = |unit: &str, bound: f64, reason: String| ObjectiveVerdict {
        objective: index,
        estimate: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
        verdict: Verdict::Fails,
        bound,
        unit: unit.to_string(),
        reason: Some(reason),
    };
    if let Some(unstable) = &point.unstable {
        return ObjectiveVerdict {
            verdict: Verdict::Unstable,
            reason: Some(format!("{label}: no measurement, the point is {}", unstable.marker())),
            ..missing("", f64::NAN, String::new())
        };
    }
    let Some(position) = point.metrics.iter().position(|metric| metric.name == objective.metric) else {
        return missing("", f64::NAN, format!("{label}: {}", unknown_metric(point, &objective.metric)));
    };
    let summary = &point.metrics[position];
    let unit = summary.unit;
    let (direction, bound) = objective.bound();
    let bound = match bound.in_unit(unit) {
        Ok(bound) => bound,
        Err(message) => return missing(unit.as_str(), f64::NAN, format!("{label}: {message}")),
    };
    let values: Vec<f64> = if objective.stat == "mean" {
        point
            .replications
            .iter()
            .map(|replication| replication.values.get(position).copied().unwrap_or(f64::NAN))
            .collect()
    } else {
        if !matches!(unit, Unit::Millis) || summary.count.is_none() {
            return missing(
                unit.as_str(),
                bound,
                format!(
                    "{label}: `{}` is not a latency metric, so it has no {}; use stat = \"mean\"",
                    objective.metric, objective.stat
                ),
            );
        }
        point
            .replications
            .iter()
            .map(|replication| {
                replication
                    .percentiles
                    .get(position)
                    .copied()
                    .flatten()
                    .and_then(|p| p.get(&objective.stat))
                    .unwrap_or(f64::NAN)
            })
            .collect()
    };
    let (estimate, low, high) = super::interval::interval_of(&values, objective.confidence, unit.bounds(), spread);
    let verdict = if !estimate.is_finite() || !low.is_finite() {
        Verdict::Inconclusive
    } else {
        match direction {
            Direction::Below if high < bound => Verdict::Meets,
            Direction::Below if low >= bound => Verdict::Fails,
            Direction::Above if low > bound => Verdict::Meets,
            Direction::Above if high <= bound => Verdict::Fails,
            _ => Verdict::Inconclusive,
        }
    };
    let reason = (verdict != Verdict::Meets).then(|| {
        let shown = |value: f64| format!("{}{}", number(value), unit_suffix(unit));
        let confidence = format!("{}%", number(objective.confidence * 100.0));
        let stated = if estimate.is_finite() && !low.is_finite() {
            format!("{label} {} (one replication: no interval)", shown(estimate))
        } else if !estimate.is_finite() {
            format!("{label}: no value (no samples)")
        } else {
            let kind = match spread {
                Spread::OfTheMean => "CI",
                Spread::OfANewValue => "prediction interval over the forecast",
            };
            format!("{label} {} ({confidence} {kind} {}–{})", shown(estimate), number(low), shown(high))
        };
        let relation = match (verdict, direction) {
            (Verdict::Fails, Direction::Below) => "above",
            (Verdict::Fails, Direction::Above) => "below",
            _ => "straddles",
        };
        if verdict == Verdict::Inconclusive && !low.is_finite() {
            format!("{stated}; bound {} {}", direction.as_str(), shown(bound))
        } else {
            format!("{stated} {relation} {}", shown(bound))
        }
    });
    ObjectiveVerdict { objective: index, estimate, low, high, verdict, bound, unit: unit.as_str().to_string(), reason }
}

/// "no metric `web.latncy` at this point; close names: `web.latency`, ...".
fn unknown_metric(point: &PointResult, name: &str) -> String {
    let component = name.split('.').next().unwrap_or(name);
    let names: Vec<&str> = point.metrics.iter().map(|metric| metric.name.as_str()).collect();
    let mut close: Vec<&str> = Vec::new();
    if let Some(best) = crate::model::closest(name, names.iter().copied()) {
        close.push(best);
    }
    for candidate in &names {
        if close.len() >= 6 {
            break;
        }
        if candidate.split('.').next() == Some(component) && !close.contains(candidate) {
            close.push(candidate);
        }
    }
    if close.is_empty() {
        close = names.iter().take(6).copied().collect();
    }
    let listed: Vec<String> = close.iter().map(|name| format!("`{name}`")).collect();
    if listed.is_empty() {
        format!("no metric `{name}`: the point reports no metrics")
    } else {
        format!("no metric `{name}` in this run; close names: {}", listed.join(", "))
    }
}

/// The text after a number of `unit` (` ms`, ` s`, `/s`, nothing for fractions).
pub fn unit_suffix(unit: Unit) -> &'static str {
    match unit {
        Unit::Millis => " ms",
        Unit::Seconds => " s",
        Unit::PerSecond => "/s",
        Unit::Fraction => "",
        Unit::Requests => " requests",
        Unit::Events => " events",
    }
}

/// A number with about four significant digits, without trailing zeros.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let magnitude = value.abs();
    let decimals = if magnitude >= 1000.0 || magnitude == 0.0 {
        0
    } else {
        (3 - magnitude.log10().floor() as i32).clamp(0, 8) as usize
    };
    let text = format!("{value:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

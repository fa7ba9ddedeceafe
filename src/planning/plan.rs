//! Objectives judged per sweep point, and the plans ranked by cost.

use serde::{Deserialize, Serialize};

use super::cost::CostBreakdown;
use crate::experiment::ExperimentResults;

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

/// One objective at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveVerdict {
    /// Index into the scenario's objectives.
    pub objective: usize,
    /// The statistic's estimate, in the metric's unit.
    pub estimate: f64,
    /// Lower end of its confidence interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// The verdict.
    pub verdict: Verdict,
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
    let _ = results;
    None
}

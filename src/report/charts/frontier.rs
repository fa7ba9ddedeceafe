//! The cost–objective frontier: each point's monthly cost against its estimate of the first
//! objective, marked by verdict, with its confidence interval as a vertical bar, the Pareto
//! points joined and the bound drawn.

use super::*;
use crate::planning::Verdict;

/// Palette indices of the verdict markers: green, red, grey.
const MEETS: usize = 2;
const FAILS: usize = 3;
const UNKNOWN: usize = 7;

/// Indices (into `points`, `(cost, estimate)`) of the Pareto points, cheapest first: no other
/// point is both no dearer and strictly better (lower when `below`, higher otherwise).
pub(super) fn pareto(points: &[(f64, f64)], below: bool) -> Vec<usize> {
    let mut order: Vec<usize> =
        (0..points.len()).filter(|&i| points[i].0.is_finite() && points[i].1.is_finite()).collect();
    let better = |a: f64, b: f64| if below { a < b } else { a > b };
    order.sort_by(|&a, &b| {
        let by_cost = points[a].0.total_cmp(&points[b].0);
        let by_value = if below { points[a].1.total_cmp(&points[b].1) } else { points[b].1.total_cmp(&points[a].1) };
        by_cost.then(by_value).then(a.cmp(&b))
    });
    let mut front = Vec::new();
    let mut best: Option<f64> = None;
    for i in order {
        if best.is_none_or(|b| better(points[i].1, b)) {
            best = Some(points[i].1);
            front.push(i);
        }
    }
    front
}

/// The frontier chart, when the plan judged at least one objective.
pub(super) fn frontier_chart(
    results: &ExperimentResults,
    planning: &Planning,
    objectives: &[ObjectiveLine],
) -> Option<Chart> {
    let first = planning.points.iter().find_map(|p| p.objectives.first())?;
    let config = results.plan_inputs.objectives.get(first.objective);
    let line = objectives.get(first.objective);
    let metric = line.map(|l| l.metric.clone()).or_else(|| config.map(|c| c.metric.clone())).unwrap_or_default();
    let stat = line.map(|l| l.stat.clone()).or_else(|| config.map(|c| c.stat.clone())).unwrap_or_default();
    let below = line.is_none_or(|l| l.below);
    let unit = results.points.iter().find_map(|p| p.metric(&metric)).map_or(Unit::Requests, |m| m.unit);
    let objective = first.objective;
    fn value(
        plan: &crate::planning::PointPlan,
        objective: usize,
    ) -> (f64, f64, Option<&crate::planning::ObjectiveVerdict>) {
        let verdict = plan.objectives.iter().find(|o| o.objective == objective);
        (plan.cost.monthly, verdict.map_or(f64::NAN, |v| v.estimate), verdict)
    }
    let points: Vec<(f64, f64)> =
        planning.points.iter().map(|p| (value(p, objective).0, value(p, objective).1)).collect();
    let mut lines = Vec::new();
    for (label, colour, wanted) in [
        ("meets every objective", MEETS, Verdict::Meets),
        ("fails", FAILS, Verdict::Fails),
        ("inconclusive", UNKNOWN, Verdict::Inconclusive),
    ] {
        let members: Vec<(f64, f64)> =
            planning.points.iter().zip(&points).filter(|(p, _)| p.verdict == wanted).map(|(_, &xy)| xy).collect();
        if members.is_empty() {
            continue;
        }
        lines.push(Line { label: Some(label.into()), color: colour, dashed: false, markers: true, points: members });
    }
    for plan in &planning.points {
        let (x, _, verdict) = value(plan, objective);
        if let Some(v) = verdict.filter(|v| v.low.is_finite() && v.high.is_finite() && v.low < v.high) {
            let colour = match plan.verdict {
                Verdict::Meets => MEETS,
                Verdict::Fails => FAILS,
                _ => UNKNOWN,
            };
            lines.push(Line {
                label: None,
                color: colour,
                dashed: false,
                markers: false,
                points: vec![(x, v.low), (x, v.high)],
            });
        }
    }
    let front = pareto(&points, below);
    if front.len() > 1 {
        lines.insert(
            0,
            Line {
                label: Some("Pareto frontier".into()),
                color: 0,
                dashed: false,
                markers: false,
                points: front.iter().map(|&i| points[i]).collect(),
            },
        );
    }
    let costs: Vec<f64> = points.iter().map(|p| p.0).filter(|c| c.is_finite()).collect();
    let (low, high) = (costs.iter().copied().fold(f64::INFINITY, f64::min), costs.iter().copied().fold(0.0, f64::max));
    let x_range = if costs.is_empty() {
        (0.0, 1.0)
    } else if high > low {
        (low - (high - low) * 0.05, high + (high - low) * 0.05)
    } else {
        (low * 0.9 - 1.0, high * 1.1 + 1.0)
    };
    lines.extend(objective_lines(
        objectives.get(first.objective).map(std::slice::from_ref).unwrap_or(&[]),
        &metric,
        x_range,
    ));
    let has_data = points.iter().any(|p| p.0.is_finite() && p.1.is_finite());
    Some(Chart {
        kind: ChartKind::Frontier,
        name: "cost".into(),
        title: format!("monthly cost vs {metric} {stat} (bars: confidence interval)"),
        x_desc: "monthly cost (USD)".into(),
        y_desc: format!("{metric} {stat} ({})", unit_label(unit)),
        x_axis: XAxis::Linear,
        x_range,
        y_range: y_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))),
        x_labels: 10,
        bands: Vec::new(),
        lines,
        shades: Vec::new(),
        note: (!has_data).then(|| "no values".to_string()),
    })
}

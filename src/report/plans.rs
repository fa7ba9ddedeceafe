//! The capacity plan's files: `plans.csv` (one row per point: verdict, rank, cost,
//! bottleneck, reason, each objective's estimate and interval) and `cost.csv` (one row per
//! point and cost line), plus the `cost.monthly` row of `summary.csv`.

use super::{STATUS_UNIT, csv_bytes, number};
use crate::experiment::{ExperimentResults, PointResult};
use crate::planning::{Planning, PointPlan, Verdict};

/// The verdict as written in plans.csv.
pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Meets => "meets",
        Verdict::Fails => "fails",
        Verdict::Inconclusive => "inconclusive",
        Verdict::Unstable => "unstable",
    }
}

/// Rank of point `index` among the plans meeting every objective (1 = cheapest), if it is one.
pub fn rank(planning: &Planning, index: usize) -> Option<usize> {
    planning.ranked.iter().position(|&i| i == index).map(|r| r + 1)
}

/// The parameter values of point `index` (empty strings when the results do not have it).
fn params(results: &ExperimentResults, index: usize) -> Vec<String> {
    match results.points.iter().find(|p| p.index == index) {
        Some(point) => point.params.clone(),
        None => vec![String::new(); results.sweep_params.len()],
    }
}

/// `plans.csv`: `point, <sweep params>, verdict, rank, monthly_cost, annual_cost, bottleneck,
/// reason`, then `objective<i>_estimate, _low, _high, _verdict` for each objective (from 1).
pub fn plans_csv(results: &ExperimentResults, planning: &Planning) -> Vec<u8> {
    let objectives =
        planning.points.iter().map(|p| p.objectives.len()).max().unwrap_or(0).max(results.plan_inputs.objectives.len());
    let mut header = vec!["point".to_string()];
    header.extend(results.sweep_params.iter().cloned());
    header.extend(["verdict", "rank", "monthly_cost", "annual_cost", "bottleneck", "reason"].map(String::from));
    for i in 1..=objectives {
        for column in ["estimate", "low", "high", "verdict"] {
            header.push(format!("objective{i}_{column}"));
        }
    }
    let mut rows = vec![header];
    for plan in &planning.points {
        let mut row = vec![plan.index.to_string()];
        row.extend(params(results, plan.index));
        row.push(verdict_word(plan.verdict).into());
        row.push(rank(planning, plan.index).map(|r| r.to_string()).unwrap_or_default());
        row.push(number(plan.cost.monthly));
        row.push(number(plan.cost.annual));
        row.push(plan.bottleneck.as_ref().map(|b| b.reason.clone()).unwrap_or_default());
        row.push(plan.reasons.join(" "));
        for i in 0..objectives {
            match plan.objectives.iter().find(|o| o.objective == i) {
                Some(o) => {
                    row.extend([number(o.estimate), number(o.low), number(o.high), verdict_word(o.verdict).to_string()])
                }
                None => row.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        rows.push(row);
    }
    csv_bytes(rows)
}

/// `cost.csv`: `point, <sweep params>, component, item, quantity, unit, unit_price, monthly`.
pub fn cost_csv(results: &ExperimentResults, planning: &Planning) -> Vec<u8> {
    let mut header = vec!["point".to_string()];
    header.extend(results.sweep_params.iter().cloned());
    header.extend(["component", "item", "quantity", "unit", "unit_price", "monthly"].map(String::from));
    let mut rows = vec![header];
    for plan in &planning.points {
        let params = params(results, plan.index);
        for line in &plan.cost.lines {
            let mut row = vec![plan.index.to_string()];
            row.extend(params.iter().cloned());
            row.extend([
                line.component.clone(),
                line.item.clone(),
                number(line.quantity),
                line.unit.clone(),
                number(line.unit_price),
                number(line.monthly),
            ]);
            rows.push(row);
        }
    }
    csv_bytes(rows)
}

/// The `cost.monthly` row of `summary.csv` for `point`: unit `usd`, the point's replications,
/// mean and both interval ends the monthly cost (fixed by the configuration).
pub(super) fn cost_row(point: &PointResult, plan: &PointPlan) -> Vec<String> {
    let mut row = vec![point.index.to_string()];
    row.extend(point.params.iter().cloned());
    row.push("cost.monthly".into());
    row.push("usd".into());
    row.push(point.replications.len().to_string());
    let monthly = number(plan.cost.monthly);
    row.extend([monthly.clone(), monthly.clone(), monthly]);
    row.extend(std::iter::repeat_n(String::new(), 6));
    debug_assert_ne!(STATUS_UNIT, "usd");
    row
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::planning::{Bottleneck, CostBreakdown, CostLine, ObjectiveVerdict};
    use crate::report::charts::tests::synthetic;

    /// A hand-made plan for the two points of [`synthetic`]`(true)`: point 0 (4 servers,
    /// cheaper) fails the p99 objective, point 1 meets it.
    pub(crate) fn planning() -> Planning {
        let plan = |index: usize, monthly: f64, estimate: f64, verdict: Verdict| PointPlan {
            index,
            cost: CostBreakdown {
                monthly,
                annual: monthly * 12.0,
                lines: vec![CostLine {
                    component: "app".into(),
                    item: "servers m6g.large instance-hours".into(),
                    quantity: 730.0 * (4 + index) as f64,
                    unit: "instance-hours".into(),
                    unit_price: monthly / (730.0 * (4 + index) as f64),
                    monthly,
                }],
            },
            objectives: vec![ObjectiveVerdict {
                objective: 0,
                estimate,
                low: estimate * 0.9,
                high: estimate * 1.1,
                verdict,
                bound: 100.0,
                unit: "ms".into(),
                reason: None,
            }],
            verdict,
            bottleneck: Some(Bottleneck {
                component: "app".into(),
                metric: "app.utilization".into(),
                value: 0.9 / (index as f64 + 1.0),
                reason: format!("app utilization {}", number(0.9 / (index as f64 + 1.0))),
            }),
            reasons: if verdict == Verdict::Fails {
                vec!["app.response_time p99 180 ms is above 100 ms".into()]
            } else {
                Vec::new()
            },
        };
        Planning {
            points: vec![plan(0, 400.0, 180.0, Verdict::Fails), plan(1, 500.0, 90.0, Verdict::Meets)],
            ranked: vec![1],
            cheapest: Some(1),
            answer: "Point 1 (component.app.servers=5) meets every objective at the lowest cost, $500/month.".into(),
        }
    }

    #[test]
    fn plans_and_cost_files() {
        let results = synthetic(true);
        let planning = planning();
        let plans = String::from_utf8(plans_csv(&results, &planning)).unwrap();
        let lines: Vec<&str> = plans.lines().collect();
        assert_eq!(
            lines[0],
            "point,component.app.servers,verdict,rank,monthly_cost,annual_cost,bottleneck,reason,\
             objective1_estimate,objective1_low,objective1_high,objective1_verdict"
        );
        assert_eq!(
            lines[1],
            "0,4,fails,,400,4800,app utilization 0.9,app.response_time p99 180 ms is above 100 ms,180,162,198,fails"
        );
        assert_eq!(lines[2], "1,5,meets,1,500,6000,app utilization 0.45,,90,81,99,meets");
        let cost = String::from_utf8(cost_csv(&results, &planning)).unwrap();
        assert_eq!(
            cost.lines().next().unwrap(),
            "point,component.app.servers,component,item,quantity,unit,unit_price,monthly"
        );
        assert_eq!(cost.lines().count(), 3);
        let summary = String::from_utf8(crate::report::summary_csv(&results, Some(&planning))).unwrap();
        assert!(summary.contains("\n1,5,cost.monthly,usd,3,500,500,500,,,,,,\n"), "{summary}");
        let without = String::from_utf8(crate::report::summary_csv(&results, None)).unwrap();
        assert!(!without.contains("cost.monthly"));
    }
}

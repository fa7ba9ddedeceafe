//! The answer sentence of a planning run: which point meets every objective at the lowest
//! cost and why the cheaper ones do not, or why no point does and which comes closest.

use super::plan::{PointPlan, Verdict};
use crate::experiment::ExperimentResults;

/// `$1,234/month`.
pub fn money(usd: f64) -> String {
    let whole = usd.round().max(0.0) as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("${out}/month")
}

/// `Point 7 (component.web.instances = 6)`, or `The scenario` without a sweep.
pub fn describe_point(results: &ExperimentResults, index: usize) -> String {
    let Some(point) = results.points.iter().find(|point| point.index == index) else {
        return format!("Point {index}");
    };
    if results.sweep_params.is_empty() {
        return "The scenario".into();
    }
    let params: Vec<String> =
        results.sweep_params.iter().zip(&point.params).map(|(path, value)| format!("{path} = {value}")).collect();
    format!("Point {index} ({})", params.join(", "))
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The labels of the objectives missed most often among `points`, most often first.
fn missed_labels(results: &ExperimentResults, points: &[&PointPlan]) -> Vec<String> {
    let objectives = &results.plan_inputs.objectives;
    let mut counts: Vec<(usize, usize)> = (0..objectives.len())
        .map(|i| {
            let missed = points
                .iter()
                .filter(|point| point.objectives.get(i).is_some_and(|v| v.verdict != Verdict::Meets))
                .count();
            (i, missed)
        })
        .filter(|(_, missed)| *missed > 0)
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.iter().map(|(i, _)| objectives[*i].label()).collect()
}

/// The answer for `points` (judged and costed) with `cheapest` the best plan.
pub fn answer(results: &ExperimentResults, points: &[PointPlan], cheapest: Option<usize>) -> String {
    let objectives = results.plan_inputs.objectives.len();
    let all =
        if objectives == 1 { "meets its objective".to_string() } else { format!("meets all {objectives} objectives") };
    if objectives == 0 {
        // Nothing to judge: say so, and the cost, without calling any point "meeting".
        return match cheapest.and_then(|index| points.iter().find(|point| point.index == index)) {
            Some(best) if results.sweep_params.is_empty() => {
                format!(
                    "The scenario states no objectives, so nothing is judged; it costs {}.",
                    money(best.cost.monthly)
                )
            }
            Some(best) => format!(
                "The scenario states no objectives, so no point is judged; the cheapest, {}, costs {}.",
                describe_point(results, best.index).replacen("Point", "point", 1),
                money(best.cost.monthly)
            ),
            None if points.is_empty() => "No point was run.".into(),
            None => "The scenario states no objectives, and every point is unstable (its queues ran away).".into(),
        };
    }
    if let Some(best) = cheapest.and_then(|index| points.iter().find(|point| point.index == index)) {
        let mut text = format!("{} {all} at {}", describe_point(results, best.index), money(best.cost.monthly));
        // Whole dollars, as the ranking compares them.
        let dollars = |point: &PointPlan| point.cost.monthly.round();
        let ties: Vec<String> = points
            .iter()
            .filter(|point| {
                point.verdict == Verdict::Meets && point.index != best.index && dollars(point) == dollars(best)
            })
            .map(|point| point.index.to_string())
            .collect();
        if !ties.is_empty() {
            let which = if ties.len() == 1 { "point" } else { "points" };
            text.push_str(&format!(" (so does {which} {} for the same cost)", ties.join(", ")));
        }
        let cheaper: Vec<&PointPlan> =
            points.iter().filter(|point| point.verdict != Verdict::Meets && dollars(point) < dollars(best)).collect();
        if !cheaper.is_empty() {
            let labels = missed_labels(results, &cheaper);
            let unstable = cheaper.iter().filter(|point| point.verdict == Verdict::Unstable).count();
            let on = if labels.is_empty() { String::new() } else { format!(" on {}", labels.join(", ")) };
            let inconclusive = cheaper.iter().filter(|point| point.verdict == Verdict::Inconclusive).count();
            let which = if unstable == cheaper.len() {
                " are unstable".to_string()
            } else if inconclusive > 0 {
                let on = on.replacen(" on", "", 1);
                format!(" do not meet{on} ({inconclusive} inconclusive: more replications would tell)")
            } else {
                format!(" fail{on}")
            };
            let count = plural(cheaper.len(), "cheaper point", "cheaper points");
            text.push_str(&format!("; the {count}{which}"));
        }
        text.push('.');
        return text;
    }
    if points.is_empty() {
        return "No point was run.".into();
    }
    let stable: Vec<&PointPlan> = points.iter().filter(|point| point.verdict != Verdict::Unstable).collect();
    if stable.is_empty() {
        return "No point meets the objectives: every point is unstable (its queues ran away).".into();
    }
    // Which objectives are missed everywhere it was measured.
    let everywhere: Vec<String> = (0..objectives)
        .filter(|&i| stable.iter().all(|point| point.objectives.get(i).is_some_and(|v| v.verdict != Verdict::Meets)))
        .map(|i| results.plan_inputs.objectives[i].label())
        .collect();
    // Closest: fewest objectives missed, then fewest failed (inconclusive is nearer), then the
    // smallest relative shortfall of its worst objective, then the cheapest.
    let shortfall = |point: &PointPlan| -> f64 {
        point
            .objectives
            .iter()
            .filter(|v| v.verdict != Verdict::Meets)
            .map(|v| {
                let gap = (v.estimate - v.bound).abs() / v.bound.abs().max(1e-12);
                if gap.is_finite() { gap } else { f64::INFINITY }
            })
            .fold(0.0, f64::max)
    };
    let missed = |point: &PointPlan| point.objectives.iter().filter(|v| v.verdict != Verdict::Meets).count();
    let failed = |point: &PointPlan| point.objectives.iter().filter(|v| v.verdict == Verdict::Fails).count();
    let closest = stable
        .iter()
        .min_by(|a, b| {
            missed(a)
                .cmp(&missed(b))
                .then(failed(a).cmp(&failed(b)))
                .then(shortfall(a).total_cmp(&shortfall(b)))
                .then(a.cost.monthly.total_cmp(&b.cost.monthly))
                .then(a.index.cmp(&b.index))
        })
        .expect("stable is not empty");
    let mut text = format!("No point {all}");
    if !everywhere.is_empty() {
        text.push_str(&format!(": {} is missed at every stable point", everywhere.join(" and ")));
    }
    text.push_str(&format!(
        "; the closest is {}",
        describe_point(results, closest.index).replacen("Point", "point", 1)
    ));
    if closest.verdict == Verdict::Inconclusive && failed(closest) == 0 {
        text.push_str(" (inconclusive: more replications would tell)");
    }
    if let Some(reason) = closest.reasons.first() {
        text.push_str(&format!(": {reason}"));
    }
    text.push('.');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_thousands_separators() {
        assert_eq!(money(1234.4), "$1,234/month");
        assert_eq!(money(0.0), "$0/month");
        assert_eq!(money(1_000_000.0), "$1,000,000/month");
        assert_eq!(money(999.6), "$1,000/month");
    }
}

//! The page's answer, objectives table and ranked plans table.

use std::fmt::Write as _;

use super::{Page, escape, readable};
use crate::experiment::ExperimentResults;
use crate::planning::{PointPlan, Verdict};
use crate::report::plans::{rank, verdict_word};

/// The swept parameters of point `index` as `path=value, …` (empty without a sweep).
pub(super) fn params_label(results: &ExperimentResults, index: usize) -> String {
    let Some(point) = results.points.iter().find(|p| p.index == index) else { return String::new() };
    results.sweep_params.iter().zip(&point.params).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// A verdict as a coloured word.
fn verdict_cell(verdict: Verdict) -> String {
    let word = verdict_word(verdict);
    format!("<td class=\"v-{word}\">{word}</td>")
}

/// Money for people: `$1 234` per month.
fn dollars(value: f64) -> String {
    if value.is_finite() { format!("${}", readable(value)) } else { "–".into() }
}

/// The answer: the plan's sentence and the cheapest plan; without a plan, the main workloads'
/// latency and success.
pub(super) fn answer(html: &mut String, page: &Page) {
    let results = page.results;
    let judged = !results.plan_inputs.objectives.is_empty();
    if let Some(planning) = page.planning {
        let none = if planning.cheapest.is_none() { " none" } else { "" };
        let _ = writeln!(html, "<p class=\"answer{none}\">{}</p>", escape(&planning.answer));
        if !judged {
            // Only a cost to report: the workloads' latency and success below say the rest.
            workload_headline(
                html,
                results,
                "The scenario states no <code>[[objective]]</code>, so no point is judged \
                 meeting or failing: these are the workloads' headline numbers.",
            );
            return;
        }
        if let Some(plan) = planning.cheapest.and_then(|c| planning.points.iter().find(|p| p.index == c)) {
            let params = params_label(results, plan.index);
            let _ = writeln!(
                html,
                "<p>Cheapest plan meeting every objective: <strong>point {}</strong>{} — <strong>{}</strong> per month \
                 ({} per year).</p>",
                plan.index,
                if params.is_empty() { String::new() } else { format!(" (<code>{}</code>)", escape(&params)) },
                dollars(plan.cost.monthly),
                dollars(plan.cost.annual)
            );
        }
        return;
    }
    workload_headline(
        html,
        results,
        "The scenario states no <code>[[objective]]</code> and nothing billable, so there is no plan to rank: \
         these are the workloads' headline numbers.",
    );
}

/// The main workloads' latency and success, one sentence each.
fn workload_headline(html: &mut String, results: &ExperimentResults, note: &str) {
    let workloads: Vec<&str> = {
        let mut names: Vec<&str> = Vec::new();
        for point in &results.points {
            for name in point.metrics.iter().filter_map(|m| m.name.strip_suffix(".success_ratio")) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    };
    let stable: Vec<_> = results.points.iter().filter(|p| p.unstable.is_none()).collect();
    let mut sentences = Vec::new();
    for workload in &workloads {
        let latency: Vec<(usize, f64, f64)> = stable
            .iter()
            .filter_map(|p| {
                p.metric(&format!("{workload}.latency"))
                    .map(|m| (p.index, m.mean, m.percentiles.map_or(f64::NAN, |q| q.p99)))
            })
            .collect();
        let success: Vec<f64> =
            stable.iter().filter_map(|p| p.metric(&format!("{workload}.success_ratio")).map(|m| m.mean)).collect();
        let worst_success = success.iter().copied().fold(f64::INFINITY, f64::min);
        let success_text = if worst_success.is_finite() {
            format!("success {}%", readable(worst_success * 100.0))
        } else {
            "no success ratio".into()
        };
        let text = match latency.as_slice() {
            [] => format!("{workload}: no successful request; {success_text}"),
            [(_, mean, p99)] => {
                format!("{workload}: latency mean {} ms, p99 {} ms; {success_text}", readable(*mean), readable(*p99))
            }
            many => {
                let low = many.iter().min_by(|a, b| a.2.total_cmp(&b.2)).unwrap_or(&many[0]);
                let high = many.iter().max_by(|a, b| a.2.total_cmp(&b.2)).unwrap_or(&many[0]);
                format!(
                    "{workload}: p99 latency from {} ms (point {}) to {} ms (point {}); lowest success {}",
                    readable(low.2),
                    low.0,
                    readable(high.2),
                    high.0,
                    success_text.trim_start_matches("success ")
                )
            }
        };
        sentences.push(escape(&text));
    }
    if sentences.is_empty() {
        sentences.push("No workload measured: see the metrics below.".into());
    }
    let _ = writeln!(html, "<p class=\"answer none\">{}</p>\n<p class=\"note\">{note}</p>", sentences.join("<br>"));
}

/// The objectives table: one row per point and objective, estimate [interval] and verdict.
pub(super) fn objectives_table(html: &mut String, page: &Page) {
    let Some(planning) = page.planning else { return };
    let count = planning.points.iter().map(|p| p.objectives.len()).max().unwrap_or(0);
    if count == 0 {
        return;
    }
    let results = page.results;
    html.push_str("<section id=\"objectives\">\n<h2>Objectives</h2>\n<ol>\n");
    for i in 0..count {
        let label = match (page.objectives.get(i), results.plan_inputs.objectives.get(i)) {
            (Some(line), _) => line.label(),
            (None, Some(config)) => format!("{} {}", config.metric, config.stat),
            _ => format!("objective {}", i + 1),
        };
        let _ = writeln!(html, "<li><code>{}</code></li>", escape(&label));
    }
    html.push_str("</ol>\n<div class=\"table-wrap\"><table>\n<thead><tr><th>point</th>");
    for param in &results.sweep_params {
        let _ = write!(html, "<th>{}</th>", escape(param));
    }
    for i in 1..=count {
        let _ = write!(html, "<th>objective {i}: estimate [CI]</th><th>verdict</th>");
    }
    html.push_str("<th>overall</th></tr></thead>\n<tbody>\n");
    for plan in &planning.points {
        let cheapest = planning.cheapest == Some(plan.index);
        let _ = write!(
            html,
            "<tr{}><td class=\"num\">{}</td>",
            if cheapest { " class=\"cheapest\"" } else { "" },
            plan.index
        );
        params_cells(html, results, plan);
        for i in 0..count {
            match plan.objectives.iter().find(|o| o.objective == i) {
                Some(o) => {
                    let _ = write!(
                        html,
                        "<td class=\"num\">{} [{} – {}]</td>{}",
                        readable(o.estimate),
                        readable(o.low),
                        readable(o.high),
                        verdict_cell(o.verdict)
                    );
                }
                None => html.push_str("<td>–</td><td>–</td>"),
            }
        }
        let _ = writeln!(html, "{}</tr>", verdict_cell(plan.verdict));
    }
    html.push_str(
        "</tbody>\n</table></div>\n<p class=\"note\">meets: the whole confidence interval is on the right side \
         of the bound; fails: all of it is on the wrong side; inconclusive: it straddles the bound (more \
         replications would tell).</p>\n</section>\n",
    );
}

fn params_cells(html: &mut String, results: &ExperimentResults, plan: &PointPlan) {
    if let Some(point) = results.points.iter().find(|p| p.index == plan.index) {
        for param in &point.params {
            let _ = write!(html, "<td>{}</td>", escape(param));
        }
    } else {
        html.push_str(&"<td></td>".repeat(results.sweep_params.len()));
    }
}

/// The plans, ranked: those meeting every objective cheapest first, then the others by cost.
pub(super) fn plans_table(html: &mut String, page: &Page) {
    let Some(planning) = page.planning else { return };
    let results = page.results;
    let mut order: Vec<&PointPlan> = planning.points.iter().collect();
    order.sort_by(|a, b| {
        let (ra, rb) = (rank(planning, a.index), rank(planning, b.index));
        rb.is_some()
            .cmp(&ra.is_some())
            .then(ra.cmp(&rb))
            .then(a.cost.monthly.total_cmp(&b.cost.monthly))
            .then(a.index.cmp(&b.index))
    });
    html.push_str("<section id=\"plans\">\n<h2>Plans, ranked by cost</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th>rank</th><th>point</th>");
    for param in &results.sweep_params {
        let _ = write!(html, "<th>{}</th>", escape(param));
    }
    html.push_str("<th>monthly cost</th><th>annual cost</th><th>verdict</th><th>bottleneck</th><th>reason</th></tr></thead>\n<tbody>\n");
    for plan in order {
        let cheapest = planning.cheapest == Some(plan.index);
        let _ = write!(
            html,
            "<tr{}><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            if cheapest { " class=\"cheapest\"" } else { "" },
            rank(planning, plan.index).map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
            plan.index
        );
        params_cells(html, results, plan);
        let _ = writeln!(
            html,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td>{}<td>{}</td><td class=\"wrap\">{}</td></tr>",
            dollars(plan.cost.monthly),
            dollars(plan.cost.annual),
            if results.plan_inputs.objectives.is_empty() && plan.verdict == Verdict::Meets {
                // No objective to meet: a green "meets" would read as a pass.
                "<td>not judged</td>".to_string()
            } else {
                verdict_cell(plan.verdict)
            },
            escape(plan.bottleneck.as_ref().map_or("–", |b| b.reason.as_str())),
            escape(&plan.reasons.join(" "))
        );
    }
    html.push_str(
        "</tbody>\n</table></div>\n<p class=\"note\">Cost lines per point are in <a href=\"cost.csv\">cost.csv</a>; \
         every column of this table is in <a href=\"plans.csv\">plans.csv</a>.</p>\n</section>\n",
    );
}

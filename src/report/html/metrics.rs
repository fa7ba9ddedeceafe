//! The full metric table, last on the page: one collapsible section per component (the
//! metric name's prefix before the first `.`), rows by point.

use std::fmt::Write as _;

use super::{Page, escape, readable};
use crate::experiment::MetricSummary;
use crate::report::charts::point_label;

fn summary_cells(metric: &MetricSummary) -> Vec<String> {
    let mut cells = vec![
        escape(&metric.name),
        escape(metric.unit.as_str()),
        metric.replications.to_string(),
        readable(metric.mean),
        readable(metric.ci95_low),
        readable(metric.ci95_high),
    ];
    match metric.percentiles {
        Some(p) => cells.extend([p.p50, p.p90, p.p99, p.p999, p.max].map(readable)),
        None => cells.extend(std::iter::repeat_n("–".to_string(), 5)),
    }
    cells.push(metric.count.map(|c| readable(c as f64)).unwrap_or_else(|| "–".into()));
    cells
}

/// The component a metric belongs to: its name before the first `.`.
pub(super) fn component_of(metric: &str) -> &str {
    metric.split_once('.').map_or(metric, |(component, _)| component)
}

/// The `metrics` section.
pub(super) fn metric_tables(html: &mut String, page: &Page) {
    let results = page.results;
    let mut components: Vec<&str> = Vec::new();
    for point in &results.points {
        for metric in &point.metrics {
            let component = component_of(&metric.name);
            if !components.contains(&component) {
                components.push(component);
            }
        }
    }
    html.push_str("<section id=\"metrics\">\n<h2>All metrics, by component</h2>\n");
    let unstable: Vec<String> =
        results.unstable_points().map(|(point, u)| escape(&format!("point {}: {}", point.index, u.marker()))).collect();
    if !unstable.is_empty() {
        let _ = writeln!(html, "<p class=\"warnings\">No results for {}.</p>", unstable.join("; "));
    }
    let columns = [
        "metric",
        "unit",
        "replications",
        "mean",
        "ci95_low",
        "ci95_high",
        "p50",
        "p90",
        "p99",
        "p999",
        "max",
        "count",
    ];
    for component in components {
        let count = results
            .points
            .first()
            .map_or(0, |p| p.metrics.iter().filter(|m| component_of(&m.name) == component).count());
        let _ = writeln!(
            html,
            "<details><summary>{} <span class=\"note\">({} metric{})</span></summary>\n<div class=\"table-wrap\"><table>\n<thead><tr>",
            escape(component),
            count,
            if count == 1 { "" } else { "s" }
        );
        if !results.sweep_params.is_empty() {
            html.push_str("<th>point</th>");
        }
        for column in columns {
            let _ = write!(html, "<th>{column}</th>");
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for point in results.points.iter().filter(|p| p.unstable.is_none()) {
            let rows: Vec<&MetricSummary> =
                point.metrics.iter().filter(|m| component_of(&m.name) == component).collect();
            for (r, metric) in rows.iter().enumerate() {
                let class = if r == 0 && point.index > 0 { " class=\"first\"" } else { "" };
                let _ = write!(html, "<tr{class}>");
                if let Some(label) = point_label(results, point) {
                    let _ = write!(html, "<td title=\"{}\">{}</td>", escape(&label), point.index);
                }
                for (c, cell) in summary_cells(metric).iter().enumerate() {
                    let _ = write!(html, "{}{cell}</td>", if c < 2 { "<td>" } else { "<td class=\"num\">" });
                }
                html.push_str("</tr>\n");
            }
        }
        html.push_str("</tbody>\n</table></div>\n</details>\n");
    }
    html.push_str(
        "<p class=\"note\">mean and 95% confidence interval (Student t) across replications, \
         kept within the range the metric can take (fractions in [0, 1], everything else ≥ 0); \
         for latencies (ms) the replication value is its mean, and the percentiles, max and count \
         are over all observations of all replications (merged HDR histograms, 3 significant \
         digits). Exact values are in <a href=\"summary.csv\">summary.csv</a>.</p>\n</section>\n",
    );
}

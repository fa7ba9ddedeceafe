//! `report.html`: one self-contained page (inline CSS, no scripts, no external resources) with
//! the scenario, the summary table, the charts (linked relative to the results folder) and
//! links to the data files. The page holds no timestamps, so the same results give the same
//! bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::charts::{ChartFile, ChartKind};
use super::{ReportError, atomic_write, summary_header};
use crate::experiment::{ExperimentResults, MetricSummary};

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A number for people: "–" when missing; 4 significant digits below 1000; whole numbers from
/// 1000 on, grouped by thousands with thin spaces from 10 000; scientific notation below 0.001
/// and from 10¹⁵.
pub fn readable(value: f64) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e15).contains(&magnitude) {
        let formatted = format!("{value:.3e}");
        let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    if magnitude >= 1000.0 {
        let digits = format!("{:.0}", magnitude);
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 && digits.len() > 4 {
                grouped.push('\u{2009}');
            }
            grouped.push(c);
        }
        return if value < 0.0 { format!("-{grouped}") } else { grouped };
    }
    let decimals = (3 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
    let formatted = format!("{value:.decimals$}");
    if formatted.contains('.') { formatted.trim_end_matches('0').trim_end_matches('.').to_string() } else { formatted }
}

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

/// The link to `path` relative to `dir`, with `/` separators.
fn relative_href(path: &Path, dir: &Path) -> String {
    let relative = path
        .strip_prefix(dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| Path::new("charts").join(path.file_name().unwrap_or_default()));
    relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.description{font-size:1.1rem;color:#444;margin-top:0}.meta{color:#666;font-size:.9rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;font-variant-numeric:tabular-nums}
th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;white-space:nowrap}
th{background:#f4f4f4;text-align:left;position:sticky;top:0}
td.num{text-align:right}tr.first td{border-top:2px solid #ccc}
figure{margin:1.2rem 0}figure img{width:100%;max-width:960px;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#555}
.note{color:#666;font-size:.85rem}.warnings{background:#fff4e5;border-left:4px solid #d9822b;padding:.5rem 1rem;margin:1rem 0}code{background:#f4f4f4;padding:0 .2rem}
";

/// The page for `results` with `charts` (written into `dir`).
pub fn report_html(results: &ExperimentResults, charts: &[ChartFile], dir: &Path) -> String {
    let mut html = String::new();
    let title = escape(&results.name);
    // Writing to a String cannot fail.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} — stratus report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    if let Some(description) = results.description.as_deref().filter(|d| !d.trim().is_empty()) {
        let _ = writeln!(html, "<p class=\"description\">{}</p>", escape(description));
    }
    let runs: usize = results.points.iter().map(|p| p.replications.len()).sum();
    let unstable = results.unstable_points().count();
    let _ = write!(
        html,
        "<p class=\"meta\">{} sweep point{}{} · {} run{} · {} events simulated",
        results.points.len(),
        if results.points.len() == 1 { "" } else { "s" },
        if unstable > 0 { format!(" ({unstable} unstable)") } else { String::new() },
        runs,
        if runs == 1 { "" } else { "s" },
        readable(results.total_events as f64),
    );
    if !results.sweep_params.is_empty() {
        let swept: Vec<String> = results.sweep_params.iter().map(|p| format!("<code>{}</code>", escape(p))).collect();
        let _ = write!(html, " · swept: {}", swept.join(", "));
    }
    let _ = writeln!(html, " · stratus {}</p>", env!("CARGO_PKG_VERSION"));

    // What the console warns about is the first thing the page says too.
    let (_, warnings) = super::console::headline(results);
    if !warnings.is_empty() {
        html.push_str("<div class=\"warnings\"><strong>Warnings</strong><ul>\n");
        for warning in &warnings {
            let _ = writeln!(html, "<li>{}</li>", escape(warning));
        }
        html.push_str("</ul></div>\n");
    }

    // Summary table: the summary.csv columns.
    html.push_str("<h2>Summary</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr>");
    for column in summary_header(results) {
        let _ = write!(html, "<th>{}</th>", escape(&column));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    let text_columns = 1 + results.sweep_params.len() + 2;
    for point in &results.points {
        if let Some(unstable) = &point.unstable {
            // Styled inline, so pages without unstable points keep their bytes.
            let class = if point.index > 0 { " class=\"first\"" } else { "" };
            let _ = write!(html, "<tr{class} style=\"background:#fff4e5\"><td class=\"num\">{}</td>", point.index);
            for param in &point.params {
                let _ = write!(html, "<td>{}</td>", escape(param));
            }
            let span = summary_header(results).len() - 1 - point.params.len();
            let _ = writeln!(
                html,
                "<td colspan=\"{span}\"><strong>{}</strong>: no results (see the warnings above)</td></tr>",
                escape(&unstable.marker())
            );
        }
        for (m, metric) in point.metrics.iter().enumerate() {
            let mut cells = vec![point.index.to_string()];
            cells.extend(point.params.iter().map(|p| escape(p)));
            cells.extend(summary_cells(metric));
            let class = if m == 0 && point.index > 0 { " class=\"first\"" } else { "" };
            let _ = write!(html, "<tr{class}>");
            for (c, cell) in cells.iter().enumerate() {
                let numeric = c == 0 || c >= text_columns;
                let _ = write!(html, "{}{cell}</td>", if numeric { "<td class=\"num\">" } else { "<td>" });
            }
            html.push_str("</tr>\n");
        }
    }
    html.push_str("</tbody>\n</table></div>\n");
    html.push_str(
        "<p class=\"note\">mean and 95% confidence interval (Student t) across replications, \
         kept within the range the metric can take (fractions in [0, 1], everything else ≥ 0); \
         for latencies (ms) the replication value is its mean, and the percentiles, max and count \
         are over all observations of all replications (merged HDR histograms, 3 significant \
         digits). Exact values are in <a href=\"summary.csv\">summary.csv</a>.</p>\n",
    );

    for kind in ChartKind::ALL {
        let of_kind: Vec<&ChartFile> = charts.iter().filter(|c| c.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let _ = writeln!(html, "<h2>{}</h2>", escape(kind.heading()));
        if unstable > 0 {
            let _ = writeln!(
                html,
                "<p class=\"note\">Unstable points have no values in these charts: {}.</p>",
                results
                    .unstable_points()
                    .map(|(point, _)| {
                        let pairs: Vec<String> =
                            results.sweep_params.iter().zip(&point.params).map(|(k, v)| format!("{k}={v}")).collect();
                        escape(&format!("point {} ({})", point.index, pairs.join(", ")))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for chart in of_kind {
            let svg = escape(&relative_href(&chart.svg, dir));
            let png = escape(&relative_href(&chart.png, dir));
            let caption = escape(&chart.title);
            let _ = writeln!(
                html,
                "<figure><img src=\"{svg}\" alt=\"{caption}\" loading=\"lazy\">\
                 <figcaption>{caption} — <a href=\"{svg}\">SVG</a> · <a href=\"{png}\">PNG</a></figcaption></figure>"
            );
        }
    }

    html.push_str("<h2>Data files</h2>\n<ul>\n");
    let mut files = vec![
        ("summary.csv", "one row per sweep point and metric"),
        ("replications.csv", "one row per sweep point, replication and metric"),
        ("timeseries.csv", "sampled series, averaged over replications"),
        ("scenario.resolved.toml", "the scenario as run, with every default filled in"),
    ];
    if results.points.iter().any(|p| !p.histograms.is_empty()) {
        files.push(("histograms/", "merged latency histograms per point (HDR V2, deflate)"));
    }
    for (file, what) in files {
        let _ = writeln!(html, "<li><a href=\"{0}\">{0}</a> — {1}</li>", escape(file), escape(what));
    }
    html.push_str("</ul>\n</body>\n</html>\n");
    html
}

/// Writes `dir/report.html`; returns its path.
pub fn write_report(results: &ExperimentResults, charts: &[ChartFile], dir: &Path) -> Result<PathBuf, ReportError> {
    let path = dir.join("report.html");
    atomic_write(&path, report_html(results, charts, dir).as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::{tests::synthetic, write_charts};

    #[test]
    fn escapes_and_formats() {
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        assert_eq!(readable(f64::NAN), "–");
        assert_eq!(readable(2527.637048), "2528");
        assert_eq!(readable(184265.0), "184\u{2009}265");
        assert_eq!(readable(0.8703556095), "0.8704");
        assert_eq!(readable(5.338104789), "5.338");
        assert_eq!(readable(12.0), "12");
        assert_eq!(readable(0.00001234), "1.234e-5");
        assert_eq!(readable(0.000001), "1e-6");
        assert_eq!(readable(-1234567.0), "-1\u{2009}234\u{2009}567");
    }

    #[test]
    fn report_links_charts_and_files() {
        let dir = std::env::temp_dir().join(format!("stratus-html-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let results = synthetic(true);
        let charts = write_charts(&results, &dir, &[]).unwrap();
        let path = write_report(&results, &charts, &dir).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(html.contains("<title>synthetic &lt;test&gt; — stratus report</title>"));
        assert!(html.contains("A &amp; B"));
        assert!(html.contains("<img src=\"charts/cdf-app.response_time.svg\""));
        assert!(html.contains("<th>component.app.servers</th>"));
        for file in ["summary.csv", "replications.csv", "timeseries.csv", "scenario.resolved.toml"] {
            assert!(html.contains(&format!("<a href=\"{file}\">")), "{file}");
        }
        assert!(!html.contains("<script"));
        assert!(!html.contains("http"), "no external resources");
        assert_eq!(report_html(&results, &charts, &dir), html, "deterministic");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

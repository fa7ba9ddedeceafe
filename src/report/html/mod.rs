//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no external
//! resources) built around the reader, in this order: the question (the scenario's name and
//! description), the answer (the capacity plan's, or the main workloads' latency and success),
//! the architecture diagram, the objectives, the ranked plans, the sweep charts, the latency
//! CDFs, the time series, the cost frontier, then every metric grouped by component in
//! collapsible sections, and the data files. The page holds no timestamps, so the same results
//! give the same bytes.

mod diagram;
mod metrics;
mod plan;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::charts::{ChartFile, ChartKind};
use super::objectives::ObjectiveLine;
use super::{ReportError, stage_write};
use crate::experiment::ExperimentResults;
use crate::planning::Planning;
pub use diagram::architecture_svg;

/// Everything the page shows.
#[derive(Copy, Clone, Debug)]
pub struct Page<'a> {
    /// The results.
    pub results: &'a ExperimentResults,
    /// The capacity plan, when the scenario has objectives or costs.
    pub planning: Option<&'a Planning>,
    /// The resolved scenario (for the diagram).
    pub resolved_toml: &'a str,
    /// The objectives as the report reads them from the resolved scenario.
    pub objectives: &'a [ObjectiveLine],
    /// The charts written.
    pub charts: &'a [ChartFile],
}

/// The section ids of the page, in order (sections without content are left out).
pub const SECTION_IDS: &[&str] = &[
    "question",
    "answer",
    "architecture",
    "objectives",
    "plans",
    "sweep",
    "cdf",
    "timeseries",
    "frontier",
    "metrics",
    "files",
];

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
.description{font-size:1.25rem;color:#333;margin-top:.3rem}.meta{color:#666;font-size:.9rem}
.answer{font-size:1.15rem;background:#eef6ee;border-left:5px solid #2ca02c;padding:.7rem 1rem;margin:1rem 0}
.answer.none{background:#f4f4f4;border-left-color:#888}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;font-variant-numeric:tabular-nums}
th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;white-space:nowrap}
th{background:#f4f4f4;text-align:left;position:sticky;top:0}
td.num{text-align:right}tr.first td{border-top:2px solid #ccc}td.wrap{white-space:normal;min-width:16rem}
tr.cheapest td{background:#dff0d8;font-weight:600}
.v-meets{color:#1b7a1b;font-weight:600}.v-fails{color:#c62828;font-weight:600}.v-inconclusive{color:#8a6d00;font-weight:600}.v-unstable{color:#c62828;font-style:italic}
figure{margin:1.2rem 0}figure svg{width:100%;max-width:960px;height:auto;border:1px solid #eee}
svg.diagram{max-width:100%;height:auto}
figcaption{font-size:.9rem;color:#555}
details{margin:.4rem 0}summary{cursor:pointer;font-weight:600;padding:.2rem 0}
.note{color:#666;font-size:.85rem}.warnings{background:#fff4e5;border-left:4px solid #d9822b;padding:.5rem 1rem;margin:1rem 0}code{background:#f4f4f4;padding:0 .2rem}
";

/// The SVG of a chart for inlining: without the XML namespace (HTML needs none), so the page
/// names no external address.
fn inline_svg(chart: &ChartFile) -> String {
    chart.svg_text.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

/// A chart as a figure: the SVG inline, its caption, links to the SVG and PNG files.
fn figure(html: &mut String, chart: &ChartFile, dir: &Path) {
    let svg = escape(&relative_href(&chart.svg, dir));
    let png = escape(&relative_href(&chart.png, dir));
    let _ = writeln!(
        html,
        "<figure>{}<figcaption>{} — <a href=\"{svg}\">SVG</a> · <a href=\"{png}\">PNG</a></figcaption></figure>",
        inline_svg(chart),
        escape(&chart.title)
    );
}

/// The metric a chart shows (its title up to the first space or colon).
fn chart_metric(chart: &ChartFile) -> &str {
    chart.title.split([' ', ':']).next().unwrap_or_default()
}

/// A chart section: the charts `key` picks first, the others in a collapsed `<details>`.
fn chart_section(html: &mut String, page: &Page, dir: &Path, kind: ChartKind, id: &str, key: &dyn Fn(&str) -> bool) {
    let of_kind: Vec<&ChartFile> = page.charts.iter().filter(|c| c.kind == kind).collect();
    if of_kind.is_empty() {
        return;
    }
    let _ = writeln!(html, "<section id=\"{id}\">\n<h2>{}</h2>", escape(kind.heading()));
    let results = page.results;
    if results.unstable_points().count() > 0 && kind != ChartKind::Frontier {
        let _ = writeln!(
            html,
            "<p class=\"note\">Unstable points have no values in these charts: {}.</p>",
            results
                .unstable_points()
                .map(|(point, _)| escape(&format!(
                    "point {} ({})",
                    point.index,
                    plan::params_label(results, point.index)
                )))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let (first, rest): (Vec<&ChartFile>, Vec<&ChartFile>) = of_kind.iter().partition(|c| key(chart_metric(c)));
    // With no key chart, the first few are shown.
    let (first, rest) = if first.is_empty() {
        let shown = of_kind.len().min(4);
        (of_kind[..shown].to_vec(), of_kind[shown..].to_vec())
    } else {
        (first, rest)
    };
    for chart in &first {
        figure(html, chart, dir);
    }
    if !rest.is_empty() {
        let _ = writeln!(html, "<details><summary>{} more {} charts</summary>", rest.len(), kind.prefix());
        for chart in &rest {
            figure(html, chart, dir);
        }
        html.push_str("</details>\n");
    }
    html.push_str("</section>\n");
}

/// The page of `page` (charts written into `dir`).
pub fn report_html(page: &Page, dir: &Path) -> String {
    let results = page.results;
    let mut html = String::new();
    let title = escape(&results.name);
    // Writing to a String cannot fail.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} — stratus report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <section id=\"question\">\n<h1>{title}</h1>\n"
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
    let _ = writeln!(html, " · stratus {}</p>\n</section>", env!("CARGO_PKG_VERSION"));

    html.push_str("<section id=\"answer\">\n<h2>Answer</h2>\n");
    // What the console warns about is said here too.
    let (_, warnings) = super::console::headline(results);
    plan::answer(&mut html, page);
    if !warnings.is_empty() {
        html.push_str("<div class=\"warnings\"><strong>Warnings</strong><ul>\n");
        for warning in &warnings {
            let _ = writeln!(html, "<li>{}</li>", escape(warning));
        }
        html.push_str("</ul></div>\n");
    }
    html.push_str("</section>\n");

    if let Some(svg) = architecture_svg(page.resolved_toml) {
        let _ = writeln!(
            html,
            "<section id=\"architecture\">\n<h2>Architecture</h2>\n{svg}<p class=\"note\">Columns are availability \
             zones; arrows are the references in the scenario (labelled with the field); dashed boxes are \
             replicas and standbys in the zones the resolved scenario lists.</p>\n</section>"
        );
    }
    plan::objectives_table(&mut html, page);
    plan::plans_table(&mut html, page);

    let objective_metrics: Vec<&str> = page.objectives.iter().map(|o| o.metric.as_str()).collect();
    let workloads: Vec<String> = results
        .points
        .iter()
        .flat_map(|p| p.metrics.iter().filter_map(|m| m.name.strip_suffix(".success_ratio").map(String::from)))
        .collect();
    let is_workload_metric = |metric: &str| {
        metric
            .split_once('.')
            .is_some_and(|(w, q)| workloads.iter().any(|n| n == w) && matches!(q, "latency" | "success_ratio"))
    };
    let key = |metric: &str| objective_metrics.contains(&metric) || is_workload_metric(metric);
    chart_section(&mut html, page, dir, ChartKind::Sweep, "sweep", &key);
    chart_section(&mut html, page, dir, ChartKind::LatencyCdf, "cdf", &key);
    let series_key = |name: &str| workloads.iter().any(|w| name.starts_with(&format!("{w}.")));
    chart_section(&mut html, page, dir, ChartKind::TimeSeries, "timeseries", &series_key);
    chart_section(&mut html, page, dir, ChartKind::Frontier, "frontier", &|_| true);

    metrics::metric_tables(&mut html, page);

    html.push_str("<section id=\"files\">\n<h2>Data files</h2>\n<ul>\n");
    let mut files = vec![
        ("summary.csv", "one row per sweep point and metric"),
        ("replications.csv", "one row per sweep point, replication and metric"),
        ("timeseries.csv", "sampled series, averaged over replications"),
        ("scenario.resolved.toml", "the scenario as run, with every default filled in"),
    ];
    if page.planning.is_some() {
        files.insert(1, ("plans.csv", "one row per sweep point: verdict, rank, cost, bottleneck, objectives"));
        files.insert(2, ("cost.csv", "one row per sweep point and cost line"));
    }
    if results.points.iter().any(|p| !p.histograms.is_empty()) {
        files.push(("histograms/", "merged latency histograms per point (HDR V2, deflate)"));
    }
    for (file, what) in files {
        let _ = writeln!(html, "<li><a href=\"{0}\">{0}</a> — {1}</li>", escape(file), escape(what));
    }
    html.push_str("</ul>\n</section>\n</body>\n</html>\n");
    html
}

/// Writes `dir/report.html`; returns its path.
pub fn write_report(page: &Page, dir: &Path) -> Result<PathBuf, ReportError> {
    let path = dir.join("report.html");
    stage_write(&path, report_html(page, dir).as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::{ChartInputs, tests::synthetic, write_charts};

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

    fn render(planning: Option<&Planning>, resolved: &str, tag: &str) -> (String, PathBuf) {
        let dir = std::env::temp_dir().join(format!("stratus-html-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let results = synthetic(true);
        let objectives = crate::report::objectives::objective_lines(resolved, &results);
        let inputs = ChartInputs { objectives: &objectives, planning, ..Default::default() };
        let charts = write_charts(&results, &dir, &inputs).unwrap();
        let page =
            Page { results: &results, planning, resolved_toml: resolved, objectives: &objectives, charts: &charts };
        let path = write_report(&page, &dir).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert_eq!(report_html(&page, &dir), html, "deterministic");
        (html, dir)
    }

    const RESOLVED: &str = "name = \"s\"\n[topology]\nazs = [\"a\", \"b\"]\n[[component]]\nname = \"app\"\nkind = \"station\"\n\
                            az = \"a\"\n[[workload]]\nname = \"users\"\ntarget = \"app\"\n\
                            [[objective]]\nmetric = \"app.response_time\"\nstat = \"p99\"\nbelow = \"100ms\"\n";

    #[test]
    fn report_is_self_contained_and_in_reading_order() {
        let (html, dir) = render(None, RESOLVED, "plain");
        assert!(html.contains("<title>synthetic &lt;test&gt; — stratus report</title>"));
        assert!(html.contains("A &amp; B"));
        assert!(html.contains("<a href=\"charts/cdf-app.response_time.svg\">SVG</a>"));
        assert!(html.contains("<svg width=\"960\""), "charts inline");
        for file in ["summary.csv", "replications.csv", "timeseries.csv", "scenario.resolved.toml"] {
            assert!(html.contains(&format!("<a href=\"{file}\">")), "{file}");
        }
        assert!(!html.contains("plans.csv"), "no plan, no plan files");
        assert!(!html.contains("<script"));
        assert!(!html.contains("http"), "no external resources");
        assert!(!html.contains("<img"), "nothing to load");
        let order: Vec<usize> =
            ["question", "answer", "architecture", "sweep", "cdf", "timeseries", "metrics", "files"]
                .iter()
                .map(|id| html.find(&format!("<section id=\"{id}\">")).unwrap_or_else(|| panic!("{id}")))
                .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(!html.contains("id=\"plans\""));
        assert!(html.contains("<details><summary>app <span class=\"note\">(2 metrics)</span>"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn report_with_a_plan() {
        let planning = crate::report::plans::tests::planning();
        let (html, dir) = render(Some(&planning), RESOLVED, "plan");
        let order: Vec<usize> = ["answer", "architecture", "objectives", "plans", "sweep", "frontier", "metrics"]
            .iter()
            .map(|id| html.find(&format!("<section id=\"{id}\">")).unwrap_or_else(|| panic!("{id}")))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(html.contains(&escape(&planning.answer)));
        assert!(
            html.contains("<tr class=\"cheapest\"><td class=\"num\">1</td><td class=\"num\">1</td><td>5</td>"),
            "rank 1 first"
        );
        assert!(html.contains("<code>app.response_time p99 below 100ms</code>"));
        assert!(html.contains("<td class=\"v-fails\">fails</td>"));
        assert!(html.contains("90 [81 – 99]"));
        assert!(html.contains("<a href=\"plans.csv\">"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

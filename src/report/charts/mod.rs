//! Charts of an experiment, each written as SVG and PNG from the same drawing code:
//!
//! - `cdf-<metric>`: for every latency metric, the cumulative distribution of all observations
//!   (the merged HDR histogram), one line per sweep point, latency in ms on a log axis spanning
//!   at most 5 decades below the largest value (smaller values, such as zero waits, which are
//!   recorded as 1 ns, are drawn at the left edge).
//! - `sweep-<metric>` (sweeps only): for every metric, the mean across replications against the
//!   first swept parameter, with its 95% confidence interval shaded, plus the p99 (dashed) for
//!   latency metrics. With several swept parameters there is one line per combination of the
//!   other parameters' values. A numeric first parameter gets a numeric axis; any other gets
//!   one position per value, in sweep order.
//!   Each objective on a metric is drawn on that metric's chart as a red dashed line at its
//!   bound.
//! - `timeseries-<series>`: every sampled series against time, one line per sweep point; cells
//!   without a value are gaps. Time windows (e.g. injected faults) can be shaded with [`Shade`].
//! - `frontier-cost` (with a capacity plan): monthly cost against the first objective's
//!   estimate, one marker per point (green meets, red fails, grey inconclusive), the Pareto
//!   points (no other point is both cheaper and better) joined, the bound drawn.
//!
//! Lines take their color from a 10-color palette by point (colors repeat beyond 10 points);
//! legends go below the plot, which makes the image taller rather than hiding data.
//!
//! Text is drawn with DejaVu Sans, shipped in `assets/fonts` and compiled into the binary, so
//! charts need no system fonts. Rendering is deterministic: the same results give byte-identical
//! files.

use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hdrhistogram::Histogram;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::objectives::ObjectiveLine;
use super::{ReportError, stage_write};
use crate::experiment::{ExperimentResults, PointResult};
use crate::metrics::Unit;
use crate::planning::Planning;

/// Width of every chart, in pixels (PNG) or user units (SVG).
pub const WIDTH: u32 = 960;
/// Height of the plot part of every chart; a legend, when there is one, is added below.
pub const HEIGHT: u32 = 540;
/// Most points drawn per line of a time-series chart; longer series are averaged in buckets.
pub const MAX_SERIES_POINTS: usize = 500;
/// Steps per axis that thin a CDF line: a point is kept when it moves at least 1/`CDF_STEPS`
/// of the log-latency span or of the cumulative fraction, so a line has at most about
/// 2·`CDF_STEPS` points.
const CDF_STEPS: f64 = 100.0;
/// Decades of latency shown below the largest value on CDF charts; smaller values (zero waits
/// are recorded as 1 ns) are drawn at the left edge.
const CDF_DECADES: f64 = 5.0;

/// Font family the shipped font is registered as. Only even font sizes are used: plotters'
/// ab_glyph renderer rounds glyph offsets differently at odd sizes, lifting periods and commas
/// a pixel or two in PNGs.
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the shipped font with plotters, once per process; drawing text fails without it.
fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the shipped DejaVu Sans font is invalid".to_string())
        })
        .clone()
}

/// What a chart shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChartKind {
    /// Cumulative distribution of a latency metric, one line per sweep point.
    LatencyCdf,
    /// A metric's mean (with 95% CI) against the first swept parameter.
    Sweep,
    /// A sampled series against time, one line per sweep point.
    TimeSeries,
    /// Monthly cost against the first objective's estimate.
    Frontier,
}

impl ChartKind {
    /// Every kind, in the order charts are written and shown.
    pub const ALL: [ChartKind; 4] =
        [ChartKind::LatencyCdf, ChartKind::Sweep, ChartKind::TimeSeries, ChartKind::Frontier];

    /// File name prefix: `cdf`, `sweep`, `timeseries` or `frontier`.
    pub fn prefix(self) -> &'static str {
        match self {
            ChartKind::LatencyCdf => "cdf",
            ChartKind::Sweep => "sweep",
            ChartKind::TimeSeries => "timeseries",
            ChartKind::Frontier => "frontier",
        }
    }

    /// Section heading in the HTML report.
    pub fn heading(self) -> &'static str {
        match self {
            ChartKind::LatencyCdf => "Latency distributions",
            ChartKind::Sweep => "Metrics across the sweep",
            ChartKind::TimeSeries => "Time series",
            ChartKind::Frontier => "Cost and the first objective",
        }
    }
}

/// One chart written to disk, in both formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartFile {
    /// What it shows.
    pub kind: ChartKind,
    /// Its title (also drawn on the chart).
    pub title: String,
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
    /// The SVG text, for pages that inline it.
    pub svg_text: String,
}

/// What charts draw besides the results: fault windows, objectives and the capacity plan.
#[derive(Copy, Clone, Debug, Default)]
pub struct ChartInputs<'a> {
    /// Time windows shaded on time-series charts.
    pub shades: &'a [Shade],
    /// The objectives, drawn at their bound on their metric's sweep chart.
    pub objectives: &'a [ObjectiveLine],
    /// The capacity plan, for the cost frontier.
    pub planning: Option<&'a Planning>,
}

/// A time window shaded on time-series charts (e.g. an injected fault).
#[derive(Clone, Debug, PartialEq)]
pub struct Shade {
    /// Start, in seconds of simulated time.
    pub start_s: f64,
    /// End, in seconds of simulated time.
    pub end_s: f64,
    /// Text drawn at the top of the window.
    pub label: String,
}

/// How the x axis maps values.
#[derive(Clone, Debug)]
enum XAxis {
    Linear,
    Log,
    /// Categories at positions 0, 1, 2…
    Categories(Vec<String>),
}

/// A line; points with a non-finite y are gaps.
#[derive(Clone, Debug)]
struct Line {
    label: Option<String>,
    color: usize,
    dashed: bool,
    /// Markers at the points instead of a line.
    markers: bool,
    points: Vec<(f64, f64)>,
}

/// A shaded band between `low` and `high`; points where either is non-finite are gaps.
#[derive(Clone, Debug)]
struct Band {
    label: Option<String>,
    color: usize,
    /// `(x, low, high)`.
    points: Vec<(f64, f64, f64)>,
}

/// Everything needed to draw one chart on any backend.
#[derive(Clone, Debug)]
struct Chart {
    kind: ChartKind,
    /// Name the file is derived from.
    name: String,
    title: String,
    x_desc: String,
    y_desc: String,
    x_axis: XAxis,
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// Hint for the number of x tick labels.
    x_labels: usize,
    bands: Vec<Band>,
    lines: Vec<Line>,
    shades: Vec<Shade>,
    /// Drawn in the middle of the plot (e.g. "no observations").
    note: Option<String>,
}

/// Tableau 10: distinguishable, and readable for the common forms of color blindness.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const SHADE_COLOR: RGBColor = RGBColor(214, 39, 40);
/// Palette index of objective bounds (red).
const SLO_COLOR: usize = 3;

fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Splits points into runs of consecutive finite values.
fn segments<T: Copy>(points: &[T], finite: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut current = Vec::new();
    for point in points {
        if finite(point) {
            current.push(*point);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A tick label: at most 6 significant digits, no trailing zeros, exponents for extremes.
fn tick(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let magnitude = value.abs();
    if magnitude < 1e-12 {
        return "0".into();
    }
    if !(1e-4..1e6).contains(&magnitude) {
        let formatted = format!("{value:.2e}");
        let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let decimals = (5 - magnitude.log10().floor() as i32).clamp(0, 9) as usize;
    let formatted = format!("{value:.decimals$}");
    let trimmed = if formatted.contains('.') {
        formatted.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        formatted
    };
    if trimmed == "-0" { "0".into() } else { trimmed }
}

/// The label of a category axis position (empty between categories).
fn category_label(names: &[String], value: f64) -> String {
    let rounded = value.round();
    if (value - rounded).abs() > 1e-6 || rounded < 0.0 {
        return String::new();
    }
    names.get(rounded as usize).cloned().unwrap_or_default()
}

/// Units as written on axes.
fn unit_label(unit: Unit) -> &'static str {
    match unit {
        Unit::Millis => "ms",
        Unit::Requests => "requests",
        Unit::PerSecond => "per second",
        Unit::Fraction => "fraction",
        Unit::Seconds => "s",
        Unit::Events => "events",
    }
}

/// File-name-safe form of a name: `[A-Za-z0-9._-]`, anything else becomes `_`.
pub fn sanitize(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') { "_".into() } else { cleaned }
}

/// The legend text of a point: its swept parameters as `path=value` (none without a sweep).
pub fn point_label(results: &ExperimentResults, point: &PointResult) -> Option<String> {
    if results.sweep_params.is_empty() {
        return None;
    }
    let label = results
        .sweep_params
        .iter()
        .zip(&point.params)
        .map(|(param, value)| format!("{param}={value}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(label)
}

/// A y range covering `values` (and zero when they are all positive), with 5% headroom.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for value in values.filter(|v| v.is_finite()) {
        low = low.min(value);
        high = high.max(value);
    }
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    low = low.min(0.0);
    if high <= low {
        high = low + if low == 0.0 { 1.0 } else { low.abs() * 0.1 };
    }
    let span = high - low;
    (if low < 0.0 { low - span * 0.05 } else { low }, high + span * 0.05)
}

mod build;
mod draw;
mod frontier;

use build::*;
use draw::*;

/// Every chart of `results`, in the order they are written.
fn all_charts(results: &ExperimentResults, inputs: &ChartInputs) -> Vec<Chart> {
    let shades = inputs.shades;
    let mut charts = Vec::new();
    let latency = ordered_names(
        results
            .points
            .iter()
            .flat_map(|p| p.metrics.iter().map(|m| m.name.as_str()))
            .filter(|name| results.points.iter().any(|p| p.histograms.iter().any(|(h, _)| h == name))),
    );
    for metric in &latency {
        charts.push(latency_cdf_chart(results, metric));
    }
    if !results.sweep_params.is_empty() && !results.points.is_empty() {
        let layout = sweep_layout(results);
        let metrics = ordered_names(results.points.iter().flat_map(|p| p.metrics.iter().map(|m| m.name.as_str())));
        for metric in &metrics {
            charts.push(sweep_chart(results, &layout, metric, inputs.objectives));
        }
    }
    // A series with no value at any point (a shard a stream does not have, say) has nothing
    // to draw.
    let series = ordered_names(results.points.iter().flat_map(|p| p.series.names.iter().map(String::as_str)));
    for name in series.iter().filter(|name| has_values(results, name)) {
        charts.push(time_series_chart(results, name, shades));
    }
    if let Some(chart) =
        inputs.planning.and_then(|planning| frontier::frontier_chart(results, planning, inputs.objectives))
    {
        charts.push(chart);
    }
    charts
}

/// True if series `name` has a finite value at some point and time.
fn has_values(results: &ExperimentResults, name: &str) -> bool {
    results.points.iter().any(|point| {
        let columns = point.series.names.len();
        match point.series.names.iter().position(|n| n == name) {
            Some(column) if columns > 0 => {
                point.series.values.iter().skip(column).step_by(columns).any(|value| value.is_finite())
            }
            _ => false,
        }
    })
}

/// Draws every chart of `results` into `dir/charts/` as `<kind>-<name>.svg` and `.png` (names
/// sanitized to `[A-Za-z0-9._-]`, with `-2`, `-3`… on clashes), with what `inputs` adds.
/// Returns the charts in report order.
pub fn write_charts(
    results: &ExperimentResults,
    dir: &Path,
    inputs: &ChartInputs,
) -> Result<Vec<ChartFile>, ReportError> {
    let charts_dir = dir.join("charts");
    let mut used = BTreeSet::new();
    let mut named = Vec::new();
    for chart in all_charts(results, inputs) {
        let base = format!("{}-{}", chart.kind.prefix(), sanitize(&chart.name));
        let mut stem = base.clone();
        let mut n = 2;
        while !used.insert(stem.to_ascii_lowercase()) {
            stem = format!("{base}-{n}");
            n += 1;
        }
        named.push((chart, stem));
    }
    // Drawing and encoding dominate the output phase: one chart per task, on every core.
    // The files do not depend on the order; the first error in report order is returned.
    named
        .into_par_iter()
        .map(|(chart, stem)| {
            let svg_path = charts_dir.join(format!("{stem}.svg"));
            let png_path = charts_dir.join(format!("{stem}.png"));
            let svg = render_svg(&chart).map_err(chart_error(&svg_path))?;
            stage_write(&svg_path, svg.as_bytes())?;
            let png = render_png(&chart).map_err(chart_error(&png_path))?;
            stage_write(&png_path, &png)?;
            Ok(ChartFile { kind: chart.kind, title: chart.title, svg: svg_path, png: png_path, svg_text: svg })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;

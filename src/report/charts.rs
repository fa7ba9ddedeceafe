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
//! - `timeseries-<series>`: every sampled series against time, one line per sweep point; cells
//!   without a value are gaps. Time windows (e.g. injected faults) can be shaded with [`Shade`].
//!
//! Lines take their color from a 10-color palette by point (colors repeat beyond 10 points);
//! legends go below the plot, which makes the image taller rather than hiding data.
//!
//! Text is drawn with DejaVu Sans, shipped in `assets/fonts` and compiled into the binary, so
//! charts need no system fonts. Rendering is deterministic: the same results give byte-identical
//! files.

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

use super::{ReportError, atomic_write};
use crate::experiment::{ExperimentResults, PointResult};
use crate::metrics::Unit;

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
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

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
}

impl ChartKind {
    /// Every kind, in the order charts are written and shown.
    pub const ALL: [ChartKind; 3] = [ChartKind::LatencyCdf, ChartKind::Sweep, ChartKind::TimeSeries];

    /// File name prefix: `cdf`, `sweep` or `timeseries`.
    pub fn prefix(self) -> &'static str {
        match self {
            ChartKind::LatencyCdf => "cdf",
            ChartKind::Sweep => "sweep",
            ChartKind::TimeSeries => "timeseries",
        }
    }

    /// Section heading in the HTML report.
    pub fn heading(self) -> &'static str {
        match self {
            ChartKind::LatencyCdf => "Latency distributions",
            ChartKind::Sweep => "Metrics across the sweep",
            ChartKind::TimeSeries => "Time series",
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

/// Names in order of first appearance.
fn ordered_names<'a>(lists: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut names = Vec::new();
    for name in lists {
        if seen.insert(name) {
            names.push(name.to_string());
        }
    }
    names
}

/// The CDF of a histogram (nanoseconds) as `(ms, cumulative fraction)`, values below
/// `floor_ms` drawn at `floor_ms`, thinned to about 2·[`CDF_STEPS`] points.
fn cdf_points(histogram: &Histogram<u64>, floor_ms: f64, log_span: f64) -> Vec<(f64, f64)> {
    let total = histogram.len();
    if total == 0 {
        return Vec::new();
    }
    let mut raw = Vec::new();
    let mut cumulative = 0u64;
    for value in histogram.iter_recorded() {
        cumulative += value.count_at_value();
        let ms = (value.value_iterated_to() as f64 / 1e6).max(floor_ms);
        raw.push((ms, cumulative as f64 / total as f64));
    }
    let Some(&first) = raw.first() else {
        return Vec::new();
    };
    let (dx, dy) = (log_span / CDF_STEPS, 1.0 / CDF_STEPS);
    let mut out = vec![(first.0, 0.0), first];
    let mut last = first;
    for (i, &point) in raw.iter().enumerate().skip(1) {
        if i + 1 == raw.len() || point.0.log10() - last.0.log10() >= dx || point.1 - last.1 >= dy {
            out.push(point);
            last = point;
        }
    }
    out
}

fn latency_cdf_chart(results: &ExperimentResults, metric: &str) -> Chart {
    let histograms: Vec<(usize, &PointResult, &Histogram<u64>)> = results
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, point)| point.histograms.iter().find(|(name, _)| name == metric).map(|(_, h)| (i, point, h)))
        .filter(|(_, _, h)| !h.is_empty())
        .collect();
    let max_ms = histograms.iter().map(|(_, _, h)| h.max() as f64 / 1e6).fold(0.0, f64::max);
    let low_ms = histograms
        .iter()
        .map(|(_, _, h)| h.value_at_quantile(0.001) as f64 / 1e6)
        .fold(f64::INFINITY, f64::min)
        .max(max_ms / 10f64.powf(CDF_DECADES));
    let (x0, x1) = if histograms.is_empty() || max_ms <= 0.0 {
        (0.1, 10.0)
    } else {
        let low = 10f64.powf(low_ms.log10().floor());
        let mut high = 10f64.powf(max_ms.log10().ceil());
        if high <= low {
            high = low * 10.0;
        }
        // A hair wider so the decades at both ends get their tick labels.
        (low * 0.999, high * 1.001)
    };
    let log_span = x1.log10() - x0.log10();
    let lines = histograms
        .iter()
        .map(|&(i, point, histogram)| Line {
            label: point_label(results, point),
            color: i,
            dashed: false,
            points: cdf_points(histogram, x0, log_span),
        })
        .collect();
    Chart {
        kind: ChartKind::LatencyCdf,
        name: metric.to_string(),
        title: format!("{metric}: distribution of all observations, replications merged"),
        x_desc: "latency (ms, log scale)".into(),
        y_desc: "cumulative fraction of requests".into(),
        x_axis: XAxis::Log,
        x_range: (x0, x1),
        y_range: (0.0, 1.0),
        x_labels: 10,
        bands: Vec::new(),
        lines,
        shades: Vec::new(),
        note: histograms.is_empty().then(|| "no observations".to_string()),
    }
}

/// How sweep points are laid out on the x axis and grouped into lines.
struct SweepLayout {
    axis: XAxis,
    range: (f64, f64),
    x_labels: usize,
    /// x of each point.
    xs: Vec<f64>,
    /// `(label of the other parameters' values, point indices ordered by x)`.
    groups: Vec<(Option<String>, Vec<usize>)>,
}

fn sweep_layout(results: &ExperimentResults) -> SweepLayout {
    let first: Vec<&str> = results.points.iter().map(|p| p.params.first().map_or("", String::as_str)).collect();
    let numeric: Option<Vec<f64>> =
        first.iter().map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite())).collect();
    let (axis, xs, range, x_labels) = match numeric {
        Some(xs) if !xs.is_empty() => {
            let low = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let high = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let integers = xs.iter().all(|x| x.fract() == 0.0);
            let span = high - low;
            let range = if span > 0.0 {
                (low - span * 0.05, high + span * 0.05)
            } else {
                let pad = if integers { 1.0 } else { (low.abs() * 0.1).max(1e-9) };
                (low - pad, high + pad)
            };
            let x_labels = if integers && span <= 10.0 { (span as usize + 1).max(3) } else { 10 };
            (XAxis::Linear, xs, range, x_labels)
        }
        _ => {
            let categories = ordered_names(first.iter().copied());
            let xs = first.iter().map(|v| categories.iter().position(|c| c == v).unwrap_or(0) as f64).collect();
            let n = categories.len();
            (XAxis::Categories(categories), xs, (-0.5, n as f64 - 0.5), n.max(1))
        }
    };
    let other = |point: &PointResult| -> Option<String> {
        (results.sweep_params.len() > 1).then(|| {
            results.sweep_params[1..]
                .iter()
                .zip(point.params.iter().skip(1))
                .map(|(param, value)| format!("{param}={value}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let mut groups: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    for (i, point) in results.points.iter().enumerate() {
        let key = other(point);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for (_, members) in &mut groups {
        members.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    }
    SweepLayout { axis, range, x_labels, xs, groups }
}

fn sweep_chart(results: &ExperimentResults, layout: &SweepLayout, metric: &str) -> Chart {
    let param = results.sweep_params.first().cloned().unwrap_or_default();
    let summaries = results.metric_across_points(metric);
    let unit = summaries.iter().flatten().map(|m| m.unit).next().unwrap_or(Unit::Requests);
    let latency = summaries.iter().flatten().any(|m| m.percentiles.is_some());
    let several = layout.groups.len() > 1;
    let mut lines = Vec::new();
    let mut bands = Vec::new();
    for (g, (key, members)) in layout.groups.iter().enumerate() {
        let value = |i: usize, f: &dyn Fn(&crate::experiment::MetricSummary) -> f64| summaries[i].map_or(f64::NAN, f);
        let named = |what: &str| match key {
            Some(key) => format!("{what}, {key}"),
            None => what.to_string(),
        };
        bands.push(Band {
            label: (!several).then(|| "95% CI of the mean".to_string()),
            color: g,
            points: members
                .iter()
                .map(|&i| (layout.xs[i], value(i, &|m| m.ci95_low), value(i, &|m| m.ci95_high)))
                .collect(),
        });
        lines.push(Line {
            label: Some(named("mean")),
            color: g,
            dashed: false,
            points: members.iter().map(|&i| (layout.xs[i], value(i, &|m| m.mean))).collect(),
        });
        if latency {
            lines.push(Line {
                label: Some(named("p99")),
                color: g,
                dashed: true,
                points: members
                    .iter()
                    .map(|&i| (layout.xs[i], value(i, &|m| m.percentiles.map_or(f64::NAN, |p| p.p99))))
                    .collect(),
            });
        }
    }
    let ys = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(bands.iter().flat_map(|b| b.points.iter().flat_map(|p| [p.1, p.2])))
        .collect::<Vec<_>>();
    let has_data = ys.iter().any(|y| y.is_finite());
    Chart {
        kind: ChartKind::Sweep,
        name: metric.to_string(),
        title: if several {
            format!("{metric} vs {param} (shaded: 95% CI of the mean)")
        } else {
            format!("{metric} vs {param}")
        },
        x_desc: param,
        y_desc: format!("{metric} ({})", unit_label(unit)),
        x_axis: layout.axis.clone(),
        x_range: layout.range,
        y_range: y_range(ys.into_iter()),
        x_labels: layout.x_labels,
        bands,
        lines,
        shades: Vec::new(),
        note: (!has_data).then(|| "no values".to_string()),
    }
}

/// Values of column `name` as `(end of interval in s, value)`, averaged in buckets when there
/// are more than [`MAX_SERIES_POINTS`] rows.
fn series_points(point: &PointResult, name: &str) -> Vec<(f64, f64)> {
    let series = &point.series;
    let Some(column) = series.names.iter().position(|n| n == name) else {
        return Vec::new();
    };
    let rows = series.rows();
    let interval = series.interval.as_secs_f64();
    let bucket = rows.div_ceil(MAX_SERIES_POINTS).max(1);
    (0..rows)
        .step_by(bucket)
        .map(|start| {
            let end = (start + bucket).min(rows);
            let (sum, count) = (start..end)
                .map(|r| series.row(r)[column])
                .filter(|v| v.is_finite())
                .fold((0.0, 0u32), |(s, c), v| (s + v, c + 1));
            let value = if count == 0 { f64::NAN } else { sum / f64::from(count) };
            (interval * end as f64, value)
        })
        .collect()
}

fn time_series_chart(results: &ExperimentResults, name: &str, shades: &[Shade]) -> Chart {
    let lines: Vec<Line> = results
        .points
        .iter()
        .enumerate()
        .filter(|(_, point)| point.series.names.iter().any(|n| n == name))
        .map(|(i, point)| Line {
            label: point_label(results, point),
            color: i,
            dashed: false,
            points: series_points(point, name),
        })
        .collect();
    let end = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).fold(0.0, f64::max);
    let end = shades.iter().map(|s| s.end_s).filter(|e| e.is_finite()).fold(end, f64::max);
    let has_data = lines.iter().any(|l| l.points.iter().any(|p| p.1.is_finite()));
    let replications = results.points.iter().map(|p| p.replications.len()).max().unwrap_or(0);
    let interval = results.points.first().map_or(0.0, |p| p.series.interval.as_secs_f64());
    let bucket = results.points.iter().map(|p| p.series.rows().div_ceil(MAX_SERIES_POINTS).max(1)).max().unwrap_or(1);
    Chart {
        kind: ChartKind::TimeSeries,
        name: name.to_string(),
        title: if replications > 1 {
            format!("{name} over time (mean of {replications} replications)")
        } else {
            format!("{name} over time")
        },
        x_desc: format!("simulated time (s); each point averages {} s", tick(interval * bucket as f64)),
        y_desc: name.to_string(),
        x_axis: XAxis::Linear,
        x_range: (0.0, if end > 0.0 { end } else { 1.0 }),
        y_range: y_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))),
        x_labels: 10,
        bands: Vec::new(),
        lines,
        shades: shades.to_vec(),
        note: (!has_data).then(|| "no values".to_string()),
    }
}

/// Shades clipped to `x_range`, sorted, with windows that overlap or lie within a pixel of each
/// other (by `pixel`, the x pixel of a value) merged; a merged window lists its distinct labels.
fn merge_shades(shades: &[Shade], x_range: (f64, f64), pixel: impl Fn(f64) -> i32) -> Vec<(f64, f64, String)> {
    let mut windows: Vec<(f64, f64, &str)> = shades
        .iter()
        .map(|s| (s.start_s.max(x_range.0), s.end_s.min(x_range.1), s.label.as_str()))
        .filter(|(start, end, _)| start.partial_cmp(end) == Some(std::cmp::Ordering::Less))
        .collect();
    windows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut merged: Vec<(f64, f64, Vec<&str>)> = Vec::new();
    for (start, end, label) in windows {
        match merged.last_mut() {
            Some(last) if pixel(start) <= pixel(last.1) + 1 => {
                last.1 = last.1.max(end);
                if !last.2.contains(&label) {
                    last.2.push(label);
                }
            }
            _ => merged.push((start, end, vec![label])),
        }
    }
    merged
        .into_iter()
        .map(|(start, end, labels)| {
            let label = match labels.len() {
                0..=2 => labels.join(", "),
                n => format!("{}, {} and {} more", labels[0], labels[1], n - 2),
            };
            (start, end, label)
        })
        .collect()
}

/// Every chart of `results`, in the order they are written.
fn all_charts(results: &ExperimentResults, shades: &[Shade]) -> Vec<Chart> {
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
            charts.push(sweep_chart(results, &layout, metric));
        }
    }
    let series = ordered_names(results.points.iter().flat_map(|p| p.series.names.iter().map(String::as_str)));
    for name in &series {
        charts.push(time_series_chart(results, name, shades));
    }
    charts
}

/// How a legend entry is marked.
#[derive(Copy, Clone, Debug)]
enum Mark {
    Line,
    Dashed,
    Band,
}

/// The legend below the plot: entries in rows of `columns`, row-major.
#[derive(Clone, Debug)]
struct Legend {
    /// `(label, color, mark)`.
    entries: Vec<(String, usize, Mark)>,
    columns: usize,
    column_width: u32,
    /// Entries not shown (a note says how many).
    hidden: usize,
}

const LEGEND_FONT: u32 = 14;
const LEGEND_ROW: u32 = 22;
const LEGEND_MAX_ROWS: usize = 12;
/// Left edge of the plotting area (margin + y label area): the legend aligns with it.
const PLOT_LEFT: u32 = 12 + 84;

impl Legend {
    fn of(chart: &Chart) -> Legend {
        let mut entries: Vec<(String, usize, Mark)> = Vec::new();
        for band in &chart.bands {
            if let Some(label) = &band.label {
                entries.push((label.clone(), band.color, Mark::Band));
            }
        }
        for line in &chart.lines {
            if let Some(label) = &line.label {
                entries.push((label.clone(), line.color, if line.dashed { Mark::Dashed } else { Mark::Line }));
            }
        }
        let font = (FONT, LEGEND_FONT).into_font();
        let widest = entries.iter().map(|e| font.box_size(&e.0).map_or(8 * e.0.len() as u32, |(w, _)| w)).max();
        let column_width = 36 + widest.unwrap_or(0) + 24;
        let available = WIDTH - PLOT_LEFT - 20;
        let columns = ((available / column_width) as usize).clamp(1, 4).min(entries.len().max(1));
        let capacity = columns * LEGEND_MAX_ROWS;
        let hidden = if entries.len() > capacity { entries.len() - (capacity - 1) } else { 0 };
        entries.truncate(entries.len() - hidden);
        Legend { entries, columns, column_width, hidden }
    }

    fn rows(&self) -> usize {
        (self.entries.len() + usize::from(self.hidden > 0)).div_ceil(self.columns)
    }

    /// Pixels the legend adds below the plot.
    fn height(&self) -> u32 {
        if self.entries.is_empty() { 0 } else { self.rows() as u32 * LEGEND_ROW + 14 }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let anchor = Pos::new(HPos::Left, VPos::Center);
        let font = (FONT, LEGEND_FONT).into_font().color(&BLACK).pos(anchor);
        let place = |i: usize| {
            let (row, column) = (i / self.columns, i % self.columns);
            (
                PLOT_LEFT as i32 + (column as u32 * self.column_width) as i32,
                (4 + row as u32 * LEGEND_ROW + LEGEND_ROW / 2) as i32,
            )
        };
        for (i, (label, color_index, mark)) in self.entries.iter().enumerate() {
            let (x, y) = place(i);
            let style = color(*color_index).stroke_width(2);
            match mark {
                Mark::Line => area.draw(&PathElement::new(vec![(x, y), (x + 26, y)], style))?,
                Mark::Dashed => area.draw(&DashedPathElement::new(vec![(x, y), (x + 26, y)], 6, 4, style))?,
                Mark::Band => {
                    area.draw(&Rectangle::new([(x, y - 7), (x + 26, y + 7)], color(*color_index).mix(0.25).filled()))?
                }
            }
            area.draw(&Text::new(label.clone(), (x + 34, y), font.clone()))?;
        }
        if self.hidden > 0 {
            let (x, y) = place(self.entries.len());
            let note = format!("… and {} more (colors repeat after {})", self.hidden, PALETTE.len());
            let grey = (FONT, LEGEND_FONT).into_font().color(&RGBColor(100, 100, 100)).pos(anchor);
            area.draw(&Text::new(note, (x, y), grey))?;
        }
        Ok(())
    }
}

impl Chart {
    /// Image size: the plot, plus the legend below it.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT + Legend::of(self).height())
    }
}

/// Draws `chart` on any plotters backend: the one drawing routine behind both SVG and PNG.
/// The area should have the size [`Chart::size`].
fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    area.fill(&WHITE)?;
    let legend = Legend::of(chart);
    let (plot_area, legend_area) = area.split_vertically(HEIGHT);
    let mut builder = ChartBuilder::on(&plot_area);
    builder
        .caption(&chart.title, (FONT, 20))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(52)
        .y_label_area_size(PLOT_LEFT - 12);
    let (x0, x1) = chart.x_range;
    let (y0, y1) = chart.y_range;
    match chart.x_axis {
        XAxis::Log => plot(builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?, chart)?,
        XAxis::Linear | XAxis::Categories(_) => plot(builder.build_cartesian_2d(x0..x1, y0..y1)?, chart)?,
    }
    if legend.height() > 0 {
        legend.draw(&legend_area)?;
    }
    Ok(())
}

fn plot<'a, DB, X>(
    mut ctx: ChartContext<'a, DB, Cartesian2d<X, RangedCoordf64>>,
    chart: &Chart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (x0, x1) = chart.x_range;
    let (y0, y1) = chart.y_range;
    let x_format = |v: &f64| match &chart.x_axis {
        XAxis::Categories(names) => category_label(names, *v),
        XAxis::Linear | XAxis::Log => tick(*v),
    };
    let y_format = |v: &f64| tick(*v);
    let mut mesh = ctx.configure_mesh();
    mesh.x_desc(chart.x_desc.as_str())
        .y_desc(chart.y_desc.as_str())
        .x_labels(chart.x_labels)
        .y_labels(10)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .bold_line_style(RGBColor(200, 200, 200))
        .light_line_style(RGBColor(240, 240, 240));
    if matches!(chart.x_axis, XAxis::Categories(_)) {
        mesh.x_max_light_lines(0);
    }
    mesh.draw()?;

    // Windows closer than a pixel are merged (a renewal fault may record thousands), and a
    // label is drawn only where it does not run into the previous one.
    let pixel = |x: f64| ctx.backend_coord(&(x, y0)).0;
    let shades: Vec<(f64, f64, String, i32)> = merge_shades(&chart.shades, (x0, x1), pixel)
        .into_iter()
        .map(|(start, end, label)| (start, end, label, pixel(start)))
        .collect();
    let font = (FONT, 14).into_font();
    let mut label_end = i32::MIN;
    for (start, end, label, start_pixel) in shades {
        ctx.draw_series(std::iter::once(Rectangle::new([(start, y0), (end, y1)], SHADE_COLOR.mix(0.12).filled())))?;
        let left = start_pixel + 4;
        if left >= label_end {
            let width = font.box_size(&label).map_or(8 * label.len() as u32, |(w, _)| w);
            label_end = left + width as i32 + 8;
            let style = font.color(&SHADE_COLOR);
            ctx.draw_series(std::iter::once(EmptyElement::at((start, y1)) + Text::new(label, (4, 4), style)))?;
        }
    }

    for band in &chart.bands {
        let style = color(band.color).mix(0.18).filled();
        for segment in segments(&band.points, |p| p.1.is_finite() && p.2.is_finite()) {
            let mut outline: Vec<(f64, f64)> = segment.iter().map(|p| (p.0, p.2)).collect();
            outline.extend(segment.iter().rev().map(|p| (p.0, p.1)));
            ctx.draw_series(std::iter::once(Polygon::new(outline, style)))?;
        }
    }

    for line in &chart.lines {
        let style = color(line.color).stroke_width(2);
        for segment in segments(&line.points, |p| p.1.is_finite()) {
            if segment.len() == 1 {
                ctx.draw_series(std::iter::once(Circle::new(segment[0], 3, style.filled())))?;
            } else if line.dashed {
                ctx.draw_series(DashedLineSeries::new(segment, 8, 5, style))?;
            } else {
                ctx.draw_series(LineSeries::new(segment, style))?;
            }
        }
    }

    if let Some(note) = &chart.note {
        let x = if matches!(chart.x_axis, XAxis::Log) { (x0 * x1).sqrt() } else { (x0 + x1) / 2.0 };
        let style = (FONT, 18).into_font().color(&RGBColor(120, 120, 120)).pos(Pos::new(HPos::Center, VPos::Center));
        ctx.draw_series(std::iter::once(Text::new(note.clone(), (x, (y0 + y1) / 2.0), style)))?;
    }
    Ok(())
}

fn chart_error(path: &Path) -> impl FnOnce(String) -> ReportError + '_ {
    move |message| ReportError::Chart { path: path.to_path_buf(), message }
}

fn render_svg(chart: &Chart) -> Result<String, String> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        draw(&area, chart).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn render_png(chart: &Chart) -> Result<Vec<u8>, String> {
    ensure_font()?;
    let (width, height) = chart.size();
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&area, chart).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(png)
}

/// Draws every chart of `results` into `dir/charts/` as `<kind>-<name>.svg` and `.png` (names
/// sanitized to `[A-Za-z0-9._-]`, with `-2`, `-3`… on clashes); `shades` are drawn on the
/// time-series charts. Returns the charts in report order.
pub fn write_charts(results: &ExperimentResults, dir: &Path, shades: &[Shade]) -> Result<Vec<ChartFile>, ReportError> {
    let charts_dir = dir.join("charts");
    let mut used = BTreeSet::new();
    let mut written = Vec::new();
    for chart in all_charts(results, shades) {
        let base = format!("{}-{}", chart.kind.prefix(), sanitize(&chart.name));
        let mut stem = base.clone();
        let mut n = 2;
        while !used.insert(stem.to_ascii_lowercase()) {
            stem = format!("{base}-{n}");
            n += 1;
        }
        let svg_path = charts_dir.join(format!("{stem}.svg"));
        let png_path = charts_dir.join(format!("{stem}.png"));
        let svg = render_svg(&chart).map_err(chart_error(&svg_path))?;
        atomic_write(&svg_path, svg.as_bytes())?;
        let png = render_png(&chart).map_err(chart_error(&png_path))?;
        atomic_write(&png_path, &png)?;
        written.push(ChartFile { kind: chart.kind, title: chart.title, svg: svg_path, png: png_path });
    }
    Ok(written)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::SimDuration;
    use crate::experiment::{MetricSummary, Percentiles, ReplicationResult};
    use crate::model::world::TimeSeries;

    fn histogram(values_ms: &[f64]) -> Histogram<u64> {
        let mut h = Histogram::<u64>::new(3).unwrap();
        h.auto(true);
        for v in values_ms {
            h.record((v * 1e6) as u64).unwrap();
        }
        h
    }

    /// A small synthetic sweep over two servers counts, with a latency metric, a scalar metric
    /// and two series (one with gaps).
    pub(crate) fn synthetic(sweep: bool) -> ExperimentResults {
        let servers: &[&str] = if sweep { &["4", "5"] } else { &["4"] };
        let points = servers
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let k = index as f64 + 1.0;
                let values: Vec<f64> = (1..=500).map(|i| f64::from(i) * 0.37 / k).collect();
                let rows = 20;
                let series_values = (0..rows)
                    .flat_map(|r| [r as f64 / k, if r % 7 == 3 { f64::NAN } else { 0.5 + 0.01 * r as f64 }])
                    .collect();
                PointResult {
                    index,
                    params: if sweep { vec![s.to_string()] } else { Vec::new() },
                    metrics: vec![
                        MetricSummary {
                            name: "app.response_time".into(),
                            unit: Unit::Millis,
                            replications: 3,
                            mean: 90.0 / k,
                            ci95_low: 80.0 / k,
                            ci95_high: 100.0 / k,
                            percentiles: Some(Percentiles {
                                p50: 90.0 / k,
                                p90: 160.0 / k,
                                p99: 180.0 / k,
                                p999: 184.0 / k,
                                max: 185.0 / k,
                            }),
                            count: Some(500),
                        },
                        MetricSummary {
                            name: "app.utilization".into(),
                            unit: Unit::Fraction,
                            replications: 3,
                            mean: 0.9 / k,
                            ci95_low: 0.85 / k,
                            ci95_high: 0.95 / k,
                            percentiles: None,
                            count: None,
                        },
                    ],
                    histograms: vec![("app.response_time".into(), histogram(&values))],
                    replications: (0..3)
                        .map(|r| ReplicationResult { replication: r, events: 1000, values: vec![90.0 / k, 0.9 / k] })
                        .collect(),
                    series: TimeSeries {
                        interval: SimDuration::from_secs(10),
                        names: vec!["app.queue_length".into(), "app/odd name".into()],
                        values: series_values,
                    },
                    fault_windows: Vec::new(),
                }
            })
            .collect();
        ExperimentResults {
            name: "synthetic <test>".into(),
            description: Some("A & B".into()),
            sweep_params: if sweep { vec!["component.app.servers".into()] } else { Vec::new() },
            points,
            total_events: 6000,
        }
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("stratus-charts-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_svg_and_png_for_every_chart() {
        let dir = temp_dir("all");
        let charts = write_charts(&synthetic(true), &dir, &[]).unwrap();
        let names: Vec<String> =
            charts.iter().map(|c| c.svg.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            [
                "cdf-app.response_time.svg",
                "sweep-app.response_time.svg",
                "sweep-app.utilization.svg",
                "timeseries-app.queue_length.svg",
                "timeseries-app_odd_name.svg",
            ]
        );
        for chart in &charts {
            let svg = std::fs::read_to_string(&chart.svg).unwrap();
            assert!(svg.contains("<svg"), "{}", chart.svg.display());
            assert!(svg.contains("<text"), "{}", chart.svg.display());
            let png = std::fs::read(&chart.png).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", chart.png.display());
        }
        let cdf = std::fs::read_to_string(&charts[0].svg).unwrap();
        assert!(cdf.contains("component.app.servers=5"), "legend names the points");
        assert!(cdf.contains("latency (ms, log scale)"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rendering_is_deterministic() {
        let (a, b) = (temp_dir("det-a"), temp_dir("det-b"));
        let shades = [Shade { start_s: 50.0, end_s: 90.0, label: "fault".into() }];
        let first = write_charts(&synthetic(true), &a, &shades).unwrap();
        let second = write_charts(&synthetic(true), &b, &shades).unwrap();
        assert_eq!(first.len(), second.len());
        for (x, y) in first.iter().zip(&second) {
            assert_eq!(std::fs::read(&x.svg).unwrap(), std::fs::read(&y.svg).unwrap());
            assert_eq!(std::fs::read(&x.png).unwrap(), std::fs::read(&y.png).unwrap());
        }
        let series = std::fs::read_to_string(&first.last().unwrap().svg).unwrap();
        assert!(series.contains("fault"), "shade label drawn");
        std::fs::remove_dir_all(a).unwrap();
        std::fs::remove_dir_all(b).unwrap();
    }

    #[test]
    fn no_sweep_charts_without_a_sweep_and_empty_results_draw() {
        let dir = temp_dir("nosweep");
        let mut results = synthetic(false);
        let charts = write_charts(&results, &dir, &[]).unwrap();
        assert!(charts.iter().all(|c| c.kind != ChartKind::Sweep));
        assert_eq!(charts.len(), 3);
        // An empty histogram and all-NaN series still give charts.
        results.points[0].histograms[0].1.reset();
        results.points[0].series.values.iter_mut().for_each(|v| *v = f64::NAN);
        let charts = write_charts(&results, &dir, &[]).unwrap();
        assert_eq!(charts.len(), 3);
        assert!(std::fs::read_to_string(&charts[0].svg).unwrap().contains("no observations"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn cdf_lines_are_capped_and_monotone() {
        let values: Vec<f64> = (1..=100_000).map(|i| f64::from(i) * 0.013).collect();
        let points = cdf_points(&histogram(&values), 0.01, 5.0);
        assert!(points.len() <= 2 * CDF_STEPS as usize + 3, "{} points", points.len());
        assert!(points.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert_eq!(points[0].1, 0.0);
        assert_eq!(points.last().unwrap().1, 1.0);
    }

    #[test]
    fn shades_merge_within_a_pixel() {
        let shade = |start_s: f64, end_s: f64, label: &str| Shade { start_s, end_s, label: label.into() };
        let shades = [
            shade(50.0, 60.0, "b"),
            shade(10.0, 20.0, "a"),
            shade(20.5, 30.0, "a"),
            shade(-5.0, 1.0, "early"),
            shade(200.0, 300.0, "late"),
            shade(5.0, 5.0, "empty"),
        ];
        let merged = merge_shades(&shades, (0.0, 100.0), |x| x as i32);
        assert_eq!(
            merged,
            vec![(0.0, 1.0, "early".to_string()), (10.0, 30.0, "a".to_string()), (50.0, 60.0, "b".to_string())]
        );
        let many: Vec<Shade> = (0..1000).map(|i| shade(f64::from(i) * 0.1, f64::from(i) * 0.1 + 0.05, "x")).collect();
        assert_eq!(merge_shades(&many, (0.0, 100.0), |x| x as i32).len(), 1);
    }

    #[test]
    fn helpers() {
        assert_eq!(sanitize("app/odd name:x"), "app_odd_name_x");
        assert_eq!(sanitize("a.b-c_d"), "a.b-c_d");
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(1000.0), "1000");
        assert_eq!(tick(0.001), "0.001");
        assert_eq!(tick(1e7), "1e7");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(category_label(&["a".into(), "b".into()], 1.0), "b");
        assert_eq!(category_label(&["a".into(), "b".into()], 0.5), "");
        assert_eq!(segments(&[1.0, f64::NAN, 2.0, 3.0], |v: &f64| v.is_finite()), vec![vec![1.0], vec![2.0, 3.0]]);
    }
}

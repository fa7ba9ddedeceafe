//! Builds the charts of an experiment as data: latency CDFs from the merged histograms,
//! sweep charts with their confidence bands, and time series.

use super::*;

/// Names in order of first appearance.
pub(super) fn ordered_names<'a>(lists: impl Iterator<Item = &'a str>) -> Vec<String> {
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
pub(super) fn cdf_points(histogram: &Histogram<u64>, floor_ms: f64, log_span: f64) -> Vec<(f64, f64)> {
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

pub(super) fn latency_cdf_chart(results: &ExperimentResults, metric: &str) -> Chart {
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
            markers: false,
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
pub(super) struct SweepLayout {
    axis: XAxis,
    range: (f64, f64),
    x_labels: usize,
    /// x of each point.
    xs: Vec<f64>,
    /// `(label of the other parameters' values, point indices ordered by x)`.
    groups: Vec<(Option<String>, Vec<usize>)>,
}

pub(super) fn sweep_layout(results: &ExperimentResults) -> SweepLayout {
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

/// How far above a `below` objective's bound a sweep chart's axis reaches: 4 × the bound.
/// Values beyond are drawn at that height (the title says so): enough room to see how far a
/// failing point misses, while the points near the bound stay readable.
pub(super) const CLIP_FACTOR: f64 = 4.0;

pub(super) fn sweep_chart(
    results: &ExperimentResults,
    layout: &SweepLayout,
    metric: &str,
    objectives: &[ObjectiveLine],
) -> Chart {
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
            markers: false,
            points: members.iter().map(|&i| (layout.xs[i], value(i, &|m| m.mean))).collect(),
        });
        if latency {
            lines.push(Line {
                label: Some(named("p99")),
                color: g,
                dashed: true,
                markers: false,
                points: members
                    .iter()
                    .map(|&i| (layout.xs[i], value(i, &|m| m.percentiles.map_or(f64::NAN, |p| p.p99))))
                    .collect(),
            });
        }
    }
    let has_data = lines.iter().any(|l| l.points.iter().any(|p| p.1.is_finite()));
    // An overloaded point's latency (seconds) would flatten the region around a `below`
    // objective (milliseconds) into the axis: values beyond CLIP_FACTOR × the bound are drawn
    // at that height, and the title says so.
    // The bound of an objective on this metric, or on a latency for a latency chart (a
    // component's latency is a part of the users' one the objective bounds).
    let is_latency = |name: &str| results.metric_across_points(name).iter().flatten().any(|m| m.unit == Unit::Millis);
    let clip = objectives
        .iter()
        .filter(|objective| objective.below)
        .filter(|objective| objective.metric == metric || (unit == Unit::Millis && is_latency(&objective.metric)))
        .filter_map(|objective| objective.bound.filter(|bound| bound.is_finite() && *bound > 0.0))
        .map(|bound| bound * CLIP_FACTOR)
        .reduce(f64::max)
        .filter(|cap| {
            let above = |value: f64| value.is_finite() && value > *cap;
            lines.iter().any(|l| l.points.iter().any(|p| above(p.1)))
                || bands.iter().any(|b| b.points.iter().any(|p| above(p.2)))
        });
    if let Some(cap) = clip {
        for line in &mut lines {
            for point in &mut line.points {
                point.1 = point.1.min(cap);
            }
        }
        for band in &mut bands {
            for point in &mut band.points {
                point.1 = point.1.min(cap);
                point.2 = point.2.min(cap);
            }
        }
    }
    lines.extend(objective_lines(objectives, metric, layout.range));
    let ys = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(bands.iter().flat_map(|b| b.points.iter().flat_map(|p| [p.1, p.2])))
        .collect::<Vec<_>>();
    Chart {
        kind: ChartKind::Sweep,
        name: metric.to_string(),
        title: format!(
            "{metric} vs {param}{}{}",
            if several { " (shaded: 95% CI of the mean)" } else { "" },
            clip.map(|cap| format!(" — values above {} {} drawn at the top", tick(cap), unit_label(unit)))
                .unwrap_or_default()
        ),
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

/// The objectives on `metric` as red dashed lines at their bound across `x_range`.
pub(super) fn objective_lines(objectives: &[ObjectiveLine], metric: &str, x_range: (f64, f64)) -> Vec<Line> {
    objectives
        .iter()
        .filter(|objective| objective.metric == metric)
        .filter_map(|objective| {
            let bound = objective.bound.filter(|b| b.is_finite())?;
            Some(Line {
                label: Some(format!(
                    "objective: {} {} {}",
                    objective.stat,
                    if objective.below { "≤" } else { "≥" },
                    tick(bound)
                )),
                color: SLO_COLOR,
                dashed: true,
                markers: false,
                points: vec![(x_range.0, bound), (x_range.1, bound)],
            })
        })
        .collect()
}

/// Values of column `name` as `(end of interval in s, value)`, averaged in buckets when there
/// are more than [`MAX_SERIES_POINTS`] rows.
pub(super) fn series_points(point: &PointResult, name: &str) -> Vec<(f64, f64)> {
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

pub(super) fn time_series_chart(results: &ExperimentResults, name: &str, shades: &[Shade]) -> Chart {
    let lines: Vec<Line> = results
        .points
        .iter()
        .enumerate()
        .filter(|(_, point)| point.series.names.iter().any(|n| n == name))
        .map(|(i, point)| Line {
            label: point_label(results, point),
            color: i,
            dashed: false,
            markers: false,
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

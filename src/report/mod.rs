//! Output files: `summary.csv`, `replications.csv`, `timeseries.csv`, HDR histograms, the
//! resolved scenario, charts and `report.html`. Every file is written atomically (a temporary
//! file in the same folder, then a rename), so a reader never sees half a file and an
//! interrupted run never damages results already on disk.

pub mod charts;
pub mod compare;
pub mod console;
pub mod html;
pub mod objectives;
pub mod plans;
pub mod runs;

use std::io::Write;
use std::path::{Path, PathBuf};

use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};

use crate::experiment::{ExperimentResults, MetricSummary};
use crate::planning::Planning;

/// Errors while writing outputs.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A histogram could not be serialized.
    #[error("cannot serialize histogram {metric}: {message}")]
    Histogram {
        /// The metric.
        metric: String,
        /// The cause.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("cannot draw chart {path}: {message}")]
    Chart {
        /// The chart file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io { path: path.to_path_buf(), source }
}

/// Writes `bytes` to `path` atomically: a temporary sibling file, flushed, then renamed.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(io_error(path))
}

/// Writes `bytes` to `path` inside a staging folder that [`write_all`] renames into place
/// whole: no temporary file (nobody reads the folder before the rename) and no flush to disk
/// per file — [`sync_folder`] makes the whole folder durable at once before the rename.
pub fn stage_write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    std::fs::write(path, bytes).map_err(io_error(path))
}

/// Makes every file written under `dir` durable before it is renamed into place. On Linux one
/// `syncfs` flushes the filesystem once: a flush per file cost about 5 ms each here (1.9 s for
/// the 368 files of a 20-point sweep, against 0.2 s for one syncfs), all of it in the serial
/// phase after the simulations. Elsewhere each file is flushed.
pub fn sync_folder(dir: &Path) -> Result<(), ReportError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let folder = std::fs::File::open(dir).map_err(io_error(dir))?;
        // SAFETY: syncfs takes an open file descriptor, which `folder` holds for the call.
        if unsafe { libc::syncfs(folder.as_raw_fd()) } == 0 {
            return Ok(());
        }
        Err(ReportError::Io { path: dir.to_path_buf(), source: std::io::Error::last_os_error() })
    }
    #[cfg(not(target_os = "linux"))]
    {
        for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
            let path = entry.map_err(io_error(dir))?.path();
            if path.is_dir() {
                sync_folder(&path)?;
            } else {
                std::fs::File::open(&path).and_then(|file| file.sync_all()).map_err(io_error(&path))?;
            }
        }
        Ok(())
    }
}

/// Formats a number for CSV: empty for NaN, otherwise the shortest exact representation
/// rounded to 9 significant digits (stable across platforms).
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    if value == 0.0 {
        return "0".into();
    }
    let formatted = format!("{value:.8e}");
    let parsed: f64 = formatted.parse().unwrap_or(value);
    let plain = format!("{parsed}");
    if plain.len() <= 16 { plain } else { formatted }
}

pub(crate) fn csv_bytes(rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(&row);
    }
    writer.into_inner().unwrap_or_default()
}

/// The `summary.csv` columns, in their contractual order.
pub fn summary_header(results: &ExperimentResults) -> Vec<String> {
    let mut header = vec!["point".to_string()];
    header.extend(results.sweep_params.iter().cloned());
    for column in
        ["metric", "unit", "replications", "mean", "ci95_low", "ci95_high", "p50", "p90", "p99", "p999", "max", "count"]
    {
        header.push(column.into());
    }
    header
}

fn summary_row(point: usize, params: &[String], metric: &MetricSummary) -> Vec<String> {
    let mut row = vec![point.to_string()];
    row.extend(params.iter().cloned());
    row.push(metric.name.clone());
    row.push(metric.unit.as_str().into());
    row.push(metric.replications.to_string());
    row.push(number(metric.mean));
    row.push(number(metric.ci95_low));
    row.push(number(metric.ci95_high));
    match metric.percentiles {
        Some(p) => row.extend([p.p50, p.p90, p.p99, p.p999, p.max].map(number)),
        None => row.extend(std::iter::repeat_n(String::new(), 5)),
    }
    row.push(metric.count.map(|c| c.to_string()).unwrap_or_default());
    row
}

/// The `unit` of the row that marks an unstable point in `summary.csv`.
pub const STATUS_UNIT: &str = "status";

/// The row of `summary.csv` that stands for an unstable point's metrics: its marker
/// (`unstable (ρ ≥ 1 at app)`) as the metric, [`STATUS_UNIT`] as the unit, 0 replications and
/// no numbers.
fn unstable_row(point: usize, params: &[String], marker: String) -> Vec<String> {
    let mut row = vec![point.to_string()];
    row.extend(params.iter().cloned());
    row.push(marker);
    row.push(STATUS_UNIT.into());
    row.push("0".into());
    row.extend(std::iter::repeat_n(String::new(), 9));
    row
}

/// `summary.csv`: one row per point and metric; an unstable point has one row instead, its
/// marker in the `metric` column and `status` in the `unit` column. With a capacity plan,
/// each point ends with a `cost.monthly` row (unit `usd`; the cost is fixed by the
/// configuration, so the interval is the value itself).
pub fn summary_csv(results: &ExperimentResults, planning: Option<&Planning>) -> Vec<u8> {
    let mut rows = vec![summary_header(results)];
    for point in &results.points {
        if let Some(unstable) = &point.unstable {
            rows.push(unstable_row(point.index, &point.params, unstable.marker()));
        }
        for metric in &point.metrics {
            rows.push(summary_row(point.index, &point.params, metric));
        }
        if let Some(adaptive) = &point.adaptive {
            rows.push(adaptive_row(point.index, &point.params, adaptive));
        }
        if let Some(plan) = planning.and_then(|planning| planning.points.iter().find(|p| p.index == point.index)) {
            rows.push(plans::cost_row(point, plan));
        }
    }
    csv_bytes(rows)
}

/// The row of `summary.csv` that says how many replications an adaptive point ran: its
/// status in the `metric` column (`replications (adaptive, ±5% on users.latency): met`), the
/// [`STATUS_UNIT`], the replications run, and the relative half-width reached (the worst
/// metric's) as the mean.
fn adaptive_row(
    point: usize,
    params: &[String],
    adaptive: &crate::experiment::adaptive::AdaptiveOutcome,
) -> Vec<String> {
    let mut row = vec![point.to_string()];
    row.extend(params.iter().cloned());
    row.push(format!(
        "replications (adaptive, ±{}% on {}): {}",
        number(adaptive.target.relative_precision * 100.0),
        adaptive.target.metrics.join(" and "),
        if adaptive.met() { "met" } else { "not met at max_replications" }
    ));
    row.push(STATUS_UNIT.into());
    row.push(adaptive.replications.to_string());
    row.push(number(adaptive.precision));
    row.extend(std::iter::repeat_n(String::new(), 8));
    row
}

/// `replications.csv`: one row per point, replication and metric: its value (a latency's mean
/// in ms) and, for latency metrics, that replication's own percentiles (what objectives on a
/// percentile are judged from: `planning::plan`).
pub fn replications_csv(results: &ExperimentResults) -> Vec<u8> {
    let mut header = vec!["point".to_string()];
    header.extend(results.sweep_params.iter().cloned());
    header.extend(
        ["replication", "metric", "unit", "value", "events", "p50", "p90", "p95", "p99", "p999", "max"]
            .map(String::from),
    );
    let mut rows = vec![header];
    for point in &results.points {
        for replication in &point.replications {
            for (position, (metric, value)) in point.metrics.iter().zip(&replication.values).enumerate() {
                let mut row = vec![point.index.to_string()];
                row.extend(point.params.iter().cloned());
                row.push(replication.replication.to_string());
                row.push(metric.name.clone());
                row.push(metric.unit.as_str().into());
                row.push(number(*value));
                row.push(replication.events.to_string());
                match replication.percentiles.get(position).copied().flatten() {
                    Some(p) => row.extend([p.p50, p.p90, p.p95, p.p99, p.p999, p.max].map(number)),
                    None => row.extend(std::iter::repeat_n(String::new(), 6)),
                }
                rows.push(row);
            }
        }
    }
    csv_bytes(rows)
}

/// `timeseries.csv` in long form: point, parameters, time_s (end of the interval), series,
/// value (the mean across replications of the interval average).
pub fn timeseries_csv(results: &ExperimentResults) -> Vec<u8> {
    let mut header = vec!["point".to_string()];
    header.extend(results.sweep_params.iter().cloned());
    header.extend(["time_s", "series", "value"].map(String::from));
    let mut rows = vec![header];
    for point in &results.points {
        let series = &point.series;
        for r in 0..series.rows() {
            let time = series.interval.as_secs_f64() * (r + 1) as f64;
            for (name, value) in series.names.iter().zip(series.row(r)) {
                let mut row = vec![point.index.to_string()];
                row.extend(point.params.iter().cloned());
                row.push(number(time));
                row.push(name.clone());
                row.push(number(*value));
                rows.push(row);
            }
        }
    }
    csv_bytes(rows)
}

/// Everything [`write_all`] puts in a results folder.
pub const OUTPUT_ENTRIES: &[&str] = &[
    "scenario.resolved.toml",
    "summary.csv",
    "plans.csv",
    "cost.csv",
    "replications.csv",
    "timeseries.csv",
    "report.html",
    "histograms",
    "charts",
];

/// The fault windows of the first point as chart shades (scheduled faults are the same at
/// every point; stochastic ones differ, and the first point's are shown) — the first stable
/// point's, since an unstable one has no time series.
fn shades(results: &ExperimentResults) -> Vec<charts::Shade> {
    let Some(point) = results.points.iter().find(|point| point.unstable.is_none()) else { return Vec::new() };
    let end = point.series.interval.as_secs_f64() * point.series.rows() as f64;
    point
        .fault_windows
        .iter()
        .map(|window| charts::Shade {
            start_s: window.start.as_secs_f64(),
            end_s: window.end.map(|t| t.as_secs_f64()).unwrap_or(end),
            label: window.label.clone(),
        })
        .collect()
}

/// The CSV tables, the resolved scenario and the histograms, staged into `dir`.
fn write_tables(
    results: &ExperimentResults,
    planning: Option<&Planning>,
    resolved_toml: &str,
    dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), ReportError> {
        let path = dir.join(name);
        stage_write(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    put("scenario.resolved.toml", resolved_toml.as_bytes())?;
    put("summary.csv", &summary_csv(results, planning))?;
    if let Some(planning) = planning {
        put("plans.csv", &plans::plans_csv(results, planning))?;
        put("cost.csv", &plans::cost_csv(results, planning))?;
    }
    put("replications.csv", &replications_csv(results))?;
    put("timeseries.csv", &timeseries_csv(results))?;
    for point in &results.points {
        for (metric, histogram) in &point.histograms {
            let mut bytes = Vec::new();
            V2DeflateSerializer::new()
                .serialize(histogram, &mut bytes)
                .map_err(|e| ReportError::Histogram { metric: metric.clone(), message: format!("{e:?}") })?;
            put(&format!("histograms/point-{}/{metric}.hdr", point.index), &bytes)?;
        }
    }
    Ok(written)
}

fn write_into(
    results: &ExperimentResults,
    planning: Option<&Planning>,
    resolved_toml: &str,
    dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let objectives = objectives::objective_lines(resolved_toml, results);
    let shades = shades(results);
    let inputs = charts::ChartInputs { shades: &shades, objectives: &objectives, planning };
    // The tables and histograms are written while the charts are drawn (one task per chart):
    // the writing would otherwise wait, serial, for the last chart.
    let (tables, charts) = rayon::join(
        || write_tables(results, planning, resolved_toml, dir),
        || charts::write_charts(results, dir, &inputs),
    );
    let mut written = tables?;
    let charts = charts?;
    for chart in &charts {
        written.push(chart.svg.clone());
        written.push(chart.png.clone());
    }
    let page = html::Page { results, planning, resolved_toml, objectives: &objectives, charts: &charts };
    written.push(html::write_report(&page, dir)?);
    Ok(written)
}

/// Checks that `dir` may be replaced by a run's results: it does not exist, or it holds only
/// what stratus writes (notes or notebooks a user keeps beside the results are never deleted).
/// Call it before simulating, so a refusal costs no simulation time; [`write_all`] checks again.
pub fn check_output_folder(dir: &Path) -> Result<(), ReportError> {
    let refuse =
        |message: &str| ReportError::Io { path: dir.to_path_buf(), source: std::io::Error::other(message.to_string()) };
    if dir.file_name().is_none() {
        return Err(refuse("the output folder needs a name (not `.` or `/`)"));
    }
    if dir.exists() {
        let entries = std::fs::read_dir(dir).map_err(io_error(dir))?;
        for entry in entries {
            let name = entry.map_err(io_error(dir))?.file_name();
            if !OUTPUT_ENTRIES.iter().any(|known| name == *known) {
                return Err(refuse(&format!(
                    "it holds `{}`, which stratus did not write; move it away or choose another --out",
                    name.to_string_lossy()
                )));
            }
        }
    }
    Ok(())
}

/// Writes every output of `results` into `dir`, with the capacity plan
/// [`planning::evaluate`](crate::planning::evaluate) makes of them; returns the files written.
/// See [`write_all_planned`].
pub fn write_all(results: &ExperimentResults, resolved_toml: &str, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let planning = crate::planning::evaluate(results);
    write_all_planned(results, planning.as_ref(), resolved_toml, dir)
}

/// Writes every output of `results` and `planning` (plans.csv, cost.csv and the report's
/// plan sections only with one) into `dir`; returns the files written.
///
/// Everything is first written into a staging folder beside `dir`, which then replaces `dir`
/// whole: a reader never sees a mix of two runs, files of an earlier run with more sweep
/// points do not linger, and a failure leaves the earlier results untouched. A folder
/// holding anything stratus did not write is never replaced.
pub fn write_all_planned(
    results: &ExperimentResults,
    planning: Option<&Planning>,
    resolved_toml: &str,
    dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let refuse =
        |message: &str| ReportError::Io { path: dir.to_path_buf(), source: std::io::Error::other(message.to_string()) };
    let name = dir.file_name().ok_or_else(|| refuse("the output folder needs a name (not `.` or `/`)"))?;
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    check_output_folder(dir)?;
    std::fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let tag = format!("{}-{}", name.to_string_lossy(), std::process::id());
    let staging = parent.join(format!(".{tag}.staging"));
    let _ = std::fs::remove_dir_all(&staging);
    let written = match write_into(results, planning, resolved_toml, &staging).and_then(|written| {
        sync_folder(&staging)?;
        Ok(written)
    }) {
        Ok(written) => written,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(error);
        }
    };
    if dir.exists() {
        let old = parent.join(format!(".{tag}.old"));
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dir, &old).map_err(io_error(dir))?;
        if let Err(source) = std::fs::rename(&staging, dir) {
            let _ = std::fs::rename(&old, dir);
            return Err(ReportError::Io { path: dir.to_path_buf(), source });
        }
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&staging, dir).map_err(io_error(dir))?;
    }
    Ok(written.into_iter().map(|path| dir.join(path.strip_prefix(&staging).unwrap_or(&path))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(number(f64::NAN), "");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(1234567.0), "1234567");
        assert_eq!(number(1.0 / 3.0), "0.333333333");
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = std::env::temp_dir().join(format!("stratus-atomic-{}", std::process::id()));
        let path = dir.join("x.csv");
        atomic_write(&path, b"one").unwrap();
        atomic_write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

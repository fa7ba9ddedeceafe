//! Reading a results folder written by `stratus run`: its resolved scenario (seed, common
//! random numbers), `summary.csv` and `replications.csv`, with errors naming the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::CompareError;
use crate::report::STATUS_UNIT;

/// What a folder must hold to be compared, as `stratus run` writes it.
pub const REQUIRED_FILES: [&str; 3] = ["scenario.resolved.toml", "summary.csv", "replications.csv"];

/// The percentile statistics of `summary.csv`, in column order.
pub const PERCENTILE_STATS: [&str; 5] = ["p50", "p90", "p99", "p999", "max"];

/// The per-replication percentile columns `replications.csv` may have (empty for scalars), in
/// the order compared: each replication's own percentile, from its histogram before the merge.
pub const REPLICATION_STATS: [&str; 6] = ["p50", "p90", "p95", "p99", "p999", "max"];

/// One metric's row of `summary.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Metric name.
    pub metric: String,
    /// Unit as written (`ms`, `fraction`, `usd`).
    pub unit: String,
    /// Mean across replications.
    pub mean: f64,
    /// Lower end of its 95% interval.
    pub ci95_low: f64,
    /// Upper end.
    pub ci95_high: f64,
    /// p50, p90, p99, p999, max (NaN where empty).
    pub percentiles: [f64; 5],
}

/// One sweep point of a results folder.
#[derive(Clone, Debug, Default)]
pub struct FolderPoint {
    /// Values of the swept parameters.
    pub params: Vec<String>,
    /// Its unstable marker, if any.
    pub unstable: Option<String>,
    /// Its metrics, in summary.csv order.
    pub metrics: Vec<SummaryRow>,
    /// Per-replication values: `(metric, stat)` → replication → value; `stat` is `mean` for
    /// the `value` column, or a percentile column's name.
    pub replications: BTreeMap<(String, String), BTreeMap<u32, f64>>,
    /// The replication indices the point has rows for.
    pub replication_ids: Vec<u32>,
}

/// A results folder, as far as a comparison needs it.
#[derive(Clone, Debug)]
pub struct ResultsFolder {
    /// Where it is.
    pub dir: PathBuf,
    /// Dotted paths of the swept parameters.
    pub sweep_params: Vec<String>,
    /// `simulation.seed` of the resolved scenario.
    pub seed: Option<u64>,
    /// `simulation.common_random_numbers` (true when absent, the default).
    pub common_random_numbers: bool,
    /// Its points, by index.
    pub points: Vec<FolderPoint>,
}

impl ResultsFolder {
    /// Reads the folder `dir` written by `stratus run`.
    pub fn load(dir: &Path) -> Result<ResultsFolder, CompareError> {
        if !dir.is_dir() {
            return Err(CompareError::NoFolder(dir.to_path_buf()));
        }
        for missing in REQUIRED_FILES {
            if !dir.join(missing).is_file() {
                return Err(CompareError::NotResults { folder: dir.to_path_buf(), missing });
            }
        }
        let toml_path = dir.join("scenario.resolved.toml");
        let text = read(&toml_path)?;
        let table: toml::Table = text.parse().map_err(|error: toml::de::Error| CompareError::Malformed {
            path: toml_path.clone(),
            line: error.span().map_or(1, |span| text[..span.start].lines().count().max(1) as u64),
            message: format!("not valid TOML: {}", error.message()),
        })?;
        let simulation = table.get("simulation").and_then(|value| value.as_table());
        let seed = simulation.and_then(|s| s.get("seed")).and_then(|v| v.as_integer()).map(|v| v as u64);
        let common_random_numbers =
            simulation.and_then(|s| s.get("common_random_numbers")).and_then(|v| v.as_bool()).unwrap_or(true);
        let (sweep_params, mut points) = read_summary(&dir.join("summary.csv"))?;
        read_replications(&dir.join("replications.csv"), &mut points)?;
        Ok(ResultsFolder { dir: dir.to_path_buf(), sweep_params, seed, common_random_numbers, points })
    }

    /// The point's value of the simulation setting `key` (`seed`): its sweep column if it is
    /// swept, else the resolved scenario's.
    pub(super) fn swept(&self, point: usize, key: &str) -> Option<&str> {
        let column = self.sweep_params.iter().position(|param| param == &format!("simulation.{key}"))?;
        self.points.get(point)?.params.get(column).map(String::as_str)
    }

    pub(super) fn seed_of(&self, point: usize) -> Option<u64> {
        self.swept(point, "seed").and_then(|text| text.parse().ok()).or(self.seed)
    }

    pub(super) fn crn_of(&self, point: usize) -> bool {
        self.swept(point, "common_random_numbers")
            .and_then(|text| text.parse().ok())
            .unwrap_or(self.common_random_numbers)
    }

    /// "results/web (point 2: component.db.replicas=2)".
    pub fn label(&self, point: usize) -> String {
        let params = self.points.get(point).map(|p| p.params.as_slice()).unwrap_or_default();
        let pairs: Vec<String> = self.sweep_params.iter().zip(params).map(|(k, v)| format!("{k}={v}")).collect();
        if pairs.is_empty() {
            format!("{} (point {point})", self.dir.display())
        } else {
            format!("{} (point {point}: {})", self.dir.display(), pairs.join(", "))
        }
    }

    pub(super) fn point(&self, point: usize) -> Result<&FolderPoint, CompareError> {
        let found = self.points.get(point).ok_or_else(|| CompareError::PointOutOfRange {
            folder: self.dir.clone(),
            point,
            count: self.points.len(),
        })?;
        if let Some(marker) = &found.unstable {
            return Err(CompareError::Unstable { folder: self.dir.clone(), point, marker: marker.clone() });
        }
        Ok(found)
    }
}

fn read(path: &Path) -> Result<String, CompareError> {
    std::fs::read_to_string(path).map_err(|source| CompareError::Read { path: path.to_path_buf(), source })
}

fn csv_reader(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>), CompareError> {
    let file = std::fs::File::open(path).map_err(|source| CompareError::Read { path: path.to_path_buf(), source })?;
    let mut reader = csv::Reader::from_reader(file);
    let header = reader
        .headers()
        .map_err(|error| CompareError::Malformed { path: path.to_path_buf(), line: 1, message: error.to_string() })?
        .iter()
        .map(str::to_string)
        .collect();
    Ok((reader, header))
}

fn column(path: &Path, header: &[String], name: &str) -> Result<usize, CompareError> {
    header.iter().position(|column| column == name).ok_or_else(|| CompareError::Malformed {
        path: path.to_path_buf(),
        line: 1,
        message: format!("no `{name}` column (the header is `{}`)", header.join(",")),
    })
}

/// A number of a CSV cell; empty is NaN (nothing measured).
fn cell_number(path: &Path, line: u64, column: &str, text: &str) -> Result<f64, CompareError> {
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    text.parse().map_err(|_| CompareError::Malformed {
        path: path.to_path_buf(),
        line,
        message: format!("`{column}` is `{text}`, not a number"),
    })
}

fn cell_index(path: &Path, line: u64, column: &str, text: &str) -> Result<usize, CompareError> {
    text.parse().map_err(|_| CompareError::Malformed {
        path: path.to_path_buf(),
        line,
        message: format!("`{column}` is `{text}`, not a whole number"),
    })
}

fn read_summary(path: &Path) -> Result<(Vec<String>, Vec<FolderPoint>), CompareError> {
    let (mut reader, header) = csv_reader(path)?;
    let at = |name| column(path, &header, name);
    let (point_at, metric_at, unit_at) = (at("point")?, at("metric")?, at("unit")?);
    let (mean_at, low_at, high_at) = (at("mean")?, at("ci95_low")?, at("ci95_high")?);
    if point_at != 0 || metric_at == 0 {
        return Err(CompareError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            message: "expected `point`, the swept parameters, then `metric`, as `stratus run` writes".into(),
        });
    }
    let sweep_params = header[1..metric_at].to_vec();
    let percentile_at: Vec<Option<usize>> =
        PERCENTILE_STATS.iter().map(|stat| header.iter().position(|column| column == stat)).collect();
    let mut points: Vec<FolderPoint> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| malformed_record(path, error))?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |index: usize| record.get(index).unwrap_or_default();
        let index = cell_index(path, line, "point", get(point_at))?;
        if index >= points.len() {
            points.resize_with(index + 1, FolderPoint::default);
        }
        let point = &mut points[index];
        point.params = (1..metric_at).map(|i| get(i).to_string()).collect();
        if get(unit_at) == STATUS_UNIT {
            if get(metric_at).starts_with("unstable") {
                point.unstable = Some(get(metric_at).to_string());
            }
            continue;
        }
        let mut percentiles = [f64::NAN; 5];
        for (slot, (at, stat)) in percentiles.iter_mut().zip(percentile_at.iter().zip(PERCENTILE_STATS)) {
            if let Some(at) = at {
                *slot = cell_number(path, line, stat, get(*at))?;
            }
        }
        point.metrics.push(SummaryRow {
            metric: get(metric_at).to_string(),
            unit: get(unit_at).to_string(),
            mean: cell_number(path, line, "mean", get(mean_at))?,
            ci95_low: cell_number(path, line, "ci95_low", get(low_at))?,
            ci95_high: cell_number(path, line, "ci95_high", get(high_at))?,
            percentiles,
        });
    }
    Ok((sweep_params, points))
}

/// A CSV record that cannot be read, at its line.
fn malformed_record(path: &Path, error: csv::Error) -> CompareError {
    CompareError::Malformed {
        path: path.to_path_buf(),
        line: error.position().map_or(0, |p| p.line()),
        message: error.to_string(),
    }
}

fn read_replications(path: &Path, points: &mut [FolderPoint]) -> Result<(), CompareError> {
    let (mut reader, header) = csv_reader(path)?;
    let at = |name| column(path, &header, name);
    let (point_at, replication_at, metric_at, value_at) =
        (at("point")?, at("replication")?, at("metric")?, at("value")?);
    let mut stats: Vec<(String, usize)> = vec![("mean".to_string(), value_at)];
    for stat in REPLICATION_STATS {
        if let Some(index) = header.iter().position(|column| column == stat) {
            stats.push((stat.to_string(), index));
        }
    }
    for record in reader.records() {
        let record = record.map_err(|error| malformed_record(path, error))?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |index: usize| record.get(index).unwrap_or_default();
        let index = cell_index(path, line, "point", get(point_at))?;
        let count = points.len();
        let point = points.get_mut(index).ok_or_else(|| CompareError::Malformed {
            path: path.to_path_buf(),
            line,
            message: format!("point {index}, but summary.csv has {count} point(s)"),
        })?;
        let replication = cell_index(path, line, "replication", get(replication_at))? as u32;
        if point.replication_ids.last() != Some(&replication) && !point.replication_ids.contains(&replication) {
            point.replication_ids.push(replication);
        }
        for (stat, at) in &stats {
            let value = cell_number(path, line, stat, get(*at))?;
            if value.is_nan() && stat != "mean" {
                // A scalar has no percentiles.
                continue;
            }
            point
                .replications
                .entry((get(metric_at).to_string(), stat.clone()))
                .or_default()
                .insert(replication, value);
        }
    }
    for point in points {
        point.replication_ids.sort_unstable();
    }
    Ok(())
}

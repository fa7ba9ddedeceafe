//! `stratus compare`: the differences between two sweep points — of two results folders
//! written by `stratus run`, or two points of one — metric by metric, with 95% confidence
//! intervals over the replications.
//!
//! For each metric both points report, the difference is B − A of the means across
//! replications. When the two points drew the same random numbers replication by replication
//! (the same seed and `common_random_numbers = true`, the default, or the same point index),
//! replication r of A is paired with replication r of B and the interval is the Student-t
//! interval of the paired differences: both saw the same arrivals and service draws, so the
//! noise they share cancels and the interval is much tighter than for independent runs.
//! Otherwise (other seeds, `common_random_numbers = false`, other replications) the interval
//! is Welch's for two independent samples, and the comparison says why.
//!
//! Percentiles (p50 … max of the merged histograms) come from `summary.csv`: their
//! differences are given without an interval unless `replications.csv` has per-replication
//! percentile columns (`p50`, `p90`, `p95`, `p99`, `p999`, `max`: each replication's own, from
//! its histogram before the merge), which are then used like the means.
//! A metric with no per-replication values (such as `cost.monthly`) is compared from
//! `summary.csv`: exactly when both its intervals are a single value (a fixed cost), without
//! an interval otherwise.

mod folder;
mod output;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::experiment::stats::{estimate, t_quantile_975};
pub use folder::{FolderPoint, PERCENTILE_STATS, REPLICATION_STATS, REQUIRED_FILES, ResultsFolder, SummaryRow};
pub use output::{CSV_HEADER, compare_csv, table};

/// Why a comparison cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The folder does not exist.
    #[error("no folder {}: expected a results folder written by `stratus run`", .0.display())]
    NoFolder(PathBuf),
    /// The folder lacks one of [`REQUIRED_FILES`].
    #[error(
        "{} is not a stratus results folder: it has no {missing} (a folder written by `stratus run` holds \
         scenario.resolved.toml, summary.csv and replications.csv)", .folder.display()
    )]
    NotResults {
        /// The folder.
        folder: PathBuf,
        /// The file it lacks.
        missing: &'static str,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file does not have the shape `stratus run` writes.
    #[error("{}:{line}: {message}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Line number (1 = the header).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The point asked for is not in the folder.
    #[error("{} has sweep point(s) 0 to {}; there is no point {point}", .folder.display(), .count.saturating_sub(1))]
    PointOutOfRange {
        /// The folder.
        folder: PathBuf,
        /// The point asked for.
        point: usize,
        /// How many points it has.
        count: usize,
    },
    /// A folder has several points and none was chosen.
    #[error("{}", .0)]
    ChoosePoints(String),
    /// The point is unstable: it has no measurements.
    #[error("point {point} of {} has no measurements: it is {marker}", .folder.display())]
    Unstable {
        /// The folder.
        folder: PathBuf,
        /// The point.
        point: usize,
        /// Its marker in summary.csv (`unstable (ρ ≥ 1 at app)`).
        marker: String,
    },
    /// The two points share no metric.
    #[error("{a} and {b} have no metric in common (A reports {a_metrics}; B reports {b_metrics})")]
    NoCommonMetrics {
        /// Label of A.
        a: String,
        /// Label of B.
        b: String,
        /// A few of A's metrics.
        a_metrics: String,
        /// A few of B's metrics.
        b_metrics: String,
    },
}

impl CompareError {
    /// Whether the error is the user's (a wrong folder or point): exit code 2. A file that
    /// exists but cannot be read is not.
    pub fn is_usage(&self) -> bool {
        !matches!(self, CompareError::Read { .. })
    }
}

/// How the intervals of a comparison were made.
#[derive(Clone, Debug, PartialEq)]
pub enum Pairing {
    /// Replication r of A paired with replication r of B.
    Paired {
        /// Replications paired.
        replications: usize,
    },
    /// Welch's interval for independent samples, and why the replications could not be paired.
    Welch {
        /// Why.
        reason: String,
    },
}

/// How one difference's interval was made.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Student-t interval of the paired per-replication differences.
    Paired,
    /// Welch's interval of two independent samples.
    Welch,
    /// Both values are fixed (zero-width intervals in summary.csv): the difference is exact.
    Exact,
    /// From summary.csv, without an interval (percentiles of the merged histograms).
    NoInterval,
}

impl Method {
    /// As written in compare.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Paired => "paired",
            Method::Welch => "welch",
            Method::Exact => "exact",
            Method::NoInterval => "summary (no interval)",
        }
    }
}

/// The difference B − A of one statistic of one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// Metric name.
    pub metric: String,
    /// `mean`, or a percentile (`p99`).
    pub stat: String,
    /// Unit.
    pub unit: String,
    /// A's value.
    pub a: f64,
    /// B's value.
    pub b: f64,
    /// B − A.
    pub difference: f64,
    /// (B − A) / |A| (NaN when A is 0).
    pub relative: f64,
    /// 95% interval of B − A (NaN when there is none).
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Welch's interval of B − A, for comparison with the paired one.
    pub welch_low: f64,
    /// Upper end.
    pub welch_high: f64,
    /// Whether the interval excludes 0 (None without an interval).
    pub significant: Option<bool>,
    /// How the interval was made.
    pub method: Method,
    /// Values of A and of B behind it.
    pub n: (usize, usize),
}

/// The comparison of point B with point A.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// What A is.
    pub a_label: String,
    /// What B is.
    pub b_label: String,
    /// How replications were paired.
    pub pairing: Pairing,
    /// One row per metric and statistic, in A's metric order.
    pub rows: Vec<Difference>,
    /// Metrics left out (only on one side, or other units).
    pub notes: Vec<String>,
}

/// Welch's 95% interval of mean(b) − mean(a) for independent samples (NaN with fewer than 2
/// finite values on a side). Degrees of freedom by Welch–Satterthwaite, rounded down (the
/// wider, conservative interval).
pub fn welch(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (ea, eb) = (estimate(a), estimate(b));
    if ea.n < 2 || eb.n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let variance = |values: &[f64], mean: f64, n: usize| {
        values.iter().filter(|v| v.is_finite()).map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64 / n as f64
    };
    let (va, vb) = (variance(a, ea.mean, ea.n), variance(b, eb.mean, eb.n));
    let difference = eb.mean - ea.mean;
    let se2 = va + vb;
    if se2 == 0.0 {
        return (difference, difference);
    }
    let df = se2 * se2 / (va * va / (ea.n - 1) as f64 + vb * vb / (eb.n - 1) as f64);
    let half = t_quantile_975((df.floor() as usize).max(1)) * se2.sqrt();
    (difference - half, difference + half)
}

/// Whether replication r of A and of B drew the same random numbers; Err(why not).
fn pairing(a: &ResultsFolder, pa: usize, b: &ResultsFolder, pb: usize) -> Result<usize, String> {
    let (seed_a, seed_b) = (a.seed_of(pa), b.seed_of(pb));
    if seed_a != seed_b || seed_a.is_none() {
        let show = |seed: Option<u64>| seed.map_or("unknown".to_string(), |s| s.to_string());
        return Err(format!(
            "the seeds differ ({} and {}), so the replications are independent",
            show(seed_a),
            show(seed_b)
        ));
    }
    // The point part of each run's stream key (experiment::run_tasks): 0 under common random
    // numbers, the point's index otherwise.
    let stream = |folder: &ResultsFolder, point: usize| if folder.crn_of(point) { 0 } else { point };
    if stream(a, pa) != stream(b, pb) {
        return Err("common_random_numbers = false: each sweep point draws its own random numbers".into());
    }
    let (ids_a, ids_b) = (&a.points[pa].replication_ids, &b.points[pb].replication_ids);
    if ids_a != ids_b {
        return Err(format!(
            "A has {} replication(s) and B {}: they cannot be paired one to one",
            ids_a.len(),
            ids_b.len()
        ));
    }
    Ok(ids_a.len())
}

/// What one difference is computed from: the two values, its interval and how it was made.
#[derive(Copy, Clone, Debug, PartialEq)]
struct Measured {
    a: f64,
    b: f64,
    low: f64,
    high: f64,
    welch_low: f64,
    welch_high: f64,
    method: Method,
    n: (usize, usize),
}

/// One difference from per-replication values.
fn from_replications(values_a: &BTreeMap<u32, f64>, values_b: &BTreeMap<u32, f64>, paired: bool) -> Measured {
    let a: Vec<f64> = values_a.values().copied().collect();
    let b: Vec<f64> = values_b.values().copied().collect();
    let (ea, eb) = (estimate(&a), estimate(&b));
    let (welch_low, welch_high) = welch(&a, &b);
    if paired {
        // Replications where both measured something (a latency with no sample is NaN).
        let differences: Vec<f64> =
            values_a.iter().filter_map(|(r, va)| values_b.get(r).map(|vb| vb - va)).filter(|d| d.is_finite()).collect();
        let ed = estimate(&differences);
        if ed.n >= 2 {
            let (low, high) = (ed.low, ed.high);
            return Measured {
                a: ea.mean,
                b: eb.mean,
                low,
                high,
                welch_low,
                welch_high,
                method: Method::Paired,
                n: (ed.n, ed.n),
            };
        }
    }
    Measured {
        a: ea.mean,
        b: eb.mean,
        low: welch_low,
        high: welch_high,
        welch_low,
        welch_high,
        method: Method::Welch,
        n: (ea.n, eb.n),
    }
}

/// Compares point `pb` of `b` with point `pa` of `a`: B − A for every metric both report.
pub fn compare(a: &ResultsFolder, pa: usize, b: &ResultsFolder, pb: usize) -> Result<Comparison, CompareError> {
    let (point_a, point_b) = (a.point(pa)?, b.point(pb)?);
    let (a_label, b_label) = (a.label(pa), b.label(pb));
    let pairing = match pairing(a, pa, b, pb) {
        Ok(replications) => Pairing::Paired { replications },
        Err(reason) => Pairing::Welch { reason },
    };
    let paired = matches!(pairing, Pairing::Paired { .. });
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut other_units = Vec::new();
    for row_a in &point_a.metrics {
        let Some(row_b) = point_b.metrics.iter().find(|row| row.metric == row_a.metric) else { continue };
        if row_b.unit != row_a.unit {
            other_units.push(format!("{} ({} in A, {} in B)", row_a.metric, row_a.unit, row_b.unit));
            continue;
        }
        let summary_value = |row: &SummaryRow, stat: &str| match PERCENTILE_STATS.iter().position(|p| *p == stat) {
            Some(index) => row.percentiles[index],
            None => f64::NAN,
        };
        let per_replication = |point: &FolderPoint, stat: &str| {
            point.replications.contains_key(&(row_a.metric.clone(), stat.to_string()))
        };
        let stats: Vec<(&str, f64, f64)> = std::iter::once(("mean", row_a.mean, row_b.mean))
            .chain(REPLICATION_STATS.iter().map(|stat| (*stat, summary_value(row_a, stat), summary_value(row_b, stat))))
            .filter(|(stat, va, vb)| {
                *stat == "mean"
                    || (va.is_finite() && vb.is_finite())
                    || (per_replication(point_a, stat) && per_replication(point_b, stat))
            })
            .collect();
        for (stat, summary_a, summary_b) in stats {
            let key = (row_a.metric.clone(), stat.to_string());
            let Measured { a: va, b: vb, low, high, welch_low, welch_high, method, n } =
                match (point_a.replications.get(&key), point_b.replications.get(&key)) {
                    (Some(values_a), Some(values_b)) => from_replications(values_a, values_b, paired),
                    _ => {
                        let fixed = |row: &SummaryRow| row.ci95_low == row.mean && row.ci95_high == row.mean;
                        let exact = stat == "mean" && fixed(row_a) && fixed(row_b);
                        let d = summary_b - summary_a;
                        let (low, high, method) =
                            if exact { (d, d, Method::Exact) } else { (f64::NAN, f64::NAN, Method::NoInterval) };
                        Measured {
                            a: summary_a,
                            b: summary_b,
                            low,
                            high,
                            welch_low: f64::NAN,
                            welch_high: f64::NAN,
                            method,
                            n: (0, 0),
                        }
                    }
                };
            let difference = vb - va;
            let significant = (low.is_finite() && high.is_finite()).then_some(low > 0.0 || high < 0.0);
            let scale = if va != 0.0 { va.abs() } else { f64::NAN };
            rows.push(Difference {
                metric: row_a.metric.clone(),
                stat: stat.to_string(),
                unit: row_a.unit.clone(),
                a: va,
                b: vb,
                difference,
                relative: difference / scale,
                low,
                high,
                welch_low,
                welch_high,
                significant,
                method,
                n,
            });
        }
    }
    if rows.is_empty() {
        let sample = |point: &FolderPoint| {
            let names: Vec<&str> = point.metrics.iter().take(5).map(|row| row.metric.as_str()).collect();
            let more = point.metrics.len().saturating_sub(names.len());
            match (names.is_empty(), more) {
                (true, _) => "nothing".to_string(),
                (false, 0) => names.join(", "),
                (false, more) => format!("{}, … ({more} more)", names.join(", ")),
            }
        };
        return Err(CompareError::NoCommonMetrics {
            a: a_label,
            b: b_label,
            a_metrics: sample(point_a),
            b_metrics: sample(point_b),
        });
    }
    let only = |of: &FolderPoint, other: &FolderPoint| -> Vec<String> {
        of.metrics
            .iter()
            .filter(|r| !other.metrics.iter().any(|o| o.metric == r.metric))
            .map(|r| r.metric.clone())
            .collect()
    };
    for (side, names) in [("A", only(point_a, point_b)), ("B", only(point_b, point_a))] {
        if !names.is_empty() {
            notes.push(format!("only in {side} (not compared): {}", names.join(", ")));
        }
    }
    if !other_units.is_empty() {
        notes.push(format!("in other units (not compared): {}", other_units.join(", ")));
    }
    Ok(Comparison { a_label, b_label, pairing, rows, notes })
}

/// `stratus compare`: `dirs` is `[A, B]` or `[DIR]`; `points` is `[I, J]` (point I of A, J
/// of B). Without `points`, two folders of one point each are compared, or the two points of
/// one folder.
pub fn run(dirs: &[PathBuf], points: Option<&[usize]>) -> Result<Comparison, CompareError> {
    let a = ResultsFolder::load(&dirs[0])?;
    let b = match dirs.get(1) {
        Some(dir) if dir != &dirs[0] => Some(ResultsFolder::load(dir)?),
        _ => None,
    };
    let (pa, pb) = match (points, &b) {
        (Some([i, j]), _) => (*i, *j),
        (Some(_), _) => return Err(CompareError::ChoosePoints("--points takes two point indices, I and J".into())),
        (None, None) if a.points.len() == 2 => (0, 1),
        (None, None) => {
            return Err(CompareError::ChoosePoints(format!(
                "{} has {} sweep point(s): choose the two to compare with --points I J (0 to {})",
                a.dir.display(),
                a.points.len(),
                a.points.len().saturating_sub(1)
            )));
        }
        (None, Some(b)) => {
            for folder in [&a, b] {
                if folder.points.len() != 1 {
                    return Err(CompareError::ChoosePoints(format!(
                        "{} has {} sweep points: choose with --points I J (point I of {}, point J of {})",
                        folder.dir.display(),
                        folder.points.len(),
                        a.dir.display(),
                        b.dir.display()
                    )));
                }
            }
            (0, 0)
        }
    };
    compare(&a, pa, b.as_ref().unwrap_or(&a), pb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_matches_a_hand_computation() {
        // a: mean 2, s² = 1 (n 3); b: mean 5, s² = 4 (n 3). se² = 1/3 + 4/3 = 5/3;
        // df = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 2.778/0.944 = 2.94, rounded down to 2: t = 4.303.
        let (low, high) = welch(&[1.0, 2.0, 3.0], &[3.0, 5.0, 7.0]);
        let half = 4.303 * (5.0f64 / 3.0).sqrt();
        assert!((low - (3.0 - half)).abs() < 1e-9 && (high - (3.0 + half)).abs() < 1e-9, "{low} {high}");
        assert!(welch(&[1.0], &[2.0, 3.0]).0.is_nan(), "one value: no interval");
        assert_eq!(welch(&[1.0, 1.0], &[2.0, 2.0]), (1.0, 1.0), "no spread: the difference is exact");
    }

    #[test]
    fn pairing_removes_the_shared_noise() {
        // B = A + 1 replication by replication, A spread widely: the paired interval is the
        // single value 1, Welch's is wide and straddles 0.
        let a: BTreeMap<u32, f64> = [(0, 10.0), (1, 20.0), (2, 30.0), (3, 40.0)].into();
        let b: BTreeMap<u32, f64> = a.iter().map(|(r, v)| (*r, v + 1.0)).collect();
        let paired = from_replications(&a, &b, true);
        assert_eq!((paired.low, paired.high, paired.method, paired.n), (1.0, 1.0, Method::Paired, (4, 4)));
        assert!(paired.welch_low < 0.0 && paired.welch_high > 2.0);
        let unpaired = from_replications(&a, &b, false);
        assert_eq!((unpaired.low, unpaired.method), (paired.welch_low, Method::Welch));
    }

    fn folder(seed: u64, crn: bool, points: usize) -> ResultsFolder {
        let point = FolderPoint { replication_ids: vec![0, 1, 2], ..FolderPoint::default() };
        ResultsFolder {
            dir: PathBuf::from("r"),
            sweep_params: Vec::new(),
            seed: Some(seed),
            common_random_numbers: crn,
            points: vec![point; points],
        }
    }

    #[test]
    fn pairing_follows_the_stream_keys() {
        let (crn, independent) = (folder(5, true, 3), folder(5, false, 3));
        assert_eq!(pairing(&crn, 0, &crn, 2), Ok(3), "CRN: every point draws point 0's streams");
        assert!(pairing(&independent, 0, &independent, 2).is_err());
        assert_eq!(pairing(&independent, 2, &independent, 2), Ok(3), "the same point, the same streams");
        // Point 0 without CRN draws the streams every point draws with CRN; point 2 does not.
        assert_eq!(pairing(&independent, 0, &crn, 2), Ok(3));
        assert!(pairing(&independent, 2, &crn, 2).is_err());
        assert!(pairing(&crn, 0, &folder(6, true, 3), 0).is_err_and(|why| why.contains("seeds differ")));
        let mut fewer = folder(5, true, 3);
        fewer.points[1].replication_ids.pop();
        assert!(pairing(&crn, 0, &fewer, 1).is_err_and(|why| why.contains("3 replication(s) and B 2")));
    }
}

//! `stratus compare` end to end: the real binary on results folders written by `stratus run`.
//! A faster station's latency difference is significant with the right sign; identical
//! configurations differ in nothing; common random numbers pair replications, which makes
//! the interval of a small difference several times tighter than Welch's for independent
//! runs; folders that cannot be compared are usage errors (exit code 2) that name the folder.
//!
//! Every scenario is an M/M/c station run for a few simulated minutes (a fraction of a second
//! each in a debug build), seed fixed.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use crate::cli::{Outcome, TempDir, read_csv, stratus};

/// compare.csv's rows by (metric, stat), each by column.
type Rows = BTreeMap<(String, String), BTreeMap<String, String>>;

/// A station of 4 servers at ρ = 0.875 (3.5 requests/s, `mean` service time), 5 replications.
fn scenario(dir: &TempDir, file: &str, mean: &str, extra: &str) -> PathBuf {
    let path = dir.join(file);
    let text = format!(
        "name = \"cmp\"\n\n[simulation]\nduration = \"4m\"\nwarmup = \"30s\"\nreplications = 5\nseed = 11\n{extra}\n\n\
         [[component]]\nname = \"app\"\nkind = \"station\"\nservers = 4\n\
         service = {{ dist = \"exponential\", mean = \"{mean}\" }}\n\n\
         [[workload]]\nname = \"users\"\ntarget = \"app\"\narrival = {{ process = \"poisson\", rate = 3.5 }}\n"
    );
    fs::write(&path, text).expect("write scenario");
    path
}

/// Runs `file` into `dir/<out>` and returns the folder.
fn run(dir: &TempDir, file: &Path, out: &str) -> PathBuf {
    let folder = dir.join(out);
    stratus([
        OsStr::new("run"),
        file.as_os_str(),
        OsStr::new("--out"),
        folder.as_os_str(),
        OsStr::new("--no-progress"),
    ])
    .success();
    folder
}

/// `stratus compare <args> --out <dir>/compare.csv`: the outcome and the CSV rows by
/// (metric, stat).
fn compare(dir: &TempDir, args: &[&OsStr]) -> (Outcome, Rows) {
    let csv = dir.join("compare.csv");
    let mut all: Vec<&OsStr> = vec![OsStr::new("compare")];
    all.extend_from_slice(args);
    all.extend([OsStr::new("--out"), csv.as_os_str()]);
    let outcome = stratus(all).success();
    let (header, rows) = read_csv(&csv);
    assert_eq!(header, stratus::report::compare::CSV_HEADER, "compare.csv columns");
    let rows = rows.into_iter().map(|row| ((row["metric"].clone(), row["stat"].clone()), row)).collect();
    (outcome, rows)
}

fn value(rows: &Rows, metric: &str, column: &str) -> f64 {
    let row = &rows[&(metric.to_string(), "mean".to_string())];
    row[column].parse().unwrap_or_else(|_| panic!("{metric} {column} is not a number: {row:?}"))
}

fn half_width(rows: &Rows, metric: &str, low: &str, high: &str) -> f64 {
    (value(rows, metric, high) - value(rows, metric, low)) / 2.0
}

#[test]
fn a_faster_station_is_significantly_faster() {
    let dir = TempDir::new("compare-faster");
    let a = run(&dir, &scenario(&dir, "a.toml", "1s", ""), "a");
    // 25% shorter service: ρ 0.875 → 0.66, the mean latency falls by about half (Erlang C).
    let b = run(&dir, &scenario(&dir, "b.toml", "750ms", ""), "b");
    let (outcome, rows) = compare(&dir, &[a.as_os_str(), b.as_os_str()]);
    assert!(outcome.stdout.contains("paired over 5 replications"), "{}", outcome.describe());
    let latency = &rows[&("users.latency".to_string(), "mean".to_string())];
    assert_eq!(latency["method"], "paired");
    assert_eq!(latency["significant"], "true", "{latency:?}");
    assert!(value(&rows, "users.latency", "ci95_high") < 0.0, "B is faster: B − A < 0 ({latency:?})");
    assert!(value(&rows, "app.utilization", "difference") < 0.0, "a faster server is less busy");
    // The significant rows come first on the console, marked.
    let first_row = outcome.stdout.lines().find(|line| line.contains("users.") || line.contains("app.")).unwrap_or("");
    assert!(first_row.starts_with('*'), "{}", outcome.stdout);
    // The percentiles are compared too, paired from replications.csv's per-replication
    // percentiles.
    let p99 = &rows[&("users.latency".to_string(), "p99".to_string())];
    assert!(p99["difference"].parse::<f64>().expect("a number") < 0.0, "{p99:?}");
    assert!(p99["ci95_high"].parse::<f64>().expect("an interval") < 0.0, "{p99:?}");
    assert_eq!(p99["method"], "paired");

    // The other way round: the same magnitude, the other sign.
    let (_, reversed) = compare(&dir, &[b.as_os_str(), a.as_os_str()]);
    let (forward, backward) =
        (value(&rows, "users.latency", "difference"), value(&reversed, "users.latency", "difference"));
    assert!((forward + backward).abs() <= 1e-6 * forward.abs(), "{forward} vs {backward}");
}

#[test]
fn identical_configurations_differ_in_nothing_under_common_random_numbers() {
    let dir = TempDir::new("compare-identical");
    // Two sweep points with the same configuration: under common random numbers (the default)
    // replication r of both draws the same numbers, so every metric is the same bytes.
    let file = scenario(&dir, "same.toml", "1s", "\n[sweep]\n\"component.app.servers\" = [4, 4]");
    let folder = run(&dir, &file, "same");
    let (outcome, rows) =
        compare(&dir, &[folder.as_os_str(), OsStr::new("--points"), OsStr::new("0"), OsStr::new("1")]);
    assert!(outcome.stdout.contains("0 of "), "{}", outcome.stdout);
    for ((metric, stat), row) in &rows {
        assert_ne!(row["significant"], "true", "{metric} {stat} differs: {row:?}");
        assert_eq!(row["difference"], "0", "{metric} {stat}: {row:?}");
    }
    // The paired interval is the single value 0; Welch's, which ignores the pairing, is the
    // width of the replication-to-replication noise.
    assert_eq!(half_width(&rows, "users.latency", "ci95_low", "ci95_high"), 0.0);
    assert!(half_width(&rows, "users.latency", "welch_low", "welch_high") > 10.0, "{rows:?}");
}

#[test]
fn common_random_numbers_make_a_small_difference_visible() {
    let dir = TempDir::new("compare-crn");
    // 3% more traffic. Under common random numbers both points see the same arrivals, scaled,
    // and the same service draws, so the replications move together and their differences
    // vary far less than the replications do.
    let sweep = "\n[sweep]\n\"workload.users.arrival.rate\" = [3.5, 3.6]";
    let crn = run(&dir, &scenario(&dir, "crn.toml", "1s", sweep), "crn");
    let (outcome, rows) = compare(&dir, &[crn.as_os_str()]);
    assert!(outcome.stdout.contains("paired over 5 replications"), "{}", outcome.stdout);
    for metric in ["users.sent", "users.throughput", "users.latency"] {
        let paired = half_width(&rows, metric, "ci95_low", "ci95_high");
        let welch = half_width(&rows, metric, "welch_low", "welch_high");
        // Measured at this seed: 0.31 (sent), 0.04 (throughput), 0.33 (latency) of Welch's
        // half-width; unpaired streams would give about 1. Half leaves room for the noise.
        assert!(paired < 0.5 * welch, "{metric}: paired ±{paired} vs Welch ±{welch}");
    }
    // The throughput rises by 0.1/s. Over 3.5 measured minutes a replication counts ~730
    // requests ± 27 (Poisson), so five independent replications a side cannot resolve 0.1/s
    // (Welch's half-width ~0.15/s, the interval holds 0); paired, the same arrivals scaled by
    // 3.5/3.6 make the difference nearly the same in every replication: significant.
    assert!(value(&rows, "users.throughput", "ci95_low") > 0.0, "{rows:?}");
    assert!(value(&rows, "users.throughput", "welch_low") < 0.0, "{rows:?}");
    assert_eq!(rows[&("users.throughput".to_string(), "mean".to_string())]["significant"], "true");

    // Without common random numbers the points are independent: Welch's interval, said so.
    let independent =
        run(&dir, &scenario(&dir, "ind.toml", "1s", &format!("common_random_numbers = false\n{sweep}")), "ind");
    let (outcome, rows) =
        compare(&dir, &[independent.as_os_str(), OsStr::new("--points"), OsStr::new("0"), OsStr::new("1")]);
    assert!(
        outcome.stdout.contains("Welch") && outcome.stdout.contains("common_random_numbers = false"),
        "{}",
        outcome.stdout
    );
    assert_eq!(rows[&("users.latency".to_string(), "mean".to_string())]["method"], "welch");
}

/// Runs `stratus compare args` and checks it is a usage error whose message names `names`.
fn refused(args: &[&OsStr], names: &[&str]) {
    let mut all: Vec<&OsStr> = vec![OsStr::new("compare")];
    all.extend_from_slice(args);
    let outcome = stratus(all);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    for name in names {
        assert!(outcome.stderr.contains(name), "the message names {name}: {}", outcome.describe());
    }
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.describe());
}

#[test]
fn folders_that_cannot_be_compared_are_usage_errors() {
    let dir = TempDir::new("compare-errors");
    let sweep = "\n[sweep]\n\"component.app.servers\" = [4, 5, 6]";
    let results = run(&dir, &scenario(&dir, "s.toml", "1s", sweep), "results");
    let path = |p: &Path| p.display().to_string();

    let missing = dir.join("no-such-folder");
    refused(&[missing.as_os_str(), results.as_os_str()], &[&path(&missing), "no folder"]);

    let notes = dir.join("notes");
    fs::create_dir_all(&notes).expect("mkdir");
    fs::write(notes.join("todo.txt"), "not results").expect("write");
    refused(&[results.as_os_str(), notes.as_os_str()], &[&path(&notes), "not a stratus results folder", "summary.csv"]);

    refused(
        &[results.as_os_str(), OsStr::new("--points"), OsStr::new("0"), OsStr::new("3")],
        &["no point 3", "0 to 2"],
    );
    refused(&[results.as_os_str()], &["3 sweep point(s)", "--points"]);

    // A folder of the right shape whose only metric the other does not report.
    let other = dir.join("other");
    fs::create_dir_all(&other).expect("mkdir");
    fs::write(other.join("scenario.resolved.toml"), "name = \"other\"\n[simulation]\nseed = 11\n").expect("write");
    fs::write(
        other.join("summary.csv"),
        "point,metric,unit,replications,mean,ci95_low,ci95_high,p50,p90,p99,p999,max,count\n\
         0,queue.depth,requests,2,3,1,5,,,,,,\n",
    )
    .expect("write");
    fs::write(
        other.join("replications.csv"),
        "point,replication,metric,unit,value,events\n0,0,queue.depth,requests,2,10\n0,1,queue.depth,requests,4,10\n",
    )
    .expect("write");
    refused(
        &[results.as_os_str(), other.as_os_str(), OsStr::new("--points"), OsStr::new("0"), OsStr::new("0")],
        &["no metric in common", "queue.depth", &path(&other)],
    );

    // A summary.csv that is not one: the file and line are named.
    fs::write(other.join("summary.csv"), "point,metric,unit,replications,mean,ci95_low,ci95_high\n0,x,ms,2,fast,1,2\n")
        .expect("write");
    refused(&[other.as_os_str(), results.as_os_str()], &["summary.csv:2", "`mean` is `fast`"]);
}

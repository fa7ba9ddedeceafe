//! The `stratus` command line end to end: the real binary, run on real files. What `run`
//! writes (the output contract of ARCHITECTURE.md "Outputs"), sweeps, determinism across
//! thread counts, `check`, `describe`, and that failed runs leave earlier results alone.
//!
//! The shared harness (running the binary with a time limit, temporary folders) lives here;
//! `malformed.rs` uses it too. Runs are kept to a few simulated minutes so the module stays
//! fast in debug builds.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The crate root: the binary runs there, so relative paths such as
/// `scenarios/quickstart.toml` resolve as they would for a user in the repository.
pub(crate) fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// How one invocation of the binary ended.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The command line, for failure messages.
    pub(crate) command: String,
    /// Exit code; None if killed by a signal or by the time limit.
    pub(crate) code: Option<i32>,
    /// True if the time limit was reached and the process was killed.
    pub(crate) timed_out: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Outcome {
    /// A description for assertion messages.
    pub(crate) fn describe(&self) -> String {
        format!(
            "`{}` exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            if self.timed_out { "a timeout (killed)".to_string() } else { format!("{:?}", self.code) },
            truncate(&self.stdout),
            truncate(&self.stderr)
        )
    }

    /// Panics unless the command exited with code 0.
    pub(crate) fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "expected success: {}", self.describe());
        self
    }
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(4000) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The default time limit of one invocation: generous for debug builds, but a hang fails
/// the test instead of blocking the suite.
pub(crate) const TIME_LIMIT: Duration = Duration::from_secs(120);

/// Runs `stratus` with `args` in the crate root.
pub(crate) fn stratus<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    stratus_with_limit(args, TIME_LIMIT)
}

/// Runs `stratus` with `args` in the crate root, killing it after `limit`.
pub(crate) fn stratus_with_limit<I, S>(args: I, limit: Duration) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_os_string()).collect();
    let command = std::iter::once("stratus".to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stratus"))
        .args(&args)
        .current_dir(manifest_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"));
    // Drain both pipes while waiting, so a chatty child cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                // Only this child, which this function started.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("cannot wait for `{command}`: {e}"),
        }
    };
    Outcome {
        command,
        code: status.and_then(|s| s.code()),
        timed_out: status.is_none(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// A temporary folder, unique to this process and test, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(test: &str) -> Self {
        let path = std::env::temp_dir().join(format!("stratus-it-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir` (relative path → bytes), for comparing result folders.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
                out.insert(relative, fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// Helpers for reading outputs.

const SUMMARY_HEADER: &str = "point,metric,unit,replications,mean,ci95_low,ci95_high,p50,p90,p99,p999,max,count";

/// A CSV file as its header and rows of strings.
pub(crate) fn read_csv(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header: Vec<String> = reader.headers().expect("header row").iter().map(str::to_string).collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            header.iter().cloned().zip(record.iter().map(str::to_string)).collect()
        })
        .collect();
    (header, rows)
}

fn number(row: &BTreeMap<String, String>, column: &str) -> f64 {
    let text = &row[column];
    text.parse().unwrap_or_else(|_| panic!("column {column} of {row:?} is not a number: {text:?}"))
}

fn first_line(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Writes a small scenario of an M/M/c station into `dir` and returns its path.
fn small_scenario(dir: &TempDir, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "name = \"small\"\n\n[simulation]\nduration = \"4m\"\nwarmup = \"30s\"\nreplications = 3\nseed = 5\n\n\
         [[component]]\nname = \"app\"\nkind = \"station\"\nservers = 4\n\
         service = {{ dist = \"exponential\", mean = \"1s\" }}\n\n\
         [[workload]]\nname = \"users\"\ntarget = \"app\"\narrival = {{ process = \"poisson\", rate = 3.5 }}\n{extra}"
    );
    fs::write(&path, text).expect("write scenario");
    path
}

/// A resolved scenario without its header comment (which names the file it came from).
fn body(text: &str) -> String {
    text.lines().filter(|line| !line.starts_with('#')).collect::<Vec<_>>().join("\n").trim_end().to_string()
}

const SWEEP: &str = "\n[sweep]\n\"component.app.servers\" = [4, 5]\n";

/// `stratus run scenarios/quickstart.toml` shortened to 20 simulated minutes.
fn run_quickstart(out: &Path) -> Outcome {
    stratus([
        OsStr::new("run"),
        OsStr::new("scenarios/quickstart.toml"),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--replications"),
        OsStr::new("2"),
        OsStr::new("--set"),
        OsStr::new("simulation.duration=20m"),
        OsStr::new("--set"),
        OsStr::new("simulation.warmup=1m"),
        OsStr::new("--no-progress"),
    ])
}

// ---------------------------------------------------------------------------------------
// run

#[test]
fn run_writes_the_output_contract() {
    let dir = TempDir::new("run-contract");
    let out = dir.join("results");
    let outcome = run_quickstart(&out).success();
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.describe());

    // summary.csv: exact header, one row per metric, units, replications.
    let summary = out.join("summary.csv");
    assert_eq!(first_line(&summary), SUMMARY_HEADER);
    let (_, rows) = read_csv(&summary);
    let row = |metric: &str| -> &BTreeMap<String, String> {
        rows.iter()
            .find(|row| row["metric"] == metric)
            .unwrap_or_else(|| panic!("summary.csv has no row for {metric}: {rows:#?}"))
    };
    for (metric, unit) in [
        ("app.response_time", "ms"),
        ("app.wait_time", "ms"),
        ("app.queue_length", "requests"),
        ("app.utilization", "fraction"),
        ("app.throughput", "per_s"),
        ("app.rejected", "requests"),
    ] {
        let row = row(metric);
        assert_eq!(row["unit"], unit, "unit of {metric}");
        assert_eq!(row["point"], "0", "{metric}");
        assert_eq!(row["replications"], "2", "{metric}: --replications 2");
        let (mean, low, high) = (number(row, "mean"), number(row, "ci95_low"), number(row, "ci95_high"));
        assert!(low <= mean && mean <= high, "{metric}: mean {mean} outside its CI [{low}, {high}]");
    }
    for metric in ["app.response_time", "app.wait_time"] {
        let row = row(metric);
        let quantiles = ["p50", "p90", "p99", "p999", "max"].map(|c| number(row, c));
        assert!(quantiles.windows(2).all(|w| w[0] <= w[1]), "{metric}: percentiles out of order {quantiles:?}");
        assert!(number(row, "count") > 0.0, "{metric}: no observations");
    }
    for metric in ["app.queue_length", "app.utilization", "app.throughput", "app.rejected"] {
        let row = row(metric);
        for column in ["p50", "p90", "p99", "p999", "max", "count"] {
            assert_eq!(row[column], "", "{metric} is not a latency: {column} should be empty");
        }
    }
    let utilization = number(row("app.utilization"), "mean");
    assert!(utilization > 0.0 && utilization <= 1.0, "utilization {utilization}");
    assert_eq!(number(row("app.rejected"), "mean"), 0.0, "an unbounded queue rejects nothing");

    // replications.csv: a row per replication and metric, latency metrics with that
    // replication's own percentiles.
    let (header, replications) = read_csv(&out.join("replications.csv"));
    assert_eq!(
        header,
        ["point", "replication", "metric", "unit", "value", "events", "p50", "p90", "p95", "p99", "p999", "max"]
    );
    for replication in ["0", "1"] {
        assert!(
            replications.iter().any(|r| r["replication"] == replication && r["metric"] == "app.response_time"),
            "replications.csv lacks replication {replication}"
        );
    }
    assert!(!replications.iter().any(|r| r["replication"] == "2"), "only 2 replications were asked for");

    // timeseries.csv.
    let (header, series) = read_csv(&out.join("timeseries.csv"));
    assert_eq!(header, ["point", "time_s", "series", "value"]);
    assert!(series.iter().any(|r| r["series"] == "app.queue_length"), "no app.queue_length series");

    // The resolved scenario: overrides applied, seed and version recorded.
    let resolved = fs::read_to_string(out.join("scenario.resolved.toml")).expect("scenario.resolved.toml");
    assert!(resolved.contains(env!("CARGO_PKG_VERSION")), "the resolved scenario names the version:\n{resolved}");
    let table: toml::Table = toml::from_str(&resolved).expect("the resolved scenario is TOML");
    let simulation = table["simulation"].as_table().expect("[simulation]");
    assert_eq!(simulation["duration"].as_str(), Some("20m"));
    assert_eq!(simulation["replications"].as_integer(), Some(2));
    assert!(simulation.contains_key("seed"), "the resolved scenario records the seed");

    // The histogram: mergeable HDR, consistent with the summary (which is computed from it).
    let hdr = out.join("histograms/point-0/app.response_time.hdr");
    let bytes = fs::read(&hdr).unwrap_or_else(|e| panic!("cannot read {}: {e}", hdr.display()));
    let histogram: hdrhistogram::Histogram<u64> = hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("the .hdr file deserializes");
    let response = row("app.response_time");
    assert_eq!(histogram.len() as f64, number(response, "count"), "histogram count vs summary count");
    let ms = |nanos: u64| nanos as f64 / 1e6;
    for (column, value) in [
        ("p50", ms(histogram.value_at_quantile(0.5))),
        ("p99", ms(histogram.value_at_quantile(0.99))),
        ("max", ms(histogram.max())),
    ] {
        let expected = number(response, column);
        assert!((value - expected).abs() <= 1e-6 * expected, "{column}: histogram {value} ms, summary {expected} ms");
    }

    // Atomic writes leave no temporary files behind.
    let leftovers: Vec<String> = snapshot(&out).into_keys().filter(|name| name.contains(".tmp")).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn sweep_adds_a_parameter_column_and_a_point_per_value() {
    let dir = TempDir::new("sweep");
    let scenario = small_scenario(&dir, "sweep.toml", SWEEP);
    let out = dir.join("results");
    stratus([
        OsStr::new("run"),
        scenario.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--no-progress"),
    ])
    .success();
    let summary = out.join("summary.csv");
    assert_eq!(first_line(&summary), SUMMARY_HEADER.replacen("point,", "point,component.app.servers,", 1));
    let (_, rows) = read_csv(&summary);
    let points: std::collections::BTreeSet<(String, String)> =
        rows.iter().map(|r| (r["point"].clone(), r["component.app.servers"].clone())).collect();
    let expected: std::collections::BTreeSet<(String, String)> =
        [("0", "4"), ("1", "5")].into_iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
    assert_eq!(points, expected, "two points, servers 4 and 5");
    for point in ["0", "1"] {
        assert!(
            rows.iter().any(|r| r["point"] == point && r["metric"] == "app.response_time"),
            "point {point} has no app.response_time row"
        );
        assert!(
            out.join(format!("histograms/point-{point}/app.response_time.hdr")).is_file(),
            "histogram of point {point}"
        );
    }
    let (header, _) = read_csv(&out.join("replications.csv"));
    assert_eq!(header[..2], ["point", "component.app.servers"]);
    // A fifth server lowers utilization: the sweep really changed the parameter.
    let utilization = |point: &str| {
        number(
            rows.iter().find(|r| r["point"] == point && r["metric"] == "app.utilization").expect("utilization"),
            "mean",
        )
    };
    assert!(utilization("1") < utilization("0"), "utilization with 5 servers should be lower than with 4");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let dir = TempDir::new("threads");
    let sweep = small_scenario(&dir, "sweep.toml", SWEEP);
    let features = manifest_dir().join("tests/fixtures/all-features.toml");
    // The fixture with every feature writes many charts, so it is run with two thread counts.
    for (label, scenario, thread_counts) in
        [("sweep", &sweep, &["1", "2", "3"][..]), ("all-features", &features, &["1", "2"][..])]
    {
        let mut snapshots = Vec::new();
        for &threads in thread_counts {
            let out = dir.join(&format!("{label}-{threads}"));
            stratus([
                OsStr::new("run"),
                scenario.as_os_str(),
                OsStr::new("--out"),
                out.as_os_str(),
                OsStr::new("--threads"),
                OsStr::new(threads),
                OsStr::new("--no-progress"),
            ])
            .success();
            snapshots.push((threads, snapshot(&out)));
        }
        let (_, reference) = &snapshots[0];
        for name in ["summary.csv", "replications.csv", "timeseries.csv"] {
            assert!(reference.contains_key(name), "{label}: {name} missing");
        }
        assert!(reference.keys().any(|name| name.ends_with(".hdr")), "{label}: no histograms");
        for (threads, other) in &snapshots[1..] {
            let names: Vec<&String> = reference.keys().collect();
            let other_names: Vec<&String> = other.keys().collect();
            assert_eq!(names, other_names, "{label}: the files written with 1 and {threads} threads differ");
            for (name, bytes) in reference {
                assert!(bytes == &other[name], "{label}: {name} differs between 1 and {threads} threads");
            }
        }
    }
}

#[test]
fn the_seed_changes_the_numbers() {
    // The counterpart of the determinism test: identical outputs are not identical by accident.
    let dir = TempDir::new("seed");
    let scenario = small_scenario(&dir, "small.toml", "");
    let summary = |seed: &str| {
        let out = dir.join(&format!("seed-{seed}"));
        stratus([
            OsStr::new("run"),
            scenario.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
            OsStr::new("--seed"),
            OsStr::new(seed),
            OsStr::new("--no-progress"),
        ])
        .success();
        fs::read(out.join("summary.csv")).expect("summary.csv")
    };
    assert_eq!(summary("9"), summary("9"), "the same seed gives the same bytes");
    assert_ne!(summary("9"), summary("10"), "another seed gives other numbers");
}

// ---------------------------------------------------------------------------------------
// check and the resolved scenario

#[test]
fn check_prints_the_resolved_scenario() {
    let outcome = stratus(["check", "scenarios/quickstart.toml"]).success();
    assert!(outcome.stderr.contains("is valid"), "{}", outcome.describe());
    let resolved: toml::Table =
        toml::from_str(&outcome.stdout).unwrap_or_else(|e| panic!("stdout is not TOML: {e}\n{}", outcome.stdout));
    let original: toml::Table =
        toml::from_str(&fs::read_to_string(manifest_dir().join("scenarios/quickstart.toml")).expect("quickstart"))
            .expect("TOML");
    assert_eq!(resolved["name"], original["name"]);
    // Values given in the file are kept ...
    let component = |table: &toml::Table| table["component"].as_array().expect("[[component]]")[0].clone();
    assert_eq!(component(&resolved)["servers"], component(&original)["servers"]);
    assert_eq!(resolved["simulation"]["duration"], original["simulation"]["duration"]);
    // ... and defaults are filled in.
    let simulation = resolved["simulation"].as_table().expect("[simulation]");
    for key in ["warmup", "replications", "seed", "common_random_numbers"] {
        assert!(simulation.contains_key(key), "resolved [simulation] lacks {key}:\n{}", outcome.stdout);
    }
    let topology = resolved["topology"].as_table().expect("the resolved scenario has [topology] with its defaults");
    for key in ["azs", "same_az_rtt", "cross_az_rtt", "jitter_cv"] {
        assert!(topology.contains_key(key), "resolved [topology] lacks {key}");
    }
}

#[test]
fn check_applies_set_overrides() {
    let outcome = stratus(["check", "scenarios/quickstart.toml", "--set", "component.app.servers=6"]).success();
    let resolved: toml::Table = toml::from_str(&outcome.stdout).expect("TOML");
    assert_eq!(resolved["component"][0]["servers"].as_integer(), Some(6), "{}", outcome.stdout);
}

#[test]
fn the_resolved_scenario_in_the_results_is_a_valid_scenario() {
    let dir = TempDir::new("resolved-valid");
    let out = dir.join("results");
    run_quickstart(&out).success();
    let resolved = out.join("scenario.resolved.toml");
    let outcome = stratus([OsStr::new("check"), resolved.as_os_str()]).success();
    // Resolving again changes nothing but the header comment, which names the file.

    let written = fs::read_to_string(&resolved).expect("resolved");
    assert_eq!(body(&outcome.stdout), body(&written), "resolving the resolved scenario changed it");

    // The same for a sweep: the resolved file keeps [sweep] and checks as 2 points.
    let scenario = small_scenario(&dir, "sweep.toml", SWEEP);
    let out = dir.join("sweep-results");
    stratus([
        OsStr::new("run"),
        scenario.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--no-progress"),
    ])
    .success();
    let outcome = stratus([OsStr::new("check"), out.join("scenario.resolved.toml").as_os_str()]).success();
    assert!(outcome.stderr.contains("2 sweep point(s)"), "{}", outcome.describe());
    assert!(outcome.stdout.contains("[sweep]"), "{}", outcome.describe());
}

#[test]
fn every_family_and_process_survives_resolution() {
    // Resolve the fixture that uses every distribution family and arrival process, write the
    // result next to copies of its data files, and resolve it again: same scenario.
    let dir = TempDir::new("resolved-roundtrip");
    let fixtures = manifest_dir().join("tests/fixtures");
    let first = stratus([OsStr::new("check"), fixtures.join("all-features.toml").as_os_str()]).success();
    for data in ["service-samples.csv", "arrivals.csv"] {
        fs::copy(fixtures.join(data), dir.join(data)).expect("copy data file");
    }
    let resolved = dir.join("resolved.toml");
    fs::write(&resolved, &first.stdout).expect("write resolved");
    let second = stratus([OsStr::new("check"), resolved.as_os_str()]).success();

    assert_eq!(body(&first.stdout), body(&second.stdout), "resolution is not idempotent");
}

#[test]
fn the_resolved_scenario_of_a_scenario_with_data_files_is_valid() {
    let dir = TempDir::new("resolved-data-files");
    let out = dir.join("results");
    let scenario = manifest_dir().join("tests/fixtures/all-features.toml");
    stratus([
        OsStr::new("run"),
        scenario.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--no-progress"),
    ])
    .success();
    let outcome = stratus([OsStr::new("check"), out.join("scenario.resolved.toml").as_os_str()]);
    assert_eq!(outcome.code, Some(0), "the resolved scenario should be runnable as it is: {}", outcome.describe());
}

// ---------------------------------------------------------------------------------------
// Failed runs and results on disk

#[test]
fn a_failed_run_leaves_earlier_results_intact() {
    let dir = TempDir::new("intact");
    let out = dir.join("results");
    run_quickstart(&out).success();
    let before = snapshot(&out);
    assert!(before.contains_key("summary.csv"));
    let malformed = manifest_dir().join("tests/malformed");
    let attempts: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["run".into(), malformed.join("zero_servers.toml").into(), "--out".into(), out.clone().into()],
        vec![
            "run".into(),
            malformed.join("toml_syntax_unclosed_string.toml").into(),
            "--out".into(),
            out.clone().into(),
        ],
        vec!["run".into(), malformed.join("sweep_invalid_value.toml").into(), "--out".into(), out.clone().into()],
        vec![
            "run".into(),
            "scenarios/quickstart.toml".into(),
            "--out".into(),
            out.clone().into(),
            "--set".into(),
            "component.app.servers=0".into(),
        ],
        vec![
            "run".into(),
            "scenarios/quickstart.toml".into(),
            "--out".into(),
            out.clone().into(),
            "--threads".into(),
            "0".into(),
        ],
        vec!["run".into(), "scenarios/no-such-scenario.toml".into(), "--out".into(), out.clone().into()],
    ];
    for args in attempts {
        let outcome = stratus(&args);
        assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        let after = snapshot(&out);
        assert!(after == before, "`{}` changed the earlier results in {}", outcome.command, out.display());
    }
}

#[test]
fn a_rerun_into_the_same_folder_leaves_no_stale_points() {
    let dir = TempDir::new("stale");
    let scenario = small_scenario(&dir, "sweep.toml", SWEEP);
    let out = dir.join("results");
    let run = |extra: &[&str]| {
        let mut args: Vec<&OsStr> = vec![OsStr::new("run"), scenario.as_os_str(), OsStr::new("--out"), out.as_os_str()];
        args.extend(extra.iter().map(OsStr::new));
        stratus(args).success();
    };
    run(&[]);
    assert!(out.join("histograms/point-1").is_dir());
    // The same scenario with the swept parameter fixed: a single point.
    run(&["--set", "component.app.servers=4"]);
    let (_, rows) = read_csv(&out.join("summary.csv"));
    assert!(rows.iter().all(|r| r["point"] == "0"), "the second run has one point");
    let stale: Vec<String> = snapshot(&out).into_keys().filter(|name| name.contains("point-1")).collect();
    assert!(stale.is_empty(), "files of the earlier 2-point run remain: {stale:?}");
}

#[test]
fn zero_threads_is_a_usage_error() {
    let dir = TempDir::new("threads-0");
    let out = dir.join("results");
    let outcome = stratus([
        OsStr::new("run"),
        OsStr::new("scenarios/quickstart.toml"),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--threads"),
        OsStr::new("0"),
    ]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("--threads"), "{}", outcome.describe());
    assert!(!out.exists(), "nothing is written");
}

// ---------------------------------------------------------------------------------------
// describe

#[test]
fn describe_lists_every_kind() {
    let outcome = stratus(["describe"]).success();
    let kinds: Vec<&str> = outcome.stdout.lines().filter(|line| !line.is_empty() && !line.starts_with(' ')).collect();
    for kind in ["station", "workload", "topology", "simulation"] {
        assert!(kinds.contains(&kind), "`stratus describe` does not list {kind}: {kinds:?}");
    }
}

#[test]
fn describe_station_documents_its_parameters() {
    let outcome = stratus(["describe", "station"]).success();
    assert!(outcome.stdout.starts_with("station"), "{}", outcome.describe());
    for param in ["servers", "service", "queue_limit", "next"] {
        assert!(outcome.stdout.contains(param), "`describe station` does not mention {param}: {}", outcome.stdout);
    }
    assert!(!outcome.stdout.contains("\nworkload"), "only the station is described");
}

#[test]
fn describe_an_unknown_kind_fails() {
    let outcome = stratus(["describe", "nosuchkind"]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("nosuchkind"), "{}", outcome.describe());
    assert!(outcome.stderr.contains("station"), "the message lists the known kinds: {}", outcome.describe());
    assert!(outcome.stdout.is_empty(), "{}", outcome.describe());
}

#[test]
fn a_rerun_never_deletes_files_the_user_put_in_the_results_folder() {
    let dir = TempDir::new("user-files");
    let out = dir.join("results");
    run_quickstart(&out).success();
    fs::write(out.join("notes.md"), "my analysis").expect("write a note");
    let before = snapshot(&out);
    let outcome = run_quickstart(&out);
    assert_eq!(outcome.code, Some(1), "{}", outcome.describe());
    assert!(outcome.stderr.contains("notes.md"), "the message names the file: {}", outcome.describe());
    assert!(!outcome.stderr.contains("events in"), "refused before simulating anything: {}", outcome.describe());
    assert_eq!(snapshot(&out), before, "the folder, the note included, is untouched");
}

/// A run in which most requests fail: the console leads with the failures (success ratio,
/// errors by cause, longest outage) before the latency, warns about the workload, and no
/// interval in summary.csv leaves its metric's range (fractions in [0, 1], all else ≥ 0).
#[test]
fn a_failing_run_says_so_first_and_its_intervals_stay_in_range() {
    let dir = TempDir::new("failing");
    // The station crashes for 2 of the 4 minutes; clients time out after 2 s, retry twice.
    let path = small_scenario(
        &dir,
        "failing.toml",
        "client = { timeout = \"2s\", max_attempts = 2, backoff = \"100ms\" }\n\n\
         [[fault]]\naction = \"crash\"\ntarget = \"app\"\nat = \"1m\"\nduration = \"2m\"\n",
    );
    let out = dir.join("out");
    let outcome = stratus([
        OsStr::new("run"),
        path.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--no-progress"),
    ])
    .success();
    let users: Vec<&str> = outcome.stdout.lines().filter(|line| line.trim_start().starts_with("users")).collect();
    assert_eq!(users.len(), 1, "{}", outcome.describe());
    assert!(
        users[0].contains("success") && users[0].contains("errors") && users[0].contains("timeout"),
        "{}",
        outcome.describe()
    );
    assert!(users[0].contains("longest outage"), "{}", outcome.describe());
    let latency = outcome.stdout.lines().position(|line| line.contains("latency mean")).expect("a latency line");
    let status = outcome.stdout.lines().position(|line| line.contains("success")).expect("a status line");
    assert!(status < latency, "failures first: {}", outcome.describe());
    assert!(outcome.stderr.contains("warning:") && outcome.stderr.contains("`users`"), "{}", outcome.describe());
    assert!(outcome.stderr.contains("1 point × 3 replications = 3 runs"), "{}", outcome.describe());
    let (_, rows) = read_csv(&out.join("summary.csv"));
    for row in &rows {
        let (low, high) = (row["ci95_low"].parse::<f64>(), row["ci95_high"].parse::<f64>());
        let (Ok(low), Ok(high)) = (low, high) else { continue };
        assert!(low >= 0.0, "{row:?}");
        if row["unit"] == "fraction" {
            assert!(high <= 1.0, "{row:?}");
        }
    }
}

//! Adaptive replications: rounds of replications until the chosen metric's 95% interval is
//! within the target share of its mean. The number run depends only on the inputs (the same at
//! any thread count, and after a resume), a point that meets the target really has an interval
//! that narrow, and mistakes are usage errors.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use crate::cli::{TempDir, read_csv, snapshot, stratus};

/// An M/M/1 station at three loads: the busier, the noisier its mean latency, so the points
/// need different numbers of replications.
fn scenario(dir: &TempDir, adaptive: &str) -> PathBuf {
    let path = dir.join("adaptive.toml");
    let text = format!(
        "name = \"adaptive\"\n\n[simulation]\nduration = \"1m\"\nwarmup = \"5s\"\nreplications = 5\nseed = 3\n\
         adaptive = {{ {adaptive} }}\n\n\
         [[component]]\nname = \"app\"\nkind = \"station\"\nservers = 1\n\
         service = {{ dist = \"exponential\", mean = \"10ms\" }}\n\n\
         [[workload]]\nname = \"users\"\ntarget = \"app\"\narrival = {{ process = \"poisson\", rate = 30 }}\n\n\
         [sweep]\n\"workload.users.arrival.rate\" = [20, 50]\n"
    );
    fs::write(&path, text).expect("write scenario");
    path
}

fn run(scenario: &Path, out: &Path, threads: &str) -> crate::cli::Outcome {
    stratus([
        OsStr::new("run"),
        scenario.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--threads"),
        OsStr::new(threads),
        OsStr::new("--no-progress"),
    ])
}

const TARGET: &str = "metrics = [\"users.latency\"], relative_precision = 0.03, max_replications = 40";

#[test]
fn points_run_until_their_interval_is_narrow_enough() {
    let dir = TempDir::new("adaptive-target");
    let scenario = scenario(&dir, TARGET);
    let out = dir.join("one");
    let outcome = run(&scenario, &out, "2").success();
    let (_, rows) = read_csv(&out.join("summary.csv"));
    let status: Vec<_> = rows.iter().filter(|row| row["metric"].starts_with("replications (adaptive")).collect();
    assert_eq!(status.len(), 2, "one adaptive row per point");
    let mut counts = Vec::new();
    for row in &status {
        let point = &row["point"];
        let n: usize = row["replications"].parse().expect("count");
        let reached: f64 = row["mean"].parse().expect("precision");
        let latency =
            rows.iter().find(|r| &r["point"] == point && r["metric"] == "users.latency").expect("latency row");
        // The summary's own interval says the same as the status row.
        let mean: f64 = latency["mean"].parse().expect("mean");
        let (low, high): (f64, f64) =
            (latency["ci95_low"].parse().expect("low"), latency["ci95_high"].parse().expect("high"));
        let half = (high - low) / 2.0 / mean;
        assert!((half - reached).abs() < 1e-6, "point {point}: summary interval ±{half} vs reached {reached}");
        assert_eq!(latency["replications"], n.to_string(), "point {point}");
        if row["metric"].ends_with(": met") {
            assert!(reached <= 0.03, "point {point} met at {reached}");
        } else {
            assert_eq!(n, 40, "point {point}: not met means the maximum was run");
            assert!(outcome.stderr.contains("still ±"), "{}", outcome.describe());
        }
        counts.push(n);
    }
    assert!(counts.iter().any(|&n| n > 5), "the target needs more than the first round: {counts:?}");
}

#[test]
fn the_replications_run_do_not_depend_on_the_thread_count() {
    let dir = TempDir::new("adaptive-threads");
    let scenario = scenario(&dir, TARGET);
    let (one, three) = (dir.join("t1"), dir.join("t3"));
    run(&scenario, &one, "1").success();
    run(&scenario, &three, "3").success();
    assert!(snapshot(&one) == snapshot(&three), "outputs differ between 1 and 3 threads");
}

#[test]
fn mistakes_in_the_adaptive_table_are_usage_errors() {
    let dir = TempDir::new("adaptive-mistakes");
    let unknown = scenario(&dir, "metrics = [\"users.latncy\"], relative_precision = 0.05, max_replications = 10");
    let outcome = run(&unknown, &dir.join("o"), "1");
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(
        outcome.stderr.contains("no metric `users.latncy`") && outcome.stderr.contains("users.latency"),
        "{}",
        outcome.describe()
    );
    let bad = scenario(&dir, "metrics = [\"users.latency\"], relative_precision = 0, max_replications = 10");
    let outcome = run(&bad, &dir.join("o"), "1");
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("relative_precision"), "{}", outcome.describe());
    let adaptive = scenario(&dir, TARGET);
    let outcome = stratus([
        OsStr::new("run"),
        adaptive.as_os_str(),
        OsStr::new("--shard"),
        OsStr::new("1/2"),
        OsStr::new("--out"),
        dir.join("p").as_os_str(),
    ]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("fixed number of replications"), "{}", outcome.describe());
}

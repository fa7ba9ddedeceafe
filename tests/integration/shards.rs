//! Sweeps split across machines and runs that survive being killed: `stratus run --shard K/N`
//! and `stratus merge` give the bytes of one whole run for any N; `--resume` after a kill at
//! any moment gives the bytes of a run never interrupted; parts that do not belong together,
//! or a merge with parts missing, are refused with the reason.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{TIME_LIMIT, TempDir, manifest_dir, snapshot, stratus};

/// A sweep of 3 points × 3 replications of an M/M/c station with a scheduled slowdown (fault
/// windows and time series travel through the saved runs too).
fn sweep_scenario(dir: &TempDir, seed: u64) -> PathBuf {
    let path = dir.join(&format!("sweep-{seed}.toml"));
    let text = format!(
        "name = \"parts\"\n\n[simulation]\nduration = \"3m\"\nwarmup = \"20s\"\nreplications = 3\nseed = {seed}\n\n\
         [[component]]\nname = \"app\"\nkind = \"station\"\nservers = 4\n\
         service = {{ dist = \"exponential\", mean = \"20ms\" }}\n\n\
         [[workload]]\nname = \"users\"\ntarget = \"app\"\narrival = {{ process = \"poisson\", rate = 150 }}\n\n\
         [[fault]]\naction = \"crash\"\ntarget = \"app\"\nat = \"1m\"\nduration = \"5s\"\n\n\
         [sweep]\n\"component.app.servers\" = [4, 5, 6]\n"
    );
    fs::write(&path, text).expect("write scenario");
    path
}

fn run_args<'a>(scenario: &'a Path, out: &'a Path, extra: &[&'a str]) -> Vec<&'a OsStr> {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("run"),
        scenario.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--no-progress"),
    ];
    args.extend(extra.iter().map(|arg| OsStr::new(*arg)));
    args
}

/// Runs every part of `scenario` split `count` ways into `<dir>/<label>-part-K` and merges them
/// into `<dir>/<label>-merged`; returns the merged folder.
fn run_in_parts(dir: &TempDir, label: &str, scenario: &Path, count: u32) -> PathBuf {
    let mut parts = Vec::new();
    for index in 1..=count {
        let part = dir.join(&format!("{label}-part-{index}"));
        let shard = format!("{index}/{count}");
        let outcome = stratus(run_args(scenario, &part, &["--shard", &shard])).success();
        assert!(outcome.stdout.contains(&format!("part {shard}")), "{}", outcome.describe());
        parts.push(part);
    }
    let merged = dir.join(&format!("{label}-merged"));
    let mut args: Vec<&OsStr> = vec![OsStr::new("merge")];
    args.extend(parts.iter().map(|p| p.as_os_str()));
    args.extend([OsStr::new("--out"), merged.as_os_str()]);
    stratus(args).success();
    merged
}

fn assert_same_files(reference: &Path, other: &Path, what: &str) {
    let (reference, other) = (snapshot(reference), snapshot(other));
    assert!(reference.contains_key("summary.csv"), "{what}: no summary.csv");
    let names: Vec<&String> = reference.keys().collect();
    let other_names: Vec<&String> = other.keys().collect();
    assert_eq!(names, other_names, "{what}: the files differ");
    for (name, bytes) in &reference {
        assert!(bytes == &other[name], "{what}: {name} differs");
    }
}

#[test]
fn merged_parts_are_the_bytes_of_one_run() {
    let dir = TempDir::new("shards-merge");
    let scenario = sweep_scenario(&dir, 5);
    let whole = dir.join("whole");
    stratus(run_args(&scenario, &whole, &[])).success();
    assert!(!dir.join("whole.runs").exists(), "the runs kept while running are removed once the outputs are written");
    // 9 runs: one part of all, three parts of three, and seven parts (some with two runs,
    // some with one).
    for count in [1, 3, 7] {
        let merged = run_in_parts(&dir, &format!("n{count}"), &scenario, count);
        assert_same_files(&whole, &merged, &format!("{count} parts"));
    }
}

#[test]
fn every_feature_survives_a_merge() {
    // The fixture with every feature (faults, proxies, replicas, Aurora, histograms of every
    // kind): what a saved run holds must be all the outputs need.
    let dir = TempDir::new("shards-features");
    let scenario = manifest_dir().join("tests/fixtures/all-features.toml");
    let whole = dir.join("whole");
    stratus(run_args(&scenario, &whole, &[])).success();
    let merged = run_in_parts(&dir, "features", &scenario, 2);
    assert_same_files(&whole, &merged, "all-features in 2 parts");
}

#[test]
fn parts_of_different_scenarios_are_refused() {
    let dir = TempDir::new("shards-mismatch");
    let (first, second) = (sweep_scenario(&dir, 5), sweep_scenario(&dir, 6));
    let (part1, part2) = (dir.join("p1"), dir.join("p2"));
    stratus(run_args(&first, &part1, &["--shard", "1/2"])).success();
    stratus(run_args(&second, &part2, &["--shard", "2/2"])).success();
    let merged = dir.join("merged");
    let outcome =
        stratus([OsStr::new("merge"), part1.as_os_str(), part2.as_os_str(), OsStr::new("--out"), merged.as_os_str()]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("another scenario"), "{}", outcome.describe());
    assert!(!merged.exists(), "nothing is written from parts that do not belong together");
}

#[test]
fn a_merge_with_a_part_missing_names_the_part() {
    let dir = TempDir::new("shards-missing");
    let scenario = sweep_scenario(&dir, 5);
    let (part1, part2) = (dir.join("p1"), dir.join("p2"));
    stratus(run_args(&scenario, &part1, &["--shard", "1/3"])).success();
    stratus(run_args(&scenario, &part2, &["--shard", "2/3"])).success();
    let outcome = stratus([
        OsStr::new("merge"),
        part1.as_os_str(),
        part2.as_os_str(),
        OsStr::new("--out"),
        dir.join("m").as_os_str(),
    ]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("6 of the 9 runs"), "{}", outcome.describe());
    assert!(outcome.stderr.contains("part(s) 3/3"), "{}", outcome.describe());
}

#[test]
fn bad_shard_arguments_are_usage_errors() {
    let dir = TempDir::new("shards-usage");
    let scenario = sweep_scenario(&dir, 5);
    let out = dir.join("out");
    for (shard, expected) in
        [("0/3", "does not exist"), ("4/3", "does not exist"), ("x/3", "not a whole number"), ("2", "no N")]
    {
        let outcome = stratus(run_args(&scenario, &out, &["--shard", shard]));
        assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        assert!(outcome.stderr.contains(expected), "--shard {shard}: {}", outcome.describe());
    }
    let not_runs = dir.join("not-runs");
    fs::create_dir_all(&not_runs).expect("folder");
    let outcome = stratus([OsStr::new("merge"), not_runs.as_os_str()]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("not a folder of stratus runs"), "{}", outcome.describe());
}

/// Starts `stratus run` and kills it (SIGKILL: no chance to clean up) once `runs` holds at
/// least `finished` saved runs and `extra` more time has passed; false if it ended first.
fn run_and_kill(args: &[&OsStr], runs: &Path, finished: usize, extra: Duration) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stratus"))
        .args(args)
        .current_dir(manifest_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stratus");
    let deadline = Instant::now() + TIME_LIMIT;
    let saved = || {
        fs::read_dir(runs)
            .map(|entries| entries.flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".bin")).count())
            .unwrap_or(0)
    };
    while saved() < finished && Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(extra);
    let ended = child.try_wait().ok().flatten().is_some();
    let _ = child.kill();
    let _ = child.wait();
    !ended
}

#[test]
fn resuming_a_killed_run_gives_the_bytes_of_an_uninterrupted_one() {
    let dir = TempDir::new("shards-resume");
    let scenario = sweep_scenario(&dir, 5);
    let whole = dir.join("whole");
    stratus(run_args(&scenario, &whole, &["--threads", "2"])).success();
    // Kills at several moments: after the first saved run, in the middle of later runs (a
    // moment that depends on the machine's speed, so it differs from run to run), and a
    // kill of the resumed run itself.
    let mut resumed = 0;
    for (case, finished, extra_ms) in [(0, 1, 0), (1, 2, 7), (2, 4, 31)] {
        let out = dir.join(&format!("killed-{case}"));
        let runs = dir.join(&format!("killed-{case}.runs"));
        let args = run_args(&scenario, &out, &["--threads", "1"]);
        if !run_and_kill(&args, &runs, finished, Duration::from_millis(extra_ms)) {
            // The run ended before the kill (a very fast machine): nothing to resume.
            continue;
        }
        // (On a loaded machine the kill may come after the last run, while the outputs are
        // being written: the resumed run then only writes them again.)
        if case == 2 {
            let resume = run_args(&scenario, &out, &["--threads", "1", "--resume"]);
            run_and_kill(&resume, &runs, finished + 2, Duration::ZERO);
        }
        let outcome = stratus(run_args(&scenario, &out, &["--threads", "2", "--resume"])).success();
        assert!(outcome.stderr.contains("resuming:"), "{}", outcome.describe());
        assert_same_files(&whole, &out, &format!("resumed run (case {case})"));
        assert!(!runs.exists(), "case {case}: the saved runs are removed once the outputs are written");
        resumed += 1;
    }
    // A run takes tens of milliseconds here while a kill follows a saved run within a few:
    // at least the first case must have been interrupted, or the test tested nothing.
    assert!(resumed >= 1, "no run could be killed before it ended");
}

#[test]
fn a_run_without_resume_starts_afresh() {
    // Runs saved by an interrupted run are not reused unless asked; the user is told.
    let dir = TempDir::new("shards-fresh");
    let scenario = sweep_scenario(&dir, 5);
    let out = dir.join("out");
    let runs = dir.join("out.runs");
    if !run_and_kill(&run_args(&scenario, &out, &["--threads", "1"]), &runs, 1, Duration::ZERO) {
        return;
    }
    let outcome = stratus(run_args(&scenario, &out, &[])).success();
    assert!(outcome.stderr.contains("pass --resume to keep them"), "{}", outcome.describe());
    assert!(!outcome.stderr.contains("resuming:"), "{}", outcome.describe());
}

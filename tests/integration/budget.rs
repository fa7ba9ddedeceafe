//! Overload and runaway runs (issue 8, item 4): a sweep that crosses ρ ≥ 1 finishes within its
//! memory budget, marks exactly the unstable points (naming the station) and reports the
//! stable ones with the numbers they have without a budget; the command line says so in its
//! warnings, summary.csv and exit code; a budget is a located parameter; and a run expected to
//! take long is announced before it starts.
//!
//! The station serves 1,000 requests/s (exponential, 1 ms); at ρ = 1.5 its queue grows by 500
//! requests/s, a few hundred bytes each with the client's call, so a 20 MB budget shared by a
//! few runs is reached within a simulated minute or two.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use stratus::experiment::{self, ExperimentResults, Progress, RunOptions};
use stratus::model::world::RunawayCause;
use stratus::scenario::{Override, Scenario};

use crate::cli::{TempDir, read_csv, stratus};

/// An M/M/1 at 1,000 requests/s served, swept over `rates` (ρ = rate / 1000), 10 simulated
/// minutes, 3 replications, with `extra` lines in `[simulation]`.
fn overload(rates: &str, extra: &str) -> String {
    format!(
        "name = \"overload\"\n[simulation]\nduration = \"10m\"\nwarmup = \"30s\"\nreplications = 3\nseed = 9\n{extra}\n\
         [[component]]\nname = \"app\"\nkind = \"station\"\nservice = {{ dist = \"exponential\", mean = \"1ms\" }}\n\n\
         [[workload]]\nname = \"users\"\ntarget = \"app\"\narrival = {{ process = \"poisson\", rate = 500 }}\n\n\
         [sweep]\n\"workload.users.arrival.rate\" = [{rates}]\n"
    )
}

fn run(label: &str, toml: &str, threads: Option<usize>) -> ExperimentResults {
    let scenario = Scenario::from_source(label, toml, Path::new("."), &[]).expect("loads");
    experiment::run(&scenario, &RunOptions { threads, progress: Progress::Hidden }).expect("runs")
}

/// Every number of a stable point, as text (exact comparison, NaN included).
fn fingerprint(results: &ExperimentResults, point: usize) -> String {
    let point = &results.points[point];
    assert!(point.unstable.is_none(), "point {} is unstable: {:?}", point.index, point.unstable);
    format!("{:?}\n{:?}\n{:?}", point.metrics, point.replications, point.series.values)
}

#[test]
fn a_sweep_across_rho_1_marks_the_unstable_points_and_keeps_the_stable_ones() {
    let budgeted = run("budget.toml", &overload("500, 900, 1500, 2000", "memory_budget = \"20MB\""), None);
    let marked: Vec<Option<String>> =
        budgeted.points.iter().map(|point| point.unstable.as_ref().map(|u| u.marker())).collect();
    let rho = Some("unstable (ρ ≥ 1 at app)".to_string());
    assert_eq!(marked, vec![None, None, rho.clone(), rho], "exactly the points at ρ ≥ 1");
    for (point, unstable) in budgeted.unstable_points() {
        assert_eq!(unstable.component.as_deref(), Some("app"));
        assert_eq!(unstable.replication, 0, "the first replication already runs away");
        assert!(matches!(unstable.runaway.cause, RunawayCause::OverBudget { .. }), "{:?}", unstable.runaway);
        let share = 20_000_000 / unstable.runs_at_once as u64;
        assert_eq!(unstable.runaway.cause, RunawayCause::OverBudget { budget: share });
        // Stopped within a few megabytes of its share: one check's worth of events later.
        assert!(unstable.runaway.total_bytes > share, "{:?}", unstable.runaway);
        assert!(unstable.runaway.total_bytes < share + 8_000_000, "{:?}", unstable.runaway);
        let expected_rho = if point.index == 2 { 1.5 } else { 2.0 };
        let measured = unstable.offered_load().expect("a station's offered load");
        assert!((measured - expected_rho).abs() < 0.05, "point {}: ρ ≈ {measured}", point.index);
        assert!(point.metrics.is_empty() && point.replications.is_empty() && point.series.rows() == 0);
    }

    // The stable points: the same numbers as a sweep of them alone, without a budget (common
    // random numbers: a point's streams do not depend on its index).
    let stable = run("stable.toml", &overload("500, 900", ""), None);
    for point in 0..2 {
        assert_eq!(fingerprint(&budgeted, point), fingerprint(&stable, point), "point {point}");
    }
    // And the same with one thread: the budget's share does not depend on the thread count.
    let one_thread = run("budget.toml", &overload("500, 900, 1500, 2000", "memory_budget = \"20MB\""), Some(1));
    for point in 0..2 {
        assert_eq!(fingerprint(&budgeted, point), fingerprint(&one_thread, point), "point {point}");
    }
    assert_eq!(
        budgeted.unstable_points().map(|(_, u)| u.detail()).collect::<Vec<_>>(),
        one_thread.unstable_points().map(|(_, u)| u.detail()).collect::<Vec<_>>()
    );
}

/// Without a budget to stop it (the default is far above what 10 minutes at ρ = 1.5 hold), the
/// overloaded station is caught at the end: its queue holds a third of its arrivals. A bounded
/// queue at the same load, and a stable one, are not.
#[test]
fn a_queue_that_grew_all_run_is_unstable_even_within_the_budget() {
    let results = run("grew.toml", &overload("900, 1500", ""), None);
    assert!(results.points[0].unstable.is_none());
    let unstable = results.points[1].unstable.as_ref().expect("ρ = 1.5 is unstable");
    assert_eq!(unstable.runaway.cause, RunawayCause::GrewToTheEnd);
    assert_eq!(unstable.marker(), "unstable (ρ ≥ 1 at app)");
    // (1 − 1/ρ) of the 900,000 arrivals: about 300,000 queued.
    let queued = unstable.runaway.backlog.queued as f64;
    assert!((queued - 300_000.0).abs() < 15_000.0, "{queued} queued");
    assert!(unstable.detail().contains("at the end of the run (10 min of simulated time)"), "{}", unstable.detail());

    let bounded = overload("1500", "").replace("mean = \"1ms\" }", "mean = \"1ms\" }\nqueue_limit = 100000");
    let results = run("bounded.toml", &bounded, None);
    assert!(results.points[0].unstable.is_none(), "a bounded queue rejects instead of growing");
}

/// A point whose queues run away stops at its budget whatever the component: an Aurora
/// cluster whose writer is fed beyond its workers (no queue_limit, and connections enough) is
/// named, without a ρ.
#[test]
fn queues_that_run_away_in_a_service_are_named_without_a_rho() {
    let toml = "name = \"aurora-overload\"\n[simulation]\nduration = \"5m\"\nreplications = 2\nmemory_budget = \"8MB\"\n\
                [topology]\nazs = [\"a\", \"b\", \"c\"]\n\
                [[component]]\nname = \"db\"\nkind = \"aurora\"\nworkers = 1\nwrite_service = \"1ms\"\nmax_connections = 10000000\n\
                [[workload]]\nname = \"w\"\ntarget = \"db\"\narrival = { process = \"poisson\", rate = 3000 }\nwrite_fraction = 1.0\n";
    let results = run("aurora-overload.toml", toml, None);
    let unstable = results.points[0].unstable.as_ref().expect("the writer's queue runs away");
    assert_eq!(unstable.marker(), "unstable (queues ran away at db)");
    assert!(unstable.runaway.backlog.queued > 5_000, "{:?}", unstable.runaway);
    assert_eq!(unstable.offered_load(), None);
}

fn summary_rows(out: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    read_csv(&out.join("summary.csv")).1
}

#[test]
fn the_command_line_warns_marks_summary_csv_and_exits_0() {
    let dir = TempDir::new("budget-cli");
    let file = dir.join("overload.toml");
    fs::write(&file, overload("500, 1500", "")).unwrap();
    let out = dir.join("results");
    let args = |out: &Path| {
        vec![OsStr::new("run").to_os_string(), file.clone().into(), "--out".into(), out.into(), "--no-progress".into()]
    };
    let mut budgeted = args(&out);
    budgeted.extend(["--memory-budget".into(), "20MB".into()]);
    let outcome = stratus(&budgeted).success();
    assert!(
        outcome
            .stderr
            .contains("warning: point 1 [workload.users.arrival.rate=1500]: unstable (ρ ≥ 1 at app): ρ ≈ 1.5"),
        "{}",
        outcome.describe()
    );
    assert!(outcome.stderr.contains("requests queued after"), "{}", outcome.describe());
    assert!(outcome.stdout.contains("unstable (ρ ≥ 1 at app): no results"), "{}", outcome.describe());
    let rows = summary_rows(&out);
    let marker: Vec<_> = rows.iter().filter(|row| row["unit"] == "status").collect();
    assert_eq!(marker.len(), 1, "one marker row");
    assert_eq!(marker[0]["point"], "1");
    assert_eq!(marker[0]["workload.users.arrival.rate"], "1500");
    assert_eq!(marker[0]["metric"], "unstable (ρ ≥ 1 at app)");
    assert_eq!(marker[0]["replications"], "0");
    assert_eq!(marker[0]["mean"], "");
    assert!(rows.iter().filter(|row| row["point"] == "1").count() == 1, "no metrics for the unstable point");
    assert!(rows.iter().any(|row| row["point"] == "0" && row["metric"] == "users.latency"));
    let replications = read_csv(&out.join("replications.csv")).1;
    assert!(replications.iter().all(|row| row["point"] == "0"));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("unstable (ρ ≥ 1 at app)") && html.contains("(1 unstable)"), "report.html marks the point");
    let resolved = fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("memory_budget = \"20000000B\""), "{resolved}");

    // Every point unstable: the results are written, and the exit code says nothing was measured.
    fs::write(&file, overload("1500, 2000", "")).unwrap();
    let all = dir.join("all");
    let mut budgeted = args(&all);
    budgeted.extend(["--memory-budget".into(), "20MB".into()]);
    let outcome = stratus(&budgeted);
    assert_eq!(outcome.code, Some(3), "{}", outcome.describe());
    assert!(outcome.stderr.contains("every sweep point was unstable"), "{}", outcome.describe());
    assert_eq!(summary_rows(&all).len(), 2, "two marker rows");
}

#[test]
fn a_memory_budget_is_located_and_attributed_to_its_flag() {
    let file = "scenarios/quickstart.toml";
    let source = fs::read_to_string(crate::cli::manifest_dir().join(file)).unwrap();
    let line = source.lines().position(|line| line.starts_with("[simulation]")).expect("a [simulation] table") + 1;
    let dir = TempDir::new("budget-flag");
    let out = dir.join("results");
    for (budget, fragment) in [("2XB", "expected a size such as"), ("1KiB", "leaves a run no room")] {
        let outcome = stratus([
            OsStr::new("run"),
            OsStr::new(file),
            OsStr::new("--memory-budget"),
            OsStr::new(budget),
            OsStr::new("--out"),
            out.as_os_str(),
        ]);
        assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        assert!(!out.exists(), "a rejected run writes nothing");
        // Added to the [simulation] table, so reported there, with a note naming the flag.
        assert!(outcome.stderr.contains(&format!("{file}:{line}:1: ")), "{}", outcome.describe());
        assert!(outcome.stderr.contains(fragment), "{}", outcome.describe());
        assert!(
            outcome.stderr.contains(&format!("the value comes from --memory-budget {budget}")),
            "{}",
            outcome.describe()
        );
    }
    let scenario =
        Scenario::load(Path::new(file), &[Override::flag("--memory-budget", "simulation.memory_budget", "2GiB")])
            .expect("a valid budget");
    assert_eq!(scenario.points[0].spec.simulation.memory_budget(None), 2 << 30);
    assert_eq!(scenario.points[0].spec.simulation.memory_budget.map(|b| b.0), Some(2 << 30));
    let default = Scenario::load(Path::new(file), &[]).unwrap();
    assert_eq!(default.points[0].spec.simulation.memory_budget(Some(2 << 30)), 1 << 30, "half a 2 GiB machine");
    assert_eq!(default.points[0].spec.simulation.memory_budget(None), 4 << 30);
}

#[test]
fn a_long_run_is_announced_and_a_short_one_is_not() {
    let dir = TempDir::new("budget-note");
    let quick = dir.join("quick");
    let outcome = stratus([
        OsStr::new("run"),
        OsStr::new("scenarios/quickstart.toml"),
        OsStr::new("--out"),
        quick.as_os_str(),
        OsStr::new("--no-progress"),
    ])
    .success();
    assert!(!outcome.stderr.contains("note:"), "{}", outcome.describe());
    // 10⁹ requests/s for 10 s, 10 replications: ~4·10¹¹ events. The budget stops it at once.
    let file = dir.join("huge.toml");
    fs::write(
        &file,
        overload("1e9", "memory_budget = \"20MB\"")
            .replace("duration = \"10m\"", "duration = \"10s\"")
            .replace("warmup = \"30s\"", "warmup = \"1s\"")
            .replace("replications = 3", "replications = 10"),
    )
    .unwrap();
    let out = dir.join("results");
    let outcome = stratus([
        OsStr::new("run"),
        file.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--no-progress"),
    ]);
    assert!(
        outcome.stderr.contains("stratus: note: this experiment simulates ~4.0e11 events; expect ~"),
        "{}",
        outcome.describe()
    );
    assert_eq!(outcome.code, Some(3), "its only point runs away: {}", outcome.describe());
}

#[test]
fn describe_simulation_documents_the_budget() {
    let outcome = stratus(["describe", "simulation"]).success();
    assert!(outcome.stdout.starts_with("simulation"), "{}", outcome.describe());
    for text in ["memory_budget", "default 4GiB (or half the machine's memory, if less)", "replications", "default 10"]
    {
        assert!(outcome.stdout.contains(text), "`describe simulation` lacks `{text}`: {}", outcome.stdout);
    }
}

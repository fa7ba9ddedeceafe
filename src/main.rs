//! The `stratus` command line: a thin layer over the library. Errors from every layer are
//! printed here, in one place; user mistakes exit with code 2.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use stratus::experiment::{self, Progress, RunOptions};
use stratus::model::KindDoc;
use stratus::report;
use stratus::report::runs::{Manifest, RunStore, Shard, runs_folder_for};
use stratus::scenario::{OBJECTIVE_DOC, Override, SIMULATION_DOC, Scenario, ScenarioError, describe_default};
use stratus::services::registry::{KIND_DOCS, kind_doc};

/// stratus: simulate cloud data infrastructure and answer capacity-planning questions.
#[derive(Parser, Debug)]
#[command(name = "stratus", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario: every sweep point × replication, then write results.
    Run {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Output folder (default results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replications per sweep point (overrides simulation.replications).
        #[arg(long)]
        replications: Option<u32>,
        /// Master seed (overrides simulation.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads for the simulations and for drawing the outputs (default: one per
        /// core). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Override any parameter by its dotted path, e.g. --set component.app.servers=4.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// No progress bar (on a terminal) or progress lines every 10 s (otherwise).
        #[arg(long)]
        no_progress: bool,
        /// Most memory the runs in progress may hold together, e.g. 2GiB (overrides
        /// simulation.memory_budget; default 4GiB, or half the machine's memory if less).
        #[arg(long, value_name = "SIZE")]
        memory_budget: Option<String>,
        /// Continue an interrupted run: keep the runs it finished (in `<out>.runs`, or the
        /// shard's folder) and run the rest. The outputs are the same bytes as a run that was
        /// never interrupted.
        #[arg(long)]
        resume: bool,
        /// Run one part of the sweep, `K/N` (part K of N, from 1), and save its runs in
        /// `--out` for `stratus merge`. `auto` reads the part from the batch engine: Slurm
        /// array jobs (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN);
        /// Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX) and AWS Batch array jobs
        /// (AWS_BATCH_JOB_ARRAY_INDEX), which do not say how many parts there are: give it
        /// as `auto/N`.
        #[arg(long, value_name = "K/N|auto|auto/N")]
        shard: Option<String>,
    },
    /// Merge the parts of a sweep run with `--shard` into the outputs of one whole run (the
    /// same bytes as running it on one machine).
    Merge {
        /// The parts' output folders (all N of them).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder of the merged results (default results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate a scenario and print it resolved (defaults filled in, overrides applied).
    Check {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Override any parameter by its dotted path.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Compare two sweep points metric by metric: B − A with 95% intervals, paired over
    /// replications when they share random numbers. Either two results folders (`A B`) or one
    /// folder and `--points I J`.
    Compare {
        /// Results folders written by `stratus run`: A and B, or one folder.
        #[arg(required = true, num_args = 1..=2, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// The points to compare: I of A and J of B (or of the one folder). Needed when a
        /// folder has several points (a folder of exactly two compares 0 with 1).
        #[arg(long, num_args = 2, value_names = ["I", "J"])]
        points: Option<Vec<usize>>,
        /// Also write the differences as CSV to this file (e.g. compare.csv).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Describe component kinds and tables: parameters, defaults, units and the source of
    /// each default.
    Describe {
        /// A kind (station, workload, topology, simulation, ...); all of them when omitted.
        kind: Option<String>,
    },
}

/// Anything that can stop a command, and its exit code.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Experiment(#[from] experiment::ExperimentError),
    #[error(transparent)]
    Report(#[from] report::ReportError),
    #[error(transparent)]
    Runs(#[from] report::runs::RunsError),
    #[error(transparent)]
    Compare(#[from] report::compare::CompareError),
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    #[error("every sweep point was unstable: there are no results to report (see the warnings above; results in {0})")]
    AllUnstable(String),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_) | CliError::Usage(_) => 2,
            CliError::Compare(error) => 2 - u8::from(!error.is_usage()),
            // Parts that do not belong together, or a folder that holds no runs.
            CliError::Runs(report::runs::RunsError::OtherScenario { .. } | report::runs::RunsError::NotRuns { .. }) => {
                2
            }
            CliError::Experiment(
                experiment::ExperimentError::Missing { .. } | experiment::ExperimentError::UnknownMetric { .. },
            ) => 2,
            // A scenario whose time cannot advance is a mistake in the input too.
            CliError::Experiment(experiment::ExperimentError::Stalled { .. }) => 2,
            CliError::Experiment(_) | CliError::Report(_) | CliError::Runs(_) | CliError::Stdout(_) => 1,
            // The outputs were written, but they hold no measurement.
            CliError::AllUnstable(_) => 3,
        }
    }
}

/// Writes to standard output. A reader that went away (`stratus describe | head`) is not an
/// error; other failures (a full disk) are reported instead of panicking like `println!`.
fn print_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(CliError::Stdout),
    }
}

fn overrides(set: &[String], replications: Option<u32>, seed: Option<u64>, budget: Option<&str>) -> Vec<Override> {
    let mut all: Vec<Override> = set.iter().map(|arg| Override::set(arg)).collect();
    if let Some(replications) = replications {
        all.push(Override::flag("--replications", "simulation.replications", replications));
    }
    if let Some(seed) = seed {
        all.push(Override::flag("--seed", "simulation.seed", seed));
    }
    if let Some(budget) = budget {
        all.push(Override::flag("--memory-budget", "simulation.memory_budget", budget));
    }
    all
}

fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Run { file, out, replications, seed, threads, set, no_progress, memory_budget, resume, shard } => {
            if threads == Some(0) {
                return Err(CliError::Usage("--threads must be at least 1".into()));
            }
            if let Some(threads) = threads {
                // The charts are drawn on rayon's global pool: --threads bounds it too, so
                // `--threads 1` runs on one thread throughout. It fails only if the pool was
                // already built, which nothing before this does.
                let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
            }
            let shard = shard.as_deref().map(|text| parse_shard(text, &|name| std::env::var(name).ok())).transpose()?;
            let scenario = Scenario::load(&file, &overrides(&set, replications, seed, memory_budget.as_deref()))?;
            let out = out.unwrap_or_else(|| match shard {
                None => PathBuf::from("results").join(&scenario.name),
                Some(shard) => {
                    PathBuf::from("results").join(format!("{}.part-{}-of-{}", scenario.name, shard.index, shard.count))
                }
            });
            // Refuse a folder we may not replace before simulating, not after.
            if shard.is_none() {
                report::check_output_folder(&out)?;
            } else {
                check_parts_folder(&out)?;
            }
            if shard.is_some() && scenario.points.iter().any(|point| point.spec.simulation.adaptive.is_some()) {
                return Err(CliError::Usage(
                    "--shard needs a fixed number of replications: adaptive replications decide each round from the \
                     rounds before, across all of a point's runs; run it on one machine, or remove [simulation.adaptive]"
                        .into(),
                ));
            }
            let progress = match (no_progress, std::io::stderr().is_terminal()) {
                (true, _) => Progress::Hidden,
                (false, true) => Progress::Bar,
                (false, false) => Progress::Lines,
            };
            let options = RunOptions { threads, progress };
            let grid = experiment::Grid::of(&scenario);
            let all_tasks = grid.tasks();
            let mine = match shard {
                Some(shard) => shard.select(&all_tasks),
                None => all_tasks.clone(),
            };
            let runs_dir = if shard.is_some() { out.clone() } else { runs_folder_for(&out) };
            let manifest = Manifest::new(grid.clone(), &scenario.resolved_toml, shard);
            let (store, removed) = RunStore::create(&runs_dir, manifest, resume)?;
            if removed > 0 {
                eprintln!(
                    "stratus: note: removed {removed} finished run(s) of an earlier, interrupted run in {} ({})",
                    runs_dir.display(),
                    if resume { "they belong to another scenario or overrides" } else { "pass --resume to keep them" }
                );
            }
            let mine_set: std::collections::BTreeSet<experiment::Task> = mine.iter().copied().collect();
            let earlier: Vec<(experiment::Task, experiment::TaskOutcome)> = if resume {
                // An adaptive point's later rounds are not in the grid yet: keep all its runs.
                store.runs()?.into_iter().filter(|(task, _)| shard.is_none() || mine_set.contains(task)).collect()
            } else {
                Vec::new()
            };
            let done: std::collections::BTreeSet<experiment::Task> = earlier.iter().map(|(task, _)| *task).collect();
            let todo: Vec<experiment::Task> = mine.iter().copied().filter(|task| !done.contains(task)).collect();
            let part = shard.map(|shard| format!(" (part {shard}: {} of the runs)", mine.len())).unwrap_or_default();
            eprintln!("stratus: {} — {}{part}", scenario.name, run_count(&scenario));
            if resume {
                eprintln!("stratus: resuming: {} run(s) already done, {} to go", earlier.len(), todo.len());
            }
            let work = experiment::estimate(&scenario, threads);
            if work.is_long() {
                eprintln!("stratus: note: {}", work.note());
                eprintln!(
                    "stratus: finished runs are kept in {} as they end; if this is interrupted, the same command with --resume goes on from there",
                    runs_dir.display()
                );
            }
            let started = Instant::now();
            let save = |task: experiment::Task, outcome: &experiment::TaskOutcome| {
                store.save(task, outcome).map_err(|error| error.to_string())
            };
            let earlier_events: u64 = earlier.iter().map(|(_, outcome)| outcome_events(outcome)).sum();
            if let Some(shard) = shard {
                let earlier_refs: Vec<(experiment::Task, &experiment::TaskOutcome)> =
                    earlier.iter().map(|(task, outcome)| (*task, outcome)).collect();
                let outcomes = experiment::run_tasks(&scenario, &options, &todo, &earlier_refs, &save)?;
                let elapsed = started.elapsed().as_secs_f64();
                let new_events: u64 = outcomes.iter().map(|(_, outcome)| outcome_events(outcome)).sum();
                eprintln!(
                    "stratus: part {shard}: {new_events} events in {elapsed:.2} s; {} run(s) saved in {}",
                    mine.len(),
                    out.display()
                );
                print_stdout(&format!(
                    "part {shard} of {} done: {} run(s) in {}. When every part is done: stratus merge <the {} part folders> --out <folder>\n",
                    scenario.name,
                    mine.len(),
                    out.display(),
                    shard.count
                ))?;
                return Ok(());
            }
            let (grid, outcomes) = experiment::run_all(&scenario, &options, earlier, &save)?;
            let elapsed = started.elapsed().as_secs_f64();
            let all_events: u64 = outcomes.iter().map(|(_, outcome)| outcome_events(outcome)).sum();
            let results = experiment::aggregate(&grid, outcomes)?;
            report::write_all(&results, &scenario.resolved_toml, &out)?;
            store.remove()?;
            // Events simulated now (a resumed run's earlier runs not counted).
            let events = if resume { all_events - earlier_events } else { results.total_events };
            eprintln!(
                "stratus: {events} events in {elapsed:.2} s ({:.1} M events/s); results in {}",
                events as f64 / elapsed.max(1e-9) / 1e6,
                out.display()
            );
            finish(&results, &out)
        }
        Command::Merge { dirs, out } => {
            let (manifest, runs) = report::runs::read_parts(&dirs)?;
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&manifest.grid.name));
            report::check_output_folder(&out)?;
            let found = runs.len();
            let all_tasks = manifest.grid.tasks();
            let have: std::collections::BTreeSet<experiment::Task> = runs.iter().map(|(task, _)| *task).collect();
            let missing: Vec<experiment::Task> =
                all_tasks.iter().copied().filter(|task| !have.contains(task)).collect();
            if let Some(first) = missing.first() {
                let count = manifest.shard.map_or(1, |shard| shard.count);
                let mut parts: Vec<u32> =
                    missing.iter().filter_map(|task| Shard::of(*task, &all_tasks, count)).collect();
                parts.sort_unstable();
                parts.dedup();
                let parts: Vec<String> = parts.iter().map(|part| format!("{part}/{count}")).collect();
                return Err(CliError::Usage(format!(
                    "the folders hold {found} of the {} runs of {}: {} missing (the first: sweep point {}, replication {}), from part(s) {}; run those parts (with --resume if they were interrupted) and merge again",
                    all_tasks.len(),
                    manifest.grid.name,
                    missing.len(),
                    first.point,
                    first.replication,
                    parts.join(", ")
                )));
            }
            let results = experiment::aggregate(&manifest.grid, runs)?;
            report::write_all(&results, &manifest.resolved_toml, &out)?;
            eprintln!("stratus: merged {found} runs from {} folder(s); results in {}", dirs.len(), out.display());
            finish(&results, &out)
        }
        Command::Compare { dirs, points, out } => {
            let comparison = report::compare::run(&dirs, points.as_deref())?;
            print_stdout(&report::compare::table(&comparison))?;
            if let Some(out) = out {
                report::atomic_write(&out, &report::compare::compare_csv(&comparison))?;
                eprintln!("stratus: differences written to {}", out.display());
            }
            Ok(())
        }
        Command::Check { file, set } => {
            let scenario = Scenario::load(&file, &overrides(&set, None, None, None))?;
            print_stdout(&format!("{}\n", scenario.resolved_toml))?;
            eprintln!("stratus: {} is valid ({} sweep point(s))", file.display(), scenario.points.len());
            Ok(())
        }
        Command::Describe { kind } => {
            let all: Vec<&KindDoc> = KIND_DOCS.iter().chain([&SIMULATION_DOC, &OBJECTIVE_DOC]).collect();
            let docs: Vec<&KindDoc> = match &kind {
                Some(kind) => {
                    vec![all.iter().copied().find(|doc| doc.kind == kind).or(kind_doc(kind)).ok_or_else(|| {
                        let known: Vec<&str> = all.iter().map(|d| d.kind).collect();
                        CliError::Usage(format!("unknown kind `{kind}`; known kinds: {}", known.join(", ")))
                    })?]
                }
                None => all,
            };
            for doc in docs {
                print_stdout(&format!("{}\n\n", describe(doc)))?;
            }
            Ok(())
        }
    }
}

/// Prints the headline and its warnings; every point unstable is an error (exit code 3).
fn finish(results: &experiment::ExperimentResults, out: &std::path::Path) -> Result<(), CliError> {
    let (text, warnings) = report::console::headline(results);
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    print_stdout(&text)?;
    if results.points.iter().all(|point| point.unstable.is_some()) {
        return Err(CliError::AllUnstable(out.display().to_string()));
    }
    Ok(())
}

/// Events a finished run delivered (a runaway's until it stopped).
fn outcome_events(outcome: &experiment::TaskOutcome) -> u64 {
    match outcome {
        experiment::TaskOutcome::Done(run) => run.events,
        experiment::TaskOutcome::Runaway(unstable) => unstable.runaway.events,
        experiment::TaskOutcome::Skipped => 0,
    }
}

/// A part's folder holds only what a part writes (its manifest and runs).
fn check_parts_folder(dir: &std::path::Path) -> Result<(), CliError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == report::runs::MANIFEST
            || (name.starts_with("run-p") && name.ends_with(".bin"))
            || name.starts_with('.');
        if !ours {
            return Err(CliError::Usage(format!(
                "{} holds `{name}`, which a part of a sweep does not write; choose another --out for the part",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Reads `--shard`: `K/N`, `auto` or `auto/N` (the part from the batch engine's array-job
/// variables, looked up with `env`).
fn parse_shard(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, CliError> {
    let usage = |why: String| {
        CliError::Usage(format!("--shard {text}: {why}; expected K/N (part K of N, 1 ≤ K ≤ N), auto or auto/N"))
    };
    let number = |what: &str, value: &str| -> Result<u32, CliError> {
        value.trim().parse::<u32>().map_err(|_| usage(format!("{what} `{value}` is not a whole number")))
    };
    let (first, count) = match text.split_once('/') {
        Some((first, count)) => (first, Some(number("N", count)?)),
        None => (text, None),
    };
    let (index, count) = if first == "auto" {
        let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        if let Some(id) = var("SLURM_ARRAY_TASK_ID") {
            let id = number("SLURM_ARRAY_TASK_ID", &id)?;
            let min = var("SLURM_ARRAY_TASK_MIN").map(|v| number("SLURM_ARRAY_TASK_MIN", &v)).transpose()?.unwrap_or(0);
            let slurm_count =
                var("SLURM_ARRAY_TASK_COUNT").map(|v| number("SLURM_ARRAY_TASK_COUNT", &v)).transpose()?;
            let count = count.or(slurm_count).ok_or_else(|| usage("SLURM_ARRAY_TASK_COUNT is not set".into()))?;
            (
                id.checked_sub(min).ok_or_else(|| usage("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN".into()))?
                    + 1,
                count,
            )
        } else if let Some((name, index)) = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]
            .iter()
            .find_map(|name| var(name).map(|value| (*name, value)))
        {
            let index = number(name, &index)?;
            let count = count.ok_or_else(|| usage(format!("{name} gives the part but not how many: use auto/N")))?;
            (index + 1, count)
        } else {
            return Err(usage(
                "no array-job variable is set (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX)"
                    .into(),
            ));
        }
    } else {
        let count = count.ok_or_else(|| usage("no N".into()))?;
        (number("K", first)?, count)
    };
    if count == 0 || index == 0 || index > count {
        return Err(usage(format!("part {index} of {count} does not exist")));
    }
    Ok(Shard { index, count })
}

fn describe(doc: &KindDoc) -> String {
    let mut out = format!("{}\n  {}\n\n  parameters:\n", doc.kind, doc.summary);
    let width = doc.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for param in doc.params {
        out.push_str(&format!(
            "    {:width$}  default {} ({})\n    {:width$}  {}\n    {:width$}  source: {}\n",
            param.name,
            describe_default(doc.kind, param),
            param.unit,
            "",
            param.meaning,
            "",
            param.source
        ));
    }
    if !doc.metrics.is_empty() {
        out.push_str("\n  metrics:\n");
        for metric in doc.metrics {
            out.push_str(&format!("    {metric}\n"));
        }
    }
    out
}

/// "4 points × 3 replications = 12 runs" (or the total where points differ).
fn run_count(scenario: &Scenario) -> String {
    let points = scenario.points.len();
    let replications: Vec<u64> = scenario.points.iter().map(|p| u64::from(p.spec.simulation.replications)).collect();
    let runs: u64 = replications.iter().sum();
    let plural = |n: u64, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    let count = match replications.first() {
        Some(&first) if replications.iter().all(|&r| r == first) => {
            format!("{} × {} = {}", plural(points as u64, "point"), plural(first, "replication"), plural(runs, "run"))
        }
        _ => format!("{} = {}", plural(points as u64, "point"), plural(runs, "run")),
    };
    let most =
        scenario.points.iter().filter_map(|p| p.spec.simulation.adaptive.as_ref()).map(|a| a.max_replications).max();
    match most {
        Some(most) => format!("{count} in the first round; adaptive, up to {most} replications a point"),
        None => count,
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard_with(text: &str, vars: &[(&str, &str)]) -> Result<Shard, String> {
        let env = |name: &str| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string());
        parse_shard(text, &env).map_err(|error| error.to_string())
    }

    #[test]
    fn explicit_parts_are_read() {
        assert_eq!(shard_with("2/7", &[]), Ok(Shard { index: 2, count: 7 }));
        assert!(shard_with("8/7", &[]).is_err_and(|e| e.contains("does not exist")));
        assert!(shard_with("0/7", &[]).is_err_and(|e| e.contains("does not exist")));
        assert!(shard_with("2/0", &[]).is_err());
    }

    #[test]
    fn slurm_array_variables_give_the_part() {
        // `sbatch --array=0-7`: ids 0..=7, count 8, min 0.
        let slurm = [("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "8"), ("SLURM_ARRAY_TASK_MIN", "0")];
        assert_eq!(shard_with("auto", &slurm), Ok(Shard { index: 4, count: 8 }));
        // `--array=1-8`: the minimum is subtracted.
        let from_one = [("SLURM_ARRAY_TASK_ID", "8"), ("SLURM_ARRAY_TASK_COUNT", "8"), ("SLURM_ARRAY_TASK_MIN", "1")];
        assert_eq!(shard_with("auto", &from_one), Ok(Shard { index: 8, count: 8 }));
    }

    #[test]
    fn kubernetes_and_batch_indices_need_the_count() {
        let kubernetes = [("JOB_COMPLETION_INDEX", "0")];
        assert_eq!(shard_with("auto/3", &kubernetes), Ok(Shard { index: 1, count: 3 }));
        assert!(shard_with("auto", &kubernetes).is_err_and(|e| e.contains("auto/N")));
        let batch = [("AWS_BATCH_JOB_ARRAY_INDEX", "2")];
        assert_eq!(shard_with("auto/3", &batch), Ok(Shard { index: 3, count: 3 }));
        assert!(shard_with("auto/2", &batch).is_err_and(|e| e.contains("does not exist")));
        assert!(shard_with("auto", &[]).is_err_and(|e| e.contains("no array-job variable")));
    }
}

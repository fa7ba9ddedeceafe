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
use stratus::scenario::{Override, SIMULATION_DOC, Scenario, ScenarioError, describe_default};
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
        /// Worker threads (default: one per core). Results do not depend on it.
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
    },
    /// Validate a scenario and print it resolved (defaults filled in, overrides applied).
    Check {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Override any parameter by its dotted path.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
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
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    #[error("every sweep point was unstable: there are no results to report (see the warnings above; results in {0})")]
    AllUnstable(String),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_) | CliError::Usage(_) => 2,
            // A scenario whose time cannot advance is a mistake in the input too.
            CliError::Experiment(experiment::ExperimentError::Stalled { .. }) => 2,
            CliError::Experiment(_) | CliError::Report(_) | CliError::Stdout(_) => 1,
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
        Command::Run { file, out, replications, seed, threads, set, no_progress, memory_budget } => {
            if threads == Some(0) {
                return Err(CliError::Usage("--threads must be at least 1".into()));
            }
            let scenario = Scenario::load(&file, &overrides(&set, replications, seed, memory_budget.as_deref()))?;
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&scenario.name));
            // Refuse a folder we may not replace before simulating, not after.
            report::check_output_folder(&out)?;
            eprintln!("stratus: {} — {}", scenario.name, run_count(&scenario));
            let work = experiment::estimate(&scenario, threads);
            if work.is_long() {
                eprintln!("stratus: note: {}", work.note());
            }
            let started = Instant::now();
            let progress = match (no_progress, std::io::stderr().is_terminal()) {
                (true, _) => Progress::Hidden,
                (false, true) => Progress::Bar,
                (false, false) => Progress::Lines,
            };
            let options = RunOptions { threads, progress };
            let results = experiment::run(&scenario, &options)?;
            let elapsed = started.elapsed().as_secs_f64();
            report::write_all(&results, &scenario.resolved_toml, &out)?;
            eprintln!(
                "stratus: {} events in {elapsed:.2} s ({:.1} M events/s); results in {}",
                results.total_events,
                results.total_events as f64 / elapsed.max(1e-9) / 1e6,
                out.display()
            );
            let (text, warnings) = report::console::headline(&results);
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            print_stdout(&text)?;
            if results.points.iter().all(|point| point.unstable.is_some()) {
                return Err(CliError::AllUnstable(out.display().to_string()));
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
            let all: Vec<&KindDoc> = KIND_DOCS.iter().chain([&SIMULATION_DOC]).collect();
            let docs: Vec<&KindDoc> = match &kind {
                Some(kind) => {
                    vec![kind_doc(kind).or((kind == SIMULATION_DOC.kind).then_some(&SIMULATION_DOC)).ok_or_else(
                        || {
                            let known: Vec<&str> = all.iter().map(|d| d.kind).collect();
                            CliError::Usage(format!("unknown kind `{kind}`; known kinds: {}", known.join(", ")))
                        },
                    )?]
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
    match replications.first() {
        Some(&first) if replications.iter().all(|&r| r == first) => {
            format!("{} × {} = {}", plural(points as u64, "point"), plural(first, "replication"), plural(runs, "run"))
        }
        _ => format!("{} = {}", plural(points as u64, "point"), plural(runs, "run")),
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

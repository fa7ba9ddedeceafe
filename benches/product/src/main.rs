//! Whole-product benchmark of stratus (issue 8).
//!
//! Runs the release `stratus` binary as a subprocess on whole scenarios and measures it against
//! two in-process implementations of the same M/M/1 model (a hand-written `BinaryHeap` loop and
//! SimCore), interleaved in one run; then whole scenarios, memory against simulated time, and a
//! scale scenario with many components. With `--baseline` every stratus measurement is paired
//! with a second binary (an A/B of two builds). See BENCHMARKS.md, "Whole product", and `--help`.

mod mm1;
mod process;
mod scale;
mod stats;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use process::{RunResult, RunSpec};
use stats::{Spread, millions, spread_text};

const USAGE: &str = "\
usage: cargo run --release --manifest-path benches/product/Cargo.toml -- [OPTIONS] [SECTION...]
       cargo run --release --manifest-path benches/product/Cargo.toml -- gen-scale --stations N [--clients K] [--duration D]

Sections (default: all, in this order):
  mm1        stratus (whole process) on benches/product/mm1-20m.toml, the hand loop and SimCore,
             the same M/M/1 with the same number of customers, interleaved for --rounds rounds
  scenarios  scenarios/mmc-10k.toml and the RDS/Aurora scenarios, --runs runs each
  memory     peak RSS of the M/M/1 scenario at three simulated durations
  scale      many stations with closed-loop clients (1 to 10,000 stations, 10 clients each)

Options:
  --stratus PATH       the stratus binary to measure (default: <repo>/target/release/stratus;
                       build it with `cargo build --release` in the repo root)
  --baseline PATH      a second binary, measured interleaved with --stratus; its ratio is printed
  --quick              fewer rounds and smaller sizes (a smoke run of a few minutes)
  --rounds N           rounds of the mm1 section (default 7; quick 3)
  --runs N             runs per scenario in the scenarios section (default 3; quick 1)
  --customers N        M/M/1 customers (default 20000000; quick 2000000)
  --scale-sizes LIST   stations per scale run, comma-separated (default 1,100,1000,10000; quick 1,100)
  --scale-timeout S    kill a scale run after S seconds of wall time (default 300)
  -h, --help           this text";

/// The RDS and Aurora scenarios of section `scenarios`, after `mmc-10k.toml`.
const SCENARIOS: &[&str] = &[
    "scenarios/mmc-10k.toml",
    "scenarios/rds-multi-az-failover.toml",
    "scenarios/rds-read-replicas.toml",
    "scenarios/aurora-az-outage.toml",
    "scenarios/aurora-vs-rds-multi-az.toml",
    "scenarios/aurora-replica-lag.toml",
];

/// The M/M/1 scenario, relative to the repository root.
const MM1_SCENARIO: &str = "benches/product/mm1-20m.toml";

/// Which parts of the benchmark to run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Section {
    Mm1,
    Scenarios,
    Memory,
    Scale,
}

impl Section {
    const ALL: [Section; 4] = [Section::Mm1, Section::Scenarios, Section::Memory, Section::Scale];

    fn parse(name: &str) -> Option<Section> {
        Some(match name {
            "mm1" => Section::Mm1,
            "scenarios" => Section::Scenarios,
            "memory" => Section::Memory,
            "scale" => Section::Scale,
            _ => return None,
        })
    }
}

/// Parsed command line.
#[derive(Debug)]
struct Options {
    repo: PathBuf,
    stratus: PathBuf,
    baseline: Option<PathBuf>,
    quick: bool,
    rounds: usize,
    runs: usize,
    customers: u64,
    scale_sizes: Vec<u32>,
    scale_timeout: Duration,
    sections: Vec<Section>,
}

fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    root.canonicalize().unwrap_or(root)
}

fn value<'a>(args: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a String, String> {
    args.next().ok_or_else(|| format!("{flag} needs a value"))
}

fn number<T: std::str::FromStr>(text: &str, flag: &str) -> Result<T, String> {
    text.replace('_', "").parse().map_err(|_| format!("{flag}: `{text}` is not a valid number"))
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let repo = repo_root();
        let (mut stratus, mut baseline, mut quick) = (None, None, false);
        let (mut rounds, mut runs, mut customers, mut sizes, mut timeout) = (None, None, None, None, 300u64);
        let mut sections = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "--stratus" => stratus = Some(PathBuf::from(value(&mut iter, arg)?)),
                "--baseline" => baseline = Some(PathBuf::from(value(&mut iter, arg)?)),
                "--quick" => quick = true,
                "--rounds" => rounds = Some(number::<usize>(value(&mut iter, arg)?, arg)?),
                "--runs" => runs = Some(number::<usize>(value(&mut iter, arg)?, arg)?),
                "--customers" => customers = Some(number::<u64>(value(&mut iter, arg)?, arg)?),
                "--scale-sizes" => {
                    let list = value(&mut iter, arg)?;
                    sizes = Some(list.split(',').map(|n| number::<u32>(n.trim(), arg)).collect::<Result<Vec<_>, _>>()?);
                }
                "--scale-timeout" => timeout = number(value(&mut iter, arg)?, arg)?,
                "-h" | "--help" => return Err(String::new()),
                other => match Section::parse(other) {
                    Some(section) => sections.push(section),
                    None => return Err(format!("unknown argument `{other}`")),
                },
            }
        }
        let stratus = stratus.unwrap_or_else(|| repo.join("target/release/stratus"));
        for binary in std::iter::once(&stratus).chain(baseline.as_ref()) {
            if !binary.is_file() {
                return Err(format!(
                    "no stratus binary at {} (build it with `cargo build --release` in {}, or pass --stratus)",
                    binary.display(),
                    repo.display()
                ));
            }
        }
        if sections.is_empty() {
            sections = Section::ALL.to_vec();
        }
        let options = Options {
            stratus,
            baseline,
            quick,
            rounds: rounds.unwrap_or(if quick { 3 } else { 7 }).max(1),
            runs: runs.unwrap_or(if quick { 1 } else { 3 }).max(1),
            customers: customers.unwrap_or(if quick { 2_000_000 } else { 20_000_000 }).max(10),
            scale_sizes: sizes.unwrap_or_else(|| if quick { vec![1, 100] } else { vec![1, 100, 1_000, 10_000] }),
            scale_timeout: Duration::from_secs(timeout),
            sections,
            repo,
        };
        Ok(options)
    }

    /// The binaries to measure: the one under test, then the baseline.
    fn binaries(&self) -> Vec<(&'static str, &Path)> {
        let mut all = vec![("stratus", self.stratus.as_path())];
        if let Some(baseline) = &self.baseline {
            all.push(("baseline", baseline.as_path()));
        }
        all
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("gen-scale") {
        return gen_scale(&args[1..]);
    }
    let options = match Options::parse(&args) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let scratch = std::env::temp_dir().join(format!("stratus-product-bench-{}", std::process::id()));
    if let Err(error) = fs::create_dir_all(&scratch) {
        eprintln!("error: cannot create {}: {error}", scratch.display());
        return ExitCode::FAILURE;
    }
    let result = run_sections(&options, &scratch);
    let _ = fs::remove_dir_all(&scratch);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `gen-scale`: prints the scale scenario for the given size.
fn gen_scale(args: &[String]) -> ExitCode {
    let parse = || -> Result<String, String> {
        let (mut stations, mut clients, mut duration) = (None, scale::CLIENTS_PER_STATION, None);
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "--stations" => stations = Some(number::<u32>(value(&mut iter, arg)?, arg)?),
                "--clients" => clients = number(value(&mut iter, arg)?, arg)?,
                "--duration" => duration = Some(value(&mut iter, arg)?.clone()),
                other => return Err(format!("gen-scale: unknown argument `{other}`")),
            }
        }
        let stations = stations.ok_or("gen-scale needs --stations N")?;
        let duration = duration.unwrap_or_else(|| scale::duration_for(stations, 22e6));
        Ok(scale::scenario(stations, clients, &duration))
    };
    match parse() {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_sections(options: &Options, scratch: &Path) -> Result<(), String> {
    print_machine(options);
    let started = Instant::now();
    for section in &options.sections {
        match section {
            Section::Mm1 => section_mm1(options, scratch)?,
            Section::Scenarios => section_scenarios(options, scratch)?,
            Section::Memory => section_memory(options, scratch)?,
            Section::Scale => section_scale(options, scratch)?,
        }
        println!("load average after this section: {}", load_average());
    }
    println!("\ntotal time {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Machine
// ---------------------------------------------------------------------------------------------

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn cpu_model() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        info.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "{} (family {}, model {}, {} MHz)",
        field("model name"),
        field("cpu family"),
        field("model\t"),
        field("cpu MHz")
    )
}

fn command_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".into())
}

fn print_machine(options: &Options) {
    println!("# stratus whole-product benchmark{}", if options.quick { " (--quick)" } else { "" });
    println!("nproc: {}", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!("cpu: {}", cpu_model());
    println!("kernel: {}", fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim());
    println!("rustc: {}", command_line("rustc", &["-V"]));
    for (label, binary) in options.binaries() {
        println!("{label}: {} ({})", binary.display(), command_line(&binary.to_string_lossy(), &["--version"]));
    }
    println!("load average at start: {}", load_average());
}

// ---------------------------------------------------------------------------------------------
// Section mm1
// ---------------------------------------------------------------------------------------------

/// One implementation of the M/M/1 model.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Impl<'a> {
    Stratus(&'static str, &'a Path),
    Hand,
    SimCore,
}

impl Impl<'_> {
    fn label(&self) -> String {
        match self {
            Impl::Stratus(label, _) => format!("{label} (whole process)"),
            Impl::Hand => "hand loop (BinaryHeap)".into(),
            Impl::SimCore => "SimCore 0.1".into(),
        }
    }
}

/// One measured run of an implementation.
#[derive(Clone, Debug)]
struct Sample {
    wall: f64,
    cpu: f64,
    customers: f64,
    events: f64,
    /// stratus only: its self-reported simulation seconds.
    sim_secs: Option<f64>,
    in_system: Option<f64>,
    outcome: Option<mm1::Outcome>,
}

impl Sample {
    fn speed(&self) -> f64 {
        self.customers / self.wall
    }
    fn cpu_speed(&self) -> f64 {
        self.customers / self.cpu
    }
}

fn thread_cpu_secs() -> f64 {
    // SAFETY: `timespec` is plain old data and the pointer is valid for the call.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn in_process(run: fn(u64) -> mm1::Outcome, customers: u64) -> Sample {
    let (cpu0, wall0) = (thread_cpu_secs(), Instant::now());
    let outcome = std::hint::black_box(run(std::hint::black_box(customers)));
    let (wall, cpu) = (wall0.elapsed().as_secs_f64(), thread_cpu_secs() - cpu0);
    Sample {
        wall,
        cpu,
        customers: outcome.customers as f64,
        events: outcome.events as f64,
        sim_secs: None,
        in_system: Some(outcome.mean_left_behind()),
        outcome: Some(outcome),
    }
}

fn mm1_duration_set(customers: u64) -> String {
    let millis = (customers as f64 / mm1::ARRIVAL_RATE * 1000.0).round() as u64;
    format!("simulation.duration={millis}ms")
}

fn stratus_mm1(
    options: &Options,
    binary: &Path,
    customers: u64,
    scratch: &Path,
) -> Result<(Sample, RunResult), String> {
    let spec = RunSpec {
        binary: binary.to_path_buf(),
        scenario: options.repo.join(MM1_SCENARIO),
        set: vec![mm1_duration_set(customers)],
        timeout: None,
    };
    let result = process::run(&spec, scratch).map_err(|e| e.to_string())?;
    let customers = result.requests.map(|r| r.measured).ok_or("no clients.sent in the M/M/1 run's summary.csv")?;
    let sample = Sample {
        wall: result.wall,
        cpu: result.cpu,
        customers,
        events: result.events.map_or(f64::NAN, |e| e as f64),
        sim_secs: result.sim_secs,
        in_system: result.in_system,
        outcome: None,
    };
    Ok((sample, result))
}

fn measure(options: &Options, which: Impl, customers: u64, scratch: &Path) -> Result<Sample, String> {
    Ok(match which {
        Impl::Stratus(_, binary) => stratus_mm1(options, binary, customers, scratch)?.0,
        Impl::Hand => in_process(mm1::hand, customers),
        Impl::SimCore => in_process(mm1::simcore, customers),
    })
}

fn section_mm1(options: &Options, scratch: &Path) -> Result<(), String> {
    let n = options.customers;
    println!("\n## M/M/1, {n} customers, {} rounds (order reversed every other round)", options.rounds);
    println!("stratus: `stratus run {MM1_SCENARIO} --set {} --threads 1 --no-progress`", mm1_duration_set(n));
    let mut impls: Vec<Impl> = options.binaries().into_iter().map(|(label, path)| Impl::Stratus(label, path)).collect();
    impls.extend([Impl::Hand, Impl::SimCore]);

    // Warm-up: page in the binaries and the allocator; check the two in-process models agree.
    for &which in &impls {
        measure(options, which, (n / 20).max(10), scratch)?;
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); impls.len()];
    for round in 0..options.rounds {
        let order: Vec<usize> =
            if round % 2 == 0 { (0..impls.len()).collect() } else { (0..impls.len()).rev().collect() };
        for &i in &order {
            samples[i].push(measure(options, impls[i], n, scratch)?);
        }
        let walls: Vec<String> =
            impls.iter().zip(&samples).map(|(w, s)| format!("{} {:.2} s", w.label(), s[round].wall)).collect();
        eprintln!("round {}/{}: {}", round + 1, options.rounds, walls.join(", "));
    }
    check_mm1(&impls, &samples, n)?;

    println!();
    println!(
        "| implementation | customers | events/customer | wall s, median (min..max) | customers/s (median) | CPU s (median) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (which, runs) in impls.iter().zip(&samples) {
        let walls: Vec<f64> = runs.iter().map(|s| s.wall).collect();
        let speeds: Vec<f64> = runs.iter().map(Sample::speed).collect();
        let cpus: Vec<f64> = runs.iter().map(|s| s.cpu).collect();
        println!(
            "| {} | {:.0} | {:.2} | {} | {} | {:.2} |",
            which.label(),
            runs[0].customers,
            runs[0].events / runs[0].customers,
            spread_text(&walls, 2),
            millions(Spread::of(&speeds).map_or(f64::NAN, |s| s.median), 2),
            Spread::of(&cpus).map_or(f64::NAN, |s| s.median)
        );
        if let Impl::Stratus(label, _) = which {
            let sims: Vec<f64> = runs.iter().filter_map(|s| Some(s.customers / s.sim_secs?)).collect();
            let overhead: Vec<f64> = runs.iter().filter_map(|s| Some(s.wall - s.sim_secs?)).collect();
            println!(
                "| {label}, simulation phase only (its own timer) | | | overhead outside it: {} s | {} | |",
                spread_text(&overhead, 2),
                millions(Spread::of(&sims).map_or(f64::NAN, |s| s.median), 2)
            );
        }
    }

    println!();
    println!("Speed ratios (customers/s of A ÷ customers/s of B), per round: median (min..max)");
    println!("| A / B | wall clock | CPU time |");
    println!("|---|---:|---:|");
    let index = |pred: &dyn Fn(&Impl) -> bool| impls.iter().position(pred);
    let stratus = index(&|w| matches!(w, Impl::Stratus("stratus", _)));
    let baseline = index(&|w| matches!(w, Impl::Stratus("baseline", _)));
    let hand = index(&|w| *w == Impl::Hand);
    let simcore = index(&|w| *w == Impl::SimCore);
    let pairs = [
        ("stratus / hand", stratus, hand),
        ("stratus / SimCore", stratus, simcore),
        ("SimCore / hand", simcore, hand),
        ("baseline / hand", baseline, hand),
        ("baseline / SimCore", baseline, simcore),
        ("stratus / baseline", stratus, baseline),
    ];
    for (name, a, b) in pairs {
        let (Some(a), Some(b)) = (a, b) else { continue };
        let ratio = |f: fn(&Sample) -> f64| -> Vec<f64> {
            samples[a].iter().zip(&samples[b]).map(|(x, y)| f(x) / f(y)).collect()
        };
        println!(
            "| {name} | {} | {} |",
            spread_text(&ratio(Sample::speed), 3),
            spread_text(&ratio(Sample::cpu_speed), 3)
        );
    }
    Ok(())
}

/// The in-process models must have done the same work, and stratus a plausible M/M/1.
fn check_mm1(impls: &[Impl], samples: &[Vec<Sample>], n: u64) -> Result<(), String> {
    let outcome =
        |which: Impl| impls.iter().position(|w| *w == which).and_then(|i| samples[i].first()).and_then(|s| s.outcome);
    if let (Some(h), Some(s)) = (outcome(Impl::Hand), outcome(Impl::SimCore)) {
        let relative = (h.left_behind as f64 - s.left_behind as f64).abs() / (h.left_behind as f64).max(1.0);
        if h.customers != n || s.customers != n || relative > 1e-4 {
            return Err(format!("the hand loop and SimCore disagree: {h:?} vs {s:?}"));
        }
        println!(
            "check: hand loop and SimCore served the same {n} customers; mean number left behind {:.4} and {:.4} (M/M/1 theory {})",
            h.mean_left_behind(),
            s.mean_left_behind(),
            mm1::THEORY_IN_SYSTEM
        );
    }
    for (which, runs) in impls.iter().zip(samples) {
        if let (Impl::Stratus(label, _), Some(first)) = (which, runs.first()) {
            let off = (first.customers - n as f64).abs() / n as f64;
            println!(
                "check: {label} simulated {:.0} customers ({:+.3}% from {n}); mean number in system {:.4}",
                first.customers,
                (first.customers / n as f64 - 1.0) * 100.0,
                first.in_system.unwrap_or(f64::NAN)
            );
            if off > 0.01 {
                return Err(format!("{label}: {} customers instead of about {n}", first.customers));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Section scenarios
// ---------------------------------------------------------------------------------------------

fn section_scenarios(options: &Options, scratch: &Path) -> Result<(), String> {
    let binaries = options.binaries();
    println!("\n## Scenarios, {} run(s) each, `--threads 1`", options.runs);
    println!("requests = Σ `<workload>.sent` × replications over points, scaled by duration / (duration − warm-up)");
    print!(
        "\n| scenario | binary | wall s, median (min..max) | requests | requests/s (wall) | events | events/s (simulation phase) | peak RSS MB |"
    );
    println!(
        "{}",
        if binaries.len() > 1 {
            " speed-up stratus vs baseline (baseline wall ÷ stratus wall), median (min..max) |"
        } else {
            ""
        }
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|{}", if binaries.len() > 1 { "---:|" } else { "" });
    for scenario in SCENARIOS {
        let mut results: Vec<Vec<RunResult>> = vec![Vec::new(); binaries.len()];
        for run in 0..options.runs {
            let order: Vec<usize> =
                if run % 2 == 0 { (0..binaries.len()).collect() } else { (0..binaries.len()).rev().collect() };
            for &i in &order {
                let spec = RunSpec {
                    binary: binaries[i].1.to_path_buf(),
                    scenario: options.repo.join(scenario),
                    set: vec![],
                    timeout: None,
                };
                results[i].push(process::run(&spec, scratch).map_err(|e| e.to_string())?);
            }
        }
        for (i, (label, _)) in binaries.iter().enumerate() {
            let runs = &results[i];
            let walls: Vec<f64> = runs.iter().map(|r| r.wall).collect();
            let requests = runs[0].requests.map_or(f64::NAN, |r| r.total);
            let events = runs[0].events.map_or(f64::NAN, |e| e as f64);
            let wall = Spread::of(&walls).map_or(f64::NAN, |s| s.median);
            let sims: Vec<f64> = runs.iter().filter_map(|r| Some(r.events? as f64 / r.sim_secs?)).collect();
            let rss = runs.iter().map(|r| r.max_rss).max().unwrap_or(0) as f64 / 1e6;
            let speedup = if i == 0 && binaries.len() > 1 {
                let ratios: Vec<f64> = results[1].iter().zip(runs).map(|(b, s)| b.wall / s.wall).collect();
                format!(" {} |", spread_text(&ratios, 3))
            } else if binaries.len() > 1 {
                " |".into()
            } else {
                String::new()
            };
            println!(
                "| `{}` | {label} | {} | {} | {} | {} | {} | {rss:.1} |{speedup}",
                scenario.trim_start_matches("scenarios/"),
                spread_text(&walls, 2),
                millions(requests, 2),
                millions(requests / wall, 3),
                millions(events, 1),
                millions(Spread::of(&sims).map_or(f64::NAN, |s| s.median), 2),
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Section memory
// ---------------------------------------------------------------------------------------------

fn section_memory(options: &Options, scratch: &Path) -> Result<(), String> {
    let durations: &[(&str, u64)] = if options.quick {
        &[("1 min", 60), ("5 min", 300), ("20 min", 1200)]
    } else {
        &[("10 min", 600), ("1 h", 3600), ("4 h", 14_400)]
    };
    println!("\n## Memory against simulated time: `{MM1_SCENARIO}` at 10,000 customers/s, one run each");
    println!("\n| binary | simulated | customers | wall s | peak RSS MB | RSS at end of simulation MB |");
    println!("|---|---|---:|---:|---:|---:|");
    for &(label, secs) in durations {
        for (binary_label, binary) in options.binaries() {
            let customers = (secs as f64 * mm1::ARRIVAL_RATE) as u64;
            let (sample, result) = stratus_mm1(options, binary, customers, scratch)?;
            println!(
                "| {binary_label} | {label} | {} | {:.2} | {:.1} | {} |",
                millions(sample.customers, 1),
                sample.wall,
                result.max_rss as f64 / 1e6,
                result.rss_simulated.map_or("-".into(), |b| format!("{:.1}", b as f64 / 1e6))
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Section scale
// ---------------------------------------------------------------------------------------------

fn section_scale(options: &Options, scratch: &Path) -> Result<(), String> {
    let requests = if options.quick { 2e6 } else { 22e6 };
    println!(
        "\n## Scale: S stations × {} closed-loop clients (think {}, service {}), about {} requests per run",
        scale::CLIENTS_PER_STATION,
        scale::THINK_MEAN,
        scale::SERVICE_MEAN,
        millions(requests, 0)
    );
    println!(
        "Phases seen from outside: load = spawn until the first stderr line; simulate = until the staging folder appears; write = the rest \
         (in brackets: seconds into writing when the CSV files, histograms, charts and report were done, from their mtimes). \
         Runs are killed after {} s.",
        options.scale_timeout.as_secs()
    );
    println!(
        "\n| binary | stations | clients | simulated | requests | events/request | load s | simulate s | write s | ns/event (simulation) | µs/request (simulation) | × the 1-station cost per event | heap depth factor log(pending) | RSS after simulation MB | peak RSS MB |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut reference: Vec<Option<(f64, f64)>> = vec![None; options.binaries().len()];
    for &stations in &options.scale_sizes {
        let duration = scale::duration_for(stations, requests);
        let file = scratch.join(format!("scale-{stations}.toml"));
        fs::write(&file, scale::scenario(stations, scale::CLIENTS_PER_STATION, &duration))
            .map_err(|e| format!("{}: {e}", file.display()))?;
        for (b, (label, binary)) in options.binaries().into_iter().enumerate() {
            let spec = RunSpec {
                binary: binary.to_path_buf(),
                scenario: file.clone(),
                set: vec![],
                timeout: Some(options.scale_timeout),
            };
            let r = process::run(&spec, scratch).map_err(|e| e.to_string())?;
            let loaded = r.loaded_at.unwrap_or(f64::NAN);
            let simulated = r.simulated_at.unwrap_or(f64::NAN);
            // stratus's own timer when it finished; the outside view otherwise.
            let sim_secs = r.sim_secs.unwrap_or(simulated - loaded);
            let reqs = r.requests.map_or(f64::NAN, |q| q.total);
            let events = r.events.map_or(f64::NAN, |e| e as f64);
            let per_event = sim_secs / events * 1e9;
            let pending = f64::from(stations) * f64::from(scale::CLIENTS_PER_STATION) + 1.0;
            let (base_event, base_pending) = *reference[b].get_or_insert((per_event, pending));
            let timeline: Vec<String> =
                r.written_at.iter().map(|(kind, at)| format!("{kind} {:.1}", at - simulated)).collect();
            let write = if r.timed_out {
                format!(
                    "> {:.0} (killed; {} files written; {})",
                    r.wall - simulated,
                    r.files_written_at_kill.unwrap_or(0),
                    timeline.join(", ")
                )
            } else {
                format!("{:.2} ({})", r.wall - simulated, timeline.join(", "))
            };
            println!(
                "| {label} | {stations} | {} | {duration} | {} | {:.2} | {loaded:.2} | {:.2} | {write} | {per_event:.1} | {:.3} | {:.2} | {:.2} | {} | {:.1} |",
                u64::from(stations) * u64::from(scale::CLIENTS_PER_STATION),
                millions(reqs, 2),
                events / reqs,
                sim_secs,
                sim_secs / reqs * 1e6,
                per_event / base_event,
                pending.log2() / base_pending.log2(),
                r.rss_simulated.map_or("-".into(), |b| format!("{:.1}", b as f64 / 1e6)),
                r.max_rss as f64 / 1e6,
            );
        }
    }
    Ok(())
}

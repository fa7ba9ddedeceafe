//! Runs the `stratus` binary as a subprocess and reads what it reports: wall time, CPU time and
//! peak RSS of the process (from `wait4`), the event count and simulation time it prints on
//! stderr, when each phase ended as seen from outside, and the requests in its `summary.csv`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How often the phase watcher looks at the child's stderr and output folder.
const WATCH_PERIOD: Duration = Duration::from_millis(5);

/// One `stratus run` to perform.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// The binary.
    pub binary: PathBuf,
    /// The scenario file.
    pub scenario: PathBuf,
    /// `--set PATH=VALUE` overrides.
    pub set: Vec<String>,
    /// Kill the run after this long (its result is then marked as timed out).
    pub timeout: Option<Duration>,
}

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct RunResult {
    /// Wall-clock seconds from spawn to exit.
    pub wall: f64,
    /// User + system CPU seconds of the process.
    pub cpu: f64,
    /// Peak resident set size in bytes.
    pub max_rss: u64,
    /// Events simulated, from stratus's closing stderr line (absent if it did not finish).
    pub events: Option<u64>,
    /// Seconds stratus itself reports for simulating (loading and writing excluded).
    pub sim_secs: Option<f64>,
    /// Seconds from spawn until stratus announced the run on stderr (start-up and loading).
    pub loaded_at: Option<f64>,
    /// Seconds from spawn until stratus began writing its results (its staging folder
    /// appeared): start-up, loading and simulation.
    pub simulated_at: Option<f64>,
    /// Peak RSS in bytes when the staging folder appeared (loading and simulation only).
    pub rss_simulated: Option<u64>,
    /// Requests simulated (see [`Requests`]), from `summary.csv` and the resolved scenario.
    pub requests: Option<Requests>,
    /// Mean of `<station>.in_system` for the first station in `summary.csv`, if any.
    pub in_system: Option<f64>,
    /// The run was killed at its timeout.
    pub timed_out: bool,
    /// Files in the staging folder when a timed-out run was killed (how far writing got).
    pub files_written_at_kill: Option<usize>,
    /// When each kind of output file was last written, in seconds since spawn (from the
    /// files' modification times): `csv`, `histograms`, `charts`, `report`.
    pub written_at: Vec<(&'static str, f64)>,
}

/// Requests of a run, read from `summary.csv`.
#[derive(Copy, Clone, Debug, Default)]
pub struct Requests {
    /// Σ over points and workloads of `<workload>.sent` × replications: requests issued in the
    /// measured window (after warm-up), retries not counted.
    pub measured: f64,
    /// `measured` scaled by duration / (duration − warm-up): requests over the whole simulated
    /// time, warm-up included (the arrival rate is taken as steady).
    pub total: f64,
}

/// A failed run.
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `spec` once with its output in a fresh folder under `scratch`, which is removed
/// afterwards.
pub fn run(spec: &RunSpec, scratch: &Path) -> Result<RunResult, RunError> {
    let out = unique_dir(scratch, "out");
    let stdout_path = out.with_extension("stdout");
    let stderr_path = out.with_extension("stderr");
    let file = |path: &Path| fs::File::create(path).map_err(|e| RunError(format!("{}: {e}", path.display())));
    let mut command = Command::new(&spec.binary);
    command.arg("run").arg(&spec.scenario).arg("--out").arg(&out).args(["--threads", "1", "--no-progress"]);
    for set in &spec.set {
        command.arg("--set").arg(set);
    }
    command.stdin(Stdio::null()).stdout(file(&stdout_path)?).stderr(file(&stderr_path)?);

    let started = Instant::now();
    let spawned_at = std::time::SystemTime::now();
    let child = command.spawn().map_err(|e| RunError(format!("cannot start {}: {e}", spec.binary.display())))?;
    let pid = child.id() as libc::pid_t;
    let staging = staging_dir(&out, pid);
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watcher = {
        let (stderr_path, staging, timeout) = (stderr_path.clone(), staging.clone(), spec.timeout);
        thread::spawn(move || watch(pid, started, &stderr_path, &staging, timeout, &done_rx))
    };
    let (status, usage) = wait_for(pid);
    let wall = started.elapsed().as_secs_f64();
    let _ = done_tx.send(());
    let phases = watcher.join().unwrap_or_default();
    drop(child); // already reaped by `wait_for`

    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    let mut result = RunResult {
        wall,
        cpu: timeval_secs(usage.ru_utime) + timeval_secs(usage.ru_stime),
        max_rss: usage.ru_maxrss.max(0) as u64 * 1024,
        loaded_at: phases.loaded_at,
        simulated_at: phases.simulated_at,
        rss_simulated: phases.rss_simulated,
        timed_out: phases.killed,
        files_written_at_kill: phases.killed.then(|| count_files(&staging)),
        ..RunResult::default()
    };
    if let Some((events, secs)) = parse_events_line(&stderr) {
        result.events = Some(events);
        result.sim_secs = Some(secs);
    }
    result.written_at = write_timeline(if phases.killed { &staging } else { &out }, spawned_at);
    if !phases.killed {
        if !exited_ok(status) {
            let _ = fs::remove_dir_all(&out);
            return Err(RunError(format!(
                "{} {} failed ({}):\n{}",
                spec.binary.display(),
                spec.scenario.display(),
                describe_status(status),
                stderr.trim_end()
            )));
        }
        result.requests = read_requests(&out);
        result.in_system = read_first_in_system(&out);
    } else {
        // Killed while writing: the staging folder already holds the CSV files, which are
        // written first.
        result.requests = read_requests(&staging);
        result.in_system = read_first_in_system(&staging);
        result.events = result.events.or_else(|| read_events(&staging));
    }
    let _ = fs::remove_dir_all(&out);
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_file(&stdout_path);
    let _ = fs::remove_file(&stderr_path);
    Ok(result)
}

/// A path under `scratch` that no earlier run used.
fn unique_dir(scratch: &Path, stem: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    scratch.join(format!("{stem}-{}", NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// The folder stratus writes its results into before swapping them in: `.<name>-<pid>.staging`
/// beside `--out` (src/report/mod.rs, `write_all`). Only used to time the phases; if stratus
/// names it differently, the simulation phase is simply not seen from outside.
fn staging_dir(out: &Path, pid: libc::pid_t) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!(".{name}-{pid}.staging"))
}

#[derive(Default)]
struct Phases {
    loaded_at: Option<f64>,
    simulated_at: Option<f64>,
    rss_simulated: Option<u64>,
    killed: bool,
}

/// Notes when the child's stderr first gets a line (the scenario is loaded) and when its
/// staging folder appears (simulation done); kills the child at `timeout`. Stops when told
/// the child has exited.
fn watch(
    pid: libc::pid_t,
    started: Instant,
    stderr: &Path,
    staging: &Path,
    timeout: Option<Duration>,
    done: &mpsc::Receiver<()>,
) -> Phases {
    let mut phases = Phases::default();
    loop {
        match done.recv_timeout(WATCH_PERIOD) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => return phases,
        }
        let now = started.elapsed();
        if phases.loaded_at.is_none() && fs::metadata(stderr).is_ok_and(|m| m.len() > 0) {
            phases.loaded_at = Some(now.as_secs_f64());
        }
        if phases.simulated_at.is_none() && staging.exists() {
            phases.simulated_at = Some(now.as_secs_f64());
            phases.rss_simulated = peak_rss_of(pid);
        }
        if !phases.killed && timeout.is_some_and(|limit| now >= limit) {
            // The child is not reaped until `wait_for` returns, so `pid` is still ours.
            // SAFETY: kill(2) has no memory-safety preconditions.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            phases.killed = true;
        }
    }
}

/// Waits for `pid` and returns its wait status and resource usage.
fn wait_for(pid: libc::pid_t) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: `rusage` is plain old data; zeroed is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are valid for writes for the duration of the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return (status, usage);
        }
    }
}

/// `VmHWM` of a running process, in bytes.
fn peak_rss_of(pid: libc::pid_t) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

fn exited_ok(status: i32) -> bool {
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

fn describe_status(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exit code {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("signal {}", libc::WTERMSIG(status))
    } else {
        format!("wait status {status}")
    }
}

fn timeval_secs(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 * 1e-6
}

/// The latest modification time of the files `dir` holds at any depth.
fn latest_mtime(dir: &Path) -> Option<std::time::SystemTime> {
    let entries = fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .filter_map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => latest_mtime(&entry.path()),
            _ => entry.metadata().ok()?.modified().ok(),
        })
        .max()
}

/// When the CSV files, the histograms, the charts and the report were (last) written, in seconds
/// after `spawned_at`; only the kinds that exist.
fn write_timeline(dir: &Path, spawned_at: std::time::SystemTime) -> Vec<(&'static str, f64)> {
    let since = |time: std::time::SystemTime| time.duration_since(spawned_at).map_or(0.0, |d| d.as_secs_f64());
    let file_time = |name: &str| fs::metadata(dir.join(name)).ok()?.modified().ok();
    let csv = ["summary.csv", "replications.csv", "timeseries.csv"].iter().filter_map(|n| file_time(n)).max();
    [
        ("csv", csv),
        ("histograms", latest_mtime(&dir.join("histograms"))),
        ("charts", latest_mtime(&dir.join("charts"))),
        ("report", file_time("report.html")),
    ]
    .into_iter()
    .filter_map(|(kind, time)| Some((kind, since(time?))))
    .collect()
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => count_files(&entry.path()),
            _ => 1,
        })
        .sum()
}

/// `stratus: 3992705 events in 0.31 s (12.9 M events/s); results in DIR` → (events, seconds).
fn parse_events_line(stderr: &str) -> Option<(u64, f64)> {
    stderr.lines().find_map(|line| {
        let rest = line.strip_prefix("stratus: ")?;
        let (events, rest) = rest.split_once(" events in ")?;
        let (secs, _) = rest.split_once(" s")?;
        Some((events.trim().parse().ok()?, secs.trim().parse().ok()?))
    })
}

/// The columns of a `summary.csv` row that the benchmark reads.
struct SummaryRow {
    metric: String,
    unit: String,
    replications: f64,
    mean: f64,
}

/// The rows of `summary.csv` in `out`.
fn summary_rows(out: &Path) -> Option<Vec<SummaryRow>> {
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).ok()?;
    let header = reader.headers().ok()?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (metric, unit, reps, mean) = (column("metric")?, column("unit")?, column("replications")?, column("mean")?);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.ok()?;
        let number = |i: usize| record.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        rows.push(SummaryRow {
            metric: record.get(metric)?.to_string(),
            unit: record.get(unit)?.to_string(),
            replications: number(reps),
            mean: number(mean),
        });
    }
    Some(rows)
}

fn read_requests(out: &Path) -> Option<Requests> {
    let rows = summary_rows(out)?;
    let measured: f64 = rows
        .iter()
        .filter(|row| row.metric.ends_with(".sent") && row.unit == "requests" && row.mean.is_finite())
        .map(|row| row.mean * row.replications)
        .sum();
    let (duration, warmup) = read_duration_warmup(out)?;
    let total = if duration > warmup { measured * duration / (duration - warmup) } else { measured };
    Some(Requests { measured, total })
}

/// Events of every run, from the `events` column of `replications.csv` (one value per point and
/// replication, repeated on each of its metric rows).
fn read_events(out: &Path) -> Option<u64> {
    let mut reader = csv::Reader::from_path(out.join("replications.csv")).ok()?;
    let header = reader.headers().ok()?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (point, replication, events) = (column("point")?, column("replication")?, column("events")?);
    let mut seen = std::collections::BTreeMap::new();
    for record in reader.records() {
        let record = record.ok()?;
        let key = (record.get(point)?.to_string(), record.get(replication)?.to_string());
        seen.entry(key).or_insert(record.get(events)?.parse::<u64>().ok()?);
    }
    Some(seen.values().sum())
}

fn read_first_in_system(out: &Path) -> Option<f64> {
    summary_rows(out)?.into_iter().find(|row| row.metric.ends_with(".in_system")).map(|row| row.mean)
}

/// `simulation.duration` and `simulation.warmup` of the resolved scenario, in seconds.
fn read_duration_warmup(out: &Path) -> Option<(f64, f64)> {
    let text = fs::read_to_string(out.join("scenario.resolved.toml")).ok()?;
    let doc: toml::Table = text.parse().ok()?;
    let simulation = doc.get("simulation")?.as_table()?;
    let get = |key: &str| simulation.get(key).and_then(|v| v.as_str()).and_then(parse_duration);
    Some((get("duration")?, get("warmup").unwrap_or(0.0)))
}

/// A stratus duration (`"1h30m"`, `"250ms"`, `"1.5s"`, `"300us"`, `"0"`) in seconds.
pub fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    if text == "0" {
        return Some(0.0);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(rest.len());
        let value: f64 = rest[..digits].replace('_', "").parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("300us"), Some(300e-6));
        assert_eq!(parse_duration("1.5s"), Some(1.5));
        assert_eq!(parse_duration("0s"), Some(0.0));
        assert_eq!(parse_duration("10x"), None);
    }

    #[test]
    fn events_line() {
        let stderr = "stratus: mm1 — 1 point × 1 replication = 1 run\n\
                      stratus: 3992705 events in 0.31 s (12.9 M events/s); results in /tmp/x\n";
        assert_eq!(parse_events_line(stderr), Some((3_992_705, 0.31)));
    }
}

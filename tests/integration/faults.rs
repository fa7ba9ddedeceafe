//! The fault mechanism and the shared client policy, checked on plain stations where the
//! expected outcome can be worked out by hand.

use std::path::Path;

use stratus::scenario::Scenario;

use crate::common::{metric, per_replication as values};

fn run(toml: &str) -> stratus::experiment::ExperimentResults {
    crate::common::run("faults.toml", toml)
}

const LIGHT_STATION: &str = r#"
[topology]
azs = ["a", "b"]
same_az_rtt = "0"
cross_az_rtt = "0"
[[component]]
name = "app"
kind = "station"
az = "b"
servers = 10
service = { dist = "exponential", mean = "10ms" }
"#;

#[test]
fn crash_loses_every_request_of_the_window() {
    // λ = 50/s, a 30 s crash and clients that never retry: every request sent during the
    // window times out. Their number is Poisson with mean λ·30 = 1500 (sd √1500 ≈ 39), plus
    // the ≈ λ·E[S] = 0.5 requests in service at the crash. ±4 sd = ±155 never fails by chance
    // (p < 1e-4) yet would catch a window off by 3 s.
    let results = run(&format!(
        r#"name = "crash"
[simulation]
duration = "3m"
replications = 4
seed = 3
{LIGHT_STATION}
[[workload]]
name = "users"
target = "app"
az = "a"
arrival = {{ process = "poisson", rate = 50 }}
client = {{ timeout = "500ms", max_attempts = 1, outage_gap = "1s" }}
[[fault]]
action = "crash"
target = "app"
at = "60s"
duration = "30s"
"#
    ));
    for timeouts in values(&results, "users.errors.timeout") {
        assert!((timeouts - 1500.0).abs() < 155.0, "timeouts in the window: {timeouts}");
    }
    // The client's view of the outage: from the last success before the crash to the first
    // after it. It spans the 30 s window plus at most a few inter-arrival gaps (mean 20 ms)
    // and one service time: [30 s, 30.5 s] is generous by an order of magnitude.
    for gap in values(&results, "users.longest_outage") {
        assert!((30.0..30.5).contains(&gap), "longest outage {gap} s");
    }
    for outages in values(&results, "users.outages") {
        assert_eq!(outages, 1.0, "exactly one gap longer than 1 s");
    }
    for lost in values(&results, "app.lost") {
        assert!(lost >= 1400.0, "the crashed station lost the requests sent to it: {lost}");
    }
    assert_eq!(metric(&results, "faults.count").mean, 1.0);
    // The fault window is recorded for the charts and as the faults.active series.
    let windows = &results.points[0].fault_windows;
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0].start.as_secs_f64(), 60.0);
    assert_eq!(windows[0].end.map(|t| t.as_secs_f64()), Some(90.0));
    assert!(results.points[0].series.names.iter().any(|n| n == "faults.active"));
}

#[test]
fn retries_with_backoff_ride_out_a_short_crash() {
    // A 2 s crash; attempts time out after 200 ms and back off by at most 1 s, with 20
    // attempts (≥ 19 × 200 ms of timeouts alone = 3.8 s > 2 s), so every request eventually
    // succeeds. The retries make the end-to-end latency of those requests exceed the window.
    let results = run(&format!(
        r#"name = "retry"
[simulation]
duration = "2m"
replications = 3
seed = 5
{LIGHT_STATION}
[[workload]]
name = "users"
target = "app"
az = "a"
arrival = {{ process = "poisson", rate = 50 }}
client = {{ timeout = "200ms", max_attempts = 20, backoff = "100ms", backoff_cap = "1s" }}
[[fault]]
action = "crash"
target = "app"
at = "30s"
duration = "2s"
"#
    ));
    assert_eq!(metric(&results, "users.errors").mean, 0.0, "no request gives up");
    assert_eq!(metric(&results, "users.success_ratio").mean, 1.0);
    // About λ·2 s = 100 requests are caught by the crash, each retried several times.
    assert!(metric(&results, "users.retries").mean > 100.0);
    let max_latency = metric(&results, "users.latency").percentiles.unwrap().max;
    assert!(max_latency > 1_800.0, "a request sent at the crash waited it out: max {max_latency} ms");
}

#[test]
fn az_outage_and_partition_cut_the_network() {
    // The station sits in AZ b, the clients in AZ a. An outage of b (60–70 s) and later a
    // partition a|b (120–130 s) each stop all successes for 10 s; without retries each window
    // costs λ·10 = 500 requests (sd 22), so 2 × 500 ± 4·√1000 (±127).
    let results = run(&format!(
        r#"name = "network"
[simulation]
duration = "3m"
replications = 3
seed = 7
{LIGHT_STATION}
[[workload]]
name = "users"
target = "app"
az = "a"
arrival = {{ process = "poisson", rate = 50 }}
client = {{ timeout = "500ms", outage_gap = "2s" }}
[[fault]]
action = "az_outage"
az = "b"
at = "60s"
duration = "10s"
[[fault]]
action = "partition"
azs = ["a", "b"]
at = "120s"
duration = "10s"
"#
    ));
    for errors in values(&results, "users.errors.timeout") {
        assert!((errors - 1000.0).abs() < 127.0, "timeouts {errors}");
    }
    for outages in values(&results, "users.outages") {
        assert_eq!(outages, 2.0);
    }
    // The outage crashed the station (it was in b); the partition did not: the station kept
    // serving what reached it, and only the replies were cut.
    for lost in values(&results, "app.lost") {
        assert!(lost < 5.0, "the AZ outage lost only what was inside the station: {lost}");
    }
}

#[test]
fn stochastic_faults_follow_mtbf_and_mttr() {
    // An alternating renewal process with exponential up times (mean 90 s) and down times
    // (mean 10 s) is down a fraction MTTR / (MTBF + MTTR) = 0.1 of the time. Over 4 h per
    // replication (≈ 144 cycles) the per-replication fraction has sd ≈ 0.1·√(2/144)·... ≈ 0.012,
    // so the Student-t CI over 12 replications has a half-width of ≈ 0.008: it must contain 0.1
    // and be narrower than 0.02 so the check means something.
    let results = run(&format!(
        r#"name = "mtbf"
[simulation]
duration = "4h"
replications = 12
seed = 11
{LIGHT_STATION}
[[workload]]
name = "users"
target = "app"
az = "b"
arrival = {{ process = "poisson", rate = 1 }}
[[fault]]
action = "crash"
target = "app"
mtbf = {{ dist = "exponential", mean = "90s" }}
mttr = {{ dist = "exponential", mean = "10s" }}
"#
    ));
    let down = metric(&results, "faults.active");
    assert!(down.ci95_low <= 0.1 && 0.1 <= down.ci95_high, "down fraction {down:?}");
    assert!(down.ci95_high - down.ci95_low < 0.02, "interval too wide to mean anything: {down:?}");
    // 4 h / 100 s ≈ 144 failures per replication.
    let count = metric(&results, "faults.count").mean;
    assert!((count - 144.0).abs() < 20.0, "failures per replication {count}");
}

#[test]
fn slow_fault_scales_service_times() {
    // M/M/1 with λ = 4, E[S] = 100 ms (ρ = 0.4) slowed ×2 for the whole run is an M/M/1 with
    // E[S] = 200 ms, ρ = 0.8: mean response time 1/(μ − λ) = 1/(5 − 4) = 1 s. The CI over 10
    // replications of 2 h (warm-up 10 min, ≈ 29,000 completions each) contains 1 s and its
    // half-width is a few percent; we also bound the relative error by 8% (≈ 3 half-widths).
    let results = run(r#"name = "slow"
[simulation]
duration = "2h"
warmup = "10m"
replications = 10
seed = 13
[topology]
same_az_rtt = "0"
[[component]]
name = "app"
kind = "station"
service = { dist = "exponential", mean = "100ms" }
[[workload]]
name = "users"
target = "app"
arrival = { process = "poisson", rate = 4 }
[[fault]]
action = "slow"
target = "app"
factor = 2
at = "0s"
"#);
    let response = metric(&results, "app.response_time");
    assert!(response.ci95_low <= 1000.0 && 1000.0 <= response.ci95_high, "{response:?}");
    assert!((response.mean - 1000.0).abs() < 80.0, "{response:?}");
    let utilization = metric(&results, "app.utilization");
    assert!((utilization.mean - 0.8).abs() < 0.02, "{utilization:?}");
}

#[test]
fn faults_are_validated_with_their_location() {
    let base = r#"name = "bad"
[simulation]
duration = "1m"
[[component]]
name = "app"
kind = "station"
service = "1ms"
[[workload]]
name = "users"
target = "app"
arrival = { process = "poisson", rate = 1 }
[[fault]]
"#;
    let cases = [
        ("action = \"explode\"\nat = \"1s\"\n", 13, "unknown fault action"),
        ("action = \"crash\"\ntarget = \"nope\"\nat = \"1s\"\n", 14, "no component is called `nope`"),
        (
            "action = \"crash\"\ntarget = \"app\"\ninstance = \"standby\"\nat = \"1s\"\n",
            15,
            "no instance matches `standby`",
        ),
        ("action = \"az_outage\"\naz = \"z\"\nat = \"1s\"\n", 14, "unknown availability zone `z`"),
        ("action = \"crash\"\ntarget = \"app\"\n", 12, "needs `at`"),
        ("action = \"slow\"\ntarget = \"app\"\nat = \"1s\"\nfactor = -1\n", 16, "`factor` must be a positive number"),
    ];
    for (fault, line, message) in cases {
        let text = format!("{base}{fault}");
        match Scenario::from_source("bad.toml", &text, Path::new("."), &[]) {
            Err(stratus::scenario::ScenarioError::Invalid(diagnostic)) => {
                assert_eq!(diagnostic.line, line, "{fault:?}: {diagnostic}");
                assert!(diagnostic.message.contains(message), "{fault:?}: {diagnostic}");
            }
            other => panic!("{fault:?} was not rejected as expected: {other:?}"),
        }
    }
}

#[test]
fn overlapping_faults_nest() {
    // Two crashes, 10–30 s and 15–40 s: the station is down from 10 s to 40 s, not until the
    // first one ends. Constant arrivals every 100 ms with a 1 s timeout and no retries: the
    // 300 requests sent in those 30 s all fail, and the client sees one 30 s gap (plus at
    // most one inter-arrival time).
    let results = run(&format!(
        r#"name = "overlap"
[simulation]
duration = "1m"
replications = 1
{LIGHT_STATION}
[[workload]]
name = "users"
target = "app"
az = "b"
arrival = {{ process = "constant", rate = 10 }}
client = {{ timeout = "1s", outage_gap = "2s" }}
[[fault]]
action = "crash"
target = "app"
at = "10s"
duration = "20s"
[[fault]]
action = "crash"
target = "app"
at = "15s"
duration = "25s"
"#
    ));
    let errors = metric(&results, "users.errors.timeout").mean;
    assert!((errors - 300.0).abs() <= 1.0, "requests lost while down: {errors}");
    let gap = metric(&results, "users.longest_outage").mean;
    assert!((30.0..=30.2).contains(&gap), "outage {gap} s");
}

#[test]
fn a_run_whose_time_cannot_advance_is_reported() {
    // One closed-loop client with no think time, no network delay and zero service time:
    // every event happens at t = 0. The run must stop with an error, not loop forever.
    let toml = r#"name = "stall"
[simulation]
duration = "1s"
replications = 1
[topology]
same_az_rtt = "0"
[[component]]
name = "app"
kind = "station"
service = "0s"
[[workload]]
name = "users"
target = "app"
clients = 1
"#;
    let scenario = Scenario::from_source("stall.toml", toml, Path::new("."), &[]).unwrap();
    let options = stratus::experiment::RunOptions { threads: Some(1), progress: stratus::experiment::Progress::Hidden };
    match stratus::experiment::run(&scenario, &options) {
        Err(error @ stratus::experiment::ExperimentError::Stalled { .. }) => {
            assert!(error.to_string().contains("stopped advancing"), "{error}");
        }
        other => panic!("expected a stall, got {:?}", other.map(|r| r.total_events)),
    }
}

#[test]
fn sparse_on_off_arrivals_end_at_the_horizon() {
    // At 1e-9 requests/s during 1 ms on periods, the next arrival is ~10^12 cycles away: the
    // generator must give up at the end of the run instead of searching for it.
    let results = run(&format!(
        r#"name = "sparse"
[simulation]
duration = "10s"
replications = 1
{LIGHT_STATION}
[[workload]]
name = "users"
target = "app"
arrival = {{ process = "onoff", rate = 1e-9, on = "1ms", off = "1ms" }}
"#
    ));
    assert_eq!(metric(&results, "users.sent").mean, 0.0);
}

/// Without faults there is no outage, at any load: an M/M/1 at 0.5 requests/s has gaps of many
/// seconds between successes (P(gap > 5 s) = e^(−2.5) ≈ 8%), which are quiet, not outages; at
/// 50 requests/s the gaps are short anyway. Both report zero downtime, with timeouts and
/// retries on (so failures would be seen if there were any).
#[test]
fn no_faults_no_downtime_at_any_load() {
    for rate in [0.5, 50.0] {
        let results = run(&format!(
            r#"name = "quiet"
[simulation]
duration = "2h"
replications = 2
seed = 8
[[component]]
name = "app"
kind = "station"
service = {{ dist = "exponential", mean = "10ms" }}
[[workload]]
name = "users"
target = "app"
arrival = {{ process = "poisson", rate = {rate} }}
client = {{ timeout = "1s", max_attempts = 3 }}
"#
        ));
        for downtime in values(&results, "users.downtime") {
            assert_eq!(downtime, 0.0, "rate {rate}: downtime {downtime} s without faults");
        }
        assert_eq!(metric(&results, "users.outages").mean, 0.0, "rate {rate}");
    }
}

/// A write outage that reads do not end: the RDS primary crashes and fails over in 2 + 2 + 2 s
/// (detection, promotion, DNS switch), while reads keep succeeding on the two read replicas.
/// Over all requests the clients never see a gap longer than `outage_gap` (reads answer every
/// few milliseconds); the writes alone are down from the crash until the switch plus at most
/// one DNS TTL (1 s) and one retry (≤ 0.25 s backoff + 0.5 s timeout); and each of the 4
/// hosts' own view (over all its requests) sees no outage either, since its reads succeed.
#[test]
fn reads_do_not_hide_an_outage_of_writes() {
    let results = run(r#"name = "writes-down"
[simulation]
duration = "1m"
replications = 2
seed = 4
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
replicas = 2
read_routing = "round_robin"
detection = "2s"
promotion = "2s"
dns_switch = "2s"
[[workload]]
name = "users"
target = "db"
arrival = { process = "poisson", rate = 200 }
write_fraction = 0.5
client = { timeout = "500ms", max_attempts = 100, backoff = "50ms", backoff_cap = "250ms", dns_ttl = "1s", hosts = 4, outage_gap = "1s" }
[[fault]]
action = "crash"
target = "db"
instance = "primary"
at = "20s"
duration = "30s"
"#);
    for overall in values(&results, "users.longest_outage") {
        assert_eq!(overall, 0.0, "reads kept succeeding: no gap longer than 1 s overall");
    }
    for (writes, worst) in
        values(&results, "users.write_longest_outage").into_iter().zip(values(&results, "users.worst_host_outage"))
    {
        assert!((6.0..=6.0 + 1.0 + 0.75 + 0.1).contains(&writes), "write outage {writes} s");
        assert_eq!(worst, 0.0, "each host's reads keep succeeding too: {worst}");
    }
}

/// Clients that time out close their connection, and a station drops the queued requests of
/// clients that have gone (`client.cancel_on_timeout`, the default). A 4-server station
/// (5 ms each: 800/s) offered 500/s is slowed 10× (80/s) for 30 s, with a 1 s client timeout
/// and no retries.
/// - Cancelling: the requests served during the slowdown are those less than 1 s old, so some
///   always succeed (no outage longer than 2 s), and the ~(500 − 80) × 30 ≈ 12,600 requests
///   that waited too long are dropped unserved (`app.abandoned`), none served afterwards.
/// - Not cancelling: the station serves that dead backlog first, at a net 800 − 500 = 300/s,
///   so clients see an outage of about 30 s + 12,600 / 300 ≈ 72 s; [55 s, 85 s] allows for the
///   Poisson spread of the backlog (±1%) and the successes at the start of the slowdown.
#[test]
fn a_timed_out_client_s_queued_work_is_dropped_not_served() {
    let scenario = |cancel: bool| {
        format!(
            r#"name = "backlog"
[simulation]
duration = "4m"
warmup = "10s"
replications = 2
seed = 6
[[component]]
name = "app"
kind = "station"
servers = 4
service = {{ dist = "exponential", mean = "5ms" }}
[[workload]]
name = "users"
target = "app"
arrival = {{ process = "poisson", rate = 500 }}
client = {{ timeout = "1s", max_attempts = 1, outage_gap = "2s", cancel_on_timeout = {cancel} }}
[[fault]]
action = "slow"
target = "app"
factor = 10
at = "30s"
duration = "30s"
"#
        )
    };
    let cancelled = run(&scenario(true));
    for (outage, abandoned) in
        values(&cancelled, "users.longest_outage").into_iter().zip(values(&cancelled, "app.abandoned"))
    {
        assert_eq!(outage, 0.0, "requests kept succeeding through the slowdown");
        assert!((10_000.0..=14_000.0).contains(&abandoned), "abandoned {abandoned}");
    }
    let served = run(&scenario(false));
    for (outage, abandoned) in values(&served, "users.longest_outage").into_iter().zip(values(&served, "app.abandoned"))
    {
        assert!((55.0..=85.0).contains(&outage), "the dead backlog extends the outage: {outage} s");
        assert_eq!(abandoned, 0.0);
    }
}

//! Arrival processes and data files: each generator sends what its definition says.

use std::path::{Path, PathBuf};

use stratus::experiment::ExperimentResults;

use crate::common::metric;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workloads")
}

fn run(toml: &str) -> ExperimentResults {
    crate::common::run_in("workloads.toml", toml, &fixtures())
}

/// A scenario with a fast station and one workload whose `arrival` is given.
fn with_arrival(duration: &str, replications: u32, arrival: &str) -> String {
    format!(
        r#"name = "arrivals"
[simulation]
duration = "{duration}"
replications = {replications}
seed = 21
[[component]]
name = "app"
kind = "station"
servers = 64
service = "1ms"
[[workload]]
name = "users"
target = "app"
arrival = {arrival}
"#
    )
}

#[test]
fn trace_replay_sends_every_timestamp() {
    // tests/fixtures/workloads/trace.csv holds 11,969 timestamps (a header row, then seconds)
    // all below 600 s: a 10-minute run replays each exactly once.
    let results = run(&with_arrival("10m", 1, r#"{ process = "trace", file = "trace.csv", column = "timestamp_s" }"#));
    assert_eq!(metric(&results, "users.sent").mean, 11_969.0);
    // A shorter run stops at its horizon: the trace is a Poisson stream at 20/s, so about
    // 20·60 = 1200 in the first minute (sd ≈ 35).
    let results = run(&with_arrival("1m", 1, r#"{ process = "trace", file = "trace.csv" }"#));
    let sent = metric(&results, "users.sent").mean;
    assert!((sent - 1200.0).abs() < 140.0, "first minute of the trace: {sent}");
}

#[test]
fn constant_and_step_rates() {
    // Constant gaps of 100 ms over 10 min: exactly 6000 arrivals (the first at 100 ms).
    let results = run(&with_arrival("10m", 1, r#"{ process = "constant", rate = 10 }"#));
    assert_eq!(metric(&results, "users.sent").mean, 6000.0);
    // Poisson at 10/s for 5 min, then 40/s: mean 3000 + 12000 = 15000, sd √15000 ≈ 122;
    // ±4 sd per replication.
    let results =
        run(&with_arrival("10m", 3, r#"{ process = "step", rate = 10, steps = [{ at = "5m", rate = 40 }] }"#));
    for sent in crate::common::per_replication(&results, "users.sent") {
        assert!((sent - 15_000.0).abs() < 490.0, "step process sent {sent}");
    }
}

#[test]
fn onoff_and_diurnal_average_rates() {
    // On/off: Poisson at 100/s while on; on and off periods exponential with means 2 s and
    // 8 s, so the long-run rate is 100 · 2/(2+8) = 20/s. One hour holds ≈ 360 cycles; the
    // count per hour then has a relative sd of about 100·√(2·(2²+8²)/(10·3600))/20 ≈ 6%, so
    // the 8-replication CI (half-width ≈ 5%) must contain 20/s, and be narrower than 15%.
    let results = run(&with_arrival(
        "1h",
        8,
        r#"{ process = "onoff", rate = 100, on = { dist = "exponential", mean = "2s" }, off = { dist = "exponential", mean = "8s" } }"#,
    ));
    let rate = metric(&results, "users.throughput");
    assert!(rate.ci95_low <= 20.0 && 20.0 <= rate.ci95_high, "on/off rate {rate:?}");
    assert!(rate.ci95_high - rate.ci95_low < 0.3 * 20.0, "{rate:?}");

    // Diurnal: λ(t) = 50·(1 + 0.8·cos(2π(t − peak)/period)) over whole periods averages 50/s.
    // Thinning gives a Poisson count: over 1 h, sd = √180000 ≈ 424 (0.24%); CI must contain 50.
    let results = run(&with_arrival(
        "1h",
        4,
        r#"{ process = "diurnal", rate = 50, amplitude = 0.8, period = "10m", peak = "2m30s" }"#,
    ));
    let rate = metric(&results, "users.throughput");
    assert!(rate.ci95_low <= 50.0 && 50.0 <= rate.ci95_high, "diurnal rate {rate:?}");
    // The swing shows in the time series: the busiest interval carries well over twice the
    // quietest (theory: (1 + 0.8)/(1 − 0.8) = 9 at the extremes; interval averages blur it).
    let values: Vec<f64> =
        results.points[0].series.column("users.throughput").unwrap().into_iter().map(|(_, v)| v).collect();
    let (low, high) = values.iter().fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    assert!(high > 3.0 * low, "diurnal swing too small: {low} .. {high}");
}

#[test]
fn empirical_service_times_from_csv() {
    // tests/fixtures/workloads/service.csv: 8 service times with mean 0.15 s and E[S²] = 0.03 s².
    // M/G/1 at λ = 4/s: ρ = 0.6, Pollaczek–Khinchine Wq = λE[S²]/(2(1−ρ)) = 0.15 s, so the
    // response time is 0.30 s. 10 replications of 2 h: the CI must contain 300 ms; the
    // relative error bound 6% is about 3 half-widths.
    let results = run(r#"name = "empirical"
[simulation]
duration = "2h"
warmup = "5m"
replications = 10
seed = 17
[[component]]
name = "app"
kind = "station"
service = { dist = "empirical", file = "service.csv", column = "service_s" }
[[workload]]
name = "users"
target = "app"
arrival = { process = "poisson", rate = 4 }
"#);
    let response = metric(&results, "app.response_time");
    assert!(response.ci95_low <= 300.0 && 300.0 <= response.ci95_high, "{response:?}");
    assert!((response.mean - 300.0).abs() < 18.0, "{response:?}");
    let utilization = metric(&results, "app.utilization");
    assert!((utilization.mean - 0.6).abs() < 0.02, "{utilization:?}");
}

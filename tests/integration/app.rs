//! The application tier (`kind = "app"`): M/M/c per instance, a flow's latency as the sum of
//! its hops, a dead instance's lost requests until the health check finds it, autoscaling
//! under a load step, `stratus describe app`, and malformed tables.
//!
//! Every run uses a fixed seed; every tolerance is derived in a comment.

use std::process::Command;

use stratus::experiment::ExperimentResults;
use stratus::services::app::APP_DOC;

use crate::common::{metric, per_replication, run};

fn mean(results: &ExperimentResults, name: &str) -> f64 {
    metric(results, name).mean
}

/// The time series `name` of point 0 (one replication): (end of interval s, value).
fn series(results: &ExperimentResults, name: &str) -> Vec<(f64, f64)> {
    results.points[0].series.column(name).unwrap_or_else(|| panic!("no series {name}"))
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load a = λ/μ.
fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho);
    last / (sum + last)
}

/// 4 instances of 2 workers, CPU exponential with mean 10 ms, no downstream step; 560
/// requests/s spread at random, so each instance sees a Poisson stream of 140/s: an M/M/2
/// queue with ρ = 0.7. Theory: W = 1/μ + C(2, 1.4)/(cμ − λ) = 10 ms + 0.5765/60 s = 19.61 ms.
/// 300 s × 560/s × 3 replications ≈ 500,000 requests; the response time's standard deviation
/// is ≈ 15 ms and successive responses are correlated (relaxation time ≈ 1/(μ(1−√ρ)²) ≈
/// 0.25 s, a few hundred requests per instance), so the standard error of the mean is about
/// 15 ms × √(2 · 35 / 500,000) ≈ 0.2 ms = 1%; 4% tolerance.
#[test]
fn an_app_without_downstream_is_mmc_per_instance() {
    let results = run(
        "app-mmc",
        r#"
name = "app-mmc"
[simulation]
duration = "330s"
warmup = "30s"
replications = 3
seed = 21
[[component]]
name = "app"
kind = "app"
instances = 4
workers = 2
balancer = "random"
cpu = { dist = "exponential", mean = "10ms" }
[[workload]]
name = "users"
target = "app"
arrival = { process = "poisson", rate = 560 }
"#,
    );
    let theory = 10.0 + erlang_c(2, 1.4) / 60.0 * 1000.0;
    assert!((theory - 19.61).abs() < 0.01, "{theory}");
    let response = mean(&results, "app.latency");
    assert!((response / theory - 1.0).abs() < 0.04, "response {response} ms vs M/M/2 {theory} ms");
    // Utilization λ/(cμ) = 0.7; its standard error over 300 s is well below 0.01.
    let utilization = mean(&results, "app.utilization");
    assert!((utilization - 0.7).abs() < 0.015, "utilization {utilization}");
    // Random balancing: each instance gets a binomial quarter of ~168,000 requests per
    // replication (sd ≈ 180, 0.4%); 3%.
    let total = mean(&results, "app.requests");
    for n in 1..=4 {
        let share = mean(&results, &format!("app.requests.instance-{n}")) / total;
        assert!((share - 0.25).abs() < 0.03 * 0.25, "instance-{n} got {share}");
    }
    assert_eq!(mean(&results, "app.errors"), 0.0);
}

/// Everything constant (CPU 2 ms, stations of 3 ms and 4 ms with ample servers, one-way
/// network delay 0.5 ms, no jitter): a read's latency is exactly 2 + (0.5 + 3 + 0.5) +
/// (0.5 + 4 + 0.5) = 11 ms at the app and 12 ms at the user (plus the user's own round trip);
/// each step's latency is its round trip plus service. The histogram keeps 3 significant
/// digits: 0.2% tolerance. Writes call a station that is down for the whole run with a 50 ms
/// timeout and one attempt: every write fails as a timeout of that step (unless the step is
/// optional, as it is for the second step of the reads).
#[test]
fn a_flows_latency_is_its_cpu_plus_every_hop_and_a_failed_step_fails_the_request() {
    let results = run(
        "app-hops",
        r#"
name = "app-hops"
[simulation]
duration = "60s"
warmup = 0
replications = 1
seed = 5
[topology]
same_az_rtt = "1ms"
jitter_cv = 0
[[component]]
name = "app"
kind = "app"
instances = 2
workers = 1000
cpu = "2ms"
client = { timeout = "50ms" }
reads = [{ call = "s1" }, { call = "s2" }, { call = "down", optional = true }]
writes = [{ call = "down" }, { call = "s1" }]
[[component]]
name = "s1"
kind = "station"
servers = 1000
service = "3ms"
[[component]]
name = "s2"
kind = "station"
servers = 1000
service = "4ms"
[[component]]
name = "down"
kind = "station"
servers = 10
service = "1ms"
[[workload]]
name = "users"
target = "app"
arrival = { process = "poisson", rate = 200 }
write_fraction = 0.25
[[fault]]
action = "crash"
target = "down"
at = "0s"
"#,
    );
    let close = |name: &str, expected: f64| {
        let value = mean(&results, name);
        assert!((value / expected - 1.0).abs() < 0.002, "{name}: {value} ms, expected {expected} ms");
    };
    close("app.read_latency", 2.0 + 4.0 + 5.0 + 50.0);
    close("app.read.1.s1.latency", 4.0);
    close("app.read.2.s2.latency", 5.0);
    let reads = mean(&results, "app.read.3.down.failed_timeout");
    let writes = mean(&results, "app.write.1.down.failed_timeout");
    let requests = mean(&results, "app.requests");
    // Every read's optional third step timed out (50 ms) and the read still succeeded; every
    // write failed at its first step and never reached s1. The requests still in progress
    // at the end (Little: 200/s × at most 61 ms ≈ 12) have not ended yet: allow 30.
    assert!(reads > 0.0 && writes > 0.0);
    assert!(
        requests - (reads + writes) >= 0.0 && requests - (reads + writes) <= 30.0,
        "{reads} + {writes} vs {requests}"
    );
    assert_eq!(mean(&results, "app.errors"), writes);
    assert_eq!(metric(&results, "app.write.2.s1.latency").count, Some(0));
}

/// 4 instances (4 workers, 1 ms CPU) at 400 requests/s; instance-1 crashes at 60 s for good;
/// health checks every 10 s, 2 s timeout, unhealthy after 2 failures.
fn dead_instance(balancer: &str) -> String {
    format!(
        r#"
name = "app-dead"
[simulation]
duration = "120s"
warmup = 0
replications = 4
seed = 8
[[component]]
name = "app"
kind = "app"
instances = 4
balancer = "{balancer}"
workers = 4
cpu = {{ dist = "exponential", mean = "1ms" }}
health_check = {{ interval = "10s", timeout = "2s", unhealthy_threshold = 2 }}
[[workload]]
name = "users"
target = "app"
arrival = {{ process = "poisson", rate = 400 }}
[[fault]]
action = "crash"
target = "app"
instance = "instance-1"
at = "60s"
"#
    )
}

/// 4 instances behind round robin at 400 requests/s; instance-1 crashes at 60 s for good.
/// Health checks every 10 s (from a random phase), 2 s timeout, unhealthy after 2 failures:
/// the first failing check comes U(0, 10 s) after the crash, the second 10 s later, and its
/// result 2 s after that, so detection takes 12-22 s. Meanwhile round robin sends the dead
/// instance exactly a quarter of the arrivals, each answered 504 after the connect timeout:
/// lost ≈ 400/4 × detection time. Per replication the Poisson count over ~17 s (≈ 6,800
/// arrivals, a quarter of them to the dead instance) has a standard deviation of about
/// √1,700 ≈ 41 (2.5%), and the 502s of the requests in progress at the crash are a handful;
/// 10% tolerance.
#[test]
fn a_dead_instance_gets_requests_until_the_health_check_marks_it() {
    let results = run("app-dead", &dead_instance("round_robin"));
    let detection = per_replication(&results, "app.detection_time");
    let lost = per_replication(&results, "app.lb_504");
    for (d, lost) in detection.iter().zip(&lost) {
        let secs = d / 1000.0;
        assert!((12.0..=22.0).contains(&secs), "detection {secs} s");
        let expected = 100.0 * secs;
        assert!((lost / expected - 1.0).abs() < 0.1, "{lost} lost in {secs} s, expected {expected}");
    }
    // Nothing else fails: the three live instances carry the load (ρ = 0.033).
    let failed = mean(&results, "app.errors");
    let accounted = mean(&results, "app.lb_504") + mean(&results, "app.lb_502");
    assert!((failed - accounted).abs() < 1e-9, "{failed} failed, {accounted} 504 + 502");
}

/// 2 instances of 2 workers at 10 ms CPU (400/s of capacity), target 50% CPU, warm-up 60 s.
/// The load steps from 160/s (utilization 0.4) to 360/s (0.9) at 120 s. Periods end every
/// 60 s; after three above the target (the periods ending at 180, 240 and 300 s) the scaler
/// sets the capacity to ceil(2 × 0.9/0.5) = ceil(3.6) = 4 (a 60 s period's utilization has a
/// standard deviation near 0.01, far from the 0.75 or 1.0 that would change the ceiling), so
/// it launches 2 instances at 300 s, which serve from 360 s: exactly 2 in service until 360 s,
/// then 4, at utilization 0.45 (below the target: no further launch; a scale-in needs 15
/// periods below, beyond the run).
#[test]
fn autoscaling_adds_instances_under_a_load_step_after_the_warmup() {
    let results = run(
        "app-scale",
        r#"
name = "app-scale"
[simulation]
duration = "900s"
warmup = 0
replications = 1
seed = 3
sample_interval = "10s"
[[component]]
name = "app"
kind = "app"
instances = 2
workers = 2
cpu = { dist = "exponential", mean = "10ms" }
autoscaling = { target = 0.5, max = 10, warmup = "60s" }
[[workload]]
name = "users"
target = "app"
arrival = { process = "step", rate = 160, steps = [{ at = "120s", rate = 360 }] }
"#,
    );
    let fleet = series(&results, "app.instances_in_service");
    for &(end, value) in &fleet {
        if end <= 360.0 {
            assert_eq!(value, 2.0, "at {end} s: {value} in service before the first launch has warmed up");
        }
    }
    let at = |t: f64| fleet.iter().find(|(end, _)| (*end - t).abs() < 1e-6).map(|p| p.1).expect("sampled");
    assert_eq!(at(370.0), 4.0, "the two launched at 300 s serve from 360 s");
    assert_eq!(fleet.last().expect("samples").1, 4.0, "final fleet");
    // Over the last 10 s interval utilization 0.45 has a standard deviation of a few
    // hundredths.
    let utilization = series(&results, "app.utilization").last().expect("samples").1;
    assert!((0.35..0.5).contains(&utilization), "final utilization {utilization}");
    assert_eq!(mean(&results, "app.scale_outs"), 1.0);
    assert_eq!(mean(&results, "app.launches"), 2.0);
    assert_eq!(mean(&results, "app.scale_ins"), 0.0, "the load never falls");
}

#[test]
fn describe_app_lists_every_parameter_with_its_source() {
    let output = Command::new(env!("CARGO_BIN_EXE_stratus")).args(["describe", "app"]).output().expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    for param in APP_DOC.params {
        assert!(text.contains(param.name), "`{}` missing from:\n{text}", param.name);
        let default = stratus::services::registry::default_text("app", param);
        assert!(text.contains(&default), "default of `{}` ({default}) missing", param.name);
    }
    assert_eq!(text.matches("source:").count(), APP_DOC.params.len());
    assert!(text.contains("ALB health checks") && text.contains("ASG target tracking"));
}

/// Least outstanding requests counts the requests waiting to connect to the dead instance
/// (each held for the 10 s connect timeout), so after the first one the dead instance has
/// more outstanding than the live ones (which hold ~0.1 each: 100/s × 1 ms) and is avoided:
/// it gets about one request per 10 s connect timeout, against a quarter of the arrivals
/// under round robin (~1,700 per replication): fewer than 20 in each replication.
#[test]
fn least_outstanding_balancing_avoids_a_dead_instance_before_the_health_check_does() {
    let results = run("app-dead-lor", &dead_instance("least_outstanding_requests"));
    for lost in per_replication(&results, "app.lb_504") {
        assert!((1.0..20.0).contains(&lost), "{lost} requests sent to the dead instance");
    }
    assert!(per_replication(&results, "app.detection_time").iter().all(|d| (12_000.0..=22_000.0).contains(d)));
}

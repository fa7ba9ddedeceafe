//! The RDS model against what can be derived exactly: failover downtime as the sum of its
//! phases, replica lag as network delay plus an M/M/1 apply queue, the connection limit as
//! M/M/c/K blocking, RDS Proxy's queue as M/M/c, data loss (none with Multi-AZ, exactly the
//! unreplicated commits after an asynchronous promotion), stale reads, the proxy's shorter
//! failover, `stratus describe rds` and the rejection of malformed tables.
//!
//! Every scenario is a TOML string with a fixed seed. Statistical checks assert that the
//! theory lies within the 99.9% Student-t interval of the replication means (the reported 95%
//! half-width scaled by t(0.9995, R−1)/t(0.975, R−1)) and that the interval is narrow enough
//! for the check to mean something. Each test simulates well under a million events per
//! replication, so the module takes a few seconds in the test profile.

use std::path::Path;
use std::process::Command;

use stratus::experiment::{self, ExperimentResults, MetricSummary, PointResult, RunOptions};
use stratus::scenario::{Scenario, ScenarioError};

fn run(toml: &str) -> ExperimentResults {
    crate::common::run("rds-test.toml", toml)
}

fn summary<'a>(point: &'a PointResult, name: &str) -> &'a MetricSummary {
    point.metric(name).unwrap_or_else(|| panic!("no metric {name}"))
}

/// The value of metric `name` in each replication of `point`.
fn per_replication(point: &PointResult, name: &str) -> Vec<f64> {
    point.replication_values(name).unwrap_or_else(|| panic!("no metric {name}"))
}

/// t(0.9995, df) / t(0.975, df): widens a 95% interval to 99.9%.
fn widen_to_999(df: usize) -> f64 {
    const T_9995: [f64; 12] = [636.6, 31.60, 12.92, 8.610, 6.869, 5.959, 5.408, 5.041, 4.781, 4.587, 4.437, 4.318];
    const T_975: [f64; 12] = [12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179];
    let i = df.clamp(1, 12) - 1;
    T_9995[i] / T_975[i]
}

/// Asserts `theory` is inside the 99.9% interval of `metric` (widened by `bias`), and that the
/// 95% half-width is below `precision` × theory.
fn assert_ci(metric: &MetricSummary, theory: f64, bias: f64, precision: f64) {
    let half = (metric.ci95_high - metric.ci95_low) / 2.0;
    let wide = half * widen_to_999(metric.replications - 1) + bias;
    println!(
        "{}: measured {:.5} (95% CI {:.5}..{:.5}), theory {theory:.5}, inside 95%: {}",
        metric.name,
        metric.mean,
        metric.ci95_low,
        metric.ci95_high,
        metric.ci95_low <= theory && theory <= metric.ci95_high
    );
    assert!((metric.mean - theory).abs() <= wide, "{}: {} vs theory {theory} (±{wide})", metric.name, metric.mean);
    assert!(half <= precision * theory, "{}: 95% half-width {half} is too wide for a meaningful check", metric.name);
}

fn column(point: &PointResult, series: &str) -> impl Iterator<Item = (f64, f64)> {
    point.series.column(series).unwrap_or_else(|| panic!("no series {series}")).into_iter()
}

// ---------------------------------------------------------------------------------------------
// Failover
// ---------------------------------------------------------------------------------------------

/// With constant phases the database is unwritable for exactly detection + promotion + DNS
/// switch = 10 + 8 + 6 = 24 s, from the crash F to the switch S.
///
/// The client's longest gap between successes is bounded on both sides:
/// - at least S − F minus one reply's flight time: nothing succeeds in between (the old
///   primary is down, and no request can reach the new one before its name does);
/// - at most S − F + TTL + (timeout + backoff_cap): the last success before F is less than
///   one retry interval before it (requests arrive every 5 ms on average and each attempt
///   waits at most timeout + backoff_cap before the next), and after S the host's cached
///   answer expires within one TTL, after which the next attempt resolves the new address.
#[test]
fn failover_downtime_is_the_sum_of_detection_promotion_and_dns_switch() {
    let toml = r#"
name = "rds-failover-sum"
[simulation]
duration = "60s"
warmup = "5s"
replications = 3
seed = 7
[topology]
azs = ["a", "b"]
[[component]]
name = "db"
kind = "rds"
detection = "10s"
promotion = "8s"
dns_switch = "6s"
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 200 }
write_fraction = 0.5
client = { timeout = "200ms", max_attempts = 500, backoff = "50ms", backoff_cap = "200ms", dns_ttl = "1s", outage_gap = "2s" }
[[fault]]
action = "crash"
target = "db"
instance = "primary"
at = "20s"
duration = "2m"
"#;
    let results = run(toml);
    let point = &results.points[0];
    let sum = 24.0;
    for downtime in per_replication(point, "db.failover_downtime") {
        assert!((downtime - sum).abs() < 1e-6, "component downtime {downtime} s");
    }
    let (ttl, retry_interval) = (1.0, 0.2 + 0.2);
    for outage in per_replication(point, "w.longest_outage") {
        println!("client outage {outage:.3} s, theory [{sum}, {}]", sum + ttl + retry_interval);
        assert!(outage >= sum - 0.01 && outage <= sum + ttl + retry_interval, "client outage {outage} s");
    }
    assert_eq!(summary(point, "db.failovers").mean, 1.0);
    assert_eq!(summary(point, "db.lost_commits").mean, 0.0);
}

/// Losing the primary's whole AZ fails over like a crash: clients in another AZ write again
/// once the DNS record names the standby (the endpoint follows the new primary), 3 + 3 + 3 s
/// after the outage starts, within the same bounds as a crash (one TTL plus one retry
/// interval above), and no acknowledged commit is lost.
#[test]
fn losing_the_primarys_az_fails_over_to_the_standby() {
    let toml = r#"
name = "rds-az-outage"
[simulation]
duration = "40s"
warmup = "2s"
replications = 3
seed = 13
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
az = "a"
detection = "3s"
promotion = "3s"
dns_switch = "3s"
[[workload]]
name = "w"
target = "db"
az = "c"
arrival = { process = "poisson", rate = 300 }
write_fraction = 1.0
client = { timeout = "300ms", max_attempts = 200, backoff = "50ms", backoff_cap = "300ms", dns_ttl = "1s", outage_gap = "2s" }
[[fault]]
action = "az_outage"
az = "a"
at = "10s"
duration = "5m"
"#;
    let results = run(toml);
    let point = &results.points[0];
    let (sum, ttl, retry_interval) = (9.0, 1.0, 0.3 + 0.3);
    for outage in per_replication(point, "w.longest_outage") {
        println!("client outage {outage:.3} s, theory [{sum}, {}]", sum + ttl + retry_interval);
        assert!(outage >= sum - 0.01 && outage <= sum + ttl + retry_interval, "client outage {outage} s");
    }
    assert!(per_replication(point, "db.failovers").iter().all(|&n| n == 1.0));
    assert!(per_replication(point, "db.lost_commits").iter().all(|&n| n == 0.0));
}

/// A Multi-AZ failover loses the transactions in flight on the primary (executing, queued, or
/// waiting for the standby's ack) but no acknowledged commit, in both Multi-AZ variants; and
/// writes succeed again afterwards.
///
/// At 2,000 writes/s with ~1 ms of execution and ~1.7 ms of replication wait, Little's law puts
/// λ·W ≈ 5 transactions in flight at the crash, so a replication sees none with probability
/// about e^−5 < 1%.
#[test]
fn multi_az_failover_loses_in_flight_transactions_but_no_commit() {
    let toml = r#"
name = "rds-no-data-loss"
[simulation]
duration = "25s"
warmup = "2s"
replications = 4
seed = 3
sample_interval = "1s"
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
detection = "2s"
promotion = "2s"
dns_switch = "2s"
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 2000 }
write_fraction = 1.0
keys = { popularity = "uniform", n = 100000 }
client = { timeout = "500ms", max_attempts = 100, backoff = "50ms", backoff_cap = "500ms", dns_ttl = "1s" }
[[fault]]
action = "crash"
target = "db"
instance = "primary"
at = "10s"
duration = "1m"
[sweep]
"component.db.deployment" = ["multi_az_instance", "multi_az_cluster"]
"#;
    let results = run(toml);
    for point in &results.points {
        let lost = per_replication(point, "db.lost_commits");
        let in_flight = per_replication(point, "db.lost_in_flight");
        println!("{:?}: lost commits {lost:?}, lost in flight {in_flight:?}", point.params);
        assert!(lost.iter().all(|&n| n == 0.0), "acknowledged commits lost: {lost:?}");
        assert!(in_flight.iter().all(|&n| n >= 1.0), "in-flight transactions should be lost: {in_flight:?}");
        assert!(per_replication(point, "db.failovers").iter().all(|&n| n == 1.0));
        // Writes are served again from 6 s after the crash (+ the 1 s DNS cache).
        let after: Vec<f64> = column(point, "db.write_throughput").filter(|(t, _)| *t > 18.0).map(|(_, v)| v).collect();
        assert!(!after.is_empty() && after.iter().all(|&v| v > 1800.0), "writes after the failover: {after:?}");
        let during: Vec<f64> =
            column(point, "db.writable").filter(|(t, _)| *t > 11.0 && *t <= 16.0).map(|(_, v)| v).collect();
        assert!(during.iter().all(|&v| v == 0.0), "not writable during the failover: {during:?}");
    }
}

/// Asynchronous replication: a replica promoted after the primary is lost lacks exactly the
/// commits it never received. The replica's AZ is cut off from the primary's at 10 s and the
/// primary crashes at 15 s, so the commits of [10 s, 15 s) — λ·5 s = 2,500 on average, a
/// Poisson count (the departures of the primary's M/M/16 are Poisson by Burke's theorem) with
/// standard deviation 50 — are lost.
#[test]
fn a_promoted_replica_lacks_exactly_the_commits_it_never_received() {
    let toml = r#"
name = "rds-async-loss"
[simulation]
duration = "25s"
warmup = "2s"
replications = 6
seed = 5
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
deployment = "single_az"
replicas = 1
replica_azs = ["b"]
read_routing = "primary"
detection = "1s"
replica_promotion = "2s"
dns_switch = "1s"
[[workload]]
name = "w"
target = "db"
az = "c"
arrival = { process = "poisson", rate = 500 }
write_fraction = 1.0
client = { timeout = "500ms", max_attempts = 100, backoff = "50ms", backoff_cap = "500ms", dns_ttl = "1s" }
[[fault]]
action = "partition"
azs = ["a", "b"]
at = "10s"
duration = "1m"
[[fault]]
action = "crash"
target = "db"
instance = "primary"
at = "15s"
"#;
    let results = run(toml);
    let point = &results.points[0];
    assert_ci(summary(point, "db.lost_commits"), 2500.0, 0.0, 0.05);
    assert!(per_replication(point, "db.replica_promotions").iter().all(|&n| n == 1.0));
    // The promoted replica serves writes after detection + promotion + DNS = 4 s.
    assert!(summary(point, "db.failover_downtime").mean > 3.99 && summary(point, "db.failover_downtime").mean < 4.01);
}

/// The failover clients see through RDS Proxy is shorter by the DNS switch and the DNS-cache
/// wait. The control plane draws its durations from its own stream, so with the same seed
/// both runs fail over with the same detection, promotion and DNS-switch times: per
/// replication the component's downtime shrinks by exactly the DNS switch N, and the
/// client's by N plus its cache wait (0..TTL), give or take one retry interval at each end.
/// With the defaults (three phases uniform on 20–40 s) the expected shrink is
/// (E[N] + E[wait]) / (E[total] + E[wait]) ≈ (30 + 2.5)/(92.5) ≈ 35%, the 32% AWS measured
/// for RDS MySQL; 8 replications put the mean within ±0.1 of that with room to spare (the
/// per-replication ratio has a standard deviation below 0.07).
#[test]
fn rds_proxy_shrinks_the_failover_clients_see() {
    let base = r#"
name = "rds-proxy"
[simulation]
duration = "200s"
warmup = "10s"
replications = 8
seed = 11
[topology]
azs = ["a", "b"]
[[component]]
name = "db"
kind = "rds"
proxy = PROXY
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 50 }
write_fraction = 0.5
client = { timeout = "1s", max_attempts = 200, backoff = "100ms", backoff_cap = "1s", dns_ttl = "5s", outage_gap = "5s" }
[[fault]]
action = "crash"
target = "db"
instance = "primary"
at = "30s"
duration = "10m"
"#;
    let direct = run(&base.replace("PROXY", "false"));
    let proxied = run(&base.replace("PROXY", "true"));
    let (d, p) = (&direct.points[0], &proxied.points[0]);
    let component: Vec<(f64, f64)> = per_replication(d, "db.failover_downtime")
        .into_iter()
        .zip(per_replication(p, "db.failover_downtime"))
        .collect();
    let client: Vec<(f64, f64)> =
        per_replication(d, "w.longest_outage").into_iter().zip(per_replication(p, "w.longest_outage")).collect();
    let (ttl, retry_interval) = (5.0, 1.0 + 1.0);
    let mut ratios = Vec::new();
    for ((cd, cp), (wd, wp)) in component.iter().zip(&client) {
        let dns = cd - cp;
        println!("component {cd:.1} s -> {cp:.1} s (DNS switch {dns:.1} s); client {wd:.1} s -> {wp:.1} s");
        assert!((20.0..=40.0).contains(&dns), "the proxy saves the DNS switch: {dns}");
        assert!(wp < wd, "the proxy must shrink the client-visible outage");
        let saved = wd - wp;
        assert!(
            saved >= dns - retry_interval && saved <= dns + ttl + 2.0 * retry_interval,
            "saved {saved} s for a {dns} s DNS switch"
        );
        ratios.push(saved / wd);
    }
    let mean_ratio = ratios.iter().sum::<f64>() / ratios.len() as f64;
    println!("mean shrink {:.1}%", 100.0 * mean_ratio);
    assert!((0.25..=0.45).contains(&mean_ratio), "mean shrink {mean_ratio}");
}

/// A Multi-AZ DB cluster fails over in under 35 s, and its readable standbys keep serving
/// reads meanwhile.
#[test]
fn a_multi_az_cluster_fails_over_under_35_seconds_and_keeps_serving_reads() {
    let toml = r#"
name = "rds-cluster"
[simulation]
duration = "80s"
warmup = "5s"
replications = 4
seed = 2
sample_interval = "1s"
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
deployment = "multi_az_cluster"
read_routing = "round_robin"
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 400 }
write_fraction = 0.3
keys = { popularity = "zipf", n = 1000, s = 0.99 }
client = { timeout = "500ms", max_attempts = 100, backoff = "50ms", backoff_cap = "500ms", dns_ttl = "5s" }
[[fault]]
action = "crash"
target = "db"
instance = "primary"
at = "20s"
duration = "2m"
"#;
    let results = run(toml);
    let point = &results.points[0];
    for downtime in per_replication(point, "db.failover_downtime") {
        assert!((10.0..=35.0).contains(&downtime), "cluster failover took {downtime} s");
    }
    assert!(per_replication(point, "db.lost_commits").iter().all(|&n| n == 0.0));
    let reads: Vec<f64> =
        column(point, "db.read_throughput").filter(|(t, _)| *t > 21.0 && *t <= 30.0).map(|(_, v)| v).collect();
    assert!(reads.iter().all(|&v| v > 200.0), "reads continue on the standbys during the failover: {reads:?}");
}

// ---------------------------------------------------------------------------------------------
// Read replicas
// ---------------------------------------------------------------------------------------------

/// Replica lag = one-way network delay + sojourn in the replica's M/M/1 apply queue.
/// Commits leave the primary's M/M/16 as a Poisson stream (Burke), cross the AZ boundary in
/// a constant 0.6 ms (jitter_cv = 0), and are applied in order by one server with exponential
/// service (μ = 4,000/s): mean lag = 0.6 ms + 1/(μ − λ), 0.933 ms at λ = 1,000/s and
/// 1.6 ms at λ = 3,000/s (ρ = 0.75).
///
/// Warm-up bias: the queue starts empty; its relaxation time 1/(μ(1−√ρ)²) is at most 14 ms,
/// far below the 1 s warm-up, so no allowance is needed.
#[test]
fn replica_lag_is_network_delay_plus_an_mm1_apply_queue() {
    let toml = r#"
name = "rds-lag"
[simulation]
duration = "12s"
warmup = "1s"
replications = 10
seed = 3
[topology]
azs = ["a", "b"]
jitter_cv = 0
[[component]]
name = "db"
kind = "rds"
deployment = "single_az"
replicas = 1
replica_azs = ["b"]
apply = { dist = "exponential", mean = "0.25ms" }
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 1000 }
write_fraction = 1.0
[sweep]
"workload.w.arrival.rate" = [1000, 3000]
"#;
    let results = run(toml);
    let mu = 4000.0;
    for (point, lambda) in results.points.iter().zip([1000.0, 3000.0]) {
        let theory_ms = 0.6 + 1000.0 / (mu - lambda);
        assert_ci(summary(point, "db.replica_lag"), theory_ms, 0.0, 0.03);
    }
}

/// Reads on replicas miss the key's latest commit more often as the write rate grows, and
/// never when nothing is written. A read of key k is stale when a write of k committed within
/// the replica's lag before it: roughly λ_w·E[lag]·Σp_k² for Zipf popularity — a fraction of
/// a percent at 600 writes/s, several times more at 1,500 (more writes, and longer lag).
#[test]
fn stale_reads_grow_with_the_write_rate_and_vanish_without_writes() {
    let toml = r#"
name = "rds-stale"
[simulation]
duration = "10s"
warmup = "1s"
replications = 3
seed = 4
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
replicas = 2
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 3000 }
keys = { popularity = "zipf", n = 1000, s = 0.99 }
[sweep]
"workload.w.write_fraction" = [0.0, 0.2, 0.5]
"#;
    let results = run(toml);
    let stale: Vec<&MetricSummary> = results.points.iter().map(|p| summary(p, "db.stale_reads")).collect();
    for s in &stale {
        println!("stale reads {:.5} (95% CI {:.5}..{:.5})", s.mean, s.ci95_low, s.ci95_high);
    }
    assert!(
        per_replication(&results.points[0], "db.stale_reads").iter().all(|&v| v == 0.0),
        "no writes, no stale reads"
    );
    assert!(summary(&results.points[0], "db.reader_reads").mean > 20_000.0, "reads did go to the replicas");
    assert!(stale[1].ci95_low > 0.0, "writes make some replica reads stale");
    assert!(stale[2].ci95_low > stale[1].ci95_high, "more writes, more stale reads");
    let staleness = summary(&results.points[2], "db.staleness");
    assert!(staleness.count.unwrap_or(0) > 0 && staleness.mean < 10.0, "stale by about one lag: {} ms", staleness.mean);
}

// ---------------------------------------------------------------------------------------------
// Connections and the proxy
// ---------------------------------------------------------------------------------------------

/// `max_connections` bounds requests in service plus waiting: M/M/c/K with c = workers = 2,
/// K = 4, offered load a = λ/μ = 150 × 10 ms = 1.5. Stationary probabilities are ∝ aⁿ/n! for
/// n ≤ c and aᶜ/c!·(a/c)ⁿ⁻ᶜ beyond: 1, 1.5, 1.125, 0.84375, 0.6328125, so an arrival (PASTA)
/// is refused with probability 0.6328125 / 5.1015625 = 0.12404.
///
/// Through RDS Proxy (as many connections as the database allows) nothing is refused: the
/// proxy queues, and with no network delay in the AZ the proxy and the database form one
/// FIFO M/M/2: Erlang C gives P(wait) = 0.64286 and a response time of
/// 10 ms + 0.64286/(200 − 150)/s = 22.857 ms.
#[test]
fn the_connection_limit_refuses_as_mmck_and_the_proxy_queues_as_mmc() {
    let base = r#"
name = "rds-connections"
[simulation]
duration = "120s"
warmup = "5s"
replications = 8
seed = 9
[topology]
azs = ["a"]
same_az_rtt = "0"
[[component]]
name = "db"
kind = "rds"
deployment = "single_az"
workers = 2
max_connections = 4
read_service = { dist = "exponential", mean = "10ms" }
proxy = PROXY
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 150 }
"#;
    let direct = run(&base.replace("PROXY", "false"));
    let point = &direct.points[0];
    let sent = summary(point, "w.sent").mean;
    let refused = per_replication(point, "db.errors.too_many_connections");
    let fraction: Vec<f64> = refused.iter().zip(per_replication(point, "w.sent")).map(|(r, s)| r / s).collect();
    let estimate = stratus::experiment::stats::estimate(&fraction);
    let half = (estimate.high - estimate.low) / 2.0;
    println!("refused fraction {:.5} ± {half:.5} of {sent} requests; theory 0.12404", estimate.mean);
    assert!((estimate.mean - 0.124_04).abs() <= half * widen_to_999(7), "refused {}", estimate.mean);
    assert!(half < 0.05 * 0.124, "interval too wide: {half}");

    let proxied = run(&base.replace("PROXY", "true"));
    let point = &proxied.points[0];
    assert_eq!(summary(point, "db.errors.too_many_connections").mean, 0.0, "the proxy queues instead");
    let erlang_c = {
        let (c, a) = (2u32, 1.5f64);
        let mut b = 1.0;
        for k in 1..=c {
            b = a * b / (f64::from(k) + a * b);
        }
        b / (1.0 - a / f64::from(c) * (1.0 - b))
    };
    let theory_ms = 10.0 + 1000.0 * erlang_c / (200.0 - 150.0);
    assert_ci(summary(point, "db.read_latency"), theory_ms, 0.0, 0.05);
}

// ---------------------------------------------------------------------------------------------
// Documentation and validation
// ---------------------------------------------------------------------------------------------

#[test]
fn describe_rds_shows_every_parameter_with_its_source() {
    let output = Command::new(env!("CARGO_BIN_EXE_stratus")).args(["describe", "rds"]).output().expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.starts_with("rds"), "{text}");
    for param in stratus::services::rds::RDS_DOC.params {
        assert!(text.contains(param.name), "`describe rds` lacks {}", param.name);
        let default = stratus::services::registry::default_text("rds", param);
        assert!(text.contains(&default), "`describe rds` lacks the default of {} ({default})", param.name);
    }
    let sources = text.matches("source:").count();
    assert_eq!(sources, stratus::services::rds::RDS_DOC.params.len(), "every parameter names its source");
    for needle in ["60-120 s", "RDSUG", "assumption", "V17 Table 4", "a few minutes", "up to 15", "< 35 s"] {
        assert!(text.contains(needle), "`describe rds` should cite {needle}");
    }
}

/// Malformed rds tables are rejected at the offending line.
#[test]
fn malformed_rds_tables_are_rejected_at_their_line() {
    let scenario = |component: &str| {
        format!(
            "name = \"bad\"\n[simulation]\nduration = \"10s\"\n[topology]\nazs = [\"a\", \"b\"]\n\
             [[component]]\nname = \"db\"\nkind = \"rds\"\naz = \"a\"\n{component}\n\
             [[workload]]\nname = \"w\"\ntarget = \"db\"\narrival = {{ process = \"poisson\", rate = 1 }}\n"
        )
    };
    // The component's own lines start at line 10.
    for (component, line, fragment) in [
        ("workers = 4\nreplica = 2", 11, "unknown field `replica`"),
        ("replicas = 16", 10, "at most 15 read replicas"),
        ("workers = 4\ndeployment = \"triple_az\"", 11, "unknown deployment `triple_az`"),
        ("standby_az = \"a\"", 10, "different AZ"),
        ("deployment = \"multi_az_cluster\"", 10, "3 AZs"),
    ] {
        let source = scenario(component);
        match Scenario::from_source("bad.toml", &source, Path::new("."), &[]) {
            Err(ScenarioError::Invalid(diagnostic)) => {
                assert_eq!(diagnostic.line, line, "{component}: {diagnostic:?}");
                assert!(diagnostic.message.contains(fragment), "{component}: {}", diagnostic.message);
                assert!(diagnostic.column >= 1);
            }
            Err(other) => panic!("{component}: unexpected error {other}"),
            Ok(_) => panic!("{component}: accepted"),
        }
    }
}

/// The same seed gives the same numbers whatever the thread count, through failovers, the
/// proxy and replicas.
#[test]
fn rds_runs_are_deterministic_across_thread_counts() {
    let toml = r#"
name = "rds-determinism"
[simulation]
duration = "40s"
warmup = "2s"
replications = 3
seed = 21
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
proxy = true
replicas = 2
read_routing = "random"
detection = { dist = "exponential", mean = "3s" }
promotion = "2s"
dns_switch = "2s"
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 300 }
write_fraction = 0.5
keys = { popularity = "zipf", n = 1000, s = 0.99 }
client = { timeout = "500ms", max_attempts = 20, backoff = "50ms", backoff_cap = "500ms" }
[[fault]]
action = "crash"
target = "db"
instance = "*"
mtbf = { dist = "exponential", mean = "15s" }
mttr = { dist = "exponential", mean = "5s" }
"#;
    let scenario = Scenario::from_source("rds-test.toml", toml, Path::new("."), &[]).expect("valid");
    let one =
        experiment::run(&scenario, &RunOptions { threads: Some(1), progress: stratus::experiment::Progress::Hidden })
            .expect("runs");
    let two =
        experiment::run(&scenario, &RunOptions { threads: Some(2), progress: stratus::experiment::Progress::Hidden })
            .expect("runs");
    for (a, b) in one.points[0].replications.iter().zip(&two.points[0].replications) {
        assert_eq!(a.events, b.events);
        let same = a.values.iter().zip(&b.values).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "replication {} differs between 1 and 2 threads", a.replication);
    }
}

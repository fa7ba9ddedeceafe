//! Small deterministic runs of the RDS state machine through whole scenarios: synchronous
//! commit, standby loss and rejoin, restart in place, replacement, chaos without data loss,
//! read routing, and refusals by a recovered old primary.

use stratus::engine::StreamKey;
use stratus::scenario::Scenario;

use crate::common;

/// Runs a scenario and returns (metric → mean) of its first point.
fn run_scenario(toml: &str) -> Vec<(String, f64)> {
    common::run("unit.toml", toml).points[0].metrics.iter().map(|m| (m.name.clone(), m.mean)).collect()
}

fn metric(metrics: &[(String, f64)], name: &str) -> f64 {
    metrics.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no metric {name}")).1
}

const BASE: &str = r#"
name = "unit"
[simulation]
duration = "40s"
warmup = "2s"
replications = 1
seed = 11
[topology]
azs = ["a", "b", "c"]
jitter_cv = 0
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 200 }
write_fraction = 1.0
client = { timeout = "500ms", max_attempts = 50, backoff = "50ms", backoff_cap = "200ms", dns_ttl = "1s", outage_gap = "2s" }
"#;

#[test]
fn synchronous_commit_pays_one_cross_az_round_trip() {
    // Constant standby persist time and no jitter: every commit waits exactly the cross-AZ
    // round trip (1.2 ms) plus the persist time (0.5 ms).
    let toml = format!("{BASE}\n[[component]]\nname = \"db\"\nkind = \"rds\"\nstandby_apply = \"0.5ms\"\n");
    let metrics = run_scenario(&toml);
    let commit = metric(&metrics, "db.commit_latency");
    assert!((commit - 1.7).abs() < 1e-3, "commit latency {commit} ms");
    assert_eq!(metric(&metrics, "db.availability"), 1.0);
}

#[test]
fn a_lost_standby_stalls_commits_until_detached_then_rejoins() {
    // The standby crashes at 10 s for 5 s; detection takes 3 s, resync 4 s. Writes stall from
    // 10 s to 13 s (availability 1 − 3/38), commit alone until 19 s, then wait for it again.
    let toml = format!(
        "{BASE}\n[[component]]\nname = \"db\"\nkind = \"rds\"\ndetection = \"3s\"\nresync = \"4s\"\nstandby_apply = \"0.5ms\"\n\
         [[fault]]\naction = \"crash\"\ntarget = \"db\"\ninstance = \"standby\"\nat = \"10s\"\nduration = \"5s\"\n"
    );
    let metrics = run_scenario(&toml);
    assert_eq!(metric(&metrics, "db.standby_detached"), 1.0);
    assert_eq!(metric(&metrics, "db.failovers"), 0.0);
    let availability = metric(&metrics, "db.availability");
    assert!((availability - (1.0 - 3.0 / 38.0)).abs() < 1e-6, "availability {availability}");
    assert_eq!(metric(&metrics, "db.lost_commits"), 0.0);
}

#[test]
fn a_primary_back_before_detection_restarts_in_place() {
    let toml = format!(
        "{BASE}\n[[component]]\nname = \"db\"\nkind = \"rds\"\ndetection = \"10s\"\n\
         [[fault]]\naction = \"crash\"\ntarget = \"db\"\nat = \"10s\"\nduration = \"4s\"\n"
    );
    let metrics = run_scenario(&toml);
    assert_eq!(metric(&metrics, "db.restarts"), 1.0);
    assert_eq!(metric(&metrics, "db.failovers"), 0.0);
    assert!((metric(&metrics, "db.failover_downtime") - 4.0).abs() < 1e-9);
    assert_eq!(metric(&metrics, "db.lost_commits"), 0.0);
}

#[test]
fn single_az_is_replaced_and_keeps_its_data() {
    let toml = format!(
        "{BASE}\n[[component]]\nname = \"db\"\nkind = \"rds\"\ndeployment = \"single_az\"\ndetection = \"2s\"\nreplacement = \"8s\"\n\
         [[fault]]\naction = \"crash\"\ntarget = \"db\"\nat = \"10s\"\n"
    );
    let metrics = run_scenario(&toml);
    assert_eq!(metric(&metrics, "db.replacements"), 1.0);
    assert!((metric(&metrics, "db.failover_downtime") - 10.0).abs() < 1e-9, "detection + replacement");
    assert_eq!(metric(&metrics, "db.lost_commits"), 0.0);
}

#[test]
fn builds_every_deployment_through_the_world() {
    for deployment in ["multi_az_instance", "multi_az_cluster", "single_az"] {
        let toml = format!(
            "{BASE}\n[[component]]\nname = \"db\"\nkind = \"rds\"\ndeployment = \"{deployment}\"\nreplicas = 2\n"
        );
        let scenario = Scenario::from_source("unit.toml", &toml, std::path::Path::new("."), &[]).unwrap();
        let world = scenario.points[0].spec.build_world(StreamKey { seed: 1, point: 0, replication: 0 }).unwrap();
        let output = world.run().expect("runs");
        assert!(output.events > 1000, "{deployment}: {} events", output.events);
    }
}

/// Chaos: every instance crashes and recovers at random, AZ b drops out, AZs a and b are cut
/// apart, all overlapping, for five minutes. Whatever happens, a deployment without read
/// replicas never loses an acknowledged commit (it only fails over to in-sync standbys, and a
/// replaced primary keeps its storage), and nothing panics.
#[test]
fn chaos_loses_no_commit_without_replicas() {
    let configs = [
        ("multi_az_instance", false, 0),
        ("multi_az_instance", true, 0),
        ("multi_az_cluster", false, 0),
        ("multi_az_cluster", true, 0),
        ("multi_az_instance", true, 2),
        ("single_az", false, 2),
    ];
    let mut failovers = 0.0;
    for (deployment, proxy, replicas) in configs {
        let toml = format!(
            r#"
name = "chaos"
[simulation]
duration = "5m"
warmup = "10s"
replications = 1
seed = 17
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "rds"
deployment = "{deployment}"
proxy = {proxy}
replicas = {replicas}
detection = {{ dist = "uniform", min = "2s", max = "6s" }}
promotion = {{ dist = "uniform", min = "2s", max = "6s" }}
dns_switch = {{ dist = "uniform", min = "1s", max = "4s" }}
resync = {{ dist = "uniform", min = "5s", max = "20s" }}
replacement = {{ dist = "uniform", min = "20s", max = "40s" }}
replica_promotion = {{ dist = "uniform", min = "5s", max = "15s" }}
[[workload]]
name = "w"
target = "db"
az = "c"
arrival = {{ process = "poisson", rate = 200 }}
write_fraction = 0.6
keys = {{ popularity = "zipf", n = 1000, s = 0.99 }}
client = {{ timeout = "1s", max_attempts = 20, backoff = "100ms", backoff_cap = "2s", dns_ttl = "2s" }}
[[fault]]
action = "crash"
target = "db"
instance = "*"
mtbf = {{ dist = "exponential", mean = "40s" }}
mttr = {{ dist = "exponential", mean = "15s" }}
[[fault]]
action = "partition"
azs = ["a", "b"]
mtbf = {{ dist = "exponential", mean = "90s" }}
mttr = {{ dist = "exponential", mean = "10s" }}
[[fault]]
action = "az_outage"
az = "b"
mtbf = {{ dist = "exponential", mean = "120s" }}
mttr = {{ dist = "exponential", mean = "20s" }}
"#
        );
        let metrics = run_scenario(&toml);
        let label = format!("{deployment} proxy={proxy} replicas={replicas}");
        println!(
            "{label}: failovers {}, replacements {}, restarts {}, detached {}, lost commits {}, availability {:.3}",
            metric(&metrics, "db.failovers"),
            metric(&metrics, "db.replacements"),
            metric(&metrics, "db.restarts"),
            metric(&metrics, "db.standby_detached"),
            metric(&metrics, "db.lost_commits"),
            metric(&metrics, "db.availability"),
        );
        if replicas == 0 {
            assert_eq!(metric(&metrics, "db.lost_commits"), 0.0, "{label}");
        }
        let availability = metric(&metrics, "db.availability");
        assert!(availability > 0.0 && availability < 1.0, "{label}: availability {availability}");
        assert!(metric(&metrics, "db.write_throughput") > 10.0, "{label}: writes keep succeeding");
        failovers += metric(&metrics, "db.failovers");
    }
    assert!(failovers >= 6.0, "the chaos should force failovers, found {failovers}");
}

/// Every routing policy sends every read to a replica while the replicas are healthy.
#[test]
fn read_routing_policies_spread_reads_over_the_replicas() {
    for routing in ["round_robin", "random", "least_loaded"] {
        let toml = format!(
            "{BASE}\n[[component]]\nname = \"db\"\nkind = \"rds\"\nreplicas = 3\nread_routing = \"{routing}\"\n\
             [[workload]]\nname = \"r\"\ntarget = \"db\"\narrival = {{ process = \"poisson\", rate = 600 }}\n"
        );
        let metrics = run_scenario(&toml);
        let reads = metric(&metrics, "r.throughput") * 38.0;
        let on_replicas = metric(&metrics, "db.reader_reads");
        assert!((on_replicas - reads).abs() < 0.01 * reads, "{routing}: {on_replicas} of {reads} reads on replicas");
        // One hot key written 200 times/s: a read misses the latest write when one committed
        // within the replica's ~1 ms lag, P ≈ 1 − e^(−200 × 0.001) ≈ 0.18.
        let stale = metric(&metrics, "db.stale_reads");
        assert!(stale > 0.1 && stale < 0.3, "{routing}: stale fraction {stale}");
    }
}

/// The old primary comes back (5 s after its crash) while the DNS record still names it: as a
/// standby it refuses connections at once, so clients get `unavailable` instead of waiting
/// for their timeout, until the switch at 2 + 2 + 10 = 14 s after the crash.
#[test]
fn a_recovered_old_primary_refuses_connections_until_the_dns_switch() {
    let toml = format!(
        "{BASE}\n[[component]]\nname = \"db\"\nkind = \"rds\"\ndetection = \"2s\"\npromotion = \"2s\"\ndns_switch = \"10s\"\n\
         [[fault]]\naction = \"crash\"\ntarget = \"db\"\nat = \"10s\"\nduration = \"5s\"\n"
    );
    let metrics = run_scenario(&toml);
    assert_eq!(metric(&metrics, "db.failovers"), 1.0);
    assert_eq!(metric(&metrics, "db.restarts"), 0.0, "a started failover completes");
    assert!((metric(&metrics, "db.failover_downtime") - 14.0).abs() < 1e-9);
    // About 200/s for the 9 s from the recovery to the switch (and up to one TTL after),
    // retried within ~0.2 s each: thousands of fast refusals.
    let refused = metric(&metrics, "db.errors.unavailable");
    assert!(refused > 1000.0, "refused {refused}");
    assert!(metric(&metrics, "db.stale_dns_requests") > 0.0);
}

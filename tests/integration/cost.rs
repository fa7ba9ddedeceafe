//! Instance classes and the cost model: a bill computed by hand for an Aurora cluster, what
//! `instance_class` sets (and that explicit parameters override it), errors that name the
//! line of an unknown class or a bad `[pricing]`, and SQS request cost following the measured
//! request rate.
//!
//! Every run uses a fixed seed; every tolerance is derived in a comment.

use std::path::Path;

use stratus::experiment::ExperimentResults;
use stratus::planning::cost::{CostBreakdown, cost};
use stratus::scenario::{Purchase, Scenario};

use crate::common::{metric, run};

/// The bill of point 0 at the scenario's own `[pricing]`.
fn bill(results: &ExperimentResults) -> CostBreakdown {
    let inputs = &results.plan_inputs;
    cost(&inputs.billing[0], &inputs.pricing, &results.points[0])
}

fn line<'a>(bill: &'a CostBreakdown, item: &str) -> &'a stratus::planning::CostLine {
    bill.lines
        .iter()
        .find(|line| line.item.starts_with(item))
        .unwrap_or_else(|| panic!("no line `{item}` in {:#?}", bill.lines))
}

/// An Aurora cluster of db.r6g.large, a writer and 2 replicas, a 50 GB volume, 200 reads/s
/// and 50 writes/s (250 requests/s, 20% writes) for 20 s (2 s warm-up).
fn aurora(pricing: &str) -> String {
    format!(
        r#"
name = "aurora-bill"
[simulation]
duration = "20s"
warmup = "2s"
replications = 2
seed = 5
[topology]
azs = ["a", "b", "c"]
[[component]]
name = "db"
kind = "aurora"
instance_class = "db.r6g.large"
replicas = 2
volume_size = "50GB"
cache_hit_ratio = 0.9
[[workload]]
name = "load"
target = "db"
arrival = {{ process = "poisson", rate = 250 }}
write_fraction = 0.2
{pricing}
"#
    )
}

/// By hand: 3 instances × 730 h × $0.26 = $569.40; storage 50 GB × $0.10 = $5.00; I/O at
/// $0.20 per million: reads × (1 − 0.9) + writes, each rate × 2,628,000 s a month. The
/// instance and storage lines are exact; the I/O lines follow the measured throughputs
/// exactly (the same arithmetic), and those are near the offered 200 and 50 per second
/// (Poisson counts over 18 s × 2 replications: ~7,200 reads, sd ~1.2%; 8% is > 6 sd).
#[test]
fn an_aurora_cluster_bills_its_instances_storage_and_io() {
    let results = run("aurora-bill", &aurora(""));
    let bill = bill(&results);
    let writer = line(&bill, "writer db.r6g.large");
    assert_eq!((writer.quantity, writer.unit_price), (730.0, 0.26));
    let replicas = line(&bill, "replicas db.r6g.large");
    assert!((replicas.monthly - 2.0 * 730.0 * 0.26).abs() < 1e-9, "{}", replicas.monthly);
    let storage = line(&bill, "storage");
    assert!((storage.quantity - 50.0).abs() < 1e-9 && (storage.monthly - 5.0).abs() < 1e-9, "{storage:?}");

    let reads = metric(&results, "db.read_throughput").mean;
    let writes = metric(&results, "db.write_throughput").mean;
    assert!((reads - 200.0).abs() < 16.0 && (writes - 50.0).abs() < 4.0, "{reads} reads/s, {writes} writes/s");
    let io = line(&bill, "read I/O").monthly + line(&bill, "write I/O").monthly;
    let expected_io = (0.1 * reads + writes) * 2_628_000.0 / 1e6 * 0.20;
    assert!((io - expected_io).abs() < 1e-6 * expected_io, "{io} vs {expected_io}");
    let total = 569.4 + 5.0 + expected_io;
    assert!((bill.monthly - total).abs() < 1e-6 * total, "{} vs {total}", bill.monthly);
    assert!((bill.annual - 12.0 * bill.monthly).abs() < 1e-9 * bill.annual);

    // Reserved 1 year, no upfront: instance-hours at 0.71 of On-Demand, usage unchanged.
    let mut pricing = results.plan_inputs.pricing.clone();
    pricing.purchase = Purchase::Reserved1y;
    let reserved = cost(&results.plan_inputs.billing[0], &pricing, &results.points[0]);
    let writer = line(&reserved, "writer");
    assert!((writer.unit_price - 0.26 * 0.71).abs() < 1e-12, "{}", writer.unit_price);
    assert_eq!(line(&reserved, "storage").monthly, storage.monthly);
}

/// `[pricing] overrides` replace a price as given; the scenario carries them to the bill.
#[test]
fn price_overrides_replace_bundled_prices() {
    let source = aurora("[pricing]\noverrides = { \"aurora.db.r6g.large\" = 0.5, \"aurora.storage_gb_month\" = 0 }");
    let scenario = Scenario::from_source("a.toml", &source, Path::new("."), &[]).expect("loads");
    let inputs = stratus::experiment::PlanInputs::of(&scenario);
    let empty = stratus::experiment::PointResult {
        index: 0,
        params: Vec::new(),
        metrics: Vec::new(),
        histograms: Vec::new(),
        replications: Vec::new(),
        series: Default::default(),
        fault_windows: Vec::new(),
        unstable: None,
        adaptive: None,
    };
    // No measurements: the fixed lines only (usage lines are 0, marked not measured).
    let bill = cost(&inputs.billing[0], &inputs.pricing, &empty);
    assert!((bill.monthly - 3.0 * 730.0 * 0.5).abs() < 1e-9, "{:#?}", bill.lines);
    assert!(line(&bill, "read I/O").item.contains("not measured"));
}

/// The resolved parameters of component `db` of `toml`.
fn resolved_db(toml: &str) -> toml::Table {
    let scenario = Scenario::from_source("r.toml", toml, Path::new("."), &[]).expect("loads");
    let resolved: toml::Table = toml::from_str(&scenario.resolved_toml).expect("TOML");
    resolved["component"].as_array().unwrap()[0].as_table().unwrap().clone()
}

fn rds(extra: &str) -> String {
    format!(
        "name = \"r\"\n[simulation]\nduration = \"1s\"\n[topology]\nazs = [\"a\", \"b\"]\n\
         [[component]]\nname = \"db\"\nkind = \"rds\"\n{extra}\n\
         [[workload]]\nname = \"w\"\ntarget = \"db\"\narrival = {{ process = \"poisson\", rate = 1 }}\n"
    )
}

/// db.r6g.2xlarge: 8 vCPUs → 8 workers; 64 GiB → MySQL max_connections
/// 68,719,476,736 / 12,582,880 = 5,461 (PostgreSQL: min(7,209, 5,000) = 5,000). Explicit
/// parameters win; without a class the defaults (16, 1000) are unchanged and the bill names
/// the documented default class.
#[test]
fn an_instance_class_sets_workers_and_connections_and_explicit_values_override() {
    let db = resolved_db(&rds("instance_class = \"db.r6g.2xlarge\""));
    assert_eq!(db["workers"].as_integer(), Some(8));
    assert_eq!(db["max_connections"].as_integer(), Some(5461));
    let db = resolved_db(&rds("instance_class = \"db.r6g.2xlarge\"\nengine = \"postgresql\""));
    assert_eq!(db["max_connections"].as_integer(), Some(5000));
    let db = resolved_db(&rds("instance_class = \"db.r6g.2xlarge\"\nworkers = 3\nmax_connections = 100"));
    assert_eq!((db["workers"].as_integer(), db["max_connections"].as_integer()), (Some(3), Some(100)));
    let db = resolved_db(&rds(""));
    assert_eq!((db["workers"].as_integer(), db["max_connections"].as_integer()), (Some(16), Some(1000)));
    assert_eq!(db["instance_class"].as_str(), Some("db.r6g.4xlarge"));

    // A Multi-AZ instance bills the primary and its standby; 2 replicas add 2 instances.
    let scenario =
        Scenario::from_source("r.toml", &rds("instance_class = \"db.r6g.large\"\nreplicas = 2"), Path::new("."), &[])
            .expect("loads");
    let items = &stratus::experiment::PlanInputs::of(&scenario).billing[0];
    let counts: f64 = items
        .iter()
        .map(|item| match item {
            stratus::model::billing::BillableItem::Instances { count, .. } => *count,
            _ => 0.0,
        })
        .sum();
    assert_eq!(counts, 4.0, "{items:#?}");

    // The model runs on the class: an app on c7g.xlarge has 4 workers per instance.
    let app = "name = \"a\"\n[simulation]\nduration = \"1s\"\n[[component]]\nname = \"db\"\nkind = \"app\"\ninstance_class = \"c7g.xlarge\"\n\
               [[workload]]\nname = \"w\"\ntarget = \"db\"\narrival = { process = \"poisson\", rate = 1 }\n";
    assert_eq!(resolved_db(app)["workers"].as_integer(), Some(4));
}

/// An unknown class and a bad `[pricing]` are errors that name the file, line and column.
#[test]
fn unknown_classes_and_bad_pricing_name_their_line() {
    let cases = [
        (rds("instance_class = \"db.r6g.2xlarg\""), "r.toml:9:", "did you mean `db.r6g.2xlarge`"),
        (
            rds("instance_class = \"db.r6g.large\"").replace("kind = \"rds\"", "kind = \"app\""),
            "r.toml:9:",
            "unknown ec2 instance class `db.r6g.large`",
        ),
        (format!("{}[pricing]\nregion = \"eu-west-1\"\n", rds("")), "r.toml:14:", "region_multiplier"),
        (format!("{}[pricing]\npurchase = \"spot\"\n", rds("")), "r.toml:15:", "spot"),
        (format!("{}[pricing]\noverrides = {{ \"sqs.request\" = 1 }}\n", rds("")), "r.toml:14:", "unknown price key"),
    ];
    for (source, location, fragment) in cases {
        let error = Scenario::from_source("r.toml", &source, Path::new("."), &[]).expect_err("invalid").to_string();
        assert!(
            error.starts_with(location) && error.contains(fragment),
            "expected {location} … {fragment}, got:\n{error}"
        );
    }
}

/// A queue at `rate` sends/s drained by 4 long-polling workers taking one message at a time
/// (10 ms each: utilization rate/400), 100 s measured.
fn sqs(rate: u32) -> String {
    format!(
        r#"
name = "sqs-bill"
[simulation]
duration = "110s"
warmup = "10s"
replications = 2
seed = 41
[[component]]
name = "q"
kind = "sqs"
[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
workers = 4
max_messages = 1
wait_time = "20s"
process = {{ dist = "exponential", mean = "10ms" }}
[[workload]]
name = "p"
target = "q"
arrival = {{ process = "poisson", rate = {rate} }}
"#
    )
}

/// Each message costs a send, a receive and a delete: 3 requests, so ~3 × rate requests/s,
/// plus empty receives (a worker's 20 s long poll ending with nothing: at 100 sends/s over
/// 4 workers a poll waits ~40 ms, so there are almost none — fewer than 4 workers × 100 s /
/// 20 s = 20 per run). A month at 300 requests/s: 300 × 2,628,000 = 788.4 M requests,
/// $315.36. Tolerance 3%: ~20,000 sends per run, Poisson sd 0.7%, plus at most 0.1% of empty
/// receives. The line is exactly the measured count over the measured 100 s; doubling the rate
/// doubles it (within the same noise).
#[test]
fn sqs_request_cost_follows_the_measured_request_rate() {
    let results = run("sqs-bill", &sqs(100));
    let bill = bill(&results);
    let requests = line(&bill, "requests");
    let measured = metric(&results, "q.api_requests").mean;
    assert!((requests.quantity - measured / 100.0 * 2.628).abs() < 1e-9 * requests.quantity, "{requests:?}");
    assert_eq!((requests.unit.as_str(), requests.unit_price), ("million requests", 0.40));
    assert!((requests.monthly / 315.36 - 1.0).abs() < 0.03, "{requests:?}");

    let doubled = bill_of(&run("sqs-bill", &sqs(200)));
    assert!((doubled / requests.monthly / 2.0 - 1.0).abs() < 0.03, "{doubled} vs {}", requests.monthly);
}

fn bill_of(results: &ExperimentResults) -> f64 {
    bill(results).monthly
}

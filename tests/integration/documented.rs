//! What a run emits is what `stratus describe` documents: every metric (and time series) of
//! every kind, on scenarios that switch on the optional parts (replicas, RDS Proxy, a Multi-AZ
//! cluster, faults, client policies with several hosts and mixed operations).

use stratus::model::KindDoc;
use stratus::scenario::Scenario;
use stratus::services::registry::kind_doc;

use crate::common;

/// True if `doc` documents the quantity `suffix` (a metric name without its component
/// prefix): written out (`<name>.read_latency`, `, .write_throughput`), as a pool's `.*`
/// family (`<name>.writer.*`, `<name>.replica-<k>.*`, `<name>.primary.*`), or as an error
/// cause (`<name>.errors.<cause>` with the cause named).
fn documents(docs: &[&KindDoc], suffix: &str) -> bool {
    let text: String = docs.iter().flat_map(|doc| doc.metrics.iter()).cloned().collect::<Vec<_>>().join("\n");
    let written_out = |quantity: &str| {
        let needle = format!(".{quantity}");
        text.match_indices(&needle).any(|(at, _)| {
            text[at + needle.len()..].chars().next().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        })
    };
    if written_out(suffix) {
        return true;
    }
    if let Some(cause) = suffix.strip_prefix("errors.") {
        return text.contains(".errors.<cause>") && text.contains(cause);
    }
    if let Some((head, _)) = suffix.split_once('.') {
        let family = head.trim_end_matches(|c: char| c.is_ascii_digit());
        let family = if family.len() < head.len() { format!("{family}<k>") } else { head.to_string() };
        return text.contains(&format!(".{family}.*"));
    }
    false
}

fn check(label: &str, toml: &str) {
    let scenario = Scenario::from_source(label, toml, std::path::Path::new("."), &[]).expect("loads");
    let spec = &scenario.points[0].spec;
    let results = common::run(label, toml);
    let point = &results.points[0];
    let workload_docs = [kind_doc("workload").unwrap(), kind_doc("client").unwrap()];
    let mut missing = Vec::new();
    let names = point.metrics.iter().map(|m| m.name.clone()).chain(point.series.names.iter().cloned());
    for name in names {
        let (owner, suffix) = name.split_once('.').expect("metrics are <owner>.<quantity>");
        let docs: Vec<&KindDoc> = if let Some(component) = spec.components.iter().find(|c| c.name == owner) {
            vec![kind_doc(component.config.kind()).unwrap()]
        } else if spec.workloads.iter().any(|w| w.name == owner) {
            workload_docs.to_vec()
        } else {
            vec![kind_doc("fault").unwrap()]
        };
        if !documents(&docs, suffix) {
            missing.push(format!("{name} (kind {})", docs[0].kind));
        }
    }
    assert!(missing.is_empty(), "{label}: emitted but not in `stratus describe`:\n{}", missing.join("\n"));
}

const CLIENT: &str = r#"
[[workload]]
name = "w"
target = "db"
arrival = { process = "poisson", rate = 100 }
write_fraction = 0.5
client = { timeout = "500ms", max_attempts = 3, hosts = 3 }
[[fault]]
action = "crash"
target = "db"
at = "10s"
duration = "5s"
"#;

#[test]
fn every_emitted_metric_is_described() {
    let head = "[simulation]\nduration = \"30s\"\nwarmup = \"2s\"\nreplications = 2\nseed = 3\n[topology]\nazs = [\"a\", \"b\", \"c\"]\n";
    check(
        "station.toml",
        &format!("name = \"s\"\n{head}[[component]]\nname = \"db\"\nkind = \"station\"\nservice = \"1ms\"\n{CLIENT}"),
    );
    for rds in ["replicas = 2", "proxy = true", "deployment = \"multi_az_cluster\"\nread_routing = \"round_robin\""] {
        check(
            "rds.toml",
            &format!("name = \"r\"\n{head}[[component]]\nname = \"db\"\nkind = \"rds\"\n{rds}\n{CLIENT}"),
        );
    }
    check(
        "aurora.toml",
        &format!("name = \"a\"\n{head}[[component]]\nname = \"db\"\nkind = \"aurora\"\nreplicas = 1\n{CLIENT}"),
    );
}

#[test]
fn the_matcher_tells_documented_from_undocumented() {
    let station = kind_doc("station").unwrap();
    assert!(documents(&[station], "utilization"));
    assert!(!documents(&[station], "utiliz"), "a prefix is not a match");
    assert!(!documents(&[station], "replica_lag"));
    let aurora = kind_doc("aurora").unwrap();
    assert!(documents(&[aurora], "replica-2.throughput"));
    assert!(documents(&[aurora], "errors.no_segment"));
    assert!(!documents(&[aurora], "errors.exploded"));
}

/// The resolved scenario (`stratus check`, `scenario.resolved.toml`) holds every parameter a
/// kind documents, the defaults it chose at build time written in — but for the alternatives
/// that do not apply (`standby_az` of a cluster, `volume_size` when sized by groups) and the
/// parameters whose default is "none" (an unbounded `queue_limit`).
#[test]
fn the_resolved_scenario_holds_every_parameter() {
    let cases: [(&str, &str, &[&str]); 3] = [
        ("rds", "proxy = true\nreplicas = 2", &["standby_azs"]),
        (
            "rds",
            "deployment = \"multi_az_cluster\"",
            &["standby_az", "replica_azs", "proxy_az", "proxy_max_connections", "proxy_borrow_timeout"],
        ),
        ("aurora", "replicas = 2", &["volume_size", "queue_limit"]),
    ];
    for (kind, extra, not_applicable) in cases {
        let toml = format!(
            "name = \"r\"\n[simulation]\nduration = \"1m\"\n[topology]\nazs = [\"a\", \"b\", \"c\"]\n[[component]]\nname = \"db\"\nkind = \"{kind}\"\n{extra}\n\
             [[workload]]\nname = \"w\"\ntarget = \"db\"\narrival = {{ process = \"poisson\", rate = 1 }}\n"
        );
        let scenario = Scenario::from_source("r.toml", &toml, std::path::Path::new("."), &[]).expect("loads");
        let resolved: toml::Table = toml::from_str(&scenario.resolved_toml).expect("the resolved scenario is TOML");
        let component = resolved["component"].as_array().unwrap()[0].as_table().unwrap();
        for param in kind_doc(kind).unwrap().params {
            if not_applicable.contains(&param.name) {
                continue;
            }
            assert!(
                component.contains_key(param.name),
                "{kind} ({extra}): `{}` missing from\n{}",
                param.name,
                scenario.resolved_toml
            );
        }
        // And it runs exactly as the original: same parameters, same numbers.
        let again =
            Scenario::from_source("r.toml", &scenario.resolved_toml, std::path::Path::new("."), &[]).expect("reloads");
        assert_eq!(
            again.resolved_toml.lines().skip(2).collect::<Vec<_>>(),
            scenario.resolved_toml.lines().skip(2).collect::<Vec<_>>()
        );
    }
}

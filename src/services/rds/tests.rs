//! Unit tests of the RDS model: parameter checks and defaults, instance naming, DNS history,
//! the typed protocol.
//! Runs of the state machine through whole scenarios are in `tests/integration/rds_runs.rs`.

use super::protocol::{status_of_tag, status_tag};
use super::*;
use crate::model::dist::Dist;
use crate::model::{Request, Status};

fn azs<'a>(names: &'a [&'a str]) -> impl Fn(&str) -> Option<u16> + 'a {
    move |name| names.iter().position(|az| *az == name).map(|i| i as u16)
}

fn plan_of(toml: &str, az_count: u16) -> Result<RdsPlan, SpecError> {
    let config: RdsConfig = toml::from_str(toml).expect("valid TOML");
    let names = ["a", "b", "c", "d"];
    let lookup = azs(&names[..az_count as usize]);
    let resolve = |_: &str| None;
    let context = BuildContext { resolve: &resolve, az_index: &lookup, own_az: 0, az_count };
    config.plan(&context)
}

#[test]
fn defaults_follow_models_md() {
    let plan = plan_of("", 3).unwrap();
    assert_eq!(plan.deployment, Deployment::MultiAzInstance);
    assert_eq!(plan.azs, vec![0, 1], "standby in the AZ after the primary's");
    assert_eq!((plan.workers, plan.queue_limit), (16, 1000 - 16));
    assert_eq!(plan.read_routing, ReadRouting::Primary);
    // Failover: three uniform phases on [20 s, 40 s] sum to 60–120 s, mean 90 s (RDSUG).
    let phases = [&plan.detection, &plan.promotion, &plan.dns_switch];
    let mean: f64 = phases.iter().map(|d| d.mean()).sum();
    assert!((mean - 90.0).abs() < 1e-9, "mean failover {mean}");
    for phase in phases {
        assert!(matches!(phase, Dist::Uniform { min, max } if (*min, *max) == (20.0, 40.0)));
    }
    // Replica apply capacity 3,750 writes/s, fitted to V17 Table 4.
    assert!((1.0 / plan.apply.mean() - 3750.0).abs() < 1e-6);
}

#[test]
fn cluster_failover_stays_under_35_seconds() {
    let plan = plan_of("deployment = \"multi_az_cluster\"", 3).unwrap();
    assert_eq!(plan.azs, vec![0, 1, 2]);
    let worst: f64 = [&plan.detection, &plan.promotion, &plan.dns_switch]
        .iter()
        .map(|d| match d {
            Dist::Uniform { max, .. } => *max,
            other => panic!("{other:?}"),
        })
        .sum();
    assert!(worst <= 35.0, "the slowest cluster failover takes {worst} s");
    assert_eq!(plan.read_routing, ReadRouting::Primary, "reads stay on the writer unless routed");
}

#[test]
fn checks_name_the_offending_field() {
    let field = |toml: &str, azs: u16| plan_of(toml, azs).unwrap_err().field;
    assert_eq!(field("", 1), "deployment", "Multi-AZ needs a second AZ");
    assert_eq!(field("deployment = \"multi_az_cluster\"", 2), "deployment");
    assert_eq!(field("deployment = \"triple\"", 3), "deployment");
    assert_eq!(field("standby_az = \"a\"", 3), "standby_az");
    assert_eq!(field("standby_az = \"z\"", 3), "standby_az");
    assert_eq!(field("deployment = \"single_az\"\nstandby_az = \"b\"", 3), "standby_az");
    assert_eq!(field("deployment = \"multi_az_cluster\"\nstandby_azs = [\"b\", \"b\"]", 3), "standby_azs");
    assert_eq!(field("replicas = 16", 3), "replicas");
    assert_eq!(field("replicas = 2\nreplica_azs = [\"b\"]", 3), "replica_azs");
    assert_eq!(field("read_routing = \"random\"", 3), "read_routing", "no readers to route to");
    assert_eq!(field("replicas = 1\nread_routing = \"nearest\"", 3), "read_routing");
    assert_eq!(field("workers = 8\nmax_connections = 4", 3), "max_connections");
    assert_eq!(field("proxy_az = \"a\"", 3), "proxy_az", "proxy settings need proxy = true");
    assert_eq!(field("detection = { dist = \"uniform\", min = \"2s\", max = \"1s\" }", 3), "detection.max");
    assert!(plan_of("deployment = \"single_az\"", 1).is_ok());
    assert!(plan_of("replicas = 15", 3).is_ok());
}

#[test]
fn instances_start_with_primary_then_standbys_then_replicas() {
    let names = |toml: &str| -> Vec<(String, Option<u16>)> {
        Rds::new("db", plan_of(toml, 3).unwrap()).instances().into_iter().map(|i| (i.name, i.az)).collect()
    };
    let owned = |items: &[(&str, Option<u16>)]| -> Vec<(String, Option<u16>)> {
        items.iter().map(|(n, az)| (n.to_string(), *az)).collect()
    };
    assert_eq!(
        names("replicas = 2"),
        owned(&[("primary", None), ("standby", Some(1)), ("replica-1", Some(1)), ("replica-2", Some(2))])
    );
    assert_eq!(
        names("deployment = \"multi_az_cluster\""),
        owned(&[("primary", None), ("standby-1", Some(1)), ("standby-2", Some(2))])
    );
    assert_eq!(
        names("deployment = \"single_az\"\nreplicas = 1\nreplica_azs = [\"a\"]"),
        owned(&[("primary", None), ("replica-1", None)])
    );
}

#[test]
fn dns_history_answers_as_sixteen_remembered_switches() {
    let mut rds = Rds::new("db", plan_of("", 3).unwrap());
    let t = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
    assert_eq!(rds.dns.at(t(5)), 0, "the primary's address from the start");
    for k in 1..=20 {
        rds.dns.switch(t(10 * k), k as usize);
    }
    // The last 16 switches (5..=20) are remembered with the owner before each: a resolution
    // older than all of them reaches the owner before switch 5.
    assert_eq!(rds.dns.at(t(1)), 4);
    assert_eq!(rds.dns.at(t(49)), 4);
    assert_eq!(rds.dns.at(t(50)), 5, "resolved at the switch: the new address");
    assert_eq!(rds.dns.at(t(205)), 20);
    assert_eq!(rds.dns.current(), 20);
}

#[test]
fn protocol_kinds_and_statuses_convert_checked() {
    use crate::model::{InternalKind, TimerKind};
    let statuses =
        [Status::Ok, Status::Rejected, Status::Throttled, Status::Unavailable, Status::TimedOut, Status::Invalid];
    for status in statuses {
        assert_eq!(status_of_tag(status_tag(status)), Some(status));
    }
    assert_eq!(status_of_tag(statuses.len() as u32), None, "a tag that names no status");
    let timer = Timer::new(RdsTimer::ApplyDone, 3, 42).tagged(7);
    assert_eq!((timer.kind_as::<RdsTimer>(), timer.slot, timer.data, timer.tag), (Some(RdsTimer::ApplyDone), 3, 42, 7));
    let steps: Vec<RdsTimer> = (0..)
        .map_while(RdsTimer::from_code)
        .inspect(|kind| assert_eq!(RdsTimer::from_code(kind.code()), Some(*kind)))
        .filter(|kind| kind.is_failover_step())
        .collect();
    assert_eq!(steps, [RdsTimer::Detected, RdsTimer::Promoted, RdsTimer::DnsSwitched, RdsTimer::Replaced]);
    assert_eq!(RdsTimer::from_code(RdsTimer::Resynced.code() + 1), None, "an unknown timer kind");
    let reply = Internal::new(RdsInternal::ProxyReply, 1, PROXY_ENDPOINT, 9, Request::NONE);
    assert_eq!(reply.kind_as::<RdsInternal>(), Some(RdsInternal::ProxyReply));
    assert_eq!(RdsInternal::from_code(RdsInternal::ProxyReply.code() + 1), None, "an unknown message kind");
}

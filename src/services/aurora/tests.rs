//! Unit tests of the Aurora component: instance naming, promotion order, stale DNS answers,
//! quorum and data loss under AZ + 1 failures, and a writer's restart or re-creation.

use super::*;
use crate::engine::{EventQueue, StreamKey};
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::{ComponentId, Event, Network};

/// A cluster with `replicas` replicas and `groups` groups in a 3-AZ topology.
fn cluster(config: AuroraConfig) -> Aurora {
    let names = ["a", "b", "c"];
    let resolve = |_: &str| None;
    let az_index = |name: &str| names.iter().position(|n| *n == name).map(|i| i as u16);
    let context = BuildContext { resolve: &resolve, az_index: &az_index, own_az: 0, az_count: 3 };
    Aurora::new("db", config.validate(&context).expect("valid"))
}

/// Delivers `msg` to `aurora` at the queue's current time.
fn deliver(aurora: &mut Aurora, queue: &mut EventQueue<Event>, network: &mut Network, msg: Message) {
    let mut rng = StreamKey { seed: 1, point: 0, replication: 0 }.rng("db");
    let mut ctx = Ctx::new(ComponentId(0), queue, network, &mut rng);
    aurora.handle(msg, &mut ctx);
}

/// A fault signal; its start and end share an id derived from what it targets.
fn fault(action: FaultAction, active: bool) -> Message {
    let id = match action {
        FaultAction::Crash { instance } | FaultAction::Slow { instance, .. } => instance,
        FaultAction::AzOutage { az } => 1_000_000 + u32::from(az),
        FaultAction::Partition { a, b } => 2_000_000 + u32::from(a) * 100 + u32::from(b),
    };
    Message::Fault(FaultSignal { action, active, id })
}

#[test]
fn instances_are_named_by_role_and_segment() {
    let aurora = cluster(AuroraConfig { replicas: 2, protection_groups: Some(2), ..AuroraConfig::default() });
    let names: Vec<String> = aurora.instances().into_iter().map(|i| i.name).collect();
    assert_eq!(names.len(), 1 + 2 + 12);
    assert_eq!(&names[..4], ["writer", "replica-1", "replica-2", "segment-0-0"]);
    assert_eq!(names[14], "segment-1-5");
    let azs: Vec<Option<u16>> = aurora.instances().into_iter().map(|i| i.az).collect();
    assert_eq!(&azs[..9], [None, Some(1), Some(2), Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)]);
}

#[test]
fn the_lowest_tier_is_promoted_then_the_lowest_number() {
    let mut aurora = cluster(AuroraConfig { replicas: 3, priority: Some(vec![2, 0, 1]), ..AuroraConfig::default() });
    assert_eq!(aurora.best_replica(), Some(2));
    aurora.instances[2].up = false;
    assert_eq!(aurora.best_replica(), Some(3));
    aurora.instances[3].up = false;
    assert_eq!(aurora.best_replica(), Some(1));
    let mut aurora = cluster(AuroraConfig { replicas: 2, ..AuroraConfig::default() });
    assert_eq!(aurora.best_replica(), Some(1), "equal tiers: the lower number");
    aurora.writer = 1;
    assert_eq!(aurora.best_replica(), Some(0), "the old writer, back as a replica, is a candidate");
}

#[test]
fn stale_dns_answers_name_the_old_writer() {
    let mut aurora = cluster(AuroraConfig { replicas: 1, ..AuroraConfig::default() });
    let t = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
    aurora.writer = 1;
    aurora.switch_endpoint(t(30));
    assert_eq!(aurora.endpoint_at(t(29)), (0, 0), "resolved before the switch");
    assert_eq!(aurora.endpoint_at(t(30)), (1, 0));
    aurora.instances[1].incarnation = 1;
    aurora.switch_endpoint(t(60));
    assert_eq!(aurora.endpoint_at(t(45)), (1, 0), "the replaced instance's old address");
    assert_eq!(aurora.endpoint_at(t(61)), (1, 1));
    // Switches with distinct answers: the history keeps the last ENDPOINT_HISTORY of them.
    let kept = ENDPOINT_HISTORY as u32;
    for k in 0..2 * kept {
        aurora.instances[1].incarnation = 2 + k;
        aurora.switch_endpoint(t(100 + u64::from(k)));
    }
    assert_eq!(aurora.endpoint_at(t(1)), (1, 2 + kept), "older than the history: the oldest kept");
    assert_eq!(aurora.endpoint_at(t(100 + u64::from(kept))), (1, 2 + kept));
    assert_eq!(aurora.endpoint_at(t(1000)), (1, 1 + 2 * kept));
}

#[test]
fn az_plus_one_loses_quorum_not_data_and_four_lost_copies_lose_data() {
    let mut aurora = cluster(AuroraConfig { protection_groups: Some(1), repair: false, ..AuroraConfig::default() });
    aurora.storage.groups[0].committed = 5;
    for segment in &mut aurora.storage.segments {
        segment.held = 5;
        segment.receiving = 5;
    }
    let mut queue = EventQueue::new();
    let mut network = Network::instant();
    network.set_az_down(2, true);
    deliver(&mut aurora, &mut queue, &mut network, fault(FaultAction::AzOutage { az: 2 }, true));
    assert_eq!(aurora.storage.unwritable, 0, "4 of 6: writes go on");
    // Instance indices: writer 0, then segments from 1.
    let crash = |s: u32, active| fault(FaultAction::Crash { instance: 1 + s }, active);
    deliver(&mut aurora, &mut queue, &mut network, crash(0, true));
    assert_eq!((aurora.storage.unwritable, aurora.storage.unreadable), (1, 0), "AZ + 1: read quorum left");
    assert_eq!(aurora.metrics.quorum_losses.total(), 1);
    assert_eq!(aurora.metrics.data_losses.total(), 0);
    deliver(&mut aurora, &mut queue, &mut network, crash(1, true));
    deliver(&mut aurora, &mut queue, &mut network, crash(2, true));
    assert_eq!(aurora.metrics.data_losses.total(), 0, "AZ c's copies are unreachable, not gone: 3 survive");
    deliver(&mut aurora, &mut queue, &mut network, crash(3, true));
    assert_eq!(aurora.metrics.data_losses.total(), 1, "2 copies survive: below the read quorum");
    assert_eq!(aurora.metrics.quorum_losses.total(), 1, "still the same quorum loss");
    // The AZ returns and the crashed segments come back rebuilt from their peers.
    network.set_az_down(2, false);
    deliver(&mut aurora, &mut queue, &mut network, fault(FaultAction::AzOutage { az: 2 }, false));
    for s in 0..4 {
        deliver(&mut aurora, &mut queue, &mut network, crash(s, false));
    }
    assert_eq!(aurora.storage.unwritable, 0);
    assert!(aurora.storage.segments.iter().all(|s| s.available && s.held == 5));
}

#[test]
fn a_writer_crash_without_replicas_restarts_in_place_or_is_recreated() {
    let config = AuroraConfig {
        failover_time: DistSpec::constant(20.0),
        crash_recovery: DistSpec::constant(3.0),
        recreate_time: DistSpec::constant(60.0),
        protection_groups: Some(1),
        ..AuroraConfig::default()
    };
    let mut network = Network::instant();
    // Restart: the crash ends before re-creation would finish.
    let mut aurora = cluster(config.clone());
    let mut queue = EventQueue::new();
    deliver(&mut aurora, &mut queue, &mut network, fault(FaultAction::Crash { instance: 0 }, true));
    assert!(matches!(aurora.state, WriterState::Down { .. }) && aurora.recreate_pending);
    deliver(&mut aurora, &mut queue, &mut network, fault(FaultAction::Crash { instance: 0 }, false));
    assert!(matches!(aurora.state, WriterState::Recovering { .. }));
    assert_eq!(aurora.metrics.restarts.total(), 1);
    // Only the recovery timer is still current: run the queue dry.
    while let Some(event) = queue.pop() {
        deliver(&mut aurora, &mut queue, &mut network, event.msg);
    }
    assert_eq!(aurora.state, WriterState::Up);
    assert_eq!(aurora.metrics.downtime, SimDuration::from_secs(3), "restart at 0 s + 3 s recovery");
    assert_eq!(aurora.endpoint.len(), 1, "same address: no DNS switch");
    assert_eq!(aurora.endpoint.current(), (0, 0));
    // Re-creation: the crash outlasts recreate_time; the new writer has a new address.
    let mut aurora = cluster(config);
    let mut queue = EventQueue::new();
    deliver(&mut aurora, &mut queue, &mut network, fault(FaultAction::Crash { instance: 0 }, true));
    while let Some(event) = queue.pop() {
        deliver(&mut aurora, &mut queue, &mut network, event.msg);
    }
    assert_eq!(aurora.state, WriterState::Up);
    assert_eq!(aurora.metrics.recreations.total(), 1);
    assert_eq!(aurora.metrics.downtime, SimDuration::from_secs(63));
    assert_eq!(aurora.endpoint_at(queue.now()), (0, 1));
    assert!(aurora.instances[0].cold_since.is_some(), "a new instance starts with an empty cache");
    // The old fault ends later: the new instance is unaffected.
    deliver(&mut aurora, &mut queue, &mut network, fault(FaultAction::Crash { instance: 0 }, false));
    assert!(aurora.instances[0].up && aurora.state == WriterState::Up);
}

//! Amazon RDS: Multi-AZ DB instance, Multi-AZ DB cluster and Single-AZ deployments; failover
//! seen through the clients' DNS caches; RDS Proxy; asynchronous read replicas with lag and
//! stale-read measurement. Defaults and their sources are in [`RDS_DOC`] (`stratus describe rds`)
//! and on the constants re-exported here.
//!
//! # Instances
//! Every DB instance (primary, standby, replica) is a node with its own
//! [`ServerPool`](crate::blocks::station::ServerPool): `workers` servers, read and write service
//! times, `max_connections − workers` waiting places (beyond them: `rejected`, "too many
//! connections"). Roles move between nodes on failover; fault instance names (`primary`,
//! `standby`, `replica-1`, ...) name roles, so `primary` is whoever is primary when the fault
//! starts.
//!
//! # Writes and replication
//! The primary executes a write (its pool), gives it the next log sequence number (LSN) and
//! sends it to every in-sync standby (`send_internal`, across AZs). A standby persists it
//! (`standby_apply`, writes in parallel) and acknowledges. The write commits — the client gets
//! `ok` from the primary's AZ — on the standby's ack (multi_az_instance, synchronous), on the
//! first standby ack (multi_az_cluster, semi-synchronous), or at once (single_az, or while no
//! standby is in sync). A standby that crashes or becomes unreachable stalls commits until the
//! primary detects it (`detection`) and detaches it; it rejoins after a `resync`.
//!
//! A commit gets the next binlog position and is shipped to every replica, which applies the
//! stream in order through a single-threaded apply queue (`apply`): replica lag is the M/M/1
//! sojourn of that queue plus the network delay, so it grows with the write rate. Readable
//! cluster standbys replay their log through the same kind of queue. The queue's contents are
//! the primary's binlog (one commit time per position), so a backlog costs 8 bytes per write.
//!
//! # Failover
//! A primary that crashes or loses its AZ loses its in-flight transactions (queued, executing,
//! or waiting for a standby's ack). After `detection` RDS promotes the most up-to-date in-sync
//! standby (`promotion`; a cluster standby first applies its backlog), or, with no in-sync
//! standby, the most up-to-date replica (`replica_promotion`, asynchronous: commits it had not
//! received are lost), or else replaces the instance (`replacement`; storage survives). If the
//! primary comes back before detection ends it simply restarts. After promotion the DNS record
//! switches (`dns_switch`). Each request carries the time its client last resolved the name; a
//! request resolved before the last switch goes to the previous primary's address: if that
//! instance is down the request is lost (the client times out); if it is back, as a standby,
//! it refuses the connection at once (`unavailable`, so the client retries immediately
//! instead of waiting for its timeout). The old primary rejoins as a standby after a `resync`.
//!
//! Data loss is checked, not assumed: at each promotion every acknowledged commit is looked up
//! in the new primary's log, and those missing are counted in `lost_commits`.
//!
//! # RDS Proxy
//! With `proxy = true` clients talk to the proxy ([`Proxy`]), which lends one of its database
//! connections to each request and queues requests when all are lent. During a failover it
//! holds requests and sends them to the new primary as soon as promotion ends, so clients do
//! not wait for the DNS switch or their DNS caches: with the default phases (each a third of
//! the 60–120 s) the outage clients see shrinks by the DNS third plus the cache wait, about
//! 35% — the 32% AWS measured for RDS MySQL, within the "up to 66%" launch claim.
//!
//! # Network placement
//! The world routes every message for this component to one endpoint AZ: the primary's at
//! first, the new primary's from each DNS switch on ([`Ctx::move_endpoint`]), so losing the
//! old primary's AZ does not cut clients off from the new one. With RDS Proxy the endpoint is
//! the proxy's AZ. When the endpoint's AZ is lost the endpoint moves to an AZ that is up:
//! replicas have their own endpoints and RDS Proxy is always up (it runs in several AZs).
//! Whether a request reaches the instance that serves it is checked on arrival against the
//! client's own path to that instance's AZ, so a write to a primary in a lost AZ is still
//! lost. Replies leave from the AZ of the node (or proxy) that answers. The inbound hop is
//! drawn as client → endpoint AZ, an approximation of client → serving instance's AZ.
//!
//! # Source layout
//! `protocol` declares the timers and internal messages and what their fields carry;
//! `node` one instance; `requests` routing, serving and answering requests (and the proxy's
//! connections); `replication` writes, commits, the log shipped to standbys and replicas;
//! `standbys` detaching and resynchronizing them; `failover` the failover state machine;
//! `faults` faults and the network endpoint; `metrics` what is measured and reported.

mod config;
mod doc;
mod failover;
mod faults;
mod metrics;
mod node;
mod protocol;
mod proxy;
mod replication;
mod requests;
mod seq;
mod standbys;

use std::collections::VecDeque;

use rand::{RngExt, SeedableRng};
use rustc_hash::FxHashMap;

pub use config::{
    CLUSTER_DETECTION_SECS, CLUSTER_DNS_SECS, CLUSTER_PROMOTION_SECS, DEFAULT_APPLY_SECS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_PROXY_BORROW_TIMEOUT, DEFAULT_READ_SERVICE_SECS, DEFAULT_STANDBY_APPLY_SECS, DEFAULT_WORKERS,
    DEFAULT_WRITE_SERVICE_SECS, Deployment, INSTANCE_FAILOVER_PHASE_SECS, MAX_REPLICAS, REPLACEMENT_SECS,
    REPLICA_PROMOTION_SECS, RESYNC_SECS, RdsConfig, RdsPlan, ReadRouting, uniform,
};
pub use doc::RDS_DOC;
pub use proxy::Proxy;
pub use seq::SeqTracker;

use self::failover::Phase;
use self::metrics::Measures;
use self::node::{Node, Role};
use self::protocol::{PROXY_ENDPOINT, RdsInternal, RdsTimer};
use self::replication::{KeyState, Pending};
use crate::blocks::endpoint::EndpointHistory;
use crate::blocks::health::FaultBindings;
use crate::blocks::station::Departure;
use crate::engine::{SimDuration, SimRng, SimTime, splitmix64};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::{BillableItem, HOURS_PER_MONTH};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, InstanceInfo, Internal, Message, SpecError, Timer};
use crate::services::classes::{DEFAULT_RDS_CLASS, Service};

/// Binlog positions kept for lagging replicas before the most lagging one is rebuilt from a
/// snapshot (16 Mi commit times, 128 MiB). Assumption: a bound on memory, not an AWS figure.
pub const MAX_BINLOG: usize = 1 << 24;

/// DNS switches remembered to resolve requests carrying old resolutions (older ones resolve
/// to the owner before the oldest remembered switch).
const DNS_HISTORY: usize = 16;

impl KindConfig for RdsConfig {
    fn events_per_request(&self, write_fraction: f64) -> f64 {
        // Delivery, execution, reply; RDS Proxy adds its hop to the instance and back.
        let hop = 3.0 + if self.proxy { 2.0 } else { 0.0 };
        // A write goes to each synchronous standby and back (the log record, its
        // persistence, the ack; a cluster's readable standbys also apply it), and to each
        // replica (the binlog shipment and its apply).
        let standbys = match self.deployment.as_str() {
            "multi_az_instance" => 3.0,
            "multi_az_cluster" => 2.0 * 4.0,
            _ => 0.0,
        };
        hop + write_fraction * (standbys + 2.0 * f64::from(self.replicas))
    }

    /// The primary, each standby (Multi-AZ bills the standby as an instance; a Multi-AZ DB
    /// cluster is billed as its 3 instances, an assumption: AWS lists cluster prices
    /// separately) and each read replica, all of the one class; RDS Proxy per vCPU of the
    /// instances it fronts (primary, readable standbys, replicas; at least 2 vCPUs each).
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        let class = self.instance_class.as_deref().unwrap_or(DEFAULT_RDS_CLASS);
        let standbys = match self.deployment.as_str() {
            "multi_az_instance" => 1,
            "multi_az_cluster" => 2,
            _ => 0,
        };
        let mut items = vec![BillableItem::instances(name, "primary", "rds", class, 1.0)];
        if standbys > 0 {
            items.push(BillableItem::instances(name, "standbys", "rds", class, f64::from(standbys)));
        }
        if self.replicas > 0 {
            items.push(BillableItem::instances(name, "read replicas", "rds", class, f64::from(self.replicas)));
        }
        if self.proxy {
            let vcpus =
                crate::services::classes::lookup(Service::Rds, class, "instance_class").map_or(2, |c| c.vcpus.max(2));
            let readable_standbys = if self.deployment == "multi_az_cluster" { 2 } else { 0 };
            let fronted = 1 + readable_standbys + self.replicas;
            items.push(BillableItem::Fixed {
                component: name.to_string(),
                what: format!("RDS Proxy ({fronted} instances × {vcpus} vCPUs)"),
                quantity: f64::from(fronted * vcpus) * HOURS_PER_MONTH,
                unit: "vCPU-hours".into(),
                price_key: "rds.proxy_vcpu_hour".into(),
            });
        }
        items
    }

    fn nanos_per_event(&self) -> f64 {
        // Measured: `scenarios/rds-read-replicas.toml`, about 3 M events/s per thread (the
        // key table and the replication logs cost more than a station's queue).
        350.0
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        RdsConfig::dists_mut(self)
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(Rds::new(name, self.plan(context)?)))
    }

    fn resolved(&self, context: &BuildContext<'_>, az_names: &[String]) -> Result<Self, SpecError> {
        let plan = self.plan(context)?;
        let name = |az: u16| az_names.get(az as usize).cloned().unwrap_or_default();
        let mut resolved = self.clone();
        let standbys = plan.deployment.standbys();
        match plan.deployment {
            Deployment::MultiAzInstance => resolved.standby_az = Some(name(plan.azs[1])),
            Deployment::MultiAzCluster => {
                resolved.standby_azs = Some(plan.azs[1..=2].iter().map(|&az| name(az)).collect())
            }
            Deployment::SingleAz => {}
        }
        if plan.replicas > 0 {
            resolved.replica_azs = Some(plan.azs[1 + standbys..].iter().map(|&az| name(az)).collect());
        }
        let (detection, promotion, dns_switch) = match plan.deployment {
            Deployment::MultiAzCluster => (CLUSTER_DETECTION_SECS, CLUSTER_PROMOTION_SECS, CLUSTER_DNS_SECS),
            _ => (INSTANCE_FAILOVER_PHASE_SECS, INSTANCE_FAILOVER_PHASE_SECS, INSTANCE_FAILOVER_PHASE_SECS),
        };
        resolved.detection.get_or_insert_with(|| uniform(detection));
        resolved.promotion.get_or_insert_with(|| uniform(promotion));
        resolved.dns_switch.get_or_insert_with(|| uniform(dns_switch));
        resolved.read_routing = Some(plan.read_routing.as_str().to_string());
        resolved.instance_class.get_or_insert_with(|| DEFAULT_RDS_CLASS.to_string());
        resolved.workers = Some(plan.workers);
        resolved.max_connections = Some(plan.max_connections);
        if let Some((az, connections, timeout)) = plan.proxy {
            resolved.proxy_az = Some(name(az));
            resolved.proxy_max_connections = Some(connections);
            resolved.proxy_borrow_timeout = Some(crate::units::Duration(timeout));
        }
        Ok(resolved)
    }
}

/// A running RDS deployment.
pub struct Rds {
    name: String,
    plan: RdsPlan,
    nodes: Vec<Node>,
    /// Fault instance index (role slot) → node.
    role_node: Vec<usize>,
    /// Node → role slot.
    slot_of: Vec<usize>,
    /// The node each active crash or slow fault hit when it started (by fault id), to undo it.
    role_faults: FaultBindings,
    primary: usize,
    az_down: Vec<u16>,
    /// The node the endpoint's DNS record names, now and after each earlier switch: the
    /// current one and the [`DNS_HISTORY`] before it.
    dns: EndpointHistory<usize>,
    phase: Phase,
    /// Bumped at every failure and recovery; failover timers carry it (as `epoch as u32`).
    epoch: u64,
    outage_start: Option<SimTime>,
    writable: bool,
    next_lsn: u64,
    /// First LSN of the current primary's timeline.
    timeline_start: u64,
    pending: VecDeque<Pending>,
    pending_base: u64,
    /// At the last primary failure: every LSN in `timeline_start..crash_base` was committed,
    /// and so were those in `crash_committed`.
    crash_base: u64,
    crash_committed: Vec<u64>,
    /// LSNs of this timeline lost uncommitted with an earlier failure of the same primary
    /// (it restarted in place): not commits, so never counted as data loss.
    lost_lsns: Vec<u64>,
    next_seq: u64,
    binlog: VecDeque<SimTime>,
    binlog_base: u64,
    keys: FxHashMap<u64, KeyState>,
    track_keys: bool,
    cursor: usize,
    proxy: Option<Proxy>,
    /// Where the network delivers messages for this component (`Ctx::move_endpoint`).
    endpoint_az: u16,
    /// Draws the control plane's durations (detection, promotion, DNS switch, replacement,
    /// resync), apart from the data path's draws, so that two configurations with the same
    /// seed (with and without the proxy, say) see the same failover timeline.
    control_rng: SimRng,
    m: Measures,
}

impl Rds {
    /// Builds the deployment from a checked plan.
    pub fn new(name: &str, plan: RdsPlan) -> Self {
        let standbys = plan.deployment.standbys();
        let nodes: Vec<Node> = plan
            .azs
            .iter()
            .enumerate()
            .map(|(index, &az)| {
                let role = if index == 0 {
                    Role::Primary
                } else if index <= standbys {
                    Role::Standby
                } else {
                    Role::Replica
                };
                Node::new(index, az, role, &plan)
            })
            .collect();
        let count = nodes.len();
        let az_count = plan.azs.iter().copied().max().unwrap_or(0) as usize + 1;
        let has_readers = plan.replicas > 0 || plan.deployment == Deployment::MultiAzCluster;
        let track_keys = has_readers && plan.read_routing != ReadRouting::Primary;
        let proxy = plan.proxy.map(|(az, connections, timeout)| Proxy::new(az, connections, timeout));
        let mut m = Measures::default();
        m.writable.set(SimTime::ZERO, 1.0);
        Rds {
            name: name.to_string(),
            nodes,
            role_node: (0..count).collect(),
            slot_of: (0..count).collect(),
            role_faults: FaultBindings::default(),
            primary: 0,
            az_down: vec![0; az_count],
            dns: EndpointHistory::new(0, DNS_HISTORY + 1),
            phase: Phase::Normal,
            epoch: 0,
            outage_start: None,
            writable: true,
            next_lsn: 1,
            timeline_start: 1,
            pending: VecDeque::new(),
            pending_base: 1,
            crash_base: 1,
            crash_committed: Vec::new(),
            lost_lsns: Vec::new(),
            next_seq: 1,
            binlog: VecDeque::new(),
            binlog_base: 1,
            keys: FxHashMap::default(),
            track_keys,
            cursor: 0,
            endpoint_az: plan.azs[0],
            proxy,
            control_rng: SimRng::seed_from_u64(0),
            m,
            plan,
        }
    }

    /// Dispatches a timer by kind. Failover steps are first checked against the failover
    /// epoch: one set in an episode that is over is stale and ignored.
    fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let Some(kind) = timer.kind_as::<RdsTimer>() else { return }; // None of ours: ignored.
        if kind.is_failover_step() && timer.tag != self.epoch_tag() {
            return;
        }
        let node = timer.slot as usize;
        match kind {
            RdsTimer::Pool => {
                let node = timer.data as usize;
                if node < self.nodes.len()
                    && self.nodes[node].pool.owns(&timer)
                    && let Some(Departure::Request(request)) = self.nodes[node].pool.depart(timer, ctx)
                {
                    self.on_served(node, request, ctx);
                }
            }
            RdsTimer::StandbyPersisted => self.on_persisted(node, timer.tag, timer.data, ctx),
            RdsTimer::ApplyDone => self.on_apply_done(node, timer.tag, timer.data, ctx),
            RdsTimer::StandbyCheck => {
                self.on_standby_check(node, timer.tag, ctx);
                self.update_writable(ctx);
            }
            RdsTimer::Resynced => self.on_resynced(node, timer.tag, ctx),
            RdsTimer::Detected => self.on_detected(ctx),
            RdsTimer::Promoted => self.on_promoted(ctx),
            RdsTimer::DnsSwitched => self.on_dns_switched(ctx),
            RdsTimer::Replaced => self.on_replaced(ctx),
        }
    }

    /// Dispatches a message between instances (or the proxy) by kind.
    fn on_internal(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        if internal.to != PROXY_ENDPOINT && internal.to as usize >= self.nodes.len() {
            return;
        }
        let Some(kind) = internal.kind_as::<RdsInternal>() else { return }; // None of ours: ignored.
        match kind {
            RdsInternal::Replicate => self.on_replicate(internal, ctx),
            RdsInternal::Ack => self.on_ack(internal, ctx),
            RdsInternal::Ship => self.on_ship(internal, ctx),
            RdsInternal::ProxyForward => self.on_proxy_forward(internal, ctx),
            RdsInternal::ProxyReply => self.on_proxy_reply(internal, ctx),
        }
    }
}

impl Component for Rds {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.control_rng = SimRng::seed_from_u64(splitmix64(ctx.rng.random::<u64>()));
        let az = self.proxy.as_ref().map(|proxy| proxy.az).unwrap_or(self.plan.azs[0]);
        self.move_endpoint(az, ctx);
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Timer(timer) => self.on_timer(timer, ctx),
            Message::Internal(internal) => self.on_internal(internal, ctx),
            Message::Fault(signal) => self.on_fault(signal, ctx),
            Message::Reply(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.begin_measuring(now);
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.declare_series(names);
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        self.sample_series(now, interval, out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        self.report(now, out);
    }

    fn backlog(&self, now: SimTime) -> Backlog {
        self.held(now)
    }

    fn instances(&self) -> Vec<InstanceInfo> {
        let own = self.plan.azs[0];
        let standbys = self.plan.deployment.standbys();
        self.plan
            .azs
            .iter()
            .enumerate()
            .map(|(index, &az)| {
                let name = if index == 0 {
                    "primary".to_string()
                } else if index <= standbys {
                    if standbys == 1 { "standby".to_string() } else { format!("standby-{index}") }
                } else {
                    format!("replica-{}", index - standbys)
                };
                InstanceInfo { name, az: (az != own).then_some(az) }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;

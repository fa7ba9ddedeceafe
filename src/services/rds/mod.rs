//! Amazon RDS: Multi-AZ DB instance, Multi-AZ DB cluster and Single-AZ deployments; failover
//! seen through the clients' DNS caches; RDS Proxy; asynchronous read replicas with lag and
//! stale-read measurement. Defaults and their sources are in [`RDS_DOC`] (`stratus describe rds`)
//! and on the constants re-exported here.
//!
//! # Instances
//! Every DB instance (primary, standby, replica) is a node with its own
//! [`ServerPool`]: `workers` servers, read and write service
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

mod config;
mod proxy;
mod seq;

use std::collections::VecDeque;

use rand::{RngExt, SeedableRng};
use rustc_hash::FxHashMap;

pub use config::{
    CLUSTER_DETECTION_SECS, CLUSTER_DNS_SECS, CLUSTER_PROMOTION_SECS, DEFAULT_APPLY_SECS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_PROXY_BORROW_TIMEOUT, DEFAULT_READ_SERVICE_SECS, DEFAULT_STANDBY_APPLY_SECS, DEFAULT_WORKERS,
    DEFAULT_WRITE_SERVICE_SECS, Deployment, INSTANCE_FAILOVER_PHASE_SECS, MAX_REPLICAS, RDS_DOC, REPLACEMENT_SECS,
    REPLICA_PROMOTION_SECS, RESYNC_SECS, RdsConfig, RdsPlan, ReadRouting, uniform,
};
pub use proxy::Proxy;
pub use seq::SeqTracker;

use self::proxy::Next;
use crate::blocks::station::{Admission, ServerPool, ServiceTimes};
use crate::engine::{SimDuration, SimRng, SimTime, splitmix64};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::fault::{FaultAction, FaultSignal, nested_slow_factor};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{
    Component, ComponentId, Ctx, InstanceInfo, Internal, Message, Network, Op, Request, SpecError, Status, Timer,
};

crate::message_kinds! {
    /// RDS timers (interim: still matched through the constants below).
    timer enum RdsTimer { Pool, StandbyPersisted, ApplyDone, Detected, Promoted, DnsSwitched, Replaced, StandbyCheck, Resynced }
}
const POOL: u32 = RdsTimer::Pool as u32;
const STANDBY_PERSISTED: u32 = RdsTimer::StandbyPersisted as u32;
const APPLY_DONE: u32 = RdsTimer::ApplyDone as u32;
const DETECTED: u32 = RdsTimer::Detected as u32;
const PROMOTED: u32 = RdsTimer::Promoted as u32;
const DNS_SWITCHED: u32 = RdsTimer::DnsSwitched as u32;
const REPLACED: u32 = RdsTimer::Replaced as u32;
const STANDBY_CHECK: u32 = RdsTimer::StandbyCheck as u32;
const RESYNCED: u32 = RdsTimer::Resynced as u32;

// Internal message kinds.
const REPLICATE: u32 = 0;
const ACK: u32 = 1;
const SHIP: u32 = 2;
const PROXY_FORWARD: u32 = 3;
const PROXY_REPLY: u32 = 4;

/// `Internal::from`/`to` of the proxy.
const PROXY_ENDPOINT: u32 = u32::MAX;

/// Sequence numbers travel in the low 40 bits of a message's `data`, a tag (an incarnation, a
/// status) in the high 24.
const SEQ_BITS: u32 = 40;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;
const TAG_MASK: u64 = (1 << (64 - SEQ_BITS)) - 1;

/// Binlog positions kept for lagging replicas before the most lagging one is rebuilt from a
/// snapshot (16 Mi commit times, 128 MiB). Assumption: a bound on memory, not an AWS figure.
pub const MAX_BINLOG: usize = 1 << 24;
/// The request carried by internal messages that concern no client request.
const PLACEHOLDER: Request = Request {
    id: 0,
    op: Op::Write,
    key: 0,
    size: 0,
    created: SimTime::ZERO,
    arrived: SimTime::ZERO,
    client: ComponentId::WORLD,
    token: 0,
    attempt: 0,
    resolved_at: SimTime::ZERO,
};

/// DNS switches remembered to resolve requests carrying old resolutions (older ones resolve
/// to the oldest remembered owner).
const DNS_HISTORY: usize = 16;

#[inline]
fn pack(tag: u64, seq: u64) -> u64 {
    ((tag & TAG_MASK) << SEQ_BITS) | (seq & SEQ_MASK)
}

#[inline]
fn unpack(data: u64) -> (u64, u64) {
    (data >> SEQ_BITS, data & SEQ_MASK)
}

fn status_code(status: Status) -> u64 {
    match status {
        Status::Ok => 0,
        Status::Rejected => 1,
        Status::Throttled => 2,
        Status::Unavailable => 3,
        Status::TimedOut => 4,
        Status::Invalid => 5,
    }
}

fn status_from(code: u64) -> Status {
    match code {
        0 => Status::Ok,
        1 => Status::Rejected,
        2 => Status::Throttled,
        4 => Status::TimedOut,
        5 => Status::Invalid,
        _ => Status::Unavailable,
    }
}

impl KindConfig for RdsConfig {
    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        RdsConfig::dists_mut(self)
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(Rds::new(name, self.plan(context)?)))
    }
}

/// What a node is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Role {
    Primary,
    Standby,
    Replica,
}

/// One DB instance.
struct Node {
    az: u16,
    role: Role,
    pool: ServerPool,
    /// Bumped at every crash and resync: messages and timers tagged with an older value are
    /// dropped (a connection that broke).
    incarnation: u64,
    crash_faults: u32,
    up: bool,
    slow: f64,
    /// Standby: receives the primary's log and is waited for. Replica: member of the
    /// replication stream (false while it must be rebuilt).
    in_sync: bool,
    resyncing: bool,
    /// Standby: a replicated write or its ack was lost, so it must be detached.
    missed: bool,
    check_pending: bool,
    /// Standby: LSNs persisted. Replica: binlog positions received.
    log: SeqTracker,
    /// Position applied by the single-threaded apply queue (replica: binlog; cluster
    /// standby: LSN).
    applied: u64,
    applying: bool,
    /// Replica: next binlog position the primary sends it.
    shipped: u64,
}

impl Node {
    fn tag(&self) -> u64 {
        self.incarnation & TAG_MASK
    }
}

/// A write executed on the primary and waiting for its standby ack.
#[derive(Copy, Clone, Debug)]
struct Pending {
    request: Request,
    executed: SimTime,
    committed: bool,
}

/// The latest committed write of a key.
#[derive(Copy, Clone, Debug)]
struct KeyState {
    lsn: u64,
    seq: u64,
    at: SimTime,
}

/// Where the failover state machine is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// A primary serves (or, after a replacement, waits for its AZ).
    Normal,
    /// The primary failed; RDS has not noticed yet.
    Detecting,
    /// A standby or replica is being promoted.
    Promoting { target: usize, from_replica: bool, timer_done: bool },
    /// No failover target: the primary is being replaced.
    Replacing,
    /// Promoted; the DNS record still names the old primary.
    AwaitingDns,
}

#[derive(Default)]
struct Measures {
    read_latency: LatencyHistogram,
    write_latency: LatencyHistogram,
    commit_latency: LatencyHistogram,
    reads_ok: Counter,
    writes_ok: Counter,
    too_many_connections: Counter,
    unavailable: Counter,
    lost: Counter,
    stale_dns: Counter,
    writable: TimeWeighted,
    failovers: Counter,
    downtime_sum: f64,
    downtime_max: f64,
    downtimes: u64,
    lost_in_flight: Counter,
    lost_commits: Counter,
    standby_detached: Counter,
    replica_promotions: Counter,
    replacements: Counter,
    restarts: Counter,
    replica_rebuilds: Counter,
    replica_lag: LatencyHistogram,
    lag_interval: IntervalMean,
    reader_reads: Counter,
    stale_reads: Counter,
    staleness: LatencyHistogram,
    measure_start: SimTime,
}

impl Measures {
    fn begin(&mut self, now: SimTime) {
        for histogram in [
            &mut self.read_latency,
            &mut self.write_latency,
            &mut self.commit_latency,
            &mut self.replica_lag,
            &mut self.staleness,
        ] {
            histogram.reset();
        }
        for counter in [
            &mut self.reads_ok,
            &mut self.writes_ok,
            &mut self.too_many_connections,
            &mut self.unavailable,
            &mut self.lost,
            &mut self.stale_dns,
            &mut self.failovers,
            &mut self.lost_in_flight,
            &mut self.lost_commits,
            &mut self.standby_detached,
            &mut self.replica_promotions,
            &mut self.replacements,
            &mut self.restarts,
            &mut self.replica_rebuilds,
            &mut self.reader_reads,
            &mut self.stale_reads,
        ] {
            counter.reset();
        }
        self.writable.reset(now);
        self.downtime_sum = 0.0;
        self.downtime_max = 0.0;
        self.downtimes = 0;
        self.measure_start = now;
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
    /// The node each instance index's latest crash / slow fault hit, to undo it.
    fault_node: Vec<usize>,
    slow_node: Vec<usize>,
    primary: usize,
    az_down: Vec<u16>,
    /// The node the endpoint's DNS record names, and earlier (switch time, previous owner).
    address_owner: usize,
    dns_history: VecDeque<(SimTime, usize)>,
    phase: Phase,
    /// Bumped at every failure and recovery; failover timers carry it.
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
                let service = ServiceTimes { read: plan.read_service.clone(), write: plan.write_service.clone() };
                Node {
                    az,
                    role,
                    pool: ServerPool::new(plan.workers, Some(plan.queue_limit), service, RdsTimer::Pool, index as u64),
                    incarnation: 0,
                    crash_faults: 0,
                    up: true,
                    slow: 1.0,
                    in_sync: role != Role::Primary,
                    resyncing: false,
                    missed: false,
                    check_pending: false,
                    log: SeqTracker::default(),
                    applied: 0,
                    applying: false,
                    shipped: 1,
                }
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
            fault_node: (0..count).collect(),
            slow_node: (0..count).collect(),
            primary: 0,
            az_down: vec![0; az_count],
            address_owner: 0,
            dns_history: VecDeque::with_capacity(DNS_HISTORY + 1),
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

    fn has_readers(&self) -> bool {
        self.plan.replicas > 0 || self.plan.deployment == Deployment::MultiAzCluster
    }

    // ----- requests -------------------------------------------------------------------

    fn on_request(&mut self, mut request: Request, ctx: &mut Ctx<'_>) {
        if !matches!(request.op, Op::Read | Op::Write | Op::Delete) {
            ctx.reply(request, Status::Invalid);
            return;
        }
        let now = ctx.now();
        request.arrived = now;
        let client_az = ctx.network().az_of(request.client);
        if request.op == Op::Read
            && self.plan.read_routing != ReadRouting::Primary
            && let Some(reader) = self.pick_reader(client_az, ctx)
        {
            self.serve(reader, request, ctx);
            return;
        }
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.enqueue(request, now);
            self.dispatch(ctx);
            return;
        }
        let node = self.owner_at(request.resolved_at);
        if node != self.address_owner {
            self.m.stale_dns.incr();
        }
        let (up, az) = (self.nodes[node].up, self.nodes[node].az);
        if !up || !ctx.network().reachable(client_az, az) {
            self.m.lost.incr();
            return;
        }
        if node != self.primary || !self.primary_serves() {
            // A standby (or a fenced old primary) refuses connections: fail fast.
            self.m.unavailable.incr();
            ctx.reply_from_az(az, request, Status::Unavailable);
            return;
        }
        self.serve(node, request, ctx);
    }

    /// The node the endpoint's name resolved to at `resolved_at`.
    fn owner_at(&self, resolved_at: SimTime) -> usize {
        let mut owner = self.address_owner;
        for &(switched_at, previous) in self.dns_history.iter().rev() {
            if resolved_at < switched_at {
                owner = previous;
            } else {
                break;
            }
        }
        owner
    }

    /// True if the primary accepts requests (it is not fenced by a failover in progress).
    fn primary_serves(&self) -> bool {
        self.nodes[self.primary].up && matches!(self.phase, Phase::Normal | Phase::AwaitingDns)
    }

    fn readable(&self, node: usize) -> bool {
        let n = &self.nodes[node];
        n.up && n.in_sync
            && !n.resyncing
            && match n.role {
                Role::Replica => true,
                Role::Standby => self.plan.deployment == Deployment::MultiAzCluster,
                Role::Primary => false,
            }
    }

    fn pick_reader(&mut self, client_az: u16, ctx: &mut Ctx<'_>) -> Option<usize> {
        let count = self.nodes.len();
        let candidate = |rds: &Self, node: usize, network: &Network| {
            rds.readable(node) && network.reachable(client_az, rds.nodes[node].az)
        };
        match self.plan.read_routing {
            ReadRouting::Primary => None,
            ReadRouting::RoundRobin => {
                for k in 0..count {
                    let node = (self.cursor + k) % count;
                    if candidate(self, node, ctx.network()) {
                        self.cursor = node + 1;
                        return Some(node);
                    }
                }
                None
            }
            ReadRouting::Random => {
                let total = (0..count).filter(|&node| candidate(self, node, ctx.network())).count();
                if total == 0 {
                    return None;
                }
                let pick = ctx.rng.random_range(0..total);
                (0..count).filter(|&node| candidate(self, node, ctx.network())).nth(pick)
            }
            ReadRouting::LeastLoaded => {
                let mut best: Option<(u64, usize)> = None;
                for k in 0..count {
                    let node = (self.cursor + k) % count;
                    if candidate(self, node, ctx.network()) {
                        let load = self.nodes[node].pool.occupancy();
                        if best.is_none_or(|(least, _)| load < least) {
                            best = Some((load, node));
                        }
                    }
                }
                self.cursor = (self.cursor + 1) % count;
                best.map(|(_, node)| node)
            }
        }
    }

    /// Admits `request` to `node`'s pool.
    fn serve(&mut self, node: usize, request: Request, ctx: &mut Ctx<'_>) {
        match self.nodes[node].pool.arrive(request, ctx) {
            Admission::Rejected => {
                self.m.too_many_connections.incr();
                self.respond(node, request, Status::Rejected, ctx);
            }
            Admission::Lost => {
                self.m.lost.incr();
                self.connection_lost(request, ctx);
            }
            Admission::Started | Admission::Queued => {}
        }
    }

    /// A request forwarded by the proxy is gone: free its connection.
    fn connection_lost(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if request.client == ctx.me() {
            if let Some(proxy) = self.proxy.as_mut() {
                let generation = proxy.generation(request.token);
                proxy.lost(request.token, generation);
            }
            self.dispatch(ctx);
        }
    }

    /// Answers `request` from `node`: through the proxy if it came that way, else directly.
    fn respond(&mut self, node: usize, request: Request, status: Status, ctx: &mut Ctx<'_>) {
        let from_az = self.nodes[node].az;
        if request.client == ctx.me() {
            let Some(proxy) = self.proxy.as_mut() else { return };
            let generation = proxy.generation(request.token);
            proxy.replying(request.token);
            let internal = Internal {
                kind: PROXY_REPLY,
                tag: 0,
                from: node as u32,
                to: PROXY_ENDPOINT,
                data: pack(status_code(status), generation),
                request,
            };
            if !ctx.send_internal(from_az, proxy.az, internal) {
                if proxy.lost(request.token, generation) {
                    self.m.lost.incr();
                }
                self.dispatch(ctx);
            }
        } else {
            ctx.reply_from_az(from_az, request, status);
            if status == Status::Ok {
                self.record_ok(request, request.arrived, ctx.now());
            }
        }
    }

    fn record_ok(&mut self, request: Request, arrived: SimTime, now: SimTime) {
        match request.op {
            Op::Read => {
                self.m.read_latency.record(now - arrived);
                self.m.reads_ok.incr();
            }
            _ => {
                self.m.write_latency.record(now - arrived);
                self.m.writes_ok.incr();
            }
        }
    }

    /// Sends waiting proxy requests to the primary while connections are free.
    fn dispatch(&mut self, ctx: &mut Ctx<'_>) {
        let Some(proxy) = self.proxy.as_mut() else { return };
        let (now, me) = (ctx.now(), ctx.me());
        while let Some(next) = proxy.next(now, me) {
            match next {
                Next::Expired(request) => {
                    ctx.reply_from_az(proxy.az, request, Status::Unavailable);
                }
                Next::Send(request, generation) => {
                    let primary = &self.nodes[self.primary];
                    let internal = Internal {
                        kind: PROXY_FORWARD,
                        tag: 0,
                        from: PROXY_ENDPOINT,
                        to: self.primary as u32,
                        data: pack(primary.tag(), generation),
                        request,
                    };
                    if !ctx.send_internal(proxy.az, primary.az, internal) {
                        proxy.lost(request.token, generation);
                        self.m.lost.incr();
                    }
                }
            }
        }
    }

    // ----- service completions, writes, replication -----------------------------------

    fn on_served(&mut self, node: usize, request: Request, ctx: &mut Ctx<'_>) {
        match (self.nodes[node].role, request.op) {
            (Role::Primary, Op::Read) => self.respond(node, request, Status::Ok, ctx),
            (Role::Primary, _) => self.executed(node, request, ctx),
            (_, Op::Read) => {
                self.record_reader_read(node, request.key, ctx.now());
                self.respond(node, request, Status::Ok, ctx);
            }
            (_, _) => {
                self.m.unavailable.incr();
                self.respond(node, request, Status::Unavailable, ctx);
            }
        }
    }

    fn record_reader_read(&mut self, node: usize, key: u64, now: SimTime) {
        self.m.reader_reads.incr();
        let Some(state) = self.keys.get(&key) else { return };
        let n = &self.nodes[node];
        let behind = match n.role {
            Role::Replica => n.applied < state.seq,
            Role::Standby => n.applied < state.lsn,
            Role::Primary => false,
        };
        if behind {
            self.m.stale_reads.incr();
            self.m.staleness.record(now - state.at);
        }
    }

    /// A write finished executing on primary `node`: log it and replicate it.
    fn executed(&mut self, node: usize, request: Request, ctx: &mut Ctx<'_>) {
        let lsn = self.next_lsn;
        self.next_lsn += 1;
        if self.pending.is_empty() {
            self.pending_base = lsn;
        }
        self.pending.push_back(Pending { request, executed: ctx.now(), committed: false });
        let from_az = self.nodes[node].az;
        let mut waiting = false;
        for standby in 0..self.nodes.len() {
            let s = &self.nodes[standby];
            if s.role != Role::Standby || !s.in_sync {
                continue;
            }
            waiting = true;
            let internal = Internal {
                kind: REPLICATE,
                from: node as u32,
                to: standby as u32,
                data: pack(s.tag(), lsn),
                tag: 0,
                request,
            };
            if !ctx.send_internal(from_az, s.az, internal) {
                self.nodes[standby].missed = true;
                self.schedule_standby_check(standby, ctx);
            }
        }
        if !waiting {
            self.commit_lsn(lsn, ctx);
        }
        self.pop_committed();
    }

    fn pop_committed(&mut self) {
        while self.pending.front().is_some_and(|entry| entry.committed) {
            self.pending.pop_front();
            self.pending_base += 1;
        }
    }

    /// Commits the pending write with LSN `lsn` (if it still waits).
    fn commit_lsn(&mut self, lsn: u64, ctx: &mut Ctx<'_>) {
        let Some(index) = lsn.checked_sub(self.pending_base) else { return };
        let Some(entry) = self.pending.get_mut(index as usize) else { return };
        if entry.committed {
            return;
        }
        entry.committed = true;
        let (request, executed) = (entry.request, entry.executed);
        let now = ctx.now();
        self.m.commit_latency.record(now - executed);
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.plan.replicas > 0 {
            self.binlog.push_back(now);
        }
        if self.track_keys {
            self.keys.insert(request.key, KeyState { lsn, seq, at: now });
        }
        self.respond(self.primary, request, Status::Ok, ctx);
        if self.plan.replicas > 0 {
            self.ship(seq, ctx);
            if seq & 1023 == 0 {
                self.trim_binlog();
            }
        }
    }

    /// Sends binlog position `seq` to every replica that is up to date with the stream.
    fn ship(&mut self, seq: u64, ctx: &mut Ctx<'_>) {
        let from_az = self.nodes[self.primary].az;
        for replica in 0..self.nodes.len() {
            let r = &self.nodes[replica];
            if r.role != Role::Replica || !r.in_sync || r.resyncing || r.shipped != seq {
                continue;
            }
            let internal = Internal {
                kind: SHIP,
                tag: 0,
                from: self.primary as u32,
                to: replica as u32,
                data: pack(r.tag(), seq),
                request: PLACEHOLDER,
            };
            if ctx.send_internal(from_az, r.az, internal) {
                self.nodes[replica].shipped += 1;
            }
        }
    }

    /// Sends a replica everything it has not been sent (after a partition, a crash, a
    /// failover).
    fn catch_up(&mut self, replica: usize, ctx: &mut Ctx<'_>) {
        if !self.nodes[self.primary].up {
            return;
        }
        let from_az = self.nodes[self.primary].az;
        let r = &mut self.nodes[replica];
        if r.role != Role::Replica || !r.in_sync || r.resyncing || !r.up {
            return;
        }
        while r.shipped < self.next_seq {
            let internal = Internal {
                kind: SHIP,
                tag: 0,
                from: self.primary as u32,
                to: replica as u32,
                data: pack(r.tag(), r.shipped),
                request: PLACEHOLDER,
            };
            if !ctx.send_internal(from_az, r.az, internal) {
                break;
            }
            r.shipped += 1;
        }
    }

    /// Starts applying the next position of `node`'s stream, if it holds it and is idle.
    fn start_apply(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let n = &mut self.nodes[node];
        if n.applying || !n.up || n.applied >= n.log.prefix() {
            return;
        }
        n.applying = true;
        let mut delay = self.plan.apply.sample_duration(ctx.rng);
        if n.slow != 1.0 {
            delay = delay.mul_f64(n.slow);
        }
        ctx.timer(delay, Timer { kind: APPLY_DONE, slot: node as u32, data: pack(n.tag(), n.applied + 1), tag: 0 });
    }

    fn on_apply_done(&mut self, node: usize, data: u64, ctx: &mut Ctx<'_>) {
        let (tag, seq) = unpack(data);
        let n = &mut self.nodes[node];
        if tag != n.tag() || seq != n.applied + 1 {
            return;
        }
        n.applied = seq;
        n.applying = false;
        if n.role == Role::Replica
            && seq >= self.binlog_base
            && let Some(&committed) = self.binlog.get((seq - self.binlog_base) as usize)
        {
            let lag = ctx.now() - committed;
            self.m.replica_lag.record(lag);
            self.m.lag_interval.record(lag.as_millis_f64());
        }
        self.start_apply(node, ctx);
        if matches!(self.phase, Phase::Promoting { target, .. } if target == node) {
            self.try_complete_promotion(ctx);
        }
    }

    /// Drops binlog positions every replica has applied; rebuilds a replica that lags by more
    /// than [`MAX_BINLOG`].
    fn trim_binlog(&mut self) {
        if self.binlog.len() > MAX_BINLOG {
            let keep_from = self.next_seq.saturating_sub((MAX_BINLOG / 2) as u64);
            for n in self.nodes.iter_mut().filter(|n| n.role == Role::Replica && n.in_sync && n.applied + 1 < keep_from)
            {
                n.incarnation += 1;
                n.log.reset(self.next_seq - 1);
                n.applied = self.next_seq - 1;
                n.shipped = self.next_seq;
                n.applying = false;
                self.m.replica_rebuilds.incr();
            }
        }
        let needed = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Replica && n.in_sync)
            .map(|n| n.applied + 1)
            .min()
            .unwrap_or(self.next_seq);
        while self.binlog_base < needed && self.binlog.pop_front().is_some() {
            self.binlog_base += 1;
        }
    }

    fn on_replicate(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let standby = internal.to as usize;
        let (tag, lsn) = unpack(internal.data);
        let Some(s) = self.nodes.get(standby) else { return };
        if s.role != Role::Standby || !s.up || !s.in_sync || tag != s.tag() {
            return;
        }
        let mut delay = self.plan.standby_apply.sample_duration(ctx.rng);
        if s.slow != 1.0 {
            delay = delay.mul_f64(s.slow);
        }
        ctx.timer(delay, Timer { kind: STANDBY_PERSISTED, slot: standby as u32, data: pack(tag, lsn), tag: 0 });
    }

    fn on_persisted(&mut self, standby: usize, data: u64, ctx: &mut Ctx<'_>) {
        let (tag, lsn) = unpack(data);
        let s = &mut self.nodes[standby];
        if s.role != Role::Standby || tag != s.tag() {
            return;
        }
        s.log.mark(lsn);
        let from_az = s.az;
        let primary = &self.nodes[self.primary];
        let ack = Internal {
            kind: ACK,
            tag: 0,
            from: standby as u32,
            to: self.primary as u32,
            data: pack(primary.tag(), lsn),
            request: PLACEHOLDER,
        };
        let to_az = primary.az;
        if primary.up && !ctx.send_internal(from_az, to_az, ack) {
            self.nodes[standby].missed = true;
            self.schedule_standby_check(standby, ctx);
        }
        if self.plan.deployment == Deployment::MultiAzCluster {
            self.start_apply(standby, ctx);
        }
    }

    fn on_ack(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let node = internal.to as usize;
        let (tag, lsn) = unpack(internal.data);
        if node != self.primary || !self.nodes[node].up || tag != self.nodes[node].tag() {
            return;
        }
        self.commit_lsn(lsn, ctx);
        self.pop_committed();
    }

    fn on_ship(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let replica = internal.to as usize;
        let (tag, seq) = unpack(internal.data);
        let Some(r) = self.nodes.get_mut(replica) else { return };
        if r.role != Role::Replica || !r.up || tag != r.tag() {
            return;
        }
        r.log.mark(seq);
        self.start_apply(replica, ctx);
    }

    fn on_proxy_forward(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let node = internal.to as usize;
        let (tag, generation) = unpack(internal.data);
        let request = internal.request;
        if tag != self.nodes[node].tag() {
            return; // The connection broke when that instance failed; already released.
        }
        let serves = node == self.primary && self.primary_serves();
        let Some(proxy) = self.proxy.as_mut() else { return };
        if !serves {
            if proxy.lost(request.token, generation) {
                self.m.lost.incr();
            }
            self.dispatch(ctx);
            return;
        }
        if proxy.in_db(request.token, generation) {
            self.serve(node, request, ctx);
        }
    }

    fn on_proxy_reply(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let (code, generation) = unpack(internal.data);
        let Some(proxy) = self.proxy.as_mut() else { return };
        if let Some(restored) = proxy.finish(internal.request, generation) {
            let status = status_from(code);
            ctx.reply_from_az(proxy.az, restored.request, status);
            if status == Status::Ok {
                self.record_ok(restored.request, restored.arrived, ctx.now());
            }
        }
        self.dispatch(ctx);
    }

    // ----- standbys ---------------------------------------------------------------------

    fn schedule_standby_check(&mut self, standby: usize, ctx: &mut Ctx<'_>) {
        let s = &mut self.nodes[standby];
        if s.check_pending {
            return;
        }
        s.check_pending = true;
        let tag = s.tag();
        let delay = self.plan.detection.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer { kind: STANDBY_CHECK, slot: standby as u32, data: tag, tag: 0 });
    }

    fn on_standby_check(&mut self, standby: usize, tag: u64, ctx: &mut Ctx<'_>) {
        self.nodes[standby].check_pending = false;
        if !self.primary_serves() {
            return; // Re-armed when a primary serves again (recheck_standbys).
        }
        let primary = &self.nodes[self.primary];
        let s = &self.nodes[standby];
        if s.role != Role::Standby || !s.in_sync {
            return;
        }
        let broken = s.missed || !s.up || tag != s.tag() || !ctx.network().reachable(primary.az, s.az);
        if broken {
            self.nodes[standby].in_sync = false;
            self.m.standby_detached.incr();
            self.resolve_pending(ctx);
            self.rejoin_all(ctx);
        }
    }

    /// With no in-sync standby left, every waiting write commits on the primary alone.
    fn resolve_pending(&mut self, ctx: &mut Ctx<'_>) {
        let any_in_sync = self.nodes.iter().any(|n| n.role == Role::Standby && n.in_sync);
        if any_in_sync || !self.nodes[self.primary].up {
            return;
        }
        let (first, end) = (self.pending_base, self.pending_base + self.pending.len() as u64);
        for lsn in first..end {
            self.commit_lsn(lsn, ctx);
        }
        self.pop_committed();
    }

    fn start_resync(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let n = &mut self.nodes[node];
        n.resyncing = true;
        n.incarnation += 1;
        n.applying = false;
        let tag = n.tag();
        let delay = self.plan.resync.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer { kind: RESYNCED, slot: node as u32, data: tag, tag: 0 });
    }

    fn on_resynced(&mut self, node: usize, tag: u64, ctx: &mut Ctx<'_>) {
        let (next_lsn, next_seq) = (self.next_lsn, self.next_seq);
        let primary_up = self.nodes[self.primary].up;
        let primary_az = self.nodes[self.primary].az;
        let reachable = ctx.network().reachable(primary_az, self.nodes[node].az);
        let n = &mut self.nodes[node];
        if tag != n.tag() || !n.resyncing {
            return;
        }
        n.resyncing = false;
        if !n.up || !primary_up || !reachable || n.role == Role::Primary {
            return; // Tried again when the primary is back (rejoin_all).
        }
        n.in_sync = true;
        n.missed = false;
        n.applying = false;
        match n.role {
            Role::Standby => {
                n.log.reset(next_lsn - 1);
                n.applied = next_lsn - 1;
            }
            Role::Replica => {
                n.log.reset(next_seq - 1);
                n.applied = next_seq - 1;
                n.shipped = next_seq;
            }
            Role::Primary => {}
        }
        self.update_writable(ctx);
    }

    /// Brings every recovered standby and replica back into replication.
    fn rejoin_all(&mut self, ctx: &mut Ctx<'_>) {
        if !self.nodes[self.primary].up || !matches!(self.phase, Phase::Normal | Phase::AwaitingDns) {
            return;
        }
        let primary_az = self.nodes[self.primary].az;
        for node in 0..self.nodes.len() {
            let n = &self.nodes[node];
            if node == self.primary || !n.up || n.resyncing {
                continue;
            }
            let reachable = ctx.network().reachable(primary_az, n.az);
            match n.role {
                Role::Standby if !n.in_sync && !n.check_pending && reachable => self.start_resync(node, ctx),
                Role::Replica if !n.in_sync && reachable => self.start_resync(node, ctx),
                Role::Replica => self.catch_up(node, ctx),
                _ => {}
            }
        }
    }

    // ----- failover ---------------------------------------------------------------------

    fn primary_failed(&mut self, lost_in_pool: u64, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let uncommitted = self.pending.iter().filter(|entry| !entry.committed).count() as u64;
        let on_the_way = self.proxy.as_mut().map(Proxy::primary_failed).unwrap_or(0);
        self.m.lost_in_flight.add(lost_in_pool + uncommitted + on_the_way);
        self.crash_base = if self.pending.is_empty() { self.next_lsn } else { self.pending_base };
        self.crash_committed.clear();
        for (index, entry) in self.pending.iter().enumerate() {
            let lsn = self.pending_base + index as u64;
            if entry.committed {
                self.crash_committed.push(lsn);
            } else {
                self.lost_lsns.push(lsn);
            }
        }
        self.pending.clear();
        self.pending_base = self.next_lsn;
        self.epoch += 1;
        self.phase = Phase::Detecting;
        if self.outage_start.is_none() {
            self.outage_start = Some(now);
        }
        let delay = self.plan.detection.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer { kind: DETECTED, slot: 0, data: self.epoch, tag: 0 });
    }

    /// Failure detected (or the chosen target failed): pick what to promote.
    fn choose_recovery(&mut self, ctx: &mut Ctx<'_>) {
        self.epoch += 1;
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.holding = true;
        }
        let best = |role: Role, rds: &Self| {
            (0..rds.nodes.len())
                .filter(|&node| {
                    let n = &rds.nodes[node];
                    node != rds.primary
                        && n.role == role
                        && n.up
                        && n.in_sync
                        && !n.resyncing
                        && !(role == Role::Standby && n.missed)
                })
                .max_by_key(|&node| (rds.nodes[node].log.prefix(), rds.nodes[node].log.max(), std::cmp::Reverse(node)))
        };
        let (target, from_replica, delay) = if let Some(standby) = best(Role::Standby, self) {
            (Some(standby), false, self.plan.promotion.sample_duration(&mut self.control_rng))
        } else if let Some(replica) = best(Role::Replica, self) {
            (Some(replica), true, self.plan.replica_promotion.sample_duration(&mut self.control_rng))
        } else {
            (None, false, self.plan.replacement.sample_duration(&mut self.control_rng))
        };
        match target {
            Some(target) => {
                self.phase = Phase::Promoting { target, from_replica, timer_done: false };
                ctx.timer(delay, Timer { kind: PROMOTED, slot: target as u32, data: self.epoch, tag: 0 });
            }
            None => {
                self.phase = Phase::Replacing;
                ctx.timer(delay, Timer { kind: REPLACED, slot: 0, data: self.epoch, tag: 0 });
            }
        }
    }

    fn try_complete_promotion(&mut self, ctx: &mut Ctx<'_>) {
        let Phase::Promoting { target, from_replica, timer_done: true } = self.phase else { return };
        let t = &self.nodes[target];
        let replays = from_replica || self.plan.deployment == Deployment::MultiAzCluster;
        if replays && t.applied < t.log.prefix() {
            return; // Applies its backlog first; called again at each apply.
        }
        self.complete_promotion(target, from_replica, ctx);
    }

    /// Acknowledged commits missing from standby `target`'s log.
    fn commits_missing_on(&self, target: usize) -> u64 {
        let log = &self.nodes[target].log;
        let mut missing = 0;
        if self.crash_base > self.timeline_start {
            let (lo, hi) = (self.timeline_start, self.crash_base - 1);
            missing += (hi - lo + 1) - log.count_in(lo, hi);
            // Never committed: lost in flight with an earlier failure.
            missing -=
                self.lost_lsns.iter().filter(|&&lsn| lsn >= lo && lsn <= hi && !log.contains(lsn)).count() as u64;
        }
        missing + self.crash_committed.iter().filter(|&&lsn| !log.contains(lsn)).count() as u64
    }

    fn complete_promotion(&mut self, target: usize, from_replica: bool, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let old = self.primary;
        let lost = if from_replica {
            (self.next_seq - 1).saturating_sub(self.nodes[target].log.prefix())
        } else {
            self.commits_missing_on(target)
        };
        self.m.lost_commits.add(lost);
        self.m.failovers.incr();
        if from_replica {
            self.m.replica_promotions.incr();
            self.truncate_stream(self.nodes[target].log.prefix());
        }
        // Roles.
        let (target_slot, old_slot) = (self.slot_of[target], self.slot_of[old]);
        self.role_node.swap(target_slot, old_slot);
        self.slot_of[target] = old_slot;
        self.slot_of[old] = target_slot;
        {
            let o = &mut self.nodes[old];
            o.role = if from_replica { Role::Replica } else { Role::Standby };
            o.in_sync = false;
            o.resyncing = false;
            o.missed = false;
            o.check_pending = false;
            o.applying = false;
            o.incarnation += 1;
        }
        {
            let t = &mut self.nodes[target];
            t.role = Role::Primary;
            t.in_sync = false;
            t.applying = false;
        }
        self.primary = target;
        // A new timeline of LSNs; the other standbys follow it (from_replica: they were
        // following a different history and must resync).
        self.timeline_start = self.next_lsn;
        self.pending.clear();
        self.pending_base = self.next_lsn;
        self.crash_committed.clear();
        self.lost_lsns.clear();
        self.crash_base = self.next_lsn;
        for node in 0..self.nodes.len() {
            let n = &mut self.nodes[node];
            if n.role != Role::Standby || node == old || !n.in_sync {
                continue;
            }
            if from_replica || !n.up || n.missed {
                // A different history, or a standby that is itself broken: it resyncs.
                n.in_sync = false;
                n.check_pending = false;
            } else {
                n.log.reset(self.next_lsn - 1);
                n.incarnation += 1;
                n.applying = false;
                n.applied = n.applied.min(self.next_lsn - 1);
                n.check_pending = false;
                self.start_apply(node, ctx);
            }
        }
        self.phase = Phase::AwaitingDns;
        self.epoch += 1;
        let delay = self.plan.dns_switch.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer { kind: DNS_SWITCHED, slot: 0, data: self.epoch, tag: 0 });
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.holding = false;
            self.writes_restored(now);
        }
        self.recheck_standbys(ctx);
        self.rejoin_all(ctx);
        self.dispatch(ctx);
        self.update_writable(ctx);
    }

    /// After a replica promotion: binlog positions past `have` never happened.
    fn truncate_stream(&mut self, have: u64) {
        if have + 1 >= self.binlog_base {
            self.binlog.truncate((have + 1 - self.binlog_base) as usize);
        }
        self.next_seq = have + 1;
        self.keys.retain(|_, state| state.seq <= have);
        for n in self.nodes.iter_mut().filter(|n| n.role == Role::Replica) {
            if n.applied > have {
                self.m.replica_rebuilds.incr();
            }
            let prefix = n.log.prefix().min(have);
            n.log.reset(prefix);
            n.applied = n.applied.min(prefix);
            n.shipped = prefix + 1;
            n.incarnation += 1;
            n.applying = false;
        }
    }

    fn on_dns_switched(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.dns_history.push_back((now, self.address_owner));
        if self.dns_history.len() > DNS_HISTORY {
            self.dns_history.pop_front();
        }
        self.address_owner = self.primary;
        self.phase = Phase::Normal;
        if self.proxy.is_none() {
            // New connections go to the new primary's AZ.
            self.move_endpoint(self.nodes[self.primary].az, ctx);
            self.writes_restored(now);
        }
        self.update_writable(ctx);
    }

    fn on_replaced(&mut self, ctx: &mut Ctx<'_>) {
        self.m.replacements.incr();
        let primary = self.primary;
        self.phase = Phase::Normal;
        // A new host: the crash no longer holds it down (its AZ still may).
        self.nodes[primary].crash_faults = 0;
        self.refresh(primary, ctx);
    }

    /// The primary is back in place (restart before detection, replacement, its AZ back).
    fn primary_restored(&mut self, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Normal {
            self.m.restarts.incr();
        }
        self.epoch += 1;
        self.phase = Phase::Normal;
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.holding = false;
        }
        self.writes_restored(ctx.now());
        self.recheck_standbys(ctx);
        self.rejoin_all(ctx);
        self.resolve_pending(ctx);
        self.dispatch(ctx);
    }

    fn writes_restored(&mut self, now: SimTime) {
        if let Some(start) = self.outage_start.take()
            && now >= self.m.measure_start
        {
            let downtime = (now - start).as_secs_f64();
            self.m.downtime_sum += downtime;
            self.m.downtime_max = self.m.downtime_max.max(downtime);
            self.m.downtimes += 1;
        }
    }

    fn writable_now(&self, network: &Network) -> bool {
        if !self.primary_serves() || (self.phase == Phase::AwaitingDns && self.proxy.is_none()) {
            return false;
        }
        let primary_az = self.nodes[self.primary].az;
        let mut in_sync = 0;
        let mut usable = 0;
        for n in self.nodes.iter().filter(|n| n.role == Role::Standby && n.in_sync) {
            in_sync += 1;
            if n.up && !n.missed && network.reachable(primary_az, n.az) {
                usable += 1;
            }
        }
        in_sync == 0 || usable > 0
    }

    fn update_writable(&mut self, ctx: &mut Ctx<'_>) {
        let writable = self.writable_now(ctx.network());
        if writable != self.writable {
            self.writable = writable;
            self.m.writable.set(ctx.now(), if writable { 1.0 } else { 0.0 });
        }
    }

    // ----- faults -----------------------------------------------------------------------

    /// Recomputes whether `node` runs (no crash fault, AZ up) and reacts to a change.
    fn refresh(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let n = &self.nodes[node];
        let up = n.crash_faults == 0 && self.az_down.get(n.az as usize).is_none_or(|&down| down == 0);
        if up == n.up {
            return;
        }
        self.nodes[node].up = up;
        if up {
            self.nodes[node].pool.recover();
            self.node_up(node, ctx);
        } else {
            self.node_down(node, ctx);
        }
    }

    fn node_down(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let lost = self.nodes[node].pool.crash(ctx);
        let n = &mut self.nodes[node];
        n.incarnation += 1;
        n.applying = false;
        n.resyncing = false;
        match n.role {
            Role::Primary => {
                self.primary_failed(lost, ctx);
                return;
            }
            Role::Standby => {
                n.missed = true;
                if n.in_sync {
                    self.schedule_standby_check(node, ctx);
                }
            }
            Role::Replica => {
                // The relay log is refetched from the applied position.
                let applied = n.applied;
                n.log.reset(applied);
                n.shipped = applied + 1;
            }
        }
        self.m.lost.add(lost);
        if matches!(self.phase, Phase::Promoting { target, .. } if target == node) {
            self.phase = Phase::Detecting;
            self.choose_recovery(ctx);
        }
    }

    fn node_up(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        // A standby's promotion, once started, completes (the old primary is fenced and
        // rejoins as a standby). A replica's promotion is a last resort: if the primary comes
        // back first, the replica stays a replica.
        let back_in_place = match self.phase {
            Phase::Detecting | Phase::Replacing | Phase::Normal => true,
            Phase::Promoting { from_replica, .. } => from_replica,
            Phase::AwaitingDns => false,
        };
        if node == self.primary && back_in_place {
            self.primary_restored(ctx);
        }
    }

    fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        match signal.action {
            FaultAction::Crash { instance } => {
                let index = instance as usize;
                if index >= self.role_node.len() {
                    return;
                }
                let node = if signal.active {
                    let node = self.role_node[index];
                    self.fault_node[index] = node;
                    self.nodes[node].crash_faults += 1;
                    node
                } else {
                    let node = self.fault_node[index];
                    self.nodes[node].crash_faults = self.nodes[node].crash_faults.saturating_sub(1);
                    node
                };
                self.refresh(node, ctx);
            }
            FaultAction::Slow { instance, factor } => {
                let index = instance as usize;
                if index >= self.role_node.len() {
                    return;
                }
                let node = if signal.active {
                    self.slow_node[index] = self.role_node[index];
                    self.role_node[index]
                } else {
                    self.slow_node[index]
                };
                let slow = nested_slow_factor(self.nodes[node].slow, factor, signal.active);
                self.nodes[node].slow = slow;
                self.nodes[node].pool.set_slow_factor(slow);
            }
            FaultAction::AzOutage { az } => {
                if let Some(count) = self.az_down.get_mut(az as usize) {
                    *count = if signal.active { count.saturating_add(1) } else { count.saturating_sub(1) };
                }
                if signal.active {
                    self.relocate_endpoint(az, ctx);
                }
                for node in 0..self.nodes.len() {
                    if self.nodes[node].az == az {
                        self.refresh(node, ctx);
                    }
                }
            }
            FaultAction::Partition { .. } => {}
        }
        self.recheck_standbys(ctx);
        if !signal.active {
            self.rejoin_all(ctx);
        }
        self.update_writable(ctx);
    }

    /// Moves the network endpoint to `az` (and the proxy with it, if there is one).
    fn move_endpoint(&mut self, az: u16, ctx: &mut Ctx<'_>) {
        self.endpoint_az = az;
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.az = az;
        }
        ctx.move_endpoint(az);
    }

    /// The endpoint's AZ is lost. Clients still reach the instances in other AZs (replicas
    /// through their own endpoints; RDS Proxy is always up, running in several AZs), so the
    /// endpoint moves to the primary's AZ, or another AZ holding an instance, that is up
    /// (assumption: instantly). Requests still only reach an instance the client can reach:
    /// `on_request` checks the client's path to the instance itself.
    fn relocate_endpoint(&mut self, lost_az: u16, ctx: &mut Ctx<'_>) {
        if self.endpoint_az != lost_az {
            return;
        }
        let up = |az: u16| self.az_down.get(az as usize).is_none_or(|&down| down == 0);
        let primary_az = self.nodes[self.primary].az;
        let new_az = if up(primary_az) { Some(primary_az) } else { self.nodes.iter().map(|n| n.az).find(|&az| up(az)) };
        if let Some(az) = new_az {
            self.move_endpoint(az, ctx);
        }
    }

    /// Arms the detection of every in-sync standby the primary cannot use (down, missed a
    /// message, unreachable). Checks skipped while the primary itself was down are re-armed
    /// here when it serves again.
    fn recheck_standbys(&mut self, ctx: &mut Ctx<'_>) {
        if !self.primary_serves() {
            return;
        }
        let primary_az = self.nodes[self.primary].az;
        for node in 0..self.nodes.len() {
            let n = &self.nodes[node];
            let broken = !n.up || n.missed || !ctx.network().reachable(primary_az, n.az);
            if n.role == Role::Standby && n.in_sync && broken {
                self.schedule_standby_check(node, ctx);
            }
        }
    }

    fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let node = timer.slot as usize;
        match timer.kind {
            POOL => {
                let node = timer.data as usize;
                if node < self.nodes.len()
                    && self.nodes[node].pool.owns(&timer)
                    && let Some(request) = self.nodes[node].pool.depart(timer, ctx)
                {
                    self.on_served(node, request, ctx);
                }
            }
            STANDBY_PERSISTED => self.on_persisted(node, timer.data, ctx),
            APPLY_DONE => self.on_apply_done(node, timer.data, ctx),
            STANDBY_CHECK => {
                self.on_standby_check(node, timer.data, ctx);
                self.update_writable(ctx);
            }
            RESYNCED => self.on_resynced(node, timer.data, ctx),
            _ if timer.data != self.epoch => {} // A failover step of an episode that is over.
            DETECTED if self.phase == Phase::Detecting => {
                self.choose_recovery(ctx);
                self.update_writable(ctx);
            }
            PROMOTED => {
                if let Phase::Promoting { target, from_replica, .. } = self.phase {
                    self.phase = Phase::Promoting { target, from_replica, timer_done: true };
                    self.try_complete_promotion(ctx);
                }
            }
            DNS_SWITCHED if self.phase == Phase::AwaitingDns => self.on_dns_switched(ctx),
            REPLACED if self.phase == Phase::Replacing => {
                self.on_replaced(ctx);
                self.update_writable(ctx);
            }
            _ => {}
        }
    }

    fn on_internal(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        if internal.to != PROXY_ENDPOINT && internal.to as usize >= self.nodes.len() {
            return;
        }
        match internal.kind {
            REPLICATE => self.on_replicate(internal, ctx),
            ACK => self.on_ack(internal, ctx),
            SHIP => self.on_ship(internal, ctx),
            PROXY_FORWARD => self.on_proxy_forward(internal, ctx),
            PROXY_REPLY => self.on_proxy_reply(internal, ctx),
            _ => {}
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
        self.m.begin(now);
        for node in &mut self.nodes {
            node.pool.begin_measurement(now);
        }
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.queue_length.reset(now);
            proxy.timeouts.reset();
            proxy.abandoned.reset();
        }
    }

    fn series_names(&self, names: &mut SeriesNames) {
        let name = &self.name;
        for quantity in ["writable", "write_throughput", "read_throughput"] {
            names.names.push(format!("{name}.{quantity}"));
        }
        if self.plan.replicas > 0 {
            names.names.push(format!("{name}.replica_lag_ms"));
        }
        if self.has_readers() {
            names.names.push(format!("{name}.stale_read_fraction"));
        }
        if self.proxy.is_some() {
            names.names.push(format!("{name}.proxy_queue"));
        }
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push(self.m.writable.interval_mean(now));
        out.push(self.m.writes_ok.take_interval() as f64 / secs);
        out.push(self.m.reads_ok.take_interval() as f64 / secs);
        if self.plan.replicas > 0 {
            out.push(self.m.lag_interval.take());
        }
        if self.has_readers() {
            let reads = self.m.reader_reads.take_interval();
            let stale = self.m.stale_reads.take_interval();
            out.push(if reads == 0 { f64::NAN } else { stale as f64 / reads as f64 });
        }
        if let Some(proxy) = self.proxy.as_mut() {
            out.push(proxy.queue_length.interval_mean(now));
        }
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        let name = self.name.clone();
        let m = &mut self.m;
        let measured = (now - m.measure_start).as_secs_f64();
        let rate = |count: u64| if measured > 0.0 { count as f64 / measured } else { 0.0 };
        out.latency(format!("{name}.read_latency"), &mut m.read_latency);
        out.latency(format!("{name}.write_latency"), &mut m.write_latency);
        out.latency(format!("{name}.commit_latency"), &mut m.commit_latency);
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, rate(m.reads_ok.total() + m.writes_ok.total()));
        out.scalar(format!("{name}.write_throughput"), Unit::PerSecond, rate(m.writes_ok.total()));
        out.scalar(
            format!("{name}.errors.too_many_connections"),
            Unit::Requests,
            m.too_many_connections.total() as f64,
        );
        out.scalar(format!("{name}.errors.unavailable"), Unit::Requests, m.unavailable.total() as f64);
        if let Some(proxy) = self.proxy.as_mut() {
            out.scalar(format!("{name}.errors.proxy_timeout"), Unit::Requests, proxy.timeouts.total() as f64);
            out.scalar(format!("{name}.proxy_queue"), Unit::Requests, proxy.queue_length.mean(now));
            out.scalar(format!("{name}.proxy_abandoned"), Unit::Requests, proxy.abandoned.total() as f64);
        }
        out.scalar(format!("{name}.lost"), Unit::Requests, m.lost.total() as f64);
        out.scalar(format!("{name}.stale_dns_requests"), Unit::Requests, m.stale_dns.total() as f64);
        out.scalar(format!("{name}.availability"), Unit::Fraction, m.writable.mean(now));
        out.scalar(format!("{name}.failovers"), Unit::Events, m.failovers.total() as f64);
        let mean_downtime = if m.downtimes > 0 { m.downtime_sum / m.downtimes as f64 } else { f64::NAN };
        out.scalar(format!("{name}.failover_downtime"), Unit::Seconds, mean_downtime);
        out.scalar(
            format!("{name}.failover_downtime_max"),
            Unit::Seconds,
            if m.downtimes > 0 { m.downtime_max } else { f64::NAN },
        );
        out.scalar(format!("{name}.lost_in_flight"), Unit::Requests, m.lost_in_flight.total() as f64);
        out.scalar(format!("{name}.lost_commits"), Unit::Requests, m.lost_commits.total() as f64);
        out.scalar(format!("{name}.standby_detached"), Unit::Events, m.standby_detached.total() as f64);
        out.scalar(format!("{name}.replica_promotions"), Unit::Events, m.replica_promotions.total() as f64);
        out.scalar(format!("{name}.replacements"), Unit::Events, m.replacements.total() as f64);
        out.scalar(format!("{name}.restarts"), Unit::Events, m.restarts.total() as f64);
        if self.plan.replicas > 0 {
            out.latency(format!("{name}.replica_lag"), &mut m.replica_lag);
            out.scalar(format!("{name}.replica_rebuilds"), Unit::Events, m.replica_rebuilds.total() as f64);
        }
        if self.plan.replicas > 0 || self.plan.deployment == Deployment::MultiAzCluster {
            let reads = m.reader_reads.total();
            out.scalar(format!("{name}.reader_reads"), Unit::Requests, reads as f64);
            let fraction = if reads > 0 { m.stale_reads.total() as f64 / reads as f64 } else { f64::NAN };
            out.scalar(format!("{name}.stale_reads"), Unit::Fraction, fraction);
            out.latency(format!("{name}.staleness"), &mut m.staleness);
        }
        self.nodes[self.primary].pool.finish(&format!("{name}.primary"), now, out);
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

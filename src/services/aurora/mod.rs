//! Amazon Aurora: a writer and up to 15 replicas over one shared, quorum-replicated storage
//! volume (`kind = "aurora"`). Defaults and their sources are in `config`; `stratus describe
//! aurora` prints them.
//!
//! # Instances
//! The writer and each replica is a [`ServerPool`]: `workers` slots, a FIFO queue, read and
//! write CPU-time distributions. A write holds a worker for its CPU time only; its commit is
//! asynchronous (V17 §4.2: worker threads do not wait for commits), so writes stalled on a
//! quorum do not block reads.
//!
//! # Storage
//! The volume is `protection_groups` groups of 10 GB (V17 §2); a request's group is `key mod
//! groups`. Each group has 6 segments, 2 in each of 3 storage AZs. A write's redo record (only
//! redo crosses the network, V17 §3) goes from the writer to all 6 segments as messages
//! between AZs; each segment persists it after its own draw of `segment_latency` (times the
//! factor of a `slow` fault) and acks. The write commits — the client gets its reply — when
//! the 4th ack arrives (V17 §2.1), so commit latency *emerges* as the 4th order statistic of
//! six round trips. A segment that is down (crashed, or its AZ lost or cut off) never acks;
//! when it comes back, it catches up from its peers and the writer resends the records it has
//! not acked, so a write stalled for lack of quorum (AZ + 1 segment) waits at the writer and
//! commits once a 4th segment returns — unless its client gave up first.
//!
//! Simplification: real Aurora acknowledges a commit once the *volume*-wide durable LSN passes
//! it, which couples the groups (a group without quorum would hold back commits everywhere).
//! Here each write waits for the quorum of its own group only.
//!
//! Reads are not quorum reads (V17 §4.2.3, V18 §3.1): a buffer-cache hit is answered at once;
//! a miss reads one segment that holds the group's latest commit — same AZ first — and if no
//! answer comes within `read_hedge`, also asks the next one (the slow segment is avoided for
//! [`SUSPECT_TIME`]); unreachable segments are skipped at once. The read quorum (3 of 6) is used
//! by crash recovery: a new or restarted writer opens only after every group has 3 reachable
//! segments, plus `crash_recovery`.
//!
//! # Segment failure, repair and data loss
//! A crash fault on `segment-<g>-<i>` destroys that copy. With `repair` (default) it is rebuilt
//! from its peers after segment size / `repair_gbps` (10 s for 10 GB, V17 §2.2); otherwise it
//! returns, rebuilt, when the fault ends. An AZ outage makes its segments unavailable without
//! destroying them; they catch up when the AZ returns. A group without 4 available segments
//! has lost its write quorum (`quorum_loss_events`, `write_unavailability`). A data-loss event
//! is counted when a destruction leaves fewer than 3 surviving copies (the read quorum) of the
//! group's latest acknowledged write: each segment records the highest LSN it holds (holes are
//! filled by gossip), so that write lives on the segments whose LSN is at least its own.
//!
//! # Writer failure
//! ```text
//!            writer instance fails (crash fault on `writer`, or its AZ lost)
//!   Up ───────────────────────────────────────────────────────────────▶ Down
//!   ▲      queued, in-service and uncommitted writes are lost (clients time out)
//!   │                                                                   │
//!   │   a replica is up: after `failover_time` promote the best one     │
//!   │   (lowest tier, then lowest number) and switch the endpoint's DNS │
//!   │   no replica: after `recreate_time` a new writer (new address,    │
//!   │   cold cache), unless the old one restarts first (same address)   │
//!   │                                                                   ▼
//!   └──────── `crash_recovery` once every group has a read quorum ── Recovering
//! ```
//! Requests carry the time their client last resolved DNS. A request to the cluster endpoint
//! goes to the instance the endpoint named at that time: after a switch, clients whose cache
//! is older keep reaching the old writer's address for up to their TTL (5 s for Aurora
//! endpoints, AUG). If that instance is down (or was replaced), the request is lost and the
//! client times out (`errors.instance_down`); if it is back as a replica, writes get an
//! immediate `Unavailable` (read-only, `errors.read_only`) and reads are served there.
//!
//! # Replicas
//! At commit the writer ships the redo record to every up replica (a message across AZs); the
//! replica applies it after `replica_apply`. `replica_lag` is commit to apply. Reads go where
//! `read_routing` says; the reader endpoint's DNS is not modelled (it skips down replicas).
//!
//! # Placement
//! Clients address the component, which the network places in the component's `az` (the first
//! writer's AZ): the client-to-cluster leg uses that AZ's delay, and while that AZ is down
//! no request reaches the cluster at all, even after a failover moved the writer elsewhere.
//! Replies leave from the AZ of the instance that served the request.

mod config;
mod storage;

use std::collections::VecDeque;

use rand::RngExt;

pub use config::{
    AURORA_DOC, AuroraConfig, DEFAULT_CACHE_HIT_RATIO, DEFAULT_CACHE_WARMUP, DEFAULT_CRASH_RECOVERY_SECS,
    DEFAULT_FAILOVER_CV, DEFAULT_FAILOVER_SECS, DEFAULT_MAX_CONNECTIONS, DEFAULT_PROTECTION_GROUPS, DEFAULT_READ_HEDGE,
    DEFAULT_READ_SERVICE_SECS, DEFAULT_RECREATE_SECS, DEFAULT_REPAIR_GBPS, DEFAULT_REPLICA_APPLY_SECS,
    DEFAULT_SEGMENT_LATENCY_CV, DEFAULT_SEGMENT_LATENCY_SECS, DEFAULT_TIER, DEFAULT_WORKERS,
    DEFAULT_WRITE_SERVICE_SECS, MAX_PROTECTION_GROUPS, MAX_REPLICAS, MAX_TIER, PROTECTION_GROUP_BYTES, Routing,
};
pub use storage::{READ_QUORUM, SEGMENTS_PER_GROUP, STORAGE_AZS, WRITE_QUORUM};

use config::Params;
use storage::Storage;

use crate::blocks::station::{Admission, ServerPool, ServiceTimes};
use crate::engine::{EventId, SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::fault::{FaultAction, FaultSignal, nested_slow_factor};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Component, Ctx, InstanceInfo, Internal, Message, Network, Op, Request, SpecError, Status, Timer};

/// How long reads avoid a segment that missed a read hedge: 1 s. Assumption.
pub const SUSPECT_TIME: SimDuration = SimDuration::from_secs(1);
/// Endpoint DNS answers remembered for clients with stale caches (older ones map to the
/// oldest kept; a client's TTL is far shorter than 16 failovers).
const ENDPOINT_HISTORY: usize = 16;
/// Bits of a timer's `data` that hold a segment index (the rest holds an LSN or read id).
const SEGMENT_BITS: u32 = 20;
const SEGMENT_MASK: u64 = (1 << SEGMENT_BITS) - 1;

crate::message_kinds! {
    /// Aurora timers (interim: still matched through the constants below).
    timer enum AuroraTimer { PoolDepart }
}
// Timer kinds.
const POOL_DEPART: u32 = AuroraTimer::PoolDepart as u32;
const SEG_WRITE_DONE: u32 = 1;
const SEG_READ_DONE: u32 = 2;
const READ_HEDGE: u32 = 3;
const SEG_REPAIR: u32 = 4;
const FAILOVER_DONE: u32 = 5;
const RECREATE_DONE: u32 = 6;
const RECOVERY_DONE: u32 = 7;

// Internal message kinds.
const SEG_WRITE: u32 = 0;
const SEG_ACK: u32 = 1;
const SEG_READ: u32 = 2;
const SEG_READ_REPLY: u32 = 3;
const REDO_SHIP: u32 = 4;

impl KindConfig for AuroraConfig {
    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        vec![
            ("read_service".into(), &mut self.read_service),
            ("write_service".into(), &mut self.write_service),
            ("segment_latency".into(), &mut self.segment_latency),
            ("failover_time".into(), &mut self.failover_time),
            ("crash_recovery".into(), &mut self.crash_recovery),
            ("recreate_time".into(), &mut self.recreate_time),
            ("replica_apply".into(), &mut self.replica_apply),
        ]
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(Aurora::new(name, self.validate(context)?)))
    }
}

/// Why a request failed at the cluster.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Cause {
    InstanceDown,
    CrashLost,
    ReadOnly,
    Recovering,
    Rejected,
    NoSegment,
}

const CAUSES: [(Cause, &str); 6] = [
    (Cause::InstanceDown, "instance_down"),
    (Cause::CrashLost, "crash_lost"),
    (Cause::ReadOnly, "read_only"),
    (Cause::Recovering, "recovering"),
    (Cause::Rejected, "rejected"),
    (Cause::NoSegment, "no_segment"),
];

/// The writer's life cycle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum WriterState {
    /// The writer serves.
    Up,
    /// No writer since `since`: a failover or re-creation is pending.
    Down { since: SimTime },
    /// A writer was chosen; crash recovery runs (the outage began at `since`).
    Recovering { since: SimTime },
}

/// One database instance (the writer or a replica).
struct Instance {
    az: u16,
    tier: u8,
    pool: ServerPool,
    /// Crash faults active on it.
    crash_depth: u16,
    /// Service-time multiplier of its active slow faults.
    slow: f64,
    /// Re-created elsewhere while its crash fault still runs.
    replaced: bool,
    up: bool,
    /// Bumped when the instance is re-created (a new address: old DNS answers are dead).
    incarnation: u32,
    /// Its cache started empty then.
    cold_since: Option<SimTime>,
    /// Requests it holds outside its pool: commits and segment reads in progress.
    pending: u64,
}

/// A write waiting for its 4th ack.
struct PendingCommit {
    request: Request,
    lsn: u64,
    pg: u32,
    sent: SimTime,
    acked: u8,
    acks: u8,
}

/// A read waiting for a segment.
struct PendingRead {
    request: Request,
    id: u64,
    instance: u32,
    pg: u32,
    tried: u8,
    current: u8,
    hedge: Option<EventId>,
}

/// Slots with a free list: O(1) insert and remove, indices stay valid.
struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Slab<T> {
    fn new() -> Self {
        Slab { items: Vec::new(), free: Vec::new() }
    }
    fn insert(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.items[slot as usize] = Some(item);
                slot
            }
            None => {
                self.items.push(Some(item));
                (self.items.len() - 1) as u32
            }
        }
    }
    fn get(&self, slot: u32) -> Option<&T> {
        self.items.get(slot as usize).and_then(Option::as_ref)
    }
    fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.items.get_mut(slot as usize).and_then(Option::as_mut)
    }
    fn remove(&mut self, slot: u32) -> Option<T> {
        let item = self.items.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(item)
    }
    fn len(&self) -> usize {
        self.items.len() - self.free.len()
    }
}

/// Everything measured.
struct Metrics {
    read_latency: LatencyHistogram,
    write_latency: LatencyHistogram,
    commit_latency: LatencyHistogram,
    replica_lag: LatencyHistogram,
    interval_commit: IntervalMean,
    interval_read: IntervalMean,
    interval_lag: IntervalMean,
    reads_ok: Counter,
    writes_ok: Counter,
    errors: [Counter; CAUSES.len()],
    quorum_losses: Counter,
    data_losses: Counter,
    failovers: Counter,
    restarts: Counter,
    recreations: Counter,
    repairs: Counter,
    hedges: Counter,
    cache_hits: Counter,
    cache_misses: Counter,
    downtime: SimDuration,
    unwritable: TimeWeighted,
    any_unwritable: TimeWeighted,
    capacity: TimeWeighted,
    writer_up: TimeWeighted,
    segments_up: TimeWeighted,
    pending_commits: TimeWeighted,
    measure_start: SimTime,
}

impl Metrics {
    fn new() -> Self {
        Metrics {
            read_latency: LatencyHistogram::new(),
            write_latency: LatencyHistogram::new(),
            commit_latency: LatencyHistogram::new(),
            replica_lag: LatencyHistogram::new(),
            interval_commit: IntervalMean::default(),
            interval_read: IntervalMean::default(),
            interval_lag: IntervalMean::default(),
            reads_ok: Counter::default(),
            writes_ok: Counter::default(),
            errors: [Counter::default(); CAUSES.len()],
            quorum_losses: Counter::default(),
            data_losses: Counter::default(),
            failovers: Counter::default(),
            restarts: Counter::default(),
            recreations: Counter::default(),
            repairs: Counter::default(),
            hedges: Counter::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            downtime: SimDuration::ZERO,
            unwritable: TimeWeighted::new(),
            any_unwritable: TimeWeighted::new(),
            capacity: TimeWeighted::new(),
            writer_up: TimeWeighted::new(),
            segments_up: TimeWeighted::new(),
            pending_commits: TimeWeighted::new(),
            measure_start: SimTime::ZERO,
        }
    }

    #[inline]
    fn error(&mut self, cause: Cause, n: u64) {
        self.errors[cause as usize].add(n);
    }
}

/// A running Aurora cluster.
pub struct Aurora {
    name: String,
    params: Params,
    instances: Vec<Instance>,
    storage: Storage,
    /// The current (or chosen, or failed) writer instance.
    writer: usize,
    state: WriterState,
    /// Bumped on every writer state change; stale writer timers carry an older value.
    epoch: u64,
    failover_pending: bool,
    recreate_pending: bool,
    recovery_pending: bool,
    /// What the cluster endpoint's DNS answered from when: (since, instance, incarnation).
    endpoint: VecDeque<(SimTime, u32, u32)>,
    /// Physical instances hit by active crash faults on the `writer` role, oldest first.
    role_crashes: VecDeque<usize>,
    /// Physical instances slowed by active slow faults on the `writer` role, oldest first.
    role_slows: VecDeque<usize>,
    commits: Slab<PendingCommit>,
    reads: Slab<PendingRead>,
    next_read_id: u64,
    next_reader: usize,
    metrics: Metrics,
}

impl Aurora {
    /// A healthy cluster at time zero.
    fn new(name: &str, params: Params) -> Self {
        let service = ServiceTimes { read: params.read_service.clone(), write: params.write_service.clone() };
        let pool = |index: usize| {
            ServerPool::new(params.workers, params.queue_limit, service.clone(), AuroraTimer::PoolDepart, index as u64)
        };
        let instance = |index: usize, az: u16, tier: u8| Instance {
            az,
            tier,
            pool: pool(index),
            crash_depth: 0,
            slow: 1.0,
            replaced: false,
            up: true,
            incarnation: 0,
            cold_since: None,
            pending: 0,
        };
        let mut instances = vec![instance(0, params.writer_az, DEFAULT_TIER)];
        for (k, (&az, &tier)) in params.replica_azs.iter().zip(&params.tiers).enumerate() {
            instances.push(instance(k + 1, az, tier));
        }
        let storage = Storage::new(params.groups, params.storage_azs);
        let mut endpoint = VecDeque::with_capacity(ENDPOINT_HISTORY);
        endpoint.push_back((SimTime::ZERO, 0, 0));
        let mut metrics = Metrics::new();
        metrics.writer_up.set(SimTime::ZERO, 1.0);
        metrics.capacity.set(SimTime::ZERO, 1.0);
        metrics.segments_up.set(SimTime::ZERO, f64::from(storage.segments_available));
        Aurora {
            name: name.to_string(),
            params,
            instances,
            storage,
            writer: 0,
            state: WriterState::Up,
            epoch: 0,
            failover_pending: false,
            recreate_pending: false,
            recovery_pending: false,
            endpoint,
            role_crashes: VecDeque::new(),
            role_slows: VecDeque::new(),
            commits: Slab::new(),
            reads: Slab::new(),
            next_read_id: 0,
            next_reader: 0,
            metrics,
        }
    }

    fn groups(&self) -> u64 {
        self.storage.group_count() as u64
    }

    fn replicas(&self) -> usize {
        self.instances.len() - 1
    }

    #[inline]
    fn writer_open(&self) -> bool {
        self.state == WriterState::Up
    }

    fn writer_az(&self) -> u16 {
        self.instances[self.writer].az
    }

    /// Refreshes the gauges that depend on the writer and the storage.
    fn update_gauges(&mut self, now: SimTime) {
        let unwritable = f64::from(self.storage.unwritable);
        let groups = self.groups() as f64;
        let m = &mut self.metrics;
        m.unwritable.set(now, unwritable);
        m.any_unwritable.set(now, if unwritable > 0.0 { 1.0 } else { 0.0 });
        m.segments_up.set(now, f64::from(self.storage.segments_available));
        let open = self.state == WriterState::Up;
        m.writer_up.set(now, if open { 1.0 } else { 0.0 });
        m.capacity.set(now, if open { (groups - unwritable) / groups } else { 0.0 });
    }

    // ----- Requests -------------------------------------------------------------------------

    /// The instance (and incarnation) the cluster endpoint named at `resolved_at`.
    fn endpoint_at(&self, resolved_at: SimTime) -> (usize, u32) {
        let entry = self
            .endpoint
            .iter()
            .rev()
            .find(|(since, _, _)| *since <= resolved_at)
            .or_else(|| self.endpoint.front())
            .expect("the endpoint always has an entry");
        (entry.1 as usize, entry.2)
    }

    /// The next up instance for a read, in turn; `with_writer` includes an open writer.
    fn next_reader(&mut self, with_writer: bool) -> Option<usize> {
        let n = self.instances.len();
        for step in 0..n {
            let i = (self.next_reader + step) % n;
            let usable =
                self.instances[i].up && if i == self.writer { with_writer && self.writer_open() } else { true };
            if usable {
                self.next_reader = (i + 1) % n;
                return Some(i);
            }
        }
        None
    }

    fn on_request(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if !matches!(request.op, Op::Read | Op::Write | Op::Delete) {
            ctx.reply(request, Status::Invalid);
            return;
        }
        let by_endpoint = |me: &Self| {
            let (instance, incarnation) = me.endpoint_at(request.resolved_at);
            (instance, Some(incarnation))
        };
        let (instance, incarnation) = match (request.op, self.params.routing) {
            (_, _) if request.op != Op::Read => by_endpoint(self),
            (_, Routing::Writer) => by_endpoint(self),
            (_, Routing::Replicas) => match self.next_reader(false) {
                Some(i) => (i, None),
                None => by_endpoint(self),
            },
            (_, Routing::RoundRobin) => match self.next_reader(true) {
                Some(i) => (i, None),
                None => by_endpoint(self),
            },
        };
        let target = &self.instances[instance];
        if !target.up || incarnation.is_some_and(|inc| inc != target.incarnation) {
            // The address answers nothing: the client finds out by its timeout.
            self.metrics.error(Cause::InstanceDown, 1);
            return;
        }
        let az = target.az;
        if instance == self.writer && !self.writer_open() {
            self.metrics.error(Cause::Recovering, 1);
            ctx.reply_from_az(az, request, Status::Unavailable);
            return;
        }
        if request.op != Op::Read && instance != self.writer {
            self.metrics.error(Cause::ReadOnly, 1);
            ctx.reply_from_az(az, request, Status::Unavailable);
            return;
        }
        if target.pool.occupancy() + target.pending >= self.params.max_connections {
            self.metrics.error(Cause::Rejected, 1);
            ctx.reply_from_az(az, request, Status::Rejected);
            return;
        }
        if self.instances[instance].pool.arrive(request, ctx) == Admission::Rejected {
            self.metrics.error(Cause::Rejected, 1);
            ctx.reply_from_az(az, request, Status::Rejected);
        }
    }

    /// A worker finished a request's CPU work.
    fn on_departure(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let instance = timer.data as usize;
        let Some(request) = self.instances.get_mut(instance).and_then(|i| i.pool.depart(timer, ctx)) else { return };
        match request.op {
            Op::Write | Op::Delete => self.start_commit(request, ctx),
            _ => {
                let now = ctx.now();
                let inst = &mut self.instances[instance];
                let warmth = match inst.cold_since {
                    Some(since) => {
                        let warmth =
                            (now - since).as_secs_f64() / self.params.cache_warmup.as_secs_f64().max(f64::MIN_POSITIVE);
                        if warmth >= 1.0 {
                            inst.cold_since = None;
                        }
                        warmth.min(1.0)
                    }
                    None => 1.0,
                };
                let hit_ratio = self.params.cache_hit_ratio * warmth;
                if hit_ratio >= 1.0 || (hit_ratio > 0.0 && ctx.rng.random::<f64>() < hit_ratio) {
                    self.metrics.cache_hits.incr();
                    let az = inst.az;
                    self.read_done(request, now);
                    ctx.reply_from_az(az, request, Status::Ok);
                } else {
                    self.metrics.cache_misses.incr();
                    self.start_segment_read(instance, request, ctx);
                }
            }
        }
    }

    fn read_done(&mut self, request: Request, now: SimTime) {
        let latency = now - request.arrived;
        self.metrics.read_latency.record(latency);
        self.metrics.interval_read.record(latency.as_millis_f64());
        self.metrics.reads_ok.incr();
    }

    // ----- Writes ---------------------------------------------------------------------------

    fn start_commit(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if !self.writer_open() {
            // Cannot happen: a failing writer's pool is emptied. Count it rather than panic.
            self.metrics.error(Cause::CrashLost, 1);
            return;
        }
        let now = ctx.now();
        let pg = (request.key % self.groups()) as usize;
        let group = &mut self.storage.groups[pg];
        group.next_lsn += 1;
        let lsn = group.next_lsn;
        debug_assert!(lsn < 1 << (64 - SEGMENT_BITS), "LSN overflows the timer packing");
        let slot = self.commits.insert(PendingCommit { request, lsn, pg: pg as u32, sent: now, acked: 0, acks: 0 });
        self.instances[self.writer].pending += 1;
        self.metrics.pending_commits.add(now, 1.0);
        let from_az = self.writer_az();
        for i in 0..SEGMENTS_PER_GROUP {
            self.send_redo(slot, pg * SEGMENTS_PER_GROUP + i, lsn, request, from_az, ctx);
        }
    }

    fn send_redo(&mut self, slot: u32, s: usize, lsn: u64, request: Request, from_az: u16, ctx: &mut Ctx<'_>) {
        let segment = &mut self.storage.segments[s];
        let internal = Internal { kind: SEG_WRITE, from: slot, to: s as u32, data: lsn, tag: 0, request };
        if ctx.send_internal(from_az, segment.az, internal) {
            segment.receiving = segment.receiving.max(lsn);
        }
    }

    /// True if segment `s` is alive to receive and persist: not destroyed, its AZ up.
    fn segment_alive(&self, s: usize, network: &Network) -> bool {
        let segment = &self.storage.segments[s];
        !segment.destroyed() && !network.az_is_down(segment.az)
    }

    fn segment_service(&mut self, s: usize, ctx: &mut Ctx<'_>) -> SimDuration {
        let service = self.params.segment_latency.sample_duration(ctx.rng);
        let slow = self.storage.segments[s].slow;
        if slow != 1.0 { service.mul_f64(slow) } else { service }
    }

    /// A redo record (`SEG_WRITE_DONE`) or a read (`SEG_READ_DONE`) reached segment `s`: it is
    /// done after the segment's latency, if the segment is alive.
    fn on_segment_work(&mut self, internal: Internal, done: u32, ctx: &mut Ctx<'_>) {
        let s = internal.to as usize;
        if !self.segment_alive(s, ctx.network()) {
            return;
        }
        let service = self.segment_service(s, ctx);
        let data = (internal.data << SEGMENT_BITS) | s as u64;
        ctx.timer(service, Timer { kind: done, slot: internal.from, data, tag: 0 });
    }

    /// Segment `s` persisted record `lsn`: record it and ack to the writer.
    fn on_segment_persisted(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let s = (timer.data & SEGMENT_MASK) as usize;
        let lsn = timer.data >> SEGMENT_BITS;
        if !self.segment_alive(s, ctx.network()) {
            return;
        }
        let segment = &mut self.storage.segments[s];
        segment.held = segment.held.max(lsn);
        let seg_az = segment.az;
        // The ack goes to the writer that sent the record, if it still waits for it.
        let Some(entry) = self.commits.get(timer.slot) else { return };
        if entry.lsn != lsn || entry.pg as usize != s / SEGMENTS_PER_GROUP {
            return;
        }
        let internal =
            Internal { kind: SEG_ACK, from: timer.slot, to: s as u32, data: lsn, tag: 0, request: entry.request };
        let writer_az = self.writer_az();
        ctx.send_internal(seg_az, writer_az, internal);
    }

    fn on_ack(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let s = internal.to as usize;
        let Some(entry) = self.commits.get_mut(internal.from) else { return };
        if entry.lsn != internal.data || entry.pg as usize != s / SEGMENTS_PER_GROUP {
            return; // An ack for a write already committed, or lost with a failed writer.
        }
        let bit = 1u8 << (s % SEGMENTS_PER_GROUP);
        if entry.acked & bit != 0 {
            return;
        }
        entry.acked |= bit;
        entry.acks += 1;
        if entry.acks >= WRITE_QUORUM {
            self.commit(internal.from, ctx);
        }
    }

    fn commit(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.commits.remove(slot) else { return };
        let now = ctx.now();
        self.instances[self.writer].pending -= 1;
        self.metrics.pending_commits.add(now, -1.0);
        let group = &mut self.storage.groups[entry.pg as usize];
        group.committed = group.committed.max(entry.lsn);
        group.loss_latched = false;
        let commit = now - entry.sent;
        let m = &mut self.metrics;
        m.commit_latency.record(commit);
        m.interval_commit.record(commit.as_millis_f64());
        m.write_latency.record(now - entry.request.arrived);
        m.writes_ok.incr();
        let writer_az = self.writer_az();
        ctx.reply_from_az(writer_az, entry.request, Status::Ok);
        // Ship the record to the replicas; `arrived` carries the commit time.
        let mut shipped = entry.request;
        shipped.arrived = now;
        for (r, replica) in self.instances.iter().enumerate() {
            if r != self.writer && replica.up {
                let internal = Internal {
                    kind: REDO_SHIP,
                    tag: 0,
                    from: self.writer as u32,
                    to: r as u32,
                    data: entry.lsn,
                    request: shipped,
                };
                ctx.send_internal(writer_az, replica.az, internal);
            }
        }
    }

    fn on_redo_shipped(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let r = internal.to as usize;
        if r == self.writer || !self.instances.get(r).is_some_and(|i| i.up) {
            return;
        }
        let apply = self.params.replica_apply.sample_duration(ctx.rng);
        let lag = (ctx.now() - internal.request.arrived) + apply;
        self.metrics.replica_lag.record(lag);
        self.metrics.interval_lag.record(lag.as_millis_f64());
    }

    /// Segments of group `pg` in `came_back` returned: resend the records of waiting writes
    /// they have not acked.
    fn resend_to(&mut self, pg: usize, came_back: u8, ctx: &mut Ctx<'_>) {
        if came_back == 0 || self.commits.len() == 0 {
            return;
        }
        let from_az = self.writer_az();
        for slot in 0..self.commits.items.len() as u32 {
            let Some(entry) = self.commits.get(slot) else { continue };
            if entry.pg as usize != pg {
                continue;
            }
            let (missing, lsn, request) = (came_back & !entry.acked, entry.lsn, entry.request);
            for i in 0..SEGMENTS_PER_GROUP {
                if missing & (1 << i) != 0 {
                    self.send_redo(slot, pg * SEGMENTS_PER_GROUP + i, lsn, request, from_az, ctx);
                }
            }
        }
    }

    // ----- Reads ----------------------------------------------------------------------------

    fn start_segment_read(&mut self, instance: usize, request: Request, ctx: &mut Ctx<'_>) {
        let pg = (request.key % self.groups()) as u32;
        let id = self.next_read_id;
        self.next_read_id += 1;
        debug_assert!(id < 1 << (64 - SEGMENT_BITS), "read id overflows the timer packing");
        let slot = self.reads.insert(PendingRead {
            request,
            id,
            instance: instance as u32,
            pg,
            tried: 0,
            current: 0,
            hedge: None,
        });
        self.instances[instance].pending += 1;
        self.try_next_segment(slot, ctx);
    }

    /// Sends the read in `slot` to the best untried segment, or fails it if none is left.
    fn try_next_segment(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now().as_nanos();
        loop {
            let Some(entry) = self.reads.get(slot) else { return };
            let reader_az = self.instances[entry.instance as usize].az;
            let pg = entry.pg as usize;
            let Some(i) = self.storage.pick_read(pg, reader_az, entry.tried, entry.request.key, now) else {
                self.finish_read(slot, Err(Cause::NoSegment), ctx);
                return;
            };
            let s = pg * SEGMENTS_PER_GROUP + usize::from(i);
            let (id, request) = (entry.id, entry.request);
            let internal = Internal { kind: SEG_READ, from: slot, to: s as u32, data: id, tag: 0, request };
            let sent = ctx.send_internal(reader_az, self.storage.segments[s].az, internal);
            let entry = self.reads.get_mut(slot).expect("checked above");
            entry.tried |= 1 << i;
            entry.current = i;
            if sent {
                entry.hedge =
                    Some(ctx.timer(self.params.read_hedge, Timer { kind: READ_HEDGE, slot, data: id, tag: 0 }));
                return;
            }
        }
    }

    fn on_segment_read_done(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let s = (timer.data & SEGMENT_MASK) as usize;
        let id = timer.data >> SEGMENT_BITS;
        if !self.segment_alive(s, ctx.network()) {
            return;
        }
        let Some(entry) = self.reads.get(timer.slot) else { return };
        if entry.id != id {
            return; // Answered by another segment already.
        }
        let reader_az = self.instances[entry.instance as usize].az;
        let internal =
            Internal { kind: SEG_READ_REPLY, from: timer.slot, to: s as u32, data: id, tag: 0, request: entry.request };
        ctx.send_internal(self.storage.segments[s].az, reader_az, internal);
    }

    fn on_segment_read_reply(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        if self.reads.get(internal.from).is_some_and(|entry| entry.id == internal.data) {
            self.finish_read(internal.from, Ok(()), ctx);
        }
    }

    fn on_read_hedge(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.reads.get_mut(timer.slot) else { return };
        if entry.id != timer.data {
            return;
        }
        entry.hedge = None;
        let s = entry.pg as usize * SEGMENTS_PER_GROUP + usize::from(entry.current);
        self.storage.segments[s].suspect_until = (ctx.now() + SUSPECT_TIME).as_nanos();
        self.metrics.hedges.incr();
        self.try_next_segment(timer.slot, ctx);
    }

    fn finish_read(&mut self, slot: u32, outcome: Result<(), Cause>, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.reads.remove(slot) else { return };
        if let Some(hedge) = entry.hedge {
            ctx.cancel(hedge);
        }
        let instance = &mut self.instances[entry.instance as usize];
        instance.pending -= 1;
        let az = instance.az;
        match outcome {
            Ok(()) => {
                self.read_done(entry.request, ctx.now());
                ctx.reply_from_az(az, entry.request, Status::Ok);
            }
            Err(cause) => {
                self.metrics.error(cause, 1);
                ctx.reply_from_az(az, entry.request, Status::Unavailable);
            }
        }
    }

    // ----- Storage changes ------------------------------------------------------------------

    /// Recomputes group `pg` (all groups if None) after a change of segments, network or
    /// writer: counts quorum losses, catches returning segments up, resends waiting records,
    /// and lets a pending recovery start.
    fn refresh_storage(&mut self, pg: Option<usize>, ctx: &mut Ctx<'_>) {
        let reference = self.writer_az();
        let range = match pg {
            Some(pg) => pg..pg + 1,
            None => 0..self.storage.group_count(),
        };
        let mut resend: Vec<(usize, u8)> = Vec::new();
        {
            let network = ctx.network();
            let reference_down = network.az_is_down(reference);
            let usable =
                |az: u16| if reference_down { !network.az_is_down(az) } else { network.reachable(reference, az) };
            for g in range {
                let refresh = self.storage.refresh_group(g, &usable);
                if refresh.was_writable && !refresh.writable {
                    self.metrics.quorum_losses.incr();
                }
                if refresh.came_back != 0 {
                    resend.push((g, refresh.came_back));
                }
            }
        }
        if self.writer_open() {
            for (g, came_back) in resend {
                self.resend_to(g, came_back, ctx);
            }
        }
        self.update_gauges(ctx.now());
        self.try_schedule_recovery(ctx);
    }

    fn segment_crash(&mut self, s: usize, active: bool, ctx: &mut Ctx<'_>) {
        if active {
            if self.storage.destroy(s) {
                self.metrics.data_losses.incr();
            }
            if self.params.repair {
                let epoch = self.storage.segments[s].epoch;
                ctx.timer(
                    self.params.repair_time,
                    Timer { kind: SEG_REPAIR, slot: s as u32, data: u64::from(epoch), tag: 0 },
                );
            }
        } else {
            let segment = &mut self.storage.segments[s];
            segment.crash_depth = segment.crash_depth.saturating_sub(1);
            if segment.crash_depth == 0 {
                segment.replaced = false;
            }
        }
        self.refresh_storage(Some(s / SEGMENTS_PER_GROUP), ctx);
    }

    fn on_repair(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let s = timer.slot as usize;
        let segment = &mut self.storage.segments[s];
        if u64::from(segment.epoch) != timer.data || !segment.destroyed() {
            return;
        }
        segment.replaced = true;
        self.metrics.repairs.incr();
        self.refresh_storage(Some(s / SEGMENTS_PER_GROUP), ctx);
    }

    // ----- Instances and the writer ---------------------------------------------------------

    fn instance_should_be_up(&self, i: usize, network: &Network) -> bool {
        let instance = &self.instances[i];
        (instance.crash_depth == 0 || instance.replaced) && !network.az_is_down(instance.az)
    }

    /// Brings instance `i`'s state in line with its faults and AZ.
    fn update_instance(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let up = self.instance_should_be_up(i, ctx.network());
        if up == self.instances[i].up {
            return;
        }
        self.instances[i].up = up;
        if up {
            self.instances[i].pool.recover();
            self.instance_returned(i, ctx);
        } else {
            self.instance_failed(i, ctx);
        }
    }

    fn instance_failed(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let lost = self.instances[i].pool.crash(ctx);
        self.metrics.error(Cause::CrashLost, lost);
        // Segment reads it was waiting for.
        for slot in 0..self.reads.items.len() as u32 {
            if self.reads.get(slot).is_some_and(|entry| entry.instance as usize == i) {
                let entry = self.reads.remove(slot).expect("checked");
                if let Some(hedge) = entry.hedge {
                    ctx.cancel(hedge);
                }
                self.instances[i].pending -= 1;
                self.metrics.error(Cause::CrashLost, 1);
            }
        }
        if i == self.writer && !matches!(self.state, WriterState::Down { .. }) {
            self.writer_failed(ctx);
        }
    }

    fn writer_failed(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let since = match self.state {
            WriterState::Up => now,
            WriterState::Recovering { since } | WriterState::Down { since } => since,
        };
        self.state = WriterState::Down { since };
        self.epoch += 1;
        self.failover_pending = false;
        self.recreate_pending = false;
        self.recovery_pending = false;
        // Writes waiting for their quorum die with the writer: their clients time out.
        let waiting = self.commits.len() as u64;
        if waiting > 0 {
            self.metrics.error(Cause::CrashLost, waiting);
            self.metrics.pending_commits.add(now, -(waiting as f64));
            self.commits = Slab::new();
            self.instances[self.writer].pending -= waiting;
        }
        self.update_gauges(now);
        self.plan_takeover(ctx);
    }

    /// The best replica to promote: up, lowest tier, then lowest number.
    fn best_replica(&self) -> Option<usize> {
        (0..self.instances.len())
            .filter(|&i| i != self.writer && self.instances[i].up)
            .min_by_key(|&i| (self.instances[i].tier, i))
    }

    /// While there is no writer: start a failover if a replica can take over, otherwise
    /// start re-creating the writer (if not already under way).
    fn plan_takeover(&mut self, ctx: &mut Ctx<'_>) {
        if !matches!(self.state, WriterState::Down { .. }) {
            return;
        }
        let epoch = self.epoch;
        if self.best_replica().is_some() {
            if !self.failover_pending {
                self.failover_pending = true;
                let delay = self.params.failover_time.sample_duration(ctx.rng);
                ctx.timer(delay, Timer { kind: FAILOVER_DONE, slot: 0, data: epoch, tag: 0 });
            }
        } else if !self.recreate_pending && !self.failover_pending {
            self.recreate_pending = true;
            let delay = self.params.recreate_time.sample_duration(ctx.rng);
            ctx.timer(delay, Timer { kind: RECREATE_DONE, slot: 0, data: epoch, tag: 0 });
        }
    }

    fn instance_returned(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        if !matches!(self.state, WriterState::Down { .. }) || self.failover_pending {
            return;
        }
        if i == self.writer {
            // The old writer restarted in place: same address, warm cache (AUG).
            self.metrics.restarts.incr();
            self.start_recovery(ctx);
        } else {
            self.plan_takeover(ctx);
        }
    }

    fn on_failover_done(&mut self, ctx: &mut Ctx<'_>) {
        self.failover_pending = false;
        match self.best_replica() {
            Some(replica) => {
                self.writer = replica;
                self.metrics.failovers.incr();
                self.switch_endpoint(ctx.now());
                ctx.move_endpoint(self.instances[self.writer].az);
                self.start_recovery(ctx);
            }
            None => self.plan_takeover(ctx),
        }
    }

    fn on_recreate_done(&mut self, ctx: &mut Ctx<'_>) {
        self.recreate_pending = false;
        let now = ctx.now();
        let w = self.writer;
        let storage_azs = self.params.storage_azs;
        let network = ctx.network();
        let az = if network.az_is_down(self.instances[w].az) {
            match storage_azs.iter().find(|&&az| !network.az_is_down(az)) {
                Some(&az) => az,
                None => {
                    // Nowhere to place it: try again later.
                    self.plan_takeover(ctx);
                    return;
                }
            }
        } else {
            self.instances[w].az
        };
        let instance = &mut self.instances[w];
        instance.az = az;
        instance.incarnation = instance.incarnation.wrapping_add(1);
        instance.replaced = instance.crash_depth > 0;
        instance.cold_since = Some(now);
        instance.up = true;
        instance.pool.recover();
        self.metrics.recreations.incr();
        self.switch_endpoint(now);
        ctx.move_endpoint(self.instances[self.writer].az);
        self.start_recovery(ctx);
    }

    fn switch_endpoint(&mut self, now: SimTime) {
        if self.endpoint.len() == ENDPOINT_HISTORY {
            self.endpoint.pop_front();
        }
        self.endpoint.push_back((now, self.writer as u32, self.instances[self.writer].incarnation));
    }

    fn start_recovery(&mut self, ctx: &mut Ctx<'_>) {
        let since = match self.state {
            WriterState::Down { since } | WriterState::Recovering { since } => since,
            WriterState::Up => ctx.now(),
        };
        self.state = WriterState::Recovering { since };
        self.epoch += 1;
        self.failover_pending = false;
        self.recreate_pending = false;
        self.recovery_pending = false;
        // Quorums are now judged from the new writer's AZ.
        self.refresh_storage(None, ctx);
    }

    /// Starts crash recovery once every group has a read quorum (V17 §4.3).
    fn try_schedule_recovery(&mut self, ctx: &mut Ctx<'_>) {
        if matches!(self.state, WriterState::Recovering { .. })
            && !self.recovery_pending
            && self.storage.unreadable == 0
        {
            self.recovery_pending = true;
            let delay = self.params.crash_recovery.sample_duration(ctx.rng);
            ctx.timer(delay, Timer { kind: RECOVERY_DONE, slot: 0, data: self.epoch, tag: 0 });
        }
    }

    fn on_recovery_done(&mut self, ctx: &mut Ctx<'_>) {
        let WriterState::Recovering { since } = self.state else { return };
        let now = ctx.now();
        self.recovery_pending = false;
        self.state = WriterState::Up;
        self.epoch += 1;
        self.metrics.downtime += now - since.max(self.metrics.measure_start);
        self.update_gauges(now);
    }

    // ----- Faults ---------------------------------------------------------------------------

    /// The instance a fault on instance `index` acts on. Index 0 is the role `writer`: a fault
    /// starting there hits whoever is the writer then, and its end must reach the same
    /// instance, so starts are queued in `role_faults` and ends take them in order.
    fn physical(role_faults: &mut VecDeque<usize>, writer: usize, index: usize, active: bool) -> Option<usize> {
        match (index, active) {
            (0, true) => {
                role_faults.push_back(writer);
                Some(writer)
            }
            (0, false) => role_faults.pop_front(),
            _ => Some(index),
        }
    }

    fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        let replicas = self.replicas();
        match signal.action {
            FaultAction::Crash { instance } => {
                let index = instance as usize;
                if index <= replicas {
                    let writer = self.writer;
                    if let Some(i) = Self::physical(&mut self.role_crashes, writer, index, signal.active) {
                        let inst = &mut self.instances[i];
                        if signal.active {
                            inst.crash_depth += 1;
                            inst.replaced = false;
                        } else {
                            inst.crash_depth = inst.crash_depth.saturating_sub(1);
                            if inst.crash_depth == 0 {
                                inst.replaced = false;
                            }
                        }
                        self.update_instance(i, ctx);
                    }
                } else if let Some(s) = index.checked_sub(replicas + 1).filter(|&s| s < self.storage.segments.len()) {
                    self.segment_crash(s, signal.active, ctx);
                }
            }
            FaultAction::Slow { instance, factor } => {
                let index = instance as usize;
                if index <= replicas {
                    let writer = self.writer;
                    if let Some(i) = Self::physical(&mut self.role_slows, writer, index, signal.active) {
                        let instance = &mut self.instances[i];
                        instance.slow = nested_slow_factor(instance.slow, factor, signal.active);
                        instance.pool.set_slow_factor(instance.slow);
                    }
                } else if let Some(segment) = self.storage.segments.get_mut(index - replicas - 1) {
                    segment.slow = nested_slow_factor(segment.slow, factor, signal.active);
                }
            }
            FaultAction::AzOutage { az } => {
                // The writer last, so that a failover it starts sees which replicas the
                // outage took too.
                let writer = self.writer;
                for i in (0..self.instances.len()).filter(|&i| i != writer).chain([writer]) {
                    if self.instances[i].az == az {
                        self.update_instance(i, ctx);
                    }
                }
                self.refresh_storage(None, ctx);
            }
            FaultAction::Partition { .. } => self.refresh_storage(None, ctx),
        }
    }
}

impl Component for Aurora {
    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Timer(timer) => match timer.kind {
                POOL_DEPART => self.on_departure(timer, ctx),
                SEG_WRITE_DONE => self.on_segment_persisted(timer, ctx),
                SEG_READ_DONE => self.on_segment_read_done(timer, ctx),
                READ_HEDGE => self.on_read_hedge(timer, ctx),
                SEG_REPAIR => self.on_repair(timer, ctx),
                FAILOVER_DONE if timer.data == self.epoch => self.on_failover_done(ctx),
                RECREATE_DONE if timer.data == self.epoch => self.on_recreate_done(ctx),
                RECOVERY_DONE if timer.data == self.epoch => self.on_recovery_done(ctx),
                _ => {}
            },
            Message::Internal(internal) => match internal.kind {
                SEG_WRITE => self.on_segment_work(internal, SEG_WRITE_DONE, ctx),
                SEG_ACK => self.on_ack(internal, ctx),
                SEG_READ => self.on_segment_work(internal, SEG_READ_DONE, ctx),
                SEG_READ_REPLY => self.on_segment_read_reply(internal, ctx),
                REDO_SHIP => self.on_redo_shipped(internal, ctx),
                _ => {}
            },
            Message::Fault(signal) => self.on_fault(signal, ctx),
            Message::Reply(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        let m = &mut self.metrics;
        for histogram in [&mut m.read_latency, &mut m.write_latency, &mut m.commit_latency, &mut m.replica_lag] {
            histogram.reset();
        }
        for counter in [
            &mut m.reads_ok,
            &mut m.writes_ok,
            &mut m.quorum_losses,
            &mut m.data_losses,
            &mut m.failovers,
            &mut m.restarts,
            &mut m.recreations,
            &mut m.repairs,
            &mut m.hedges,
            &mut m.cache_hits,
            &mut m.cache_misses,
        ] {
            counter.reset();
        }
        for counter in &mut m.errors {
            counter.reset();
        }
        for gauge in [
            &mut m.unwritable,
            &mut m.any_unwritable,
            &mut m.capacity,
            &mut m.writer_up,
            &mut m.segments_up,
            &mut m.pending_commits,
        ] {
            gauge.reset(now);
        }
        m.downtime = SimDuration::ZERO;
        m.measure_start = now;
        for instance in &mut self.instances {
            instance.pool.begin_measurement(now);
        }
    }

    fn series_names(&self, names: &mut SeriesNames) {
        for quantity in [
            "write_throughput",
            "read_throughput",
            "commit_latency_ms",
            "read_latency_ms",
            "segments_up",
            "groups_writable",
            "writer_up",
            "replica_lag_ms",
            "pending_commits",
        ] {
            names.names.push(format!("{}.{quantity}", self.name));
        }
        self.instances[0].pool.series_names(&format!("{}.writer", self.name), names);
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        let groups = self.groups() as f64;
        let m = &mut self.metrics;
        out.push(m.writes_ok.take_interval() as f64 / secs);
        out.push(m.reads_ok.take_interval() as f64 / secs);
        out.push(m.interval_commit.take());
        out.push(m.interval_read.take());
        out.push(m.segments_up.interval_mean(now));
        out.push(1.0 - m.unwritable.interval_mean(now) / groups);
        out.push(m.writer_up.interval_mean(now));
        out.push(m.interval_lag.take());
        out.push(m.pending_commits.interval_mean(now));
        m.any_unwritable.interval_mean(now);
        m.capacity.interval_mean(now);
        for counter in [
            &mut m.quorum_losses,
            &mut m.data_losses,
            &mut m.failovers,
            &mut m.restarts,
            &mut m.recreations,
            &mut m.repairs,
            &mut m.hedges,
            &mut m.cache_hits,
            &mut m.cache_misses,
        ] {
            counter.take_interval();
        }
        for counter in &mut m.errors {
            counter.take_interval();
        }
        self.instances[0].pool.sample(now, interval, out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        let name = &self.name;
        let groups = self.groups() as f64;
        let segments = self.storage.segments.len() as f64;
        let measured = (now - self.metrics.measure_start).as_secs_f64();
        let per_second = |count: u64| if measured > 0.0 { count as f64 / measured } else { 0.0 };
        let mut downtime = self.metrics.downtime;
        if let WriterState::Down { since } | WriterState::Recovering { since } = self.state {
            downtime += now - since.max(self.metrics.measure_start);
        }
        let m = &mut self.metrics;
        out.latency(format!("{name}.read_latency"), &mut m.read_latency);
        out.latency(format!("{name}.write_latency"), &mut m.write_latency);
        out.latency(format!("{name}.commit_latency"), &mut m.commit_latency);
        out.latency(format!("{name}.replica_lag"), &mut m.replica_lag);
        let (reads, writes) = (m.reads_ok.total(), m.writes_ok.total());
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, per_second(reads + writes));
        out.scalar(format!("{name}.read_throughput"), Unit::PerSecond, per_second(reads));
        out.scalar(format!("{name}.write_throughput"), Unit::PerSecond, per_second(writes));
        let errors: u64 = m.errors.iter().map(Counter::total).sum();
        out.scalar(format!("{name}.errors"), Unit::Requests, errors as f64);
        for (cause, label) in CAUSES {
            out.scalar(format!("{name}.errors.{label}"), Unit::Requests, m.errors[cause as usize].total() as f64);
        }
        out.scalar(format!("{name}.write_unavailability"), Unit::Fraction, m.unwritable.mean(now) / groups);
        out.scalar(format!("{name}.write_unavailability_any"), Unit::Fraction, m.any_unwritable.mean(now));
        out.scalar(format!("{name}.availability"), Unit::Fraction, m.capacity.mean(now));
        out.scalar(format!("{name}.quorum_loss_events"), Unit::Events, m.quorum_losses.total() as f64);
        out.scalar(format!("{name}.data_loss_events"), Unit::Events, m.data_losses.total() as f64);
        out.scalar(format!("{name}.failovers"), Unit::Events, m.failovers.total() as f64);
        out.scalar(format!("{name}.writer_restarts"), Unit::Events, m.restarts.total() as f64);
        out.scalar(format!("{name}.writer_recreations"), Unit::Events, m.recreations.total() as f64);
        out.scalar(format!("{name}.failover_downtime"), Unit::Seconds, downtime.as_secs_f64());
        out.scalar(format!("{name}.segment_repairs"), Unit::Events, m.repairs.total() as f64);
        out.scalar(format!("{name}.segments_available"), Unit::Fraction, m.segments_up.mean(now) / segments);
        out.scalar(format!("{name}.read_hedges"), Unit::Requests, m.hedges.total() as f64);
        let lookups = m.cache_hits.total() + m.cache_misses.total();
        let hit_ratio = if lookups > 0 { m.cache_hits.total() as f64 / lookups as f64 } else { f64::NAN };
        out.scalar(format!("{name}.cache_hit_ratio"), Unit::Fraction, hit_ratio);
        for (i, instance) in self.instances.iter_mut().enumerate() {
            let prefix = if i == 0 { format!("{name}.writer") } else { format!("{name}.replica-{i}") };
            instance.pool.finish(&prefix, now, out);
        }
    }

    fn instances(&self) -> Vec<InstanceInfo> {
        let mut list = vec![InstanceInfo { name: "writer".into(), az: None }];
        for (k, instance) in self.instances.iter().enumerate().skip(1) {
            list.push(InstanceInfo { name: format!("replica-{k}"), az: Some(instance.az) });
        }
        for (s, segment) in self.storage.segments.iter().enumerate() {
            list.push(InstanceInfo {
                name: format!("segment-{}-{}", s / SEGMENTS_PER_GROUP, s % SEGMENTS_PER_GROUP),
                az: Some(segment.az),
            });
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EventQueue, StreamKey};
    use crate::model::{ComponentId, Event};

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
        let mut aurora =
            cluster(AuroraConfig { replicas: 3, priority: Some(vec![2, 0, 1]), ..AuroraConfig::default() });
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
        for k in 0..2 * ENDPOINT_HISTORY as u64 {
            aurora.switch_endpoint(t(100 + k));
        }
        assert_eq!(aurora.endpoint.len(), ENDPOINT_HISTORY);
        assert_eq!(aurora.endpoint_at(t(1)).0, 1, "older than the history: the oldest kept");
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
}

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
//! Every `redo_batch_interval` the writer ships the redo committed since its last shipment to
//! every up replica as one batch (a message across AZs); the replica's single apply thread
//! applies it record by record (`replica_apply` each, after any batch still being applied) and
//! the batch becomes visible when it is done. `replica_lag` is commit to visibility: half an
//! interval, the network, and the batch's apply — which grows with the write rate, fitted to
//! V17 Table 4 (`config.rs`). The apply thread is background work of the replica's pool
//! ([`ServerPool::run_background`]): a batch holds one worker while it is applied, ahead of
//! queued reads, so a replica's reads slow down as the write rate grows, and a replica busy
//! with reads applies later (its lag grows too). Reads go where `read_routing` says; the
//! reader endpoint's DNS is not modelled (it skips down replicas).
//!
//! # Placement
//! Clients address the component, which the network places in the writer's AZ: the
//! client-to-cluster leg uses that AZ's delay. A failover or re-creation moves the endpoint to
//! the new writer's AZ ([`Ctx::move_endpoint`](crate::model::Ctx::move_endpoint)), so clients
//! in the AZs that are up reach the new writer once their DNS cache names it; while the old
//! writer's AZ is down and before the failover, no request gets through. Replies leave from
//! the AZ of the instance that served the request.
//!
//! # Code layout
//! `protocol` declares the timers and internal messages; `requests` routes client requests to
//! instances (endpoint DNS, read routing, the buffer cache); `writes` is the commit path (redo
//! to six segments, acks, quorum, shipping to replicas, resends); `reads` the segment reads and
//! their hedging; `writer` the writer's life cycle (failure, failover, re-creation, recovery);
//! `faults` applies fault signals to instances and segments and recomputes quorums; `metrics`
//! holds what is measured; `storage` is the volume's bookkeeping, without timing.

mod config;
mod doc;
mod faults;
mod metrics;
mod protocol;
mod reads;
mod requests;
mod storage;
#[cfg(test)]
mod tests;
mod writer;
mod writes;

pub use config::{
    AuroraConfig, DEFAULT_CACHE_HIT_RATIO, DEFAULT_CACHE_WARMUP, DEFAULT_CRASH_RECOVERY_SECS, DEFAULT_FAILOVER_CV,
    DEFAULT_FAILOVER_SECS, DEFAULT_MAX_CONNECTIONS, DEFAULT_PROTECTION_GROUPS, DEFAULT_READ_HEDGE,
    DEFAULT_READ_SERVICE_SECS, DEFAULT_RECREATE_SECS, DEFAULT_REDO_BATCH_INTERVAL, DEFAULT_REPAIR_GBPS,
    DEFAULT_REPLICA_APPLY_SECS, DEFAULT_SEGMENT_LATENCY_CV, DEFAULT_SEGMENT_LATENCY_SECS, DEFAULT_TIER,
    DEFAULT_WORKERS, DEFAULT_WRITE_SERVICE_SECS, MAX_PROTECTION_GROUPS, MAX_REPLICAS, MAX_TIER, PROTECTION_GROUP_BYTES,
    Routing,
};
pub use doc::AURORA_DOC;
pub use storage::{READ_QUORUM, SEGMENTS_PER_GROUP, STORAGE_AZS, WRITE_QUORUM};

use config::Params;
use metrics::Metrics;
use protocol::{AuroraInternal, AuroraTimer};
use reads::PendingRead;
use storage::Storage;
use writes::PendingCommit;

use crate::blocks::endpoint::EndpointHistory;
use crate::blocks::health::{FaultBindings, Health};
use crate::blocks::slab::Slab;
use crate::blocks::station::{ServerPool, ServiceTimes};
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::{BillableItem, UsageScale};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, InstanceInfo, Message, SpecError, Timer};
use crate::services::classes::DEFAULT_AURORA_CLASS;

/// How long reads avoid a segment that missed a read hedge: 1 s. Assumption.
pub const SUSPECT_TIME: SimDuration = SimDuration::from_secs(1);
/// Endpoint DNS answers remembered for clients with stale caches (older ones map to the
/// oldest kept; a client's TTL is far shorter than 16 failovers).
const ENDPOINT_HISTORY: usize = 16;

impl KindConfig for AuroraConfig {
    fn events_per_request(&self, write_fraction: f64) -> f64 {
        // A write: its delivery, the worker's CPU time, the redo record to the six segments,
        // their persistence and acks, the reply (redo shipping to replicas goes by batch).
        let write = 3.0 + 3.0 * SEGMENTS_PER_GROUP as f64;
        // A read: delivery, CPU, reply; a cache miss adds a segment's read, its end, its answer.
        let read = 3.0 + 3.0 * (1.0 - self.cache_hit_ratio.clamp(0.0, 1.0));
        write_fraction * write + (1.0 - write_fraction) * read
    }

    fn nanos_per_event(&self) -> f64 {
        // Measured: `scenarios/aurora-replica-lag.toml`, about 5 M events/s per thread.
        200.0
    }

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

    fn resolved(&self, context: &BuildContext<'_>, az_names: &[String]) -> Result<Self, SpecError> {
        let params = self.validate(context)?;
        let name = |az: u16| az_names.get(az as usize).cloned().unwrap_or_default();
        let mut resolved = self.clone();
        if !params.replica_azs.is_empty() {
            resolved.replica_azs = Some(params.replica_azs.iter().map(|&az| name(az)).collect());
            resolved.priority = Some(params.tiers.iter().map(|&tier| u32::from(tier)).collect());
        }
        if resolved.volume_size.is_none() {
            resolved.protection_groups = Some(params.groups);
        }
        resolved.storage_azs = Some(params.storage_azs.iter().map(|&az| name(az)).collect());
        resolved.instance_class.get_or_insert_with(|| DEFAULT_AURORA_CLASS.to_string());
        resolved.workers = Some(params.workers);
        resolved.max_connections = Some(params.max_connections as u32);
        Ok(resolved)
    }

    /// The writer and each replica, all of the one class; storage by GB-month (the volume:
    /// `volume_size`, else 10 GB per protection group); I/O requests per million (Aurora
    /// Standard): each read that misses the buffer cache (`cache_hit_ratio` of the
    /// configuration) one read I/O, each committed write one write I/O (a redo record of up
    /// to 4 KB; an assumption — AWS counts write I/Os in 4 KB units).
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        let class = self.instance_class.as_deref().unwrap_or(DEFAULT_AURORA_CLASS);
        let mut items = vec![BillableItem::instances(name, "writer", "aurora", class, 1.0)];
        if self.replicas > 0 {
            items.push(BillableItem::instances(name, "replicas", "aurora", class, f64::from(self.replicas)));
        }
        let bytes = match (self.volume_size, self.protection_groups) {
            (Some(size), _) => size.0 as f64,
            (None, groups) => f64::from(groups.unwrap_or(DEFAULT_PROTECTION_GROUPS)) * PROTECTION_GROUP_BYTES as f64,
        };
        items.push(BillableItem::Fixed {
            component: name.to_string(),
            what: "storage".into(),
            quantity: bytes / 1e9,
            unit: "GB-months".into(),
            price_key: "aurora.storage_gb_month".into(),
        });
        let miss = 1.0 - self.cache_hit_ratio.clamp(0.0, 1.0);
        for (what, metric, factor) in [
            ("read I/O (buffer-cache misses)", "read_throughput", miss),
            ("write I/O (one per commit)", "write_throughput", 1.0),
        ] {
            items.push(BillableItem::usage(
                name,
                what,
                format!("{name}.{metric}"),
                UsageScale::PerSecond,
                factor,
                1e6,
                "million I/O requests",
                "aurora.io_million",
            ));
        }
        items
    }
}

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
    /// Its active crash faults and slow factor.
    health: Health,
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
    epoch: u32,
    failover_pending: bool,
    recreate_pending: bool,
    recovery_pending: bool,
    /// What the cluster endpoint's DNS answered from when: (instance, incarnation).
    endpoint: EndpointHistory<(u32, u32)>,
    /// The instance each active crash fault on the `writer` role started on.
    role_crashes: FaultBindings,
    /// The instance each active slow fault on the `writer` role started on.
    role_slows: FaultBindings,
    commits: Slab<PendingCommit>,
    reads: Slab<PendingRead>,
    next_read_id: u64,
    next_reader: usize,
    /// Redo shipping to the replicas, in batches.
    redo: writes::RedoBatches,
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
            health: Health::default(),
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
        let metrics = Metrics::new(f64::from(storage.segments_available));
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
            endpoint: EndpointHistory::new((0, 0), ENDPOINT_HISTORY),
            role_crashes: FaultBindings::default(),
            role_slows: FaultBindings::default(),
            commits: Slab::new(),
            reads: Slab::new(),
            next_read_id: 0,
            next_reader: 0,
            redo: writes::RedoBatches::default(),
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

    /// True if an epoch-guarded timer was set in the current writer epoch.
    #[inline]
    fn epoch_is_current(&self, timer: &Timer) -> bool {
        timer.tag == self.epoch
    }
}

impl Component for Aurora {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        if self.replicas() > 0 {
            ctx.timer(self.params.redo_batch_interval, Timer::new(AuroraTimer::RedoFlush, 0, 0));
        }
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Timer(timer) => match timer.kind_as::<AuroraTimer>() {
                Some(AuroraTimer::PoolDepart) => self.on_departure(timer, ctx),
                Some(AuroraTimer::SegmentWriteDone) => self.on_segment_persisted(timer, ctx),
                Some(AuroraTimer::SegmentReadDone) => self.on_segment_read_done(timer, ctx),
                Some(AuroraTimer::ReadHedge) => self.on_read_hedge(timer, ctx),
                Some(AuroraTimer::SegmentRepair) => self.on_repair(timer, ctx),
                Some(AuroraTimer::RedoFlush) => self.on_redo_flush(ctx),
                Some(AuroraTimer::FailoverDone) if self.epoch_is_current(&timer) => self.on_failover_done(ctx),
                Some(AuroraTimer::RecreateDone) if self.epoch_is_current(&timer) => self.on_recreate_done(ctx),
                Some(AuroraTimer::RecoveryDone) if self.epoch_is_current(&timer) => self.on_recovery_done(ctx),
                // Set before the writer state last changed: stale.
                Some(AuroraTimer::FailoverDone | AuroraTimer::RecreateDone | AuroraTimer::RecoveryDone) => {}
                // Not a kind of Aurora's: ignored.
                None => {}
            },
            Message::Internal(internal) => match internal.kind_as::<AuroraInternal>() {
                Some(AuroraInternal::SegmentWrite) => {
                    self.on_segment_work(internal, AuroraTimer::SegmentWriteDone, ctx)
                }
                Some(AuroraInternal::SegmentAck) => self.on_ack(internal, ctx),
                Some(AuroraInternal::SegmentRead) => self.on_segment_work(internal, AuroraTimer::SegmentReadDone, ctx),
                Some(AuroraInternal::SegmentReadReply) => self.on_segment_read_reply(internal, ctx),
                Some(AuroraInternal::RedoShip) => self.on_redo_shipped(internal, ctx),
                // Not a kind of Aurora's: ignored.
                None => {}
            },
            Message::Fault(signal) => self.on_fault(signal, ctx),
            Message::Reply(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.metrics.begin_measurement(now);
        for instance in &mut self.instances {
            instance.pool.begin_measurement(now);
        }
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.metric_series_names(names);
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

//! Amazon ElastiCache: Redis OSS / Valkey (shards of a primary and replicas, Multi-AZ
//! automatic failover, optional persistence) and Memcached (independent nodes, no
//! replication, no persistence), used by an application through a caching strategy in front
//! of a relational database. Defaults and sources: [`ELASTICACHE_DOC`] (`stratus describe
//! elasticache`) and the constants of `config`.
//!
//! # What the component is
//! The component is the application's cache client together with the cache cluster. A
//! request from a workload (`Read` or `Write` of the workload's key) arrives at the client,
//! in the component's AZ. The client talks to the nodes by messages between instances
//! (`send_internal`), so each command pays the network between the client's AZ and the
//! node's, and to the backing database through the shared [`Caller`] (timeouts, retries,
//! DNS caching of `db_client`).
//!
//! # Keys, shards, nodes
//! A key is written as a decimal string and hashed to one of 16,384 slots by CRC16, as Redis
//! Cluster does; the slots are split into equal contiguous ranges over `shards` shards (one
//! shard without cluster mode). Memcached clients hash keys over nodes themselves (ketama in
//! most clients); the same slot ranges stand for that here. Each shard is a primary and
//! `replicas` replicas (Redis), each node a [`ServerPool`](crate::blocks::station::ServerPool) of `threads` servers with the
//! `service` time per command. Every command goes to the shard's primary. Replication to
//! replicas is not simulated message by message: a replica holds the primary's items (its
//! lag of a few milliseconds is left out), which is what a failover keeps.
//!
//! # Strategies
//! Reads are cache-aside under every strategy: GET; on a hit the value is returned; on a miss
//! the client reads the database, SETs the value with the TTL (drawn uniformly from
//! [`ttl`, `ttl + ttl_jitter`]) and answers after the SET (three trips, docs/models.md).
//! Writes: `lazy_loading` writes the database only; `write_through` writes the database,
//! then SETs the new value; `write_invalidate` writes the database, then DELetes the key.
//! Without coalescing every concurrent miss of a key reads the database (the thundering
//! herd); with `coalescing = true` the first miss fetches and the others wait for its value.
//! A node that refuses or does not answer (within `node_timeout`) counts as a cache error:
//! a read falls back to the database without SET; a write's SET or DEL is skipped.
//!
//! # Faults
//! Fault instances: `primary` and `replica-1`.. (one shard), `shard-<s>-primary` and
//! `shard-<s>-replica-<r>` (cluster mode), `node-<s>` (Memcached); role names name whoever
//! holds the role when the fault starts. A crashed node loses the commands it held and
//! refuses new ones. A primary failing with a live replica and `multi_az` is replaced by the
//! first live replica after `failover` (least lag: all replicas are equally current here);
//! the items survive; the client sends to the new primary from then on (as a cluster-aware
//! client following the shard's primary endpoint does; its DNS delay is not modelled). A
//! command reaching a node that is no longer primary is refused. When every node of a shard is down its items are lost (unless
//! `persistence`): the shard comes back empty and its hit ratio recovers as misses refill it.
//!
//! # Staleness
//! The backing database answers each successful request with the time it served it in
//! `Reply::tag` (nanoseconds + 1; for a write, its commit time). An item remembers the
//! database time its value reflects (`as_of`). When the client learns of a commit of a key
//! (a write's reply), the item of that key, if older, is marked overwritten at the commit
//! time; a hit on an overwritten item is a stale read, as old as the time since that commit.
//! This marking is measurement only: no node's behaviour depends on it. Commits are known
//! from their acknowledgement on, so a hit in the one network hop between the commit and its
//! acknowledgement reaching the client is not counted stale (an undercount of at most that
//! hop, ~0.1–0.6 ms per write).
//!
//! # Source layout
//! `config` parameters and the slot hash; `doc` `stratus describe`; `protocol` timers and
//! messages; `store` a shard's items and eviction; `client` the cache client's operations;
//! `nodes` the nodes, their faults and failover; `metrics` what is measured and reported.

mod client;
mod config;
mod doc;
mod key_index;
mod metrics;
mod nodes;
mod protocol;
mod store;

use rustc_hash::FxHashMap;

pub use config::{
    CachePlan, DEFAULT_ITEM_OVERHEAD, DEFAULT_MAXMEMORY_SAMPLES, DEFAULT_NODE_MEMORY, DEFAULT_NODE_TIMEOUT,
    DEFAULT_RESERVED_MEMORY_PERCENT, DEFAULT_SERVICE_SECS, DEFAULT_TTL, ElastiCacheConfig, Engine, FAILOVER_SECS,
    HASH_SLOTS, MAX_REPLICAS, MAX_SHARDS, Strategy, crc16, shard_of_slot, slot_of,
};
pub use doc::ELASTICACHE_DOC;
pub use store::{Policy, Sampling};

use self::client::{Fetch, PendingOp};
use self::metrics::Measures;
use self::nodes::Node;
use self::protocol::{CacheInternal, CacheTimer};
use self::store::Store;
use crate::blocks::caller::Caller;
use crate::blocks::health::FaultBindings;
use crate::blocks::slab::Slab;
use crate::blocks::station::Departure;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::BillableItem;
use crate::model::dist::{DistSpec, Seconds};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, InstanceInfo, Message, SpecError, Timer};
use crate::services::classes::DEFAULT_CACHE_CLASS;

impl KindConfig for ElastiCacheConfig {
    fn references(&self) -> Vec<(&'static str, &str)> {
        self.backing.as_deref().map(|name| ("backing", name)).into_iter().collect()
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        ElastiCacheConfig::dists_mut(self)
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(ElastiCache::new(name, self.plan(context)?)))
    }

    fn resolved(&self, context: &BuildContext<'_>, az_names: &[String]) -> Result<Self, SpecError> {
        let plan = self.plan(context)?;
        let name = |az: u16| az_names.get(az as usize).cloned().unwrap_or_default();
        let mut resolved = self.clone();
        resolved.threads = Some(plan.threads);
        resolved.node_memory = Some(crate::units::ByteSize(self.node_memory_bytes()?));
        resolved.instance_class.get_or_insert_with(|| DEFAULT_CACHE_CLASS.to_string());
        if plan.replicas > 0 {
            resolved.replica_azs = Some(plan.node_azs[1..=plan.replicas as usize].iter().map(|&az| name(az)).collect());
        }
        Ok(resolved)
    }

    /// Every node (shards × (1 + replicas); Memcached: its nodes) of the one node type.
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        let class = self.instance_class.as_deref().unwrap_or(DEFAULT_CACHE_CLASS);
        vec![BillableItem::instances(name, "cache nodes", "elasticache", class, f64::from(self.nodes()))]
    }

    fn events_per_request(&self, write_fraction: f64) -> f64 {
        // A hit: delivery, the GET to the node, its execution, the answer, the reply (5). A
        // miss adds the database call and its reply, the SET, its execution and answer (5
        // more); assume half the reads miss. A write: the call and its reply, and under
        // write-through or write-invalidate a command, its execution and answer.
        let read = 5.0 + 0.5 * 5.0;
        let write = 3.0 + if self.strategy == "lazy_loading" { 0.0 } else { 3.0 };
        (1.0 - write_fraction) * read + write_fraction * write
    }

    fn nanos_per_event(&self) -> f64 {
        // Measured on scenarios/elasticache-sizing.toml (release build): about 3.2 M events/s
        // per thread.
        300.0
    }
}

/// A running ElastiCache cluster and the application's cache client.
pub struct ElastiCache {
    name: String,
    plan: CachePlan,
    nodes: Vec<Node>,
    /// Per shard: its node indices, the primary first.
    shard_nodes: Vec<Vec<usize>>,
    /// Per shard: its items.
    stores: Vec<Store>,
    /// Per shard: bumped at each primary failure, carried by failover timers.
    epochs: Vec<u32>,
    /// Per shard: a failover is under way.
    failing_over: Vec<bool>,
    /// The node each active fault hit when it started.
    bindings: FaultBindings,
    /// Operations in progress, by slot.
    ops: Slab<PendingOp>,
    next_op: u64,
    /// Misses being fetched from the database, by key.
    fetches: FxHashMap<u64, Fetch>,
    /// Measurement: the latest commit time (ns) learned per written key.
    commits: FxHashMap<u64, u64>,
    db: Caller<u32>,
    /// Reused list of operations (fault handling).
    scratch: Vec<u32>,
    m: Measures,
}

impl ElastiCache {
    /// Builds the cluster from a checked plan.
    pub fn new(name: &str, plan: CachePlan) -> Self {
        let per_shard = 1 + plan.replicas as usize;
        let nodes: Vec<Node> =
            plan.node_azs.iter().enumerate().map(|(index, &az)| Node::new(index, az, &plan)).collect();
        let shard_nodes = (0..plan.shards as usize).map(|s| (s * per_shard..(s + 1) * per_shard).collect()).collect();
        let stores = (0..plan.shards).map(|_| Store::new(plan.capacity, plan.policy, plan.sampling)).collect();
        let db = Caller::new(plan.db_policy.clone(), plan.backing, CacheTimer::DbTimeout, CacheTimer::DbRetry);
        ElastiCache {
            name: name.to_string(),
            nodes,
            shard_nodes,
            stores,
            epochs: vec![0; plan.shards as usize],
            failing_over: vec![false; plan.shards as usize],
            bindings: FaultBindings::default(),
            ops: Slab::new(),
            next_op: 0,
            fetches: FxHashMap::default(),
            commits: FxHashMap::default(),
            db,
            scratch: Vec::new(),
            m: Measures::new(plan.shards as usize),
            plan,
        }
    }

    /// The shard holding `key`.
    fn shard_of(&self, key: u64) -> usize {
        if self.plan.shards == 1 { 0 } else { shard_of_slot(slot_of(key), self.plan.shards) as usize }
    }

    fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let Some(kind) = timer.kind_as::<CacheTimer>() else { return };
        match kind {
            CacheTimer::Node => {
                let node = timer.data as usize;
                if node < self.nodes.len()
                    && self.nodes[node].pool.owns(&timer)
                    && let Some(Departure::Request(command)) = self.nodes[node].pool.depart(timer, ctx)
                {
                    self.execute(node, command, ctx);
                }
            }
            CacheTimer::DbTimeout => {
                if let Some(outcome) = self.db.on_timeout(timer, ctx) {
                    self.on_db_outcome(outcome, ctx);
                }
            }
            CacheTimer::DbRetry => self.db.on_retry(timer, ctx),
            CacheTimer::NodeTimeout => self.on_node_timeout(timer, ctx),
            CacheTimer::Failover => self.on_failover(timer.slot as usize, timer.tag, ctx),
        }
    }
}

impl Component for ElastiCache {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.db.start(ctx.rng);
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Reply(reply) => {
                if let Some(outcome) = self.db.on_reply(reply, ctx) {
                    self.on_db_outcome(outcome, ctx);
                }
            }
            Message::Timer(timer) => self.on_timer(timer, ctx),
            Message::Internal(internal) => match internal.kind_as::<CacheInternal>() {
                Some(CacheInternal::Command) => self.on_command(internal, ctx),
                Some(CacheInternal::Answer) => self.on_answer(internal, ctx),
                None => {}
            },
            Message::Fault(signal) => self.on_fault(signal, ctx),
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
        self.instance_infos()
    }
}

#[cfg(test)]
mod tests;

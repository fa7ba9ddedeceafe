//! The `[[component]] kind = "elasticache"` table: parameters, documented defaults with their
//! sources, validation, and the checked [`CachePlan`] the component is built from.
//!
//! Every default names its source (docs/models.md, section "ElastiCache"); where AWS or the
//! engines publish no number the default is marked an assumption, here and in
//! `stratus describe elasticache`.

use serde::{Deserialize, Serialize};

use super::store::{Policy, Sampling};
use crate::blocks::caller::{ClientConfig, ClientPolicy};
use crate::engine::SimDuration;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::model::kind::BuildContext;
use crate::model::{ComponentId, SpecError, did_you_mean};
use crate::services::classes::{InstanceClass, Service, lookup};
use crate::units::{ByteSize, Duration};

/// Redis Cluster's hash slots: 16,384 (redis.io, "Redis cluster specification"; ECUG, cluster
/// mode: keys hashed to 16,384 slots spread over shards).
pub const HASH_SLOTS: u16 = 16_384;
/// Most shards of a cluster-mode cluster: 500 (ECUG, quotas: up to 500 shards per cluster).
pub const MAX_SHARDS: u32 = 500;
/// Most replicas per shard: 5 (ECUG: 1 primary + up to 5 replicas; docs/models.md).
pub const MAX_REPLICAS: u32 = 5;
/// Most nodes of a Memcached cluster: 60 (ECUG, quotas: 60 nodes per Memcached cluster).
pub const MAX_MEMCACHED_NODES: u32 = 60;
/// Memory of one node: 13 GiB, a cache.r7g.large (13.07 GiB, ECUG supported node types)
/// rounded down to a whole GiB.
pub const DEFAULT_NODE_MEMORY: u64 = 13 << 30;
/// Share of a Redis node's memory reserved for non-data use (replication buffers, forks for
/// snapshots): 25%, the default `reserved-memory-percent` (ECUG, "Managing reserved memory").
/// Memcached has no such parameter; it is applied to both engines here.
pub const DEFAULT_RESERVED_MEMORY_PERCENT: f64 = 25.0;
/// Memory one item takes beyond its value: 80 B. Assumption from Redis's object layout: a
/// hash-table entry (24 B), the key's string with its header (~12 B for an 8-digit key), the
/// value object header (16 B) and an entry in the expires table (24 B), rounded up by the
/// allocator. Memcached's item header is 48–56 B plus the key (memcached wiki, "Memory
/// management"), of the same order.
pub const DEFAULT_ITEM_OVERHEAD: u32 = 80;
/// Keys sampled per eviction: 5, Redis's default `maxmemory-samples` (redis.io, "Key
/// eviction").
pub const DEFAULT_MAXMEMORY_SAMPLES: u32 = 5;
/// TTL of cached values: 300 s, the ElastiCache documentation's example (ECUG, caching
/// strategies, "Adding TTL"; docs/models.md: "always set one").
pub const DEFAULT_TTL: SimDuration = SimDuration::from_secs(300);
/// Mean time a node spends executing one command: 10 µs, exponential. Assumption: a single
/// Redis thread serves on the order of 100,000 simple GET/SET commands per second
/// (redis.io, "Redis benchmark"), which with the 0.3 ms in-AZ round trip keeps operations
/// sub-millisecond (docs/models.md).
pub const DEFAULT_SERVICE_SECS: f64 = 10e-6;
/// Command threads of a Redis node: 1 (Redis executes commands on one thread; redis.io,
/// "Redis benchmark", pitfalls).
pub const REDIS_THREADS: u32 = 1;
/// Worker threads of a Memcached node: 4 (memcached `-t`, default 4; memcached wiki).
pub const MEMCACHED_THREADS: u32 = 4;
/// Multi-AZ automatic failover, detection plus promotion of the replica: uniform on
/// [2 s, 6 s]. ECUG: writes resume "in a few seconds" (docs/models.md); the range is an
/// assumption.
pub const FAILOVER_SECS: (f64, f64) = (2.0, 6.0);
/// The cache client's socket timeout toward a node that does not answer: 1 s. Assumption
/// (redis-py and most clients leave it to the application; 1 s is a common setting).
pub const DEFAULT_NODE_TIMEOUT: SimDuration = SimDuration::from_secs(1);

/// The cache's engine.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Redis OSS or Valkey: shards with replicas, failover, optional persistence.
    Redis,
    /// Memcached: independent nodes, no replication, no persistence.
    Memcached,
}

/// How the application uses the cache.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Cache-aside: reads GET, and on a miss read the database and SET with the TTL; writes
    /// go to the database only.
    LazyLoading,
    /// Reads as lazy loading; each write updates the database, then SETs the cache.
    WriteThrough,
    /// Reads as lazy loading; each write updates the database, then DELetes the key.
    WriteInvalidate,
}

impl Strategy {
    /// Every strategy with its scenario name.
    pub const ALL: [(Strategy, &'static str); 3] = [
        (Strategy::LazyLoading, "lazy_loading"),
        (Strategy::WriteThrough, "write_through"),
        (Strategy::WriteInvalidate, "write_invalidate"),
    ];
}

/// The parameters of an `elasticache` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ElastiCacheConfig {
    /// `redis` (Redis OSS / Valkey) or `memcached`.
    #[serde(default = "default_engine")]
    pub engine: String,
    /// The database read on a miss and written by writes (an `rds` or `aurora` component).
    pub backing: Option<String>,
    /// `lazy_loading`, `write_through` or `write_invalidate`.
    #[serde(default = "default_strategy")]
    pub strategy: String,
    /// Redis cluster mode: keys hashed to 16,384 slots over `shards` shards.
    #[serde(default)]
    pub cluster_mode: bool,
    /// Shards (cluster mode) or nodes (Memcached).
    #[serde(default = "one")]
    pub shards: u32,
    /// Replicas per shard (Redis only).
    #[serde(default)]
    pub replicas: u32,
    /// Automatic failover to a replica when a primary fails (Redis, with replicas).
    #[serde(default = "yes")]
    pub multi_az: bool,
    /// A Redis node restarted after a crash reloads its data (AOF/RDB) instead of starting
    /// empty.
    #[serde(default)]
    pub persistence: bool,
    /// Node type of every node (`cache.r7g.large`): sets `node_memory` (the type's memory),
    /// Memcached's `threads` (its vCPUs) and the price. None: billed as
    /// [`DEFAULT_CACHE_CLASS`](crate::services::classes::DEFAULT_CACHE_CLASS), the model on its
    /// own defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    /// Memory of each node; default the node type's, else 13 GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_memory: Option<ByteSize>,
    /// Share of node memory reserved for non-data use (percent).
    #[serde(default = "default_reserved")]
    pub reserved_memory_percent: f64,
    /// Bytes each item takes beyond its value.
    #[serde(default = "default_overhead")]
    pub item_overhead: ByteSize,
    /// Eviction policy (Redis names: volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu,
    /// volatile-ttl, volatile-random, allkeys-random, noeviction).
    #[serde(default = "default_policy")]
    pub eviction: String,
    /// `sampled` (as Redis does) or `exact` (LRU policies only).
    #[serde(default = "default_sampling")]
    pub eviction_sampling: String,
    /// Keys sampled per eviction.
    #[serde(default = "default_samples")]
    pub maxmemory_samples: u32,
    /// TTL set on every SET; `0` for none.
    #[serde(default = "default_ttl")]
    pub ttl: Duration,
    /// Each TTL is drawn uniformly from [ttl, ttl + ttl_jitter].
    #[serde(default)]
    pub ttl_jitter: Duration,
    /// Concurrent misses on one key share one database read (request coalescing).
    #[serde(default)]
    pub coalescing: bool,
    /// Time a node takes to execute one command.
    #[serde(default = "default_service")]
    pub service: DistSpec<Seconds>,
    /// Command threads per node (default by engine: 1 for Redis, 4 for Memcached).
    pub threads: Option<u32>,
    /// Detection and promotion of a replica when a primary fails.
    #[serde(default = "default_failover")]
    pub failover: DistSpec<Seconds>,
    /// How long the cache client waits for a node that does not answer.
    #[serde(default = "default_node_timeout")]
    pub node_timeout: Duration,
    /// AZ of each replica rank (default: the AZs after the cache's own, in turn).
    pub replica_azs: Option<Vec<String>>,
    /// How the cache client calls the database: timeouts, retries, DNS caching.
    #[serde(default)]
    pub db_client: ClientConfig,
}

fn default_engine() -> String {
    "redis".into()
}
fn default_strategy() -> String {
    "lazy_loading".into()
}
fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}
impl ElastiCacheConfig {
    /// The node type named by `instance_class`, if any (an unknown one is an error there).
    pub fn class(&self) -> Result<Option<&'static InstanceClass>, SpecError> {
        match &self.instance_class {
            Some(name) => Ok(Some(lookup(Service::ElastiCache, name, "instance_class")?)),
            None => Ok(None),
        }
    }

    /// Bytes of memory per node: `node_memory`, else the node type's, else 13 GiB.
    pub fn node_memory_bytes(&self) -> Result<u64, SpecError> {
        Ok(match (self.node_memory, self.class()?) {
            (Some(ByteSize(bytes)), _) => bytes,
            (None, Some(class)) => (class.memory_gib * f64::from(1u32 << 30)) as u64,
            (None, None) => default_node_memory().0,
        })
    }

    /// Nodes of the cluster: shards (1 for Redis without cluster mode) × (1 + replicas).
    pub fn nodes(&self) -> u32 {
        let shards = if self.engine != "memcached" && !self.cluster_mode { 1 } else { self.shards };
        shards * (1 + self.replicas)
    }
}

fn default_node_memory() -> ByteSize {
    ByteSize(DEFAULT_NODE_MEMORY)
}
fn default_reserved() -> f64 {
    DEFAULT_RESERVED_MEMORY_PERCENT
}
fn default_overhead() -> ByteSize {
    ByteSize(u64::from(DEFAULT_ITEM_OVERHEAD))
}
fn default_policy() -> String {
    // ElastiCache's default maxmemory-policy: volatile-lru (ECUG, Redis parameters;
    // docs/models.md).
    "volatile-lru".into()
}
fn default_sampling() -> String {
    "sampled".into()
}
fn default_samples() -> u32 {
    DEFAULT_MAXMEMORY_SAMPLES
}
fn default_ttl() -> Duration {
    Duration(DEFAULT_TTL)
}
fn default_service() -> DistSpec<Seconds> {
    DistSpec::exponential(DEFAULT_SERVICE_SECS)
}
fn default_failover() -> DistSpec<Seconds> {
    DistSpec::uniform(FAILOVER_SECS.0, FAILOVER_SECS.1)
}
fn default_node_timeout() -> Duration {
    Duration(DEFAULT_NODE_TIMEOUT)
}

/// The checked parameters of an `elasticache` component.
#[derive(Clone, Debug)]
pub struct CachePlan {
    /// Engine.
    pub engine: Engine,
    /// The backing database.
    pub backing: ComponentId,
    /// Strategy.
    pub strategy: Strategy,
    /// Shards (1 without cluster mode; nodes for Memcached).
    pub shards: u32,
    /// Replicas per shard.
    pub replicas: u32,
    /// Automatic failover.
    pub multi_az: bool,
    /// Restarted nodes keep their data.
    pub persistence: bool,
    /// Bytes for items per shard (maxmemory).
    pub capacity: u64,
    /// Per-item overhead.
    pub item_overhead: u32,
    /// Eviction policy.
    pub policy: Policy,
    /// Eviction sampling.
    pub sampling: Sampling,
    /// TTL (None: no expiry).
    pub ttl: Option<SimDuration>,
    /// TTL jitter.
    pub ttl_jitter: SimDuration,
    /// Coalescing.
    pub coalescing: bool,
    /// Command time.
    pub service: Dist,
    /// Threads per node.
    pub threads: u32,
    /// Failover time.
    pub failover: Dist,
    /// Client timeout toward nodes.
    pub node_timeout: SimDuration,
    /// The cache client's AZ.
    pub client_az: u16,
    /// AZ of each node, shard by shard: primary, then replicas.
    pub node_azs: Vec<u16>,
    /// The client policy toward the database.
    pub db_policy: ClientPolicy,
}

impl ElastiCacheConfig {
    /// Every duration distribution with its field path.
    pub fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        vec![("service".into(), &mut self.service), ("failover".into(), &mut self.failover)]
    }

    /// Checks every parameter and builds the plan.
    pub fn plan(&self, context: &BuildContext<'_>) -> Result<CachePlan, SpecError> {
        let engine = match self.engine.as_str() {
            "redis" | "valkey" => Engine::Redis,
            "memcached" => Engine::Memcached,
            other => {
                return Err(SpecError::new(
                    "engine",
                    format!(
                        "unknown engine `{other}`, expected `redis` (or `valkey`) or `memcached`{}",
                        did_you_mean(other, ["redis", "valkey", "memcached"])
                    ),
                ));
            }
        };
        let backing_name = self.backing.as_deref().ok_or_else(|| {
            SpecError::new(
                "",
                "an elasticache component needs `backing`, the database read on a miss (an rds or aurora component)",
            )
        })?;
        let backing = (context.resolve)(backing_name)
            .ok_or_else(|| SpecError::new("backing", format!("no component named `{backing_name}`")))?;
        let strategy = Strategy::ALL.iter().find(|(_, n)| *n == self.strategy).map(|(s, _)| *s).ok_or_else(|| {
            SpecError::new(
                "strategy",
                format!(
                    "unknown strategy `{}`, expected `lazy_loading`, `write_through` or `write_invalidate`{}",
                    self.strategy,
                    did_you_mean(&self.strategy, Strategy::ALL.iter().map(|(_, n)| *n))
                ),
            )
        })?;
        if self.shards == 0 {
            return Err(SpecError::new("shards", "at least 1 shard (or Memcached node) is needed"));
        }
        match engine {
            Engine::Redis => {
                if !self.cluster_mode && self.shards > 1 {
                    return Err(SpecError::new(
                        "shards",
                        format!(
                            "{} shards need `cluster_mode = true` (without it a Redis cluster has one shard)",
                            self.shards
                        ),
                    ));
                }
                if self.shards > MAX_SHARDS {
                    return Err(SpecError::new(
                        "shards",
                        format!("at most {MAX_SHARDS} shards, found {}", self.shards),
                    ));
                }
                if self.replicas > MAX_REPLICAS {
                    return Err(SpecError::new(
                        "replicas",
                        format!("at most {MAX_REPLICAS} replicas per shard, found {}", self.replicas),
                    ));
                }
            }
            Engine::Memcached => {
                for (field, given) in [
                    ("replicas", self.replicas > 0),
                    ("persistence", self.persistence),
                    ("cluster_mode", self.cluster_mode),
                ] {
                    if given {
                        return Err(SpecError::new(
                            field,
                            format!(
                                "`{field}` does not apply to Memcached (no replication, no persistence; nodes are `shards`)"
                            ),
                        ));
                    }
                }
                if self.shards > MAX_MEMCACHED_NODES {
                    return Err(SpecError::new(
                        "shards",
                        format!("at most {MAX_MEMCACHED_NODES} Memcached nodes, found {}", self.shards),
                    ));
                }
            }
        }
        if !(0.0..100.0).contains(&self.reserved_memory_percent) {
            return Err(SpecError::new(
                "reserved_memory_percent",
                format!("must be in [0, 100), found {}", self.reserved_memory_percent),
            ));
        }
        let capacity = (self.node_memory_bytes()? as f64 * (1.0 - self.reserved_memory_percent / 100.0)).floor() as u64;
        if capacity == 0 {
            return Err(SpecError::new("node_memory", "leaves no memory for items"));
        }
        let item_overhead =
            u32::try_from(self.item_overhead.0).map_err(|_| SpecError::new("item_overhead", "must be below 4 GiB"))?;
        let policy = Policy::from_name(&self.eviction).ok_or_else(|| {
            SpecError::new(
                "eviction",
                format!(
                    "unknown eviction policy `{}`, expected one of {}{}",
                    self.eviction,
                    Policy::ALL.iter().map(|(_, n)| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                    did_you_mean(&self.eviction, Policy::ALL.iter().map(|(_, n)| *n))
                ),
            )
        })?;
        if engine == Engine::Memcached && policy != Policy::AllKeysLru {
            return Err(SpecError::new(
                "eviction",
                format!("Memcached evicts by LRU only: use eviction = \"allkeys-lru\", found `{}`", self.eviction),
            ));
        }
        if !(1..=64).contains(&self.maxmemory_samples) {
            return Err(SpecError::new(
                "maxmemory_samples",
                format!("must be between 1 and 64 (Redis's range), found {}", self.maxmemory_samples),
            ));
        }
        let sampling = match self.eviction_sampling.as_str() {
            "sampled" => Sampling::Sampled(self.maxmemory_samples),
            "exact" if policy.is_lru() => Sampling::Exact,
            "exact" => {
                return Err(SpecError::new(
                    "eviction_sampling",
                    format!("exact eviction is implemented for the LRU policies only, not `{}`", self.eviction),
                ));
            }
            other => {
                return Err(SpecError::new(
                    "eviction_sampling",
                    format!("unknown eviction sampling `{other}`, expected `sampled` or `exact`"),
                ));
            }
        };
        let threads = self.threads.unwrap_or(match (engine, self.class()?) {
            (Engine::Redis, _) => REDIS_THREADS,
            (Engine::Memcached, Some(class)) => class.vcpus,
            (Engine::Memcached, None) => MEMCACHED_THREADS,
        });
        if !(1..=256).contains(&threads) {
            return Err(SpecError::new("threads", format!("must be between 1 and 256, found {threads}")));
        }
        if self.node_timeout.get() == SimDuration::ZERO {
            return Err(SpecError::new("node_timeout", "must be positive"));
        }
        let own = context.own_az;
        let az_count = context.az_count.max(1);
        let replica_azs: Vec<u16> = match &self.replica_azs {
            Some(names) => {
                if names.len() != self.replicas as usize {
                    return Err(SpecError::new(
                        "replica_azs",
                        format!("names {} AZs for {} replicas", names.len(), self.replicas),
                    ));
                }
                names
                    .iter()
                    .map(|name| {
                        (context.az_index)(name)
                            .ok_or_else(|| SpecError::new("replica_azs", format!("unknown availability zone `{name}`")))
                    })
                    .collect::<Result<_, _>>()?
            }
            None => (1..=self.replicas).map(|r| ((u32::from(own) + r) % u32::from(az_count)) as u16).collect(),
        };
        let mut node_azs = Vec::new();
        for _ in 0..self.shards {
            node_azs.push(own);
            node_azs.extend(&replica_azs);
        }
        Ok(CachePlan {
            engine,
            backing,
            strategy,
            shards: if engine == Engine::Redis && !self.cluster_mode { 1 } else { self.shards },
            replicas: self.replicas,
            multi_az: self.multi_az,
            persistence: self.persistence,
            capacity,
            item_overhead,
            policy,
            sampling,
            ttl: (self.ttl.get() > SimDuration::ZERO).then(|| self.ttl.get()),
            ttl_jitter: self.ttl_jitter.get(),
            coalescing: self.coalescing,
            service: self.service.build().map_err(|e| e.within("service"))?,
            threads,
            failover: self.failover.build().map_err(|e| e.within("failover"))?,
            node_timeout: self.node_timeout.get(),
            client_az: own,
            node_azs,
            db_policy: self.db_client.build().map_err(|e| e.within("db_client"))?,
        })
    }
}

/// CRC16 of `data` as Redis Cluster computes it (CRC-16/XMODEM: polynomial 0x1021, initial
/// value 0; redis.io, "Redis cluster specification", appendix A).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// The hash slot of a workload key: CRC16 of the key written as a decimal string, modulo
/// 16,384 (no hash tags: the key has no braces).
pub fn slot_of(key: u64) -> u16 {
    let mut buffer = [0u8; 20];
    let mut n = key;
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    crc16(&buffer[start..]) % HASH_SLOTS
}

/// The shard owning `slot` when `shards` shards split the slots into equal contiguous ranges
/// (as ElastiCache distributes them by default).
pub fn shard_of_slot(slot: u16, shards: u32) -> u32 {
    (u32::from(slot) * shards) / u32::from(HASH_SLOTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check value of CRC-16/XMODEM, and Redis's own examples (`CLUSTER KEYSLOT`).
    #[test]
    fn crc16_and_slots_match_redis() {
        assert_eq!(crc16(b"123456789"), 0x31C3, "CRC-16/XMODEM check value");
        assert_eq!(slot_of(0), crc16(b"0") % HASH_SLOTS);
        // 0x31C3 = 12739 < 16384: the slot of the key "123456789".
        assert_eq!(crc16(b"123456789") % HASH_SLOTS, 12739);
        assert_eq!(shard_of_slot(0, 3), 0);
        assert_eq!(shard_of_slot(HASH_SLOTS - 1, 3), 2);
        // Keys spread evenly over shards: 30,000 keys over 3 shards, each within 3% of 10,000.
        let mut counts = [0u32; 3];
        for key in 0..30_000 {
            counts[shard_of_slot(slot_of(key), 3) as usize] += 1;
        }
        for count in counts {
            assert!((9_700..10_300).contains(&count), "{counts:?}");
        }
    }
}

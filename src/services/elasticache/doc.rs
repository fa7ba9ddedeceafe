//! `stratus describe elasticache`: the parameters of an `elasticache` component, what each
//! means and where its default comes from (the values themselves are the configuration's, in
//! `config.rs`), and the metrics it reports.

use crate::model::{KindDoc, ParamDoc};

/// `stratus describe elasticache`.
pub const ELASTICACHE_DOC: KindDoc = KindDoc {
    kind: "elasticache",
    summary: "Amazon ElastiCache (Redis OSS / Valkey, Memcached) with the application's cache \
              client, in front of `backing` (an rds or aurora component). Workload `Read`s are \
              cache-aside under every strategy (GET; on a miss read the database, SET with the \
              TTL, answer); `Write`s: lazy_loading writes the database only, write_through then \
              SETs the value, write_invalidate then DELetes the key. Keys (as decimal strings) \
              hash by CRC16 to 16,384 slots split over `shards`; each shard is a primary with \
              `replicas`, each node a ServerPool. Memory per shard = node_memory less the \
              reserved share; items take value size + item_overhead; eviction by Redis's \
              policies, sampled as Redis does (5 keys into a pool of 16) or exact LRU. \
              Concurrent misses of a key all read the database unless `coalescing`. Faults: a \
              primary with a live replica fails over after `failover` (items kept); a shard \
              with no live node loses its items (cold start) unless `persistence`. Fault \
              instances: `primary`, `replica-1`.. (one shard), `shard-<s>-primary`, \
              `shard-<s>-replica-<r>` (cluster mode), `node-<s>` (memcached). Staleness: the \
              database's replies carry the time it served them; a hit on an item older than a \
              commit the client has learned of is a stale read. Billed (cost): shards × (1 + replicas) node-hours of `instance_class`.",
    params: &[
        ParamDoc {
            name: "engine",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "redis (or valkey) | memcached",
            source: "ECUG; docs/models.md",
        },
        ParamDoc {
            name: "backing",
            default: "required",
            unit: "component name",
            meaning: "database read on a miss and written by writes (rds or aurora)",
            source: "-",
        },
        ParamDoc {
            name: "strategy",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "lazy_loading | write_through | write_invalidate",
            source: "ECUG caching strategies; docs/models.md",
        },
        ParamDoc {
            name: "cluster_mode",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "Redis cluster mode: keys hashed to 16,384 slots over `shards`",
            source: "ECUG; redis.io cluster specification",
        },
        ParamDoc {
            name: "shards",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "shards (cluster mode, up to 500) or Memcached nodes (up to 60)",
            source: "ECUG quotas",
        },
        ParamDoc {
            name: "replicas",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "replicas per shard (Redis, 0..5)",
            source: "ECUG: 1 primary + up to 5 replicas; docs/models.md",
        },
        ParamDoc {
            name: "multi_az",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "automatic failover to a live replica when a primary fails",
            source: "ECUG Multi-AZ",
        },
        ParamDoc {
            name: "persistence",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "a Redis shard whose nodes all fail keeps its items (AOF/RDB reload)",
            source: "ECUG: persistence is optional and off by default",
        },
        ParamDoc {
            name: "instance_class",
            default: "none: billed as cache.r7g.large, the model on the defaults of node_memory and threads",
            unit: "node type",
            meaning: "node type of every node (cache.t4g.medium, cache.m6g/m7g/r6g/r7g.large..4xlarge): sets node_memory (the type's memory, e.g. 13.07 GiB for cache.r7g.large), Memcached's threads (its vCPUs) and the node-hour price (us-east-1 On-Demand, Redis OSS: cache.r7g.large $0.219/h, cache.r6g.large $0.206/h); explicit parameters override; unknown types are an error",
            source: "ElastiCache pricing page (2025), ECUG supported node types; docs/models.md \"Instance classes and prices\"",
        },
        ParamDoc {
            name: "node_memory",
            default: "the node type's memory, else 13GiB",
            unit: "size",
            meaning: "memory of each node",
            source: "ECUG node types: cache.r7g.large (13.07 GiB), rounded down",
        },
        ParamDoc {
            name: "reserved_memory_percent",
            default: ParamDoc::FROM_CONFIG,
            unit: "percent",
            meaning: "share of node memory not available to items",
            source: "ECUG, managing reserved memory: default 25%",
        },
        ParamDoc {
            name: "item_overhead",
            default: ParamDoc::FROM_CONFIG,
            unit: "size",
            meaning: "memory per item beyond its value (value size = the request's size)",
            source: "assumption from Redis's object layout (dict entry, key, object header, expires entry)",
        },
        ParamDoc {
            name: "eviction",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "volatile-lru | allkeys-lru | volatile-lfu | allkeys-lfu | volatile-ttl | volatile-random | allkeys-random | noeviction (writes fail when full); Memcached: allkeys-lru",
            source: "ECUG default maxmemory-policy volatile-lru; redis.io key eviction",
        },
        ParamDoc {
            name: "eviction_sampling",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "sampled (Redis's approximation, with its pool of 16 candidates) | exact (LRU only)",
            source: "redis.io key eviction",
        },
        ParamDoc {
            name: "maxmemory_samples",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "keys sampled per eviction",
            source: "redis.io key eviction: maxmemory-samples 5",
        },
        ParamDoc {
            name: "ttl",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "TTL of every SET (0: none); hits do not refresh it",
            source: "ECUG caching strategies example: 300 s; docs/models.md",
        },
        ParamDoc {
            name: "ttl_jitter",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "each TTL uniform on [ttl, ttl + ttl_jitter]",
            source: "docs/models.md: add jitter so hot keys do not expire together",
        },
        ParamDoc {
            name: "coalescing",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "concurrent misses of a key share one database read",
            source: "-",
        },
        ParamDoc {
            name: "service",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time a node takes to execute one command",
            source: "assumption (~100k commands/s per Redis thread, redis.io benchmarks); sub-millisecond operations, docs/models.md",
        },
        ParamDoc {
            name: "threads",
            default: "by engine: 1 (redis), 4 (memcached; with instance_class its vCPUs)",
            unit: "count",
            meaning: "command threads per node (servers of its ServerPool)",
            source: "redis.io (single-threaded command execution); memcached -t default 4",
        },
        ParamDoc {
            name: "failover",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "detection and promotion of a replica after a primary fails",
            source: "ECUG: \"a few seconds\" (docs/models.md); range an assumption",
        },
        ParamDoc {
            name: "node_timeout",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "how long the cache client waits for a node that does not answer",
            source: "assumption (a common client socket timeout)",
        },
        ParamDoc {
            name: "replica_azs",
            default: "the AZs after the cache's own, in turn",
            unit: "AZ names",
            meaning: "AZ of each replica rank (primaries are in the component's AZ)",
            source: "-",
        },
        ParamDoc {
            name: "db_client",
            default: ParamDoc::FROM_CONFIG,
            unit: "table",
            meaning: "timeouts, retries and DNS caching of the calls to the database (see `stratus describe client`)",
            source: "see client",
        },
    ],
    metrics: &[
        "<name>.hit_ratio (fraction): hits / reads",
        "<name>.reads, .hits, .misses (requests); .cache_errors: GETs refused or timed out (read from the database, no SET)",
        "<name>.db_reads (requests), .db_read_rate (per_s), .db_read_fraction: the database reads the cache caused (the load not taken off)",
        "<name>.read_latency, .hit_latency, .miss_latency, .write_latency (ms): arrival at the client to reply",
        "<name>.stale_reads (requests), .stale_read_fraction (of reads), .staleness (ms): hits on a value older than a known commit, and by how long",
        "<name>.evictions (events), .set_refused (requests: SETs refused when full), .memory_used (fraction of maxmemory, time-average)",
        "<name>.herd_on_expiry, .herd_on_expiry_max (requests): misses per fetch episode begun by an expired item; .herd, .herd_max over all episodes; .fetches, .expiry_fetches (events: episodes, all and begun by an expiry); .coalesced (requests that waited for another's read)",
        "<name>.failovers (events), .items_lost (requests: items lost with their shard), .node_timeouts, .db_failures, .failed, .db_retries",
        "<name>.node.*: the first shard's primary's ServerPool (response_time, utilization, ...)",
        "series: <name>.hit_ratio, .db_reads_per_s, .memory_used_mib, .evictions_per_s, .stale_read_fraction",
    ],
};

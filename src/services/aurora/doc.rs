//! `stratus describe aurora`: the parameters of an `aurora` component, what each means and
//! where its default comes from (the default values themselves are the configuration's, in
//! `config.rs`), and the metrics it reports.

use crate::model::{KindDoc, ParamDoc};

/// `stratus describe aurora`.
pub const AURORA_DOC: KindDoc = KindDoc {
    kind: "aurora",
    summary: "An Aurora cluster: a writer and 0-15 replicas (each a pool of worker slots with \
              a queue, placed in AZs) over one shared storage volume of 10 GB protection \
              groups, each with 6 segments, 2 in each of 3 AZs (V17 §2). A write's redo goes \
              to all 6 segments and commits on the 4th ack (V17 §2.1), so commit latency is \
              the 4th order statistic of six round trips. Reads hit the cache or read one \
              up-to-date segment, nearest first, hedging to another if it is slow (V18 §3.1). \
              Failed segments re-replicate; an AZ loss keeps writes going, AZ + 1 segment \
              stalls the group's writes (they wait) but loses no data. Writer failure: \
              failover to the highest-priority replica, or re-creation, then crash recovery \
              (needs a read quorum per group) and a DNS switch of the cluster endpoint; \
              clients with a cached old address keep reaching the old writer until their \
              DNS TTL expires. Replicas get redo shipped from the writer (replica lag). \
              Instances for faults: `writer` (whichever instance is the writer when the fault \
              starts), `replica-1`..`replica-N` (by initial role), `segment-<group>-<0..5>` \
              (segments 0,1 in the first storage AZ, 2,3 the second, 4,5 the third; \
              `lose_segments` selects `segment-*` by default). Billed (cost): writer + replicas as instance-hours of `instance_class`, storage GB-months, I/O per million (cache misses + commits, measured).",
    params: &[
        ParamDoc {
            name: "az",
            default: "first AZ",
            unit: "AZ name",
            meaning: "the writer's AZ (and where clients reach the cluster)",
            source: "-",
        },
        ParamDoc {
            name: "replicas",
            default: ParamDoc::FROM_CONFIG,
            unit: "count 0-15",
            meaning: "Aurora Replicas (readers, failover targets)",
            source: "AUG; docs/models.md Aurora: up to 15 replicas",
        },
        ParamDoc {
            name: "replica_azs",
            default: "storage AZs after the writer's, in turn",
            unit: "list of AZ names (cycled)",
            meaning: "AZ of replica 1, 2, ...",
            source: "assumption (spread over AZs)",
        },
        ParamDoc {
            name: "priority",
            default: "tier 1 each",
            unit: "list of tiers 0-15",
            meaning: "promotion tier of replica 1, 2, ...; the lowest tier is promoted, ties to the lower number; the first writer, back as a replica, is tier 1",
            source: "AUG promotion tiers; default tier 1 is an assumption",
        },
        ParamDoc {
            name: "instance_class",
            default: "none: billed as db.r6g.8xlarge, the model on the defaults of workers and max_connections",
            unit: "class name",
            meaning: "class of the writer and every replica (db.t4g.medium, db.r6g/db.r7g.large..8xlarge): sets workers = vCPUs, max_connections (Aurora MySQL: 90 medium, 1000 large .. 5000 8xlarge; PostgreSQL LEAST(memory/9531392, 5000)) and the instance-hour price (us-east-1 On-Demand, Aurora Standard: db.r6g.large $0.26/h, db.r7g.large $0.276/h, linear in size); explicit parameters override; unknown classes are an error",
            source: "Aurora pricing page (2025); AUG, Maximum connections to an Aurora MySQL DB instance; docs/models.md \"Instance classes and prices\"",
        },
        ParamDoc {
            name: "engine",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "mysql | postgresql: which max_connections default a class gives",
            source: "AUG; RDSUG, Maximum number of database connections",
        },
        ParamDoc {
            name: "workers",
            default: "the class's vCPUs, else 32",
            unit: "count",
            meaning: "worker slots per instance (requests served in parallel)",
            source: "assumption: one request per vCPU; 32, the vCPUs of the r3.8xlarge of V17 §6.1",
        },
        ParamDoc {
            name: "read_service",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "CPU time of a read on an instance",
            source: "32 workers / ~600k reads/s on r3.8xlarge (V17 §6.1); shape assumption",
        },
        ParamDoc {
            name: "write_service",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "CPU time of a write on the writer, before its commit (the worker is freed; the commit is asynchronous)",
            source: "32 workers / ~121k writes/s on r3.8xlarge (V17 §6.1); shape assumption",
        },
        ParamDoc {
            name: "queue_limit",
            default: "unbounded",
            unit: "requests",
            meaning: "most requests waiting for a worker per instance; beyond it: rejected",
            source: "-",
        },
        ParamDoc {
            name: "max_connections",
            default: "the class's default, else 16000",
            unit: "requests",
            meaning: "requests an instance holds at once (queued, in service, awaiting a commit or a segment read); beyond it: rejected",
            source: "assumption (order of Aurora MySQL max_connections on large instances)",
        },
        ParamDoc {
            name: "cache_hit_ratio",
            default: ParamDoc::FROM_CONFIG,
            unit: "fraction",
            meaning: "reads answered by the buffer cache; the rest read one segment",
            source: "assumption; calibrate with BufferCacheHitRatio",
        },
        ParamDoc {
            name: "cache_warmup",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "a re-created writer's hit ratio ramps from 0 over this; restarts and promoted replicas stay warm",
            source: "assumption (AUG: the page cache survives restarts)",
        },
        ParamDoc {
            name: "read_routing",
            default: ParamDoc::FROM_CONFIG,
            unit: "writer | replicas | round_robin",
            meaning: "reads go to the cluster endpoint, the reader endpoint (replicas in turn, the writer if none is up), or every up instance in turn",
            source: "-",
        },
        ParamDoc {
            name: "protection_groups",
            default: "10 (a 100 GB volume)",
            unit: "count",
            meaning: "10 GB protection groups; a request's group is key mod groups",
            source: "10 GB per group: V17 §2; the volume size is an assumption",
        },
        ParamDoc {
            name: "volume_size",
            default: "100GB",
            unit: "size",
            meaning: "alternative to protection_groups: groups = ceil(size / 10 GB)",
            source: "V17 §2 (10 GB groups); size assumption",
        },
        ParamDoc {
            name: "storage_azs",
            default: "the topology's first 3 AZs",
            unit: "3 AZ names",
            meaning: "AZs of the segments, 2 per AZ (needs >= 3 AZs in [topology])",
            source: "V17 §2",
        },
        ParamDoc {
            name: "segment_latency",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time a segment takes to persist a redo record or serve a page, network excluded; each segment draws its own",
            source: "assumption (no published figure)",
        },
        ParamDoc {
            name: "read_hedge",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "a segment read not answered by then is also sent to the next segment; the slow segment is avoided for 1 s",
            source: "V18 §3.1 (mechanism); 5 ms is an assumption",
        },
        ParamDoc {
            name: "repair",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "re-replicate a failed segment; false: it returns only when its fault ends",
            source: "V17 §2.2",
        },
        ParamDoc {
            name: "repair_gbps",
            default: ParamDoc::FROM_CONFIG,
            unit: "Gbit/s",
            meaning: "re-replication rate: repair time = segment size / rate (10 GB in 10 s)",
            source: "V17 §2.2: 10 GB segment repaired in ~10 s on a 10 Gbps link",
        },
        ParamDoc {
            name: "failover_time",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "writer failure to promotion of the best replica and DNS switch (detection + promotion)",
            source: "AUG: restored < 120 s typically, often < 60 s, ~30 s optimistic; with crash_recovery: 82% < 60 s, 99% < 120 s",
        },
        ParamDoc {
            name: "crash_recovery",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "recovery before a promoted, restarted or re-created writer opens; starts once every group has a read quorum (3 of 6)",
            source: "V17 §4.3: generally < 10 s (96% here)",
        },
        ParamDoc {
            name: "recreate_time",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "re-creating the writer when no replica can be promoted (unless the old one restarts first)",
            source: "AUG: typically < 10 min (97% here)",
        },
        ParamDoc {
            name: "replica_apply",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time a replica's single apply thread spends on one redo record; a batch becomes visible when all its records are applied, and holds one of the replica's workers while it is applied",
            source: "fitted with redo_batch_interval to V17 Table 4 (lag 2.62/3.42/3.94/5.38 ms at 1k/2k/5k/10k writes/s; docs/models.md)",
        },
        ParamDoc {
            name: "redo_batch_interval",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "the writer ships the redo committed since the last shipment to the replicas this often, as one batch; lag ~ interval/2 + network + apply of the batch, so it grows with the write rate",
            source: "fitted with replica_apply to V17 Table 4 (assumption: AWS publishes no interval)",
        },
    ],
    metrics: &[
        "<name>.read_latency, <name>.write_latency (ms): arrival at the cluster to reply (writes: to commit)",
        "<name>.commit_latency (ms): redo sent to the 4th segment ack",
        "<name>.replica_lag (ms): writer commit to the record being visible on a replica (its batch shipped, delivered and applied)",
        "<name>.throughput, .read_throughput, .write_throughput (per_s): successful replies",
        "<name>.errors (requests) and <name>.errors.<cause>: instance_down (reached a down instance, e.g. stale DNS to a failed writer: no reply, clients time out), crash_lost (queued or awaiting a commit or read when the instance failed: no reply), read_only (a write reached a reader, e.g. the old writer back as a replica while a client's DNS is stale: unavailable), recovering (writer in crash recovery: unavailable), rejected (queue_limit or max_connections), no_segment (no up-to-date segment answered a read: unavailable)",
        "<name>.write_unavailability (fraction): time-average share of protection groups without a write quorum (4 of 6), i.e. averaged over groups; with 1 group the fraction of time without one",
        "<name>.write_unavailability_any (fraction): fraction of time at least one group lacks a write quorum",
        "<name>.availability (fraction): time-average of (writer open) x (share of groups with a write quorum): the chance a write to a random key can commit",
        "<name>.quorum_loss_events (events): a group losing its write quorum",
        "<name>.data_loss_events (events): the surviving copies of a group's latest acknowledged write falling below the read quorum (3)",
        "<name>.failovers, .writer_restarts, .writer_recreations (events); <name>.failover_downtime (s): total time without an open writer",
        "<name>.segment_repairs (events), <name>.segments_available (fraction, time-average), <name>.read_hedges (requests), <name>.cache_hit_ratio (fraction)",
        "<name>.writer.* and <name>.replica-<k>.* : each instance's pool (response_time, wait_time, queue_length, in_system, utilization, throughput, rejected, lost), by initial role",
        "series: <name>.write_throughput, .read_throughput, .commit_latency_ms, .read_latency_ms, .segments_up (count), .groups_writable (fraction), .writer_up, .replica_lag_ms, .pending_commits, and <name>.writer.* pool series",
    ],
};

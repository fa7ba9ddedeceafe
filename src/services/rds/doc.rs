//! `stratus describe rds`: the parameters of an `rds` component, what each means and where
//! its default comes from (the default values themselves are the configuration's, in
//! `config.rs`), and the metrics it reports.

use crate::model::{KindDoc, ParamDoc};

/// `stratus describe rds`.
pub const RDS_DOC: KindDoc = KindDoc {
    kind: "rds",
    summary: "Amazon RDS. Every instance is a ServerPool (`workers` slots, read/write service \
              times, `max_connections`), so load raises latency. multi_az_instance: a write \
              commits after the standby in another AZ persisted it (synchronous, one cross-AZ \
              round trip); multi_az_cluster: writer + 2 readable standbys, commit on the first \
              standby ack (semi-synchronous); single_az: no standby, a failed instance is \
              replaced. Failover = detection + promotion + DNS switch; clients keep the old \
              address until their DNS cache expires (a request reaching a failed instance is \
              lost, one reaching the old primary back as a standby is refused at once with \
              `unavailable`). `proxy = true` puts RDS Proxy in front: it pools connections \
              (queueing when full) and reconnects to the new primary as soon as promotion ends, \
              skipping the DNS wait. Read replicas apply the primary's committed writes in \
              order through a single-threaded apply queue, so lag grows with the write rate. \
              Fault instances: `primary`, `standby` (or `standby-1`, `standby-2`), \
              `replica-1`..; each names whoever holds that role when the fault starts. Billed (cost): primary + standbys + read replicas as instance-hours of `instance_class` (us-east-1 On-Demand), RDS Proxy per vCPU-hour.",
    params: &[
        ParamDoc {
            name: "deployment",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "multi_az_instance | multi_az_cluster | single_az",
            source: "RDSUG deployment options; docs/models.md",
        },
        ParamDoc {
            name: "standby_az",
            default: "the AZ after the primary's",
            unit: "AZ name",
            meaning: "standby AZ (multi_az_instance); must differ from the primary's",
            source: "-",
        },
        ParamDoc {
            name: "standby_azs",
            default: "the two AZs after the writer's",
            unit: "two AZ names",
            meaning: "standby AZs (multi_az_cluster: 3 AZs in all)",
            source: "RDSUG Multi-AZ DB cluster: writer + 2 readable standbys in 3 AZs",
        },
        ParamDoc {
            name: "instance_class",
            default: "none: billed as db.r6g.4xlarge, the model on the defaults below",
            unit: "class name",
            meaning: "class of every instance (db.t4g.medium, db.m6g.large..8xlarge, db.r6g/db.r7g.large..8xlarge): sets workers = vCPUs, max_connections by `engine`'s formula, and the instance-hour price (us-east-1 On-Demand: db.r6g.large $0.215/h, linear in size; db.r7g derived, an assumption); explicit `workers` / `max_connections` override; unknown classes are an error",
            source: "RDS MySQL pricing page (2025), RDSUG DB instance classes; docs/models.md \"Instance classes and prices\"",
        },
        ParamDoc {
            name: "engine",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "mysql | postgresql: the max_connections formula of a class (MySQL DBInstanceClassMemory/12582880; PostgreSQL LEAST(DBInstanceClassMemory/9531392, 5000))",
            source: "RDSUG, Maximum number of database connections",
        },
        ParamDoc {
            name: "workers",
            default: "the class's vCPUs, else 16",
            unit: "count",
            meaning: "worker slots per instance (servers of its ServerPool)",
            source: "assumption (one query per vCPU; 16: a 16-vCPU instance)",
        },
        ParamDoc {
            name: "max_connections",
            default: "the class's formula, else 1000",
            unit: "connections",
            meaning: "requests in service + waiting per instance; beyond it `rejected` (too many connections)",
            source: "RDSUG formula with a class; 1000 without one is an assumption (MySQL gives ~1365 at 16 GiB)",
        },
        ParamDoc {
            name: "read_service",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "service time of a read",
            source: "assumption (32k reads/s per instance with 16 workers)",
        },
        ParamDoc {
            name: "write_service",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "execution time of a write on the primary",
            source: "assumption (16k writes/s, above the 10k writes/s MySQL primary of V17 Table 4)",
        },
        ParamDoc {
            name: "standby_apply",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time for a standby to persist a replicated write before its ack (writes in parallel)",
            source: "assumption (AWS gives no number; docs/models.md)",
        },
        ParamDoc {
            name: "apply",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time for a replica or readable cluster standby to apply one write; single-threaded FIFO, so lag is an M/M/1 sojourn",
            source: "assumption fitted to V17 Table 4 (lag < 1 s at 1k, ~60 s at 5k, ~300 s at 10k writes/s => capacity 3750 writes/s)",
        },
        ParamDoc {
            name: "detection",
            default: "uniform 20s-40s (cluster: 5s-15s)",
            unit: "duration distribution",
            meaning: "time to detect a failed primary",
            source: "sum with promotion and dns_switch = 60-120 s typical (RDSUG Multi-AZ DB instance); cluster < 35 s (RDSUG Multi-AZ DB cluster); split is an assumption",
        },
        ParamDoc {
            name: "promotion",
            default: "uniform 20s-40s (cluster: 3s-10s)",
            unit: "duration distribution",
            meaning: "time to promote the standby (a cluster standby also applies its backlog first)",
            source: "as detection",
        },
        ParamDoc {
            name: "dns_switch",
            default: "uniform 20s-40s (cluster: 2s-10s)",
            unit: "duration distribution",
            meaning: "time until the endpoint's DNS record names the new primary; clients then wait for their cache (client.dns_ttl)",
            source: "as detection",
        },
        ParamDoc {
            name: "replacement",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time to replace a failed primary that has no in-sync standby or replica to promote (Single-AZ; sooner if the instance comes back by itself); storage survives, so no data loss",
            source: "assumption (Aurora writer re-creation typically < 10 min, AUG)",
        },
        ParamDoc {
            name: "resync",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time for a recovered instance to resynchronise and rejoin as standby (or replica)",
            source: "assumption",
        },
        ParamDoc {
            name: "replica_promotion",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "promotion of the most up-to-date replica when the primary fails with no in-sync standby (abandoned if the primary comes back first); commits it had not received are lost",
            source: "\"a few minutes\" (docs/models.md, Read replicas); range an assumption",
        },
        ParamDoc {
            name: "proxy",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "clients connect through RDS Proxy",
            source: "-",
        },
        ParamDoc {
            name: "proxy_az",
            default: "the primary's AZ",
            unit: "AZ name",
            meaning: "where clients connect to the proxy; it is always up (if its AZ is lost it carries on from the primary's AZ)",
            source: "-",
        },
        ParamDoc {
            name: "proxy_max_connections",
            default: "max_connections",
            unit: "connections",
            meaning: "database connections the proxy holds; further requests queue in the proxy",
            source: "RDS Proxy MaxConnectionsPercent default 100 (RDSUG); docs/models.md",
        },
        ParamDoc {
            name: "proxy_borrow_timeout",
            default: "120s",
            unit: "duration",
            meaning: "longest wait in the proxy for a connection, then `unavailable`",
            source: "RDS Proxy ConnectionBorrowTimeout default (RDSUG); docs/models.md",
        },
        ParamDoc {
            name: "replicas",
            default: ParamDoc::FROM_CONFIG,
            unit: "count (0-15)",
            meaning: "asynchronous read replicas",
            source: "up to 15 (MySQL, MariaDB, PostgreSQL; docs/models.md)",
        },
        ParamDoc {
            name: "replica_azs",
            default: "spread over the AZs after the primary's",
            unit: "AZ names",
            meaning: "AZ of each replica",
            source: "-",
        },
        ParamDoc {
            name: "read_routing",
            default: "primary (round_robin with replicas)",
            unit: "name",
            meaning: "primary | random | round_robin | least_loaded over replicas and readable cluster standbys",
            source: "assumption",
        },
    ],
    metrics: &[
        "<name>.read_latency, <name>.write_latency (ms): arrival at the component (or proxy) to reply",
        "<name>.commit_latency (ms): end of a write's execution to its commit (replication wait)",
        "<name>.throughput, <name>.write_throughput (per_s): successful replies per second",
        "<name>.errors.too_many_connections, .errors.unavailable, .errors.proxy_timeout (requests): refusals by cause",
        "<name>.proxy_queue (requests): time-average of requests waiting in RDS Proxy for a connection; <name>.proxy_abandoned (requests): queued attempts the proxy dropped because their client had retried or timed out (closed its connection)",
        "<name>.lost (requests): requests that reached a failed instance (clients time out)",
        "<name>.stale_dns_requests (requests): requests sent to the address of an earlier primary",
        "<name>.availability (fraction): time-average of `writable` (writes can commit through the clients' endpoint)",
        "<name>.failovers (events), <name>.failover_downtime (s, mean per failover), <name>.failover_downtime_max (s): failure to writes served again (DNS switch; proxy: promotion)",
        "<name>.lost_in_flight (requests): transactions lost with a failed primary",
        "<name>.lost_commits (requests): acknowledged commits missing on the new primary (data loss)",
        "<name>.replica_lag (ms): commit on the primary to apply on a replica",
        "<name>.replica_rebuilds (events): replicas rebuilt from a snapshot (lagging past the kept binlog, or ahead of a promoted replica's history)",
        "<name>.reader_reads (requests): reads served by replicas and readable cluster standbys",
        "<name>.stale_reads (fraction), <name>.staleness (ms): reads on replicas/standbys that missed the key's latest commit, and now - that commit's time",
        "<name>.standby_detached, .replica_promotions, .replacements, .restarts (events)",
        "<name>.primary.* : the ServerPool metrics of the instance that is primary at the end (including .abandoned: statements dropped unstarted because their client had timed out)",
        "series: <name>.writable, .write_throughput, .read_throughput, .replica_lag_ms, .stale_read_fraction, .proxy_queue",
    ],
};

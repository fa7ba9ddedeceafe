//! The parameters of an `aurora` component: every default in one place, each with its source
//! (docs/models.md, "Aurora" and "Network"), checked into [`Params`] for the model.

use serde::{Deserialize, Serialize};

use super::storage::STORAGE_AZS;
use crate::blocks::station::MAX_SERVERS;
use crate::engine::SimDuration;
use crate::model::SpecError;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::model::kind::BuildContext;
use crate::services::classes::{DbEngine, Service, aurora_max_connections, lookup};
use crate::units::{ByteSize, Duration};

/// Most replicas in a cluster: 15 (AUG; docs/models.md "Aurora": "Up to 15 replicas").
pub const MAX_REPLICAS: u32 = 15;
/// Lowest promotion priority: tier 15 (AUG, promotion tiers 0–15; 0 is promoted first).
pub const MAX_TIER: u32 = 15;
/// Promotion tier of a replica when `priority` does not give one: 1. Assumption (AWS's
/// console default is tier 1; ties go to the lower replica number here).
pub const DEFAULT_TIER: u8 = 1;
/// Size of a protection group, and so of a segment: 10 GB (V17 §2).
pub const PROTECTION_GROUP_BYTES: u64 = 10_000_000_000;
/// Default number of protection groups: 10, a 100 GB volume. Assumption; set `volume_size`
/// or `protection_groups` for your database.
pub const DEFAULT_PROTECTION_GROUPS: u32 = 10;
/// Most protection groups: 14,000 (Aurora volumes grow to 128 TiB ≈ 14,000 groups of 10 GB,
/// AUG); a larger count is a typo.
pub const MAX_PROTECTION_GROUPS: u32 = 14_000;
/// Worker slots per instance: 32. Assumption: the vCPUs of an r3.8xlarge, the instance V17
/// §6.1 measured.
pub const DEFAULT_WORKERS: u32 = 32;
/// Mean CPU time of a read: 32 workers / 600,000 reads/s ≈ 53 µs, so 32 workers reach V17
/// §6.1's ~600k reads/s on an r3.8xlarge. Exponential shape: assumption.
pub const DEFAULT_READ_SERVICE_SECS: f64 = 32.0 / 600_000.0;
/// Mean CPU time of a write (before its commit): 32 / 121,000 writes/s ≈ 264 µs, V17 §6.1's
/// ~121k writes/s on an r3.8xlarge. Exponential shape: assumption.
pub const DEFAULT_WRITE_SERVICE_SECS: f64 = 32.0 / 121_000.0;
/// Connections an instance holds at once (queued, in service, waiting for a commit or a
/// segment read); beyond it requests are rejected: 16,000. Assumption (the order of Aurora
/// MySQL's `max_connections` on large instances).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16_000;
/// Fraction of reads the buffer cache answers: 0.95. Assumption; calibrate with the
/// `BufferCacheHitRatio` CloudWatch metric.
pub const DEFAULT_CACHE_HIT_RATIO: f64 = 0.95;
/// Time a re-created (empty) instance takes to warm its cache, ramping the hit ratio
/// linearly from 0: 5 min. Assumption. Restarts and promoted replicas keep a warm cache
/// (AUG: the page cache survives a restart; replicas serve reads before promotion).
pub const DEFAULT_CACHE_WARMUP: SimDuration = SimDuration::from_secs(300);
/// Mean time a storage segment takes to persist a redo record or serve a page, excluding
/// the network: 0.5 ms, lognormal with cv 1. Assumption (AWS publishes no per-segment
/// figure); with the network defaults it gives commits of ~2 ms.
pub const DEFAULT_SEGMENT_LATENCY_SECS: f64 = 0.5e-3;
/// Coefficient of variation of the segment latency: 1. Assumption (storage tails are heavy).
pub const DEFAULT_SEGMENT_LATENCY_CV: f64 = 1.0;
/// A segment read not answered after this goes to the next segment too (hedge): 5 ms, about
/// p99.9 of a same-AZ read with the defaults. Assumption: V18 §3.1 describes the retry but
/// gives no number.
pub const DEFAULT_READ_HEDGE: SimDuration = SimDuration::from_millis(5);
/// Effective re-replication rate: 8 Gbit/s, so a 10 GB segment repairs in 10 s (V17 §2.2:
/// "a 10GB segment can be repaired in 10 seconds on a 10Gbps network link").
pub const DEFAULT_REPAIR_GBPS: f64 = 8.0;
/// Mean time from the writer's failure to a replica's promotion and the endpoint's DNS
/// switch: 40 s, lognormal cv 0.5. With `crash_recovery` (mean 5 s) the total is ~45 s:
/// 82% under 60 s, 99% under 120 s, 22% under 30 s — AUG: "typically restored in < 120 s,
/// often < 60 s", ~30 s the optimistic end (docs/models.md "Aurora").
pub const DEFAULT_FAILOVER_SECS: f64 = 40.0;
/// Coefficient of variation of the failover time: 0.5. Assumption (fits the AUG ranges).
pub const DEFAULT_FAILOVER_CV: f64 = 0.5;
/// Mean crash recovery (redo replay, read quorum per group) before the writer opens: 5 s,
/// lognormal cv 0.5, 96% under 10 s (V17 §4.3: "generally < 10 s").
pub const DEFAULT_CRASH_RECOVERY_SECS: f64 = 5.0;
/// Mean time to re-create a writer when no replica can take over: 6 min, lognormal cv 0.3,
/// 97% under 10 min (AUG: "typically < 10 min"; docs/models.md "Aurora").
pub const DEFAULT_RECREATE_SECS: f64 = 360.0;
/// Time a replica's single apply thread spends on one redo record: 74.5 µs, constant. Fitted
/// with [`DEFAULT_REDO_BATCH_INTERVAL`] to V17 Table 4 (replica lag 2.62, 3.42, 3.94 and 5.38 ms
/// at 1k, 2k, 5k and 10k writes/s): the model's mean lag is T/2 + δ + c·(λT + 1) (wait for the
/// batch, the 0.6 ms cross-AZ one-way delay δ, the whole batch's apply), linear in the write
/// rate λ; least squares over the four figures gives intercept 2.569 ms and slope
/// T·c = 0.2824 ms per 1,000 writes/s, so T = 3.79 ms and c = 74.5 µs (residuals +0.23, −0.29,
/// +0.04, +0.01 ms; docs/models.md "Aurora replica lag").
pub const DEFAULT_REPLICA_APPLY_SECS: f64 = 74.5e-6;
/// How often the writer ships the redo committed since its last shipment to the replicas, as
/// one batch: 3.79 ms. Fitted with [`DEFAULT_REPLICA_APPLY_SECS`] to V17 Table 4 (see there);
/// AWS publishes no interval.
pub const DEFAULT_REDO_BATCH_INTERVAL: SimDuration = SimDuration::from_micros(3790);

/// Where reads go.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Routing {
    /// The cluster (writer) endpoint.
    Writer,
    /// The reader endpoint: replicas in turn (the writer when no replica is up).
    Replicas,
    /// Every up instance in turn, the writer included.
    RoundRobin,
}

/// The parameters of an `aurora` component (`[[component]] kind = "aurora"`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuroraConfig {
    /// Aurora Replicas (0–15).
    #[serde(default)]
    pub replicas: u32,
    /// AZ of each replica, cycled; default: the storage AZs after the writer's, in turn.
    pub replica_azs: Option<Vec<String>>,
    /// Promotion tier of each replica (0 = first); missing entries are tier 1.
    pub priority: Option<Vec<u32>>,
    /// Instance class of every instance (`db.r6g.2xlarge`): sets `workers` (its vCPUs),
    /// `max_connections` (the engine's default) and the price. None: billed as
    /// [`DEFAULT_AURORA_CLASS`](crate::services::classes::DEFAULT_AURORA_CLASS), the model on its own defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    /// `mysql` (default) or `postgresql`: which `max_connections` default a class uses.
    #[serde(default = "default_engine")]
    pub engine: String,
    /// Worker slots per instance; default the class's vCPUs, else 32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// CPU time of a read on an instance.
    #[serde(default = "default_read_service")]
    pub read_service: DistSpec<Seconds>,
    /// CPU time of a write on the writer, before its commit.
    #[serde(default = "default_write_service")]
    pub write_service: DistSpec<Seconds>,
    /// Most requests waiting for a worker per instance; None = unbounded.
    pub queue_limit: Option<u64>,
    /// Requests an instance holds at once; beyond it new ones are rejected. Default by the
    /// class, else 16,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// Fraction of reads answered from the buffer cache.
    #[serde(default = "default_cache_hit_ratio")]
    pub cache_hit_ratio: f64,
    /// Warm-up of a re-created instance's empty cache.
    #[serde(default = "default_cache_warmup")]
    pub cache_warmup: Duration,
    /// `writer`, `replicas` or `round_robin`.
    #[serde(default = "default_read_routing")]
    pub read_routing: String,
    /// Number of 10 GB protection groups (instead of `volume_size`).
    pub protection_groups: Option<u32>,
    /// Volume size; groups = ⌈size / 10 GB⌉ (instead of `protection_groups`).
    pub volume_size: Option<ByteSize>,
    /// The three AZs holding the segments; default the topology's first three.
    pub storage_azs: Option<Vec<String>>,
    /// Time a segment takes to persist a redo record or serve a page (network excluded).
    #[serde(default = "default_segment_latency")]
    pub segment_latency: DistSpec<Seconds>,
    /// Wait before a segment read is also sent to the next segment.
    #[serde(default = "default_read_hedge")]
    pub read_hedge: Duration,
    /// Re-replicate a failed segment (false: it returns only when its fault ends).
    #[serde(default = "default_true")]
    pub repair: bool,
    /// Re-replication rate in Gbit/s.
    #[serde(default = "default_repair_gbps")]
    pub repair_gbps: f64,
    /// Writer failure to promotion of a replica (detection, promotion, DNS switch).
    #[serde(default = "default_failover_time")]
    pub failover_time: DistSpec<Seconds>,
    /// Crash recovery before a new or restarted writer opens.
    #[serde(default = "default_crash_recovery")]
    pub crash_recovery: DistSpec<Seconds>,
    /// Time to re-create a writer when no replica can be promoted.
    #[serde(default = "default_recreate_time")]
    pub recreate_time: DistSpec<Seconds>,
    /// Time a replica's apply thread spends on one redo record.
    #[serde(default = "default_replica_apply")]
    pub replica_apply: DistSpec<Seconds>,
    /// How often the writer ships the redo committed since the last shipment to the replicas.
    #[serde(default = "default_redo_batch_interval")]
    pub redo_batch_interval: Duration,
}

fn lognormal(mean: f64, cv: f64) -> DistSpec<Seconds> {
    DistSpec::lognormal(mean, cv)
}

fn default_engine() -> String {
    "mysql".into()
}
fn default_read_service() -> DistSpec<Seconds> {
    DistSpec::exponential(DEFAULT_READ_SERVICE_SECS)
}
fn default_write_service() -> DistSpec<Seconds> {
    DistSpec::exponential(DEFAULT_WRITE_SERVICE_SECS)
}
fn default_cache_hit_ratio() -> f64 {
    DEFAULT_CACHE_HIT_RATIO
}
fn default_cache_warmup() -> Duration {
    Duration(DEFAULT_CACHE_WARMUP)
}
fn default_read_routing() -> String {
    "writer".into()
}
fn default_segment_latency() -> DistSpec<Seconds> {
    lognormal(DEFAULT_SEGMENT_LATENCY_SECS, DEFAULT_SEGMENT_LATENCY_CV)
}
fn default_read_hedge() -> Duration {
    Duration(DEFAULT_READ_HEDGE)
}
fn default_true() -> bool {
    true
}
fn default_repair_gbps() -> f64 {
    DEFAULT_REPAIR_GBPS
}
fn default_failover_time() -> DistSpec<Seconds> {
    lognormal(DEFAULT_FAILOVER_SECS, DEFAULT_FAILOVER_CV)
}
fn default_crash_recovery() -> DistSpec<Seconds> {
    lognormal(DEFAULT_CRASH_RECOVERY_SECS, 0.5)
}
fn default_recreate_time() -> DistSpec<Seconds> {
    lognormal(DEFAULT_RECREATE_SECS, 0.3)
}
fn default_replica_apply() -> DistSpec<Seconds> {
    DistSpec::constant(DEFAULT_REPLICA_APPLY_SECS)
}
fn default_redo_batch_interval() -> Duration {
    Duration(DEFAULT_REDO_BATCH_INTERVAL)
}

impl Default for AuroraConfig {
    fn default() -> Self {
        AuroraConfig {
            replicas: 0,
            replica_azs: None,
            priority: None,
            instance_class: None,
            engine: default_engine(),
            workers: None,
            read_service: default_read_service(),
            write_service: default_write_service(),
            queue_limit: None,
            max_connections: None,
            cache_hit_ratio: default_cache_hit_ratio(),
            cache_warmup: default_cache_warmup(),
            read_routing: default_read_routing(),
            protection_groups: None,
            volume_size: None,
            storage_azs: None,
            segment_latency: default_segment_latency(),
            read_hedge: default_read_hedge(),
            repair: true,
            repair_gbps: default_repair_gbps(),
            failover_time: default_failover_time(),
            crash_recovery: default_crash_recovery(),
            recreate_time: default_recreate_time(),
            replica_apply: default_replica_apply(),
            redo_batch_interval: default_redo_batch_interval(),
        }
    }
}

/// Checked parameters.
#[derive(Clone, Debug)]
pub struct Params {
    /// AZ of instance 0 (the first writer).
    pub writer_az: u16,
    /// AZ of each replica.
    pub replica_azs: Vec<u16>,
    /// Promotion tier of each replica.
    pub tiers: Vec<u8>,
    /// Workers per instance.
    pub workers: u32,
    /// Read CPU time.
    pub read_service: Dist,
    /// Write CPU time.
    pub write_service: Dist,
    /// Queue bound per instance.
    pub queue_limit: Option<u64>,
    /// Connection bound per instance.
    pub max_connections: u64,
    /// Buffer-cache hit ratio.
    pub cache_hit_ratio: f64,
    /// Cache warm-up of a new instance.
    pub cache_warmup: SimDuration,
    /// Where reads go.
    pub routing: Routing,
    /// Protection groups.
    pub groups: u32,
    /// Bytes per segment.
    pub segment_bytes: u64,
    /// AZs of segments 0–1, 2–3, 4–5.
    pub storage_azs: [u16; STORAGE_AZS],
    /// Segment service time.
    pub segment_latency: Dist,
    /// Read hedge delay.
    pub read_hedge: SimDuration,
    /// Whether failed segments are re-replicated.
    pub repair: bool,
    /// Time to re-replicate one segment.
    pub repair_time: SimDuration,
    /// Failover time.
    pub failover_time: Dist,
    /// Crash recovery time.
    pub crash_recovery: Dist,
    /// Writer re-creation time.
    pub recreate_time: Dist,
    /// Replica apply time per record.
    pub replica_apply: Dist,
    /// Redo shipping interval.
    pub redo_batch_interval: SimDuration,
}

impl AuroraConfig {
    /// Checks the parameters against the topology in `context`.
    pub fn validate(&self, context: &BuildContext<'_>) -> Result<Params, SpecError> {
        let dist = |field: &str, spec: &DistSpec<Seconds>| spec.build().map_err(|e| e.within(field));
        if usize::from(context.az_count) < STORAGE_AZS {
            return Err(SpecError::new(
                "kind",
                format!(
                    "an Aurora cluster keeps 6 copies of its data, 2 in each of 3 AZs (V17 s2), so [topology] azs must list at least 3 AZs, found {}",
                    context.az_count
                ),
            ));
        }
        let az = |field: &str, name: &str| {
            (context.az_index)(name).ok_or_else(|| SpecError::new(field, format!("unknown availability zone `{name}`")))
        };
        let storage_azs = match &self.storage_azs {
            None => [0, 1, 2],
            Some(names) => {
                if names.len() != STORAGE_AZS {
                    return Err(SpecError::new(
                        "storage_azs",
                        format!("give exactly 3 AZs (2 segments in each), found {}", names.len()),
                    ));
                }
                let azs = [az("storage_azs", &names[0])?, az("storage_azs", &names[1])?, az("storage_azs", &names[2])?];
                if azs[0] == azs[1] || azs[1] == azs[2] || azs[0] == azs[2] {
                    return Err(SpecError::new("storage_azs", "the 3 storage AZs must be different"));
                }
                azs
            }
        };
        if self.replicas > MAX_REPLICAS {
            return Err(SpecError::new(
                "replicas",
                format!("an Aurora cluster has at most {MAX_REPLICAS} replicas, found {}", self.replicas),
            ));
        }
        let replicas = self.replicas as usize;
        let replica_azs = match &self.replica_azs {
            Some(names) => {
                if names.is_empty() {
                    return Err(SpecError::new("replica_azs", "give at least one AZ (or leave `replica_azs` out)"));
                }
                let azs = names.iter().map(|name| az("replica_azs", name)).collect::<Result<Vec<u16>, _>>()?;
                (0..replicas).map(|k| azs[k % azs.len()]).collect()
            }
            None => {
                let start = storage_azs.iter().position(|&a| a == context.own_az).unwrap_or(0);
                (1..=replicas).map(|k| storage_azs[(start + k) % STORAGE_AZS]).collect()
            }
        };
        let given = self.priority.as_deref().unwrap_or_default();
        if let Some(tier) = given.iter().find(|&&tier| tier > MAX_TIER) {
            return Err(SpecError::new(
                "priority",
                format!("promotion tiers go from 0 (first) to {MAX_TIER}, found {tier}"),
            ));
        }
        let tiers = (0..replicas).map(|k| given.get(k).map_or(DEFAULT_TIER, |&t| t as u8)).collect();
        let engine = DbEngine::parse(&self.engine)?;
        let class = match &self.instance_class {
            Some(name) => Some(lookup(Service::Aurora, name, "instance_class")?),
            None => None,
        };
        let workers = self.workers.or(class.map(|c| c.vcpus)).unwrap_or(DEFAULT_WORKERS);
        let max_connections = self
            .max_connections
            .or(class.map(|c| aurora_max_connections(c, engine)))
            .unwrap_or(DEFAULT_MAX_CONNECTIONS);
        if workers == 0 || workers > MAX_SERVERS {
            return Err(SpecError::new("workers", format!("give 1 to {MAX_SERVERS} workers, found {workers}")));
        }
        if max_connections == 0 {
            return Err(SpecError::new("max_connections", "at least 1 connection is needed"));
        }
        if !(0.0..=1.0).contains(&self.cache_hit_ratio) {
            return Err(SpecError::new(
                "cache_hit_ratio",
                format!("must be in [0, 1], found {}", self.cache_hit_ratio),
            ));
        }
        let routing = match self.read_routing.as_str() {
            "writer" => Routing::Writer,
            "replicas" => Routing::Replicas,
            "round_robin" => Routing::RoundRobin,
            other => {
                return Err(SpecError::new(
                    "read_routing",
                    format!("unknown read routing `{other}`, expected `writer`, `replicas` or `round_robin`"),
                ));
            }
        };
        let (groups, segment_bytes) = match (self.protection_groups, self.volume_size) {
            (Some(_), Some(_)) => {
                return Err(SpecError::new(
                    "volume_size",
                    "give either `protection_groups` or `volume_size`, not both",
                ));
            }
            (Some(groups), None) => {
                if groups == 0 || groups > MAX_PROTECTION_GROUPS {
                    return Err(SpecError::new(
                        "protection_groups",
                        format!("give 1 to {MAX_PROTECTION_GROUPS} protection groups (10 GB each), found {groups}"),
                    ));
                }
                (groups, PROTECTION_GROUP_BYTES)
            }
            (None, Some(ByteSize(bytes))) => {
                let groups = bytes.div_ceil(PROTECTION_GROUP_BYTES);
                if groups == 0 || groups > u64::from(MAX_PROTECTION_GROUPS) {
                    return Err(SpecError::new(
                        "volume_size",
                        format!(
                            "the volume must be larger than 0 and at most {MAX_PROTECTION_GROUPS} groups of 10 GB, found {groups} groups"
                        ),
                    ));
                }
                (groups as u32, bytes.div_ceil(groups))
            }
            (None, None) => (DEFAULT_PROTECTION_GROUPS, PROTECTION_GROUP_BYTES),
        };
        if self.redo_batch_interval.get() == SimDuration::ZERO {
            return Err(SpecError::new("redo_batch_interval", "the redo batch interval must be longer than 0"));
        }
        if self.read_hedge.get() == SimDuration::ZERO {
            return Err(SpecError::new("read_hedge", "the read hedge must be longer than 0"));
        }
        if !(self.repair_gbps.is_finite() && self.repair_gbps > 0.0) {
            return Err(SpecError::new(
                "repair_gbps",
                format!("must be a positive number, found {}", self.repair_gbps),
            ));
        }
        let repair_time = SimDuration::from_secs_f64(segment_bytes as f64 * 8.0 / (self.repair_gbps * 1e9));
        Ok(Params {
            writer_az: context.own_az,
            replica_azs,
            tiers,
            workers,
            read_service: dist("read_service", &self.read_service)?,
            write_service: dist("write_service", &self.write_service)?,
            queue_limit: self.queue_limit,
            max_connections: u64::from(max_connections),
            cache_hit_ratio: self.cache_hit_ratio,
            cache_warmup: self.cache_warmup.get(),
            routing,
            groups,
            segment_bytes,
            storage_azs,
            segment_latency: dist("segment_latency", &self.segment_latency)?,
            read_hedge: self.read_hedge.get(),
            repair: self.repair,
            repair_time,
            failover_time: dist("failover_time", &self.failover_time)?,
            crash_recovery: dist("crash_recovery", &self.crash_recovery)?,
            recreate_time: dist("recreate_time", &self.recreate_time)?,
            replica_apply: dist("replica_apply", &self.replica_apply)?,
            redo_batch_interval: self.redo_batch_interval.get(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::aurora::AURORA_DOC;

    fn context(azs: u16) -> impl Fn(&dyn Fn(&BuildContext<'_>)) {
        move |f: &dyn Fn(&BuildContext<'_>)| {
            let names = ["a", "b", "c", "d"];
            let resolve = |_: &str| None;
            let az_index = |name: &str| names[..azs as usize].iter().position(|n| *n == name).map(|i| i as u16);
            f(&BuildContext { resolve: &resolve, az_index: &az_index, own_az: 0, az_count: azs })
        }
    }

    #[test]
    fn defaults_are_valid_and_documented() {
        context(3)(&|ctx| {
            let params = AuroraConfig::default().validate(ctx).unwrap();
            assert_eq!(params.groups, DEFAULT_PROTECTION_GROUPS);
            assert_eq!(params.repair_time, SimDuration::from_secs(10), "10 GB at 8 Gbit/s");
            assert_eq!(params.storage_azs, [0, 1, 2]);
        });
        let toml = toml::to_string(&AuroraConfig::default()).unwrap();
        for param in AURORA_DOC.params.iter().filter(|p| p.name != "az") {
            let documented_default = param.name == "replica_azs"
                || param.name == "priority"
                || param.name == "queue_limit"
                || param.name == "protection_groups"
                || param.name == "volume_size"
                || param.name == "storage_azs"
                || param.name == "instance_class"
                || param.name == "workers"
                || param.name == "max_connections";
            assert!(documented_default || toml.contains(param.name), "{} missing from {toml}", param.name);
            assert!(!param.source.is_empty());
        }
    }

    #[test]
    fn replicas_are_placed_and_ranked() {
        context(3)(&|ctx| {
            let config = AuroraConfig { replicas: 4, priority: Some(vec![2, 0]), ..AuroraConfig::default() };
            let params = config.validate(ctx).unwrap();
            assert_eq!(params.replica_azs, vec![1, 2, 0, 1]);
            assert_eq!(params.tiers, vec![2, 0, DEFAULT_TIER, DEFAULT_TIER]);
            let config = AuroraConfig { replicas: 3, replica_azs: Some(vec!["c".into()]), ..AuroraConfig::default() };
            assert_eq!(config.validate(ctx).unwrap().replica_azs, vec![2, 2, 2]);
        });
    }

    #[test]
    fn impossible_values_name_their_field() {
        context(3)(&|ctx| {
            let field = |config: AuroraConfig| config.validate(ctx).unwrap_err().field;
            assert_eq!(field(AuroraConfig { replicas: 16, ..AuroraConfig::default() }), "replicas");
            assert_eq!(field(AuroraConfig { priority: Some(vec![16]), ..AuroraConfig::default() }), "priority");
            assert_eq!(
                field(AuroraConfig { read_routing: "nearest".into(), ..AuroraConfig::default() }),
                "read_routing"
            );
            assert_eq!(
                field(AuroraConfig {
                    storage_azs: Some(vec!["a".into(), "b".into(), "b".into()]),
                    ..AuroraConfig::default()
                }),
                "storage_azs"
            );
            assert_eq!(
                field(AuroraConfig {
                    protection_groups: Some(2),
                    volume_size: Some(ByteSize(1)),
                    ..AuroraConfig::default()
                }),
                "volume_size"
            );
            let config = AuroraConfig { volume_size: Some(ByteSize(25_000_000_000)), ..AuroraConfig::default() };
            let params = config.validate(ctx).unwrap();
            assert_eq!((params.groups, params.segment_bytes), (3, 8_333_333_334));
        });
        context(2)(&|ctx| {
            let error = AuroraConfig::default().validate(ctx).unwrap_err();
            assert_eq!(error.field, "kind");
            assert!(error.message.contains("at least 3 AZs, found 2"), "{}", error.message);
        });
    }
}

//! The `[[component]] kind = "rds"` table: parameters, documented defaults with their sources,
//! validation, and the checked [`RdsPlan`] the component is built from.
//!
//! Every default names its source (docs/models.md, sections "RDS Multi-AZ", "Read replicas"
//! and "Network"); where AWS publishes no number the default is marked an assumption, here and
//! in `stratus describe rds`, so users know which figures to calibrate.

use serde::{Deserialize, Serialize};

use crate::blocks::station::MAX_SERVERS;
use crate::engine::SimDuration;
use crate::model::SpecError;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::model::kind::BuildContext;
use crate::services::classes::{DbEngine, Service, lookup, rds_max_connections};
use crate::units::Duration;

/// Worker slots per DB instance: 16. Assumption (e.g. a 16-vCPU db.r5.4xlarge running one
/// query per vCPU); AWS publishes no service-time model.
pub const DEFAULT_WORKERS: u32 = 16;
/// Connection limit per instance: 1000. Assumption; RDS MySQL derives `max_connections`
/// from `{DBInstanceClassMemory/12582880}` (about 1,365 on a 16 GiB instance, RDSUG).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 1000;
/// Mean read service time: 0.5 ms, exponential. Assumption; with 16 workers one instance
/// serves about 32k reads/s.
pub const DEFAULT_READ_SERVICE_SECS: f64 = 0.5e-3;
/// Mean write execution time: 1 ms, exponential. Assumption, chosen so one instance sustains
/// the 10k writes/s of the MySQL primary in V17 Table 4 (16 workers: 16k writes/s).
pub const DEFAULT_WRITE_SERVICE_SECS: f64 = 1e-3;
/// Mean time for a standby to persist one replicated write before acknowledging it: 0.5 ms,
/// exponential. Assumption (a sub-millisecond EBS write; docs/models.md: "AWS gives no number").
pub const DEFAULT_STANDBY_APPLY_SECS: f64 = 0.5e-3;
/// Mean time for a read replica (or a readable cluster standby) to apply one write, single
/// threaded: 1/3750 s ≈ 0.267 ms, exponential (μ = 3,750 writes/s). Assumption fitted to V17
/// Table 4 (MySQL replica lag < 1 s at 1k writes/s, ~60 s at 5k, ~300 s at 10k): a backlog
/// growing at λ/μ − 1 seconds of lag per second gives 60 s and 300 s after the same 180 s
/// run only for μ = 3,750/s; at 1k writes/s the M/M/1 lag is 1/(μ − λ) = 0.36 ms.
pub const DEFAULT_APPLY_SECS: f64 = 1.0 / 3750.0;
/// Multi-AZ DB instance failover, each of detection, promotion and DNS switch uniform on
/// [20 s, 40 s]: the sum spans 60–120 s, "typically 60–120 s end to end" (RDSUG, Multi-AZ
/// DB instance; docs/models.md). The equal three-way split is an assumption.
pub const INSTANCE_FAILOVER_PHASE_SECS: (f64, f64) = (20.0, 40.0);
/// Multi-AZ DB cluster failure detection: uniform on [5 s, 15 s]. With promotion [3 s, 10 s]
/// and DNS switch [2 s, 10 s] the sum spans 10–35 s: "typically under 35 s" (RDSUG, Multi-AZ
/// DB cluster; docs/models.md). The split is an assumption.
pub const CLUSTER_DETECTION_SECS: (f64, f64) = (5.0, 15.0);
/// Multi-AZ DB cluster promotion: uniform on [3 s, 10 s] (see [`CLUSTER_DETECTION_SECS`]).
pub const CLUSTER_PROMOTION_SECS: (f64, f64) = (3.0, 10.0);
/// Multi-AZ DB cluster DNS switch: uniform on [2 s, 10 s] (see [`CLUSTER_DETECTION_SECS`]).
pub const CLUSTER_DNS_SECS: (f64, f64) = (2.0, 10.0);
/// Replacement of a failed instance that has no standby to fail over to (Single-AZ): uniform
/// on [5 min, 10 min]. Assumption: AWS publishes no figure for RDS; by analogy with Aurora,
/// whose writer without a replica "is recreated, typically < 10 min" (AUG; docs/models.md).
pub const REPLACEMENT_SECS: (f64, f64) = (300.0, 600.0);
/// Resynchronisation of a recovered instance before it is an in-sync standby again (or a
/// caught-up replica): uniform on [2 min, 10 min]. Assumption; AWS publishes no figure (it
/// depends on the volume of changes to copy).
pub const RESYNC_SECS: (f64, f64) = (120.0, 600.0);
/// Promotion of a read replica to a standalone primary: uniform on [2 min, 5 min]. "A few
/// minutes" (reboot) per docs/models.md, "Read replicas"; the range is an assumption.
pub const REPLICA_PROMOTION_SECS: (f64, f64) = (120.0, 300.0);
/// RDS Proxy's wait for a free database connection before it fails a request: 120 s, the
/// default `ConnectionBorrowTimeout` (RDSUG, RDS Proxy target group settings; not yet in
/// docs/models.md).
pub const DEFAULT_PROXY_BORROW_TIMEOUT: SimDuration = SimDuration::from_secs(120);
/// Most read replicas: 15 (MySQL, MariaDB, PostgreSQL; 5 for Oracle and SQL Server —
/// docs/models.md, "Read replicas").
pub const MAX_REPLICAS: u32 = 15;

/// How the database is deployed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Deployment {
    /// One primary and one non-readable standby in another AZ, synchronous replication.
    MultiAzInstance,
    /// One writer and two readable standbys in three AZs, semi-synchronous replication.
    MultiAzCluster,
    /// One instance, no standby.
    SingleAz,
}

impl Deployment {
    /// The name used in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            Deployment::MultiAzInstance => "multi_az_instance",
            Deployment::MultiAzCluster => "multi_az_cluster",
            Deployment::SingleAz => "single_az",
        }
    }

    /// Number of standbys.
    pub fn standbys(self) -> usize {
        match self {
            Deployment::MultiAzInstance => 1,
            Deployment::MultiAzCluster => 2,
            Deployment::SingleAz => 0,
        }
    }
}

/// Where reads go.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReadRouting {
    /// Every read on the primary.
    Primary,
    /// A reader chosen uniformly at random.
    Random,
    /// Readers in turn.
    RoundRobin,
    /// The reader with the fewest requests queued or in service.
    LeastLoaded,
}

impl ReadRouting {
    /// The name used in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadRouting::Primary => "primary",
            ReadRouting::Random => "random",
            ReadRouting::RoundRobin => "round_robin",
            ReadRouting::LeastLoaded => "least_loaded",
        }
    }
}

/// The parameters of an `rds` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RdsConfig {
    /// `multi_az_instance` (default), `multi_az_cluster` or `single_az`.
    #[serde(default = "default_deployment")]
    pub deployment: String,
    /// AZ of the standby (multi_az_instance); default the AZ after the primary's.
    pub standby_az: Option<String>,
    /// AZs of the two standbys (multi_az_cluster); default the two AZs after the writer's.
    pub standby_azs: Option<Vec<String>>,
    /// Instance class of every instance (`db.r6g.2xlarge`): sets `workers` (its vCPUs),
    /// `max_connections` (the engine's formula) and the price. None: billed as
    /// [`DEFAULT_RDS_CLASS`](crate::services::classes::DEFAULT_RDS_CLASS), the model on its own defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    /// `mysql` (default) or `postgresql`: which `max_connections` formula a class uses.
    #[serde(default = "default_engine")]
    pub engine: String,
    /// Worker slots per instance (parallel queries); default the class's vCPUs, else 16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// Connections per instance (in service + waiting); beyond it requests are rejected.
    /// Default by the class's formula, else 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// Service time of a read.
    #[serde(default = "default_read_service")]
    pub read_service: DistSpec<Seconds>,
    /// Execution time of a write on the primary.
    #[serde(default = "default_write_service")]
    pub write_service: DistSpec<Seconds>,
    /// Time for a standby to persist a replicated write before acknowledging it.
    #[serde(default = "default_standby_apply")]
    pub standby_apply: DistSpec<Seconds>,
    /// Time for a replica (or readable cluster standby) to apply one write, single threaded.
    #[serde(default = "default_apply")]
    pub apply: DistSpec<Seconds>,
    /// Time to detect a failed primary (default by deployment).
    pub detection: Option<DistSpec<Seconds>>,
    /// Time to promote the standby (default by deployment).
    pub promotion: Option<DistSpec<Seconds>>,
    /// Time from promotion to the DNS record pointing at the new primary (default by
    /// deployment).
    pub dns_switch: Option<DistSpec<Seconds>>,
    /// Time to replace a failed instance when there is nothing to fail over to.
    #[serde(default = "default_replacement")]
    pub replacement: DistSpec<Seconds>,
    /// Time for a recovered instance to resynchronise before rejoining.
    #[serde(default = "default_resync")]
    pub resync: DistSpec<Seconds>,
    /// Time to promote a read replica when the primary is lost without a standby.
    #[serde(default = "default_replica_promotion")]
    pub replica_promotion: DistSpec<Seconds>,
    /// Clients connect through RDS Proxy.
    #[serde(default)]
    pub proxy: bool,
    /// AZ of the proxy (default the primary's).
    pub proxy_az: Option<String>,
    /// Database connections the proxy may hold (default `max_connections`).
    pub proxy_max_connections: Option<u32>,
    /// How long a request may wait in the proxy for a connection (default 120 s).
    pub proxy_borrow_timeout: Option<Duration>,
    /// Number of read replicas (0..=15).
    #[serde(default)]
    pub replicas: u32,
    /// AZ of each replica (default spread over the AZs after the primary's).
    pub replica_azs: Option<Vec<String>>,
    /// `primary`, `random`, `round_robin` or `least_loaded`.
    pub read_routing: Option<String>,
}

fn default_deployment() -> String {
    Deployment::MultiAzInstance.as_str().to_string()
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
fn default_standby_apply() -> DistSpec<Seconds> {
    DistSpec::exponential(DEFAULT_STANDBY_APPLY_SECS)
}
fn default_apply() -> DistSpec<Seconds> {
    DistSpec::exponential(DEFAULT_APPLY_SECS)
}
fn default_replacement() -> DistSpec<Seconds> {
    uniform(REPLACEMENT_SECS)
}
fn default_resync() -> DistSpec<Seconds> {
    uniform(RESYNC_SECS)
}
fn default_replica_promotion() -> DistSpec<Seconds> {
    uniform(REPLICA_PROMOTION_SECS)
}

/// A uniform distribution on `[min, max]` seconds.
pub fn uniform((min, max): (f64, f64)) -> DistSpec<Seconds> {
    DistSpec::uniform(min, max)
}

/// The checked parameters of an `rds` component.
#[derive(Clone, Debug)]
pub struct RdsPlan {
    /// Deployment.
    pub deployment: Deployment,
    /// AZ of the primary, then of each standby, then of each replica.
    pub azs: Vec<u16>,
    /// Worker slots per instance.
    pub workers: u32,
    /// Connections per instance.
    pub max_connections: u32,
    /// Waiting places per instance (`max_connections − workers`).
    pub queue_limit: u64,
    /// Read service time.
    pub read_service: Dist,
    /// Write execution time.
    pub write_service: Dist,
    /// Standby persist time.
    pub standby_apply: Dist,
    /// Replica apply time.
    pub apply: Dist,
    /// Failure detection time.
    pub detection: Dist,
    /// Standby promotion time.
    pub promotion: Dist,
    /// DNS switch time.
    pub dns_switch: Dist,
    /// Replacement time.
    pub replacement: Dist,
    /// Resynchronisation time.
    pub resync: Dist,
    /// Replica promotion time.
    pub replica_promotion: Dist,
    /// The proxy, if any: AZ, connections, borrow timeout.
    pub proxy: Option<(u16, u32, SimDuration)>,
    /// Number of replicas.
    pub replicas: usize,
    /// Read routing.
    pub read_routing: ReadRouting,
}

fn dist(spec: &DistSpec<Seconds>, field: &str) -> Result<Dist, SpecError> {
    spec.build().map_err(|e| e.within(field))
}

impl RdsConfig {
    /// Every duration distribution with its field path (for empirical sample files).
    pub fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        let mut out: Vec<(String, &mut DistSpec<Seconds>)> = vec![
            ("read_service".into(), &mut self.read_service),
            ("write_service".into(), &mut self.write_service),
            ("standby_apply".into(), &mut self.standby_apply),
            ("apply".into(), &mut self.apply),
            ("replacement".into(), &mut self.replacement),
            ("resync".into(), &mut self.resync),
            ("replica_promotion".into(), &mut self.replica_promotion),
        ];
        for (field, spec) in [
            ("detection", &mut self.detection),
            ("promotion", &mut self.promotion),
            ("dns_switch", &mut self.dns_switch),
        ] {
            if let Some(spec) = spec.as_mut() {
                out.push((field.into(), spec));
            }
        }
        out
    }

    /// Checks every parameter against the topology and builds the plan.
    pub fn plan(&self, context: &BuildContext<'_>) -> Result<RdsPlan, SpecError> {
        let deployment = match self.deployment.as_str() {
            "multi_az_instance" => Deployment::MultiAzInstance,
            "multi_az_cluster" => Deployment::MultiAzCluster,
            "single_az" => Deployment::SingleAz,
            other => {
                return Err(SpecError::new(
                    "deployment",
                    format!(
                        "unknown deployment `{other}`, expected one of `multi_az_instance`, `multi_az_cluster`, `single_az`"
                    ),
                ));
            }
        };
        let own = context.own_az;
        let az_count = context.az_count;
        let az = |name: &str, field: &str| -> Result<u16, SpecError> {
            (context.az_index)(name).ok_or_else(|| SpecError::new(field, format!("unknown availability zone `{name}`")))
        };
        let next_az = |k: u16| (own + k) % az_count.max(1);

        let mut azs = vec![own];
        match deployment {
            Deployment::MultiAzInstance => {
                if self.standby_azs.is_some() {
                    return Err(SpecError::new(
                        "standby_azs",
                        "`standby_azs` applies to deployment = \"multi_az_cluster\"; a multi_az_instance has one `standby_az`",
                    ));
                }
                let standby = match &self.standby_az {
                    Some(name) => az(name, "standby_az")?,
                    None => {
                        if az_count < 2 {
                            return Err(SpecError::new(
                                "deployment",
                                "a multi_az_instance needs a second AZ for its standby, but [topology] has 1 AZ (add AZs, e.g. azs = [\"a\", \"b\"], or use deployment = \"single_az\")",
                            ));
                        }
                        next_az(1)
                    }
                };
                if standby == own {
                    return Err(SpecError::new("standby_az", "the standby must be in a different AZ from the primary"));
                }
                azs.push(standby);
            }
            Deployment::MultiAzCluster => {
                if self.standby_az.is_some() {
                    return Err(SpecError::new(
                        "standby_az",
                        "`standby_az` applies to deployment = \"multi_az_instance\"; a multi_az_cluster has two `standby_azs`",
                    ));
                }
                let standbys = match &self.standby_azs {
                    Some(names) => {
                        if names.len() != 2 {
                            return Err(SpecError::new(
                                "standby_azs",
                                format!("a multi_az_cluster has exactly 2 standbys, found {} AZs", names.len()),
                            ));
                        }
                        vec![az(&names[0], "standby_azs")?, az(&names[1], "standby_azs")?]
                    }
                    None => {
                        if az_count < 3 {
                            return Err(SpecError::new(
                                "deployment",
                                format!(
                                    "a multi_az_cluster spans 3 AZs, but [topology] has {az_count} (add AZs or use another deployment)"
                                ),
                            ));
                        }
                        vec![next_az(1), next_az(2)]
                    }
                };
                if standbys.contains(&own) || standbys[0] == standbys[1] {
                    return Err(SpecError::new(
                        "standby_azs",
                        "the writer and its two standbys must be in 3 different AZs",
                    ));
                }
                azs.extend(standbys);
            }
            Deployment::SingleAz => {
                if self.standby_az.is_some() {
                    return Err(SpecError::new("standby_az", "a single_az deployment has no standby"));
                }
                if self.standby_azs.is_some() {
                    return Err(SpecError::new("standby_azs", "a single_az deployment has no standby"));
                }
            }
        }

        let engine = DbEngine::parse(&self.engine)?;
        let class = match &self.instance_class {
            Some(name) => Some(lookup(Service::Rds, name, "instance_class")?),
            None => None,
        };
        let workers = self.workers.or(class.map(|c| c.vcpus)).unwrap_or(DEFAULT_WORKERS);
        let max_connections =
            self.max_connections.or(class.map(|c| rds_max_connections(c, engine))).unwrap_or(DEFAULT_MAX_CONNECTIONS);
        if workers == 0 || workers > MAX_SERVERS {
            return Err(SpecError::new("workers", format!("`workers` must be in 1..={MAX_SERVERS}, found {workers}")));
        }
        if max_connections < workers {
            return Err(SpecError::new(
                "max_connections",
                format!("`max_connections` ({max_connections}) must be at least `workers` ({workers})"),
            ));
        }
        if self.replicas > MAX_REPLICAS {
            return Err(SpecError::new(
                "replicas",
                format!("at most {MAX_REPLICAS} read replicas, found {}", self.replicas),
            ));
        }
        let replicas = self.replicas as usize;
        match &self.replica_azs {
            Some(names) => {
                if names.len() != replicas {
                    return Err(SpecError::new(
                        "replica_azs",
                        format!("{} AZs given for {replicas} replicas; give one per replica", names.len()),
                    ));
                }
                for name in names {
                    azs.push(az(name, "replica_azs")?);
                }
            }
            None => azs.extend((0..replicas).map(|i| next_az(1 + i as u16))),
        }

        let has_readers = replicas > 0 || deployment == Deployment::MultiAzCluster;
        let read_routing = match self.read_routing.as_deref() {
            None if replicas > 0 => ReadRouting::RoundRobin,
            None | Some("primary") => ReadRouting::Primary,
            Some("random") => ReadRouting::Random,
            Some("round_robin") => ReadRouting::RoundRobin,
            Some("least_loaded") => ReadRouting::LeastLoaded,
            Some(other) => {
                return Err(SpecError::new(
                    "read_routing",
                    format!(
                        "unknown read routing `{other}`, expected one of `primary`, `random`, `round_robin`, `least_loaded`"
                    ),
                ));
            }
        };
        if read_routing != ReadRouting::Primary && !has_readers {
            return Err(SpecError::new(
                "read_routing",
                "reads can only go to the primary: there are no replicas (set `replicas`) and no readable standbys (multi_az_cluster)",
            ));
        }

        let proxy = if self.proxy {
            let proxy_az = match &self.proxy_az {
                Some(name) => az(name, "proxy_az")?,
                None => own,
            };
            let connections = self.proxy_max_connections.unwrap_or(max_connections);
            if connections == 0 || connections > MAX_SERVERS {
                return Err(SpecError::new(
                    "proxy_max_connections",
                    format!("the proxy needs 1 to {MAX_SERVERS} database connections, found {connections}"),
                ));
            }
            let timeout = self.proxy_borrow_timeout.map(Duration::get).unwrap_or(DEFAULT_PROXY_BORROW_TIMEOUT);
            if timeout == SimDuration::ZERO {
                return Err(SpecError::new("proxy_borrow_timeout", "must be longer than 0"));
            }
            Some((proxy_az, connections, timeout))
        } else {
            for (field, given) in [
                ("proxy_az", self.proxy_az.is_some()),
                ("proxy_max_connections", self.proxy_max_connections.is_some()),
                ("proxy_borrow_timeout", self.proxy_borrow_timeout.is_some()),
            ] {
                if given {
                    return Err(SpecError::new(field, format!("`{field}` applies only with `proxy = true`")));
                }
            }
            None
        };

        let by_deployment = |spec: &Option<DistSpec<Seconds>>,
                             field: &str,
                             instance: (f64, f64),
                             cluster: (f64, f64)| match spec {
            Some(spec) => dist(spec, field),
            None => dist(&uniform(if deployment == Deployment::MultiAzCluster { cluster } else { instance }), field),
        };
        let plan = RdsPlan {
            deployment,
            azs,
            workers,
            max_connections,
            queue_limit: u64::from(max_connections - workers),
            read_service: dist(&self.read_service, "read_service")?,
            write_service: dist(&self.write_service, "write_service")?,
            standby_apply: dist(&self.standby_apply, "standby_apply")?,
            apply: dist(&self.apply, "apply")?,
            detection: by_deployment(
                &self.detection,
                "detection",
                INSTANCE_FAILOVER_PHASE_SECS,
                CLUSTER_DETECTION_SECS,
            )?,
            promotion: by_deployment(
                &self.promotion,
                "promotion",
                INSTANCE_FAILOVER_PHASE_SECS,
                CLUSTER_PROMOTION_SECS,
            )?,
            dns_switch: by_deployment(&self.dns_switch, "dns_switch", INSTANCE_FAILOVER_PHASE_SECS, CLUSTER_DNS_SECS)?,
            replacement: dist(&self.replacement, "replacement")?,
            resync: dist(&self.resync, "resync")?,
            replica_promotion: dist(&self.replica_promotion, "replica_promotion")?,
            proxy,
            replicas,
            read_routing,
        };
        Ok(plan)
    }
}

//! Instance classes: the RDS, Aurora, ElastiCache and EC2 sizes a capacity planner picks, with
//! what stratus derives from them (worker slots = vCPUs, `max_connections` by the engine's
//! formula, cache memory) and their us-east-1 On-Demand hourly price.
//!
//! `instance_class = "db.r6g.2xlarge"` on `rds` and `aurora`, `"cache.r7g.large"` on
//! `elasticache` and `"c7g.xlarge"` on `app` looks the class up here ([`lookup`]); explicit
//! parameters (`workers`, `max_connections`, `node_memory`) still override what the class sets.
//! Prices are read by `planning::cost` through [`hourly_price`]; `[pricing] overrides` replace
//! them by key ([`price_key`]).
//!
//! # Sources and dates
//! - vCPUs and memory: Amazon RDS User Guide, "DB instance classes — hardware specifications"
//!   (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html>);
//!   ElastiCache User Guide, "Supported node types" (memory as ElastiCache lists it, e.g.
//!   13.07 GiB for cache.r7g.large; <https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html>);
//!   EC2 "Instance types" (<https://aws.amazon.com/ec2/instance-types/>).
//! - Network baseline (Gbit/s, not the "up to" burst): EC2 User Guide, "Network specifications"
//!   of the general purpose, compute and memory optimized families
//!   (<https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html>); database and cache
//!   classes run on the EC2 type of the same name.
//! - Prices: us-east-1, On-Demand, Linux / Single-AZ, USD per instance-hour, as listed on
//!   <https://aws.amazon.com/rds/mysql/pricing/>, <https://aws.amazon.com/rds/aurora/pricing/>
//!   (Aurora Standard, MySQL-compatible), <https://aws.amazon.com/elasticache/pricing/>
//!   (Redis OSS nodes) and <https://aws.amazon.com/ec2/pricing/on-demand/>, figures as of
//!   2025 (the pricing pages carry no date; read 2025, re-checked against third-party copies
//!   dated 2026: db.t4g.medium $0.065, infratally.com "AWS RDS pricing explained 2026").
//!   Within a family AWS prices are linear in size (xlarge = 2 × large, …): the tables keep
//!   that. Rows marked `sourced: false` are assumptions (noted next to their group).
//! - `max_connections`: RDS MySQL default `{DBInstanceClassMemory/12582880}`, RDS and Aurora
//!   PostgreSQL `LEAST({DBInstanceClassMemory/9531392}, 5000)` (RDS User Guide, "Maximum
//!   number of database connections",
//!   <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections>);
//!   Aurora MySQL by class (Aurora User Guide, "Maximum connections to an Aurora MySQL DB
//!   instance": 90 for db.t*.medium, 1,000 for .large, 2,000 .xlarge, 3,000 .2xlarge,
//!   4,000 .4xlarge, 5,000 .8xlarge). `DBInstanceClassMemory` is taken as the class's whole
//!   memory; AWS subtracts what the OS and RDS processes hold, so real values are a few
//!   percent lower (assumption).
//! - 1-year reserved, no upfront: the effective hourly price is the On-Demand price times
//!   [`reserved_1y_factor`] of the service (see there).

use crate::model::{SpecError, did_you_mean};

/// Which price list and class table a component uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Service {
    /// Amazon RDS (MySQL / PostgreSQL), `db.*` classes.
    Rds,
    /// Amazon Aurora, `db.*` classes.
    Aurora,
    /// Amazon ElastiCache, `cache.*` node types.
    ElastiCache,
    /// Amazon EC2 (the `app` kind's instances).
    Ec2,
}

impl Service {
    /// The name used in price keys (`rds.db.r6g.large`).
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Rds => "rds",
            Service::Aurora => "aurora",
            Service::ElastiCache => "elasticache",
            Service::Ec2 => "ec2",
        }
    }

    /// The service called `name` in a price key.
    pub fn from_name(name: &str) -> Option<Service> {
        [Service::Rds, Service::Aurora, Service::ElastiCache, Service::Ec2].into_iter().find(|s| s.as_str() == name)
    }

    /// Its class table.
    pub fn classes(self) -> &'static [InstanceClass] {
        match self {
            Service::Rds => RDS_CLASSES,
            Service::Aurora => AURORA_CLASSES,
            Service::ElastiCache => CACHE_CLASSES,
            Service::Ec2 => EC2_CLASSES,
        }
    }
}

/// One instance class.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct InstanceClass {
    /// Its name, e.g. `db.r6g.2xlarge`.
    pub name: &'static str,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory, GiB (for cache nodes: the memory ElastiCache lists for data).
    pub memory_gib: f64,
    /// Baseline network bandwidth, Gbit/s.
    pub network_gbps: f64,
    /// us-east-1 On-Demand price, USD per instance-hour.
    pub hourly: f64,
    /// Whether the price was read from AWS's price list (false: derived, an assumption).
    pub sourced: bool,
}

const fn class(name: &'static str, vcpus: u32, memory_gib: f64, network_gbps: f64, hourly: f64) -> InstanceClass {
    InstanceClass { name, vcpus, memory_gib, network_gbps, hourly, sourced: true }
}

const fn derived(name: &'static str, vcpus: u32, memory_gib: f64, network_gbps: f64, hourly: f64) -> InstanceClass {
    InstanceClass { name, vcpus, memory_gib, network_gbps, hourly, sourced: false }
}

/// RDS for MySQL classes (Single-AZ, per instance; a Multi-AZ deployment bills each standby
/// as one more instance). PostgreSQL lists about 4–5% higher for the r6g family (assumption
/// not modelled: override the price key). db.t4g.medium, db.m6g and db.r6g: sourced (RDS
/// MySQL pricing page, 2025). db.r7g: derived, an assumption — the r6g price × 1.12, the
/// premium AWS lists Graviton3 RDS classes at over Graviton2 (check the page and override
/// `rds.db.r7g.<size>` if it matters).
pub const RDS_CLASSES: &[InstanceClass] = &[
    class("db.t4g.medium", 2, 4.0, 0.256, 0.065),
    class("db.m6g.large", 2, 8.0, 0.75, 0.152),
    class("db.m6g.xlarge", 4, 16.0, 1.25, 0.304),
    class("db.m6g.2xlarge", 8, 32.0, 2.5, 0.608),
    class("db.m6g.4xlarge", 16, 64.0, 5.0, 1.216),
    class("db.m6g.8xlarge", 32, 128.0, 12.0, 2.432),
    class("db.r6g.large", 2, 16.0, 0.75, 0.215),
    class("db.r6g.xlarge", 4, 32.0, 1.25, 0.43),
    class("db.r6g.2xlarge", 8, 64.0, 2.5, 0.86),
    class("db.r6g.4xlarge", 16, 128.0, 5.0, 1.72),
    class("db.r6g.8xlarge", 32, 256.0, 12.0, 3.44),
    derived("db.r7g.large", 2, 16.0, 0.937, 0.2408),
    derived("db.r7g.xlarge", 4, 32.0, 1.876, 0.4816),
    derived("db.r7g.2xlarge", 8, 64.0, 3.75, 0.9632),
    derived("db.r7g.4xlarge", 16, 128.0, 7.5, 1.9264),
    derived("db.r7g.8xlarge", 32, 256.0, 15.0, 3.8528),
];

/// Aurora classes (Aurora Standard, MySQL- and PostgreSQL-compatible list the same price;
/// I/O-Optimized, not modelled, lists instances about 30% higher). Aurora has no db.m6g.
/// All sourced (Aurora pricing page, 2025): db.t4g.medium $0.073, db.r6g.large $0.26,
/// db.r7g.large $0.276, linear in size.
pub const AURORA_CLASSES: &[InstanceClass] = &[
    class("db.t4g.medium", 2, 4.0, 0.256, 0.073),
    class("db.r6g.large", 2, 16.0, 0.75, 0.26),
    class("db.r6g.xlarge", 4, 32.0, 1.25, 0.52),
    class("db.r6g.2xlarge", 8, 64.0, 2.5, 1.04),
    class("db.r6g.4xlarge", 16, 128.0, 5.0, 2.08),
    class("db.r6g.8xlarge", 32, 256.0, 12.0, 4.16),
    class("db.r7g.large", 2, 16.0, 0.937, 0.276),
    class("db.r7g.xlarge", 4, 32.0, 1.876, 0.552),
    class("db.r7g.2xlarge", 8, 64.0, 3.75, 1.104),
    class("db.r7g.4xlarge", 16, 128.0, 7.5, 2.208),
    class("db.r7g.8xlarge", 32, 256.0, 15.0, 4.416),
];

/// ElastiCache node types (Redis OSS prices; Valkey lists 20% lower, Memcached the same as
/// Redis OSS). Memory is what ElastiCache lists per node type. Sourced (ElastiCache pricing
/// page, 2025): cache.t4g.medium $0.065, cache.m6g.large $0.149, cache.m7g.large $0.158,
/// cache.r6g.large $0.206, cache.r7g.large $0.219; larger sizes double per step (AWS rounds
/// to 3 decimals, so 2 × 0.206 lists as $0.411: the table keeps AWS's figures).
pub const CACHE_CLASSES: &[InstanceClass] = &[
    class("cache.t4g.medium", 2, 3.09, 0.256, 0.065),
    class("cache.m6g.large", 2, 6.38, 0.75, 0.149),
    class("cache.m6g.xlarge", 4, 12.93, 1.25, 0.297),
    class("cache.m6g.2xlarge", 8, 26.04, 2.5, 0.595),
    class("cache.m6g.4xlarge", 16, 52.26, 5.0, 1.19),
    class("cache.m7g.large", 2, 6.38, 0.937, 0.158),
    class("cache.m7g.xlarge", 4, 12.93, 1.876, 0.315),
    class("cache.m7g.2xlarge", 8, 26.04, 3.75, 0.63),
    class("cache.m7g.4xlarge", 16, 52.26, 7.5, 1.261),
    class("cache.r6g.large", 2, 13.07, 0.75, 0.206),
    class("cache.r6g.xlarge", 4, 26.32, 1.25, 0.411),
    class("cache.r6g.2xlarge", 8, 52.82, 2.5, 0.821),
    class("cache.r6g.4xlarge", 16, 105.81, 5.0, 1.642),
    class("cache.r7g.large", 2, 13.07, 0.937, 0.219),
    class("cache.r7g.xlarge", 4, 26.32, 1.876, 0.437),
    class("cache.r7g.2xlarge", 8, 52.82, 3.75, 0.873),
    class("cache.r7g.4xlarge", 16, 105.81, 7.5, 1.747),
];

/// EC2 instance types for `app` instances (Linux On-Demand). Sourced (EC2 On-Demand pricing
/// page, 2025): c6g.large $0.068, c7g.large $0.0725, m6g.large $0.077, m7g.large $0.0816,
/// linear in size.
pub const EC2_CLASSES: &[InstanceClass] = &[
    class("c6g.large", 2, 4.0, 0.75, 0.068),
    class("c6g.xlarge", 4, 8.0, 1.25, 0.136),
    class("c6g.2xlarge", 8, 16.0, 2.5, 0.272),
    class("c6g.4xlarge", 16, 32.0, 5.0, 0.544),
    class("c7g.large", 2, 4.0, 0.937, 0.0725),
    class("c7g.xlarge", 4, 8.0, 1.876, 0.145),
    class("c7g.2xlarge", 8, 16.0, 3.75, 0.29),
    class("c7g.4xlarge", 16, 32.0, 7.5, 0.58),
    class("m6g.large", 2, 8.0, 0.75, 0.077),
    class("m6g.xlarge", 4, 16.0, 1.25, 0.154),
    class("m6g.2xlarge", 8, 32.0, 2.5, 0.308),
    class("m6g.4xlarge", 16, 64.0, 5.0, 0.616),
    class("m7g.large", 2, 8.0, 0.937, 0.0816),
    class("m7g.xlarge", 4, 16.0, 1.876, 0.1632),
    class("m7g.2xlarge", 8, 32.0, 3.75, 0.3264),
    class("m7g.4xlarge", 16, 64.0, 7.5, 0.6528),
];

/// The class an `rds` component is billed as when it names none: db.r6g.4xlarge, whose 16
/// vCPUs match the default 16 workers. Cost only: without `instance_class` the model runs on
/// its own defaults (`workers`, `max_connections`), unchanged.
pub const DEFAULT_RDS_CLASS: &str = "db.r6g.4xlarge";
/// The class an `aurora` component is billed as when it names none: db.r6g.8xlarge, whose
/// 32 vCPUs match the default 32 workers (cost only, as for RDS).
pub const DEFAULT_AURORA_CLASS: &str = "db.r6g.8xlarge";
/// The node type an `elasticache` component is billed as when it names none: cache.r7g.large,
/// whose memory the default `node_memory` (13 GiB) is taken from (cost only).
pub const DEFAULT_CACHE_CLASS: &str = "cache.r7g.large";
/// The instance type an `app` component is billed as when it names none: m7g.large, whose 2
/// vCPUs match the default 2 workers (cost only).
pub const DEFAULT_EC2_CLASS: &str = "m7g.large";

/// The class called `name` in `service`'s table, or an error at `field` naming the classes
/// there are (and the closest one).
pub fn lookup(service: Service, name: &str, field: &str) -> Result<&'static InstanceClass, SpecError> {
    let classes = service.classes();
    classes.iter().find(|class| class.name == name).ok_or_else(|| {
        let names: Vec<&str> = classes.iter().map(|class| class.name).collect();
        SpecError::new(
            field,
            format!(
                "unknown {} instance class `{name}`{}; stratus knows {}",
                service.as_str(),
                did_you_mean(name, names.iter().copied()),
                names.join(", ")
            ),
        )
    })
}

/// The price key of an instance-hour of `class` in `service`: `rds.db.r6g.large`.
pub fn price_key(service: Service, class: &str) -> String {
    format!("{}.{class}", service.as_str())
}

/// The bundled us-east-1 On-Demand price of an instance-hour of `class` in `service`.
pub fn hourly_price(service: Service, class: &str) -> Option<f64> {
    service.classes().iter().find(|c| c.name == class).map(|c| c.hourly)
}

/// Effective hourly price of a 1-year, no-upfront reservation over the On-Demand price.
/// RDS: 0.71 — "29% on the lowest 1-year commitment" (usage.ai, "RDS MySQL reserved
/// instances", 2026, quoting AWS's RDS reserved pricing). Aurora 0.71 and ElastiCache 0.70:
/// assumptions of the same order (AWS lists 1-year no-upfront reserved nodes and Aurora
/// instances at roughly 30% off). EC2: 0.63, an assumption (standard 1-year no-upfront
/// reserved instances of the Graviton families list about 37% off). Override exact prices
/// with `[pricing] overrides`.
pub fn reserved_1y_factor(service: Service) -> f64 {
    match service {
        Service::Rds | Service::Aurora => 0.71,
        Service::ElastiCache => 0.70,
        Service::Ec2 => 0.63,
    }
}

/// Database engine, for the `max_connections` formula.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DbEngine {
    /// MySQL (RDS for MySQL, Aurora MySQL-compatible).
    Mysql,
    /// PostgreSQL (RDS for PostgreSQL, Aurora PostgreSQL-compatible).
    Postgresql,
}

impl DbEngine {
    /// The engine called `name` (`mysql`, `postgresql`), or an error at `engine`.
    pub fn parse(name: &str) -> Result<DbEngine, SpecError> {
        match name {
            "mysql" => Ok(DbEngine::Mysql),
            "postgresql" => Ok(DbEngine::Postgresql),
            other => {
                Err(SpecError::new("engine", format!("unknown engine `{other}`, expected `mysql` or `postgresql`")))
            }
        }
    }
}

/// `DBInstanceClassMemory` in bytes: the class's memory (see the module's sources).
fn class_memory_bytes(class: &InstanceClass) -> f64 {
    class.memory_gib * f64::from(1u32 << 30)
}

/// The default `max_connections` of an RDS instance of `class`: MySQL
/// `DBInstanceClassMemory/12582880`, PostgreSQL `LEAST(DBInstanceClassMemory/9531392, 5000)`.
pub fn rds_max_connections(class: &InstanceClass, engine: DbEngine) -> u32 {
    let memory = class_memory_bytes(class);
    match engine {
        DbEngine::Mysql => (memory / 12_582_880.0) as u32,
        DbEngine::Postgresql => ((memory / 9_531_392.0) as u32).min(5000),
    }
}

/// The default `max_connections` of an Aurora instance of `class`: Aurora MySQL's table by
/// size (90 for a .medium, 1,000 per step from .large to 5,000 at .8xlarge), Aurora
/// PostgreSQL `LEAST(DBInstanceClassMemory/9531392, 5000)`.
pub fn aurora_max_connections(class: &InstanceClass, engine: DbEngine) -> u32 {
    match engine {
        DbEngine::Postgresql => rds_max_connections(class, engine),
        DbEngine::Mysql => {
            let size = class.name.rsplit('.').next().unwrap_or("");
            match size {
                "medium" => 90,
                "large" => 1000,
                "xlarge" => 2000,
                "2xlarge" => 3000,
                "4xlarge" => 4000,
                "8xlarge" => 5000,
                _ => 6000,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_connections_follow_the_documented_formulas() {
        let large = lookup(Service::Rds, "db.r6g.large", "instance_class").unwrap();
        // 16 GiB = 17,179,869,184 B: / 12,582,880 = 1365.3; / 9,531,392 = 1802.4.
        assert_eq!(rds_max_connections(large, DbEngine::Mysql), 1365);
        assert_eq!(rds_max_connections(large, DbEngine::Postgresql), 1802);
        // 256 GiB: PostgreSQL is capped at 5,000; MySQL is 21,845.
        let big = lookup(Service::Rds, "db.r6g.8xlarge", "instance_class").unwrap();
        assert_eq!(rds_max_connections(big, DbEngine::Postgresql), 5000);
        assert_eq!(rds_max_connections(big, DbEngine::Mysql), 21_845);
        let aurora = lookup(Service::Aurora, "db.r6g.2xlarge", "instance_class").unwrap();
        assert_eq!(aurora_max_connections(aurora, DbEngine::Mysql), 3000);
        let small = lookup(Service::Aurora, "db.t4g.medium", "instance_class").unwrap();
        assert_eq!(aurora_max_connections(small, DbEngine::Mysql), 90);
    }

    #[test]
    fn tables_are_consistent() {
        for service in [Service::Rds, Service::Aurora, Service::ElastiCache, Service::Ec2] {
            let classes = service.classes();
            for (i, class) in classes.iter().enumerate() {
                assert!(classes[..i].iter().all(|other| other.name != class.name), "{} twice", class.name);
                assert!(class.hourly > 0.0 && class.vcpus > 0 && class.memory_gib > 0.0 && class.network_gbps > 0.0);
                // Within a family each size step doubles vCPUs and (about) the price.
                if let Some(next) = classes.get(i + 1) {
                    let family = |name: &str| name.rsplit_once('.').map(|(f, _)| f.to_string());
                    if family(next.name) == family(class.name) && class.vcpus >= 2 && !class.name.contains(".t4g.") {
                        assert_eq!(next.vcpus, 2 * class.vcpus, "{} -> {}", class.name, next.name);
                        let ratio = next.hourly / class.hourly;
                        assert!((1.98..=2.02).contains(&ratio), "{} -> {}: {ratio}", class.name, next.name);
                    }
                }
            }
        }
        for (service, default) in [
            (Service::Rds, DEFAULT_RDS_CLASS),
            (Service::Aurora, DEFAULT_AURORA_CLASS),
            (Service::ElastiCache, DEFAULT_CACHE_CLASS),
            (Service::Ec2, DEFAULT_EC2_CLASS),
        ] {
            assert!(hourly_price(service, default).is_some(), "{default}");
        }
    }

    #[test]
    fn unknown_classes_are_named_with_a_suggestion() {
        let error = lookup(Service::Rds, "db.r6g.2xlarg", "instance_class").unwrap_err();
        assert_eq!(error.field, "instance_class");
        assert!(error.message.contains("did you mean `db.r6g.2xlarge`"), "{}", error.message);
        assert!(lookup(Service::Aurora, "db.m6g.large", "instance_class").is_err(), "Aurora has no m6g");
        assert_eq!(price_key(Service::Aurora, "db.r6g.large"), "aurora.db.r6g.large");
    }
}

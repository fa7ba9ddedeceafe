//! The registry of component kinds: how a `[[component]]` table of each kind is read, which
//! other components it names, and how it is built.
//!
//! Adding a kind: implement [`KindConfig`] for its parameter struct (next to the service), add
//! one line to the `component_kinds!` invocation below, and its [`KindDoc`] to [`KIND_DOCS`].

use serde::{Deserialize, Deserializer, Serialize};

use super::app::{APP_DOC, AppConfig};
use super::aurora::{AURORA_DOC, AuroraConfig};
use super::elasticache::{ELASTICACHE_DOC, ElastiCacheConfig};
use super::kinesis::{ConsumerConfig as KinesisConsumerConfig, KINESIS_CONSUMER_DOC, KINESIS_DOC, KinesisConfig};
use super::lambda::{LAMBDA_DOC, LambdaConfig};
use super::rds::{RDS_DOC, RdsConfig};
use super::sns::{SNS_DOC, SnsConfig};
use super::sqs::{ConsumerConfig, SQS_CONSUMER_DOC, SQS_DOC, SqsConfig};
use crate::blocks::caller::CLIENT_DOC;
use crate::blocks::station::{STATION_DOC, StationConfig};
use crate::blocks::workload::WORKLOAD_DOC;
use crate::model::billing::BillableItem;
use crate::model::dist::{DistSpec, Seconds};
use crate::model::fault::FAULT_DOC;
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::topology::TOPOLOGY_DOC;
use crate::model::{Component, KindDoc, ParamDoc, SpecError};

macro_rules! component_kinds {
    ($($variant:ident($config:ty) = $kind:literal),+ $(,)?) => {
        /// The kind-specific parameters of a `[[component]]`.
        #[derive(Clone, Debug, Serialize)]
        #[serde(untagged)]
        pub enum ComponentConfig {
            $(
                #[doc = concat!("`kind = \"", $kind, "\"`.")]
                $variant(Box<$config>),
            )+
        }

        /// The `kind` values a `[[component]]` may have.
        pub const COMPONENT_KINDS: &[&str] = &[$($kind),+];

        impl ComponentConfig {
            /// Reads the parameters of a component of `kind` (the table without `name`, `kind`,
            /// `az`); `Ok(None)` if the kind is unknown.
            pub fn deserialize_kind<'de, D: Deserializer<'de>>(kind: &str, table: D) -> Result<Option<Self>, D::Error> {
                Ok(match kind {
                    $($kind => Some(ComponentConfig::$variant(Box::new(<$config>::deserialize(table)?))),)+
                    _ => None,
                })
            }

            /// The `kind` string.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(ComponentConfig::$variant(_) => $kind,)+
                }
            }

            fn inner(&self) -> &dyn ErasedKind {
                match self {
                    $(ComponentConfig::$variant(config) => config.as_ref(),)+
                }
            }

            /// The parameters with build-time defaults written in ([`KindConfig::resolved`]).
            pub fn resolved(&self, context: &BuildContext<'_>, az_names: &[String]) -> Result<Self, SpecError> {
                Ok(match self {
                    $(ComponentConfig::$variant(config) => ComponentConfig::$variant(Box::new(config.resolved(context, az_names)?)),)+
                })
            }

            fn inner_mut(&mut self) -> &mut dyn ErasedKind {
                match self {
                    $(ComponentConfig::$variant(config) => config.as_mut(),)+
                }
            }
        }
    };
}

component_kinds! {
    Station(StationConfig) = "station",
    Rds(RdsConfig) = "rds",
    Aurora(AuroraConfig) = "aurora",
    Lambda(LambdaConfig) = "lambda",
    Sns(SnsConfig) = "sns",
    Sqs(SqsConfig) = "sqs",
    SqsConsumer(ConsumerConfig) = "sqs_consumer",
    Kinesis(KinesisConfig) = "kinesis",
    KinesisConsumer(KinesisConsumerConfig) = "kinesis_consumer",
    ElastiCache(ElastiCacheConfig) = "elasticache",
    App(AppConfig) = "app",
}

/// Every documented kind and table, for `stratus describe`.
pub const KIND_DOCS: &[KindDoc] = &[
    STATION_DOC,
    AURORA_DOC,
    RDS_DOC,
    LAMBDA_DOC,
    SNS_DOC,
    SQS_DOC,
    SQS_CONSUMER_DOC,
    KINESIS_DOC,
    KINESIS_CONSUMER_DOC,
    ELASTICACHE_DOC,
    APP_DOC,
    WORKLOAD_DOC,
    CLIENT_DOC,
    TOPOLOGY_DOC,
    FAULT_DOC,
];

/// Object-safe view of [`KindConfig`].
trait ErasedKind {
    fn references(&self) -> Vec<(&'static str, &str)>;
    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)>;
    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError>;
    fn events_per_request(&self, write_fraction: f64) -> f64;
    fn nanos_per_event(&self) -> f64;
    fn capacity(&self) -> Option<f64>;
    fn billing(&self, name: &str) -> Vec<BillableItem>;
}

impl<T: KindConfig> ErasedKind for T {
    fn references(&self) -> Vec<(&'static str, &str)> {
        KindConfig::references(self)
    }
    fn events_per_request(&self, write_fraction: f64) -> f64 {
        KindConfig::events_per_request(self, write_fraction)
    }
    fn nanos_per_event(&self) -> f64 {
        KindConfig::nanos_per_event(self)
    }
    fn capacity(&self) -> Option<f64> {
        KindConfig::capacity(self)
    }
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        KindConfig::billing(self, name)
    }
    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        KindConfig::dists_mut(self)
    }
    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        KindConfig::build(self, name, context)
    }
}

impl ComponentConfig {
    /// Other components this one names: (field, name) pairs.
    pub fn references(&self) -> Vec<(&'static str, &str)> {
        self.inner().references()
    }

    /// Distributions that may name sample files, with their field paths.
    pub fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        self.inner_mut().dists_mut()
    }

    /// Builds the component.
    pub fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        self.inner().build(name, context)
    }

    /// Events one request causes here ([`KindConfig::events_per_request`]).
    pub fn events_per_request(&self, write_fraction: f64) -> f64 {
        self.inner().events_per_request(write_fraction)
    }

    /// Nanoseconds one of its events takes to simulate ([`KindConfig::nanos_per_event`]).
    pub fn nanos_per_event(&self) -> f64 {
        self.inner().nanos_per_event()
    }

    /// Requests per second it can serve at most, if known ([`KindConfig::capacity`]).
    pub fn capacity(&self) -> Option<f64> {
        self.inner().capacity()
    }

    /// What the component called `name` is billed for ([`KindConfig::billing`]).
    pub fn billing(&self, name: &str) -> Vec<BillableItem> {
        self.inner().billing(name)
    }
}

/// The documentation of `kind`, if it exists.
pub fn kind_doc(kind: &str) -> Option<&'static KindDoc> {
    KIND_DOCS.iter().find(|doc| doc.kind == kind)
}

/// The defaults a kind's configuration fills in, as TOML values by parameter name: the
/// configuration read from the smallest valid table (required fields given placeholder values,
/// which are left out), then written back. `stratus describe` prints these for parameters
/// documented with [`ParamDoc::FROM_CONFIG`], so a default is written once, in the code.
pub fn documented_defaults(kind: &str) -> Option<toml::Table> {
    fn defaults<T: Serialize + for<'de> Deserialize<'de>>(minimal: &str, required: &[&str]) -> Option<toml::Table> {
        let config: T = toml::from_str(minimal).ok()?;
        let mut table = toml::Table::try_from(config).ok()?;
        for field in required {
            table.remove(*field);
        }
        Some(table)
    }
    use crate::blocks::caller::ClientConfig;
    use crate::blocks::workload::WorkloadConfig;
    use crate::model::fault::FaultConfig;
    use crate::model::topology::TopologyConfig;
    match kind {
        "station" => defaults::<StationConfig>("service = \"1s\"", &["service"]),
        "rds" => defaults::<RdsConfig>("", &[]),
        "aurora" => defaults::<AuroraConfig>("", &[]),
        "lambda" => defaults::<LambdaConfig>("duration = \"1s\"", &["duration"]),
        "sns" => defaults::<SnsConfig>("subscribers = [\"x\"]", &["subscribers"]),
        "sqs" => defaults::<SqsConfig>("", &[]),
        "sqs_consumer" => defaults::<ConsumerConfig>("queue = \"q\"", &["queue"]),
        "kinesis" => defaults::<KinesisConfig>("", &[]),
        "kinesis_consumer" => defaults::<KinesisConsumerConfig>("stream = \"x\"", &["stream"]),
        "elasticache" => defaults::<ElastiCacheConfig>("", &[]),
        "app" => defaults::<AppConfig>("", &[]),
        "workload" => defaults::<WorkloadConfig>("target = \"x\"", &["target"]),
        "client" => defaults::<ClientConfig>("", &[]),
        "topology" => defaults::<TopologyConfig>("", &[]),
        "fault" => defaults::<FaultConfig>("action = \"crash\"", &["action"]),
        _ => None,
    }
}

/// The default of `param` of `kind` as `stratus describe` prints it.
pub fn default_text(kind: &str, param: &ParamDoc) -> String {
    if param.default != ParamDoc::FROM_CONFIG {
        return param.default.to_string();
    }
    match documented_defaults(kind).and_then(|table| table.get(param.name).cloned()) {
        Some(value) => value.to_string(),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One source per default: every parameter the configuration fills in is documented as
    /// [`ParamDoc::FROM_CONFIG`] (so `describe` prints the real value, never a second copy
    /// that could drift), and every parameter so documented has a value to print.
    #[test]
    fn every_default_is_written_once() {
        let mut problems = Vec::new();
        for doc in KIND_DOCS {
            let table = documented_defaults(doc.kind).unwrap_or_else(|| panic!("no defaults for `{}`", doc.kind));
            for param in doc.params {
                match (table.get(param.name), param.default == ParamDoc::FROM_CONFIG) {
                    (Some(value), false) => problems.push(format!(
                        "{}.{}: documented as `{}` but the configuration fills in {value}; document it as ParamDoc::FROM_CONFIG",
                        doc.kind, param.name, param.default
                    )),
                    (None, true) => problems.push(format!(
                        "{}.{}: documented as the configuration's default, but the configuration has none",
                        doc.kind, param.name
                    )),
                    _ => {}
                }
            }
            for name in table.keys() {
                if !doc.params.iter().any(|param| param.name == name) {
                    problems.push(format!("{}.{name}: has a default but no documentation", doc.kind));
                }
            }
        }
        assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    }
}

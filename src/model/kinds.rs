//! The registry of component kinds: how a `[[component]]` table of each kind is read, which
//! other components it names, and how it is built.
//!
//! Adding a kind: implement [`KindConfig`] for its parameter struct, add one line to the
//! `component_kinds!` invocation below, and its [`KindDoc`] to [`KIND_DOCS`].

use serde::{Deserialize, Deserializer, Serialize};

use super::aurora::{AURORA_DOC, AuroraConfig};
use super::client::CLIENT_DOC;
use super::dist::{DistSpec, Seconds};
use super::fault::FAULT_DOC;
use super::rds::{RDS_DOC, RdsConfig};
use super::station::{STATION_DOC, Station, StationConfig};
use super::topology::TOPOLOGY_DOC;
use super::workload::WORKLOAD_DOC;
use super::{Component, ComponentId, KindDoc, SpecError};

/// What every component kind's parameter struct provides.
pub trait KindConfig: Clone + std::fmt::Debug + Serialize + for<'de> Deserialize<'de> {
    /// Other components this one names: (field, name) pairs.
    fn references(&self) -> Vec<(&'static str, &str)> {
        Vec::new()
    }

    /// Duration distributions that may name an empirical-sample file, with their field paths,
    /// so the scenario loader can read the files.
    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        Vec::new()
    }

    /// Checks the parameters and builds the component. Errors name the field relative to the
    /// component's table.
    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError>;
}

/// What a component may know about the world while it is built.
pub struct BuildContext<'a> {
    /// Maps a component name to its id.
    pub resolve: &'a dyn Fn(&str) -> Option<ComponentId>,
    /// Maps an AZ name to its index.
    pub az_index: &'a dyn Fn(&str) -> Option<u16>,
    /// The AZ the component is placed in (its `az`, default the first).
    pub own_az: u16,
    /// Number of AZs in the topology (indices 0..az_count).
    pub az_count: u16,
}

impl KindConfig for StationConfig {
    fn references(&self) -> Vec<(&'static str, &str)> {
        self.next.iter().map(|next| ("next", next.as_str())).collect()
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        vec![("service".into(), &mut self.service)]
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        let next = match &self.next {
            Some(next) => Some(
                (context.resolve)(next)
                    .ok_or_else(|| SpecError::new("next", format!("no component is called `{next}`")))?,
            ),
            None => None,
        };
        Ok(Box::new(Station::new(name, self, next)?))
    }
}

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
}

/// Every documented kind and table, for `stratus describe`.
pub const KIND_DOCS: &[KindDoc] =
    &[STATION_DOC, AURORA_DOC, RDS_DOC, WORKLOAD_DOC, CLIENT_DOC, TOPOLOGY_DOC, FAULT_DOC];

/// Object-safe view of [`KindConfig`].
trait ErasedKind {
    fn references(&self) -> Vec<(&'static str, &str)>;
    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)>;
    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError>;
}

impl<T: KindConfig> ErasedKind for T {
    fn references(&self) -> Vec<(&'static str, &str)> {
        KindConfig::references(self)
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
}

/// The documentation of `kind`, if it exists.
pub fn kind_doc(kind: &str) -> Option<&'static KindDoc> {
    KIND_DOCS.iter().find(|doc| doc.kind == kind)
}

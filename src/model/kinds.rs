//! The registry of component kinds: how a `[[component]]` table of each kind is read, which
//! other components it names, and how it is built. Adding a kind means adding it here.

use serde::{Deserialize, Deserializer, Serialize};

use super::client::CLIENT_DOC;
use super::fault::FAULT_DOC;
use super::station::{STATION_DOC, Station, StationConfig};
use super::topology::TOPOLOGY_DOC;
use super::workload::WORKLOAD_DOC;
use super::{Component, ComponentId, KindDoc, SpecError};

/// The kind-specific parameters of a `[[component]]`.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ComponentConfig {
    /// `kind = "station"`.
    Station(StationConfig),
}

/// Every documented kind, for `stratus describe`: components first, then the other tables.
pub const KIND_DOCS: &[KindDoc] = &[STATION_DOC, WORKLOAD_DOC, CLIENT_DOC, TOPOLOGY_DOC, FAULT_DOC];

/// The `kind` values a `[[component]]` may have.
pub const COMPONENT_KINDS: &[&str] = &["station"];

impl ComponentConfig {
    /// Reads the parameters of a component of `kind` (the table without `name`, `kind`,
    /// `az`); `Ok(None)` if the kind is unknown.
    pub fn deserialize_kind<'de, D: Deserializer<'de>>(kind: &str, table: D) -> Result<Option<Self>, D::Error> {
        Ok(match kind {
            "station" => Some(ComponentConfig::Station(StationConfig::deserialize(table)?)),
            _ => None,
        })
    }

    /// The `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            ComponentConfig::Station(_) => "station",
        }
    }

    /// Other components this one names: (field, name) pairs.
    pub fn references(&self) -> Vec<(&'static str, &str)> {
        match self {
            ComponentConfig::Station(config) => config.next.iter().map(|next| ("next", next.as_str())).collect(),
        }
    }

    /// Checks the parameters without building.
    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            ComponentConfig::Station(config) => config.validate().map(|_| ()),
        }
    }

    /// Builds the component; `resolve` maps a component name to its id.
    pub fn build(
        &self,
        name: &str,
        resolve: &dyn Fn(&str) -> Option<ComponentId>,
    ) -> Result<Box<dyn Component>, SpecError> {
        match self {
            ComponentConfig::Station(config) => {
                let next = match &config.next {
                    Some(next) => Some(resolve(next).ok_or_else(|| {
                        SpecError::new("next", format!("no component is called `{next}`"))
                    })?),
                    None => None,
                };
                Ok(Box::new(Station::new(name, config, next)?))
            }
        }
    }
}

/// The documentation of `kind`, if it exists.
pub fn kind_doc(kind: &str) -> Option<&'static KindDoc> {
    KIND_DOCS.iter().find(|doc| doc.kind == kind)
}

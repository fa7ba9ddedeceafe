//! Where components sit (availability zones) and how long a message takes between two places.
//!
//! One-way delay between two components is half the configured round trip for their pair
//! class (same AZ or cross-AZ), with lognormal jitter around that mean; it is never negative.
//! A message a component sends to itself takes no time.

use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use super::{ComponentId, KindDoc, ParamDoc, SpecError};
use crate::engine::{SimDuration, SimRng};
use crate::units::Duration;

/// Round trip inside one AZ: 0.3 ms (measured 0.26–0.45 ms in us-east-1; public
/// measurements, docs/models.md "Network").
pub const DEFAULT_SAME_AZ_RTT: SimDuration = SimDuration::from_micros(300);
/// Round trip between AZs of a region: 1.2 ms (AWS fault-isolation whitepaper: "single-digit
/// ms", "usually < 1–2 ms"; measured 0.25–3.4 ms; docs/models.md "Network").
pub const DEFAULT_CROSS_AZ_RTT: SimDuration = SimDuration::from_micros(1200);
/// Round trip between regions: 70 ms, roughly us-east-1 ↔ us-west-2. Assumption
/// (docs/models.md "Network": scenario-given); set it for your regions.
pub const DEFAULT_CROSS_REGION_RTT: SimDuration = SimDuration::from_millis(70);
/// Coefficient of variation of network delay: 0.2. Assumption (AWS publishes no figure);
/// calibrate with your own measurements.
pub const DEFAULT_JITTER_CV: f64 = 0.2;

/// Largest jitter coefficient of variation accepted (far beyond any measured network).
pub const MAX_JITTER_CV: f64 = 100.0;

/// A region and its AZs (`[[topology.region]]`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// Region name, e.g. `us-east-1`.
    pub name: String,
    /// Its availability zones; AZ names are unique across regions.
    pub azs: Vec<String>,
}

/// The `[topology]` table of a scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyConfig {
    /// Availability zones of the region; components name one in `az`.
    #[serde(default = "default_azs")]
    pub azs: Vec<String>,
    /// Round-trip time between two places in the same AZ.
    #[serde(default = "default_same_az_rtt")]
    pub same_az_rtt: Duration,
    /// Round-trip time between two AZs.
    #[serde(default = "default_cross_az_rtt")]
    pub cross_az_rtt: Duration,
    /// Round-trip time between regions.
    #[serde(default = "default_cross_region_rtt")]
    pub cross_region_rtt: Duration,
    /// Coefficient of variation of the one-way delay (lognormal); 0 for constant delays.
    #[serde(default = "default_jitter_cv")]
    pub jitter_cv: f64,
    /// Several regions (instead of `azs`): `[[topology.region]]` with `name` and `azs`.
    #[serde(default, rename = "region", skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionConfig>,
}

fn default_azs() -> Vec<String> {
    vec!["a".to_string()]
}
fn default_same_az_rtt() -> Duration {
    Duration(DEFAULT_SAME_AZ_RTT)
}
fn default_cross_az_rtt() -> Duration {
    Duration(DEFAULT_CROSS_AZ_RTT)
}
fn default_cross_region_rtt() -> Duration {
    Duration(DEFAULT_CROSS_REGION_RTT)
}
fn default_jitter_cv() -> f64 {
    DEFAULT_JITTER_CV
}

impl Default for TopologyConfig {
    fn default() -> Self {
        TopologyConfig {
            azs: default_azs(),
            same_az_rtt: default_same_az_rtt(),
            cross_az_rtt: default_cross_az_rtt(),
            cross_region_rtt: default_cross_region_rtt(),
            jitter_cv: default_jitter_cv(),
            regions: Vec::new(),
        }
    }
}

/// `stratus describe topology`.
pub const TOPOLOGY_DOC: KindDoc = KindDoc {
    kind: "topology",
    summary: "The [topology] table: availability zones and the network delay between places. \
              One-way delay = RTT/2 with lognormal jitter; messages to oneself are instant.",
    params: &[
        ParamDoc {
            name: "azs",
            default: ParamDoc::FROM_CONFIG,
            unit: "list of names",
            meaning: "availability zones; components and workloads are placed with `az`",
            source: "-",
        },
        ParamDoc {
            name: "same_az_rtt",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "round trip inside one AZ",
            source: "public measurements in us-east-1 (0.26-0.45 ms), docs/models.md",
        },
        ParamDoc {
            name: "cross_az_rtt",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "round trip between two AZs",
            source: "AWS fault-isolation whitepaper (\"usually < 1-2 ms\"); measured 0.25-3.4 ms",
        },
        ParamDoc {
            name: "cross_region_rtt",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "round trip between regions",
            source: "assumption (~us-east-1 to us-west-2); scenario-given per docs/models.md",
        },
        ParamDoc {
            name: "region",
            default: "one region holding `azs`",
            unit: "[[topology.region]] tables",
            meaning: "regions with `name` and `azs` (instead of `azs`)",
            source: "-",
        },
        ParamDoc {
            name: "jitter_cv",
            default: ParamDoc::FROM_CONFIG,
            unit: "ratio",
            meaning: "coefficient of variation of the one-way delay (lognormal)",
            source: "assumption",
        },
    ],
    metrics: &[],
};

impl TopologyConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), SpecError> {
        if !self.regions.is_empty() && self.azs != default_azs() {
            return Err(SpecError::new(
                "azs",
                "give either `azs` (one region) or [[topology.region]] tables, not both",
            ));
        }
        for (i, region) in self.regions.iter().enumerate() {
            if region.azs.is_empty() {
                return Err(SpecError::new(
                    format!("region[{i}].azs"),
                    format!("region `{}` has no availability zone", region.name),
                ));
            }
        }
        let azs = self.all_azs();
        if azs.is_empty() {
            return Err(SpecError::new("azs", "at least one availability zone is needed"));
        }
        for (i, az) in azs.iter().enumerate() {
            if azs[..i].contains(az) {
                return Err(SpecError::new("azs", format!("availability zone `{az}` is listed twice")));
            }
        }
        if !(self.jitter_cv.is_finite() && (0.0..=MAX_JITTER_CV).contains(&self.jitter_cv)) {
            return Err(SpecError::new(
                "jitter_cv",
                format!("`jitter_cv` must be between 0 and {MAX_JITTER_CV}, found {}", self.jitter_cv),
            ));
        }
        Ok(())
    }

    /// Every AZ, in index order: `azs`, or the regions' AZs in order.
    pub fn all_azs(&self) -> Vec<String> {
        if self.regions.is_empty() {
            self.azs.clone()
        } else {
            self.regions.iter().flat_map(|region| region.azs.iter().cloned()).collect()
        }
    }

    /// The region index of each AZ, in AZ index order.
    pub fn region_of_azs(&self) -> Vec<u16> {
        if self.regions.is_empty() {
            vec![0; self.azs.len()]
        } else {
            self.regions
                .iter()
                .enumerate()
                .flat_map(|(r, region)| std::iter::repeat_n(r as u16, region.azs.len()))
                .collect()
        }
    }

    /// Index of the AZ called `name`.
    pub fn az_index(&self, name: &str) -> Option<u16> {
        self.all_azs().iter().position(|az| az == name).map(|i| i as u16)
    }
}

/// One pair class's delay: a mean and optional lognormal jitter.
#[derive(Clone, Debug)]
struct Link {
    mean: SimDuration,
    jitter: Option<LogNormal<f64>>,
}

impl Link {
    fn new(one_way: SimDuration, cv: f64) -> Self {
        let jitter = (cv > 0.0 && one_way > SimDuration::ZERO).then(|| {
            let sigma2 = (1.0 + cv * cv).ln();
            LogNormal::new(one_way.as_secs_f64().ln() - sigma2 / 2.0, sigma2.sqrt())
                .expect("finite lognormal parameters")
        });
        Link { mean: one_way, jitter }
    }

    #[inline]
    fn draw(&self, rng: &mut SimRng) -> SimDuration {
        match &self.jitter {
            Some(lognormal) => SimDuration::from_secs_f64(lognormal.sample(rng)),
            None => self.mean,
        }
    }
}

/// The network of one run: each component's AZ, the delay per pair class, and which AZs are
/// currently cut off (AZ outages and partitions, set by faults).
#[derive(Clone, Debug)]
pub struct Network {
    placement: Vec<u16>,
    region_of_az: Vec<u16>,
    same_az: Link,
    cross_az: Link,
    cross_region: Link,
    /// Number of active outages per AZ (overlapping outages nest).
    az_down: Vec<u16>,
    /// Active partitions between AZ pairs (a < b), with nesting counts.
    partitions: Vec<(u16, u16, u16)>,
    /// False while no AZ is down and no partition is active: every message gets through
    /// without looking (the common case, checked on every send).
    impaired: bool,
}

impl Network {
    /// A network from a topology; components are placed with [`place`](Self::place).
    pub fn new(config: &TopologyConfig) -> Self {
        let half = |rtt: Duration| SimDuration(rtt.get().as_nanos() / 2);
        let region_of_az = config.region_of_azs();
        Network {
            placement: Vec::new(),
            az_down: vec![0; region_of_az.len()],
            region_of_az,
            same_az: Link::new(half(config.same_az_rtt), config.jitter_cv),
            cross_az: Link::new(half(config.cross_az_rtt), config.jitter_cv),
            cross_region: Link::new(half(config.cross_region_rtt), config.jitter_cv),
            partitions: Vec::new(),
            impaired: false,
        }
    }

    /// A network where every message arrives instantly (for unit tests of components).
    pub fn instant() -> Self {
        let zero = Duration(SimDuration::ZERO);
        let config = TopologyConfig {
            same_az_rtt: zero,
            cross_az_rtt: zero,
            cross_region_rtt: zero,
            azs: vec!["a".into(), "b".into(), "c".into()],
            ..TopologyConfig::default()
        };
        Network::new(&config)
    }

    /// Places component `id` in AZ number `az`.
    pub fn place(&mut self, id: ComponentId, az: u16) {
        if self.placement.len() <= id.index() {
            self.placement.resize(id.index() + 1, 0);
        }
        self.placement[id.index()] = az;
    }

    /// The AZ index of a component.
    #[inline]
    pub fn az_of(&self, id: ComponentId) -> u16 {
        self.placement.get(id.index()).copied().unwrap_or(0)
    }

    /// Number of AZs.
    pub fn az_count(&self) -> usize {
        self.region_of_az.len()
    }

    fn link(&self, from_az: u16, to_az: u16) -> &Link {
        if from_az == to_az {
            &self.same_az
        } else if self.region_of_az.get(from_az as usize) == self.region_of_az.get(to_az as usize) {
            &self.cross_az
        } else {
            &self.cross_region
        }
    }

    /// Mean one-way delay between two AZs.
    pub fn mean_delay_between(&self, from_az: u16, to_az: u16) -> SimDuration {
        self.link(from_az, to_az).mean
    }

    /// Mean one-way delay between two components.
    pub fn mean_delay(&self, from: ComponentId, to: ComponentId) -> SimDuration {
        if from == to { SimDuration::ZERO } else { self.mean_delay_between(self.az_of(from), self.az_of(to)) }
    }

    /// True if a message from `from_az` can reach `to_az` now.
    #[inline]
    pub fn reachable(&self, from_az: u16, to_az: u16) -> bool {
        if !self.impaired {
            return true;
        }
        let down = |az: u16| self.az_down.get(az as usize).is_some_and(|&count| count > 0);
        if down(from_az) || down(to_az) {
            return false;
        }
        if self.partitions.is_empty() || from_az == to_az {
            return true;
        }
        let pair = (from_az.min(to_az), from_az.max(to_az));
        !self.partitions.iter().any(|&(a, b, count)| (a, b) == pair && count > 0)
    }

    /// Draws the one-way delay between two AZs, or None if they cannot reach each other.
    #[inline]
    pub fn delay_between(&self, from_az: u16, to_az: u16, rng: &mut SimRng) -> Option<SimDuration> {
        if !self.reachable(from_az, to_az) {
            return None;
        }
        Some(self.link(from_az, to_az).draw(rng))
    }

    /// Draws the one-way delay of a message from `from` to `to` (None if unreachable).
    #[inline]
    pub fn delay(&self, from: ComponentId, to: ComponentId, rng: &mut SimRng) -> Option<SimDuration> {
        if from == to {
            return Some(SimDuration::ZERO);
        }
        self.delay_between(self.az_of(from), self.az_of(to), rng)
    }

    /// Starts (`down = true`) or ends an outage of AZ `az`.
    pub fn set_az_down(&mut self, az: u16, down: bool) {
        if let Some(count) = self.az_down.get_mut(az as usize) {
            *count = if down { count.saturating_add(1) } else { count.saturating_sub(1) };
        }
        self.update_impaired();
    }

    fn update_impaired(&mut self) {
        self.impaired =
            self.az_down.iter().any(|&count| count > 0) || self.partitions.iter().any(|&(_, _, count)| count > 0);
    }

    /// True if AZ `az` is in an outage.
    pub fn az_is_down(&self, az: u16) -> bool {
        self.az_down.get(az as usize).is_some_and(|&count| count > 0)
    }

    /// Starts or ends a partition between AZs `a` and `b`.
    pub fn set_partition(&mut self, a: u16, b: u16, active: bool) {
        let pair = (a.min(b), a.max(b));
        match self.partitions.iter_mut().find(|(x, y, _)| (*x, *y) == pair) {
            Some((_, _, count)) => *count = if active { count.saturating_add(1) } else { count.saturating_sub(1) },
            None if active => self.partitions.push((pair.0, pair.1, 1)),
            None => {}
        }
        self.update_impaired();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StreamKey;

    #[test]
    fn jittered_delay_has_configured_mean() {
        let config = TopologyConfig::default();
        let mut network = Network::new(&config);
        network.place(ComponentId(0), 0);
        network.place(ComponentId(1), 0);
        let mut rng = StreamKey { seed: 3, point: 0, replication: 0 }.rng("net");
        let n = 200_000;
        let total: f64 =
            (0..n).map(|_| network.delay(ComponentId(0), ComponentId(1), &mut rng).unwrap().as_secs_f64()).sum();
        let mean = total / n as f64;
        // Standard error = cv·mean/√n = 0.2·150µs/447 ≈ 0.07µs; 1µs is > 10 standard errors.
        assert!((mean - 150e-6).abs() < 1e-6, "mean one-way delay {mean}");
        assert_eq!(network.delay(ComponentId(1), ComponentId(1), &mut rng), Some(SimDuration::ZERO));
    }
}

#[cfg(test)]
mod reachability_tests {
    use super::*;

    #[test]
    fn outages_and_partitions_nest() {
        let mut network = Network::instant();
        assert!(network.reachable(0, 1));
        network.set_az_down(1, true);
        network.set_az_down(1, true);
        assert!(!network.reachable(0, 1) && !network.reachable(1, 1));
        network.set_az_down(1, false);
        assert!(!network.reachable(0, 1), "one of two outages still active");
        network.set_az_down(1, false);
        assert!(network.reachable(0, 1));
        network.set_partition(2, 0, true);
        assert!(!network.reachable(0, 2) && !network.reachable(2, 0));
        assert!(network.reachable(0, 1) && network.reachable(2, 2));
        network.set_partition(0, 2, false);
        assert!(network.reachable(0, 2));
    }

    #[test]
    fn regions_use_cross_region_delay() {
        let config = TopologyConfig {
            regions: vec![
                RegionConfig { name: "east".into(), azs: vec!["a".into(), "b".into()] },
                RegionConfig { name: "west".into(), azs: vec!["c".into()] },
            ],
            jitter_cv: 0.0,
            ..TopologyConfig::default()
        };
        config.validate().unwrap();
        let network = Network::new(&config);
        assert_eq!(config.az_index("c"), Some(2));
        assert_eq!(network.mean_delay_between(0, 1), SimDuration::from_micros(600));
        assert_eq!(network.mean_delay_between(1, 2), SimDuration::from_millis(35));
    }
}

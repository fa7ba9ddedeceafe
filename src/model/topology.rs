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
/// measurements, shared/MODELS.md "Network").
pub const DEFAULT_SAME_AZ_RTT: SimDuration = SimDuration::from_micros(300);
/// Round trip between AZs of a region: 1.2 ms (AWS fault-isolation whitepaper: "single-digit
/// ms", "usually < 1–2 ms"; measured 0.25–3.4 ms; shared/MODELS.md "Network").
pub const DEFAULT_CROSS_AZ_RTT: SimDuration = SimDuration::from_micros(1200);
/// Coefficient of variation of network delay: 0.2. Assumption (AWS publishes no figure);
/// calibrate with your own measurements.
pub const DEFAULT_JITTER_CV: f64 = 0.2;

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
    /// Coefficient of variation of the one-way delay (lognormal); 0 for constant delays.
    #[serde(default = "default_jitter_cv")]
    pub jitter_cv: f64,
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
fn default_jitter_cv() -> f64 {
    DEFAULT_JITTER_CV
}

impl Default for TopologyConfig {
    fn default() -> Self {
        TopologyConfig {
            azs: default_azs(),
            same_az_rtt: default_same_az_rtt(),
            cross_az_rtt: default_cross_az_rtt(),
            jitter_cv: default_jitter_cv(),
        }
    }
}

/// `stratus describe topology`.
pub const TOPOLOGY_DOC: KindDoc = KindDoc {
    kind: "topology",
    summary: "The [topology] table: availability zones and the network delay between places. \
              One-way delay = RTT/2 with lognormal jitter; messages to oneself are instant.",
    params: &[
        ParamDoc { name: "azs", default: "[\"a\"]", unit: "list of names", meaning: "availability zones; components and workloads are placed with `az`", source: "-" },
        ParamDoc { name: "same_az_rtt", default: "0.3ms", unit: "duration", meaning: "round trip inside one AZ", source: "public measurements in us-east-1 (0.26-0.45 ms), shared/MODELS.md" },
        ParamDoc { name: "cross_az_rtt", default: "1.2ms", unit: "duration", meaning: "round trip between two AZs", source: "AWS fault-isolation whitepaper (\"usually < 1-2 ms\"); measured 0.25-3.4 ms" },
        ParamDoc { name: "jitter_cv", default: "0.2", unit: "ratio", meaning: "coefficient of variation of the one-way delay (lognormal)", source: "assumption" },
    ],
    metrics: &[],
};

impl TopologyConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.azs.is_empty() {
            return Err(SpecError::new("azs", "at least one availability zone is needed"));
        }
        for (i, az) in self.azs.iter().enumerate() {
            if self.azs[..i].contains(az) {
                return Err(SpecError::new("azs", format!("availability zone `{az}` is listed twice")));
            }
        }
        if !(self.jitter_cv.is_finite() && self.jitter_cv >= 0.0) {
            return Err(SpecError::new("jitter_cv", format!("must be a non-negative number, found {}", self.jitter_cv)));
        }
        Ok(())
    }

    /// Index of the AZ called `name`.
    pub fn az_index(&self, name: &str) -> Option<u16> {
        self.azs.iter().position(|az| az == name).map(|i| i as u16)
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

/// The network of one run: each component's AZ and the delay per pair class.
#[derive(Clone, Debug)]
pub struct Network {
    placement: Vec<u16>,
    same_az: Link,
    cross_az: Link,
}

impl Network {
    /// A network from a topology; components are placed with [`place`](Self::place).
    pub fn new(config: &TopologyConfig) -> Self {
        Network {
            placement: Vec::new(),
            same_az: Link::new(SimDuration(config.same_az_rtt.get().as_nanos() / 2), config.jitter_cv),
            cross_az: Link::new(SimDuration(config.cross_az_rtt.get().as_nanos() / 2), config.jitter_cv),
        }
    }

    /// A network where every message arrives instantly (for unit tests of components).
    pub fn instant() -> Self {
        Network {
            placement: Vec::new(),
            same_az: Link::new(SimDuration::ZERO, 0.0),
            cross_az: Link::new(SimDuration::ZERO, 0.0),
        }
    }

    /// Places component `id` in AZ number `az`.
    pub fn place(&mut self, id: ComponentId, az: u16) {
        if self.placement.len() <= id.index() {
            self.placement.resize(id.index() + 1, 0);
        }
        self.placement[id.index()] = az;
    }

    /// The AZ index of a component.
    pub fn az_of(&self, id: ComponentId) -> u16 {
        self.placement.get(id.index()).copied().unwrap_or(0)
    }

    /// Mean one-way delay between two components.
    pub fn mean_delay(&self, from: ComponentId, to: ComponentId) -> SimDuration {
        if from == to {
            SimDuration::ZERO
        } else if self.az_of(from) == self.az_of(to) {
            self.same_az.mean
        } else {
            self.cross_az.mean
        }
    }

    /// Draws the one-way delay of a message from `from` to `to`.
    #[inline]
    pub fn delay(&self, from: ComponentId, to: ComponentId, rng: &mut SimRng) -> SimDuration {
        if from == to {
            SimDuration::ZERO
        } else if self.az_of(from) == self.az_of(to) {
            self.same_az.draw(rng)
        } else {
            self.cross_az.draw(rng)
        }
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
        let total: f64 = (0..n)
            .map(|_| network.delay(ComponentId(0), ComponentId(1), &mut rng).as_secs_f64())
            .sum();
        let mean = total / n as f64;
        // Standard error = cv·mean/√n = 0.2·150µs/447 ≈ 0.07µs; 1µs is > 10 standard errors.
        assert!((mean - 150e-6).abs() < 1e-6, "mean one-way delay {mean}");
        assert_eq!(network.delay(ComponentId(1), ComponentId(1), &mut rng), SimDuration::ZERO);
    }
}

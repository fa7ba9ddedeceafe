//! Which key a request touches: uniform or Zipf popularity over `n` keys.

use rand::RngExt;
use rand_distr::{Distribution, Zipf};
use serde::{Deserialize, Serialize};

use super::SpecError;
use crate::engine::SimRng;

/// The `keys` table of a workload: `{ popularity = "zipf", n = 1_000_000, s = 0.99 }`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// `uniform` or `zipf`.
    pub popularity: String,
    /// Number of distinct keys (keys are 0..n, key 0 the most popular under zipf).
    pub n: u64,
    /// Zipf exponent (`zipf` only); 0.99 is the YCSB default.
    pub s: Option<f64>,
}

impl Default for KeysConfig {
    fn default() -> Self {
        KeysConfig { popularity: "uniform".into(), n: 1, s: None }
    }
}

/// A ready-to-sample key popularity.
#[derive(Clone, Debug)]
pub enum KeyDist {
    /// Every key equally likely.
    Uniform(u64),
    /// Key k (0-based) with probability ∝ 1/(k+1)^s.
    Zipf(Zipf<f64>),
}

impl KeysConfig {
    /// Checks the values and builds the sampler.
    pub fn build(&self) -> Result<KeyDist, SpecError> {
        if self.n == 0 {
            return Err(SpecError::new("n", "the number of keys must be at least 1"));
        }
        match self.popularity.as_str() {
            "uniform" => {
                if self.s.is_some() {
                    return Err(SpecError::new("s", "`s` applies to zipf popularity only"));
                }
                Ok(KeyDist::Uniform(self.n))
            }
            "zipf" => {
                let s = self.s.ok_or_else(|| SpecError::new("", "zipf popularity needs `s`"))?;
                if !(s.is_finite() && s >= 0.0) {
                    return Err(SpecError::new("s", format!("`s` must be a non-negative number, found {s}")));
                }
                Zipf::new(self.n as f64, s)
                    .map(KeyDist::Zipf)
                    .map_err(|e| SpecError::new("", format!("invalid zipf parameters: {e}")))
            }
            other => {
                Err(SpecError::new("popularity", format!("unknown popularity `{other}`, expected `uniform` or `zipf`")))
            }
        }
    }
}

impl KeyDist {
    /// Draws a key in 0..n.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        match self {
            KeyDist::Uniform(1) => 0,
            KeyDist::Uniform(n) => rng.random_range(0..*n),
            KeyDist::Zipf(zipf) => zipf.sample(rng) as u64 - 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StreamKey;

    #[test]
    fn zipf_top_key_frequency() {
        let keys = KeysConfig { popularity: "zipf".into(), n: 100, s: Some(1.0) }.build().unwrap();
        let mut rng = StreamKey { seed: 1, point: 0, replication: 0 }.rng("keys");
        let n = 100_000;
        let hits = (0..n).filter(|_| keys.sample(&mut rng) == 0).count() as f64 / n as f64;
        // P(key 0) = 1 / H(100, 1) = 1 / 5.1874 = 0.19277; binomial standard error
        // √(p(1−p)/n) ≈ 0.00125, so 0.006 is about 5 standard errors.
        assert!((hits - 0.19277).abs() < 0.006, "top key frequency {hits}");
    }
}

//! Uncertain inputs: any numeric parameter of a `[[component]]`, `[[workload]]` or `[[fault]]`
//! may be written as a forecast interval, `rate = { low = 4000, mid = 5000, high = 7000,
//! confidence = 0.9 }`: the planner believes the value lies between `low` and `high` with
//! probability `confidence` (default 0.9), `mid` being the most likely value.
//!
//! **The distribution** is a two-piece ("split") normal with its mode at `mid`, standard
//! deviation σ₋ = (mid − low)/k below and σ₊ = (high − mid)/k above, where
//! k = Φ⁻¹((1 + confidence)/2). With the same k on both sides the band [low, high] holds
//! exactly `confidence` of the distribution, and each tail holds a share of the rest in
//! proportion to its side's width (a forecast of 4000–5000–7000 is skewed up, as its tails
//! are). Why this one: it is fitted in closed form to exactly the three numbers a planner
//! gives and honours all three, where a lognormal has two parameters for three numbers (it
//! matches `mid` only when mid is the geometric mean of low and high), and a PERT / beta
//! treats low and high as hard limits rather than quantiles. When `low ≥ 0` the parameter is
//! taken to be non-negative and the distribution is truncated at 0 (drawn by inversion of the
//! truncated CDF; the band then holds a little more than `confidence`, negligibly unless low
//! is within a few σ₋ of 0).
//!
//! **Draws**: one value per parameter per replication, from the stream
//! `forecast/<path>` of the replication's [`StreamKey`] — the key the replication's components
//! use, so under common random numbers (the default) every sweep point sees the same forecast
//! draws in replication r and points are compared on the same futures; and whatever the
//! thread count the draws are the same. A point's base spec uses `mid` (validation and the
//! resolved scenario's other values come from it); each replication builds its world from the
//! spec with its draws substituted. The draws are reported as metrics
//! `forecast.<path>` (e.g. `forecast.workload.users.arrival.rate`), so summary.csv and
//! replications.csv show them like any other.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engine::StreamKey;
use crate::metrics::Unit;

/// Default confidence of a forecast interval when `confidence` is left out: 0.9 (the band
/// planners usually state; an assumption).
pub const DEFAULT_FORECAST_CONFIDENCE: f64 = 0.9;

/// One uncertain parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UncertainParam {
    /// Its dotted path, `workload.users.arrival.rate`.
    pub path: String,
    /// Lower end of the band.
    pub low: f64,
    /// Most likely value.
    pub mid: f64,
    /// Upper end of the band.
    pub high: f64,
    /// P(low ≤ X ≤ high).
    pub confidence: f64,
    /// Whether `mid` was written as a whole number (for the resolved scenario).
    #[serde(skip)]
    pub integer: bool,
}

impl UncertainParam {
    /// The fitted distribution.
    pub fn distribution(&self) -> SplitNormal {
        let k = normal_quantile(0.5 + self.confidence / 2.0);
        SplitNormal {
            mode: self.mid,
            sigma_low: (self.mid - self.low) / k,
            sigma_high: (self.high - self.mid) / k,
            floor: (self.low >= 0.0).then_some(0.0),
        }
    }

    /// The draw of replication `key` (the same for every point under common random numbers).
    pub fn draw(&self, key: StreamKey) -> f64 {
        let mut rng = key.rng(&format!("forecast/{}", self.path));
        self.distribution().quantile_of_uniform(rng.random::<f64>())
    }

    /// The metric its draws are reported as: `forecast.<path>`.
    pub fn metric_name(&self) -> String {
        format!("forecast.{}", self.path)
    }

    /// The unit of that metric, from the parameter's name: a `rate` per second, a
    /// `fraction` / `ratio` / `probability` a fraction, anything else a plain count
    /// (`events`: the metric units have no "number").
    pub fn unit(&self) -> Unit {
        let key = self.path.rsplit('.').next().unwrap_or(&self.path);
        if key.ends_with("rate") {
            Unit::PerSecond
        } else if ["fraction", "ratio", "probability"].iter().any(|word| key.contains(word)) {
            Unit::Fraction
        } else {
            Unit::Events
        }
    }

    /// Checks the numbers; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if ![self.low, self.mid, self.high, self.confidence].iter().all(|v| v.is_finite()) {
            return Err("low, mid, high and confidence must be finite numbers".into());
        }
        if !(self.low <= self.mid && self.mid <= self.high && self.low < self.high) {
            return Err(format!(
                "an uncertain value needs low ≤ mid ≤ high and low < high; got low = {}, mid = {}, high = {}",
                self.low, self.mid, self.high
            ));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(format!(
                "`confidence` is P(low ≤ value ≤ high), a probability in (0, 1) such as 0.9; got {}",
                self.confidence
            ));
        }
        Ok(())
    }
}

/// A two-piece normal: mode, a standard deviation on each side, optionally truncated below.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct SplitNormal {
    /// The mode (`mid`).
    pub mode: f64,
    /// Standard deviation below the mode.
    pub sigma_low: f64,
    /// Standard deviation above the mode.
    pub sigma_high: f64,
    /// Truncation point below (0 for non-negative parameters).
    pub floor: Option<f64>,
}

impl SplitNormal {
    fn weight_low(&self) -> f64 {
        self.sigma_low / (self.sigma_low + self.sigma_high)
    }

    /// P(X ≤ x) of the untruncated distribution.
    pub fn untruncated_cdf(&self, x: f64) -> f64 {
        let total = self.sigma_low + self.sigma_high;
        if x < self.mode {
            if self.sigma_low == 0.0 {
                return 0.0;
            }
            2.0 * self.sigma_low / total * normal_cdf((x - self.mode) / self.sigma_low)
        } else {
            if self.sigma_high == 0.0 {
                return 1.0;
            }
            self.weight_low() + 2.0 * self.sigma_high / total * (normal_cdf((x - self.mode) / self.sigma_high) - 0.5)
        }
    }

    /// The p-quantile of the untruncated distribution.
    pub fn untruncated_quantile(&self, p: f64) -> f64 {
        let total = self.sigma_low + self.sigma_high;
        let w = self.weight_low();
        if p < w {
            self.mode + self.sigma_low * normal_quantile(p * total / (2.0 * self.sigma_low))
        } else if self.sigma_high == 0.0 {
            self.mode
        } else {
            self.mode + self.sigma_high * normal_quantile((p - w) * total / (2.0 * self.sigma_high) + 0.5)
        }
    }

    /// P(X ≤ x), truncation included.
    pub fn cdf(&self, x: f64) -> f64 {
        let below = self.floor.map_or(0.0, |floor| self.untruncated_cdf(floor));
        match self.floor {
            Some(floor) if x < floor => 0.0,
            _ => (self.untruncated_cdf(x) - below) / (1.0 - below),
        }
    }

    /// The value at uniform `u` ∈ [0, 1) by inversion, truncation included.
    pub fn quantile_of_uniform(&self, u: f64) -> f64 {
        let below = self.floor.map_or(0.0, |floor| self.untruncated_cdf(floor));
        let p = (below + u * (1.0 - below)).clamp(1e-300, 1.0 - 1e-16);
        let x = self.untruncated_quantile(p);
        self.floor.map_or(x, |floor| x.max(floor))
    }
}

/// Φ(x), the standard normal CDF, from erfc (Numerical Recipes' Chebyshev fit, fractional
/// error below 1.2e-7 everywhere).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

/// Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, relative error
/// below 1.2e-9), for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = 0.02425;
    if p < tail {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - tail {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forecast() -> UncertainParam {
        UncertainParam {
            path: "workload.users.arrival.rate".into(),
            low: 4000.0,
            mid: 5000.0,
            high: 7000.0,
            confidence: 0.9,
            integer: true,
        }
    }

    #[test]
    fn normal_functions_agree() {
        assert!((normal_quantile(0.95) - 1.644_853_627).abs() < 1e-8);
        assert!((normal_quantile(0.025) + 1.959_963_985).abs() < 1e-8);
        for p in [0.001, 0.1, 0.5, 0.7, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6, "{p}");
        }
    }

    #[test]
    fn the_fit_honours_the_three_numbers() {
        let dist = forecast().distribution();
        assert!((dist.cdf(7000.0) - dist.cdf(4000.0) - 0.9).abs() < 1e-6, "the band holds the confidence");
        // Tails in proportion to the sides' widths: 1/3 and 2/3 of the 10% outside.
        assert!((dist.cdf(4000.0) - 0.1 / 3.0).abs() < 1e-6);
        assert!((1.0 - dist.cdf(7000.0) - 0.2 / 3.0).abs() < 1e-6);
        assert!((dist.quantile_of_uniform(dist.cdf(6100.0)) - 6100.0).abs() < 1e-3);
    }

    /// Many draws reproduce the fitted quantiles: with n = 20,000 draws the share below a
    /// quantile q has standard error √(q(1−q)/n) ≤ 0.0036; 0.012 is over 3 of them.
    #[test]
    fn draws_reproduce_the_band() {
        let param = forecast();
        let n = 20_000;
        let draws: Vec<f64> = (0..n).map(|r| param.draw(StreamKey { seed: 3, point: 0, replication: r })).collect();
        let share = |pred: &dyn Fn(f64) -> bool| draws.iter().filter(|&&x| pred(x)).count() as f64 / n as f64;
        assert!((share(&|x| (4000.0..=7000.0).contains(&x)) - 0.9).abs() < 0.012);
        assert!((share(&|x| x < 4000.0) - 0.1 / 3.0).abs() < 0.012);
        assert!((share(&|x| x < 5000.0) - 1.0 / 3.0).abs() < 0.012, "the mode splits the mass 1 : 2");
        assert_eq!(param.draw(StreamKey { seed: 3, point: 0, replication: 7 }), draws[7], "deterministic");
    }

    #[test]
    fn truncation_keeps_non_negative_values() {
        let param = UncertainParam { low: 0.0, mid: 1.0, high: 10.0, ..forecast() };
        let dist = param.distribution();
        assert_eq!(dist.quantile_of_uniform(0.0), 0.0);
        assert!((0..2000).all(|r| param.draw(StreamKey { seed: 1, point: 0, replication: r }) >= 0.0));
        assert!(UncertainParam { low: 5.0, mid: 4.0, ..forecast() }.validate().is_err());
        assert!(UncertainParam { confidence: 1.0, ..forecast() }.validate().is_err());
        assert_eq!(forecast().unit(), Unit::PerSecond);
    }
}

//! Summary statistics across replications: mean and Student-t confidence intervals.

/// Two-sided 95% Student-t quantiles t(0.975, ν) for ν = 1..=30 (standard tables, e.g.
/// NIST/SEMATECH e-Handbook of Statistical Methods, table 1.3.6.7.2).
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// t(0.975, ν): the table up to 30 degrees of freedom, then the Cornish–Fisher expansion
/// around the normal quantile (error below 1e-4 for ν > 30).
pub fn t_quantile_975(degrees_of_freedom: usize) -> f64 {
    if degrees_of_freedom == 0 {
        return f64::NAN;
    }
    if degrees_of_freedom <= 30 {
        return T975[degrees_of_freedom - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let v = degrees_of_freedom as f64;
    z + (z.powi(3) + z) / (4.0 * v)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * v.powi(3))
}

/// Mean and 95% confidence interval of independent replication values.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Number of (finite) values used.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Lower end of the 95% interval (NaN with fewer than 2 values).
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

/// Mean ± t·s/√n over the finite values (NaN values, e.g. a latency with no samples in one
/// replication, are left out). Sums in index order, so the result is deterministic.
pub fn estimate(values: &[f64]) -> Estimate {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return Estimate { n, mean: f64::NAN, low: f64::NAN, high: f64::NAN };
    }
    let mean = finite.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Estimate { n, mean, low: f64::NAN, high: f64::NAN };
    }
    let variance = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile_975(n - 1) * (variance / n as f64).sqrt();
    Estimate { n, mean, low: mean - half, high: mean + half }
}

/// [`estimate`], its interval intersected with the range `[low, high]` the metric can take
/// (a fraction's [0, 1], a count's [0, ∞)): the Student-t interval is symmetric, and for a
/// bounded metric near its bound (a success ratio near 1, a rare error count near 0) it would
/// reach past what is possible. The truncated interval keeps the possible part.
pub fn estimate_within(values: &[f64], (low, high): (f64, f64)) -> Estimate {
    let mut estimate = estimate(values);
    if estimate.low.is_finite() {
        estimate.low = estimate.low.clamp(low, high);
        estimate.high = estimate.high.clamp(low, high);
    }
    estimate
}

#[cfg(test)]
mod tests {
    #[test]
    fn bounded_intervals_stay_inside_their_range() {
        // Success ratios near 1: the t interval of these five reaches above 1.
        let ratios = [1.0, 1.0, 0.98, 1.0, 1.0];
        assert!(estimate(&ratios).high > 1.0);
        let bounded = estimate_within(&ratios, (0.0, 1.0));
        assert_eq!(bounded.high, 1.0);
        assert!(bounded.low > 0.97 && bounded.low < 0.996);
        // A rare error count: one replication in five saw 50.
        let errors = [0.0, 0.0, 50.0, 0.0, 0.0];
        assert!(estimate(&errors).low < 0.0);
        assert_eq!(estimate_within(&errors, (0.0, f64::INFINITY)).low, 0.0);
        assert!(estimate_within(&[0.5], (0.0, 1.0)).low.is_nan(), "one value: no interval");
    }

    use super::*;

    #[test]
    fn t_quantiles() {
        assert_eq!(t_quantile_975(1), 12.706);
        // Beyond the table the expansion continues smoothly: t(0.975, 40) = 2.0211, 120 → 1.9799.
        assert!((t_quantile_975(40) - 2.0211).abs() < 2e-4);
        assert!((t_quantile_975(120) - 1.9799).abs() < 2e-4);
        assert!((t_quantile_975(31) - 2.0395).abs() < 2e-4);
    }

    #[test]
    fn interval() {
        let e = estimate(&[1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(e.n, 3);
        assert_eq!(e.mean, 2.0);
        // s = 1, t(0.975, 2) = 4.303 → half-width 4.303/√3 = 2.4843
        assert!((e.high - 2.0 - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert!(estimate(&[5.0]).low.is_nan());
    }
}

//! Student-t confidence intervals at any confidence level (summary.csv's are at 95% only,
//! from a table): the t distribution's CDF through the regularized incomplete beta function
//! (continued fraction, Numerical Recipes 3rd ed. §6.4), inverted by bisection.

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error below 1e-13).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        sum += g / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// P(T ≤ t) for Student's t with `nu` degrees of freedom.
pub fn t_cdf(t: f64, nu: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(nu / 2.0, 0.5, nu / (nu + t * t));
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The two-sided critical value t((1 + confidence)/2, ν): ±it holds `confidence` of the
/// distribution. NaN for no degrees of freedom or a confidence outside (0, 1).
pub fn t_critical(confidence: f64, degrees_of_freedom: usize) -> f64 {
    if degrees_of_freedom == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return f64::NAN;
    }
    let nu = degrees_of_freedom as f64;
    let target = 0.5 + confidence / 2.0;
    // t(0.9995, 1) ≈ 636.6; widen the bracket for confidences beyond that.
    let (mut low, mut high) = (0.0, 1.0);
    while t_cdf(high, nu) < target && high < 1e12 {
        high *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if t_cdf(mid, nu) < target {
            low = mid;
        } else {
            high = mid;
        }
        if high - low < 1e-12 * high.max(1.0) {
            break;
        }
    }
    0.5 * (low + high)
}

/// Mean and two-sided Student-t interval at `confidence` of the finite `values`, clamped to
/// `bounds` (the range the metric can take). With one value the interval is NaN; with none
/// everything is.
pub fn interval(values: &[f64], confidence: f64, bounds: (f64, f64)) -> (f64, f64, f64) {
    interval_of(values, confidence, bounds, Spread::OfTheMean)
}

/// What an interval bounds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Spread {
    /// The expectation of the values: half-width t·s/√n (a confidence interval).
    OfTheMean,
    /// One more value drawn like them: half-width t·s·√(1 + 1/n) (a prediction interval).
    /// With uncertain inputs each replication is one possible future, so this bounds the
    /// statistic in a future drawn from the forecast, not its average over futures.
    OfANewValue,
}

/// Mean and two-sided Student-t interval of kind `spread` at `confidence` of the finite
/// `values`, clamped to `bounds`; NaN as for [`interval`].
pub fn interval_of(values: &[f64], confidence: f64, bounds: (f64, f64), spread: Spread) -> (f64, f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = finite.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN, f64::NAN);
    }
    let variance = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let scale = match spread {
        Spread::OfTheMean => 1.0 / n as f64,
        Spread::OfANewValue => 1.0 + 1.0 / n as f64,
    };
    let half = t_critical(confidence, n - 1) * (variance * scale).sqrt();
    ((mean), (mean - half).clamp(bounds.0, bounds.1), (mean + half).clamp(bounds.0, bounds.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::stats::t_quantile_975;

    #[test]
    fn prediction_intervals_are_wider_by_the_square_root_of_n_plus_one() {
        let values = [1.0, 2.0, 3.0, 4.0];
        let (mean, low, high) = interval(&values, 0.95, (f64::NEG_INFINITY, f64::INFINITY));
        let (_, new_low, new_high) =
            interval_of(&values, 0.95, (f64::NEG_INFINITY, f64::INFINITY), Spread::OfANewValue);
        assert_eq!(mean, 2.5);
        assert!(((new_high - new_low) / (high - low) - 5f64.sqrt()).abs() < 1e-12);
        assert!(((new_high + new_low) / 2.0 - 2.5).abs() < 1e-12);
    }

    #[test]
    fn critical_values_match_the_tables() {
        // The 95% values against the NIST table used for summary.csv (3 decimals there).
        for nu in [1, 2, 5, 10, 29, 40, 120] {
            assert!((t_critical(0.95, nu) - t_quantile_975(nu)).abs() < 1e-3, "ν = {nu}");
        }
        // Other levels, standard tables: t(0.95, 9) = 1.833, t(0.995, 4) = 4.604, t(0.9995, 1) = 636.62.
        assert!((t_critical(0.90, 9) - 1.833).abs() < 1e-3);
        assert!((t_critical(0.99, 4) - 4.604).abs() < 1e-3);
        assert!((t_critical(0.999, 1) - 636.62).abs() < 0.05);
        assert!(t_critical(1.0, 3).is_nan() && t_critical(0.9, 0).is_nan());
    }

    #[test]
    fn intervals_are_clamped_and_need_two_values() {
        let (mean, low, high) = interval(&[1.0, 2.0, 3.0], 0.95, (0.0, f64::INFINITY));
        assert_eq!(mean, 2.0);
        assert!((high - 2.0 - 4.303 / 3f64.sqrt()).abs() < 1e-3);
        assert_eq!(low, 0.0, "2 − 2.48 is clamped at 0");
        assert!(interval(&[1.0], 0.95, (0.0, 1.0)).1.is_nan());
    }
}

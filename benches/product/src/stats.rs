//! Medians and ranges of a handful of measurements.

/// The median and the range of some values.
#[derive(Copy, Clone, Debug)]
pub struct Spread {
    /// The median (the mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
        Some(Spread { median, min: sorted[0], max: sorted[n - 1] })
    }

    /// `median (min..max)` with `decimals` decimals.
    pub fn show(&self, decimals: usize) -> String {
        format!("{:.d$} ({:.d$}..{:.d$})", self.median, self.min, self.max, d = decimals)
    }
}

/// `show` of the spread of `values`, or `-` when there are none.
pub fn spread_text(values: &[f64], decimals: usize) -> String {
    Spread::of(values).map_or_else(|| "-".to_string(), |s| s.show(decimals))
}

/// A count in millions with `decimals` decimals (`12.3 M`).
pub fn millions(value: f64, decimals: usize) -> String {
    format!("{:.d$} M", value / 1e6, d = decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        let s = Spread::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Spread::of(&[]).is_none());
    }
}

//! Simulated time: integer nanoseconds, exact and totally ordered.
//!
//! Distributions produce `f64` seconds; [`SimDuration::from_secs_f64`] is the one place where
//! they become integer time.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time (about 584 years).
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, as a float (for reporting only).
    pub fn as_secs_f64(self) -> f64 {
        u64_to_f64(self.0) / NANOS_PER_SEC as f64
    }

    /// Time elapsed since `earlier`; zero if `earlier` is later than `self`.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The largest representable duration.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }

    /// A duration of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        SimDuration(micros * 1_000)
    }

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        SimDuration(millis * 1_000_000)
    }

    /// A duration of `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs * NANOS_PER_SEC)
    }

    /// Converts float seconds (as drawn from a distribution) to integer nanoseconds, rounding
    /// to the nearest nanosecond. Negative and NaN inputs become zero and values beyond the
    /// range saturate, so a distribution can never move time backwards.
    ///
    /// ```
    /// use stratus::engine::SimDuration;
    /// assert_eq!(SimDuration::from_secs_f64(0.25).as_nanos(), 250_000_000);
    /// assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
    /// ```
    #[inline]
    pub fn from_secs_f64(secs: f64) -> Self {
        let nanos = secs * NANOS_PER_SEC as f64;
        if nanos.is_nan() || nanos <= 0.0 {
            SimDuration(0)
        } else if nanos >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else if nanos < I64_LIMIT {
            // 0 < nanos < 2^63 here, so adding 0.5 and truncating rounds half up (faster than
            // round()), and the signed conversion is one instruction and exact.
            // SAFETY: nanos + 0.5 is finite and in [0.5, 2^63], so its integer part fits an i64
            // (2^63 itself cannot occur: the largest double below 2^63 plus 0.5 rounds down).
            SimDuration(unsafe { (nanos + 0.5).to_int_unchecked::<i64>() } as u64)
        } else {
            SimDuration((nanos + 0.5) as u64)
        }
    }

    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds as a float.
    pub fn as_secs_f64(self) -> f64 {
        u64_to_f64(self.0) / NANOS_PER_SEC as f64
    }

    /// Milliseconds as a float (the unit latencies are reported in).
    pub fn as_millis_f64(self) -> f64 {
        u64_to_f64(self.0) / 1e6
    }

    /// Nanoseconds as a float.
    #[inline]
    pub fn as_nanos_f64(self) -> f64 {
        u64_to_f64(self.0)
    }

    /// `self * factor`, saturating; used for scaling durations by a non-negative factor.
    pub fn mul_f64(self, factor: f64) -> Self {
        SimDuration::from_secs_f64(self.as_secs_f64() * factor)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    #[inline]
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for SimDuration {
    #[inline]
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Elapsed time; saturates at zero.
    #[inline]
    fn sub(self, rhs: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimDuration {
    /// Formats in the same notation the scenario files use (`"250ms"`, `"1h"`, `"1.5s"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 6] = [
            (3_600 * NANOS_PER_SEC, "h"),
            (60 * NANOS_PER_SEC, "m"),
            (NANOS_PER_SEC, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
            (1, "ns"),
        ];
        if self.0 == 0 {
            return write!(f, "0s");
        }
        for (scale, unit) in UNITS {
            if self.0.is_multiple_of(scale) {
                return write!(f, "{}{}", self.0 / scale, unit);
            }
        }
        unreachable!("every integer is a multiple of 1ns")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}

/// 2^63 as a float: below it, conversions between u64 and f64 can go through i64, which
/// x86-64 does in one instruction (unsigned conversions take several).
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// `n as f64`, through the signed conversion when it is exact and cheaper.
#[inline(always)]
fn u64_to_f64(n: u64) -> f64 {
    if n < 1 << 63 { n as i64 as f64 } else { n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast conversions give what the plain saturating `as` casts give.
    #[test]
    fn fast_float_conversions_are_exact() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut values =
            vec![0.0, 1e-10, 0.4999e-9, 0.5e-9, 1e-9, 1.5e-9, 9.2e9, 9.223372036854775e9, 1e10, 2e10, f64::NAN, -1.0];
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(f64::from_bits(x).abs() % 1e6 * (x % 7) as f64 / 7.0);
        }
        for secs in values {
            let nanos = secs * 1e9;
            let expected = if nanos.is_nan() || nanos <= 0.0 { 0 } else { (nanos + 0.5) as u64 };
            assert_eq!(SimDuration::from_secs_f64(secs).0, expected, "{secs}");
        }
        for n in [0, 1, 12_345, (1 << 53) + 1, (1 << 63) - 1, 1 << 63, u64::MAX] {
            assert_eq!(SimDuration(n).as_nanos_f64(), n as f64);
        }
    }

    #[test]
    fn conversion_rounds_and_clamps() {
        assert_eq!(SimDuration::from_secs_f64(1e-9).0, 1);
        assert_eq!(SimDuration::from_secs_f64(0.4e-9).0, 0);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN).0, 0);
        assert_eq!(SimDuration::from_secs_f64(f64::INFINITY).0, u64::MAX);
    }

    #[test]
    fn display_uses_largest_exact_unit() {
        assert_eq!(SimDuration::from_secs(7200).to_string(), "2h");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1500ms");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime(5) - SimTime(9), SimDuration::ZERO);
        assert_eq!(SimTime::MAX + SimDuration(1), SimTime::MAX);
    }
}

//! Quantities with units as users write them: durations (`"250ms"`, `"1h30m"`, `"1.2ms"`) and
//! sizes (`"1KiB"`, `"1.5 MB"`). This is the one place where such text is parsed.
//!
//! Hand-written rather than taken from `humantime`/`bytesize` because scenarios need fractional
//! values (`"1.2ms"`, AWS's cross-AZ round trip) which `humantime` rejects, and both grammars
//! are a dozen lines on a shared number-and-suffix scanner.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::engine::{NANOS_PER_SEC, SimDuration};

const DURATION_UNITS: &[(&str, f64)] = &[
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", NANOS_PER_SEC as f64),
    ("m", 60.0 * NANOS_PER_SEC as f64),
    ("min", 60.0 * NANOS_PER_SEC as f64),
    ("h", 3600.0 * NANOS_PER_SEC as f64),
    ("d", 86400.0 * NANOS_PER_SEC as f64),
];

const SIZE_UNITS: &[(&str, f64)] = &[
    ("B", 1.0),
    ("KB", 1e3),
    ("kB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("KiB", 1024.0),
    ("MiB", 1024.0 * 1024.0),
    ("GiB", 1024.0 * 1024.0 * 1024.0),
    ("TiB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
];

/// Splits `text` into (number, unit) terms: `"1h30m"` → `[(1, "h"), (30, "m")]`.
fn terms(text: &str) -> Option<Vec<(f64, &str)>> {
    let mut rest = text.trim();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let number: f64 = rest[..number_len].replace('_', "").parse().ok()?;
        rest = rest[number_len..].trim_start();
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace()).unwrap_or(rest.len());
        out.push((number, &rest[..unit_len]));
        rest = rest[unit_len..].trim_start();
    }
    if out.is_empty() { None } else { Some(out) }
}

fn scale(units: &[(&str, f64)], unit: &str) -> Option<f64> {
    units.iter().find(|(name, _)| *name == unit).map(|(_, factor)| *factor)
}

/// Parses a duration such as `"250ms"`, `"1.2ms"`, `"5m"`, `"1h30m"` or `"0"`.
///
/// ```
/// use stratus::units::parse_duration;
/// use stratus::engine::SimDuration;
/// assert_eq!(parse_duration("1h30m"), Ok(SimDuration::from_secs(5400)));
/// assert_eq!(parse_duration("1.2ms"), Ok(SimDuration::from_micros(1200)));
/// assert!(parse_duration("5 parsecs").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let expected = || {
        format!(
            "expected a duration such as \"250ms\", \"1.5s\", \"5m\" or \"1h30m\" \
             (units ns, us, ms, s, m, h, d), found \"{text}\""
        )
    };
    if text.trim() == "0" {
        return Ok(SimDuration::ZERO);
    }
    let mut nanos = 0.0;
    for (number, unit) in terms(text).ok_or_else(expected)? {
        nanos += number * scale(DURATION_UNITS, unit).ok_or_else(expected)?;
    }
    if nanos >= u64::MAX as f64 {
        return Err(format!("duration \"{text}\" is too long"));
    }
    Ok(SimDuration(nanos.round() as u64))
}

/// Parses a size such as `"1KiB"`, `"1.5 MB"` or `"512B"` into bytes.
///
/// ```
/// use stratus::units::parse_size;
/// assert_eq!(parse_size("1KiB"), Ok(1024));
/// assert_eq!(parse_size("1.5 MB"), Ok(1_500_000));
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let expected = || {
        format!(
            "expected a size such as \"512B\", \"1KiB\", \"1.5MB\" \
             (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), found \"{text}\""
        )
    };
    let terms = terms(text).ok_or_else(expected)?;
    if terms.len() != 1 {
        return Err(expected());
    }
    let (number, unit) = terms[0];
    let factor = if unit.is_empty() { 1.0 } else { scale(SIZE_UNITS, unit).ok_or_else(expected)? };
    Ok((number * factor).round() as u64)
}

/// Formats a byte count in the largest binary unit that divides it exactly.
pub fn format_size(bytes: u64) -> String {
    for (unit, factor) in [("TiB", 1u64 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= factor && bytes.is_multiple_of(factor) {
            return format!("{}{unit}", bytes / factor);
        }
    }
    format!("{bytes}B")
}

/// A byte count for people, rounded to 3 significant digits in the largest binary unit
/// below it: `"512 B"`, `"20.0 MiB"`, `"1.50 GiB"`.
pub fn format_size_approx(bytes: u64) -> String {
    let units = [("TiB", 1u64 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, factor) in units {
        if bytes >= factor {
            let value = bytes as f64 / factor as f64;
            let decimals = if value >= 100.0 {
                0
            } else if value >= 10.0 {
                1
            } else {
                2
            };
            return format!("{value:.decimals$} {unit}");
        }
    }
    format!("{bytes} B")
}

/// A length of time for people, to about two significant figures: `"0.25 s"`, `"42 s"`,
/// `"12 min"`, `"2 h 10 min"`, `"3.5 days"`.
pub fn format_duration_approx(secs: f64) -> String {
    if !secs.is_finite() {
        return "forever".into();
    }
    let secs = secs.max(0.0);
    if secs < 10.0 {
        format!("{} s", two_digits(secs))
    } else if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 3600.0 {
        format!("{:.0} min", secs / 60.0)
    } else if secs < 2.0 * 86400.0 {
        let minutes = (secs / 60.0).round() as u64;
        match (minutes / 60, minutes % 60) {
            (hours, 0) => format!("{hours} h"),
            (hours, minutes) if hours < 10 => format!("{hours} h {minutes} min"),
            (hours, _) => format!("{hours} h"),
        }
    } else if secs < 365.0 * 86400.0 {
        format!("{} days", two_digits(secs / 86400.0))
    } else {
        format!("{} years", two_digits(secs / (365.25 * 86400.0)))
    }
}

/// A count for people, to 3 significant digits with k, M or G beyond 10,000: `"9876"`,
/// `"12.3 k"`, `"4.56 M"`.
pub fn format_count_approx(count: u64) -> String {
    let value = count as f64;
    for (unit, factor) in [("G", 1e9), ("M", 1e6), ("k", 1e3)] {
        if value >= factor && (unit != "k" || value >= 1e4) {
            let scaled = value / factor;
            let decimals = if scaled >= 100.0 {
                0
            } else if scaled >= 10.0 {
                1
            } else {
                2
            };
            return format!("{scaled:.decimals$} {unit}");
        }
    }
    count.to_string()
}

/// `value` with two significant digits (at most one decimal beyond them for values below 1).
fn two_digits(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// A duration read from a scenario: a string with a unit (`"250ms"`), or `0`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub SimDuration);

impl Duration {
    /// The duration as engine time.
    pub fn get(self) -> SimDuration {
        self.0
    }
    /// The duration in seconds.
    pub fn secs(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"250ms\" or \"5m\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
                parse_duration(text).map(Duration).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Duration, E> {
                if value == 0 {
                    Ok(Duration(SimDuration::ZERO))
                } else {
                    Err(E::custom(format!(
                        "expected a duration with a unit, such as \"{value}s\" or \"{value}ms\", found the bare number {value}"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Duration, E> {
                self.visit_i64(value as i64)
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Duration, E> {
                if value.is_finite() {
                    Err(E::custom(format!(
                        "expected a duration with a unit, such as \"{value}s\", found the bare number {value}"
                    )))
                } else {
                    Err(E::custom(format!("expected a duration such as \"250ms\", found the number {value}")))
                }
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A size in bytes read from a scenario: a string with a unit (`"1KiB"`) or a whole number
/// of bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SizeVisitor;
        impl Visitor<'_> for SizeVisitor {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as \"1KiB\" or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ByteSize, E> {
                parse_size(text).map(ByteSize).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<ByteSize, E> {
                u64::try_from(value)
                    .map(ByteSize)
                    .map_err(|_| E::custom(format!("a size cannot be negative, found {value}")))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(value))
            }
        }
        deserializer.deserialize_any(SizeVisitor)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_size(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), SimDuration::from_millis(250));
        assert_eq!(parse_duration("2h").unwrap(), SimDuration::from_secs(7200));
        assert_eq!(parse_duration(" 5m ").unwrap(), SimDuration::from_secs(300));
        assert_eq!(parse_duration("1m30s").unwrap(), SimDuration::from_secs(90));
        assert_eq!(parse_duration("1 h 30 m").unwrap(), SimDuration::from_secs(5400));
        assert_eq!(parse_duration("300us").unwrap(), SimDuration::from_micros(300));
        assert_eq!(parse_duration("0").unwrap(), SimDuration::ZERO);
        for bad in ["", "5", "ms", "5 parsecs", "-5s", "1..2s", "5x"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1KiB").unwrap(), 1024);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert_eq!(parse_size("2 MiB").unwrap(), 2 << 20);
        assert_eq!(parse_size("1KB").unwrap(), 1000);
        for bad in ["", "KiB", "1 parsec", "1KiB2MiB", "-1B"] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(format_size(1024), "1KiB");
        assert_eq!(format_size(1000), "1000B");
    }

    #[test]
    fn approximate_quantities_for_people() {
        assert_eq!(format_size_approx(512), "512 B");
        assert_eq!(format_size_approx(20 << 20), "20.0 MiB");
        assert_eq!(format_size_approx(3 << 29), "1.50 GiB");
        assert_eq!(format_size_approx(200 << 30), "200 GiB");
        assert_eq!(format_duration_approx(0.25), "0.25 s");
        assert_eq!(format_duration_approx(42.4), "42 s");
        assert_eq!(format_duration_approx(720.0), "12 min");
        assert_eq!(format_duration_approx(7800.0), "2 h 10 min");
        assert_eq!(format_duration_approx(86400.0), "24 h");
        assert_eq!(format_duration_approx(3.5 * 86400.0), "3.5 days");
        assert_eq!(format_count_approx(9876), "9876");
        assert_eq!(format_count_approx(12_345), "12.3 k");
        assert_eq!(format_count_approx(12_300_000), "12.3 M");
        assert_eq!(format_count_approx(4_560_000_000), "4.56 G");
    }
}

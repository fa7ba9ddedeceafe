//! Probability distributions for service times, think times, latencies and sizes.
//!
//! In a scenario a distribution is a table such as `{ dist = "exponential", mean = "1s" }`,
//! or a bare quantity (`"10ms"`, `"1KiB"`) meaning a constant. The quantity kind (durations
//! or sizes) is fixed by where the distribution is used, through the type parameter of
//! [`DistSpec`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Pareto};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{SpecError, check_fields};
use crate::engine::{SimDuration, SimRng};
use crate::units::{format_size, parse_duration, parse_size};

/// What a distribution's values measure, and how they are written.
pub trait QuantityKind: Clone + fmt::Debug + Send + Sync + 'static {
    /// Name used in messages ("duration", "size").
    const NAME: &'static str;
    /// Parses a written quantity into the base unit (seconds, bytes).
    fn parse(text: &str) -> Result<f64, String>;
    /// Accepts a bare number, if this kind allows it.
    fn from_number(value: f64) -> Result<f64, String>;
    /// Formats a base-unit value for output.
    fn format(value: f64) -> String;
}

/// Durations, in seconds; written `"250ms"`, `"1.5s"`.
#[derive(Clone, Debug)]
pub struct Seconds;
impl QuantityKind for Seconds {
    const NAME: &'static str = "duration";
    fn parse(text: &str) -> Result<f64, String> {
        parse_duration(text).map(SimDuration::as_secs_f64)
    }
    fn from_number(value: f64) -> Result<f64, String> {
        if value == 0.0 {
            Ok(0.0)
        } else if !value.is_finite() {
            Err(format!("expected a duration such as \"250ms\", found the number {value}"))
        } else {
            Err(format!(
                "expected a duration with a unit, such as \"{value}s\" or \"{value}ms\", found the bare number {value}"
            ))
        }
    }
    fn format(value: f64) -> String {
        SimDuration::from_secs_f64(value).to_string()
    }
}

/// Sizes, in bytes; written `"1KiB"` or as a number of bytes.
#[derive(Clone, Debug)]
pub struct Bytes;
impl QuantityKind for Bytes {
    const NAME: &'static str = "size";
    fn parse(text: &str) -> Result<f64, String> {
        parse_size(text).map(|bytes| bytes as f64)
    }
    fn from_number(value: f64) -> Result<f64, String> {
        if value.is_finite() && value >= 0.0 {
            Ok(value)
        } else {
            Err(format!("a size must be a finite, non-negative number of bytes, found {value}"))
        }
    }
    fn format(value: f64) -> String {
        format_size(value.round() as u64)
    }
}

/// A quantity of kind `K`, held in the base unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity<K>(pub f64, PhantomData<K>);

impl<K> Quantity<K> {
    /// A quantity of `value` base units.
    pub fn new(value: f64) -> Self {
        Quantity(value, PhantomData)
    }
}

impl<'de, K: QuantityKind> Deserialize<'de> for Quantity<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor<K>(PhantomData<K>);
        impl<K: QuantityKind> Visitor<'_> for QuantityVisitor<K> {
            type Value = Quantity<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a {}", K::NAME)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                K::parse(text).map(Quantity::new).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
                K::from_number(value).map(Quantity::new).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                self.visit_f64(value as f64)
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                self.visit_f64(value as f64)
            }
        }
        deserializer.deserialize_any(QuantityVisitor(PhantomData))
    }
}

impl<K: QuantityKind> Serialize for Quantity<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&K::format(self.0))
    }
}

/// The table form of a distribution, as written in a scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = ""))]
pub struct DistTable<K: QuantityKind> {
    /// Family: constant, exponential, uniform, lognormal, gamma, erlang, pareto, empirical.
    pub dist: String,
    /// Mean (exponential, lognormal, gamma, erlang, pareto).
    pub mean: Option<Quantity<K>>,
    /// The value of a constant.
    pub value: Option<Quantity<K>>,
    /// Lower bound (uniform).
    pub min: Option<Quantity<K>>,
    /// Upper bound (uniform).
    pub max: Option<Quantity<K>>,
    /// Coefficient of variation, standard deviation / mean (lognormal, gamma).
    pub cv: Option<f64>,
    /// Shape parameter (gamma; the tail index α of pareto).
    pub shape: Option<f64>,
    /// Number of phases (erlang).
    pub k: Option<u32>,
    /// Minimum value x_m (pareto, instead of `mean`).
    pub scale: Option<Quantity<K>>,
    /// CSV file of samples (empirical), relative to the scenario file.
    pub file: Option<String>,
    /// Column of `file` to read: a header name; default the first column.
    pub column: Option<String>,
    /// Samples loaded from `file` by the scenario loader (in base units).
    #[serde(skip)]
    pub samples: Option<Arc<[f64]>>,
}

/// A distribution as written in a scenario: a bare constant or a table.
#[derive(Clone, Debug)]
pub enum DistSpec<K: QuantityKind> {
    /// A bare quantity: always this value.
    Constant(Quantity<K>),
    /// A `{ dist = ..., ... }` table.
    Table(Box<DistTable<K>>),
}

impl<'de, K: QuantityKind> Deserialize<'de> for DistSpec<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor<K>(PhantomData<K>);
        impl<'de, K: QuantityKind> Visitor<'de> for SpecVisitor<K> {
            type Value = DistSpec<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a {} or a distribution table such as {{ dist = \"exponential\", mean = ... }}", K::NAME)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                K::parse(text).map(|v| DistSpec::Constant(Quantity::new(v))).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
                K::from_number(value).map(|v| DistSpec::Constant(Quantity::new(v))).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                self.visit_f64(value as f64)
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                self.visit_f64(value as f64)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                DistTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|table| DistSpec::Table(Box::new(table)))
            }
        }
        deserializer.deserialize_any(SpecVisitor(PhantomData))
    }
}

impl<K: QuantityKind> DistSpec<K> {
    /// A constant distribution.
    pub fn constant(value: f64) -> Self {
        DistSpec::Constant(Quantity::new(value))
    }

    /// A table of family `dist` with every parameter unset (the constructors below fill it).
    fn table(dist: &str) -> DistTable<K> {
        DistTable {
            dist: dist.into(),
            mean: None,
            value: None,
            min: None,
            max: None,
            cv: None,
            shape: None,
            k: None,
            scale: None,
            file: None,
            column: None,
            samples: None,
        }
    }

    /// An exponential distribution with the given mean (base units).
    pub fn exponential(mean: f64) -> Self {
        DistSpec::Table(Box::new(DistTable { mean: Some(Quantity::new(mean)), ..Self::table("exponential") }))
    }

    /// A lognormal distribution with the given mean (base units) and coefficient of variation.
    pub fn lognormal(mean: f64, cv: f64) -> Self {
        DistSpec::Table(Box::new(DistTable {
            mean: Some(Quantity::new(mean)),
            cv: Some(cv),
            ..Self::table("lognormal")
        }))
    }

    /// A uniform distribution on [min, max] (base units).
    pub fn uniform(min: f64, max: f64) -> Self {
        DistSpec::Table(Box::new(DistTable {
            min: Some(Quantity::new(min)),
            max: Some(Quantity::new(max)),
            ..Self::table("uniform")
        }))
    }

    /// The table form, if this is one (the loader reads `file` into `samples`).
    pub fn table_mut(&mut self) -> Option<&mut DistTable<K>> {
        match self {
            DistSpec::Table(table) => Some(table),
            DistSpec::Constant(_) => None,
        }
    }

    /// Checks the parameters and builds the sampler.
    pub fn build(&self) -> Result<Dist, SpecError> {
        let table = match self {
            DistSpec::Constant(q) => return Ok(Dist::Constant(q.0)),
            DistSpec::Table(table) => table,
        };
        // Which fields each family uses; any other field given is an error, so a typo such
        // as `shape` on an exponential is not silently ignored.
        let (allowed, family): (&[&str], &str) = match table.dist.as_str() {
            "constant" => (&["value"], "constant"),
            "exponential" => (&["mean"], "exponential"),
            "uniform" => (&["min", "max"], "uniform"),
            "lognormal" => (&["mean", "cv"], "lognormal"),
            "gamma" => (&["mean", "cv", "shape"], "gamma"),
            "erlang" => (&["mean", "k"], "erlang"),
            "pareto" => (&["mean", "shape", "scale"], "pareto"),
            "empirical" => (&["file", "column"], "empirical"),
            other => {
                return Err(SpecError::new(
                    "dist",
                    format!(
                        "unknown distribution `{other}`, expected one of `constant`, `exponential`, \
                         `uniform`, `lognormal`, `gamma`, `erlang`, `pareto`, `empirical`"
                    ),
                ));
            }
        };
        let given = [
            ("mean", table.mean.is_some()),
            ("value", table.value.is_some()),
            ("min", table.min.is_some()),
            ("max", table.max.is_some()),
            ("cv", table.cv.is_some()),
            ("shape", table.shape.is_some()),
            ("k", table.k.is_some()),
            ("scale", table.scale.is_some()),
            ("file", table.file.is_some()),
            ("column", table.column.is_some()),
        ];
        let what = format!("{} {family} distribution", super::article(family));
        check_fields(&what, allowed, &given)?;
        let need = |field: &str, value: Option<f64>| -> Result<f64, SpecError> {
            value.ok_or_else(|| SpecError::new("", format!("{what} needs `{field}`")))
        };
        let positive = |field: &str, value: f64| -> Result<f64, SpecError> {
            if value.is_finite() && value > 0.0 {
                Ok(value)
            } else {
                Err(SpecError::new(field, format!("`{field}` must be positive, found {value}")))
            }
        };
        let non_negative = |field: &str, value: f64| -> Result<f64, SpecError> {
            if value.is_finite() && value >= 0.0 {
                Ok(value)
            } else {
                Err(SpecError::new(field, format!("`{field}` must not be negative, found {value}")))
            }
        };
        let q = |value: &Option<Quantity<K>>| value.as_ref().map(|q| q.0);
        Ok(match family {
            "constant" => Dist::Constant(non_negative("value", need("value", q(&table.value))?)?),
            "exponential" => {
                let mean = positive("mean", need("mean", q(&table.mean))?)?;
                let exp = Exp::new(1.0 / mean)
                    .map_err(|e| SpecError::new("mean", format!("invalid exponential mean: {e}")))?;
                Dist::Exponential(exp, mean)
            }
            "uniform" => {
                let min = non_negative("min", need("min", q(&table.min))?)?;
                let max = non_negative("max", need("max", q(&table.max))?)?;
                if max < min {
                    return Err(SpecError::new(
                        "max",
                        format!("`max` must be at least `min` ({}), found {}", K::format(min), K::format(max)),
                    ));
                }
                Dist::Uniform { min, max }
            }
            "lognormal" => {
                let mean = positive("mean", need("mean", q(&table.mean))?)?;
                let cv = positive("cv", need("cv", table.cv)?)?;
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                let lognormal = LogNormal::new(mu, sigma2.sqrt())
                    .ok()
                    .filter(|_| mu.is_finite() && sigma2.is_finite())
                    .ok_or_else(|| {
                        SpecError::new(
                            "cv",
                            format!("`cv` = {cv} is too large for a lognormal with mean {}", K::format(mean)),
                        )
                    })?;
                Dist::LogNormal(lognormal, mean, cv)
            }
            "gamma" => {
                let mean = positive("mean", need("mean", q(&table.mean))?)?;
                let shape = match (table.cv, table.shape) {
                    (Some(_), Some(_)) => {
                        return Err(SpecError::new("shape", "give either `cv` or `shape`, not both"));
                    }
                    (Some(cv), None) => 1.0 / positive("cv", cv)?.powi(2),
                    (None, Some(shape)) => positive("shape", shape)?,
                    (None, None) => return Err(SpecError::new("", "a gamma distribution needs `cv` or `shape`")),
                };
                let gamma = Gamma::new(shape, mean / shape)
                    .ok()
                    .filter(|_| shape > 0.0 && (mean / shape).is_finite())
                    .ok_or_else(|| {
                        SpecError::new(
                            if table.cv.is_some() { "cv" } else { "shape" },
                            format!("the gamma shape {shape} is out of range (from `cv` or `shape`)"),
                        )
                    })?;
                Dist::Gamma(gamma, mean, shape)
            }
            "erlang" => {
                let mean = positive("mean", need("mean", q(&table.mean))?)?;
                let k = table.k.ok_or_else(|| SpecError::new("", "an erlang distribution needs `k`"))?;
                if k == 0 {
                    return Err(SpecError::new("k", "`k` must be at least 1"));
                }
                let k = f64::from(k);
                let gamma = Gamma::new(k, mean / k)
                    .map_err(|e| SpecError::new("k", format!("invalid erlang parameters: {e}")))?;
                Dist::Gamma(gamma, mean, k)
            }
            "pareto" => {
                let shape = positive("shape", need("shape", table.shape)?)?;
                let scale = match (q(&table.mean), q(&table.scale)) {
                    (Some(_), Some(_)) => {
                        return Err(SpecError::new("scale", "give either `mean` or `scale`, not both"));
                    }
                    (Some(mean), None) => {
                        if shape <= 1.0 {
                            return Err(SpecError::new(
                                "shape",
                                format!(
                                    "a pareto distribution given by its mean needs `shape` > 1 (the mean is infinite otherwise), found {shape}"
                                ),
                            ));
                        }
                        positive("mean", mean)? * (shape - 1.0) / shape
                    }
                    (None, Some(scale)) => positive("scale", scale)?,
                    (None, None) => return Err(SpecError::new("", "a pareto distribution needs `mean` or `scale`")),
                };
                let pareto = Pareto::new(scale, shape)
                    .map_err(|e| SpecError::new("shape", format!("invalid pareto parameters: {e}")))?;
                Dist::Pareto(pareto, scale, shape)
            }
            "empirical" => {
                if table.file.is_none() {
                    return Err(SpecError::new("", "an empirical distribution needs `file`"));
                }
                let samples = table
                    .samples
                    .clone()
                    .ok_or_else(|| SpecError::new("file", "the samples of `file` were not loaded"))?;
                if samples.is_empty() {
                    return Err(SpecError::new("file", "the file holds no samples"));
                }
                Dist::Empirical(samples)
            }
            _ => unreachable!("family checked above"),
        })
    }
}

impl<K: QuantityKind> Serialize for DistSpec<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            DistSpec::Constant(q) => q.serialize(serializer),
            DistSpec::Table(table) => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("dist", &table.dist)?;
                for (name, value) in [
                    ("mean", &table.mean),
                    ("value", &table.value),
                    ("min", &table.min),
                    ("max", &table.max),
                    ("scale", &table.scale),
                ] {
                    if let Some(value) = value {
                        map.serialize_entry(name, value)?;
                    }
                }
                for (name, value) in [("cv", table.cv), ("shape", table.shape)] {
                    if let Some(value) = value {
                        map.serialize_entry(name, &value)?;
                    }
                }
                if let Some(k) = table.k {
                    map.serialize_entry("k", &k)?;
                }
                if let Some(file) = &table.file {
                    map.serialize_entry("file", file)?;
                }
                if let Some(column) = &table.column {
                    map.serialize_entry("column", column)?;
                }
                map.end()
            }
        }
    }
}

/// A ready-to-sample distribution over non-negative values in a base unit.
#[derive(Clone, Debug)]
pub enum Dist {
    /// Always the same value.
    Constant(f64),
    /// Exponential with the given mean.
    Exponential(Exp<f64>, f64),
    /// Uniform on [min, max].
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Lognormal, with its mean and coefficient of variation.
    LogNormal(LogNormal<f64>, f64, f64),
    /// Gamma (and Erlang), with its mean and shape.
    Gamma(Gamma<f64>, f64, f64),
    /// Pareto with scale x_m and shape α.
    Pareto(Pareto<f64>, f64, f64),
    /// Resampling of measured values, uniformly.
    Empirical(Arc<[f64]>),
}

impl Dist {
    /// Draws one value (base units: seconds or bytes).
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match self {
            Dist::Constant(value) => *value,
            Dist::Exponential(exp, _) => exp.sample(rng),
            Dist::Uniform { min, max } => {
                if max > min {
                    rng.random_range(*min..*max)
                } else {
                    *min
                }
            }
            Dist::LogNormal(lognormal, _, _) => lognormal.sample(rng),
            Dist::Gamma(gamma, _, _) => gamma.sample(rng),
            Dist::Pareto(pareto, _, _) => pareto.sample(rng),
            Dist::Empirical(samples) => samples[rng.random_range(0..samples.len())],
        }
    }

    /// Draws one duration.
    #[inline]
    pub fn sample_duration(&self, rng: &mut SimRng) -> SimDuration {
        SimDuration::from_secs_f64(self.sample(rng))
    }

    /// The mean (infinite for a Pareto with shape ≤ 1).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(value) => *value,
            Dist::Exponential(_, mean) | Dist::LogNormal(_, mean, _) | Dist::Gamma(_, mean, _) => *mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Pareto(_, scale, shape) => {
                if *shape > 1.0 {
                    scale * shape / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            Dist::Empirical(samples) => samples.iter().sum::<f64>() / samples.len() as f64,
        }
    }

    /// The second moment E\[X²\] (used by Pollaczek–Khinchine checks and by `describe`).
    pub fn second_moment(&self) -> f64 {
        let mean = self.mean();
        match self {
            Dist::Constant(value) => value * value,
            Dist::Exponential(..) => 2.0 * mean * mean,
            Dist::Uniform { min, max } => (min * min + min * max + max * max) / 3.0,
            Dist::LogNormal(_, _, cv) => mean * mean * (1.0 + cv * cv),
            Dist::Gamma(_, _, shape) => mean * mean * (1.0 + 1.0 / shape),
            Dist::Pareto(_, scale, shape) => {
                if *shape > 2.0 {
                    shape * scale * scale / (shape - 2.0)
                } else {
                    f64::INFINITY
                }
            }
            Dist::Empirical(samples) => samples.iter().map(|x| x * x).sum::<f64>() / samples.len() as f64,
        }
    }
}

//! The loader and run side of uncertain inputs ([`uncertain`](super::uncertain)): finding
//! `{ low, mid, high, confidence }` tables in a point's document (each replaced by its `mid`
//! for validation), checking the place takes a real number, substituting a replication's
//! draws into the spec, and recording them as `forecast.<path>` metrics.

use super::uncertain::{DEFAULT_FORECAST_CONFIDENCE, UncertainParam};
use super::*;
use crate::metrics::MetricSet;
use doc::Segment;

const KEYS: [&str; 4] = ["low", "mid", "high", "confidence"];

/// Whether `table` is written as an uncertain value: only the keys low, mid, high,
/// confidence, and at least one of the first three.
fn is_uncertain(table: &DeTable<'_>) -> bool {
    !table.is_empty()
        && table.keys().all(|key| KEYS.contains(&key.get_ref().as_ref()))
        && ["low", "mid", "high"].iter().any(|key| table.contains_key(*key))
}

fn number_of(value: &Spanned<DeValue<'_>>) -> Option<(f64, bool)> {
    match toml::Value::deserialize(ValueDeserializer::from(value.clone())).ok()? {
        toml::Value::Integer(i) => Some((i as f64, true)),
        toml::Value::Float(f) => Some((f, false)),
        _ => None,
    }
}

/// Replaces every uncertain table of `doc` by its `mid` (given the table's span), returning
/// each with that span.
pub(super) fn extract(doc: &mut Spanned<DeTable<'_>>) -> Located<Vec<(UncertainParam, Range<usize>)>> {
    let mut found = Vec::new();
    for (key, value) in doc.get_mut().iter_mut() {
        let key = key.get_ref().to_string();
        let allowed = ["component", "workload", "fault"].contains(&key.as_str());
        walk(value, &key, allowed, &mut found)?;
    }
    Ok(found)
}

fn walk<'i>(
    node: &mut Spanned<DeValue<'i>>,
    path: &str,
    allowed: bool,
    found: &mut Vec<(UncertainParam, Range<usize>)>,
) -> Located<()> {
    let span = node.span();
    match node.get_mut() {
        DeValue::Table(table) if is_uncertain(table) => {
            if !allowed {
                return Err((
                    span,
                    format!(
                        "`{path}` cannot be uncertain: forecast intervals {{ low, mid, high }} are read in \
                         [[component]], [[workload]] and [[fault]] tables only"
                    ),
                ));
            }
            let mut numbers = [f64::NAN; 4];
            let mut integer = false;
            for (slot, key) in KEYS.iter().enumerate() {
                match table.get(*key) {
                    Some(value) => {
                        let (number, is_integer) = number_of(value)
                            .ok_or_else(|| (value.span(), format!("`{key}` of an uncertain value must be a number")))?;
                        numbers[slot] = number;
                        integer |= *key == "mid" && is_integer;
                    }
                    None if *key == "confidence" => numbers[slot] = DEFAULT_FORECAST_CONFIDENCE,
                    None => {
                        return Err((
                            span,
                            format!(
                                "this uncertain value has no `{key}`: write {{ low = .., mid = .., high = .., \
                                 confidence = 0.9 }} (the band [low, high] holds `confidence` of the forecast, \
                                 mid is the most likely value)"
                            ),
                        ));
                    }
                }
            }
            let param = UncertainParam {
                path: path.to_string(),
                low: numbers[0],
                mid: numbers[1],
                high: numbers[2],
                confidence: numbers[3],
                integer,
            };
            param.validate().map_err(|message| (span.clone(), message))?;
            let mid = table.get("mid").expect("checked above").get_ref().clone();
            *node = doc::respan(mid, span.clone());
            found.push((param, span));
        }
        DeValue::Table(table) => {
            for (key, value) in table.iter_mut() {
                let child = format!("{path}.{}", key.get_ref());
                walk(value, &child, allowed, found)?;
            }
        }
        DeValue::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let name = item
                    .get_ref()
                    .as_table()
                    .and_then(|table| table.get("name"))
                    .and_then(|name| name.get_ref().as_str())
                    .map(str::to_string);
                // Components and workloads are addressed by name, as in `--set`.
                let child = match name {
                    Some(name) if ["component", "workload"].contains(&path) => format!("{path}.{name}"),
                    _ => format!("{path}[{index}]"),
                };
                walk(item, &child, allowed, found)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Sets `value` at `segments` inside `node` (table keys, array indices, array elements by
/// `name`); the place must exist.
pub(super) fn set_value(node: &mut toml::Value, segments: &[Segment], value: toml::Value) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else {
        *node = value;
        return Ok(());
    };
    let child = match (node, first) {
        (toml::Value::Table(table), Segment::Key(key)) => table.get_mut(key.as_str()),
        (toml::Value::Array(items), Segment::Index(index)) => items.get_mut(*index),
        (toml::Value::Array(items), Segment::Key(name)) => {
            items.iter_mut().find(|item| item.get("name").and_then(toml::Value::as_str) == Some(name.as_str()))
        }
        _ => None,
    };
    let child = child.ok_or_else(|| "the parameter is not among the table's resolved parameters".to_string())?;
    set_value(child, rest, value)
}

fn reads_a_file(value: &toml::Value) -> bool {
    match value {
        toml::Value::Table(table) => table.contains_key("file") || table.values().any(reads_a_file),
        toml::Value::Array(items) => items.iter().any(reads_a_file),
        _ => false,
    }
}

fn substitute<T: Serialize>(
    config: &T,
    rest: &[Segment],
    value: f64,
    rebuild: impl Fn(toml::Value) -> Result<T, toml::de::Error>,
) -> Result<T, String> {
    let mut table = toml::Value::try_from(config).map_err(|e| e.to_string())?;
    if reads_a_file(&table) {
        return Err("a table that reads a data file (`file = ...`) cannot hold uncertain values".into());
    }
    set_value(&mut table, rest, toml::Value::Float(value))?;
    rebuild(table).map_err(|e| humanize(e.message().trim_end()))
}

impl ScenarioSpec {
    /// The draws of replication `key`, one per [`ScenarioSpec::uncertain`] parameter.
    pub fn forecast_draws(&self, key: StreamKey) -> Vec<f64> {
        self.uncertain.iter().map(|param| param.draw(key)).collect()
    }

    /// This spec with `values` (one per uncertain parameter) in place of their `mid`s.
    pub fn with_values(&self, values: &[f64]) -> Result<ScenarioSpec, PathError> {
        let mut spec = self.clone();
        for (param, &value) in self.uncertain.iter().zip(values) {
            let at = |message: String| (param.path.clone(), message);
            let segments = parse_path(&param.path).map_err(at)?;
            match segments.as_slice() {
                [Segment::Key(table), Segment::Key(name), rest @ ..] if table == "component" => {
                    let component = spec
                        .components
                        .iter_mut()
                        .find(|c| &c.name == name)
                        .ok_or_else(|| at(format!("no component `{name}`")))?;
                    let kind = component.config.kind();
                    component.config = substitute(&component.config, rest, value, |table| {
                        ComponentConfig::deserialize_kind(kind, table)
                            .and_then(|config| config.ok_or_else(|| serde::de::Error::custom("unknown kind")))
                    })
                    .map_err(at)?;
                }
                [Segment::Key(table), Segment::Key(name), rest @ ..] if table == "workload" => {
                    let workload = spec
                        .workloads
                        .iter_mut()
                        .find(|w| &w.name == name)
                        .ok_or_else(|| at(format!("no workload `{name}`")))?;
                    workload.config =
                        substitute(&workload.config, rest, value, WorkloadConfig::deserialize).map_err(at)?;
                }
                [Segment::Key(table), Segment::Index(index), rest @ ..] if table == "fault" => {
                    let fault = spec.faults.get_mut(*index).ok_or_else(|| at(format!("no fault[{index}]")))?;
                    *fault = substitute(&*fault, rest, value, FaultConfig::deserialize).map_err(at)?;
                }
                _ => {
                    return Err(at(
                        "forecast intervals are read in [[component]], [[workload]] and [[fault]] only".into()
                    ));
                }
            }
        }
        Ok(spec)
    }

    /// Adds the draws of a replication to its metrics, as `forecast.<path>`.
    pub fn record_forecast(&self, values: &[f64], metrics: &mut MetricSet) {
        for (param, &value) in self.uncertain.iter().zip(values) {
            metrics.scalar(param.metric_name(), param.unit(), value);
        }
    }
}

/// Checks that each uncertain parameter of `spec` takes real numbers over its band: the spec
/// is rebuilt with every parameter at its `low`, then at its `high` (both written as real
/// numbers), and each world built. `spans` locates the parameters.
pub(super) fn check(spec: &ScenarioSpec, spans: &[Range<usize>]) -> Located<()> {
    for (end, pick) in [("low", 0usize), ("high", 1)] {
        let values: Vec<f64> =
            spec.uncertain.iter().map(|param| if pick == 0 { param.low } else { param.high }).collect();
        let span_of = |path: &str| {
            spec.uncertain
                .iter()
                .position(|param| path.starts_with(&param.path) || param.path.starts_with(path))
                .and_then(|i| spans.get(i).cloned())
                .unwrap_or_else(|| spans.first().cloned().unwrap_or(0..0))
        };
        let varied = spec.with_values(&values).map_err(|(path, message)| {
            (
                span_of(&path),
                format!(
                    "`{path}` cannot take an uncertain value: {message} (draws are real numbers, so whole-number \
                     parameters such as counts cannot be uncertain)"
                ),
            )
        })?;
        varied.build_world(StreamKey { seed: 0, point: 0, replication: 0 }).map_err(|(path, message)| {
            (span_of(&path), format!("with the uncertain values at their {end}: {path}: {message}"))
        })?;
    }
    Ok(())
}

/// Writes each uncertain parameter of the first point back into the resolved tables as its
/// interval (the spec holds its `mid`), so the resolved scenario runs the same forecast.
pub(super) fn write_resolved(root: &mut toml::Table, spec: &ScenarioSpec) {
    for param in &spec.uncertain {
        let Ok(segments) = parse_path(&param.path) else { continue };
        let mut table = toml::Table::new();
        table.insert("low".into(), param.low.into());
        let mid = if param.integer { toml::Value::Integer(param.mid as i64) } else { param.mid.into() };
        table.insert("mid".into(), mid);
        table.insert("high".into(), param.high.into());
        table.insert("confidence".into(), param.confidence.into());
        let mut value = toml::Value::Table(std::mem::take(root));
        let _ = set_value(&mut value, &segments, toml::Value::Table(table));
        if let toml::Value::Table(back) = value {
            *root = back;
        }
    }
}

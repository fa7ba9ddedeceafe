//! Scenario files: reading, `--set` overrides, sweep expansion and validation, with every
//! error located at file:line:column.
//!
//! Loading parses the TOML into a spanned document, applies each sweep point's values and the
//! `--set` overrides at their dotted paths (`component.app.servers`), then reads each point
//! into typed specs and checks them by building the model once. A value that came from a sweep
//! or an override is reported at the place in the file it replaced.

mod adaptive;
mod build;
mod doc;
mod estimate;
mod files;
mod forecast;
mod objective;
mod parse;
mod pricing;
mod simulation_doc;
pub mod uncertain;

use parse::*;

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::blocks::workload::{Workload, WorkloadConfig};
use crate::engine::{SimDuration, SimTime, StreamKey};
use crate::model::fault::{FaultConfig, FaultTiming};
use crate::model::kind::BuildContext;
use crate::model::topology::TopologyConfig;
use crate::model::world::{RunConfig, World};
use crate::model::{ComponentId, Network, SpecError, article};
use crate::services::registry::{COMPONENT_KINDS, ComponentConfig};
use crate::units::{ByteSize, Duration};
pub use adaptive::AdaptiveConfig;
pub use doc::{Diagnostic, parse_path};
pub use objective::{Bound, Direction, OBJECTIVE_DOC, ObjectiveConfig};
pub use pricing::{PricingConfig, Purchase};
pub use simulation_doc::{SIMULATION_DOC, describe_default};
pub use uncertain::UncertainParam;

/// Default number of replications: 10 (enough for a Student-t interval to be meaningful).
pub const DEFAULT_REPLICATIONS: u32 = 10;
/// Default master seed.
pub const DEFAULT_SEED: u64 = 1;
/// Most points a sweep grid may have.
pub const MAX_SWEEP_POINTS: usize = 100_000;
/// Default number of time-series rows when `sample_interval` is not given.
pub const DEFAULT_SERIES_ROWS: u64 = 200;
/// Default memory budget of a scenario's runs, all runs in progress together: 4 GiB, or half
/// the machine's memory if that is less ([`SimulationConfig::memory_budget`]). Assumption: room
/// for any stable scenario (their state does not grow with time; BENCHMARKS.md), well under a
/// workstation's memory.
pub const DEFAULT_MEMORY_BUDGET: u64 = 4 << 30;
/// Smallest memory budget accepted: 1 MiB (less leaves a run no room to start).
pub const MIN_MEMORY_BUDGET: u64 = 1 << 20;

/// Errors from loading a scenario.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {path}: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file (or an override) is invalid; the diagnostic says where.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    /// A `--set` argument (or a flag that sets a parameter) is malformed.
    #[error("invalid {flag} `{value}`: {message}")]
    BadOverride {
        /// The flag, e.g. `--set`.
        flag: String,
        /// Its value as given.
        value: String,
        /// What is wrong.
        message: String,
    },
}

/// The `[simulation]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Simulated time of each replication.
    pub duration: Duration,
    /// Initial period whose measurements are discarded.
    #[serde(default)]
    pub warmup: Duration,
    /// Independent replications of each sweep point.
    #[serde(default = "default_replications")]
    pub replications: u32,
    /// Master seed; every random stream derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Period of the time series; default duration / 200.
    pub sample_interval: Option<Duration>,
    /// Whether sweep points share random numbers (common random numbers make differences
    /// between points sharper); if false each point gets its own streams.
    #[serde(default = "default_true")]
    pub common_random_numbers: bool,
    /// Most memory the runs in progress may hold together (queues, requests in flight, pending
    /// events); default [`DEFAULT_MEMORY_BUDGET`]. Each run gets an equal share; a run over its
    /// share stops and its sweep point is reported unstable. Written into the resolved scenario
    /// only when given, since the default depends on the machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_budget: Option<ByteSize>,
    /// Run replications in rounds until the chosen metrics' intervals are narrow enough
    /// (`replications` is then the first round); None: exactly `replications`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveConfig>,
}

fn default_replications() -> u32 {
    DEFAULT_REPLICATIONS
}
fn default_seed() -> u64 {
    DEFAULT_SEED
}
fn default_true() -> bool {
    true
}

impl SimulationConfig {
    /// The sampling period actually used.
    pub fn sample_interval(&self) -> SimDuration {
        self.sample_interval
            .map(Duration::get)
            .unwrap_or(SimDuration(self.duration.get().as_nanos() / DEFAULT_SERIES_ROWS))
    }

    /// The memory budget of all runs in progress together: `memory_budget` if given, else
    /// [`DEFAULT_MEMORY_BUDGET`] or half of `machine_memory` (bytes, if known), whichever is
    /// less.
    pub fn memory_budget(&self, machine_memory: Option<u64>) -> u64 {
        match self.memory_budget {
            Some(budget) => budget.0,
            None => DEFAULT_MEMORY_BUDGET.min(machine_memory.map_or(u64::MAX, |bytes| bytes / 2)),
        }
    }

    /// Timing of one run.
    pub fn run_config(&self) -> RunConfig {
        RunConfig { duration: self.duration.get(), warmup: self.warmup.get(), sample_interval: self.sample_interval() }
    }

    fn validate(&self) -> Result<(), SpecError> {
        if self.duration.get() == SimDuration::ZERO {
            return Err(SpecError::new("duration", "the duration must be longer than 0"));
        }
        if self.warmup.get() >= self.duration.get() {
            return Err(SpecError::new(
                "warmup",
                format!("the warm-up ({}) must be shorter than the duration ({})", self.warmup, self.duration),
            ));
        }
        if self.replications == 0 {
            return Err(SpecError::new("replications", "at least 1 replication is needed"));
        }
        if let Some(adaptive) = &self.adaptive {
            adaptive.validate(self.replications).map_err(|error| error.within("adaptive"))?;
        }
        if let Some(budget) = self.memory_budget
            && budget.0 < MIN_MEMORY_BUDGET
        {
            return Err(SpecError::new(
                "memory_budget",
                format!(
                    "a memory budget of {} leaves a run no room; give at least {} (e.g. \"2GiB\")",
                    crate::units::format_size(budget.0),
                    crate::units::format_size(MIN_MEMORY_BUDGET)
                ),
            ));
        }
        if let Some(interval) = self.sample_interval {
            if interval.get() == SimDuration::ZERO || interval.get() > self.duration.get() {
                return Err(SpecError::new(
                    "sample_interval",
                    format!("the sample interval must be longer than 0 and at most the duration ({})", self.duration),
                ));
            }
            if self.duration.get().as_nanos() / interval.get().as_nanos() > 1_000_000 {
                return Err(SpecError::new(
                    "sample_interval",
                    "more than 1,000,000 samples per run; choose a longer interval",
                ));
            }
        }
        Ok(())
    }
}

/// A `[[component]]`: its name, placement and kind-specific parameters.
#[derive(Clone, Debug)]
pub struct ComponentSpec {
    /// Unique name.
    pub name: String,
    /// Availability zone (default the first).
    pub az: Option<String>,
    /// Kind and parameters.
    pub config: ComponentConfig,
}

/// A `[[workload]]`.
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    /// Unique name.
    pub name: String,
    /// Parameters.
    pub config: WorkloadConfig,
}

/// One fully resolved configuration (one sweep point).
#[derive(Clone, Debug)]
pub struct ScenarioSpec {
    /// `[simulation]`.
    pub simulation: SimulationConfig,
    /// `[topology]`.
    pub topology: TopologyConfig,
    /// Components, in file order.
    pub components: Vec<ComponentSpec>,
    /// Workloads, in file order.
    pub workloads: Vec<WorkloadSpec>,
    /// Faults, in file order.
    pub faults: Vec<FaultConfig>,
    /// `[[objective]]`s, in file order.
    pub objectives: Vec<ObjectiveConfig>,
    /// `[pricing]`.
    pub pricing: PricingConfig,
    /// Parameters written as forecast intervals (`{ low, mid, high, confidence }`), drawn once
    /// per replication ([`uncertain`]); the spec holds their `mid`.
    pub uncertain: Vec<UncertainParam>,
}

/// A problem found while building: the dotted path of the field and the message.
pub type PathError = (String, String);

fn located(prefix: &str, error: SpecError) -> PathError {
    let path = if error.field.is_empty() { prefix.to_string() } else { format!("{prefix}.{}", error.field) };
    (path, error.message)
}

/// One point of the sweep grid.
#[derive(Clone, Debug)]
pub struct Point {
    /// Position in the grid (row-major, last sweep key fastest).
    pub index: usize,
    /// The value of each swept parameter, as text, aligned with [`Scenario::sweep_params`].
    pub params: Vec<String>,
    /// The resolved configuration.
    pub spec: ScenarioSpec,
}

/// A loaded, validated scenario: every sweep point resolved.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from.
    pub file: PathBuf,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// Dotted paths of the swept parameters, in file order.
    pub sweep_params: Vec<String>,
    /// The grid, one entry per combination (a single point without a sweep).
    pub points: Vec<Point>,
    /// The scenario as run: every default filled in, overrides applied, with the sweep.
    pub resolved_toml: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    // Read from the raw document for the output header; declared here to check their types.
    name: String,
    #[serde(rename = "description")]
    _description: Option<String>,
    simulation: SimulationConfig,
    #[serde(default)]
    topology: TopologyConfig,
    #[serde(default, rename = "fault")]
    faults: Vec<FaultConfig>,
    #[serde(default, rename = "objective")]
    objectives: Vec<ObjectiveConfig>,
    #[serde(default)]
    pricing: PricingConfig,
    // Read separately; declared so that error messages list them among the expected keys.
    #[serde(rename = "component")]
    _component: Option<IgnoredAny>,
    #[serde(rename = "workload")]
    _workload: Option<IgnoredAny>,
    #[serde(rename = "sweep")]
    _sweep: Option<IgnoredAny>,
}

struct SweepAxis<'i> {
    path: String,
    values: Vec<Spanned<DeValue<'i>>>,
}

struct ParsedOverride<'a> {
    source: &'a Override,
    path: &'a str,
    value: DeValue<'a>,
}

/// A parameter set from outside the file: `path=value`, and where the user said it (for
/// messages): `--set path=value`, or a flag such as `--replications 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// `path=value`.
    pub assignment: String,
    /// The flag the user typed (`--set`, `--replications`).
    pub flag: String,
    /// The flag's value as typed.
    pub value: String,
}

impl Override {
    /// From a `--set path=value` argument.
    pub fn set(assignment: &str) -> Self {
        Override { assignment: assignment.to_string(), flag: "--set".into(), value: assignment.to_string() }
    }

    /// From a command-line flag that sets `path` (e.g. `--replications` sets
    /// `simulation.replications`).
    pub fn flag(flag: &str, path: &str, value: impl std::fmt::Display) -> Self {
        Override { assignment: format!("{path}={value}"), flag: flag.into(), value: value.to_string() }
    }

    /// How the user wrote it: `--set path=value`, `--replications 0`.
    pub fn origin(&self) -> String {
        format!("{} {}", self.flag, self.value)
    }
}

/// Where a point's values came from, for notes on diagnostics.
struct Provenance {
    sweep_note: Option<String>,
    override_spans: Vec<(Range<usize>, String)>,
}

impl Scenario {
    /// Reads and validates the scenario at `path`, applying `overrides` (`"path=value"`).
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
        let source = std::fs::read_to_string(path)
            .map_err(|source| ScenarioError::Read { path: path.display().to_string(), source })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_source(&path.display().to_string(), &source, &base_dir, overrides).map(|mut scenario| {
            scenario.file = path.to_path_buf();
            scenario
        })
    }

    /// Reads and validates scenario text; `file` names it in messages and `base_dir` anchors
    /// relative data files.
    pub fn from_source(
        file: &str,
        source: &str,
        base_dir: &Path,
        overrides: &[Override],
    ) -> Result<Scenario, ScenarioError> {
        let diagnose = |span: Range<usize>, message: String| -> ScenarioError {
            ScenarioError::Invalid(Box::new(Diagnostic::new(file, source, span, message)))
        };
        let mut root = DeTable::parse(source)
            .map_err(|e| diagnose(e.span().unwrap_or(0..0), format!("invalid TOML: {}", e.message().trim_end())))?;

        // The sweep grid.
        let mut axes: Vec<SweepAxis<'_>> = Vec::new();
        let mut sweep_span = 0..0;
        if let Some(sweep) = root.get_mut().remove("sweep") {
            let span = sweep.span();
            sweep_span = span.clone();
            let DeValue::Table(table) = sweep.into_inner() else {
                return Err(diagnose(span, "`sweep` must be a table of \"parameter.path\" = [values]".into()));
            };
            for (key, values) in table {
                let key_span = key.span();
                let path = key.into_inner().to_string();
                let segments = parse_path(&path).map_err(|message| diagnose(key_span.clone(), message))?;
                if segments.first() == Some(&doc::Segment::Key("sweep".into())) {
                    return Err(diagnose(
                        key_span,
                        format!(
                            "`{path}` points into the sweep itself; sweep keys name parameters such as \"component.app.servers\""
                        ),
                    ));
                }
                let values_span = values.span();
                let DeValue::Array(items) = values.into_inner() else {
                    return Err(diagnose(values_span, format!("the sweep of `{path}` must be an array of values")));
                };
                if items.is_empty() {
                    return Err(diagnose(values_span, format!("the sweep of `{path}` has no values")));
                }
                axes.push(SweepAxis { path, values: items.iter().cloned().collect() });
            }
        }

        // Overrides from the command line; an override of a swept parameter replaces the axis.
        let mut parsed_overrides = Vec::new();
        for item in overrides {
            let bad = |message: String| ScenarioError::BadOverride {
                flag: item.flag.clone(),
                value: item.value.clone(),
                message,
            };
            let (path, value) = item
                .assignment
                .split_once('=')
                .ok_or_else(|| bad("expected PATH=VALUE, e.g. component.app.servers=4".into()))?;
            let path = path.trim();
            let segments = parse_path(path).map_err(bad)?;
            if segments.first() == Some(&doc::Segment::Key("sweep".into())) {
                return Err(bad(
                    "the sweep cannot be changed with --set; set the swept parameter itself to fix its value".into(),
                ));
            }
            // Compare parsed paths, so `a.b` and `a . b` name the same parameter.
            axes.retain(|axis| parse_path(&axis.path).ok().as_ref() != Some(&segments));
            parsed_overrides.push(ParsedOverride {
                source: item,
                path,
                value: doc::parse_override_value(value.trim()),
            });
        }

        // Expand the grid: row-major, the last axis fastest.
        let total = axes
            .iter()
            .try_fold(1usize, |total, axis| total.checked_mul(axis.values.len()).filter(|&t| t <= MAX_SWEEP_POINTS));
        let Some(total) = total else {
            let sizes: Vec<String> = axes.iter().map(|axis| axis.values.len().to_string()).collect();
            return Err(diagnose(
                sweep_span,
                format!("the sweep grid has {} points; at most 100,000 are supported", sizes.join(" × ")),
            ));
        };
        let files = files::FileCache::new(base_dir);
        let (name, description) = (header_name(&root), header_description(&root));
        let mut points = Vec::with_capacity(total);
        let mut first_tables = None;
        for index in 0..total {
            let mut doc = root.clone();
            let mut remainder = index;
            let mut choice = vec![0; axes.len()];
            for (axis_index, axis) in axes.iter().enumerate().rev() {
                choice[axis_index] = remainder % axis.values.len();
                remainder /= axis.values.len();
            }
            let mut params = Vec::with_capacity(axes.len());
            let mut notes = Vec::new();
            for (axis, &pick) in axes.iter().zip(&choice) {
                let value = &axis.values[pick];
                doc::set_path(&mut doc, &axis.path, value.get_ref().clone(), Some(value.span()))
                    .map_err(|message| diagnose(value.span(), message))?;
                let shown = doc::display_value(value.get_ref());
                notes.push(format!("{} = {shown}", axis.path));
                params.push(shown);
            }
            let mut provenance = Provenance {
                sweep_note: (!axes.is_empty()).then(|| format!("in sweep point {index} ({})", notes.join(", "))),
                override_spans: Vec::new(),
            };
            for item in &parsed_overrides {
                let span = doc::set_path(&mut doc, item.path, item.value.clone(), None).map_err(|message| {
                    ScenarioError::BadOverride {
                        flag: item.source.flag.clone(),
                        value: item.source.value.clone(),
                        message,
                    }
                })?;
                provenance.override_spans.push((span, format!("the value comes from {}", item.source.origin())));
            }
            let forecasts = forecast::extract(&mut doc).map_err(|(span, message)| diagnose(span, message))?;
            let in_forecast = |span: &Range<usize>| {
                forecasts.iter().find(|(_, at)| at.start <= span.start && span.end <= at.end).map(|(param, _)| param)
            };
            let spec = resolve_point(&doc, &files).map_err(|(span, message)| {
                let message = match in_forecast(&span) {
                    Some(param) => format!(
                        "`{}` cannot be uncertain: a forecast interval stands for a number, and here {message}",
                        param.path
                    ),
                    None => message,
                };
                // The sweep note only where the sweep matters: not when the scenario without
                // its sweep fails the same way.
                let same_without_sweep = !axes.is_empty() && {
                    let mut base = root.clone();
                    parsed_overrides
                        .iter()
                        .all(|item| doc::set_path(&mut base, item.path, item.value.clone(), None).is_ok())
                        && forecast::extract(&mut base).is_ok()
                        && resolve_point(&base, &files).err().is_some_and(|(_, other)| other == message)
                };
                let mut diagnostic = Diagnostic::new(file, source, span.clone(), message);
                let from_override = provenance
                    .override_spans
                    .iter()
                    .find(|(override_span, _)| {
                        override_span.start <= span.start && span.end <= override_span.end.max(override_span.start + 1)
                    })
                    .map(|(_, note)| note.clone());
                diagnostic.note =
                    from_override.or(if same_without_sweep { None } else { provenance.sweep_note.clone() });
                ScenarioError::Invalid(Box::new(diagnostic))
            })?;
            let mut spec = spec;
            spec.uncertain = forecasts.iter().map(|(param, _)| param.clone()).collect();
            let spans: Vec<Range<usize>> = forecasts.iter().map(|(_, span)| span.clone()).collect();
            forecast::check(&spec, &spans).map_err(|(span, message)| diagnose(span, message))?;
            if first_tables.is_none() {
                let swept: Vec<&str> = axes.iter().map(|axis| axis.path.as_str()).collect();
                let mut tables = resolved_tables(&name, description.as_deref(), &spec, &swept);
                forecast::write_resolved(&mut tables, &spec);
                first_tables = Some(tables);
            }
            points.push(Point { index, params, spec });
        }
        let sweep_params: Vec<String> = axes.iter().map(|axis| axis.path.clone()).collect();
        let mut resolved = first_tables.expect("at least one point");
        if !axes.is_empty() {
            let mut sweep = toml::Table::new();
            for axis in &axes {
                let values: Vec<toml::Value> = axis
                    .values
                    .iter()
                    .filter_map(|value| toml::Value::deserialize(ValueDeserializer::from(value.clone())).ok())
                    .collect();
                sweep.insert(axis.path.clone(), toml::Value::Array(values));
            }
            resolved.insert("sweep".into(), toml::Value::Table(sweep));
        }
        let resolved_toml = format!(
            "# Resolved by stratus {} from {file}{}\n# Every default is filled in; values given with --set are applied.\n{}",
            env!("CARGO_PKG_VERSION"),
            if overrides.is_empty() {
                String::new()
            } else {
                format!(" with {}", overrides.iter().map(Override::origin).collect::<Vec<_>>().join(" "))
            },
            toml::to_string(&resolved).unwrap_or_default()
        );
        Ok(Scenario { file: PathBuf::from(file), name, description, sweep_params, points, resolved_toml })
    }
}

/// Reads one point's document into typed specs and validates them.
fn resolve_point(doc: &Spanned<DeTable<'_>>, files: &files::FileCache) -> Located<ScenarioSpec> {
    let full = doc.clone();
    let mut rest = doc.clone();
    let components_raw = array_of_tables(rest.get_mut(), "component")?;
    let workloads_raw = array_of_tables(rest.get_mut(), "workload")?;
    let root_span = rest.span();
    let document = Document::deserialize(toml::de::Deserializer::from(rest)).map_err(|e| toml_error(e, &root_span))?;
    // The name becomes the results folder: the same rule as component names keeps it inside.
    if !valid_name(&document.name) {
        let message = format!("`{}` is not a valid scenario name: use letters, digits, `_` and `-`", document.name);
        return Err((doc::span_of(doc, "name"), message));
    }

    let mut components = Vec::new();
    for (span, mut table) in components_raw {
        let header = take_header(&mut table, &span, "component", true)?;
        let (kind, kind_span) = header.kind.clone().expect("components have kinds");
        let config = ComponentConfig::deserialize_kind(
            &kind,
            ValueDeserializer::from(Spanned::new(span.clone(), DeValue::Table(table))),
        )
        .map_err(|e| toml_error(e, &span))?
        .ok_or_else(|| {
            (kind_span, format!("unknown component kind `{kind}`, expected one of {}", quoted(COMPONENT_KINDS)))
        })?;
        components.push(ComponentSpec { name: header.name, az: header.az, config });
    }
    let mut workloads = Vec::new();
    for (span, mut table) in workloads_raw {
        let header = take_header(&mut table, &span, "workload", false)?;
        let config =
            WorkloadConfig::deserialize(ValueDeserializer::from(Spanned::new(span.clone(), DeValue::Table(table))))
                .map_err(|e| toml_error(e, &span))?;
        workloads.push(WorkloadSpec { name: header.name, config });
    }

    let at = |path: &str, message: String| (doc::span_of(&full, path), message);
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (name, what) in components
        .iter()
        .map(|c| (c.name.as_str(), "component"))
        .chain(workloads.iter().map(|w| (w.name.as_str(), "workload")))
    {
        if let Some(previous) = seen.insert(name, what) {
            return Err(at(
                &format!("{what}.{name}.name"),
                format!("the name `{name}` is already used by a {previous}; names must be unique"),
            ));
        }
    }
    if components.is_empty() {
        return Err((0..0, "the scenario has no [[component]]".into()));
    }
    if workloads.is_empty() {
        return Err((0..0, "the scenario has no [[workload]]; nothing would send requests".into()));
    }
    document.simulation.validate().map_err(|e| at(&format!("simulation.{}", e.field), e.message))?;
    document.topology.validate().map_err(|e| at(&format!("topology.{}", e.field), e.message))?;
    for (index, objective) in document.objectives.iter().enumerate() {
        objective.validate().map_err(|e| {
            let e = e.within(&format!("objective[{index}]"));
            at(&e.field, e.message)
        })?;
    }
    for component in &components {
        for (field, name) in component.config.references() {
            if !components.iter().any(|c| c.name == name) {
                return Err(at(
                    &format!("component.{}.{field}", component.name),
                    format!("no component is called `{name}`"),
                ));
            }
        }
    }
    let mut spec = ScenarioSpec {
        simulation: document.simulation,
        topology: document.topology,
        components,
        workloads,
        faults: document.faults,
        objectives: document.objectives,
        pricing: document.pricing,
        uncertain: Vec::new(),
    };
    files.load_all(&mut spec).map_err(|(path, message)| at(&path, message))?;
    // Building once checks every parameter with the same code the runs use.
    spec.build_world(StreamKey { seed: 0, point: 0, replication: 0 }).map_err(|(path, message)| at(&path, message))?;
    Ok(spec)
}

fn to_table<T: Serialize>(value: &T) -> toml::Table {
    toml::Table::try_from(value).unwrap_or_default()
}

/// The resolved document of one point, as TOML tables.
fn resolved_tables(name: &str, description: Option<&str>, spec: &ScenarioSpec, swept: &[&str]) -> toml::Table {
    let mut root = toml::Table::new();
    root.insert("name".into(), name.into());
    if let Some(description) = description {
        root.insert("description".into(), description.into());
    }
    let mut components = Vec::new();
    // The point was validated when it was built, so resolving cannot fail; fall back to the
    // parameters as given if it ever did. A component a sweep changes keeps its parameters as
    // given: defaults derived from a swept value (one AZ per replica when `replicas` is swept)
    // would hold at the first point only.
    let resolved = spec.resolved_components().unwrap_or_else(|_| spec.components.clone());
    for (component, resolved) in spec.components.iter().zip(&resolved) {
        let prefix = format!("component.{}.", component.name);
        let component = if swept.iter().any(|path| path.starts_with(&prefix)) { component } else { resolved };
        let mut table = toml::Table::new();
        table.insert("name".into(), component.name.clone().into());
        table.insert("kind".into(), component.config.kind().into());
        if let Some(az) = &component.az {
            table.insert("az".into(), az.clone().into());
        }
        table.extend(to_table(&component.config));
        components.push(toml::Value::Table(table));
    }
    let mut workloads = Vec::new();
    for workload in &spec.workloads {
        let mut table = toml::Table::new();
        table.insert("name".into(), workload.name.clone().into());
        table.extend(to_table(&workload.config));
        workloads.push(toml::Value::Table(table));
    }
    root.insert("simulation".into(), toml::Value::Table(to_table(&spec.simulation)));
    root.insert("topology".into(), toml::Value::Table(to_table(&spec.topology)));
    root.insert("component".into(), toml::Value::Array(components));
    root.insert("workload".into(), toml::Value::Array(workloads));
    if !spec.faults.is_empty() {
        let faults = spec.faults.iter().map(|fault| toml::Value::Table(to_table(fault))).collect();
        root.insert("fault".into(), toml::Value::Array(faults));
    }
    if !spec.objectives.is_empty() {
        let objectives = spec.objectives.iter().map(|objective| toml::Value::Table(to_table(objective))).collect();
        root.insert("objective".into(), toml::Value::Array(objectives));
    }
    if spec.pricing != PricingConfig::default() {
        root.insert("pricing".into(), toml::Value::Table(to_table(&spec.pricing)));
    }
    root
}

//! Faults: one mechanism for every component. A `[[fault]]` is either scheduled (`at`, for
//! `duration`) or stochastic (alternating up times drawn from `mtbf` and repair times from
//! `mttr`, independently for each targeted instance). The world applies network effects itself
//! (an AZ outage cuts the AZ off, a partition cuts two AZs apart) and tells components with a
//! [`FaultSignal`] message, to which each component reacts as its real counterpart would.

use serde::{Deserialize, Serialize};

use super::dist::{Dist, DistSpec, Seconds};
use super::{InstanceInfo, KindDoc, ParamDoc, SpecError, check_fields};
use crate::units::Duration;

/// Shortest mean time between failures accepted (seconds); shorter ones would flood the run
/// with fault events.
const MIN_MTBF: f64 = 1e-3;

/// What a fault does.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// An instance of the target component stops (and later recovers).
    Crash {
        /// Index into the component's [`instances`](super::Component::instances).
        instance: u32,
    },
    /// An instance slows down: its service times are multiplied by `factor`.
    Slow {
        /// Index into the component's instances.
        instance: u32,
        /// Service-time multiplier.
        factor: f64,
    },
    /// A whole AZ is lost: nothing in it runs or can be reached.
    AzOutage {
        /// The AZ index.
        az: u16,
    },
    /// Two AZs cannot reach each other.
    Partition {
        /// One AZ.
        a: u16,
        /// The other.
        b: u16,
    },
}

/// A fault starting (`active`) or ending, as delivered to a component.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct FaultSignal {
    /// What happens.
    pub action: FaultAction,
    /// True when the fault starts, false when it ends.
    pub active: bool,
    /// Which fault target this is, unique in the run: its start and its end carry the same
    /// id, so a component that resolved a role to an instance at the start (the `primary`)
    /// undoes the same instance at the end, however roles moved and faults overlapped.
    pub id: u32,
}

/// A `[[fault]]` table.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Label in outputs (default `fault-<n>` by position).
    pub name: Option<String>,
    /// crash, lose_segments (a crash of storage segments), slow, az_outage or partition.
    pub action: String,
    /// Start of a scheduled fault.
    pub at: Option<Duration>,
    /// Length of a scheduled fault (default: until the end of the run).
    pub duration: Option<Duration>,
    /// Time between failures (stochastic faults).
    pub mtbf: Option<DistSpec<Seconds>>,
    /// Time to repair (stochastic faults).
    pub mttr: Option<DistSpec<Seconds>>,
    /// Component affected (crash, lose_segments, slow).
    pub target: Option<String>,
    /// Which instances of the target: a name, a prefix ending in `*`, or `*` for all
    /// (default: the first instance — the primary or writer of a database).
    pub instance: Option<String>,
    /// The AZ lost (az_outage).
    pub az: Option<String>,
    /// The two AZs cut apart (partition).
    pub azs: Option<Vec<String>>,
    /// Service-time multiplier (slow).
    pub factor: Option<f64>,
}

/// `stratus describe fault`.
pub const FAULT_DOC: KindDoc = KindDoc {
    kind: "fault",
    summary: "A [[fault]] table, the same mechanism for every component. Scheduled: `at` (+ \
              `duration`). Stochastic: `mtbf` and `mttr` distributions, an independent \
              up/down process per targeted instance. Actions: crash, lose_segments, slow, \
              az_outage, partition. Fault windows appear as the `faults.active` time series.",
    params: &[
        ParamDoc {
            name: "name",
            default: "fault-<n> (by position)",
            unit: "text",
            meaning: "label in outputs (faults.active, the shaded windows of the charts)",
            source: "-",
        },
        ParamDoc {
            name: "action",
            default: "required",
            unit: "name",
            meaning: "crash | lose_segments | slow | az_outage | partition",
            source: "-",
        },
        ParamDoc { name: "at", default: "-", unit: "duration", meaning: "start of a scheduled fault", source: "-" },
        ParamDoc {
            name: "duration",
            default: "until the end",
            unit: "duration",
            meaning: "length of a scheduled fault",
            source: "-",
        },
        ParamDoc {
            name: "mtbf",
            default: "-",
            unit: "duration distribution",
            meaning: "up time between failures (stochastic)",
            source: "-",
        },
        ParamDoc {
            name: "mttr",
            default: "-",
            unit: "duration distribution",
            meaning: "time to repair (stochastic)",
            source: "-",
        },
        ParamDoc {
            name: "target",
            default: "-",
            unit: "component name",
            meaning: "component affected (crash, lose_segments, slow)",
            source: "-",
        },
        ParamDoc {
            name: "instance",
            default: "first instance",
            unit: "name, prefix* or *",
            meaning: "instances affected; `stratus describe <kind>` lists them",
            source: "-",
        },
        ParamDoc { name: "az", default: "-", unit: "AZ name", meaning: "AZ lost (az_outage)", source: "-" },
        ParamDoc { name: "azs", default: "-", unit: "two AZ names", meaning: "AZs cut apart (partition)", source: "-" },
        ParamDoc {
            name: "factor",
            default: "-",
            unit: "ratio > 0",
            meaning: "service-time multiplier (slow)",
            source: "-",
        },
    ],
    metrics: &[
        "faults.active (series): number of active faults, averaged over each interval",
        "faults.count (events): fault starts after warm-up",
    ],
};

/// When a fault happens.
#[derive(Clone, Debug)]
pub enum FaultTiming {
    /// Once, at a fixed time, for a fixed duration (None = to the end).
    Scheduled {
        /// Start.
        at: crate::engine::SimDuration,
        /// Length.
        duration: Option<crate::engine::SimDuration>,
    },
    /// Repeatedly: up for an `mtbf` draw, down for an `mttr` draw.
    Stochastic {
        /// Up times.
        mtbf: Dist,
        /// Repair times.
        mttr: Dist,
    },
}

/// What a fault's action needs from the world to be resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Crash the selected instances of a component.
    Crash,
    /// Slow the selected instances down by a factor.
    Slow(f64),
    /// Lose an AZ (index).
    AzOutage(u16),
    /// Partition two AZs.
    Partition(u16, u16),
}

/// A checked fault, with names still to be resolved against the built components.
#[derive(Clone, Debug)]
pub struct FaultPlan {
    /// Label.
    pub label: String,
    /// The action.
    pub kind: FaultKind,
    /// Target component name (crash and slow).
    pub target: Option<String>,
    /// Instance selector (crash and slow).
    pub instance: Option<String>,
    /// When.
    pub timing: FaultTiming,
    /// `lose_segments`: a crash that may only hit storage segments (instances named
    /// `segment-...`); a target without segments is an error, not a silent crash.
    pub segments_only: bool,
}

impl FaultConfig {
    /// Checks the table; `az_index` maps AZ names to indices.
    pub fn plan(&self, position: usize, az_index: &dyn Fn(&str) -> Option<u16>) -> Result<FaultPlan, SpecError> {
        let (allowed, kind_name): (&[&str], &str) = match self.action.as_str() {
            "crash" => (&["target", "instance"], "crash"),
            "lose_segments" => (&["target", "instance"], "lose_segments"),
            "slow" => (&["target", "instance", "factor"], "slow"),
            "az_outage" => (&["az"], "az_outage"),
            "partition" => (&["azs"], "partition"),
            other => {
                return Err(SpecError::new(
                    "action",
                    format!(
                        "unknown fault action `{other}`, expected one of `crash`, `lose_segments`, `slow`, `az_outage`, `partition`"
                    ),
                ));
            }
        };
        check_fields(
            &format!("a {kind_name} fault"),
            allowed,
            &[
                ("target", self.target.is_some()),
                ("instance", self.instance.is_some()),
                ("factor", self.factor.is_some()),
                ("az", self.az.is_some()),
                ("azs", self.azs.is_some()),
            ],
        )?;
        let az = |name: &str, field: &str| {
            az_index(name).ok_or_else(|| SpecError::new(field, format!("unknown availability zone `{name}`")))
        };
        let kind = match kind_name {
            "crash" | "lose_segments" => FaultKind::Crash,
            "slow" => {
                let factor = self
                    .factor
                    .ok_or_else(|| SpecError::new("", "a slow fault needs `factor` (service-time multiplier)"))?;
                if !(factor.is_finite() && factor > 0.0) {
                    return Err(SpecError::new(
                        "factor",
                        format!("`factor` must be a positive number, found {factor}"),
                    ));
                }
                FaultKind::Slow(factor)
            }
            "az_outage" => {
                let name = self.az.as_deref().ok_or_else(|| SpecError::new("", "an az_outage fault needs `az`"))?;
                FaultKind::AzOutage(az(name, "az")?)
            }
            "partition" => {
                let azs = self.azs.as_deref().unwrap_or_default();
                if azs.len() != 2 || azs[0] == azs[1] {
                    return Err(SpecError::new(
                        if self.azs.is_some() { "azs" } else { "" },
                        "a partition fault needs `azs` = two different AZs",
                    ));
                }
                FaultKind::Partition(az(&azs[0], "azs")?, az(&azs[1], "azs")?)
            }
            _ => unreachable!("action checked above"),
        };
        if matches!(kind, FaultKind::Crash | FaultKind::Slow(_)) && self.target.is_none() {
            return Err(SpecError::new("", format!("a {kind_name} fault needs `target` (a component name)")));
        }
        let instance = match (&self.instance, kind_name) {
            (None, "lose_segments") => Some("segment-*".to_string()),
            (instance, _) => instance.clone(),
        };
        let timing = match (self.at, &self.mtbf, &self.mttr) {
            (Some(at), None, None) => {
                if self.duration.is_some_and(|d| d.get().as_nanos() == 0) {
                    return Err(SpecError::new("duration", "a fault's `duration` must be longer than 0"));
                }
                FaultTiming::Scheduled { at: at.get(), duration: self.duration.map(Duration::get) }
            }
            (None, Some(mtbf), Some(mttr)) => {
                if self.duration.is_some() {
                    return Err(SpecError::new(
                        "duration",
                        "`duration` applies to scheduled faults (with `at`); a stochastic fault uses `mttr`",
                    ));
                }
                let mtbf = mtbf.build().map_err(|e| e.within("mtbf"))?;
                let mttr = mttr.build().map_err(|e| e.within("mttr"))?;
                if mtbf.mean() < MIN_MTBF {
                    return Err(SpecError::new("mtbf", "the mean time between failures must be at least 1ms"));
                }
                FaultTiming::Stochastic { mtbf, mttr }
            }
            (Some(_), _, _) => {
                return Err(SpecError::new(
                    "at",
                    "give either `at` (scheduled) or `mtbf` and `mttr` (stochastic), not both",
                ));
            }
            (None, None, None) => {
                return Err(SpecError::new("", "a fault needs `at` (scheduled) or `mtbf` and `mttr` (stochastic)"));
            }
            (None, _, _) => return Err(SpecError::new("", "a stochastic fault needs both `mtbf` and `mttr`")),
        };
        Ok(FaultPlan {
            label: self.name.clone().unwrap_or_else(|| format!("fault-{position}")),
            kind,
            target: self.target.clone(),
            instance,
            timing,
            segments_only: kind_name == "lose_segments",
        })
    }
}

/// The service-time multiplier after a slow fault with `factor` starts (`active`) or ends,
/// given the `current` one: overlapping slow faults multiply, and the multiplier returns to
/// exactly 1 when the last one ends. The one rule every component applies to slow faults.
pub fn nested_slow_factor(current: f64, factor: f64, active: bool) -> f64 {
    let next = if active { current * factor } else { current / factor };
    if (next - 1.0).abs() < 1e-9 { 1.0 } else { next }
}

/// The indices of the instances `selector` picks: a name, a `prefix*`, or `*`; None = the
/// first instance. Err lists the instance names when nothing matches.
pub fn select_instances(instances: &[InstanceInfo], selector: Option<&str>) -> Result<Vec<u32>, String> {
    let Some(selector) = selector else { return Ok(vec![0]) };
    let picked: Vec<u32> = instances
        .iter()
        .enumerate()
        .filter(|(_, instance)| match selector.strip_suffix('*') {
            Some(prefix) => instance.name.starts_with(prefix),
            None => instance.name == selector,
        })
        .map(|(i, _)| i as u32)
        .collect();
    if picked.is_empty() {
        let names: Vec<String> = instances.iter().take(12).map(|i| format!("`{}`", i.name)).collect();
        let more = if instances.len() > 12 { format!(" and {} more", instances.len() - 12) } else { String::new() };
        let hint = super::did_you_mean(selector, instances.iter().map(|i| i.name.as_str()));
        return Err(format!("no instance matches `{selector}` (instances: {}{more}){hint}", names.join(", ")));
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instances(names: &[&str]) -> Vec<InstanceInfo> {
        names.iter().map(|n| InstanceInfo { name: n.to_string(), az: None }).collect()
    }

    #[test]
    fn slow_factors_nest_and_return_to_one() {
        let mut slow = 1.0;
        slow = nested_slow_factor(slow, 3.0, true);
        slow = nested_slow_factor(slow, 2.0, true);
        assert_eq!(slow, 6.0, "two overlapping slow faults multiply");
        slow = nested_slow_factor(slow, 3.0, false);
        assert_eq!(slow, 2.0, "the first to end leaves the other in force");
        slow = nested_slow_factor(slow, 2.0, false);
        assert_eq!(slow, 1.0);
        // Factors whose quotient is inexact in floating point still land on exactly 1.
        let slow = nested_slow_factor(nested_slow_factor(1.0, 0.1, true), 0.1, false);
        assert_eq!(slow, 1.0);
    }

    #[test]
    fn selectors() {
        let list = instances(&["primary", "standby", "segment-0", "segment-1"]);
        assert_eq!(select_instances(&list, None).unwrap(), vec![0]);
        assert_eq!(select_instances(&list, Some("standby")).unwrap(), vec![1]);
        assert_eq!(select_instances(&list, Some("segment-*")).unwrap(), vec![2, 3]);
        assert_eq!(select_instances(&list, Some("*")).unwrap(), vec![0, 1, 2, 3]);
        assert!(select_instances(&list, Some("replica")).unwrap_err().contains("`primary`"));
    }

    #[test]
    fn plans_check_their_fields() {
        let az = |name: &str| ["a", "b"].iter().position(|x| *x == name).map(|i| i as u16);
        let crash = FaultConfig {
            action: "crash".into(),
            target: Some("db".into()),
            at: Some(Duration(crate::engine::SimDuration::from_secs(5))),
            ..Default::default()
        };
        assert_eq!(crash.plan(0, &az).unwrap().kind, FaultKind::Crash);
        let no_target = FaultConfig { target: None, ..crash.clone() };
        assert!(no_target.plan(0, &az).is_err());
        let outage = FaultConfig { action: "az_outage".into(), az: Some("b".into()), ..crash.clone() };
        assert!(outage.plan(0, &az).is_err(), "target does not apply to az_outage");
        let outage = FaultConfig { target: None, ..outage };
        assert_eq!(outage.plan(0, &az).unwrap().kind, FaultKind::AzOutage(1));
        let bad_az = FaultConfig { az: Some("z".into()), ..outage };
        assert_eq!(bad_az.plan(0, &az).unwrap_err().field, "az");
    }
}

//! `stratus describe simulation`: the keys of the `[simulation]` table, documented like a
//! component kind's parameters, with the defaults read from [`SimulationConfig`] itself.

use super::{DEFAULT_MEMORY_BUDGET, SimulationConfig};
use crate::model::{KindDoc, ParamDoc};
use crate::units::format_size;

/// `stratus describe simulation`.
pub const SIMULATION_DOC: KindDoc = KindDoc {
    kind: "simulation",
    summary: "The [simulation] table: how long each run lasts, how many replications of each sweep \
              point run, the seed, the time-series period, and the memory the runs may hold.",
    params: &[
        ParamDoc {
            name: "duration",
            default: "required",
            unit: "duration",
            meaning: "simulated time of each replication",
            source: "-",
        },
        ParamDoc {
            name: "warmup",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "measurements before this are discarded (time series keep them)",
            source: "-",
        },
        ParamDoc {
            name: "replications",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "independent replications of each sweep point (Student-t intervals across them)",
            source: "-",
        },
        ParamDoc {
            name: "seed",
            default: ParamDoc::FROM_CONFIG,
            unit: "integer",
            meaning: "master seed; every random stream derives from it",
            source: "-",
        },
        ParamDoc {
            name: "sample_interval",
            default: "duration / 200",
            unit: "duration",
            meaning: "period of the time series",
            source: "-",
        },
        ParamDoc {
            name: "common_random_numbers",
            default: ParamDoc::FROM_CONFIG,
            unit: "boolean",
            meaning: "sweep points share random streams (sharper comparisons between points)",
            source: "-",
        },
        ParamDoc {
            name: "memory_budget",
            default: MEMORY_BUDGET_DEFAULT,
            unit: "size",
            meaning: "most memory the runs in progress hold together (queues, requests in flight, pending \
                      events); each run gets an equal share (the budget over the runs that can run at once: \
                      the cores, or --threads if more, at most the runs). A run over its share stops, and its \
                      sweep point is reported unstable (\"unstable (ρ ≥ 1 at app)\") while the other points \
                      go on; also settable with --memory-budget",
            source: "assumption: room for any stable scenario, well under a workstation's memory",
        },
        ParamDoc {
            name: "adaptive",
            default: "off",
            unit: "table",
            meaning: "{ metrics = [\"users.latency\"], relative_precision = 0.05, max_replications = 100 }: run \
                      replications in rounds (`replications` is the first) until each metric's 95% interval \
                      half-width is within relative_precision of its mean; after n replications at precision h \
                      the next round goes to ⌈n·(h/target)²⌉, at most 2n. Give a first round of at least 5: the \
                      interval of 2 or 3 replications is itself too noisy to stop on. The same inputs run the same replications at any \
                      thread count. summary.csv gets a row per point \"replications (adaptive, ±5% on …): met\" \
                      (unit status; replications = how many ran; mean = the precision reached)",
            source: "Law, Simulation Modeling and Analysis, 5th ed., §9.4.1 (sequential procedure)",
        },
    ],
    metrics: &[],
};

/// Stands for the memory budget's default in [`SIMULATION_DOC`]; [`describe_default`] prints
/// [`DEFAULT_MEMORY_BUDGET`] in its place, so the number is written once.
const MEMORY_BUDGET_DEFAULT: &str = "(DEFAULT_MEMORY_BUDGET)";

/// The default of `param` of `kind` as `stratus describe` prints it: for `simulation`, the
/// value [`SimulationConfig`] fills in; for component kinds and the other tables,
/// [`default_text`](crate::services::registry::default_text).
pub fn describe_default(kind: &str, param: &ParamDoc) -> String {
    if kind != SIMULATION_DOC.kind {
        return crate::services::registry::default_text(kind, param);
    }
    if param.default == MEMORY_BUDGET_DEFAULT {
        return format!("{} (or half the machine's memory, if less)", format_size(DEFAULT_MEMORY_BUDGET));
    }
    if param.default != ParamDoc::FROM_CONFIG {
        return param.default.to_string();
    }
    simulation_defaults().get(param.name).map_or_else(|| "-".to_string(), ToString::to_string)
}

/// The `[simulation]` table as [`SimulationConfig`] fills it in from its one required key.
fn simulation_defaults() -> toml::Table {
    let config: Option<SimulationConfig> = toml::from_str("duration = \"1s\"").ok();
    let mut table = config.and_then(|config| toml::Table::try_from(config).ok()).unwrap_or_default();
    table.remove("duration");
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As for the kinds (`registry::every_default_is_written_once`): every key the
    /// configuration fills in is documented as its default, and every key is documented.
    #[test]
    fn every_simulation_default_is_written_once() {
        let defaults = simulation_defaults();
        for param in SIMULATION_DOC.params {
            let from_config = param.default == ParamDoc::FROM_CONFIG;
            assert_eq!(defaults.contains_key(param.name), from_config, "{}", param.name);
        }
        let config: SimulationConfig =
            toml::from_str("duration = \"1s\"\nsample_interval = \"1s\"\nmemory_budget = \"1GiB\"").unwrap();
        for key in toml::Table::try_from(config).unwrap().keys() {
            assert!(SIMULATION_DOC.params.iter().any(|p| p.name == key), "`{key}` is not documented");
        }
        let budget = SIMULATION_DOC.params.iter().find(|p| p.name == "memory_budget").unwrap();
        assert_eq!(describe_default("simulation", budget), "4GiB (or half the machine's memory, if less)");
        let replications = SIMULATION_DOC.params.iter().find(|p| p.name == "replications").unwrap();
        assert_eq!(describe_default("simulation", replications), "10");
    }
}

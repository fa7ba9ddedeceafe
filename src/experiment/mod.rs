//! Experiments: every sweep point × replication run in parallel (rayon), then aggregated in
//! index order, so the outputs are byte-identical whatever the number of threads.
//!
//! A replication whose queues run away (over its share of the memory budget, or fed beyond
//! its capacity to the end; see [`crate::model::world::RunStop`]) does not fail the
//! experiment: its point is reported [unstable](Instability), its later replications are not
//! started, and the other points go on.

pub mod adaptive;
pub mod estimate;
mod percentiles;
pub mod stats;
pub mod unstable;

use hdrhistogram::Histogram;
use indicatif::{ParallelProgressIterator, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::sync::atomic::{AtomicU32, Ordering};

use crate::engine::StreamKey;
use crate::metrics::{Metric, MetricValue, Unit};
use crate::model::world::{FaultWindow, RunOutput, RunStop, TimeSeries};
use crate::scenario::Scenario;
pub use estimate::{WorkEstimate, estimate};
pub use percentiles::ReplicationPercentiles;
use stats::estimate_within;
pub use unstable::Instability;

/// How to run an experiment.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads; None = one per core.
    pub threads: Option<usize>,
    /// How progress is shown on stderr.
    pub progress: Progress,
}

/// How a run shows its progress on stderr.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// Nothing.
    #[default]
    Hidden,
    /// A progress bar (for a terminal).
    Bar,
    /// A line every [`PROGRESS_LINE_INTERVAL`] once the run has lasted that long (for logs
    /// and batch jobs, where a bar cannot be drawn).
    Lines,
}

/// How often [`Progress::Lines`] prints: every 10 s of wall time.
pub const PROGRESS_LINE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Errors while running an experiment.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The thread pool could not be created.
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool {
        /// Requested threads.
        threads: usize,
        /// The cause.
        message: String,
    },
    /// A replication's simulated time stopped advancing.
    #[error("sweep point {point}, replication {replication}: {stalled}")]
    Stalled {
        /// Point index.
        point: usize,
        /// Replication index.
        replication: u32,
        /// Where it stopped.
        stalled: crate::model::world::Stalled,
    },
    /// A finished run could not be saved (for `--resume` or a shard's merge).
    #[error("cannot save a finished run: {message}")]
    Save {
        /// The cause.
        message: String,
    },
    /// A run of the grid has no outcome (a merge of incomplete shards).
    #[error("no result for sweep point {point}, replication {replication}")]
    Missing {
        /// Point index.
        point: usize,
        /// Replication index.
        replication: u32,
    },
    /// An adaptive point names a metric its runs do not report.
    #[error("simulation.adaptive.metrics: no metric `{metric}`; the runs report: {known}")]
    UnknownMetric {
        /// The name given.
        metric: String,
        /// The metrics the runs report.
        known: String,
    },
    /// A point could not be built (validation should have caught it).
    #[error("sweep point {point}: {path}: {message}")]
    Build {
        /// Point index.
        point: usize,
        /// Dotted path of the field.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Latency percentiles of the merged histogram, in milliseconds.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest value.
    pub max: f64,
}

/// One metric of one sweep point, across its replications.
#[derive(Clone, Debug)]
pub struct MetricSummary {
    /// `<component>.<quantity>`.
    pub name: String,
    /// Unit.
    pub unit: Unit,
    /// Replications that produced a finite value.
    pub replications: usize,
    /// Mean of the replication values.
    pub mean: f64,
    /// 95% Student-t interval of that mean.
    pub ci95_low: f64,
    /// Upper end.
    pub ci95_high: f64,
    /// Percentiles of all observations (latency metrics only).
    pub percentiles: Option<Percentiles>,
    /// Observations behind the percentiles (latency metrics only).
    pub count: Option<u64>,
}

/// One replication's values, aligned with [`PointResult::metrics`].
#[derive(Clone, Debug)]
pub struct ReplicationResult {
    /// Replication index.
    pub replication: u32,
    /// Events the run delivered.
    pub events: u64,
    /// One value per metric (a latency's mean in ms).
    pub values: Vec<f64>,
    /// Per metric, this replication's own latency percentiles (from its histogram before the
    /// merge; None for scalars and latencies with no samples), for intervals of percentiles
    /// across replications (`planning`). Empty if not kept.
    pub percentiles: Vec<Option<ReplicationPercentiles>>,
}

/// Everything measured at one sweep point.
#[derive(Clone, Debug)]
pub struct PointResult {
    /// Point index.
    pub index: usize,
    /// Values of the swept parameters, aligned with [`ExperimentResults::sweep_params`].
    pub params: Vec<String>,
    /// Summaries, in the order components report them.
    pub metrics: Vec<MetricSummary>,
    /// Merged latency histograms (nanoseconds), by metric name.
    pub histograms: Vec<(String, Histogram<u64>)>,
    /// Per-replication values.
    pub replications: Vec<ReplicationResult>,
    /// Time series averaged across replications (cells with no value in any replication
    /// are NaN).
    pub series: TimeSeries,
    /// When faults were active in the first replication (scheduled faults are the same in
    /// every replication; stochastic ones differ), for shading charts.
    pub fault_windows: Vec<FaultWindow>,
    /// Set if a replication's queues ran away: then the point has no measurements (`metrics`,
    /// `histograms`, `replications` and `series` are empty).
    pub unstable: Option<Instability>,
    /// How many replications an adaptive point ran and the precision it reached.
    pub adaptive: Option<adaptive::AdaptiveOutcome>,
}

/// The outcome of a whole experiment.
#[derive(Clone, Debug)]
pub struct ExperimentResults {
    /// Scenario name.
    pub name: String,
    /// Scenario description.
    pub description: Option<String>,
    /// Dotted paths of the swept parameters.
    pub sweep_params: Vec<String>,
    /// One entry per sweep point.
    pub points: Vec<PointResult>,
    /// Total events delivered over all runs.
    pub total_events: u64,
    /// What capacity planning needs: objectives, prices, what each point bills for.
    pub plan_inputs: PlanInputs,
}

/// What capacity planning ([`crate::planning`]) needs of a scenario besides its results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanInputs {
    /// The scenario's `[[objective]]`s.
    #[serde(default)]
    pub objectives: Vec<crate::scenario::ObjectiveConfig>,
    /// Its `[pricing]`.
    #[serde(default)]
    pub pricing: crate::scenario::PricingConfig,
    /// What each point's components bill for, by point index.
    #[serde(default)]
    pub billing: Vec<Vec<crate::model::billing::BillableItem>>,
    /// Whether the scenario has uncertain inputs (each replication one future drawn from the
    /// forecast): objectives are then judged on prediction intervals.
    #[serde(default)]
    pub forecast: bool,
}

impl PlanInputs {
    /// The plan inputs of `scenario`: objectives and prices from its first point (they are
    /// not swept), billing from every point.
    pub fn of(scenario: &Scenario) -> PlanInputs {
        let first = &scenario.points[0].spec;
        PlanInputs {
            objectives: first.objectives.clone(),
            pricing: first.pricing.clone(),
            billing: scenario
                .points
                .iter()
                .map(|point| {
                    // Usage counts are scaled to a month over the measured window.
                    let simulation = &point.spec.simulation;
                    let measured = simulation.duration.get().as_secs_f64() - simulation.warmup.get().as_secs_f64();
                    point
                        .spec
                        .components
                        .iter()
                        .flat_map(|component| component.config.billing(&component.name))
                        .map(|item| item.measured_over(measured))
                        .collect()
                })
                .collect(),
            forecast: !first.uncertain.is_empty(),
        }
    }
}

impl PointResult {
    /// The summary of the metric called `name`.
    pub fn metric(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.iter().find(|metric| metric.name == name)
    }

    /// The value of the metric called `name` in each replication, in replication order.
    pub fn replication_values(&self, name: &str) -> Option<Vec<f64>> {
        let index = self.metrics.iter().position(|metric| metric.name == name)?;
        Some(self.replications.iter().map(|replication| replication.values[index]).collect())
    }

    /// The merged histogram (nanoseconds) of the latency metric called `name`.
    pub fn histogram(&self, name: &str) -> Option<&Histogram<u64>> {
        self.histograms.iter().find(|(metric, _)| metric == name).map(|(_, histogram)| histogram)
    }
}

impl ExperimentResults {
    /// The points whose queues ran away, in point order.
    pub fn unstable_points(&self) -> impl Iterator<Item = (&PointResult, &Instability)> {
        self.points.iter().filter_map(|point| point.unstable.as_ref().map(|unstable| (point, unstable)))
    }

    /// The summary of `metric` at every point, in point order.
    pub fn metric_across_points(&self, metric: &str) -> Vec<Option<&MetricSummary>> {
        self.points.iter().map(|point| point.metrics.iter().find(|m| m.name == metric)).collect()
    }
}

/// One run of the grid: a sweep point's replication.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Task {
    /// Point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
}

/// How one run ended: what the aggregation takes, and what shards and resumable runs save.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum TaskOutcome {
    /// It ran to its end.
    Done(RunOutput),
    /// Its queues ran away.
    Runaway(Instability),
    /// Not started: an earlier replication of its point ran away.
    Skipped,
}

/// What the aggregation needs to know of a scenario: its name and the shape of its grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Scenario name.
    pub name: String,
    /// Scenario description.
    pub description: Option<String>,
    /// Dotted paths of the swept parameters.
    pub sweep_params: Vec<String>,
    /// The points, in index order.
    pub points: Vec<GridPoint>,
    /// Objectives, prices and billing, for capacity planning.
    #[serde(default)]
    pub plan_inputs: PlanInputs,
}

/// One sweep point of a [`Grid`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// Point index.
    pub index: usize,
    /// Values of the swept parameters.
    pub params: Vec<String>,
    /// Replications it runs (for an adaptive point: as many as it ran).
    pub replications: u32,
    /// The target of an adaptive point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<adaptive::AdaptiveConfig>,
}

impl Grid {
    /// The grid of `scenario`.
    pub fn of(scenario: &Scenario) -> Grid {
        Grid {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            sweep_params: scenario.sweep_params.clone(),
            points: scenario
                .points
                .iter()
                .map(|point| GridPoint {
                    index: point.index,
                    params: point.params.clone(),
                    replications: point.spec.simulation.replications,
                    adaptive: point.spec.simulation.adaptive.clone(),
                })
                .collect(),
            plan_inputs: PlanInputs::of(scenario),
        }
    }

    /// Every run, point by point, replications in order.
    pub fn tasks(&self) -> Vec<Task> {
        self.points
            .iter()
            .flat_map(|point| (0..point.replications).map(move |replication| Task { point: point.index, replication }))
            .collect()
    }
}

/// Runs every point and replication of `scenario` and aggregates the results.
pub fn run(scenario: &Scenario, options: &RunOptions) -> Result<ExperimentResults, ExperimentError> {
    let (grid, outcomes) = run_all(scenario, options, Vec::new(), &|_, _| Ok(()))?;
    aggregate(&grid, outcomes)
}

/// Runs every point and replication of `scenario` that `earlier` (runs done before: a resumed
/// run's) does not hold, calling `on_done` with each as it finishes; returns the grid as run
/// and every outcome, `earlier` included. Adaptive points
/// ([`AdaptiveConfig`](adaptive::AdaptiveConfig)) run in rounds until their intervals are
/// narrow enough: the grid returned says how many replications each point ran.
pub fn run_all(
    scenario: &Scenario,
    options: &RunOptions,
    earlier: Vec<(Task, TaskOutcome)>,
    on_done: &OnDone<'_>,
) -> Result<(Grid, Vec<(Task, TaskOutcome)>), ExperimentError> {
    let mut grid = Grid::of(scenario);
    let mut done: std::collections::BTreeMap<Task, TaskOutcome> = earlier.into_iter().collect();
    loop {
        let todo: Vec<Task> = grid.tasks().into_iter().filter(|task| !done.contains_key(task)).collect();
        if !todo.is_empty() {
            let before: Vec<(Task, &TaskOutcome)> = done.iter().map(|(task, outcome)| (*task, outcome)).collect();
            let finished = run_tasks(scenario, options, &todo, &before, on_done)?;
            done.extend(finished);
        }
        let mut more = false;
        for point in &mut grid.points {
            let Some(target) = &point.adaptive else { continue };
            let runs = done.range(
                Task { point: point.index, replication: 0 }..=Task { point: point.index, replication: u32::MAX },
            );
            let mut finished = Vec::new();
            for (_, outcome) in runs {
                match outcome {
                    TaskOutcome::Done(run) => finished.push(run),
                    _ => break,
                }
            }
            if finished.len() < point.replications as usize {
                continue; // Unstable: more replications would not help.
            }
            let (precision, _) = adaptive::precision(target, finished.iter().copied())?;
            if let Some(next) = adaptive::next_count(target, point.replications, precision) {
                point.replications = next;
                more = true;
            }
        }
        if !more {
            return Ok((grid, done.into_iter().collect()));
        }
    }
}

/// What [`run_tasks`] calls with each finished run (to save it); an error stops the runs.
pub type OnDone<'a> = dyn Fn(Task, &TaskOutcome) -> Result<(), String> + Sync + 'a;

/// Runs `tasks` of `scenario` in parallel, calling `on_done` with each as it finishes, and
/// returns their outcomes in the order of `tasks`. `earlier` holds the outcomes of runs done
/// before (a resumed run, another shard's): a runaway among them stops the later
/// replications of its point as if it had happened here.
pub fn run_tasks(
    scenario: &Scenario,
    options: &RunOptions,
    tasks: &[Task],
    earlier: &[(Task, &TaskOutcome)],
    on_done: &OnDone<'_>,
) -> Result<Vec<(Task, TaskOutcome)>, ExperimentError> {
    let bar = if options.progress == Progress::Bar {
        ProgressBar::new(tasks.len() as u64)
    } else {
        ProgressBar::with_draw_target(Some(tasks.len() as u64), ProgressDrawTarget::hidden())
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} runs (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Each run's share of the memory budget, and per point the lowest replication that ran
    // away: later ones are not started (earlier ones always run, so which one is reported
    // does not depend on the scheduling).
    let threads = options.threads.unwrap_or_else(rayon::current_num_threads);
    let runs_at_once = unstable::runs_at_once(tasks.len(), threads);
    let machine_memory = unstable::machine_memory();
    let budgets: Vec<u64> =
        scenario.points.iter().map(|point| point.spec.simulation.memory_budget(machine_memory)).collect();
    let stopped: Vec<AtomicU32> = scenario.points.iter().map(|_| AtomicU32::new(u32::MAX)).collect();
    for (task, outcome) in earlier {
        if let (TaskOutcome::Runaway(_), Some(stop)) = (outcome, stopped.get(task.point)) {
            stop.fetch_min(task.replication, Ordering::Relaxed);
        }
    }
    let run_one = |&Task { point: point_index, replication }: &Task| -> Result<TaskOutcome, ExperimentError> {
        if replication > stopped[point_index].load(Ordering::Relaxed) {
            return Ok(TaskOutcome::Skipped);
        }
        let point = &scenario.points[point_index];
        let simulation = &point.spec.simulation;
        let key = StreamKey {
            seed: simulation.seed,
            point: if simulation.common_random_numbers { 0 } else { point_index as u64 },
            replication: u64::from(replication),
        };
        // Forecast intervals: this replication's draws, the same at every point under common
        // random numbers (scenario::uncertain).
        let draws = point.spec.forecast_draws(key);
        let build_error = |(path, message)| ExperimentError::Build { point: point_index, path, message };
        let drawn = if draws.is_empty() { None } else { Some(point.spec.with_values(&draws).map_err(build_error)?) };
        let mut world = drawn.as_ref().unwrap_or(&point.spec).build_world(key).map_err(build_error)?;
        world.set_memory_budget(Some(budgets[point_index] / runs_at_once as u64));
        match world.run() {
            Ok(mut output) => {
                point.spec.record_forecast(&draws, &mut output.metrics);
                Ok(TaskOutcome::Done(output))
            }
            Err(RunStop::Runaway(runaway)) => {
                stopped[point_index].fetch_min(replication, Ordering::Relaxed);
                let component =
                    runaway.component.and_then(|id| scenario.component_name(point_index, id)).map(str::to_string);
                Ok(TaskOutcome::Runaway(Instability {
                    component,
                    replication,
                    runaway,
                    budget: budgets[point_index],
                    runs_at_once,
                }))
            }
            Err(RunStop::Stalled(stalled)) => {
                Err(ExperimentError::Stalled { point: point_index, replication, stalled })
            }
        }
    };
    let started = std::time::Instant::now();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let last_line = std::sync::Mutex::new(started);
    let total = tasks.len();
    let report_line = || {
        let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if options.progress != Progress::Lines {
            return;
        }
        let Ok(mut last) = last_line.lock() else { return };
        if last.elapsed() >= PROGRESS_LINE_INTERVAL && finished < total {
            *last = std::time::Instant::now();
            eprintln!(
                "stratus: {finished}/{total} runs done ({:.0}%), {:.0} s elapsed",
                100.0 * finished as f64 / total as f64,
                started.elapsed().as_secs_f64()
            );
        }
    };
    // Longest runs first (by the work estimate of their point), each its own piece of work:
    // the last runs to finish are then the short ones, so threads do not sit idle waiting for
    // one long run at the end (longest-processing-time-first scheduling). The outcomes are
    // put back in task order below, so the order of running changes no output.
    let cost: Vec<f64> = scenario.points.iter().map(|point| point.spec.expected_work().1).collect();
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|&a, &b| {
        let (cost_a, cost_b) = (cost.get(tasks[a].point), cost.get(tasks[b].point));
        cost_b.partial_cmp(&cost_a).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b))
    });
    let execute = || -> Vec<(usize, Result<TaskOutcome, ExperimentError>)> {
        order
            .par_iter()
            .with_max_len(1)
            .progress_with(bar.clone())
            .map(|&position| {
                let task = tasks[position];
                let outcome = run_one(&task).and_then(|outcome| {
                    on_done(task, &outcome).map_err(|message| ExperimentError::Save { message })?;
                    Ok(outcome)
                });
                report_line();
                (position, outcome)
            })
            .collect()
    };
    let outputs = match options.threads {
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| ExperimentError::ThreadPool { threads, message: e.to_string() })?
            .install(execute),
        None => execute(),
    };
    bar.finish_and_clear();
    let mut in_order: Vec<Option<Result<TaskOutcome, ExperimentError>>> = (0..tasks.len()).map(|_| None).collect();
    for (position, outcome) in outputs {
        in_order[position] = Some(outcome);
    }
    tasks
        .iter()
        .zip(in_order)
        .map(|(task, outcome)| match outcome {
            Some(outcome) => outcome.map(|outcome| (*task, outcome)),
            None => Err(ExperimentError::Missing { point: task.point, replication: task.replication }),
        })
        .collect()
}

/// Aggregates the outcomes of every run of `grid` (in any order; each task once) into the
/// experiment's results, point by point in index order: the same bytes whatever the thread
/// count, the machines and the order the runs were done in.
pub fn aggregate(
    grid: &Grid,
    outcomes: impl IntoIterator<Item = (Task, TaskOutcome)>,
) -> Result<ExperimentResults, ExperimentError> {
    let mut by_task: std::collections::BTreeMap<Task, TaskOutcome> = outcomes.into_iter().collect();
    let mut points = Vec::with_capacity(grid.points.len());
    let mut total_events = 0;
    for point in &grid.points {
        let mut runs: Vec<RunOutput> = Vec::new();
        let mut runaway: Option<Instability> = None;
        for replication in 0..point.replications {
            let outcome = by_task
                .remove(&Task { point: point.index, replication })
                .ok_or(ExperimentError::Missing { point: point.index, replication })?;
            match (outcome, &runaway) {
                (TaskOutcome::Done(run), None) => runs.push(run),
                (TaskOutcome::Runaway(stop), None) => runaway = Some(stop),
                (TaskOutcome::Skipped, None) => {
                    return Err(ExperimentError::Missing { point: point.index, replication });
                }
                // After the first runaway: skipped, or run and not reported.
                _ => {}
            }
        }
        total_events += runs.iter().map(|run| run.events).sum::<u64>();
        match runaway {
            None => {
                let adaptive = match &point.adaptive {
                    None => None,
                    Some(target) => {
                        let (precision, worst_metric) = adaptive::precision(target, runs.iter())?;
                        Some(adaptive::AdaptiveOutcome {
                            target: target.clone(),
                            replications: point.replications,
                            precision,
                            worst_metric,
                        })
                    }
                };
                let mut result = aggregate_point(point.index, point.params.clone(), runs);
                result.adaptive = adaptive;
                points.push(result);
            }
            Some(unstable) => {
                total_events += unstable.runaway.events;
                points.push(PointResult {
                    index: point.index,
                    params: point.params.clone(),
                    metrics: Vec::new(),
                    histograms: Vec::new(),
                    replications: Vec::new(),
                    series: TimeSeries::default(),
                    fault_windows: Vec::new(),
                    unstable: Some(unstable),
                    adaptive: None,
                });
            }
        }
    }
    Ok(ExperimentResults {
        name: grid.name.clone(),
        description: grid.description.clone(),
        sweep_params: grid.sweep_params.clone(),
        points,
        total_events,
        plan_inputs: grid.plan_inputs.clone(),
    })
}

fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    // Zero latencies are held as 1 ns (HDR cannot hold 0): report them as 0.
    let ms = |nanos: u64| if nanos <= 1 { 0.0 } else { nanos as f64 / 1e6 };
    Percentiles {
        p50: ms(histogram.value_at_quantile(0.5)),
        p90: ms(histogram.value_at_quantile(0.9)),
        p99: ms(histogram.value_at_quantile(0.99)),
        p999: ms(histogram.value_at_quantile(0.999)),
        max: ms(histogram.max()),
    }
}

fn aggregate_point(index: usize, params: Vec<String>, runs: Vec<RunOutput>) -> PointResult {
    let template: Vec<&Metric> = runs.first().map(|run| run.metrics.metrics.iter().collect()).unwrap_or_default();
    let mut metrics = Vec::with_capacity(template.len());
    let mut histograms = Vec::new();
    for (position, metric) in template.iter().enumerate() {
        let values: Vec<f64> = runs
            .iter()
            .map(|run| run.metrics.metrics.get(position).map(Metric::replication_value).unwrap_or(f64::NAN))
            .collect();
        let estimate = estimate_within(&values, metric.unit.bounds());
        let (percentiles, count) = match &metric.value {
            MetricValue::Latency { .. } => {
                let mut merged: Option<Histogram<u64>> = None;
                for run in &runs {
                    if let Some(MetricValue::Latency { histogram, .. }) =
                        run.metrics.metrics.get(position).map(|m| &m.value)
                    {
                        match &mut merged {
                            None => merged = Some(histogram.clone()),
                            Some(total) => {
                                // Auto-resizing histograms of equal precision always merge.
                                let _ = total.add(histogram);
                            }
                        }
                    }
                }
                let merged = merged.expect("at least one replication");
                let summary = (!merged.is_empty()).then(|| percentiles(&merged));
                let count = Some(merged.len());
                histograms.push((metric.name.clone(), merged));
                (summary, count)
            }
            MetricValue::Scalar(_) => (None, None),
        };
        metrics.push(MetricSummary {
            name: metric.name.clone(),
            unit: metric.unit,
            replications: estimate.n,
            mean: estimate.mean,
            ci95_low: estimate.low,
            ci95_high: estimate.high,
            percentiles,
            count,
        });
    }
    let replications = runs
        .iter()
        .enumerate()
        .map(|(rep, run)| ReplicationResult {
            replication: rep as u32,
            events: run.events,
            values: run.metrics.metrics.iter().map(Metric::replication_value).collect(),
            percentiles: run
                .metrics
                .metrics
                .iter()
                .map(|metric| match &metric.value {
                    MetricValue::Latency { histogram, .. } => ReplicationPercentiles::of(histogram),
                    MetricValue::Scalar(_) => None,
                })
                .collect(),
        })
        .collect();
    let fault_windows = runs.first().map(|run| run.fault_windows.clone()).unwrap_or_default();
    PointResult {
        index,
        params,
        metrics,
        histograms,
        replications,
        series: mean_series(&runs),
        fault_windows,
        unstable: None,
        adaptive: None,
    }
}

/// Cell-wise mean of the replications' series, ignoring NaN cells.
fn mean_series(runs: &[RunOutput]) -> TimeSeries {
    let Some(first) = runs.first() else { return TimeSeries::default() };
    let cells = first.series.values.len();
    let mut sums = vec![0.0; cells];
    let mut counts = vec![0u32; cells];
    for run in runs {
        for (cell, value) in run.series.values.iter().enumerate().take(cells) {
            if value.is_finite() {
                sums[cell] += value;
                counts[cell] += 1;
            }
        }
    }
    TimeSeries {
        interval: first.series.interval,
        names: first.series.names.clone(),
        values: sums
            .iter()
            .zip(&counts)
            .map(|(sum, &count)| if count == 0 { f64::NAN } else { sum / f64::from(count) })
            .collect(),
    }
}

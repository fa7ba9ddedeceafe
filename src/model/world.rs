//! A world: the components of one run, their random streams, the network and the event
//! queue; [`World::run`] simulates one replication and returns its measurements.

mod budget;

pub use budget::{BUDGET_CHECK_EVENTS, EVENT_BYTES, RUNAWAY_MIN_QUEUE, RUNAWAY_SHARE, RunStop, Runaway, RunawayCause};

use super::fault::{FaultAction, FaultKind, FaultPlan, FaultSignal, FaultTiming, select_instances};
use super::{Component, ComponentId, Ctx, Event, Message, Network, SpecError, Timer};
use crate::engine::{EventQueue, SimDuration, SimRng, SimTime};
use crate::metrics::{Counter, MetricSet, SeriesNames, TimeWeighted, Unit};

/// Most events that may happen at one instant before a run is declared stalled: simulated time
/// would never advance (e.g. a closed loop in which think time, network delay and service time
/// are all zero).
pub const MAX_EVENTS_AT_ONE_INSTANT: u64 = 50_000_000;

/// A run whose simulated time stopped advancing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "simulated time stopped advancing at {at}: more than {MAX_EVENTS_AT_ONE_INSTANT} events happened at that instant \
     (a loop with no delay in it: give think times, service times or the network a non-zero duration)"
)]
pub struct Stalled {
    /// The instant time stopped at.
    pub at: SimTime,
}

/// Most fault windows one run records for charts; later ones still act and are counted.
pub const MAX_RECORDED_FAULT_WINDOWS: usize = 10_000;

/// A period during which a fault was active.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaultWindow {
    /// The fault's label.
    pub label: String,
    /// Start.
    pub start: SimTime,
    /// End (None if it lasted to the end of the run).
    pub end: Option<SimTime>,
}

/// One thing a fault acts on: a component instance, or the whole network.
struct FaultTarget {
    /// Unique in the run ([`FaultSignal::id`]).
    id: u32,
    component: ComponentId,
    action: FaultAction,
    /// Index of the open window in `fault_windows`, if recorded.
    open_window: Option<usize>,
}

struct WorldFault {
    label: String,
    timing: FaultTiming,
    targets: Vec<FaultTarget>,
    rng: SimRng,
}

/// Timing of one run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// Simulated time from start to end.
    pub duration: SimDuration,
    /// Measurements before this time are discarded (time series keep them).
    pub warmup: SimDuration,
    /// Period of the time series.
    pub sample_interval: SimDuration,
}

/// Sampled time series of one run: row `r` holds the averages over
/// `((r)·interval, (r+1)·interval]`, one column per name.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TimeSeries {
    /// Sampling period.
    pub interval: SimDuration,
    /// Column names.
    pub names: Vec<String>,
    /// Row-major values, `rows × names.len()`.
    pub values: Vec<f64>,
}

impl TimeSeries {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        if self.names.is_empty() { 0 } else { self.values.len() / self.names.len() }
    }

    /// The series called `name` as (end of interval in seconds, value) pairs.
    pub fn column(&self, name: &str) -> Option<Vec<(f64, f64)>> {
        let column = self.names.iter().position(|n| n == name)?;
        let interval = self.interval.as_secs_f64();
        Some((0..self.rows()).map(|r| ((r + 1) as f64 * interval, self.row(r)[column])).collect())
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        let width = self.names.len();
        &self.values[r * width..(r + 1) * width]
    }
}

/// What one replication produced.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RunOutput {
    /// End-of-run metrics, in component order.
    pub metrics: MetricSet,
    /// Time series over the whole run (warm-up included).
    pub series: TimeSeries,
    /// Events delivered.
    pub events: u64,
    /// When faults were active (at most [`MAX_RECORDED_FAULT_WINDOWS`]).
    pub fault_windows: Vec<FaultWindow>,
}

crate::message_kinds! {
    /// The world's own timers.
    timer enum WorldTimer {
        /// The warm-up is over.
        WarmupEnd,
        /// Sample every time series.
        Sample,
        /// Fault `slot`'s target `data` starts.
        FaultStart,
        /// Fault `slot`'s target `data` ends.
        FaultEnd,
    }
}

/// A component of the world and its random stream.
struct Member {
    component: Box<dyn Component>,
    rng: SimRng,
}

/// The state of one run.
pub struct World {
    config: RunConfig,
    queue: EventQueue<Event>,
    network: Network,
    /// The components, each with its own random stream (side by side: one lookup per event).
    components: Vec<Member>,
    faults: Vec<WorldFault>,
    active_faults: TimeWeighted,
    fault_starts: Counter,
    fault_windows: Vec<FaultWindow>,
    /// Most bytes the run may hold ([`World::set_memory_budget`]); `u64::MAX`: no limit.
    memory_budget: u64,
}

impl World {
    /// An empty world.
    pub fn new(config: RunConfig, network: Network) -> Self {
        World {
            config,
            queue: EventQueue::with_capacity(1024),
            network,
            components: Vec::new(),
            faults: Vec::new(),
            active_faults: TimeWeighted::new(),
            fault_starts: Counter::default(),
            fault_windows: Vec::new(),
            memory_budget: u64::MAX,
        }
    }

    /// Adds a fault. `target` is the resolved id of the plan's target component (crash and
    /// slow); `rng` drives its stochastic up and down times. Errors name the `instance` field.
    pub fn add_fault(&mut self, plan: &FaultPlan, target: Option<ComponentId>, rng: SimRng) -> Result<(), SpecError> {
        let first_id = self.faults.iter().map(|fault| fault.targets.len() as u32).sum::<u32>();
        let network_wide =
            |action| vec![FaultTarget { id: first_id, component: ComponentId::WORLD, action, open_window: None }];
        let targets = match plan.kind {
            FaultKind::AzOutage(az) => network_wide(FaultAction::AzOutage { az }),
            FaultKind::Partition(a, b) => network_wide(FaultAction::Partition { a, b }),
            FaultKind::Crash | FaultKind::Slow(_) => {
                let component =
                    target.ok_or_else(|| SpecError::new("target", "this fault needs a target component"))?;
                let instances = self.components[component.index()].component.instances();
                let is_segment = |name: &str| name.starts_with("segment-");
                if plan.segments_only && !instances.iter().any(|i| is_segment(&i.name)) {
                    let names: Vec<String> = instances.iter().take(6).map(|i| format!("`{}`", i.name)).collect();
                    return Err(SpecError::new(
                        "action",
                        format!(
                            "`lose_segments` loses storage segments, and this target has none (its instances: {}); use `crash`",
                            names.join(", ")
                        ),
                    ));
                }
                let picked = select_instances(&instances, plan.instance.as_deref())
                    .map_err(|message| SpecError::new("instance", message))?;
                if plan.segments_only
                    && let Some(&other) = picked.iter().find(|&&i| !is_segment(&instances[i as usize].name))
                {
                    return Err(SpecError::new(
                        "instance",
                        format!(
                            "`lose_segments` loses storage segments, but `{}` is not one; use `crash` for instances",
                            instances[other as usize].name
                        ),
                    ));
                }
                picked
                    .into_iter()
                    .enumerate()
                    .map(|(k, instance)| FaultTarget {
                        id: first_id + k as u32,
                        component,
                        action: match plan.kind {
                            FaultKind::Slow(factor) => FaultAction::Slow { instance, factor },
                            _ => FaultAction::Crash { instance },
                        },
                        open_window: None,
                    })
                    .collect()
            }
        };
        self.faults.push(WorldFault { label: plan.label.clone(), timing: plan.timing.clone(), targets, rng });
        Ok(())
    }

    fn schedule_fault_event(&mut self, at: SimTime, kind: WorldTimer, fault: usize, target: usize) {
        let timer = Timer::new(kind, fault as u32, target as u64);
        self.queue.schedule_at(at, Event { to: ComponentId::WORLD, msg: Message::Timer(timer) });
    }

    fn schedule_faults(&mut self) {
        for fault in 0..self.faults.len() {
            for target in 0..self.faults[fault].targets.len() {
                match &self.faults[fault].timing {
                    FaultTiming::Scheduled { at, duration } => {
                        let (start, duration) = (SimTime::ZERO + *at, *duration);
                        self.schedule_fault_event(start, WorldTimer::FaultStart, fault, target);
                        if let Some(duration) = duration {
                            self.schedule_fault_event(start + duration, WorldTimer::FaultEnd, fault, target);
                        }
                    }
                    FaultTiming::Stochastic { mtbf, .. } => {
                        let up = mtbf.clone().sample_duration(&mut self.faults[fault].rng);
                        self.schedule_fault_event(SimTime::ZERO + up, WorldTimer::FaultStart, fault, target);
                    }
                }
            }
        }
    }

    /// A fault starts or ends: update the network, tell the components, record the window,
    /// and for stochastic faults draw the next transition.
    fn fault_event(&mut self, fault: usize, target: usize, active: bool) {
        let now = self.queue.now();
        let (component, action, id) = {
            let t = &self.faults[fault].targets[target];
            (t.component, t.action, t.id)
        };
        match action {
            FaultAction::AzOutage { az } => self.network.set_az_down(az, active),
            FaultAction::Partition { a, b } => self.network.set_partition(a, b, active),
            FaultAction::Crash { .. } | FaultAction::Slow { .. } => {}
        }
        let signal = Message::Fault(FaultSignal { action, active, id });
        let receivers = if component == ComponentId::WORLD {
            0..self.components.len()
        } else {
            component.index()..component.index() + 1
        };
        for index in receivers {
            let id = ComponentId(index as u32);
            let member = &mut self.components[index];
            let mut ctx = Ctx::new(id, &mut self.queue, &mut self.network, &mut member.rng);
            member.component.handle(signal, &mut ctx);
        }
        self.active_faults.add(now, if active { 1.0 } else { -1.0 });
        if active {
            self.fault_starts.incr();
            if self.fault_windows.len() < MAX_RECORDED_FAULT_WINDOWS {
                self.faults[fault].targets[target].open_window = Some(self.fault_windows.len());
                self.fault_windows.push(FaultWindow { label: self.faults[fault].label.clone(), start: now, end: None });
            }
        } else if let Some(window) = self.faults[fault].targets[target].open_window.take() {
            self.fault_windows[window].end = Some(now);
        }
        let next = match &self.faults[fault].timing {
            FaultTiming::Stochastic { mtbf, mttr } => {
                let dist = if active { mttr.clone() } else { mtbf.clone() };
                Some(dist.sample_duration(&mut self.faults[fault].rng))
            }
            FaultTiming::Scheduled { .. } => None,
        };
        if let Some(delay) = next {
            self.schedule_fault_event(
                now + delay,
                if active { WorldTimer::FaultEnd } else { WorldTimer::FaultStart },
                fault,
                target,
            );
        }
    }

    /// Id the next added component will get.
    pub fn next_id(&self) -> ComponentId {
        ComponentId(self.components.len() as u32)
    }

    /// Adds a component with its own random stream; returns its id.
    pub fn add(&mut self, component: Box<dyn Component>, rng: SimRng) -> ComponentId {
        let id = self.next_id();
        self.components.push(Member { component, rng });
        id
    }

    /// The network, to place components.
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.network
    }

    /// Runs the replication to its end and collects the measurements; stops early if
    /// simulated time stalls or a queue runs away ([`RunStop`]).
    pub fn run(mut self) -> Result<RunOutput, RunStop> {
        let end = SimTime::ZERO + self.config.duration;
        let mut names = SeriesNames::default();
        // How many series each component declares; `sample` must write exactly as many.
        let mut declared = Vec::with_capacity(self.components.len());
        for Member { component, .. } in &self.components {
            let before = names.names.len();
            component.series_names(&mut names);
            declared.push(names.names.len() - before);
        }
        if !self.faults.is_empty() {
            names.names.push("faults.active".into());
        }
        let interval = self.config.sample_interval;
        let rows = if interval.as_nanos() == 0 { 0 } else { self.config.duration.as_nanos() / interval.as_nanos() };
        let mut series =
            TimeSeries { interval, values: Vec::with_capacity(rows as usize * names.names.len()), names: names.names };

        for (index, Member { component, rng }) in self.components.iter_mut().enumerate() {
            let id = ComponentId(index as u32);
            let mut ctx = Ctx::new(id, &mut self.queue, &mut self.network, rng);
            component.start(&mut ctx);
        }
        let world_timer = |kind| Event { to: ComponentId::WORLD, msg: Message::Timer(Timer::new(kind, 0, 0)) };
        if self.config.warmup > SimDuration::ZERO {
            self.queue.schedule_at(SimTime::ZERO + self.config.warmup, world_timer(WorldTimer::WarmupEnd));
        } else {
            for Member { component, .. } in &mut self.components {
                component.begin_measurement(SimTime::ZERO);
            }
        }
        if rows > 0 {
            self.queue.schedule_at(SimTime::ZERO + interval, world_timer(WorldTimer::Sample));
        }
        self.schedule_faults();

        let mut instant = SimTime::ZERO;
        let mut events_at_instant = 0u64;
        let mut until_budget_check = BUDGET_CHECK_EVENTS;
        while let Some(event) = self.queue.pop_until(end) {
            let now = self.queue.now();
            if now == instant {
                events_at_instant += 1;
                if events_at_instant > MAX_EVENTS_AT_ONE_INSTANT {
                    return Err(Stalled { at: now }.into());
                }
            } else {
                instant = now;
                events_at_instant = 0;
            }
            until_budget_check -= 1;
            if until_budget_check == 0 {
                until_budget_check = BUDGET_CHECK_EVENTS;
                self.check_budget(now)?;
            }
            if event.to != ComponentId::WORLD {
                let Some(member) = self.components.get_mut(event.to.index()) else { continue };
                let mut ctx = Ctx::new(event.to, &mut self.queue, &mut self.network, &mut member.rng);
                member.component.handle(event.msg, &mut ctx);
                continue;
            }
            let now = self.queue.now();
            let Message::Timer(timer) = event.msg else { continue };
            match timer.kind_as::<WorldTimer>() {
                Some(WorldTimer::WarmupEnd) => {
                    for Member { component, .. } in &mut self.components {
                        component.begin_measurement(now);
                    }
                    self.active_faults.reset(now);
                    self.fault_starts.reset();
                }
                Some(kind @ (WorldTimer::FaultStart | WorldTimer::FaultEnd)) => {
                    self.fault_event(timer.slot as usize, timer.data as usize, kind == WorldTimer::FaultStart);
                }
                Some(WorldTimer::Sample) => {
                    for (index, Member { component, .. }) in self.components.iter_mut().enumerate() {
                        let before = series.values.len();
                        component.sample(now, interval, &mut series.values);
                        let written = series.values.len() - before;
                        assert_eq!(
                            written, declared[index],
                            "component {index} declared {} time series but sampled {written} values (a bug in \
                             its series_names or sample)",
                            declared[index]
                        );
                    }
                    if !self.faults.is_empty() {
                        series.values.push(self.active_faults.interval_mean(now));
                    }
                    if now + interval <= end {
                        self.queue.schedule_at(now + interval, world_timer(WorldTimer::Sample));
                    }
                }
                None => {}
            }
        }
        self.queue.advance_to(end);
        self.runaway_at_end(end)?;
        let mut metrics = MetricSet::default();
        for Member { component, .. } in &mut self.components {
            component.finish(end, &mut metrics);
        }
        if !self.faults.is_empty() {
            metrics.scalar("faults.count".into(), Unit::Events, self.fault_starts.total() as f64);
            metrics.scalar("faults.active".into(), Unit::Events, self.active_faults.mean(end));
        }
        Ok(RunOutput { metrics, series, events: self.queue.delivered(), fault_windows: self.fault_windows })
    }
}

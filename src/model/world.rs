//! A world: the components of one run, their random streams, the network and the event
//! queue; [`World::run`] simulates one replication and returns its measurements.

use super::{Component, ComponentId, Ctx, Event, Message, Network, Timer};
use crate::engine::{EventQueue, SimDuration, SimRng, SimTime};
use crate::metrics::{MetricSet, SeriesNames};

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
#[derive(Clone, Debug, Default)]
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

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        let width = self.names.len();
        &self.values[r * width..(r + 1) * width]
    }
}

/// What one replication produced.
#[derive(Clone, Debug, Default)]
pub struct RunOutput {
    /// End-of-run metrics, in component order.
    pub metrics: MetricSet,
    /// Time series over the whole run (warm-up included).
    pub series: TimeSeries,
    /// Events delivered.
    pub events: u64,
}

const WARMUP_END: u32 = 0;
const SAMPLE: u32 = 1;

/// The state of one run.
pub struct World {
    config: RunConfig,
    queue: EventQueue<Event>,
    network: Network,
    components: Vec<Box<dyn Component>>,
    rngs: Vec<SimRng>,
}

impl World {
    /// An empty world.
    pub fn new(config: RunConfig, network: Network) -> Self {
        World {
            config,
            queue: EventQueue::with_capacity(1024),
            network,
            components: Vec::new(),
            rngs: Vec::new(),
        }
    }

    /// Id the next added component will get.
    pub fn next_id(&self) -> ComponentId {
        ComponentId(self.components.len() as u32)
    }

    /// Adds a component with its own random stream; returns its id.
    pub fn add(&mut self, component: Box<dyn Component>, rng: SimRng) -> ComponentId {
        let id = self.next_id();
        self.components.push(component);
        self.rngs.push(rng);
        id
    }

    /// The network, to place components.
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.network
    }

    /// Runs the replication to its end and collects the measurements.
    pub fn run(mut self) -> RunOutput {
        let end = SimTime::ZERO + self.config.duration;
        let mut names = SeriesNames::default();
        for component in &self.components {
            component.series_names(&mut names);
        }
        let interval = self.config.sample_interval;
        let rows = if interval.as_nanos() == 0 { 0 } else { self.config.duration.as_nanos() / interval.as_nanos() };
        let mut series = TimeSeries {
            interval,
            values: Vec::with_capacity(rows as usize * names.names.len()),
            names: names.names,
        };

        for (index, component) in self.components.iter_mut().enumerate() {
            let id = ComponentId(index as u32);
            let mut ctx = Ctx::new(id, &mut self.queue, &self.network, &mut self.rngs[index]);
            component.start(&mut ctx);
        }
        let world_timer = |kind| Event { to: ComponentId::WORLD, msg: Message::Timer(Timer { kind, slot: 0, data: 0 }) };
        if self.config.warmup > SimDuration::ZERO {
            self.queue.schedule_at(SimTime::ZERO + self.config.warmup, world_timer(WARMUP_END));
        } else {
            for component in &mut self.components {
                component.begin_measurement(SimTime::ZERO);
            }
        }
        if rows > 0 {
            self.queue.schedule_at(SimTime::ZERO + interval, world_timer(SAMPLE));
        }

        while let Some(event) = self.queue.pop_until(end) {
            if event.to != ComponentId::WORLD {
                let index = event.to.index();
                let mut ctx = Ctx::new(event.to, &mut self.queue, &self.network, &mut self.rngs[index]);
                self.components[index].handle(event.msg, &mut ctx);
                continue;
            }
            let now = self.queue.now();
            match event.msg {
                Message::Timer(Timer { kind: WARMUP_END, .. }) => {
                    for component in &mut self.components {
                        component.begin_measurement(now);
                    }
                }
                Message::Timer(Timer { kind: SAMPLE, .. }) => {
                    for component in &mut self.components {
                        component.sample(now, interval, &mut series.values);
                    }
                    if now + interval <= end {
                        self.queue.schedule_at(now + interval, world_timer(SAMPLE));
                    }
                }
                _ => {}
            }
        }
        self.queue.advance_to(end);
        let mut metrics = MetricSet::default();
        for component in &mut self.components {
            component.finish(end, &mut metrics);
        }
        RunOutput { metrics, series, events: self.queue.delivered() }
    }
}

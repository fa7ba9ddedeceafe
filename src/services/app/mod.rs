//! An application tier (`kind = "app"`): instances in AZs behind a load balancer, each a
//! [`ServerPool`] of `workers` charging `cpu` time per request, then a small declarative flow
//! per operation that calls downstream components in order through one shared [`Caller`] per
//! target (timeouts, retries, DNS), so a request's latency is the sum of the hops it took.
//! Defaults and sources: [`APP_DOC`] (`stratus describe app`) and the constants in `config`.
//!
//! # A request
//! The balancer (the component's endpoint) picks a healthy registered instance (round robin,
//! least outstanding requests, or at random) — 503 if there is none. The request waits for a
//! worker, takes its CPU time (the worker is then free: calls downstream are asynchronous
//! I/O, so `workers` bounds CPU concurrency, and utilization is CPU utilization), then runs
//! its flow: `reads` for `Read`/`Get` requests, `writes` for every other. Each step calls its
//! target with the step's operation (default the request's own), the request's key and size;
//! a failed step fails the request with the step's status (timeout or unavailable) unless it
//! is `optional`. The reply goes back to the client from the balancer.
//!
//! # Faults and health checks
//! Instances are `instance-1`..`instance-N` (N = `autoscaling.max`, or `instances`), placed
//! over `azs` in turn. A crash, or its AZ's outage, kills an instance: requests in progress on
//! it are answered 502; the balancer goes on sending it new requests, which wait the
//! `connect_timeout` and are answered 504, until the health check finds it unhealthy
//! (`unhealthy_threshold` consecutive checks, each `interval` apart, failing after
//! `timeout`). Back up, it needs `healthy_threshold` good checks to receive traffic again.
//! Simplification: calls leave from, and replies return to, the balancer's AZ (the
//! component's `az`); when that AZ is lost the endpoint moves to the nearest AZ that is up
//! (the ALB is in every AZ).
//!
//! # Autoscaling
//! Target tracking on mean CPU utilization (see `autoscale.rs`).

mod autoscale;
mod config;
mod doc;
mod flow;
mod metrics;
mod protocol;

use rand::RngExt;

use self::metrics::Measures;
use self::protocol::AppTimer;
use crate::blocks::caller::Caller;
use crate::blocks::health::Health;
use crate::blocks::slab::Slab;
use crate::blocks::station::{ServerPool, ServiceTimes};
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::{BillableItem, UsageScale};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, InstanceInfo, Message, Request, SpecError, Timer};
use crate::services::classes::DEFAULT_EC2_CLASS;

pub use config::{
    AppConfig, AppPlan, AutoscalingConfig, Balancing, DEFAULT_CONNECT_TIMEOUT, DEFAULT_COOLDOWN, DEFAULT_CPU_SECS,
    DEFAULT_HEALTH_INTERVAL, DEFAULT_HEALTH_TIMEOUT, DEFAULT_HEALTHY_THRESHOLD, DEFAULT_INSTANCES,
    DEFAULT_UNHEALTHY_THRESHOLD, DEFAULT_WARMUP, DEFAULT_WORKERS, HealthCheckConfig, METRIC_PERIOD, SCALE_IN_PERIODS,
    SCALE_OUT_PERIODS, Step, StepConfig,
};
pub use doc::APP_DOC;

impl KindConfig for AppConfig {
    fn references(&self) -> Vec<(&'static str, &str)> {
        // The flow that names it (a static field name; the step's own `call` is located by
        // `plan` when the name resolves but the step is wrong).
        let reads = self.reads.iter().map(|step| ("reads", step.call.as_str()));
        reads.chain(self.writes.iter().map(|step| ("writes", step.call.as_str()))).collect()
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        vec![("cpu".into(), &mut self.cpu)]
    }

    fn events_per_request(&self, write_fraction: f64) -> f64 {
        // The request, the end of its CPU time and the reply; per step the caller's timeout
        // timer is set and cancelled (one event slot) and the step's reply arrives.
        let steps = (1.0 - write_fraction) * self.reads.len() as f64 + write_fraction * self.writes.len() as f64;
        3.0 + 2.0 * steps
    }

    fn nanos_per_event(&self) -> f64 {
        // Like a station's event plus a caller's bookkeeping: an estimate of 1.5 times a
        // station's 100 ns (the caller's DNS lookup, the flow's slab).
        150.0
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(App::new(name, self.plan(context)?)))
    }

    /// Writes in the workers and the instance type billed.
    fn resolved(&self, context: &BuildContext<'_>, _az_names: &[String]) -> Result<Self, SpecError> {
        let plan = self.plan(context)?;
        let mut resolved = self.clone();
        resolved.workers = Some(plan.workers);
        resolved.instance_class.get_or_insert_with(|| DEFAULT_EC2_CLASS.to_string());
        Ok(resolved)
    }

    /// EC2 instance-hours of the one type: `instances` for a fixed fleet; with autoscaling the
    /// time-average of instances in service (`<name>.instances_in_service`; instances still
    /// warming up are billed by AWS but not counted: a slight underestimate). The load
    /// balancer (ALB hours and LCUs) is not billed.
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        let class = self.instance_class.as_deref().unwrap_or(DEFAULT_EC2_CLASS);
        if self.autoscaling.is_some() {
            let key = crate::services::classes::price_key(crate::services::classes::Service::Ec2, class);
            vec![BillableItem::usage(
                name,
                &format!("instances {class} (time-average in service)"),
                format!("{name}.instances_in_service"),
                UsageScale::Level,
                1.0,
                1.0,
                "instance-hours",
                &key,
            )]
        } else {
            vec![BillableItem::instances(name, "instances", "ec2", class, f64::from(self.instances))]
        }
    }
}

/// Where an instance slot is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// Not running (never launched, or scaled in).
    Off,
    /// Launched, warming up: not yet registered with the balancer.
    Warming,
    /// Registered: receives requests while the balancer finds it healthy.
    InService,
}

/// One instance slot.
struct Instance {
    pool: ServerPool,
    az: u16,
    health: Health,
    state: State,
    /// The balancer's view: true while it routes to the instance.
    lb_healthy: bool,
    /// Consecutive failed and successful health checks.
    fails: u32,
    successes: u32,
    /// Requests in progress (on the CPU, queued, or in their flow).
    outstanding: u32,
    /// Bumped when the instance dies: stale health-check results are ignored.
    epoch: u32,
    /// When it died (for the detection time), if it is dead and not yet detected.
    died_at: Option<SimTime>,
    /// Busy workers as last added to the tier's total.
    busy: u32,
    /// Launch number (a warm-up timer from an earlier launch is ignored).
    launch: u32,
}

/// A request in progress on an instance.
#[derive(Copy, Clone, Debug)]
struct Flow {
    /// The client's request, as it arrived.
    request: Request,
    arrived: SimTime,
    instance: u16,
    /// The step running (while the CPU stage runs: u8::MAX).
    step: u8,
    step_started: SimTime,
    read: bool,
    generation: u32,
}

/// A running application tier.
pub struct App {
    name: String,
    plan: AppPlan,
    instances: Vec<Instance>,
    /// The instances the balancer routes to (registered and healthy), rebuilt on change.
    routable: Vec<u16>,
    cursor: usize,
    callers: Vec<Caller<u64>>,
    flows: Slab<Flow>,
    next_generation: u32,
    /// Requests sent to a dead target (and that target), waiting for the balancer's connect
    /// timeout.
    connecting: Slab<(Request, u16)>,
    home_az: u16,
    scaler: autoscale::Scaler,
    m: Measures,
}

impl App {
    /// Builds the tier from a checked plan.
    pub fn new(name: &str, plan: AppPlan) -> Self {
        let target_names: Vec<&str> = plan.targets.iter().map(|(n, _)| n.as_str()).collect();
        let label =
            |flow: &str, k: usize, step: &Step| format!("{flow}.{}.{}", k + 1, target_names[step.target as usize]);
        let read_labels = plan.reads.iter().enumerate().map(|(k, s)| label("read", k, s)).collect();
        let write_labels = plan.writes.iter().enumerate().map(|(k, s)| label("write", k, s)).collect();
        let instances = (0..plan.slots)
            .map(|slot| Instance {
                pool: ServerPool::new(
                    plan.workers,
                    plan.queue_limit,
                    ServiceTimes::uniform(plan.cpu.clone()),
                    AppTimer::Cpu,
                    u64::from(slot),
                ),
                az: plan.azs[slot as usize],
                health: Health::default(),
                state: if slot < plan.instances { State::InService } else { State::Off },
                lb_healthy: slot < plan.instances,
                fails: 0,
                successes: 0,
                outstanding: 0,
                epoch: 0,
                died_at: None,
                busy: 0,
                launch: 0,
            })
            .collect();
        let callers = plan
            .targets
            .iter()
            .enumerate()
            .map(|(index, (_, id))| {
                Caller::new(plan.client.clone(), *id, AppTimer::CallTimeout, AppTimer::CallRetry)
                    .with_timer_tag(index as u32)
            })
            .collect();
        App {
            name: name.to_string(),
            m: Measures::new(read_labels, write_labels, plan.slots as usize),
            scaler: autoscale::Scaler::new(plan.scaling.clone()),
            routable: Vec::with_capacity(plan.slots as usize),
            instances,
            cursor: 0,
            callers,
            flows: Slab::new(),
            next_generation: 0,
            connecting: Slab::new(),
            home_az: 0,
            plan,
        }
    }

    /// True if instance `i` runs and can be reached.
    fn alive(&self, i: usize, ctx: &Ctx<'_>) -> bool {
        let instance = &self.instances[i];
        instance.state != State::Off && !instance.health.is_crashed() && !ctx.network().az_is_down(instance.az)
    }

    /// Rebuilds the balancer's list of routable instances and the in-service count.
    fn reroute(&mut self, now: SimTime) {
        self.routable.clear();
        let mut in_service = 0;
        for (i, instance) in self.instances.iter().enumerate() {
            if instance.state == State::InService {
                in_service += 1;
                if instance.lb_healthy {
                    self.routable.push(i as u16);
                }
            }
        }
        self.m.in_service.set(now, f64::from(in_service));
        self.m.healthy.set(now, self.routable.len() as f64);
    }

    /// The balancer's pick among the routable instances.
    fn pick(&mut self, ctx: &mut Ctx<'_>) -> Option<usize> {
        let n = self.routable.len();
        if n == 0 {
            return None;
        }
        let index = match self.plan.balancing {
            Balancing::RoundRobin => {
                self.cursor = (self.cursor + 1) % n;
                self.cursor
            }
            Balancing::Random => ctx.rng.random_range(0..n),
            Balancing::LeastOutstanding => {
                self.cursor = (self.cursor + 1) % n;
                let mut best = self.cursor;
                for k in 1..n {
                    let candidate = (self.cursor + k) % n;
                    let outstanding = |j: usize| self.instances[self.routable[j] as usize].outstanding;
                    if outstanding(candidate) < outstanding(best) {
                        best = candidate;
                    }
                }
                best
            }
        };
        Some(self.routable[index] as usize)
    }

    /// Updates the tier's busy-worker total after instance `i`'s pool changed.
    fn track_busy(&mut self, i: usize, now: SimTime) {
        let instance = &mut self.instances[i];
        let busy = instance.pool.occupancy().min(u64::from(self.plan.workers)) as u32;
        if busy != instance.busy {
            let delta = f64::from(busy) - f64::from(instance.busy);
            self.m.busy.add(now, delta);
            self.scaler.busy.add(now, delta);
            instance.busy = busy;
        }
    }

    /// Instance `i` may have died (a crash, its AZ lost, a scale-in): if it was alive and is
    /// not any more, its pool is lost and its requests in progress are answered 502.
    fn kill(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let instance = &mut self.instances[i];
        if !instance.pool.is_up() {
            return;
        }
        instance.pool.crash(ctx);
        instance.epoch = instance.epoch.wrapping_add(1);
        if instance.state == State::InService && instance.lb_healthy {
            instance.died_at = Some(now);
        }
        self.track_busy(i, now);
        let (m, flows) = (&mut self.m, &mut self.flows);
        let removed = flows.remove_where(
            |flow| flow.instance as usize == i,
            |flow| {
                m.lb_502.incr();
                m.ended(flow.read, crate::model::Status::Unavailable, now - flow.arrived);
                ctx.reply(flow.request, crate::model::Status::Unavailable);
            },
        );
        let instance = &mut self.instances[i];
        instance.outstanding = instance.outstanding.saturating_sub(removed as u32);
    }

    /// Instance `i` may be back: its pool recovers, empty.
    fn revive(&mut self, i: usize, ctx: &Ctx<'_>) {
        if self.alive(i, ctx) && !self.instances[i].pool.is_up() {
            let instance = &mut self.instances[i];
            instance.pool.recover();
            instance.died_at = None;
        }
    }

    fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        match signal.action {
            FaultAction::Crash { instance } => {
                let i = instance as usize;
                if i >= self.instances.len() {
                    return;
                }
                self.instances[i].health.crash(signal.active);
                if signal.active { self.kill(i, ctx) } else { self.revive(i, ctx) }
            }
            FaultAction::Slow { instance, factor } => {
                if let Some(inst) = self.instances.get_mut(instance as usize) {
                    let factor = inst.health.slow(factor, signal.active);
                    inst.pool.set_slow_factor(factor);
                }
            }
            FaultAction::AzOutage { az } => {
                for i in 0..self.instances.len() {
                    if self.instances[i].az == az {
                        if signal.active { self.kill(i, ctx) } else { self.revive(i, ctx) }
                    }
                }
                self.follow_endpoint(ctx);
            }
            FaultAction::Partition { .. } => {}
        }
    }

    /// Keeps the balancer's endpoint in an AZ that is up (its own when possible).
    fn follow_endpoint(&mut self, ctx: &mut Ctx<'_>) {
        let network = ctx.network();
        let current = network.az_of(ctx.me());
        let az = if !network.az_is_down(self.home_az) {
            Some(self.home_az)
        } else {
            (0..network.az_count() as u16)
                .filter(|&az| !network.az_is_down(az))
                .min_by_key(|&az| network.mean_delay_between(self.home_az, az))
        };
        if let Some(az) = az
            && az != current
        {
            ctx.move_endpoint(az);
        }
    }

    /// A health check of instance `i` is due: a live target answers at once (a success); a
    /// dead one's check fails when its `timeout` expires.
    fn on_health_check(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let (interval, timeout, _, healthy) = self.plan.health;
        ctx.timer(interval, Timer::new(AppTimer::HealthCheck, 0, i as u64));
        if self.instances[i].state != State::InService {
            return;
        }
        if self.alive(i, ctx) {
            let instance = &mut self.instances[i];
            instance.fails = 0;
            instance.successes = instance.successes.saturating_add(1);
            if !instance.lb_healthy && instance.successes >= healthy {
                instance.lb_healthy = true;
                self.reroute(ctx.now());
            }
        } else {
            let epoch = self.instances[i].epoch;
            ctx.timer(timeout, Timer::new(AppTimer::HealthFailed, 0, i as u64).tagged(epoch));
        }
    }

    fn on_health_failed(&mut self, i: usize, epoch: u32, ctx: &mut Ctx<'_>) {
        let unhealthy = self.plan.health.2;
        let now = ctx.now();
        let instance = &mut self.instances[i];
        if instance.epoch != epoch || instance.state != State::InService {
            return;
        }
        instance.successes = 0;
        instance.fails = instance.fails.saturating_add(1);
        if instance.lb_healthy && instance.fails >= unhealthy {
            instance.lb_healthy = false;
            if let Some(died) = instance.died_at.take() {
                self.m.detection.record(now - died);
            }
            self.reroute(now);
        }
    }

    fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        match timer.kind_as::<AppTimer>() {
            Some(AppTimer::Cpu) => self.on_cpu_done(timer, ctx),
            Some(AppTimer::CallTimeout) => {
                let index = timer.tag as usize;
                let outcome = self.callers.get_mut(index).and_then(|c| c.on_timeout(timer, ctx));
                if let Some(outcome) = outcome {
                    self.on_outcome(outcome, ctx);
                }
            }
            Some(AppTimer::CallRetry) => {
                if let Some(caller) = self.callers.get_mut(timer.tag as usize) {
                    caller.on_retry(timer, ctx);
                }
            }
            Some(AppTimer::HealthCheck) => self.on_health_check(timer.data as usize, ctx),
            Some(AppTimer::HealthFailed) => self.on_health_failed(timer.data as usize, timer.tag, ctx),
            Some(AppTimer::ConnectTimeout) => {
                if let Some((request, i)) = self.connecting.remove(timer.slot) {
                    let instance = &mut self.instances[i as usize];
                    instance.outstanding = instance.outstanding.saturating_sub(1);
                    let now = ctx.now();
                    self.m.ended(request.op.is_read(), crate::model::Status::TimedOut, now - request.arrived);
                    ctx.reply(request, crate::model::Status::TimedOut);
                }
            }
            Some(AppTimer::ScaleTick) => self.on_scale_tick(ctx),
            Some(AppTimer::Warmed) => self.on_warmed(timer.data as usize, timer.tag, ctx),
            None => {}
        }
    }
}

impl Component for App {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.home_az = ctx.network().az_of(ctx.me());
        for caller in &mut self.callers {
            caller.start(ctx.rng);
        }
        // Each target's checks start at its own uniformly random point of the interval.
        let interval = self.plan.health.0.as_nanos();
        for i in 0..self.instances.len() {
            let phase = SimDuration(ctx.rng.random_range(1..=interval));
            ctx.timer(phase, Timer::new(AppTimer::HealthCheck, 0, i as u64));
        }
        if self.scaler.enabled() {
            ctx.timer(METRIC_PERIOD, Timer::new(AppTimer::ScaleTick, 0, 0));
        }
        self.reroute(ctx.now());
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Reply(reply) => {
                let Some(index) = self.plan.targets.iter().position(|(_, id)| *id == reply.from) else { return };
                if let Some(outcome) = self.callers[index].on_reply(reply, ctx) {
                    self.on_outcome(outcome, ctx);
                }
            }
            Message::Timer(timer) => self.on_timer(timer, ctx),
            Message::Fault(signal) => self.on_fault(signal, ctx),
            Message::Internal(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.m.begin(now);
        for caller in &mut self.callers {
            caller.retries.reset();
            caller.failures.reset();
        }
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.m.declare_series(&self.name, names);
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        self.m.sample(now, interval, self.plan.workers, out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        self.m.report(&self.name, now, self.plan.workers, out);
        for (caller, (target, _)) in self.callers.iter().zip(&self.plan.targets) {
            let name = &self.name;
            out.scalar(
                format!("{name}.retries.{target}"),
                crate::metrics::Unit::Requests,
                caller.retries.total() as f64,
            );
        }
    }

    fn instances(&self) -> Vec<InstanceInfo> {
        self.instances
            .iter()
            .enumerate()
            .map(|(i, instance)| InstanceInfo { name: format!("instance-{}", i + 1), az: Some(instance.az) })
            .collect()
    }

    fn backlog(&self, now: SimTime) -> Backlog {
        let mut total = Backlog {
            held: (self.flows.len() + self.connecting.len()) as u64,
            bytes: self.flows.footprint() + self.connecting.footprint(),
            ..Backlog::default()
        };
        for instance in &self.instances {
            let pool = instance.pool.backlog(now);
            // Its requests are counted among the flows already.
            total = total.plus(Backlog { held: 0, offered_load: None, ..pool });
        }
        for caller in &self.callers {
            total = total.plus(caller.backlog());
        }
        total
    }
}

#[cfg(test)]
mod tests;

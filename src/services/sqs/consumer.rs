//! An SQS consumer (`kind = "sqs_consumer"`): workers that each loop ReceiveMessage → process
//! every message → DeleteMessage(Batch), or a Lambda event source mapping whose pollers invoke
//! a function once per batch. Everything crosses the network through the shared
//! [`Caller`]: calls to the queue (`queue_client`) and to the target or function (`client`).
//!
//! Fault instances are `worker-0` … `worker-<max−1>` (max: `workers`, the autoscaling
//! `max_workers`, or the mapping's `max_concurrency`). A crashed worker stops where it is: the
//! messages it holds are not deleted, so the queue delivers them again after their visibility
//! timeout; replies to its calls are ignored (each carries the worker's incarnation). On
//! recovery it starts polling again if it is among the active workers. A slow fault
//! multiplies the worker's processing times (not the calls it makes).

use crate::blocks::caller::{CallOutcome, Caller};
use crate::blocks::health::Health;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::billing::BillableItem;
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, ComponentId, Ctx, InstanceInfo, Message, SpecError};

use super::config::{ConsumerConfig, ConsumerPlan, Sizing};
use super::protocol::ConsumerTimer;

impl KindConfig for ConsumerConfig {
    /// Nothing of its own: its receives and deletes are billed on the queue
    /// (`<queue>.api_requests`), its compute on the workers' hosts or the function it calls.
    fn billing(&self, _name: &str) -> Vec<BillableItem> {
        Vec::new()
    }

    fn references(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("queue", self.queue.as_str())];
        if let Some(target) = &self.target {
            out.push(("target", target.as_str()));
        }
        if let Some(function) = &self.function {
            out.push(("function", function.as_str()));
        }
        out
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut crate::model::dist::DistSpec<crate::model::dist::Seconds>)> {
        vec![("process".into(), &mut self.process)]
    }

    fn events_per_request(&self, _write_fraction: f64) -> f64 {
        // Counted at the queue (nothing sends requests to a consumer).
        0.0
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        let plan = self.plan()?;
        let resolve = |field: &str, name: &str| {
            (context.resolve)(name).ok_or_else(|| SpecError::new(field, format!("no component is called `{name}`")))
        };
        let queue = resolve("queue", &self.queue)?;
        let target = match (&self.target, &self.function) {
            (Some(target), _) => Some(resolve("target", target)?),
            (None, Some(function)) => Some(resolve("function", function)?),
            (None, None) => None,
        };
        Ok(Box::new(Consumer::new(name, plan, queue, target, self.is_lambda())))
    }
}

/// What a worker is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Not among the active workers (or stopped after scale-in).
    Stopped,
    /// A receive is on its way or parked at the queue.
    Receiving,
    /// Waiting after an empty receive.
    Pausing,
    /// Processing message `next` of its batch (a timer runs).
    Processing,
    /// Calling the target for message `next` (or invoking the function with the batch).
    Calling,
    /// A delete is on its way.
    Deleting,
    /// Crashed.
    Crashed,
}

/// One worker (or one concurrent batch of a Lambda event source mapping).
#[derive(Copy, Clone, Debug)]
pub(super) struct Worker {
    pub(super) phase: Phase,
    /// Bumped at every crash: timers and call outcomes carry it.
    pub(super) incarnation: u32,
    /// Crash depth and slow factor under the shared fault mechanism.
    pub(super) health: Health,
    /// Among the workers the sizing wants.
    pub(super) active: bool,
    /// The batch in hand: receipt, size, poison mask, next message, successes.
    pub(super) receipt: u64,
    pub(super) count: u8,
    pub(super) poison: u16,
    pub(super) next: u8,
    pub(super) done: u16,
    /// When the batch was received.
    pub(super) received: SimTime,
}

impl Worker {
    fn new() -> Self {
        Worker {
            phase: Phase::Stopped,
            incarnation: 0,
            health: Health::default(),
            active: false,
            receipt: 0,
            count: 0,
            poison: 0,
            next: 0,
            done: 0,
            received: SimTime::ZERO,
        }
    }

    /// Busy with a batch (processing, calling or deleting).
    pub(super) fn busy(&self) -> bool {
        matches!(self.phase, Phase::Processing | Phase::Calling | Phase::Deleting)
    }
}

/// The caller datum marking the autoscaler's attribute reads.
pub(super) const SCALER: u64 = u64::MAX;

/// Packs a worker and its incarnation into a caller datum.
#[inline]
pub(super) fn user(worker: usize, incarnation: u32) -> u64 {
    (worker as u64) << 32 | u64::from(incarnation)
}

/// The consumer's measurements.
#[derive(Default)]
pub(super) struct ConsumerMeasures {
    pub(super) processed: Counter,
    pub(super) failed: Counter,
    pub(super) poisoned: Counter,
    pub(super) batches: Counter,
    pub(super) empty_receives: Counter,
    pub(super) receive_errors: Counter,
    pub(super) delete_errors: Counter,
    pub(super) throttled: Counter,
    pub(super) scale_outs: Counter,
    pub(super) scale_ins: Counter,
    pub(super) crashes: Counter,
    /// Receive of a batch → its delete sent (or its abandonment).
    pub(super) batch_time: LatencyHistogram,
    pub(super) active: TimeWeighted,
    pub(super) busy: TimeWeighted,
    pub(super) measure_start: SimTime,
}

/// A running consumer.
pub struct Consumer {
    pub(super) name: String,
    pub(super) plan: ConsumerPlan,
    pub(super) lambda: bool,
    pub(super) workers: Vec<Worker>,
    pub(super) queue: Caller<u64>,
    pub(super) queue_target: ComponentId,
    pub(super) target: Option<Caller<u64>>,
    /// Workers launching (autoscaling).
    pub(super) launching: u32,
    pub(super) last_scaling: Option<SimTime>,
    /// Lambda mapping: full batches and all receives since the last evaluation.
    pub(super) window_full: u64,
    pub(super) window_receives: u64,
    pub(super) busy_count: u32,
    pub(super) active_count: u32,
    pub(super) m: ConsumerMeasures,
}

impl Consumer {
    /// A consumer of `queue` calling `target` (the target or the function), from a checked plan.
    pub fn new(name: &str, plan: ConsumerPlan, queue: ComponentId, target: Option<ComponentId>, lambda: bool) -> Self {
        let queue_caller =
            Caller::new(plan.queue_client.clone(), queue, ConsumerTimer::QueueTimeout, ConsumerTimer::QueueRetry);
        let target = target.map(|target| {
            Caller::new(plan.client.clone(), target, ConsumerTimer::TargetTimeout, ConsumerTimer::TargetRetry)
        });
        Consumer {
            name: name.to_string(),
            workers: vec![Worker::new(); plan.max as usize],
            launching: 0,
            last_scaling: None,
            window_full: 0,
            window_receives: 0,
            busy_count: 0,
            active_count: 0,
            queue: queue_caller,
            queue_target: queue,
            target,
            lambda,
            m: ConsumerMeasures::default(),
            plan,
        }
    }

    /// Keeps the busy and active gauges in line with the workers.
    pub(super) fn set_busy(&mut self, now: SimTime, delta: i32) {
        self.busy_count = self.busy_count.saturating_add_signed(delta);
        self.m.busy.set(now, f64::from(self.busy_count));
    }

    /// Marks worker `w` active or not, keeping the gauge right.
    pub(super) fn set_active(&mut self, w: usize, active: bool, now: SimTime) {
        if self.workers[w].active != active {
            self.workers[w].active = active;
            self.active_count = if active { self.active_count + 1 } else { self.active_count - 1 };
            self.m.active.set(now, f64::from(self.active_count));
        }
    }

    /// A fault on worker `instance`: a crash stops it where it is (what it holds is not
    /// deleted); a slow fault multiplies its processing times; crashes and slow faults nest.
    fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        let (instance, slow) = match signal.action {
            FaultAction::Crash { instance } => (instance, None),
            FaultAction::Slow { instance, factor } => (instance, Some(factor)),
            FaultAction::AzOutage { .. } | FaultAction::Partition { .. } => return, // The network's.
        };
        let w = instance as usize;
        if w >= self.workers.len() {
            return;
        }
        if let Some(factor) = slow {
            self.workers[w].health.slow(factor, signal.active);
            return;
        }
        let now = ctx.now();
        let was = self.workers[w].health.is_crashed();
        let crashed = self.workers[w].health.crash(signal.active);
        if crashed && !was {
            self.m.crashes.incr();
            if self.workers[w].busy() {
                self.set_busy(now, -1);
            }
            let worker = &mut self.workers[w];
            worker.incarnation = worker.incarnation.wrapping_add(1);
            worker.phase = Phase::Crashed;
        } else if was && !crashed {
            self.workers[w].phase = Phase::Stopped;
            if self.workers[w].active {
                self.receive(w, ctx);
            }
        }
    }

    fn on_timer(&mut self, timer: crate::model::Timer, ctx: &mut Ctx<'_>) {
        let Some(kind) = timer.kind_as::<ConsumerTimer>() else { return };
        match kind {
            ConsumerTimer::QueueTimeout => {
                if let Some(outcome) = self.queue.on_timeout(timer, ctx) {
                    self.on_queue_outcome(outcome, ctx);
                }
            }
            ConsumerTimer::QueueRetry => self.queue.on_retry(timer, ctx),
            ConsumerTimer::TargetTimeout => {
                if let Some(outcome) = self.target.as_mut().and_then(|caller| caller.on_timeout(timer, ctx)) {
                    self.on_target_outcome(outcome, ctx);
                }
            }
            ConsumerTimer::TargetRetry => {
                if let Some(caller) = self.target.as_mut() {
                    caller.on_retry(timer, ctx);
                }
            }
            ConsumerTimer::Processed => {
                if self.current(timer.slot as usize, timer.tag, Phase::Processing) {
                    self.processed_one(timer.slot as usize, ctx);
                }
            }
            ConsumerTimer::PollAgain => {
                if self.current(timer.slot as usize, timer.tag, Phase::Pausing) {
                    self.receive(timer.slot as usize, ctx);
                }
            }
            ConsumerTimer::Heartbeat => self.heartbeat(timer, ctx),
            ConsumerTimer::Scale => self.evaluate(ctx),
            ConsumerTimer::WorkersReady => self.workers_ready(timer.data as u32, ctx),
        }
    }

    /// True if worker `w` is still in incarnation `incarnation` and in `phase`.
    pub(super) fn current(&self, w: usize, incarnation: u32, phase: Phase) -> bool {
        self.workers.get(w).is_some_and(|worker| worker.incarnation == incarnation && worker.phase == phase)
    }

    fn on_reply(&mut self, reply: crate::model::Reply, ctx: &mut Ctx<'_>) {
        if reply.from == self.queue_id() {
            if let Some(outcome) = self.queue.on_reply(reply, ctx) {
                self.on_queue_outcome(outcome, ctx);
            }
        } else if let Some(outcome) = self.target.as_mut().and_then(|caller| caller.on_reply(reply, ctx)) {
            self.on_target_outcome(outcome, ctx);
        }
    }

    fn on_queue_outcome(&mut self, outcome: CallOutcome<u64>, ctx: &mut Ctx<'_>) {
        let (reply, request, data) = match outcome {
            CallOutcome::Succeeded { reply, user } => (Some(reply), reply.request, user),
            CallOutcome::Failed { request, user, .. } => (None, request, user),
        };
        if data == SCALER {
            if let Some(reply) = reply {
                self.scale_to_backlog(u64::from(reply.count), ctx);
            }
            return;
        }
        let (w, incarnation) = ((data >> 32) as usize, data as u32);
        if w >= self.workers.len() || self.workers[w].incarnation != incarnation {
            return; // A call of a worker that crashed since.
        }
        self.queue_call_ended(w, request, reply, ctx);
    }

    fn on_target_outcome(&mut self, outcome: CallOutcome<u64>, ctx: &mut Ctx<'_>) {
        let (ok, status, data) = match outcome {
            CallOutcome::Succeeded { user, .. } => (true, crate::model::Status::Ok, user),
            CallOutcome::Failed { status, user, .. } => (false, status, user),
        };
        let (w, incarnation) = ((data >> 32) as usize, data as u32);
        if !self.current(w, incarnation, Phase::Calling) {
            return;
        }
        self.target_call_ended(w, ok, status, ctx);
    }

    /// The queue's component id.
    pub(super) fn queue_id(&self) -> ComponentId {
        self.queue_target
    }
}

impl Component for Consumer {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.queue.start(ctx.rng);
        if let Some(target) = self.target.as_mut() {
            target.start(ctx.rng);
        }
        self.m.active.set(SimTime::ZERO, 0.0);
        for w in 0..self.plan.initial as usize {
            self.set_active(w, true, ctx.now());
            self.receive(w, ctx);
        }
        match self.plan.sizing {
            Sizing::Fixed => {}
            Sizing::Autoscaled { interval, .. } => {
                ctx.timer(interval, crate::model::Timer::new(ConsumerTimer::Scale, 0, 0));
            }
            Sizing::Lambda => {
                ctx.timer(super::scaling::LAMBDA_EVALUATION, crate::model::Timer::new(ConsumerTimer::Scale, 0, 0));
            }
        }
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Reply(reply) => self.on_reply(reply, ctx),
            Message::Timer(timer) => self.on_timer(timer, ctx),
            Message::Fault(signal) => self.on_fault(signal, ctx),
            Message::Request(request) => {
                ctx.reply(request, crate::model::Status::Invalid); // A consumer serves nothing.
            }
            Message::Internal(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        let m = &mut self.m;
        for counter in [
            &mut m.processed,
            &mut m.failed,
            &mut m.poisoned,
            &mut m.batches,
            &mut m.empty_receives,
            &mut m.receive_errors,
            &mut m.delete_errors,
            &mut m.throttled,
            &mut m.scale_outs,
            &mut m.scale_ins,
            &mut m.crashes,
        ] {
            counter.reset();
        }
        m.batch_time.reset();
        m.active.reset(now);
        m.busy.reset(now);
        m.measure_start = now;
        self.queue.retries.reset();
        self.queue.failures.reset();
        if let Some(target) = self.target.as_mut() {
            target.retries.reset();
            target.failures.reset();
        }
    }

    fn series_names(&self, names: &mut SeriesNames) {
        for quantity in ["workers", "busy", "processed_per_s"] {
            names.names.push(format!("{}.{quantity}", self.name));
        }
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push(self.m.active.interval_mean(now));
        out.push(self.m.busy.interval_mean(now));
        out.push(self.m.processed.take_interval() as f64 / secs);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        let name = self.name.clone();
        let m = &mut self.m;
        let measured = (now - m.measure_start).as_secs_f64();
        for (quantity, counter) in [
            ("processed", &m.processed),
            ("failed", &m.failed),
            ("poisoned", &m.poisoned),
            ("batches", &m.batches),
            ("empty_receives", &m.empty_receives),
            ("receive_errors", &m.receive_errors),
            ("delete_errors", &m.delete_errors),
            ("throttled", &m.throttled),
        ] {
            out.scalar(format!("{name}.{quantity}"), Unit::Requests, counter.total() as f64);
        }
        for (quantity, counter) in [("scale_outs", &m.scale_outs), ("scale_ins", &m.scale_ins), ("crashes", &m.crashes)]
        {
            out.scalar(format!("{name}.{quantity}"), Unit::Events, counter.total() as f64);
        }
        out.scalar(
            format!("{name}.throughput"),
            Unit::PerSecond,
            if measured > 0.0 { m.processed.total() as f64 / measured } else { 0.0 },
        );
        out.latency(format!("{name}.batch_time"), &mut m.batch_time);
        let active = m.active.mean(now);
        let busy = m.busy.mean(now);
        out.scalar(format!("{name}.workers"), Unit::Requests, active);
        out.scalar(
            format!("{name}.utilization"),
            Unit::Fraction,
            if active > 0.0 { (busy / active).min(1.0) } else { 0.0 },
        );
        out.scalar(format!("{name}.queue_retries"), Unit::Requests, self.queue.retries.total() as f64);
        if let Some(target) = &self.target {
            let what = if self.lambda { "function" } else { "target" };
            out.scalar(format!("{name}.{what}_retries"), Unit::Requests, target.retries.total() as f64);
            for (cause, counter) in target.failures.by_cause() {
                out.scalar(format!("{name}.{what}_errors.{cause}"), Unit::Requests, counter.total() as f64);
            }
        }
    }

    fn instances(&self) -> Vec<InstanceInfo> {
        (0..self.workers.len()).map(|w| InstanceInfo { name: format!("worker-{w}"), az: None }).collect()
    }

    fn backlog(&self, _now: SimTime) -> Backlog {
        let target = self.target.as_ref().map(Caller::backlog).unwrap_or_default();
        Backlog { offered_load: None, arrived: 0, ..self.queue.backlog().plus(target) }
    }
}

//! AWS Lambda: a function with a concurrency limit, a pool of execution environments (cold
//! starts, idle reclamation, provisioned concurrency, SnapStart), a running time per
//! invocation and per record, a timeout, an error rate, an optional call into another
//! component, and the billed GB-seconds. Defaults and their sources are in [`LAMBDA_DOC`]
//! (`stratus describe lambda`) and on the constants re-exported here.
//!
//! # Requests
//! A function serves [`Op::Invoke`], one synchronous invocation: the event source mappings
//! of the SQS and Kinesis consumers send one per batch, with the number of records in
//! `Request::key` and the batch's bytes in `Request::size`. Workloads send reads and writes:
//! each is one invocation of one record. Any other operation is answered `invalid`.
//!
//! # Concurrency
//! The limit is `reserved_concurrency` if set, else the account's unreserved concurrency
//! (`account_concurrency`, 1,000 by default). An invocation that finds the limit's worth of
//! invocations running is refused with `throttled` at once — a synchronous Invoke's 429
//! TooManyRequestsException — and never waits: with Poisson arrivals the function is an
//! M/G/c/c loss system and the throttled share is Erlang's B(c, λ·E\[S\]), whatever the
//! distribution of S (tests/integration/lambda.rs).
//!
//! # Execution environments
//! An invocation runs in an idle environment if there is one: first a provisioned one
//! (`provisioned_concurrency` are initialized before the run and never reclaimed), then the
//! on-demand environment freed most recently. Otherwise Lambda creates one: the invocation
//! first pays a cold start (`cold_start`, lognormal by `runtime`; a SnapStart restore with
//! `snapstart`). A freed on-demand environment is reclaimed after `idle_lifetime` unused (it
//! is found expired at the next look). Environments never exceed the limit: one is created
//! only when none is idle, and at most `scaling_rate` (1,000) are created per 10 seconds — a
//! [`TokenBucket`]; an invocation that needs a new one beyond that is throttled too.
//!
//! # Running an invocation
//! After the cold start the handler runs for `duration` + `per_record` × records (× the
//! active slow faults), then, with a `target`, calls it once (`target_op`, the request's key
//! and size) through the shared [`Caller`] with the `client` policy: the call's latency adds
//! to the running time and its failure is the invocation's failure. The invocation fails with
//! probability `error_rate` after running (the handler threw; the environment stays warm).
//! An invocation whose handler runs past `timeout` (counted from the end of the cold start)
//! fails at the timeout and its environment is reset (the next invocation there starts cold);
//! a late reply of its call is ignored. A failure is answered `unavailable`; a success `ok`.
//!
//! Billed duration: init + handler time, rounded up to the millisecond (Lambda pricing; the
//! init phase is billed since 1 August 2025); GB-seconds = memory_mb/1024 × billed seconds.
//!
//! # Faults
//! A crash makes the function unavailable: invocations running are answered `unavailable`,
//! every warm environment is lost, and arrivals are answered `unavailable` until it ends
//! (provisioned environments are ready again at once). A slow fault stretches cold starts and
//! running times. Lambda runs in several AZs of a Region: when the function's AZ is lost its
//! endpoint moves to the nearest AZ that is up.

mod config;
mod doc;
mod metrics;
mod protocol;

use rand::RngExt;

use self::metrics::{End, Measures};
use self::protocol::{LambdaTimer, RAN_INTO_TIMEOUT};
use crate::blocks::caller::{CallOutcome, Caller, Host};
use crate::blocks::health::Health;
use crate::blocks::slab::Slab;
use crate::blocks::token_bucket::TokenBucket;
use crate::engine::{EventId, SimDuration, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::{BillableItem, UsageScale};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, Message, Op, Request, SpecError, Status, Timer};

pub use config::{
    COLD_START_CV, DEFAULT_ACCOUNT_CONCURRENCY, DEFAULT_IDLE_LIFETIME_SECS, DEFAULT_MEMORY_MB, DEFAULT_SCALING_RATE,
    DEFAULT_TIMEOUT, LambdaConfig, LambdaPlan, MAX_MEMORY_MB, MAX_TIMEOUT, MIN_MEMORY_MB, RUNTIMES, Runtime,
    SNAPSTART_RESTORE_SECS,
};
pub use doc::LAMBDA_DOC;

impl KindConfig for LambdaConfig {
    /// Requests per million (`<name>.invocations`: started, throttled ones are not billed) and
    /// GB-seconds (`<name>.billed_gb_seconds`: init + handler rounded up to 1 ms, times the
    /// memory), x86 prices.
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        vec![
            BillableItem::usage(
                name,
                "requests",
                format!("{name}.invocations"),
                UsageScale::Count,
                1.0,
                1e6,
                "million requests",
                "lambda.requests_million",
            ),
            BillableItem::usage(
                name,
                "compute",
                format!("{name}.billed_gb_seconds"),
                UsageScale::Count,
                1.0,
                1.0,
                "GB-seconds",
                "lambda.gb_second",
            ),
        ]
    }

    fn references(&self) -> Vec<(&'static str, &str)> {
        self.target.iter().map(|target| ("target", target.as_str())).collect()
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        LambdaConfig::dists_mut(self)
    }

    fn events_per_request(&self, _write_fraction: f64) -> f64 {
        // The request, the end of the handler's run, the reply; with a target also the
        // deadline timer (cancelled, still popped) and the target's reply.
        if self.target.is_some() { 5.0 } else { 3.0 }
    }

    // nanos_per_event: the default (a station's 100 ns) holds: on one thread (release build)
    // scenarios/lambda-concurrency.toml ran at 9.7 M events/s, scenarios/mmc-10k.toml at
    // 6.1 M/s on the same machine.

    fn capacity(&self) -> Option<f64> {
        let mean = self.duration.build().ok()?.mean() + self.per_record.secs();
        (mean > 0.0).then(|| f64::from(self.limit()) / mean)
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(Lambda::new(name, self.plan(context)?)))
    }

    /// Writes in the cold start the runtime chose, so the resolved scenario shows it.
    fn resolved(&self, context: &BuildContext<'_>, _az_names: &[String]) -> Result<Self, SpecError> {
        self.plan(context)?;
        let mut resolved = self.clone();
        resolved.cold_start.get_or_insert_with(|| self.default_cold_start());
        Ok(resolved)
    }
}

/// An invocation running (in its cold start, its handler or its call to the target).
#[derive(Copy, Clone, Debug)]
struct Invocation {
    request: Request,
    arrived: SimTime,
    /// Its cold start (zero when warm).
    init: SimDuration,
    /// When its handler started (after the cold start).
    run_start: SimTime,
    /// It runs in a provisioned environment.
    provisioned: bool,
    generation: u32,
    /// Its pending RunDone or Deadline timer.
    timer: Option<EventId>,
}

/// A running Lambda function.
pub struct Lambda {
    name: String,
    plan: LambdaPlan,
    running: Slab<Invocation>,
    /// Idle on-demand environments by the time each will be reclaimed, the one freed last at
    /// the end (taken first).
    idle: Vec<SimTime>,
    provisioned_idle: u32,
    next_generation: u32,
    /// Calls to the target; the user datum is the invocation's slot and generation.
    caller: Option<Caller<u64>>,
    target_op: Op,
    health: Health,
    /// New environments the function may still create (`scaling_rate` per 10 s).
    scaling: TokenBucket,
    /// The AZ the function is placed in (its endpoint moves while that AZ is lost).
    home_az: u16,
    m: Measures,
}

impl Lambda {
    /// Builds the function from a checked plan.
    pub fn new(name: &str, plan: LambdaPlan) -> Self {
        let (caller, target_op) = match &plan.target {
            Some((id, op, policy)) => {
                (Some(Caller::new(policy.clone(), *id, LambdaTimer::CallTimeout, LambdaTimer::CallRetry)), *op)
            }
            None => (None, Op::Write),
        };
        Lambda {
            name: name.to_string(),
            running: Slab::new(),
            idle: Vec::with_capacity(plan.limit.min(4096) as usize),
            provisioned_idle: plan.provisioned,
            next_generation: 0,
            caller,
            target_op,
            health: Health::default(),
            scaling: TokenBucket::new(f64::from(plan.scaling_rate) / 10.0, f64::from(plan.scaling_rate)),
            home_az: 0,
            m: Measures::default(),
            plan,
        }
    }

    /// An environment for a new invocation at `now`: (cold start, provisioned); None if a
    /// new one is needed and the scaling rate allows none now.
    fn take_environment(&mut self, now: SimTime, ctx: &mut Ctx<'_>) -> Option<(SimDuration, bool)> {
        if self.provisioned_idle > 0 {
            self.provisioned_idle -= 1;
            return Some((SimDuration::ZERO, true));
        }
        while let Some(reclaim_at) = self.idle.pop() {
            if reclaim_at > now {
                return Some((SimDuration::ZERO, false));
            }
            self.m.reclaimed.incr();
        }
        if !self.scaling.try_take(now, 1.0) {
            return None;
        }
        let mut init = self.plan.init.sample_duration(ctx.rng);
        if self.health.slow_factor() != 1.0 {
            init = init.mul_f64(self.health.slow_factor());
        }
        Some((init.max(SimDuration::from_nanos(1)), false))
    }

    fn on_request(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        let records = match request.op {
            Op::Invoke => request.key,
            Op::Write | Op::Read => 1,
            _ => {
                self.m.invalid.incr();
                ctx.reply(request, Status::Invalid);
                return;
            }
        };
        if self.health.is_crashed() {
            self.m.unavailable.incr();
            ctx.reply(request, Status::Unavailable);
            return;
        }
        if self.running.len() as u64 >= u64::from(self.plan.limit) {
            self.m.throttles.incr();
            ctx.reply(request, Status::Throttled);
            return;
        }
        let now = ctx.now();
        let Some((init, provisioned)) = self.take_environment(now, ctx) else {
            self.m.throttles.incr();
            self.m.scaling_throttles.incr();
            ctx.reply(request, Status::Throttled);
            return;
        };
        let per_record = SimDuration(self.plan.per_record.as_nanos().saturating_mul(records));
        let mut run = self.plan.duration.sample_duration(ctx.rng) + per_record;
        if self.health.slow_factor() != 1.0 {
            run = run.mul_f64(self.health.slow_factor());
        }
        let ran_into_timeout = run > self.plan.timeout;
        let run = if ran_into_timeout { self.plan.timeout } else { run };
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        let slot = self.running.next_slot();
        let timer = Timer::new(LambdaTimer::RunDone, slot, u64::from(ran_into_timeout) * RAN_INTO_TIMEOUT);
        let id = ctx.timer(init + run, timer.tagged(generation));
        self.running.insert(Invocation {
            request,
            arrived: now,
            init,
            run_start: now + init,
            provisioned,
            generation,
            timer: Some(id),
        });
        self.m.started(now, init, self.running.len());
    }

    /// The invocation in `slot` if it is still the one of `generation`.
    fn current(&mut self, slot: u32, generation: u32) -> Option<&mut Invocation> {
        self.running.get_mut(slot).filter(|invocation| invocation.generation == generation)
    }

    /// True if the handler throws (probability `error_rate`).
    fn throws(&self, ctx: &mut Ctx<'_>) -> bool {
        self.plan.error_rate > 0.0 && ctx.rng.random::<f64>() < self.plan.error_rate
    }

    fn on_run_done(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let timeout = self.plan.timeout;
        let Some(invocation) = self.current(timer.slot, timer.tag) else { return };
        invocation.timer = None;
        if timer.data == RAN_INTO_TIMEOUT {
            self.finish(timer.slot, End::Timeout, ctx);
            return;
        }
        let (request, deadline_at) = (invocation.request, invocation.run_start + timeout);
        if self.caller.is_some() {
            let remaining = deadline_at.saturating_since(ctx.now());
            let deadline = Timer::new(LambdaTimer::Deadline, timer.slot, 0).tagged(timer.tag);
            let id = ctx.timer(remaining, deadline);
            if let Some(invocation) = self.current(timer.slot, timer.tag) {
                invocation.timer = Some(id);
            }
            let user = u64::from(timer.slot) | (u64::from(timer.tag) << 32);
            let op = self.target_op;
            if let Some(caller) = self.caller.as_mut() {
                caller.call(op, request.key, request.size, Host::ByRequest, user, ctx);
            }
        } else {
            let end = if self.throws(ctx) { End::Error } else { End::Ok };
            self.finish(timer.slot, end, ctx);
        }
    }

    /// The call to the target ended.
    fn on_call_outcome(&mut self, outcome: CallOutcome<u64>, ctx: &mut Ctx<'_>) {
        let (user, succeeded) = match outcome {
            CallOutcome::Succeeded { user, .. } => (user, true),
            CallOutcome::Failed { user, .. } => (user, false),
        };
        let (slot, generation) = (user as u32, (user >> 32) as u32);
        if self.current(slot, generation).is_none() {
            return; // The invocation already ended (timeout, crash): a late outcome.
        }
        let end = if !succeeded {
            End::TargetFailed
        } else if self.throws(ctx) {
            End::Error
        } else {
            End::Ok
        };
        self.finish(slot, end, ctx);
    }

    /// Ends the invocation in `slot`: measures and bills it, returns its environment to the
    /// pool (unless a timeout reset it) and answers the client.
    fn finish(&mut self, slot: u32, end: End, ctx: &mut Ctx<'_>) {
        let Some(invocation) = self.running.remove(slot) else { return };
        if let Some(timer) = invocation.timer {
            ctx.cancel(timer);
        }
        let now = ctx.now();
        let handler = now.saturating_since(invocation.run_start);
        self.m.ended(now, invocation.arrived, invocation.init, handler, end, self.plan.memory_mb, self.running.len());
        if end == End::Timeout && !invocation.provisioned {
            self.m.resets.incr(); // Lambda resets the environment: it is not reused warm.
        } else if invocation.provisioned {
            self.provisioned_idle += 1;
        } else {
            let lifetime = self.plan.idle_lifetime.sample_duration(ctx.rng);
            self.idle.push(now + lifetime);
        }
        let status = if end == End::Ok { Status::Ok } else { Status::Unavailable };
        ctx.reply(invocation.request, status);
    }

    fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        match timer.kind_as::<LambdaTimer>() {
            Some(LambdaTimer::RunDone) => self.on_run_done(timer, ctx),
            Some(LambdaTimer::Deadline) => {
                if let Some(invocation) = self.current(timer.slot, timer.tag) {
                    invocation.timer = None;
                    self.finish(timer.slot, End::Timeout, ctx);
                }
            }
            Some(LambdaTimer::CallTimeout) => {
                let outcome = self.caller.as_mut().and_then(|caller| caller.on_timeout(timer, ctx));
                if let Some(outcome) = outcome {
                    self.on_call_outcome(outcome, ctx);
                }
            }
            Some(LambdaTimer::CallRetry) => {
                if let Some(caller) = self.caller.as_mut() {
                    caller.on_retry(timer, ctx);
                }
            }
            None => {}
        }
    }

    fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        match signal.action {
            FaultAction::Crash { .. } => {
                let was_down = self.health.is_crashed();
                let down = self.health.crash(signal.active);
                if down && !was_down {
                    self.crash(ctx);
                } else if was_down && !down {
                    self.provisioned_idle = self.plan.provisioned;
                }
            }
            FaultAction::Slow { factor, .. } => {
                self.health.slow(factor, signal.active);
            }
            FaultAction::AzOutage { .. } => self.place_endpoint(ctx),
            FaultAction::Partition { .. } => {}
        }
    }

    /// The function becomes unavailable: invocations running fail, warm environments are lost.
    fn crash(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let m = &mut self.m;
        self.running.remove_where(
            |_| true,
            |invocation| {
                if let Some(timer) = invocation.timer {
                    ctx.cancel(timer);
                }
                m.lost_in_flight.incr();
                ctx.reply(invocation.request, Status::Unavailable);
            },
        );
        self.m.concurrency.set(now, 0.0);
        self.m.reclaimed.add(self.idle.len() as u64);
        self.idle.clear();
        self.provisioned_idle = 0;
    }

    /// Lambda runs in several AZs: while the function's own AZ is down its endpoint is the
    /// nearest AZ that is up (the same Region's, by the topology's delays).
    fn place_endpoint(&mut self, ctx: &mut Ctx<'_>) {
        let home = self.home_az;
        let network = ctx.network();
        let az = if !network.az_is_down(home) {
            home
        } else {
            let count = network.az_count() as u16;
            match (0..count)
                .filter(|&az| az != home && !network.az_is_down(az))
                .min_by_key(|&az| network.mean_delay_between(home, az))
            {
                Some(az) => az,
                None => return,
            }
        };
        ctx.move_endpoint(az);
    }

    /// Environments alive at `now` (running, idle, provisioned idle); forgets reclaimed ones.
    fn environments(&mut self, now: SimTime) -> usize {
        let before = self.idle.len();
        self.idle.retain(|&reclaim_at| reclaim_at > now);
        self.m.reclaimed.add((before - self.idle.len()) as u64);
        self.running.len() + self.idle.len() + self.provisioned_idle as usize
    }
}

impl Component for Lambda {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.home_az = ctx.network().az_of(ctx.me());
        if let Some(caller) = self.caller.as_mut() {
            caller.start(ctx.rng);
        }
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Timer(timer) => self.on_timer(timer, ctx),
            Message::Reply(reply) => {
                let outcome = self.caller.as_mut().and_then(|caller| caller.on_reply(reply, ctx));
                if let Some(outcome) = outcome {
                    self.on_call_outcome(outcome, ctx);
                }
            }
            Message::Fault(signal) => self.on_fault(signal, ctx),
            Message::Internal(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.m.begin(now, self.running.len());
        if let Some(caller) = self.caller.as_mut() {
            caller.retries.reset();
            caller.failures.reset();
        }
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.m.declare_series(&self.name, names);
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let environments = self.environments(now);
        self.m.sample(now, interval, environments, self.running.len(), out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        let environments = self.environments(now);
        let caller = self.caller.as_ref().map(|caller| (caller.retries.total(), caller.failures.total()));
        self.m.report(&self.name, now, environments, caller, out);
    }

    fn backlog(&self, _now: SimTime) -> Backlog {
        let own = Backlog {
            held: self.running.len() as u64,
            bytes: self.running.footprint() + Backlog::bytes_of::<SimTime>(self.idle.capacity()),
            ..Backlog::default()
        };
        match &self.caller {
            Some(caller) => own.plus(caller.backlog()),
            None => own,
        }
    }
}

#[cfg(test)]
mod tests;

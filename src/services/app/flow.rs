//! A request's path through the tier: the balancer's pick, the CPU stage on an instance,
//! then the flow's steps, each a call through the target's [`Caller`](crate::blocks::caller::Caller),
//! and the reply.

use super::{App, AppTimer, Flow, State};
use crate::blocks::caller::{CallOutcome, Host};
use crate::blocks::station::{Admission, Departure};
use crate::model::{Ctx, Request, Status, Timer};

/// The caller's datum for a step: the flow's slot and generation.
#[inline]
fn user(slot: u32, generation: u32) -> u64 {
    u64::from(slot) | (u64::from(generation) << 32)
}

/// The flow slot and generation of a caller's datum.
#[inline]
fn unpack(user: u64) -> (u32, u32) {
    (user as u32, (user >> 32) as u32)
}

/// The status a client gets when a step fails with `status`: a timeout stays a timeout
/// (a 504 from the application), anything else is the application's failure (a 5xx).
fn reply_status(status: Status) -> Status {
    match status {
        Status::TimedOut => Status::TimedOut,
        Status::Rejected | Status::Throttled | Status::Unavailable | Status::Invalid | Status::Ok => {
            Status::Unavailable
        }
    }
}

impl App {
    /// A client's request reaches the balancer.
    pub(super) fn on_request(&mut self, mut request: Request, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        request.arrived = now;
        self.m.requests.incr();
        let read = request.op.is_read();
        let Some(i) = self.pick(ctx) else {
            self.m.lb_503.incr();
            self.m.ended(read, Status::Unavailable, crate::engine::SimDuration::ZERO);
            ctx.reply(request, Status::Unavailable);
            return;
        };
        self.m.per_instance[i].incr();
        if !self.alive(i, ctx) {
            // Registered and not yet found unhealthy: the balancer cannot connect.
            // It counts as outstanding there (least-outstanding balancing sees it).
            self.m.lb_504.incr();
            self.instances[i].outstanding += 1;
            let slot = self.connecting.insert((request, i as u16));
            ctx.timer(self.plan.connect_timeout, Timer::new(AppTimer::ConnectTimeout, slot, 0));
            return;
        }
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        let slot = self.flows.insert(Flow {
            request,
            arrived: now,
            instance: i as u16,
            step: u8::MAX,
            step_started: now,
            read,
            generation,
        });
        let instance = &mut self.instances[i];
        instance.outstanding += 1;
        let admission = instance.pool.arrive(Request { token: user(slot, generation), ..request }, ctx);
        match admission {
            Admission::Started | Admission::Queued => self.track_busy(i, now),
            Admission::Rejected => {
                self.m.rejected.incr();
                self.finish(slot, Status::Rejected, ctx);
            }
            Admission::Lost => self.finish(slot, Status::Unavailable, ctx),
            Admission::Abandoned => {
                // The client had given up: dropped without a reply.
                self.flows.remove(slot);
                self.instances[i].outstanding -= 1;
            }
        }
    }

    /// A request's CPU time ended on an instance: its flow starts.
    pub(super) fn on_cpu_done(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let i = timer.data as usize;
        let Some(instance) = self.instances.get_mut(i) else { return };
        let departed = instance.pool.depart(timer, ctx);
        let now = ctx.now();
        self.track_busy(i, now);
        let Some(Departure::Request(request)) = departed else { return };
        let (slot, generation) = unpack(request.token);
        let Some(flow) = self.flows.get(slot).filter(|f| f.generation == generation) else { return };
        self.m.cpu_stage.record(now - flow.arrived);
        self.start_step(slot, 0, ctx);
    }

    /// Runs step `k` of flow `slot`, or replies if the flow is done.
    fn start_step(&mut self, slot: u32, k: usize, ctx: &mut Ctx<'_>) {
        let Some(flow) = self.flows.get_mut(slot) else { return };
        let steps = if flow.read { &self.plan.reads } else { &self.plan.writes };
        let Some(step) = steps.get(k) else {
            self.finish(slot, Status::Ok, ctx);
            return;
        };
        flow.step = k as u8;
        flow.step_started = ctx.now();
        let request = flow.request;
        let op = step.op.unwrap_or(request.op);
        let datum = user(slot, flow.generation);
        self.callers[step.target as usize].call(op, request.key, request.size, Host::ByRequest, datum, ctx);
    }

    /// A step's call ended.
    pub(super) fn on_outcome(&mut self, outcome: CallOutcome<u64>, ctx: &mut Ctx<'_>) {
        let (datum, failure) = match outcome {
            CallOutcome::Succeeded { user, .. } => (user, None),
            CallOutcome::Failed { user, status, .. } => (user, Some(status)),
        };
        let (slot, generation) = unpack(datum);
        let Some(flow) = self.flows.get(slot).filter(|f| f.generation == generation) else { return };
        let k = flow.step as usize;
        let now = ctx.now();
        let (steps, measures) = if flow.read {
            (&self.plan.reads, &mut self.m.read_steps)
        } else {
            (&self.plan.writes, &mut self.m.write_steps)
        };
        let (Some(step), Some(measure)) = (steps.get(k), measures.get_mut(k)) else { return };
        match failure {
            None => {
                measure.latency.record(now - flow.step_started);
                self.start_step(slot, k + 1, ctx);
            }
            Some(status) => {
                measure.failures[super::metrics::cause_index(status)].incr();
                if step.optional {
                    self.start_step(slot, k + 1, ctx);
                } else {
                    self.finish(slot, reply_status(status), ctx);
                }
            }
        }
    }

    /// Flow `slot` ends with `status`: the client gets the reply.
    fn finish(&mut self, slot: u32, status: Status, ctx: &mut Ctx<'_>) {
        let Some(flow) = self.flows.remove(slot) else { return };
        let instance = &mut self.instances[flow.instance as usize];
        instance.outstanding = instance.outstanding.saturating_sub(1);
        if instance.state == State::Off && instance.outstanding == 0 {
            // A scaled-in instance has drained.
            instance.pool.crash(ctx);
        }
        self.m.ended(flow.read, status, ctx.now() - flow.arrived);
        ctx.reply(flow.request, status);
    }
}

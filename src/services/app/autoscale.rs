//! Autoscaling by target tracking on mean CPU utilization, as EC2 Auto Scaling does it (ASG
//! target tracking; defaults and sources in `config`):
//!
//! - Every [`METRIC_PERIOD`] (60 s, CloudWatch's 1-minute datapoints) the scaler reads the
//!   mean CPU utilization of the healthy instances in service over the period: busy workers
//!   over `workers` × those instances.
//! - After [`SCALE_OUT_PERIODS`] consecutive periods above `target` (the policy's high alarm),
//!   it sets the capacity to ceil(healthy × utilization / target), at most `max`; the
//!   instances still warming up count towards it, so a period later it adds only what is
//!   still missing. A launched instance serves after `warmup` (launch, boot and registration:
//!   its metrics do not count before).
//! - After [`SCALE_IN_PERIODS`] consecutive periods below `target` (the low alarm), and at
//!   least `cooldown` after the last scaling activity, it removes instances down to
//!   max(min, ceil(healthy × utilization / target)), the highest-numbered first. A removed
//!   instance is deregistered at once and finishes what it holds.
//!
//! Simplification: the low alarm's threshold is the target itself (AWS sets it a little
//! below, so that the policy does not flap).

use super::config::{METRIC_PERIOD, SCALE_IN_PERIODS, SCALE_OUT_PERIODS, Scaling};
use super::{App, AppTimer, State};
use crate::engine::SimTime;
use crate::metrics::TimeWeighted;
use crate::model::{Ctx, Timer};

/// The scaler's state.
pub(super) struct Scaler {
    policy: Option<Scaling>,
    above: u32,
    below: u32,
    last_activity: SimTime,
    /// Busy workers over every instance (its interval mean is the period's).
    pub(super) busy: TimeWeighted,
}

impl Scaler {
    pub(super) fn new(policy: Option<Scaling>) -> Self {
        Scaler { policy, above: 0, below: 0, last_activity: SimTime::ZERO, busy: TimeWeighted::new() }
    }

    pub(super) fn enabled(&self) -> bool {
        self.policy.is_some()
    }
}

impl App {
    /// The scaler reads the last period's utilization and acts on it.
    pub(super) fn on_scale_tick(&mut self, ctx: &mut Ctx<'_>) {
        let Some(policy) = self.scaler.policy.clone() else { return };
        ctx.timer(METRIC_PERIOD, Timer::new(AppTimer::ScaleTick, 0, 0));
        let now = ctx.now();
        let busy = self.scaler.busy.interval_mean(now);
        let in_service = self.instances.iter().filter(|i| i.state == State::InService).count() as u32;
        let warming = self.instances.iter().filter(|i| i.state == State::Warming).count() as u32;
        // The metric is the mean over the instances reporting it: the healthy ones.
        let healthy = self.routable.len() as u32;
        if healthy == 0 {
            return;
        }
        let utilization = busy / (f64::from(healthy) * f64::from(self.plan.workers));
        if utilization > policy.target {
            self.scaler.above += 1;
            self.scaler.below = 0;
        } else if utilization < policy.target {
            self.scaler.below += 1;
            self.scaler.above = 0;
        }
        let wanted = (f64::from(healthy) * utilization / policy.target).ceil() as u32;
        if self.scaler.above >= SCALE_OUT_PERIODS {
            let wanted = wanted.min(policy.max);
            let launch = wanted.saturating_sub(in_service + warming);
            if launch > 0 {
                self.m.scale_outs.incr();
                self.scaler.last_activity = now;
                for _ in 0..launch {
                    self.launch(policy.warmup, ctx);
                }
            }
        } else if self.scaler.below >= SCALE_IN_PERIODS
            && warming == 0
            && now.saturating_since(self.scaler.last_activity) >= policy.cooldown
        {
            let wanted = wanted.max(policy.min);
            if wanted < in_service {
                self.m.scale_ins.incr();
                self.scaler.last_activity = now;
                self.scaler.below = 0;
                let mut remove = in_service - wanted;
                for i in (0..self.instances.len()).rev() {
                    if remove == 0 {
                        break;
                    }
                    if self.instances[i].state == State::InService {
                        self.retire(i, ctx);
                        remove -= 1;
                    }
                }
                self.reroute(now);
            }
        }
    }

    /// Launches an instance in the lowest free slot; it serves after `warmup`.
    fn launch(&mut self, warmup: crate::engine::SimDuration, ctx: &mut Ctx<'_>) {
        let Some(i) = self.instances.iter().position(|i| i.state == State::Off && i.outstanding == 0) else { return };
        let instance = &mut self.instances[i];
        instance.state = State::Warming;
        instance.launch = instance.launch.wrapping_add(1);
        self.m.launches.incr();
        ctx.timer(warmup, Timer::new(AppTimer::Warmed, 0, i as u64).tagged(instance.launch));
    }

    /// A launched instance finished its warm-up: it registers with the balancer.
    pub(super) fn on_warmed(&mut self, i: usize, launch: u32, ctx: &mut Ctx<'_>) {
        let Some(instance) = self.instances.get_mut(i) else { return };
        if instance.state != State::Warming || instance.launch != launch {
            return;
        }
        instance.state = State::InService;
        instance.fails = 0;
        instance.successes = 0;
        instance.died_at = None;
        let up = self.alive(i, ctx);
        let instance = &mut self.instances[i];
        if up && !instance.pool.is_up() {
            instance.pool.recover();
        }
        instance.lb_healthy = up;
        self.reroute(ctx.now());
    }

    /// Scales instance `i` in: deregistered now, its pool stops once its requests are done.
    fn retire(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let instance = &mut self.instances[i];
        instance.state = State::Off;
        instance.lb_healthy = false;
        instance.died_at = None;
        if instance.outstanding == 0 {
            instance.pool.crash(ctx);
        }
    }
}

//! Sizing a consumer: target tracking on the backlog per worker (workers mode, like an Auto
//! Scaling group on ApproximateNumberOfMessagesVisible / workers: out at once to the desired
//! count, in by at most a tenth of the workers per action), and the Lambda event source
//! mapping's poller scaling (5 concurrent batches at start, up to 300 more per minute while
//! messages are waiting — a second in which at least half the receives came back full —, at
//! most `max_concurrency`; a poller whose receive comes back empty or
//! whose invocation is throttled retires, down to the initial 5).

use super::config::{LAMBDA_SCALE_PER_MINUTE, Sizing};
use super::consumer::{Consumer, Phase, SCALER};
use crate::blocks::caller::Host;
use crate::engine::{SimDuration, SimTime};
use crate::model::{Ctx, Op, Timer};

use super::protocol::ConsumerTimer;

/// How often the Lambda mapping adds pollers: every second, 300/60 = 5 at a time, so up to
/// 300 per minute (Lambda DG, SQS scaling).
pub(super) const LAMBDA_EVALUATION: SimDuration = SimDuration::from_secs(1);

impl Consumer {
    /// The scaling timer fired.
    pub(super) fn evaluate(&mut self, ctx: &mut Ctx<'_>) {
        match self.plan.sizing {
            Sizing::Fixed => {}
            Sizing::Autoscaled { interval, .. } => {
                // Read ApproximateNumberOfMessagesVisible (GetQueueAttributes); the answer
                // drives the decision.
                self.queue.call(Op::Get, 0, 0, Host::Client(0), SCALER, ctx);
                ctx.timer(interval, Timer::new(ConsumerTimer::Scale, 0, 0));
            }
            Sizing::Lambda => {
                if self.window_receives > 0 && 2 * self.window_full >= self.window_receives {
                    let step = LAMBDA_SCALE_PER_MINUTE / 60;
                    self.activate(step, ctx);
                }
                self.window_full = 0;
                self.window_receives = 0;
                ctx.timer(LAMBDA_EVALUATION, Timer::new(ConsumerTimer::Scale, 0, 0));
            }
        }
    }

    /// Target tracking: the queue reported `visible` messages.
    pub(super) fn scale_to_backlog(&mut self, visible: u64, ctx: &mut Ctx<'_>) {
        let Sizing::Autoscaled { target, min, delay, cooldown, .. } = self.plan.sizing else { return };
        let now = ctx.now();
        if self.last_scaling.is_some_and(|last| now < last + cooldown) {
            return;
        }
        let desired = ((visible as f64 / target).ceil() as u64).clamp(u64::from(min), u64::from(self.plan.max)) as u32;
        let current = self.active_count + self.launching;
        if desired > current {
            let more = desired - current;
            self.launching += more;
            self.m.scale_outs.incr();
            self.last_scaling = Some(now);
            ctx.timer(delay, Timer::new(ConsumerTimer::WorkersReady, 0, u64::from(more)));
        } else if desired < self.active_count && self.launching == 0 {
            // Scale in gradually: at most a tenth of the workers (at least one) per action,
            // as target tracking does ("scales in more gradually", EC2 Auto Scaling UG).
            let mut fewer = (self.active_count - desired).min((self.active_count / 10).max(1));
            self.m.scale_ins.incr();
            self.last_scaling = Some(now);
            for w in (0..self.workers.len()).rev() {
                if fewer == 0 {
                    break;
                }
                if self.workers[w].active {
                    self.deactivate(w, now);
                    fewer -= 1;
                }
            }
        }
    }

    /// Launched workers are ready.
    pub(super) fn workers_ready(&mut self, count: u32, ctx: &mut Ctx<'_>) {
        self.launching = self.launching.saturating_sub(count);
        self.activate(count, ctx);
    }

    /// Activates up to `count` inactive workers, lowest index first; those idle start polling.
    fn activate(&mut self, mut count: u32, ctx: &mut Ctx<'_>) {
        for w in 0..self.workers.len() {
            if count == 0 {
                return;
            }
            if !self.workers[w].active {
                self.set_active(w, true, ctx.now());
                count -= 1;
                if self.workers[w].phase == Phase::Stopped {
                    self.receive(w, ctx);
                }
            }
        }
    }

    /// Worker `w` is no longer wanted: it stops now if idle, or after its current work.
    fn deactivate(&mut self, w: usize, now: SimTime) {
        self.set_active(w, false, now);
        if self.workers[w].phase == Phase::Pausing {
            self.workers[w].phase = Phase::Stopped;
        }
    }

    /// A Lambda poller found nothing or was throttled: it retires, down to the initial count.
    pub(super) fn retire_poller(&mut self, w: usize, now: SimTime) {
        if self.active_count > self.plan.initial && self.workers[w].active {
            self.deactivate(w, now);
        }
    }
}

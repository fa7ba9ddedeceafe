//! The worker loop: ReceiveMessage → process each message (a processing time, then a call to
//! the target if there is one) → DeleteMessage(Batch) of those that succeeded → receive
//! again; in lambda mode, one invocation of the function per batch instead of the per-message
//! work. Messages that failed (poisoned, or their call failed) are not deleted: the queue
//! delivers them again after the visibility timeout.

use super::consumer::{Consumer, Phase, user};
use super::protocol::{
    CHANGE_VISIBILITY, ConsumerTimer, MESSAGE_MASK, Receipt, change_visibility_fields, delete_fields, receive_fields,
};
use crate::blocks::caller::Host;
use crate::engine::SimDuration;
use crate::model::{Ctx, Op, Reply, Request, Status, Timer};

impl Consumer {
    /// Worker `w` polls the queue, or stops if it is no longer wanted.
    pub(super) fn receive(&mut self, w: usize, ctx: &mut Ctx<'_>) {
        let worker = &mut self.workers[w];
        if worker.health.is_crashed() {
            return;
        }
        if !worker.active {
            worker.phase = Phase::Stopped;
            return;
        }
        worker.phase = Phase::Receiving;
        let data = user(w, worker.incarnation);
        let (key, size) = receive_fields(self.plan.max_messages, self.plan.wait_ms);
        self.queue.call(Op::Receive, key, size, Host::Client(w as u32), data, ctx);
    }

    /// A call of worker `w` to the queue ended (`reply` if it succeeded).
    pub(super) fn queue_call_ended(&mut self, w: usize, request: Request, reply: Option<Reply>, ctx: &mut Ctx<'_>) {
        match request.op {
            Op::Receive if self.workers[w].phase == Phase::Receiving => match reply {
                Some(reply) if reply.count > 0 => self.start_batch(w, reply, ctx),
                Some(_) => {
                    self.m.empty_receives.incr();
                    self.empty(w, ctx);
                }
                None => {
                    self.m.receive_errors.incr();
                    self.empty(w, ctx);
                }
            },
            Op::Delete if request.size & CHANGE_VISIBILITY == 0 && self.workers[w].phase == Phase::Deleting => {
                if reply.is_none() {
                    self.m.delete_errors.incr(); // The messages come back after their timeout.
                }
                self.set_busy(ctx.now(), -1);
                self.receive(w, ctx);
            }
            _ => {} // A visibility extension's answer, or a call of an earlier phase.
        }
    }

    /// Worker `w`'s receive brought nothing: pause (a Lambda poller may be retired), then poll.
    fn empty(&mut self, w: usize, ctx: &mut Ctx<'_>) {
        if self.lambda {
            self.window_receives += 1;
            self.retire_poller(w, ctx.now());
        }
        self.pause(w, self.plan.empty_pause, ctx);
    }

    /// Worker `w` waits `pause` before polling again (at once if zero), or stops if it is no
    /// longer wanted.
    fn pause(&mut self, w: usize, pause: SimDuration, ctx: &mut Ctx<'_>) {
        let worker = &mut self.workers[w];
        if !worker.active {
            worker.phase = Phase::Stopped;
            return;
        }
        if pause == SimDuration::ZERO {
            self.receive(w, ctx);
        } else {
            worker.phase = Phase::Pausing;
            let timer = Timer::new(ConsumerTimer::PollAgain, w as u32, 0).tagged(worker.incarnation);
            ctx.timer(pause, timer);
        }
    }

    /// Worker `w` received a batch.
    fn start_batch(&mut self, w: usize, reply: Reply, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let receipt = Receipt::from_tag(reply.tag);
        let worker = &mut self.workers[w];
        worker.receipt = reply.tag;
        worker.count = reply.count.min(10) as u8;
        worker.poison = receipt.poison;
        worker.next = 0;
        worker.done = 0;
        worker.received = now;
        let incarnation = worker.incarnation;
        self.m.batches.incr();
        self.window_receives += 1;
        if reply.count >= self.plan.max_messages {
            self.window_full += 1; // A full batch: messages are waiting.
        }
        self.set_busy(now, 1);
        if let Some((every, _)) = self.plan.heartbeat {
            ctx.timer(every, Timer::new(ConsumerTimer::Heartbeat, w as u32, reply.tag).tagged(incarnation));
        }
        if self.lambda {
            let worker = &mut self.workers[w];
            worker.phase = Phase::Calling;
            let bytes = (u64::from(receipt.size_units) * Receipt::SIZE_UNIT).min(u64::from(u32::MAX)) as u32;
            let count = u64::from(worker.count);
            if let Some(function) = self.target.as_mut() {
                function.call(Op::Invoke, count, bytes, Host::Client(w as u32), user(w, incarnation), ctx);
            }
        } else {
            self.process_next(w, ctx);
        }
    }

    /// Worker `w` starts on the next message of its batch, or deletes what succeeded. Without
    /// a target the messages are processed one after another with nothing in between, so the
    /// rest of the batch takes one timer for the sum of their processing times (the same
    /// outcome as one timer each, at a tenth of the events for batches of 10).
    fn process_next(&mut self, w: usize, ctx: &mut Ctx<'_>) {
        let worker = &mut self.workers[w];
        if worker.next >= worker.count {
            self.finish_batch(w, ctx);
            return;
        }
        worker.phase = Phase::Processing;
        let timer = Timer::new(ConsumerTimer::Processed, w as u32, 0).tagged(worker.incarnation);
        let messages = if self.target.is_some() { 1 } else { worker.count - worker.next };
        let mut time = SimDuration::ZERO;
        for _ in 0..messages {
            time += self.plan.process.sample_duration(ctx.rng);
        }
        let slow = worker.health.slow_factor();
        ctx.timer(if slow == 1.0 { time } else { time.mul_f64(slow) }, timer);
    }

    /// Worker `w` finished the processing time of message `next` (with a target), or of the
    /// rest of its batch (without).
    pub(super) fn processed_one(&mut self, w: usize, ctx: &mut Ctx<'_>) {
        if self.target.is_none() {
            let worker = &mut self.workers[w];
            let rest = ((1u32 << worker.count) - (1u32 << worker.next)) as u16;
            let poisoned = u64::from((rest & worker.poison).count_ones());
            let ok = rest & !worker.poison;
            worker.done |= ok;
            worker.next = worker.count;
            // A poisoned message throws every time: it is not deleted.
            self.m.failed.add(poisoned);
            self.m.poisoned.add(poisoned);
            self.m.processed.add(u64::from(ok.count_ones()));
            self.finish_batch(w, ctx);
            return;
        }
        let worker = &mut self.workers[w];
        let bit = 1u16 << worker.next;
        if worker.poison & bit != 0 {
            self.m.failed.incr();
            self.m.poisoned.incr();
            worker.next += 1;
            self.process_next(w, ctx);
            return;
        }
        let Some(target) = self.target.as_mut() else { return };
        worker.phase = Phase::Calling;
        // The call's key: a number derived from the receipt and the message's place in the
        // batch (the consumer does not see message keys).
        let key = worker.receipt.rotate_left(7) ^ u64::from(worker.next);
        let data = user(w, worker.incarnation);
        target.call(self.plan.target_op, key, 0, Host::Client(w as u32), data, ctx);
    }

    /// Worker `w`'s call to the target (per message) or the function (per batch) ended.
    pub(super) fn target_call_ended(&mut self, w: usize, ok: bool, status: Status, ctx: &mut Ctx<'_>) {
        if self.lambda {
            let worker = &mut self.workers[w];
            let count = u64::from(worker.count);
            if ok && worker.poison == 0 {
                worker.done = ((1u32 << worker.count) - 1) as u16;
                self.m.processed.add(count);
            } else {
                // The batch failed: the function threw on a poisoned message, errored, or was
                // throttled past the retries; the whole batch comes back after its timeout.
                self.m.failed.add(count);
                self.m.poisoned.add(u64::from((worker.poison & MESSAGE_MASK as u16).count_ones()));
                if status == Status::Throttled {
                    // Over the function's concurrency: this poller retires (down to the
                    // initial 5), and if it stays it backs off before polling again.
                    self.m.throttled.incr();
                    self.retire_poller(w, ctx.now());
                    let now = ctx.now();
                    let worker = &mut self.workers[w];
                    self.m.batch_time.record(now.saturating_since(worker.received));
                    self.set_busy(now, -1);
                    self.pause(w, self.plan.client.backoff(1, ctx.rng), ctx);
                    return;
                }
            }
            self.finish_batch(w, ctx);
            return;
        }
        let worker = &mut self.workers[w];
        if ok {
            worker.done |= 1 << worker.next;
            self.m.processed.incr();
        } else {
            self.m.failed.incr();
        }
        worker.next += 1;
        self.process_next(w, ctx);
    }

    /// Worker `w` is through its batch: delete what succeeded, then poll again.
    fn finish_batch(&mut self, w: usize, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let worker = &mut self.workers[w];
        self.m.batch_time.record(now.saturating_since(worker.received));
        if worker.done == 0 {
            self.set_busy(now, -1);
            self.receive(w, ctx);
            return;
        }
        worker.phase = Phase::Deleting;
        let (key, size) = delete_fields(worker.receipt, worker.done);
        let data = user(w, worker.incarnation);
        self.queue.call(Op::Delete, key, size, Host::Client(w as u32), data, ctx);
    }

    /// A heartbeat of a worker holding a batch: extend its visibility (ChangeMessageVisibility).
    pub(super) fn heartbeat(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let w = timer.slot as usize;
        let Some((every, extension)) = self.plan.heartbeat else { return };
        let Some(worker) = self.workers.get(w) else { return };
        let holding = matches!(worker.phase, Phase::Processing | Phase::Calling);
        if worker.incarnation != timer.tag || !holding || worker.receipt != timer.data {
            return;
        }
        let remaining = !worker.done & ((1u32 << worker.count) - 1) as u16;
        let secs = extension.as_secs_f64().ceil() as u32;
        let (key, size) = change_visibility_fields(worker.receipt, remaining, secs);
        let data = user(w, worker.incarnation);
        self.queue.call(Op::Delete, key, size, Host::Client(w as u32), data, ctx);
        ctx.timer(every, timer);
    }
}

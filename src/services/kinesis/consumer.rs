//! The consumer component (`kind = "kinesis_consumer"`): a KCL application (`mode =
//! "workers"`) or a Lambda event source mapping (`mode = "lambda"`) reading every shard of one
//! stream, by shared-throughput polling or enhanced fan-out.
//!
//! Each shard has its own loop, as the KCL's shard consumers do: fetch a batch (GetRecords at
//! the loop's position, at most one call per `poll_interval`, or the pushes of a subscription),
//! process it, tell the stream (`Processed`), checkpoint. A loop keeps at most one fetched
//! batch waiting beyond those being processed (the KCL's prefetch), so a slow processor slows
//! its polling and the iterator age grows. Workers process one batch per shard at a time;
//! Lambda runs up to `parallelization_factor` batches of a shard at once (ordering per
//! partition key within a shard is not modelled: batches are consecutive ranges), and the
//! stream is told of them in order.
//!
//! A batch fails if it holds a poisoned record (whatever the function replied), if the
//! function errs (`unavailable`), or if a call to the target fails after the client's retries;
//! the failed batch blocks its shard and is retried after the shared full-jitter backoff until
//! it succeeds, its records expire (the stream's retention, told by ListShards), or
//! `maximum_retry_attempts` / `maximum_record_age` drop it (counted as sent to the on-failure
//! destination). A throttled invocation is retried the same way without counting as an
//! attempt. A crash fault on the consumer (its one instance, `main`) loses what it held;
//! back up, it lists the shards again and resumes each from its last checkpoint, so the records
//! processed since are processed again (counted as duplicates).
//! A throttled GetRecords is retried by the SDK after the backoff (exponent 1, then 2),
//! and after [`SDK_ATTEMPTS`] throttled attempts the KCL makes its next call after the poll
//! interval.

use std::collections::VecDeque;

use rand::RngExt;

use super::config::ConsumerPlan;
use super::consumer_metrics::ConsumerMeasures;
use super::protocol::{Call, ConsumerTimer, GetTag, PROCESSED_DROPPED, RESTART, pack_call, unpack_call};
use crate::blocks::caller::{CallOutcome, Caller, Host};
use crate::blocks::health::Health;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::fault::FaultAction;
use crate::model::{Backlog, Component, ComponentId, Ctx, Message, Op, Reply, Request, Status, Timer};

/// Attempts of one GetRecords call by the AWS SDK under the KCL: 3, the standard retry mode's
/// default (AWS SDKs and Tools Reference Guide, "Retry behavior").
pub const SDK_ATTEMPTS: u16 = 3;

/// Which batch a call to the target or function belongs to.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BatchRef {
    shard: u32,
    first: u64,
    epoch: u32,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum BatchState {
    Waiting,
    Running,
    Failed,
    Done,
    Dropped,
}

#[derive(Copy, Clone, Debug)]
pub(super) struct Batch {
    first: u64,
    count: u32,
    bytes: u32,
    ingested: SimTime,
    received: SimTime,
    done_at: SimTime,
    poison: bool,
    state: BatchState,
    attempts: u32,
    /// Next record to call the target for.
    next_record: u32,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Poll {
    Idle,
    Scheduled,
    InFlight,
}

pub(super) struct ShardLoop {
    next: u64,
    pub(super) batches: VecDeque<Batch>,
    running: u32,
    pub(super) blocked: bool,
    poll: Poll,
    last_call: Option<SimTime>,
    throttles: u16,
    finished: bool,
    subscribed: bool,
    age_ms: u64,
    acked: u64,
    checkpoint: u64,
    /// The furthest position ever reported processed (records below it processed again
    /// after a restart are duplicates).
    high: u64,
}

impl ShardLoop {
    fn new() -> Self {
        ShardLoop {
            next: 0,
            batches: VecDeque::new(),
            running: 0,
            blocked: false,
            poll: Poll::Idle,
            last_call: None,
            throttles: 0,
            finished: false,
            subscribed: false,
            age_ms: 0,
            acked: 0,
            checkpoint: 0,
            high: 0,
        }
    }

    fn find(&self, first: u64) -> Option<usize> {
        self.batches.iter().position(|b| b.first == first)
    }

    /// Milliseconds the loop is behind: the age of its oldest unfinished batch, or the
    /// iterator age the stream gave with the last batch.
    pub(super) fn iterator_age_ms(&self, now: SimTime) -> f64 {
        match self.batches.front() {
            Some(batch) => now.saturating_since(batch.ingested).as_millis_f64(),
            None => self.age_ms as f64,
        }
    }
}

/// A running consumer.
pub struct KinesisConsumer {
    pub(super) name: String,
    pub(super) plan: ConsumerPlan,
    stream: ComponentId,
    pub(super) caller: Option<Caller<BatchRef>>,
    target_is_function: bool,
    pub(super) loops: Vec<ShardLoop>,
    retention: SimDuration,
    listing: bool,
    /// Crash faults on the consumer (its one instance, `main`).
    health: Health,
    /// Bumped at each crash: timers, calls and replies of an earlier life are ignored.
    epoch: u32,
    /// Restarted after a crash: the next ListShards reply rewinds every loop to its checkpoint.
    restarting: bool,
    pub(super) m: ConsumerMeasures,
}

impl KinesisConsumer {
    /// A consumer of `stream` calling `target` (a per-record target in workers mode, the
    /// function in lambda mode).
    pub fn new(name: &str, plan: ConsumerPlan, stream: ComponentId, target: Option<ComponentId>) -> Self {
        let caller =
            target.map(|t| Caller::new(plan.client.clone(), t, ConsumerTimer::CallTimeout, ConsumerTimer::CallRetry));
        KinesisConsumer {
            name: name.to_string(),
            target_is_function: plan.lambda,
            plan,
            stream,
            caller,
            loops: Vec::new(),
            retention: SimDuration::MAX,
            listing: false,
            health: Health::default(),
            epoch: 0,
            restarting: false,
            m: ConsumerMeasures::default(),
        }
    }

    fn call_stream(&mut self, call: Call, shard: u32, seq: u64, size: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let request = Request {
            op: Op::Get,
            key: pack_call(call, shard, seq),
            size,
            created: now,
            arrived: now,
            client: ctx.me(),
            token: u64::from(shard) | (u64::from(self.epoch) << 32),
            attempt: 1,
            resolved_at: now,
            ..Request::NONE
        };
        ctx.send(self.stream, Message::Request(request));
    }

    /// Sets a timer of this life (ignored after a crash).
    fn timer(&self, delay: SimDuration, kind: ConsumerTimer, slot: u32, data: u64, ctx: &mut Ctx<'_>) {
        ctx.timer(delay, Timer::new(kind, slot, data).tagged(self.epoch));
    }

    /// The consumer crashed: whatever it held is gone (its batches, its calls' results, its
    /// subscriptions); the stream keeps its records.
    fn crash(&mut self) {
        self.m.crashes.incr();
        self.epoch = self.epoch.wrapping_add(1);
        for state in &mut self.loops {
            // Progress since the last checkpoint was never recorded.
            state.acked = state.checkpoint;
            state.batches.clear();
            state.running = 0;
            state.blocked = false;
            state.poll = Poll::Idle;
            state.subscribed = false;
        }
    }

    /// The consumer is back: it lists the shards again, telling the stream it restarts (so
    /// what it had been sent is no longer in flight), and resumes every shard from its last
    /// checkpoint, processing again what it had processed since (duplicates).
    fn recover(&mut self, ctx: &mut Ctx<'_>) {
        self.restarting = true;
        self.listing = true;
        self.call_stream(Call::ListShards, 0, RESTART, 0, ctx);
    }

    fn list(&mut self, ctx: &mut Ctx<'_>) {
        if !self.listing {
            self.listing = true;
            self.call_stream(Call::ListShards, 0, 0, 0, ctx);
        }
    }

    fn on_stream_reply(&mut self, reply: Reply, ctx: &mut Ctx<'_>) {
        if self.health.is_crashed() || (reply.request.token >> 32) as u32 != self.epoch {
            return; // Sent to a crashed consumer, or answering a call of its earlier life.
        }
        let Some((call, shard, first)) = unpack_call(reply.request.key) else { return };
        if call == Call::Processed {
            return; // The stream does not answer these; anything else is not a stream's reply.
        }
        if call == Call::ListShards {
            self.listing = false;
            if reply.status != Status::Ok {
                self.m.errors.incr();
                self.timer(self.plan.poll_interval, ConsumerTimer::List, 0, 0, ctx);
                return;
            }
            self.retention = SimDuration::from_millis(reply.tag);
            if self.restarting {
                self.restarting = false;
                for shard in 0..self.loops.len() as u32 {
                    let state = &mut self.loops[shard as usize];
                    state.next = state.checkpoint;
                    state.acked = state.checkpoint;
                    state.finished = false;
                    state.last_call = None;
                    state.poll = Poll::Scheduled;
                    let offset = ctx.rng.random_range(0..=self.plan.poll_interval.as_nanos());
                    self.timer(SimDuration::from_nanos(offset), ConsumerTimer::Poll, shard, 0, ctx);
                }
            }
            while self.loops.len() < reply.count as usize {
                self.loops.push(ShardLoop::new());
                let shard = (self.loops.len() - 1) as u32;
                // Workers start at their own moments (a uniformly random offset within one
                // poll interval), so several consumers do not poll in step.
                let offset = ctx.rng.random_range(0..=self.plan.poll_interval.as_nanos());
                self.loops[shard as usize].poll = Poll::Scheduled;
                self.timer(SimDuration::from_nanos(offset), ConsumerTimer::Poll, shard, 0, ctx);
            }
            return;
        }
        let Some(state) = self.loops.get_mut(shard as usize) else { return };
        if call == Call::GetRecords {
            // The fetcher sleeps `poll_interval` from the reply on (KCL's idle time between
            // reads), so a call's own latency adds to the period.
            state.poll = Poll::Idle;
            state.last_call = Some(ctx.now());
        }
        match reply.status {
            Status::Ok => {}
            Status::Throttled => {
                self.m.get_throttled.incr();
                // The SDK retries a throttled call after its backoff, up to its attempts; the
                // KCL then makes its next call after the poll interval.
                state.throttles = state.throttles.saturating_add(1);
                let attempt = state.throttles % SDK_ATTEMPTS;
                let wait =
                    if attempt == 0 { self.plan.poll_interval } else { self.plan.backoff.backoff(attempt, ctx.rng) };
                state.poll = Poll::Scheduled;
                ctx.timer(wait, Timer::new(ConsumerTimer::Poll, shard, 0).tagged(self.epoch));
                return;
            }
            _ => {
                // A call the stream refused (an unknown shard, the 20 enhanced fan-out
                // consumers already registered): the loop stops.
                self.m.errors.incr();
                state.finished = true;
                return;
            }
        }
        state.throttles = 0;
        let tag = GetTag::unpack(reply.tag);
        if call == Call::Subscribe {
            self.m.pushes.incr();
        }
        if reply.count == 0 && !tag.closed && !tag.wait_parent {
            self.m.get_empty.incr();
        }
        state.age_ms = tag.iterator_age_ms;
        self.m.max_age_ms = self.m.max_age_ms.max(tag.iterator_age_ms as f64);
        if reply.count > 0 {
            let batch = Batch {
                first,
                count: reply.count,
                bytes: reply.request.size,
                ingested: reply.request.created,
                received: ctx.now(),
                done_at: ctx.now(),
                poison: tag.poison.is_some(),
                state: BatchState::Waiting,
                attempts: 0,
                next_record: 0,
            };
            state.batches.push_back(batch);
            state.next = first + u64::from(reply.count);
        }
        if tag.wait_parent {
            state.subscribed = false;
            state.poll = Poll::Scheduled;
            ctx.timer(self.plan.poll_interval, Timer::new(ConsumerTimer::Poll, shard, 0).tagged(self.epoch));
        }
        if tag.closed {
            state.finished = true;
            self.list(ctx);
        }
        self.try_start(shard, ctx);
        self.maybe_poll(shard, ctx);
    }

    /// Schedules the loop's next fetch if it may fetch: not finished, not blocked by a failed
    /// batch, and with at most one batch waiting beyond those it may run.
    fn maybe_poll(&mut self, shard: u32, ctx: &mut Ctx<'_>) {
        let state = &mut self.loops[shard as usize];
        if state.finished || state.blocked || state.poll != Poll::Idle {
            return;
        }
        if self.plan.enhanced {
            if !state.subscribed {
                state.subscribed = true;
                let next = state.next;
                self.call_stream(Call::Subscribe, shard, next, 0, ctx);
            }
            return;
        }
        if state.batches.len() > self.plan.concurrency as usize {
            return;
        }
        let now = ctx.now();
        let due = state.last_call.map_or(now, |last| (last + self.plan.poll_interval).max(now));
        state.poll = Poll::Scheduled;
        ctx.timer(due - now, Timer::new(ConsumerTimer::Poll, shard, 0).tagged(self.epoch));
    }

    fn on_poll(&mut self, shard: u32, ctx: &mut Ctx<'_>) {
        let Some(state) = self.loops.get_mut(shard as usize) else { return };
        state.poll = Poll::Idle;
        if state.finished {
            return;
        }
        if self.plan.enhanced {
            self.maybe_poll(shard, ctx);
            return;
        }
        state.poll = Poll::InFlight;
        let next = state.next;
        self.m.get_calls.incr();
        let limit = self.plan.max_records;
        self.call_stream(Call::GetRecords, shard, next, limit, ctx);
    }

    /// Starts waiting batches while the shard is not blocked and has room.
    fn try_start(&mut self, shard: u32, ctx: &mut Ctx<'_>) {
        loop {
            let state = &self.loops[shard as usize];
            if state.blocked || state.running >= self.plan.concurrency {
                return;
            }
            let Some(index) = state.batches.iter().position(|b| b.state == BatchState::Waiting) else { return };
            self.start_batch(shard, index, ctx);
        }
    }

    fn start_batch(&mut self, shard: u32, index: usize, ctx: &mut Ctx<'_>) {
        let state = &mut self.loops[shard as usize];
        state.running += 1;
        let batch = &mut state.batches[index];
        batch.state = BatchState::Running;
        batch.next_record = 0;
        let user = BatchRef { shard, first: batch.first, epoch: self.epoch };
        if self.target_is_function {
            let (count, bytes) = (batch.count, batch.bytes);
            if let Some(caller) = self.caller.as_mut() {
                caller.call(Op::Invoke, u64::from(count), bytes, Host::ByRequest, user, ctx);
            }
            return;
        }
        let mut total = 0.0;
        if let Some(process) = &self.plan.process {
            for _ in 0..batch.count {
                total += process.sample(ctx.rng);
            }
        }
        let first = batch.first;
        ctx.timer(
            SimDuration::from_secs_f64(total),
            Timer::new(ConsumerTimer::Processed, shard, first).tagged(self.epoch),
        );
    }

    /// Processing time of a batch (workers) is over.
    fn on_processed(&mut self, shard: u32, first: u64, ctx: &mut Ctx<'_>) {
        let Some(index) = self.loops.get(shard as usize).and_then(|s| s.find(first)) else { return };
        let batch = self.loops[shard as usize].batches[index];
        if batch.state != BatchState::Running {
            return;
        }
        if batch.poison {
            self.fail_batch(shard, index, true, ctx);
        } else if self.caller.is_some() {
            self.call_target(shard, index, ctx);
        } else {
            self.complete_batch(shard, index, ctx);
        }
    }

    /// Calls the target for the batch's next record (workers mode).
    fn call_target(&mut self, shard: u32, index: usize, ctx: &mut Ctx<'_>) {
        let batch = self.loops[shard as usize].batches[index];
        let seq = batch.first + u64::from(batch.next_record);
        let size = batch.bytes / batch.count.max(1);
        if let Some(caller) = self.caller.as_mut() {
            let user = BatchRef { shard, first: batch.first, epoch: self.epoch };
            caller.call(Op::Write, seq, size, Host::ByRequest, user, ctx);
        }
    }

    fn on_call_outcome(&mut self, outcome: CallOutcome<BatchRef>, ctx: &mut Ctx<'_>) {
        let (user, ok, throttled) = match outcome {
            CallOutcome::Succeeded { user, .. } => (user, true, false),
            CallOutcome::Failed { user, status, .. } => (user, false, status == Status::Throttled),
        };
        if user.epoch != self.epoch || self.health.is_crashed() {
            return; // A call of an earlier life.
        }
        let Some(index) = self.loops.get(user.shard as usize).and_then(|s| s.find(user.first)) else { return };
        let batch = &mut self.loops[user.shard as usize].batches[index];
        if batch.state != BatchState::Running {
            return;
        }
        if !ok {
            // A throttled invocation is retried without counting as an attempt.
            self.fail_batch(user.shard, index, !(throttled && self.target_is_function), ctx);
        } else if self.target_is_function {
            if batch.poison {
                // The function threw on the poisoned record after running.
                self.fail_batch(user.shard, index, true, ctx);
            } else {
                self.complete_batch(user.shard, index, ctx);
            }
        } else {
            batch.next_record += 1;
            if batch.next_record < batch.count {
                self.call_target(user.shard, index, ctx);
            } else {
                self.complete_batch(user.shard, index, ctx);
            }
        }
    }

    fn complete_batch(&mut self, shard: u32, index: usize, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let state = &mut self.loops[shard as usize];
        state.running = state.running.saturating_sub(1);
        let batch = &mut state.batches[index];
        batch.state = BatchState::Done;
        batch.done_at = now;
        self.m.records.add(u64::from(batch.count));
        self.m.duplicates.add(state.high.min(batch.first + u64::from(batch.count)).saturating_sub(batch.first));
        self.m.batches.incr();
        self.m.batch_latency.record(now.saturating_since(batch.received));
        self.settle(shard, ctx);
    }

    /// A batch failed: drop it if its records expired or a retry limit is reached, otherwise
    /// block the shard and retry it after the backoff.
    fn fail_batch(&mut self, shard: u32, index: usize, counts: bool, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.m.batch_failures.incr();
        let state = &mut self.loops[shard as usize];
        state.running = state.running.saturating_sub(1);
        let batch = &mut state.batches[index];
        if counts {
            batch.attempts += 1;
        }
        let age = now.saturating_since(batch.ingested);
        if age >= self.retention {
            batch.state = BatchState::Dropped;
            batch.done_at = now;
            self.m.expired.add(u64::from(batch.count));
        } else if self.plan.max_retries.is_some_and(|max| batch.attempts > max)
            || self.plan.max_age.is_some_and(|max| age >= max)
        {
            batch.state = BatchState::Dropped;
            batch.done_at = now;
            self.m.on_failure.add(u64::from(batch.count));
        } else {
            batch.state = BatchState::Failed;
            state.blocked = true;
            let attempt = batch.attempts.clamp(1, u32::from(u16::MAX)) as u16;
            let wait = self.plan.backoff.backoff(attempt, ctx.rng);
            let first = batch.first;
            ctx.timer(wait, Timer::new(ConsumerTimer::RetryBatch, shard, first).tagged(self.epoch));
            return;
        }
        self.settle(shard, ctx);
    }

    fn on_retry_batch(&mut self, shard: u32, first: u64, ctx: &mut Ctx<'_>) {
        let Some(index) = self.loops.get(shard as usize).and_then(|s| s.find(first)) else { return };
        let batch = &mut self.loops[shard as usize].batches[index];
        if batch.state != BatchState::Failed {
            return;
        }
        self.m.batch_retries.incr();
        if ctx.now().saturating_since(batch.ingested) >= self.retention {
            batch.state = BatchState::Dropped;
            batch.done_at = ctx.now();
            self.m.expired.add(u64::from(batch.count));
            self.settle(shard, ctx);
            return;
        }
        self.start_batch(shard, index, ctx);
    }

    /// Tells the stream of the finished batches at the front (in order), unblocks the shard
    /// if no batch is failing, and moves the loop on.
    fn settle(&mut self, shard: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let state = &mut self.loops[shard as usize];
        let mut acks = [(0u64, 0u32, SimTime::ZERO, SimTime::ZERO, false); 16];
        let mut n = 0;
        while n < acks.len()
            && let Some(front) = state.batches.front()
            && matches!(front.state, BatchState::Done | BatchState::Dropped)
        {
            let batch = state.batches.pop_front().expect("front exists");
            acks[n] = (batch.first, batch.count, batch.received, batch.done_at, batch.state == BatchState::Dropped);
            state.acked = batch.first + u64::from(batch.count);
            state.high = state.high.max(state.acked);
            n += 1;
        }
        state.blocked = state.batches.iter().any(|b| b.state == BatchState::Failed);
        if self.plan.checkpoint_interval.is_none() && n > 0 {
            state.checkpoint = state.acked;
            self.m.checkpoints.incr();
        }
        for &(first, count, received, done_at, dropped) in &acks[..n] {
            let request = Request {
                op: Op::Get,
                key: pack_call(Call::Processed, shard, first),
                size: count,
                created: received,
                arrived: now,
                client: ctx.me(),
                token: if dropped { PROCESSED_DROPPED } else { 0 },
                attempt: 1,
                resolved_at: done_at,
                ..Request::NONE
            };
            ctx.send(self.stream, Message::Request(request));
        }
        if self.loops[shard as usize]
            .batches
            .front()
            .is_some_and(|b| matches!(b.state, BatchState::Done | BatchState::Dropped))
        {
            self.settle(shard, ctx);
            return;
        }
        self.try_start(shard, ctx);
        self.maybe_poll(shard, ctx);
    }

    fn on_checkpoint(&mut self, ctx: &mut Ctx<'_>) {
        let loops = if self.health.is_crashed() { &mut [][..] } else { &mut self.loops[..] };
        for state in loops {
            if state.acked > state.checkpoint {
                state.checkpoint = state.acked;
                self.m.checkpoints.incr();
            }
        }
        if let Some(interval) = self.plan.checkpoint_interval {
            ctx.timer(interval, Timer::new(ConsumerTimer::Checkpoint, 0, 0));
        }
    }

    pub(super) fn max_age_now(&self, now: SimTime) -> f64 {
        self.loops
            .iter()
            .filter(|s| !s.finished || !s.batches.is_empty())
            .map(|s| s.iterator_age_ms(now))
            .fold(0.0, f64::max)
    }
}

impl Component for KinesisConsumer {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(caller) = self.caller.as_mut() {
            caller.start(ctx.rng);
        }
        self.list(ctx);
        if let Some(interval) = self.plan.checkpoint_interval {
            ctx.timer(interval, Timer::new(ConsumerTimer::Checkpoint, 0, 0));
        }
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Reply(reply) if reply.from == self.stream => self.on_stream_reply(reply, ctx),
            Message::Reply(reply) => {
                if let Some(outcome) = self.caller.as_mut().and_then(|caller| caller.on_reply(reply, ctx)) {
                    self.on_call_outcome(outcome, ctx);
                }
            }
            Message::Timer(timer) => match timer.kind_as::<ConsumerTimer>() {
                Some(
                    ConsumerTimer::Poll | ConsumerTimer::Processed | ConsumerTimer::RetryBatch | ConsumerTimer::List,
                ) if timer.tag != self.epoch || self.health.is_crashed() => {} // Of an earlier life.
                Some(ConsumerTimer::Poll) => self.on_poll(timer.slot, ctx),
                Some(ConsumerTimer::Processed) => self.on_processed(timer.slot, timer.data, ctx),
                Some(ConsumerTimer::RetryBatch) => self.on_retry_batch(timer.slot, timer.data, ctx),
                Some(ConsumerTimer::Checkpoint) => self.on_checkpoint(ctx),
                Some(ConsumerTimer::List) => self.list(ctx),
                Some(ConsumerTimer::CallTimeout) => {
                    if let Some(outcome) = self.caller.as_mut().and_then(|caller| caller.on_timeout(timer, ctx)) {
                        self.on_call_outcome(outcome, ctx);
                    }
                }
                Some(ConsumerTimer::CallRetry) => {
                    if let Some(caller) = self.caller.as_mut() {
                        caller.on_retry(timer, ctx);
                    }
                }
                None => {}
            },
            Message::Request(request) => {
                ctx.reply(request, Status::Invalid);
            }
            Message::Fault(signal) => {
                if let FaultAction::Crash { instance: 0 } = signal.action {
                    let was = self.health.is_crashed();
                    match (was, self.health.crash(signal.active)) {
                        (false, true) => self.crash(),
                        (true, false) => self.recover(ctx),
                        _ => {}
                    }
                }
            }
            Message::Internal(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.begin_measuring(now);
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.declare_series(names);
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        self.sample_series(now, interval, out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        self.report(now, out);
    }

    fn backlog(&self, _now: SimTime) -> Backlog {
        let batches: usize = self.loops.iter().map(|s| s.batches.len()).sum();
        let bytes: u64 = self.loops.iter().map(|s| Backlog::bytes_of::<Batch>(s.batches.capacity())).sum::<u64>()
            + Backlog::bytes_of::<ShardLoop>(self.loops.capacity());
        let own = Backlog { held: batches as u64, bytes, ..Backlog::default() };
        match &self.caller {
            Some(caller) => own.plus(caller.backlog()),
            None => own,
        }
    }
}

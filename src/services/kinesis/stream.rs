//! The stream component: puts routed by hash key to shards and metered per shard, records kept
//! for the retention period, GetRecords and enhanced fan-out pushes, what each consumer has
//! processed, reshards and on-demand scaling.

use std::collections::VecDeque;

use super::config::{EFO_BYTES, MAX_EFO_CONSUMERS, MAX_PUT_BATCH_BYTES, ON_DEMAND_PERIOD, StreamPlan};
use super::hash::{even_index, even_range, explicit_hash_key, hash_key};
use super::metrics::Measures;
use super::protocol::{Call, GetTag, PROCESSED_DROPPED, StreamTimer, pack_position, unpack_call};
use super::shard::{Record, Shard, Slice};
use crate::blocks::token_bucket::TokenBucket;
use crate::engine::{SimDuration, SimTime};
use crate::model::{ComponentId, Ctx, Message, Op, Reply, Request, Status, Timer};

/// What the stream knows of one consumer (a `kinesis_consumer` component).
pub(super) struct ConsumerEntry {
    pub(super) id: ComponentId,
    /// Per shard id: every record below this sequence number is accounted for (processed,
    /// dropped or lost to retention).
    pub(super) done: Vec<u64>,
    /// Per shard id: the next record not yet delivered to the consumer.
    pub(super) delivered: Vec<u64>,
    /// Per shard id: records below this that expired undelivered are counted lost.
    pub(super) lost_upto: Vec<u64>,
    /// Per shard id: records delivered and not yet reported processed or dropped.
    pub(super) in_flight: Vec<u64>,
    /// Uses enhanced fan-out (counts against the 20 per stream).
    pub(super) enhanced: bool,
    pub(super) lost: u64,
}

impl ConsumerEntry {
    /// `slice` of shard `s` was sent to the consumer: the records beyond what it had been
    /// sent are now in flight (records sent again after a restart are not counted twice).
    fn deliver(&mut self, s: usize, slice: Slice) {
        let end = slice.first + u64::from(slice.count);
        let before = self.delivered[s];
        if end > before {
            self.in_flight[s] += end - before.max(slice.first);
            self.delivered[s] = end;
        }
    }
}

/// An enhanced fan-out subscription of one consumer to one shard.
pub(super) struct Subscription {
    consumer: usize,
    shard: u32,
    /// Next record to push.
    next: u64,
    /// The Subscribe call, answered by every push.
    request: Request,
    /// 2 MiB/s for this consumer on this shard.
    bucket: TokenBucket,
    /// A push timer is set.
    due: bool,
    /// The push carries the records readable by then (the head's readable time plus the push
    /// window).
    cutoff: SimTime,
    active: bool,
}

/// Records readable within this much of a push's first record ride along in the same push:
/// 10 ms. Assumption: a bound on the number of push events (about one per 10 ms per busy
/// subscription) that moves each record's delay by at most this much.
pub const EFO_WINDOW: SimDuration = SimDuration::from_millis(10);

/// A running Kinesis data stream.
pub struct Kinesis {
    pub(super) name: String,
    pub(super) plan: StreamPlan,
    pub(super) shards: Vec<Shard>,
    /// The open shards are ids `open_base .. open_base + open_count`, an even split.
    pub(super) open_base: u32,
    pub(super) open_count: u32,
    pub(super) consumers: Vec<ConsumerEntry>,
    subs: Vec<Subscription>,
    /// Subscriptions of each shard.
    shard_subs: Vec<Vec<u32>>,
    /// Puts collected for the next PutRecords call.
    batch: VecDeque<Request>,
    batch_bytes: u64,
    batch_generation: u64,
    /// Next scheduled reshard.
    next_reshard: usize,
    /// Puts offered (accepted or throttled) and their bytes since the last on-demand look.
    demand_records: u64,
    demand_bytes: u64,
    pub(super) m: Measures,
}

impl Kinesis {
    /// A stream built from a checked plan.
    pub fn new(name: &str, plan: StreamPlan) -> Self {
        let mut stream = Kinesis {
            name: name.to_string(),
            shards: Vec::new(),
            open_base: 0,
            open_count: 0,
            consumers: Vec::new(),
            subs: Vec::new(),
            shard_subs: Vec::new(),
            batch: VecDeque::with_capacity(plan.put_batch as usize),
            batch_bytes: 0,
            batch_generation: 0,
            next_reshard: 0,
            demand_records: 0,
            demand_bytes: 0,
            m: Measures::default(),
            plan,
        };
        stream.open_shards(stream.plan.shards);
        stream
    }

    fn limits(&self) -> (f64, f64, f64, f64) {
        (self.plan.write_records, self.plan.write_bytes, self.plan.read_calls, self.plan.read_bytes)
    }

    /// Closes the open shards and opens `count` new ones splitting the hash-key space evenly;
    /// each new shard's parents are the closed shards whose ranges overlap its own.
    fn open_shards(&mut self, count: u32) {
        let parents: Vec<u32> = (self.open_base..self.open_base + self.open_count).collect();
        let base = self.shards.len() as u32;
        for index in 0..count {
            let (start, end) = even_range(index, count);
            let mut shard = Shard::new(start, end, self.limits(), self.plan.max_get_bytes as f64);
            shard.parents = parents
                .iter()
                .copied()
                .filter(|&p| self.shards[p as usize].start <= end && start <= self.shards[p as usize].end)
                .collect();
            self.shards.push(shard);
            self.shard_subs.push(Vec::new());
        }
        for &p in &parents {
            self.shards[p as usize].open = false;
        }
        for consumer in &mut self.consumers {
            consumer.done.resize(self.shards.len(), 0);
            consumer.delivered.resize(self.shards.len(), 0);
            consumer.lost_upto.resize(self.shards.len(), 0);
            consumer.in_flight.resize(self.shards.len(), 0);
        }
        self.open_base = base;
        self.open_count = count;
    }

    /// The open shard holding `key`'s hash key.
    #[inline]
    fn route(&self, key: u64) -> u32 {
        let hash = if self.plan.explicit { explicit_hash_key(key) } else { hash_key(key) };
        self.open_base + even_index(hash, self.open_count)
    }

    /// Expires the records of `shard` older than the retention; counts those a consumer had
    /// not read as lost to it (records it read and is still processing stay its own).
    fn trim(&mut self, shard: u32, now: SimTime) {
        let before = self.shards[shard as usize].base;
        let base = self.shards[shard as usize].trim(now, self.plan.retention);
        if base == before {
            return;
        }
        self.m.expired.add(base - before);
        let s = shard as usize;
        for consumer in &mut self.consumers {
            let counted = consumer.done[s].max(consumer.delivered[s]).max(consumer.lost_upto[s]);
            if counted < base {
                consumer.lost += base - counted;
                self.m.lost.add(base - counted);
            }
            consumer.lost_upto[s] = consumer.lost_upto[s].max(base);
        }
    }

    /// Expires old records on every shard (end of run, sampling).
    pub(super) fn trim_all(&mut self, now: SimTime) {
        for shard in 0..self.shards.len() as u32 {
            self.trim(shard, now);
        }
    }

    fn consumer_index(&mut self, id: ComponentId) -> usize {
        if let Some(index) = self.consumers.iter().position(|c| c.id == id) {
            return index;
        }
        let done: Vec<u64> = self.shards.iter().map(|shard| shard.base).collect();
        self.consumers.push(ConsumerEntry {
            id,
            delivered: done.clone(),
            lost_upto: done.clone(),
            in_flight: vec![0; done.len()],
            done,
            enhanced: false,
            lost: 0,
        });
        self.consumers.len() - 1
    }

    pub(super) fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(&(at, _)) = self.plan.reshards.first() {
            ctx.timer(at, Timer::new(StreamTimer::Reshard, 0, 0));
        }
        if self.plan.on_demand {
            ctx.timer(ON_DEMAND_PERIOD, Timer::new(StreamTimer::Scale, 0, 0));
        }
    }

    pub(super) fn on_request(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        match request.op {
            Op::Put | Op::Write | Op::Read => {
                if self.plan.put_batch <= 1 {
                    self.m.put_calls.incr();
                    let latency = self.plan.put_latency.sample_duration(ctx.rng);
                    self.put(request, latency, ctx);
                } else {
                    self.collect(request, ctx);
                }
            }
            Op::Get => self.on_consumer_call(request, ctx),
            _ => {
                ctx.reply(request, Status::Invalid);
            }
        }
    }

    /// Adds a put to the PutRecords call being collected; sends the call when it holds
    /// `put_batch` records or would pass 5 MiB (or, by timer, after `linger`).
    fn collect(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        let size = u64::from(request.size);
        if !self.batch.is_empty() && self.batch_bytes + size > MAX_PUT_BATCH_BYTES {
            self.flush(ctx);
        }
        if self.batch.is_empty() {
            self.batch_generation += 1;
            ctx.timer(self.plan.linger, Timer::new(StreamTimer::BatchDue, 0, self.batch_generation));
        }
        self.batch.push_back(request);
        self.batch_bytes += size;
        if self.batch.len() >= self.plan.put_batch as usize {
            self.flush(ctx);
        }
    }

    /// One PutRecords call: every record is admitted or throttled on its own; all replies
    /// leave after the call's one latency.
    fn flush(&mut self, ctx: &mut Ctx<'_>) {
        if self.batch.is_empty() {
            return;
        }
        self.m.put_calls.incr();
        self.batch_generation += 1; // The pending linger timer no longer applies.
        let latency = self.plan.put_latency.sample_duration(ctx.rng);
        while let Some(request) = self.batch.pop_front() {
            self.put(request, latency, ctx);
        }
        self.batch_bytes = 0;
    }

    /// Admits or throttles one record and answers its producer.
    fn put(&mut self, request: Request, latency: SimDuration, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let first = request.attempt <= 1;
        self.m.put_attempts.incr();
        if first {
            self.m.put_first_attempts.incr();
        } else {
            self.m.put_retried.incr();
        }
        let size = u64::from(request.size);
        if size > self.plan.max_record_size {
            self.m.put_too_large.incr();
            ctx.reply(request, Status::Invalid);
            return;
        }
        let id = self.route(request.key);
        self.trim(id, now);
        self.demand_records += 1;
        self.demand_bytes += size;
        let shard = &mut self.shards[id as usize];
        if !shard.admit(now, size) {
            shard.throttled.incr();
            self.m.put_throttled.incr();
            if first {
                self.m.put_throttled_first.incr();
            }
            // A PutRecords call answers all its records at once, after its latency; a throttled
            // PutRecord is answered at once.
            let wait = if self.plan.put_batch > 1 { latency } else { SimDuration::ZERO };
            let reply = Reply::new(request, Status::Throttled, ctx.me());
            ctx.send_after(wait, request.client, Message::Reply(reply));
            return;
        }
        let poison = !self.plan.poison_keys.is_empty() && self.plan.poison_keys.binary_search(&request.key).is_ok();
        let seq = shard.next_seq();
        let record = Record::new(now, request.created, latency, request.size, poison);
        shard.records.push_back(record);
        shard.incoming_records.incr();
        shard.incoming_bytes.add(size);
        self.m.puts.incr();
        self.m.put_latency.record(latency);
        let reply = Reply { request, status: Status::Ok, from: ctx.me(), count: 1, tag: pack_position(id, seq) };
        ctx.send_after(latency, request.client, Message::Reply(reply));
        for i in 0..self.shard_subs[id as usize].len() {
            let sub = self.shard_subs[id as usize][i];
            self.schedule_push(sub, record.readable(), ctx);
        }
    }

    pub(super) fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        match timer.kind_as::<StreamTimer>() {
            Some(StreamTimer::BatchDue) if timer.data == self.batch_generation => self.flush(ctx),
            Some(StreamTimer::BatchDue) => {} // A call already sent by size.
            Some(StreamTimer::Push) => self.push(timer.slot, ctx),
            Some(StreamTimer::Reshard) => self.on_reshard(ctx),
            Some(StreamTimer::Scale) => self.on_scale(ctx),
            None => {}
        }
    }

    fn on_reshard(&mut self, ctx: &mut Ctx<'_>) {
        let Some(&(_, count)) = self.plan.reshards.get(self.next_reshard) else { return };
        self.next_reshard += 1;
        self.reshard_to(count, ctx);
        if let Some(&(at, _)) = self.plan.reshards.get(self.next_reshard) {
            let now = ctx.now().as_nanos();
            ctx.timer(
                SimDuration::from_nanos(at.as_nanos().saturating_sub(now)),
                Timer::new(StreamTimer::Reshard, 0, 0),
            );
        }
    }

    fn reshard_to(&mut self, count: u32, ctx: &mut Ctx<'_>) {
        let closing: Vec<u32> = (self.open_base..self.open_base + self.open_count).collect();
        self.open_shards(count);
        self.m.reshards.incr();
        // Subscribers of the closed shards learn it when they reach the end.
        let now = ctx.now();
        for p in closing {
            for i in 0..self.shard_subs[p as usize].len() {
                let sub = self.shard_subs[p as usize][i];
                self.schedule_push(sub, now, ctx);
            }
        }
    }

    /// On-demand mode: every period, if the puts offered (accepted or throttled) over it
    /// averaged more than half the open capacity, double the shards (at most what twice the
    /// demand needs), after the reshard delay.
    fn on_scale(&mut self, ctx: &mut Ctx<'_>) {
        let secs = ON_DEMAND_PERIOD.as_secs_f64();
        let records = self.demand_records as f64 / secs / self.plan.write_records;
        let bytes = self.demand_bytes as f64 / secs / self.plan.write_bytes;
        let needed = (2.0 * records.max(bytes)).ceil() as u32;
        self.demand_records = 0;
        self.demand_bytes = 0;
        let open = self.open_count;
        if needed > open && (self.shards.len() as u32) + 2 * open <= super::protocol::MAX_SHARD_IDS {
            let target = needed.min(2 * open);
            self.plan.reshards.push((SimDuration::from_nanos(ctx.now().as_nanos()) + self.plan.reshard_delay, target));
            if self.next_reshard + 1 == self.plan.reshards.len() {
                ctx.timer(self.plan.reshard_delay, Timer::new(StreamTimer::Reshard, 0, 0));
            }
        }
        // Look again once the change took effect.
        let wait = if needed > open { self.plan.reshard_delay + ON_DEMAND_PERIOD } else { ON_DEMAND_PERIOD };
        ctx.timer(wait, Timer::new(StreamTimer::Scale, 0, 0));
    }

    fn on_consumer_call(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        let Some((call, shard, seq)) = unpack_call(request.key) else {
            ctx.reply(request, Status::Invalid);
            return;
        };
        let consumer = self.consumer_index(request.client);
        if call == Call::ListShards {
            if seq == super::protocol::RESTART {
                self.restart(consumer);
            }
            let retention_ms = self.plan.retention.as_nanos() / 1_000_000;
            ctx.reply_items(ctx.network().az_of(ctx.me()), request, Status::Ok, self.shards.len() as u32, retention_ms);
            return;
        }
        if shard as usize >= self.shards.len() {
            ctx.reply(request, Status::Invalid);
            return;
        }
        let now = ctx.now();
        self.trim(shard, now);
        match call {
            Call::GetRecords => self.get_records(consumer, request, shard, seq, ctx),
            Call::Subscribe => self.subscribe(consumer, request, shard, seq, ctx),
            Call::Processed => self.processed(consumer, request, shard, seq),
            Call::ListShards => {}
        }
    }

    /// `consumer` restarted: what it had been sent and not reported is no longer in flight (it
    /// reads again from its checkpoints); delivered records that expired meanwhile can no
    /// longer be processed, so they are lost to it. Its subscriptions end.
    fn restart(&mut self, consumer: usize) {
        let entry = &mut self.consumers[consumer];
        for (s, shard) in self.shards.iter().enumerate() {
            let done = entry.done[s];
            if shard.base > done {
                // [done, base): expired; the part beyond what was delivered is counted already.
                let expired = entry.delivered[s].min(shard.base).saturating_sub(done);
                entry.lost += expired;
                self.m.lost.add(expired);
                entry.done[s] = shard.base;
            }
            entry.delivered[s] = entry.done[s];
            entry.in_flight[s] = 0;
        }
        for sub in &mut self.subs {
            if sub.consumer == consumer {
                sub.active = false;
            }
        }
    }

    /// True if `consumer` has finished every parent of `shard`.
    fn parents_done(&self, consumer: usize, shard: u32) -> bool {
        let entry = &self.consumers[consumer];
        self.shards[shard as usize]
            .parents
            .iter()
            .all(|&p| entry.done[p as usize] >= self.shards[p as usize].next_seq())
    }

    /// The reply of a read of `slice` from `shard` (GetRecords, or a push).
    fn batch_reply(
        &self,
        request: Request,
        shard: u32,
        slice: Slice,
        closed: bool,
        now: SimTime,
        from: ComponentId,
    ) -> Reply {
        let records = &self.shards[shard as usize];
        let first = records.get(slice.first).filter(|_| slice.count > 0);
        let last = if slice.count > 0 { records.get(slice.first + u64::from(slice.count) - 1) } else { None };
        let tag = GetTag {
            poison: slice.poison,
            closed,
            wait_parent: false,
            iterator_age_ms: last.map_or(0, |r| now.saturating_since(r.ingested).as_nanos() / 1_000_000),
        };
        let request = Request {
            // The call kind stays in the top byte, the position of the first record below it.
            key: (request.key & !((1u64 << 56) - 1)) | pack_position(shard, slice.first),
            size: slice.bytes.min(u64::from(u32::MAX)) as u32,
            created: first.map_or(now, |r| r.ingested),
            ..request
        };
        Reply { request, status: Status::Ok, from, count: slice.count, tag: tag.pack() }
    }

    fn get_records(&mut self, consumer: usize, request: Request, shard: u32, seq: u64, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.m.get_calls.incr();
        let state = &mut self.shards[shard as usize];
        if !state.read_calls.try_take(now, 1.0) {
            self.m.get_throttled.incr();
            ctx.reply(request, Status::Throttled);
            return;
        }
        if !self.parents_done(consumer, shard) {
            self.m.get_empty.incr();
            let tag = GetTag { wait_parent: true, ..GetTag::default() }.pack();
            ctx.reply_items(ctx.network().az_of(ctx.me()), request, Status::Ok, 0, tag);
            return;
        }
        let state = &mut self.shards[shard as usize];
        let available = state.read_bytes.available(now).max(0.0) as u64;
        let limit = request.size.clamp(1, self.plan.max_get_records);
        let slice = state.read(now, seq, limit, self.plan.max_get_bytes.min(available));
        if slice.count == 0 && state.read(now, seq, 1, u64::MAX).count > 0 {
            // A readable record is there but the shard's 2 MiB/s is used up.
            self.m.get_throttled.incr();
            ctx.reply(request, Status::Throttled);
            return;
        }
        state.read_bytes.try_take(now, slice.bytes as f64);
        self.consumers[consumer].deliver(shard as usize, slice);
        let state = &self.shards[shard as usize];
        let closed = !state.open && slice.first + u64::from(slice.count) >= state.next_seq();
        if slice.count == 0 {
            self.m.get_empty.incr();
        }
        self.m.records_read.add(u64::from(slice.count));
        let reply = self.batch_reply(request, shard, slice, closed, now, ctx.me());
        let latency = self.plan.get_latency.sample_duration(ctx.rng);
        ctx.send_after(latency, request.client, Message::Reply(reply));
    }

    fn subscribe(&mut self, consumer: usize, request: Request, shard: u32, seq: u64, ctx: &mut Ctx<'_>) {
        if !self.consumers[consumer].enhanced {
            let registered = self.consumers.iter().filter(|c| c.enhanced).count() as u32;
            if registered >= MAX_EFO_CONSUMERS {
                // RegisterStreamConsumer fails: LimitExceededException.
                self.m.efo_refused.incr();
                ctx.reply(request, Status::Invalid);
                return;
            }
            self.consumers[consumer].enhanced = true;
        }
        if !self.parents_done(consumer, shard) {
            let tag = GetTag { wait_parent: true, ..GetTag::default() }.pack();
            ctx.reply_items(ctx.network().az_of(ctx.me()), request, Status::Ok, 0, tag);
            return;
        }
        let existing =
            self.shard_subs[shard as usize].iter().copied().find(|&s| self.subs[s as usize].consumer == consumer);
        let index = match existing {
            Some(index) => {
                let sub = &mut self.subs[index as usize];
                sub.request = request;
                sub.next = seq;
                sub.active = true;
                index
            }
            None => {
                let rate = EFO_BYTES as f64;
                self.subs.push(Subscription {
                    consumer,
                    shard,
                    next: seq,
                    request,
                    bucket: TokenBucket::new(rate, rate.max(self.plan.max_record_size as f64)),
                    due: false,
                    cutoff: SimTime::ZERO,
                    active: true,
                });
                let index = (self.subs.len() - 1) as u32;
                self.shard_subs[shard as usize].push(index);
                index
            }
        };
        self.schedule_push(index, ctx.now(), ctx);
    }

    /// Sets subscription `sub`'s push timer for records readable at `readable` (plus the push
    /// delay), unless one is set.
    fn schedule_push(&mut self, sub: u32, readable: SimTime, ctx: &mut Ctx<'_>) {
        let subscription = &mut self.subs[sub as usize];
        if subscription.due || !subscription.active {
            return;
        }
        subscription.due = true;
        subscription.cutoff = readable.max(ctx.now()) + EFO_WINDOW;
        let delay = self.plan.efo_push.sample_duration(ctx.rng);
        // Each push leaves its first record's readable time plus the push delay after it (so
        // pushes pipeline: a record readable during the previous push's delay is not held
        // back by it).
        let at = (readable + delay).saturating_since(ctx.now());
        ctx.timer(at, Timer::new(StreamTimer::Push, sub, 0));
    }

    /// Pushes what subscription `sub` may receive now, and sets the next push.
    fn push(&mut self, sub: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let Some(subscription) = self.subs.get_mut(sub as usize) else { return };
        subscription.due = false;
        if !subscription.active {
            return;
        }
        let shard = subscription.shard;
        self.trim(shard, now);
        let subscription = &mut self.subs[sub as usize];
        let state = &self.shards[shard as usize];
        let available = subscription.bucket.available(now) as u64;
        let cutoff = subscription.cutoff.min(now);
        let slice =
            state.read(cutoff, subscription.next, self.plan.max_get_records, self.plan.max_get_bytes.min(available));
        let end = state.next_seq();
        let closed = !state.open && slice.first + u64::from(slice.count) >= end;
        if slice.count > 0 || closed {
            subscription.bucket.try_take(now, slice.bytes as f64);
            subscription.next = slice.first + u64::from(slice.count);
            self.consumers[subscription.consumer].deliver(shard as usize, slice);
            if closed {
                subscription.active = false;
            }
            let request = subscription.request;
            self.m.pushes.incr();
            self.m.records_read.add(u64::from(slice.count));
            let reply = self.batch_reply(request, shard, slice, closed, now, ctx.me());
            ctx.send(request.client, Message::Reply(reply));
        }
        let subscription = &mut self.subs[sub as usize];
        let next = subscription.next.max(state.base);
        if subscription.active && next < end {
            // More records: when the next is readable (plus the push delay), or when the
            // subscription's 2 MiB/s allows it.
            let size = state.get(next).map_or(0, |r| r.size()) as f64;
            let wait = subscription.bucket.wait_for(now, size).unwrap_or(SimDuration::ZERO);
            let readable = state.get(next).map_or(now, |r| r.readable());
            if wait > SimDuration::ZERO {
                subscription.due = true;
                subscription.cutoff = now + wait;
                ctx.timer(wait, Timer::new(StreamTimer::Push, sub, 0));
            } else {
                self.schedule_push(sub, readable, ctx);
            }
        }
    }

    /// A consumer finished (or dropped) `request.size` records from `seq` on: measure them
    /// and move its accounting on.
    fn processed(&mut self, consumer: usize, request: Request, shard: u32, seq: u64) {
        let dropped = request.token & PROCESSED_DROPPED != 0;
        let end = seq + u64::from(request.size);
        let done = self.consumers[consumer].done[shard as usize];
        let state = &self.shards[shard as usize];
        let range = seq.max(done)..end.min(state.next_seq());
        let accounted = range.end.saturating_sub(range.start);
        for s in range {
            if dropped {
                self.m.dropped.incr();
            } else {
                self.m.processed.incr();
            }
            // A record read before it expired may be gone by now: counted, not timed.
            let Some(record) = state.get(s) else { continue };
            if !dropped {
                self.m.propagation.record(request.created.saturating_since(record.ingested));
                self.m.end_to_end.record(request.resolved_at.saturating_since(record.created));
                self.m.interval_propagation.record(request.created.saturating_since(record.ingested).as_millis_f64());
            }
        }
        let entry = &mut self.consumers[consumer];
        let s = shard as usize;
        entry.done[s] = entry.done[s].max(end.min(state.next_seq()));
        entry.in_flight[s] = entry.in_flight[s].saturating_sub(accounted);
    }
}

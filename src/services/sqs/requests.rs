//! The queue's API calls (send, receive, delete, change visibility, attributes) and its timers
//! (delays, visibility timeouts, long-poll waits, retention).

use rand::RngExt;

use super::Sqs;
use super::config::DEDUP_WINDOW;
use super::protocol::{Call, MAX_BATCH, QueueTimer, Receipt};
use super::store::{Msg, Ref, State};
use crate::engine::{SimDuration, SimTime};
use crate::model::{Ctx, Request, Status, Timer};

/// A long poll waiting at the queue.
#[derive(Copy, Clone, Debug)]
pub struct Parked {
    /// The receive.
    pub request: Request,
    /// When its wait ends.
    pub deadline: SimTime,
    /// Generation (the wait deadline and the waiting list carry it).
    pub generation: u32,
}

/// Which token bucket a FIFO call draws on.
#[derive(Copy, Clone)]
enum Action {
    Receive,
    Delete,
    Change,
}

impl Sqs {
    /// A request arrived.
    pub(super) fn on_request(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        let call = Call::of(&request);
        match call {
            Call::Send => self.on_send(request, ctx),
            Call::Receive { max, wait_ms } => self.on_receive(request, max, wait_ms, ctx),
            Call::Delete { receipt, mask } => {
                if self.throttled(Action::Delete, 1.0, request, ctx) {
                    return;
                }
                self.m.api_requests += 1.0;
                let deleted = self.on_delete(receipt, mask, ctx);
                ctx.reply_items(self.az, request, Status::Ok, deleted, 0);
            }
            Call::ChangeVisibility { receipt, mask: _, secs } => {
                if self.throttled(Action::Change, 1.0, request, ctx) {
                    return;
                }
                self.m.api_requests += 1.0;
                let changed = self.change_visibility(receipt, secs, ctx);
                ctx.reply_items(self.az, request, if changed { Status::Ok } else { Status::Invalid }, 0, 0);
            }
            Call::Attributes => {
                self.m.api_requests += 1.0;
                let visible = self.store.visible.min(u64::from(u32::MAX)) as u32;
                ctx.reply_items(self.az, request, Status::Ok, visible, 0);
            }
            Call::Invalid => {
                self.m.invalid.incr();
                ctx.reply(request, Status::Invalid);
            }
        }
    }

    /// True (and the request answered `Throttled`) if a FIFO limit refuses it.
    fn throttled(&mut self, action: Action, calls: f64, request: Request, ctx: &mut Ctx<'_>) -> bool {
        let Some(limits) = self.fifo_limits.as_mut() else { return false };
        let bucket = match action {
            Action::Receive => &mut limits.receive,
            Action::Delete => &mut limits.delete,
            Action::Change => &mut limits.change,
        };
        if bucket.try_take(ctx.now(), calls) {
            return false;
        }
        self.m.throttled.incr();
        ctx.reply_items(self.az, request, Status::Throttled, 0, 0);
        true
    }

    fn on_send(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if u64::from(request.size) > self.plan.max_size {
            self.m.invalid.incr();
            ctx.reply(request, Status::Invalid); // Larger than the queue's maximum message size.
            return;
        }
        let cost = self.plan.send_cost;
        if let Some(limits) = self.fifo_limits.as_mut() {
            if !limits.messages.try_take(now, 1.0) || !limits.send.try_take(now, cost) {
                self.m.throttled.incr();
                ctx.reply_items(self.az, request, Status::Throttled, 0, 0);
                return;
            }
            // Deduplication: a retry of the same send within the window is not stored again.
            while self.dedup_order.front().is_some_and(|&(until, _)| until <= now) {
                let (until, id) = self.dedup_order.pop_front().expect("checked");
                if self.dedup.get(&id) == Some(&until) {
                    self.dedup.remove(&id);
                }
            }
            let id = (request.client.0, request.id);
            if self.dedup.contains_key(&id) {
                self.m.api_requests += cost;
                self.m.deduplicated.incr();
                ctx.reply(request, Status::Ok);
                return;
            }
            self.dedup.insert(id, now + DEDUP_WINDOW);
            self.dedup_order.push_back((now + DEDUP_WINDOW, id));
        }
        self.m.api_requests += self.plan.send_cost;
        self.m.sent.incr();
        let delayed = self.plan.delay > SimDuration::ZERO;
        let home = if self.plan.fifo {
            (request.key % u64::from(self.plan.groups)) as u32
        } else {
            self.rng.random_range(0..self.plan.servers)
        };
        let r = self.store.insert(Msg {
            seq: 0,
            created: request.created,
            stored: now,
            first_receive: SimTime::MAX,
            size: request.size,
            receives: 0,
            home,
            poison: self.plan.poison_keys.binary_search(&request.key).is_ok(),
            ghost: false,
            state: State::Delayed,
        });
        self.store.delayed_count += 1;
        self.store.compact_arrivals();
        if self.retention_timer.is_none() {
            self.arm_retention(ctx);
        }
        ctx.reply(request, Status::Ok);
        if delayed {
            self.store.delayed.push_back(r);
            if !self.delay_armed {
                self.delay_armed = true;
                ctx.timer(self.plan.delay, Timer::new(QueueTimer::DelayDue, 0, 0));
            }
        } else {
            self.store.make_visible(r, false);
            self.serve_parked(ctx);
        }
    }

    fn on_receive(&mut self, request: Request, max: u32, wait_ms: u32, ctx: &mut Ctx<'_>) {
        if !(1..=MAX_BATCH as u32).contains(&max) || wait_ms > 20_000 {
            self.m.invalid.incr();
            ctx.reply(request, Status::Invalid);
            return;
        }
        if self.throttled(Action::Receive, 1.0, request, ctx) {
            return;
        }
        self.m.api_requests += 1.0;
        self.m.receives.incr();
        let long = wait_ms > 0;
        if self.deliver(request, max as usize, long, ctx) {
            return;
        }
        if !long {
            self.m.empty_receives.incr();
            ctx.reply_items(self.az, request, Status::Ok, 0, 0);
            return;
        }
        // Nothing to give: the long poll waits.
        self.next_parked_generation = self.next_parked_generation.wrapping_add(1);
        let generation = self.next_parked_generation;
        let deadline = ctx.now() + SimDuration::from_millis(u64::from(wait_ms));
        let slot = self.parked.insert(Parked { request, deadline, generation });
        self.waiting.push_back((slot, generation));
        self.wait_deadlines.push((deadline, slot, generation));
        self.arm_wait(ctx);
    }

    /// Takes up to `max` messages for `request` (every server for a long poll, a sample for a
    /// short one) and replies if it found any; false if none were found.
    fn deliver(&mut self, request: Request, max: usize, long: bool, ctx: &mut Ctx<'_>) -> bool {
        let room = (u64::from(self.plan.in_flight_limit).saturating_sub(self.store.in_flight) as usize).min(max);
        // Receipts hold 18 bits of batch slot: at most 2^18 − 1 batches in flight (above the
        // 120,000 in-flight messages of the default limit).
        let slots_full = self.store.batches.len() >= (1 << Receipt::SLOT_BITS) - 1;
        if room == 0 || self.store.visible == 0 || slots_full {
            return false;
        }
        let mut taken = std::mem::take(&mut self.taken);
        taken.clear();
        if self.plan.fifo {
            self.store.take_fifo(room, &mut taken);
        } else {
            let servers = self.plan.servers as usize;
            let sampled = if long { servers } else { self.plan.short_poll_servers as usize };
            if sampled < servers {
                for i in 0..sampled {
                    let j = self.rng.random_range(i..servers);
                    self.server_order.swap(i, j);
                }
            } else {
                self.cursor = (self.cursor + 1) % servers;
            }
            // One message from each sampled server in turn, until the batch is full or the
            // sampled servers are empty.
            // (No more than are visible: references to expired messages are skipped on the way.)
            let room = room.min(self.store.visible as usize);
            let mut progress = true;
            while taken.len() < room && progress {
                progress = false;
                for k in 0..sampled {
                    if taken.len() >= room {
                        break;
                    }
                    let server =
                        if sampled < servers { self.server_order[k] as usize } else { (self.cursor + k) % servers };
                    if let Some(r) = self.store.pop_server(server) {
                        taken.push(r);
                        progress = true;
                    }
                }
            }
        }
        let found = !taken.is_empty();
        if found {
            self.reply_batch(request, &taken, ctx);
        }
        self.taken = taken;
        found
    }

    /// Puts `taken` in flight as one batch and replies with its receipt.
    fn reply_batch(&mut self, request: Request, taken: &[Ref], ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let mut poison = 0u16;
        let mut bytes = 0u64;
        for (i, &r) in taken.iter().enumerate() {
            let msg = *self.store.get(r).expect("a delivered message is stored");
            bytes += u64::from(msg.size);
            if msg.poison {
                poison |= 1 << i;
            }
            if msg.first_receive == SimTime::MAX {
                self.m.queue_wait.record(now.saturating_since(msg.created));
                let group = if self.plan.fifo { msg.home as usize } else { 0 };
                let last = &mut self.store.last_first_delivery[group];
                if msg.seq < *last {
                    self.m.order_inversions.incr(); // Sent before a message already delivered.
                }
                *last = (*last).max(msg.seq);
            } else {
                self.m.redeliveries.incr();
            }
        }
        self.m.delivered.add(taken.len() as u64);
        let (slot, generation) = self.store.open_batch(taken, now);
        let expires = now + self.plan.visibility;
        self.store.batches.get_mut(slot).expect("just opened").expires = expires;
        self.visibility_deadlines.push((expires, slot, generation));
        self.arm_visibility(ctx);
        let size_units = bytes.div_ceil(Receipt::SIZE_UNIT) as u32;
        let receipt = Receipt { slot, generation, poison, count: taken.len() as u8, size_units };
        ctx.reply_items(self.az, request, Status::Ok, taken.len() as u32, receipt.tag());
    }

    /// Answers parked long polls while there are visible messages for them.
    pub(super) fn serve_parked(&mut self, ctx: &mut Ctx<'_>) {
        while self.store.visible > 0 {
            let Some(&(slot, generation)) = self.waiting.front() else { return };
            let current = self.parked.get(slot).is_some_and(|p| p.generation == generation);
            if !current {
                self.waiting.pop_front();
                continue;
            }
            let parked = *self.parked.get(slot).expect("checked");
            let max = parked.request.key as usize;
            if !self.deliver(parked.request, max, true, ctx) {
                return; // The in-flight limit (or stale references): they wait on.
            }
            self.waiting.pop_front();
            self.parked.remove(slot);
        }
    }

    /// A batch `receipt`'s messages in `mask` are deleted; returns how many were.
    fn on_delete(&mut self, receipt: Receipt, mask: u16, ctx: &mut Ctx<'_>) -> u32 {
        let now = ctx.now();
        let Some(batch) = self.batch(receipt) else {
            // The batch timed out (or was deleted) before this delete: the messages were or
            // will be delivered again, so their processing is done twice.
            self.m.late_deletes.incr();
            let in_batch = ((1u32 << receipt.count.min(MAX_BATCH as u8)) - 1) as u16;
            self.m.duplicates.add(u64::from((mask & in_batch).count_ones()));
            return 0;
        };
        let mut deleted = 0;
        let mut live = batch.live;
        for i in 0..batch.count as usize {
            let bit = 1u16 << i;
            if mask & bit == 0 {
                continue;
            }
            if live & bit == 0 {
                self.m.duplicates.incr(); // Deleted twice in the same batch.
                continue;
            }
            live &= !bit;
            let r = batch.members[i];
            let Some(msg) = self.store.get(r).copied() else { continue }; // Expired meanwhile.
            deleted += 1;
            if msg.ghost {
                self.m.duplicates.incr();
            } else {
                self.m.deleted.incr();
                self.m.end_to_end.record(now.saturating_since(msg.created));
            }
            if !msg.ghost
                && self.plan.duplicate_probability > 0.0
                && self.rng.random_bool(self.plan.duplicate_probability)
            {
                // A server holding a copy missed the delete: the copy stays in flight and is
                // delivered again when the batch's timeout ends.
                let stored = self.store.get_mut(r).expect("checked");
                stored.ghost = true;
                self.store.ghosts += 1;
                live |= bit;
                continue;
            }
            self.store.remove(r);
        }
        let slot = receipt.slot;
        if live == 0 {
            self.store.batches.remove(slot); // Its deadline is now stale.
        } else {
            self.store.batches.get_mut(slot).expect("checked").live = live;
        }
        deleted
    }

    /// The in-flight batch `receipt` names, if it is still in flight.
    fn batch(&self, receipt: Receipt) -> Option<super::store::Batch> {
        self.store.batches.get(receipt.slot).filter(|b| receipt.names(b.generation)).copied()
    }

    /// Resets the visibility timer of `receipt`'s batch to `secs` from now; false if the batch
    /// is no longer in flight.
    fn change_visibility(&mut self, receipt: Receipt, secs: u32, ctx: &mut Ctx<'_>) -> bool {
        let Some(batch) = self.batch(receipt) else { return false };
        self.m.visibility_changes.incr();
        let timeout = SimDuration::from_secs(u64::from(secs)).min(super::config::MAX_VISIBILITY_TIMEOUT);
        let expires = ctx.now() + timeout;
        self.store.batches.get_mut(receipt.slot).expect("checked").expires = expires;
        self.visibility_deadlines.push((expires, receipt.slot, batch.generation));
        self.arm_visibility(ctx);
        true
    }

    /// A timer fired.
    pub(super) fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let Some(kind) = timer.kind_as::<QueueTimer>() else { return };
        match kind {
            QueueTimer::DelayDue => self.release_delayed(ctx),
            QueueTimer::VisibilityExpired => {
                if self.visibility_deadlines.armed == Some(SimTime(timer.data)) {
                    self.visibility_deadlines.armed = None;
                }
                while let Some((due, slot, generation)) = self.visibility_deadlines.pop_due(ctx.now()) {
                    self.visibility_expired(due, slot, generation);
                }
                self.serve_parked(ctx);
                self.arm_visibility(ctx);
            }
            QueueTimer::WaitExpired => {
                if self.wait_deadlines.armed == Some(SimTime(timer.data)) {
                    self.wait_deadlines.armed = None;
                }
                while let Some((due, slot, generation)) = self.wait_deadlines.pop_due(ctx.now()) {
                    let current =
                        self.parked.get(slot).is_some_and(|p| p.generation == generation && p.deadline == due);
                    if current {
                        let parked = self.parked.remove(slot).expect("checked");
                        self.m.empty_receives.incr();
                        ctx.reply_items(self.az, parked.request, Status::Ok, 0, 0);
                    }
                }
                self.arm_wait(ctx);
            }
            QueueTimer::RetentionDue => {
                self.retention_timer = None;
                self.expire(ctx);
            }
        }
    }

    /// Makes the delayed messages that are due visible, and re-arms for the next.
    fn release_delayed(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.delay_armed = false;
        while let Some(&r) = self.store.delayed.front() {
            let Some(msg) = self.store.get(r) else {
                self.store.delayed.pop_front();
                continue;
            };
            let due = msg.stored + self.plan.delay;
            if due > now {
                self.delay_armed = true;
                ctx.timer(due - now, Timer::new(QueueTimer::DelayDue, 0, 0));
                break;
            }
            self.store.delayed.pop_front();
            self.store.make_visible(r, false);
        }
        self.serve_parked(ctx);
    }

    /// Arms the visibility timer for the earliest live deadline, unless one is armed earlier.
    fn arm_visibility(&mut self, ctx: &mut Ctx<'_>) {
        let batches = &self.store.batches;
        let live = |&(due, slot, generation): &super::deadlines::Deadline| {
            batches.get(slot).is_some_and(|b| b.generation == generation && b.expires == due)
        };
        if self.visibility_deadlines.len() > 2 * batches.len() + 1024 {
            self.visibility_deadlines.compact(live);
        }
        if let Some(due) = self.visibility_deadlines.earliest(live)
            && self.visibility_deadlines.armed.is_none_or(|armed| due < armed)
        {
            self.visibility_deadlines.armed = Some(due);
            ctx.timer(due.saturating_since(ctx.now()), Timer::new(QueueTimer::VisibilityExpired, 0, due.0));
        }
    }

    /// Arms the wait timer for the earliest live long-poll deadline, unless one is armed earlier.
    fn arm_wait(&mut self, ctx: &mut Ctx<'_>) {
        let parked = &self.parked;
        let live = |&(due, slot, generation): &super::deadlines::Deadline| {
            parked.get(slot).is_some_and(|p| p.generation == generation && p.deadline == due)
        };
        if let Some(due) = self.wait_deadlines.earliest(live)
            && self.wait_deadlines.armed.is_none_or(|armed| due < armed)
        {
            self.wait_deadlines.armed = Some(due);
            ctx.timer(due.saturating_since(ctx.now()), Timer::new(QueueTimer::WaitExpired, 0, due.0));
        }
    }

    /// A batch's visibility timeout ran out (if `due` is still its deadline): its remaining
    /// messages become visible again at the front of their server or group (in their order),
    /// or go to the dead-letter queue.
    fn visibility_expired(&mut self, due: SimTime, slot: u32, generation: u32) {
        if !self.store.batches.get(slot).is_some_and(|b| b.generation == generation && b.expires == due) {
            return;
        }
        let batch = self.store.batches.remove(slot).expect("checked");
        for i in (0..batch.count as usize).rev() {
            if batch.live & (1 << i) == 0 {
                continue;
            }
            let r = batch.members[i];
            let Some(msg) = self.store.get(r).copied() else { continue };
            if self.plan.max_receives.is_some_and(|max| msg.receives >= max) {
                self.store.remove(r);
                if !msg.ghost {
                    self.m.dead_lettered.incr();
                }
                continue;
            }
            self.store.make_visible(r, true);
        }
    }

    /// Arms the retention timer for the oldest stored message.
    fn arm_retention(&mut self, ctx: &mut Ctx<'_>) {
        let Some(r) = self.store.oldest() else { return };
        let stored = self.store.get(r).expect("oldest is stored").stored;
        let due = stored + self.plan.retention;
        let delay = due.saturating_since(ctx.now());
        self.retention_timer = Some(ctx.timer(delay, Timer::new(QueueTimer::RetentionDue, 0, 0)));
    }

    /// Expires every message whose retention period is over, then re-arms.
    fn expire(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        while let Some(r) = self.store.oldest() {
            let msg = *self.store.get(r).expect("oldest is stored");
            if msg.stored + self.plan.retention > now {
                break;
            }
            self.store.by_arrival.pop_front();
            if let Some(removed) = self.store.remove(r)
                && !removed.ghost
            {
                self.m.expired.incr();
            }
        }
        self.arm_retention(ctx);
    }
}

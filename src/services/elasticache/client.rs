//! The cache client: each request's operation from its arrival to its reply — GET, the
//! database read on a miss (shared by concurrent misses under coalescing), the SET that
//! fills the cache, and writes under the strategy — and what it learns of the database's
//! commits (for the staleness measurement).

use super::ElastiCache;
use super::config::Strategy;
use super::protocol::{CLIENT, CacheInternal, Outcome};
use crate::blocks::caller::{CallOutcome, Host};
use crate::engine::SimTime;
use crate::model::{Ctx, Internal, Op, Request, Status, Timer};

/// No operation (end of a waiters list).
const NIL: u32 = u32::MAX;

/// Where an operation is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Its GET is at a node.
    Get,
    /// It reads the database (`fallback`: because the cache failed, so no SET follows).
    DbRead {
        /// The read replaces a failed GET.
        fallback: bool,
    },
    /// It waits for another operation's database read of the same key (coalescing).
    Waiting,
    /// Its SET after a miss is at a node.
    Fill,
    /// Its write is at the database.
    DbWrite,
    /// Its write's SET (write-through) or DEL (write-invalidate) is at a node.
    Update,
}

/// An operation in progress.
#[derive(Copy, Clone, Debug)]
pub(super) struct PendingOp {
    /// The request being served (its `arrived` is when it reached the client).
    pub(super) request: Request,
    pub(super) id: u64,
    /// Bumped at each command sent, so a late answer to an earlier one is recognized.
    pub(super) stage: u32,
    pub(super) step: Step,
    /// The node whose answer it waits for.
    pub(super) at_node: Option<u32>,
    /// When its current command was sent.
    pub(super) sent: SimTime,
    /// The next operation waiting for the same fetch.
    next_waiter: u32,
}

/// A key's misses being fetched from the database. A flight lasts from the database read to
/// the answer of the SET that follows it (as when an application's single-flight function
/// reads and fills), so the misses of one expiry are one episode however their answers
/// interleave.
#[derive(Copy, Clone, Debug)]
pub(super) struct Fetch {
    /// Flights (database read, then SET) in progress for the key.
    reads: u32,
    /// Misses of this episode: each one's read (no coalescing) or wait (coalescing).
    herd: u32,
    /// The episode began with an expired item.
    expired: bool,
    /// First waiting operation.
    waiters: u32,
}

/// How an operation ended, for its latency histogram.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Class {
    Hit,
    Miss,
    Write,
}

impl ElastiCache {
    /// A request from a workload arrives at the cache client.
    pub(super) fn on_request(&mut self, mut request: Request, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        request.arrived = now;
        let step = match request.op {
            Op::Read => Step::Get,
            Op::Write => Step::DbWrite,
            _ => {
                ctx.reply(request, Status::Invalid);
                return;
            }
        };
        let id = self.next_op;
        self.next_op += 1;
        let slot =
            self.ops.insert(PendingOp { request, id, stage: 0, step, at_node: None, sent: now, next_waiter: NIL });
        if step == Step::Get {
            self.m.reads.incr();
            self.send_command(slot, Op::Read, 0, ctx);
        } else {
            self.m.writes.incr();
            self.db.call(Op::Write, request.key, request.size, Host::ByRequest, slot, ctx);
        }
    }

    /// Sends operation `slot`'s next command (`op`: Read = GET, Write = SET carrying
    /// `as_of`, Delete = DEL) to its key's primary.
    fn send_command(&mut self, slot: u32, op: Op, as_of: u64, ctx: &mut Ctx<'_>) {
        let Some(pending) = self.ops.get(slot) else { return };
        let shard = self.shard_of(pending.request.key);
        let node = self.shard_nodes[shard][0];
        let now = ctx.now();
        let Some(pending) = self.ops.get_mut(slot) else { return };
        pending.stage = pending.stage.wrapping_add(1);
        pending.at_node = Some(node as u32);
        pending.sent = now;
        let command = Request {
            id: pending.id,
            op,
            token: u64::from(slot),
            created: now,
            arrived: now,
            client: ctx.me(),
            attempt: 1,
            ..pending.request
        };
        let (id, stage) = (pending.id, pending.stage);
        let message = Internal::new(CacheInternal::Command, CLIENT, node as u32, as_of, command).tagged(stage);
        if !ctx.send_internal(self.plan.client_az, self.nodes[node].az, message) {
            self.arm_timeout(slot, id, stage, ctx);
        }
    }

    /// A node answered a command.
    pub(super) fn on_answer(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let slot = internal.request.token as u32;
        let Some(pending) = self.ops.get_mut(slot) else { return };
        if pending.id != internal.request.id || pending.stage != internal.tag || pending.at_node != Some(internal.from)
        {
            return; // An answer the client already gave up on.
        }
        pending.at_node = None;
        let outcome = Outcome::from_code(internal.data).unwrap_or(Outcome::Refused);
        self.on_outcome(slot, outcome, ctx);
    }

    /// The client's timeout toward a node fired.
    pub(super) fn on_node_timeout(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let Some(pending) = self.ops.get_mut(timer.slot) else { return };
        if pending.id != timer.data || pending.stage != timer.tag || pending.at_node.is_none() {
            return;
        }
        pending.at_node = None;
        self.m.node_timeouts.incr();
        self.on_outcome(timer.slot, Outcome::Refused, ctx);
    }

    /// What operation `slot` does once its command's outcome is known.
    fn on_outcome(&mut self, slot: u32, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let Some(pending) = self.ops.get(slot).copied() else { return };
        match pending.step {
            Step::Get => match outcome {
                Outcome::Hit => {
                    self.m.hits.incr();
                    self.finish(slot, Status::Ok, Class::Hit, ctx);
                }
                Outcome::Miss | Outcome::Expired => {
                    self.m.misses.incr();
                    self.start_fetch(slot, outcome == Outcome::Expired, ctx);
                }
                Outcome::Refused | Outcome::OutOfMemory | Outcome::Done => {
                    self.m.cache_errors.incr();
                    self.read_database(slot, true, ctx);
                }
            },
            Step::Fill | Step::Update => {
                match outcome {
                    Outcome::OutOfMemory => self.m.set_refused.incr(),
                    Outcome::Refused => self.m.cache_errors.incr(),
                    _ => {}
                }
                if pending.step == Step::Fill {
                    // The value was read: the key's flight ends with this fill.
                    self.end_fetch(pending.request.key, Status::Ok, ctx);
                    self.finish(slot, Status::Ok, Class::Miss, ctx);
                } else {
                    self.finish(slot, Status::Ok, Class::Write, ctx);
                }
            }
            Step::DbRead { .. } | Step::Waiting | Step::DbWrite => {}
        }
    }

    /// A GET missed: join the key's fetch or start one.
    fn start_fetch(&mut self, slot: u32, expired: bool, ctx: &mut Ctx<'_>) {
        let Some(pending) = self.ops.get(slot) else { return };
        let key = pending.request.key;
        let fetch = self.fetches.entry(key).or_insert(Fetch { reads: 0, herd: 0, expired, waiters: NIL });
        // The GET that found the expired item may be answered after a later GET's miss.
        fetch.expired |= expired;
        fetch.herd += 1;
        if self.plan.coalescing && fetch.reads > 0 {
            let next = fetch.waiters;
            fetch.waiters = slot;
            if let Some(pending) = self.ops.get_mut(slot) {
                pending.step = Step::Waiting;
                pending.next_waiter = next;
            }
            self.m.coalesced.incr();
            return;
        }
        fetch.reads += 1;
        self.read_database(slot, false, ctx);
    }

    /// Operation `slot` reads its key from the database.
    fn read_database(&mut self, slot: u32, fallback: bool, ctx: &mut Ctx<'_>) {
        let Some(pending) = self.ops.get_mut(slot) else { return };
        pending.step = Step::DbRead { fallback };
        pending.sent = ctx.now();
        let (key, size) = (pending.request.key, pending.request.size);
        self.m.db_reads.incr();
        self.db.call(Op::Read, key, size, Host::ByRequest, slot, ctx);
    }

    /// A database call ended.
    pub(super) fn on_db_outcome(&mut self, outcome: CallOutcome<u32>, ctx: &mut Ctx<'_>) {
        let (slot, reply) = match outcome {
            CallOutcome::Succeeded { reply, user } => (user, Ok(reply)),
            CallOutcome::Failed { status, user, .. } => (user, Err(status)),
        };
        let Some(pending) = self.ops.get(slot).copied() else { return };
        let key = pending.request.key;
        // The database's time of service (tag = nanoseconds + 1), or when the call was made.
        let served = |tag: u64| if tag > 0 { tag - 1 } else { pending.sent.0 };
        match (pending.step, reply) {
            (Step::DbRead { fallback }, Ok(reply)) => {
                let as_of = served(reply.tag);
                if fallback {
                    self.finish(slot, Status::Ok, Class::Miss, ctx);
                } else {
                    if let Some(pending) = self.ops.get_mut(slot) {
                        pending.step = Step::Fill;
                    }
                    self.send_command(slot, Op::Write, as_of, ctx);
                }
            }
            (Step::DbRead { fallback }, Err(status)) => {
                self.m.db_failures.incr();
                if !fallback {
                    self.end_fetch(key, status, ctx);
                }
                self.finish(slot, status, Class::Miss, ctx);
            }
            (Step::DbWrite, Ok(reply)) => {
                let commit = if reply.tag > 0 { reply.tag - 1 } else { ctx.now().0 };
                self.learn_commit(key, commit);
                let command = match self.plan.strategy {
                    Strategy::LazyLoading => None,
                    Strategy::WriteThrough => Some(Op::Write),
                    Strategy::WriteInvalidate => Some(Op::Delete),
                };
                match command {
                    Some(op) => {
                        if let Some(pending) = self.ops.get_mut(slot) {
                            pending.step = Step::Update;
                        }
                        self.send_command(slot, op, commit, ctx);
                    }
                    None => self.finish(slot, Status::Ok, Class::Write, ctx),
                }
            }
            (Step::DbWrite, Err(status)) => {
                self.m.db_failures.incr();
                self.finish(slot, status, Class::Write, ctx);
            }
            _ => {}
        }
    }

    /// One flight of `key`'s fetch ended with `status`: its waiters get the value (or the
    /// failure); when no flight is left the episode's herd size is recorded.
    fn end_fetch(&mut self, key: u64, status: Status, ctx: &mut Ctx<'_>) {
        let Some(fetch) = self.fetches.get_mut(&key) else { return };
        fetch.reads = fetch.reads.saturating_sub(1);
        let mut waiter = std::mem::replace(&mut fetch.waiters, NIL);
        let done = (fetch.reads == 0).then_some(*fetch);
        if done.is_some() {
            self.fetches.remove(&key);
        }
        while waiter != NIL {
            let next = self.ops.get(waiter).map(|op| op.next_waiter).unwrap_or(NIL);
            self.finish(waiter, status, Class::Miss, ctx);
            waiter = next;
        }
        if let Some(fetch) = done {
            self.m.record_herd(fetch.herd, fetch.expired);
        }
    }

    /// Measurement: the database committed a write of `key` at `commit` (ns). An older item
    /// of the key is stale from then on.
    fn learn_commit(&mut self, key: u64, commit: u64) {
        let latest = self.commits.entry(key).or_insert(0);
        *latest = (*latest).max(commit);
        let shard = self.shard_of(key);
        if let Some(item) = self.stores[shard].peek_mut(key)
            && item.as_of < commit
            && item.overwritten == 0
        {
            item.overwritten = commit;
        }
    }

    /// Ends operation `slot`: replies to its client and records its latency.
    fn finish(&mut self, slot: u32, status: Status, class: Class, ctx: &mut Ctx<'_>) {
        let Some(pending) = self.ops.remove(slot) else { return };
        let latency = ctx.now() - pending.request.arrived;
        self.m.record_latency(class, status, latency);
        ctx.reply(pending.request, status);
    }
}

//! The caller: how any component calls another. [`Caller`] keeps the state of each call in
//! flight (a [`Slab`] slot named by its timers and carried back in the reply's token), sends
//! each attempt from a client host through that host's DNS cache, waits `timeout` per attempt,
//! retries failed attempts after a backoff up to `max_attempts`, and reports each call's end
//! once. Workloads use it today; app servers, SQS consumers, Lambda pollers and SNS deliveries
//! call their targets through it too.
//!
//! The client policy every caller shares: a timeout per attempt, a maximum number of attempts,
//! exponential backoff with full jitter between attempts, and DNS caching with a TTL.
//!
//! Backoff before attempt n+1 is uniform on [0, min(cap, base·2^(n−1))] ("full jitter", AWS
//! Architecture Blog, "Exponential Backoff And Jitter", 2015). A client keeps the address it
//! resolved until its cache entry expires, so after a failover's DNS switch it goes on reaching
//! the old instance for up to one TTL. Each host's cache starts at its own random point of the
//! TTL cycle ([`Caller::start`]), so after a switch the hosts of a fleet move over at times
//! spread uniformly over one TTL, not all at once.

use std::collections::VecDeque;

use rand::{RngExt, SeedableRng};

pub use super::client::{
    CLIENT_DOC, ClientConfig, ClientPolicy, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP, DEFAULT_DNS_TTL,
    DEFAULT_OUTAGE_GAP, DnsCache, MAX_HOSTS,
};
use super::outage::Outages;
use super::slab::Slab;
use crate::engine::{SimDuration, SimRng, SimTime, splitmix64};
use crate::metrics::Counter;
use crate::model::{Backlog, ComponentId, Ctx, Message, Op, Reply, Request, Status, Timer, TimerKind};

/// Final failures of calls, by cause.
#[derive(Clone, Debug, Default)]
pub struct Failures {
    /// The last attempt timed out.
    pub timeout: Counter,
    /// The target could not serve it.
    pub unavailable: Counter,
    /// A rate limit refused it.
    pub throttled: Counter,
    /// A full queue refused it; also operations the target does not offer (`invalid`), which
    /// workloads, sending only reads and writes, never meet.
    pub rejected: Counter,
}

impl Failures {
    fn count(&mut self, status: Status) {
        match status {
            Status::TimedOut => self.timeout.incr(),
            Status::Unavailable => self.unavailable.incr(),
            Status::Throttled => self.throttled.incr(),
            Status::Rejected | Status::Invalid => self.rejected.incr(),
            Status::Ok => {}
        }
    }

    /// Every failure.
    pub fn total(&self) -> u64 {
        self.timeout.total() + self.unavailable.total() + self.throttled.total() + self.rejected.total()
    }

    /// Failures since the last call (for time series).
    pub fn take_interval(&mut self) -> u64 {
        self.timeout.take_interval()
            + self.unavailable.take_interval()
            + self.throttled.take_interval()
            + self.rejected.take_interval()
    }

    /// Forgets the counts (end of warm-up).
    pub fn reset(&mut self) {
        for counter in [&mut self.timeout, &mut self.unavailable, &mut self.throttled, &mut self.rejected] {
            counter.reset();
        }
    }

    /// (cause, counter) pairs in report order.
    pub fn by_cause(&self) -> [(&'static str, &Counter); 4] {
        [
            ("timeout", &self.timeout),
            ("unavailable", &self.unavailable),
            ("throttled", &self.throttled),
            ("rejected", &self.rejected),
        ]
    }
}

/// How a call's end is reported.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum CallOutcome<U> {
    /// The call succeeded: the reply (its request's `created` is when the call began) and
    /// the caller's own datum.
    Succeeded {
        /// The successful reply.
        reply: Reply,
        /// What the caller attached to the call.
        user: U,
    },
    /// The call failed for good: its last attempt's status (counted in [`Caller::failures`]).
    Failed {
        /// The request of the last attempt.
        request: Request,
        /// Why it failed.
        status: Status,
        /// What the caller attached to the call.
        user: U,
    },
}

/// Which client host sends a call's attempts (each host has its own DNS cache).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// Calls are spread over the hosts by request id (open arrivals).
    ByRequest,
    /// The caller's own client `n` runs on host `n mod hosts` (closed-loop clients).
    Client(u32),
}

/// A call in flight.
#[derive(Copy, Clone, Debug)]
struct Call<U> {
    /// The current attempt's request.
    request: Request,
    host: u32,
    user: U,
}

/// When attempt `attempt` of call `id` (in `slot`) times out.
#[derive(Copy, Clone, Debug)]
struct Deadline {
    at: SimTime,
    id: u64,
    slot: u32,
    attempt: u16,
}

/// Calls from one component to one target under one [`ClientPolicy`].
///
/// Every attempt waits the same timeout, so attempts time out in the order they were sent: the
/// caller keeps their deadlines in a FIFO and has at most one timer pending, for the oldest
/// attempt still unanswered. An answered attempt costs nothing to "cancel" (its deadline is
/// skipped when it reaches the front), and the event queue holds one timer per caller instead
/// of one per call in flight.
pub struct Caller<U: Copy> {
    policy: ClientPolicy,
    target: ComponentId,
    timeout_kind: u32,
    retry_kind: u32,
    /// The `tag` its timers carry (0 unless set by [`with_timer_tag`](Self::with_timer_tag)).
    timer_tag: u32,
    dns: Vec<DnsCache>,
    calls: Slab<Call<U>>,
    /// Deadlines of the attempts sent, oldest first; those of attempts answered, retried or
    /// given up since are dropped when they reach the front (or by a compaction).
    deadlines: VecDeque<Deadline>,
    /// True while the caller's one timeout timer is pending.
    timer_armed: bool,
    next_id: u64,
    /// Attempts after the first.
    pub retries: Counter,
    /// Calls that failed after their last attempt.
    pub failures: Failures,
    /// Outages as the calling hosts saw them.
    pub outages: Outages,
}

impl<U: Copy> Caller<U> {
    /// A caller to `target` whose attempt timeouts and retries are timers of the owner's kinds
    /// `timeout_kind` and `retry_kind` (the owner hands those timers to [`on_timeout`] and
    /// [`on_retry`]).
    ///
    /// [`on_timeout`]: Self::on_timeout
    /// [`on_retry`]: Self::on_retry
    pub fn new(
        policy: ClientPolicy,
        target: ComponentId,
        timeout_kind: impl TimerKind,
        retry_kind: impl TimerKind,
    ) -> Self {
        Caller {
            dns: vec![DnsCache::default(); policy.hosts as usize],
            outages: Outages::new(policy.hosts, policy.outage_gap),
            policy,
            target,
            timeout_kind: timeout_kind.code(),
            retry_kind: retry_kind.code(),
            timer_tag: 0,
            calls: Slab::new(),
            deadlines: VecDeque::new(),
            timer_armed: false,
            next_id: 0,
            retries: Counter::default(),
            failures: Failures::default(),
        }
    }

    /// The same caller with its timers carrying `tag`, so an owner with several callers
    /// (one per target) can tell whose timer fired.
    pub fn with_timer_tag(mut self, tag: u32) -> Self {
        self.timer_tag = tag;
        self
    }

    /// Called once at time zero: puts each host's DNS cache at an independent, uniformly
    /// random point of its TTL cycle, drawn from a stream of its own (seeded by one draw from
    /// `rng`), so that hosts do not all re-resolve at the same instants and the wait after a
    /// DNS switch is spread over [0, TTL] across hosts, as in a real fleet.
    pub fn start(&mut self, rng: &mut SimRng) {
        let mut phases = SimRng::seed_from_u64(splitmix64(rng.random::<u64>()));
        let ttl = self.policy.dns_ttl().as_nanos();
        for cache in &mut self.dns {
            let phase = if ttl == 0 { 0 } else { phases.random_range(1..=ttl) };
            *cache = DnsCache::at_phase(SimDuration(phase));
        }
    }

    /// The policy.
    pub fn policy(&self) -> &ClientPolicy {
        &self.policy
    }

    /// Calls in flight (waiting for a reply or a retry).
    pub fn in_flight(&self) -> usize {
        self.calls.len()
    }

    /// What the caller holds: its calls in flight and their memory. Nothing is queued here
    /// (the calls wait at their target), so `queued` is 0.
    pub fn backlog(&self) -> Backlog {
        let deadlines = (self.deadlines.capacity() * std::mem::size_of::<Deadline>()) as u64;
        Backlog { held: self.calls.len() as u64, bytes: self.calls.footprint() + deadlines, ..Backlog::default() }
    }

    /// Starts a call of `op` on `key` with a `size`-byte payload, from `host`, and sends its
    /// first attempt; `user` comes back with its outcome. Returns the call's slot.
    pub fn call(&mut self, op: Op, key: u64, size: u32, host: Host, user: U, ctx: &mut Ctx<'_>) -> u32 {
        let now = ctx.now();
        let id = self.next_id;
        self.next_id += 1;
        let hosts = u64::from(self.policy.hosts);
        let host = match host {
            Host::ByRequest => id % hosts,
            Host::Client(client) => u64::from(client) % hosts,
        } as u32;
        let request = Request {
            id,
            op,
            key,
            size,
            created: now,
            arrived: now,
            client: ctx.me(),
            token: 0,
            attempt: 1,
            resolved_at: now,
            deadline: SimTime::MAX,
        };
        let slot =
            self.calls.insert_with(|slot| Call { request: Request { token: u64::from(slot), ..request }, host, user });
        self.attempt(slot, ctx);
        slot
    }

    /// Sends the current attempt of the call in `slot` from its host, through the host's DNS
    /// cache, and arms its timeout.
    fn attempt(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let Some(call) = self.calls.get_mut(slot) else { return };
        call.request.resolved_at = self.dns[call.host as usize].lookup(now, &self.policy);
        call.request.arrived = now;
        call.request.deadline = match self.policy.timeout {
            Some(timeout) if self.policy.cancel_on_timeout => now + timeout,
            _ => SimTime::MAX,
        };
        let request = call.request;
        if let Some(timeout) = self.policy.timeout {
            self.deadlines.push_back(Deadline { at: now + timeout, id: request.id, slot, attempt: request.attempt });
            if !self.timer_armed {
                self.timer_armed = true;
                ctx.timer(timeout, self.timeout_timer());
            }
            // Answered attempts leave their deadlines behind until they reach the front; keep
            // the FIFO within twice the calls in flight (amortised O(1) per attempt).
            if self.deadlines.len() > 2 * self.calls.len() + 64 {
                let calls = &self.calls;
                self.deadlines.retain(|deadline| Self::waits(calls, deadline));
            }
        }
        ctx.send(self.target, Message::Request(request));
    }

    /// The caller's timeout timer (which deadline is due is the FIFO's business).
    fn timeout_timer(&self) -> Timer {
        Timer { kind: self.timeout_kind, slot: 0, data: 0, tag: self.timer_tag }
    }

    /// True if the attempt of `deadline` is still unanswered.
    fn waits(calls: &Slab<Call<U>>, deadline: &Deadline) -> bool {
        calls
            .get(deadline.slot)
            .is_some_and(|call| call.request.id == deadline.id && call.request.attempt == deadline.attempt)
    }

    /// Drops the deadlines of answered attempts from the front and arms the timer for the
    /// oldest attempt still unanswered, if any.
    fn arm(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(front) = self.deadlines.front() {
            if Self::waits(&self.calls, front) {
                self.timer_armed = true;
                let delay = front.at.saturating_since(ctx.now());
                ctx.timer(delay, self.timeout_timer());
                return;
            }
            self.deadlines.pop_front();
        }
    }

    /// True if `slot` still waits for attempt `attempt`.
    fn current(&self, slot: u32, attempt: u16) -> bool {
        self.calls.get(slot).is_some_and(|call| call.request.attempt == attempt)
    }

    /// A reply arrived. Returns the call's outcome if this ends it; None for a late reply to
    /// an attempt already given up on, or a failure that will be retried.
    pub fn on_reply(&mut self, reply: Reply, ctx: &mut Ctx<'_>) -> Option<CallOutcome<U>> {
        let slot = reply.request.token as u32;
        let call = self.calls.get_mut(slot)?;
        if call.request.attempt != reply.request.attempt || call.request.id != reply.request.id {
            return None; // A late reply to an attempt already timed out or retried.
        }
        if reply.status == Status::Ok {
            let call = self.calls.remove(slot)?;
            self.outages.success(call.request.op.is_read(), call.host, ctx.now());
            Some(CallOutcome::Succeeded { reply, user: call.user })
        } else {
            self.failed(slot, reply.status, ctx)
        }
    }

    /// This caller's timeout timer fired (the owner's `timeout_kind`): the oldest attempt still
    /// unanswered times out if its deadline has come (the next one's timer is armed first, so
    /// deadlines due at the same instant fire one after another, oldest first).
    pub fn on_timeout(&mut self, _timer: Timer, ctx: &mut Ctx<'_>) -> Option<CallOutcome<U>> {
        self.timer_armed = false;
        let now = ctx.now();
        while let Some(&front) = self.deadlines.front() {
            if !Self::waits(&self.calls, &front) {
                self.deadlines.pop_front();
                continue;
            }
            if front.at > now {
                break;
            }
            self.deadlines.pop_front();
            self.arm(ctx);
            return self.failed(front.slot, Status::TimedOut, ctx);
        }
        self.arm(ctx);
        None
    }

    /// One of this caller's retry timers fired (the owner's `retry_kind`): send the attempt.
    pub fn on_retry(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        if self.current(timer.slot, timer.data as u16) {
            self.attempt(timer.slot, ctx);
        }
    }

    /// An attempt failed: retry after a backoff, or give up (at once for `Invalid`, which no
    /// retry can fix).
    fn failed(&mut self, slot: u32, status: Status, ctx: &mut Ctx<'_>) -> Option<CallOutcome<U>> {
        let call = self.calls.get_mut(slot)?;
        self.outages.failure(call.request.op.is_read(), call.host);
        let attempt = call.request.attempt;
        if attempt < self.policy.max_attempts && status != Status::Invalid {
            call.request.attempt += 1;
            self.retries.incr();
            let wait = self.policy.backoff(attempt, ctx.rng);
            ctx.timer(wait, Timer { kind: self.retry_kind, slot, data: u64::from(attempt + 1), tag: self.timer_tag });
            None
        } else {
            self.failures.count(status);
            let call = self.calls.remove(slot)?;
            Some(CallOutcome::Failed { request: call.request, status, user: call.user })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StreamKey;
    use crate::units::Duration;

    crate::message_kinds! {
        /// The test owner's timers.
        timer enum OwnerTimer {
            /// An attempt timed out.
            Timeout,
            /// A retry is due.
            Retry,
        }
    }

    use crate::engine::EventQueue;
    use crate::model::{Event, Network};

    /// Runs a caller against a target that never answers, handing its timers back to it, and
    /// returns the outcome and when it came.
    fn run_unanswered(policy: ClientPolicy) -> (Option<CallOutcome<u32>>, SimTime, u64, usize) {
        let mut queue: EventQueue<Event> = EventQueue::new();
        let mut network = Network::instant();
        let mut rng = StreamKey { seed: 1, point: 0, replication: 0 }.rng("caller");
        let (me, target) = (ComponentId(0), ComponentId(1));
        let mut caller = Caller::new(policy, target, OwnerTimer::Timeout, OwnerTimer::Retry);
        {
            let mut ctx = Ctx::new(me, &mut queue, &mut network, &mut rng);
            caller.call(Op::Read, 5, 100, Host::ByRequest, 42, &mut ctx);
        }
        let mut sent = 0;
        while let Some(event) = queue.pop() {
            let mut ctx = Ctx::new(me, &mut queue, &mut network, &mut rng);
            match event.msg {
                Message::Request(_) => sent += 1, // The target never answers.
                Message::Timer(timer) => match timer.kind_as::<OwnerTimer>() {
                    Some(OwnerTimer::Timeout) => {
                        if let Some(outcome) = caller.on_timeout(timer, &mut ctx) {
                            return (Some(outcome), ctx.now(), caller.retries.total(), sent);
                        }
                    }
                    Some(OwnerTimer::Retry) => caller.on_retry(timer, &mut ctx),
                    None => unreachable!("only the caller's timers are set"),
                },
                _ => {}
            }
        }
        (None, queue.now(), caller.retries.total(), sent)
    }

    #[test]
    fn an_unanswered_call_times_out_after_every_attempt_and_reports_once() {
        let policy = ClientConfig {
            timeout: Some(Duration(SimDuration::from_secs(1))),
            max_attempts: 3,
            backoff: Duration(SimDuration::ZERO),
            backoff_cap: Duration(SimDuration::ZERO),
            ..Default::default()
        }
        .build()
        .unwrap();
        let (outcome, at, retries, sent) = run_unanswered(policy);
        let Some(CallOutcome::Failed { request, status, user }) = outcome else { panic!("{outcome:?}") };
        assert_eq!((status, user, request.attempt, request.key), (Status::TimedOut, 42, 3, 5));
        assert_eq!((retries, sent), (2, 3), "two retries, three attempts sent");
        assert_eq!(at, SimTime::ZERO + SimDuration::from_secs(3), "three 1 s timeouts, no backoff");
    }

    #[test]
    fn replies_end_calls_and_late_replies_are_ignored() {
        let policy = ClientConfig { max_attempts: 2, ..Default::default() }.build().unwrap();
        let mut queue: EventQueue<Event> = EventQueue::new();
        let mut network = Network::instant();
        let mut rng = StreamKey { seed: 1, point: 0, replication: 0 }.rng("caller");
        let mut caller = Caller::new(policy, ComponentId(1), OwnerTimer::Timeout, OwnerTimer::Retry);
        let mut ctx = Ctx::new(ComponentId(0), &mut queue, &mut network, &mut rng);
        caller.call(Op::Write, 1, 10, Host::Client(3), 7u32, &mut ctx);
        // What was sent: call 0 in slot 0, first attempt (only id, token and attempt matter).
        let request = Request {
            id: 0,
            op: Op::Write,
            key: 1,
            size: 10,
            created: SimTime::ZERO,
            arrived: SimTime::ZERO,
            client: ComponentId(0),
            token: 0,
            attempt: 1,
            resolved_at: SimTime::ZERO,
            deadline: SimTime::MAX,
        };
        // A refusal is retried (after a backoff), not reported.
        let refused = Reply::new(request, Status::Unavailable, ComponentId(1));
        assert_eq!(caller.on_reply(refused, &mut ctx), None);
        assert_eq!((caller.retries.total(), caller.in_flight()), (1, 1));
        // A reply to the first attempt after the retry was decided is late: ignored.
        let late = Reply::new(request, Status::Ok, ComponentId(1));
        assert_eq!(caller.on_reply(late, &mut ctx), None);
        let second = Request { attempt: 2, ..request };
        let ok = Reply { count: 3, tag: 99, ..Reply::new(second, Status::Ok, ComponentId(1)) };
        let Some(CallOutcome::Succeeded { reply, user }) = caller.on_reply(ok, &mut ctx) else { panic!("ends") };
        assert_eq!((user, reply.count, reply.tag, caller.in_flight()), (7, 3, 99, 0));
        assert_eq!(caller.on_reply(ok, &mut ctx), None, "reported once");
        // An operation the target does not offer is not retried.
        caller.call(Op::Send, 1, 10, Host::ByRequest, 8u32, &mut ctx);
        let sent = Request { id: 1, token: 0, attempt: 1, op: Op::Send, ..request };
        let invalid = Reply::new(sent, Status::Invalid, ComponentId(1));
        assert!(matches!(
            caller.on_reply(invalid, &mut ctx),
            Some(CallOutcome::Failed { status: Status::Invalid, .. })
        ));
    }

    #[test]
    fn backoff_is_full_jitter_capped() {
        let policy = ClientConfig {
            backoff: Duration(SimDuration::from_millis(100)),
            backoff_cap: Duration(SimDuration::from_secs(1)),
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut rng = StreamKey { seed: 1, point: 0, replication: 0 }.rng("c");
        let n = 20_000;
        for (attempt, ceiling) in [(1u16, 0.1), (2, 0.2), (3, 0.4), (5, 1.0), (40, 1.0)] {
            let draws: Vec<f64> = (0..n).map(|_| policy.backoff(attempt, &mut rng).as_secs_f64()).collect();
            let max = draws.iter().cloned().fold(0.0, f64::max);
            let mean = draws.iter().sum::<f64>() / n as f64;
            assert!(max <= ceiling + 1e-9, "attempt {attempt}: {max} > {ceiling}");
            // Uniform on [0, c]: mean c/2, standard error c/√(12n) ≈ 0.002c; allow 0.02c.
            assert!((mean - ceiling / 2.0).abs() < 0.02 * ceiling, "attempt {attempt}: mean {mean}");
        }
    }

    /// After a DNS switch at 70 s with a 60 s TTL, each of 2,000 hosts (looking up every
    /// 10 ms) first sees the new answer after a wait that should be uniform on [0, 60 s]. A
    /// Kolmogorov–Smirnov distance below 1.63/√n (p = 0.01) accepts uniformity; the 10 ms
    /// lookup grid moves each wait by at most 1/6000 of the TTL.
    #[test]
    fn waits_after_a_dns_switch_are_spread_uniformly_over_the_ttl() {
        let hosts = 2000u32;
        let policy = ClientConfig { dns_ttl: Duration(SimDuration::from_secs(60)), hosts, ..Default::default() }
            .build()
            .unwrap();
        let mut caller: Caller<u32> =
            Caller::new(policy.clone(), ComponentId(1), OwnerTimer::Timeout, OwnerTimer::Retry);
        let mut rng = StreamKey { seed: 3, point: 0, replication: 0 }.rng("w");
        caller.start(&mut rng);
        let switch = SimTime::ZERO + SimDuration::from_secs(70);
        let step = SimDuration::from_millis(10);
        let mut waits: Vec<f64> = caller
            .dns
            .iter_mut()
            .map(|cache| {
                let mut now = SimTime::ZERO;
                loop {
                    let resolved = cache.lookup(now, &policy);
                    if resolved >= switch {
                        return (now - switch).as_secs_f64();
                    }
                    now += step;
                }
            })
            .collect();
        waits.sort_by(f64::total_cmp);
        let n = waits.len() as f64;
        let distance = waits
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let cdf = (w / 60.0).min(1.0);
                (cdf - i as f64 / n).abs().max((cdf - (i + 1) as f64 / n).abs())
            })
            .fold(0.0, f64::max);
        assert!(distance < 1.63 / n.sqrt(), "KS distance {distance}");
        assert!(
            waits[0] < 0.5 && waits[waits.len() - 1] > 59.5,
            "spans the TTL: {} .. {}",
            waits[0],
            waits[waits.len() - 1]
        );
    }

    #[test]
    fn dns_cache_expires_after_ttl() {
        let policy = ClientConfig::default().build().unwrap();
        let mut cache = DnsCache::default();
        let t = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        assert_eq!(cache.lookup(t(1), &policy), t(1));
        assert_eq!(cache.lookup(t(5), &policy), t(1));
        assert_eq!(cache.lookup(t(6), &policy), t(6), "5 s TTL expired");
    }
}

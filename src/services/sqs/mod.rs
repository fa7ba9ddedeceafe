//! Amazon SQS: standard and FIFO queues (`kind = "sqs"`) and their consumers
//! (`kind = "sqs_consumer"`: workers or a Lambda event source mapping). Defaults and their
//! sources are in [`SQS_DOC`] and [`SQS_CONSUMER_DOC`] (`stratus describe sqs`,
//! `stratus describe sqs_consumer`) and on the constants re-exported here.
//!
//! # The queue
//! Messages are values in the queue's own storage (`store.rs`): a slab of messages and lists of
//! references to them. A standard queue spreads its messages over `servers` storage servers
//! (chosen at random per message); a long poll (WaitTimeSeconds 1–20 s) reads every server,
//! a short poll (0 s) only a random subset of `short_poll_fraction` of them, so it can come
//! back empty or partial while messages wait (SQSDG, short and long polling). A long poll
//! that finds nothing waits at the queue (parked, first come first served) and is answered as
//! soon as a message becomes visible, or empty when its wait ends. A FIFO queue keeps message
//! groups (group = key mod `message_groups`), delivers each group in send order and locks a
//! group while any of its messages is in flight (one in-flight batch per group); sends,
//! receives, deletes and visibility changes are each limited to `api_rate` calls/s, and
//! messages to `message_rate`/s, by token buckets with a one-second burst; a send retried by
//! its producer (same client and request id) within 5 minutes is accepted but not stored
//! again (deduplication).
//!
//! A receive takes up to MaxNumberOfMessages messages (no more than the in-flight limit leaves
//! room for) into one in-flight batch with one visibility timer; the reply's count says how
//! many and its tag is the batch's receipt with the poison mask (layout in [`protocol`]). A
//! delete names the receipt and the messages; a receipt whose batch timed out meanwhile
//! deletes nothing (the messages were or will be delivered again: counted as duplicates of
//! work). When the timer fires, the batch's remaining messages become visible again at the
//! front of their server or group (or move to the dead-letter queue if they were received
//! `max_receive_count` times). A ChangeMessageVisibility resets the batch's timer.
//! Retention expires messages by arrival order; the delivery delay holds new messages back.
//!
//! At-least-once delivery: with `duplicate_probability` p a delete misses one copy of the
//! message, which is delivered again after the visibility timeout; its second delete counts a
//! duplicate (the first counted it as deleted), so `sent = deleted + in_queue + dead_lettered
//! + expired` holds with duplicates on.
//!
//! # Source layout
//! `protocol` the request and reply layouts and the timer kinds; `config` parameters and
//! plans; `store` the storage; `requests` the API calls and the queue's timers; `metrics`
//! what the queue measures; `consumer` (with `workers` and `scaling`) the consumers; `doc`
//! `stratus describe`.

mod config;
mod consumer;
mod deadlines;
mod doc;
mod metrics;
pub mod protocol;
mod requests;
mod scaling;
mod store;
mod workers;

use rand::{RngExt, SeedableRng};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

pub use config::{
    AutoscalingConfig, ConsumerConfig, ConsumerPlan, DEDUP_WINDOW, DEFAULT_EMPTY_PAUSE, DEFAULT_IN_FLIGHT_LIMIT,
    DEFAULT_MESSAGE_GROUPS, DEFAULT_RETENTION, DEFAULT_SERVERS, DEFAULT_SHORT_POLL_FRACTION,
    DEFAULT_VISIBILITY_TIMEOUT, DeadLetterConfig, FIFO_API_RATE, FIFO_MESSAGE_RATE, HIGH_THROUGHPUT_API_RATE,
    LAMBDA_INITIAL_CONCURRENCY, LAMBDA_MAX_CONCURRENCY, LAMBDA_SCALE_PER_MINUTE, MAX_MESSAGE_SIZE, SqsConfig, SqsPlan,
};
pub use consumer::Consumer;
pub use doc::{SQS_CONSUMER_DOC, SQS_DOC};

use self::deadlines::Deadlines;
use self::metrics::QueueMeasures;
use self::requests::Parked;
use self::store::Store;
use crate::blocks::slab::Slab;
use crate::blocks::token_bucket::TokenBucket;
use crate::engine::{EventId, SimDuration, SimRng, SimTime, splitmix64};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::{BillableItem, UsageScale};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, Message, SpecError};

impl KindConfig for SqsConfig {
    /// Requests per million (standard or FIFO price), from `<name>.api_requests`: every
    /// billed call — sends, receives (empty ones included), deletes, visibility changes;
    /// a batch of up to 10 is one request. Payloads over 64 KB would bill one request per
    /// 64 KB chunk: not counted (an assumption that messages are at most 64 KB).
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        let key = if self.fifo { "sqs.fifo_requests_million" } else { "sqs.requests_million" };
        vec![BillableItem::usage(
            name,
            "requests (empty receives included)",
            format!("{name}.api_requests"),
            UsageScale::Count,
            1.0,
            1e6,
            "million requests",
            key,
        )]
    }

    fn events_per_request(&self, _write_fraction: f64) -> f64 {
        // Per message sent: the send's delivery and its reply (2). The consumers' share
        // (nothing reaches them through `references`, so it is counted here): per batch the
        // receive and its reply, one processing timer, the delete and its reply (5), spread
        // over the batch's messages — 5 for batches of one, 0.5 for full batches. Measured on
        // `scenarios/sqs-consumer-sizing.toml` at 11 workers (batches of ~3.4): 3.45 per
        // message besides the producer's arrival; 4.5 assumes batches of 2.
        2.0 + 2.5
    }

    fn nanos_per_event(&self) -> f64 {
        // Measured: the consumer-sizing scenario at 11 workers over one simulated hour, 10
        // replications: 801 M events in 104 s of CPU, about 7.7 M events/s per thread.
        130.0
    }

    fn build(&self, name: &str, _context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(Sqs::new(name, self.plan()?)))
    }
}

/// FIFO token buckets, one per action and one for messages.
struct FifoLimits {
    send: TokenBucket,
    receive: TokenBucket,
    delete: TokenBucket,
    change: TokenBucket,
    messages: TokenBucket,
}

/// A running queue.
pub struct Sqs {
    name: String,
    plan: SqsPlan,
    store: Store,
    /// Long polls waiting for messages.
    parked: Slab<Parked>,
    /// Parked long polls in arrival order (slot, generation).
    waiting: VecDeque<(u32, u32)>,
    next_parked_generation: u32,
    /// Visibility timeouts of the in-flight batches.
    visibility_deadlines: Deadlines,
    /// Wait deadlines of the parked long polls.
    wait_deadlines: Deadlines,
    /// The delay timer is armed for the head of the delayed list.
    delay_armed: bool,
    /// The retention timer, if armed.
    retention_timer: Option<EventId>,
    fifo_limits: Option<FifoLimits>,
    /// FIFO deduplication: (client, request id) → when the window ends.
    dedup: FxHashMap<(u32, u64), SimTime>,
    /// Deduplication ids by arrival, to forget them after the window.
    dedup_order: VecDeque<(SimTime, (u32, u64))>,
    /// Scratch: the servers a short poll samples, and the messages a receive takes.
    server_order: Vec<u32>,
    taken: Vec<store::Ref>,
    /// Rotates the first server a long poll reads.
    cursor: usize,
    /// Draws for placement, sampling and duplicates, apart from the network's draws.
    rng: SimRng,
    az: u16,
    dead_lettered_total: u64,
    m: QueueMeasures,
}

impl Sqs {
    /// A queue from a checked plan.
    pub fn new(name: &str, plan: SqsPlan) -> Self {
        let fifo_limits = plan.fifo_limits.map(|(api, messages)| FifoLimits {
            send: TokenBucket::new(api, api),
            receive: TokenBucket::new(api, api),
            delete: TokenBucket::new(api, api),
            change: TokenBucket::new(api, api),
            messages: TokenBucket::new(messages, messages),
        });
        Sqs {
            name: name.to_string(),
            store: Store::new(plan.servers, plan.groups, plan.fifo),
            parked: Slab::new(),
            waiting: VecDeque::new(),
            next_parked_generation: 0,
            visibility_deadlines: Deadlines::default(),
            wait_deadlines: Deadlines::default(),
            delay_armed: false,
            retention_timer: None,
            fifo_limits,
            dedup: FxHashMap::default(),
            dedup_order: VecDeque::new(),
            server_order: (0..plan.servers).collect(),
            taken: Vec::with_capacity(protocol::MAX_BATCH),
            cursor: 0,
            rng: SimRng::seed_from_u64(0),
            az: 0,
            dead_lettered_total: 0,
            m: QueueMeasures::default(),
            plan,
        }
    }

    /// The visibility timeout.
    pub fn visibility_timeout(&self) -> SimDuration {
        self.plan.visibility
    }
}

impl Component for Sqs {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.rng = SimRng::seed_from_u64(splitmix64(ctx.rng.random::<u64>()));
        self.az = ctx.network().az_of(ctx.me());
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Timer(timer) => self.on_timer(timer, ctx),
            Message::Reply(_) | Message::Internal(_) | Message::Fault(_) => {}
        }
        self.update_gauges(ctx.now());
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.m.begin(now);
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
        let s = &self.store;
        let refs: usize = s.servers.iter().map(VecDeque::capacity).sum::<usize>()
            + s.groups.iter().map(|g| g.queue.capacity()).sum::<usize>()
            + s.delayed.capacity()
            + s.by_arrival.capacity();
        let bytes = s.msgs.footprint()
            + s.batches.footprint()
            + Backlog::bytes_of::<store::Ref>(refs)
            + Backlog::bytes_of::<deadlines::Deadline>(
                self.visibility_deadlines.capacity() + self.wait_deadlines.capacity(),
            )
            + self.parked.footprint()
            + Backlog::bytes_of::<(SimTime, (u32, u64))>(self.dedup_order.capacity())
            + Backlog::bytes_of::<((u32, u64), SimTime)>(self.dedup.capacity());
        Backlog {
            queued: s.visible + s.delayed_count,
            held: s.msgs.len() as u64 + self.parked.len() as u64,
            bytes,
            offered_load: None,
            arrived: 0,
        }
    }
}

#[cfg(test)]
mod tests;

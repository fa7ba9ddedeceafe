//! Amazon SNS: a standard topic that fans every published message out to its subscribers
//! (SQS queues, or any component that accepts a send), with optional filter policies, an
//! optional publish rate limit, a delivery latency and SNS's delivery retries. Defaults and
//! their sources are in [`SNS_DOC`] (`stratus describe sns`) and on the constants re-exported
//! here.
//!
//! # Publishing
//! A topic serves [`Op::Publish`]; workloads' reads and writes are publishes too (one message
//! each, its key the request's key, its size the request's size). Any other operation is
//! answered `invalid`. A publish over `publish_rate` (a [`TokenBucket`] with a one-second
//! burst) is answered `throttled`; while the topic is crashed, `unavailable`. Otherwise the
//! topic stores the message and answers `ok` at once — SNS acknowledges a publish once the
//! message is accepted, before any delivery — with the message's sequence number as the
//! reply's tag.
//!
//! # Fan-out
//! Each subscriber whose filter policy accepts the message's key ([`FilterConfig`]: the key
//! stands for a numeric message attribute) gets one delivery: after `delivery_latency` the
//! topic sends it — a `send` of the message's key and size, or for a subscriber whose
//! `protocols` entry is `lambda` an `invoke` of one record (Lambda's asynchronous queue is not
//! modeled: a throttled invoke is retried by SNS's policy) — through a [`Caller`] of its own
//! with SNS's retry policy (`delivery`): each attempt waits `timeout`; a failed one is
//! retried after a full-jitter backoff from 1 s up to 20 s, for up to `max_attempts`. SNS's
//! documented policy for AWS-managed endpoints (SQS, Lambda) is 3 immediate retries, 2 a
//! second apart, 10 with exponential backoff from 1 s to 20 s and 100,000 20 s apart
//! (100,015 attempts over 23 days): the caller keeps its cap and jitter (SNS jitters too) but
//! not the immediate phase. A delivery that exhausts its attempts is discarded (no
//! dead-letter queue is modeled). A message is stored until its last delivery ends.
//!
//! # Faults
//! A crash stops the topic accepting publishes; messages already accepted are stored across
//! AZs and their deliveries go on. SNS is regional: while the topic's AZ is lost its endpoint
//! moves to the nearest AZ that is up.

mod config;
mod doc;
mod metrics;
mod protocol;

use self::metrics::Measures;
use self::protocol::SnsTimer;
use crate::blocks::caller::{CallOutcome, Caller, Host};
use crate::blocks::health::Health;
use crate::blocks::slab::Slab;
use crate::blocks::token_bucket::TokenBucket;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::{BillableItem, UsageScale};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, Message, Op, Request, SpecError, Status, Timer};

pub use config::{
    DEFAULT_DELIVERY_ATTEMPTS, DEFAULT_DELIVERY_BACKOFF, DEFAULT_DELIVERY_BACKOFF_CAP, DEFAULT_DELIVERY_LATENCY_SECS,
    DEFAULT_DELIVERY_TIMEOUT, DELIVERY_LATENCY_CV, DeliveryConfig, Filter, FilterConfig, MAX_SUBSCRIBERS, SnsConfig,
    SnsPlan, Subscriber,
};
pub use doc::SNS_DOC;

impl KindConfig for SnsConfig {
    /// Publishes per million (`<name>.throughput`, accepted publishes per second; each 64 KB
    /// of a payload would be one more: an assumption that messages are at most 64 KB).
    /// Deliveries to SQS and Lambda subscribers are free; HTTP deliveries are not billed.
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        vec![BillableItem::usage(
            name,
            "publishes",
            format!("{name}.throughput"),
            UsageScale::PerSecond,
            1.0,
            1e6,
            "million publishes",
            "sns.publishes_million",
        )]
    }

    fn references(&self) -> Vec<(&'static str, &str)> {
        self.subscribers.iter().map(|name| ("subscribers", name.as_str())).collect()
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        vec![("delivery_latency".into(), &mut self.delivery_latency)]
    }

    fn events_per_request(&self, _write_fraction: f64) -> f64 {
        // The publish and its reply; per subscriber the delivery timer and the delivery's
        // reply (the delivery itself is counted at the subscriber).
        2.0 + 2.0 * self.subscribers.len() as f64
    }

    fn nanos_per_event(&self) -> f64 {
        // Measured on one thread (release build, a busy 2-core machine): a topic fanning out
        // to two stations ran at 3.8 M events/s where scenarios/mmc-10k.toml ran at 6.1 M/s,
        // so about 1.6 times a station's 100 ns.
        160.0
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(Sns::new(name, self.plan(context)?)))
    }
}

/// A message accepted and not yet delivered to every subscriber that takes it.
#[derive(Copy, Clone, Debug)]
struct Stored {
    published: SimTime,
    key: u64,
    size: u32,
    /// Deliveries not yet ended.
    pending: u32,
    generation: u32,
}

/// One subscription: its component, caller (with SNS's retry policy) and filter.
struct Subscription {
    id: crate::model::ComponentId,
    /// `Send` to a queue, or `Invoke` of a function (one record).
    op: Op,
    caller: Caller<u32>,
    filter: Option<Filter>,
}

/// A running SNS topic.
pub struct Sns {
    name: String,
    subscriptions: Vec<Subscription>,
    messages: Slab<Stored>,
    next_generation: u32,
    next_sequence: u64,
    bucket: Option<TokenBucket>,
    delivery_latency: crate::model::dist::Dist,
    health: Health,
    /// The AZ the topic is placed in (its endpoint moves while that AZ is lost).
    home_az: u16,
    m: Measures,
}

impl Sns {
    /// Builds the topic from a checked plan.
    pub fn new(name: &str, plan: SnsPlan) -> Self {
        let names: Vec<String> = plan.subscribers.iter().map(|s| s.name.clone()).collect();
        let subscriptions = plan
            .subscribers
            .into_iter()
            .enumerate()
            .map(|(index, subscriber)| Subscription {
                id: subscriber.id,
                op: subscriber.op,
                caller: Caller::new(
                    plan.delivery.clone(),
                    subscriber.id,
                    SnsTimer::DeliveryTimeout,
                    SnsTimer::DeliveryRetry,
                )
                .with_timer_tag(index as u32),
                filter: subscriber.filter,
            })
            .collect();
        Sns {
            name: name.to_string(),
            subscriptions,
            messages: Slab::new(),
            next_generation: 0,
            next_sequence: 0,
            bucket: plan.publish_rate.map(|rate| TokenBucket::new(rate, rate.max(1.0))),
            delivery_latency: plan.delivery_latency,
            health: Health::default(),
            home_az: 0,
            m: Measures::new(names),
        }
    }

    fn on_request(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if !matches!(request.op, Op::Publish | Op::Write | Op::Read) {
            self.m.invalid.incr();
            ctx.reply(request, Status::Invalid);
            return;
        }
        if self.health.is_crashed() {
            self.m.unavailable.incr();
            ctx.reply(request, Status::Unavailable);
            return;
        }
        let now = ctx.now();
        if let Some(bucket) = self.bucket.as_mut()
            && !bucket.try_take(now, 1.0)
        {
            self.m.throttled.incr();
            ctx.reply(request, Status::Throttled);
            return;
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.m.published.incr();
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        let slot = self.messages.next_slot();
        let mut pending = 0;
        for (index, subscription) in self.subscriptions.iter().enumerate() {
            if subscription.filter.as_ref().is_some_and(|filter| !filter.accepts(request.key)) {
                self.m.subscribers[index].filtered_out.incr();
                continue;
            }
            pending += 1;
            let latency = self.delivery_latency.sample_duration(ctx.rng);
            ctx.timer(latency, Timer::new(SnsTimer::Deliver, slot, index as u64).tagged(generation));
        }
        if pending > 0 {
            self.messages.insert(Stored { published: now, key: request.key, size: request.size, pending, generation });
        }
        ctx.reply_items(ctx.network().az_of(ctx.me()), request, Status::Ok, 1, sequence);
    }

    fn on_deliver(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let Some(message) = self.messages.get(timer.slot).filter(|m| m.generation == timer.tag).copied() else {
            return;
        };
        let index = timer.data as usize;
        let Some(subscription) = self.subscriptions.get_mut(index) else { return };
        // An invoke's key is its record count (one message); a send carries the message's key.
        let key = if subscription.op == Op::Invoke { 1 } else { message.key };
        subscription.caller.call(subscription.op, key, message.size, Host::ByRequest, timer.slot, ctx);
    }

    /// A delivery to subscriber `index` ended.
    fn on_outcome(&mut self, index: usize, outcome: CallOutcome<u32>, ctx: &mut Ctx<'_>) {
        let (slot, delivered) = match outcome {
            CallOutcome::Succeeded { user, .. } => (user, true),
            CallOutcome::Failed { user, .. } => (user, false),
        };
        let Some(message) = self.messages.get_mut(slot) else { return };
        message.pending -= 1;
        let (published, done) = (message.published, message.pending == 0);
        if done {
            self.messages.remove(slot);
        }
        let measures = &mut self.m.subscribers[index];
        if delivered {
            let latency = ctx.now().saturating_since(published);
            measures.delivered.incr();
            measures.latency.record(latency);
            self.m.delivery_latency.record(latency);
        } else {
            measures.failures.incr();
        }
    }

    /// Delivery timeouts and retries carry the subscriber's index in their `tag` (each
    /// subscriber's caller is built [`with_timer_tag`](Caller::with_timer_tag)).
    fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        match timer.kind_as::<SnsTimer>() {
            Some(SnsTimer::Deliver) => self.on_deliver(timer, ctx),
            Some(SnsTimer::DeliveryTimeout) => {
                let index = timer.tag as usize;
                let outcome = self.subscriptions.get_mut(index).and_then(|s| s.caller.on_timeout(timer, ctx));
                if let Some(outcome) = outcome {
                    self.on_outcome(index, outcome, ctx);
                }
            }
            Some(SnsTimer::DeliveryRetry) => {
                if let Some(subscription) = self.subscriptions.get_mut(timer.tag as usize) {
                    subscription.caller.on_retry(timer, ctx);
                }
            }
            None => {}
        }
    }

    fn on_reply(&mut self, reply: crate::model::Reply, ctx: &mut Ctx<'_>) {
        // A subscriber answers its deliveries itself (as a queue does): the reply's sender
        // names the subscription.
        let Some(index) = self.subscriptions.iter().position(|s| s.id == reply.from) else { return };
        let outcome = self.subscriptions[index].caller.on_reply(reply, ctx);
        if let Some(outcome) = outcome {
            self.on_outcome(index, outcome, ctx);
        }
    }

    fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        match signal.action {
            FaultAction::Crash { .. } => {
                self.health.crash(signal.active);
            }
            FaultAction::AzOutage { .. } => {
                let home = ctx.network().az_of(ctx.me());
                let network = ctx.network();
                let az = if !network.az_is_down(self.home_az) {
                    Some(self.home_az)
                } else {
                    (0..network.az_count() as u16)
                        .filter(|&az| !network.az_is_down(az))
                        .min_by_key(|&az| network.mean_delay_between(self.home_az, az))
                };
                if let Some(az) = az
                    && az != home
                {
                    ctx.move_endpoint(az);
                }
            }
            FaultAction::Slow { .. } | FaultAction::Partition { .. } => {}
        }
    }
}

impl Component for Sns {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.home_az = ctx.network().az_of(ctx.me());
        for subscription in &mut self.subscriptions {
            subscription.caller.start(ctx.rng);
        }
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Timer(timer) => self.on_timer(timer, ctx),
            Message::Reply(reply) => self.on_reply(reply, ctx),
            Message::Fault(signal) => self.on_fault(signal, ctx),
            Message::Internal(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.m.begin(now);
        for subscription in &mut self.subscriptions {
            subscription.caller.retries.reset();
            subscription.caller.failures.reset();
        }
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.m.declare_series(&self.name, names);
    }

    fn sample(&mut self, _now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        self.m.sample(interval, self.messages.len(), out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        let retries: Vec<u64> = self.subscriptions.iter().map(|s| s.caller.retries.total()).collect();
        self.m.report(&self.name, now, self.messages.len(), &retries, out);
    }

    fn backlog(&self, _now: SimTime) -> Backlog {
        let mut total =
            Backlog { held: self.messages.len() as u64, bytes: self.messages.footprint(), ..Backlog::default() };
        for subscription in &self.subscriptions {
            total = total.plus(subscription.caller.backlog());
        }
        total
    }
}

#[cfg(test)]
mod tests;

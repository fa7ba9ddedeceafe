//! Service stations: `servers` identical servers in front of one FIFO queue, optionally
//! bounded, with a service-time distribution per operation.
//!
//! [`ServerPool`] is the building block: the `station` component wraps one, and every database
//! instance model (RDS primary, standby, replica, Aurora writer) is one, so load raises latency
//! and saturation shows as queueing, as on a real instance.
//!
//! A request that finds a free server starts service at once; otherwise it waits in the queue,
//! or is rejected when `queue_limit` requests are already waiting. A crash loses everything
//! queued or in service (the clients find out by their timeouts) until the pool recovers.
//!
//! A pool also runs its owner's *background work* — one thread of it, such as a replica's
//! redo apply ([`ServerPool::run_background`]): a job takes a server like a request does (it
//! counts in `utilization`, and requests queue behind it), ahead of waiting requests when a
//! server frees, and the jobs run one at a time in submission order. Simplification: a real
//! database's background thread shares the CPU with its workers; here it holds a whole
//! server for its duration, without preempting one.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::health::Health;
use super::slab::Slab;
use crate::engine::{EventId, SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{
    Backlog, Component, ComponentId, Ctx, KindDoc, Message, Op, ParamDoc, Request, SpecError, Status, Timer, TimerKind,
};

/// Service-time distributions by operation.
#[derive(Clone, Debug)]
pub struct ServiceTimes {
    /// For reads.
    pub read: Dist,
    /// For writes.
    pub write: Dist,
}

impl ServiceTimes {
    /// The same distribution for every operation.
    pub fn uniform(dist: Dist) -> Self {
        ServiceTimes { read: dist.clone(), write: dist }
    }

    fn for_op(&self, op: Op) -> &Dist {
        if op.is_read() { &self.read } else { &self.write }
    }
}

/// What happened to an arriving request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A server took it.
    Started,
    /// It waits in the queue.
    Queued,
    /// The queue was full; the caller should answer `Rejected`.
    Rejected,
    /// The pool is down; the request is lost.
    Lost,
    /// Its client had already given up ([`Request::deadline`] passed): dropped unserved.
    Abandoned,
}

/// What a departure timer finished.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Departure {
    /// A request's service: the owner answers it or passes it on.
    Request(Request),
    /// A background job, by the token it was submitted with.
    Background(u64),
}

/// The timer tag of a background job's end (requests' departures carry 0).
const BACKGROUND_TAG: u32 = 1;

/// c servers, a FIFO queue and the measurements of both.
pub struct ServerPool {
    servers: u32,
    queue_limit: Option<u64>,
    service: ServiceTimes,
    timer_kind: u32,
    pool_index: u64,
    slow_factor: f64,
    up: bool,
    waiting: VecDeque<Request>,
    /// Requests in service with their departure timers; the slot is the server.
    in_service: Slab<(Request, EventId)>,
    /// Background jobs not yet started: (work, token).
    background_waiting: VecDeque<(SimDuration, u64)>,
    /// The background job holding a server: (token, its end timer).
    background_running: Option<(u64, EventId)>,
    response_time: LatencyHistogram,
    wait_time: LatencyHistogram,
    queue_length: TimeWeighted,
    in_system: TimeWeighted,
    busy: TimeWeighted,
    completions: Counter,
    rejected: Counter,
    lost: Counter,
    /// Requests dropped unserved because their client had given up.
    abandoned: Counter,
    interval_response: IntervalMean,
    measure_start: SimTime,
    /// Requests that arrived since the start of the run (never reset: for the offered load).
    arrived: u64,
    /// The mean service times of those arrivals, summed (seconds at normal speed).
    offered_secs: f64,
    /// Mean service time of a read and of a write (seconds).
    mean_service: (f64, f64),
}

impl ServerPool {
    /// A pool whose departures are timers of kind `timer_kind` carrying `pool_index` in their
    /// `data`, so one component can own several pools.
    pub fn new(
        servers: u32,
        queue_limit: Option<u64>,
        service: ServiceTimes,
        timer_kind: impl TimerKind,
        pool_index: u64,
    ) -> Self {
        ServerPool {
            servers,
            queue_limit,
            mean_service: (service.read.mean(), service.write.mean()),
            service,
            timer_kind: timer_kind.code(),
            pool_index,
            slow_factor: 1.0,
            up: true,
            waiting: VecDeque::new(),
            in_service: Slab::new(),
            background_waiting: VecDeque::new(),
            background_running: None,
            response_time: LatencyHistogram::new(),
            wait_time: LatencyHistogram::new(),
            queue_length: TimeWeighted::new(),
            in_system: TimeWeighted::new(),
            busy: TimeWeighted::new(),
            completions: Counter::default(),
            rejected: Counter::default(),
            lost: Counter::default(),
            abandoned: Counter::default(),
            interval_response: IntervalMean::default(),
            measure_start: SimTime::ZERO,
            arrived: 0,
            offered_secs: 0.0,
        }
    }

    /// True unless crashed.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Requests waiting or in service.
    pub fn occupancy(&self) -> u64 {
        self.waiting.len() as u64 + self.in_service.len() as u64
    }

    /// True if `timer` is one of this pool's departures.
    pub fn owns(&self, timer: &Timer) -> bool {
        timer.kind == self.timer_kind && timer.data == self.pool_index
    }

    /// True if a server is free.
    #[inline]
    fn has_free_server(&self) -> bool {
        (self.in_service.len() as u64 + u64::from(self.background_running.is_some())) < u64::from(self.servers)
    }

    /// Queues `work` of the owner's background thread: it starts on the next free server (at
    /// once if one is free) after the jobs submitted before it, and its end is a departure
    /// [`Departure::Background`] carrying `token`. A slow fault stretches it like a request's
    /// service; a crash loses it. Does nothing while the pool is down.
    pub fn run_background(&mut self, work: SimDuration, token: u64, ctx: &mut Ctx<'_>) {
        if !self.up {
            return;
        }
        self.background_waiting.push_back((work, token));
        if self.background_running.is_none() && self.has_free_server() {
            self.start_background(ctx);
        }
    }

    /// Starts the oldest waiting background job on a free server, if there is one.
    fn start_background(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let Some((mut work, token)) = self.background_waiting.pop_front() else { return false };
        if self.slow_factor != 1.0 {
            work = work.mul_f64(self.slow_factor);
        }
        self.busy.add(ctx.now(), 1.0);
        let timer = Timer { kind: self.timer_kind, slot: u32::MAX, data: self.pool_index, tag: BACKGROUND_TAG };
        self.background_running = Some((token, ctx.timer(work, timer)));
        true
    }

    fn start_service(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.wait_time.record(now - request.arrived);
        self.busy.add(now, 1.0);
        let mut service = self.service.for_op(request.op).sample_duration(ctx.rng);
        if self.slow_factor != 1.0 {
            service = service.mul_f64(self.slow_factor);
        }
        // The server is the slot the request takes: the slab hands out the last freed server,
        // or the lowest never used, and its number names the departure timer.
        let (kind, data) = (self.timer_kind, self.pool_index);
        self.in_service.insert_with(|server| (request, ctx.timer(service, Timer { kind, slot: server, data, tag: 0 })));
    }

    /// A request arrives (its `arrived` time is set to now).
    pub fn arrive(&mut self, mut request: Request, ctx: &mut Ctx<'_>) -> Admission {
        self.arrived += 1;
        self.offered_secs += if request.op.is_read() { self.mean_service.0 } else { self.mean_service.1 };
        if !self.up {
            self.lost.incr();
            return Admission::Lost;
        }
        let now = ctx.now();
        if request.deadline <= now {
            // The client closed its connection before the request got here.
            self.abandoned.incr();
            return Admission::Abandoned;
        }
        request.arrived = now;
        if self.has_free_server() {
            self.in_system.add(now, 1.0);
            self.start_service(request, ctx);
            Admission::Started
        } else if self.queue_limit.is_some_and(|limit| self.waiting.len() as u64 >= limit) {
            self.rejected.incr();
            Admission::Rejected
        } else {
            self.in_system.add(now, 1.0);
            self.waiting.push_back(request);
            self.queue_length.set(now, self.waiting.len() as f64);
            Admission::Queued
        }
    }

    /// A departure timer fired: frees the server, starts what waits next (a background job
    /// first, then the oldest waiting request) and returns what finished.
    pub fn depart(&mut self, timer: Timer, ctx: &mut Ctx<'_>) -> Option<Departure> {
        let now = ctx.now();
        let finished = if timer.tag == BACKGROUND_TAG {
            let (token, _) = self.background_running.take()?;
            self.busy.add(now, -1.0);
            Departure::Background(token)
        } else {
            let (request, _) = self.in_service.remove(timer.slot)?;
            self.busy.add(now, -1.0);
            self.in_system.add(now, -1.0);
            let response = now - request.arrived;
            self.response_time.record(response);
            self.interval_response.record(response.as_millis_f64());
            self.completions.incr();
            Departure::Request(request)
        };
        if self.background_running.is_none() && self.start_background(ctx) {
            return Some(finished);
        }
        // The next waiting request whose client is still there; those whose client gave up
        // (closed its connection) are dropped without being served.
        while let Some(next) = self.waiting.pop_front() {
            if next.deadline <= now {
                self.abandoned.incr();
                self.in_system.add(now, -1.0);
                continue;
            }
            self.start_service(next, ctx);
            break;
        }
        self.queue_length.set(now, self.waiting.len() as f64);
        Some(finished)
    }

    /// Crashes the pool: everything queued or in service is lost (their timers cancelled) and
    /// arrivals are lost until [`recover`](Self::recover). Returns the requests lost.
    pub fn crash(&mut self, ctx: &mut Ctx<'_>) -> u64 {
        let now = ctx.now();
        let mut lost = self.waiting.len() as u64;
        self.waiting.clear();
        lost += self.in_service.remove_where(
            |_| true,
            |(_, timer)| {
                ctx.cancel(timer);
            },
        ) as u64;
        self.background_waiting.clear();
        if let Some((_, timer)) = self.background_running.take() {
            ctx.cancel(timer);
        }
        self.lost.add(lost);
        self.up = false;
        self.queue_length.set(now, 0.0);
        self.in_system.set(now, 0.0);
        self.busy.set(now, 0.0);
        lost
    }

    /// Brings a crashed pool back, empty.
    pub fn recover(&mut self) {
        self.up = true;
    }

    /// Multiplies service times from now on (a degraded node); 1 is normal speed.
    pub fn set_slow_factor(&mut self, factor: f64) {
        self.slow_factor = factor;
    }

    /// What the pool holds at `now`: its queue (`queued`), the requests and background jobs
    /// it holds, their memory, and — for an unbounded queue — its offered load since the start
    /// of the run, ρ = Σ mean service time of the arrivals / (servers × elapsed time) (slow
    /// faults and crashes left out: ρ is what was offered, not what the servers managed).
    pub fn backlog(&self, now: SimTime) -> Backlog {
        let queued = self.waiting.len() as u64;
        let held = queued + self.in_service.len() as u64 + self.background_waiting.len() as u64;
        let bytes = Backlog::bytes_of::<Request>(self.waiting.capacity())
            + self.in_service.footprint()
            + Backlog::bytes_of::<(SimDuration, u64)>(self.background_waiting.capacity());
        let capacity_secs = f64::from(self.servers) * now.as_secs_f64();
        let offered_load =
            (self.queue_limit.is_none() && capacity_secs > 0.0).then(|| self.offered_secs / capacity_secs);
        Backlog { queued, held, bytes, offered_load, arrived: self.arrived }
    }

    /// Forgets measurements (end of warm-up).
    pub fn begin_measurement(&mut self, now: SimTime) {
        self.response_time.reset();
        self.wait_time.reset();
        self.queue_length.reset(now);
        self.in_system.reset(now);
        self.busy.reset(now);
        self.completions.reset();
        self.rejected.reset();
        self.lost.reset();
        self.abandoned.reset();
        self.measure_start = now;
    }

    /// Declares the series `<prefix>.queue_length`, `.utilization`, `.throughput`,
    /// `.response_time_ms`.
    pub fn series_names(&self, prefix: &str, names: &mut SeriesNames) {
        for quantity in ["queue_length", "utilization", "throughput", "response_time_ms"] {
            names.names.push(format!("{prefix}.{quantity}"));
        }
    }

    /// Appends the values of the declared series over the interval ending now.
    pub fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        out.push(self.queue_length.interval_mean(now));
        out.push(self.busy.interval_mean(now) / f64::from(self.servers));
        out.push(self.completions.take_interval() as f64 / interval.as_secs_f64().max(f64::MIN_POSITIVE));
        out.push(self.interval_response.take());
        self.in_system.interval_mean(now);
    }

    /// Reports `<prefix>.response_time`, `.wait_time`, `.queue_length`, `.in_system`,
    /// `.utilization`, `.throughput`, `.rejected`, `.lost` and `.abandoned`.
    pub fn finish(&mut self, prefix: &str, now: SimTime, out: &mut MetricSet) {
        let measured = (now - self.measure_start).as_secs_f64();
        out.latency(format!("{prefix}.response_time"), &mut self.response_time);
        out.latency(format!("{prefix}.wait_time"), &mut self.wait_time);
        out.scalar(format!("{prefix}.queue_length"), Unit::Requests, self.queue_length.mean(now));
        out.scalar(format!("{prefix}.in_system"), Unit::Requests, self.in_system.mean(now));
        out.scalar(format!("{prefix}.utilization"), Unit::Fraction, self.busy.mean(now) / f64::from(self.servers));
        let throughput = if measured > 0.0 { self.completions.total() as f64 / measured } else { 0.0 };
        out.scalar(format!("{prefix}.throughput"), Unit::PerSecond, throughput);
        out.scalar(format!("{prefix}.rejected"), Unit::Requests, self.rejected.total() as f64);
        out.scalar(format!("{prefix}.lost"), Unit::Requests, self.lost.total() as f64);
        out.scalar(format!("{prefix}.abandoned"), Unit::Requests, self.abandoned.total() as f64);
    }
}

/// The parameters of a `station` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// Number of servers working in parallel.
    #[serde(default = "one")]
    pub servers: u32,
    /// Service-time distribution.
    pub service: DistSpec<Seconds>,
    /// Most requests that may wait; further arrivals are rejected. None = unbounded.
    pub queue_limit: Option<u64>,
    /// Component that receives each request after service (tandem); None = reply to client.
    pub next: Option<String>,
}

fn one() -> u32 {
    1
}

/// Most servers one station may have (a larger number is almost surely a typo, and each
/// server costs memory).
pub const MAX_SERVERS: u32 = 1_000_000;

/// `stratus describe station`.
pub const STATION_DOC: KindDoc = KindDoc {
    kind: "station",
    summary: "c identical servers in front of one FIFO queue (optionally bounded) with a \
              service-time distribution: M/M/c, M/G/c, G/G/c/K. Completed requests are answered, \
              or forwarded to `next` for a tandem of stations. A crash fault loses what is queued \
              or in service; a slow fault multiplies service times.",
    params: &[
        ParamDoc {
            name: "servers",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "servers working in parallel (c)",
            source: "-",
        },
        ParamDoc {
            name: "service",
            default: "required",
            unit: "duration distribution",
            meaning: "service time per request",
            source: "-",
        },
        ParamDoc {
            name: "queue_limit",
            default: "unbounded",
            unit: "requests",
            meaning: "most requests waiting; arrivals beyond it are rejected",
            source: "-",
        },
        ParamDoc {
            name: "next",
            default: "none",
            unit: "component name",
            meaning: "forward each served request there instead of replying",
            source: "-",
        },
    ],
    metrics: &[
        "<name>.response_time (ms): arrival at the station to end of service",
        "<name>.wait_time (ms): arrival to start of service",
        "<name>.queue_length (requests): time-average number waiting",
        "<name>.in_system (requests): time-average number waiting or in service",
        "<name>.utilization (fraction): time-average busy servers / servers",
        "<name>.throughput (per_s): completions per second",
        "<name>.rejected (requests): arrivals refused by a full queue",
        "<name>.lost (requests): requests lost to crashes",
        "<name>.abandoned (requests): requests dropped unserved because their client had timed out and closed its connection (client.cancel_on_timeout)",
        "series: <name>.queue_length, .utilization, .throughput, .response_time_ms",
    ],
};

crate::message_kinds! {
    /// A station's timers.
    timer enum StationTimer {
        /// Server `slot` finished a request.
        Departure,
    }
}

impl StationConfig {
    /// Checks the parameters and builds the service-time sampler.
    pub fn validate(&self) -> Result<Dist, SpecError> {
        if self.servers == 0 {
            return Err(SpecError::new("servers", "a station needs at least 1 server, found 0"));
        }
        if self.servers > MAX_SERVERS {
            return Err(SpecError::new("servers", format!("at most {MAX_SERVERS} servers, found {}", self.servers)));
        }
        self.service.build().map_err(|e| e.within("service"))
    }
}

impl KindConfig for StationConfig {
    fn references(&self) -> Vec<(&'static str, &str)> {
        self.next.iter().map(|next| ("next", next.as_str())).collect()
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        vec![("service".into(), &mut self.service)]
    }

    fn events_per_request(&self, _write_fraction: f64) -> f64 {
        // The request's delivery and the end of its service; then the reply, or the request's
        // delivery at `next` (counted there).
        if self.next.is_some() { 2.0 } else { 3.0 }
    }

    fn capacity(&self) -> Option<f64> {
        let mean = self.service.build().ok()?.mean();
        (mean > 0.0).then(|| f64::from(self.servers) / mean)
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        let next = match &self.next {
            Some(next) => Some(
                (context.resolve)(next)
                    .ok_or_else(|| SpecError::new("next", format!("no component is called `{next}`")))?,
            ),
            None => None,
        };
        Ok(Box::new(Station::new(name, self, next)?))
    }
}

/// A running station: one [`ServerPool`] and an optional next hop.
pub struct Station {
    name: String,
    pool: ServerPool,
    next: Option<ComponentId>,
    /// Active faults that keep it down (crashes and outages of its AZ: it recovers when the
    /// last one ends) and the product of its active slow factors.
    health: Health,
}

impl Station {
    /// Builds a station; `next` is the resolved id of `config.next`.
    pub fn new(name: &str, config: &StationConfig, next: Option<ComponentId>) -> Result<Self, SpecError> {
        let service = config.validate()?;
        Ok(Station {
            name: name.to_string(),
            pool: ServerPool::new(
                config.servers,
                config.queue_limit,
                ServiceTimes::uniform(service),
                StationTimer::Departure,
                0,
            ),
            next,
            health: Health::default(),
        })
    }

    /// Faults nest: the station stays down while any crash (or outage of its AZ) is active,
    /// and runs at the product of the active slow factors.
    fn fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        let own_az = ctx.network().az_of(ctx.me());
        match signal.action {
            FaultAction::Crash { .. } => self.down(signal.active, ctx),
            FaultAction::AzOutage { az } if az == own_az => self.down(signal.active, ctx),
            FaultAction::Slow { factor, .. } => {
                let slow = self.health.slow(factor, signal.active);
                self.pool.set_slow_factor(slow);
            }
            FaultAction::AzOutage { .. } | FaultAction::Partition { .. } => {}
        }
    }

    fn down(&mut self, active: bool, ctx: &mut Ctx<'_>) {
        let was_down = self.health.is_crashed();
        let down = self.health.crash(active);
        if down && !was_down {
            self.pool.crash(ctx);
        } else if was_down && !down {
            self.pool.recover();
        }
    }
}

impl Component for Station {
    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => {
                if self.pool.arrive(request, ctx) == Admission::Rejected {
                    ctx.reply(request, Status::Rejected);
                }
            }
            Message::Timer(timer) if self.pool.owns(&timer) => {
                if let Some(Departure::Request(request)) = self.pool.depart(timer, ctx) {
                    match self.next {
                        Some(next) => ctx.send(next, Message::Request(request)),
                        None => ctx.reply(request, Status::Ok),
                    };
                }
            }
            Message::Fault(signal) => self.fault(signal, ctx),
            Message::Timer(_) | Message::Reply(_) | Message::Internal(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.pool.begin_measurement(now);
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.pool.series_names(&self.name, names);
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        self.pool.sample(now, interval, out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        self.pool.finish(&self.name, now, out);
    }

    fn backlog(&self, now: SimTime) -> Backlog {
        self.pool.backlog(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EventQueue;
    use crate::engine::StreamKey;
    use crate::model::{Event, Network};

    crate::message_kinds! {
        /// The test pool's timers.
        timer enum TestTimer {
            /// A departure.
            Depart,
        }
    }

    fn request(id: u64) -> Request {
        Request { id, op: Op::Read, ..Request::NONE }
    }

    /// Two servers, 1 s services: a background job submitted while both are busy starts on
    /// the first server to free, ahead of a request queued before it, and holds it for its
    /// 5 s; utilization counts it and a second job waits for the first (one thread).
    #[test]
    fn background_work_takes_the_next_free_server_ahead_of_queued_requests() {
        let constant = DistSpec::<Seconds>::constant(1.0).build().unwrap();
        let mut pool = ServerPool::new(2, None, ServiceTimes::uniform(constant), TestTimer::Depart, 0);
        let mut queue: EventQueue<Event> = EventQueue::new();
        let mut network = Network::instant();
        let mut rng = StreamKey { seed: 1, point: 0, replication: 0 }.rng("pool");
        let me = ComponentId(0);
        {
            let mut ctx = Ctx::new(me, &mut queue, &mut network, &mut rng);
            for id in 0..3 {
                pool.arrive(request(id), &mut ctx);
            }
            pool.run_background(SimDuration::from_secs(5), 70, &mut ctx);
            pool.run_background(SimDuration::from_secs(5), 71, &mut ctx);
        }
        let mut finished = Vec::new();
        while let Some(event) = queue.pop() {
            let mut ctx = Ctx::new(me, &mut queue, &mut network, &mut rng);
            let Message::Timer(timer) = event.msg else { continue };
            match pool.depart(timer, &mut ctx) {
                Some(Departure::Request(r)) => finished.push((ctx.now().as_secs_f64(), format!("request {}", r.id))),
                Some(Departure::Background(token)) => finished.push((ctx.now().as_secs_f64(), format!("job {token}"))),
                None => {}
            }
        }
        let expected = [
            (1.0, "request 0"),
            (1.0, "request 1"),
            (2.0, "request 2"), // On the server the first departure freed...
            (6.0, "job 70"),    // ...while job 70 took the other one at 1 s.
            (11.0, "job 71"),   // One background thread: after job 70.
        ];
        let got: Vec<(f64, &str)> = finished.iter().map(|(t, what)| (*t, what.as_str())).collect();
        assert_eq!(got, expected);
        // Busy: 2 servers for 1 s, then 2 (request 2 and job 70) for 1 s, then 1 for 9 s.
        let utilization = pool.busy.mean(SimTime::ZERO + SimDuration::from_secs(11)) / 2.0;
        assert!((utilization - 13.0 / 22.0).abs() < 1e-9, "{utilization}");
    }

    /// A crash loses the background work running and waiting.
    #[test]
    fn a_crash_loses_background_work() {
        let constant = DistSpec::<Seconds>::constant(1.0).build().unwrap();
        let mut pool = ServerPool::new(1, None, ServiceTimes::uniform(constant), TestTimer::Depart, 0);
        let mut queue: EventQueue<Event> = EventQueue::new();
        let mut network = Network::instant();
        let mut rng = StreamKey { seed: 1, point: 0, replication: 0 }.rng("pool");
        let mut ctx = Ctx::new(ComponentId(0), &mut queue, &mut network, &mut rng);
        pool.run_background(SimDuration::from_secs(5), 1, &mut ctx);
        pool.run_background(SimDuration::from_secs(5), 2, &mut ctx);
        pool.crash(&mut ctx);
        pool.recover();
        assert!(pool.background_running.is_none() && pool.background_waiting.is_empty());
        assert!(pool.has_free_server());
    }
}

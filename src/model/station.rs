//! A service station: `servers` identical servers in front of one FIFO queue, optionally
//! bounded, with a service-time distribution. The building block of every instance model.
//!
//! A request that finds a free server starts service at once; otherwise it waits in the queue,
//! or is rejected (a `Rejected` reply) when `queue_limit` requests are already waiting. When
//! service ends the request is forwarded to `next` if set, otherwise answered with `Ok`.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::dist::{Dist, DistSpec, Seconds};
use super::{
    ComponentId, Component, Ctx, KindDoc, Message, ParamDoc, Request, SpecError, Status, Timer,
};
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};

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

/// `stratus describe station`.
pub const STATION_DOC: KindDoc = KindDoc {
    kind: "station",
    summary: "c identical servers in front of one FIFO queue (optionally bounded) with a \
              service-time distribution: M/M/c, M/G/c, G/G/c/K. Completed requests are answered, \
              or forwarded to `next` for a tandem of stations.",
    params: &[
        ParamDoc { name: "servers", default: "1", unit: "count", meaning: "servers working in parallel (c)", source: "-" },
        ParamDoc { name: "service", default: "required", unit: "duration distribution", meaning: "service time per request", source: "-" },
        ParamDoc { name: "queue_limit", default: "unbounded", unit: "requests", meaning: "most requests waiting; arrivals beyond it are rejected", source: "-" },
        ParamDoc { name: "next", default: "none", unit: "component name", meaning: "forward each served request there instead of replying", source: "-" },
    ],
    metrics: &[
        "<name>.response_time (ms): arrival at the station to end of service",
        "<name>.wait_time (ms): arrival to start of service",
        "<name>.queue_length (requests): time-average number waiting",
        "<name>.in_system (requests): time-average number waiting or in service",
        "<name>.utilization (fraction): time-average busy servers / servers",
        "<name>.throughput (per_s): completions per second",
        "<name>.rejected (requests): arrivals refused by a full queue",
    ],
};

const DEPARTURE: u32 = 0;

/// A running station.
pub struct Station {
    name: String,
    servers: u32,
    service: Dist,
    queue_limit: Option<u64>,
    next: Option<ComponentId>,
    waiting: VecDeque<Request>,
    in_service: Vec<Option<Request>>,
    free_servers: Vec<u32>,
    response_time: LatencyHistogram,
    wait_time: LatencyHistogram,
    queue_length: TimeWeighted,
    in_system: TimeWeighted,
    busy: TimeWeighted,
    completions: Counter,
    rejected: Counter,
    interval_response: IntervalMean,
    measure_start: SimTime,
}

impl StationConfig {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<Dist, SpecError> {
        if self.servers == 0 {
            return Err(SpecError::new("servers", "a station needs at least 1 server, found 0"));
        }
        if self.queue_limit == Some(u64::MAX) {
            return Err(SpecError::new("queue_limit", "leave `queue_limit` out for an unbounded queue"));
        }
        self.service.build().map_err(|e| e.within("service"))
    }
}

impl Station {
    /// Builds a station; `next` is the resolved id of `config.next`.
    pub fn new(name: &str, config: &StationConfig, next: Option<ComponentId>) -> Result<Self, SpecError> {
        let service = config.validate()?;
        Ok(Station {
            name: name.to_string(),
            servers: config.servers,
            service,
            queue_limit: config.queue_limit,
            next,
            waiting: VecDeque::new(),
            in_service: vec![None; config.servers as usize],
            free_servers: (0..config.servers).rev().collect(),
            response_time: LatencyHistogram::new(),
            wait_time: LatencyHistogram::new(),
            queue_length: TimeWeighted::new(),
            in_system: TimeWeighted::new(),
            busy: TimeWeighted::new(),
            completions: Counter::default(),
            rejected: Counter::default(),
            interval_response: IntervalMean::default(),
            measure_start: SimTime::ZERO,
        })
    }

    fn start_service(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        let server = self.free_servers.pop().expect("caller checked a server is free");
        let now = ctx.now();
        self.wait_time.record(now - request.arrived);
        self.in_service[server as usize] = Some(request);
        self.busy.add(now, 1.0);
        let service = self.service.sample_duration(ctx.rng);
        ctx.timer(service, Timer { kind: DEPARTURE, slot: server, data: 0 });
    }

    fn arrive(&mut self, mut request: Request, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        request.arrived = now;
        if !self.free_servers.is_empty() {
            self.in_system.add(now, 1.0);
            self.start_service(request, ctx);
        } else if self.queue_limit.is_some_and(|limit| self.waiting.len() as u64 >= limit) {
            self.rejected.incr();
            ctx.reply(request, Status::Rejected);
        } else {
            self.in_system.add(now, 1.0);
            self.waiting.push_back(request);
            self.queue_length.set(now, self.waiting.len() as f64);
        }
    }

    fn depart(&mut self, server: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let request = self.in_service[server as usize].take().expect("departure of a busy server");
        self.free_servers.push(server);
        self.busy.add(now, -1.0);
        self.in_system.add(now, -1.0);
        let response = now - request.arrived;
        self.response_time.record(response);
        self.interval_response.record(response.as_millis_f64());
        self.completions.incr();
        match self.next {
            Some(next) => {
                ctx.send(next, Message::Request(request));
            }
            None => {
                ctx.reply(request, Status::Ok);
            }
        }
        if let Some(waiting) = self.waiting.pop_front() {
            self.queue_length.set(now, self.waiting.len() as f64);
            self.start_service(waiting, ctx);
        }
    }
}

impl Component for Station {
    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.arrive(request, ctx),
            Message::Timer(Timer { kind: DEPARTURE, slot, .. }) => self.depart(slot, ctx),
            Message::Timer(_) | Message::Reply(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.response_time.reset();
        self.wait_time.reset();
        self.queue_length.reset(now);
        self.in_system.reset(now);
        self.busy.reset(now);
        self.completions.reset();
        self.rejected.reset();
        self.measure_start = now;
    }

    fn series_names(&self, names: &mut SeriesNames) {
        for quantity in ["queue_length", "utilization", "throughput", "response_time_ms"] {
            names.names.push(format!("{}.{quantity}", self.name));
        }
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let interval = interval.as_secs_f64();
        out.push(self.queue_length.interval_mean(now));
        out.push(self.busy.interval_mean(now) / f64::from(self.servers));
        let completions = self.completions.take_interval() as f64;
        out.push(if interval > 0.0 { completions / interval } else { 0.0 });
        out.push(self.interval_response.take());
        // in_system's interval is restarted too, to keep its interval state bounded.
        self.in_system.interval_mean(now);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        let measured = (now - self.measure_start).as_secs_f64();
        let name = &self.name;
        out.latency(format!("{name}.response_time"), &mut self.response_time);
        out.latency(format!("{name}.wait_time"), &mut self.wait_time);
        out.scalar(format!("{name}.queue_length"), Unit::Requests, self.queue_length.mean(now));
        out.scalar(format!("{name}.in_system"), Unit::Requests, self.in_system.mean(now));
        out.scalar(
            format!("{name}.utilization"),
            Unit::Fraction,
            self.busy.mean(now) / f64::from(self.servers),
        );
        let throughput = if measured > 0.0 { self.completions.total() as f64 / measured } else { 0.0 };
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, throughput);
        out.scalar(format!("{name}.rejected"), Unit::Requests, self.rejected.total() as f64);
    }
}

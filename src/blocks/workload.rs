//! Workloads: the clients that send requests to a target component and measure end-to-end
//! latency. Open workloads send on an arrival process whatever the system does; closed
//! workloads have N clients, each waiting for its reply and thinking before the next request.

use rand::RngExt;
use serde::{Deserialize, Serialize};

pub use super::arrivals::{ArrivalConfig, Arrivals, MAX_RATE, StepConfig};
use super::caller::{CallOutcome, Caller, ClientConfig, ClientPolicy, Host};
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, Unit};
use crate::model::dist::{Bytes, Dist, DistSpec, Seconds};
use crate::model::keys::{KeyDist, KeysConfig};
use crate::model::{Backlog, Component, ComponentId, Ctx, KindDoc, Message, Op, ParamDoc, SpecError, Timer};

/// A `[[workload]]` table (without `name`, `target` and `az`, which the scenario reads).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    /// Name of the component requests are sent to.
    pub target: String,
    /// AZ the clients run in (default: the first AZ).
    pub az: Option<String>,
    /// Open arrivals; exclusive with `clients`.
    pub arrival: Option<ArrivalConfig>,
    /// Number of closed-loop clients; exclusive with `arrival`.
    pub clients: Option<u32>,
    /// Think time of closed-loop clients between a reply and the next request.
    pub think: Option<DistSpec<Seconds>>,
    /// Key popularity (default: a single key).
    #[serde(default)]
    pub keys: KeysConfig,
    /// Request payload size (default 1 KiB, an assumption typical of OLTP rows).
    pub size: Option<DistSpec<Bytes>>,
    /// Fraction of requests that are writes; the rest are reads.
    #[serde(default)]
    pub write_fraction: f64,
    /// Timeouts, retries with backoff, DNS caching.
    #[serde(default)]
    pub client: ClientConfig,
}

/// `stratus describe workload`.
pub const WORKLOAD_DOC: KindDoc = KindDoc {
    kind: "workload",
    summary: "A [[workload]] table: clients sending requests to `target`. Open: `arrival` = \
              poisson | constant | onoff | diurnal | step | trace. Closed: `clients` with `think` time.",
    params: &[
        ParamDoc {
            name: "target",
            default: "required",
            unit: "component name",
            meaning: "where requests go",
            source: "-",
        },
        ParamDoc { name: "az", default: "first AZ", unit: "AZ name", meaning: "where the clients run", source: "-" },
        ParamDoc {
            name: "arrival",
            default: "-",
            unit: "table",
            meaning: "{ process = \"poisson\", rate = R } | constant {rate} | onoff {rate, on, off} | diurnal {rate, amplitude, period, peak} | step {rate, steps = [{at, rate}]} | trace {file, column}",
            source: "-",
        },
        ParamDoc {
            name: "clients",
            default: "-",
            unit: "count",
            meaning: "closed-loop clients (instead of arrival)",
            source: "-",
        },
        ParamDoc {
            name: "think",
            default: "0s",
            unit: "duration distribution",
            meaning: "closed-loop think time",
            source: "-",
        },
        ParamDoc {
            name: "keys",
            default: ParamDoc::FROM_CONFIG,
            unit: "table",
            meaning: "key popularity: uniform {n} or zipf {n, s}",
            source: "-",
        },
        ParamDoc {
            name: "size",
            default: "1KiB",
            unit: "size distribution",
            meaning: "request payload size",
            source: "assumption",
        },
        ParamDoc {
            name: "write_fraction",
            default: ParamDoc::FROM_CONFIG,
            unit: "fraction",
            meaning: "share of requests that are writes",
            source: "-",
        },
        ParamDoc {
            name: "client",
            default: ParamDoc::FROM_CONFIG,
            unit: "table",
            meaning: "timeouts, retries and DNS caching: `stratus describe client`",
            source: "-",
        },
    ],
    metrics: &[
        "<name>.latency (ms): end-to-end latency of successful requests, retries included",
        "<name>.read_latency, <name>.write_latency (ms): the same by operation (when both occur)",
        "<name>.throughput (per_s): successful requests per second",
        "<name>.errors (requests): requests that failed after their last attempt",
        "<name>.sent (requests): requests issued (not counting retries)",
        "<name>.unanswered (requests): requests still waiting at the end (in flight, or lost to a fault with no timeout)",
        "series: <name>.throughput (successes per s), .latency_ms (mean of the interval), .errors_per_s (final failures per s)",
        "and the client metrics of `stratus describe client`",
    ],
};

/// Default request size: 1 KiB. Assumption (a typical OLTP row); set `size` to calibrate.
pub const DEFAULT_REQUEST_SIZE: f64 = 1024.0;

crate::message_kinds! {
    /// A workload's timers.
    timer enum WorkloadTimer {
        /// The next open arrival is due.
        Arrival,
        /// Closed-loop client `slot` finished thinking.
        ThinkDone,
        /// Attempt `data` of the request in `slot` ran out of time.
        Timeout,
        /// Attempt `data` of the request in `slot` is due after its backoff.
        Retry,
    }
}

enum Mode {
    Open(Arrivals),
    Closed { clients: u32, think: Dist },
}

/// A running workload.
pub struct Workload {
    name: String,
    /// End of the run.
    horizon: SimTime,
    mode: Mode,
    keys: KeyDist,
    size: Dist,
    write_fraction: f64,
    /// Timeouts, retries, DNS caches and the state of each request in flight (its user datum
    /// is the closed-loop client that issued it, 0 for open workloads).
    caller: Caller<u32>,
    latency: LatencyHistogram,
    read_latency: LatencyHistogram,
    write_latency: LatencyHistogram,
    interval_latency: IntervalMean,
    ok: Counter,
    sent: Counter,
    measure_start: SimTime,
}

impl WorkloadConfig {
    /// Checks the parameters that do not involve other components.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.build_parts().map(|_| ())
    }

    fn build_parts(&self) -> Result<(Mode, KeyDist, Dist, ClientPolicy), SpecError> {
        let mode = match (&self.arrival, self.clients) {
            (Some(_), Some(_)) => {
                return Err(SpecError::new(
                    "clients",
                    "give either `arrival` (open workload) or `clients` (closed loop), not both",
                ));
            }
            (None, None) => {
                return Err(SpecError::new("", "a workload needs `arrival` (open) or `clients` (closed loop)"));
            }
            (Some(arrival), None) => {
                if self.think.is_some() {
                    return Err(SpecError::new("think", "`think` applies to closed-loop workloads (`clients`) only"));
                }
                Mode::Open(arrival.build().map_err(|e| e.within("arrival"))?)
            }
            (None, Some(clients)) => {
                if clients == 0 {
                    return Err(SpecError::new("clients", "a closed workload needs at least 1 client"));
                }
                if clients > MAX_CLIENTS {
                    return Err(SpecError::new(
                        "clients",
                        format!("at most {MAX_CLIENTS} closed-loop clients, found {clients}"),
                    ));
                }
                let think = match &self.think {
                    Some(think) => think.build().map_err(|e| e.within("think"))?,
                    None => Dist::Constant(0.0),
                };
                Mode::Closed { clients, think }
            }
        };
        let keys = self.keys.build().map_err(|e| e.within("keys"))?;
        let size = match &self.size {
            Some(size) => size.build().map_err(|e| e.within("size"))?,
            None => Dist::Constant(DEFAULT_REQUEST_SIZE),
        };
        if !(0.0..=1.0).contains(&self.write_fraction) {
            return Err(SpecError::new(
                "write_fraction",
                format!("`write_fraction` must be in [0, 1], found {}", self.write_fraction),
            ));
        }
        let policy = self.client.build().map_err(|e| e.within("client"))?;
        Ok((mode, keys, size, policy))
    }
}

impl WorkloadConfig {
    /// Requests per second it is expected to send over a run of `duration` seconds, for
    /// estimating a run's work: an open workload's mean arrival rate; a closed loop's clients
    /// over their mean think time, at most `capacity` (what its target can serve per second, if
    /// known). None when it cannot be told (a closed loop without think time or known
    /// capacity, invalid parameters). Retries are not counted.
    pub fn expected_rate(&self, duration: f64, capacity: Option<f64>) -> Option<f64> {
        match (&self.arrival, self.clients) {
            (Some(arrival), None) => arrival.mean_rate(duration),
            (None, Some(clients)) => {
                let think = match &self.think {
                    Some(think) => think.build().ok()?.mean(),
                    None => 0.0,
                };
                let by_think = if think > 0.0 { Some(f64::from(clients) / think) } else { None };
                match (by_think, capacity) {
                    (Some(rate), Some(capacity)) => Some(rate.min(capacity)),
                    (rate, capacity) => rate.or(capacity),
                }
            }
            _ => None,
        }
    }
}

/// Most closed-loop clients one workload may have.
pub const MAX_CLIENTS: u32 = 10_000_000;

impl Workload {
    /// Builds a workload sending to `target`.
    pub fn new(name: &str, config: &WorkloadConfig, target: ComponentId, horizon: SimTime) -> Result<Self, SpecError> {
        let (mode, keys, size, policy) = config.build_parts()?;
        Ok(Workload {
            name: name.to_string(),
            horizon,
            mode,
            keys,
            size,
            write_fraction: config.write_fraction,
            caller: Caller::new(policy, target, WorkloadTimer::Timeout, WorkloadTimer::Retry),
            latency: LatencyHistogram::new(),
            read_latency: LatencyHistogram::new(),
            write_latency: LatencyHistogram::new(),
            interval_latency: IntervalMean::default(),
            ok: Counter::default(),
            sent: Counter::default(),
            measure_start: SimTime::ZERO,
        })
    }

    /// Issues a new request from `client` (a closed-loop client, or 0 for open workloads):
    /// open workloads spread requests over the client hosts; closed-loop client i runs on host
    /// i mod hosts.
    fn issue(&mut self, client: u32, ctx: &mut Ctx<'_>) {
        let op = if self.write_fraction > 0.0 && ctx.rng.random::<f64>() < self.write_fraction {
            Op::Write
        } else {
            Op::Read
        };
        let key = self.keys.sample(ctx.rng);
        let size = self.size.sample(ctx.rng).min(f64::from(u32::MAX)) as u32;
        let host = match self.mode {
            Mode::Open(_) => Host::ByRequest,
            Mode::Closed { .. } => Host::Client(client),
        };
        self.sent.incr();
        self.caller.call(op, key, size, host, client, ctx);
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_>) {
        if let Mode::Open(arrivals) = &mut self.mode {
            let now = ctx.now();
            if let Some(at) = arrivals.next_after(now, self.horizon, ctx.rng) {
                ctx.timer(at - now, Timer::new(WorkloadTimer::Arrival, 0, 0));
            }
        }
    }

    /// A call ended: measure it; a closed-loop client thinks, then issues its next request.
    fn finished(&mut self, outcome: CallOutcome<u32>, ctx: &mut Ctx<'_>) {
        let client = match outcome {
            CallOutcome::Succeeded { reply, user } => {
                let now = ctx.now();
                let latency = now - reply.request.created;
                self.latency.record(latency);
                if self.write_fraction > 0.0 && self.write_fraction < 1.0 {
                    if reply.request.op.is_read() {
                        self.read_latency.record(latency);
                    } else {
                        self.write_latency.record(latency);
                    }
                }
                self.interval_latency.record(latency.as_millis_f64());
                self.ok.incr();
                user
            }
            CallOutcome::Failed { user, .. } => user,
        };
        if let Mode::Closed { think, .. } = &self.mode {
            let pause = think.sample_duration(ctx.rng);
            ctx.timer(pause, Timer::new(WorkloadTimer::ThinkDone, client, 0));
        }
    }
}

impl Component for Workload {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.caller.start(ctx.rng);
        match &self.mode {
            Mode::Open(_) => self.schedule_arrival(ctx),
            Mode::Closed { clients, think } => {
                // Each client starts after one think time, so they do not all fire at once.
                for client in 0..*clients {
                    let pause = think.sample_duration(ctx.rng);
                    ctx.timer(pause, Timer::new(WorkloadTimer::ThinkDone, client, 0));
                }
            }
        }
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Timer(timer) => match timer.kind_as::<WorkloadTimer>() {
                Some(WorkloadTimer::Arrival) => {
                    self.issue(0, ctx);
                    self.schedule_arrival(ctx);
                }
                Some(WorkloadTimer::ThinkDone) => self.issue(timer.slot, ctx),
                Some(WorkloadTimer::Timeout) => {
                    if let Some(outcome) = self.caller.on_timeout(timer, ctx) {
                        self.finished(outcome, ctx);
                    }
                }
                Some(WorkloadTimer::Retry) => self.caller.on_retry(timer, ctx),
                None => {}
            },
            Message::Reply(reply) => {
                if let Some(outcome) = self.caller.on_reply(reply, ctx) {
                    self.finished(outcome, ctx);
                }
            }
            Message::Request(_) | Message::Internal(_) | Message::Fault(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.latency.reset();
        self.read_latency.reset();
        self.write_latency.reset();
        self.ok.reset();
        self.caller.failures.reset();
        self.caller.retries.reset();
        self.sent.reset();
        self.caller.outages.reset(now);
        self.measure_start = now;
    }

    fn series_names(&self, names: &mut SeriesNames) {
        for quantity in ["throughput", "latency_ms", "errors_per_s"] {
            names.names.push(format!("{}.{quantity}", self.name));
        }
    }

    fn sample(&mut self, _now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push(self.ok.take_interval() as f64 / secs);
        out.push(self.interval_latency.take());
        out.push(self.caller.failures.take_interval() as f64 / secs);
        self.sent.take_interval();
        self.caller.retries.take_interval();
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        let measured = (now - self.measure_start).as_secs_f64();
        let name = &self.name;
        out.latency(format!("{name}.latency"), &mut self.latency);
        if self.write_fraction > 0.0 && self.write_fraction < 1.0 {
            out.latency(format!("{name}.read_latency"), &mut self.read_latency);
            out.latency(format!("{name}.write_latency"), &mut self.write_latency);
        }
        let throughput = if measured > 0.0 { self.ok.total() as f64 / measured } else { 0.0 };
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, throughput);
        out.scalar(format!("{name}.errors"), Unit::Requests, self.caller.failures.total() as f64);
        out.scalar(format!("{name}.sent"), Unit::Requests, self.sent.total() as f64);
        // Requests still waiting at the end: in flight, or lost to a fault with no timeout to
        // notice (then a closed-loop client stays blocked for the rest of the run).
        let unanswered = self.caller.in_flight();
        out.scalar(format!("{name}.unanswered"), Unit::Requests, unanswered as f64);
        // Client-policy metrics appear once the workload uses timeouts or retries, so simple
        // scenarios keep a short summary.
        let policy = self.caller.policy();
        let uses_policy = policy.timeout.is_some() || policy.max_attempts > 1;
        if uses_policy {
            out.scalar(format!("{name}.retries"), Unit::Requests, self.caller.retries.total() as f64);
            for (cause, counter) in self.caller.failures.by_cause() {
                out.scalar(format!("{name}.errors.{cause}"), Unit::Requests, counter.total() as f64);
            }
        }
        let finished = self.ok.total() + self.caller.failures.total();
        let ratio = if finished > 0 { self.ok.total() as f64 / finished as f64 } else { f64::NAN };
        out.scalar(format!("{name}.success_ratio"), Unit::Fraction, ratio);
        let outages = &mut self.caller.outages;
        outages.close(now);
        out.scalar(format!("{name}.downtime"), Unit::Seconds, outages.all.downtime.as_secs_f64());
        out.scalar(format!("{name}.outages"), Unit::Events, outages.all.outages as f64);
        out.scalar(format!("{name}.longest_outage"), Unit::Seconds, outages.all.longest.as_secs_f64());
        if self.write_fraction > 0.0 && self.write_fraction < 1.0 {
            out.scalar(format!("{name}.read_longest_outage"), Unit::Seconds, outages.reads.longest.as_secs_f64());
            out.scalar(format!("{name}.write_longest_outage"), Unit::Seconds, outages.writes.longest.as_secs_f64());
        }
        if outages.hosts.len() > 1 {
            out.scalar(format!("{name}.worst_host_outage"), Unit::Seconds, outages.worst_host().as_secs_f64());
        }
    }

    fn backlog(&self, _now: SimTime) -> Backlog {
        self.caller.backlog()
    }
}

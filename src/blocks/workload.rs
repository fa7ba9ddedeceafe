//! Workloads: the clients that send requests to a target component and measure end-to-end
//! latency. Open workloads send on an arrival process whatever the system does; closed
//! workloads have N clients, each waiting for its reply and thinking before the next request.

use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Serialize};

use super::caller::{ClientConfig, ClientPolicy, DnsCache};
use crate::engine::{EventId, SimDuration, SimRng, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, Unit};
use crate::model::dist::{Bytes, Dist, DistSpec, Seconds};
use crate::model::keys::{KeyDist, KeysConfig};
use crate::model::{
    Component, ComponentId, Ctx, KindDoc, Message, Op, ParamDoc, Reply, Request, SpecError, Status, Timer, check_fields,
};
use crate::units::Duration;

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

/// `arrival = { process = "poisson", rate = 100 }` and the other processes.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalConfig {
    /// poisson, constant, onoff, diurnal, step or trace.
    pub process: String,
    /// Requests per second (mean rate; the rate while on for onoff; the initial rate for step).
    pub rate: Option<f64>,
    /// Durations of on periods (onoff).
    pub on: Option<DistSpec<Seconds>>,
    /// Durations of off periods (onoff).
    pub off: Option<DistSpec<Seconds>>,
    /// Relative amplitude of the daily swing in [0, 1] (diurnal).
    pub amplitude: Option<f64>,
    /// Period of the swing (diurnal); default 24h.
    pub period: Option<Duration>,
    /// Time of the peak within the period (diurnal); default a quarter period.
    pub peak: Option<Duration>,
    /// Rate changes (step): `[{ at = "10m", rate = 200 }, ...]`.
    pub steps: Option<Vec<StepConfig>>,
    /// CSV of arrival timestamps in seconds from the start (trace), relative to the scenario.
    pub file: Option<String>,
    /// Column of `file` to read; default the first.
    pub column: Option<String>,
    /// Timestamps loaded from `file` by the scenario loader (seconds, ascending).
    #[serde(skip)]
    pub times: Option<Arc<[f64]>>,
}

/// One rate change of a step process.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    /// When the new rate starts.
    pub at: Duration,
    /// Requests per second from then on.
    pub rate: f64,
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
            default: "{ popularity = \"uniform\", n = 1 }",
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
            default: "0",
            unit: "fraction",
            meaning: "share of requests that are writes",
            source: "-",
        },
        ParamDoc {
            name: "client",
            default: "no timeout, 1 attempt",
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
        "and the client metrics of `stratus describe client`",
    ],
};

/// Highest arrival rate: one request per nanosecond, the clock's resolution.
pub const MAX_RATE: f64 = 1e9;

/// Shortest mean on period of an on/off process (seconds); shorter ones would make the
/// generator loop through billions of empty cycles.
const MIN_ON_PERIOD: f64 = 1e-3;

/// Default request size: 1 KiB. Assumption (a typical OLTP row); set `size` to calibrate.
pub const DEFAULT_REQUEST_SIZE: f64 = 1024.0;

/// An arrival process, ready to run.
#[derive(Clone, Debug)]
pub enum Arrivals {
    /// Exponential gaps.
    Poisson(Exp<f64>),
    /// Equal gaps.
    Constant(SimDuration),
    /// Poisson at `rate` during on periods, nothing during off periods.
    OnOff {
        /// Gaps while on.
        gaps: Exp<f64>,
        /// On-period lengths.
        on: Dist,
        /// Off-period lengths.
        off: Dist,
        /// End of the current on period.
        on_until: Option<SimTime>,
    },
    /// Poisson with rate λ(t) = rate·(1 + amplitude·sin(2π(t − peak)/period + π/2)),
    /// generated by thinning (Lewis & Shedler 1979).
    Diurnal {
        /// Candidate gaps at the peak rate.
        gaps: Exp<f64>,
        /// Mean rate.
        rate: f64,
        /// Relative amplitude.
        amplitude: f64,
        /// Period in seconds.
        period: f64,
        /// Peak time in seconds.
        peak: f64,
    },
    /// Piecewise-constant Poisson rate.
    Step {
        /// (start time in seconds, rate) pairs in time order, the first at 0.
        segments: Vec<(f64, f64)>,
    },
    /// Replay of recorded timestamps (seconds).
    Trace {
        /// The timestamps, ascending.
        times: Arc<[f64]>,
        /// Index of the next one.
        next: usize,
    },
}

fn exp_gaps(rate: f64) -> Exp<f64> {
    Exp::new(rate).expect("rate checked positive")
}

impl ArrivalConfig {
    /// Checks the parameters and builds the process.
    pub fn build(&self) -> Result<Arrivals, SpecError> {
        let (allowed, family): (&[&str], &str) = match self.process.as_str() {
            "poisson" => (&["rate"], "poisson"),
            "constant" => (&["rate"], "constant"),
            "onoff" => (&["rate", "on", "off"], "onoff"),
            "diurnal" => (&["rate", "amplitude", "period", "peak"], "diurnal"),
            "step" => (&["rate", "steps"], "step"),
            "trace" => (&["file", "column"], "trace"),
            other => {
                return Err(SpecError::new(
                    "process",
                    format!(
                        "unknown arrival process `{other}`, expected one of `poisson`, `constant`, \
                         `onoff`, `diurnal`, `step`, `trace`"
                    ),
                ));
            }
        };
        check_fields(
            &format!("{} {family} arrival process", crate::model::article(family)),
            allowed,
            &[
                ("rate", self.rate.is_some()),
                ("on", self.on.is_some()),
                ("off", self.off.is_some()),
                ("amplitude", self.amplitude.is_some()),
                ("period", self.period.is_some()),
                ("peak", self.peak.is_some()),
                ("steps", self.steps.is_some()),
                ("file", self.file.is_some()),
                ("column", self.column.is_some()),
            ],
        )?;
        let rate = || -> Result<f64, SpecError> {
            let rate = self.rate.ok_or_else(|| {
                SpecError::new(
                    "",
                    format!(
                        "{} {family} arrival process needs `rate` (requests per second)",
                        crate::model::article(family)
                    ),
                )
            })?;
            if !(rate.is_finite() && rate > 0.0) {
                Err(SpecError::new(
                    "rate",
                    format!("`rate` must be a positive number of requests per second, found {rate}"),
                ))
            } else if rate > MAX_RATE {
                Err(SpecError::new(
                    "rate",
                    format!(
                        "`rate` must be at most {MAX_RATE:e} per second (one request per nanosecond, the clock's resolution), found {rate:e}"
                    ),
                ))
            } else {
                Ok(rate)
            }
        };
        Ok(match family {
            "poisson" => Arrivals::Poisson(exp_gaps(rate()?)),
            "constant" => Arrivals::Constant(SimDuration::from_secs_f64(1.0 / rate()?)),
            "onoff" => {
                let on = self.on.as_ref().ok_or_else(|| SpecError::new("", "an onoff process needs `on`"))?;
                let off = self.off.as_ref().ok_or_else(|| SpecError::new("", "an onoff process needs `off`"))?;
                let on = on.build().map_err(|e| e.within("on"))?;
                if on.mean() < MIN_ON_PERIOD {
                    return Err(SpecError::new(
                        "on",
                        "on periods must last at least 1ms on average (use `poisson` for a steady stream)",
                    ));
                }
                Arrivals::OnOff {
                    gaps: exp_gaps(rate()?),
                    on,
                    off: off.build().map_err(|e| e.within("off"))?,
                    on_until: None,
                }
            }
            "diurnal" => {
                let rate = rate()?;
                let amplitude = self.amplitude.unwrap_or(0.5);
                if !(0.0..=1.0).contains(&amplitude) {
                    return Err(SpecError::new(
                        "amplitude",
                        format!("`amplitude` must be in [0, 1], found {amplitude}"),
                    ));
                }
                let period = self.period.map(Duration::secs).unwrap_or(86_400.0);
                if period <= 0.0 {
                    return Err(SpecError::new("period", "`period` must be positive"));
                }
                Arrivals::Diurnal {
                    gaps: exp_gaps(rate * (1.0 + amplitude)),
                    rate,
                    amplitude,
                    period,
                    peak: self.peak.map(Duration::secs).unwrap_or(period / 4.0),
                }
            }
            "step" => {
                let mut segments = vec![(0.0, rate()?)];
                for (i, step) in self.steps.iter().flatten().enumerate() {
                    let field = format!("steps[{i}]");
                    if !(step.rate.is_finite() && (0.0..=MAX_RATE).contains(&step.rate)) {
                        return Err(SpecError::new(
                            format!("{field}.rate"),
                            format!("`rate` must be between 0 and {MAX_RATE:e} per second, found {}", step.rate),
                        ));
                    }
                    let at = step.at.secs();
                    if at <= segments.last().map(|s| s.0).unwrap_or(0.0) {
                        return Err(SpecError::new(
                            format!("{field}.at"),
                            "steps must be in increasing time order, after 0",
                        ));
                    }
                    segments.push((at, step.rate));
                }
                Arrivals::Step { segments }
            }
            "trace" => {
                if self.file.is_none() {
                    return Err(SpecError::new("", "a trace arrival process needs `file`"));
                }
                let times = self.times.clone().ok_or_else(|| SpecError::new("file", "the trace was not loaded"))?;
                Arrivals::Trace { times, next: 0 }
            }
            _ => unreachable!("process checked above"),
        })
    }
}

impl Arrivals {
    /// The time of the next arrival after one at `now`, or None when the process has ended or
    /// has no arrival before `horizon` (the end of the run; processes that search for their
    /// next arrival stop there instead of looping through empty cycles).
    pub fn next_after(&mut self, now: SimTime, horizon: SimTime, rng: &mut SimRng) -> Option<SimTime> {
        match self {
            Arrivals::Poisson(gaps) => Some(now + SimDuration::from_secs_f64(gaps.sample(rng))),
            Arrivals::Constant(gap) => Some(now + *gap),
            Arrivals::OnOff { gaps, on, off, on_until } => {
                let mut until = *on_until.get_or_insert_with(|| SimTime::ZERO + on.sample_duration(rng));
                let mut t = now;
                loop {
                    let candidate = t + SimDuration::from_secs_f64(gaps.sample(rng));
                    if candidate < until {
                        *on_until = Some(until);
                        return Some(candidate);
                    }
                    // Memoryless: restart the gap at the beginning of the next on period.
                    t = until + off.sample_duration(rng);
                    until = t + on.sample_duration(rng);
                    if t > horizon {
                        *on_until = Some(until);
                        return None;
                    }
                }
            }
            Arrivals::Diurnal { gaps, rate, amplitude, period, peak } => {
                let max_rate = *rate * (1.0 + *amplitude);
                let mut t = now.as_secs_f64();
                let horizon = horizon.as_secs_f64();
                loop {
                    t += gaps.sample(rng);
                    if t > horizon {
                        return None;
                    }
                    let phase = std::f64::consts::TAU * (t - *peak) / *period;
                    let current = *rate * (1.0 + *amplitude * phase.cos());
                    if rng.random::<f64>() * max_rate <= current {
                        return Some(SimTime::ZERO + SimDuration::from_secs_f64(t));
                    }
                }
            }
            Arrivals::Step { segments } => {
                let mut t = now.as_secs_f64();
                let mut index = segments.iter().rposition(|(start, _)| *start <= t).unwrap_or(0);
                loop {
                    let (_, rate) = segments[index];
                    let end = segments.get(index + 1).map(|s| s.0).unwrap_or(f64::INFINITY);
                    if rate > 0.0 {
                        let candidate = t + exp_gaps(rate).sample(rng);
                        if candidate < end {
                            return Some(SimTime::ZERO + SimDuration::from_secs_f64(candidate));
                        }
                    }
                    if end.is_infinite() {
                        return None;
                    }
                    t = end;
                    index += 1;
                }
            }
            Arrivals::Trace { times, next } => {
                let at = *times.get(*next)?;
                *next += 1;
                Some((SimTime::ZERO + SimDuration::from_secs_f64(at)).max(now))
            }
        }
    }
}

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

/// A request in flight: its first attempt's request, the current attempt and its timeout.
struct Outstanding {
    request: Request,
    timeout: Option<EventId>,
    /// The closed-loop client that issued it (0 for open workloads).
    client: u32,
}

/// Gaps between successful replies (outages as the client sees them).
#[derive(Default)]
struct OutageTracker {
    last_success: Option<SimTime>,
    downtime: SimDuration,
    outages: u64,
    longest: SimDuration,
}

impl OutageTracker {
    fn success(&mut self, now: SimTime, threshold: SimDuration) {
        if let Some(last) = self.last_success {
            let gap = now - last;
            if gap > threshold {
                self.downtime += gap;
                self.outages += 1;
                self.longest = self.longest.max(gap);
            }
        }
        self.last_success = Some(now);
    }

    /// Restarts the measurement at `now`, as if a success had just happened.
    fn reset(&mut self, now: SimTime) {
        *self = OutageTracker { last_success: Some(now), ..OutageTracker::default() };
    }

    /// Counts the gap still open at the end of the run.
    fn close(&mut self, now: SimTime, threshold: SimDuration) {
        let last = self.last_success;
        self.success(now, threshold);
        self.last_success = last;
    }
}

/// Final failures by cause.
#[derive(Default)]
struct Failures {
    timeout: Counter,
    unavailable: Counter,
    throttled: Counter,
    rejected: Counter,
}

impl Failures {
    fn count(&mut self, status: Status) {
        match status {
            Status::TimedOut => self.timeout.incr(),
            Status::Unavailable => self.unavailable.incr(),
            Status::Throttled => self.throttled.incr(),
            Status::Rejected => self.rejected.incr(),
            // A wiring mistake (an operation the target does not offer); workloads send reads
            // and writes, which every kind accepts, so this is counted with the refusals.
            Status::Invalid => self.rejected.incr(),
            Status::Ok => {}
        }
    }

    fn total(&self) -> u64 {
        self.timeout.total() + self.unavailable.total() + self.throttled.total() + self.rejected.total()
    }

    fn take_interval(&mut self) -> u64 {
        self.timeout.take_interval()
            + self.unavailable.take_interval()
            + self.throttled.take_interval()
            + self.rejected.take_interval()
    }

    fn reset(&mut self) {
        for counter in [&mut self.timeout, &mut self.unavailable, &mut self.throttled, &mut self.rejected] {
            counter.reset();
        }
    }
}

/// A running workload.
pub struct Workload {
    name: String,
    target: ComponentId,
    /// End of the run.
    horizon: SimTime,
    mode: Mode,
    keys: KeyDist,
    size: Dist,
    write_fraction: f64,
    policy: ClientPolicy,
    dns: Vec<DnsCache>,
    next_id: u64,
    outstanding: Vec<Option<Outstanding>>,
    free_slots: Vec<u32>,
    latency: LatencyHistogram,
    read_latency: LatencyHistogram,
    write_latency: LatencyHistogram,
    interval_latency: IntervalMean,
    ok: Counter,
    failures: Failures,
    retries: Counter,
    sent: Counter,
    outages: OutageTracker,
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

/// Most closed-loop clients one workload may have.
pub const MAX_CLIENTS: u32 = 10_000_000;

impl Workload {
    /// Builds a workload sending to `target`.
    pub fn new(name: &str, config: &WorkloadConfig, target: ComponentId, horizon: SimTime) -> Result<Self, SpecError> {
        let (mode, keys, size, policy) = config.build_parts()?;
        Ok(Workload {
            name: name.to_string(),
            target,
            horizon,
            mode,
            keys,
            size,
            write_fraction: config.write_fraction,
            dns: vec![DnsCache::default(); policy.hosts as usize],
            policy,
            next_id: 0,
            outstanding: Vec::new(),
            free_slots: Vec::new(),
            latency: LatencyHistogram::new(),
            read_latency: LatencyHistogram::new(),
            write_latency: LatencyHistogram::new(),
            interval_latency: IntervalMean::default(),
            ok: Counter::default(),
            failures: Failures::default(),
            retries: Counter::default(),
            sent: Counter::default(),
            outages: OutageTracker::default(),
            measure_start: SimTime::ZERO,
        })
    }

    /// Issues a new request from `client` (a closed-loop client, or 0 for open workloads).
    fn issue(&mut self, client: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let op = if self.write_fraction > 0.0 && ctx.rng.random::<f64>() < self.write_fraction {
            Op::Write
        } else {
            Op::Read
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.outstanding.push(None);
                (self.outstanding.len() - 1) as u32
            }
        };
        let request = Request {
            id: self.next_id,
            op,
            key: self.keys.sample(ctx.rng),
            size: self.size.sample(ctx.rng).min(f64::from(u32::MAX)) as u32,
            created: now,
            arrived: now,
            client: ctx.me(),
            token: u64::from(slot),
            attempt: 1,
            resolved_at: now,
        };
        self.next_id += 1;
        self.sent.incr();
        self.outstanding[slot as usize] = Some(Outstanding { request, timeout: None, client });
        self.attempt(slot, ctx);
    }

    /// Sends the current attempt of the request in `slot`, from the host that issued it
    /// (open workloads spread requests over hosts; closed-loop client i runs on host i mod hosts).
    fn attempt(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let Some(entry) = self.outstanding[slot as usize].as_ref() else { return };
        let hosts = u64::from(self.policy.hosts);
        let host = match self.mode {
            Mode::Open(_) => entry.request.id % hosts,
            Mode::Closed { .. } => u64::from(entry.client) % hosts,
        };
        let resolved_at = self.dns[host as usize].lookup(now, &self.policy);
        let Some(entry) = self.outstanding[slot as usize].as_mut() else { return };
        entry.request.resolved_at = resolved_at;
        entry.request.arrived = now;
        let request = entry.request;
        entry.timeout = self
            .policy
            .timeout
            .map(|timeout| ctx.timer(timeout, Timer::new(WorkloadTimer::Timeout, slot, u64::from(request.attempt))));
        ctx.send(self.target, Message::Request(request));
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_>) {
        if let Mode::Open(arrivals) = &mut self.mode {
            let now = ctx.now();
            if let Some(at) = arrivals.next_after(now, self.horizon, ctx.rng) {
                ctx.timer(at - now, Timer::new(WorkloadTimer::Arrival, 0, 0));
            }
        }
    }

    /// The entry in `slot` if it is still waiting for attempt `attempt` of request `id`.
    fn current(&self, slot: u32, id: Option<u64>, attempt: u16) -> bool {
        self.outstanding
            .get(slot as usize)
            .and_then(Option::as_ref)
            .is_some_and(|entry| entry.request.attempt == attempt && id.is_none_or(|id| id == entry.request.id))
    }

    fn on_reply(&mut self, reply: Reply, ctx: &mut Ctx<'_>) {
        let slot = reply.request.token as u32;
        if !self.current(slot, Some(reply.request.id), reply.request.attempt) {
            return; // A late reply to an attempt already timed out or retried.
        }
        if let Some(timer) = self.outstanding[slot as usize].as_mut().and_then(|entry| entry.timeout.take()) {
            ctx.cancel(timer);
        }
        if reply.status == Status::Ok {
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
            self.outages.success(now, self.policy.outage_gap);
            self.complete(slot, ctx);
        } else {
            self.failed(slot, reply.status, ctx);
        }
    }

    /// An attempt failed: retry after a backoff, or give up.
    fn failed(&mut self, slot: u32, status: Status, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.outstanding[slot as usize].as_mut() else { return };
        entry.timeout = None;
        let attempt = entry.request.attempt;
        if attempt < self.policy.max_attempts {
            entry.request.attempt += 1;
            self.retries.incr();
            let wait = self.policy.backoff(attempt, ctx.rng);
            ctx.timer(wait, Timer::new(WorkloadTimer::Retry, slot, u64::from(attempt + 1)));
        } else {
            self.failures.count(status);
            self.complete(slot, ctx);
        }
    }

    /// The request in `slot` is finished (either way): free the slot; a closed-loop client
    /// thinks, then issues its next request.
    fn complete(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.outstanding[slot as usize].take() else { return };
        self.free_slots.push(slot);
        if let Mode::Closed { think, .. } = &self.mode {
            let pause = think.sample_duration(ctx.rng);
            ctx.timer(pause, Timer::new(WorkloadTimer::ThinkDone, entry.client, 0));
        }
    }
}

impl Component for Workload {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
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
                    if self.current(timer.slot, None, timer.data as u16) {
                        self.failed(timer.slot, Status::TimedOut, ctx);
                    }
                }
                Some(WorkloadTimer::Retry) => {
                    if self.current(timer.slot, None, timer.data as u16) {
                        self.attempt(timer.slot, ctx);
                    }
                }
                None => {}
            },
            Message::Reply(reply) => self.on_reply(reply, ctx),
            Message::Request(_) | Message::Internal(_) | Message::Fault(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.latency.reset();
        self.read_latency.reset();
        self.write_latency.reset();
        self.ok.reset();
        self.failures.reset();
        self.retries.reset();
        self.sent.reset();
        self.outages.reset(now);
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
        out.push(self.failures.take_interval() as f64 / secs);
        self.sent.take_interval();
        self.retries.take_interval();
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
        out.scalar(format!("{name}.errors"), Unit::Requests, self.failures.total() as f64);
        out.scalar(format!("{name}.sent"), Unit::Requests, self.sent.total() as f64);
        // Requests still waiting at the end: in flight, or lost to a fault with no timeout to
        // notice (then a closed-loop client stays blocked for the rest of the run).
        let unanswered = self.outstanding.iter().filter(|entry| entry.is_some()).count();
        out.scalar(format!("{name}.unanswered"), Unit::Requests, unanswered as f64);
        // Client-policy metrics appear once the workload uses timeouts or retries, so simple
        // scenarios keep a short summary.
        let uses_policy = self.policy.timeout.is_some() || self.policy.max_attempts > 1;
        if uses_policy {
            out.scalar(format!("{name}.retries"), Unit::Requests, self.retries.total() as f64);
            for (cause, counter) in [
                ("timeout", &self.failures.timeout),
                ("unavailable", &self.failures.unavailable),
                ("throttled", &self.failures.throttled),
                ("rejected", &self.failures.rejected),
            ] {
                out.scalar(format!("{name}.errors.{cause}"), Unit::Requests, counter.total() as f64);
            }
        }
        let finished = self.ok.total() + self.failures.total();
        let ratio = if finished > 0 { self.ok.total() as f64 / finished as f64 } else { f64::NAN };
        out.scalar(format!("{name}.success_ratio"), Unit::Fraction, ratio);
        self.outages.close(now, self.policy.outage_gap);
        out.scalar(format!("{name}.downtime"), Unit::Seconds, self.outages.downtime.as_secs_f64());
        out.scalar(format!("{name}.outages"), Unit::Events, self.outages.outages as f64);
        out.scalar(format!("{name}.longest_outage"), Unit::Seconds, self.outages.longest.as_secs_f64());
    }
}

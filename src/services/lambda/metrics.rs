//! What a Lambda function measures ([`Measures`]), the time series it samples and the metrics
//! it reports at the end of a run, including the billed duration and GB-seconds (Lambda
//! pricing: duration billed in 1 ms increments, priced per GB-second of configured memory).

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};

/// How an invocation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// It succeeded.
    Ok,
    /// The handler threw (`error_rate`).
    Error,
    /// It ran past the function's timeout.
    Timeout,
    /// Its call to the target failed.
    TargetFailed,
}

/// Billed milliseconds of an invocation that took `init` + `handler`: rounded up to the next
/// millisecond (Lambda pricing: "duration is rounded up to the nearest 1 ms").
pub(super) fn billed_millis(init: SimDuration, handler: SimDuration) -> u64 {
    (init + handler).as_nanos().div_ceil(1_000_000)
}

/// The function's measurements.
#[derive(Default)]
pub(super) struct Measures {
    pub(super) invocations: Counter,
    pub(super) throttles: Counter,
    /// Throttles because no new environment could be created (the scaling rate).
    pub(super) scaling_throttles: Counter,
    pub(super) cold_starts: Counter,
    pub(super) ok: Counter,
    pub(super) errors_function: Counter,
    pub(super) errors_timeout: Counter,
    pub(super) errors_target: Counter,
    /// Arrivals while the function was down.
    pub(super) unavailable: Counter,
    /// Invocations running when the function went down.
    pub(super) lost_in_flight: Counter,
    pub(super) invalid: Counter,
    /// Idle environments reclaimed (or lost to a crash).
    pub(super) reclaimed: Counter,
    /// Environments reset by a timeout.
    pub(super) resets: Counter,
    pub(super) concurrency: TimeWeighted,
    pub(super) concurrency_max: usize,
    interval_max: usize,
    duration: LatencyHistogram,
    init_duration: LatencyHistogram,
    response_time: LatencyHistogram,
    pub(super) billed_millis: u64,
    /// Billed MB-milliseconds (memory_mb × billed ms): exact integers, converted at the end.
    pub(super) billed_mb_millis: u128,
    measure_start: SimTime,
}

impl Measures {
    /// Forgets what was measured before `now` (the end of warm-up); `running` invocations
    /// are in progress.
    pub(super) fn begin(&mut self, now: SimTime, running: usize) {
        for counter in [
            &mut self.invocations,
            &mut self.throttles,
            &mut self.scaling_throttles,
            &mut self.cold_starts,
            &mut self.ok,
            &mut self.errors_function,
            &mut self.errors_timeout,
            &mut self.errors_target,
            &mut self.unavailable,
            &mut self.lost_in_flight,
            &mut self.invalid,
            &mut self.reclaimed,
            &mut self.resets,
        ] {
            counter.reset();
        }
        for histogram in [&mut self.duration, &mut self.init_duration, &mut self.response_time] {
            histogram.reset();
        }
        self.concurrency.reset(now);
        self.concurrency_max = running;
        self.billed_millis = 0;
        self.billed_mb_millis = 0;
        self.measure_start = now;
    }

    /// An invocation started at `now` after a cold start of `init` (zero: warm); `running`
    /// are running now, this one included.
    pub(super) fn started(&mut self, now: SimTime, init: SimDuration, running: usize) {
        self.invocations.incr();
        if init > SimDuration::ZERO {
            self.cold_starts.incr();
            self.init_duration.record(init);
        }
        self.running_now(now, running);
    }

    fn running_now(&mut self, now: SimTime, running: usize) {
        self.concurrency.set(now, running as f64);
        self.concurrency_max = self.concurrency_max.max(running);
        self.interval_max = self.interval_max.max(running);
    }

    /// An invocation that arrived at `arrived` ended at `now` after a cold start of `init`
    /// and `handler` of running time; `running` remain.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ended(
        &mut self,
        now: SimTime,
        arrived: SimTime,
        init: SimDuration,
        handler: SimDuration,
        end: End,
        memory_mb: u32,
        running: usize,
    ) {
        self.running_now(now, running);
        self.duration.record(handler);
        self.response_time.record(now.saturating_since(arrived));
        let billed = billed_millis(init, handler);
        self.billed_millis += billed;
        self.billed_mb_millis += u128::from(billed) * u128::from(memory_mb);
        match end {
            End::Ok => self.ok.incr(),
            End::Error => self.errors_function.incr(),
            End::Timeout => self.errors_timeout.incr(),
            End::TargetFailed => self.errors_target.incr(),
        }
    }

    /// Declares the series [`sample`](Self::sample) writes.
    pub(super) fn declare_series(&self, name: &str, names: &mut SeriesNames) {
        for quantity in [
            "concurrency",
            "concurrency_max",
            "environments",
            "invocations_per_s",
            "throttles_per_s",
            "cold_starts_per_s",
            "errors_per_s",
        ] {
            names.names.push(format!("{name}.{quantity}"));
        }
    }

    /// Appends one value per declared series over the `interval` ending `now`.
    pub(super) fn sample(
        &mut self,
        now: SimTime,
        interval: SimDuration,
        environments: usize,
        running: usize,
        out: &mut Vec<f64>,
    ) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push(self.concurrency.interval_mean(now));
        out.push(self.interval_max as f64);
        self.interval_max = running;
        out.push(environments as f64);
        out.push(self.invocations.take_interval() as f64 / secs);
        out.push(self.throttles.take_interval() as f64 / secs);
        out.push(self.cold_starts.take_interval() as f64 / secs);
        let errors = self.errors_function.take_interval()
            + self.errors_timeout.take_interval()
            + self.errors_target.take_interval()
            + self.unavailable.take_interval()
            + self.lost_in_flight.take_interval();
        out.push(errors as f64 / secs);
    }

    /// Reports the run's metrics; `caller` holds the call to the target's retries and final
    /// failures, if there is a target.
    pub(super) fn report(
        &mut self,
        name: &str,
        now: SimTime,
        environments: usize,
        caller: Option<(u64, u64)>,
        out: &mut MetricSet,
    ) {
        let measured = (now - self.measure_start).as_secs_f64();
        let ratio = |part: u64, whole: u64| if whole > 0 { part as f64 / whole as f64 } else { f64::NAN };
        let invocations = self.invocations.total();
        let throttles = self.throttles.total();
        out.scalar(format!("{name}.invocations"), Unit::Requests, invocations as f64);
        let throughput = if measured > 0.0 { self.ok.total() as f64 / measured } else { 0.0 };
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, throughput);
        out.scalar(format!("{name}.throttles"), Unit::Requests, throttles as f64);
        out.scalar(format!("{name}.throttles.scaling"), Unit::Requests, self.scaling_throttles.total() as f64);
        out.scalar(format!("{name}.throttle_ratio"), Unit::Fraction, ratio(throttles, invocations + throttles));
        out.scalar(format!("{name}.cold_starts"), Unit::Requests, self.cold_starts.total() as f64);
        out.scalar(format!("{name}.cold_start_ratio"), Unit::Fraction, ratio(self.cold_starts.total(), invocations));
        let unavailable = self.unavailable.total() + self.lost_in_flight.total();
        let errors = self.errors_function.total() + self.errors_timeout.total() + self.errors_target.total();
        out.scalar(format!("{name}.errors"), Unit::Requests, (errors + unavailable) as f64);
        out.scalar(format!("{name}.errors.function"), Unit::Requests, self.errors_function.total() as f64);
        out.scalar(format!("{name}.errors.timeout"), Unit::Requests, self.errors_timeout.total() as f64);
        out.scalar(format!("{name}.errors.target"), Unit::Requests, self.errors_target.total() as f64);
        out.scalar(format!("{name}.errors.unavailable"), Unit::Requests, unavailable as f64);
        out.scalar(format!("{name}.invalid"), Unit::Requests, self.invalid.total() as f64);
        out.scalar(format!("{name}.concurrency"), Unit::Requests, self.concurrency.mean(now));
        out.scalar(format!("{name}.concurrency_max"), Unit::Requests, self.concurrency_max as f64);
        out.scalar(format!("{name}.environments"), Unit::Requests, environments as f64);
        out.scalar(format!("{name}.environments_reclaimed"), Unit::Events, self.reclaimed.total() as f64);
        out.scalar(format!("{name}.environment_resets"), Unit::Events, self.resets.total() as f64);
        out.latency(format!("{name}.duration"), &mut self.duration);
        out.latency(format!("{name}.init_duration"), &mut self.init_duration);
        out.latency(format!("{name}.response_time"), &mut self.response_time);
        out.scalar(format!("{name}.billed_duration"), Unit::Seconds, self.billed_millis as f64 / 1e3);
        // GB-seconds: MB-ms / 1024 MB per GB / 1000 ms per s (Lambda pricing counts 1 GB as
        // 1,024 MB). The unit column says `s`: these are seconds of one GB.
        let gb_seconds = self.billed_mb_millis as f64 / 1024.0 / 1000.0;
        out.scalar(format!("{name}.billed_gb_seconds"), Unit::Seconds, gb_seconds);
        if let Some((retries, failures)) = caller {
            out.scalar(format!("{name}.target_retries"), Unit::Requests, retries as f64);
            out.scalar(format!("{name}.target_failures"), Unit::Requests, failures as f64);
        }
    }
}

//! What an application tier measures ([`Measures`]): response times (all, reads, writes),
//! outcomes, the latency and failures of each step of each flow, the balancer's errors,
//! CPU utilization, instances in service and requests per instance.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::Status;

/// Causes of a step's failure, in report order (Invalid counts with rejected).
pub(super) const CAUSES: [&str; 4] = ["timeout", "unavailable", "throttled", "rejected"];

/// The index of a failure `status` in [`CAUSES`].
pub(super) fn cause_index(status: Status) -> usize {
    match status {
        Status::TimedOut => 0,
        Status::Unavailable | Status::Ok => 1,
        Status::Throttled => 2,
        Status::Rejected | Status::Invalid => 3,
    }
}

/// One step's measurements.
pub(super) struct StepMeasures {
    /// `read.1.cache`-style label.
    pub(super) label: String,
    pub(super) latency: LatencyHistogram,
    pub(super) failures: [Counter; 4],
}

impl StepMeasures {
    pub(super) fn new(label: String) -> Self {
        StepMeasures { label, latency: LatencyHistogram::new(), failures: [Counter::default(); 4] }
    }
}

/// The tier's measurements.
pub(super) struct Measures {
    pub(super) response: LatencyHistogram,
    pub(super) read_response: LatencyHistogram,
    pub(super) write_response: LatencyHistogram,
    /// Arrival at an instance to the end of its CPU time (queueing for a worker included).
    pub(super) cpu_stage: LatencyHistogram,
    pub(super) requests: Counter,
    pub(super) ok: Counter,
    pub(super) failed: Counter,
    /// Failed requests by cause, as [`CAUSES`].
    pub(super) failed_by_cause: [Counter; 4],
    /// 503: no healthy instance registered.
    pub(super) lb_503: Counter,
    /// 504: sent to a target that was dead but not yet found unhealthy.
    pub(super) lb_504: Counter,
    /// 502: in progress on an instance when it died.
    pub(super) lb_502: Counter,
    /// Refused by a full instance queue.
    pub(super) rejected: Counter,
    /// Steps of reads, then of writes.
    pub(super) read_steps: Vec<StepMeasures>,
    pub(super) write_steps: Vec<StepMeasures>,
    /// Per instance slot: requests routed to it.
    pub(super) per_instance: Vec<Counter>,
    /// Death to being marked unhealthy.
    pub(super) detection: LatencyHistogram,
    /// Busy workers over every instance.
    pub(super) busy: TimeWeighted,
    /// Instances in service (registered with the balancer, healthy or not).
    pub(super) in_service: TimeWeighted,
    /// Instances the balancer routes to (registered and healthy).
    pub(super) healthy: TimeWeighted,
    pub(super) launches: Counter,
    pub(super) scale_outs: Counter,
    pub(super) scale_ins: Counter,
    interval_response: IntervalMean,
    interval_failed: Counter,
    measure_start: SimTime,
}

impl Measures {
    pub(super) fn new(read_steps: Vec<String>, write_steps: Vec<String>, slots: usize) -> Self {
        Measures {
            response: LatencyHistogram::new(),
            read_response: LatencyHistogram::new(),
            write_response: LatencyHistogram::new(),
            cpu_stage: LatencyHistogram::new(),
            requests: Counter::default(),
            ok: Counter::default(),
            failed: Counter::default(),
            failed_by_cause: [Counter::default(); 4],
            lb_503: Counter::default(),
            lb_504: Counter::default(),
            lb_502: Counter::default(),
            rejected: Counter::default(),
            read_steps: read_steps.into_iter().map(StepMeasures::new).collect(),
            write_steps: write_steps.into_iter().map(StepMeasures::new).collect(),
            per_instance: vec![Counter::default(); slots],
            detection: LatencyHistogram::new(),
            busy: TimeWeighted::new(),
            in_service: TimeWeighted::new(),
            healthy: TimeWeighted::new(),
            launches: Counter::default(),
            scale_outs: Counter::default(),
            scale_ins: Counter::default(),
            interval_response: IntervalMean::default(),
            interval_failed: Counter::default(),
            measure_start: SimTime::ZERO,
        }
    }

    /// A request ended with `status` after `latency`.
    pub(super) fn ended(&mut self, read: bool, status: Status, latency: SimDuration) {
        if status == Status::Ok {
            self.ok.incr();
            self.response.record(latency);
            if read {
                self.read_response.record(latency)
            } else {
                self.write_response.record(latency)
            }
            self.interval_response.record(latency.as_millis_f64());
        } else {
            self.failed.incr();
            self.failed_by_cause[cause_index(status)].incr();
            self.interval_failed.incr();
        }
    }

    /// Forgets what was measured before `now` (the end of warm-up).
    pub(super) fn begin(&mut self, now: SimTime) {
        for h in [&mut self.response, &mut self.read_response, &mut self.write_response, &mut self.cpu_stage] {
            h.reset();
        }
        self.detection.reset();
        for c in [
            &mut self.requests,
            &mut self.ok,
            &mut self.failed,
            &mut self.lb_503,
            &mut self.lb_504,
            &mut self.lb_502,
            &mut self.rejected,
            &mut self.launches,
            &mut self.scale_outs,
            &mut self.scale_ins,
        ] {
            c.reset();
        }
        for step in self.read_steps.iter_mut().chain(self.write_steps.iter_mut()) {
            step.latency.reset();
            step.failures.iter_mut().for_each(Counter::reset);
        }
        self.per_instance.iter_mut().for_each(Counter::reset);
        self.failed_by_cause.iter_mut().for_each(Counter::reset);
        self.busy.reset(now);
        self.in_service.reset(now);
        self.healthy.reset(now);
        self.measure_start = now;
    }

    /// Declares the series [`sample`](Self::sample) writes.
    pub(super) fn declare_series(&self, name: &str, names: &mut SeriesNames) {
        for quantity in ["instances_in_service", "healthy_instances", "utilization", "latency_ms", "errors_per_s"] {
            names.names.push(format!("{name}.{quantity}"));
        }
    }

    /// Appends one value per declared series over `interval`; `workers` per instance.
    pub(super) fn sample(&mut self, now: SimTime, interval: SimDuration, workers: u32, out: &mut Vec<f64>) {
        let healthy = self.healthy.interval_mean(now);
        let busy = self.busy.interval_mean(now);
        out.push(self.in_service.interval_mean(now));
        out.push(healthy);
        out.push(if healthy > 0.0 { busy / (healthy * f64::from(workers)) } else { 0.0 });
        out.push(self.interval_response.take());
        out.push(self.interval_failed.take_interval() as f64 / interval.as_secs_f64().max(f64::MIN_POSITIVE));
    }

    /// Reports the run's metrics.
    pub(super) fn report(&mut self, name: &str, now: SimTime, workers: u32, out: &mut MetricSet) {
        let measured = (now - self.measure_start).as_secs_f64();
        out.latency(format!("{name}.latency"), &mut self.response);
        out.latency(format!("{name}.read_latency"), &mut self.read_response);
        out.latency(format!("{name}.write_latency"), &mut self.write_response);
        out.latency(format!("{name}.cpu_stage"), &mut self.cpu_stage);
        let requests = self.requests.total();
        out.scalar(format!("{name}.requests"), Unit::Requests, requests as f64);
        let rate = if measured > 0.0 { self.ok.total() as f64 / measured } else { 0.0 };
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, rate);
        out.scalar(format!("{name}.errors"), Unit::Requests, self.failed.total() as f64);
        for (cause, counter) in CAUSES.iter().zip(&self.failed_by_cause) {
            out.scalar(format!("{name}.errors.{cause}"), Unit::Requests, counter.total() as f64);
        }
        // Of the requests that ended in the window (some that end in it began before it).
        let ended = self.ok.total() + self.failed.total();
        let ratio = if ended > 0 { self.ok.total() as f64 / ended as f64 } else { f64::NAN };
        out.scalar(format!("{name}.success_ratio"), Unit::Fraction, ratio);
        out.scalar(format!("{name}.lb_503"), Unit::Requests, self.lb_503.total() as f64);
        out.scalar(format!("{name}.lb_504"), Unit::Requests, self.lb_504.total() as f64);
        out.scalar(format!("{name}.lb_502"), Unit::Requests, self.lb_502.total() as f64);
        out.scalar(format!("{name}.rejected"), Unit::Requests, self.rejected.total() as f64);
        out.scalar(format!("{name}.instances_in_service"), Unit::Requests, self.in_service.mean(now));
        let healthy = self.healthy.mean(now);
        out.scalar(format!("{name}.healthy_instances"), Unit::Requests, healthy);
        let busy = self.busy.mean(now);
        let utilization = if healthy > 0.0 { busy / (healthy * f64::from(workers)) } else { f64::NAN };
        out.scalar(format!("{name}.utilization"), Unit::Fraction, utilization);
        out.latency(format!("{name}.detection_time"), &mut self.detection);
        out.scalar(format!("{name}.launches"), Unit::Events, self.launches.total() as f64);
        out.scalar(format!("{name}.scale_outs"), Unit::Events, self.scale_outs.total() as f64);
        out.scalar(format!("{name}.scale_ins"), Unit::Events, self.scale_ins.total() as f64);
        for steps in [&mut self.read_steps, &mut self.write_steps] {
            for step in steps.iter_mut() {
                let label = &step.label;
                out.latency(format!("{name}.{label}.latency"), &mut step.latency);
                for (cause, counter) in CAUSES.iter().zip(&step.failures) {
                    out.scalar(format!("{name}.{label}.failed_{cause}"), Unit::Requests, counter.total() as f64);
                }
            }
        }
        for (slot, counter) in self.per_instance.iter().enumerate() {
            out.scalar(format!("{name}.requests.instance-{}", slot + 1), Unit::Requests, counter.total() as f64);
        }
    }
}

//! What an SNS topic measures ([`Measures`]): publishes, and per subscriber the deliveries,
//! the messages its filter policy dropped, delivery failures and retries, and the latency
//! from acceptance of a publish to its delivery.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, LatencyHistogram, MetricSet, SeriesNames, Unit};

/// One subscriber's measurements.
#[derive(Default)]
pub(super) struct SubscriberMeasures {
    pub(super) name: String,
    pub(super) delivered: Counter,
    pub(super) filtered_out: Counter,
    pub(super) failures: Counter,
    pub(super) latency: LatencyHistogram,
}

/// The topic's measurements.
pub(super) struct Measures {
    pub(super) published: Counter,
    pub(super) throttled: Counter,
    pub(super) unavailable: Counter,
    pub(super) invalid: Counter,
    pub(super) subscribers: Vec<SubscriberMeasures>,
    /// Publish → delivery latency over every subscriber.
    pub(super) delivery_latency: LatencyHistogram,
    measure_start: SimTime,
}

impl Measures {
    /// Measures for the subscribers `names`, in order.
    pub(super) fn new(names: Vec<String>) -> Self {
        Measures {
            published: Counter::default(),
            throttled: Counter::default(),
            unavailable: Counter::default(),
            invalid: Counter::default(),
            subscribers: names.into_iter().map(|name| SubscriberMeasures { name, ..Default::default() }).collect(),
            delivery_latency: LatencyHistogram::new(),
            measure_start: SimTime::ZERO,
        }
    }

    /// Forgets what was measured before `now` (the end of warm-up).
    pub(super) fn begin(&mut self, now: SimTime) {
        for counter in [&mut self.published, &mut self.throttled, &mut self.unavailable, &mut self.invalid] {
            counter.reset();
        }
        for s in &mut self.subscribers {
            s.delivered.reset();
            s.filtered_out.reset();
            s.failures.reset();
            s.latency.reset();
        }
        self.delivery_latency.reset();
        self.measure_start = now;
    }

    /// Declares the series [`sample`](Self::sample) writes.
    pub(super) fn declare_series(&self, name: &str, names: &mut SeriesNames) {
        for quantity in ["published_per_s", "delivered_per_s", "in_flight"] {
            names.names.push(format!("{name}.{quantity}"));
        }
    }

    /// Appends one value per declared series over `interval`; `held` messages are stored.
    pub(super) fn sample(&mut self, interval: SimDuration, held: usize, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push(self.published.take_interval() as f64 / secs);
        let delivered: u64 = self.subscribers.iter_mut().map(|s| s.delivered.take_interval()).sum();
        out.push(delivered as f64 / secs);
        out.push(held as f64);
    }

    /// Reports the run's metrics; `retries[i]` are subscriber i's delivery retries.
    pub(super) fn report(&mut self, name: &str, now: SimTime, held: usize, retries: &[u64], out: &mut MetricSet) {
        let measured = (now - self.measure_start).as_secs_f64();
        let published = self.published.total();
        out.scalar(format!("{name}.published"), Unit::Requests, published as f64);
        let rate = if measured > 0.0 { published as f64 / measured } else { 0.0 };
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, rate);
        out.scalar(format!("{name}.throttled"), Unit::Requests, self.throttled.total() as f64);
        out.scalar(format!("{name}.unavailable"), Unit::Requests, self.unavailable.total() as f64);
        out.scalar(format!("{name}.invalid"), Unit::Requests, self.invalid.total() as f64);
        let total = |f: fn(&SubscriberMeasures) -> u64| self.subscribers.iter().map(f).sum::<u64>() as f64;
        out.scalar(format!("{name}.delivered"), Unit::Requests, total(|s| s.delivered.total()));
        out.scalar(format!("{name}.filtered_out"), Unit::Requests, total(|s| s.filtered_out.total()));
        out.scalar(format!("{name}.delivery_failures"), Unit::Requests, total(|s| s.failures.total()));
        out.scalar(format!("{name}.delivery_retries"), Unit::Requests, retries.iter().sum::<u64>() as f64);
        out.scalar(format!("{name}.in_flight"), Unit::Requests, held as f64);
        out.latency(format!("{name}.delivery_latency"), &mut self.delivery_latency);
        for (s, retries) in self.subscribers.iter_mut().zip(retries) {
            let sub = &s.name;
            out.scalar(format!("{name}.delivered.{sub}"), Unit::Requests, s.delivered.total() as f64);
            let ratio = if published > 0 { s.filtered_out.total() as f64 / published as f64 } else { f64::NAN };
            out.scalar(format!("{name}.filtered_out.{sub}"), Unit::Requests, s.filtered_out.total() as f64);
            out.scalar(format!("{name}.filtered_share.{sub}"), Unit::Fraction, ratio);
            out.scalar(format!("{name}.delivery_failures.{sub}"), Unit::Requests, s.failures.total() as f64);
            out.scalar(format!("{name}.delivery_retries.{sub}"), Unit::Requests, *retries as f64);
            out.latency(format!("{name}.delivery_latency.{sub}"), &mut s.latency);
        }
    }
}

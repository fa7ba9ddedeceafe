//! Measurements: HDR latency histograms, counters, time-weighted gauges and interval series.
//!
//! Every recorder has fixed-size state (HDR histograms grow with the *range* of values, not
//! their number), so memory does not grow with simulated time. Recorders are reset when the
//! warm-up ends; time series cover the whole run.

use hdrhistogram::Histogram;

use crate::engine::{SimDuration, SimTime};

/// Significant decimal digits kept by latency histograms (0.1% relative error).
pub const HISTOGRAM_SIGNIFICANT_DIGITS: u8 = 3;

/// A latency histogram in nanoseconds; values are kept to 3 significant digits.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
    sum_nanos: u128,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty, auto-resizing histogram.
    pub fn new() -> Self {
        let mut histogram = Histogram::new(HISTOGRAM_SIGNIFICANT_DIGITS).expect("3 significant digits is valid");
        histogram.auto(true);
        LatencyHistogram { histogram, sum_nanos: 0 }
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, latency: SimDuration) {
        // HDR cannot hold 0: a zero latency goes into the histogram as 1 ns (percentiles of
        // 1 ns are reported as 0), and into the sum as what it is, so the mean is exact.
        let exact = latency.as_nanos();
        let nanos = exact.max(1);
        // Auto-resizing: recording grows the range instead of failing (saturating_record would
        // clamp to the current range, which starts tiny).
        if self.histogram.record(nanos).is_err() {
            self.histogram.saturating_record(nanos);
        }
        self.sum_nanos += u128::from(exact);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Exact mean of the recorded values in milliseconds (NaN when empty).
    pub fn mean_ms(&self) -> f64 {
        if self.count() == 0 { f64::NAN } else { self.sum_nanos as f64 / self.count() as f64 / 1e6 }
    }

    /// Forgets everything recorded.
    pub fn reset(&mut self) {
        self.histogram.reset();
        self.sum_nanos = 0;
    }

    /// The underlying HDR histogram (nanoseconds).
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.histogram
    }

    /// Takes the HDR histogram, leaving an empty one.
    pub fn take(&mut self) -> Histogram<u64> {
        let empty = LatencyHistogram::new();
        self.sum_nanos = 0;
        std::mem::replace(&mut self.histogram, empty.histogram)
    }
}

/// A piecewise-constant quantity (queue length, busy servers) averaged over time.
#[derive(Clone, Debug, Default)]
pub struct TimeWeighted {
    value: f64,
    last_change: SimTime,
    /// ∫ value dt since the measurement start, in value·ns.
    area: f64,
    measure_start: SimTime,
    /// ∫ value dt since the last interval sample.
    interval_area: f64,
    interval_start: SimTime,
}

impl TimeWeighted {
    /// A gauge at 0 from time zero.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn accumulate(&mut self, now: SimTime) {
        let elapsed = (now - self.last_change).as_nanos() as f64;
        self.area += self.value * elapsed;
        self.interval_area += self.value * elapsed;
        self.last_change = now;
    }

    /// Sets the value from `now` on.
    #[inline]
    pub fn set(&mut self, now: SimTime, value: f64) {
        self.accumulate(now);
        self.value = value;
    }

    /// Adds `delta` to the value from `now` on.
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: f64) {
        self.accumulate(now);
        self.value += delta;
    }

    /// The current value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Starts the measured period at `now` (end of warm-up).
    pub fn reset(&mut self, now: SimTime) {
        self.accumulate(now);
        self.area = 0.0;
        self.measure_start = now;
    }

    /// Time average over the measured period up to `now`.
    pub fn mean(&mut self, now: SimTime) -> f64 {
        self.accumulate(now);
        let span = (now - self.measure_start).as_nanos() as f64;
        if span > 0.0 { self.area / span } else { self.value }
    }

    /// Time average since the previous call (for time series), restarting the interval.
    pub fn interval_mean(&mut self, now: SimTime) -> f64 {
        self.accumulate(now);
        let span = (now - self.interval_start).as_nanos() as f64;
        let mean = if span > 0.0 { self.interval_area / span } else { self.value };
        self.interval_area = 0.0;
        self.interval_start = now;
        mean
    }
}

/// A count of events, with a second count for the current time-series interval.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter {
    total: u64,
    interval: u64,
}

impl Counter {
    /// Counts one event.
    #[inline]
    pub fn incr(&mut self) {
        self.total += 1;
        self.interval += 1;
    }

    /// Counts `n` events.
    #[inline]
    pub fn add(&mut self, n: u64) {
        self.total += n;
        self.interval += n;
    }

    /// Events since the last reset.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Forgets the total (end of warm-up); the interval count is kept.
    pub fn reset(&mut self) {
        self.total = 0;
    }

    /// Events since the previous call, restarting the interval.
    pub fn take_interval(&mut self) -> u64 {
        std::mem::take(&mut self.interval)
    }
}

/// Mean of the values recorded in the current time-series interval.
#[derive(Clone, Copy, Debug, Default)]
pub struct IntervalMean {
    sum: f64,
    count: u64,
}

impl IntervalMean {
    /// Adds a value.
    #[inline]
    pub fn record(&mut self, value: f64) {
        self.sum += value;
        self.count += 1;
    }

    /// Mean since the previous call (NaN if nothing was recorded), restarting the interval.
    pub fn take(&mut self) -> f64 {
        let mean = if self.count == 0 { f64::NAN } else { self.sum / self.count as f64 };
        *self = IntervalMean::default();
        mean
    }
}

/// The unit a metric is reported in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds (latencies).
    Millis,
    /// Requests or messages (counts, queue lengths).
    Requests,
    /// Per second (throughput).
    PerSecond,
    /// A fraction in [0, 1] (utilization, availability, hit ratio).
    Fraction,
    /// Seconds (downtime, lag).
    Seconds,
    /// A count of events (failovers, data-loss events).
    Events,
}

impl Unit {
    /// The range a metric in this unit can take: fractions lie in [0, 1], every other
    /// quantity stratus reports (latencies, counts, rates, durations) is non-negative.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Unit::Fraction => (0.0, 1.0),
            _ => (0.0, f64::INFINITY),
        }
    }

    /// The unit as written in `summary.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Millis => "ms",
            Unit::Requests => "requests",
            Unit::PerSecond => "per_s",
            Unit::Fraction => "fraction",
            Unit::Seconds => "s",
            Unit::Events => "events",
        }
    }
}

/// The value of one metric in one replication.
#[derive(Clone, Debug)]
pub enum MetricValue {
    /// A latency distribution (nanoseconds); its replication value is the mean.
    Latency {
        /// All values recorded after warm-up.
        histogram: Histogram<u64>,
        /// Exact mean in milliseconds.
        mean_ms: f64,
    },
    /// A single number for the replication (a time average, a rate, a count).
    Scalar(f64),
}

/// One named metric of one replication.
#[derive(Clone, Debug)]
pub struct Metric {
    /// `<component>.<quantity>`, e.g. `app.response_time`.
    pub name: String,
    /// Reporting unit.
    pub unit: Unit,
    /// The measured value.
    pub value: MetricValue,
}

impl Metric {
    /// The single number that represents this metric in one replication (a latency
    /// histogram's mean), used for confidence intervals across replications.
    pub fn replication_value(&self) -> f64 {
        match &self.value {
            MetricValue::Latency { mean_ms, .. } => *mean_ms,
            MetricValue::Scalar(value) => *value,
        }
    }
}

/// What components report at the end of a run.
#[derive(Clone, Debug, Default)]
pub struct MetricSet {
    /// Metrics in the order components reported them.
    pub metrics: Vec<Metric>,
}

impl MetricSet {
    /// Adds a latency metric from a histogram (which is left empty).
    pub fn latency(&mut self, name: String, histogram: &mut LatencyHistogram) {
        let mean_ms = histogram.mean_ms();
        self.metrics.push(Metric {
            name,
            unit: Unit::Millis,
            value: MetricValue::Latency { histogram: histogram.take(), mean_ms },
        });
    }

    /// Adds a scalar metric.
    pub fn scalar(&mut self, name: String, unit: Unit, value: f64) {
        self.metrics.push(Metric { name, unit, value: MetricValue::Scalar(value) });
    }
}

/// Declares the series a component samples, in the order it will write them.
#[derive(Debug, Default)]
pub struct SeriesNames {
    /// `<component>.<quantity>` names.
    pub names: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_weighted_mean() {
        let mut gauge = TimeWeighted::new();
        gauge.set(SimTime(0), 2.0);
        gauge.set(SimTime(10), 4.0);
        // 2 for 10 ns, 4 for 30 ns → (20 + 120) / 40 = 3.5
        assert!((gauge.mean(SimTime(40)) - 3.5).abs() < 1e-12);
        gauge.reset(SimTime(40));
        assert!((gauge.mean(SimTime(50)) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn interval_mean_restarts() {
        let mut gauge = TimeWeighted::new();
        gauge.set(SimTime(0), 1.0);
        assert!((gauge.interval_mean(SimTime(10)) - 1.0).abs() < 1e-12);
        gauge.set(SimTime(15), 3.0);
        assert!((gauge.interval_mean(SimTime(20)) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn histogram_mean_is_exact() {
        let mut histogram = LatencyHistogram::new();
        histogram.record(SimDuration::from_millis(1));
        histogram.record(SimDuration::from_millis(2));
        assert_eq!(histogram.count(), 2);
        assert!((histogram.mean_ms() - 1.5).abs() < 1e-12);
        histogram.reset();
        assert!(histogram.mean_ms().is_nan());
    }
}

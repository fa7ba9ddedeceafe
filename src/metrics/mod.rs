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
///
/// Recording is on the hot path (several times per simulated request), so the counts are
/// kept here in the bucket layout of an HDR histogram with 3 significant digits and a lowest
/// discernible value of 1 ns, and turned into an [`hdrhistogram::Histogram`] only when the
/// run reads them ([`take`](Self::take)): one shift, one leading-zero count and one add per
/// value instead of the crate's general path (range checks, resizing, min/max tracking). The
/// resulting histogram is the one recording every value into the crate would give (a test
/// checks it).
///
/// Counts are 32-bit, halving the cache lines a run's many histograms touch (the increment
/// is a cache miss as often as not: a profile of `web-tier` put most of a station departure's
/// time on it). A bucket that passes `u32::MAX` carries each 2³² into `carried`, so no count
/// is ever lost.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    /// Counts by HDR bucket index (grown to the highest index recorded), modulo 2³².
    counts: Vec<u32>,
    /// Multiples of 2³² carried out of `counts`, by bucket index (almost always empty).
    carried: Vec<(usize, u64)>,
    count: u64,
    sum_nanos: u128,
}

/// Sub-buckets per bucket for 3 significant digits: 2 × 10³ rounded up to a power of two.
const SUB_BUCKET_COUNT_MAGNITUDE: u32 = 11;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_HALF_COUNT: u64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (1 << SUB_BUCKET_COUNT_MAGNITUDE) - 1;
/// 64 − unit magnitude (0 for a lowest value of 1) − sub-bucket count magnitude.
const LEADING_ZERO_COUNT_BASE: u32 = 64 - SUB_BUCKET_COUNT_MAGNITUDE;

/// The HDR counts index of `value` (≥ 1), as `hdrhistogram` computes it.
#[inline(always)]
fn hdr_index(value: u64) -> usize {
    let bucket = LEADING_ZERO_COUNT_BASE - (value | SUB_BUCKET_MASK).leading_zeros();
    let sub_bucket = value >> bucket;
    (((u64::from(bucket) + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub_bucket - SUB_BUCKET_HALF_COUNT) as usize
}

/// The lowest value of HDR counts index `index`.
fn hdr_value(index: usize) -> u64 {
    let index = index as u64;
    let mut bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let mut sub_bucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub_bucket -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub_bucket << bucket
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, latency: SimDuration) {
        // HDR cannot hold 0: a zero latency goes into the histogram as 1 ns (percentiles of
        // 1 ns are reported as 0), and into the sum as what it is, so the mean is exact.
        let exact = latency.as_nanos();
        let index = hdr_index(exact.max(1));
        match self.counts.get_mut(index) {
            Some(count) => {
                let (next, wrapped) = count.overflowing_add(1);
                *count = next;
                if wrapped {
                    self.carry(index);
                }
            }
            None => self.grow_and_record(index),
        }
        self.count += 1;
        self.sum_nanos += u128::from(exact);
    }

    #[cold]
    fn grow_and_record(&mut self, index: usize) {
        self.counts.resize(index + 1, 0);
        self.counts[index] += 1;
    }

    #[cold]
    fn carry(&mut self, index: usize) {
        match self.carried.iter_mut().find(|(i, _)| *i == index) {
            Some((_, high)) => *high += 1,
            None => self.carried.push((index, 1)),
        }
    }

    /// The full count of bucket `index`.
    fn bucket_count(&self, index: usize) -> u64 {
        let high = self.carried.iter().find(|(i, _)| *i == index).map_or(0, |(_, high)| *high);
        (high << 32) | u64::from(self.counts[index])
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean of the recorded values in milliseconds (NaN when empty).
    pub fn mean_ms(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.sum_nanos as f64 / self.count as f64 / 1e6 }
    }

    /// Forgets everything recorded.
    pub fn reset(&mut self) {
        self.counts.fill(0);
        self.carried.clear();
        self.count = 0;
        self.sum_nanos = 0;
    }

    /// The recorded values as an auto-resizing HDR histogram (nanoseconds, 3 significant
    /// digits), leaving this one empty.
    pub fn take(&mut self) -> Histogram<u64> {
        let mut histogram = Histogram::new(HISTOGRAM_SIGNIFICANT_DIGITS).expect("3 significant digits is valid");
        histogram.auto(true);
        for index in 0..self.counts.len() {
            let count = self.bucket_count(index);
            if count > 0 {
                // Auto-resizing: recording grows the range as the crate would have.
                histogram.record_n(hdr_value(index), count).expect("an auto-resizing histogram takes any u64");
            }
        }
        self.reset();
        histogram
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
        let elapsed = (now - self.last_change).as_nanos_f64();
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
        let span = (now - self.measure_start).as_nanos_f64();
        if span > 0.0 { self.area / span } else { self.value }
    }

    /// Time average since the previous call (for time series), restarting the interval.
    pub fn interval_mean(&mut self, now: SimTime) -> f64 {
        self.accumulate(now);
        let span = (now - self.interval_start).as_nanos_f64();
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
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum MetricValue {
    /// A latency distribution (nanoseconds); its replication value is the mean.
    Latency {
        /// All values recorded after warm-up (stored by [`histogram_bytes`] when a run is
        /// saved for a later merge or resume).
        #[serde(with = "histogram_bytes")]
        histogram: Histogram<u64>,
        /// Exact mean in milliseconds.
        mean_ms: f64,
    },
    /// A single number for the replication (a time average, a rate, a count).
    Scalar(f64),
}

/// One named metric of one replication.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
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

    /// A bucket past 2³² values keeps counting: the 32-bit bin carries into `carried`, and
    /// the histogram taken holds the full count (here 2³² + 1, and exactly 2 × 2³² in a
    /// second bucket, whose 32-bit bin reads 0).
    #[test]
    fn latency_histogram_buckets_carry_past_u32() {
        let mut histogram = LatencyHistogram::new();
        let (one_ms, two_ms) = (SimDuration::from_millis(1), SimDuration::from_millis(2));
        histogram.record(one_ms);
        histogram.record(two_ms);
        let (a, b) = (hdr_index(one_ms.as_nanos()), hdr_index(two_ms.as_nanos()));
        histogram.counts[a] = u32::MAX;
        histogram.counts[b] = u32::MAX;
        histogram.count = 2 * u64::from(u32::MAX);
        histogram.record(one_ms); // wraps to 0, carries 1
        histogram.record(one_ms);
        histogram.record(two_ms); // wraps to 0, carries 1
        histogram.counts[b] = u32::MAX;
        histogram.record(two_ms); // the second carry of bucket b: 2 × 2^32, bin 0
        let taken = histogram.take();
        assert_eq!(taken.count_at(one_ms.as_nanos()), (1 << 32) + 1);
        assert_eq!(taken.count_at(two_ms.as_nanos()), 2 << 32);
        assert_eq!(histogram.count(), 0);
        assert!(histogram.carried.is_empty());
    }

    /// The counts kept by bucket index give the histogram that recording every value into
    /// the crate gives: same counts, length, min, max and quantiles, and the same bytes
    /// serialized.
    #[test]
    fn latency_histogram_matches_recording_into_hdrhistogram() {
        use hdrhistogram::serialization::{Serializer, V2Serializer};
        let mut ours = LatencyHistogram::new();
        let mut theirs = Histogram::<u64>::new(HISTOGRAM_SIGNIFICANT_DIGITS).unwrap();
        theirs.auto(true);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut values = vec![0, 1, 2, 2047, 2048, 2049, 4095, 4096, 1 << 40, u64::MAX / 4];
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 50)); // Spread over many magnitudes.
        }
        for &v in &values {
            ours.record(SimDuration(v));
            theirs.record(v.max(1)).unwrap();
        }
        for &v in &values {
            let v = v.max(1);
            assert_eq!(hdr_value(hdr_index(v)), theirs.lowest_equivalent(v), "{v}");
        }
        assert_eq!(ours.count(), values.len() as u64);
        let ours = ours.take();
        assert_eq!((ours.len(), ours.min(), ours.max()), (theirs.len(), theirs.min(), theirs.max()));
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(ours.value_at_quantile(q), theirs.value_at_quantile(q), "q {q}");
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        V2Serializer::new().serialize(&ours, &mut a).unwrap();
        V2Serializer::new().serialize(&theirs, &mut b).unwrap();
        assert_eq!(a, b);
    }

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

/// A histogram as the bytes of the HDR V2 format (lossless), for run records saved to disk
/// (`stratus run --shard`, `--resume`). Read back, it auto-resizes like the histograms runs
/// produce, so merging it gives the same result as merging the original.
pub mod histogram_bytes {
    use hdrhistogram::Histogram;
    use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};

    /// Writes `histogram` as V2 bytes.
    pub fn serialize<S: serde::Serializer>(histogram: &Histogram<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        V2Serializer::new().serialize(histogram, &mut bytes).map_err(serde::ser::Error::custom)?;
        serializer.serialize_bytes(&bytes)
    }

    /// Reads V2 bytes back into an auto-resizing histogram.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Histogram<u64>, D::Error> {
        let bytes: serde_bytes::ByteBuf = serde::Deserialize::deserialize(deserializer)?;
        let mut histogram: Histogram<u64> =
            Deserializer::new().deserialize(&mut bytes.as_slice()).map_err(serde::de::Error::custom)?;
        histogram.auto(true);
        Ok(histogram)
    }
}

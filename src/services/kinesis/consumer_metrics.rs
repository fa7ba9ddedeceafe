//! What a consumer measures ([`ConsumerMeasures`]), the series it samples and the metrics it
//! reports.

use super::consumer::KinesisConsumer;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, LatencyHistogram, MetricSet, SeriesNames, Unit};

/// A consumer's measurements.
#[derive(Default)]
pub(super) struct ConsumerMeasures {
    pub(super) records: Counter,
    pub(super) batches: Counter,
    pub(super) get_calls: Counter,
    pub(super) get_throttled: Counter,
    pub(super) get_empty: Counter,
    pub(super) pushes: Counter,
    pub(super) batch_failures: Counter,
    pub(super) batch_retries: Counter,
    pub(super) on_failure: Counter,
    pub(super) expired: Counter,
    pub(super) checkpoints: Counter,
    pub(super) errors: Counter,
    pub(super) batch_latency: LatencyHistogram,
    pub(super) max_age_ms: f64,
    pub(super) crashes: Counter,
    pub(super) duplicates: Counter,
    pub(super) measure_start: SimTime,
}

impl KinesisConsumer {
    /// The warm-up is over.
    pub(super) fn begin_measuring(&mut self, now: SimTime) {
        let m = &mut self.m;
        for counter in [
            &mut m.records,
            &mut m.batches,
            &mut m.get_calls,
            &mut m.get_throttled,
            &mut m.get_empty,
            &mut m.pushes,
            &mut m.batch_failures,
            &mut m.batch_retries,
            &mut m.on_failure,
            &mut m.expired,
            &mut m.checkpoints,
            &mut m.errors,
            &mut m.crashes,
            &mut m.duplicates,
        ] {
            counter.reset();
        }
        m.batch_latency.reset();
        m.max_age_ms = 0.0;
        m.measure_start = now;
        if let Some(caller) = self.caller.as_mut() {
            caller.retries.reset();
            caller.failures.reset();
        }
    }

    /// Declares the series [`sample_series`](Self::sample_series) writes.
    pub(super) fn declare_series(&self, names: &mut SeriesNames) {
        let name = &self.name;
        for quantity in ["iterator_age_ms", "records_per_s", "blocked_shards"] {
            names.names.push(format!("{name}.{quantity}"));
        }
        for shard in 0..self.plan.series_shards {
            names.names.push(format!("{name}.shard.{shard}.iterator_age_ms"));
        }
    }

    /// Appends one value per declared series.
    pub(super) fn sample_series(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        let age = self.max_age_now(now);
        self.m.max_age_ms = self.m.max_age_ms.max(age);
        out.push(age);
        out.push(self.m.records.take_interval() as f64 / secs);
        out.push(self.loops.iter().filter(|s| s.blocked).count() as f64);
        for shard in 0..self.plan.series_shards as usize {
            out.push(self.loops.get(shard).map_or(f64::NAN, |s| s.iterator_age_ms(now)));
        }
    }

    /// Reports the run's metrics.
    pub(super) fn report(&mut self, now: SimTime, out: &mut MetricSet) {
        let name = &self.name;
        let m = &mut self.m;
        m.max_age_ms = m.max_age_ms.max(self.loops.iter().map(|s| s.iterator_age_ms(now)).fold(0.0, f64::max));
        let measured = (now - m.measure_start).as_secs_f64();
        let rate = if measured > 0.0 { m.records.total() as f64 / measured } else { 0.0 };
        out.latency(format!("{name}.batch_latency"), &mut m.batch_latency);
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, rate);
        for (quantity, counter) in [
            ("records", &m.records),
            ("batches", &m.batches),
            ("get_calls", &m.get_calls),
            ("get_throttled", &m.get_throttled),
            ("get_empty", &m.get_empty),
            ("pushes", &m.pushes),
            ("batch_failures", &m.batch_failures),
            ("batch_retries", &m.batch_retries),
            ("on_failure_records", &m.on_failure),
            ("expired_records", &m.expired),
            ("checkpoints", &m.checkpoints),
            ("errors", &m.errors),
            ("crashes", &m.crashes),
            ("duplicates", &m.duplicates),
        ] {
            out.scalar(format!("{name}.{quantity}"), Unit::Requests, counter.total() as f64);
        }
        out.scalar(format!("{name}.iterator_age_max"), Unit::Seconds, m.max_age_ms / 1000.0);
        let blocked = self.loops.iter().filter(|s| s.blocked).count();
        out.scalar(format!("{name}.blocked_shards"), Unit::Requests, blocked as f64);
        if let Some(caller) = &self.caller {
            out.scalar(format!("{name}.call_retries"), Unit::Requests, caller.retries.total() as f64);
            out.scalar(format!("{name}.call_errors"), Unit::Requests, caller.failures.total() as f64);
        }
    }
}

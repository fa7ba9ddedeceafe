//! What a stream measures ([`Measures`]), the time series it samples and the metrics it
//! reports at the end of a run.
//!
//! Per-shard series and totals are kept for the first `series_shards` shard ids (default 16),
//! so the output stays bounded on streams of hundreds of shards; the hottest shard of each
//! interval is reported whatever its id (`max_shard_records_per_s`), and `hot_shard_share`
//! gives the busiest shard's share of all accepted records over the run.

use super::shard::Record;
use super::stream::Kinesis;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, Unit};
use crate::model::Backlog;

/// The stream's measurements (per-shard counters live in the shards).
#[derive(Default)]
pub(super) struct Measures {
    pub(super) puts: Counter,
    pub(super) put_calls: Counter,
    pub(super) put_attempts: Counter,
    pub(super) put_first_attempts: Counter,
    pub(super) put_retried: Counter,
    pub(super) put_throttled: Counter,
    pub(super) put_throttled_first: Counter,
    pub(super) put_too_large: Counter,
    pub(super) put_latency: LatencyHistogram,
    pub(super) get_calls: Counter,
    pub(super) get_throttled: Counter,
    pub(super) get_empty: Counter,
    pub(super) pushes: Counter,
    pub(super) efo_refused: Counter,
    pub(super) records_read: Counter,
    pub(super) processed: Counter,
    pub(super) dropped: Counter,
    pub(super) lost: Counter,
    pub(super) expired: Counter,
    pub(super) reshards: Counter,
    pub(super) propagation: LatencyHistogram,
    pub(super) end_to_end: LatencyHistogram,
    pub(super) interval_propagation: IntervalMean,
    pub(super) measure_start: SimTime,
}

impl Kinesis {
    /// The warm-up is over.
    pub(super) fn begin_measuring(&mut self, now: SimTime) {
        let m = &mut self.m;
        for counter in [
            &mut m.puts,
            &mut m.put_calls,
            &mut m.put_attempts,
            &mut m.put_first_attempts,
            &mut m.put_retried,
            &mut m.put_throttled,
            &mut m.put_throttled_first,
            &mut m.put_too_large,
            &mut m.get_calls,
            &mut m.get_throttled,
            &mut m.get_empty,
            &mut m.pushes,
            &mut m.efo_refused,
            &mut m.records_read,
            &mut m.processed,
            &mut m.dropped,
            &mut m.lost,
            &mut m.expired,
            &mut m.reshards,
        ] {
            counter.reset();
        }
        m.put_latency.reset();
        m.propagation.reset();
        m.end_to_end.reset();
        for shard in &mut self.shards {
            shard.incoming_records.reset();
            shard.incoming_bytes.reset();
            shard.throttled.reset();
        }
        m.measure_start = now;
    }

    /// Declares the series [`sample_series`](Self::sample_series) writes.
    pub(super) fn declare_series(&self, names: &mut SeriesNames) {
        let name = &self.name;
        for quantity in [
            "incoming_records_per_s",
            "throttled_per_s",
            "max_shard_records_per_s",
            "open_shards",
            "stored_records",
            "propagation_ms",
        ] {
            names.names.push(format!("{name}.{quantity}"));
        }
        for shard in 0..self.plan.series_shards {
            names.names.push(format!("{name}.shard.{shard}.records_per_s"));
            names.names.push(format!("{name}.shard.{shard}.bytes_per_s"));
        }
    }

    /// Appends one value per declared series, over the `interval` ending `now`.
    pub(super) fn sample_series(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        self.trim_all(now);
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        let mut total = 0u64;
        let mut hottest = 0u64;
        let mut throttled = 0u64;
        let mut per_shard = [(0u64, 0u64); 1024];
        let keep = self.plan.series_shards as usize;
        for (id, shard) in self.shards.iter_mut().enumerate() {
            let records = shard.incoming_records.take_interval();
            let bytes = shard.incoming_bytes.take_interval();
            throttled += shard.throttled.take_interval();
            total += records;
            hottest = hottest.max(records);
            if id < keep {
                per_shard[id] = (records, bytes);
            }
        }
        out.push(total as f64 / secs);
        out.push(throttled as f64 / secs);
        out.push(hottest as f64 / secs);
        out.push(f64::from(self.open_count));
        out.push(self.stored() as f64);
        out.push(self.m.interval_propagation.take());
        for (id, &(records, bytes)) in per_shard.iter().enumerate().take(keep) {
            if id < self.shards.len() {
                out.push(records as f64 / secs);
                out.push(bytes as f64 / secs);
            } else {
                out.push(f64::NAN);
                out.push(f64::NAN);
            }
        }
    }

    /// Records stored now, in every shard.
    pub(super) fn stored(&self) -> u64 {
        self.shards.iter().map(|shard| shard.records.len() as u64).sum()
    }

    /// Reports the run's metrics.
    pub(super) fn report(&mut self, now: SimTime, out: &mut MetricSet) {
        self.trim_all(now);
        let name = self.name.clone();
        let measured = (now - self.m.measure_start).as_secs_f64();
        let rate = |count: u64| if measured > 0.0 { count as f64 / measured } else { 0.0 };
        let pending: u64 = self
            .consumers
            .iter()
            .map(|c| {
                (0..self.shards.len())
                    .map(|s| {
                        // Read and not finished, plus not read and not lost.
                        c.in_flight[s] + self.shards[s].next_seq().saturating_sub(c.delivered[s].max(c.lost_upto[s]))
                    })
                    .sum::<u64>()
            })
            .sum();
        let m = &mut self.m;
        out.latency(format!("{name}.put_latency"), &mut m.put_latency);
        out.latency(format!("{name}.propagation"), &mut m.propagation);
        out.latency(format!("{name}.end_to_end"), &mut m.end_to_end);
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, rate(m.puts.total()));
        out.scalar(format!("{name}.records_put"), Unit::Requests, m.puts.total() as f64);
        out.scalar(format!("{name}.put_calls"), Unit::Requests, m.put_calls.total() as f64);
        out.scalar(format!("{name}.put_attempts"), Unit::Requests, m.put_attempts.total() as f64);
        out.scalar(format!("{name}.put_retries"), Unit::Requests, m.put_retried.total() as f64);
        out.scalar(format!("{name}.put_throttled"), Unit::Requests, m.put_throttled.total() as f64);
        let fraction = |part: u64, whole: u64| if whole > 0 { part as f64 / whole as f64 } else { f64::NAN };
        out.scalar(
            format!("{name}.put_throttled_fraction"),
            Unit::Fraction,
            fraction(m.put_throttled.total(), m.put_attempts.total()),
        );
        out.scalar(
            format!("{name}.first_attempt_throttled_fraction"),
            Unit::Fraction,
            fraction(m.put_throttled_first.total(), m.put_first_attempts.total()),
        );
        out.scalar(format!("{name}.put_too_large"), Unit::Requests, m.put_too_large.total() as f64);
        out.scalar(format!("{name}.get_calls"), Unit::Requests, m.get_calls.total() as f64);
        out.scalar(format!("{name}.get_throttled"), Unit::Requests, m.get_throttled.total() as f64);
        out.scalar(format!("{name}.get_empty"), Unit::Requests, m.get_empty.total() as f64);
        out.scalar(format!("{name}.pushes"), Unit::Requests, m.pushes.total() as f64);
        out.scalar(format!("{name}.efo_refused"), Unit::Requests, m.efo_refused.total() as f64);
        out.scalar(format!("{name}.records_read"), Unit::Requests, m.records_read.total() as f64);
        out.scalar(format!("{name}.records_processed"), Unit::Requests, m.processed.total() as f64);
        out.scalar(format!("{name}.records_dropped"), Unit::Requests, m.dropped.total() as f64);
        out.scalar(format!("{name}.records_lost"), Unit::Requests, m.lost.total() as f64);
        out.scalar(format!("{name}.records_pending"), Unit::Requests, pending as f64);
        out.scalar(format!("{name}.records_expired"), Unit::Requests, m.expired.total() as f64);
        out.scalar(format!("{name}.reshards"), Unit::Events, m.reshards.total() as f64);
        out.scalar(format!("{name}.open_shards"), Unit::Requests, f64::from(self.open_count));
        let totals: Vec<u64> = self.shards.iter().map(|shard| shard.incoming_records.total()).collect();
        let all: u64 = totals.iter().sum();
        let hottest = totals.iter().copied().max().unwrap_or(0);
        out.scalar(format!("{name}.hot_shard_share"), Unit::Fraction, fraction(hottest, all));
        for (id, shard) in self.shards.iter().enumerate().take(self.plan.series_shards as usize) {
            out.scalar(format!("{name}.shard.{id}.records"), Unit::Requests, shard.incoming_records.total() as f64);
            out.scalar(format!("{name}.shard.{id}.throttled"), Unit::Requests, shard.throttled.total() as f64);
        }
    }

    /// What the stream holds: its records (the ring buffers' whole capacity) and the puts
    /// collected for a PutRecords call. No offered load: not a single FIFO station.
    pub(super) fn held(&self) -> Backlog {
        let stored = self.stored();
        let bytes: u64 = self.shards.iter().map(|shard| Backlog::bytes_of::<Record>(shard.records.capacity())).sum();
        Backlog { queued: stored, held: stored, bytes, offered_load: None, arrived: 0 }
    }
}

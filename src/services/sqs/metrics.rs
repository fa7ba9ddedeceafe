//! What a queue measures ([`QueueMeasures`]), the time series it samples and the metrics it
//! reports at the end of a run (summary.csv conventions: `<queue>.<quantity>`).

use super::Sqs;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};

/// The queue's measurements.
#[derive(Default)]
pub(super) struct QueueMeasures {
    /// Send (by the producer) → first delete.
    pub(super) end_to_end: LatencyHistogram,
    /// Send → first receive.
    pub(super) queue_wait: LatencyHistogram,
    pub(super) sent: Counter,
    pub(super) deleted: Counter,
    pub(super) receives: Counter,
    pub(super) empty_receives: Counter,
    pub(super) delivered: Counter,
    pub(super) redeliveries: Counter,
    pub(super) duplicates: Counter,
    pub(super) late_deletes: Counter,
    pub(super) dead_lettered: Counter,
    pub(super) expired: Counter,
    pub(super) deduplicated: Counter,
    pub(super) throttled: Counter,
    pub(super) invalid: Counter,
    pub(super) visibility_changes: Counter,
    /// First deliveries of a message sent before one of its group already delivered.
    pub(super) order_inversions: Counter,
    /// Billed requests (a batch of 10 is one; producers' batches count 1/n per message).
    pub(super) api_requests: f64,
    pub(super) visible: TimeWeighted,
    pub(super) in_flight: TimeWeighted,
    /// Largest age of the oldest message seen at a sample or at the end (seconds).
    pub(super) oldest_age_max: f64,
    pub(super) measure_start: SimTime,
}

impl QueueMeasures {
    /// Forgets what was measured before `now` (the end of warm-up); the gauges keep their value.
    pub(super) fn begin(&mut self, now: SimTime) {
        self.end_to_end.reset();
        self.queue_wait.reset();
        for counter in [
            &mut self.sent,
            &mut self.deleted,
            &mut self.receives,
            &mut self.empty_receives,
            &mut self.delivered,
            &mut self.redeliveries,
            &mut self.duplicates,
            &mut self.late_deletes,
            &mut self.dead_lettered,
            &mut self.expired,
            &mut self.deduplicated,
            &mut self.throttled,
            &mut self.invalid,
            &mut self.visibility_changes,
            &mut self.order_inversions,
        ] {
            counter.reset();
        }
        self.api_requests = 0.0;
        self.visible.reset(now);
        self.in_flight.reset(now);
        self.oldest_age_max = 0.0;
        self.measure_start = now;
    }
}

impl Sqs {
    /// Brings the depth gauges in line with the store (after every change of state).
    #[inline]
    pub(super) fn update_gauges(&mut self, now: SimTime) {
        let visible = self.store.visible as f64;
        if self.m.visible.value() != visible {
            self.m.visible.set(now, visible);
        }
        let in_flight = self.store.in_flight as f64;
        if self.m.in_flight.value() != in_flight {
            self.m.in_flight.set(now, in_flight);
        }
    }

    /// Age of the oldest stored message at `now`, in seconds (0 when empty).
    pub(super) fn oldest_age(&mut self, now: SimTime) -> f64 {
        let age = match self.store.oldest().and_then(|r| self.store.get(r)) {
            Some(msg) => now.saturating_since(msg.stored).as_secs_f64(),
            None => 0.0,
        };
        self.m.oldest_age_max = self.m.oldest_age_max.max(age);
        age
    }

    /// Declares the series [`sample_series`](Self::sample_series) writes.
    pub(super) fn declare_series(&self, names: &mut SeriesNames) {
        let name = &self.name;
        for quantity in [
            "visible",
            "in_flight",
            "oldest_age_s",
            "sent_per_s",
            "deleted_per_s",
            "empty_receives_per_s",
            "redeliveries_per_s",
            "dead_lettered",
        ] {
            names.names.push(format!("{name}.{quantity}"));
        }
    }

    /// Appends one value per declared series, over the `interval` ending `now`.
    pub(super) fn sample_series(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push(self.m.visible.interval_mean(now));
        out.push(self.m.in_flight.interval_mean(now));
        out.push(self.oldest_age(now));
        out.push(self.m.sent.take_interval() as f64 / secs);
        out.push(self.m.deleted.take_interval() as f64 / secs);
        out.push(self.m.empty_receives.take_interval() as f64 / secs);
        out.push(self.m.redeliveries.take_interval() as f64 / secs);
        self.dead_lettered_total += self.m.dead_lettered.take_interval();
        out.push(self.dead_lettered_total as f64);
    }

    /// Reports the run's metrics.
    pub(super) fn report(&mut self, now: SimTime, out: &mut MetricSet) {
        self.oldest_age(now);
        let name = self.name.clone();
        let in_queue = self.store.unique() as f64;
        let visible_now = self.store.visible as f64;
        let in_flight_now = self.store.in_flight as f64;
        let m = &mut self.m;
        let measured = (now - m.measure_start).as_secs_f64();
        let rate = |count: u64| if measured > 0.0 { count as f64 / measured } else { 0.0 };
        out.latency(format!("{name}.end_to_end"), &mut m.end_to_end);
        out.latency(format!("{name}.queue_wait"), &mut m.queue_wait);
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, rate(m.deleted.total()));
        for (quantity, counter) in [
            ("sent", &m.sent),
            ("deleted", &m.deleted),
            ("receives", &m.receives),
            ("empty_receives", &m.empty_receives),
            ("delivered", &m.delivered),
            ("redeliveries", &m.redeliveries),
            ("duplicates", &m.duplicates),
            ("late_deletes", &m.late_deletes),
            ("dead_lettered", &m.dead_lettered),
            ("expired", &m.expired),
            ("deduplicated", &m.deduplicated),
            ("throttled", &m.throttled),
            ("invalid", &m.invalid),
            ("visibility_changes", &m.visibility_changes),
            ("order_inversions", &m.order_inversions),
        ] {
            out.scalar(format!("{name}.{quantity}"), Unit::Requests, counter.total() as f64);
        }
        out.scalar(format!("{name}.api_requests"), Unit::Requests, m.api_requests);
        out.scalar(format!("{name}.in_queue"), Unit::Requests, in_queue);
        out.scalar(format!("{name}.visible_at_end"), Unit::Requests, visible_now);
        out.scalar(format!("{name}.in_flight_at_end"), Unit::Requests, in_flight_now);
        out.scalar(format!("{name}.visible"), Unit::Requests, m.visible.mean(now));
        out.scalar(format!("{name}.in_flight"), Unit::Requests, m.in_flight.mean(now));
        out.scalar(format!("{name}.oldest_age_max"), Unit::Seconds, m.oldest_age_max);
    }
}

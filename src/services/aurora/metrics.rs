//! What an Aurora cluster measures: why requests failed ([`Cause`]), latencies, event counts
//! and time-weighted gauges ([`Metrics`]), and how they are sampled into time series and
//! reported at the end of a run.

use super::{Aurora, WriterState};
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::Backlog;

/// Why a request failed at the cluster.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Cause {
    /// The address the client reached answers nothing (down, or replaced).
    InstanceDown,
    /// Lost with an instance that failed while holding it.
    CrashLost,
    /// A write reached a replica.
    ReadOnly,
    /// The writer is failing over or recovering.
    Recovering,
    /// Refused by a connection or queue bound.
    Rejected,
    /// No segment could serve a read.
    NoSegment,
}

/// Each cause with its metric label, indexed by the cause.
const CAUSES: [(Cause, &str); 6] = [
    (Cause::InstanceDown, "instance_down"),
    (Cause::CrashLost, "crash_lost"),
    (Cause::ReadOnly, "read_only"),
    (Cause::Recovering, "recovering"),
    (Cause::Rejected, "rejected"),
    (Cause::NoSegment, "no_segment"),
];

/// Everything measured.
pub(super) struct Metrics {
    pub(super) read_latency: LatencyHistogram,
    pub(super) write_latency: LatencyHistogram,
    pub(super) commit_latency: LatencyHistogram,
    pub(super) replica_lag: LatencyHistogram,
    pub(super) interval_commit: IntervalMean,
    pub(super) interval_read: IntervalMean,
    pub(super) interval_lag: IntervalMean,
    pub(super) reads_ok: Counter,
    pub(super) writes_ok: Counter,
    errors: [Counter; CAUSES.len()],
    pub(super) quorum_losses: Counter,
    pub(super) data_losses: Counter,
    pub(super) failovers: Counter,
    pub(super) restarts: Counter,
    pub(super) recreations: Counter,
    pub(super) repairs: Counter,
    pub(super) hedges: Counter,
    pub(super) cache_hits: Counter,
    pub(super) cache_misses: Counter,
    /// Time without an open writer in outages that ended (after warm-up).
    pub(super) downtime: SimDuration,
    unwritable: TimeWeighted,
    any_unwritable: TimeWeighted,
    capacity: TimeWeighted,
    writer_up: TimeWeighted,
    segments_up: TimeWeighted,
    pub(super) pending_commits: TimeWeighted,
    pub(super) measure_start: SimTime,
}

impl Metrics {
    /// Nothing measured yet; at time zero the writer is up and `segments_up` segments are.
    pub(super) fn new(segments_up: f64) -> Self {
        let mut metrics = Metrics {
            read_latency: LatencyHistogram::new(),
            write_latency: LatencyHistogram::new(),
            commit_latency: LatencyHistogram::new(),
            replica_lag: LatencyHistogram::new(),
            interval_commit: IntervalMean::default(),
            interval_read: IntervalMean::default(),
            interval_lag: IntervalMean::default(),
            reads_ok: Counter::default(),
            writes_ok: Counter::default(),
            errors: [Counter::default(); CAUSES.len()],
            quorum_losses: Counter::default(),
            data_losses: Counter::default(),
            failovers: Counter::default(),
            restarts: Counter::default(),
            recreations: Counter::default(),
            repairs: Counter::default(),
            hedges: Counter::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            downtime: SimDuration::ZERO,
            unwritable: TimeWeighted::new(),
            any_unwritable: TimeWeighted::new(),
            capacity: TimeWeighted::new(),
            writer_up: TimeWeighted::new(),
            segments_up: TimeWeighted::new(),
            pending_commits: TimeWeighted::new(),
            measure_start: SimTime::ZERO,
        };
        metrics.writer_up.set(SimTime::ZERO, 1.0);
        metrics.capacity.set(SimTime::ZERO, 1.0);
        metrics.segments_up.set(SimTime::ZERO, segments_up);
        metrics
    }

    /// Counts `n` requests failed for `cause`.
    #[inline]
    pub(super) fn error(&mut self, cause: Cause, n: u64) {
        self.errors[cause as usize].add(n);
    }

    /// The warm-up is over: forgets what was measured (the gauges keep their current values).
    pub(super) fn begin_measurement(&mut self, now: SimTime) {
        for histogram in
            [&mut self.read_latency, &mut self.write_latency, &mut self.commit_latency, &mut self.replica_lag]
        {
            histogram.reset();
        }
        for counter in self.event_counters() {
            counter.reset();
        }
        for counter in [&mut self.reads_ok, &mut self.writes_ok] {
            counter.reset();
        }
        for counter in &mut self.errors {
            counter.reset();
        }
        for gauge in [
            &mut self.unwritable,
            &mut self.any_unwritable,
            &mut self.capacity,
            &mut self.writer_up,
            &mut self.segments_up,
            &mut self.pending_commits,
        ] {
            gauge.reset(now);
        }
        self.downtime = SimDuration::ZERO;
        self.measure_start = now;
    }

    /// The counters of events that are reported only as totals.
    fn event_counters(&mut self) -> [&mut Counter; 9] {
        [
            &mut self.quorum_losses,
            &mut self.data_losses,
            &mut self.failovers,
            &mut self.restarts,
            &mut self.recreations,
            &mut self.repairs,
            &mut self.hedges,
            &mut self.cache_hits,
            &mut self.cache_misses,
        ]
    }
}

/// The cluster's own time series, in the order [`Aurora::sample_series`] writes them (the
/// writer pool's follow).
const SERIES: [&str; 9] = [
    "write_throughput",
    "read_throughput",
    "commit_latency_ms",
    "read_latency_ms",
    "segments_up",
    "groups_writable",
    "writer_up",
    "replica_lag_ms",
    "pending_commits",
];

impl Aurora {
    /// Refreshes the gauges that depend on the writer and the storage.
    pub(super) fn update_gauges(&mut self, now: SimTime) {
        let unwritable = f64::from(self.storage.unwritable);
        let groups = self.groups() as f64;
        let m = &mut self.metrics;
        m.unwritable.set(now, unwritable);
        m.any_unwritable.set(now, if unwritable > 0.0 { 1.0 } else { 0.0 });
        m.segments_up.set(now, f64::from(self.storage.segments_available));
        let open = self.state == WriterState::Up;
        m.writer_up.set(now, if open { 1.0 } else { 0.0 });
        m.capacity.set(now, if open { (groups - unwritable) / groups } else { 0.0 });
    }

    /// Names the series [`sample_series`](Self::sample_series) writes.
    pub(super) fn metric_series_names(&self, names: &mut SeriesNames) {
        for quantity in SERIES {
            names.names.push(format!("{}.{quantity}", self.name));
        }
        self.instances[0].pool.series_names(&format!("{}.writer", self.name), names);
    }

    /// Appends one value per series, averaged over the `interval` that ends now; every
    /// counter's interval restarts.
    pub(super) fn sample_series(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        let groups = self.groups() as f64;
        let m = &mut self.metrics;
        out.push(m.writes_ok.take_interval() as f64 / secs);
        out.push(m.reads_ok.take_interval() as f64 / secs);
        out.push(m.interval_commit.take());
        out.push(m.interval_read.take());
        out.push(m.segments_up.interval_mean(now));
        out.push(1.0 - m.unwritable.interval_mean(now) / groups);
        out.push(m.writer_up.interval_mean(now));
        out.push(m.interval_lag.take());
        out.push(m.pending_commits.interval_mean(now));
        m.any_unwritable.interval_mean(now);
        m.capacity.interval_mean(now);
        for counter in m.event_counters() {
            counter.take_interval();
        }
        for counter in &mut m.errors {
            counter.take_interval();
        }
        self.instances[0].pool.sample(now, interval, out);
    }

    /// The run is over: reports every measurement.
    pub(super) fn report(&mut self, now: SimTime, out: &mut MetricSet) {
        let name = &self.name;
        let groups = self.groups() as f64;
        let segments = self.storage.segments.len() as f64;
        let measured = (now - self.metrics.measure_start).as_secs_f64();
        let per_second = |count: u64| if measured > 0.0 { count as f64 / measured } else { 0.0 };
        let mut downtime = self.metrics.downtime;
        if let WriterState::Down { since } | WriterState::Recovering { since } = self.state {
            downtime += now - since.max(self.metrics.measure_start);
        }
        let m = &mut self.metrics;
        out.latency(format!("{name}.read_latency"), &mut m.read_latency);
        out.latency(format!("{name}.write_latency"), &mut m.write_latency);
        out.latency(format!("{name}.commit_latency"), &mut m.commit_latency);
        out.latency(format!("{name}.replica_lag"), &mut m.replica_lag);
        let (reads, writes) = (m.reads_ok.total(), m.writes_ok.total());
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, per_second(reads + writes));
        out.scalar(format!("{name}.read_throughput"), Unit::PerSecond, per_second(reads));
        out.scalar(format!("{name}.write_throughput"), Unit::PerSecond, per_second(writes));
        let errors: u64 = m.errors.iter().map(Counter::total).sum();
        out.scalar(format!("{name}.errors"), Unit::Requests, errors as f64);
        for (cause, label) in CAUSES {
            out.scalar(format!("{name}.errors.{label}"), Unit::Requests, m.errors[cause as usize].total() as f64);
        }
        out.scalar(format!("{name}.write_unavailability"), Unit::Fraction, m.unwritable.mean(now) / groups);
        out.scalar(format!("{name}.write_unavailability_any"), Unit::Fraction, m.any_unwritable.mean(now));
        out.scalar(format!("{name}.availability"), Unit::Fraction, m.capacity.mean(now));
        out.scalar(format!("{name}.quorum_loss_events"), Unit::Events, m.quorum_losses.total() as f64);
        out.scalar(format!("{name}.data_loss_events"), Unit::Events, m.data_losses.total() as f64);
        out.scalar(format!("{name}.failovers"), Unit::Events, m.failovers.total() as f64);
        out.scalar(format!("{name}.writer_restarts"), Unit::Events, m.restarts.total() as f64);
        out.scalar(format!("{name}.writer_recreations"), Unit::Events, m.recreations.total() as f64);
        out.scalar(format!("{name}.failover_downtime"), Unit::Seconds, downtime.as_secs_f64());
        out.scalar(format!("{name}.segment_repairs"), Unit::Events, m.repairs.total() as f64);
        out.scalar(format!("{name}.segments_available"), Unit::Fraction, m.segments_up.mean(now) / segments);
        out.scalar(format!("{name}.read_hedges"), Unit::Requests, m.hedges.total() as f64);
        let lookups = m.cache_hits.total() + m.cache_misses.total();
        let hit_ratio = if lookups > 0 { m.cache_hits.total() as f64 / lookups as f64 } else { f64::NAN };
        out.scalar(format!("{name}.cache_hit_ratio"), Unit::Fraction, hit_ratio);
        for (i, instance) in self.instances.iter_mut().enumerate() {
            let prefix = if i == 0 { format!("{name}.writer") } else { format!("{name}.replica-{i}") };
            instance.pool.finish(&prefix, now, out);
        }
    }
}

impl Aurora {
    /// What the cluster holds: its instances' queues and requests in service, writes waiting
    /// for their quorum, reads waiting for a segment, and the memory of those and of the redo
    /// kept for the replicas. No offered load: a write's path crosses the writer's pool and
    /// the storage quorum.
    pub(super) fn held(&self, now: SimTime) -> Backlog {
        let mut total = Backlog {
            held: (self.commits.len() + self.reads.len()) as u64,
            bytes: self.commits.footprint() + self.reads.footprint() + self.redo.footprint(),
            ..Backlog::default()
        };
        for instance in &self.instances {
            total = total.plus(instance.pool.backlog(now));
        }
        Backlog { offered_load: None, arrived: 0, ..total }
    }
}

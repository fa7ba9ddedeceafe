//! What the cache measures ([`Measures`]), the time series it samples and the metrics it
//! reports at the end of a run.

use super::ElastiCache;
use super::client::Class;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::{Backlog, Status};

/// The component's measurements (its nodes' pools aside).
pub(super) struct Measures {
    pub(super) reads: Counter,
    pub(super) writes: Counter,
    pub(super) hits: Counter,
    pub(super) misses: Counter,
    pub(super) cache_errors: Counter,
    pub(super) node_timeouts: Counter,
    pub(super) db_reads: Counter,
    pub(super) db_failures: Counter,
    pub(super) coalesced: Counter,
    pub(super) set_refused: Counter,
    pub(super) stale_hits: Counter,
    pub(super) failovers: Counter,
    pub(super) items_lost: Counter,
    pub(super) failed: Counter,
    hit_latency: LatencyHistogram,
    miss_latency: LatencyHistogram,
    read_latency: LatencyHistogram,
    write_latency: LatencyHistogram,
    staleness: LatencyHistogram,
    /// Misses per fetch episode that began with an expired item: episodes, sum, largest.
    herd_expired: (u64, u64, u64),
    /// The same over every episode.
    herd_all: (u64, u64, u64),
    memory: TimeWeighted,
    used: u64,
    /// Evictions counted by the stores when measurement began.
    evicted_at_start: u64,
    evicted_at_sample: u64,
    measure_start: SimTime,
}

impl Measures {
    pub(super) fn new(_shards: usize) -> Self {
        Measures {
            reads: Counter::default(),
            writes: Counter::default(),
            hits: Counter::default(),
            misses: Counter::default(),
            cache_errors: Counter::default(),
            node_timeouts: Counter::default(),
            db_reads: Counter::default(),
            db_failures: Counter::default(),
            coalesced: Counter::default(),
            set_refused: Counter::default(),
            stale_hits: Counter::default(),
            failovers: Counter::default(),
            items_lost: Counter::default(),
            failed: Counter::default(),
            hit_latency: LatencyHistogram::new(),
            miss_latency: LatencyHistogram::new(),
            read_latency: LatencyHistogram::new(),
            write_latency: LatencyHistogram::new(),
            staleness: LatencyHistogram::new(),
            herd_expired: (0, 0, 0),
            herd_all: (0, 0, 0),
            memory: TimeWeighted::new(),
            used: 0,
            evicted_at_start: 0,
            evicted_at_sample: 0,
            measure_start: SimTime::ZERO,
        }
    }

    /// A hit at `now` (ns) on an item overwritten at `overwritten` (0: not overwritten).
    pub(super) fn record_hit_freshness(&mut self, now: u64, overwritten: u64) {
        if overwritten != 0 && overwritten <= now {
            self.stale_hits.incr();
            self.staleness.record(SimDuration(now - overwritten));
        }
    }

    /// A shard's memory went from `before` to `after` bytes.
    pub(super) fn memory_changed(&mut self, now: SimTime, before: u64, after: u64) {
        if before != after {
            self.used = self.used + after - before;
            self.memory.set(now, self.used as f64);
        }
    }

    /// A fetch episode ended after `herd` misses.
    pub(super) fn record_herd(&mut self, herd: u32, expired: bool) {
        let herd = u64::from(herd);
        for tally in [Some(&mut self.herd_all), expired.then_some(&mut self.herd_expired)].into_iter().flatten() {
            tally.0 += 1;
            tally.1 += herd;
            tally.2 = tally.2.max(herd);
        }
    }

    /// An operation of `class` ended with `status` after `latency`.
    pub(super) fn record_latency(&mut self, class: Class, status: Status, latency: SimDuration) {
        if status != Status::Ok {
            self.failed.incr();
            return;
        }
        match class {
            Class::Hit => {
                self.hit_latency.record(latency);
                self.read_latency.record(latency);
            }
            Class::Miss => {
                self.miss_latency.record(latency);
                self.read_latency.record(latency);
            }
            Class::Write => self.write_latency.record(latency),
        }
    }
}

impl ElastiCache {
    fn evicted(&self) -> u64 {
        self.stores.iter().map(|store| store.evicted).sum()
    }

    fn capacity(&self) -> f64 {
        self.stores.iter().map(|store| store.capacity() as f64).sum()
    }

    /// The warm-up is over.
    pub(super) fn begin_measuring(&mut self, now: SimTime) {
        let evicted = self.evicted();
        let m = &mut self.m;
        for counter in [
            &mut m.reads,
            &mut m.writes,
            &mut m.hits,
            &mut m.misses,
            &mut m.cache_errors,
            &mut m.node_timeouts,
            &mut m.db_reads,
            &mut m.db_failures,
            &mut m.coalesced,
            &mut m.set_refused,
            &mut m.stale_hits,
            &mut m.failovers,
            &mut m.items_lost,
            &mut m.failed,
        ] {
            counter.reset();
        }
        for histogram in
            [&mut m.hit_latency, &mut m.miss_latency, &mut m.read_latency, &mut m.write_latency, &mut m.staleness]
        {
            histogram.reset();
        }
        m.herd_expired = (0, 0, 0);
        m.herd_all = (0, 0, 0);
        m.memory.reset(now);
        m.evicted_at_start = evicted;
        m.measure_start = now;
        self.db.retries.reset();
        self.db.failures.reset();
        for node in &mut self.nodes {
            node.pool.begin_measurement(now);
        }
    }

    /// Declares the series `sample_series` writes.
    pub(super) fn declare_series(&self, names: &mut SeriesNames) {
        for quantity in ["hit_ratio", "db_reads_per_s", "memory_used_mib", "evictions_per_s", "stale_read_fraction"] {
            names.names.push(format!("{}.{quantity}", self.name));
        }
    }

    /// One value per declared series over the `interval` ending `now`.
    pub(super) fn sample_series(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        let evicted = self.evicted();
        let m = &mut self.m;
        let reads = m.reads.take_interval();
        let hits = m.hits.take_interval();
        out.push(if reads == 0 { f64::NAN } else { hits as f64 / reads as f64 });
        out.push(m.db_reads.take_interval() as f64 / secs);
        out.push(m.memory.interval_mean(now) / f64::from(1u32 << 20));
        out.push(evicted.saturating_sub(m.evicted_at_sample) as f64 / secs);
        m.evicted_at_sample = evicted;
        let stale = m.stale_hits.take_interval();
        out.push(if reads == 0 { f64::NAN } else { stale as f64 / reads as f64 });
    }

    /// Reports the run's metrics.
    pub(super) fn report(&mut self, now: SimTime, out: &mut MetricSet) {
        let name = self.name.clone();
        let evicted = self.evicted();
        let capacity = self.capacity();
        let m = &mut self.m;
        let measured = (now - m.measure_start).as_secs_f64();
        let rate = |count: u64| if measured > 0.0 { count as f64 / measured } else { 0.0 };
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { f64::NAN };
        let reads = m.reads.total();
        out.scalar(format!("{name}.hit_ratio"), Unit::Fraction, ratio(m.hits.total(), reads));
        out.scalar(format!("{name}.reads"), Unit::Requests, reads as f64);
        out.scalar(format!("{name}.hits"), Unit::Requests, m.hits.total() as f64);
        out.scalar(format!("{name}.misses"), Unit::Requests, m.misses.total() as f64);
        out.scalar(format!("{name}.cache_errors"), Unit::Requests, m.cache_errors.total() as f64);
        out.scalar(format!("{name}.node_timeouts"), Unit::Requests, m.node_timeouts.total() as f64);
        out.scalar(format!("{name}.writes"), Unit::Requests, m.writes.total() as f64);
        out.scalar(format!("{name}.db_reads"), Unit::Requests, m.db_reads.total() as f64);
        out.scalar(format!("{name}.db_read_rate"), Unit::PerSecond, rate(m.db_reads.total()));
        out.scalar(format!("{name}.db_read_fraction"), Unit::Fraction, ratio(m.db_reads.total(), reads));
        out.scalar(format!("{name}.db_failures"), Unit::Requests, m.db_failures.total() as f64);
        out.scalar(format!("{name}.failed"), Unit::Requests, m.failed.total() as f64);
        out.scalar(format!("{name}.coalesced"), Unit::Requests, m.coalesced.total() as f64);
        out.latency(format!("{name}.read_latency"), &mut m.read_latency);
        out.latency(format!("{name}.hit_latency"), &mut m.hit_latency);
        out.latency(format!("{name}.miss_latency"), &mut m.miss_latency);
        out.latency(format!("{name}.write_latency"), &mut m.write_latency);
        out.scalar(format!("{name}.stale_reads"), Unit::Requests, m.stale_hits.total() as f64);
        out.scalar(format!("{name}.stale_read_fraction"), Unit::Fraction, ratio(m.stale_hits.total(), reads));
        out.latency(format!("{name}.staleness"), &mut m.staleness);
        out.scalar(format!("{name}.evictions"), Unit::Events, evicted.saturating_sub(m.evicted_at_start) as f64);
        out.scalar(format!("{name}.set_refused"), Unit::Requests, m.set_refused.total() as f64);
        out.scalar(format!("{name}.memory_used"), Unit::Fraction, m.memory.mean(now) / capacity.max(1.0));
        let (episodes, sum, max) = m.herd_expired;
        out.scalar(format!("{name}.herd_on_expiry"), Unit::Requests, ratio(sum, episodes));
        out.scalar(
            format!("{name}.herd_on_expiry_max"),
            Unit::Requests,
            if episodes > 0 { max as f64 } else { f64::NAN },
        );
        out.scalar(format!("{name}.expiry_fetches"), Unit::Events, episodes as f64);
        let (episodes, sum, max) = m.herd_all;
        out.scalar(format!("{name}.herd"), Unit::Requests, ratio(sum, episodes));
        out.scalar(format!("{name}.fetches"), Unit::Events, episodes as f64);
        out.scalar(format!("{name}.herd_max"), Unit::Requests, if episodes > 0 { max as f64 } else { f64::NAN });
        out.scalar(format!("{name}.failovers"), Unit::Events, m.failovers.total() as f64);
        out.scalar(format!("{name}.items_lost"), Unit::Requests, m.items_lost.total() as f64);
        out.scalar(format!("{name}.db_retries"), Unit::Requests, self.db.retries.total() as f64);
        let primary = self.shard_nodes[0][0];
        self.nodes[primary].pool.finish(&format!("{name}.node"), now, out);
    }

    /// What the component holds: operations in progress, fetches, the nodes' queues, the
    /// database calls in flight, and the memory of those and of the items and commit table.
    pub(super) fn held(&self, now: SimTime) -> Backlog {
        let mut total = Backlog {
            held: self.ops.len() as u64,
            bytes: self.ops.footprint()
                + self.stores.iter().map(|store| store.footprint()).sum::<u64>()
                + Backlog::bytes_of::<(u64, u64)>(self.commits.capacity())
                + Backlog::bytes_of::<(u64, super::client::Fetch)>(self.fetches.capacity()),
            ..Backlog::default()
        };
        for node in &self.nodes {
            total = total.plus(node.pool.backlog(now));
        }
        total = total.plus(self.db.backlog());
        Backlog { offered_load: None, arrived: 0, ..total }
    }
}

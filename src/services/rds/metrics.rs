//! What an RDS deployment measures ([`Measures`]), the time series it samples and the metrics
//! it reports at the end of a run.

use super::Rds;
use super::config::Deployment;
use super::replication::{KeyState, Pending};
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, IntervalMean, LatencyHistogram, MetricSet, SeriesNames, TimeWeighted, Unit};
use crate::model::Backlog;

/// The deployment's measurements (those of the instances' pools and the proxy aside).
#[derive(Default)]
pub(super) struct Measures {
    pub(super) read_latency: LatencyHistogram,
    pub(super) write_latency: LatencyHistogram,
    pub(super) commit_latency: LatencyHistogram,
    pub(super) reads_ok: Counter,
    pub(super) writes_ok: Counter,
    pub(super) too_many_connections: Counter,
    pub(super) unavailable: Counter,
    pub(super) lost: Counter,
    pub(super) stale_dns: Counter,
    pub(super) writable: TimeWeighted,
    pub(super) failovers: Counter,
    pub(super) downtime_sum: f64,
    pub(super) downtime_max: f64,
    pub(super) downtimes: u64,
    pub(super) lost_in_flight: Counter,
    pub(super) lost_commits: Counter,
    pub(super) standby_detached: Counter,
    pub(super) replica_promotions: Counter,
    pub(super) replacements: Counter,
    pub(super) restarts: Counter,
    pub(super) replica_rebuilds: Counter,
    pub(super) replica_lag: LatencyHistogram,
    pub(super) lag_interval: IntervalMean,
    pub(super) reader_reads: Counter,
    pub(super) stale_reads: Counter,
    pub(super) staleness: LatencyHistogram,
    pub(super) measure_start: SimTime,
}

impl Measures {
    /// Forgets what was measured before `now` (the end of warm-up).
    fn begin(&mut self, now: SimTime) {
        for histogram in [
            &mut self.read_latency,
            &mut self.write_latency,
            &mut self.commit_latency,
            &mut self.replica_lag,
            &mut self.staleness,
        ] {
            histogram.reset();
        }
        for counter in [
            &mut self.reads_ok,
            &mut self.writes_ok,
            &mut self.too_many_connections,
            &mut self.unavailable,
            &mut self.lost,
            &mut self.stale_dns,
            &mut self.failovers,
            &mut self.lost_in_flight,
            &mut self.lost_commits,
            &mut self.standby_detached,
            &mut self.replica_promotions,
            &mut self.replacements,
            &mut self.restarts,
            &mut self.replica_rebuilds,
            &mut self.reader_reads,
            &mut self.stale_reads,
        ] {
            counter.reset();
        }
        self.writable.reset(now);
        self.downtime_sum = 0.0;
        self.downtime_max = 0.0;
        self.downtimes = 0;
        self.measure_start = now;
    }
}

impl Rds {
    /// True if some instance serves reads routed to readers (replicas, cluster standbys).
    pub(super) fn has_readers(&self) -> bool {
        self.plan.replicas > 0 || self.plan.deployment == Deployment::MultiAzCluster
    }

    /// The warm-up is over.
    pub(super) fn begin_measuring(&mut self, now: SimTime) {
        self.m.begin(now);
        for node in &mut self.nodes {
            node.pool.begin_measurement(now);
        }
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.queue_length.reset(now);
            proxy.timeouts.reset();
            proxy.abandoned.reset();
        }
    }

    /// Declares the series [`sample_series`](Self::sample_series) writes.
    pub(super) fn declare_series(&self, names: &mut SeriesNames) {
        let name = &self.name;
        for quantity in ["writable", "write_throughput", "read_throughput"] {
            names.names.push(format!("{name}.{quantity}"));
        }
        if self.plan.replicas > 0 {
            names.names.push(format!("{name}.replica_lag_ms"));
        }
        if self.has_readers() {
            names.names.push(format!("{name}.stale_read_fraction"));
        }
        if self.proxy.is_some() {
            names.names.push(format!("{name}.proxy_queue"));
        }
    }

    /// Appends one value per declared series, over the `interval` ending `now`.
    pub(super) fn sample_series(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        let secs = interval.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push(self.m.writable.interval_mean(now));
        out.push(self.m.writes_ok.take_interval() as f64 / secs);
        out.push(self.m.reads_ok.take_interval() as f64 / secs);
        if self.plan.replicas > 0 {
            out.push(self.m.lag_interval.take());
        }
        if self.has_readers() {
            let reads = self.m.reader_reads.take_interval();
            let stale = self.m.stale_reads.take_interval();
            out.push(if reads == 0 { f64::NAN } else { stale as f64 / reads as f64 });
        }
        if let Some(proxy) = self.proxy.as_mut() {
            out.push(proxy.queue_length.interval_mean(now));
        }
    }

    /// Reports the run's metrics.
    pub(super) fn report(&mut self, now: SimTime, out: &mut MetricSet) {
        let name = self.name.clone();
        let m = &mut self.m;
        let measured = (now - m.measure_start).as_secs_f64();
        let rate = |count: u64| if measured > 0.0 { count as f64 / measured } else { 0.0 };
        out.latency(format!("{name}.read_latency"), &mut m.read_latency);
        out.latency(format!("{name}.write_latency"), &mut m.write_latency);
        out.latency(format!("{name}.commit_latency"), &mut m.commit_latency);
        out.scalar(format!("{name}.throughput"), Unit::PerSecond, rate(m.reads_ok.total() + m.writes_ok.total()));
        out.scalar(format!("{name}.write_throughput"), Unit::PerSecond, rate(m.writes_ok.total()));
        out.scalar(
            format!("{name}.errors.too_many_connections"),
            Unit::Requests,
            m.too_many_connections.total() as f64,
        );
        out.scalar(format!("{name}.errors.unavailable"), Unit::Requests, m.unavailable.total() as f64);
        if let Some(proxy) = self.proxy.as_mut() {
            out.scalar(format!("{name}.errors.proxy_timeout"), Unit::Requests, proxy.timeouts.total() as f64);
            out.scalar(format!("{name}.proxy_queue"), Unit::Requests, proxy.queue_length.mean(now));
            out.scalar(format!("{name}.proxy_abandoned"), Unit::Requests, proxy.abandoned.total() as f64);
        }
        out.scalar(format!("{name}.lost"), Unit::Requests, m.lost.total() as f64);
        out.scalar(format!("{name}.stale_dns_requests"), Unit::Requests, m.stale_dns.total() as f64);
        out.scalar(format!("{name}.availability"), Unit::Fraction, m.writable.mean(now));
        out.scalar(format!("{name}.failovers"), Unit::Events, m.failovers.total() as f64);
        let mean_downtime = if m.downtimes > 0 { m.downtime_sum / m.downtimes as f64 } else { f64::NAN };
        out.scalar(format!("{name}.failover_downtime"), Unit::Seconds, mean_downtime);
        out.scalar(
            format!("{name}.failover_downtime_max"),
            Unit::Seconds,
            if m.downtimes > 0 { m.downtime_max } else { f64::NAN },
        );
        out.scalar(format!("{name}.lost_in_flight"), Unit::Requests, m.lost_in_flight.total() as f64);
        out.scalar(format!("{name}.lost_commits"), Unit::Requests, m.lost_commits.total() as f64);
        out.scalar(format!("{name}.standby_detached"), Unit::Events, m.standby_detached.total() as f64);
        out.scalar(format!("{name}.replica_promotions"), Unit::Events, m.replica_promotions.total() as f64);
        out.scalar(format!("{name}.replacements"), Unit::Events, m.replacements.total() as f64);
        out.scalar(format!("{name}.restarts"), Unit::Events, m.restarts.total() as f64);
        if self.plan.replicas > 0 {
            out.latency(format!("{name}.replica_lag"), &mut m.replica_lag);
            out.scalar(format!("{name}.replica_rebuilds"), Unit::Events, m.replica_rebuilds.total() as f64);
        }
        if self.plan.replicas > 0 || self.plan.deployment == Deployment::MultiAzCluster {
            let reads = m.reader_reads.total();
            out.scalar(format!("{name}.reader_reads"), Unit::Requests, reads as f64);
            let fraction = if reads > 0 { m.stale_reads.total() as f64 / reads as f64 } else { f64::NAN };
            out.scalar(format!("{name}.stale_reads"), Unit::Fraction, fraction);
            out.latency(format!("{name}.staleness"), &mut m.staleness);
        }
        self.nodes[self.primary].pool.finish(&format!("{name}.primary"), now, out);
    }
}

impl Rds {
    /// What the deployment holds: its instances' connection queues and requests in service,
    /// the proxy's queue, writes waiting for a standby's acknowledgement, and the memory of
    /// those and of the binlog, the key table and the replication logs. No offered load: a
    /// request's path crosses several queues (the pools, replication, the proxy).
    pub(super) fn held(&self, now: SimTime) -> Backlog {
        let mut total = Backlog {
            held: self.pending.len() as u64,
            bytes: Backlog::bytes_of::<Pending>(self.pending.capacity())
                + Backlog::bytes_of::<SimTime>(self.binlog.capacity())
                + Backlog::bytes_of::<(u64, KeyState)>(self.keys.capacity())
                + Backlog::bytes_of::<u64>(self.crash_committed.capacity() + self.lost_lsns.capacity()),
            ..Backlog::default()
        };
        for node in &self.nodes {
            total = total.plus(node.pool.backlog(now));
            total.bytes += node.log.footprint();
        }
        if let Some(proxy) = &self.proxy {
            total = total.plus(proxy.backlog());
        }
        Backlog { offered_load: None, arrived: 0, ..total }
    }
}

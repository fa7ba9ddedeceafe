//! Each replication's own latency percentiles, kept for intervals of percentiles across
//! replications (`planning`).

use hdrhistogram::Histogram;

/// One replication's latency percentiles, in milliseconds.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ReplicationPercentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest value.
    pub max: f64,
}

impl ReplicationPercentiles {
    /// Of a histogram in nanoseconds (zero latencies, held as 1 ns, count as 0).
    pub fn of(histogram: &Histogram<u64>) -> Option<Self> {
        let ms = |nanos: u64| if nanos <= 1 { 0.0 } else { nanos as f64 / 1e6 };
        (!histogram.is_empty()).then(|| ReplicationPercentiles {
            p50: ms(histogram.value_at_quantile(0.5)),
            p90: ms(histogram.value_at_quantile(0.9)),
            p95: ms(histogram.value_at_quantile(0.95)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
        })
    }

    /// The statistic called `stat` (`p50`, `p90`, `p95`, `p99`, `p999`, `max`).
    pub fn get(&self, stat: &str) -> Option<f64> {
        Some(match stat {
            "p50" => self.p50,
            "p90" => self.p90,
            "p95" => self.p95,
            "p99" => self.p99,
            "p999" => self.p999,
            "max" => self.max,
            _ => return None,
        })
    }
}

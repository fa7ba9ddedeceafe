//! The client policy every caller shares — the `client` table of a workload, its documented
//! defaults, and the two mechanisms it configures: the backoff between attempts (full jitter:
//! the wait before attempt n+1 is uniform on [0, min(cap, base·2^(n−1))], AWS Architecture
//! Blog, "Exponential Backoff And Jitter", 2015) and each client host's DNS cache.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::model::{KindDoc, ParamDoc, SpecError};
use crate::units::Duration;

/// Default base of the exponential backoff: 100 ms. Assumption (in the range AWS SDKs use).
pub const DEFAULT_BACKOFF_BASE: SimDuration = SimDuration::from_millis(100);
/// Default cap of the backoff: 20 s, the maximum backoff of the AWS SDKs' standard retry mode
/// (AWS SDKs and Tools Reference Guide, "Retry behavior").
pub const DEFAULT_BACKOFF_CAP: SimDuration = SimDuration::from_secs(20);
/// Default DNS cache TTL: 5 s, the TTL of Aurora and RDS endpoints (Aurora User Guide,
/// "Connecting to an Aurora DB cluster"; docs/models.md). AWS recommends ≤ 60 s on clients.
pub const DEFAULT_DNS_TTL: SimDuration = SimDuration::from_secs(5);
/// Default gap between successes that counts as an outage: 5 s. Assumption; choose it well
/// above the normal gap between requests (1/rate).
pub const DEFAULT_OUTAGE_GAP: SimDuration = SimDuration::from_secs(5);

/// Most client hosts (each keeps a DNS cache).
pub const MAX_HOSTS: u32 = 1_000_000;

/// The `client` table of a workload.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Time to wait for each attempt's reply; None = wait forever.
    pub timeout: Option<Duration>,
    /// Attempts per request, the first included (1 = no retries).
    #[serde(default = "default_attempts")]
    pub max_attempts: u16,
    /// Base of the exponential backoff.
    #[serde(default = "default_backoff")]
    pub backoff: Duration,
    /// Largest backoff.
    #[serde(default = "default_backoff_cap")]
    pub backoff_cap: Duration,
    /// How long a resolved DNS name is kept.
    #[serde(default = "default_dns_ttl")]
    pub dns_ttl: Duration,
    /// Client hosts, each with its own DNS cache (requests are spread over them).
    #[serde(default = "default_hosts")]
    pub hosts: u32,
    /// A gap between successful replies longer than this, in which an attempt failed,
    /// counts as an outage.
    #[serde(default = "default_outage_gap")]
    pub outage_gap: Duration,
    /// A timed-out attempt closes its connection, so servers drop it if it has not started
    /// (true, what real clients do); false keeps it queued (every abandoned attempt is still
    /// served, the way to show a retry storm that outlives its cause).
    #[serde(default = "default_cancel_on_timeout")]
    pub cancel_on_timeout: bool,
}

fn default_attempts() -> u16 {
    1
}
fn default_backoff() -> Duration {
    Duration(DEFAULT_BACKOFF_BASE)
}
fn default_backoff_cap() -> Duration {
    Duration(DEFAULT_BACKOFF_CAP)
}
fn default_dns_ttl() -> Duration {
    Duration(DEFAULT_DNS_TTL)
}
fn default_hosts() -> u32 {
    1
}
fn default_outage_gap() -> Duration {
    Duration(DEFAULT_OUTAGE_GAP)
}
fn default_cancel_on_timeout() -> bool {
    true
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: None,
            max_attempts: default_attempts(),
            backoff: default_backoff(),
            backoff_cap: default_backoff_cap(),
            dns_ttl: default_dns_ttl(),
            hosts: default_hosts(),
            outage_gap: default_outage_gap(),
            cancel_on_timeout: default_cancel_on_timeout(),
        }
    }
}

/// `stratus describe client`.
pub const CLIENT_DOC: KindDoc = KindDoc {
    kind: "client",
    summary: "The `client` table of a workload: the retry policy every caller shares. Each \
              attempt waits `timeout`; failed attempts (timeout, unavailable, throttled, \
              rejected) are retried up to `max_attempts` with full-jitter exponential backoff; \
              DNS answers are cached for `dns_ttl` per host.",
    params: &[
        ParamDoc {
            name: "timeout",
            default: "none (wait forever)",
            unit: "duration",
            meaning: "time to wait for each attempt; without one, requests lost to faults are never answered (counted as `unanswered`; a closed-loop client stays blocked), so give one in scenarios with faults",
            source: "-",
        },
        ParamDoc {
            name: "max_attempts",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "attempts per request, the first included",
            source: "-",
        },
        ParamDoc {
            name: "backoff",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "base b: wait before attempt n+1 is uniform on [0, min(cap, b*2^(n-1))]",
            source: "assumption; full jitter per AWS Architecture Blog, Exponential Backoff And Jitter (2015)",
        },
        ParamDoc {
            name: "backoff_cap",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "largest backoff",
            source: "AWS SDKs standard retry mode (max backoff 20 s)",
        },
        ParamDoc {
            name: "dns_ttl",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "how long a client keeps a resolved address",
            source: "Aurora/RDS endpoint TTL 5 s (AUG); AWS recommends <= 60 s on clients",
        },
        ParamDoc {
            name: "hosts",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "client hosts, each with its own DNS cache",
            source: "-",
        },
        ParamDoc {
            name: "outage_gap",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "a gap between successes longer than this, in which an attempt failed, counts as an outage",
            source: "assumption",
        },
        ParamDoc {
            name: "cancel_on_timeout",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "a timed-out attempt closes its connection: a server drops it if it has not started (queued statements, RDS Proxy's borrow queue; counted as `abandoned`), one already executing finishes and its reply is discarded. false: abandoned attempts are still served (retry storms that outlive their cause)",
            source: "client behaviour (a closed TCP connection cancels its pending statement)",
        },
    ],
    metrics: &[
        "<workload>.retries (requests): attempts after the first",
        "<workload>.errors.<cause> (requests): requests that failed after their last attempt, by cause (timeout, unavailable, throttled, rejected)",
        "<workload>.success_ratio (fraction): successful / finished requests",
        "<workload>.downtime (s): total length of outages: gaps between successes, longer than outage_gap, in which an attempt failed (a quiet gap at low load is no outage)",
        "<workload>.outages (events): number of such gaps",
        "<workload>.read_longest_outage, .write_longest_outage (s): the longest outage of reads and of writes alone (workloads with both)",
        "<workload>.worst_host_outage (s): the longest outage one client host saw (workloads with several hosts)",
        "<workload>.longest_outage (s): the longest such gap",
    ],
};

/// A checked client policy.
#[derive(Clone, Debug)]
pub struct ClientPolicy {
    /// Per-attempt timeout.
    pub timeout: Option<SimDuration>,
    /// Attempts per request.
    pub max_attempts: u16,
    backoff: SimDuration,
    backoff_cap: SimDuration,
    dns_ttl: SimDuration,
    /// Client hosts.
    pub hosts: u32,
    /// Outage threshold.
    pub outage_gap: SimDuration,
    /// Timed-out attempts close their connection (servers drop them if not started).
    pub cancel_on_timeout: bool,
}

impl ClientConfig {
    /// Checks the values.
    pub fn build(&self) -> Result<ClientPolicy, SpecError> {
        if self.max_attempts == 0 {
            return Err(SpecError::new("max_attempts", "at least 1 attempt is needed"));
        }
        if self.timeout.is_some_and(|t| t.get() == SimDuration::ZERO) {
            return Err(SpecError::new("timeout", "the timeout must be longer than 0 (leave it out to wait forever)"));
        }
        if self.backoff_cap < self.backoff {
            return Err(SpecError::new(
                "backoff_cap",
                format!("`backoff_cap` ({}) must be at least `backoff` ({})", self.backoff_cap, self.backoff),
            ));
        }
        if self.hosts == 0 || self.hosts > MAX_HOSTS {
            return Err(SpecError::new("hosts", format!("give 1 to {MAX_HOSTS} client hosts, found {}", self.hosts)));
        }
        Ok(ClientPolicy {
            timeout: self.timeout.map(Duration::get),
            max_attempts: self.max_attempts,
            backoff: self.backoff.get(),
            backoff_cap: self.backoff_cap.get(),
            dns_ttl: self.dns_ttl.get(),
            hosts: self.hosts,
            outage_gap: self.outage_gap.get(),
            cancel_on_timeout: self.cancel_on_timeout,
        })
    }
}

impl ClientPolicy {
    /// How long a resolved DNS name is kept.
    pub fn dns_ttl(&self) -> SimDuration {
        self.dns_ttl
    }

    /// The wait before retrying after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u16, rng: &mut SimRng) -> SimDuration {
        let exponent = u32::from(attempt.saturating_sub(1)).min(62);
        let ceiling = self.backoff.as_nanos().saturating_mul(1u64 << exponent).min(self.backoff_cap.as_nanos());
        if ceiling == 0 { SimDuration::ZERO } else { SimDuration(rng.random_range(0..=ceiling)) }
    }
}

/// One host's DNS cache: when it last resolved the name, and when that answer expires.
#[derive(Copy, Clone, Debug, Default)]
pub struct DnsCache {
    resolved_at: SimTime,
    expires: SimTime,
}

impl DnsCache {
    /// A cache that holds, at time zero, an answer resolved before the run began that expires
    /// after `phase`: the state of a host in a fleet that has been running, whose cache is at
    /// its own point of the TTL cycle. (A default cache resolves at its first lookup.)
    pub fn at_phase(phase: SimDuration) -> Self {
        DnsCache { resolved_at: SimTime::ZERO, expires: SimTime::ZERO + phase }
    }

    /// The resolution time the next request carries: the cached one while fresh, otherwise
    /// now (the name is resolved again and kept for the TTL).
    pub fn lookup(&mut self, now: SimTime, policy: &ClientPolicy) -> SimTime {
        if now < self.expires {
            return self.resolved_at;
        }
        self.resolved_at = now;
        self.expires = now + policy.dns_ttl;
        now
    }
}

//! The `[[component]] kind = "sns"` table: parameters, documented defaults with their
//! sources, the filter-policy model, validation, and the checked [`SnsPlan`].
//!
//! Sources (docs/models.md, section "SNS"): SNSDG retries = Amazon SNS Developer Guide,
//! "Amazon SNS message delivery retries"
//! (<https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html>); SNSDG
//! filtering = "Amazon SNS message filtering"; SNS quotas = AWS General Reference, "Amazon
//! Simple Notification Service endpoints and quotas" (<https://docs.aws.amazon.com/general/latest/gr/sns.html>).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::blocks::caller::{ClientConfig, ClientPolicy};
use crate::engine::SimDuration;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::model::kind::BuildContext;
use crate::model::{ComponentId, Op, SpecError};
use crate::units::Duration;

/// Mean delivery latency from the topic's acceptance of a message to its delivery attempt to
/// one subscriber: 20 ms, lognormal with cv 0.5 (plus the network delay to the subscriber).
/// Assumption: AWS publishes no figure for SNS → SQS delivery.
pub const DEFAULT_DELIVERY_LATENCY_SECS: f64 = 0.020;
/// Coefficient of variation of the default delivery latency (assumption).
pub const DELIVERY_LATENCY_CV: f64 = 0.5;
/// Wait for a subscriber's answer before an attempt counts as failed: 15 s. Assumption (AWS
/// publishes no per-attempt timeout for AWS-managed endpoints; 15 s is SNS's documented wait
/// for an HTTP/S endpoint's response).
pub const DEFAULT_DELIVERY_TIMEOUT: SimDuration = SimDuration::from_secs(15);
/// Smallest backoff between retries: 1 s, SNSDG retries (AWS-managed endpoints: "2 times, 1
/// second apart", then "exponential backoff, from 1 second to 20 seconds").
pub const DEFAULT_DELIVERY_BACKOFF: SimDuration = SimDuration::from_secs(1);
/// Largest backoff between retries: 20 s (SNSDG retries: backoff up to 20 s, then
/// "100,000 times, 20 seconds apart").
pub const DEFAULT_DELIVERY_BACKOFF_CAP: SimDuration = SimDuration::from_secs(20);
/// Delivery attempts per message and subscriber: 65,535, the most the shared caller counts
/// (SNSDG retries: 100,015 attempts over 23 days for AWS-managed endpoints; with the full-jitter
/// waits here, mean ≤ 10 s at the cap, 65,535 attempts span about a week — both far beyond
/// any simulated outage).
pub const DEFAULT_DELIVERY_ATTEMPTS: u16 = u16::MAX;

/// Which messages a subscriber receives: SNS filter policies match message attributes, which
/// the simulator does not model; the message's key (the workload's key popularity) stands for
/// one numeric attribute. A policy lists conditions that must all hold (SNS: every attribute
/// in a policy must match): `keys` (numeric exact match: the key is one of these), `key_below`
/// / `key_at_least` (numeric range: key < N, key ≥ N) and `key_modulo` with `remainders`
/// (key mod m is one of these: an attribute with m equally frequent values, r of them
/// matching). Under uniform keys over 0..n the share matched is known in advance: |keys|/n,
/// N/n, r/m.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// The key is one of these.
    pub keys: Option<Vec<u64>>,
    /// The key is below this.
    pub key_below: Option<u64>,
    /// The key is at least this.
    pub key_at_least: Option<u64>,
    /// With `remainders`: the key modulo this is one of the remainders.
    pub key_modulo: Option<u64>,
    /// The remainders `key_modulo` matches.
    pub remainders: Option<Vec<u64>>,
}

/// A checked filter policy (see [`FilterConfig`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Sorted keys matched exactly (empty: no such condition).
    keys: Vec<u64>,
    below: Option<u64>,
    at_least: Option<u64>,
    /// (modulus, sorted remainders).
    modulo: Option<(u64, Vec<u64>)>,
}

impl Filter {
    /// True if a message with `key` passes the policy.
    #[inline]
    pub fn accepts(&self, key: u64) -> bool {
        (self.keys.is_empty() || self.keys.binary_search(&key).is_ok())
            && self.below.is_none_or(|below| key < below)
            && self.at_least.is_none_or(|at_least| key >= at_least)
            && self.modulo.as_ref().is_none_or(|(m, remainders)| remainders.binary_search(&(key % m)).is_ok())
    }
}

impl FilterConfig {
    /// Checks the policy.
    pub fn build(&self) -> Result<Filter, SpecError> {
        let mut filter = Filter { below: self.key_below, at_least: self.key_at_least, ..Filter::default() };
        if let Some(keys) = &self.keys {
            if keys.is_empty() {
                return Err(SpecError::new(
                    "keys",
                    "an empty `keys` list matches nothing; leave it out to match any key",
                ));
            }
            filter.keys = keys.clone();
            filter.keys.sort_unstable();
            filter.keys.dedup();
        }
        if let (Some(below), Some(at_least)) = (self.key_below, self.key_at_least)
            && at_least >= below
        {
            return Err(SpecError::new(
                "key_below",
                format!("no key is at least {at_least} and below {below}: the policy matches nothing"),
            ));
        }
        match (self.key_modulo, &self.remainders) {
            (None, None) => {}
            (Some(0), _) => return Err(SpecError::new("key_modulo", "`key_modulo` must be at least 1")),
            (Some(m), Some(remainders)) => {
                if remainders.is_empty() {
                    return Err(SpecError::new("remainders", "give at least one remainder"));
                }
                if let Some(r) = remainders.iter().find(|&&r| r >= m) {
                    return Err(SpecError::new("remainders", format!("remainder {r} is not below `key_modulo` ({m})")));
                }
                let mut remainders = remainders.clone();
                remainders.sort_unstable();
                remainders.dedup();
                filter.modulo = Some((m, remainders));
            }
            (Some(_), None) => {
                return Err(SpecError::new("key_modulo", "`key_modulo` needs `remainders` (the values that match)"));
            }
            (None, Some(_)) => {
                return Err(SpecError::new("remainders", "`remainders` needs `key_modulo`"));
            }
        }
        if filter == Filter::default() {
            return Err(SpecError::new(
                "",
                "a filter policy needs a condition: `keys`, `key_below`, `key_at_least` or `key_modulo` with `remainders`",
            ));
        }
        Ok(filter)
    }
}

/// How SNS retries a delivery: the shared caller's policy with SNS's defaults.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Wait for each attempt's answer.
    #[serde(default = "default_delivery_timeout")]
    pub timeout: Duration,
    /// Attempts per message and subscriber, the first included.
    #[serde(default = "default_delivery_attempts")]
    pub max_attempts: u16,
    /// Base of the backoff between attempts.
    #[serde(default = "default_delivery_backoff")]
    pub backoff: Duration,
    /// Largest backoff.
    #[serde(default = "default_delivery_backoff_cap")]
    pub backoff_cap: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: default_delivery_timeout(),
            max_attempts: default_delivery_attempts(),
            backoff: default_delivery_backoff(),
            backoff_cap: default_delivery_backoff_cap(),
        }
    }
}

fn default_delivery_timeout() -> Duration {
    Duration(DEFAULT_DELIVERY_TIMEOUT)
}
fn default_delivery_attempts() -> u16 {
    DEFAULT_DELIVERY_ATTEMPTS
}
fn default_delivery_backoff() -> Duration {
    Duration(DEFAULT_DELIVERY_BACKOFF)
}
fn default_delivery_backoff_cap() -> Duration {
    Duration(DEFAULT_DELIVERY_BACKOFF_CAP)
}
fn default_delivery_latency() -> DistSpec<Seconds> {
    DistSpec::lognormal(DEFAULT_DELIVERY_LATENCY_SECS, DELIVERY_LATENCY_CV)
}

impl DeliveryConfig {
    /// The caller's policy.
    pub fn build(&self) -> Result<ClientPolicy, SpecError> {
        ClientConfig {
            timeout: Some(self.timeout),
            max_attempts: self.max_attempts,
            backoff: self.backoff,
            backoff_cap: self.backoff_cap,
            ..ClientConfig::default()
        }
        .build()
    }
}

/// The parameters of an `sns` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SnsConfig {
    /// Components subscribed to the topic; each gets every message its filter accepts.
    pub subscribers: Vec<String>,
    /// Filter policies by subscriber name (subscribers without one get every message).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filters: BTreeMap<String, FilterConfig>,
    /// Delivery protocol by subscriber name: `sqs` (the default: a `send` of the message) or
    /// `lambda` (an `invoke` of one record).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub protocols: BTreeMap<String, String>,
    /// Publishes accepted per second (a token bucket with a one-second burst); None: no limit.
    pub publish_rate: Option<f64>,
    /// Time from acceptance to the delivery attempt to a subscriber (before the network).
    #[serde(default = "default_delivery_latency")]
    pub delivery_latency: DistSpec<Seconds>,
    /// Retries of deliveries (SNS's policy for AWS-managed endpoints).
    #[serde(default)]
    pub delivery: DeliveryConfig,
}

/// One subscriber, checked.
#[derive(Clone, Debug)]
pub struct Subscriber {
    /// Its component name.
    pub name: String,
    /// Its id.
    pub id: ComponentId,
    /// Its filter policy, if any.
    pub filter: Option<Filter>,
    /// The operation a delivery is: `Send` (sqs) or `Invoke` (lambda).
    pub op: Op,
}

/// The checked parameters of an `sns` component.
#[derive(Clone, Debug)]
pub struct SnsPlan {
    /// The subscribers, in the order given.
    pub subscribers: Vec<Subscriber>,
    /// Publish limit per second.
    pub publish_rate: Option<f64>,
    /// Delivery latency.
    pub delivery_latency: Dist,
    /// Delivery retry policy.
    pub delivery: ClientPolicy,
}

/// Most subscribers one topic may have here: 1,000 (SNS allows 12,500,000 per standard
/// topic, SNS quotas; more than a thousand components is surely a mistake in a scenario).
pub const MAX_SUBSCRIBERS: usize = 1000;

impl SnsConfig {
    /// Checks every parameter and builds the plan.
    pub fn plan(&self, context: &BuildContext<'_>) -> Result<SnsPlan, SpecError> {
        if self.subscribers.is_empty() {
            return Err(SpecError::new("subscribers", "a topic needs at least one subscriber"));
        }
        if self.subscribers.len() > MAX_SUBSCRIBERS {
            return Err(SpecError::new(
                "subscribers",
                format!("at most {MAX_SUBSCRIBERS} subscribers, found {}", self.subscribers.len()),
            ));
        }
        let mut subscribers = Vec::with_capacity(self.subscribers.len());
        for name in &self.subscribers {
            if subscribers.iter().any(|s: &Subscriber| &s.name == name) {
                return Err(SpecError::new("subscribers", format!("`{name}` is subscribed twice")));
            }
            let id = (context.resolve)(name)
                .ok_or_else(|| SpecError::new("subscribers", format!("no component is called `{name}`")))?;
            let filter = match self.filters.get(name) {
                Some(filter) => Some(filter.build().map_err(|e| e.within(&format!("filters.{name}")))?),
                None => None,
            };
            let op = match self.protocols.get(name).map(String::as_str) {
                None | Some("sqs") => Op::Send,
                Some("lambda") => Op::Invoke,
                Some(other) => {
                    return Err(SpecError::new(
                        format!("protocols.{name}"),
                        format!("unknown protocol `{other}`, expected `sqs` or `lambda`"),
                    ));
                }
            };
            subscribers.push(Subscriber { name: name.clone(), id, filter, op });
        }
        if let Some(name) = self.protocols.keys().find(|name| !self.subscribers.contains(name)) {
            return Err(SpecError::new(
                format!("protocols.{name}"),
                format!(
                    "`{name}` is not a subscriber of this topic{}",
                    crate::model::did_you_mean(name, self.subscribers.iter().map(String::as_str))
                ),
            ));
        }
        if let Some(name) = self.filters.keys().find(|name| !self.subscribers.contains(name)) {
            return Err(SpecError::new(
                format!("filters.{name}"),
                format!(
                    "`{name}` is not a subscriber of this topic{}",
                    crate::model::did_you_mean(name, self.subscribers.iter().map(String::as_str))
                ),
            ));
        }
        if let Some(rate) = self.publish_rate
            && !(rate > 0.0 && rate.is_finite())
        {
            return Err(SpecError::new("publish_rate", format!("a rate above 0 per second, found {rate}")));
        }
        Ok(SnsPlan {
            subscribers,
            publish_rate: self.publish_rate,
            delivery_latency: self.delivery_latency.build().map_err(|e| e.within("delivery_latency"))?,
            delivery: self.delivery.build().map_err(|e| e.within("delivery"))?,
        })
    }
}

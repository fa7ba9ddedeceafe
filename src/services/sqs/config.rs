//! The `kind = "sqs"` and `kind = "sqs_consumer"` tables: parameters, documented defaults with
//! their sources, validation, and the checked plans the components are built from.
//!
//! Every default names its source (docs/models.md, section "SQS"); where AWS publishes no
//! number the default is marked an assumption, here and in `stratus describe`.

use serde::{Deserialize, Serialize};

use super::protocol::MAX_BATCH;
use crate::blocks::caller::{ClientConfig, ClientPolicy};
use crate::engine::SimDuration;
use crate::model::SpecError;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::units::{ByteSize, Duration};

/// Default visibility timeout: 30 s (SQSDG, visibility timeout).
pub const DEFAULT_VISIBILITY_TIMEOUT: SimDuration = SimDuration::from_secs(30);
/// Longest visibility timeout: 12 h (SQSDG, visibility timeout).
pub const MAX_VISIBILITY_TIMEOUT: SimDuration = SimDuration::from_secs(12 * 3600);
/// Default retention period: 4 days (SQSDG, quotas).
pub const DEFAULT_RETENTION: SimDuration = SimDuration::from_secs(4 * 86_400);
/// Shortest retention period: 60 s (SQSDG, quotas).
pub const MIN_RETENTION: SimDuration = SimDuration::from_secs(60);
/// Longest retention period: 14 days (SQSDG, quotas).
pub const MAX_RETENTION: SimDuration = SimDuration::from_secs(14 * 86_400);
/// Longest delivery delay: 900 s (SQS API, DelaySeconds).
pub const MAX_DELAY: SimDuration = SimDuration::from_secs(900);
/// Largest message: 1 MiB (SQS API; raised from 256 KiB in 2025).
pub const MAX_MESSAGE_SIZE: u64 = 1 << 20;
/// In-flight messages per queue: 120,000 (SQSDG, quotas).
pub const DEFAULT_IN_FLIGHT_LIMIT: u32 = 120_000;
/// maxReceiveCount range of a redrive policy: 1–1,000 (SQSDG, dead-letter queues).
pub const MAX_RECEIVE_COUNT: u32 = 1000;
/// FIFO API calls per second per action: 300 (SQSDG, quotas).
pub const FIFO_API_RATE: f64 = 300.0;
/// FIFO messages per second with batching: 3,000 (SQSDG, quotas).
pub const FIFO_MESSAGE_RATE: f64 = 3000.0;
/// High-throughput FIFO API calls per second per action: 70,000, the largest regions'
/// figure (SQSDG, high throughput for FIFO queues).
pub const HIGH_THROUGHPUT_API_RATE: f64 = 70_000.0;
/// FIFO deduplication window: 5 minutes (SQSDG, exactly-once processing).
pub const DEDUP_WINDOW: SimDuration = SimDuration::from_secs(300);
/// Storage servers a standard queue's messages are spread over: 8. Assumption: AWS says
/// only that messages are stored redundantly on several servers.
pub const DEFAULT_SERVERS: u32 = 8;
/// Share of the servers a short poll samples: 0.25. Assumption: AWS says only "a subset of
/// its servers (based on a weighted random distribution)" (SQSDG, short and long polling).
pub const DEFAULT_SHORT_POLL_FRACTION: f64 = 0.25;
/// Message groups of a FIFO queue (the group is the message key modulo this): 16.
/// Assumption; set it to the number of ordering domains of the application.
pub const DEFAULT_MESSAGE_GROUPS: u32 = 16;

/// A queue's redrive policy: after `max_receive_count` receives a message moves to the
/// dead-letter queue (counted and kept there, not consumed).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// Receives before a message moves to the dead-letter queue (1–1,000).
    pub max_receive_count: u32,
}

/// The parameters of an `sqs` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SqsConfig {
    /// A FIFO queue (ordered message groups, exactly-once within the dedup window).
    #[serde(default)]
    pub fifo: bool,
    /// High-throughput FIFO mode.
    #[serde(default)]
    pub high_throughput: bool,
    /// How long a received message stays invisible.
    #[serde(default = "default_visibility")]
    pub visibility_timeout: Duration,
    /// How long a message is kept before it expires.
    #[serde(default = "default_retention")]
    pub retention: Duration,
    /// Delivery delay of every message (DelaySeconds).
    #[serde(default)]
    pub delay: Duration,
    /// Largest message accepted.
    #[serde(default = "default_max_message_size")]
    pub max_message_size: ByteSize,
    /// Redrive policy (none: messages are received until they expire).
    pub dead_letter: Option<DeadLetterConfig>,
    /// Most messages in flight (received, not deleted).
    #[serde(default = "default_in_flight_limit")]
    pub in_flight_limit: u32,
    /// Storage servers messages are spread over (standard queues).
    #[serde(default = "default_servers")]
    pub servers: u32,
    /// Share of the servers a short poll samples (standard queues).
    #[serde(default = "default_short_poll_fraction")]
    pub short_poll_fraction: f64,
    /// Probability that a delete misses a copy of the message, which is delivered again
    /// (standard queues' at-least-once delivery).
    #[serde(default)]
    pub duplicate_probability: f64,
    /// FIFO message groups (group = key mod groups).
    #[serde(default = "default_message_groups")]
    pub message_groups: u32,
    /// Messages per SendMessageBatch the producers send (1 = SendMessage).
    #[serde(default = "default_send_batch")]
    pub send_batch: u32,
    /// FIFO API calls per second per action (default 300, or 70,000 in high throughput).
    pub api_rate: Option<f64>,
    /// FIFO messages per second (default 10 × the API rate: 3,000, or 700,000).
    pub message_rate: Option<f64>,
    /// Keys whose messages fail every processing attempt.
    #[serde(default)]
    pub poison_keys: Vec<u64>,
}

fn default_visibility() -> Duration {
    Duration(DEFAULT_VISIBILITY_TIMEOUT)
}
fn default_retention() -> Duration {
    Duration(DEFAULT_RETENTION)
}
fn default_max_message_size() -> ByteSize {
    ByteSize(MAX_MESSAGE_SIZE)
}
fn default_in_flight_limit() -> u32 {
    DEFAULT_IN_FLIGHT_LIMIT
}
fn default_servers() -> u32 {
    DEFAULT_SERVERS
}
fn default_short_poll_fraction() -> f64 {
    DEFAULT_SHORT_POLL_FRACTION
}
fn default_message_groups() -> u32 {
    DEFAULT_MESSAGE_GROUPS
}
fn default_send_batch() -> u32 {
    1
}

impl Default for SqsConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

/// The checked parameters of a queue.
#[derive(Clone, Debug)]
pub struct SqsPlan {
    /// FIFO queue.
    pub fifo: bool,
    /// Visibility timeout.
    pub visibility: SimDuration,
    /// Retention period.
    pub retention: SimDuration,
    /// Delivery delay.
    pub delay: SimDuration,
    /// Largest message in bytes.
    pub max_size: u64,
    /// maxReceiveCount, if there is a dead-letter queue.
    pub max_receives: Option<u32>,
    /// In-flight limit.
    pub in_flight_limit: u32,
    /// Storage servers (1 for FIFO queues).
    pub servers: u32,
    /// Servers a short poll samples.
    pub short_poll_servers: u32,
    /// Duplicate probability per delete.
    pub duplicate_probability: f64,
    /// FIFO message groups.
    pub groups: u32,
    /// API calls each sent message costs (1 / send_batch).
    pub send_cost: f64,
    /// FIFO (API calls/s per action, messages/s); None for a standard queue.
    pub fifo_limits: Option<(f64, f64)>,
    /// Poisoned keys, sorted.
    pub poison_keys: Vec<u64>,
}

fn positive_rate(field: &str, value: f64) -> Result<f64, SpecError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(SpecError::new(field, format!("give a positive number per second, found {value}")))
    }
}

impl SqsConfig {
    /// Checks every parameter and builds the plan.
    pub fn plan(&self) -> Result<SqsPlan, SpecError> {
        let visibility = self.visibility_timeout.get();
        if visibility > MAX_VISIBILITY_TIMEOUT {
            return Err(SpecError::new(
                "visibility_timeout",
                format!("the visibility timeout is at most 12h, found {}", self.visibility_timeout),
            ));
        }
        let retention = self.retention.get();
        if !(MIN_RETENTION..=MAX_RETENTION).contains(&retention) {
            return Err(SpecError::new(
                "retention",
                format!("the retention period is 60s to 14d, found {}", self.retention),
            ));
        }
        if self.delay.get() > MAX_DELAY {
            return Err(SpecError::new("delay", format!("the delay is 0 to 900s, found {}", self.delay)));
        }
        if self.max_message_size.0 == 0 || self.max_message_size.0 > MAX_MESSAGE_SIZE {
            return Err(SpecError::new(
                "max_message_size",
                format!("SQS messages are 1 byte to 1 MiB, found {} bytes", self.max_message_size.0),
            ));
        }
        let max_receives = match &self.dead_letter {
            Some(dlq) if !(1..=MAX_RECEIVE_COUNT).contains(&dlq.max_receive_count) => {
                return Err(SpecError::new(
                    "dead_letter.max_receive_count",
                    format!("maxReceiveCount is 1 to {MAX_RECEIVE_COUNT}, found {}", dlq.max_receive_count),
                ));
            }
            Some(dlq) => Some(dlq.max_receive_count),
            None => None,
        };
        if self.in_flight_limit == 0 {
            return Err(SpecError::new("in_flight_limit", "at least 1 message must be allowed in flight"));
        }
        if !(1..=1024).contains(&self.servers) {
            return Err(SpecError::new("servers", format!("give 1 to 1024 servers, found {}", self.servers)));
        }
        if !(self.short_poll_fraction > 0.0 && self.short_poll_fraction <= 1.0) {
            return Err(SpecError::new(
                "short_poll_fraction",
                format!("a share of the servers, in (0, 1], found {}", self.short_poll_fraction),
            ));
        }
        if !(0.0..1.0).contains(&self.duplicate_probability) {
            return Err(SpecError::new(
                "duplicate_probability",
                format!("a probability in [0, 1), found {}", self.duplicate_probability),
            ));
        }
        if self.fifo && self.duplicate_probability > 0.0 {
            return Err(SpecError::new(
                "duplicate_probability",
                "FIFO queues deliver exactly once: a duplicate probability applies to standard queues only",
            ));
        }
        if !(1..=1_000_000).contains(&self.message_groups) {
            return Err(SpecError::new(
                "message_groups",
                format!("give 1 to 1,000,000 message groups, found {}", self.message_groups),
            ));
        }
        if !(1..=MAX_BATCH as u32).contains(&self.send_batch) {
            return Err(SpecError::new(
                "send_batch",
                format!("a SendMessageBatch holds 1 to 10 messages, found {}", self.send_batch),
            ));
        }
        if !self.fifo {
            for (field, given) in [
                ("high_throughput", self.high_throughput),
                ("api_rate", self.api_rate.is_some()),
                ("message_rate", self.message_rate.is_some()),
            ] {
                if given {
                    return Err(SpecError::new(
                        field,
                        format!("`{field}` applies to FIFO queues only (set `fifo = true`)"),
                    ));
                }
            }
        }
        let fifo_limits = if self.fifo {
            let default_api = if self.high_throughput { HIGH_THROUGHPUT_API_RATE } else { FIFO_API_RATE };
            let api = positive_rate("api_rate", self.api_rate.unwrap_or(default_api))?;
            let default_messages = if self.high_throughput { 10.0 * api } else { FIFO_MESSAGE_RATE };
            let messages = positive_rate("message_rate", self.message_rate.unwrap_or(default_messages))?;
            Some((api, messages))
        } else {
            None
        };
        let servers = if self.fifo { 1 } else { self.servers };
        let short_poll_servers = ((f64::from(servers) * self.short_poll_fraction).round() as u32).clamp(1, servers);
        let mut poison_keys = self.poison_keys.clone();
        poison_keys.sort_unstable();
        poison_keys.dedup();
        Ok(SqsPlan {
            fifo: self.fifo,
            visibility,
            retention,
            delay: self.delay.get(),
            max_size: self.max_message_size.0,
            max_receives,
            in_flight_limit: self.in_flight_limit,
            servers,
            short_poll_servers,
            duplicate_probability: self.duplicate_probability,
            groups: if self.fifo { self.message_groups } else { 1 },
            send_cost: 1.0 / f64::from(self.send_batch),
            fifo_limits,
            poison_keys,
        })
    }
}

// ----- Consumers ---------------------------------------------------------------------------

/// Default workers of a consumer: 1. Assumption.
pub const DEFAULT_WORKERS: u32 = 1;
/// Default MaxNumberOfMessages of a worker's receive: 1 (SQS API default).
pub const DEFAULT_MAX_MESSAGES: u32 = 1;
/// Default batch size of a Lambda event source mapping for SQS: 10 (Lambda DG, SQS event
/// source mapping).
pub const DEFAULT_LAMBDA_BATCH: u32 = 10;
/// Default WaitTimeSeconds: 20 s, the longest long poll, which AWS recommends to cut empty
/// receives (SQSDG, short and long polling; the API's own default is 0).
pub const DEFAULT_WAIT: SimDuration = SimDuration::from_secs(20);
/// Longest WaitTimeSeconds: 20 s (SQS API).
pub const MAX_WAIT: SimDuration = SimDuration::from_secs(20);
/// Default pause of a worker after an empty receive: 100 ms. Assumption (a polling loop's
/// sleep); it also keeps short polls of an empty queue from spinning.
pub const DEFAULT_EMPTY_PAUSE: SimDuration = SimDuration::from_millis(100);
/// Default processing time per message: exponential, mean 10 ms. Assumption.
pub const DEFAULT_PROCESS_SECS: f64 = 0.010;
/// Lambda SQS event source mapping: 5 concurrent batches at start (Lambda DG, scaling).
pub const LAMBDA_INITIAL_CONCURRENCY: u32 = 5;
/// Lambda SQS event source mapping: up to 300 more concurrent batches per minute (Lambda DG).
pub const LAMBDA_SCALE_PER_MINUTE: u32 = 300;
/// Lambda SQS event source mapping: at most 1,000 concurrent batches (Lambda DG).
pub const LAMBDA_MAX_CONCURRENCY: u32 = 1000;
/// Most workers of a consumer (a bound on memory, not an AWS figure).
pub const MAX_WORKERS: u32 = 100_000;

/// Target tracking on the backlog per worker (an Auto Scaling group's policy on
/// ApproximateNumberOfMessagesVisible / workers).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingConfig {
    /// Visible messages per worker the policy aims at.
    pub target_backlog_per_worker: f64,
    /// Fewest workers.
    #[serde(default = "default_min_workers")]
    pub min_workers: u32,
    /// Most workers.
    pub max_workers: u32,
    /// How often the metric is read (CloudWatch's SQS metrics: every minute).
    #[serde(default = "default_scale_interval")]
    pub interval: Duration,
    /// Time from a scale-out decision to the new workers polling (instance launch).
    #[serde(default = "default_scale_delay")]
    pub delay: Duration,
    /// No scaling action within this long after the previous one.
    #[serde(default = "default_cooldown")]
    pub cooldown: Duration,
}

fn default_min_workers() -> u32 {
    1
}
/// CloudWatch publishes SQS metrics at 1-minute intervals (SQSDG, CloudWatch metrics).
fn default_scale_interval() -> Duration {
    Duration(SimDuration::from_secs(60))
}
/// Instance launch and warm-up: 120 s. Assumption (EC2 Auto Scaling's default instance
/// warm-up is 300 s; a container starts faster).
fn default_scale_delay() -> Duration {
    Duration(SimDuration::from_secs(120))
}
/// Scaling cooldown: 300 s, EC2 Auto Scaling's default cooldown (EC2 Auto Scaling UG).
fn default_cooldown() -> Duration {
    Duration(SimDuration::from_secs(300))
}

/// The parameters of an `sqs_consumer` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerConfig {
    /// The queue consumed.
    pub queue: String,
    /// `workers` (default) or `lambda`.
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Workers (workers mode, without autoscaling).
    #[serde(default = "default_workers")]
    pub workers: u32,
    /// MaxNumberOfMessages per receive (default 1; 10 in lambda mode).
    pub max_messages: Option<u32>,
    /// WaitTimeSeconds (0 = short polling).
    #[serde(default = "default_wait")]
    pub wait_time: Duration,
    /// Pause after an empty receive.
    #[serde(default = "default_empty_pause")]
    pub empty_pause: Duration,
    /// Processing time per message (workers mode).
    #[serde(default = "default_process")]
    pub process: DistSpec<Seconds>,
    /// Component called once per message after its processing time (workers mode).
    pub target: Option<String>,
    /// Operation of the call to `target`: `write` (default) or `read`.
    #[serde(default = "default_target_op")]
    pub target_op: String,
    /// Client policy of calls to `target` or `function`.
    #[serde(default)]
    pub client: ClientConfig,
    /// Client policy of calls to the queue.
    #[serde(default)]
    pub queue_client: ClientConfig,
    /// While processing, extend the batch's visibility every this long.
    pub heartbeat: Option<Duration>,
    /// The visibility timeout each extension sets (default twice the heartbeat).
    pub visibility_extension: Option<Duration>,
    /// Target tracking on backlog per worker (workers mode).
    pub autoscaling: Option<AutoscalingConfig>,
    /// The `kind = "lambda"` component invoked per batch (lambda mode).
    pub function: Option<String>,
    /// Most concurrent batches of the event source mapping (lambda mode, 2–1,000).
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
}

fn default_mode() -> String {
    "workers".into()
}
fn default_workers() -> u32 {
    DEFAULT_WORKERS
}
fn default_wait() -> Duration {
    Duration(DEFAULT_WAIT)
}
fn default_empty_pause() -> Duration {
    Duration(DEFAULT_EMPTY_PAUSE)
}
fn default_process() -> DistSpec<Seconds> {
    DistSpec::exponential(DEFAULT_PROCESS_SECS)
}
fn default_target_op() -> String {
    "write".into()
}
fn default_max_concurrency() -> u32 {
    LAMBDA_MAX_CONCURRENCY
}

/// How a consumer's workers are sized.
#[derive(Clone, Debug)]
pub enum Sizing {
    /// A fixed number of workers.
    Fixed,
    /// Target tracking.
    Autoscaled {
        /// Visible messages per worker aimed at.
        target: f64,
        /// Fewest workers.
        min: u32,
        /// Evaluation interval.
        interval: SimDuration,
        /// Launch delay.
        delay: SimDuration,
        /// Cooldown.
        cooldown: SimDuration,
    },
    /// A Lambda event source mapping (5 → +300/min → max).
    Lambda,
}

/// The checked parameters of a consumer.
#[derive(Clone, Debug)]
pub struct ConsumerPlan {
    /// Workers (pollers) at the start.
    pub initial: u32,
    /// Most workers (pollers) ever active: the fault instances `worker-0`...
    pub max: u32,
    /// How the count changes.
    pub sizing: Sizing,
    /// MaxNumberOfMessages.
    pub max_messages: u32,
    /// WaitTimeSeconds in milliseconds.
    pub wait_ms: u32,
    /// Pause after an empty receive.
    pub empty_pause: SimDuration,
    /// Processing time per message (workers mode).
    pub process: Dist,
    /// Operation of calls to the target.
    pub target_op: crate::model::Op,
    /// Policy of calls to the target or function.
    pub client: ClientPolicy,
    /// Policy of calls to the queue.
    pub queue_client: ClientPolicy,
    /// (heartbeat, extension) of ChangeMessageVisibility while processing.
    pub heartbeat: Option<(SimDuration, SimDuration)>,
}

impl ConsumerConfig {
    /// True in lambda mode.
    pub fn is_lambda(&self) -> bool {
        self.mode == "lambda"
    }

    /// Checks every parameter and builds the plan.
    pub fn plan(&self) -> Result<ConsumerPlan, SpecError> {
        let lambda = match self.mode.as_str() {
            "workers" => false,
            "lambda" => true,
            other => {
                return Err(SpecError::new("mode", format!("unknown mode `{other}`, expected `workers` or `lambda`")));
            }
        };
        let max_messages =
            self.max_messages.unwrap_or(if lambda { DEFAULT_LAMBDA_BATCH } else { DEFAULT_MAX_MESSAGES });
        if !(1..=MAX_BATCH as u32).contains(&max_messages) {
            return Err(SpecError::new(
                "max_messages",
                format!("MaxNumberOfMessages is 1 to 10, found {max_messages}"),
            ));
        }
        if self.wait_time.get() > MAX_WAIT {
            return Err(SpecError::new("wait_time", format!("WaitTimeSeconds is 0 to 20s, found {}", self.wait_time)));
        }
        let process = self.process.build().map_err(|e| e.within("process"))?;
        let target_op = match self.target_op.as_str() {
            "write" => crate::model::Op::Write,
            "read" => crate::model::Op::Read,
            other => {
                return Err(SpecError::new(
                    "target_op",
                    format!("unknown operation `{other}`, expected `write` or `read`"),
                ));
            }
        };
        let client = self.client.build().map_err(|e| e.within("client"))?;
        let queue_client = self.queue_client.build().map_err(|e| e.within("queue_client"))?;
        if let Some(timeout) = queue_client.timeout
            && timeout <= self.wait_time.get()
        {
            return Err(SpecError::new(
                "queue_client.timeout",
                format!(
                    "the timeout of calls to the queue ({}) must be longer than the long poll's wait_time ({})",
                    Duration(timeout),
                    self.wait_time
                ),
            ));
        }
        let heartbeat = match (self.heartbeat, self.visibility_extension) {
            (Some(every), extension) => {
                if every.get() == SimDuration::ZERO {
                    return Err(SpecError::new("heartbeat", "the heartbeat must be longer than 0"));
                }
                let extension = extension.map(Duration::get).unwrap_or(SimDuration(every.get().0.saturating_mul(2)));
                if extension > MAX_VISIBILITY_TIMEOUT || extension <= every.get() {
                    return Err(SpecError::new(
                        "visibility_extension",
                        "the extension must be longer than the heartbeat and at most 12h",
                    ));
                }
                Some((every.get(), extension))
            }
            (None, Some(_)) => {
                return Err(SpecError::new("visibility_extension", "`visibility_extension` needs a `heartbeat`"));
            }
            (None, None) => None,
        };
        let (initial, max, sizing) = if lambda {
            if self.function.is_none() {
                return Err(SpecError::new(
                    "function",
                    "lambda mode needs `function = \"<a kind = \\\"lambda\\\" component>\"`",
                ));
            }
            for (field, given) in [("target", self.target.is_some()), ("autoscaling", self.autoscaling.is_some())] {
                if given {
                    return Err(SpecError::new(field, format!("`{field}` applies to workers mode only")));
                }
            }
            if !(2..=LAMBDA_MAX_CONCURRENCY).contains(&self.max_concurrency) {
                return Err(SpecError::new(
                    "max_concurrency",
                    format!(
                        "the maximum concurrency of an SQS event source is 2 to 1,000, found {}",
                        self.max_concurrency
                    ),
                ));
            }
            (LAMBDA_INITIAL_CONCURRENCY.min(self.max_concurrency), self.max_concurrency, Sizing::Lambda)
        } else {
            if self.function.is_some() {
                return Err(SpecError::new(
                    "function",
                    "`function` applies to lambda mode only (set `mode = \"lambda\"`)",
                ));
            }
            match &self.autoscaling {
                None => {
                    if !(1..=MAX_WORKERS).contains(&self.workers) {
                        return Err(SpecError::new(
                            "workers",
                            format!("give 1 to {MAX_WORKERS} workers, found {}", self.workers),
                        ));
                    }
                    (self.workers, self.workers, Sizing::Fixed)
                }
                Some(a) => {
                    let within = |e: SpecError| e.within("autoscaling");
                    if !(a.target_backlog_per_worker.is_finite() && a.target_backlog_per_worker > 0.0) {
                        return Err(within(SpecError::new(
                            "target_backlog_per_worker",
                            "give a positive number of messages",
                        )));
                    }
                    if a.min_workers == 0 || a.min_workers > a.max_workers || a.max_workers > MAX_WORKERS {
                        return Err(within(SpecError::new(
                            "max_workers",
                            format!("need 1 <= min_workers <= max_workers <= {MAX_WORKERS}"),
                        )));
                    }
                    if a.interval.get() == SimDuration::ZERO {
                        return Err(within(SpecError::new("interval", "the interval must be longer than 0")));
                    }
                    let initial = self.workers.clamp(a.min_workers, a.max_workers);
                    let sizing = Sizing::Autoscaled {
                        target: a.target_backlog_per_worker,
                        min: a.min_workers,
                        interval: a.interval.get(),
                        delay: a.delay.get(),
                        cooldown: a.cooldown.get(),
                    };
                    (initial, a.max_workers, sizing)
                }
            }
        };
        Ok(ConsumerPlan {
            initial,
            max,
            sizing,
            max_messages,
            wait_ms: self.wait_time.get().as_nanos().div_ceil(1_000_000) as u32,
            empty_pause: self.empty_pause.get(),
            process,
            target_op,
            client,
            queue_client,
            heartbeat,
        })
    }
}

//! The `[[component]] kind = "kinesis"` and `kind = "kinesis_consumer"` tables: parameters,
//! documented defaults with their sources (docs/models.md, "Kinesis Data Streams"), validation,
//! and the checked plans the components are built from.

use serde::{Deserialize, Serialize};

use super::protocol::MAX_SHARD_IDS;
use crate::blocks::caller::{ClientConfig, ClientPolicy};
use crate::engine::SimDuration;
use crate::model::SpecError;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::units::{ByteSize, Duration};

/// MiB.
pub const MIB: u64 = 1 << 20;
/// Write limit per shard: 1,000 records/s (KDSDG, quotas and limits).
pub const SHARD_WRITE_RECORDS: f64 = 1000.0;
/// Write limit per shard: 1 MiB/s (KDSDG, quotas and limits).
pub const SHARD_WRITE_BYTES: u64 = MIB;
/// Shared-throughput read limit per shard: 2 MiB/s for all consumers together (KDSDG).
pub const SHARD_READ_BYTES: u64 = 2 * MIB;
/// GetRecords calls per shard: 5 per second (KDSDG).
pub const SHARD_READ_CALLS: f64 = 5.0;
/// Records per GetRecords call: at most 10,000 (KDSDG).
pub const MAX_GET_RECORDS: u32 = 10_000;
/// Bytes per GetRecords call: at most 10 MiB (KDSDG).
pub const MAX_GET_BYTES: u64 = 10 * MIB;
/// Largest record: 1 MiB by default, configurable up to 10 MiB (KDSDG).
pub const MAX_RECORD_SIZE: u64 = MIB;
/// Records per PutRecords call: at most 500 (Kinesis API, PutRecords).
pub const MAX_PUT_BATCH: u32 = 500;
/// Bytes per PutRecords call: at most 5 MiB (Kinesis API, PutRecords).
pub const MAX_PUT_BATCH_BYTES: u64 = 5 * MIB;
/// Default retention: 24 h (KDSDG, data retention; up to 365 days).
pub const DEFAULT_RETENTION: SimDuration = SimDuration::from_secs(24 * 3600);
/// Longest retention: 365 days (KDSDG).
pub const MAX_RETENTION: SimDuration = SimDuration::from_secs(365 * 24 * 3600);
/// Enhanced fan-out consumers per stream: at most 20 (KDSDG, enhanced fan-out).
pub const MAX_EFO_CONSUMERS: u32 = 20;
/// Enhanced fan-out throughput: 2 MiB/s per consumer per shard (KDSDG).
pub const EFO_BYTES: u64 = 2 * MIB;
/// Mean PutRecord service latency (until the record is durable, replied to and readable):
/// 20 ms, lognormal with cv 0.5. Assumption: AWS publishes no figure; tens of milliseconds is
/// what CloudWatch's PutRecord.Latency commonly shows.
pub const PUT_LATENCY_SECS: f64 = 0.020;
/// Mean GetRecords service latency: 20 ms, lognormal with cv 0.5. Assumption (AWS publishes
/// no figure; CloudWatch's GetRecords.Latency is commonly tens of milliseconds).
pub const GET_LATENCY_SECS: f64 = 0.020;
/// Mean delay from a record being readable to its enhanced fan-out push leaving the service:
/// 50 ms, lognormal with cv 0.3. Assumption calibrated on the one published figure: KDSDG
/// gives ~70 ms propagation with enhanced fan-out, of which the put's own latency
/// ([`PUT_LATENCY_SECS`]) is 20 ms.
pub const EFO_PUSH_SECS: f64 = 0.050;
/// Delay before UpdateShardCount takes effect: 3 minutes. The Kinesis API says "a few
/// minutes" (UpdateShardCount is asynchronous); the value is an assumption within that.
pub const RESHARD_DELAY: SimDuration = SimDuration::from_secs(180);
/// On-demand capacity of a new stream: 4 MiB/s and 4,000 records/s of writes, 8 MiB/s of
/// reads (KDSDG, on-demand mode), modelled as 4 shards.
pub const ON_DEMAND_START_SHARDS: u32 = 4;
/// How often on-demand mode looks at the traffic: every 60 s. Assumption (AWS scales
/// on-demand streams "within minutes" and does not publish the period).
pub const ON_DEMAND_PERIOD: SimDuration = SimDuration::from_secs(60);
/// KPL-style collection before a PutRecords call: RecordMaxBufferedTime = 100 ms (KPL default
/// configuration).
pub const DEFAULT_LINGER: SimDuration = SimDuration::from_millis(100);
/// Shards given their own time series: the first 16 by id. Assumption: a bound on the output.
pub const DEFAULT_SERIES_SHARDS: u32 = 16;
/// Poll interval of a shared-throughput consumer: 1 s per shard (KDSDG, "reading data with
/// low latency": poll once per second; the KCL's idleTimeBetweenReadsInMillis default is
/// 1,000 ms; faster than every 200 ms risks throttling). Lambda polls each shard once per
/// second too (Lambda Developer Guide, Kinesis event source).
pub const DEFAULT_POLL_INTERVAL: SimDuration = SimDuration::from_secs(1);
/// Records per batch of a Lambda event source mapping: 100 (BatchSize default, Lambda
/// Developer Guide).
pub const LAMBDA_BATCH_SIZE: u32 = 100;
/// Largest parallelization factor: 10 (Lambda Developer Guide).
pub const MAX_PARALLELIZATION: u32 = 10;
/// Largest maximum retry attempts: 10,000 (Lambda, MaximumRetryAttempts).
pub const MAX_RETRY_ATTEMPTS: u32 = 10_000;

/// A scheduled UpdateShardCount.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReshardConfig {
    /// When the call is made.
    pub at: Duration,
    /// The target shard count (at most double, at least half the count before).
    pub shards: u32,
}

/// The parameters of a `kinesis` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisConfig {
    /// Shards at creation (provisioned mode).
    #[serde(default = "default_shards")]
    pub shards: u32,
    /// `provisioned` or `on_demand`.
    #[serde(default = "default_capacity_mode")]
    pub capacity_mode: String,
    /// `md5` (partition keys) or `explicit` (explicit hash keys).
    #[serde(default = "default_routing")]
    pub routing: String,
    /// Write limit per shard, records per second.
    #[serde(default = "default_write_records")]
    pub shard_write_records: f64,
    /// Write limit per shard, bytes per second.
    #[serde(default = "default_write_bytes")]
    pub shard_write_bytes: ByteSize,
    /// Shared read limit per shard, bytes per second.
    #[serde(default = "default_read_bytes")]
    pub shard_read_bytes: ByteSize,
    /// GetRecords calls per shard per second.
    #[serde(default = "default_read_calls")]
    pub shard_read_calls: f64,
    /// Most records one GetRecords call returns.
    #[serde(default = "default_get_records")]
    pub max_get_records: u32,
    /// Most bytes one GetRecords call returns.
    #[serde(default = "default_get_bytes")]
    pub max_get_bytes: ByteSize,
    /// Largest record.
    #[serde(default = "default_record_size")]
    pub max_record_size: ByteSize,
    /// How long records are kept.
    #[serde(default = "default_retention")]
    pub retention: Duration,
    /// PutRecord service latency.
    #[serde(default = "default_put_latency")]
    pub put_latency: DistSpec<Seconds>,
    /// GetRecords service latency.
    #[serde(default = "default_get_latency")]
    pub get_latency: DistSpec<Seconds>,
    /// Delay from readable to pushed, enhanced fan-out.
    #[serde(default = "default_efo_push")]
    pub efo_push: DistSpec<Seconds>,
    /// Records per PutRecords call (1 = PutRecord per request).
    #[serde(default = "default_put_batch")]
    pub put_batch: u32,
    /// Longest wait to fill a PutRecords call.
    #[serde(default = "default_linger")]
    pub linger: Duration,
    /// Keys whose records fail every processing attempt.
    #[serde(default)]
    pub poison_keys: Vec<u64>,
    /// Scheduled UpdateShardCount calls.
    #[serde(default)]
    pub reshard: Vec<ReshardConfig>,
    /// Delay before a reshard takes effect.
    #[serde(default = "default_reshard_delay")]
    pub reshard_delay: Duration,
    /// Shards with their own time series (the first by id).
    #[serde(default = "default_series_shards")]
    pub series_shards: u32,
}

fn default_shards() -> u32 {
    1
}
fn default_capacity_mode() -> String {
    "provisioned".into()
}
fn default_routing() -> String {
    "md5".into()
}
fn default_write_records() -> f64 {
    SHARD_WRITE_RECORDS
}
fn default_write_bytes() -> ByteSize {
    ByteSize(SHARD_WRITE_BYTES)
}
fn default_read_bytes() -> ByteSize {
    ByteSize(SHARD_READ_BYTES)
}
fn default_read_calls() -> f64 {
    SHARD_READ_CALLS
}
fn default_get_records() -> u32 {
    MAX_GET_RECORDS
}
fn default_get_bytes() -> ByteSize {
    ByteSize(MAX_GET_BYTES)
}
fn default_record_size() -> ByteSize {
    ByteSize(MAX_RECORD_SIZE)
}
fn default_retention() -> Duration {
    Duration(DEFAULT_RETENTION)
}
fn default_put_latency() -> DistSpec<Seconds> {
    DistSpec::lognormal(PUT_LATENCY_SECS, 0.5)
}
fn default_get_latency() -> DistSpec<Seconds> {
    DistSpec::lognormal(GET_LATENCY_SECS, 0.5)
}
fn default_efo_push() -> DistSpec<Seconds> {
    DistSpec::lognormal(EFO_PUSH_SECS, 0.3)
}
fn default_put_batch() -> u32 {
    1
}
fn default_linger() -> Duration {
    Duration(DEFAULT_LINGER)
}
fn default_reshard_delay() -> Duration {
    Duration(RESHARD_DELAY)
}
fn default_series_shards() -> u32 {
    DEFAULT_SERIES_SHARDS
}

impl Default for KinesisConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

/// A checked `kinesis` configuration.
#[derive(Clone, Debug)]
pub struct StreamPlan {
    /// Shards at creation.
    pub shards: u32,
    /// On-demand capacity mode.
    pub on_demand: bool,
    /// Explicit hash keys instead of MD5 of the partition key.
    pub explicit: bool,
    /// Write records/s per shard.
    pub write_records: f64,
    /// Write bytes/s per shard.
    pub write_bytes: f64,
    /// Read bytes/s per shard.
    pub read_bytes: f64,
    /// GetRecords calls/s per shard.
    pub read_calls: f64,
    /// Records per GetRecords.
    pub max_get_records: u32,
    /// Bytes per GetRecords.
    pub max_get_bytes: u64,
    /// Largest record.
    pub max_record_size: u64,
    /// Retention.
    pub retention: SimDuration,
    /// Put latency.
    pub put_latency: Dist,
    /// Get latency.
    pub get_latency: Dist,
    /// Push delay.
    pub efo_push: Dist,
    /// Records per PutRecords call.
    pub put_batch: u32,
    /// Linger.
    pub linger: SimDuration,
    /// Poisoned keys, sorted.
    pub poison_keys: Vec<u64>,
    /// (effective time, new shard count), in order.
    pub reshards: Vec<(SimDuration, u32)>,
    /// Delay of a reshard.
    pub reshard_delay: SimDuration,
    /// Shards with series.
    pub series_shards: u32,
}

fn positive(field: &str, value: f64) -> Result<f64, SpecError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(SpecError::new(field, format!("`{field}` must be a positive number, found {value}")))
    }
}

fn max_shards_message(shards: u32) -> String {
    format!("give 1 to {} shards, found {shards}", MAX_SHARD_IDS / 2)
}

impl KinesisConfig {
    /// Distributions that may name sample files.
    pub fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        vec![
            ("put_latency".into(), &mut self.put_latency),
            ("get_latency".into(), &mut self.get_latency),
            ("efo_push".into(), &mut self.efo_push),
        ]
    }

    /// Checks the parameters.
    pub fn plan(&self) -> Result<StreamPlan, SpecError> {
        let on_demand = match self.capacity_mode.as_str() {
            "provisioned" => false,
            "on_demand" => true,
            other => {
                return Err(SpecError::new(
                    "capacity_mode",
                    format!("unknown capacity mode `{other}`, expected `provisioned` or `on_demand`"),
                ));
            }
        };
        let explicit = match self.routing.as_str() {
            "md5" => false,
            "explicit" => true,
            other => {
                return Err(SpecError::new(
                    "routing",
                    format!("unknown routing `{other}`, expected `md5` or `explicit`"),
                ));
            }
        };
        if self.shards == 0 || self.shards > MAX_SHARD_IDS / 2 {
            return Err(SpecError::new("shards", max_shards_message(self.shards)));
        }
        let max_record_size = self.max_record_size.0;
        if max_record_size == 0 || max_record_size > 10 * MIB {
            return Err(SpecError::new("max_record_size", "`max_record_size` must be 1 byte to 10 MiB (KDSDG)"));
        }
        if self.max_get_records == 0 || self.max_get_records > MAX_GET_RECORDS {
            return Err(SpecError::new("max_get_records", format!("give 1 to {MAX_GET_RECORDS} records per call")));
        }
        if self.max_get_bytes.0 < max_record_size {
            return Err(SpecError::new(
                "max_get_bytes",
                "`max_get_bytes` must hold at least one record of `max_record_size`",
            ));
        }
        let retention = self.retention.get();
        if retention < DEFAULT_RETENTION || retention > MAX_RETENTION {
            return Err(SpecError::new("retention", "`retention` must be 24 h to 365 days (KDSDG, data retention)"));
        }
        if self.put_batch == 0 || self.put_batch > MAX_PUT_BATCH {
            return Err(SpecError::new("put_batch", format!("give 1 to {MAX_PUT_BATCH} records per PutRecords call")));
        }
        if self.series_shards > 1024 {
            return Err(SpecError::new("series_shards", "at most 1024 shards get their own series"));
        }
        let mut reshards = Vec::with_capacity(self.reshard.len());
        let (mut count, mut last_at, mut ids) =
            (if on_demand { ON_DEMAND_START_SHARDS } else { self.shards }, None::<SimDuration>, self.shards);
        for (i, step) in self.reshard.iter().enumerate() {
            let field = format!("reshard[{i}]");
            if on_demand {
                return Err(SpecError::new(
                    field,
                    "on-demand streams reshard themselves; scheduled reshards need `capacity_mode = \"provisioned\"`",
                ));
            }
            if step.shards == 0 || step.shards > 2 * count || 2 * step.shards < count {
                return Err(SpecError::new(
                    format!("{field}.shards"),
                    format!(
                        "UpdateShardCount goes to at most double and at least half the current {count} shards, found {}",
                        step.shards
                    ),
                ));
            }
            if last_at.is_some_and(|last| step.at.get() < last + self.reshard_delay.get()) {
                return Err(SpecError::new(
                    format!("{field}.at"),
                    "a reshard may start only after the previous one took effect (`at` plus `reshard_delay`)",
                ));
            }
            ids += step.shards;
            if ids > MAX_SHARD_IDS {
                return Err(SpecError::new(
                    format!("{field}.shards"),
                    format!("more than {MAX_SHARD_IDS} shard ids over the run"),
                ));
            }
            count = step.shards;
            last_at = Some(step.at.get());
            reshards.push((step.at.get() + self.reshard_delay.get(), step.shards));
        }
        let mut poison_keys = self.poison_keys.clone();
        poison_keys.sort_unstable();
        Ok(StreamPlan {
            shards: if on_demand { ON_DEMAND_START_SHARDS } else { self.shards },
            on_demand,
            explicit,
            write_records: positive("shard_write_records", self.shard_write_records)?,
            write_bytes: positive("shard_write_bytes", self.shard_write_bytes.0 as f64)?,
            read_bytes: positive("shard_read_bytes", self.shard_read_bytes.0 as f64)?,
            read_calls: positive("shard_read_calls", self.shard_read_calls)?,
            max_get_records: self.max_get_records,
            max_get_bytes: self.max_get_bytes.0,
            max_record_size,
            retention,
            put_latency: self.put_latency.build().map_err(|e| e.within("put_latency"))?,
            get_latency: self.get_latency.build().map_err(|e| e.within("get_latency"))?,
            efo_push: self.efo_push.build().map_err(|e| e.within("efo_push"))?,
            put_batch: self.put_batch,
            linger: self.linger.get(),
            poison_keys,
            reshards,
            reshard_delay: self.reshard_delay.get(),
            series_shards: self.series_shards,
        })
    }
}

/// The parameters of a `kinesis_consumer` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerConfig {
    /// The `kinesis` component read.
    pub stream: String,
    /// `workers` (a KCL application) or `lambda` (an event source mapping).
    #[serde(default = "default_mode")]
    pub mode: String,
    /// `shared` (GetRecords polling) or `enhanced` (enhanced fan-out, pushed).
    #[serde(default = "default_fan_out")]
    pub fan_out: String,
    /// Least time between two GetRecords calls on a shard.
    #[serde(default = "default_poll_interval")]
    pub poll_interval: Duration,
    /// Most records per GetRecords call / batch (default by mode).
    pub max_records: Option<u32>,
    /// Processing time of each record.
    pub process: Option<DistSpec<Seconds>>,
    /// Component called once per record (workers mode).
    pub target: Option<String>,
    /// The `kind = "lambda"` component invoked once per batch (lambda mode).
    pub function: Option<String>,
    /// Policy of the calls to `target` or `function`.
    #[serde(default)]
    pub client: ClientConfig,
    /// Backoff after a throttled GetRecords call, and between retries of a failed batch.
    #[serde(default)]
    pub backoff: BackoffConfig,
    /// Checkpoint period (none: after every batch).
    pub checkpoint_interval: Option<Duration>,
    /// Concurrent batches per shard (lambda mode).
    #[serde(default = "default_parallelization")]
    pub parallelization_factor: u32,
    /// Retries of a failed batch before it is dropped (none: until its records expire).
    pub maximum_retry_attempts: Option<u32>,
    /// Age past which a failing batch is dropped (none: until its records expire).
    pub maximum_record_age: Option<Duration>,
    /// Shards with their own iterator-age series (the first by id).
    #[serde(default = "default_consumer_series_shards")]
    pub series_shards: u32,
}

/// The backoff table of a consumer (the shared full-jitter backoff of the client policy).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackoffConfig {
    /// Base b: the wait after the n-th failure is uniform on [0, min(cap, b·2^(n−1))].
    #[serde(default = "default_backoff_base")]
    pub base: Duration,
    /// Largest wait.
    #[serde(default = "default_backoff_cap")]
    pub cap: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig { base: default_backoff_base(), cap: default_backoff_cap() }
    }
}

fn default_backoff_base() -> Duration {
    Duration(crate::blocks::caller::DEFAULT_BACKOFF_BASE)
}
fn default_backoff_cap() -> Duration {
    Duration(crate::blocks::caller::DEFAULT_BACKOFF_CAP)
}
fn default_mode() -> String {
    "workers".into()
}
fn default_fan_out() -> String {
    "shared".into()
}
fn default_poll_interval() -> Duration {
    Duration(DEFAULT_POLL_INTERVAL)
}
fn default_parallelization() -> u32 {
    1
}
fn default_consumer_series_shards() -> u32 {
    8
}

/// A checked consumer configuration (the stream and target ids are resolved by the caller).
#[derive(Clone, Debug)]
pub struct ConsumerPlan {
    /// Lambda mode.
    pub lambda: bool,
    /// Enhanced fan-out.
    pub enhanced: bool,
    /// Poll interval.
    pub poll_interval: SimDuration,
    /// Records per call / batch.
    pub max_records: u32,
    /// Per-record processing time.
    pub process: Option<Dist>,
    /// Policy of target / function calls.
    pub client: ClientPolicy,
    /// Backoff policy (throttles and failed batches).
    pub backoff: ClientPolicy,
    /// Checkpoint period.
    pub checkpoint_interval: Option<SimDuration>,
    /// Concurrent batches per shard.
    pub concurrency: u32,
    /// Retry limit.
    pub max_retries: Option<u32>,
    /// Age limit.
    pub max_age: Option<SimDuration>,
    /// Shards with series.
    pub series_shards: u32,
}

impl ConsumerConfig {
    /// Distributions that may name sample files.
    pub fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        self.process.iter_mut().map(|spec| ("process".to_string(), spec)).collect()
    }

    /// Checks the parameters.
    pub fn plan(&self) -> Result<ConsumerPlan, SpecError> {
        let lambda = match self.mode.as_str() {
            "workers" => false,
            "lambda" => true,
            other => {
                return Err(SpecError::new("mode", format!("unknown mode `{other}`, expected `workers` or `lambda`")));
            }
        };
        let enhanced = match self.fan_out.as_str() {
            "shared" => false,
            "enhanced" => true,
            other => {
                return Err(SpecError::new(
                    "fan_out",
                    format!("unknown fan-out `{other}`, expected `shared` or `enhanced`"),
                ));
            }
        };
        if lambda && self.function.is_none() {
            return Err(SpecError::new(
                "function",
                "lambda mode needs `function`, the name of a kind = \"lambda\" component",
            ));
        }
        if lambda && self.target.is_some() {
            return Err(SpecError::new(
                "target",
                "`target` applies to workers mode; in lambda mode the function does the work",
            ));
        }
        if !lambda && self.function.is_some() {
            return Err(SpecError::new("function", "`function` applies to `mode = \"lambda\"`"));
        }
        if !lambda && self.parallelization_factor != 1 {
            return Err(SpecError::new(
                "parallelization_factor",
                "`parallelization_factor` applies to `mode = \"lambda\"`",
            ));
        }
        if self.parallelization_factor == 0 || self.parallelization_factor > MAX_PARALLELIZATION {
            return Err(SpecError::new(
                "parallelization_factor",
                format!("give 1 to {MAX_PARALLELIZATION}, found {}", self.parallelization_factor),
            ));
        }
        let max_records = self.max_records.unwrap_or(if lambda { LAMBDA_BATCH_SIZE } else { MAX_GET_RECORDS });
        if max_records == 0 || max_records > MAX_GET_RECORDS {
            return Err(SpecError::new(
                "max_records",
                format!("give 1 to {MAX_GET_RECORDS} records, found {max_records}"),
            ));
        }
        if self.poll_interval.get() == SimDuration::ZERO {
            return Err(SpecError::new("poll_interval", "`poll_interval` must be longer than 0"));
        }
        if self.maximum_retry_attempts.is_some_and(|n| n > MAX_RETRY_ATTEMPTS) {
            return Err(SpecError::new("maximum_retry_attempts", format!("at most {MAX_RETRY_ATTEMPTS}")));
        }
        if self.maximum_record_age.is_some_and(|age| age.get() < SimDuration::from_secs(60)) {
            return Err(SpecError::new("maximum_record_age", "`maximum_record_age` must be at least 60 s (Lambda)"));
        }
        if self.checkpoint_interval.is_some_and(|i| i.get() == SimDuration::ZERO) {
            return Err(SpecError::new(
                "checkpoint_interval",
                "must be longer than 0 (leave it out to checkpoint after every batch)",
            ));
        }
        if self.series_shards > 1024 {
            return Err(SpecError::new("series_shards", "at most 1024 shards get their own series"));
        }
        let process = match &self.process {
            Some(spec) => Some(spec.build().map_err(|e| e.within("process"))?),
            None => None,
        };
        let backoff = ClientConfig {
            max_attempts: u16::MAX,
            backoff: self.backoff.base,
            backoff_cap: self.backoff.cap,
            ..ClientConfig::default()
        }
        .build()
        .map_err(|e| {
            let field = if e.field == "backoff_cap" { "cap" } else { "base" };
            SpecError::new(field, e.message).within("backoff")
        })?;
        Ok(ConsumerPlan {
            lambda,
            enhanced,
            poll_interval: self.poll_interval.get(),
            max_records,
            process,
            client: self.client.build().map_err(|e| e.within("client"))?,
            backoff,
            checkpoint_interval: self.checkpoint_interval.map(Duration::get),
            concurrency: if lambda { self.parallelization_factor } else { 1 },
            max_retries: self.maximum_retry_attempts,
            max_age: self.maximum_record_age.map(Duration::get),
            series_shards: self.series_shards,
        })
    }
}

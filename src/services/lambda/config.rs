//! The `[[component]] kind = "lambda"` table: parameters, documented defaults with their
//! sources, validation, and the checked [`LambdaPlan`] the function is built from.
//!
//! Sources (docs/models.md, section "Lambda"): LDG quotas = AWS Lambda Developer Guide,
//! "Lambda quotas" (<https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>);
//! LDG timeout = "Configure Lambda function timeout"
//! (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html>); LDG memory =
//! "Configure Lambda function memory"; LDG SnapStart = "Improving startup performance with
//! Lambda SnapStart"; Lambda pricing = <https://aws.amazon.com/lambda/pricing/>. Cold-start
//! and idle-lifetime figures are third-party measurements, marked as assumptions.

use serde::{Deserialize, Serialize};

use crate::blocks::caller::{ClientConfig, ClientPolicy};
use crate::blocks::station::MAX_SERVERS;
use crate::engine::SimDuration;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::model::kind::BuildContext;
use crate::model::{ComponentId, Op, SpecError};
use crate::units::Duration;

/// Account-level concurrency available to functions without reserved concurrency: 1,000
/// concurrent executions per Region by default (LDG quotas, "Concurrent executions").
pub const DEFAULT_ACCOUNT_CONCURRENCY: u32 = 1000;
/// How fast a function may add execution environments: 1,000 every 10 seconds (LDG "Lambda
/// scaling behavior": each function can scale up by 1,000 concurrent executions every 10
/// seconds, until the account's concurrency is reached). Modeled as a token bucket of 1,000
/// new environments refilling at 100 per second.
pub const DEFAULT_SCALING_RATE: u32 = 1000;
/// Function timeout: 3 s by default (LDG timeout: "The default timeout value is 3 seconds").
pub const DEFAULT_TIMEOUT: SimDuration = SimDuration::from_secs(3);
/// Longest function timeout: 900 s = 15 minutes (LDG quotas, "Function timeout").
pub const MAX_TIMEOUT: SimDuration = SimDuration::from_secs(900);
/// Memory: 128 MB by default, configurable from 128 MB to 10,240 MB (LDG memory; LDG quotas).
pub const DEFAULT_MEMORY_MB: u32 = 128;
/// Smallest memory setting, MB (LDG quotas).
pub const MIN_MEMORY_MB: u32 = 128;
/// Largest memory setting, MB (LDG quotas: 10,240 MB).
pub const MAX_MEMORY_MB: u32 = 10_240;
/// How long an idle execution environment is kept before Lambda reclaims it: 10 minutes.
/// Assumption: AWS publishes no figure ("Lambda maintains the execution environment for some
/// time in anticipation of another invocation", LDG "Lambda execution environment
/// lifecycle"); M. Shilkov measured "every instance lives for precisely 10 minutes after the
/// last request" (<https://mikhail.io/2019/08/aws-lambda-cold-starts-after-10-minutes/>,
/// 2019); other third-party reports give 5–60 minutes.
pub const DEFAULT_IDLE_LIFETIME_SECS: f64 = 600.0;
/// Coefficient of variation of the default lognormal cold starts: 0.5. Assumption (the
/// third-party tables below give p50–p99 ranges of about 2–3×).
pub const COLD_START_CV: f64 = 0.5;

/// A Lambda runtime: it sets the default cold-start distribution.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Python (e.g. python3.13).
    Python,
    /// Node.js (e.g. nodejs22.x).
    Nodejs,
    /// Java (e.g. java21), JVM start-up.
    Java,
    /// .NET (e.g. dotnet8).
    Dotnet,
    /// Go on the OS-only runtime (provided.al2023).
    Go,
    /// Ruby (e.g. ruby3.3).
    Ruby,
    /// Rust on the OS-only runtime (provided.al2023).
    Rust,
}

/// Every runtime with its scenario name.
pub const RUNTIMES: [(Runtime, &str); 7] = [
    (Runtime::Python, "python"),
    (Runtime::Nodejs, "nodejs"),
    (Runtime::Java, "java"),
    (Runtime::Dotnet, "dotnet"),
    (Runtime::Go, "go"),
    (Runtime::Ruby, "ruby"),
    (Runtime::Rust, "rust"),
];

impl Runtime {
    /// The name used in scenarios.
    pub fn as_str(self) -> &'static str {
        RUNTIMES.iter().find(|(runtime, _)| *runtime == self).map(|(_, name)| *name).unwrap_or("python")
    }

    /// The runtime named `name`.
    pub fn parse(name: &str) -> Option<Runtime> {
        RUNTIMES.iter().find(|(_, n)| *n == name).map(|(runtime, _)| *runtime)
    }

    /// Mean cold start (init duration) in seconds of a small function, lognormal with
    /// [`COLD_START_CV`]. Assumptions from third-party measurements of minimal functions:
    /// python 0.30 s, nodejs 0.30 s, ruby 0.35 s, go 0.15 s, rust 0.10 s, dotnet 1.5 s,
    /// java 2.0 s — within the ranges of the "cold-start budget reference" table (Node.js
    /// 200–700 ms, Python 250–800 ms, Java 11 1.5–6 s, .NET 1–3 s, Go 100–300 ms, Rust
    /// 50–200 ms; <https://testland.io/plugins/qa-serverless/skills/cold-start-budget-reference>)
    /// and of docs/models.md ("~100 ms–several seconds by runtime").
    pub fn cold_start_mean(self) -> f64 {
        match self {
            Runtime::Python | Runtime::Nodejs => 0.30,
            Runtime::Ruby => 0.35,
            Runtime::Go => 0.15,
            Runtime::Rust => 0.10,
            Runtime::Dotnet => 1.5,
            Runtime::Java => 2.0,
        }
    }

    /// True if Lambda SnapStart supports the runtime: Java 11+, Python 3.12+, .NET 8+ (LDG
    /// SnapStart).
    pub fn supports_snapstart(self) -> bool {
        matches!(self, Runtime::Java | Runtime::Python | Runtime::Dotnet)
    }
}

/// Mean restore time of a SnapStart snapshot in place of the cold start: 0.2 s, lognormal
/// with [`COLD_START_CV`]. Assumption: AWS says SnapStart brings start-up "from several
/// seconds to as low as sub-second" (LDG SnapStart); the third-party table cited at
/// [`Runtime::cold_start_mean`] gives 100–300 ms for Java with SnapStart.
pub const SNAPSTART_RESTORE_SECS: f64 = 0.2;

/// The parameters of a `lambda` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaConfig {
    /// `python` (default), `nodejs`, `java`, `dotnet`, `go`, `ruby` or `rust`.
    #[serde(default = "default_runtime")]
    pub runtime: String,
    /// The handler's running time per invocation (the Invoke phase, without init).
    pub duration: DistSpec<Seconds>,
    /// Extra running time per record of a batch (`Request.key` of an `invoke`).
    #[serde(default)]
    pub per_record: Duration,
    /// Memory, MB (128–10,240): the billed GB-seconds are memory × billed duration.
    #[serde(default = "default_memory")]
    pub memory_mb: u32,
    /// An invocation running longer than this fails (and its environment is reset).
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    /// Concurrency reserved for this function: its limit. None: the account's unreserved pool.
    pub reserved_concurrency: Option<u32>,
    /// The account's unreserved concurrency, the limit when none is reserved.
    #[serde(default = "default_account_concurrency")]
    pub account_concurrency: u32,
    /// New execution environments the function may create per 10 seconds (a token bucket);
    /// an invocation that needs one when none may be created is throttled.
    #[serde(default = "default_scaling_rate")]
    pub scaling_rate: u32,
    /// Execution environments initialized before the run and never reclaimed.
    #[serde(default)]
    pub provisioned_concurrency: u32,
    /// Restore from a SnapStart snapshot instead of a full init on cold starts.
    #[serde(default)]
    pub snapstart: bool,
    /// Cold start (init) duration; default lognormal by runtime (or the SnapStart restore).
    pub cold_start: Option<DistSpec<Seconds>>,
    /// How long an idle environment is kept before it is reclaimed.
    #[serde(default = "default_idle_lifetime")]
    pub idle_lifetime: DistSpec<Seconds>,
    /// Probability that an invocation fails (the handler throws) after running.
    #[serde(default)]
    pub error_rate: f64,
    /// A component the handler calls once per invocation, after its own running time.
    pub target: Option<String>,
    /// The operation of that call: `write` (default) or `read`.
    #[serde(default = "default_target_op")]
    pub target_op: String,
    /// Timeouts and retries of the call to `target` (`stratus describe client`).
    #[serde(default)]
    pub client: ClientConfig,
}

fn default_runtime() -> String {
    Runtime::Python.as_str().to_string()
}
fn default_memory() -> u32 {
    DEFAULT_MEMORY_MB
}
fn default_timeout() -> Duration {
    Duration(DEFAULT_TIMEOUT)
}
fn default_account_concurrency() -> u32 {
    DEFAULT_ACCOUNT_CONCURRENCY
}
fn default_scaling_rate() -> u32 {
    DEFAULT_SCALING_RATE
}
fn default_idle_lifetime() -> DistSpec<Seconds> {
    DistSpec::constant(DEFAULT_IDLE_LIFETIME_SECS)
}
fn default_target_op() -> String {
    "write".to_string()
}

/// The checked parameters of a `lambda` component.
#[derive(Clone, Debug)]
pub struct LambdaPlan {
    /// Runtime.
    pub runtime: Runtime,
    /// Handler running time.
    pub duration: Dist,
    /// Extra running time per record.
    pub per_record: SimDuration,
    /// Memory, MB.
    pub memory_mb: u32,
    /// Invocation timeout.
    pub timeout: SimDuration,
    /// Concurrency limit (reserved, or the account's).
    pub limit: u32,
    /// Provisioned (always warm) environments.
    pub provisioned: u32,
    /// New environments per 10 seconds.
    pub scaling_rate: u32,
    /// Cold start (init, or SnapStart restore) duration.
    pub init: Dist,
    /// Idle lifetime of an on-demand environment.
    pub idle_lifetime: Dist,
    /// Probability an invocation fails.
    pub error_rate: f64,
    /// The component called during each invocation, and how.
    pub target: Option<(ComponentId, Op, ClientPolicy)>,
}

fn dist(spec: &DistSpec<Seconds>, field: &str) -> Result<Dist, SpecError> {
    spec.build().map_err(|e| e.within(field))
}

impl LambdaConfig {
    /// Every duration distribution with its field path (for empirical sample files).
    pub fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        let mut out: Vec<(String, &mut DistSpec<Seconds>)> =
            vec![("duration".into(), &mut self.duration), ("idle_lifetime".into(), &mut self.idle_lifetime)];
        if let Some(spec) = self.cold_start.as_mut() {
            out.push(("cold_start".into(), spec));
        }
        out
    }

    /// The runtime, checked.
    fn runtime(&self) -> Result<Runtime, SpecError> {
        Runtime::parse(&self.runtime).ok_or_else(|| {
            let names: Vec<&str> = RUNTIMES.iter().map(|(_, name)| *name).collect();
            SpecError::new(
                "runtime",
                format!(
                    "unknown runtime `{}`, expected one of {}{}",
                    self.runtime,
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                    crate::model::did_you_mean(&self.runtime, names.iter().copied())
                ),
            )
        })
    }

    /// The cold start when none is given: lognormal by runtime, or the SnapStart restore.
    pub fn default_cold_start(&self) -> DistSpec<Seconds> {
        let runtime = Runtime::parse(&self.runtime).unwrap_or(Runtime::Python);
        let mean = if self.snapstart { SNAPSTART_RESTORE_SECS } else { runtime.cold_start_mean() };
        DistSpec::lognormal(mean, COLD_START_CV)
    }

    /// The concurrency limit: reserved concurrency, else the account's unreserved pool.
    pub fn limit(&self) -> u32 {
        self.reserved_concurrency.unwrap_or(self.account_concurrency)
    }

    /// Checks every parameter and builds the plan.
    pub fn plan(&self, context: &BuildContext<'_>) -> Result<LambdaPlan, SpecError> {
        let runtime = self.runtime()?;
        if !(MIN_MEMORY_MB..=MAX_MEMORY_MB).contains(&self.memory_mb) {
            return Err(SpecError::new(
                "memory_mb",
                format!("Lambda memory is {MIN_MEMORY_MB} to {MAX_MEMORY_MB} MB, found {}", self.memory_mb),
            ));
        }
        let timeout = self.timeout.get();
        if timeout == SimDuration::ZERO || timeout > MAX_TIMEOUT {
            return Err(SpecError::new(
                "timeout",
                format!("a Lambda timeout is longer than 0 and at most 900s (15 minutes), found {}", self.timeout),
            ));
        }
        if self.account_concurrency == 0 || self.account_concurrency > MAX_SERVERS {
            return Err(SpecError::new(
                "account_concurrency",
                format!("give 1 to {MAX_SERVERS} concurrent executions, found {}", self.account_concurrency),
            ));
        }
        if let Some(reserved) = self.reserved_concurrency
            && reserved > self.account_concurrency
        {
            return Err(SpecError::new(
                "reserved_concurrency",
                format!(
                    "reserved concurrency ({reserved}) cannot exceed the account's concurrency (`account_concurrency` = {})",
                    self.account_concurrency
                ),
            ));
        }
        if self.scaling_rate == 0 || self.scaling_rate > MAX_SERVERS {
            return Err(SpecError::new(
                "scaling_rate",
                format!("give 1 to {MAX_SERVERS} new environments per 10 seconds, found {}", self.scaling_rate),
            ));
        }
        let limit = self.limit();
        if self.provisioned_concurrency > limit {
            return Err(SpecError::new(
                "provisioned_concurrency",
                format!(
                    "provisioned concurrency ({}) cannot exceed the function's concurrency limit ({limit})",
                    self.provisioned_concurrency
                ),
            ));
        }
        if self.snapstart && !runtime.supports_snapstart() {
            return Err(SpecError::new(
                "snapstart",
                format!("SnapStart supports the java, python and dotnet runtimes, not `{}`", runtime.as_str()),
            ));
        }
        if self.snapstart && self.provisioned_concurrency > 0 {
            return Err(SpecError::new(
                "snapstart",
                "SnapStart and provisioned concurrency cannot be used on the same function version (LDG SnapStart)",
            ));
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(SpecError::new(
                "error_rate",
                format!("`error_rate` is a probability in [0, 1], found {}", self.error_rate),
            ));
        }
        let target_op = match self.target_op.as_str() {
            "write" => Op::Write,
            "read" => Op::Read,
            other => {
                return Err(SpecError::new(
                    "target_op",
                    format!("unknown operation `{other}`, expected `write` or `read`"),
                ));
            }
        };
        let policy = self.client.build().map_err(|e| e.within("client"))?;
        let target = match &self.target {
            Some(name) => {
                let id = (context.resolve)(name)
                    .ok_or_else(|| SpecError::new("target", format!("no component is called `{name}`")))?;
                Some((id, target_op, policy))
            }
            None => None,
        };
        let init = match &self.cold_start {
            Some(spec) => dist(spec, "cold_start")?,
            None => dist(&self.default_cold_start(), "cold_start")?,
        };
        Ok(LambdaPlan {
            runtime,
            duration: dist(&self.duration, "duration")?,
            per_record: self.per_record.get(),
            memory_mb: self.memory_mb,
            timeout,
            limit,
            provisioned: self.provisioned_concurrency,
            scaling_rate: self.scaling_rate,
            init,
            idle_lifetime: dist(&self.idle_lifetime, "idle_lifetime")?,
            error_rate: self.error_rate,
            target,
        })
    }
}

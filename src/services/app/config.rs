//! The `[[component]] kind = "app"` table: parameters, documented defaults with their
//! sources, validation, and the checked [`AppPlan`].
//!
//! Sources (docs/models.md, section "Application tier"): ALB = Elastic Load Balancing,
//! "Application Load Balancers" user guide — "Health checks for your target groups"
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>),
//! "Target groups: routing algorithm" and "Troubleshoot your Application Load Balancers"
//! (HTTP 503 / 504); ASG = Amazon EC2 Auto Scaling User Guide, "Target tracking scaling
//! policies" (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html>),
//! "Set the default instance warmup" and "Scaling cooldowns".

use serde::{Deserialize, Serialize};

use crate::blocks::caller::{ClientConfig, ClientPolicy};
use crate::engine::SimDuration;
use crate::model::dist::{Dist, DistSpec, Seconds};
use crate::model::kind::BuildContext;
use crate::model::{ComponentId, Op, SpecError, did_you_mean};
use crate::units::Duration;

/// Instances at the start: 2, the smallest fleet that survives the loss of one instance or
/// AZ (ALB requires subnets in at least two AZs, ALB "Application Load Balancers": assumption
/// that one instance per AZ is the least a user deploys).
pub const DEFAULT_INSTANCES: u32 = 2;
/// Workers per instance (requests on the CPU at once): 2, the vCPUs of an m5.large/m7g.large,
/// the general-purpose size AWS examples start from (assumption).
pub const DEFAULT_WORKERS: u32 = 2;
/// Mean CPU time per request: 5 ms, exponential. Assumption (a typical web request doing
/// serialization and business logic; measure yours).
pub const DEFAULT_CPU_SECS: f64 = 0.005;
/// Interval between health checks of one target: 30 s, the ALB default for `instance` and
/// `ip` targets (ALB health checks: HealthCheckIntervalSeconds, range 5-300, default 30).
pub const DEFAULT_HEALTH_INTERVAL: SimDuration = SimDuration::from_secs(30);
/// Wait for a health check's answer: 5 s, the ALB default (HealthCheckTimeoutSeconds).
pub const DEFAULT_HEALTH_TIMEOUT: SimDuration = SimDuration::from_secs(5);
/// Consecutive failed checks before a target is unhealthy: 2, the ALB default
/// (UnhealthyThresholdCount, range 2-10).
pub const DEFAULT_UNHEALTHY_THRESHOLD: u32 = 2;
/// Consecutive successful checks before an unhealthy target is healthy again: 5, the ALB
/// default (HealthyThresholdCount, range 2-10).
pub const DEFAULT_HEALTHY_THRESHOLD: u32 = 5;
/// Time the balancer waits to connect to a target before answering 504: 10 s (ALB
/// troubleshooting, HTTP 504: "the load balancer failed to establish a connection to the
/// target before the connection timeout expired (10 seconds)").
pub const DEFAULT_CONNECT_TIMEOUT: SimDuration = SimDuration::from_secs(10);
/// Scaling warm-up: 300 s. ASG target tracking: a new instance's metrics are not used (and
/// it does not count as capacity that answers) until its warm-up ends; without a default
/// instance warm-up set, the estimated warm-up defaults to the group's default cooldown, 300 s.
pub const DEFAULT_WARMUP: SimDuration = SimDuration::from_secs(300);
/// Cooldown after a scale-in before the next: 300 s, the ASG default cooldown (ASG
/// "Scaling cooldowns": "the default value is 300 seconds").
pub const DEFAULT_COOLDOWN: SimDuration = SimDuration::from_secs(300);
/// Period of the utilization metric the policy reads: 60 s (target tracking evaluates
/// 1-minute CloudWatch datapoints; ASG target tracking).
pub const METRIC_PERIOD: SimDuration = SimDuration::from_secs(60);
/// Consecutive periods above the target before a scale-out: 3, and below it before a
/// scale-in: 15 — the CloudWatch alarms target tracking creates (AlarmHigh "3 datapoints
/// within 3 minutes", AlarmLow "15 datapoints within 15 minutes"; ASG target tracking, as
/// the alarms appear in the CloudWatch console).
pub const SCALE_OUT_PERIODS: u32 = 3;
/// See [`SCALE_OUT_PERIODS`].
pub const SCALE_IN_PERIODS: u32 = 15;
/// Most instances one app may have: 1,000 (a larger fleet is surely a typo here).
pub const MAX_INSTANCES: u32 = 1000;
/// Most steps in one flow.
pub const MAX_STEPS: usize = 16;

/// How the balancer picks an instance.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Balancing {
    /// In turn over the healthy instances (the ALB default routing algorithm).
    RoundRobin,
    /// The healthy instance with the fewest requests in progress (ALB
    /// `least_outstanding_requests`; ties to the lowest index after the last pick).
    LeastOutstanding,
    /// Uniformly at random: not an ALB algorithm, a modeling option (each instance then sees
    /// a Poisson stream if the arrivals are Poisson, so it is exactly M/M/c).
    Random,
}

impl Balancing {
    /// Every algorithm with its name.
    pub const ALL: [(Balancing, &'static str); 3] = [
        (Balancing::RoundRobin, "round_robin"),
        (Balancing::LeastOutstanding, "least_outstanding_requests"),
        (Balancing::Random, "random"),
    ];
}

/// One step of a request flow, as written.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    /// The component called.
    pub call: String,
    /// The operation sent (default: the request's own, a read or a write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// A failure of this step does not fail the request.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// The `health_check` table (ALB target-group health checks).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckConfig {
    /// Time between checks of one target.
    #[serde(default = "default_health_interval")]
    pub interval: Duration,
    /// Wait for a check's answer before it counts as failed.
    #[serde(default = "default_health_timeout")]
    pub timeout: Duration,
    /// Consecutive failures that make a target unhealthy.
    #[serde(default = "default_unhealthy")]
    pub unhealthy_threshold: u32,
    /// Consecutive successes that make an unhealthy target healthy.
    #[serde(default = "default_healthy")]
    pub healthy_threshold: u32,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            interval: default_health_interval(),
            timeout: default_health_timeout(),
            unhealthy_threshold: default_unhealthy(),
            healthy_threshold: default_healthy(),
        }
    }
}

/// The `autoscaling` table (EC2 Auto Scaling target tracking on mean CPU utilization).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingConfig {
    /// Target mean CPU utilization of the instances in service (0-1).
    pub target: f64,
    /// Fewest instances (default: `instances`).
    pub min: Option<u32>,
    /// Most instances.
    pub max: u32,
    /// Time from a launch until the instance serves (and its metrics count).
    #[serde(default = "default_warmup")]
    pub warmup: Duration,
    /// Wait after a scaling activity before a scale-in.
    #[serde(default = "default_cooldown")]
    pub cooldown: Duration,
}

fn default_instances() -> u32 {
    DEFAULT_INSTANCES
}
fn default_cpu() -> DistSpec<Seconds> {
    DistSpec::exponential(DEFAULT_CPU_SECS)
}
fn default_balancer() -> String {
    "round_robin".into()
}
fn default_health_interval() -> Duration {
    Duration(DEFAULT_HEALTH_INTERVAL)
}
fn default_health_timeout() -> Duration {
    Duration(DEFAULT_HEALTH_TIMEOUT)
}
fn default_unhealthy() -> u32 {
    DEFAULT_UNHEALTHY_THRESHOLD
}
fn default_healthy() -> u32 {
    DEFAULT_HEALTHY_THRESHOLD
}
fn default_connect_timeout() -> Duration {
    Duration(DEFAULT_CONNECT_TIMEOUT)
}
fn default_warmup() -> Duration {
    Duration(DEFAULT_WARMUP)
}
fn default_cooldown() -> Duration {
    Duration(DEFAULT_COOLDOWN)
}

/// The parameters of an `app` component.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Instances at the start.
    #[serde(default = "default_instances")]
    pub instances: u32,
    /// AZs the instances are spread over, in turn (default: every AZ of the topology).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azs: Option<Vec<String>>,
    /// EC2 instance type of every instance (`c7g.xlarge`): sets `workers` (its vCPUs) and the
    /// price. None: billed as [`DEFAULT_EC2_CLASS`](crate::services::classes::DEFAULT_EC2_CLASS),
    /// the model on its own defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    /// Requests on the CPU at once per instance; default the type's vCPUs, else 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// CPU time of a request.
    #[serde(default = "default_cpu")]
    pub cpu: DistSpec<Seconds>,
    /// Most requests waiting for a worker per instance (None: unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_limit: Option<u64>,
    /// round_robin | least_outstanding_requests | random.
    #[serde(default = "default_balancer")]
    pub balancer: String,
    /// The flow of a read (`Read`/`Get` requests).
    #[serde(default)]
    pub reads: Vec<StepConfig>,
    /// The flow of every other request.
    #[serde(default)]
    pub writes: Vec<StepConfig>,
    /// Timeouts, retries and DNS of the calls to downstream components.
    #[serde(default)]
    pub client: ClientConfig,
    /// Target-group health checks.
    #[serde(default)]
    pub health_check: HealthCheckConfig,
    /// Balancer's wait to connect to a target that does not answer, then 504.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: Duration,
    /// Target tracking on CPU (None: a fixed fleet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingConfig>,
}

/// One step, checked: which caller (index into [`AppPlan::targets`]), the operation, and
/// whether its failure fails the request (`None` op: the request's own).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Step {
    /// Index of the target.
    pub target: u16,
    /// The operation, or None for the request's.
    pub op: Option<Op>,
    /// Its failure is ignored.
    pub optional: bool,
}

/// Checked autoscaling.
#[derive(Clone, Debug)]
pub struct Scaling {
    /// Target utilization.
    pub target: f64,
    /// Fewest and most instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// Launch to in service.
    pub warmup: SimDuration,
    /// Wait after a scaling activity before a scale-in.
    pub cooldown: SimDuration,
}

/// The checked parameters of an `app` component.
#[derive(Clone, Debug)]
pub struct AppPlan {
    /// Instances at the start.
    pub instances: u32,
    /// Instance slots (the most instances there can be: `max` with autoscaling).
    pub slots: u32,
    /// AZ of each instance slot.
    pub azs: Vec<u16>,
    /// Workers per instance.
    pub workers: u32,
    /// CPU time.
    pub cpu: Dist,
    /// Queue bound per instance.
    pub queue_limit: Option<u64>,
    /// Balancing.
    pub balancing: Balancing,
    /// Downstream components (name, id), one caller each.
    pub targets: Vec<(String, ComponentId)>,
    /// The read flow.
    pub reads: Vec<Step>,
    /// The write flow.
    pub writes: Vec<Step>,
    /// The callers' policy.
    pub client: ClientPolicy,
    /// Health checks: interval, timeout, unhealthy and healthy thresholds.
    pub health: (SimDuration, SimDuration, u32, u32),
    /// Balancer connect timeout.
    pub connect_timeout: SimDuration,
    /// Autoscaling.
    pub scaling: Option<Scaling>,
}

/// Operations a step may name.
const STEP_OPS: [(Op, &str); 7] = [
    (Op::Read, "read"),
    (Op::Write, "write"),
    (Op::Delete, "delete"),
    (Op::Send, "send"),
    (Op::Put, "put"),
    (Op::Publish, "publish"),
    (Op::Invoke, "invoke"),
];

impl AppConfig {
    fn steps(
        &self,
        field: &str,
        steps: &[StepConfig],
        targets: &[(String, ComponentId)],
    ) -> Result<Vec<Step>, SpecError> {
        if steps.len() > MAX_STEPS {
            return Err(SpecError::new(field, format!("at most {MAX_STEPS} steps, found {}", steps.len())));
        }
        steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let at = format!("{field}[{i}]");
                let target = targets.iter().position(|(name, _)| *name == step.call).ok_or_else(|| {
                    SpecError::new(format!("{at}.call"), format!("no component is called `{}`", step.call))
                })? as u16;
                let op = match &step.op {
                    None => None,
                    Some(name) => {
                        Some(STEP_OPS.iter().find(|(_, n)| n == name).map(|(op, _)| *op).ok_or_else(|| {
                            SpecError::new(
                                format!("{at}.op"),
                                format!(
                                    "unknown operation `{name}`, expected one of {}{}",
                                    STEP_OPS.map(|(_, n)| n).join(", "),
                                    did_you_mean(name, STEP_OPS.iter().map(|(_, n)| *n))
                                ),
                            )
                        })?)
                    }
                };
                Ok(Step { target, op, optional: step.optional })
            })
            .collect()
    }

    /// Workers per instance: `workers`, else the instance type's vCPUs, else 2 (an unknown
    /// `instance_class` is an error there).
    pub fn effective_workers(&self) -> Result<u32, SpecError> {
        let class = match &self.instance_class {
            Some(name) => {
                Some(crate::services::classes::lookup(crate::services::classes::Service::Ec2, name, "instance_class")?)
            }
            None => None,
        };
        Ok(self.workers.or(class.map(|c| c.vcpus)).unwrap_or(DEFAULT_WORKERS))
    }

    /// Checks every parameter and builds the plan.
    pub fn plan(&self, context: &BuildContext<'_>) -> Result<AppPlan, SpecError> {
        if self.instances == 0 || self.instances > MAX_INSTANCES {
            return Err(SpecError::new(
                "instances",
                format!("between 1 and {MAX_INSTANCES} instances, found {}", self.instances),
            ));
        }
        let workers = self.effective_workers()?;
        if workers == 0 || workers > 100_000 {
            return Err(SpecError::new("workers", format!("between 1 and 100000 workers, found {workers}")));
        }
        let az_list: Vec<u16> = match &self.azs {
            None => (0..context.az_count.max(1)).collect(),
            Some(names) if names.is_empty() => {
                return Err(SpecError::new("azs", "give at least one AZ, or leave `azs` out for all"));
            }
            Some(names) => names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    (context.az_index)(name)
                        .ok_or_else(|| SpecError::new(format!("azs[{i}]"), format!("no AZ is called `{name}`")))
                })
                .collect::<Result<_, _>>()?,
        };
        let balancing = Balancing::ALL.iter().find(|(_, n)| *n == self.balancer).map(|(b, _)| *b).ok_or_else(|| {
            SpecError::new(
                "balancer",
                format!(
                    "unknown balancer `{}`, expected round_robin, least_outstanding_requests or random{}",
                    self.balancer,
                    did_you_mean(&self.balancer, Balancing::ALL.iter().map(|(_, n)| *n))
                ),
            )
        })?;
        let mut targets = Vec::new();
        for (field, steps) in [("reads", &self.reads), ("writes", &self.writes)] {
            for (i, step) in steps.iter().enumerate() {
                if targets.iter().any(|(name, _): &(String, ComponentId)| *name == step.call) {
                    continue;
                }
                let id = (context.resolve)(&step.call).ok_or_else(|| {
                    SpecError::new(format!("{field}[{i}].call"), format!("no component is called `{}`", step.call))
                })?;
                targets.push((step.call.clone(), id));
            }
        }
        let reads = self.steps("reads", &self.reads, &targets)?;
        let writes = self.steps("writes", &self.writes, &targets)?;
        let health = &self.health_check;
        let interval = health.interval.get();
        if interval < SimDuration::from_secs(1) {
            return Err(SpecError::new("health_check.interval", "a health-check interval of at least 1 s"));
        }
        if health.timeout.get() >= interval || health.timeout.get() == SimDuration::ZERO {
            return Err(SpecError::new(
                "health_check.timeout",
                "the health-check timeout must be above 0 and below the interval (ALB requires it)",
            ));
        }
        for (field, value) in [
            ("health_check.unhealthy_threshold", health.unhealthy_threshold),
            ("health_check.healthy_threshold", health.healthy_threshold),
        ] {
            if !(1..=10).contains(&value) {
                return Err(SpecError::new(field, format!("a threshold between 1 and 10 checks, found {value}")));
            }
        }
        let scaling = match &self.autoscaling {
            None => None,
            Some(a) => {
                if !(a.target > 0.0 && a.target < 1.0) {
                    return Err(SpecError::new(
                        "autoscaling.target",
                        format!("a target utilization between 0 and 1 (exclusive), found {}", a.target),
                    ));
                }
                let min = a.min.unwrap_or(self.instances);
                if min == 0 || min > self.instances {
                    return Err(SpecError::new(
                        "autoscaling.min",
                        format!("`min` must be between 1 and `instances` ({}), found {min}", self.instances),
                    ));
                }
                if a.max < self.instances || a.max > MAX_INSTANCES {
                    return Err(SpecError::new(
                        "autoscaling.max",
                        format!(
                            "`max` must be between `instances` ({}) and {MAX_INSTANCES}, found {}",
                            self.instances, a.max
                        ),
                    ));
                }
                Some(Scaling { target: a.target, min, max: a.max, warmup: a.warmup.get(), cooldown: a.cooldown.get() })
            }
        };
        let slots = scaling.as_ref().map_or(self.instances, |s| s.max);
        Ok(AppPlan {
            instances: self.instances,
            slots,
            azs: (0..slots as usize).map(|i| az_list[i % az_list.len()]).collect(),
            workers,
            cpu: self.cpu.build().map_err(|e| e.within("cpu"))?,
            queue_limit: self.queue_limit,
            balancing,
            targets,
            reads,
            writes,
            client: self.client.build().map_err(|e| e.within("client"))?,
            health: (interval, health.timeout.get(), health.unhealthy_threshold, health.healthy_threshold),
            connect_timeout: self.connect_timeout.get(),
            scaling,
        })
    }
}

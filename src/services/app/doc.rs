//! `stratus describe app`: the parameters of an `app` component, what each means and where
//! its default comes from (the values themselves are the configuration's, in `config.rs`),
//! and the metrics it reports.

use crate::model::{KindDoc, ParamDoc};

/// `stratus describe app`.
pub const APP_DOC: KindDoc = KindDoc {
    kind: "app",
    summary: "An application tier: `instances` in `azs` (in turn) behind a load balancer (the \
              component's endpoint). A request goes to a healthy registered instance (503 if \
              none), waits for one of its `workers`, takes its `cpu` time (the worker is then \
              free: downstream calls are asynchronous I/O), then runs its flow — `reads` for \
              reads, `writes` for every other request — whose steps call downstream components \
              in order through one shared caller per target (`client`: timeouts, retries, DNS), \
              with the request's key and size; a failed step fails the request (timeout, or \
              unavailable) unless `optional`. Latency = CPU stage + the hops taken. A step's \
              `op` defaults to the request's own; an elasticache target serves read and write \
              (its strategy does the miss path and the write's invalidation), a queue send, a \
              topic publish, a function invoke. Fault instances: `instance-1`..`instance-N` \
              (N = autoscaling.max, or instances); a dead instance (crash, AZ outage) answers \
              its requests in progress 502 and keeps receiving new ones (504 after \
              `connect_timeout`) until the health check marks it unhealthy. Autoscaling: target \
              tracking on mean CPU utilization (1-minute periods, scale out after 3 above the \
              target, in after 15 below), new instances serving after `warmup`. Billed (cost): EC2 instance-hours of `instance_class` (autoscaling: the time-average in service).",
    params: &[
        ParamDoc {
            name: "instances",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "instances at the start",
            source: "assumption: one per AZ of a two-AZ ALB (ALB needs subnets in two AZs)",
        },
        ParamDoc {
            name: "azs",
            default: "every AZ of the topology",
            unit: "AZ names",
            meaning: "AZs the instances are placed in, in turn (instance-1 in the first)",
            source: "ASG balances instances across AZs",
        },
        ParamDoc {
            name: "instance_class",
            default: "none: billed as m7g.large, the model on the default workers",
            unit: "EC2 instance type",
            meaning: "type of every instance (c6g, c7g, m6g, m7g .large..4xlarge): sets workers = vCPUs and the instance-hour price (us-east-1 On-Demand Linux: c7g.large $0.0725/h, m7g.large $0.0816/h, linear in size); an explicit `workers` overrides; unknown types are an error",
            source: "EC2 On-Demand pricing page (2025); docs/models.md \"Instance classes and prices\"",
        },
        ParamDoc {
            name: "workers",
            default: "the type's vCPUs, else 2",
            unit: "count",
            meaning: "requests on the CPU at once per instance (a ServerPool's servers)",
            source: "assumption: one request per vCPU; 2, the vCPUs of an m7g.large",
        },
        ParamDoc {
            name: "cpu",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "CPU time of one request",
            source: "assumption (measure your application's)",
        },
        ParamDoc {
            name: "queue_limit",
            default: "unbounded",
            unit: "requests",
            meaning: "requests waiting for a worker per instance; beyond it the request is rejected",
            source: "-",
        },
        ParamDoc {
            name: "balancer",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "round_robin | least_outstanding_requests (the ALB algorithms) | random (a modeling option: each instance sees a Poisson share)",
            source: "ALB target groups: routing algorithm, round_robin by default",
        },
        ParamDoc {
            name: "reads",
            default: ParamDoc::FROM_CONFIG,
            unit: "list of { call, op, optional }",
            meaning: "steps of a read (Read/Get requests), in order: `call` a component, `op` read | write | delete | send | put | publish | invoke (default the request's), `optional` = its failure does not fail the request",
            source: "-",
        },
        ParamDoc {
            name: "writes",
            default: ParamDoc::FROM_CONFIG,
            unit: "list of { call, op, optional }",
            meaning: "steps of every other request, as `reads`",
            source: "-",
        },
        ParamDoc {
            name: "client",
            default: ParamDoc::FROM_CONFIG,
            unit: "table",
            meaning: "timeouts, retries and DNS caching of the downstream calls, one caller per target (see `stratus describe client`)",
            source: "see client",
        },
        ParamDoc {
            name: "health_check",
            default: ParamDoc::FROM_CONFIG,
            unit: "table { interval, timeout, unhealthy_threshold, healthy_threshold }",
            meaning: "the balancer checks each target every `interval` (from a random phase); a dead target's check fails after `timeout`; `unhealthy_threshold` failures in a row stop traffic to it, `healthy_threshold` successes restore it",
            source: "ALB health checks: defaults interval 30 s (instance targets), timeout 5 s, unhealthy 2, healthy 5",
        },
        ParamDoc {
            name: "connect_timeout",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "the balancer's wait to connect to a dead target it still routes to, then HTTP 504 (a timeout to the client)",
            source: "ALB troubleshooting, HTTP 504: connection timeout 10 s",
        },
        ParamDoc {
            name: "autoscaling",
            default: "off (a fixed fleet)",
            unit: "table { target, min, max, warmup, cooldown }",
            meaning: "target tracking on mean CPU utilization: `target` (0-1, required), `min` (default instances), `max` (required), `warmup` (launch to serving, default 300 s), `cooldown` (after a scaling activity, before a scale-in, default 300 s)",
            source: "ASG target tracking (1-minute metric; alarms of 3 and 15 datapoints); ASG default cooldown 300 s; estimated warm-up defaults to the cooldown",
        },
    ],
    metrics: &[
        "<name>.latency, .read_latency, .write_latency (ms): balancer to reply, successful requests",
        "<name>.cpu_stage (ms): arrival at an instance to the end of its CPU time (waiting for a worker included)",
        "<name>.requests (requests), .throughput (per_s of successes), .errors and .errors.<timeout|unavailable|throttled|rejected> (requests), .success_ratio (fraction)",
        "<name>.lb_503: no healthy instance; .lb_504: sent to a dead target not yet detected; .lb_502: in progress on an instance that died; .rejected: instance queue full",
        "<name>.<read|write>.<k>.<target>.latency (ms) and .failed_<timeout|unavailable|throttled|rejected> (requests): per step",
        "<name>.utilization (fraction): busy workers over the workers of the healthy instances; .instances_in_service (registered), .healthy_instances (routed to): time means",
        "<name>.detection_time (ms): an instance's death to the health check marking it unhealthy",
        "<name>.launches, .scale_outs, .scale_ins (events); <name>.requests.instance-<n> (requests); <name>.retries.<target> (requests)",
        "series: <name>.instances_in_service, .healthy_instances, .utilization, .latency_ms, .errors_per_s",
    ],
};

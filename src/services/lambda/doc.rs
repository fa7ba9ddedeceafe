//! `stratus describe lambda`: the parameters of a `lambda` component, what each means and
//! where its default comes from (the default values themselves are the configuration's, in
//! `config.rs`), and the metrics it reports.

use crate::model::{KindDoc, ParamDoc};

/// `stratus describe lambda`.
pub const LAMBDA_DOC: KindDoc = KindDoc {
    kind: "lambda",
    summary: "AWS Lambda function. Serves `invoke` (one synchronous invocation; an event \
              source mapping sends one per batch with the record count in the request's key \
              and the batch's bytes in its size); workloads' reads and writes are invocations \
              of one record. At most `reserved_concurrency` (else `account_concurrency`) run at \
              once; an invocation beyond it is answered `throttled` at once (429 \
              TooManyRequestsException): an M/G/c/c loss system, throttled share = Erlang B. \
              An invocation takes an idle environment (provisioned first, then the most \
              recently freed) or creates one and pays a cold start drawn per `runtime` \
              (SnapStart: a restore). At most `scaling_rate` new environments per 10 s. \
              Idle environments are reclaimed after `idle_lifetime`. \
              The handler runs `duration` + `per_record` x records, then calls `target` once \
              if set (the call's latency adds, its failure is the invocation's). It fails with \
              probability `error_rate`, or at `timeout` (the environment is then reset). \
              Failures are answered `unavailable`. Billed: init + handler rounded up to 1 ms, \
              times memory_mb/1024 GB. A crash fault makes the function unavailable and loses \
              its warm environments; a slow fault stretches cold starts and running times; \
              when its AZ is lost the endpoint moves to the nearest AZ up (Lambda is regional). Billed (cost): requests ($0.20/million) and billed GB-seconds ($0.0000166667, x86), us-east-1.",
    params: &[
        ParamDoc {
            name: "runtime",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "python | nodejs | java | dotnet | go | ruby | rust: sets the default cold start",
            source: "LDG runtimes",
        },
        ParamDoc {
            name: "duration",
            default: "required",
            unit: "duration distribution",
            meaning: "the handler's running time per invocation (Invoke phase, without init)",
            source: "-",
        },
        ParamDoc {
            name: "per_record",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "extra running time per record of a batch (the invoke's key); reads and writes count 1 record",
            source: "-",
        },
        ParamDoc {
            name: "memory_mb",
            default: ParamDoc::FROM_CONFIG,
            unit: "MB",
            meaning: "configured memory, 128-10240; billed GB-seconds = memory_mb/1024 x billed seconds",
            source: "LDG memory: default 128 MB, 128 MB to 10,240 MB (LDG quotas)",
        },
        ParamDoc {
            name: "timeout",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "an invocation whose handler runs longer fails (answered unavailable) and its environment is reset; at most 900s",
            source: "LDG timeout: default 3 s; LDG quotas: max 900 s (15 min)",
        },
        ParamDoc {
            name: "reserved_concurrency",
            default: "none (the account's unreserved concurrency)",
            unit: "count",
            meaning: "concurrency reserved for the function: its limit; invocations beyond it are throttled",
            source: "LDG reserved concurrency",
        },
        ParamDoc {
            name: "account_concurrency",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "the account's unreserved concurrency in the Region: the limit when none is reserved",
            source: "LDG quotas: 1,000 concurrent executions per Region by default",
        },
        ParamDoc {
            name: "scaling_rate",
            default: ParamDoc::FROM_CONFIG,
            unit: "environments per 10 s",
            meaning: "new execution environments the function may create per 10 seconds (token bucket); an invocation needing one beyond it is throttled",
            source: "LDG scaling behavior: each function scales by up to 1,000 concurrent executions every 10 seconds",
        },
        ParamDoc {
            name: "provisioned_concurrency",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "environments initialized before the run and never reclaimed (no cold start); at most the limit",
            source: "LDG provisioned concurrency",
        },
        ParamDoc {
            name: "snapstart",
            default: ParamDoc::FROM_CONFIG,
            unit: "bool",
            meaning: "cold starts restore a snapshot (default restore lognormal mean 0.2 s); java, python, dotnet only; not with provisioned concurrency",
            source: "LDG SnapStart (runtimes, exclusion); restore time an assumption (third-party: 100-300 ms for Java)",
        },
        ParamDoc {
            name: "cold_start",
            default: "lognormal cv 0.5, mean by runtime: python 0.3s, nodejs 0.3s, ruby 0.35s, go 0.15s, rust 0.1s, dotnet 1.5s, java 2s",
            unit: "duration distribution",
            meaning: "init duration of a new environment (billed)",
            source: "assumption from third-party measurements (testland.io cold-start budget reference: Node 200-700 ms, Python 250-800 ms, Java 1.5-6 s, .NET 1-3 s, Go 100-300 ms, Rust 50-200 ms); docs/models.md ~100 ms to several seconds",
        },
        ParamDoc {
            name: "idle_lifetime",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time an idle on-demand environment is kept before it is reclaimed (the next invocation then starts cold)",
            source: "assumption: AWS gives no figure; M. Shilkov measured exactly 10 min (mikhail.io, 2019); others 5-60 min",
        },
        ParamDoc {
            name: "error_rate",
            default: ParamDoc::FROM_CONFIG,
            unit: "probability",
            meaning: "share of invocations whose handler throws after running (environment stays warm)",
            source: "-",
        },
        ParamDoc {
            name: "target",
            default: "none",
            unit: "component name",
            meaning: "called once per invocation after the handler's running time, through the shared caller",
            source: "-",
        },
        ParamDoc {
            name: "target_op",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "write | read: the operation of the call to target (key and size of the invocation)",
            source: "-",
        },
        ParamDoc {
            name: "client",
            default: ParamDoc::FROM_CONFIG,
            unit: "table",
            meaning: "timeouts and retries of the call to target: `stratus describe client`",
            source: "-",
        },
    ],
    metrics: &[
        "<name>.invocations (requests): invocations started (not throttled)",
        "<name>.throughput (per_s): successful invocations per second",
        "<name>.throttles (requests), <name>.throttle_ratio (fraction): refused over the concurrency limit (or the scaling rate), over all arrivals; <name>.throttles.scaling: those refused for want of a new environment",
        "<name>.cold_starts (requests), <name>.cold_start_ratio (fraction): invocations that created an environment",
        "<name>.errors (requests) and .errors.function, .errors.timeout, .errors.target, .errors.unavailable (while crashed)",
        "<name>.invalid (requests): operations other than invoke/read/write",
        "<name>.concurrency (requests): time-average invocations running; <name>.concurrency_max: the most at once",
        "<name>.environments (requests): environments alive at the end; .environments_reclaimed, .environment_resets (events)",
        "<name>.duration (ms): handler time (after init); <name>.init_duration (ms): cold starts; <name>.response_time (ms): arrival to end",
        "<name>.billed_duration (s): init + handler rounded up to 1 ms, summed; <name>.billed_gb_seconds (GB-s, unit column `s`)",
        "<name>.target_retries, <name>.target_failures (requests): the call to target, if any",
        "series: <name>.concurrency, .concurrency_max, .environments, .invocations_per_s, .throttles_per_s, .cold_starts_per_s, .errors_per_s",
    ],
};

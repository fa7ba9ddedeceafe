//! `stratus describe sns`: the parameters of an `sns` component, what each means and where
//! its default comes from (the default values themselves are the configuration's, in
//! `config.rs`), and the metrics it reports.

use crate::model::{KindDoc, ParamDoc};

/// `stratus describe sns`.
pub const SNS_DOC: KindDoc = KindDoc {
    kind: "sns",
    summary: "Amazon SNS standard topic. Serves `publish` (workloads' reads and writes are \
              publishes): the message is stored and the publisher answered `ok` at once (SNS \
              acknowledges on acceptance, not delivery), `throttled` over `publish_rate`, \
              `unavailable` while crashed. Every subscriber whose filter policy accepts the \
              message's key gets it: after `delivery_latency` a `send` (key, size) goes to it \
              through its own caller with SNS's retry policy (`delivery`: per-attempt timeout, \
              full-jitter backoff 1 s..20 s, many attempts); exhausted deliveries are \
              discarded. Filter policies: the key stands for one numeric message attribute; \
              conditions `keys` (exact), `key_below`, `key_at_least` (range), `key_modulo` + \
              `remainders` all must hold. Subscribers must answer deliveries themselves (a \
              queue, a station). A crash stops publishes; accepted messages are still \
              delivered; when its AZ is lost the endpoint moves to the nearest AZ up. Billed (cost): publishes ($0.50/million, us-east-1); deliveries to SQS and Lambda are free.",
    params: &[
        ParamDoc {
            name: "subscribers",
            default: "required",
            unit: "component names",
            meaning: "subscribed components (SQS queues or any component that accepts a send); each gets every message its filter accepts",
            source: "SNSDG fan-out",
        },
        ParamDoc {
            name: "filters",
            default: "none (every subscriber gets every message)",
            unit: "table by subscriber: { keys, key_below, key_at_least, key_modulo, remainders }",
            meaning: "filter policy per subscriber on the message key (standing for a numeric attribute); all conditions must hold; uniform keys over 0..n pass |keys|/n, N/n, r/m",
            source: "SNSDG filtering (numeric exact and range matching; AND across attributes); the key-as-attribute model is ours",
        },
        ParamDoc {
            name: "protocols",
            default: "sqs for every subscriber",
            unit: "table by subscriber: \"sqs\" | \"lambda\"",
            meaning: "sqs: a delivery is a `send` of the message; lambda: an `invoke` of one record (a throttled or failed invoke is retried by the delivery policy; Lambda's own asynchronous event queue is not modeled)",
            source: "SNSDG subscription protocols",
        },
        ParamDoc {
            name: "publish_rate",
            default: "none (no limit)",
            unit: "per second",
            meaning: "publishes accepted per second (token bucket, burst of one second); beyond it `throttled`",
            source: "SNS quotas: Publish is throttled per account and Region (e.g. 30,000 messages/s in us-east-1, lower elsewhere): region-dependent, so off unless given",
        },
        ParamDoc {
            name: "delivery_latency",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "time from acceptance to the delivery attempt to one subscriber (the network delay adds to it)",
            source: "assumption (AWS publishes no SNS delivery latency): lognormal mean 20 ms, cv 0.5",
        },
        ParamDoc {
            name: "delivery",
            default: ParamDoc::FROM_CONFIG,
            unit: "table { timeout, max_attempts, backoff, backoff_cap }",
            meaning: "retries of a failed delivery through the shared caller: wait `timeout` per attempt, full-jitter backoff from `backoff` up to `backoff_cap`, at most `max_attempts`",
            source: "SNSDG retries, AWS-managed endpoints (SQS, Lambda): 3 immediate, 2 at 1 s, 10 with backoff 1-20 s, 100,000 at 20 s = 100,015 attempts over 23 days, jittered; here 65,535 attempts (the caller's most), no immediate phase; timeout 15 s an assumption",
        },
    ],
    metrics: &[
        "<name>.published (requests): publishes accepted; <name>.throughput (per_s): their rate",
        "<name>.throttled, <name>.unavailable, <name>.invalid (requests): publishes refused over publish_rate, while crashed, for another operation",
        "<name>.delivered, <name>.filtered_out, <name>.delivery_failures, <name>.delivery_retries (requests): over all subscribers",
        "<name>.in_flight (requests): messages stored at the end with a delivery not yet ended",
        "<name>.delivery_latency (ms): acceptance of the publish to a subscriber's acknowledgement of its delivery",
        "per subscriber <sub>: <name>.delivered.*, .filtered_out.*, .filtered_share.* (fraction of published), .delivery_failures.*, .delivery_retries.*, .delivery_latency.* (ms)",
        "series: <name>.published_per_s, .delivered_per_s, .in_flight",
    ],
};

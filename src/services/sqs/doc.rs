//! `stratus describe sqs` and `stratus describe sqs_consumer`: the parameters, what each means
//! and where its default comes from (the default values themselves are the configuration's, in
//! `config.rs`), and the metrics reported.

use crate::model::{KindDoc, ParamDoc};

const FROM: &str = ParamDoc::FROM_CONFIG;

/// `stratus describe sqs`.
pub const SQS_DOC: KindDoc = KindDoc {
    kind: "sqs",
    summary: "An SQS queue. Requests from clients (Send, Write and Read alike) are SendMessage \
              of `size` bytes with the request's key; ReceiveMessage is op Receive (key = max \
              messages 1-10, size = WaitTimeSeconds in ms), DeleteMessage(Batch) and \
              ChangeMessageVisibility are op Delete with the receipt in key (layout: \
              src/services/sqs/protocol.rs). Standard: messages spread over `servers` storage \
              servers; a long poll reads all, waits up to its wait time and returns as soon as \
              a message arrives; a short poll samples `short_poll_fraction` of the servers and \
              can return empty or partial results while messages wait; at-least-once delivery \
              (`duplicate_probability`), best-effort order. FIFO: message groups (key mod \
              `message_groups`) delivered in order with one in-flight batch per group, \
              300 calls/s per action and 3,000 messages/s (high throughput: 70,000 calls/s), \
              5-minute deduplication of producer retries. Visibility timeout, redelivery, \
              dead-letter queue after maxReceiveCount (counted, kept), retention expiry, the \
              120,000 in-flight limit, delivery delay, poisoned keys. The queue itself takes no \
              crash faults (a regional service); an AZ outage cuts its endpoint AZ off. Billed (cost): `api_requests` per million ($0.40 standard, $0.50 FIFO, us-east-1; empty receives included).",
    params: &[
        ParamDoc {
            name: "az",
            default: "first AZ",
            unit: "AZ name",
            meaning: "where the queue's endpoint is",
            source: "SQS is regional; one endpoint AZ is an assumption",
        },
        ParamDoc { name: "fifo", default: FROM, unit: "bool", meaning: "a FIFO queue", source: "SQSDG" },
        ParamDoc {
            name: "high_throughput",
            default: FROM,
            unit: "bool",
            meaning: "high-throughput FIFO: 70,000 calls/s per action",
            source: "SQSDG high throughput FIFO (largest regions)",
        },
        ParamDoc {
            name: "visibility_timeout",
            default: FROM,
            unit: "duration, 0-12h",
            meaning: "how long a received message stays invisible",
            source: "SQSDG visibility timeout: default 30 s, max 12 h",
        },
        ParamDoc {
            name: "retention",
            default: FROM,
            unit: "duration, 60s-14d",
            meaning: "age at which a message expires (lost, counted)",
            source: "SQSDG quotas: default 4 days",
        },
        ParamDoc {
            name: "delay",
            default: FROM,
            unit: "duration, 0-900s",
            meaning: "DelaySeconds of every message",
            source: "SQS API: 0-900 s, default 0",
        },
        ParamDoc {
            name: "max_message_size",
            default: FROM,
            unit: "size, <= 1MiB",
            meaning: "largest message; larger sends are answered invalid",
            source: "SQS API: 1 MiB (raised from 256 KiB in 2025)",
        },
        ParamDoc {
            name: "dead_letter",
            default: "none",
            unit: "{ max_receive_count = 1-1000 }",
            meaning: "redrive policy: a message whose visibility times out after this many receives moves to the dead-letter queue (counted and kept, not consumed)",
            source: "SQSDG dead-letter queues",
        },
        ParamDoc {
            name: "in_flight_limit",
            default: FROM,
            unit: "messages",
            meaning: "most messages received and not deleted; receives return only what fits",
            source: "SQSDG quotas: 120,000",
        },
        ParamDoc {
            name: "servers",
            default: FROM,
            unit: "count",
            meaning: "storage servers of a standard queue (short polls sample them)",
            source: "assumption: AWS publishes no number",
        },
        ParamDoc {
            name: "short_poll_fraction",
            default: FROM,
            unit: "fraction",
            meaning: "share of the servers a short poll samples (at least one)",
            source: "assumption: AWS says 'a subset, weighted random'",
        },
        ParamDoc {
            name: "duplicate_probability",
            default: FROM,
            unit: "probability",
            meaning: "a delete misses a copy, delivered again after the visibility timeout (standard only)",
            source: "assumption: AWS says only 'on rare occasions'; 0 keeps counts exact",
        },
        ParamDoc {
            name: "message_groups",
            default: FROM,
            unit: "count",
            meaning: "FIFO message groups; a message's group is its key mod this",
            source: "assumption",
        },
        ParamDoc {
            name: "send_batch",
            default: FROM,
            unit: "1-10",
            meaning: "messages per SendMessageBatch of the producers: each message costs 1/n API call (billing, FIFO call limit)",
            source: "SQS API: batches of up to 10",
        },
        ParamDoc {
            name: "api_rate",
            default: "300 (high throughput: 70,000)",
            unit: "calls/s",
            meaning: "FIFO calls per second per action (send, receive, delete, change visibility); over it: throttled",
            source: "SQSDG quotas",
        },
        ParamDoc {
            name: "message_rate",
            default: "3,000 (high throughput: 10 x api_rate)",
            unit: "messages/s",
            meaning: "FIFO messages per second sent; over it: throttled",
            source: "SQSDG quotas: 3,000 with batching",
        },
        ParamDoc {
            name: "poison_keys",
            default: FROM,
            unit: "list of keys",
            meaning: "messages with these keys fail every processing attempt (flagged in the receive's poison mask)",
            source: "-",
        },
    ],
    metrics: &[
        "<name>.end_to_end (ms): producer's send -> first delete",
        "<name>.queue_wait (ms): producer's send -> first receive",
        "<name>.throughput (per_s): messages deleted per second",
        "<name>.sent, .deleted (requests): messages stored, first deletes",
        "<name>.receives, .empty_receives (requests): ReceiveMessage calls, those that returned nothing",
        "<name>.delivered, .redeliveries (requests): messages delivered, deliveries after the first",
        "<name>.duplicates (requests): processing done twice: deletes after the batch's visibility timeout, deletes of duplicate copies",
        "<name>.late_deletes (requests): delete calls whose receipt had expired",
        "<name>.dead_lettered, .expired (requests): moved to the DLQ, lost to retention",
        "<name>.deduplicated (requests): FIFO sends dropped as duplicates within 5 min",
        "<name>.throttled, .invalid (requests): calls over the FIFO limits; calls refused (too large, bad parameters)",
        "<name>.visibility_changes (requests): ChangeMessageVisibility calls applied",
        "<name>.order_inversions (requests): first deliveries of a message sent before one of its group (FIFO) or of the queue (standard) already delivered: 0 for FIFO",
        "<name>.api_requests (requests): billed requests (a batch of 10 is one; empty receives billed)",
        "<name>.in_queue (requests): messages never deleted still stored at the end (whole run)",
        "<name>.visible, .in_flight (requests): time-average depths; .visible_at_end, .in_flight_at_end",
        "<name>.oldest_age_max (s): largest age of the oldest message (at samples and the end)",
        "series: <name>.visible, .in_flight, .oldest_age_s, .sent_per_s, .deleted_per_s, .empty_receives_per_s, .redeliveries_per_s, .dead_lettered (cumulative)",
    ],
};

/// `stratus describe sqs_consumer`.
pub const SQS_CONSUMER_DOC: KindDoc = KindDoc {
    kind: "sqs_consumer",
    summary: "Consumers of an SQS queue. Workers mode: each worker loops ReceiveMessage \
              (max_messages, wait_time) -> per message the `process` time, then a call to \
              `target` if given (through the shared caller: timeouts, retries, DNS) -> one \
              DeleteMessage(Batch) of the messages that succeeded -> receive again; a poisoned \
              message or a failed call leaves the message undeleted (it returns after the \
              visibility timeout). Optional heartbeat: ChangeMessageVisibility while \
              processing. Autoscaling: target tracking of visible messages per worker, with \
              launch delay and cooldown. Lambda mode: an event source mapping that starts 5 \
              concurrent batches, adds up to 300 per minute while messages wait (a second in which at least half the receives came back full) \
              (up to max_concurrency), retires a poller on an empty receive or a throttled \
              invocation, and invokes `function` once per batch (key = messages, size = bytes); \
              a failed or throttled batch is not deleted. Fault instances: worker-0 .. \
              worker-<max-1>; a crashed worker's messages reappear after the visibility timeout; \
              a slow fault multiplies a worker's processing times. Give `queue_client` a \
              timeout in scenarios with AZ outages, or a worker whose call was lost waits forever.",
    params: &[
        ParamDoc {
            name: "queue",
            default: "required",
            unit: "component name",
            meaning: "the sqs queue consumed",
            source: "-",
        },
        ParamDoc { name: "az", default: "first AZ", unit: "AZ name", meaning: "where the workers run", source: "-" },
        ParamDoc {
            name: "mode",
            default: FROM,
            unit: "workers | lambda",
            meaning: "worker fleet or Lambda event source mapping",
            source: "-",
        },
        ParamDoc {
            name: "workers",
            default: FROM,
            unit: "count",
            meaning: "workers (initial count with autoscaling)",
            source: "assumption",
        },
        ParamDoc {
            name: "max_messages",
            default: "1 (lambda: 10)",
            unit: "1-10",
            meaning: "MaxNumberOfMessages per receive (the Lambda batch size)",
            source: "SQS API default 1; Lambda DG batch size default 10",
        },
        ParamDoc {
            name: "wait_time",
            default: FROM,
            unit: "duration 0-20s",
            meaning: "WaitTimeSeconds: 0 = short polling, else long polling",
            source: "SQSDG recommends long polling (20 s); the API default is 0",
        },
        ParamDoc {
            name: "empty_pause",
            default: FROM,
            unit: "duration",
            meaning: "pause after an empty or failed receive",
            source: "assumption (a polling loop's sleep)",
        },
        ParamDoc {
            name: "process",
            default: FROM,
            unit: "duration distribution",
            meaning: "processing time per message (workers mode)",
            source: "assumption",
        },
        ParamDoc {
            name: "target",
            default: "none",
            unit: "component name",
            meaning: "called once per message after its processing time (workers mode)",
            source: "-",
        },
        ParamDoc {
            name: "target_op",
            default: FROM,
            unit: "write | read",
            meaning: "operation of the call to target",
            source: "-",
        },
        ParamDoc {
            name: "client",
            default: FROM,
            unit: "table",
            meaning: "client policy of calls to target or function (stratus describe client)",
            source: "-",
        },
        ParamDoc {
            name: "queue_client",
            default: FROM,
            unit: "table",
            meaning: "client policy of calls to the queue; a timeout must exceed wait_time",
            source: "-",
        },
        ParamDoc {
            name: "heartbeat",
            default: "none",
            unit: "duration",
            meaning: "while processing a batch, ChangeMessageVisibility every this long",
            source: "SQSDG visibility timeout (extend while processing)",
        },
        ParamDoc {
            name: "visibility_extension",
            default: "2 x heartbeat",
            unit: "duration",
            meaning: "the visibility timeout each heartbeat sets",
            source: "assumption",
        },
        ParamDoc {
            name: "autoscaling",
            default: "none",
            unit: "{ target_backlog_per_worker, max_workers, min_workers = 1, interval = 60s, delay = 120s, cooldown = 300s }",
            meaning: "target tracking on ApproximateNumberOfMessagesVisible / workers: read every interval (CloudWatch: 1 min), new workers poll after delay (launch: assumption), no action within cooldown of the last (EC2 Auto Scaling default 300 s)",
            source: "EC2 Auto Scaling UG; SQSDG scaling based on SQS",
        },
        ParamDoc {
            name: "function",
            default: "none",
            unit: "component name",
            meaning: "the kind = lambda component invoked per batch (lambda mode)",
            source: "-",
        },
        ParamDoc {
            name: "max_concurrency",
            default: FROM,
            unit: "2-1000",
            meaning: "most concurrent batches of the event source mapping",
            source: "Lambda DG: 5 at start, +300/min, at most 1,000",
        },
    ],
    metrics: &[
        "<name>.processed (requests): messages processed successfully (duplicates included)",
        "<name>.failed, .poisoned (requests): processing attempts that failed; of them, poisoned",
        "<name>.batches, .empty_receives, .receive_errors, .delete_errors (requests)",
        "<name>.throttled (requests): lambda batches throttled past the retries",
        "<name>.throughput (per_s): processed per second",
        "<name>.batch_time (ms): receive of a batch -> its delete sent",
        "<name>.workers (requests): time-average active workers (pollers)",
        "<name>.utilization (fraction): busy / active workers",
        "<name>.scale_outs, .scale_ins, .crashes (events)",
        "<name>.queue_retries, .target_retries / .function_retries, .target_errors.<cause> (requests)",
        "series: <name>.workers, .busy, .processed_per_s",
    ],
};

//! `stratus describe kinesis` and `stratus describe kinesis_consumer`: every parameter, what it
//! means and where its default comes from (the values themselves are the configuration's, in
//! `config.rs`), and the metrics reported.

use crate::model::{KindDoc, ParamDoc};

const KDSDG: &str = "KDSDG, quotas and limits; docs/models.md";

/// `stratus describe kinesis`.
pub const KINESIS_DOC: KindDoc = KindDoc {
    kind: "kinesis",
    summary: "Amazon Kinesis Data Streams. Requests Put, Write and Read are all PutRecord: the \
              request's key is the partition key, written as a decimal string and hashed with \
              MD5 to the shard whose hash-key range holds it (N shards split the 128-bit space \
              evenly, so zipf keys make hot shards); size is the payload. Each shard admits \
              1,000 records/s and 1 MiB/s (token buckets holding one second's worth); beyond, \
              the put is `throttled` and the producer's client policy retries it. Records over \
              max_record_size are `invalid`. `put_batch` > 1 groups puts into PutRecords calls \
              whose records fail alone. Consumers (kind = kinesis_consumer) read by GetRecords \
              (5 calls/s and 2 MiB/s per shard shared by all) or enhanced fan-out (pushed, \
              2 MiB/s per consumer per shard, at most 20). Records expire after `retention`; \
              those a consumer had not read are counted lost. `[[component.reshard]]` \
              tables schedule UpdateShardCount; `capacity_mode = \"on_demand\"` scales itself. \
              `poison_keys` mark records that fail every processing attempt. Billed (cost): provisioned shard-hours ($0.015) and PUT payload units ($0.014/million, one per record); enhanced fan-out consumers: consumer-shard-hours ($0.015).",
    params: &[
        ParamDoc {
            name: "shards",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "shards at creation (provisioned mode); CreateStream requires a count, 1 is the smallest",
            source: "Kinesis API, CreateStream",
        },
        ParamDoc {
            name: "capacity_mode",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "provisioned | on_demand (starts as 4 shards = 4 MiB/s, 4,000 records/s write, 8 MiB/s read; every 60 s, if the offered puts averaged more than half the capacity, doubles the shards, at most what twice the demand needs, after reshard_delay; never scales down)",
            source: "KDSDG, on-demand mode (4 MiB/s write, 8 MiB/s read at creation, scales with traffic); the 60 s period and the half-capacity rule are assumptions",
        },
        ParamDoc {
            name: "routing",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "md5: MD5 of the partition key (the key as a decimal string); explicit: the key is an explicit hash key's top 64 bits (key k at k*2^64, so floor(i*2^64/N) targets shard i of N)",
            source: "KDSDG, key concepts (partition key -> MD5 -> 128-bit hash key); Kinesis API ExplicitHashKey",
        },
        ParamDoc {
            name: "shard_write_records",
            default: ParamDoc::FROM_CONFIG,
            unit: "records/s",
            meaning: "write limit per shard (a token bucket holding one second's worth)",
            source: KDSDG,
        },
        ParamDoc {
            name: "shard_write_bytes",
            default: ParamDoc::FROM_CONFIG,
            unit: "size/s",
            meaning: "write limit per shard (a token bucket holding one second's worth)",
            source: KDSDG,
        },
        ParamDoc {
            name: "shard_read_bytes",
            default: ParamDoc::FROM_CONFIG,
            unit: "size/s",
            meaning: "shared-throughput read limit per shard, all consumers together (a bucket holding max_get_bytes: a 10 MiB call throttles the next 5 s)",
            source: KDSDG,
        },
        ParamDoc {
            name: "shard_read_calls",
            default: ParamDoc::FROM_CONFIG,
            unit: "calls/s",
            meaning: "GetRecords calls per shard, all consumers together (a bucket holding one second's worth)",
            source: KDSDG,
        },
        ParamDoc {
            name: "max_get_records",
            default: ParamDoc::FROM_CONFIG,
            unit: "records",
            meaning: "most records one GetRecords call returns",
            source: KDSDG,
        },
        ParamDoc {
            name: "max_get_bytes",
            default: ParamDoc::FROM_CONFIG,
            unit: "size",
            meaning: "most bytes one GetRecords call returns",
            source: KDSDG,
        },
        ParamDoc {
            name: "max_record_size",
            default: ParamDoc::FROM_CONFIG,
            unit: "size",
            meaning: "largest record (1 byte .. 10 MiB); larger puts are `invalid`",
            source: KDSDG,
        },
        ParamDoc {
            name: "retention",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "how long records are kept (24 h .. 365 days); a record a consumer had not read by then is lost to it (one it read and is still processing is not)",
            source: "KDSDG, data retention",
        },
        ParamDoc {
            name: "put_latency",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "PutRecord(s) service latency: the reply leaves and the record becomes readable after it",
            source: "assumption (AWS publishes no figure; CloudWatch PutRecord.Latency is commonly tens of ms)",
        },
        ParamDoc {
            name: "get_latency",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "GetRecords service latency",
            source: "assumption (AWS publishes no figure; CloudWatch GetRecords.Latency is commonly tens of ms)",
        },
        ParamDoc {
            name: "efo_push",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration distribution",
            meaning: "enhanced fan-out: delay from a record being readable to its push leaving the service",
            source: "assumption calibrated on KDSDG's ~70 ms enhanced fan-out propagation minus the 20 ms put latency",
        },
        ParamDoc {
            name: "put_batch",
            default: ParamDoc::FROM_CONFIG,
            unit: "records",
            meaning: "1: each put is a PutRecord call; B (2..500): puts are collected into PutRecords calls of up to B records or 5 MiB, each record admitted or throttled alone (the producer retries only the refused)",
            source: "Kinesis API, PutRecords (500 records, 5 MiB per call)",
        },
        ParamDoc {
            name: "linger",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "longest wait to fill a PutRecords call (put_batch > 1)",
            source: "KPL RecordMaxBufferedTime default",
        },
        ParamDoc {
            name: "poison_keys",
            default: ParamDoc::FROM_CONFIG,
            unit: "list of keys",
            meaning: "records with these keys fail every processing attempt: their batch is retried and blocks its shard",
            source: "-",
        },
        ParamDoc {
            name: "reshard",
            default: ParamDoc::FROM_CONFIG,
            unit: "list of tables",
            meaning: "scheduled UpdateShardCount calls: [[component.reshard]] at = \"10m\", shards = 8 (at most double, at least half; one at a time)",
            source: "Kinesis API, UpdateShardCount",
        },
        ParamDoc {
            name: "reshard_delay",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "time until a reshard takes effect: the open shards close, the new ones open; consumers finish parents before children",
            source: "Kinesis API, UpdateShardCount (\"a few minutes\"; 3 min is an assumption within it)",
        },
        ParamDoc {
            name: "series_shards",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "shards (the first by id) with their own series and totals",
            source: "assumption (a bound on the output)",
        },
    ],
    metrics: &[
        "<name>.put_latency (ms): service latency of accepted puts",
        "<name>.propagation (ms): ingestion -> a consumer has the record, per record (all consumers)",
        "<name>.end_to_end (ms): the producer's first attempt -> a consumer processed the record",
        "<name>.throughput (per_s): accepted records per second",
        "<name>.records_put, .put_calls, .put_attempts, .put_retries, .put_throttled, .put_too_large (requests)",
        "<name>.put_throttled_fraction, .first_attempt_throttled_fraction (fraction)",
        "<name>.get_calls, .get_throttled, .get_empty, .pushes, .efo_refused, .records_read (requests)",
        "<name>.records_processed, .records_dropped, .records_lost, .records_pending, .records_expired (requests): per consumer records_put = processed + dropped + lost + pending (summed over consumers)",
        "<name>.reshards (events), .open_shards, .hot_shard_share (fraction of records in the busiest shard)",
        "<name>.shard.* (requests): for each of the first series_shards shards i, .shard.<i>.records and .shard.<i>.throttled; series .shard.<i>.records_per_s and .shard.<i>.bytes_per_s",
        "series: <name>.incoming_records_per_s, .throttled_per_s, .max_shard_records_per_s (the hottest shard), .open_shards, .stored_records, .propagation_ms",
    ],
};

/// `stratus describe kinesis_consumer`.
pub const KINESIS_CONSUMER_DOC: KindDoc = KindDoc {
    kind: "kinesis_consumer",
    summary: "A consumer of a kinesis stream: a KCL application (mode = workers) or a Lambda event \
              source mapping (mode = lambda, one Op::Invoke per batch to `function`, key = \
              records, size = bytes). Every shard has its own loop: fetch (GetRecords at most \
              once per poll_interval, throttled calls backed off; or enhanced fan-out pushes), \
              process (workers: `process` per record, then a call per record to `target`; \
              lambda: up to parallelization_factor batches per shard at once), tell the stream, \
              checkpoint. A failed batch (a poisoned record, a function error, a failed target \
              call) blocks its shard and is retried after the backoff until it succeeds, its \
              records expire, or maximum_retry_attempts / maximum_record_age drop it (the \
              on-failure destination). Children of a reshard are read after their parents. A \
              crash fault (instance `main`) loses what the consumer held; it restarts from its \
              checkpoints (records processed since are processed again).",
    params: &[
        ParamDoc {
            name: "stream",
            default: "required",
            unit: "component name",
            meaning: "the kinesis stream read",
            source: "-",
        },
        ParamDoc {
            name: "mode",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "workers | lambda",
            source: "-",
        },
        ParamDoc {
            name: "fan_out",
            default: ParamDoc::FROM_CONFIG,
            unit: "name",
            meaning: "shared (GetRecords polling, sharing each shard's 5 calls/s and 2 MiB/s) | enhanced (pushed, 2 MiB/s of its own per shard; at most 20 per stream)",
            source: "KDSDG, enhanced fan-out",
        },
        ParamDoc {
            name: "poll_interval",
            default: ParamDoc::FROM_CONFIG,
            unit: "duration",
            meaning: "least time between two GetRecords calls of a shard's loop (the first at a random offset within one interval)",
            source: "KDSDG low latency: poll once per second, no faster than 200 ms; KCL idleTimeBetweenReadsInMillis 1,000 ms; Lambda polls each shard once per second",
        },
        ParamDoc {
            name: "max_records",
            default: "10000 (workers) / 100 (lambda)",
            unit: "records",
            meaning: "records per GetRecords call / batch",
            source: "KCL maxRecords default 10,000; Lambda BatchSize default 100",
        },
        ParamDoc {
            name: "process",
            default: "none (0)",
            unit: "duration distribution",
            meaning: "processing time of each record (workers)",
            source: "-",
        },
        ParamDoc {
            name: "target",
            default: "none",
            unit: "component name",
            meaning: "workers: a component called once per record (Op::Write, key = the sequence number) through the shared caller, after the batch's processing time",
            source: "-",
        },
        ParamDoc {
            name: "function",
            default: "none",
            unit: "component name",
            meaning: "lambda: the kind = lambda component invoked per batch",
            source: "-",
        },
        ParamDoc {
            name: "client",
            default: ParamDoc::FROM_CONFIG,
            unit: "table",
            meaning: "policy of the calls to target / function (`stratus describe client`)",
            source: "-",
        },
        ParamDoc {
            name: "backoff",
            default: ParamDoc::FROM_CONFIG,
            unit: "table",
            meaning: "{ base, cap }: full-jitter backoff after a throttled GetRecords (the SDK's 3 attempts: exponents 1, 2, then the next call after poll_interval) and between retries of a failed batch (exponent = attempts)",
            source: "the client policy's defaults (100 ms base assumption, 20 s cap of the AWS SDKs' standard retry mode)",
        },
        ParamDoc {
            name: "checkpoint_interval",
            default: "none (after every batch)",
            unit: "duration",
            meaning: "how often processed positions are checkpointed (counted in `checkpoints`: lease-table writes)",
            source: "-",
        },
        ParamDoc {
            name: "parallelization_factor",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "lambda: concurrent batches per shard (1..10)",
            source: "Lambda Developer Guide, Kinesis ParallelizationFactor",
        },
        ParamDoc {
            name: "maximum_retry_attempts",
            default: "none (retry until the records expire)",
            unit: "count",
            meaning: "retries of a failed batch before it is dropped to the on-failure count (0..10,000)",
            source: "Lambda MaximumRetryAttempts (default -1, infinite)",
        },
        ParamDoc {
            name: "maximum_record_age",
            default: "none (until the records expire)",
            unit: "duration",
            meaning: "a failing batch whose oldest record is older than this is dropped (>= 60 s)",
            source: "Lambda MaximumRecordAgeInSeconds (default -1, infinite)",
        },
        ParamDoc {
            name: "series_shards",
            default: ParamDoc::FROM_CONFIG,
            unit: "count",
            meaning: "shards (the first by id) with their own iterator-age series",
            source: "assumption (a bound on the output)",
        },
    ],
    metrics: &[
        "<name>.batch_latency (ms): a batch's arrival -> processed",
        "<name>.throughput (per_s): records processed per second",
        "<name>.records, .batches, .get_calls, .get_throttled, .get_empty, .pushes (requests)",
        "<name>.batch_failures, .batch_retries, .on_failure_records, .expired_records, .checkpoints, .errors (requests)",
        "<name>.crashes (requests): crash faults (fault instance `main`); after one the consumer resumes every shard from its last checkpoint; .duplicates (requests): records processed again after a restart",
        "<name>.iterator_age_max (s): the most any shard's loop was behind (age of its oldest unfinished record)",
        "<name>.blocked_shards (requests): shards blocked by a failing batch at the end",
        "<name>.call_retries, .call_errors (requests): of the calls to target / function",
        "series: <name>.iterator_age_ms (worst shard), .records_per_s, .blocked_shards",
        "<name>.shard.* (series): .shard.<i>.iterator_age_ms for each of the first series_shards shards i",
    ],
};

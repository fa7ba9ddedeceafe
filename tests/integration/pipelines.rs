//! The messaging kinds wired together as users wire them, with the real `lambda` kind behind the
//! event source mappings and SNS in front of real SQS queues (each kind's own tests use stand-ins
//! for the others): the bundled scenarios `lambda-sqs-vs-kinesis-failure.toml` and
//! `sns-fanout.toml`, shortened.

use crate::common::{metric, run};

/// The bundled scenario with its duration and replications cut, and `extra` appended.
fn scenario(file: &str, cuts: &[(&str, &str)], extra: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (from, to) in cuts {
        assert!(text.contains(from), "{file} no longer holds `{from}`");
        text = text.replacen(from, to, 1);
    }
    text.push_str(extra);
    text
}

#[test]
fn a_poisoned_message_goes_to_the_dlq_from_sqs_and_stalls_its_kinesis_shard() {
    let cuts = [("duration = \"10m\"", "duration = \"4m\""), ("replications = 3", "replications = 1")];
    let results = run("poison", &scenario("lambda-sqs-vs-kinesis-failure.toml", &cuts, ""));
    // Key 7 of 1,000 uniform keys at 50 messages/s: one poisoned message every 20 s on average,
    // ~10.5 over the measured 210 s. Each is received 3 times, 30 s apart, before the DLQ, so
    // those sent in the last ~60 s are still in the queue: expect 7–8 dead-lettered, and allow
    // the Poisson spread of the count (sd ≈ 2.8): 1 to 16.
    let dead = metric(&results, "orders_queue.dead_lettered").mean;
    assert!((1.0..=16.0).contains(&dead), "dead-lettered {dead}");
    // Everything else flows: the queue's consumers deleted all but the poisoned messages and
    // those in flight at the end.
    let sent = metric(&results, "orders_queue.sent").mean;
    let deleted = metric(&results, "orders_queue.deleted").mean;
    assert!(deleted > 0.99 * sent - 20.0, "deleted {deleted} of {sent}");
    // Kinesis: the shard that got key 7 is blocked for good, its consumer ever further behind
    // (at least the time since the first poisoned record, most of the run), the other shard
    // current; about half the records are never processed.
    assert_eq!(metric(&results, "stream_consumer.blocked_shards").mean, 1.0);
    let age = metric(&results, "stream_consumer.iterator_age_max").mean;
    assert!(age > 120.0, "iterator age {age} s after 4 minutes");
    let processed = metric(&results, "stream_consumer.records").mean;
    let put = metric(&results, "orders_stream.records_put").mean;
    assert!(processed < 0.75 * put && processed > 0.25 * put, "processed {processed} of {put}");

    // The fix: a retry limit drops the poisoned batch and the shard moves on.
    let fixed = scenario(
        "lambda-sqs-vs-kinesis-failure.toml",
        &[cuts[0], cuts[1], ("poll_interval = \"1s\"", "poll_interval = \"1s\"\nmaximum_retry_attempts = 2")],
        "",
    );
    let results = run("poison-fixed", &fixed);
    assert_eq!(metric(&results, "stream_consumer.blocked_shards").mean, 0.0);
    assert!(metric(&results, "stream_consumer.iterator_age_max").mean < 10.0);
    assert!(metric(&results, "stream_consumer.on_failure_records").mean > 0.0);
}

#[test]
fn sns_delivers_every_message_to_each_queue_its_filter_lets_through() {
    let cuts = [
        ("duration = \"10m\"", "duration = \"2m\""),
        ("warmup = \"1m\"", "warmup = \"10s\""),
        ("replications = 3", "replications = 1"),
        ("at = \"4m\"", "at = \"40s\""),
        ("duration = \"1m\"", "duration = \"20s\""),
        ("[5, 6, 8, 10]", "[8]"),
    ];
    let results = run("fanout", &scenario("sns-fanout.toml", &cuts, ""));
    let published = metric(&results, "orders.published").mean;
    let billing = metric(&results, "billing.sent").mean;
    let fraud = metric(&results, "fraud.sent").mean;
    // Billing has no filter: every message published (less those still being delivered at the
    // end, ~20 ms × 2,000/s ≈ 40). Fraud keeps keys below 200 of 1,000 uniform keys: 0.2 of
    // them, ± 4 sd of a binomial share over ~220,000 messages (sd ≈ 0.00085).
    assert!(billing <= published && billing > published - 200.0, "billing got {billing} of {published}");
    let share = fraud / billing;
    assert!((share - 0.2).abs() < 0.0035, "fraud share {share}");
    // The billing workers' outage left a backlog that the 8 workers drained by the end.
    assert!(metric(&results, "billing.oldest_age_max").mean >= 19.0);
    assert!(metric(&results, "billing.visible_at_end").mean < 500.0);
}

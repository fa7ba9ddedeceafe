//! Amazon SNS (`kind = "sns"`): fan-out to two subscribers (stations standing in for SQS
//! queues: a station serves any operation, a delivery's `send` included), conservation of
//! messages, the share a filter policy passes, the publisher answered on acceptance rather
//! than delivery, deliveries retried through a subscriber's crash, `stratus describe sns`,
//! and malformed tables.
//!
//! Every run uses a fixed seed; every tolerance is derived in a comment.

use std::path::Path;
use std::process::Command;

use stratus::experiment::ExperimentResults;
use stratus::scenario::{Scenario, ScenarioError};
use stratus::services::sns::SNS_DOC;

use crate::common::{metric, run};

fn mean(results: &ExperimentResults, name: &str) -> f64 {
    metric(results, name).mean
}

/// Publishes at 200/s of uniform keys over 0..1000 for 60 s (no warm-up, so every message
/// measured was published in the window) to a topic with subscribers q1 and q2 (stations of
/// 4 servers, 1 ms: utilization 5%).
fn fanout(topic_extra: &str, faults: &str) -> String {
    format!(
        r#"
name = "sns-fanout"
[simulation]
duration = "60s"
warmup = 0
replications = 2
seed = 13
[[component]]
name = "topic"
kind = "sns"
subscribers = ["q1", "q2"]
{topic_extra}
[[component]]
name = "q1"
kind = "station"
servers = 4
service = {{ dist = "exponential", mean = "1ms" }}
[[component]]
name = "q2"
kind = "station"
servers = 4
service = {{ dist = "exponential", mean = "1ms" }}
[[workload]]
name = "publishers"
target = "topic"
arrival = {{ process = "poisson", rate = 200 }}
keys = {{ popularity = "uniform", n = 1000 }}
{faults}
"#
    )
}

/// Conservation: every message published is delivered to each subscriber, or its delivery is
/// still under way at the end (`in_flight` bounds those: at 200/s and ~20 ms of latency a
/// handful), and never twice (no subscriber loses an acknowledgement here).
fn assert_all_delivered(results: &ExperimentResults, subscriber: &str) {
    let published = mean(results, "topic.published");
    let in_flight = mean(results, "topic.in_flight");
    let delivered = mean(results, &format!("topic.delivered.{subscriber}"));
    assert!(published > 10_000.0, "{published} published");
    assert!(
        delivered <= published && delivered >= published - in_flight,
        "{subscriber}: {delivered} delivered of {published} published ({in_flight} in flight)"
    );
}

#[test]
fn every_subscriber_receives_every_message_and_the_publisher_does_not_wait_for_delivery() {
    let results = run("sns-fanout", &fanout("", ""));
    assert_all_delivered(&results, "q1");
    assert_all_delivered(&results, "q2");
    assert_eq!(mean(&results, "topic.filtered_out"), 0.0);
    assert_eq!(mean(&results, "topic.delivery_failures"), 0.0);
    // The stations served each delivery: their completions match the deliveries.
    let served = mean(&results, "q1.throughput") * 60.0;
    let delivered = mean(&results, "topic.delivered.q1");
    assert!((served - delivered).abs() < 1.0, "q1 served {served}, topic delivered {delivered}");
    // The publisher's latency is one round trip to the topic (acceptance); the delivery's
    // is the 20 ms mean delivery latency plus the network and the station: far longer.
    let publish = metric(&results, "publishers.latency").mean;
    let delivery = metric(&results, "topic.delivery_latency").mean;
    assert!(publish < 2.0, "publish latency {publish} ms");
    assert!((20.0..25.0).contains(&delivery), "delivery latency {delivery} ms (20 ms + network + 1 ms service)");
}

/// q1 takes keys with key mod 10 in {0, 1, 2} (30% pass), q2 keys below 250 (25% pass).
/// Uniform keys: the filtered share is binomial over ~24,000 publishes (2 replications):
/// σ = √(p(1−p)/N) ≈ 0.003; 0.012 is 4σ.
#[test]
fn a_filter_policy_passes_the_share_it_selects() {
    let filters = "filters.q1 = { key_modulo = 10, remainders = [0, 1, 2] }\nfilters.q2 = { key_below = 250 }";
    let results = run("sns-filter", &fanout(filters, ""));
    let published = mean(&results, "topic.published");
    for (subscriber, passed) in [("q1", 0.30), ("q2", 0.25)] {
        let share = mean(&results, &format!("topic.filtered_share.{subscriber}"));
        assert!(
            (share - (1.0 - passed)).abs() < 0.012,
            "{subscriber}: filtered {share:.4}, policy {:.2}",
            1.0 - passed
        );
        let delivered = mean(&results, &format!("topic.delivered.{subscriber}"));
        let filtered = mean(&results, &format!("topic.filtered_out.{subscriber}"));
        let in_flight = mean(&results, "topic.in_flight");
        assert!(delivered + filtered <= published && delivered + filtered >= published - in_flight);
    }
}

/// q2 is down from 20 s to 30 s. Its deliveries time out (1 s per attempt) and are retried
/// with backoffs of at most 20 s, so every one lands once it is back: nothing is lost, the
/// delivery latency's tail reaches seconds, and q1 is not held up.
#[test]
fn deliveries_are_retried_through_a_subscribers_crash() {
    let fault = "[[fault]]\naction = \"crash\"\ntarget = \"q2\"\nat = \"20s\"\nduration = \"10s\"";
    let results = run("sns-retry", &fanout("delivery = { timeout = \"1s\" }", fault));
    crate::lambda::assert_documented(&results, "topic", &SNS_DOC);
    assert_all_delivered(&results, "q1");
    assert_all_delivered(&results, "q2");
    // ~2,000 deliveries published during the outage fail at least once.
    let retries = mean(&results, "topic.delivery_retries.q2");
    assert!(retries > 1500.0, "{retries} retries");
    assert_eq!(mean(&results, "topic.delivery_retries.q1"), 0.0);
    let p99 = metric(&results, "topic.delivery_latency.q2").percentiles.expect("latency").p99;
    assert!(p99 > 1000.0, "q2's p99 {p99} ms includes the outage");
    let q1 = metric(&results, "topic.delivery_latency.q1").percentiles.expect("latency").p99;
    assert!(q1 < 100.0, "q1's p99 {q1} ms");
}

/// A function subscribed with `protocol = "lambda"` gets one invoke per message. With
/// reserved concurrency 15 at a = 200/s × 50 ms = 10 Erlang, B(15, 10) ≈ 3.7% of attempts
/// are throttled; SNS retries each (after ≤ 1 s), so every message still reaches the function,
/// and the retries equal the function's throttles (up to the replies in flight at the end).
/// The retries add ~4% to the offered load (and are not Poisson), so the share sits a little
/// above B; 1 point of tolerance covers that and the sampling noise (~30,000 attempts per
/// replication, σ ≈ 0.2 point).
#[test]
fn a_lambda_subscriber_is_invoked_per_message_and_throttled_deliveries_are_retried() {
    let toml = r#"
name = "sns-lambda"
[simulation]
duration = "60s"
warmup = 0
replications = 2
seed = 13
[[component]]
name = "topic"
kind = "sns"
subscribers = ["q1", "fn"]
protocols.fn = "lambda"
[[component]]
name = "q1"
kind = "station"
servers = 4
service = { dist = "exponential", mean = "1ms" }
[[component]]
name = "fn"
kind = "lambda"
duration = { dist = "exponential", mean = "50ms" }
reserved_concurrency = 15
provisioned_concurrency = 15
[[workload]]
name = "publishers"
target = "topic"
arrival = { process = "poisson", rate = 200 }
"#;
    let results = run("sns-lambda", toml);
    assert_all_delivered(&results, "q1");
    assert_all_delivered(&results, "fn");
    let throttles = mean(&results, "fn.throttles");
    let retries = mean(&results, "topic.delivery_retries.fn");
    let attempts = mean(&results, "fn.invocations") + throttles;
    assert!((throttles / attempts - 0.0365).abs() < 0.01, "throttled share {}", throttles / attempts);
    assert!((retries - throttles).abs() <= 5.0, "retries {retries}, throttles {throttles}");
    assert_eq!(mean(&results, "fn.invalid"), 0.0, "deliveries to the function are invokes");
}

#[test]
fn describe_sns_lists_every_parameter_with_its_source() {
    let output = Command::new(env!("CARGO_BIN_EXE_stratus")).args(["describe", "sns"]).output().expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    for param in SNS_DOC.params {
        assert!(text.contains(param.name), "`{}` missing from:\n{text}", param.name);
        let default = stratus::services::registry::default_text("sns", param);
        assert!(text.contains(&default), "default of `{}` ({default}) missing", param.name);
    }
    assert_eq!(text.matches("source:").count(), SNS_DOC.params.len());
    assert!(text.contains("100,015 attempts") && text.contains("assumption"));
}

/// Loads `toml` and returns the diagnostic it must be rejected with.
fn rejection(toml: &str) -> (usize, usize, String) {
    match Scenario::from_source("bad.toml", toml, Path::new("."), &[]) {
        Err(ScenarioError::Invalid(diagnostic)) => (diagnostic.line, diagnostic.column, diagnostic.message.clone()),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("accepted:\n{toml}"),
    }
}

#[test]
fn malformed_sns_tables_are_rejected_at_the_right_line() {
    // Lines: 1 name, 2 [simulation], 3 duration, 4 [[component]], 5 name, 6 kind,
    // 7 subscribers, 8 the line under test.
    let table = |subscribers: &str, line: &str| {
        format!(
            "name = \"bad\"\n[simulation]\nduration = \"10s\"\n[[component]]\nname = \"topic\"\nkind = \"sns\"\nsubscribers = {subscribers}\n{line}\n[[component]]\nname = \"q\"\nkind = \"station\"\nservice = \"1ms\"\n[[workload]]\nname = \"w\"\ntarget = \"topic\"\narrival = {{ process = \"poisson\", rate = 1 }}\n"
        )
    };
    for (subscribers, line, at, fragment) in [
        ("[\"nowhere\"]", "", (7, 15), "no component is called `nowhere`"),
        ("[]", "", (7, 15), "at least one subscriber"),
        ("[\"q\"]", "filters.r = { keys = [1] }", (8, 13), "not a subscriber of this topic"),
        ("[\"q\"]", "filters.q = { key_modulo = 3, remainders = [5] }", (8, 44), "not below `key_modulo`"),
        ("[\"q\"]", "filters.q = { key_above = 3 }", (8, 15), "unknown field `key_above`"),
        ("[\"q\"]", "publish_rate = -5.0", (8, 16), "a rate above 0"),
    ] {
        let (line_at, column, message) = rejection(&table(subscribers, line));
        assert!(message.contains(fragment), "`{line}`: {message}");
        assert_eq!((line_at, column), at, "`{subscribers}` / `{line}`: {message}");
    }
}

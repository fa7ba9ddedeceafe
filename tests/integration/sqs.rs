//! SQS: the queue and its consumers against queueing theory and their invariants.
//!
//! - c long-polling workers, Poisson sends, exponential processing: M/M/c (Erlang C);
//! - conservation (sent = deleted + in queue + dead-lettered + expired) with no faults and
//!   under consumer crashes, no duplicates when the visibility timeout is far above the
//!   processing tail, FIFO order within message groups;
//! - short polling against long polling at low load;
//! - a poisoned message reaching the dead-letter queue after maxReceiveCount;
//! - `stratus describe` and located errors for bad parameters.
//!
//! Every scenario has a fixed seed; tolerances are derived in the comments.

use stratus::experiment::ExperimentResults;
use stratus::services::registry::kind_doc;

use crate::analytic::{erlang_c, widen_to_999};
use crate::cli::stratus;
use crate::common::{metric, per_replication, run};

/// The value of `name` in each replication, with the other metrics' values of the same
/// replication at the same index.
fn reps(results: &ExperimentResults, name: &str) -> Vec<f64> {
    per_replication(results, name)
}

/// Asserts that the theory lies in the 99.9% Student-t interval of `name` over the
/// replications (widened by `bias`, relative), and that the 95% half-width is below
/// `max_half` of the theory so the check cannot pass vacuously. A correct model fails one such
/// check with probability 0.1%.
fn check_interval(results: &ExperimentResults, name: &str, theory: f64, bias: f64, max_half: f64) {
    let m = metric(results, name);
    let half95 = (m.ci95_high - m.ci95_low) / 2.0;
    let allowed = half95 * widen_to_999(m.replications) + bias * theory;
    println!("[sqs] {name}: theory {theory:.4}, measured {:.4} ± {half95:.4} (95%), allowed {allowed:.4}", m.mean);
    assert!(half95 <= max_half * theory, "{name}: 95% half-width {half95} above {max_half} of {theory}");
    assert!((m.mean - theory).abs() <= allowed, "{name}: {} is not {theory} within {allowed}", m.mean);
}

const MMC: &str = r#"
name = "sqs-mmc"
[simulation]
duration = "110s"
warmup = "10s"
replications = 10
seed = 41

[topology]
same_az_rtt = "0"

[[component]]
name = "q"
kind = "sqs"

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
workers = 4
max_messages = 1
wait_time = "20s"
process = { dist = "exponential", mean = "10ms" }

[[workload]]
name = "p"
target = "q"
arrival = { process = "poisson", rate = 300 }
"#;

/// Four long-polling workers taking one message at a time, Poisson sends at 300/s and
/// exponential processing of mean 10 ms: M/M/4 with a = 3, ρ = 0.75. With a zero network
/// delay the model adds no polling overhead: an idle worker's receive waits at the queue
/// (long poll) and is answered the instant a message arrives, and a worker that finishes
/// deletes and receives again at the same instant, so the queue wait (send → first receive) is
/// the M/M/c wait and the end-to-end latency (send → delete) its sojourn. Over a network with
/// one-way delay d a busy worker would spend 2d more per message (the delete's round trip) and
/// d more before its first message after idling: then the servers' effective mean is
/// 10 ms + 2d, which is the stated overhead, not tested here.
///
/// Erlang C(4, 3) = 0.5094, Wq = C / (cμ − λ) = 0.5094 / 100 s = 5.094 ms, W = 15.094 ms,
/// Lq = λ Wq = 1.528 (the time-average of visible messages), utilization ρ = 0.75.
/// Each replication measures 100 s (30,000 messages); the warm-up bias bound of the analytic
/// module, cμ(Ca² + Cs²)/(cμ − λ)²/T = 400·2/100²/100 = 0.08%, is allowed for.
#[test]
fn long_polling_consumers_match_erlang_c() {
    let results = run("sqs-mmc.toml", MMC);
    let (servers, lambda, mu) = (4u32, 300.0, 100.0);
    let c = erlang_c(servers, lambda / mu);
    let wq = c / (f64::from(servers) * mu - lambda);
    let bias = 400.0 * 2.0 / (100.0f64 * 100.0) / 100.0;
    check_interval(&results, "q.queue_wait", 1000.0 * wq, bias, 0.06);
    check_interval(&results, "q.end_to_end", 1000.0 * (wq + 1.0 / mu), bias, 0.03);
    check_interval(&results, "q.visible", lambda * wq, bias, 0.06);
    check_interval(&results, "c.utilization", lambda / mu / f64::from(servers), bias, 0.02);
    // Nothing is lost or duplicated, and with long polling no receive comes back empty while
    // messages arrive every 3 ms on average (a wait of 20 s never runs out).
    assert_eq!(metric(&results, "q.duplicates").mean, 0.0);
    assert_eq!(metric(&results, "q.empty_receives").mean, 0.0);
}

/// A conservation scenario: sends for 40 s, then none; the run ends at 80 s, so every message
/// has been deleted by then (processing 10 ms, 4 workers at ρ = 0.5).
fn conservation_toml(queue_extra: &str, consumer_extra: &str, faults: &str) -> String {
    format!(
        r#"
name = "sqs-conservation"
[simulation]
duration = "80s"
replications = 4
seed = 7

[[component]]
name = "q"
kind = "sqs"
{queue_extra}

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
workers = 4
max_messages = 10
process = {{ dist = "exponential", mean = "10ms" }}
{consumer_extra}

[[workload]]
name = "p"
target = "q"
keys = {{ popularity = "uniform", n = 1000 }}
arrival = {{ process = "step", rate = 200, steps = [{{ at = "40s", rate = 0 }}] }}
{faults}
"#
    )
}

/// Per replication: sent = deleted + still stored + dead-lettered + expired, exactly.
fn assert_conserved(results: &ExperimentResults) {
    let sent = reps(results, "q.sent");
    let deleted = reps(results, "q.deleted");
    let in_queue = reps(results, "q.in_queue");
    let dlq = reps(results, "q.dead_lettered");
    let expired = reps(results, "q.expired");
    for r in 0..sent.len() {
        assert!(sent[r] > 0.0);
        assert_eq!(sent[r], deleted[r] + in_queue[r] + dlq[r] + expired[r], "replication {r}");
    }
}

/// Standard and FIFO queues without faults, visibility 30 s against an exponential 10 ms
/// processing time (P(S > 30 s) = e^−3000: never): every message is processed exactly once
/// and deleted, none is delivered twice, and a FIFO queue delivers each group in send order.
/// The standard queue (8 servers, receives of 10 across them) reorders messages, which shows
/// that the order check can fail.
#[test]
fn conservation_exactly_once_without_faults_and_fifo_order() {
    for fifo in [false, true] {
        let queue = if fifo { "fifo = true\nmessage_groups = 8" } else { "" };
        let results = run("sqs-conservation.toml", &conservation_toml(queue, "", ""));
        assert_conserved(&results);
        let sent = reps(&results, "q.sent");
        assert_eq!(reps(&results, "q.deleted"), sent, "every message deleted by the end");
        assert_eq!(reps(&results, "c.processed"), sent, "every message processed exactly once");
        for zero in ["q.duplicates", "q.redeliveries", "q.dead_lettered", "q.late_deletes", "c.failed"] {
            assert!(reps(&results, zero).iter().all(|&v| v == 0.0), "{zero} (fifo {fifo})");
        }
        let inversions = metric(&results, "q.order_inversions").mean;
        if fifo {
            assert_eq!(inversions, 0.0, "a FIFO group is delivered in send order");
        } else {
            assert!(inversions > 100.0, "a standard queue's order is best effort: {inversions}");
        }
    }
}

/// Consumers crash (each worker: up for exp(15 s), down for exp(3 s)) while holding batches:
/// their messages come back after the 5 s visibility timeout and are processed by others.
/// Nothing is lost: sent = deleted + in queue + DLQ, and with sends over at 40 s and 40 s
/// left, everything is deleted by the end; some messages were delivered again.
#[test]
fn conservation_under_consumer_crashes() {
    let faults = r#"
[[fault]]
action = "crash"
target = "c"
instance = "*"
mtbf = { dist = "exponential", mean = "15s" }
mttr = { dist = "exponential", mean = "3s" }
"#;
    let results = run("sqs-crashes.toml", &conservation_toml("visibility_timeout = \"5s\"", "", faults));
    assert_conserved(&results);
    assert_eq!(reps(&results, "q.deleted"), reps(&results, "q.sent"), "everything deleted after the crashes");
    assert!(metric(&results, "c.crashes").mean > 5.0);
    assert!(metric(&results, "q.redeliveries").mean > 0.0, "crashed workers' messages were delivered again");
    let processed = reps(&results, "c.processed");
    let deleted = reps(&results, "q.deleted");
    assert!(processed.iter().zip(&deleted).all(|(p, d)| p >= d), "processed at least once");
}

/// At 2 messages/s, two workers with 10 ms processing. Long polling (20 s): an idle worker's
/// receive waits at the queue and gets each message on arrival, so the end-to-end latency is
/// about the processing time, and a receive comes back empty only if 20 s pass without a
/// message (P = e^−40 per wait: never). Short polling samples 2 of the 8 servers: a message
/// is seen with probability 1/4 per poll, and each worker polls again 100 ms after an empty
/// receive, so a message waits about 4 polls of the pair, ≈ 4 × 50 ms on average, and about
/// 20 polls/s return empty. We assert the direction with wide margins: short polling's empty
/// receives exceed 10/s and its mean latency exceeds long polling's by more than 80 ms.
#[test]
fn short_polling_returns_empty_and_waits_longer_than_long_polling() {
    let toml = |wait: &str| {
        format!(
            r#"
name = "sqs-polling"
[simulation]
duration = "60s"
replications = 3
seed = 9

[[component]]
name = "q"
kind = "sqs"

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
workers = 2
wait_time = "{wait}"
process = {{ dist = "exponential", mean = "10ms" }}

[[workload]]
name = "p"
target = "q"
arrival = {{ process = "poisson", rate = 2 }}
"#
        )
    };
    let long = run("long.toml", &toml("20s"));
    let short = run("short.toml", &toml("0s"));
    let per_s = |results: &ExperimentResults| metric(results, "q.empty_receives").mean / 60.0;
    let latency = |results: &ExperimentResults| metric(results, "q.end_to_end").mean;
    println!(
        "[sqs] empty receives/s: short {:.1}, long {:.3}; end-to-end ms: short {:.1}, long {:.1}",
        per_s(&short),
        per_s(&long),
        latency(&short),
        latency(&long)
    );
    assert!(per_s(&short) > 10.0 && per_s(&long) < 0.1);
    assert!(latency(&long) < 15.0, "long polling adds nothing but the network to 10 ms");
    assert!(latency(&short) > latency(&long) + 80.0);
    assert!(metric(&short, "q.api_requests").mean > 10.0 * metric(&long, "q.api_requests").mean / 3.0);
}

/// Key 7 of 100 is poisoned: its messages fail every processing attempt, are not deleted,
/// come back after the 2 s visibility timeout and, after 3 receives, move to the dead-letter
/// queue. Sends at 20/s for 30 s put about 6 poisoned messages in; each is received exactly 3
/// times (3 failures, 2 redeliveries), every other message once; nothing else is lost.
#[test]
fn a_poisoned_message_moves_to_the_dead_letter_queue_after_max_receive_count() {
    let toml = r#"
name = "sqs-poison"
[simulation]
duration = "45s"
replications = 3
seed = 3

[[component]]
name = "q"
kind = "sqs"
visibility_timeout = "2s"
dead_letter = { max_receive_count = 3 }
poison_keys = [7]

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
workers = 2
process = { dist = "exponential", mean = "5ms" }

[[workload]]
name = "p"
target = "q"
keys = { popularity = "uniform", n = 100 }
arrival = { process = "step", rate = 20, steps = [{ at = "30s", rate = 0 }] }
"#;
    let results = run("sqs-poison.toml", toml);
    assert_conserved(&results);
    let dlq = reps(&results, "q.dead_lettered");
    let poisoned = reps(&results, "c.poisoned");
    let redeliveries = reps(&results, "q.redeliveries");
    let in_queue = reps(&results, "q.in_queue");
    for r in 0..dlq.len() {
        assert!(dlq[r] > 0.0, "replication {r}: poisoned messages were sent");
        assert_eq!(poisoned[r], 3.0 * dlq[r], "three failed attempts each");
        assert_eq!(redeliveries[r], 2.0 * dlq[r], "delivered twice more each");
        assert_eq!(in_queue[r], 0.0);
    }
}

/// `stratus describe` lists every parameter of both kinds with its default and source.
#[test]
fn describe_lists_every_parameter() {
    for kind in ["sqs", "sqs_consumer"] {
        let outcome = stratus(["describe", kind]).success();
        let doc = kind_doc(kind).expect("documented");
        for param in doc.params {
            assert!(outcome.stdout.contains(param.name), "{kind}: {} missing:\n{}", param.name, outcome.stdout);
            assert!(!param.source.is_empty());
        }
        assert!(outcome.stdout.contains("1MiB") || kind != "sqs", "the size default is printed");
    }
}

/// Every metric and series a queue and its consumer emit is in `stratus describe`.
#[test]
fn every_emitted_metric_is_described() {
    let results = run("sqs-conservation.toml", &conservation_toml("", "", ""));
    let point = &results.points[0];
    for name in point.metrics.iter().map(|m| m.name.clone()).chain(point.series.names.iter().cloned()) {
        let (owner, quantity) = name.split_once('.').expect("<owner>.<quantity>");
        let kind = match owner {
            "q" => "sqs",
            "c" => "sqs_consumer",
            _ => continue,
        };
        let text = kind_doc(kind).unwrap().metrics.join("\n");
        let family = quantity.split('.').next().unwrap_or(quantity);
        let needle = format!(".{family}");
        let found = text.match_indices(&needle).any(|(at, _)| {
            text[at + needle.len()..].chars().next().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        });
        assert!(found, "{name} is emitted but not described");
    }
}

/// Bad parameters are located errors, never panics.
#[test]
fn bad_parameters_are_located_errors() {
    let cases = [
        ("max_message_size = \"2MiB\"", "", "1 MiB"),
        ("visibility_timeout = \"13h\"", "", "12h"),
        ("dead_letter = { max_receive_count = 0 }", "", "maxReceiveCount"),
        ("delay = \"901s\"", "", "900s"),
        ("high_throughput = true", "", "FIFO queues only"),
        ("", "wait_time = \"21s\"", "WaitTimeSeconds"),
        ("", "target_op = \"delete\"", "unknown operation"),
        ("", "mode = \"lambda\"", "function"),
        ("", "queue_client = { timeout = \"5s\" }", "longer than the long poll"),
    ];
    for (queue, consumer, fragment) in cases {
        let toml = conservation_toml(queue, consumer, "");
        let error = stratus::scenario::Scenario::from_source("bad.toml", &toml, std::path::Path::new("."), &[])
            .err()
            .unwrap_or_else(|| panic!("`{queue}{consumer}` should be refused"))
            .to_string();
        assert!(error.contains(fragment), "`{queue}{consumer}`: {error}");
        assert!(error.starts_with("bad.toml:"), "located: {error}");
        println!("[sqs] {error}");
    }
}

/// Lambda mode against a stand-in for a `kind = "lambda"` function (not in this branch): a
/// station of 1,000 servers taking 200 ms per invocation, so concurrency is never refused.
/// 2,000 messages/s in batches of 10 need 200 batches/s × 0.2 s = 40 concurrent batches. The
/// mapping starts with 5 pollers and adds 5 a second while at least half the receives come
/// back full (300 a minute), so it passes 40 after about 7 s and goes on adding while the
/// backlog built during the ramp keeps batches full (50 at 10 s, about 80 at 30 s); then it
/// stops: pollers beyond the need get small batches (a poller retires only on an empty
/// receive, which a 20 s long poll at 2,000 messages/s never is). Sends stop at 50 s; by 75 s everything is deleted or, for the
/// poisoned key (whose batch fails as a whole each time), in the DLQ after 3 receives of 5 s
/// visibility each (15 s); conservation holds throughout.
#[test]
fn lambda_event_source_mapping_scales_and_fails_whole_batches() {
    let toml = r#"
name = "sqs-lambda"
[simulation]
duration = "75s"
replications = 2
seed = 13
sample_interval = "1s"

[[component]]
name = "q"
kind = "sqs"
visibility_timeout = "5s"
dead_letter = { max_receive_count = 3 }
poison_keys = [3]

[[component]]
name = "fn"
kind = "station"
servers = 1000
service = "200ms"

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
mode = "lambda"
function = "fn"

[[workload]]
name = "p"
target = "q"
keys = { popularity = "uniform", n = 10000 }
arrival = { process = "step", rate = 2000, steps = [{ at = "50s", rate = 0 }] }
"#;
    let results = run("sqs-lambda.toml", toml);
    assert_conserved(&results);
    let sent = reps(&results, "q.sent");
    let deleted = reps(&results, "q.deleted");
    let dlq = reps(&results, "q.dead_lettered");
    for r in 0..sent.len() {
        assert_eq!(deleted[r] + dlq[r], sent[r], "replication {r}: all worked off by the end");
        assert!(dlq[r] >= 1.0, "the poisoned key's messages reached the DLQ");
    }
    assert!(metric(&results, "c.poisoned").mean > 0.0);
    let series = &results.points[0].series;
    let column = series.names.iter().position(|n| n == "c.workers").expect("c.workers series");
    let at = |second: usize| series.values[second * series.names.len() + column];
    println!("[sqs] lambda pollers at 1 s {:.1}, 4 s {:.1}, 10 s {:.1}, 30 s {:.1}", at(0), at(3), at(9), at(29));
    assert!(at(0) <= 10.0, "starts near 5 pollers: {}", at(0));
    assert!((25.0..=100.0).contains(&at(29)), "about 40 pollers at steady state: {}", at(29));
    assert!(at(3) < at(9), "ramping up");
}

/// Target tracking: one worker to start, 200 messages/s of 10 ms each (2 workers' worth,
/// so one falls behind by 100/s), a target of 20 visible messages per worker read every 10 s,
/// 5 s launch delay, 20 s cooldown, at most 8 workers. The backlog grows, the group scales out
/// at once to what the backlog asks for, works it off, then scales in one worker per action
/// (gradually, as target tracking does) until the backlog grows again: the worker count stays
/// at 2 or more after the first scale-out and the backlog stays bounded.
#[test]
fn autoscaling_tracks_the_backlog_per_worker() {
    let toml = r#"
name = "sqs-autoscaling"
[simulation]
duration = "240s"
replications = 2
seed = 19
sample_interval = "10s"

[[component]]
name = "q"
kind = "sqs"

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
workers = 1
max_messages = 10
process = { dist = "exponential", mean = "10ms" }
autoscaling = { target_backlog_per_worker = 20, min_workers = 1, max_workers = 8, interval = "10s", delay = "5s", cooldown = "20s" }

[[workload]]
name = "p"
target = "q"
arrival = { process = "poisson", rate = 200 }
"#;
    let results = run("sqs-autoscaling.toml", toml);
    assert!(metric(&results, "c.scale_outs").mean >= 1.0);
    let series = &results.points[0].series;
    let workers = series.names.iter().position(|n| n == "c.workers").unwrap();
    let visible = series.names.iter().position(|n| n == "q.visible").unwrap();
    let row = |r: usize, c: usize| series.values[r * series.names.len() + c];
    let rows = series.values.len() / series.names.len();
    println!("[sqs] workers by 10 s: {:?}", (0..rows).map(|r| row(r, workers).round() as i64).collect::<Vec<_>>());
    assert_eq!(row(0, workers), 1.0, "one worker at first");
    let later: Vec<f64> = (6..rows).map(|r| row(r, workers)).collect();
    assert!(later.iter().all(|&w| w >= 1.9), "never back below the need: {later:?}");
    assert!(later.iter().all(|&w| w <= 8.0));
    let backlog = (6..rows).map(|r| row(r, visible)).fold(0.0, f64::max);
    assert!(backlog < 2000.0, "the backlog stays bounded: {backlog}");
    assert!(metric(&results, "c.scale_ins").mean >= 1.0);
}

/// A heartbeat (ChangeMessageVisibility every 5 s to 15 s) keeps a message whose processing
/// (constant 12 s) outlasts the 10 s visibility timeout from being delivered twice; without
/// it every message is processed twice at least.
#[test]
fn a_heartbeat_prevents_duplicates_when_processing_outlasts_the_timeout() {
    let toml = |extra: &str| {
        format!(
            r#"
name = "sqs-heartbeat"
[simulation]
duration = "120s"
replications = 1
seed = 5

[[component]]
name = "q"
kind = "sqs"
visibility_timeout = "10s"

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
workers = 4
process = "12s"
{extra}

[[workload]]
name = "p"
target = "q"
arrival = {{ process = "step", rate = 0.2, steps = [{{ at = "60s", rate = 0 }}] }}
"#
        )
    };
    let with = run("with.toml", &toml("heartbeat = \"5s\"\nvisibility_extension = \"15s\""));
    let without = run("without.toml", &toml(""));
    assert_eq!(metric(&with, "q.duplicates").mean, 0.0);
    assert!(metric(&with, "q.visibility_changes").mean > 0.0);
    assert_eq!(metric(&with, "q.deleted").mean, metric(&with, "q.sent").mean);
    assert!(metric(&without, "q.duplicates").mean >= metric(&without, "q.sent").mean * 0.5);
}

/// A function that refuses invocations over its concurrency (a stand-in: a station of 2
/// servers with no waiting room, 100 ms per batch, answering `rejected`): a refused batch is
/// not deleted, comes back after the 2 s visibility timeout and is retried by a later poll, so
/// nothing is lost and everything is processed once sends stop. The 5 pollers' long polls
/// return as soon as one message is there (no batching window), so batches are small and the
/// function's 20 invocations/s bound the rate near 20 messages/s: 30/s for 20 s (600
/// messages) is worked off well within the 90 s, with many refusals on the way.
#[test]
fn lambda_batches_refused_by_the_function_come_back() {
    let toml = r#"
name = "sqs-lambda-refused"
[simulation]
duration = "90s"
replications = 2
seed = 31

[[component]]
name = "q"
kind = "sqs"
visibility_timeout = "2s"

[[component]]
name = "fn"
kind = "station"
servers = 2
queue_limit = 0
service = "100ms"

[[component]]
name = "c"
kind = "sqs_consumer"
queue = "q"
mode = "lambda"
function = "fn"

[[workload]]
name = "p"
target = "q"
arrival = { process = "step", rate = 30, steps = [{ at = "20s", rate = 0 }] }
"#;
    let results = run("sqs-lambda-refused.toml", toml);
    assert_conserved(&results);
    assert_eq!(reps(&results, "q.deleted"), reps(&results, "q.sent"), "all processed in the end");
    assert!(metric(&results, "c.failed").mean > 0.0, "some batches were refused");
    assert!(metric(&results, "q.redeliveries").mean > 0.0);
    assert!(metric(&results, "c.function_errors.rejected").mean > 0.0);
}

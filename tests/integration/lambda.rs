//! AWS Lambda (`kind = "lambda"`) against theory: the throttled share of an M/G/c/c loss
//! system (Erlang B, insensitive to the duration's distribution), carried load by Little's
//! law, cold starts after idle periods and at steady load, the concurrency limit, a call into
//! a target adding its latency, `stratus describe lambda`, and malformed tables.
//!
//! Every run uses a fixed seed; every tolerance is derived in a comment.

use std::path::Path;
use std::process::Command;

use stratus::experiment::ExperimentResults;
use stratus::scenario::{Scenario, ScenarioError};
use stratus::services::lambda::LAMBDA_DOC;

use crate::common::{metric, run};

fn mean(results: &ExperimentResults, name: &str) -> f64 {
    metric(results, name).mean
}

/// Erlang's loss formula B(c, a) by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)).
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// A function of concurrency `c` (all provisioned: no cold starts; the longest timeout, so no
/// invocation fails) fed Poisson invokes.
fn loss_scenario(c: u32, rate: f64, duration: &str, seconds: u32, replications: u32) -> String {
    format!(
        r#"
name = "lambda-erlang-b"
[simulation]
duration = "{seconds}s"
warmup = "10s"
replications = {replications}
seed = 21
[[component]]
name = "fn"
kind = "lambda"
duration = {duration}
reserved_concurrency = {c}
provisioned_concurrency = {c}
timeout = "900s"
[[workload]]
name = "calls"
target = "fn"
arrival = {{ process = "poisson", rate = {rate} }}
"#
    )
}

/// c = 10, λ = 80/s, E[S] = 100 ms: offered load a = 8 Erlang, B(10, 8) = 0.1217. The
/// blocking probability of M/G/c/c depends on S only through its mean (Erlang's
/// insensitivity), so exponential, constant and a heavy-tailed lognormal (cv 2) give the same
/// share. Tolerance: 4 replications × 390 s × 80/s ≈ 125,000 arrivals, ~15,000 throttled;
/// the binomial relative error is √((1−B)/(N·B)) ≈ 0.8%; throttles cluster in the short
/// periods when all 10 are busy (each lasts 1/(cμ) = 10 ms, ~0.8 blocked arrivals per
/// period), and occupancy decorrelates within ~1/μ = 100 ms ≪ the run, so the variance is
/// inflated by a small factor (≤ 5): σ ≲ 1.8% relative. 6% is over 3σ.
#[test]
fn throttled_share_matches_erlang_b_whatever_the_duration_distribution() {
    let b = erlang_b(10, 8.0);
    assert!((b - 0.1217).abs() < 1e-4, "B(10, 8) = {b}");
    for duration in [
        r#"{ dist = "exponential", mean = "100ms" }"#,
        r#""100ms""#,
        r#"{ dist = "lognormal", mean = "100ms", cv = 2.0 }"#,
    ] {
        let results = run("lambda-erlang-b", &loss_scenario(10, 80.0, duration, 400, 4));
        let throttled = mean(&results, "fn.throttle_ratio");
        eprintln!("{duration}: throttled {throttled:.4} (Erlang B {b:.4})");
        assert!((throttled - b).abs() < 0.06 * b, "{duration}: throttled {throttled:.4}, Erlang B {b:.4}");
        // The workload sees the same refusals (one attempt each, and no timeout: the 900 s
        // limit keeps even the lognormal's tail from failing).
        assert_eq!(mean(&results, "calls.errors"), mean(&results, "fn.throttles"));
        // Carried load (Little's law): mean concurrency = a·(1 − B) = 7.03, same tolerance.
        let carried = mean(&results, "fn.concurrency");
        let expected = 8.0 * (1.0 - b);
        assert!((carried - expected).abs() < 0.03 * expected, "{duration}: concurrency {carried:.3} vs {expected:.3}");
        assert_eq!(mean(&results, "fn.cold_starts"), 0.0, "every environment is provisioned");
        assert_eq!(mean(&results, "fn.concurrency_max"), 10.0, "the limit is reached, never passed");
    }
}

/// Overload: a = 20 Erlang on c = 10, B(10, 20) = 0.538. The limit holds (never 11 at
/// once) and the share still follows Erlang B (same argument, ~170,000 arrivals: 3%).
#[test]
fn concurrency_never_exceeds_the_limit_under_overload() {
    let b = erlang_b(10, 20.0);
    let results =
        run("lambda-overload", &loss_scenario(10, 200.0, r#"{ dist = "exponential", mean = "100ms" }"#, 300, 3));
    assert_eq!(mean(&results, "fn.concurrency_max"), 10.0);
    let throttled = mean(&results, "fn.throttle_ratio");
    eprintln!("overload: throttled {throttled:.4} (Erlang B {b:.4})");
    assert!((throttled - b).abs() < 0.03 * b, "throttled {throttled:.4}, Erlang B {b:.4}");
}

fn cold_scenario(arrival: &str, seconds: u32) -> String {
    format!(
        r#"
name = "lambda-cold"
[simulation]
duration = "{seconds}s"
warmup = 0
replications = 2
seed = 4
[[component]]
name = "fn"
kind = "lambda"
runtime = "java"
duration = {{ dist = "exponential", mean = "50ms" }}
idle_lifetime = "10m"
[[workload]]
name = "calls"
target = "fn"
arrival = {arrival}
"#
    )
}

/// One invoke every 20 minutes, idle lifetime 10 minutes: each finds its environment
/// reclaimed, so all are cold (exactly). One every 5 minutes: only the first is.
#[test]
fn after_idle_periods_longer_than_the_idle_lifetime_every_first_invoke_is_cold() {
    let sparse = run("lambda-cold", &cold_scenario(r#"{ process = "constant", rate = 0.000833333 }"#, 4 * 3600));
    let invocations = mean(&sparse, "fn.invocations");
    assert!(invocations >= 4.0, "{invocations} invocations in 4 h");
    assert_eq!(mean(&sparse, "fn.cold_start_ratio"), 1.0);
    // Java's default cold start is lognormal with mean 2 s: the init time is billed too.
    let init = metric(&sparse, "fn.init_duration").mean;
    assert!((200.0..20_000.0).contains(&init), "init {init} ms");

    let frequent = run("lambda-cold", &cold_scenario(r#"{ process = "constant", rate = 0.0033333 }"#, 4 * 3600));
    let invocations = mean(&frequent, "fn.invocations");
    assert_eq!(mean(&frequent, "fn.cold_starts"), 1.0, "only the first of {invocations}");
}

/// Poisson 200/s of 50 ms (a = 10 Erlang) under the account limit of 1,000, for 300 s (no
/// environment idles 10 minutes). An environment is created only when every one is busy, so
/// the environments created — the cold starts — never exceed the most invocations running at
/// once. Java's cold starts (mean 2 s) make a storm at the start: for the first seconds
/// every arrival finds all environments initializing and starts one more, so the pool grows
/// to about λ·E[init] (a few hundred) — far above the ~10 busy at steady state (Poisson with
/// mean 10: P(> 100) is nil) — and no cold start follows after the first 10 s. Against
/// ~60,000 invocations the ratio is below 1% and falls as 1/T with the run's length.
#[test]
fn at_steady_load_cold_starts_are_few_and_early() {
    let results = run("lambda-cold", &cold_scenario(r#"{ process = "poisson", rate = 200 }"#, 300));
    let cold = mean(&results, "fn.cold_starts");
    let most = mean(&results, "fn.concurrency_max");
    assert!(cold >= 10.0 && cold <= most, "cold starts {cold}, max concurrency {most}");
    let ratio = mean(&results, "fn.cold_start_ratio");
    assert!(ratio < 1e-2, "cold-start ratio {ratio}");
    let series = results.points[0].series.column("fn.cold_starts_per_s").expect("series");
    let early: f64 = series.iter().filter(|(t, _)| *t <= 10.0).map(|(_, v)| v).sum();
    let late: f64 = series.iter().filter(|(t, _)| *t > 10.0).map(|(_, v)| v).sum();
    assert!(early > 0.0 && late == 0.0, "cold starts per s: {early} in the first 10 s, {late} after");
    // Four times longer: the same storm, a quarter of the ratio (within the storm's noise).
    let longer = run("lambda-cold", &cold_scenario(r#"{ process = "poisson", rate = 200 }"#, 1200));
    let longer_ratio = mean(&longer, "fn.cold_start_ratio");
    assert!(longer_ratio < 0.35 * ratio, "ratio {ratio} over 300 s, {longer_ratio} over 1200 s");
}

/// A function that writes to a station: the invocation's duration is its own 20 ms plus the
/// call (the station's 10 ms service, M/M/1 at ρ = 0.1 → mean sojourn 11.1 ms, plus the
/// network round trip); a crashed target makes the invocations fail.
#[test]
fn a_call_to_the_target_adds_its_latency_and_its_failure() {
    let scenario = |fault: &str| {
        format!(
            r#"
name = "lambda-target"
[simulation]
duration = "200s"
warmup = "10s"
replications = 2
seed = 8
[[component]]
name = "fn"
kind = "lambda"
duration = "20ms"
provisioned_concurrency = 50
reserved_concurrency = 50
target = "db"
client = {{ timeout = "1s" }}
[[component]]
name = "db"
kind = "station"
service = {{ dist = "exponential", mean = "10ms" }}
[[workload]]
name = "calls"
target = "fn"
arrival = {{ process = "poisson", rate = 10 }}
{fault}
"#
        )
    };
    let results = run("lambda-target", &scenario(""));
    assert_documented(&results, "fn", &LAMBDA_DOC);
    let duration = metric(&results, "fn.duration").mean;
    let sojourn = metric(&results, "db.response_time").mean;
    // Handler = 20 ms + the station's sojourn + the round trip (small): within 1 ms of it.
    assert!(duration > 20.0 + sojourn && duration < 21.0 + sojourn, "duration {duration} ms, sojourn {sojourn} ms");
    assert!((sojourn - 11.1).abs() < 1.5, "M/M/1 sojourn 11.1 ms, found {sojourn}");
    assert_eq!(mean(&results, "fn.errors"), 0.0);

    let failing = run(
        "lambda-target",
        &scenario("[[fault]]\naction = \"crash\"\ntarget = \"db\"\nat = \"50s\"\nduration = \"100s\""),
    );
    // 100 of the 190 measured seconds at 10/s: ~1,000 invocations fail (their call times
    // out after 1 s, within the function's 3 s timeout); Poisson count, σ ≈ 32.
    let target_errors = mean(&failing, "fn.errors.target");
    assert!((850.0..1150.0).contains(&target_errors), "{target_errors} target errors");
    assert_eq!(mean(&failing, "fn.errors.timeout"), 0.0);
    assert!((mean(&failing, "calls.errors") - target_errors).abs() < 1.0);
}

/// Lambda is regional: losing the function's AZ moves its endpoint to another AZ, so clients
/// elsewhere keep being served (a station in that AZ, for contrast, loses every request sent
/// to it while the AZ is down: 10 s at 50/s ≈ 500 timeouts).
#[test]
fn losing_the_functions_az_does_not_take_the_function_down() {
    let scenario = |kind: &str| {
        format!(
            r#"
name = "lambda-az"
[simulation]
duration = "40s"
warmup = "5s"
replications = 1
seed = 2
[topology]
azs = ["a", "b"]
[[component]]
name = "fn"
az = "a"
{kind}
[[workload]]
name = "calls"
target = "fn"
az = "b"
arrival = {{ process = "poisson", rate = 50 }}
client = {{ timeout = "1s" }}
[[fault]]
action = "az_outage"
az = "a"
at = "15s"
duration = "10s"
"#
        )
    };
    let function = run("lambda-az", &scenario("kind = \"lambda\"\nduration = \"20ms\""));
    assert_eq!(mean(&function, "calls.errors"), 0.0, "the function answered through the outage");
    let station = run("lambda-az", &scenario("kind = \"station\"\nservers = 4\nservice = \"20ms\""));
    let lost = mean(&station, "calls.errors");
    assert!((350.0..650.0).contains(&lost), "a station in the lost AZ: {lost} errors");
}

/// Every metric and series `component` emitted is named in `doc`'s metric list: written out
/// (`.quantity` not followed by more of a name) or as a family (`.head.*` for
/// `head.<subscriber>`), the rules of `documented.rs`.
pub(crate) fn assert_documented(results: &ExperimentResults, component: &str, doc: &stratus::model::KindDoc) {
    let text = doc.metrics.join("\n");
    let point = &results.points[0];
    let names = point.metrics.iter().map(|m| m.name.clone()).chain(point.series.names.iter().cloned());
    let prefix = format!("{component}.");
    let mut missing = Vec::new();
    for name in names.filter(|name| name.starts_with(&prefix)) {
        let suffix = &name[prefix.len()..];
        let needle = format!(".{suffix}");
        let written_out = text.match_indices(&needle).any(|(at, _)| {
            text[at + needle.len()..].chars().next().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        });
        let family = suffix.split_once('.').is_some_and(|(head, _)| text.contains(&format!(".{head}.*")));
        if !written_out && !family {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "emitted but not in `stratus describe {}`: {missing:?}", doc.kind);
}

#[test]
fn describe_lambda_lists_every_parameter_with_its_source() {
    let output = Command::new(env!("CARGO_BIN_EXE_stratus")).args(["describe", "lambda"]).output().expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    for param in LAMBDA_DOC.params {
        assert!(text.contains(param.name), "`{}` missing from:\n{text}", param.name);
        let default = stratus::services::registry::default_text("lambda", param);
        assert!(text.contains(&default), "default of `{}` ({default}) missing", param.name);
    }
    assert_eq!(text.matches("source:").count(), LAMBDA_DOC.params.len());
    assert!(text.contains("1,000 concurrent executions") && text.contains("assumption"));
}

/// The resolved scenario writes every parameter (the runtime's cold start included), except
/// those whose absence means something: no reserved concurrency, no target.
#[test]
fn the_resolved_scenario_holds_every_lambda_parameter() {
    let toml = "name = \"r\"\n[simulation]\nduration = \"1m\"\n[[component]]\nname = \"fn\"\nkind = \"lambda\"\nruntime = \"java\"\nduration = \"10ms\"\n[[workload]]\nname = \"w\"\ntarget = \"fn\"\narrival = { process = \"poisson\", rate = 1 }\n";
    let scenario = Scenario::from_source("r.toml", toml, Path::new("."), &[]).expect("loads");
    let resolved: toml::Table = toml::from_str(&scenario.resolved_toml).expect("TOML");
    let component = resolved["component"].as_array().unwrap()[0].as_table().unwrap();
    for param in LAMBDA_DOC.params.iter().filter(|p| !["reserved_concurrency", "target"].contains(&p.name)) {
        assert!(component.contains_key(param.name), "`{}` missing from\n{}", param.name, scenario.resolved_toml);
    }
    assert!(scenario.resolved_toml.contains("mean = \"2s\""), "java's cold start:\n{}", scenario.resolved_toml);
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
fn malformed_lambda_tables_are_rejected_at_the_right_line() {
    // Lines: 1 name, 2 [simulation], 3 duration, 4 [[component]], 5 name, 6 kind,
    // 7 the line under test, 8 duration (or the line under test's successor).
    let table = |line: &str| {
        format!(
            "name = \"bad\"\n[simulation]\nduration = \"10s\"\n[[component]]\nname = \"fn\"\nkind = \"lambda\"\n{line}\nduration = \"10ms\"\n[[workload]]\nname = \"w\"\ntarget = \"fn\"\narrival = {{ process = \"poisson\", rate = 1 }}\n"
        )
    };
    for (line, column, fragment) in [
        ("timeout = \"901s\"", 11, "at most 900s"),
        ("runtime = \"pyton\"", 11, "did you mean `python`"),
        ("memory_mb = 64", 13, "128 to 10240 MB"),
        ("reserved_concurrency = 5\nprovisioned_concurrency = 6", 1, "cannot exceed the function's concurrency limit"),
        ("target = \"db\"", 10, "no component is called `db`"),
        ("error_rate = -0.1", 14, "probability"),
        ("concurrency = 5", 1, "unknown field `concurrency`"),
    ] {
        let (at_line, at_column, message) = rejection(&table(line));
        assert!(message.contains(fragment), "`{line}`: {message}");
        // The provisioned case reports the second of its two lines.
        let expected_line = if line.contains('\n') { 8 } else { 7 };
        let expected_column = if line.contains('\n') { 27 } else { column };
        assert_eq!((at_line, at_column), (expected_line, expected_column), "`{line}`: {message}");
    }
    let missing = "name = \"bad\"\n[simulation]\nduration = \"10s\"\n[[component]]\nname = \"fn\"\nkind = \"lambda\"\n[[workload]]\nname = \"w\"\ntarget = \"fn\"\narrival = { process = \"poisson\", rate = 1 }\n";
    let (_, _, message) = rejection(missing);
    assert!(message.contains("missing field `duration`"), "{message}");
}

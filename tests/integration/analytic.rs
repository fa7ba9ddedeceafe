//! Analytic correctness checks: scenarios whose exact answers queueing theory gives (M/M/1,
//! M/M/c against Erlang C, M/D/1 and M/G/1 against Pollaczek–Khinchine, a Jackson tandem,
//! a closed loop against exact Mean Value Analysis, M/M/1/K), Little's law on every station,
//! determinism across thread counts and the warm-up cut. Every scenario is a TOML string run
//! through [`Scenario::from_source`] and [`experiment::run`] with a fixed seed.
//!
//! # How the tolerances are set
//!
//! Each replication's value of a metric (a mean over tens of thousands of customers) is close
//! to normal, so the reported Student-t 95% interval over R = 20 replications is a valid
//! confidence interval for the steady-state value, up to the bias left by the start of the
//! run. Each comparison with theory asserts:
//!
//! 1. **the theory lies within the 99.9% Student-t interval, widened by a bound on the
//!    warm-up bias**. The 99.9% interval is the reported 95% one with its half-width scaled by
//!    t(0.9995, R−1) / t(0.975, R−1) (3.883 / 2.093 = 1.86 for R = 20). About 60 intervals
//!    from 15 runs are checked in this module: at 95% each, a correct simulator would fail at
//!    least one with probability 1 − 0.95^15 ≈ 54% even counting only one per run (the
//!    metrics of a run are strongly correlated), so a set of 95% checks passes or fails by
//!    luck of the seed; at 99.9% the family-wise false-alarm rate is ≤ 6% by Bonferroni over
//!    all 60, and ≈ 2% given the correlation. Every check prints whether the theory is also
//!    inside the plain 95% interval, so coverage can be seen.
//!
//!    The warm-up bias bound: runs start empty, and for a stochastically monotone queue the
//!    expected number in system then rises monotonically to its stationary value, so the bias
//!    of a time average over the measured window T is at most the integrated deficit divided
//!    by T, whatever the warm-up. For M/M/1 that deficit is exactly ρ/(μ(1−ρ)³) customer-
//!    seconds (from the solution h(n) = (n²+n)/(2(μ−λ)) of Poisson's equation), i.e. a
//!    relative bias ≤ 1/(μ(1−ρ)²T). For other queues the heavy-traffic (reflected Brownian
//!    motion) analogue is cμ(Ca² + Cs²)/(2(cμ−λ)²T), which reduces to the exact M/M/1 value;
//!    we allow twice it. The warm-ups used are > 10 relaxation times, so the true bias is far
//!    smaller still: the allowance only widens intervals by 0.05–0.5% of the value.
//!
//! 2. **the 95% half-width is below a stated fraction of the value** (mostly 5%), so a check
//!    cannot pass vacuously with a uselessly wide interval.
//!
//! Identities (Little's law, the response-time law, the warm-up cut) are checked per
//! replication against bounds derived from the boundary effects of the measurement window;
//! each helper documents its derivation.
//!
//! # Speed
//!
//! The whole module simulates about 62 million events: 40M in the experiments, 12M to rerun
//! three of them replication by replication (for per-replication histograms), 10M for the
//! determinism test; ≈ 6 s of CPU at ~10M events/s per core in the test profile, ≈ 5 s on 2
//! cores. `STRATUS_LONG_TESTS=1` runs every statistical check ten times longer (≈ 50 s); the
//! tolerances follow automatically, as they come from the intervals actually measured.

use std::path::Path;
use std::time::Instant;

use hdrhistogram::Histogram;
use stratus::engine::StreamKey;
use stratus::experiment::stats::{estimate, t_quantile_975};
use stratus::experiment::{self, ExperimentResults, MetricSummary, PointResult, RunOptions};
use stratus::metrics::MetricValue;
use stratus::model::world::RunOutput;
use stratus::scenario::{Override, Scenario};

// ---------------------------------------------------------------------------------------------
// Theory
// ---------------------------------------------------------------------------------------------

/// Erlang C: the probability that an arrival to an M/M/c queue with offered load a = λ/μ
/// waits. Computed through the Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), which is
/// numerically stable, then C = B / (1 − ρ(1 − B)) with ρ = a/c.
pub(crate) fn erlang_c(servers: u32, offered: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=servers {
        b = offered * b / (f64::from(k) + offered * b);
    }
    let rho = offered / f64::from(servers);
    b / (1.0 - rho * (1.0 - b))
}

/// Exact Mean Value Analysis of a closed network of one FCFS exponential station (mean
/// service `service`) and a delay station (mean think time `think`) with `clients`
/// customers: R(n) = S(1 + Q(n−1)), X(n) = n / (R(n) + Z), Q(n) = X(n)·R(n). Returns
/// (throughput, response time) at n = `clients`. The delay station is insensitive to its
/// distribution (BCMP), so the result holds for any think-time distribution with that mean.
fn mva(clients: u32, service: f64, think: f64) -> (f64, f64) {
    let (mut queue, mut throughput, mut response) = (0.0, 0.0, 0.0);
    for n in 1..=clients {
        response = service * (1.0 + queue);
        throughput = f64::from(n) / (response + think);
        queue = throughput * response;
    }
    (throughput, response)
}

/// Pollaczek–Khinchine mean wait of M/G/1: λE[S²] / (2(1−ρ)).
fn pollaczek_khinchine(rate: f64, mean: f64, second_moment: f64) -> f64 {
    rate * second_moment / (2.0 * (1.0 - rate * mean))
}

/// Bound on the relative warm-up bias of a time average over `window` seconds (see the
/// module documentation): twice cμ(Ca² + Cs²) / (2(cμ − λ)²) / window, exact (without the
/// factor 2) for M/M/1.
fn bias_bound(servers: u32, rate: f64, mean_service: f64, ca2: f64, cs2: f64, window: f64) -> f64 {
    let capacity = f64::from(servers) / mean_service;
    2.0 * capacity * (ca2 + cs2) / (2.0 * (capacity - rate).powi(2)) / window
}

/// t(0.9995, ν) for ν = 1..=30 (standard tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
const T9995: [f64; 30] = [
    636.619, 31.599, 12.924, 8.610, 6.869, 5.959, 5.408, 5.041, 4.781, 4.587, 4.437, 4.318, 4.221, 4.140, 4.073, 4.015,
    3.965, 3.922, 3.883, 3.850, 3.819, 3.792, 3.768, 3.745, 3.725, 3.707, 3.690, 3.674, 3.659, 3.646,
];

/// Factor turning a 95% Student-t half-width into a 99.9% one with `n` values.
pub(crate) fn widen_to_999(n: usize) -> f64 {
    assert!((2..=31).contains(&n), "the t table covers 2..=31 replications, not {n}");
    T9995[n - 2] / t_quantile_975(n - 1)
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// Whether the long versions of the statistical checks were asked for.
fn long_tests() -> bool {
    std::env::var("STRATUS_LONG_TESTS").is_ok_and(|v| v == "1")
}

/// Measured seconds per replication: `short`, or ten times it with `STRATUS_LONG_TESTS=1`.
fn measured(short: f64) -> f64 {
    if long_tests() { 10.0 * short } else { short }
}

/// One experiment and what the checks need to know about it.
struct Run {
    label: &'static str,
    scenario: Scenario,
    results: ExperimentResults,
    /// Seconds measured per replication (duration − warm-up).
    window: f64,
}

/// Loads `toml` with its duration set to `warmup + window` seconds and runs it on all cores.
fn simulate(label: &'static str, toml: &str, warmup: f64, window: f64) -> Run {
    let overrides = [
        Override::set(&format!("simulation.warmup={warmup}s")),
        Override::set(&format!("simulation.duration={}s", warmup + window)),
    ];
    let scenario = Scenario::from_source(label, toml, Path::new("."), &overrides)
        .unwrap_or_else(|e| panic!("{label}: the scenario does not load: {e}"));
    let started = Instant::now();
    let results =
        experiment::run(&scenario, &RunOptions { threads: None, progress: stratus::experiment::Progress::Hidden })
            .unwrap_or_else(|e| panic!("{label}: the experiment failed: {e}"));
    println!(
        "[{label}] {} replications × {window} s measured: {:.2}M events in {:.2} s",
        scenario.points[0].spec.simulation.replications,
        results.total_events as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Run { label, scenario, results, window }
}

impl Run {
    fn point(&self) -> &PointResult {
        &self.results.points[0]
    }

    fn summary(&self, metric: &str) -> &MetricSummary {
        summary(self.point(), metric)
    }

    fn histogram(&self, metric: &str) -> &Histogram<u64> {
        histogram(self.point(), metric)
    }

    /// The value of `metric` in each replication.
    fn replications(&self, metric: &str) -> Vec<f64> {
        replication_values(self.point(), metric)
    }

    /// Every replication run again on its own, for what [`PointResult`] does not keep: the
    /// histogram of each replication (needed for the Monte Carlo error of percentiles and of
    /// fractions read from histograms). The stream keys are those [`experiment::run`] uses,
    /// so these are the very same runs; the caller checks that they merge into the
    /// experiment's histograms.
    fn rerun_replications(&self) -> Vec<RunOutput> {
        let spec = &self.scenario.points[0].spec;
        let reps = spec.simulation.replications as usize;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(reps);
        let mut outputs: Vec<Option<RunOutput>> = (0..reps).map(|_| None).collect();
        std::thread::scope(|scope| {
            for (chunk_index, chunk) in outputs.chunks_mut(reps.div_ceil(threads)).enumerate() {
                scope.spawn(move || {
                    for (offset, slot) in chunk.iter_mut().enumerate() {
                        let replication = (chunk_index * reps.div_ceil(threads) + offset) as u64;
                        let key = StreamKey { seed: spec.simulation.seed, point: 0, replication };
                        *slot = Some(spec.build_world(key).expect("the scenario was validated").run().expect("runs"));
                    }
                });
            }
        });
        outputs.into_iter().map(|output| output.expect("every replication ran")).collect()
    }
}

fn summary<'a>(point: &'a PointResult, metric: &str) -> &'a MetricSummary {
    point.metrics.iter().find(|m| m.name == metric).unwrap_or_else(|| panic!("no metric `{metric}`"))
}

fn histogram<'a>(point: &'a PointResult, metric: &str) -> &'a Histogram<u64> {
    point
        .histograms
        .iter()
        .find(|(name, _)| name == metric)
        .map(|(_, histogram)| histogram)
        .unwrap_or_else(|| panic!("no histogram `{metric}`"))
}

fn replication_values(point: &PointResult, metric: &str) -> Vec<f64> {
    let index = point.metrics.iter().position(|m| m.name == metric).unwrap_or_else(|| panic!("no metric `{metric}`"));
    point.replications.iter().map(|rep| rep.values[index]).collect()
}

/// The histogram of `metric` in one rerun replication.
fn replication_histogram<'a>(output: &'a RunOutput, metric: &str) -> &'a Histogram<u64> {
    match output.metrics.metrics.iter().find(|m| m.name == metric).map(|m| &m.value) {
        Some(MetricValue::Latency { histogram, .. }) => histogram,
        _ => panic!("no latency metric `{metric}` in the replication"),
    }
}

/// Merges the reruns' histograms of `metric` and checks they equal the experiment's.
fn check_reruns_match(run: &Run, outputs: &[RunOutput], metric: &str) {
    let mut merged = replication_histogram(&outputs[0], metric).clone();
    for output in &outputs[1..] {
        merged.add(replication_histogram(output, metric)).expect("same precision");
    }
    assert!(
        merged == *run.histogram(metric),
        "{}: the rerun replications do not reproduce the experiment's `{metric}` histogram",
        run.label
    );
}

// ---------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------

/// Collects the outcome of every check of a test, printing each, and fails at the end with
/// all the failures (so one run shows every discrepancy).
struct Checks {
    test: &'static str,
    failures: Vec<String>,
}

impl Checks {
    fn new(test: &'static str) -> Self {
        Checks { test, failures: Vec::new() }
    }

    fn record(&mut self, ok: bool, line: String) {
        println!("[{}] {} {line}", self.test, if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failures.push(line);
        }
    }

    /// Theory against a mean with a 95% half-width from n replications (rule 1 and 2 of the
    /// module documentation). `bias` is the absolute warm-up bias allowance; `max_half` the
    /// largest acceptable 95% half-width relative to the theory.
    fn interval(&mut self, what: &str, measured: Interval, theory: f64, bias: f64, max_half: f64) {
        let Interval { mean, half95, n } = measured;
        let allowed = half95 * widen_to_999(n) + bias;
        let error = mean - theory;
        let precise = half95 <= max_half * theory.abs();
        let ok = error.abs() <= allowed && precise && mean.is_finite();
        self.record(
            ok,
            format!(
                "{what}: theory {theory:.5}, measured {mean:.5} ± {half95:.5} (95%, {:.2}% of theory, \
                 limit {:.1}%; theory in 95% CI: {}), |error| {:.5} ≤ {allowed:.5} (99.9% + bias {bias:.5})",
                100.0 * half95 / theory.abs(),
                100.0 * max_half,
                if error.abs() <= half95 { "yes" } else { "no" },
                error.abs(),
            ),
        );
    }

    /// [`interval`](Self::interval) for a reported metric; `theory` is in the metric's unit
    /// (ms for latencies) and `bias_relative` is relative to it.
    fn metric(&mut self, run: &Run, metric: &str, theory: f64, bias_relative: f64, max_half: f64) {
        let m = run.summary(metric);
        let half95 = (m.ci95_high - m.ci95_low) / 2.0;
        self.interval(
            &format!("{} {metric}", run.label),
            Interval { mean: m.mean, half95, n: m.replications },
            theory,
            bias_relative * theory.abs(),
            max_half,
        );
    }

    /// An identity or bound: |measured − expected| ≤ tolerance.
    fn close(&mut self, what: &str, measured: f64, expected: f64, tolerance: f64) {
        let ok = (measured - expected).abs() <= tolerance && measured.is_finite();
        self.record(
            ok,
            format!(
                "{what}: expected {expected:.6}, measured {measured:.6}, |error| {:.3e} ≤ {tolerance:.3e}",
                (measured - expected).abs()
            ),
        );
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{}: {} check(s) failed:\n{}",
            self.test,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// A mean and its 95% half-width from `n` replications.
#[derive(Copy, Clone, Debug)]
struct Interval {
    mean: f64,
    half95: f64,
    n: usize,
}

/// Mean and 95% half-width of per-replication values.
fn mean_and_half(values: &[f64]) -> Interval {
    let e = estimate(values);
    Interval { mean: e.mean, half95: (e.high - e.low) / 2.0, n: e.n }
}

/// The age a (seconds) such that `rate`·E[(V − a)⁺] ≤ `p`, with V distributed as the
/// histogram (nanoseconds). rate·E[(V − a)⁺] = rate·∫ₐ^∞ P(V > s) ds is the expected number
/// of customers present at a stationary instant whose age (time since arrival) exceeds a,
/// which bounds the probability that the oldest customer present is older than a.
fn tail_age(histogram: &Histogram<u64>, rate: f64, p: f64) -> f64 {
    let n = histogram.len() as f64;
    let excess = |a: f64| -> f64 {
        histogram
            .iter_recorded()
            .map(|v| (v.value_iterated_to() as f64 / 1e9 - a).max(0.0) * v.count_at_value() as f64)
            .sum::<f64>()
            / n
    };
    let (mut low, mut high) = (0.0, histogram.max() as f64 / 1e9);
    for _ in 0..60 {
        let mid = 0.5 * (low + high);
        if rate * excess(mid) > p {
            low = mid;
        } else {
            high = mid;
        }
    }
    high
}

/// Bound (customer-seconds) on the boundary term B_t = Σ ages of the customers present at a
/// window edge t, exceeded with probability ≲ 1e-5 for a correct simulator. Every customer
/// present arrived after the oldest one, of age A, so B_t ≤ Σ (t − arrival time) over the
/// arrivals in [t − A, t]. P(A > a) ≤ rate·E[(V − a)⁺] = 1e-5 by the choice of a
/// ([`tail_age`]); given A ≤ a, that sum over a Poisson stream has mean rate·a²/2 and variance
/// rate·a³/3, and exceeds mean + 6 standard deviations + 6a (the 6a covers the Poisson
/// skew when rate·a is small) with probability < 1e-6. The inputs of the closed loop and of the
/// second station of the tandem are no burstier than Poisson.
fn boundary_bound(histogram: &Histogram<u64>, rate: f64) -> f64 {
    let a = tail_age(histogram, rate, 1e-5);
    rate * a * a / 2.0 + 6.0 * (rate * a.powi(3) / 3.0).sqrt() + 6.0 * a
}

/// Little's law on one station, per replication: in_system = throughput × response_time and
/// queue_length = throughput × wait_time.
///
/// Over a window [w, T] of length W, ∫N dt and Σ(response times of the customers leaving in
/// the window) differ only by the time before w of the customers present at w (counted in
/// their response times, not in the integral) and the time in the window of those still
/// present at T (the reverse): both are non-negative and bounded by the boundary terms B_w
/// and B_T, so |in_system − throughput·response| ≤ max(B_w, B_T)/W (bound from
/// [`boundary_bound`] with the response-time histogram). For the queue the same argument
/// uses waiting ages; in addition wait_time averages over the n_s service starts in the
/// window while throughput counts the n_d departures, and |n_s − n_d| ≤ c (the servers busy
/// at either edge), which adds at most c·wait/W.
///
/// Over ~12 stations × 20 replications × 2 identities, each failing with probability
/// ≤ 2·1e-5 for a correct simulator, the family-wise false-alarm rate is < 1%.
fn check_little(checks: &mut Checks, run: &Run, station: &str, servers: u32) {
    let point = run.point();
    let metric = |quantity: &str| replication_values(point, &format!("{station}.{quantity}"));
    let (in_system, queue) = (metric("in_system"), metric("queue_length"));
    let (throughput, response, wait) = (metric("throughput"), metric("response_time"), metric("wait_time"));
    let rate = summary(point, &format!("{station}.throughput")).mean;
    let response_bound = boundary_bound(histogram(point, &format!("{station}.response_time")), rate) / run.window;
    let wait_bound = boundary_bound(histogram(point, &format!("{station}.wait_time")), rate) / run.window;
    let (mut worst_l, mut worst_q) = (0.0f64, 0.0f64);
    let mut failed = Vec::new();
    for rep in 0..in_system.len() {
        let expected_l = throughput[rep] * response[rep] / 1000.0;
        let expected_q = throughput[rep] * wait[rep] / 1000.0;
        let tolerance_q = wait_bound + f64::from(servers) * wait[rep] / 1000.0 / run.window;
        let (error_l, error_q) = ((in_system[rep] - expected_l).abs(), (queue[rep] - expected_q).abs());
        worst_l = worst_l.max(error_l / response_bound);
        worst_q = worst_q.max(error_q / tolerance_q);
        if !(error_l <= response_bound && error_q <= tolerance_q) {
            failed.push(format!(
                "replication {rep}: L {:.6} vs X·R {expected_l:.6}, Lq {:.6} vs X·W {expected_q:.6}",
                in_system[rep], queue[rep]
            ));
        }
    }
    let l = summary(point, &format!("{station}.in_system")).mean;
    checks.record(
        failed.is_empty(),
        format!(
            "{} Little's law at `{station}` per replication: L tolerance {response_bound:.2e} ({:.2}% of L), \
             worst |L − X·R| / tolerance {worst_l:.3}, worst |Lq − X·W| / tolerance {worst_q:.3} {}",
            run.label,
            100.0 * response_bound / l,
            failed.join("; ")
        ),
    );
}

/// Fraction of the values of a histogram (nanoseconds) at most 1 µs: waits of zero are
/// recorded as 1 ns, and a positive wait in these tests is < 1 µs with probability < 1e-6.
fn zero_fraction(histogram: &Histogram<u64>) -> f64 {
    histogram.count_between(0, 1_000) as f64 / histogram.len() as f64
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

const MM1: &str = r#"
name = "mm1"
[simulation]
duration = "1s"
replications = 20
seed = 101

[topology]
same_az_rtt = "0"

[[component]]
name = "q"
kind = "station"
service = { dist = "exponential", mean = "1s" }

[[workload]]
name = "w"
target = "q"
arrival = { process = "poisson", rate = 0.8 }
"#;

/// M/M/1 at ρ = 0.8 (λ = 0.8/s, μ = 1/s): R = 1/(μ−λ) = 5 s, Wq = ρ/(μ−λ) = 4 s,
/// Lq = ρ²/(1−ρ) = 3.2, L = 4, utilization 0.8, and the response time is exponential with
/// rate μ − λ, so its median is ln 2/(μ−λ) = 3.466 s.
///
/// Size: 20 × 40 000 s ≈ 640 000 customers, 2.7M events (plus the same again to rerun the
/// replications for their histograms). The relative asymptotic variance of the time-average
/// number in system of M/M/1 is 2(1+ρ)/(ρ(1−ρ)²)/μ = 112.5 s, so the relative standard
/// error is √(112.5 / 800 000) ≈ 1.2% and the 95% half-width ≈ 2.5%: limit 5%.
#[test]
fn mm1_mean_values_and_median() {
    let (lambda, mu) = (0.8, 1.0);
    let rho = lambda / mu;
    let run = simulate("M/M/1", MM1, 1_000.0, measured(40_000.0));
    let bias = bias_bound(1, lambda, 1.0 / mu, 1.0, 1.0, run.window);
    let mut checks = Checks::new("mm1");
    checks.metric(&run, "q.response_time", 1000.0 / (mu - lambda), bias, 0.05);
    checks.metric(&run, "q.wait_time", 1000.0 * rho / (mu - lambda), bias, 0.05);
    checks.metric(&run, "q.queue_length", rho * rho / (1.0 - rho), bias, 0.05);
    checks.metric(&run, "q.in_system", rho / (1.0 - rho), bias, 0.05);
    checks.metric(&run, "q.utilization", rho, bias, 0.02);
    checks.metric(&run, "q.throughput", lambda, bias, 0.02);
    // No network delay: the workload's latency is the station's response time.
    checks.metric(&run, "w.latency", 1000.0 / (mu - lambda), bias, 0.05);

    // Median of the merged histogram. Its Monte Carlo error: the median of the pooled sample
    // is, to first order (Bahadur), the average of the replications' medians, so its
    // standard error is their standard deviation / √R; the 99.9% t-interval of that, plus
    // HDR quantization (3 significant digits: value_at_quantile returns the top of a bucket
    // at most 2⁻¹⁰ ≈ 0.1% wide), plus the warm-up bias bound.
    let outputs = run.rerun_replications();
    check_reruns_match(&run, &outputs, "q.response_time");
    let medians: Vec<f64> = outputs
        .iter()
        .map(|o| replication_histogram(o, "q.response_time").value_at_quantile(0.5) as f64 / 1e6)
        .collect();
    let Interval { half95, n, .. } = mean_and_half(&medians);
    let pooled = run.summary("q.response_time").percentiles.expect("latency percentiles").p50;
    let theory = 1000.0 * std::f64::consts::LN_2 / (mu - lambda);
    checks.interval(
        "M/M/1 q.response_time p50 (merged)",
        Interval { mean: pooled, half95, n },
        theory,
        theory * (bias + 1e-3),
        0.05,
    );

    check_little(&mut checks, &run, "q", 1);
    checks.finish();
}

const MMC: &str = r#"
name = "mmc"
[simulation]
duration = "1s"
replications = 20
seed = 202

[topology]
same_az_rtt = "0"

[[component]]
name = "app"
kind = "station"
servers = 4
service = { dist = "exponential", mean = "1s" }

[[workload]]
name = "users"
target = "app"
arrival = { process = "poisson", rate = 3.5 }
"#;

/// M/M/c against Erlang C: the quickstart (c = 4, λ = 3.5, μ = 1: C = 0.73786,
/// Wq = C/(cμ−λ) = 1.4757 s; the comment in scenarios/quickstart.toml says 0.7455 and
/// 1.491 s, which is not Erlang C) and c = 10, λ = 9, μ = 1 (ρ = 0.9: C = 0.66873,
/// Wq = 0.6687 s). P(wait) is 1 − the fraction of zero waits in the wait-time histogram; its
/// interval comes from the per-replication fractions (the reruns).
///
/// Size: 20 × 15 000 s (M/M/4, 4.4M events) and 20 × 6 000 s (M/M/10, 4.7M events), each
/// again to rerun the replications; 95% half-widths ≈ 3% for the mean wait.
#[test]
fn mmc_against_erlang_c() {
    let mut checks = Checks::new("mmc");
    for (label, servers, lambda, window) in
        [("M/M/4", 4u32, 3.5, measured(15_000.0)), ("M/M/10", 10, 9.0, measured(6_000.0))]
    {
        let toml = MMC
            .replace("servers = 4", &format!("servers = {servers}"))
            .replace("rate = 3.5", &format!("rate = {lambda:?}"));
        let run = simulate(label, &toml, 1_000.0, window);
        let mu = 1.0;
        let offered = lambda / mu;
        let c = erlang_c(servers, offered);
        let wq = c / (f64::from(servers) * mu - lambda);
        println!("[mmc] {label}: Erlang C = {c:.5}, Wq = {wq:.5} s");
        let bias = bias_bound(servers, lambda, 1.0 / mu, 1.0, 1.0, run.window);
        checks.metric(&run, "app.wait_time", 1000.0 * wq, bias, 0.05);
        checks.metric(&run, "app.response_time", 1000.0 * (wq + 1.0 / mu), bias, 0.05);
        checks.metric(&run, "app.queue_length", lambda * wq, bias, 0.05);
        checks.metric(&run, "app.in_system", lambda * wq + offered, bias, 0.05);
        checks.metric(&run, "app.utilization", offered / f64::from(servers), bias, 0.02);

        let outputs = run.rerun_replications();
        check_reruns_match(&run, &outputs, "app.wait_time");
        let waited: Vec<f64> =
            outputs.iter().map(|o| 1.0 - zero_fraction(replication_histogram(o, "app.wait_time"))).collect();
        let observed = mean_and_half(&waited);
        checks.interval(&format!("{label} P(wait) per replication"), observed, c, c * bias, 0.03);
        // The pooled fraction is a ratio estimator of the same quantity; with replications of
        // nearly equal size it differs from the mean of the fractions by far less than their
        // standard error, so the same interval applies.
        let pooled = 1.0 - zero_fraction(run.histogram("app.wait_time"));
        checks.interval(
            &format!("{label} P(wait) merged histogram"),
            Interval { mean: pooled, ..observed },
            c,
            c * bias,
            0.03,
        );
        check_little(&mut checks, &run, "app", servers);
    }
    checks.finish();
}

const MG1: &str = r#"
name = "mg1"
[simulation]
duration = "1s"
replications = 20
seed = 303

[topology]
same_az_rtt = "0"

[[component]]
name = "q"
kind = "station"
service = SERVICE

[[workload]]
name = "w"
target = "q"
arrival = { process = "poisson", rate = RATE }
"#;

/// M/D/1 and M/G/1 against Pollaczek–Khinchine, Wq = λE[S²] / (2(1−ρ)), all with E[S] = 1 s:
/// - M/D/1, ρ = 0.8: E[S²] = 1, Wq = 2 s;
/// - M/G/1 uniform on [0, 2 s], ρ = 0.8: E[S²] = 4/3, Wq = 2.667 s;
/// - M/G/1 lognormal cv = 2, ρ = 0.5: E[S²] = 1 + cv² = 5, Wq = 2.5 s. Its variance is heavy
///   (E[S⁴] = (1+cv²)⁶ = 15625), so the load is kept moderate and the run longer.
#[test]
fn md1_and_mg1_against_pollaczek_khinchine() {
    let mut checks = Checks::new("mg1");
    let cases = [
        ("M/D/1", r#""1s""#, 0.8, 1.0, 0.0, measured(25_000.0)),
        (
            "M/G/1 uniform",
            r#"{ dist = "uniform", min = "0s", max = "2s" }"#,
            0.8,
            4.0 / 3.0,
            1.0 / 3.0,
            measured(25_000.0),
        ),
        (
            "M/G/1 lognormal cv=2",
            r#"{ dist = "lognormal", mean = "1s", cv = 2.0 }"#,
            0.5,
            5.0,
            4.0,
            measured(150_000.0),
        ),
    ];
    for (label, service, lambda, second_moment, cs2, window) in cases {
        let toml = MG1.replace("SERVICE", service).replace("RATE", &format!("{lambda:?}"));
        let run = simulate(label, &toml, 1_000.0, window);
        let wq = pollaczek_khinchine(lambda, 1.0, second_moment);
        let bias = bias_bound(1, lambda, 1.0, 1.0, cs2, run.window);
        checks.metric(&run, "q.wait_time", 1000.0 * wq, bias, 0.05);
        checks.metric(&run, "q.response_time", 1000.0 * (wq + 1.0), bias, 0.05);
        checks.metric(&run, "q.queue_length", lambda * wq, bias, 0.05);
        checks.metric(&run, "q.utilization", lambda, bias, 0.02);
        check_little(&mut checks, &run, "q", 1);
    }
    checks.finish();
}

const TANDEM: &str = r#"
name = "tandem"
[simulation]
duration = "1s"
replications = 20
seed = 404

[topology]
same_az_rtt = "10ms"

[[component]]
name = "a"
kind = "station"
service = { dist = "exponential", mean = "10ms" }
next = "b"

[[component]]
name = "b"
kind = "station"
service = { dist = "exponential", mean = "14ms" }

[[workload]]
name = "w"
target = "a"
arrival = { process = "poisson", rate = 50 }
"#;

/// Two M/M/1 stations in series, Poisson λ = 50/s in, mean services 10 ms (ρ = 0.5) and 14 ms
/// (ρ = 0.7). By Burke's theorem the departures of `a` are Poisson, and a Poisson stream
/// whose points are delayed independently (the network hop, 5 ms ± 20% lognormal jitter) is
/// still Poisson, so `b` is an M/M/1 too: R_a = 20 ms, R_b = 46.667 ms. End to end the
/// request makes three one-way hops (w → a → b → w) of mean RTT/2 = 5 ms each (the lognormal
/// jitter keeps the mean), so the latency is R_a + R_b + 15 ms = 81.667 ms.
///
/// Size: 20 × 600 s ≈ 600 000 customers, 3.6M events. At `b` the relative asymptotic variance
/// of the mean is 2(1+ρ)/(ρ(1−ρ)²) = 54 service times, so the relative standard error is
/// √(54 · 14 ms / 12 000 s) ≈ 0.8% and the 95% half-width ≈ 1.7%.
#[test]
fn tandem_jackson_network() {
    let lambda = 50.0;
    let (sa, sb) = (0.010, 0.014);
    let run = simulate("tandem", TANDEM, 20.0, measured(600.0));
    let bias_a = bias_bound(1, lambda, sa, 1.0, 1.0, run.window);
    let bias_b = bias_bound(1, lambda, sb, 1.0, 1.0, run.window);
    let (ra, rb) = (1000.0 * sa / (1.0 - lambda * sa), 1000.0 * sb / (1.0 - lambda * sb));
    let network = 3.0 * 5.0;
    let mut checks = Checks::new("tandem");
    checks.metric(&run, "a.response_time", ra, bias_a, 0.05);
    checks.metric(&run, "b.response_time", rb, bias_b, 0.05);
    checks.metric(&run, "a.utilization", lambda * sa, bias_a, 0.02);
    checks.metric(&run, "b.utilization", lambda * sb, bias_b, 0.02);
    checks.metric(&run, "b.throughput", lambda, bias_b, 0.02);
    // The latency's bias is at most the sum of the stations' (the network adds none).
    let latency = ra + rb + network;
    checks.metric(&run, "w.latency", latency, (bias_a * ra + bias_b * rb) / latency, 0.05);
    // Sharper: per replication, latency − R_a − R_b is the network time of the completed
    // requests, whose mean is 15 ms up to the few customers straddling the window edges.
    let (wl, a, b) =
        (run.replications("w.latency"), run.replications("a.response_time"), run.replications("b.response_time"));
    let hops: Vec<f64> = (0..wl.len()).map(|r| wl[r] - a[r] - b[r]).collect();
    let observed = mean_and_half(&hops);
    checks.interval("tandem latency − R_a − R_b (network, ms)", observed, network, 0.0, 0.05);
    check_little(&mut checks, &run, "a", 1);
    check_little(&mut checks, &run, "b", 1);
    checks.finish();
}

const CLOSED: &str = r#"
name = "closed"
[simulation]
duration = "1s"
replications = 20
seed = 505

[topology]
same_az_rtt = "0"

[[component]]
name = "db"
kind = "station"
service = { dist = "exponential", mean = "1s" }

[[workload]]
name = "clients"
target = "db"
clients = 10
think = THINK
"#;

/// A closed loop: N = 10 clients, think time Z = 9 s, one exponential station with S = 1 s
/// (at the knee N* = (S+Z)/S = 10, where the asymptotic bounds are furthest from the exact
/// answer). Exact MVA gives X and R; they hold for exponential and for constant think times
/// alike (a delay station is insensitive). Checked:
///
/// - X and R against MVA, and the station's utilization (= X·S) and mean number (= X·R), by
///   their intervals. The run starts with every client thinking; the number at the station
///   is a finite birth–death chain that forgets its start within a few cycles, so the bias
///   allowance takes its relaxation time as at most N·S + Z = 19 s (relative bias
///   ≤ 19 s / window ≈ 0.04%).
/// - the response-time law R = N/X − Z, per replication. Let n = X·W replies in the window of
///   length W. Per client, its cycles (think + request) ending in the window add up to W
///   minus the unfinished cycle at T plus the part before w of its first cycle, each at most
///   one cycle long, so |n(Z̄ + R̄) − N·W| ≤ N·(Z_max + R*), where R* bounds a response in
///   progress at an edge (taken as twice the longest of the ~800 000 responses seen) and Z̄ is
///   the mean of the think times of those cycles. With a constant think time Z̄ = Z and
///   |R̄ − (N/X − Z)| ≤ N(Z + R*)/n is a deterministic bound (≈ 0.5% of R). With an
///   exponential think time Z̄ − Z is sampling noise of standard deviation Z/√n (≈ 1.4% of
///   R per replication), so the per-replication differences are checked like a mean: zero
///   within their 99.9% interval, which must be narrower than 2% of R.
///
/// Size: 20 × 50 000 s, about 800 000 cycles and 3.3M events per variant.
#[test]
fn closed_loop_mva_and_response_time_law() {
    let (clients, service, think) = (10u32, 1.0, 9.0);
    let (x_mva, r_mva) = mva(clients, service, think);
    println!("[closed] MVA: X = {x_mva:.6}/s, R = {r_mva:.6} s");
    let mut checks = Checks::new("closed");
    for (label, think_spec, constant) in [
        ("closed, exponential think", r#"{ dist = "exponential", mean = "9s" }"#, false),
        ("closed, constant think", r#""9s""#, true),
    ] {
        let run = simulate(label, &CLOSED.replace("THINK", think_spec), 1_000.0, measured(50_000.0));
        let bias = (f64::from(clients) * service + think) / run.window;
        checks.metric(&run, "clients.throughput", x_mva, bias, 0.02);
        checks.metric(&run, "clients.latency", 1000.0 * r_mva, bias, 0.05);
        checks.metric(&run, "db.utilization", x_mva * service, bias, 0.02);
        checks.metric(&run, "db.in_system", x_mva * r_mva, bias, 0.05);

        let (x, r) = (run.replications("clients.throughput"), run.replications("clients.latency"));
        let n = f64::from(clients);
        let laws: Vec<f64> = (0..x.len()).map(|i| r[i] / 1000.0 - (n / x[i] - think)).collect();
        if constant {
            let r_star = 2.0 * run.histogram("clients.latency").max() as f64 / 1e9;
            let bounds: Vec<f64> = x.iter().map(|xi| n * (think + r_star) / (xi * run.window)).collect();
            let worst = laws.iter().zip(&bounds).map(|(law, bound)| law.abs() / bound).fold(0.0, f64::max);
            checks.record(
                worst <= 1.0,
                format!(
                    "{label}: per replication |R − (N/X − Z)| ≤ N(Z + R*)/n = {:.2e} s ({:.2}% of R); \
                     largest |R − (N/X − Z)| {:.2e} s, worst ratio to the bound {worst:.3}",
                    bounds[0],
                    100.0 * bounds[0] / r_mva,
                    laws.iter().map(|l| l.abs()).fold(0.0, f64::max),
                ),
            );
        } else {
            let Interval { mean, half95, n: count } = mean_and_half(&laws);
            let allowed = half95 * widen_to_999(count);
            let ok = mean.abs() <= allowed && half95 <= 0.02 * r_mva;
            checks.record(
                ok,
                format!(
                    "{label}: mean over replications of R − (N/X − Z) = {mean:.5} s ± {half95:.5} (95%), \
                     |mean| ≤ {allowed:.5} (99.9%), half-width {:.2}% of R (limit 2%)",
                    100.0 * half95 / r_mva
                ),
            );
        }
        check_little(&mut checks, &run, "db", 1);
    }
    checks.finish();
}

const MM1K: &str = r#"
name = "mm1k"
[simulation]
duration = "1s"
replications = 20
seed = 707

[topology]
same_az_rtt = "0"

[[component]]
name = "q"
kind = "station"
service = { dist = "exponential", mean = "1s" }
queue_limit = LIMIT

[[workload]]
name = "w"
target = "q"
arrival = { process = "poisson", rate = RATE }
"#;

/// M/M/1/K: `queue_limit` counts waiting places, so the system holds K = queue_limit + 1.
/// The stationary distribution is π_n = (1−ρ)ρⁿ / (1−ρ^{K+1}), n = 0..K; by PASTA the
/// fraction of arrivals rejected is π_K, the throughput λ(1 − π_K), L = Σ n·π_n, and by
/// Little the mean response time of the accepted L / (λ(1 − π_K)). Two loads: ρ = 0.9 with
/// K = 5 and an overloaded ρ = 1.5 with K = 3.
///
/// Bias: the chain is reversible with spectral gap g = λ + μ − 2√(λμ)·cos(π/(K+1)), so from
/// the empty state |E f(X_t) − πf| ≤ range(f)·√(1/π₀)·e^{−gt}, and the bias of a time
/// average over W is at most range(f)·√(1/π₀)/(g·W): allowance with range K for L, 1 for
/// the rejected fraction.
///
/// Size: 20 × 40 000 s, 2.9M events (ρ = 0.9) and 4.2M (ρ = 1.5).
#[test]
fn bounded_queue_mm1k() {
    let mut checks = Checks::new("mm1k");
    for (label, lambda, limit) in [("M/M/1/5", 0.9, 4u32), ("M/M/1/3 overloaded", 1.5, 2)] {
        let mu = 1.0;
        let k = limit + 1;
        let rho: f64 = lambda / mu;
        let norm = (1.0 - rho) / (1.0 - rho.powi(k as i32 + 1));
        let pi = |n: u32| norm * rho.powi(n as i32);
        let p_k = pi(k);
        let l: f64 = (0..=k).map(|n| f64::from(n) * pi(n)).sum();
        let throughput = lambda * (1.0 - p_k);
        let gap = lambda + mu - 2.0 * (lambda * mu).sqrt() * (std::f64::consts::PI / f64::from(k + 1)).cos();
        let toml = MM1K.replace("LIMIT", &limit.to_string()).replace("RATE", &format!("{lambda:?}"));
        let run = simulate(label, &toml, 500.0, measured(40_000.0));
        let settle = (1.0 / pi(0)).sqrt() / (gap * run.window);
        println!("[mm1k] {label}: P_K = {p_k:.6}, L = {l:.6}, relaxation 1/g = {:.2} s", 1.0 / gap);

        let (rejected, sent) = (run.replications("q.rejected"), run.replications("w.sent"));
        let fractions: Vec<f64> = rejected.iter().zip(&sent).map(|(r, s)| r / s).collect();
        let observed = mean_and_half(&fractions);
        checks.interval(&format!("{label} rejected / arrivals"), observed, p_k, settle, 0.03);
        checks.metric(&run, "q.in_system", l, settle * f64::from(k) / l, 0.03);
        checks.metric(&run, "q.throughput", throughput, settle, 0.02);
        checks.metric(&run, "q.response_time", 1000.0 * l / throughput, settle * f64::from(k) / l, 0.03);
        // Every rejection is answered as an error to the workload.
        let errors = run.summary("w.errors").mean;
        checks.close(
            &format!("{label} workload errors = station rejections"),
            errors,
            run.summary("q.rejected").mean,
            0.0,
        );
        check_little(&mut checks, &run, "q", 1);
    }
    checks.finish();
}

const DETERMINISM: &str = r#"
name = "determinism"
[simulation]
duration = "300s"
warmup = "30s"
replications = 6
seed = 9

[topology]
azs = ["a", "b"]

[[component]]
name = "front"
kind = "station"
az = "a"
servers = 2
service = { dist = "gamma", mean = "20ms", cv = 1.5 }
next = "back"

[[component]]
name = "back"
kind = "station"
az = "b"
service = { dist = "lognormal", mean = "5ms", cv = 1.0 }
queue_limit = 10

[[workload]]
name = "open"
target = "front"
arrival = { process = "poisson", rate = 60 }

[[workload]]
name = "closed"
az = "b"
target = "back"
clients = 5
think = { dist = "exponential", mean = "50ms" }

[sweep]
"workload.open.arrival.rate" = [40, 80]
"#;

/// Every number of an experiment, as bits (f64 by `to_bits`, so NaN cells compare too).
fn fingerprint(results: &ExperimentResults) -> Vec<(String, u64)> {
    let mut out = vec![("total_events".to_string(), results.total_events)];
    let mut push = |key: String, value: f64| out.push((key, value.to_bits()));
    for point in &results.points {
        let p = format!("point {} {:?}", point.index, point.params);
        for m in &point.metrics {
            push(format!("{p} {} mean", m.name), m.mean);
            push(format!("{p} {} ci95_low", m.name), m.ci95_low);
            push(format!("{p} {} ci95_high", m.name), m.ci95_high);
            push(format!("{p} {} replications", m.name), m.replications as f64);
            push(format!("{p} {} count", m.name), m.count.map_or(-1.0, |c| c as f64));
            if let Some(q) = m.percentiles {
                for (name, value) in [("p50", q.p50), ("p90", q.p90), ("p99", q.p99), ("p999", q.p999), ("max", q.max)]
                {
                    push(format!("{p} {} {name}", m.name), value);
                }
            }
        }
        for rep in &point.replications {
            push(format!("{p} replication {} events", rep.replication), rep.events as f64);
            for (m, value) in point.metrics.iter().zip(&rep.values) {
                push(format!("{p} replication {} {}", rep.replication, m.name), *value);
            }
        }
        for (name, histogram) in &point.histograms {
            for v in histogram.iter_recorded() {
                push(format!("{p} histogram {name} @{}", v.value_iterated_to()), v.count_at_value() as f64);
            }
        }
        for (i, value) in point.series.values.iter().enumerate() {
            push(format!("{p} series cell {i}"), *value);
        }
    }
    out
}

/// The same scenario and seed give bit-identical results with 1, 2 and 5 worker threads (and
/// twice with the same count): every mean, interval, percentile, histogram bucket,
/// per-replication value and time-series cell. Two sweep points × 6 replications, four
/// components with network jitter across two AZs, a bounded queue, a tandem and a closed loop;
/// about 2.4M events per run.
#[test]
fn determinism_across_thread_counts() {
    let scenario = Scenario::from_source("determinism", DETERMINISM, Path::new("."), &[]).expect("valid scenario");
    let run = |threads: usize| {
        let results = experiment::run(
            &scenario,
            &RunOptions { threads: Some(threads), progress: stratus::experiment::Progress::Hidden },
        )
        .expect("the experiment runs");
        (results.total_events, fingerprint(&results))
    };
    let (events, reference) = run(1);
    println!("[determinism] {} values compared, {:.2}M events per run", reference.len(), events as f64 / 1e6);
    assert!(reference.len() > 1000, "the fingerprint covers too little: {}", reference.len());
    for threads in [2, 5, 2] {
        let (_, other) = run(threads);
        assert_eq!(reference.len(), other.len(), "{threads} threads: different shape");
        for (a, b) in reference.iter().zip(&other) {
            assert_eq!(a, b, "{threads} threads differ from 1 thread at {}", a.0);
        }
    }
}

const WARMUP: &str = r#"
name = "warmup"
[simulation]
duration = "1s"
replications = 20
seed = 808
sample_interval = "100s"

[topology]
same_az_rtt = "0"

[[component]]
name = "q"
kind = "station"
service = { dist = "exponential", mean = "1s" }

[[workload]]
name = "w"
target = "q"
arrival = { process = "step", rate = 3.0, steps = [{ at = "100s", rate = 0.5 }] }
"#;

/// The warm-up cut. An M/M/1 (μ = 1/s) is overloaded at λ = 3/s for its first 100 s, so about
/// 200 requests queue up, which drain at μ − λ = 0.5/s by t ≈ 500 s (standard deviation of
/// the drain time √(200(λ+μ)/(μ−λ)³) ≈ 50 s); after that it is an M/M/1 at ρ = 0.5:
/// R = 2 s, Wq = 1 s, L = 1, Lq = 0.5.
///
/// - With a 1000 s warm-up the measurements match that M/M/1. Once the queue first empties
///   (by 1000 s except with a probability of ~10 standard deviations of the drain time) the process is an M/M/1 started empty, so
///   the usual bias bound applies.
/// - Without warm-up the transient (fluid estimate: 50 000 extra request-seconds) inflates
///   the measurements: the steady-state value must lie more than 5 half-widths below their
///   mean (the bias is ≈ 50 000 / duration in L, about 10 half-widths at either run length),
///   and the series of the first 1000 s must show the fluid transient.
/// - Both runs use the same random numbers (the warm-up changes what is measured, not what
///   happens), so the measurements without warm-up must equal, up to rounding, the time-
///   weighted combination of those with warm-up and of the time series over the first 1000 s
///   (100 s rows): Lq and throughput over [0, T] = (value over [w, T]·(T − w) + Σ rows
///   before w · 100 s) / T, and the difference of the completion counts is the throughput of
///   those rows × 100 s.
#[test]
fn warmup_excludes_the_transient() {
    let window = measured(10_000.0);
    let with = simulate("with warm-up", WARMUP, 1_000.0, window);
    let without = simulate("without warm-up", WARMUP, 0.0, 1_000.0 + window);
    let mut checks = Checks::new("warmup");
    let bias = bias_bound(1, 0.5, 1.0, 1.0, 1.0, with.window);
    checks.metric(&with, "q.response_time", 2_000.0, bias, 0.05);
    checks.metric(&with, "q.wait_time", 1_000.0, bias, 0.05);
    checks.metric(&with, "q.queue_length", 0.5, bias, 0.05);
    checks.metric(&with, "q.in_system", 1.0, bias, 0.05);
    checks.metric(&with, "q.utilization", 0.5, bias, 0.02);
    for (metric, theory) in [("q.response_time", 2_000.0), ("q.in_system", 1.0)] {
        let m = without.summary(metric);
        let half95 = (m.ci95_high - m.ci95_low) / 2.0;
        checks.record(
            m.mean - theory > 5.0 * half95,
            format!(
                "without warm-up {metric}: {:.4} ± {half95:.4} (95%) vs steady state {theory}: \
                 biased upwards by {:.1} half-widths (must be > 5)",
                m.mean,
                (m.mean - theory) / half95
            ),
        );
    }

    // The exact accounting between the two runs.
    let series = &without.point().series;
    let column = |name: &str| series.names.iter().position(|n| n == name).expect("series column");
    let rows_before = (1_000.0 / 100.0) as usize;
    let interval = 100.0;
    let early = |name: &str| -> f64 {
        let c = column(name);
        (0..rows_before).map(|r| series.row(r)[c] * interval).sum()
    };
    let total = 1_000.0 + window;
    // The transient itself, from the series of the run without warm-up: the extra
    // request-seconds waiting over the first 1000 s, ∫(Q − Lq) dt, against the fluid estimate
    // (queue rising at λ − μ = 2/s for 100 s, then draining at 0.5/s: ½·200·500 = 50 000,
    // less the ≈ 500 s of service of the busy period, less Lq·1000 s = 500: 49 000). The
    // per-replication area varies by ~20% (it is ≈ quadratic in the peak, 200 ± 20), so the
    // mean of 20 by ~5%; ±25% is 5 standard errors.
    let excess = early("q.queue_length") - 0.5 * 1_000.0;
    checks.close("∫(Q − Lq) dt over the warm-up, request-seconds", excess, 49_000.0, 0.25 * 49_000.0);
    for (metric, column_name) in [("q.queue_length", "q.queue_length"), ("q.throughput", "q.throughput")] {
        let expected = (with.summary(metric).mean * window + early(column_name)) / total;
        let observed = without.summary(metric).mean;
        checks.close(&format!("{metric} without warm-up = combination"), observed, expected, 1e-9 * expected.abs());
    }
    let counts = |run: &Run| run.summary("q.response_time").count.expect("latency count") as f64;
    let reps = f64::from(with.scenario.points[0].spec.simulation.replications);
    let early_completions = early("q.throughput") * reps;
    checks.close(
        "completions before the warm-up end",
        counts(&without) - counts(&with),
        early_completions,
        1e-6 * early_completions,
    );
    checks.finish();
}

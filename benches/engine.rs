//! Engine throughput: stratus's public event-queue API against a hand-written
//! `BinaryHeap<Reverse<(time, seq, payload)>>` loop, side by side, on the same workloads with the
//! same random numbers.
//!
//! Workloads (every arrival, departure or PHOLD message is one event):
//! - `W1_mm1`: M/M/1 queue, λ = 0.9, μ = 1.0; 2,000,000 customers arrive and all depart
//!   (exactly 4,000,000 events).
//! - `W2_phold`: PHOLD, 1,000 logical processes with 1 initial event each; each event sends one
//!   event to a uniformly random process after exp(mean 1) + 0.1 time units; 10,000,000 events.
//! - `W2x10_phold`: the same with 10 initial events per process.
//!
//! Both implementations draw from the same `SimRng` stream in the same order, convert delays
//! with `SimDuration::from_secs_f64`, and break time ties by insertion sequence, so they deliver
//! the identical event sequence; this is asserted once before measuring.
//!
//! Run with `cargo bench --bench engine`. Besides criterion's own report, the bench prints a
//! summary with the stratus/hand ratio per workload: once from the medians of criterion's
//! measured samples and once from an interleaved paired pass (stratus, hand, stratus, hand, ...)
//! that is less sensitive to background load.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use rand::RngExt;
use rand_distr::{Distribution, Exp};
use stratus::engine::{EventQueue, SimDuration, SimRng, SimTime, StreamKey, run_until};

const MM1_CUSTOMERS: u64 = 2_000_000;
const MM1_EVENTS: u64 = 2 * MM1_CUSTOMERS;
const MM1_LAMBDA: f64 = 0.9;
const MM1_MU: f64 = 1.0;

const PHOLD_LPS: u32 = 1_000;
const PHOLD_EVENTS: u64 = 10_000_000;
/// Fixed part of every PHOLD delay ("lookahead").
const PHOLD_LOOKAHEAD: f64 = 0.1;

/// Criterion samples per benchmark (each sample runs the whole workload at least once).
const SAMPLES: usize = 10;
/// Rounds of the interleaved paired pass.
const PAIRED_ROUNDS: usize = 7;

fn rng(workload: &str) -> SimRng {
    StreamKey { seed: 20_261_101, point: 0, replication: 0 }.rng(workload)
}

/// What a run produced; equal between implementations when they did the same work.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Outcome {
    events: u64,
    end_nanos: u64,
    checksum: u64,
}

// ---------------------------------------------------------------------------------------------
// W1: M/M/1
// ---------------------------------------------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mm1 {
    Arrival,
    Departure,
}

fn mm1_stratus() -> Outcome {
    let mut rng = rng("mm1");
    let inter_arrival = Exp::new(MM1_LAMBDA).unwrap();
    let service = Exp::new(MM1_MU).unwrap();
    let mut queue = EventQueue::new();
    let mut in_system = 0u64;
    let mut arrived = 1u64;
    let mut area = 0u64; // sum over departures of the number left behind
    let mut last = SimTime::ZERO;
    queue.schedule_in(SimDuration::from_secs_f64(inter_arrival.sample(&mut rng)), Mm1::Arrival);
    let events = run_until(&mut queue, SimTime::MAX, |queue, event| {
        last = queue.now();
        match event {
            Mm1::Arrival => {
                in_system += 1;
                if in_system == 1 {
                    let delay = SimDuration::from_secs_f64(service.sample(&mut rng));
                    queue.schedule_in(delay, Mm1::Departure);
                }
                if arrived < MM1_CUSTOMERS {
                    arrived += 1;
                    let delay = SimDuration::from_secs_f64(inter_arrival.sample(&mut rng));
                    queue.schedule_in(delay, Mm1::Arrival);
                }
            }
            Mm1::Departure => {
                in_system -= 1;
                area += in_system;
                if in_system > 0 {
                    let delay = SimDuration::from_secs_f64(service.sample(&mut rng));
                    queue.schedule_in(delay, Mm1::Departure);
                }
            }
        }
    });
    Outcome { events, end_nanos: last.as_nanos(), checksum: area }
}

fn mm1_hand() -> Outcome {
    let mut rng = rng("mm1");
    let inter_arrival = Exp::new(MM1_LAMBDA).unwrap();
    let service = Exp::new(MM1_MU).unwrap();
    let mut heap: BinaryHeap<Reverse<(u64, u64, Mm1)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut in_system = 0u64;
    let mut arrived = 1u64;
    let mut area = 0u64;
    let mut events = 0u64;
    let mut last = 0u64;
    let first = SimDuration::from_secs_f64(inter_arrival.sample(&mut rng)).as_nanos();
    heap.push(Reverse((first, seq, Mm1::Arrival)));
    seq += 1;
    while let Some(Reverse((now, _, event))) = heap.pop() {
        events += 1;
        last = now;
        match event {
            Mm1::Arrival => {
                in_system += 1;
                if in_system == 1 {
                    let delay = SimDuration::from_secs_f64(service.sample(&mut rng)).as_nanos();
                    heap.push(Reverse((now + delay, seq, Mm1::Departure)));
                    seq += 1;
                }
                if arrived < MM1_CUSTOMERS {
                    arrived += 1;
                    let delay = SimDuration::from_secs_f64(inter_arrival.sample(&mut rng)).as_nanos();
                    heap.push(Reverse((now + delay, seq, Mm1::Arrival)));
                    seq += 1;
                }
            }
            Mm1::Departure => {
                in_system -= 1;
                area += in_system;
                if in_system > 0 {
                    let delay = SimDuration::from_secs_f64(service.sample(&mut rng)).as_nanos();
                    heap.push(Reverse((now + delay, seq, Mm1::Departure)));
                    seq += 1;
                }
            }
        }
    }
    Outcome { events, end_nanos: last, checksum: area }
}

// ---------------------------------------------------------------------------------------------
// W2 / W2x10: PHOLD
// ---------------------------------------------------------------------------------------------

/// Every event is one message to a logical process. `total` messages are created in all (the
/// initial ones included) and every one is delivered, so exactly `total` events run.
fn phold_stratus(initial_per_lp: u64, total: u64) -> Outcome {
    let mut rng = rng("phold");
    let exp = Exp::new(1.0).unwrap();
    let mut received = vec![0u64; PHOLD_LPS as usize];
    let mut queue = EventQueue::new();
    let mut created = 0u64;
    for lp in 0..PHOLD_LPS {
        for _ in 0..initial_per_lp {
            let delay = SimDuration::from_secs_f64(exp.sample(&mut rng) + PHOLD_LOOKAHEAD);
            queue.schedule_in(delay, lp);
            created += 1;
        }
    }
    let mut last = SimTime::ZERO;
    let events = run_until(&mut queue, SimTime::MAX, |queue, lp: u32| {
        received[lp as usize] += 1;
        last = queue.now();
        if created < total {
            created += 1;
            let to = rng.random_range(0..PHOLD_LPS);
            let delay = SimDuration::from_secs_f64(exp.sample(&mut rng) + PHOLD_LOOKAHEAD);
            queue.schedule_in(delay, to);
        }
    });
    Outcome { events, end_nanos: last.as_nanos(), checksum: phold_checksum(&received) }
}

fn phold_hand(initial_per_lp: u64, total: u64) -> Outcome {
    let mut rng = rng("phold");
    let exp = Exp::new(1.0).unwrap();
    let mut received = vec![0u64; PHOLD_LPS as usize];
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut created = 0u64;
    for lp in 0..PHOLD_LPS {
        for _ in 0..initial_per_lp {
            let delay = SimDuration::from_secs_f64(exp.sample(&mut rng) + PHOLD_LOOKAHEAD).as_nanos();
            heap.push(Reverse((delay, seq, lp)));
            seq += 1;
            created += 1;
        }
    }
    let mut events = 0u64;
    let mut last = 0u64;
    while let Some(Reverse((now, _, lp))) = heap.pop() {
        events += 1;
        received[lp as usize] += 1;
        last = now;
        if created < total {
            created += 1;
            let to = rng.random_range(0..PHOLD_LPS);
            let delay = SimDuration::from_secs_f64(exp.sample(&mut rng) + PHOLD_LOOKAHEAD).as_nanos();
            heap.push(Reverse((now + delay, seq, to)));
            seq += 1;
        }
    }
    Outcome { events, end_nanos: last, checksum: phold_checksum(&received) }
}

fn phold_checksum(received: &[u64]) -> u64 {
    received.iter().fold(0u64, |acc, &n| acc.rotate_left(5) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

struct Workload {
    name: &'static str,
    events: u64,
    stratus: fn() -> Outcome,
    hand: fn() -> Outcome,
}

fn w2_stratus() -> Outcome {
    phold_stratus(1, PHOLD_EVENTS)
}
fn w2_hand() -> Outcome {
    phold_hand(1, PHOLD_EVENTS)
}
fn w2x10_stratus() -> Outcome {
    phold_stratus(10, PHOLD_EVENTS)
}
fn w2x10_hand() -> Outcome {
    phold_hand(10, PHOLD_EVENTS)
}

const WORKLOADS: [Workload; 3] = [
    Workload { name: "W1_mm1", events: MM1_EVENTS, stratus: mm1_stratus, hand: mm1_hand },
    Workload { name: "W2_phold", events: PHOLD_EVENTS, stratus: w2_stratus, hand: w2_hand },
    Workload { name: "W2x10_phold", events: PHOLD_EVENTS, stratus: w2x10_stratus, hand: w2x10_hand },
];

const IMPLS: [&str; 2] = ["stratus", "hand_binaryheap"];

/// Per-iteration times of every call criterion made, keyed by (workload, implementation).
static SAMPLES_SEEN: Mutex<BTreeMap<(&'static str, &'static str), Vec<Duration>>> = Mutex::new(BTreeMap::new());

fn engine(c: &mut Criterion) {
    for workload in &WORKLOADS {
        let start = Instant::now();
        let stratus = (workload.stratus)();
        let hand = (workload.hand)();
        let pair = start.elapsed();
        assert_eq!(stratus.events, workload.events, "{}: stratus event count", workload.name);
        assert_eq!(stratus, hand, "{}: both implementations must do the same work", workload.name);

        let mut group = c.benchmark_group(workload.name);
        group
            .throughput(Throughput::Elements(workload.events))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(SAMPLES)
            .warm_up_time(Duration::from_secs(1))
            // One run per sample for the slower implementation (`pair` is one run of each).
            .measurement_time(Duration::from_secs(3).max(pair * SAMPLES as u32 * 3 / 5));
        for (impl_name, run) in IMPLS.into_iter().zip([workload.stratus, workload.hand]) {
            let name = workload.name;
            group.bench_function(impl_name, |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(run());
                    }
                    let elapsed = start.elapsed();
                    SAMPLES_SEEN
                        .lock()
                        .unwrap()
                        .entry((name, impl_name))
                        .or_default()
                        .push(elapsed / iters.max(1) as u32);
                    elapsed
                })
            });
        }
        group.finish();
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let n = times.len();
    if n % 2 == 1 { times[n / 2] } else { (times[n / 2 - 1] + times[n / 2]) / 2 }
}

fn rate(events: u64, per_run: Duration) -> f64 {
    events as f64 / per_run.as_secs_f64()
}

/// Events/s and the stratus/hand ratio from the medians of criterion's measured samples (the
/// last `SAMPLES` calls of each benchmark; the earlier ones were warm-up).
fn report_criterion_samples() {
    let seen = SAMPLES_SEEN.lock().unwrap();
    if seen.is_empty() {
        return;
    }
    println!();
    println!("stratus vs hand-written BinaryHeap loop (medians of criterion's measured samples)");
    println!("{:<12} {:>16} {:>16} {:>8}", "workload", "stratus ev/s", "hand ev/s", "ratio");
    for workload in &WORKLOADS {
        let rates: Vec<Option<f64>> = IMPLS
            .iter()
            .map(|impl_name| {
                let times = seen.get(&(workload.name, *impl_name))?;
                let measured = times[times.len().saturating_sub(SAMPLES)..].to_vec();
                Some(rate(workload.events, median(measured)))
            })
            .collect();
        if let [Some(stratus), Some(hand)] = rates[..] {
            println!("{:<12} {:>16.3e} {:>16.3e} {:>8.3}", workload.name, stratus, hand, stratus / hand);
        }
    }
}

/// Runs stratus and the hand loop alternately (swapping which goes first every round) and
/// reports the median of the per-round ratios: background load then hits both sides alike.
fn report_paired(filter: Option<&str>) {
    println!();
    println!("interleaved paired pass ({PAIRED_ROUNDS} rounds, order alternating; median ratio)");
    println!("{:<12} {:>16} {:>16} {:>8} {:>15}", "workload", "stratus ev/s", "hand ev/s", "ratio", "ratio min..max");
    for workload in &WORKLOADS {
        if filter.is_some_and(|f| !workload.name.contains(f)) {
            continue;
        }
        let time = |run: fn() -> Outcome| {
            let start = Instant::now();
            black_box(run());
            start.elapsed()
        };
        let (mut stratus_times, mut hand_times, mut ratios) = (vec![], vec![], vec![]);
        for round in 0..PAIRED_ROUNDS {
            let (s, h) = if round % 2 == 0 {
                let s = time(workload.stratus);
                (s, time(workload.hand))
            } else {
                let h = time(workload.hand);
                (time(workload.stratus), h)
            };
            stratus_times.push(s);
            hand_times.push(h);
            ratios.push(h.as_secs_f64() / s.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "{:<12} {:>16.3e} {:>16.3e} {:>8.3} {:>7.3}..{:<7.3}",
            workload.name,
            rate(workload.events, median(stratus_times)),
            rate(workload.events, median(hand_times)),
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    engine(&mut criterion);
    criterion.final_summary();

    // `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion then runs
    // every benchmark once as a smoke test), and the summaries are skipped.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--bench") && !args.iter().any(|arg| arg == "--list") {
        report_criterion_samples();
        let filter = args.iter().find(|arg| !arg.starts_with('-')).map(String::as_str);
        report_paired(filter);
    }
}

//! Unit tests of the Lambda model: parameter checks and defaults, billing, and the state
//! machine driven event by event on an instant network (concurrency limit, warm reuse, idle
//! reclamation, per-record time, timeouts, crashes). Whole scenarios are in
//! `tests/integration/lambda.rs`.

use super::metrics::billed_millis;
use super::*;
use crate::engine::{EventQueue, StreamKey};
use crate::model::{ComponentId, Event, Network, Reply};

fn plan_of(toml: &str) -> Result<LambdaPlan, SpecError> {
    let config: LambdaConfig = toml::from_str(toml).expect("valid TOML");
    let resolve = |name: &str| (name == "db").then_some(ComponentId(7));
    let az = |_: &str| Some(0);
    let context = BuildContext { resolve: &resolve, az_index: &az, own_az: 0, az_count: 3 };
    config.plan(&context)
}

#[test]
fn defaults_follow_the_lambda_docs() {
    let plan = plan_of("duration = \"100ms\"").unwrap();
    assert_eq!(plan.runtime, Runtime::Python);
    assert_eq!(plan.limit, 1000, "account concurrency 1,000 (LDG quotas)");
    assert_eq!(plan.timeout, SimDuration::from_secs(3), "default timeout 3 s (LDG)");
    assert_eq!(plan.memory_mb, 128);
    assert_eq!(plan.provisioned, 0);
    assert!((plan.init.mean() - 0.3).abs() < 1e-9, "python cold start mean {}", plan.init.mean());
    assert!((plan.idle_lifetime.mean() - 600.0).abs() < 1e-9);
    assert!(plan.target.is_none());
    let java = plan_of("duration = \"100ms\"\nruntime = \"java\"").unwrap();
    assert!((java.init.mean() - 2.0).abs() < 1e-9);
    let snap = plan_of("duration = \"100ms\"\nruntime = \"java\"\nsnapstart = true").unwrap();
    assert!((snap.init.mean() - SNAPSTART_RESTORE_SECS).abs() < 1e-9, "SnapStart restores instead");
    let reserved = plan_of("duration = \"100ms\"\nreserved_concurrency = 20").unwrap();
    assert_eq!(reserved.limit, 20);
    for (runtime, name) in RUNTIMES {
        assert_eq!(Runtime::parse(name), Some(runtime));
        assert_eq!(runtime.as_str(), name);
        assert!((0.05..=5.0).contains(&runtime.cold_start_mean()), "{name}: ~100 ms to several seconds");
    }
}

#[test]
fn checks_name_the_offending_field() {
    let field = |extra: &str| plan_of(&format!("duration = \"100ms\"\n{extra}")).unwrap_err().field;
    assert_eq!(field("runtime = \"pyton\""), "runtime");
    assert_eq!(field("memory_mb = 64"), "memory_mb");
    assert_eq!(field("memory_mb = 10241"), "memory_mb");
    assert_eq!(field("timeout = \"901s\""), "timeout", "at most 15 minutes");
    assert_eq!(field("timeout = 0"), "timeout");
    assert_eq!(field("reserved_concurrency = 2000"), "reserved_concurrency");
    assert_eq!(field("account_concurrency = 0"), "account_concurrency");
    assert_eq!(field("reserved_concurrency = 5\nprovisioned_concurrency = 6"), "provisioned_concurrency");
    assert_eq!(field("runtime = \"go\"\nsnapstart = true"), "snapstart");
    assert_eq!(field("runtime = \"java\"\nsnapstart = true\nprovisioned_concurrency = 1"), "snapstart");
    assert_eq!(field("error_rate = 1.5"), "error_rate");
    assert_eq!(field("target = \"db\"\ntarget_op = \"delete\""), "target_op");
    assert_eq!(field("target = \"nowhere\""), "target");
    assert_eq!(field("client = { max_attempts = 0 }"), "client.max_attempts");
    assert_eq!(field("cold_start = { dist = \"uniform\", min = \"2s\", max = \"1s\" }"), "cold_start.max");
    let message = plan_of("duration = \"1s\"\nruntime = \"pyton\"").unwrap_err().message;
    assert!(message.contains("did you mean `python`"), "{message}");
    assert!(plan_of("duration = \"1s\"\ntarget = \"db\"\ntimeout = \"900s\"\nmemory_mb = 10240").is_ok());
}

#[test]
fn billing_rounds_up_to_the_millisecond() {
    let ms = SimDuration::from_millis;
    assert_eq!(billed_millis(SimDuration::ZERO, ms(100)), 100);
    assert_eq!(billed_millis(SimDuration::ZERO, ms(100) + SimDuration::from_micros(400)), 101);
    assert_eq!(billed_millis(ms(250), SimDuration::from_nanos(1)), 251, "init is billed too");
    assert_eq!(billed_millis(SimDuration::ZERO, SimDuration::ZERO), 0);
}

/// A function driven by hand: requests scheduled at given times, replies collected.
struct Harness {
    queue: EventQueue<Event>,
    network: Network,
    rng: crate::engine::SimRng,
    lambda: Lambda,
    replies: Vec<(f64, Reply)>,
}

const ME: ComponentId = ComponentId(0);
const CLIENT: ComponentId = ComponentId(1);

impl Harness {
    fn new(toml: &str) -> Self {
        let mut harness = Harness {
            queue: EventQueue::new(),
            network: Network::instant(),
            rng: StreamKey { seed: 3, point: 0, replication: 0 }.rng("fn"),
            lambda: Lambda::new("fn", plan_of(toml).unwrap()),
            replies: Vec::new(),
        };
        let mut ctx = Ctx::new(ME, &mut harness.queue, &mut harness.network, &mut harness.rng);
        harness.lambda.start(&mut ctx);
        harness
    }

    fn invoke_at(&mut self, secs: f64, records: u64) {
        let request = Request { id: secs.to_bits(), op: Op::Invoke, key: records, client: CLIENT, ..Request::NONE };
        let at = SimTime::ZERO + SimDuration::from_secs_f64(secs);
        self.queue.schedule_at(at, Event { to: ME, msg: Message::Request(request) });
    }

    fn fault_at(&mut self, secs: f64, active: bool) {
        let signal = FaultSignal { action: FaultAction::Crash { instance: 0 }, active, id: 0 };
        let at = SimTime::ZERO + SimDuration::from_secs_f64(secs);
        self.queue.schedule_at(at, Event { to: ME, msg: Message::Fault(signal) });
    }

    fn slow_at(&mut self, secs: f64, factor: f64, active: bool) {
        let signal = FaultSignal { action: FaultAction::Slow { instance: 0, factor }, active, id: 1 };
        let at = SimTime::ZERO + SimDuration::from_secs_f64(secs);
        self.queue.schedule_at(at, Event { to: ME, msg: Message::Fault(signal) });
    }

    fn run(&mut self) {
        while let Some(event) = self.queue.pop() {
            let now = self.queue.now().as_secs_f64();
            match (event.to, event.msg) {
                (CLIENT, Message::Reply(reply)) => self.replies.push((now, reply)),
                (ME, msg) => {
                    let mut ctx = Ctx::new(ME, &mut self.queue, &mut self.network, &mut self.rng);
                    self.lambda.handle(msg, &mut ctx);
                }
                _ => {}
            }
        }
    }

    /// (time, status) of each reply, in order.
    fn statuses(&self) -> Vec<(f64, Status)> {
        self.replies.iter().map(|(t, reply)| ((t * 1e6).round() / 1e6, reply.status)).collect()
    }
}

/// Limit 2, constant 1 s handler, constant 0.5 s cold start, 10 s idle lifetime.
const SMALL: &str = "duration = \"1s\"\nreserved_concurrency = 2\ncold_start = \"500ms\"\nidle_lifetime = \"10s\"";

#[test]
fn the_limit_throttles_and_freed_environments_are_reused_warm_until_reclaimed() {
    let mut h = Harness::new(SMALL);
    for _ in 0..3 {
        h.invoke_at(0.0, 1);
    }
    h.invoke_at(2.0, 1); // Warm: an environment freed at 1.5 s.
    h.invoke_at(20.0, 1); // Both environments idle since 1.5 s / 3 s: reclaimed at 11.5 s / 13 s.
    h.run();
    assert_eq!(
        h.statuses(),
        vec![(0.0, Status::Throttled), (1.5, Status::Ok), (1.5, Status::Ok), (3.0, Status::Ok), (21.5, Status::Ok)]
    );
    let m = &h.lambda.m;
    assert_eq!((m.invocations.total(), m.throttles.total(), m.cold_starts.total()), (4, 1, 3));
    assert_eq!(m.concurrency_max, 2);
    assert_eq!(m.reclaimed.total(), 2, "both expired environments were found reclaimed");
    // Billed: three cold invocations of 1.5 s and one warm of 1 s, at 128 MB = 1/8 GB.
    assert_eq!(m.billed_millis, 3 * 1500 + 1000);
    assert_eq!(m.billed_mb_millis, 128 * 5500);
}

#[test]
fn records_lengthen_a_batch_and_a_timeout_fails_it_and_resets_its_environment() {
    let toml =
        "duration = \"1s\"\nper_record = \"100ms\"\ntimeout = \"3s\"\ncold_start = \"500ms\"\nreserved_concurrency = 1";
    let mut h = Harness::new(toml);
    h.invoke_at(0.0, 10); // 0.5 s cold + 1 s + 10 × 0.1 s = 2.5 s.
    h.invoke_at(5.0, 30); // Warm; 1 s + 3 s > 3 s timeout: fails at 8 s.
    h.invoke_at(10.0, 0); // Cold again (reset): 0.5 + 1 s.
    h.run();
    assert_eq!(h.statuses(), vec![(2.5, Status::Ok), (8.0, Status::Unavailable), (11.5, Status::Ok)]);
    let m = &h.lambda.m;
    assert_eq!((m.cold_starts.total(), m.errors_timeout.total(), m.resets.total()), (2, 1, 1));
}

#[test]
fn a_crash_fails_what_runs_and_loses_the_warm_pool() {
    let mut h = Harness::new(SMALL);
    h.invoke_at(0.0, 1);
    h.invoke_at(2.0, 1); // Warm, running when the crash comes at 2.5 s.
    h.fault_at(2.5, true);
    h.invoke_at(3.0, 1); // Down.
    h.fault_at(4.0, false);
    h.invoke_at(5.0, 1); // Cold: the warm pool was lost.
    h.run();
    assert_eq!(
        h.statuses(),
        vec![(1.5, Status::Ok), (2.5, Status::Unavailable), (3.0, Status::Unavailable), (6.5, Status::Ok)]
    );
    let m = &h.lambda.m;
    assert_eq!((m.lost_in_flight.total(), m.unavailable.total(), m.cold_starts.total()), (1, 1, 2));
}

#[test]
fn provisioned_environments_never_start_cold_and_other_operations_are_invalid() {
    let mut h = Harness::new("duration = \"1s\"\nreserved_concurrency = 3\nprovisioned_concurrency = 2");
    for t in [0.0, 0.0, 100.0, 5000.0] {
        h.invoke_at(t, 1);
    }
    let send = Request { op: Op::Send, client: CLIENT, ..Request::NONE };
    h.queue.schedule_at(SimTime::ZERO, Event { to: ME, msg: Message::Request(send) });
    h.run();
    assert_eq!(h.lambda.m.cold_starts.total(), 0, "provisioned environments are never reclaimed");
    assert_eq!(h.lambda.m.invalid.total(), 1);
    assert_eq!(h.replies.iter().filter(|(_, r)| r.status == Status::Invalid).count(), 1);
}

/// 10,000 warm invocations with `error_rate` 0.2: the failed share is binomial, σ =
/// √(0.2·0.8/10,000) = 0.004; 0.016 is 4σ. Failures are answered `unavailable` and leave the
/// environment warm (one cold start in all).
#[test]
fn the_error_rate_fails_its_share_of_invocations() {
    let mut h = Harness::new("duration = \"10ms\"\nreserved_concurrency = 1\nerror_rate = 0.2");
    for k in 0..10_000 {
        h.invoke_at(f64::from(k) * 0.02, 1);
    }
    h.run();
    let failed = h.replies.iter().filter(|(_, r)| r.status == Status::Unavailable).count();
    let share = failed as f64 / 10_000.0;
    assert!((share - 0.2).abs() < 0.016, "failed share {share}");
    assert_eq!(h.lambda.m.errors_function.total(), failed as u64);
    assert_eq!(h.lambda.m.cold_starts.total(), 1);
}

/// A scaling rate of 2 new environments per 10 s (a bucket of 2 refilling at 0.2/s): of 5
/// simultaneous invocations 2 start and 3 are throttled although the limit (10) is far; 5 s
/// later one more environment may be created, and the two warm ones are reused.
#[test]
fn the_scaling_rate_bounds_how_fast_environments_are_created() {
    let mut h = Harness::new(
        "duration = \"10s\"\nreserved_concurrency = 10\nscaling_rate = 2\ncold_start = \"1ms\"\ntimeout = \"30s\"",
    );
    for _ in 0..5 {
        h.invoke_at(0.0, 1);
    }
    for _ in 0..2 {
        h.invoke_at(5.0, 1); // One new environment allowed (1 token), the other throttled.
    }
    for _ in 0..3 {
        h.invoke_at(20.0, 1); // Three environments are idle by then: all warm.
    }
    h.run();
    let m = &h.lambda.m;
    assert_eq!((m.invocations.total(), m.throttles.total(), m.scaling_throttles.total()), (6, 4, 4));
    assert_eq!(m.cold_starts.total(), 3);
}

/// A slow fault of factor 3 stretches the cold start and the handler of invocations that
/// start while it lasts.
#[test]
fn a_slow_fault_stretches_cold_starts_and_running_times() {
    let mut h = Harness::new(SMALL);
    h.slow_at(0.0, 3.0, true);
    h.invoke_at(0.0, 1); // (0.5 + 1) × 3 = 4.5 s.
    h.slow_at(5.0, 3.0, false);
    h.invoke_at(6.0, 1); // Warm, normal speed: 1 s.
    h.run();
    assert_eq!(h.statuses(), vec![(4.5, Status::Ok), (7.0, Status::Ok)]);
}

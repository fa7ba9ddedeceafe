//! Unit tests of the SNS model: filter policies, parameter checks, and the topic driven event
//! by event on an instant network (acknowledgement before delivery, fan-out with a filter,
//! delivery retries, the publish limit). Whole scenarios are in `tests/integration/sns.rs`.

use super::*;
use crate::engine::{EventQueue, StreamKey};
use crate::model::{ComponentId, Event, Network, Reply};

fn plan_of(toml: &str) -> Result<SnsPlan, SpecError> {
    let config: SnsConfig = toml::from_str(toml).expect("valid TOML");
    let resolve = |name: &str| match name {
        "a" => Some(ComponentId(1)),
        "b" => Some(ComponentId(2)),
        _ => None,
    };
    let az = |_: &str| Some(0);
    let context = BuildContext { resolve: &resolve, az_index: &az, own_az: 0, az_count: 3 };
    config.plan(&context)
}

fn filter(toml: &str) -> Filter {
    toml::from_str::<FilterConfig>(toml).expect("valid TOML").build().expect("a valid policy")
}

#[test]
fn filters_accept_what_their_policy_says() {
    let exact = filter("keys = [7, 3, 3]");
    assert!(exact.accepts(3) && exact.accepts(7) && !exact.accepts(4));
    let range = filter("key_at_least = 10\nkey_below = 20");
    assert_eq!((0..100).filter(|&k| range.accepts(k)).count(), 10);
    let modulo = filter("key_modulo = 4\nremainders = [1, 3]");
    assert_eq!((0..1000).filter(|&k| modulo.accepts(k)).count(), 500, "r/m = 2/4 of uniform keys");
    let both = filter("key_below = 100\nkey_modulo = 10\nremainders = [0]");
    assert_eq!((0..1000).filter(|&k| both.accepts(k)).count(), 10, "conditions combine with AND");
}

#[test]
fn checks_name_the_offending_field() {
    let field = |toml: &str| plan_of(toml).unwrap_err().field;
    assert_eq!(field("subscribers = []"), "subscribers");
    assert_eq!(field("subscribers = [\"a\", \"a\"]"), "subscribers");
    assert_eq!(field("subscribers = [\"z\"]"), "subscribers");
    assert_eq!(field("subscribers = [\"a\"]\nfilters.c = { keys = [1] }"), "filters.c");
    assert_eq!(field("subscribers = [\"a\"]\nfilters.a = {}"), "filters.a");
    assert_eq!(field("subscribers = [\"a\"]\nfilters.a = { keys = [] }"), "filters.a.keys");
    assert_eq!(field("subscribers = [\"a\"]\nfilters.a = { key_below = 5, key_at_least = 5 }"), "filters.a.key_below");
    assert_eq!(field("subscribers = [\"a\"]\nfilters.a = { key_modulo = 4 }"), "filters.a.key_modulo");
    assert_eq!(
        field("subscribers = [\"a\"]\nfilters.a = { key_modulo = 4, remainders = [4] }"),
        "filters.a.remainders"
    );
    assert_eq!(field("subscribers = [\"a\"]\nfilters.a = { remainders = [1] }"), "filters.a.remainders");
    assert_eq!(field("subscribers = [\"a\"]\npublish_rate = 0.0"), "publish_rate");
    assert_eq!(field("subscribers = [\"a\"]\nprotocols.a = \"http\""), "protocols.a");
    assert_eq!(field("subscribers = [\"a\"]\nprotocols.b = \"lambda\""), "protocols.b");
    let plan = plan_of("subscribers = [\"a\", \"b\"]\nprotocols.b = \"lambda\"").unwrap();
    assert_eq!((plan.subscribers[0].op, plan.subscribers[1].op), (Op::Send, Op::Invoke));
    assert_eq!(field("subscribers = [\"a\"]\ndelivery = { max_attempts = 0 }"), "delivery.max_attempts");
    let message = plan_of("subscribers = [\"a\"]\nfilters.aa = { keys = [1] }").unwrap_err().message;
    assert!(message.contains("did you mean `a`"), "{message}");
    let plan = plan_of("subscribers = [\"a\", \"b\"]").unwrap();
    assert_eq!(plan.delivery.max_attempts, u16::MAX);
    assert_eq!(plan.delivery.timeout, Some(DEFAULT_DELIVERY_TIMEOUT));
    assert!((plan.delivery_latency.mean() - DEFAULT_DELIVERY_LATENCY_SECS).abs() < 1e-12);
}

const TOPIC: ComponentId = ComponentId(0);
const PUBLISHER: ComponentId = ComponentId(9);

/// A topic with subscribers `a` (1) and `b` (2); each subscriber fails its first
/// `fail_first[i]` delivery attempts (`unavailable`) and acknowledges the rest.
struct Harness {
    queue: EventQueue<Event>,
    network: Network,
    rng: crate::engine::SimRng,
    topic: Sns,
    fail_first: [u32; 2],
    attempts: [u32; 2],
    /// (time, status) of the publishes' replies.
    acks: Vec<(f64, Status)>,
    /// (time, subscriber, key) of the deliveries that reached a subscriber.
    received: Vec<(f64, usize, u64)>,
}

impl Harness {
    fn new(toml: &str, fail_first: [u32; 2]) -> Self {
        let mut harness = Harness {
            queue: EventQueue::new(),
            network: Network::instant(),
            rng: StreamKey { seed: 5, point: 0, replication: 0 }.rng("topic"),
            topic: Sns::new("topic", plan_of(toml).unwrap()),
            fail_first,
            attempts: [0; 2],
            acks: Vec::new(),
            received: Vec::new(),
        };
        let mut ctx = Ctx::new(TOPIC, &mut harness.queue, &mut harness.network, &mut harness.rng);
        harness.topic.start(&mut ctx);
        harness
    }

    fn publish_at(&mut self, secs: f64, key: u64) {
        let request = Request { op: Op::Publish, key, client: PUBLISHER, ..Request::NONE };
        let at = SimTime::ZERO + SimDuration::from_secs_f64(secs);
        self.queue.schedule_at(at, Event { to: TOPIC, msg: Message::Request(request) });
    }

    fn run(&mut self) {
        while let Some(event) = self.queue.pop() {
            let now = self.queue.now().as_secs_f64();
            match (event.to, event.msg) {
                (PUBLISHER, Message::Reply(reply)) => self.acks.push((now, reply.status)),
                (ComponentId(id @ (1 | 2)), Message::Request(request)) => {
                    let index = id as usize - 1;
                    self.attempts[index] += 1;
                    let status = if self.attempts[index] <= self.fail_first[index] {
                        Status::Unavailable
                    } else {
                        self.received.push((now, index, request.key));
                        Status::Ok
                    };
                    let reply = Reply::new(request, status, ComponentId(id));
                    self.queue.schedule_at(self.queue.now(), Event { to: TOPIC, msg: Message::Reply(reply) });
                }
                (TOPIC, msg) => {
                    let mut ctx = Ctx::new(TOPIC, &mut self.queue, &mut self.network, &mut self.rng);
                    self.topic.handle(msg, &mut ctx);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn the_publisher_is_answered_on_acceptance_and_each_subscriber_gets_what_its_filter_accepts() {
    let toml = "subscribers = [\"a\", \"b\"]\nfilters.b = { key_below = 2 }\ndelivery_latency = \"20ms\"";
    let mut h = Harness::new(toml, [0, 0]);
    for key in 0..4 {
        h.publish_at(1.0, key);
    }
    h.run();
    assert_eq!(h.acks, vec![(1.0, Status::Ok); 4], "acknowledged at once, before any delivery");
    let at = |index: usize| -> Vec<u64> { h.received.iter().filter(|r| r.1 == index).map(|r| r.2).collect() };
    assert_eq!(at(0), vec![0, 1, 2, 3]);
    assert_eq!(at(1), vec![0, 1], "b's policy passes keys below 2");
    assert!(h.received.iter().all(|r| (r.0 - 1.02).abs() < 1e-9), "after the 20 ms delivery latency");
    let m = &h.topic.m;
    assert_eq!((m.published.total(), m.subscribers[1].filtered_out.total()), (4, 2));
    assert_eq!(m.subscribers[0].delivered.total() + m.subscribers[1].delivered.total(), 6);
    assert!(h.topic.messages.is_empty(), "a message is kept only until its last delivery ends");
}

#[test]
fn failed_deliveries_are_retried_until_the_policy_is_exhausted() {
    // a fails twice, then acknowledges: delivered after 2 retries with backoff ≤ 1 s, ≤ 2 s.
    let mut h = Harness::new("subscribers = [\"a\", \"b\"]\ndelivery_latency = \"20ms\"", [2, 0]);
    h.publish_at(0.0, 5);
    h.run();
    assert_eq!(h.attempts, [3, 1]);
    let a = h.received.iter().find(|r| r.1 == 0).expect("delivered to a");
    assert!(a.0 >= 0.02 && a.0 <= 0.02 + 1.0 + 2.0, "full-jitter backoffs of at most 1 s and 2 s, at {}", a.0);
    assert_eq!(h.topic.subscriptions[0].caller.retries.total(), 2);
    assert_eq!(h.topic.m.subscribers[0].failures.total(), 0);

    // With 2 attempts, a subscriber failing 5 times loses the message: a delivery failure.
    let mut h = Harness::new("subscribers = [\"a\", \"b\"]\ndelivery = { max_attempts = 2 }", [5, 0]);
    h.publish_at(0.0, 5);
    h.run();
    assert_eq!(h.attempts[0], 2);
    assert_eq!(h.topic.m.subscribers[0].failures.total(), 1);
    assert_eq!(h.topic.m.subscribers[1].delivered.total(), 1, "the other subscriber is unaffected");
    assert!(h.topic.messages.is_empty());
}

#[test]
fn the_publish_limit_throttles_beyond_its_burst_and_other_operations_are_invalid() {
    let mut h = Harness::new("subscribers = [\"a\"]\npublish_rate = 10.0", [0, 0]);
    for _ in 0..15 {
        h.publish_at(0.0, 1);
    }
    h.publish_at(0.5, 1); // 5 tokens back by then.
    let receive = Request { op: Op::Receive, client: PUBLISHER, ..Request::NONE };
    h.queue.schedule_at(SimTime::ZERO, Event { to: TOPIC, msg: Message::Request(receive) });
    h.run();
    let count = |status: Status| h.acks.iter().filter(|(_, s)| *s == status).count();
    assert_eq!((count(Status::Ok), count(Status::Throttled), count(Status::Invalid)), (11, 5, 1));
}

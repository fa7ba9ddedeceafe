//! Unit tests of the queue, driven message by message: short-poll sampling, FIFO group
//! locking and order, visibility expiry and the dead-letter queue, the in-flight limit,
//! retention, refused requests, duplicate copies and long polls.

use super::protocol::{Receipt, change_visibility_fields, delete_fields};
use super::*;
use crate::engine::{EventQueue, StreamKey};
use crate::model::{ComponentId, Event, Network, Op, Reply, Request, Status};

const QUEUE: ComponentId = ComponentId(0);
const CLIENT: ComponentId = ComponentId(1);

/// A queue and a client on an instant network; the client's replies are collected.
struct Harness {
    sqs: Sqs,
    queue: EventQueue<Event>,
    network: Network,
    rng: crate::engine::SimRng,
    next_id: u64,
}

impl Harness {
    fn new(toml: &str) -> Self {
        let config: SqsConfig = toml::from_str(toml).expect("valid table");
        let mut harness = Harness {
            sqs: Sqs::new("q", config.plan().expect("valid plan")),
            queue: EventQueue::new(),
            network: Network::instant(),
            rng: StreamKey { seed: 3, point: 0, replication: 0 }.rng("q"),
            next_id: 0,
        };
        let mut ctx = Ctx::new(QUEUE, &mut harness.queue, &mut harness.network, &mut harness.rng);
        harness.sqs.start(&mut ctx);
        harness
    }

    /// Sends a request to the queue and runs every event due up to `after` from now; returns
    /// the replies the client got.
    fn call(&mut self, op: Op, key: u64, size: u32, after: SimDuration) -> Vec<Reply> {
        self.next_id += 1;
        let now = self.queue.now();
        let request =
            Request { id: self.next_id, op, key, size, created: now, arrived: now, client: CLIENT, ..Request::NONE };
        self.queue.schedule_in(SimDuration::ZERO, Event { to: QUEUE, msg: Message::Request(request) });
        self.run_for(after)
    }

    /// Runs the events due in the next `span`; returns the client's replies.
    fn run_for(&mut self, span: SimDuration) -> Vec<Reply> {
        let until = self.queue.now() + span;
        let mut replies = Vec::new();
        while let Some(event) = self.queue.pop_until(until) {
            match (event.to, event.msg) {
                (CLIENT, Message::Reply(reply)) => replies.push(reply),
                (QUEUE, msg) => {
                    let mut ctx = Ctx::new(QUEUE, &mut self.queue, &mut self.network, &mut self.rng);
                    self.sqs.handle(msg, &mut ctx);
                }
                _ => {}
            }
        }
        self.queue.advance_to(until);
        replies
    }

    fn send(&mut self, key: u64) -> Status {
        self.call(Op::Write, key, 100, SimDuration::ZERO)[0].status
    }

    /// A receive of up to `max` messages, waiting `wait_ms`, answered within `after`.
    fn receive(&mut self, max: u32, wait_ms: u32, after: SimDuration) -> Vec<Reply> {
        self.call(Op::Receive, u64::from(max), wait_ms, after)
    }

    fn short_poll(&mut self, max: u32) -> Reply {
        self.receive(max, 0, SimDuration::ZERO)[0]
    }

    fn delete(&mut self, receipt: u64, mask: u16) -> Reply {
        let (key, size) = delete_fields(receipt, mask);
        self.call(Op::Delete, key, size, SimDuration::ZERO)[0]
    }
}

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

/// A short poll samples 2 of 8 servers, so it finds a lone message with probability exactly
/// 1/4. Over 4,000 trials the fraction found has sd √(0.25·0.75/4000) = 0.0068; accept 4 sd.
/// A long poll always finds it.
#[test]
fn a_short_poll_samples_a_quarter_of_the_servers() {
    let mut h = Harness::new("");
    let trials: u32 = 4000;
    let mut found = 0;
    for _ in 0..trials {
        assert_eq!(h.send(1), Status::Ok);
        let reply = h.short_poll(10);
        let reply = if reply.count == 0 {
            h.receive(10, 1000, SimDuration::ZERO)[0]
        } else {
            found += 1;
            reply
        };
        assert_eq!(reply.count, 1, "a long poll reads every server");
        assert_eq!(h.delete(reply.tag, 0).count, 1);
    }
    let fraction = f64::from(found) / f64::from(trials);
    assert!((fraction - 0.25).abs() < 4.0 * 0.0068, "found {fraction}");
    assert_eq!(h.sqs.m.deleted.total(), u64::from(trials));
    assert_eq!(h.sqs.store.unique(), 0);
}

/// FIFO: group 1 (keys 1, 9, 17 with 8 groups) is locked while a message of it is in
/// flight; group 2's message is delivered meanwhile; after the delete the rest of group 1
/// comes in send order.
#[test]
fn fifo_groups_are_locked_while_in_flight_and_delivered_in_order() {
    let mut h = Harness::new("fifo = true\nmessage_groups = 8");
    for key in [1, 9, 17, 2] {
        assert_eq!(h.send(key), Status::Ok);
    }
    let first = h.short_poll(1);
    assert_eq!(first.count, 1);
    let other = h.short_poll(10);
    assert_eq!(other.count, 1, "only group 2: group 1 is locked");
    assert_eq!(h.short_poll(10).count, 0, "nothing else may be delivered");
    assert_eq!(h.delete(first.tag, 0).count, 1);
    let rest = h.short_poll(10);
    assert_eq!(rest.count, 2, "the rest of group 1, together");
    let batch = h.sqs.store.batches.get(Receipt::from_tag(rest.tag).slot).copied().unwrap();
    let seqs: Vec<u64> = (0..2).map(|i| batch.members[i].seq).collect();
    assert!(seqs[0] < seqs[1], "send order within the group: {seqs:?}");
    assert_eq!(h.sqs.m.order_inversions.total(), 0);
}

/// A message not deleted comes back after the visibility timeout, at the front; after
/// max_receive_count receives it goes to the dead-letter queue instead.
#[test]
fn undeleted_messages_return_then_go_to_the_dead_letter_queue() {
    let mut h = Harness::new("visibility_timeout = \"10s\"\ndead_letter = { max_receive_count = 2 }\nservers = 1");
    h.send(5);
    let first = h.short_poll(1);
    assert_eq!(first.count, 1);
    assert_eq!(h.short_poll(1).count, 0, "invisible while in flight");
    h.run_for(secs(9));
    assert_eq!(h.short_poll(1).count, 0, "still invisible after 9 s");
    h.run_for(secs(1));
    let second = h.short_poll(1);
    assert_eq!(second.count, 1, "visible again after 10 s");
    assert_eq!(h.sqs.m.redeliveries.total(), 1);
    assert_eq!(h.delete(first.tag, 0).count, 0, "the first receipt expired");
    assert_eq!(h.sqs.m.duplicates.total(), 1, "a late delete: the work is done twice");
    h.run_for(secs(10));
    assert_eq!(h.sqs.m.dead_lettered.total(), 1, "received twice: to the DLQ");
    assert_eq!(h.short_poll(1).count, 0);
    assert_eq!(h.sqs.store.unique(), 0);
}

/// A heartbeat's ChangeMessageVisibility keeps a batch invisible past its timeout.
#[test]
fn change_visibility_extends_the_timeout() {
    let mut h = Harness::new("visibility_timeout = \"10s\"\nservers = 1");
    h.send(5);
    let reply = h.short_poll(1);
    h.run_for(secs(8));
    let (key, size) = change_visibility_fields(reply.tag, 1, 30);
    assert_eq!(h.call(Op::Delete, key, size, SimDuration::ZERO)[0].status, Status::Ok);
    h.run_for(secs(29));
    assert_eq!(h.short_poll(1).count, 0, "extended to 30 s from the change");
    h.run_for(secs(2));
    assert_eq!(h.short_poll(1).count, 1);
}

/// Receives return only what the in-flight limit leaves room for.
#[test]
fn the_in_flight_limit_caps_receives() {
    let mut h = Harness::new("in_flight_limit = 3\nservers = 1");
    for key in 0..5 {
        h.send(key);
    }
    assert_eq!(h.short_poll(10).count, 3);
    assert_eq!(h.short_poll(10).count, 0, "the limit is reached");
    assert_eq!(h.sqs.store.visible, 2);
}

/// Messages older than the retention period expire, visible or in flight.
#[test]
fn retention_expires_messages() {
    let mut h = Harness::new("retention = \"60s\"\nservers = 1");
    h.send(1);
    h.run_for(secs(30));
    h.send(2);
    assert_eq!(h.short_poll(1).count, 1);
    h.run_for(secs(31));
    assert_eq!(h.sqs.m.expired.total(), 1, "the first, 61 s old, in flight");
    h.run_for(secs(30));
    assert_eq!(h.sqs.m.expired.total(), 2);
    assert_eq!(h.sqs.store.unique(), 0);
    assert_eq!((h.sqs.store.visible, h.sqs.store.in_flight), (0, 0));
}

/// A message larger than the maximum, a receive of 11 or a stream operation are invalid.
#[test]
fn invalid_requests_are_refused() {
    let mut h = Harness::new("max_message_size = \"1KiB\"");
    assert_eq!(h.call(Op::Write, 1, 1025, SimDuration::ZERO)[0].status, Status::Invalid);
    assert_eq!(h.call(Op::Write, 1, 1024, SimDuration::ZERO)[0].status, Status::Ok);
    assert_eq!(h.receive(11, 0, SimDuration::ZERO)[0].status, Status::Invalid);
    assert_eq!(h.call(Op::Put, 1, 10, SimDuration::ZERO)[0].status, Status::Invalid);
    assert_eq!(h.sqs.m.invalid.total(), 3);
    assert!(
        SqsConfig { max_message_size: crate::units::ByteSize(MAX_MESSAGE_SIZE + 1), ..SqsConfig::default() }
            .plan()
            .is_err()
    );
}

/// With a duplicate probability of 1/2, about half the deletes leave a copy that is
/// delivered again; deleting the copy counts a duplicate, not a second delete, so conservation
/// holds. 400 messages: the copies are Binomial(400, 1/2), 200 ± 40 (4 sd).
#[test]
fn missed_deletes_deliver_duplicates_and_keep_conservation() {
    let mut h = Harness::new("duplicate_probability = 0.5\nvisibility_timeout = \"1s\"\nservers = 1");
    for key in 0..400 {
        h.send(key);
    }
    for _ in 0..40 {
        let reply = h.short_poll(10);
        assert_eq!(reply.count, 10);
        h.delete(reply.tag, 0);
    }
    assert_eq!(h.sqs.m.deleted.total(), 400);
    let copies = h.sqs.store.ghosts;
    assert!((160..=240).contains(&copies), "{copies} copies");
    h.run_for(secs(2));
    let mut redelivered = 0;
    loop {
        let reply = h.short_poll(10);
        if reply.count == 0 {
            break;
        }
        redelivered += u64::from(reply.count);
        h.delete(reply.tag, 0);
    }
    assert_eq!(redelivered, copies);
    assert_eq!(h.sqs.m.duplicates.total(), copies);
    assert_eq!(h.sqs.m.deleted.total(), 400, "a copy's delete is not a second delete");
    assert_eq!(h.sqs.store.unique(), 0);
}

/// A long poll waits at the queue: answered at once when a message arrives, or empty when its
/// wait ends.
#[test]
fn long_polls_wait_for_messages_or_their_wait_time() {
    let mut h = Harness::new("");
    assert!(h.receive(10, 20_000, secs(5)).is_empty(), "waiting");
    let replies = h.call(Op::Write, 1, 10, SimDuration::ZERO);
    let receive = replies.iter().find(|r| r.request.op == Op::Receive).expect("answered on arrival");
    assert_eq!(receive.count, 1);
    assert_eq!(h.queue.now(), SimTime::ZERO + secs(5));
    let empty = h.receive(10, 20_000, secs(25));
    assert_eq!((empty.len(), empty[0].count), (1, 0), "empty after 20 s");
    assert_eq!(h.sqs.m.empty_receives.total(), 1);
    assert_eq!(h.sqs.m.receives.total(), 2);
    assert_eq!(h.sqs.m.api_requests, 3.0, "a send, two receives");
}

/// FIFO limits: 300 sends/s with a burst of one second; beyond it, throttled.
#[test]
fn fifo_calls_are_rate_limited() {
    let mut h = Harness::new("fifo = true");
    let accepted = (0..400).filter(|&k| h.send(k) == Status::Ok).count();
    assert_eq!(accepted, 300);
    assert_eq!(h.sqs.m.throttled.total(), 100);
    h.run_for(secs(1));
    assert_eq!(h.send(1), Status::Ok, "refilled after a second");
}

/// A queue nobody consumes keeps only what retention has not expired: the servers' lists
/// drop references to expired messages (at most 2 × visible + 1,024, checked every 4,096
/// sends), so memory does not grow with time.
#[test]
fn expired_messages_leave_no_references_behind() {
    let mut h = Harness::new("retention = \"60s\"");
    for _ in 0..20 {
        h.run_for(secs(61));
        for key in 0..1000 {
            h.send(key);
        }
    }
    assert_eq!(h.sqs.m.expired.total(), 19_000);
    assert_eq!(h.sqs.store.visible, 1000);
    let refs: usize = h.sqs.store.servers.iter().map(|s| s.len()).sum();
    assert!(refs <= 2 * 1000 + 1024 + 4096, "{refs} references for 1,000 messages");
    assert!(h.sqs.store.by_arrival.len() <= 1000 + 1024);
}

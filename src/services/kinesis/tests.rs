//! Unit tests of the stream: configuration checks, and the stream driven message by message
//! (oversized records, PutRecords whose records fail alone, a GetRecords reply's layout with a
//! poisoned record, the read-call limit, retention).

use super::protocol::{Call, GetTag, pack_call, unpack_position};
use super::*;
use crate::engine::{EventQueue, StreamKey};
use crate::model::{ComponentId, Event, Message, Network, Op, Reply, Request, Status};

#[test]
fn defaults_build_and_bad_values_are_located() {
    let plan = KinesisConfig::default().plan().expect("defaults are valid");
    assert_eq!((plan.shards, plan.write_records, plan.retention), (1, 1000.0, DEFAULT_RETENTION));
    let bad: KinesisConfig = toml::from_str("shards = 0").unwrap();
    assert_eq!(bad.plan().unwrap_err().field, "shards");
    let bad: KinesisConfig = toml::from_str("shards = 4\n[[reshard]]\nat = \"1m\"\nshards = 9").unwrap();
    assert_eq!(bad.plan().unwrap_err().field, "reshard[0].shards");
    let bad: KinesisConfig = toml::from_str("retention = \"1h\"").unwrap();
    assert_eq!(bad.plan().unwrap_err().field, "retention");
    let consumer: ConsumerConfig = toml::from_str("stream = \"s\"\nmode = \"lambda\"").unwrap();
    assert_eq!(consumer.plan().unwrap_err().field, "function");
    let consumer: ConsumerConfig = toml::from_str("stream = \"s\"\nparallelization_factor = 2").unwrap();
    assert_eq!(consumer.plan().unwrap_err().field, "parallelization_factor");
}

/// A stream (component 0) driven by hand: requests from client 1 are delivered at the current
/// time; the replies it sends come back from the queue.
struct Bench {
    stream: Kinesis,
    queue: EventQueue<Event>,
    network: Network,
    rng: crate::engine::SimRng,
    next_id: u64,
}

impl Bench {
    fn new(toml: &str) -> Self {
        let config: KinesisConfig = toml::from_str(toml).unwrap();
        let mut bench = Bench {
            stream: Kinesis::new("s", config.plan().unwrap()),
            queue: EventQueue::new(),
            network: Network::instant(),
            rng: StreamKey { seed: 1, point: 0, replication: 0 }.rng("kinesis"),
            next_id: 0,
        };
        let mut ctx = crate::model::Ctx::new(ComponentId(0), &mut bench.queue, &mut bench.network, &mut bench.rng);
        crate::model::Component::start(&mut bench.stream, &mut ctx);
        bench
    }

    fn send(&mut self, op: Op, key: u64, size: u32) {
        let request = Request { id: self.next_id, op, key, size, client: ComponentId(1), attempt: 1, ..Request::NONE };
        self.next_id += 1;
        let mut ctx = crate::model::Ctx::new(ComponentId(0), &mut self.queue, &mut self.network, &mut self.rng);
        crate::model::Component::handle(&mut self.stream, Message::Request(request), &mut ctx);
    }

    /// Runs the queue to the end, handing the stream its own timers; returns the replies.
    fn replies(&mut self) -> Vec<Reply> {
        let mut replies = Vec::new();
        while let Some(event) = self.queue.pop() {
            match event.msg {
                Message::Reply(reply) => replies.push(reply),
                msg if event.to == ComponentId(0) => {
                    let mut ctx =
                        crate::model::Ctx::new(ComponentId(0), &mut self.queue, &mut self.network, &mut self.rng);
                    crate::model::Component::handle(&mut self.stream, msg, &mut ctx);
                }
                _ => {}
            }
        }
        replies.sort_by_key(|reply| reply.request.id);
        replies
    }
}

#[test]
fn oversized_records_are_invalid_and_other_operations_refused() {
    let mut bench = Bench::new("");
    bench.send(Op::Put, 1, (1 << 20) + 1);
    bench.send(Op::Put, 1, 1 << 20);
    bench.send(Op::Send, 1, 10);
    let statuses: Vec<Status> = bench.replies().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Invalid, Status::Ok, Status::Invalid]);
}

/// PutRecords of 3 records on a shard whose byte bucket holds 1 MiB: two records of 600 KiB
/// and one of 100 KiB in one call: the second big one does not fit after the first, the small
/// one does — each record is admitted or refused on its own.
#[test]
fn records_of_a_put_records_call_fail_alone() {
    let mut bench = Bench::new("put_batch = 3");
    bench.send(Op::Write, 1, 600 << 10);
    bench.send(Op::Write, 2, 600 << 10);
    bench.send(Op::Write, 3, 100 << 10);
    let replies = bench.replies();
    let statuses: Vec<Status> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Ok, Status::Throttled, Status::Ok]);
    assert_eq!(unpack_position(replies[2].tag), (0, 1), "the small record got sequence number 1");
    assert_eq!(bench.stream.m.put_calls.total(), 1, "one PutRecords call");
}

/// A GetRecords reply says how many records it carries, where the first is, their bytes and
/// the index of the first poisoned one; the sixth call in the same instant is throttled.
#[test]
fn get_records_reply_layout_and_the_call_limit() {
    let mut bench = Bench::new("poison_keys = [7]");
    for key in [1, 2, 7, 3] {
        bench.send(Op::Put, key, 100);
    }
    bench.replies(); // The puts complete (they are readable after their latency).
    for _ in 0..6 {
        bench.send(Op::Get, pack_call(Call::GetRecords, 0, 1), 100);
    }
    let replies = bench.replies();
    let first = replies[0];
    assert_eq!((first.status, first.count, first.request.size), (Status::Ok, 3, 300));
    assert_eq!(unpack_position(first.request.key & ((1 << 56) - 1)), (0, 1));
    let tag = GetTag::unpack(first.tag);
    assert_eq!((tag.poison, tag.closed, tag.wait_parent), (Some(1), false, false));
    let statuses: Vec<Status> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses[5], Status::Throttled, "5 calls per second per shard: {statuses:?}");
    assert!(statuses[..5].iter().all(|s| *s == Status::Ok));
}

/// UpdateShardCount from 3 to 2 (a merge) after its delay: the parents close, two children
/// split the space evenly, and each child's parents are the closed shards overlapping it (the
/// middle parent overlaps both children); new puts go to the children only.
#[test]
fn a_reshard_closes_the_parents_and_links_each_child_to_the_parents_it_overlaps() {
    let mut bench = Bench::new("shards = 3\nreshard_delay = \"1s\"\n[[reshard]]\nat = \"1s\"\nshards = 2");
    bench.replies(); // Runs the reshard timer (due at 2 s).
    let stream = &bench.stream;
    assert_eq!((stream.open_base, stream.open_count, stream.shards.len()), (3, 2, 5));
    assert!(stream.shards[..3].iter().all(|shard| !shard.open));
    assert_eq!(stream.shards[3].parents, [0, 1]);
    assert_eq!(stream.shards[4].parents, [1, 2]);
    assert_eq!((stream.shards[3].start, stream.shards[4].end), (0, u128::MAX));
    bench.send(Op::Put, 0, 10);
    let reply = bench.replies()[0];
    let (shard, seq) = unpack_position(reply.tag);
    assert_eq!((shard, seq), (4, 0), "MD5(\"0\") is in the upper half: the second child");
}

//! RDS Proxy: a fixed pool of database connections shared by every client, and a FIFO of
//! requests waiting for one.
//!
//! Clients connect to the proxy, which is always up and whose address never changes. A request
//! borrows one of `max_connections` database connections for as long as the database works on
//! it; when all are lent it waits in the proxy (latency rises instead of the database refusing
//! connections), and fails with `unavailable` if it waited longer than the borrow timeout.
//! While a failover is in progress the proxy holds requests; as soon as the new primary is
//! promoted it reconnects and sends them on, without waiting for the DNS switch.
//!
//! A client that times out has closed its connection: when an attempt reaches the head of the
//! queue after its client's deadline, or after a later attempt of the same request arrived,
//! the proxy drops it (counted as abandoned) instead of sending dead work to the database. An
//! attempt already sent to the database runs to the end on the proxy's connection.
//!
//! While a request is in the database it carries the proxy as its client (`client` = the rds
//! component, `token` = the connection slot), so the reply comes back through the proxy; the
//! client's own `client` and `token` wait in the slot.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Counter, TimeWeighted};
use crate::model::{Backlog, ComponentId, Request};

/// Where a lent connection's request is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// Not lent.
    Free,
    /// On its way from the proxy to the database.
    ToDb,
    /// Queued or served in the database (or waiting for replication).
    InDb,
    /// The database answered; the answer travels back to the proxy.
    Replying,
}

/// One database connection.
#[derive(Copy, Clone, Debug)]
struct Slot {
    client: ComponentId,
    token: u64,
    arrived: SimTime,
    generation: u64,
    stage: Stage,
}

/// What a finished request restores: its client, token and arrival at the proxy.
#[derive(Copy, Clone, Debug)]
pub struct Restored {
    /// The request as the client sent it.
    pub request: Request,
    /// When it reached the proxy.
    pub arrived: SimTime,
}

/// The next thing the proxy does with the head of its queue.
#[derive(Copy, Clone, Debug)]
pub enum Next {
    /// Send it to the database on a connection: the rewritten request and the connection's
    /// generation.
    Send(Request, u64),
    /// It waited longer than the borrow timeout: fail it.
    Expired(Request),
}

/// The proxy's state.
pub struct Proxy {
    /// AZ it runs in.
    pub az: u16,
    /// Longest wait for a connection.
    pub borrow_timeout: SimDuration,
    /// True while a failover is in progress: requests wait.
    pub holding: bool,
    slots: Vec<Slot>,
    free: Vec<u32>,
    queue: VecDeque<Request>,
    /// Latest attempt queued of each (client, request id) with an attempt in the queue.
    latest: FxHashMap<(ComponentId, u64), u16>,
    /// Time-average number of requests waiting for a connection.
    pub queue_length: TimeWeighted,
    /// Requests failed by the borrow timeout.
    pub timeouts: Counter,
    /// Queued attempts dropped because the client had retried.
    pub abandoned: Counter,
}

impl Proxy {
    /// A proxy with `connections` database connections.
    pub fn new(az: u16, connections: u32, borrow_timeout: SimDuration) -> Self {
        let slot = Slot { client: ComponentId(0), token: 0, arrived: SimTime::ZERO, generation: 0, stage: Stage::Free };
        Proxy {
            az,
            borrow_timeout,
            holding: false,
            slots: vec![slot; connections as usize],
            free: (0..connections).rev().collect(),
            queue: VecDeque::new(),
            latest: FxHashMap::default(),
            queue_length: TimeWeighted::new(),
            timeouts: Counter::default(),
            abandoned: Counter::default(),
        }
    }

    /// A request arrives from a client (its `arrived` is the arrival at the proxy).
    pub fn enqueue(&mut self, request: Request, now: SimTime) {
        let latest = self.latest.entry((request.client, request.id)).or_insert(request.attempt);
        *latest = (*latest).max(request.attempt);
        self.queue.push_back(request);
        self.queue_length.set(now, self.queue.len() as f64);
    }

    /// Requests waiting for a connection.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// What the proxy holds: requests waiting for a connection (`queued`), those on lent
    /// connections, and the memory of its queue, its table of latest attempts and its slots.
    pub fn backlog(&self) -> Backlog {
        let queued = self.queue.len() as u64;
        let lent = (self.slots.len() - self.free.len()) as u64;
        let bytes = Backlog::bytes_of::<Request>(self.queue.capacity())
            + Backlog::bytes_of::<((ComponentId, u64), u16)>(self.latest.capacity())
            + Backlog::bytes_of::<Slot>(self.slots.capacity())
            + Backlog::bytes_of::<u32>(self.free.capacity());
        Backlog { queued, held: queued + lent, bytes, ..Backlog::default() }
    }

    /// Takes the head of the queue if a connection is free and the proxy is not holding.
    /// `me` is the rds component, which becomes the request's client while it is in the
    /// database.
    pub fn next(&mut self, now: SimTime, me: ComponentId) -> Option<Next> {
        if self.holding || self.free.is_empty() {
            return None;
        }
        // The head of the queue, skipping attempts nobody waits for any more: those superseded
        // by a later attempt of the same request, and those whose client timed out and closed
        // its connection (its deadline passed) while they waited for a connection.
        let request = loop {
            let Some(request) = self.queue.pop_front() else {
                self.queue_length.set(now, 0.0);
                return None;
            };
            let key = (request.client, request.id);
            let superseded = matches!(self.latest.get(&key), Some(&latest) if latest > request.attempt);
            if !superseded {
                self.latest.remove(&key);
            }
            if superseded || request.deadline <= now {
                self.abandoned.incr();
                continue;
            }
            break request;
        };
        self.queue_length.set(now, self.queue.len() as f64);
        if now - request.arrived > self.borrow_timeout {
            self.timeouts.incr();
            return Some(Next::Expired(request));
        }
        let index = self.free.pop().expect("checked non-empty");
        let slot = &mut self.slots[index as usize];
        slot.client = request.client;
        slot.token = request.token;
        slot.arrived = request.arrived;
        slot.generation += 1;
        slot.stage = Stage::ToDb;
        let mut rewritten = request;
        rewritten.client = me;
        rewritten.token = u64::from(index);
        // The proxy's own connection to the database stays open whatever the client does: once
        // sent, the statement runs (and its answer is dropped if the client has gone).
        rewritten.deadline = SimTime::MAX;
        Some(Next::Send(rewritten, slot.generation))
    }

    fn slot_mut(&mut self, token: u64, generation: u64, stage: Stage) -> Option<&mut Slot> {
        self.slots
            .get_mut(usize::try_from(token).ok()?)
            .filter(|slot| slot.stage == stage && slot.generation == generation)
    }

    /// The generation of the connection a request in the database holds (`u64::MAX`, never a
    /// connection's, if there is no such connection).
    pub fn generation(&self, token: u64) -> u64 {
        self.slots.get(token as usize).map(|slot| slot.generation).unwrap_or(u64::MAX)
    }

    /// The request on connection `token` reached the database.
    pub fn in_db(&mut self, token: u64, generation: u64) -> bool {
        match self.slot_mut(token, generation, Stage::ToDb) {
            Some(slot) => {
                slot.stage = Stage::InDb;
                true
            }
            None => false,
        }
    }

    /// The database answered the request on connection `token`.
    pub fn replying(&mut self, token: u64) {
        if let Some(slot) = self.slots.get_mut(token as usize).filter(|slot| slot.stage == Stage::InDb) {
            slot.stage = Stage::Replying;
        }
    }

    fn release(&mut self, token: u64) {
        self.slots[token as usize].stage = Stage::Free;
        self.free.push(token as u32);
    }

    /// The request on connection `token` was lost on its way to or from the database (the
    /// connection broke): the connection is free again. False if it was already released.
    pub fn lost(&mut self, token: u64, generation: u64) -> bool {
        let held = self
            .slots
            .get(token as usize)
            .is_some_and(|slot| slot.stage != Stage::Free && slot.generation == generation);
        if held {
            self.release(token);
        }
        held
    }

    /// The answer reached the proxy: frees the connection and restores the client's request.
    pub fn finish(&mut self, request: Request, generation: u64) -> Option<Restored> {
        let slot = *self.slot_mut(request.token, generation, Stage::Replying)?;
        self.release(request.token);
        let mut restored = request;
        restored.client = slot.client;
        restored.token = slot.token;
        Some(Restored { request: restored, arrived: slot.arrived })
    }

    /// The primary failed: every connection whose request was on its way to it or in it
    /// breaks. Returns how many requests were on their way (those in the database are
    /// counted by the database).
    pub fn primary_failed(&mut self) -> u64 {
        let mut on_the_way = 0;
        for index in 0..self.slots.len() {
            match self.slots[index].stage {
                Stage::ToDb => {
                    on_the_way += 1;
                    self.release(index as u64);
                }
                Stage::InDb => self.release(index as u64),
                Stage::Free | Stage::Replying => {}
            }
        }
        on_the_way
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Op;

    fn request(id: u64, at: SimTime) -> Request {
        Request {
            id,
            op: Op::Read,
            key: 0,
            size: 0,
            created: at,
            arrived: at,
            client: ComponentId(7),
            token: 100 + id,
            attempt: 1,
            resolved_at: at,
            deadline: SimTime::MAX,
        }
    }

    #[test]
    fn connections_are_lent_restored_and_queued() {
        let me = ComponentId(1);
        let t0 = SimTime::ZERO;
        let mut proxy = Proxy::new(0, 1, SimDuration::from_secs(1));
        proxy.enqueue(request(1, t0), t0);
        proxy.enqueue(request(2, t0), t0);
        let Some(Next::Send(sent, generation)) = proxy.next(t0, me) else { panic!("a connection is free") };
        assert_eq!((sent.client, sent.token), (me, 0));
        assert!(proxy.next(t0, me).is_none(), "the only connection is lent; request 2 waits");
        assert_eq!(proxy.waiting(), 1);
        assert!(proxy.in_db(0, generation));
        proxy.replying(0);
        let restored = proxy.finish(sent, generation).expect("current connection");
        assert_eq!((restored.request.client, restored.request.token), (ComponentId(7), 101));
        assert!(proxy.finish(sent, generation).is_none(), "a second answer is ignored");
        let late = t0 + SimDuration::from_secs(2);
        assert!(matches!(proxy.next(late, me), Some(Next::Expired(r)) if r.id == 2), "waited past the borrow timeout");
    }

    #[test]
    fn superseded_attempts_are_dropped() {
        let me = ComponentId(1);
        let t0 = SimTime::ZERO;
        let mut proxy = Proxy::new(0, 4, SimDuration::from_secs(10));
        proxy.holding = true;
        let first = request(1, t0);
        proxy.enqueue(first, t0);
        proxy.enqueue(request(2, t0), t0);
        proxy.enqueue(Request { attempt: 2, ..first }, t0);
        proxy.holding = false;
        let sent: Vec<(u64, u16)> = std::iter::from_fn(|| match proxy.next(t0, me) {
            Some(Next::Send(r, _)) => Some((r.id, r.attempt)),
            _ => None,
        })
        .collect();
        assert_eq!(sent, vec![(2, 1), (1, 2)], "attempt 1 of request 1 was abandoned by its client");
        assert_eq!(proxy.abandoned.total(), 1);
    }

    #[test]
    fn a_failed_primary_breaks_lent_connections_and_stale_answers_are_ignored() {
        let me = ComponentId(1);
        let t0 = SimTime::ZERO;
        let mut proxy = Proxy::new(0, 2, SimDuration::from_secs(1));
        proxy.enqueue(request(1, t0), t0);
        proxy.enqueue(request(2, t0), t0);
        let Some(Next::Send(first, g1)) = proxy.next(t0, me) else { panic!() };
        let Some(Next::Send(_, _)) = proxy.next(t0, me) else { panic!() };
        assert!(proxy.in_db(first.token, g1));
        assert_eq!(proxy.primary_failed(), 1, "one on its way, one in the database");
        proxy.enqueue(request(3, t0), t0);
        let Some(Next::Send(reused, g3)) = proxy.next(t0, me) else { panic!() };
        assert_ne!(g3, g1);
        assert!(!proxy.in_db(first.token, g1), "a stale arrival cannot take over a reused connection");
        assert!(proxy.in_db(reused.token, g3));
    }
}

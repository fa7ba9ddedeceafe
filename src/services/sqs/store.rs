//! The queue's storage: messages in a [`Slab`], references to them in the order each
//! structure needs (per server or per message group for delivery, by arrival for retention and
//! the oldest message's age, by due time for delays), and in-flight batches.
//!
//! A structure holds a [`Ref`] (slot and message number); a message that was deleted or expired
//! meanwhile no longer matches its reference, which is then skipped when met (lazy deletion),
//! so removing a message never searches a queue.

use std::collections::VecDeque;

use super::protocol::MAX_BATCH;
use crate::blocks::slab::Slab;
use crate::engine::SimTime;

/// Where a message is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Waiting out the queue's delivery delay.
    Delayed,
    /// Can be received.
    Visible,
    /// Received, invisible until its batch's visibility timeout.
    InFlight,
}

/// A stored message.
#[derive(Copy, Clone, Debug)]
pub struct Msg {
    /// Message number, unique in the run (references check it).
    pub seq: u64,
    /// When the producer sent it (end-to-end latency starts here).
    pub created: SimTime,
    /// When it arrived at the queue (delay and retention count from here).
    pub stored: SimTime,
    /// When it was first received (`SimTime::MAX`: never).
    pub first_receive: SimTime,
    /// Payload bytes.
    pub size: u32,
    /// Times received.
    pub receives: u32,
    /// Server (standard) or message group (FIFO) it lives in.
    pub home: u32,
    /// Fails every processing attempt.
    pub poison: bool,
    /// Already deleted once: this is a copy a delete missed (a duplicate in waiting).
    pub ghost: bool,
    /// Where it is.
    pub state: State,
}

/// A reference to a stored message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    /// Slab slot.
    pub slot: u32,
    /// Message number (stale if the slot now holds another message).
    pub seq: u64,
}

/// Messages received together, invisible until one visibility timeout.
#[derive(Copy, Clone, Debug)]
pub struct Batch {
    /// The messages, in delivery order.
    pub members: [Ref; MAX_BATCH],
    /// How many of `members` were delivered.
    pub count: u8,
    /// Bit i: member i is still in flight (not deleted).
    pub live: u16,
    /// Generation (receipts carry its low 22 bits).
    pub generation: u32,
    /// When its visibility timeout ends.
    pub expires: SimTime,
}

/// A FIFO message group.
#[derive(Clone, Debug, Default)]
pub struct Group {
    /// Visible messages in send order.
    pub queue: VecDeque<Ref>,
    /// Messages of the group in flight (the group is locked while any are).
    pub in_flight: u32,
    /// In the ready list.
    pub ready: bool,
}

/// The queue's messages and the structures that order them.
#[derive(Default)]
pub struct Store {
    /// Every stored message.
    pub msgs: Slab<Msg>,
    /// Standard queues: visible messages per server, roughly in arrival order.
    pub servers: Vec<VecDeque<Ref>>,
    /// FIFO queues: the message groups.
    pub groups: Vec<Group>,
    /// FIFO queues: groups with a visible message and nothing in flight, in the order they
    /// became ready.
    pub ready: VecDeque<u32>,
    /// Delayed messages by due time (one delay for the whole queue: arrival order).
    pub delayed: VecDeque<Ref>,
    /// Every message by arrival (retention, the oldest message's age).
    pub by_arrival: VecDeque<Ref>,
    /// In-flight batches.
    pub batches: Slab<Batch>,
    /// Messages visible, delayed and in flight (ghosts included).
    pub visible: u64,
    /// Delayed messages.
    pub delayed_count: u64,
    /// Messages in flight.
    pub in_flight: u64,
    /// Ghost copies stored (already deleted once).
    pub ghosts: u64,
    /// The highest message number first delivered, per group (one for a standard queue).
    pub last_first_delivery: Vec<u64>,
    next_seq: u64,
    next_generation: u32,
    maintenance: u32,
}

impl Store {
    /// An empty store of `servers` servers (standard) or `groups` groups (FIFO).
    pub fn new(servers: u32, groups: u32, fifo: bool) -> Self {
        Store {
            servers: if fifo { Vec::new() } else { (0..servers).map(|_| VecDeque::new()).collect() },
            groups: if fifo { (0..groups).map(|_| Group::default()).collect() } else { Vec::new() },
            next_seq: 1,
            last_first_delivery: vec![0; if fifo { groups as usize } else { 1 }],
            ..Store::default()
        }
    }

    /// The message `r` refers to, if it is still stored.
    #[inline]
    pub fn get(&self, r: Ref) -> Option<&Msg> {
        self.msgs.get(r.slot).filter(|m| m.seq == r.seq)
    }

    /// The message `r` refers to, mutably, if it is still stored.
    #[inline]
    pub fn get_mut(&mut self, r: Ref) -> Option<&mut Msg> {
        self.msgs.get_mut(r.slot).filter(|m| m.seq == r.seq)
    }

    /// Stores a new message (its `seq` is assigned here) and returns its reference; the
    /// caller puts it where its state says.
    pub fn insert(&mut self, msg: Msg) -> Ref {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = self.msgs.insert(Msg { seq, ..msg });
        let r = Ref { slot, seq };
        self.by_arrival.push_back(r);
        r
    }

    /// Removes a message, keeping the counts right; false if it was gone already.
    pub fn remove(&mut self, r: Ref) -> Option<Msg> {
        let msg = *self.get(r)?;
        self.msgs.remove(r.slot);
        match msg.state {
            State::Delayed => self.delayed_count -= 1,
            State::Visible => self.visible -= 1,
            State::InFlight => self.in_flight -= 1,
        }
        if msg.ghost {
            self.ghosts -= 1;
        }
        if !self.groups.is_empty() && msg.state == State::InFlight {
            self.groups[msg.home as usize].in_flight -= 1;
            self.mark_ready(msg.home);
        }
        Some(msg)
    }

    /// Makes a message visible at the back (a new message) or the front (a returned one) of
    /// its server or group.
    pub fn make_visible(&mut self, r: Ref, front: bool) {
        let Some(msg) = self.get_mut(r) else { return };
        let (previous, home) = (msg.state, msg.home as usize);
        msg.state = State::Visible;
        match previous {
            State::Delayed => self.delayed_count -= 1,
            State::InFlight => self.in_flight -= 1,
            State::Visible => return,
        }
        self.visible += 1;
        if self.groups.is_empty() {
            let server = &mut self.servers[home];
            if front { server.push_front(r) } else { server.push_back(r) }
        } else {
            let group = &mut self.groups[home];
            if previous == State::InFlight {
                group.in_flight -= 1;
            }
            if front {
                group.queue.push_front(r)
            } else {
                group.queue.push_back(r)
            }
            self.mark_ready(home as u32);
        }
    }

    /// Puts a FIFO group in the ready list if it has visible messages and none in flight.
    fn mark_ready(&mut self, group: u32) {
        let g = &mut self.groups[group as usize];
        if !g.ready && g.in_flight == 0 && !g.queue.is_empty() {
            g.ready = true;
            self.ready.push_back(group);
        }
    }

    /// Takes the next live visible message of standard server `server`, if any.
    pub fn pop_server(&mut self, server: usize) -> Option<Ref> {
        while let Some(r) = self.servers[server].pop_front() {
            if self.get(r).is_some_and(|m| m.state == State::Visible) {
                return Some(r);
            }
        }
        None
    }

    /// FIFO: takes up to `room` messages from the ready groups, each group's in send order,
    /// locking each group it takes from; appends them to `out`.
    pub fn take_fifo(&mut self, room: usize, out: &mut Vec<Ref>) {
        while out.len() < room {
            let Some(group) = self.ready.pop_front() else { return };
            self.groups[group as usize].ready = false;
            loop {
                if out.len() >= room {
                    break;
                }
                let Some(r) = self.groups[group as usize].queue.pop_front() else { break };
                if self.get(r).is_some_and(|m| m.state == State::Visible) {
                    out.push(r);
                    self.groups[group as usize].in_flight += 1;
                }
            }
            if self.groups[group as usize].in_flight == 0 {
                self.mark_ready(group); // Only stale references were met: still ready if any left.
            }
        }
    }

    /// Marks delivered messages in flight in a new batch (their groups were locked by
    /// [`take_fifo`](Self::take_fifo)); returns the batch's slot and generation. Its deadline is
    /// (`expires`) set by the caller.
    pub fn open_batch(&mut self, refs: &[Ref], now: SimTime) -> (u32, u32) {
        let mut members = [Ref { slot: 0, seq: 0 }; MAX_BATCH];
        for (i, &r) in refs.iter().enumerate() {
            members[i] = r;
            let msg = self.msgs.get_mut(r.slot).expect("a delivered message is stored");
            msg.state = State::InFlight;
            msg.receives += 1;
            if msg.first_receive == SimTime::MAX {
                msg.first_receive = now;
            }
        }
        self.visible -= refs.len() as u64;
        self.in_flight += refs.len() as u64;
        self.next_generation = self.next_generation.wrapping_add(1);
        let generation = self.next_generation;
        let slot = self.batches.insert(Batch {
            members,
            count: refs.len() as u8,
            live: ((1u32 << refs.len()) - 1) as u16,
            generation,
            expires: SimTime::MAX,
        });
        (slot, generation)
    }

    /// Drops references at the front of the arrival list to messages that are gone; returns
    /// the oldest stored message's reference, if any.
    pub fn oldest(&mut self) -> Option<Ref> {
        while let Some(&r) = self.by_arrival.front() {
            if self.get(r).is_some() {
                return Some(r);
            }
            self.by_arrival.pop_front();
        }
        None
    }

    /// Drops references to messages that are gone from the arrival list once they are most
    /// of it (an old message still stored keeps the front: the deleted ones behind it would
    /// otherwise pile up). Amortized O(1) per message.
    /// The servers' and groups' lists get the same treatment for references to messages that
    /// expired while visible (nothing else leaves them stale), checked every 4,096 calls.
    pub fn compact_arrivals(&mut self) {
        if self.by_arrival.len() > 2 * self.msgs.len() + 1024 {
            let msgs = &self.msgs;
            self.by_arrival.retain(|r| msgs.get(r.slot).is_some_and(|m| m.seq == r.seq));
        }
        self.maintenance = self.maintenance.wrapping_add(1);
        if self.maintenance.is_multiple_of(4096) {
            let refs: usize = self.servers.iter().map(VecDeque::len).sum::<usize>()
                + self.groups.iter().map(|g| g.queue.len()).sum::<usize>();
            if refs as u64 > 2 * self.visible + 1024 {
                let msgs = &self.msgs;
                let live = |r: &Ref| msgs.get(r.slot).is_some_and(|m| m.seq == r.seq && m.state == State::Visible);
                for server in &mut self.servers {
                    server.retain(live);
                }
                for group in &mut self.groups {
                    group.queue.retain(live);
                }
            }
        }
    }

    /// Messages stored that were never deleted (ghost copies left out).
    pub fn unique(&self) -> u64 {
        self.msgs.len() as u64 - self.ghosts
    }
}

//! The future-event list: an implicit 4-ary min-heap ordered by (time, insertion sequence)
//! with O(1) cancellation by lazy deletion.
//!
//! The heap holds only 24-byte keys — (time, sequence, slot) — and the events themselves wait
//! in a slab of slots, so sifting moves small keys however large an event is, and each event
//! is written once when scheduled and read once when delivered.

use rustc_hash::FxHashMap;

use super::time::{SimDuration, SimTime};

/// Identifies one scheduled event so that it can be cancelled.
///
/// The id is the event's (time, sequence) key; sequence numbers rise with every scheduling
/// call and are never reused within a queue.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    time: SimTime,
    seq: u64,
}

impl EventId {
    /// The time the event is (or was) due.
    pub fn time(self) -> SimTime {
        self.time
    }
}

/// A heap key: when, in what order, and the slab slot of the event.
#[derive(Copy, Clone)]
struct Entry {
    time: SimTime,
    seq: u64,
    slot: u32,
}

impl Entry {
    /// The ordering key: (time, seq) packed into one integer, compared in a single operation.
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.time.0) << 64) | u128::from(self.seq)
    }
}

/// Children per node. Four halves the depth of a binary heap, and with a branch-free choice
/// of the smallest child it does fewer unpredictable branches and cache misses per pop.
const ARITY: usize = 4;

/// An implicit 4-ary min-heap of entries by key.
///
/// As in `std`'s `BinaryHeap`, entries are moved into a "hole" rather than swapped, and the root
/// is removed bottom-up (Floyd): the hole sinks along the smallest children to a leaf and the
/// last entry rises from there, which is near where it usually belongs. Keys are plain
/// integers, so nothing between taking an entry out and writing one back can panic.
struct Heap {
    data: Vec<Entry>,
}

impl Heap {
    fn with_capacity(capacity: usize) -> Self {
        Heap { data: Vec::with_capacity(capacity) }
    }

    #[inline]
    fn len(&self) -> usize {
        self.data.len()
    }

    #[inline]
    fn peek(&self) -> Option<&Entry> {
        self.data.first()
    }

    #[inline(always)]
    fn push(&mut self, entry: Entry) {
        self.data.reserve(1);
        let len = self.data.len();
        let key = entry.key();
        // SAFETY: after `reserve`, slot `len` is allocated. The hole starts there (unused), each
        // step moves an initialised parent down into the hole (the parent's slot becomes the
        // hole), and `entry` fills the final hole before the length grows to cover it. All
        // indices are at most `len`; nothing here can panic.
        unsafe {
            let base = self.data.as_mut_ptr();
            let mut hole = len;
            while hole > 0 {
                let parent = (hole - 1) / ARITY;
                if (*base.add(parent)).key() <= key {
                    break;
                }
                std::ptr::copy_nonoverlapping(base.add(parent), base.add(hole), 1);
                hole = parent;
            }
            std::ptr::write(base.add(hole), entry);
            self.data.set_len(len + 1);
        }
    }

    #[inline(always)]
    fn pop(&mut self) -> Option<Entry> {
        let last = self.data.pop()?;
        let len = self.data.len();
        if len == 0 {
            return Some(last);
        }
        // SAFETY: slots 0..len are initialised. The root is read out, leaving a hole at 0; each
        // step moves an initialised child up into the hole (the child's slot becomes the hole);
        // `last`, already removed from the vector, fills the final hole. All indices are below
        // `len`; nothing here can panic, so no slot is dropped twice or left uninitialised.
        unsafe {
            let base = self.data.as_mut_ptr();
            let top = std::ptr::read(base);
            let mut hole = 0;
            let mut first = 1;
            // Sink the hole while a node has all four children: a branch-free tournament.
            while first + 3 < len {
                let k0 = (*base.add(first)).key();
                let k1 = (*base.add(first + 1)).key();
                let k2 = (*base.add(first + 2)).key();
                let k3 = (*base.add(first + 3)).key();
                let (a, ka) = if k1 < k0 { (first + 1, k1) } else { (first, k0) };
                let (b, kb) = if k3 < k2 { (first + 3, k3) } else { (first + 2, k2) };
                let smallest = if kb < ka { b } else { a };
                std::ptr::copy_nonoverlapping(base.add(smallest), base.add(hole), 1);
                hole = smallest;
                first = ARITY * hole + 1;
            }
            // A last node with one to three children (these are leaves).
            if first < len {
                let mut smallest = first;
                let mut smallest_key = (*base.add(first)).key();
                for child in first + 1..len {
                    let key = (*base.add(child)).key();
                    if key < smallest_key {
                        smallest = child;
                        smallest_key = key;
                    }
                }
                std::ptr::copy_nonoverlapping(base.add(smallest), base.add(hole), 1);
                hole = smallest;
            }
            // Raise the hole to where `last` belongs.
            let key = last.key();
            while hole > 0 {
                let parent = (hole - 1) / ARITY;
                if (*base.add(parent)).key() <= key {
                    break;
                }
                std::ptr::copy_nonoverlapping(base.add(parent), base.add(hole), 1);
                hole = parent;
            }
            std::ptr::write(base.add(hole), last);
            Some(top)
        }
    }

    /// Keeps the entries for which `keep` is true and restores the heap order.
    fn retain(&mut self, keep: impl FnMut(&Entry) -> bool) {
        let mut entries = std::mem::take(&mut self.data);
        entries.retain(keep);
        self.data.reserve(entries.len());
        for entry in entries {
            self.push(entry);
        }
    }
}

/// A priority queue of events of type `E` and the current simulated time.
///
/// Events at equal times are delivered first-in first-out (by insertion sequence, as in
/// OMNeT++ and SimPy). Time never moves backwards: scheduling in the past is clamped to now.
///
/// ```
/// use stratus::engine::{EventQueue, SimDuration, SimTime};
/// let mut queue = EventQueue::new();
/// queue.schedule_in(SimDuration::from_secs(2), "late");
/// let early = queue.schedule_in(SimDuration::from_secs(1), "early");
/// queue.schedule_in(SimDuration::from_secs(1), "tie");
/// assert!(queue.cancel(early));
/// assert_eq!(queue.pop(), Some("tie"));
/// assert_eq!(queue.now(), SimTime(1_000_000_000));
/// assert_eq!(queue.pop(), Some("late"));
/// assert_eq!(queue.pop(), None);
/// ```
pub struct EventQueue<E> {
    heap: Heap,
    /// The pending events (and cancelled ones not yet popped or purged), by slot.
    events: Vec<Option<E>>,
    /// Slots of `events` free for reuse.
    free: Vec<u32>,
    now: SimTime,
    next_seq: u64,
    /// Sequence number of the event delivered last; with `now` it tells pending from past ids.
    last_seq: u64,
    /// Cancelled events whose time has not come, by sequence number (with their time): those
    /// still in the heap, and tombstones of those a purge removed, so that cancelling one again
    /// is refused. Tombstones are dropped at the next purge once their time has passed.
    cancelled: FxHashMap<u64, SimTime>,
    /// How many of `cancelled` are still in the heap.
    cancelled_in_heap: usize,
    delivered: u64,
}

/// Cancelled entries are purged from the heap once they are this many and at least half of it.
const PURGE_THRESHOLD: usize = 4096;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: Heap::with_capacity(capacity),
            events: Vec::with_capacity(capacity),
            free: Vec::new(),
            now: SimTime::ZERO,
            next_seq: 1,
            last_seq: 0,
            cancelled: FxHashMap::default(),
            cancelled_in_heap: 0,
            delivered: 0,
        }
    }

    /// The current simulated time: the time of the event delivered last.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of events delivered so far (cancelled events are not counted).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Number of pending (not cancelled) events.
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled_in_heap
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at absolute time `time` (clamped to now if earlier).
    #[inline(always)]
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> EventId {
        let time = time.max(self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.events[slot as usize] = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.events.len()).expect("at most 2^32 pending events");
                self.events.push(Some(event));
                slot
            }
        };
        self.heap.push(Entry { time, seq, slot });
        EventId { time, seq }
    }

    /// Takes the event out of `slot` and frees the slot.
    #[inline]
    fn take(&mut self, slot: u32) -> Option<E> {
        self.free.push(slot);
        self.events[slot as usize].take()
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> EventId {
        self.schedule_at(self.now + delay, event)
    }

    /// True if the event `id` has neither been delivered nor cancelled.
    pub fn is_pending(&self, id: EventId) -> bool {
        // Events leave the heap in strictly increasing (time, seq) order, so an id is still in
        // the heap exactly when its key is greater than the key delivered last.
        (id.time, id.seq) > (self.now, self.last_seq) && !self.cancelled.contains_key(&id.seq)
    }

    /// Cancels a pending event in O(1); returns false if it was already delivered or
    /// cancelled. The entry stays in the heap and is skipped when it surfaces; cancelled
    /// entries are purged when they make up more than half of the heap.
    pub fn cancel(&mut self, id: EventId) -> bool {
        if (id.time, id.seq) <= (self.now, self.last_seq) || self.cancelled.contains_key(&id.seq) {
            return false;
        }
        self.cancelled.insert(id.seq, id.time);
        self.cancelled_in_heap += 1;
        if self.cancelled_in_heap >= PURGE_THRESHOLD && self.cancelled_in_heap * 2 > self.heap.len() {
            let (cancelled, events, free) = (&self.cancelled, &mut self.events, &mut self.free);
            self.heap.retain(|entry| {
                let keep = !cancelled.contains_key(&entry.seq);
                if !keep {
                    events[entry.slot as usize] = None;
                    free.push(entry.slot);
                }
                keep
            });
            self.cancelled_in_heap = 0;
            let now = self.now;
            self.cancelled.retain(|_, time| *time >= now);
        }
        true
    }

    /// Time of the next pending event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        self.heap.peek().map(|entry| entry.time)
    }

    /// Removes the next event, advances time to it and returns it.
    #[inline]
    pub fn pop(&mut self) -> Option<E> {
        self.pop_until(SimTime::MAX)
    }

    /// Like [`pop`](Self::pop), but leaves events later than `limit` in the queue.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<E> {
        loop {
            let top = self.heap.peek()?;
            if top.time > limit {
                return None;
            }
            let entry = self.heap.pop()?;
            if self.cancelled_in_heap > 0 && self.cancelled.remove(&entry.seq).is_some() {
                self.cancelled_in_heap -= 1;
                self.take(entry.slot);
                continue;
            }
            self.now = entry.time;
            self.last_seq = entry.seq;
            self.delivered += 1;
            return self.take(entry.slot);
        }
    }

    /// Moves the clock forward to `time` without delivering anything (used to end a run at
    /// its horizon). Ignored if `time` is earlier than now; stops at the next pending event.
    pub fn advance_to(&mut self, time: SimTime) {
        // Never past a pending event: time must not run backwards when it is delivered.
        let time = match self.peek_time() {
            Some(next) => time.min(next),
            None => time,
        };
        if time > self.now {
            self.now = time;
            self.last_seq = 0;
        }
    }

    fn skip_cancelled(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.cancelled_in_heap == 0 || !self.cancelled.contains_key(&top.seq) {
                return;
            }
            let (seq, slot) = (top.seq, top.slot);
            self.heap.pop();
            self.take(slot);
            self.cancelled.remove(&seq);
            self.cancelled_in_heap -= 1;
        }
    }
}

/// Runs `handler` on every event due at or before `until`, in order, then moves the clock to
/// `until`. The handler may schedule and cancel events. Returns the number of events delivered.
///
/// ```
/// use stratus::engine::{run_until, EventQueue, SimDuration, SimTime};
/// let mut queue = EventQueue::new();
/// queue.schedule_in(SimDuration::from_secs(1), 0u32);
/// // Each event schedules its successor one second later.
/// let delivered = run_until(&mut queue, SimTime(10_500_000_000), |queue, hop| {
///     queue.schedule_in(SimDuration::from_secs(1), hop + 1);
/// });
/// assert_eq!(delivered, 10);
/// assert_eq!(queue.now(), SimTime(10_500_000_000));
/// ```
pub fn run_until<E, F>(queue: &mut EventQueue<E>, until: SimTime, mut handler: F) -> u64
where
    F: FnMut(&mut EventQueue<E>, E),
{
    let start = queue.delivered();
    while let Some(event) = queue.pop_until(until) {
        handler(queue, event);
    }
    queue.advance_to(until);
    queue.delivered() - start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_are_fifo() {
        let mut queue = EventQueue::new();
        for i in 0..100 {
            queue.schedule_at(SimTime(5), i);
        }
        let order: Vec<i32> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn orders_by_time_then_sequence() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(30), 'c');
        queue.schedule_at(SimTime(10), 'a');
        queue.schedule_at(SimTime(20), 'b');
        queue.schedule_at(SimTime(10), 'A');
        let order: String = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(order, "aAbc");
    }

    #[test]
    fn cancel_past_or_twice_is_refused() {
        let mut queue = EventQueue::new();
        let first = queue.schedule_at(SimTime(1), 1);
        let second = queue.schedule_at(SimTime(1), 2);
        let third = queue.schedule_at(SimTime(2), 3);
        assert_eq!(queue.pop(), Some(1));
        assert!(!queue.cancel(first), "already delivered");
        assert!(queue.is_pending(second));
        assert!(queue.cancel(second));
        assert!(!queue.cancel(second), "already cancelled");
        assert!(!queue.is_pending(second));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.pop(), Some(3));
        assert!(!queue.is_pending(third));
        assert!(queue.cancelled.is_empty(), "no leak of cancelled ids");
    }

    #[test]
    fn mass_cancellation_purges_heap() {
        let mut queue = EventQueue::new();
        let ids: Vec<EventId> = (0..20_000).map(|i| queue.schedule_at(SimTime(1_000 + i), i)).collect();
        for id in &ids[..19_000] {
            assert!(queue.cancel(*id));
        }
        assert!(queue.heap.len() < 20_000, "purge ran");
        assert_eq!(queue.len(), 1_000);
        let delivered: Vec<u64> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(delivered, (19_000..20_000).collect::<Vec<_>>());
    }

    #[test]
    fn cancelling_a_purged_event_again_is_refused() {
        let mut queue = EventQueue::new();
        let ids: Vec<EventId> = (0..10_000).map(|i| queue.schedule_at(SimTime(100 + i), i)).collect();
        for id in &ids[..6_000] {
            assert!(queue.cancel(*id));
        }
        assert!(queue.heap.len() < 10_000, "purge ran");
        for id in &ids[..10] {
            assert!(!queue.cancel(*id), "already cancelled (and purged)");
            assert!(!queue.is_pending(*id));
        }
        assert_eq!(queue.len(), 4_000);
        let delivered: Vec<u64> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(delivered, (6_000..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn scheduling_in_the_past_clamps_to_now() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(10), 'x');
        queue.pop();
        queue.schedule_at(SimTime(3), 'y');
        assert_eq!(queue.pop(), Some('y'));
        assert_eq!(queue.now(), SimTime(10));
    }

    #[test]
    fn pop_until_leaves_later_events() {
        let mut queue = EventQueue::new();
        queue.schedule_at(SimTime(5), 1);
        queue.schedule_at(SimTime(15), 2);
        assert_eq!(queue.pop_until(SimTime(10)), Some(1));
        assert_eq!(queue.pop_until(SimTime(10)), None);
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn matches_a_sorted_reference_under_random_operations() {
        use crate::engine::SimRng;
        use rand::{RngExt, SeedableRng};
        use std::collections::BTreeMap;

        let mut rng = SimRng::seed_from_u64(7);
        let mut queue = EventQueue::new();
        let mut reference: BTreeMap<(SimTime, u64), u64> = BTreeMap::new();
        let mut ids = Vec::new();
        // Phases (steps, push, cancel, pop weights): grow with many ties, churn, cancel
        // heavily (which purges), drain.
        let phases = [(30_000, 8, 1, 4), (60_000, 5, 1, 4), (40_000, 3, 12, 1), (40_000, 1, 1, 4)];
        let mut step = 0u64;
        for (steps, push_weight, cancel_weight, pop_weight) in phases {
            for _ in 0..steps {
                step += 1;
                let roll = rng.random_range(0..push_weight + cancel_weight + pop_weight);
                if roll < push_weight {
                    let spread = if step.is_multiple_of(3) { 4 } else { 1_000 };
                    let time = queue.now() + SimDuration(rng.random_range(0..spread));
                    let id = queue.schedule_at(time, step);
                    reference.insert((id.time(), id.seq), step);
                    ids.push(id);
                } else if roll < push_weight + cancel_weight {
                    if !ids.is_empty() {
                        let id = ids.swap_remove(rng.random_range(0..ids.len()));
                        let pending = reference.remove(&(id.time(), id.seq)).is_some();
                        assert_eq!(queue.is_pending(id), pending);
                        assert_eq!(queue.cancel(id), pending);
                    }
                } else {
                    let expected = reference.pop_first();
                    assert_eq!(queue.pop(), expected.map(|(_, event)| event));
                    if let Some(((time, _), _)) = expected {
                        assert_eq!(queue.now(), time);
                    }
                }
                assert_eq!(queue.len(), reference.len());
            }
        }
        while let Some((_, event)) = reference.pop_first() {
            assert_eq!(queue.pop(), Some(event));
        }
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn every_event_is_dropped_exactly_once() {
        use std::rc::Rc;
        let token = Rc::new(());
        let mut queue = EventQueue::new();
        for i in 0..1_000u64 {
            queue.schedule_at(SimTime((i * 7_919) % 1_009), Rc::clone(&token));
        }
        for _ in 0..400 {
            drop(queue.pop());
        }
        assert_eq!(Rc::strong_count(&token), 601);
        let ids: Vec<EventId> =
            (0..5_000u64).map(|i| queue.schedule_in(SimDuration(i % 13), Rc::clone(&token))).collect();
        for id in &ids {
            queue.cancel(*id); // purges once enough are cancelled
        }
        assert_eq!(queue.len(), 600);
        drop(queue);
        assert_eq!(Rc::strong_count(&token), 1);
    }
}

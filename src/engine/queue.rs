//! The future-event list: a binary heap ordered by (time, insertion sequence) with O(1)
//! cancellation by lazy deletion.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rustc_hash::FxHashSet;

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

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest (time, seq) first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
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
    heap: BinaryHeap<Entry<E>>,
    now: SimTime,
    next_seq: u64,
    /// Sequence number of the event delivered last; with `now` it tells pending from past ids.
    last_seq: u64,
    /// Sequence numbers of pending events that were cancelled but are still in the heap.
    cancelled: FxHashSet<u64>,
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
            heap: BinaryHeap::with_capacity(capacity),
            now: SimTime::ZERO,
            next_seq: 1,
            last_seq: 0,
            cancelled: FxHashSet::default(),
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
        self.heap.len() - self.cancelled.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at absolute time `time` (clamped to now if earlier).
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> EventId {
        let time = time.max(self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
        EventId { time, seq }
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
        (id.time, id.seq) > (self.now, self.last_seq) && !self.cancelled.contains(&id.seq)
    }

    /// Cancels a pending event in O(1); returns false if it was already delivered or
    /// cancelled. The entry stays in the heap and is skipped when it surfaces; cancelled
    /// entries are purged when they make up more than half of the heap.
    pub fn cancel(&mut self, id: EventId) -> bool {
        if (id.time, id.seq) <= (self.now, self.last_seq) || !self.cancelled.insert(id.seq) {
            return false;
        }
        if self.cancelled.len() >= PURGE_THRESHOLD && self.cancelled.len() * 2 > self.heap.len() {
            let cancelled = std::mem::take(&mut self.cancelled);
            self.heap.retain(|entry| !cancelled.contains(&entry.seq));
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
            if !self.cancelled.is_empty() && self.cancelled.remove(&entry.seq) {
                continue;
            }
            self.now = entry.time;
            self.last_seq = entry.seq;
            self.delivered += 1;
            return Some(entry.event);
        }
    }

    /// Moves the clock forward to `time` without delivering anything (used to end a run at
    /// its horizon). Ignored if `time` is earlier than now.
    pub fn advance_to(&mut self, time: SimTime) {
        if time > self.now {
            self.now = time;
            self.last_seq = 0;
        }
    }

    fn skip_cancelled(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.cancelled.is_empty() || !self.cancelled.contains(&top.seq) {
                return;
            }
            let seq = top.seq;
            self.heap.pop();
            self.cancelled.remove(&seq);
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
        let ids: Vec<EventId> = (0..20_000)
            .map(|i| queue.schedule_at(SimTime(1_000 + i), i))
            .collect();
        for id in &ids[..19_000] {
            assert!(queue.cancel(*id));
        }
        assert!(queue.heap.len() < 20_000, "purge ran");
        assert_eq!(queue.len(), 1_000);
        let delivered: Vec<u64> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(delivered, (19_000..20_000).collect::<Vec<_>>());
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
}

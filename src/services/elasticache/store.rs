//! One shard's key space: the items a primary holds, their memory, expiry and eviction.
//!
//! Items live in a dense vector (so a uniformly random item is one draw, as Redis's
//! `dictGetRandomKey` gives) with an index from key to position (`super::key_index`). Each item is 56 bytes
//! of state: its key, the database time its value reflects (`as_of`), its expiry, the first
//! later commit the cache client has learned of (a measurement, see `super::metrics`), the
//! time of its last access, its size, its LFU counter and the links of the exact-LRU list.
//! Nothing is allocated per operation beyond the amortized growth of the vector and index.
//!
//! Eviction follows Redis (redis.io, "Key eviction"): when an insertion would take memory
//! past `maxmemory` the store evicts by the policy until the item fits. `sampled` (Redis's
//! own approximation) draws `maxmemory-samples` (default 5) random items per eviction into a
//! pool of the 16 best candidates kept between evictions (`EVPOOL_SIZE` in Redis's
//! `evict.c`, since Redis 3.0) and evicts the best candidate still present; `exact` keeps a
//! doubly linked list in recency order and evicts its tail (LRU policies only). Keys already
//! expired are the best candidates of every policy (Redis's active expiry would have removed
//! them). The `volatile-*` policies consider only items with a TTL; when none has one they
//! behave as `noeviction`, as in Redis. LFU is Redis's logarithmic counter (`lfu-log-factor`
//! 10, initial value 5, decay of one per `lfu-decay-time` = 1 minute of idleness;
//! redis.io, "Key eviction", LFU mode).

use super::key_index::KeyIndex;
use crate::engine::SimRng;
use rand::RngExt;

/// No link in the exact-LRU list.
const NIL: u32 = u32::MAX;
/// Candidates kept between evictions by the sampled policies: 16 (`EVPOOL_SIZE`, Redis
/// `evict.c`).
pub const EVICTION_POOL: usize = 16;
/// Redis's LFU counter of a new key (`LFU_INIT_VAL`, Redis `server.h`).
const LFU_INIT: u8 = 5;
/// Redis's default `lfu-log-factor`: 10 (redis.conf).
const LFU_LOG_FACTOR: f64 = 10.0;
/// Redis's default `lfu-decay-time`: 1 minute (redis.conf), in nanoseconds.
const LFU_DECAY_NANOS: u64 = 60_000_000_000;
/// An item without TTL expires at this time.
pub const NEVER: u64 = u64::MAX;

/// Which items are candidates for eviction, and how they are ranked.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Writes fail when memory is full (`noeviction`).
    NoEviction,
    /// Least recently used among all keys (`allkeys-lru`).
    AllKeysLru,
    /// Least recently used among keys with a TTL (`volatile-lru`, the ElastiCache default).
    VolatileLru,
    /// Least frequently used among all keys (`allkeys-lfu`).
    AllKeysLfu,
    /// Least frequently used among keys with a TTL (`volatile-lfu`).
    VolatileLfu,
    /// Soonest to expire among keys with a TTL (`volatile-ttl`).
    VolatileTtl,
    /// A random key (`allkeys-random`).
    AllKeysRandom,
    /// A random key with a TTL (`volatile-random`).
    VolatileRandom,
}

impl Policy {
    /// Every policy with its Redis name.
    pub const ALL: [(Policy, &'static str); 8] = [
        (Policy::NoEviction, "noeviction"),
        (Policy::AllKeysLru, "allkeys-lru"),
        (Policy::VolatileLru, "volatile-lru"),
        (Policy::AllKeysLfu, "allkeys-lfu"),
        (Policy::VolatileLfu, "volatile-lfu"),
        (Policy::VolatileTtl, "volatile-ttl"),
        (Policy::AllKeysRandom, "allkeys-random"),
        (Policy::VolatileRandom, "volatile-random"),
    ];

    /// The policy with Redis name `name`.
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.iter().find(|(_, n)| *n == name).map(|(p, _)| *p)
    }

    fn volatile_only(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::VolatileLfu | Policy::VolatileTtl | Policy::VolatileRandom)
    }

    /// True for the LRU policies (the only ones `exact` eviction applies to).
    pub fn is_lru(self) -> bool {
        matches!(self, Policy::AllKeysLru | Policy::VolatileLru)
    }
}

/// How eviction candidates are found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Redis's approximation: this many random items per eviction into the candidate pool.
    Sampled(u32),
    /// The exact least recently used item (a linked list in recency order).
    Exact,
}

/// One item.
#[derive(Copy, Clone, Debug)]
pub struct Item {
    /// Its key.
    pub key: u64,
    /// The database time (ns) of the value: the read that fetched it was served then, or the
    /// write it came from committed then.
    pub as_of: u64,
    /// When it expires (ns), [`NEVER`] without TTL.
    pub expires: u64,
    /// Measurement only: the first commit (ns) after `as_of` that the cache client has
    /// learned of, 0 if none — from then on a hit returns a stale value.
    pub overwritten: u64,
    /// Last access (ns).
    pub last_access: u64,
    /// Bytes it takes (value plus per-item overhead).
    pub size: u32,
    lfu: u8,
    prev: u32,
    next: u32,
}

/// What a SET stores.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Value {
    /// Bytes the item takes (value plus per-item overhead).
    pub size: u32,
    /// The database time (ns) of the value.
    pub as_of: u64,
    /// When it expires (ns), [`NEVER`] without TTL.
    pub expires: u64,
    /// Measurement: a commit (ns) already known to be newer, 0 if none.
    pub overwritten: u64,
}

/// What a lookup found.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Lookup {
    /// Present and live.
    Hit {
        /// Database time of the value.
        as_of: u64,
        /// First later commit known (0: none).
        overwritten: u64,
    },
    /// Not present.
    Miss,
    /// Present but expired (now removed).
    Expired,
}

/// One shard's items.
pub struct Store {
    items: Vec<Item>,
    index: KeyIndex,
    head: u32,
    tail: u32,
    used: u64,
    capacity: u64,
    volatile: u64,
    policy: Policy,
    sampling: Sampling,
    pool: Vec<(u64, u64)>,
    /// Items evicted so far (never reset: callers take differences).
    pub evicted: u64,
}

impl Store {
    /// An empty store of `capacity` bytes (u64::MAX: unbounded).
    pub fn new(capacity: u64, policy: Policy, sampling: Sampling) -> Self {
        Store {
            items: Vec::new(),
            index: KeyIndex::default(),
            head: NIL,
            tail: NIL,
            used: 0,
            capacity,
            volatile: 0,
            policy,
            sampling,
            pool: Vec::with_capacity(EVICTION_POOL + 1),
            evicted: 0,
        }
    }

    /// Bytes used by items.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Bytes available for items.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Number of items (expired ones not yet removed included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Bytes of simulator memory the store takes.
    pub fn footprint(&self) -> u64 {
        (self.items.capacity() * std::mem::size_of::<Item>()) as u64 + self.index.footprint()
    }

    /// Forgets every item (a node that restarts empty).
    pub fn clear(&mut self) {
        self.items.clear();
        self.index.clear();
        self.pool.clear();
        self.head = NIL;
        self.tail = NIL;
        self.used = 0;
        self.volatile = 0;
    }

    /// Looks `key` up at `now` (ns): a live item is touched (recency, frequency); an expired
    /// one is removed (Redis's passive expiry).
    pub fn get(&mut self, key: u64, now: u64, rng: &mut SimRng) -> Lookup {
        let Some(position) = self.index.get(key) else { return Lookup::Miss };
        let item = &mut self.items[position as usize];
        if item.expires <= now {
            self.remove_at(position);
            return Lookup::Expired;
        }
        let found = Lookup::Hit { as_of: item.as_of, overwritten: item.overwritten };
        if matches!(self.policy, Policy::AllKeysLfu | Policy::VolatileLfu) {
            let counter = lfu_decayed(item.lfu, item.last_access, now);
            item.lfu = lfu_increment(counter, rng);
        }
        item.last_access = now;
        if self.sampling == Sampling::Exact {
            self.unlink(position);
            self.push_front(position);
        }
        found
    }

    /// The item of `key`, if present (expired or not), for measurement.
    pub fn peek_mut(&mut self, key: u64) -> Option<&mut Item> {
        let position = self.index.get(key)?;
        Some(&mut self.items[position as usize])
    }

    /// Stores `key` with `value`, evicting as the policy says if memory is short. Returns
    /// false (and stores nothing) if it cannot fit: `noeviction`, no candidate of a
    /// `volatile-*` policy, or an item larger than the whole memory. An existing item is
    /// replaced (Redis `SET`).
    pub fn set(&mut self, key: u64, value: Value, now: u64, rng: &mut SimRng) -> bool {
        let Value { size, as_of, expires, overwritten } = value;
        if let Some(position) = self.index.get(key) {
            self.remove_at(position);
        }
        let size64 = u64::from(size);
        if size64 > self.capacity {
            return false;
        }
        while self.used + size64 > self.capacity {
            if !self.evict_one(now, rng) {
                return false;
            }
        }
        let position = self.items.len() as u32;
        self.items.push(Item {
            key,
            as_of,
            expires,
            overwritten,
            last_access: now,
            size,
            lfu: LFU_INIT,
            prev: NIL,
            next: NIL,
        });
        self.index.insert(key, position);
        self.used += size64;
        if expires != NEVER {
            self.volatile += 1;
        }
        if self.sampling == Sampling::Exact {
            self.push_front(position);
        }
        true
    }

    /// Removes `key`; true if it was present.
    pub fn delete(&mut self, key: u64) -> bool {
        match self.index.get(key) {
            Some(position) => {
                self.remove_at(position);
                true
            }
            None => false,
        }
    }

    /// Evicts one item by the policy; false if there is no candidate.
    fn evict_one(&mut self, now: u64, rng: &mut SimRng) -> bool {
        if self.items.is_empty() || self.policy == Policy::NoEviction {
            return false;
        }
        if self.policy.volatile_only() && self.volatile == 0 {
            return false;
        }
        let victim = match self.sampling {
            Sampling::Exact => {
                // The least recently used item with a TTL for volatile-lru (walk from the tail).
                let mut position = self.tail;
                while position != NIL && self.policy.volatile_only() && self.items[position as usize].expires == NEVER {
                    position = self.items[position as usize].prev;
                }
                position
            }
            Sampling::Sampled(samples) => self.sampled_victim(samples, now, rng),
        };
        if victim == NIL {
            return false;
        }
        self.remove_at(victim);
        self.evicted += 1;
        true
    }

    /// Redis's `evictionPoolPopulate` then the pick in `performEvictions`: adds `samples`
    /// random candidates to the pool (scored when drawn, best last), then takes the best
    /// pooled key that still exists.
    fn sampled_victim(&mut self, samples: u32, now: u64, rng: &mut SimRng) -> u32 {
        let n = self.items.len();
        for _ in 0..samples {
            let position = rng.random_range(0..n);
            let item = &self.items[position];
            if self.policy.volatile_only() && item.expires == NEVER {
                continue;
            }
            let score = if item.expires <= now {
                u64::MAX // Already expired: the best candidate of every policy.
            } else {
                match self.policy {
                    Policy::AllKeysLru | Policy::VolatileLru => now.saturating_sub(item.last_access),
                    Policy::AllKeysLfu | Policy::VolatileLfu => {
                        255 - u64::from(lfu_decayed(item.lfu, item.last_access, now))
                    }
                    Policy::VolatileTtl => u64::MAX - 1 - (item.expires - now),
                    Policy::AllKeysRandom | Policy::VolatileRandom => 0,
                    Policy::NoEviction => return NIL,
                }
            };
            let key = item.key;
            if self.pool.iter().any(|&(k, _)| k == key) {
                continue;
            }
            // Sorted ascending by score: the best candidate is the last.
            let at = self.pool.partition_point(|&(_, s)| s <= score);
            self.pool.insert(at, (key, score));
            if self.pool.len() > EVICTION_POOL {
                self.pool.remove(0);
            }
            if matches!(self.policy, Policy::AllKeysRandom | Policy::VolatileRandom) {
                // Random policies take the first candidate drawn (no pool in Redis either).
                self.pool.clear();
                return position as u32;
            }
        }
        while let Some((key, _)) = self.pool.pop() {
            if let Some(position) = self.index.get(key) {
                return position;
            }
        }
        NIL
    }

    /// Removes the item at `position`, moving the last item into its place.
    fn remove_at(&mut self, position: u32) {
        if self.sampling == Sampling::Exact {
            self.unlink(position);
        }
        let item = self.items.swap_remove(position as usize);
        self.index.remove(item.key);
        self.used -= u64::from(item.size);
        if item.expires != NEVER {
            self.volatile -= 1;
        }
        if (position as usize) < self.items.len() {
            // The former last item now sits at `position`: fix the links and index naming it.
            let moved = self.items[position as usize];
            self.index.insert(moved.key, position);
            if self.sampling == Sampling::Exact {
                let old = self.items.len() as u32;
                if moved.prev != NIL {
                    self.items[moved.prev as usize].next = position;
                }
                if moved.next != NIL {
                    self.items[moved.next as usize].prev = position;
                }
                if self.head == old {
                    self.head = position;
                }
                if self.tail == old {
                    self.tail = position;
                }
            }
        }
    }

    fn unlink(&mut self, position: u32) {
        let Item { prev, next, .. } = self.items[position as usize];
        if prev != NIL {
            self.items[prev as usize].next = next;
        } else if self.head == position {
            self.head = next;
        }
        if next != NIL {
            self.items[next as usize].prev = prev;
        } else if self.tail == position {
            self.tail = prev;
        }
        let item = &mut self.items[position as usize];
        item.prev = NIL;
        item.next = NIL;
    }

    fn push_front(&mut self, position: u32) {
        let old_head = self.head;
        {
            let item = &mut self.items[position as usize];
            item.prev = NIL;
            item.next = old_head;
        }
        if old_head != NIL {
            self.items[old_head as usize].prev = position;
        }
        self.head = position;
        if self.tail == NIL {
            self.tail = position;
        }
    }
}

/// Redis's `LFUDecrAndReturn`: one less per decay period of idleness.
fn lfu_decayed(counter: u8, last_access: u64, now: u64) -> u8 {
    let periods = now.saturating_sub(last_access) / LFU_DECAY_NANOS;
    counter.saturating_sub(periods.min(255) as u8)
}

/// Redis's `LFULogIncr`: increments with probability 1/((counter − 5)·factor + 1).
fn lfu_increment(counter: u8, rng: &mut SimRng) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT));
    let p = 1.0 / (base * LFU_LOG_FACTOR + 1.0);
    if rng.random::<f64>() < p { counter + 1 } else { counter }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

//! One shard: its hash-key range, its records (a ring buffer in sequence order), its write and
//! read limits (token buckets holding one second's worth, the way Kinesis meters per second),
//! and what each consumer still has to account for.

use std::collections::VecDeque;

use crate::blocks::token_bucket::TokenBucket;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::Counter;

/// A stored record: 24 bytes.
#[derive(Copy, Clone, Debug)]
pub(super) struct Record {
    /// When the put reached the stream (propagation starts here).
    pub(super) ingested: SimTime,
    /// When the producer first issued it (end-to-end latency starts here).
    pub(super) created: SimTime,
    /// Nanoseconds from ingestion until it is durable and readable (the put's latency).
    readable_after: u32,
    /// Payload bytes; the top bit marks a poisoned record.
    size_flags: u32,
}

const POISON_FLAG: u32 = 1 << 31;

impl Record {
    pub(super) fn new(
        ingested: SimTime,
        created: SimTime,
        readable_after: SimDuration,
        size: u32,
        poison: bool,
    ) -> Self {
        Record {
            ingested,
            created,
            readable_after: readable_after.as_nanos().min(u64::from(u32::MAX)) as u32,
            size_flags: (size & !POISON_FLAG) | if poison { POISON_FLAG } else { 0 },
        }
    }

    /// When it becomes readable.
    #[inline]
    pub(super) fn readable(&self) -> SimTime {
        self.ingested + SimDuration::from_nanos(u64::from(self.readable_after))
    }

    /// Payload bytes.
    #[inline]
    pub(super) fn size(&self) -> u64 {
        u64::from(self.size_flags & !POISON_FLAG)
    }

    /// True if every processing attempt of it fails.
    #[inline]
    pub(super) fn poison(&self) -> bool {
        self.size_flags & POISON_FLAG != 0
    }
}

/// A range of records a read returns.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub(super) struct Slice {
    /// Sequence number of the first.
    pub(super) first: u64,
    /// How many.
    pub(super) count: u32,
    /// Their bytes.
    pub(super) bytes: u64,
    /// Index of the first poisoned one.
    pub(super) poison: Option<u32>,
}

/// One shard.
pub(super) struct Shard {
    /// Hash-key range, inclusive.
    pub(super) start: u128,
    pub(super) end: u128,
    /// False once a reshard closed it (no more writes).
    pub(super) open: bool,
    /// Shards it was split or merged from.
    pub(super) parents: Vec<u32>,
    /// Records from `base` on (older ones expired).
    pub(super) records: VecDeque<Record>,
    /// Sequence number of `records[0]`.
    pub(super) base: u64,
    pub(super) write_records: TokenBucket,
    pub(super) write_bytes: TokenBucket,
    pub(super) read_calls: TokenBucket,
    pub(super) read_bytes: TokenBucket,
    /// Accepted records and bytes (totals and per sampling interval).
    pub(super) incoming_records: Counter,
    pub(super) incoming_bytes: Counter,
    /// Throttled puts.
    pub(super) throttled: Counter,
}

impl Shard {
    /// A new open shard over [start, end] with the given per-second limits; each bucket holds
    /// one second's worth (`read_bytes_burst` for reads: a call may return up to its 10 MiB
    /// after five quiet seconds, and the calls after it wait, as Kinesis does).
    pub(super) fn new(start: u128, end: u128, limits: (f64, f64, f64, f64), read_bytes_burst: f64) -> Self {
        let (write_records, write_bytes, read_calls, read_bytes) = limits;
        Shard {
            start,
            end,
            open: true,
            parents: Vec::new(),
            records: VecDeque::new(),
            base: 0,
            write_records: TokenBucket::new(write_records, write_records),
            write_bytes: TokenBucket::new(write_bytes, write_bytes),
            read_calls: TokenBucket::new(read_calls, read_calls),
            read_bytes: TokenBucket::new(read_bytes, read_bytes_burst.max(read_bytes)),
            incoming_records: Counter::default(),
            incoming_bytes: Counter::default(),
            throttled: Counter::default(),
        }
    }

    /// Sequence number the next record gets (the end of the shard once it is closed).
    #[inline]
    pub(super) fn next_seq(&self) -> u64 {
        self.base + self.records.len() as u64
    }

    /// Takes the write capacity for one record of `size` bytes if both limits allow it.
    #[inline]
    pub(super) fn admit(&mut self, now: SimTime, size: u64) -> bool {
        let bytes = size as f64;
        if self.write_records.available(now) + 1e-9 >= 1.0 && self.write_bytes.available(now) + 1e-9 >= bytes {
            self.write_records.try_take(now, 1.0);
            self.write_bytes.try_take(now, bytes);
            true
        } else {
            false
        }
    }

    /// Drops the records ingested `retention` or longer ago; returns the new trim horizon.
    #[inline]
    pub(super) fn trim(&mut self, now: SimTime, retention: SimDuration) -> u64 {
        while let Some(front) = self.records.front() {
            if front.ingested + retention > now {
                break;
            }
            self.records.pop_front();
            self.base += 1;
        }
        self.base
    }

    /// The readable records from `from` on, at most `max_records` and `max_bytes` (at least
    /// one record if any is readable and it fits `max_bytes`).
    pub(super) fn read(&self, now: SimTime, from: u64, max_records: u32, max_bytes: u64) -> Slice {
        let from = from.max(self.base);
        let mut slice = Slice { first: from, ..Slice::default() };
        let start = (from - self.base) as usize;
        for record in self.records.range(start.min(self.records.len())..) {
            if slice.count >= max_records || record.readable() > now || slice.bytes + record.size() > max_bytes {
                break;
            }
            if record.poison() && slice.poison.is_none() {
                slice.poison = Some(slice.count);
            }
            slice.bytes += record.size();
            slice.count += 1;
        }
        slice
    }

    /// The record with sequence number `seq`, if it is still stored.
    #[inline]
    pub(super) fn get(&self, seq: u64) -> Option<&Record> {
        seq.checked_sub(self.base).and_then(|index| self.records.get(index as usize))
    }
}

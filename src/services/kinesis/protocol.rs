//! The messages between producers, the stream and its consumers, and how their fields are laid
//! out. Everything that travels is a [`Request`](crate::model::Request) or a [`Reply`](crate::model::Reply) (plain `Copy` data); records
//! stay in the stream's per-shard buffers and a reply says how many it carries and where they
//! are.
//!
//! # Producers → stream
//! `Op::Put`, `Op::Write` and `Op::Read` are all PutRecord: `key` is the record's partition key
//! (formatted as a decimal string, as a producer would send it, and hashed with MD5), or its
//! explicit hash key with `routing = "explicit"`; `size` is the payload in bytes. The reply is
//! `ok` (count 1, tag = the record's shard id in bits 40..56 and sequence number in bits 0..40:
//! [`pack_position`]), `throttled` (ProvisionedThroughputExceeded), or `invalid` (a record over
//! the size limit, or an operation the stream does not offer).
//!
//! # Consumers → stream (`Op::Get`)
//! `key` = call kind in bits 56..64 ([`Call`]), shard id in bits 40..56, sequence number in bits
//! 0..40 ([`pack_call`]); `size` = the most records wanted (GetRecords) or the records covered
//! (Processed). `token` is the consumer's own and comes back unchanged (shard in the low 32
//! bits, the consumer's life — bumped at each crash — in the high 32).
//! - `ListShards`: reply count = shard ids that exist (ids `0..count`; children of a reshard get
//!   new ids), tag = the retention period in milliseconds. Sequence number [`RESTART`]: the
//!   consumer restarted after a crash and will read again from its checkpoints.
//! - `GetRecords` at (shard, sequence number): reply `throttled` (over the shard's 5 calls/s or
//!   2 MiB/s), or `ok` with count = records returned, `reply.request.key` = position of the
//!   first record returned (the requested one, or the trim horizon if it expired),
//!   `reply.request.size` = their bytes, `reply.request.created` = when the first was ingested,
//!   and `tag` = [`GetTag`]: the first poisoned record's index + 1 (0 = none), whether the shard
//!   is closed and read to its end, whether a parent shard is still unfinished, and the iterator
//!   age (milliseconds between the last record returned and now).
//! - `Subscribe` (enhanced fan-out, SubscribeToShard) at (shard, sequence number): no direct
//!   answer; the stream pushes batches to the consumer as replies laid out as GetRecords' ones,
//!   as records become readable, within 2 MiB/s per subscription (the consumer buffers them).
//! - `Processed` of `size` records from (shard, sequence number): the consumer finished (or,
//!   with [`PROCESSED_DROPPED`] in `token`'s top bit, gave up on) those records; `created` =
//!   when the batch reached the consumer, `resolved_at` = when it was processed. The stream
//!   measures propagation and end-to-end latency per record from these, and counts what each
//!   consumer still has to read. No reply.

/// Bits of a sequence number (per shard): 2^40 records, 35 years at 1,000 records/s.
pub const SEQ_BITS: u32 = 40;
/// Bits of a shard id: 65,536 shards over a stream's life (children of reshards included).
pub const SHARD_BITS: u32 = 16;
/// Largest sequence number.
pub const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;
/// Most shard ids a stream may create over a run.
pub const MAX_SHARD_IDS: u32 = 1 << SHARD_BITS;

/// The `token` bit of a `Processed` call saying the records were dropped, not processed (an
/// on-failure destination after the retry limits).
pub const PROCESSED_DROPPED: u64 = 1 << 63;

/// The sequence-number field of a `ListShards` call from a consumer that restarted after a
/// crash: the stream forgets what it had sent it and not heard back about.
pub const RESTART: u64 = 1;

/// What a consumer's `Op::Get` asks for (bits 56..64 of its key).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Call {
    /// ListShards.
    ListShards = 0,
    /// GetRecords (shared throughput).
    GetRecords = 1,
    /// SubscribeToShard (enhanced fan-out).
    Subscribe = 2,
    /// The consumer is done with records (processed, or dropped).
    Processed = 3,
}

impl Call {
    fn from_code(code: u64) -> Option<Call> {
        match code {
            0 => Some(Call::ListShards),
            1 => Some(Call::GetRecords),
            2 => Some(Call::Subscribe),
            3 => Some(Call::Processed),
            _ => None,
        }
    }
}

/// A record's position: shard id and sequence number in one `u64`.
#[inline]
pub fn pack_position(shard: u32, seq: u64) -> u64 {
    (u64::from(shard) << SEQ_BITS) | (seq & SEQ_MASK)
}

/// The (shard, sequence number) of a position.
#[inline]
pub fn unpack_position(position: u64) -> (u32, u64) {
    (((position >> SEQ_BITS) & ((1 << SHARD_BITS) - 1)) as u32, position & SEQ_MASK)
}

/// The key of a consumer's call.
#[inline]
pub fn pack_call(call: Call, shard: u32, seq: u64) -> u64 {
    ((call as u64) << 56) | pack_position(shard, seq)
}

/// The call, shard and sequence number of a consumer's key; None if the call is unknown.
#[inline]
pub fn unpack_call(key: u64) -> Option<(Call, u32, u64)> {
    let (shard, seq) = unpack_position(key);
    Call::from_code(key >> 56).map(|call| (call, shard, seq))
}

/// The tag of a GetRecords reply or an enhanced fan-out push.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct GetTag {
    /// Index of the first poisoned record in the batch, if any.
    pub poison: Option<u32>,
    /// The shard is closed (resharded) and this consumer has read it to its end.
    pub closed: bool,
    /// The shard is a child whose parents this consumer has not finished: nothing returned yet.
    pub wait_parent: bool,
    /// Milliseconds from the ingestion of the last record returned to now (0 if none).
    pub iterator_age_ms: u64,
}

const POISON_BITS: u32 = 16;
const CLOSED_BIT: u64 = 1 << 16;
const WAIT_PARENT_BIT: u64 = 1 << 17;
const AGE_SHIFT: u32 = 18;

impl GetTag {
    /// Packs the tag: poison index + 1 in bits 0..16, closed bit 16, wait-parent bit 17, the
    /// iterator age in milliseconds in bits 18..64.
    pub fn pack(self) -> u64 {
        let poison = self.poison.map_or(0, |index| u64::from(index.min((1 << POISON_BITS) - 2)) + 1);
        poison
            | if self.closed { CLOSED_BIT } else { 0 }
            | if self.wait_parent { WAIT_PARENT_BIT } else { 0 }
            | (self.iterator_age_ms.min(u64::MAX >> AGE_SHIFT) << AGE_SHIFT)
    }

    /// Reads a packed tag.
    pub fn unpack(tag: u64) -> GetTag {
        let poison = tag & ((1 << POISON_BITS) - 1);
        GetTag {
            poison: (poison > 0).then(|| (poison - 1) as u32),
            closed: tag & CLOSED_BIT != 0,
            wait_parent: tag & WAIT_PARENT_BIT != 0,
            iterator_age_ms: tag >> AGE_SHIFT,
        }
    }
}

crate::message_kinds! {
    /// The stream's timers.
    timer enum StreamTimer {
        /// A PutRecords batch waited its linger time (`slot` = batch generation).
        BatchDue,
        /// An enhanced fan-out push is due for subscription `slot`.
        Push,
        /// Scheduled reshard number `slot` takes effect.
        Reshard,
        /// On-demand capacity re-evaluation.
        Scale,
    }
}

crate::message_kinds! {
    /// A consumer's timers.
    timer enum ConsumerTimer {
        /// Poll shard `slot` (GetRecords, or Subscribe with enhanced fan-out).
        Poll,
        /// Processing of the batch of shard `slot` ended (`data` = the batch's epoch).
        Processed,
        /// A failed batch of shard `slot` is retried (`data` = the batch's epoch).
        RetryBatch,
        /// Periodic checkpoint.
        Checkpoint,
        /// ListShards again (after a refused listing).
        List,
        /// A call to the target or function timed out (the Caller's).
        CallTimeout,
        /// A call to the target or function is retried (the Caller's).
        CallRetry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_round_trip() {
        let key = pack_call(Call::GetRecords, 513, 123_456_789);
        assert_eq!(unpack_call(key), Some((Call::GetRecords, 513, 123_456_789)));
        assert_eq!(unpack_call(7 << 56), None);
        assert_eq!(unpack_position(pack_position(65_535, SEQ_MASK)), (65_535, SEQ_MASK));
        for tag in [
            GetTag::default(),
            GetTag { poison: Some(0), closed: true, wait_parent: false, iterator_age_ms: 86_400_000 },
            GetTag { poison: Some(9_999), closed: false, wait_parent: true, iterator_age_ms: 1 },
        ] {
            assert_eq!(GetTag::unpack(tag.pack()), tag);
        }
    }
}

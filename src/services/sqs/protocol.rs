//! The SQS protocol: how the queue's API calls are written in a [`Request`] and answered in a
//! [`Reply`](crate::model::Reply), and the timers of the queue and of its consumers.
//!
//! # Requests to a queue (`kind = "sqs"`)
//! | call | `op` | `key` | `size` |
//! |---|---|---|---|
//! | SendMessage | `Send`, `Write` or `Read` | the message's key (FIFO group, poison check) | payload bytes |
//! | ReceiveMessage | `Receive` | MaxNumberOfMessages, 1–10 | WaitTimeSeconds in milliseconds, 0–20,000 (0 = short poll) |
//! | DeleteMessage(Batch) | `Delete` | the receipt (the receive's reply `tag`) | bit mask of the batch's messages deleted (bit i = i-th message; 0 = all) |
//! | ChangeMessageVisibility(Batch) | `Delete` | the receipt | [`CHANGE_VISIBILITY`] bit set, new timeout in seconds in bits 10–25, mask in bits 0–9 |
//! | GetQueueAttributes | `Get` | – | – |
//!
//! A DeleteMessageBatch is one billed request whatever its size, like a ReceiveMessage of 10.
//!
//! # Replies
//! A receive's reply carries `count` messages (0 for an empty receive) and in `tag` a receipt
//! laid out as [`Receipt`]: bits 0–17 the slot of the in-flight batch in the queue, bits 18–27
//! the **poison mask** (bit i set: the i-th message of the batch is poisoned and fails every
//! processing attempt), bits 28–47 the batch's generation (a receipt of a batch that expired or
//! was deleted meanwhile no longer matches), bits 48–51 the number of messages in the batch,
//! bits 52–63 the batch's total payload in units of 4 KiB, rounded up (what a Lambda
//! invocation of the batch carries). Generations are a queue-wide counter: a stale receipt
//! could only be mistaken for a live one after 2^20 (about a million) later receives. A GetQueueAttributes reply carries
//! ApproximateNumberOfMessagesVisible in `count` (saturated at `u32::MAX`).

use crate::model::{Op, Request};

/// Bit of a `Delete` request's `size` that makes it a ChangeMessageVisibility.
pub const CHANGE_VISIBILITY: u32 = 1 << 31;
/// Mask of the message bits in a `Delete` request's `size` (10 messages).
pub const MESSAGE_MASK: u32 = (1 << 10) - 1;
/// Most messages in one receive (ReceiveMessage MaxNumberOfMessages, SQS API).
pub const MAX_BATCH: usize = 10;

/// A receipt: which in-flight batch, its generation, its poison mask and its size.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Slot of the batch in the queue's in-flight table (18 bits).
    pub slot: u32,
    /// The batch's generation (20 bits).
    pub generation: u32,
    /// Bit i: the i-th message is poisoned.
    pub poison: u16,
    /// Messages in the batch (4 bits).
    pub count: u8,
    /// Total payload of the batch in units of 4 KiB, rounded up (12 bits, saturating at
    /// 16 MiB, above the 10 MiB of 10 messages of 1 MiB).
    pub size_units: u32,
}

impl Receipt {
    /// Slot bits kept in a tag: at most 2^18 − 1 = 262,143 batches are in flight at once
    /// (above the default in-flight limit of 120,000 messages; a larger configured limit is
    /// capped by it).
    pub const SLOT_BITS: u32 = 18;
    /// Generation bits kept in a tag.
    pub const GENERATION_BITS: u32 = 20;
    /// Size bits kept in a tag.
    pub const SIZE_BITS: u32 = 12;
    /// Bytes per size unit (4 KiB).
    pub const SIZE_UNIT: u64 = 4 * 1024;

    /// The receipt as a reply tag.
    pub fn tag(self) -> u64 {
        let slot = u64::from(self.slot & ((1 << Self::SLOT_BITS) - 1));
        let generation = u64::from(self.generation & ((1 << Self::GENERATION_BITS) - 1));
        let units = u64::from(self.size_units.min((1 << Self::SIZE_BITS) - 1));
        let count = u64::from(self.count & 0xF);
        slot | (u64::from(self.poison & MESSAGE_MASK as u16) << 18) | (generation << 28) | (count << 48) | (units << 52)
    }

    /// The receipt a tag carries.
    pub fn from_tag(tag: u64) -> Self {
        Receipt {
            slot: (tag & ((1 << Self::SLOT_BITS) - 1)) as u32,
            poison: ((tag >> 18) as u32 & MESSAGE_MASK) as u16,
            generation: ((tag >> 28) & ((1 << Self::GENERATION_BITS) - 1)) as u32,
            count: ((tag >> 48) & 0xF) as u8,
            size_units: (tag >> 52) as u32,
        }
    }

    /// True if `generation` (a full one) is the one this receipt names.
    pub fn names(self, generation: u32) -> bool {
        generation & ((1 << Self::GENERATION_BITS) - 1) == self.generation
    }
}

/// What a request to the queue asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// SendMessage of `size` bytes with `key`.
    Send,
    /// ReceiveMessage of up to `max` messages, waiting up to `wait_ms`.
    Receive {
        /// MaxNumberOfMessages.
        max: u32,
        /// WaitTimeSeconds in milliseconds.
        wait_ms: u32,
    },
    /// DeleteMessage(Batch) of the messages in `mask` of the batch `receipt`.
    Delete {
        /// The receipt.
        receipt: Receipt,
        /// Which messages (bit i = i-th; all bits set for the whole batch).
        mask: u16,
    },
    /// ChangeMessageVisibility(Batch): the messages in `mask` become visible `secs` from now.
    ChangeVisibility {
        /// The receipt.
        receipt: Receipt,
        /// Which messages.
        mask: u16,
        /// The new visibility timeout in seconds.
        secs: u32,
    },
    /// GetQueueAttributes (ApproximateNumberOfMessagesVisible).
    Attributes,
    /// Something a queue does not offer (`Put`, `Publish`, `Invoke`).
    Invalid,
}

impl Call {
    /// Reads a request.
    pub fn of(request: &Request) -> Call {
        match request.op {
            Op::Send | Op::Write | Op::Read => Call::Send,
            Op::Receive => Call::Receive { max: request.key.min(u64::from(u32::MAX)) as u32, wait_ms: request.size },
            Op::Delete => {
                let receipt = Receipt::from_tag(request.key);
                let mask = match (request.size & MESSAGE_MASK) as u16 {
                    0 => MESSAGE_MASK as u16,
                    mask => mask,
                };
                if request.size & CHANGE_VISIBILITY != 0 {
                    Call::ChangeVisibility { receipt, mask, secs: (request.size >> 10) & 0xFFFF }
                } else {
                    Call::Delete { receipt, mask }
                }
            }
            Op::Get => Call::Attributes,
            Op::Put | Op::Publish | Op::Invoke => Call::Invalid,
        }
    }
}

/// The `(key, size)` of a ReceiveMessage of up to `max` messages waiting `wait_ms`.
pub fn receive_fields(max: u32, wait_ms: u32) -> (u64, u32) {
    (u64::from(max), wait_ms)
}

/// The `(key, size)` of a DeleteMessage(Batch) of the messages in `mask` of `receipt`'s batch.
pub fn delete_fields(receipt_tag: u64, mask: u16) -> (u64, u32) {
    (receipt_tag, u32::from(mask) & MESSAGE_MASK)
}

/// The `(key, size)` of a ChangeMessageVisibility(Batch) to `secs` (at most 43,200, 12 h).
pub fn change_visibility_fields(receipt_tag: u64, mask: u16, secs: u32) -> (u64, u32) {
    (receipt_tag, CHANGE_VISIBILITY | ((secs.min(0xFFFF)) << 10) | (u32::from(mask) & MESSAGE_MASK))
}

crate::message_kinds! {
    /// The queue's timers.
    timer enum QueueTimer {
        /// The head of the delayed messages is due (DelaySeconds over).
        DelayDue,
        /// The earliest live visibility timeout is due: `data` its time in nanoseconds.
        VisibilityExpired,
        /// The earliest live long-poll wait is due: `data` its time in nanoseconds.
        WaitExpired,
        /// The oldest message's retention period is over.
        RetentionDue,
    }
}

crate::message_kinds! {
    /// A consumer's timers.
    timer enum ConsumerTimer {
        /// An attempt of a call to the queue timed out (the queue caller's).
        QueueTimeout,
        /// A retry of a call to the queue is due (the queue caller's).
        QueueRetry,
        /// An attempt of a call to the target or function timed out.
        TargetTimeout,
        /// A retry of a call to the target or function is due.
        TargetRetry,
        /// A worker finished processing one message: `slot` the worker, `tag` its incarnation.
        Processed,
        /// A worker's pause after an empty receive is over: `slot` the worker, `tag` its
        /// incarnation.
        PollAgain,
        /// A worker extends its batch's visibility: `slot` the worker, `tag` its incarnation,
        /// `data` the batch receipt.
        Heartbeat,
        /// The autoscaler (or the Lambda event source mapping) evaluates.
        Scale,
        /// Workers the autoscaler launched are ready: `data` how many.
        WorkersReady,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_round_trip_through_tags() {
        let receipt =
            Receipt { slot: 123_456, generation: (1 << 20) - 1, poison: 0b10_0000_0101, count: 10, size_units: 2560 };
        assert_eq!(Receipt::from_tag(receipt.tag()), receipt);
        let wrapped = Receipt { generation: (1 << 20) + 5, ..receipt };
        assert_eq!(Receipt::from_tag(wrapped.tag()).generation, 5, "generations wrap at 20 bits");
        assert!(Receipt::from_tag(wrapped.tag()).names((1 << 20) + 5));
        let huge = Receipt { size_units: 1 << 20, ..receipt };
        assert_eq!(Receipt::from_tag(huge.tag()).size_units, (1 << 12) - 1, "sizes saturate");
        assert_eq!(Receipt::from_tag(huge.tag()).count, 10);
    }

    #[test]
    fn requests_read_as_calls() {
        let mut request = Request { op: Op::Receive, key: 10, size: 20_000, ..Request::NONE };
        assert_eq!(Call::of(&request), Call::Receive { max: 10, wait_ms: 20_000 });
        let tag = Receipt { slot: 7, generation: 3, poison: 0, count: 2, size_units: 1 }.tag();
        (request.key, request.size) = delete_fields(tag, 0);
        request.op = Op::Delete;
        assert_eq!(Call::of(&request), Call::Delete { receipt: Receipt::from_tag(tag), mask: 0x3FF });
        (request.key, request.size) = change_visibility_fields(tag, 0b110, 45);
        assert_eq!(
            Call::of(&request),
            Call::ChangeVisibility { receipt: Receipt::from_tag(tag), mask: 0b110, secs: 45 }
        );
        for op in [Op::Read, Op::Write, Op::Send] {
            assert_eq!(Call::of(&Request { op, ..Request::NONE }), Call::Send);
        }
        assert_eq!(Call::of(&Request { op: Op::Put, ..Request::NONE }), Call::Invalid);
    }
}

//! Aurora's protocol: the kinds of its timers and of the internal messages between its
//! instances and storage segments, and what each one's fields carry.
//!
//! Every field a receiver checks on delivery is named here. A segment is always named by its
//! index in the volume (`6 × group + copy`): in a timer's `tag`, in an internal message's `to`.
//! Log sequence numbers and read ids travel whole in `data`.

use crate::model::Timer;

crate::message_kinds! {
    /// Aurora's timers.
    timer enum AuroraTimer {
        /// A worker of an instance's pool finished a request's CPU time (set by the pool):
        /// `slot` the worker, `data` the instance index.
        PoolDepart,
        /// A segment persisted a redo record: `slot` the commit's slot, `data` the record's
        /// LSN, `tag` the segment index.
        SegmentWriteDone,
        /// A segment read a block: `slot` the read's slot, `data` the read id, `tag` the
        /// segment index.
        SegmentReadDone,
        /// A segment read went unanswered for `read_hedge`: `slot` the read's slot, `data` the
        /// read id (a read answered meanwhile has a new id or an empty slot).
        ReadHedge,
        /// A destroyed segment was rebuilt from its peers: `slot` the segment index, `tag` its
        /// loss epoch when it was destroyed (stale if destroyed again since).
        SegmentRepair,
        /// The writer ships the redo committed since the last shipment (every
        /// `redo_batch_interval`, while the cluster has replicas).
        RedoFlush,
        /// Epoch-guarded: a failover's promotion is due. `tag` carries the writer epoch it was
        /// set in; ignored if the epoch moved on.
        FailoverDone,
        /// Epoch-guarded: a new writer instance is ready. `tag` carries the writer epoch it
        /// was set in; ignored if the epoch moved on.
        RecreateDone,
        /// Epoch-guarded: crash recovery finished, the writer opens. `tag` carries the writer
        /// epoch it was set in; ignored if the epoch moved on.
        RecoveryDone,
    }
}

impl AuroraTimer {
    /// A timer of this kind guarded by the writer `epoch` (carried in `tag`): it counts only
    /// if the writer state has not changed since it was set.
    #[inline]
    pub fn at_epoch(self, epoch: u32) -> Timer {
        Timer::new(self, 0, 0).tagged(epoch)
    }
}

crate::message_kinds! {
    /// Aurora's internal messages.
    internal enum AuroraInternal {
        /// A redo record, writer to segment: `from` the commit's slot, `to` the segment index,
        /// `data` the record's LSN.
        SegmentWrite,
        /// A segment acknowledges a persisted record to the writer: `from` the commit's slot,
        /// `to` the segment index, `data` the record's LSN.
        SegmentAck,
        /// A block read, reading instance to segment: `from` the read's slot, `to` the segment
        /// index, `data` the read id.
        SegmentRead,
        /// A segment's answer to a read: `from` the read's slot, `to` the segment index, `data`
        /// the read id.
        SegmentReadReply,
        /// A batch of committed redo shipped to a replica: `from` the writer, `to` the replica,
        /// `data` the batch id, `tag` the number of records in it.
        RedoShip,
    }
}

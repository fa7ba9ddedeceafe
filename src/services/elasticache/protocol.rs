//! The ElastiCache protocol: the timers the component sets for itself ([`CacheTimer`]) and the
//! messages between its cache client and its nodes ([`CacheInternal`]), with what each one's
//! fields carry; and the outcome codes a node answers with ([`Outcome`]).

crate::message_kinds! {
    /// The timers of an ElastiCache component.
    timer enum CacheTimer {
        /// A node finished executing a command: a [`ServerPool`](crate::blocks::station::ServerPool)
        /// departure (`slot` = server, `data` = node index).
        Node,
        /// An attempt of a database call timed out (the shared caller's timer).
        DbTimeout,
        /// A database call's retry is due (the shared caller's timer).
        DbRetry,
        /// The cache client gives up on a node that did not answer (`slot` = operation,
        /// `data` = the operation's id, `tag` = its stage number).
        NodeTimeout,
        /// A shard's automatic failover has promoted a replica (`slot` = shard, `tag` = the
        /// shard's failure epoch when the failover started).
        Failover,
    }
}

crate::message_kinds! {
    /// The messages between the cache client and the nodes. `from`/`to` are node indices, or
    /// [`CLIENT`] for the client.
    internal enum CacheInternal {
        /// Client → node: a command (`request.op` = Read for GET, Write for SET, Delete for
        /// DEL; `request.token` = the operation's slot, `request.id` = its id; `data` = for a
        /// SET, the database time its value reflects; `tag` = the operation's stage number).
        Command,
        /// Node → client: the command's outcome (`data` = an [`Outcome`] code, `tag` = the
        /// stage number it answers, `request` = the command).
        Answer,
    }
}

/// `Internal::from`/`to` of the cache client.
pub const CLIENT: u32 = u32::MAX;

/// What a node answers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// GET found a live item.
    Hit,
    /// GET found nothing.
    Miss,
    /// GET found an expired item (and removed it).
    Expired,
    /// SET stored the item, or DEL ran.
    Done,
    /// SET refused: out of memory under the eviction policy (Redis's OOM error).
    OutOfMemory,
    /// The node is down or not the shard's primary any more: the connection is refused.
    Refused,
}

impl Outcome {
    const ALL: [Outcome; 6] =
        [Outcome::Hit, Outcome::Miss, Outcome::Expired, Outcome::Done, Outcome::OutOfMemory, Outcome::Refused];

    /// The code an [`CacheInternal::Answer`] carries in `data`.
    pub fn code(self) -> u64 {
        Outcome::ALL.iter().position(|&o| o == self).unwrap_or(0) as u64
    }

    /// The outcome `code` stands for, if any.
    pub fn from_code(code: u64) -> Option<Outcome> {
        Outcome::ALL.get(code as usize).copied()
    }
}

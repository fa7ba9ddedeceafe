//! The RDS protocol: the timers the deployment sets for itself ([`RdsTimer`]) and the messages
//! its instances and RDS Proxy send each other ([`RdsInternal`]), with what each one's fields
//! carry, and the typed conversion of a proxy reply's status to and from its tag.
//!
//! A number checked on delivery travels in the `tag` field: an instance's incarnation (as
//! `incarnation as u32`, see [`Node::tag`](super::node::Node::tag)), the failover epoch, a
//! reply status. Sequence numbers (LSNs, binlog positions) and proxy connection generations
//! travel whole in `data`.

use crate::model::Status;

crate::message_kinds! {
    /// The timers of an RDS deployment.
    timer enum RdsTimer {
        /// A request's service on an instance ends: a [`ServerPool`](crate::blocks::station::ServerPool)
        /// departure, set by the pool itself (`slot` = server, `data` = node index, `tag` 0).
        Pool,
        /// A standby has persisted a replicated write (`slot` = standby node, `data` = LSN,
        /// `tag` = the standby's incarnation when it received it).
        StandbyPersisted,
        /// The single-threaded apply queue of a replica or cluster standby has applied one
        /// position (`slot` = node, `data` = the position applied, `tag` = its incarnation).
        ApplyDone,
        /// Failover step: RDS has noticed the primary failed (`slot` 0, `data` 0, `tag` =
        /// failover epoch).
        Detected,
        /// Failover step: the promotion's own duration is over (`slot` = node promoted,
        /// `data` 0, `tag` = failover epoch).
        Promoted,
        /// Failover step: the DNS record now names the new primary (`slot` 0, `data` 0,
        /// `tag` = failover epoch).
        DnsSwitched,
        /// Failover step: the failed primary's host has been replaced (`slot` 0, `data` 0,
        /// `tag` = failover epoch).
        Replaced,
        /// The primary decides whether a standby it cannot use must be detached (`slot` =
        /// standby node, `data` 0, `tag` = the standby's incarnation when the check was armed).
        StandbyCheck,
        /// A standby or replica has finished resynchronizing (`slot` = node, `data` 0, `tag` =
        /// the incarnation its resync started with).
        Resynced,
    }
}

impl RdsTimer {
    /// True for the steps of a failover (detection, promotion, DNS switch, replacement): they
    /// carry the failover epoch they were set in, as their `tag`, and are stale — ignored —
    /// once the epoch has moved on (the episode ended or took another turn).
    pub fn is_failover_step(self) -> bool {
        match self {
            RdsTimer::Detected | RdsTimer::Promoted | RdsTimer::DnsSwitched | RdsTimer::Replaced => true,
            RdsTimer::Pool
            | RdsTimer::StandbyPersisted
            | RdsTimer::ApplyDone
            | RdsTimer::StandbyCheck
            | RdsTimer::Resynced => false,
        }
    }
}

crate::message_kinds! {
    /// The messages between an RDS deployment's instances and its proxy. `from` and `to` are
    /// node indices, or [`PROXY_ENDPOINT`] for the proxy.
    internal enum RdsInternal {
        /// Primary → standby: a write to persist (`data` = its LSN, `tag` = the standby's
        /// incarnation, `request` = the write).
        Replicate,
        /// Standby → primary: a write is persisted (`data` = its LSN, `tag` = the primary's
        /// incarnation).
        Ack,
        /// Primary → replica: a binlog position (`data` = the position, `tag` = the replica's
        /// incarnation).
        Ship,
        /// Proxy → primary: a request on one of the proxy's connections (`data` = the
        /// connection's generation, `tag` = the primary's incarnation, `request` = the request
        /// with the proxy as its client).
        ProxyForward,
        /// Instance → proxy: the answer to a forwarded request (`data` = the connection's
        /// generation, `tag` = the status as [`status_tag`], `request` = the request).
        ProxyReply,
    }
}

/// `Internal::from`/`to` of the proxy.
pub const PROXY_ENDPOINT: u32 = u32::MAX;

/// Every status, indexed by its [`status_tag`].
const STATUSES: [Status; 6] =
    [Status::Ok, Status::Rejected, Status::Throttled, Status::Unavailable, Status::TimedOut, Status::Invalid];

/// The tag a [`RdsInternal::ProxyReply`] carries for `status`.
pub fn status_tag(status: Status) -> u32 {
    match status {
        Status::Ok => 0,
        Status::Rejected => 1,
        Status::Throttled => 2,
        Status::Unavailable => 3,
        Status::TimedOut => 4,
        Status::Invalid => 5,
    }
}

/// The status a [`RdsInternal::ProxyReply`]'s `tag` stands for, or None if it stands for none.
pub fn status_of_tag(tag: u32) -> Option<Status> {
    STATUSES.get(tag as usize).copied()
}

//! One DB instance of a deployment ([`Node`]): its role, its server pool, its health under
//! faults, and where it stands in the replication streams.

use super::config::RdsPlan;
use super::protocol::RdsTimer;
use super::seq::SeqTracker;
use crate::blocks::health::Health;
use crate::blocks::station::{ServerPool, ServiceTimes};

/// What a node is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// Serves writes (and reads routed to the primary).
    Primary,
    /// Receives the primary's log and is waited for; readable in a Multi-AZ DB cluster.
    Standby,
    /// An asynchronous read replica.
    Replica,
}

/// One DB instance.
pub(super) struct Node {
    /// The AZ it runs in.
    pub(super) az: u16,
    /// Its current role.
    pub(super) role: Role,
    /// Its servers and connection queue.
    pub(super) pool: ServerPool,
    /// Bumped at every crash and resync: messages and timers tagged with an older value are
    /// dropped (a connection that broke).
    pub(super) incarnation: u64,
    /// Crash faults holding it down, slow faults slowing it.
    pub(super) health: Health,
    /// Runs: no crash fault, its AZ up.
    pub(super) up: bool,
    /// Standby: receives the primary's log and is waited for. Replica: member of the
    /// replication stream (false while it must be rebuilt).
    pub(super) in_sync: bool,
    /// A resync is under way.
    pub(super) resyncing: bool,
    /// Standby: a replicated write or its ack was lost, so it must be detached.
    pub(super) missed: bool,
    /// Standby: a [`RdsTimer::StandbyCheck`] is armed.
    pub(super) check_pending: bool,
    /// Standby: LSNs persisted. Replica: binlog positions received.
    pub(super) log: SeqTracker,
    /// Position applied by the single-threaded apply queue (replica: binlog; cluster
    /// standby: LSN).
    pub(super) applied: u64,
    /// The apply queue is working on `applied + 1`.
    pub(super) applying: bool,
    /// Replica: next binlog position the primary sends it.
    pub(super) shipped: u64,
}

impl Node {
    /// Instance `index` of `plan`, in AZ `az`, starting as `role`.
    pub(super) fn new(index: usize, az: u16, role: Role, plan: &RdsPlan) -> Self {
        let service = ServiceTimes { read: plan.read_service.clone(), write: plan.write_service.clone() };
        Node {
            az,
            role,
            pool: ServerPool::new(plan.workers, Some(plan.queue_limit), service, RdsTimer::Pool, index as u64),
            incarnation: 0,
            health: Health::default(),
            up: true,
            in_sync: role != Role::Primary,
            resyncing: false,
            missed: false,
            check_pending: false,
            log: SeqTracker::default(),
            applied: 0,
            applying: false,
            shipped: 1,
        }
    }

    /// The incarnation as messages and timers carry it in their `tag`.
    #[inline]
    pub(super) fn tag(&self) -> u32 {
        self.incarnation as u32
    }
}

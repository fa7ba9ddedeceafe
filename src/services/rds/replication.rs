//! Writes and replication: a write executed on the primary gets an LSN and goes to every
//! in-sync standby; it commits on their acks (or at once without one); each commit gets a
//! binlog position shipped to the replicas, which apply the stream in order through their
//! single-threaded apply queue, as readable cluster standbys replay their log.

use super::config::Deployment;
use super::node::Role;
use super::protocol::{RdsInternal, RdsTimer};
use super::{MAX_BINLOG, Phase, Rds};
use crate::engine::SimTime;
use crate::model::{Ctx, Internal, Op, Request, Status, Timer};

/// A write executed on the primary and waiting for its standby ack.
#[derive(Copy, Clone, Debug)]
pub(super) struct Pending {
    /// The write.
    pub(super) request: Request,
    /// When the primary finished executing it.
    pub(super) executed: SimTime,
    /// Committed (acknowledged to its client), possibly ahead of earlier LSNs.
    pub(super) committed: bool,
}

/// The latest committed write of a key.
#[derive(Copy, Clone, Debug)]
pub(super) struct KeyState {
    /// Its LSN.
    pub(super) lsn: u64,
    /// Its binlog position.
    pub(super) seq: u64,
    /// When it committed.
    pub(super) at: SimTime,
}

impl Rds {
    /// `node` finished serving `request`.
    pub(super) fn on_served(&mut self, node: usize, request: Request, ctx: &mut Ctx<'_>) {
        match (self.nodes[node].role, request.op) {
            (Role::Primary, Op::Read) => self.respond(node, request, Status::Ok, ctx),
            (Role::Primary, _) => self.executed(node, request, ctx),
            (_, Op::Read) => {
                self.record_reader_read(node, request.key, ctx.now());
                self.respond(node, request, Status::Ok, ctx);
            }
            (_, _) => {
                self.m.unavailable.incr();
                self.respond(node, request, Status::Unavailable, ctx);
            }
        }
    }

    /// Counts a read served by a reader, and whether it missed the key's latest commit.
    fn record_reader_read(&mut self, node: usize, key: u64, now: SimTime) {
        self.m.reader_reads.incr();
        let Some(state) = self.keys.get(&key) else { return };
        let n = &self.nodes[node];
        let behind = match n.role {
            Role::Replica => n.applied < state.seq,
            Role::Standby => n.applied < state.lsn,
            Role::Primary => false,
        };
        if behind {
            self.m.stale_reads.incr();
            self.m.staleness.record(now - state.at);
        }
    }

    /// A write finished executing on primary `node`: log it and replicate it.
    fn executed(&mut self, node: usize, request: Request, ctx: &mut Ctx<'_>) {
        let lsn = self.next_lsn;
        self.next_lsn += 1;
        if self.pending.is_empty() {
            self.pending_base = lsn;
        }
        self.pending.push_back(Pending { request, executed: ctx.now(), committed: false });
        let from_az = self.nodes[node].az;
        let mut waiting = false;
        for standby in 0..self.nodes.len() {
            let s = &self.nodes[standby];
            if s.role != Role::Standby || !s.in_sync {
                continue;
            }
            waiting = true;
            let internal =
                Internal::new(RdsInternal::Replicate, node as u32, standby as u32, lsn, request).tagged(s.tag());
            if !ctx.send_internal(from_az, s.az, internal) {
                self.nodes[standby].missed = true;
                self.schedule_standby_check(standby, ctx);
            }
        }
        if !waiting {
            self.commit_lsn(lsn, ctx);
        }
        self.pop_committed();
    }

    /// Drops the committed writes at the head of the pending queue.
    pub(super) fn pop_committed(&mut self) {
        while self.pending.front().is_some_and(|entry| entry.committed) {
            self.pending.pop_front();
            self.pending_base += 1;
        }
    }

    /// Commits the pending write with LSN `lsn` (if it still waits).
    pub(super) fn commit_lsn(&mut self, lsn: u64, ctx: &mut Ctx<'_>) {
        let Some(index) = lsn.checked_sub(self.pending_base) else { return };
        let Some(entry) = self.pending.get_mut(index as usize) else { return };
        if entry.committed {
            return;
        }
        entry.committed = true;
        let (request, executed) = (entry.request, entry.executed);
        let now = ctx.now();
        self.m.commit_latency.record(now - executed);
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.plan.replicas > 0 {
            self.binlog.push_back(now);
        }
        if self.track_keys {
            self.keys.insert(request.key, KeyState { lsn, seq, at: now });
        }
        self.respond(self.primary, request, Status::Ok, ctx);
        if self.plan.replicas > 0 {
            self.ship(seq, ctx);
            if seq & 1023 == 0 {
                self.trim_binlog();
            }
        }
    }

    /// Sends binlog position `seq` to every replica that is up to date with the stream.
    fn ship(&mut self, seq: u64, ctx: &mut Ctx<'_>) {
        let from_az = self.nodes[self.primary].az;
        for replica in 0..self.nodes.len() {
            let r = &self.nodes[replica];
            if r.role != Role::Replica || !r.in_sync || r.resyncing || r.shipped != seq {
                continue;
            }
            let internal = Internal::new(RdsInternal::Ship, self.primary as u32, replica as u32, seq, Request::NONE)
                .tagged(r.tag());
            if ctx.send_internal(from_az, r.az, internal) {
                self.nodes[replica].shipped += 1;
            }
        }
    }

    /// Sends a replica everything it has not been sent (after a partition, a crash, a
    /// failover).
    pub(super) fn catch_up(&mut self, replica: usize, ctx: &mut Ctx<'_>) {
        if !self.nodes[self.primary].up {
            return;
        }
        let from_az = self.nodes[self.primary].az;
        let r = &mut self.nodes[replica];
        if r.role != Role::Replica || !r.in_sync || r.resyncing || !r.up {
            return;
        }
        while r.shipped < self.next_seq {
            let internal =
                Internal::new(RdsInternal::Ship, self.primary as u32, replica as u32, r.shipped, Request::NONE)
                    .tagged(r.tag());
            if !ctx.send_internal(from_az, r.az, internal) {
                break;
            }
            r.shipped += 1;
        }
    }

    /// Starts applying the next position of `node`'s stream, if it holds it and is idle.
    pub(super) fn start_apply(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let n = &mut self.nodes[node];
        if n.applying || !n.up || n.applied >= n.log.prefix() {
            return;
        }
        n.applying = true;
        let mut delay = self.plan.apply.sample_duration(ctx.rng);
        let slow = n.health.slow_factor();
        if slow != 1.0 {
            delay = delay.mul_f64(slow);
        }
        ctx.timer(delay, Timer::new(RdsTimer::ApplyDone, node as u32, n.applied + 1).tagged(n.tag()));
    }

    /// `node`'s apply queue applied position `seq` (set with incarnation tag `tag`).
    pub(super) fn on_apply_done(&mut self, node: usize, tag: u32, seq: u64, ctx: &mut Ctx<'_>) {
        let n = &mut self.nodes[node];
        if tag != n.tag() || seq != n.applied + 1 {
            return;
        }
        n.applied = seq;
        n.applying = false;
        if n.role == Role::Replica
            && seq >= self.binlog_base
            && let Some(&committed) = self.binlog.get((seq - self.binlog_base) as usize)
        {
            let lag = ctx.now() - committed;
            self.m.replica_lag.record(lag);
            self.m.lag_interval.record(lag.as_millis_f64());
        }
        self.start_apply(node, ctx);
        if matches!(self.phase, Phase::Promoting { target, .. } if target == node) {
            self.try_complete_promotion(ctx);
        }
    }

    /// Drops binlog positions every replica has applied; rebuilds a replica that lags by more
    /// than [`MAX_BINLOG`].
    fn trim_binlog(&mut self) {
        if self.binlog.len() > MAX_BINLOG {
            let keep_from = self.next_seq.saturating_sub((MAX_BINLOG / 2) as u64);
            for n in self.nodes.iter_mut().filter(|n| n.role == Role::Replica && n.in_sync && n.applied + 1 < keep_from)
            {
                n.incarnation += 1;
                n.log.reset(self.next_seq - 1);
                n.applied = self.next_seq - 1;
                n.shipped = self.next_seq;
                n.applying = false;
                self.m.replica_rebuilds.incr();
            }
        }
        let needed = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Replica && n.in_sync)
            .map(|n| n.applied + 1)
            .min()
            .unwrap_or(self.next_seq);
        while self.binlog_base < needed && self.binlog.pop_front().is_some() {
            self.binlog_base += 1;
        }
    }

    /// A replicated write reaches a standby, which starts persisting it.
    pub(super) fn on_replicate(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let standby = internal.to as usize;
        let (tag, lsn) = (internal.tag, internal.data);
        let Some(s) = self.nodes.get(standby) else { return };
        if s.role != Role::Standby || !s.up || !s.in_sync || tag != s.tag() {
            return;
        }
        let mut delay = self.plan.standby_apply.sample_duration(ctx.rng);
        let slow = s.health.slow_factor();
        if slow != 1.0 {
            delay = delay.mul_f64(slow);
        }
        ctx.timer(delay, Timer::new(RdsTimer::StandbyPersisted, standby as u32, lsn).tagged(tag));
    }

    /// `standby` persisted LSN `lsn` (received with incarnation tag `tag`): it acknowledges.
    pub(super) fn on_persisted(&mut self, standby: usize, tag: u32, lsn: u64, ctx: &mut Ctx<'_>) {
        let s = &mut self.nodes[standby];
        if s.role != Role::Standby || tag != s.tag() {
            return;
        }
        s.log.mark(lsn);
        let from_az = s.az;
        let primary = &self.nodes[self.primary];
        let ack = Internal::new(RdsInternal::Ack, standby as u32, self.primary as u32, lsn, Request::NONE)
            .tagged(primary.tag());
        let to_az = primary.az;
        if primary.up && !ctx.send_internal(from_az, to_az, ack) {
            self.nodes[standby].missed = true;
            self.schedule_standby_check(standby, ctx);
        }
        if self.plan.deployment == Deployment::MultiAzCluster {
            self.start_apply(standby, ctx);
        }
    }

    /// A standby's ack reaches the primary.
    pub(super) fn on_ack(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let node = internal.to as usize;
        if node != self.primary || !self.nodes[node].up || internal.tag != self.nodes[node].tag() {
            return;
        }
        self.commit_lsn(internal.data, ctx);
        self.pop_committed();
    }

    /// A binlog position reaches a replica.
    pub(super) fn on_ship(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let replica = internal.to as usize;
        let Some(r) = self.nodes.get_mut(replica) else { return };
        if r.role != Role::Replica || !r.up || internal.tag != r.tag() {
            return;
        }
        r.log.mark(internal.data);
        self.start_apply(replica, ctx);
    }
}

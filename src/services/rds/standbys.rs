//! Standbys and replicas leaving and rejoining replication: the primary's check of a standby
//! it cannot use (detached after `detection`), writes that then commit on the primary alone,
//! and the `resync` that brings a recovered standby or replica back.

use super::node::Role;
use super::protocol::RdsTimer;
use super::{Phase, Rds};
use crate::model::{Ctx, Timer};

impl Rds {
    /// Arms the check of `standby` (once: a pending check covers later misses).
    pub(super) fn schedule_standby_check(&mut self, standby: usize, ctx: &mut Ctx<'_>) {
        let s = &mut self.nodes[standby];
        if s.check_pending {
            return;
        }
        s.check_pending = true;
        let tag = s.tag();
        let delay = self.plan.detection.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer::new(RdsTimer::StandbyCheck, standby as u32, 0).tagged(tag));
    }

    /// The check of `standby`, armed at its incarnation `tag`, is due: detach it if it is
    /// still unusable.
    pub(super) fn on_standby_check(&mut self, standby: usize, tag: u32, ctx: &mut Ctx<'_>) {
        self.nodes[standby].check_pending = false;
        if !self.primary_serves() {
            return; // Re-armed when a primary serves again (recheck_standbys).
        }
        let primary = &self.nodes[self.primary];
        let s = &self.nodes[standby];
        if s.role != Role::Standby || !s.in_sync {
            return;
        }
        let broken = s.missed || !s.up || tag != s.tag() || !ctx.network().reachable(primary.az, s.az);
        if broken {
            self.nodes[standby].in_sync = false;
            self.m.standby_detached.incr();
            self.resolve_pending(ctx);
            self.rejoin_all(ctx);
        }
    }

    /// With no in-sync standby left, every waiting write commits on the primary alone.
    pub(super) fn resolve_pending(&mut self, ctx: &mut Ctx<'_>) {
        let any_in_sync = self.nodes.iter().any(|n| n.role == Role::Standby && n.in_sync);
        if any_in_sync || !self.nodes[self.primary].up {
            return;
        }
        let (first, end) = (self.pending_base, self.pending_base + self.pending.len() as u64);
        for lsn in first..end {
            self.commit_lsn(lsn, ctx);
        }
        self.pop_committed();
    }

    /// Starts resynchronizing `node` from the primary (a new incarnation).
    fn start_resync(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let n = &mut self.nodes[node];
        n.resyncing = true;
        n.incarnation += 1;
        n.applying = false;
        let tag = n.tag();
        let delay = self.plan.resync.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer::new(RdsTimer::Resynced, node as u32, 0).tagged(tag));
    }

    /// `node`'s resync, started at incarnation `tag`, is over: it follows the primary again
    /// from the current end of the log (if it and the primary are still up and connected).
    pub(super) fn on_resynced(&mut self, node: usize, tag: u32, ctx: &mut Ctx<'_>) {
        let (next_lsn, next_seq) = (self.next_lsn, self.next_seq);
        let primary_up = self.nodes[self.primary].up;
        let primary_az = self.nodes[self.primary].az;
        let reachable = ctx.network().reachable(primary_az, self.nodes[node].az);
        let n = &mut self.nodes[node];
        if tag != n.tag() || !n.resyncing {
            return;
        }
        n.resyncing = false;
        if !n.up || !primary_up || !reachable || n.role == Role::Primary {
            return; // Tried again when the primary is back (rejoin_all).
        }
        n.in_sync = true;
        n.missed = false;
        n.applying = false;
        match n.role {
            Role::Standby => {
                n.log.reset(next_lsn - 1);
                n.applied = next_lsn - 1;
            }
            Role::Replica => {
                n.log.reset(next_seq - 1);
                n.applied = next_seq - 1;
                n.shipped = next_seq;
            }
            Role::Primary => {}
        }
        self.update_writable(ctx);
    }

    /// Brings every recovered standby and replica back into replication.
    pub(super) fn rejoin_all(&mut self, ctx: &mut Ctx<'_>) {
        if !self.nodes[self.primary].up || !matches!(self.phase, Phase::Normal | Phase::AwaitingDns) {
            return;
        }
        let primary_az = self.nodes[self.primary].az;
        for node in 0..self.nodes.len() {
            let n = &self.nodes[node];
            if node == self.primary || !n.up || n.resyncing {
                continue;
            }
            let reachable = ctx.network().reachable(primary_az, n.az);
            match n.role {
                Role::Standby if !n.in_sync && !n.check_pending && reachable => self.start_resync(node, ctx),
                Role::Replica if !n.in_sync && reachable => self.start_resync(node, ctx),
                Role::Replica => self.catch_up(node, ctx),
                _ => {}
            }
        }
    }

    /// Arms the detection of every in-sync standby the primary cannot use (down, missed a
    /// message, unreachable). Checks skipped while the primary itself was down are re-armed
    /// here when it serves again.
    pub(super) fn recheck_standbys(&mut self, ctx: &mut Ctx<'_>) {
        if !self.primary_serves() {
            return;
        }
        let primary_az = self.nodes[self.primary].az;
        for node in 0..self.nodes.len() {
            let n = &self.nodes[node];
            let broken = !n.up || n.missed || !ctx.network().reachable(primary_az, n.az);
            if n.role == Role::Standby && n.in_sync && broken {
                self.schedule_standby_check(node, ctx);
            }
        }
    }
}

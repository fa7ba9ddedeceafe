//! Failover: the state machine from a primary's failure to writes being served again —
//! detection, the choice of what to promote (standby, replica, or a replacement host),
//! promotion and its data-loss check, the DNS switch — and whether the deployment is writable.

use super::Rds;
use super::config::Deployment;
use super::node::Role;
use super::protocol::RdsTimer;
use super::proxy::Proxy;
use crate::engine::SimTime;
use crate::model::{Ctx, Network, Timer};

/// Where the failover state machine is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// A primary serves (or, after a replacement, waits for its AZ).
    Normal,
    /// The primary failed; RDS has not noticed yet.
    Detecting,
    /// A standby or replica is being promoted.
    Promoting {
        /// The node promoted.
        target: usize,
        /// It is a replica (asynchronous: commits it had not received are lost).
        from_replica: bool,
        /// The promotion's own duration is over (a replaying target may still apply its
        /// backlog).
        timer_done: bool,
    },
    /// No failover target: the primary is being replaced.
    Replacing,
    /// Promoted; the DNS record still names the old primary.
    AwaitingDns,
}

impl Rds {
    /// The failover epoch as failover steps carry it in their `tag`.
    #[inline]
    pub(super) fn epoch_tag(&self) -> u32 {
        self.epoch as u32
    }

    /// [`RdsTimer::Detected`]: RDS noticed the primary's failure.
    pub(super) fn on_detected(&mut self, ctx: &mut Ctx<'_>) {
        if self.phase == Phase::Detecting {
            self.choose_recovery(ctx);
            self.update_writable(ctx);
        }
    }

    /// [`RdsTimer::Promoted`]: the promotion's own duration is over.
    pub(super) fn on_promoted(&mut self, ctx: &mut Ctx<'_>) {
        if let Phase::Promoting { target, from_replica, .. } = self.phase {
            self.phase = Phase::Promoting { target, from_replica, timer_done: true };
            self.try_complete_promotion(ctx);
        }
    }

    /// True if the primary accepts requests (it is not fenced by a failover in progress).
    pub(super) fn primary_serves(&self) -> bool {
        self.nodes[self.primary].up && matches!(self.phase, Phase::Normal | Phase::AwaitingDns)
    }

    /// The primary went down, losing `lost_in_pool` requests in its pool: its uncommitted
    /// writes are lost; detection starts.
    pub(super) fn primary_failed(&mut self, lost_in_pool: u64, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let uncommitted = self.pending.iter().filter(|entry| !entry.committed).count() as u64;
        let on_the_way = self.proxy.as_mut().map(Proxy::primary_failed).unwrap_or(0);
        self.m.lost_in_flight.add(lost_in_pool + uncommitted + on_the_way);
        self.crash_base = if self.pending.is_empty() { self.next_lsn } else { self.pending_base };
        self.crash_committed.clear();
        for (index, entry) in self.pending.iter().enumerate() {
            let lsn = self.pending_base + index as u64;
            if entry.committed {
                self.crash_committed.push(lsn);
            } else {
                self.lost_lsns.push(lsn);
            }
        }
        self.pending.clear();
        self.pending_base = self.next_lsn;
        self.epoch += 1;
        self.phase = Phase::Detecting;
        if self.outage_start.is_none() {
            self.outage_start = Some(now);
        }
        let delay = self.plan.detection.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer::new(RdsTimer::Detected, 0, 0).tagged(self.epoch_tag()));
    }

    /// Failure detected (or the chosen target failed): pick what to promote.
    pub(super) fn choose_recovery(&mut self, ctx: &mut Ctx<'_>) {
        self.epoch += 1;
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.holding = true;
        }
        let best = |role: Role, rds: &Self| {
            (0..rds.nodes.len())
                .filter(|&node| {
                    let n = &rds.nodes[node];
                    node != rds.primary
                        && n.role == role
                        && n.up
                        && n.in_sync
                        && !n.resyncing
                        && !(role == Role::Standby && n.missed)
                })
                .max_by_key(|&node| (rds.nodes[node].log.prefix(), rds.nodes[node].log.max(), std::cmp::Reverse(node)))
        };
        let (target, from_replica, delay) = if let Some(standby) = best(Role::Standby, self) {
            (Some(standby), false, self.plan.promotion.sample_duration(&mut self.control_rng))
        } else if let Some(replica) = best(Role::Replica, self) {
            (Some(replica), true, self.plan.replica_promotion.sample_duration(&mut self.control_rng))
        } else {
            (None, false, self.plan.replacement.sample_duration(&mut self.control_rng))
        };
        match target {
            Some(target) => {
                self.phase = Phase::Promoting { target, from_replica, timer_done: false };
                ctx.timer(delay, Timer::new(RdsTimer::Promoted, target as u32, 0).tagged(self.epoch_tag()));
            }
            None => {
                self.phase = Phase::Replacing;
                ctx.timer(delay, Timer::new(RdsTimer::Replaced, 0, 0).tagged(self.epoch_tag()));
            }
        }
    }

    /// Completes the promotion once its duration is over and a replaying target has applied
    /// its backlog.
    pub(super) fn try_complete_promotion(&mut self, ctx: &mut Ctx<'_>) {
        let Phase::Promoting { target, from_replica, timer_done: true } = self.phase else { return };
        let t = &self.nodes[target];
        let replays = from_replica || self.plan.deployment == Deployment::MultiAzCluster;
        if replays && t.applied < t.log.prefix() {
            return; // Applies its backlog first; called again at each apply.
        }
        self.complete_promotion(target, from_replica, ctx);
    }

    /// Acknowledged commits missing from standby `target`'s log.
    fn commits_missing_on(&self, target: usize) -> u64 {
        let log = &self.nodes[target].log;
        let mut missing = 0;
        if self.crash_base > self.timeline_start {
            let (lo, hi) = (self.timeline_start, self.crash_base - 1);
            missing += (hi - lo + 1) - log.count_in(lo, hi);
            // Never committed: lost in flight with an earlier failure.
            missing -=
                self.lost_lsns.iter().filter(|&&lsn| lsn >= lo && lsn <= hi && !log.contains(lsn)).count() as u64;
        }
        missing + self.crash_committed.iter().filter(|&&lsn| !log.contains(lsn)).count() as u64
    }

    /// `target` becomes the primary: roles swap, a new LSN timeline starts, the DNS switch
    /// starts, and the proxy sends what it held.
    fn complete_promotion(&mut self, target: usize, from_replica: bool, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let old = self.primary;
        let lost = if from_replica {
            (self.next_seq - 1).saturating_sub(self.nodes[target].log.prefix())
        } else {
            self.commits_missing_on(target)
        };
        self.m.lost_commits.add(lost);
        self.m.failovers.incr();
        if from_replica {
            self.m.replica_promotions.incr();
            self.truncate_stream(self.nodes[target].log.prefix());
        }
        // Roles.
        let (target_slot, old_slot) = (self.slot_of[target], self.slot_of[old]);
        self.role_node.swap(target_slot, old_slot);
        self.slot_of[target] = old_slot;
        self.slot_of[old] = target_slot;
        {
            let o = &mut self.nodes[old];
            o.role = if from_replica { Role::Replica } else { Role::Standby };
            o.in_sync = false;
            o.resyncing = false;
            o.missed = false;
            o.check_pending = false;
            o.applying = false;
            o.incarnation += 1;
        }
        {
            let t = &mut self.nodes[target];
            t.role = Role::Primary;
            t.in_sync = false;
            t.applying = false;
        }
        self.primary = target;
        // A new timeline of LSNs; the other standbys follow it (from_replica: they were
        // following a different history and must resync).
        self.timeline_start = self.next_lsn;
        self.pending.clear();
        self.pending_base = self.next_lsn;
        self.crash_committed.clear();
        self.lost_lsns.clear();
        self.crash_base = self.next_lsn;
        for node in 0..self.nodes.len() {
            let n = &mut self.nodes[node];
            if n.role != Role::Standby || node == old || !n.in_sync {
                continue;
            }
            if from_replica || !n.up || n.missed {
                // A different history, or a standby that is itself broken: it resyncs.
                n.in_sync = false;
                n.check_pending = false;
            } else {
                n.log.reset(self.next_lsn - 1);
                n.incarnation += 1;
                n.applying = false;
                n.applied = n.applied.min(self.next_lsn - 1);
                n.check_pending = false;
                self.start_apply(node, ctx);
            }
        }
        self.phase = Phase::AwaitingDns;
        self.epoch += 1;
        let delay = self.plan.dns_switch.sample_duration(&mut self.control_rng);
        ctx.timer(delay, Timer::new(RdsTimer::DnsSwitched, 0, 0).tagged(self.epoch_tag()));
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.holding = false;
            self.writes_restored(now);
        }
        self.recheck_standbys(ctx);
        self.rejoin_all(ctx);
        self.dispatch(ctx);
        self.update_writable(ctx);
    }

    /// After a replica promotion: binlog positions past `have` never happened.
    fn truncate_stream(&mut self, have: u64) {
        if have + 1 >= self.binlog_base {
            self.binlog.truncate((have + 1 - self.binlog_base) as usize);
        }
        self.next_seq = have + 1;
        self.keys.retain(|_, state| state.seq <= have);
        for n in self.nodes.iter_mut().filter(|n| n.role == Role::Replica) {
            if n.applied > have {
                self.m.replica_rebuilds.incr();
            }
            let prefix = n.log.prefix().min(have);
            n.log.reset(prefix);
            n.applied = n.applied.min(prefix);
            n.shipped = prefix + 1;
            n.incarnation += 1;
            n.applying = false;
        }
    }

    /// [`RdsTimer::DnsSwitched`]: the DNS record now names the new primary.
    pub(super) fn on_dns_switched(&mut self, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::AwaitingDns {
            return;
        }
        let now = ctx.now();
        self.dns.switch(now, self.primary);
        self.phase = Phase::Normal;
        if self.proxy.is_none() {
            // New connections go to the new primary's AZ.
            self.move_endpoint(self.nodes[self.primary].az, ctx);
            self.writes_restored(now);
        }
        self.update_writable(ctx);
    }

    /// [`RdsTimer::Replaced`]: the failed primary's host was replaced (its storage survived).
    pub(super) fn on_replaced(&mut self, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Replacing {
            return;
        }
        self.m.replacements.incr();
        let primary = self.primary;
        self.phase = Phase::Normal;
        // A new host: the crash no longer holds it down (its AZ still may).
        self.nodes[primary].health.clear_crashes();
        self.refresh(primary, ctx);
        self.update_writable(ctx);
    }

    /// The primary is back in place (restart before detection, replacement, its AZ back).
    pub(super) fn primary_restored(&mut self, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Normal {
            self.m.restarts.incr();
        }
        self.epoch += 1;
        self.phase = Phase::Normal;
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.holding = false;
        }
        self.writes_restored(ctx.now());
        self.recheck_standbys(ctx);
        self.rejoin_all(ctx);
        self.resolve_pending(ctx);
        self.dispatch(ctx);
    }

    /// Clients can write again: the outage that started at `outage_start` is over.
    fn writes_restored(&mut self, now: SimTime) {
        if let Some(start) = self.outage_start.take()
            && now >= self.m.measure_start
        {
            let downtime = (now - start).as_secs_f64();
            self.m.downtime_sum += downtime;
            self.m.downtime_max = self.m.downtime_max.max(downtime);
            self.m.downtimes += 1;
        }
    }

    /// True if a write sent now can commit: the primary serves, clients reach it, and it does
    /// not wait for an in-sync standby that cannot answer.
    fn writable_now(&self, network: &Network) -> bool {
        if !self.primary_serves() || (self.phase == Phase::AwaitingDns && self.proxy.is_none()) {
            return false;
        }
        let primary_az = self.nodes[self.primary].az;
        let mut in_sync = 0;
        let mut usable = 0;
        for n in self.nodes.iter().filter(|n| n.role == Role::Standby && n.in_sync) {
            in_sync += 1;
            if n.up && !n.missed && network.reachable(primary_az, n.az) {
                usable += 1;
            }
        }
        in_sync == 0 || usable > 0
    }

    /// Records a change of writability in the `writable` series.
    pub(super) fn update_writable(&mut self, ctx: &mut Ctx<'_>) {
        let writable = self.writable_now(ctx.network());
        if writable != self.writable {
            self.writable = writable;
            self.m.writable.set(ctx.now(), if writable { 1.0 } else { 0.0 });
        }
    }
}

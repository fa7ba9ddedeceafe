//! The writer's life cycle: when the writer instance fails, its waiting writes die with it and
//! a replica is promoted after `failover_time` (the endpoint's DNS switches to it), or, with no
//! replica up, a new writer is created after `recreate_time` unless the old one restarts first;
//! the chosen writer opens after crash recovery, once every group has a read quorum.
//!
//! Each state change bumps the writer epoch; the failover, re-creation and recovery timers
//! carry the epoch they were set in ([`AuroraTimer::at_epoch`]) and are ignored once it moved
//! on.

use super::protocol::AuroraTimer;
use super::{Aurora, WriterState, metrics::Cause};
use crate::engine::SimTime;
use crate::model::Ctx;

impl Aurora {
    /// Starts a new writer epoch: timers set in the old one are stale.
    fn next_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// The writer instance went down: close the writer and plan a takeover.
    pub(super) fn writer_failed(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let since = match self.state {
            WriterState::Up => now,
            WriterState::Recovering { since } | WriterState::Down { since } => since,
        };
        self.state = WriterState::Down { since };
        self.next_epoch();
        self.failover_pending = false;
        self.recreate_pending = false;
        self.recovery_pending = false;
        // Writes waiting for their quorum die with the writer: their clients time out.
        let waiting = self.commits.len() as u64;
        if waiting > 0 {
            self.metrics.error(Cause::CrashLost, waiting);
            self.metrics.pending_commits.add(now, -(waiting as f64));
            self.commits.clear();
            self.instances[self.writer].pending -= waiting;
        }
        self.update_gauges(now);
        self.plan_takeover(ctx);
    }

    /// The best replica to promote: up, lowest tier, then lowest number.
    pub(super) fn best_replica(&self) -> Option<usize> {
        (0..self.instances.len())
            .filter(|&i| i != self.writer && self.instances[i].up)
            .min_by_key(|&i| (self.instances[i].tier, i))
    }

    /// While there is no writer: start a failover if a replica can take over, otherwise
    /// start re-creating the writer (if not already under way).
    fn plan_takeover(&mut self, ctx: &mut Ctx<'_>) {
        if !matches!(self.state, WriterState::Down { .. }) {
            return;
        }
        let epoch = self.epoch;
        if self.best_replica().is_some() {
            if !self.failover_pending {
                self.failover_pending = true;
                let delay = self.params.failover_time.sample_duration(ctx.rng);
                ctx.timer(delay, AuroraTimer::FailoverDone.at_epoch(epoch));
            }
        } else if !self.recreate_pending && !self.failover_pending {
            self.recreate_pending = true;
            let delay = self.params.recreate_time.sample_duration(ctx.rng);
            ctx.timer(delay, AuroraTimer::RecreateDone.at_epoch(epoch));
        }
    }

    /// Instance `i` came back up: the old writer restarts in place, or a returning replica
    /// makes a failover possible.
    pub(super) fn instance_returned(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        if !matches!(self.state, WriterState::Down { .. }) || self.failover_pending {
            return;
        }
        if i == self.writer {
            // The old writer restarted in place: same address, warm cache (AUG).
            self.metrics.restarts.incr();
            self.start_recovery(ctx);
        } else {
            self.plan_takeover(ctx);
        }
    }

    /// The failover's time is up: promote the best replica up now.
    pub(super) fn on_failover_done(&mut self, ctx: &mut Ctx<'_>) {
        self.failover_pending = false;
        match self.best_replica() {
            Some(replica) => {
                self.writer = replica;
                self.metrics.failovers.incr();
                self.switch_endpoint(ctx.now());
                ctx.move_endpoint(self.instances[self.writer].az);
                self.start_recovery(ctx);
            }
            None => self.plan_takeover(ctx),
        }
    }

    /// A new writer instance is ready: a new address in the old AZ, or in a storage AZ that
    /// is up if the old one is down; its cache starts empty.
    pub(super) fn on_recreate_done(&mut self, ctx: &mut Ctx<'_>) {
        self.recreate_pending = false;
        let now = ctx.now();
        let w = self.writer;
        let storage_azs = self.params.storage_azs;
        let network = ctx.network();
        let az = if network.az_is_down(self.instances[w].az) {
            match storage_azs.iter().find(|&&az| !network.az_is_down(az)) {
                Some(&az) => az,
                None => {
                    // Nowhere to place it: try again later.
                    self.plan_takeover(ctx);
                    return;
                }
            }
        } else {
            self.instances[w].az
        };
        let instance = &mut self.instances[w];
        instance.az = az;
        instance.incarnation = instance.incarnation.wrapping_add(1);
        instance.replaced = instance.health.is_crashed();
        instance.cold_since = Some(now);
        instance.up = true;
        instance.pool.recover();
        self.metrics.recreations.incr();
        self.switch_endpoint(now);
        ctx.move_endpoint(self.instances[self.writer].az);
        self.start_recovery(ctx);
    }

    /// The cluster endpoint's DNS names the current writer (its current incarnation) from
    /// `now` on.
    pub(super) fn switch_endpoint(&mut self, now: SimTime) {
        self.endpoint.switch(now, (self.writer as u32, self.instances[self.writer].incarnation));
    }

    /// A writer was chosen: crash recovery waits for a read quorum in every group.
    fn start_recovery(&mut self, ctx: &mut Ctx<'_>) {
        let since = match self.state {
            WriterState::Down { since } | WriterState::Recovering { since } => since,
            WriterState::Up => ctx.now(),
        };
        self.state = WriterState::Recovering { since };
        self.next_epoch();
        self.failover_pending = false;
        self.recreate_pending = false;
        self.recovery_pending = false;
        // Quorums are now judged from the new writer's AZ.
        self.refresh_storage(None, ctx);
    }

    /// Starts crash recovery once every group has a read quorum (V17 §4.3).
    pub(super) fn try_schedule_recovery(&mut self, ctx: &mut Ctx<'_>) {
        if matches!(self.state, WriterState::Recovering { .. })
            && !self.recovery_pending
            && self.storage.unreadable == 0
        {
            self.recovery_pending = true;
            let delay = self.params.crash_recovery.sample_duration(ctx.rng);
            ctx.timer(delay, AuroraTimer::RecoveryDone.at_epoch(self.epoch));
        }
    }

    /// Crash recovery finished: the writer opens.
    pub(super) fn on_recovery_done(&mut self, ctx: &mut Ctx<'_>) {
        let WriterState::Recovering { since } = self.state else { return };
        let now = ctx.now();
        self.recovery_pending = false;
        self.state = WriterState::Up;
        self.next_epoch();
        self.metrics.downtime += now - since.max(self.metrics.measure_start);
        self.update_gauges(now);
    }
}

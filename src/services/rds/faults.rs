//! Faults: crash and slow faults on roles (resolved to the instance holding the role when the
//! fault starts, and undone on that same instance), AZ outages, instances going down and
//! coming back, and the network endpoint moving away from a lost AZ.

use super::node::Role;
use super::{Phase, Rds};
use crate::model::Ctx;
use crate::model::fault::{FaultAction, FaultSignal};

impl Rds {
    /// A fault starts or ends.
    pub(super) fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        match signal.action {
            FaultAction::Crash { instance } => {
                let index = instance as usize;
                if index >= self.role_node.len() {
                    return;
                }
                if let Some(node) = self.role_faults.resolve(signal.id, signal.active, self.role_node[index]) {
                    self.nodes[node].health.crash(signal.active);
                    self.refresh(node, ctx);
                }
            }
            FaultAction::Slow { instance, factor } => {
                let index = instance as usize;
                if index >= self.role_node.len() {
                    return;
                }
                if let Some(node) = self.role_faults.resolve(signal.id, signal.active, self.role_node[index]) {
                    let slow = self.nodes[node].health.slow(factor, signal.active);
                    self.nodes[node].pool.set_slow_factor(slow);
                }
            }
            FaultAction::AzOutage { az } => {
                if let Some(count) = self.az_down.get_mut(az as usize) {
                    *count = if signal.active { count.saturating_add(1) } else { count.saturating_sub(1) };
                }
                if signal.active {
                    self.relocate_endpoint(az, ctx);
                }
                for node in 0..self.nodes.len() {
                    if self.nodes[node].az == az {
                        self.refresh(node, ctx);
                    }
                }
            }
            FaultAction::Partition { .. } => {}
        }
        self.recheck_standbys(ctx);
        if !signal.active {
            self.rejoin_all(ctx);
        }
        self.update_writable(ctx);
    }

    /// True while no AZ outage holds `az` down.
    fn az_up(&self, az: u16) -> bool {
        self.az_down.get(az as usize).is_none_or(|&down| down == 0)
    }

    /// Recomputes whether `node` runs (no crash fault, AZ up) and reacts to a change.
    pub(super) fn refresh(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let n = &self.nodes[node];
        let up = !n.health.is_crashed() && self.az_up(n.az);
        if up == n.up {
            return;
        }
        self.nodes[node].up = up;
        if up {
            self.nodes[node].pool.recover();
            self.node_up(node, ctx);
        } else {
            self.node_down(node, ctx);
        }
    }

    /// `node` went down: everything in its pool is lost, its connections break.
    fn node_down(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let lost = self.nodes[node].pool.crash(ctx);
        let n = &mut self.nodes[node];
        n.incarnation += 1;
        n.applying = false;
        n.resyncing = false;
        match n.role {
            Role::Primary => {
                self.primary_failed(lost, ctx);
                return;
            }
            Role::Standby => {
                n.missed = true;
                if n.in_sync {
                    self.schedule_standby_check(node, ctx);
                }
            }
            Role::Replica => {
                // The relay log is refetched from the applied position.
                let applied = n.applied;
                n.log.reset(applied);
                n.shipped = applied + 1;
            }
        }
        self.m.lost.add(lost);
        if matches!(self.phase, Phase::Promoting { target, .. } if target == node) {
            self.phase = Phase::Detecting;
            self.choose_recovery(ctx);
        }
    }

    /// `node` came back.
    fn node_up(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        // A standby's promotion, once started, completes (the old primary is fenced and
        // rejoins as a standby). A replica's promotion is a last resort: if the primary comes
        // back first, the replica stays a replica.
        let back_in_place = match self.phase {
            Phase::Detecting | Phase::Replacing | Phase::Normal => true,
            Phase::Promoting { from_replica, .. } => from_replica,
            Phase::AwaitingDns => false,
        };
        if node == self.primary && back_in_place {
            self.primary_restored(ctx);
        }
    }

    /// Moves the network endpoint to `az` (and the proxy with it, if there is one).
    pub(super) fn move_endpoint(&mut self, az: u16, ctx: &mut Ctx<'_>) {
        self.endpoint_az = az;
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.az = az;
        }
        ctx.move_endpoint(az);
    }

    /// The endpoint's AZ is lost. Clients still reach the instances in other AZs (replicas
    /// through their own endpoints; RDS Proxy is always up, running in several AZs), so the
    /// endpoint moves to the primary's AZ, or another AZ holding an instance, that is up
    /// (assumption: instantly). Requests still only reach an instance the client can reach:
    /// `on_request` checks the client's path to the instance itself.
    fn relocate_endpoint(&mut self, lost_az: u16, ctx: &mut Ctx<'_>) {
        if self.endpoint_az != lost_az {
            return;
        }
        let primary_az = self.nodes[self.primary].az;
        let new_az = if self.az_up(primary_az) {
            Some(primary_az)
        } else {
            self.nodes.iter().map(|n| n.az).find(|&az| self.az_up(az))
        };
        if let Some(az) = new_az {
            self.move_endpoint(az, ctx);
        }
    }
}

//! The nodes: executing commands on a shard's items, faults (crashes, slow nodes, AZ
//! outages, partitions), Multi-AZ failover and cold starts.

use rand::RngExt;

use super::ElastiCache;
use super::config::{CachePlan, Engine};
use super::protocol::{CLIENT, CacheInternal, CacheTimer, Outcome};
use super::store::{Lookup, NEVER, Value};
use crate::blocks::health::Health;
use crate::blocks::station::{Admission, ServerPool, ServiceTimes};
use crate::engine::{SimDuration, SimTime};
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::{Ctx, InstanceInfo, Internal, Op, Request, Timer};

/// One cache node.
pub(super) struct Node {
    pub(super) pool: ServerPool,
    pub(super) az: u16,
    pub(super) health: Health,
    pub(super) up: bool,
}

impl Node {
    pub(super) fn new(index: usize, az: u16, plan: &CachePlan) -> Self {
        Node {
            pool: ServerPool::new(
                plan.threads,
                None,
                ServiceTimes::uniform(plan.service.clone()),
                CacheTimer::Node,
                index as u64,
            ),
            az,
            health: Health::default(),
            up: true,
        }
    }
}

impl ElastiCache {
    /// The shard of node `node` (fixed: nodes never change shards) and its rank there (0 =
    /// primary; ranks move with failovers).
    fn role_of(&self, node: usize) -> (usize, usize) {
        let shard = node / (1 + self.plan.replicas as usize);
        let rank = self.shard_nodes[shard].iter().position(|&n| n == node).unwrap_or(0);
        (shard, rank)
    }

    /// A command arrives at a node: refused if the node is down or no longer its shard's
    /// primary, else queued on the node's pool.
    pub(super) fn on_command(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let node = internal.to as usize;
        if node >= self.nodes.len() {
            return;
        }
        let (_, rank) = self.role_of(node);
        let mut command = internal.request;
        command.token = (command.token & 0xFFFF_FFFF) | (u64::from(internal.tag) << 32);
        command.deadline = SimTime::MAX;
        // The SET's database time rides in `resolved_at` while the command waits.
        command.resolved_at = SimTime(internal.data);
        if !self.nodes[node].up || rank != 0 {
            self.answer(node, command, Outcome::Refused, ctx);
            return;
        }
        match self.nodes[node].pool.arrive(command, ctx) {
            Admission::Started | Admission::Queued => {}
            Admission::Rejected | Admission::Lost | Admission::Abandoned => {
                self.answer(node, command, Outcome::Refused, ctx)
            }
        }
    }

    /// A node has executed `command` on its shard's items.
    pub(super) fn execute(&mut self, node: usize, command: Request, ctx: &mut Ctx<'_>) {
        let (shard, rank) = self.role_of(node);
        if rank != 0 {
            self.answer(node, command, Outcome::Refused, ctx);
            return;
        }
        let now = ctx.now().0;
        let store = &mut self.stores[shard];
        let before = store.used();
        let outcome = match command.op {
            Op::Read => match store.get(command.key, now, ctx.rng) {
                Lookup::Hit { overwritten, .. } => {
                    self.m.record_hit_freshness(now, overwritten);
                    Outcome::Hit
                }
                Lookup::Miss => Outcome::Miss,
                Lookup::Expired => Outcome::Expired,
            },
            Op::Write => {
                let as_of = command.resolved_at.0;
                let expires = match self.plan.ttl {
                    Some(ttl) => {
                        let jitter = self.plan.ttl_jitter.as_nanos();
                        let extra = if jitter == 0 { 0 } else { ctx.rng.random_range(0..=jitter) };
                        now.saturating_add(ttl.as_nanos()).saturating_add(extra)
                    }
                    None => NEVER,
                };
                // Measurement: a commit already known to be newer than the value.
                let overwritten = self.commits.get(&command.key).copied().filter(|&c| c > as_of).unwrap_or(0);
                let size = command.size.saturating_add(self.plan.item_overhead);
                if store.set(command.key, Value { size, as_of, expires, overwritten }, now, ctx.rng) {
                    Outcome::Done
                } else {
                    Outcome::OutOfMemory
                }
            }
            _ => {
                store.delete(command.key);
                Outcome::Done
            }
        };
        let after = store.used();
        self.m.memory_changed(ctx.now(), before, after);
        self.answer(node, command, outcome, ctx);
    }

    /// Sends `outcome` for `command` from `node` back to the client; if the path is cut,
    /// the client will time out.
    fn answer(&mut self, node: usize, command: Request, outcome: Outcome, ctx: &mut Ctx<'_>) {
        let stage = (command.token >> 32) as u32;
        let slot = command.token as u32;
        let message = Internal::new(CacheInternal::Answer, node as u32, CLIENT, outcome.code(), command).tagged(stage);
        if !ctx.send_internal(self.nodes[node].az, self.plan.client_az, message) {
            self.arm_timeout(slot, command.id, stage, ctx);
        }
    }

    /// A fault starts or ends.
    pub(super) fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        let per_shard = 1 + self.plan.replicas as usize;
        match signal.action {
            FaultAction::Crash { instance } | FaultAction::Slow { instance, .. } => {
                let (shard, rank) = (instance as usize / per_shard, instance as usize % per_shard);
                if shard >= self.shard_nodes.len() {
                    return;
                }
                let holder = self.shard_nodes[shard][rank];
                let Some(node) = self.bindings.resolve(signal.id, signal.active, holder) else { return };
                match signal.action {
                    FaultAction::Slow { factor, .. } => {
                        let slow = self.nodes[node].health.slow(factor, signal.active);
                        self.nodes[node].pool.set_slow_factor(slow);
                    }
                    _ => {
                        self.nodes[node].health.crash(signal.active);
                        self.update_node(node, ctx);
                    }
                }
            }
            FaultAction::AzOutage { az } => {
                for node in 0..self.nodes.len() {
                    if self.nodes[node].az == az {
                        self.update_node(node, ctx);
                    }
                }
            }
            FaultAction::Partition { .. } => {}
        }
    }

    /// Brings node `node` in line with its faults and its AZ.
    fn update_node(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let should_be_up = !self.nodes[node].health.is_crashed() && !ctx.network().az_is_down(self.nodes[node].az);
        if should_be_up == self.nodes[node].up {
            return;
        }
        let (shard, rank) = self.role_of(node);
        if should_be_up {
            self.nodes[node].pool.recover();
            self.nodes[node].up = true;
            return;
        }
        self.nodes[node].up = false;
        self.nodes[node].pool.crash(ctx);
        // The commands the node held are lost: their operations time out at the client.
        self.fail_ops_at(node, ctx);
        let survivors = self.shard_nodes[shard].iter().any(|&n| self.nodes[n].up);
        if !survivors {
            self.lose_items(shard, ctx);
        }
        if rank == 0 {
            self.epochs[shard] = self.epochs[shard].wrapping_add(1);
            self.failing_over[shard] = false;
            if self.plan.engine == Engine::Redis && self.plan.multi_az && survivors {
                self.failing_over[shard] = true;
                let delay = self.plan.failover.sample_duration(ctx.rng);
                ctx.timer(delay, Timer::new(CacheTimer::Failover, shard as u32, 0).tagged(self.epochs[shard]));
            }
        }
    }

    /// Every node of `shard` is down: its items are gone (unless persisted).
    fn lose_items(&mut self, shard: usize, ctx: &mut Ctx<'_>) {
        if self.plan.persistence {
            return;
        }
        let store = &mut self.stores[shard];
        let before = store.used();
        self.m.items_lost.add(store.len() as u64);
        store.clear();
        self.m.memory_changed(ctx.now(), before, 0);
    }

    /// A shard's failover timer fired: promote its first live replica, if its primary is
    /// still down.
    pub(super) fn on_failover(&mut self, shard: usize, epoch: u32, ctx: &mut Ctx<'_>) {
        if shard >= self.shard_nodes.len() || self.epochs[shard] != epoch || !self.failing_over[shard] {
            return;
        }
        self.failing_over[shard] = false;
        let members = &mut self.shard_nodes[shard];
        if self.nodes[members[0]].up {
            return;
        }
        if let Some(rank) = (1..members.len()).find(|&r| self.nodes[members[r]].up) {
            members.swap(0, rank);
            self.m.failovers.incr();
        } else {
            self.lose_items(shard, ctx);
        }
    }

    /// The fault instances, in index order: each shard's primary, then its replicas.
    pub(super) fn instance_infos(&self) -> Vec<InstanceInfo> {
        let own = self.plan.client_az;
        let per_shard = 1 + self.plan.replicas as usize;
        (0..self.nodes.len())
            .map(|i| {
                let (shard, rank) = (i / per_shard, i % per_shard);
                let name = match (self.plan.engine, self.plan.shards) {
                    (Engine::Memcached, _) => format!("node-{shard}"),
                    (Engine::Redis, 1) if rank == 0 => "primary".to_string(),
                    (Engine::Redis, 1) => format!("replica-{rank}"),
                    (Engine::Redis, _) if rank == 0 => format!("shard-{shard}-primary"),
                    (Engine::Redis, _) => format!("shard-{shard}-replica-{rank}"),
                };
                let az = self.plan.node_azs[i];
                InstanceInfo { name, az: (az != own).then_some(az) }
            })
            .collect()
    }

    /// The client gives up on every operation waiting for `node`, after its timeout.
    fn fail_ops_at(&mut self, node: usize, ctx: &mut Ctx<'_>) {
        let mut waiting = std::mem::take(&mut self.scratch);
        waiting.clear();
        waiting.extend(self.ops.iter().filter(|(_, op)| op.at_node == Some(node as u32)).map(|(slot, _)| slot));
        for &slot in &waiting {
            if let Some(op) = self.ops.get(slot) {
                let (id, stage) = (op.id, op.stage);
                self.arm_timeout(slot, id, stage, ctx);
            }
        }
        self.scratch = waiting;
    }

    /// Arms the client's timeout for operation `slot` waiting on a node since it sent its
    /// command: it fires `node_timeout` after the send.
    pub(super) fn arm_timeout(&mut self, slot: u32, id: u64, stage: u32, ctx: &mut Ctx<'_>) {
        let Some(op) = self.ops.get(slot) else { return };
        if op.id != id || op.stage != stage {
            return;
        }
        let due = op.sent + self.plan.node_timeout;
        let delay = if due > ctx.now() { due - ctx.now() } else { SimDuration::ZERO };
        ctx.timer(delay, Timer::new(CacheTimer::NodeTimeout, slot, id).tagged(stage));
    }
}

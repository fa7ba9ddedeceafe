//! Fault signals and what they change: crashes and slow faults on instances (a fault on the
//! `writer` role acts on the instance that is the writer when it starts, and its end on that
//! same instance) and on segments (destruction and repair), AZ outages and partitions; then
//! bringing instances and quorums in line with the faults and the network.

use super::protocol::AuroraTimer;
use super::storage::SEGMENTS_PER_GROUP;
use super::{Aurora, WriterState, metrics::Cause};
use crate::blocks::health::FaultBindings;
use crate::model::fault::{FaultAction, FaultSignal};
use crate::model::{Ctx, Network, Timer};

/// The instance a fault on instance `index` acts on. Index 0 is the role `writer`: a fault
/// starting there hits whoever is the writer then (`writer`), and its end reaches the same
/// instance through `bindings`, keyed by the fault's id. None: an end whose start was not
/// seen.
fn resolve(bindings: &mut FaultBindings, signal: &FaultSignal, index: usize, writer: usize) -> Option<usize> {
    if index == 0 { bindings.resolve(signal.id, signal.active, writer) } else { Some(index) }
}

impl Aurora {
    /// A fault starts or ends.
    pub(super) fn on_fault(&mut self, signal: FaultSignal, ctx: &mut Ctx<'_>) {
        let replicas = self.replicas();
        match signal.action {
            FaultAction::Crash { instance } => {
                let index = instance as usize;
                if index <= replicas {
                    if let Some(i) = resolve(&mut self.role_crashes, &signal, index, self.writer) {
                        let inst = &mut self.instances[i];
                        let crashed = inst.health.crash(signal.active);
                        if signal.active || !crashed {
                            // A new crash holds even a replaced instance down; the last end frees it.
                            inst.replaced = false;
                        }
                        self.update_instance(i, ctx);
                    }
                } else if let Some(s) = index.checked_sub(replicas + 1).filter(|&s| s < self.storage.segments.len()) {
                    self.segment_crash(s, signal.active, ctx);
                }
            }
            FaultAction::Slow { instance, factor } => {
                let index = instance as usize;
                if index <= replicas {
                    if let Some(i) = resolve(&mut self.role_slows, &signal, index, self.writer) {
                        let instance = &mut self.instances[i];
                        let slow = instance.health.slow(factor, signal.active);
                        instance.pool.set_slow_factor(slow);
                    }
                } else if let Some(segment) = self.storage.segments.get_mut(index - replicas - 1) {
                    segment.health.slow(factor, signal.active);
                }
            }
            FaultAction::AzOutage { az } => {
                // The writer last, so that a failover it starts sees which replicas the
                // outage took too.
                let writer = self.writer;
                for i in (0..self.instances.len()).filter(|&i| i != writer).chain([writer]) {
                    if self.instances[i].az == az {
                        self.update_instance(i, ctx);
                    }
                }
                self.refresh_storage(None, ctx);
            }
            FaultAction::Partition { .. } => self.refresh_storage(None, ctx),
        }
    }

    // ----- Instances ------------------------------------------------------------------------

    fn instance_should_be_up(&self, i: usize, network: &Network) -> bool {
        let instance = &self.instances[i];
        (!instance.health.is_crashed() || instance.replaced) && !network.az_is_down(instance.az)
    }

    /// Brings instance `i`'s state in line with its faults and AZ.
    fn update_instance(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let up = self.instance_should_be_up(i, ctx.network());
        if up == self.instances[i].up {
            return;
        }
        self.instances[i].up = up;
        if up {
            self.instances[i].pool.recover();
            self.instance_returned(i, ctx);
        } else {
            self.instance_failed(i, ctx);
        }
    }

    /// Instance `i` went down: what it held is lost; if it is the writer, the writer fails.
    fn instance_failed(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let lost = self.instances[i].pool.crash(ctx);
        self.metrics.error(Cause::CrashLost, lost);
        self.drop_reads_of(i, ctx);
        if i == self.writer && !matches!(self.state, WriterState::Down { .. }) {
            self.writer_failed(ctx);
        }
    }

    // ----- Segments and quorums -------------------------------------------------------------

    /// A crash fault on segment `s` starts (its copy is destroyed; a repair is scheduled) or
    /// ends.
    fn segment_crash(&mut self, s: usize, active: bool, ctx: &mut Ctx<'_>) {
        if active {
            if self.storage.destroy(s) {
                self.metrics.data_losses.incr();
            }
            if self.params.repair {
                let epoch = self.storage.segments[s].epoch;
                ctx.timer(self.params.repair_time, Timer::new(AuroraTimer::SegmentRepair, s as u32, 0).tagged(epoch));
            }
        } else {
            self.storage.crash_ended(s);
        }
        self.refresh_storage(Some(s / SEGMENTS_PER_GROUP), ctx);
    }

    /// A segment's repair finished, unless it was destroyed again since (a newer loss epoch)
    /// or its fault already ended.
    pub(super) fn on_repair(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let s = timer.slot as usize;
        let segment = &mut self.storage.segments[s];
        if segment.epoch != timer.tag || !segment.destroyed() {
            return;
        }
        segment.replaced = true;
        self.metrics.repairs.incr();
        self.refresh_storage(Some(s / SEGMENTS_PER_GROUP), ctx);
    }

    /// Recomputes group `pg` (all groups if None) after a change of segments, network or
    /// writer: counts quorum losses, catches returning segments up, resends waiting records,
    /// and lets a pending recovery start.
    pub(super) fn refresh_storage(&mut self, pg: Option<usize>, ctx: &mut Ctx<'_>) {
        let reference = self.writer_az();
        let range = match pg {
            Some(pg) => pg..pg + 1,
            None => 0..self.storage.group_count(),
        };
        let mut resend: Vec<(usize, u8)> = Vec::new();
        {
            let network = ctx.network();
            let reference_down = network.az_is_down(reference);
            let usable =
                |az: u16| if reference_down { !network.az_is_down(az) } else { network.reachable(reference, az) };
            for g in range {
                let refresh = self.storage.refresh_group(g, &usable);
                if refresh.was_writable && !refresh.writable {
                    self.metrics.quorum_losses.incr();
                }
                if refresh.came_back != 0 {
                    resend.push((g, refresh.came_back));
                }
            }
        }
        if self.writer_open() {
            for (g, came_back) in resend {
                self.resend_to(g, came_back, ctx);
            }
        }
        self.update_gauges(ctx.now());
        self.try_schedule_recovery(ctx);
    }
}

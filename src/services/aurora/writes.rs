//! The commit path: a write's redo record goes from the writer to the six segments of its
//! protection group, each segment persists it after its latency and acks, the fourth ack
//! commits the write, and the committed record is shipped to the replicas. Records that
//! segments missed while away are resent when they return. Also the segment side of any work
//! (redo or reads): whether a segment is alive, and how long it takes.
//!
//! Replicas get the committed redo in batches: every `redo_batch_interval` the writer ships
//! what committed since the last shipment as one message to each up replica, whose single
//! apply thread applies the batch record by record (`replica_apply` each) and makes it visible
//! when the whole batch is applied. A record's lag is the wait for its batch, the network, the
//! replica's backlog and its batch's apply, so it grows with the write rate (batches get
//! bigger); fitted to V17 Table 4 (config.rs, `DEFAULT_REPLICA_APPLY_SECS`).

use std::collections::VecDeque;

use super::protocol::{AuroraInternal, AuroraTimer};
use super::storage::{SEGMENTS_PER_GROUP, WRITE_QUORUM};
use super::{Aurora, metrics::Cause};
use crate::engine::{SimDuration, SimTime};
use crate::model::{Backlog, Ctx, Internal, Network, Request, Status, Timer};

/// Batches of shipped redo kept for the replicas' lag measurement (commit times by batch):
/// 4,096 batches, 15 s at the default interval — a replica further behind than that is not
/// measured until it catches up.
const KEPT_BATCHES: usize = 4096;

/// Redo waiting to be shipped, and the commit times of recently shipped batches.
#[derive(Default)]
pub(super) struct RedoBatches {
    /// Commit times of the records committed since the last shipment.
    pending: Vec<SimTime>,
    /// (batch id, commit times) of the last [`KEPT_BATCHES`] shipped batches.
    shipped: VecDeque<(u64, Vec<SimTime>)>,
    next_id: u64,
}

impl RedoBatches {
    /// Bytes allocated for the commit times waiting to be shipped and those kept of shipped
    /// batches.
    pub(super) fn footprint(&self) -> u64 {
        let kept: usize = self.shipped.iter().map(|(_, times)| times.capacity()).sum();
        Backlog::bytes_of::<SimTime>(self.pending.capacity() + kept)
            + Backlog::bytes_of::<(u64, Vec<SimTime>)>(self.shipped.capacity())
    }
}

/// A write waiting for its 4th ack.
pub(super) struct PendingCommit {
    pub(super) request: Request,
    /// Its redo record's LSN in its group.
    pub(super) lsn: u64,
    /// Its protection group.
    pub(super) pg: u32,
    /// When the record was first sent to the segments.
    pub(super) sent: SimTime,
    /// Bit i set: segment i of the group acked.
    pub(super) acked: u8,
    /// Acks so far.
    pub(super) acks: u8,
}

impl Aurora {
    /// A write finished its CPU time on the writer: send its redo record to its group's six
    /// segments.
    pub(super) fn start_commit(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if !self.writer_open() {
            // Cannot happen: a failing writer's pool is emptied. Count it rather than panic.
            self.metrics.error(Cause::CrashLost, 1);
            return;
        }
        let now = ctx.now();
        let pg = (request.key % self.groups()) as usize;
        let group = &mut self.storage.groups[pg];
        group.next_lsn += 1;
        let lsn = group.next_lsn;
        let slot = self.commits.insert(PendingCommit { request, lsn, pg: pg as u32, sent: now, acked: 0, acks: 0 });
        self.instances[self.writer].pending += 1;
        self.metrics.pending_commits.add(now, 1.0);
        let from_az = self.writer_az();
        for i in 0..SEGMENTS_PER_GROUP {
            self.send_redo(slot, pg * SEGMENTS_PER_GROUP + i, lsn, request, from_az, ctx);
        }
    }

    /// Sends the redo record `lsn` of the commit in `slot` to segment `s`.
    fn send_redo(&mut self, slot: u32, s: usize, lsn: u64, request: Request, from_az: u16, ctx: &mut Ctx<'_>) {
        let segment = &mut self.storage.segments[s];
        let internal = Internal::new(AuroraInternal::SegmentWrite, slot, s as u32, lsn, request);
        if ctx.send_internal(from_az, segment.az, internal) {
            segment.receiving = segment.receiving.max(lsn);
        }
    }

    /// True if segment `s` is alive to receive and persist: not destroyed, its AZ up.
    pub(super) fn segment_alive(&self, s: usize, network: &Network) -> bool {
        let segment = &self.storage.segments[s];
        !segment.destroyed() && !network.az_is_down(segment.az)
    }

    /// One draw of segment `s`'s latency, times its slow factor.
    fn segment_service(&mut self, s: usize, ctx: &mut Ctx<'_>) -> SimDuration {
        let service = self.params.segment_latency.sample_duration(ctx.rng);
        let slow = self.storage.segments[s].health.slow_factor();
        if slow != 1.0 { service.mul_f64(slow) } else { service }
    }

    /// A redo record (`done` = [`AuroraTimer::SegmentWriteDone`]) or a read
    /// ([`AuroraTimer::SegmentReadDone`]) reached segment `s`: it is done after the segment's
    /// latency, if the segment is alive.
    pub(super) fn on_segment_work(&mut self, internal: Internal, done: AuroraTimer, ctx: &mut Ctx<'_>) {
        let s = internal.to as usize;
        if !self.segment_alive(s, ctx.network()) {
            return;
        }
        let service = self.segment_service(s, ctx);
        ctx.timer(service, Timer::new(done, internal.from, internal.data).tagged(internal.to));
    }

    /// Segment `s` (the tag) persisted record `lsn` (the data): record it and ack to the
    /// writer.
    pub(super) fn on_segment_persisted(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let (s, lsn) = (timer.tag as usize, timer.data);
        if !self.segment_alive(s, ctx.network()) {
            return;
        }
        let segment = &mut self.storage.segments[s];
        segment.held = segment.held.max(lsn);
        let seg_az = segment.az;
        // The ack goes to the writer that sent the record, if it still waits for it.
        let Some(entry) = self.commits.get(timer.slot) else { return };
        if entry.lsn != lsn || entry.pg as usize != s / SEGMENTS_PER_GROUP {
            return;
        }
        let internal = Internal::new(AuroraInternal::SegmentAck, timer.slot, s as u32, lsn, entry.request);
        let writer_az = self.writer_az();
        ctx.send_internal(seg_az, writer_az, internal);
    }

    /// A segment's ack reached the writer: the write commits at the quorum.
    pub(super) fn on_ack(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let s = internal.to as usize;
        let Some(entry) = self.commits.get_mut(internal.from) else { return };
        if entry.lsn != internal.data || entry.pg as usize != s / SEGMENTS_PER_GROUP {
            return; // An ack for a write already committed, or lost with a failed writer.
        }
        let bit = 1u8 << (s % SEGMENTS_PER_GROUP);
        if entry.acked & bit != 0 {
            return;
        }
        entry.acked |= bit;
        entry.acks += 1;
        if entry.acks >= WRITE_QUORUM {
            self.commit(internal.from, ctx);
        }
    }

    /// The write in `slot` reached its quorum: reply, and ship the record to the replicas.
    fn commit(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.commits.remove(slot) else { return };
        let now = ctx.now();
        self.instances[self.writer].pending -= 1;
        self.metrics.pending_commits.add(now, -1.0);
        let group = &mut self.storage.groups[entry.pg as usize];
        group.committed = group.committed.max(entry.lsn);
        group.loss_latched = false;
        let commit = now - entry.sent;
        let m = &mut self.metrics;
        m.commit_latency.record(commit);
        m.interval_commit.record(commit.as_millis_f64());
        m.write_latency.record(now - entry.request.arrived);
        m.writes_ok.incr();
        let writer_az = self.writer_az();
        // The commit time (nanoseconds + 1) in `Reply::tag`, for a cache in front.
        ctx.reply_items(writer_az, entry.request, Status::Ok, 1, now.0 + 1);
        if self.instances.len() > 1 {
            // Shipped to the replicas with the next batch.
            self.redo.pending.push(now);
        }
    }

    /// The writer's redo shipping tick: send what committed since the last one as one batch to
    /// every up replica.
    pub(super) fn on_redo_flush(&mut self, ctx: &mut Ctx<'_>) {
        ctx.timer(self.params.redo_batch_interval, Timer::new(AuroraTimer::RedoFlush, 0, 0));
        if self.redo.pending.is_empty() {
            return;
        }
        if !self.writer_open() {
            self.redo.pending.clear(); // Lost with the writer: never shipped.
            return;
        }
        let id = self.redo.next_id;
        self.redo.next_id += 1;
        let count = self.redo.pending.len() as u32;
        let writer_az = self.writer_az();
        for (r, replica) in self.instances.iter().enumerate() {
            if r != self.writer && replica.up {
                let internal = Internal::new(AuroraInternal::RedoShip, self.writer as u32, r as u32, id, Request::NONE)
                    .tagged(count);
                ctx.send_internal(writer_az, replica.az, internal);
            }
        }
        // Keep the batch's commit times; reuse the oldest kept batch's buffer.
        let mut spare = if self.redo.shipped.len() >= KEPT_BATCHES {
            self.redo.shipped.pop_front().map(|(_, times)| times).unwrap_or_default()
        } else {
            Vec::new()
        };
        spare.clear();
        std::mem::swap(&mut spare, &mut self.redo.pending);
        self.redo.shipped.push_back((id, spare));
    }

    /// A redo batch reached replica `r`: its apply thread (background work of the replica's
    /// pool, holding a worker) applies it after what it is applying.
    pub(super) fn on_redo_shipped(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let r = internal.to as usize;
        if r == self.writer || !self.instances.get(r).is_some_and(|i| i.up) {
            return;
        }
        let mut work = SimDuration::ZERO;
        for _ in 0..internal.tag {
            work += self.params.replica_apply.sample_duration(ctx.rng);
        }
        self.instances[r].pool.run_background(work, internal.data, ctx);
    }

    /// Replica `r` applied batch `batch`: its records are visible there; measure their lag.
    /// (A crash of the replica loses the batches it was applying, so this one is current.)
    pub(super) fn on_replica_applied(&mut self, r: usize, batch: u64, ctx: &mut Ctx<'_>) {
        if r == self.writer || !self.instances.get(r).is_some_and(|i| i.up) {
            return;
        }
        let Some(&(first, _)) = self.redo.shipped.front() else { return };
        let Some((_, times)) = batch.checked_sub(first).and_then(|k| self.redo.shipped.get(k as usize)) else {
            return; // Older than the kept batches.
        };
        let now = ctx.now();
        for &committed in times {
            let lag = now - committed;
            self.metrics.replica_lag.record(lag);
            self.metrics.interval_lag.record(lag.as_millis_f64());
        }
    }

    /// Segments of group `pg` in `came_back` returned: resend the records of waiting writes
    /// they have not acked, in slot order.
    pub(super) fn resend_to(&mut self, pg: usize, came_back: u8, ctx: &mut Ctx<'_>) {
        if came_back == 0 || self.commits.is_empty() {
            return;
        }
        let from_az = self.writer_az();
        for slot in 0..self.commits.slot_bound() {
            let Some(entry) = self.commits.get(slot) else { continue };
            if entry.pg as usize != pg {
                continue;
            }
            let (missing, lsn, request) = (came_back & !entry.acked, entry.lsn, entry.request);
            for i in 0..SEGMENTS_PER_GROUP {
                if missing & (1 << i) != 0 {
                    self.send_redo(slot, pg * SEGMENTS_PER_GROUP + i, lsn, request, from_az, ctx);
                }
            }
        }
    }
}

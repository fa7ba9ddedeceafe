//! Reads that miss the buffer cache: one up-to-date segment of the group is read (same AZ
//! first); if it has not answered within `read_hedge`, it is suspected for [`SUSPECT_TIME`]
//! and the next one is asked too, until one answers or none is left.

use super::metrics::Cause;
use super::protocol::{AuroraInternal, AuroraTimer};
use super::storage::SEGMENTS_PER_GROUP;
use super::{Aurora, SUSPECT_TIME};
use crate::engine::EventId;
use crate::model::{Ctx, Internal, Request, Status, Timer};

/// A read waiting for a segment.
pub(super) struct PendingRead {
    pub(super) request: Request,
    /// Unique over the run: answers and hedges for an earlier read in the same slot carry
    /// another id.
    pub(super) id: u64,
    /// The instance reading.
    pub(super) instance: u32,
    /// The group read.
    pub(super) pg: u32,
    /// Bit i set: segment i of the group was asked.
    pub(super) tried: u8,
    /// The segment asked last.
    pub(super) current: u8,
    /// The pending hedge timer.
    pub(super) hedge: Option<EventId>,
}

impl Aurora {
    /// Instance `instance` missed its cache for `request`: read a segment.
    pub(super) fn start_segment_read(&mut self, instance: usize, request: Request, ctx: &mut Ctx<'_>) {
        let pg = (request.key % self.groups()) as u32;
        let id = self.next_read_id;
        self.next_read_id += 1;
        let slot = self.reads.insert(PendingRead {
            request,
            id,
            instance: instance as u32,
            pg,
            tried: 0,
            current: 0,
            hedge: None,
        });
        self.instances[instance].pending += 1;
        self.try_next_segment(slot, ctx);
    }

    /// Sends the read in `slot` to the best untried segment, or fails it if none is left.
    fn try_next_segment(&mut self, slot: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now().as_nanos();
        loop {
            let Some(entry) = self.reads.get(slot) else { return };
            let reader_az = self.instances[entry.instance as usize].az;
            let pg = entry.pg as usize;
            let Some(i) = self.storage.pick_read(pg, reader_az, entry.tried, entry.request.key, now) else {
                self.finish_read(slot, Err(Cause::NoSegment), ctx);
                return;
            };
            let s = pg * SEGMENTS_PER_GROUP + usize::from(i);
            let (id, request) = (entry.id, entry.request);
            let internal = Internal::new(AuroraInternal::SegmentRead, slot, s as u32, id, request);
            let sent = ctx.send_internal(reader_az, self.storage.segments[s].az, internal);
            let entry = self.reads.get_mut(slot).expect("checked above");
            entry.tried |= 1 << i;
            entry.current = i;
            if sent {
                entry.hedge = Some(ctx.timer(self.params.read_hedge, Timer::new(AuroraTimer::ReadHedge, slot, id)));
                return;
            }
        }
    }

    /// Segment `s` (the tag) read the block for read `id` (the data): answer the reader if
    /// it still waits.
    pub(super) fn on_segment_read_done(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let (s, id) = (timer.tag as usize, timer.data);
        if !self.segment_alive(s, ctx.network()) {
            return;
        }
        let Some(entry) = self.reads.get(timer.slot) else { return };
        if entry.id != id {
            return; // Answered by another segment already.
        }
        let reader_az = self.instances[entry.instance as usize].az;
        let internal = Internal::new(AuroraInternal::SegmentReadReply, timer.slot, s as u32, id, entry.request);
        ctx.send_internal(self.storage.segments[s].az, reader_az, internal);
    }

    /// A segment's answer reached the reader: the first one completes the read.
    pub(super) fn on_segment_read_reply(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        if self.reads.get(internal.from).is_some_and(|entry| entry.id == internal.data) {
            self.finish_read(internal.from, Ok(()), ctx);
        }
    }

    /// The segment asked last is slow: suspect it and ask the next.
    pub(super) fn on_read_hedge(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.reads.get_mut(timer.slot) else { return };
        if entry.id != timer.data {
            return;
        }
        entry.hedge = None;
        let s = entry.pg as usize * SEGMENTS_PER_GROUP + usize::from(entry.current);
        self.storage.segments[s].suspect_until = (ctx.now() + SUSPECT_TIME).as_nanos();
        self.metrics.hedges.incr();
        self.try_next_segment(timer.slot, ctx);
    }

    /// Ends the read in `slot` and replies to its client.
    fn finish_read(&mut self, slot: u32, outcome: Result<(), Cause>, ctx: &mut Ctx<'_>) {
        let Some(entry) = self.reads.remove(slot) else { return };
        if let Some(hedge) = entry.hedge {
            ctx.cancel(hedge);
        }
        let instance = &mut self.instances[entry.instance as usize];
        instance.pending -= 1;
        let az = instance.az;
        match outcome {
            Ok(()) => {
                self.read_done(entry.request, ctx.now());
                // The time it was served (nanoseconds + 1) in `Reply::tag`, for a cache in front.
                ctx.reply_items(az, entry.request, Status::Ok, 1, ctx.now().0 + 1);
            }
            Err(cause) => {
                self.metrics.error(cause, 1);
                ctx.reply_from_az(az, entry.request, Status::Unavailable);
            }
        }
    }

    /// Instance `i` failed: the segment reads it waited for are lost, in slot order.
    pub(super) fn drop_reads_of(&mut self, i: usize, ctx: &mut Ctx<'_>) {
        let (instances, metrics) = (&mut self.instances, &mut self.metrics);
        self.reads.remove_where(
            |entry| entry.instance as usize == i,
            |entry| {
                if let Some(hedge) = entry.hedge {
                    ctx.cancel(hedge);
                }
                instances[i].pending -= 1;
                metrics.error(Cause::CrashLost, 1);
            },
        );
    }
}

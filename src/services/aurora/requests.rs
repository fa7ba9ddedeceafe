//! Client requests at the cluster: which instance a request reaches (the cluster endpoint's
//! DNS answer when its client resolved it, or the read routing), admission to that instance's
//! pool, and what follows a worker's CPU time — a commit for a write, the buffer cache and
//! perhaps a segment read for a read.

use rand::RngExt;

use super::metrics::Cause;
use super::{Aurora, Routing};
use crate::blocks::station::{Admission, Departure};
use crate::engine::SimTime;
use crate::model::{Ctx, Op, Request, Status, Timer};

impl Aurora {
    /// The instance (and incarnation) the cluster endpoint named at `resolved_at`.
    pub(super) fn endpoint_at(&self, resolved_at: SimTime) -> (usize, u32) {
        let (instance, incarnation) = self.endpoint.at(resolved_at);
        (instance as usize, incarnation)
    }

    /// The next up instance for a read, in turn; `with_writer` includes an open writer.
    fn next_reader(&mut self, with_writer: bool) -> Option<usize> {
        let n = self.instances.len();
        for step in 0..n {
            let i = (self.next_reader + step) % n;
            let usable =
                self.instances[i].up && if i == self.writer { with_writer && self.writer_open() } else { true };
            if usable {
                self.next_reader = (i + 1) % n;
                return Some(i);
            }
        }
        None
    }

    /// A client request arrives: route it, then admit it to the instance's pool or refuse it.
    pub(super) fn on_request(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if !matches!(request.op, Op::Read | Op::Write | Op::Delete) {
            ctx.reply(request, Status::Invalid);
            return;
        }
        let by_endpoint = |me: &Self| {
            let (instance, incarnation) = me.endpoint_at(request.resolved_at);
            (instance, Some(incarnation))
        };
        let (instance, incarnation) = match (request.op, self.params.routing) {
            (_, _) if request.op != Op::Read => by_endpoint(self),
            (_, Routing::Writer) => by_endpoint(self),
            (_, Routing::Replicas) => match self.next_reader(false) {
                Some(i) => (i, None),
                None => by_endpoint(self),
            },
            (_, Routing::RoundRobin) => match self.next_reader(true) {
                Some(i) => (i, None),
                None => by_endpoint(self),
            },
        };
        let target = &self.instances[instance];
        if !target.up || incarnation.is_some_and(|inc| inc != target.incarnation) {
            // The address answers nothing: the client finds out by its timeout.
            self.metrics.error(Cause::InstanceDown, 1);
            return;
        }
        let az = target.az;
        if instance == self.writer && !self.writer_open() {
            self.metrics.error(Cause::Recovering, 1);
            ctx.reply_from_az(az, request, Status::Unavailable);
            return;
        }
        if request.op != Op::Read && instance != self.writer {
            self.metrics.error(Cause::ReadOnly, 1);
            ctx.reply_from_az(az, request, Status::Unavailable);
            return;
        }
        if target.pool.occupancy() + target.pending >= self.params.max_connections {
            self.metrics.error(Cause::Rejected, 1);
            ctx.reply_from_az(az, request, Status::Rejected);
            return;
        }
        if self.instances[instance].pool.arrive(request, ctx) == Admission::Rejected {
            self.metrics.error(Cause::Rejected, 1);
            ctx.reply_from_az(az, request, Status::Rejected);
        }
    }

    /// A worker finished a request's CPU work, or a replica's apply thread a redo batch.
    pub(super) fn on_departure(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        let instance = timer.data as usize;
        let request = match self.instances.get_mut(instance).and_then(|i| i.pool.depart(timer, ctx)) {
            Some(Departure::Request(request)) => request,
            Some(Departure::Background(batch)) => return self.on_replica_applied(instance, batch, ctx),
            None => return,
        };
        match request.op {
            Op::Write | Op::Delete => self.start_commit(request, ctx),
            _ => {
                let now = ctx.now();
                let hit_ratio = self.params.cache_hit_ratio * self.cache_warmth(instance, now);
                if hit_ratio >= 1.0 || (hit_ratio > 0.0 && ctx.rng.random::<f64>() < hit_ratio) {
                    self.metrics.cache_hits.incr();
                    let az = self.instances[instance].az;
                    self.read_done(request, now);
                    // The time it was served (nanoseconds + 1) in `Reply::tag`.
                    ctx.reply_items(az, request, Status::Ok, 1, now.0 + 1);
                } else {
                    self.metrics.cache_misses.incr();
                    self.start_segment_read(instance, request, ctx);
                }
            }
        }
    }

    /// How warm instance `i`'s buffer cache is at `now`: 1 unless it started empty less than
    /// `cache_warmup` ago, then the fraction of the warm-up that has passed.
    fn cache_warmth(&mut self, i: usize, now: SimTime) -> f64 {
        let instance = &mut self.instances[i];
        match instance.cold_since {
            Some(since) => {
                let warmth =
                    (now - since).as_secs_f64() / self.params.cache_warmup.as_secs_f64().max(f64::MIN_POSITIVE);
                if warmth >= 1.0 {
                    instance.cold_since = None;
                }
                warmth.min(1.0)
            }
            None => 1.0,
        }
    }

    /// A read succeeded: record its latency.
    pub(super) fn read_done(&mut self, request: Request, now: SimTime) {
        let latency = now - request.arrived;
        self.metrics.read_latency.record(latency);
        self.metrics.interval_read.record(latency.as_millis_f64());
        self.metrics.reads_ok.incr();
    }
}

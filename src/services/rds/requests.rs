//! Client requests: where one goes on arrival (a reader, the proxy, or the instance the
//! client's DNS cache names), admission to an instance's pool, the answer (directly, or back
//! through RDS Proxy), and the proxy's side of its connections to the primary.

use rand::RngExt;

use super::Rds;
use super::config::{Deployment, ReadRouting};
use super::node::Role;
use super::protocol::{PROXY_ENDPOINT, RdsInternal, status_of_tag, status_tag};
use super::proxy::Next;
use crate::blocks::station::Admission;
use crate::engine::SimTime;
use crate::model::{Ctx, Internal, Network, Op, Request, Status};

impl Rds {
    /// A client's request arrives.
    pub(super) fn on_request(&mut self, mut request: Request, ctx: &mut Ctx<'_>) {
        if !matches!(request.op, Op::Read | Op::Write | Op::Delete) {
            ctx.reply(request, Status::Invalid);
            return;
        }
        let now = ctx.now();
        request.arrived = now;
        let client_az = ctx.network().az_of(request.client);
        if request.op == Op::Read
            && self.plan.read_routing != ReadRouting::Primary
            && let Some(reader) = self.pick_reader(client_az, ctx)
        {
            self.serve(reader, request, ctx);
            return;
        }
        if let Some(proxy) = self.proxy.as_mut() {
            proxy.enqueue(request, now);
            self.dispatch(ctx);
            return;
        }
        let node = self.dns.at(request.resolved_at);
        if node != self.dns.current() {
            self.m.stale_dns.incr();
        }
        let (up, az) = (self.nodes[node].up, self.nodes[node].az);
        if !up || !ctx.network().reachable(client_az, az) {
            self.m.lost.incr();
            return;
        }
        if node != self.primary || !self.primary_serves() {
            // A standby (or a fenced old primary) refuses connections: fail fast.
            self.m.unavailable.incr();
            ctx.reply_from_az(az, request, Status::Unavailable);
            return;
        }
        self.serve(node, request, ctx);
    }

    /// True if `node` serves reads routed to readers.
    fn readable(&self, node: usize) -> bool {
        let n = &self.nodes[node];
        n.up && n.in_sync
            && !n.resyncing
            && match n.role {
                Role::Replica => true,
                Role::Standby => self.plan.deployment == Deployment::MultiAzCluster,
                Role::Primary => false,
            }
    }

    /// The reader a read from `client_az` goes to under the read routing, if any can take it.
    fn pick_reader(&mut self, client_az: u16, ctx: &mut Ctx<'_>) -> Option<usize> {
        let count = self.nodes.len();
        let candidate = |rds: &Self, node: usize, network: &Network| {
            rds.readable(node) && network.reachable(client_az, rds.nodes[node].az)
        };
        match self.plan.read_routing {
            ReadRouting::Primary => None,
            ReadRouting::RoundRobin => {
                for k in 0..count {
                    let node = (self.cursor + k) % count;
                    if candidate(self, node, ctx.network()) {
                        self.cursor = node + 1;
                        return Some(node);
                    }
                }
                None
            }
            ReadRouting::Random => {
                let total = (0..count).filter(|&node| candidate(self, node, ctx.network())).count();
                if total == 0 {
                    return None;
                }
                let pick = ctx.rng.random_range(0..total);
                (0..count).filter(|&node| candidate(self, node, ctx.network())).nth(pick)
            }
            ReadRouting::LeastLoaded => {
                let mut best: Option<(u64, usize)> = None;
                for k in 0..count {
                    let node = (self.cursor + k) % count;
                    if candidate(self, node, ctx.network()) {
                        let load = self.nodes[node].pool.occupancy();
                        if best.is_none_or(|(least, _)| load < least) {
                            best = Some((load, node));
                        }
                    }
                }
                self.cursor = (self.cursor + 1) % count;
                best.map(|(_, node)| node)
            }
        }
    }

    /// Admits `request` to `node`'s pool.
    fn serve(&mut self, node: usize, request: Request, ctx: &mut Ctx<'_>) {
        match self.nodes[node].pool.arrive(request, ctx) {
            Admission::Rejected => {
                self.m.too_many_connections.incr();
                self.respond(node, request, Status::Rejected, ctx);
            }
            Admission::Lost => {
                self.m.lost.incr();
                self.connection_lost(request, ctx);
            }
            // The client gave up before its statement arrived: nobody waits for an answer.
            Admission::Started | Admission::Queued | Admission::Abandoned => {}
        }
    }

    /// A request forwarded by the proxy is gone: free its connection.
    fn connection_lost(&mut self, request: Request, ctx: &mut Ctx<'_>) {
        if request.client == ctx.me() {
            if let Some(proxy) = self.proxy.as_mut() {
                let generation = proxy.generation(request.token);
                proxy.lost(request.token, generation);
            }
            self.dispatch(ctx);
        }
    }

    /// Answers `request` from `node`: through the proxy if it came that way, else directly.
    pub(super) fn respond(&mut self, node: usize, request: Request, status: Status, ctx: &mut Ctx<'_>) {
        let from_az = self.nodes[node].az;
        if request.client == ctx.me() {
            let Some(proxy) = self.proxy.as_mut() else { return };
            let generation = proxy.generation(request.token);
            proxy.replying(request.token);
            let internal = Internal::new(RdsInternal::ProxyReply, node as u32, PROXY_ENDPOINT, generation, request)
                .tagged(status_tag(status));
            if !ctx.send_internal(from_az, proxy.az, internal) {
                if proxy.lost(request.token, generation) {
                    self.m.lost.incr();
                }
                self.dispatch(ctx);
            }
        } else {
            // A success carries the time it was served (a write: its commit) as nanoseconds + 1
            // in `Reply::tag`, for a cache in front to measure staleness by.
            let ok = status == Status::Ok;
            ctx.reply_items(from_az, request, status, u32::from(ok), if ok { ctx.now().0 + 1 } else { 0 });
            if ok {
                self.record_ok(request, request.arrived, ctx.now());
            }
        }
    }

    /// Counts a successful answer and its latency since `arrived`.
    fn record_ok(&mut self, request: Request, arrived: SimTime, now: SimTime) {
        match request.op {
            Op::Read => {
                self.m.read_latency.record(now - arrived);
                self.m.reads_ok.incr();
            }
            _ => {
                self.m.write_latency.record(now - arrived);
                self.m.writes_ok.incr();
            }
        }
    }

    /// Sends waiting proxy requests to the primary while connections are free.
    pub(super) fn dispatch(&mut self, ctx: &mut Ctx<'_>) {
        let Some(proxy) = self.proxy.as_mut() else { return };
        let (now, me) = (ctx.now(), ctx.me());
        while let Some(next) = proxy.next(now, me) {
            match next {
                Next::Expired(request) => {
                    ctx.reply_from_az(proxy.az, request, Status::Unavailable);
                }
                Next::Send(request, generation) => {
                    let primary = &self.nodes[self.primary];
                    let internal = Internal::new(
                        RdsInternal::ProxyForward,
                        PROXY_ENDPOINT,
                        self.primary as u32,
                        generation,
                        request,
                    )
                    .tagged(primary.tag());
                    if !ctx.send_internal(proxy.az, primary.az, internal) {
                        proxy.lost(request.token, generation);
                        self.m.lost.incr();
                    }
                }
            }
        }
    }

    /// A request from the proxy reaches the instance it was sent to.
    pub(super) fn on_proxy_forward(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let node = internal.to as usize;
        let generation = internal.data;
        let request = internal.request;
        if internal.tag != self.nodes[node].tag() {
            return; // The connection broke when that instance failed; already released.
        }
        let serves = node == self.primary && self.primary_serves();
        let Some(proxy) = self.proxy.as_mut() else { return };
        if !serves {
            if proxy.lost(request.token, generation) {
                self.m.lost.incr();
            }
            self.dispatch(ctx);
            return;
        }
        if proxy.in_db(request.token, generation) {
            self.serve(node, request, ctx);
        }
    }

    /// An instance's answer reaches the proxy, which answers the client.
    pub(super) fn on_proxy_reply(&mut self, internal: Internal, ctx: &mut Ctx<'_>) {
        let generation = internal.data;
        let Some(proxy) = self.proxy.as_mut() else { return };
        if let Some(restored) = proxy.finish(internal.request, generation) {
            // Every reply carries a status from `status_tag`; were one not to, the client is
            // told the database was unavailable rather than left waiting.
            let status = status_of_tag(internal.tag).unwrap_or(Status::Unavailable);
            // A success carries the time the proxy answered (nanoseconds + 1) in `Reply::tag`.
            let ok = status == Status::Ok;
            ctx.reply_items(proxy.az, restored.request, status, u32::from(ok), if ok { ctx.now().0 + 1 } else { 0 });
            if ok {
                self.record_ok(restored.request, restored.arrived, ctx.now());
            }
        }
        self.dispatch(ctx);
    }
}

//! The M/M/1 model written twice outside stratus: a hand-written loop over
//! `BinaryHeap<Reverse<(time_ns, seq, payload)>>` and a SimCore model with a source and a server
//! component. Both use the parameters of `mm1-20m.toml` and the same random numbers.
//!
//! Random numbers: two xoshiro256++ streams (the generator stratus uses), one for inter-arrival
//! times and one for service times, drawn with `rand_distr::Exp` in seconds and rounded to whole
//! nanoseconds, as stratus's distributions are. Because each stream is consumed in customer order,
//! both implementations see the same arrival and service times whatever order their events run
//! in, so they must serve the same customers with the same result (up to the order of events
//! that fall on the same nanosecond, which the two break differently).

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Exp};
use serde::Serialize;
use simcore::{Event, EventHandler, Id, Simulation, SimulationContext, cast};

/// Arrivals per simulated second (`arrival.rate` in `mm1-20m.toml`).
pub const ARRIVAL_RATE: f64 = 10_000.0;
/// Mean service time in seconds (`service.mean` in `mm1-20m.toml`): utilization 0.9.
pub const MEAN_SERVICE_SECS: f64 = 90e-6;
/// Mean number in system of an M/M/1 queue at this utilization: ρ / (1 − ρ) = 9.
pub const THEORY_IN_SYSTEM: f64 = 9.0;

const ARRIVAL_SEED: u64 = 0x5EED_A441;
const SERVICE_SEED: u64 = 0x5EED_5E41;

/// What one run of the model did; the two implementations must agree on it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Customers that arrived (all of them are served).
    pub customers: u64,
    /// Events the implementation delivered.
    pub events: u64,
    /// Sum over departures of the number of customers left behind.
    pub left_behind: u64,
}

impl Outcome {
    /// Mean number a departing customer leaves behind; for M/M/1 the mean number in system.
    pub fn mean_left_behind(&self) -> f64 {
        self.left_behind as f64 / self.customers.max(1) as f64
    }
}

/// Seconds (a distribution's draw) to whole nanoseconds, rounded to nearest.
fn nanos(secs: f64) -> u64 {
    (secs * 1e9).round() as u64
}

/// One random stream of exponential delays in nanoseconds.
struct Stream {
    rng: Xoshiro256PlusPlus,
    exp: Exp<f64>,
}

impl Stream {
    fn new(seed: u64, rate_per_sec: f64) -> Self {
        Stream { rng: Xoshiro256PlusPlus::seed_from_u64(seed), exp: Exp::new(rate_per_sec).expect("positive rate") }
    }

    fn inter_arrivals() -> Self {
        Stream::new(ARRIVAL_SEED, ARRIVAL_RATE)
    }

    fn services() -> Self {
        Stream::new(SERVICE_SEED, 1.0 / MEAN_SERVICE_SECS)
    }

    fn next_ns(&mut self) -> u64 {
        nanos(self.exp.sample(&mut self.rng))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
}

/// The hand-written loop: one binary heap of `(time_ns, seq, kind)`, two events per customer
/// (its arrival and its departure), ties broken by scheduling order.
pub fn hand(customers: u64) -> Outcome {
    let (mut inter_arrivals, mut services) = (Stream::inter_arrivals(), Stream::services());
    let mut heap: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, at: u64, kind: Kind| {
        heap.push(Reverse((at, seq, kind)));
        seq += 1;
    };
    let (mut arrived, mut in_system, mut left_behind, mut events) = (0u64, 0u64, 0u64, 0u64);
    if customers > 0 {
        push(&mut heap, inter_arrivals.next_ns(), Kind::Arrival);
        arrived = 1;
    }
    while let Some(Reverse((now, _, kind))) = heap.pop() {
        events += 1;
        match kind {
            Kind::Arrival => {
                in_system += 1;
                if in_system == 1 {
                    push(&mut heap, now + services.next_ns(), Kind::Departure);
                }
                if arrived < customers {
                    arrived += 1;
                    push(&mut heap, now + inter_arrivals.next_ns(), Kind::Arrival);
                }
            }
            Kind::Departure => {
                in_system -= 1;
                left_behind += in_system;
                if in_system > 0 {
                    push(&mut heap, now + services.next_ns(), Kind::Departure);
                }
            }
        }
    }
    Outcome { customers: arrived, events, left_behind }
}

// ---------------------------------------------------------------------------------------------
// SimCore
// ---------------------------------------------------------------------------------------------

/// SimCore's time is an `f64`; here its unit is the nanosecond, so every event time is a whole
/// number below 2^53 and exact, like the hand loop's `u64` nanoseconds.
#[derive(Clone, Serialize)]
struct NextArrival {}

#[derive(Clone, Serialize)]
struct CustomerArrives {}

#[derive(Clone, Serialize)]
struct ServiceEnds {}

/// Emits one customer to the server per `NextArrival` it sends itself.
struct Source {
    ctx: SimulationContext,
    server: Id,
    inter_arrivals: Stream,
    remaining: u64,
}

impl Source {
    fn schedule_next(&mut self) {
        if self.remaining > 0 {
            self.remaining -= 1;
            let delay = self.inter_arrivals.next_ns();
            self.ctx.emit_self(NextArrival {}, delay as f64);
        }
    }
}

impl EventHandler for Source {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            NextArrival {} => {
                self.ctx.emit(CustomerArrives {}, self.server, 0.0);
                self.schedule_next();
            }
        })
    }
}

/// One server and its FIFO queue (only the count matters for M/M/1).
struct Server {
    ctx: SimulationContext,
    services: Stream,
    in_system: u64,
    served: u64,
    left_behind: u64,
}

impl Server {
    fn start_service(&mut self) {
        let delay = self.services.next_ns();
        self.ctx.emit_self(ServiceEnds {}, delay as f64);
    }
}

impl EventHandler for Server {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            CustomerArrives {} => {
                self.in_system += 1;
                if self.in_system == 1 {
                    self.start_service();
                }
            }
            ServiceEnds {} => {
                self.in_system -= 1;
                self.served += 1;
                self.left_behind += self.in_system;
                if self.in_system > 0 {
                    self.start_service();
                }
            }
        })
    }
}

/// The same model in SimCore: a source component and a server component exchanging events
/// through their contexts (`emit`, `emit_self`); three events per customer (the source's own
/// timer, the customer's arrival at the server, the end of its service).
pub fn simcore(customers: u64) -> Outcome {
    let mut sim = Simulation::new(1);
    let server = Rc::new(RefCell::new(Server {
        ctx: sim.create_context("server"),
        services: Stream::services(),
        in_system: 0,
        served: 0,
        left_behind: 0,
    }));
    let server_id = sim.add_handler("server", server.clone());
    let source = Rc::new(RefCell::new(Source {
        ctx: sim.create_context("source"),
        server: server_id,
        inter_arrivals: Stream::inter_arrivals(),
        remaining: customers,
    }));
    sim.add_handler("source", source.clone());
    source.borrow_mut().schedule_next();
    sim.step_until_no_events();
    let events = sim.event_count();
    let server = server.borrow();
    Outcome { customers: server.served, events, left_behind: server.left_behind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_serve_every_customer_with_the_same_queue() {
        let (h, s) = (hand(200_000), simcore(200_000));
        assert_eq!(h.customers, 200_000);
        assert_eq!(s.customers, 200_000);
        assert_eq!(h.events, 400_000);
        assert_eq!(s.events, 600_000);
        let relative = (h.left_behind as f64 - s.left_behind as f64).abs() / h.left_behind as f64;
        assert!(relative < 1e-4, "{h:?} vs {s:?}");
        assert!((h.mean_left_behind() - THEORY_IN_SYSTEM).abs() < 2.0, "{h:?}");
    }
}

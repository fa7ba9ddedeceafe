//! The discrete-event engine: integer time, the event queue with cancellation, the run loop
//! and random streams. It knows nothing about AWS, scenarios or files.

mod queue;
mod rng;
mod time;

pub use queue::{EventId, EventQueue, run_until};
pub use rng::{SimRng, StreamKey, splitmix64, stable_name_hash};
pub use time::{NANOS_PER_SEC, SimDuration, SimTime};

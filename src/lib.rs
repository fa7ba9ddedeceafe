//! stratus: a deterministic discrete-event simulator of cloud data infrastructure.
#![warn(missing_docs)]

pub mod engine;

//! The integration tests: one binary, one module per area, so CI links once.

mod analytic;
mod cli;
mod malformed;

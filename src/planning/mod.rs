//! Capacity planning on top of an experiment's results: what each sweep point costs
//! ([`cost`]), whether it meets the scenario's objectives, and the plans ranked by cost
//! ([`plan`]), each with its binding bottleneck ([`bottleneck`]) and the answer in words
//! ([`answer`]). It reads [`ExperimentResults`](crate::experiment::ExperimentResults) only,
//! never the models.

pub mod answer;
pub mod bottleneck;
pub mod cost;
pub mod interval;
pub mod plan;

pub use cost::{CostBreakdown, CostLine};
pub use plan::{Bottleneck, ObjectiveVerdict, Planning, PointPlan, Verdict, evaluate};

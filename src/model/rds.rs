//! Amazon RDS (being written).

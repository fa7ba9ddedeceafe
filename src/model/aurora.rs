//! Amazon Aurora (being written).

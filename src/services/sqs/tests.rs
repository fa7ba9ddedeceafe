//! Unit tests of the queue and its consumers.

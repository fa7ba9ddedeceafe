//! The Lambda protocol: the timers a function sets for itself ([`LambdaTimer`]) and what
//! their fields carry. A function has no internal messages (its execution environments are
//! not network places of their own).
//!
//! An invocation is named by its slot in the function's slab of running invocations and a
//! generation number checked on delivery (`tag`), so a timer of an invocation that already
//! ended — failed at its timeout, lost to a crash — is stale and ignored.

crate::message_kinds! {
    /// The timers of a Lambda function.
    timer enum LambdaTimer {
        /// The handler's own running time is over (after the cold start, if any): `slot` =
        /// invocation, `tag` = its generation, `data` = 1 if it ran into the timeout, else 0.
        RunDone,
        /// The function's timeout while the handler waits for its call to `target` (`slot` =
        /// invocation, `tag` = its generation, `data` 0).
        Deadline,
        /// An attempt of the call to `target` timed out ([`Caller`](crate::blocks::caller::Caller)'s
        /// timer: `slot` = call, `data` = attempt).
        CallTimeout,
        /// A retry of the call to `target` is due (the caller's timer).
        CallRetry,
    }
}

/// `RunDone`'s `data` when the handler ran into the function's timeout.
pub const RAN_INTO_TIMEOUT: u64 = 1;

//! The app protocol: the timers an application tier sets for itself ([`AppTimer`]) and what
//! their fields carry. It has no internal messages: its instances share the component's
//! network endpoint (the load balancer's).

crate::message_kinds! {
    /// The timers of an application tier.
    timer enum AppTimer {
        /// A request's CPU time ended on an instance (`data` = instance slot: the
        /// [`ServerPool`](crate::blocks::station::ServerPool)'s departure).
        Cpu,
        /// An attempt of a downstream call timed out (`tag` = target index, `slot` = call,
        /// `data` = attempt).
        CallTimeout,
        /// A retry of a downstream call is due (as `CallTimeout`).
        CallRetry,
        /// The balancer checks one target's health (`data` = instance slot).
        HealthCheck,
        /// A health check of a target that did not answer timed out (`data` = instance slot,
        /// `tag` = the instance's epoch when the check was sent).
        HealthFailed,
        /// The balancer gives up connecting to a dead target and answers 504 (`slot` = the
        /// request's slot among those waiting).
        ConnectTimeout,
        /// Autoscaling reads the utilization of the last period.
        ScaleTick,
        /// A launched instance finished its warm-up (`data` = instance slot, `tag` = its
        /// launch number).
        Warmed,
    }
}

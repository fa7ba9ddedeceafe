//! The SNS protocol: the timers a topic sets for itself ([`SnsTimer`]) and what their fields
//! carry. A topic has no internal messages. A delivery due is named by the message's slot in
//! the topic's store and a generation checked on delivery (`tag`); the subscriber's callers
//! carry the subscriber's index in their timers' `tag`
//! ([`Caller::with_timer_tag`](crate::blocks::caller::Caller::with_timer_tag)).

crate::message_kinds! {
    /// The timers of an SNS topic.
    timer enum SnsTimer {
        /// A message's delivery to a subscriber is due (`slot` = message, `data` = subscriber
        /// index, `tag` = the message's generation).
        Deliver,
        /// An attempt of a delivery timed out (`slot` = the call in the subscriber's caller,
        /// `data` = attempt, `tag` = subscriber index).
        DeliveryTimeout,
        /// A retry of a delivery is due (as `DeliveryTimeout`).
        DeliveryRetry,
    }
}

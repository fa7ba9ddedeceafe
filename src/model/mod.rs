//! The simulation's vocabulary: the message types every component speaks, the component
//! contract, the world that runs them, the network between them, faults, distributions and key
//! popularity. Nothing here names an AWS service; building blocks are in [`crate::blocks`],
//! services in [`crate::services`].
//!
//! Components never call each other. A component reacts to one [`Message`] at a time through
//! [`Component::handle`], and everything it does to the world goes through its [`Ctx`]:
//! sending a message to another component (which crosses the network with a delay drawn from
//! the topology), setting a timer for itself, cancelling a timer, drawing random numbers from
//! its own stream.

pub mod billing;
pub mod dist;
pub mod fault;
pub mod keys;
pub mod kind;
pub mod topology;
pub mod world;

use std::fmt;

use crate::engine::{EventId, EventQueue, SimDuration, SimRng, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
pub use topology::Network;

/// Index of a component in a world; messages are addressed by it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct ComponentId(pub u32);

impl ComponentId {
    /// The address of the world itself (warm-up and sampling ticks).
    pub const WORLD: ComponentId = ComponentId(u32::MAX);

    /// Position in the world's component list.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a request asks for. One vocabulary for every service, so a workload, an app server or
/// a poller can call any of them: databases and caches serve `Read`, `Write` and `Delete`;
/// queues `Send`, `Receive` and `Delete`; streams `Put` and `Get`; topics `Publish`; functions
/// `Invoke`. A service answers an operation it does not offer with [`Status::Invalid`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Read a key (a database row, a cache entry).
    Read,
    /// Write a key.
    Write,
    /// Delete a key, or a received message (its receipt, the receive's [`Reply::tag`], in
    /// `key`).
    Delete,
    /// Send a message to a queue (`size` bytes; a batch carries its count in `key`).
    Send,
    /// Receive up to `key` messages from a queue; the reply's [`Reply::count`] says how many.
    Receive,
    /// Put a record into a stream (partition key in `key`).
    Put,
    /// Get records from a stream shard.
    Get,
    /// Publish a message to a topic.
    Publish,
    /// Invoke a function.
    Invoke,
}

impl Op {
    /// Every operation, in declaration order.
    pub const ALL: [Op; 9] =
        [Op::Read, Op::Write, Op::Delete, Op::Send, Op::Receive, Op::Put, Op::Get, Op::Publish, Op::Invoke];

    /// Lower-case name, for metric names.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Delete => "delete",
            Op::Send => "send",
            Op::Receive => "receive",
            Op::Put => "put",
            Op::Get => "get",
            Op::Publish => "publish",
            Op::Invoke => "invoke",
        }
    }

    /// True for operations that only read state (`Read`, `Get`): a station charges them its
    /// read service time, every other operation its write service time.
    pub fn is_read(self) -> bool {
        matches!(self, Op::Read | Op::Get)
    }
}

/// A request as it travels between components. Plain data, copied by value: no allocation.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Request {
    /// Unique within the issuing client.
    pub id: u64,
    /// What is asked.
    pub op: Op,
    /// The key read or written.
    pub key: u64,
    /// Payload size in bytes.
    pub size: u32,
    /// When the client first issued it (end-to-end latency starts here).
    pub created: SimTime,
    /// When it arrived at the component now holding it (set by that component).
    pub arrived: SimTime,
    /// Where the final reply goes.
    pub client: ComponentId,
    /// The client's own bookkeeping (e.g. which closed-loop client sent it).
    pub token: u64,
    /// Attempt number, 1 for the first try.
    pub attempt: u16,
    /// When the client last resolved the target's DNS name. A component whose address
    /// changed after this (a failover's DNS switch) is being reached at its old address.
    pub resolved_at: SimTime,
    /// When the client gives up on this attempt and closes its connection ([`SimTime::MAX`]:
    /// never). Work that has not started by then is dropped where the real system would drop
    /// it (a queued statement, RDS Proxy's borrow queue); work already executing finishes and
    /// its reply is discarded by the client.
    pub deadline: SimTime,
}

impl Request {
    /// The request carried by internal messages that concern no client request (replication,
    /// acknowledgements, redo shipping).
    pub const NONE: Request = Request {
        id: 0,
        op: Op::Write,
        key: 0,
        size: 0,
        created: SimTime::ZERO,
        arrived: SimTime::ZERO,
        client: ComponentId::WORLD,
        token: 0,
        attempt: 0,
        resolved_at: SimTime::ZERO,
        deadline: SimTime::MAX,
    };
}

/// The outcome carried by a reply.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Done.
    Ok,
    /// Refused because a bounded queue was full.
    Rejected,
    /// Refused by a rate limit.
    Throttled,
    /// The target could not serve it (down, failing over, no quorum).
    Unavailable,
    /// The client gave up waiting (set by clients, never sent by servers).
    TimedOut,
    /// The target does not offer this operation (a `Send` to a database, say): a mistake in
    /// the wiring, never retried.
    Invalid,
}

impl Status {
    /// Lower-case name, for metric names.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Rejected => "rejected",
            Status::Throttled => "throttled",
            Status::Unavailable => "unavailable",
            Status::TimedOut => "timeout",
            Status::Invalid => "invalid",
        }
    }
}

/// A reply to a request.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Reply {
    /// The request answered.
    pub request: Request,
    /// Its outcome.
    pub status: Status,
    /// Which component produced the reply.
    pub from: ComponentId,
    /// How many items the reply carries: messages received (0 for an empty poll), records
    /// read, 0 for a cache miss. 1 for a plain success, 0 for a failure.
    pub count: u32,
    /// A number the service attaches: a receipt handle, a sequence number, a version. 0 if
    /// none.
    pub tag: u64,
}

impl Reply {
    /// A plain reply: `count` 1 on success, 0 otherwise, no tag.
    #[inline]
    pub fn new(request: Request, status: Status, from: ComponentId) -> Self {
        Reply { request, status, from, count: u32::from(status == Status::Ok), tag: 0 }
    }
}

/// A timer a component set for itself; the meaning of the fields is the component's own.
/// Build one with [`Timer::new`] from the component's typed kind (see [`message_kinds!`](crate::message_kinds)).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    /// Which kind of timer, in the component's own numbering.
    pub kind: u32,
    /// A slot (server, client) the timer belongs to.
    pub slot: u32,
    /// Any further datum (a sequence number, a request id).
    pub data: u64,
    /// A second datum that is checked on delivery: an incarnation, an epoch, a segment.
    pub tag: u32,
}

impl Timer {
    /// A timer of `kind` for `slot` carrying `data` (tag 0).
    #[inline]
    pub fn new(kind: impl TimerKind, slot: u32, data: u64) -> Self {
        Timer { kind: kind.code(), slot, data, tag: 0 }
    }

    /// The same timer carrying `tag`.
    #[inline]
    pub fn tagged(self, tag: u32) -> Self {
        Timer { tag, ..self }
    }

    /// Its kind in the typed enum `K`, or None if the number is none of `K`'s.
    #[inline]
    pub fn kind_as<K: TimerKind>(&self) -> Option<K> {
        K::from_code(self.kind)
    }
}

/// A message between two instances inside one component (a primary replicating to its
/// standby, a writer sending redo to a storage segment). It crosses the network between the
/// instances' AZs like any other message.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Internal {
    /// What the message means, in the component's own numbering.
    pub kind: u32,
    /// Sending instance.
    pub from: u32,
    /// Receiving instance.
    pub to: u32,
    /// A second number, checked on delivery: the incarnation of the connection it travelled
    /// on, a status.
    pub tag: u32,
    /// A number the component attaches (a log sequence number, a generation).
    pub data: u64,
    /// The request concerned.
    pub request: Request,
}

impl Internal {
    /// A message of `kind` from instance `from` to instance `to` about `request`, carrying
    /// `data` (tag 0).
    #[inline]
    pub fn new(kind: impl InternalKind, from: u32, to: u32, data: u64, request: Request) -> Self {
        Internal { kind: kind.code(), from, to, tag: 0, data, request }
    }

    /// The same message carrying `tag`.
    #[inline]
    pub fn tagged(self, tag: u32) -> Self {
        Internal { tag, ..self }
    }

    /// Its kind in the typed enum `K`, or None if the number is none of `K`'s.
    #[inline]
    pub fn kind_as<K: InternalKind>(&self) -> Option<K> {
        K::from_code(self.kind)
    }
}

/// A component's timer kinds: a `#[repr(u32)]` enum declared with [`message_kinds!`](crate::message_kinds). Timers
/// take and give back only such kinds, so an internal-message kind cannot be set as a timer.
pub trait TimerKind: Copy {
    /// The number carried in [`Timer::kind`].
    fn code(self) -> u32;
    /// The kind numbered `code`, if any.
    fn from_code(code: u32) -> Option<Self>;
}

/// A component's internal-message kinds: a `#[repr(u32)]` enum declared with
/// [`message_kinds!`](crate::message_kinds).
pub trait InternalKind: Copy {
    /// The number carried in [`Internal::kind`].
    fn code(self) -> u32;
    /// The kind numbered `code`, if any.
    fn from_code(code: u32) -> Option<Self>;
}

/// Declares a component's timer or internal-message kinds as a `#[repr(u32)]` enum numbered
/// from 0, implementing [`TimerKind`] (`timer`) or [`InternalKind`] (`internal`) with a
/// checked conversion back from the number a message carries.
///
/// ```
/// use stratus::message_kinds;
/// use stratus::model::{Timer, TimerKind};
///
/// message_kinds! {
///     /// The timers of a toy component.
///     timer enum Toy {
///         /// A request is due.
///         Arrival,
///         /// A wait ran out.
///         Timeout,
///     }
/// }
///
/// let timer = Timer::new(Toy::Timeout, 3, 7);
/// assert_eq!(timer.kind_as::<Toy>(), Some(Toy::Timeout));
/// assert_eq!(Toy::from_code(2), None);
/// ```
#[macro_export]
macro_rules! message_kinds {
    ($(#[$meta:meta])* timer enum $name:ident { $($body:tt)+ }) => {
        $crate::message_kinds!(@declare $crate::model::TimerKind; $(#[$meta])* $name { $($body)+ });
    };
    ($(#[$meta:meta])* internal enum $name:ident { $($body:tt)+ }) => {
        $crate::message_kinds!(@declare $crate::model::InternalKind; $(#[$meta])* $name { $($body)+ });
    };
    (@declare $kind_trait:path; $(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $kind_trait for $name {
            #[inline]
            fn code(self) -> u32 {
                self as u32
            }

            #[inline]
            fn from_code(code: u32) -> Option<Self> {
                const ALL: &[$name] = &[$($name::$variant),+];
                ALL.get(code as usize).copied()
            }
        }
    };
}

/// Everything that can be delivered to a component.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Message {
    /// A request to serve.
    Request(Request),
    /// A reply to a request this component sent.
    Reply(Reply),
    /// A timer this component set.
    Timer(Timer),
    /// A message between two of this component's instances.
    Internal(Internal),
    /// A fault starts or ends.
    Fault(fault::FaultSignal),
}

/// An event in a world's queue: a message and its destination.
#[derive(Copy, Clone, Debug)]
pub struct Event {
    /// Destination.
    pub to: ComponentId,
    /// Contents.
    pub msg: Message,
}

/// A component's view of the world while it handles a message.
pub struct Ctx<'a> {
    now: SimTime,
    me: ComponentId,
    queue: &'a mut EventQueue<Event>,
    network: &'a mut Network,
    /// This component's own random stream.
    pub rng: &'a mut SimRng,
}

impl<'a> Ctx<'a> {
    /// A context for component `me` at the queue's current time.
    pub fn new(
        me: ComponentId,
        queue: &'a mut EventQueue<Event>,
        network: &'a mut Network,
        rng: &'a mut SimRng,
    ) -> Self {
        Ctx { now: queue.now(), me, queue, network, rng }
    }

    /// Current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// This component's id.
    #[inline]
    pub fn me(&self) -> ComponentId {
        self.me
    }

    /// Sends `msg` to `to` across the network; the delay is drawn from the topology. Returns
    /// false if the message was lost because the two places cannot reach each other (an AZ
    /// outage or a partition): the sender learns of it only through its own timeout.
    #[inline]
    pub fn send(&mut self, to: ComponentId, msg: Message) -> bool {
        self.send_after(SimDuration::ZERO, to, msg)
    }

    /// Sends `msg` to `to` after `extra` plus the network delay (false if lost).
    #[inline]
    pub fn send_after(&mut self, extra: SimDuration, to: ComponentId, msg: Message) -> bool {
        let from_az = self.network.az_of(self.me);
        self.send_from_az(from_az, extra, to, msg)
    }

    /// Sends `msg` to `to` as if from AZ `from_az` (a component with instances in several AZs
    /// answers from the instance that served the request); false if lost.
    #[inline]
    pub fn send_from_az(&mut self, from_az: u16, extra: SimDuration, to: ComponentId, msg: Message) -> bool {
        let to_az = self.network.az_of(to);
        if to == self.me && from_az == to_az {
            self.queue.schedule_in(extra, Event { to, msg });
            return true;
        }
        match self.network.delay_between(from_az, to_az, self.rng) {
            Some(delay) => {
                self.queue.schedule_in(extra + delay, Event { to, msg });
                true
            }
            None => false,
        }
    }

    /// Sends a message between two instances of this component, placed in AZs `from_az` and
    /// `to_az`; it is delivered to this component after the network delay between them
    /// (false if lost).
    #[inline]
    pub fn send_internal(&mut self, from_az: u16, to_az: u16, internal: Internal) -> bool {
        match self.network.delay_between(from_az, to_az, self.rng) {
            Some(delay) => {
                let me = self.me;
                self.queue.schedule_in(delay, Event { to: me, msg: Message::Internal(internal) });
                true
            }
            None => false,
        }
    }

    /// The network, for mean delays and reachability.
    pub fn network(&self) -> &Network {
        self.network
    }

    /// Moves this component's network endpoint to AZ `az`: messages sent to it from now on
    /// travel to (and need to reach) that AZ. A multi-AZ database calls this when its DNS
    /// name switches to an instance in another AZ, so losing the old AZ no longer cuts
    /// clients off from the new primary.
    pub fn move_endpoint(&mut self, az: u16) {
        let me = self.me;
        self.network.place(me, az);
    }

    /// Replies to `request`'s client with `status` (false if the reply was lost).
    #[inline]
    pub fn reply(&mut self, request: Request, status: Status) -> bool {
        let from = self.me;
        self.send(request.client, Message::Reply(Reply::new(request, status, from)))
    }

    /// Replies from an instance in AZ `from_az` (false if the reply was lost).
    #[inline]
    pub fn reply_from_az(&mut self, from_az: u16, request: Request, status: Status) -> bool {
        let from = self.me;
        self.send_from_az(from_az, SimDuration::ZERO, request.client, Message::Reply(Reply::new(request, status, from)))
    }

    /// Replies from an instance in AZ `from_az` with an item `count` and a `tag` (a receive
    /// of several messages, an empty poll, a record's sequence number); false if lost.
    #[inline]
    pub fn reply_items(&mut self, from_az: u16, request: Request, status: Status, count: u32, tag: u64) -> bool {
        let reply = Reply { request, status, from: self.me, count, tag };
        self.send_from_az(from_az, SimDuration::ZERO, request.client, Message::Reply(reply))
    }

    /// Sets a timer for this component, due after `delay` (no network involved).
    #[inline]
    pub fn timer(&mut self, delay: SimDuration, timer: Timer) -> EventId {
        let me = self.me;
        self.queue.schedule_in(delay, Event { to: me, msg: Message::Timer(timer) })
    }

    /// Cancels a timer or an undelivered message; false if it already happened.
    #[inline]
    pub fn cancel(&mut self, id: EventId) -> bool {
        self.queue.cancel(id)
    }
}

/// A simulated component: a state machine driven by messages.
pub trait Component: Send {
    /// Called once at time zero, before any message.
    fn start(&mut self, _ctx: &mut Ctx<'_>) {}

    /// Reacts to one message.
    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>);

    /// The warm-up is over: forget what was measured so far (time series excepted).
    fn begin_measurement(&mut self, now: SimTime);

    /// Names of the time series this component samples, in the order `sample` writes them.
    fn series_names(&self, _names: &mut SeriesNames) {}

    /// Appends one value per declared series, each averaged over the `interval` that ends now.
    fn sample(&mut self, _now: SimTime, _interval: SimDuration, _out: &mut Vec<f64>) {}

    /// The run is over: report measurements.
    fn finish(&mut self, now: SimTime, out: &mut MetricSet);

    /// The instances a fault can target, in index order (a fault's `instance` names one).
    /// A single-instance component has one, called `main`.
    fn instances(&self) -> Vec<InstanceInfo> {
        vec![InstanceInfo { name: "main".into(), az: None }]
    }

    /// What it holds now that can grow while it runs: requests queued, in service or in
    /// flight, and the memory they take (see [`Backlog`]). The world asks every few thousand
    /// events to keep a run within its memory budget, so this may read lengths and capacities
    /// but must not allocate. The default, nothing, suits a component whose state is bounded.
    fn backlog(&self, _now: SimTime) -> Backlog {
        Backlog::default()
    }
}

/// What a component holds that can grow without bound when it is fed faster than it works:
/// the measure [`world::World`] keeps within a run's memory budget, and the evidence it gives
/// when it stops a run whose queues ran away.
#[derive(Copy, Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Backlog {
    /// Requests waiting for a server: the queues themselves. The component holding the most
    /// is the one named when a run is stopped (calls in flight are only its echo upstream).
    pub queued: u64,
    /// Everything held: requests queued, in service, waiting for acknowledgements, calls in
    /// flight at a client (at least `queued`).
    pub held: u64,
    /// Bytes of memory holding them: the entries its queues and tables occupy times their
    /// size — the whole capacity of a ring buffer (a FIFO queue's contents move through all of
    /// it), the slots ever used of a slab or vector (spare capacity is reserved, not touched).
    /// An estimate that leaves out the allocator's own overhead.
    pub bytes: u64,
    /// The offered load ρ = λ·E\[S\]/c of a FIFO station with unbounded waiting room,
    /// measured from the start of the run: arrivals so far times their mean service time,
    /// over the servers' time. `None` wherever ρ is not defined by one queue (clients,
    /// services with several stages, bounded queues).
    pub offered_load: Option<f64>,
    /// Requests that arrived since the start of the run, where `offered_load` is given.
    pub arrived: u64,
}

impl Backlog {
    /// Adds what another part of the same component holds; the offered load is the part's
    /// with the larger queue.
    pub fn plus(self, other: Backlog) -> Backlog {
        let (offered_load, arrived) = if other.queued > self.queued {
            (other.offered_load, other.arrived)
        } else {
            (self.offered_load, self.arrived)
        };
        Backlog {
            queued: self.queued + other.queued,
            held: self.held + other.held,
            bytes: self.bytes + other.bytes,
            offered_load,
            arrived,
        }
    }

    /// The memory of a collection of `capacity` entries of type `T`.
    pub fn bytes_of<T>(capacity: usize) -> u64 {
        (capacity as u64).saturating_mul(std::mem::size_of::<T>() as u64)
    }
}

/// One instance of a component, as faults see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceInfo {
    /// Name used in `[[fault]] instance = ...` (a role like `primary`, or `segment-3`).
    pub name: String,
    /// The AZ it sits in if it differs from the component's own.
    pub az: Option<u16>,
}

/// A problem with one parameter of a component, found when it is built. `field` is a dotted
/// path relative to the component's table ("service.mean"); empty means the table itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// Dotted path of the offending field, relative to the table being checked.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl SpecError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        SpecError { field: field.into(), message: message.into() }
    }

    /// Prefixes the field path with `parent` (the name of the enclosing field).
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_string()
        } else if parent.is_empty() {
            self.field
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for SpecError {}

/// "a" or "an" before `word`, for messages ("an exponential distribution").
pub fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}

/// The candidate closest to `word` if it is close enough to be what was meant (a typo: an edit
/// distance of at most a third of the word, at least 1), for "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| (strsim::levenshtein(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// "; did you mean `x`?" for the closest candidate, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default()
}

/// Rejects fields that were given but do not apply to the chosen variant of a table (a
/// `shape` on an exponential distribution, say), so that typos are not silently ignored.
/// `given` pairs each optional field's name with whether it was present.
pub fn check_fields(what: &str, allowed: &[&str], given: &[(&str, bool)]) -> Result<(), SpecError> {
    for (field, present) in given {
        if *present && !allowed.contains(field) {
            return Err(SpecError::new(
                *field,
                format!("`{field}` does not apply to {what} (it takes {})", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

/// The documentation of one parameter of a component kind, for `stratus describe`.
#[derive(Clone, Copy, Debug)]
pub struct ParamDoc {
    /// Parameter name as written in a scenario.
    pub name: &'static str,
    /// [`ParamDoc::FROM_CONFIG`] where the kind's configuration has a default value (then
    /// `stratus describe` prints that value, so each default is written once, in the code
    /// that applies it); otherwise how the default is chosen ("required", "none", "by
    /// deployment: ...").
    pub default: &'static str,
    /// Unit or type.
    pub unit: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// Where the default comes from ("assumption" where AWS publishes no number).
    pub source: &'static str,
}

impl ParamDoc {
    /// The default is the value the configuration itself fills in (read from its `Default`
    /// or serde defaults and printed by `stratus describe`).
    pub const FROM_CONFIG: &'static str = "(the configuration's default)";
}

/// The documentation of one component kind, for `stratus describe`.
#[derive(Clone, Copy, Debug)]
pub struct KindDoc {
    /// The `kind` value in a scenario.
    pub kind: &'static str,
    /// One-paragraph summary of the model.
    pub summary: &'static str,
    /// Its parameters.
    pub params: &'static [ParamDoc],
    /// The metrics it reports (`<name>` stands for the component's name).
    pub metrics: &'static [&'static str],
}

#[cfg(test)]
mod tests {
    use super::*;

    message_kinds! {
        /// Kinds for the test.
        timer enum TestTimer {
            /// First.
            First,
            /// Second.
            Second,
        }
    }

    #[test]
    fn typed_kinds_round_trip_and_unknown_numbers_are_caught() {
        let timer = Timer::new(TestTimer::Second, 4, 9).tagged(3);
        assert_eq!((timer.kind, timer.slot, timer.data, timer.tag), (1, 4, 9, 3));
        assert_eq!(timer.kind_as::<TestTimer>(), Some(TestTimer::Second));
        assert_eq!(TestTimer::from_code(2), None);
        assert_eq!(TestTimer::First.code(), 0);
    }

    /// Messages are copied into the event queue by value, so their size is watched: 104 bytes
    /// (an `Internal` holding a request, 96, and the variant's tag). It was 96 before requests
    /// carried their client's deadline; anything bigger needs a measurement in BENCHMARKS.md.
    #[test]
    fn suggestions_are_for_near_misses_only() {
        assert_eq!(closest("write_fracton", ["write_fraction", "target"]), Some("write_fraction"));
        assert_eq!(closest("replicatons", ["replications", "seed"]), Some("replications"));
        assert_eq!(closest("db", ["app", "cache"]), None);
        assert_eq!(did_you_mean("dbb", ["db"]), "; did you mean `db`?");
    }

    #[test]
    fn messages_stay_small() {
        assert!(std::mem::size_of::<Message>() <= 104, "Message is {} bytes", std::mem::size_of::<Message>());
        assert!(std::mem::size_of::<Reply>() <= std::mem::size_of::<Internal>());
        assert_eq!(Op::ALL.len(), Op::ALL.iter().map(|op| op.as_str()).collect::<std::collections::HashSet<_>>().len());
    }
}

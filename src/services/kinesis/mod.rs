//! Amazon Kinesis Data Streams: a stream of shards (`kind = "kinesis"`, [`Kinesis`]) and its
//! consumers (`kind = "kinesis_consumer"`, [`KinesisConsumer`]). Defaults and their sources are
//! in [`KINESIS_DOC`] and [`KINESIS_CONSUMER_DOC`] (`stratus describe kinesis`,
//! `stratus describe kinesis_consumer`) and on the constants of `config`.
//!
//! # Routing and write limits
//! A producer's request (`Put`, `Write` or `Read`: all PutRecord) carries its partition key in
//! `key`: the stream writes it as a decimal string, hashes it with MD5 and routes the record to
//! the open shard whose hash-key range holds the 128-bit digest ([`hash`]); N shards split the
//! space evenly, so a Zipf key popularity makes hot shards exactly where the popular keys'
//! digests fall. Each shard admits 1,000 records/s and 1 MiB/s through two token buckets that
//! hold one second's worth (Kinesis meters per second: a shard idle for a second may take a
//! second's worth at once, never more); a put over either limit is refused `throttled`
//! (ProvisionedThroughputExceeded) and the producer's client policy retries it with its
//! backoff or gives up after `max_attempts`. With `put_batch = B > 1` the stream collects up
//! to B puts (or 5 MiB, or `linger`) into one PutRecords call, as the KPL does on the producer:
//! each record of the call is admitted or throttled on its own and the producer retries only
//! the refused ones; the call's replies all leave after its one latency.
//!
//! # Reading
//! Records stay in a per-shard ring buffer for `retention`. A record is readable once its put
//! completed (the put's latency). Shared-throughput consumers call GetRecords, which each shard
//! admits 5 times per second and 2 MiB/s across all consumers (a bucket holding 10 MiB, the
//! largest call: after a 10 MiB call the next five seconds' calls are throttled); a call
//! returns up to 10,000 records / 10 MiB after the GetRecords latency. Enhanced fan-out
//! consumers subscribe per shard; the stream pushes records once readable plus a push delay,
//! within 2 MiB/s per consumer per shard, to at most 20 consumers. Propagation (put → the
//! consumer has it) is therefore the put's latency plus the wait for the next successful poll
//! plus the GetRecords latency — which grows with the number of consumers sharing a shard's 5
//! calls/s — or, with enhanced fan-out, the put's latency plus the push delay.
//!
//! # Accounting
//! Consumers tell the stream of each batch they finish (`Processed`). The stream measures
//! propagation and end-to-end latency per record from that and keeps, per consumer and shard,
//! the sequence number below which everything is accounted for, how far it has delivered and
//! how many delivered records are in flight. A record that expires before it was delivered to
//! a consumer is lost to that consumer (one delivered and still being processed is not). So
//! for each consumer: `records_put = processed + dropped + lost + pending` (pending = in
//! flight + unread).
//!
//! # Consumer faults
//! A crash fault on a consumer (instance `main`) loses what it held; back up, it tells the
//! stream it restarted (ListShards with [`protocol::RESTART`]) and reads every shard again from
//! its last checkpoint, so records processed since are processed again (`duplicates`). The
//! stream itself is a managed service and takes no instance faults.
//!
//! # Resharding and capacity modes
//! `[[component.reshard]] at = "10m", shards = 8` calls UpdateShardCount: after
//! `reshard_delay` the open shards close and the new count opens, splitting the space evenly;
//! each new shard's parents are the closed shards overlapping it, and a consumer reads a child
//! only after finishing all its parents. `capacity_mode = "on_demand"` starts at 4 shards
//! (4 MiB/s, 4,000 records/s of writes, 8 MiB/s of reads) and doubles, through the same
//! reshard, whenever the offered puts over a minute averaged more than half the capacity.
//!
//! # Source layout
//! `protocol` the message layouts and timers; `hash` MD5 routing; `shard` one shard's storage
//! and limits; `stream` the stream component; `consumer` the consumer component; `metrics` the
//! stream's measurements; `config` and `doc` parameters and their documentation.

mod config;
mod consumer;
mod consumer_metrics;
mod doc;
pub mod hash;
mod metrics;
pub mod protocol;
mod shard;
mod stream;

pub use config::{
    ConsumerConfig, ConsumerPlan, DEFAULT_POLL_INTERVAL, DEFAULT_RETENTION, KinesisConfig, MAX_GET_RECORDS,
    RESHARD_DELAY, SHARD_READ_BYTES, SHARD_READ_CALLS, SHARD_WRITE_BYTES, SHARD_WRITE_RECORDS, StreamPlan,
};
pub use consumer::KinesisConsumer;
pub use doc::{KINESIS_CONSUMER_DOC, KINESIS_DOC};
pub use stream::Kinesis;

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{MetricSet, SeriesNames};
use crate::model::billing::{BillableItem, HOURS_PER_MONTH, UsageScale};
use crate::model::dist::{DistSpec, Seconds};
use crate::model::kind::{BuildContext, KindConfig};
use crate::model::{Backlog, Component, Ctx, Message, SpecError};

impl KindConfig for KinesisConfig {
    /// Provisioned mode: shard-hours (the `shards` at creation; with scheduled reshards the
    /// open shards at the end of the run, an approximation) and PUT payload units, one per
    /// accepted record (`<name>.throughput`; records over 25 KB would count one unit per
    /// 25 KB: an assumption that records are at most 25 KB). On-demand streams are not
    /// billed (their price is per GB, which stratus does not count).
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        if self.capacity_mode != "provisioned" {
            return Vec::new();
        }
        let shards = if self.reshard.is_empty() {
            BillableItem::Fixed {
                component: name.to_string(),
                what: format!("shards ({} × {HOURS_PER_MONTH} h)", self.shards),
                quantity: f64::from(self.shards) * HOURS_PER_MONTH,
                unit: "shard-hours".into(),
                price_key: "kinesis.shard_hour".into(),
            }
        } else {
            BillableItem::usage(
                name,
                "shards (open at the end)",
                format!("{name}.open_shards"),
                UsageScale::Level,
                1.0,
                1.0,
                "shard-hours",
                "kinesis.shard_hour",
            )
        };
        let units = BillableItem::usage(
            name,
            "PUT payload units (one per record)",
            format!("{name}.throughput"),
            UsageScale::PerSecond,
            1.0,
            1e6,
            "million PUT payload units",
            "kinesis.put_units_million",
        );
        vec![shards, units]
    }

    fn events_per_request(&self, _write_fraction: f64) -> f64 {
        // A put: its delivery and its reply (no timer: the reply leaves after the put's
        // latency). Reading adds about one event per record at low batch sizes and far less
        // with batches; 2.5 is an estimate for a stream with one consumer.
        2.5
    }

    fn nanos_per_event(&self) -> f64 {
        // MD5 of the key and two token buckets per put: roughly twice a station's event.
        200.0
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        KinesisConfig::dists_mut(self)
    }

    fn build(&self, name: &str, _context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        Ok(Box::new(Kinesis::new(name, self.plan()?)))
    }
}

impl KindConfig for ConsumerConfig {
    /// Enhanced fan-out: consumer-shard-hours over the stream's open shards
    /// (`<stream>.open_shards`). Shared (GetRecords) consumers bill nothing of their own.
    fn billing(&self, name: &str) -> Vec<BillableItem> {
        if self.fan_out != "enhanced" {
            return Vec::new();
        }
        vec![BillableItem::usage(
            name,
            "enhanced fan-out consumer-shards",
            format!("{}.open_shards", self.stream),
            UsageScale::Level,
            1.0,
            1.0,
            "consumer-shard-hours",
            "kinesis.efo_consumer_shard_hour",
        )]
    }

    fn references(&self) -> Vec<(&'static str, &str)> {
        let mut refs = vec![("stream", self.stream.as_str())];
        if let Some(target) = &self.target {
            refs.push(("target", target.as_str()));
        }
        if let Some(function) = &self.function {
            refs.push(("function", function.as_str()));
        }
        refs
    }

    fn dists_mut(&mut self) -> Vec<(String, &mut DistSpec<Seconds>)> {
        ConsumerConfig::dists_mut(self)
    }

    fn build(&self, name: &str, context: &BuildContext<'_>) -> Result<Box<dyn Component>, SpecError> {
        let plan = self.plan()?;
        let stream = (context.resolve)(&self.stream)
            .ok_or_else(|| SpecError::new("stream", format!("no component named `{}`", self.stream)))?;
        let target = match self.target.as_ref().or(self.function.as_ref()) {
            Some(name) => Some((context.resolve)(name).ok_or_else(|| {
                let field = if self.target.is_some() { "target" } else { "function" };
                SpecError::new(field, format!("no component named `{name}`"))
            })?),
            None => None,
        };
        Ok(Box::new(KinesisConsumer::new(name, plan, stream, target)))
    }
}

impl Component for Kinesis {
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.on_start(ctx);
    }

    fn handle(&mut self, msg: Message, ctx: &mut Ctx<'_>) {
        match msg {
            Message::Request(request) => self.on_request(request, ctx),
            Message::Timer(timer) => self.on_timer(timer, ctx),
            // A managed service: instance faults do not apply (AZ outages cut its clients off
            // through the network).
            Message::Reply(_) | Message::Internal(_) | Message::Fault(_) => {}
        }
    }

    fn begin_measurement(&mut self, now: SimTime) {
        self.begin_measuring(now);
    }

    fn series_names(&self, names: &mut SeriesNames) {
        self.declare_series(names);
    }

    fn sample(&mut self, now: SimTime, interval: SimDuration, out: &mut Vec<f64>) {
        self.sample_series(now, interval, out);
    }

    fn finish(&mut self, now: SimTime, out: &mut MetricSet) {
        self.report(now, out);
    }

    fn backlog(&self, _now: SimTime) -> Backlog {
        self.held()
    }
}

#[cfg(test)]
mod tests;

//! Usage prices: what AWS charges per request, payload unit, GB-second, shard-hour or GB-month,
//! us-east-1, with each figure's source. Instance-hour prices are in [`super::classes`].
//! `[pricing] overrides` replace any of them by key; `planning::cost` reads them through
//! [`usage_price`].
//!
//! Free tiers (1 M SQS requests, 1 M Lambda requests and 400,000 GB-s, 1 M SNS publishes a
//! month) are left out: a capacity plan prices the marginal workload, not a new account.

/// One usage price.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct UsagePrice {
    /// The key (`sqs.requests_million`).
    pub key: &'static str,
    /// USD per unit.
    pub price: f64,
    /// The unit.
    pub unit: &'static str,
    /// Where the figure comes from (us-east-1).
    pub source: &'static str,
}

/// Every usage price, us-east-1, figures as listed in 2025 on the pages named.
pub const USAGE_PRICES: &[UsagePrice] = &[
    UsagePrice {
        key: "sqs.requests_million",
        price: 0.40,
        unit: "million requests",
        source: "https://aws.amazon.com/sqs/pricing/ (standard queues, beyond the first 1 M/month; each 64 KB chunk of a payload is one request, batches of up to 10 are one)",
    },
    UsagePrice {
        key: "sqs.fifo_requests_million",
        price: 0.50,
        unit: "million requests",
        source: "https://aws.amazon.com/sqs/pricing/ (FIFO queues)",
    },
    UsagePrice {
        key: "kinesis.shard_hour",
        price: 0.015,
        unit: "shard-hours",
        source: "https://aws.amazon.com/kinesis/data-streams/pricing/ (provisioned mode)",
    },
    UsagePrice {
        key: "kinesis.put_units_million",
        price: 0.014,
        unit: "million PUT payload units",
        source: "https://aws.amazon.com/kinesis/data-streams/pricing/ (a 25 KB payload unit per record, rounded up)",
    },
    UsagePrice {
        key: "kinesis.efo_consumer_shard_hour",
        price: 0.015,
        unit: "consumer-shard-hours",
        source: "https://aws.amazon.com/kinesis/data-streams/pricing/ (enhanced fan-out; its $0.013/GB retrieval is not billed: stratus counts no bytes)",
    },
    UsagePrice {
        key: "lambda.requests_million",
        price: 0.20,
        unit: "million requests",
        source: "https://aws.amazon.com/lambda/pricing/",
    },
    UsagePrice {
        key: "lambda.gb_second",
        price: 0.000_016_666_7,
        unit: "GB-seconds",
        source: "https://aws.amazon.com/lambda/pricing/ (x86, first 6 billion GB-s/month; Arm lists $0.0000133334)",
    },
    UsagePrice {
        key: "sns.publishes_million",
        price: 0.50,
        unit: "million publishes",
        source: "https://aws.amazon.com/sns/pricing/ (standard topics; deliveries to SQS and Lambda subscribers are free)",
    },
    UsagePrice {
        key: "aurora.io_million",
        price: 0.20,
        unit: "million I/O requests",
        source: "https://aws.amazon.com/rds/aurora/pricing/ (Aurora Standard)",
    },
    UsagePrice {
        key: "aurora.storage_gb_month",
        price: 0.10,
        unit: "GB-months",
        source: "https://aws.amazon.com/rds/aurora/pricing/ (Aurora Standard)",
    },
    UsagePrice {
        key: "rds.proxy_vcpu_hour",
        price: 0.015,
        unit: "vCPU-hours",
        source: "https://aws.amazon.com/rds/proxy/pricing/ (per vCPU of the instances behind the proxy, provisioned)",
    },
];

/// The bundled price of usage `key`.
pub fn usage_price(key: &str) -> Option<f64> {
    USAGE_PRICES.iter().find(|price| price.key == key).map(|price| price.price)
}

/// Whether `key` names a price: a usage key or `<service>.<class>` of a known class.
pub fn is_price_key(key: &str) -> bool {
    usage_price(key).is_some() || instance_price(key).is_some()
}

/// The service and bundled hourly price of an instance-hour key (`aurora.db.r6g.large`).
pub fn instance_price(key: &str) -> Option<(super::classes::Service, f64)> {
    let (service, class) = key.split_once('.')?;
    let service = super::classes::Service::from_name(service)?;
    Some((service, super::classes::hourly_price(service, class)?))
}

//! Unit tests of the stream and consumer configuration.

use super::*;

#[test]
fn defaults_build_and_bad_values_are_located() {
    let plan = KinesisConfig::default().plan().expect("defaults are valid");
    assert_eq!((plan.shards, plan.write_records, plan.retention), (1, 1000.0, DEFAULT_RETENTION));
    let bad: KinesisConfig = toml::from_str("shards = 0").unwrap();
    assert_eq!(bad.plan().unwrap_err().field, "shards");
    let bad: KinesisConfig = toml::from_str("shards = 4\n[[reshard]]\nat = \"1m\"\nshards = 9").unwrap();
    assert_eq!(bad.plan().unwrap_err().field, "reshard[0].shards");
    let consumer: ConsumerConfig = toml::from_str("stream = \"s\"\nmode = \"lambda\"").unwrap();
    assert_eq!(consumer.plan().unwrap_err().field, "function");
}

//! Unit tests of the component's plan and wiring (the behaviour is tested end to end in
//! tests/integration/elasticache.rs).

use super::*;
use crate::model::ComponentId;

fn context_plan(toml: &str) -> Result<CachePlan, SpecError> {
    let config: ElastiCacheConfig = toml::from_str(toml).map_err(|e| SpecError::new("", e.to_string()))?;
    let resolve = |name: &str| (name == "db").then_some(ComponentId(1));
    let az_index = |name: &str| ["a", "b", "c"].iter().position(|&n| n == name).map(|i| i as u16);
    let context = BuildContext { resolve: &resolve, az_index: &az_index, own_az: 0, az_count: 3 };
    config.plan(&context)
}

#[test]
fn defaults_follow_the_documented_sources() {
    let plan = context_plan("backing = \"db\"").unwrap();
    assert_eq!((plan.engine, plan.strategy, plan.shards, plan.threads), (Engine::Redis, Strategy::LazyLoading, 1, 1));
    assert_eq!(plan.policy, Policy::VolatileLru);
    assert_eq!(plan.sampling, Sampling::Sampled(5));
    assert_eq!(plan.ttl, Some(SimDuration::from_secs(300)));
    assert_eq!(plan.capacity, (DEFAULT_NODE_MEMORY as f64 * 0.75).floor() as u64);
    let plan =
        context_plan("backing = \"db\"\nengine = \"memcached\"\nshards = 3\neviction = \"allkeys-lru\"").unwrap();
    assert_eq!((plan.shards, plan.threads, plan.node_azs.len()), (3, 4, 3));
    let plan = context_plan("backing = \"db\"\ncluster_mode = true\nshards = 2\nreplicas = 2").unwrap();
    assert_eq!(plan.node_azs, vec![0, 1, 2, 0, 1, 2]);
}

#[test]
fn impossible_values_name_their_field() {
    for (toml, field) in [
        ("", ""),
        ("backing = \"nope\"", "backing"),
        ("backing = \"db\"\nengine = \"redsi\"", "engine"),
        ("backing = \"db\"\nshards = 2", "shards"),
        ("backing = \"db\"\nreplicas = 6", "replicas"),
        ("backing = \"db\"\neviction = \"lru\"", "eviction"),
        ("backing = \"db\"\neviction = \"allkeys-lfu\"\neviction_sampling = \"exact\"", "eviction_sampling"),
        ("backing = \"db\"\nengine = \"memcached\"\nreplicas = 1", "replicas"),
        ("backing = \"db\"\nengine = \"memcached\"", "eviction"),
        ("backing = \"db\"\nstrategy = \"write_back\"", "strategy"),
        ("backing = \"db\"\nmaxmemory_samples = 0", "maxmemory_samples"),
        ("backing = \"db\"\nreserved_memory_percent = 100", "reserved_memory_percent"),
        ("backing = \"db\"\nreplicas = 1\nreplica_azs = [\"z\"]", "replica_azs"),
    ] {
        let error = context_plan(toml).expect_err(toml);
        assert_eq!(error.field, field, "{toml}: {error}");
    }
}

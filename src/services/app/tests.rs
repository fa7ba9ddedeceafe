//! Unit tests of the app's configuration checks.

use super::*;
use crate::model::ComponentId;

fn context_plan(toml_text: &str) -> Result<AppPlan, SpecError> {
    let config: AppConfig = toml::from_str(toml_text).expect("parses");
    let resolve = |name: &str| match name {
        "db" => Some(ComponentId(1)),
        "cache" => Some(ComponentId(2)),
        _ => None,
    };
    let az_index = |name: &str| ["a", "b", "c"].iter().position(|n| *n == name).map(|i| i as u16);
    let context = BuildContext { resolve: &resolve, az_index: &az_index, own_az: 0, az_count: 3 };
    config.plan(&context)
}

#[test]
fn defaults_spread_instances_over_every_az_and_share_one_caller_per_target() {
    let plan = context_plan(
        "instances = 4\nreads = [{ call = \"cache\" }]\nwrites = [{ call = \"db\" }, { call = \"cache\", op = \"write\", optional = true }]",
    )
    .unwrap();
    assert_eq!(plan.azs, vec![0, 1, 2, 0]);
    assert_eq!(plan.targets.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["cache", "db"]);
    assert_eq!(plan.writes[1], Step { target: 0, op: Some(crate::model::Op::Write), optional: true });
    assert_eq!(plan.reads[0].op, None, "the request's own operation");
    assert_eq!(plan.health, (DEFAULT_HEALTH_INTERVAL, DEFAULT_HEALTH_TIMEOUT, 2, 5));
    assert_eq!(plan.balancing, Balancing::RoundRobin);
}

#[test]
fn mistakes_name_their_field() {
    let field = |text: &str| context_plan(text).unwrap_err().field;
    assert_eq!(field("reads = [{ call = \"cache\" }, { call = \"nope\" }]"), "reads[1].call");
    assert_eq!(field("writes = [{ call = \"db\", op = \"sned\" }]"), "writes[0].op");
    assert_eq!(field("instances = 0"), "instances");
    assert_eq!(field("balancer = \"fastest\""), "balancer");
    assert_eq!(field("azs = [\"a\", \"z\"]"), "azs[1]");
    assert_eq!(field("health_check = { interval = \"10s\", timeout = \"10s\" }"), "health_check.timeout");
    assert_eq!(field("autoscaling = { target = 1.5, max = 4 }"), "autoscaling.target");
    assert_eq!(field("instances = 3\nautoscaling = { target = 0.5, max = 2 }"), "autoscaling.max");
    let message = context_plan("writes = [{ call = \"db\", op = \"sned\" }]").unwrap_err().message;
    assert!(message.contains("send"), "{message}");
}

#[test]
fn autoscaling_sizes_the_instance_slots_to_its_max() {
    let plan = context_plan("instances = 2\nautoscaling = { target = 0.6, max = 7 }").unwrap();
    assert_eq!(plan.slots, 7);
    assert_eq!(plan.azs.len(), 7);
    let scaling = plan.scaling.unwrap();
    assert_eq!((scaling.min, scaling.max, scaling.warmup, scaling.cooldown), (2, 7, DEFAULT_WARMUP, DEFAULT_COOLDOWN));
}

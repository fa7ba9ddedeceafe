//! Building one sweep point: its world (components, workloads, faults, each with its own random
//! stream) and its components with the defaults they choose at build time written in.

use super::*;

impl ScenarioSpec {
    /// The components with the defaults their kinds choose at build time written in (see
    /// [`KindConfig::resolved`](crate::model::kind::KindConfig::resolved)).
    pub fn resolved_components(&self) -> Result<Vec<ComponentSpec>, PathError> {
        let resolve = |name: &str| self.components.iter().position(|c| c.name == name).map(|i| ComponentId(i as u32));
        let az_by_name = |name: &str| self.topology.az_index(name);
        let az_names = self.topology.all_azs();
        let az_count = az_names.len() as u16;
        self.components
            .iter()
            .map(|component| {
                let path = format!("component.{}", component.name);
                let own_az = match &component.az {
                    None => 0,
                    Some(az) => self.topology.az_index(az).unwrap_or(0),
                };
                let context = BuildContext { resolve: &resolve, az_index: &az_by_name, own_az, az_count };
                let config = component.config.resolved(&context, &az_names).map_err(|e| located(&path, e))?;
                let az = Some(component.az.clone().unwrap_or_else(|| az_names[usize::from(own_az)].clone()));
                Ok(ComponentSpec { name: component.name.clone(), az, config })
            })
            .collect()
    }

    /// Builds the world of one replication. Component `i` gets id `i`; workloads follow.
    pub fn build_world(&self, key: StreamKey) -> Result<World, PathError> {
        let mut ids: HashMap<&str, ComponentId> = HashMap::new();
        for (index, component) in self.components.iter().enumerate() {
            ids.insert(component.name.as_str(), ComponentId(index as u32));
        }
        let resolve = |name: &str| ids.get(name).copied();
        let az_index = |az: &Option<String>, path: String| -> Result<u16, PathError> {
            match az {
                None => Ok(0),
                Some(az) => self.topology.az_index(az).ok_or_else(|| {
                    (path, format!("unknown availability zone `{az}`; [topology] azs = {:?}", self.topology.azs))
                }),
            }
        };
        let mut world = World::new(self.simulation.run_config(), Network::new(&self.topology));
        let az_by_name = |name: &str| self.topology.az_index(name);
        let az_count = self.topology.all_azs().len() as u16;
        for component in &self.components {
            let path = format!("component.{}", component.name);
            let az = az_index(&component.az, format!("{path}.az"))?;
            let context = BuildContext { resolve: &resolve, az_index: &az_by_name, own_az: az, az_count };
            let built = component.config.build(&component.name, &context).map_err(|e| located(&path, e))?;
            let id = world.add(built, key.rng(&component.name));
            world.network_mut().place(id, az);
        }
        for workload in &self.workloads {
            let path = format!("workload.{}", workload.name);
            let az = az_index(&workload.config.az, format!("{path}.az"))?;
            let target = resolve(&workload.config.target).ok_or_else(|| {
                let known: Vec<String> = self.components.iter().map(|c| format!("`{}`", c.name)).collect();
                (
                    format!("{path}.target"),
                    format!(
                        "no component is called `{}` (components: {}){}",
                        workload.config.target,
                        known.join(", "),
                        crate::model::did_you_mean(
                            &workload.config.target,
                            self.components.iter().map(|c| c.name.as_str())
                        )
                    ),
                )
            })?;
            let horizon = SimTime::ZERO + self.simulation.duration.get();
            let built =
                Workload::new(&workload.name, &workload.config, target, horizon).map_err(|e| located(&path, e))?;
            let id = world.add(Box::new(built), key.rng(&workload.name));
            world.network_mut().place(id, az);
        }
        for (index, fault) in self.faults.iter().enumerate() {
            let path = format!("fault[{index}]");
            let plan = fault.plan(index, &az_by_name).map_err(|e| located(&path, e))?;
            if let FaultTiming::Scheduled { at, .. } = plan.timing
                && at >= self.simulation.duration.get()
            {
                return Err((
                    format!("{path}.at"),
                    format!(
                        "this fault starts at {}, at or after the end of the run (simulation.duration = {}): it would never happen",
                        crate::units::Duration(at),
                        self.simulation.duration
                    ),
                ));
            }
            let target = match &plan.target {
                Some(name) => Some(resolve(name).ok_or_else(|| {
                    let hint = crate::model::did_you_mean(name, self.components.iter().map(|c| c.name.as_str()));
                    (format!("{path}.target"), format!("no component is called `{name}`{hint}"))
                })?),
                None => None,
            };
            // Component names cannot contain '/', so fault streams never collide with them.
            world.add_fault(&plan, target, key.rng(&format!("fault/{index}"))).map_err(|e| located(&path, e))?;
        }
        Ok(world)
    }
}

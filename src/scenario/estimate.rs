//! The work of a run, estimated before it starts: each workload's expected request rate times
//! the duration times the events one request causes along its path (its arrival or think
//! timer, then what its target and the components it forwards to do, the reply). Retries,
//! faults and the world's own ticks are left out, so it is a floor for scenarios whose clients
//! retry a lot.

use super::*;

impl ScenarioSpec {
    /// Events one replication of this point is expected to deliver.
    pub fn expected_events(&self) -> f64 {
        self.expected_work().0
    }

    /// Events one replication of this point is expected to deliver, and the wall-clock
    /// seconds one thread takes to simulate them (each event at the cost its component's kind
    /// states, [`KindConfig::nanos_per_event`](crate::model::kind::KindConfig::nanos_per_event)).
    pub fn expected_work(&self) -> (f64, f64) {
        let duration = self.simulation.duration.secs();
        let (mut events, mut nanos) = (0.0, 0.0);
        for workload in &self.workloads {
            let Some(target) = self.components.iter().position(|c| c.name == workload.config.target) else {
                continue;
            };
            let config = &self.components[target].config;
            let rate = workload.config.expected_rate(duration, config.capacity()).unwrap_or(0.0);
            let (path_events, path_nanos) = self.path_work(target, workload.config.write_fraction);
            // The workload's own arrival (or think) timer, at its target's cost, then the path.
            let requests = rate * duration;
            events += requests * (1.0 + path_events);
            nanos += requests * (config.nanos_per_event() + path_nanos);
        }
        (events, nanos / 1e9)
    }

    /// Events a request causes from component `start` on, and their cost in nanoseconds: its
    /// own, and those of every component it forwards to (each counted once, so a cycle of
    /// forwards ends).
    fn path_work(&self, start: usize, write_fraction: f64) -> (f64, f64) {
        let mut seen = vec![false; self.components.len()];
        let mut next = vec![start];
        let (mut events, mut nanos) = (0.0, 0.0);
        while let Some(index) = next.pop() {
            if std::mem::replace(&mut seen[index], true) {
                continue;
            }
            let config = &self.components[index].config;
            let own = config.events_per_request(write_fraction);
            events += own;
            nanos += own * config.nanos_per_event();
            for (_, name) in config.references() {
                if let Some(other) = self.components.iter().position(|c| c.name == name) {
                    next.push(other);
                }
            }
        }
        (events, nanos)
    }
}

impl Scenario {
    /// Events the whole experiment is expected to deliver, and the seconds one thread takes
    /// to simulate them: each point's estimate for one run times its replications.
    pub fn expected_work(&self) -> (f64, f64) {
        self.points.iter().fold((0.0, 0.0), |(events, secs), point| {
            let (run_events, run_secs) = point.spec.expected_work();
            let replications = f64::from(point.spec.simulation.replications);
            (events + run_events * replications, secs + run_secs * replications)
        })
    }

    /// The name of the component or workload with id `id` in the worlds of point `point`
    /// (components first, in file order, then workloads).
    pub fn component_name(&self, point: usize, id: ComponentId) -> Option<&str> {
        let spec = &self.points.get(point)?.spec;
        let index = id.index();
        match spec.components.get(index) {
            Some(component) => Some(&component.name),
            None => spec.workloads.get(index - spec.components.len()).map(|w| w.name.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(body: &str) -> Scenario {
        let toml = format!("name = \"e\"\n[simulation]\nduration = \"100s\"\nreplications = 3\n{body}");
        Scenario::from_source("e.toml", &toml, Path::new("."), &[]).expect("loads")
    }

    /// An open workload on a station: 4 events a request (arrival, delivery, departure,
    /// reply); a tandem adds 2 a station; a closed loop runs at clients / think time.
    #[test]
    fn events_follow_rates_durations_and_paths() {
        let station = "[[component]]\nname = \"a\"\nkind = \"station\"\nservice = \"1ms\"\n";
        let open = "[[workload]]\nname = \"w\"\ntarget = \"a\"\narrival = { process = \"poisson\", rate = 10 }\n";
        let single = load(&format!("{station}{open}"));
        assert_eq!(single.points[0].spec.expected_events(), 10.0 * 100.0 * 4.0);
        let (events, secs) = single.expected_work();
        assert_eq!(events, 3.0 * 4000.0);
        assert!((secs - events * 100e-9).abs() < 1e-12, "{secs} s at 100 ns an event");
        let tandem = load(&format!(
            "{}next = \"b\"\n[[component]]\nname = \"b\"\nkind = \"station\"\nservice = \"1ms\"\n{open}",
            station
        ));
        assert_eq!(tandem.points[0].spec.expected_events(), 10.0 * 100.0 * 6.0);
        let closed =
            load(&format!("{station}[[workload]]\nname = \"w\"\ntarget = \"a\"\nclients = 5\nthink = \"2s\"\n"));
        assert_eq!(closed.points[0].spec.expected_events(), 2.5 * 100.0 * 4.0);
        // Without think time a closed loop runs at the station's capacity, 1,000/s.
        let busy = load(&format!("{station}[[workload]]\nname = \"w\"\ntarget = \"a\"\nclients = 5\n"));
        assert_eq!(busy.points[0].spec.expected_events(), 1000.0 * 100.0 * 4.0);
        assert_eq!(single.component_name(0, ComponentId(0)), Some("a"));
        assert_eq!(single.component_name(0, ComponentId(1)), Some("w"));
        assert_eq!(single.component_name(0, ComponentId(2)), None);
    }
}

//! Per-instance health under the shared fault mechanism: faults nest, so an instance is down
//! while any crash fault on it is active and runs at the product of its active slow factors
//! ([`nested_slow_factor`]); and a fault on a *role* (`primary`, `writer`) hits whoever holds
//! the role when the fault starts, so its end must reach that same instance however roles
//! moved meanwhile ([`FaultBindings`], keyed by [`FaultSignal::id`](crate::model::fault::FaultSignal::id)).

use crate::model::fault::nested_slow_factor;

/// Crash depth and slow factor of one instance.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Health {
    crash_depth: u32,
    slow: f64,
}

impl Default for Health {
    fn default() -> Self {
        Health { crash_depth: 0, slow: 1.0 }
    }
}

impl Health {
    /// A crash fault (or anything else that holds the instance down, like its AZ's outage)
    /// starts (`active`) or ends. Returns true if the instance is now crashed.
    #[inline]
    pub fn crash(&mut self, active: bool) -> bool {
        self.crash_depth = if active { self.crash_depth.saturating_add(1) } else { self.crash_depth.saturating_sub(1) };
        self.is_crashed()
    }

    /// True while any crash fault is active.
    #[inline]
    pub fn is_crashed(&self) -> bool {
        self.crash_depth > 0
    }

    /// Active crash faults.
    #[inline]
    pub fn crash_depth(&self) -> u32 {
        self.crash_depth
    }

    /// The instance was replaced by a new host: the crash faults active now no longer hold it
    /// down (their ends are ignored).
    #[inline]
    pub fn clear_crashes(&mut self) {
        self.crash_depth = 0;
    }

    /// A slow fault with `factor` starts or ends; returns the service-time multiplier now.
    #[inline]
    pub fn slow(&mut self, factor: f64, active: bool) -> f64 {
        self.slow = nested_slow_factor(self.slow, factor, active);
        self.slow
    }

    /// The service-time multiplier of the active slow faults (1 = normal speed).
    #[inline]
    pub fn slow_factor(&self) -> f64 {
        self.slow
    }
}

/// Which instance each active fault was resolved to when it started.
#[derive(Clone, Debug, Default)]
pub struct FaultBindings {
    /// (fault id, instance), in start order. Faults are few: a linear scan is the fastest map.
    active: Vec<(u32, usize)>,
}

impl FaultBindings {
    /// Fault `id` starts on `instance`.
    pub fn start(&mut self, id: u32, instance: usize) {
        self.active.push((id, instance));
    }

    /// Fault `id` ends: the instance it started on, if it was bound.
    pub fn end(&mut self, id: u32) -> Option<usize> {
        let position = self.active.iter().position(|&(bound, _)| bound == id)?;
        Some(self.active.remove(position).1)
    }

    /// Resolves a fault signal: at its start, binds `id` to `holder` (the instance holding the
    /// role now) and returns it; at its end, returns the instance it was bound to.
    pub fn resolve(&mut self, id: u32, active: bool, holder: usize) -> Option<usize> {
        if active {
            self.start(id, holder);
            Some(holder)
        } else {
            self.end(id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crashes_and_slow_faults_nest() {
        let mut health = Health::default();
        assert!(health.crash(true));
        assert!(health.crash(true));
        assert!(health.crash(false), "one of two crashes ended: still down");
        assert!(!health.crash(false));
        assert!(!health.crash(false), "an unmatched end does not go negative");
        assert_eq!(health.slow(3.0, true), 3.0);
        assert_eq!(health.slow(2.0, true), 6.0);
        assert_eq!(health.slow(3.0, false), 2.0);
        assert_eq!(health.slow(2.0, false), 1.0);
        health.crash(true);
        health.clear_crashes();
        assert!(!health.is_crashed());
    }

    #[test]
    fn a_role_fault_ends_on_the_instance_it_started_on() {
        let mut bindings = FaultBindings::default();
        // Fault 7 hits the primary (instance 0); a failover makes instance 1 primary; fault 9
        // hits it. Fault 9 ends first, then fault 7: each on its own instance.
        assert_eq!(bindings.resolve(7, true, 0), Some(0));
        assert_eq!(bindings.resolve(9, true, 1), Some(1));
        assert_eq!(bindings.resolve(9, false, 0), Some(1));
        assert_eq!(bindings.resolve(7, false, 1), Some(0));
        assert_eq!(bindings.end(7), None, "ended once");
    }
}

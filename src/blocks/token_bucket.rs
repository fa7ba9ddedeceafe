//! A token bucket: the one rate limiter every service uses (Kinesis shard write limits of
//! 1 MiB/s and 1,000 records/s, SQS API rates, Lambda concurrency bursts, DynamoDB capacity).
//! Tokens accrue continuously at `rate` per second up to `capacity` (the burst); an operation
//! that finds fewer tokens than it needs is refused (throttled) or waits for them.

use crate::engine::{SimDuration, SimTime};

/// A token bucket that starts full.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    updated: SimTime,
}

impl TokenBucket {
    /// A full bucket refilling at `rate` tokens per second up to `capacity`. Both must be
    /// positive and finite (checked by the caller's configuration).
    pub fn new(rate: f64, capacity: f64) -> Self {
        debug_assert!(rate > 0.0 && rate.is_finite() && capacity > 0.0 && capacity.is_finite());
        TokenBucket { rate, capacity, tokens: capacity, updated: SimTime::ZERO }
    }

    /// Tokens per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The burst size.
    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    #[inline]
    fn refill(&mut self, now: SimTime) {
        if now > self.updated {
            let elapsed = (now - self.updated).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
            self.updated = now;
        }
    }

    /// Tokens available at `now`.
    #[inline]
    pub fn available(&mut self, now: SimTime) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Takes `amount` tokens if that many are available at `now`; false (and nothing taken)
    /// otherwise.
    #[inline]
    pub fn try_take(&mut self, now: SimTime, amount: f64) -> bool {
        self.refill(now);
        // A tolerance of a billionth of a token absorbs the rounding of the refill, so an
        // operation due exactly when its tokens are there is not refused.
        if self.tokens + 1e-9 >= amount {
            self.tokens = (self.tokens - amount).max(0.0);
            true
        } else {
            false
        }
    }

    /// How long from `now` until `amount` tokens are available (zero if they are now), or
    /// None if `amount` exceeds the capacity and never will be.
    pub fn wait_for(&mut self, now: SimTime, amount: f64) -> Option<SimDuration> {
        if amount > self.capacity {
            return None;
        }
        self.refill(now);
        let missing = amount - self.tokens;
        if missing <= 0.0 {
            return Some(SimDuration::ZERO);
        }
        // Rounded up to the nanosecond (less a millionth of one, so that a float product just
        // above an integer does not add a nanosecond), so the tokens are there when it ends.
        let nanos = (missing / self.rate * 1e9 - 1e-6).ceil().max(0.0);
        Some(SimDuration::from_nanos(nanos as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(secs)
    }

    #[test]
    fn a_full_bucket_allows_its_burst_then_its_rate() {
        // 1,000 records/s with a burst of 1,000 (a Kinesis shard's write limit).
        let mut bucket = TokenBucket::new(1000.0, 1000.0);
        let admitted = (0..1500).filter(|_| bucket.try_take(at(0.0), 1.0)).count();
        assert_eq!(admitted, 1000, "the burst");
        assert!(!bucket.try_take(at(0.0), 1.0));
        assert!((bucket.available(at(0.25)) - 250.0).abs() < 1e-6, "refills at the rate");
        assert!((bucket.available(at(10.0)) - 1000.0).abs() < 1e-9, "never beyond capacity");
    }

    #[test]
    fn over_a_long_run_admissions_approach_the_rate() {
        // Offered 2,000/s at evenly spaced instants for 10 s against a 1,000/s bucket: at most
        // rate × time + capacity = 11,000 admitted, and at least rate × time.
        let mut bucket = TokenBucket::new(1000.0, 1000.0);
        let admitted = (0..20_000).filter(|&k| bucket.try_take(at(f64::from(k) * 0.0005), 1.0)).count();
        assert!((10_000..=11_000).contains(&admitted), "admitted {admitted}");
    }

    #[test]
    fn waits_are_exact_and_impossible_amounts_are_refused() {
        let mut bucket = TokenBucket::new(100.0, 10.0);
        assert!(bucket.try_take(at(0.0), 10.0));
        assert_eq!(bucket.wait_for(at(0.0), 5.0), Some(SimDuration::from_millis(50)));
        assert_eq!(bucket.wait_for(at(0.0), 11.0), None, "more than the burst never fits");
        assert!(bucket.try_take(at(0.05), 5.0), "the wait was long enough");
        assert_eq!(bucket.wait_for(at(1.0), 10.0), Some(SimDuration::ZERO));
    }
}

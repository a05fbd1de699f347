//! A token bucket: how many frames one signalling socket may send. An
//! extension sends a keepalive every 20 s and a handful of messages per
//! call, so the bucket is generous; a flood empties it and the socket is
//! closed, while every other socket (and rep) carries on.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RateBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    updated: Instant,
}

impl RateBucket {
    /// Full at first: `burst` frames at once, then `per_second` on average.
    pub fn new(burst: u32, per_second: u32, now: Instant) -> Self {
        Self {
            capacity: f64::from(burst),
            per_second: f64::from(per_second),
            tokens: f64::from(burst),
            updated: now,
        }
    }

    /// Takes one token; `false` when there is none (the sender is flooding).
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated);
        self.updated = now;
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Frames a socket may send at once, and per second after that.
pub const SOCKET_BURST: u32 = 60;
pub const SOCKET_PER_SECOND: u32 = 20;

/// How long a full bucket takes to refill from empty (for docs and tests).
pub fn refill_time() -> Duration {
    Duration::from_secs_f64(f64::from(SOCKET_BURST) / f64::from(SOCKET_PER_SECOND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_a_flood_does_not_and_time_refills() {
        let start = Instant::now();
        let mut bucket = RateBucket::new(3, 2, start);
        assert!((0..3).all(|_| bucket.take(start)), "the burst passes");
        assert!(!bucket.take(start), "then it is empty");
        assert!(
            bucket.take(start + Duration::from_millis(500)),
            "one token per half second"
        );
        assert!(!bucket.take(start + Duration::from_millis(500)));
        // Never more than the burst, however long it rested.
        let later = start + Duration::from_secs(3600);
        assert!((0..3).all(|_| bucket.take(later)));
        assert!(!bucket.take(later));
        assert_eq!(refill_time(), Duration::from_secs(3));
    }
}

//! How long audio spends inside the server, for `make bench`.

use serde::Serialize;
use std::time::Duration;

/// Samples of the time a packet spends in the server on its way in (datagram
/// read → decoded audio handed to the caller's side) and out (the 20 ms tick's
/// work starting → the encrypted packet handed to the socket).
#[derive(Debug, Default)]
pub struct Latencies {
    ingress_us: Vec<u32>,
    egress_us: Vec<u32>,
}

/// Kept per direction; older samples are dropped first (about 20 minutes of
/// one call, or 2 seconds of 500).
const MAX_SAMPLES: usize = 60_000;

/// Percentiles of one direction, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct LatencySummary {
    pub count: usize,
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
}

impl Latencies {
    pub fn record_ingress(&mut self, spent: Duration) {
        push(&mut self.ingress_us, spent);
    }

    pub fn record_egress(&mut self, spent: Duration) {
        push(&mut self.egress_us, spent);
    }

    pub fn summary(&self) -> (LatencySummary, LatencySummary) {
        (summarise(&self.ingress_us), summarise(&self.egress_us))
    }

    pub fn clear(&mut self) {
        self.ingress_us.clear();
        self.egress_us.clear();
    }
}

fn push(samples: &mut Vec<u32>, spent: Duration) {
    if samples.len() >= MAX_SAMPLES {
        samples.drain(..MAX_SAMPLES / 2);
    }
    samples.push(u32::try_from(spent.as_micros()).unwrap_or(u32::MAX));
}

fn summarise(samples: &[u32]) -> LatencySummary {
    if samples.is_empty() {
        return LatencySummary::default();
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    LatencySummary {
        count: sorted.len(),
        p50_us: at(0.50),
        p99_us: at(0.99),
        max_us: at(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_samples() {
        let mut latencies = Latencies::default();
        for us in 1..=100 {
            latencies.record_ingress(Duration::from_micros(us));
        }
        let (ingress, egress) = latencies.summary();
        assert_eq!(ingress.count, 100);
        assert_eq!(ingress.p50_us, 51);
        assert_eq!(ingress.p99_us, 99);
        assert_eq!(ingress.max_us, 100);
        assert_eq!(egress, LatencySummary::default());
    }
}

//! The one exponential backoff of the command's retry loops (publishing to the reports branch, calling
//! GitHub): `base · 2^steps`, capped. Callers add their own jitter or honour a server's `Retry-After`.

use std::time::Duration;

/// `base · 2^steps`, at most `max` (steps beyond 16 count as 16).
pub fn doubling(base: Duration, max: Duration, steps: u32) -> Duration {
    base.saturating_mul(1u32 << steps.min(16)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_stays_at_the_cap() {
        let (b, m) = (Duration::from_millis(100), Duration::from_secs(1));
        let got: Vec<u128> = (0..6).map(|s| doubling(b, m, s).as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(doubling(b, Duration::MAX, 40), b * 65_536);
    }
}

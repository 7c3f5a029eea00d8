//! Stress: closed-model steps of rising concurrency until the service breaks.
//!
//! Each step (default 5 → 50 users by 5) is warmed, then measured. After each step the stop rules are
//! checked, in this order:
//! 1. error rate above the limit (default 5 %);
//! 2. p95 above the limit (default the p95 gate, 500 ms);
//! 3. saturation: throughput grew less than 5 % over the previous step while p95 rose more than 20 %;
//! 4. collapse: throughput below 90 % of the best step so far.
//!
//! The first rule that fires names the breaking point; the last step that passed every rule is the last good
//! step. When every step passes, the result says "no breaking point found up to N users" — which is a
//! finding, not a failure.
//!
//! With `bisect = true`, a breaking point found after a good step is narrowed by bisection between the two
//! ([`next_bisection`]): a step at the midpoint, judged by the same rules against the steps below it, moves
//! either end, until the two are at most `step_size / 4` users apart (at least 1). Two or three more steps
//! instead of a finer grid from the start.

use std::time::Duration;

use perfgate_reports::record::StressStep;

/// Limits that end a stress test.
#[derive(Clone, Debug)]
pub struct StressRules {
    pub max_error_rate_percent: f64,
    pub max_p95_ms: f64,
    /// Rule 3: minimum throughput gain (fraction) …
    pub min_throughput_gain: f64,
    /// … below which a p95 rise of more than this fraction means saturation.
    pub max_p95_rise: f64,
    /// Rule 4: throughput below this fraction of the best step.
    pub min_fraction_of_best: f64,
}

impl Default for StressRules {
    fn default() -> Self {
        Self {
            max_error_rate_percent: perfgate_reports::limits::ERROR_RATE_PERCENT,
            max_p95_ms: perfgate_reports::limits::P95_MS,
            min_throughput_gain: 0.05,
            max_p95_rise: 0.20,
            min_fraction_of_best: 0.90,
        }
    }
}

/// Stress settings.
#[derive(Clone, Debug)]
pub struct StressPlan {
    pub start_concurrency: u32,
    pub max_concurrency: u32,
    pub step_size: u32,
    pub step_duration: Duration,
    pub step_warmup: Duration,
    pub think_time: Duration,
    pub grace: Duration,
    pub rules: StressRules,
    /// Narrow the breaking point by bisection after the first failing step.
    pub bisect: bool,
}

impl StressPlan {
    /// The concurrency of every step.
    pub fn levels(&self) -> Vec<u32> {
        let step = self.step_size.max(1);
        let start = self.start_concurrency.max(1);
        let mut out = Vec::new();
        let mut c = start;
        while c <= self.max_concurrency.max(start) {
            out.push(c);
            c += step;
        }
        out
    }
}

/// The next concurrency to try when bisecting between the last good level and the first failing one, or
/// `None` when they are within `step_size / 4` users (at least 1) of each other.
pub fn next_bisection(good: u32, bad: u32, step_size: u32) -> Option<u32> {
    let resolution = (step_size / 4).max(1);
    (bad > good && bad - good > resolution).then(|| good + (bad - good) / 2)
}

/// Checks the stop rules for `step` given the steps before it. Returns the reason to stop, if any.
pub fn stop_reason(
    rules: &StressRules,
    previous: &[StressStep],
    step: &StressStep,
) -> Option<String> {
    if step.error_rate_percent > rules.max_error_rate_percent {
        return Some(format!(
            "error rate {:.1}% above {:.1}%",
            step.error_rate_percent, rules.max_error_rate_percent
        ));
    }
    if step.latency_ms.p95 > rules.max_p95_ms {
        return Some(format!(
            "p95 {:.1} ms above {:.1} ms",
            step.latency_ms.p95, rules.max_p95_ms
        ));
    }
    if let Some(prev) = previous.last() {
        if prev.throughput_rps > 0.0 && prev.latency_ms.p95 > 0.0 {
            let gain = step.throughput_rps / prev.throughput_rps - 1.0;
            let rise = step.latency_ms.p95 / prev.latency_ms.p95 - 1.0;
            if gain < rules.min_throughput_gain && rise > rules.max_p95_rise {
                return Some(format!(
                    "saturated: throughput {:+.1}% while p95 rose {:+.1}% over {} users",
                    gain * 100.0,
                    rise * 100.0,
                    prev.concurrency
                ));
            }
        }
    }
    let best = previous
        .iter()
        .map(|s| s.throughput_rps)
        .fold(0.0_f64, f64::max);
    if best > 0.0 && step.throughput_rps < rules.min_fraction_of_best * best {
        return Some(format!(
            "throughput {:.1} rps fell below {:.0}% of the best step ({:.1} rps)",
            step.throughput_rps,
            rules.min_fraction_of_best * 100.0,
            best
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_reports::record::LatencyMs;

    fn step(c: u32, rps: f64, p95: f64, err: f64) -> StressStep {
        StressStep {
            concurrency: c,
            throughput_rps: rps,
            error_rate_percent: err,
            latency_ms: LatencyMs {
                p95,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn rules_fire_in_order() {
        let r = StressRules::default();
        assert!(stop_reason(&r, &[], &step(5, 100.0, 10.0, 6.0))
            .unwrap()
            .starts_with("error rate"));
        assert!(stop_reason(&r, &[], &step(5, 100.0, 600.0, 0.0))
            .unwrap()
            .starts_with("p95"));
        let prev = [step(5, 100.0, 10.0, 0.0)];
        assert!(stop_reason(&r, &prev, &step(10, 103.0, 13.0, 0.0))
            .unwrap()
            .starts_with("saturated"));
        assert_eq!(stop_reason(&r, &prev, &step(10, 180.0, 13.0, 0.0)), None);
        let prevs = [step(5, 100.0, 10.0, 0.0), step(10, 200.0, 10.0, 0.0)];
        assert!(stop_reason(&r, &prevs, &step(15, 170.0, 10.0, 0.0))
            .unwrap()
            .contains("below 90%"));
    }

    #[test]
    fn bisection_narrows_to_a_quarter_step() {
        // Good at 30, broken at 40, step 10: 35, then 32 (or 37), then done within 2 users.
        assert_eq!(next_bisection(30, 40, 10), Some(35));
        assert_eq!(next_bisection(30, 35, 10), Some(32));
        assert_eq!(next_bisection(32, 35, 10), Some(33));
        assert_eq!(next_bisection(33, 35, 10), None);
        // A step of 1 or 2 users is already exact.
        assert_eq!(next_bisection(4, 5, 1), None);
        assert_eq!(next_bisection(4, 6, 2), Some(5));
        assert_eq!(next_bisection(5, 5, 5), None);
        // Whatever the breaking point, the search ends within the resolution in a few steps.
        for bad in 11..=20 {
            let (mut g, mut b, mut n) = (10, 20, 0);
            while let Some(m) = next_bisection(g, b, 10) {
                n += 1;
                if m >= bad {
                    b = m;
                } else {
                    g = m;
                }
            }
            assert!(b - g <= 2 && n <= 3, "bad {bad}: {g}..{b} after {n}");
            assert!(g < bad && b >= bad.min(20), "bad {bad}: {g}..{b}");
        }
    }

    #[test]
    fn levels_default_shape() {
        let plan = StressPlan {
            start_concurrency: 5,
            max_concurrency: 50,
            step_size: 5,
            step_duration: Duration::from_secs(1),
            step_warmup: Duration::ZERO,
            think_time: Duration::ZERO,
            grace: Duration::ZERO,
            rules: StressRules::default(),
            bisect: false,
        };
        assert_eq!(plan.levels(), vec![5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    }
}

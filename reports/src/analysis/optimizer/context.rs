//! What the record says around one operation: its phase, concurrency, saturation, and the load timeline's
//! evidence (latency rising with users, p99 spikes).

use std::collections::BTreeMap;

use super::settings::HOST_SATURATED_PERCENT;
use crate::analysis::compare::ComparisonRow;
use crate::record::{LoadSection, RunRecord, StressSection, TestType, TimelinePoint};

pub(super) type RegressedRows<'a> = BTreeMap<(TestType, &'a str), Vec<&'a ComparisonRow>>;

/// What the record says around one operation.
pub(super) struct Context<'a> {
    pub(super) test_type: TestType,
    pub(super) load: Option<&'a LoadSection>,
    pub(super) stress: Option<&'a StressSection>,
    /// Concurrency of the phase (1 for a benchmark).
    pub(super) concurrency: u32,
    /// The phase's whole-host CPU, when it was at or above [`HOST_SATURATED_PERCENT`].
    pub(super) host_saturated: Option<f64>,
    /// perfgate itself used the CPU it could.
    pub(super) runner_saturated: bool,
}

impl<'a> Context<'a> {
    pub(super) fn new(rec: &'a RunRecord, test_type: TestType) -> Self {
        let load = rec.load.as_ref();
        let concurrency = match test_type {
            TestType::Load => load.map(|l| l.concurrent_users).unwrap_or(1),
            _ => 1,
        };
        let phase = match test_type {
            TestType::Benchmark => rec.benchmark.as_ref().map(|b| &b.system),
            TestType::Load => load.map(|l| &l.system),
            TestType::Stress => rec.stress.as_ref().map(|s| &s.system),
        };
        let host_saturated = phase
            .and_then(|p| p.host_cpu_percent)
            .or(rec.system.host_cpu_percent.filter(|_| rec.stress.is_none()))
            .filter(|h| *h >= HOST_SATURATED_PERCENT);
        Self {
            test_type,
            load: if test_type == TestType::Load {
                load
            } else {
                None
            },
            stress: rec.stress.as_ref(),
            concurrency,
            host_saturated,
            runner_saturated: rec.system.runner_saturated
                || phase.is_some_and(|p| p.runner_saturated),
        }
    }
}

/// How much p95 rose from the first to the last third of the ramp-up, when it rose at least 2× together with
/// the active users.
pub(super) fn latency_rise_with_users(t: &[TimelinePoint]) -> Option<f64> {
    if t.len() < 6 {
        return None;
    }
    let third = t.len() / 3;
    let first = &t[..third];
    let last = &t[t.len() - third..];
    let avg = |s: &[TimelinePoint], f: fn(&TimelinePoint) -> f64| {
        s.iter().map(f).sum::<f64>() / s.len() as f64
    };
    let users_first = avg(first, |p| p.active_users as f64);
    let users_last = avg(last, |p| p.active_users as f64);
    let p95_first = avg(first, |p| p.p95_ms);
    let p95_last = avg(last, |p| p.p95_ms);
    (users_last > 1.5 * users_first && p95_first > 0.0 && p95_last > 2.0 * p95_first)
        .then(|| p95_last / p95_first)
}

/// Seconds whose p99 is above 3× the median per-second p99, when there are a few but not most.
pub(super) fn p99_spike_seconds(t: &[TimelinePoint]) -> Option<String> {
    let p99s: Vec<f64> = t
        .iter()
        .filter(|p| p.requests > 0)
        .map(|p| p.p99_ms)
        .collect();
    if p99s.len() < 5 {
        return None;
    }
    let med = crate::stats::median(&p99s)?;
    if med <= 0.0 {
        return None;
    }
    let spikes: Vec<u32> = t
        .iter()
        .filter(|p| p.requests > 0 && p.p99_ms > 3.0 * med)
        .map(|p| p.second)
        .collect();
    if spikes.is_empty() || spikes.len() * 4 > p99s.len() {
        return None;
    }
    let mut list: Vec<String> = spikes.iter().take(8).map(|s| s.to_string()).collect();
    if spikes.len() > 8 {
        list.push("…".into());
    }
    Some(list.join(", "))
}

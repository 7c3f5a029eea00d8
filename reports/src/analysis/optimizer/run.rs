//! Findings about the run as a whole, said once: memory and CPU over a configured threshold per phase, the
//! host or the generator saturated, open-model starts falling behind, memory growing over the load timeline,
//! the stress curve.

use std::collections::BTreeMap;

use super::settings::{Targets, HOST_SATURATED_PERCENT};
use crate::analysis::section::{Recommendation, RecommendationType, Severity};
use crate::metric::{sig, Direction, Metric};
use crate::record::{LoadSection, OperationResult, RunRecord, StressSection, TestType};

/// Memory and CPU above a configured threshold, said once per phase rather than once per operation: in a
/// load test every operation carries the same process figures, and a benchmark's are one process too.
#[derive(Default)]
pub(super) struct ResourceFindings {
    pub(super) groups: BTreeMap<ResourceKey, ResourceGroup>,
}

/// Phase, metric, whether the figures are the runner's, the threshold as described.
pub(super) type ResourceKey = (TestType, Metric, bool, String);

/// The operations over one threshold, the highest value among them, and the threshold.
pub(super) struct ResourceGroup {
    pub(super) value: f64,
    pub(super) limit: f64,
    pub(super) operations: Vec<String>,
}

impl ResourceFindings {
    /// Notes `op`'s memory and CPU when they break a configured threshold. Returns the metrics it noted.
    pub(super) fn add(
        &mut self,
        test_type: TestType,
        op: &OperationResult,
        t: &Targets,
    ) -> Vec<Metric> {
        let runner = op.resource_source == "runner";
        let mut noted = Vec::new();
        for (metric, target, value) in [
            (Metric::MemoryMb, t.memory_mb, op.memory_usage_mb),
            (Metric::CpuPercent, t.cpu_percent, op.cpu_usage_percent),
        ] {
            // A threshold on a metric that was not measured is not evidence either way.
            let (Some(target), Some(value)) = (target, value) else {
                continue;
            };
            if !value.is_finite() || !target.broken_by(value, Direction::LowerIsBetter) {
                continue;
            }
            noted.push(metric);
            let key = (test_type, metric, runner, target.describe(metric));
            let group = self.groups.entry(key).or_insert(ResourceGroup {
                value,
                limit: target.limit,
                operations: Vec::new(),
            });
            group.value = group.value.max(value);
            group.operations.push(op.operation_name.clone());
        }
        noted
    }

    pub(super) fn into_recommendations(self) -> Vec<Recommendation> {
        let mut out = Vec::new();
        for ((test_type, metric, runner, threshold), group) in self.groups {
            let ResourceGroup {
                value,
                limit,
                operations: ops,
            } = group;
            let whose = if runner {
                "the runner (perfgate itself)"
            } else {
                "the service"
            };
            let severity = if value > 1.5 * limit {
                Severity::High
            } else {
                Severity::Medium
            };
            let ops_text = if ops.len() > 4 {
                format!("{} operations", ops.len())
            } else {
                ops.join(", ")
            };
            let (kind, suggestion) = match (metric, runner) {
                (Metric::MemoryMb, true) => (RecommendationType::Memory, "These are the runner's figures: let perfgate start the service (or give its pid) to measure the service's memory."),
                (Metric::MemoryMb, false) => (RecommendationType::Memory, "Bound caches and buffers, stream large responses instead of building them in memory, and check the memory timeline of a load test for growth (a leak)."),
                (_, true) => (RecommendationType::Cpu, "These are the runner's figures: a busy runner distorts latency. Add shards or a larger runner."),
                (_, false) => (RecommendationType::Cpu, "Profile the service under this load (`perf record -g`, a flamegraph) and remove the hottest work; CPU-bound services scale with cores or instances."),
            };
            out.push(Recommendation {
                kind,
                severity,
                message: format!(
                    "{} of {whose} {} is above {threshold} during the {test_type} test ({ops_text})",
                    if metric == Metric::MemoryMb {
                        "Memory"
                    } else {
                        "CPU"
                    },
                    metric.format_value(value),
                ),
                suggestions: vec![suggestion.to_string()],
            });
        }
        out
    }
}

/// The highest whole-host CPU of the benchmark and load phases, when at or above
/// [`HOST_SATURATED_PERCENT`]. The whole run's reading counts only without phase readings and without a stress
/// test (which drives the machine to its limit on purpose).
pub(super) fn saturated_host_cpu(rec: &RunRecord) -> Option<f64> {
    let phases: Vec<f64> = [
        rec.benchmark.as_ref().map(|b| &b.system),
        rec.load.as_ref().map(|l| &l.system),
    ]
    .into_iter()
    .flatten()
    .filter_map(|s| s.host_cpu_percent)
    .collect();
    let readings = if phases.is_empty() && rec.stress.is_none() {
        rec.system.host_cpu_percent.into_iter().collect()
    } else {
        phases
    };
    readings
        .into_iter()
        .filter(|h| h.is_finite())
        .reduce(f64::max)
        .filter(|h| *h >= HOST_SATURATED_PERCENT)
}

/// The generator (perfgate) or the host saturated: said once per run, since it concerns every number of it.
///
/// A saturated runner is always `high`: its figures are perfgate's limits. A host at ≥ 90 % CPU is blamed
/// with `medium` when something looks wrong (`troubled`: an operation has a warning), since the machine is
/// then a likely cause; otherwise it is `low`: a closed-model load test without think time drives some part
/// of a small machine to its limit, and that alone is what the test measures, not a fault.
pub(super) fn generator_findings(rec: &RunRecord, troubled: bool, out: &mut Vec<Recommendation>) {
    let host = saturated_host_cpu(rec);
    let saturated = rec.system.runner_saturated
        || rec
            .benchmark
            .as_ref()
            .is_some_and(|b| b.system.runner_saturated)
        || rec.load.as_ref().is_some_and(|l| l.system.runner_saturated)
        || rec
            .stress
            .as_ref()
            .is_some_and(|s| s.system.runner_saturated);
    if saturated {
        let mut cpu = rec
            .system
            .runner
            .as_ref()
            .map(|r| format!(" ({}% CPU on average)", sig(r.cpu_avg_percent)))
            .unwrap_or_default();
        if let Some(h) = host {
            cpu.push_str(&format!(", with the host's CPU at {}%", sig(h)));
        }
        out.push(Recommendation {
            kind: RecommendationType::Generator,
            severity: Severity::High,
            message: format!(
                "The runner was saturated{cpu}: latency and throughput figures are the runner's limits, not the service's"
            ),
            suggestions: vec![
                "Split the load over shards (`--shard 1/N` on N runners) or use a runner with more cores.".to_string(),
                "Run the service on other cores than perfgate (e.g. `taskset`), or on another machine.".to_string(),
                "Lower the concurrency, or use the open model with a target rate the runner can sustain.".to_string(),
            ],
        });
    }
    if let (Some(h), false) = (host, saturated) {
        out.push(Recommendation {
            kind: RecommendationType::Cpu,
            severity: if troubled { Severity::Medium } else { Severity::Low },
            message: format!(
                "The host's CPU was at {}% on average: the service, perfgate and anything else on the machine competed for cores, so latency and throughput are this machine's limits as much as the service's",
                sig(h)
            ),
            suggestions: vec![
                "Run the service on other cores than perfgate (e.g. `taskset`) or on another machine.".to_string(),
                "Lower the concurrency, add think time or use the open model with a target rate below capacity to measure the service rather than the machine.".to_string(),
                "Check that nothing else was running on the machine (another job, a build).".to_string(),
            ],
        });
    }
    if let Some(load) = &rec.load {
        let total = load.overall.total_requests + load.dropped_starts;
        if total > 0 && load.model == "open" {
            let late = load.late_starts as f64 * 100.0 / total as f64;
            let dropped = load.dropped_starts as f64 * 100.0 / total as f64;
            if late > 1.0 || dropped > 0.0 {
                out.push(Recommendation {
                    kind: RecommendationType::Generator,
                    severity: if dropped > 1.0 { Severity::High } else { Severity::Medium },
                    message: format!(
                        "The generator fell behind the target rate: {}% of requests started late, {}% never started",
                        sig(late),
                        sig(dropped)
                    ),
                    suggestions: vec![
                        "Raise `concurrent_users` so enough users are free to start requests on time, or lower `target_rps`.".to_string(),
                        "If the runner is busy, add shards.".to_string(),
                    ],
                });
            }
        }
    }
}

/// Least-squares slope of `ys` over `xs`.
pub(super) fn slope(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let mx = crate::stats::mean(xs)?;
    let my = crate::stats::mean(ys)?;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The shortest load timeline (seconds) over which growing memory is called a leak.
pub const LEAK_MIN_SECONDS: f64 = 20.0;

/// Memory rising over the load timeline and still rising at the end: a leak or an unbounded cache.
///
/// The rule: the least-squares growth over the timeline exceeds 10 % of the starting memory and 5 MB, and the
/// slope of the last third is at least half the overall slope (memory that grows during warm-up and then levels
/// off is a cache filling, not a leak). Over less than [`LEAK_MIN_SECONDS`] the same growth is only `low`: a
/// short run cannot tell a leak from a heap or cache still warming up (a garbage-collected runtime grows its
/// heap for a while after start).
pub fn memory_leak_finding(load: &LoadSection) -> Option<Recommendation> {
    let pts: Vec<(f64, f64)> = load
        .timeline
        .iter()
        .filter_map(|p| p.memory_mb.map(|m| (p.second as f64, m)))
        .filter(|(_, m)| m.is_finite())
        .collect();
    if pts.len() < 6 {
        return None;
    }
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let k = slope(&xs, &ys)?;
    let span = xs[xs.len() - 1] - xs[0];
    let growth = k * span;
    let start = ys[..3].iter().sum::<f64>() / 3.0;
    let tail = pts.len() * 2 / 3;
    let k_tail = slope(&xs[tail..], &ys[tail..])?;
    if growth > 5.0 && growth > 0.1 * start && k_tail >= 0.5 * k {
        let end = ys[ys.len() - 3..].iter().sum::<f64>() / 3.0;
        let short = span < LEAK_MIN_SECONDS;
        Some(Recommendation {
            kind: RecommendationType::Memory,
            severity: if short { Severity::Low } else { Severity::High },
            message: format!(
                "Memory grew from {} MB to {} MB over the {} s load test ({} MB/min) and was still growing at the end{}",
                sig(start),
                sig(end),
                sig(span),
                sig(k * 60.0),
                if short {
                    ", too short a run to tell a leak from warm-up"
                } else {
                    ""
                }
            ),
            suggestions: vec![
                "A leak or an unbounded cache: take two heap profiles a minute apart under load and diff them.".to_string(),
                "Check caches and maps keyed by request data for a size bound or expiry.".to_string(),
                "Run the load test longer: a cache levels off, a leak keeps growing.".to_string(),
            ],
        })
    } else {
        None
    }
}

/// The stress curve: the breaking point and a throughput plateau.
pub(super) fn stress_findings(stress: &StressSection, out: &mut Vec<Recommendation>) {
    // Plateau: from some step on, throughput grows < 10 % while concurrency grows ≥ 50 %.
    let steps = &stress.steps;
    let plateau = steps.windows(2).position(|w| {
        w[0].throughput_rps > 0.0
            && (w[1].concurrency as f64) >= 1.5 * w[0].concurrency as f64
            && w[1].throughput_rps < 1.1 * w[0].throughput_rps
    });
    let timeouts_from = steps
        .iter()
        .find(|st| {
            st.operations
                .iter()
                .any(|o| o.errors.get("timeout").copied().unwrap_or(0) > 0)
        })
        .map(|st| st.concurrency);
    if let Some(bp) = &stress.breaking_point {
        let mut suggestions = Vec::new();
        if let Some(i) = plateau {
            suggestions.push(format!(
                "Throughput stopped growing at about {} rps from {} users on: that is the service's capacity; more users only queue.",
                sig(steps[i].throughput_rps),
                steps[i].concurrency
            ));
        }
        if let Some(c) = timeouts_from {
            suggestions.push(format!(
                "Timeouts start at {c} users: raise worker/connection-pool sizes or add backpressure (reject early instead of timing out)."
            ));
        }
        if suggestions.is_empty() {
            suggestions.push("Compare the step before the break with the break in the stress table: which limit (latency, errors) tripped first names the bottleneck.".to_string());
        }
        out.push(Recommendation {
            kind: RecommendationType::Throughput,
            severity: Severity::Medium,
            message: format!(
                "Breaking point at {} concurrent users: {}",
                bp.concurrency, bp.reason
            ),
            suggestions,
        });
    } else if let Some(i) = plateau {
        out.push(Recommendation {
            kind: RecommendationType::Throughput,
            severity: Severity::Low,
            message: format!(
                "Throughput plateaued at about {} rps from {} concurrent users on, without breaking",
                sig(steps[i].throughput_rps),
                steps[i].concurrency
            ),
            suggestions: vec!["That is the service's capacity on this machine; beyond it latency grows with concurrency.".to_string()],
        });
    }
}

//! The findings about one operation: latency against its target, tails, errors by kind, throughput, a run
//! without requests, and any failing gate no other rule explained.

use super::context::{latency_rise_with_users, p99_spike_seconds, Context};
use super::settings::OptimizerSettings;
use super::settings::{Targets, CPU_BOUND_PERCENT};
use crate::analysis::section::{Recommendation, RecommendationType, Severity};
use crate::gates::Comparator;
use crate::metric::{format_ms, sig, Direction, Metric};
use crate::record::{OperationResult, TestType};

pub(super) fn latency_findings(
    op: &OperationResult,
    ctx: &Context,
    t: &Targets,
    s: &OptimizerSettings,
    out: &mut Vec<Recommendation>,
    explained: &mut Vec<Metric>,
) {
    let l = &op.latency_ms;
    if op.total_requests == 0 {
        return;
    }
    if t.p95.broken_by(l.p95, Direction::LowerIsBetter) {
        explained.push(Metric::P95);
        let severity = if l.p95 > 2.0 * t.p95.limit {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut suggestions = cause_suggestions(op, ctx, t);
        suggestions.push(if t.p95_own {
            format!(
                "If {} ms is the operation's real cost, raise its own gate in `[gates.operations] {}`.",
                sig(l.p95),
                op.operation_name
            )
        } else {
            format!(
                "If {} ms is the operation's real cost, set its own gate (`[gates.operations] {} = [\"p95 < …\"]`) instead of raising the limit for every operation.",
                sig(l.p95),
                op.operation_name
            )
        });
        out.push(Recommendation {
            kind: RecommendationType::Latency,
            severity,
            message: format!(
                "P95 latency {} is above {}",
                format_ms(l.p95),
                t.p95.describe(Metric::P95)
            ),
            suggestions,
        });
    }
    if l.p50 > 0.0 && l.p99 >= s.tail_min_p99_ms && l.p99 / l.p50 > s.tail_ratio {
        let ratio = l.p99 / l.p50;
        // A tail inside the operation's p95 target is worth knowing, not a warning.
        let severity = if l.p99 > t.p95.limit {
            Severity::Medium
        } else {
            Severity::Low
        };
        out.push(Recommendation {
            kind: RecommendationType::Latency,
            severity,
            message: format!(
                "P99 latency {} is {}× the median {}: a minority of requests wait far longer",
                format_ms(l.p99),
                sig(ratio),
                format_ms(l.p50)
            ),
            suggestions: tail_suggestions(ctx),
        });
    }
}

/// Why latency is high, from CPU, saturation and concurrency evidence.
pub(super) fn cause_suggestions(op: &OperationResult, ctx: &Context, t: &Targets) -> Vec<String> {
    let mut v = Vec::new();
    if ctx.runner_saturated {
        v.push("perfgate itself was saturated during this run: part of this latency is the generator's. Add shards or lower the concurrency before tuning the service.".to_string());
    } else if let Some(host) = ctx.host_saturated {
        v.push(format!(
            "The host's CPU was at {}% during this phase: the service, perfgate and anything else on the machine competed for cores, so part of this latency is the machine's. Run the service on other cores or another machine, or lower the concurrency.",
            sig(host)
        ));
    }
    let cpu_bound = t.cpu_percent.map(|c| c.limit).unwrap_or(CPU_BOUND_PERCENT);
    // Only a measured CPU of the service itself is evidence.
    let target_cpu = op
        .cpu_usage_percent
        .filter(|c| op.resource_source == "target" && *c > 0.0);
    if let Some(cpu) = target_cpu.filter(|c| *c >= cpu_bound) {
        v.push(format!(
            "The service used {}% CPU: it is CPU-bound. Profile the hot path (`perf record -g`, a flamegraph) and cache or precompute expensive work.",
            sig(cpu)
        ));
    } else if let Some(cpu) =
        target_cpu.filter(|c| *c < cpu_bound / 2.0 && ctx.host_saturated.is_none())
    {
        v.push(format!(
            "The service used only {}% CPU while requests were slow: time goes to waiting — a downstream call, a lock or a pool. Trace a slow request (PERFORMANCE_ENABLE_TRACING=true) to see where.",
            sig(cpu)
        ));
    }
    if let Some(load) = ctx.load {
        if let Some(rise) = latency_rise_with_users(&load.timeline) {
            v.push(format!(
                "P95 rose {}× as users ramped up: requests queue. Raise the service's worker and connection-pool sizes, or add instances.",
                sig(rise)
            ));
        }
    }
    if v.is_empty() {
        v.push(
            "Find where the time goes: trace one slow request (PERFORMANCE_ENABLE_TRACING=true) or profile the handler."
                .to_string(),
        );
    }
    v
}

/// An operation that completed no request: nothing else can be said about it, and the run fails.
pub(super) fn no_request_finding(ctx: &Context) -> Recommendation {
    let mut suggestions = vec![
        "Check that the target answers at all: the reachability check can pass while a full accept queue or a crashed worker answers nothing afterwards.".to_string(),
    ];
    if ctx.concurrency > 1 {
        suggestions.push(format!(
            "{} concurrent users may be more connections than the service accepts (worker connections, `ulimit -n`, the listen backlog): lower the concurrency.",
            ctx.concurrency
        ));
    }
    if let Some(load) = ctx.load {
        if load.ramp_up_seconds >= load.duration_seconds && load.duration_seconds > 0.0 {
            suggestions.push(format!(
                "`ramp_up_seconds` ({}) is not shorter than the test ({} s): most users never start.",
                sig(load.ramp_up_seconds),
                sig(load.duration_seconds)
            ));
        }
    }
    suggestions.push(
        "Raise `request_timeout` if the operation is legitimately slower than it.".to_string(),
    );
    Recommendation {
        kind: RecommendationType::Errors,
        severity: Severity::High,
        message: "No request completed: there is nothing to measure, and the run fails".to_string(),
        suggestions,
    }
}

/// Why p99 is far above p50, from the timeline and the concurrency.
pub(super) fn tail_suggestions(ctx: &Context) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(load) = ctx.load {
        if let Some(spikes) = p99_spike_seconds(&load.timeline) {
            v.push(format!(
                "The per-second p99 spikes (seconds {}) while other seconds are fast: periodic stalls — background jobs, log or disk flushes, cache expiry, pauses of the service's runtime. Correlate those seconds with the service's logs.",
                spikes
            ));
        }
        if latency_rise_with_users(&load.timeline).is_some() {
            v.push("Latency grows with the number of active users: requests queue for a worker, connection or lock. Raise pool sizes or limit in-flight requests.".to_string());
        }
    }
    if v.is_empty() {
        if ctx.concurrency <= 1 && ctx.test_type == TestType::Benchmark {
            v.push("Requests ran one at a time, so nothing queued: some inputs take a slow path, a cache is cold, or background work competes with some requests. Look at the slowest requests' inputs.".to_string());
        } else {
            v.push(format!(
                "With {} concurrent users, the tail is usually queuing (pools, locks) or periodic background work: check pool sizes and what the service does besides answering.",
                ctx.concurrency
            ));
        }
    }
    v
}

pub(super) fn error_findings(
    op: &OperationResult,
    ctx: &Context,
    t: &Targets,
    out: &mut Vec<Recommendation>,
    explained: &mut Vec<Metric>,
) {
    if op.failed_requests == 0 || op.total_requests == 0 {
        return;
    }
    let rate = op.error_rate_percent();
    let severity = if t.error_rate.broken_by(rate, Direction::LowerIsBetter) {
        explained.push(Metric::ErrorRate);
        Severity::High
    } else if rate >= 1.0 {
        Severity::Medium
    } else {
        Severity::Low
    };
    let mut kinds: Vec<(&String, &u64)> = op.errors.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let by_kind = kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut message = format!(
        "Error rate {}% ({} of {} requests failed)",
        sig(rate),
        op.failed_requests,
        op.total_requests
    );
    if !by_kind.is_empty() {
        message.push_str(": ");
        message.push_str(&by_kind);
    }
    let mut suggestions = Vec::new();
    for (kind, _) in &kinds {
        match kind.as_str() {
            "timeout" => suggestions.push(timeout_suggestion(op, ctx)),
            "connect" => suggestions.push("Connections were refused or reset: check the listen backlog (`net.core.somaxconn`), the server's connection limit and file descriptors (`ulimit -n`).".to_string()),
            "http_5xx" => suggestions.push(format!("The service answered 5xx: its logs name the failing handler{}.", sample_hint(op))),
            "http_4xx" => suggestions.push(format!("4xx answers mean the test's request is wrong (auth, path, payload), not that the service is slow: fix the operation in perfgate.toml{}.", sample_hint(op))),
            "exit_code" => suggestions.push(format!("The command exited non-zero{}.", sample_hint(op))),
            other => suggestions.push(format!("Failures of kind `{other}`{}.", sample_hint(op))),
        }
    }
    if suggestions.is_empty() {
        suggestions.push(format!("Look at the failures{}.", sample_hint(op)));
    }
    out.push(Recommendation {
        kind: RecommendationType::Errors,
        severity,
        message,
        suggestions,
    });
}

pub(super) fn sample_hint(op: &OperationResult) -> String {
    match op.error_samples.first() {
        Some(s) => format!(" (e.g. \"{}\")", s.chars().take(120).collect::<String>()),
        None => String::new(),
    }
}

/// Timeouts: where they started, and what that points at.
pub(super) fn timeout_suggestion(op: &OperationResult, ctx: &Context) -> String {
    // The first stress step where this operation timed out.
    let first_step = ctx.stress.and_then(|s| {
        s.steps.iter().find(|st| {
            st.operations.iter().any(|o| {
                o.operation_name == op.operation_name
                    && o.errors.get("timeout").copied().unwrap_or(0) > 0
            })
        })
    });
    match first_step {
        Some(step) => format!(
            "Timeouts start at {} concurrent users in the stress test: beyond that the service queues requests longer than the timeout. Raise its worker and connection-pool sizes (database, HTTP client), add backpressure, or review `request_timeout`.",
            step.concurrency
        ),
        None if ctx.concurrency > 1 => format!(
            "Timeouts under {} concurrent users: requests wait for a pool (database, HTTP client, workers). Raise pool sizes or add backpressure; review `request_timeout` if the operation is legitimately slow.",
            ctx.concurrency
        ),
        None => "Timeouts with one request at a time: the operation itself exceeds `request_timeout` — a hung downstream call or a timeout set too low.".to_string(),
    }
}

pub(super) fn throughput_findings(
    op: &OperationResult,
    ctx: &Context,
    t: &Targets,
    out: &mut Vec<Recommendation>,
    explained: &mut Vec<Metric>,
) {
    let Some(min_rps) = t.min_rps else { return };
    if op.total_requests == 0 || !min_rps.broken_by(op.throughput_rps, Direction::HigherIsBetter) {
        return;
    }
    explained.push(Metric::Rps);
    let avg = op.latency_ms.avg;
    let suggestion = match (ctx.test_type, ctx.load) {
        (TestType::Benchmark, _) => format!(
            "A benchmark runs requests one at a time, so its throughput is 1 / latency (avg {}): make the operation faster, or judge capacity with a load test.",
            format_ms(avg)
        ),
        (_, Some(load)) if load.model == "open" && load.target_rps.is_some() => format!(
            "The open model asked for {} rps; the service completed {}: it cannot keep up at that rate.",
            sig(load.target_rps.unwrap_or_default()),
            sig(op.throughput_rps)
        ),
        _ => format!(
            "With {} users and {} average latency, throughput is bound by latency × users (Little's law): cut latency or add users to measure capacity.",
            ctx.concurrency,
            format_ms(avg)
        ),
    };
    out.push(Recommendation {
        kind: RecommendationType::Throughput,
        severity: Severity::Medium,
        message: format!(
            "Throughput {} rps is below {}",
            sig(op.throughput_rps),
            min_rps.describe(Metric::Rps)
        ),
        suggestions: vec![suggestion],
    });
}

/// A failing gate that no rule above explained (`p99 < 50ms`, `avg < 2ms`, a lower bound) is a finding
/// too: the run fails on it, so the reader is told what to look at.
pub(super) fn gate_findings(
    op: &OperationResult,
    ctx: &Context,
    t: &Targets,
    explained: &[Metric],
    out: &mut Vec<Recommendation>,
) {
    for g in &t.gates {
        let bounds_bad_side = match g.metric.direction() {
            Direction::LowerIsBetter => matches!(g.comparator, Comparator::Lt | Comparator::Le),
            Direction::HigherIsBetter => matches!(g.comparator, Comparator::Gt | Comparator::Ge),
        };
        if bounds_bad_side && explained.contains(&g.metric) {
            continue;
        }
        if g.metric == Metric::Rps && t.min_rps.is_none() {
            continue;
        }
        let Some(value) = g.metric.value(op) else {
            continue;
        };
        if g.passes(value) {
            continue;
        }
        let far = if matches!(g.comparator, Comparator::Lt | Comparator::Le) {
            g.limit > 0.0 && value > 2.0 * g.limit
        } else {
            value < 0.5 * g.limit
        };
        let suggestions = if g.metric.is_latency() {
            cause_suggestions(op, ctx, t)
        } else {
            vec![format!(
                "The gate `{g}` holds this operation to {}; it measured {}.",
                g.metric.format_value(g.limit),
                g.metric.format_value(value)
            )]
        };
        out.push(Recommendation {
            kind: kind_of(g.metric),
            severity: if far {
                Severity::High
            } else {
                Severity::Medium
            },
            message: format!(
                "{} {} fails the gate `{g}`",
                capitalized(g.metric.label()),
                g.metric.format_value(value)
            ),
            suggestions,
        });
    }
}

pub(super) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What a recommendation about `metric` is about.
pub(super) fn kind_of(m: Metric) -> RecommendationType {
    match m {
        Metric::ErrorRate => RecommendationType::Errors,
        Metric::Rps => RecommendationType::Throughput,
        Metric::MemoryMb => RecommendationType::Memory,
        Metric::CpuPercent => RecommendationType::Cpu,
        _ => RecommendationType::Latency,
    }
}

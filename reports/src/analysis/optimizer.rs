//! The optimizer: per operation a status and recommendations that follow the evidence in the run record.
//!
//! This is the original framework's `PerformanceOptimizer`, kept in shape (`status` ok|warning|critical,
//! `recommendations[{type, severity, message, suggestions[]}]`, types latency, throughput, errors, memory, cpu,
//! generator) but not in its habit of printing a fixed list. Each suggestion is chosen by what the record shows:
//!
//! * timeouts that start at a concurrency level (stress steps, load users) → pools and timeouts;
//! * connection errors → listen backlog, connection limits, file descriptors;
//! * 4xx → the test's request is wrong, not the service slow;
//! * p99 far above p50 (and at least 10 ms) → queuing when latency rises with concurrency, periodic stalls when
//!   the per-second p99 spikes, slow paths when requests run one at a time; a tail inside the p95 target is
//!   informational;
//! * high latency with high CPU → CPU-bound (profile); with low CPU → waiting (downstream, locks, pools); on a
//!   host at ≥ 90 % CPU or a saturated runner → the machine or the generator first;
//! * memory rising over the load timeline without levelling off → a leak or an unbounded cache;
//! * throughput flat while stress concurrency rises → the service's capacity was reached;
//! * the runner saturated, or open-model starts late → the numbers are the generator's: add shards; the host's
//!   CPU at ≥ 90 % → the machine's.
//!
//! Limits follow the configuration ([`OptimizerSettings`]): an operation's p95 target is its own gate, else
//! the all-operations gate, else the default; a failing gate always gets a recommendation; memory and CPU are
//! judged only against a configured threshold, and once per phase, not once per operation.
//!
//! With a comparison, every unacknowledged regression becomes a recommendation ("P95 latency increased by
//! 45% (120 ms → 174 ms)"), with the same evidence-led suggestions.
//!
//! A status is `critical` when any recommendation of the operation is `high`, `warning` when any is `medium`,
//! `ok` otherwise (`low` ones are informational).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::section::{OperationAnalysis, Recommendation, RecommendationType, Severity, Status};
use crate::analysis::compare::{Comparison, ComparisonRow, Verdict};
use crate::gates::{Comparator, GateExpr, Gates};
use crate::limits;
use crate::metric::{format_ms, sig, Direction, Metric};
use crate::record::{
    LoadSection, OperationResult, RunRecord, StressSection, TestType, TimelinePoint,
};

/// The optimizer's limits: the gates in force, and what holds where no gate says anything.
///
/// An operation's p95 target is its own p95 gate, else the all-operations p95 gate, else
/// [`p95_limit_ms`](Self::p95_limit_ms) (the [default](crate::limits)); likewise the error-rate limit and the
/// throughput floor. Memory and CPU are judged only against a configured threshold (a `memory_mb` /
/// `cpu_percent` gate, or the two fields here): a threshold nobody set does not warn. Build it from the gates
/// with [`OptimizerSettings::from_gates`]; [`crate::analysis::JudgeSettings`] does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSettings {
    /// P95 target of an operation without a p95 gate in force (default 500 ms).
    pub p95_limit_ms: f64,
    /// Error-rate limit of an operation without an error-rate gate in force (default 5 %).
    pub error_rate_limit_percent: f64,
    /// Throughput floor of an operation without an rps gate in force (default 10 rps).
    pub min_rps: f64,
    /// Memory above this is a finding when no `memory_mb` gate is in force; `None` (default): not judged.
    pub memory_threshold_mb: Option<f64>,
    /// CPU above this is a finding when no `cpu_percent` gate is in force; `None` (default): not judged.
    pub cpu_threshold_percent: Option<f64>,
    /// P99 / P50 above this is a tail-latency finding (default 5).
    pub tail_ratio: f64,
    /// Tail findings need p99 at least this high, so jitter at sub-10 ms latencies is not reported (default
    /// 10 ms).
    pub tail_min_p99_ms: f64,
    /// The gates in force. A failing gate is always a finding.
    #[serde(default)]
    pub gates: Gates,
    /// Operations that run as a side effect of the schedule (`mcp.initialize` runs once per session): their
    /// throughput says nothing about the service, so it is not judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub side_operations: Vec<String>,
}

impl Default for OptimizerSettings {
    fn default() -> Self {
        Self {
            p95_limit_ms: limits::P95_MS,
            error_rate_limit_percent: limits::ERROR_RATE_PERCENT,
            min_rps: limits::MIN_RPS,
            memory_threshold_mb: None,
            cpu_threshold_percent: None,
            tail_ratio: 5.0,
            tail_min_p99_ms: 10.0,
            gates: Gates::default(),
            side_operations: Vec::new(),
        }
    }
}

impl OptimizerSettings {
    /// The defaults, judged by `gates` (which the caller evaluates as the run's gates).
    pub fn from_gates(gates: &Gates) -> Self {
        Self {
            gates: gates.clone(),
            ..Self::default()
        }
    }

    fn is_side(&self, operation: &str) -> bool {
        self.side_operations.iter().any(|o| o == operation)
    }

    /// What `operation` is held to.
    fn targets(&self, operation: &str) -> Targets<'_> {
        let op = Some(operation);
        let optional =
            |metric: Metric, fallback: Option<f64>| match self.gates.limit_gate(op, metric) {
                Some(g) => Some(Target {
                    limit: g.limit,
                    gate: Some(g),
                }),
                None => fallback.map(|limit| Target { limit, gate: None }),
            };
        let target = |metric: Metric, fallback: f64| {
            optional(metric, Some(fallback)).unwrap_or(Target {
                limit: fallback,
                gate: None,
            })
        };
        Targets {
            p95: target(Metric::P95, self.p95_limit_ms),
            p95_own: self.gates.has_own(operation, Metric::P95),
            error_rate: target(Metric::ErrorRate, self.error_rate_limit_percent),
            min_rps: (!self.is_side(operation)).then(|| target(Metric::Rps, self.min_rps)),
            memory_mb: optional(Metric::MemoryMb, self.memory_threshold_mb),
            cpu_percent: optional(Metric::CpuPercent, self.cpu_threshold_percent),
            gates: self.gates.for_operation(operation),
        }
    }
}

/// One limit an operation is held to, and the gate it comes from (`None`: the default).
#[derive(Clone, Copy, Debug)]
struct Target<'a> {
    limit: f64,
    gate: Option<&'a GateExpr>,
}

impl Target<'_> {
    /// Whether `value` breaks the limit: fails the gate, or lies on the bad side of the default.
    fn broken_by(&self, value: f64, direction: Direction) -> bool {
        match (self.gate, direction) {
            (Some(g), _) => !g.passes(value),
            (None, Direction::LowerIsBetter) => value > self.limit,
            (None, Direction::HigherIsBetter) => value < self.limit,
        }
    }

    /// "the 500 ms target" or "the gate `p95 < 200ms`".
    fn describe(&self, metric: Metric) -> String {
        match self.gate {
            Some(g) => format!("the gate `{g}`"),
            None => format!("the {} target", metric.format_value(self.limit)),
        }
    }
}

/// The limits one operation is held to.
struct Targets<'a> {
    p95: Target<'a>,
    /// The operation has a p95 gate of its own.
    p95_own: bool,
    error_rate: Target<'a>,
    /// `None` for a side operation.
    min_rps: Option<Target<'a>>,
    memory_mb: Option<Target<'a>>,
    cpu_percent: Option<Target<'a>>,
    /// Every gate in force.
    gates: Vec<&'a GateExpr>,
}

/// Whole-host CPU (0–100 %) from which the host counts as saturated: the service and perfgate competed for
/// cores, so part of the latency is the machine's.
pub const HOST_SATURATED_PERCENT: f64 = 90.0;
/// The service's CPU (percent of one core) from which slow requests are called CPU-bound when no CPU
/// threshold is configured (only the choice of suggestion depends on it, never a finding).
const CPU_BOUND_PERCENT: f64 = 80.0;

/// The optimizer's findings for one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Optimization {
    /// One entry per benchmark and load operation.
    pub operations: Vec<OperationAnalysis>,
    /// Findings about the run as a whole (the generator, memory over the load timeline, the stress curve).
    pub run: Vec<Recommendation>,
}

/// Derives a status from recommendations.
pub fn status_of(recs: &[Recommendation]) -> Status {
    match recs.iter().map(|r| r.severity).max() {
        Some(Severity::High) => Status::Critical,
        Some(Severity::Medium) => Status::Warning,
        _ => Status::Ok,
    }
}

/// Analyses `record` (and the comparison, when there is one) into per-operation and run-level findings.
pub fn optimize(
    record: &RunRecord,
    comparison: Option<&Comparison>,
    settings: &OptimizerSettings,
) -> Optimization {
    let mut operations = Vec::new();
    // Regressed rows by operation, so a suite of thousands of operations stays linear.
    let mut regressed: RegressedRows<'_> = BTreeMap::new();
    for r in comparison.iter().flat_map(|c| c.rows.iter()) {
        if r.verdict == Verdict::Regressed {
            regressed
                .entry((r.test_type, r.operation.as_str()))
                .or_default()
                .push(r);
        }
    }
    let mut resources = ResourceFindings::default();
    for (test_type, op) in record.operations().filter(|(t, _)| *t != TestType::Stress) {
        let ctx = Context::new(record, test_type);
        let targets = settings.targets(&op.operation_name);
        let mut recs = Vec::new();
        if op.total_requests == 0 {
            recs.push(no_request_finding(&ctx));
            operations.push(OperationAnalysis {
                test_type,
                operation: op.operation_name.clone(),
                status: status_of(&recs),
                recommendations: recs,
            });
            continue;
        }
        let mut explained = Vec::new();
        latency_findings(op, &ctx, &targets, settings, &mut recs, &mut explained);
        error_findings(op, &ctx, &targets, &mut recs, &mut explained);
        throughput_findings(op, &ctx, &targets, &mut recs, &mut explained);
        explained.extend(resources.add(test_type, op, &targets));
        gate_findings(op, &ctx, &targets, &explained, &mut recs);
        if let Some(c) = comparison {
            comparison_findings(op, test_type, c, &regressed, &ctx, &targets, &mut recs);
        }
        operations.push(OperationAnalysis {
            test_type,
            operation: op.operation_name.clone(),
            status: status_of(&recs),
            recommendations: recs,
        });
    }
    let mut run = Vec::new();
    let troubled = operations.iter().any(|o| o.status != Status::Ok);
    generator_findings(record, troubled, &mut run);
    run.extend(resources.into_recommendations());
    if let Some(load) = &record.load {
        if let Some(r) = memory_leak_finding(load) {
            run.push(r);
        }
    }
    if let Some(stress) = &record.stress {
        stress_findings(stress, &mut run);
    }
    Optimization { operations, run }
}

type RegressedRows<'a> = BTreeMap<(TestType, &'a str), Vec<&'a ComparisonRow>>;

/// What the record says around one operation.
struct Context<'a> {
    test_type: TestType,
    load: Option<&'a LoadSection>,
    stress: Option<&'a StressSection>,
    /// Concurrency of the phase (1 for a benchmark).
    concurrency: u32,
    /// The phase's whole-host CPU, when it was at or above [`HOST_SATURATED_PERCENT`].
    host_saturated: Option<f64>,
    /// perfgate itself used the CPU it could.
    runner_saturated: bool,
}

impl<'a> Context<'a> {
    fn new(rec: &'a RunRecord, test_type: TestType) -> Self {
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

fn latency_findings(
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
fn cause_suggestions(op: &OperationResult, ctx: &Context, t: &Targets) -> Vec<String> {
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
    let target_cpu = op.resource_source == "target" && op.cpu_usage_percent > 0.0;
    if target_cpu && op.cpu_usage_percent >= cpu_bound {
        v.push(format!(
            "The service used {}% CPU: it is CPU-bound. Profile the hot path (`perf record -g`, a flamegraph) and cache or precompute expensive work.",
            sig(op.cpu_usage_percent)
        ));
    } else if target_cpu && op.cpu_usage_percent < cpu_bound / 2.0 && ctx.host_saturated.is_none() {
        v.push(format!(
            "The service used only {}% CPU while requests were slow: time goes to waiting — a downstream call, a lock or a pool. Trace a slow request (PERFORMANCE_ENABLE_TRACING=true) to see where.",
            sig(op.cpu_usage_percent)
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
fn no_request_finding(ctx: &Context) -> Recommendation {
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
fn tail_suggestions(ctx: &Context) -> Vec<String> {
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

fn error_findings(
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

fn sample_hint(op: &OperationResult) -> String {
    match op.error_samples.first() {
        Some(s) => format!(" (e.g. \"{}\")", s.chars().take(120).collect::<String>()),
        None => String::new(),
    }
}

/// Timeouts: where they started, and what that points at.
fn timeout_suggestion(op: &OperationResult, ctx: &Context) -> String {
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

fn throughput_findings(
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

/// Memory and CPU above a configured threshold, said once per phase rather than once per operation: in a
/// load test every operation carries the same process figures, and a benchmark's are one process too.
#[derive(Default)]
struct ResourceFindings {
    groups: BTreeMap<ResourceKey, ResourceGroup>,
}

/// Phase, metric, whether the figures are the runner's, the threshold as described.
type ResourceKey = (TestType, Metric, bool, String);

/// The operations over one threshold, the highest value among them, and the threshold.
struct ResourceGroup {
    value: f64,
    limit: f64,
    operations: Vec<String>,
}

impl ResourceFindings {
    /// Notes `op`'s memory and CPU when they break a configured threshold. Returns the metrics it noted.
    fn add(&mut self, test_type: TestType, op: &OperationResult, t: &Targets) -> Vec<Metric> {
        let runner = op.resource_source == "runner";
        let mut noted = Vec::new();
        for (metric, target, value) in [
            (Metric::MemoryMb, t.memory_mb, op.memory_usage_mb),
            (Metric::CpuPercent, t.cpu_percent, op.cpu_usage_percent),
        ] {
            let Some(target) = target else { continue };
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

    fn into_recommendations(self) -> Vec<Recommendation> {
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

/// A failing gate that no rule above explained (`p99 < 50ms`, `avg < 2ms`, a lower bound) is a finding
/// too: the run fails on it, so the reader is told what to look at.
fn gate_findings(
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

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What a recommendation about `metric` is about.
fn kind_of(m: Metric) -> RecommendationType {
    match m {
        Metric::ErrorRate => RecommendationType::Errors,
        Metric::Rps => RecommendationType::Throughput,
        Metric::MemoryMb => RecommendationType::Memory,
        Metric::CpuPercent => RecommendationType::Cpu,
        _ => RecommendationType::Latency,
    }
}

fn comparison_findings(
    op: &OperationResult,
    test_type: TestType,
    c: &Comparison,
    regressed: &RegressedRows<'_>,
    ctx: &Context,
    t: &Targets,
    out: &mut Vec<Recommendation>,
) {
    let rows: Vec<&ComparisonRow> = regressed
        .get(&(test_type, op.operation_name.as_str()))
        .cloned()
        .unwrap_or_default();
    // One recommendation per kind: the headline is p95 when it regressed (the metric gates use), else the
    // largest change; the other regressed metrics of the kind follow in the same message.
    let mut kinds: Vec<RecommendationType> = rows.iter().map(|r| kind_of(r.metric)).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let group: Vec<&ComparisonRow> = rows
            .iter()
            .copied()
            .filter(|r| kind_of(r.metric) == kind)
            .collect();
        let magnitude = |r: &ComparisonRow| r.change_percent.map(f64::abs).unwrap_or(0.0);
        let Some(head) = group
            .iter()
            .copied()
            .find(|r| r.metric == Metric::P95)
            .or_else(|| {
                group
                    .iter()
                    .copied()
                    .max_by(|a, b| magnitude(a).total_cmp(&magnitude(b)))
            })
        else {
            continue;
        };
        let mut severity = if group
            .iter()
            .any(|r| magnitude(r) >= 3.0 * r.threshold_percent)
        {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut suggestions = Vec::new();
        let acks: Vec<_> = group
            .iter()
            .filter_map(|r| r.acknowledged.as_ref())
            .collect();
        if !acks.is_empty() && acks.len() == group.len() {
            severity = Severity::Low;
        }
        for ack in acks {
            let line = format!("Acknowledged until {}: {}", ack.until, ack.reason);
            if !suggestions.contains(&line) {
                suggestions.push(line);
            }
        }
        if let Some(sha) = c.base.sha.as_deref() {
            let short: String = sha.chars().take(7).collect();
            suggestions.push(format!(
                "The change is between {short} and this commit: bisect with `perfgate run` on the commits in between."
            ));
        }
        match kind {
            RecommendationType::Latency => suggestions.extend(cause_suggestions(op, ctx, t)),
            RecommendationType::Errors => {
                if let Some(e) = op.errors.iter().max_by_key(|(_, n)| **n) {
                    suggestions.push(format!("Most failures are `{}`{}.", e.0, sample_hint(op)));
                }
            }
            RecommendationType::Memory => suggestions.push(
                "Look for new caches, buffers or per-request allocations in the change; a load test's memory timeline shows whether it keeps growing.".to_string(),
            ),
            RecommendationType::Cpu => suggestions.push(
                "Profile both commits under the same load and diff the flamegraphs.".to_string(),
            ),
            _ => {}
        }
        let mut message = head.sentence();
        if let Some(p) = head.p_value {
            message.push_str(&format!(", p = {}", format_p(p)));
        }
        let others: Vec<String> = group
            .iter()
            .filter(|r| r.metric != head.metric)
            .map(|r| format!("{} {}", r.metric.key(), r.change_text()))
            .collect();
        if !others.is_empty() {
            message.push_str("; also ");
            message.push_str(&others.join(", "));
        }
        out.push(Recommendation {
            kind,
            severity,
            message,
            suggestions,
        });
    }
}

/// A p-value with sensible precision: `0.003`, `<0.001`.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// The highest whole-host CPU of the benchmark and load phases, when at or above
/// [`HOST_SATURATED_PERCENT`]. The whole run's reading counts only without phase readings and without a stress
/// test (which drives the machine to its limit on purpose).
fn saturated_host_cpu(rec: &RunRecord) -> Option<f64> {
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
fn generator_findings(rec: &RunRecord, troubled: bool, out: &mut Vec<Recommendation>) {
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
fn slope(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let mx = crate::stats::mean(xs)?;
    let my = crate::stats::mean(ys)?;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Memory rising over the load timeline and still rising at the end: a leak or an unbounded cache.
///
/// The rule: the least-squares growth over the timeline exceeds 10 % of the starting memory and 5 MB, and the
/// slope of the last third is at least half the overall slope (memory that grows during warm-up and then levels
/// off is a cache filling, not a leak).
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
        Some(Recommendation {
            kind: RecommendationType::Memory,
            severity: Severity::High,
            message: format!(
                "Memory grew from {} MB to {} MB over the {} s load test ({} MB/min) and was still growing at the end",
                sig(start),
                sig(end),
                sig(span),
                sig(k * 60.0)
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

/// How much p95 rose from the first to the last third of the ramp-up, when it rose at least 2× together with
/// the active users.
fn latency_rise_with_users(t: &[TimelinePoint]) -> Option<f64> {
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
fn p99_spike_seconds(t: &[TimelinePoint]) -> Option<String> {
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

/// The stress curve: the breaking point and a throughput plateau.
fn stress_findings(stress: &StressSection, out: &mut Vec<Recommendation>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::{compare_runs, CompareSettings};
    use crate::record::{BreakingPoint, ProcessUsage, StressStep};
    use crate::test_support::{op, record_with};

    fn load_with(ops: Vec<OperationResult>, timeline: Vec<TimelinePoint>, users: u32) -> RunRecord {
        let mut rec = record_with(vec![]);
        rec.benchmark = None;
        rec.load = Some(LoadSection {
            model: "closed".into(),
            duration_seconds: timeline.len() as f64,
            concurrent_users: users,
            overall: ops.first().cloned().unwrap_or_default(),
            operations: ops,
            timeline,
            ..Default::default()
        });
        rec
    }

    fn point(second: u32, users: u32, p95: f64, p99: f64, mem: Option<f64>) -> TimelinePoint {
        TimelinePoint {
            second,
            requests: 100,
            rps: 100.0,
            p50_ms: p95 / 2.0,
            p95_ms: p95,
            p99_ms: p99,
            active_users: users,
            memory_mb: mem,
            ..Default::default()
        }
    }

    fn find<'a>(o: &'a Optimization, name: &str) -> &'a OperationAnalysis {
        o.operations.iter().find(|a| a.operation == name).unwrap()
    }

    #[test]
    fn healthy_operations_are_ok_without_recommendations() {
        let rec = record_with(vec![op("fine", 10.0, 100.0, 1000, 0)]);
        let o = optimize(&rec, None, &OptimizerSettings::default());
        assert_eq!(find(&o, "fine").status, Status::Ok);
        assert!(find(&o, "fine").recommendations.is_empty());
        assert!(o.run.is_empty());
    }

    #[test]
    fn timeouts_point_at_the_stress_step_where_they_start() {
        let mut bad = op("search", 100.0, 50.0, 1000, 80);
        bad.errors = [("timeout".to_string(), 80)].into_iter().collect();
        let mut rec = record_with(vec![bad.clone()]);
        let step = |c: u32, timeouts: u64| {
            let mut o = op("search", 100.0, 50.0, 100, timeouts);
            if timeouts > 0 {
                o.errors.insert("timeout".into(), timeouts);
            }
            StressStep {
                concurrency: c,
                throughput_rps: 50.0 * c as f64,
                operations: vec![o],
                ..Default::default()
            }
        };
        rec.stress = Some(StressSection {
            steps: vec![step(5, 0), step(10, 0), step(15, 7)],
            breaking_point: Some(BreakingPoint {
                concurrency: 15,
                reason: "error rate 7% > 5%".into(),
            }),
            ..Default::default()
        });
        let o = optimize(&rec, None, &OptimizerSettings::default());
        let a = find(&o, "search");
        assert_eq!(a.status, Status::Critical);
        let errs = a
            .recommendations
            .iter()
            .find(|r| r.kind == RecommendationType::Errors)
            .unwrap();
        assert_eq!(errs.severity, Severity::High);
        assert!(errs.message.contains("timeout 80"), "{}", errs.message);
        assert!(
            errs.suggestions[0].contains("start at 15 concurrent users"),
            "{:?}",
            errs.suggestions
        );
        assert!(errs.suggestions[0].contains("pool"));
        let bp = o
            .run
            .iter()
            .find(|r| r.message.starts_with("Breaking point"))
            .unwrap();
        assert!(
            bp.suggestions
                .iter()
                .any(|s| s.contains("Timeouts start at 15")),
            "{:?}",
            bp.suggestions
        );
    }

    #[test]
    fn four_xx_is_blamed_on_the_test_not_the_service() {
        let mut o4 = op("login", 10.0, 100.0, 100, 100);
        o4.errors = [("http_4xx".to_string(), 100)].into_iter().collect();
        o4.error_samples = vec!["401 Unauthorized".into()];
        let o = optimize(&record_with(vec![o4]), None, &OptimizerSettings::default());
        let r = &find(&o, "login").recommendations[0];
        assert!(
            r.suggestions[0].contains("test's request is wrong")
                && r.suggestions[0].contains("401"),
            "{r:?}"
        );
    }

    #[test]
    fn memory_growth_over_the_timeline_is_a_leak_but_a_plateau_is_not() {
        let growing: Vec<TimelinePoint> = (0..30)
            .map(|s| point(s, 10, 20.0, 30.0, Some(100.0 + 2.0 * s as f64)))
            .collect();
        let rec = load_with(vec![op("a", 10.0, 100.0, 3000, 0)], growing, 10);
        let o = optimize(&rec, None, &OptimizerSettings::default());
        let leak = o
            .run
            .iter()
            .find(|r| r.kind == RecommendationType::Memory)
            .expect("leak finding");
        assert!(leak.message.contains("still growing"), "{}", leak.message);
        assert!(leak.suggestions[0].contains("leak"));
        // Grows during the first seconds, then flat: a cache warming up.
        let plateau: Vec<TimelinePoint> = (0..30)
            .map(|s| point(s, 10, 20.0, 30.0, Some(100.0 + 4.0 * (s.min(8)) as f64)))
            .collect();
        let rec = load_with(vec![op("a", 10.0, 100.0, 3000, 0)], plateau, 10);
        let o = optimize(&rec, None, &OptimizerSettings::default());
        assert!(
            o.run.iter().all(|r| r.kind != RecommendationType::Memory),
            "{:?}",
            o.run
        );
    }

    #[test]
    fn tail_latency_suggestions_follow_the_timeline() {
        let mut tail = op("feed", 10.0, 100.0, 3000, 0);
        tail.latency_ms.p99 = 120.0;
        // Spikes in 2 of 30 seconds: stalls.
        let spiky: Vec<TimelinePoint> = (0..30)
            .map(|s| {
                point(
                    s,
                    10,
                    20.0,
                    if s == 7 || s == 19 { 400.0 } else { 30.0 },
                    None,
                )
            })
            .collect();
        let o = optimize(
            &load_with(vec![tail.clone()], spiky, 10),
            None,
            &OptimizerSettings::default(),
        );
        let r = find(&o, "feed")
            .recommendations
            .iter()
            .find(|r| r.message.contains("P99"))
            .unwrap();
        assert!(
            r.suggestions[0].contains("seconds 7, 19") && r.suggestions[0].contains("stalls"),
            "{:?}",
            r.suggestions
        );
        // Latency rising with users: queuing.
        let ramp: Vec<TimelinePoint> = (0..30)
            .map(|s| point(s, 1 + s, 10.0 + 5.0 * s as f64, 30.0, None))
            .collect();
        let o = optimize(
            &load_with(vec![tail.clone()], ramp, 30),
            None,
            &OptimizerSettings::default(),
        );
        let r = find(&o, "feed")
            .recommendations
            .iter()
            .find(|r| r.message.contains("P99"))
            .unwrap();
        assert!(
            r.suggestions.iter().any(|s| s.contains("queue")),
            "{:?}",
            r.suggestions
        );
        // One request at a time: no queue to blame.
        let o = optimize(
            &record_with(vec![tail]),
            None,
            &OptimizerSettings::default(),
        );
        let r = find(&o, "feed")
            .recommendations
            .iter()
            .find(|r| r.message.contains("P99"))
            .unwrap();
        assert!(
            r.suggestions[0].contains("one at a time"),
            "{:?}",
            r.suggestions
        );
    }

    #[test]
    fn high_latency_with_low_cpu_points_at_waiting_and_high_cpu_at_profiling() {
        let mut waiting = op("slow_io", 400.0, 20.0, 100, 0);
        waiting.cpu_usage_percent = 5.0;
        let mut busy = op("slow_cpu", 400.0, 20.0, 100, 0);
        busy.cpu_usage_percent = 95.0;
        let o = optimize(
            &record_with(vec![waiting, busy]),
            None,
            &OptimizerSettings::default(),
        );
        let io = &find(&o, "slow_io").recommendations[0];
        assert_eq!(io.kind, RecommendationType::Latency);
        assert!(
            io.suggestions[0].contains("waiting"),
            "{:?}",
            io.suggestions
        );
        let cpu = &find(&o, "slow_cpu").recommendations[0];
        assert!(
            cpu.suggestions[0].contains("CPU-bound"),
            "{:?}",
            cpu.suggestions
        );
        // Nobody configured a CPU threshold: 95% is evidence for a suggestion, not a finding.
        assert!(o
            .operations
            .iter()
            .flat_map(|a| &a.recommendations)
            .chain(&o.run)
            .all(|r| r.kind != RecommendationType::Cpu));
    }

    #[test]
    fn a_saturated_runner_is_a_generator_finding() {
        let mut rec = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        rec.system.runner_saturated = true;
        rec.system.runner = Some(ProcessUsage {
            cpu_avg_percent: 197.0,
            ..Default::default()
        });
        let o = optimize(&rec, None, &OptimizerSettings::default());
        let g = o
            .run
            .iter()
            .find(|r| r.kind == RecommendationType::Generator)
            .unwrap();
        assert_eq!(g.severity, Severity::High);
        assert!(
            g.message.contains("197% CPU") && g.message.contains("runner's"),
            "{}",
            g.message
        );
        assert!(g.suggestions.iter().any(|s| s.contains("shard")));
    }

    #[test]
    fn regressions_from_a_comparison_become_recommendations() {
        let base = record_with(vec![op("a", 100.0, 100.0, 1000, 0)]);
        let head = record_with(vec![op("a", 145.0, 100.0, 1000, 0)]);
        let c = compare_runs(&base, &head, &CompareSettings::default());
        let o = optimize(&head, Some(&c), &OptimizerSettings::default());
        let a = find(&o, "a");
        let r = a
            .recommendations
            .iter()
            .find(|r| r.message.starts_with("P95 latency increased by 45%"))
            .unwrap();
        assert_eq!(r.kind, RecommendationType::Latency);
        assert_eq!(r.severity, Severity::High);
        assert!(r.suggestions[0].contains("0123456"), "{:?}", r.suggestions);
        assert_eq!(a.status, Status::Critical);
    }

    fn all_recs(o: &Optimization) -> impl Iterator<Item = &Recommendation> {
        o.operations
            .iter()
            .flat_map(|a| &a.recommendations)
            .chain(&o.run)
    }

    fn settings(gates: Gates) -> OptimizerSettings {
        OptimizerSettings::from_gates(&gates)
    }

    #[test]
    fn a_passing_operation_gate_is_the_target() {
        // p95 = 900 ms under its own `p95 < 5s`: not critical, not "above the 500 ms target", and no advice to
        // add the gate it has.
        let rec = record_with(vec![op("export", 600.0, 20.0, 100, 0)]);
        let gates =
            crate::gates::default_gates().with_operation("export", ["p95 < 5s".parse().unwrap()]);
        let o = optimize(&rec, None, &settings(gates));
        let a = find(&o, "export");
        assert_eq!(a.status, Status::Ok, "{:?}", a.recommendations);
        assert!(
            all_recs(&o).all(|r| !r.message.contains("500 ms")
                && r.suggestions
                    .iter()
                    .all(|s| !s.contains("set its own gate"))),
            "{:?}",
            a.recommendations
        );
        // Without the operation's gate, the all-operations gate applies; without any, the default target.
        let o = optimize(&rec, None, &settings(crate::gates::default_gates()));
        let r = &find(&o, "export").recommendations[0];
        assert!(
            r.message.contains("above the gate `p95 <= 500ms`"),
            "{}",
            r.message
        );
        assert!(r.suggestions.iter().any(|s| s.contains("set its own gate")));
        let o = optimize(&rec, None, &OptimizerSettings::default());
        let r = &find(&o, "export").recommendations[0];
        assert!(
            r.message.contains("above the 500 ms target"),
            "{}",
            r.message
        );
    }

    #[test]
    fn a_failing_gate_gets_a_recommendation() {
        // A sub-millisecond operation under `p95 < 0.2ms`.
        let rec = record_with(vec![op("ping", 0.4, 2000.0, 1000, 0)]);
        let gates = Gates::new().with_operation("ping", ["p95 < 0.2ms".parse().unwrap()]);
        let o = optimize(&rec, None, &settings(gates));
        let a = find(&o, "ping");
        assert_eq!(a.status, Status::Critical, "{:?}", a.recommendations);
        let r = &a.recommendations[0];
        assert!(
            r.message.contains("the gate `p95 < 0.2ms`"),
            "{}",
            r.message
        );
        assert!(
            r.suggestions
                .iter()
                .any(|s| s.contains("raise its own gate")),
            "{:?}",
            r.suggestions
        );
        // A gate no dedicated rule covers (p99, a lower bound) still gets one.
        let gates = Gates::parse_all(&["p99 < 0.5ms", "p50 > 1ms"]).unwrap();
        let o = optimize(&rec, None, &settings(gates));
        let msgs: Vec<&str> = find(&o, "ping")
            .recommendations
            .iter()
            .map(|r| r.message.as_str())
            .collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("P99 latency") && m.contains("`p99 < 0.5ms`"))
                && msgs.iter().any(|m| m.contains("`p50 > 1ms`")),
            "{msgs:?}"
        );
        // A passing gate is silent.
        let gates = Gates::parse_all(&["p99 < 50ms"]).unwrap();
        let o = optimize(&rec, None, &settings(gates));
        assert!(find(&o, "ping").recommendations.is_empty());
    }

    #[test]
    fn the_tail_ratio_rule_has_an_absolute_floor_and_respects_the_target() {
        // p99 8× the median at sub-10 ms: jitter, not a finding.
        let mut fast = op("fast", 0.5, 5000.0, 10000, 0);
        fast.latency_ms.p99 = 4.0;
        let o = optimize(
            &record_with(vec![fast]),
            None,
            &OptimizerSettings::default(),
        );
        assert!(find(&o, "fast").recommendations.is_empty());
        // 120 ms at a 10 ms median, inside the 500 ms target: informational.
        let mut tail = op("feed", 10.0, 100.0, 3000, 0);
        tail.latency_ms.p99 = 120.0;
        let o = optimize(
            &record_with(vec![tail.clone()]),
            None,
            &OptimizerSettings::default(),
        );
        let a = find(&o, "feed");
        assert_eq!(a.recommendations[0].severity, Severity::Low);
        assert_eq!(a.status, Status::Ok);
        // Past the target it is a warning.
        let gates = Gates::parse_all(&["p95 < 100ms"]).unwrap();
        let o = optimize(&record_with(vec![tail]), None, &settings(gates));
        assert_eq!(find(&o, "feed").status, Status::Warning);
    }

    #[test]
    fn no_gc_pauses_without_evidence_of_a_managed_runtime() {
        let mut tail = op("feed", 10.0, 100.0, 3000, 0);
        tail.latency_ms.p99 = 600.0;
        let spiky: Vec<TimelinePoint> = (0..30)
            .map(|s| point(s, 10, 20.0, if s == 7 { 900.0 } else { 30.0 }, None))
            .collect();
        for rec in [
            record_with(vec![tail.clone()]),
            load_with(vec![tail.clone()], spiky, 10),
            load_with(vec![tail], vec![], 10),
        ] {
            let o = optimize(&rec, None, &OptimizerSettings::default());
            for r in all_recs(&o) {
                assert!(
                    r.suggestions.iter().all(|s| !s.contains("GC")),
                    "{:?}",
                    r.suggestions
                );
            }
        }
    }

    #[test]
    fn cpu_and_memory_thresholds_warn_only_when_configured_and_once_per_phase() {
        let ops: Vec<OperationResult> = ["a", "b", "c"]
            .iter()
            .map(|n| {
                let mut o = op(n, 10.0, 300.0, 3000, 0);
                o.cpu_usage_percent = 95.0;
                o.memory_usage_mb = 700.0;
                o
            })
            .collect();
        let rec = load_with(ops, vec![], 10);
        let o = optimize(&rec, None, &OptimizerSettings::default());
        assert!(all_recs(&o)
            .all(|r| r.kind != RecommendationType::Cpu && r.kind != RecommendationType::Memory));
        assert!(o.operations.iter().all(|a| a.status == Status::Ok));

        let gates = Gates::parse_all(&["cpu_percent < 80", "memory_mb < 512"]).unwrap();
        let o = optimize(&rec, None, &settings(gates));
        assert!(o.operations.iter().all(|a| a.recommendations.is_empty()));
        let cpu: Vec<_> = o
            .run
            .iter()
            .filter(|r| r.kind == RecommendationType::Cpu)
            .collect();
        let mem: Vec<_> = o
            .run
            .iter()
            .filter(|r| r.kind == RecommendationType::Memory)
            .collect();
        assert_eq!((cpu.len(), mem.len()), (1, 1), "{:?}", o.run);
        assert!(
            cpu[0].message.contains("95%") && cpu[0].message.contains("a, b, c"),
            "{}",
            cpu[0].message
        );
        assert!(
            mem[0].message.contains("the gate `memory_mb < 512`"),
            "{}",
            mem[0].message
        );
        // The environment's thresholds, without gates, work the same.
        let s = OptimizerSettings {
            cpu_threshold_percent: Some(90.0),
            ..OptimizerSettings::default()
        };
        let o = optimize(&rec, None, &s);
        assert_eq!(
            o.run
                .iter()
                .filter(|r| r.kind == RecommendationType::Cpu)
                .count(),
            1
        );
    }

    #[test]
    fn a_saturated_host_is_blamed_once_per_run() {
        let mut healthy = load_with(
            vec![
                op("a", 0.3, 9000.0, 90000, 0),
                op("b", 0.3, 9000.0, 90000, 0),
            ],
            vec![],
            10,
        );
        if let Some(l) = healthy.load.as_mut() {
            l.system.host_cpu_percent = Some(99.0);
        }
        let o = optimize(&healthy, None, &OptimizerSettings::default());
        let host: Vec<_> = o
            .run
            .iter()
            .filter(|r| r.message.contains("host's CPU"))
            .collect();
        assert_eq!(host.len(), 1, "{:?}", o.run);
        // Healthy otherwise: informational.
        assert_eq!(host[0].severity, Severity::Low);
        assert!(o.operations.iter().all(|a| a.recommendations.is_empty()));

        // With a slow operation, the host is blamed first, in the operation's suggestions and at medium.
        let mut slow = healthy.clone();
        if let Some(l) = slow.load.as_mut() {
            l.operations[0].latency_ms.p95 = 800.0;
        }
        let o = optimize(&slow, None, &OptimizerSettings::default());
        let host = o
            .run
            .iter()
            .find(|r| r.message.contains("host's CPU"))
            .unwrap();
        assert_eq!(host.severity, Severity::Medium);
        let r = &find(&o, "a").recommendations[0];
        assert!(
            r.suggestions[0].contains("host's CPU was at 99%"),
            "{:?}",
            r.suggestions
        );
        // A stress test drives the host to its limit on purpose: its reading does not count.
        let mut stress = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        stress.stress = Some(StressSection::default());
        stress.system.host_cpu_percent = Some(100.0);
        let o = optimize(&stress, None, &OptimizerSettings::default());
        assert!(
            o.run.iter().all(|r| !r.message.contains("host")),
            "{:?}",
            o.run
        );
    }

    #[test]
    fn a_saturated_runner_is_blamed_in_the_operations_findings() {
        let mut rec = record_with(vec![op("a", 600.0, 100.0, 1000, 0)]);
        rec.system.runner_saturated = true;
        rec.system.host_cpu_percent = Some(100.0);
        let o = optimize(&rec, None, &OptimizerSettings::default());
        let r = &find(&o, "a").recommendations[0];
        assert!(
            r.suggestions[0].contains("perfgate itself was saturated"),
            "{:?}",
            r.suggestions
        );
        // One run-level finding, naming the host too; no second one about the host.
        let g: Vec<_> = o
            .run
            .iter()
            .filter(|r| r.message.contains("saturated") || r.message.contains("host"))
            .collect();
        assert_eq!(g.len(), 1, "{:?}", o.run);
        assert!(
            g[0].message.contains("host's CPU at 100%"),
            "{}",
            g[0].message
        );
    }

    #[test]
    fn an_operation_without_requests_is_critical_with_reasons() {
        let mut dead = op("dead", 1.0, 0.0, 0, 0);
        dead.total_requests = 0;
        let mut rec = load_with(vec![dead], vec![], 20000);
        if let Some(l) = rec.load.as_mut() {
            l.ramp_up_seconds = 10.0;
            l.duration_seconds = 5.0;
        }
        let o = optimize(&rec, None, &OptimizerSettings::default());
        let a = find(&o, "dead");
        assert_eq!(a.status, Status::Critical);
        assert_eq!(a.recommendations.len(), 1);
        let r = &a.recommendations[0];
        assert!(r.message.contains("No request completed"));
        assert!(r
            .suggestions
            .iter()
            .any(|s| s.contains("20000 concurrent users")));
        assert!(r.suggestions.iter().any(|s| s.contains("ramp_up_seconds")));
    }

    #[test]
    fn a_healthy_service_under_moderate_load_has_no_warning() {
        // nginx serving a static file at -c 10 on a 2-core runner: sub-millisecond, thousands of rps, the host
        // busy, the service using some CPU, a p99 a few times the median.
        let ops: Vec<OperationResult> = ["index", "asset"]
            .iter()
            .map(|n| {
                let mut o = op(n, 0.35, 8000.0, 80000, 0);
                o.latency_ms.p99 = 2.5;
                o.cpu_usage_percent = 85.0;
                o.memory_usage_mb = 9.0;
                o
            })
            .collect();
        let timeline: Vec<TimelinePoint> = (0..10)
            .map(|s| point(s, 10, 0.6, if s == 4 { 9.0 } else { 2.5 }, Some(9.0)))
            .collect();
        let mut rec = load_with(ops, timeline, 10);
        if let Some(l) = rec.load.as_mut() {
            l.system.host_cpu_percent = Some(100.0);
        }
        let o = optimize(&rec, None, &settings(crate::gates::default_gates()));
        assert!(
            all_recs(&o).all(|r| r.severity == Severity::Low),
            "{:?}",
            all_recs(&o).collect::<Vec<_>>()
        );
        assert!(o.operations.iter().all(|a| a.status == Status::Ok));
    }
}

//! The optimizer: per operation a status and recommendations that follow the evidence in the run record.
//!
//! This is the original framework's `PerformanceOptimizer`, kept in shape (`status` ok|warning|critical,
//! `recommendations[{type, severity, message, suggestions[]}]`, types latency, throughput, errors, memory, cpu,
//! generator) but not in its habit of printing a fixed list. Each suggestion is chosen by what the record shows:
//!
//! * timeouts that start at a concurrency level (stress steps, load users) → pools and timeouts;
//! * connection errors → listen backlog, connection limits, file descriptors;
//! * 4xx → the test's request is wrong, not the service slow;
//! * p99 far above p50 → queuing when latency rises with concurrency, periodic stalls (GC, background work) when
//!   the per-second p99 spikes, slow paths when requests run one at a time;
//! * high latency with high CPU → CPU-bound (profile); with low CPU → waiting (downstream, locks, pools);
//! * memory rising over the load timeline without levelling off → a leak or an unbounded cache;
//! * throughput flat while stress concurrency rises → the service's capacity was reached;
//! * the runner saturated, or open-model starts late → the numbers are the generator's: add shards.
//!
//! With a comparison, every unacknowledged regression becomes a recommendation ("P95 latency increased by
//! 45% (120 ms → 174 ms)"), with the same evidence-led suggestions.
//!
//! A status is `critical` when any recommendation of the operation is `high`, `warning` when any is `medium`,
//! `ok` otherwise (`low` ones are informational).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::compare::{Comparison, ComparisonRow, Verdict};
use crate::metric::{format_ms, sig, Metric};
use crate::record::{
    LoadSection, OperationResult, RunRecord, StressSection, TestType, TimelinePoint,
};

/// Status of one operation.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing above `low`.
    #[default]
    Ok,
    /// A `medium` recommendation.
    Warning,
    /// A `high` recommendation.
    Critical,
}

impl Status {
    /// `ok`, `warning`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Critical => "critical",
        }
    }
}

/// How much a recommendation matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    Low,
    /// Worth a look; makes the operation's status `warning`.
    Medium,
    /// Makes the operation's status `critical`.
    High,
}

impl Severity {
    /// `low`, `medium`, `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// What a recommendation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationType {
    /// Latency levels, tails or regressions.
    Latency,
    /// Throughput, capacity, the stress curve.
    Throughput,
    /// Failed requests.
    Errors,
    /// Memory level or growth.
    Memory,
    /// CPU use.
    Cpu,
    /// The load generator (perfgate itself) limited or distorted the measurement.
    Generator,
}

impl RecommendationType {
    /// `latency`, `throughput`, `errors`, `memory`, `cpu`, `generator`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationType::Latency => "latency",
            RecommendationType::Throughput => "throughput",
            RecommendationType::Errors => "errors",
            RecommendationType::Memory => "memory",
            RecommendationType::Cpu => "cpu",
            RecommendationType::Generator => "generator",
        }
    }
}

/// One recommendation: `{type, severity, message, suggestions[]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// What it is about (`type` in JSON).
    #[serde(rename = "type")]
    pub kind: RecommendationType,
    /// How much it matters.
    pub severity: Severity,
    /// What the record shows, in one sentence.
    pub message: String,
    /// What to do, chosen by the evidence.
    pub suggestions: Vec<String>,
}

/// Status and recommendations of one operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationAnalysis {
    /// The schedule.
    pub test_type: TestType,
    /// The operation name.
    pub operation: String,
    /// ok, warning or critical.
    pub status: Status,
    /// The findings, most severe first when rendered.
    pub recommendations: Vec<Recommendation>,
}

/// The optimizer's limits. Defaults follow the framework's gates and environment variables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSettings {
    /// P95 above this is a latency finding (default 500 ms, the default gate).
    pub p95_limit_ms: f64,
    /// Error rate above this is `high` (default 5 %).
    pub error_rate_limit_percent: f64,
    /// Throughput below this is a finding (default 10 rps).
    pub min_rps: f64,
    /// `PERFORMANCE_MEMORY_THRESHOLD_MB` (default 512).
    pub memory_threshold_mb: f64,
    /// `PERFORMANCE_CPU_THRESHOLD_PERCENT` (default 80).
    pub cpu_threshold_percent: f64,
    /// P99 / P50 above this is a tail-latency finding (default 5).
    pub tail_ratio: f64,
    /// Tail findings need p99 at least this high, so sub-millisecond jitter is not reported (default 5 ms).
    pub tail_min_p99_ms: f64,
}

impl Default for OptimizerSettings {
    fn default() -> Self {
        Self {
            p95_limit_ms: 500.0,
            error_rate_limit_percent: 5.0,
            min_rps: 10.0,
            memory_threshold_mb: 512.0,
            cpu_threshold_percent: 80.0,
            tail_ratio: 5.0,
            tail_min_p99_ms: 5.0,
        }
    }
}

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
    for (test_type, op) in record.operations().filter(|(t, _)| *t != TestType::Stress) {
        let ctx = Context::new(record, test_type);
        let mut recs = Vec::new();
        latency_findings(op, &ctx, settings, &mut recs);
        error_findings(op, &ctx, settings, &mut recs);
        throughput_findings(op, &ctx, settings, &mut recs);
        resource_findings(op, &ctx, settings, &mut recs);
        if let Some(c) = comparison {
            comparison_findings(op, test_type, c, &regressed, &ctx, settings, &mut recs);
        }
        operations.push(OperationAnalysis {
            test_type,
            operation: op.operation_name.clone(),
            status: status_of(&recs),
            recommendations: recs,
        });
    }
    let mut run = Vec::new();
    generator_findings(record, &mut run);
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
}

impl<'a> Context<'a> {
    fn new(rec: &'a RunRecord, test_type: TestType) -> Self {
        let load = rec.load.as_ref();
        let concurrency = match test_type {
            TestType::Load => load.map(|l| l.concurrent_users).unwrap_or(1),
            _ => 1,
        };
        Self {
            test_type,
            load: if test_type == TestType::Load {
                load
            } else {
                None
            },
            stress: rec.stress.as_ref(),
            concurrency,
        }
    }
}

fn latency_findings(
    op: &OperationResult,
    ctx: &Context,
    s: &OptimizerSettings,
    out: &mut Vec<Recommendation>,
) {
    let l = &op.latency_ms;
    if op.total_requests == 0 {
        return;
    }
    if l.p95 > s.p95_limit_ms {
        let severity = if l.p95 > 2.0 * s.p95_limit_ms {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut suggestions = cause_suggestions(op, ctx, s);
        suggestions.push(format!(
            "If {} ms is the operation's real cost, set its own gate (`[gates.operations] {} = [\"p95 < …\"]`) instead of raising the limit for every operation.",
            sig(l.p95),
            op.operation_name
        ));
        out.push(Recommendation {
            kind: RecommendationType::Latency,
            severity,
            message: format!(
                "P95 latency {} is above the {} target",
                format_ms(l.p95),
                format_ms(s.p95_limit_ms)
            ),
            suggestions,
        });
    }
    if l.p50 > 0.0 && l.p99 >= s.tail_min_p99_ms && l.p99 / l.p50 > s.tail_ratio {
        let ratio = l.p99 / l.p50;
        out.push(Recommendation {
            kind: RecommendationType::Latency,
            severity: Severity::Medium,
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

/// Why latency is high, from CPU and concurrency evidence.
fn cause_suggestions(op: &OperationResult, ctx: &Context, s: &OptimizerSettings) -> Vec<String> {
    let mut v = Vec::new();
    let target_cpu = op.resource_source == "target" && op.cpu_usage_percent.unwrap_or(0.0) > 0.0;
    if target_cpu && op.cpu_usage_percent.unwrap_or(0.0) >= s.cpu_threshold_percent {
        v.push(format!(
            "The service used {}% CPU: it is CPU-bound. Profile the hot path (`perf record -g`, a flamegraph) and cache or precompute expensive work.",
            sig(op.cpu_usage_percent.unwrap_or(0.0))
        ));
    } else if target_cpu && op.cpu_usage_percent.unwrap_or(0.0) < s.cpu_threshold_percent / 2.0 {
        v.push(format!(
            "The service used only {}% CPU while requests were slow: time goes to waiting — a downstream call, a lock or a pool. Trace a slow request (PERFORMANCE_ENABLE_TRACING=true) to see where.",
            sig(op.cpu_usage_percent.unwrap_or(0.0))
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

/// Why p99 is far above p50, from the timeline and the concurrency.
fn tail_suggestions(ctx: &Context) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(load) = ctx.load {
        if let Some(spikes) = p99_spike_seconds(&load.timeline) {
            v.push(format!(
                "The per-second p99 spikes (seconds {}) while other seconds are fast: periodic stalls — GC or allocator pauses, background jobs, log flushing, cache expiry. Correlate those seconds with the service's logs.",
                spikes
            ));
        }
        if latency_rise_with_users(&load.timeline).is_some() {
            v.push("Latency grows with the number of active users: requests queue for a worker, connection or lock. Raise pool sizes or limit in-flight requests.".to_string());
        }
    }
    if v.is_empty() {
        if ctx.concurrency <= 1 && ctx.test_type == TestType::Benchmark {
            v.push("Requests ran one at a time, so nothing queued: some inputs take a slow path, a cache is cold, or GC/allocator pauses hit some requests. Look at the slowest requests' inputs.".to_string());
        } else {
            v.push(format!(
                "With {} concurrent users, the tail is usually queuing (pools, locks) or GC pauses: check pool sizes and the runtime's pause times.",
                ctx.concurrency
            ));
        }
    }
    v
}

fn error_findings(
    op: &OperationResult,
    ctx: &Context,
    s: &OptimizerSettings,
    out: &mut Vec<Recommendation>,
) {
    if op.failed_requests == 0 || op.total_requests == 0 {
        return;
    }
    let rate = op.error_rate_percent();
    let severity = if rate > s.error_rate_limit_percent {
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
    s: &OptimizerSettings,
    out: &mut Vec<Recommendation>,
) {
    if op.total_requests == 0 || op.throughput_rps >= s.min_rps {
        return;
    }
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
            "Throughput {} rps is below the {} rps target",
            sig(op.throughput_rps),
            sig(s.min_rps)
        ),
        suggestions: vec![suggestion],
    });
}

fn resource_findings(
    op: &OperationResult,
    _ctx: &Context,
    s: &OptimizerSettings,
    out: &mut Vec<Recommendation>,
) {
    let whose = if op.resource_source == "runner" {
        "the runner (perfgate itself)"
    } else {
        "the service"
    };
    if op.memory_usage_mb.unwrap_or(0.0) > s.memory_threshold_mb {
        let severity = if op.memory_usage_mb.unwrap_or(0.0) > 1.5 * s.memory_threshold_mb {
            Severity::High
        } else {
            Severity::Medium
        };
        let suggestion = if op.resource_source == "runner" {
            "These are the runner's figures: let perfgate start the service (or give its pid) to measure the service's memory.".to_string()
        } else {
            "Bound caches and buffers, stream large responses instead of building them in memory, and check the memory timeline of a load test for growth (a leak).".to_string()
        };
        out.push(Recommendation {
            kind: RecommendationType::Memory,
            severity,
            message: format!(
                "Memory of {whose} {} MB is above the {} MB threshold",
                sig(op.memory_usage_mb.unwrap_or(0.0)),
                sig(s.memory_threshold_mb)
            ),
            suggestions: vec![suggestion],
        });
    }
    if op.cpu_usage_percent.unwrap_or(0.0) > s.cpu_threshold_percent {
        let severity = if op.cpu_usage_percent.unwrap_or(0.0) > 1.5 * s.cpu_threshold_percent {
            Severity::High
        } else {
            Severity::Medium
        };
        let suggestion = if op.resource_source == "runner" {
            "These are the runner's figures: a busy runner distorts latency. Add shards or a larger runner.".to_string()
        } else {
            "Profile the service under this load (`perf record -g`, a flamegraph) and remove the hottest work; CPU-bound services scale with cores or instances.".to_string()
        };
        out.push(Recommendation {
            kind: RecommendationType::Cpu,
            severity,
            message: format!(
                "CPU of {whose} {}% is above the {}% threshold",
                sig(op.cpu_usage_percent.unwrap_or(0.0)),
                sig(s.cpu_threshold_percent)
            ),
            suggestions: vec![suggestion],
        });
    }
}

fn comparison_findings(
    op: &OperationResult,
    test_type: TestType,
    c: &Comparison,
    regressed: &RegressedRows<'_>,
    ctx: &Context,
    s: &OptimizerSettings,
    out: &mut Vec<Recommendation>,
) {
    let kind_of = |m: Metric| match m {
        Metric::ErrorRate => RecommendationType::Errors,
        Metric::Rps => RecommendationType::Throughput,
        Metric::MemoryMb => RecommendationType::Memory,
        Metric::CpuPercent => RecommendationType::Cpu,
        _ => RecommendationType::Latency,
    };
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
            RecommendationType::Latency => suggestions.extend(cause_suggestions(op, ctx, s)),
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

fn generator_findings(rec: &RunRecord, out: &mut Vec<Recommendation>) {
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
        let cpu = rec
            .system
            .runner
            .as_ref()
            .map(|r| format!(" ({}% CPU on average)", sig(r.cpu_avg_percent)))
            .unwrap_or_default();
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
            r.suggestions[0].contains("seconds 7, 19") && r.suggestions[0].contains("GC"),
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
        waiting.cpu_usage_percent = Some(5.0);
        let mut busy = op("slow_cpu", 400.0, 20.0, 100, 0);
        busy.cpu_usage_percent = Some(95.0);
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
        assert!(find(&o, "slow_cpu")
            .recommendations
            .iter()
            .any(|r| r.kind == RecommendationType::Cpu));
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
}

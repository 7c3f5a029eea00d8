//! What the optimizer judges an operation by: the gates in force, and the defaults where no gate speaks.

use serde::{Deserialize, Serialize};

use crate::gates::{GateExpr, Gates};
use crate::limits;
use crate::metric::{Direction, Metric};

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

    pub(super) fn is_side(&self, operation: &str) -> bool {
        self.side_operations.iter().any(|o| o == operation)
    }

    /// What `operation` is held to.
    pub(super) fn targets(&self, operation: &str) -> Targets<'_> {
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
pub(super) struct Target<'a> {
    pub(super) limit: f64,
    pub(super) gate: Option<&'a GateExpr>,
}

impl Target<'_> {
    /// Whether `value` breaks the limit: fails the gate, or lies on the bad side of the default.
    pub(super) fn broken_by(&self, value: f64, direction: Direction) -> bool {
        match (self.gate, direction) {
            (Some(g), _) => !g.passes(value),
            (None, Direction::LowerIsBetter) => value > self.limit,
            (None, Direction::HigherIsBetter) => value < self.limit,
        }
    }

    /// "the 500 ms target" or "the gate `p95 < 200ms`".
    pub(super) fn describe(&self, metric: Metric) -> String {
        match self.gate {
            Some(g) => format!("the gate `{g}`"),
            None => format!("the {} target", metric.format_value(self.limit)),
        }
    }
}

/// The limits one operation is held to.
pub(super) struct Targets<'a> {
    pub(super) p95: Target<'a>,
    /// The operation has a p95 gate of its own.
    pub(super) p95_own: bool,
    pub(super) error_rate: Target<'a>,
    /// `None` for a side operation.
    pub(super) min_rps: Option<Target<'a>>,
    pub(super) memory_mb: Option<Target<'a>>,
    pub(super) cpu_percent: Option<Target<'a>>,
    /// Every gate in force.
    pub(super) gates: Vec<&'a GateExpr>,
}

/// Whole-host CPU (0–100 %) from which the host counts as saturated: the service and perfgate competed for
/// cores, so part of the latency is the machine's.
pub const HOST_SATURATED_PERCENT: f64 = 90.0;
/// The service's CPU (percent of one core) from which slow requests are called CPU-bound when no CPU
/// threshold is configured (only the choice of suggestion depends on it, never a finding).
pub(super) const CPU_BOUND_PERCENT: f64 = 80.0;

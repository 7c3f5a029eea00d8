//! The analysis section of a run record: the types the record stores about its verdict.
//!
//! The overall status and its reasons, every gate's outcome ([`GateResult`]), each operation's status and
//! recommendations ([`OperationAnalysis`]) and the comparison. They live apart from the code that computes
//! them ([`crate::gates`], [`super::optimizer`], [`super::judge()`]), which reads run records, so that the
//! record can store them without importing that code. Each is re-exported where it is computed.

use serde::{Deserialize, Serialize};

use super::comparison::Comparison;
use crate::metric::Metric;
use crate::test_type::TestType;

/// The overall outcome of a run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OverallStatus {
    /// No gate failed, no unacknowledged regression, nothing worth a warning.
    #[default]
    Pass,
    /// Nothing failed, but something deserves a look (acknowledged or warn-only regressions, warnings).
    Warn,
    /// A gate failed, or a regression did under `regression = "fail"`. Exit code 1.
    Fail,
}

impl OverallStatus {
    /// `pass`, `warn`, `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            OverallStatus::Pass => "pass",
            OverallStatus::Warn => "warn",
            OverallStatus::Fail => "fail",
        }
    }
}

/// The `analysis` section of a run record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisSection {
    /// pass, warn or fail.
    pub status: OverallStatus,
    /// Why the status is what it is, one line per reason ("2 gates failed", "1 regression (warn only)").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Every gate on every benchmark and load operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateResult>,
    /// Per benchmark/load operation: `status` and `recommendations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationAnalysis>,
    /// Findings about the run as a whole (generator, memory timeline, stress curve).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<Recommendation>,
    /// The comparison with the baseline, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

impl AnalysisSection {
    /// The gates that failed.
    pub fn failed_gates(&self) -> impl Iterator<Item = &GateResult> {
        self.gates.iter().filter(|g| !g.passed && !g.not_evaluated)
    }

    /// The gates on a metric that was not measured (neither passed nor failed).
    pub fn unevaluated_gates(&self) -> impl Iterator<Item = &GateResult> {
        self.gates.iter().filter(|g| g.not_evaluated)
    }
}

/// A comparison operator of a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparator {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl Comparator {
    /// The operator as written: `<`, `<=`, `>`, `>=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    /// Whether `actual OP limit` holds.
    pub fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Comparator::Lt => actual < limit,
            Comparator::Le => actual <= limit,
            Comparator::Gt => actual > limit,
            Comparator::Ge => actual >= limit,
        }
    }
}

/// The outcome of one gate on one operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// The schedule.
    pub test_type: TestType,
    /// The operation name.
    pub operation: String,
    /// The expression, as written (`p95 < 500ms`).
    pub gate: String,
    /// The metric gated.
    pub metric: Metric,
    /// The operator.
    pub comparator: Comparator,
    /// The limit in the metric's unit.
    pub limit: f64,
    /// The measured value; `None` when the operation has no such value (no request completed).
    pub actual: Option<f64>,
    /// Whether the gate held (false when it was not evaluated).
    pub passed: bool,
    /// The gated metric was not measured (memory or CPU with no target process): the row is neither a pass
    /// nor a failure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_evaluated: bool,
    /// "p95 = 612 ms, limit 500ms (fails p95 < 500ms)".
    pub message: String,
}

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

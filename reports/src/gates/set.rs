//! The gates of a suite: all-operations and per-operation gates, the regression policy, the `[gates]` table,
//! the defaults, and which limit is in force for one operation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::expr::{GateExpr, GateParseError};
use crate::analysis::section::Comparator;
use crate::limits::{self, Limits};
use crate::metric::{Direction, Metric};

/// What a significant regression against the baseline does to the run: fail the check (default) or only warn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegressionPolicy {
    /// A regression fails the run (exit code 1).
    #[default]
    Fail,
    /// A regression only warns.
    Warn,
}

/// A gate with its scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// `None`: every operation. `Some(name)`: only that operation (and it overrides an all-operations gate on the
    /// same metric).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The expression.
    pub expr: GateExpr,
}

/// The gates of a suite and what a regression does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Gates {
    /// Every gate, all-operations and per-operation.
    pub gates: Vec<Gate>,
    /// What a significant regression does.
    #[serde(default)]
    pub regression: RegressionPolicy,
}

/// The `[gates]` table of `perfgate.toml`, ready for serde:
///
/// ```toml
/// [gates]
/// all = ["p95 < 500ms", "error_rate < 5%", "rps >= 10"]   # omit for the defaults; [] for none
/// regression = "fail"                                      # or "warn"
/// [gates.operations]
/// export_report = ["p95 < 2s"]
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatesConfig {
    /// Gates for every operation; `None` (key absent) means [`default_gates`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<GateExpr>>,
    /// Gates for one operation each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub operations: BTreeMap<String, Vec<GateExpr>>,
    /// `regression = "fail"` (default) or `"warn"`.
    #[serde(default)]
    pub regression: RegressionPolicy,
}

impl From<GatesConfig> for Gates {
    fn from(c: GatesConfig) -> Self {
        let mut gates = match c.all {
            Some(all) => Gates::default().with_all(all),
            None => default_gates(),
        };
        for (op, exprs) in c.operations {
            gates = gates.with_operation(&op, exprs);
        }
        gates.regression = c.regression;
        gates
    }
}

impl Gates {
    /// No gates, regressions fail.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses expressions that apply to every operation.
    pub fn parse_all<S: AsRef<str>>(exprs: &[S]) -> Result<Self, GateParseError> {
        let parsed = exprs
            .iter()
            .map(|e| e.as_ref().parse())
            .collect::<Result<Vec<GateExpr>, _>>()?;
        Ok(Self::default().with_all(parsed))
    }

    /// Adds gates for every operation.
    pub fn with_all(mut self, exprs: impl IntoIterator<Item = GateExpr>) -> Self {
        self.gates.extend(exprs.into_iter().map(|expr| Gate {
            operation: None,
            expr,
        }));
        self
    }

    /// Adds gates for one operation.
    pub fn with_operation(
        mut self,
        operation: &str,
        exprs: impl IntoIterator<Item = GateExpr>,
    ) -> Self {
        self.gates.extend(exprs.into_iter().map(|expr| Gate {
            operation: Some(operation.to_string()),
            expr,
        }));
        self
    }

    /// The gates that apply to `operation`: its own, plus the all-operations gates on metrics it has no own
    /// gate for.
    pub fn for_operation(&self, operation: &str) -> Vec<&GateExpr> {
        let own: Vec<&GateExpr> = self
            .gates
            .iter()
            .filter(|g| g.operation.as_deref() == Some(operation))
            .map(|g| &g.expr)
            .collect();
        let mut out: Vec<&GateExpr> = self
            .gates
            .iter()
            .filter(|g| g.operation.is_none() && !own.iter().any(|o| o.metric == g.expr.metric))
            .map(|g| &g.expr)
            .collect();
        out.extend(own);
        out
    }

    /// The gates in force for `operation` ([`Gates::for_operation`]); `None`: the all-operations gates only
    /// (what a stress step or an operation without gates of its own is held to).
    pub fn in_force(&self, operation: Option<&str>) -> Vec<&GateExpr> {
        match operation {
            Some(op) => self.for_operation(op),
            None => self
                .gates
                .iter()
                .filter(|g| g.operation.is_none())
                .map(|g| &g.expr)
                .collect(),
        }
    }

    /// Whether `operation` has a gate of its own on `metric`.
    pub fn has_own(&self, operation: &str, metric: Metric) -> bool {
        self.gates
            .iter()
            .any(|g| g.operation.as_deref() == Some(operation) && g.expr.metric == metric)
    }

    /// The strictest gate in force for `operation` that bounds `metric` on its bad side: an upper bound
    /// (`<`, `<=`) for latency, error rate, memory and CPU, a lower bound (`>`, `>=`) for throughput. `None`
    /// when no such gate is in force (a `p95 > 1ms` gate is not a latency limit).
    pub fn limit_gate(&self, operation: Option<&str>, metric: Metric) -> Option<&GateExpr> {
        let bounds = self.in_force(operation).into_iter().filter(|g| {
            g.metric == metric
                && match metric.direction() {
                    Direction::LowerIsBetter => {
                        matches!(g.comparator, Comparator::Lt | Comparator::Le)
                    }
                    Direction::HigherIsBetter => {
                        matches!(g.comparator, Comparator::Gt | Comparator::Ge)
                    }
                }
        });
        match metric.direction() {
            Direction::LowerIsBetter => bounds.min_by(|a, b| a.limit.total_cmp(&b.limit)),
            Direction::HigherIsBetter => bounds.max_by(|a, b| a.limit.total_cmp(&b.limit)),
        }
    }

    /// The limit of [`Gates::limit_gate`], in the metric's unit.
    pub fn limit(&self, operation: Option<&str>, metric: Metric) -> Option<f64> {
        self.limit_gate(operation, metric).map(|g| g.limit)
    }

    /// The p95, error-rate and throughput limits in force for `operation` (`None`: an operation without gates
    /// of its own, a stress step, the site's overview): for each metric the operation's own gate, else the
    /// all-operations gate, else the [default](crate::limits). With several gates on one metric the strictest
    /// counts.
    pub fn limits(&self, operation: Option<&str>) -> Limits {
        Limits {
            p95_ms: self.limit(operation, Metric::P95).unwrap_or(limits::P95_MS),
            error_rate_percent: self
                .limit(operation, Metric::ErrorRate)
                .unwrap_or(limits::ERROR_RATE_PERCENT),
            min_rps: self
                .limit(operation, Metric::Rps)
                .unwrap_or(limits::MIN_RPS),
        }
    }
}

/// The framework's defaults ([`crate::limits`]): p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps, for
/// every operation.
pub fn default_gates() -> Gates {
    Gates::default().with_all([
        GateExpr::new(Metric::P95, Comparator::Le, limits::P95_MS),
        GateExpr::new(
            Metric::ErrorRate,
            Comparator::Le,
            limits::ERROR_RATE_PERCENT,
        ),
        GateExpr::new(Metric::Rps, Comparator::Ge, limits::MIN_RPS),
    ])
}

//! Gates: absolute pass/fail limits written as k6-like expressions.
//!
//! A gate is a string such as `p95 < 500ms`, `p99 <= 1s`, `avg < 200ms`, `error_rate < 5%`, `rps >= 10`,
//! `memory_mb < 512` or `cpu_percent < 80`. Gates apply to every operation or to one named operation; an
//! operation's own gate on a metric replaces the all-operations gate on that metric (so a slow export endpoint
//! can have `p95 < 2s` while everything else keeps `p95 < 500ms`). Without configured gates the defaults of the
//! framework perfgate grew from apply: p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps.
//!
//! Gates are evaluated on the benchmark and load results. Stress steps are not gated: a stress test is meant
//! to go past the limits, and its finding is the breaking point, not a failed gate.
//!
//! Units: latency limits take `us`/`µs`, `ms` (the default when no unit is written, as in k6's `p(95)<500`)
//! or `s`; `error_rate` needs `%` (so `0.05` cannot be misread as 5 % or 0.05 %); `cpu_percent` takes an
//! optional `%`; `memory_mb` an optional `MB` (or `GB`); `rps` an optional `rps` or `/s`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::metric::{Metric, Unit};
use crate::record::{RunRecord, TestType};

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

/// Why a gate expression could not be parsed. Every message quotes the expression and says what was expected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GateParseError {
    /// Nothing was written.
    #[error("empty gate expression; expected something like `p95 < 500ms`")]
    Empty,
    /// No `<`, `<=`, `>` or `>=`.
    #[error("gate `{expr}`: no comparison operator; expected `<`, `<=`, `>` or `>=` as in `p95 < 500ms`")]
    MissingOperator { expr: String },
    /// The left side is not a metric.
    #[error("gate `{expr}`: unknown metric `{metric}`; expected one of: p50, p90, p95, p99, p999, avg, max, error_rate, rps, memory_mb, cpu_percent")]
    UnknownMetric { expr: String, metric: String },
    /// The right side is not a number.
    #[error("gate `{expr}`: expected a number after `{op}`, found `{found}`")]
    BadNumber {
        expr: String,
        op: &'static str,
        found: String,
    },
    /// The unit does not fit the metric.
    #[error("gate `{expr}`: unit `{unit}` does not fit {metric}; expected {expected}")]
    BadUnit {
        expr: String,
        metric: Metric,
        unit: String,
        expected: &'static str,
    },
}

/// One parsed gate expression, e.g. `p95 < 500ms`. The limit is kept in the metric's unit (ms, %, rps, MB).
///
/// Serializes as the string it was written as (normalized spacing), so it can sit in `perfgate.toml` and in
/// the JSON run record as a plain string.
#[derive(Clone, Debug, PartialEq)]
pub struct GateExpr {
    /// The metric gated.
    pub metric: Metric,
    /// How the value must compare with the limit.
    pub comparator: Comparator,
    /// The limit in the metric's unit (milliseconds for latency, percent for error rate and CPU, …).
    pub limit: f64,
    /// The limit as the user wrote it (`1s`, `5%`), for messages.
    limit_text: String,
}

impl GateExpr {
    /// Builds a gate from parts (the limit in the metric's unit).
    pub fn new(metric: Metric, comparator: Comparator, limit: f64) -> Self {
        let limit_text = match metric.unit() {
            Unit::Milliseconds => format!("{}ms", crate::metric::sig(limit)),
            Unit::Percent => format!("{}%", crate::metric::sig(limit)),
            _ => crate::metric::sig(limit),
        };
        Self {
            metric,
            comparator,
            limit,
            limit_text,
        }
    }

    /// Whether `actual` passes this gate.
    pub fn passes(&self, actual: f64) -> bool {
        self.comparator.holds(actual, self.limit)
    }
}

impl fmt::Display for GateExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.metric.key(),
            self.comparator.as_str(),
            self.limit_text
        )
    }
}

impl FromStr for GateExpr {
    type Err = GateParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expr = s.trim();
        if expr.is_empty() {
            return Err(GateParseError::Empty);
        }
        let pos = expr
            .find(['<', '>'])
            .ok_or_else(|| GateParseError::MissingOperator {
                expr: expr.to_string(),
            })?;
        let rest = &expr[pos..];
        let (comparator, op_len) = if rest.starts_with("<=") {
            (Comparator::Le, 2)
        } else if rest.starts_with(">=") {
            (Comparator::Ge, 2)
        } else if rest.starts_with('<') {
            (Comparator::Lt, 1)
        } else {
            (Comparator::Gt, 1)
        };
        let metric_text = expr[..pos].trim();
        let metric: Metric = metric_text
            .parse()
            .map_err(|_| GateParseError::UnknownMetric {
                expr: expr.to_string(),
                metric: metric_text.to_string(),
            })?;
        let value_text = rest[op_len..].trim();
        let split = value_text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(value_text.len());
        let (num, unit) = value_text.split_at(split);
        let bad_number = || GateParseError::BadNumber {
            expr: expr.to_string(),
            op: comparator.as_str(),
            found: value_text.to_string(),
        };
        if num.is_empty() {
            return Err(bad_number());
        }
        let number: f64 = num.replace('_', "").parse().map_err(|_| bad_number())?;
        if !number.is_finite() {
            return Err(bad_number());
        }
        let unit_l = unit.trim().to_ascii_lowercase();
        let bad_unit = |expected: &'static str| GateParseError::BadUnit {
            expr: expr.to_string(),
            metric,
            unit: unit.trim().to_string(),
            expected,
        };
        let limit = match metric.unit() {
            Unit::Milliseconds => match unit_l.as_str() {
                "" | "ms" => number,
                "s" => number * 1000.0,
                "us" | "µs" => number / 1000.0,
                _ => return Err(bad_unit("`ms`, `s` or `us` (e.g. `500ms`)")),
            },
            Unit::Percent => match (metric, unit_l.as_str()) {
                (_, "%") => number,
                (Metric::CpuPercent, "") => number,
                (Metric::ErrorRate, "") => {
                    return Err(bad_unit("a percentage with `%` (e.g. `error_rate < 5%`)"))
                }
                _ => return Err(bad_unit("a percentage (e.g. `80%`)")),
            },
            Unit::RequestsPerSecond => match unit_l.as_str() {
                "" | "rps" | "/s" => number,
                _ => {
                    return Err(bad_unit(
                        "requests per second, optionally `rps` (e.g. `rps >= 10`)",
                    ))
                }
            },
            Unit::Megabytes => match unit_l.as_str() {
                "" | "mb" | "mib" => number,
                "gb" | "gib" => number * 1024.0,
                _ => {
                    return Err(bad_unit(
                        "megabytes, optionally `MB` or `GB` (e.g. `memory_mb < 512`)",
                    ))
                }
            },
        };
        Ok(GateExpr {
            metric,
            comparator,
            limit,
            limit_text: value_text.replace(' ', ""),
        })
    }
}

impl Serialize for GateExpr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GateExpr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

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
}

/// The framework's defaults: p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps, for every operation.
pub fn default_gates() -> Gates {
    Gates::default().with_all([
        GateExpr::new(Metric::P95, Comparator::Le, 500.0),
        GateExpr::new(Metric::ErrorRate, Comparator::Le, 5.0),
        GateExpr::new(Metric::Rps, Comparator::Ge, 10.0),
    ])
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

/// Evaluates `gates` on every benchmark and load operation of `record` (stress steps are not gated).
///
/// An operation without a value for a gated latency or rate (it completed no request) fails that gate: a gate
/// that cannot be checked does not pass silently. A gate on memory or CPU that was not measured is "not
/// evaluated": never a pass, and not a failure of the service.
pub fn evaluate(record: &RunRecord, gates: &Gates) -> Vec<GateResult> {
    let mut out = Vec::new();
    for (test_type, op) in record.operations().filter(|(t, _)| *t != TestType::Stress) {
        for expr in gates.for_operation(&op.operation_name) {
            let actual = expr.metric.value(op);
            let passed = actual.is_some_and(|a| expr.passes(a));
            let not_evaluated = actual.is_none() && expr.metric.is_resource();
            let message = match actual {
                None if not_evaluated => format!(
                    "{}: {}, not evaluated ({})",
                    expr.metric.key(),
                    crate::render::NOT_MEASURED,
                    expr
                ),
                Some(a) => format!(
                    "{} = {}, {} {}",
                    expr.metric.key(),
                    expr.metric.format_value(a),
                    if passed { "passes" } else { "fails" },
                    expr
                ),
                None => format!(
                    "{}: no value (no request completed), fails {}",
                    expr.metric.key(),
                    expr
                ),
            };
            out.push(GateResult {
                test_type,
                operation: op.operation_name.clone(),
                gate: expr.to_string(),
                metric: expr.metric,
                comparator: expr.comparator,
                limit: expr.limit,
                actual,
                passed,
                not_evaluated,
                message,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{LatencyMs, OperationResult, StressSection, StressStep};
    use crate::test_support::record_with;

    fn op(name: &str, p95: f64, rps: f64, failed: u64) -> OperationResult {
        OperationResult {
            operation_name: name.into(),
            total_requests: 100,
            successful_requests: 100 - failed,
            failed_requests: failed,
            latency_ms: LatencyMs {
                p50: p95 / 2.0,
                p95,
                p99: p95 * 1.5,
                avg: p95 / 2.0,
                ..Default::default()
            },
            throughput_rps: rps,
            success_rate_percent: (100 - failed) as f64,
            memory_usage_mb: Some(100.0),
            cpu_usage_percent: Some(50.0),
            ..Default::default()
        }
    }

    #[test]
    fn parses_the_documented_expressions() {
        let cases = [
            ("p95 < 500ms", Metric::P95, Comparator::Lt, 500.0),
            ("p99 <= 1s", Metric::P99, Comparator::Le, 1000.0),
            ("avg<200ms", Metric::Avg, Comparator::Lt, 200.0),
            ("error_rate < 5%", Metric::ErrorRate, Comparator::Lt, 5.0),
            ("rps >= 10", Metric::Rps, Comparator::Ge, 10.0),
            ("memory_mb < 512", Metric::MemoryMb, Comparator::Lt, 512.0),
            ("cpu_percent < 80", Metric::CpuPercent, Comparator::Lt, 80.0),
            ("p(95)<500", Metric::P95, Comparator::Lt, 500.0),
            ("p50 > 250us", Metric::P50, Comparator::Gt, 0.25),
            ("memory_mb <= 1GB", Metric::MemoryMb, Comparator::Le, 1024.0),
        ];
        for (text, metric, cmp, limit) in cases {
            let g: GateExpr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((g.metric, g.comparator), (metric, cmp), "{text}");
            assert!((g.limit - limit).abs() < 1e-9, "{text}: {}", g.limit);
        }
        let g: GateExpr = "p99 <= 1s".parse().unwrap();
        assert_eq!(g.to_string(), "p99 <= 1s");
    }

    #[test]
    fn parse_errors_say_what_was_expected() {
        let err = |s: &str| s.parse::<GateExpr>().unwrap_err();
        assert_eq!(err("  "), GateParseError::Empty);
        assert!(matches!(
            err("p95 500ms"),
            GateParseError::MissingOperator { .. }
        ));
        let e = err("latency < 5ms");
        assert!(matches!(e, GateParseError::UnknownMetric { .. }));
        assert!(e.to_string().contains("`latency`") && e.to_string().contains("p95"));
        let e = err("p95 < fast");
        assert!(matches!(e, GateParseError::BadNumber { .. }), "{e}");
        assert!(e.to_string().contains("expected a number after `<`"), "{e}");
        let e = err("p95 < 5kg");
        assert!(e.to_string().contains("`ms`, `s` or `us`"), "{e}");
        let e = err("error_rate < 0.05");
        assert!(e.to_string().contains("`%`"), "{e}");
        assert!(matches!(err("rps >= 10ms"), GateParseError::BadUnit { .. }));
    }

    #[test]
    fn serde_uses_the_expression_string() {
        let cfg: GatesConfig = serde_json::from_value(serde_json::json!({
            "all": ["p95 < 300ms"],
            "operations": {"export": ["p95 < 2s"]},
            "regression": "warn"
        }))
        .unwrap();
        let gates: Gates = cfg.into();
        assert_eq!(gates.regression, RegressionPolicy::Warn);
        let json = serde_json::to_value(&gates.gates[0]).unwrap();
        assert_eq!(json["expr"], "p95 < 300ms");
        let bad: Result<GatesConfig, _> =
            serde_json::from_value(serde_json::json!({"all": ["p95 < soon"]}));
        assert!(bad.unwrap_err().to_string().contains("p95 < soon"));
        let absent: Gates = GatesConfig::default().into();
        assert_eq!(absent, default_gates());
    }

    #[test]
    fn operation_gate_overrides_the_global_gate_on_the_same_metric() {
        let gates = default_gates().with_operation("export", ["p95 < 2s".parse().unwrap()]);
        let export = gates.for_operation("export");
        assert_eq!(export.len(), 3);
        assert!(export
            .iter()
            .any(|g| g.metric == Metric::P95 && g.limit == 2000.0));
        assert!(!export
            .iter()
            .any(|g| g.metric == Metric::P95 && g.limit == 500.0));
        let other = gates.for_operation("search");
        assert!(other
            .iter()
            .any(|g| g.metric == Metric::P95 && g.limit == 500.0));
    }

    #[test]
    fn default_gates_pass_and_fail_on_the_right_operations() {
        let mut rec = record_with(vec![
            op("fast", 100.0, 50.0, 0),
            op("slow", 600.0, 50.0, 0),
            op("flaky", 100.0, 50.0, 6),
            op("trickle", 100.0, 5.0, 0),
        ]);
        // Stress steps are never gated.
        rec.stress = Some(StressSection {
            steps: vec![StressStep {
                concurrency: 50,
                operations: vec![op("fast", 5000.0, 1.0, 90)],
                ..Default::default()
            }],
            ..Default::default()
        });
        let results = evaluate(&rec, &default_gates());
        assert_eq!(results.len(), 12);
        let failed: Vec<(&str, Metric)> = results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| (r.operation.as_str(), r.metric))
            .collect();
        assert_eq!(
            failed,
            vec![
                ("slow", Metric::P95),
                ("flaky", Metric::ErrorRate),
                ("trickle", Metric::Rps)
            ]
        );
        let slow = results
            .iter()
            .find(|r| r.operation == "slow" && r.metric == Metric::P95)
            .unwrap();
        assert_eq!(slow.actual, Some(600.0));
        assert!(
            slow.message.contains("600 ms") && slow.message.contains("fails p95 <= 500ms"),
            "{}",
            slow.message
        );
    }

    #[test]
    fn an_operation_without_requests_fails_its_latency_gate() {
        let mut empty = op("dead", 0.0, 0.0, 0);
        empty.total_requests = 0;
        empty.successful_requests = 0;
        let rec = record_with(vec![empty]);
        let gates = Gates::parse_all(&["p95 < 500ms"]).unwrap();
        let r = evaluate(&rec, &gates);
        assert_eq!(r.len(), 1);
        assert!(!r[0].passed && r[0].actual.is_none());
        assert!(r[0].message.contains("no request completed"));
    }
}

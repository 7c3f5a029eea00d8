//! One gate expression, `p95 < 500ms`: its parts, its parser (with messages that say what was expected) and
//! its serde form (the string as written).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::analysis::section::Comparator;
use crate::metric::{Metric, Unit};

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
            Unit::Bytes => match unit_l.as_str() {
                "" | "b" => number,
                "kb" | "kib" => number * 1024.0,
                "mb" | "mib" => number * 1024.0 * 1024.0,
                _ => {
                    return Err(bad_unit(
                        "bytes, optionally `B`, `KiB` or `MiB` (e.g. `bytes_per_op <= 512`)",
                    ))
                }
            },
            Unit::Count => match unit_l.as_str() {
                "" => number,
                _ => return Err(bad_unit("a plain number (e.g. `allocs_per_op <= 3`)")),
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

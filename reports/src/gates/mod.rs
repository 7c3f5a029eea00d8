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
//!
//! Files: `expr` (one expression and its parser), `set` (the gates of a suite, the `[gates]` table, the
//! defaults, the limit in force), `evaluate` (gates applied to a record). Everything is re-exported here.

mod evaluate;
mod expr;
mod set;
#[cfg(test)]
mod tests;

pub use crate::analysis::section::{Comparator, GateResult};
pub use evaluate::{completed_requests, evaluate, ALL_OPERATIONS};
pub use expr::{GateExpr, GateParseError};
pub use set::{default_gates, Gate, Gates, GatesConfig, RegressionPolicy};

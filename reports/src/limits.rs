//! The default limits, defined once: p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps.
//!
//! They are the framework perfgate grew from's default gates, and every part that needs a limit without a
//! configured gate reads them from here: [`crate::gates::default_gates`], the optimizer's targets
//! ([`crate::analysis::OptimizerSettings`]), the verdict's settings ([`crate::analysis::JudgeSettings`]), the
//! stress stop rule and the site. A project's `[gates]` replace them; [`crate::gates::Gates::limits`] says
//! which limits are in force for one operation. This module imports nothing from the crate, so anything can use it.

use serde::{Deserialize, Serialize};

/// Default p95 latency limit, ms (`p95 <= 500ms`).
pub const P95_MS: f64 = 500.0;
/// Default error-rate limit, percent (`error_rate <= 5%`).
pub const ERROR_RATE_PERCENT: f64 = 5.0;
/// Default throughput floor, requests per second (`rps >= 10`).
pub const MIN_RPS: f64 = 10.0;
/// Default p95 limit of a side operation (`mcp.initialize`: starting a session), ms. Session start-up is not
/// the user's operation and is slower by nature (a Node MCP server takes ~1.6 s), so the all-operations p95
/// gate does not apply to it; this limit still catches a server that never answers.
pub const SIDE_OPERATION_P95_MS: f64 = 10_000.0;

/// The three limits an operation is judged by.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// P95 latency must stay at or below this, ms.
    pub p95_ms: f64,
    /// The error rate must stay at or below this, percent.
    pub error_rate_percent: f64,
    /// Throughput must reach this, requests per second.
    pub min_rps: f64,
}

impl Limits {
    /// p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps.
    pub const DEFAULT: Limits = Limits {
        p95_ms: P95_MS,
        error_rate_percent: ERROR_RATE_PERCENT,
        min_rps: MIN_RPS,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

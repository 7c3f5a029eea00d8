//! `[gates]` and `[[acknowledge]]` as resolved settings (the verdict is built from them in
//! `session::verdict`).

use std::collections::BTreeMap;

use perfgate_reports::gates::{default_gates, GateExpr};
use perfgate_reports::metric::Metric;
use serde_spanned::Spanned;

use super::file::ConfigFile;
use super::source::at;
use crate::error::{Error, Result};

/// Gate expressions, parsed and checked when the config is read (a bad one is exit 2 with file:line:col
/// and the key, before anything runs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GateSettings {
    /// None: the defaults (p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps).
    pub all: Option<Vec<GateExpr>>,
    pub operations: BTreeMap<String, Vec<GateExpr>>,
    pub regression_fails: bool,
    pub memory_threshold_mb: Option<f64>,
    pub cpu_threshold_percent: Option<f64>,
}

impl GateSettings {
    /// The p95 limit that applies to every operation, in ms: the `all` gate on p95 (the strictest, when
    /// there are several), else the default gate's. The stress stop rule and the optimizer's target use it.
    pub fn p95_limit_ms(&self) -> f64 {
        let default = || {
            default_gates()
                .gates
                .iter()
                .find(|g| g.expr.metric == Metric::P95)
                .map(|g| g.expr.limit)
        };
        let from_all = self.all.as_ref().map(|all| {
            all.iter()
                .filter(|g| g.metric == Metric::P95)
                .map(|g| g.limit)
                .reduce(f64::min)
        });
        match from_all {
            Some(Some(limit)) => limit,
            // `all` without a p95 gate: no p95 limit from the project; the default still frames stress.
            _ => default().unwrap_or(500.0),
        }
    }
}

/// Parses the gate expressions of `key`; an error names file:line:col and the key.
pub(super) fn parse_gates(
    key: &str,
    exprs: &[Spanned<String>],
    name: &str,
    text: &str,
) -> Result<Vec<GateExpr>> {
    exprs
        .iter()
        .map(|e| {
            e.get_ref()
                .parse::<GateExpr>()
                .map_err(|err| Error::Config(format!("{}: key `{key}`: {err}", at(name, text, e))))
        })
        .collect()
}

/// The `[[acknowledge]]` entries; an empty `operation` or `reason` is an error naming file:line:key.
pub(super) fn resolve_acknowledgements(
    cfg: &ConfigFile,
    name: &str,
    text: &str,
) -> Result<Vec<perfgate_reports::analysis::Acknowledgement>> {
    let mut out = Vec::with_capacity(cfg.acknowledge.len());
    for spanned in &cfg.acknowledge {
        let ack = spanned.get_ref();
        for (key, value) in [("operation", &ack.operation), ("reason", &ack.reason)] {
            if value.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{}: key `acknowledge.{key}`: must not be empty",
                    at(name, text, spanned)
                )));
            }
        }
        out.push(ack.clone());
    }
    Ok(out)
}

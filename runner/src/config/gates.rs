//! `[gates]` and `[[acknowledge]]` as resolved settings (the verdict is built from them in
//! `session::verdict`).

use std::collections::BTreeMap;

use perfgate_reports::gates::{GateExpr, Gates};
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
    /// The p95 limit that applies to every operation, in ms: the strictest `all` gate on p95, else the
    /// default ([`perfgate_reports::limits`]). The stress stop rule uses it.
    pub fn p95_limit_ms(&self) -> f64 {
        let all = Gates::new().with_all(self.all.iter().flatten().cloned());
        all.limits(None).p95_ms
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

//! `[gates]` and `[[acknowledge]]` as resolved settings (the verdict is built from them in
//! `session::verdict`).

use std::collections::BTreeMap;

use super::file::ConfigFile;
use super::source::at;
use crate::error::{Error, Result};

/// Gate expressions as written (parsed by the analysis).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GateSettings {
    /// None: the defaults (p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps).
    pub all: Option<Vec<String>>,
    pub operations: BTreeMap<String, Vec<String>>,
    pub regression_fails: bool,
    pub memory_threshold_mb: Option<f64>,
    pub cpu_threshold_percent: Option<f64>,
}

/// Where in the file a spanned value is, for messages about values that parsed but are invalid.
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

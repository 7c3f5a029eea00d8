//! `[service]`: the service perfgate starts before the run and stops after it (command, readiness, logs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::env::{expand, secs};
use super::file;

/// A resolved `[service]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSettings {
    pub command: String,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    pub ready_url: Option<String>,
    pub ready_tcp: Option<String>,
    pub ready_timeout: Duration,
    pub log_file: PathBuf,
    pub stop_timeout: Duration,
}

pub(super) fn resolve_service(
    s: &file::ServiceConfig,
    env: &BTreeMap<String, String>,
    output_dir: &Path,
    default_log: &str,
) -> ServiceSettings {
    ServiceSettings {
        command: s.command.get_ref().clone(),
        cwd: s.cwd.as_ref().map(PathBuf::from),
        env: s
            .env
            .iter()
            .map(|(k, v)| (k.clone(), expand(v, env)))
            .collect(),
        ready_url: s.ready_url.clone(),
        ready_tcp: s.ready_tcp.clone(),
        ready_timeout: secs(s.ready_timeout_seconds.unwrap_or(30.0)),
        log_file: s
            .log_file
            .as_ref()
            .map(PathBuf::from)
            .unwrap_or_else(|| output_dir.join(default_log)),
        stop_timeout: secs(s.stop_timeout_seconds.unwrap_or(10.0)),
    }
}

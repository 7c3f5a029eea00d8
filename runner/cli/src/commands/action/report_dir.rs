//! The report directory: what `--mode run` leaves for `--mode report` (and for a person downloading the
//! artifact).
//!
//! It is the run's output directory — the run record and the usual report files — plus
//! [`CONTEXT_FILE`], which says where the run came from (event, pull request, commits) and how its
//! verdict should be enforced. In the two-workflow mode this directory travels as an artifact from a job
//! that ran pull-request code without write permission to a job that has write permission and runs no
//! pull-request code; the second job therefore treats everything in it as untrusted data: files are size
//! capped, parsed strictly, and the pull request number is checked against GitHub before it is used.

use std::path::{Path, PathBuf};

use perfgate_reports::RunRecord;
use serde::{Deserialize, Serialize};

use perfgate::error::{Error, Result};

/// The context file's name.
pub const CONTEXT_FILE: &str = "perfgate-context.json";
/// Its schema tag.
pub const CONTEXT_SCHEMA: &str = "perfgate/action-context@1";
/// Largest file read from a report directory.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Where a run came from, as `--mode run` saw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    pub schema: String,
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_sha: Option<String>,
    #[serde(default)]
    pub fork: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    /// `[gates] regression` of the config was `fail`: regressions fail the run, not only warn.
    #[serde(default = "yes")]
    pub regression_fails: bool,
    /// Why there is no comparison, when there is none ("no runs of main on this machine yet").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_note: Option<String>,
}

fn yes() -> bool {
    true
}

/// Writes the context file into `dir`.
pub fn write_context(dir: &Path, ctx: &RunContext) -> Result<PathBuf> {
    let path = dir.join(CONTEXT_FILE);
    let mut bytes = serde_json::to_vec_pretty(ctx)
        .map_err(|e| Error::Runtime(format!("cannot serialize {CONTEXT_FILE}: {e}")))?;
    bytes.push(b'\n');
    perfgate::output::write_atomic(&path, &bytes)?;
    Ok(path)
}

/// What a report directory holds.
#[derive(Debug)]
pub struct ReportDir {
    pub dir: PathBuf,
    pub record: RunRecord,
    pub record_path: PathBuf,
    pub context: RunContext,
}

/// Reads the newest run record and the context file of `dir` (or of its only subdirectory holding them,
/// as download-artifact may unpack into one).
pub fn read(dir: &Path) -> Result<ReportDir> {
    let base = locate(dir)?;
    let ctx_path = base.join(CONTEXT_FILE);
    let context: RunContext = serde_json::from_slice(&read_capped(&ctx_path)?).map_err(|e| {
        Error::Config(format!(
            "{}: not a perfgate context file: {e}",
            ctx_path.display()
        ))
    })?;
    if context.schema != CONTEXT_SCHEMA {
        return Err(Error::Config(format!(
            "{}: schema {:?} is not {CONTEXT_SCHEMA} (was it written by a newer perfgate?)",
            ctx_path.display(),
            context.schema
        )));
    }
    let record_path = newest_record(&base).ok_or_else(|| {
        Error::Config(format!(
            "{}: no run_*.json record in the report directory (upload the directory `perfgate action --mode run` wrote)",
            base.display()
        ))
    })?;
    let record = RunRecord::from_json_slice(
        &read_capped(&record_path)?,
        &record_path.display().to_string(),
    )
    .map_err(|e| Error::Config(e.to_string()))?;
    Ok(ReportDir {
        dir: base,
        record,
        record_path,
        context,
    })
}

fn locate(dir: &Path) -> Result<PathBuf> {
    if dir.join(CONTEXT_FILE).is_file() {
        return Ok(dir.to_path_buf());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::Usage(format!(
            "--from {}: cannot read the report directory: {e}",
            dir.display()
        ))
    })?;
    let subdirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.join(CONTEXT_FILE).is_file())
        .collect();
    match subdirs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Usage(format!(
            "--from {}: no {CONTEXT_FILE} here; pass the directory that `perfgate action --mode run` wrote \
             (its `report-dir` output), downloaded from the artifact",
            dir.display()
        ))),
        _ => Err(Error::Usage(format!(
            "--from {}: more than one report directory inside; pass one of them",
            dir.display()
        ))),
    }
}

fn newest_record(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("run_") && n.ends_with(".json"))
        })
        .collect();
    found.sort();
    found.pop()
}

fn read_capped(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::Config(format!(
            "{}: {} bytes is more than a report file can be ({MAX_FILE_BYTES})",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_round_trips_and_a_subdirectory_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("perfgate-report");
        std::fs::create_dir(&sub).unwrap();
        let ctx = RunContext {
            schema: CONTEXT_SCHEMA.into(),
            event: "pull_request".into(),
            pull_request: Some(3),
            fork: true,
            regression_fails: false,
            ..RunContext::default()
        };
        write_context(&sub, &ctx).unwrap();
        assert_eq!(locate(dir.path()).unwrap(), sub);
        let back: RunContext =
            serde_json::from_slice(&std::fs::read(sub.join(CONTEXT_FILE)).unwrap()).unwrap();
        assert_eq!(back, ctx);
        // No record: a usage-level message naming what to upload.
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("run_*.json"), "{e}");
    }

    #[test]
    fn a_directory_without_context_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(dir.path()).unwrap_err();
        assert_eq!(e.exit_status(), perfgate::ExitStatus::Usage);
        assert!(e.to_string().contains(CONTEXT_FILE), "{e}");
    }
}

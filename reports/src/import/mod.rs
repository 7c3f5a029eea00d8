//! Imports of other load generators' results as perfgate run records, so existing results can seed the
//! history (and a team can compare perfgate with the tool it used before).
//!
//! [`oha`] reads `oha --output-format json` (also `oha -j`), in both the 1.8 and the 1.16 shapes; [`k6`]
//! reads a k6 summary export (`k6 run --summary-export`, and the `handleSummary()` JSON whose metrics nest
//! their numbers under `values`). Each becomes a `load` run with one operation. What the tool did not
//! measure is left at 0, which history and the exports treat as "not measured", and the record's warnings
//! say what was missing.
//!
//! Microbenchmark harnesses (criterion, libtest, Go, pytest-benchmark, hyperfine, JMH, Google Benchmark, BMF,
//! github-action-benchmark JSON) become `microbench` runs with one operation per benchmark: see [`bench`].
//!
//! The caller supplies what a file does not contain (run id, time, machine, commit) in
//! an [`ImportContext`]; errors name the file and the key.

pub mod bench;
pub mod bmf;
pub mod criterion;
pub mod gbench;
pub mod go;
pub mod hyperfine;
pub mod jmh;
pub mod k6;
pub mod libtest;
pub mod oha;
pub mod pytest_benchmark;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::record::{Environment, GitInfo, LoadSection, OperationResult, RunRecord, SCHEMA};

/// What an imported file does not say about itself.
#[derive(Clone, Debug)]
pub struct ImportContext {
    /// Used in error messages and warnings (the file name).
    pub source: String,
    pub run_id: String,
    /// When the imported test ran (the caller may use the file's modification time).
    pub started_at: DateTime<Utc>,
    pub suite: String,
    /// Name of the one operation the import creates (`--operation`).
    pub operation: String,
    /// Concurrent users, when known (oha's `-c`; k6 reports its VUs itself).
    pub concurrency: Option<u32>,
    pub environment: Environment,
    pub git: GitInfo,
}

/// A file that is not the format it was imported as.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: not valid JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {what}")]
    Shape { path: String, what: String },
}

/// Reads JSON or fails naming the file.
pub(crate) fn parse(bytes: &[u8], ctx: &ImportContext) -> Result<Value, ImportError> {
    serde_json::from_slice(bytes).map_err(|source| ImportError::Json {
        path: ctx.source.clone(),
        source,
    })
}

/// The number at `path` (object keys), if there is one.
pub(crate) fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter()
        .try_fold(v, |cur, k| cur.get(k))
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
}

/// Classifies a generator's error message into perfgate's error kinds.
pub(crate) fn error_kind(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("timeout") || m.contains("timed out") {
        "timeout"
    } else if m.contains("connect")
        || m.contains("refused")
        || m.contains("dns")
        || m.contains("resolve")
    {
        "connect"
    } else {
        "io"
    }
}

/// The facts of one imported load test.
pub(crate) struct Imported {
    pub tool: &'static str,
    pub op: OperationResult,
    pub model: &'static str,
    /// As measured (not rounded yet): the range check must see an infinite or huge value as it is.
    pub duration_seconds: f64,
    pub concurrent_users: u32,
    pub dropped_starts: u64,
    pub warnings: Vec<String>,
}

/// Longest imported test accepted: one year. A longer (or negative, or non-finite) duration is a corrupt file,
/// and would not fit the record's end time.
pub const MAX_IMPORTED_SECONDS: f64 = 366.0 * 86_400.0;

/// Wraps an imported operation into a `load` run record; a duration outside 0 – [`MAX_IMPORTED_SECONDS`] is an
/// error naming the file.
pub(crate) fn load_record(ctx: &ImportContext, imp: Imported) -> Result<RunRecord, ImportError> {
    let out_of_range = || ImportError::Shape {
        path: ctx.source.clone(),
        what: format!(
            "the test's duration ({} s) is out of range (0 – {MAX_IMPORTED_SECONDS} s)",
            imp.duration_seconds
        ),
    };
    if !(0.0..=MAX_IMPORTED_SECONDS).contains(&imp.duration_seconds) {
        return Err(out_of_range());
    }
    let millis = (imp.duration_seconds * 1000.0).round() as i64;
    let finished = chrono::Duration::try_milliseconds(millis)
        .and_then(|d| ctx.started_at.checked_add_signed(d))
        .ok_or_else(out_of_range)?;
    let overall = OperationResult {
        operation_name: "all".into(),
        ..imp.op.clone()
    };
    let mut warnings = vec![format!(
        "imported from {} ({}); the service's CPU and memory were not measured",
        imp.tool, ctx.source
    )];
    warnings.extend(imp.warnings);
    Ok(RunRecord {
        schema: SCHEMA.into(),
        run_id: ctx.run_id.clone(),
        suite: ctx.suite.clone(),
        test_type: "load".into(),
        started_at: ctx.started_at,
        finished_at: finished,
        git: ctx.git.clone(),
        environment: ctx.environment.clone(),
        config_digest: format!("imported-{}", imp.tool),
        shard: None,
        benchmark: None,
        load: Some(LoadSection {
            model: imp.model.into(),
            duration_seconds: crate::histogram::round3(imp.duration_seconds),
            concurrent_users: imp.concurrent_users,
            ramp_up_seconds: 0.0,
            target_rps: None,
            late_starts: 0,
            dropped_starts: imp.dropped_starts,
            overall,
            operations: vec![imp.op],
            timeline: vec![],
            system: Default::default(),
        }),
        stress: None,
        analysis: None,
        system: Default::default(),
        targets: vec![],
        warnings,
        incomplete: None,
    })
}

#[cfg(test)]
pub(crate) mod test_ctx {
    use super::*;

    pub fn ctx(source: &str) -> ImportContext {
        ImportContext {
            source: source.into(),
            run_id: "imp1".into(),
            started_at: crate::run_fixtures::t("2026-11-01T10:00:00Z"),
            suite: "default".into(),
            operation: "get_root".into(),
            concurrency: None,
            environment: Environment {
                os: "linux".into(),
                arch: "x86_64".into(),
                cpu_cores: 2,
                memory_gib: 8,
                fingerprint: "fp".into(),
                ..Default::default()
            },
            git: GitInfo::default(),
        }
    }

    pub use crate::test_support::sample_bytes as sample;
}

//! `index.json`: the derived table of contents of the reports branch.
//!
//! One small entry per run — id, time, commit, branch, machine fingerprint, path of the run file and the
//! headline numbers of each operation — so that the site, `perfgate history` and `perfgate fetch-baseline`
//! can choose runs without reading (or fetching) every run file.
//!
//! The index is *derived*: [`Index::build`] recreates it from the run files every time one is added or
//! pruned; nothing ever appends to it, so a publisher that lost a push race simply rebuilds it on the new
//! tip. Building is deterministic (no clock, runs sorted, numbers rounded), so the same files always give
//! byte-identical output, and the JSON puts one run per line so that git stores a new version as a one-line
//! delta.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::histogram::round3;
use crate::history::{measured_operations, series_value, History, Skipped};
use crate::metric::Metric;
use crate::record::TestType;

/// Schema identifier of the index; the number after `@` is its major version.
pub const INDEX_SCHEMA: &str = "perfgate/index@1";

/// Errors reading an `index.json`.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{path}: not a perfgate index: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path}: index schema \"{found}\" is not supported by this perfgate (reads {INDEX_SCHEMA})"
    )]
    UnsupportedVersion { path: String, found: String },
}

/// The index of a reports branch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// Always [`INDEX_SCHEMA`].
    pub schema: String,
    /// Names of the values in each entry's `operations` rows: [`OPERATION_COLUMNS`].
    #[serde(default = "operation_columns")]
    pub operation_columns: Vec<String>,
    /// Every readable run, oldest first.
    pub runs: Vec<IndexEntry>,
    /// Files under `runs/` that could not be read, with the reason (shown by the site and `perfgate history`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

/// One run in the index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub run_id: String,
    pub suite: String,
    pub test_type: String,
    /// When the run started.
    pub time: DateTime<Utc>,
    pub duration_seconds: f64,
    /// Full commit SHA of the code under test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_number: Option<u64>,
    /// Environment fingerprint: runs compare only with runs of the same fingerprint.
    pub fingerprint: String,
    #[serde(default)]
    pub config_digest: String,
    /// Path of the run file, relative to the branch root.
    pub path: String,
    /// Headline numbers of benchmark and load operations (stress steps are summarised in `stress`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<IndexOperation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stress: Option<StressHeadline>,
    /// Number of warnings the run carries (details are in the run file).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warnings: usize,
}

fn operation_columns() -> Vec<String> {
    OPERATION_COLUMNS.iter().map(|c| c.to_string()).collect()
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The columns of an operation row in `index.json`, in order (written into the index as `operation_columns`).
pub const OPERATION_COLUMNS: [&str; 9] = [
    "test_type",
    "operation_name",
    "total_requests",
    "p50",
    "p95",
    "p99",
    "avg",
    "rps",
    "error_rate",
];

/// An operation row as stored: one JSON array per operation (see [`OPERATION_COLUMNS`]) — an index of
/// thousands of runs stays a fraction of the size of one with an object per operation.
type OperationRow = (TestType, String, u64, f64, f64, f64, f64, f64, f64);

/// Headline numbers of one operation in one run. Latencies in ms, `rps` in requests/s, `error_rate` in %.
/// Stored as a row in the order of [`OPERATION_COLUMNS`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "OperationRow", into = "OperationRow")]
pub struct IndexOperation {
    pub test_type: TestType,
    pub operation_name: String,
    pub total_requests: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub avg: f64,
    pub rps: f64,
    pub error_rate: f64,
}

impl From<OperationRow> for IndexOperation {
    fn from(r: OperationRow) -> Self {
        IndexOperation {
            test_type: r.0,
            operation_name: r.1,
            total_requests: r.2,
            p50: r.3,
            p95: r.4,
            p99: r.5,
            avg: r.6,
            rps: r.7,
            error_rate: r.8,
        }
    }
}

impl From<IndexOperation> for OperationRow {
    fn from(o: IndexOperation) -> Self {
        (
            o.test_type,
            o.operation_name,
            o.total_requests,
            o.p50,
            o.p95,
            o.p99,
            o.avg,
            o.rps,
            o.error_rate,
        )
    }
}

/// Outcome of a stress test in one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StressHeadline {
    pub steps: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_good_concurrency: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaking_point_concurrency: Option<u32>,
}

impl Index {
    /// Builds the index of a history (typically every file under `runs/` on the branch).
    pub fn build(history: &History) -> Index {
        let runs = history
            .runs
            .iter()
            .map(|run| {
                let rec = &run.record;
                let operations = measured_operations(rec)
                    .filter(|m| m.concurrency.is_none())
                    .map(|m| {
                        let v = |metric: Metric| series_value(metric, m.result).map_or(0.0, round3);
                        IndexOperation {
                            test_type: m.test_type,
                            operation_name: m.name.to_string(),
                            total_requests: m.result.total_requests,
                            p50: v(Metric::P50),
                            p95: v(Metric::P95),
                            p99: v(Metric::P99),
                            avg: v(Metric::Avg),
                            rps: v(Metric::Rps),
                            error_rate: v(Metric::ErrorRate),
                        }
                    })
                    .collect();
                let duration =
                    (rec.finished_at - rec.started_at).num_milliseconds() as f64 / 1000.0;
                IndexEntry {
                    run_id: rec.run_id.clone(),
                    suite: rec.suite.clone(),
                    test_type: rec.test_type.clone(),
                    time: rec.started_at,
                    duration_seconds: duration.max(0.0),
                    commit: rec.git.sha.clone(),
                    branch: rec.git.branch.clone(),
                    pr_number: rec.git.pr_number,
                    fingerprint: rec.environment.fingerprint.clone(),
                    config_digest: rec.config_digest.clone(),
                    path: run.path.clone(),
                    operations,
                    stress: rec.stress.as_ref().map(|s| StressHeadline {
                        steps: s.steps.len(),
                        last_good_concurrency: s.last_good_concurrency,
                        breaking_point_concurrency: s
                            .breaking_point
                            .as_ref()
                            .map(|b| b.concurrency),
                    }),
                    warnings: rec.warnings.len(),
                }
            })
            .collect();
        Index {
            schema: INDEX_SCHEMA.to_string(),
            operation_columns: operation_columns(),
            runs,
            skipped: history.skipped.clone(),
        }
    }

    /// The on-branch form: a JSON object with one run per line and a trailing newline.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        out.push_str("{\"schema\":");
        out.push_str(&compact(&self.schema));
        out.push_str(",\"operation_columns\":");
        out.push_str(&compact(&self.operation_columns));
        out.push_str(",\"runs\":[");
        for (i, run) in self.runs.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str(&compact(run));
        }
        if !self.runs.is_empty() {
            out.push('\n');
        }
        out.push(']');
        if !self.skipped.is_empty() {
            out.push_str(",\"skipped\":[");
            for (i, s) in self.skipped.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&compact(s));
            }
            out.push_str("\n]");
        }
        out.push_str("}\n");
        out.into_bytes()
    }

    /// Reads an `index.json`; `path` is only used in error messages.
    pub fn from_json_slice(bytes: &[u8], path: &str) -> Result<Index, IndexError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|source| IndexError::Json {
                path: path.to_string(),
                source,
            })?;
        let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        let major = schema
            .strip_prefix("perfgate/index@")
            .and_then(|v| v.split('.').next());
        if major != Some("1") {
            return Err(IndexError::UnsupportedVersion {
                path: path.to_string(),
                found: schema.to_string(),
            });
        }
        serde_json::from_value(value).map_err(|source| IndexError::Json {
            path: path.to_string(),
            source,
        })
    }

    /// Entries that pass a filter on branch, fingerprint and suite (`None` keeps all), oldest first.
    pub fn select<'a>(
        &'a self,
        branch: Option<&'a str>,
        fingerprint: Option<&'a str>,
        suite: Option<&'a str>,
    ) -> impl Iterator<Item = &'a IndexEntry> + 'a {
        self.runs.iter().filter(move |e| {
            branch.is_none_or(|b| e.branch.as_deref() == Some(b))
                && fingerprint.is_none_or(|f| e.fingerprint == f)
                && suite.is_none_or(|s| e.suite == s)
        })
    }
}

/// Compact JSON of one value. Plain data with string keys cannot fail to serialize.
fn compact<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::run_file_path;
    use crate::record::{BreakingPoint, LoadSection, StressSection};
    use crate::run_fixtures::{record_at, with_op};

    fn history() -> History {
        let mut a = record_at("a", "2026-11-01T00:00:00Z", "main", "fp1");
        with_op(&mut a, "search", 10.0, 100.0, 1000, 10);
        let mut b = record_at("b", "2026-11-02T00:00:00Z", "feature", "fp2");
        with_op(&mut b, "search", 12.0, 90.0, 500, 0);
        b.git.pr_number = Some(7);
        b.load = Some(LoadSection {
            overall: b
                .benchmark
                .as_ref()
                .map(|s| s.operations[0].clone())
                .unwrap_or_default(),
            ..Default::default()
        });
        b.stress = Some(StressSection {
            last_good_concurrency: Some(20),
            breaking_point: Some(BreakingPoint {
                concurrency: 25,
                reason: "p95 over 500 ms".into(),
            }),
            ..Default::default()
        });
        let files = [a, b]
            .into_iter()
            .map(|r| (run_file_path(&r), r.to_json_pretty()))
            .chain([("runs/2026/11/bad.json".to_string(), b"nope".to_vec())]);
        History::from_files(files)
    }

    #[test]
    fn lists_every_run_with_headline_numbers() {
        let index = Index::build(&history());
        assert_eq!(index.runs.len(), 2);
        let a = &index.runs[0];
        assert_eq!(a.run_id, "a");
        assert_eq!(a.commit.as_deref(), Some("sha-a"));
        assert_eq!(a.branch.as_deref(), Some("main"));
        assert_eq!(a.fingerprint, "fp1");
        assert_eq!(a.path, "runs/2026/11/20261101T000000Z-sha-a-a.json");
        assert_eq!(a.duration_seconds, 5.0);
        assert_eq!(a.operations.len(), 1);
        let op = &a.operations[0];
        assert_eq!(
            (op.operation_name.as_str(), op.p95, op.rps),
            ("search", 10.0, 100.0)
        );
        assert_eq!(op.error_rate, 1.0);
        let b = &index.runs[1];
        assert_eq!(b.pr_number, Some(7));
        let names: Vec<&str> = b
            .operations
            .iter()
            .map(|o| o.operation_name.as_str())
            .collect();
        assert_eq!(names, ["search", crate::history::OVERALL_OPERATION]);
        let stress = b.stress.as_ref().expect("stress headline");
        assert_eq!(stress.breaking_point_concurrency, Some(25));
        assert_eq!(index.skipped.len(), 1);
        assert_eq!(index.skipped[0].path, "runs/2026/11/bad.json");
    }

    #[test]
    fn bytes_are_deterministic_one_run_per_line_and_round_trip() {
        let h = history();
        let bytes = Index::build(&h).to_json_bytes();
        assert_eq!(bytes, Index::build(&h.clone()).to_json_bytes());
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let run_lines = text.lines().filter(|l| l.contains("\"run_id\"")).count();
        assert_eq!(run_lines, 2, "{text}");
        assert!(
            text.contains("\"operations\":[[\"benchmark\",\"search\",1000,5.0,10.0,15.0,"),
            "operations are rows: {text}"
        );
        let back = Index::from_json_slice(&bytes, "index.json").expect("reads back");
        assert_eq!(back, Index::build(&h));
        let empty = Index::build(&History::default()).to_json_bytes();
        let back = Index::from_json_slice(&empty, "index.json").expect("empty reads back");
        assert!(back.runs.is_empty());
    }

    #[test]
    fn select_filters_like_history() {
        let index = Index::build(&history());
        let ids: Vec<&str> = index
            .select(Some("main"), Some("fp1"), None)
            .map(|e| e.run_id.as_str())
            .collect();
        assert_eq!(ids, ["a"]);
        assert_eq!(index.select(None, Some("fp3"), None).count(), 0);
        assert_eq!(index.select(None, None, Some("default")).count(), 2);
    }

    #[test]
    fn foreign_or_future_index_is_a_named_error() {
        let err = Index::from_json_slice(b"[1,2]", "index.json").unwrap_err();
        assert!(err.to_string().starts_with("index.json:"), "{err}");
        let err = Index::from_json_slice(
            br#"{"schema":"perfgate/index@2","runs":[]}"#,
            "x/index.json",
        )
        .unwrap_err();
        assert!(matches!(err, IndexError::UnsupportedVersion { .. }));
        assert!(err.to_string().contains("x/index.json"));
        let err =
            Index::from_json_slice(b"{\"schema\":\"perfgate/index@1\"", "i.json").unwrap_err();
        assert!(matches!(err, IndexError::Json { .. }));
    }
}

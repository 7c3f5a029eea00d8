//! The run record: the contract between every part of perfgate.
//!
//! One run of the suite produces one [`RunRecord`]. The engine fills it, the analysis reads and annotates it,
//! the reports branch stores it as one immutable JSON file, the site and the PR comment are rendered from it.
//! Records stay in git for years, so the format is versioned (`schema: "perfgate/run@1"`): fields are only
//! ever added (with serde defaults), and a reader given a record of another major version fails with an error
//! naming the file instead of guessing.
//!
//! The per-operation field names (`operation_name`, `total_requests`, `latency_ms{…}`, `throughput_rps`,
//! `success_rate_percent`, `memory_usage_mb`, `cpu_usage_percent`) are kept from the framework perfgate grew
//! from: users' scripts already read them.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::section::AnalysisSection;
use crate::histogram::LatencyHistogram;
pub use crate::latency::LatencyMs;
use crate::metric::Metric;
pub use crate::test_type::TestType;

/// The schema identifier written into every record.
pub const SCHEMA: &str = "perfgate/run@1";
/// The schema family; the number after `@` is the major version.
pub const SCHEMA_PREFIX: &str = "perfgate/run@";
/// The major version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Errors reading a run record. Every variant names the file it came from.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: not valid JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path}: not a perfgate run record (no \"schema\" field starting with \"perfgate/run@\")"
    )]
    NotARunRecord { path: String },
    #[error(
        "{path}: run record schema \"{found}\" is not supported by this perfgate (reads perfgate/run@{SCHEMA_VERSION}); \
         upgrade perfgate to read it"
    )]
    UnsupportedVersion { path: String, found: String },
    #[error("{path}: invalid run record: {source}")]
    Invalid {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// One run of a suite.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    /// Always [`SCHEMA`] when written by this version.
    pub schema: String,
    /// Unique id of this run (short, URL-safe).
    pub run_id: String,
    /// Suite name (from the config), used in file names, PR comment markers and the site.
    #[serde(default = "default_suite")]
    pub suite: String,
    /// `benchmark`, `load`, `stress`, `analysis` or `all`.
    pub test_type: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    #[serde(default)]
    pub git: GitInfo,
    pub environment: Environment,
    /// SHA-256 (hex, first 16 chars) of the effective configuration; runs are comparable when it matches.
    #[serde(default)]
    pub config_digest: String,
    /// The shard this record came from (`2/4`), when the run was sharded and not merged yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<BenchmarkSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stress: Option<StressSection>,
    /// Filled by the verdict (gates, recommendations, comparison); see [`crate::analysis::judge()`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisSection>,
    /// Resource usage of the runner and the target over the whole run.
    #[serde(default)]
    pub system: SystemSummary,
    /// Targets that were set up for the run (kinds, base URLs, server info).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetInfo>,
    /// Things a reader must know to trust the numbers (runner saturated, target exited, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Set when the run did not run to its end (SIGINT/SIGTERM), with why: the record holds what ran until
    /// then, is judged FAIL, and is not published. Absent in a complete run (and in records before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

fn default_suite() -> String {
    "default".to_string()
}

impl RunRecord {
    /// Parses a record from JSON bytes. `path` is only used in error messages.
    pub fn from_json_slice(bytes: &[u8], path: &str) -> Result<Self, RecordError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|source| RecordError::Json {
                path: path.to_string(),
                source,
            })?;
        Self::from_json_value(value, path)
    }

    /// Parses a record from an already-parsed JSON value, checking the schema first.
    pub fn from_json_value(value: serde_json::Value, path: &str) -> Result<Self, RecordError> {
        let schema = value
            .get("schema")
            .and_then(|s| s.as_str())
            .filter(|s| s.starts_with(SCHEMA_PREFIX))
            .ok_or_else(|| RecordError::NotARunRecord {
                path: path.to_string(),
            })?;
        let major = schema[SCHEMA_PREFIX.len()..]
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        if major != Some(SCHEMA_VERSION) {
            return Err(RecordError::UnsupportedVersion {
                path: path.to_string(),
                found: schema.to_string(),
            });
        }
        let mut record: RunRecord =
            serde_json::from_value(value).map_err(|source| RecordError::Invalid {
                path: path.to_string(),
                source,
            })?;
        record.forget_unmeasured_zeros();
        Ok(record)
    }

    /// Older records wrote `0` for memory and CPU nobody measured (no `resource_source`): read as absent.
    fn forget_unmeasured_zeros(&mut self) {
        let b = self
            .benchmark
            .iter_mut()
            .flat_map(|b| b.operations.iter_mut());
        let l = self.load.iter_mut().flat_map(|l| {
            l.operations
                .iter_mut()
                .chain(std::iter::once(&mut l.overall))
        });
        let s = self
            .stress
            .iter_mut()
            .flat_map(|s| s.steps.iter_mut().flat_map(|st| st.operations.iter_mut()));
        for op in b.chain(l).chain(s) {
            if op.resource_source.is_empty() {
                op.memory_usage_mb = op.memory_usage_mb.filter(|v| *v != 0.0);
                op.cpu_usage_percent = op.cpu_usage_percent.filter(|v| *v != 0.0);
            }
        }
    }

    /// Convenience for [`from_json_slice`](Self::from_json_slice) with a `Path`.
    pub fn from_json_path_bytes(bytes: &[u8], path: &Path) -> Result<Self, RecordError> {
        Self::from_json_slice(bytes, &path.display().to_string())
    }

    /// Pretty JSON with a trailing newline (the on-disk form).
    pub fn to_json_pretty(&self) -> Vec<u8> {
        // Serializing plain data (strings, numbers, maps with string keys) cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// All per-operation results of every section, with the section they belong to.
    pub fn operations(&self) -> impl Iterator<Item = (TestType, &OperationResult)> {
        let bench = self
            .benchmark
            .iter()
            .flat_map(|b| b.operations.iter().map(|o| (TestType::Benchmark, o)));
        let load = self
            .load
            .iter()
            .flat_map(|l| l.operations.iter().map(|o| (TestType::Load, o)));
        let stress = self.stress.iter().flat_map(|s| {
            s.steps
                .iter()
                .flat_map(|step| step.operations.iter().map(|o| (TestType::Stress, o)))
        });
        bench.chain(load).chain(stress)
    }

    /// The short commit SHA (7 chars) or `nogit`.
    pub fn sha7(&self) -> &str {
        match self.git.sha.as_deref() {
            Some(s) if s.len() >= 7 => &s[..7],
            Some(s) if !s.is_empty() => s,
            _ => "nogit",
        }
    }
}

/// Where the code under test came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct GitInfo {
    /// Full commit SHA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// Full ref (`refs/heads/main`, `refs/pull/12/merge`).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub ref_name: Option<String>,
    /// Branch name (for a PR: its head branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Base branch of a pull request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_number: Option<u64>,
    /// `owner/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The web address of the git host (`GITHUB_SERVER_URL`: `https://github.com`, or a GitHub Enterprise
    /// Server's own), for links to the commit. `None`: github.com.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
    /// First line of the commit message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_time: Option<DateTime<Utc>>,
    /// Uncommitted changes in the working tree when the run started.
    #[serde(default)]
    pub dirty: bool,
}

/// The machine a run happened on. Only stable values: two runs on the same kind of machine share a fingerprint.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    pub os: String,
    #[serde(default)]
    pub os_version: String,
    pub arch: String,
    #[serde(default)]
    pub cpu_model: String,
    pub cpu_cores: u32,
    /// Total memory rounded to whole GiB (so that small reporting differences do not split series).
    pub memory_gib: u64,
    /// `github-hosted`, `self-hosted` or `local`.
    #[serde(default)]
    pub runner_kind: String,
    /// A short hash of the fields above; history only compares runs with equal fingerprints.
    pub fingerprint: String,
    #[serde(default)]
    pub perfgate_version: String,
}

/// Which part of a sharded run a record holds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub total: u32,
}

/// What a target was.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TargetInfo {
    pub name: String,
    /// `http`, `command`, `mcp`, `closure`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Extra facts (MCP protocol version, server name/version, spawn overhead, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
    /// How long `prepare()` took (connect, spawn, initialize), kept apart from call latencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepare_ms: Option<f64>,
}

/// The result of one operation in one schedule.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct OperationResult {
    pub operation_name: String,
    pub total_requests: u64,
    #[serde(default)]
    pub successful_requests: u64,
    #[serde(default)]
    pub failed_requests: u64,
    /// Latency of every completed request (successes and failures), from its (intended) start.
    pub latency_ms: LatencyMs,
    pub throughput_rps: f64,
    pub success_rate_percent: f64,
    /// Peak RSS of the target's process tree, MB; `null` when not measured (no target process known, a phase
    /// shorter than one sample, an imported run). Never 0 for "unknown": a gate on it is then not evaluated.
    pub memory_usage_mb: Option<f64>,
    /// Average CPU of the target's process tree, % of one core; `null` when not measured.
    pub cpu_usage_percent: Option<f64>,
    /// `target` (or `runner` in older records): whose memory and CPU the two fields above are.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_source: String,
    /// The target's RSS after the operation's window minus before it, MB (the operation's own growth); absent
    /// without two readings of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_delta_mb: Option<f64>,
    /// The target's CPU after the operation's window minus before it, percentage points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_delta_percent: Option<f64>,
    /// Failures by kind: `timeout`, `connect`, `http_5xx`, `http_4xx`, `http_status`, `exit_code`, `io`, …
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, u64>,
    /// A few distinct error messages, for the reader.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_samples: Vec<String>,
    /// Measured wall time of this operation's phase.
    #[serde(default)]
    pub duration_seconds: f64,
    /// For command targets: the measured cost of spawning an empty process, included in the latencies above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawn_overhead_ms: Option<f64>,
    /// Every latency in µs (HdrHistogram V2 compressed, base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<LatencyHistogram>,
    /// Metrics a microbenchmark harness reports beside time, by metric key (`bytes_per_op`,
    /// `allocs_per_op`); compared, gated and charted like the others. Empty for perfgate's own runs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_metrics: BTreeMap<String, f64>,
}

impl Metric {
    /// Reads the metric from an operation result. `None` when it has no meaning for that result (latency of an
    /// operation that completed no request) or is not a finite number.
    pub fn value(self, op: &OperationResult) -> Option<f64> {
        if self.is_latency() && op.total_requests == 0 {
            return None;
        }
        let l = &op.latency_ms;
        let v = match self {
            Metric::P50 => l.p50,
            Metric::P90 => l.p90,
            Metric::P95 => l.p95,
            Metric::P99 => l.p99,
            Metric::P999 => l.p999,
            Metric::Avg => l.avg,
            Metric::Max => l.max,
            Metric::ErrorRate => {
                if op.total_requests == 0 {
                    return None;
                }
                op.error_rate_percent()
            }
            Metric::Rps => op.throughput_rps,
            Metric::MemoryMb => op.memory_usage_mb?,
            Metric::CpuPercent => op.cpu_usage_percent?,
            Metric::BytesPerOp | Metric::AllocsPerOp => *op.extra_metrics.get(self.key())?,
        };
        v.is_finite().then_some(v)
    }
}

impl OperationResult {
    /// Error rate in percent (0 when nothing ran).
    pub fn error_rate_percent(&self) -> f64 {
        if self.total_requests == 0 {
            0.0
        } else {
            self.failed_requests as f64 * 100.0 / self.total_requests as f64
        }
    }
}

/// `benchmark`: warm-up, then N sequential iterations per operation.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BenchmarkSection {
    pub iterations: u64,
    pub warmup_iterations: u64,
    pub operations: Vec<OperationResult>,
    #[serde(default)]
    pub system: SystemSummary,
}

/// `load`: a closed or open model over a weighted operation mix.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LoadSection {
    /// `closed` (N users, think time) or `open` (target rps, intended start times).
    pub model: String,
    pub duration_seconds: f64,
    pub concurrent_users: u32,
    pub ramp_up_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rps: Option<f64>,
    /// Open model: requests that started more than 2 ms (the timer's slack) after their intended time: the
    /// generator fell behind.
    #[serde(default)]
    pub late_starts: u64,
    /// Open model: intended requests that never started (all users busy until the end).
    #[serde(default)]
    pub dropped_starts: u64,
    /// All operations together.
    pub overall: OperationResult,
    pub operations: Vec<OperationResult>,
    /// One point per second.
    #[serde(default)]
    pub timeline: Vec<TimelinePoint>,
    #[serde(default)]
    pub system: SystemSummary,
}

/// One second of a load (or stress step) phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TimelinePoint {
    /// Seconds since the phase started (0-based).
    pub second: u32,
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub active_users: u32,
    /// RSS of the target (or runner) at this second, MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    /// The runner's own RSS (MB) and CPU (%) at this second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_memory_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_cpu_percent: Option<f64>,
    /// The target's disk and network bytes per second at this second, where the OS exposes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_read_bytes_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_written_bytes_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_received_bytes_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_sent_bytes_per_sec: Option<f64>,
}

/// `stress`: steps of rising concurrency until something breaks.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StressSection {
    pub steps: Vec<StressStep>,
    /// Concurrency of the last step that met every rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_good_concurrency: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaking_point: Option<BreakingPoint>,
    /// Human sentence: "breaking point at 25 users: …" or "no breaking point found up to 50 users".
    pub conclusion: String,
    #[serde(default)]
    pub system: SystemSummary,
    /// The Universal Scalability Law fitted to the steps ([`crate::capacity`]); absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<crate::capacity::Capacity>,
}

/// One concurrency step of a stress test.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StressStep {
    pub concurrency: u32,
    pub duration_seconds: f64,
    pub total_requests: u64,
    pub throughput_rps: f64,
    pub error_rate_percent: f64,
    pub latency_ms: LatencyMs,
    /// Per operation at this step (histograms included).
    pub operations: Vec<OperationResult>,
    /// Why the test stopped after this step, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

/// Where a stress test broke, and why.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BreakingPoint {
    pub concurrency: u32,
    pub reason: String,
}

/// CPU and memory of the runner and the target during a phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SystemSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<ProcessUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ProcessUsage>,
    /// Average whole-host CPU %, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cpu_percent: Option<f64>,
    /// True when the runner used most of the CPU it could: its numbers then measure perfgate, not the service.
    #[serde(default)]
    pub runner_saturated: bool,
}

/// CPU (% of one core, may exceed 100) and RSS of one process.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ProcessUsage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    pub cpu_avg_percent: f64,
    pub cpu_max_percent: f64,
    pub rss_avg_mb: f64,
    pub rss_max_mb: f64,
    /// RSS at the start and end of the phase (a leak shows as a growing difference).
    #[serde(default)]
    pub rss_start_mb: f64,
    #[serde(default)]
    pub rss_end_mb: f64,
    /// Every process counted: the target's tree (a service's `sh -c` shell and what it started), as
    /// re-discovered at each sample.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pids: Vec<u32>,
    /// Average disk bytes read / written per second (Linux: `/proc/<pid>/io`), where the OS exposes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_read_bytes_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_written_bytes_per_sec: Option<f64>,
    /// Average network bytes received / sent per second: only for a target in a network namespace of its
    /// own (`/proc/<pid>/net/dev`); in perfgate's namespace those counters are the host's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_received_bytes_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_sent_bytes_per_sec: Option<f64>,
    /// When the process ended during the phase: its exit status and the tail of its stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_record() -> RunRecord {
        let mut h = LatencyHistogram::new();
        for v in 1..=100u64 {
            h.record_us(v * 1000);
        }
        let op = OperationResult {
            operation_name: "chat_resolution".into(),
            total_requests: 100,
            successful_requests: 99,
            failed_requests: 1,
            latency_ms: h.summary(),
            throughput_rps: 50.0,
            success_rate_percent: 99.0,
            memory_usage_mb: Some(12.5),
            cpu_usage_percent: Some(3.0),
            resource_source: "runner".into(),
            errors: [("http_5xx".to_string(), 1)].into_iter().collect(),
            histogram: Some(h),
            ..Default::default()
        };
        RunRecord {
            schema: SCHEMA.into(),
            run_id: "r1".into(),
            suite: "default".into(),
            test_type: "benchmark".into(),
            started_at: DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
                .unwrap()
                .into(),
            finished_at: DateTime::parse_from_rfc3339("2026-11-27T10:00:05Z")
                .unwrap()
                .into(),
            git: GitInfo {
                sha: Some("0123456789abcdef".into()),
                ..Default::default()
            },
            environment: Environment {
                os: "linux".into(),
                arch: "x86_64".into(),
                cpu_cores: 2,
                memory_gib: 24,
                fingerprint: "abc".into(),
                ..Default::default()
            },
            config_digest: "d".into(),
            shard: None,
            benchmark: Some(BenchmarkSection {
                iterations: 100,
                warmup_iterations: 5,
                operations: vec![op],
                system: SystemSummary::default(),
            }),
            load: None,
            stress: None,
            analysis: None,
            system: SystemSummary::default(),
            targets: vec![],
            warnings: vec![],
            incomplete: None,
        }
    }

    #[test]
    fn round_trips_through_json_with_seed_field_names() {
        let rec = sample_record();
        let bytes = rec.to_json_pretty();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let op = &v["benchmark"]["operations"][0];
        for key in [
            "operation_name",
            "total_requests",
            "latency_ms",
            "throughput_rps",
            "success_rate_percent",
            "memory_usage_mb",
            "cpu_usage_percent",
        ] {
            assert!(op.get(key).is_some(), "missing {key}");
        }
        for key in [
            "min", "max", "p50", "p90", "p95", "p99", "p999", "avg", "stddev",
        ] {
            assert!(
                op["latency_ms"].get(key).is_some(),
                "missing latency_ms.{key}"
            );
        }
        assert!(op["histogram"].as_str().unwrap().starts_with("HISTF"));
        let back = RunRecord::from_json_slice(&bytes, "x.json").unwrap();
        assert_eq!(back, rec);
        assert_eq!(back.sha7(), "0123456");
    }

    #[test]
    fn unmeasured_memory_and_cpu_are_null_and_old_zeros_read_as_unmeasured() {
        let mut rec = sample_record();
        let op = &mut rec.benchmark.as_mut().unwrap().operations[0];
        op.memory_usage_mb = None;
        op.cpu_usage_percent = None;
        op.resource_source.clear();
        let v: serde_json::Value = serde_json::from_slice(&rec.to_json_pretty()).unwrap();
        let op = &v["benchmark"]["operations"][0];
        assert!(
            op["memory_usage_mb"].is_null() && op["cpu_usage_percent"].is_null(),
            "{op}"
        );
        // An older record: 0 and no resource_source meant "nobody measured it".
        let mut old = v.clone();
        old["benchmark"]["operations"][0]["memory_usage_mb"] = 0.0.into();
        old["benchmark"]["operations"][0]["cpu_usage_percent"] = 0.0.into();
        let back = RunRecord::from_json_value(old, "old.json").unwrap();
        let op = &back.benchmark.as_ref().unwrap().operations[0];
        assert_eq!((op.memory_usage_mb, op.cpu_usage_percent), (None, None));
        // A measured 0 % CPU stays a measurement.
        let mut measured = v;
        measured["benchmark"]["operations"][0]["cpu_usage_percent"] = 0.0.into();
        measured["benchmark"]["operations"][0]["resource_source"] = "target".into();
        let back = RunRecord::from_json_value(measured, "m.json").unwrap();
        assert_eq!(
            back.benchmark.unwrap().operations[0].cpu_usage_percent,
            Some(0.0)
        );
    }

    #[test]
    fn unknown_major_version_names_the_file() {
        let mut v = serde_json::to_value(sample_record()).unwrap();
        v["schema"] = "perfgate/run@2".into();
        let err = RunRecord::from_json_value(v, "runs/2026/11/x.json").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, RecordError::UnsupportedVersion { .. }));
        assert!(
            msg.contains("runs/2026/11/x.json") && msg.contains("perfgate/run@2"),
            "{msg}"
        );
    }

    #[test]
    fn minor_versions_and_unknown_fields_are_accepted() {
        let mut v = serde_json::to_value(sample_record()).unwrap();
        v["schema"] = "perfgate/run@1.3".into();
        v["a_field_from_the_future"] = serde_json::json!({"x": 1});
        assert!(RunRecord::from_json_value(v, "f.json").is_ok());
    }

    #[test]
    fn non_records_and_broken_json_are_clear_errors() {
        let err = RunRecord::from_json_slice(b"{\"hello\": 1}", "a.json").unwrap_err();
        assert!(matches!(err, RecordError::NotARunRecord { .. }), "{err}");
        let err =
            RunRecord::from_json_slice(b"{\"schema\": \"perfgate/run@1\"", "b.json").unwrap_err();
        assert!(
            err.to_string().starts_with("b.json: not valid JSON"),
            "{err}"
        );
        let err = RunRecord::from_json_slice(
            b"{\"schema\": \"perfgate/run@1\", \"run_id\": 5}",
            "c.json",
        )
        .unwrap_err();
        assert!(matches!(err, RecordError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("c.json"));
    }
}

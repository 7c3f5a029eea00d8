//! Small run records for the unit tests of history, index, retention, merge and the converters.

use chrono::{DateTime, Utc};

use crate::record::{
    BenchmarkSection, Environment, GitInfo, LatencyMs, OperationResult, RunRecord, SystemSummary,
    SCHEMA,
};

/// Parses an RFC 3339 time of a test fixture.
pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(Into::into)
        .unwrap_or_else(|e| panic!("fixture time {s}: {e}"))
}

/// A record without results, started at `time` on `branch`, machine fingerprint `fp`, commit `sha-<id>`.
pub fn record_at(id: &str, time: &str, branch: &str, fp: &str) -> RunRecord {
    let started = t(time);
    RunRecord {
        schema: SCHEMA.into(),
        run_id: id.into(),
        suite: "default".into(),
        test_type: "benchmark".into(),
        started_at: started,
        finished_at: started + chrono::Duration::seconds(5),
        git: GitInfo {
            sha: Some(format!("sha-{id}")),
            branch: Some(branch.into()),
            ..Default::default()
        },
        environment: Environment {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpu_cores: 2,
            memory_gib: 8,
            fingerprint: fp.into(),
            ..Default::default()
        },
        config_digest: "cfg".into(),
        shard: None,
        benchmark: None,
        load: None,
        stress: None,
        analysis: None,
        system: SystemSummary::default(),
        targets: vec![],
        warnings: vec![],
        incomplete: None,
    }
}

/// Adds a benchmark operation with latencies around `p95` ms, `rps` throughput, `total` requests of which
/// `failed` failed.
pub fn with_op(rec: &mut RunRecord, name: &str, p95: f64, rps: f64, total: u64, failed: u64) {
    let op = OperationResult {
        operation_name: name.into(),
        total_requests: total,
        successful_requests: total - failed,
        failed_requests: failed,
        latency_ms: LatencyMs {
            min: p95 / 10.0,
            max: p95 * 2.0,
            p50: p95 / 2.0,
            p90: p95 * 0.9,
            p95,
            p99: p95 * 1.5,
            p999: p95 * 1.8,
            avg: p95 / 1.8,
            stddev: p95 / 4.0,
        },
        throughput_rps: rps,
        success_rate_percent: if total == 0 {
            0.0
        } else {
            (total - failed) as f64 * 100.0 / total as f64
        },
        memory_usage_mb: Some(42.0),
        cpu_usage_percent: Some(12.5),
        resource_source: "target".into(),
        ..Default::default()
    };
    rec.benchmark
        .get_or_insert_with(|| BenchmarkSection {
            iterations: total,
            warmup_iterations: 0,
            operations: vec![],
            system: SystemSummary::default(),
        })
        .operations
        .push(op);
}

//! Builders of run records for unit tests (compiled only for tests).

use chrono::{DateTime, Utc};

use crate::record::{
    BenchmarkSection, Environment, GitInfo, LatencyMs, OperationResult, RunRecord, SystemSummary,
    SCHEMA,
};

/// A fixed instant, so that rendered output is deterministic.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .map(Into::into)
        .unwrap_or_default()
}

/// A record whose benchmark section holds `ops`.
pub fn record_with(ops: Vec<OperationResult>) -> RunRecord {
    RunRecord {
        schema: SCHEMA.into(),
        run_id: "run1".into(),
        suite: "default".into(),
        test_type: "benchmark".into(),
        started_at: t0(),
        finished_at: t0() + chrono::Duration::seconds(30),
        git: GitInfo {
            sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            branch: Some("main".into()),
            ..Default::default()
        },
        environment: Environment {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpu_cores: 2,
            memory_gib: 8,
            fingerprint: "fp1".into(),
            ..Default::default()
        },
        config_digest: "cfg".into(),
        shard: None,
        benchmark: Some(BenchmarkSection {
            iterations: 100,
            warmup_iterations: 5,
            operations: ops,
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

/// A healthy operation: `total` requests, `failed` of them failed, latencies scaled from `p50`.
pub fn op(name: &str, p50: f64, rps: f64, total: u64, failed: u64) -> OperationResult {
    OperationResult {
        operation_name: name.into(),
        total_requests: total,
        successful_requests: total - failed,
        failed_requests: failed,
        latency_ms: LatencyMs {
            min: p50 * 0.5,
            max: p50 * 3.0,
            p50,
            p90: p50 * 1.3,
            p95: p50 * 1.5,
            p99: p50 * 2.0,
            p999: p50 * 2.5,
            avg: p50 * 1.1,
            stddev: p50 * 0.3,
        },
        throughput_rps: rps,
        success_rate_percent: if total == 0 {
            0.0
        } else {
            (total - failed) as f64 * 100.0 / total as f64
        },
        memory_usage_mb: Some(64.0),
        cpu_usage_percent: Some(20.0),
        resource_source: "target".into(),
        duration_seconds: total as f64 / rps.max(1e-9),
        ..Default::default()
    }
}

/// The bytes of a peer's sample file in `tests/fixtures/samples` (oha, k6, BMF, github-action-benchmark,
/// HdrHistogram); a missing file panics with its path.
pub fn sample_bytes(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

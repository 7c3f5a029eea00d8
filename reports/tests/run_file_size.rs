//! How big one run file on the reports branch is for a realistic suite: 20 operations, each with HDR
//! histograms in the benchmark, the load test and every one of 10 stress steps (241 histograms). The branch
//! must stay small for years (target: ≤ 200 KB per run), so this is checked, not hoped.
//!
//! What a run costs the repository is the blob git stores, which git always zlib-compresses; that is the
//! number held to the target. The raw file (compact JSON) is printed and bounded too.

use chrono::{DateTime, Utc};
use perfgate_reports::layout::run_file_bytes;
use perfgate_reports::record::*;
use perfgate_reports::LatencyHistogram;

/// Deterministic log-normal latencies (median `median_us`, shape 0.6) — the shape of real service latencies.
fn histogram(samples: u64, median_us: f64, seed: &mut u64) -> LatencyHistogram {
    let mut rnd = || {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let mut h = LatencyHistogram::new();
    for _ in 0..samples {
        let (u1, u2) = (rnd().max(1e-12), rnd());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        h.record_us((median_us * (0.6 * z).exp()) as u64);
    }
    h
}

fn op(name: &str, samples: u64, median_us: f64, seed: &mut u64) -> OperationResult {
    let h = histogram(samples, median_us, seed);
    OperationResult {
        operation_name: name.to_string(),
        total_requests: samples,
        successful_requests: samples - samples / 100,
        failed_requests: samples / 100,
        latency_ms: h.summary(),
        throughput_rps: samples as f64 / 60.0,
        success_rate_percent: 99.0,
        memory_usage_mb: Some(123.4),
        cpu_usage_percent: Some(45.6),
        resource_source: "target".into(),
        errors: [("http_5xx".to_string(), samples / 100)]
            .into_iter()
            .collect(),
        error_samples: vec![],
        duration_seconds: 60.0,
        spawn_overhead_ms: None,
        histogram: Some(h),
        memory_delta_mb: Some(1.5),
        cpu_delta_percent: Some(-2.25),
        extra_metrics: Default::default(),
    }
}

/// A second of a timeline with every resource series the sampler records.
fn point(second: u32) -> TimelinePoint {
    TimelinePoint {
        second,
        requests: 1000,
        errors: 10,
        rps: 1000.0,
        p50_ms: 6.123,
        p95_ms: 14.456,
        p99_ms: 21.789,
        active_users: 50,
        memory_mb: Some(123.4),
        cpu_percent: Some(45.6),
        runner_memory_mb: Some(22.715),
        runner_cpu_percent: Some(15.686),
        disk_read_bytes_per_sec: Some(0.0),
        disk_written_bytes_per_sec: Some(8192.0),
        net_received_bytes_per_sec: None,
        net_sent_bytes_per_sec: None,
    }
}

fn realistic_record() -> RunRecord {
    let mut seed = 42u64;
    let names: Vec<String> = (0..20)
        .map(|i| format!("operation_number_{i:02}"))
        .collect();
    let t: DateTime<Utc> = "2026-11-27T10:00:00Z".parse().expect("time");
    let bench: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| op(n, 100, 2000.0 + 300.0 * i as f64, &mut seed))
        .collect();
    // 60 s of load at ~1000 rps over 20 operations: 3000 requests each.
    let load: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| op(n, 3000, 5000.0 + 500.0 * i as f64, &mut seed))
        .collect();
    let overall = op("overall", 60_000, 7000.0, &mut seed);
    let timeline: Vec<TimelinePoint> = (0..60).map(point).collect();
    // Stress: 10 steps (5 → 50 users), 15 s each, ~1000 requests per operation per step.
    let steps = (1..=10u32)
        .map(|k| {
            let ops: Vec<_> = names
                .iter()
                .map(|n| op(n, 1000, 4000.0 * f64::from(k), &mut seed))
                .collect();
            StressStep {
                concurrency: 5 * k,
                duration_seconds: 15.0,
                total_requests: 20_000,
                throughput_rps: 1333.3,
                error_rate_percent: 1.0,
                latency_ms: ops[0].latency_ms,
                operations: ops,
                stop_reason: None,
            }
        })
        .collect();
    RunRecord {
        schema: SCHEMA.into(),
        run_id: "01JD5X3K7W".into(),
        suite: "my-service".into(),
        test_type: "analysis".into(),
        started_at: t,
        finished_at: t + chrono::Duration::seconds(400),
        git: GitInfo {
            sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            branch: Some("main".into()),
            ..Default::default()
        },
        environment: Environment {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpu_model: "AMD EPYC 7763 64-Core Processor".into(),
            cpu_cores: 4,
            memory_gib: 16,
            runner_kind: "github-hosted".into(),
            fingerprint: "3f2a9c1d5e7b8a06".into(),
            ..Default::default()
        },
        config_digest: "9a8b7c6d5e4f3a2b".into(),
        shard: None,
        benchmark: Some(BenchmarkSection {
            iterations: 100,
            warmup_iterations: 10,
            operations: bench,
            system: SystemSummary::default(),
        }),
        load: Some(LoadSection {
            model: "closed".into(),
            duration_seconds: 60.0,
            concurrent_users: 50,
            ramp_up_seconds: 5.0,
            overall,
            operations: load,
            timeline,
            ..Default::default()
        }),
        stress: Some(StressSection {
            steps,
            last_good_concurrency: Some(50),
            conclusion: "no breaking point found up to 50 users".into(),
            ..Default::default()
        }),
        analysis: None,
        system: SystemSummary::default(),
        targets: vec![],
        warnings: vec![],
        incomplete: None,
    }
}

#[test]
fn a_20_operation_run_file_with_histograms_stays_under_200_kb() {
    let rec = realistic_record();
    let histograms = rec
        .operations()
        .filter(|(_, o)| o.histogram.is_some())
        .count()
        + 1;
    let on_branch = run_file_bytes(&rec);
    let pretty = rec.to_json_pretty();
    let stored = zlib_len(&on_branch);
    eprintln!(
        "run file, 20 operations, {histograms} histograms: {} bytes raw (pretty JSON would be {}), \
         {stored} bytes as git stores it",
        on_branch.len(),
        pretty.len()
    );
    assert!(stored <= 200 * 1024, "stored run file is {stored} bytes");
    assert!(
        on_branch.len() <= 400 * 1024,
        "raw run file is {} bytes",
        on_branch.len()
    );
    let back = RunRecord::from_json_slice(&on_branch, "run.json").expect("reads back");
    assert_eq!(back, rec, "the compact form loses nothing");
}

/// Size of `bytes` zlib-compressed at git's default level (what a loose object or a non-delta pack entry
/// costs).
fn zlib_len(bytes: &[u8]) -> usize {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).expect("in-memory write");
    z.finish().expect("in-memory finish").len()
}

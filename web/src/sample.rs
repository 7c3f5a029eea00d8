//! Synthetic histories: deterministic run records with the analysis's markers, for the scale example, the
//! page tests, the browser test and demos. Not used by `build_site`.
//!
//! A history has `runs` runs one day apart, each with a benchmark of `operations` operations; every 10th run
//! also has a load phase (with a per-second timeline) and every 25th a stress phase that breaks. Operation 0
//! gets 30 % slower from 70 % of the way through, and the input carries that as a change point and a flagged
//! regression. Histograms are kept only for the newest `histogram_runs` runs, as a history loader would do to
//! bound memory (a decoded histogram is ~190 KB).

use chrono::{DateTime, Duration, Utc};
use perfgate_reports::histogram::round3;
use perfgate_reports::record::{
    BenchmarkSection, BreakingPoint, Environment, GitInfo, LatencyMs, LoadSection, OperationResult,
    StressSection, StressStep, SystemSummary, TestType, TimelinePoint, SCHEMA,
};
use perfgate_reports::{LatencyHistogram, RunRecord};

use perfgate_reports::analysis::compare::NoiseSource;
use perfgate_reports::analysis::trend::ChangePointReport;
use perfgate_reports::analysis::{
    compare_runs, AnalysisSection, CompareSettings, ComparisonRow, OperationAnalysis,
    Recommendation, RecommendationType, Severity, Status,
};
use perfgate_reports::metric::Metric;

use crate::input::{FlaggedRegression, JudgedRun, MarkedChange, OperationKey, SiteInput, Verdict};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SampleSpec {
    pub runs: usize,
    pub operations: usize,
    /// Newest runs that keep their histograms.
    pub histogram_runs: usize,
    /// Name two operations `<script>alert(1)</script>` and `a&b"c`, and put markup in commit messages and
    /// error samples, to test escaping.
    pub hostile: bool,
    /// Add a comparison of the last run against the one before.
    pub compare: bool,
}

impl Default for SampleSpec {
    fn default() -> Self {
        Self {
            runs: 40,
            operations: 6,
            histogram_runs: 5,
            hostile: false,
            compare: true,
        }
    }
}

/// A tiny deterministic generator (SplitMix64), so every build of a sample is identical.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The suite all sample runs belong to.
pub const SUITE: &str = "api";

/// Operation names of a sample.
pub fn operation_names(spec: &SampleSpec) -> Vec<String> {
    (0..spec.operations)
        .map(|i| match (spec.hostile, i) {
            (true, 1) => "<script>alert(1)</script>".to_string(),
            (true, 2) => "a&b\"c".to_string(),
            _ => format!("GET /api/resource-{i:02}"),
        })
        .collect()
}

fn start() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default() // 2026-01-01T00:00:00Z
}

/// The run where operation 0 gets slower.
pub fn change_run(spec: &SampleSpec) -> usize {
    spec.runs * 7 / 10
}

fn sha_of(i: usize) -> String {
    let mut r = Rng(i as u64 * 7919 + 17);
    format!("{:016x}{:016x}{:08x}", r.next(), r.next(), r.next() as u32)
}

/// Typical p50 of operation `op` in run `run`, in ms.
fn base_ms(spec: &SampleSpec, op: usize, run: usize) -> f64 {
    let mut v = 2.0 + (op % 10) as f64 * 1.7 + (op / 10) as f64 * 0.3;
    if op == 0 && run >= change_run(spec) {
        v *= 1.3;
    }
    v
}

fn operation(
    rng: &mut Rng,
    spec: &SampleSpec,
    name: &str,
    op: usize,
    run: usize,
    with_histogram: bool,
) -> OperationResult {
    let p50 = base_ms(spec, op, run) * (1.0 + (rng.unit() - 0.5) * 0.06);
    let total = 1000u64;
    let failed = if op % 7 == 3 {
        (rng.unit() * 8.0) as u64
    } else {
        0
    };
    let (latency_ms, histogram) = if with_histogram {
        let mut h = LatencyHistogram::new();
        for _ in 0..total {
            // A body around p50 and a long tail: p50 · e^(x²·1.2) for x uniform in [0, 1) plus rare spikes.
            let x = rng.unit();
            let spike = if rng.unit() < 0.004 { 8.0 } else { 1.0 };
            h.record_us((p50 * (x * x * 1.2).exp() * spike * 1000.0) as u64);
        }
        (h.summary(), Some(h))
    } else {
        // The same shape as the histogram branch: p50·e^(1.2q²) below the 0.4 % spikes (×8) of the tail.
        let at = |q: f64| p50 * (1.2 * q * q).exp();
        let l = LatencyMs {
            min: round3(p50),
            p50: round3(at(0.50)),
            p90: round3(at(0.90)),
            p95: round3(at(0.95)),
            p99: round3(at(0.99)),
            p999: round3(8.0 * at(0.75)),
            max: round3(8.0 * at(1.0)),
            avg: round3(p50 * 1.6),
            stddev: round3(p50 * 0.9),
        };
        (l, None)
    };
    let mut errors = std::collections::BTreeMap::new();
    let mut error_samples = Vec::new();
    if failed > 0 {
        errors.insert("http_5xx".to_string(), failed);
        error_samples.push(if spec.hostile {
            "<b>500</b> upstream said <script>x()</script>".to_string()
        } else {
            "500 Internal Server Error".to_string()
        });
    }
    OperationResult {
        operation_name: name.to_string(),
        total_requests: total,
        successful_requests: total - failed,
        failed_requests: failed,
        latency_ms,
        throughput_rps: round3(1000.0 / latency_ms.avg.max(0.001)),
        success_rate_percent: round3((total - failed) as f64 * 100.0 / total as f64),
        memory_usage_mb: Some(round3(40.0 + run as f64 * 0.01 + rng.unit() * 2.0)),
        cpu_usage_percent: Some(round3(20.0 + rng.unit() * 10.0)),
        resource_source: "target".to_string(),
        errors,
        error_samples,
        duration_seconds: round3(total as f64 * latency_ms.avg / 1000.0),
        spawn_overhead_ms: None,
        histogram,
        ..Default::default()
    }
}

fn load_section(
    rng: &mut Rng,
    spec: &SampleSpec,
    names: &[String],
    run: usize,
    with_histogram: bool,
) -> LoadSection {
    let ops: Vec<OperationResult> = names
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, n)| operation(rng, spec, n, i, run, with_histogram))
        .collect();
    let mut overall = operation(rng, spec, "all", 0, run, with_histogram);
    overall.throughput_rps = round3(ops.iter().map(|o| o.throughput_rps).sum::<f64>() * 8.0);
    let timeline = (0..60u32)
        .map(|s| {
            let users = (s * 2).min(20);
            let rps = f64::from(users) * 45.0 * (1.0 + (rng.unit() - 0.5) * 0.1);
            let p95 = 8.0 + f64::from(users) * 0.3 + rng.unit() * 2.0;
            TimelinePoint {
                second: s,
                requests: rps as u64,
                errors: 0,
                rps: round3(rps),
                p50_ms: round3(p95 * 0.45),
                p95_ms: round3(p95),
                p99_ms: round3(p95 * 1.4),
                active_users: users,
                memory_mb: Some(50.0),
                cpu_percent: Some(30.0),
                ..Default::default()
            }
        })
        .collect();
    LoadSection {
        model: "closed".to_string(),
        duration_seconds: 60.0,
        concurrent_users: 20,
        ramp_up_seconds: 10.0,
        target_rps: None,
        late_starts: 0,
        dropped_starts: 0,
        overall,
        operations: ops,
        timeline,
        system: SystemSummary::default(),
    }
}

fn stress_section(rng: &mut Rng, spec: &SampleSpec, names: &[String], run: usize) -> StressSection {
    let steps: Vec<StressStep> = (1..=8u32)
        .map(|k| {
            let c = k * 5;
            // A service that scales by the Universal Scalability Law (σ 0.02, κ 0.0012: peak near 29 users),
            // measured with ±1.5 % noise.
            let wobble = 1.0 + 0.015 * if k % 2 == 0 { 1.0 } else { -1.0 };
            let rps = perfgate_reports::capacity::usl(95.0, 0.02, 0.0012, f64::from(c)) * wobble;
            let p95 = if c <= 25 {
                10.0 + f64::from(c) * 0.5
            } else {
                22.0 + f64::from(c - 25).powi(2) * 4.0
            };
            let op = operation(rng, spec, &names[0], 0, run, false);
            StressStep {
                concurrency: c,
                duration_seconds: 10.0,
                total_requests: (rps * 10.0) as u64,
                throughput_rps: round3(rps),
                error_rate_percent: if c > 30 { 6.0 } else { 0.0 },
                latency_ms: LatencyMs {
                    p50: p95 * 0.5,
                    p95,
                    p99: p95 * 1.5,
                    ..op.latency_ms
                },
                operations: vec![op],
                stop_reason: (c == 40).then(|| "error rate 6.0 % > 5 %".to_string()),
            }
        })
        .collect();
    let capacity = Some(perfgate_reports::capacity::from_steps(
        &steps,
        0.0,
        Some(500.0),
    ));
    StressSection {
        steps,
        last_good_concurrency: Some(25),
        breaking_point: Some(BreakingPoint {
            concurrency: 30,
            reason: "p95 rose 3.2× while throughput fell".to_string(),
        }),
        conclusion: "breaking point at 30 users: p95 rose 3.2× while throughput fell".to_string(),
        system: SystemSummary::default(),
        capacity,
    }
}

/// A run record of the sample.
fn record(spec: &SampleSpec, names: &[String], run: usize) -> RunRecord {
    let mut rng = Rng(run as u64 * 1_000_003 + 1);
    let with_histogram = run + spec.histogram_runs >= spec.runs;
    let started = start() + Duration::days(run as i64) + Duration::minutes((run % 7) as i64 * 13);
    let ops: Vec<OperationResult> = names
        .iter()
        .enumerate()
        .map(|(i, n)| operation(&mut rng, spec, n, i, run, with_histogram))
        .collect();
    let load = (run % 10 == 9 || run + 1 == spec.runs)
        .then(|| load_section(&mut rng, spec, names, run, with_histogram));
    let stress = (run % 25 == 24).then(|| stress_section(&mut rng, spec, names, run));
    let message = if spec.hostile && run.is_multiple_of(3) {
        format!("</p><img src=x onerror=alert({run})> & \"quoted\" change {run}")
    } else {
        format!("Change number {run}: tune the resource cache")
    };
    RunRecord {
        schema: SCHEMA.to_string(),
        run_id: format!("run-{run:05}"),
        suite: SUITE.to_string(),
        test_type: if load.is_some() {
            "all".into()
        } else {
            "benchmark".into()
        },
        started_at: started,
        finished_at: started + Duration::seconds(90),
        git: GitInfo {
            sha: Some(sha_of(run)),
            ref_name: Some("refs/heads/main".into()),
            branch: Some("main".into()),
            repository: Some("perfgate/demo".into()),
            commit_message: Some(message),
            ..GitInfo::default()
        },
        environment: Environment {
            os: "linux".into(),
            os_version: "Debian 12".into(),
            arch: "x86_64".into(),
            cpu_model: "Sample CPU @ 2.0GHz".into(),
            cpu_cores: 2,
            memory_gib: 8,
            runner_kind: "github-hosted".into(),
            fingerprint: "sample01".into(),
            perfgate_version: "0.1.0".into(),
        },
        config_digest: "0123456789abcdef".into(),
        shard: None,
        benchmark: Some(BenchmarkSection {
            iterations: 1000,
            warmup_iterations: 50,
            operations: ops,
            system: SystemSummary::default(),
        }),
        load,
        stress,
        analysis: None,
        system: SystemSummary::default(),
        targets: vec![],
        warnings: if run % 10 == 9 {
            vec!["target process restarted once during the run".into()]
        } else {
            vec![]
        },
        incomplete: None,
    }
}

/// A regression row of the sample: p95 `before` → `after`, judged against a 20-run history.
fn regression_row(operation: &str, before: f64, after: f64, p_value: f64) -> ComparisonRow {
    ComparisonRow {
        test_type: TestType::Benchmark,
        operation: operation.to_string(),
        metric: Metric::P95,
        base: Some(before),
        head: Some(after),
        change_percent: Some(if before > 0.0 {
            (after - before) / before * 100.0
        } else {
            0.0
        }),
        noise_percent: Some(3.0),
        noise_source: NoiseSource::History,
        threshold_percent: 5.0,
        p_value: Some(p_value),
        verdict: Verdict::Regressed,
        mdc_percent: Some(8.0),
        baseline_runs: Some(20),
        acknowledged: None,
        note: None,
    }
}

/// Generates a whole sample: records plus markers, a judged pull-request run and a recommendation.
pub fn history(spec: &SampleSpec) -> SiteInput {
    let names = operation_names(spec);
    let records: Vec<RunRecord> = (0..spec.runs).map(|i| record(spec, &names, i)).collect();
    let mut input = SiteInput {
        records,
        ..SiteInput::default()
    };
    let cr = change_run(spec);
    if spec.runs >= 3 && cr < spec.runs && !names.is_empty() {
        let key = OperationKey::new(SUITE, TestType::Benchmark, names[0].clone());
        let p95 = |r: &RunRecord| {
            r.benchmark
                .as_ref()
                .map_or(0.0, |b| b.operations[0].latency_ms.p95)
        };
        let (before, after) = (p95(&input.records[cr - 1]), p95(&input.records[cr]));
        let at = &input.records[cr];
        input.change_points.push(MarkedChange {
            key: key.clone(),
            metric: Metric::P95,
            change: ChangePointReport {
                run_id: at.run_id.clone(),
                sha: at.git.sha.clone(),
                commit_message: at.git.commit_message.clone(),
                started_at: at.started_at,
                before_mean: before,
                after_mean: after,
                magnitude_percent: 30.0,
                p_value: 0.0004,
                regression: true,
            },
        });
        let mut row = regression_row(&names[0], before, after, 0.0004);
        row.change_percent = Some(30.0);
        input.regressions.push(FlaggedRegression {
            key,
            run_id: at.run_id.clone(),
            row,
        });
        if spec.hostile && names.len() > 1 {
            input.regressions.push(FlaggedRegression {
                key: OperationKey::new(SUITE, TestType::Benchmark, names[1].clone()),
                run_id: input.records[spec.runs - 1].run_id.clone(),
                row: regression_row(&names[1], 1.0, 2.0, 0.01),
            });
        }
    }
    if let Some(last) = input.records.last_mut() {
        last.analysis = Some(AnalysisSection {
            operations: names
                .first()
                .map(|n| OperationAnalysis {
                    test_type: TestType::Benchmark,
                    operation: n.clone(),
                    status: Status::Warning,
                    recommendations: vec![Recommendation {
                        kind: RecommendationType::Latency,
                        severity: Severity::Medium,
                        message: "P95 latency increased by 30%".into(),
                        suggestions: vec![
                            "Check the cache hit rate".into(),
                            "Profile the slowest handler".into(),
                        ],
                    }],
                })
                .into_iter()
                .collect(),
            ..AnalysisSection::default()
        });
    }
    if spec.compare && input.records.len() >= 2 {
        let n = input.records.len();
        // The PR run: the newest run's figures, with two operations changed.
        let base = input.records[n - 1].clone();
        let mut head = base.clone();
        head.analysis = None;
        head.git.pr_number = Some(42);
        head.git.branch = Some("feature/faster".into());
        head.git.sha = Some(sha_of(n + 1000));
        head.run_id = format!("{}-pr", base.run_id);
        head.started_at += Duration::hours(1);
        head.finished_at += Duration::hours(1);
        if let Some(b) = head.benchmark.as_mut() {
            // One operation slower and one faster than its base, so every verdict shows.
            for (i, factor) in [(1usize, 1.3), (2, 0.7)] {
                if let Some(o) = b.operations.get_mut(i) {
                    o.latency_ms.p95 = round3(o.latency_ms.p95 * factor);
                }
            }
        }
        let comparison = compare_runs(&base, &head, &CompareSettings::default());
        input.compare = Some(JudgedRun { head, comparison });
    }
    input
}

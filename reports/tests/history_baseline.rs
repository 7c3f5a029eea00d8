//! A history folder on disk, read back and judged: the baseline is cut at the last change point, and when
//! few runs remain after it the comparison says so instead of claiming that nothing moved.
//!
//! The runs are written as real run files (`runs/YYYY/MM/…json`, the reports-branch layout) to a fresh
//! temporary folder, read with `std::fs` the way the runner hands files over, parsed by
//! [`History::from_files_without_histograms`], filtered to one machine and compared with
//! [`compare_with_history`].

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use perfgate_reports::analysis::compare::{NoiseSource, Verdict};
use perfgate_reports::analysis::{compare_with_history, HistorySettings};
use perfgate_reports::history::{History, HistoryFilter};
use perfgate_reports::layout::run_file_path;
use perfgate_reports::metric::Metric;
use perfgate_reports::record::{
    BenchmarkSection, Environment, GitInfo, LatencyMs, OperationResult, RunRecord, TestType, SCHEMA,
};

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let p = std::env::temp_dir().join(format!("perfgate-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-01T02:00:00Z")
        .expect("fixed time")
        .into()
}

/// A run of `ops` operations whose latencies are `level` times the operation's usual ones (×(1 ± 2 %)).
fn run(i: usize, level: f64, ops: usize, wobble: &mut impl FnMut() -> f64) -> RunRecord {
    let operations = (0..ops)
        .map(|k| {
            let p50 = (5.0 + k as f64) * level * wobble();
            OperationResult {
                operation_name: format!("op{k}"),
                total_requests: 1000,
                successful_requests: 1000,
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
                throughput_rps: 1000.0 / (p50 * 1.1),
                success_rate_percent: 100.0,
                duration_seconds: 1.1 * p50,
                ..Default::default()
            }
        })
        .collect();
    let started = t0() + Duration::hours(24 * i as i64);
    RunRecord {
        schema: SCHEMA.into(),
        run_id: format!("n{i:02}"),
        suite: "default".into(),
        test_type: "benchmark".into(),
        started_at: started,
        finished_at: started + Duration::seconds(30),
        git: GitInfo {
            sha: Some(format!("{i:02}00000000000000000000000000000000000000")),
            branch: Some("main".into()),
            ..Default::default()
        },
        environment: Environment {
            os: "linux".into(),
            cpu_cores: 2,
            fingerprint: "ci-small".into(),
            ..Default::default()
        },
        config_digest: "cfg".into(),
        shard: None,
        benchmark: Some(BenchmarkSection {
            iterations: 1000,
            operations,
            ..Default::default()
        }),
        load: None,
        stress: None,
        analysis: None,
        system: Default::default(),
        targets: vec![],
        warnings: vec![],
        incomplete: None,
    }
}

fn write_runs(dir: &Path, runs: &[RunRecord]) {
    for r in runs {
        let path = dir.join(run_file_path(r));
        std::fs::create_dir_all(path.parent().expect("run files live in a folder")).expect("mkdir");
        std::fs::write(&path, r.to_json_pretty()).expect("write run file");
    }
    // A file that is not a run record does not stop the rest.
    std::fs::write(dir.join("runs/notes.json"), b"{ not a run").expect("write");
}

fn read_folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                let rel = p
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out
}

fn judge(runs: &[RunRecord], head: &RunRecord) -> perfgate_reports::analysis::Comparison {
    let dir = TempDir::new("history");
    write_runs(&dir.0, runs);
    let history = History::from_files_without_histograms(read_folder(&dir.0));
    assert_eq!(history.runs.len(), runs.len());
    assert_eq!(history.skipped.len(), 1, "{:?}", history.skipped);
    let filter = HistoryFilter {
        fingerprint: Some(head.environment.fingerprint.clone()),
        ..Default::default()
    };
    let records: Vec<RunRecord> = history
        .filtered(&filter)
        .runs
        .into_iter()
        .map(|r| r.record)
        .collect();
    compare_with_history(head, &records, &HistorySettings::default())
}

fn wobble(seed: u64) -> impl FnMut() -> f64 {
    // A fixed, small wobble (±2 %), so that the history has a spread.
    let mut x = seed;
    move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        1.0 + ((x >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.04
    }
}

#[test]
fn a_normal_head_after_five_normal_and_four_heavy_runs_is_judged_against_the_heavy_level() {
    // The case: 5 normal runs, then 4 heavy ones (2× slower), then a normal head. Before, the
    // baseline was all 9 runs: noise ±217 %, "unchanged" everywhere.
    let mut w = wobble(1);
    let mut runs: Vec<RunRecord> = (0..5).map(|i| run(i, 1.0, 8, &mut w)).collect();
    runs.extend((5..9).map(|i| run(i, 2.0, 8, &mut w)));
    let head = run(9, 1.0, 8, &mut w);
    let c = judge(&runs, &head);
    let row = c.row(TestType::Benchmark, "op3", Metric::P95).expect("row");
    assert_eq!(row.baseline_runs, Some(4), "{row:?}");
    assert!(
        (row.base.unwrap() / (8.0 * 1.5 * 2.0) - 1.0).abs() < 0.05,
        "{row:?}"
    );
    assert!(row.noise_percent.unwrap() < 20.0, "{row:?}");
    assert_eq!(row.verdict, Verdict::Improved, "{row:?}");
    assert!(
        row.note
            .as_deref()
            .unwrap_or("")
            .contains("since the change point at run n05"),
        "{row:?}"
    );
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("since their last change point")),
        "{:?}",
        c.notes
    );
}

#[test]
fn a_quiet_verdict_on_few_runs_since_a_change_says_what_it_cannot_see() {
    let mut w = wobble(2);
    let mut runs: Vec<RunRecord> = (0..6).map(|i| run(i, 1.0, 4, &mut w)).collect();
    runs.extend((6..9).map(|i| run(i, 1.5, 4, &mut w)));
    let head = run(9, 1.5, 4, &mut w);
    let c = judge(&runs, &head);
    assert_eq!(c.counts().regressed + c.counts().improved, 0, "{c:#?}");
    let sentence = c.quiet_sentence();
    assert!(sentence.contains("too few runs of history"), "{sentence}");
    let row = c.row(TestType::Benchmark, "op0", Metric::P50).expect("row");
    assert_eq!(row.baseline_runs, Some(3), "{row:?}");
    assert!(row.mdc_percent.is_some(), "{row:?}");
}

#[test]
fn a_young_history_is_judged_against_the_run_to_run_prior_and_says_so() {
    let mut w = wobble(3);
    let runs: Vec<RunRecord> = (0..3).map(|i| run(i, 1.0, 4, &mut w)).collect();
    let slow = run(3, 1.4, 4, &mut w);
    let c = judge(&runs, &slow);
    let row = c.row(TestType::Benchmark, "op1", Metric::P95).expect("row");
    assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
    assert_eq!(row.noise_source, NoiseSource::RunToRun);
    assert!(
        row.note
            .as_deref()
            .unwrap_or("")
            .contains("run-to-run prior of 3%"),
        "{row:?}"
    );
    let same = run(3, 1.0, 4, &mut w);
    let c = judge(&runs, &same);
    assert_eq!(c.counts().regressed, 0, "{c:#?}");
    assert!(
        c.quiet_sentence().contains("too few runs"),
        "{}",
        c.quiet_sentence()
    );
}

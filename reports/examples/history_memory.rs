//! Memory and time of analysing a long history (issue "Every verdict true", item 6): what
//! `perfgate analyze --history DIR` and `perfgate run --baseline DIR` do with a folder of run records.
//!
//! ```text
//! cargo run --release -p perfgate-reports --example history_memory -- write /tmp/h 500 50
//! cargo run --release -p perfgate-reports --example history_memory -- analyze /tmp/h skip   # what they do now
//! cargo run --release -p perfgate-reports --example history_memory -- analyze /tmp/h keep   # before: every histogram decoded
//! ```
//!
//! `write` makes RUNS run records of OPS operations, each with a real HDR histogram of 2,000 requests, in the
//! reports-branch layout. `analyze` reads every file, parses the history (`skip`: histograms left undecoded,
//! `keep`: decoded), finds the change points of every series and judges the newest run against the others,
//! then prints the elapsed time and the process's peak resident memory (`VmHWM`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use perfgate_reports::analysis::rng::SplitMix64;
use perfgate_reports::analysis::{analyze_history, compare_with_history, HistorySettings};
use perfgate_reports::histogram::LatencyHistogram;
use perfgate_reports::history::History;
use perfgate_reports::record::{
    BenchmarkSection, Environment, GitInfo, OperationResult, RunRecord, SCHEMA,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") if args.len() == 4 => {
            let runs = args[2].parse().expect("RUNS is a number");
            let ops = args[3].parse().expect("OPS is a number");
            write(Path::new(&args[1]), runs, ops);
        }
        Some("analyze") if args.len() == 3 => analyze(Path::new(&args[1]), args[2] == "keep"),
        _ => {
            eprintln!("usage: history_memory write DIR RUNS OPS | analyze DIR skip|keep");
            std::process::exit(2);
        }
    }
}

fn write(dir: &Path, runs: usize, ops: usize) {
    let mut rng = SplitMix64::new(6);
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-01T02:00:00Z")
        .expect("fixed time")
        .with_timezone(&chrono::Utc);
    for i in 0..runs {
        let operations = (0..ops)
            .map(|k| {
                let level = (2.0 + k as f64) * (0.03 * rng.normal()).exp();
                let mut h = LatencyHistogram::new();
                for _ in 0..2000 {
                    h.record_us((level * 1000.0 * (0.25 * rng.normal()).exp()) as u64 + 1);
                }
                let latency_ms = h.summary();
                OperationResult {
                    operation_name: format!("op{k:02}"),
                    total_requests: 2000,
                    successful_requests: 2000,
                    throughput_rps: 1000.0 / latency_ms.avg,
                    success_rate_percent: 100.0,
                    memory_usage_mb: Some(60.0),
                    cpu_usage_percent: Some(20.0),
                    resource_source: "target".into(),
                    duration_seconds: latency_ms.avg * 2.0,
                    latency_ms,
                    histogram: Some(h),
                    ..Default::default()
                }
            })
            .collect();
        let started = t0 + chrono::Duration::hours(24 * i as i64);
        let rec = RunRecord {
            schema: SCHEMA.into(),
            run_id: format!("r{i:04}"),
            suite: "default".into(),
            test_type: "benchmark".into(),
            started_at: started,
            finished_at: started + chrono::Duration::seconds(60),
            git: GitInfo {
                sha: Some(format!("{i:040}")),
                branch: Some("main".into()),
                ..Default::default()
            },
            environment: Environment {
                fingerprint: "fp".into(),
                ..Default::default()
            },
            config_digest: "cfg".into(),
            shard: None,
            benchmark: Some(BenchmarkSection {
                iterations: 2000,
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
        };
        let path = dir.join(perfgate_reports::layout::run_file_path(&rec));
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&path, rec.to_json_pretty()).expect("write");
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p.display().to_string(), bytes));
            }
        }
    }
    out
}

fn analyze(dir: &Path, keep: bool) {
    let start = Instant::now();
    let files = files(dir);
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let history = if keep {
        History::from_files(files)
    } else {
        History::from_files_without_histograms(files)
    };
    let mut records: Vec<RunRecord> = history.runs.into_iter().map(|r| r.record).collect();
    let changes = analyze_history(&records, &[], &Default::default());
    let head = records.pop().expect("at least one run");
    let c = compare_with_history(&head, &records, &HistorySettings::default());
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    println!(
        "{} runs ({:.1} MB on disk), histograms {}: {} series with change points, {} rows judged; {:.2} s, peak RSS {peak}",
        records.len() + 1,
        bytes as f64 / 1e6,
        if keep { "decoded" } else { "left undecoded" },
        changes.series.len(),
        c.rows.len(),
        start.elapsed().as_secs_f64()
    );
}

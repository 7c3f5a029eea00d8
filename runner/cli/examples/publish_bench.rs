//! Measures the reports branch: how long a publish takes as the branch fills up, and how long 8 publishers
//! started at once take to all land. Real git, a bare remote in a temporary directory.
//!
//! `cargo run --release -p perfgate --example publish_bench -- [RUNS]` (default 100 runs of 20 operations,
//! each with a benchmark and a load histogram).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use perfgate_cli::reports_branch::{publish, PublishOptions};
use perfgate_reports::layout::run_file_bytes;
use perfgate_reports::record::{BenchmarkSection, LoadSection, OperationResult};
use perfgate_reports::{LatencyHistogram, RunRecord};

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "git {args:?} failed");
}

fn op(name: &str, samples: u64, seed: u64) -> OperationResult {
    let mut h = LatencyHistogram::new();
    let mut x = seed;
    for _ in 0..samples {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        h.record_us((2000.0 + 30000.0 * u * u * u) as u64);
    }
    OperationResult {
        operation_name: name.into(),
        total_requests: samples,
        successful_requests: samples,
        latency_ms: h.summary(),
        throughput_rps: samples as f64 / 60.0,
        success_rate_percent: 100.0,
        memory_usage_mb: Some(100.0),
        cpu_usage_percent: Some(30.0),
        resource_source: "target".into(),
        histogram: Some(h),
        ..Default::default()
    }
}

fn record(i: u64) -> RunRecord {
    let time =
        chrono::DateTime::from_timestamp(1_790_000_000 + i as i64 * 3600, 0).unwrap_or_default();
    let v = serde_json::json!({
        "schema": "perfgate/run@1", "run_id": format!("bench{i:05}"), "test_type": "analysis",
        "started_at": time, "finished_at": time,
        "git": {"sha": format!("{i:040x}"), "branch": "main"},
        "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 2, "memory_gib": 8, "fingerprint": "fp"},
        "config_digest": "cfg"
    });
    let mut rec = RunRecord::from_json_value(v, "bench").expect("valid record");
    let names: Vec<String> = (0..20).map(|k| format!("operation_{k:02}")).collect();
    rec.benchmark = Some(BenchmarkSection {
        iterations: 100,
        warmup_iterations: 10,
        operations: names.iter().map(|n| op(n, 100, i)).collect(),
        system: Default::default(),
    });
    let load_ops: Vec<_> = names.iter().map(|n| op(n, 3000, i + 1)).collect();
    rec.load = Some(LoadSection {
        model: "closed".into(),
        duration_seconds: 60.0,
        concurrent_users: 50,
        overall: op("all", 60_000, i + 2),
        operations: load_ops,
        ..Default::default()
    });
    rec
}

fn clone(remote: &Path, dest: PathBuf) -> PathBuf {
    git(
        dest.parent().expect("parent"),
        &[
            "clone",
            "-q",
            remote.to_str().expect("utf-8"),
            dest.to_str().expect("utf-8"),
        ],
    );
    dest
}

fn main() {
    let runs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    git(root, &["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let remote = root.join("remote.git");
    let work = clone(&remote, root.join("work"));
    println!(
        "run file: {} bytes (20 operations, 41 histograms)",
        run_file_bytes(&record(0)).len()
    );
    let index_bytes = |n: u64| {
        let files = (0..n).map(|i| {
            let r = record(i);
            (
                perfgate_reports::layout::run_file_path(&r),
                run_file_bytes(&r),
            )
        });
        perfgate_reports::Index::build(&perfgate_reports::History::from_files(files))
            .to_json_bytes()
            .len()
    };
    println!(
        "index.json with {runs} such runs: {} bytes",
        index_bytes(runs)
    );
    let mut times = Vec::new();
    for i in 0..runs {
        let started = Instant::now();
        publish(&record(i), &PublishOptions::new(&work)).expect("publish");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let show = |label: &str, t: &[f64]| {
        let mut s = t.to_vec();
        s.sort_by(f64::total_cmp);
        if let (Some(first), Some(last)) = (s.first(), s.last()) {
            println!(
                "{label}: min {first:.0} ms, median {:.0} ms, max {last:.0} ms",
                s[s.len() / 2]
            );
        }
    };
    show("publish, runs 1-10", &times[..times.len().min(10)]);
    show(
        &format!("publish, runs {}-{runs}", runs.saturating_sub(9)),
        &times[times.len().saturating_sub(10)..],
    );
    git(&remote, &["gc", "-q"]);
    let size = Command::new("git")
        .args([
            "-C",
            remote.to_str().expect("utf-8"),
            "count-objects",
            "-vH",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let packed = size
        .lines()
        .find(|l| l.starts_with("size-pack:"))
        .unwrap_or("size-pack: ?");
    println!("remote after {runs} runs, packed by git gc: {packed}");
    let clones: Vec<PathBuf> = (0..8)
        .map(|k| clone(&remote, root.join(format!("job{k}"))))
        .collect();
    let barrier = Arc::new(Barrier::new(8));
    let started = Instant::now();
    let handles: Vec<_> = clones
        .into_iter()
        .enumerate()
        .map(|(k, repo)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let rec = record(runs + k as u64);
                barrier.wait();
                publish(&rec, &PublishOptions::new(&repo)).map(|o| o.attempts)
            })
        })
        .collect();
    let attempts: Vec<u32> = handles
        .into_iter()
        .map(|h| h.join().expect("thread").expect("publish"))
        .collect();
    println!(
        "8 concurrent publishers onto {runs} runs: all landed in {:.0} ms (attempts {attempts:?})",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

//! `perfgate merge`, `export` and `import` as processes, on real sample files of the peers' formats.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use perfgate_reports::record::{LoadSection, OperationResult, Shard};
use perfgate_reports::{LatencyHistogram, RunRecord};

fn perfgate(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_perfgate"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("perfgate runs");
    eprintln!(
        "perfgate {args:?} -> {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/../../tests/fixtures/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn read_record(path: &Path) -> RunRecord {
    let bytes = std::fs::read(path).expect("record file");
    RunRecord::from_json_slice(&bytes, &path.display().to_string()).expect("valid record")
}

#[test]
fn import_oha_and_k6_then_export_for_bencher_and_github_action_benchmark() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let oha_run = dir.join("oha-run.json");
    let out = perfgate(
        dir,
        &[
            "import",
            "--from",
            "oha",
            sample("oha-1.16-output.json").to_str().expect("utf-8"),
            "--operation",
            "get_root",
            "--concurrency",
            "50",
            "--time",
            "2026-11-20T08:00:00Z",
            "-o",
            oha_run.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let rec = read_record(&oha_run);
    let load = rec.load.as_ref().expect("load");
    assert_eq!(load.operations[0].operation_name, "get_root");
    assert_eq!(load.operations[0].total_requests, 657_431);
    assert_eq!(load.concurrent_users, 50);
    assert_eq!(rec.started_at.to_rfc3339(), "2026-11-20T08:00:00+00:00");
    assert!(rec.run_id.starts_with("oha-"), "{}", rec.run_id);
    assert!(!rec.environment.fingerprint.is_empty());

    // Importing the same file again gives the same run id (publishing it twice stores it once).
    let out = perfgate(
        dir,
        &[
            "import",
            "--from",
            "oha",
            sample("oha-1.16-output.json").to_str().expect("utf-8"),
        ],
    );
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).expect("record on stdout");
    assert_eq!(again["run_id"], rec.run_id.as_str());

    let out = perfgate(
        dir,
        &[
            "import",
            "--from",
            "k6",
            sample("k6-summary-export-real.json")
                .to_str()
                .expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let k6: serde_json::Value = serde_json::from_slice(&out.stdout).expect("k6 record");
    assert_eq!(k6["load"]["operations"][0]["operation_name"], "k6");
    assert_eq!(k6["load"]["operations"][0]["total_requests"], 1597);

    let out = perfgate(
        dir,
        &[
            "import",
            "--from",
            "k6",
            sample("oha-output.json").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "wrong tool: a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("oha-output.json: no \"metrics\""));

    let run = oha_run.to_str().expect("utf-8");
    let out = perfgate(dir, &["export", "--format", "bmf", run]);
    assert_eq!(out.status.code(), Some(0));
    let bmf: serde_json::Value = serde_json::from_slice(&out.stdout).expect("bmf");
    assert_eq!(
        bmf["load/get_root"]["latency-p99"]["value"], 4_272_000.0,
        "p99 4.272 ms in ns"
    );
    assert!(bmf["load/(overall)"]["throughput"]["value"].is_number());

    let gab_file = dir.join("gab.json");
    let out = perfgate(
        dir,
        &[
            "export",
            "--format",
            "gab-bigger",
            run,
            "-o",
            gab_file.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let gab: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&gab_file).expect("written")).expect("json");
    assert_eq!(gab[0]["name"], "load/(overall) - throughput");
    assert_eq!(gab[0]["unit"], "req/s");
}

fn shard_record(index: u32, values: &[u64], digest: &str) -> RunRecord {
    let mut h = LatencyHistogram::new();
    for v in values {
        h.record_us(*v);
    }
    let op = OperationResult {
        operation_name: "search".into(),
        total_requests: values.len() as u64,
        successful_requests: values.len() as u64,
        latency_ms: h.summary(),
        throughput_rps: values.len() as f64 / 10.0,
        success_rate_percent: 100.0,
        histogram: Some(h),
        ..Default::default()
    };
    let v = serde_json::json!({
        "schema": "perfgate/run@1", "run_id": "matrix-7", "test_type": "load",
        "started_at": "2026-11-01T10:00:00Z", "finished_at": "2026-11-01T10:00:10Z",
        "git": {"sha": "abc", "branch": "main"},
        "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 2, "memory_gib": 8, "fingerprint": "fp"},
        "config_digest": digest
    });
    let mut rec = RunRecord::from_json_value(v, "shard").expect("valid");
    rec.shard = Some(Shard { index, total: 2 });
    rec.load = Some(LoadSection {
        model: "closed".into(),
        duration_seconds: 10.0,
        concurrent_users: 5,
        overall: op.clone(),
        operations: vec![op],
        ..Default::default()
    });
    rec
}

#[test]
fn merge_shards_from_the_command_line_and_refuse_mixed_configs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let all: Vec<u64> = (1..=1000).map(|i| i * 37 % 5000 + 100).collect();
    let (a, b): (Vec<u64>, Vec<u64>) = all.iter().partition(|v| *v % 2 == 0);
    for (i, part) in [(1, &a), (2, &b)] {
        let rec = shard_record(i, part, "cfg1");
        std::fs::write(dir.join(format!("shard-{i}.json")), rec.to_json_pretty()).expect("write");
    }
    let out = perfgate(
        dir,
        &[
            "merge",
            "shard-1.json",
            "shard-2.json",
            "-o",
            "out/run.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let merged = read_record(&dir.join("out/run.json"));
    let whole = shard_record(1, &all, "cfg1");
    let (m, w) = (
        &merged.load.as_ref().expect("load").operations[0],
        &whole.load.as_ref().expect("load").operations[0],
    );
    assert_eq!(merged.shard, None);
    assert_eq!(m.total_requests, 1000);
    assert_eq!(m.latency_ms, w.latency_ms, "percentiles of all requests");
    assert_eq!(merged.load.as_ref().map(|l| l.concurrent_users), Some(10));

    let other = shard_record(2, &b, "cfg2");
    std::fs::write(dir.join("other-2.json"), other.to_json_pretty()).expect("write");
    let out = perfgate(
        dir,
        &["merge", "shard-1.json", "other-2.json", "-o", "bad.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("other-2.json") && err.contains("shard-1.json") && err.contains("config"),
        "{err}"
    );
    assert!(!dir.join("bad.json").exists());
}

//! End-to-end tests of the analysis commands: `perfgate compare`, `perfgate analyze --history`,
//! acknowledgements, `perfgate run --baseline` and the interleaved A/B mode, driving the binary.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use perfgate_e2e::perfgate;
use perfgate_reports::record::{
    BenchmarkSection, Environment, GitInfo, LatencyMs, OperationResult, RunRecord, SystemSummary,
    SCHEMA,
};
use serde_json::Value;

/// A benchmark record with one operation per `(name, p95 ms)`, 1000 requests each, at `time`.
fn record(id: &str, time: DateTime<Utc>, branch: &str, ops: &[(&str, f64)]) -> RunRecord {
    let operations = ops
        .iter()
        .map(|&(name, p95)| OperationResult {
            operation_name: name.into(),
            total_requests: 1000,
            successful_requests: 1000,
            failed_requests: 0,
            latency_ms: LatencyMs {
                min: p95 / 10.0,
                max: p95 * 2.0,
                p50: p95 / 2.0,
                p90: p95 * 0.9,
                p95,
                p99: p95 * 1.5,
                p999: p95 * 1.8,
                avg: p95 / 1.8,
                stddev: p95 / 20.0,
            },
            throughput_rps: 1000.0 / p95,
            success_rate_percent: 100.0,
            memory_usage_mb: Some(42.0),
            cpu_usage_percent: Some(12.5),
            resource_source: "target".into(),
            ..Default::default()
        })
        .collect();
    RunRecord {
        schema: SCHEMA.into(),
        run_id: id.into(),
        suite: "default".into(),
        test_type: "benchmark".into(),
        started_at: time,
        finished_at: time + ChronoDuration::seconds(5),
        git: GitInfo {
            sha: Some(format!("{id:0>7}abcdef")),
            branch: Some(branch.into()),
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
            iterations: 1000,
            warmup_iterations: 0,
            operations,
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

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
        .unwrap()
        .into()
}

fn write_record(path: &Path, rec: &RunRecord) -> PathBuf {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, rec.to_json_pretty()).unwrap();
    path.to_path_buf()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `base.json` (fast: 10 ms p95, other 20 ms) and `head.json` (fast at `head_p95`, other unchanged).
fn two_runs(dir: &Path, head_p95: f64) {
    let base = record("1", t0(), "main", &[("fast", 10.0), ("other", 20.0)]);
    let head = record(
        "2",
        t0() + ChronoDuration::hours(1),
        "pr",
        &[("fast", head_p95), ("other", 20.0)],
    );
    write_record(&dir.join("base.json"), &base);
    write_record(&dir.join("head.json"), &head);
}

fn verdict_of(json: &Value, operation: &str, metric: &str) -> String {
    json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["operation"] == operation && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {operation} {metric} in {json:#}"))["verdict"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn compare_flags_a_regression_with_exit_1_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    two_runs(dir.path(), 14.0);

    let out = perfgate(dir.path(), &["compare", "base.json", "head.json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("regressed"), "{text}");
    assert!(text.contains("fast"), "{text}");

    let out = perfgate(
        dir.path(),
        &["compare", "base.json", "head.json", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict_of(&json, "fast", "p95"), "regressed");
    assert_eq!(verdict_of(&json, "other", "p95"), "unchanged");

    let out = perfgate(
        dir.path(),
        &["compare", "base.json", "head.json", "--format", "md"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains('|'),
        "a Markdown table: {}",
        stdout(&out)
    );
}

#[test]
fn compare_passes_on_equal_runs_and_under_a_wider_threshold() {
    let dir = tempfile::tempdir().unwrap();
    two_runs(dir.path(), 10.0);
    let out = perfgate(dir.path(), &["compare", "base.json", "head.json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stdout(&out).contains("regressed"), "{}", stdout(&out));

    // +40 % is below a 50 % threshold.
    two_runs(dir.path(), 14.0);
    let out = perfgate(
        dir.path(),
        &[
            "compare",
            "base.json",
            "head.json",
            "--threshold",
            "50",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict_of(&json, "fast", "p95"), "unchanged");
}

#[test]
fn compare_applies_acknowledgements_and_warns_about_another_machine_or_config() {
    let dir = tempfile::tempdir().unwrap();
    let base = record("1", t0(), "main", &[("fast", 10.0), ("other", 20.0)]);
    let mut head = record(
        "2",
        t0() + ChronoDuration::hours(1),
        "pr",
        &[("fast", 14.0), ("other", 20.0)],
    );
    head.environment.fingerprint = "another-machine".into();
    head.config_digest = "another-config".into();
    write_record(&dir.path().join("base.json"), &base);
    write_record(&dir.path().join("head.json"), &head);
    let out = perfgate(dir.path(), &["compare", "base.json", "head.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("different machines") && err.contains("another-machine"),
        "{err}"
    );
    assert!(err.contains("different configs"), "{err}");
    // Two runs state what they can see: the run-to-run prior and a minimum detectable change per row.
    let text = stdout(&out);
    assert!(text.contains("prior of 3% per run"), "{text}");

    // `[[acknowledge]]` in ./perfgate.toml: the regression warns, exit 0 (as the README promises).
    let ack =
        "[[acknowledge]]\noperation = \"fast\"\nreason = \"new cache, #7\"\nuntil = \"2099-12-31\"";
    std::fs::write(
        dir.path().join("perfgate.toml"),
        run_config("http://127.0.0.1:9", ack),
    )
    .unwrap();
    let out = perfgate(
        dir.path(),
        &["compare", "base.json", "head.json", "--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["operation"] == "fast" && r["metric"] == "p95")
        .unwrap();
    assert_eq!(row["verdict"], "regressed", "{row:#}");
    assert_eq!(row["acknowledged"]["reason"], "new cache, #7", "{row:#}");
    assert!(row["mdc_percent"].as_f64().is_some(), "{row:#}");
}

#[test]
fn compare_names_a_bad_file_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    two_runs(dir.path(), 10.0);
    std::fs::write(dir.path().join("broken.json"), b"{ not json").unwrap();

    let out = perfgate(dir.path(), &["compare", "base.json", "broken.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken.json"), "{}", stderr(&out));

    let out = perfgate(dir.path(), &["compare", "missing.json", "head.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.json"), "{}", stderr(&out));

    std::fs::write(dir.path().join("other.json"), br#"{"hello": 1}"#).unwrap();
    let out = perfgate(dir.path(), &["compare", "other.json", "head.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("other.json") && stderr(&out).contains("not a perfgate run record"),
        "{}",
        stderr(&out)
    );

    let out = perfgate(
        dir.path(),
        &["compare", "base.json", "head.json", "--format", "xml"],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// Writes `n` runs of `main` under `dir/runs/`: `fast` at 10 ms (±1 %) before run `step`, 13 ms after;
/// `steady` at 50 ms throughout. Plus `n` runs of branch `pr` that never change.
fn history(dir: &Path, n: usize, step: usize) {
    for i in 0..n {
        let jitter = 1.0 + [0.0, 0.008, -0.006, 0.004, -0.009, 0.002][i % 6];
        let fast = if i < step { 10.0 } else { 13.0 } * jitter;
        let time = t0() + ChronoDuration::hours(i as i64);
        let rec = record(
            &format!("r{i:02}"),
            time,
            "main",
            &[("fast", fast), ("steady", 50.0 * jitter)],
        );
        write_record(&dir.join(format!("runs/main-r{i:02}.json")), &rec);
        let rec = record(
            &format!("p{i:02}"),
            time + ChronoDuration::minutes(1),
            "pr",
            &[("fast", 10.0 * jitter)],
        );
        write_record(&dir.join(format!("runs/pr-p{i:02}.json")), &rec);
    }
}

#[test]
fn analyze_finds_the_commit_of_a_step_with_means_and_p_value() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), 20, 10);
    std::fs::write(dir.path().join("runs/garbage.json"), b"nope").unwrap();

    let out = perfgate(
        dir.path(),
        &[
            "analyze",
            "--history",
            ".",
            "--branch",
            "main",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("garbage.json"), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["runs"], 20);
    let series = json["series"].as_array().unwrap();
    let p95 = series
        .iter()
        .find(|s| s["operation"] == "fast" && s["metric"] == "p95")
        .unwrap_or_else(|| panic!("no change in fast p95: {json:#}"));
    let cps = p95["change_points"].as_array().unwrap();
    assert_eq!(cps.len(), 1, "{p95:#}");
    let cp = &cps[0];
    assert_eq!(cp["run_id"], "r10");
    assert_eq!(cp["sha"], "0000r10abcdef");
    let before = cp["before_mean"].as_f64().unwrap();
    let after = cp["after_mean"].as_f64().unwrap();
    assert!(
        (before - 10.0).abs() < 0.2 && (after - 13.0).abs() < 0.2,
        "{cp}"
    );
    assert!((cp["magnitude_percent"].as_f64().unwrap() - 30.0).abs() < 3.0);
    assert!(cp["p_value"].as_f64().unwrap() <= 0.01);
    assert_eq!(cp["regression"], true);
    assert!(
        series.iter().all(|s| s["operation"] != "steady"),
        "a flat series has no change point: {json:#}"
    );

    // Text: one line per change point, naming the commit.
    let out = perfgate(
        dir.path(),
        &[
            "analyze",
            "--history",
            ".",
            "--branch",
            "main",
            "--operation",
            "fast",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("0000r10") && text.contains("regression"),
        "{text}"
    );

    // The pr branch never changed; a magnitude floor above the step hides it on main.
    let out = perfgate(
        dir.path(),
        &[
            "analyze",
            "--history",
            ".",
            "--branch",
            "pr",
            "--format",
            "json",
        ],
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["series"].as_array().unwrap().len(), 0, "{json:#}");
    let out = perfgate(
        dir.path(),
        &[
            "analyze",
            "--history",
            ".",
            "--branch",
            "main",
            "--min-magnitude",
            "40",
            "--format",
            "md",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("0 in 0 series"), "{}", stdout(&out));
}

#[test]
fn analyze_rejects_an_empty_or_missing_history() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfgate(dir.path(), &["analyze", "--history", "nowhere"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nowhere"), "{}", stderr(&out));
    history(dir.path(), 3, 10);
    let out = perfgate(
        dir.path(),
        &["analyze", "--history", ".", "--branch", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    let out = perfgate(dir.path(), &["analyze", "--history", ".", "--p-value", "2"]);
    assert_eq!(out.status.code(), Some(2));
}

fn run_config(url: &str, extra: &str) -> String {
    format!(
        r#"suite = "e2e"
[target]
base_url = "{url}"
request_timeout = 5

[[operations]]
name = "get"
path = "/thing"

[benchmark]
iterations = 30
warmup_iterations = 2
{extra}
"#
    )
}

/// Runs the benchmark against a server with `delay_ms` into `dir/out_name`, with `args` added; returns the
/// output and the record's path.
fn bench(
    dir: &Path,
    delay_ms: u64,
    out_name: &str,
    extra_config: &str,
    args: &[&str],
) -> (std::process::Output, Option<PathBuf>) {
    let server = perfgate_e2e::TestServer::start(perfgate_e2e::Behavior {
        delay: std::time::Duration::from_millis(delay_ms),
        ..Default::default()
    });
    perfgate_e2e::write_config(dir, &run_config(&server.url(), extra_config));
    let mut all = vec!["run", "--test-type", "benchmark", "--output-dir", out_name];
    all.extend_from_slice(args);
    let out = perfgate(dir, &all);
    let file = perfgate_e2e::find_file(&dir.join(out_name), "run_", ".json");
    (out, file)
}

fn comparison_row<'a>(rec: &'a Value, metric: &str) -> &'a Value {
    rec["analysis"]["comparison"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no comparison in {rec:#}"))
        .iter()
        .find(|r| r["operation"] == "get" && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no get {metric} row in {rec:#}"))
}

#[test]
fn run_with_a_baseline_file_fails_on_a_regression_unless_warn_or_acknowledged() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let (out, base) = bench(dir.path(), 10, "base", "", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let base = base.unwrap();
    let base_arg = base.to_str().unwrap();

    // Same speed: no regression, exit 0, and the comparison is in the record.
    let (out, _) = bench(dir.path(), 10, "same", "", &["--baseline", base_arg]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let rec = perfgate_e2e::read_run_record(&dir.path().join("same"));
    assert_ne!(
        comparison_row(&rec, "p50")["verdict"],
        "regressed",
        "{rec:#}"
    );

    // 10 → 14 ms: p50 regressed, exit 1.
    let (out, _) = bench(dir.path(), 14, "slow", "", &["--baseline", base_arg]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let rec = perfgate_e2e::read_run_record(&dir.path().join("slow"));
    assert_eq!(
        comparison_row(&rec, "p50")["verdict"],
        "regressed",
        "{rec:#}"
    );
    assert_eq!(rec["analysis"]["status"], "fail");

    // regression = "warn": the same regression warns.
    let (out, _) = bench(
        dir.path(),
        14,
        "warn",
        "[gates]\nregression = \"warn\"",
        &["--baseline", base_arg],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rec = perfgate_e2e::read_run_record(&dir.path().join("warn"));
    assert_eq!(rec["analysis"]["status"], "warn");

    // An active acknowledgement turns it into a warning, with its reason on the row.
    let ack = "[[acknowledge]]\noperation = \"get\"\nreason = \"new auth layer, #42\"\nuntil = \"2099-12-31\"";
    let (out, _) = bench(dir.path(), 14, "acked", ack, &["--baseline", base_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rec = perfgate_e2e::read_run_record(&dir.path().join("acked"));
    let row = comparison_row(&rec, "p50");
    assert_eq!(row["verdict"], "regressed");
    assert_eq!(row["acknowledged"]["reason"], "new auth layer, #42");
    assert_eq!(rec["analysis"]["status"], "warn");

    // An expired one covers nothing and is reported.
    let expired = "[[acknowledge]]\noperation = \"get\"\nmetric = \"p50\"\nreason = \"old\"\nuntil = \"2020-01-31\"";
    let (out, _) = bench(
        dir.path(),
        14,
        "expired",
        expired,
        &["--baseline", base_arg],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rec = perfgate_e2e::read_run_record(&dir.path().join("expired"));
    let warnings = rec["warnings"].to_string();
    assert!(warnings.contains("expired on 2020-01-31"), "{rec:#}");
}

#[test]
fn acknowledge_config_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[acknowledge]]\noperation = \"get\"\nuntil = \"2099-01-01\"",
            "reason",
        ),
        (
            "[[acknowledge]]\noperation = \"get\"\nreason = \"\"\nuntil = \"2099-01-01\"",
            "acknowledge.reason",
        ),
        (
            "[[acknowledge]]\noperation = \"get\"\nreason = \"x\"\nuntil = \"someday\"",
            "until",
        ),
        (
            "[[acknowledge]]\noperation = \"get\"\nreason = \"x\"\nuntil = \"2099-01-01\"\nowner = \"me\"",
            "owner",
        ),
    ];
    for (extra, key) in cases {
        perfgate_e2e::write_config(dir.path(), &run_config("http://127.0.0.1:9", extra));
        let out = perfgate(dir.path(), &["run", "--test-type", "benchmark"]);
        assert_eq!(out.status.code(), Some(2), "{extra}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("perfgate.toml:1") && err.contains(key),
            "{extra}: {err}"
        );
    }
}

#[test]
fn run_with_a_baseline_folder_uses_the_same_machines_history() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let (out, base) = bench(dir.path(), 10, "base", "", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let base = base.unwrap();
    let history = dir.path().join("history/runs");
    std::fs::create_dir_all(&history).unwrap();
    std::fs::copy(&base, history.join("a.json")).unwrap();
    // A run from another machine, much faster: must be ignored.
    let mut other = record("other", t0(), "main", &[("get", 1.0)]);
    other.environment.fingerprint = "another-machine".into();
    write_record(&history.join("other.json"), &other);

    let (out, _) = bench(dir.path(), 14, "slow", "", &["--baseline", "history"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("1 run from history"),
        "{}",
        stderr(&out)
    );
    let rec = perfgate_e2e::read_run_record(&dir.path().join("slow"));
    assert_eq!(
        comparison_row(&rec, "p50")["verdict"],
        "regressed",
        "{rec:#}"
    );
    let notes = rec["analysis"]["comparison"]["notes"].to_string();
    assert!(
        notes.contains("threshold alone"),
        "the fallback is said: {notes}"
    );

    // A folder without a run of this machine is an error naming it.
    let lonely = dir.path().join("lonely");
    std::fs::create_dir_all(&lonely).unwrap();
    write_record(&lonely.join("other.json"), &other);
    let (out, _) = bench(dir.path(), 10, "x", "", &["--baseline", "lonely"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("lonely"), "{}", stderr(&out));
}

/// `[ab]`: the A/B interleaved mode against two real loopback servers, base at 5 ms and head at
/// `head_ms`.
fn ab_run(
    dir: &Path,
    head_ms: u64,
    out_name: &str,
    ab_keys: &str,
) -> (std::process::Output, Value) {
    let server = |ms| {
        perfgate_e2e::TestServer::start(perfgate_e2e::Behavior {
            delay: std::time::Duration::from_millis(ms),
            ..Default::default()
        })
    };
    let (base, head) = (server(5), server(head_ms));
    let extra = format!(
        "[ab]\nbase_url = \"{}\"\ntrials = 6\ntrial_iterations = 15\n{ab_keys}",
        base.url()
    );
    perfgate_e2e::write_config(dir, &run_config(&head.url(), &extra));
    let out = perfgate(
        dir,
        &["run", "--test-type", "benchmark", "--output-dir", out_name],
    );
    let rec = perfgate_e2e::read_run_record(&dir.join(out_name));
    // Both builds served every trial: 6 trials × (2 warm-up + 15) requests each.
    assert_eq!(
        base.stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        6 * 17
    );
    assert_eq!(
        head.stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        6 * 17
    );
    (out, rec)
}

#[test]
fn ab_mode_interleaves_trials_and_judges_the_head_build_against_the_base_build() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();

    // Head 60 % slower than base: regressed, judged from trials, exit 1.
    let (out, rec) = ab_run(dir.path(), 8, "slow", "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let row = comparison_row(&rec, "p50");
    assert_eq!(row["verdict"], "regressed", "{rec:#}");
    assert_eq!(row["noise_source"], "trials", "{row:#}");
    assert_eq!(row["baseline_runs"], 6, "{row:#}");
    assert!(row["p_value"].as_f64().unwrap() <= 0.05, "{row:#}");
    let err = stderr(&out);
    assert!(err.contains("A/B trial 6/6 on the base build"), "{err}");
    let labels = &rec["analysis"]["comparison"];
    assert_eq!(
        labels["base"]["label"], "base build (6 trials)",
        "{labels:#}"
    );
    assert_eq!(labels["method"], "trials");
    // The run's own section is the head's six trials combined.
    let get = &rec["benchmark"]["operations"][0];
    assert_eq!(get["total_requests"], 90, "{get:#}");
    assert!(get["latency_ms"]["p50"].as_f64().unwrap() >= 8.0, "{get:#}");
    let targets = rec["targets"].as_array().unwrap();
    assert!(
        targets
            .iter()
            .any(|t| t["name"].as_str().unwrap().ends_with("(base)")),
        "{targets:?}"
    );

    // Same speed on both sides: nothing regressed, exit 0.
    let (out, rec) = ab_run(dir.path(), 5, "same", "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_ne!(
        comparison_row(&rec, "p50")["verdict"],
        "regressed",
        "{rec:#}"
    );

    // The same +60 % under `threshold_percent = 100` is a change the team said does not count: exit 0.
    let (out, rec) = ab_run(dir.path(), 8, "tolerated", "threshold_percent = 100\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let row = comparison_row(&rec, "p50");
    assert_ne!(row["verdict"], "regressed", "{row:#}");
    assert!(row["change_percent"].as_f64().unwrap() > 30.0, "{row:#}");
    assert_eq!(row["threshold_percent"], 100.0, "{row:#}");
}

#[test]
fn ab_mode_config_errors_name_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = run_config(
        "http://127.0.0.1:9",
        "[ab]\nbase_url = \"http://127.0.0.1:9\"\ntrials = 2\n",
    );
    perfgate_e2e::write_config(dir.path(), &cfg);
    let out = perfgate(dir.path(), &["run", "--test-type", "benchmark"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let line = cfg.lines().position(|l| l.starts_with("trials")).unwrap() + 1;
    let err = stderr(&out);
    assert!(
        err.contains(&format!("perfgate.toml:{line}:")) && err.contains("ab.trials"),
        "{err}"
    );
}

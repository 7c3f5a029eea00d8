//! `perfgate ingest`: real harness outputs (hyperfine and pytest-benchmark run here; Go, JMH and Google
//! Benchmark samples from public projects) become microbench run records that `perfgate compare` judges.

use std::path::{Path, PathBuf};
use std::process::Command;

use perfgate_e2e::perfgate;
use serde_json::Value;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples")
}

fn ingest(dir: &Path, format: &str, files: &[&Path], out: &str) -> Value {
    let mut args = vec!["ingest", "--format", format, "-o", out];
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    let o = perfgate(dir, &args);
    assert!(o.status.success(), "ingest {format} failed");
    serde_json::from_slice(&std::fs::read(dir.join(out)).expect("record written")).expect("json")
}

fn ops(rec: &Value) -> &Vec<Value> {
    rec["benchmark"]["operations"]
        .as_array()
        .expect("operations")
}

/// Runs hyperfine on `sleep SECS` and returns the JSON file.
fn hyperfine(dir: &Path, secs: &str, file: &str) -> PathBuf {
    let path = dir.join(file);
    let st = Command::new("hyperfine")
        .args([
            "--runs",
            "8",
            "--warmup",
            "1",
            "-N",
            "--command-name",
            "sleep",
            "--export-json",
        ])
        .arg(&path)
        .arg(format!("sleep {secs}"))
        .current_dir(dir)
        .output()
        .expect("hyperfine is installed (Debian package hyperfine)");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    path
}

#[test]
fn hyperfine_runs_are_samples_and_a_slower_command_is_a_regression() {
    let dir = tempfile::tempdir().expect("tmp");
    let fast = hyperfine(dir.path(), "0.01", "fast.json");
    let base = ingest(dir.path(), "hyperfine", &[&fast], "base.json");
    assert_eq!(base["test_type"], "microbench");
    let op = &ops(&base)[0];
    assert_eq!(op["operation_name"], "sleep");
    assert_eq!(op["total_requests"], 8, "every timed run is a sample");
    let p50 = op["latency_ms"]["p50"].as_f64().expect("p50");
    assert!((10.0..200.0).contains(&p50), "sleep 0.01 took {p50} ms");
    assert!(
        op["histogram"].is_string(),
        "ms samples are kept as a histogram"
    );
    assert!(base["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("within-run noise is measured"))));

    let slow = hyperfine(dir.path(), "0.06", "slow.json");
    ingest(dir.path(), "hyperfine", &[&slow], "head.json");
    let o = perfgate(
        dir.path(),
        &["compare", "base.json", "head.json", "--format", "md"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a 6× slower command is a regression:\n{text}"
    );
    assert!(text.contains("sleep"), "{text}");
    // The same run against itself is no regression.
    let o = perfgate(dir.path(), &["compare", "base.json", "base.json"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn pytest_benchmark_rounds_are_samples() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("test_fib.py"),
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n\
         def test_fib(benchmark):\n    assert benchmark(fib, 12) == 144\n",
    )
    .expect("write test");
    let out = Command::new("python3")
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-json=bench.json",
            "--benchmark-max-time=0.2",
            "--benchmark-save-data",
            "test_fib.py",
        ])
        .current_dir(dir.path())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "pytest-benchmark (pip install pytest-benchmark): {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = ingest(
        dir.path(),
        "pytest",
        &[&dir.path().join("bench.json")],
        "r.json",
    );
    let op = &ops(&rec)[0];
    assert_eq!(op["operation_name"], "test_fib.py::test_fib");
    assert!(
        op["total_requests"].as_u64().expect("n") >= 2,
        "rounds are samples: {op}"
    );
    assert!(op["latency_ms"]["p99"].as_f64() >= op["latency_ms"]["p50"].as_f64());
}

#[test]
fn go_jmh_and_google_benchmark_samples_and_several_files_make_one_record() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = samples();
    let rec = ingest(
        dir.path(),
        "go",
        &[&s.join("go-bench.txt"), &s.join("go-bench-benchmem.txt")],
        "go.json",
    );
    let names: Vec<&str> = ops(&rec)
        .iter()
        .filter_map(|o| o["operation_name"].as_str())
        .collect();
    assert!(names.contains(&"BenchmarkFib10"), "{names:?}");
    assert!(
        names.contains(&"Benchmark_Utils_GetOffer/mime_extension#01"),
        "{names:?}"
    );
    let jmh = ingest(dir.path(), "jmh", &[&s.join("jmh-thrpt.json")], "jmh.json");
    assert_eq!(ops(&jmh)[0]["total_requests"], 3);
    let gb = ingest(dir.path(), "gbench", &[&s.join("gbench.json")], "gb.json");
    assert_eq!(ops(&gb).len(), 2);
    // A benchmark found in two files is an error naming the second.
    let o = perfgate(
        dir.path(),
        &[
            "ingest",
            "--format",
            "go",
            s.join("go-bench.txt").to_str().unwrap(),
            s.join("go-bench.txt").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("also in an earlier file"));
}

#[test]
fn malformed_input_names_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("bench.txt"),
        "running 1 test\ntest a ... bench: many ns/iter (+/- 1)\n",
    )
    .expect("write");
    let o = perfgate(dir.path(), &["ingest", "--format", "libtest", "bench.txt"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bench.txt: line 2: the time is not a number"),
        "{err}"
    );
    let o = perfgate(dir.path(), &["ingest", "--format", "criterion", "."]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no */new/benchmark.json"));
}

#[test]
fn libtest_lines_from_a_real_cargo_bench_are_mean_and_deviation() {
    // The criterion fixture crate (tests/fixtures/criterion-bench) prints libtest's bench lines with
    // `--output-format bencher`: the format `cargo bench` on nightly's libtest prints too.
    let dir = tempfile::tempdir().expect("tmp");
    let krate = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/criterion-bench");
    let out = Command::new("cargo")
        .args([
            "bench",
            "--locked",
            "--quiet",
            "--bench",
            "fixture",
            "--",
            "--warm-up-time",
            "0.2",
            "--measurement-time",
            "0.4",
            "--sample-size",
            "10",
            "--output-format",
            "bencher",
        ])
        .current_dir(&krate)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-bench-fixture"),
        )
        .env("CRITERION_HOME", dir.path().join("criterion"))
        .output()
        .expect("cargo bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = dir.path().join("bench.txt");
    std::fs::write(&text, &out.stdout).expect("write");
    let rec = ingest(dir.path(), "libtest", &[&text], "run.json");
    assert_eq!(rec["test_type"], "microbench");
    let names: Vec<&str> = ops(&rec)
        .iter()
        .map(|o| o["operation_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["checksum", "steady/fmt"], "{rec:#}");
    let sum = &ops(&rec)[0];
    // 20 000 bytes of FNV-1a: microseconds, not nanoseconds (nothing folded away), as criterion printed it.
    let p50_ns = sum["latency_ms"]["p50"].as_f64().unwrap() * 1e6;
    let printed = String::from_utf8_lossy(&out.stdout);
    let line = printed
        .lines()
        .find(|l| l.starts_with("test checksum "))
        .expect("checksum line");
    let ns: f64 = line
        .split("bench:")
        .nth(1)
        .and_then(|r| r.split("ns/iter").next())
        .map(|n| n.trim().replace(',', ""))
        .and_then(|n| n.parse().ok())
        .expect("ns/iter");
    assert_eq!(p50_ns.round(), ns, "{line}");
    assert!(ns > 1_000.0, "{line}");
    assert!(
        rec["warnings"]
            .to_string()
            .contains("only a centre value ± deviation"),
        "{}",
        rec["warnings"]
    );
}

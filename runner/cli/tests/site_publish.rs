//! `perfgate publish` writes the trend site at the root of the reports branch: real git, a bare remote on
//! disk, the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use perfgate_reports::RunRecord;

#[path = "../../../tests/src/git.rs"]
mod git_support;
use git_support::{bare_remote, clone_into, git};

/// A bare remote with one commit on main, and a clone of it.
fn remote_and_clone(root: &Path) -> (PathBuf, PathBuf) {
    let remote = bare_remote(root);
    let work = clone_into(&remote, &root.join("work"));
    (remote, work)
}

fn record(i: usize, op_names: &[&str]) -> RunRecord {
    let ops: Vec<serde_json::Value> = op_names
        .iter()
        .map(|name| {
            serde_json::json!({
                "operation_name": name, "total_requests": 10, "failed_requests": 0,
                "latency_ms": {"min": 1.0, "max": 9.0, "p50": 2.0, "p95": 8.0, "p99": 9.0, "avg": 3.0},
                "throughput_rps": 100.0, "success_rate_percent": 100.0,
                "memory_usage_mb": 10.0, "cpu_usage_percent": 5.0
            })
        })
        .collect();
    let time = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .expect("time")
        .to_utc()
        + chrono::Duration::minutes(i as i64);
    let v = serde_json::json!({
        "schema": "perfgate/run@1",
        "run_id": format!("run{i:04}"),
        "test_type": "benchmark",
        "started_at": time.to_rfc3339(),
        "finished_at": time.to_rfc3339(),
        "git": {"sha": format!("{:0>40x}", i + 1), "branch": "main"},
        "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 2, "memory_gib": 8, "fingerprint": "fp"},
        "config_digest": "cfg",
        "benchmark": {"iterations": 10, "warmup_iterations": 1, "operations": ops}
    });
    RunRecord::from_json_value(v, "test").expect("valid record")
}

fn publish(work: &Path, rec: &RunRecord) {
    publish_with(work, rec, &[]);
}

fn publish_with(work: &Path, rec: &RunRecord, args: &[&str]) {
    let file = work
        .parent()
        .expect("parent")
        .join(format!("{}.json", rec.run_id));
    std::fs::write(&file, rec.to_json_pretty()).expect("write run");
    let out = Command::new(env!("CARGO_BIN_EXE_perfgate"))
        .arg("publish")
        .arg(&file)
        .arg("--repo")
        .arg(work)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("perfgate runs");
    assert!(
        out.status.success(),
        "publish failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn branch_files(remote: &Path) -> Vec<String> {
    git(remote, &["ls-tree", "-r", "--name-only", "perf-reports"])
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn no_site_publishes_run_files_and_the_index_only_and_the_base_path_reaches_the_404_page() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (remote, work) = remote_and_clone(tmp.path());
    publish_with(&work, &record(1, &["search"]), &["--no-site"]);
    let files = branch_files(&remote);
    assert!(files.iter().any(|p| p == "index.json"), "{files:?}");
    assert!(
        !files.iter().any(|p| p.ends_with(".html")),
        "--no-site wrote pages: {files:?}"
    );
    publish_with(
        &work,
        &record(2, &["search"]),
        &["--site-base-path", "/service/"],
    );
    let not_found = git(&remote, &["show", "perf-reports:404.html"]);
    assert!(not_found.contains("/service/"), "{not_found}");
}

#[test]
fn publish_writes_the_site_at_the_branch_root_and_leaves_the_checkout_alone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (remote, work) = remote_and_clone(tmp.path());
    std::fs::write(work.join("README.md"), "edited, not staged\n").expect("write");
    let head = git(&work, &["rev-parse", "HEAD"]);
    let status = git(
        &work,
        &["status", "--porcelain=v1", "--untracked-files=all"],
    );

    publish(&work, &record(1, &["search", "checkout"]));
    publish(&work, &record(2, &["search", "checkout"]));

    let files = branch_files(&remote);
    for f in ["index.html", ".nojekyll", "404.html", "index.json"] {
        assert!(files.iter().any(|p| p == f), "{f} missing from {files:?}");
    }
    let op_pages: Vec<&String> = files
        .iter()
        .filter(|p| p.starts_with("ops/") && p.ends_with(".html"))
        .collect();
    assert_eq!(op_pages.len(), 2, "one page per operation: {op_pages:?}");
    for id in ["run0001", "run0002"] {
        assert!(
            files.iter().any(|p| p == &format!("run/{id}.html")),
            "run page of {id} missing: {files:?}"
        );
        assert!(
            files
                .iter()
                .any(|p| p.starts_with("runs/") && p.contains(id) && p.ends_with(".json")),
            "run file of {id} missing: {files:?}"
        );
    }
    let index = git(&remote, &["show", "perf-reports:index.html"]);
    assert!(index.contains("search") && index.contains("checkout"));
    assert!(
        !index.contains("href=\"/"),
        "the index links relatively (GitHub Pages serves the branch under /repo/)"
    );

    assert_eq!(git(&work, &["rev-parse", "HEAD"]), head);
    assert_eq!(
        git(
            &work,
            &["status", "--porcelain=v1", "--untracked-files=all"]
        ),
        status,
        "the user's checkout is untouched"
    );
    assert!(!work.join("index.html").exists());
}

/// Publish time with 200 runs (5 operations each) already on the branch. Run with
/// `cargo test -p perfgate --test site_publish -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, not a check"]
fn publish_time_with_200_runs_on_the_branch() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (remote, work) = remote_and_clone(tmp.path());
    let ops = ["a", "b", "c", "d", "e"];
    // 199 runs committed straight onto the branch (publishing them one by one would take minutes)...
    let seed = tmp.path().join("seed");
    git(tmp.path(), &["init", "-q", "-b", "perf-reports", "seed"]);
    for i in 1..200 {
        let rec = record(i, &ops);
        let path = seed.join(perfgate_reports::layout::run_file_path(&rec));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, rec.to_json_pretty()).expect("write");
    }
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "199 runs"]);
    git(
        &seed,
        &[
            "push",
            "-q",
            remote.to_str().expect("utf-8"),
            "perf-reports",
        ],
    );
    // ... then the 200th through `perfgate publish`, which renders the whole site.
    let t = Instant::now();
    publish(&work, &record(200, &ops));
    let ms = t.elapsed().as_millis();
    let files = branch_files(&remote);
    let pages = files.iter().filter(|p| p.ends_with(".html")).count();
    assert!(files.iter().any(|p| p == "run/run0200.html"));
    eprintln!("publish with 200 runs on the branch: {ms} ms, {pages} html files on the branch");
}

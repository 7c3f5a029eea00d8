//! The reports branch against real git: bare remotes on disk, real clones, concurrent publishers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Instant;

use perfgate_cli::reports_branch::{
    fetch_baseline, load_history, publish, regenerate, BranchError, DerivedFile,
    FetchBaselineOptions, LocalBranch, PublishOptions,
};
use perfgate_reports::retention::RetentionPolicy;
use perfgate_reports::{History, Index, RunRecord};

#[path = "../../../tests/src/git.rs"]
mod git_support;
use git_support::{bare_remote, clone_into, git};

fn record(id: &str, time: &str, branch: &str, fp: &str) -> RunRecord {
    let v = serde_json::json!({
        "schema": "perfgate/run@1",
        "run_id": id,
        "test_type": "benchmark",
        "started_at": time,
        "finished_at": time,
        "git": {"sha": format!("{:0>40}", id.len()), "branch": branch},
        "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 2, "memory_gib": 8, "fingerprint": fp},
        "config_digest": "cfg",
        "benchmark": {"iterations": 10, "warmup_iterations": 1, "operations": [{
            "operation_name": "search", "total_requests": 10, "failed_requests": 0,
            "latency_ms": {"min": 1.0, "max": 9.0, "p50": 2.0, "p95": 8.0, "p99": 9.0, "avg": 3.0},
            "throughput_rps": 100.0, "success_rate_percent": 100.0,
            "memory_usage_mb": 10.0, "cpu_usage_percent": 5.0
        }]}
    });
    RunRecord::from_json_value(v, id).expect("valid record")
}

fn opts(repo: &Path) -> PublishOptions {
    PublishOptions::new(repo)
}

/// The files on the remote's reports branch.
fn remote_files(remote: &Path) -> Vec<String> {
    git(remote, &["ls-tree", "-r", "--name-only", "perf-reports"])
        .lines()
        .map(String::from)
        .collect()
}

fn remote_index(remote: &Path) -> Index {
    let bytes = git(remote, &["show", "perf-reports:index.json"]);
    Index::from_json_slice(bytes.as_bytes(), "index.json").expect("index parses")
}

/// Everything about a checkout a publish must not change.
fn checkout_state(repo: &Path) -> (String, String, Vec<u8>, String, String) {
    (
        git(repo, &["rev-parse", "HEAD"]),
        git(repo, &["symbolic-ref", "HEAD"]),
        std::fs::read(repo.join(".git/index")).expect("index file"),
        git(repo, &["status", "--porcelain=v1", "--untracked-files=all"]),
        std::fs::read_to_string(repo.join("README.md")).expect("tracked file"),
    )
}

#[test]
fn first_publish_creates_an_orphan_branch_second_adds_a_file_checkout_untouched() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    // A user mid-work: a staged change, an unstaged change, an untracked file.
    std::fs::write(repo.join("staged.txt"), "staged\n").expect("write");
    git(&repo, &["add", "staged.txt"]);
    std::fs::write(repo.join("README.md"), "edited, not staged\n").expect("write");
    std::fs::write(repo.join("untracked.txt"), "u\n").expect("write");
    let before = checkout_state(&repo);

    let r1 = record("run1", "2026-11-01T10:00:00Z", "main", "fp");
    let started = Instant::now();
    let out1 = publish(&r1, &opts(&repo)).expect("first publish");
    let first_ms = started.elapsed().as_millis();
    assert!(out1.created_branch && !out1.unchanged);
    assert_eq!(out1.attempts, 1);
    let path1 = out1.path.clone().expect("path");
    assert!(
        path1.starts_with("runs/2026/11/20261101T100000Z-"),
        "{path1}"
    );
    assert_eq!(
        git(
            &remote,
            &["rev-list", "--parents", "-n", "1", "perf-reports"]
        ),
        out1.commit,
        "the first commit has no parent: an orphan branch"
    );
    assert_eq!(
        git(&remote, &["rev-list", "--count", "perf-reports", "^main"]),
        "1",
        "nothing of main's history on the reports branch"
    );
    assert_eq!(remote_files(&remote), ["index.json", path1.as_str()]);
    assert_eq!(out1.local_branch, LocalBranch::Updated);
    assert_eq!(git(&repo, &["rev-parse", "perf-reports"]), out1.commit);

    let r2 = record("run2", "2026-11-02T10:00:00Z", "main", "fp");
    let started = Instant::now();
    let out2 = publish(&r2, &opts(&repo)).expect("second publish");
    let second_ms = started.elapsed().as_millis();
    assert!(!out2.created_branch);
    assert_eq!(out2.runs_on_branch, 2);
    assert_eq!(
        git(&remote, &["rev-parse", "perf-reports^"]),
        out1.commit,
        "the second run is a child of the first"
    );
    let files = remote_files(&remote);
    assert_eq!(files.len(), 3, "{files:?}");
    let index = remote_index(&remote);
    let ids: Vec<&str> = index.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["run1", "run2"]);
    assert!(files.contains(&index.runs[1].path));

    // The same record again: nothing to do.
    let again = publish(&r2, &opts(&repo)).expect("republish");
    assert!(again.unchanged);
    assert_eq!(again.commit, out2.commit);
    assert_eq!(git(&remote, &["rev-parse", "perf-reports"]), out2.commit);

    assert_eq!(
        checkout_state(&repo),
        before,
        "HEAD, index and working tree are untouched"
    );
    eprintln!("publish timing: first (creates branch) {first_ms} ms, second {second_ms} ms");
}

#[test]
fn eight_concurrent_publishers_in_separate_clones_all_land() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let n = 8;
    let clones: Vec<PathBuf> = (0..n)
        .map(|i| clone_into(&remote, &tmp.path().join(format!("job{i}"))))
        .collect();
    let barrier = Arc::new(Barrier::new(n));
    let started = Instant::now();
    let handles: Vec<_> = clones
        .into_iter()
        .enumerate()
        .map(|(i, repo)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let rec = record(
                    &format!("job{i}"),
                    &format!("2026-11-01T10:00:0{i}Z"),
                    "main",
                    "fp",
                );
                barrier.wait();
                publish(&rec, &opts(&repo))
            })
        })
        .collect();
    let outcomes: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread").expect("every publisher lands"))
        .collect();
    let elapsed = started.elapsed();
    let attempts: Vec<u32> = outcomes.iter().map(|o| o.attempts).collect();
    eprintln!(
        "8 concurrent publishers: {} ms, attempts {attempts:?}",
        elapsed.as_millis()
    );
    assert_eq!(
        outcomes.iter().filter(|o| o.created_branch).count(),
        1,
        "exactly one publisher created the branch"
    );
    let files = remote_files(&remote);
    assert_eq!(files.iter().filter(|f| f.starts_with("runs/")).count(), n);
    let index = remote_index(&remote);
    let mut ids: Vec<String> = index.runs.iter().map(|r| r.run_id.clone()).collect();
    ids.sort();
    assert_eq!(ids, (0..n).map(|i| format!("job{i}")).collect::<Vec<_>>());
    assert_eq!(
        git(&remote, &["rev-list", "--count", "perf-reports"]),
        n.to_string(),
        "one commit per run, no lost or duplicate commits"
    );
    git(&remote, &["fsck", "--no-progress"]);
}

#[test]
fn concurrent_publishers_sharing_one_clone_all_land() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    let n = 3;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, repo) = (barrier.clone(), repo.clone());
            std::thread::spawn(move || {
                let rec = record(&format!("s{i}"), "2026-11-01T10:00:00Z", "main", "fp");
                barrier.wait();
                publish(&rec, &opts(&repo))
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread").expect("lands");
    }
    assert_eq!(remote_index(&remote).runs.len(), n);
}

/// Commits `files` on top of the remote's reports branch directly (as another tool, or a damaged push, would).
fn commit_raw_files(remote: &Path, work: &Path, files: &[(&str, &[u8])]) {
    git(work, &["fetch", "-q", "origin", "perf-reports"]);
    git(work, &["checkout", "-q", "-B", "raw", "FETCH_HEAD"]);
    for (path, bytes) in files {
        let p = work.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write");
        git(work, &["add", path]);
    }
    git(work, &["commit", "-q", "-m", "raw files"]);
    git(work, &["push", "-q", "origin", "HEAD:perf-reports"]);
    let _ = remote;
}

#[test]
fn corrupt_and_future_version_files_are_skipped_and_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    let other = clone_into(&remote, &tmp.path().join("other"));
    publish(
        &record("ok1", "2026-11-01T10:00:00Z", "main", "fp"),
        &opts(&repo),
    )
    .expect("publish");
    let mut future = serde_json::to_value(record("fut", "2026-11-02T10:00:00Z", "main", "fp"))
        .expect("to value");
    future["schema"] = "perfgate/run@7".into();
    let future = serde_json::to_vec(&future).expect("bytes");
    commit_raw_files(
        &remote,
        &other,
        &[
            (
                "runs/2026/11/20261102T000000Z-x-corrupt.json",
                b"{\"schema\": \"perfgate/run@1\", trunc",
            ),
            ("runs/2026/11/20261102T100000Z-x-future.json", &future),
        ],
    );
    let out = publish(
        &record("ok2", "2026-11-03T10:00:00Z", "main", "fp"),
        &opts(&repo),
    )
    .expect("publish over bad files");
    let skipped: Vec<&str> = out.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "runs/2026/11/20261102T000000Z-x-corrupt.json",
            "runs/2026/11/20261102T100000Z-x-future.json"
        ]
    );
    assert!(
        out.skipped[1].reason.contains("perfgate/run@7"),
        "{}",
        out.skipped[1]
    );
    assert_eq!(out.runs_on_branch, 2);
    let index = remote_index(&remote);
    assert_eq!(index.runs.len(), 2);
    assert_eq!(index.skipped.len(), 2, "the index names them for the site");
    let history: History = load_history(&repo, "refs/remotes/origin/perf-reports").expect("loads");
    assert_eq!(history.runs.len(), 2);
    assert_eq!(history.skipped.len(), 2);
    assert!(
        remote_files(&remote)
            .iter()
            .any(|f| f.ends_with("corrupt.json")),
        "skipped files are kept"
    );
}

#[test]
fn retention_prunes_old_runs_and_regenerates_the_index() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    let mut o = opts(&repo);
    o.retention = RetentionPolicy {
        max_runs: Some(3),
        max_age_days: None,
    };
    let mut last = None;
    for day in 1..=5 {
        let rec = record(
            &format!("d{day}"),
            &format!("2026-11-0{day}T10:00:00Z"),
            "main",
            "fp",
        );
        last = Some(publish(&rec, &o).expect("publish"));
    }
    let last = last.expect("published");
    assert_eq!(last.runs_on_branch, 3);
    assert_eq!(last.pruned.len(), 1, "each publish prunes what falls out");
    let ids: Vec<String> = remote_index(&remote)
        .runs
        .iter()
        .map(|r| r.run_id.clone())
        .collect();
    assert_eq!(ids, ["d3", "d4", "d5"]);
    assert_eq!(
        remote_files(&remote)
            .iter()
            .filter(|f| f.starts_with("runs/"))
            .count(),
        3
    );
    let msg = git(&remote, &["log", "-1", "--format=%B", "perf-reports"]);
    assert!(msg.contains("Retention pruned 1 run file(s)"), "{msg}");

    // Age-based pruning without a new run.
    o.retention = RetentionPolicy {
        max_runs: None,
        max_age_days: Some(2),
    };
    o.now = Some("2026-11-06T12:00:00Z".parse().expect("time"));
    let regen = regenerate(&o).expect("regenerate");
    let ids: Vec<String> = remote_index(&remote)
        .runs
        .iter()
        .map(|r| r.run_id.clone())
        .collect();
    assert_eq!(ids, ["d5"], "{regen:?}");
}

#[test]
fn site_hook_files_are_written_replaced_and_stale_ones_removed_user_files_kept() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    let other = clone_into(&remote, &tmp.path().join("other"));
    let mut o = opts(&repo);
    o.site = Some(Arc::new(|h: &History| {
        let mut files = vec![DerivedFile {
            path: "index.html".into(),
            bytes: format!("<p>{} runs</p>", h.runs.len()).into_bytes(),
        }];
        for run in &h.runs {
            files.push(DerivedFile {
                path: format!("runs-page/{}.html", run.record.run_id),
                bytes: b"<p>run</p>".to_vec(),
            });
        }
        Ok(files)
    }));
    publish(&record("a", "2026-11-01T10:00:00Z", "main", "fp"), &o).expect("publish a");
    commit_raw_files(&remote, &other, &[("CNAME", b"perf.example.com\n")]);
    o.retention = RetentionPolicy {
        max_runs: Some(1),
        max_age_days: None,
    };
    publish(&record("b", "2026-11-02T10:00:00Z", "main", "fp"), &o).expect("publish b");
    let files = remote_files(&remote);
    assert!(files.contains(&"CNAME".to_string()), "{files:?}");
    assert!(files.contains(&"runs-page/b.html".to_string()), "{files:?}");
    assert!(
        !files.contains(&"runs-page/a.html".to_string()),
        "stale page removed: {files:?}"
    );
    assert_eq!(
        git(&remote, &["show", "perf-reports:index.html"]),
        "<p>1 runs</p>"
    );

    // A failing hook publishes nothing.
    let tip = git(&remote, &["rev-parse", "perf-reports"]);
    o.site = Some(Arc::new(|_: &History| Err("renderer exploded".to_string())));
    let err = publish(&record("c", "2026-11-03T10:00:00Z", "main", "fp"), &o).unwrap_err();
    assert!(matches!(err, BranchError::Site(_)), "{err}");
    assert_eq!(git(&remote, &["rev-parse", "perf-reports"]), tip);
    o.site = Some(Arc::new(|_: &History| {
        Ok(vec![DerivedFile {
            path: "../escape".into(),
            bytes: vec![],
        }])
    }));
    let err = publish(&record("c", "2026-11-03T10:00:00Z", "main", "fp"), &o).unwrap_err();
    assert!(err.to_string().contains("../escape"), "{err}");
}

#[test]
fn refusals_are_clear_and_push_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    let mut shard = record("sh", "2026-11-01T10:00:00Z", "main", "fp");
    shard.shard = Some(perfgate_reports::record::Shard { index: 2, total: 4 });
    let err = publish(&shard, &opts(&repo)).unwrap_err();
    assert!(err.to_string().contains("perfgate merge"), "{err}");

    let rec = record("dup", "2026-11-01T10:00:00Z", "main", "fp");
    publish(&rec, &opts(&repo)).expect("publish");
    let mut edited = rec.clone();
    edited.warnings.push("edited later".into());
    let err = publish(&edited, &opts(&repo)).unwrap_err();
    assert!(matches!(err, BranchError::RunFileConflict { .. }), "{err}");

    let mut bad = opts(&repo);
    bad.branch = "no..dots".into();
    assert!(matches!(
        publish(&rec, &bad).unwrap_err(),
        BranchError::InvalidBranch(_)
    ));
    let not_repo = tempfile::tempdir().expect("tmp");
    let err = publish(&rec, &opts(not_repo.path())).unwrap_err();
    assert!(matches!(err, BranchError::NotARepository { .. }), "{err}");
}

#[test]
fn a_declined_push_fails_at_once_and_credentials_never_show() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'branch is protected' >&2\nexit 1\n").expect("hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let started = Instant::now();
    let err = publish(
        &record("x", "2026-11-01T10:00:00Z", "main", "fp"),
        &opts(&repo),
    )
    .unwrap_err();
    assert!(
        matches!(err, BranchError::Git(_)),
        "not retried as a race: {err}"
    );
    assert!(
        err.to_string().contains("pre-receive hook declined"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 10);

    let mut o = opts(&repo);
    o.remote = Some("http://perfgate:s3cr3t-t0ken@127.0.0.1:9/nothing.git".into());
    let err = publish(&record("y", "2026-11-01T10:00:00Z", "main", "fp"), &o).unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains("s3cr3t-t0ken"), "{msg}");
    assert!(msg.contains("***@127.0.0.1"), "{msg}");
    assert!(!format!("{o:?}").contains("s3cr3t-t0ken"));
}

#[test]
fn local_only_publishing_and_checked_out_branch() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let repo = clone_into(&remote, &tmp.path().join("work"));
    let mut o = opts(&repo);
    o.remote = None;
    let out =
        publish(&record("l1", "2026-11-01T10:00:00Z", "main", "fp"), &o).expect("local publish");
    assert!(out.created_branch);
    assert_eq!(git(&repo, &["rev-parse", "perf-reports"]), out.commit);
    assert!(
        git(&remote, &["branch", "--list", "perf-reports"]).is_empty(),
        "nothing pushed"
    );
    // Later pushing to the remote builds on the local branch.
    let out2 = publish(
        &record("l2", "2026-11-02T10:00:00Z", "main", "fp"),
        &opts(&repo),
    )
    .expect("push");
    assert_eq!(out2.runs_on_branch, 2);
    assert!(out2.created_branch, "the remote branch was created");

    git(&repo, &["checkout", "-q", "perf-reports"]);
    let err = publish(&record("l3", "2026-11-03T10:00:00Z", "main", "fp"), &o).unwrap_err();
    assert!(matches!(err, BranchError::BranchCheckedOut { .. }), "{err}");
    let out = publish(
        &record("l3", "2026-11-03T10:00:00Z", "main", "fp"),
        &opts(&repo),
    )
    .expect("remote publish");
    assert!(
        matches!(out.local_branch, LocalBranch::CheckedOut(_)),
        "{:?}",
        out.local_branch
    );
    assert_eq!(
        git(&repo, &["status", "--porcelain"]),
        "",
        "checked-out branch left alone"
    );
}

#[test]
fn fetch_baseline_selects_the_base_branch_runs_on_the_same_machine_from_a_shallow_clone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let remote = bare_remote(tmp.path());
    let publisher = clone_into(&remote, &tmp.path().join("nightly"));
    for (id, day, branch, fp) in [
        ("m1", 1, "main", "fp1"),
        ("m2", 2, "main", "fp2"),
        ("f1", 3, "feature", "fp1"),
        ("m3", 4, "main", "fp1"),
        ("m4", 5, "main", "fp1"),
    ] {
        let rec = record(id, &format!("2026-11-0{day}T10:00:00Z"), branch, fp);
        publish(&rec, &opts(&publisher)).expect("publish");
    }
    let url = format!("file://{}", remote.display());
    let pr = tmp.path().join("pr");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "main",
            &url,
            pr.to_str().expect("utf-8"),
        ],
    );
    let before = checkout_state(&pr);
    let out_dir = tmp.path().join("baseline");
    let mut o = FetchBaselineOptions::new(&pr, "main");
    o.fingerprint = Some("fp1".into());
    o.runs = 2;
    o.out_dir = Some(out_dir.clone());
    let b = fetch_baseline(&o).expect("baseline");
    assert!(b.used_index);
    let ids: Vec<&str> = b
        .history
        .runs
        .iter()
        .map(|r| r.record.run_id.as_str())
        .collect();
    assert_eq!(ids, ["m3", "m4"]);
    assert_eq!(b.written.len(), 2);
    for (w, run) in b.written.iter().zip(&b.history.runs) {
        assert_eq!(w, &out_dir.join(&run.path));
        let back =
            RunRecord::from_json_slice(&std::fs::read(w).expect("written"), "w").expect("parses");
        assert_eq!(back.run_id, run.record.run_id);
    }
    assert_eq!(
        git(
            &pr,
            &["rev-list", "--count", "refs/remotes/origin/perf-reports"]
        ),
        "1",
        "a shallow fetch: one commit of the reports branch"
    );
    assert_eq!(checkout_state(&pr), before);

    // No reports branch yet: an empty baseline, not an error.
    let empty_remote_root = tempfile::tempdir().expect("tmp");
    let empty_remote = bare_remote(empty_remote_root.path());
    let fresh = clone_into(&empty_remote, &empty_remote_root.path().join("fresh"));
    let b = fetch_baseline(&FetchBaselineOptions::new(&fresh, "main")).expect("empty baseline");
    assert!(b.commit.is_none() && b.history.runs.is_empty());
}

//! `perfgate publish`, `history` and `fetch-baseline` as processes, on a machine with no git identity
//! configured, against real bare remotes — including publishers killed part-way and eight at once.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use perfgate_reports::Index;

#[path = "../../../tests/src/git.rs"]
mod git_support;
use git_support::{bare_remote, clone_into, git};

fn perfgate_cmd(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_perfgate"));
    cmd.args(args)
        // A fresh CI machine: no global or system git config, so no user.name/user.email.
        .env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env_remove("EMAIL");
    cmd
}

fn perfgate(home: &Path, args: &[&str]) -> Output {
    let out = perfgate_cmd(home, args).output().expect("perfgate runs");
    eprintln!(
        "perfgate {args:?} -> {:?}\nstdout:\n{}stderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    remote: PathBuf,
    home: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().to_path_buf();
    let home = root.join("home");
    std::fs::create_dir(&home).expect("home");
    let remote = bare_remote(&root);
    Setup {
        _tmp: tmp,
        root,
        remote,
        home,
    }
}

/// Writes a run record file and returns its path.
fn run_file(dir: &Path, id: &str, day: u32, branch: &str) -> PathBuf {
    let time = format!("2026-11-{day:02}T10:00:00Z");
    let v = serde_json::json!({
        "schema": "perfgate/run@1",
        "run_id": id,
        "test_type": "benchmark",
        "started_at": time,
        "finished_at": time,
        "git": {"sha": format!("{:x<40}", format!("{day:02}")), "branch": branch},
        "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 2, "memory_gib": 8, "fingerprint": "fp1"},
        "config_digest": "cfg",
        "benchmark": {"iterations": 10, "warmup_iterations": 1, "operations": [{
            "operation_name": "search", "total_requests": 10, "failed_requests": 1,
            "latency_ms": {"min": 1.0, "max": 9.0, "p50": 2.0, "p95": 8.5, "p99": 9.0, "avg": 3.0},
            "throughput_rps": 100.0, "success_rate_percent": 90.0,
            "memory_usage_mb": 10.0, "cpu_usage_percent": 5.0
        }]}
    });
    let path = dir.join(format!("{id}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&v).expect("json")).expect("write record");
    path
}

fn remote_index(remote: &Path) -> Index {
    let text = git(remote, &["show", "perf-reports:index.json"]);
    Index::from_json_slice(text.as_bytes(), "index.json").expect("index")
}

fn run_ids(remote: &Path) -> Vec<String> {
    let mut ids: Vec<String> = remote_index(remote)
        .runs
        .iter()
        .map(|r| r.run_id.clone())
        .collect();
    ids.sort();
    ids
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[test]
fn publish_history_and_fetch_baseline_from_the_command_line() {
    let s = setup();
    let work = clone_into(&s.remote, &s.root.join("work"));
    let r1 = run_file(&s.root, "first", 1, "main");
    let r2 = run_file(&s.root, "second", 2, "main");
    let repo = work.to_str().expect("utf-8");

    let out = perfgate(
        &s.home,
        &["publish", r1.to_str().expect("utf-8"), "--repo", repo],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("published runs/2026/11/20261101T100000Z-01xxxxx-first.json"),
        "{stdout}"
    );
    assert!(stdout.contains("(created the branch)"), "{stdout}");
    assert_eq!(
        git(
            &s.remote,
            &["log", "-1", "--format=%an <%ae>", "perf-reports"]
        ),
        "perfgate <perfgate@users.noreply.github.com>",
        "a machine without a git identity still commits"
    );
    let out = perfgate(
        &s.home,
        &[
            "publish",
            r2.to_str().expect("utf-8"),
            "--repo",
            repo,
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json outcome");
    assert_eq!(outcome["runs_on_branch"], 2);
    assert_eq!(outcome["created_branch"], false);
    assert_eq!(run_ids(&s.remote), ["first", "second"]);

    let out = perfgate(&s.home, &["history", "--repo", repo]);
    assert_eq!(out.status.code(), Some(0));
    let table = text(&out.stdout);
    assert!(
        table.contains("first") && table.contains("second"),
        "{table}"
    );
    let out = perfgate(
        &s.home,
        &["history", "--repo", repo, "--operation", "search"],
    );
    assert_eq!(out.status.code(), Some(0));
    let table = text(&out.stdout);
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(table.contains("8.5") && table.contains("10%"), "{table}");
    let out = perfgate(&s.home, &["history", "--repo", repo, "--operation", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("operations in these runs: search"));

    // A PR job: a shallow clone of main, then the baseline.
    let pr = s.root.join("pr");
    let url = format!("file://{}", s.remote.display());
    git(
        &s.root,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            pr.to_str().expect("utf-8"),
        ],
    );
    let out_dir = s.root.join("baseline");
    let out = perfgate(
        &s.home,
        &[
            "fetch-baseline",
            "--repo",
            pr.to_str().expect("utf-8"),
            "--base",
            "main",
            "--fingerprint",
            "fp1",
            "--runs",
            "1",
            "--out",
            out_dir.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("baseline: 1 run(s) of main"),
        "{}",
        text(&out.stdout)
    );
    assert!(out_dir
        .join("runs/2026/11/20261102T100000Z-02xxxxx-second.json")
        .is_file());
    // The fetched files are a history of their own.
    let out = perfgate(
        &s.home,
        &[
            "history",
            "--dir",
            out_dir.to_str().expect("utf-8"),
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(runs.as_array().map(Vec::len), Some(1));

    // Bad input: exit 2 naming the file.
    let bad = s.root.join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").expect("write");
    let out = perfgate(
        &s.home,
        &["publish", bad.to_str().expect("utf-8"), "--repo", repo],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad.json"));
}

#[test]
fn credentials_in_the_remote_url_never_reach_the_output() {
    let s = setup();
    let work = clone_into(&s.remote, &s.root.join("work"));
    let r = run_file(&s.root, "r", 1, "main");
    let secret = "ghs_s3cr3tT0kenValue";
    let url = format!("http://x-access-token:{secret}@127.0.0.1:9/o/r.git");
    let out = perfgate(
        &s.home,
        &[
            "publish",
            r.to_str().expect("utf-8"),
            "--repo",
            work.to_str().expect("utf-8"),
            "--remote",
            &url,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "a git failure is a runtime error"
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(secret), "{all}");
    assert!(all.contains("http://***@127.0.0.1:9/o/r.git"), "{all}");
}

fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, body).expect("script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Starts a publisher in its own process group (so it and its git children can be killed together, as a
/// cancelled CI job is).
fn spawn_publisher(home: &Path, record: &Path, repo: &Path) -> Child {
    perfgate_cmd(
        home,
        &[
            "publish",
            record.to_str().expect("utf-8"),
            "--repo",
            repo.to_str().expect("utf-8"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .process_group(0)
    .spawn()
    .expect("spawn publisher")
}

fn wait_for(marker: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !marker.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            marker.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill_group(child: &mut Child) {
    let pgid = child.id() as i32;
    // SAFETY: sending a signal to a process group this test created; no memory is involved.
    let rc = unsafe { libc::kill(-pgid, libc::SIGKILL) };
    assert_eq!(rc, 0, "kill process group");
    let status = child.wait().expect("reap");
    assert!(!status.success());
}

/// The remote is a valid repository, and its reports branch's index matches its run files.
fn assert_consistent(remote: &Path) {
    git(remote, &["fsck", "--no-progress", "--no-dangling"]);
    let files = git(
        remote,
        &["ls-tree", "-r", "--name-only", "perf-reports", "--", "runs"],
    );
    let mut on_branch: Vec<&str> = files.lines().collect();
    on_branch.sort_unstable();
    let index = remote_index(remote);
    let mut listed: Vec<&str> = index.runs.iter().map(|r| r.path.as_str()).collect();
    listed.sort_unstable();
    assert_eq!(listed, on_branch, "index.json lists exactly the run files");
}

#[test]
fn publishers_killed_mid_fetch_mid_push_and_after_the_push_leave_the_remote_consistent() {
    let s = setup();
    let work = clone_into(&s.remote, &s.root.join("work"));
    let first = run_file(&s.root, "base", 1, "main");
    assert_eq!(
        perfgate(
            &s.home,
            &[
                "publish",
                first.to_str().expect("utf-8"),
                "--repo",
                work.to_str().expect("utf-8")
            ]
        )
        .status
        .code(),
        Some(0)
    );
    let tip = git(&s.remote, &["rev-parse", "perf-reports"]);

    // 1. Killed while fetching: upload-pack stalls.
    let marker = s.root.join("fetching");
    let slow = s.root.join("slow-upload-pack.sh");
    write_script(
        &slow,
        &format!(
            "#!/bin/sh\ntouch '{}'\nsleep 30\nexec git-upload-pack \"$@\"\n",
            marker.display()
        ),
    );
    git(
        &work,
        &[
            "config",
            "remote.origin.uploadpack",
            slow.to_str().expect("utf-8"),
        ],
    );
    let r_fetch = run_file(&s.root, "killed-fetching", 2, "main");
    let mut child = spawn_publisher(&s.home, &r_fetch, &work);
    wait_for(&marker);
    kill_group(&mut child);
    git(&work, &["config", "--unset", "remote.origin.uploadpack"]);
    assert_eq!(
        git(&s.remote, &["rev-parse", "perf-reports"]),
        tip,
        "nothing pushed"
    );
    assert_consistent(&s.remote);
    git(&work, &["fsck", "--no-progress", "--no-dangling"]);

    // 2. Killed while pushing: the remote's pre-receive hook stalls before any ref moves.
    let marker = s.root.join("pushing");
    let hook = s.remote.join("hooks/pre-receive");
    write_script(
        &hook,
        &format!(
            "#!/bin/sh\ncat >/dev/null\ntouch '{}'\nsleep 30\n",
            marker.display()
        ),
    );
    let r_push = run_file(&s.root, "killed-pushing", 3, "main");
    let mut child = spawn_publisher(&s.home, &r_push, &work);
    wait_for(&marker);
    kill_group(&mut child);
    std::fs::remove_file(&hook).expect("remove hook");
    assert_eq!(
        git(&s.remote, &["rev-parse", "perf-reports"]),
        tip,
        "nothing landed"
    );
    assert_consistent(&s.remote);

    // 3. Killed after the push landed (post-receive stalls), before the publisher could update local refs.
    let marker = s.root.join("landed");
    let hook = s.remote.join("hooks/post-receive");
    write_script(
        &hook,
        &format!(
            "#!/bin/sh\ncat >/dev/null\ntouch '{}'\nsleep 30\n",
            marker.display()
        ),
    );
    let r_landed = run_file(&s.root, "killed-after-push", 4, "main");
    let mut child = spawn_publisher(&s.home, &r_landed, &work);
    wait_for(&marker);
    kill_group(&mut child);
    std::fs::remove_file(&hook).expect("remove hook");
    assert_consistent(&s.remote);
    assert_eq!(run_ids(&s.remote), ["base", "killed-after-push"]);

    // Reruns: the first two publish, the third finds its run already there.
    for r in [&r_fetch, &r_push, &r_landed] {
        let out = perfgate(
            &s.home,
            &[
                "publish",
                r.to_str().expect("utf-8"),
                "--repo",
                work.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        if r == &r_landed {
            assert!(
                text(&out.stdout).contains("already on"),
                "{}",
                text(&out.stdout)
            );
        }
    }
    assert_consistent(&s.remote);
    assert_eq!(
        run_ids(&s.remote),
        [
            "base",
            "killed-after-push",
            "killed-fetching",
            "killed-pushing"
        ]
    );
    assert_eq!(
        git(&s.remote, &["rev-list", "--count", "perf-reports"]),
        "4"
    );
}

#[test]
fn eight_publisher_processes_started_at_once_all_land() {
    let s = setup();
    let n = 8;
    let jobs: Vec<(PathBuf, PathBuf)> = (0..n)
        .map(|i| {
            let repo = clone_into(&s.remote, &s.root.join(format!("job{i}")));
            let record = run_file(&s.root, &format!("job{i}"), 1 + i as u32, "main");
            (repo, record)
        })
        .collect();
    let started = Instant::now();
    let children: Vec<Child> = jobs
        .iter()
        .map(|(repo, record)| spawn_publisher(&s.home, record, repo))
        .collect();
    for mut c in children {
        assert!(c.wait().expect("wait").success(), "every publisher exits 0");
    }
    eprintln!(
        "8 concurrent publisher processes: {} ms",
        started.elapsed().as_millis()
    );
    let expected: Vec<String> = (0..n).map(|i| format!("job{i}")).collect();
    assert_eq!(run_ids(&s.remote), expected);
    assert_consistent(&s.remote);
}

//! Signals mid-run: SIGTERM and SIGINT to a real `perfgate run` whose `[service]` ignores SIGTERM and whose
//! command operations fork children. No process of the run's groups may survive, the record of what ran
//! is written marked `incomplete` and judged FAIL, and the exit code is 143 / 130. A second signal exits
//! at once and still kills the groups.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use perfgate_e2e::{perfgate_command, read_run_record};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `(pid, ppid, pgrp, state)` of every process.
fn processes() -> Vec<(i32, i32, i32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let pid = head.split(' ').next().and_then(|p| p.parse().ok());
        let mut f = rest.split_whitespace();
        let state = f.next().unwrap_or("").to_string();
        let ppid = f.next().and_then(|p| p.parse().ok());
        let pgrp = f.next().and_then(|p| p.parse().ok());
        if let (Some(pid), Some(ppid), Some(pgrp)) = (pid, ppid, pgrp) {
            out.push((pid, ppid, pgrp, state));
        }
    }
    out
}

/// Live (not zombie) processes of `groups`.
fn survivors(groups: &[i32]) -> Vec<i32> {
    processes()
        .into_iter()
        .filter(|(_, _, g, s)| groups.contains(g) && s != "Z" && s != "X")
        .map(|(p, ..)| p)
        .collect()
}

fn write_config(dir: &Path, port: u16) {
    std::fs::write(
        dir.join("perfgate.toml"),
        format!(
            r#"[service]
command = "trap '' TERM; exec python3 -m http.server {port} --bind 127.0.0.1"
ready_tcp = "127.0.0.1:{port}"
stop_timeout_seconds = 1

[[operations]]
name = "spawns"
command = ["sh", "-c", "sleep 30 & sleep 30"]

[load]
duration_seconds = 60
concurrent_users = 2
"#
        ),
    )
    .unwrap();
}

/// Starts the run, waits for the service and the command groups, sends `signals` (one after another),
/// and returns the exit code and the groups seen.
fn interrupt(dir: &Path, signals: &[&str]) -> (Option<i32>, Vec<i32>) {
    let port = free_port();
    write_config(dir, port);
    let mut child = perfgate_command(
        dir,
        &["run", "--test-type", "load", "--output-dir", "out"],
        &[],
    )
    .spawn()
    .unwrap();
    let me = child.id() as i32;
    // The service's group and at least one command call's group (children of perfgate, each a leader).
    let deadline = Instant::now() + Duration::from_secs(60);
    let groups = loop {
        let groups: Vec<i32> = processes()
            .into_iter()
            .filter(|(p, pp, g, _)| *pp == me && p == g)
            .map(|(p, ..)| p)
            .collect();
        if groups.len() >= 2 && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break groups;
        }
        assert!(Instant::now() < deadline, "the run never got going");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Let the command children fork too.
    std::thread::sleep(Duration::from_millis(500));
    for sig in signals {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &me.to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(50));
    }
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "perfgate did not exit after {signals:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), groups)
}

fn assert_incomplete(dir: &Path, signal: &str) {
    let record = read_run_record(&dir.join("out"));
    let why = record["incomplete"].as_str().expect("marked incomplete");
    assert!(why.contains(signal), "{why}");
    assert_eq!(record["analysis"]["status"], "fail", "never a pass");
    assert!(
        record["load"]["overall"]["total_requests"]
            .as_u64()
            .is_some(),
        "what ran is kept"
    );
}

#[test]
fn sigterm_stops_every_group_writes_an_incomplete_record_and_exits_143() {
    let dir = tempfile::tempdir().unwrap();
    let (code, groups) = interrupt(dir.path(), &["TERM"]);
    assert_eq!(code, Some(143));
    assert_eq!(survivors(&groups), Vec::<i32>::new(), "groups {groups:?}");
    assert_incomplete(dir.path(), "SIGTERM");
}

#[test]
fn sigint_does_the_same_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let (code, groups) = interrupt(dir.path(), &["INT"]);
    assert_eq!(code, Some(130));
    assert_eq!(survivors(&groups), Vec::<i32>::new(), "groups {groups:?}");
    assert_incomplete(dir.path(), "SIGINT");
}

#[test]
fn a_second_signal_exits_at_once_and_still_kills_the_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (code, groups) = interrupt(dir.path(), &["TERM", "TERM"]);
    assert_eq!(code, Some(143));
    assert_eq!(survivors(&groups), Vec::<i32>::new(), "groups {groups:?}");
}

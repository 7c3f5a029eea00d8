//! "Every number true": what perfgate records about a service's CPU, memory and I/O is what the service's
//! processes did, checked against real processes started through `[service]` on loopback.
//!
//! The services are small Python programs (`python3` on the PATH) started as `sh -c "…"`: Debian's `sh` is
//! dash, which does not `exec`, so the process perfgate started is the shell and the work happens in its
//! children — exactly the case where sampling one pid measured nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use perfgate_e2e::observability::free_port;
use perfgate_e2e::{perfgate, perfgate_command, read_run_record, write_config};
use serde_json::Value;

/// An HTTP server on `port` answering `GET /` with "ok". `burn`: a child process that holds ~60 MB and spins
/// one core. `grow_mb`: the server adds this many MB of resident memory every half second. `ignore_term`: the
/// server ignores SIGTERM.
fn service_script(dir: &Path, burn: bool, grow_mb: usize, ignore_term: bool) -> String {
    let server = format!(
        r#"import http.server, signal, threading, time
if {ignore_term}:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
held = []
def grow():
    while {grow_mb} > 0:
        held.append(bytearray(b"x" * ({grow_mb} * 1048576)))
        time.sleep(0.5)
threading.Thread(target=grow, daemon=True).start()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
import sys
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#,
        ignore_term = if ignore_term { "True" } else { "False" },
    );
    std::fs::write(dir.join("server.py"), server).unwrap();
    std::fs::write(
        dir.join("burn.py"),
        "held = bytearray(b'x' * (60 * 1048576))\nwhile True:\n    pass\n",
    )
    .unwrap();
    if burn {
        "python3 burn.py & python3 server.py $PORT".to_string()
    } else {
        "python3 server.py $PORT".to_string()
    }
}

fn config(port: u16, command: &str, extra: &str) -> String {
    format!(
        r#"suite = "numbers"
[target]
base_url = "http://127.0.0.1:{port}"
request_timeout = 5

[service]
command = "{command}"
env = {{ PORT = "{port}" }}
ready_url = "http://127.0.0.1:{port}/"
ready_timeout_seconds = 20
{extra}

[[operations]]
name = "get"
path = "/"

[load]
collect_system_metrics = true
"#
    )
}

fn run_load(dir: &Path, seconds: &str) -> Value {
    let out = perfgate(
        dir,
        &[
            "run",
            "--test-type",
            "load",
            "--duration",
            seconds,
            "--concurrency",
            "1",
            "--output-dir",
            "out",
        ],
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    read_run_record(&dir.join("out"))
}

#[test]
fn service_cpu_and_memory_are_its_whole_process_tree() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cmd = service_script(dir.path(), true, 0, false);
    write_config(dir.path(), &config(port, &cmd, ""));
    let rec = run_load(dir.path(), "3");
    let overall = &rec["load"]["overall"];
    let mem = overall["memory_usage_mb"].as_f64().unwrap_or(0.0);
    let cpu = overall["cpu_usage_percent"].as_f64().unwrap_or(0.0);
    assert!(mem >= 50.0, "memory {mem} MB, expected ≥ 50: {overall:#}");
    assert!(cpu >= 50.0, "CPU {cpu} %, expected ≥ 50: {overall:#}");
    assert_eq!(overall["resource_source"], "target");
    // The shell, the burner and the server were counted.
    let pids = rec["load"]["system"]["target"]["pids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(pids.len() >= 3, "pids counted: {pids:?}");
    assert!(pids.contains(&rec["load"]["system"]["target"]["pid"]));
}

#[test]
fn the_load_timeline_carries_each_seconds_own_memory_and_cpu() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cmd = service_script(dir.path(), false, 8, false);
    write_config(dir.path(), &config(port, &cmd, ""));
    let rec = run_load(dir.path(), "5");
    let timeline = rec["load"]["timeline"].as_array().unwrap();
    let mem: Vec<f64> = timeline
        .iter()
        .filter_map(|p| p["memory_mb"].as_f64())
        .collect();
    assert!(mem.len() >= 4, "{timeline:#?}");
    // 16 MB a second: each second higher than the one before, and no value copied into every second.
    assert!(
        mem.windows(2).all(|w| w[1] > w[0]),
        "memory per second should rise: {mem:?}"
    );
    assert!(mem[mem.len() - 1] - mem[0] > 30.0, "{mem:?}");
    for p in timeline {
        assert!(p["cpu_percent"].as_f64().is_some(), "{p}");
        assert!(
            p["runner_memory_mb"].as_f64().is_some_and(|m| m > 1.0),
            "{p}"
        );
        assert!(p["runner_cpu_percent"].as_f64().is_some(), "{p}");
    }
    // Disk I/O where the OS exposes it (Linux: /proc/<pid>/io).
    if Path::new("/proc/self/io").exists() {
        assert!(
            timeline
                .iter()
                .all(|p| p["disk_read_bytes_per_sec"].as_f64().is_some()
                    && p["disk_written_bytes_per_sec"].as_f64().is_some()),
            "{timeline:#?}"
        );
        let t = &rec["load"]["system"]["target"];
        assert!(t["disk_written_bytes_per_sec"].as_f64().is_some(), "{t}");
    }
}

#[test]
fn a_target_without_a_process_has_no_memory_or_cpu_and_its_gate_is_not_evaluated() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let server = perfgate_e2e::TestServer::start(perfgate_e2e::Behavior::default());
    write_config(
        dir.path(),
        &format!(
            r#"suite = "numbers"
[target]
base_url = "{}"

[[operations]]
name = "get"
path = "/"

[gates]
all = ["memory_mb < 1", "p95 < 5s"]

[load]
collect_system_metrics = true
"#,
            server.url()
        ),
    );
    let out = perfgate(
        dir.path(),
        &[
            "run",
            "--test-type",
            "load",
            "--duration",
            "2",
            "--concurrency",
            "1",
            "--output-dir",
            "out",
        ],
    );
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let rec = read_run_record(&dir.path().join("out"));
    let overall = &rec["load"]["overall"];
    assert!(overall["memory_usage_mb"].is_null(), "{overall:#}");
    assert!(overall["cpu_usage_percent"].is_null(), "{overall:#}");
    let gates = rec["analysis"]["gates"].as_array().unwrap();
    let mem_gates: Vec<&Value> = gates
        .iter()
        .filter(|g| g["gate"].as_str().unwrap().starts_with("memory"))
        .collect();
    assert!(!mem_gates.is_empty());
    for g in mem_gates {
        assert_eq!(g["passed"], false, "{g}");
        assert_eq!(g["not_evaluated"], true, "{g}");
    }
    assert_ne!(rec["analysis"]["status"], "fail", "{text}");
    assert!(text.contains("not measured"), "{text}");
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn a_service_that_ignores_sigterm_is_killed_after_stop_timeout() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cmd = service_script(dir.path(), false, 0, true);
    write_config(
        dir.path(),
        &config(port, &cmd, "stop_timeout_seconds = 1.5"),
    );
    // At the end of a run.
    let rec = run_load(dir.path(), "1");
    assert!(
        !port_open(port),
        "the service still listens on {port} after the run"
    );
    assert!(rec["load"]["system"]["target"]["pids"]
        .as_array()
        .is_some_and(|p| p.len() >= 2));

    // On Ctrl-C in the middle of one.
    let mut child = perfgate_command(
        dir.path(),
        &[
            "run",
            "--test-type",
            "load",
            "--duration",
            "60",
            "--concurrency",
            "1",
            "--output-dir",
            "out2",
        ],
        &[],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !port_open(port) {
        assert!(Instant::now() < deadline, "the service never listened");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let interrupted = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            interrupted.elapsed() < Duration::from_secs(20),
            "perfgate did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130), "{status}");
    let took = interrupted.elapsed();
    assert!(
        took >= Duration::from_millis(1400),
        "no grace period: {took:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !port_open(port),
        "the service that ignores SIGTERM still listens on {port} after Ctrl-C"
    );
}

/// The per-second lines `--verbose` promises, in the output of a run of `seconds`.
fn assert_per_second_lines(output: &str, seconds: usize) {
    // A terminal's output has the bar's redraws (CR, escape sequences) between the lines.
    let lines: Vec<&str> = output
        .split(['\r', '\n', '\x1b'])
        .filter(|l| l.contains(" rps  p50 ") && l.contains(" p99 "))
        .collect();
    assert!(
        lines.len() >= seconds - 1,
        "expected a line per second:\n{output}"
    );
    for l in &lines {
        for word in ["p95", "errors", "users", "CPU", "memory"] {
            assert!(l.contains(word), "`{word}` missing from {l:?}");
        }
    }
    // The service is known: its CPU and memory are measured.
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" MB") && !l.contains("not measured")),
        "{output}"
    );
}

#[test]
fn verbose_prints_a_line_per_second_in_ci_and_on_a_terminal() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cmd = service_script(dir.path(), false, 0, false);
    write_config(dir.path(), &config(port, &cmd, ""));
    let args = [
        "run",
        "--test-type",
        "load",
        "--duration",
        "4",
        "--concurrency",
        "2",
        "--verbose",
    ];
    // CI: stderr is a pipe.
    let out = perfgate(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_per_second_lines(&String::from_utf8_lossy(&out.stderr), 4);

    // A terminal: `script` gives perfgate a pseudo-terminal.
    let line = std::iter::once(perfgate_e2e::perfgate_bin().display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(dir.path())
        .env_remove("CI")
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1) from util-linux runs perfgate on a pseudo-terminal");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_per_second_lines(&String::from_utf8_lossy(&out.stdout), 4);
}

#[test]
fn every_relative_link_in_the_readme_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut broken = Vec::new();
    for (i, _) in readme.match_indices("](") {
        let rest = &readme[i + 2..];
        let Some(end) = rest.find(')') else { continue };
        let target = rest[..end].split('#').next().unwrap_or("");
        if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        if !root.join(target).exists() {
            broken.push(target.to_string());
        }
    }
    assert!(
        broken.is_empty(),
        "README links to missing files: {broken:?}"
    );
}

//! End-to-end tests of MCP targets: the `perfgate` binary against the rmcp fixture server
//! (`src/bin/mcp-fixture.rs`), spawned over stdio by perfgate or serving Streamable HTTP on loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use perfgate_e2e::{
    perfgate, perfgate_bin, read_run_record, warnings_besides_host_load, write_config,
};
use serde_json::Value;

const FIXTURE: &str = env!("CARGO_BIN_EXE_mcp-fixture");

/// The fixture serving Streamable HTTP on an ephemeral loopback port; killed and reaped on drop.
struct HttpFixture {
    child: Child,
    url: String,
}

impl HttpFixture {
    fn start(extra: &[&str]) -> HttpFixture {
        let mut child = Command::new(FIXTURE)
            .args(["--http", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the HTTP fixture");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("fixture prints its address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        HttpFixture { child, url }
    }
}

impl Drop for HttpFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `[mcp]` for the stdio fixture (with `args`) or the HTTP fixture's URL.
fn mcp_section(transport: &Transport, session: &str, args: &[&str]) -> String {
    match transport {
        Transport::Stdio => {
            format!("[mcp]\ncommand = {FIXTURE:?}\nargs = {args:?}\nsession = {session:?}\n")
        }
        Transport::Http(f) => format!("[mcp]\nurl = {:?}\nsession = {session:?}\n", f.url),
    }
}

enum Transport {
    Stdio,
    Http(HttpFixture),
}

/// Every kind of MCP operation, and tools of known behaviour.
const OPERATIONS: &str = r#"
[[operations]]
name = "sleep"
tool = "sleep_ms"
arguments = { ms = 5 }
weight = 3

[[operations]]
name = "fail"
tool = "fail"
weight = 1

[[operations]]
name = "invalid"
tool = "invalid"
weight = 0

[[operations]]
name = "readme"
resource = "fixture://readme"
weight = 0

[[operations]]
name = "greeting"
prompt = "greeting"
arguments = { name = "perfgate" }
weight = 0

[[operations]]
name = "tools"
list_tools = true
weight = 0

[benchmark]
iterations = 8
warmup_iterations = 2

[load]
duration_seconds = 2
concurrent_users = 3
collect_system_metrics = true

[stress]
start_concurrent = 2
max_concurrent = 4
step_size = 2
step_duration_seconds = 1
step_warmup_seconds = 0

# `fail` and `invalid` fail on purpose: no gates, so the exit code says the run itself went fine.
[gates]
all = []
"#;

fn ops(record: &Value, section: &str) -> Vec<Value> {
    record[section]["operations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn op(record: &Value, section: &str, name: &str) -> Value {
    ops(record, section)
        .into_iter()
        .find(|o| o["operation_name"] == name)
        .unwrap_or_else(|| panic!("no {section} operation {name} in {record:#}"))
}

fn count(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

fn run_all(transport: Transport, session: &str) {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "suite = \"mcp-e2e\"\n{}{OPERATIONS}",
        mcp_section(&transport, session, &[])
    );
    write_config(dir.path(), &text);
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "all", "--output-dir", "out"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rec = read_run_record(&dir.path().join("out"));

    // Benchmark: every kind of operation, with the right outcome and error kind.
    let sleep = op(&rec, "benchmark", "sleep");
    assert_eq!(sleep["success_rate_percent"], 100.0, "{sleep:#}");
    assert!(
        sleep["latency_ms"]["p50"].as_f64().unwrap() >= 5.0,
        "{sleep:#}"
    );
    let fail = op(&rec, "benchmark", "fail");
    assert_eq!(fail["success_rate_percent"], 0.0);
    assert_eq!(fail["errors"]["mcp_tool_error"], 8, "{fail:#}");
    let invalid = op(&rec, "benchmark", "invalid");
    assert_eq!(invalid["errors"]["jsonrpc_-32602"], 8, "{invalid:#}");
    for name in ["readme", "greeting", "tools"] {
        let o = op(&rec, "benchmark", name);
        assert_eq!(o["success_rate_percent"], 100.0, "{o:#}");
    }

    // Load: the mix, with the tool's failures classified and the initialize apart.
    let sleep = op(&rec, "load", "sleep");
    let fail = op(&rec, "load", "fail");
    assert_eq!(sleep["success_rate_percent"], 100.0, "{sleep:#}");
    assert_eq!(fail["success_rate_percent"], 0.0);
    assert_eq!(
        count(&fail["errors"], "mcp_tool_error"),
        count(&fail, "total_requests")
    );
    let calls = count(&sleep, "total_requests") + count(&fail, "total_requests");
    assert!(calls > 20, "load made {calls} calls");
    assert_eq!(
        count(&rec["load"]["overall"], "total_requests"),
        calls,
        "mcp.initialize is not part of overall"
    );
    let inits: u64 = ["benchmark", "load"]
        .iter()
        .flat_map(|s| ops(&rec, s))
        .chain(
            rec["stress"]["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["operations"].as_array().cloned().unwrap_or_default()),
        )
        .filter(|o| o["operation_name"] == "mcp.initialize")
        .map(|o| {
            assert_eq!(o["success_rate_percent"], 100.0, "{o:#}");
            count(&o, "total_requests")
        })
        .sum();
    let load_inits = ops(&rec, "load")
        .into_iter()
        .find(|o| o["operation_name"] == "mcp.initialize")
        .map(|o| count(&o, "total_requests"))
        .unwrap_or(0);
    match session {
        // One session per user per phase (3 users in the load).
        "per_user" => assert_eq!(load_inits, 3, "{rec:#}"),
        // One session for the whole run, opened before it and reported once.
        "shared" => assert_eq!(inits, 1, "{rec:#}"),
        // A session per call (warm-up calls included).
        "churn" => assert!(
            load_inits >= calls,
            "{load_inits} initializes, {calls} calls"
        ),
        _ => unreachable!(),
    }

    let target = &rec["targets"][0];
    assert_eq!(target["kind"], "mcp");
    let details = &target["details"];
    assert_eq!(details["server_name"], "mcp-fixture", "{target:#}");
    assert_eq!(details["server_version"], "1.2.3");
    assert!(!details["protocol_version"].as_str().unwrap().is_empty());
    assert_eq!(details["session"], session);
    let is_stdio = details["transport"] == "stdio";
    if is_stdio && session != "churn" {
        // The stdio server (per user: the servers) is the target process: its CPU and memory were sampled.
        assert!(
            rec["system"]["target"]["rss_max_mb"]
                .as_f64()
                .unwrap_or(0.0)
                > 0.0,
            "{:#}",
            rec["system"]
        );
    }
    assert!(
        warnings_besides_host_load(&rec).is_empty(),
        "{:#}",
        rec["warnings"]
    );
}

#[test]
fn stdio_per_user_benchmark_load_stress() {
    run_all(Transport::Stdio, "per_user");
}

#[test]
fn stdio_shared_benchmark_load_stress() {
    run_all(Transport::Stdio, "shared");
}

#[test]
fn stdio_churn_benchmark_load_stress() {
    run_all(Transport::Stdio, "churn");
}

#[test]
fn http_per_user_benchmark_load_stress() {
    run_all(Transport::Http(HttpFixture::start(&[])), "per_user");
}

#[test]
fn http_shared_benchmark_load_stress() {
    run_all(Transport::Http(HttpFixture::start(&[])), "shared");
}

#[test]
fn http_churn_benchmark_load_stress() {
    run_all(Transport::Http(HttpFixture::start(&[])), "churn");
}

fn read_stats(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("stats file")).expect("stats json")
}

#[test]
fn stdio_shared_session_has_many_requests_in_flight() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let text = format!(
        "{}\n[[operations]]\nname = \"sleep\"\ntool = \"sleep_ms\"\narguments = {{ ms = 50 }}\n\n\
         [load]\nduration_seconds = 2\nconcurrent_users = 8\n",
        mcp_section(
            &Transport::Stdio,
            "shared",
            &["--stats-file", stats.to_str().unwrap()]
        )
    );
    write_config(dir.path(), &text);
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "load", "--output-dir", "out"],
    );
    assert_eq!(out.status.code(), Some(0));
    let rec = read_run_record(&dir.path().join("out"));
    let sleep = op(&rec, "load", "sleep");
    // The server's own count: 8 users' requests were in flight at once on the one stdio session.
    let s = read_stats(&stats);
    assert!(
        s["max_in_flight"].as_u64().unwrap() >= 4,
        "server saw at most {} calls in flight",
        s["max_in_flight"]
    );
    // One server process served every call (it wrote its final counters when perfgate closed it).
    assert_eq!(s["in_flight"], 0, "{s}");
    assert!(s["calls"].as_u64().unwrap() >= count(&sleep, "total_requests"));
    assert_eq!(rec["targets"][0]["details"]["sessions_opened"], 1);
}

/// Processes whose parent is `pid` and whose state is zombie.
fn zombie_children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() == Some(&"Z") && fields.get(1) == Some(&pid.to_string().as_str()) {
            out.push(child);
        }
    }
    out
}

#[test]
fn stdio_server_crash_mid_run_ends_with_a_clear_record_and_no_zombie() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let text = format!(
        "{}\n[[operations]]\nname = \"crash\"\ntool = \"crash\"\n\n\
         [load]\nduration_seconds = 6\nconcurrent_users = 2\n",
        mcp_section(
            &Transport::Stdio,
            "shared",
            &[
                "--crash-after",
                "30",
                "--stats-file",
                stats.to_str().unwrap()
            ]
        )
    );
    write_config(dir.path(), &text);
    let mut child = Command::new(perfgate_bin())
        .args(["run", "--test-type", "load", "--output-dir", "out", "-q"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run perfgate");
    // Once the server crashed (it writes its counters first), perfgate must have reaped it while running.
    let until = Instant::now() + Duration::from_secs(20);
    while !stats.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Reaping is prompt but not instant on a loaded machine: poll for up to 3 s of the 6 s load.
    let reap_until = Instant::now() + Duration::from_secs(3);
    let mut zombies = zombie_children(child.id());
    while !zombies.is_empty() && Instant::now() < reap_until {
        std::thread::sleep(Duration::from_millis(100));
        zombies = zombie_children(child.id());
    }
    let running = child.try_wait().unwrap().is_none();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(running, "perfgate should still be running its 6 s load");
    assert!(
        zombies.is_empty(),
        "zombie children of perfgate: {zombies:?}"
    );
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "exit {status:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let rec = read_run_record(&dir.path().join("out"));
    let crash = op(&rec, "load", "crash");
    // The 30th call kills the server; with two users the 29th may still be in flight on the shared session
    // (the server handles requests concurrently) and die with it.
    let ok = count(&crash, "successful_requests");
    assert!((28..=29).contains(&ok), "{ok} successful: {crash:#}");
    assert!(count(&crash["errors"], "mcp_closed") >= 1, "{crash:#}");
    let warnings = rec["warnings"].to_string();
    assert!(
        warnings.contains("exited during the run: exit status 3")
            && warnings.contains("crashing on purpose after 30 calls"),
        "{warnings}"
    );
    let pid = read_stats(&stats)["pid"].as_u64().unwrap();
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the crashed server {pid} is still in the process table"
    );
}

#[test]
fn hanging_tool_times_out_and_the_server_is_told_to_cancel() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let text = format!(
        "{}\n[[operations]]\nname = \"hang\"\ntool = \"hang\"\ntimeout = 0.3\n\n\
         [benchmark]\niterations = 3\nwarmup_iterations = 0\n",
        // Shared: the session (and the server) outlive the benchmark and are closed gracefully, so the
        // server has read every cancellation before it exits.
        mcp_section(
            &Transport::Stdio,
            "shared",
            &["--stats-file", stats.to_str().unwrap()]
        )
    );
    write_config(dir.path(), &text);
    let started = Instant::now();
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    assert!(started.elapsed() < Duration::from_secs(20));
    let rec = read_run_record(&dir.path().join("out"));
    let hang = op(&rec, "benchmark", "hang");
    assert_eq!(hang["errors"]["timeout"], 3, "{hang:#}");
    let p50 = hang["latency_ms"]["p50"].as_f64().unwrap();
    assert!((290.0..1500.0).contains(&p50), "p50 {p50}");
    // The fixture counted one `notifications/cancelled` per timed-out call.
    let until = Instant::now() + Duration::from_secs(5);
    while read_stats(&stats)["cancelled"] != 3 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(read_stats(&stats)["cancelled"], 3);
}

#[test]
fn quick_load_flags_for_stdio_and_streamable_http() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let cmdline = format!("{FIXTURE} --crash-after 100000");
    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--mcp-stdio",
            &cmdline,
            "--tool",
            "sleep_ms",
            "--args",
            r#"{"ms": 1}"#,
            "-c",
            "2",
            "-d",
            "1",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let rec: Value = serde_json::from_slice(&out.stdout).expect("record on stdout");
    let tool = op(&rec, "load", "sleep_ms");
    assert_eq!(tool["success_rate_percent"], 100.0);
    assert!(count(&tool, "total_requests") > 10);
    assert_eq!(rec["targets"][0]["details"]["transport"], "stdio");

    let http = HttpFixture::start(&[]);
    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--mcp-url",
            &http.url,
            "--tool",
            "noop",
            "--session",
            "shared",
            "-c",
            "4",
            "-d",
            "1",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let rec: Value = serde_json::from_slice(&out.stdout).expect("record on stdout");
    assert_eq!(op(&rec, "load", "noop")["success_rate_percent"], 100.0);
    assert_eq!(rec["targets"][0]["details"]["session"], "shared");
    assert_eq!(rec["targets"][0]["details"]["transport"], "streamable_http");
}

#[test]
fn quick_load_usage_errors_and_unreachable_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfgate(dir.path(), &["load", "-d", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--url") && err.contains("--mcp-stdio") && err.contains("--mcp-url"),
        "{err}"
    );
    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--url",
            "http://127.0.0.1:9/",
            "--mcp-url",
            "http://127.0.0.1:9/mcp",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = perfgate(dir.path(), &["load", "--mcp-url", "http://127.0.0.1:9/mcp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --tool"));
    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--mcp-url",
            "http://127.0.0.1:9/mcp",
            "--tool",
            "x",
            "--args",
            "[1]",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JSON object"));
    // Nothing listens on port 9: exit 3, before any load.
    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--mcp-url",
            "http://127.0.0.1:9/mcp",
            "--tool",
            "x",
            "-d",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--mcp-stdio",
            "/nonexistent/mcp-server",
            "--tool",
            "x",
            "-d",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
}

//! End-to-end tests of the foundation: the `perfgate` binary against real loopback servers.

use std::time::Duration;

use perfgate_e2e::{find_file, perfgate, read_run_record, write_config, Behavior, TestServer};
use serde_json::Value;

fn config(url: &str, extra: &str) -> String {
    format!(
        r#"suite = "e2e"
[target]
base_url = "{url}"
request_timeout = 5

[[operations]]
name = "get"
path = "/thing"

[load]
collect_system_metrics = true
{extra}
"#
    )
}

fn op<'a>(record: &'a Value, section: &str, name: &str) -> &'a Value {
    let ops = if section == "benchmark" {
        &record["benchmark"]["operations"]
    } else {
        &record[section]["operations"]
    };
    ops.as_array()
        .and_then(|a| a.iter().find(|o| o["operation_name"] == name))
        .unwrap_or_else(|| panic!("no {section} operation {name} in {record:#}"))
}

#[test]
fn benchmark_median_matches_a_known_server_delay() {
    let _serial = perfgate_e2e::timing_lock();
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(20),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config(
            &server.url(),
            "[benchmark]\niterations = 40\nwarmup_iterations = 3",
        ),
    );
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rec = read_run_record(&dir.path().join("out"));
    let get = op(&rec, "benchmark", "get");
    let p50 = get["latency_ms"]["p50"].as_f64().unwrap();
    assert!(
        (18.0..=22.0).contains(&p50),
        "p50 {p50} ms should be within 10% of 20 ms"
    );
    assert_eq!(get["total_requests"], 40);
    assert_eq!(get["success_rate_percent"], 100.0);
    // Warm-up requests reached the server but are not in the record.
    assert_eq!(
        server
            .stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        40 + 3
    );
}

#[test]
fn failures_are_counted_and_classified() {
    let server = TestServer::start(Behavior {
        fail_every: Some(10),
        not_found_every: Some(25),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config(
            &server.url(),
            "[benchmark]\niterations = 200\nwarmup_iterations = 0",
        ),
    );
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
    );
    // 10 % errors breaks the default error-rate gate (5 %): exit 1.
    assert_eq!(out.status.code(), Some(1));
    let rec = read_run_record(&dir.path().join("out"));
    let get = op(&rec, "benchmark", "get");
    // Requests 1..=200: every 10th is a 500 (20), every 25th that is not also a 10th a 404 (25, 75, 125, 175).
    assert_eq!(get["success_rate_percent"], 88.0);
    assert_eq!(get["errors"]["http_5xx"], 20);
    assert_eq!(get["errors"]["http_4xx"], 4);
    let failed_gate = rec["analysis"]["gates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["passed"] == false);
    assert!(
        failed_gate,
        "error-rate gate should fail: {:#}",
        rec["analysis"]
    );
}

/// The coordinated-omission test: one 1 s stall is visible in the open model's p99, not in the closed model's.
#[test]
fn open_model_shows_a_stall_that_closed_model_hides() {
    let _serial = perfgate_e2e::timing_lock();
    let run = |extra: &str| -> Value {
        let server = TestServer::start(Behavior {
            delay: Duration::from_millis(5),
            stall: Some((Duration::from_secs(2), Duration::from_secs(1))),
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), &config(&server.url(), extra));
        let out = perfgate(
            dir.path(),
            &["run", "--test-type", "load", "--output-dir", "out"],
        );
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "exit {:?}",
            out.status.code()
        );
        read_run_record(&dir.path().join("out"))
    };
    let open = run("duration_seconds = 6\nconcurrent_users = 50\ntarget_rps = 200");
    let closed = run("duration_seconds = 6\nconcurrent_users = 4");
    let open_p99 = open["load"]["overall"]["latency_ms"]["p99"]
        .as_f64()
        .unwrap();
    let closed_p99 = closed["load"]["overall"]["latency_ms"]["p99"]
        .as_f64()
        .unwrap();
    assert_eq!(open["load"]["model"], "open");
    assert!(
        open_p99 > 500.0,
        "open-model p99 {open_p99} ms must show the 1 s stall"
    );
    assert!(
        closed_p99 < 100.0,
        "closed-model p99 {closed_p99} ms hides it (coordinated omission)"
    );
    let timeline = open["load"]["timeline"].as_array().unwrap();
    assert!(
        timeline.len() >= 5,
        "one point per second: {}",
        timeline.len()
    );
    let rps = open["load"]["overall"]["throughput_rps"].as_f64().unwrap();
    assert!(
        (170.0..=230.0).contains(&rps),
        "open model keeps its rate: {rps}"
    );
}

#[test]
fn stress_finds_the_breaking_point_of_a_fixed_capacity() {
    let _serial = perfgate_e2e::timing_lock();
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(50),
        capacity: Some(20),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config(
            &server.url(),
            "[stress]\nstart_concurrent = 5\nmax_concurrent = 45\nstep_size = 5\nstep_duration_seconds = 2\nstep_warmup_seconds = 0.5",
        ),
    );
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "stress", "--output-dir", "out"],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let rec = read_run_record(&dir.path().join("out"));
    let steps: Vec<String> = rec["stress"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}u {}rps p95 {}ms",
                s["concurrency"], s["throughput_rps"], s["latency_ms"]["p95"]
            )
        })
        .collect();
    let bp = rec["stress"]["breaking_point"]["concurrency"]
        .as_u64()
        .expect("a breaking point");
    assert!(
        (20..=35).contains(&bp),
        "breaking point {bp} should be near the capacity of 20: {steps:?}"
    );
    let last_good = rec["stress"]["last_good_concurrency"].as_u64().unwrap();
    assert!((15..=30).contains(&last_good), "last good {last_good}");
    assert!(rec["stress"]["conclusion"]
        .as_str()
        .unwrap()
        .contains("breaking point"));
    assert!(
        server
            .stats
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
            <= 20
    );
}

#[test]
fn bad_config_exits_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "[target]\nbase_url = \"http://127.0.0.1:1\"\n\n[load]\nconcurent_users = 3\n",
    );
    let out = perfgate(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("perfgate.toml:5:") && err.contains("load.concurent_users"),
        "{err}"
    );

    write_config(dir.path(), "[load]\nduration_seconds = \"long\"\n");
    let out = perfgate(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("perfgate.toml:2:") && err.contains("load.duration_seconds"),
        "{err}"
    );

    write_config(
        dir.path(),
        "[target]\nbase_url = \"http://127.0.0.1:1\"\n[[operations]]\nname = \"x\"\n",
    );
    let out = perfgate(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("perfgate.toml:") && err.contains("needs `path`"),
        "{err}"
    );
}

#[test]
fn unreachable_target_exits_3() {
    // Bind then drop to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config(&format!("http://127.0.0.1:{port}"), ""));
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the target") && err.contains(&port.to_string()),
        "{err}"
    );
}

#[test]
fn target_dying_mid_run_gives_a_record_with_connect_errors() {
    let _serial = perfgate_e2e::timing_lock();
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(2),
        die_after: Some(Duration::from_secs(2)),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config(&server.url(), "duration_seconds = 4\nconcurrent_users = 4"),
    );
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "load", "--output-dir", "out"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the error-rate gate fails, nothing panics"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let rec = read_run_record(&dir.path().join("out"));
    let errors = &rec["load"]["overall"]["errors"];
    assert!(
        errors["connect"].as_u64().unwrap_or(0) > 0,
        "connect errors: {errors}"
    );
    assert!(
        rec["load"]["overall"]["successful_requests"]
            .as_u64()
            .unwrap()
            > 100
    );
}

#[test]
fn command_targets_classify_exit_codes_and_kill_on_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("orphan-survived");
    write_config(
        dir.path(),
        &format!(
            r#"[[operations]]
name = "ok"
command = ["true"]

[[operations]]
name = "fails"
command = ["sh", "-c", "exit 3"]

[[operations]]
name = "hangs"
command = ["sh", "-c", "(sleep 2; touch {}) & sleep 30"]
timeout = 0.3

[benchmark]
iterations = 3
warmup_iterations = 0
"#,
            marker.display()
        ),
    );
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let rec = read_run_record(&dir.path().join("out"));
    assert_eq!(op(&rec, "benchmark", "ok")["success_rate_percent"], 100.0);
    assert_eq!(op(&rec, "benchmark", "fails")["errors"]["exit_code"], 3);
    let hangs = op(&rec, "benchmark", "hangs");
    assert_eq!(hangs["errors"]["timeout"], 3);
    assert!(hangs["latency_ms"]["max"].as_f64().unwrap() < 2000.0);
    assert!(
        op(&rec, "benchmark", "ok")["spawn_overhead_ms"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // The whole process group was killed: the background child never touched its marker.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !marker.exists(),
        "a child of the timed-out command survived"
    );
}

#[test]
fn demo_writes_all_six_files_with_the_seed_field_names() {
    let _serial = perfgate_e2e::timing_lock();
    let dir = tempfile::tempdir().unwrap();
    let out = perfgate(dir.path(), &["demo", "--duration", "3"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "demo exit {:?}",
        out.status.code()
    );
    let results = dir.path().join("performance_results");
    for (prefix, suffix) in [
        ("benchmark_results_", ".json"),
        ("load_results_", ".json"),
        ("stress_results_", ".json"),
        ("optimization_report_", ".md"),
        ("performance_summary_", ".txt"),
        ("run_", ".json"),
    ] {
        let f = find_file(&results, prefix, suffix)
            .unwrap_or_else(|| panic!("missing {prefix}*{suffix}"));
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        // `<YYYYmmdd_HHMMSS>_<run id>`: the stamp users sort by, then the id that keeps runs apart.
        let stem = &name[prefix.len()..name.len() - suffix.len()];
        let (ts, id) = stem.split_at(15);
        assert!(
            ts.chars()
                .enumerate()
                .all(|(i, c)| if i == 8 { c == '_' } else { c.is_ascii_digit() }),
            "YYYYmmdd_HHMMSS in {name}"
        );
        let rec = read_run_record(&results);
        assert_eq!(
            id,
            format!("_{}", rec["run_id"].as_str().unwrap()),
            "{name}"
        );
    }
    let bench: Value = serde_json::from_slice(
        &std::fs::read(find_file(&results, "benchmark_results_", ".json").unwrap()).unwrap(),
    )
    .unwrap();
    let first = &bench["results"][0];
    for key in [
        "operation_name",
        "total_requests",
        "latency_ms",
        "throughput_rps",
        "success_rate_percent",
        "memory_usage_mb",
        "cpu_usage_percent",
    ] {
        assert!(
            first.get(key).is_some(),
            "benchmark result lacks {key}: {first:#}"
        );
    }
    for key in ["min", "max", "p50", "p95", "p99", "avg"] {
        assert!(
            first["latency_ms"].get(key).is_some(),
            "latency_ms lacks {key}"
        );
    }
    let names: Vec<&str> = bench["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["operation_name"].as_str().unwrap())
        .collect();
    for n in [
        "chat_resolution",
        "message_fetch_10",
        "message_fetch_50",
        "resource_creation",
    ] {
        assert!(names.contains(&n), "demo operation {n} missing: {names:?}");
    }
    // The same operations as MCP tools over Streamable HTTP, side by side with the HTTP ones, and the
    // session initialize timed apart.
    for n in [
        "mcp_resolve_chat",
        "mcp_fetch_messages_10",
        "mcp_create_resource",
        "mcp.initialize",
    ] {
        assert!(
            names.contains(&n),
            "demo MCP operation {n} missing: {names:?}"
        );
    }
    let rec = perfgate_e2e::read_run_record(&results);
    let load_names: Vec<&str> = rec["load"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["operation_name"].as_str().unwrap())
        .collect();
    for n in ["chat_resolution", "mcp_resolve_chat", "mcp.initialize"] {
        assert!(load_names.contains(&n), "load lacks {n}: {load_names:?}");
    }
    let mcp = rec["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "mcp")
        .expect("an MCP target in targets[]");
    assert_eq!(mcp["details"]["server_name"], "perfgate-demo");
    // Initializes run as often as sessions open: no throughput finding about them.
    for a in rec["analysis"]["operations"].as_array().unwrap() {
        if a["operation"] == "mcp.initialize" {
            let recs = a["recommendations"].to_string();
            assert!(!recs.contains("\"throughput\""), "{recs}");
        }
    }
    assert_eq!(mcp["details"]["transport"], "streamable_http");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("chat_resolution") && stdout.contains("mcp_resolve_chat"),
        "summary table on stdout: {stdout}"
    );
}

#[test]
fn quick_load_prints_json_record() {
    let server = TestServer::start(Behavior::default());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/hello?x=1", server.url());
    let out = perfgate(
        dir.path(),
        &["load", "--url", &url, "-c", "4", "-d", "1", "--json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let rec: Value = serde_json::from_slice(&out.stdout).expect("--json prints the record");
    assert_eq!(rec["schema"], "perfgate/run@1");
    assert!(rec["load"]["overall"]["total_requests"].as_u64().unwrap() > 50);
    assert_eq!(
        rec["load"]["operations"][0]["operation_name"],
        "GET /hello?x=1"
    );
    assert!(
        !dir.path().join("performance_results").exists(),
        "quick load writes nothing unless asked"
    );
}

#[test]
fn shards_split_the_load_and_merge_back_losslessly() {
    let _serial = perfgate_e2e::timing_lock();
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(2),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config(&server.url(), "duration_seconds = 2\nconcurrent_users = 4"),
    );
    let mut totals = 0;
    let mut files = Vec::new();
    for i in 1..=2 {
        let out_dir = format!("shard{i}");
        let shard = format!("{i}/2");
        let out = perfgate_e2e::perfgate_env(
            dir.path(),
            &[
                "run",
                "--test-type",
                "load",
                "--shard",
                &shard,
                "--output-dir",
                &out_dir,
            ],
            &[("PERFGATE_RUN_ID", "matrix-7")],
        );
        assert!(out.status.code().is_some_and(|c| c <= 1));
        let rec = read_run_record(&dir.path().join(&out_dir));
        assert_eq!(rec["run_id"], "matrix-7");
        assert_eq!(rec["shard"]["index"], i);
        assert_eq!(rec["shard"]["total"], 2);
        assert_eq!(
            rec["load"]["concurrent_users"], 2,
            "each shard runs half the users"
        );
        totals += rec["load"]["overall"]["total_requests"].as_u64().unwrap();
        files.push(find_file(&dir.path().join(&out_dir), "run_", ".json").unwrap());
    }
    let (a, b) = (
        files[0].to_string_lossy().to_string(),
        files[1].to_string_lossy().to_string(),
    );
    let out = perfgate(dir.path(), &["merge", &a, &b, "-o", "merged.json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("merged.json")).unwrap()).unwrap();
    assert_eq!(
        merged["load"]["overall"]["total_requests"]
            .as_u64()
            .unwrap(),
        totals
    );
    assert_eq!(merged["run_id"], "matrix-7");
    assert!(merged.get("shard").is_none() || merged["shard"].is_null());
    // The merged run is judged again with the suite's perfgate.toml (each shard saw half the load).
    assert_eq!(
        merged["analysis"]["status"], "pass",
        "{:#}",
        merged["analysis"]
    );

    // A gate the whole run misses fails the merge (exit 1), named in the output and the record.
    std::fs::write(
        dir.path().join("strict.toml"),
        config(&server.url(), "[gates]\nall = [\"p95 < 1ms\"]"),
    )
    .unwrap();
    let out = perfgate(
        dir.path(),
        &[
            "merge",
            &a,
            &b,
            "-o",
            "strict.json",
            "--config",
            "strict.toml",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("p95 < 1ms"));
    let strict: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("strict.json")).unwrap()).unwrap();
    assert_eq!(strict["analysis"]["status"], "fail");
}

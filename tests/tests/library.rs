//! The library API and the CLI on the same loopback service: their run records have the same schema and
//! pass the same readers (the record parser, the renderers, the comparison); and the library's
//! `enable_tracing` exports the run's spans over OTLP as the CLI does.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use perfgate::reports::analysis::{compare_runs, CompareSettings};
use perfgate::reports::render::{render_optimization_report, render_text_summary};
use perfgate::reports::RunRecord;
use perfgate::{BenchmarkConfig, LoadTestConfig, Operation, StressConfig, Suite};
use perfgate_e2e::observability::OtlpReceiver;
use perfgate_e2e::{perfgate, read_run_record, write_config, Behavior, TestServer};
use serde_json::Value;

/// `GET path` over one keep-alive connection per virtual user — what the CLI's HTTP target does.
fn http_get(name: &str, addr: SocketAddr, path: &'static str) -> Operation {
    Operation::per_user(
        name,
        async move || {
            let stream = tokio::net::TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::task::spawn_local(async move {
                let _ = conn.await;
            });
            Ok::<SendRequest<Empty<Bytes>>, String>(sender)
        },
        async move |conn: &mut SendRequest<Empty<Bytes>>| {
            let req = Request::get(path)
                .header(hyper::header::HOST, addr.to_string())
                .body(Empty::new())
                .map_err(|e| e.to_string())?;
            let resp = conn.send_request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status();
            resp.into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("HTTP {status}"))
            }
        },
    )
}

/// Every path of keys in `v` (`load.timeline[].p95_ms`), array elements merged.
fn paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                paths(child, &p, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// Fields that are present only when the data has them (serde `skip_serializing_if`) or that describe
/// where a run happened rather than what it measured.
fn optional(path: &str) -> bool {
    const OPTIONAL: &[&str] = &[
        "address",
        "details",
        "errors",
        "error_samples",
        "spawn_overhead_ms",
        "memory_mb",
        "cpu_percent",
        // Measured only when there is a target process (the library's is its own process; a URL has none).
        "target",
        "resource_source",
        "memory_delta_mb",
        "cpu_delta_percent",
        "disk_read_bytes_per_sec",
        "disk_written_bytes_per_sec",
        "net_received_bytes_per_sec",
        "net_sent_bytes_per_sec",
        "warnings",
        "reasons",
        "recommendations",
        "suggestions",
        "evidence",
        "comparison",
        "prepare_ms",
        "breaking_point",
        "last_good_concurrency",
        // A step that stopped the test says why; whether one stops depends on the machine's timing.
        "stop_reason",
        "git",
    ];
    path.split(['.', '[', ']'])
        .any(|segment| OPTIONAL.contains(&segment))
}

#[test]
fn api_and_cli_records_of_the_same_service_have_the_same_schema() {
    let _serial = perfgate_e2e::timing_lock();
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(2),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();

    // The CLI: benchmark, load and stress of GET /thing.
    write_config(
        dir.path(),
        &format!(
            r#"suite = "same-service"
[target]
base_url = "{}"
request_timeout = 5

[[operations]]
name = "get"
path = "/thing"

[benchmark]
iterations = 30
warmup_iterations = 2

[load]
duration_seconds = 1
concurrent_users = 2
collect_system_metrics = true

[stress]
start_concurrent = 1
max_concurrent = 2
step_size = 1
step_duration_seconds = 1
step_warmup_seconds = 0
"#,
            server.url()
        ),
    );
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "all", "--output-dir", "cli", "-q"],
    );
    assert_eq!(out.status.code(), Some(0));
    let cli = read_run_record(&dir.path().join("cli"));

    // The library: the same operation, schedules and settings, through a Suite.
    let api_dir = dir.path().join("api");
    let run = Suite::new("same-service")
        .operation(http_get("get", server.addr, "/thing").timeout(Duration::from_secs(5)))
        .benchmark(BenchmarkConfig {
            iterations: 30,
            warmup_iterations: 2,
            ..Default::default()
        })
        .load(LoadTestConfig {
            duration_seconds: 1.0,
            concurrent_users: 2,
            ..Default::default()
        })
        .stress(StressConfig {
            start_concurrent: 1,
            max_concurrent: 2,
            step_size: 1,
            step_duration_seconds: 1.0,
            step_warmup_seconds: 0.0,
            ..Default::default()
        })
        .output_dir(&api_dir)
        .run_blocking()
        .unwrap();
    assert!(run.passed(), "{}", run.summary_text());
    let api = read_run_record(&api_dir);

    // Same schema: the same key paths, apart from fields that only appear when the data has them.
    let (mut a, mut c) = (BTreeSet::new(), BTreeSet::new());
    paths(&api, "", &mut a);
    paths(&cli, "", &mut c);
    eprintln!(
        "optional fields in one record only: {:?}",
        a.symmetric_difference(&c).collect::<Vec<_>>()
    );
    let only_api: Vec<_> = a.difference(&c).filter(|p| !optional(p)).collect();
    let only_cli: Vec<_> = c.difference(&a).filter(|p| !optional(p)).collect();
    assert!(
        only_api.is_empty() && only_cli.is_empty(),
        "only in the API record: {only_api:?}\nonly in the CLI record: {only_cli:?}"
    );
    for must in [
        "schema",
        "benchmark.operations[].histogram",
        "benchmark.operations[].latency_ms.p999",
        "load.overall.throughput_rps",
        "load.timeline[].p95_ms",
        "stress.steps[].operations[].latency_ms.p50",
        "stress.conclusion",
        "analysis.gates[].passed",
        "system.runner.cpu_avg_percent",
        "environment.fingerprint",
        "config_digest",
    ] {
        assert!(a.contains(must) && c.contains(must), "{must} missing");
    }
    assert_eq!(api["schema"], cli["schema"]);
    assert_eq!(api["test_type"], cli["test_type"]);
    assert_eq!(
        api["environment"]["fingerprint"],
        cli["environment"]["fingerprint"]
    );
    assert_eq!(api["targets"][0]["kind"], "closure");
    assert_eq!(cli["targets"][0]["kind"], "http");

    // Same readers: the record parser, the renderers, and a comparison of one against the other.
    let parse = |v: &Value, name: &str| {
        RunRecord::from_json_slice(&serde_json::to_vec(v).unwrap(), name)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (api_rec, cli_rec) = (parse(&api, "api.json"), parse(&cli, "cli.json"));
    for rec in [&api_rec, &cli_rec] {
        assert!(render_text_summary(rec).contains("get"));
        let comparison = rec.analysis.as_ref().and_then(|a| a.comparison.as_ref());
        assert!(render_optimization_report(rec, comparison).contains("get"));
    }
    let cmp = compare_runs(&cli_rec, &api_rec, &CompareSettings::default());
    assert!(
        cmp.rows.iter().any(|r| r.operation == "get"),
        "the comparison pairs the operations by name"
    );

    // Same service, same client model: the medians agree (both measure the 2 ms delay).
    let p50 = |v: &Value| {
        v["benchmark"]["operations"][0]["latency_ms"]["p50"]
            .as_f64()
            .unwrap()
    };
    let (pa, pc) = (p50(&api), p50(&cli));
    assert!(
        (2.0..4.0).contains(&pa) && (2.0..4.0).contains(&pc),
        "api {pa} ms, cli {pc} ms"
    );
}

#[test]
fn enable_tracing_exports_the_runs_spans_over_otlp_like_the_cli() {
    let _serial = perfgate_e2e::timing_lock();
    let receiver = OtlpReceiver::start();
    // The OTLP exporter reads the standard variable; no other test of this binary runs meanwhile (the lock).
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url());
    let run = Suite::new("traced")
        .operation(Operation::new("work", async || {
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok::<(), String>(())
        }))
        .benchmark(BenchmarkConfig {
            iterations: 5,
            warmup_iterations: 0,
            enable_tracing: true,
            ..Default::default()
        })
        .load(LoadTestConfig {
            duration_seconds: 0.3,
            concurrent_users: 2,
            ..Default::default()
        })
        .run_blocking();
    std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
    let run = run.unwrap();
    assert!(
        run.record()
            .warnings
            .iter()
            .all(|w| w.contains("perfgate itself was CPU-saturated")),
        "{:?}",
        run.record().warnings
    );

    use prost::Message as _;
    let bodies = receiver.received();
    assert_eq!(bodies.len(), 1, "one export request for the whole run");
    let req = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(
        bodies[0].as_ref(),
    )
    .expect("an OTLP protobuf request");
    let mut names: Vec<String> = req
        .resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter())
        .flat_map(|ss| ss.spans.iter().map(|s| s.name.clone()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "performance.benchmark.work",
            "performance.load.work",
            "performance.run"
        ]
    );
}

#[test]
fn an_unreachable_collector_is_a_warning_not_an_error() {
    let _serial = perfgate_e2e::timing_lock();
    let port = perfgate_e2e::observability::free_port();
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        format!("http://127.0.0.1:{port}"),
    );
    std::env::set_var("OTEL_EXPORTER_OTLP_TIMEOUT", "500");
    let run = perfgate::blocking::benchmark(
        Operation::new("work", async || Ok::<(), String>(())),
        BenchmarkConfig {
            iterations: 3,
            enable_tracing: true,
            ..Default::default()
        },
    );
    std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
    std::env::remove_var("OTEL_EXPORTER_OTLP_TIMEOUT");
    let run = run.expect("the run itself succeeds");
    assert!(
        run.record()
            .warnings
            .iter()
            .any(|w| w.contains("could not export traces")),
        "{:?}",
        run.record().warnings
    );
}

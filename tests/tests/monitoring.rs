//! End-to-end tests of the monitoring integration: the perfgate binary against a real Pushgateway process, its
//! own live `/metrics` endpoint scraped during a load test, a loopback OTLP receiver, and a loopback target that
//! records `traceparent` headers.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use perfgate_e2e::observability::{free_port, http_get, OtlpReceiver, Pushgateway};
use perfgate_e2e::{
    find_file, perfgate_command, perfgate_env, read_run_record, warnings_besides_host_load,
    write_config, Behavior, TestServer,
};
use serde_json::Value;

type Exposition = MetricsExposition<PrometheusType, PrometheusValue>;

fn config(url: &str, suite: &str, extra: &str) -> String {
    format!(
        r#"suite = "{suite}"
[target]
base_url = "{url}"
request_timeout = 5
{extra}

[[operations]]
name = "get"
path = "/thing"

[benchmark]
iterations = 30
warmup_iterations = 2
"#
    )
}

fn parse(text: &str) -> Exposition {
    openmetrics_parser::prometheus::parse_prometheus(text)
        .unwrap_or_else(|e| panic!("not valid Prometheus text format: {e:?}\n{text}"))
}

/// The value of the one sample of `family` whose labels include `labels`.
fn sample(exp: &Exposition, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<f64> = exp
        .families
        .get(family)?
        .iter_samples()
        .filter_map(|s| {
            let set = s.get_labelset().ok()?;
            labels
                .iter()
                .all(|(k, v)| set.get_label_value(k) == Some(*v))
                .then(|| match &s.value {
                    PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => n.as_f64(),
                    PrometheusValue::Counter(c) => c.value.as_f64(),
                    _ => f64::NAN,
                })
        })
        .collect();
    assert!(
        found.len() <= 1,
        "{family}{labels:?} matches {} samples",
        found.len()
    );
    found.first().copied()
}

fn bench_op(rec: &Value) -> &Value {
    &rec["benchmark"]["operations"][0]
}

#[test]
fn textfile_parses_back_with_the_runs_numbers() {
    // 30 calls of 50 ms: longer than the 1 s sampling period, so memory and CPU are measured.
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(50),
        fail_every: Some(10),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config(&server.url(), "e2e", ""));
    let out = perfgate_env(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
        &[],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let results = dir.path().join("out");
    let rec = read_run_record(&results);
    let prom = find_file(&results, "metrics_", ".prom").expect("metrics_<ts>.prom");
    let name = prom.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(
        name,
        format!(
            "metrics_{}_{}.prom",
            &name["metrics_".len().."metrics_YYYYmmdd_HHMMSS".len()],
            rec["run_id"].as_str().unwrap()
        ),
        "metrics_<ts>_<run id>.prom"
    );
    let exp = parse(&std::fs::read_to_string(&prom).unwrap());
    let op = bench_op(&rec);
    let labels = |status: &'static str| {
        [
            ("test_type", "benchmark"),
            ("operation", "get"),
            ("status", status),
            ("suite", "e2e"),
        ]
    };
    assert_eq!(
        sample(&exp, "performance_test_requests_total", &labels("success")),
        op["successful_requests"].as_f64()
    );
    assert_eq!(
        sample(&exp, "performance_test_requests_total", &labels("error")),
        Some(3.0),
        "every 10th of 30 requests failed"
    );
    let p95 = sample(
        &exp,
        "performance_test_latency_seconds",
        &[("operation", "get"), ("percentile", "p95")],
    )
    .unwrap();
    assert!((p95 * 1000.0 - op["latency_ms"]["p95"].as_f64().unwrap()).abs() < 1e-6);
    assert_eq!(
        sample(
            &exp,
            "performance_test_duration_seconds",
            &[("operation", "get")]
        ),
        op["duration_seconds"].as_f64()
    );
    assert_eq!(
        sample(
            &exp,
            "performance_test_run_info",
            &[("run_id", rec["run_id"].as_str().unwrap())]
        ),
        Some(1.0)
    );
    assert!(
        sample(
            &exp,
            "performance_test_memory_usage_mb",
            &[("test_type", "benchmark"), ("source", "runner")]
        )
        .is_some_and(|m| m > 0.0),
        "system metrics are collected by default"
    );
}

#[test]
fn pushgateway_holds_the_latest_run_of_each_suite() {
    let gw = Pushgateway::start();
    let server = TestServer::start(Behavior {
        fail_every: Some(10),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    // A suite name with a slash travels base64-encoded in the grouping key.
    write_config(dir.path(), &config(&server.url(), "team/api", ""));
    let out = perfgate_env(
        dir.path(),
        &[
            "run",
            "--test-type",
            "benchmark",
            "--output-dir",
            "out",
            "--pushgateway",
            &gw.url(),
        ],
        &[],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let rec = read_run_record(&dir.path().join("out"));
    assert!(
        warnings_besides_host_load(&rec).is_empty(),
        "{:#}",
        rec["warnings"]
    );
    let exp = parse(&gw.metrics());
    let group = [("job", "perfgate"), ("suite", "team/api"), ("instance", "")];
    fn join<'a>(a: &[(&'a str, &'a str)], b: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        a.iter().chain(b).copied().collect()
    }
    let with = |extra: &[(&'static str, &'static str)]| join(&group, extra);
    let op = bench_op(&rec);
    assert_eq!(
        sample(
            &exp,
            "performance_test_requests_total",
            &with(&[
                ("test_type", "benchmark"),
                ("operation", "get"),
                ("status", "success")
            ])
        ),
        op["successful_requests"].as_f64()
    );
    assert_eq!(
        sample(
            &exp,
            "performance_test_requests_total",
            &with(&[("operation", "get"), ("status", "error")])
        ),
        Some(3.0)
    );
    let p99 = sample(
        &exp,
        "performance_test_latency_seconds",
        &with(&[("operation", "get"), ("percentile", "p99")]),
    )
    .unwrap();
    assert!((p99 * 1000.0 - op["latency_ms"]["p99"].as_f64().unwrap()).abs() < 1e-6);
    let run_id = rec["run_id"].as_str().unwrap();
    assert_eq!(
        sample(
            &exp,
            "performance_test_run_info",
            &join(&group, &[("run_id", run_id), ("test_type", "benchmark")])
        ),
        Some(1.0)
    );
    assert!(sample(&exp, "push_time_seconds", &group).is_some_and(|t| t > 0.0));

    // The next run of the suite replaces the group: the first run's operation is gone.
    let cfg = config(&server.url(), "team/api", "").replace("name = \"get\"", "name = \"other\"");
    write_config(dir.path(), &cfg);
    let out = perfgate_env(
        dir.path(),
        &[
            "run",
            "--test-type",
            "benchmark",
            "--output-dir",
            "out2",
            "--pushgateway",
            &gw.url(),
        ],
        &[],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let exp = parse(&gw.metrics());
    assert!(sample(
        &exp,
        "performance_test_duration_seconds",
        &with(&[("operation", "other")])
    )
    .is_some());
    assert_eq!(
        sample(
            &exp,
            "performance_test_duration_seconds",
            &with(&[("operation", "get")])
        ),
        None
    );
    assert_eq!(
        sample(
            &exp,
            "performance_test_run_info",
            &join(&group, &[("run_id", run_id)])
        ),
        None
    );
}

#[test]
fn pushgateway_down_is_a_warning_and_the_run_still_passes() {
    let server = TestServer::start(Behavior::default());
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config(&server.url(), "e2e", ""));
    let gw = format!("http://127.0.0.1:{}", free_port());
    let t0 = Instant::now();
    let out = perfgate_env(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
        &[("PERFORMANCE_PUSHGATEWAY_URL", gw.as_str())],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "retries are bounded"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: could not push metrics to the Pushgateway"),
        "{stderr}"
    );
    let rec = read_run_record(&dir.path().join("out"));
    let warnings = rec["warnings"].to_string();
    assert!(
        warnings.contains("Pushgateway") && warnings.contains("after 4 attempts"),
        "{warnings}"
    );
}

fn requests_total(text: &str) -> f64 {
    if text.trim().is_empty() {
        // Before the first phase the exposition is empty (valid, and nothing to count).
        return 0.0;
    }
    let exp = parse(text);
    exp.families
        .get("performance_test_requests_total")
        .map(|f| {
            f.iter_samples()
                .map(|s| match &s.value {
                    PrometheusValue::Counter(c) => c.value.as_f64(),
                    _ => 0.0,
                })
                .sum()
        })
        .unwrap_or(0.0)
}

#[test]
fn live_endpoint_moves_during_a_load_test() {
    let _serial = perfgate_e2e::timing_lock();
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(5),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let url = format!("{}/live", server.url());
    let child = perfgate_command(
        dir.path(),
        &[
            "load",
            "--url",
            &url,
            "-c",
            "2",
            "-d",
            "5",
            "--metrics-addr",
            &addr,
        ],
        &[],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn perfgate");
    let sock = addr.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut first = None;
    while Instant::now() < deadline {
        if let Some((200, body)) = http_get(sock, "/metrics") {
            let n = requests_total(&body);
            if n > 0.0 {
                first = Some((n, body));
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (n1, body1) = first.expect("the live endpoint showed requests within 10 s");
    assert!(
        body1.contains("performance_test_requests_total{test_type=\"load\",operation=\"GET /live\",status=\"success\",suite=\"load\"}"),
        "{body1}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let (status, body2) = http_get(sock, "/metrics").expect("second scrape");
    assert_eq!(status, 200);
    let n2 = requests_total(&body2);
    assert!(n2 > n1, "requests_total must grow: {n1} then {n2}");
    let out = child.wait_with_output().expect("perfgate finished");
    assert_eq!(out.status.code(), Some(0));
    // The served count never exceeds what the run finally recorded.
    assert!(
        n2 <= server
            .stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst) as f64,
        "{n2}"
    );
    // The endpoint is gone with the run.
    assert!(http_get(sock, "/metrics").is_none());
}

fn decode(bodies: &[bytes::Bytes]) -> (Vec<Span>, Vec<(String, AnyValue)>) {
    use prost::Message as _;
    let mut spans = Vec::new();
    let mut resource = Vec::new();
    for b in bodies {
        let req = ExportTraceServiceRequest::decode(b.as_ref()).expect("an OTLP protobuf request");
        for rs in req.resource_spans {
            if let Some(r) = rs.resource {
                for kv in r.attributes {
                    if let Some(v) = kv.value.and_then(|v| v.value) {
                        resource.push((kv.key, v));
                    }
                }
            }
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
    }
    (spans, resource)
}

fn attrs(span: &Span) -> HashMap<String, AnyValue> {
    span.attributes
        .iter()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?.value?)))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The record's RFC 3339 timestamps as Unix nanoseconds.
fn nanos(rfc3339: &str) -> u64 {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time");
    u64::try_from(t.timestamp_nanos_opt().expect("in range")).expect("after 1970")
}

#[test]
fn traces_reach_an_otlp_receiver_with_names_attributes_and_times() {
    let _serial = perfgate_e2e::timing_lock();
    let receiver = OtlpReceiver::start();
    // A little service time keeps the load and stress phases from eating both cores.
    let server = TestServer::start(Behavior {
        delay: Duration::from_millis(1),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config(
            &server.url(),
            "e2e",
            "\n[load]\nduration_seconds = 1\nconcurrent_users = 2\nenable_tracing = true\n\n\
             [stress]\nstart_concurrent = 2\nmax_concurrent = 2\nstep_duration_seconds = 1\nstep_warmup_seconds = 0\n",
        ),
    );
    let endpoint = receiver.url();
    let out = perfgate_env(
        dir.path(),
        &["run", "--test-type", "analysis", "--output-dir", "out"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let rec = read_run_record(&dir.path().join("out"));
    let bodies = receiver.received();
    assert_eq!(bodies.len(), 1, "one export request for the whole run");
    let (spans, resource) = decode(&bodies);
    assert!(resource
        .iter()
        .any(|(k, v)| k == "service.name" && *v == AnyValue::StringValue("perfgate".into())));
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    for n in [
        "performance.run",
        "performance.benchmark.get",
        "performance.load.get",
        "performance.stress.get",
    ] {
        assert!(names.contains(&n), "no span {n} in {names:?}");
    }
    assert_eq!(spans.len(), 4, "{names:?}");
    let run = spans.iter().find(|s| s.name == "performance.run").unwrap();
    assert!(run.parent_span_id.is_empty(), "the run span is the root");
    let run_start = nanos(rec["started_at"].as_str().unwrap());
    let run_end = nanos(rec["finished_at"].as_str().unwrap());
    assert_eq!(run.start_time_unix_nano, run_start);
    assert_eq!(run.end_time_unix_nano, run_end);
    assert_eq!(
        attrs(run).get("perfgate.run_id"),
        Some(&AnyValue::StringValue(
            rec["run_id"].as_str().unwrap().into()
        ))
    );
    for s in spans.iter().filter(|s| s.name != "performance.run") {
        assert_eq!(s.trace_id, run.trace_id, "{}", s.name);
        assert_eq!(
            s.parent_span_id, run.span_id,
            "{} is a child of the run",
            s.name
        );
        assert!(
            run_start <= s.start_time_unix_nano
                && s.start_time_unix_nano < s.end_time_unix_nano
                && s.end_time_unix_nano <= run_end,
            "{} lies inside the run",
            s.name
        );
        let a = attrs(s);
        for key in [
            "performance.test_type",
            "performance.iterations",
            "performance.duration_seconds",
            "performance.latency_p95_ms",
            "performance.throughput_rps",
            "performance.success_rate_percent",
            "performance.resources_measured",
        ] {
            assert!(a.contains_key(key), "{} lacks {key}: {a:?}", s.name);
        }
        // A URL target has no process to measure: the resource figures are absent, not 0.
        assert_eq!(
            a["performance.resources_measured"],
            AnyValue::BoolValue(false),
            "{}",
            s.name
        );
        for key in [
            "performance.memory_delta_mb",
            "performance.cpu_delta_percent",
        ] {
            assert!(!a.contains_key(key), "{} claims {key}: {a:?}", s.name);
        }
    }
    let bench = spans
        .iter()
        .find(|s| s.name == "performance.benchmark.get")
        .unwrap();
    let a = attrs(bench);
    let op = bench_op(&rec);
    assert_eq!(
        a["performance.test_type"],
        AnyValue::StringValue("benchmark".into())
    );
    assert_eq!(
        a["performance.iterations"],
        AnyValue::IntValue(op["total_requests"].as_i64().unwrap())
    );
    assert_eq!(
        a["performance.duration_seconds"],
        AnyValue::DoubleValue(op["duration_seconds"].as_f64().unwrap())
    );
    assert_eq!(
        a["performance.latency_p95_ms"],
        AnyValue::DoubleValue(op["latency_ms"]["p95"].as_f64().unwrap())
    );
    assert_eq!(
        a["performance.success_rate_percent"],
        AnyValue::DoubleValue(100.0)
    );
    let load = spans
        .iter()
        .find(|s| s.name == "performance.load.get")
        .unwrap();
    assert!(
        load.end_time_unix_nano - load.start_time_unix_nano >= 900_000_000,
        "the load span covers the 1 s load phase"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("trace {}", hex(&run.trace_id))),
        "{stderr}"
    );
}

#[test]
fn with_tracing_off_nothing_is_sent() {
    let receiver = OtlpReceiver::start();
    let server = TestServer::start(Behavior::default());
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config(&server.url(), "e2e", ""));
    let endpoint = receiver.url();
    let out = perfgate_env(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("PERFORMANCE_ENABLE_TRACING", "false"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    std::thread::sleep(Duration::from_millis(200));
    assert!(receiver.received().is_empty());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("spans"));
}

#[test]
fn collector_down_is_a_warning_and_the_run_still_passes() {
    let server = TestServer::start(Behavior::default());
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config(&server.url(), "e2e", ""));
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let t0 = Instant::now();
    let out = perfgate_env(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
        &[
            ("PERFORMANCE_ENABLE_TRACING", "true"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "bounded by the OTLP timeout"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: could not export traces to") && stderr.contains(&endpoint),
        "{stderr}"
    );
    let rec = read_run_record(&dir.path().join("out"));
    assert!(
        rec["warnings"]
            .to_string()
            .contains("could not export traces"),
        "{}",
        rec["warnings"]
    );
}

#[test]
fn requests_carry_the_runs_trace_context() {
    let receiver = OtlpReceiver::start();
    let server = TestServer::start(Behavior {
        record_header: Some("traceparent"),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config(&server.url(), "e2e", "propagate_trace_context = true"),
    );
    let endpoint = format!("{}/v1/traces", receiver.url());
    let out = perfgate_env(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
        &[
            ("PERFORMANCE_ENABLE_TRACING", "1"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let (spans, _) = decode(&receiver.received());
    let run = spans
        .iter()
        .find(|s| s.name == "performance.run")
        .expect("the run span");
    let trace_id = hex(&run.trace_id);
    let recorded = server.stats.recorded.lock().unwrap().clone();
    // 2 warm-up and 30 measured calls (the reachability check only opens a connection).
    assert_eq!(recorded.len(), 32);
    let mut span_ids = std::collections::HashSet::new();
    for v in &recorded {
        let v = v.as_deref().expect("every request carries traceparent");
        let parts: Vec<&str> = v.split('-').collect();
        assert_eq!(parts.len(), 4, "{v}");
        assert_eq!(parts[0], "00", "{v}");
        assert_eq!(parts[1], trace_id, "the run's trace id");
        assert_eq!(parts[2].len(), 16, "{v}");
        assert!(parts[2]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(parts[2], "0000000000000000");
        assert_eq!(parts[3], "01", "sampled");
        span_ids.insert(parts[2].to_string());
    }
    assert_eq!(
        span_ids.len(),
        recorded.len(),
        "a fresh span id per request"
    );
}

#[test]
fn without_propagation_requests_carry_no_traceparent() {
    let server = TestServer::start(Behavior {
        record_header: Some("traceparent"),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config(&server.url(), "e2e", ""));
    let out = perfgate_env(
        dir.path(),
        &["run", "--test-type", "benchmark", "--output-dir", "out"],
        &[("PERFORMANCE_ENABLE_TRACING", "false")],
    );
    assert_eq!(out.status.code(), Some(0));
    let recorded = server.stats.recorded.lock().unwrap().clone();
    assert!(!recorded.is_empty());
    assert!(recorded.iter().all(Option::is_none));
}

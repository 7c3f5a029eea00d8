//! OpenTelemetry traces of a run, exported over OTLP/HTTP (protobuf) when tracing is enabled
//! (`PERFORMANCE_ENABLE_TRACING=true` or `[load] enable_tracing = true`).
//!
//! After the run, one span `performance.run` covers the whole run, and under it one span per test type and
//! operation, `performance.<test_type>.<operation>`, with the attributes users of the original framework
//! query (`performance.test_type`, `performance.iterations`, `performance.duration_seconds`,
//! `performance.memory_delta_mb`, `performance.cpu_delta_percent`) and the results (p50/p95/p99, rps,
//! success rate). Spans are built after the fact, with the start and end times the [`PhaseClock`] observed
//! (a benchmark operation's own phase; the load phase; the first to last stress step), so nothing is traced
//! on the hot path. The run's trace id is chosen before the run (see [`super::traceparent`]) so that
//! requests propagated to the service belong to the same trace.
//!
//! The endpoint, headers, timeout and resource come from the standard variables, read by
//! `opentelemetry-otlp` and the SDK: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (full URL) or
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`), default `http://localhost:4318`;
//! `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`; `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` (ms, default 10 000);
//! `OTEL_SERVICE_NAME` (default `perfgate`) and `OTEL_RESOURCE_ATTRIBUTES`. Spans are collected in memory and
//! exported in one request (with the exporter's bounded retries), synchronously, before the command exits;
//! an unreachable collector makes a warning, never a failure.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use opentelemetry::trace::{
    SpanBuilder, SpanId, SpanKind, Status, TraceContextExt, TraceId, TracerProvider,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use perfgate_reports::analysis::OverallStatus;
use perfgate_reports::record::{OperationResult, RunRecord, TestType};
use perfgate_reports::render::prometheus::stress_per_operation;

use super::client;
use crate::engine::events::{Event, Observer};

/// When a phase ran.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseTime {
    pub test_type: TestType,
    pub label: String,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// Records the wall-clock start and end of every phase, for the spans' times.
#[derive(Clone, Default)]
pub struct PhaseClock {
    phases: Arc<Mutex<Vec<PhaseTime>>>,
}

impl PhaseClock {
    /// What was observed so far.
    pub fn phases(&self) -> Vec<PhaseTime> {
        self.phases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Observer for PhaseClock {
    fn on_event(&mut self, event: &Event<'_>) {
        let mut phases = self.phases.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::PhaseStarted {
                test_type, label, ..
            } => phases.push(PhaseTime {
                test_type: *test_type,
                label: label.to_string(),
                start: Utc::now(),
                end: None,
            }),
            Event::PhaseFinished { test_type, label } => {
                if let Some(p) = phases
                    .iter_mut()
                    .rev()
                    .find(|p| p.test_type == *test_type && p.label == *label && p.end.is_none())
                {
                    p.end = Some(Utc::now());
                }
            }
            _ => {}
        }
    }
}

/// One span to emit.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanPlan {
    pub name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub attributes: Vec<KeyValue>,
    /// Set when the run's gates failed (run span only).
    pub error: Option<String>,
}

/// The run span and its children, from the record and the observed phase times (pure; unit-tested).
pub fn plan_spans(record: &RunRecord, phases: &[PhaseTime]) -> (SpanPlan, Vec<SpanPlan>) {
    let mut run_attrs = vec![
        KeyValue::new("perfgate.run_id", record.run_id.clone()),
        KeyValue::new("perfgate.suite", record.suite.clone()),
        KeyValue::new("performance.test_type", record.test_type.clone()),
        KeyValue::new("perfgate.config_digest", record.config_digest.clone()),
    ];
    if let Some(sha) = &record.git.sha {
        run_attrs.push(KeyValue::new("vcs.ref.head.revision", sha.clone()));
    }
    if let Some(b) = &record.git.branch {
        run_attrs.push(KeyValue::new("vcs.ref.head.name", b.clone()));
    }
    let mut error = None;
    if let Some(a) = &record.analysis {
        let failed = a.status == OverallStatus::Fail;
        run_attrs.push(KeyValue::new(
            "perfgate.status",
            if failed { "fail" } else { "pass" },
        ));
        if failed {
            error = Some("a gate failed or a significant regression was found".to_string());
        }
    }
    let run = SpanPlan {
        name: "performance.run".into(),
        start: record.started_at,
        end: record.finished_at.max(record.started_at),
        attributes: run_attrs,
        error,
    };

    let clamp = |t: DateTime<Utc>| t.clamp(run.start, run.end);
    let window = |tt: TestType, label: Option<&str>| -> (DateTime<Utc>, DateTime<Utc>) {
        let matching: Vec<&PhaseTime> = phases
            .iter()
            .filter(|p| p.test_type == tt && label.is_none_or(|l| p.label == l))
            .collect();
        let start = matching.iter().map(|p| p.start).min();
        let end = matching.iter().filter_map(|p| p.end).max();
        match (start, end) {
            (Some(s), Some(e)) if e >= s => (clamp(s), clamp(e)),
            (Some(s), _) => (clamp(s), run.end),
            _ => (run.start, run.end),
        }
    };

    let mut children = Vec::new();
    let mut add = |tt: TestType, op: &OperationResult, (start, end)| {
        let mut attrs = vec![
            KeyValue::new("performance.test_type", tt.as_str()),
            KeyValue::new("performance.operation", op.operation_name.clone()),
            KeyValue::new(
                "performance.iterations",
                i64::try_from(op.total_requests).unwrap_or(i64::MAX),
            ),
            KeyValue::new("performance.duration_seconds", op.duration_seconds),
            KeyValue::new("performance.latency_p50_ms", op.latency_ms.p50),
            KeyValue::new("performance.latency_p95_ms", op.latency_ms.p95),
            KeyValue::new("performance.latency_p99_ms", op.latency_ms.p99),
            KeyValue::new("performance.throughput_rps", throughput(op)),
            KeyValue::new("performance.success_rate_percent", success_rate(op)),
            KeyValue::new(
                "performance.failed_requests",
                i64::try_from(op.failed_requests).unwrap_or(i64::MAX),
            ),
        ];
        // The operation's own figures: usage over its window and the change from the reading before it to the
        // one after it (`*_delta_*` are differences, not levels). Absent when not measured, and
        // `performance.resources_measured` says so.
        let measured = op.memory_usage_mb.is_some() || op.cpu_usage_percent.is_some();
        for (key, v) in [
            ("performance.memory_delta_mb", op.memory_delta_mb),
            ("performance.cpu_delta_percent", op.cpu_delta_percent),
            ("performance.memory_usage_mb", op.memory_usage_mb),
            ("performance.cpu_usage_percent", op.cpu_usage_percent),
        ] {
            if let Some(v) = v {
                attrs.push(KeyValue::new(key, v));
            }
        }
        attrs.push(KeyValue::new("performance.resources_measured", measured));
        if measured && !op.resource_source.is_empty() {
            attrs.push(KeyValue::new(
                "performance.resource_source",
                op.resource_source.clone(),
            ));
        }
        children.push(SpanPlan {
            name: format!("performance.{}.{}", tt.as_str(), op.operation_name),
            start,
            end,
            attributes: attrs,
            error: None,
        });
    };
    if let Some(b) = &record.benchmark {
        for op in &b.operations {
            let w = window(TestType::Benchmark, Some(&op.operation_name));
            add(TestType::Benchmark, op, w);
        }
    }
    if let Some(l) = &record.load {
        let w = window(TestType::Load, None);
        for op in &l.operations {
            add(TestType::Load, op, w);
        }
    }
    if let Some(s) = &record.stress {
        let w = window(TestType::Stress, None);
        for op in stress_per_operation(&s.steps) {
            add(TestType::Stress, &op, w);
        }
    }
    (run, children)
}

fn throughput(op: &OperationResult) -> f64 {
    if op.throughput_rps > 0.0 || op.duration_seconds <= 0.0 {
        op.throughput_rps
    } else {
        round3(op.total_requests as f64 / op.duration_seconds)
    }
}

fn success_rate(op: &OperationResult) -> f64 {
    if op.total_requests == 0 {
        op.success_rate_percent
    } else {
        round3(op.successful_requests as f64 * 100.0 / op.total_requests as f64)
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Gives the run span the trace id chosen before the run (spans under it inherit it).
#[derive(Debug)]
struct RunIds {
    trace_id: TraceId,
    random: RandomIdGenerator,
}

impl IdGenerator for RunIds {
    fn new_trace_id(&self) -> TraceId {
        self.trace_id
    }

    fn new_span_id(&self) -> SpanId {
        self.random.new_span_id()
    }
}

/// Keeps finished spans so that they leave in one request, synchronously, when the run is done.
#[derive(Debug, Default, Clone)]
struct Collect {
    spans: Arc<Mutex<Vec<SpanData>>>,
}

impl opentelemetry_sdk::trace::SpanProcessor for Collect {
    fn on_start(&self, _span: &mut opentelemetry_sdk::trace::Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The exporter's HTTP client: [`client::send`] with the OTLP timeout. It keeps the last network error,
/// which the exporter itself reduces to "network error", for the warning.
#[derive(Debug)]
struct OtlpClient {
    timeout: Duration,
    last_error: Arc<Mutex<Option<String>>>,
}

#[async_trait::async_trait]
impl HttpClient for OtlpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let reply = client::send(request, self.timeout).await.inspect_err(|e| {
            *self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(e.message.clone());
        })?;
        let mut response = Response::new(reply.body);
        *response.status_mut() = reply.status;
        Ok(response)
    }
}

/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT` (ms), default 10 s.
fn otlp_timeout() -> Duration {
    [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ]
    .iter()
    .find_map(|k| std::env::var(k).ok()?.trim().parse::<u64>().ok())
    .map(Duration::from_millis)
    .unwrap_or(Duration::from_secs(10))
}

/// Where the spans go, for messages (the exporter resolves it the same way).
pub fn traces_endpoint() -> String {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let url = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").unwrap_or_else(|| {
        let base = var("OTEL_EXPORTER_OTLP_ENDPOINT")
            .unwrap_or_else(|| "http://localhost:4318".to_string());
        format!("{}/v1/traces", base.trim_end_matches('/'))
    });
    crate::config::redact_userinfo(&url)
}

/// Builds and exports the run's spans. Returns how many spans were sent, or a warning sentence.
pub fn export(
    record: &RunRecord,
    phases: &[PhaseTime],
    trace_id: [u8; 16],
) -> Result<usize, String> {
    let endpoint = traces_endpoint();
    let timeout = otlp_timeout();
    let last_error: Arc<Mutex<Option<String>>> = Arc::default();
    let warn = |what: String| {
        let detail = last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        format!("could not export traces to {endpoint}: {what}{detail}")
    };
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_http_client(OtlpClient {
            timeout,
            last_error: Arc::clone(&last_error),
        })
        .build()
        .map_err(|e| warn(e.to_string()))?;

    let mut resource = Resource::builder();
    let named_by_env = std::env::var_os("OTEL_SERVICE_NAME").is_some()
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| v.contains("service.name="));
    if !named_by_env {
        resource = resource.with_service_name("perfgate");
    }
    let resource = resource
        .with_attributes([KeyValue::new(
            "service.version",
            record.environment.perfgate_version.clone(),
        )])
        .build();
    let collect = Collect::default();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(collect.clone())
        .with_id_generator(RunIds {
            trace_id: TraceId::from_bytes(trace_id),
            random: RandomIdGenerator::default(),
        })
        .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOn)
        .with_resource(resource.clone())
        .build();
    let tracer = provider.tracer("perfgate");

    let (run, children) = plan_spans(record, phases);
    let start = |p: &SpanPlan| {
        SpanBuilder::from_name(p.name.clone())
            .with_kind(SpanKind::Internal)
            .with_start_time(SystemTime::from(p.start))
            .with_attributes(p.attributes.clone())
    };
    let run_span = start(&run).start_with_context(&tracer, &Context::new());
    let run_cx = Context::new().with_span(run_span);
    for child in &children {
        let span = start(child).start_with_context(&tracer, &run_cx);
        opentelemetry::trace::Span::end_with_timestamp(&mut { span }, SystemTime::from(child.end));
    }
    if let Some(e) = &run.error {
        run_cx.span().set_status(Status::error(e.clone()));
    }
    run_cx.span().end_with_timestamp(SystemTime::from(run.end));
    drop(run_cx);
    let _ = provider.shutdown();

    let spans = std::mem::take(&mut *collect.spans.lock().unwrap_or_else(PoisonError::into_inner));
    let n = spans.len();
    exporter.set_resource(&resource);
    // The exporter retries within `timeout`; the outer bound only guards against a stuck runtime.
    let result = client::block_on(async {
        tokio::time::timeout(timeout + Duration::from_secs(2), exporter.export(spans)).await
    })
    .map_err(&warn)?;
    let _ = exporter.shutdown();
    match result {
        Ok(Ok(())) => Ok(n),
        Ok(Err(e)) => Err(warn(e.to_string())),
        Err(_) => Err(warn(format!(
            "no answer within {:.0} s",
            timeout.as_secs_f64()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_reports::record::{BenchmarkSection, LoadSection, ProcessUsage, SystemSummary};

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn record() -> RunRecord {
        let op = |name: &str| OperationResult {
            operation_name: name.into(),
            total_requests: 100,
            successful_requests: 95,
            failed_requests: 5,
            duration_seconds: 2.0,
            throughput_rps: 50.0,
            memory_usage_mb: Some(20.0),
            cpu_usage_percent: Some(7.5),
            memory_delta_mb: Some(2.5),
            cpu_delta_percent: Some(-1.5),
            resource_source: "target".into(),
            ..Default::default()
        };
        let mut rec: RunRecord = RunRecord::from_json_value(
            serde_json::json!({
                "schema": "perfgate/run@1", "run_id": "r1", "suite": "s", "test_type": "analysis",
                "started_at": "2027-01-15T08:00:00Z", "finished_at": "2027-01-15T08:01:00Z",
                "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 1, "memory_gib": 1, "fingerprint": "f"}
            }),
            "t",
        )
        .unwrap();
        rec.started_at = at(0);
        rec.finished_at = at(60);
        let system = SystemSummary {
            target: Some(ProcessUsage {
                rss_start_mb: 10.0,
                rss_end_mb: 12.5,
                cpu_avg_percent: 9.0,
                ..Default::default()
            }),
            ..Default::default()
        };
        rec.benchmark = Some(BenchmarkSection {
            operations: vec![op("a"), op("b")],
            system: system.clone(),
            ..Default::default()
        });
        rec.load = Some(LoadSection {
            operations: vec![op("a")],
            system,
            ..Default::default()
        });
        rec
    }

    fn attr<'a>(p: &'a SpanPlan, key: &str) -> Option<&'a opentelemetry::Value> {
        p.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    #[test]
    fn one_span_per_test_type_and_operation_with_observed_times() {
        let phase = |tt, label: &str, s, e| PhaseTime {
            test_type: tt,
            label: label.into(),
            start: at(s),
            end: Some(at(e)),
        };
        let phases = vec![
            phase(TestType::Benchmark, "a", 1, 3),
            phase(TestType::Benchmark, "b", 3, 6),
            phase(TestType::Load, "load (4 users)", 7, 40),
        ];
        let (run, children) = plan_spans(&record(), &phases);
        assert_eq!(run.name, "performance.run");
        assert_eq!((run.start, run.end), (at(0), at(60)));
        let names: Vec<&str> = children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "performance.benchmark.a",
                "performance.benchmark.b",
                "performance.load.a"
            ]
        );
        assert_eq!((children[1].start, children[1].end), (at(3), at(6)));
        assert_eq!((children[2].start, children[2].end), (at(7), at(40)));
        let b = &children[0];
        assert_eq!(attr(b, "performance.test_type"), Some(&"benchmark".into()));
        assert_eq!(attr(b, "performance.iterations"), Some(&100i64.into()));
        assert_eq!(attr(b, "performance.duration_seconds"), Some(&2.0.into()));
        assert_eq!(attr(b, "performance.memory_delta_mb"), Some(&2.5.into()));
        assert_eq!(
            attr(b, "performance.cpu_delta_percent"),
            Some(&(-1.5).into())
        );
        assert_eq!(attr(b, "performance.cpu_usage_percent"), Some(&7.5.into()));
        assert_eq!(
            attr(b, "performance.success_rate_percent"),
            Some(&95.0.into())
        );
        assert_eq!(attr(b, "performance.throughput_rps"), Some(&50.0.into()));
    }

    #[test]
    fn missing_phase_times_fall_back_to_the_run_and_stay_inside_it() {
        let phases = vec![PhaseTime {
            test_type: TestType::Load,
            label: "load".into(),
            start: at(-100),
            end: None,
        }];
        let (_, children) = plan_spans(&record(), &phases);
        for c in &children {
            assert!(
                c.start >= at(0) && c.end <= at(60) && c.start <= c.end,
                "{c:?}"
            );
        }
    }

    #[test]
    fn unmeasured_resources_are_absent_and_say_so() {
        let mut rec = record();
        rec.load = None;
        for op in &mut rec.benchmark.as_mut().unwrap().operations {
            op.memory_usage_mb = None;
            op.cpu_usage_percent = None;
            op.memory_delta_mb = None;
            op.cpu_delta_percent = None;
            op.resource_source.clear();
        }
        // The runner's figures are not the operation's.
        rec.system.runner = Some(ProcessUsage {
            rss_start_mb: 5.0,
            rss_end_mb: 6.0,
            cpu_avg_percent: 3.0,
            ..Default::default()
        });
        let (_, children) = plan_spans(&rec, &[]);
        let b = &children[0];
        for key in [
            "performance.memory_delta_mb",
            "performance.cpu_delta_percent",
            "performance.memory_usage_mb",
        ] {
            assert_eq!(attr(b, key), None, "{key}");
        }
        assert_eq!(
            attr(b, "performance.resources_measured"),
            Some(&false.into())
        );
    }
}

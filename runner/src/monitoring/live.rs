//! The live `/metrics` endpoint (`--metrics-addr 127.0.0.1:9464`): Prometheus can scrape a long load test
//! while it runs.
//!
//! [`LiveMetrics`] is an [`Observer`] of the engine's events; it folds them into counters under a mutex
//! (touched once a second, never by the workers). A hyper server on its own thread renders them on each
//! scrape. `performance_test_requests_total` only grows: each `Tick` adds the requests that completed in that
//! second, each finished benchmark operation adds its calls. Latency gauges are the last second's percentiles
//! of the whole mix (`operation="all"`) during load and stress, and each benchmark operation's percentiles
//! once it finished; memory, CPU and the target's disk and network bytes per second are the last sampled
//! values. Series carry the same names and labels as
//! the textfile (`suite` included), so a dashboard panel works with either.
//!
//! The address is bound before the run starts: a port in use fails the command at once (exit 2), not after
//! the run. The server stops when [`LiveEndpoint`] is dropped.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use perfgate_reports::record::TestType;
use perfgate_reports::render::prometheus::{
    self, encode, Family, MetricKind, ALL_OPERATIONS, CONTENT_TYPE as PROM_CONTENT_TYPE,
};

use crate::engine::events::{Event, Observer};

/// `performance_test_disk_bytes_per_second{test_type,direction}`: the target's disk I/O in the last second.
pub const DISK: &str = "performance_test_disk_bytes_per_second";
/// `performance_test_network_bytes_per_second{test_type,direction}`: the target's network I/O in the last
/// second (a target in a network namespace of its own only).
pub const NETWORK: &str = "performance_test_network_bytes_per_second";
use crate::error::{Error, Result};

/// What the endpoint shows.
#[derive(Debug, Default)]
struct State {
    suite: String,
    /// `target` or `runner`: whose memory and CPU the ticks carry.
    resource_source: &'static str,
    /// (test type, operation) → (successes, errors), cumulative.
    requests: BTreeMap<(TestType, String), (u64, u64)>,
    /// (test type, operation) → seconds under test so far.
    duration: BTreeMap<(TestType, String), f64>,
    /// (test type, operation) → [p50, p95, p99] ms of the last second (or of a finished benchmark operation).
    latency: BTreeMap<(TestType, String), Vec<(&'static str, f64)>>,
    /// test type → (memory MB, CPU %).
    resources: BTreeMap<TestType, (Option<f64>, Option<f64>)>,
    /// test type → the target's [disk read, disk written, net received, net sent] bytes per second.
    io: BTreeMap<TestType, [Option<f64>; 4]>,
    /// test type → users in the last second.
    users: BTreeMap<TestType, u32>,
}

impl State {
    fn render(&self) -> String {
        let suite = [("suite", self.suite.clone())];
        let mut fam = prometheus::empty_families();
        for ((tt, op), d) in &self.duration {
            let mut l = vec![
                ("test_type", tt.as_str().to_string()),
                ("operation", op.clone()),
            ];
            l.extend(suite.iter().cloned());
            fam.duration.push(l, *d);
        }
        for ((tt, op), (ok, err)) in &self.requests {
            fam.add_requests(tt.as_str(), op, *ok, *err, &suite);
        }
        for ((tt, op), ps) in &self.latency {
            for (p, ms) in ps {
                fam.add_percentile(tt.as_str(), op, p, *ms, &suite);
            }
        }
        for (tt, (m, c)) in &self.resources {
            fam.add_resources(tt.as_str(), self.resource_source, *m, *c, &suite);
        }
        let mut users = Family::new(
            prometheus::ACTIVE_USERS,
            MetricKind::Gauge,
            "Virtual users active in the last second.",
        );
        for (tt, n) in &self.users {
            users.push(
                vec![("test_type", tt.as_str().to_string()), suite[0].clone()],
                f64::from(*n),
            );
        }
        let mut disk = Family::new(
            DISK,
            MetricKind::Gauge,
            "Disk bytes per second of the target's processes in the last second (direction: read, written).",
        );
        let mut net = Family::new(
            NETWORK,
            MetricKind::Gauge,
            "Network bytes per second of the target in the last second (direction: received, sent); only for a target in a network namespace of its own.",
        );
        for (tt, io) in &self.io {
            let dirs = [
                (false, "read", io[0]),
                (false, "written", io[1]),
                (true, "received", io[2]),
                (true, "sent", io[3]),
            ];
            for (is_net, direction, v) in dirs {
                let Some(v) = v else { continue };
                let family = if is_net { &mut net } else { &mut disk };
                family.push(
                    vec![
                        ("test_type", tt.as_str().to_string()),
                        ("direction", direction.to_string()),
                        suite[0].clone(),
                    ],
                    v,
                );
            }
        }
        let mut all = fam.into_vec();
        all.push(users);
        all.extend([disk, net].into_iter().filter(|f| !f.samples.is_empty()));
        encode(&all)
    }

    fn on_event(&mut self, event: &Event<'_>) {
        match event {
            Event::Tick {
                test_type,
                point,
                operations,
                counts,
                ..
            } => {
                for (name, (req, err)) in operations.iter().zip(counts.iter()) {
                    let key = (*test_type, name.clone());
                    let c = self.requests.entry(key.clone()).or_default();
                    c.0 += req.saturating_sub(*err);
                    c.1 += err;
                    if c.0 + c.1 > 0 {
                        *self.duration.entry(key).or_default() += 1.0;
                    }
                }
                self.latency.insert(
                    (*test_type, ALL_OPERATIONS.to_string()),
                    vec![
                        ("p50", point.p50_ms),
                        ("p95", point.p95_ms),
                        ("p99", point.p99_ms),
                    ],
                );
                // The target's figures; the runner's only when the target is not known (labelled so).
                let (m, c) = if self.resource_source == "runner" {
                    (point.runner_memory_mb, point.runner_cpu_percent)
                } else {
                    (point.memory_mb, point.cpu_percent)
                };
                if m.is_some() || c.is_some() {
                    self.resources.insert(*test_type, (m, c));
                }
                let io = [
                    point.disk_read_bytes_per_sec,
                    point.disk_written_bytes_per_sec,
                    point.net_received_bytes_per_sec,
                    point.net_sent_bytes_per_sec,
                ];
                if io.iter().any(Option::is_some) {
                    self.io.insert(*test_type, io);
                }
                self.users.insert(*test_type, point.active_users);
            }
            Event::OperationFinished { test_type, result } => {
                let key = (*test_type, result.operation_name.clone());
                let c = self.requests.entry(key.clone()).or_default();
                c.0 += result.successful_requests;
                c.1 += result.failed_requests;
                *self.duration.entry(key.clone()).or_default() += result.duration_seconds;
                let l = &result.latency_ms;
                self.latency.insert(
                    key,
                    vec![
                        ("p50", l.p50),
                        ("p90", l.p90),
                        ("p95", l.p95),
                        ("p99", l.p99),
                        ("p999", l.p999),
                        ("max", l.max),
                    ],
                );
                if result.memory_usage_mb.is_some() || result.cpu_usage_percent.is_some() {
                    self.resources.insert(
                        *test_type,
                        (result.memory_usage_mb, result.cpu_usage_percent),
                    );
                }
            }
            Event::PhaseStarted {
                test_type, users, ..
            } => {
                self.users.insert(*test_type, *users);
            }
            Event::StepFinished { .. } | Event::PhaseFinished { .. } => {}
        }
    }
}

/// The observer half: feed it to the engine.
#[derive(Clone)]
pub struct LiveMetrics {
    state: Arc<Mutex<State>>,
}

impl Observer for LiveMetrics {
    fn on_event(&mut self, event: &Event<'_>) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .on_event(event);
    }
}

impl LiveMetrics {
    /// The current exposition (what a scrape returns).
    pub fn render(&self) -> String {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .render()
    }
}

/// The server half: serves `GET /metrics` until dropped.
pub struct LiveEndpoint {
    addr: SocketAddr,
    metrics: LiveMetrics,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LiveEndpoint {
    /// Binds `addr` and starts serving. `resource_source` says whose memory/CPU the ticks carry.
    pub fn start(addr: SocketAddr, suite: &str, resource_source: &'static str) -> Result<Self> {
        let listener = std::net::TcpListener::bind(addr).map_err(|e| {
            Error::Usage(format!(
                "--metrics-addr {addr}: cannot listen: {e} (pick another port, e.g. --metrics-addr 127.0.0.1:0)"
            ))
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Runtime(format!("metrics endpoint: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Runtime(format!("metrics endpoint: {e}")))?;
        let metrics = LiveMetrics {
            state: Arc::new(Mutex::new(State {
                suite: suite.to_string(),
                resource_source,
                ..State::default()
            })),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("metrics endpoint runtime: {e}")))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let served = metrics.clone();
        let thread = std::thread::Builder::new()
            .name("perfgate-metrics".into())
            .spawn(move || {
                rt.block_on(serve(listener, served, rx));
                rt.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(|e| Error::Runtime(format!("metrics endpoint thread: {e}")))?;
        Ok(Self {
            addr,
            metrics,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The observer that feeds this endpoint.
    pub fn observer(&self) -> LiveMetrics {
        self.metrics.clone()
    }
}

impl Drop for LiveEndpoint {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    metrics: LiveMetrics,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let metrics = metrics.clone();
                        async move {
                            let response = if req.uri().path() != "/metrics" {
                                reply(StatusCode::NOT_FOUND, "text/plain", "not found: scrape /metrics\n".into())
                            } else if req.method() != Method::GET && req.method() != Method::HEAD {
                                reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET /metrics\n".into())
                            } else {
                                reply(StatusCode::OK, PROM_CONTENT_TYPE, metrics.render())
                            };
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_reports::record::{OperationResult, TimelinePoint};

    fn tick(state: &mut State, counts: &[(u64, u64)], p95: f64) {
        let ops = ["a".to_string(), "b".to_string()];
        state.on_event(&Event::Tick {
            test_type: TestType::Load,
            label: "load",
            point: &TimelinePoint {
                p95_ms: p95,
                active_users: 4,
                // No target known (source "runner"): the runner's own reading is served, labelled so.
                memory_mb: None,
                runner_memory_mb: Some(10.0),
                disk_read_bytes_per_sec: Some(2048.0),
                ..Default::default()
            },
            operations: &ops,
            counts,
            elapsed_seconds: 1.0,
            expected_seconds: None,
        });
    }

    #[test]
    fn counters_accumulate_over_ticks_and_gauges_show_the_last_second() {
        let mut s = State {
            suite: "s".into(),
            resource_source: "runner",
            ..Default::default()
        };
        tick(&mut s, &[(10, 1), (0, 0)], 5.0);
        tick(&mut s, &[(20, 0), (3, 3)], 7.0);
        let text = s.render();
        for line in [
            "performance_test_requests_total{test_type=\"load\",operation=\"a\",status=\"success\",suite=\"s\"} 29",
            "performance_test_requests_total{test_type=\"load\",operation=\"a\",status=\"error\",suite=\"s\"} 1",
            "performance_test_requests_total{test_type=\"load\",operation=\"b\",status=\"error\",suite=\"s\"} 3",
            "performance_test_duration_seconds{test_type=\"load\",operation=\"a\",suite=\"s\"} 2",
            "performance_test_duration_seconds{test_type=\"load\",operation=\"b\",suite=\"s\"} 1",
            "performance_test_latency_seconds{test_type=\"load\",operation=\"all\",percentile=\"p95\",suite=\"s\"} 0.007",
            "performance_test_memory_usage_mb{test_type=\"load\",source=\"runner\",suite=\"s\"} 10",
            "performance_test_disk_bytes_per_second{test_type=\"load\",direction=\"read\",suite=\"s\"} 2048",
            "performance_test_active_users{test_type=\"load\",suite=\"s\"} 4",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn finished_benchmark_operations_are_added() {
        let mut s = State::default();
        s.on_event(&Event::OperationFinished {
            test_type: TestType::Benchmark,
            result: &OperationResult {
                operation_name: "op".into(),
                successful_requests: 40,
                failed_requests: 2,
                duration_seconds: 1.5,
                ..Default::default()
            },
        });
        let text = s.render();
        assert!(
            text.contains("operation=\"op\",status=\"success\",suite=\"\"} 40"),
            "{text}"
        );
        assert!(text.contains("performance_test_duration_seconds{test_type=\"benchmark\",operation=\"op\",suite=\"\"} 1.5"));
    }

    #[test]
    fn the_endpoint_serves_metrics_and_refuses_a_taken_port() {
        let ep = LiveEndpoint::start("127.0.0.1:0".parse().unwrap(), "s", "runner").unwrap();
        let mut obs = ep.observer();
        obs.on_event(&Event::PhaseStarted {
            test_type: TestType::Load,
            label: "load",
            expected_seconds: None,
            users: 3,
        });
        let get = |path: &str| {
            let req = hyper::Request::builder()
                .uri(format!("http://{}{path}", ep.addr()))
                .body(Bytes::new())
                .unwrap();
            super::super::client::block_on(super::super::client::send(req, Duration::from_secs(5)))
                .unwrap()
                .unwrap()
        };
        let r = get("/metrics");
        assert_eq!(r.status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&r.body)
            .contains("performance_test_active_users{test_type=\"load\",suite=\"s\"} 3"));
        assert_eq!(get("/").status, StatusCode::NOT_FOUND);
        let err = LiveEndpoint::start(ep.addr(), "s", "runner").err().unwrap();
        assert!(err.to_string().contains("--metrics-addr"), "{err}");
        drop(ep);
    }
}

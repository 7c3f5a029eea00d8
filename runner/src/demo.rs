//! The embedded demo service: something real to point perfgate at in the first minute.
//!
//! `perfgate demo` starts this HTTP service on an ephemeral loopback port and runs the `analysis` suite in
//! [`DEMO_CONFIG`] against it. Its operations mirror the framework perfgate grew from (a chat toolkit):
//! resolving a chat, fetching 10 or 50 messages, creating a resource. Latencies are log-normal with a slow
//! tail, and about 1 % of requests fail, so every part of the report has something to show.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The demo's suite. `{BASE_URL}` is replaced with the demo server's address.
pub const DEMO_CONFIG: &str = r#"# The suite `perfgate demo` runs (also a starting point for your own perfgate.toml).
suite = "demo"

[target]
base_url = "{BASE_URL}"
request_timeout = 5

[[operations]]
name = "chat_resolution"
path = "/api/chats/resolve?chat=general"
weight = 4

[[operations]]
name = "message_fetch_10"
path = "/api/messages?limit=10"
weight = 3

[[operations]]
name = "message_fetch_50"
path = "/api/messages?limit=50"
weight = 2

[[operations]]
name = "resource_creation"
method = "POST"
path = "/api/resources"
json = { kind = "note", text = "hello from perfgate" }
expect_status = [201]
weight = 1

[benchmark]
iterations = 40
warmup_iterations = 5

[load]
duration_seconds = 10
concurrent_users = 10
ramp_up_seconds = 2

[stress]
start_concurrent = 5
max_concurrent = 25
step_size = 5
step_duration_seconds = 2
step_warmup_seconds = 1
"#;

/// A running demo server. Dropping it stops the server.
pub struct DemoServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DemoServer {
    /// Starts the server on `127.0.0.1:0`.
    pub fn start() -> std::io::Result<DemoServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("perfgate-demo".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, serve(listener, rx));
            })?;
        Ok(DemoServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(listener: std::net::TcpListener, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let mut conn_seed = 1u64;
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                conn_seed = conn_seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let seed = conn_seed;
                tokio::task::spawn_local(async move {
                    let rng = std::cell::RefCell::new(SmallRng::seed_from_u64(seed));
                    let rng = std::rc::Rc::new(rng);
                    let svc = service_fn(move |req| handle(req, std::rc::Rc::clone(&rng)));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        }
    }
}

/// A log-normal sample with the given median (ms) and shape σ, plus a rare slow tail.
fn latency(rng: &mut SmallRng, median_ms: f64, sigma: f64) -> Duration {
    // Box–Muller for a standard normal.
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    let mut ms = median_ms * (sigma * z).exp();
    if rng.random::<f64>() < 0.01 {
        ms += rng.random_range(60.0..180.0);
    }
    Duration::from_secs_f64(ms / 1000.0)
}

fn query_limit(req: &Request<Incoming>) -> usize {
    req.uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("limit=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .min(500)
}

async fn handle(
    req: Request<Incoming>,
    rng: std::rc::Rc<std::cell::RefCell<SmallRng>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let (delay, fail, status, body) = {
        let mut r = rng.borrow_mut();
        let fail = r.random::<f64>() < 0.01;
        match (req.method().as_str(), path.as_str()) {
            ("GET", "/health") => (Duration::ZERO, false, StatusCode::OK, "ok".to_string()),
            ("GET", "/api/chats/resolve") => (
                latency(&mut r, 6.0, 0.35),
                fail,
                StatusCode::OK,
                r#"{"chat_id":1001,"title":"general","type":"supergroup"}"#.to_string(),
            ),
            ("GET", "/api/messages") => {
                let n = query_limit(&req);
                let body = format!(
                    "[{}]",
                    (0..n)
                        .map(|i| format!(r#"{{"id":{i},"text":"message {i}"}}"#))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                (
                    latency(&mut r, 3.0 + 0.2 * n as f64, 0.3),
                    fail,
                    StatusCode::OK,
                    body,
                )
            }
            ("POST", "/api/resources") => (
                latency(&mut r, 12.0, 0.4),
                fail,
                StatusCode::CREATED,
                r#"{"id":"res_1","created":true}"#.to_string(),
            ),
            _ => (
                Duration::ZERO,
                false,
                StatusCode::NOT_FOUND,
                "not found".to_string(),
            ),
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (status, body) = if fail {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily unavailable".to_string(),
        )
    } else {
        (status, body)
    };
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

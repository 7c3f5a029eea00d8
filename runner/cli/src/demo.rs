//! The embedded demo service: something real to point perfgate at in the first minute.
//!
//! `perfgate demo` starts this HTTP service on an ephemeral loopback port and runs the `analysis` suite in
//! [`DEMO_CONFIG`] against it. Its operations mirror the framework perfgate grew from (a chat toolkit):
//! resolving a chat, fetching 10 or 50 messages, creating a resource. Latencies are log-normal with a slow
//! tail, and about 1 % of requests fail, so every part of the report has something to show.
//!
//! The same operations are MCP tools too (`resolve_chat`, `fetch_messages` with `limit`, `create_resource`),
//! served over Streamable HTTP by rmcp under `/mcp` on the same port, so the demo shows HTTP and MCP
//! results side by side (a failing tool call answers `isError: true`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, ServerHandler};

/// The demo's suite. `{BASE_URL}` is replaced with the demo server's address, `{MCP_URL}` with its MCP
/// endpoint.
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

# The same operations as MCP tools over Streamable HTTP (each virtual user opens its own session; the
# initialize handshake is reported apart as `mcp.initialize`).
[mcp]
url = "{MCP_URL}"
session = "per_user"

[[operations]]
name = "mcp_resolve_chat"
tool = "resolve_chat"
arguments = { chat = "general" }
weight = 4

[[operations]]
name = "mcp_fetch_messages_10"
tool = "fetch_messages"
arguments = { chat = "general", limit = 10 }
weight = 3

[[operations]]
name = "mcp_create_resource"
tool = "create_resource"
arguments = { kind = "note", text = "hello from perfgate" }
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

    /// The MCP (Streamable HTTP) endpoint.
    pub fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
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
    let mcp = Arc::new(mcp_service());
    let mut conn_seed = 1u64;
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                conn_seed = conn_seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let seed = conn_seed;
                let mcp = Arc::clone(&mcp);
                tokio::task::spawn_local(async move {
                    let rng = std::cell::RefCell::new(SmallRng::seed_from_u64(seed));
                    let rng = std::rc::Rc::new(rng);
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let rng = std::rc::Rc::clone(&rng);
                        let mcp = Arc::clone(&mcp);
                        async move {
                            if req.uri().path() == "/mcp" {
                                Ok::<_, Infallible>(mcp.handle(req).await)
                            } else {
                                handle(req, rng).await.map(|r| r.map(|b| b.boxed()))
                            }
                        }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        }
    }
}

/// The demo's MCP tools over Streamable HTTP (sessions kept in memory, no SSE keep-alive pings).
fn mcp_service() -> StreamableHttpService<DemoMcp, LocalSessionManager> {
    let rng = Arc::new(Mutex::new(SmallRng::seed_from_u64(0x006d_6370)));
    StreamableHttpService::new(
        move || {
            Ok(DemoMcp {
                rng: Arc::clone(&rng),
                tool_router: DemoMcp::tool_router(),
            })
        },
        Default::default(),
        StreamableHttpServerConfig::default().with_sse_keep_alive(None),
    )
}

/// The demo's operations as MCP tools, with the HTTP endpoints' latency model and failure rate.
#[derive(Clone)]
struct DemoMcp {
    rng: Arc<Mutex<SmallRng>>,
    tool_router: ToolRouter<DemoMcp>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct ResolveArgs {
    /// Chat name or id.
    chat: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct FetchArgs {
    chat: String,
    /// How many messages (at most 500).
    limit: Option<usize>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct CreateArgs {
    kind: String,
    text: String,
}

impl DemoMcp {
    /// Waits like the HTTP endpoint would, then answers `text` (or `isError: true` for ~1 % of calls).
    async fn answer(&self, median_ms: f64, sigma: f64, text: String) -> CallToolResult {
        let (delay, fail) = {
            let mut r = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            (latency(&mut r, median_ms, sigma), r.random::<f64>() < 0.01)
        };
        tokio::time::sleep(delay).await;
        if fail {
            CallToolResult::error(vec![ContentBlock::text("temporarily unavailable")])
        } else {
            CallToolResult::success(vec![ContentBlock::text(text)])
        }
    }
}

#[tool_router]
impl DemoMcp {
    #[tool(description = "Resolves a chat by name")]
    async fn resolve_chat(
        &self,
        Parameters(ResolveArgs { chat }): Parameters<ResolveArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let body = format!(r#"{{"chat_id":1001,"title":{chat:?},"type":"supergroup"}}"#);
        Ok(self.answer(6.0, 0.35, body).await)
    }

    #[tool(description = "Fetches the last `limit` messages of a chat")]
    async fn fetch_messages(
        &self,
        Parameters(FetchArgs { chat, limit }): Parameters<FetchArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let n = limit.unwrap_or(20).min(500);
        let body = format!(
            "{{\"chat\":{chat:?},\"messages\":[{}]}}",
            (0..n)
                .map(|i| format!(r#"{{"id":{i},"text":"message {i}"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        Ok(self.answer(3.0 + 0.2 * n as f64, 0.3, body).await)
    }

    #[tool(description = "Creates a resource")]
    async fn create_resource(
        &self,
        Parameters(CreateArgs { kind, text }): Parameters<CreateArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let body = format!(
            r#"{{"id":"res_1","kind":{kind:?},"chars":{},"created":true}}"#,
            text.chars().count()
        );
        Ok(self.answer(12.0, 0.4, body).await)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for DemoMcp {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new("perfgate-demo", env!("CARGO_PKG_VERSION"));
        info
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

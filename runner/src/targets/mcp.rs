//! MCP target: tool calls, resource reads, prompt gets and tool listings on an MCP server, over stdio
//! (perfgate spawns the server) or Streamable HTTP, with rmcp (the official Rust SDK) as the client.
//!
//! Three session modes:
//! - `per_user` (default): each virtual user initializes its own session on its first call (for stdio that
//!   is its own server process, as each MCP host spawns its own server);
//! - `shared`: one session for the whole run, opened before it on a small runtime thread of its own, with
//!   every user's requests in flight on it at once (over stdio this exercises request-id pipelining);
//! - `churn`: a new session for every call (initialize, call, close).
//!
//! The initialize handshake is the target's setup work ([`Target::setup`]): the engine times it and records
//! it as the operation `mcp.initialize`, never inside a tool's latency. The negotiated protocol version and
//! the server's name and version go into the record's `targets[]`.
//!
//! Results: `isError: true` is a failure of kind `mcp_tool_error`; a JSON-RPC error is `jsonrpc_<code>`; a
//! timeout sends the MCP cancellation notification (rmcp does it when a request times out) and counts as
//! `timeout`; a closed session is `mcp_closed`. A stdio server that exits mid-run is not restarted: its
//! exit status and the tail of its stderr become a warning of the run, and its users' calls fail fast with
//! `mcp_closed` until the run ends.

pub mod process;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use perfgate_reports::record::TargetInfo;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientCapabilities, ClientConfig, ClientRequest,
    GetPromptRequest, GetPromptRequestParams, Implementation, ListToolsRequest,
    PaginatedRequestParams, ReadResourceRequest, ReadResourceRequestParams, ServerResult,
};
use rmcp::service::{ClientInitializeError, PeerRequestOptions, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};

use super::{CallError, ErrorKind, OperationSpec, Outcome, SetupDone, Target};
use crate::system::ProcessSet;
use process::{describe_status, ServerProcess, StdioCommand};

/// The side operation under which session initializations are recorded.
pub const INITIALIZE_OPERATION: &str = "mcp.initialize";

/// How many warnings about exited servers a run keeps (a per-user run over many processes could have many).
const MAX_INCIDENTS: usize = 10;

/// Where the server is.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    /// perfgate spawns the server and speaks MCP on its stdin/stdout.
    Stdio(StdioCommand),
    /// A Streamable HTTP endpoint (e.g. `http://127.0.0.1:8080/mcp`) with extra headers sent on every request.
    Http {
        url: String,
        headers: Vec<(String, String)>,
        /// Trust and client certificate for an `https://` URL (`[mcp.tls]`).
        tls: crate::tls::TlsOptions,
    },
}

/// How sessions map to virtual users (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionMode {
    #[default]
    PerUser,
    Shared,
    Churn,
}

impl SessionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::PerUser => "per_user",
            SessionMode::Shared => "shared",
            SessionMode::Churn => "churn",
        }
    }

    pub fn parse(s: &str) -> Option<SessionMode> {
        match s {
            "per_user" => Some(SessionMode::PerUser),
            "shared" => Some(SessionMode::Shared),
            "churn" => Some(SessionMode::Churn),
            _ => None,
        }
    }
}

/// What one MCP operation does.
#[derive(Clone, Debug, PartialEq)]
pub enum McpCall {
    Tool {
        name: String,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    },
    Resource {
        uri: String,
    },
    Prompt {
        name: String,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    },
    ListTools,
}

/// One MCP operation.
#[derive(Clone, Debug, PartialEq)]
pub struct McpOperation {
    pub name: String,
    pub weight: u32,
    pub call: McpCall,
    pub timeout: Option<Duration>,
}

/// What the server said about itself in the first successful initialize.
#[derive(Clone, Debug)]
struct ServerFacts {
    protocol_version: String,
    name: Option<String>,
    version: Option<String>,
}

/// One MCP session: the rmcp client and, over stdio, the server process behind it.
struct Connection {
    client: RunningService<RoleClient, ClientConfig>,
    /// Dropped after `client` (field order): the process is killed and reaped if still running.
    process: Option<ServerProcess>,
    /// Set once a call found the transport closed.
    dead: AtomicBool,
    /// Set when the exit was reported (once per connection).
    reported: AtomicBool,
}

impl Connection {
    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed) || self.client.is_transport_closed()
    }

    fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(ServerProcess::pid)
    }

    /// Closes the session (stdio: closes the server's stdin and lets it exit) and reaps the process.
    async fn close(mut self) {
        let _ = self.client.close_with_timeout(Duration::from_secs(2)).await;
        if let Some(p) = &self.process {
            if p.wait_exit(Duration::from_secs(2)).await.is_none() {
                p.kill_and_reap();
            }
        }
    }
}

/// A thread with its own runtime that hosts the shared session, so the session outlives the engine's
/// per-phase worker runtimes. Dropping it stops the runtime (after the session was closed).
struct Host {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Host {
    fn start() -> std::io::Result<Host> {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("perfgate-mcp-shared".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = handle_tx.send(Err(e));
                        return;
                    }
                };
                let _ = handle_tx.send(Ok(rt.handle().clone()));
                rt.block_on(async move {
                    let _ = stop_rx.await;
                });
            })?;
        let handle = handle_rx
            .recv()
            .map_err(|_| std::io::Error::other("the MCP session thread did not start"))??;
        Ok(Host {
            handle,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What opening a session needs; shared with the thread that hosts the shared session.
struct Core {
    endpoint: Endpoint,
    /// Timeout of the initialize handshake: the longest operation timeout (30 s when none is set).
    init_timeout: Duration,
    facts: OnceLock<ServerFacts>,
    initializes: std::sync::atomic::AtomicU64,
    /// The stdio server processes alive (what the sampler follows as the target).
    processes: ProcessSet,
}

/// An MCP server and its operations.
pub struct McpTarget {
    core: Arc<Core>,
    endpoint: Endpoint,
    mode: SessionMode,
    specs: Vec<OperationSpec>,
    ops: Vec<McpOperation>,
    /// `shared` mode: the session and the thread that hosts it.
    shared: tokio::sync::Mutex<Option<Arc<Connection>>>,
    host: Mutex<Option<Host>>,
    incidents: Mutex<Vec<String>>,
    /// `shared` mode: the initialize done before the run (by [`McpTarget::probe`]), reported by the first
    /// setup of the run so that it is recorded as `mcp.initialize`.
    unreported: Mutex<Option<SetupDone>>,
}

impl std::fmt::Debug for McpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpTarget")
            .field("endpoint", &self.address())
            .field("mode", &self.mode)
            .field("operations", &self.specs)
            .finish()
    }
}

/// One user's session (in `shared` mode, a handle on the shared one).
#[derive(Default)]
pub struct McpSession {
    conn: Option<Arc<Connection>>,
}

impl McpTarget {
    pub fn new(endpoint: Endpoint, mode: SessionMode, ops: Vec<McpOperation>) -> Self {
        let specs = ops
            .iter()
            .map(|o| OperationSpec {
                name: o.name.clone(),
                weight: o.weight,
            })
            .collect();
        let init_timeout = ops
            .iter()
            .filter_map(|o| o.timeout)
            .max()
            .unwrap_or(Duration::from_secs(30));
        Self {
            core: Arc::new(Core {
                endpoint: endpoint.clone(),
                init_timeout,
                facts: OnceLock::new(),
                initializes: std::sync::atomic::AtomicU64::new(0),
                processes: ProcessSet::default(),
            }),
            endpoint,
            mode,
            specs,
            ops,
            shared: tokio::sync::Mutex::new(None),
            host: Mutex::new(None),
            incidents: Mutex::new(Vec::new()),
            unreported: Mutex::new(None),
        }
    }

    pub fn mode(&self) -> SessionMode {
        self.mode
    }

    /// The URL, or the command line of a stdio server.
    pub fn address(&self) -> String {
        match &self.endpoint {
            Endpoint::Stdio(cmd) => cmd.display(),
            Endpoint::Http { url, .. } => url.clone(),
        }
    }

    /// The stdio server processes of the run (None for Streamable HTTP): the sampler's target.
    pub fn processes(&self) -> Option<ProcessSet> {
        matches!(self.endpoint, Endpoint::Stdio(_)).then(|| self.core.processes.clone())
    }

    /// Checks before the run that a session can be opened (spawn + initialize); in `shared` mode the
    /// session is kept as the run's shared session. The error's kind says what failed (`connect`, `spawn`,
    /// `timeout`, `jsonrpc_<code>`, `mcp_closed`).
    pub async fn probe(&self) -> Result<(), CallError> {
        match self.mode {
            SessionMode::Shared => {
                let (_, opened) = self.shared_connection().await?;
                *self.unreported.lock().unwrap_or_else(|p| p.into_inner()) = opened;
                Ok(())
            }
            SessionMode::PerUser | SessionMode::Churn => {
                let conn = self.core.connect().await?;
                conn.close().await;
                Ok(())
            }
        }
    }

    /// Ends the shared session (closing a stdio server's stdin so it exits on its own) and stops its thread.
    /// Called once after the run; later calls would open a new session.
    pub fn shutdown(&self) {
        let host = self.host.lock().unwrap_or_else(|p| p.into_inner()).take();
        let conn = self.shared.try_lock().ok().and_then(|mut s| s.take());
        if let (Some(conn), Some(host)) = (conn, host.as_ref()) {
            if let Some(p) = &conn.process {
                if let Some(status) = p.try_status() {
                    self.report_exit(&conn, Some(status));
                }
            }
            // Users' handles are gone with the engine's workers; if one is not, dropping kills and reaps.
            if let Ok(conn) = Arc::try_unwrap(conn) {
                host.handle.block_on(conn.close());
            }
        }
        drop(host);
    }
}

impl Core {
    /// [`Core::connect`], timed: what a setup reports.
    async fn timed_connect(&self) -> (Result<Connection, CallError>, Duration) {
        let t0 = std::time::Instant::now();
        let r = self.connect().await;
        (r, t0.elapsed())
    }

    /// Opens one session: spawns the server (stdio) and runs the initialize handshake.
    async fn connect(&self) -> Result<Connection, CallError> {
        let info = ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("perfgate", env!("CARGO_PKG_VERSION")),
        );
        let limit = self.init_timeout;
        let timed_out = || {
            CallError::new(
                ErrorKind::Timeout,
                format!("initialize: no answer within {:.3}s", limit.as_secs_f64()),
            )
        };
        let conn = match &self.endpoint {
            Endpoint::Stdio(cmd) => {
                let (process, stdout, stdin) = ServerProcess::spawn(cmd, Some(&self.processes))
                    .map_err(|e| {
                        CallError::new(
                            ErrorKind::Other("spawn".into()),
                            format!("{}: {e}", cmd.command),
                        )
                    })?;
                match tokio::time::timeout(limit, info.serve((stdout, stdin))).await {
                    Ok(Ok(client)) => Connection {
                        client,
                        process: Some(process),
                        dead: AtomicBool::new(false),
                        reported: AtomicBool::new(false),
                    },
                    Ok(Err(e)) => {
                        let status = process.wait_exit(Duration::from_millis(500)).await;
                        return Err(init_error(&e, status.map(|s| (s, process.stderr_tail()))));
                    }
                    Err(_) => return Err(timed_out()),
                }
            }
            Endpoint::Http { url, headers, tls } => {
                let mut map = std::collections::HashMap::new();
                for (k, v) in headers {
                    let name = reqwest::header::HeaderName::from_bytes(k.as_bytes());
                    let value = reqwest::header::HeaderValue::from_str(v);
                    if let (Ok(name), Ok(value)) = (name, value) {
                        map.insert(name, value);
                    }
                }
                // Connection pooling on (rmcp's default client opens a TCP connection per POST); one
                // client per session, so a session's connections live on the runtime that uses them.
                crate::tls::install_default_provider();
                let mut builder =
                    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
                if url.starts_with("https://") {
                    // The same rustls setup as HTTP targets (ring, system roots or `ca_file`, mTLS).
                    let config = tls
                        .client_config(&[b"http/1.1"])
                        .map_err(|e| CallError::new(ErrorKind::Tls, e.to_string()))?;
                    builder = builder.tls_backend_preconfigured(config);
                }
                let http = builder.build().map_err(|e| {
                    CallError::new(ErrorKind::Other("http_client".into()), e.to_string())
                })?;
                let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                    .custom_headers(map)
                    .max_concurrent_requests(1024);
                let transport = StreamableHttpClientTransport::with_client(http, config);
                match tokio::time::timeout(limit, info.serve(transport)).await {
                    Ok(Ok(client)) => Connection {
                        client,
                        process: None,
                        dead: AtomicBool::new(false),
                        reported: AtomicBool::new(false),
                    },
                    Ok(Err(e)) => return Err(init_error(&e, None)),
                    Err(_) => return Err(timed_out()),
                }
            }
        };
        self.initializes.fetch_add(1, Ordering::Relaxed);
        if self.facts.get().is_none() {
            if let Some(peer) = conn.client.peer_info() {
                let server = peer.server_info.as_ref();
                let _ = self.facts.set(ServerFacts {
                    protocol_version: peer.protocol_version.to_string(),
                    name: server.map(|s| s.name.clone()),
                    version: server.map(|s| s.version.clone()),
                });
            }
        }
        Ok(conn)
    }
}

impl McpTarget {
    /// The shared session, opened on the host thread on first use. Concurrent first users wait for it.
    /// Returns the initialize this call did, if it opened the session.
    async fn shared_connection(&self) -> Result<(Arc<Connection>, Option<SetupDone>), CallError> {
        let mut slot = self.shared.lock().await;
        if let Some(conn) = slot.as_ref() {
            let reopen = conn.is_dead() && matches!(self.endpoint, Endpoint::Http { .. });
            if !reopen {
                return Ok((Arc::clone(conn), None));
            }
        }
        let handle = {
            let mut host = self.host.lock().unwrap_or_else(|p| p.into_inner());
            if host.is_none() {
                *host = Some(Host::start().map_err(|e| {
                    CallError::new(ErrorKind::Other("runner".into()), e.to_string())
                })?);
            }
            host.as_ref().map(|h| h.handle.clone())
        };
        let Some(handle) = handle else {
            return Err(CallError::new(
                ErrorKind::Other("runner".into()),
                "the MCP session thread is gone",
            ));
        };
        // The session's tasks (and a stdio server's pipes) live on the host runtime.
        let core = Arc::clone(&self.core);
        let conn = handle
            .spawn(async move { core.timed_connect().await })
            .await;
        let (conn, took) = match conn {
            Ok((Ok(c), took)) => (Arc::new(c), took),
            Ok((Err(e), _)) => return Err(e),
            Err(e) => {
                return Err(CallError::new(
                    ErrorKind::Other("runner".into()),
                    e.to_string(),
                ))
            }
        };
        *slot = Some(Arc::clone(&conn));
        Ok((
            conn,
            Some(SetupDone {
                took,
                outcome: Ok(()),
            }),
        ))
    }

    /// Records (once per connection) that a stdio server exited while its session was in use.
    fn report_exit(&self, conn: &Connection, status: Option<std::process::ExitStatus>) {
        let Some(p) = &conn.process else { return };
        if conn.reported.swap(true, Ordering::Relaxed) {
            return;
        }
        let status = status
            .map(|s| describe_status(&s))
            .unwrap_or_else(|| "closed its stdout (still running)".into());
        let tail = p.stderr_tail();
        let tail = tail_lines(&tail, 8, 600);
        let msg = format!(
            "the MCP server `{}` (pid {}) exited during the run: {status}{}",
            self.address(),
            p.pid(),
            if tail.is_empty() {
                "; its stderr was empty".to_string()
            } else {
                format!("; last stderr: {tail}")
            }
        );
        let mut incidents = self.incidents.lock().unwrap_or_else(|e| e.into_inner());
        if incidents.len() < MAX_INCIDENTS {
            incidents.push(msg);
        }
    }

    /// The error for a call on a session whose transport is closed.
    async fn closed_error(&self, conn: &Connection) -> CallError {
        conn.dead.store(true, Ordering::Relaxed);
        match &conn.process {
            Some(p) => {
                let status = p.wait_exit(Duration::from_millis(500)).await;
                self.report_exit(conn, status);
                CallError::new(
                    ErrorKind::Other("mcp_closed".into()),
                    match status {
                        Some(s) => format!("the MCP server exited ({})", describe_status(&s)),
                        None => "the MCP server closed its stdout".to_string(),
                    },
                )
            }
            None => CallError::new(
                ErrorKind::Other("mcp_closed".into()),
                "the MCP session's transport closed",
            ),
        }
    }

    fn request(&self, op: usize) -> ClientRequest {
        match &self.ops[op].call {
            McpCall::Tool { name, arguments } => {
                let mut p = CallToolRequestParams::new(name.clone());
                if let Some(a) = arguments {
                    p = p.with_arguments(a.clone());
                }
                ClientRequest::CallToolRequest(CallToolRequest::new(p))
            }
            McpCall::Resource { uri } => ClientRequest::ReadResourceRequest(
                ReadResourceRequest::new(ReadResourceRequestParams::new(uri.clone())),
            ),
            McpCall::Prompt { name, arguments } => {
                let mut p = GetPromptRequestParams::new(name.clone());
                if let Some(a) = arguments {
                    p = p.with_arguments(a.clone());
                }
                ClientRequest::GetPromptRequest(GetPromptRequest::new(p))
            }
            McpCall::ListTools => ClientRequest::ListToolsRequest(ListToolsRequest::with_param(
                PaginatedRequestParams::default(),
            )),
        }
    }

    async fn send(&self, conn: &Connection, op: usize) -> Outcome {
        if conn.is_dead() {
            return Err(self.closed_error(conn).await);
        }
        let options = match self.ops[op].timeout {
            Some(t) => PeerRequestOptions::with_timeout(t),
            None => PeerRequestOptions::no_options(),
        };
        let handle = match conn
            .client
            .peer()
            .send_request_with_option(self.request(op), options)
            .await
        {
            Ok(h) => h,
            Err(e) => return Err(self.service_error(conn, e).await),
        };
        // On timeout rmcp sends `notifications/cancelled` for the request before returning.
        match handle.await_response().await {
            Ok(ServerResult::CallToolResult(r)) if r.is_error == Some(true) => {
                let text = r
                    .content
                    .iter()
                    .find_map(|c| c.as_text().map(|t| t.text.clone()))
                    .unwrap_or_default();
                Err(CallError::new(
                    ErrorKind::McpToolError,
                    truncate(&text, 200),
                ))
            }
            Ok(ServerResult::InputRequiredResult(_)) => Err(CallError::new(
                ErrorKind::Other("mcp_input_required".into()),
                "the server asked for client input (not supported by perfgate)",
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(self.service_error(conn, e).await),
        }
    }

    async fn service_error(&self, conn: &Connection, e: ServiceError) -> CallError {
        match e {
            ServiceError::McpError(data) => CallError::new(
                ErrorKind::JsonRpc(i64::from(data.code.0)),
                truncate(&data.message, 200),
            ),
            ServiceError::Timeout { timeout } => CallError::new(
                ErrorKind::Timeout,
                format!(
                    "no answer within {:.3}s (cancellation sent)",
                    timeout.as_secs_f64()
                ),
            ),
            ServiceError::TransportClosed => self.closed_error(conn).await,
            ServiceError::TransportSend(err) => {
                if conn.client.is_transport_closed() {
                    self.closed_error(conn).await
                } else {
                    CallError::new(ErrorKind::Connect, truncate(&err.to_string(), 200))
                }
            }
            other => CallError::new(
                ErrorKind::Other("mcp_protocol".into()),
                truncate(&other.to_string(), 200),
            ),
        }
    }
}

impl Drop for McpTarget {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn init_error(
    e: &ClientInitializeError,
    exited: Option<(std::process::ExitStatus, String)>,
) -> CallError {
    if let Some((status, tail)) = exited {
        let tail = tail_lines(&tail, 4, 300);
        return CallError::new(
            ErrorKind::Other("mcp_closed".into()),
            format!(
                "the MCP server exited during initialize ({}){}",
                describe_status(&status),
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(": {tail}")
                }
            ),
        );
    }
    match e {
        ClientInitializeError::JsonRpcError(data) => CallError::new(
            ErrorKind::JsonRpc(i64::from(data.code.0)),
            format!("initialize: {}", truncate(&data.message, 200)),
        ),
        ClientInitializeError::TransportError { .. }
        | ClientInitializeError::ConnectionClosed(_) => CallError::new(
            ErrorKind::Connect,
            format!(
                "initialize: {}",
                truncate(&readable_transport_error(&e), 200)
            ),
        ),
        other => CallError::new(
            ErrorKind::Other("mcp_initialize".into()),
            truncate(&other.to_string(), 200),
        ),
    }
}

/// A transport error as a person can act on it: rmcp's message names its own and reqwest's internal types
/// (`Send message error Transport [rmcp::transport::worker::WorkerTransport<…>] error: Client error: …`);
/// keep the innermost cause and what it says about the request.
fn readable_transport_error(e: &(dyn std::error::Error + '_)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    let inner = text
        .rsplit_once("Client error: ")
        .map(|(_, rest)| rest)
        .unwrap_or(&text);
    inner
        .trim_end_matches(", when send initialize request")
        .trim()
        .to_string()
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The last `lines` lines of `text`, at most `max` bytes, joined with ` | `.
fn tail_lines(text: &str, lines: usize, max: usize) -> String {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let joined = all[all.len().saturating_sub(lines)..].join(" | ");
    if joined.len() <= max {
        return joined;
    }
    let mut start = joined.len() - max;
    while !joined.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &joined[start..])
}

impl Target for McpTarget {
    type Session = McpSession;

    fn operations(&self) -> &[OperationSpec] {
        &self.specs
    }

    async fn prepare(&self) -> Result<McpSession, CallError> {
        // Sessions are opened in `setup`, so the initialize is timed as `mcp.initialize`.
        Ok(McpSession::default())
    }

    fn setup_operation(&self, _op: usize) -> Option<&str> {
        Some(INITIALIZE_OPERATION)
    }

    async fn setup(&self, session: &mut McpSession, _op: usize) -> Option<SetupDone> {
        let open = |session: &mut McpSession,
                    (r, took): (Result<Connection, CallError>, Duration)| {
            let outcome = r.map(|c| session.conn = Some(Arc::new(c)));
            Some(SetupDone { took, outcome })
        };
        match self.mode {
            SessionMode::Churn => open(session, self.core.timed_connect().await),
            SessionMode::PerUser => {
                if let Some(c) = &session.conn {
                    // A stdio server that exited is not restarted: the call fails with `mcp_closed`.
                    if !c.is_dead() || matches!(self.endpoint, Endpoint::Stdio(_)) {
                        return None;
                    }
                }
                open(session, self.core.timed_connect().await)
            }
            SessionMode::Shared => {
                if let Some(c) = &session.conn {
                    if !c.is_dead() || matches!(self.endpoint, Endpoint::Stdio(_)) {
                        return None;
                    }
                }
                let t0 = std::time::Instant::now();
                match self.shared_connection().await {
                    Ok((c, opened)) => {
                        session.conn = Some(c);
                        // The probe's initialize (before the run) is reported by the run's first setup.
                        opened.or_else(|| {
                            self.unreported
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .take()
                        })
                    }
                    Err(e) => Some(SetupDone {
                        took: t0.elapsed(),
                        outcome: Err(e),
                    }),
                }
            }
        }
    }

    async fn call(&self, session: &mut McpSession, op: usize) -> Outcome {
        let Some(conn) = session.conn.clone() else {
            return Err(CallError::new(
                ErrorKind::Other("mcp_closed".into()),
                "no MCP session",
            ));
        };
        let outcome = self.send(&conn, op).await;
        if self.mode == SessionMode::Churn {
            // Close the call's session off the measured path; a dropped runtime kills and reaps instead.
            session.conn = None;
            if let Ok(c) = Arc::try_unwrap(conn) {
                tokio::spawn(c.close());
            }
        }
        outcome
    }

    fn timeout(&self, op: usize) -> Option<Duration> {
        // rmcp times the request out itself (and sends the cancellation); the engine's limit is a backstop.
        self.ops[op].timeout.map(|t| t + Duration::from_secs(2))
    }

    fn describe(&self) -> Vec<TargetInfo> {
        let mut details = BTreeMap::new();
        details.insert(
            "transport".into(),
            serde_json::json!(match self.endpoint {
                Endpoint::Stdio(_) => "stdio",
                Endpoint::Http { .. } => "streamable_http",
            }),
        );
        details.insert("session".into(), serde_json::json!(self.mode.as_str()));
        details.insert(
            "sessions_opened".into(),
            serde_json::json!(self.core.initializes.load(Ordering::Relaxed)),
        );
        if let Some(f) = self.core.facts.get() {
            details.insert(
                "protocol_version".into(),
                serde_json::json!(f.protocol_version),
            );
            if let Some(n) = &f.name {
                details.insert("server_name".into(), serde_json::json!(n));
            }
            if let Some(v) = &f.version {
                details.insert("server_version".into(), serde_json::json!(v));
            }
        }
        vec![TargetInfo {
            name: "mcp".into(),
            kind: "mcp".into(),
            address: Some(self.address()),
            details,
            prepare_ms: None,
        }]
    }

    fn process_id(&self) -> Option<u32> {
        self.shared
            .try_lock()
            .ok()
            .and_then(|s| s.as_ref().and_then(|c| c.pid()))
    }

    fn warnings(&self) -> Vec<String> {
        self.incidents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_error_reads_as_its_cause_not_rmcp_internals() {
        #[derive(Debug)]
        struct Raw(&'static str);
        impl std::fmt::Display for Raw {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Raw {}
        let raw = Raw(
            "Send message error Transport [rmcp::transport::worker::WorkerTransport<rmcp::transport::\
             streamable_http_client::StreamableHttpClientWorker<reqwest::async_impl::client::Client>>] \
             error: Client error: error sending request for url (http://127.0.0.1:1/mcp), when send \
             initialize request",
        );
        assert_eq!(
            readable_transport_error(&raw),
            "error sending request for url (http://127.0.0.1:1/mcp)"
        );
        assert_eq!(
            readable_transport_error(&Raw("connection reset")),
            "connection reset"
        );
    }

    #[test]
    fn session_modes_round_trip() {
        for m in [
            SessionMode::PerUser,
            SessionMode::Shared,
            SessionMode::Churn,
        ] {
            assert_eq!(SessionMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(SessionMode::parse("pooled"), None);
    }

    #[test]
    fn stderr_tail_lines_are_bounded() {
        let text = "a\n\nb\nc\nd\n";
        assert_eq!(tail_lines(text, 2, 100), "c | d");
        let long = "x".repeat(1000);
        let t = tail_lines(&long, 2, 10);
        assert!(t.starts_with('…') && t.len() <= 10 + '…'.len_utf8());
        assert_eq!(truncate("héllo", 2), "h…");
    }
}

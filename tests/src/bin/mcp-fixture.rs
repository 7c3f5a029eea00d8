//! A fixture MCP server for perfgate's end-to-end tests, written with rmcp.
//!
//! Over stdio by default (perfgate spawns it), or over Streamable HTTP with `--http ADDR` (it prints
//! `listening on http://ADDR/mcp` on stdout once bound). Its tools behave in known ways so tests can assert
//! perfgate's numbers and error kinds:
//!
//! - `noop`: answers at once; `sleep_ms {ms}`: answers after `ms` milliseconds;
//! - `fail`: answers `isError: true`; `invalid`: answers a JSON-RPC error (-32602);
//! - `crash`: on its N-th call (`--crash-after N`, default 5) the server writes a line to stderr and exits
//!   with status 3 without answering;
//! - `hang`: never answers; a cancellation notification from the client ends it and is counted;
//! - `stats`: the counters below as JSON.
//!
//! It counts calls in flight and keeps the maximum, so a test can check from the server's side that a
//! client pipelined requests on one session. With `--stats-file PATH` the counters are also written there
//! (when the maximum rises, and when the server ends).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, GetPromptResult, PromptMessage, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ResourceContents, Role, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    prompt, prompt_handler, prompt_router, schemars, tool, tool_handler, tool_router, ErrorData,
    RoleServer, ServerHandler, ServiceExt,
};

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    cancelled: AtomicU64,
    crash_calls: AtomicU64,
}

struct Shared {
    counters: Counters,
    crash_after: u64,
    stats_file: Option<PathBuf>,
}

impl Shared {
    fn stats(&self) -> serde_json::Value {
        let c = &self.counters;
        serde_json::json!({
            "calls": c.calls.load(Ordering::SeqCst),
            "in_flight": c.in_flight.load(Ordering::SeqCst),
            "max_in_flight": c.max_in_flight.load(Ordering::SeqCst),
            "cancelled": c.cancelled.load(Ordering::SeqCst),
            "pid": std::process::id(),
        })
    }

    fn write_stats(&self) {
        if let Some(path) = &self.stats_file {
            let tmp = path.with_extension("tmp");
            if std::fs::write(&tmp, self.stats().to_string()).is_ok() {
                let _ = std::fs::rename(&tmp, path);
            }
        }
    }
}

/// Counts one call in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let c = &shared.counters;
        c.calls.fetch_add(1, Ordering::SeqCst);
        let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        if c.max_in_flight.fetch_max(now, Ordering::SeqCst) < now {
            shared.write_stats();
        }
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Clone)]
struct Fixture {
    shared: Arc<Shared>,
    tool_router: ToolRouter<Self>,
    prompt_router: PromptRouter<Self>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct SleepArgs {
    /// Milliseconds to wait before answering.
    ms: u64,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct GreetArgs {
    name: String,
}

#[tool_router]
impl Fixture {
    #[tool(description = "Answers at once")]
    async fn noop(&self) -> Result<CallToolResult, ErrorData> {
        let _g = InFlight::enter(&self.shared);
        Ok(CallToolResult::success(vec![ContentBlock::text("ok")]))
    }

    #[tool(description = "Answers after `ms` milliseconds")]
    async fn sleep_ms(
        &self,
        Parameters(SleepArgs { ms }): Parameters<SleepArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let _g = InFlight::enter(&self.shared);
        tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
        Ok(CallToolResult::success(vec![ContentBlock::text("slept")]))
    }

    #[tool(description = "Answers with isError: true")]
    async fn fail(&self) -> Result<CallToolResult, ErrorData> {
        let _g = InFlight::enter(&self.shared);
        Ok(CallToolResult::error(vec![ContentBlock::text(
            "the fixture's tool failed on purpose",
        )]))
    }

    #[tool(description = "Answers with a JSON-RPC error (-32602)")]
    async fn invalid(&self) -> Result<CallToolResult, ErrorData> {
        let _g = InFlight::enter(&self.shared);
        Err(ErrorData::invalid_params("rejected on purpose", None))
    }

    #[tool(description = "Crashes the server on its N-th call (--crash-after)")]
    async fn crash(&self) -> Result<CallToolResult, ErrorData> {
        let _g = InFlight::enter(&self.shared);
        let n = self
            .shared
            .counters
            .crash_calls
            .fetch_add(1, Ordering::SeqCst)
            + 1;
        if n >= self.shared.crash_after {
            eprintln!("mcp-fixture: crashing on purpose after {n} calls");
            self.shared.write_stats();
            std::process::exit(3);
        }
        Ok(CallToolResult::success(vec![ContentBlock::text(
            "still alive",
        )]))
    }

    #[tool(description = "Never answers; ends when the client cancels it")]
    async fn hang(&self, context: RequestContext<RoleServer>) -> Result<CallToolResult, ErrorData> {
        let _g = InFlight::enter(&self.shared);
        context.ct.cancelled().await;
        self.shared
            .counters
            .cancelled
            .fetch_add(1, Ordering::SeqCst);
        self.shared.write_stats();
        Err(ErrorData::internal_error("cancelled", None))
    }

    #[tool(description = "The fixture's counters")]
    async fn stats(&self) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult::success(vec![ContentBlock::text(
            self.shared.stats().to_string(),
        )]))
    }
}

#[prompt_router]
impl Fixture {
    #[prompt(name = "greeting", description = "A greeting for `name`")]
    async fn greeting(
        &self,
        Parameters(GreetArgs { name }): Parameters<GreetArgs>,
    ) -> Result<GetPromptResult, ErrorData> {
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(
            Role::User,
            format!("Hello, {name}"),
        )]))
    }
}

#[tool_handler(router = self.tool_router)]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        );
        info.server_info = rmcp::model::Implementation::new("mcp-fixture", "1.2.3");
        info
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri == "fixture://readme" {
            Ok(ReadResourceResult::new(vec![ResourceContents::text(
                "the fixture's readme",
                request.uri,
            )])
            .into())
        } else {
            Err(ErrorData::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ))
        }
    }
}

struct Args {
    http: Option<String>,
    crash_after: u64,
    stats_file: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        http: None,
        crash_after: 5,
        stats_file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--http" => args.http = Some(value()?),
            "--crash-after" => {
                args.crash_after = value()?
                    .parse()
                    .map_err(|_| "--crash-after needs a number".to_string())?
            }
            "--stats-file" => args.stats_file = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mcp-fixture: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let shared = Arc::new(Shared {
        counters: Counters::default(),
        crash_after: args.crash_after.max(1),
        stats_file: args.stats_file,
    });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mcp-fixture: runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        match &args.http {
            None => serve_stdio(Arc::clone(&shared)).await,
            Some(addr) => serve_http(Arc::clone(&shared), addr).await,
        }
    });
    shared.write_stats();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcp-fixture: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

fn fixture(shared: Arc<Shared>) -> Fixture {
    Fixture {
        shared,
        tool_router: Fixture::tool_router(),
        prompt_router: Fixture::prompt_router(),
    }
}

async fn serve_stdio(shared: Arc<Shared>) -> Result<(), String> {
    eprintln!("mcp-fixture: serving on stdio (pid {})", std::process::id());
    let running = fixture(shared)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("initialize: {e}"))?;
    running.waiting().await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn serve_http(shared: Arc<Shared>, addr: &str) -> Result<(), String> {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("bind {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let service: StreamableHttpService<Fixture, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(fixture(Arc::clone(&shared))),
        Default::default(),
        StreamableHttpServerConfig::default().with_sse_keep_alive(None),
    );
    let service = Arc::new(service);
    println!("listening on http://{local}/mcp");
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let service = Arc::clone(&service);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let service = Arc::clone(&service);
                async move { Ok::<_, std::convert::Infallible>(service.handle(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
        });
    }
}

//! Targets: what perfgate calls.
//!
//! Every kind of target (HTTP endpoint, shell command, MCP server, an async closure from the library API)
//! implements one trait, [`Target`], and the engine's schedules are generic over it: the CLI's suite and a
//! library user's closures run through the same code. A target is shared by all workers; each virtual user
//! owns one [`Target::Session`] (an HTTP connection, an MCP session, …) created by [`Target::prepare`], which
//! the engine times apart from the calls.
//!
//! Some targets need work before a call that is not the call's own cost — an MCP session in `churn` mode
//! initializes a new session for every call. Such a target names a *side operation* for that work
//! ([`Target::setup_operation`], e.g. `mcp.initialize`) and does it in [`Target::setup`]; the engine times it
//! and records it under that name, never inside the operation's latency.
//!
//! The hot path is `call`: it returns an [`Outcome`] by value and must not allocate on success.

pub mod command;
pub mod dispatch;
pub mod http;
pub mod mcp;

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

/// Why one call failed. The kind is the key under `errors` in the run record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The call did not finish within its timeout.
    Timeout,
    /// No connection could be made (refused, reset before a response, DNS).
    Connect,
    /// The TLS handshake failed (expired or untrusted certificate, name mismatch, client certificate
    /// refused); the message says which.
    Tls,
    /// The server answered 5xx.
    Http5xx,
    /// The server answered 4xx.
    Http4xx,
    /// Any other status not in the expected set (e.g. a 3xx, or a 2xx when another was expected).
    HttpStatus,
    /// A command exited non-zero (or was killed by a signal).
    ExitCode,
    /// Reading or writing failed mid-request.
    Io,
    /// An MCP tool answered `isError: true`.
    McpToolError,
    /// A JSON-RPC error with this code.
    JsonRpc(i64),
    /// The operation panicked (library API).
    Panic,
    /// Anything else, with a short stable key.
    Other(Cow<'static, str>),
}

impl ErrorKind {
    /// The stable key used in records, metrics and reports.
    pub fn key(&self) -> Cow<'static, str> {
        match self {
            ErrorKind::Timeout => "timeout".into(),
            ErrorKind::Connect => "connect".into(),
            ErrorKind::Tls => "tls".into(),
            ErrorKind::Http5xx => "http_5xx".into(),
            ErrorKind::Http4xx => "http_4xx".into(),
            ErrorKind::HttpStatus => "http_status".into(),
            ErrorKind::ExitCode => "exit_code".into(),
            ErrorKind::Io => "io".into(),
            ErrorKind::McpToolError => "mcp_tool_error".into(),
            ErrorKind::JsonRpc(code) => format!("jsonrpc_{code}").into(),
            ErrorKind::Panic => "panic".into(),
            ErrorKind::Other(k) => k.clone(),
        }
    }
}

/// A failed call: its kind and, when cheap to have, a message for the record's `error_samples`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    pub kind: ErrorKind,
    pub message: Option<String>,
}

impl CallError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: Some(message.into()),
        }
    }

    pub fn kind(kind: ErrorKind) -> Self {
        Self {
            kind,
            message: None,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {m}", self.kind.key()),
            None => f.write_str(&self.kind.key()),
        }
    }
}

impl std::error::Error for CallError {}

/// The result of one call.
pub type Outcome = Result<(), CallError>;

/// What a target's [`Target::setup`] did: how long the work took (timed by the target, which may report
/// work done earlier, e.g. a shared session opened before the run) and whether it succeeded.
#[derive(Clone, Debug, PartialEq)]
pub struct SetupDone {
    pub took: Duration,
    pub outcome: Outcome,
}

/// One named operation of a target and its weight in a load mix.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationSpec {
    pub name: String,
    /// Relative weight in the load/stress mix (0 = not part of the mix, benchmark only).
    pub weight: u32,
}

/// Something perfgate can call. See the module docs.
///
/// Futures need not be `Send`: each worker runs its users on a current-thread runtime, so sessions never
/// cross threads. The target itself is shared by all workers and must be `Send + Sync`.
pub trait Target: Send + Sync + 'static {
    /// Per-user state: a connection, a session, nothing.
    type Session: 'static;

    /// The operations this target offers, indexed by position in `call`.
    fn operations(&self) -> &[OperationSpec];

    /// Opens one session (connect, handshake, spawn, initialize). Timed apart from calls.
    fn prepare(&self) -> impl Future<Output = Result<Self::Session, CallError>>;

    /// Performs operation `op` once on `session`.
    fn call(&self, session: &mut Self::Session, op: usize) -> impl Future<Output = Outcome>;

    /// The side operation under which the engine records [`Target::setup`] for `op` (e.g. `mcp.initialize`).
    /// `None` (the default): `op` needs no setup and the engine never calls `setup` for it.
    fn setup_operation(&self, _op: usize) -> Option<&str> {
        None
    }

    /// Gets `session` ready for a call of `op` (opens an MCP session, …). Returns `None` when nothing had to
    /// be done, else what was done, which the engine records under [`Target::setup_operation`]. A failed
    /// setup fails the call too (with the setup's error).
    fn setup(
        &self,
        _session: &mut Self::Session,
        _op: usize,
    ) -> impl Future<Output = Option<SetupDone>> {
        std::future::ready(None)
    }

    /// Things the run record should warn about, collected after the run (e.g. a server process that exited
    /// during the run, with its exit status and the tail of its stderr).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// The timeout the engine applies around each call (None: no timeout).
    fn timeout(&self, _op: usize) -> Option<Duration> {
        None
    }

    /// Facts about the target for the run record (`targets[]`), called once after the run.
    fn describe(&self) -> Vec<perfgate_reports::record::TargetInfo> {
        Vec::new()
    }

    /// OS process id of the service behind the target when known (for CPU/RSS sampling).
    fn process_id(&self) -> Option<u32> {
        None
    }

    /// A cost included in every call's latency that is not the operation's own (e.g. process spawn for
    /// command targets), reported apart in the record.
    fn overhead_ms(&self, _op: usize) -> Option<f64> {
        None
    }
}

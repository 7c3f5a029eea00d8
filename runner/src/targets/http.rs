//! HTTP/1.1 target, over TCP or TLS: one keep-alive connection per virtual user.
//!
//! Each operation's request is serialized to bytes once, at construction (request line, `Host`, headers,
//! `Content-Length`, body), so a call writes one buffer and formats nothing; only a `traceparent` header,
//! when propagation is on, is spliced in per request. The response is parsed as it streams in and its body
//! discarded (nothing is buffered) by [`wire::Conn`]. A connection that the server closed is re-opened on
//! the next call; the cost of that reconnect is part of that call's latency, as it would be for a real
//! client. Over TLS (`https://`) the handshake of every new connection is done in [`Target::setup`] and
//! recorded apart, under the side operation `tls.handshake`: request latency never includes a handshake, and
//! a failed handshake is an error of kind `tls` whose message says why (expired, unknown CA, name mismatch).

pub mod userinfo;
pub(crate) mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode, Uri};
use tokio::net::TcpStream;

use super::{CallError, ErrorKind, OperationSpec, Outcome, SetupDone, Target};
use crate::monitoring::traceparent::TraceParent;
use crate::tls::{self, TlsOptions};

use perfgate_reports::record::TargetInfo;

/// Which statuses count as success.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectStatus {
    /// Any 2xx (the default).
    Success,
    /// Exactly one of these.
    OneOf(Vec<u16>),
}

impl ExpectStatus {
    fn accepts(&self, status: StatusCode) -> bool {
        match self {
            ExpectStatus::Success => status.is_success(),
            ExpectStatus::OneOf(list) => list.contains(&status.as_u16()),
        }
    }
}

/// One HTTP operation, fully resolved.
#[derive(Clone, Debug)]
pub struct HttpOperation {
    pub name: String,
    pub weight: u32,
    pub method: Method,
    /// Path and query, relative to the target's base URL.
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<(Bytes, Option<HeaderValue>)>,
    pub expect: ExpectStatus,
    pub timeout: Option<Duration>,
}

/// How the target talks to its server, beyond the URL: TLS trust, keep-alive, compression, where to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// Trust and client certificate for `https://` URLs (ignored for `http://`).
    pub tls: TlsOptions,
    /// Reuse a connection for the next request (true). False: every request says `Connection: close` and
    /// gets a new connection (and, over TLS, a new handshake).
    pub keep_alive: bool,
    /// `Accept-Encoding` sent with every request (None: none is sent, and servers answer uncompressed).
    pub accept_encoding: Option<String>,
    /// Connect to this `host:port` instead of the URL's (like curl's `--connect-to`); `Host`, SNI and the
    /// certificate check still use the URL's host.
    pub connect_to: Option<String>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            tls: TlsOptions::default(),
            keep_alive: true,
            accept_encoding: None,
            connect_to: None,
        }
    }
}

/// Errors building an HTTP target from configuration.
#[derive(Debug, thiserror::Error)]
pub enum HttpConfigError {
    #[error("base URL `{0}` is not a valid http:// or https:// URL")]
    BaseUrl(String),
    #[error("operation `{op}`: path `{path}` does not form a valid URI with the base URL")]
    Path { op: String, path: String },
    #[error("`{0}`: not a valid TLS server name (SNI)")]
    ServerName(String),
    #[error("`accept_encoding`: not a valid header value")]
    AcceptEncoding,
    #[error("{0}")]
    Tls(#[from] tls::TlsSetupError),
}

/// What a TLS target needs to open a connection.
struct TlsClient {
    connector: tokio_rustls::TlsConnector,
    server_name: rustls::pki_types::ServerName<'static>,
    insecure: bool,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("server_name", &self.server_name)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct PreparedOp {
    /// Request line and headers, each line ending in CRLF, without the blank line.
    head: Vec<u8>,
    body: Bytes,
    /// `head`, the blank line and `body`: what is written when nothing is added per request.
    whole: Vec<u8>,
    is_head: bool,
    expect: ExpectStatus,
    timeout: Option<Duration>,
}

impl PreparedOp {
    fn new(
        method: &Method,
        uri: &Uri,
        host: &HeaderValue,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
        content_type: Option<HeaderValue>,
    ) -> PreparedOp {
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut head = Vec::with_capacity(128 + target.len());
        head.extend_from_slice(method.as_str().as_bytes());
        head.push(b' ');
        head.extend_from_slice(target.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        let mut line = |name: &[u8], value: &[u8]| {
            head.extend_from_slice(name);
            head.extend_from_slice(b": ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        };
        line(b"host", host.as_bytes());
        for (k, v) in headers {
            line(k.as_str().as_bytes(), v.as_bytes());
        }
        if let Some(ct) = &content_type {
            line(b"content-type", ct.as_bytes());
        }
        let sends_length = !body.is_empty()
            || !matches!(
                *method,
                Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
            );
        if sends_length {
            line(b"content-length", body.len().to_string().as_bytes());
        }
        let mut whole = Vec::with_capacity(head.len() + 2 + body.len());
        whole.extend_from_slice(&head);
        whole.extend_from_slice(b"\r\n");
        whole.extend_from_slice(&body);
        PreparedOp {
            head,
            body,
            whole,
            is_head: *method == Method::HEAD,
            expect: ExpectStatus::Success,
            timeout: None,
        }
    }
}

/// An HTTP service at one base URL.
#[derive(Debug)]
pub struct HttpTarget {
    base_url: String,
    authority: String,
    specs: Vec<OperationSpec>,
    ops: Vec<PreparedOp>,
    pid: Option<u32>,
    /// Longest wait for a connection: the longest operation timeout (`request_timeout`), so a full accept
    /// queue costs that, not the kernel's SYN retries (over a minute). `None` when an operation has none.
    connect_timeout: Option<Duration>,
    /// The run's trace context when `propagate_trace_context` is on (None: not a single byte of cost).
    traceparent: Option<TraceParent>,
    /// Set for `https://`.
    tls: Option<TlsClient>,
    keep_alive: bool,
}

impl HttpTarget {
    /// Builds a target for `base_url` (e.g. `http://127.0.0.1:8080/api`) and its operations.
    ///
    /// Userinfo in the URL (`http://user:pass@host/`) is sent as Basic auth (unless an operation sets its own
    /// `Authorization`) and kept out of the host, the messages and the record.
    pub fn new(base_url: &str, operations: Vec<HttpOperation>) -> Result<Self, HttpConfigError> {
        Self::with_options(base_url, operations, &HttpOptions::default())
    }

    /// [`HttpTarget::new`] with TLS, keep-alive, compression and connect-to options.
    pub fn with_options(
        base_url: &str,
        operations: Vec<HttpOperation>,
        options: &HttpOptions,
    ) -> Result<Self, HttpConfigError> {
        let bad_url = || HttpConfigError::BaseUrl(userinfo::redact(base_url));
        let (clean_url, credentials) = userinfo::split(base_url);
        let base_url = clean_url.as_str();
        let basic = credentials
            .map(|c| HeaderValue::from_str(&c.basic_authorization()).map_err(|_| bad_url()))
            .transpose()?;
        let uri: Uri = base_url.parse().map_err(|_| bad_url())?;
        let secure = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad_url()),
        };
        let authority = uri.authority().ok_or_else(bad_url)?.clone();
        let host_header = HeaderValue::from_str(authority.as_str()).map_err(|_| bad_url())?;
        let tls = if secure {
            let host = authority.host();
            let server_name = tls::server_name(host)
                .ok_or_else(|| HttpConfigError::ServerName(host.to_string()))?;
            let config = options.tls.client_config(&[b"http/1.1"])?;
            Some(TlsClient {
                connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
                server_name,
                insecure: options.tls.insecure_skip_verify,
            })
        } else {
            None
        };
        let authority = match &options.connect_to {
            Some(to) => to.clone(),
            None if authority.port().is_some() => authority.to_string(),
            None => format!("{}:{}", authority.host(), if secure { 443 } else { 80 }),
        };
        let mut extra = Vec::new();
        if let Some(enc) = &options.accept_encoding {
            let v = HeaderValue::from_str(enc).map_err(|_| HttpConfigError::AcceptEncoding)?;
            extra.push((hyper::header::ACCEPT_ENCODING, v));
        }
        if !options.keep_alive {
            extra.push((hyper::header::CONNECTION, HeaderValue::from_static("close")));
        }
        let prefix = uri.path().trim_end_matches('/').to_string();
        let mut specs = Vec::with_capacity(operations.len());
        let mut ops = Vec::with_capacity(operations.len());
        for mut op in operations {
            if let Some(basic) = &basic {
                if !op
                    .headers
                    .iter()
                    .any(|(k, _)| k == hyper::header::AUTHORIZATION)
                {
                    op.headers
                        .push((hyper::header::AUTHORIZATION, basic.clone()));
                }
            }
            let joined = if op.path.starts_with('/') {
                format!("{prefix}{}", op.path)
            } else if op.path.is_empty() {
                if prefix.is_empty() {
                    "/".to_string()
                } else {
                    prefix.clone()
                }
            } else {
                format!("{prefix}/{}", op.path)
            };
            let path_uri: Uri = joined.parse().map_err(|_| HttpConfigError::Path {
                op: op.name.clone(),
                path: op.path.clone(),
            })?;
            for (k, v) in &extra {
                if !op.headers.iter().any(|(h, _)| h == k) {
                    op.headers.push((k.clone(), v.clone()));
                }
            }
            let (body, content_type) = op.body.unwrap_or_default();
            specs.push(OperationSpec {
                name: op.name,
                weight: op.weight,
            });
            ops.push(PreparedOp {
                expect: op.expect,
                timeout: op.timeout,
                ..PreparedOp::new(
                    &op.method,
                    &path_uri,
                    &host_header,
                    &op.headers,
                    body,
                    content_type,
                )
            });
        }
        let connect_timeout = ops
            .iter()
            .map(|o| o.timeout)
            .try_fold(Duration::ZERO, |longest, t| t.map(|t| longest.max(t)));
        Ok(Self {
            base_url: base_url.to_string(),
            authority,
            specs,
            ops,
            pid: None,
            connect_timeout,
            traceparent: None,
            tls,
            keep_alive: options.keep_alive,
        })
    }

    /// Tells the target which OS process serves it (for CPU/RSS sampling).
    pub fn with_process_id(mut self, pid: Option<u32>) -> Self {
        self.pid = pid;
        self
    }

    /// Sends a W3C `traceparent` (this trace id, a new span id per request) with every request.
    pub fn with_trace_propagation(mut self, trace: Option<TraceParent>) -> Self {
        self.traceparent = trace;
        self
    }

    /// The `host:port` this target connects to.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Opens a connection; over TLS also does the handshake and returns how long the handshake took.
    async fn connect(&self) -> Result<(wire::Conn, Option<Duration>), CallError> {
        let stream = self.connect_tcp().await?;
        let Some(tls) = &self.tls else {
            return Ok((wire::Conn::new(wire::Io::Plain(stream)), None));
        };
        let t0 = Instant::now();
        let handshake = tls.connector.connect(tls.server_name.clone(), stream);
        // The handshake shares the connect's limit: a server that accepts and never answers is a timeout.
        let done = match self.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, handshake).await.map_err(|_| {
                CallError::new(
                    ErrorKind::Timeout,
                    format!(
                        "{}: no TLS handshake within {:.3} s (request_timeout)",
                        self.authority,
                        limit.as_secs_f64()
                    ),
                )
            })?,
            None => handshake.await,
        };
        let took = t0.elapsed();
        match done {
            Ok(s) => Ok((wire::Conn::new(wire::Io::Tls(Box::new(s))), Some(took))),
            Err(e) if is_connection_lost(&e) && e.get_ref().is_none() => Err(CallError::new(
                ErrorKind::Tls,
                format!(
                    "{}: the server closed the connection during the TLS handshake ({e}; is it a TLS port?)",
                    self.authority
                ),
            )),
            Err(e) => Err(CallError::new(
                ErrorKind::Tls,
                format!("{}: {}", self.authority, tls::handshake_cause(&e)),
            )),
        }
    }

    async fn connect_tcp(&self) -> Result<TcpStream, CallError> {
        let connect = TcpStream::connect(&self.authority);
        let connected = match self.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, connect).await.map_err(|_| {
                CallError::new(
                    ErrorKind::Connect,
                    format!(
                        "{}: no connection within {:.3} s (request_timeout)",
                        self.authority,
                        limit.as_secs_f64()
                    ),
                )
            })?,
            None => connect.await,
        };
        let stream = connected
            .map_err(|e| CallError::new(ErrorKind::Connect, format!("{}: {e}", self.authority)))?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

/// One user's connection (re-opened when the server closes it), and a buffer for requests that get a
/// per-request header.
pub struct HttpSession {
    conn: Option<wire::Conn>,
    scratch: Vec<u8>,
    /// The handshake of a connection opened by `prepare`, not yet reported by `setup`.
    handshake: Option<Duration>,
}

impl Target for HttpTarget {
    type Session = HttpSession;

    fn operations(&self) -> &[OperationSpec] {
        &self.specs
    }

    async fn prepare(&self) -> Result<HttpSession, CallError> {
        let (conn, handshake) = self.connect().await?;
        Ok(HttpSession {
            conn: Some(conn),
            scratch: Vec::new(),
            handshake,
        })
    }

    fn setup_operation(&self, _op: usize) -> Option<&str> {
        self.tls.as_ref().map(|_| tls::HANDSHAKE_OPERATION)
    }

    /// Over TLS: reports the handshake of the connection `prepare` opened, or opens a new connection (with
    /// its handshake) when the last one was closed. Plain HTTP needs no setup.
    async fn setup(&self, session: &mut HttpSession, _op: usize) -> Option<SetupDone> {
        self.tls.as_ref()?;
        if let Some(took) = session.handshake.take() {
            return Some(SetupDone {
                took,
                outcome: Ok(()),
            });
        }
        if session.conn.is_some() {
            return None;
        }
        let t0 = Instant::now();
        Some(match self.connect().await {
            Ok((conn, took)) => {
                session.conn = Some(conn);
                SetupDone {
                    took: took.unwrap_or_default(),
                    outcome: Ok(()),
                }
            }
            Err(e) => SetupDone {
                took: t0.elapsed(),
                outcome: Err(e),
            },
        })
    }

    async fn call(&self, session: &mut HttpSession, op: usize) -> Outcome {
        let prepared = &self.ops[op];
        let mut conn = match session.conn.take() {
            Some(c) => c,
            None => self.connect().await?.0,
        };
        let request: &[u8] = match self.traceparent.as_ref().and_then(TraceParent::next_header) {
            Some(tp) => {
                let buf = &mut session.scratch;
                buf.clear();
                buf.extend_from_slice(&prepared.head);
                buf.extend_from_slice(b"traceparent: ");
                buf.extend_from_slice(tp.as_bytes());
                buf.extend_from_slice(b"\r\n\r\n");
                buf.extend_from_slice(&prepared.body);
                buf
            }
            None => &prepared.whole,
        };
        let answer = conn
            .round_trip(request, prepared.is_head)
            .await
            .map_err(|e| {
                // The connection is unusable; the next call reconnects.
                if let wire::WireError::Io(io) = &e {
                    // TLS 1.3: a server that refuses the client's certificate says so with an alert after
                    // the client's side of the handshake is done, i.e. on the first read.
                    if is_tls_error(io) {
                        return CallError::new(
                            ErrorKind::Tls,
                            format!("{}: {}", self.authority, tls::handshake_cause(io)),
                        );
                    }
                }
                let kind = match &e {
                    wire::WireError::Closed(_) => ErrorKind::Connect,
                    wire::WireError::Truncated(_) => ErrorKind::Other("truncated".into()),
                    wire::WireError::Io(io) if is_connection_lost(io) => ErrorKind::Connect,
                    wire::WireError::Io(_) => ErrorKind::Io,
                    wire::WireError::Invalid(_) => ErrorKind::Other("protocol".into()),
                };
                CallError::new(kind, e.to_string())
            })?;
        if answer.reusable && self.keep_alive {
            session.conn = Some(conn);
        }
        let status = StatusCode::from_u16(answer.status)
            .map_err(|_| CallError::new(ErrorKind::Other("protocol".into()), "bad status code"))?;
        if prepared.expect.accepts(status) {
            Ok(())
        } else {
            let kind = if status.is_server_error() {
                ErrorKind::Http5xx
            } else if status.is_client_error() {
                ErrorKind::Http4xx
            } else {
                ErrorKind::HttpStatus
            };
            Err(CallError::new(kind, format!("HTTP {}", status.as_u16())))
        }
    }

    fn timeout(&self, op: usize) -> Option<Duration> {
        self.ops[op].timeout
    }

    fn describe(&self) -> Vec<TargetInfo> {
        let mut details = std::collections::BTreeMap::new();
        if let Some(tls) = &self.tls {
            details.insert("tls".into(), serde_json::Value::Bool(true));
            details.insert(
                "tls_insecure_skip_verify".into(),
                serde_json::Value::Bool(tls.insecure),
            );
        }
        if !self.keep_alive {
            details.insert("keep_alive".into(), serde_json::Value::Bool(false));
        }
        vec![TargetInfo {
            name: "http".into(),
            kind: "http".into(),
            address: Some(self.base_url.clone()),
            details,
            ..Default::default()
        }]
    }

    fn warnings(&self) -> Vec<String> {
        match &self.tls {
            Some(t) if t.insecure => vec![format!(
                "TLS certificate verification was off (insecure_skip_verify = true): the server at {} \
                 was not authenticated",
                self.base_url
            )],
            _ => Vec::new(),
        }
    }

    fn process_id(&self) -> Option<u32> {
        self.pid
    }
}

/// An I/O error that rustls raised (an alert from the server, a bad record), not the socket.
fn is_tls_error(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

/// The server went away under the connection (reset, closed pipe): a connection failure, not a protocol one.
fn is_connection_lost(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
    )
}

//! HTTP/1.1 target: one keep-alive connection per virtual user.
//!
//! Each operation's request is serialized to bytes once, at construction (request line, `Host`, headers,
//! `Content-Length`, body), so a call writes one buffer and formats nothing; only a `traceparent` header,
//! when propagation is on, is spliced in per request. The response is parsed as it streams in and its body
//! discarded (nothing is buffered) by [`wire::Conn`]. A connection that the server closed is re-opened on
//! the next call; the cost of that reconnect is part of that call's latency, as it would be for a real
//! client.

pub mod userinfo;
mod wire;

use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode, Uri};
use tokio::net::TcpStream;

use super::{CallError, ErrorKind, OperationSpec, Outcome, Target};
use crate::monitoring::traceparent::TraceParent;

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

/// Errors building an HTTP target from configuration.
#[derive(Debug, thiserror::Error)]
pub enum HttpConfigError {
    #[error("base URL `{0}` is not a valid http:// URL (https is not supported yet: test the service behind TLS termination)")]
    BaseUrl(String),
    #[error("operation `{op}`: path `{path}` does not form a valid URI with the base URL")]
    Path { op: String, path: String },
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
}

impl HttpTarget {
    /// Builds a target for `base_url` (e.g. `http://127.0.0.1:8080/api`) and its operations.
    ///
    /// Userinfo in the URL (`http://user:pass@host/`) is sent as Basic auth (unless an operation sets its own
    /// `Authorization`) and kept out of the host, the messages and the record.
    pub fn new(base_url: &str, operations: Vec<HttpOperation>) -> Result<Self, HttpConfigError> {
        let bad_url = || HttpConfigError::BaseUrl(userinfo::redact(base_url));
        let (clean_url, credentials) = userinfo::split(base_url);
        let base_url = clean_url.as_str();
        let basic = credentials
            .map(|c| HeaderValue::from_str(&c.basic_authorization()).map_err(|_| bad_url()))
            .transpose()?;
        let uri: Uri = base_url.parse().map_err(|_| bad_url())?;
        if uri.scheme_str() != Some("http") {
            return Err(bad_url());
        }
        let authority = uri.authority().ok_or_else(bad_url)?.clone();
        let host_header = HeaderValue::from_str(authority.as_str()).map_err(|_| bad_url())?;
        let authority = if authority.port().is_some() {
            authority.to_string()
        } else {
            format!("{}:80", authority.host())
        };
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

    async fn connect(&self) -> Result<wire::Conn, CallError> {
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
        Ok(wire::Conn::new(stream))
    }
}

/// One user's connection (re-opened when the server closes it), and a buffer for requests that get a
/// per-request header.
pub struct HttpSession {
    conn: Option<wire::Conn>,
    scratch: Vec<u8>,
}

impl Target for HttpTarget {
    type Session = HttpSession;

    fn operations(&self) -> &[OperationSpec] {
        &self.specs
    }

    async fn prepare(&self) -> Result<HttpSession, CallError> {
        Ok(HttpSession {
            conn: Some(self.connect().await?),
            scratch: Vec::new(),
        })
    }

    async fn call(&self, session: &mut HttpSession, op: usize) -> Outcome {
        let prepared = &self.ops[op];
        let mut conn = match session.conn.take() {
            Some(c) => c,
            None => self.connect().await?,
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
                let kind = match &e {
                    wire::WireError::Closed(_) => ErrorKind::Connect,
                    wire::WireError::Truncated(_) => ErrorKind::Other("truncated".into()),
                    wire::WireError::Io(io) if is_connection_lost(io) => ErrorKind::Connect,
                    wire::WireError::Io(_) => ErrorKind::Io,
                    wire::WireError::Invalid(_) => ErrorKind::Other("protocol".into()),
                };
                CallError::new(kind, e.to_string())
            })?;
        if answer.reusable {
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
        vec![TargetInfo {
            name: "http".into(),
            kind: "http".into(),
            address: Some(self.base_url.clone()),
            ..Default::default()
        }]
    }

    fn process_id(&self) -> Option<u32> {
        self.pid
    }
}

/// The server went away under the connection (reset, closed pipe): a connection failure, not a protocol one.
fn is_connection_lost(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
    )
}

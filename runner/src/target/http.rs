//! HTTP/1.1 target on hyper 1: one keep-alive connection per virtual user.
//!
//! Requests are pre-built into parts at construction (method, URI, headers, body bytes), so a call clones a
//! few reference-counted values and never formats anything. The response body is read to the end and
//! dropped frame by frame (nothing is buffered). A connection that the server closed is re-opened on the
//! next call; the cost of that reconnect is part of that call's latency, as it would be for a real client.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{CallError, ErrorKind, OperationSpec, Outcome, Target};
use crate::monitoring::traceparent::TraceParent;

static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
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
    method: Method,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    content_type: Option<HeaderValue>,
    expect: ExpectStatus,
    timeout: Option<Duration>,
}

/// An HTTP service at one base URL.
#[derive(Debug)]
pub struct HttpTarget {
    base_url: String,
    authority: String,
    host_header: HeaderValue,
    specs: Vec<OperationSpec>,
    ops: Vec<PreparedOp>,
    pid: Option<u32>,
    /// The run's trace context when `propagate_trace_context` is on (None: not a single byte of cost).
    traceparent: Option<TraceParent>,
}

impl HttpTarget {
    /// Builds a target for `base_url` (e.g. `http://127.0.0.1:8080/api`) and its operations.
    pub fn new(base_url: &str, operations: Vec<HttpOperation>) -> Result<Self, HttpConfigError> {
        let uri: Uri = base_url
            .parse()
            .map_err(|_| HttpConfigError::BaseUrl(base_url.to_string()))?;
        if uri.scheme_str() != Some("http") {
            return Err(HttpConfigError::BaseUrl(base_url.to_string()));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| HttpConfigError::BaseUrl(base_url.to_string()))?
            .clone();
        let host_header = HeaderValue::from_str(authority.as_str())
            .map_err(|_| HttpConfigError::BaseUrl(base_url.to_string()))?;
        let authority = if authority.port().is_some() {
            authority.to_string()
        } else {
            format!("{}:80", authority.host())
        };
        let prefix = uri.path().trim_end_matches('/').to_string();
        let mut specs = Vec::with_capacity(operations.len());
        let mut ops = Vec::with_capacity(operations.len());
        for op in operations {
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
                method: op.method,
                uri: path_uri,
                headers: op.headers,
                body,
                content_type,
                expect: op.expect,
                timeout: op.timeout,
            });
        }
        Ok(Self {
            base_url: base_url.to_string(),
            authority,
            host_header,
            specs,
            ops,
            pid: None,
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

    async fn connect(&self) -> Result<http1::SendRequest<Full<Bytes>>, CallError> {
        let stream = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| CallError::new(ErrorKind::Connect, format!("{}: {e}", self.authority)))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| CallError::new(ErrorKind::Connect, e.to_string()))?;
        tokio::task::spawn_local(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }
}

/// One user's connection (re-opened when the server closes it).
pub struct HttpSession {
    sender: Option<http1::SendRequest<Full<Bytes>>>,
}

impl Target for HttpTarget {
    type Session = HttpSession;

    fn operations(&self) -> &[OperationSpec] {
        &self.specs
    }

    async fn prepare(&self) -> Result<HttpSession, CallError> {
        Ok(HttpSession {
            sender: Some(self.connect().await?),
        })
    }

    async fn call(&self, session: &mut HttpSession, op: usize) -> Outcome {
        let prepared = &self.ops[op];
        let mut sender = match session.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        if sender.ready().await.is_err() {
            sender = self.connect().await?;
        }
        let mut builder = Request::builder()
            .method(prepared.method.clone())
            .uri(prepared.uri.clone())
            .header(HOST, self.host_header.clone());
        for (k, v) in &prepared.headers {
            builder = builder.header(k, v);
        }
        if let Some(ct) = &prepared.content_type {
            builder = builder.header(CONTENT_TYPE, ct.clone());
        }
        if let Some(tp) = &self.traceparent {
            if let Some(v) = tp.next_header() {
                builder = builder.header(&TRACEPARENT, v);
            }
        }
        let request = builder
            .body(Full::new(prepared.body.clone()))
            .map_err(|e| CallError::new(ErrorKind::Other("request".into()), e.to_string()))?;
        let response = match sender.send_request(request).await {
            Ok(r) => r,
            Err(e) => {
                // The connection is unusable; the next call reconnects.
                let kind = if e.is_canceled() || e.is_incomplete_message() {
                    ErrorKind::Connect
                } else {
                    ErrorKind::Io
                };
                return Err(CallError::new(kind, e.to_string()));
            }
        };
        let status = response.status();
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            if let Err(e) = frame {
                return Err(CallError::new(ErrorKind::Io, e.to_string()));
            }
        }
        session.sender = Some(sender);
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

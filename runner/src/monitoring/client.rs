//! One HTTP/1.1 request with a deadline, for the Pushgateway push and the OTLP exporter.
//!
//! Both send one small body to one endpoint at the end of a run, so a connection pool or redirects would be
//! dead weight; hyper 1's `client::conn::http1` does the HTTP. `https://` endpoints go through rustls with
//! the system's roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` add a private CA), the setup of [`crate::tls`]. The whole exchange — connect, send, read the response — runs under one timeout, so an endpoint
//! that accepts a connection and never answers cannot hold the run.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::HOST;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A response: status and the whole body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Why a request got no response. `retryable` is true for connect errors, resets and timeouts.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    pub retryable: bool,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SendError {}

/// `host:port` to connect to for an `http://` or `https://` URI (port 80 or 443 when absent).
pub fn connect_authority(uri: &Uri) -> Option<String> {
    let host = uri.host()?;
    let default = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    let port = uri.port_u16().unwrap_or(default);
    Some(if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// Sends `request` (its URI must be absolute `http://`) and reads the response, all within `timeout`.
/// Must run inside a tokio runtime.
pub async fn send(request: Request<Bytes>, timeout: Duration) -> Result<Reply, SendError> {
    match tokio::time::timeout(timeout, send_inner(request)).await {
        Ok(r) => r,
        Err(_) => Err(SendError {
            message: format!("no response within {:.1} s", timeout.as_secs_f64()),
            retryable: true,
        }),
    }
}

async fn send_inner(request: Request<Bytes>) -> Result<Reply, SendError> {
    let uri = request.uri().clone();
    let secure = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        other => {
            return Err(SendError {
                message: format!(
                    "{}: only http:// and https:// endpoints are supported",
                    other.unwrap_or("no scheme")
                ),
                retryable: false,
            })
        }
    };
    let authority = connect_authority(&uri).ok_or_else(|| SendError {
        message: "URL has no host".into(),
        retryable: false,
    })?;
    let stream = TcpStream::connect(&authority)
        .await
        .map_err(|e| SendError {
            message: format!("cannot connect to {authority}: {e}"),
            retryable: true,
        })?;
    let _ = stream.set_nodelay(true);
    if !secure {
        return exchange(stream, request, &uri, &authority).await;
    }
    let fail = |message: String| SendError {
        message,
        retryable: false,
    };
    let host = uri.host().unwrap_or_default();
    let name = crate::tls::server_name(host)
        .ok_or_else(|| fail(format!("{host}: not a valid TLS server name")))?;
    let config = crate::tls::TlsOptions::default()
        .client_config(&[b"http/1.1"])
        .map_err(|e| fail(e.to_string()))?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, stream)
        .await
        .map_err(|e| SendError {
            message: format!("{authority}: TLS: {}", crate::tls::handshake_cause(&e)),
            retryable: e.get_ref().is_none(),
        })?;
    exchange(tls, request, &uri, &authority).await
}

/// The HTTP/1.1 exchange on a connected stream (plain or TLS).
async fn exchange<S>(
    stream: S,
    request: Request<Bytes>,
    uri: &Uri,
    authority: &str,
) -> Result<Reply, SendError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| SendError {
                message: format!("{authority}: {e}"),
                retryable: true,
            })?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let (mut parts, body) = request.into_parts();
    // Origin-form path on the wire, Host from the URI.
    parts.uri = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .parse()
        .unwrap_or_else(|_| Uri::from_static("/"));
    if !parts.headers.contains_key(HOST) {
        if let Some(a) = uri.authority() {
            let host = a.as_str().rsplit('@').next().unwrap_or(a.as_str());
            if let Ok(v) = host.parse() {
                parts.headers.insert(HOST, v);
            }
        }
    }
    let response = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(|e| SendError {
            message: format!("{authority}: {e}"),
            retryable: true,
        })?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| SendError {
            message: format!("{authority}: reading the response: {e}"),
            retryable: true,
        })?
        .to_bytes();
    Ok(Reply { status, body })
}

/// Runs `f` on a fresh current-thread runtime (the callers are synchronous code after the run).
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    Ok(rt.block_on(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_get_default_ports_and_ipv6_brackets() {
        let a = |s: &str| connect_authority(&s.parse::<Uri>().unwrap());
        assert_eq!(a("http://gw:9091/x").as_deref(), Some("gw:9091"));
        assert_eq!(a("http://gw/x").as_deref(), Some("gw:80"));
        assert_eq!(a("http://[::1]:9091/").as_deref(), Some("[::1]:9091"));
        assert_eq!(
            a("http://user:pw@gw:9091/").as_deref(),
            Some("gw:9091"),
            "userinfo is not part of the address"
        );
    }

    #[test]
    fn a_closed_port_is_a_retryable_error_not_a_hang() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let req = Request::builder()
            .uri(format!("http://127.0.0.1:{port}/"))
            .body(Bytes::new())
            .unwrap();
        let err = block_on(send(req, Duration::from_secs(5)))
            .unwrap()
            .unwrap_err();
        assert!(err.retryable, "{err}");
        assert!(err.message.contains("cannot connect"), "{err}");
    }

    #[test]
    fn a_silent_server_times_out() {
        // Accepts (the kernel does, via the backlog) but never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let req = Request::builder()
            .uri(format!("http://127.0.0.1:{port}/"))
            .body(Bytes::new())
            .unwrap();
        let t0 = std::time::Instant::now();
        let err = block_on(send(req, Duration::from_millis(300)))
            .unwrap()
            .unwrap_err();
        assert!(err.message.contains("no response"), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}

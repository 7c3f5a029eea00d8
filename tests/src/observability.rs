//! Real observability services for the monitoring tests: a Prometheus Pushgateway process, a loopback OTLP/HTTP
//! receiver, and a plain HTTP GET for scraping.
//!
//! The Pushgateway is the Debian package `prometheus-pushgateway` (`/usr/bin/prometheus-pushgateway`; CI
//! installs it with apt), started on a free loopback port without persistence and killed on drop. The OTLP
//! receiver is a hyper server that keeps the raw bodies POSTed to `/v1/traces` and answers 200 with an empty
//! `ExportTraceServiceResponse` (an empty protobuf message is zero bytes), as a collector does.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Response, StatusCode};

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `GET http://addr/path` with HTTP/1.0 (the server closes): status and body. None when nothing answers.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// A running `prometheus-pushgateway`.
pub struct Pushgateway {
    pub addr: SocketAddr,
    child: Child,
}

impl Pushgateway {
    /// Where the Debian package installs it (override with `PUSHGATEWAY_BIN`).
    pub fn binary() -> PathBuf {
        std::env::var_os("PUSHGATEWAY_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus-pushgateway"))
    }

    /// Starts one on a free loopback port and waits until it is ready.
    pub fn start() -> Pushgateway {
        let bin = Self::binary();
        assert!(
            bin.exists(),
            "{} not found: install it with `apt-get install -y prometheus-pushgateway` (or set PUSHGATEWAY_BIN)",
            bin.display()
        );
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let child = Command::new(&bin)
            .arg(format!("--web.listen-address={addr}"))
            // Debian's build persists to /var/lib/prometheus/pushgateway.data by default, so every
            // instance would start with the metrics of the last one that ran: no persistence, ever.
            .arg("--persistence.file=")
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start prometheus-pushgateway");
        let gw = Pushgateway { addr, child };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if matches!(http_get(addr, "/-/ready"), Some((200, _))) {
                return gw;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("prometheus-pushgateway did not become ready on {addr}");
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The gateway's own `/metrics` (everything pushed, plus its own metrics).
    pub fn metrics(&self) -> String {
        match http_get(self.addr, "/metrics") {
            Some((200, body)) => body,
            other => panic!("Pushgateway /metrics: {other:?}"),
        }
    }
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback OTLP/HTTP receiver: keeps every body POSTed to `/v1/traces`.
pub struct OtlpReceiver {
    pub addr: SocketAddr,
    pub bodies: Arc<Mutex<Vec<Bytes>>>,
    _server: crate::loopback::LoopbackServer,
}

impl OtlpReceiver {
    pub fn start() -> OtlpReceiver {
        let bodies: Arc<Mutex<Vec<Bytes>>> = Arc::default();
        let kept = Arc::clone(&bodies);
        let server = crate::loopback::LoopbackServer::start(move |_| {
            move |req: hyper::Request<hyper::body::Incoming>| {
                let kept = Arc::clone(&kept);
                async move {
                    let ok =
                        req.method() == hyper::Method::POST && req.uri().path() == "/v1/traces";
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let status = if ok {
                        kept.lock().unwrap_or_else(|e| e.into_inner()).push(body);
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_FOUND
                    };
                    let mut r = Response::new(Full::new(Bytes::new()));
                    *r.status_mut() = status;
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/x-protobuf"),
                    );
                    r
                }
            }
        });
        OtlpReceiver {
            addr: server.addr,
            bodies,
            _server: server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bodies received so far.
    pub fn received(&self) -> Vec<Bytes> {
        self.bodies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

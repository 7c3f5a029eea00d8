//! Load-test an in-process hyper service: `cargo run --example load_hyper -p perfgate`.
//!
//! The service runs on this program's Tokio runtime; perfgate runs its virtual users on its own worker
//! threads, so `perfgate::load_test(..).await` leaves the runtime free to serve. Each virtual user keeps
//! one keep-alive HTTP/1.1 connection (made by the operation's per-user `init`), as the CLI's HTTP target
//! does. The suite then writes the same files as `perfgate run` into a temporary directory.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use perfgate::{LoadTestConfig, Operation, Suite};

/// The service under test: `/hello` answers at once, `/report` after 5 ms, and every 100th `/report`
/// fails with a 503.
async fn serve(listener: tokio::net::TcpListener) {
    let reports = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let reports = reports.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                let reports = reports.clone();
                async move {
                    let (status, body) = match req.uri().path() {
                        "/hello" => (StatusCode::OK, "hello"),
                        "/report" => {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            let n = reports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if n % 100 == 99 {
                                (StatusCode::SERVICE_UNAVAILABLE, "busy")
                            } else {
                                (StatusCode::OK, "report")
                            }
                        }
                        _ => (StatusCode::NOT_FOUND, "no such page"),
                    };
                    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                    *resp.status_mut() = status;
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// One virtual user's connection.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Empty<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    // The connection task runs on the perfgate worker that owns this user.
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// `GET path` on the user's connection; a non-2xx status is an error keyed by its reason.
fn get(name: &str, addr: SocketAddr, path: &'static str) -> Operation {
    Operation::per_user(
        name,
        move || connect(addr),
        async move |conn: &mut SendRequest<Empty<Bytes>>| {
            let req = Request::get(path)
                .header(hyper::header::HOST, "localhost")
                .body(Empty::new())
                .map_err(|e| e.to_string())?;
            let resp = conn
                .send_request(req)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let status = resp.status();
            resp.into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?;
            if status.is_success() {
                Ok(())
            } else {
                Err(status
                    .canonical_reason()
                    .unwrap_or("bad status")
                    .to_string())
            }
        },
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener));

    // One load test: 400 requests per second for 2 s, open model (latency from the intended start).
    let config = LoadTestConfig {
        duration_seconds: 2.0,
        concurrent_users: 16,
        target_rps: Some(400.0),
        request_timeout: 2.0,
        ..Default::default()
    };
    let ops = [
        get("hello", addr, "/hello").weight(3),
        get("report", addr, "/report").weight(1),
    ];
    let run = perfgate::load_test(ops, config.clone()).await?;
    println!("{}", run.summary_text());

    // The same as a suite with gates, writing perfgate's report files.
    let out = std::env::temp_dir().join(format!("perfgate-example-{}", std::process::id()));
    let run = Suite::new("in-process-hyper")
        .operations([
            get("hello", addr, "/hello").weight(3),
            get("report", addr, "/report").weight(1),
        ])
        .load(LoadTestConfig {
            duration_seconds: 1.0,
            ..config
        })
        .gate("p95 < 100ms")?
        .operation_gate("report", "error_rate < 5%")?
        .output_dir(&out)
        .run()
        .await?;
    println!(
        "suite {}: {} — wrote {} files to {}",
        run.record().suite,
        if run.passed() { "PASS" } else { "FAIL" },
        run.files().files.len(),
        out.display()
    );
    Ok(())
}

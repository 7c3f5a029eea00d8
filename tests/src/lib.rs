//! Helpers for perfgate's end-to-end tests: loopback HTTP services with known behaviour, and a way to run
//! the built binary.
//!
//! The services are real hyper servers on 127.0.0.1 with an ephemeral port; their behaviour (delay, failure
//! rate, a one-time stall, a capacity limit, dying at a set time) is what the tests assert against.

pub mod cdp;
pub mod git;
pub mod loopback;
pub mod observability;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;

pub mod github_fake;

/// Path of the perfgate binary built for these tests: `CARGO_BIN_EXE_perfgate-under-test` when Cargo or
/// nextest set it at run time, else next to the test executable's `deps/` folder, where Cargo puts it.
pub fn perfgate_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CARGO_BIN_EXE_perfgate-under-test") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join(format!(
        "perfgate-under-test{}",
        std::env::consts::EXE_SUFFIX
    ));
    assert!(
        bin.exists(),
        "{} not built: run the tests with cargo test / cargo nextest",
        bin.display()
    );
    bin
}

/// Runs perfgate with `args` in `dir`, with a clean `PERFORMANCE_*`/`GITHUB_*` environment.
pub fn perfgate(dir: &Path, args: &[&str]) -> Output {
    perfgate_env(dir, args, &[])
}

/// The perfgate command with `args` in `dir`, a clean `PERFORMANCE_*`/`GITHUB_*`/`OTEL_*` environment and
/// `env` added (for tests that spawn it and talk to it while it runs).
pub fn perfgate_command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(perfgate_bin());
    cmd.args(args).current_dir(dir).env("CI", "true");
    for (k, _) in std::env::vars() {
        if k.starts_with("PERFORMANCE_")
            || k.starts_with("GITHUB_")
            || k.starts_with("INPUT_")
            || k.starts_with("OTEL_")
        {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Like [`perfgate`] with extra environment variables.
pub fn perfgate_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = perfgate_command(dir, args, env)
        .output()
        .expect("run perfgate");
    eprintln!(
        "--- perfgate {args:?} exited {:?}\n--- stderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Serializes the timing-sensitive tests of one test binary: two load tests sharing two cores would each
/// measure the other. Hold the guard for the whole test.
pub fn timing_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a [`TestServer`] behaves.
#[derive(Clone, Debug, Default)]
pub struct Behavior {
    /// Every response waits this long.
    pub delay: Duration,
    /// Every n-th request (1-based) answers 500.
    pub fail_every: Option<u64>,
    /// Every n-th request answers 404.
    pub not_found_every: Option<u64>,
    /// Once, `after` the first request, the server stalls for `length`: requests arriving in that window are
    /// answered only when it ends (a GC pause).
    pub stall: Option<(Duration, Duration)>,
    /// At most this many requests are served at once; the others queue.
    pub capacity: Option<usize>,
    /// The server shuts down (listener and connections) this long after it started.
    pub die_after: Option<Duration>,
    /// Keep the value of this request header (None when absent) for every request, in order.
    pub record_header: Option<&'static str>,
}

/// Counters a test can read.
#[derive(Debug, Default)]
pub struct ServerStats {
    pub requests: AtomicU64,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// Values of [`Behavior::record_header`], one per request.
    pub recorded: std::sync::Mutex<Vec<Option<String>>>,
}

/// A loopback HTTP server with a [`Behavior`]. Dropping it stops it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub stats: Arc<ServerStats>,
    _thread: loopback::ServerThread,
}

impl TestServer {
    pub fn start(behavior: Behavior) -> TestServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stats = Arc::new(ServerStats::default());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let s = Arc::clone(&stats);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(serve(listener, behavior, s, rx));
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        TestServer {
            addr,
            stats,
            _thread: loopback::ServerThread::new(tx, thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn serve(
    listener: std::net::TcpListener,
    behavior: Behavior,
    stats: Arc<ServerStats>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
    let started = Instant::now();
    let first_request: Arc<std::sync::OnceLock<Instant>> = Arc::new(std::sync::OnceLock::new());
    let semaphore = behavior
        .capacity
        .map(|c| Arc::new(tokio::sync::Semaphore::new(c)));
    let die_at = behavior
        .die_after
        .map(|d| tokio::time::Instant::from_std(started + d));
    let behavior = Arc::new(behavior);
    loop {
        let die = async {
            match die_at {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut stop => return,
            _ = die => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let behavior = Arc::clone(&behavior);
                let stats = Arc::clone(&stats);
                let first = Arc::clone(&first_request);
                let semaphore = semaphore.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        if let Some(name) = behavior.record_header {
                            let v = req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                            stats.recorded.lock().unwrap_or_else(|e| e.into_inner()).push(v);
                        }
                        let behavior = Arc::clone(&behavior);
                        let stats = Arc::clone(&stats);
                        let first = Arc::clone(&first);
                        let semaphore = semaphore.clone();
                        async move {
                            let n = stats.requests.fetch_add(1, Ordering::SeqCst) + 1;
                            let now = Instant::now();
                            let first = *first.get_or_init(|| now);
                            let _permit = match &semaphore {
                                Some(s) => s.clone().acquire_owned().await.ok(),
                                None => None,
                            };
                            let inflight = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            stats.max_in_flight.fetch_max(inflight, Ordering::SeqCst);
                            if let Some((after, length)) = behavior.stall {
                                let (from, to) = (first + after, first + after + length);
                                let now = Instant::now();
                                if now >= from && now < to {
                                    tokio::time::sleep_until(tokio::time::Instant::from_std(to)).await;
                                }
                            }
                            if !behavior.delay.is_zero() {
                                tokio::time::sleep(behavior.delay).await;
                            }
                            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                            let status = if behavior.fail_every.is_some_and(|k| n.is_multiple_of(k)) {
                                StatusCode::INTERNAL_SERVER_ERROR
                            } else if behavior.not_found_every.is_some_and(|k| n.is_multiple_of(k)) {
                                StatusCode::NOT_FOUND
                            } else {
                                StatusCode::OK
                            };
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .status(status)
                                    .body(Full::new(Bytes::from_static(b"ok")))
                                    .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))),
                            )
                        }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        }
    }
}

/// Reads the single `run_*.json` in `dir` as JSON.
pub fn read_run_record(dir: &Path) -> serde_json::Value {
    let path = find_file(dir, "run_", ".json").expect("a run_*.json file");
    let bytes = std::fs::read(&path).expect("read run record");
    // Through the real reader, so the file is a valid record.
    perfgate_reports::RunRecord::from_json_slice(&bytes, &path.display().to_string())
        .expect("valid record");
    serde_json::from_slice(&bytes).expect("json")
}

/// The record's warnings other than "perfgate itself was CPU-saturated".
///
/// That one is true of the host, not of the code under test: on a 2-core CI machine running other test
/// binaries at the same time the load generator does saturate. Tests that assert "no warnings" mean
/// "nothing wrong with the target or the run", so they leave it out.
pub fn warnings_besides_host_load(rec: &serde_json::Value) -> Vec<String> {
    rec["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|x| x.as_str())
                .filter(|x| !x.contains("perfgate itself was CPU-saturated"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The first file in `dir` whose name starts with `prefix` and ends with `suffix`.
pub fn find_file(dir: &Path, prefix: &str, suffix: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Writes a perfgate.toml into `dir`.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("perfgate.toml");
    std::fs::write(&p, text).expect("write config");
    p
}

/// A loopback server of fixed files (a stand-in for a release download host), recording every path asked
/// for. Unknown paths answer 404. Dropping it stops it.
pub struct StaticServer {
    pub addr: SocketAddr,
    requested: Arc<std::sync::Mutex<Vec<String>>>,
    _server: loopback::LoopbackServer,
}

impl StaticServer {
    pub fn start(files: std::collections::BTreeMap<String, Vec<u8>>) -> StaticServer {
        let requested = Arc::new(std::sync::Mutex::new(Vec::new()));
        let files = Arc::new(files);
        let log = Arc::clone(&requested);
        let server = loopback::LoopbackServer::start(move |_| {
            move |req: hyper::Request<hyper::body::Incoming>| {
                let path = req.uri().path().to_string();
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(path.clone());
                let resp = match files.get(&path) {
                    Some(bytes) => Response::new(Full::new(Bytes::from(bytes.clone()))),
                    None => {
                        let mut r = Response::new(Full::new(Bytes::from_static(b"Not Found")));
                        *r.status_mut() = StatusCode::NOT_FOUND;
                        r
                    }
                };
                async move { resp }
            }
        });
        StaticServer {
            addr: server.addr,
            requested,
            _server: server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Paths asked for so far, in order.
    pub fn requested(&self) -> Vec<String> {
        self.requested
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Stops a server that forks workers (nginx): SIGTERM to the master, which stops its workers, then up to 5 s
/// for it to exit before a SIGKILL. A SIGKILL of the master alone leaves the workers running, reparented to
/// init and still holding the ports, after the test has ended.
pub fn stop_gracefully(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

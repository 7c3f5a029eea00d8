//! Fault injection: perfgate against servers on loopback that misbehave the way real ones do — refuse, hang
//! after accept, reset, answer garbage, cut a response short, trickle, die mid-run — and against corrupt
//! inputs. Each case asserts the exit code, the error kind in the record and that nothing panicked; the
//! README's "Failure behaviour" section is the table of these outcomes.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use perfgate_e2e::{perfgate, read_run_record};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How a [`FaultServer`] answers each connection.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Reads the request and never answers.
    Hang,
    /// Reads the request, then resets the connection (SO_LINGER 0: a RST, not a FIN).
    Reset,
    /// Answers a status line that is not HTTP.
    Garbage,
    /// Announces 100 body bytes, sends 3, closes.
    Truncated,
    /// Sends a valid response one byte every 200 ms.
    Trickle,
    /// Answers well for `ms` milliseconds after the first request, then closes every connection and the port.
    DiesAfter { ms: u64 },
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// A raw TCP server on 127.0.0.1 with a fault; it records the `Authorization` headers it saw.
struct FaultServer {
    port: u16,
    authorizations: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultServer {
    fn start(fault: Fault) -> FaultServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let auth = Arc::clone(&authorizations);
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let served = Arc::new(AtomicUsize::new(0));
                let started = Arc::new(Mutex::new(None::<tokio::time::Instant>));
                loop {
                    tokio::select! {
                        _ = &mut rx => return,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let (auth, served, started) =
                                (Arc::clone(&auth), Arc::clone(&served), Arc::clone(&started));
                            if let Fault::DiesAfter { ms } = fault {
                                let first = *started.lock().unwrap().get_or_insert_with(tokio::time::Instant::now);
                                if first.elapsed() >= Duration::from_millis(ms) {
                                    // Dead: stop accepting (the port closes when the loop ends).
                                    return;
                                }
                            }
                            tokio::spawn(serve(stream, fault, auth, served, started));
                        }
                    }
                }
            });
        });
        FaultServer {
            port,
            authorizations,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request head; `None` when the client closed.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            return Some(head);
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn serve(
    mut stream: TcpStream,
    fault: Fault,
    auth: Arc<Mutex<Vec<String>>>,
    served: Arc<AtomicUsize>,
    started: Arc<Mutex<Option<tokio::time::Instant>>>,
) {
    let mut buf = Vec::new();
    while let Some(head) = read_head(&mut stream, &mut buf).await {
        if let Some(v) = head.lines().find_map(|l| {
            l.strip_prefix("authorization: ")
                .or_else(|| l.strip_prefix("Authorization: "))
        }) {
            auth.lock().unwrap().push(v.to_string());
        }
        served.fetch_add(1, Ordering::Relaxed);
        match fault {
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Fault::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
            Fault::Garbage => {
                let _ = stream.write_all(b"SMTP ready\r\n\r\n").await;
                return;
            }
            Fault::Truncated => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
                    .await;
                return;
            }
            Fault::Trickle => {
                for b in OK {
                    if stream.write_all(&[*b]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            Fault::DiesAfter { ms } => {
                let first = *started
                    .lock()
                    .unwrap()
                    .get_or_insert_with(tokio::time::Instant::now);
                if first.elapsed() >= Duration::from_millis(ms) {
                    let _ = stream.set_zero_linger();
                    return;
                }
                if stream.write_all(OK).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// `perfgate load` against `url` for `secs`, writing into `dir/out`; returns (exit code, stdout+stderr).
fn load(dir: &Path, url: &str, secs: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "load",
        "--url",
        url,
        "-c",
        "2",
        "-d",
        secs,
        "--output-dir",
        "out",
    ];
    args.extend_from_slice(extra);
    let out = perfgate(dir, &args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code(), text)
}

fn overall(dir: &Path) -> Value {
    read_run_record(&dir.join("out"))["load"]["overall"].clone()
}

fn errors_of(overall: &Value, kind: &str) -> u64 {
    overall["errors"][kind].as_u64().unwrap_or(0)
}

#[test]
fn a_target_refusing_from_the_start_is_exit_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = load(dir.path(), &format!("http://127.0.0.1:{port}/"), "1", &[]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("cannot reach the target"), "{text}");
}

#[test]
fn a_server_that_hangs_after_accept_gives_timeouts() {
    let server = FaultServer::start(Fault::Hang);
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = load(dir.path(), &server.url(), "1", &["--timeout", "0.2"]);
    assert!(matches!(code, Some(0) | Some(1)), "{code:?} {text}");
    let o = overall(dir.path());
    assert!(errors_of(&o, "timeout") >= 2, "{o}");
    assert_eq!(o["successful_requests"], 0, "{o}");
}

#[test]
fn a_trickling_response_is_a_timeout_not_a_hang() {
    let server = FaultServer::start(Fault::Trickle);
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = load(dir.path(), &server.url(), "1", &["--timeout", "0.3"]);
    let o = overall(dir.path());
    assert!(errors_of(&o, "timeout") >= 2, "{o} {text}");
}

#[test]
fn a_reset_is_a_connect_error() {
    let server = FaultServer::start(Fault::Reset);
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = load(dir.path(), &server.url(), "0.5", &[]);
    let o = overall(dir.path());
    assert!(errors_of(&o, "connect") > 0, "{o} {text}");
    assert_eq!(o["successful_requests"], 0, "{o}");
}

#[test]
fn a_garbage_status_line_is_a_protocol_error() {
    let server = FaultServer::start(Fault::Garbage);
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = load(dir.path(), &server.url(), "0.5", &[]);
    let o = overall(dir.path());
    assert!(errors_of(&o, "protocol") > 0, "{o} {text}");
    assert_eq!(errors_of(&o, "connect"), 0, "{o}");
}

#[test]
fn a_truncated_body_is_truncated_not_connect() {
    let server = FaultServer::start(Fault::Truncated);
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = load(dir.path(), &server.url(), "0.5", &[]);
    let o = overall(dir.path());
    assert!(errors_of(&o, "truncated") > 0, "{o} {text}");
    assert_eq!(errors_of(&o, "connect"), 0, "{o}");
}

#[test]
fn a_server_dying_mid_run_keeps_the_successes_and_counts_the_failures() {
    let server = FaultServer::start(Fault::DiesAfter { ms: 400 });
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = load(dir.path(), &server.url(), "1.5", &["--timeout", "1"]);
    assert!(matches!(code, Some(0) | Some(1)), "{code:?} {text}");
    let o = overall(dir.path());
    assert!(o["successful_requests"].as_u64().unwrap_or(0) > 0, "{o}");
    assert!(o["failed_requests"].as_u64().unwrap_or(0) > 0, "{o}");
    assert!(errors_of(&o, "connect") > 0, "{o}");
}

#[test]
fn url_credentials_are_sent_as_basic_auth_and_appear_nowhere() {
    const SECRET: &str = "s3cr3t-pa55";
    let server = FaultServer::start(Fault::DiesAfter { ms: 60_000 });
    let url = format!("http://alice:{SECRET}@127.0.0.1:{}/x", server.port);
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = load(dir.path(), &url, "0.5", &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains(SECRET), "printed: {text}");
    let seen = server.authorizations.lock().unwrap().clone();
    assert!(!seen.is_empty(), "requests arrived");
    // base64("alice:s3cr3t-pa55")
    assert!(
        seen.iter().all(|a| a == "Basic YWxpY2U6czNjcjN0LXBhNTU="),
        "{seen:?}"
    );
    for entry in std::fs::read_dir(dir.path().join("out")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !text.contains(SECRET),
            "{} has the password",
            path.display()
        );
    }
    // A refused target's message does not quote it either.
    drop(server);
    let (code, text) = load(dir.path(), &url, "0.5", &[]);
    assert_eq!(code, Some(3), "{text}");
    assert!(!text.contains(SECRET) && !text.contains("alice"), "{text}");
}

/// A V2 histogram whose header claims a 4 GiB payload: the fuzzed record that made every reader abort
/// ("memory allocation of 4294967295 bytes failed").
fn hostile_histogram() -> String {
    use base64::Engine as _;
    let mut b = Vec::new();
    b.extend_from_slice(&0x1c84_9313u32.to_be_bytes());
    b.extend_from_slice(&u32::MAX.to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes());
    b.extend_from_slice(&3u32.to_be_bytes());
    b.extend_from_slice(&1u64.to_be_bytes());
    b.extend_from_slice(&3_600_000_000u64.to_be_bytes());
    b.extend_from_slice(&1.0f64.to_be_bytes());
    b.push(2);
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn a_record_with_a_hostile_histogram_is_skipped_by_name() {
    let server = FaultServer::start(Fault::DiesAfter { ms: 60_000 });
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = load(dir.path(), &server.url(), "0.5", &[]);
    assert_eq!(code, Some(0), "{text}");
    let record = std::fs::read_to_string(
        perfgate_e2e::find_file(&dir.path().join("out"), "run_", ".json").expect("record"),
    )
    .unwrap();
    let mut bad: Value = serde_json::from_str(&record).unwrap();
    assert!(
        bad["load"]["overall"]["histogram"].is_string(),
        "the record has a histogram"
    );
    bad["load"]["overall"]["histogram"] = Value::String(hostile_histogram());
    bad["run_id"] = Value::String("hostile".into());
    let history = dir.path().join("history");
    std::fs::create_dir_all(&history).unwrap();
    std::fs::write(history.join("good.json"), &record).unwrap();
    std::fs::write(history.join("hostile.json"), bad.to_string()).unwrap();

    // `analyze` reads only summary fields: the hostile histogram is never decoded, so it costs nothing.
    let out = perfgate(
        dir.path(),
        &["analyze", "--history", history.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The site decodes the newest runs' histograms: the hostile one is refused before allocating, by name.
    let out = perfgate(
        dir.path(),
        &[
            "site",
            "build",
            "--reports",
            history.to_str().unwrap(),
            "--out",
            dir.path().join("site").to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("hostile.json") && stderr.contains("4294967295 payload bytes"),
        "the file is named with what it claimed: {stderr}"
    );
}

#[test]
fn a_full_accept_queue_costs_request_timeout_not_the_kernels_syn_retries() {
    // A listener that never accepts: once its backlog is full, the kernel drops new SYNs and a connect
    // waits out its retries (over a minute) unless perfgate bounds it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut held = Vec::new();
    let full = (0..2000).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => {
                held.push(s);
                false
            }
            Err(_) => true,
        }
    });
    assert!(full, "the backlog filled after {} connections", held.len());
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = load(
        dir.path(),
        &format!("http://{addr}/"),
        "1",
        &["--timeout", "0.5"],
    );
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("no connection within 0.500 s"), "{text}");
    drop(listener);
}

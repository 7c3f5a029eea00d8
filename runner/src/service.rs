//! The service under test, when perfgate starts it (`[service]`).
//!
//! The command runs in its own process group with stdout and stderr captured to a log file. perfgate waits
//! until it is ready (an HTTP URL answers 2xx, or a TCP port accepts connections), runs the suite, then stops
//! the whole group: SIGTERM, up to `stop_timeout_seconds` for every process of the group to end (not only the
//! shell perfgate started: `sh -c` forks the server), then SIGKILL ([`crate::process_group`]). The same
//! happens on SIGINT/SIGTERM ([`crate::interrupt`]), so a cancelled run never leaves a server holding the
//! port, even one that ignores SIGTERM.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::ServiceSettings;
use crate::error::{Error, Result};
use crate::interrupt::{self, GroupKind, Registered};
use crate::process_group;

/// A started service. Dropping it stops it.
pub struct Service {
    child: Option<Child>,
    pgid: u32,
    stop_timeout: Duration,
    log_file: std::path::PathBuf,
    _registered: Registered,
}

impl Service {
    /// Starts the service and waits until it is ready.
    pub fn start(settings: &ServiceSettings, fallback_ready_url: Option<&str>) -> Result<Service> {
        interrupt::install();
        if let Some(parent) = settings.log_file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let log = std::fs::File::create(&settings.log_file)
            .map_err(|e| Error::io(&settings.log_file, e))?;
        let log2 = log
            .try_clone()
            .map_err(|e| Error::io(&settings.log_file, e))?;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&settings.command)
            .envs(&settings.env)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2));
        process_group::spawn_apart(&mut cmd);
        if let Some(cwd) = &settings.cwd {
            cmd.current_dir(cwd);
        }
        let child = cmd
            .spawn()
            .map_err(|e| Error::Unreachable(format!("service command failed to start: {e}")))?;
        let pgid = child.id();
        let registered = interrupt::register(
            pgid,
            GroupKind::Service {
                grace: settings.stop_timeout,
            },
        );
        let mut service = Service {
            child: Some(child),
            pgid,
            stop_timeout: settings.stop_timeout,
            log_file: settings.log_file.clone(),
            _registered: registered,
        };
        service.wait_ready(settings, fallback_ready_url)?;
        Ok(service)
    }

    /// The service's process id (its group leader).
    pub fn pid(&self) -> u32 {
        self.pgid
    }

    fn wait_ready(&mut self, s: &ServiceSettings, fallback_url: Option<&str>) -> Result<()> {
        let deadline = Instant::now() + s.ready_timeout;
        let url = s.ready_url.as_deref().or(if s.ready_tcp.is_none() {
            fallback_url
        } else {
            None
        });
        loop {
            if interrupt::requested() {
                return Err(Error::Unreachable(
                    "interrupted while waiting for the service to be ready".into(),
                ));
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(Error::Unreachable(format!(
                        "service exited before it was ready ({status}); last lines of {}:\n{}",
                        self.log_file.display(),
                        tail(&self.log_file, 20)
                    )));
                }
            }
            let ready = match (&s.ready_tcp, url) {
                (Some(addr), _) => std::net::TcpStream::connect_timeout(
                    &match addr.parse() {
                        Ok(a) => a,
                        Err(_) => {
                            return Err(Error::Config(format!(
                                "service.ready_tcp `{addr}` is not an address like 127.0.0.1:8080"
                            )))
                        }
                    },
                    Duration::from_millis(500),
                )
                .is_ok(),
                (None, Some(u)) => http_status(u, Duration::from_secs(2))
                    .map(|c| (200..300).contains(&c))
                    .unwrap_or(false),
                (None, None) => true,
            };
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::Unreachable(format!(
                    "service not ready after {:.0}s ({}); last lines of {}:\n{}",
                    s.ready_timeout.as_secs_f64(),
                    s.ready_tcp
                        .as_deref()
                        .map(|a| format!("TCP {a}"))
                        .or(url.map(|u| format!("GET {u}")))
                        .unwrap_or_default(),
                    self.log_file.display(),
                    tail(&self.log_file, 20)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// If the service exited, its status and the tail of its log.
    pub fn exit_status(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(format!("{status}; log tail:\n{}", tail(&self.log_file, 10))),
            _ => None,
        }
    }

    /// Stops the process group: SIGTERM, then SIGKILL once the grace period is over (or at once when every
    /// process of the group has ended).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        process_group::stop(self.pgid, self.stop_timeout, || {
            matches!(child.try_wait(), Ok(None))
        });
        let _ = child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` lines of a file (for error messages).
pub fn tail(path: &std::path::Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// One GET, returning the status code.
pub fn http_status(url: &str, timeout: Duration) -> Option<u16> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        tokio::time::timeout(timeout, async {
            let uri: hyper::Uri = url.parse().ok()?;
            let host = uri.host()?.to_string();
            let port = uri.port_u16().unwrap_or(80);
            let stream = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .ok()?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .ok()?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            let req = hyper::Request::get(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
                .header(hyper::header::HOST, uri.authority()?.as_str())
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .ok()?;
            let resp = sender.send_request(req).await.ok()?;
            Some(resp.status().as_u16())
        })
        .await
        .ok()
        .flatten()
    })
}

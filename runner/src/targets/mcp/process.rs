//! A stdio MCP server process: spawned by perfgate, watched, and always reaped.
//!
//! perfgate spawns the server itself (rather than through rmcp's `TokioChildProcess`, which hides the child)
//! because a load test needs three things from it: the pid (the sampler follows its CPU and RSS), its exit
//! status when it dies mid-run, and the tail of its stderr to say why. Stderr is drained into a bounded ring
//! buffer (the last [`STDERR_TAIL_BYTES`]) so a chatty server can neither block on a full pipe nor grow
//! perfgate's memory. Dropping a [`ServerProcess`] that is still running kills it and waits for it, so no
//! zombie outlives a session, whichever runtime (or none) is still alive at that point.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::system::ProcessSet;

/// How much of a server's stderr is kept.
pub const STDERR_TAIL_BYTES: usize = 4096;

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct StdioCommand {
    pub command: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
}

impl StdioCommand {
    /// The command line as shown in records and messages (environment values are never shown).
    pub fn display(&self) -> String {
        std::iter::once(self.command.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The last bytes a process wrote to stderr.
#[derive(Debug, Default)]
pub struct StderrTail {
    buf: Mutex<VecDeque<u8>>,
}

impl StderrTail {
    fn push(&self, bytes: &[u8]) {
        let mut buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = &bytes[bytes.len().saturating_sub(STDERR_TAIL_BYTES)..];
        let overflow = (buf.len() + bytes.len()).saturating_sub(STDERR_TAIL_BYTES);
        buf.drain(..overflow);
        buf.extend(bytes);
    }

    /// The tail as text (lossy), trimmed.
    pub fn text(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let (a, b) = buf.as_slices();
        let mut v = Vec::with_capacity(buf.len());
        v.extend_from_slice(a);
        v.extend_from_slice(b);
        String::from_utf8_lossy(&v).trim().to_string()
    }
}

/// A running (or exited) server process.
#[derive(Debug)]
pub struct ServerProcess {
    pid: u32,
    /// The set the sampler follows: the pid is in it while the process runs.
    set: Option<ProcessSet>,
    child: Mutex<Option<Child>>,
    status: Mutex<Option<ExitStatus>>,
    stderr: Arc<StderrTail>,
}

impl ServerProcess {
    /// Spawns `cmd` with piped stdin/stdout (the MCP transport) and stderr (drained into the tail), and adds
    /// it to `set` until it is reaped. Must be called inside a tokio runtime.
    pub fn spawn(
        cmd: &StdioCommand,
        set: Option<&ProcessSet>,
    ) -> std::io::Result<(ServerProcess, ChildStdout, ChildStdin)> {
        let mut command = tokio::process::Command::new(&cmd.command);
        command
            .args(&cmd.args)
            .envs(&cmd.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group: a Ctrl-C in perfgate's terminal is perfgate's to handle.
        crate::process_group::spawn_apart_async(&mut command);
        if let Some(cwd) = &cmd.cwd {
            command.current_dir(cwd);
        }
        let mut child = command.spawn()?;
        let pid = child.id().unwrap_or(0);
        let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
            let _ = child.start_kill();
            return Err(std::io::Error::other(
                "the server's stdio pipes are missing",
            ));
        };
        let stderr = Arc::new(StderrTail::default());
        if let Some(mut pipe) = child.stderr.take() {
            let tail = Arc::clone(&stderr);
            tokio::spawn(async move {
                let mut chunk = [0u8; 1024];
                while let Ok(n) = pipe.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    tail.push(&chunk[..n]);
                }
            });
        }
        if let Some(s) = set {
            s.add(pid);
        }
        Ok((
            ServerProcess {
                pid,
                set: set.cloned(),
                child: Mutex::new(Some(child)),
                status: Mutex::new(None),
                stderr,
            },
            stdout,
            stdin,
        ))
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn stderr_tail(&self) -> String {
        self.stderr.text()
    }

    /// The exit status if the process has exited (and reaps it), without waiting.
    pub fn try_status(&self) -> Option<ExitStatus> {
        if let Some(s) = *self.status.lock().unwrap_or_else(|p| p.into_inner()) {
            return Some(s);
        }
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let status = child.as_mut().and_then(|c| c.try_wait().ok().flatten())?;
        *child = None;
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
        if let Some(s) = &self.set {
            s.remove(self.pid);
        }
        Some(status)
    }

    /// Waits up to `limit` for the process to exit on its own.
    pub async fn wait_exit(&self, limit: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + limit;
        loop {
            if let Some(s) = self.try_status() {
                return Some(s);
            }
            if Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Kills the process if it still runs and reaps it (blocking for at most a few seconds).
    pub fn kill_and_reap(&self) -> Option<ExitStatus> {
        if let Some(s) = self.try_status() {
            return Some(s);
        }
        {
            let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = child.as_mut() {
                let _ = c.start_kill();
            }
        }
        // SIGKILL cannot be ignored: the process is gone within milliseconds; poll until it is reaped.
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Some(s) = self.try_status() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// Describes an exit status the way people read it: `exit status 3`, `killed by signal 9`.
pub fn describe_status(status: &ExitStatus) -> String {
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(status);
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    match (status.code(), signal) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_tail_keeps_only_the_last_bytes() {
        let tail = StderrTail::default();
        tail.push(b"first line\n");
        for _ in 0..1000 {
            tail.push(b"0123456789");
        }
        tail.push(b"\nthe end");
        let text = tail.text();
        assert!(text.len() <= STDERR_TAIL_BYTES, "{}", text.len());
        assert!(text.ends_with("the end"));
        assert!(!text.contains("first line"));
        let big = vec![b'x'; 3 * STDERR_TAIL_BYTES];
        tail.push(&big);
        assert_eq!(tail.text().len(), STDERR_TAIL_BYTES);
    }

    #[test]
    fn a_dropped_process_is_killed_and_reaped() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let pid = rt.block_on(async {
            let cmd = StdioCommand {
                command: "sh".into(),
                args: vec!["-c".into(), "echo oops >&2; exec sleep 30".into()],
                env: BTreeMap::new(),
                cwd: None,
            };
            let set = ProcessSet::default();
            let (p, _out, _in) = ServerProcess::spawn(&cmd, Some(&set)).unwrap();
            assert_eq!(set.pids(), vec![p.pid()]);
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(p.try_status().is_none());
            assert_eq!(p.stderr_tail(), "oops");
            let pid = p.pid();
            drop(p);
            assert!(set.pids().is_empty());
            pid
        });
        // Reaped: no /proc entry left (not even a zombie).
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn exit_status_is_kept_and_described() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let cmd = StdioCommand {
                command: "sh".into(),
                args: vec!["-c".into(), "exit 3".into()],
                env: BTreeMap::new(),
                cwd: None,
            };
            let (p, _out, _in) = ServerProcess::spawn(&cmd, None).unwrap();
            let status = p.wait_exit(Duration::from_secs(5)).await.unwrap();
            assert_eq!(describe_status(&status), "exit status 3");
            assert_eq!(p.try_status(), Some(status));
        });
    }
}

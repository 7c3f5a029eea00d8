//! Command target: spawn a process per call; exit code 0 is success.
//!
//! Each call runs in its own process group so a timeout can kill the whole tree (a shell and what it
//! started), not just the leader; a call abandoned by the engine kills its group on drop. Spawning costs
//! something on its own, so the target measures the cost of an empty command (`true`) once and reports it
//! apart as `spawn_overhead_ms`: readers can subtract it, and it is never silently mixed into a comparison.
//! Each running call's group is registered with [`crate::interrupt`], so SIGINT/SIGTERM kills it too.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{CallError, ErrorKind, OperationSpec, Outcome, Target};
use perfgate_reports::record::TargetInfo;

/// One command operation.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandOperation {
    pub name: String,
    pub weight: u32,
    /// Program and arguments (no shell unless you ask for one: `["sh", "-c", "…"]`).
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
    pub timeout: Option<Duration>,
}

/// A set of commands.
#[derive(Debug)]
pub struct CommandTarget {
    specs: Vec<OperationSpec>,
    ops: Vec<CommandOperation>,
    spawn_overhead_ms: OnceLock<f64>,
}

impl CommandTarget {
    pub fn new(ops: Vec<CommandOperation>) -> Self {
        let specs = ops
            .iter()
            .map(|o| OperationSpec {
                name: o.name.clone(),
                weight: o.weight,
            })
            .collect();
        Self {
            specs,
            ops,
            spawn_overhead_ms: OnceLock::new(),
        }
    }

    /// Measures the median cost of spawning and reaping an empty command, once.
    pub async fn measure_spawn_overhead(&self) -> Option<f64> {
        if let Some(v) = self.spawn_overhead_ms.get() {
            return Some(*v);
        }
        let mut samples = Vec::with_capacity(15);
        for _ in 0..15 {
            let start = Instant::now();
            let mut cmd = tokio::process::Command::new("true");
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            crate::process_group::spawn_apart_async(&mut cmd);
            let status = cmd.status().await.ok()?;
            if !status.success() {
                return None;
            }
            samples.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        let median = perfgate_reports::stats::median(&samples)?;
        let _ = self.spawn_overhead_ms.set(median);
        Some(median)
    }
}

/// Kills a call's whole process group unless the call finished (and until then, the group is one the
/// interrupt handler kills).
struct GroupGuard {
    pgid: Option<(u32, crate::interrupt::Registered)>,
}

impl GroupGuard {
    fn kill(&mut self) {
        if let Some((pgid, registered)) = self.pgid.take() {
            crate::process_group::kill(pgid);
            drop(registered);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Target for CommandTarget {
    type Session = ();

    fn operations(&self) -> &[OperationSpec] {
        &self.specs
    }

    async fn prepare(&self) -> Result<(), CallError> {
        Ok(())
    }

    async fn call(&self, _session: &mut (), op: usize) -> Outcome {
        let op = &self.ops[op];
        let Some((program, args)) = op.argv.split_first() else {
            return Err(CallError::new(
                ErrorKind::Other("spawn".into()),
                "empty command",
            ));
        };
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .envs(&op.env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        crate::process_group::spawn_apart_async(&mut cmd);
        if let Some(cwd) = &op.cwd {
            cmd.current_dir(cwd);
        }
        let mut child = cmd.spawn().map_err(|e| {
            CallError::new(ErrorKind::Other("spawn".into()), format!("{program}: {e}"))
        })?;
        let mut guard = GroupGuard {
            pgid: child.id().map(|p| {
                (
                    p,
                    crate::interrupt::register(p, crate::interrupt::GroupKind::Command),
                )
            }),
        };
        let status = match op.timeout {
            Some(limit) => match tokio::time::timeout(limit, child.wait()).await {
                Ok(s) => s,
                Err(_) => {
                    guard.kill();
                    let _ = child.wait().await;
                    return Err(CallError::new(
                        ErrorKind::Timeout,
                        format!("killed after {:.1}s", limit.as_secs_f64()),
                    ));
                }
            },
            None => child.wait().await,
        };
        // The leader is reaped; anything it left behind in its group is killed by the guard.
        let status = status.map_err(|e| CallError::new(ErrorKind::Io, e.to_string()))?;
        drop(guard);
        if status.success() {
            Ok(())
        } else {
            let detail = match status.code() {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".to_string(),
            };
            Err(CallError::new(ErrorKind::ExitCode, detail))
        }
    }

    fn describe(&self) -> Vec<TargetInfo> {
        let mut info = TargetInfo {
            name: "command".into(),
            kind: "command".into(),
            ..Default::default()
        };
        if let Some(v) = self.spawn_overhead_ms.get() {
            info.details
                .insert("spawn_overhead_ms".into(), serde_json::json!(v));
        }
        vec![info]
    }

    fn overhead_ms(&self, _op: usize) -> Option<f64> {
        self.spawn_overhead_ms.get().copied()
    }
}

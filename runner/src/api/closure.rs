//! The closure target: library [`Operation`]s as a [`Target`], so they run on the same engine as the
//! CLI's HTTP and command targets (same schedules, open-model timing, histograms, sampler, record).
//!
//! A virtual user's session is one state slot per operation, filled by the operations' per-user `init`.
//! Every call and every `init` is polled inside a panic catcher: a panic is an error of kind `panic`,
//! and the worker goes on with its next call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use perfgate_reports::record::TargetInfo;

use super::operation::{Operation, State};
use super::panic::catch_unwind;
use crate::targets::{CallError, ErrorKind, OperationSpec, Outcome, Target};

/// A list of [`Operation`]s as one [`Target`].
///
/// The library's entry points build one for you. Build it yourself to drive the
/// [`Engine`](crate::engine::Engine) directly — the engine the CLI runs — e.g. for a custom schedule.
///
/// ```
/// use std::sync::Arc;
/// use perfgate::api::ClosureTarget;
/// use perfgate::engine::{BenchmarkPlan, Engine};
/// use perfgate::Operation;
///
/// let op = Operation::new("noop", async || Ok::<(), String>(()));
/// let target = Arc::new(ClosureTarget::new(vec![op], None));
/// let mut engine = Engine::new(target).with_workers(1);
/// let section = engine.benchmark(&BenchmarkPlan {
///     iterations: 10,
///     warmup_iterations: 0,
///     max_seconds_per_operation: 1.0,
/// });
/// assert_eq!(section.operations[0].total_requests, 10);
/// ```
#[derive(Debug)]
pub struct ClosureTarget {
    ops: Vec<Operation>,
    specs: Vec<OperationSpec>,
    /// The timeout of calls without their own, in ns (0 = none); set per phase by the runner.
    default_timeout_ns: AtomicU64,
}

impl ClosureTarget {
    /// Wraps `ops`; calls without their own [`Operation::timeout`] get `default_timeout`.
    pub fn new(ops: Vec<Operation>, default_timeout: Option<Duration>) -> Self {
        let specs = ops
            .iter()
            .map(|o| OperationSpec {
                name: o.name().to_string(),
                weight: o.weight_value(),
            })
            .collect();
        Self {
            ops,
            specs,
            default_timeout_ns: AtomicU64::new(nanos(default_timeout)),
        }
    }

    /// Changes the timeout of calls without their own (between phases: each config has its own
    /// `request_timeout`).
    pub fn set_default_timeout(&self, timeout: Option<Duration>) {
        self.default_timeout_ns
            .store(nanos(timeout), Ordering::Relaxed);
    }

    /// The operations.
    pub fn ops(&self) -> &[Operation] {
        &self.ops
    }
}

fn nanos(t: Option<Duration>) -> u64 {
    t.map(|t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn panicked(message: String) -> CallError {
    CallError::new(ErrorKind::Panic, message)
}

impl Target for ClosureTarget {
    type Session = Vec<State>;

    fn operations(&self) -> &[OperationSpec] {
        &self.specs
    }

    async fn prepare(&self) -> Result<Vec<State>, CallError> {
        let mut states = Vec::with_capacity(self.ops.len());
        for op in &self.ops {
            let state = catch_unwind(op.init(), true)
                .await
                .unwrap_or_else(|p| Err(panicked(p.message)))?;
            states.push(state);
        }
        Ok(states)
    }

    async fn call(&self, session: &mut Vec<State>, op: usize) -> Outcome {
        match catch_unwind(self.ops[op].call(&mut session[op]), true).await {
            Ok(outcome) => outcome,
            Err(p) => Err(panicked(p.message)),
        }
    }

    fn timeout(&self, op: usize) -> Option<Duration> {
        self.ops[op].timeout_value().or_else(|| {
            let ns = self.default_timeout_ns.load(Ordering::Relaxed);
            (ns > 0).then(|| Duration::from_nanos(ns))
        })
    }

    fn describe(&self) -> Vec<TargetInfo> {
        let names: Vec<serde_json::Value> = self
            .specs
            .iter()
            .map(|s| serde_json::Value::from(s.name.clone()))
            .collect();
        vec![TargetInfo {
            name: "closures".into(),
            kind: "closure".into(),
            details: [("operations".to_string(), serde_json::Value::from(names))]
                .into_iter()
                .collect(),
            ..Default::default()
        }]
    }
}

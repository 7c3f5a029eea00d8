//! The suite target: the operations of a config file, whatever their kinds, as one [`Target`].
//!
//! A load mix may combine HTTP endpoints and commands (and MCP tools); the engine sees one target whose
//! operation `i` is dispatched to the part that owns it. Dispatch is a `match`, not a boxed future, so the hot
//! path stays allocation-free.

use super::command::CommandTarget;
use super::http::{HttpSession, HttpTarget};
use super::{CallError, OperationSpec, Outcome, Target};
use perfgate_reports::record::TargetInfo;
use std::time::Duration;

/// One kind of target inside a suite.
#[derive(Debug)]
pub enum Part {
    Http(HttpTarget),
    Command(CommandTarget),
}

/// A part's per-user session.
pub enum PartSession {
    Http(HttpSession),
    Command,
}

/// All operations of a suite.
#[derive(Debug)]
pub struct SuiteTarget {
    parts: Vec<Part>,
    /// Global operation index → (part, index within the part).
    map: Vec<(usize, usize)>,
    specs: Vec<OperationSpec>,
    pid: Option<u32>,
}

impl SuiteTarget {
    /// Combines parts; operations keep the order of the parts given.
    pub fn new(parts: Vec<Part>) -> Self {
        let mut map = Vec::new();
        let mut specs = Vec::new();
        for (p, part) in parts.iter().enumerate() {
            for (i, spec) in part_specs(part).iter().enumerate() {
                map.push((p, i));
                specs.push(spec.clone());
            }
        }
        Self {
            parts,
            map,
            specs,
            pid: None,
        }
    }

    /// The service process behind the suite (started by perfgate or given by pid).
    pub fn with_process_id(mut self, pid: Option<u32>) -> Self {
        self.pid = pid;
        self
    }

    /// Runs one-off measurements the parts need before a run (spawn overhead of commands).
    pub async fn calibrate(&self) {
        for part in &self.parts {
            if let Part::Command(c) = part {
                let _ = c.measure_spawn_overhead().await;
            }
        }
    }

    /// Makes the HTTP parts send the run's W3C trace context (`propagate_trace_context`).
    pub fn with_trace_propagation(
        mut self,
        trace: Option<crate::monitoring::traceparent::TraceParent>,
    ) -> Self {
        if trace.is_some() {
            self.parts = self
                .parts
                .into_iter()
                .map(|p| match p {
                    Part::Http(t) => Part::Http(t.with_trace_propagation(trace)),
                    other => other,
                })
                .collect();
        }
        self
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }
}

fn part_specs(part: &Part) -> &[OperationSpec] {
    match part {
        Part::Http(t) => t.operations(),
        Part::Command(t) => t.operations(),
    }
}

impl Target for SuiteTarget {
    type Session = Vec<PartSession>;

    fn operations(&self) -> &[OperationSpec] {
        &self.specs
    }

    async fn prepare(&self) -> Result<Vec<PartSession>, CallError> {
        let mut sessions = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            sessions.push(match part {
                Part::Http(t) => PartSession::Http(t.prepare().await?),
                Part::Command(t) => {
                    t.prepare().await?;
                    PartSession::Command
                }
            });
        }
        Ok(sessions)
    }

    async fn call(&self, session: &mut Vec<PartSession>, op: usize) -> Outcome {
        let (p, i) = self.map[op];
        match (&self.parts[p], &mut session[p]) {
            (Part::Http(t), PartSession::Http(s)) => t.call(s, i).await,
            (Part::Command(t), PartSession::Command) => t.call(&mut (), i).await,
            _ => unreachable!("sessions are created in the order of the parts"),
        }
    }

    fn timeout(&self, op: usize) -> Option<Duration> {
        let (p, i) = self.map[op];
        match &self.parts[p] {
            Part::Http(t) => t.timeout(i),
            Part::Command(t) => t.timeout(i),
        }
    }

    fn describe(&self) -> Vec<TargetInfo> {
        self.parts
            .iter()
            .flat_map(|p| match p {
                Part::Http(t) => t.describe(),
                Part::Command(t) => t.describe(),
            })
            .collect()
    }

    fn process_id(&self) -> Option<u32> {
        self.pid
    }

    fn overhead_ms(&self, op: usize) -> Option<f64> {
        let (p, i) = self.map[op];
        match &self.parts[p] {
            Part::Http(t) => t.overhead_ms(i),
            Part::Command(t) => t.overhead_ms(i),
        }
    }
}

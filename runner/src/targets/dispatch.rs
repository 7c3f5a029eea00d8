//! The suite target: the operations of a config file, whatever their kinds, as one [`Target`].
//!
//! A load mix may combine HTTP endpoints and commands (and MCP tools); the engine sees one target whose
//! operation `i` is dispatched to the part that owns it. Dispatch is a `match`, not a boxed future, so the hot
//! path stays allocation-free.

use super::command::CommandTarget;
use super::http::{HttpSession, HttpTarget};
use super::mcp::{McpSession, McpTarget};
use super::{CallError, OperationSpec, Outcome, SetupDone, Target};
use perfgate_reports::record::TargetInfo;
use std::time::Duration;

/// One kind of target inside a suite.
#[derive(Debug)]
pub enum Part {
    Http(HttpTarget),
    Command(CommandTarget),
    /// Boxed: an MCP target holds its session state and is much larger than the others.
    Mcp(Box<McpTarget>),
}

/// A part's per-user session.
pub enum PartSession {
    Http(HttpSession),
    Command,
    Mcp(McpSession),
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

    /// Opens one session of every MCP part before the run (in `shared` mode it stays the run's session).
    /// A failure's kind says whether the server could not be reached or started at all.
    pub async fn probe(&self) -> Result<(), CallError> {
        for part in &self.parts {
            if let Part::Mcp(m) = part {
                m.probe().await?;
            }
        }
        Ok(())
    }

    /// The processes behind an MCP stdio part (one per session), for the sampler when no pid is known.
    pub fn processes(&self) -> Option<crate::system::ProcessSet> {
        self.parts.iter().find_map(|p| match p {
            Part::Mcp(m) => m.processes(),
            _ => None,
        })
    }

    /// Ends what the parts keep open across phases (the MCP shared session and its server), so that its
    /// exit is part of the record. Called once after the last phase.
    pub fn shutdown(&self) {
        for part in &self.parts {
            if let Part::Mcp(m) = part {
                m.shutdown();
            }
        }
    }
}

fn part_specs(part: &Part) -> &[OperationSpec] {
    match part {
        Part::Http(t) => t.operations(),
        Part::Command(t) => t.operations(),
        Part::Mcp(t) => t.operations(),
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
                Part::Mcp(t) => PartSession::Mcp(t.prepare().await?),
            });
        }
        Ok(sessions)
    }

    async fn call(&self, session: &mut Vec<PartSession>, op: usize) -> Outcome {
        let (p, i) = self.map[op];
        match (&self.parts[p], &mut session[p]) {
            (Part::Http(t), PartSession::Http(s)) => t.call(s, i).await,
            (Part::Command(t), PartSession::Command) => t.call(&mut (), i).await,
            (Part::Mcp(t), PartSession::Mcp(s)) => t.call(s, i).await,
            _ => unreachable!("sessions are created in the order of the parts"),
        }
    }

    fn setup_operation(&self, op: usize) -> Option<&str> {
        let (p, i) = self.map[op];
        match &self.parts[p] {
            Part::Http(t) => t.setup_operation(i),
            Part::Command(t) => t.setup_operation(i),
            Part::Mcp(t) => t.setup_operation(i),
        }
    }

    async fn setup(&self, session: &mut Vec<PartSession>, op: usize) -> Option<SetupDone> {
        let (p, i) = self.map[op];
        match (&self.parts[p], &mut session[p]) {
            (Part::Mcp(t), PartSession::Mcp(s)) => t.setup(s, i).await,
            (Part::Http(t), PartSession::Http(s)) => t.setup(s, i).await,
            _ => None,
        }
    }

    fn warnings(&self) -> Vec<String> {
        self.parts
            .iter()
            .flat_map(|p| match p {
                Part::Mcp(t) => t.warnings(),
                Part::Http(t) => t.warnings(),
                Part::Command(_) => Vec::new(),
            })
            .collect()
    }

    fn timeout(&self, op: usize) -> Option<Duration> {
        let (p, i) = self.map[op];
        match &self.parts[p] {
            Part::Http(t) => t.timeout(i),
            Part::Command(t) => t.timeout(i),
            Part::Mcp(t) => t.timeout(i),
        }
    }

    fn describe(&self) -> Vec<TargetInfo> {
        self.parts
            .iter()
            .flat_map(|p| match p {
                Part::Http(t) => t.describe(),
                Part::Command(t) => t.describe(),
                Part::Mcp(t) => t.describe(),
            })
            .collect()
    }

    fn process_id(&self) -> Option<u32> {
        self.pid.or_else(|| {
            self.parts.iter().find_map(|p| match p {
                Part::Mcp(t) => t.process_id(),
                _ => None,
            })
        })
    }

    fn overhead_ms(&self, op: usize) -> Option<f64> {
        let (p, i) = self.map[op];
        match &self.parts[p] {
            Part::Http(t) => t.overhead_ms(i),
            Part::Command(t) => t.overhead_ms(i),
            Part::Mcp(t) => t.overhead_ms(i),
        }
    }
}

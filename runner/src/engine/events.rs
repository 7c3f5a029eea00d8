//! The engine's event stream.
//!
//! The engine does not print, serve metrics or trace. It emits [`Event`]s to [`Observer`]s — the progress
//! bar, the CI log lines, the live `/metrics` endpoint — so each consumer is one small module and the
//! engine's loops stay free of output code (nextest's reporter events are the model).

use perfgate_reports::record::{OperationResult, StressStep, TestType, TimelinePoint};

/// Something that happened during a run.
#[derive(Debug)]
pub enum Event<'a> {
    /// A phase (benchmark operation, load, one stress step) begins.
    PhaseStarted {
        test_type: TestType,
        label: &'a str,
        /// Expected wall time of the phase, when known.
        expected_seconds: Option<f64>,
        users: u32,
    },
    /// One second of a load or stress phase.
    Tick {
        test_type: TestType,
        label: &'a str,
        point: &'a TimelinePoint,
        /// Operation names, parallel to `counts`.
        operations: &'a [String],
        /// Per operation: (requests, errors) completed this second.
        counts: &'a [(u64, u64)],
        elapsed_seconds: f64,
        expected_seconds: Option<f64>,
    },
    /// A benchmark operation finished.
    OperationFinished {
        test_type: TestType,
        result: &'a OperationResult,
    },
    /// A stress step finished.
    StepFinished { step: &'a StressStep },
    /// A phase finished.
    PhaseFinished { test_type: TestType, label: &'a str },
}

/// A consumer of engine events. Called on the coordinating thread, at most a few times a second.
pub trait Observer: Send {
    fn on_event(&mut self, event: &Event<'_>);
}

/// Fans events out to several observers.
#[derive(Default)]
pub struct Observers {
    list: Vec<Box<dyn Observer>>,
}

impl Observers {
    pub fn push(&mut self, o: Box<dyn Observer>) {
        self.list.push(o);
    }

    pub fn emit(&mut self, event: &Event<'_>) {
        for o in &mut self.list {
            o.on_event(event);
        }
    }
}

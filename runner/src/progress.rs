//! Progress output: a live bar on a terminal, a plain line every few seconds in CI.
//!
//! Both are [`Observer`]s of the engine's events and write to stderr, so stdout stays clean for the final
//! table or `--json`. With `--verbose`, both also print one line per second of load and stress: rps,
//! p50/p95/p99, errors, users, and the target's CPU and memory (the runner's, labelled, when no target
//! process is known) — above the bar on a terminal, as plain lines in CI.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use perfgate_reports::record::TimelinePoint;
use perfgate_reports::render::NOT_MEASURED;

use crate::engine::events::{Event, Observer};

/// Picks the bar on a terminal and plain lines otherwise; `quiet` disables both.
pub fn for_stderr(quiet: bool) -> Option<Box<dyn Observer>> {
    for_stderr_verbose(quiet, false)
}

/// Like [`for_stderr`]; `verbose` adds a line for every second of load and stress.
pub fn for_stderr_verbose(quiet: bool, verbose: bool) -> Option<Box<dyn Observer>> {
    if quiet {
        return None;
    }
    if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
        Some(Box::new(Bar { bar: None, verbose }))
    } else {
        let mut lines = Lines::new(Duration::from_secs(5));
        lines.verbose = verbose;
        Some(Box::new(lines))
    }
}

/// One second of a phase, as `--verbose` prints it.
pub fn second_line(label: &str, point: &TimelinePoint, elapsed: f64) -> String {
    let resources = match (point.cpu_percent, point.memory_mb) {
        (None, None) => match (point.runner_cpu_percent, point.runner_memory_mb) {
            (Some(c), Some(m)) => format!(
                "CPU {NOT_MEASURED}  memory {NOT_MEASURED}  (runner CPU {c:.1}%  memory {m:.1} MB)"
            ),
            _ => format!("CPU {NOT_MEASURED}  memory {NOT_MEASURED}"),
        },
        (c, m) => format!(
            "CPU {}  memory {}",
            c.map_or(NOT_MEASURED.to_string(), |c| format!("{c:.1}%")),
            m.map_or(NOT_MEASURED.to_string(), |m| format!("{m:.1} MB"))
        ),
    };
    format!(
        "perfgate: {label} {elapsed:>4.0}s  {:.0} rps  p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  errors {}  users {}  {resources}",
        point.rps, point.p50_ms, point.p95_ms, point.p99_ms, point.errors, point.active_users
    )
}

/// The live bar.
#[derive(Default)]
pub struct Bar {
    bar: Option<ProgressBar>,
    verbose: bool,
}

impl Observer for Bar {
    fn on_event(&mut self, event: &Event<'_>) {
        match event {
            Event::PhaseStarted {
                label,
                expected_seconds,
                ..
            } => {
                let bar = match expected_seconds {
                    Some(s) => ProgressBar::new((*s * 10.0) as u64),
                    None => ProgressBar::new_spinner(),
                };
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>22} [{bar:30}] {elapsed:>4} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                bar.set_prefix(label.to_string());
                bar.enable_steady_tick(Duration::from_millis(200));
                self.bar = Some(bar);
            }
            Event::Tick {
                label,
                point,
                elapsed_seconds,
                ..
            } => {
                if let Some(bar) = &self.bar {
                    if self.verbose {
                        bar.println(second_line(label, point, *elapsed_seconds));
                    }
                    bar.set_position((*elapsed_seconds * 10.0) as u64);
                    bar.set_message(format!(
                        "{:>8.0} rps  p95 {:>8.2} ms  errors {}",
                        point.rps, point.p95_ms, point.errors
                    ));
                }
            }
            Event::OperationFinished { result, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!(
                        "{} calls  p95 {:.2} ms",
                        result.total_requests, result.latency_ms.p95
                    ));
                }
            }
            Event::StepFinished { step } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                eprintln!(
                    "  stress {:>4} users: {:>9.1} rps  p95 {:>8.2} ms  errors {:>5.1}%{}",
                    step.concurrency,
                    step.throughput_rps,
                    step.latency_ms.p95,
                    step.error_rate_percent,
                    step.stop_reason
                        .as_ref()
                        .map(|r| format!("  — stop: {r}"))
                        .unwrap_or_default()
                );
            }
            Event::PhaseFinished { .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

/// Plain lines for logs: at most one per `every` while a phase runs, and one at each phase's end.
pub struct Lines {
    every: Duration,
    last: Instant,
    started: Instant,
    /// A line for every second (`--verbose`).
    pub verbose: bool,
}

impl Lines {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            last: Instant::now(),
            started: Instant::now(),
            verbose: false,
        }
    }
}

impl Observer for Lines {
    fn on_event(&mut self, event: &Event<'_>) {
        let mut err = std::io::stderr().lock();
        match event {
            Event::PhaseStarted {
                label,
                expected_seconds,
                users,
                ..
            } => {
                self.started = Instant::now();
                self.last = Instant::now();
                let _ = writeln!(
                    err,
                    "perfgate: {label} started ({users} user{}{})",
                    if *users == 1 { "" } else { "s" },
                    expected_seconds
                        .map(|s| format!(", ~{s:.0}s"))
                        .unwrap_or_default()
                );
            }
            Event::Tick {
                label,
                point,
                elapsed_seconds,
                expected_seconds,
                ..
            } => {
                if self.verbose {
                    let _ = writeln!(err, "{}", second_line(label, point, *elapsed_seconds));
                } else if self.last.elapsed() >= self.every {
                    self.last = Instant::now();
                    let _ = writeln!(
                        err,
                        "perfgate: {label} {:.0}/{:.0}s  {:.0} rps  p95 {:.2} ms  errors {}  users {}",
                        elapsed_seconds,
                        expected_seconds.unwrap_or(0.0),
                        point.rps,
                        point.p95_ms,
                        point.errors,
                        point.active_users
                    );
                }
            }
            Event::OperationFinished { result, .. } => {
                let _ = writeln!(
                    err,
                    "perfgate: benchmark {}: {} calls, p50 {:.2} ms, p95 {:.2} ms, {:.1}% ok",
                    result.operation_name,
                    result.total_requests,
                    result.latency_ms.p50,
                    result.latency_ms.p95,
                    result.success_rate_percent
                );
            }
            Event::StepFinished { step } => {
                let _ = writeln!(
                    err,
                    "perfgate: stress {} users: {:.1} rps, p95 {:.2} ms, errors {:.1}%{}",
                    step.concurrency,
                    step.throughput_rps,
                    step.latency_ms.p95,
                    step.error_rate_percent,
                    step.stop_reason
                        .as_ref()
                        .map(|r| format!(" — stop: {r}"))
                        .unwrap_or_default()
                );
            }
            Event::PhaseFinished { label, .. } => {
                let _ = writeln!(
                    err,
                    "perfgate: {label} finished in {:.1}s",
                    self.started.elapsed().as_secs_f64()
                );
            }
        }
    }
}

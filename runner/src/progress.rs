//! Progress output: a live bar on a terminal, a plain line every few seconds in CI.
//!
//! Both are [`Observer`]s of the engine's events and write to stderr, so stdout stays clean for the final
//! table or `--json`.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::events::{Event, Observer};

/// Picks the bar on a terminal and plain lines otherwise; `quiet` disables both.
pub fn for_stderr(quiet: bool) -> Option<Box<dyn Observer>> {
    if quiet {
        return None;
    }
    if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
        Some(Box::new(Bar::default()))
    } else {
        Some(Box::new(Lines::new(Duration::from_secs(5))))
    }
}

/// The live bar.
#[derive(Default)]
pub struct Bar {
    bar: Option<ProgressBar>,
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
                point,
                elapsed_seconds,
                ..
            } => {
                if let Some(bar) = &self.bar {
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
}

impl Lines {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            last: Instant::now(),
            started: Instant::now(),
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
                if self.last.elapsed() >= self.every {
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

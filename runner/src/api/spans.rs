//! `enable_tracing`: one [`tracing`] span per engine phase, with the original framework's span names and
//! attributes.
//!
//! The span is named `performance` and carries `otel.name = "performance.<test_type>.<operation>"` (the
//! name `tracing-opentelemetry` exports), with `performance.test_type`, `performance.iterations`,
//! `performance.duration_seconds`, `performance.memory_delta_mb` and `performance.cpu_delta_percent`. A
//! benchmark has one span per operation; a load test one for the mix (`operation` = `all`); a stress test
//! one per step. It is an [`Observer`] of the engine's events, so the engine itself knows nothing of it.
//! Without a `tracing` subscriber the spans cost nothing measurable.

use std::time::Instant;

use perfgate_reports::histogram::round3;
use perfgate_reports::record::TestType;
use tracing::field::Empty;

use super::resources::{Reading, ResourceReader};
use crate::engine::events::{Event, Observer};

/// Emits a span per phase (see the module docs).
pub(crate) struct SpanObserver {
    reader: ResourceReader,
    open: Option<(tracing::Span, Instant, Reading)>,
}

impl SpanObserver {
    pub(crate) fn new() -> Self {
        Self {
            reader: ResourceReader::new(),
            open: None,
        }
    }
}

impl Observer for SpanObserver {
    fn on_event(&mut self, event: &Event<'_>) {
        match event {
            Event::PhaseStarted {
                test_type,
                label,
                users,
                ..
            } => {
                let operation = match test_type {
                    TestType::Benchmark => *label,
                    _ => "all",
                };
                let span = tracing::info_span!(
                    "performance",
                    otel.name = %format_args!("performance.{test_type}.{operation}"),
                    performance.test_type = %test_type,
                    performance.operation = operation,
                    performance.phase = *label,
                    performance.users = *users,
                    performance.iterations = Empty,
                    performance.duration_seconds = Empty,
                    performance.memory_delta_mb = Empty,
                    performance.cpu_delta_percent = Empty,
                    performance.error_rate_percent = Empty,
                );
                self.open = Some((span, Instant::now(), self.reader.read()));
            }
            Event::OperationFinished { result, .. } => {
                if let Some((span, _, _)) = &self.open {
                    span.record("performance.iterations", result.total_requests);
                    span.record(
                        "performance.error_rate_percent",
                        round3(result.error_rate_percent()),
                    );
                }
            }
            Event::StepFinished { step } => {
                if let Some((span, _, _)) = &self.open {
                    span.record("performance.iterations", step.total_requests);
                    span.record("performance.error_rate_percent", step.error_rate_percent);
                }
            }
            Event::PhaseFinished { .. } => {
                if let Some((span, t0, before)) = self.open.take() {
                    let wall = t0.elapsed().as_secs_f64();
                    let after = self.reader.read();
                    span.record("performance.duration_seconds", round3(wall));
                    if let (Some(a), Some(b)) = (before.rss_bytes, after.rss_bytes) {
                        let delta = (b as f64 - a as f64) / 1_048_576.0;
                        span.record("performance.memory_delta_mb", round3(delta));
                    }
                    if let (Some(a), Some(b)) = (before.cpu_us, after.cpu_us) {
                        if wall > 0.0 {
                            let pct = b.saturating_sub(a) as f64 / 1e6 / wall * 100.0;
                            span.record("performance.cpu_delta_percent", round3(pct));
                        }
                    }
                }
            }
            Event::Tick { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing::span::{Attributes, Id, Record};
    use tracing::subscriber::Subscriber;

    /// A subscriber that keeps the text of every span field it is given.
    #[derive(Clone, Default)]
    struct Collect(Arc<Mutex<Vec<String>>>);

    struct Visit<'a>(&'a mut Vec<String>);
    impl tracing::field::Visit for Visit<'_> {
        fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
            self.0.push(format!("{}={v:?}", f.name()));
        }
    }

    impl Subscriber for Collect {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, a: &Attributes<'_>) -> Id {
            a.record(&mut Visit(&mut self.0.lock().unwrap()));
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, r: &Record<'_>) {
            r.record(&mut Visit(&mut self.0.lock().unwrap()));
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, _: &tracing::Event<'_>) {}
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[test]
    fn a_benchmark_phase_becomes_a_span_with_the_framework_names() {
        let collect = Collect::default();
        tracing::subscriber::with_default(collect.clone(), || {
            let mut o = SpanObserver::new();
            o.on_event(&Event::PhaseStarted {
                test_type: TestType::Benchmark,
                label: "chat_resolution",
                expected_seconds: None,
                users: 1,
            });
            let result = perfgate_reports::record::OperationResult {
                total_requests: 40,
                ..Default::default()
            };
            o.on_event(&Event::OperationFinished {
                test_type: TestType::Benchmark,
                result: &result,
            });
            o.on_event(&Event::PhaseFinished {
                test_type: TestType::Benchmark,
                label: "chat_resolution",
            });
        });
        let fields = collect.0.lock().unwrap().join(" ");
        assert!(
            fields.contains("otel.name=performance.benchmark.chat_resolution"),
            "{fields}"
        );
        assert!(fields.contains("performance.iterations=40"), "{fields}");
        assert!(fields.contains("performance.duration_seconds="), "{fields}");
        assert!(
            fields.contains("performance.cpu_delta_percent="),
            "{fields}"
        );
    }
}

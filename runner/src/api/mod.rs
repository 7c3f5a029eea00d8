//! The library API: benchmark, load-test and stress any async Rust operation from code, and profile blocks
//! of code — on the same engine, with the same run records and reports, as the `perfgate` CLI.
//!
//! - [`Operation`]: a named async closure returning `Result<(), E>`; errors are keyed by a classifier or
//!   by a short slug of their `Display` ([`error_key`]); panics are caught and counted as `panic`.
//! - [`benchmark`], [`load_test`], [`stress_test`]:
//!   one schedule each, configured by [`BenchmarkConfig`], [`LoadTestConfig`] (`duration_seconds`,
//!   `concurrent_users`, `ramp_up_seconds`, `target_rps`, `request_timeout`, `collect_system_metrics`,
//!   `enable_tracing`) and [`StressConfig`]. They are `async` and do not block the caller's executor;
//!   [`blocking`] has the blocking forms.
//! - [`Suite`]: the library's `perfgate run` — several operations and schedules, gates, a baseline, and the
//!   same report files.
//! - [`profiler()`](crate::profiler): `profiler.profile("name", async { … }).await` records latency,
//!   success and resource deltas per name, cheaply; it becomes a run record or a report.
//! - [`Run`]: what a run returns — the [`RunRecord`](perfgate_reports::RunRecord) (analysed), accessors,
//!   the rendered summary and report, and the files.
//!
//! **One engine.** Operations become a [`ClosureTarget`], an implementation of the same
//! [`Target`](crate::targets::Target) trait as the CLI's HTTP and command targets, and run on the same
//! [`Engine`](crate::engine::Engine): share-nothing worker threads each running a current-thread Tokio
//! runtime, per-worker HDR histograms merged once (constant memory however long the run), the open model
//! measured from intended start times (no coordinated omission), the runner's own CPU sampled and a
//! saturated runner flagged in the record's `system.runner_saturated` and `warnings`. So the operation's
//! future runs on a perfgate worker thread, not on the caller's runtime: it need not be `Send`, and
//! runtime-bound resources (sockets, clients) should be created in the operation or in its per-user
//! `init` ([`Operation::per_user`]). Each call's future is boxed (one allocation per call).
//!
//! **Tracing.** With `enable_tracing`, the run's spans are exported over OTLP/HTTP exactly as `perfgate run`
//! exports them ([`crate::monitoring::otel`]): `performance.run` and under it one span per test type and
//! operation, `performance.<test_type>.<operation>`, with `performance.test_type`,
//! `performance.iterations`, `performance.duration_seconds`, `performance.memory_delta_mb`,
//! `performance.cpu_delta_percent` and the results. The endpoint comes from the standard
//! `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` variables (default `http://localhost:4318`); a collector that
//! cannot be reached becomes a warning in the record, never an error.
//!
//! ```
//! use std::time::Duration;
//! use perfgate::{LoadTestConfig, Operation};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), perfgate::Error> {
//! let op = Operation::new("lookup", async || {
//!     tokio::time::sleep(Duration::from_millis(1)).await;
//!     Ok::<(), std::io::Error>(())
//! });
//! let cfg = LoadTestConfig { duration_seconds: 0.2, concurrent_users: 4, ..Default::default() };
//! let run = perfgate::load_test([op], cfg).await?;
//! let lookup = run.result("lookup").unwrap();
//! assert_eq!(lookup.success_rate_percent, 100.0);
//! assert!(lookup.latency_ms.p50 >= 1.0);
//! # Ok(())
//! # }
//! ```

pub mod blocking;
mod closure;
mod config;
mod error_key;
mod operation;
mod panic;
mod profiler;
mod resources;
mod run;
mod suite;

pub use closure::ClosureTarget;
pub use config::{BenchmarkConfig, LoadTestConfig, StressConfig};
pub use error_key::{error_key, MAX_KEY_LEN};
pub use operation::Operation;
pub use profiler::{profiler, ProfileStats, Profiled, Profiler, Scope};
pub use run::{benchmark, load_test, stress_test, Run};
pub use suite::Suite;

//! perfgate: performance testing for services, built for CI.
//!
//! This crate is the library half of the runner: it reads the config ([`config`]), starts the service under
//! test ([`service`]), calls it through [`targets`] on the [`engine`]'s schedules while [`system`] samples
//! CPU and memory, puts the run record together and judges it once ([`session`]: the one run path), writes
//! what `perfgate-reports` renders ([`output`]), and hands the run to Prometheus and OpenTelemetry
//! ([`monitoring`]). It does not depend on clap, octocrab or leptos: the `perfgate` command line, the
//! reports branch, GitHub and the site live in the `perfgate-cli` crate (`runner/cli/`). The logic that
//! decides things (statistics, verdicts, formats) lives in `perfgate-reports`, which has no I/O.
//!
//! Data flows one way: config → engine → run record → analysis → renderers/publishers → site.
//!
//! # Library API
//!
//! The same engine, records and reports are available from Rust code ([`api`], re-exported here):
//! [`benchmark`], [`load_test`] and [`stress_test`] an async closure ([`Operation`]), run a whole
//! [`Suite`] like `perfgate run`, or [`profiler`] blocks of code. See the README's "Use perfgate from Rust code" and the crate's
//! `examples/`.
//!
//! ```
//! use perfgate::{blocking, BenchmarkConfig, Operation};
//!
//! let op = Operation::new("checksum", async || {
//!     let sum: u64 = (0..1_000u64).sum();
//!     if sum == 499_500 { Ok(()) } else { Err("wrong sum") }
//! });
//! let run = blocking::benchmark(op, BenchmarkConfig { iterations: 20, ..Default::default() })?;
//! assert_eq!(run.result("checksum").unwrap().success_rate_percent, 100.0);
//! # Ok::<(), perfgate::Error>(())
//! ```

pub mod api;
pub mod config;
pub mod engine;
pub mod environment;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod interrupt;
pub mod monitoring;
pub mod output;
pub mod process_group;
pub mod progress;
pub mod scenario;
pub mod service;
pub mod session;
pub mod system;
pub mod targets;
pub mod tls;

pub use api::blocking;
pub use api::{
    benchmark, load_test, profiler, stress_test, BenchmarkConfig, LoadTestConfig, Operation,
    Profiler, Run, StressConfig, Suite,
};
pub use error::{Error, ExitStatus};
/// The pure core: run record, histograms, analysis, gates, renderers (the `perfgate-reports` crate).
pub use perfgate_reports as reports;

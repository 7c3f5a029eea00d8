//! Blocking forms of [`benchmark`](crate::benchmark), [`load_test`](crate::load_test) and
//! [`stress_test`](crate::stress_test), for plain `#[test]` functions and `main`s without an executor.
//!
//! They block the calling thread until the run ends. Do not call them from inside an async task whose
//! executor also runs the code under test (for example an in-process server on a current-thread runtime):
//! that code would stop while it is being measured. Use the async forms there.

use super::config::{BenchmarkConfig, LoadTestConfig, StressConfig};
use super::operation::Operation;
use super::run::{benchmark_job, execute, load_job, stress_job, Run};
use crate::error::Result;

/// Benchmarks one operation, blocking (see [`crate::benchmark`]).
///
/// ```
/// use perfgate::{blocking, BenchmarkConfig, Operation};
///
/// let op = Operation::new("parse", async || "42".parse::<u32>().map(|_| ()));
/// let run = blocking::benchmark(op, BenchmarkConfig { iterations: 20, ..Default::default() })?;
/// assert_eq!(run.result("parse").unwrap().successful_requests, 20);
/// # Ok::<(), perfgate::Error>(())
/// ```
pub fn benchmark(op: Operation, config: BenchmarkConfig) -> Result<Run> {
    execute(benchmark_job(op, config))
}

/// Load-tests a mix of operations, blocking (see [`crate::load_test`]).
///
/// ```
/// use perfgate::{blocking, LoadTestConfig, Operation};
///
/// let op = Operation::new("noop", async || Ok::<(), String>(()));
/// let cfg = LoadTestConfig { duration_seconds: 0.1, concurrent_users: 2, ..Default::default() };
/// let run = blocking::load_test([op], cfg)?;
/// assert_eq!(run.record().load.as_ref().unwrap().model, "closed");
/// # Ok::<(), perfgate::Error>(())
/// ```
pub fn load_test(ops: impl IntoIterator<Item = Operation>, config: LoadTestConfig) -> Result<Run> {
    execute(load_job(ops.into_iter().collect(), config))
}

/// Stress-tests one operation, blocking (see [`crate::stress_test`]).
///
/// ```
/// use perfgate::{blocking, Operation, StressConfig};
///
/// let op = Operation::new("noop", async || Ok::<(), String>(()));
/// let cfg = StressConfig {
///     start_concurrent: 1, max_concurrent: 1, step_size: 1,
///     step_duration_seconds: 0.05, step_warmup_seconds: 0.0,
///     ..Default::default()
/// };
/// let run = blocking::stress_test(op, cfg)?;
/// assert_eq!(run.record().stress.as_ref().unwrap().steps.len(), 1);
/// # Ok::<(), perfgate::Error>(())
/// ```
pub fn stress_test(op: Operation, config: StressConfig) -> Result<Run> {
    execute(stress_job(op, config))
}

//! [`Suite`]: the library's `perfgate run` — several operations, any of the three schedules, gates, an
//! optional baseline, and the same run record and report files as the CLI.

use std::path::PathBuf;

use perfgate_reports::gates::{Gates, RegressionPolicy};
use perfgate_reports::record::RunRecord;

use super::config::{BenchmarkConfig, LoadTestConfig, StressConfig};
use super::operation::Operation;
use super::run::{execute, off_thread, Job, Run};
use crate::engine::events::Observer;
use crate::error::{Error, Result};

/// A suite of operations run like `perfgate run`: benchmark, then load, then stress (whichever are set),
/// then the analysis, then — with [`output_dir`](Suite::output_dir) — the report files.
///
/// Without [`gates`](Suite::gates) the default gates apply (p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10
/// rps), as in the CLI. The record's `test_type` is the schedule's name when one ran, else `all`.
///
/// ```
/// use perfgate::{BenchmarkConfig, LoadTestConfig, Operation, Suite};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), perfgate::Error> {
/// let out = tempfile::tempdir().unwrap();
/// let run = Suite::new("checkout")
///     .operation(Operation::new("add_to_cart", async || Ok::<(), String>(())))
///     .operation(Operation::new("pay", async || Ok::<(), String>(())).weight(1))
///     .benchmark(BenchmarkConfig { iterations: 20, warmup_iterations: 2, ..Default::default() })
///     .load(LoadTestConfig { duration_seconds: 0.1, concurrent_users: 2, ..Default::default() })
///     .gate("p95 < 50ms")?
///     .output_dir(out.path())
///     .run()
///     .await?;
/// assert!(run.passed(), "{}", run.summary_text());
/// assert_eq!(run.record().test_type, "all");
/// assert!(run.files().run_record.is_some());
/// # Ok(())
/// # }
/// ```
pub struct Suite {
    job: Job,
    custom_gates: bool,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("name", &self.job.suite)
            .field("operations", &self.job.ops)
            .field("benchmark", &self.job.benchmark)
            .field("load", &self.job.load)
            .field("stress", &self.job.stress)
            .field("output_dir", &self.job.output_dir)
            .finish_non_exhaustive()
    }
}

impl Suite {
    /// A suite named `name` (the record's `suite`: file names, PR comment markers and the site use it).
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            job: Job::new(&name, Vec::new()),
            custom_gates: false,
        }
    }

    /// Adds an operation.
    pub fn operation(mut self, op: Operation) -> Self {
        self.job.ops.push(op);
        self
    }

    /// Adds operations.
    pub fn operations(mut self, ops: impl IntoIterator<Item = Operation>) -> Self {
        self.job.ops.extend(ops);
        self
    }

    /// Runs the benchmark schedule with `config`.
    pub fn benchmark(mut self, config: BenchmarkConfig) -> Self {
        self.job.benchmark = Some(config);
        self
    }

    /// Runs the load schedule with `config`.
    pub fn load(mut self, config: LoadTestConfig) -> Self {
        self.job.load = Some(config);
        self
    }

    /// Runs the stress schedule with `config`.
    pub fn stress(mut self, config: StressConfig) -> Self {
        self.job.stress = Some(config);
        self
    }

    /// Replaces the gates (the default gates included) with `gates`.
    ///
    /// ```
    /// use perfgate::reports::gates::Gates;
    /// let gates = Gates::parse_all(&["p99 < 20ms", "error_rate < 1%"]).unwrap();
    /// let suite = perfgate::Suite::new("s").gates(gates);
    /// # let _ = suite;
    /// ```
    pub fn gates(mut self, gates: Gates) -> Self {
        self.job.gates = gates;
        self.custom_gates = true;
        self
    }

    /// Adds a gate for every operation, in the `perfgate.toml` syntax (`"p95 < 200ms"`,
    /// `"error_rate <= 1%"`, `"rps >= 50"`). The first gate added replaces the default gates.
    ///
    /// ```
    /// let suite = perfgate::Suite::new("s").gate("p95 < 200ms")?;
    /// assert!(perfgate::Suite::new("s").gate("p95 <").is_err());
    /// # Ok::<(), perfgate::Error>(())
    /// ```
    pub fn gate(self, expr: &str) -> Result<Self> {
        self.add_gate(None, expr)
    }

    /// Adds a gate for one operation (it overrides an all-operations gate on the same metric).
    ///
    /// ```
    /// let suite = perfgate::Suite::new("s").operation_gate("export", "p95 < 2s")?;
    /// # Ok::<(), perfgate::Error>(())
    /// ```
    pub fn operation_gate(self, operation: &str, expr: &str) -> Result<Self> {
        self.add_gate(Some(operation), expr)
    }

    fn add_gate(mut self, operation: Option<&str>, expr: &str) -> Result<Self> {
        let parsed = expr.parse().map_err(|e| {
            Error::Usage(format!(
                "gate `{expr}`{}: {e}",
                operation
                    .map(|o| format!(" of operation `{o}`"))
                    .unwrap_or_default()
            ))
        })?;
        if !self.custom_gates {
            let regression = self.job.gates.regression;
            self.job.gates = Gates {
                gates: Vec::new(),
                regression,
            };
            self.custom_gates = true;
        }
        self.job.gates = match operation {
            Some(op) => std::mem::take(&mut self.job.gates).with_operation(op, [parsed]),
            None => std::mem::take(&mut self.job.gates).with_all([parsed]),
        };
        Ok(self)
    }

    /// Whether a significant regression against the [baseline](Suite::baseline) fails the run (`true`, the
    /// default, as `regression = "fail"`) or only warns.
    pub fn regression_fails(mut self, fails: bool) -> Self {
        self.job.gates.regression = if fails {
            RegressionPolicy::Fail
        } else {
            RegressionPolicy::Warn
        };
        self
    }

    /// Compares the run with `baseline` (a record from an earlier run, e.g. read with
    /// [`RunRecord::from_json_slice`]); the comparison lands in the record's `analysis.comparison`.
    ///
    /// ```
    /// use perfgate::{BenchmarkConfig, Operation, Suite};
    ///
    /// let suite = || {
    ///     Suite::new("cmp")
    ///         .operation(Operation::new("noop", async || Ok::<(), String>(())))
    ///         .benchmark(BenchmarkConfig { iterations: 20, ..Default::default() })
    /// };
    /// let before = suite().run_blocking()?.into_record();
    /// let run = suite().baseline(before).run_blocking()?;
    /// let comparison = run.record().analysis.as_ref().unwrap().comparison.as_ref().unwrap();
    /// assert!(comparison.rows.iter().any(|r| r.operation == "noop"));
    /// # Ok::<(), perfgate::Error>(())
    /// ```
    pub fn baseline(mut self, baseline: RunRecord) -> Self {
        self.job.baseline = Some(baseline);
        self
    }

    /// Writes the report files `perfgate run` writes into `dir` (created if needed, checked before the run).
    pub fn output_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.job.output_dir = Some(dir.into());
        self
    }

    /// Receives the engine's events (phase started, one tick a second, operation and step finished) — for
    /// progress output or live metrics.
    ///
    /// ```
    /// use perfgate::engine::events::{Event, Observer};
    /// use perfgate::{BenchmarkConfig, Operation, Suite};
    ///
    /// struct Log;
    /// impl Observer for Log {
    ///     fn on_event(&mut self, event: &Event<'_>) {
    ///         if let Event::OperationFinished { result, .. } = event {
    ///             eprintln!("{}: p95 {} ms", result.operation_name, result.latency_ms.p95);
    ///         }
    ///     }
    /// }
    /// Suite::new("observed")
    ///     .operation(Operation::new("noop", async || Ok::<(), String>(())))
    ///     .benchmark(BenchmarkConfig { iterations: 5, ..Default::default() })
    ///     .observe(Box::new(Log))
    ///     .run_blocking()?;
    /// # Ok::<(), perfgate::Error>(())
    /// ```
    pub fn observe(mut self, observer: Box<dyn Observer>) -> Self {
        self.job.observers.push(observer);
        self
    }

    /// Number of worker threads (default: one per core).
    pub fn workers(mut self, workers: usize) -> Self {
        self.job.workers = Some(workers.max(1));
        self
    }

    /// Runs the suite on perfgate's own threads; awaiting does not block the caller's executor.
    pub async fn run(self) -> Result<Run> {
        let job = self.job;
        off_thread(move || execute(job)).await
    }

    /// Runs the suite, blocking the calling thread (see [`crate::blocking`] for when not to).
    ///
    /// ```
    /// use perfgate::{BenchmarkConfig, Operation, Suite};
    /// let run = Suite::new("quick")
    ///     .operation(Operation::new("noop", async || Ok::<(), String>(())))
    ///     .benchmark(BenchmarkConfig { iterations: 5, ..Default::default() })
    ///     .run_blocking()?;
    /// assert_eq!(run.record().suite, "quick");
    /// # Ok::<(), perfgate::Error>(())
    /// ```
    pub fn run_blocking(self) -> Result<Run> {
        execute(self.job)
    }
}

//! Running library operations on the engine, and [`Run`], what a run returns.
//!
//! [`execute`] is the library's counterpart of [`crate::session::run`]: it puts
//! the operations behind a [`ClosureTarget`], runs the engine's schedules (the same `Engine` the CLI runs
//! over HTTP and command targets), and assembles the same [`RunRecord`] with the session's
//! [`RecordBuilder`](crate::session::RecordBuilder): git and environment detection, system summary, the
//! warnings every record carries (runner saturation, dropped open-model starts), then the analysis (gates, recommendations, optional baseline comparison), the OTLP spans when
//! tracing is on (`monitoring::otel`, as the CLI), and, when asked, the same report files
//! (`output::write_run`).
//!
//! The engine blocks: it runs its own worker threads and runtimes. The async entry points hand the whole
//! run to a dedicated thread and await its result over a oneshot channel, so the caller's executor (Tokio
//! or any other) keeps running — an in-process service under test keeps serving while it is measured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use perfgate_reports::analysis::{compare_runs, CompareSettings, OverallStatus};
use perfgate_reports::gates::Gates;
use perfgate_reports::record::{OperationResult, RunRecord};
use sha2::{Digest, Sha256};

use super::closure::ClosureTarget;
use super::config::{BenchmarkConfig, LoadTestConfig, StressConfig};
use super::operation::Operation;
use crate::engine::events::Observer;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::monitoring::otel::{self, PhaseClock};
use crate::monitoring::traceparent::new_trace_id;
use crate::output::{self, WrittenFiles};
use crate::session::RecordBuilder;
use crate::system::{Mark, Sampler};
use crate::targets::Target;

/// A finished run: the run record `perfgate run` writes (with its `analysis`), and the files written.
///
/// ```
/// use perfgate::{blocking, BenchmarkConfig, Operation};
///
/// let op = Operation::new("noop", async || Ok::<(), std::convert::Infallible>(()));
/// let cfg = BenchmarkConfig { iterations: 50, warmup_iterations: 0, ..Default::default() };
/// let run = blocking::benchmark(op, cfg)?;
/// let noop = run.result("noop").expect("measured");
/// assert_eq!(noop.total_requests, 50);
/// assert_eq!(noop.success_rate_percent, 100.0);
/// assert!(run.summary_text().contains("noop"));
/// # Ok::<(), perfgate::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Run {
    record: RunRecord,
    files: WrittenFiles,
}

impl Run {
    /// Analyses `record` with `gates` (and against `baseline`, when given) — what every run does before it
    /// returns — and wraps it. Use it to judge a record made elsewhere, e.g. by the [profiler](crate::profiler).
    ///
    /// ```
    /// use perfgate::reports::gates::Gates;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let profiler = perfgate::profiler();
    /// profiler.profile("step", async {}).await;
    /// let gates = Gates::parse_all(&["p95 < 1s"]).unwrap();
    /// assert!(perfgate::Run::analyze(profiler.record(), &gates, None).passed());
    /// // A record in which nothing completed fails: zero requests is never a pass.
    /// assert!(!perfgate::Run::analyze(perfgate::profiler().record(), &gates, None).passed());
    /// # }
    /// ```
    pub fn analyze(record: RunRecord, gates: &Gates, baseline: Option<&RunRecord>) -> Run {
        Self::analyze_with(record, gates, baseline)
    }

    fn analyze_with(mut record: RunRecord, gates: &Gates, baseline: Option<&RunRecord>) -> Run {
        let comparison = baseline.map(|b| compare_runs(b, &record, &CompareSettings::default()));
        crate::session::Verdict::of_gates(gates.clone()).judge(&mut record, comparison);
        Run {
            record,
            files: WrittenFiles::default(),
        }
    }

    /// The run record (schema `perfgate/run@1`), as `perfgate run` writes it.
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    /// The run record, by value.
    pub fn into_record(self) -> RunRecord {
        self.record
    }

    /// The analysis verdict: `Fail` when a gate failed (or a regression, under `regression = fail`).
    pub fn status(&self) -> OverallStatus {
        self.record
            .analysis
            .as_ref()
            .map(|a| a.status)
            .unwrap_or_default()
    }

    /// True unless the analysis failed the run (the CLI would exit 1).
    pub fn passed(&self) -> bool {
        self.status() != OverallStatus::Fail
    }

    /// The result of operation `name`: from the benchmark if it ran, else the load test, else the last
    /// stress step that ran it.
    pub fn result(&self, name: &str) -> Option<&OperationResult> {
        let r = &self.record;
        let in_section = |ops: &'_ [OperationResult]| ops.iter().any(|o| o.operation_name == name);
        let section = match (&r.benchmark, &r.load) {
            (Some(b), _) if in_section(&b.operations) => Some(&b.operations),
            (_, Some(l)) if in_section(&l.operations) => Some(&l.operations),
            _ => None,
        };
        if let Some(ops) = section {
            return ops.iter().find(|o| o.operation_name == name);
        }
        r.stress.as_ref().and_then(|s| {
            s.steps
                .iter()
                .rev()
                .find_map(|step| step.operations.iter().find(|o| o.operation_name == name))
        })
    }

    /// The text summary (`performance_summary_<ts>.txt`).
    pub fn summary_text(&self) -> String {
        perfgate_reports::render::render_text_summary(&self.record)
    }

    /// The Markdown optimization report (`optimization_report_<ts>.md`).
    pub fn optimization_report(&self) -> String {
        perfgate_reports::render::render_optimization_report(
            &self.record,
            self.record
                .analysis
                .as_ref()
                .and_then(|a| a.comparison.as_ref()),
        )
    }

    /// Writes the report files `perfgate run` writes (`run_<ts>.json`, `<type>_results_<ts>.json`,
    /// `optimization_report_<ts>.md`, `performance_summary_<ts>.txt`, `metrics_<ts>.prom`) into `dir`,
    /// creating it.
    ///
    /// ```
    /// # let run = perfgate::Run::analyze(perfgate::profiler().record(), &Default::default(), None);
    /// let dir = tempfile::tempdir()?;
    /// let files = run.write_files(dir.path())?;
    /// let bytes = std::fs::read(files.run_record.as_ref().unwrap())?;
    /// perfgate::reports::RunRecord::from_json_slice(&bytes, "run.json")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_files(&self, dir: &Path) -> Result<WrittenFiles> {
        output::prepare_dir(dir)?;
        output::write_run(
            dir,
            &self.record,
            &self.optimization_report(),
            &self.summary_text(),
        )
    }

    /// The files written by the run (empty unless the [`Suite`](crate::Suite) had an output directory).
    pub fn files(&self) -> &WrittenFiles {
        &self.files
    }
}

/// Everything one library run needs.
pub(crate) struct Job {
    pub suite: String,
    pub ops: Vec<Operation>,
    pub benchmark: Option<BenchmarkConfig>,
    pub load: Option<LoadTestConfig>,
    pub stress: Option<StressConfig>,
    pub gates: Gates,
    pub baseline: Option<RunRecord>,
    pub output_dir: Option<PathBuf>,
    pub observers: Vec<Box<dyn Observer>>,
    pub workers: Option<usize>,
}

impl Job {
    pub(crate) fn new(suite: &str, ops: Vec<Operation>) -> Self {
        Job {
            suite: suite.to_string(),
            ops,
            benchmark: None,
            load: None,
            stress: None,
            gates: perfgate_reports::gates::default_gates(),
            baseline: None,
            output_dir: None,
            observers: Vec::new(),
            workers: None,
        }
    }
}

/// Checks operations: at least one, names non-empty and unique, classifiers of the right type.
fn check_operations(ops: &[Operation]) -> Result<()> {
    if ops.is_empty() {
        return Err(Error::Usage(
            "no operations: give at least one perfgate::Operation".into(),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for op in ops {
        if op.name().trim().is_empty() {
            return Err(Error::Usage("an operation has an empty name".into()));
        }
        if !seen.insert(op.name()) {
            return Err(Error::Usage(format!(
                "operation `{}` is given twice: names must be unique",
                op.name()
            )));
        }
        if let Some(p) = op.problem() {
            return Err(Error::Usage(p.to_string()));
        }
    }
    Ok(())
}

/// Runs `job` on the engine, blocking the calling thread (see the module docs).
pub(crate) fn execute(job: Job) -> Result<Run> {
    check_operations(&job.ops)?;
    if job.benchmark.is_none() && job.load.is_none() && job.stress.is_none() {
        return Err(Error::Usage(
            "nothing to run: set a benchmark, load or stress config".into(),
        ));
    }
    let bench_plan = job.benchmark.as_ref().map(|c| c.plan()).transpose()?;
    let load_plan = job.load.as_ref().map(|c| c.plan()).transpose()?;
    let stress_plan = job.stress.as_ref().map(|c| c.plan()).transpose()?;
    let bench_timeout = job.benchmark.as_ref().map(|c| c.timeout()).transpose()?;
    let load_timeout = job.load.as_ref().map(|c| c.timeout()).transpose()?;
    let stress_timeout = job.stress.as_ref().map(|c| c.timeout()).transpose()?;
    if let Some(dir) = &job.output_dir {
        output::prepare_dir(dir)?;
    }
    let collect = job
        .benchmark
        .as_ref()
        .is_some_and(|c| c.collect_system_metrics)
        || job.load.as_ref().is_some_and(|c| c.collect_system_metrics)
        || job
            .stress
            .as_ref()
            .is_some_and(|c| c.collect_system_metrics);
    let tracing = job.benchmark.as_ref().is_some_and(|c| c.enable_tracing)
        || job.load.as_ref().is_some_and(|c| c.enable_tracing)
        || job.stress.as_ref().is_some_and(|c| c.enable_tracing);

    let digest = digest(
        &job,
        &[
            format!("{bench_plan:?}"),
            format!("{load_plan:?}"),
            format!("{stress_plan:?}"),
        ],
    );
    let target = Arc::new(ClosureTarget::new(job.ops, None));
    // The operations run in this process: it is the target whose CPU and memory are measured.
    let sampler = collect.then(|| Arc::new(Sampler::start_in_process(crate::system::PERIOD)));
    let mut engine = Engine::new(Arc::clone(&target));
    if let Some(w) = job.workers {
        engine = engine.with_workers(w);
    }
    if let Some(s) = &sampler {
        engine = engine.with_sampler(Arc::clone(s));
    }
    for o in job.observers {
        engine.observe(o);
    }
    // Tracing as in the CLI: phase times observed during the run, spans exported after the analysis.
    let clock = tracing.then(|| {
        let clock = PhaseClock::default();
        engine.observe(Box::new(clock.clone()));
        clock
    });

    let started_at = Utc::now();
    let benchmark = bench_plan.map(|p| {
        target.set_default_timeout(bench_timeout.flatten());
        engine.benchmark(&p)
    });
    let load = load_plan.map(|p| {
        target.set_default_timeout(load_timeout.flatten());
        engine.load(&p)
    });
    let stress = stress_plan.map(|p| {
        target.set_default_timeout(stress_timeout.flatten());
        engine.stress(&p)
    });
    let finished_at = Utc::now();

    let system = sampler
        .as_ref()
        .map(|s| s.summary_since(Mark::start(), engine.workers()))
        .unwrap_or_default();
    let test_type = match (&benchmark, &load, &stress) {
        (Some(_), None, None) => "benchmark",
        (None, Some(_), None) => "load",
        (None, None, Some(_)) => "stress",
        _ => "all",
    };
    let env: BTreeMap<String, String> = crate::config::process_env();
    let record = RecordBuilder::new(&job.suite, test_type, started_at)
        .finished_at(finished_at)
        .detect_context(&env)
        .config_digest(&digest)
        .sections(benchmark, load, stress)
        .system(system, target.warnings())
        .targets(target.describe())
        .build();
    drop(engine);
    drop(sampler);
    // The optimizer's targets are the job's gates, as in the CLI.
    let mut run = Run::analyze_with(record, &job.gates, job.baseline.as_ref());
    if let Some(clock) = clock {
        if let Err(warning) = otel::export(&run.record, &clock.phases(), new_trace_id()) {
            run.record.warnings.push(warning);
        }
    }
    if let Some(dir) = &job.output_dir {
        run.files = output::write_run(
            dir,
            &run.record,
            &run.optimization_report(),
            &run.summary_text(),
        )?;
    }
    Ok(run)
}

/// What makes two library runs comparable: suite, operations (name, weight, timeout) and schedules.
fn digest(job: &Job, plans: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(job.suite.as_bytes());
    for op in &job.ops {
        h.update(
            format!(
                "|{}|{}|{:?}",
                op.name(),
                op.weight_value(),
                op.timeout_value()
            )
            .as_bytes(),
        );
    }
    for p in plans {
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

/// Runs `f` on a dedicated thread and awaits its result without blocking the caller's executor.
pub(crate) async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("perfgate-run".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| Error::Runtime(format!("cannot start the perfgate run thread: {e}")))?;
    rx.await
        .map_err(|_| Error::Runtime("the perfgate run thread ended without a result".into()))?
}

/// `perfgate::benchmark`: see [`crate::api`].
pub(crate) fn benchmark_job(op: Operation, config: BenchmarkConfig) -> Job {
    let mut job = Job::new("benchmark", vec![op]);
    job.benchmark = Some(config);
    job
}

pub(crate) fn load_job(ops: Vec<Operation>, config: LoadTestConfig) -> Job {
    let mut job = Job::new("load", ops);
    job.load = Some(config);
    job
}

pub(crate) fn stress_job(op: Operation, config: StressConfig) -> Job {
    let mut job = Job::new("stress", vec![op]);
    job.stress = Some(config);
    job
}

/// Benchmarks one operation: warm-up calls, then `config.iterations` sequential calls on one virtual user.
///
/// Runs on perfgate's own threads; awaiting it does not block the caller's executor (any executor works,
/// not only Tokio). Dropping the future does not stop the run: it finishes in the background. The
/// blocking form is [`blocking::benchmark`](crate::blocking::benchmark).
///
/// ```
/// use std::time::Duration;
/// use perfgate::{BenchmarkConfig, Operation};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), perfgate::Error> {
/// let op = Operation::new("sleep_2ms", async || {
///     tokio::time::sleep(Duration::from_millis(2)).await;
///     Ok::<(), std::io::Error>(())
/// });
/// let cfg = BenchmarkConfig { iterations: 10, warmup_iterations: 1, ..Default::default() };
/// let run = perfgate::benchmark(op, cfg).await?;
/// let r = run.result("sleep_2ms").unwrap();
/// assert_eq!(r.total_requests, 10);
/// assert!(r.latency_ms.p50 >= 2.0);
/// # Ok(())
/// # }
/// ```
pub async fn benchmark(op: Operation, config: BenchmarkConfig) -> Result<Run> {
    off_thread(move || execute(benchmark_job(op, config))).await
}

/// Load-tests a weighted mix of operations (closed model, or open model with `target_rps`).
///
/// Non-blocking like [`benchmark`]; the blocking form is [`blocking::load_test`](crate::blocking::load_test).
///
/// ```
/// use perfgate::{LoadTestConfig, Operation};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), perfgate::Error> {
/// let read = Operation::new("read", async || Ok::<(), String>(())).weight(9);
/// let write = Operation::new("write", async || Ok::<(), String>(())).weight(1);
/// let cfg = LoadTestConfig {
///     duration_seconds: 0.2,
///     concurrent_users: 2,
///     target_rps: Some(200.0),
///     ..Default::default()
/// };
/// let run = perfgate::load_test([read, write], cfg).await?;
/// let load = run.record().load.as_ref().unwrap();
/// assert_eq!(load.model, "open");
/// assert!(load.overall.total_requests > 10);
/// # Ok(())
/// # }
/// ```
pub async fn load_test(
    ops: impl IntoIterator<Item = Operation>,
    config: LoadTestConfig,
) -> Result<Run> {
    let ops: Vec<Operation> = ops.into_iter().collect();
    off_thread(move || execute(load_job(ops, config))).await
}

/// Stress-tests one operation: steps of rising concurrency until a stop rule fires or the last step passes.
///
/// Non-blocking like [`benchmark`]; the blocking form is
/// [`blocking::stress_test`](crate::blocking::stress_test).
///
/// ```
/// use perfgate::{Operation, StressConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), perfgate::Error> {
/// let op = Operation::new("cheap", async || Ok::<(), String>(()));
/// let cfg = StressConfig {
///     start_concurrent: 1,
///     max_concurrent: 2,
///     step_size: 1,
///     step_duration_seconds: 0.05,
///     step_warmup_seconds: 0.0,
///     ..Default::default()
/// };
/// let run = perfgate::stress_test(op, cfg).await?;
/// let stress = run.record().stress.as_ref().unwrap();
/// assert!(!stress.steps.is_empty());
/// println!("{}", stress.conclusion);
/// # Ok(())
/// # }
/// ```
pub async fn stress_test(op: Operation, config: StressConfig) -> Result<Run> {
    off_thread(move || execute(stress_job(op, config))).await
}

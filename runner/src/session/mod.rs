//! The one run path: settings in, an unjudged run record out, then one verdict and the files.
//!
//! Every entry that runs a suite — `perfgate run`, `load`, `demo`, the Action, the A/B mode — calls
//! [`run`]: service up, target reachable, schedules on the engine while the sampler watches, one record
//! built by [`RecordBuilder`]. The caller then decides what the run is compared with and calls
//! [`Recorded::finish`], which judges it once ([`Verdict::judge`]), hands it to monitoring, and writes the
//! report files. The library API ([`crate::api`]) runs closures through the same engine and builder.
//!
//! ```text
//! Settings ──► session::run ──► Recorded (unjudged record [+ A/B comparison])
//!                                   │   caller picks the comparison (A/B, --baseline, reports branch)
//!                                   ▼
//!                             Recorded::finish ──► Verdict::judge (once) ──► monitoring ──► files
//! ```
//!
//! It fails before the long run where it can (output directory, gates, reachability), and after the run it
//! always produces a record — a target that died mid-run shows up as classified errors, not a panic.

pub mod ab;
pub mod build;
pub mod reach;
pub mod record;
pub mod verdict;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use perfgate_reports::analysis::Comparison;
use perfgate_reports::record::RunRecord;

use crate::config::Settings;
use crate::engine::Engine;
use crate::error::{ExitStatus, Result};
use crate::monitoring::Monitoring;
use crate::output::{self, WrittenFiles};
use crate::service::Service;
use crate::system::Sampler;
use crate::targets::Target;
pub use record::RecordBuilder;
pub use verdict::Verdict;

/// Which schedules a run has, and the `test_type` its record is filed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedules {
    pub benchmark: bool,
    pub load: bool,
    pub stress: bool,
    /// `benchmark`, `load`, `stress`, `analysis` or `all`.
    pub test_type: &'static str,
}

impl Schedules {
    pub const BENCHMARK: Self = Self::new(true, false, false, "benchmark");
    pub const LOAD: Self = Self::new(false, true, false, "load");
    pub const STRESS: Self = Self::new(false, false, true, "stress");
    /// Benchmark + load + stress, then gates and recommendations.
    pub const ANALYSIS: Self = Self::new(true, true, true, "analysis");
    /// Benchmark + load + stress.
    pub const ALL: Self = Self::new(true, true, true, "all");

    const fn new(benchmark: bool, load: bool, stress: bool, test_type: &'static str) -> Self {
        Self {
            benchmark,
            load,
            stress,
            test_type,
        }
    }
}

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct SessionOptions {
    pub workers: Option<usize>,
    /// No progress output on stderr.
    pub quiet: bool,
    /// `--verbose`: a progress line for every second of load and stress.
    pub verbose: bool,
    /// Write report files into the settings' output dir (checked before the run).
    pub write_files: bool,
}

/// A run that has been measured and recorded but not judged.
pub struct Recorded {
    /// The run record, `analysis: None`.
    pub record: RunRecord,
    /// With `[ab]`: the base build against the head, judged from the interleaved trials.
    pub ab_comparison: Option<Comparison>,
    verdict: Verdict,
    monitoring: Monitoring,
    output_dir: Option<PathBuf>,
}

/// A finished run: judged, monitored, written.
pub struct Finished {
    pub record: RunRecord,
    pub files: WrittenFiles,
    pub status: ExitStatus,
    pub summary_text: String,
}

/// Runs `schedules` with `settings` and returns the unjudged record (see the module docs).
pub fn run(
    settings: &Settings,
    schedules: Schedules,
    env: &BTreeMap<String, String>,
    opts: &SessionOptions,
) -> Result<Recorded> {
    // Everything that can be wrong with the settings is found before the target is touched.
    let verdict = Verdict::from_settings(settings)?;
    // From here a SIGINT/SIGTERM stops the service and the command groups (see `crate::interrupt`).
    crate::interrupt::install();
    if opts.write_files {
        output::prepare_dir(&settings.output_dir)?;
    }
    let known_target = settings.service.is_some() || settings.target_pid.is_some();
    let monitoring = Monitoring::start(settings, if known_target { "target" } else { "runner" })?;
    let mut service = match &settings.service {
        Some(s) => Some(Service::start(s, settings.base_url.as_deref())?),
        None => None,
    };
    let pid = service.as_ref().map(Service::pid).or(settings.target_pid);
    let target = Arc::new(
        build::build_target(settings, pid)?.with_trace_propagation(monitoring.propagation()),
    );
    reach::check_reachable(&target, settings)?;
    // A stdio MCP server in `shared` mode is the target process (its session was opened by the check);
    // in the other modes each session has its own server: the sampler sums them.
    let pid = pid.or_else(|| target.process_id());
    let processes = if pid.is_none() {
        target.processes()
    } else {
        None
    };

    let sampler = settings.collect_system_metrics.then(|| {
        Arc::new(match processes {
            Some(set) => Sampler::start_set(set, crate::system::PERIOD),
            None => Sampler::start(pid, crate::system::PERIOD),
        })
    });
    let mut engine = Engine::new(Arc::clone(&target));
    if let Some(w) = opts.workers {
        engine = engine.with_workers(w);
    }
    if let Some(s) = &sampler {
        engine = engine.with_sampler(Arc::clone(s));
    }
    if let Some(p) = crate::progress::for_stderr_verbose(opts.quiet, opts.verbose) {
        engine.observe(p);
    }
    for o in monitoring.observers() {
        engine.observe(o);
    }

    let started_at = Utc::now();
    let started = std::time::Instant::now();
    // While the schedules run, a first signal stops them and the record of what ran is still written.
    let guard = crate::interrupt::RunGuard::new();
    let ab = match &settings.ab {
        Some(ab) if schedules.benchmark || schedules.load => Some(ab::run_trials(
            settings,
            ab,
            &mut engine,
            schedules.benchmark,
            schedules.load,
            opts.workers,
            opts.quiet,
        )?),
        _ => None,
    };
    let (benchmark, load, ab_comparison, mut warnings, base_targets) = match ab {
        Some(ab::AbOutcome {
            benchmark,
            load,
            comparison,
            base_targets,
            warnings,
        }) => (benchmark, load, Some(comparison), warnings, base_targets),
        None => (
            schedules
                .benchmark
                .then(|| engine.benchmark(&settings.benchmark)),
            schedules.load.then(|| engine.load(&settings.load)),
            None,
            Vec::new(),
            Vec::new(),
        ),
    };
    let stress = (schedules.stress && !crate::interrupt::requested())
        .then(|| engine.stress(&settings.stress));
    let finished_at = Utc::now();
    let incomplete = crate::interrupt::reason(started);

    let mut system = sampler
        .as_ref()
        .map(|s| s.summary_since(crate::system::Mark::start(), engine.workers()))
        .unwrap_or_default();
    if let Some(svc) = service.as_mut() {
        if let Some(exit) = svc.exit_status() {
            warnings.push(format!("the service exited during the run: {exit}"));
            if let Some(t) = system.target.as_mut() {
                t.exited = Some(exit);
            }
        }
    } else if sampler.as_ref().is_some_and(|s| s.target_gone()) {
        warnings.push("the target process exited during the run".to_string());
    }
    // Close what the target kept open across phases (an MCP shared session and its server), then collect
    // what it has to say (e.g. an MCP server that exited mid-run, with its exit status and stderr).
    target.shutdown();
    warnings.extend(target.warnings());

    let run_id = match settings.shard {
        Some(_) => record::shared_run_id(env, &settings.digest),
        None => record::new_run_id(),
    };
    let record = RecordBuilder::new(&settings.suite, schedules.test_type, started_at)
        .run_id(run_id)
        .finished_at(finished_at)
        .detect_context(env)
        .config_digest(&settings.digest)
        .shard(settings.shard)
        .sections(benchmark, load, stress)
        .system(system, warnings)
        .targets(target.describe().into_iter().chain(base_targets).collect())
        .incomplete(incomplete)
        .build();
    drop(engine);
    if let Some(mut s) = service.take() {
        s.stop();
    }
    drop(guard);
    Ok(Recorded {
        record,
        ab_comparison,
        verdict,
        monitoring,
        output_dir: opts.write_files.then(|| settings.output_dir.clone()),
    })
}

impl Recorded {
    /// Judges the record once against `comparison`, finishes monitoring (Pushgateway, traces), renders the
    /// summary and writes the report files (when the run was asked to).
    pub fn finish(self, comparison: Option<Comparison>) -> Result<Finished> {
        let Recorded {
            mut record,
            verdict,
            monitoring,
            output_dir,
            ..
        } = self;
        let status = verdict.judge(&mut record, comparison);
        monitoring.finish(&mut record);
        let summary_text = perfgate_reports::render::text_summary::render(&record);
        let files = match output_dir {
            Some(dir) => write_reports(&dir, &record, &summary_text)?,
            None => WrittenFiles::default(),
        };
        Ok(Finished {
            record,
            files,
            status,
            summary_text,
        })
    }

    /// The verdict settings the run will be judged by.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }
}

/// Writes a judged record's report files into `dir`.
pub fn write_reports(dir: &Path, record: &RunRecord, summary_text: &str) -> Result<WrittenFiles> {
    let report_md = perfgate_reports::render::optimization_report::render(
        record,
        record.analysis.as_ref().and_then(|a| a.comparison.as_ref()),
    );
    output::write_run(dir, record, &report_md, summary_text)
}

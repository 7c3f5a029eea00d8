//! The flow every suite-running command shares: service up, target reachable, schedules, record,
//! analysis, files, table.
//!
//! It fails before the long run where it can (output directory, config, reachability), and after the run
//! it always produces a record — a target that died mid-run shows up as classified errors, not a panic.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use perfgate_reports::record::{
    BenchmarkSection, LoadSection, RunRecord, StressSection, SystemSummary, SCHEMA,
};
use rand::Rng;

use crate::cli::TestTypeArg;
use crate::commands::ab::AbOutcome;
use crate::config::Settings;
use crate::engine::Engine;
use crate::environment::{detect_environment, detect_git};
use crate::error::{Error, ExitStatus, Result};
use crate::monitoring::Monitoring;
use crate::output::{self, WrittenFiles};
use crate::service::Service;
use crate::system::Sampler;
use crate::target::suite::SuiteTarget;
use crate::target::{ErrorKind, Target};

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct ExecOptions {
    pub workers: Option<usize>,
    pub quiet: bool,
    /// Write report files into the output dir.
    pub write_files: bool,
    /// `--baseline`: a run record file or a folder of run records to compare the run with.
    pub baseline: Option<std::path::PathBuf>,
}

/// A finished run.
pub struct Finished {
    pub record: RunRecord,
    pub files: WrittenFiles,
    pub status: ExitStatus,
    pub summary_text: String,
}

/// Runs `test_type` with `settings`.
pub fn execute(
    settings: &Settings,
    test_type: TestTypeArg,
    env: &BTreeMap<String, String>,
    opts: &ExecOptions,
) -> Result<Finished> {
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
        crate::suite::build_target(settings, pid)?.with_trace_propagation(monitoring.propagation()),
    );
    check_reachable(&target, settings)?;
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
            Some(set) => Sampler::start_set(set, Duration::from_secs(1)),
            None => Sampler::start(pid, Duration::from_secs(1)),
        })
    });
    let mut engine = Engine::new(Arc::clone(&target));
    if let Some(w) = opts.workers {
        engine = engine.with_workers(w);
    }
    if let Some(s) = &sampler {
        engine = engine.with_sampler(Arc::clone(s));
    }
    if let Some(p) = crate::progress::for_stderr(opts.quiet) {
        engine.observe(p);
    }
    for o in monitoring.observers() {
        engine.observe(o);
    }

    let started_at = Utc::now();
    let ab = match &settings.baseline {
        Some(ab) if test_type.runs_benchmark() || test_type.runs_load() => {
            if opts.baseline.is_some() {
                eprintln!(
                    "perfgate: [baseline] is set: the run is judged by its A/B trials, not by --baseline"
                );
            }
            Some(crate::commands::ab::run_trials(
                settings,
                ab,
                &mut engine,
                test_type.runs_benchmark(),
                test_type.runs_load(),
                opts.workers,
                opts.quiet,
            )?)
        }
        _ => None,
    };
    let (benchmark, load, ab_comparison, mut warnings, base_targets) = match ab {
        Some(AbOutcome {
            benchmark,
            load,
            comparison,
            base_targets,
            warnings,
        }) => (benchmark, load, Some(comparison), warnings, base_targets),
        None => (
            test_type
                .runs_benchmark()
                .then(|| engine.benchmark(&settings.benchmark)),
            test_type.runs_load().then(|| engine.load(&settings.load)),
            None,
            Vec::new(),
            Vec::new(),
        ),
    };
    let stress = test_type
        .runs_stress()
        .then(|| engine.stress(&settings.stress));
    let finished_at = Utc::now();

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
    warnings.extend(run_warnings(
        benchmark.as_ref(),
        load.as_ref(),
        stress.as_ref(),
        &mut system,
    ));

    let cwd = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
    let mut record = RunRecord {
        schema: SCHEMA.to_string(),
        run_id: match settings.shard {
            Some(_) => shared_run_id(env, &settings.digest),
            None => new_run_id(),
        },
        suite: settings.suite.clone(),
        test_type: test_type.as_str().to_string(),
        started_at,
        finished_at,
        git: detect_git(&cwd, env),
        environment: detect_environment(env),
        config_digest: settings.digest.clone(),
        shard: settings.shard,
        benchmark,
        load,
        stress,
        analysis: None,
        system,
        targets: target.describe().into_iter().chain(base_targets).collect(),
        warnings,
    };
    drop(engine);
    if let Some(mut s) = service.take() {
        s.stop();
    }

    let analysis = match ab_comparison {
        Some(c) => crate::commands::run::analyze_with_comparison(&mut record, settings, Some(c))?,
        None => crate::commands::run::analyze_with_baseline(
            &mut record,
            settings,
            opts.baseline.as_deref(),
        )?,
    };
    monitoring.finish(&mut record);
    let summary_text = perfgate_reports::render::text_summary::render(&record);
    let report_md = perfgate_reports::render::optimization_report::render(
        &record,
        record.analysis.as_ref().and_then(|a| a.comparison.as_ref()),
    );
    let files = if opts.write_files {
        output::write_run(&settings.output_dir, &record, &report_md, &summary_text)?
    } else {
        WrittenFiles::default()
    };
    Ok(Finished {
        record,
        files,
        status: analysis,
        summary_text,
    })
}

/// Opens one session before the run: a target that cannot be reached at all ends the command with exit 3.
pub(crate) fn check_reachable(target: &Arc<SuiteTarget>, settings: &Settings) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("tokio runtime: {e}")))?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        target.calibrate().await;
        if let Err(e) = tokio::time::timeout(Duration::from_secs(60), target.probe())
            .await
            .unwrap_or_else(|_| {
                Err(crate::target::CallError::new(
                    ErrorKind::Timeout,
                    "no session within 60 s",
                ))
            })
        {
            return Err(Error::Unreachable(format!(
                "cannot open an MCP session: {e}"
            )));
        }
        match tokio::time::timeout(Duration::from_secs(10), target.prepare()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.kind == ErrorKind::Connect => Err(Error::Unreachable(format!(
                "cannot reach the target{}: {e}",
                settings
                    .base_url
                    .as_deref()
                    .map(|u| format!(" at {}", crate::target::http::userinfo::redact(u)))
                    .unwrap_or_default()
            ))),
            Ok(Err(_)) => Ok(()),
            Err(_) => Err(Error::Unreachable(
                "the target did not accept a connection within 10 s".to_string(),
            )),
        }
    })
}

/// Warnings every run record carries when they apply, whoever ran it (CLI or library): the runner was
/// CPU-saturated in some phase (also set on `system`), or the open model dropped intended requests.
pub fn run_warnings(
    benchmark: Option<&BenchmarkSection>,
    load: Option<&LoadSection>,
    stress: Option<&StressSection>,
    system: &mut SystemSummary,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let saturated = [
        benchmark.map(|b| b.system.runner_saturated),
        load.map(|l| l.system.runner_saturated),
        stress.map(|s| s.system.runner_saturated),
    ]
    .into_iter()
    .flatten()
    .any(|x| x);
    if saturated || system.runner_saturated {
        system.runner_saturated = true;
        warnings.push(
            "perfgate itself was CPU-saturated: throughput and latency partly measure the load generator; \
             lower concurrency, add shards (--shard) or run the service on another machine"
                .to_string(),
        );
    }
    if let Some(l) = load {
        if l.dropped_starts > 0 {
            warnings.push(format!(
                "open model: {} intended requests never started (all users busy): the service could not keep up \
                 with {} rps, or raise concurrent_users",
                l.dropped_starts,
                l.target_rps.unwrap_or(0.0)
            ));
        }
    }

    warnings
}

/// The run id every shard of one sharded run agrees on: `PERFGATE_RUN_ID`, else the GitHub Actions run (id and
/// attempt) with the config digest, else a fresh id (then `perfgate merge` names the merged run itself).
fn shared_run_id(env: &BTreeMap<String, String>, digest: &str) -> String {
    if let Some(id) = env.get("PERFGATE_RUN_ID").filter(|v| !v.is_empty()) {
        return id.clone();
    }
    match env.get("GITHUB_RUN_ID").filter(|v| !v.is_empty()) {
        Some(run) => format!(
            "gh{run}-{}-{}",
            env.get("GITHUB_RUN_ATTEMPT")
                .map(String::as_str)
                .unwrap_or("1"),
            &digest[..digest.len().min(8)]
        ),
        None => new_run_id(),
    }
}

/// A new short run id (12 hex digits).
pub fn new_run_id() -> String {
    let n: u64 = rand::rng().random();
    format!("{:012x}", n & 0xffff_ffff_ffff)
}

/// Prints the end-of-run output: the table (or the record as JSON) on stdout, file paths on stderr.
pub fn print_finished(f: &Finished, json: bool) {
    if json {
        let bytes = f.record.to_json_pretty();
        println!("{}", String::from_utf8_lossy(&bytes).trim_end());
    } else {
        println!("{}", f.summary_text.trim_end());
    }
    if let Some(run) = &f.files.run_record {
        eprintln!(
            "perfgate: wrote {} files to {} (run record: {})",
            f.files.files.len(),
            run.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            run.display()
        );
    }
}

//! The A/B interleaved mode (`[ab]` in `perfgate.toml`): the mode for noisy shared runners.
//!
//! A single run judged against history cannot tell a 10 % change from a shared runner's drift between runs.
//! Here the base build of the service runs beside the head build in the same job, and short trials of the
//! suite alternate between them — base, head; head, base; base, head; … (the order flips every pair, so a
//! steady drift favours neither side) — on the same machine in the same minutes. The trial-level results
//! are judged per operation and metric by [`perfgate_reports::analysis::compare_trials`] (exact
//! paired t-test on the trials of each pair, Benjamini–Hochberg across series).
//!
//! The head's trials are combined ([`perfgate_reports::merge::merge_trials`]) into the run's benchmark and
//! load sections, so the record reads like a normal run of the head build; the comparison lands in its
//! analysis. Stress is not interleaved: a stress test runs on the head build only, after the trials.

use std::sync::Arc;

use chrono::Utc;
use perfgate_reports::analysis::{compare_trials, Comparison, TrialSettings};
use perfgate_reports::merge::merge_trials;
use perfgate_reports::record::{BenchmarkSection, LoadSection, RunRecord, TargetInfo};

use crate::config::{AbSettings, Settings};
use crate::engine::Engine;
use crate::error::Result;
use crate::service::Service;
use crate::system::Sampler;
use crate::targets::dispatch::SuiteTarget;
use crate::targets::Target;

use super::record::RecordBuilder;

/// What the trials produced.
pub struct AbOutcome {
    /// The head's trials, combined.
    pub benchmark: Option<BenchmarkSection>,
    pub load: Option<LoadSection>,
    /// Base against head, judged from the trials.
    pub comparison: Comparison,
    /// The base side's targets (described with `role = base` in their name).
    pub base_targets: Vec<TargetInfo>,
    pub warnings: Vec<String>,
}

/// Which side a trial ran on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Base,
    Head,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Base => "base",
            Side::Head => "head",
        }
    }
}

/// Runs `ab.trials` trials a side, alternating, and judges them. `head` is the run's engine (its target is
/// the head build); the base build's target, service and sampler are set up and torn down here.
pub fn run_trials(
    settings: &Settings,
    ab: &AbSettings,
    head: &mut Engine<SuiteTarget>,
    benchmark: bool,
    load: bool,
    workers: Option<usize>,
    quiet: bool,
) -> Result<AbOutcome> {
    let mut base_service = match &ab.service {
        Some(s) => Some(Service::start(s, Some(&ab.base_url))?),
        None => None,
    };
    let base_pid = base_service.as_ref().map(Service::pid);
    let mut base_settings = settings.clone();
    base_settings.base_url = Some(ab.base_url.clone());
    base_settings.service = None;
    base_settings.target_pid = None;
    base_settings.ab = None;
    let base_target = Arc::new(super::build::build_target(&base_settings, base_pid)?);
    super::reach::check_reachable(&base_target, &base_settings)?;
    let mut base = Engine::new(Arc::clone(&base_target));
    if let Some(w) = workers {
        base = base.with_workers(w);
    }
    if settings.collect_system_metrics {
        base = base.with_sampler(Arc::new(Sampler::start(base_pid, crate::system::PERIOD)));
    }
    if let Some(p) = crate::progress::for_stderr(quiet) {
        base.observe(p);
    }

    // The head build is this checkout; the base build's commit is not known here.
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
    let head_git = crate::environment::detect_git(&cwd, &crate::config::process_env());
    let (mut base_trials, mut head_trials) = (Vec::new(), Vec::new());
    for i in 0..ab.trials {
        if crate::interrupt::requested() {
            break;
        }
        let order = if i % 2 == 0 {
            [Side::Base, Side::Head]
        } else {
            [Side::Head, Side::Base]
        };
        for side in order {
            if !quiet {
                eprintln!(
                    "perfgate: A/B trial {}/{} on the {} build",
                    i + 1,
                    ab.trials,
                    side.name()
                );
            }
            let started_at = Utc::now();
            let engine = match side {
                Side::Base => &mut base,
                Side::Head => &mut *head,
            };
            let b = benchmark.then(|| engine.benchmark(&ab.benchmark));
            let l = load.then(|| engine.load(&ab.load));
            let mut rec = trial_record(settings, side, i, started_at, b, l);
            match side {
                Side::Base => base_trials.push(rec),
                Side::Head => {
                    rec.git = head_git.clone();
                    head_trials.push(rec);
                }
            }
        }
    }

    let mut warnings = Vec::new();
    if let Some(svc) = base_service.as_mut() {
        if let Some(exit) = svc.exit_status() {
            warnings.push(format!(
                "the base build exited during the A/B trials: {exit}"
            ));
        }
    }
    base_target.shutdown();
    warnings.extend(
        base_target
            .warnings()
            .into_iter()
            .map(|w| format!("base build: {w}")),
    );
    let base_targets = base_target
        .describe()
        .into_iter()
        .map(|mut t| {
            t.name = format!("{} (base)", t.name);
            t
        })
        .collect();
    drop(base);
    if let Some(mut s) = base_service.take() {
        s.stop();
    }

    let trial_settings = TrialSettings {
        threshold_percent: ab.threshold_percent,
        ..TrialSettings::default()
    };
    let comparison = compare_trials(&base_trials, &head_trials, &trial_settings);
    let head_refs: Vec<&RunRecord> = head_trials.iter().collect();
    let (benchmark, load) = merge_trials(&head_refs, &mut warnings);
    Ok(AbOutcome {
        benchmark,
        load,
        comparison,
        base_targets,
        warnings,
    })
}

/// A trial as a run record of its own (what [`compare_trials`] reads).
fn trial_record(
    settings: &Settings,
    side: Side,
    index: u32,
    started_at: chrono::DateTime<Utc>,
    benchmark: Option<BenchmarkSection>,
    load: Option<LoadSection>,
) -> RunRecord {
    RecordBuilder::new(&settings.suite, "trial", started_at)
        .run_id(format!("{}-trial-{}", side.name(), index + 1))
        .config_digest(&settings.digest)
        .sections(benchmark, load, None)
        .build()
}

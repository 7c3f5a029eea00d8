//! The engine: benchmark, load and stress schedules over any [`Target`].
//!
//! Data flows one way: a plan goes in, a section of the run record comes out, and events go to observers on
//! the way. The engine never prints and never writes files.
//!
//! - [`Engine::benchmark`]: per operation, warm-up iterations (not recorded), then N sequential iterations.
//! - [`Engine::load`]: a closed or open model over the weighted operation mix ([`phase`]).
//! - [`Engine::stress`]: closed-model steps of rising concurrency, each warmed then measured, until a stop
//!   rule fires ([`stress`]).
//!
//! Side operations (a target's setup work timed apart, e.g. `mcp.initialize`) are appended to each section's
//! operations after the target's own, and never enter `overall`.

pub mod events;
pub mod phase;
pub mod stats;
pub mod stress;

use std::sync::Arc;
use std::time::{Duration, Instant};

use perfgate_reports::histogram::round3;
use perfgate_reports::record::{
    BenchmarkSection, BreakingPoint, LoadSection, OperationResult, StressSection, StressStep,
    SystemSummary, TestType, TimelinePoint,
};
use stress::stop_reason;

use crate::system::{Sample, Sampler};
use crate::targets::Target;
use events::{Event, Observer, Observers};
use phase::{Model, PhaseOutcome, PhasePlan, SideOps};
use stats::OpStats;

pub use stress::{StressPlan, StressRules};

/// Benchmark settings.
#[derive(Clone, Debug)]
pub struct BenchmarkPlan {
    pub iterations: u64,
    pub warmup_iterations: u64,
    /// Upper bound on one operation's measured time; iterations stop early when it is reached.
    pub max_seconds_per_operation: f64,
}

/// Load settings.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    pub duration: Duration,
    pub users: u32,
    pub ramp_up: Duration,
    pub think_time: Duration,
    /// Open model when set.
    pub target_rps: Option<f64>,
    pub warmup: Duration,
    pub grace: Duration,
}

/// Runs schedules over one target.
pub struct Engine<T: Target> {
    target: Arc<T>,
    workers: usize,
    observers: Observers,
    sampler: Option<Arc<Sampler>>,
    seed: u64,
}

impl<T: Target> Engine<T> {
    /// An engine with one worker thread per available core.
    pub fn new(target: Arc<T>) -> Self {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Self {
            target,
            workers,
            observers: Observers::default(),
            sampler: None,
            seed: 0x5eed,
        }
    }

    /// Overrides the number of worker threads.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Samples CPU and memory during phases.
    pub fn with_sampler(mut self, sampler: Arc<Sampler>) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// Adds an event observer.
    pub fn observe(&mut self, observer: Box<dyn Observer>) {
        self.observers.push(observer);
    }

    /// The target.
    pub fn target(&self) -> &Arc<T> {
        &self.target
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The target's operation names, in its order.
    fn operation_names(&self) -> Vec<String> {
        self.target
            .operations()
            .iter()
            .map(|o| o.name.clone())
            .collect()
    }

    /// Runs the benchmark schedule: every operation in turn, one user, sequential calls.
    pub fn benchmark(&mut self, plan: &BenchmarkPlan) -> BenchmarkSection {
        let mark = self.sampler.as_ref().map(|s| s.mark());
        let names = self.operation_names();
        let mut operations = Vec::with_capacity(names.len());
        let sides = SideOps::of_target(&*self.target);
        let mut side_stats = vec![OpStats::default(); sides.names.len()];
        let mut side_elapsed = Duration::ZERO;
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                return BenchmarkSection {
                    iterations: plan.iterations,
                    warmup_iterations: plan.warmup_iterations,
                    operations: names
                        .iter()
                        .map(|n| failed_result(n, &format!("runner: {e}")))
                        .collect(),
                    system: SystemSummary::default(),
                }
            }
        };
        for (op, name) in names.iter().enumerate() {
            if crate::interrupt::requested() {
                break;
            }
            self.observers.emit(&Event::PhaseStarted {
                test_type: TestType::Benchmark,
                label: name,
                expected_seconds: None,
                users: 1,
            });
            let op_mark = self.sampler.as_ref().map(|s| s.mark());
            let before = self.sampler.as_ref().and_then(|s| s.latest());
            let target = Arc::clone(&self.target);
            let local = tokio::task::LocalSet::new();
            let (stats, elapsed) =
                local.block_on(&rt, bench_one(&*target, op, plan, &sides, &mut side_stats));
            side_elapsed += elapsed;
            let mut result = stats.to_result(name, elapsed);
            result.spawn_overhead_ms = self.target.overhead_ms(op).map(round3);
            if let (Some(s), Some(m)) = (&self.sampler, op_mark) {
                apply_resources(&mut result, &s.summary_since(m, 1));
                apply_deltas(&mut result, before, s.latest());
            }
            self.observers.emit(&Event::OperationFinished {
                test_type: TestType::Benchmark,
                result: &result,
            });
            self.observers.emit(&Event::PhaseFinished {
                test_type: TestType::Benchmark,
                label: name,
            });
            operations.push(result);
        }
        for (s, name) in side_stats.iter().zip(&sides.names) {
            if s.total() > 0 {
                operations.push(s.to_result(name, side_elapsed));
            }
        }
        BenchmarkSection {
            iterations: plan.iterations,
            warmup_iterations: plan.warmup_iterations,
            operations,
            system: self.summary(mark, 1),
        }
    }

    /// Runs the load schedule.
    pub fn load(&mut self, plan: &LoadPlan) -> LoadSection {
        let mark = self.sampler.as_ref().map(|s| s.mark());
        let before = self.sampler.as_ref().and_then(|s| s.latest());
        let model = match plan.target_rps {
            Some(rps) if rps > 0.0 => Model::Open { target_rps: rps },
            _ => Model::Closed {
                think_time: plan.think_time,
            },
        };
        let phase_plan = PhasePlan {
            users: plan.users,
            ramp_up: plan.ramp_up,
            warmup: plan.warmup,
            duration: plan.duration,
            model: model.clone(),
            weights: self.target.operations().iter().map(|o| o.weight).collect(),
            grace: plan.grace,
            seed: self.seed,
        };
        let label = match model {
            Model::Open { target_rps } => format!("load (open, {target_rps} rps)"),
            Model::Closed { .. } => format!("load ({} users)", plan.users),
        };
        let outcome = self.run_phase(TestType::Load, &label, &phase_plan);
        let names = self.operation_names();
        let system = self.summary(mark, self.workers.min(plan.users.max(1) as usize));
        let mut operations: Vec<OperationResult> = outcome
            .stats
            .ops
            .iter()
            .zip(&names)
            .filter(|(s, _)| s.total() > 0)
            .map(|(s, n)| s.to_result(n, outcome.measured))
            .chain(side_results(&outcome))
            .collect();
        let mut overall = outcome.stats.overall().to_result("all", outcome.measured);
        let after = self.sampler.as_ref().and_then(|s| s.latest());
        for r in operations.iter_mut().chain(std::iter::once(&mut overall)) {
            apply_resources(r, &system);
            apply_deltas(r, before, after);
        }
        LoadSection {
            model: match model {
                Model::Open { .. } => "open".into(),
                Model::Closed { .. } => "closed".into(),
            },
            duration_seconds: round3(plan.duration.as_secs_f64()),
            concurrent_users: plan.users,
            ramp_up_seconds: round3(plan.ramp_up.as_secs_f64()),
            target_rps: plan.target_rps.filter(|r| *r > 0.0),
            late_starts: outcome.late_starts,
            dropped_starts: outcome.dropped_starts,
            overall,
            operations: std::mem::take(&mut operations),
            timeline: outcome.timeline,
            system,
        }
    }

    /// Runs one phase, forwarding ticks (with resource readings) to the observers.
    pub(crate) fn run_phase(
        &mut self,
        test_type: TestType,
        label: &str,
        plan: &PhasePlan,
    ) -> phase::PhaseOutcome {
        let expected = (plan.warmup + plan.duration).as_secs_f64();
        self.observers.emit(&Event::PhaseStarted {
            test_type,
            label,
            expected_seconds: Some(expected),
            users: plan.users,
        });
        let names = self.operation_names();
        let observers = &mut self.observers;
        let sampler = self.sampler.as_deref();
        let warmup = plan.warmup.as_secs_f64();
        // The reading taken during each second, kept for the stored timeline.
        let mut readings: std::collections::HashMap<u32, Sample> = Default::default();
        let mut outcome = phase::run_phase(&self.target, plan, self.workers, |point, interval| {
            let mut point = point.clone();
            if let Some(sample) = sampler.and_then(|s| s.latest()) {
                attach_sample(&mut point, &sample);
                readings.insert(point.second, sample);
            }
            observers.emit(&Event::Tick {
                test_type,
                label,
                point: &point,
                operations: &names,
                counts: &interval.counts,
                elapsed_seconds: warmup + f64::from(point.second) + 1.0,
                expected_seconds: Some(expected),
            });
        });
        // The stored timeline gets each second's own reading (a second without one, e.g. before the sampler's
        // first reading, has none: never another second's copied in).
        for p in outcome.timeline.iter_mut() {
            if let Some(sample) = readings.get(&p.second) {
                attach_sample(p, sample);
            }
        }
        self.observers
            .emit(&Event::PhaseFinished { test_type, label });
        outcome
    }

    fn summary(&self, mark: Option<crate::system::Mark>, threads: usize) -> SystemSummary {
        match (&self.sampler, mark) {
            (Some(s), Some(m)) => s.summary_since(m, threads),
            _ => SystemSummary::default(),
        }
    }

    pub(crate) fn observers_mut(&mut self) -> &mut Observers {
        &mut self.observers
    }
}

/// The results of a phase's side operations (those that ran at least once).
pub(crate) fn side_results(outcome: &PhaseOutcome) -> impl Iterator<Item = OperationResult> + '_ {
    outcome
        .stats
        .side
        .iter()
        .zip(&outcome.side_names)
        .filter(|(s, _)| s.total() > 0)
        .map(|(s, n)| s.to_result(n, outcome.measured))
}

/// Fills `memory_usage_mb` / `cpu_usage_percent` from a phase's resource summary: the target's (its
/// process tree) when it was sampled. Otherwise they stay absent: the runner's own figures are in
/// `system.runner`, and are not the service's.
pub fn apply_resources(result: &mut OperationResult, system: &SystemSummary) {
    if let Some(t) = &system.target {
        result.memory_usage_mb = Some(t.rss_max_mb);
        result.cpu_usage_percent = Some(t.cpu_avg_percent);
        result.resource_source = "target".into();
    }
}

/// Fills `memory_delta_mb` / `cpu_delta_percent`: the target's reading after the operation's window minus
/// the one before it (absent without two distinct readings of the target).
pub fn apply_deltas(result: &mut OperationResult, before: Option<Sample>, after: Option<Sample>) {
    let (Some(b), Some(a)) = (before, after) else {
        return;
    };
    if a.at == b.at {
        return;
    }
    if let (Some(x), Some(y)) = (b.target_rss_mb, a.target_rss_mb) {
        result.memory_delta_mb = Some(round3(y - x));
    }
    if let (Some(x), Some(y)) = (b.target_cpu, a.target_cpu) {
        result.cpu_delta_percent = Some(round3(y - x));
    }
}

/// Copies one reading into a timeline point: the target's CPU, RSS and I/O, and the runner's CPU and RSS.
fn attach_sample(p: &mut TimelinePoint, s: &Sample) {
    p.memory_mb = s.target_rss_mb.map(round3);
    p.cpu_percent = s.target_cpu.map(round3);
    p.runner_memory_mb = Some(round3(s.runner_rss_mb));
    p.runner_cpu_percent = Some(round3(s.runner_cpu));
    p.disk_read_bytes_per_sec = s.target_disk_read_bps;
    p.disk_written_bytes_per_sec = s.target_disk_write_bps;
    p.net_received_bytes_per_sec = s.target_net_rx_bps;
    p.net_sent_bytes_per_sec = s.target_net_tx_bps;
}

fn failed_result(name: &str, message: &str) -> OperationResult {
    let mut stats = OpStats::default();
    stats.record_err(
        Duration::ZERO,
        &crate::targets::CallError::new(crate::targets::ErrorKind::Other("runner".into()), message),
    );
    stats.to_result(name, Duration::ZERO)
}

async fn bench_one<T: Target>(
    target: &T,
    op: usize,
    plan: &BenchmarkPlan,
    sides: &SideOps,
    side_stats: &mut [OpStats],
) -> (OpStats, Duration) {
    let mut stats = OpStats::default();
    let mut session = target.prepare().await;
    let limit = Duration::from_secs_f64(plan.max_seconds_per_operation.max(0.001));
    let side = sides.of.get(op).copied().flatten();
    // Setup (timed apart, recorded under its side operation, warm-up included). Err: the call cannot be
    // made; the failure and the time the setup took are returned.
    async fn setup<T: Target>(
        target: &T,
        s: &mut T::Session,
        op: usize,
        side: Option<usize>,
        side_stats: &mut [OpStats],
    ) -> Result<(), (Duration, crate::targets::CallError)> {
        let Some(side) = side else { return Ok(()) };
        match phase::setup_with_timeout(target, s, op).await {
            None => Ok(()),
            Some((done, wall)) => match done.outcome {
                Ok(()) => {
                    side_stats[side].record_ok(done.took);
                    Ok(())
                }
                Err(e) => {
                    side_stats[side].record_err(done.took, &e);
                    Err((wall, e))
                }
            },
        }
    }
    for _ in 0..plan.warmup_iterations {
        if crate::interrupt::requested() {
            break;
        }
        if let Ok(s) = session.as_mut() {
            if setup(target, s, op, side, side_stats).await.is_ok() {
                let _ = phase::call_with_timeout(target, s, op).await;
            }
        }
    }
    let start = Instant::now();
    for _ in 0..plan.iterations {
        if start.elapsed() >= limit || crate::interrupt::requested() {
            break;
        }
        let mut t0 = Instant::now();
        if session.is_err() {
            session = target.prepare().await;
        }
        let outcome = match session.as_mut() {
            Ok(s) => match setup(target, s, op, side, side_stats).await {
                Ok(()) => {
                    t0 = Instant::now();
                    phase::call_with_timeout(target, s, op).await
                }
                Err((_, e)) => Err(e),
            },
            Err(e) => Err(e.clone()),
        };
        let latency = t0.elapsed();
        match outcome {
            Ok(()) => stats.record_ok(latency),
            Err(e) => stats.record_err(latency, &e),
        }
    }
    (stats, start.elapsed())
}
/// The stress schedule: steps of rising concurrency, each warmed and measured, until a stop rule fires
/// ([`stress::stop_reason`]).
impl<T: Target> Engine<T> {
    /// Runs one stress step at `c` users: warmed, measured, summarized (not yet judged).
    fn stress_step(
        &mut self,
        plan: &StressPlan,
        c: u32,
        names: &[String],
        weights: &[u32],
    ) -> StressStep {
        let step_mark = self.sampler.as_ref().map(|s| s.mark());
        let before = self.sampler.as_ref().and_then(|s| s.latest());
        let phase_plan = PhasePlan {
            users: c,
            ramp_up: Duration::ZERO,
            warmup: plan.step_warmup,
            duration: plan.step_duration,
            model: Model::Closed {
                think_time: plan.think_time,
            },
            weights: weights.to_vec(),
            grace: plan.grace,
            seed: self.seed ^ u64::from(c),
        };
        let label = format!("stress {c} users");
        let outcome = self.run_phase(TestType::Stress, &label, &phase_plan);
        let overall = outcome.stats.overall().to_result("all", outcome.measured);
        let system = self.summary(step_mark, self.workers.min(c as usize));
        let after = self.sampler.as_ref().and_then(|s| s.latest());
        let operations = outcome
            .stats
            .ops
            .iter()
            .zip(names)
            .filter(|(s, _)| s.total() > 0)
            .map(|(s, n)| {
                let mut r = s.to_result(n, outcome.measured);
                apply_resources(&mut r, &system);
                apply_deltas(&mut r, before, after);
                r
            })
            .chain(side_results(&outcome))
            .collect();
        StressStep {
            concurrency: c,
            duration_seconds: round3(outcome.measured.as_secs_f64()),
            total_requests: overall.total_requests,
            throughput_rps: overall.throughput_rps,
            error_rate_percent: round3(overall.error_rate_percent()),
            latency_ms: overall.latency_ms,
            operations,
            stop_reason: None,
        }
    }

    /// Runs the stress schedule.
    pub fn stress(&mut self, plan: &StressPlan) -> StressSection {
        let mark = self.sampler.as_ref().map(|s| s.mark());
        let names = self.operation_names();
        let weights: Vec<u32> = self.target.operations().iter().map(|o| o.weight).collect();
        let mut steps: Vec<StressStep> = Vec::new();
        let mut breaking_point = None;
        let mut last_good = None;
        let levels = plan.levels();
        let mut interrupted = None;
        for &c in &levels {
            if crate::interrupt::requested() {
                break;
            }
            let mut step = self.stress_step(plan, c, &names, &weights);
            if crate::interrupt::requested() {
                // Cut short by SIGINT/SIGTERM: kept as measured, judged by no stop rule.
                interrupted = Some(c);
                steps.push(step);
                break;
            }
            step.stop_reason = stop_reason(&plan.rules, &steps, &step);
            self.observers_mut()
                .emit(&Event::StepFinished { step: &step });
            let stop = step.stop_reason.clone();
            steps.push(step);
            match stop {
                Some(reason) => {
                    breaking_point = Some(BreakingPoint {
                        concurrency: c,
                        reason,
                    });
                    break;
                }
                None => last_good = Some(c),
            }
        }
        // Bisection between the last good step and the breaking one (see `stress::next_bisection`).
        if plan.bisect && interrupted.is_none() {
            while let (Some(good), Some(bad)) =
                (last_good, breaking_point.as_ref().map(|b| b.concurrency))
            {
                let Some(m) = stress::next_bisection(good, bad, plan.step_size) else {
                    break;
                };
                if crate::interrupt::requested() {
                    break;
                }
                let mut step = self.stress_step(plan, m, &names, &weights);
                if crate::interrupt::requested() {
                    interrupted = Some(m);
                    steps.push(step);
                    break;
                }
                // Judged against the steps below it, as if the grid had had this level.
                let below: Vec<StressStep> = steps
                    .iter()
                    .filter(|s| s.concurrency < m)
                    .cloned()
                    .collect();
                step.stop_reason = stop_reason(&plan.rules, &below, &step);
                self.observers_mut()
                    .emit(&Event::StepFinished { step: &step });
                match step.stop_reason.clone() {
                    Some(reason) => {
                        breaking_point = Some(BreakingPoint {
                            concurrency: m,
                            reason,
                        })
                    }
                    None => last_good = Some(m),
                }
                steps.push(step);
            }
            steps.sort_by_key(|s| s.concurrency);
        }
        let max = levels.last().copied().unwrap_or(0);
        let conclusion = match &breaking_point {
            Some(bp) => format!(
                "breaking point at {} users: {}{}",
                bp.concurrency,
                bp.reason,
                last_good
                    .map(|g| format!(" (last good step: {g} users)"))
                    .unwrap_or_default()
            ),
            None => match interrupted {
                Some(c) => format!(
                    "interrupted during the {c}-user step: no breaking point found before it"
                ),
                None => format!("no breaking point found up to {max} users"),
            },
        };
        let capacity = perfgate_reports::capacity::from_steps(
            &steps,
            plan.think_time.as_secs_f64() * 1000.0,
            Some(plan.rules.max_p95_ms),
        );
        StressSection {
            steps,
            last_good_concurrency: last_good,
            breaking_point,
            conclusion,
            system: self.summary(mark, self.workers),
            capacity: Some(capacity),
        }
    }
}

//! One timed phase (a load test or a stress step) over a pool of share-nothing workers.
//!
//! One OS thread per core, each with a current-thread tokio runtime that owns its users' sessions, its
//! counters and its histograms: no lock, channel or allocation per request. Each worker hands its interval
//! histogram to the coordinator once a second (for the timeline) and its full [`PhaseStats`] once at the end,
//! where they are merged.
//!
//! Two models:
//! - **closed**: N users, each sends, waits for the answer, thinks, sends again; users start linearly over
//!   the ramp-up. Latency is measured from the actual send.
//! - **open**: requests are due at fixed intended times (target rps); a free user takes the next due request
//!   and the latency is measured **from the intended time**, so a stalled server shows in the percentiles
//!   instead of silently lowering the request rate (no coordinated omission, as in wrk2). The runtime's timer
//!   fires up to about a millisecond after the instant asked for; a start within [`TIMER_SLACK`] of its
//!   intended time is on time and measured from the actual send, so a 100 µs service does not read as 1 ms.
//!   Requests that start later than that are counted as late starts and measured from the intended time;
//!   those still not started when the phase ends are dropped starts.
//!
//! Work a call needs first (a target's [`Target::setup`], e.g. an MCP initialize in `churn` mode) is timed
//! apart and recorded under its side operation, for every phase second including warm-up; it never enters
//! the operation's latency (in the open model it is subtracted from the time since the intended start).
//!
//! A phase is bounded in time: no request starts after the end, and requests still running `grace` after the
//! end are abandoned (dropped with their workers' runtime).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use perfgate_reports::histogram::round3;
use perfgate_reports::record::TimelinePoint;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant as TokioInstant;

use super::stats::{IntervalStats, OpStats, PhaseStats};
use crate::targets::{CallError, ErrorKind, Outcome, SetupDone, Target};

/// How requests are scheduled.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    Closed { think_time: Duration },
    Open { target_rps: f64 },
}

/// What to run.
#[derive(Clone, Debug)]
pub struct PhasePlan {
    pub users: u32,
    pub ramp_up: Duration,
    /// Run but not recorded, before the measured window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    pub model: Model,
    /// Weight per operation (0: not in the mix).
    pub weights: Vec<u32>,
    /// How long in-flight requests may finish after the end.
    pub grace: Duration,
    /// Seed for the operation mix (runs are reproducible).
    pub seed: u64,
}

/// The side operations of a target (see [`Target::setup_operation`]): their names, and for every operation
/// the index of its side operation.
#[derive(Clone, Debug, Default)]
pub struct SideOps {
    pub names: Vec<String>,
    pub of: Vec<Option<usize>>,
}

impl SideOps {
    pub fn of_target<T: Target>(target: &T) -> Self {
        let mut names: Vec<String> = Vec::new();
        let of = (0..target.operations().len())
            .map(|op| {
                let name = target.setup_operation(op)?;
                Some(match names.iter().position(|n| n == name) {
                    Some(i) => i,
                    None => {
                        names.push(name.to_string());
                        names.len() - 1
                    }
                })
            })
            .collect();
        Self { names, of }
    }
}

/// The operation mix of a phase: weights, and the side operation of each operation.
struct Mix {
    weights: Vec<u32>,
    sides: SideOps,
}

/// What a phase measured.
#[derive(Debug)]
pub struct PhaseOutcome {
    /// Per operation, and per side operation (named in `side_names`).
    pub stats: PhaseStats,
    pub side_names: Vec<String>,
    pub timeline: Vec<TimelinePoint>,
    /// Wall time of the measured window.
    pub measured: Duration,
    pub late_starts: u64,
    pub dropped_starts: u64,
    /// Time spent opening sessions (`prepare`), kept apart from call latencies.
    pub prepare: OpStats,
}

enum WorkerMsg {
    Tick {
        second: u32,
        interval: IntervalStats,
    },
    Done {
        stats: Box<PhaseStats>,
        prepare: OpStats,
        leftover: IntervalStats,
        late: u64,
        dropped: u64,
    },
    Failed(String),
}

/// Shared state of one worker's users.
struct WorkerState {
    stats: RefCell<PhaseStats>,
    prepare: RefCell<OpStats>,
    interval: RefCell<IntervalStats>,
    active: Cell<u32>,
    /// The most users active at once since the last tick: a second's "users" is how many ran in it, not how
    /// many were left at its end (at the end of the last second, none are).
    peak: Cell<u32>,
    next_slot: Cell<u64>,
    started_slots: Cell<u64>,
    late: Cell<u64>,
}

/// Runs a phase and calls `on_tick` for every completed second (on the calling thread).
pub fn run_phase<T: Target>(
    target: &Arc<T>,
    plan: &PhasePlan,
    workers: usize,
    mut on_tick: impl FnMut(&TimelinePoint, &IntervalStats),
) -> PhaseOutcome {
    let ops = target.operations().len();
    let users = plan.users.max(1);
    let workers = workers.clamp(1, users as usize);
    let total_weight: u32 = plan.weights.iter().sum();
    let mix = Arc::new(Mix {
        weights: if total_weight == 0 {
            vec![1; ops]
        } else {
            plan.weights.clone()
        },
        sides: SideOps::of_target(&**target),
    });
    // A small delay so every worker's runtime is up before the clock starts.
    let phase_start = Instant::now() + Duration::from_millis(20);
    let measure_start = phase_start + plan.warmup;
    let end = measure_start + plan.duration;
    let n_seconds = plan.duration.as_secs_f64().ceil().max(1.0) as u32;

    let (tx, rx) = mpsc::channel::<WorkerMsg>();
    let mut handles = Vec::with_capacity(workers);
    for w in 0..workers {
        let target = Arc::clone(target);
        let tx = tx.clone();
        let plan = plan.clone();
        let mix = Arc::clone(&mix);
        // Users of this worker: global indices w, w + workers, …
        let my_users: Vec<u32> = (w as u32..users).step_by(workers).collect();
        handles.push(std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(WorkerMsg::Failed(format!("worker runtime: {e}")));
                    return;
                }
            };
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async move {
                worker(
                    target,
                    plan,
                    WorkerTiming {
                        phase_start,
                        measure_start,
                        end,
                        n_seconds,
                        workers,
                        users,
                    },
                    mix,
                    my_users,
                    ops,
                    tx,
                )
                .await;
            });
            // Dropping the runtime abandons requests still in flight after the grace period.
        }));
    }
    drop(tx);

    let mut pending: Vec<Option<(usize, IntervalStats)>> = (0..n_seconds).map(|_| None).collect();
    let mut next_emit = 0u32;
    let mut timeline = Vec::with_capacity(n_seconds as usize);
    let mut merged = PhaseStats::with_side(ops, mix.sides.names.len());
    let mut prepare = OpStats::default();
    let mut leftover = IntervalStats::new(ops);
    let mut late = 0;
    let mut dropped = 0;
    let mut done = 0;
    let mut failures = Vec::new();
    while done < workers {
        let Ok(msg) = rx.recv() else { break };
        match msg {
            WorkerMsg::Tick { second, interval } => {
                let Some(slot) = pending.get_mut(second as usize) else {
                    continue;
                };
                match slot {
                    Some((n, acc)) => {
                        acc.merge(&interval);
                        *n += 1;
                    }
                    None => *slot = Some((1, interval)),
                }
                while let Some(Some((n, _))) = pending.get(next_emit as usize) {
                    if *n < workers {
                        break;
                    }
                    if let Some((_, acc)) = pending[next_emit as usize].take() {
                        let point = point_of(next_emit, &acc, 1.0);
                        on_tick(&point, &acc);
                        timeline.push(point);
                    }
                    next_emit += 1;
                }
            }
            WorkerMsg::Done {
                stats,
                prepare: p,
                leftover: l,
                late: lt,
                dropped: dr,
            } => {
                merged.merge(&stats);
                prepare.merge(&p);
                leftover.merge(&l);
                late += lt;
                dropped += dr;
                done += 1;
            }
            WorkerMsg::Failed(e) => {
                failures.push(e);
                done += 1;
            }
        }
    }
    for h in handles {
        let _ = h.join();
    }
    // Seconds some worker did not report (it finished early) are emitted with what arrived.
    for second in next_emit..n_seconds {
        if let Some((_, acc)) = pending[second as usize].take() {
            let point = point_of(second, &acc, 1.0);
            on_tick(&point, &acc);
            timeline.push(point);
        }
    }
    // Requests that completed after the last tick (in-flight at the end) go into the last second.
    if leftover.requests() > 0 {
        if let Some(last) = timeline.last_mut() {
            last.requests += leftover.requests();
            last.errors += leftover.errors();
            last.rps = round3(last.requests as f64);
        }
    }
    for e in failures {
        merged.ops.iter_mut().take(1).for_each(|op| {
            op.record_err(
                Duration::ZERO,
                &CallError::new(ErrorKind::Other("runner".into()), e.clone()),
            )
        });
    }
    // An interrupted phase measured until the signal, not for its planned duration.
    let measured = if crate::interrupt::requested() {
        Instant::now()
            .saturating_duration_since(measure_start)
            .min(plan.duration)
    } else {
        plan.duration
    };
    PhaseOutcome {
        stats: merged,
        side_names: mix.sides.names.clone(),
        timeline,
        measured,
        late_starts: late,
        dropped_starts: dropped,
        prepare,
    }
}

fn point_of(second: u32, acc: &IntervalStats, fraction: f64) -> TimelinePoint {
    let requests = acc.requests();
    TimelinePoint {
        second,
        requests,
        errors: acc.errors(),
        rps: round3(requests as f64 / fraction),
        p50_ms: acc.histogram.quantile_ms(0.50),
        p95_ms: acc.histogram.quantile_ms(0.95),
        p99_ms: acc.histogram.quantile_ms(0.99),
        active_users: acc.active_users,
        ..Default::default()
    }
}

#[derive(Clone, Copy)]
struct WorkerTiming {
    phase_start: Instant,
    measure_start: Instant,
    end: Instant,
    n_seconds: u32,
    workers: usize,
    users: u32,
}

async fn worker<T: Target>(
    target: Arc<T>,
    plan: PhasePlan,
    timing: WorkerTiming,
    mix: Arc<Mix>,
    my_users: Vec<u32>,
    ops: usize,
    tx: mpsc::Sender<WorkerMsg>,
) {
    let state = Rc::new(WorkerState {
        stats: RefCell::new(PhaseStats::with_side(ops, mix.sides.names.len())),
        prepare: RefCell::new(OpStats::default()),
        interval: RefCell::new(IntervalStats::new(ops)),
        active: Cell::new(0),
        peak: Cell::new(0),
        next_slot: Cell::new(0),
        started_slots: Cell::new(0),
        late: Cell::new(0),
    });

    // The ticker: hands the interval over at the end of every measured second.
    let ticker = {
        let state = Rc::clone(&state);
        let tx = tx.clone();
        tokio::task::spawn_local(async move {
            for second in 0..timing.n_seconds {
                let at = timing.measure_start + Duration::from_secs(u64::from(second) + 1);
                let at = at.min(timing.end);
                tokio::time::sleep_until(TokioInstant::from_std(at)).await;
                let mut interval = state.interval.borrow_mut();
                interval.active_users = state.peak.get().max(state.active.get());
                state.peak.set(state.active.get());
                let snapshot = interval.clone();
                interval.reset();
                drop(interval);
                if tx
                    .send(WorkerMsg::Tick {
                        second,
                        interval: snapshot,
                    })
                    .is_err()
                {
                    return;
                }
            }
        })
    };

    let mut tasks = Vec::with_capacity(my_users.len());
    for u in my_users {
        let target = Arc::clone(&target);
        let state = Rc::clone(&state);
        let mix = Arc::clone(&mix);
        let plan = plan.clone();
        tasks.push(tokio::task::spawn_local(async move {
            let mut rng = SmallRng::seed_from_u64(
                plan.seed ^ u64::from(u).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            match plan.model {
                Model::Closed { think_time } => {
                    let offset = if timing.users > 1 {
                        plan.ramp_up.mul_f64(f64::from(u) / f64::from(timing.users))
                    } else {
                        Duration::ZERO
                    };
                    closed_user(
                        &*target, &state, &timing, offset, think_time, &mix, &mut rng,
                    )
                    .await
                }
                Model::Open { target_rps } => {
                    let per_worker = (target_rps / timing.workers as f64).max(1e-9);
                    let interval = Duration::from_secs_f64(1.0 / per_worker);
                    open_user(&*target, &state, &timing, interval, &mix, &mut rng).await
                }
            }
        }));
    }
    let deadline = TokioInstant::from_std(timing.end + plan.grace);
    let aborts: Vec<_> = tasks
        .iter()
        .chain(std::iter::once(&ticker))
        .map(|t| t.abort_handle())
        .collect();
    let users = async {
        for t in tasks {
            // Users that are still in a call after the grace period are abandoned.
            let _ = tokio::time::timeout_at(deadline, t).await;
        }
        let _ = ticker.await;
    };
    // SIGINT/SIGTERM: the phase ends now; calls in flight are abandoned (what completed is kept).
    tokio::select! {
        _ = users => {}
        _ = crate::interrupt::wait() => aborts.iter().for_each(|a| a.abort()),
    }

    let dropped = if let Model::Open { target_rps } = plan.model {
        let per_worker = (target_rps / timing.workers as f64).max(1e-9);
        let window = timing.end.saturating_duration_since(timing.phase_start);
        let planned = (window.as_secs_f64() * per_worker).ceil() as u64;
        planned.saturating_sub(state.started_slots.get())
    } else {
        0
    };
    let stats = state.stats.borrow().clone();
    let prepare = state.prepare.borrow().clone();
    let leftover = state.interval.borrow().clone();
    let _ = tx.send(WorkerMsg::Done {
        stats: Box::new(stats),
        prepare,
        leftover,
        late: state.late.get(),
        dropped,
    });
}

fn pick(weights: &[u32], rng: &mut SmallRng) -> usize {
    let total: u32 = weights.iter().sum();
    if weights.len() == 1 || total == 0 {
        return 0;
    }
    let mut r = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    weights.len() - 1
}

pub(crate) async fn call_with_timeout<T: Target>(
    target: &T,
    session: &mut T::Session,
    op: usize,
) -> Outcome {
    match target.timeout(op) {
        Some(limit) => match tokio::time::timeout(limit, target.call(session, op)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(CallError::new(
                ErrorKind::Timeout,
                format!("no answer within {:.3}s", limit.as_secs_f64()),
            )),
        },
        None => target.call(session, op).await,
    }
}

/// Runs the setup operation `op` needs (see [`Target::setup`]) under the operation's timeout. Returns what
/// it did (`took` as reported by the target) and the wall time it took here, or `None` when nothing had to
/// be done.
pub(crate) async fn setup_with_timeout<T: Target>(
    target: &T,
    session: &mut T::Session,
    op: usize,
) -> Option<(SetupDone, Duration)> {
    let t0 = Instant::now();
    let done = match target.timeout(op) {
        Some(limit) => match tokio::time::timeout(limit, target.setup(session, op)).await {
            Ok(done) => done,
            Err(_) => Some(SetupDone {
                took: t0.elapsed(),
                outcome: Err(CallError::new(
                    ErrorKind::Timeout,
                    format!("setup: no answer within {:.3}s", limit.as_secs_f64()),
                )),
            }),
        },
        None => target.setup(session, op).await,
    };
    done.map(|d| (d, t0.elapsed()))
}

/// Does the setup `op` needs and records it under its side operation. Returns the wall time it took here,
/// and `Err` when it failed (the call cannot be made; the caller records the failure against `op`).
async fn setup_recorded<T: Target>(
    target: &T,
    state: &WorkerState,
    sides: &SideOps,
    session: &mut T::Session,
    op: usize,
) -> Result<Duration, (Duration, CallError)> {
    let Some(side) = sides.of.get(op).copied().flatten() else {
        return Ok(Duration::ZERO);
    };
    match setup_with_timeout(target, session, op).await {
        None => Ok(Duration::ZERO),
        Some((done, wall)) => {
            let mut stats = state.stats.borrow_mut();
            match done.outcome {
                Ok(()) => {
                    stats.side[side].record_ok(done.took);
                    Ok(wall)
                }
                Err(e) => {
                    stats.side[side].record_err(done.took, &e);
                    Err((wall, e))
                }
            }
        }
    }
}

/// Opens a session, timing it apart. Failures are returned for the caller to count against an operation.
async fn open_session<T: Target>(target: &T, state: &WorkerState) -> Result<T::Session, CallError> {
    let t0 = Instant::now();
    let r = target.prepare().await;
    let mut prep = state.prepare.borrow_mut();
    match &r {
        Ok(_) => prep.record_ok(t0.elapsed()),
        Err(e) => prep.record_err(t0.elapsed(), e),
    }
    r
}

#[inline]
fn record(state: &WorkerState, op: usize, latency: Duration, outcome: &Outcome) {
    let mut stats = state.stats.borrow_mut();
    let mut interval = state.interval.borrow_mut();
    interval.histogram.record(latency);
    let c = &mut interval.counts[op];
    c.0 += 1;
    match outcome {
        Ok(()) => stats.ops[op].record_ok(latency),
        Err(e) => {
            c.1 += 1;
            stats.ops[op].record_err(latency, e);
        }
    }
}

/// Makes sure the user has a session. On failure the failure is counted against `op` (with the time the
/// attempt took) and `None` is returned.
async fn ensure_session<'s, T: Target>(
    target: &T,
    state: &WorkerState,
    session: &'s mut Option<T::Session>,
    op: usize,
    record_from: Option<Instant>,
    measured: bool,
) -> Option<&'s mut T::Session> {
    if session.is_none() {
        let t0 = Instant::now();
        match open_session(target, state).await {
            Ok(s) => *session = Some(s),
            Err(e) => {
                if measured {
                    let from = record_from.unwrap_or(t0);
                    record(state, op, from.elapsed(), &Err(e));
                }
                return None;
            }
        }
    }
    session.as_mut()
}

async fn closed_user<T: Target>(
    target: &T,
    state: &WorkerState,
    timing: &WorkerTiming,
    offset: Duration,
    think_time: Duration,
    mix: &Mix,
    rng: &mut SmallRng,
) {
    tokio::time::sleep_until(TokioInstant::from_std(timing.phase_start + offset)).await;
    // The first session is opened before the first call and timed apart.
    let mut session: Option<T::Session> = open_session(target, state).await.ok();
    state.active.set(state.active.get() + 1);
    state.peak.set(state.peak.get().max(state.active.get()));
    loop {
        let t0 = Instant::now();
        if t0 >= timing.end {
            break;
        }
        let op = pick(&mix.weights, rng);
        let measured = t0 >= timing.measure_start;
        if let Some(s) = ensure_session(target, state, &mut session, op, None, measured).await {
            match setup_recorded(target, state, &mix.sides, s, op).await {
                Ok(_) => {
                    let t1 = Instant::now();
                    let outcome = call_with_timeout(target, s, op).await;
                    if measured {
                        record(state, op, t1.elapsed(), &outcome);
                    }
                }
                Err((took, e)) => {
                    if measured {
                        record(state, op, took, &Err(e));
                    }
                }
            }
        }
        if !think_time.is_zero() {
            tokio::time::sleep(think_time).await;
        }
    }
    state.active.set(state.active.get() - 1);
}

/// How late after its intended time an open-model request may start and still count as on time: tokio's
/// timer wheel has a 1 ms resolution, plus scheduling jitter on a busy runner.
pub(crate) const TIMER_SLACK: Duration = Duration::from_millis(2);

async fn open_user<T: Target>(
    target: &T,
    state: &WorkerState,
    timing: &WorkerTiming,
    interval: Duration,
    mix: &Mix,
    rng: &mut SmallRng,
) {
    let mut session: Option<T::Session> = open_session(target, state).await.ok();
    loop {
        let k = state.next_slot.get();
        state.next_slot.set(k + 1);
        let intended = timing.phase_start + interval.mul_f64(k as f64);
        if intended >= timing.end {
            break;
        }
        let now = Instant::now();
        if now >= timing.end {
            // Behind schedule at the end: this and later slots are dropped, not started late.
            break;
        }
        if now < intended {
            tokio::time::sleep_until(TokioInstant::from_std(intended)).await;
        }
        let started = Instant::now();
        state.started_slots.set(state.started_slots.get() + 1);
        let measured = intended >= timing.measure_start;
        let late = started.saturating_duration_since(intended) > TIMER_SLACK;
        if measured && late {
            state.late.set(state.late.get() + 1);
        }
        // Late (the generator was behind, e.g. every user busy on a stalled server): the wait counts.
        // Within the timer's slack: the start was on time, and the slack is the runner's, not the service's.
        let clock_from = if late { intended } else { started };
        state.active.set(state.active.get() + 1);
        state.peak.set(state.peak.get().max(state.active.get()));
        let op = pick(&mix.weights, rng);
        if let Some(s) =
            ensure_session(target, state, &mut session, op, Some(intended), measured).await
        {
            match setup_recorded(target, state, &mix.sides, s, op).await {
                Ok(setup) => {
                    let outcome = call_with_timeout(target, s, op).await;
                    if measured {
                        // From the intended start: time spent waiting for a free user counts; the
                        // setup's own time (recorded apart) does not.
                        record(
                            state,
                            op,
                            clock_from.elapsed().saturating_sub(setup),
                            &outcome,
                        );
                    }
                }
                Err((took, e)) => {
                    if measured {
                        record(state, op, took, &Err(e));
                    }
                }
            }
        }
        state.active.set(state.active.get() - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::OperationSpec;

    /// One operation whose call does nothing. With `with_setup`, every call needs a 30 ms setup first (like
    /// an MCP session in `churn` mode), and every third setup fails.
    struct SetupEveryCall {
        specs: Vec<OperationSpec>,
        setups: std::sync::atomic::AtomicU64,
        with_setup: bool,
    }

    impl SetupEveryCall {
        fn new() -> Self {
            SetupEveryCall {
                specs: vec![OperationSpec {
                    name: "op".into(),
                    weight: 1,
                }],
                setups: Default::default(),
                with_setup: true,
            }
        }
    }

    impl Target for SetupEveryCall {
        type Session = ();

        fn operations(&self) -> &[OperationSpec] {
            &self.specs
        }

        async fn prepare(&self) -> Result<(), CallError> {
            Ok(())
        }

        async fn call(&self, _: &mut (), _: usize) -> Outcome {
            Ok(())
        }

        fn setup_operation(&self, _: usize) -> Option<&str> {
            self.with_setup.then_some("x.setup")
        }

        async fn setup(&self, _: &mut (), _: usize) -> Option<SetupDone> {
            if !self.with_setup {
                return None;
            }
            let t0 = Instant::now();
            tokio::time::sleep(Duration::from_millis(30)).await;
            let n = self
                .setups
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(SetupDone {
                took: t0.elapsed(),
                outcome: if n % 3 == 2 {
                    Err(CallError::new(ErrorKind::Connect, "refused"))
                } else {
                    Ok(())
                },
            })
        }
    }

    #[test]
    fn setup_is_recorded_apart_and_a_failed_setup_fails_the_call() {
        let target = Arc::new(SetupEveryCall::new());
        let plan = PhasePlan {
            users: 1,
            ramp_up: Duration::ZERO,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(700),
            model: Model::Closed {
                think_time: Duration::ZERO,
            },
            weights: vec![1],
            grace: Duration::from_secs(1),
            seed: 1,
        };
        let out = run_phase(&target, &plan, 1, |_, _| {});
        assert_eq!(out.side_names, vec!["x.setup".to_string()]);
        let op = &out.stats.ops[0];
        let side = &out.stats.side[0];
        assert!(side.total() >= 6, "{} setups", side.total());
        // Every call had a setup; failed setups failed their call (with the setup's error kind).
        assert_eq!(op.total(), side.total());
        assert_eq!(op.failed, side.failed);
        assert!(op.errors.iter().any(|(k, _)| k == "connect"));
        // The 30 ms are in the side operation, not in the successful calls.
        let call_p50 = op.histogram.quantile_ms(0.5);
        let setup_p50 = side.histogram.quantile_ms(0.5);
        assert!(setup_p50 >= 29.0, "setup p50 {setup_p50}");
        assert!(call_p50 < 29.0, "call p50 {call_p50}");
        assert_eq!(out.stats.overall().total(), op.total());
    }

    #[test]
    fn every_second_of_the_timeline_counts_the_users_that_ran_in_it() {
        // Each call waits 30 ms in its setup, so the three users run side by side.
        let target = Arc::new(SetupEveryCall::new());
        let plan = PhasePlan {
            users: 3,
            ramp_up: Duration::ZERO,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(2_000),
            model: Model::Closed {
                think_time: Duration::ZERO,
            },
            weights: vec![1],
            grace: Duration::from_secs(1),
            seed: 1,
        };
        let mut users = Vec::new();
        run_phase(&target, &plan, 1, |p, _| users.push(p.active_users));
        assert_eq!(users.len(), 2, "{users:?}");
        assert!(users.iter().all(|u| *u == 3), "{users:?}");
    }

    #[test]
    fn open_model_on_time_starts_do_not_carry_the_timer_resolution() {
        let target = Arc::new(SetupEveryCall {
            with_setup: false,
            ..SetupEveryCall::new()
        });
        let plan = PhasePlan {
            users: 4,
            ramp_up: Duration::ZERO,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(800),
            model: Model::Open { target_rps: 200.0 },
            weights: vec![1],
            grace: Duration::from_secs(1),
            seed: 1,
        };
        let out = run_phase(&target, &plan, 1, |_, _| {});
        let op = &out.stats.ops[0];
        assert!(
            op.total() >= 100,
            "{} calls at 200 rps in 0.8 s",
            op.total()
        );
        // The timer wakes each start up to ~1 ms after its intended time; an instant call measured from the
        // intended time would read about 1 ms. Measured from the actual send it is microseconds.
        let p50 = op.histogram.quantile_ms(0.5);
        assert!(p50 < 0.5, "p50 {p50} ms for a call that does nothing");
        // Most starts are on time (the timer's slack is not lateness; before, 78 % counted as late). How many
        // a busy shared machine delays past the slack is the scheduler's, so the bound is loose.
        assert!(
            out.late_starts * 2 < op.total(),
            "{} of {} starts late",
            out.late_starts,
            op.total()
        );
    }
}

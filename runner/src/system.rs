//! System sampling: the runner's own CPU and memory, the target process's, and the host's CPU.
//!
//! A load generator that is itself out of CPU measures itself, not the service. The sampler runs on its own
//! thread (one `sysinfo` refresh a second, nothing on the hot path), keeps one small sample per second, and
//! summarizes any window of the run; the engine flags a phase whose runner CPU was near what its workers can
//! use.
//!
//! The target is one process (a service perfgate started, or a pid), or a [`ProcessSet`] whose members come
//! and go during the run (MCP stdio servers, one per session): the set's CPU and RSS are summed over its
//! live members at each sample.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use perfgate_reports::histogram::round3;
use perfgate_reports::record::{ProcessUsage, SystemSummary};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// One reading.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub runner_cpu: f64,
    pub runner_rss_mb: f64,
    pub target_cpu: Option<f64>,
    pub target_rss_mb: Option<f64>,
    pub host_cpu: f64,
}

#[derive(Default)]
struct Shared {
    samples: Vec<Sample>,
    target_gone: bool,
    stop: bool,
}

/// Processes that together are the target, registered and removed as they start and end.
#[derive(Clone, Debug, Default)]
pub struct ProcessSet(Arc<Mutex<Vec<u32>>>);

impl ProcessSet {
    pub fn add(&self, pid: u32) {
        self.lock().push(pid);
    }

    pub fn remove(&self, pid: u32) {
        self.lock().retain(|p| *p != pid);
    }

    pub fn pids(&self) -> Vec<u32> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u32>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the sampler follows besides the runner.
#[derive(Clone, Debug)]
enum Followed {
    Pid(Option<u32>),
    Set(ProcessSet),
}

/// A background sampler. Dropping it stops the thread.
pub struct Sampler {
    shared: Arc<Mutex<Shared>>,
    handle: Option<JoinHandle<()>>,
    target_pid: Option<u32>,
    started: Instant,
}

/// A position in the sample stream, to summarize a window later.
#[derive(Clone, Copy, Debug)]
pub struct Mark(usize);

impl Mark {
    /// The beginning of the stream (the whole run).
    pub fn start() -> Mark {
        Mark(0)
    }
}

impl Sampler {
    /// Starts sampling every `period` (at least 200 ms, sysinfo's minimum for CPU usage).
    pub fn start(target_pid: Option<u32>, period: Duration) -> Self {
        Self::start_following(Followed::Pid(target_pid), target_pid, period)
    }

    /// Like [`Sampler::start`], with a set of processes as the target (their usage is summed).
    pub fn start_set(set: ProcessSet, period: Duration) -> Self {
        Self::start_following(Followed::Set(set), None, period)
    }

    fn start_following(followed: Followed, target_pid: Option<u32>, period: Duration) -> Self {
        let period = period.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let thread_shared = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("perfgate-sampler".into())
            .spawn(move || sample_loop(thread_shared, followed, period))
            .ok();
        Self {
            shared,
            handle,
            target_pid,
            started: Instant::now(),
        }
    }

    /// The current position in the sample stream.
    pub fn mark(&self) -> Mark {
        Mark(self.lock().samples.len())
    }

    /// The latest sample, if any.
    pub fn latest(&self) -> Option<Sample> {
        self.lock().samples.last().copied()
    }

    /// True once the target process disappeared.
    pub fn target_gone(&self) -> bool {
        self.lock().target_gone
    }

    /// How long the sampler has been running.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Summarizes samples taken since `mark`. `worker_threads` is how many cores the engine's workers could
    /// use: the runner counts as saturated when its average CPU reached 85 % of that.
    pub fn summary_since(&self, mark: Mark, worker_threads: usize) -> SystemSummary {
        let shared = self.lock();
        let window = shared.samples.get(mark.0..).unwrap_or(&[]);
        summarize(window, self.target_pid, worker_threads)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.lock().stop = true;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn sample_loop(shared: Arc<Mutex<Shared>>, followed: Followed, period: Duration) {
    let me = sysinfo::get_current_pid().ok();
    let target = match &followed {
        Followed::Pid(p) => p.map(Pid::from_u32),
        Followed::Set(_) => None,
    };
    let targets = |followed: &Followed| -> Vec<Pid> {
        match followed {
            Followed::Pid(p) => p.map(Pid::from_u32).into_iter().collect(),
            Followed::Set(set) => set.pids().into_iter().map(Pid::from_u32).collect(),
        }
    };
    let kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
    let mut sys = System::new();
    sys.refresh_cpu_usage();
    let pids: Vec<Pid> = me.into_iter().chain(targets(&followed)).collect();
    sys.refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, kind);
    loop {
        // Sleep in small slices so that stopping is prompt.
        let wake = Instant::now() + period;
        while Instant::now() < wake {
            std::thread::sleep(Duration::from_millis(50).min(wake - Instant::now()));
            if shared.lock().map(|s| s.stop).unwrap_or(true) {
                return;
            }
        }
        sys.refresh_cpu_usage();
        let members = targets(&followed);
        let pids: Vec<Pid> = me.into_iter().chain(members.iter().copied()).collect();
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, kind);
        let runner = me.and_then(|p| sys.process(p));
        let tproc = target.and_then(|p| sys.process(p));
        let gone = target.is_some()
            && tproc.is_none_or(|p| {
                matches!(
                    p.status(),
                    sysinfo::ProcessStatus::Zombie | sysinfo::ProcessStatus::Dead
                )
            });
        let (target_cpu, target_rss_mb) = match &followed {
            Followed::Pid(_) => (
                tproc.filter(|_| !gone).map(|p| f64::from(p.cpu_usage())),
                tproc
                    .filter(|_| !gone)
                    .map(|p| p.memory() as f64 / 1_048_576.0),
            ),
            Followed::Set(_) => {
                let live: Vec<&sysinfo::Process> = members
                    .iter()
                    .filter_map(|p| sys.process(*p))
                    .filter(|p| {
                        !matches!(
                            p.status(),
                            sysinfo::ProcessStatus::Zombie | sysinfo::ProcessStatus::Dead
                        )
                    })
                    .collect();
                if live.is_empty() {
                    (None, None)
                } else {
                    (
                        Some(live.iter().map(|p| f64::from(p.cpu_usage())).sum()),
                        Some(live.iter().map(|p| p.memory() as f64 / 1_048_576.0).sum()),
                    )
                }
            }
        };
        let sample = Sample {
            runner_cpu: runner.map(|p| f64::from(p.cpu_usage())).unwrap_or(0.0),
            runner_rss_mb: runner
                .map(|p| p.memory() as f64 / 1_048_576.0)
                .unwrap_or(0.0),
            target_cpu,
            target_rss_mb,
            host_cpu: f64::from(sys.global_cpu_usage()),
        };
        let Ok(mut s) = shared.lock() else { return };
        s.samples.push(sample);
        s.target_gone |= gone;
    }
}

/// Averages and maxima of a window of samples.
pub fn summarize(
    window: &[Sample],
    target_pid: Option<u32>,
    worker_threads: usize,
) -> SystemSummary {
    if window.is_empty() {
        return SystemSummary::default();
    }
    let usage = |cpu: &[f64], rss: &[f64], pid: Option<u32>| -> Option<ProcessUsage> {
        if cpu.is_empty() {
            return None;
        }
        let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
        Some(ProcessUsage {
            pid,
            cpu_avg_percent: round3(avg(cpu)),
            cpu_max_percent: round3(max(cpu)),
            rss_avg_mb: round3(avg(rss)),
            rss_max_mb: round3(max(rss)),
            rss_start_mb: round3(rss.first().copied().unwrap_or(0.0)),
            rss_end_mb: round3(rss.last().copied().unwrap_or(0.0)),
            exited: None,
        })
    };
    let r_cpu: Vec<f64> = window.iter().map(|s| s.runner_cpu).collect();
    let r_rss: Vec<f64> = window.iter().map(|s| s.runner_rss_mb).collect();
    let t_cpu: Vec<f64> = window.iter().filter_map(|s| s.target_cpu).collect();
    let t_rss: Vec<f64> = window.iter().filter_map(|s| s.target_rss_mb).collect();
    let runner = usage(
        &r_cpu,
        &r_rss,
        sysinfo::get_current_pid().ok().map(|p| p.as_u32()),
    );
    let target = usage(&t_cpu, &t_rss, target_pid);
    let host = window.iter().map(|s| s.host_cpu).sum::<f64>() / window.len() as f64;
    let capacity = 100.0 * worker_threads.max(1) as f64;
    let runner_saturated = runner
        .as_ref()
        .is_some_and(|r| r.cpu_avg_percent >= 0.85 * capacity);
    SystemSummary {
        runner,
        target,
        host_cpu_percent: Some(round3(host)),
        runner_saturated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(runner_cpu: f64, rss: f64) -> Sample {
        Sample {
            runner_cpu,
            runner_rss_mb: rss,
            target_cpu: Some(10.0),
            target_rss_mb: Some(rss * 2.0),
            host_cpu: 50.0,
        }
    }

    #[test]
    fn summary_flags_a_saturated_runner() {
        let busy = [s(190.0, 10.0), s(195.0, 12.0)];
        let sum = summarize(&busy, Some(7), 2);
        assert!(sum.runner_saturated);
        let r = sum.runner.unwrap();
        assert_eq!(r.cpu_avg_percent, 192.5);
        assert_eq!(r.rss_start_mb, 10.0);
        assert_eq!(r.rss_end_mb, 12.0);
        assert_eq!(sum.target.unwrap().rss_max_mb, 24.0);
        let calm = [s(40.0, 10.0), s(60.0, 10.0)];
        assert!(!summarize(&calm, None, 2).runner_saturated);
        assert_eq!(summarize(&[], None, 2), SystemSummary::default());
    }

    #[test]
    fn sampler_sees_its_own_process() {
        let sampler = Sampler::start(None, Duration::from_millis(200));
        let mark = sampler.mark();
        std::thread::sleep(Duration::from_millis(700));
        let sum = sampler.summary_since(mark, 1);
        let runner = sum.runner.expect("runner sampled");
        assert!(runner.rss_max_mb > 1.0, "rss {}", runner.rss_max_mb);
    }
}

//! System sampling: the runner's own CPU and memory, the target process's, and the host's CPU.
//!
//! A load generator that is itself out of CPU measures itself, not the service. The sampler runs on its own
//! thread (one `sysinfo` refresh per [`PERIOD`], nothing on the hot path), keeps one small sample each time, and
//! summarizes any window of the run; the engine flags a phase whose runner CPU was near what its workers can
//! use.
//!
//! The target is one process (a service perfgate started, or a pid), or a [`ProcessSet`] whose members come
//! and go during the run (MCP stdio servers, one per session). Each is the root of a process tree: at every
//! sample the tree is re-discovered from parent pids (a service started as `sh -c "…"` is the shell and the
//! server it forked, since Debian's dash does not `exec`), and CPU, RSS and disk I/O are summed over its live
//! members; the pids counted are recorded. Network bytes are the target's only when it has a network
//! namespace of its own; otherwise they are not reported (the namespace's counters are the host's).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use perfgate_reports::histogram::round3;
use perfgate_reports::record::{ProcessUsage, SystemSummary};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// How often the runner samples: twice a second, so that every second of a load timeline gets a reading
/// taken during that second (ticks and samples are not aligned).
pub const PERIOD: Duration = Duration::from_millis(500);

/// One reading.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// When it was taken.
    pub at: Option<Instant>,
    pub runner_cpu: f64,
    pub runner_rss_mb: f64,
    /// The target's process tree, summed; `None` when no target process is known or alive.
    pub target_cpu: Option<f64>,
    pub target_rss_mb: Option<f64>,
    /// Disk bytes read / written per second by the target's tree (where the OS exposes them).
    pub target_disk_read_bps: Option<f64>,
    pub target_disk_write_bps: Option<f64>,
    /// Network bytes received / sent per second by the target (only when it has its own network namespace).
    pub target_net_rx_bps: Option<f64>,
    pub target_net_tx_bps: Option<f64>,
    pub host_cpu: f64,
}

#[derive(Default)]
struct Shared {
    samples: Vec<Sample>,
    /// Every pid counted as part of the target so far.
    counted: BTreeSet<u32>,
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

    /// Follows perfgate's own process as the target: the library API, whose operations run in this process.
    pub fn start_in_process(period: Duration) -> Self {
        Self::start(Some(std::process::id()), period)
    }

    /// Samples taken since `mark`.
    pub fn samples_since(&self, mark: Mark) -> Vec<Sample> {
        self.lock().samples.get(mark.0..).unwrap_or(&[]).to_vec()
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
        let counted: Vec<u32> = shared.counted.iter().copied().collect();
        summarize(window, self.target_pid, &counted, worker_threads)
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
    let roots = |followed: &Followed| -> Vec<Pid> {
        match followed {
            Followed::Pid(p) => p.map(Pid::from_u32).into_iter().collect(),
            Followed::Set(set) => set.pids().into_iter().map(Pid::from_u32).collect(),
        }
    };
    let single_root = match &followed {
        Followed::Pid(p) => p.map(Pid::from_u32),
        Followed::Set(_) => None,
    };
    // Without tasks: on Linux sysinfo otherwise lists every thread as a process of its own (parent: its
    // process) with the whole process's RSS, and a tree sum would count a threaded server many times.
    let kind = ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .with_disk_usage()
        .without_tasks();
    let mut sys = System::new();
    // Two refreshes before the first sample: sysinfo reports 0 % for a process until it has two readings of
    // it after a CPU refresh.
    for _ in 0..2 {
        sys.refresh_cpu_usage();
        sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
    }
    let mut io = IoCounters::default();
    let mut net = NetCounters::default();
    let mut last = Instant::now();
    // The processes of the previous refresh: sysinfo reports 0 % for a process on its first reading, so a
    // process started since (an MCP server spawned for a session, a worker the service forked) is read by
    // its accumulated CPU time instead, all of which it used within this interval.
    let mut known: HashSet<Pid> = sys.processes().keys().copied().collect();
    let _ = io.rates(&sys, &tree(&sys, &roots(&followed)), 1.0);
    let _ = net.rates(roots(&followed).first().copied(), 1.0);
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
        // Every process, so that children the target started since the last sample are found (their parent
        // pids lead back to a root).
        sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        let dt = last.elapsed().as_secs_f64().max(0.001);
        last = Instant::now();
        let runner = me.and_then(|p| sys.process(p));
        let root_pids = roots(&followed);
        let gone = single_root.is_some_and(|root| sys.process(root).is_none_or(is_dead));
        let members = if gone {
            Vec::new()
        } else {
            tree(&sys, &root_pids)
        };
        let live: Vec<&sysinfo::Process> = members.iter().filter_map(|p| sys.process(*p)).collect();
        let (disk_read, disk_write) = io.rates(&sys, &members, dt);
        let (net_rx, net_tx) = net.rates(root_pids.first().copied().filter(|_| !gone), dt);
        let measured = !live.is_empty();
        let sample = Sample {
            at: Some(Instant::now()),
            runner_cpu: runner.map(|p| f64::from(p.cpu_usage())).unwrap_or(0.0),
            runner_rss_mb: runner
                .map(|p| p.memory() as f64 / 1_048_576.0)
                .unwrap_or(0.0),
            target_cpu: measured.then(|| live.iter().map(|p| cpu_percent(p, &known, dt)).sum()),
            target_rss_mb: measured
                .then(|| live.iter().map(|p| p.memory() as f64 / 1_048_576.0).sum()),
            target_disk_read_bps: disk_read.filter(|_| measured),
            target_disk_write_bps: disk_write.filter(|_| measured),
            target_net_rx_bps: net_rx.filter(|_| measured),
            target_net_tx_bps: net_tx.filter(|_| measured),
            host_cpu: f64::from(sys.global_cpu_usage()),
        };
        known = sys.processes().keys().copied().collect();
        let Ok(mut s) = shared.lock() else { return };
        s.samples.push(sample);
        s.counted.extend(members.iter().map(|p| p.as_u32()));
        s.target_gone |= gone;
    }
}

/// A process's CPU over the last `dt` seconds, in % of one core: sysinfo's figure for a process it read at
/// the previous refresh; for one started since, its whole CPU time over `dt` (sysinfo would say 0).
fn cpu_percent(p: &sysinfo::Process, known: &HashSet<Pid>, dt: f64) -> f64 {
    if known.contains(&p.pid()) {
        f64::from(p.cpu_usage())
    } else {
        p.accumulated_cpu_time() as f64 / 10.0 / dt
    }
}

fn is_dead(p: &sysinfo::Process) -> bool {
    matches!(
        p.status(),
        sysinfo::ProcessStatus::Zombie | sysinfo::ProcessStatus::Dead
    )
}

/// The live processes of the trees rooted at `roots`: the roots and every descendant (by parent pid). A
/// service started as `sh -c "…"` is the shell and what it started (dash does not `exec`), so its CPU and
/// memory are the tree's sum.
fn tree(sys: &System, roots: &[Pid]) -> Vec<Pid> {
    let mut children: HashMap<Pid, Vec<Pid>> = HashMap::new();
    for (pid, p) in sys.processes() {
        if p.thread_kind().is_some() {
            continue;
        }
        if let Some(parent) = p.parent() {
            children.entry(parent).or_default().push(*pid);
        }
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut todo: Vec<Pid> = roots.to_vec();
    while let Some(pid) = todo.pop() {
        if !seen.insert(pid) {
            continue;
        }
        if sys.process(pid).is_some_and(|p| !is_dead(p)) {
            out.push(pid);
        }
        if let Some(c) = children.get(&pid) {
            todo.extend(c.iter().copied());
        }
    }
    out.sort();
    out
}

/// Per-process disk byte counters (`/proc/<pid>/io` on Linux, through sysinfo), turned into the tree's rate.
/// A process first seen in this interval adds nothing (its counters have no earlier reading to subtract).
#[derive(Default)]
struct IoCounters {
    last: HashMap<Pid, (u64, u64)>,
}

impl IoCounters {
    /// Bytes read and written per second by `members` since the previous call; `None` when the OS gave no
    /// counters for any of them.
    fn rates(&mut self, sys: &System, members: &[Pid], dt: f64) -> (Option<f64>, Option<f64>) {
        let mut next = HashMap::new();
        let (mut read, mut written, mut any) = (0u64, 0u64, false);
        for pid in members {
            let Some(p) = sys.process(*pid) else { continue };
            let d = p.disk_usage();
            let now = (d.total_read_bytes, d.total_written_bytes);
            if let Some(before) = self.last.get(pid) {
                read += now.0.saturating_sub(before.0);
                written += now.1.saturating_sub(before.1);
                any = true;
            }
            next.insert(*pid, now);
        }
        self.last = next;
        if !any || !io_counters_readable() {
            return (None, None);
        }
        (
            Some(round3(read as f64 / dt)),
            Some(round3(written as f64 / dt)),
        )
    }
}

/// Whether this OS gives per-process I/O counters (Linux: `/proc/self/io`).
fn io_counters_readable() -> bool {
    cfg!(target_os = "linux") && std::fs::metadata("/proc/self/io").is_ok()
}

/// Bytes received and sent by the target's network namespace (`/proc/<pid>/net/dev`, every interface but
/// `lo`). Only when the target has a namespace of its own (a container): in perfgate's namespace those
/// counters are the whole host's, not the service's, so they are not reported.
#[derive(Default)]
struct NetCounters {
    last: Option<(u32, u64, u64)>,
}

impl NetCounters {
    fn rates(&mut self, root: Option<Pid>, dt: f64) -> (Option<f64>, Option<f64>) {
        let now = root
            .and_then(|pid| own_netns_bytes(pid.as_u32()).map(|(rx, tx)| (pid.as_u32(), rx, tx)));
        let out = match (self.last, now) {
            (Some((p0, rx0, tx0)), Some((p1, rx1, tx1))) if p0 == p1 => (
                Some(round3(rx1.saturating_sub(rx0) as f64 / dt)),
                Some(round3(tx1.saturating_sub(tx0) as f64 / dt)),
            ),
            _ => (None, None),
        };
        self.last = now;
        out
    }
}

fn own_netns_bytes(pid: u32) -> Option<(u64, u64)> {
    let ours = std::fs::read_link("/proc/self/ns/net").ok()?;
    let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
    if ours == theirs {
        return None;
    }
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()?;
    Some(parse_net_dev(&text))
}

/// Sums received and sent bytes over the interfaces of a `/proc/net/dev` table, `lo` excluded.
fn parse_net_dev(text: &str) -> (u64, u64) {
    let (mut rx, mut tx) = (0u64, 0u64);
    for line in text.lines().skip(2) {
        let Some((name, fields)) = line.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = fields
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        rx += f.first().copied().unwrap_or(0);
        tx += f.get(8).copied().unwrap_or(0);
    }
    (rx, tx)
}

/// Averages and maxima of a window of samples. `counted` are the pids that made up the target.
pub fn summarize(
    window: &[Sample],
    target_pid: Option<u32>,
    counted: &[u32],
    worker_threads: usize,
) -> SystemSummary {
    if window.is_empty() {
        return SystemSummary::default();
    }
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let avg_of = |f: fn(&Sample) -> Option<f64>| {
        let v: Vec<f64> = window.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| round3(avg(&v)))
    };
    let usage = |cpu: &[f64], rss: &[f64], pid: Option<u32>| -> Option<ProcessUsage> {
        if cpu.is_empty() {
            return None;
        }
        let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
        Some(ProcessUsage {
            pid,
            cpu_avg_percent: round3(avg(cpu)),
            cpu_max_percent: round3(max(cpu)),
            rss_avg_mb: round3(avg(rss)),
            rss_max_mb: round3(max(rss)),
            rss_start_mb: round3(rss.first().copied().unwrap_or(0.0)),
            rss_end_mb: round3(rss.last().copied().unwrap_or(0.0)),
            ..Default::default()
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
    let target = usage(&t_cpu, &t_rss, target_pid).map(|t| ProcessUsage {
        pids: counted.to_vec(),
        disk_read_bytes_per_sec: avg_of(|s| s.target_disk_read_bps),
        disk_written_bytes_per_sec: avg_of(|s| s.target_disk_write_bps),
        net_received_bytes_per_sec: avg_of(|s| s.target_net_rx_bps),
        net_sent_bytes_per_sec: avg_of(|s| s.target_net_tx_bps),
        ..t
    });
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
            ..Default::default()
        }
    }

    #[test]
    fn summary_flags_a_saturated_runner() {
        let busy = [s(190.0, 10.0), s(195.0, 12.0)];
        let sum = summarize(&busy, Some(7), &[7, 8], 2);
        assert!(sum.runner_saturated);
        let r = sum.runner.unwrap();
        assert_eq!(r.cpu_avg_percent, 192.5);
        assert_eq!(r.rss_start_mb, 10.0);
        assert_eq!(r.rss_end_mb, 12.0);
        let t = sum.target.unwrap();
        assert_eq!(t.rss_max_mb, 24.0);
        assert_eq!(t.pids, vec![7, 8]);
        let calm = [s(40.0, 10.0), s(60.0, 10.0)];
        assert!(!summarize(&calm, None, &[], 2).runner_saturated);
        assert_eq!(summarize(&[], None, &[], 2), SystemSummary::default());
    }

    #[test]
    fn sampler_sums_the_tree_of_a_shell_that_does_not_exec() {
        // `sh -c "a; b"` cannot exec: the shell stays, and the busy loop is its child.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sh -c 'while :; do :; done'; true"])
            .spawn()
            .unwrap();
        let sampler = Sampler::start(Some(child.id()), PERIOD);
        std::thread::sleep(Duration::from_millis(1800));
        let samples = sampler.samples_since(Mark::start());
        let sum = sampler.summary_since(Mark::start(), 1);
        drop(sampler);
        let _ = std::process::Command::new("pkill")
            .args(["-P", &child.id().to_string()])
            .status();
        let _ = child.kill();
        let _ = child.wait();
        let t = sum.target.expect("target sampled");
        assert!(t.pids.len() >= 2, "{t:?}");
        // A spinning loop, on a machine that may be shared: well above zero from the first sample on.
        let first = samples[0].target_cpu.unwrap();
        assert!(first > 20.0, "first sample's CPU {first} %: {samples:?}");
        assert!(t.cpu_avg_percent > 20.0, "{t:?}");
    }

    #[test]
    fn a_process_started_between_two_samples_is_not_read_as_idle() {
        // An MCP server spawned for a session joins the target set between two readings: its first
        // reading must be the CPU it used, not sysinfo's 0 % for a process it has seen once.
        let set = ProcessSet::default();
        let sampler = Sampler::start_set(set.clone(), PERIOD);
        std::thread::sleep(PERIOD + Duration::from_millis(300));
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        set.add(child.id());
        std::thread::sleep(PERIOD * 2 + Duration::from_millis(200));
        let samples = sampler.samples_since(Mark::start());
        drop(sampler);
        let _ = child.kill();
        let _ = child.wait();
        let first = samples
            .iter()
            .find_map(|s| s.target_cpu)
            .expect("the child was sampled");
        // The loop ran for only part of that interval (it started inside it), so its share is anywhere
        // above zero; sysinfo's own figure for a first reading is exactly 0. Never above one core.
        assert!(
            first > 1.0 && first < 130.0,
            "first reading {first} %: {samples:?}"
        );
        let later = samples.iter().filter_map(|s| s.target_cpu).nth(1);
        assert!(later.is_some_and(|c| c > 20.0), "{samples:?}");
    }

    #[test]
    fn sampler_sees_its_own_process() {
        let sampler = Sampler::start(None, Duration::from_millis(200));
        let mark = sampler.mark();
        std::thread::sleep(Duration::from_millis(1200));
        let sum = sampler.summary_since(mark, 1);
        let runner = sum.runner.expect("runner sampled");
        assert!(runner.rss_max_mb > 1.0, "rss {}", runner.rss_max_mb);
    }
}

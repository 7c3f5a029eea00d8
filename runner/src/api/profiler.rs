//! The profiler: latency, success and resource deltas of named blocks of code, cheap enough to leave on.
//!
//! `profiler.profile("chat_resolution", async { … }).await` times the block, counts it as a success or a
//! failure (by its `Result`), and records the process's CPU time and resident-memory change across it,
//! per name, into an HDR histogram and counters. The figures become a run record
//! ([`Profiler::record`]: a `benchmark` section with one operation per name) or a text report
//! ([`Profiler::report`]), and a [`Run`](super::Run) with gates through [`Run::analyze`](super::Run::analyze).
//!
//! Cost per call, after the first call of a name: a hash-map lookup under a read lock (skip it with
//! [`Profiler::scope`]), two monotonic clock reads, one uncontended mutex and one histogram increment —
//! under 1 µs. Nothing is allocated, except for the first occurrence of a new error key or of one of the
//! first five distinct error messages. The CPU and memory readings (on by default) add two
//! `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)` and two `pread`s of `/proc/self/statm`: system calls, about
//! 8–14 µs per call in all on the 2-core CI VM (≈1.4 µs per CPU-clock read, ≈3 µs per statm read). That
//! is noise for blocks that take milliseconds (a request handler, a query); for microsecond-scale blocks
//! use [`Profiler::with_options`] with `collect_resources: false`. The `profiler` example prints both
//! overheads as measured on the machine it runs on.
//!
//! The resource deltas are process-wide: concurrent work on other threads or tasks shows in them. They are
//! exact for sequential code and indicative otherwise.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Display, Write};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use perfgate_reports::histogram::{round3, LatencyHistogram};
use perfgate_reports::record::{BenchmarkSection, OperationResult, RunRecord, TargetInfo};
use sha2::{Digest, Sha256};

use super::error_key::key_of;
use super::panic::catch_unwind;
use super::resources::{Reading, ResourceReader};
use crate::engine::stats::OpStats;

/// How many distinct error messages a name keeps (as the engine does).
const MAX_ERROR_SAMPLES: usize = 5;

/// What a profiled block returns: tells success from failure.
///
/// Implemented for `Result<T, E>` (an `Err` is a failure, counted under the slug of its `Display`, see
/// [`error_key`](super::error_key)) and for `()` (always a success). Implement it for your own outcome
/// types:
///
/// ```
/// use std::fmt::Display;
/// use perfgate::api::Profiled;
///
/// struct Reply { status: u16, reason: &'static str }
/// impl Profiled for Reply {
///     fn failure(&self) -> Option<&dyn Display> {
///         (self.status >= 500).then_some(&self.reason as &dyn Display)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let profiler = perfgate::profiler();
/// profiler.profile("call", async { Reply { status: 503, reason: "overloaded" } }).await;
/// assert_eq!(profiler.stats("call").unwrap().result.errors["overloaded"], 1);
/// # }
/// ```
pub trait Profiled {
    /// The error, when the block failed.
    fn failure(&self) -> Option<&dyn Display>;
}

impl<T, E: Display> Profiled for Result<T, E> {
    fn failure(&self) -> Option<&dyn Display> {
        self.as_ref().err().map(|e| e as &dyn Display)
    }
}

impl Profiled for () {
    fn failure(&self) -> Option<&dyn Display> {
        None
    }
}

/// A new profiler with the suite name `profile`, measuring resources. Clone it freely: clones share
/// their figures.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let profiler = perfgate::profiler();
/// for _ in 0..3 {
///     let answer = profiler
///         .profile("chat_resolution", async {
///             tokio::time::sleep(std::time::Duration::from_millis(1)).await;
///             Ok::<_, std::io::Error>(42)
///         })
///         .await;
///     assert_eq!(answer.unwrap(), 42);
/// }
/// let stats = profiler.stats("chat_resolution").unwrap();
/// assert_eq!(stats.result.total_requests, 3);
/// assert!(stats.result.latency_ms.p50 >= 1.0);
/// println!("{}", profiler.report());
/// # }
/// ```
pub fn profiler() -> Profiler {
    Profiler::new("profile")
}

/// Figures of one name (see [`Profiler::stats`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileStats {
    /// Calls, successes, failures by key, latency percentiles, histogram — the run record's per-operation
    /// result. `throughput_rps` is calls per second between the first call's start and the last one's end;
    /// `memory_usage_mb` the largest resident memory seen after a call; `cpu_usage_percent` the process's
    /// CPU time during the calls over their summed latency.
    pub result: OperationResult,
    /// Process CPU time spent during the calls, in total, ms.
    pub cpu_time_ms: Option<f64>,
    /// Mean change of resident memory across one call, MB (negative when memory was released).
    pub memory_delta_mb_avg: Option<f64>,
    /// Largest growth of resident memory across one call, MB.
    pub memory_delta_mb_max: Option<f64>,
}

#[derive(Default)]
struct Counts {
    histogram: LatencyHistogram,
    ok: u64,
    failed: u64,
    errors: Vec<(String, u64)>,
    samples: Vec<String>,
    first_start: Option<Instant>,
    last_end: Option<Instant>,
    busy: Duration,
    cpu_us: u64,
    cpu_seen: bool,
    rss_delta_sum: i64,
    rss_delta_max: Option<i64>,
    rss_max: u64,
    rss_calls: u64,
}

/// Compares formatted text with a string without allocating.
struct EqWriter<'a> {
    rest: &'a str,
    equal: bool,
}

impl Write for EqWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.rest.strip_prefix(s) {
            Some(rest) if self.equal => self.rest = rest,
            _ => self.equal = false,
        }
        Ok(())
    }
}

fn same_text(a: &str, args: fmt::Arguments<'_>) -> bool {
    let mut w = EqWriter {
        rest: a,
        equal: true,
    };
    let _ = w.write_fmt(args);
    w.equal && w.rest.is_empty()
}

impl Counts {
    fn record_error(&mut self, key: &str, message: &dyn Display) {
        self.failed += 1;
        match self.errors.iter_mut().find(|(k, _)| k == key) {
            Some((_, n)) => *n += 1,
            None => self.errors.push((key.to_string(), 1)),
        }
        if self.samples.len() < MAX_ERROR_SAMPLES
            && !self
                .samples
                .iter()
                .any(|s| same_text(s, format_args!("{key}: {message}")))
        {
            self.samples.push(format!("{key}: {message}"));
        }
    }

    fn record_resources(&mut self, before: Reading, after: Reading) {
        if let (Some(a), Some(b)) = (before.cpu_us, after.cpu_us) {
            self.cpu_us += b.saturating_sub(a);
            self.cpu_seen = true;
        }
        if let (Some(a), Some(b)) = (before.rss_bytes, after.rss_bytes) {
            let d = b as i64 - a as i64;
            self.rss_delta_sum += d;
            self.rss_delta_max = Some(self.rss_delta_max.map_or(d, |m| m.max(d)));
            self.rss_max = self.rss_max.max(b);
            self.rss_calls += 1;
        }
    }

    fn stats(&self, name: &str) -> ProfileStats {
        let elapsed = match (self.first_start, self.last_end) {
            (Some(a), Some(b)) => b.saturating_duration_since(a),
            _ => Duration::ZERO,
        };
        let ops = OpStats {
            histogram: self.histogram.clone(),
            ok: self.ok,
            failed: self.failed,
            errors: self.errors.clone(),
            error_samples: self.samples.clone(),
        };
        let mut result = ops.to_result(name, elapsed);
        let mb = |bytes: f64| round3(bytes / 1_048_576.0);
        if self.rss_calls > 0 {
            result.memory_usage_mb = Some(mb(self.rss_max as f64));
            result.resource_source = "target".into();
        }
        if self.cpu_seen && !self.busy.is_zero() {
            result.cpu_usage_percent = Some(round3(
                self.cpu_us as f64 / self.busy.as_micros() as f64 * 100.0,
            ));
            result.resource_source = "target".into();
        }
        ProfileStats {
            result,
            cpu_time_ms: self.cpu_seen.then(|| round3(self.cpu_us as f64 / 1000.0)),
            memory_delta_mb_avg: (self.rss_calls > 0)
                .then(|| mb(self.rss_delta_sum as f64 / self.rss_calls as f64)),
            memory_delta_mb_max: self.rss_delta_max.map(|m| mb(m as f64)),
        }
    }
}

struct Entry {
    name: String,
    counts: Mutex<Counts>,
}

struct Inner {
    suite: String,
    started_at: DateTime<Utc>,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    /// Names in order of first use (for the record).
    order: Mutex<Vec<Arc<Entry>>>,
    resources: Option<ResourceReader>,
}

/// Records latency, success and resource deltas of named blocks (see the module docs).
///
/// Created by [`profiler()`](crate::profiler) or [`Profiler::new`]; cheap to clone (clones share figures),
/// `Send + Sync`, usable from any executor and any number of tasks at once.
///
/// ```
/// # #[tokio::main]
/// # async fn main() {
/// let profiler = perfgate::Profiler::new("handlers");
/// let tasks: Vec<_> = (0..4)
///     .map(|i| {
///         let profiler = profiler.clone();
///         tokio::spawn(async move {
///             profiler.profile("handle", async move { Ok::<u32, String>(i) }).await
///         })
///     })
///     .collect();
/// for t in tasks {
///     t.await.unwrap().unwrap();
/// }
/// assert_eq!(profiler.stats("handle").unwrap().result.total_requests, 4);
/// assert_eq!(profiler.record().suite, "handlers");
/// # }
/// ```
#[derive(Clone)]
pub struct Profiler {
    inner: Arc<Inner>,
}

impl fmt::Debug for Profiler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profiler")
            .field("suite", &self.inner.suite)
            .field("names", &self.names())
            .finish_non_exhaustive()
    }
}

/// One name of a [`Profiler`], looked up once: [`Scope::profile`] skips the name lookup.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let profiler = perfgate::profiler();
/// let parse = profiler.scope("parse");
/// for s in ["1", "2", "x"] {
///     let _ = parse.profile(async { s.parse::<u8>() }).await;
/// }
/// let stats = profiler.stats("parse").unwrap();
/// assert_eq!((stats.result.successful_requests, stats.result.failed_requests), (2, 1));
/// assert_eq!(stats.result.errors["invalid_digit_found_in_string"], 1);
/// # }
/// ```
#[derive(Clone)]
pub struct Scope {
    entry: Arc<Entry>,
    inner: Arc<Inner>,
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("name", &self.entry.name)
            .finish()
    }
}

impl Scope {
    /// Profiles `fut` under this scope's name (see [`Profiler::profile`]).
    pub async fn profile<F>(&self, fut: F) -> F::Output
    where
        F: Future,
        F::Output: Profiled,
    {
        measure(&self.inner, &self.entry, fut).await
    }
}

async fn measure<F>(inner: &Inner, entry: &Entry, fut: F) -> F::Output
where
    F: Future,
    F::Output: Profiled,
{
    let before = inner.resources.as_ref().map(ResourceReader::read);
    let t0 = Instant::now();
    let out = catch_unwind(fut, false).await;
    let end = Instant::now();
    let after = inner.resources.as_ref().map(ResourceReader::read);
    let latency = end.saturating_duration_since(t0);
    let mut c = entry.counts.lock().unwrap_or_else(|p| p.into_inner());
    c.histogram.record(latency);
    c.busy += latency;
    c.first_start = Some(c.first_start.map_or(t0, |f| f.min(t0)));
    c.last_end = Some(c.last_end.map_or(end, |l| l.max(end)));
    if let (Some(b), Some(a)) = (before, after) {
        c.record_resources(b, a);
    }
    match out {
        Ok(v) => {
            match v.failure() {
                None => c.ok += 1,
                Some(e) => {
                    let key = key_of(e);
                    c.record_error(key.as_str(), e);
                }
            }
            v
        }
        Err(caught) => {
            c.record_error("panic", &caught.message);
            drop(c);
            std::panic::resume_unwind(caught.payload)
        }
    }
}

impl Profiler {
    /// A profiler whose record has the suite name `suite`, measuring resources.
    pub fn new(suite: impl Into<String>) -> Self {
        Self::with_options(suite, true)
    }

    /// A profiler; `collect_resources: false` skips the CPU and memory readings (latency and success only,
    /// under a microsecond per call; see the module docs for the cost of the readings).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let profiler = perfgate::Profiler::with_options("hot-loop", false);
    /// profiler.profile("tiny", async {}).await;
    /// let s = profiler.stats("tiny").unwrap();
    /// assert_eq!((s.cpu_time_ms, s.memory_delta_mb_avg), (None, None));
    /// # }
    /// ```
    pub fn with_options(suite: impl Into<String>, collect_resources: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                suite: suite.into(),
                started_at: Utc::now(),
                entries: RwLock::new(HashMap::new()),
                order: Mutex::new(Vec::new()),
                resources: collect_resources.then(ResourceReader::new),
            }),
        }
    }

    fn entry(&self, name: &str) -> Arc<Entry> {
        if let Some(e) = self
            .inner
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Arc::clone(e);
        }
        let mut map = self
            .inner
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let e = map.entry(name.to_string()).or_insert_with(|| {
            let e = Arc::new(Entry {
                name: name.to_string(),
                counts: Mutex::new(Counts::default()),
            });
            self.inner
                .order
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Arc::clone(&e));
            e
        });
        Arc::clone(e)
    }

    /// Runs `fut`, recording its latency, success (an `Err` is a failure) and the process's CPU and memory
    /// change under `name`, and returns its output.
    ///
    /// A panic inside `fut` is recorded under the error key `panic` and then resumed: the profiler never
    /// changes what the code does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let profiler = perfgate::profiler();
    /// let r: Result<(), String> = profiler.profile("save", async { Err("disk full".to_string()) }).await;
    /// assert!(r.is_err());
    /// let s = profiler.stats("save").unwrap();
    /// assert_eq!(s.result.errors["disk_full"], 1);
    /// assert_eq!(s.result.error_samples, ["disk_full: disk full"]);
    /// # }
    /// ```
    pub async fn profile<F>(&self, name: &str, fut: F) -> F::Output
    where
        F: Future,
        F::Output: Profiled,
    {
        let entry = self.entry(name);
        measure(&self.inner, &entry, fut).await
    }

    /// `name`, looked up once, for a hot loop (see [`Scope`]).
    pub fn scope(&self, name: &str) -> Scope {
        Scope {
            entry: self.entry(name),
            inner: Arc::clone(&self.inner),
        }
    }

    /// The names profiled so far, in order of first use.
    pub fn names(&self) -> Vec<String> {
        self.inner
            .order
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|e| e.name.clone())
            .collect()
    }

    /// The figures of `name` so far (None when it was never profiled).
    pub fn stats(&self, name: &str) -> Option<ProfileStats> {
        let map = self.inner.entries.read().unwrap_or_else(|p| p.into_inner());
        let e = map.get(name)?;
        let c = e.counts.lock().unwrap_or_else(|p| p.into_inner());
        Some(c.stats(name))
    }

    /// The figures so far as a run record: test type `benchmark`, one operation per name (in order of
    /// first use), the resource deltas per name in `targets[0].details`. It reads like any record
    /// (`perfgate compare`, the site, the renderers); [`Run::analyze`](super::Run::analyze) adds gates.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let profiler = perfgate::profiler();
    /// profiler.profile("step", async {}).await;
    /// let record = profiler.record();
    /// assert_eq!(record.benchmark.as_ref().unwrap().operations[0].operation_name, "step");
    /// let json = record.to_json_pretty();
    /// assert!(perfgate::reports::RunRecord::from_json_slice(&json, "profile.json").is_ok());
    /// # }
    /// ```
    pub fn record(&self) -> RunRecord {
        let entries: Vec<Arc<Entry>> = self
            .inner
            .order
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let stats: Vec<ProfileStats> = entries
            .iter()
            .map(|e| {
                e.counts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .stats(&e.name)
            })
            .collect();
        let mut details = BTreeMap::new();
        for s in &stats {
            let mut d = serde_json::Map::new();
            let mut put = |k: &str, v: Option<f64>| {
                if let Some(v) = v {
                    d.insert(k.to_string(), serde_json::Value::from(v));
                }
            };
            put("cpu_time_ms", s.cpu_time_ms);
            put("memory_delta_mb_avg", s.memory_delta_mb_avg);
            put("memory_delta_mb_max", s.memory_delta_mb_max);
            details.insert(
                s.result.operation_name.clone(),
                serde_json::Value::Object(d),
            );
        }
        let env = crate::config::process_env();
        let mut h = Sha256::new();
        h.update(format!("profile|{}", self.inner.suite).as_bytes());
        for e in &entries {
            h.update(format!("|{}", e.name).as_bytes());
        }
        let benchmark = BenchmarkSection {
            iterations: stats
                .iter()
                .map(|s| s.result.total_requests)
                .max()
                .unwrap_or(0),
            warmup_iterations: 0,
            operations: stats.into_iter().map(|s| s.result).collect(),
            system: Default::default(),
        };
        crate::session::RecordBuilder::new(&self.inner.suite, "benchmark", self.inner.started_at)
            .detect_context(&env)
            .config_digest(&hex::encode(&h.finalize()[..8]))
            .sections(Some(benchmark), None, None)
            .targets(vec![TargetInfo {
                name: "profiler".into(),
                kind: "closure".into(),
                details,
                ..Default::default()
            }])
            .build()
    }

    /// The text summary of [`record`](Profiler::record) (the format of `performance_summary_<ts>.txt`).
    pub fn report(&self) -> String {
        perfgate_reports::render::render_text_summary(&self.record())
    }
}

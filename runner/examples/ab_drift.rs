//! Measures the A/B interleaved mode where it is meant to help: a machine whose speed drifts during the job.
//!
//! `cargo run --release -p perfgate --example ab_drift -- [JOBS] [--trials N,M] [--write reports/ANALYSIS.md]`
//!
//! Two real HTTP servers on loopback (hyper) serve 20 operations (`/op/0` … `/op/19`, 0.5–1.45 ms each, a
//! within-run spread of 5 % per request). Both share one **drift**: every request is slowed by a level drawn
//! uniformly from 0–20 % that is redrawn every 1–4 s (seeded), as a noisy neighbour on a shared runner does.
//! Jobs alternate between A/A (the two servers identical) and a +10 % step of `/op/7` on the head server.
//!
//! Each job is judged two ways on the same servers under the same drift:
//! * **A/B**: `perfgate run` with `[ab]` (the real session: trials alternate base, head; head, base; …,
//!   judged by a paired t-test per series with Benjamini–Hochberg), `trial_iterations = 10`;
//! * **two runs**: a plain run of the base build, then one of the head build (the same number of requests),
//!   judged like `perfgate compare` (run-to-run prior 3 %, Benjamini–Hochberg).
//!
//! Both judges count a change of 5 % or more (`threshold_percent`), so a +10 % step is not at the edge.
//!
//! It prints the table of `reports/ANALYSIS.md` between `<!-- ab-drift:begin -->` and `<!-- ab-drift:end -->`;
//! `--write FILE` puts it there. About 6 s a job with 6 trials on two quiet cores (the A/B session with its
//! warm-ups, then the two plain runs); a cell has 2 × JOBS jobs, so `-- 40 --trials 6` takes about 8 minutes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use perfgate::config::{self, Overrides};
use perfgate::reports::analysis::rng::SplitMix64;
use perfgate::reports::analysis::{compare_runs, CompareSettings, Comparison, Verdict};
use perfgate::session::{self, Schedules, SessionOptions};

/// Operations served, the stepped one, and the step.
const OPERATIONS: usize = 20;
const STEPPED: usize = 7;
const STEP: f64 = 0.10;
/// The smallest change that counts, for both judges: half the step, so a +10 % step is not at the edge.
const THRESHOLD: f64 = 5.0;
/// Requests of one trial of one operation.
const TRIAL_ITERATIONS: u32 = 10;
const SEED: u64 = 0xab_d21f_2026;

/// The shared slow-down: piecewise-constant levels (0–20 %), each lasting 1–4 s, from a seed.
struct Drift {
    start: Instant,
    /// (end of the level in seconds since start, level)
    levels: Vec<(f64, f64)>,
}

impl Drift {
    fn new(seed: u64, hours: f64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let (mut t, mut levels) = (0.0, Vec::new());
        while t < hours * 3600.0 {
            t += 1.0 + 3.0 * rng.next_f64();
            levels.push((t, 0.20 * rng.next_f64()));
        }
        Self {
            start: Instant::now(),
            levels,
        }
    }

    fn level(&self) -> f64 {
        let t = self.start.elapsed().as_secs_f64();
        let i = self.levels.partition_point(|(end, _)| *end <= t);
        self.levels.get(i).map_or(0.0, |l| l.1)
    }
}

/// One server: the base build or the head build.
struct Server {
    drift: Arc<Drift>,
    /// The head build's slow-down of `/op/STEPPED`, in per mille (0 on the base build and in A/A jobs).
    step_permille: Arc<AtomicU32>,
    rng_seed: u64,
}

/// Waits until `deadline`: sleeps most of the way, spins the rest (timer slack is ~50–100 µs, a 10 % step of
/// 0.8 ms is 80 µs).
fn wait_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now + Duration::from_micros(300) {
        std::thread::sleep(deadline - now - Duration::from_micros(300));
    }
    while Instant::now() < deadline {
        std::hint::spin_loop();
    }
}

fn latency(op: usize, drift: f64, step: f64, rng: &mut SplitMix64) -> Duration {
    let base_us = 500.0 + 50.0 * op as f64;
    let within = perfgate::reports::analysis::eval::lognormal(rng, 1.0, 0.05);
    Duration::from_secs_f64(base_us * 1e-6 * (1.0 + drift) * (1.0 + step) * within)
}

async fn serve(listener: tokio::net::TcpListener, server: Arc<Server>) {
    let mut conn_no = 0u64;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        conn_no += 1;
        let server = Arc::clone(&server);
        let rng = Arc::new(std::sync::Mutex::new(SplitMix64::new(
            server.rng_seed ^ conn_no,
        )));
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                let (server, rng) = (Arc::clone(&server), Arc::clone(&rng));
                async move {
                    let begun = Instant::now();
                    let op = req
                        .uri()
                        .path()
                        .strip_prefix("/op/")
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| *n < OPERATIONS);
                    let Some(op) = op else {
                        let mut r = Response::new(Full::new(Bytes::from_static(b"no such op")));
                        *r.status_mut() = StatusCode::NOT_FOUND;
                        return Ok::<_, Infallible>(r);
                    };
                    let step = if op == STEPPED {
                        f64::from(server.step_permille.load(Ordering::Relaxed)) / 1000.0
                    } else {
                        0.0
                    };
                    let d = {
                        let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
                        latency(op, server.drift.level(), step, &mut rng)
                    };
                    // Requests of a benchmark come one at a time: blocking this worker is what a busy handler does.
                    wait_until(begun + d);
                    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Starts a server on its own runtime thread; returns its address.
fn start(server: Server) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            tx.send(listener.local_addr().expect("local addr"))
                .expect("send addr");
            serve(listener, Arc::new(server)).await;
        });
    });
    rx.recv().expect("server address")
}

fn config_text(url: &str, iterations: u32, ab: Option<(&str, u32)>) -> String {
    let mut s = format!(
        "suite = \"ab-drift\"\n[target]\nbase_url = \"{url}\"\nrequest_timeout = 5\n\n[benchmark]\niterations = {iterations}\nwarmup_iterations = 2\n\n[load]\ncollect_system_metrics = false\n\n"
    );
    if let Some((base, trials)) = ab {
        s.push_str(&format!(
            "[ab]\nbase_url = \"{base}\"\ntrials = {trials}\ntrial_iterations = {TRIAL_ITERATIONS}\nthreshold_percent = {THRESHOLD}\n\n"
        ));
    }
    for i in 0..OPERATIONS {
        s.push_str(&format!(
            "[[operations]]\nname = \"op{i:02}\"\npath = \"/op/{i}\"\n\n"
        ));
    }
    s
}

/// Runs one benchmark session from `text`; returns the record and, with `[ab]`, the trial comparison.
fn run(
    dir: &std::path::Path,
    text: &str,
) -> (perfgate::reports::record::RunRecord, Option<Comparison>) {
    let path = dir.join("perfgate.toml");
    std::fs::write(&path, text).expect("write config");
    let env = Default::default();
    let settings = config::load(&path, &env, &Overrides::default()).expect("config");
    let opts = SessionOptions {
        quiet: true,
        ..Default::default()
    };
    let rec = session::run(&settings, Schedules::BENCHMARK, &env, &opts).expect("run");
    // An interrupted session (SIGINT/SIGTERM reach perfgate's handler, which ends every later session at
    // once) judges nothing: counting it as "not flagged" would write a table of zeros.
    if let Some(why) = &rec.record.incomplete {
        eprintln!("ab_drift: a run ended early ({why}); no table written");
        std::process::exit(1);
    }
    (rec.record, rec.ab_comparison)
}

/// What one judged comparison says: whether the stepped operation was flagged worse, and whether any other
/// row was flagged (a false alarm; in an A/A job every flagged row is one).
fn outcome(c: &Comparison, stepped_job: bool) -> (bool, bool) {
    let stepped = format!("op{STEPPED:02}");
    let is_catch = |r: &perfgate::reports::analysis::ComparisonRow| {
        stepped_job && r.operation == stepped && r.verdict == Verdict::Regressed
    };
    let caught = c.rows.iter().any(is_catch);
    let false_alarm = c
        .rows
        .iter()
        .any(|r| matches!(r.verdict, Verdict::Regressed | Verdict::Improved) && !is_catch(r));
    (false_alarm, caught)
}

#[derive(Default)]
struct Cell {
    jobs: usize,
    /// A/A: jobs with any flagged row; step: jobs where another row was flagged.
    false_jobs: usize,
    /// Step jobs where the stepped operation was flagged regressed.
    caught: usize,
    seconds: f64,
}

impl Cell {
    /// Counts one judged job that began at `began`.
    fn record(&mut self, (false_alarm, caught): (bool, bool), began: Instant) {
        self.jobs += 1;
        self.false_jobs += usize::from(false_alarm);
        self.caught += usize::from(caught);
        self.seconds += began.elapsed().as_secs_f64();
    }

    fn pct(n: usize, of: usize) -> String {
        if of == 0 {
            "–".into()
        } else {
            format!("{:.1}% ({n}/{of})", 100.0 * n as f64 / of as f64)
        }
    }
}

fn main() {
    let mut jobs = 30usize;
    let mut trials_list = vec![6u32, 8, 12];
    let mut write: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--write" => write = args.next(),
            "--trials" => {
                trials_list = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|t| t.trim().parse().ok())
                    .collect()
            }
            n => jobs = n.parse().unwrap_or(jobs),
        }
    }
    let drift = Arc::new(Drift::new(SEED, 6.0));
    let step = Arc::new(AtomicU32::new(0));
    let base = start(Server {
        drift: Arc::clone(&drift),
        step_permille: Arc::new(AtomicU32::new(0)),
        rng_seed: SEED ^ 1,
    });
    let head = start(Server {
        drift: Arc::clone(&drift),
        step_permille: Arc::clone(&step),
        rng_seed: SEED ^ 2,
    });
    let (base_url, head_url) = (format!("http://{base}"), format!("http://{head}"));
    let dir = tempfile::tempdir().expect("temp dir");

    // cells[(trials index, stepped?)] for A/B and for two runs.
    let mut ab_cells: Vec<[Cell; 2]> = trials_list.iter().map(|_| Default::default()).collect();
    let mut two_cells: Vec<[Cell; 2]> = trials_list.iter().map(|_| Default::default()).collect();
    for (ti, &trials) in trials_list.iter().enumerate() {
        for j in 0..2 * jobs {
            let stepped = j % 2 == 1;
            step.store(
                if stepped { (STEP * 1000.0) as u32 } else { 0 },
                Ordering::Relaxed,
            );
            let k = usize::from(stepped);

            let t = Instant::now();
            let (_, cmp) = run(
                dir.path(),
                &config_text(
                    &head_url,
                    trials * TRIAL_ITERATIONS,
                    Some((&base_url, trials)),
                ),
            );
            let cmp = cmp.expect("an [ab] run has a trial comparison");
            ab_cells[ti][k].record(outcome(&cmp, stepped), t);

            let t = Instant::now();
            let iterations = trials * TRIAL_ITERATIONS;
            let (b, _) = run(dir.path(), &config_text(&base_url, iterations, None));
            let (h, _) = run(dir.path(), &config_text(&head_url, iterations, None));
            let cmp = compare_runs(
                &b,
                &h,
                &CompareSettings {
                    threshold_percent: THRESHOLD,
                    ..CompareSettings::default()
                },
            );
            two_cells[ti][k].record(outcome(&cmp, stepped), t);
            eprintln!(
                "ab_drift: trials {trials}, job {}/{} ({}) done",
                j + 1,
                2 * jobs,
                if stepped { "+10%" } else { "A/A" }
            );
        }
    }

    let mut out = format!(
        "A/B under drift ({OPERATIONS} operations on two loopback servers, 0.5–1.45 ms, 5 % spread per request; a shared \
slow-down of 0–20 % redrawn every 1–4 s; threshold {THRESHOLD} %; {jobs} jobs per cell; seed {SEED:#x})\n\n\
| judged by | trials a side | A/A: jobs with any flagged row | +10 % of one operation: caught | +10 %: jobs with another row flagged | seconds per job |\n\
| :--- | ---: | ---: | ---: | ---: | ---: |\n"
    );
    for (cells, name) in [
        (&ab_cells, "A/B interleaved trials"),
        (&two_cells, "two runs, one after the other"),
    ] {
        for (ti, &trials) in trials_list.iter().enumerate() {
            let [aa, st] = &cells[ti];
            out.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {:.1} |\n",
                if name.starts_with("A/B") {
                    trials.to_string()
                } else {
                    format!("({} requests each)", trials * TRIAL_ITERATIONS)
                },
                Cell::pct(aa.false_jobs, aa.jobs),
                Cell::pct(st.caught, st.jobs),
                Cell::pct(st.false_jobs, st.jobs),
                (aa.seconds + st.seconds) / (aa.jobs + st.jobs).max(1) as f64
            ));
        }
    }
    out.push('\n');
    print!("{out}");
    if let Some(path) = write {
        let done = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| perfgate::reports::analysis::eval::splice(&text, "ab-drift", &out))
            .and_then(|new| std::fs::write(&path, new).map_err(|e| e.to_string()));
        if let Err(e) = done {
            eprintln!("ab_drift: {path}: {e}");
            std::process::exit(1);
        }
    }
}

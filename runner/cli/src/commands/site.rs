//! `perfgate site build` and `perfgate site serve`: the trend site from a reports folder.
//!
//! The reports folder is a checkout of the reports branch (`runs/YYYY/MM/<…>.json`, one record per run). This
//! module reads it with the shared history loader, adds the analysis's conclusions
//! ([`perfgate_reports::site::site_input`]: change points, flagged regressions, the judged run, and the
//! project's gates from `perfgate.toml` — [`project_gates`]), hands them to `perfgate-web` (which only
//! renders) and writes the returned files, or serves them from memory on loopback and rebuilds when a run file
//! appears, changes or goes away.
//!
//! Memory: a decoded latency histogram takes ~190 KB, so a history of 1,000 runs × 50 operations cannot keep
//! them all. Histograms are kept for the newest [`HISTOGRAM_RUNS`] runs only (their run pages draw the full
//! percentile distribution); older run pages draw it from the summary percentiles.

use clap::{Args, Subcommand};
use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use perfgate_reports::gates::{default_gates, Gates};
use perfgate_reports::site::{site_input, JudgedRun};
use perfgate_reports::{History, RunRecord};
use perfgate_web::{build_site, SiteFile, SiteOptions};

use crate::reports_branch::{load_history_dir_bounded, DerivedFile, SiteHook};
use perfgate::error::{Error, ExitStatus, Result};

/// `perfgate site …`
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Render the static site (HTML + inline SVG, relative links) into a folder.
    Build(SiteBuildArgs),
    /// Serve the site on 127.0.0.1 and rebuild it when run files change.
    Serve(SiteServeArgs),
}

#[derive(Debug, Args)]
pub struct SiteBuildArgs {
    /// Reports folder: a checkout of the reports branch (run files under runs/)
    #[arg(long, value_name = "DIR")]
    pub reports: PathBuf,
    /// Where to write the site
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// URL path the site is served under, e.g. /repo/ for https://org.github.io/repo/ (used by 404.html)
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub base_path: String,
    /// The compare page shows this run's comparison (e.g. a pull request's record from the Action's report
    /// directory) [default: the newest run on the branch that has one]
    #[arg(long, value_name = "RUN.json")]
    pub compare: Option<PathBuf>,
    /// The config whose [gates] the site shows [default: ./perfgate.toml when it exists, else the default
    /// gates]
    #[arg(long, short = 'C', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SiteServeArgs {
    /// Reports folder: a checkout of the reports branch (run files under runs/)
    #[arg(long, value_name = "DIR")]
    pub reports: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed on stdout)
    #[arg(long, default_value_t = 8000, value_name = "PORT")]
    pub port: u16,
    /// The config whose [gates] the site shows [default: ./perfgate.toml when it exists, else the default
    /// gates]
    #[arg(long, short = 'C', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Newest runs whose histograms are kept for the site.
pub const HISTOGRAM_RUNS: usize = 20;
/// How often `serve` looks for changed run files.
const POLL: Duration = Duration::from_secs(1);

/// The project's gates, as `perfgate run` judges by them: from `config`, else `./perfgate.toml` when it
/// exists, else the default gates (p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps).
pub fn project_gates(config: Option<&Path>) -> Result<Gates> {
    let default = Path::new("perfgate.toml");
    let path = match config {
        Some(p) => p,
        None if default.is_file() => default,
        None => return Ok(default_gates()),
    };
    let env = perfgate::config::process_env();
    let settings = perfgate::config::load(path, &env, &perfgate::config::Overrides::default())?;
    Ok(perfgate::session::Verdict::from_settings(&settings)?
        .settings
        .gates)
}

/// `perfgate site build`.
pub fn build(args: &SiteBuildArgs) -> Result<ExitStatus> {
    let t = Instant::now();
    let gates = project_gates(args.config.as_deref())?;
    let records = load_records(&args.reports)?;
    let runs = records.len();
    let compare = match &args.compare {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let head = RunRecord::from_json_path_bytes(&bytes, path)
                .map_err(|e| Error::Usage(e.to_string()))?;
            let c = JudgedRun::of(&head).ok_or_else(|| {
                Error::Usage(format!(
                    "--compare {}: this run was not compared with a baseline (run it with --baseline, or \
                     in the Action)",
                    path.display()
                ))
            })?;
            Some(c)
        }
        None => None,
    };
    let mut input = site_input(records, gates);
    if compare.is_some() {
        input.compare = compare;
    }
    let files = build_input(&input, &options(&args.base_path)?)?;
    write_site(&args.out, &files)?;
    eprintln!(
        "perfgate: site of {runs} runs written to {} ({} files) in {:.2} s",
        args.out.display(),
        files.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(ExitStatus::Pass)
}

/// The options for a base path given on the command line (normalised to `/…/`).
fn options(base_path: &str) -> Result<SiteOptions> {
    let mut p = base_path.trim().to_string();
    if !p.starts_with('/') {
        p.insert(0, '/');
    }
    if !p.ends_with('/') {
        p.push('/');
    }
    let opts = SiteOptions {
        base_path: p,
        ..SiteOptions::default()
    };
    Ok(opts)
}

/// Loads the records under `reports` and renders the site. Returns the files and the number of runs.
pub fn render(reports: &Path, opts: &SiteOptions, gates: &Gates) -> Result<(Vec<SiteFile>, usize)> {
    let records = load_records(reports)?;
    let n = records.len();
    Ok((render_records(records, opts, gates)?, n))
}

/// The hook through which `perfgate publish` (and the Action) writes the site at the root of the reports
/// branch, beside `runs/`, so GitHub Pages can serve the branch as it is (`.nojekyll`, `index.html` at the
/// root, relative links). It renders from the runs on the branch's new tip on every publish (after a lost
/// push race too). The history it is given has histograms for the newest runs only (see
/// [`crate::reports_branch::PublishOptions::histogram_runs`]). `base_path` is where Pages serves the branch
/// (`/repo/`); it is used only where a page cannot be relative (the 404 page). `gates` are the project's
/// ([`project_gates`]).
pub fn publish_hook(base_path: &str, gates: Gates) -> Result<Arc<dyn SiteHook>> {
    let opts = options(base_path)?;
    Ok(Arc::new(move |history: &History| {
        let records: Vec<RunRecord> = history.runs.iter().map(|r| r.record.clone()).collect();
        let files = render_records(records, &opts, &gates).map_err(|e| e.to_string())?;
        Ok(files
            .into_iter()
            .map(|f| DerivedFile {
                path: f.path,
                bytes: f.bytes,
            })
            .collect())
    }))
}

/// The folder of run files: `DIR/runs` when it exists, else `DIR` itself.
fn runs_dir(reports: &Path) -> Result<PathBuf> {
    if !reports.is_dir() {
        return Err(Error::Usage(format!(
            "--reports {}: not a directory (give a checkout of the reports branch)",
            reports.display()
        )));
    }
    let runs = reports.join("runs");
    Ok(if runs.is_dir() {
        runs
    } else {
        reports.to_path_buf()
    })
}

/// Every `*.json` file under `dir`, sorted; a folder that cannot be listed is an error.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let (files, unlisted) = crate::reports_branch::history::json_paths(dir);
    match unlisted.into_iter().next() {
        Some((d, e)) => Err(Error::io(&d, e)),
        None => Ok(files),
    }
}

/// Reads every run record under `reports` through the shared history loader. Files that are not readable
/// run records are skipped with a warning naming them; histograms are decoded for the newest
/// [`HISTOGRAM_RUNS`] runs only.
pub fn load_records(reports: &Path) -> Result<Vec<RunRecord>> {
    runs_dir(reports)?;
    let history = load_history_dir_bounded(reports, Some(HISTOGRAM_RUNS))
        .map_err(|e| Error::Usage(format!("--reports {}: {e}", reports.display())))?;
    for s in &history.skipped {
        eprintln!("perfgate: warning: skipping {}", s.reason);
    }
    Ok(history.runs.into_iter().map(|r| r.record).collect())
}

/// Renders the site of `records` with the analysis's change points, regressions and recommendations, judged
/// by `gates`.
pub fn render_records(
    records: Vec<RunRecord>,
    opts: &SiteOptions,
    gates: &Gates,
) -> Result<Vec<SiteFile>> {
    build_input(&site_input(records, gates.clone()), opts)
}

fn build_input(input: &perfgate_web::SiteInput, opts: &SiteOptions) -> Result<Vec<SiteFile>> {
    build_site(input, opts).map_err(|e| match e {
        perfgate_web::SiteError::BasePath(_) => Error::Usage(format!("--base-path: {e}")),
        other => Error::Runtime(other.to_string()),
    })
}

/// Writes the site's files under `out` (existing files are replaced; others are left alone, so a site can
/// live at the root of the reports branch beside `runs/`).
pub fn write_site(out: &Path, files: &[SiteFile]) -> Result<()> {
    std::fs::create_dir_all(out)
        .map_err(|e| Error::Usage(format!("--out {}: {e}", out.display())))?;
    for f in files {
        let path = out.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, &f.bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// The built site, by URL path without the leading `/`.
type SiteMap = HashMap<String, Bytes>;

fn to_map(files: Vec<SiteFile>) -> SiteMap {
    files
        .into_iter()
        .map(|f| (f.path, Bytes::from(f.bytes)))
        .collect()
}

/// What identifies the state of the run files: their paths, sizes and modification times.
fn fingerprint(reports: &Path) -> Result<Vec<(PathBuf, u64, Option<SystemTime>)>> {
    let dir = runs_dir(reports)?;
    Ok(json_files(&dir)?
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let len = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (p, len, modified)
        })
        .collect())
}

/// A site served on loopback from memory. Dropping it stops the server.
pub struct SiteServer {
    addr: std::net::SocketAddr,
    site: Arc<RwLock<SiteMap>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SiteServer {
    /// Serves `files` on `127.0.0.1:port` (0 picks a free port).
    pub fn start(files: Vec<SiteFile>, port: u16) -> Result<SiteServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| Error::Usage(format!("--port {port}: cannot listen on 127.0.0.1: {e}")))?;
        let io = |e: std::io::Error| Error::Runtime(format!("site server: {e}"));
        listener.set_nonblocking(true).map_err(io)?;
        let addr = listener.local_addr().map_err(io)?;
        let site = Arc::new(RwLock::new(to_map(files)));
        let served = Arc::clone(&site);
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("perfgate-site".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            _ = &mut rx => return,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let site = Arc::clone(&served);
                                tokio::spawn(async move {
                                    let svc = service_fn(move |req| {
                                        let site = Arc::clone(&site);
                                        async move { Ok::<_, Infallible>(respond(&site, &req)) }
                                    });
                                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                                });
                            }
                        }
                    }
                });
            })
            .map_err(io)?;
        Ok(SiteServer {
            addr,
            site,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Replaces the served files (requests in flight finish with the old ones).
    pub fn replace(&self, files: Vec<SiteFile>) {
        if let Ok(mut s) = self.site.write() {
            *s = to_map(files);
        }
    }
}

impl Drop for SiteServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `perfgate site serve`: serves the site on 127.0.0.1 and rebuilds it when run files change, until Ctrl-C.
pub fn serve(args: &SiteServeArgs) -> Result<ExitStatus> {
    let opts = SiteOptions::default();
    let gates = project_gates(args.config.as_deref())?;
    let mut seen = fingerprint(&args.reports)?;
    let (files, runs) = render(&args.reports, &opts, &gates)?;
    let server = SiteServer::start(files, args.port)?;
    // The first line on stdout is the address (scripts and tests read it).
    println!("serving {}", server.url());
    eprintln!(
        "perfgate: site of {runs} runs from {} at {} (rebuilt when runs change; Ctrl-C stops)",
        args.reports.display(),
        server.url()
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("runtime: {e}")))?;
    let flag = Arc::clone(&stop);
    rt.spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        rt.block_on(async { tokio::time::sleep(POLL).await });
        let Ok(now) = fingerprint(&args.reports) else {
            continue;
        };
        if now == seen {
            continue;
        }
        seen = now;
        match render(&args.reports, &opts, &gates) {
            Ok((files, runs)) => {
                server.replace(files);
                eprintln!("perfgate: site rebuilt ({runs} runs)");
            }
            Err(e) => eprintln!("perfgate: warning: rebuilding the site failed: {e}"),
        }
    }
    Ok(ExitStatus::Pass)
}

/// Content type by file extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// Answers one request from the built site: `/` and `/dir/` map to `index.html`; anything else not in the
/// site gets `404.html` with status 404.
fn respond(site: &RwLock<SiteMap>, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let plain = |status: StatusCode, text: &'static str| {
        let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
        *r.status_mut() = status;
        r
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD only\n");
    }
    let mut path = req.uri().path().trim_start_matches('/').to_string();
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    let Ok(site) = site.read() else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "site unavailable\n");
    };
    let (status, key) = if site.contains_key(&path) {
        (StatusCode::OK, path.as_str())
    } else {
        (StatusCode::NOT_FOUND, perfgate_web::paths::NOT_FOUND)
    };
    let body = site.get(key).cloned().unwrap_or_default();
    let body = if req.method() == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if let Ok(v) = content_type(key).parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    if let Ok(v) = "no-cache".parse() {
        r.headers_mut().insert(hyper::header::CACHE_CONTROL, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_web::sample::{history, SampleSpec};

    fn write_runs(dir: &Path, n: usize) -> Vec<RunRecord> {
        let input = history(&SampleSpec {
            runs: n,
            operations: 3,
            histogram_runs: n,
            ..SampleSpec::default()
        });
        for r in &input.records {
            let p = dir.join("runs/2026/01").join(format!("{}.json", r.run_id));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, r.to_json_pretty()).unwrap();
        }
        input.records
    }

    #[test]
    fn loads_runs_skips_bad_files_and_keeps_recent_histograms() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_runs(dir.path(), HISTOGRAM_RUNS + 3);
        std::fs::write(dir.path().join("runs/2026/01/broken.json"), b"{not json").unwrap();
        std::fs::write(
            dir.path().join("runs/2026/01/other.json"),
            b"{\"hello\": 1}",
        )
        .unwrap();
        let records = load_records(dir.path()).unwrap();
        assert_eq!(records.len(), written.len());
        let with_hist = |r: &RunRecord| r.operations().any(|(_, o)| o.histogram.is_some());
        assert_eq!(
            records.iter().filter(|r| with_hist(r)).count(),
            HISTOGRAM_RUNS
        );
        let newest = records.iter().max_by_key(|r| r.started_at).unwrap();
        assert!(with_hist(newest));
        let oldest = records.iter().min_by_key(|r| r.started_at).unwrap();
        assert!(!with_hist(oldest));
    }

    /// 30 runs of 3 operations with steady figures (±1 % noise); `step-op`'s latency steps up 20 % from run 15.
    fn history_with_step() -> Vec<RunRecord> {
        let mut records = history(&SampleSpec {
            runs: 30,
            operations: 3,
            histogram_runs: 0,
            hostile: false,
            compare: false,
        })
        .records;
        records.sort_by_key(|r| r.started_at);
        for (i, r) in records.iter_mut().enumerate() {
            r.analysis = None;
            let mut ops: Vec<&mut perfgate_reports::record::OperationResult> = Vec::new();
            if let Some(b) = r.benchmark.as_mut() {
                ops.extend(b.operations.iter_mut());
            }
            if let Some(l) = r.load.as_mut() {
                ops.extend(l.operations.iter_mut());
                ops.push(&mut l.overall);
            }
            if let Some(s) = r.stress.as_mut() {
                s.steps.clear();
            }
            for (j, op) in ops.into_iter().enumerate() {
                if j == 0 {
                    op.operation_name = "step-op".into();
                }
                let noise = 1.0 + 0.005 * (((i * 7 + j * 3) % 5) as f64 - 2.0);
                let step = if j == 0 && i >= 15 { 1.2 } else { 1.0 };
                let base = 20.0 * (j + 1) as f64 * noise * step;
                let l = &mut op.latency_ms;
                (
                    l.min, l.p50, l.p90, l.p95, l.p99, l.p999, l.max, l.avg, l.stddev,
                ) = (
                    base * 0.2,
                    base * 0.5,
                    base * 0.9,
                    base,
                    base * 1.3,
                    base * 1.5,
                    base * 2.0,
                    base * 0.6,
                    base * 0.1,
                );
                op.throughput_rps = 100.0 * noise;
                op.memory_usage_mb = Some(50.0 * noise);
                op.cpu_usage_percent = Some(10.0 * noise);
                op.failed_requests = 0;
                op.successful_requests = op.total_requests;
                op.success_rate_percent = 100.0;
                op.errors.clear();
            }
        }
        records
    }

    #[test]
    fn the_compare_page_shows_the_newest_judged_run_one_row_per_operation() {
        let mut records = history_with_step();
        let c = perfgate_reports::analysis::compare_runs(
            &records[14],
            &records[15],
            &Default::default(),
        );
        records[15].analysis = Some(perfgate_reports::analysis::AnalysisSection {
            comparison: Some(c),
            ..Default::default()
        });
        let input = site_input(records.clone(), default_gates());
        let judged = input.compare.as_ref().expect("a compare page");
        assert_eq!(
            judged.comparison.base.run_id.as_deref(),
            Some(records[14].run_id.as_str())
        );
        assert_eq!(judged.head.run_id, records[15].run_id);
        let rows = judged.rows_per_operation();
        let step: Vec<_> = rows.iter().filter(|r| r.operation == "step-op").collect();
        assert_eq!(step.len(), 1, "one row for the operation: {step:?}");
        assert!(step
            .iter()
            .all(|r| r.verdict == perfgate_web::Verdict::Regressed
                && r.metric == perfgate_web::Metric::P95));

        let files = render_records(records, &SiteOptions::default(), &default_gates()).unwrap();
        let page = files
            .iter()
            .find(|f| f.path == "compare.html")
            .expect("compare.html");
        let html = String::from_utf8_lossy(&page.bytes);
        assert!(
            html.contains("step-op") && html.contains("regressed"),
            "{html}"
        );
    }

    #[test]
    fn a_20_percent_step_is_marked_on_its_operation_page_and_listed_first_on_the_index() {
        let records = history_with_step();
        let step_run = records[15].clone();
        let input = site_input(records.clone(), default_gates());
        let cps: Vec<_> = input
            .change_points
            .iter()
            .filter(|c| c.metric == perfgate_web::Metric::P95)
            .collect();
        assert!(
            cps.iter()
                .all(|c| c.key.operation == "step-op" && c.run_id() == step_run.run_id),
            "p95 change points: {cps:?}"
        );
        let cp = cps.first().expect("the step is found");
        assert!((cp.change.magnitude_percent - 20.0).abs() < 3.0, "{cp:?}");

        let files = render_records(records, &SiteOptions::default(), &default_gates()).unwrap();
        let page = |path: &str| -> String {
            let f = files.iter().find(|f| f.path == path).expect(path);
            String::from_utf8(f.bytes.clone()).unwrap()
        };
        let op_path = perfgate_web::paths::operation_page(&cp.key, 1);
        let op_page = page(&op_path);
        let marker = format!("change point: {}", cp.label());
        assert!(
            op_page.contains(&marker),
            "no marker {marker:?} on {op_path}"
        );
        assert!(
            op_page.contains(&format!("at {}", step_run.sha7())),
            "the marker names the step's commit"
        );
        let run_href = perfgate_web::paths::link(
            &op_path,
            &perfgate_web::paths::run_page(&step_run.run_id, None),
        );
        assert!(
            op_page.contains(&run_href),
            "the marker links to {run_href}"
        );

        let index = page("index.html");
        let first_op_link = index.find("href=\"ops/").expect("operation links");
        let step_link = index
            .find(&format!("href=\"{}\"", op_path))
            .expect("the step operation is linked");
        assert_eq!(
            first_op_link, step_link,
            "the changed operation comes first"
        );
        let operations = index
            .find("<h2>Operations</h2>")
            .expect("operations heading");
        assert!(step_link < operations, "listed above the operations table");
    }

    #[test]
    fn build_writes_pages_and_rejects_a_missing_reports_dir() {
        let dir = tempfile::tempdir().unwrap();
        write_runs(dir.path(), 4);
        let out = dir.path().join("site");
        let args = SiteBuildArgs {
            compare: None,
            reports: dir.path().to_path_buf(),
            out: out.clone(),
            base_path: "repo".into(),
            config: None,
        };
        assert_eq!(build(&args).unwrap(), ExitStatus::Pass);
        assert!(out.join("index.html").is_file());
        assert!(out.join("run/run-00003.html").is_file());
        let not_found = std::fs::read_to_string(out.join("404.html")).unwrap();
        assert!(not_found.contains("href=\"/repo/\""), "{not_found}");

        let missing = SiteBuildArgs {
            compare: None,
            reports: dir.path().join("nope"),
            out,
            base_path: "/".into(),
            config: None,
        };
        let err = build(&missing).unwrap_err();
        assert_eq!(err.exit_status(), ExitStatus::Usage);
        assert!(err.to_string().contains("--reports"), "{err}");
    }

    #[test]
    fn build_compare_takes_a_pull_request_run_from_outside_the_branch() {
        let dir = tempfile::tempdir().unwrap();
        let runs = write_runs(dir.path(), 4);
        let base = runs.iter().max_by_key(|r| r.started_at).unwrap();
        let mut pr = base.clone();
        pr.run_id = "pr-17".into();
        pr.analysis = None;
        let pr_file = dir.path().join("pr.json");
        std::fs::write(&pr_file, pr.to_json_pretty()).unwrap();
        let args = |compare: &Path| SiteBuildArgs {
            compare: Some(compare.to_path_buf()),
            reports: dir.path().to_path_buf(),
            out: dir.path().join("site"),
            base_path: "/".into(),
            config: None,
        };
        // Not judged: a usage error that says how to get a comparison.
        let err = build(&args(&pr_file)).unwrap_err();
        assert_eq!(err.exit_status(), ExitStatus::Usage);
        assert!(err.to_string().contains("--baseline"), "{err}");

        pr.analysis = Some(perfgate_reports::analysis::AnalysisSection {
            comparison: Some(perfgate_reports::analysis::compare_runs(
                base,
                &pr,
                &Default::default(),
            )),
            ..Default::default()
        });
        std::fs::write(&pr_file, pr.to_json_pretty()).unwrap();
        assert_eq!(build(&args(&pr_file)).unwrap(), ExitStatus::Pass);
        let html = std::fs::read_to_string(dir.path().join("site/compare.html")).unwrap();
        assert!(
            html.contains("pr-17") && html.contains(&base.run_id),
            "{html}"
        );
    }

    #[test]
    fn the_site_shows_the_gates_of_the_config_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let runs = write_runs(dir.path(), 4);
        let config = dir.path().join("perfgate.toml");
        std::fs::write(&config, "[gates]\nall = [\"p95 < 200ms\"]\n").unwrap();
        let out = dir.path().join("site");
        let args = SiteBuildArgs {
            compare: None,
            reports: dir.path().to_path_buf(),
            out: out.clone(),
            base_path: "/".into(),
            config: Some(config.clone()),
        };
        assert_eq!(build(&args).unwrap(), ExitStatus::Pass);
        let op = &runs[0].benchmark.as_ref().unwrap().operations[0];
        let key = perfgate_web::OperationKey::new(
            &runs[0].suite,
            perfgate_reports::record::TestType::Benchmark,
            &op.operation_name,
        );
        let page = std::fs::read_to_string(out.join(perfgate_web::paths::operation_page(&key, 1)))
            .unwrap();
        assert!(
            page.contains("p95 &lt; 200ms"),
            "the project's gate is shown"
        );
        assert!(!page.contains("500ms"), "not the default gate");

        std::fs::write(&config, "[gates]\nall = [\"p95 < fast\"]\n").unwrap();
        let err = build(&args).unwrap_err();
        assert_eq!(err.exit_status(), ExitStatus::Usage);
        assert!(err.to_string().contains("gates.all"), "{err}");
    }
}

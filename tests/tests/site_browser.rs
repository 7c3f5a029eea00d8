//! The trend site in a real headless Chromium: a site built from a generated history (with hostile names),
//! served by perfgate's own loopback server, every page kind opened at 1200 px (light) and 360 px (dark).
//! Asserts no console error, no request leaving loopback, charts present and sized, no horizontal overflow on
//! a phone, no injected markup, and a working filter box. Screenshots go to `<target>/site-screenshots/`.
//!
//! Without Chromium the test says it was skipped and why; with `CI=true` a missing Chromium is a failure.

use std::path::PathBuf;

use perfgate_cli::commands::site::SiteServer;
use perfgate_e2e::cdp::{find_chromium, Browser, PageLog};
use perfgate_reports::record::TestType;
use perfgate_web::sample::{history, SampleSpec};
use perfgate_web::{build_site, paths, OperationKey, SiteOptions};

fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("site-screenshots")
}

/// Chromium, or `None` after saying why the test is skipped (a failure under `CI=true`).
fn chromium_or_skip() -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None => {
            let why = "no Chromium found (install the Debian packages `chromium` and `chromium-driver`, or set PERFGATE_CHROMIUM)";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and {why}");
            }
            eprintln!("site_browser: SKIPPED: {why}");
            None
        }
    }
}

/// Fails with everything that went wrong on a page.
fn assert_clean(what: &str, base: &str, log: &PageLog) {
    assert!(
        log.errors.is_empty(),
        "{what}: errors in the browser: {:#?}",
        log.errors
    );
    let outside: Vec<&String> = log
        .requests
        .iter()
        .filter(|u| !u.starts_with(base) && !u.starts_with("data:") && !u.starts_with("about:"))
        .collect();
    assert!(
        outside.is_empty(),
        "{what}: requests leaving loopback: {outside:?}"
    );
    assert!(
        !log.requests.is_empty(),
        "{what}: the page requested nothing (not even itself?)"
    );
}

const CHART_SIZES: &str = "Array.from(document.querySelectorAll('figure.chart svg')).map(s => { const r = s.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; })";
const OVERFLOW: &str = "document.documentElement.scrollWidth - window.innerWidth";
const INJECTED: &str = "[document.querySelectorAll('script').length, document.querySelectorAll('img, b, i').length, document.title]";

#[test]
fn every_page_kind_renders_cleanly_in_headless_chromium() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let spec = SampleSpec {
        runs: 60,
        operations: 8,
        histogram_runs: 10,
        hostile: true,
        compare: true,
    };
    let input = history(&spec);
    let files = build_site(&input, &SiteOptions::default()).expect("site builds");
    let server = SiteServer::start(files, 0).expect("site server starts");
    let base = server.url();

    let hostile = OperationKey::new("api", TestType::Benchmark, "<script>alert(1)</script>");
    let last_run = input
        .records
        .last()
        .map(|r| r.run_id.clone())
        .unwrap_or_default();
    let stress_run = input
        .records
        .iter()
        .find(|r| r.stress.is_some())
        .map(|r| r.run_id.clone())
        .expect("a stress run");
    let pages: Vec<(&str, String)> = vec![
        ("index", paths::INDEX.to_string()),
        (
            "operation",
            paths::operation_page(&input.change_points[0].key, 1),
        ),
        ("operation-hostile", paths::operation_page(&hostile, 1)),
        ("run-load", paths::run_page(&last_run, None)),
        ("run-stress", paths::run_page(&stress_run, None)),
        ("runs", paths::runs_list_page(1)),
        ("compare", paths::COMPARE.to_string()),
    ];

    let mut browser = Browser::launch(&chromium).unwrap_or_else(|e| panic!("chromium: {e}"));
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    for (width, dark) in [(1200u32, false), (360, true)] {
        browser.emulate(width, dark).expect("emulation");
        let mode = if dark { "360-dark" } else { "1200-light" };
        for (kind, path) in &pages {
            let what = format!("{kind} ({mode}) {path}");
            let url = format!("{base}{path}");
            let mut log = browser.open(&url).unwrap_or_else(|e| panic!("{what}: {e}"));

            let charts = browser.eval(CHART_SIZES, &mut log).expect("chart sizes");
            let charts = charts.as_array().cloned().unwrap_or_default();
            let expect_charts = match *kind {
                "operation" | "operation-hostile" => 5,
                "run-load" => 3,
                "run-stress" => 2,
                _ => 0,
            };
            assert!(
                charts.len() >= expect_charts,
                "{what}: {} charts, want {expect_charts}",
                charts.len()
            );
            for c in &charts {
                let (w, h) = (c[0].as_i64().unwrap_or(0), c[1].as_i64().unwrap_or(0));
                assert!(w >= 200 && h >= 80, "{what}: a chart is {w}×{h} px");
                assert!(
                    w <= i64::from(width),
                    "{what}: a chart is wider ({w}) than the viewport"
                );
            }
            let overflow = browser.eval(OVERFLOW, &mut log).expect("overflow");
            assert!(
                overflow.as_i64().unwrap_or(1) <= 0,
                "{what}: page overflows the viewport by {overflow} px"
            );

            let injected = browser.eval(INJECTED, &mut log).expect("injection probe");
            let scripts = if *kind == "index" { 1 } else { 0 };
            assert_eq!(
                injected[0], scripts,
                "{what}: script elements (only the filter's own)"
            );
            assert_eq!(injected[1], 0, "{what}: markup from data became elements");

            if *kind == "index" {
                let sparks = browser
                    .eval("Array.from(document.querySelectorAll('svg.spark')).filter(s => s.getBoundingClientRect().width >= 100).length", &mut log)
                    .expect("sparklines");
                assert_eq!(
                    sparks,
                    serde_json::json!(spec.operations + 3),
                    "{what}: one sized sparkline per operation"
                );
                let visible = "(q => { const f = document.getElementById('filter'); f.value = q; f.dispatchEvent(new Event('input')); \
                    return Array.from(document.querySelectorAll('tr[data-filter]')).filter(r => r.getClientRects().length > 0).length; })";
                let n = |b: &mut Browser, log: &mut PageLog, q: &str| {
                    b.eval(&format!("{visible}({})", serde_json::json!(q)), log)
                        .expect("filter")
                };
                assert_eq!(
                    n(&mut browser, &mut log, "resource-05"),
                    1,
                    "{what}: filter on a name"
                );
                assert_eq!(
                    n(&mut browser, &mut log, "<script>"),
                    2,
                    "{what}: filter on the hostile name (benchmark and load)"
                );
                assert_eq!(
                    n(&mut browser, &mut log, "load"),
                    3,
                    "{what}: filter on the test type"
                );
                assert_eq!(
                    n(&mut browser, &mut log, "no such operation"),
                    0,
                    "{what}: filter with no match"
                );
                let count = browser
                    .eval(
                        "document.getElementById('filter-count').textContent",
                        &mut log,
                    )
                    .expect("count");
                assert_eq!(
                    count,
                    serde_json::json!(format!("0 of {} shown", spec.operations + 3))
                );
                assert_eq!(
                    n(&mut browser, &mut log, ""),
                    spec.operations + 3,
                    "{what}: empty filter shows all"
                );
            }
            if *kind == "operation-hostile" {
                let h1 = browser
                    .eval("document.querySelector('h1').textContent", &mut log)
                    .expect("h1");
                assert_eq!(
                    h1,
                    serde_json::json!("<script>alert(1)</script>"),
                    "{what}: the name shows as text"
                );
            }
            if *kind == "operation" {
                let links = browser
                    .eval(
                        "Array.from(document.querySelectorAll('svg a circle.pt')).length",
                        &mut log,
                    )
                    .expect("linked points");
                assert_eq!(
                    links,
                    serde_json::json!(spec.runs),
                    "{what}: one linked point per run"
                );
            }

            let png = browser
                .screenshot()
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(png.starts_with(b"\x89PNG"), "{what}: screenshot is a PNG");
            std::fs::write(shots.join(format!("{kind}-{mode}.png")), png)
                .expect("write screenshot");
            assert_clean(&what, &base, &log);
        }
    }
    eprintln!("site_browser: screenshots in {}", shots.display());
}

/// A plain HTTP/1.0 GET on loopback: status code and body.
fn get(base: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(host).expect("connect to the site server");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read response");
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Stops the `perfgate site serve` this test started (by its own pid).
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn site_serve_answers_on_loopback_and_rebuilds_when_a_run_arrives() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let input = history(&SampleSpec {
        runs: 4,
        operations: 2,
        histogram_runs: 4,
        hostile: false,
        compare: false,
    });
    let runs = dir.path().join("runs/2026/01");
    std::fs::create_dir_all(&runs).unwrap();
    for r in &input.records[..3] {
        std::fs::write(runs.join(format!("{}.json", r.run_id)), r.to_json_pretty()).unwrap();
    }
    std::fs::write(
        runs.join("truncated.json"),
        b"{\"schema\": \"perfgate/run@1\"",
    )
    .unwrap();

    let child = std::process::Command::new(perfgate_e2e::perfgate_bin())
        .args(["site", "serve", "--port", "0", "--reports"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start perfgate site serve");
    let mut served = Served(child);
    let stdout = served.0.stdout.take().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("address line");
    let base = first
        .trim()
        .strip_prefix("serving ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let (status, index) = get(&base, "");
    assert_eq!(status, 200);
    assert!(
        index.contains("3 runs from"),
        "index counts the three good runs"
    );
    assert_eq!(get(&base, "run/run-00002.html").0, 200);
    let (status, body) = get(&base, "no/such/page.html");
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));

    let last = &input.records[3];
    std::fs::write(
        runs.join(format!("{}.json", last.run_id)),
        last.to_json_pretty(),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if get(&base, "").1.contains("4 runs from") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the site was not rebuilt within 15 s of a new run file"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(get(&base, &format!("run/{}.html", last.run_id)).0, 200);

    let _ = served.0.kill();
    let _ = served.0.wait();
    let mut err = String::new();
    use std::io::Read;
    served
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("truncated.json"),
        "the bad file is named in a warning: {err}"
    );
}

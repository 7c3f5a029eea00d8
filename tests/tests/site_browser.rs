//! The trend site in a real headless Chromium: a site built from a generated history (with hostile names),
//! served by perfgate's own loopback server, every page kind opened at 1200 px (light) and 360 px (dark).
//! Asserts no console error, no request leaving loopback, charts present and sized, no chart label clipped,
//! no run id wrapped mid-id, no horizontal overflow on a phone, no injected markup, and a working filter box.
//! A second test reads a site built by the binary back and checks it against `perfgate analyze`. Screenshots go to `<target>/site-screenshots/`.
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
/// Chart texts drawn (partly) outside their SVG, which clips them (the last percentile tick, "99.99%", was).
const CLIPPED: &str = "Array.from(document.querySelectorAll('figure.chart svg')).flatMap(s => { const b = s.getBoundingClientRect(); \
    return Array.from(s.querySelectorAll('text')).filter(t => { const r = t.getBoundingClientRect(); \
    return r.width > 0 && (r.left < b.left - 0.5 || r.right > b.right + 0.5 || r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5); }) \
    .map(t => t.textContent.trim()); })";
/// Run ids (and commits) broken over two lines.
const WRAPPED_IDS: &str = "[document.querySelectorAll('.id').length, Array.from(document.querySelectorAll('.id')).filter(e => e.getClientRects().length > 1).map(e => e.textContent)]";
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

            let clipped = browser.eval(CLIPPED, &mut log).expect("clipped labels");
            assert_eq!(
                clipped,
                serde_json::json!([]),
                "{what}: chart labels cut off at the edge"
            );
            let ids = browser.eval(WRAPPED_IDS, &mut log).expect("ids");
            assert_eq!(ids[1], serde_json::json!([]), "{what}: ids wrapped mid-id");
            if matches!(*kind, "run-load" | "run-stress" | "compare") {
                assert!(
                    ids[0].as_u64().unwrap_or(0) >= 1,
                    "{what}: no run id marked"
                );
            }

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

/// The value of `attr="…"` after each occurrence of `marker` in `html`.
fn attr_after(html: &str, marker: &str, attr: &str) -> Vec<String> {
    let key = format!("{attr}=\"");
    html.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &html[at..];
            let start = rest.find(&key)? + key.len();
            let end = rest[start..].find('"')?;
            Some(rest[start..start + end].to_string())
        })
        .collect()
}

/// The texts of the `<li>` items inside `<ul class="{class}">…</ul>`, tags stripped.
fn list_items(html: &str, class: &str) -> Vec<String> {
    let open = format!("<ul class=\"{class}\">");
    let Some(start) = html.find(&open) else {
        return Vec::new();
    };
    let body = &html[start + open.len()..];
    let body = &body[..body.find("</ul>").unwrap_or(body.len())];
    body.split("<li")
        .skip(1)
        .map(|li| {
            let mut text = String::new();
            let mut in_tag = true; // the rest of the `<li …>` tag
            for c in li.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text
        })
        .collect()
}

/// A built site read back: `perfgate site build` over a history folder and a config tells what `perfgate
/// analyze` and the project's `[gates]` say, coloured by direction, in run order, with truthful baselines
/// and commit links on the run's own server.
#[test]
fn a_built_site_tells_the_same_truth_as_the_cli() {
    use perfgate_reports::analysis::{compare_with_history, AnalysisSection, HistorySettings};
    use perfgate_reports::RunRecord;

    let dir = tempfile::tempdir().unwrap();
    let mut records: Vec<RunRecord> = history(&SampleSpec {
        runs: 60,
        operations: 4,
        histogram_runs: 0,
        hostile: false,
        compare: false,
    })
    .records;
    records.sort_by_key(|r| r.started_at);
    let day50 = records[50].started_at;
    for (i, r) in records.iter_mut().enumerate() {
        r.analysis = None;
        r.git.server_url = Some("https://ghe.example.com".into());
        // The last ten runs a minute apart (a burst of nightly retries): they must not bunch on the x axis.
        if i >= 50 {
            r.started_at = day50 + chrono::Duration::minutes(i as i64 - 50);
            r.finished_at = r.started_at + chrono::Duration::seconds(30);
        }
        // Operation 1 serves 30 % fewer requests per second from run 40: a throughput regression.
        if i >= 40 {
            if let Some(b) = r.benchmark.as_mut() {
                b.operations[1].throughput_rps *= 0.7;
            }
        }
    }
    // The newest run judged against the history before it, as `perfgate run --baseline DIR` does.
    let (prior, last) = records.split_at_mut(59);
    let judged = compare_with_history(&last[0], prior, &HistorySettings::default());
    let base_label = judged.base.label.clone();
    last[0].analysis = Some(AnalysisSection {
        comparison: Some(judged),
        ..Default::default()
    });
    let runs = dir.path().join("reports/runs");
    for r in &records {
        let p = runs.join(perfgate_reports::layout::run_file_path(r));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, r.to_json_pretty()).unwrap();
    }
    std::fs::write(
        dir.path().join("perfgate.toml"),
        "[gates]\nall = [\"p95 < 200ms\"]\n",
    )
    .unwrap();

    // ./perfgate.toml is found without --config.
    let out = perfgate_e2e::perfgate(
        dir.path(),
        &["site", "build", "--reports", "reports", "--out", "site"],
    );
    assert!(out.status.success(), "site build failed");
    let analyze = perfgate_e2e::perfgate(
        dir.path(),
        &["analyze", "--history", "reports", "--format", "json"],
    );
    assert!(analyze.status.success(), "analyze failed");
    let changes: serde_json::Value = serde_json::from_slice(&analyze.stdout).unwrap();
    let read = |path: &str| std::fs::read_to_string(dir.path().join("site").join(path)).unwrap();

    // Change points: the same ones as `perfgate analyze`, on each operation's page.
    let mut expected = 0;
    let mut rps_drop = false;
    for s in changes["series"].as_array().unwrap() {
        let key = OperationKey::new(
            "api",
            match s["test_type"].as_str().unwrap() {
                "load" => TestType::Load,
                _ => TestType::Benchmark,
            },
            s["operation"].as_str().unwrap(),
        );
        let page = read(&paths::operation_page(&key, 1));
        let listed = list_items(&page, "events changes");
        for cp in s["change_points"].as_array().unwrap() {
            expected += 1;
            let label = format!(
                "{} {:+.1} % since {}",
                s["metric"].as_str().unwrap(),
                cp["magnitude_percent"].as_f64().unwrap(),
                &cp["sha"].as_str().unwrap()[..7]
            );
            assert!(
                listed.iter().any(|li| li.contains(&label)),
                "{key}: {label} not listed in {listed:#?}"
            );
            if s["metric"] == "rps" && cp["magnitude_percent"].as_f64().unwrap() < -20.0 {
                rps_drop = true;
                assert!(cp["regression"].as_bool().unwrap());
                let at = page.find(&label).unwrap();
                let strong = &page[at..page[at..].find("</li>").unwrap() + at];
                assert!(
                    strong.contains("class=\"worse\""),
                    "a throughput drop is coloured as a regression: {strong}"
                );
            }
        }
    }
    assert!(rps_drop, "analyze found the throughput drop: {changes:#}");
    let mut shown = 0;
    for op in 0..4 {
        for tt in [TestType::Benchmark, TestType::Load] {
            let key = OperationKey::new("api", tt, format!("GET /api/resource-{op:02}"));
            if let Ok(page) = std::fs::read_to_string(
                dir.path().join("site").join(paths::operation_page(&key, 1)),
            ) {
                shown += list_items(&page, "events changes").len();
            }
        }
    }
    assert_eq!(shown, expected, "no change point the CLI does not report");

    // The project's gates, not the defaults.
    let key = OperationKey::new("api", TestType::Benchmark, "GET /api/resource-00");
    let page = read(&paths::operation_page(&key, 1));
    assert!(page.contains("p95 &lt; 200ms"), "the project's p95 gate");
    assert!(!page.contains("500ms"), "no default 500 ms gate");

    // Run order on the x axis: the points of the minute-apart burst are spaced like the daily ones.
    let trend = &page[page.find("class=\"trend\"").unwrap()..];
    let pts: Vec<f64> = trend
        .match_indices("<circle cx=\"")
        .map(|(at, m)| {
            let rest = &trend[at + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect();
    assert!(pts.len() >= 60, "one point per run: {}", pts.len());
    let steps: Vec<f64> = pts
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .collect();
    let (lo, hi) = steps
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), d| (l.min(*d), h.max(*d)));
    assert!(
        hi - lo <= 1.0,
        "evenly spaced in run order: steps {lo}..{hi}"
    );

    // Commit links on the run's own server (GitHub Enterprise Server), never github.com.
    let run_page = read(&paths::run_page(&records[10].run_id, None));
    let sha = records[10].git.sha.clone().unwrap();
    assert!(
        run_page.contains(&format!(
            "href=\"https://ghe.example.com/perfgate/demo/commit/{sha}\""
        )),
        "commit link through the server URL"
    );
    assert!(!run_page.contains("https://github.com/"));

    // The compare page names its base as the analysis did and shows noise and detectable change per row.
    let compare = read(paths::COMPARE);
    assert!(
        base_label.starts_with("the last ") && compare.contains(&base_label),
        "base named {base_label:?}"
    );
    let head_sha = records[59].sha7().to_string();
    assert!(compare.contains(&format!("{head_sha} against {base_label}")));
    let noise = attr_after(&compare, "data-label=\"noise\"", "title");
    assert!(noise.len() >= 4, "one row per operation: {noise:?}");
    assert!(
        noise.iter().filter(|t| t.contains("history")).count() >= 4,
        "the benchmark rows are judged against the history: {noise:?}"
    );
    assert_eq!(compare.matches("class=\"num mdc\">").count(), noise.len());
    assert!(!compare.contains("class=\"num mdc\">not measured"));
}

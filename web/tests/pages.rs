//! Component tests on the rendered HTML: small sample histories, parsed with `scraper`, asserting structure,
//! relative links that resolve to files of the site, escaping of hostile names and texts, and pagination.

use std::collections::HashSet;

use perfgate_reports::record::TestType;
use perfgate_web::sample::{history, SampleSpec};
use perfgate_web::{build_site, paths, OperationKey, SiteError, SiteFile, SiteOptions};
use scraper::{Html, Selector};

fn site(spec: &SampleSpec) -> Vec<SiteFile> {
    build_site(&history(spec), &SiteOptions::default()).expect("site builds")
}

fn page<'a>(files: &'a [SiteFile], path: &str) -> &'a str {
    let f = files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"));
    std::str::from_utf8(&f.bytes).expect("utf-8")
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn hostile() -> SampleSpec {
    SampleSpec {
        runs: 12,
        operations: 4,
        histogram_runs: 3,
        hostile: true,
        compare: true,
    }
}

/// Resolves a relative link from the page at `from` to a site path (`None` for external or data links).
fn resolve(from: &str, href: &str) -> Option<String> {
    if href.starts_with("https://") || href.starts_with('#') || href.starts_with("data:") {
        return None;
    }
    assert!(
        !href.starts_with('/') && !href.contains("://"),
        "{from}: link {href} is not relative"
    );
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in href.split('/') {
        match seg {
            ".." => assert!(
                parts.pop().is_some(),
                "{from}: {href} climbs above the site root"
            ),
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[test]
fn every_relative_link_points_at_a_file_of_the_site() {
    let files = site(&hostile());
    let all: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut checked = 0;
    for f in files
        .iter()
        .filter(|f| f.path.ends_with(".html") && f.path != paths::NOT_FOUND)
    {
        let doc = Html::parse_document(std::str::from_utf8(&f.bytes).unwrap());
        for a in doc.select(&sel("a[href], link[href]")) {
            let href = a.value().attr("href").unwrap();
            if let Some(target) = resolve(&f.path, href) {
                assert!(
                    all.contains(target.as_str()),
                    "{}: {href} → {target} is not in the site",
                    f.path
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "only {checked} links checked");
}

#[test]
fn hostile_names_messages_and_errors_stay_text() {
    let files = site(&hostile());
    for f in files.iter().filter(|f| f.path.ends_with(".html")) {
        let html = std::str::from_utf8(&f.bytes).unwrap();
        assert!(
            !html.contains("<script>alert"),
            "{}: raw script from data",
            f.path
        );
        assert!(
            !html.contains("<img src=x"),
            "{}: raw img from data",
            f.path
        );
        assert!(!html.contains("<b>500</b>"), "{}: raw error sample", f.path);
        let doc = Html::parse_document(html);
        let scripts = doc.select(&sel("script")).count();
        assert_eq!(
            scripts,
            usize::from(f.path == paths::INDEX),
            "{}: only the index has a script",
            f.path
        );
        assert_eq!(
            doc.select(&sel("img, b, i")).count(),
            0,
            "{}: markup from data became elements",
            f.path
        );
    }
    let key = OperationKey::new("api", TestType::Benchmark, "<script>alert(1)</script>");
    let op = Html::parse_document(page(&files, &paths::operation_page(&key, 1)));
    let h1: String = op.select(&sel("h1")).next().unwrap().text().collect();
    assert_eq!(h1, "<script>alert(1)</script>");
    // Inside the SVG too: point tooltips carry the commit messages, escaped by the overlay.
    let titles: Vec<String> = op
        .select(&sel("svg a circle title"))
        .map(|t| t.text().collect())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("</p><img src=x onerror=alert(")),
        "{titles:?}"
    );
    let quoted = OperationKey::new("api", TestType::Benchmark, "a&b\"c");
    let op2 = Html::parse_document(page(&files, &paths::operation_page(&quoted, 1)));
    let label = op2
        .select(&sel("figure.chart svg.trend"))
        .next()
        .unwrap()
        .value()
        .attr("aria-label")
        .unwrap()
        .to_string();
    assert_eq!(label, "latency of a&b\"c over time");
    let run = Html::parse_document(page(&files, &paths::run_page("run-00003", None)));
    let errors: Vec<String> = run
        .select(&sel("td.msg[title]"))
        .map(|t| t.value().attr("title").unwrap().to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("<b>500</b>")),
        "error samples shown as text: {errors:?}"
    );
}

#[test]
fn index_lists_attention_first_then_every_operation_with_a_sparkline() {
    let spec = SampleSpec {
        runs: 20,
        operations: 5,
        histogram_runs: 2,
        hostile: false,
        compare: true,
    };
    let files = site(&spec);
    let doc = Html::parse_document(page(&files, paths::INDEX));
    let h2: Vec<String> = doc
        .select(&sel("main h2"))
        .map(|h| h.text().collect())
        .collect();
    assert_eq!(
        h2[..4],
        [
            "Regressions",
            "Recent change points",
            "Pull request",
            "Operations"
        ]
    );
    let reg: String = doc
        .select(&sel("ul.regressions li"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(
        reg.contains("GET /api/resource-00")
            && reg.contains("+30.0 %")
            && reg.contains("p < 0.001"),
        "{reg}"
    );
    let rows: Vec<_> = doc
        .select(&sel("table.ops tbody tr[data-filter]"))
        .collect();
    assert_eq!(rows.len(), 5 + 3, "5 benchmark + 3 load operations");
    for r in &rows {
        assert_eq!(r.select(&sel("svg.spark")).count(), 1);
        assert_eq!(r.select(&sel("td span.badge")).count(), 1);
        let filter = r.value().attr("data-filter").unwrap();
        assert_eq!(filter, filter.to_lowercase());
    }
    assert!(doc.select(&sel("input#filter")).next().is_some());
    let css = doc.select(&sel("link[rel=stylesheet]")).next().unwrap();
    assert_eq!(css.value().attr("href"), Some("site.css"));
}

#[test]
fn operation_pages_carry_markers_and_paginate_the_run_table() {
    let spec = SampleSpec {
        runs: 230,
        operations: 2,
        histogram_runs: 2,
        hostile: false,
        compare: false,
    };
    let input = history(&spec);
    let opts = SiteOptions {
        table_page_size: 100,
        max_chart_points: 60,
        ..SiteOptions::default()
    };
    let files = build_site(&input, &opts).unwrap();
    let key = &input.change_points[0].key;
    let p1 = Html::parse_document(page(&files, &paths::operation_page(key, 1)));
    let trend = p1.select(&sel("svg.trend")).next().expect("trend chart");
    assert_eq!(trend.select(&sel("line.cp")).count(), 1, "the change point");
    assert_eq!(
        trend.select(&sel("circle.reg")).count(),
        1,
        "the flagged regression survives downsampling"
    );
    let points = trend.select(&sel("circle.pt")).count();
    assert!(
        (50..=61).contains(&points),
        "downsampled to the limit plus forced points: {points}"
    );
    assert_eq!(
        p1.select(&sel("svg.metric")).count(),
        4,
        "rps, errors, memory, CPU"
    );
    assert_eq!(p1.select(&sel("table.runs tbody tr")).count(), 100);
    let newest: String = p1
        .select(&sel("table.runs tbody tr td a"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(newest.starts_with("2026-08"), "newest first: {newest}");
    let p3 = Html::parse_document(page(&files, &paths::operation_page(key, 3)));
    assert_eq!(p3.select(&sel("table.runs tbody tr")).count(), 30);
    assert_eq!(
        p3.select(&sel("svg")).count(),
        0,
        "older pages hold the table only"
    );
    assert!(files
        .iter()
        .all(|f| f.path != paths::operation_page(key, 4)));
}

#[test]
fn run_pages_show_load_stress_distribution_and_advice() {
    let spec = SampleSpec {
        runs: 25,
        operations: 4,
        histogram_runs: 1,
        hostile: false,
        compare: false,
    };
    let files = site(&spec);
    let last = Html::parse_document(page(&files, &paths::run_page("run-00024", None)));
    let h2: Vec<String> = last
        .select(&sel("main h2"))
        .map(|h| h.text().collect())
        .collect();
    for want in [
        "Benchmark",
        "Load",
        "Stress",
        "Latency distribution",
        "Recommendations",
        "Environment",
    ] {
        assert!(h2.iter().any(|h| h == want), "missing {want}: {h2:?}");
    }
    assert_eq!(last.select(&sel("svg.timeline")).count(), 2);
    let stress = last.select(&sel("svg.stress")).next().unwrap();
    assert_eq!(
        stress.select(&sel("line.bp")).count(),
        1,
        "breaking point marked"
    );
    // The USL fit: its sentence under the stress heading, and its curve in the legend when it fitted.
    let capacity: String = last
        .select(&sel("p.capacity"))
        .next()
        .expect("the capacity line")
        .text()
        .collect();
    assert!(capacity.starts_with("capacity (USL, R²"), "{capacity}");
    let legend: String = last
        .select(&sel("figure.chart"))
        .map(|f| f.text().collect::<String>())
        .collect();
    let fitted = history(&spec).records[24]
        .stress
        .as_ref()
        .and_then(|s| s.capacity.as_ref())
        .is_some_and(|c| c.is_fitted());
    assert!(fitted, "{capacity}");
    assert_eq!(legend.contains("USL fit"), fitted, "{capacity}");
    let dist = last.select(&sel("svg.dist")).next().unwrap().html();
    for tick in ["90%", "99%", "99.9%"] {
        assert!(dist.contains(tick), "log percentile axis tick {tick}");
    }
    let old = Html::parse_document(page(&files, &paths::run_page("run-00003", None)));
    let caption: String = old
        .select(&sel("figure.chart figcaption"))
        .next_back()
        .unwrap()
        .text()
        .collect();
    assert!(caption.contains("summary percentiles"), "{caption}");
}

#[test]
fn compare_orders_regressions_first_and_404_links_through_the_base_path() {
    let input = history(&hostile());
    let opts = SiteOptions {
        base_path: "/perf/".into(),
        ..SiteOptions::default()
    };
    let files = build_site(&input, &opts).unwrap();
    let doc = Html::parse_document(page(&files, paths::COMPARE));
    let verdicts: Vec<&str> = doc
        .select(&sel("table.compare tbody tr"))
        .map(|r| r.value().attr("data-verdict").unwrap())
        .collect();
    assert_eq!(verdicts.first(), Some(&"regressed"));
    assert_eq!(verdicts.get(1), Some(&"improved"));
    assert!(
        verdicts[2..].iter().all(|v| *v == "unchanged"),
        "{verdicts:?}"
    );
    let nf = Html::parse_document(page(&files, paths::NOT_FOUND));
    let hrefs: Vec<&str> = nf
        .select(&sel("a[href], link[rel=stylesheet]"))
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert!(
        hrefs.contains(&"/perf/") && hrefs.contains(&"/perf/site.css"),
        "{hrefs:?}"
    );

    let bad = SiteOptions {
        base_path: "perf\"><x".into(),
        ..SiteOptions::default()
    };
    assert!(matches!(
        build_site(&input, &bad),
        Err(SiteError::BasePath(_))
    ));
    let mut dup = input.clone();
    let first = dup.records[0].clone();
    dup.records.push(first);
    assert!(matches!(
        build_site(&dup, &SiteOptions::default()),
        Err(SiteError::DuplicateRun { .. })
    ));
}

#[test]
fn an_empty_history_still_builds_a_usable_site() {
    let files = build_site(&Default::default(), &SiteOptions::default()).unwrap();
    let index = page(&files, paths::INDEX);
    assert!(index.contains("no runs yet"));
    assert!(files.iter().any(|f| f.path == paths::runs_list_page(1)));
}

#[test]
fn allocation_charts_appear_only_where_a_harness_reported_them() {
    let spec = SampleSpec {
        runs: 12,
        operations: 2,
        histogram_runs: 0,
        hostile: false,
        compare: false,
    };
    let mut input = history(&spec);
    // Go's -benchmem on the first operation only: 48 B/op, 2 allocs/op, then 96 B/op, 3 allocs/op.
    for (i, r) in input.records.iter_mut().enumerate() {
        let op = &mut r.benchmark.as_mut().expect("benchmark").operations[0];
        let (b, a) = if i < 6 { (48.0, 2.0) } else { (96.0, 3.0) };
        op.extra_metrics.insert("bytes_per_op".into(), b);
        op.extra_metrics.insert("allocs_per_op".into(), a);
    }
    let names: Vec<String> = input.records[0]
        .benchmark
        .as_ref()
        .unwrap()
        .operations
        .iter()
        .map(|o| o.operation_name.clone())
        .collect();
    let files = build_site(&input, &SiteOptions::default()).unwrap();
    let charts = |name: &str| {
        let key = OperationKey::new(
            perfgate_web::sample::SUITE,
            TestType::Benchmark,
            name.to_string(),
        );
        let html = Html::parse_document(page(&files, &paths::operation_page(&key, 1)));
        let titles: Vec<String> = html
            .select(&sel("svg.metric"))
            .map(|svg| svg.text().collect::<String>())
            .collect();
        let text: String = html.root_element().text().collect();
        (titles.len(), text)
    };
    let (n, text) = charts(&names[0]);
    assert_eq!(n, 6, "rps, errors, memory, CPU, bytes/op, allocs/op");
    assert!(text.contains("Allocated (bytes/op)") && text.contains("Allocations (allocs/op)"));
    let (n, text) = charts(&names[1]);
    assert_eq!(n, 4, "no allocation charts for an operation without them");
    assert!(!text.contains("allocs/op"));
}

//! Scale evidence for the trend site: builds the site of 1,000 runs × 50 operations and prints how long it
//! took and how heavy the pages are.
//!
//! `cargo run --release -p perfgate-web --example site_scale [RUNS] [OPERATIONS] [OUT_DIR] [RUNS_DIR]`
//! (the target is < 5 s for the default size; with OUT_DIR the site is also written there to look at; with
//! RUNS_DIR the generated history is written there as a reports branch's `runs/YYYY/MM/*.json`, to time
//! `perfgate site build --reports RUNS_DIR` end to end).

use std::time::Instant;

use perfgate_web::sample::{history, SampleSpec};
use perfgate_web::{build_site, SiteOptions};

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let runs = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let operations = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let out = args.next();
    let runs_dir = args.next();

    let t = Instant::now();
    let spec = SampleSpec {
        runs,
        operations,
        histogram_runs: 20,
        hostile: false,
        compare: true,
    };
    let input = history(&spec);
    let generated = t.elapsed();

    let t = Instant::now();
    let files = match build_site(&input, &SiteOptions::default()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("site_scale: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let built = t.elapsed();

    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    let mut by_size: Vec<_> = files.iter().collect();
    by_size.sort_by_key(|f| std::cmp::Reverse(f.bytes.len()));
    println!("history: {runs} runs × {operations} operations (histograms kept for the newest {}), generated in {:.2} s", spec.histogram_runs, generated.as_secs_f64());
    println!(
        "site: {} files, {:.1} MB in total, built in {:.2} s",
        files.len(),
        total as f64 / 1e6,
        built.as_secs_f64()
    );
    for kind in [
        "index.html",
        "ops/",
        "run/run-",
        "run/index",
        "compare.html",
    ] {
        let of_kind: Vec<_> = files.iter().filter(|f| f.path.starts_with(kind)).collect();
        if let Some(max) = of_kind.iter().max_by_key(|f| f.bytes.len()) {
            println!(
                "  {kind:<12} {:>5} pages, largest {:>7.1} KB ({})",
                of_kind.len(),
                max.bytes.len() as f64 / 1e3,
                max.path
            );
        }
    }
    if let Some(f) = by_size.first() {
        println!(
            "largest page: {} ({:.1} KB)",
            f.path,
            f.bytes.len() as f64 / 1e3
        );
    }
    if let Some(dir) = runs_dir {
        for r in &input.records {
            let path = std::path::Path::new(&dir).join(perfgate_reports::layout::run_file_path(r));
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, r.to_json_pretty()));
            if let Err(e) = written {
                eprintln!("site_scale: {}: {e}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        }
        println!("wrote {} run files under {dir}", input.records.len());
    }
    if let Some(dir) = out {
        for f in &files {
            let path = std::path::Path::new(&dir).join(&f.path);
            if let Some(parent) = path.parent() {
                if let Err(e) = std::fs::create_dir_all(parent) {
                    eprintln!("site_scale: {}: {e}", parent.display());
                    return std::process::ExitCode::FAILURE;
                }
            }
            if let Err(e) = std::fs::write(&path, &f.bytes) {
                eprintln!("site_scale: {}: {e}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        }
        println!("written to {dir}");
    }
    std::process::ExitCode::SUCCESS
}

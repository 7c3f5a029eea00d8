//! `perfgate-web` renders perfgate's trend site: static HTML pages from run records, for GitHub Pages.
//!
//! The people reading it want to know which operation got slower, since which commit, by how much and how
//! sure — on a phone as well as a laptop. So the site is plain HTML and inline SVG: leptos components rendered
//! on the server with `to_html()`, charts drawn by plotters' SVG backend, one small stylesheet (light and dark
//! through `prefers-color-scheme`), a few lines of inline script for the filter box, no fonts, no CDN, no
//! request to anywhere. Every link is relative, so the same files work at `/` and under
//! `https://org.github.io/repo/`.
//!
//! This crate only renders: [`build_site`] takes records and the analysis's conclusions ([`SiteInput`], in
//! `perfgate-reports`' own types, computed by `perfgate_reports::site`) and returns [`SiteFile`]s; the caller
//! (`perfgate site build`, `perfgate publish`) writes them.
//!
//! Pages: `index.html` (attention first, then every operation), `ops/<op>.html` (trend and runs of one
//! operation, paginated as `-p2`, …), `run/<run>.html` (one run), `run/index.html` (all runs, paginated),
//! `compare.html` (a PR run against its baseline), `404.html`.

pub mod charts;
pub mod downsample;
pub mod format;
pub mod input;
pub mod model;
pub mod pages;
pub mod paths;
pub mod sample;

pub use input::{
    Comparison, ComparisonRow, FlaggedRegression, Gates, JudgedRun, MarkedChange, Metric,
    OperationKey, SiteError, SiteFile, SiteInput, SiteOptions, Verdict,
};

/// The stylesheet every page links to.
pub const CSS: &str = include_str!("../assets/site.css");

/// Renders the whole site.
pub fn build_site(input: &SiteInput, opts: &SiteOptions) -> Result<Vec<SiteFile>, SiteError> {
    check_base_path(&opts.base_path)?;
    let model = model::Model::build(input)?;
    let ctx = pages::Ctx {
        opts,
        has_compare: input.compare.is_some(),
        updated: model
            .runs
            .last()
            .map(|r| {
                format!(
                    "Newest run: {} UTC.",
                    format::date_time(&r.record.started_at)
                )
            })
            .unwrap_or_default(),
    };
    let mut files = Vec::new();
    let mut push = |path: String, html: String| {
        files.push(SiteFile {
            path,
            bytes: html.into_bytes(),
        })
    };
    push(paths::CSS.to_string(), CSS.to_string());
    push(".nojekyll".to_string(), String::new());
    push(
        paths::INDEX.to_string(),
        pages::index::render(&ctx, &model, input)?,
    );
    for s in model.series.values() {
        for (path, html) in pages::operation::render(&ctx, &model, s)? {
            push(path, html);
        }
    }
    for (path, html) in pages::runs::render(&ctx, &model) {
        push(path, html);
    }
    // Run pages are most of the work and independent of each other: render them on every core.
    for (path, html) in render_runs_parallel(&ctx, &model)? {
        push(path, html);
    }
    if let Some(c) = &input.compare {
        push(
            paths::COMPARE.to_string(),
            pages::compare::render(&ctx, &model, c),
        );
    }
    push(paths::NOT_FOUND.to_string(), pages::not_found::render(opts));
    Ok(files)
}

/// Every run page, rendered by one scoped thread per core over interleaved runs, returned in run order.
fn render_runs_parallel(
    ctx: &pages::Ctx<'_>,
    model: &model::Model<'_>,
) -> Result<Vec<(String, String)>, SiteError> {
    let n = model.runs.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, 8)
        .min(n.max(1));
    let render = |t: usize| -> Result<Vec<(usize, String)>, SiteError> {
        (t..n)
            .step_by(threads)
            .map(|i| Ok((i, pages::run::render(ctx, model, i)?)))
            .collect()
    };
    let parts: Vec<Result<Vec<(usize, String)>, SiteError>> = if threads == 1 {
        vec![render(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| scope.spawn(move || render(t)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    let mut pages_by_run: Vec<Option<String>> = vec![None; n];
    for part in parts {
        for (i, html) in part? {
            pages_by_run[i] = Some(html);
        }
    }
    Ok(pages_by_run
        .into_iter()
        .enumerate()
        .filter_map(|(i, html)| html.map(|h| (model.runs[i].page.clone(), h)))
        .collect())
}

/// A base path is `/` or `/segment/…/`, of URL-safe characters.
fn check_base_path(p: &str) -> Result<(), SiteError> {
    let ok = p.starts_with('/')
        && p.ends_with('/')
        && !p.contains("//")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'));
    if ok {
        Ok(())
    } else {
        Err(SiteError::BasePath(p.to_string()))
    }
}

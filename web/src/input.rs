//! What the site is built from, and what it returns.
//!
//! The site renders; it does not analyse. Run records come in already loaded, with the analysis's conclusions
//! in `perfgate-reports`' own types ([`SiteInput`], computed by `perfgate_reports::site::site_input`: change
//! points, flagged regressions, the judged run of the compare page, the project's gates), re-exported here.
//! The caller writes the returned [`SiteFile`]s wherever it wants.

pub use perfgate_reports::analysis::{Comparison, ComparisonRow, Verdict};
pub use perfgate_reports::gates::Gates;
pub use perfgate_reports::metric::Metric;
pub use perfgate_reports::site::{
    FlaggedRegression, JudgedRun, MarkedChange, OperationKey, SiteInput,
};

/// How to render.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteOptions {
    /// Shown in every page's title and header.
    pub title: String,
    /// The URL path the site is served under (`/` or `/repo/`). Pages link relatively and do not need it;
    /// only `404.html`, which GitHub Pages serves at any missing path, links absolutely through it.
    pub base_path: String,
    /// Runs drawn in each index sparkline.
    pub sparkline_runs: usize,
    /// Most points a trend chart draws; longer series are downsampled (the shape and the extremes are kept).
    pub max_chart_points: usize,
    /// Rows per page of a run table.
    pub table_page_size: usize,
    /// Most operations drawn in one run page's latency distribution chart.
    pub max_distribution_series: usize,
}

impl Default for SiteOptions {
    fn default() -> Self {
        Self {
            title: "perfgate".to_string(),
            base_path: "/".to_string(),
            sparkline_runs: 30,
            max_chart_points: 200,
            table_page_size: 100,
            max_distribution_series: 6,
        }
    }
}

/// One file of the built site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFile {
    /// Relative path with `/` separators (`index.html`, `ops/get-users-1a2b3c4d.html`).
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Why a site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("drawing the {chart} chart for {page} failed: {message}")]
    Chart {
        chart: &'static str,
        page: String,
        message: String,
    },
    #[error("two run records share the run id \"{run_id}\" (and shard); run ids must be unique")]
    DuplicateRun { run_id: String },
    #[error("base path \"{0}\" must start and end with '/' (e.g. \"/\" or \"/repo/\")")]
    BasePath(String),
}

//! What the site is built from, and what it returns.
//!
//! The site renders; it does not analyse. Run records come in already loaded, and the analysis's conclusions
//! (change points, flagged regressions, a comparison of a PR run against its baseline, recommendations) come in
//! as the small plain structs below, so that the renderer does not depend on how the analysis computes them.
//! The caller maps its own types onto these and writes the returned [`SiteFile`]s wherever it wants.

use perfgate_reports::record::TestType;
use perfgate_reports::RunRecord;

/// Everything a site is rendered from.
#[derive(Clone, Debug, Default)]
pub struct SiteInput {
    /// Every run to show, in any order (the site sorts them by start time).
    pub records: Vec<RunRecord>,
    /// Change points the analysis found in an operation's series.
    pub change_points: Vec<ChangePoint>,
    /// Significant regressions the analysis flagged.
    pub regressions: Vec<FlaggedRegression>,
    /// A PR run against its baseline, rendered as `compare.html`.
    pub compare: Option<Comparison>,
    /// Advice for a run, shown on that run's page.
    pub recommendations: Vec<Recommendation>,
}

/// Identifies one series of the history: an operation of a suite under one schedule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationKey {
    pub suite: String,
    pub test_type: TestType,
    pub operation: String,
}

impl OperationKey {
    pub fn new(
        suite: impl Into<String>,
        test_type: TestType,
        operation: impl Into<String>,
    ) -> Self {
        Self {
            suite: suite.into(),
            test_type,
            operation: operation.into(),
        }
    }
}

impl std::fmt::Display for OperationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} / {} / {}",
            self.suite, self.test_type, self.operation
        )
    }
}

/// A step change in an operation's series, starting at `run_id` (the first run after the change).
#[derive(Clone, Debug, PartialEq)]
pub struct ChangePoint {
    pub key: OperationKey,
    pub run_id: String,
    /// Which metric changed, e.g. `p95`.
    pub metric: String,
    /// Typical value of the metric before and after the change.
    pub before: f64,
    pub after: f64,
    /// Relative change in percent (`+23.0` = 23 % higher).
    pub magnitude_percent: f64,
    /// How sure the analysis is (smaller is surer), when it computed one.
    pub p_value: Option<f64>,
    /// A short human label, e.g. "p95 +23 % since 1a2b3c4".
    pub label: String,
}

/// A regression the analysis flagged as significant for one run of an operation.
#[derive(Clone, Debug, PartialEq)]
pub struct FlaggedRegression {
    pub key: OperationKey,
    pub run_id: String,
    pub metric: String,
    pub before: f64,
    pub after: f64,
    pub magnitude_percent: f64,
    pub p_value: Option<f64>,
    pub label: String,
}

/// A head run compared with its base, with one verdict per operation (the rows of the PR comment).
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub base: RunRecord,
    pub head: RunRecord,
    pub rows: Vec<CompareRow>,
}

/// The verdict on one operation of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    /// In the head run only.
    New,
    /// In the base run only.
    Missing,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::New => "new",
            Verdict::Missing => "missing",
        }
    }
}

/// One row of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    pub key: OperationKey,
    pub verdict: Verdict,
    /// The metric the verdict is about, e.g. `p95`.
    pub metric: String,
    pub base_value: Option<f64>,
    pub head_value: Option<f64>,
    /// `(head - base) / base` in percent, when both exist.
    pub delta_percent: Option<f64>,
    pub p_value: Option<f64>,
    /// Extra words for the reader ("within noise", "gate p95 ≤ 500 ms failed").
    pub note: Option<String>,
}

/// One piece of advice for a run (the analysis's `recommendations[{type, severity, message, suggestions[]}]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    pub run_id: String,
    pub operation: Option<String>,
    pub kind: String,
    pub severity: String,
    pub message: String,
    pub suggestions: Vec<String>,
}

/// Thresholds that decide an operation's status on the index when no regression is flagged.
/// The defaults are perfgate's default gates.
#[derive(Clone, Debug, PartialEq)]
pub struct Gates {
    pub max_p95_ms: f64,
    pub max_error_percent: f64,
    pub min_rps: f64,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            max_p95_ms: 500.0,
            max_error_percent: 5.0,
            min_rps: 10.0,
        }
    }
}

/// How to render.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteOptions {
    /// Shown in every page's title and header.
    pub title: String,
    /// The URL path the site is served under (`/` or `/repo/`). Pages link relatively and do not need it;
    /// only `404.html`, which GitHub Pages serves at any missing path, links absolutely through it.
    pub base_path: String,
    pub gates: Gates,
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
            gates: Gates::default(),
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

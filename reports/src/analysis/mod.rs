//! Analysis: everything that judges a run. `reports/ANALYSIS.md` gives the method and the measured detection.
//!
//! * [`compare`] — two runs row by row, with direction, threshold and noise floor, and the verdict vocabulary
//!   (regressed, improved, unchanged, new, missing);
//! * [`baseline`] — a run against the history of its branch (prediction intervals, Benjamini–Hochberg,
//!   minimum detectable change);
//! * [`changepoint`] and [`trend`] — change points of a series and of a whole history;
//! * [`ab`] — interleaved A/B trials (paired t-test on the trial pairs);
//! * [`judge`](mod@judge) — **the verdict**: [`judge()`], the one entry point that judges a record
//!   (acknowledgements, gates, recommendations, status) from one [`JudgeSettings`];
//! * [`section`] — the types the record stores about its verdict ([`AnalysisSection`]);
//! * [`acknowledge`] — known regressions that warn until a date;
//! * [`optimizer`] — per-operation status and evidence-led recommendations;
//! * [`crate::gates`] — absolute limits (`p95 < 500ms`);
//! * [`significance`], [`series`], [`rng`] — the building blocks; [`eval`] — the evaluation harness;
//!
//! and [`analyze`], the inner step of [`judge()`], which puts gates and optimizer together into the
//! [`AnalysisSection`] stored in the run record's `analysis` field, with one overall status: `pass`, `warn` or
//! `fail`. Callers judge through [`judge()`]; `analyze` stays public for the library API until it calls it.
//!
//! This file only declares and re-exports; it holds no code, so no submodule imports it.

pub mod ab;
pub mod acknowledge;
pub mod baseline;
pub mod changepoint;
pub mod compare;
pub mod comparison;
pub mod eval;
pub mod judge;
pub mod optimizer;
pub mod rng;
pub mod section;
pub mod series;
pub mod significance;
pub mod trend;

pub use ab::{compare_trials, TrialSettings};
pub use acknowledge::{apply_acknowledgements, AckOutcome, Acknowledgement};
pub use baseline::{compare_with_history, HistorySettings};
pub use changepoint::ChangePointSettings;
pub use compare::{compare_runs, CompareSettings, Comparison, ComparisonRow, Verdict};
pub use judge::{analyze, judge, JudgeSettings, Judgement};
pub use optimizer::{
    optimize, OperationAnalysis, OptimizerSettings, Recommendation, RecommendationType, Severity,
    Status,
};
pub use section::{AnalysisSection, OverallStatus};
pub use trend::{analyze_history, HistoryChanges};

//! The reports branch: perfgate's database of runs, kept in git.
//!
//! Layout (see [`perfgate_reports::layout`]): one immutable file per run under `runs/YYYY/MM/`, and derived
//! files (`index.json`, the trend site) at the root, regenerated from the run files on every change and never
//! appended to. Because every publisher writes a file nobody else writes, concurrent publishers can only race
//! on the derived files, which the loser simply regenerates on the winner's tip.
//!
//! - [`publish()`] adds a run (and applies retention), [`regenerate()`] only re-derives;
//! - [`load_history`] / [`load_history_dir`] read a branch or a folder into a [`perfgate_reports::History`];
//! - [`fetch_baseline()`] fetches the reports branch and picks the base branch's last runs for a PR.
//!
//! All git work goes through [`git::Git`]; every message passes through [`redact::redact`].

pub mod derived;
pub mod error;
pub mod fetch_baseline;
pub mod git;
pub mod history;
pub mod publish;
pub mod redact;
pub mod remote;

pub use derived::{DerivedFile, SiteHook};
pub use error::BranchError;
pub use fetch_baseline::{fetch_baseline, Baseline, FetchBaselineOptions};
pub use history::{
    fetch_reports_branch, load_history, load_history_dir, load_history_dir_bounded,
    load_history_dir_with, load_history_with, resolve_reports_rev,
};
pub use perfgate_reports::history::Histograms;
pub use publish::{publish, regenerate, LocalBranch, PublishOptions, PublishOutcome};

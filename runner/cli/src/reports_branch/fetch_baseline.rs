//! The baseline of a pull request: the base branch's last runs on the reports branch, on the same kind of
//! machine.
//!
//! The PR flow needs a handful of run files, not the branch's history: one shallow, single-branch fetch of the
//! reports branch's tip (`--depth=1` in shallow CI checkouts, no tags, no submodules), then `index.json` says
//! which run files belong to the base branch with the same environment fingerprint (and suite), and only the
//! last N of those are read — and written to `out_dir` when asked, so later steps and artifacts can use them
//! as plain files. A branch without an index (written by an old perfgate, or damaged) falls back to reading
//! every run file. A missing reports branch is not an error: the first PR of a project has no baseline.

use std::path::PathBuf;

use perfgate_reports::history::HistoryFilter;
use perfgate_reports::layout::{is_run_file, INDEX_FILE};
use perfgate_reports::{History, Index};

use super::error::BranchError;
use super::git::Git;
use super::publish::DEFAULT_BRANCH;
use super::remote::fetch_tip;

/// Default number of base-branch runs to fetch.
pub const DEFAULT_BASELINE_RUNS: usize = 20;

/// What to fetch.
#[derive(Clone, Debug)]
pub struct FetchBaselineOptions {
    /// A directory inside the repository.
    pub repo: PathBuf,
    /// Remote to fetch from; `None` reads the local reports branch without fetching.
    pub remote: Option<String>,
    /// The reports branch (`perf-reports`).
    pub branch: String,
    /// The code branch whose runs form the baseline (`main`).
    pub base: String,
    /// Only runs with this environment fingerprint (the current machine's) — `None` keeps all.
    pub fingerprint: Option<String>,
    /// Only runs of this suite — `None` keeps all.
    pub suite: Option<String>,
    /// How many of the newest matching runs to keep.
    pub runs: usize,
    /// Write the selected run files here (keeping their `runs/YYYY/MM/…` paths).
    pub out_dir: Option<PathBuf>,
}

impl FetchBaselineOptions {
    /// Defaults: remote `origin`, branch `perf-reports`, the last 20 runs, any fingerprint and suite.
    pub fn new(repo: impl Into<PathBuf>, base: impl Into<String>) -> FetchBaselineOptions {
        FetchBaselineOptions {
            repo: repo.into(),
            remote: Some("origin".into()),
            branch: DEFAULT_BRANCH.into(),
            base: base.into(),
            fingerprint: None,
            suite: None,
            runs: DEFAULT_BASELINE_RUNS,
            out_dir: None,
        }
    }
}

/// The selected runs.
#[derive(Clone, Debug)]
pub struct Baseline {
    /// The reports branch tip that was read; `None` when the branch does not exist (yet).
    pub commit: Option<String>,
    /// The selected runs, oldest first, with any selected file that could not be read in `skipped`.
    pub history: History,
    /// Files written to `out_dir`.
    pub written: Vec<PathBuf>,
    /// False when `index.json` was missing or unreadable and every run file was read instead.
    pub used_index: bool,
}

/// Fetches the reports branch and selects the baseline runs. See the module documentation.
pub fn fetch_baseline(opts: &FetchBaselineOptions) -> Result<Baseline, BranchError> {
    let git = Git::new(&opts.repo);
    let shallow = git.run(&["rev-parse", "--is-shallow-repository"])? == "true";
    let tip = match &opts.remote {
        Some(remote) => fetch_tip(&git, remote, &opts.branch, shallow)?,
        None => git.resolve_commit(&format!("refs/heads/{}", opts.branch))?,
    };
    let Some(tip) = tip else {
        return Ok(Baseline {
            commit: None,
            history: History::default(),
            written: Vec::new(),
            used_index: false,
        });
    };
    let filter = HistoryFilter {
        branch: Some(opts.base.clone()),
        fingerprint: opts.fingerprint.clone(),
        suite: opts.suite.clone(),
    };

    let index = git
        .read_objects(&[format!("{tip}:{INDEX_FILE}")])?
        .pop()
        .flatten()
        .and_then(|bytes| Index::from_json_slice(&bytes, INDEX_FILE).ok());
    let used_index = index.is_some();
    let paths: Vec<String> = match &index {
        Some(index) => {
            let selected: Vec<&str> = index
                .select(
                    Some(opts.base.as_str()),
                    opts.fingerprint.as_deref(),
                    opts.suite.as_deref(),
                )
                .map(|e| e.path.as_str())
                .collect();
            selected[selected.len().saturating_sub(opts.runs)..]
                .iter()
                .map(|p| p.to_string())
                .collect()
        }
        None => git
            .list_tree(&tip)?
            .into_iter()
            .filter(|e| is_run_file(&e.path))
            .map(|e| e.path)
            .collect(),
    };
    let names: Vec<String> = paths.iter().map(|p| format!("{tip}:{p}")).collect();
    let blobs = git.read_objects(&names)?;
    let all = History::from_files(
        paths
            .into_iter()
            .zip(blobs)
            .map(|(p, b)| (p, b.unwrap_or_default())),
    );
    let mut history = all.filtered(&filter);
    let keep_from = history.runs.len().saturating_sub(opts.runs);
    history.runs.drain(..keep_from);

    let mut written = Vec::new();
    if let Some(out) = &opts.out_dir {
        for run in &history.runs {
            let dest = out.join(&run.path);
            let io = |e: std::io::Error| BranchError::Io {
                path: dest.display().to_string(),
                detail: e.to_string(),
            };
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&dest, run.record.to_json_pretty()).map_err(io)?;
            written.push(dest);
        }
    }
    Ok(Baseline {
        commit: Some(tip),
        history,
        written,
        used_index,
    })
}

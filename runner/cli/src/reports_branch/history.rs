//! Reading history: the run files of a reports branch (from git objects, nothing checked out) or of a plain
//! folder, parsed by [`perfgate_reports::history::parse_run_file`]; [`History`] sorts them and names what it
//! skips.

use std::path::Path;

use perfgate_reports::history::{parse_run_file, Histograms, Skipped};
use perfgate_reports::layout::{is_run_file, RUNS_DIR};
use perfgate_reports::History;

use super::error::BranchError;
use super::git::Git;

/// The revision to read a reports branch from: the remote-tracking branch when there is one (publish and
/// fetch keep it current), else the local branch. `None` when neither exists.
pub fn resolve_reports_rev(
    repo: &Path,
    branch: &str,
    remote: Option<&str>,
) -> Result<Option<String>, BranchError> {
    let git = Git::new(repo);
    if let Some(remote) = remote {
        let tracking = super::remote::tracking_ref(&git, remote, branch)?;
        if let Some(c) = git.resolve_commit(&tracking)? {
            return Ok(Some(c));
        }
    }
    Ok(git.resolve_commit(&format!("refs/heads/{branch}"))?)
}

/// Fetches the reports branch from `remote` (one commit deep in a shallow repository) into its tracking ref;
/// returns the tip, or `None` when the remote has no such branch.
pub fn fetch_reports_branch(
    repo: &Path,
    remote: &str,
    branch: &str,
) -> Result<Option<String>, BranchError> {
    let git = Git::new(repo);
    let shallow = git.run(&["rev-parse", "--is-shallow-repository"])? == "true";
    Ok(super::remote::fetch_tip(&git, remote, branch, shallow)?)
}

/// Every run file under `runs/` of `rev` in the repository at `repo`, histograms decoded.
pub fn load_history(repo: &Path, rev: &str) -> Result<History, BranchError> {
    load_history_with(repo, rev, Histograms::Keep)
}

/// [`load_history`], choosing whether to decode the histograms (skipping them is several times faster when
/// only the summary numbers are needed: tables, series, the index).
pub fn load_history_with(
    repo: &Path,
    rev: &str,
    histograms: Histograms,
) -> Result<History, BranchError> {
    let git = Git::new(repo);
    let commit = git
        .resolve_commit(rev)?
        .ok_or_else(|| BranchError::MissingBranch(rev.to_string()))?;
    let entries: Vec<_> = git
        .list_tree(&commit)?
        .into_iter()
        .filter(|e| is_run_file(&e.path))
        .collect();
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let blobs = git.read_objects(&ids)?;
    Ok(History::from_parsed(entries.into_iter().zip(blobs).map(
        |(e, b)| {
            let parsed = parse_run_file(&e.path, &b.unwrap_or_default(), histograms);
            (e.path, parsed)
        },
    )))
}

/// Every `*.json` file under `dir/runs` (or under `dir` when it has no `runs/` folder), with paths relative
/// to `dir`, histograms decoded. Unreadable files are named in `skipped`.
pub fn load_history_dir(dir: &Path) -> Result<History, BranchError> {
    load_history_dir_with(dir, Histograms::Keep)
}

/// [`load_history_dir`], choosing whether to decode the histograms.
pub fn load_history_dir_with(dir: &Path, histograms: Histograms) -> Result<History, BranchError> {
    let (files, unreadable) = read_run_files(dir)?;
    let history = History::from_parsed(files.into_iter().map(|(path, bytes)| {
        let parsed = parse_run_file(&path, &bytes, histograms);
        (path, parsed)
    }));
    Ok(with_unreadable(history, unreadable))
}

/// [`load_history_dir`], decoding latency histograms only for the newest `histogram_runs` runs (see
/// [`History::from_files_bounded`]); `None` keeps them all.
pub fn load_history_dir_bounded(
    dir: &Path,
    histogram_runs: Option<usize>,
) -> Result<History, BranchError> {
    let (files, unreadable) = read_run_files(dir)?;
    let history = History::from_files_bounded(files, histogram_runs);
    Ok(with_unreadable(history, unreadable))
}

/// The bytes of every run file under `dir` (see [`load_history_dir`]) and the files that could not be read.
/// `(path, bytes)` of each readable run file.
type RunFiles = Vec<(String, Vec<u8>)>;

fn read_run_files(dir: &Path) -> Result<(RunFiles, Vec<Skipped>), BranchError> {
    if !dir.is_dir() {
        return Err(BranchError::Io {
            path: dir.display().to_string(),
            detail: "not a directory".into(),
        });
    }
    let root = if dir.join(RUNS_DIR).is_dir() {
        dir.join(RUNS_DIR)
    } else {
        dir.to_path_buf()
    };
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    collect_json(dir, &root, &mut files, &mut unreadable);
    Ok((files, unreadable))
}

fn with_unreadable(mut history: History, unreadable: Vec<Skipped>) -> History {
    history.skipped.extend(unreadable);
    history.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    history
}

fn collect_json(
    base: &Path,
    dir: &Path,
    files: &mut Vec<(String, Vec<u8>)>,
    unreadable: &mut Vec<Skipped>,
) {
    let rel = |p: &Path| {
        p.strip_prefix(base)
            .unwrap_or(p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let (paths, unlisted) = json_paths(dir);
    for (path, e) in unlisted {
        unreadable.push(Skipped {
            path: rel(&path),
            reason: format!("{}: cannot list: {e}", rel(&path)),
        });
    }
    for path in paths {
        match std::fs::read(&path) {
            Ok(bytes) => files.push((rel(&path), bytes)),
            Err(e) => unreadable.push(Skipped {
                path: rel(&path),
                reason: format!("{}: cannot read: {e}", rel(&path)),
            }),
        }
    }
}

/// Every `*.json` file under `dir` (recursively, sorted), and the folders that could not be listed: the one
/// walker of run-file folders (the history loader reads them, `site serve` watches them).
pub fn json_paths(
    dir: &Path,
) -> (
    Vec<std::path::PathBuf>,
    Vec<(std::path::PathBuf, std::io::Error)>,
) {
    let (mut files, mut unlisted) = (Vec::new(), Vec::new());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                unlisted.push((d, e));
                continue;
            }
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    unlisted.sort_by(|a, b| a.0.cmp(&b.0));
    (files, unlisted)
}

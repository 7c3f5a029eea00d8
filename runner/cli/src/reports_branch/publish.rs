//! Publishing a run to the reports branch without touching the user's checkout.
//!
//! The publisher never checks anything out. It works with git plumbing in the user's repository: blobs are
//! written with `hash-object`, the new tree is assembled in a *private* index file (`GIT_INDEX_FILE` in a
//! temporary directory) with `read-tree` + `update-index --index-info` + `write-tree`, the commit is made with
//! `commit-tree`. HEAD, the user's index, the working tree and every other branch stay exactly as they were;
//! the only changes to the repository are new objects, the remote-tracking ref of the reports branch and
//! (fast-forward only, when it is not checked out anywhere) the local reports branch.
//!
//! One attempt = fetch the tip → add the one new run file → apply retention → regenerate `index.json` and the
//! site from the run files of that tip → commit → push with a lease on the tip. A lost race (another
//! publisher pushed first) starts the next attempt on the new tip after a jittered, growing pause, so N
//! concurrent publishers all land. Publishing the same record twice is a no-op the second time, which makes
//! a rerun after a killed publisher safe whether or not its push had landed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use perfgate_reports::history::{parse_run_file, Histograms, Skipped};
use perfgate_reports::layout::{is_run_file, run_file_bytes, run_file_path, INDEX_FILE};
use perfgate_reports::retention::{files_to_prune, RetentionPolicy};
use perfgate_reports::{History, Index, RunRecord};
use rand::{Rng as _, SeedableRng as _};

use super::derived::{check_derived_path, manifest_bytes, parse_manifest, SiteHook, MANIFEST_FILE};
use super::error::BranchError;
use super::git::{Git, TreeEntry};
use super::remote::{fetch_tip, push, PushResult};

/// The default name of the reports branch.
pub const DEFAULT_BRANCH: &str = "perf-reports";
/// Default bound on attempts when concurrent publishers keep winning the race.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 12;

/// Where and how to publish.
#[derive(Clone)]
pub struct PublishOptions {
    /// A directory inside the repository (work tree or bare).
    pub repo: PathBuf,
    /// The reports branch (`perf-reports`).
    pub branch: String,
    /// The remote to push to (a remote name or a URL); `None` publishes to the local branch only.
    pub remote: Option<String>,
    /// Replaces the first line of the commit message.
    pub message: Option<String>,
    pub retention: RetentionPolicy,
    /// Regenerates the site (or any other derived files) from the history; `None` writes `index.json` only.
    pub site: Option<Arc<dyn SiteHook>>,
    /// Latency histograms are decoded for the newest this many runs only (the history a hook sees); `None`
    /// decodes them all. A decoded histogram takes ~190 KB, so a long history must bound them.
    pub histogram_runs: Option<usize>,
    pub max_attempts: u32,
    /// Pause before the second attempt; it doubles per attempt up to `max_backoff`, with jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// The clock for retention (`max_age_days`); `None` reads the system clock.
    pub now: Option<DateTime<Utc>>,
}

impl PublishOptions {
    /// Defaults: branch `perf-reports`, remote `origin`, no retention, no site hook.
    pub fn new(repo: impl Into<PathBuf>) -> PublishOptions {
        PublishOptions {
            repo: repo.into(),
            branch: DEFAULT_BRANCH.to_string(),
            remote: Some("origin".to_string()),
            message: None,
            retention: RetentionPolicy::default(),
            site: None,
            histogram_runs: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            now: None,
        }
    }
}

impl std::fmt::Debug for PublishOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishOptions")
            .field("repo", &self.repo)
            .field("branch", &self.branch)
            .field("remote", &self.remote.as_deref().map(super::redact::redact))
            .field("retention", &self.retention)
            .field("site", &self.site.is_some())
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// What happened to the local branch after a publish.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalBranch {
    /// Created or fast-forwarded to the published commit.
    Updated,
    /// Left alone: it is checked out in this worktree.
    CheckedOut(String),
    /// Left alone: it has commits the published tip does not contain.
    Diverged,
}

/// The result of a publish (or a regeneration).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PublishOutcome {
    /// Branch-relative path of the run file (`None` for a regeneration).
    pub path: Option<String>,
    /// The branch tip after the operation.
    pub commit: String,
    /// How many attempts it took (1 without contention).
    pub attempts: u32,
    /// The branch did not exist before.
    pub created_branch: bool,
    /// Nothing was pushed: the run was already on the branch (or a regeneration changed nothing).
    pub unchanged: bool,
    /// Run files removed by retention.
    pub pruned: Vec<String>,
    /// Files under `runs/` that could not be read (they stay on the branch and are listed in `index.json`).
    pub skipped: Vec<Skipped>,
    /// Readable runs on the branch after the operation.
    pub runs_on_branch: usize,
    pub local_branch: LocalBranch,
}

/// Publishes one run record: writes `runs/YYYY/MM/<timestamp>-<sha7>-<runid>.json`, regenerates the derived
/// files and pushes, retrying on lost races. See the module documentation.
pub fn publish(record: &RunRecord, opts: &PublishOptions) -> Result<PublishOutcome, BranchError> {
    if let Some(shard) = record.shard {
        return Err(BranchError::UnmergedShard {
            index: shard.index,
            total: shard.total,
        });
    }
    if let Some(why) = &record.incomplete {
        return Err(BranchError::IncompleteRun(why.clone()));
    }
    let bytes = run_file_bytes(record);
    let path = run_file_path(record);
    update_branch(
        opts,
        Some(NewRun {
            path,
            bytes,
            record,
        }),
    )
}

/// Re-applies retention and regenerates the derived files on the current tip (after the site renderer
/// changed, or to prune without publishing). Pushes only when something changed.
pub fn regenerate(opts: &PublishOptions) -> Result<PublishOutcome, BranchError> {
    update_branch(opts, None)
}

/// Run files parsed so far, by (path, blob id).
type ParseCache = HashMap<(String, String), Result<RunRecord, Skipped>>;

struct NewRun<'a> {
    path: String,
    bytes: Vec<u8>,
    record: &'a RunRecord,
}

/// The outcome of building a commit on one base.
enum Built {
    /// The change is already there.
    Unchanged,
    Commit {
        commit: String,
        pruned: Vec<String>,
        skipped: Vec<Skipped>,
        runs: usize,
    },
}

fn update_branch(
    opts: &PublishOptions,
    new_run: Option<NewRun<'_>>,
) -> Result<PublishOutcome, BranchError> {
    let git = open_repo(opts)?;
    let shallow = git.run(&["rev-parse", "--is-shallow-repository"])? == "true";
    let local_ref = format!("refs/heads/{}", opts.branch);
    let checked_out = checked_out_in(&git, &local_ref)?;
    if opts.remote.is_none() {
        if let Some(worktree) = &checked_out {
            return Err(BranchError::BranchCheckedOut {
                branch: opts.branch.clone(),
                worktree: worktree.clone(),
            });
        }
    }
    let new_blob = match &new_run {
        Some(run) => Some(git.write_blob(&run.bytes)?),
        None => None,
    };
    let now = opts.now.unwrap_or_else(Utc::now);
    let mut cache: ParseCache = HashMap::new();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(jitter_seed());
    let mut last_loss = String::new();
    let max_attempts = opts.max_attempts.max(1);
    for attempt in 1..=max_attempts {
        if attempt > 1 {
            std::thread::sleep(backoff(opts, attempt, &mut rng));
        }
        let local_tip = git.resolve_commit(&local_ref)?;
        // What the push must find on the remote (compare-and-swap), and what the new commit builds on: the
        // remote is the source of truth; a local-only branch seeds a remote that has none yet.
        let (expected, base) = match &opts.remote {
            Some(remote) => match fetch_tip(&git, remote, &opts.branch, shallow) {
                Ok(tip) => (tip.clone(), tip.or(local_tip.clone())),
                // Another publisher in this same repository is updating the tracking ref right now.
                Err(e) if is_local_ref_race(&e) => {
                    last_loss = e.to_string();
                    continue;
                }
                Err(e) => return Err(e.into()),
            },
            None => (local_tip.clone(), local_tip.clone()),
        };
        let built = build_commit(
            &git,
            opts,
            base.as_deref(),
            new_run.as_ref().zip(new_blob.as_deref()),
            now,
            &mut cache,
        )?;
        let (commit, pruned, skipped, runs) = match built {
            Built::Unchanged => {
                let commit = base.clone().unwrap_or_default();
                let runs = count_runs(&git, base.as_deref())?;
                let local_branch = update_local(
                    &git,
                    &local_ref,
                    local_tip.as_deref(),
                    &commit,
                    &checked_out,
                )?;
                return Ok(PublishOutcome {
                    path: new_run.as_ref().map(|r| r.path.clone()),
                    commit,
                    attempts: attempt,
                    created_branch: false,
                    unchanged: true,
                    pruned: Vec::new(),
                    skipped: Vec::new(),
                    runs_on_branch: runs,
                    local_branch,
                });
            }
            Built::Commit {
                commit,
                pruned,
                skipped,
                runs,
            } => (commit, pruned, skipped, runs),
        };
        let landed = match &opts.remote {
            Some(remote) => match push(&git, remote, &opts.branch, &commit, expected.as_deref())? {
                PushResult::Pushed => true,
                PushResult::Lost(reason) => {
                    last_loss = reason;
                    false
                }
            },
            None => {
                // Compare-and-swap on the local branch: another local publisher may have moved it.
                let old = local_tip.clone().unwrap_or_else(|| "0".repeat(40));
                let out = git.output(
                    &[
                        "update-ref",
                        "-m",
                        "perfgate publish",
                        &local_ref,
                        &commit,
                        &old,
                    ],
                    None,
                )?;
                if !out.success {
                    last_loss = out.stderr;
                }
                out.success
            }
        };
        if !landed {
            continue;
        }
        let local_branch = match &opts.remote {
            Some(_) => update_local(
                &git,
                &local_ref,
                local_tip.as_deref(),
                &commit,
                &checked_out,
            )?,
            None => LocalBranch::Updated,
        };
        return Ok(PublishOutcome {
            path: new_run.as_ref().map(|r| r.path.clone()),
            commit,
            attempts: attempt,
            created_branch: expected.is_none(),
            unchanged: false,
            pruned,
            skipped,
            runs_on_branch: runs,
            local_branch,
        });
    }
    Err(BranchError::GaveUp {
        attempts: max_attempts,
        last: last_loss,
    })
}

/// A fetch that failed only because a concurrent process held the lock of the local tracking ref.
fn is_local_ref_race(e: &super::git::GitError) -> bool {
    let msg = e.to_string();
    msg.contains("cannot lock ref") || msg.contains("unable to update local ref")
}

/// `dir` as a git repository, or [`BranchError::NotARepository`] (exit 2, "pass --repo"): every command
/// that reads or writes the reports branch checks this first.
pub fn open_repository(dir: &Path) -> Result<Git, BranchError> {
    let git = Git::new(dir);
    let out = git.output(&["rev-parse", "--git-dir"], None)?;
    if !out.success {
        return Err(BranchError::NotARepository {
            dir: dir.display().to_string(),
            detail: out.stderr.trim().to_string(),
        });
    }
    Ok(git)
}

fn open_repo(opts: &PublishOptions) -> Result<Git, BranchError> {
    let git = open_repository(&opts.repo)?;
    let check = git.output(&["check-ref-format", "--branch", &opts.branch], None)?;
    if !check.success || opts.branch.starts_with('-') {
        return Err(BranchError::InvalidBranch(opts.branch.clone()));
    }
    with_identity(git)
}

/// Commits need an author; a fresh CI machine has none configured. Use the configured identity when there is
/// one, else `perfgate <perfgate@users.noreply.github.com>`.
fn with_identity(git: Git) -> Result<Git, BranchError> {
    let mut git = git;
    for (var, name_var, email_var) in [
        ("GIT_AUTHOR_IDENT", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"),
        (
            "GIT_COMMITTER_IDENT",
            "GIT_COMMITTER_NAME",
            "GIT_COMMITTER_EMAIL",
        ),
    ] {
        if !git.output(&["var", var], None)?.success {
            git = git
                .with_env(name_var, "perfgate")
                .with_env(email_var, "perfgate@users.noreply.github.com");
        }
    }
    Ok(git)
}

/// The worktree in which `local_ref` is checked out, if any.
fn checked_out_in(git: &Git, local_ref: &str) -> Result<Option<String>, BranchError> {
    let list = git.run(&["worktree", "list", "--porcelain"])?;
    let mut current = None;
    for line in list.lines() {
        if let Some(p) = line.strip_prefix("worktree ") {
            current = Some(p.to_string());
        } else if line.strip_prefix("branch ") == Some(local_ref) {
            return Ok(current);
        }
    }
    Ok(None)
}

/// Fast-forwards (or creates) the local branch to `commit` when that is safe.
fn update_local(
    git: &Git,
    local_ref: &str,
    local_tip: Option<&str>,
    commit: &str,
    checked_out: &Option<String>,
) -> Result<LocalBranch, BranchError> {
    if commit.is_empty() {
        return Ok(LocalBranch::Updated);
    }
    if let Some(w) = checked_out {
        return Ok(LocalBranch::CheckedOut(w.clone()));
    }
    let old = match local_tip {
        None => "0".repeat(40),
        Some(t) if t == commit => return Ok(LocalBranch::Updated),
        Some(t) => {
            if !git
                .output(&["merge-base", "--is-ancestor", t, commit], None)?
                .success
            {
                return Ok(LocalBranch::Diverged);
            }
            t.to_string()
        }
    };
    let out = git.output(
        &[
            "update-ref",
            "-m",
            "perfgate publish",
            local_ref,
            commit,
            &old,
        ],
        None,
    )?;
    Ok(if out.success {
        LocalBranch::Updated
    } else {
        LocalBranch::Diverged
    })
}

fn count_runs(git: &Git, base: Option<&str>) -> Result<usize, BranchError> {
    Ok(match base {
        Some(b) => git
            .list_tree(b)?
            .iter()
            .filter(|e| is_run_file(&e.path))
            .count(),
        None => 0,
    })
}

/// Builds the commit that adds `new_run` (if any) on `base`, applies retention and regenerates the derived
/// files from the resulting run files.
fn build_commit(
    git: &Git,
    opts: &PublishOptions,
    base: Option<&str>,
    new_run: Option<(&NewRun<'_>, &str)>,
    now: DateTime<Utc>,
    cache: &mut ParseCache,
) -> Result<Built, BranchError> {
    let entries: BTreeMap<String, TreeEntry> = match base {
        Some(b) => git
            .list_tree(b)?
            .into_iter()
            .map(|e| (e.path.clone(), e))
            .collect(),
        None => BTreeMap::new(),
    };
    if let Some((run, blob)) = new_run {
        if let Some(existing) = entries.get(&run.path) {
            if existing.id == blob {
                return Ok(Built::Unchanged);
            }
            return Err(BranchError::RunFileConflict {
                path: run.path.clone(),
            });
        }
    }

    // Retention, decided from file names (the new run is never pruned).
    let mut run_paths: Vec<String> = entries.keys().filter(|p| is_run_file(p)).cloned().collect();
    if let Some((run, _)) = new_run {
        run_paths.push(run.path.clone());
    }
    let keep: Vec<&str> = new_run.iter().map(|(r, _)| r.path.as_str()).collect();
    let pruned = files_to_prune(&run_paths, &opts.retention, now, &keep);
    let pruned_set: BTreeSet<&str> = pruned.iter().map(String::as_str).collect();

    // The history of the resulting tree, read from its run files. Parsed files are cached across attempts,
    // so a retry after a lost race reads only the files the winner added. Only a site hook needs the latency
    // histograms, and only for the newest `histogram_runs` runs (run file names start with their timestamp,
    // so path order is time order); not decoding the rest makes reading a run file several times faster and
    // keeps a long history's memory bounded.
    let kept: Vec<&TreeEntry> = entries
        .values()
        .filter(|e| is_run_file(&e.path) && !pruned_set.contains(e.path.as_str()))
        .collect();
    let decode_from = match (&opts.site, opts.histogram_runs) {
        (None, _) => usize::MAX,
        (Some(_), None) => 0,
        (Some(_), Some(n)) => kept.len().saturating_sub(n),
    };
    let missing: Vec<(usize, &TreeEntry)> = kept
        .iter()
        .enumerate()
        .filter(|(_, e)| !cache.contains_key(&(e.path.clone(), e.id.clone())))
        .map(|(i, e)| (i, *e))
        .collect();
    let ids: Vec<String> = missing.iter().map(|(_, e)| e.id.clone()).collect();
    for ((i, e), bytes) in missing.iter().zip(git.read_objects(&ids)?) {
        let histograms = if *i >= decode_from {
            Histograms::Keep
        } else {
            Histograms::Skip
        };
        let parsed = parse_run_file(&e.path, &bytes.unwrap_or_default(), histograms);
        cache.insert((e.path.clone(), e.id.clone()), parsed);
    }
    let mut parsed: Vec<(String, Result<RunRecord, Skipped>)> = kept
        .iter()
        .filter_map(|e| {
            let p = cache.get(&(e.path.clone(), e.id.clone()))?;
            Some((e.path.clone(), p.clone()))
        })
        .collect();
    if let Some((run, _)) = new_run {
        parsed.push((run.path.clone(), Ok(run.record.clone())));
    }
    let history = History::from_parsed(parsed);

    // Derived files.
    let mut derived: Vec<(String, Vec<u8>)> = vec![(
        INDEX_FILE.to_string(),
        Index::build(&history).to_json_bytes(),
    )];
    let mut site_paths: Vec<String> = Vec::new();
    if let Some(hook) = &opts.site {
        let files = hook.render(&history).map_err(BranchError::Site)?;
        let mut seen = BTreeSet::new();
        for f in files {
            check_derived_path(&f.path).map_err(|reason| BranchError::InvalidDerivedPath {
                path: f.path.clone(),
                reason,
            })?;
            if !seen.insert(f.path.clone()) {
                return Err(BranchError::InvalidDerivedPath {
                    path: f.path,
                    reason: "returned twice".into(),
                });
            }
            site_paths.push(f.path.clone());
            derived.push((f.path, f.bytes));
        }
    }
    let old_manifest = match entries.get(MANIFEST_FILE) {
        Some(e) => git
            .read_objects(std::slice::from_ref(&e.id))?
            .pop()
            .flatten()
            .map(|b| parse_manifest(&b))
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let site_set: BTreeSet<&str> = site_paths.iter().map(String::as_str).collect();
    let mut removals: Vec<String> = pruned.clone();
    removals.extend(
        old_manifest
            .into_iter()
            .filter(|p| !site_set.contains(p.as_str()) && entries.contains_key(p)),
    );
    if site_paths.is_empty() {
        if entries.contains_key(MANIFEST_FILE) {
            removals.push(MANIFEST_FILE.to_string());
        }
    } else {
        let refs: Vec<&str> = site_paths.iter().map(String::as_str).collect();
        derived.push((MANIFEST_FILE.to_string(), manifest_bytes(&refs)));
    }
    if let Some((run, _)) = new_run {
        derived.push((run.path.clone(), run.bytes.clone()));
    }

    // Assemble the tree in a private index file.
    let tmp = tempfile::tempdir().map_err(|e| BranchError::Io {
        path: std::env::temp_dir().display().to_string(),
        detail: format!("cannot create a temporary directory: {e}"),
    })?;
    let index_path = tmp.path().join("index");
    let g = git.with_env("GIT_INDEX_FILE", &index_path);
    match base {
        Some(b) => g.run(&["read-tree", b])?,
        None => g.run(&["read-tree", "--empty"])?,
    };
    let mut info = String::new();
    for path in &removals {
        info.push_str(&format!("0 {}\t{path}\n", "0".repeat(40)));
    }
    for (path, bytes) in &derived {
        let id = match (new_run, path) {
            (Some((run, blob)), p) if *p == run.path => blob.to_string(),
            _ => git.write_blob(bytes)?,
        };
        info.push_str(&format!("100644 {id}\t{path}\n"));
    }
    g.run_bytes(&["update-index", "--index-info"], Some(info.as_bytes()))?;
    let tree = g.run(&["write-tree"])?;
    if let Some(b) = base {
        if git.run(&["rev-parse", &format!("{b}^{{tree}}")])? == tree {
            return Ok(Built::Unchanged);
        }
    }

    let message = commit_message(opts, new_run.map(|(r, _)| r.record), &pruned);
    let mut args = vec!["commit-tree", tree.as_str()];
    if let Some(b) = base {
        args.extend(["-p", b]);
    }
    args.extend(["-F", "-"]);
    let commit = String::from_utf8_lossy(&git.run_bytes(&args, Some(message.as_bytes()))?)
        .trim()
        .to_string();
    Ok(Built::Commit {
        commit,
        pruned,
        skipped: history.skipped,
        runs: history.runs.len(),
    })
}

fn commit_message(opts: &PublishOptions, record: Option<&RunRecord>, pruned: &[String]) -> String {
    let mut msg = match (&opts.message, record) {
        (Some(m), _) => m.clone(),
        (None, Some(r)) => format!(
            "perfgate: add run {} ({}, {}, {})",
            r.run_id,
            r.sha7(),
            r.suite,
            r.git.branch.as_deref().unwrap_or("no branch")
        ),
        (None, None) => "perfgate: regenerate derived files".to_string(),
    };
    if !pruned.is_empty() {
        msg.push_str(&format!(
            "\n\nRetention pruned {} run file(s):\n",
            pruned.len()
        ));
        for p in pruned {
            msg.push_str(&format!("  {p}\n"));
        }
    }
    msg.push('\n');
    msg
}

/// The pause before attempt `attempt` (≥ 2): `base · 2^(attempt−2)` capped at `max_backoff`, then a random
/// point in its upper half, so publishers that collided spread out instead of colliding again.
fn backoff(opts: &PublishOptions, attempt: u32, rng: &mut rand::rngs::SmallRng) -> Duration {
    let full = crate::backoff::doubling(
        opts.base_backoff,
        opts.max_backoff,
        attempt.saturating_sub(2),
    );
    let ms = full.as_millis() as u64;
    Duration::from_millis(rng.random_range(ms / 2..=ms.max(1)))
}

/// Different publishers (threads or processes started at the same instant) must not draw the same jitter:
/// std's `RandomState` keys are seeded from the OS per thread, which is all the randomness jitter needs.
fn jitter_seed() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

//! Errors of the reports-branch operations. Every message is redacted (it may quote git or a remote URL)
//! and says what to do about it.

use super::git::GitError;

#[derive(Debug, thiserror::Error)]
pub enum BranchError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(
        "{dir} is not inside a git repository ({detail}); pass --repo with the repository's path"
    )]
    NotARepository { dir: String, detail: String },
    #[error("\"{0}\" is not a valid branch name")]
    InvalidBranch(String),
    #[error(
        "{path} is already on the reports branch with different content: run ids must be unique \
         (was this run record edited after it was published?)"
    )]
    RunFileConflict { path: String },
    #[error(
        "this run record is shard {index}/{total} of a sharded run; merge the shards first \
         (perfgate merge shard-*.json -o run.json) and publish the merged record"
    )]
    UnmergedShard { index: u32, total: u32 },
    #[error(
        "this run record is incomplete ({0}); an interrupted run is not published — run the suite again"
    )]
    IncompleteRun(String),
    #[error(
        "branch {branch} is checked out in {worktree}; perfgate will not move a checked-out branch under your \
         feet — switch that worktree to another branch, or publish to a remote"
    )]
    BranchCheckedOut { branch: String, worktree: String },
    #[error("the site hook failed: {0}")]
    Site(String),
    #[error("the site hook returned an unusable path \"{path}\": {reason}")]
    InvalidDerivedPath { path: String, reason: String },
    #[error(
        "gave up after {attempts} attempts: the reports branch kept moving under concurrent publishers \
         (last: {last}); publish again, or raise the attempt limit"
    )]
    GaveUp { attempts: u32, last: String },
    #[error(
        "no reports branch \"{0}\" in this repository: publish a run first, or fetch the branch from \
         its remote"
    )]
    MissingBranch(String),
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
}

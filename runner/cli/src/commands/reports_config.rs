//! What `publish`, `history` and `fetch-baseline` share: the `[reports]` section of the config (flags win),
//! and how reports-branch errors map to exit codes.

use clap::Args;
use std::path::Path;
use std::path::PathBuf;

use crate::reports_branch::publish::DEFAULT_BRANCH;
use crate::reports_branch::BranchError;
use perfgate::config::file::ConfigFile;
use perfgate::error::{Error, Result};

/// Where the reports branch is: shared by `publish`, `history` and `fetch-baseline`.
#[derive(Debug, Clone, Args)]
pub struct ReportsBranchArgs {
    /// A directory inside the git repository
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The reports branch [default: [reports] branch, else perf-reports]
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Remote name or URL [default: [reports] remote, else origin]
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
    /// Config file for the [reports] section [default: perfgate.toml when it exists]
    #[arg(long, short = 'C', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The config file named by `--config`, else `perfgate.toml` when it exists, else none.
pub fn load_config(args: &ReportsBranchArgs) -> Result<Option<ConfigFile>> {
    match &args.config {
        Some(path) => perfgate::config::load_file(path).map(Some),
        None => {
            let default = Path::new("perfgate.toml");
            if default.is_file() {
                perfgate::config::load_file(default).map(Some)
            } else {
                Ok(None)
            }
        }
    }
}

/// The reports branch and remote: flag, else `[reports]`, else `perf-reports` / `origin`.
pub fn branch_and_remote(args: &ReportsBranchArgs, cfg: Option<&ConfigFile>) -> (String, String) {
    let reports = cfg.map(|c| &c.reports);
    let branch = args
        .branch
        .clone()
        .or_else(|| reports.and_then(|r| r.branch.clone()))
        .unwrap_or_else(|| DEFAULT_BRANCH.to_string());
    let remote = args
        .remote
        .clone()
        .or_else(|| reports.and_then(|r| r.remote.clone()))
        .unwrap_or_else(|| "origin".to_string());
    (branch, remote)
}

impl From<BranchError> for Error {
    fn from(e: BranchError) -> Self {
        match e {
            BranchError::NotARepository { .. }
            | BranchError::InvalidBranch(_)
            | BranchError::UnmergedShard { .. }
            | BranchError::IncompleteRun(_)
            | BranchError::BranchCheckedOut { .. }
            | BranchError::RunFileConflict { .. }
            | BranchError::MissingBranch(_) => Error::Usage(e.to_string()),
            BranchError::Git(_)
            | BranchError::Site(_)
            | BranchError::InvalidDerivedPath { .. }
            | BranchError::GaveUp { .. }
            | BranchError::Io { .. } => Error::Runtime(e.to_string()),
        }
    }
}

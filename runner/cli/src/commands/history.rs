//! `perfgate history`: the runs on the reports branch (or in a folder), or one operation over time.

use clap::Args;
use perfgate_reports::history::{HistoryFilter, Series};
use perfgate_reports::render::history_table::{operation_names, render_operation, render_runs};
use perfgate_reports::Index;
use std::path::PathBuf;

use crate::commands::reports_config::ReportsBranchArgs;
use crate::reports_branch::redact::redact;
use crate::reports_branch::{
    fetch_reports_branch, load_history_dir_with, load_history_with, resolve_reports_rev,
    BranchError, Histograms,
};
use perfgate::error::{Error, ExitStatus, Result};

use super::reports_config::{branch_and_remote, load_config};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub at: ReportsBranchArgs,
    /// Read run files from this folder instead of the branch (e.g. a fetched baseline)
    #[arg(long, value_name = "DIR", conflicts_with = "fetch")]
    pub dir: Option<PathBuf>,
    /// Fetch the reports branch from the remote first
    #[arg(long)]
    pub fetch: bool,
    /// Show this operation's numbers run by run
    #[arg(long, value_name = "NAME")]
    pub operation: Option<String>,
    /// Only runs of this code branch (e.g. main)
    #[arg(long, value_name = "BRANCH")]
    pub git_branch: Option<String>,
    /// Only runs with this environment fingerprint
    #[arg(long, value_name = "FP")]
    pub fingerprint: Option<String>,
    /// Only runs of this suite
    #[arg(long, value_name = "NAME")]
    pub suite: Option<String>,
    /// Show the newest N runs
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub last: usize,
    /// Print JSON on stdout (the index entries, or the operation's series)
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &HistoryArgs) -> Result<ExitStatus> {
    let history = match &args.dir {
        Some(dir) => load_history_dir_with(dir, Histograms::Skip)?,
        None => {
            crate::reports_branch::publish::open_repository(&args.at.repo)?;
            let cfg = load_config(&args.at)?;
            let (branch, remote) = branch_and_remote(&args.at, cfg.as_ref());
            if args.fetch && fetch_reports_branch(&args.at.repo, &remote, &branch)?.is_none() {
                return Err(Error::Usage(format!(
                    "{} has no branch {branch} yet: publish a run first (perfgate publish RUN.json)",
                    redact(&remote)
                )));
            }
            let rev = resolve_reports_rev(&args.at.repo, &branch, Some(&remote))?
                .ok_or(BranchError::MissingBranch(branch))?;
            load_history_with(&args.at.repo, &rev, Histograms::Skip)?
        }
    };
    for s in &history.skipped {
        eprintln!("warning: skipped {}", redact(&s.reason));
    }
    let filter = HistoryFilter {
        branch: args.git_branch.clone(),
        fingerprint: args.fingerprint.clone(),
        suite: args.suite.clone(),
    };
    let mut h = history.filtered(&filter);
    let keep_from = h.runs.len().saturating_sub(args.last);
    h.runs.drain(..keep_from);

    match &args.operation {
        None if args.json => {
            let index = Index::build(&h);
            println!(
                "{}",
                serde_json::to_string_pretty(&index.runs).unwrap_or_default()
            );
        }
        None if h.runs.is_empty() => println!("no runs match"),
        None => print!("{}", render_runs(&h, args.last)),
        Some(op) => {
            let Some(table) = render_operation(&h, op, args.last) else {
                let known = operation_names(&h);
                return Err(Error::Usage(format!(
                    "no run measured an operation named \"{op}\"; operations in these runs: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            if args.json {
                let series: Vec<Series> = h
                    .series()
                    .into_iter()
                    .filter(|s| s.key.operation_name == *op && s.key.concurrency.is_none())
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&series).unwrap_or_default()
                );
            } else {
                print!("{table}");
            }
        }
    }
    Ok(ExitStatus::Pass)
}

//! `perfgate fetch-baseline`: the base branch's last runs on the same kind of machine, written as files for
//! the PR flow (see [`crate::reports_branch::fetch_baseline()`]).

use clap::Args;
use std::path::PathBuf;

use crate::commands::reports_config::ReportsBranchArgs;
use crate::reports_branch::redact::redact;
use crate::reports_branch::{fetch_baseline, FetchBaselineOptions};
use perfgate::error::{ExitStatus, Result};

use super::reports_config::{branch_and_remote, load_config};

#[derive(Debug, Args)]
pub struct FetchBaselineArgs {
    #[command(flatten)]
    pub at: ReportsBranchArgs,
    /// The code branch whose runs are the baseline
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    pub base: String,
    /// How many of its newest runs to fetch
    #[arg(long, value_name = "N", default_value_t = crate::reports_branch::fetch_baseline::DEFAULT_BASELINE_RUNS)]
    pub runs: usize,
    /// Environment fingerprint to match [default: this machine's]
    #[arg(long, value_name = "FP", conflicts_with = "any_fingerprint")]
    pub fingerprint: Option<String>,
    /// Keep runs from every machine
    #[arg(long)]
    pub any_fingerprint: bool,
    /// Only runs of this suite [default: the config's suite, when there is a config]
    #[arg(long, value_name = "NAME")]
    pub suite: Option<String>,
    /// Where to write the selected run files
    #[arg(
        long,
        value_name = "DIR",
        default_value = "performance_results/baseline"
    )]
    pub out: PathBuf,
    /// Print the outcome as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &FetchBaselineArgs) -> Result<ExitStatus> {
    crate::reports_branch::publish::open_repository(&args.at.repo)?;
    let cfg = load_config(&args.at)?;
    let (branch, remote) = branch_and_remote(&args.at, cfg.as_ref());
    let mut opts = FetchBaselineOptions::new(&args.at.repo, &args.base);
    opts.branch = branch.clone();
    opts.remote = Some(remote.clone());
    opts.runs = args.runs;
    opts.out_dir = Some(args.out.clone());
    opts.suite = args
        .suite
        .clone()
        .or_else(|| cfg.as_ref().and_then(|c| c.suite.clone()));
    opts.fingerprint = if args.any_fingerprint {
        None
    } else {
        Some(args.fingerprint.clone().unwrap_or_else(|| {
            perfgate::environment::detect_environment(&perfgate::config::process_env()).fingerprint
        }))
    };
    let b = fetch_baseline(&opts)?;
    for s in &b.history.skipped {
        eprintln!("warning: skipped {}", redact(&s.reason));
    }
    if args.json {
        let v = serde_json::json!({
            "commit": b.commit,
            "runs": b.history.runs.iter().map(|r| serde_json::json!({
                "run_id": r.record.run_id,
                "path": r.path,
                "commit": r.record.git.sha,
                "time": r.record.started_at,
            })).collect::<Vec<_>>(),
            "written": b.written,
            "used_index": b.used_index,
            "fingerprint": opts.fingerprint,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(ExitStatus::Pass);
    }
    match &b.commit {
        None => println!(
            "no baseline: {} has no branch {branch} yet (the first published run creates it)",
            redact(&remote)
        ),
        Some(_) if b.history.runs.is_empty() => println!(
            "no baseline: no run of {} on {branch}{} yet",
            args.base,
            opts.fingerprint
                .as_deref()
                .map(|f| format!(" with fingerprint {f}"))
                .unwrap_or_default()
        ),
        Some(c) => println!(
            "baseline: {} run(s) of {} from {branch} ({}) written to {}",
            b.history.runs.len(),
            args.base,
            &c[..c.len().min(7)],
            args.out.display()
        ),
    }
    Ok(ExitStatus::Pass)
}

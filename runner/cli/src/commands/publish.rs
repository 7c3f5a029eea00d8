//! `perfgate publish RUN.json`: add one run to the reports branch (see [`crate::reports_branch::publish()`]).

use clap::Args;
use perfgate_reports::retention::RetentionPolicy;
use perfgate_reports::RunRecord;
use std::path::PathBuf;

use crate::commands::reports_config::ReportsBranchArgs;
use crate::reports_branch::redact::redact;
use crate::reports_branch::{publish, LocalBranch, PublishOptions};
use perfgate::error::{Error, ExitStatus, Result};

use super::reports_config::{branch_and_remote, load_config};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The run record (JSON) to publish
    #[arg(value_name = "RUN.json")]
    pub run: PathBuf,
    #[command(flatten)]
    pub at: ReportsBranchArgs,
    /// First line of the commit message
    #[arg(long, short = 'm', value_name = "M")]
    pub message: Option<String>,
    /// Retention: keep only the newest N run files [default: [reports] max_runs, else unlimited]
    #[arg(long, value_name = "N")]
    pub max_runs: Option<usize>,
    /// Retention: prune run files older than DAYS [default: [reports] max_age_days, else unlimited]
    #[arg(long, value_name = "DAYS")]
    pub max_age_days: Option<u32>,
    /// Commit to the local branch only; do not fetch or push
    #[arg(long)]
    pub no_push: bool,
    /// Give up after this many attempts when concurrent publishers keep winning
    #[arg(long, value_name = "N", default_value_t = crate::reports_branch::publish::DEFAULT_MAX_ATTEMPTS)]
    pub max_attempts: u32,
    /// Where GitHub Pages serves the branch [default: /REPO/ from GITHUB_REPOSITORY, else /]
    #[arg(long, value_name = "PATH")]
    pub site_base_path: Option<String>,
    /// Write run files and index.json only, not the trend site
    #[arg(long)]
    pub no_site: bool,
    /// Print the outcome as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &PublishArgs) -> Result<ExitStatus> {
    let bytes = std::fs::read(&args.run).map_err(|e| Error::io(&args.run, e))?;
    let record = RunRecord::from_json_path_bytes(&bytes, &args.run)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let cfg = load_config(&args.at)?;
    let (branch, remote) = branch_and_remote(&args.at, cfg.as_ref());
    let reports = cfg.as_ref().map(|c| &c.reports);
    let mut opts = PublishOptions::new(&args.at.repo);
    opts.branch = branch.clone();
    opts.remote = (!args.no_push).then_some(remote.clone());
    opts.message = args.message.clone();
    opts.max_attempts = args.max_attempts;
    // The trend site is regenerated at the branch root on every publish (GitHub Pages serves it as is).
    if !args.no_site {
        let base_path = args.site_base_path.clone().unwrap_or_else(|| {
            std::env::var("GITHUB_REPOSITORY")
                .ok()
                .and_then(|r| r.split_once('/').map(|(_, name)| format!("/{name}/")))
                .unwrap_or_else(|| "/".to_string())
        });
        let gates = super::site::project_gates(args.at.config.as_deref())?;
        opts.site = Some(super::site::publish_hook(&base_path, gates)?);
        opts.histogram_runs = Some(super::site::HISTOGRAM_RUNS);
    }
    opts.retention = RetentionPolicy {
        max_runs: args.max_runs.or(reports.and_then(|r| r.max_runs)),
        max_age_days: args.max_age_days.or(reports.and_then(|r| r.max_age_days)),
    };
    if opts.retention.max_runs == Some(0) {
        return Err(Error::Usage(
            "--max-runs (or [reports] max_runs) must be at least 1".into(),
        ));
    }
    let out = publish(&record, &opts)?;

    for s in &out.skipped {
        eprintln!("warning: skipped {}", redact(&s.reason));
    }
    if args.json {
        let json = serde_json::to_string_pretty(&out).unwrap_or_default();
        println!("{json}");
        return Ok(ExitStatus::Pass);
    }
    let path = out.path.as_deref().unwrap_or("");
    let short = &out.commit[..out.commit.len().min(7)];
    let target = if args.no_push {
        format!("local branch {branch}")
    } else {
        format!("{branch} on {}", redact(&remote))
    };
    if out.unchanged {
        println!("{path} is already on {target} (commit {short}); nothing to do");
    } else {
        let created = if out.created_branch {
            " (created the branch)"
        } else {
            ""
        };
        let tries = if out.attempts > 1 {
            format!(", after {} attempts", out.attempts)
        } else {
            String::new()
        };
        println!(
            "published {path} to {target}{created}: commit {short}{tries}; {} on the branch",
            perfgate_reports::render::words::count(out.runs_on_branch, "run")
        );
    }
    if !out.pruned.is_empty() {
        println!("retention pruned {} old run file(s)", out.pruned.len());
    }
    match &out.local_branch {
        LocalBranch::Updated => {}
        LocalBranch::CheckedOut(w) => {
            eprintln!("note: local branch {branch} is checked out in {w}; left as it was")
        }
        LocalBranch::Diverged => eprintln!(
            "note: local branch {branch} has commits the remote branch does not; left as it was"
        ),
    }
    Ok(ExitStatus::Pass)
}

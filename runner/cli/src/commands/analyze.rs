//! `perfgate analyze --history DIR`: the change points of every series in a folder of run records (a
//! reports-branch checkout or a fetched baseline), with the commit where each shows, the means before and
//! after, the magnitude and the p-value ([`perfgate_reports::analysis::analyze_history`]).
//!
//! Run files are read with the reports-branch loader ([`crate::reports_branch::load_history_dir`]); files it
//! cannot read are named as warnings and left out. The command reports; it does not gate (exit 0), except
//! for usage errors (exit 2).

use clap::Args;
use std::io::Write;
use std::path::PathBuf;

use perfgate_reports::analysis::{analyze_history, ChangePointSettings, HistoryChanges};
use perfgate_reports::history::HistoryFilter;
use perfgate_reports::record::RunRecord;
use perfgate_reports::render::changepoints;

use crate::reports_branch::load_history_dir;
use crate::reports_branch::redact::redact;
use perfgate::error::{Error, ExitStatus, Result};

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Folder of run records: a checkout of the reports branch (runs/) or a fetched baseline
    #[arg(long, value_name = "DIR")]
    pub history: PathBuf,
    /// Only runs of this code branch (e.g. main); `--branch` is its old name
    #[arg(long, value_name = "BRANCH", alias = "branch")]
    pub git_branch: Option<String>,
    /// Only runs with this environment fingerprint
    #[arg(long, value_name = "FP")]
    pub fingerprint: Option<String>,
    /// Only this operation's series
    #[arg(long, value_name = "NAME")]
    pub operation: Option<String>,
    /// Output: text, md or json
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    pub format: String,
    /// Keep a change point only when its adjusted p-value is at most P [default: 0.01]
    #[arg(long, value_name = "P")]
    pub p_value: Option<f64>,
    /// Keep a change point only when the means differ by at least PCT percent [default: 5]
    #[arg(long, value_name = "PCT")]
    pub min_magnitude: Option<f64>,
}

pub fn run(args: &AnalyzeArgs) -> Result<ExitStatus> {
    let settings = settings(args)?;
    let format = args.format.to_ascii_lowercase();
    if !matches!(format.as_str(), "text" | "md" | "json") {
        return Err(Error::Usage(format!(
            "--format: unknown format `{}`; expected text, md or json",
            args.format
        )));
    }
    if !args.history.is_dir() {
        return Err(Error::Usage(format!(
            "--history {}: not a directory of run records",
            args.history.display()
        )));
    }
    let history = load_history_dir(&args.history)?;
    for s in &history.skipped {
        eprintln!("warning: skipped {}", redact(&s.reason));
    }
    let filter = HistoryFilter {
        branch: args.git_branch.clone(),
        fingerprint: args.fingerprint.clone(),
        suite: None,
    };
    let records: Vec<RunRecord> = history
        .filtered(&filter)
        .runs
        .into_iter()
        .map(|r| r.record)
        .collect();
    if records.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no run records{}",
            args.history.display(),
            args.git_branch
                .as_ref()
                .map(|b| format!(" of branch {b}"))
                .unwrap_or_default()
        )));
    }
    let changes = changes_of(&records, args.operation.as_deref(), &settings);
    let bytes = match format.as_str() {
        "json" => {
            let mut v = serde_json::to_vec_pretty(&changes).unwrap_or_default();
            v.push(b'\n');
            v
        }
        "md" => changepoints::to_markdown(&changes).into_bytes(),
        _ => changepoints::to_text(&changes).into_bytes(),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("stdout", e))?;
    Ok(ExitStatus::Pass)
}

fn settings(args: &AnalyzeArgs) -> Result<ChangePointSettings> {
    let mut s = ChangePointSettings::default();
    if let Some(p) = args.p_value {
        if !(p > 0.0 && p < 1.0) {
            return Err(Error::Usage(format!(
                "--p-value: {p} is not between 0 and 1"
            )));
        }
        s.max_p_value = p;
    }
    if let Some(m) = args.min_magnitude {
        if !(m.is_finite() && m >= 0.0) {
            return Err(Error::Usage(format!(
                "--min-magnitude: {m} is not a percentage ≥ 0"
            )));
        }
        s.min_magnitude_percent = m;
    }
    Ok(s)
}

/// The change points of `records`, keeping only `operation`'s series when one is named.
pub fn changes_of(
    records: &[RunRecord],
    operation: Option<&str>,
    settings: &ChangePointSettings,
) -> HistoryChanges {
    let mut changes = analyze_history(records, &[], settings);
    if let Some(op) = operation {
        changes.series.retain(|s| s.key.operation == op);
    }
    changes
}

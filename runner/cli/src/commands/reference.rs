//! `--baseline PATH`: what a run is compared with.
//!
//! A file is one run record, compared run to run ([`compare_runs`]: threshold and within-run noise). A
//! folder (a reports-branch checkout, or the output of `perfgate fetch-baseline`) is a history: its runs
//! with the head's environment fingerprint are the baseline ([`compare_with_history`]: prediction interval
//! per series, or the threshold alone when the history is short — the comparison's notes say so). Folders
//! are read with the reports-branch loader, so unreadable files are named and skipped the same way
//! everywhere.

use std::path::Path;

use perfgate_reports::analysis::{
    compare_runs, compare_with_history, CompareSettings, Comparison, HistorySettings,
};
use perfgate_reports::history::HistoryFilter;
use perfgate_reports::record::RunRecord;

use crate::commands::compare::read_record;
use crate::reports_branch::load_history_dir;
use crate::reports_branch::redact::redact;
use perfgate::error::{Error, Result};

/// Compares `head` with the baseline at `path` (file or folder; see the module doc). A missing path, an
/// unreadable file, or a folder without a single run of the same fingerprint is a usage error (exit 2).
pub fn compare_with_baseline(head: &RunRecord, path: &Path) -> Result<Comparison> {
    if path.is_dir() {
        let records = history_records(head, path)?;
        let mut c = compare_with_history(head, &records, &HistorySettings::default());
        c.base.label = format!("{} ({})", c.base.label, path.display());
        Ok(c)
    } else if path.exists() {
        let base = read_record(path)?;
        if base.environment.fingerprint != head.environment.fingerprint {
            eprintln!(
                "perfgate: warning: baseline {} ran on another machine (fingerprint {} vs {}): differences may be the machine's",
                path.display(),
                base.environment.fingerprint,
                head.environment.fingerprint
            );
        }
        Ok(compare_runs(&base, head, &CompareSettings::default()))
    } else {
        Err(Error::Usage(format!(
            "--baseline {}: no such file or directory",
            path.display()
        )))
    }
}

/// The runs of the folder with the head's fingerprint, without the head itself.
fn history_records(head: &RunRecord, dir: &Path) -> Result<Vec<RunRecord>> {
    let history = load_history_dir(dir)?;
    for s in &history.skipped {
        eprintln!("perfgate: warning: baseline: skipped {}", redact(&s.reason));
    }
    let total = history.runs.len();
    let filter = HistoryFilter {
        fingerprint: Some(head.environment.fingerprint.clone()),
        ..Default::default()
    };
    let records: Vec<RunRecord> = history
        .filtered(&filter)
        .runs
        .into_iter()
        .map(|r| r.record)
        .filter(|r| r.run_id != head.run_id)
        .collect();
    if records.is_empty() {
        return Err(Error::Usage(format!(
            "--baseline {}: none of its {total} run records ran on this machine (fingerprint {}); \
             fetch a baseline for it (perfgate fetch-baseline) or pass a run record file",
            dir.display(),
            head.environment.fingerprint
        )));
    }
    eprintln!(
        "perfgate: baseline: {} from {} (fingerprint {})",
        perfgate_reports::render::words::count(records.len(), "run"),
        dir.display(),
        head.environment.fingerprint
    );
    Ok(records)
}

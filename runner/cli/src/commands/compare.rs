//! `perfgate compare BASE HEAD`: two run record files, row by row, with the verdicts of
//! [`perfgate_reports::analysis::compare_runs`].
//!
//! Exit codes: 0 when no row regressed (or every regression is acknowledged), 1 when a regression is left,
//! 2 when a file cannot be read or is not a run record (the message names the file).

use clap::Args;
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;

use perfgate_reports::analysis::{compare_runs, CompareSettings, Comparison};
use perfgate_reports::record::RunRecord;
use perfgate_reports::render::comparison::{render, Format};

use perfgate::error::{Error, ExitStatus, Result};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline run record (JSON)
    #[arg(value_name = "BASE.json")]
    pub base: PathBuf,
    /// The run record to judge (JSON)
    #[arg(value_name = "HEAD.json")]
    pub head: PathBuf,
    /// Output: md, json or text
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    pub format: String,
    /// Smallest change in percent that can be a regression or an improvement [default: 10]
    #[arg(long, value_name = "PCT")]
    pub threshold: Option<f64>,
}

pub fn run(args: &CompareArgs) -> Result<ExitStatus> {
    let format: Format = args
        .format
        .parse()
        .map_err(|e| Error::Usage(format!("--format: {e}")))?;
    let mut settings = CompareSettings::default();
    if let Some(t) = args.threshold {
        if !(t.is_finite() && t > 0.0) {
            return Err(Error::Usage(format!(
                "--threshold: {t} is not a positive percentage"
            )));
        }
        settings.threshold_percent = t;
    }
    let base = read_record(&args.base)?;
    let head = read_record(&args.head)?;
    let comparison = compare_runs(&base, &head, &settings);
    print_comparison(&comparison, format)?;
    Ok(exit_status_of(&comparison))
}

/// Exit 1 when the comparison has a regression that no acknowledgement covers, else 0.
pub fn exit_status_of(c: &Comparison) -> ExitStatus {
    if c.unacknowledged_regressions().next().is_some() {
        ExitStatus::GateFailed
    } else {
        ExitStatus::Pass
    }
}

fn print_comparison(c: &Comparison, format: Format) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(&render(c, format))
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("stdout", e))
}

/// Reads one run record file. A missing, unreadable or malformed file is a usage error (exit 2) naming it.
pub fn read_record(path: &Path) -> Result<RunRecord> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Usage(format!("{shown}: cannot read run record: {e}")))?;
    RunRecord::from_json_slice(&bytes, &shown).map_err(|e| Error::Usage(e.to_string()))
}

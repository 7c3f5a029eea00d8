//! `perfgate compare BASE HEAD`: two run record files, row by row, with the verdicts of
//! [`perfgate_reports::analysis::compare_runs`].
//!
//! Exit codes: 0 when no row regressed (or every regression is acknowledged by `[[acknowledge]]` in
//! `--config` / `./perfgate.toml`), 1 when a regression is left, 2 when a file cannot be read or is not a run
//! record (the message names the file). Records from different machines or configs are compared with a
//! warning.

use clap::Args;
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;

use perfgate_reports::analysis::{
    apply_acknowledgements, compare_runs, CompareSettings, Comparison,
};
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
    /// Run-to-run noise of one run, in percent, that two single runs cannot measure [default: 3]
    #[arg(long, value_name = "PCT")]
    pub run_to_run: Option<f64>,
    /// Apply this config's `[[acknowledge]]` entries [default: ./perfgate.toml when it exists]
    #[arg(long, short = 'C', value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    if let Some(r) = args.run_to_run {
        if !(r.is_finite() && r >= 0.0) {
            return Err(Error::Usage(format!(
                "--run-to-run: {r} is not a percentage (0 or more)"
            )));
        }
        settings.run_to_run_percent = r;
    }
    let base = read_record(&args.base)?;
    let head = read_record(&args.head)?;
    for warning in provenance_warnings(&base, &head) {
        eprintln!("perfgate: warning: {warning}");
    }
    let mut comparison = compare_runs(&base, &head, &settings);
    apply_config_acknowledgements(&mut comparison, args.config.as_deref())?;
    print_comparison(&comparison, format)?;
    Ok(exit_status_of(&comparison))
}

/// What makes two records hard to compare: another machine, another config.
fn provenance_warnings(base: &RunRecord, head: &RunRecord) -> Vec<String> {
    let mut out = Vec::new();
    if base.environment.fingerprint != head.environment.fingerprint {
        out.push(format!(
            "the runs ran on different machines (environment fingerprint {} vs {}): differences may be the machine's",
            base.environment.fingerprint, head.environment.fingerprint
        ));
    }
    if base.config_digest != head.config_digest {
        out.push(format!(
            "the runs used different configs (digest {} vs {}): differences may be the config's",
            base.config_digest, head.config_digest
        ));
    }
    out
}

/// `[[acknowledge]]` of `--config` (or `./perfgate.toml` when it exists): acknowledged regressions warn
/// instead of failing (exit 0), as in `perfgate run`; expired ones are named.
fn apply_config_acknowledgements(c: &mut Comparison, config: Option<&Path>) -> Result<()> {
    let default_config = Path::new("perfgate.toml");
    let Some(path) = config.or_else(|| default_config.is_file().then_some(default_config)) else {
        return Ok(());
    };
    let settings = perfgate::config::load(
        path,
        &perfgate::config::process_env(),
        &perfgate::config::Overrides::default(),
    )?;
    let today = chrono::Utc::now().date_naive();
    for ack in apply_acknowledgements(c, &settings.acknowledgements, today).expired {
        eprintln!(
            "perfgate: warning: acknowledgement for {} expired on {} ({}): remove it from {} or extend `until`",
            ack.operation,
            ack.until,
            ack.reason,
            path.display()
        );
    }
    Ok(())
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

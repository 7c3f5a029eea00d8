//! `perfgate export --format bmf|gab-smaller|gab-bigger RUN.json` (see [`perfgate_reports::export`]).

use clap::{Args, ValueEnum};
use std::io::Write as _;
use std::path::PathBuf;

use perfgate_reports::export::{export, ExportFormat};
use perfgate_reports::RunRecord;

use perfgate::error::{Error, ExitStatus, Result};

/// Formats `perfgate export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// Bencher Metric Format (bencher run --adapter json)
    Bmf,
    /// github-action-benchmark, tool: customSmallerIsBetter (latency, error rate, memory, CPU)
    GabSmaller,
    /// github-action-benchmark, tool: customBiggerIsBetter (throughput)
    GabBigger,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run record
    #[arg(value_name = "RUN.json")]
    pub run: PathBuf,
    /// Output format
    #[arg(long, value_enum)]
    pub format: ExportFormatArg,
    /// Write here instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &ExportArgs) -> Result<ExitStatus> {
    let bytes = std::fs::read(&args.run).map_err(|e| Error::io(&args.run, e))?;
    let rec = RunRecord::from_json_path_bytes(&bytes, &args.run)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let format = match args.format {
        ExportFormatArg::Bmf => ExportFormat::Bmf,
        ExportFormatArg::GabSmaller => ExportFormat::GabSmaller,
        ExportFormatArg::GabBigger => ExportFormat::GabBigger,
    };
    let out = export(&rec, format);
    match &args.output {
        Some(path) => perfgate::output::write_atomic(path, &out)?,
        None => std::io::stdout()
            .write_all(&out)
            .map_err(|e| Error::io("stdout", e))?,
    }
    Ok(ExitStatus::Pass)
}

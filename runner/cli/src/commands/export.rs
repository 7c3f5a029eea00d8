//! `perfgate export --format bmf|gab-smaller|gab-bigger RUN.json` (see [`perfgate_reports::export`]).

use std::io::Write as _;

use perfgate_reports::export::{export, ExportFormat};
use perfgate_reports::RunRecord;

use crate::cli::{ExportArgs, ExportFormatArg};
use perfgate::error::{Error, ExitStatus, Result};

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

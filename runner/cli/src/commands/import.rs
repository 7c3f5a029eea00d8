//! `perfgate import --from oha|k6 FILE`: another tool's results as a run record
//! (see [`perfgate_reports::import`]). The run id is derived from the file's content, so importing and
//! publishing the same file twice stores it once.

use clap::{Args, ValueEnum};
use std::io::Write as _;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use perfgate_reports::import::{self, ImportContext};
use sha2::{Digest as _, Sha256};

use perfgate::error::{Error, ExitStatus, Result};

/// Tools `perfgate import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFromArg {
    /// oha --output-format json (oha -j before 1.10)
    Oha,
    /// k6 run --summary-export=FILE (or handleSummary's JSON)
    K6,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tool's output file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Which tool wrote it
    #[arg(long, value_enum)]
    pub from: ImportFromArg,
    /// Name of the operation in the record [default: the tool's name]
    #[arg(long, value_name = "NAME")]
    pub operation: Option<String>,
    /// Suite name [default: default]
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub suite: String,
    /// Concurrent connections the tool used (oha's -c; k6 reports its own VUs)
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// When the test ran (RFC 3339) [default: the file's modification time]
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// Write the run record here instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &ImportArgs) -> Result<ExitStatus> {
    let bytes = std::fs::read(&args.file).map_err(|e| Error::io(&args.file, e))?;
    let started_at = match &args.time {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| Error::Usage(format!("--time {t}: not an RFC 3339 time ({e})")))?,
        None => std::fs::metadata(&args.file)
            .and_then(|m| m.modified())
            .map(DateTime::<Utc>::from)
            .map_err(|e| Error::io(&args.file, e))?,
    };
    let tool = match args.from {
        ImportFromArg::Oha => "oha",
        ImportFromArg::K6 => "k6",
    };
    let env = perfgate::config::process_env();
    let digest = hex::encode(Sha256::digest(&bytes));
    let ctx = ImportContext {
        source: args.file.display().to_string(),
        run_id: format!("{tool}-{}", &digest[..12]),
        started_at,
        suite: args.suite.clone(),
        operation: args.operation.clone().unwrap_or_else(|| tool.to_string()),
        concurrency: args.concurrency,
        environment: perfgate::environment::detect_environment(&env),
        git: perfgate::environment::detect_git(std::path::Path::new("."), &env),
    };
    let rec = match args.from {
        ImportFromArg::Oha => import::oha::import(&bytes, &ctx),
        ImportFromArg::K6 => import::k6::import(&bytes, &ctx),
    }
    .map_err(|e| Error::Usage(e.to_string()))?;
    let out = rec.to_json_pretty();
    match &args.output {
        Some(path) => {
            perfgate::output::write_atomic(path, &out)?;
            eprintln!(
                "perfgate: imported {} as run {} into {}",
                args.file.display(),
                rec.run_id,
                path.display()
            );
        }
        None => std::io::stdout()
            .write_all(&out)
            .map_err(|e| Error::io("stdout", e))?,
    }
    Ok(ExitStatus::Pass)
}

//! `perfgate merge shard-*.json -o run.json`: one record from the shards of a sharded run
//! (see [`perfgate_reports::merge`]).
//!
//! Each shard judged only its share of the load, so the merged record is judged again: the gates,
//! acknowledgements and recommendations of the suite's config (`--config`, or `./perfgate.toml`), and a
//! comparison with `--baseline` when given. The exit status is the merged run's (1 when a gate failed).

use clap::Args;
use perfgate_reports::merge::{merge_shards, MergeOptions};
use perfgate_reports::RunRecord;
use std::path::PathBuf;

use perfgate::error::{Error, ExitStatus, Result};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard records (shard-*.json)
    #[arg(value_name = "SHARD.json", required = true)]
    pub shards: Vec<PathBuf>,
    /// Where to write the merged record
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Merge even when some shards are missing (the record says which)
    #[arg(long)]
    pub allow_partial: bool,
    /// Run id of the merged record [default: the shards' common run id]
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Judge the merged run with this config's gates, acknowledgements and recommendations
    /// [default: ./perfgate.toml when it exists]
    #[arg(long, short = 'C', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Compare the merged run with a baseline: a run record, or a folder of run records (history)
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
}

pub fn run(args: &MergeArgs) -> Result<ExitStatus> {
    let mut shards = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let rec = RunRecord::from_json_path_bytes(&bytes, path)
            .map_err(|e| Error::Usage(e.to_string()))?;
        shards.push((path.display().to_string(), rec));
    }
    let mut merged = merge_shards(
        &shards,
        &MergeOptions {
            allow_partial: args.allow_partial,
            run_id: args.run_id.clone(),
        },
    )
    .map_err(|e| Error::Usage(e.to_string()))?;
    let default_config = std::path::Path::new("perfgate.toml");
    let config = args
        .config
        .as_deref()
        .or_else(|| default_config.is_file().then_some(default_config));
    let env = perfgate::config::process_env();
    let settings = match config {
        Some(path) => Some(perfgate::config::load(
            path,
            &env,
            &perfgate::config::Overrides::default(),
        )?),
        None if args.baseline.is_some() => Some(perfgate::config::Settings::resolve(
            None,
            &env,
            &perfgate::config::Overrides::default(),
        )?),
        None => None,
    };
    let status = match &settings {
        Some(s) => {
            let verdict = perfgate::session::Verdict::from_settings(s)?;
            let comparison = match &args.baseline {
                Some(path) => Some(crate::commands::reference::compare_with_baseline(
                    &merged, path,
                )?),
                None => None,
            };
            verdict.judge(&mut merged, comparison)
        }
        None => ExitStatus::Pass,
    };
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    perfgate::output::write_atomic(&args.output, &merged.to_json_pretty())?;
    for w in &merged.warnings {
        eprintln!("warning: {w}");
    }
    let requests: u64 = merged.operations().map(|(_, o)| o.total_requests).sum();
    println!(
        "merged {} shard(s) into {} (run {}, {requests} requests)",
        shards.len(),
        args.output.display(),
        merged.run_id
    );
    match merged.analysis.as_ref() {
        Some(_) => println!("{}", perfgate_reports::render::text_summary::render(&merged)),
        None => eprintln!(
            "perfgate: no perfgate.toml here (and no --config): the merged run was not judged by gates"
        ),
    }
    Ok(status)
}

//! `perfgate merge shard-*.json -o run.json`: one record from the shards of a sharded run
//! (see [`perfgate_reports::merge`]).

use perfgate_reports::merge::{merge_shards, MergeOptions};
use perfgate_reports::RunRecord;

use crate::cli::MergeArgs;
use crate::error::{Error, ExitStatus, Result};

pub fn run(args: &MergeArgs) -> Result<ExitStatus> {
    let mut shards = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let rec = RunRecord::from_json_path_bytes(&bytes, path)
            .map_err(|e| Error::Usage(e.to_string()))?;
        shards.push((path.display().to_string(), rec));
    }
    let merged = merge_shards(
        &shards,
        &MergeOptions {
            allow_partial: args.allow_partial,
            run_id: args.run_id.clone(),
        },
    )
    .map_err(|e| Error::Usage(e.to_string()))?;
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    crate::output::write_atomic(&args.output, &merged.to_json_pretty())?;
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
    Ok(ExitStatus::Pass)
}

//! `perfgate run`: the suite from `perfgate.toml`, through the one run path.

use perfgate::config::{self, Overrides};
use perfgate::error::{ExitStatus, Result};
use perfgate::session::{self, SessionOptions};

use crate::cli::RunArgs;
use crate::commands::pipeline::{print_finished, schedules};
use crate::commands::reference;

pub fn run(args: &RunArgs) -> Result<ExitStatus> {
    let env = config::process_env();
    let mut settings = config::load(&args.config, &env, &overrides(args))?;
    if let Some((index, total)) = args.shard {
        settings.apply_shard(index, total)?;
    }
    let recorded = session::run(
        &settings,
        schedules(args.test_type),
        &env,
        &SessionOptions {
            workers: None,
            quiet: args.output.quiet,
            write_files: true,
        },
    )?;
    // With `[ab]` the run is judged by its interleaved trials; else by `--baseline`, when given.
    let comparison = match (&recorded.ab_comparison, &args.baseline) {
        (Some(c), baseline) => {
            if baseline.is_some() {
                eprintln!(
                    "perfgate: [ab] is set: the run is judged by its A/B trials, not by --baseline"
                );
            }
            Some(c.clone())
        }
        (None, Some(path)) => Some(reference::compare_with_baseline(&recorded.record, path)?),
        (None, None) => None,
    };
    let finished = recorded.finish(comparison)?;
    print_finished(&finished, args.output.json);
    Ok(finished.status)
}

fn overrides(args: &RunArgs) -> Overrides {
    Overrides {
        duration: args.duration,
        concurrency: args.concurrency,
        iterations: args.iterations,
        target_rps: args.target_rps,
        output_dir: args.output.output_dir.clone(),
        base_url: args.base_url.clone(),
        pushgateway: args.output.pushgateway.clone(),
        metrics_addr: args.output.metrics_addr.clone(),
    }
}

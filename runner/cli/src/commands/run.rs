//! `perfgate run`: the suite from `perfgate.toml`, through the one run path.

use clap::Args;
use perfgate::config::{self, Overrides};
use perfgate::error::{ExitStatus, Result};
use perfgate::session::{self, SessionOptions};
use std::path::PathBuf;

use crate::commands::pipeline::OutputArgs;
use crate::commands::pipeline::TestTypeArg;
use crate::commands::pipeline::{print_finished, schedules};
use crate::commands::reference;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// What to run
    #[arg(long, value_enum, default_value = "analysis")]
    pub test_type: TestTypeArg,
    /// Config file
    #[arg(
        long,
        short = 'C',
        value_name = "FILE",
        default_value = "perfgate.toml"
    )]
    pub config: PathBuf,
    /// Load duration in seconds (PERFORMANCE_TEST_DURATION)
    #[arg(long, short = 'd', value_name = "SECS")]
    pub duration: Option<f64>,
    /// Concurrent users for load (PERFORMANCE_TEST_CONCURRENCY)
    #[arg(long, short = 'c', value_name = "N")]
    pub concurrency: Option<u32>,
    /// Benchmark iterations per operation (PERFORMANCE_TEST_ITERATIONS)
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Open-model load: requests per second at fixed intended times
    #[arg(long, value_name = "RPS")]
    pub target_rps: Option<f64>,
    /// Override target.base_url
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Run shard I of N (1-based): users, target rate, stress steps and iterations divided; merge the shards'
    /// records with `perfgate merge`
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Compare with a run record file, or with the history in a folder of run records (same machine
    /// fingerprint); gates.regression decides whether a regression fails the run
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected I/N, e.g. 2/4"))?;
    let i: u32 = i
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: I is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: N is not a number"))?;
    if i == 0 || n == 0 || i > n {
        return Err(format!("{s:?}: expected 1 <= I <= N"));
    }
    Ok((i, n))
}

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
            verbose: args.output.verbose,
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

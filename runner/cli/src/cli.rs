//! The command line: the [`Command`] enum and the dispatch to [`crate::commands`].
//!
//! Each subcommand's arguments are a struct in its own module (`commands::run::RunArgs`, …); the command
//! turns them into settings (flags > `PERFORMANCE_*` env > `perfgate.toml` > defaults, in
//! [`perfgate::config`]) and runs. `main` maps errors to the documented exit codes ([`perfgate::error`]).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::commands::analyze::AnalyzeArgs;
use crate::commands::compare::CompareArgs;
use crate::commands::demo::DemoArgs;
use crate::commands::export::ExportArgs;
use crate::commands::fetch_baseline::FetchBaselineArgs;
use crate::commands::history::HistoryArgs;
use crate::commands::import::ImportArgs;
use crate::commands::ingest::IngestArgs;
use crate::commands::init::InitArgs;
use crate::commands::load::LoadArgs;
use crate::commands::merge::MergeArgs;
use crate::commands::publish::PublishArgs;
use crate::commands::run::RunArgs;
use crate::commands::site::SiteCommand;

/// Performance testing for services, built for CI.
#[derive(Debug, Parser)]
#[command(name = "perfgate", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the suite in perfgate.toml (benchmark, load, stress, or all of them with analysis).
    Run(RunArgs),
    /// Quick load test of one URL without a config file (like oha / wrk).
    Load(Box<LoadArgs>),
    /// Start the embedded demo service and run the analysis suite against it.
    Demo(DemoArgs),
    /// Write a commented example perfgate.toml.
    Init(InitArgs),
    /// Add a run record to the reports branch (one file per run), regenerate index.json, push (retrying on
    /// concurrent publishers). The checkout, index and current branch are not touched.
    Publish(PublishArgs),
    /// Print the runs on the reports branch, or one operation's numbers over time.
    History(HistoryArgs),
    /// Fetch the base branch's last runs (same machine fingerprint) from the reports branch, for a PR.
    FetchBaseline(FetchBaselineArgs),
    /// Merge the records of a sharded run (perfgate run --shard i/N) into one record, losslessly.
    Merge(MergeArgs),
    /// Convert a run record for Bencher (BMF) or github-action-benchmark (custom tools).
    Export(ExportArgs),
    /// Turn an oha JSON output or a k6 summary export into a run record (to seed the history).
    Import(ImportArgs),
    /// Turn a microbenchmark harness's output (criterion, libtest, Go, pytest-benchmark, hyperfine, JMH,
    /// Google Benchmark, BMF, github-action-benchmark JSON) into a run record, one operation per benchmark.
    Ingest(IngestArgs),
    /// The GitHub Action: run, judge against the reports branch, comment on the pull request or publish
    /// (reads INPUT_* and GITHUB_* as set by action.yml).
    Action(commands::action::ActionArgs),
    /// The trend site: build it from a reports folder, or serve it locally.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Compare two run records row by row (exit 1 on an unacknowledged regression).
    Compare(CompareArgs),
    /// Find the change points of a history of runs (which commit changed what, by how much).
    Analyze(AnalyzeArgs),
}

/// Parses the command line, runs, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = match &cli.command {
        Command::Run(a) => a.output.verbose,
        Command::Load(a) => a.output.verbose,
        Command::Demo(a) => a.output.verbose,
        _ => false,
    };
    init_logging(verbose);
    let result = match &cli.command {
        Command::Run(a) => commands::run::run(a),
        Command::Load(a) => commands::load::run(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Init(a) => commands::init::run(a),
        Command::Action(a) => commands::action::run(a),
        Command::Site(SiteCommand::Build(a)) => commands::site::build(a),
        Command::Site(SiteCommand::Serve(a)) => commands::site::serve(a),
        Command::Publish(a) => commands::publish::run(a),
        Command::History(a) => commands::history::run(a),
        Command::FetchBaseline(a) => commands::fetch_baseline::run(a),
        Command::Merge(a) => commands::merge::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::Import(a) => commands::import::run(a),
        Command::Ingest(a) => commands::ingest::run(a),
        Command::Compare(a) => commands::compare::run(a),
        Command::Analyze(a) => commands::analyze::run(a),
    };
    let code = match result {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_status().into()
        }
    };
    // A run cut short by SIGINT/SIGTERM wrote what ran (marked incomplete); the exit code says it was
    // interrupted: 130 or 143, as a shell reports a process killed by that signal.
    match perfgate::interrupt::signal() {
        Some(sig) => ExitCode::from(perfgate::interrupt::exit_code(sig)),
        None => code,
    }
}

fn init_logging(verbose: bool) {
    let default = if verbose {
        "perfgate=debug"
    } else {
        "perfgate=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PERFGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: a CI log or a file gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}

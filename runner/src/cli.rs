//! The command line: clap types, and the dispatch to [`crate::commands`].
//!
//! Every subcommand's arguments are a struct here; the command modules turn them into settings (flags >
//! `PERFORMANCE_*` env > `perfgate.toml` > defaults, in [`crate::config`]) and run. `main` maps errors to the
//! documented exit codes ([`crate::error`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;

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
    Load(LoadArgs),
    /// Start the embedded demo service and run the analysis suite against it.
    Demo(DemoArgs),
    /// Write a commented example perfgate.toml.
    Init(InitArgs),
    /// The trend site: build it from a reports folder, or serve it locally.
    #[command(subcommand)]
    Site(SiteCommand),
}

/// `perfgate site …`
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Render the static site (HTML + inline SVG, relative links) into a folder.
    Build(SiteBuildArgs),
    /// Serve the site on 127.0.0.1 and rebuild it when run files change.
    Serve(SiteServeArgs),
}

#[derive(Debug, Args)]
pub struct SiteBuildArgs {
    /// Reports folder: a checkout of the reports branch (run files under runs/)
    #[arg(long, value_name = "DIR")]
    pub reports: PathBuf,
    /// Where to write the site
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// URL path the site is served under, e.g. /repo/ for https://org.github.io/repo/ (used by 404.html)
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub base_path: String,
}

#[derive(Debug, Args)]
pub struct SiteServeArgs {
    /// Reports folder: a checkout of the reports branch (run files under runs/)
    #[arg(long, value_name = "DIR")]
    pub reports: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed on stdout)
    #[arg(long, default_value_t = 8000, value_name = "PORT")]
    pub port: u16,
}

/// Which schedules to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestTypeArg {
    Benchmark,
    Load,
    Stress,
    /// Benchmark + load + stress, then gates and recommendations.
    Analysis,
    /// Benchmark + load + stress.
    All,
}

impl TestTypeArg {
    pub fn as_str(self) -> &'static str {
        match self {
            TestTypeArg::Benchmark => "benchmark",
            TestTypeArg::Load => "load",
            TestTypeArg::Stress => "stress",
            TestTypeArg::Analysis => "analysis",
            TestTypeArg::All => "all",
        }
    }

    pub fn runs_benchmark(self) -> bool {
        matches!(
            self,
            TestTypeArg::Benchmark | TestTypeArg::Analysis | TestTypeArg::All
        )
    }

    pub fn runs_load(self) -> bool {
        matches!(
            self,
            TestTypeArg::Load | TestTypeArg::Analysis | TestTypeArg::All
        )
    }

    pub fn runs_stress(self) -> bool {
        matches!(
            self,
            TestTypeArg::Stress | TestTypeArg::Analysis | TestTypeArg::All
        )
    }
}

/// Options shared by commands that run a suite and write reports.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Directory for reports [default: performance_results]
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Print the full run record (JSON) on stdout instead of the table
    #[arg(long)]
    pub json: bool,
    /// More detail on stderr (per-second lines, debug logs)
    #[arg(short, long)]
    pub verbose: bool,
    /// No progress output on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

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
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Concurrent users for load (PERFORMANCE_TEST_CONCURRENCY)
    #[arg(long, value_name = "N")]
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
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The URL to load (loopback or your own service)
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Concurrent connections (users)
    #[arg(
        short = 'c',
        long = "concurrency",
        default_value_t = 50,
        value_name = "N"
    )]
    pub concurrency: u32,
    /// Duration in seconds
    #[arg(
        short = 'd',
        long = "duration",
        default_value_t = 10.0,
        value_name = "SECS"
    )]
    pub duration: f64,
    /// Open model: requests per second (latency measured from intended start)
    #[arg(long, value_name = "RPS")]
    pub rps: Option<f64>,
    /// HTTP method
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,
    /// Header 'Name: value' (repeatable)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Request body
    #[arg(long)]
    pub body: Option<String>,
    /// Per-request timeout in seconds
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub timeout: f64,
    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Also write the report files (by default `perfgate load` only prints)
    #[arg(long)]
    pub save: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Load duration in seconds for the demo (short by default)
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write
    #[arg(long, default_value = "perfgate.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
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
        Command::Site(SiteCommand::Build(a)) => commands::site::build(a),
        Command::Site(SiteCommand::Serve(a)) => commands::site::serve(a),
    };
    match result {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_status().into()
        }
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
        .without_time()
        .try_init();
}

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
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Folder of run records: a checkout of the reports branch (runs/) or a fetched baseline
    #[arg(long, value_name = "DIR")]
    pub history: PathBuf,
    /// Only runs of this code branch (e.g. main)
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Only runs with this environment fingerprint
    #[arg(long, value_name = "FP")]
    pub fingerprint: Option<String>,
    /// Only this operation's series
    #[arg(long, value_name = "NAME")]
    pub operation: Option<String>,
    /// Output: text, md or json
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    pub format: String,
    /// Keep a change point only when its adjusted p-value is at most P [default: 0.01]
    #[arg(long, value_name = "P")]
    pub p_value: Option<f64>,
    /// Keep a change point only when the means differ by at least PCT percent [default: 5]
    #[arg(long, value_name = "PCT")]
    pub min_magnitude: Option<f64>,
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
    /// The compare page shows this run's comparison (e.g. a pull request's record from the Action's report
    /// directory) [default: the newest run on the branch that has one]
    #[arg(long, value_name = "RUN.json")]
    pub compare: Option<PathBuf>,
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
    /// Push the run's metrics to this Prometheus Pushgateway at the end (PERFORMANCE_PUSHGATEWAY_URL)
    #[arg(long, value_name = "URL")]
    pub pushgateway: Option<String>,
    /// Serve live Prometheus metrics on http://ADDR/metrics during the run (PERFORMANCE_METRICS_ADDR)
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = crate::config::DEFAULT_METRICS_ADDR)]
    pub metrics_addr: Option<String>,
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

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("load_target")
        .required(true)
        .multiple(false)
        .args(["url", "mcp_stdio", "mcp_url"])
))]
pub struct LoadArgs {
    /// The URL to load (loopback or your own service)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// An MCP server to spawn and call over stdio, as a command line (run with `sh -c 'exec …'`)
    #[arg(long, value_name = "'CMD ARGS'")]
    pub mcp_stdio: Option<String>,
    /// An MCP server's Streamable HTTP endpoint, e.g. http://127.0.0.1:8080/mcp
    #[arg(long, value_name = "URL")]
    pub mcp_url: Option<String>,
    /// MCP: the tool to call (required with --mcp-stdio / --mcp-url)
    #[arg(long, value_name = "NAME")]
    pub tool: Option<String>,
    /// MCP: the tool's arguments as a JSON object
    #[arg(long = "args", value_name = "JSON")]
    pub tool_args: Option<String>,
    /// MCP: per_user (a session per user), shared (one session, requests pipelined) or churn (a session per call)
    #[arg(long, value_name = "MODE", default_value = "per_user")]
    pub session: String,
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
    /// Write an example for an MCP server's tools (stdio or Streamable HTTP) instead
    #[arg(long)]
    pub mcp: bool,
}

/// Where the reports branch is: shared by `publish`, `history` and `fetch-baseline`.
#[derive(Debug, Clone, Args)]
pub struct ReportsBranchArgs {
    /// A directory inside the git repository
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The reports branch [default: [reports] branch, else perf-reports]
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Remote name or URL [default: [reports] remote, else origin]
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
    /// Config file for the [reports] section [default: perfgate.toml when it exists]
    #[arg(long, short = 'C', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The run record (JSON) to publish
    #[arg(value_name = "RUN.json")]
    pub run: PathBuf,
    #[command(flatten)]
    pub at: ReportsBranchArgs,
    /// First line of the commit message
    #[arg(long, short = 'm', value_name = "M")]
    pub message: Option<String>,
    /// Retention: keep only the newest N run files [default: [reports] max_runs, else unlimited]
    #[arg(long, value_name = "N")]
    pub max_runs: Option<usize>,
    /// Retention: prune run files older than DAYS [default: [reports] max_age_days, else unlimited]
    #[arg(long, value_name = "DAYS")]
    pub max_age_days: Option<u32>,
    /// Commit to the local branch only; do not fetch or push
    #[arg(long)]
    pub no_push: bool,
    /// Give up after this many attempts when concurrent publishers keep winning
    #[arg(long, value_name = "N", default_value_t = crate::reports_branch::publish::DEFAULT_MAX_ATTEMPTS)]
    pub max_attempts: u32,
    /// Where GitHub Pages serves the branch [default: /REPO/ from GITHUB_REPOSITORY, else /]
    #[arg(long, value_name = "PATH")]
    pub site_base_path: Option<String>,
    /// Write run files and index.json only, not the trend site
    #[arg(long)]
    pub no_site: bool,
    /// Print the outcome as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub at: ReportsBranchArgs,
    /// Read run files from this folder instead of the branch (e.g. a fetched baseline)
    #[arg(long, value_name = "DIR", conflicts_with = "fetch")]
    pub dir: Option<PathBuf>,
    /// Fetch the reports branch from the remote first
    #[arg(long)]
    pub fetch: bool,
    /// Show this operation's numbers run by run
    #[arg(long, value_name = "NAME")]
    pub operation: Option<String>,
    /// Only runs of this code branch (e.g. main)
    #[arg(long, value_name = "BRANCH")]
    pub git_branch: Option<String>,
    /// Only runs with this environment fingerprint
    #[arg(long, value_name = "FP")]
    pub fingerprint: Option<String>,
    /// Only runs of this suite
    #[arg(long, value_name = "NAME")]
    pub suite: Option<String>,
    /// Show the newest N runs
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub last: usize,
    /// Print JSON on stdout (the index entries, or the operation's series)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FetchBaselineArgs {
    #[command(flatten)]
    pub at: ReportsBranchArgs,
    /// The code branch whose runs are the baseline
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    pub base: String,
    /// How many of its newest runs to fetch
    #[arg(long, value_name = "N", default_value_t = crate::reports_branch::fetch_baseline::DEFAULT_BASELINE_RUNS)]
    pub runs: usize,
    /// Environment fingerprint to match [default: this machine's]
    #[arg(long, value_name = "FP", conflicts_with = "any_fingerprint")]
    pub fingerprint: Option<String>,
    /// Keep runs from every machine
    #[arg(long)]
    pub any_fingerprint: bool,
    /// Only runs of this suite [default: the config's suite, when there is a config]
    #[arg(long, value_name = "NAME")]
    pub suite: Option<String>,
    /// Where to write the selected run files
    #[arg(
        long,
        value_name = "DIR",
        default_value = "performance_results/baseline"
    )]
    pub out: PathBuf,
    /// Print the outcome as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

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
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Compare the merged run with a baseline: a run record, or a folder of run records (history)
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
}

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
        Command::Compare(a) => commands::compare::run(a),
        Command::Analyze(a) => commands::analyze::run(a),
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

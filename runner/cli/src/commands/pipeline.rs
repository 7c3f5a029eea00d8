//! What the suite-running commands (`run`, `load`, `demo`, `action`) share around the one run path
//! ([`perfgate::session`]): the schedules of `--test-type`, and the end-of-run output.

use clap::{Args, ValueEnum};
use perfgate::session::{Finished, Schedules};
use std::path::PathBuf;

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
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = perfgate::config::DEFAULT_METRICS_ADDR)]
    pub metrics_addr: Option<String>,
}

/// The schedules a `--test-type` runs.
pub fn schedules(t: TestTypeArg) -> Schedules {
    match t {
        TestTypeArg::Benchmark => Schedules::BENCHMARK,
        TestTypeArg::Load => Schedules::LOAD,
        TestTypeArg::Stress => Schedules::STRESS,
        TestTypeArg::Analysis => Schedules::ANALYSIS,
        TestTypeArg::All => Schedules::ALL,
    }
}

/// Prints the end-of-run output: the table (or the record as JSON) on stdout, file paths on stderr.
pub fn print_finished(f: &Finished, json: bool) {
    if json {
        let bytes = f.record.to_json_pretty();
        println!("{}", String::from_utf8_lossy(&bytes).trim_end());
    } else {
        println!("{}", f.summary_text.trim_end());
    }
    if let Some(run) = &f.files.run_record {
        eprintln!(
            "perfgate: wrote {} files to {} (run record: {})",
            f.files.files.len(),
            run.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            run.display()
        );
    }
}

//! `perfgate demo`: the embedded demo service and the `analysis` suite against it, in under a minute.

use clap::Args;
use std::path::Path;

use crate::commands::pipeline::print_finished;
use crate::commands::pipeline::OutputArgs;
use crate::demo::{DemoServer, DEMO_CONFIG};
use perfgate::config::{self, Overrides, Settings};
use perfgate::error::{Error, ExitStatus, Result};
use perfgate::session::{self, Schedules, SessionOptions};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Load duration in seconds for the demo (short by default)
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &DemoArgs) -> Result<ExitStatus> {
    let server = DemoServer::start().map_err(|e| Error::Runtime(format!("demo server: {e}")))?;
    let env = config::process_env();
    let text = DEMO_CONFIG
        .replace("{BASE_URL}", &server.base_url())
        .replace("{MCP_URL}", &server.mcp_url());
    let cfg = config::parse_str(&text, "demo.toml")?;
    let settings = Settings::resolve(
        Some((&cfg, Path::new("demo.toml"), &text)),
        &env,
        &Overrides {
            duration: args.duration,
            output_dir: args.output.output_dir.clone(),
            pushgateway: args.output.pushgateway.clone(),
            metrics_addr: args.output.metrics_addr.clone(),
            ..Default::default()
        },
    )?;
    eprintln!(
        "perfgate: demo service on {} (MCP tools at {}) — running the analysis suite (benchmark, load, stress)",
        server.base_url(),
        server.mcp_url()
    );
    let finished = session::run(
        &settings,
        Schedules::ANALYSIS,
        &env,
        &SessionOptions {
            workers: None,
            quiet: args.output.quiet,
            verbose: args.output.verbose,
            write_files: true,
        },
    )?
    .finish(None)?;
    drop(server);
    print_finished(&finished, args.output.json);
    if let Some(run) = &finished.files.run_record {
        eprintln!(
            "perfgate: next: open {} for recommendations, or `perfgate compare` two runs",
            run.with_file_name(
                run.file_name()
                    .map(|n| n
                        .to_string_lossy()
                        .replace("run_", "optimization_report_")
                        .replace(".json", ".md"))
                    .unwrap_or_default()
            )
            .display()
        );
    }
    Ok(finished.status)
}

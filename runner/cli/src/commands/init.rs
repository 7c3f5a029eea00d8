//! `perfgate init`: a commented example `perfgate.toml` (`--mcp`: one for an MCP server's tools).

use clap::Args;
use std::path::PathBuf;

use perfgate::error::{Error, ExitStatus, Result};

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

/// The example config. Every key is shown with its default.
pub const TEMPLATE: &str = r#"# perfgate.toml — the suite perfgate runs. Every key is optional unless marked.
# Precedence: command-line flag > PERFORMANCE_* environment variable > this file > default.

suite = "my-service"                 # names files, the PR comment and the site's pages
# output_dir = "performance_results"

[target]
base_url = "http://127.0.0.1:8080"   # HTTP operations' paths are relative to this
request_timeout = 30                 # seconds, per request
# pid = 12345                        # sample this process's CPU/RSS (automatic with [service])
# propagate_trace_context = true     # W3C traceparent on every request: the service's spans join the run's trace
# [target.headers]
# Authorization = "Bearer ${API_TOKEN}"   # ${VAR} comes from the environment; never commit secrets

# Optional: perfgate starts the service, waits until it is ready, stops it at the end (also on Ctrl-C).
# [service]
# command = "./target/release/my-service --port 8080"   # run with sh -c, in its own process group
# ready_url = "http://127.0.0.1:8080/health"            # or: ready_tcp = "127.0.0.1:8080"
# ready_timeout_seconds = 30
# log_file = "performance_results/service.log"
# stop_timeout_seconds = 10                             # SIGTERM, then SIGKILL after this

[[operations]]
name = "health"                      # required, unique
path = "/health"                     # HTTP: method defaults to GET, any 2xx is success
weight = 1                           # share in the load/stress mix (0 = benchmark only)

[[operations]]
name = "create_item"
method = "POST"
path = "/items"
json = { name = "example" }          # or: body = "raw text"
expect_status = [201]
timeout = 5

# A command is an operation too (exit code 0 = success; spawn overhead is measured and reported apart):
# [[operations]]
# name = "cli_export"
# command = ["sh", "-c", "./my-cli export --dry-run"]
# timeout = 10

[benchmark]
iterations = 100                     # PERFORMANCE_TEST_ITERATIONS
warmup_iterations = 10               # PERFORMANCE_WARMUP_ITERATIONS

[load]
duration_seconds = 30                # PERFORMANCE_TEST_DURATION
concurrent_users = 10                # PERFORMANCE_TEST_CONCURRENCY
ramp_up_seconds = 0                  # seconds to start all users evenly
# target_rps = 200                   # open model: fixed arrival rate, latency from the intended start
think_time_ms = 0
collect_system_metrics = true        # PERFORMANCE_COLLECT_SYSTEM_METRICS
enable_tracing = false               # PERFORMANCE_ENABLE_TRACING; export spans to OTEL_EXPORTER_OTLP_ENDPOINT

[stress]
start_concurrent = 5
max_concurrent = 50
step_size = 5
step_duration_seconds = 10
step_warmup_seconds = 2
max_error_rate_percent = 5
# max_p95_ms = 500

[gates]
# Omit `all` for the defaults: p95 < 500ms, error_rate < 5%, rps >= 10.
all = ["p95 < 500ms", "error_rate < 5%", "rps >= 10"]
regression = "fail"                  # or "warn"
# memory_threshold_mb = 512          # PERFORMANCE_MEMORY_THRESHOLD_MB
# cpu_threshold_percent = 80         # PERFORMANCE_CPU_THRESHOLD_PERCENT
# [gates.operations]
# create_item = ["p95 < 200ms"]

# A/B interleaved mode, for noisy shared CI runners: run the base build beside this one and alternate
# short trials (base, head; head, base; …), judged by a rank test instead of against history.
# [ab]
# base_url = "http://127.0.0.1:8081"
# trials = 6
# [ab.service]
# command = "./base/target/release/my-service --port 8081"
# ready_url = "http://127.0.0.1:8081/health"

[reports]
# branch = "perf-reports"            # one file per run + index.json + the site (GitHub Pages)
# remote = "origin"
# max_runs = 2000                    # retention: prune the oldest run files beyond this on publish
# max_age_days = 365                 # retention: prune run files older than this on publish
"#;

/// The example config for an MCP server (`perfgate init --mcp`).
pub const MCP_TEMPLATE: &str = r#"# perfgate.toml — benchmark, load and stress the tools of an MCP server.
# Precedence: command-line flag > PERFORMANCE_* environment variable > this file > default.

suite = "my-mcp-server"

[mcp]
# stdio: perfgate spawns the server (it is the target process: its CPU and RSS are sampled; if it exits
# mid-run, the record says so with its exit status and the tail of its stderr).
command = "./target/release/my-mcp-server"
args = ["--transport", "stdio"]
# env = { RUST_LOG = "warn", API_TOKEN = "${API_TOKEN}" }   # ${VAR} comes from perfgate's environment
# cwd = "."
# Or Streamable HTTP, instead of command/args/env/cwd:
# url = "http://127.0.0.1:8080/mcp"
# headers = { Authorization = "Bearer ${MCP_TOKEN}" }
#
# per_user: each virtual user initializes its own session (for stdio: its own server process)
# shared:   one session for the run, every user's requests in flight on it at once (request-id pipelining)
# churn:    a new session per call (initialize + call)
# The initialize handshake is always timed apart, as the operation `mcp.initialize`.
session = "per_user"

[[operations]]
name = "resolve_chat"
tool = "resolve_chat"                # tools/call; isError: true counts as a failure (mcp_tool_error)
arguments = { chat = "general" }
weight = 4
timeout = 10                         # seconds; on timeout perfgate sends notifications/cancelled

[[operations]]
name = "fetch_messages"
tool = "fetch_messages"
arguments = { chat = "general", limit = 50 }
weight = 3

[[operations]]
name = "list_tools"
list_tools = true                    # tools/list
weight = 0                           # benchmark only

# [[operations]]
# name = "read_config"
# resource = "config://app"          # resources/read
#
# [[operations]]
# name = "summarize_prompt"
# prompt = "summarize"               # prompts/get
# arguments = { topic = "release notes" }

[benchmark]
iterations = 100
warmup_iterations = 10

[load]
duration_seconds = 30
concurrent_users = 10
ramp_up_seconds = 0                  # seconds to start all users evenly

[stress]
start_concurrent = 5
max_concurrent = 50
step_size = 5
step_duration_seconds = 10

[gates]
all = ["p95 < 500ms", "error_rate < 5%", "rps >= 10"]
# [gates.operations]
# "mcp.initialize" = ["p95 < 200ms"]
"#;

pub fn run(args: &InitArgs) -> Result<ExitStatus> {
    if args.path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} already exists (use --force to overwrite)",
            args.path.display()
        )));
    }
    let template = if args.mcp { MCP_TEMPLATE } else { TEMPLATE };
    perfgate::output::write_atomic(&args.path, template.as_bytes())?;
    eprintln!("perfgate: wrote {}", args.path.display());
    Ok(ExitStatus::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_a_valid_config() {
        let cfg = perfgate::config::parse_str(TEMPLATE, "perfgate.toml").unwrap();
        let s = perfgate::config::Settings::resolve(
            Some((&cfg, std::path::Path::new("perfgate.toml"), TEMPLATE)),
            &Default::default(),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(s.operations.len(), 2);
        assert_eq!(s.load.users, 10);
        assert!(perfgate::session::Verdict::from_settings(&s).is_ok());
    }

    #[test]
    fn the_template_shows_the_real_defaults() {
        let resolve = |text: &str| {
            let cfg = perfgate::config::parse_str(text, "perfgate.toml").unwrap();
            perfgate::config::Settings::resolve(
                Some((&cfg, std::path::Path::new("perfgate.toml"), text)),
                &Default::default(),
                &Default::default(),
            )
            .unwrap()
        };
        // Each template without its [benchmark], [load] and [stress] sections: every schedule key defaulted.
        for template in [TEMPLATE, MCP_TEMPLATE] {
            let cut = template.find("[benchmark]").unwrap();
            let rest = template.find("[gates]").unwrap();
            let without = format!("{}{}", &template[..cut], &template[rest..]);
            let (shown, defaults) = (resolve(template), resolve(&without));
            assert_eq!(
                format!("{:?}", shown.benchmark),
                format!("{:?}", defaults.benchmark)
            );
            assert_eq!(format!("{:?}", shown.load), format!("{:?}", defaults.load));
            assert_eq!(
                format!("{:?}", shown.stress),
                format!("{:?}", defaults.stress)
            );
            assert_eq!(
                shown.collect_system_metrics,
                defaults.collect_system_metrics
            );
        }
    }

    #[test]
    fn the_templates_ab_section_is_valid_when_uncommented() {
        let text: String = TEMPLATE
            .lines()
            .map(|l| {
                let uncommented = l.strip_prefix("# ").unwrap_or(l);
                if uncommented.starts_with("[ab")
                    || uncommented.starts_with("base_url = \"http://127.0.0.1:8081")
                    || uncommented.starts_with("trials")
                    || uncommented.starts_with("command = \"./base/")
                    || uncommented.starts_with("ready_url = \"http://127.0.0.1:8081")
                {
                    uncommented.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let cfg = perfgate::config::parse_str(&text, "perfgate.toml").unwrap();
        let s = perfgate::config::Settings::resolve(
            Some((&cfg, std::path::Path::new("perfgate.toml"), &text)),
            &Default::default(),
            &Default::default(),
        )
        .unwrap();
        let ab = s.ab.expect("[ab]");
        assert_eq!(
            (ab.base_url.as_str(), ab.trials),
            ("http://127.0.0.1:8081", 6)
        );
        assert!(ab.service.is_some());
    }

    #[test]
    fn mcp_template_is_a_valid_config() {
        use perfgate::config::OperationKind;
        use perfgate::targets::mcp::{Endpoint, McpCall, SessionMode};
        let cfg = perfgate::config::parse_str(MCP_TEMPLATE, "perfgate.toml").unwrap();
        let s = perfgate::config::Settings::resolve(
            Some((&cfg, std::path::Path::new("perfgate.toml"), MCP_TEMPLATE)),
            &Default::default(),
            &Default::default(),
        )
        .unwrap();
        let mcp = s.mcp.as_ref().expect("[mcp]");
        assert_eq!(mcp.session, SessionMode::PerUser);
        assert!(matches!(&mcp.endpoint, Endpoint::Stdio(c) if c.args == ["--transport", "stdio"]));
        assert_eq!(s.operations.len(), 3);
        match &s.operations[1].kind {
            OperationKind::Mcp(McpCall::Tool { name, arguments }) => {
                assert_eq!(name, "fetch_messages");
                assert_eq!(arguments.as_ref().unwrap()["limit"], 50);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.operations[2].kind, OperationKind::Mcp(McpCall::ListTools));
        assert!(perfgate::session::Verdict::from_settings(&s).is_ok());
        // The commented Streamable HTTP alternative parses too.
        let http = MCP_TEMPLATE
            .replace("command = \"./target/release/my-mcp-server\"\n", "")
            .replace("args = [\"--transport\", \"stdio\"]\n", "")
            .replace("# url = ", "url = ")
            .replace("# headers = ", "headers = ");
        let cfg = perfgate::config::parse_str(&http, "perfgate.toml").unwrap();
        let s = perfgate::config::Settings::resolve(
            Some((&cfg, std::path::Path::new("perfgate.toml"), &http)),
            &[("MCP_TOKEN".to_string(), "t0k".to_string())]
                .into_iter()
                .collect(),
            &Default::default(),
        )
        .unwrap();
        match &s.mcp.as_ref().unwrap().endpoint {
            Endpoint::Http { url, headers, .. } => {
                assert_eq!(url, "http://127.0.0.1:8080/mcp");
                assert_eq!(headers[0], ("Authorization".into(), "Bearer t0k".into()));
            }
            other => panic!("{other:?}"),
        }
    }
}

//! `perfgate init`: a commented example `perfgate.toml`.

use crate::cli::InitArgs;
use crate::error::{Error, ExitStatus, Result};

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
ramp_up_seconds = 5
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
"#;

pub fn run(args: &InitArgs) -> Result<ExitStatus> {
    if args.path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} already exists (use --force to overwrite)",
            args.path.display()
        )));
    }
    crate::output::write_atomic(&args.path, TEMPLATE.as_bytes())?;
    eprintln!("perfgate: wrote {}", args.path.display());
    Ok(ExitStatus::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_a_valid_config() {
        let cfg = crate::config::parse_str(TEMPLATE, "perfgate.toml").unwrap();
        let s = crate::config::Settings::resolve(
            Some((&cfg, std::path::Path::new("perfgate.toml"), TEMPLATE)),
            &Default::default(),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(s.operations.len(), 2);
        assert_eq!(s.load.users, 10);
        assert!(crate::commands::run::build_gates(&s).is_ok());
    }
}

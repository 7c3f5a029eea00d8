//! The `perfgate.toml` file format, as serde types.
//!
//! Unknown keys are errors (`deny_unknown_fields`): a typo must not silently fall back to a default in a CI
//! gate. Key names follow the framework perfgate grew from (`duration_seconds`, `concurrent_users`,
//! `ramp_up_seconds`, `target_rps`, `request_timeout`, `collect_system_metrics`, `enable_tracing`,
//! `max_concurrent`, `step_size`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_spanned::Spanned;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Suite name: file names, PR comment markers and the site use it.
    pub suite: Option<String>,
    /// Where reports are written (default `performance_results`).
    pub output_dir: Option<String>,
    #[serde(default)]
    pub target: TargetConfig,
    pub service: Option<ServiceConfig>,
    /// `[mcp]`: the MCP server that `tool`/`resource`/`prompt`/`list_tools` operations go to.
    pub mcp: Option<Spanned<McpConfig>>,
    #[serde(default)]
    pub operations: Vec<Spanned<OperationConfig>>,
    #[serde(default)]
    pub benchmark: BenchmarkConfig,
    #[serde(default)]
    pub load: LoadConfig,
    #[serde(default)]
    pub stress: StressConfig,
    #[serde(default)]
    pub gates: GatesConfig,
    #[serde(default)]
    pub reports: ReportsConfig,
    /// `[ab]`: the A/B interleaved mode (the base build of the service beside the head build).
    pub ab: Option<Spanned<AbConfig>>,
    /// The old name of `[ab]`, still read (with a deprecation warning).
    pub baseline: Option<Spanned<AbConfig>>,
    /// `[[acknowledge]]`: known regressions that warn instead of failing until a date
    /// (`operation`, optional `metric`, `reason`, `until = "YYYY-MM-DD"`).
    #[serde(default)]
    pub acknowledge: Vec<Spanned<perfgate_reports::analysis::Acknowledgement>>,
}

/// `[reports]`: the reports branch (`perfgate publish`, `history`, `fetch-baseline`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// Branch holding one file per run and the site (`perf-reports`).
    pub branch: Option<String>,
    /// Remote to publish to and fetch from (`origin`).
    pub remote: Option<String>,
    /// Keep only the newest N run files (older ones are pruned on publish).
    pub max_runs: Option<usize>,
    /// Prune run files older than this many days on publish.
    pub max_age_days: Option<u32>,
}

/// `[ab]` (formerly `[baseline]`): A/B interleaved mode. The base build of the service runs beside the head build, and short
/// trials alternate between them (A B, B A, A B, …) so the machine's drift hits both alike.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbConfig {
    /// The base build's URL: the A side of every HTTP operation (same paths, headers and bodies).
    pub base_url: Spanned<String>,
    /// Starts the base build before the trials (same keys as `[service]`).
    pub service: Option<ServiceConfig>,
    /// Trials per side (6).
    pub trials: Option<Spanned<u32>>,
    /// Seconds of each load trial (default: the load duration / trials, at least 2).
    pub trial_duration_seconds: Option<f64>,
    /// Iterations of each benchmark trial (default: the iterations / trials, at least 10).
    pub trial_iterations: Option<u64>,
    /// Smallest change of a row that counts, percent (10).
    pub threshold_percent: Option<f64>,
}

/// `[target]`: where HTTP operations go.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// e.g. `http://127.0.0.1:8080` (paths of operations are relative to it).
    pub base_url: Option<Spanned<String>>,
    /// Headers sent with every HTTP request. `${VAR}` is replaced from the environment.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Default per-request timeout in seconds (30).
    pub request_timeout: Option<f64>,
    /// PID of the service process to sample (when perfgate does not start it).
    pub pid: Option<u32>,
    /// Send a W3C `traceparent` header (the run's trace id, a new span id per request) with every HTTP
    /// request, so that the service's own spans join the run's trace.
    pub propagate_trace_context: Option<bool>,
    /// `[target.tls]`: trust, client certificate, `insecure_skip_verify` for `https://` URLs.
    pub tls: Option<Spanned<super::http::TlsConfig>>,
    /// Reuse connections (true); false sends `Connection: close` and connects for every request.
    pub keep_alive: Option<bool>,
    /// `Accept-Encoding` sent with every request (none by default).
    pub accept_encoding: Option<Spanned<String>>,
    /// Shorthand for `accept_encoding = "gzip, deflate, br"`.
    pub compress: Option<bool>,
    /// Connect to this `host:port` instead of the URL's (Host, SNI and the certificate keep the URL's host).
    pub connect_to: Option<Spanned<String>>,
}

/// `[service]`: a process perfgate starts before the suite and stops after it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Shell command line (run with `sh -c`).
    pub command: Spanned<String>,
    pub cwd: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Ready when this URL answers 2xx …
    pub ready_url: Option<String>,
    /// … or when this `host:port` accepts TCP connections.
    pub ready_tcp: Option<String>,
    /// Seconds to wait for readiness (30).
    pub ready_timeout_seconds: Option<f64>,
    /// Where its stdout/stderr go (default `<output_dir>/service.log`).
    pub log_file: Option<String>,
    /// Seconds between SIGTERM and SIGKILL at the end (10).
    pub stop_timeout_seconds: Option<f64>,
}

/// `[mcp]`: an MCP server, spawned over stdio (`command`) or reached over Streamable HTTP (`url`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpConfig {
    /// stdio: the program perfgate spawns (no shell; use `command = "sh"`, `args = ["-c", "…"]` for one).
    pub command: Option<String>,
    /// stdio: its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// stdio: extra environment (`${VAR}` is replaced from perfgate's environment).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// stdio: working directory.
    pub cwd: Option<String>,
    /// Streamable HTTP: the endpoint, e.g. `http://127.0.0.1:8080/mcp`.
    pub url: Option<String>,
    /// Streamable HTTP: headers sent with every request (`${VAR}` is replaced from the environment).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `per_user` (default), `shared` or `churn`.
    pub session: Option<Spanned<String>>,
    /// `[mcp.tls]`: trust and client certificate for an `https://` URL (same keys as `[target.tls]`).
    pub tls: Option<Spanned<super::http::TlsConfig>>,
}

/// One `[[operations]]` entry: an HTTP request, a command, or an MCP request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationConfig {
    pub name: String,
    /// Weight in the load/stress mix (1; 0 = benchmark only).
    pub weight: Option<u32>,
    /// HTTP: method (GET).
    pub method: Option<String>,
    /// HTTP: path and query relative to `target.base_url`.
    pub path: Option<String>,
    /// HTTP: extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// HTTP: text body.
    pub body: Option<String>,
    /// HTTP: JSON body (sets `content-type: application/json`).
    pub json: Option<toml::Value>,
    /// HTTP: accepted statuses (default any 2xx).
    pub expect_status: Option<Vec<u16>>,
    /// Per-request timeout in seconds (defaults to `target.request_timeout`, or `load.request_timeout`).
    pub timeout: Option<f64>,
    /// Command: argv (`["sh", "-c", "…"]` for a shell).
    pub command: Option<Vec<String>>,
    /// Command: extra environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Command: working directory.
    pub cwd: Option<String>,
    /// MCP: the tool to call.
    pub tool: Option<String>,
    /// MCP: the tool's (or the prompt's) arguments, a table.
    pub arguments: Option<Spanned<toml::Value>>,
    /// MCP: the URI of a resource to read.
    pub resource: Option<String>,
    /// MCP: the prompt to get.
    pub prompt: Option<String>,
    /// MCP: list the server's tools.
    pub list_tools: Option<bool>,
}

/// `[benchmark]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkConfig {
    pub iterations: Option<u64>,
    pub warmup_iterations: Option<u64>,
    pub max_seconds_per_operation: Option<f64>,
}

/// `[load]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadConfig {
    pub duration_seconds: Option<f64>,
    pub concurrent_users: Option<u32>,
    pub ramp_up_seconds: Option<f64>,
    /// Open model: requests per second at fixed intended times.
    pub target_rps: Option<f64>,
    pub think_time_ms: Option<f64>,
    pub warmup_seconds: Option<f64>,
    pub request_timeout: Option<f64>,
    pub collect_system_metrics: Option<bool>,
    pub enable_tracing: Option<bool>,
}

/// `[stress]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressConfig {
    pub start_concurrent: Option<u32>,
    pub max_concurrent: Option<u32>,
    pub step_size: Option<u32>,
    pub step_duration_seconds: Option<f64>,
    pub step_warmup_seconds: Option<f64>,
    pub max_error_rate_percent: Option<f64>,
    pub max_p95_ms: Option<f64>,
    /// Narrow the breaking point by bisection after the first failing step (to `step_size / 4` users).
    pub bisect: Option<bool>,
}

/// `[gates]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatesConfig {
    /// Expressions applied to every operation, e.g. `["p95 < 500ms", "error_rate < 5%", "rps >= 10"]`.
    pub all: Option<Vec<Spanned<String>>>,
    /// Expressions per operation name.
    #[serde(default)]
    pub operations: BTreeMap<String, Vec<Spanned<String>>>,
    /// What a significant regression does: `fail` (default) or `warn`.
    pub regression: Option<Spanned<String>>,
    pub memory_threshold_mb: Option<f64>,
    pub cpu_threshold_percent: Option<f64>,
}

//! Configuration: `perfgate.toml`, `PERFORMANCE_*` environment variables and flags, merged in one place.
//!
//! Precedence is flag > environment > file > default, applied once in [`Settings::resolve`]; everything
//! after this module sees only the resolved [`Settings`]. Every error names where the bad value came from:
//! `perfgate.toml:12:1: key `load.concurent_users`: unknown field …`, or the environment variable's name.

pub mod file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_spanned::Spanned;
use sha2::{Digest, Sha256};

use crate::engine::{BenchmarkPlan, LoadPlan, StressPlan, StressRules};
use crate::error::{Error, Result};
use crate::targets::mcp::process::StdioCommand;
use crate::targets::mcp::{Endpoint, McpCall, SessionMode, INITIALIZE_OPERATION};
use file::{ConfigFile, McpConfig, OperationConfig};

/// Default output directory (the original framework's).
pub const DEFAULT_OUTPUT_DIR: &str = "performance_results";
/// Default config file name.
pub const DEFAULT_CONFIG: &str = "perfgate.toml";

/// Values given on the command line (None = not given).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub duration: Option<f64>,
    pub concurrency: Option<u32>,
    pub iterations: Option<u64>,
    pub target_rps: Option<f64>,
    pub output_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    /// `--pushgateway URL`.
    pub pushgateway: Option<String>,
    /// `--metrics-addr ADDR`.
    pub metrics_addr: Option<String>,
}

/// A resolved HTTP or command operation.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationSettings {
    pub name: String,
    pub weight: u32,
    pub kind: OperationKind,
    pub timeout: Duration,
}

/// What an operation does.
#[derive(Clone, Debug, PartialEq)]
pub enum OperationKind {
    Http {
        method: String,
        path: String,
        headers: BTreeMap<String, String>,
        /// Body and its content type.
        body: Option<(String, Option<String>)>,
        expect_status: Option<Vec<u16>>,
    },
    Command {
        argv: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: Option<PathBuf>,
    },
    /// A request to the `[mcp]` server.
    Mcp(McpCall),
}

/// A resolved `[mcp]`.
#[derive(Clone, Debug, PartialEq)]
pub struct McpSettings {
    pub endpoint: Endpoint,
    pub session: SessionMode,
}

/// A resolved `[service]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSettings {
    pub command: String,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    pub ready_url: Option<String>,
    pub ready_tcp: Option<String>,
    pub ready_timeout: Duration,
    pub log_file: PathBuf,
    pub stop_timeout: Duration,
}

/// A resolved `[ab]`: the A/B interleaved mode.
#[derive(Clone, Debug)]
pub struct AbSettings {
    /// Where the base build answers (the A side of every HTTP operation).
    pub base_url: String,
    /// The base build, when perfgate starts it.
    pub service: Option<ServiceSettings>,
    /// Trials per side.
    pub trials: u32,
    /// One benchmark trial.
    pub benchmark: BenchmarkPlan,
    /// One load trial.
    pub load: LoadPlan,
}

/// Gate expressions as written (parsed by the analysis).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GateSettings {
    /// None: the defaults (p95 ≤ 500 ms, error rate ≤ 5 %, throughput ≥ 10 rps).
    pub all: Option<Vec<String>>,
    pub operations: BTreeMap<String, Vec<String>>,
    pub regression_fails: bool,
    pub memory_threshold_mb: Option<f64>,
    pub cpu_threshold_percent: Option<f64>,
}

/// Everything a run needs, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The config file, when one was read.
    pub source: Option<PathBuf>,
    pub suite: String,
    pub output_dir: PathBuf,
    pub base_url: Option<String>,
    pub target_headers: BTreeMap<String, String>,
    pub target_pid: Option<u32>,
    pub operations: Vec<OperationSettings>,
    pub service: Option<ServiceSettings>,
    /// The MCP server of `tool`/`resource`/`prompt`/`list_tools` operations.
    pub mcp: Option<McpSettings>,
    pub benchmark: BenchmarkPlan,
    pub load: LoadPlan,
    pub stress: StressPlan,
    pub collect_system_metrics: bool,
    pub enable_tracing: bool,
    pub gates: GateSettings,
    /// Prometheus push/live endpoint and trace propagation.
    pub monitoring: MonitoringSettings,
    /// `[[acknowledge]]` entries, applied to every comparison of `perfgate run`.
    pub acknowledgements: Vec<perfgate_reports::analysis::Acknowledgement>,
    /// `[ab]`: run A/B interleaved trials against a base build instead of comparing with history.
    pub ab: Option<AbSettings>,
    /// Hash of the effective settings: runs with equal digests are comparable.
    pub digest: String,
    /// This process runs one shard of a sharded run (`--shard i/N`); see [`Settings::apply_shard`].
    pub shard: Option<perfgate_reports::record::Shard>,
}

/// Where metrics go besides the textfile, and whether requests carry the run's trace context.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MonitoringSettings {
    /// Pushgateway base URL (`--pushgateway`, `PERFORMANCE_PUSHGATEWAY_URL`).
    pub pushgateway: Option<String>,
    /// Address of the live `/metrics` endpoint (`--metrics-addr`, `PERFORMANCE_METRICS_ADDR`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `[target] propagate_trace_context`: send a W3C `traceparent` with every HTTP request.
    pub propagate_trace_context: bool,
}

/// The live endpoint's default address (Prometheus' registered port for exporters of this kind).
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";

/// Resolves the monitoring flags and variables. A Pushgateway URL must be `http://host:port[/prefix]`; a
/// live endpoint address from the environment must be loopback (only a flag typed by the user may expose
/// the endpoint on other interfaces).
fn resolve_monitoring(
    cfg: &ConfigFile,
    env: &BTreeMap<String, String>,
    flags: &Overrides,
) -> Result<MonitoringSettings> {
    let pushgateway = match (&flags.pushgateway, env.get("PERFORMANCE_PUSHGATEWAY_URL")) {
        (Some(u), _) => Some((u.trim().to_string(), "--pushgateway")),
        (None, Some(u)) if !u.trim().is_empty() => {
            Some((u.trim().to_string(), "PERFORMANCE_PUSHGATEWAY_URL"))
        }
        _ => None,
    };
    if let Some((url, from)) = &pushgateway {
        let ok = url
            .parse::<hyper::Uri>()
            .ok()
            .filter(|u| u.scheme_str() == Some("http") && u.host().is_some());
        if ok.is_none() {
            return Err(Error::Usage(format!(
                "{from}: `{}` is not an http://host:port URL of a Pushgateway",
                redact_userinfo(url)
            )));
        }
    }
    let metrics_addr = match (&flags.metrics_addr, env.get("PERFORMANCE_METRICS_ADDR")) {
        (Some(a), _) => Some(parse_metrics_addr(a, "--metrics-addr")?),
        (None, Some(a)) if !a.trim().is_empty() => {
            let addr = parse_metrics_addr(a, "PERFORMANCE_METRICS_ADDR")?;
            if !addr.ip().is_loopback() {
                return Err(Error::Config(format!(
                    "PERFORMANCE_METRICS_ADDR={a:?}: the live endpoint only binds loopback addresses from the \
                     environment; pass `--metrics-addr {a}` to serve it on other interfaces"
                )));
            }
            Some(addr)
        }
        _ => None,
    };
    Ok(MonitoringSettings {
        pushgateway: pushgateway.map(|(u, _)| u),
        metrics_addr,
        propagate_trace_context: cfg.target.propagate_trace_context.unwrap_or(false),
    })
}

/// `127.0.0.1:9464`, `[::1]:9464`, or `:9464` (loopback).
fn parse_metrics_addr(text: &str, from: &str) -> Result<std::net::SocketAddr> {
    let t = text.trim();
    let full = if t.starts_with(':') {
        format!("127.0.0.1{t}")
    } else {
        t.to_string()
    };
    full.parse().map_err(|_| {
        Error::Usage(format!(
            "{from}: `{text}` is not an IP:port address (e.g. {DEFAULT_METRICS_ADDR})"
        ))
    })
}

/// A URL without its `user:password@` part, for messages.
pub fn redact_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// Reads and parses a config file. Errors name the file, line, column and key.
pub fn load_file(path: &Path) -> Result<ConfigFile> {
    read(path).map(|(cfg, _)| cfg)
}

/// Reads, parses and resolves a config file into settings (flags > `PERFORMANCE_*` env > file > defaults):
/// the one way a command gets its settings from `perfgate.toml`. Exit 2 with file:line:key on any problem.
pub fn load(path: &Path, env: &BTreeMap<String, String>, flags: &Overrides) -> Result<Settings> {
    let (cfg, text) = read(path)?;
    Settings::resolve(Some((&cfg, path, &text)), env, flags)
}

fn read(path: &Path) -> Result<(ConfigFile, String)> {
    if !path.exists() {
        return Err(Error::Config(format!(
            "{}: no such config file (create one with `perfgate init`, or pass --config)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("{}: cannot read config: {e}", path.display())))?;
    let cfg = parse_str(&text, &path.display().to_string())?;
    Ok((cfg, text))
}

/// Parses config text; `name` is used in error messages.
pub fn parse_str(text: &str, name: &str) -> Result<ConfigFile> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let (line, col) = line_col(text, s.start);
                let key = key_at(text, s.start);
                format!(
                    "{name}:{line}:{col}:{}",
                    key.map(|k| format!(" key `{k}`:")).unwrap_or_default()
                )
            })
            .unwrap_or_else(|| format!("{name}:"));
        Error::Config(format!("{at} {}", e.message().trim()))
    })
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// The dotted key at a byte offset: the nearest `[table]` header above it plus the key on its line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    let line = text[line_start..line_end].trim();
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty());
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(t), None) => Some(t),
        (None, None) => None,
    }
}

/// Where in the file a spanned value is, for messages about values that parsed but are invalid.
/// The `[[acknowledge]]` entries; an empty `operation` or `reason` is an error naming file:line:key.
fn resolve_acknowledgements(
    cfg: &ConfigFile,
    name: &str,
    text: &str,
) -> Result<Vec<perfgate_reports::analysis::Acknowledgement>> {
    let mut out = Vec::with_capacity(cfg.acknowledge.len());
    for spanned in &cfg.acknowledge {
        let ack = spanned.get_ref();
        for (key, value) in [("operation", &ack.operation), ("reason", &ack.reason)] {
            if value.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{}: key `acknowledge.{key}`: must not be empty",
                    at(name, text, spanned)
                )));
            }
        }
        out.push(ack.clone());
    }
    Ok(out)
}

fn at<T>(name: &str, text: &str, v: &Spanned<T>) -> String {
    let (line, col) = line_col(text, v.span().start);
    format!("{name}:{line}:{col}")
}

fn resolve_service(
    s: &file::ServiceConfig,
    env: &BTreeMap<String, String>,
    output_dir: &Path,
    default_log: &str,
) -> ServiceSettings {
    ServiceSettings {
        command: s.command.get_ref().clone(),
        cwd: s.cwd.as_ref().map(PathBuf::from),
        env: s
            .env
            .iter()
            .map(|(k, v)| (k.clone(), expand(v, env)))
            .collect(),
        ready_url: s.ready_url.clone(),
        ready_tcp: s.ready_tcp.clone(),
        ready_timeout: secs(s.ready_timeout_seconds.unwrap_or(30.0)),
        log_file: s
            .log_file
            .as_ref()
            .map(PathBuf::from)
            .unwrap_or_else(|| output_dir.join(default_log)),
        stop_timeout: secs(s.stop_timeout_seconds.unwrap_or(10.0)),
    }
}

/// True for an `http://host[:port][/path]` URL: perfgate's clients speak plain HTTP only.
pub fn is_http_url(url: &str) -> bool {
    url.parse::<hyper::Uri>()
        .ok()
        .is_some_and(|u| u.scheme_str() == Some("http") && u.authority().is_some())
}

/// `[ab]` (or its old name `[baseline]`, given as `section`): checks it and sizes one trial of each kind
/// from the run's plans.
#[allow(clippy::too_many_arguments)]
fn resolve_ab(
    section: &str,
    b: &Spanned<file::AbConfig>,
    name: &str,
    text: &str,
    env: &BTreeMap<String, String>,
    output_dir: &Path,
    operations: &[OperationSettings],
    benchmark: &BenchmarkPlan,
    load: &LoadPlan,
) -> Result<AbSettings> {
    let cfg = b.get_ref();
    let url = cfg.base_url.get_ref().trim().to_string();
    if !is_http_url(&url) {
        return Err(Error::Config(format!(
            "{}: key `{section}.base_url`: `{url}` is not an http:// URL",
            at(name, text, &cfg.base_url)
        )));
    }
    if let Some(op) = operations
        .iter()
        .find(|o| !matches!(o.kind, OperationKind::Http { .. }))
    {
        return Err(Error::Config(format!(
            "{}: key `{section}`: the A/B mode compares two HTTP services, but operation `{}` is not an HTTP \
             request",
            at(name, text, b),
            op.name
        )));
    }
    let trials = match &cfg.trials {
        Some(t) if *t.get_ref() < 3 || *t.get_ref() > 50 => {
            return Err(Error::Config(format!(
                "{}: key `{section}.trials`: {} trials a side cannot be judged; use 3 to 50 (6 is the default)",
                at(name, text, t),
                t.get_ref()
            )))
        }
        Some(t) => *t.get_ref(),
        None => 6,
    };
    let per_trial_seconds = cfg
        .trial_duration_seconds
        .map(secs)
        .unwrap_or_else(|| (load.duration / trials).max(Duration::from_secs(2)));
    let per_trial_iterations = cfg
        .trial_iterations
        .unwrap_or_else(|| (benchmark.iterations / u64::from(trials)).max(10));
    Ok(AbSettings {
        base_url: url,
        service: cfg
            .service
            .as_ref()
            .map(|s| resolve_service(s, env, output_dir, "service-base.log")),
        trials,
        benchmark: BenchmarkPlan {
            iterations: per_trial_iterations,
            ..benchmark.clone()
        },
        load: LoadPlan {
            duration: per_trial_seconds,
            ..load.clone()
        },
    })
}

/// Reads a `PERFORMANCE_*` variable, naming it on a bad value.
fn env_parse<T: std::str::FromStr>(env: &BTreeMap<String, String>, key: &str) -> Result<Option<T>> {
    match env.get(key) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| {
            Error::Config(format!(
                "environment variable {key}={v:?} is not a valid value"
            ))
        }),
    }
}

fn env_bool(env: &BTreeMap<String, String>, key: &str) -> Result<Option<bool>> {
    match env.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(Some(true)),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(Some(false)),
        Some(v) => Err(Error::Config(format!(
            "environment variable {key}={v:?} is not a boolean (use true/false)"
        ))),
    }
}

/// `${VAR}` in header values and bodies is replaced from the environment (secrets stay out of the file).
fn expand(value: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i + 2..].find('}') {
            Some(j) => {
                let name = &rest[i + 2..i + 2 + j];
                out.push_str(env.get(name).map(String::as_str).unwrap_or(""));
                rest = &rest[i + 3 + j..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(if v.is_finite() && v > 0.0 { v } else { 0.0 })
}

impl Settings {
    /// Merges file, environment and flags (flag > env > file > default) and validates the result.
    /// `file` is the parsed file with its name and text (for error positions).
    pub fn resolve(
        file: Option<(&ConfigFile, &Path, &str)>,
        env: &BTreeMap<String, String>,
        flags: &Overrides,
    ) -> Result<Settings> {
        let empty = ConfigFile::default();
        let (cfg, path, text) = match file {
            Some((c, p, t)) => (c, Some(p), t),
            None => (&empty, None, ""),
        };
        let name = path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "flags".into());

        let base_url = flags
            .base_url
            .clone()
            .or_else(|| cfg.target.base_url.as_ref().map(|u| u.get_ref().clone()));
        let default_timeout = cfg
            .target
            .request_timeout
            .or(cfg.load.request_timeout)
            .unwrap_or(30.0);

        let mcp = match &cfg.mcp {
            Some(m) => Some(resolve_mcp(m, &name, text, env)?),
            None => None,
        };

        let mut operations = Vec::with_capacity(cfg.operations.len());
        let mut seen = std::collections::BTreeSet::new();
        for spanned in &cfg.operations {
            let op: &OperationConfig = spanned.get_ref();
            let where_ = at(&name, text, spanned);
            if op.name.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{where_}: key `operations.name`: must not be empty"
                )));
            }
            if !seen.insert(op.name.clone()) {
                return Err(Error::Config(format!(
                    "{where_}: key `operations.name`: operation `{}` is defined twice",
                    op.name
                )));
            }
            if let Some(call) = mcp_call(op, &where_, &name, text)? {
                if op.command.is_some() || op.path.is_some() {
                    return Err(Error::Config(format!(
                        "{where_}: operation `{}`: set one of `path` (HTTP), `command`, or an MCP request \
                         (`tool`, `resource`, `prompt`, `list_tools`)",
                        op.name
                    )));
                }
                if mcp.is_none() {
                    return Err(Error::Config(format!(
                        "{where_}: operation `{}` is an MCP request but there is no [mcp] section \
                         (set `command` for a stdio server or `url` for Streamable HTTP)",
                        op.name
                    )));
                }
                operations.push(OperationSettings {
                    name: op.name.clone(),
                    weight: op.weight.unwrap_or(1),
                    kind: OperationKind::Mcp(call),
                    timeout: secs(op.timeout.unwrap_or(default_timeout)),
                });
                continue;
            }
            let kind = match (&op.command, &op.path) {
                (Some(_), Some(_)) => {
                    return Err(Error::Config(format!(
                        "{where_}: operation `{}`: set either `path` (HTTP) or `command`, not both",
                        op.name
                    )))
                }
                (Some(argv), None) => {
                    if argv.is_empty() {
                        return Err(Error::Config(format!(
                            "{where_}: key `operations.command`: operation `{}` has an empty command",
                            op.name
                        )));
                    }
                    OperationKind::Command {
                        argv: argv.clone(),
                        env: op.env.clone(),
                        cwd: op.cwd.as_ref().map(PathBuf::from),
                    }
                }
                (None, Some(p)) => {
                    if base_url.is_none() {
                        return Err(Error::Config(format!(
                            "{where_}: operation `{}` is an HTTP request but `target.base_url` is not set",
                            op.name
                        )));
                    }
                    if op.body.is_some() && op.json.is_some() {
                        return Err(Error::Config(format!(
                            "{where_}: operation `{}`: set either `body` or `json`, not both",
                            op.name
                        )));
                    }
                    let body = match (&op.body, &op.json) {
                        (Some(b), None) => Some((expand(b, env), None)),
                        (None, Some(j)) => {
                            let json = serde_json::to_string(j).map_err(|e| {
                                Error::Config(format!("{where_}: key `operations.json`: {e}"))
                            })?;
                            Some((expand(&json, env), Some("application/json".to_string())))
                        }
                        _ => None,
                    };
                    let mut headers: BTreeMap<String, String> = BTreeMap::new();
                    for (k, v) in cfg.target.headers.iter().chain(op.headers.iter()) {
                        headers.insert(k.clone(), expand(v, env));
                    }
                    OperationKind::Http {
                        method: op
                            .method
                            .clone()
                            .unwrap_or_else(|| "GET".into())
                            .to_ascii_uppercase(),
                        path: p.clone(),
                        headers,
                        body,
                        expect_status: op.expect_status.clone(),
                    }
                }
                (None, None) => {
                    return Err(Error::Config(format!(
                        "{where_}: operation `{}` needs `path` (an HTTP request) or `command`",
                        op.name
                    )))
                }
            };
            operations.push(OperationSettings {
                name: op.name.clone(),
                weight: op.weight.unwrap_or(1),
                kind,
                timeout: secs(op.timeout.unwrap_or(default_timeout)),
            });
        }

        let iterations = flags
            .iterations
            .or(env_parse(env, "PERFORMANCE_TEST_ITERATIONS")?)
            .or(cfg.benchmark.iterations)
            .unwrap_or(100);
        let warmup_iterations = env_parse(env, "PERFORMANCE_WARMUP_ITERATIONS")?
            .or(cfg.benchmark.warmup_iterations)
            .unwrap_or(10);
        let duration = flags
            .duration
            .or(env_parse(env, "PERFORMANCE_TEST_DURATION")?)
            .or(cfg.load.duration_seconds)
            .unwrap_or(30.0);
        let users = flags
            .concurrency
            .or(env_parse(env, "PERFORMANCE_TEST_CONCURRENCY")?)
            .or(cfg.load.concurrent_users)
            .unwrap_or(10);
        let target_rps = flags
            .target_rps
            .or(cfg.load.target_rps)
            .filter(|r| *r > 0.0);
        let collect_system_metrics = env_bool(env, "PERFORMANCE_COLLECT_SYSTEM_METRICS")?
            .or(cfg.load.collect_system_metrics)
            .unwrap_or(true);
        let enable_tracing = env_bool(env, "PERFORMANCE_ENABLE_TRACING")?
            .or(cfg.load.enable_tracing)
            .unwrap_or(false);
        if duration <= 0.0 || !duration.is_finite() {
            return Err(Error::Config(format!(
                "{name}: `load.duration_seconds` must be > 0 (got {duration})"
            )));
        }
        if users == 0 {
            return Err(Error::Config(format!(
                "{name}: `load.concurrent_users` must be ≥ 1"
            )));
        }

        let gates_cfg = &cfg.gates;
        let regression_fails = match gates_cfg.regression.as_ref() {
            None => true,
            Some(v) => match v.get_ref().as_str() {
                "fail" => true,
                "warn" => false,
                other => {
                    return Err(Error::Config(format!(
                        "{}: key `gates.regression`: expected \"fail\" or \"warn\", got {other:?}",
                        at(&name, text, v)
                    )))
                }
            },
        };
        let gates = GateSettings {
            all: gates_cfg
                .all
                .as_ref()
                .map(|v| v.iter().map(|s| s.get_ref().clone()).collect()),
            operations: gates_cfg
                .operations
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().map(|s| s.get_ref().clone()).collect()))
                .collect(),
            regression_fails,
            memory_threshold_mb: env_parse(env, "PERFORMANCE_MEMORY_THRESHOLD_MB")?
                .or(gates_cfg.memory_threshold_mb),
            cpu_threshold_percent: env_parse(env, "PERFORMANCE_CPU_THRESHOLD_PERCENT")?
                .or(gates_cfg.cpu_threshold_percent),
        };
        for op in gates.operations.keys() {
            let side = mcp.is_some() && op == INITIALIZE_OPERATION;
            if !side && !operations.iter().any(|o| &o.name == op) {
                let v = &gates_cfg.operations[op];
                let pos = v
                    .first()
                    .map(|s| at(&name, text, s))
                    .unwrap_or_else(|| name.clone());
                return Err(Error::Config(format!(
                    "{pos}: key `gates.operations.{op}`: there is no operation named `{op}`"
                )));
            }
        }

        let output_dir = flags
            .output_dir
            .clone()
            .or_else(|| cfg.output_dir.as_ref().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_OUTPUT_DIR));
        let service = cfg
            .service
            .as_ref()
            .map(|s| resolve_service(s, env, &output_dir, "service.log"));
        if let (Some(s), Some(svc)) = (&service, cfg.service.as_ref()) {
            if s.ready_url.is_none() && s.ready_tcp.is_none() && base_url.is_none() {
                return Err(Error::Config(format!(
                    "{}: key `service`: set `ready_url` or `ready_tcp` so perfgate knows when the service is up",
                    at(&name, text, &svc.command)
                )));
            }
        }

        let p95_gate = 500.0;
        let stress = StressPlan {
            start_concurrency: cfg.stress.start_concurrent.unwrap_or(5),
            max_concurrency: cfg.stress.max_concurrent.unwrap_or(50),
            step_size: cfg.stress.step_size.unwrap_or(5),
            step_duration: secs(cfg.stress.step_duration_seconds.unwrap_or(10.0)),
            step_warmup: secs(cfg.stress.step_warmup_seconds.unwrap_or(2.0)),
            think_time: Duration::ZERO,
            grace: Duration::from_secs(5),
            rules: StressRules {
                max_error_rate_percent: cfg.stress.max_error_rate_percent.unwrap_or(5.0),
                max_p95_ms: cfg.stress.max_p95_ms.unwrap_or(p95_gate),
                ..StressRules::default()
            },
        };
        let load = LoadPlan {
            duration: secs(duration),
            users,
            ramp_up: secs(cfg.load.ramp_up_seconds.unwrap_or(0.0)),
            think_time: secs(cfg.load.think_time_ms.unwrap_or(0.0) / 1000.0),
            target_rps,
            warmup: secs(cfg.load.warmup_seconds.unwrap_or(0.0)),
            grace: secs(default_timeout.min(10.0)),
        };
        let benchmark = BenchmarkPlan {
            iterations,
            warmup_iterations,
            max_seconds_per_operation: cfg.benchmark.max_seconds_per_operation.unwrap_or(120.0),
        };
        let acknowledgements = resolve_acknowledgements(cfg, &name, text)?;
        let ab_section = match (&cfg.ab, &cfg.baseline) {
            (Some(_), Some(old)) => {
                return Err(Error::Config(format!(
                    "{}: key `baseline`: `[baseline]` is the old name of `[ab]`, and both are set; keep `[ab]`",
                    at(&name, text, old)
                )))
            }
            (Some(ab), None) => Some(("ab", ab)),
            (None, Some(old)) => {
                eprintln!(
                    "perfgate: warning: {}: `[baseline]` is now called `[ab]` (the A/B mode); rename the section",
                    at(&name, text, old)
                );
                Some(("baseline", old))
            }
            (None, None) => None,
        };
        let ab = match ab_section {
            Some((section, b)) => Some(resolve_ab(
                section,
                b,
                &name,
                text,
                env,
                &output_dir,
                &operations,
                &benchmark,
                &load,
            )?),
            None => None,
        };
        let suite = cfg.suite.clone().unwrap_or_else(|| "default".into());
        let mut settings = Settings {
            source: path.map(Path::to_path_buf),
            suite,
            output_dir,
            base_url,
            target_headers: cfg.target.headers.clone(),
            target_pid: cfg.target.pid,
            operations,
            service,
            mcp,
            benchmark,
            load,
            stress,
            collect_system_metrics,
            enable_tracing,
            gates,
            monitoring: resolve_monitoring(cfg, env, flags)?,
            acknowledgements,
            ab,
            digest: String::new(),
            shard: None,
        };
        settings.digest = settings.compute_digest();
        Ok(settings)
    }

    /// Narrows the settings to shard `index` of `total` (1-based): load users, target rate, stress
    /// concurrency and benchmark iterations are divided, so N shards together generate the configured load
    /// and `perfgate merge` adds them back up. The digest is unchanged: shards of one config are comparable.
    pub fn apply_shard(&mut self, index: u32, total: u32) -> Result<()> {
        if total == 0 || index == 0 || index > total {
            return Err(Error::Usage(format!(
                "--shard {index}/{total}: expected I/N with 1 <= I <= N"
            )));
        }
        let share = |n: u64| -> u64 {
            let (base, rest) = (n / u64::from(total), n % u64::from(total));
            base + u64::from(u64::from(index) <= rest)
        };
        let users = share(u64::from(self.load.users)) as u32;
        if users == 0 {
            return Err(Error::Usage(format!(
                "--shard {index}/{total}: load.concurrent_users ({}) is smaller than the number of shards",
                self.load.users
            )));
        }
        self.load.users = users;
        self.load.target_rps = self.load.target_rps.map(|r| r / f64::from(total));
        let per = |c: u32| (c.div_ceil(total)).max(1);
        self.stress.start_concurrency = per(self.stress.start_concurrency);
        self.stress.max_concurrency = per(self.stress.max_concurrency);
        self.stress.step_size = per(self.stress.step_size);
        self.benchmark.iterations = share(self.benchmark.iterations).max(1);
        self.shard = Some(perfgate_reports::record::Shard { index, total });
        Ok(())
    }

    /// A digest of what makes two runs comparable: operations and schedule settings (not output paths).
    fn compute_digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.suite.as_bytes());
        for op in &self.operations {
            // Header values may hold secrets: hash only their names.
            let kind = match &op.kind {
                OperationKind::Http {
                    method,
                    path,
                    headers,
                    body,
                    expect_status,
                } => format!(
                    "http {method} {path} {:?} {:?} {expect_status:?}",
                    headers.keys().collect::<Vec<_>>(),
                    body.as_ref().map(|b| b.0.len())
                ),
                OperationKind::Command { argv, cwd, .. } => format!("cmd {argv:?} {cwd:?}"),
                OperationKind::Mcp(call) => format!("mcp {call:?}"),
            };
            h.update(format!("{}|{}|{kind}|{:?}\n", op.name, op.weight, op.timeout).as_bytes());
        }
        if let Some(m) = &self.mcp {
            // Header and environment values may hold secrets: only the server and the mode.
            let server = match &m.endpoint {
                Endpoint::Stdio(c) => format!("stdio {} {:?}", c.command, c.args),
                Endpoint::Http { url, .. } => format!("http {url}"),
            };
            h.update(format!("mcp {server} {}\n", m.session.as_str()).as_bytes());
        }
        h.update(
            format!(
                "{} {} | {:?} {} {:?} {:?} {:?} | {} {} {} {:?}",
                self.benchmark.iterations,
                self.benchmark.warmup_iterations,
                self.load.duration,
                self.load.users,
                self.load.ramp_up,
                self.load.target_rps,
                self.load.think_time,
                self.stress.start_concurrency,
                self.stress.max_concurrency,
                self.stress.step_size,
                self.stress.step_duration,
            )
            .as_bytes(),
        );
        hex::encode(&h.finalize()[..8])
    }
}

/// Resolves `[mcp]`: exactly one of `command` (stdio) or `url` (Streamable HTTP), and the session mode.
fn resolve_mcp(
    m: &Spanned<McpConfig>,
    name: &str,
    text: &str,
    env: &BTreeMap<String, String>,
) -> Result<McpSettings> {
    let where_ = at(name, text, m);
    let c = m.get_ref();
    let session = match &c.session {
        None => SessionMode::PerUser,
        Some(v) => SessionMode::parse(v.get_ref()).ok_or_else(|| {
            Error::Config(format!(
                "{}: key `mcp.session`: expected \"per_user\", \"shared\" or \"churn\", got {:?}",
                at(name, text, v),
                v.get_ref()
            ))
        })?,
    };
    let endpoint = match (&c.command, &c.url) {
        (Some(_), Some(_)) => {
            return Err(Error::Config(format!(
                "{where_}: key `mcp`: set either `command` (stdio) or `url` (Streamable HTTP), not both"
            )))
        }
        (None, None) => {
            return Err(Error::Config(format!(
                "{where_}: key `mcp`: set `command` (a stdio server perfgate spawns) or `url` (Streamable HTTP)"
            )))
        }
        (Some(command), None) => {
            if command.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{where_}: key `mcp.command`: must not be empty"
                )));
            }
            if !c.headers.is_empty() {
                return Err(Error::Config(format!(
                    "{where_}: key `mcp.headers`: headers apply to `url` (Streamable HTTP), not to a stdio `command`"
                )));
            }
            Endpoint::Stdio(StdioCommand {
                command: command.clone(),
                args: c.args.clone(),
                env: c.env.iter().map(|(k, v)| (k.clone(), expand(v, env))).collect(),
                cwd: c.cwd.as_ref().map(PathBuf::from),
            })
        }
        (None, Some(url)) => {
            if !is_http_url(url) {
                return Err(Error::Config(format!(
                    "{where_}: key `mcp.url`: {url:?} is not an http://host:port/path URL"
                )));
            }
            if !c.args.is_empty() || !c.env.is_empty() || c.cwd.is_some() {
                return Err(Error::Config(format!(
                    "{where_}: key `mcp`: `args`, `env` and `cwd` apply to a stdio `command`, not to `url`"
                )));
            }
            Endpoint::Http {
                url: url.clone(),
                headers: c
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), expand(v, env)))
                    .collect(),
            }
        }
    };
    Ok(McpSettings { endpoint, session })
}

/// The MCP request of an operation, if it is one (`tool`, `resource`, `prompt` or `list_tools = true`).
fn mcp_call(op: &OperationConfig, where_: &str, name: &str, text: &str) -> Result<Option<McpCall>> {
    let kinds = [
        op.tool.is_some(),
        op.resource.is_some(),
        op.prompt.is_some(),
        op.list_tools == Some(true),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if kinds > 1 {
        return Err(Error::Config(format!(
            "{where_}: operation `{}`: set only one of `tool`, `resource`, `prompt`, `list_tools`",
            op.name
        )));
    }
    let arguments = match &op.arguments {
        None => None,
        Some(v) => {
            if op.tool.is_none() && op.prompt.is_none() {
                return Err(Error::Config(format!(
                    "{}: key `operations.arguments`: operation `{}`: arguments go with `tool` or `prompt`",
                    at(name, text, v),
                    op.name
                )));
            }
            match serde_json::to_value(v.get_ref()) {
                Ok(serde_json::Value::Object(map)) => Some(map),
                _ => {
                    return Err(Error::Config(format!(
                        "{}: key `operations.arguments`: operation `{}`: expected a table, e.g. \
                         arguments = {{ limit = 10 }}",
                        at(name, text, v),
                        op.name
                    )))
                }
            }
        }
    };
    Ok(if let Some(tool) = &op.tool {
        Some(McpCall::Tool {
            name: tool.clone(),
            arguments,
        })
    } else if let Some(uri) = &op.resource {
        Some(McpCall::Resource { uri: uri.clone() })
    } else if let Some(prompt) = &op.prompt {
        Some(McpCall::Prompt {
            name: prompt.clone(),
            arguments,
        })
    } else if op.list_tools == Some(true) {
        Some(McpCall::ListTools)
    } else {
        None
    })
}

/// The process environment as a map (only `PERFORMANCE_*` and what `${VAR}` expansion may need).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str, env: &[(&str, &str)], flags: Overrides) -> Result<Settings> {
        let cfg = parse_str(text, "perfgate.toml")?;
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(Some((&cfg, Path::new("perfgate.toml"), text)), &env, &flags)
    }

    const BASIC: &str = r#"
[target]
base_url = "http://127.0.0.1:9"

[[operations]]
name = "a"
path = "/a"

[load]
duration_seconds = 20
concurrent_users = 4
"#;

    #[test]
    fn the_ab_section_is_read_under_its_old_name_too_but_not_twice() {
        let ab = format!("{BASIC}\n[ab]\nbase_url = \"http://127.0.0.1:8\"\ntrials = 4\n");
        let s = resolve(&ab, &[], Overrides::default()).unwrap();
        assert_eq!(s.ab.as_ref().map(|a| a.trials), Some(4));
        let old = ab.replace("[ab]", "[baseline]");
        let s = resolve(&old, &[], Overrides::default()).unwrap();
        assert_eq!(s.ab.map(|a| a.base_url), Some("http://127.0.0.1:8".into()));
        let both = format!("{ab}\n[baseline]\nbase_url = \"http://127.0.0.1:8\"\n");
        let err = resolve(&both, &[], Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("perfgate.toml:") && err.contains("keep `[ab]`"),
            "{err}"
        );
        let bad = ab.replace("trials = 4", "trials = 2");
        let err = resolve(&bad, &[], Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("key `ab.trials`"), "{err}");
    }

    #[test]
    fn precedence_is_flag_env_file_default() {
        let s = resolve(BASIC, &[], Overrides::default()).unwrap();
        assert_eq!(s.load.duration, Duration::from_secs(20));
        assert_eq!(s.load.users, 4);
        assert_eq!(s.benchmark.iterations, 100);
        let env = [
            ("PERFORMANCE_TEST_DURATION", "7"),
            ("PERFORMANCE_TEST_ITERATIONS", "9"),
        ];
        let s = resolve(BASIC, &env, Overrides::default()).unwrap();
        assert_eq!(s.load.duration, Duration::from_secs(7));
        assert_eq!(s.benchmark.iterations, 9);
        let flags = Overrides {
            duration: Some(3.0),
            concurrency: Some(2),
            ..Default::default()
        };
        let s = resolve(BASIC, &env, flags).unwrap();
        assert_eq!(s.load.duration, Duration::from_secs(3));
        assert_eq!(s.load.users, 2);
    }

    #[test]
    fn shards_divide_the_load_and_add_up() {
        let base = resolve(BASIC, &[], Overrides::default()).unwrap();
        let mut users = 0;
        for i in 1..=3 {
            let mut s = base.clone();
            s.apply_shard(i, 3).unwrap();
            users += s.load.users;
            assert_eq!(s.digest, base.digest);
            assert_eq!(s.shard.unwrap().index, i);
        }
        assert_eq!(users, base.load.users);
        let mut s = base.clone();
        assert!(s.apply_shard(5, 5).is_err(), "4 users cannot feed 5 shards");
        assert!(s.apply_shard(0, 2).is_err());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "[load]\nduration_seconds = 5\nconcurent_users = 3\n";
        let err = parse_str(text, "perfgate.toml").unwrap_err().to_string();
        assert!(err.starts_with("perfgate.toml:3:"), "{err}");
        assert!(err.contains("load.concurent_users"), "{err}");
    }

    #[test]
    fn wrong_type_names_file_line_and_key() {
        let text = "[load]\nduration_seconds = \"ten\"\n";
        let err = parse_str(text, "perfgate.toml").unwrap_err().to_string();
        assert!(err.starts_with("perfgate.toml:2:"), "{err}");
        assert!(err.contains("load.duration_seconds"), "{err}");
    }

    #[test]
    fn operation_without_path_or_command_is_an_error_with_position() {
        let text = "[target]\nbase_url = \"http://127.0.0.1:1\"\n\n[[operations]]\nname = \"x\"\n";
        let err = resolve(text, &[], Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("perfgate.toml:4:"), "{err}");
        assert!(err.contains("needs `path`"), "{err}");
    }

    #[test]
    fn gate_for_a_missing_operation_is_an_error() {
        let text = format!("{BASIC}\n[gates.operations]\nnope = [\"p95 < 1ms\"]\n");
        let err = resolve(&text, &[], Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("gates.operations.nope") && err.contains("perfgate.toml:"),
            "{err}"
        );
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let err = resolve(
            BASIC,
            &[("PERFORMANCE_TEST_CONCURRENCY", "many")],
            Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("PERFORMANCE_TEST_CONCURRENCY"), "{err}");
    }

    #[test]
    fn env_expansion_in_headers_and_digest_ignores_secret_values() {
        let text = BASIC.replace(
            "[[operations]]",
            "[target.headers]\nAuthorization = \"Bearer ${TOKEN}\"\n\n[[operations]]",
        );

        let a = resolve(&text, &[("TOKEN", "s3cret")], Overrides::default()).unwrap();
        let b = resolve(&text, &[("TOKEN", "other")], Overrides::default()).unwrap();
        match &a.operations[0].kind {
            OperationKind::Http { headers, .. } => {
                assert_eq!(headers["Authorization"], "Bearer s3cret")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(a.digest, b.digest);
    }

    #[test]
    fn monitoring_flags_env_and_file() {
        let text = BASIC.replace("[target]\n", "[target]\npropagate_trace_context = true\n");
        let env = [
            ("PERFORMANCE_PUSHGATEWAY_URL", "http://gw:9091"),
            ("PERFORMANCE_METRICS_ADDR", ":9999"),
        ];
        let s = resolve(&text, &env, Overrides::default()).unwrap();
        assert_eq!(s.monitoring.pushgateway.as_deref(), Some("http://gw:9091"));
        assert_eq!(
            s.monitoring.metrics_addr,
            Some("127.0.0.1:9999".parse().unwrap())
        );
        assert!(s.monitoring.propagate_trace_context);
        let flags = Overrides {
            pushgateway: Some("http://other:9091/p".into()),
            metrics_addr: Some("0.0.0.0:9464".into()),
            ..Default::default()
        };
        let s = resolve(&text, &env, flags).unwrap();
        assert_eq!(
            s.monitoring.pushgateway.as_deref(),
            Some("http://other:9091/p")
        );
        // Typed on the command line: the user's choice.
        assert!(!s.monitoring.metrics_addr.unwrap().ip().is_loopback());
        let s = resolve(BASIC, &[], Overrides::default()).unwrap();
        assert_eq!(s.monitoring, MonitoringSettings::default());
    }

    #[test]
    fn monitoring_refuses_bad_urls_and_exposing_the_endpoint_from_the_environment() {
        let err = resolve(
            BASIC,
            &[("PERFORMANCE_METRICS_ADDR", "0.0.0.0:9464")],
            Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("PERFORMANCE_METRICS_ADDR") && err.contains("--metrics-addr"),
            "{err}"
        );
        let flags = Overrides {
            pushgateway: Some("https://user:pw@gw".into()),
            ..Default::default()
        };
        let err = resolve(BASIC, &[], flags).unwrap_err().to_string();
        assert!(
            err.contains("--pushgateway") && !err.contains("pw@"),
            "{err}"
        );
        let flags = Overrides {
            metrics_addr: Some("localhost".into()),
            ..Default::default()
        };
        let err = resolve(BASIC, &[], flags).unwrap_err().to_string();
        assert!(err.contains("--metrics-addr"), "{err}");
    }

    const MCP: &str = r#"
[mcp]
command = "my-server"
args = ["--stdio"]
env = { TOKEN = "${TOKEN}" }
session = "shared"

[[operations]]
name = "t"
tool = "search"
arguments = { q = "x", limit = 3 }

[[operations]]
name = "r"
resource = "file:///a"

[[operations]]
name = "p"
prompt = "summary"
arguments = { topic = "y" }

[[operations]]
name = "l"
list_tools = true

[gates.operations]
"mcp.initialize" = ["p95 < 100ms"]
"#;

    #[test]
    fn mcp_section_and_operations_resolve() {
        let s = resolve(MCP, &[("TOKEN", "s3cret")], Overrides::default()).unwrap();
        let m = s.mcp.as_ref().unwrap();
        assert_eq!(m.session, SessionMode::Shared);
        match &m.endpoint {
            Endpoint::Stdio(c) => {
                assert_eq!(c.command, "my-server");
                assert_eq!(c.env["TOKEN"], "s3cret");
            }
            other => panic!("{other:?}"),
        }
        let kinds: Vec<&OperationKind> = s.operations.iter().map(|o| &o.kind).collect();
        match kinds[0] {
            OperationKind::Mcp(McpCall::Tool { name, arguments }) => {
                assert_eq!(name, "search");
                assert_eq!(arguments.as_ref().unwrap()["limit"], 3);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            kinds[1],
            &OperationKind::Mcp(McpCall::Resource {
                uri: "file:///a".into()
            })
        );
        assert!(matches!(
            kinds[2],
            OperationKind::Mcp(McpCall::Prompt { .. })
        ));
        assert_eq!(kinds[3], &OperationKind::Mcp(McpCall::ListTools));
        // The digest does not depend on environment values (secrets).
        let other = resolve(MCP, &[("TOKEN", "other")], Overrides::default()).unwrap();
        assert_eq!(s.digest, other.digest);
    }

    #[test]
    fn mcp_errors_name_file_line_and_key() {
        let err = |text: &str| {
            resolve(text, &[], Overrides::default())
                .unwrap_err()
                .to_string()
        };
        let e = err(&MCP.replace("session = \"shared\"", "session = \"pooled\""));
        assert!(
            e.starts_with("perfgate.toml:6:") && e.contains("mcp.session"),
            "{e}"
        );
        let e = err(&MCP.replace("args = [", "url = \"http://127.0.0.1:1/mcp\"\nargs = ["));
        assert!(e.contains("not both"), "{e}");
        let e = err("[[operations]]\nname = \"t\"\ntool = \"x\"\n");
        assert!(
            e.starts_with("perfgate.toml:1:") && e.contains("no [mcp] section"),
            "{e}"
        );
        let e = err(&MCP.replace("resource = \"file:///a\"", "resource = \"a\"\ntool = \"b\""));
        assert!(e.contains("only one of"), "{e}");
        let e = err(&MCP.replace("arguments = { q = \"x\", limit = 3 }", "arguments = [1, 2]"));
        assert!(
            e.contains("operations.arguments") && e.contains("perfgate.toml:11:"),
            "{e}"
        );
        let e = parse_str("[mcp]\ncomand = \"x\"\n", "perfgate.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("perfgate.toml:2:") && e.contains("mcp.comand"),
            "{e}"
        );
        let e = err("[mcp]\nurl = \"ftp://x/mcp\"\n");
        assert!(e.contains("mcp.url"), "{e}");
        let e = err(&MCP.replace(
            "[gates.operations]\n\"mcp.initialize\"",
            "[gates.operations]\n\"mcp.init\"",
        ));
        assert!(e.contains("no operation named `mcp.init`"), "{e}");
    }
}

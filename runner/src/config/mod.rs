//! Configuration: `perfgate.toml`, `PERFORMANCE_*` environment variables and flags, merged in one place.
//!
//! Precedence is flag > environment > file > default, applied once in [`Settings::resolve`]; everything
//! after this module sees only the resolved [`Settings`]. Every error names where the bad value came from:
//! `perfgate.toml:12:1: key `load.concurent_users`: unknown field …`, or the environment variable's name.

mod ab;
mod env;
pub mod file;
mod flags;
mod gates;
mod http;
mod mcp;
mod monitoring;
mod operations;
pub mod ranges;
#[cfg(test)]
mod scenario_tests;
pub mod scenarios;
mod service;
mod source;
pub mod stages;
#[cfg(test)]
mod tests;
mod urls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::engine::{BenchmarkPlan, LoadPlan, StressPlan, StressRules};
use crate::error::{Error, Result};
use crate::targets::mcp::{Endpoint, INITIALIZE_OPERATION};
use file::{ConfigFile, OperationConfig};

use ab::resolve_ab;
pub use ab::AbSettings;
use env::{env_bool, env_parse, expand, secs};
pub use flags::Overrides;
pub use gates::GateSettings;
use gates::{parse_gates, resolve_acknowledgements};
pub use http::{check_connect_to, COMPRESS_ENCODINGS};
pub use mcp::McpSettings;
use mcp::{mcp_call, resolve_mcp};
use monitoring::resolve_monitoring;
pub use monitoring::{MonitoringSettings, DEFAULT_METRICS_ADDR};
pub use operations::{OperationKind, OperationSettings};
use service::resolve_service;
pub use service::ServiceSettings;
pub use source::line_col;
use source::{at, key_at};
pub use urls::{is_http_url, redact_userinfo};

/// Default output directory (the original framework's).
pub const DEFAULT_OUTPUT_DIR: &str = "performance_results";
/// Default config file name.
pub const DEFAULT_CONFIG: &str = "perfgate.toml";

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
    /// How HTTP operations connect: TLS, keep-alive, compression, connect-to (`[target]`, `[target.tls]`).
    pub http: crate::targets::http::HttpOptions,
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
    parse_str_as(text, name)
}

/// Parses config text as `T` (a whole file, or the view of one section); errors carry file:line:col and key.
pub(crate) fn parse_str_as<T: serde::de::DeserializeOwned>(text: &str, name: &str) -> Result<T> {
    toml::from_str::<T>(text).map_err(|e| {
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
        if path.is_some() {
            ranges::check_file(text, &name)?;
        }

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
        // The file's numbers were checked above; these are the ones flags and variables can set.
        let numbers = [
            (
                flags.duration,
                "--duration",
                ranges::Min::Above(0.0),
                ranges::YEAR,
                "seconds",
            ),
            (
                env_parse(env, "PERFORMANCE_TEST_DURATION")?,
                "environment variable PERFORMANCE_TEST_DURATION",
                ranges::Min::Above(0.0),
                ranges::YEAR,
                "seconds",
            ),
            (
                flags.target_rps,
                "--target-rps",
                ranges::Min::AtLeast(0.0),
                1e7,
                "requests/s",
            ),
            (
                env_parse(env, "PERFORMANCE_MEMORY_THRESHOLD_MB")?,
                "environment variable PERFORMANCE_MEMORY_THRESHOLD_MB",
                ranges::Min::AtLeast(0.0),
                1e9,
                "MB",
            ),
            (
                env_parse(env, "PERFORMANCE_CPU_THRESHOLD_PERCENT")?,
                "environment variable PERFORMANCE_CPU_THRESHOLD_PERCENT",
                ranges::Min::AtLeast(0.0),
                1e6,
                "%",
            ),
        ];
        for (value, source, min, max, unit) in numbers {
            if let Some(v) = value {
                ranges::check_value(v, min, max, unit, source)?;
            }
        }
        if duration <= 0.0 || !duration.is_finite() {
            return Err(Error::Config(format!(
                "{name}: `load.duration_seconds` must be > 0 (got {duration})"
            )));
        }
        let mut ramp_up = cfg.load.ramp_up_seconds.unwrap_or(0.0);
        if ramp_up > 0.0 && ramp_up >= duration {
            // Users start evenly over the ramp-up: one longer than the test would leave some never started
            // (and the record would claim them). Ramp over half the test instead, and say so.
            let clamped = duration / 2.0;
            eprintln!(
                "perfgate: warning: {name}: key `load.ramp_up_seconds`: the ramp-up ({ramp_up} s) is not shorter \
                 than the test ({duration} s); ramping up over {clamped} s instead"
            );
            ramp_up = clamped;
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
                .map(|v| parse_gates("gates.all", v, &name, text))
                .transpose()?,
            operations: gates_cfg
                .operations
                .iter()
                .map(|(k, v)| {
                    parse_gates(&format!("gates.operations.{k}"), v, &name, text)
                        .map(|g| (k.clone(), g))
                })
                .collect::<Result<_>>()?,
            regression_fails,
            memory_threshold_mb: env_parse(env, "PERFORMANCE_MEMORY_THRESHOLD_MB")?
                .or(gates_cfg.memory_threshold_mb),
            cpu_threshold_percent: env_parse(env, "PERFORMANCE_CPU_THRESHOLD_PERCENT")?
                .or(gates_cfg.cpu_threshold_percent),
        };
        for op in gates.operations.keys() {
            let side = (mcp.is_some() && op == INITIALIZE_OPERATION)
                || (op == crate::tls::HANDSHAKE_OPERATION
                    && base_url
                        .as_deref()
                        .is_some_and(|u| u.starts_with("https://")));
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

        let stress = StressPlan {
            start_concurrency: cfg.stress.start_concurrent.unwrap_or(5),
            max_concurrency: cfg.stress.max_concurrent.unwrap_or(50),
            step_size: cfg.stress.step_size.unwrap_or(5),
            step_duration: secs(cfg.stress.step_duration_seconds.unwrap_or(10.0)),
            step_warmup: secs(cfg.stress.step_warmup_seconds.unwrap_or(2.0)),
            think_time: Duration::ZERO,
            grace: Duration::from_secs(5),
            rules: StressRules {
                max_error_rate_percent: cfg
                    .stress
                    .max_error_rate_percent
                    .unwrap_or(perfgate_reports::limits::ERROR_RATE_PERCENT),
                // The project's p95 gate is where a step stops being acceptable (default 500 ms).
                max_p95_ms: cfg.stress.max_p95_ms.unwrap_or(gates.p95_limit_ms()),
                ..StressRules::default()
            },
            bisect: cfg.stress.bisect.unwrap_or(false),
        };
        let load = LoadPlan {
            duration: secs(duration),
            users,
            ramp_up: secs(ramp_up),
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
            http: http::resolve_http(&cfg.target, &name, text)?,
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
        if let Some(warning) = settings.unmeasurable_gate_warning() {
            eprintln!("perfgate: warning: {name}: {warning}");
        }
        Ok(settings)
    }

    /// A memory or CPU gate that no run of these settings can evaluate: perfgate measures a process only when
    /// it starts it (`[service]`, a stdio MCP server) or is given `target.pid`, or when system metrics are
    /// off. Such a gate is "not evaluated" in every run, never a pass; said once, before anything runs.
    pub fn unmeasurable_gate_warning(&self) -> Option<String> {
        use perfgate_reports::metric::Metric;
        let g = &self.gates;
        let resource = |m: &Metric| matches!(m, Metric::MemoryMb | Metric::CpuPercent);
        let gated = g.memory_threshold_mb.is_some()
            || g.cpu_threshold_percent.is_some()
            || g.all.iter().flatten().any(|e| resource(&e.metric))
            || g.operations.values().flatten().any(|e| resource(&e.metric));
        let stdio_mcp = self
            .mcp
            .as_ref()
            .is_some_and(|m| matches!(m.endpoint, Endpoint::Stdio(_)));
        let measured = self.collect_system_metrics
            && (self.service.is_some() || self.target_pid.is_some() || stdio_mcp);
        (gated && !measured).then(|| {
            "memory/CPU gates cannot be evaluated: perfgate measures a process only when it starts it \
             ([service] or a stdio [mcp] server) or is given `target.pid`, with collect_system_metrics on; \
             these gates will read \"not evaluated\""
                .to_string()
        })
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
        if !self.http.keep_alive || self.http.accept_encoding.is_some() {
            // Only when set: records of configs without these keys keep their digest.
            h.update(
                format!(
                    "http keep_alive={} accept_encoding={:?}\n",
                    self.http.keep_alive, self.http.accept_encoding
                )
                .as_bytes(),
            );
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

/// The process environment as a map (only `PERFORMANCE_*` and what `${VAR}` expansion may need).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars().collect()
}

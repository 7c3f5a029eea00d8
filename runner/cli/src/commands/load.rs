//! `perfgate load --url URL`: a quick load test without a config file, like oha or wrk.
//!
//! It uses the same engine, record and summary as `perfgate run`; only the settings come from flags.
//! `--mcp-stdio 'CMD ARGS'` or `--mcp-url URL` with `--tool NAME [--args JSON]` load one MCP tool instead.

use clap::Args;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::commands::pipeline::print_finished;
use crate::commands::pipeline::OutputArgs;
use perfgate::config::{self, McpSettings, OperationKind, OperationSettings, Overrides, Settings};
use perfgate::error::{Error, ExitStatus, Result};
use perfgate::session::{self, Schedules, SessionOptions};
use perfgate::targets::mcp::process::StdioCommand;
use perfgate::targets::mcp::{Endpoint, McpCall, SessionMode};

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
    /// HTTPS: accept any server certificate (no chain, name or date check); the summary and the record say so
    #[arg(long, short = 'k')]
    pub insecure: bool,
    /// HTTPS: trust the CA(s) in this PEM file instead of the system's roots (a private CA)
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// HTTPS: client certificate chain (PEM) for mTLS, with --client-key
    #[arg(long, value_name = "PEM", requires = "client_key")]
    pub client_cert: Option<std::path::PathBuf>,
    /// HTTPS: the client certificate's private key (PEM), with --client-cert
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub client_key: Option<std::path::PathBuf>,
    /// Send `Accept-Encoding: gzip, deflate, br` (by default none is sent: servers answer uncompressed)
    #[arg(long)]
    pub compress: bool,
    /// A new connection (and TLS handshake) for every request: each request says `Connection: close`
    #[arg(long)]
    pub disable_keepalive: bool,
    /// Connect to HOST:PORT instead of the URL's host (Host header, SNI and certificate check keep the URL's)
    #[arg(long, value_name = "HOST:PORT")]
    pub connect_to: Option<String>,
    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Also write the report files (by default `perfgate load` only prints)
    #[arg(long)]
    pub save: bool,
    /// A gate, e.g. 'p95 < 200ms' (repeatable; replaces the defaults p95 ≤ 500ms, error_rate ≤ 5%, rps ≥ 10).
    /// Exit 1 when one fails
    #[arg(long = "gate", value_name = "EXPR", conflicts_with = "no_gates")]
    pub gates: Vec<String>,
    /// Judge nothing: report the numbers and exit 0
    #[arg(long)]
    pub no_gates: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &LoadArgs) -> Result<ExitStatus> {
    let env = config::process_env();
    let settings = settings_for(args, &env)?;
    let finished = session::run(
        &settings,
        Schedules::LOAD,
        &env,
        &SessionOptions {
            workers: args.workers,
            quiet: args.output.quiet,
            verbose: args.output.verbose,
            write_files: args.save || args.output.output_dir.is_some(),
        },
    )?
    .finish(None)?;
    print_finished(&finished, args.output.json);
    // The exit code says what the summary says: FAIL is 1.
    Ok(finished.status)
}

/// `--gate` / `--no-gates` as the gates of the quick look (checked before anything runs).
fn gates_of(args: &LoadArgs) -> Result<Option<Vec<perfgate_reports::gates::GateExpr>>> {
    if args.no_gates {
        return Ok(Some(Vec::new()));
    }
    if args.gates.is_empty() {
        return Ok(None);
    }
    args.gates
        .iter()
        .map(|g| {
            g.parse()
                .map_err(|e| Error::Usage(format!("--gate {g:?}: {e}")))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Settings for one URL (or one MCP tool).
pub fn settings_for(args: &LoadArgs, env: &BTreeMap<String, String>) -> Result<Settings> {
    use perfgate::config::ranges::{check_value, Min, DAY};
    check_value(args.timeout, Min::Above(0.0), DAY, "seconds", "--timeout")?;
    let mut settings = endpoint_settings(args, env)?;
    if let Some(gates) = gates_of(args)? {
        settings.gates.all = Some(gates);
    }
    Ok(settings)
}

/// Settings for the URL or the MCP tool of the flags, with the default gates.
fn endpoint_settings(args: &LoadArgs, env: &BTreeMap<String, String>) -> Result<Settings> {
    if args.concurrency == 0 {
        return Err(Error::Usage("-c/--concurrency must be at least 1".into()));
    }
    if args.duration.is_nan() || args.duration <= 0.0 {
        return Err(Error::Usage("-d/--duration must be > 0".into()));
    }
    let Some(url) = &args.url else {
        return mcp_settings_for(args, env);
    };
    if args.tool.is_some() || args.tool_args.is_some() {
        return Err(Error::Usage(
            "--tool and --args go with --mcp-stdio or --mcp-url, not --url".into(),
        ));
    }
    // Userinfo (`http://user:pass@host/`) becomes a Basic `Authorization` header; it never reaches the host
    // name, a message or the record.
    let shown = perfgate::targets::http::userinfo::redact(url);
    let (url, credentials) = perfgate::targets::http::userinfo::split(url);
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| Error::Usage(format!("--url {shown:?} is not a valid URL")))?;
    let scheme = uri.scheme_str().unwrap_or_default();
    if !matches!(scheme, "http" | "https") || uri.authority().is_none() {
        return Err(Error::Usage(format!(
            "--url {shown:?}: expected an http:// or https://host:port/path URL"
        )));
    }
    let base = format!(
        "{scheme}://{}",
        uri.authority().map(|a| a.as_str()).unwrap_or_default()
    );
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let mut headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<BTreeMap<_, _>>>()?;
    if let Some(credentials) = credentials {
        if headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("authorization"))
        {
            return Err(Error::Usage(format!(
                "--url {shown:?} carries credentials and -H sets Authorization too: give one of them"
            )));
        }
        headers.insert("authorization".into(), credentials.basic_authorization());
    }
    let mut settings = Settings::resolve(
        None,
        env,
        &Overrides {
            duration: Some(args.duration),
            concurrency: Some(args.concurrency),
            target_rps: args.rps,
            output_dir: args.output.output_dir.clone(),
            pushgateway: args.output.pushgateway.clone(),
            metrics_addr: args.output.metrics_addr.clone(),
            base_url: Some(base),
            ..Default::default()
        },
    )?;
    settings.suite = "load".into();
    settings.http = http_options(args)?;
    settings.operations.push(OperationSettings {
        name: format!("{} {}", args.method.to_ascii_uppercase(), path),
        weight: 1,
        kind: OperationKind::Http {
            method: args.method.to_ascii_uppercase(),
            path,
            headers,
            body: args.body.clone().map(|b| (b, None)),
            expect_status: None,
        },
        timeout: Duration::from_secs_f64(args.timeout),
    });
    Ok(settings)
}

/// Settings for one MCP tool (`--mcp-stdio` or `--mcp-url`, `--tool`, `--args`, `--session`).
fn mcp_settings_for(args: &LoadArgs, env: &BTreeMap<String, String>) -> Result<Settings> {
    let flag = if args.mcp_stdio.is_some() {
        "--mcp-stdio"
    } else {
        "--mcp-url"
    };
    let tool = args
        .tool
        .clone()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Error::Usage(format!("{flag} needs --tool NAME (the tool to call)")))?;
    let arguments = match &args.tool_args {
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "--args {text:?}: expected a JSON object, e.g. '{{\"limit\": 10}}'"
                )))
            }
            Err(e) => return Err(Error::Usage(format!("--args {text:?}: not JSON: {e}"))),
        },
    };
    let session = SessionMode::parse(&args.session).ok_or_else(|| {
        Error::Usage(format!(
            "--session {:?}: expected per_user, shared or churn",
            args.session
        ))
    })?;
    let endpoint = match (&args.mcp_stdio, &args.mcp_url) {
        (Some(cmdline), _) => {
            if cmdline.trim().is_empty() {
                return Err(Error::Usage("--mcp-stdio needs a command line".into()));
            }
            // The shell parses the quoting; `exec` makes the server itself the process perfgate samples.
            Endpoint::Stdio(StdioCommand {
                command: "sh".into(),
                args: vec!["-c".into(), format!("exec {cmdline}")],
                env: BTreeMap::new(),
                cwd: None,
            })
        }
        (None, Some(url)) => {
            if !perfgate::config::is_http_url(url) {
                return Err(Error::Usage(format!(
                    "--mcp-url {url:?}: expected an http:// or https://host:port/path URL"
                )));
            }
            let headers = args
                .headers
                .iter()
                .map(|h| parse_header(h))
                .collect::<Result<Vec<_>>>()?;
            Endpoint::Http {
                url: url.clone(),
                headers,
                tls: http_options(args)?.tls,
            }
        }
        (None, None) => {
            return Err(Error::Usage(
                "give one of --url, --mcp-stdio or --mcp-url".into(),
            ))
        }
    };
    let mut settings = Settings::resolve(
        None,
        env,
        &Overrides {
            duration: Some(args.duration),
            concurrency: Some(args.concurrency),
            target_rps: args.rps,
            output_dir: args.output.output_dir.clone(),
            ..Default::default()
        },
    )?;
    settings.suite = "load".into();
    settings.mcp = Some(McpSettings { endpoint, session });
    settings.operations.push(OperationSettings {
        name: tool.clone(),
        weight: 1,
        kind: OperationKind::Mcp(McpCall::Tool {
            name: tool,
            arguments,
        }),
        timeout: Duration::from_secs_f64(args.timeout),
    });
    Ok(settings)
}

/// The connection flags (TLS, keep-alive, compression, connect-to) as the target's options.
fn http_options(args: &LoadArgs) -> Result<perfgate::targets::http::HttpOptions> {
    for (flag, path) in [
        ("--ca-file", &args.ca_file),
        ("--client-cert", &args.client_cert),
        ("--client-key", &args.client_key),
    ] {
        if let Some(p) = path.as_ref().filter(|p| !p.is_file()) {
            return Err(Error::Usage(format!(
                "{flag} {}: no such file",
                p.display()
            )));
        }
    }
    let connect_to = args
        .connect_to
        .as_deref()
        .map(config::check_connect_to)
        .transpose()
        .map_err(|e| Error::Usage(format!("--connect-to: {e}")))?;
    Ok(perfgate::targets::http::HttpOptions {
        tls: perfgate::tls::TlsOptions {
            ca_file: args.ca_file.clone(),
            client_cert: args.client_cert.clone(),
            client_key: args.client_key.clone(),
            insecure_skip_verify: args.insecure,
        },
        keep_alive: !args.disable_keepalive,
        accept_encoding: args
            .compress
            .then(|| config::COMPRESS_ENCODINGS.to_string()),
        connect_to,
    })
}

/// `-H 'Name: value'` as a trimmed pair.
fn parse_header(h: &str) -> Result<(String, String)> {
    let (k, v) = h
        .split_once(':')
        .ok_or_else(|| Error::Usage(format!("-H {h:?}: expected 'Name: value'")))?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

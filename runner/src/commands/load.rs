//! `perfgate load --url URL`: a quick load test without a config file, like oha or wrk.
//!
//! It uses the same engine, record and summary as `perfgate run`; only the settings come from flags.
//! `--mcp-stdio 'CMD ARGS'` or `--mcp-url URL` with `--tool NAME [--args JSON]` load one MCP tool instead.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cli::{LoadArgs, TestTypeArg};
use crate::commands::pipeline::{execute, print_finished, ExecOptions};
use crate::config::{self, McpSettings, OperationKind, OperationSettings, Overrides, Settings};
use crate::error::{Error, ExitStatus, Result};
use crate::target::mcp::process::StdioCommand;
use crate::target::mcp::{Endpoint, McpCall, SessionMode};

pub fn run(args: &LoadArgs) -> Result<ExitStatus> {
    let env = config::process_env();
    let settings = settings_for(args, &env)?;
    let finished = execute(
        &settings,
        TestTypeArg::Load,
        &env,
        &ExecOptions {
            workers: args.workers,
            quiet: args.output.quiet,
            write_files: args.save || args.output.output_dir.is_some(),
            baseline: None,
        },
    )?;
    print_finished(&finished, args.output.json);
    // A quick look reports; it does not gate (use `perfgate run` with [gates] for that).
    Ok(ExitStatus::Pass)
}

/// Settings for one URL (or one MCP tool).
pub fn settings_for(args: &LoadArgs, env: &BTreeMap<String, String>) -> Result<Settings> {
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
    let shown = crate::target::http::userinfo::redact(url);
    let (url, credentials) = crate::target::http::userinfo::split(url);
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| Error::Usage(format!("--url {shown:?} is not a valid URL")))?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(Error::Usage(format!(
            "--url {shown:?}: only http://host:port/path URLs are supported"
        )));
    }
    let base = format!(
        "http://{}",
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
        timeout: Duration::from_secs_f64(args.timeout.max(0.001)),
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
            if !crate::config::is_http_url(url) {
                return Err(Error::Usage(format!(
                    "--mcp-url {url:?}: only http://host:port/path URLs are supported"
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
        timeout: Duration::from_secs_f64(args.timeout.max(0.001)),
    });
    Ok(settings)
}

/// `-H 'Name: value'` as a trimmed pair.
fn parse_header(h: &str) -> Result<(String, String)> {
    let (k, v) = h
        .split_once(':')
        .ok_or_else(|| Error::Usage(format!("-H {h:?}: expected 'Name: value'")))?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

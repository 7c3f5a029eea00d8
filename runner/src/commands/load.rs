//! `perfgate load --url URL`: a quick load test without a config file, like oha or wrk.
//!
//! It uses the same engine, record and summary as `perfgate run`; only the settings come from flags.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cli::{LoadArgs, TestTypeArg};
use crate::commands::pipeline::{execute, print_finished, ExecOptions};
use crate::config::{self, OperationKind, OperationSettings, Overrides, Settings};
use crate::error::{Error, ExitStatus, Result};

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
        },
    )?;
    print_finished(&finished, args.output.json);
    // A quick look reports; it does not gate (use `perfgate run` with [gates] for that).
    Ok(ExitStatus::Pass)
}

/// Settings for one URL.
pub fn settings_for(args: &LoadArgs, env: &BTreeMap<String, String>) -> Result<Settings> {
    let uri: hyper::Uri = args
        .url
        .parse()
        .map_err(|_| Error::Usage(format!("--url {:?} is not a valid URL", args.url)))?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(Error::Usage(format!(
            "--url {:?}: only http://host:port/path URLs are supported",
            args.url
        )));
    }
    if args.concurrency == 0 {
        return Err(Error::Usage("-c/--concurrency must be at least 1".into()));
    }
    if args.duration.is_nan() || args.duration <= 0.0 {
        return Err(Error::Usage("-d/--duration must be > 0".into()));
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
    let mut headers = BTreeMap::new();
    for h in &args.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| Error::Usage(format!("-H {h:?}: expected 'Name: value'")))?;
        headers.insert(k.trim().to_string(), v.trim().to_string());
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

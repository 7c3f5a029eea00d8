//! `[monitoring]` and the monitoring flags/env: the Pushgateway, the live `/metrics` endpoint, OTLP traces.

use std::collections::BTreeMap;

use super::file::ConfigFile;
use super::flags::Overrides;
use super::urls::redact_userinfo;
use crate::error::{Error, Result};

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
pub(super) fn resolve_monitoring(
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
        let ok = url.parse::<hyper::Uri>().ok().filter(|u| {
            matches!(u.scheme_str(), Some("http") | Some("https")) && u.host().is_some()
        });
        if ok.is_none() {
            return Err(Error::Usage(format!(
                "{from}: `{}` is not an http(s)://host:port URL of a Pushgateway",
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
pub(super) fn parse_metrics_addr(text: &str, from: &str) -> Result<std::net::SocketAddr> {
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

//! Builds the suite's [`SuiteTarget`] from resolved settings.

use std::str::FromStr;

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::Method;

use crate::config::{OperationKind, Settings};
use crate::error::{Error, Result};
use crate::targets::command::{CommandOperation, CommandTarget};
use crate::targets::dispatch::{Part, SuiteTarget};
use crate::targets::http::{ExpectStatus, HttpOperation, HttpTarget};
use crate::targets::mcp::{McpOperation, McpTarget};

/// The target for every operation of the settings (HTTP ones first, then commands, then MCP requests).
pub fn build_target(settings: &Settings, pid: Option<u32>) -> Result<SuiteTarget> {
    let mut http_ops = Vec::new();
    let mut cmd_ops = Vec::new();
    let mut mcp_ops = Vec::new();
    for op in &settings.operations {
        match &op.kind {
            OperationKind::Http {
                method,
                path,
                headers,
                body,
                expect_status,
            } => {
                let method = Method::from_str(method).map_err(|_| {
                    Error::Config(format!(
                        "operation `{}`: `{method}` is not an HTTP method",
                        op.name
                    ))
                })?;
                let mut hs = Vec::with_capacity(headers.len());
                for (k, v) in headers {
                    let name = HeaderName::from_str(k).map_err(|_| {
                        Error::Config(format!(
                            "operation `{}`: `{k}` is not a valid header name",
                            op.name
                        ))
                    })?;
                    // The value may be a secret: never echo it.
                    let value = HeaderValue::from_str(v).map_err(|_| {
                        Error::Config(format!(
                            "operation `{}`: header `{k}` has an invalid value",
                            op.name
                        ))
                    })?;
                    hs.push((name, value));
                }
                let body = match body {
                    Some((text, ct)) => {
                        let ct = match ct {
                            Some(c) => Some(HeaderValue::from_str(c).map_err(|_| {
                                Error::Config(format!("operation `{}`: bad content type", op.name))
                            })?),
                            None => None,
                        };
                        Some((Bytes::from(text.clone()), ct))
                    }
                    None => None,
                };
                http_ops.push(HttpOperation {
                    name: op.name.clone(),
                    weight: op.weight,
                    method,
                    path: path.clone(),
                    headers: hs,
                    body,
                    expect: match expect_status {
                        Some(list) if !list.is_empty() => ExpectStatus::OneOf(list.clone()),
                        _ => ExpectStatus::Success,
                    },
                    timeout: Some(op.timeout).filter(|t| !t.is_zero()),
                });
            }
            OperationKind::Command { argv, env, cwd } => cmd_ops.push(CommandOperation {
                name: op.name.clone(),
                weight: op.weight,
                argv: argv.clone(),
                env: env.clone(),
                cwd: cwd.clone(),
                timeout: Some(op.timeout).filter(|t| !t.is_zero()),
            }),
            OperationKind::Mcp(call) => mcp_ops.push(McpOperation {
                name: op.name.clone(),
                weight: op.weight,
                call: call.clone(),
                timeout: Some(op.timeout).filter(|t| !t.is_zero()),
            }),
        }
    }
    let mut parts = Vec::new();
    if !http_ops.is_empty() {
        let base = settings.base_url.as_deref().unwrap_or_default();
        let t = HttpTarget::with_options(base, http_ops, &settings.http)
            .map_err(|e| Error::Config(e.to_string()))?;
        parts.push(Part::Http(t));
    }
    if !cmd_ops.is_empty() {
        parts.push(Part::Command(CommandTarget::new(cmd_ops)));
    }
    if !mcp_ops.is_empty() {
        let Some(mcp) = &settings.mcp else {
            return Err(Error::Config(
                "MCP operations need an [mcp] section (command or url)".into(),
            ));
        };
        parts.push(Part::Mcp(Box::new(McpTarget::new(
            mcp.endpoint.clone(),
            mcp.session,
            mcp_ops,
        ))));
    }
    if parts.is_empty() {
        return Err(Error::Config(format!(
            "{}: no operations: add at least one [[operations]] entry (see `perfgate init`)",
            settings
                .source
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "config".into())
        )));
    }
    Ok(SuiteTarget::new(parts).with_process_id(pid))
}

//! `[mcp]` and MCP operations: the server (stdio command or Streamable HTTP URL), the session mode, and
//! what each operation calls (`tool`, `prompt`, `resource`, `method`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_spanned::Spanned;

use super::env::expand;
use super::file::{McpConfig, OperationConfig};
use super::source::at;
use super::urls::is_http_url;
use crate::error::{Error, Result};
use crate::targets::mcp::process::StdioCommand;
use crate::targets::mcp::{Endpoint, McpCall, SessionMode};

/// A resolved `[mcp]`.
#[derive(Clone, Debug, PartialEq)]
pub struct McpSettings {
    pub endpoint: Endpoint,
    pub session: SessionMode,
}

/// Resolves `[mcp]`: exactly one of `command` (stdio) or `url` (Streamable HTTP), and the session mode.
pub(super) fn resolve_mcp(
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
                    "{where_}: key `mcp.url`: {url:?} is not an http(s)://host:port/path URL"
                )));
            }
            if !c.args.is_empty() || !c.env.is_empty() || c.cwd.is_some() {
                return Err(Error::Config(format!(
                    "{where_}: key `mcp`: `args`, `env` and `cwd` apply to a stdio `command`, not to `url`"
                )));
            }
            Endpoint::Http {
                tls: match &c.tls {
                    Some(t) => super::http::resolve_tls(t, "mcp.tls", name, text)?,
                    None => Default::default(),
                },
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
pub(super) fn mcp_call(
    op: &OperationConfig,
    where_: &str,
    name: &str,
    text: &str,
) -> Result<Option<McpCall>> {
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

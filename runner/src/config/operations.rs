//! A resolved operation: its name, weight, timeout and what it calls (HTTP request, command, MCP call).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::targets::mcp::McpCall;
use std::path::PathBuf;

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

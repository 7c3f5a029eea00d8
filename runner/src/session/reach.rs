//! Before the long run: one session is opened, so a target that cannot be reached at all ends the command
//! with exit 3 in seconds instead of producing a record of connection errors.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::targets::dispatch::SuiteTarget;
use crate::targets::{ErrorKind, Target};

/// Opens one session before the run: a target that cannot be reached at all ends the command with exit 3.
pub fn check_reachable(target: &Arc<SuiteTarget>, settings: &Settings) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("tokio runtime: {e}")))?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        target.calibrate().await;
        if let Err(e) = tokio::time::timeout(Duration::from_secs(60), target.probe())
            .await
            .unwrap_or_else(|_| {
                Err(crate::targets::CallError::new(
                    ErrorKind::Timeout,
                    "no session within 60 s",
                ))
            })
        {
            return Err(Error::Unreachable(format!(
                "cannot open an MCP session: {e}"
            )));
        }
        match tokio::time::timeout(Duration::from_secs(10), target.prepare()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.kind == ErrorKind::Connect => Err(Error::Unreachable(format!(
                "cannot reach the target{}: {e}",
                settings
                    .base_url
                    .as_deref()
                    .map(|u| format!(" at {}", crate::targets::http::userinfo::redact(u)))
                    .unwrap_or_default()
            ))),
            Ok(Err(_)) => Ok(()),
            Err(_) => Err(Error::Unreachable(
                "the target did not accept a connection within 10 s".to_string(),
            )),
        }
    })
}

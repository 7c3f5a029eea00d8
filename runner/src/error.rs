//! One top-level error type and the documented exit codes.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | the run passed (or the command succeeded) |
//! | 1 | a gate failed or a significant regression was found |
//! | 2 | usage or configuration error (bad flag, bad config file, unwritable output dir) |
//! | 3 | the target could not be reached at all (or the service never became ready) |
//! | 4 | a runtime failure outside the target (git, GitHub, file system during the run) |

use std::process::ExitCode;

/// The documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Pass = 0,
    GateFailed = 1,
    Usage = 2,
    Unreachable = 3,
    Runtime = 4,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s as u8)
    }
}

/// Every error a command can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad flag or argument combination. The message names the flag.
    #[error("{0}")]
    Usage(String),
    /// A bad config file or environment variable; the message names the file, line and key (or the variable).
    #[error("{0}")]
    Config(String),
    /// The target or service could not be reached.
    #[error("{0}")]
    Unreachable(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Anything else that went wrong around the run.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// The exit status this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Usage(_) | Error::Config(_) => ExitStatus::Usage,
            Error::Unreachable(_) => ExitStatus::Unreachable,
            Error::Io { .. } | Error::Runtime(_) => ExitStatus::Runtime,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

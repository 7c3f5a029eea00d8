//! A thin, safe wrapper around the `git` command line.
//!
//! perfgate drives the user's own `git` so that whatever credentials the environment set up (the
//! `extraheader` of actions/checkout, credential helpers, SSH agents) just work. Every command:
//! - runs with `-C <repo>` and without inherited `GIT_DIR`/`GIT_INDEX_FILE`/… variables, so a perfgate started
//!   from a git hook cannot write into the wrong repository or index;
//! - runs with `LC_ALL=C` (git's messages are parsed to tell a rejected push from a failed one) and
//!   `GIT_TERMINAL_PROMPT=0` (CI must fail, not hang on a password prompt);
//! - disables automatic gc/maintenance in the user's repository;
//! - reports failures as [`GitError`] whose text has gone through [`redact`], so no token is ever shown.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::redact::redact;

/// Environment variables that would point git at another repository, index or object store.
const LOCATION_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_QUARANTINE_PATH",
];

/// A git command that could not run or failed. Messages are redacted.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run `git {args}`: {detail} (is git installed and on PATH?)")]
    Spawn { args: String, detail: String },
    #[error("`git {args}` failed ({status}): {stderr}")]
    Failed {
        args: String,
        status: String,
        stderr: String,
    },
    #[error("`git {args}` printed something perfgate does not understand: {detail}")]
    Unexpected { args: String, detail: String },
}

/// What a git command printed, and whether it succeeded. `stderr` is already redacted.
#[derive(Debug)]
pub struct GitOutput {
    pub success: bool,
    pub status: String,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl GitOutput {
    /// stdout as text, trailing newline removed.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout)
            .trim_end_matches('\n')
            .to_string()
    }
}

/// Runs git commands in one repository.
#[derive(Clone, Debug)]
pub struct Git {
    dir: PathBuf,
    envs: Vec<(OsString, OsString)>,
}

impl Git {
    /// Commands will run in `dir` (a work tree or a bare repository).
    pub fn new(dir: impl Into<PathBuf>) -> Git {
        Git {
            dir: dir.into(),
            envs: Vec::new(),
        }
    }

    /// The directory commands run in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A copy that sets one more environment variable on every command.
    pub fn with_env(&self, key: impl Into<OsString>, value: impl Into<OsString>) -> Git {
        let mut g = self.clone();
        g.envs.push((key.into(), value.into()));
        g
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(&self.dir)
            .args(["-c", "gc.auto=0", "-c", "maintenance.auto=false"])
            .args(args)
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GCM_INTERACTIVE", "never");
        for var in LOCATION_VARS {
            cmd.env_remove(var);
        }
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a command, feeding `stdin`, and returns its output whatever the exit status.
    pub fn output(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<GitOutput, GitError> {
        let shown = redact(&args.join(" "));
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| GitError::Spawn {
            args: shown.clone(),
            detail: e.to_string(),
        })?;
        // Feed stdin from a thread while this one drains stdout/stderr, so large inputs and outputs cannot
        // deadlock on full pipes.
        let writer = match (stdin, child.stdin.take()) {
            (Some(bytes), Some(mut pipe)) => {
                let bytes = bytes.to_vec();
                Some(std::thread::spawn(move || {
                    // A command that exits early closes the pipe; its exit status reports the real problem.
                    let _ = pipe.write_all(&bytes);
                }))
            }
            _ => None,
        };
        let mut stderr_pipe = child.stderr.take();
        let stderr_thread = std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = stderr_pipe.as_mut() {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        });
        let mut stdout = Vec::new();
        if let Some(mut p) = child.stdout.take() {
            p.read_to_end(&mut stdout).map_err(|e| GitError::Spawn {
                args: shown.clone(),
                detail: format!("reading its output: {e}"),
            })?;
        }
        let status = child.wait().map_err(|e| GitError::Spawn {
            args: shown.clone(),
            detail: e.to_string(),
        })?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stderr = stderr_thread.join().unwrap_or_default();
        Ok(GitOutput {
            success: status.success(),
            status: status.to_string(),
            stdout,
            stderr: redact(String::from_utf8_lossy(&stderr).trim_end()),
        })
    }

    /// Runs a command that must succeed; returns its stdout as bytes.
    pub fn run_bytes(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
        let out = self.output(args, stdin)?;
        if out.success {
            Ok(out.stdout)
        } else {
            Err(failed(args, &out))
        }
    }

    /// Runs a command that must succeed; returns its stdout as trimmed text.
    pub fn run(&self, args: &[&str]) -> Result<String, GitError> {
        let out = self.output(args, None)?;
        if out.success {
            Ok(out.text())
        } else {
            Err(failed(args, &out))
        }
    }

    /// The commit a revision names, or `None` when it does not exist.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<String>, GitError> {
        let spec = format!("{rev}^{{commit}}");
        let out = self.output(&["rev-parse", "--verify", "--quiet", &spec], None)?;
        Ok(out.success.then(|| out.text()).filter(|s| !s.is_empty()))
    }

    /// Writes `bytes` as a blob into the object store and returns its id.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<String, GitError> {
        let out = self.run_bytes(&["hash-object", "-w", "--stdin"], Some(bytes))?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// Every file of a commit's tree: `(path, mode, blob id)`, paths relative to the root. Only blobs and
    /// symlinks are listed (no submodules).
    pub fn list_tree(&self, commit: &str) -> Result<Vec<TreeEntry>, GitError> {
        let args = ["ls-tree", "-r", "-z", "--full-tree", commit];
        let out = self.run_bytes(&args, None)?;
        let mut entries = Vec::new();
        for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let text = String::from_utf8_lossy(rec);
            let (meta, path) = text.split_once('\t').ok_or_else(|| GitError::Unexpected {
                args: args.join(" "),
                detail: format!("no tab in {text:?}"),
            })?;
            let mut parts = meta.split(' ');
            let (Some(mode), Some(kind), Some(id)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(GitError::Unexpected {
                    args: args.join(" "),
                    detail: format!("malformed entry {text:?}"),
                });
            };
            if kind == "blob" {
                entries.push(TreeEntry {
                    path: path.to_string(),
                    mode: mode.to_string(),
                    id: id.to_string(),
                });
            }
        }
        Ok(entries)
    }

    /// Reads many objects in one `git cat-file --batch`. Each name is an object id or `<rev>:<path>`;
    /// the result has one entry per name, `None` for a missing object.
    pub fn read_objects(&self, names: &[String]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut input = Vec::new();
        for n in names {
            input.extend_from_slice(n.as_bytes());
            input.push(b'\n');
        }
        let args = ["cat-file", "--batch"];
        let out = self.run_bytes(&args, Some(&input))?;
        let unexpected = |detail: String| GitError::Unexpected {
            args: args.join(" "),
            detail,
        };
        let mut pos = 0usize;
        let mut result = Vec::with_capacity(names.len());
        for name in names {
            let nl = out[pos..]
                .iter()
                .position(|b| *b == b'\n')
                .ok_or_else(|| unexpected(format!("output ended before {name}")))?;
            let header = String::from_utf8_lossy(&out[pos..pos + nl]).to_string();
            pos += nl + 1;
            if header.ends_with(" missing") || header.ends_with(" ambiguous") {
                result.push(None);
                continue;
            }
            let size: usize = header
                .rsplit(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| unexpected(format!("header {header:?}")))?;
            let end = pos + size;
            if end > out.len() {
                return Err(unexpected(format!("{name}: object shorter than announced")));
            }
            result.push(Some(out[pos..end].to_vec()));
            pos = end + 1; // contents are followed by a newline
        }
        Ok(result)
    }
}

/// One file of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    pub path: String,
    pub mode: String,
    pub id: String,
}

pub(crate) fn failed(args: &[&str], out: &GitOutput) -> GitError {
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Porcelain status lines of refused refs ("!\t…\t[remote rejected] (reason)") say why a push failed.
    let refused: Vec<&str> = stdout.lines().filter(|l| l.starts_with('!')).collect();
    let mut stderr = if out.stderr.is_empty() && refused.is_empty() {
        redact(stdout.trim_end())
    } else {
        out.stderr.clone()
    };
    for line in refused {
        stderr.push('\n');
        stderr.push_str(&redact(&line.replace('\t', " ")));
    }
    GitError::Failed {
        args: redact(&args.join(" ")),
        status: out.status.clone(),
        stderr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, Git) {
        let dir = tempfile::tempdir().expect("temp dir");
        let git = Git::new(dir.path());
        git.run(&["init", "-q"]).expect("git init");
        (dir, git)
    }

    #[test]
    fn blobs_round_trip_through_cat_file_batch() {
        let (_d, git) = repo();
        let a = git.write_blob(b"hello\n").expect("blob a");
        let b = git.write_blob(&[0u8, 1, 2, 10, 255]).expect("blob b");
        let missing = "0".repeat(40);
        let got = git
            .read_objects(&[a.clone(), missing, b.clone(), a])
            .expect("batch read");
        assert_eq!(got[0].as_deref(), Some(&b"hello\n"[..]));
        assert_eq!(got[1], None);
        assert_eq!(got[2].as_deref(), Some(&[0u8, 1, 2, 10, 255][..]));
        assert_eq!(got[3].as_deref(), Some(&b"hello\n"[..]));
    }

    #[test]
    fn failures_name_the_command_and_redact_urls() {
        let (_d, git) = repo();
        let err = git
            .run(&["fetch", "https://user:hunter2hunter2@127.0.0.1:1/x.git"])
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`git fetch https://***@127.0.0.1:1/x.git`"),
            "{msg}"
        );
        assert!(!msg.contains("hunter2"), "{msg}");
        assert_eq!(git.resolve_commit("refs/heads/nope").expect("runs"), None);
    }
}

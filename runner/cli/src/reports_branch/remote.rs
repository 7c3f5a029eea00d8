//! Talking to the remote: fetch the reports branch's tip, push a new tip, tell a lost race from a failure.
//!
//! A push is the single commit point of a publish: the remote branch either moves to the new commit or stays
//! where it was, so a publisher killed at any moment leaves the remote consistent. Pushes carry
//! `--force-with-lease=<branch>:<the tip we built on>` (a compare-and-swap), and a push that was refused
//! because someone else moved the branch first is reported as [`PushResult::Lost`] so the caller can rebuild
//! on the new tip; every other failure (authentication, a protected branch, a hook) is an error.

use super::git::{failed, Git, GitError};

/// Where the fetched tip of `branch` is kept locally.
pub fn tracking_ref(git: &Git, remote: &str, branch: &str) -> Result<String, GitError> {
    let remotes = git.run(&["remote"])?;
    Ok(if remotes.lines().any(|r| r == remote) {
        format!("refs/remotes/{remote}/{branch}")
    } else {
        // A URL or path: keep the fetched tip under perfgate's own namespace.
        format!("refs/perfgate/fetched/{branch}")
    })
}

/// Fetches `branch` from `remote` (one commit deep when the repository is shallow, as in CI checkouts) and
/// returns its tip, or `None` when the remote has no such branch.
pub fn fetch_tip(
    git: &Git,
    remote: &str,
    branch: &str,
    shallow: bool,
) -> Result<Option<String>, GitError> {
    let tracking = tracking_ref(git, remote, branch)?;
    let refspec = format!("+refs/heads/{branch}:{tracking}");
    let mut args = vec![
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--no-recurse-submodules",
    ];
    if shallow {
        args.push("--depth=1");
    }
    args.extend([remote, refspec.as_str()]);
    let out = git.output(&args, None)?;
    if out.success {
        return git.resolve_commit(&tracking);
    }
    if out.stderr.contains("couldn't find remote ref") {
        return Ok(None);
    }
    Err(failed(&args, &out))
}

/// What became of a push.
#[derive(Debug, PartialEq, Eq)]
pub enum PushResult {
    /// The remote branch now points at the pushed commit.
    Pushed,
    /// Another publisher moved the branch first (or the connection dropped in a way worth retrying); the
    /// text says how, for the final error if every attempt loses.
    Lost(String),
}

/// Pushes `commit` to `refs/heads/<branch>` on `remote` if (and only if) the remote branch is still at
/// `expected` (`None`: it must not exist yet).
pub fn push(
    git: &Git,
    remote: &str,
    branch: &str,
    commit: &str,
    expected: Option<&str>,
) -> Result<PushResult, GitError> {
    let lease = format!(
        "--force-with-lease=refs/heads/{branch}:{}",
        expected.unwrap_or("")
    );
    let refspec = format!("{commit}:refs/heads/{branch}");
    // --no-verify: the user's pre-push hooks guard their code branches, not perfgate's data branch.
    let args = [
        "push",
        "--porcelain",
        "--no-verify",
        "--no-recurse-submodules",
        lease.as_str(),
        remote,
        refspec.as_str(),
    ];
    let out = git.output(&args, None)?;
    if out.success {
        return Ok(PushResult::Pushed);
    }
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    match classify_push_failure(&stdout, &out.stderr) {
        Some(reason) => Ok(PushResult::Lost(reason)),
        None => Err(failed(&args, &out)),
    }
}

/// `Some(reason)` when a failed push lost a race (or hit a transient error) and is worth retrying on a
/// fresh tip; `None` for failures a retry cannot fix.
pub fn classify_push_failure(porcelain: &str, stderr: &str) -> Option<String> {
    const RACE: &[&str] = &[
        "fetch first",
        "non-fast-forward",
        "stale info",
        "cannot lock ref",
        "failed to update ref",
        "failed to lock",
        "incorrect old value",
        "reference already exists",
    ];
    const TRANSIENT: &[&str] = &[
        "RPC failed",
        "The requested URL returned error: 5",
        "Connection reset",
        "Connection timed out",
        "Operation timed out",
        "early EOF",
        "unexpected disconnect",
        "remote end hung up unexpectedly",
    ];
    // Porcelain status lines: "<flag>\t<from>:<to>\t<summary> (<reason>)"; '!' marks a refused ref. A ref
    // refused for another reason (a hook, a protected branch) is not retryable.
    if let Some(line) = porcelain.lines().find(|l| l.starts_with('!')) {
        let summary = line.split('\t').nth(2).unwrap_or(line);
        return RACE
            .iter()
            .any(|k| summary.contains(k))
            .then(|| summary.to_string());
    }
    if stderr.contains("Authentication failed")
        || stderr.contains("Permission denied")
        || stderr.contains("could not read Username")
        || stderr.contains("returned error: 403")
        || stderr.contains("returned error: 401")
    {
        return None;
    }
    TRANSIENT
        .iter()
        .find(|k| stderr.contains(*k))
        .map(|k| format!("transient error: {k}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn races_and_transient_errors_are_retried_other_refusals_are_not() {
        let lost = "To /tmp/r.git\n!\tabc:refs/heads/perf-reports\t[rejected] (stale info)\nDone\n";
        assert_eq!(
            classify_push_failure(lost, "error: failed to push some refs"),
            Some("[rejected] (stale info)".into())
        );
        let ff = "!\tabc:refs/heads/p\t[rejected] (fetch first)\n";
        assert!(classify_push_failure(ff, "").is_some());
        let lock = "!\tabc:refs/heads/p\t[remote rejected] (cannot lock ref 'refs/heads/p': is at 1 but expected 2)\n";
        assert!(classify_push_failure(lock, "").is_some());
        let hook = "!\tabc:refs/heads/p\t[remote rejected] (pre-receive hook declined)\n";
        assert_eq!(classify_push_failure(hook, ""), None);
        let protected = "!\tabc:refs/heads/p\t[remote rejected] (protected branch hook declined)\n";
        assert_eq!(classify_push_failure(protected, ""), None);
        assert_eq!(
            classify_push_failure(
                "",
                "fatal: Authentication failed for 'https://***@github.com/o/r'"
            ),
            None
        );
        assert!(classify_push_failure("", "error: RPC failed; HTTP 502").is_some());
        assert_eq!(classify_push_failure("", "fatal: something else"), None);
    }
}

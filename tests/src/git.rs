//! Real git for tests: a fixed identity and no user or system config (like a fresh CI machine), and bare
//! remotes on disk. Shared by the end-to-end tests and, through `#[path]`, the runner's integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `dir`; panics with git's stderr when it fails. Returns stdout without the trailing newline.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// `root/remote.git`, a bare remote whose `main` holds one commit (pushed from `root/seed`).
pub fn bare_remote(root: &Path) -> PathBuf {
    let remote = root.join("remote.git");
    git(root, &["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let seed = clone_into(&remote, &root.join("seed"));
    std::fs::write(seed.join("README.md"), "service\n").expect("write");
    git(&seed, &["add", "README.md"]);
    git(&seed, &["commit", "-q", "-m", "init"]);
    git(&seed, &["push", "-q", "origin", "HEAD:main"]);
    remote
}

/// Clones `remote` into `dest` (whose parent exists) and returns `dest`.
pub fn clone_into(remote: &Path, dest: &Path) -> PathBuf {
    git(
        dest.parent().expect("parent"),
        &[
            "clone",
            "-q",
            remote.to_str().expect("utf-8"),
            dest.to_str().expect("utf-8"),
        ],
    );
    dest.to_path_buf()
}

/// A project as the Action sees it: `root/remote.git` (bare, the "GitHub" remote) and its clone `root/work`
/// whose first commit on `main`, pushed, holds `files` (path, contents). Returns (remote, work, commit sha).
// Used by the Action tests of the e2e crate; the runner's tests that `#[path]`-include this file do not.
#[allow(dead_code)]
pub fn project(root: &Path, files: &[(&str, &[u8])]) -> (PathBuf, PathBuf, String) {
    git(root, &["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let remote = root.join("remote.git");
    let work = clone_into(&remote, &root.join("work"));
    for (path, bytes) in files {
        let p = work.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "project"]);
    git(&work, &["push", "-q", "origin", "HEAD:main"]);
    let sha = git(&work, &["rev-parse", "HEAD"]);
    (remote, work, sha)
}

//! Where and on what a run happened: git facts and the machine's fingerprint.
//!
//! Git information comes from `GITHUB_*` variables when present (the Action's checkout may be a detached
//! merge commit) and from the repository otherwise. The fingerprint hashes only stable machine facts (OS,
//! architecture, CPU model, cores, memory in GiB, runner kind), so history compares like with like.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use perfgate_reports::record::{Environment, GitInfo};
use sha2::{Digest, Sha256};
use sysinfo::System;

/// Reads the environment fingerprint of this machine.
pub fn detect_environment(env: &BTreeMap<String, String>) -> Environment {
    let mut sys = System::new();
    sys.refresh_memory();
    sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
    let cpu_model = sys
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1);
    let memory_gib = (sys.total_memory() as f64 / 1_073_741_824.0).round() as u64;
    let runner_kind = match env.get("RUNNER_ENVIRONMENT").map(String::as_str) {
        Some("github-hosted") => "github-hosted",
        Some(_) => "self-hosted",
        None if env.contains_key("GITHUB_ACTIONS") => "github-actions",
        None => "local",
    }
    .to_string();
    let mut e = Environment {
        os: std::env::consts::OS.to_string(),
        os_version: System::os_version().unwrap_or_default(),
        arch: std::env::consts::ARCH.to_string(),
        cpu_model,
        cpu_cores: cores,
        memory_gib,
        runner_kind,
        fingerprint: String::new(),
        perfgate_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    e.fingerprint = fingerprint(&e);
    e
}

/// Hash of the stable fields (not the OS patch version or perfgate's version).
pub fn fingerprint(e: &Environment) -> String {
    let mut h = Sha256::new();
    h.update(
        format!(
            "{}|{}|{}|{}|{}|{}",
            e.os, e.arch, e.cpu_model, e.cpu_cores, e.memory_gib, e.runner_kind
        )
        .as_bytes(),
    );
    hex::encode(&h.finalize()[..6])
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Reads git facts from `GITHUB_*` and the repository at `dir` (whichever are available).
pub fn detect_git(dir: &Path, env: &BTreeMap<String, String>) -> GitInfo {
    let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
    let sha = get("GITHUB_SHA").or_else(|| git(dir, &["rev-parse", "HEAD"]));
    let ref_name = get("GITHUB_REF").or_else(|| git(dir, &["symbolic-ref", "-q", "HEAD"]));
    let branch = get("GITHUB_HEAD_REF")
        .or_else(|| {
            get("GITHUB_REF_NAME")
                .filter(|_| get("GITHUB_REF").is_some_and(|r| r.starts_with("refs/heads/")))
        })
        .or_else(|| git(dir, &["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| b != "HEAD"));
    let pr_number = get("GITHUB_REF").and_then(|r| {
        r.strip_prefix("refs/pull/")
            .and_then(|s| s.split('/').next())
            .and_then(|n| n.parse().ok())
    });
    let commit_message = sha
        .as_deref()
        .and_then(|s| git(dir, &["log", "-1", "--format=%s", s]));
    let commit_time = sha
        .as_deref()
        .and_then(|s| git(dir, &["log", "-1", "--format=%cI", s]))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let dirty = git(dir, &["status", "--porcelain", "--untracked-files=no"]).is_some();
    GitInfo {
        sha,
        ref_name,
        branch,
        base_branch: get("GITHUB_BASE_REF"),
        pr_number,
        repository: get("GITHUB_REPOSITORY"),
        server_url: get("GITHUB_SERVER_URL"),
        commit_message,
        commit_time,
        dirty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_unstable_fields() {
        let env = BTreeMap::new();
        let mut a = detect_environment(&env);
        assert_eq!(a.fingerprint, fingerprint(&a));
        let f = a.fingerprint.clone();
        a.os_version = "something else".into();
        a.perfgate_version = "9.9.9".into();
        assert_eq!(fingerprint(&a), f);
        a.cpu_cores += 1;
        assert_ne!(fingerprint(&a), f);
    }

    #[test]
    fn github_variables_win_and_pr_number_is_parsed() {
        let env: BTreeMap<String, String> = [
            ("GITHUB_SHA", "abcdef1234567"),
            ("GITHUB_REF", "refs/pull/42/merge"),
            ("GITHUB_HEAD_REF", "feature"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_REPOSITORY", "o/r"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let g = detect_git(Path::new("/nonexistent"), &env);
        assert_eq!(g.sha.as_deref(), Some("abcdef1234567"));
        assert_eq!(g.pr_number, Some(42));
        assert_eq!(g.branch.as_deref(), Some("feature"));
        assert_eq!(g.base_branch.as_deref(), Some("main"));
        assert_eq!(g.repository.as_deref(), Some("o/r"));
    }
}

//! What triggered the workflow: the `GITHUB_*` variables and the event payload at `GITHUB_EVENT_PATH`.
//!
//! Only the fields perfgate acts on are read, each optional, so a payload of an event perfgate does not
//! know (or a trimmed one from a local test) parses to "no pull request, nothing to publish" instead of
//! an error. A fork is recognised by the head repository differing from the base repository.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use perfgate::error::{Error, Result};

/// A pull request, from a `pull_request`/`pull_request_target` payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub base_ref: String,
    pub base_sha: Option<String>,
    pub head_ref: Option<String>,
    pub head_sha: Option<String>,
    /// The head branch lives in another repository (a fork).
    pub fork: bool,
}

/// The run that triggered a `workflow_run` event (the second half of the two-workflow mode).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkflowRun {
    pub id: Option<u64>,
    /// The event that triggered that run (`pull_request`, `push`, `schedule`).
    pub event: String,
    pub head_sha: Option<String>,
    pub head_branch: Option<String>,
    /// Pull requests GitHub associates with the run; empty for forks (GitHub does not list them).
    pub pull_requests: Vec<u64>,
    pub fork: bool,
    pub html_url: Option<String>,
}

/// The workflow's context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub event_name: String,
    pub repository: Option<String>,
    pub sha: Option<String>,
    pub git_ref: Option<String>,
    pub api_url: String,
    pub server_url: String,
    pub run_id: Option<String>,
    pub default_branch: Option<String>,
    pub pull_request: Option<PullRequest>,
    pub workflow_run: Option<WorkflowRun>,
}

impl Context {
    /// Reads the context from `env` (and the payload file it names).
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Context> {
        let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let payload = match get("GITHUB_EVENT_PATH") {
            Some(p) => read_payload(Path::new(p))?,
            None => Value::Null,
        };
        let event_name = get("GITHUB_EVENT_NAME").unwrap_or("").to_string();
        let pull_request = payload
            .get("pull_request")
            .filter(|v| v.is_object())
            .map(parse_pull_request)
            .transpose()?;
        let workflow_run = (event_name == "workflow_run")
            .then(|| payload.get("workflow_run").map(parse_workflow_run))
            .flatten();
        Ok(Context {
            repository: get("GITHUB_REPOSITORY")
                .map(str::to_string)
                .or_else(|| str_at(&payload, "/repository/full_name")),
            sha: get("GITHUB_SHA").map(str::to_string),
            git_ref: get("GITHUB_REF").map(str::to_string),
            api_url: get("GITHUB_API_URL")
                .unwrap_or("https://api.github.com")
                .trim_end_matches('/')
                .to_string(),
            server_url: get("GITHUB_SERVER_URL")
                .unwrap_or("https://github.com")
                .trim_end_matches('/')
                .to_string(),
            run_id: get("GITHUB_RUN_ID").map(str::to_string),
            default_branch: str_at(&payload, "/repository/default_branch"),
            event_name,
            pull_request,
            workflow_run,
        })
    }

    /// True on a push to the default branch, or on a schedule.
    pub fn is_mainline(&self) -> bool {
        match self.event_name.as_str() {
            "schedule" => true,
            "push" | "workflow_dispatch" => {
                let branch = self
                    .git_ref
                    .as_deref()
                    .and_then(|r| r.strip_prefix("refs/heads/"));
                branch.is_some() && branch == self.default_branch.as_deref()
            }
            _ => false,
        }
    }

    /// The link to this workflow run.
    pub fn run_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}/actions/runs/{}",
            self.server_url,
            self.repository.as_deref()?,
            self.run_id.as_deref()?
        ))
    }

    /// The link to a commit of this repository.
    pub fn commit_url(&self, sha: &str) -> Option<String> {
        Some(format!(
            "{}/{}/commit/{sha}",
            self.server_url,
            self.repository.as_deref()?
        ))
    }

    /// The URL path of [`Context::pages_url`] (`/REPO/`, or `/` when the repository is unknown).
    pub fn pages_base_path(&self) -> String {
        self.pages_url()
            .and_then(|u| {
                let rest = u.split_once("://")?.1;
                rest.find('/').map(|i| rest[i..].to_string())
            })
            .unwrap_or_else(|| "/".to_string())
    }

    /// Where GitHub Pages serves the reports branch's site: `https://OWNER.github.io/REPO/` on github.com,
    /// `SERVER/pages/OWNER/REPO/` on GitHub Enterprise Server.
    pub fn pages_url(&self) -> Option<String> {
        let (owner, repo) = self.repository.as_deref()?.split_once('/')?;
        Some(if self.server_url == "https://github.com" {
            format!("https://{}.github.io/{repo}/", owner.to_ascii_lowercase())
        } else {
            format!("{}/pages/{owner}/{repo}/", self.server_url)
        })
    }
}

fn read_payload(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Config(format!(
            "GITHUB_EVENT_PATH={}: cannot read the event payload: {e}",
            path.display()
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Config(format!(
            "GITHUB_EVENT_PATH={}: the event payload is not JSON: {e}",
            path.display()
        ))
    })
}

fn str_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn parse_pull_request(pr: &Value) -> Result<PullRequest> {
    let number = pr
        .get("number")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::Config("the event payload's pull_request has no number".into()))?;
    let head_repo = str_at(pr, "/head/repo/full_name");
    let base_repo = str_at(pr, "/base/repo/full_name");
    let fork = pr
        .pointer("/head/repo/fork")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || (head_repo.is_some() && head_repo != base_repo)
        // A deleted fork: GitHub sends `head.repo: null`.
        || pr.pointer("/head/repo").is_some_and(Value::is_null);
    Ok(PullRequest {
        number,
        base_ref: str_at(pr, "/base/ref").unwrap_or_else(|| "main".into()),
        base_sha: str_at(pr, "/base/sha"),
        head_ref: str_at(pr, "/head/ref"),
        head_sha: str_at(pr, "/head/sha"),
        fork,
    })
}

fn parse_workflow_run(run: &Value) -> WorkflowRun {
    let head_repo = str_at(run, "/head_repository/full_name");
    let repo = str_at(run, "/repository/full_name");
    WorkflowRun {
        id: run.get("id").and_then(Value::as_u64),
        event: str_at(run, "/event").unwrap_or_default(),
        head_sha: str_at(run, "/head_sha"),
        head_branch: str_at(run, "/head_branch"),
        pull_requests: run
            .get("pull_requests")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.get("number").and_then(Value::as_u64))
                    .collect()
            })
            .unwrap_or_default(),
        fork: head_repo.is_some() && head_repo != repo,
        html_url: str_at(run, "/html_url"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(event: &str, payload: Value, extra: &[(&str, &str)]) -> Context {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("event.json");
        std::fs::write(&p, payload.to_string()).unwrap();
        let mut env: BTreeMap<String, String> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("GITHUB_EVENT_NAME".into(), event.into());
        env.insert("GITHUB_EVENT_PATH".into(), p.display().to_string());
        Context::from_env(&env).unwrap()
    }

    #[test]
    fn pull_request_payload_same_repo_and_fork() {
        let pr = |head_repo: &str| {
            serde_json::json!({"pull_request": {
                "number": 7,
                "base": {"ref": "main", "sha": "b".repeat(40), "repo": {"full_name": "o/r"}},
                "head": {"ref": "feat", "sha": "h".repeat(40), "repo": {"full_name": head_repo, "fork": head_repo != "o/r"}}
            }, "repository": {"full_name": "o/r", "default_branch": "main"}})
        };
        let c = ctx("pull_request", pr("o/r"), &[("GITHUB_REPOSITORY", "o/r")]);
        let p = c.pull_request.clone().unwrap();
        assert_eq!((p.number, p.base_ref.as_str(), p.fork), (7, "main", false));
        assert_eq!(p.base_sha.as_deref(), Some("b".repeat(40).as_str()));
        assert!(!c.is_mainline());
        let c = ctx("pull_request", pr("mallory/r"), &[]);
        assert!(c.pull_request.unwrap().fork);
        assert_eq!(c.repository.as_deref(), Some("o/r"));
    }

    #[test]
    fn mainline_is_a_push_to_the_default_branch_or_a_schedule() {
        let repo =
            serde_json::json!({"repository": {"full_name": "o/r", "default_branch": "main"}});
        assert!(ctx("push", repo.clone(), &[("GITHUB_REF", "refs/heads/main")]).is_mainline());
        assert!(!ctx("push", repo.clone(), &[("GITHUB_REF", "refs/heads/dev")]).is_mainline());
        assert!(!ctx("push", repo.clone(), &[("GITHUB_REF", "refs/tags/v1")]).is_mainline());
        assert!(ctx("schedule", repo, &[]).is_mainline());
    }

    #[test]
    fn workflow_run_payload_and_links() {
        let c = ctx(
            "workflow_run",
            serde_json::json!({"workflow_run": {
                "id": 99, "event": "pull_request", "head_sha": "abc", "head_branch": "feat",
                "pull_requests": [{"number": 12}],
                "head_repository": {"full_name": "o/r"}, "repository": {"full_name": "o/r"}
            }}),
            &[
                ("GITHUB_REPOSITORY", "o/r"),
                ("GITHUB_RUN_ID", "5"),
                ("GITHUB_SERVER_URL", "https://ghe.example.com/"),
            ],
        );
        let w = c.workflow_run.clone().unwrap();
        assert_eq!(
            (w.id, w.pull_requests.clone(), w.fork),
            (Some(99), vec![12], false)
        );
        assert_eq!(
            c.run_url().as_deref(),
            Some("https://ghe.example.com/o/r/actions/runs/5")
        );
        assert_eq!(
            c.pages_url().as_deref(),
            Some("https://ghe.example.com/pages/o/r/")
        );
        assert_eq!(c.pages_base_path(), "/pages/o/r/");
        assert_eq!(c.api_url, "https://api.github.com");
    }

    #[test]
    fn unreadable_payload_names_the_variable() {
        let mut env = BTreeMap::new();
        env.insert(
            "GITHUB_EVENT_PATH".to_string(),
            "/nonexistent/e.json".to_string(),
        );
        let e = Context::from_env(&env).unwrap_err().to_string();
        assert!(e.contains("GITHUB_EVENT_PATH"), "{e}");
    }
}

//! The GitHub REST calls perfgate makes, through octocrab, with bounded retries.
//!
//! The base URL is `GITHUB_API_URL` (so GitHub Enterprise Server, `https://HOST/api/v3`, works as well as
//! github.com). octocrab's own retry layer is left off: it retries server errors without any pause and
//! honours any `Retry-After`, however long; perfgate wraps each call in [`super::retry`]'s bounded policy
//! instead, reading the status and headers octocrab keeps on its `GitHubError`.
//!
//! The token lives inside octocrab as a `SecretString`; perfgate keeps one copy only to scrub it from any
//! message that could quote it (an error body that echoes a header, a URL with credentials).

use std::future::Future;
use std::time::Duration;

use octocrab::Octocrab;

use super::retry::{decide, Decision, Failure, RetryPolicy};
use crate::reports_branch::redact::redact_with;

/// Most pages read of one list (comments of a pull request, open issues; 100 per page).
const MAX_PAGES: u32 = 100;

/// A failed GitHub call. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The token may not do this (a fork's pull request gets a read-only token).
    #[error("GitHub refused to {what} (HTTP 403: {message})")]
    Forbidden { what: String, message: String },
    /// Any other HTTP error, after the retries the policy allows.
    #[error("GitHub could not {what} (HTTP {status}: {message}){}", note.as_deref().map(|n| format!("; {n}")).unwrap_or_default())]
    Status {
        what: String,
        status: u16,
        message: String,
        note: Option<String>,
    },
    /// No usable response (connection, timeout, a body octocrab could not read).
    #[error("GitHub could not {what}: {detail}{}", note.as_deref().map(|n| format!("; {n}")).unwrap_or_default())]
    Transport {
        what: String,
        detail: String,
        note: Option<String>,
    },
    /// Bad settings: an unusable API URL, token or repository name.
    #[error("{0}")]
    Setup(String),
}

impl ApiError {
    /// HTTP 403 without rate-limit signs: the token lacks the permission.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, ApiError::Forbidden { .. })
    }

    /// The request may have taken effect although it failed: no (readable) answer, or a server error.
    /// A non-idempotent call (a create) must look before it is tried again.
    pub fn may_have_happened(&self) -> bool {
        match self {
            ApiError::Transport { .. } => true,
            ApiError::Status { status, .. } => *status >= 500,
            ApiError::Forbidden { .. } | ApiError::Setup(_) => false,
        }
    }
}

/// An issue (or pull request) comment, as much of it as perfgate uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueComment {
    pub id: u64,
    pub body: String,
    pub html_url: String,
    pub author: String,
    /// The author is a bot (`github-actions[bot]`, an app).
    pub author_is_bot: bool,
}

impl From<octocrab::models::issues::Comment> for IssueComment {
    fn from(c: octocrab::models::issues::Comment) -> Self {
        IssueComment {
            id: c.id.into_inner(),
            body: c.body.unwrap_or_default(),
            html_url: c.html_url.to_string(),
            author_is_bot: c.user.r#type == "Bot" || c.user.login.ends_with("[bot]"),
            author: c.user.login,
        }
    }
}

/// An issue, as much of it as perfgate uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    pub author_is_bot: bool,
}

#[derive(serde::Deserialize)]
struct UserJson {
    #[serde(default)]
    login: String,
    #[serde(default, rename = "type")]
    kind: String,
}

impl UserJson {
    fn is_bot(&self) -> bool {
        self.kind == "Bot" || self.login.ends_with("[bot]")
    }
}

#[derive(serde::Deserialize)]
struct IssueJson {
    number: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_url: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    user: Option<UserJson>,
    /// Present when the "issue" is a pull request (the issues list returns both).
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

impl From<IssueJson> for Issue {
    fn from(i: IssueJson) -> Self {
        Issue {
            number: i.number,
            title: i.title,
            body: i.body.unwrap_or_default(),
            html_url: i.html_url,
            state: i.state,
            author_is_bot: i.user.as_ref().is_some_and(UserJson::is_bot),
        }
    }
}

#[derive(serde::Deserialize)]
struct CommitCommentJson {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_url: String,
    #[serde(default)]
    user: Option<UserJson>,
}

impl From<CommitCommentJson> for IssueComment {
    fn from(c: CommitCommentJson) -> Self {
        IssueComment {
            id: c.id,
            body: c.body.unwrap_or_default(),
            html_url: c.html_url,
            author_is_bot: c.user.as_ref().is_some_and(UserJson::is_bot),
            author: c.user.map(|u| u.login).unwrap_or_default(),
        }
    }
}

/// A client for one repository.
pub struct GitHub {
    crab: Octocrab,
    owner: String,
    repo: String,
    policy: RetryPolicy,
    secrets: Vec<String>,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .finish_non_exhaustive()
    }
}

impl GitHub {
    /// A client for `repository` (`owner/name`) at `api_url` with `token`. Must be called inside a tokio
    /// runtime (octocrab starts its request buffer on it).
    pub fn new(
        api_url: &str,
        token: &str,
        repository: &str,
        policy: RetryPolicy,
    ) -> Result<GitHub, ApiError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(ApiError::Setup(
                "no GitHub token: set the action's `github-token` input (it defaults to ${{ github.token }})"
                    .into(),
            ));
        }
        if !token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ApiError::Setup(
                "the GitHub token contains spaces or control characters; check the secret passed as `github-token`"
                    .into(),
            ));
        }
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                ApiError::Setup(format!(
                    "GITHUB_REPOSITORY={repository:?} is not of the form owner/name"
                ))
            })?;
        let api_url = api_url.trim_end_matches('/');
        let builder = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| {
                ApiError::Setup(format!(
                    "GITHUB_API_URL={api_url:?} is not a usable URL: {e}"
                ))
            })?
            .personal_token(token.to_string())
            .add_header(
                http::header::USER_AGENT,
                format!("perfgate/{}", env!("CARGO_PKG_VERSION")),
            )
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(policy.attempt_timeout))
            .set_write_timeout(Some(policy.attempt_timeout));
        let crab = builder
            .build()
            .map_err(|e| ApiError::Setup(format!("cannot set up the GitHub client: {e}")))?;
        Ok(GitHub {
            crab,
            owner: owner.to_string(),
            repo: repo.to_string(),
            policy,
            secrets: vec![token.to_string()],
        })
    }

    /// Every comment of issue or pull request `number`, oldest first.
    pub async fn list_comments(&self, number: u64) -> Result<Vec<IssueComment>, ApiError> {
        let what = format!("list the comments of #{number}");
        let issues = self.crab.issues(&self.owner, &self.repo);
        let mut page = self
            .call(&what, || issues.list_comments(number).per_page(100).send())
            .await?;
        let mut out: Vec<IssueComment> = page.take_items().into_iter().map(Into::into).collect();
        let mut pages = 1;
        while let Some(next) = page.next.clone() {
            if pages >= MAX_PAGES {
                tracing::warn!(
                    "#{number} has more than {} comments; only the first {} were searched",
                    MAX_PAGES * 100,
                    MAX_PAGES * 100
                );
                break;
            }
            let next = Some(next);
            match self.call(&what, || self.crab.get_page(&next)).await? {
                Some(mut p) => {
                    out.extend(p.take_items().into_iter().map(IssueComment::from));
                    page = p;
                    pages += 1;
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// Creates a comment on issue or pull request `number`.
    ///
    /// Not idempotent: a failure that may have reached GitHub (no answer, a timeout, a 5xx) is returned
    /// after one attempt, so the caller can look for the comment before creating it again (see
    /// [`ApiError::may_have_happened`]). Rate limits and refusals are retried or reported as for any call.
    pub async fn create_comment(&self, number: u64, body: &str) -> Result<IssueComment, ApiError> {
        let issues = self.crab.issues(&self.owner, &self.repo);
        self.call_with(
            &format!("comment on #{number}"),
            || issues.create_comment(number, body),
            false,
        )
        .await
        .map(Into::into)
    }

    /// The bounds of this client's retries.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Replaces the body of comment `id`.
    pub async fn update_comment(&self, id: u64, body: &str) -> Result<IssueComment, ApiError> {
        let issues = self.crab.issues(&self.owner, &self.repo);
        self.call(&format!("update comment {id}"), || {
            issues.update_comment(id.into(), body)
        })
        .await
        .map(Into::into)
    }

    /// Deletes comment `id`.
    pub async fn delete_comment(&self, id: u64) -> Result<(), ApiError> {
        let issues = self.crab.issues(&self.owner, &self.repo);
        self.call(&format!("delete comment {id}"), || {
            issues.delete_comment(id.into())
        })
        .await
    }

    /// The head commit of pull request `number` (to check what an artifact claims about its origin).
    pub async fn pull_request_head_sha(&self, number: u64) -> Result<String, ApiError> {
        let route = format!("/repos/{}/{}/pulls/{number}", self.owner, self.repo);
        let what = format!("read pull request #{number}");
        let v: serde_json::Value = self
            .call(&what, || self.crab.get(&route, None::<&()>))
            .await?;
        v.pointer("/head/sha")
            .and_then(|s| s.as_str())
            .map(str::to_string)
            .ok_or_else(|| ApiError::Transport {
                what,
                detail: "the response has no head.sha".into(),
                note: None,
            })
    }

    /// The open issues of the repository (pull requests left out), oldest first; every page up to
    /// 10,000 issues.
    pub async fn list_open_issues(&self) -> Result<Vec<Issue>, ApiError> {
        let route = format!("/repos/{}/{}/issues", self.owner, self.repo);
        let params = [
            ("state", "open"),
            ("sort", "created"),
            ("direction", "asc"),
            ("per_page", "100"),
        ];
        let all: Vec<IssueJson> = self
            .all_pages("list the open issues", &route, &params)
            .await?;
        Ok(all
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .map(Into::into)
            .collect())
    }

    /// Opens an issue. Not idempotent: like [`create_comment`](Self::create_comment), a failure that may
    /// have reached GitHub is returned after one attempt, for the caller to look first.
    pub async fn create_issue(&self, title: &str, body: &str) -> Result<Issue, ApiError> {
        let route = format!("/repos/{}/{}/issues", self.owner, self.repo);
        let payload = serde_json::json!({ "title": title, "body": body });
        self.call_with(
            "open an issue",
            || self.crab.post::<_, IssueJson>(&route, Some(&payload)),
            false,
        )
        .await
        .map(Into::into)
    }

    /// Edits issue `number`: its body, and its state (`open`, or `closed` as completed) when given.
    pub async fn update_issue(
        &self,
        number: u64,
        body: Option<&str>,
        state: Option<&str>,
    ) -> Result<Issue, ApiError> {
        let route = format!("/repos/{}/{}/issues/{number}", self.owner, self.repo);
        let mut payload = serde_json::Map::new();
        if let Some(b) = body {
            payload.insert("body".into(), b.into());
        }
        if let Some(s) = state {
            payload.insert("state".into(), s.into());
            if s == "closed" {
                payload.insert("state_reason".into(), "completed".into());
            }
        }
        let what = match state {
            Some("closed") => format!("close issue #{number}"),
            _ => format!("update issue #{number}"),
        };
        self.call(&what, || {
            self.crab.patch::<IssueJson, _, _>(&route, Some(&payload))
        })
        .await
        .map(Into::into)
    }

    /// The comments on commit `sha`, oldest first.
    pub async fn list_commit_comments(&self, sha: &str) -> Result<Vec<IssueComment>, ApiError> {
        let route = format!("/repos/{}/{}/commits/{sha}/comments", self.owner, self.repo);
        let all: Vec<CommitCommentJson> = self
            .all_pages(
                &format!("list the comments of commit {sha}"),
                &route,
                &[("per_page", "100")],
            )
            .await?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Comments on commit `sha`. Not idempotent (see [`create_comment`](Self::create_comment)).
    pub async fn create_commit_comment(
        &self,
        sha: &str,
        body: &str,
    ) -> Result<IssueComment, ApiError> {
        let route = format!("/repos/{}/{}/commits/{sha}/comments", self.owner, self.repo);
        let payload = serde_json::json!({ "body": body });
        self.call_with(
            &format!("comment on commit {sha}"),
            || {
                self.crab
                    .post::<_, CommitCommentJson>(&route, Some(&payload))
            },
            false,
        )
        .await
        .map(Into::into)
    }

    /// Every item of a paginated list (following `Link: rel="next"`), up to [`MAX_PAGES`] pages.
    async fn all_pages<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        route: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<T>, ApiError> {
        let mut page: octocrab::Page<T> = self
            .call(what, || self.crab.get(route, Some(params)))
            .await?;
        let mut out = page.take_items();
        let mut pages = 1;
        while let Some(next) = page.next.clone() {
            if pages >= MAX_PAGES {
                tracing::warn!("could not {what} past {MAX_PAGES} pages; only those were read");
                break;
            }
            let next = Some(next);
            match self.call(what, || self.crab.get_page::<T>(&next)).await? {
                Some(mut p) => {
                    out.extend(p.take_items());
                    page = p;
                    pages += 1;
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// Runs `f` until it succeeds or the policy says stop.
    async fn call<T, F, Fut>(&self, what: &str, f: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = octocrab::Result<T>>,
    {
        self.call_with(what, f, true).await
    }

    /// Like [`call`](Self::call); with `idempotent` false, a failure that may have taken effect (no answer,
    /// 5xx) is not retried here but returned to the caller, who knows how to check.
    async fn call_with<T, F, Fut>(
        &self,
        what: &str,
        mut f: F,
        idempotent: bool,
    ) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = octocrab::Result<T>>,
    {
        let mut slept = Duration::ZERO;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let err = match f().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let (status, headers, message) = match &err {
                octocrab::Error::GitHub { source, .. } => (
                    Some(source.status_code.as_u16()),
                    source.headers.clone(),
                    source.message.clone(),
                ),
                octocrab::Error::Hyper { .. } | octocrab::Error::Service { .. } => {
                    (None, None, err.to_string())
                }
                // A response octocrab could not decode, a bad URI: retrying would not help.
                other => {
                    return Err(ApiError::Transport {
                        what: what.to_string(),
                        detail: self.scrub(&first_line(&other.to_string())),
                        note: None,
                    })
                }
            };
            let message = self.scrub(&first_line(&message));
            let failure = Failure {
                status,
                headers: headers.as_ref(),
                message: &message,
            };
            let ambiguous = status.is_none_or(|s| s >= 500);
            let decision = match decide(
                &self.policy,
                attempt,
                &failure,
                chrono::Utc::now().timestamp(),
                slept,
            ) {
                Decision::RetryAfter(_) if ambiguous && !idempotent => Decision::Stop(Some(
                    "it may have been done: not repeated before looking".into(),
                )),
                d => d,
            };
            match decision {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(
                        "GitHub: could not {what} ({}); retrying in {:.0} s (attempt {} of {})",
                        status
                            .map(|s| format!("HTTP {s}"))
                            .unwrap_or_else(|| message.clone()),
                        wait.as_secs_f64(),
                        attempt + 1,
                        self.policy.max_attempts
                    );
                    tokio::time::sleep(wait).await;
                    slept += wait;
                }
                Decision::Stop(note) => {
                    return Err(match status {
                        Some(403) if note.is_none() => ApiError::Forbidden {
                            what: what.to_string(),
                            message,
                        },
                        Some(status) => ApiError::Status {
                            what: what.to_string(),
                            status,
                            message,
                            note,
                        },
                        None => ApiError::Transport {
                            what: what.to_string(),
                            detail: message,
                            note,
                        },
                    })
                }
            }
        }
    }

    fn scrub(&self, s: &str) -> String {
        redact_with(s, &self.secrets)
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_string()
}

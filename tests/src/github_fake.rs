//! A recording fake of the GitHub REST API on loopback: the endpoints perfgate's octocrab calls use to list,
//! create, update and delete issue comments, to read a pull request, to list, open and edit (close) issues,
//! and to list and create commit comments.
//!
//! Responses have the shape of GitHub's (full comment and user objects, `Link` pagination, JSON error
//! bodies), so octocrab's real deserialisation runs. Every request is recorded (method, path, query,
//! `Authorization` header, body, arrival time) for the tests to assert on. A [`Mode`] makes it answer like
//! GitHub does when things go wrong: `403` for a read-only token's writes, `500` or `429 Retry-After`
//! for the first N requests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

/// How the fake misbehaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Everything works.
    Normal,
    /// Reads work; every write answers 403 "Resource not accessible by integration" (a fork's token).
    ReadOnlyToken,
    /// The first `n` requests answer 500, then everything works.
    ServerErrors(usize),
    /// The first `n` requests answer 429 with `Retry-After: secs`, then everything works.
    RateLimited { n: usize, retry_after_secs: u64 },
    /// Every write answers 403 with a body that quotes the request's `Authorization` header (to prove
    /// perfgate scrubs what a server echoes).
    ForbiddenEchoingAuth,
    /// The first `n` creations (any POST answered 201: a comment, an issue, a commit comment) are stored at
    /// once but answered only after `delay`: GitHub did it, and a client with a shorter timeout never hears
    /// so.
    SlowCreate { n: usize, delay: Duration },
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: String,
    pub at: Instant,
    pub status: u16,
}

/// A stored comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeComment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub login: String,
    pub user_type: String,
}

/// A stored issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    pub login: String,
    pub user_type: String,
}

/// A stored commit comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeCommitComment {
    pub id: u64,
    pub sha: String,
    pub body: String,
}

#[derive(Debug)]
struct State {
    mode: Mode,
    /// Requests answered with the failure of the mode so far.
    failures_served: usize,
    token: String,
    owner_repo: String,
    comments: BTreeMap<u64, FakeComment>,
    next_id: u64,
    pulls: BTreeMap<u64, String>,
    issues: BTreeMap<u64, FakeIssue>,
    next_issue: u64,
    commit_comments: BTreeMap<u64, FakeCommitComment>,
    requests: Vec<Recorded>,
    max_per_page: usize,
}

/// The fake server. Dropping it stops it.
pub struct FakeGitHub {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _server: crate::loopback::LoopbackServer,
}

impl FakeGitHub {
    /// Serves repository `owner/repo`, accepting only `Authorization: Bearer <token>`.
    pub fn start(owner_repo: &str, token: &str, mode: Mode) -> FakeGitHub {
        let state = Arc::new(Mutex::new(State {
            mode,
            failures_served: 0,
            token: token.to_string(),
            owner_repo: owner_repo.to_string(),
            comments: BTreeMap::new(),
            next_id: 1000,
            pulls: BTreeMap::new(),
            issues: BTreeMap::new(),
            next_issue: 100,
            commit_comments: BTreeMap::new(),
            requests: Vec::new(),
            max_per_page: 100,
        }));
        let s = Arc::clone(&state);
        let server = crate::loopback::LoopbackServer::start(move |addr| {
            move |req| {
                let state = Arc::clone(&s);
                async move { handle(req, &state, addr).await }
            }
        });
        FakeGitHub {
            addr: server.addr,
            state,
            _server: server,
        }
    }

    /// The API base URL (what `GITHUB_API_URL` holds).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        let mut s = self.lock();
        s.mode = mode;
        s.failures_served = 0;
    }

    /// Pages hold at most this many comments whatever `per_page` asks (to exercise pagination).
    pub fn set_max_per_page(&self, n: usize) {
        self.lock().max_per_page = n.max(1);
    }

    /// Adds a comment as if someone had written it.
    pub fn seed_comment(&self, issue: u64, body: &str, login: &str, user_type: &str) -> u64 {
        let mut s = self.lock();
        let id = s.next_id;
        s.next_id += 1;
        s.comments.insert(
            id,
            FakeComment {
                id,
                issue,
                body: body.into(),
                login: login.into(),
                user_type: user_type.into(),
            },
        );
        id
    }

    /// Makes pull request `number` exist with head commit `sha`.
    pub fn set_pull(&self, number: u64, head_sha: &str) {
        self.lock().pulls.insert(number, head_sha.into());
    }

    pub fn comments(&self, issue: u64) -> Vec<FakeComment> {
        self.lock()
            .comments
            .values()
            .filter(|c| c.issue == issue)
            .cloned()
            .collect()
    }

    /// Adds an issue as if someone had opened it; returns its number.
    pub fn seed_issue(&self, title: &str, body: &str, login: &str, user_type: &str) -> u64 {
        let mut s = self.lock();
        let number = s.next_issue;
        s.next_issue += 1;
        s.issues.insert(
            number,
            FakeIssue {
                number,
                title: title.into(),
                body: body.into(),
                state: "open".into(),
                login: login.into(),
                user_type: user_type.into(),
            },
        );
        number
    }

    /// Every issue (open and closed), by number.
    pub fn issues(&self) -> Vec<FakeIssue> {
        self.lock().issues.values().cloned().collect()
    }

    /// The comments on commit `sha`.
    pub fn commit_comments(&self, sha: &str) -> Vec<FakeCommitComment> {
        self.lock()
            .commit_comments
            .values()
            .filter(|c| c.sha == sha)
            .cloned()
            .collect()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn json_response(status: u16, body: Value, headers: &[(&str, String)]) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json; charset=utf-8")
        .header("x-github-api-version-selected", "2022-11-28");
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn user(login: &str, user_type: &str) -> Value {
    let base = format!("https://api.github.com/users/{login}");
    json!({
        "login": login, "id": 41898282, "node_id": "MDM6Qm90NDE4OTgyODI=",
        "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4", "gravatar_id": "",
        "url": base, "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{base}/followers"), "following_url": format!("{base}/following{{/other_user}}"),
        "gists_url": format!("{base}/gists{{/gist_id}}"), "starred_url": format!("{base}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{base}/subscriptions"), "organizations_url": format!("{base}/orgs"),
        "repos_url": format!("{base}/repos"), "events_url": format!("{base}/events{{/privacy}}"),
        "received_events_url": format!("{base}/received_events"), "type": user_type, "site_admin": false
    })
}

fn comment_json(c: &FakeComment, owner_repo: &str) -> Value {
    json!({
        "id": c.id,
        "node_id": format!("IC_kwDO{}", c.id),
        "url": format!("https://api.github.com/repos/{owner_repo}/issues/comments/{}", c.id),
        "html_url": format!("https://github.com/{owner_repo}/pull/{}#issuecomment-{}", c.issue, c.id),
        "issue_url": format!("https://api.github.com/repos/{owner_repo}/issues/{}", c.issue),
        "body": c.body,
        "user": user(&c.login, &c.user_type),
        "author_association": "NONE",
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z"
    })
}

fn issue_json(i: &FakeIssue, owner_repo: &str) -> Value {
    json!({
        "id": 5_000_000 + i.number,
        "node_id": format!("I_kwDO{}", i.number),
        "url": format!("https://api.github.com/repos/{owner_repo}/issues/{}", i.number),
        "html_url": format!("https://github.com/{owner_repo}/issues/{}", i.number),
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": i.state,
        "state_reason": if i.state == "closed" { json!("completed") } else { Value::Null },
        "user": user(&i.login, &i.user_type),
        "labels": [],
        "comments": 0,
        "locked": false,
        "author_association": "NONE",
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z"
    })
}

fn commit_comment_json(c: &FakeCommitComment, owner_repo: &str) -> Value {
    json!({
        "id": c.id,
        "node_id": format!("CC_kwDO{}", c.id),
        "url": format!("https://api.github.com/repos/{owner_repo}/comments/{}", c.id),
        "html_url": format!("https://github.com/{owner_repo}/commit/{}#commitcomment-{}", c.sha, c.id),
        "commit_id": c.sha,
        "body": c.body,
        "path": null, "position": null, "line": null,
        "user": user("github-actions[bot]", "Bot"),
        "author_association": "NONE",
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z"
    })
}

/// `per_page` and `page` of a list request (GitHub's defaults 30 and 1), `per_page` capped at `max`.
fn paging(query: &str, max: usize) -> (usize, usize, BTreeMap<String, String>) {
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let per_page = params
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .min(max)
        .max(1);
    let page = params
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    (per_page, page, params)
}

/// One page of `all` with GitHub's `Link: rel="next"` header when more follow (the other query
/// parameters kept, as GitHub does).
fn page_response(
    all: Vec<Value>,
    params: &BTreeMap<String, String>,
    per_page: usize,
    page: usize,
    addr: SocketAddr,
    path: &str,
) -> Response<Full<Bytes>> {
    let total = all.len();
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut headers = Vec::new();
    if page * per_page < total {
        let mut q: Vec<String> = params
            .iter()
            .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        q.push(format!("per_page={per_page}"));
        q.push(format!("page={}", page + 1));
        headers.push((
            "link",
            format!("<http://{addr}{path}?{}>; rel=\"next\"", q.join("&")),
        ));
    }
    json_response(200, Value::Array(items), &headers)
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    state: &Mutex<State>,
    addr: SocketAddr,
) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    let (response, slow) = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        let response = respond(
            &mut s,
            &method,
            &path,
            &query,
            authorization.as_deref(),
            &body,
            addr,
        );
        let status = response.status().as_u16();
        let slow = match s.mode {
            Mode::SlowCreate { n, delay }
                if method == Method::POST && status == 201 && s.failures_served < n =>
            {
                s.failures_served += 1;
                Some(delay)
            }
            _ => None,
        };
        s.requests.push(Recorded {
            method: method.to_string(),
            path,
            query,
            authorization,
            body,
            at: Instant::now(),
            status,
        });
        (response, slow)
    };
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    response
}

fn respond(
    s: &mut State,
    method: &Method,
    path: &str,
    query: &str,
    authorization: Option<&str>,
    body: &str,
    addr: SocketAddr,
) -> Response<Full<Bytes>> {
    if authorization != Some(format!("Bearer {}", s.token).as_str()) {
        return json_response(
            401,
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
            &[],
        );
    }
    let write = method != Method::GET;
    match s.mode.clone() {
        Mode::ServerErrors(n) if s.failures_served < n => {
            s.failures_served += 1;
            return json_response(500, json!({"message": "Server Error"}), &[]);
        }
        Mode::RateLimited {
            n,
            retry_after_secs,
        } if s.failures_served < n => {
            s.failures_served += 1;
            return json_response(
                429,
                json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                       "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}),
                &[("retry-after", retry_after_secs.to_string())],
            );
        }
        Mode::ReadOnlyToken if write => {
            return json_response(
                403,
                json!({"message": "Resource not accessible by integration",
                       "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
                       "status": "403"}),
                &[("x-ratelimit-remaining", "4999".to_string())],
            );
        }
        Mode::ForbiddenEchoingAuth if write => {
            return json_response(
                403,
                json!({"message": format!("Forbidden for {}", authorization.unwrap_or_default())}),
                &[],
            );
        }
        _ => {}
    }
    let prefix = format!("/repos/{}/", s.owner_repo);
    let Some(rest) = path.strip_prefix(&prefix) else {
        return json_response(404, json!({"message": "Not Found"}), &[]);
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let not_found = || json_response(404, json!({"message": "Not Found"}), &[]);
    let text_of = |body: &str| {
        serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v.get("body").and_then(Value::as_str).map(str::to_string))
    };
    match (method.clone(), parts.as_slice()) {
        (Method::GET, ["issues", n, "comments"]) => {
            let Ok(issue) = n.parse::<u64>() else {
                return not_found();
            };
            let params: BTreeMap<String, String> = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let per_page = params
                .get("per_page")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(30)
                .min(s.max_per_page);
            let page = params
                .get("page")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(1)
                .max(1);
            let all: Vec<&FakeComment> = s.comments.values().filter(|c| c.issue == issue).collect();
            let items: Vec<Value> = all
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|c| comment_json(c, &s.owner_repo))
                .collect();
            let mut headers = Vec::new();
            if page * per_page < all.len() {
                headers.push((
                    "link",
                    format!(
                        "<http://{addr}{path}?per_page={per_page}&page={}>; rel=\"next\"",
                        page + 1
                    ),
                ));
            }
            json_response(200, Value::Array(items), &headers)
        }
        (Method::POST, ["issues", n, "comments"]) => {
            let Ok(issue) = n.parse::<u64>() else {
                return not_found();
            };
            let Some(text) = text_of(body) else {
                return json_response(
                    422,
                    json!({"message": "Invalid request: body is required"}),
                    &[],
                );
            };
            let id = s.next_id;
            s.next_id += 1;
            let c = FakeComment {
                id,
                issue,
                body: text,
                login: "github-actions[bot]".into(),
                user_type: "Bot".into(),
            };
            let v = comment_json(&c, &s.owner_repo);
            s.comments.insert(id, c);
            json_response(201, v, &[])
        }
        // GitHub documents PATCH; it also accepts POST, which octocrab sends.
        (Method::PATCH | Method::POST, ["issues", "comments", id]) => {
            let Some(text) = text_of(body) else {
                return json_response(
                    422,
                    json!({"message": "Invalid request: body is required"}),
                    &[],
                );
            };
            let owner_repo = s.owner_repo.clone();
            match id
                .parse::<u64>()
                .ok()
                .and_then(|id| s.comments.get_mut(&id))
            {
                Some(c) => {
                    c.body = text;
                    json_response(200, comment_json(c, &owner_repo), &[])
                }
                None => not_found(),
            }
        }
        (Method::DELETE, ["issues", "comments", id]) => {
            match id.parse::<u64>().ok().and_then(|id| s.comments.remove(&id)) {
                Some(_) => Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .body(Full::new(Bytes::new()))
                    .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))),
                None => not_found(),
            }
        }
        (Method::GET, ["issues"]) => {
            let (per_page, page, params) = paging(query, s.max_per_page);
            let state = params.get("state").map(String::as_str).unwrap_or("open");
            let all: Vec<Value> = s
                .issues
                .values()
                .filter(|i| state == "all" || i.state == state)
                .map(|i| issue_json(i, &s.owner_repo))
                .collect();
            page_response(all, &params, per_page, page, addr, path)
        }
        (Method::POST, ["issues"]) => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let Some(title) = v.get("title").and_then(Value::as_str) else {
                return json_response(
                    422,
                    json!({"message": "Invalid request: title is required"}),
                    &[],
                );
            };
            let number = s.next_issue;
            s.next_issue += 1;
            let i = FakeIssue {
                number,
                title: title.to_string(),
                body: v
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                state: "open".into(),
                login: "github-actions[bot]".into(),
                user_type: "Bot".into(),
            };
            let out = issue_json(&i, &s.owner_repo);
            s.issues.insert(number, i);
            json_response(201, out, &[])
        }
        (Method::PATCH, ["issues", n]) => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let owner_repo = s.owner_repo.clone();
            let Some(i) = n.parse::<u64>().ok().and_then(|n| s.issues.get_mut(&n)) else {
                return not_found();
            };
            if let Some(b) = v.get("body").and_then(Value::as_str) {
                i.body = b.to_string();
            }
            match v.get("state").and_then(Value::as_str) {
                Some(st @ ("open" | "closed")) => i.state = st.to_string(),
                Some(_) => return json_response(422, json!({"message": "Validation Failed"}), &[]),
                None => {}
            }
            json_response(200, issue_json(i, &owner_repo), &[])
        }
        (Method::GET, ["commits", sha, "comments"]) => {
            let (per_page, page, params) = paging(query, s.max_per_page);
            let all: Vec<Value> = s
                .commit_comments
                .values()
                .filter(|c| c.sha == *sha)
                .map(|c| commit_comment_json(c, &s.owner_repo))
                .collect();
            page_response(all, &params, per_page, page, addr, path)
        }
        (Method::POST, ["commits", sha, "comments"]) => {
            let Some(text) = text_of(body) else {
                return json_response(
                    422,
                    json!({"message": "Invalid request: body is required"}),
                    &[],
                );
            };
            let id = s.next_id;
            s.next_id += 1;
            let c = FakeCommitComment {
                id,
                sha: sha.to_string(),
                body: text,
            };
            let v = commit_comment_json(&c, &s.owner_repo);
            s.commit_comments.insert(id, c);
            json_response(201, v, &[])
        }
        (Method::GET, ["pulls", n]) => match n
            .parse::<u64>()
            .ok()
            .and_then(|n| s.pulls.get(&n).map(|sha| (n, sha.clone())))
        {
            Some((n, sha)) => json_response(
                200,
                json!({"number": n, "state": "open", "head": {"sha": sha}}),
                &[],
            ),
            None => not_found(),
        },
        _ => not_found(),
    }
}

/// How long the fake waited between two recorded requests.
pub fn gap(a: &Recorded, b: &Recorded) -> Duration {
    b.at.saturating_duration_since(a.at)
}

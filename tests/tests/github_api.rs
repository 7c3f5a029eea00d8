//! perfgate's GitHub client (octocrab underneath) against the recording fake of the REST API on loopback:
//! the sticky comment, pagination, retries on 5xx and 429, a fork's 403, and the token kept out of errors.

use std::time::Duration;

use perfgate_cli::github::{sticky, ApiError, GitHub, RetryPolicy, StickyOutcome};
use perfgate_e2e::github_fake::{gap, FakeGitHub, Mode};

const TOKEN: &str = "ghs_FAKEtoken1234567890abcdefABCDEF";
const MARKER: &str = "<!-- perfgate:comment suite=api -->";

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn upsert(fake: &FakeGitHub, policy: RetryPolicy, body: &str) -> Result<StickyOutcome, ApiError> {
    rt().block_on(async {
        let gh = GitHub::new(&fake.url(), TOKEN, "octo/service", policy)?;
        sticky::upsert(&gh, 7, MARKER, body, true).await
    })
}

#[test]
fn sticky_comment_is_created_once_then_updated_in_place_leaving_other_comments_alone() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::Normal);
    fake.seed_comment(7, "LGTM", "alice", "User");
    fake.seed_comment(
        7,
        "<!-- perfgate:comment suite=web -->\nweb suite",
        "github-actions[bot]",
        "Bot",
    );
    fake.seed_comment(
        8,
        &format!("{MARKER}\nanother PR"),
        "github-actions[bot]",
        "Bot",
    );

    let first = upsert(&fake, fast_policy(), &format!("{MARKER}\nfirst")).expect("create");
    let StickyOutcome::Created(c) = &first else {
        panic!("{first:?}")
    };
    assert!(
        c.html_url.contains("/pull/7#issuecomment-"),
        "{}",
        c.html_url
    );
    let second = upsert(&fake, fast_policy(), &format!("{MARKER}\nsecond")).expect("update");
    assert!(
        matches!(second, StickyOutcome::Updated(ref u) if u.id == c.id),
        "{second:?}"
    );

    let ours: Vec<_> = fake
        .comments(7)
        .into_iter()
        .filter(|c| c.body.contains(MARKER))
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].body, format!("{MARKER}\nsecond"));
    assert_eq!(
        fake.comments(7).len(),
        3,
        "the human's and the other suite's comments stay"
    );
    assert_eq!(fake.comments(8)[0].body, format!("{MARKER}\nanother PR"));
    // Every request carried the token, as a bearer token.
    let reqs = fake.requests();
    assert!(reqs
        .iter()
        .all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}"))));
    let writes: Vec<_> = reqs
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        writes,
        vec![
            ("POST", "/repos/octo/service/issues/7/comments"),
            (
                "POST",
                &*format!("/repos/octo/service/issues/comments/{}", c.id)
            ),
        ]
    );
}

#[test]
fn the_marker_is_found_on_a_later_page_and_racing_duplicates_are_removed() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::Normal);
    fake.set_max_per_page(2);
    for i in 0..5 {
        fake.seed_comment(7, &format!("chatter {i}"), "bob", "User");
    }
    let keep = fake.seed_comment(7, &format!("{MARKER}\nold"), "github-actions[bot]", "Bot");
    let dup = fake.seed_comment(7, &format!("{MARKER}\nrace"), "github-actions[bot]", "Bot");

    let out = upsert(&fake, fast_policy(), &format!("{MARKER}\nnew")).expect("upsert");
    assert!(
        matches!(out, StickyOutcome::Updated(ref c) if c.id == keep),
        "{out:?}"
    );
    let ours: Vec<_> = fake
        .comments(7)
        .into_iter()
        .filter(|c| c.body.contains(MARKER))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(ours[0].id, keep);
    assert!(!fake.comments(7).iter().any(|c| c.id == dup));
    let pages = fake.requests().iter().filter(|r| r.method == "GET").count();
    assert_eq!(pages, 4, "7 comments at 2 per page");
}

#[test]
fn server_errors_are_retried_with_backoff_until_github_answers() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::ServerErrors(2));
    let out =
        upsert(&fake, fast_policy(), &format!("{MARKER}\nbody")).expect("succeeds after retries");
    assert!(matches!(out, StickyOutcome::Created(_)));
    let reqs = fake.requests();
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![500, 500, 200, 201]);
    // 50 ms, then 100 ms.
    assert!(
        gap(&reqs[0], &reqs[1]) >= Duration::from_millis(45),
        "{:?}",
        gap(&reqs[0], &reqs[1])
    );
    assert!(
        gap(&reqs[1], &reqs[2]) >= Duration::from_millis(95),
        "{:?}",
        gap(&reqs[1], &reqs[2])
    );
    assert_eq!(fake.comments(7).len(), 1);
}

#[test]
fn a_create_that_timed_out_but_happened_is_found_and_not_repeated() {
    // GitHub stores the comment, then answers after the client gave up: a blind retry would post twice.
    let fake = FakeGitHub::start(
        "octo/service",
        TOKEN,
        Mode::SlowCreate {
            n: 1,
            delay: Duration::from_millis(1500),
        },
    );
    let policy = RetryPolicy {
        attempt_timeout: Duration::from_millis(300),
        ..fast_policy()
    };
    let body = format!("{MARKER}\nbody");
    let out = upsert(&fake, policy, &body).expect("the comment is there");
    let comments = fake.comments(7);
    assert_eq!(comments.len(), 1, "exactly one comment: {comments:?}");
    let StickyOutcome::Created(c) = &out else {
        panic!("{out:?}")
    };
    assert_eq!(c.id, comments[0].id);
    assert_eq!(comments[0].body, body);
    let calls: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            "GET /repos/octo/service/issues/7/comments".to_string(),
            "POST /repos/octo/service/issues/7/comments".to_string(),
            "GET /repos/octo/service/issues/7/comments".to_string(),
        ],
        "one create, then a look instead of a second create"
    );
}

#[test]
fn a_rate_limit_waits_as_long_as_retry_after_says() {
    let fake = FakeGitHub::start(
        "octo/service",
        TOKEN,
        Mode::RateLimited {
            n: 1,
            retry_after_secs: 1,
        },
    );
    upsert(&fake, fast_policy(), &format!("{MARKER}\nbody")).expect("succeeds after the wait");
    let reqs = fake.requests();
    assert_eq!(reqs[0].status, 429);
    assert_eq!(reqs[1].status, 200);
    let waited = gap(&reqs[0], &reqs[1]);
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
}

#[test]
fn a_retry_after_longer_than_perfgate_waits_ends_at_once_with_a_clear_error() {
    let fake = FakeGitHub::start(
        "octo/service",
        TOKEN,
        Mode::RateLimited {
            n: 10,
            retry_after_secs: 3600,
        },
    );
    let started = std::time::Instant::now();
    let err = upsert(&fake, fast_policy(), "x").expect_err("gives up");
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = err.to_string();
    assert!(text.contains("HTTP 429") && text.contains("3600"), "{text}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_read_only_token_gets_forbidden_without_retries() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::ReadOnlyToken);
    let err = upsert(&fake, fast_policy(), &format!("{MARKER}\nbody")).expect_err("403");
    assert!(err.is_forbidden(), "{err:?}");
    assert!(
        err.to_string()
            .contains("Resource not accessible by integration"),
        "{err}"
    );
    let writes = fake.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!(writes, 1, "a 403 without rate-limit signs is not retried");
    assert!(fake.comments(7).is_empty());
}

#[test]
fn a_server_echoing_the_token_back_does_not_get_it_into_perfgates_errors() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::ForbiddenEchoingAuth);
    let err = upsert(&fake, fast_policy(), "body").expect_err("403");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("Bearer ***"), "{text}");
}

#[test]
fn bad_settings_are_explained_before_any_request() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::Normal);
    let errors = rt().block_on(async {
        vec![
            GitHub::new(&fake.url(), "", "octo/service", fast_policy()).map(drop),
            GitHub::new(&fake.url(), "tok en\n", "octo/service", fast_policy()).map(drop),
            GitHub::new(&fake.url(), TOKEN, "not-a-repo", fast_policy()).map(drop),
            GitHub::new("not a url", TOKEN, "octo/service", fast_policy()).map(drop),
        ]
    });
    let texts: Vec<String> = errors
        .into_iter()
        .map(|e| e.expect_err("rejected").to_string())
        .collect();
    assert!(texts[0].contains("github-token"), "{}", texts[0]);
    assert!(texts[1].contains("control characters"), "{}", texts[1]);
    assert!(texts[2].contains("owner/name"), "{}", texts[2]);
    assert!(texts[3].contains("GITHUB_API_URL"), "{}", texts[3]);
    assert!(fake.requests().is_empty());
}

#[test]
fn a_pull_requests_head_is_read_for_verification() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::Normal);
    fake.set_pull(12, "abc123");
    let (found, missing) = rt().block_on(async {
        let gh = GitHub::new(&fake.url(), TOKEN, "octo/service", fast_policy()).expect("client");
        (
            gh.pull_request_head_sha(12).await,
            gh.pull_request_head_sha(13).await,
        )
    });
    assert_eq!(found.expect("pull 12"), "abc123");
    assert!(missing
        .expect_err("no pull 13")
        .to_string()
        .contains("HTTP 404"));
}

#[test]
fn the_alert_issue_is_found_on_a_later_page_of_open_issues_and_not_once_it_is_closed() {
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::Normal);
    fake.set_max_per_page(2);
    let alert = "<!-- perfgate-alert suite=api -->";
    for i in 0..4 {
        fake.seed_issue(&format!("bug {i}"), "unrelated", "alice", "User");
    }
    let human = fake.seed_issue("quote", &format!("> {alert}"), "alice", "User");
    let ours = fake.seed_issue(
        "perf",
        &format!("{alert}\nbody"),
        "github-actions[bot]",
        "Bot",
    );
    let found = rt()
        .block_on(async {
            let gh = GitHub::new(&fake.url(), TOKEN, "octo/service", fast_policy())?;
            perfgate_cli::github::alert::find_open(&gh, alert).await
        })
        .expect("listed");
    assert_eq!(
        found.map(|i| i.number),
        Some(ours),
        "perfgate's, not #{human} that quotes the marker"
    );
    let pages: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/repos/octo/service/issues")
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(pages.len(), 3, "three pages of two: {pages:?}");
    assert!(
        pages.iter().skip(1).all(|q| q.contains("state=open")),
        "the next links keep the filter: {pages:?}"
    );

    // Closed, it is not found again: the next regression opens a new issue.
    rt().block_on(async {
        let gh = GitHub::new(&fake.url(), TOKEN, "octo/service", fast_policy()).expect("client");
        gh.update_issue(ours, None, Some("closed"))
            .await
            .expect("closed");
        assert_eq!(
            perfgate_cli::github::alert::find_open(&gh, alert)
                .await
                .expect("listed")
                .map(|i| i.number),
            None,
            "a quote of the marker (#{human}) is never taken for the alert"
        );
    });
}

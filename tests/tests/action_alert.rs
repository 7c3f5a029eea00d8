//! Default-branch alerts end to end: `perfgate action` on pushes and schedules to `main`, against a real
//! loopback service whose speed the test sets, a real git remote that receives the reports branch, and the
//! recording fake of GitHub's REST API (the same octocrab code path users run).
//!
//! The history is built with `alert: off` (it is only history); then a clearly slower service must open
//! exactly one issue per suite, a second slow run must comment on that same issue, and a recovered service
//! must close it. A commit comment, a create that GitHub made but answered too late, and a token without
//! `issues: write` are each checked on their own.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use perfgate_cli::github::workflow::parse_outputs;
use perfgate_e2e::git::git;
use perfgate_e2e::github_fake::{FakeGitHub, Mode};
use perfgate_e2e::{perfgate_env, timing_lock, Behavior, TestServer};

const TOKEN: &str = "ghs_alertSECRETtoken0123456789abcdefXYZ";
const REPO: &str = "octo/service";
const MARKER: &str = "<!-- perfgate-alert suite=api -->";

fn config(url: &str) -> String {
    format!(
        r#"suite = "api"
output_dir = "perf-out"

[target]
base_url = "{url}"
request_timeout = 5

[[operations]]
name = "search"
path = "/search"

[benchmark]
iterations = 15
warmup_iterations = 2

[load]
collect_system_metrics = false
"#
    )
}

/// A repository with a bare `origin`; every run is a new commit pushed to `main`.
struct World {
    tmp: tempfile::TempDir,
    work: PathBuf,
    sha: String,
    runs: usize,
    logs: Vec<Output>,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    outputs: Vec<(String, String)>,
    run_id: String,
}

impl Run {
    fn output(&self, name: &str) -> String {
        self.outputs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("output {name} not written: {:?}", self.outputs))
    }
}

impl World {
    fn new(service_url: &str) -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let (_remote, work, sha) = perfgate_e2e::git::project(
            tmp.path(),
            &[
                ("perfgate.toml", config(service_url).as_bytes()),
                (".gitignore", b"perf-out/\n"),
            ],
        );
        std::fs::create_dir_all(tmp.path().join("gh")).expect("gh dir");
        World {
            tmp,
            work,
            sha,
            runs: 0,
            logs: Vec::new(),
        }
    }

    /// Commits a change of the suite's target (a deploy of a faster or slower build) and pushes it.
    fn push_commit(&mut self, service_url: &str) {
        std::fs::write(self.work.join("perfgate.toml"), config(service_url)).expect("config");
        git(
            &self.work,
            &["commit", "-q", "--allow-empty", "-am", "deploy"],
        );
        git(&self.work, &["push", "-q", "origin", "HEAD:main"]);
        self.sha = git(&self.work, &["rev-parse", "HEAD"]);
    }

    /// `perfgate action` for a `push` (or `schedule`) on `main`, with `env` added.
    fn on_main(&mut self, event: &str, fake: &FakeGitHub, env: &[(&str, &str)]) -> Run {
        self.runs += 1;
        let gh = self.tmp.path().join("gh");
        let event_path = gh.join(format!("event-{}.json", self.runs));
        let output_path = gh.join(format!("output-{}", self.runs));
        let mut payload =
            serde_json::json!({"repository": {"full_name": REPO, "default_branch": "main"}});
        if event == "push" {
            payload["ref"] = "refs/heads/main".into();
        } else {
            payload["schedule"] = "17 3 * * *".into();
        }
        std::fs::write(&event_path, payload.to_string()).expect("event");
        let run_id = format!("{}", 9000 + self.runs);
        let mut all: Vec<(String, String)> = vec![
            ("GITHUB_ACTIONS".into(), "true".into()),
            ("GITHUB_EVENT_NAME".into(), event.into()),
            ("GITHUB_EVENT_PATH".into(), event_path.display().to_string()),
            ("GITHUB_REPOSITORY".into(), REPO.into()),
            ("GITHUB_SHA".into(), self.sha.clone()),
            ("GITHUB_REF".into(), "refs/heads/main".into()),
            ("GITHUB_REF_NAME".into(), "main".into()),
            ("GITHUB_RUN_ID".into(), run_id.clone()),
            ("GITHUB_SERVER_URL".into(), "https://github.com".into()),
            ("GITHUB_API_URL".into(), fake.url()),
            ("GITHUB_OUTPUT".into(), output_path.display().to_string()),
            ("INPUT_GITHUB_TOKEN".into(), TOKEN.into()),
            ("INPUT_TEST_TYPE".into(), "benchmark".into()),
            // Like the nightly example: only gates fail the step; the alert is how a regression is told.
            ("INPUT_FAIL_ON".into(), "gate".into()),
            ("INPUT_ALERT_CC".into(), "alice, @bob".into()),
        ];
        for (k, v) in env {
            all.retain(|(key, _)| key != k);
            all.push((k.to_string(), v.to_string()));
        }
        let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let out = perfgate_env(&self.work, &["action", "--quiet"], &refs);
        self.logs.push(out.clone());
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: parse_outputs(&std::fs::read_to_string(&output_path).unwrap_or_default()),
            run_id,
        }
    }

    /// `n` healthy pushes published to the reports branch, with alerts off (history only).
    fn history(&mut self, n: usize, service_url: &str, fake: &FakeGitHub) {
        for i in 0..n {
            self.push_commit(service_url);
            let run = self.on_main("push", fake, &[("INPUT_ALERT", "off")]);
            assert_eq!(run.code, Some(0), "history run {i}: {}", run.stdout);
        }
        assert!(fake.requests().is_empty(), "alert off: no GitHub calls");
    }

    fn assert_token_nowhere(&self, fake: &FakeGitHub) {
        for (i, out) in self.logs.iter().enumerate() {
            for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !String::from_utf8_lossy(bytes).contains(TOKEN),
                    "run {i}: the token is in {what}"
                );
            }
        }
        for i in fake.issues() {
            assert!(
                !i.body.contains(TOKEN),
                "the token is in issue #{}",
                i.number
            );
        }
    }
}

fn delay(ms: u64) -> Behavior {
    Behavior {
        delay: Duration::from_millis(ms),
        ..Behavior::default()
    }
}

/// `METHOD /path` of every write the fake received.
fn writes(fake: &FakeGitHub) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_regression_on_main_opens_one_issue_comments_while_it_lasts_and_closes_on_recovery() {
    let _t = timing_lock();
    let fast = TestServer::start(delay(20));
    let slow = TestServer::start(delay(80));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new(&fast.url());
    w.history(3, &fast.url(), &fake);

    // (a) A clearly slower deploy: one issue, with the marker, the regressed operation and the cc line.
    w.push_commit(&slow.url());
    let first = w.on_main("push", &fake, &[]);
    assert_eq!(
        first.code,
        Some(0),
        "the alert never fails the step: {}",
        first.stdout
    );
    assert!(first.output("regressions").parse::<usize>().expect("count") >= 1);
    let issues = fake.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let issue = &issues[0];
    assert_eq!(issue.state, "open");
    assert!(issue.body.starts_with(MARKER), "{}", issue.body);
    assert!(issue.title.contains("api") && issue.title.contains("main"));
    assert!(issue.body.contains("`search`"), "{}", issue.body);
    assert!(issue.body.contains("regressed"), "{}", issue.body);
    assert!(issue.body.contains("cc @alice @bob"), "{}", issue.body);
    assert!(
        issue.body.contains(&format!(
            "https://github.com/{REPO}/actions/runs/{}",
            first.run_id
        )),
        "links the run: {}",
        issue.body
    );
    assert!(
        issue.body.contains(&w.sha[..7]),
        "names the commit: {}",
        issue.body
    );
    assert_eq!(
        first.output("alert-url"),
        format!("https://github.com/{REPO}/issues/{}", issue.number)
    );
    assert_eq!(writes(&fake), vec![format!("POST /repos/{REPO}/issues")]);

    // (b) The nightly schedule, still slow: the same issue, edited, with a comment that notifies watchers.
    let second = w.on_main("schedule", &fake, &[]);
    assert_eq!(second.code, Some(0), "{}", second.stdout);
    let issues = fake.issues();
    assert_eq!(issues.len(), 1, "still one issue: {issues:?}");
    assert_eq!(issues[0].number, issue.number);
    assert_eq!(issues[0].state, "open");
    assert!(
        issues[0].body.contains(&second.run_id),
        "{}",
        issues[0].body
    );
    let comments = fake.comments(issue.number);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].body.contains("Still regressed") && comments[0].body.contains("`search`"),
        "{}",
        comments[0].body
    );
    assert_eq!(second.output("alert-url"), first.output("alert-url"));

    // (c) The fix is deployed: the issue is closed with a comment. A fast run right after two slow ones can
    // still catch a hiccup of a loaded machine, so up to three runs may be needed, never a new issue.
    let mut closed = false;
    for _ in 0..3 {
        w.push_commit(&fast.url());
        let run = w.on_main("push", &fake, &[]);
        assert_eq!(run.code, Some(0), "{}", run.stdout);
        assert_eq!(fake.issues().len(), 1, "no second issue");
        if fake.issues()[0].state == "closed" {
            assert!(run.stderr.contains("closed alert issue"), "{}", run.stderr);
            closed = true;
            break;
        }
    }
    assert!(closed, "recovered: {:?}", fake.issues());
    let last = fake.comments(issue.number);
    assert!(
        last.last()
            .is_some_and(|c| c.body.contains("Recovered") && c.body.contains("`search`")),
        "{last:?}"
    );
    assert!(
        !fake.issues()[0].body.contains("perfgate-alert-state"),
        "the closed issue keeps no state"
    );
    w.assert_token_nowhere(&fake);
}

#[test]
fn with_alert_commit_comment_a_regression_is_one_comment_on_the_pushed_commit() {
    let _t = timing_lock();
    let fast = TestServer::start(delay(20));
    let slow = TestServer::start(delay(80));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new(&fast.url());
    w.history(3, &fast.url(), &fake);

    w.push_commit(&slow.url());
    let env = [("INPUT_ALERT", "commit-comment")];
    let run = w.on_main("push", &fake, &env);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let comments = fake.commit_comments(&w.sha);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = &comments[0].body;
    assert!(body.starts_with(MARKER), "{body}");
    assert!(
        body.contains("`search`") && body.contains("cc @alice @bob"),
        "{body}"
    );
    assert!(fake.issues().is_empty(), "no issue in this mode");
    assert_eq!(
        run.output("alert-url"),
        format!(
            "https://github.com/{REPO}/commit/{}#commitcomment-{}",
            w.sha, comments[0].id
        )
    );
    // A re-run of the same commit finds its comment and adds none.
    let again = w.on_main("push", &fake, &env);
    assert_eq!(again.code, Some(0), "{}", again.stdout);
    assert_eq!(fake.commit_comments(&w.sha).len(), 1);
    assert_eq!(
        writes(&fake),
        vec![format!("POST /repos/{REPO}/commits/{}/comments", w.sha)]
    );
    w.assert_token_nowhere(&fake);
}

#[test]
fn an_issue_create_that_timed_out_but_happened_is_found_and_not_opened_twice() {
    let _t = timing_lock();
    let fast = TestServer::start(delay(20));
    let slow = TestServer::start(delay(80));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new(&fast.url());
    w.history(3, &fast.url(), &fake);

    // GitHub stores the issue, then answers after perfgate gave up waiting: a blind retry would open two.
    fake.set_mode(Mode::SlowCreate {
        n: 1,
        delay: Duration::from_millis(2500),
    });
    w.push_commit(&slow.url());
    let run = w.on_main("push", &fake, &[("PERFGATE_GITHUB_TIMEOUT", "0.4")]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let issues = fake.issues();
    assert_eq!(issues.len(), 1, "exactly one issue: {issues:?}");
    assert!(issues[0].body.starts_with(MARKER));
    let calls: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            format!("GET /repos/{REPO}/issues"),
            format!("POST /repos/{REPO}/issues"),
            format!("GET /repos/{REPO}/issues"),
        ],
        "one create, then a look instead of a second create"
    );
    assert_eq!(
        run.output("alert-url"),
        format!("https://github.com/{REPO}/issues/{}", issues[0].number)
    );
    w.assert_token_nowhere(&fake);
}

#[test]
fn without_issues_write_the_alert_is_a_warning_naming_the_permission_and_the_step_passes() {
    let _t = timing_lock();
    let fast = TestServer::start(delay(20));
    let slow = TestServer::start(delay(80));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::ReadOnlyToken);
    let mut w = World::new(&fast.url());
    w.history(3, &fast.url(), &fake);

    w.push_commit(&slow.url());
    let run = w.on_main("push", &fake, &[]);
    assert_eq!(
        run.code,
        Some(0),
        "a 403 never fails the step: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("::warning title=perfgate::no alert on GitHub")
            && run.stdout.contains("issues: write"),
        "{}",
        run.stdout
    );
    assert!(fake.issues().is_empty());
    assert_eq!(
        writes(&fake),
        vec![format!("POST /repos/{REPO}/issues")],
        "one attempt, no retries on a plain 403"
    );
    assert_eq!(run.output("alert-url"), "");
    w.assert_token_nowhere(&fake);
}

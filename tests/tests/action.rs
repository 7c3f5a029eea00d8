//! `perfgate action` end to end under a simulated GitHub Actions environment: a real git remote (a bare
//! repository on disk) that receives the reports branch, loopback services with known speed, the recording
//! fake of the GitHub REST API, and the files the Actions runner would hand over (`GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY`, the event payload).
//!
//! The baseline is made the way users make it: `perfgate action` on pushes to `main` publishes each run to
//! the reports branch; pull request runs are then judged against those runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use perfgate_cli::github::workflow::parse_outputs;
use perfgate_e2e::git::git;
use perfgate_e2e::github_fake::{FakeGitHub, Mode};
use perfgate_e2e::{perfgate_env, Behavior, TestServer};

const TOKEN: &str = "ghs_e2eSECRETtoken0123456789abcdefXYZ";
const REPO: &str = "octo/service";
const MARKER: &str = "<!-- perfgate:comment suite=api -->";

/// The suite: one HTTP operation, and a command operation that dumps its environment (to prove the token
/// is not inherited by anything perfgate starts).
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

[[operations]]
name = "env-dump"
command = ["sh", "-c", "env > leaked-env.txt"]
weight = 0

[benchmark]
iterations = 20
warmup_iterations = 2

[load]
collect_system_metrics = false
"#
    )
}

/// A repository with a bare `origin` and `main` holding the config.
struct World {
    tmp: tempfile::TempDir,
    remote: PathBuf,
    work: PathBuf,
    sha: String,
    runs: usize,
    logs: Vec<Output>,
}

impl World {
    fn new(service_url: &str) -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let (remote, work, sha) = perfgate_e2e::git::project(
            tmp.path(),
            &[
                ("perfgate.toml", config(service_url).as_bytes()),
                (".gitignore", b"perf-out/\nleaked-env.txt\n"),
            ],
        );
        std::fs::create_dir_all(tmp.path().join("gh")).expect("gh dir");
        World {
            tmp,
            remote,
            work,
            sha,
            runs: 0,
            logs: Vec::new(),
        }
    }

    /// Points the suite at another service (an uncommitted change, as a pull request's checkout would be).
    fn use_service(&self, url: &str) {
        std::fs::write(self.work.join("perfgate.toml"), config(url)).expect("config");
    }

    /// Runs `perfgate action ARGS` for `event` with `payload`; returns its output, outputs and summary.
    fn action(
        &mut self,
        event: &str,
        payload: serde_json::Value,
        env: &[(&str, String)],
        args: &[&str],
    ) -> Run {
        self.runs += 1;
        let gh = self.tmp.path().join("gh");
        let event_path = gh.join(format!("event-{}.json", self.runs));
        let output_path = gh.join(format!("output-{}", self.runs));
        let summary_path = gh.join(format!("summary-{}.md", self.runs));
        std::fs::write(&event_path, payload.to_string()).expect("event");
        let mut all: Vec<(String, String)> = vec![
            ("GITHUB_ACTIONS".into(), "true".into()),
            ("GITHUB_EVENT_NAME".into(), event.into()),
            ("GITHUB_EVENT_PATH".into(), event_path.display().to_string()),
            ("GITHUB_REPOSITORY".into(), REPO.into()),
            ("GITHUB_SHA".into(), self.sha.clone()),
            ("GITHUB_RUN_ID".into(), format!("{}", 9000 + self.runs)),
            ("GITHUB_SERVER_URL".into(), "https://github.com".into()),
            ("GITHUB_OUTPUT".into(), output_path.display().to_string()),
            (
                "GITHUB_STEP_SUMMARY".into(),
                summary_path.display().to_string(),
            ),
            ("INPUT_GITHUB_TOKEN".into(), TOKEN.into()),
            ("INPUT_TEST_TYPE".into(), "benchmark".into()),
        ];
        for (k, v) in env {
            all.retain(|(key, _)| key != k);
            all.push((k.to_string(), v.clone()));
        }
        let mut argv = vec!["action", "--quiet"];
        argv.extend_from_slice(args);
        let env_refs: Vec<(&str, &str)> =
            all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let out = perfgate_env(&self.work, &argv, &env_refs);
        self.logs.push(out.clone());
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            outputs: parse_outputs(&std::fs::read_to_string(&output_path).unwrap_or_default()),
            summary: std::fs::read_to_string(&summary_path).unwrap_or_default(),
        }
    }

    /// `n` pushes to main, each published to the reports branch.
    fn publish_baseline(&mut self, n: usize) {
        for i in 0..n {
            let run = self.action("push", push_payload(), &push_env(), &[]);
            assert_eq!(run.code, Some(0), "baseline run {i}: {}", run.stdout);
            assert_eq!(self.remote_runs().len(), i + 1);
            assert_eq!(run.output("site-url"), "https://octo.github.io/service/");
        }
    }

    /// Run files on the remote's reports branch.
    fn remote_runs(&self) -> Vec<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.remote)
            .args(["ls-tree", "-r", "--name-only", "perf-reports"])
            .output()
            .expect("git");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|p| p.starts_with("runs/") && p.ends_with(".json"))
            .map(str::to_string)
            .collect()
    }

    fn pr(&mut self, number: u64, head_repo: &str, env: &[(&str, String)], args: &[&str]) -> Run {
        let mut all = vec![
            ("GITHUB_REF", format!("refs/pull/{number}/merge")),
            ("GITHUB_HEAD_REF", "feature".to_string()),
            ("GITHUB_BASE_REF", "main".to_string()),
        ];
        all.extend(env.iter().map(|(k, v)| (*k, v.clone())));
        let payload = pr_payload(number, &self.sha, head_repo);
        self.action("pull_request", payload, &all, args)
    }

    /// Asserts that the token appears in nothing perfgate printed or wrote: stdout and stderr of every run,
    /// the outputs and summaries, every file under the test's directory (the working tree, the report
    /// directory, the environment a command operation saw) and every file on the reports branch.
    fn assert_token_nowhere(&self, fake: &FakeGitHub) {
        for (i, out) in self.logs.iter().enumerate() {
            for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !String::from_utf8_lossy(bytes).contains(TOKEN),
                    "run {i}: the token is in {what}"
                );
            }
        }
        let mut files = Vec::new();
        walk(self.tmp.path(), &mut files);
        let mut scanned = 0;
        for f in &files {
            let bytes = std::fs::read(f).expect("read");
            assert!(
                !String::from_utf8_lossy(&bytes).contains(TOKEN),
                "the token is in {}",
                f.display()
            );
            scanned += 1;
        }
        assert!(scanned > 5, "scanned {scanned} files");
        let env_dump = std::fs::read_to_string(self.work.join("leaked-env.txt"))
            .expect("the command operation ran and wrote its environment");
        assert!(env_dump.contains("GITHUB_REPOSITORY="), "the dump is real");
        let has_branch = Command::new("git")
            .arg("-C")
            .arg(&self.remote)
            .args([
                "rev-parse",
                "--verify",
                "--quiet",
                "refs/heads/perf-reports",
            ])
            .output()
            .expect("git")
            .status
            .success();
        let branch_files = if has_branch {
            git(
                &self.remote,
                &["ls-tree", "-r", "--name-only", "perf-reports"],
            )
        } else {
            String::new()
        };
        for f in branch_files.lines() {
            let text = git(&self.remote, &["show", &format!("perf-reports:{f}")]);
            assert!(
                !text.contains(TOKEN),
                "the token is in {f} on the reports branch"
            );
        }
        for issue in [7, 8, 9] {
            for c in fake.comments(issue) {
                assert!(!c.body.contains(TOKEN), "the token is in a comment");
            }
        }
        // It was used, though.
        assert!(fake
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}"))));
    }
}

/// Every regular file under `dir`, skipping git's object store (compressed; the branch is read through git).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name != "objects" {
                walk(&p, out);
            }
        } else if p.is_file() {
            out.push(p);
        }
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    outputs: Vec<(String, String)>,
    summary: String,
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

fn push_payload() -> serde_json::Value {
    serde_json::json!({"ref": "refs/heads/main", "repository": {"full_name": REPO, "default_branch": "main"}})
}

/// A push to main. Like the nightly example, it fails only on gates: main's runs are judged against main's
/// history too, and the first runs have too little of it to tell noise from change.
fn push_env() -> Vec<(&'static str, String)> {
    vec![
        ("GITHUB_REF", "refs/heads/main".to_string()),
        ("GITHUB_REF_NAME", "main".to_string()),
        ("INPUT_FAIL_ON", "gate".to_string()),
        // These runs build history; default-branch alerts are tested in action_alert.rs.
        ("INPUT_ALERT", "off".to_string()),
    ]
}

fn pr_payload(number: u64, sha: &str, head_repo: &str) -> serde_json::Value {
    serde_json::json!({
        "pull_request": {
            "number": number,
            "base": {"ref": "main", "sha": sha, "repo": {"full_name": REPO}},
            "head": {"ref": "feature", "sha": "f".repeat(40), "repo": {"full_name": head_repo, "fork": head_repo != REPO}}
        },
        "repository": {"full_name": REPO, "default_branch": "main"}
    })
}

fn delay(ms: u64) -> Behavior {
    Behavior {
        delay: Duration::from_millis(ms),
        ..Behavior::default()
    }
}

#[test]
fn pushes_publish_the_baseline_and_a_pull_request_gets_one_sticky_comment_updated_on_the_next_run()
{
    let service = TestServer::start(delay(20));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new(&service.url());
    w.publish_baseline(5);

    // fail-on: gate — this test is about the comment, and two equal services on a shared 2-core machine
    // may still differ by a few percent; the regression test below covers regressions.
    let api = [
        ("GITHUB_API_URL", fake.url()),
        ("INPUT_FAIL_ON", "gate".to_string()),
    ];
    let first = w.pr(7, REPO, &api, &[]);
    assert_eq!(first.code, Some(0), "{}", first.stdout);
    let comments = fake.comments(7);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let c = &comments[0];
    assert!(c.body.starts_with(MARKER), "{}", c.body);
    assert!(
        c.body.contains("compared with"),
        "judged against the baseline: {}",
        c.body
    );
    assert!(
        c.body
            .contains(&format!("https://github.com/{REPO}/actions/runs/")),
        "links the run"
    );
    assert!(
        c.body
            .contains(&format!("https://github.com/{REPO}/commit/{}", w.sha)),
        "links the base commit"
    );
    assert_eq!(
        first.output("comment-url"),
        format!("https://github.com/{REPO}/pull/7#issuecomment-{}", c.id)
    );
    // The gates hold; the status is `fail` exactly when the comparison found a regression.
    let regressions: usize = first.output("regressions").parse().expect("a count");
    assert_eq!(
        first.output("status") == "fail",
        regressions > 0,
        "{}",
        first.stdout
    );
    assert_eq!(
        first.output("site-url"),
        "",
        "a pull request publishes nothing"
    );
    let record = PathBuf::from(first.output("run-record"));
    let record = if record.is_absolute() {
        record
    } else {
        w.work.join(record)
    };
    assert!(record.is_file(), "{}", record.display());
    assert!(w
        .work
        .join(first.output("report-dir"))
        .join("perfgate-context.json")
        .is_file());
    assert!(
        first.summary.contains("perfgate") && first.summary.contains("compared with"),
        "{}",
        first.summary
    );
    assert_eq!(w.remote_runs().len(), 5);

    let second = w.pr(7, REPO, &api, &[]);
    assert_eq!(second.code, Some(0), "{}", second.stdout);
    let after = fake.comments(7);
    assert_eq!(after.len(), 1, "still one comment: {after:?}");
    assert_eq!(after[0].id, c.id);
    assert_ne!(after[0].body, c.body, "updated with the second run");
    assert_eq!(second.output("comment-url"), first.output("comment-url"));
    let writes: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        vec![
            format!("POST /repos/{REPO}/issues/7/comments"),
            format!("POST /repos/{REPO}/issues/comments/{}", c.id),
        ]
    );
    w.assert_token_nowhere(&fake);
}

#[test]
fn a_token_given_as_github_token_comments_and_never_reaches_the_service() {
    // The fallback when the `github-token` input is empty: it must be scrubbed like the input.
    let service = TestServer::start(delay(1));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new(&service.url());
    let env = [
        ("GITHUB_API_URL", fake.url()),
        ("INPUT_FAIL_ON", "gate".to_string()),
        ("INPUT_GITHUB_TOKEN", String::new()),
        ("GITHUB_TOKEN", TOKEN.to_string()),
    ];
    let run = w.pr(7, REPO, &env, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(fake.comments(7).len(), 1, "the fallback token was used");
    w.assert_token_nowhere(&fake);
}

#[test]
fn a_slower_pull_request_fails_the_step_with_fail_on_regression() {
    let fast = TestServer::start(delay(20));
    let slow = TestServer::start(delay(80));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new(&fast.url());
    w.publish_baseline(5);
    w.use_service(&slow.url());

    let api = ("GITHUB_API_URL", fake.url());
    let run = w.pr(
        8,
        REPO,
        &[
            api.clone(),
            ("INPUT_FAIL_ON", "regression".into()),
            ("PERFGATE_LOG", "perfgate=debug".into()),
        ],
        &[],
    );
    assert_eq!(
        run.code,
        Some(1),
        "a regression fails the step: {}",
        run.stdout
    );
    // The record is judged once, against the reports branch's history (not once by the run and again).
    let stderr = String::from_utf8_lossy(&w.logs.last().expect("ran").stderr).into_owned();
    assert_eq!(stderr.matches("judging the run").count(), 1, "{stderr}");
    assert!(stderr.contains("compared=true"), "{stderr}");
    assert_eq!(run.output("status"), "fail");
    let regressions: usize = run.output("regressions").parse().expect("a count");
    assert!(regressions >= 1, "{regressions}");
    assert!(
        run.stdout
            .contains("::error title=perfgate%3A regression (search)::"),
        "{}",
        run.stdout
    );
    let comment = &fake.comments(8)[0];
    assert!(comment.body.contains("regression"), "{}", comment.body);

    // Publishing also rendered the site onto the reports branch, and the comment links the regressed
    // operation to its page there.
    let on_branch = git(&w.remote, &["ls-tree", "-r", "--name-only", "perf-reports"]);
    assert!(on_branch.lines().any(|f| f == "index.html"), "{on_branch}");
    let site = "https://octo.github.io/service/";
    let links: Vec<&str> = comment
        .body
        .match_indices(&format!("{site}ops/"))
        .map(|(i, _)| {
            let rest = &comment.body[i + site.len()..];
            &rest[..rest.find(')').unwrap_or(rest.len())]
        })
        .collect();
    assert!(!links.is_empty(), "no operation links in {}", comment.body);
    for page in links {
        assert!(
            on_branch.lines().any(|f| f == page),
            "{page} is not on the site: {on_branch}"
        );
    }

    // The same run with fail-on: gate passes the step (the gates hold at 80 ms) but still says so.
    let run = w.pr(8, REPO, &[api, ("INPUT_FAIL_ON", "gate".into())], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("::warning title=perfgate%3A regression (search)::"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.comments(8).len(), 1);
}

#[test]
fn a_fork_with_a_read_only_token_degrades_to_summary_and_artifact_and_the_report_workflow_comments()
{
    let service = TestServer::start(delay(5));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::ReadOnlyToken);
    let mut w = World::new(&service.url());

    let api = ("GITHUB_API_URL", fake.url());
    let run = w.pr(9, "mallory/service", std::slice::from_ref(&api), &[]);
    assert_eq!(
        run.code,
        Some(0),
        "a 403 does not fail the job: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("::warning title=perfgate::perfgate could not comment on pull request #9"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("two-workflow mode"), "{}", run.stdout);
    assert!(
        run.summary.contains("two-workflow mode") && run.summary.contains(MARKER),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("search"),
        "the result is in the summary: {}",
        run.summary
    );
    assert_eq!(run.output("comment-url"), "");
    assert!(fake.comments(9).is_empty());
    let writes = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(writes, 1, "one attempt, no retries on a plain 403");
    let report_dir = w.work.join(run.output("report-dir"));
    let ctx: serde_json::Value = serde_json::from_slice(
        &std::fs::read(report_dir.join("perfgate-context.json")).expect("context"),
    )
    .expect("json");
    assert_eq!(
        (ctx["pull_request"].as_u64(), ctx["fork"].as_bool()),
        (Some(9), Some(true))
    );

    // The artifact travels to the workflow_run half, which has a write token and runs no PR code.
    let artifact = w.tmp.path().join("artifact");
    std::fs::create_dir_all(artifact.join("perfgate-report")).expect("dir");
    for e in std::fs::read_dir(&report_dir)
        .expect("report dir")
        .flatten()
    {
        std::fs::copy(
            e.path(),
            artifact.join("perfgate-report").join(e.file_name()),
        )
        .expect("copy");
    }
    fake.set_mode(Mode::Normal);
    fake.set_pull(9, &"f".repeat(40));
    let workflow_run = |number_in_list: bool, head_sha: &str| {
        serde_json::json!({
            "workflow_run": {
                "id": 555, "event": "pull_request", "head_sha": head_sha, "head_branch": "feature",
                "html_url": format!("https://github.com/{REPO}/actions/runs/555"),
                // GitHub lists no pull requests for a fork's run.
                "pull_requests": if number_in_list { serde_json::json!([{"number": 9}]) } else { serde_json::json!([]) },
                "head_repository": {"full_name": "mallory/service"}, "repository": {"full_name": REPO}
            },
            "repository": {"full_name": REPO, "default_branch": "main"}
        })
    };
    let from = artifact.display().to_string();
    let report = w.action(
        "workflow_run",
        workflow_run(false, &"f".repeat(40)),
        std::slice::from_ref(&api),
        &["--mode", "report", "--from", &from],
    );
    assert_eq!(report.code, Some(0), "{}", report.stdout);
    let comments = fake.comments(9);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.starts_with(MARKER));
    assert!(
        comments[0].body.contains("actions/runs/555"),
        "links the pull request's run"
    );
    assert_eq!(
        report.output("comment-url"),
        format!(
            "https://github.com/{REPO}/pull/9#issuecomment-{}",
            comments[0].id
        )
    );
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.path == format!("/repos/{REPO}/pulls/9")),
        "the claim was checked"
    );

    // An artifact whose pull request does not have the head commit GitHub reports is not trusted.
    fake.set_pull(9, &"e".repeat(40));
    let forged = w.action(
        "workflow_run",
        workflow_run(false, &"f".repeat(40)),
        &[api],
        &["--mode", "report", "--from", &from],
    );
    assert_eq!(forged.code, Some(0));
    assert!(
        forged.stdout.contains("not commenting on #9"),
        "{}",
        forged.stdout
    );
    assert_eq!(fake.comments(9).len(), 1);
    w.assert_token_nowhere(&fake);
}

#[test]
fn bad_inputs_stop_the_step_before_anything_runs_and_name_the_input() {
    let service = TestServer::start(delay(1));
    let mut w = World::new(&service.url());
    let run = w.action(
        "push",
        push_payload(),
        &[("INPUT_COMMENT", "sometimes".into())],
        &[],
    );
    assert_eq!(run.code, Some(2));
    let stderr = String::from_utf8_lossy(&w.logs[0].stderr).into_owned();
    assert!(
        stderr.contains("input `comment`") && stderr.contains("on-regression"),
        "{stderr}"
    );
    assert_eq!(
        service
            .stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing was run"
    );
}

#[test]
fn with_a_baseline_section_the_pull_request_is_judged_by_ab_trials_not_the_reports_branch() {
    let base = TestServer::start(delay(5));
    let head = TestServer::start(delay(9));
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new(&base.url());
    // The pull request's config runs its build (head) beside the base build, in interleaved trials.
    let ab_config = format!(
        "suite = \"api\"\noutput_dir = \"perf-out\"\n[target]\nbase_url = \"{}\"\n\n\
         [[operations]]\nname = \"search\"\npath = \"/search\"\n\n\
         [benchmark]\niterations = 60\nwarmup_iterations = 2\n\n\
         [baseline]\nbase_url = \"{}\"\ntrials = 6\n",
        head.url(),
        base.url()
    );
    std::fs::write(w.work.join("perfgate.toml"), ab_config).expect("config");
    let run = w.pr(
        11,
        REPO,
        &[
            ("GITHUB_API_URL", fake.url()),
            ("INPUT_FAIL_ON", "regression".into()),
        ],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(run.output("regressions").parse::<usize>().expect("count") >= 1);
    // No reports branch exists, and none was needed: the comparison is the trials'.
    assert!(w.remote_runs().is_empty());
    let record_path = run.output("run-record");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.work.join(&record_path)).expect("record"))
            .expect("json");
    let rows = record["analysis"]["comparison"]["rows"]
        .as_array()
        .expect("a comparison");
    let p50 = rows
        .iter()
        .find(|r| r["operation"] == "search" && r["metric"] == "p50")
        .expect("p50 row");
    assert_eq!(p50["noise_source"], "trials", "{p50:#}");
    assert_eq!(p50["verdict"], "regressed", "{p50:#}");
    let comment = &fake.comments(11)[0];
    assert!(!comment.body.contains("no baseline"), "{}", comment.body);
    // Each build served 6 trials of 2 warm-up + 10 iterations (60 / 6).
    let served = |s: &TestServer| s.stats.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!((served(&base), served(&head)), (72, 72));
}

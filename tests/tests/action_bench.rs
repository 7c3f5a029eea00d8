//! The Action's microbenchmark mode end to end: `bench-command` runs a real harness (hyperfine), pushes to
//! `main` publish its runs to a real bare remote's reports branch, and a pull request whose command got
//! slower gets one comment (through the recording GitHub fake) naming the regressed benchmark, whose page is
//! on the published site.

use std::path::PathBuf;

use perfgate_cli::github::workflow::parse_outputs;
use perfgate_e2e::git::git;
use perfgate_e2e::github_fake::{FakeGitHub, Mode};
use perfgate_e2e::perfgate_env;

const TOKEN: &str = "ghs_benchSECRETtoken0123456789abcdefXYZ";
const REPO: &str = "octo/bench";

struct World {
    tmp: tempfile::TempDir,
    remote: PathBuf,
    work: PathBuf,
    sha: String,
    runs: usize,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let remote = tmp.path().join("remote.git");
        git(
            tmp.path(),
            &["init", "-q", "--bare", "-b", "main", "remote.git"],
        );
        let work = tmp.path().join("work");
        git(
            tmp.path(),
            &["clone", "-q", remote.to_str().expect("utf-8"), "work"],
        );
        std::fs::write(work.join(".gitignore"), "performance_results/\nh.json\n").expect("ignore");
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "bench"]);
        git(&work, &["push", "-q", "origin", "HEAD:main"]);
        let sha = git(&work, &["rev-parse", "HEAD"]);
        World {
            tmp,
            remote,
            work,
            sha,
            runs: 0,
        }
    }

    /// One `perfgate action` step whose harness times `sleep SECS`.
    fn step(
        &mut self,
        event: &str,
        secs: &str,
        env: &[(&str, String)],
    ) -> (Option<i32>, String, String) {
        self.runs += 1;
        let gh = self.tmp.path();
        let event_path = gh.join(format!("event-{}.json", self.runs));
        let output_path = gh.join(format!("output-{}", self.runs));
        let payload = if event == "push" {
            serde_json::json!({"ref": "refs/heads/main", "repository": {"full_name": REPO, "default_branch": "main"}})
        } else {
            serde_json::json!({"pull_request": {"number": 3,
                "base": {"ref": "main", "sha": self.sha, "repo": {"full_name": REPO}},
                "head": {"ref": "feature", "sha": "f".repeat(40), "repo": {"full_name": REPO, "fork": false}}},
                "repository": {"full_name": REPO, "default_branch": "main"}})
        };
        std::fs::write(&event_path, payload.to_string()).expect("event");
        let command = format!(
            "hyperfine --runs 10 --warmup 1 -N --command-name work --export-json h.json 'sleep {secs}'"
        );
        let mut all: Vec<(String, String)> = vec![
            ("GITHUB_ACTIONS".into(), "true".into()),
            ("GITHUB_EVENT_NAME".into(), event.into()),
            ("GITHUB_EVENT_PATH".into(), event_path.display().to_string()),
            ("GITHUB_REPOSITORY".into(), REPO.into()),
            ("GITHUB_SHA".into(), self.sha.clone()),
            ("GITHUB_RUN_ID".into(), format!("{}", 7000 + self.runs)),
            ("GITHUB_SERVER_URL".into(), "https://github.com".into()),
            ("GITHUB_OUTPUT".into(), output_path.display().to_string()),
            ("INPUT_GITHUB_TOKEN".into(), TOKEN.into()),
            ("INPUT_BENCH_COMMAND".into(), command),
            ("INPUT_BENCH_FORMAT".into(), "hyperfine".into()),
            ("INPUT_BENCH_OUTPUT".into(), "h.json".into()),
        ];
        for (k, v) in env {
            all.push((k.to_string(), v.clone()));
        }
        let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let out = perfgate_env(&self.work, &["action", "--quiet"], &refs);
        let outputs = parse_outputs(&std::fs::read_to_string(&output_path).unwrap_or_default());
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            outputs
                .iter()
                .find(|(k, _)| k == "status")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        )
    }
}

#[test]
fn a_slower_benchmark_on_a_pull_request_is_commented_by_name_and_charted_on_the_site() {
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::new();
    let push = [
        ("GITHUB_REF", "refs/heads/main".to_string()),
        ("GITHUB_REF_NAME", "main".to_string()),
        ("INPUT_FAIL_ON", "gate".to_string()),
        // History only; default-branch alerts are tested in action_alert.rs.
        ("INPUT_ALERT", "off".to_string()),
    ];
    for i in 0..3 {
        let (code, stdout, _) = w.step("push", "0.01", &push);
        assert_eq!(code, Some(0), "baseline {i}: {stdout}");
    }
    let runs = git(&w.remote, &["ls-tree", "-r", "--name-only", "perf-reports"]);
    assert_eq!(
        runs.lines().filter(|f| f.starts_with("runs/")).count(),
        3,
        "{runs}"
    );
    assert!(
        runs.lines().any(|f| f == "index.html"),
        "the site is published: {runs}"
    );
    assert!(
        runs.lines()
            .any(|f| f.starts_with("ops/") && f.contains("work")),
        "the benchmark has its trend page: {runs}"
    );

    let pr = [
        ("GITHUB_REF", "refs/pull/3/merge".to_string()),
        ("GITHUB_HEAD_REF", "feature".to_string()),
        ("GITHUB_BASE_REF", "main".to_string()),
        ("GITHUB_API_URL", fake.url()),
        ("INPUT_FAIL_ON", "regression".to_string()),
    ];
    let (code, stdout, status) = w.step("pull_request", "0.08", &pr);
    assert_eq!(
        code,
        Some(1),
        "an 8x slower benchmark fails the step: {stdout}"
    );
    assert_eq!(status, "fail");
    let comments = fake.comments(3);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = &comments[0].body;
    assert!(
        body.contains("regression") && body.contains("work"),
        "{body}"
    );
    assert!(
        body.contains("compared with"),
        "judged against main's history: {body}"
    );
}

//! The Action's microbenchmark mode end to end: `bench-command` runs a real harness (hyperfine; criterion on
//! a fixture crate, `tests/fixtures/criterion-bench`), pushes to `main` publish its runs to a real bare
//! remote's reports branch, and a pull request whose code got slower gets one comment (through the recording
//! GitHub fake) naming the regressed benchmark, whose page is on the published site.

use std::path::{Path, PathBuf};

use perfgate_cli::github::workflow::parse_outputs;
use perfgate_e2e::git::git;
use perfgate_e2e::github_fake::{FakeGitHub, Mode};
use perfgate_e2e::perfgate_env;

const TOKEN: &str = "ghs_benchSECRETtoken0123456789abcdefXYZ";
const REPO: &str = "octo/bench";

/// The harness a step runs: `bench-command`, `bench-format`, `bench-output`.
struct Harness {
    command: String,
    format: &'static str,
    output: String,
}

fn hyperfine(secs: &str) -> Harness {
    Harness {
        command: format!(
            "hyperfine --runs 10 --warmup 1 -N --command-name work --export-json h.json 'sleep {secs}'"
        ),
        format: "hyperfine",
        output: "h.json".into(),
    }
}

struct World {
    tmp: tempfile::TempDir,
    remote: PathBuf,
    work: PathBuf,
    sha: String,
    runs: usize,
}

impl World {
    fn new() -> World {
        World::with_files(&[])
    }

    /// A repository whose first commit holds `files` (path, contents) besides `.gitignore`.
    fn with_files(files: &[(&str, Vec<u8>)]) -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut all: Vec<(&str, &[u8])> =
            vec![(".gitignore", b"performance_results/\nh.json\ntarget/\n")];
        all.extend(files.iter().map(|(p, b)| (*p, b.as_slice())));
        let (remote, work, sha) = perfgate_e2e::git::project(tmp.path(), &all);
        World {
            tmp,
            remote,
            work,
            sha,
            runs: 0,
        }
    }

    /// One `perfgate action` step running `harness`.
    fn step(
        &mut self,
        event: &str,
        harness: &Harness,
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
            ("INPUT_BENCH_COMMAND".into(), harness.command.clone()),
            ("INPUT_BENCH_FORMAT".into(), harness.format.into()),
            ("INPUT_BENCH_OUTPUT".into(), harness.output.clone()),
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
        let (code, stdout, _) = w.step("push", &hyperfine("0.01"), &push);
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
    let (code, stdout, status) = w.step("pull_request", &hyperfine("0.08"), &pr);
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

/// The environment of a push to `main` that only builds history (no alert), plus `extra`.
fn push_env<'a>(extra: &[(&'a str, String)]) -> Vec<(&'a str, String)> {
    [
        ("GITHUB_REF", "refs/heads/main".to_string()),
        ("GITHUB_REF_NAME", "main".to_string()),
        ("INPUT_FAIL_ON", "gate".to_string()),
        ("INPUT_ALERT", "off".to_string()),
    ]
    .into_iter()
    .chain(extra.iter().cloned())
    .collect()
}

/// The environment of pull request 3 into `main`, commenting through `fake`, failing on regressions.
fn pr_env<'a>(fake: &FakeGitHub, extra: &[(&'a str, String)]) -> Vec<(&'a str, String)> {
    [
        ("GITHUB_REF", "refs/pull/3/merge".to_string()),
        ("GITHUB_HEAD_REF", "feature".to_string()),
        ("GITHUB_BASE_REF", "main".to_string()),
        ("GITHUB_API_URL", fake.url()),
        ("INPUT_FAIL_ON", "regression".to_string()),
    ]
    .into_iter()
    .chain(extra.iter().cloned())
    .collect()
}

/// The fixture crate's files, as the repository's first commit holds them.
fn criterion_crate() -> Vec<(&'static str, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/criterion-bench");
    [
        "Cargo.toml",
        "Cargo.lock",
        "src/lib.rs",
        "benches/fixture.rs",
    ]
    .into_iter()
    .map(|f| (f, std::fs::read(dir.join(f)).expect("fixture file")))
    .collect()
}

#[test]
fn criterion_benchmarks_judged_on_a_pull_request_and_charted() {
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::with_files(&criterion_crate());
    // Compiled once per machine (cargo's per-test scratch dir outlives the test); criterion's own output goes
    // to this test's temporary directory, so nothing of an earlier run is read.
    let build = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-bench-fixture");
    let home = w.tmp.path().join("criterion");
    let harness = Harness {
        command: "cargo bench --locked --quiet --bench fixture -- --warm-up-time 0.2 --measurement-time 0.6 --sample-size 20"
            .into(),
        format: "criterion",
        output: home.display().to_string(),
    };
    let common = [
        ("CARGO_TARGET_DIR", build.display().to_string()),
        ("CRITERION_HOME", home.display().to_string()),
    ];
    let push = push_env(&common);
    for i in 0..2 {
        let (code, stdout, _) = w.step("push", &harness, &push);
        assert_eq!(code, Some(0), "baseline {i}: {stdout}");
    }
    let files = git(&w.remote, &["ls-tree", "-r", "--name-only", "perf-reports"]);
    assert_eq!(
        files.lines().filter(|f| f.starts_with("runs/")).count(),
        2,
        "{files}"
    );
    for bench in ["checksum", "steady-fmt"] {
        assert!(
            files
                .lines()
                .any(|f| f.starts_with("ops/") && f.contains(bench)),
            "{bench} has its trend page: {files}"
        );
    }
    // The published run is a microbench record of criterion's samples, one operation per benchmark.
    let run_file = files
        .lines()
        .find(|f| f.starts_with("runs/") && f.ends_with(".json"))
        .expect("a run file");
    let run: serde_json::Value = serde_json::from_str(&git(
        &w.remote,
        &["show", &format!("perf-reports:{run_file}")],
    ))
    .expect("run json");
    assert_eq!(run["test_type"], "microbench");
    let ops = run["benchmark"]["operations"]
        .as_array()
        .expect("operations");
    let sum = ops
        .iter()
        .find(|o| o["operation_name"] == "checksum")
        .expect("checksum");
    assert_eq!(sum["total_requests"], 20, "one per criterion sample: {sum}");
    assert!(sum["latency_ms"]["p50"].as_f64().unwrap() > 0.0);

    let mut slower = common.to_vec();
    slower.push(("FIXTURE_SLOWER", "1".to_string()));
    let pr = pr_env(&fake, &slower);
    let (code, stdout, status) = w.step("pull_request", &harness, &pr);
    assert_eq!(code, Some(1), "twice the work fails the step: {stdout}");
    assert_eq!(status, "fail");
    let comments = fake.comments(3);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = &comments[0].body;
    let changed = body.split("<details>").next().unwrap_or_default();
    assert!(
        changed
            .lines()
            .any(|l| l.contains("`checksum`") && l.contains("| +")),
        "the regressed benchmark is named in the changed rows: {body}"
    );
    // Twice the bytes to hash is about twice the time: the p50 change says so.
    let p50: f64 = changed
        .lines()
        .find(|l| l.contains("`checksum`") && l.contains("| p50 |"))
        .and_then(|l| l.split('|').map(str::trim).find(|c| c.starts_with('+')))
        .and_then(|c| c.trim_start_matches('+').trim_end_matches('%').parse().ok())
        .unwrap_or_else(|| panic!("a p50 change for checksum: {body}"));
    assert!((50.0..=200.0).contains(&p50), "p50 +{p50}%: {body}");
    assert!(
        body.contains("compared with"),
        "judged against main's history: {body}"
    );
    assert!(
        body.contains("per-sample times: within-run noise is measured"),
        "the comment says what the statistics could use: {body}"
    );
}

#[test]
fn a_mixed_suite_runs_the_load_test_and_the_harness_in_one_step() {
    let service = perfgate_e2e::TestServer::start(perfgate_e2e::Behavior {
        delay: std::time::Duration::from_millis(2),
        ..Default::default()
    });
    let config = format!(
        "suite = \"api\"\n[target]\nbase_url = \"{}\"\nrequest_timeout = 5\n\n\
         [[operations]]\nname = \"search\"\npath = \"/search\"\n\n\
         [benchmark]\niterations = 20\nwarmup_iterations = 2\n\n\
         [load]\nduration_seconds = 1\nconcurrent_users = 2\ncollect_system_metrics = false\n",
        service.url()
    );
    let fake = FakeGitHub::start(REPO, TOKEN, Mode::Normal);
    let mut w = World::with_files(&[("perfgate.toml", config.into_bytes())]);
    let mixed = [
        ("INPUT_BENCH_SUITE", "micro".to_string()),
        ("INPUT_TEST_TYPE", "benchmark".to_string()),
    ];
    let push = push_env(&mixed);
    for i in 0..2 {
        let (code, stdout, _) = w.step("push", &hyperfine("0.01"), &push);
        assert_eq!(code, Some(0), "baseline {i}: {stdout}");
    }
    // Each push published two runs, one per suite.
    let files = git(&w.remote, &["ls-tree", "-r", "--name-only", "perf-reports"]);
    let runs: Vec<&str> = files.lines().filter(|f| f.starts_with("runs/")).collect();
    assert_eq!(runs.len(), 4, "{files}");
    let suites: std::collections::BTreeSet<String> = runs
        .iter()
        .map(|f| {
            let v: serde_json::Value =
                serde_json::from_str(&git(&w.remote, &["show", &format!("perf-reports:{f}")]))
                    .expect("run json");
            v["suite"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(
        suites.into_iter().collect::<Vec<_>>(),
        ["api", "micro"],
        "{runs:?}"
    );

    // A pull request whose command got slower: one comment per suite, the harness's names the benchmark.
    let pr = pr_env(&fake, &mixed);
    let (code, stdout, status) = w.step("pull_request", &hyperfine("0.08"), &pr);
    assert_eq!(code, Some(1), "the slower harness fails the step: {stdout}");
    assert_eq!(status, "fail", "the worst of the two runs");
    let comments = fake.comments(3);
    assert_eq!(comments.len(), 2, "{comments:?}");
    let by_suite = |suite: &str| {
        comments
            .iter()
            .find(|c| {
                c.body
                    .contains(&format!("<!-- perfgate:comment suite={suite} -->"))
            })
            .unwrap_or_else(|| panic!("a comment for {suite}: {comments:?}"))
    };
    assert!(by_suite("micro").body.contains("`work`"));
    assert!(by_suite("api").body.contains("`search`"));
    let outputs = parse_outputs(
        &std::fs::read_to_string(w.tmp.path().join(format!("output-{}", w.runs)))
            .unwrap_or_default(),
    );
    let record = outputs
        .iter()
        .find(|(k, _)| k == "run-record")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert_eq!(
        record.lines().count(),
        2,
        "a run record per suite: {record}"
    );
}

//! `action.yml` itself: its inputs and outputs agree with `perfgate action`, and its composite steps' shell
//! runs under bash with a simulated GitHub Actions environment — the install step in both branches (release
//! download from a loopback host, and build from source), then `perfgate action` against a loopback service
//! and the fake GitHub API.
//!
//! The build-from-source branch calls `cargo install --locked --path <action>/runner`. A real build takes
//! minutes, so these tests put a stub `cargo` first on PATH that records its arguments and copies the
//! already-built perfgate binary to `--root`/bin: the step's shell logic (paths, cache key, PATH, outputs)
//! runs for real; only the compiler is replaced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use perfgate_cli::commands::action::inputs::{input_var, input_var_portable, INPUT_NAMES};
use perfgate_cli::commands::action::OUTPUT_NAMES;
use perfgate_cli::github::workflow::parse_outputs;
use perfgate_e2e::github_fake::{FakeGitHub, Mode};
use perfgate_e2e::{perfgate_bin, write_config, Behavior, StaticServer, TestServer};
use serde_norway::Value;

const TOKEN: &str = "ghs_yamlTESTtoken0123456789abcdefQRS";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn load_yaml(rel: &str) -> Value {
    let path = repo_root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn map_keys(v: &Value) -> Vec<String> {
    v.as_mapping()
        .expect("a mapping")
        .keys()
        .map(|k| k.as_str().expect("string key").to_string())
        .collect()
}

fn steps(action: &Value) -> Vec<Value> {
    action["runs"]["steps"]
        .as_sequence()
        .expect("steps")
        .clone()
}

fn step<'a>(steps: &'a [Value], id: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step with id {id}"))
}

#[test]
fn every_input_is_passed_to_perfgate_action_and_every_output_comes_from_it() {
    let action = load_yaml("action.yml");
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));

    let mut declared = map_keys(&action["inputs"]);
    declared.sort();
    let mut known: Vec<String> = INPUT_NAMES.iter().map(|s| s.to_string()).collect();
    known.sort();
    assert_eq!(
        declared, known,
        "action.yml inputs vs the inputs perfgate action reads"
    );

    let all = steps(&action);
    let run = step(&all, "perfgate");
    let env = run["env"].as_mapping().expect("env of the perfgate step");
    for name in INPUT_NAMES {
        let expected = format!("${{{{ inputs.{name} }}}}");
        let passed = [input_var(name), input_var_portable(name)]
            .iter()
            .any(|k| env.get(k.as_str()).and_then(Value::as_str) == Some(expected.as_str()));
        assert!(
            passed,
            "input {name} is not passed to perfgate action as {}",
            input_var_portable(name)
        );
    }
    assert!(run["run"].as_str().expect("run").contains("action"));

    let mut outputs = map_keys(&action["outputs"]);
    outputs.sort();
    let mut written: Vec<String> = OUTPUT_NAMES.iter().map(|s| s.to_string()).collect();
    written.sort();
    assert_eq!(
        outputs, written,
        "action.yml outputs vs the outputs perfgate action writes"
    );
    for name in OUTPUT_NAMES {
        assert_eq!(
            action["outputs"][*name]["value"].as_str(),
            Some(format!("${{{{ steps.perfgate.outputs.{name} }}}}").as_str())
        );
    }
}

/// A simulated runner: evaluates the expressions action.yml uses and runs `run:` steps under bash as
/// GitHub does (`bash --noprofile --norc -eo pipefail`).
struct Runner {
    tmp: tempfile::TempDir,
    inputs: BTreeMap<String, String>,
    github: BTreeMap<String, String>,
    runner: BTreeMap<String, String>,
    steps: BTreeMap<String, BTreeMap<String, String>>,
    base_env: Vec<(String, String)>,
    logs: Vec<(String, std::process::Output)>,
}

impl Runner {
    fn new(
        action: &Value,
        given: &[(&str, &str)],
        os: &str,
        arch: &str,
        action_ref: &str,
    ) -> Runner {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut r = Runner {
            inputs: BTreeMap::new(),
            github: [
                ("token", TOKEN),
                ("action_ref", action_ref),
                ("action_repository", "perfgate/perfgate"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            runner: [("os", os), ("arch", arch)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            steps: BTreeMap::new(),
            base_env: Vec::new(),
            logs: Vec::new(),
            tmp,
        };
        // Defaults may themselves be expressions (github-token: ${{ github.token }}).
        for name in map_keys(&action["inputs"]) {
            let default = action["inputs"][name.as_str()]["default"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let v = r.substitute(&default);
            r.inputs.insert(name, v);
        }
        for (k, v) in given {
            r.inputs.insert(k.to_string(), v.to_string());
        }
        r
    }

    fn eval(&self, expr: &str) -> String {
        let expr = expr.trim();
        let parts: Vec<&str> = expr.split('.').collect();
        let found = match parts.as_slice() {
            ["inputs", name] => self.inputs.get(*name).cloned(),
            ["github", name] => self.github.get(*name).cloned(),
            ["runner", name] => self.runner.get(*name).cloned(),
            ["steps", id, "outputs", name] => Some(
                self.steps
                    .get(*id)
                    .and_then(|o| o.get(*name))
                    .cloned()
                    .unwrap_or_default(),
            ),
            _ => None,
        };
        found.unwrap_or_else(|| {
            panic!("action.yml uses an expression this test does not model: {expr}")
        })
    }

    fn substitute(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let j = rest[i..].find("}}").expect("closed expression") + i;
            out.push_str(&self.eval(&rest[i + 3..j]));
            rest = &rest[j + 2..];
        }
        out.push_str(rest);
        out
    }

    /// `if:` conditions of the forms `A != 'x'` and `A == 'x'`.
    fn condition(&self, cond: &str) -> bool {
        let cond = cond
            .trim()
            .trim_start_matches("${{")
            .trim_end_matches("}}")
            .trim();
        let (lhs, op, rhs) = if let Some((l, r)) = cond.split_once("!=") {
            (l, "!=", r)
        } else if let Some((l, r)) = cond.split_once("==") {
            (l, "==", r)
        } else {
            panic!("unmodelled condition {cond}")
        };
        let l = self.eval(lhs);
        let r = rhs.trim().trim_matches('\'').to_string();
        (op == "==") == (l == r)
    }

    /// Runs every step; returns the `uses:` steps that would have run.
    fn run_all(&mut self, action: &Value) -> Vec<String> {
        let mut used = Vec::new();
        for (n, s) in steps(action).iter().enumerate() {
            if let Some(cond) = s["if"].as_str() {
                if !self.condition(cond) {
                    continue;
                }
            }
            if let Some(uses) = s["uses"].as_str() {
                used.push(uses.to_string());
                continue;
            }
            let id = s["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or(format!("step{n}"));
            let script = s["run"].as_str().expect("a run step");
            assert!(
                !script.contains("${{"),
                "step {id}: expressions belong in env:, not in the script"
            );
            assert_eq!(
                s["shell"].as_str(),
                Some("bash"),
                "step {id} runs under bash"
            );
            let dir = self.tmp.path().join(format!("step-{n}"));
            std::fs::create_dir_all(&dir).expect("dir");
            let script_path = dir.join("script.sh");
            std::fs::write(&script_path, script).expect("script");
            let output_file = dir.join("output");
            std::fs::write(&output_file, "").expect("output");
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_path)
                .env_clear()
                .env("GITHUB_OUTPUT", &output_file);
            for (k, v) in &self.base_env {
                cmd.env(k, v);
            }
            if let Some(env) = s["env"].as_mapping() {
                for (k, v) in env {
                    let v = self.substitute(v.as_str().unwrap_or(""));
                    cmd.env(k.as_str().expect("env name"), v);
                }
            }
            let out = cmd.output().expect("bash runs");
            let outputs: BTreeMap<String, String> =
                parse_outputs(&std::fs::read_to_string(&output_file).unwrap_or_default())
                    .into_iter()
                    .collect();
            self.steps.insert(id.clone(), outputs);
            let ok = out.status.success();
            eprintln!(
                "--- step {id} exited {:?}\n{}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            self.logs.push((id.clone(), out));
            if !ok {
                break;
            }
        }
        used
    }

    fn log(&self, id: &str) -> &std::process::Output {
        &self
            .logs
            .iter()
            .find(|(i, _)| i == id)
            .unwrap_or_else(|| panic!("step {id} did not run"))
            .1
    }
}

/// The environment every step sees: a clean PATH with the stub cargo first, the runner's variables.
fn base_env(r: &Runner, stub_dir: &Path, extra: &[(&str, String)]) -> Vec<(String, String)> {
    let path = format!(
        "{}:{}",
        stub_dir.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    let mut env = vec![
        ("PATH".to_string(), path),
        (
            "HOME".to_string(),
            r.tmp.path().join("home").display().to_string(),
        ),
        (
            "GITHUB_ACTION_PATH".to_string(),
            repo_root().display().to_string(),
        ),
        (
            "GITHUB_PATH".to_string(),
            r.tmp.path().join("github_path").display().to_string(),
        ),
        (
            "RUNNER_TOOL_CACHE".to_string(),
            r.tmp.path().join("toolcache").display().to_string(),
        ),
        ("GITHUB_ACTIONS".to_string(), "true".to_string()),
        ("CI".to_string(), "true".to_string()),
    ];
    for (k, v) in extra {
        env.push((k.to_string(), v.clone()));
    }
    env
}

/// A stub `cargo` (see the module docs) that logs its arguments and installs the built perfgate.
fn stub_cargo(dir: &Path, log: &Path) {
    std::fs::create_dir_all(dir).expect("stub dir");
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> '{log}'
root=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--root" ]; then root="$2"; fi
  shift
done
[ -n "$root" ] || {{ echo "stub cargo: no --root" >&2; exit 2; }}
mkdir -p "$root/bin" && cp '{bin}' "$root/bin/perfgate"
"#,
        log = log.display(),
        bin = perfgate_bin().display()
    );
    let path = dir.join("cargo");
    std::fs::write(&path, script).expect("stub");
    let mut perm = std::fs::metadata(&path).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).expect("chmod");
}

#[test]
fn the_composite_steps_build_from_source_and_run_perfgate_action_with_every_output() {
    let action = load_yaml("action.yml");
    let service = TestServer::start(Behavior::default());
    let fake = FakeGitHub::start("octo/service", TOKEN, Mode::Normal);
    let work = tempfile::tempdir().expect("work");
    let project = work.path().join("project");
    std::fs::create_dir_all(&project).expect("project");
    write_config(
        &project,
        &format!(
            "suite = \"yaml\"\n[target]\nbase_url = \"{}\"\n[[operations]]\nname = \"get\"\npath = \"/\"\n\
             [benchmark]\niterations = 10\nwarmup_iterations = 1\n[load]\ncollect_system_metrics = false\n",
            service.url()
        ),
    );
    let event = work.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"pull_request": {"number": 5,
            "base": {"ref": "main", "sha": "1".repeat(40), "repo": {"full_name": "octo/service"}},
            "head": {"ref": "feat", "sha": "2".repeat(40), "repo": {"full_name": "octo/service", "fork": false}}},
            "repository": {"full_name": "octo/service", "default_branch": "main"}})
        .to_string(),
    )
    .expect("event");
    let summary = work.path().join("summary.md");

    // A branch ref: no release binary is tried, the action builds from its own source.
    let mut r = Runner::new(
        &action,
        &[
            ("test-type", "benchmark"),
            ("working-directory", project.to_str().expect("utf-8")),
            ("fail-on", "gate"),
        ],
        "Linux",
        "X64",
        "main",
    );
    let stub_dir = r.tmp.path().join("stub-bin");
    let cargo_log = r.tmp.path().join("cargo.log");
    stub_cargo(&stub_dir, &cargo_log);
    r.base_env = base_env(
        &r,
        &stub_dir,
        &[
            ("GITHUB_EVENT_NAME", "pull_request".into()),
            ("GITHUB_EVENT_PATH", event.display().to_string()),
            ("GITHUB_REPOSITORY", "octo/service".into()),
            ("GITHUB_REF", "refs/pull/5/merge".into()),
            ("GITHUB_SHA", "3".repeat(40)),
            ("GITHUB_RUN_ID", "42".into()),
            ("GITHUB_API_URL", fake.url()),
            ("GITHUB_SERVER_URL", "https://github.com".into()),
            ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
            // No release host is reachable in this test.
            (
                "PERFGATE_DOWNLOAD_URL",
                "http://127.0.0.1:9/unreachable".into(),
            ),
        ],
    );
    let used = r.run_all(&action);

    assert_eq!(
        used,
        vec!["actions/cache@v4".to_string()],
        "the build is cached"
    );
    let install = &r.steps["install"];
    assert_eq!(install["installed"], "false");
    let root = PathBuf::from(&install["root"]);
    assert!(
        root.starts_with(r.tmp.path().join("toolcache/perfgate")),
        "{}",
        root.display()
    );
    assert!(
        install["cache-key"].starts_with("perfgate-Linux-X64-"),
        "{install:?}"
    );
    let cargo_args = std::fs::read_to_string(&cargo_log).expect("cargo was called");
    assert_eq!(
        cargo_args.trim(),
        format!(
            "install --locked --path {}/runner/cli --root {}",
            repo_root().display(),
            root.display()
        )
    );
    let github_path =
        std::fs::read_to_string(r.tmp.path().join("github_path")).expect("GITHUB_PATH");
    assert!(
        github_path
            .lines()
            .any(|l| Path::new(l) == root.join("bin")),
        "{github_path}"
    );

    let run = r.log("perfgate");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let outputs = &r.steps["perfgate"];
    for name in OUTPUT_NAMES {
        assert!(
            outputs.contains_key(*name),
            "output {name} not written: {outputs:?}"
        );
    }
    assert_eq!(outputs["status"], "pass");
    assert!(
        Path::new(&outputs["run-record"]).is_file()
            || project.join(&outputs["run-record"]).is_file()
    );
    let comments = fake.comments(5);
    assert_eq!(comments.len(), 1);
    assert!(outputs["comment-url"].ends_with(&format!("#issuecomment-{}", comments[0].id)));
    // The composite outputs resolve to the step's outputs.
    for name in OUTPUT_NAMES {
        let v = r.substitute(action["outputs"][*name]["value"].as_str().expect("value"));
        assert_eq!(&v, &outputs[*name]);
    }
    assert!(std::fs::read_to_string(&summary)
        .expect("summary")
        .contains("perfgate"));

    // A second job on the same runner finds the cached build and does not call cargo again.
    let mut again = Runner::new(
        &action,
        &[("mode", "report"), ("from", "/nonexistent")],
        "Linux",
        "X64",
        "main",
    );
    again.base_env = r.base_env.clone();
    again.base_env.retain(|(k, _)| k != "RUNNER_TOOL_CACHE");
    again.base_env.push((
        "RUNNER_TOOL_CACHE".into(),
        r.tmp.path().join("toolcache").display().to_string(),
    ));
    again.run_all(&action);
    assert_eq!(
        std::fs::read_to_string(&cargo_log)
            .expect("log")
            .lines()
            .count(),
        1
    );
    let report = again.log("perfgate");
    assert_eq!(
        report.status.code(),
        Some(2),
        "a missing report directory is a usage error"
    );
}

/// A release host with one tarball (`binary` as `perfgate`) and its checksum (`corrupt`: a wrong one).
fn release_host(version: &str, target: &str, binary: &Path, corrupt: bool) -> StaticServer {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::copy(binary, dir.path().join("perfgate")).expect("copy");
    let asset = format!("perfgate-v{version}-{target}.tar.gz");
    let status = Command::new("tar")
        .args(["-czf", &asset, "perfgate"])
        .current_dir(dir.path())
        .status()
        .expect("tar");
    assert!(status.success());
    let bytes = std::fs::read(dir.path().join(&asset)).expect("asset");
    let sum = Command::new("sha256sum")
        .arg(&asset)
        .current_dir(dir.path())
        .output()
        .expect("sha256sum");
    let mut sum = sum.stdout;
    if corrupt {
        sum[0] = if sum[0] == b'0' { b'1' } else { b'0' };
    }
    let mut files = BTreeMap::new();
    files.insert(format!("/v{version}/{asset}"), bytes);
    files.insert(format!("/v{version}/{asset}.sha256"), sum);
    StaticServer::start(files)
}

fn workspace_version() -> String {
    let text = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("Cargo.toml");
    text.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|l| l.split('"').next())
        .expect("workspace version")
        .to_string()
}

fn run_install(
    action: &Value,
    host: &StaticServer,
    os: &str,
    arch: &str,
    action_ref: &str,
    version: &str,
) -> Runner {
    let mut r = Runner::new(
        action,
        &[("perfgate-version", version)],
        os,
        arch,
        action_ref,
    );
    let stub_dir = r.tmp.path().join("stub-bin");
    stub_cargo(&stub_dir, &r.tmp.path().join("cargo.log"));
    r.base_env = base_env(&r, &stub_dir, &[("PERFGATE_DOWNLOAD_URL", host.url())]);
    // Only the install step.
    let mut only_install = action.clone();
    let install = step(&steps(action), "install").clone();
    only_install["runs"]["steps"] = Value::Sequence(vec![install]);
    r.run_all(&only_install);
    r
}

#[test]
fn at_a_release_tag_the_install_step_downloads_and_verifies_the_release_binary() {
    let action = load_yaml("action.yml");
    let version = workspace_version();
    let host = release_host(&version, "x86_64-unknown-linux-gnu", &perfgate_bin(), false);
    let r = run_install(&action, &host, "Linux", "X64", "v0", "");
    let install = &r.steps["install"];
    assert_eq!(install["installed"], "true", "{install:?}");
    let out = Command::new(&install["bin"])
        .arg("--version")
        .output()
        .expect("installed binary runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&version));
    assert!(
        !r.tmp.path().join("cargo.log").exists(),
        "nothing was built"
    );

    // A tampered checksum stops the install (checked before anything is unpacked, so any file will do).
    let bad = release_host(
        &version,
        "x86_64-unknown-linux-gnu",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("Cargo.toml")
            .as_path(),
        true,
    );
    let r = run_install(&action, &bad, "Linux", "X64", &format!("v{version}"), "");
    let log = r.log("install");
    assert_ne!(log.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&log.stdout).contains("checksum mismatch"));
}

#[test]
fn a_windows_runner_is_refused_with_a_clear_error_before_anything_is_installed() {
    let action = load_yaml("action.yml");
    let host = StaticServer::start(BTreeMap::new());
    let r = run_install(&action, &host, "Windows", "X64", "v0", "");
    let log = r.log("install");
    assert_ne!(log.status.code(), Some(0));
    let text = String::from_utf8_lossy(&log.stdout);
    assert!(
        text.contains("::error title=perfgate install::perfgate does not run on Windows"),
        "{text}"
    );
    assert!(
        !r.tmp.path().join("cargo.log").exists(),
        "nothing was built"
    );
}

#[test]
fn an_explicit_version_that_was_never_released_fails_the_install_clearly() {
    let action = load_yaml("action.yml");
    let host = StaticServer::start(BTreeMap::new());
    let r = run_install(&action, &host, "Linux", "X64", "main", "9.9.9");
    let log = r.log("install");
    assert_ne!(log.status.code(), Some(0));
    let text = String::from_utf8_lossy(&log.stdout);
    assert!(
        text.contains("::error")
            && text.contains("perfgate-v9.9.9-x86_64-unknown-linux-gnu.tar.gz"),
        "{text}"
    );
}

#[test]
fn the_install_step_asks_for_exactly_the_assets_the_release_workflow_builds() {
    let action = load_yaml("action.yml");
    let release = load_yaml(".github/workflows/release.yml");
    let mut built: Vec<String> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("matrix")
        .iter()
        .map(|e| e["target"].as_str().expect("target").to_string())
        .collect();
    built.sort();
    let package = serde_norway::to_string(&release["jobs"]["build"]["steps"]).expect("yaml");
    assert!(
        package.contains("perfgate-$GITHUB_REF_NAME-$TARGET.tar.gz"),
        "release asset name changed"
    );

    // An empty host: every download 404s and the step falls back to building.
    let host = StaticServer::start(BTreeMap::new());
    let version = workspace_version();
    for (os, arch) in [
        ("Linux", "X64"),
        ("Linux", "ARM64"),
        ("macOS", "X64"),
        ("macOS", "ARM64"),
    ] {
        // (Windows is refused before any download: see the test below.)
        let r = run_install(&action, &host, os, arch, "v0", "");
        assert_eq!(r.steps["install"]["installed"], "false", "{os}/{arch}");
    }
    let mut asked: Vec<String> = host
        .requested()
        .iter()
        .filter_map(|p| {
            p.strip_prefix(&format!("/v{version}/perfgate-v{version}-"))
                .and_then(|t| t.strip_suffix(".tar.gz"))
                .map(str::to_string)
        })
        .collect();
    asked.sort();
    assert_eq!(
        asked, built,
        "assets the install step asks for vs the ones release.yml uploads"
    );
}

#[test]
fn the_release_workflow_builds_on_runners_github_still_has() {
    // macos-13 was retired in December 2025: a build job on it never starts, and `release` needs them all.
    let release = load_yaml(".github/workflows/release.yml");
    let retired = [
        "macos-13",
        "macos-12",
        "macos-11",
        "ubuntu-20.04",
        "windows-2019",
    ];
    for entry in release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("matrix")
    {
        let os = entry["os"].as_str().expect("os");
        assert!(!retired.contains(&os), "{os} is a retired runner label");
    }
    let needs = &release["jobs"]["release"]["needs"];
    assert_eq!(
        needs.as_str(),
        Some("build"),
        "release waits for the builds"
    );
}

#[test]
fn the_source_build_cache_key_covers_the_sites_css() {
    // A CSS change (compiled into the binary with include_str!) must not reuse a cached binary.
    let action = load_yaml("action.yml");
    let src = tempfile::tempdir().expect("tmp");
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "runner/src/lib.rs",
        "reports/src/lib.rs",
        "web/src/lib.rs",
        "web/assets/site.css",
    ] {
        let to = src.path().join(f);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("dir");
        std::fs::copy(repo_root().join(f), &to).expect("copy");
    }
    let host = StaticServer::start(BTreeMap::new());
    let key = |css: &str| {
        std::fs::write(src.path().join("web/assets/site.css"), css).expect("css");
        let mut r = Runner::new(
            &action,
            &[("perfgate-version", "source")],
            "Linux",
            "X64",
            "main",
        );
        let stub_dir = r.tmp.path().join("stub-bin");
        stub_cargo(&stub_dir, &r.tmp.path().join("cargo.log"));
        r.base_env = base_env(
            &r,
            &stub_dir,
            &[
                ("PERFGATE_DOWNLOAD_URL", host.url()),
                ("GITHUB_ACTION_PATH", src.path().display().to_string()),
            ],
        );
        let mut only_install = action.clone();
        only_install["runs"]["steps"] =
            Value::Sequence(vec![step(&steps(&action), "install").clone()]);
        r.run_all(&only_install);
        r.steps["install"]["cache-key"].clone()
    };
    let plain = key("body { color: black }");
    assert!(plain.starts_with("perfgate-Linux-X64-"), "{plain}");
    assert_eq!(key("body { color: black }"), plain, "the key is stable");
    assert_ne!(
        key("body { color: red }"),
        plain,
        "a CSS change makes a new key"
    );
}

#[test]
fn example_workflows_ask_for_the_least_permissions_they_need() {
    let expect: [(&str, &[(&str, &str)]); 4] = [
        (
            "examples/workflows/nightly.yml",
            &[("contents", "write"), ("issues", "write")],
        ),
        (
            "examples/workflows/pull-request.yml",
            &[("contents", "read")],
        ),
        (
            "examples/workflows/pull-request-ab.yml",
            &[("contents", "read")],
        ),
        (
            "examples/workflows/report.yml",
            &[
                ("pull-requests", "write"),
                ("actions", "read"),
                ("contents", "read"),
            ],
        ),
    ];
    for (file, perms) in expect {
        let wf = load_yaml(file);
        let declared = wf["permissions"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{file}: no permissions"));
        assert_eq!(declared.len(), perms.len(), "{file}: {declared:?}");
        for (k, v) in perms {
            assert_eq!(wf["permissions"][*k].as_str(), Some(*v), "{file}: {k}");
        }
        let text = serde_norway::to_string(&wf["jobs"]).expect("yaml");
        assert!(
            text.contains("perfgate/perfgate@"),
            "{file} uses the action"
        );
    }
    // The pull-request half never gets a write token and runs in mode run; the report half runs no PR code.
    let pr = load_yaml("examples/workflows/pull-request.yml");
    assert!(serde_norway::to_string(&pr["jobs"])
        .expect("yaml")
        .contains("mode: run"));
    let report = load_yaml("examples/workflows/report.yml");
    let jobs = serde_norway::to_string(&report["jobs"]).expect("yaml");
    assert!(
        jobs.contains("mode: report") && !jobs.contains("head_sha") && !jobs.contains("ref:"),
        "{jobs}"
    );
    assert!(report["on"]["workflow_run"].is_mapping());
}

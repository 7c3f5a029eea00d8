//! The command line says what it does: exit codes match the printed status, flags are checked before the
//! network is touched, and the commands share their flag names.

use perfgate_e2e::{perfgate, Behavior, TestServer};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn load_exits_1_when_it_prints_fail_and_0_without_gates() {
    let server = TestServer::start(Behavior::default());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/thing", server.url());
    let strict = perfgate(
        dir.path(),
        &[
            "load",
            "--url",
            &url,
            "-c",
            "2",
            "-d",
            "0.5",
            "-q",
            "--gate",
            "p95 < 1us",
        ],
    );
    assert!(
        stdout(&strict).contains("Status: FAIL"),
        "{}",
        stdout(&strict)
    );
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));

    let none = perfgate(
        dir.path(),
        &[
            "load",
            "--url",
            &url,
            "-c",
            "2",
            "-d",
            "0.5",
            "-q",
            "--no-gates",
        ],
    );
    assert_eq!(none.status.code(), Some(0), "{}", stderr(&none));
    assert!(!stdout(&none).contains("FAIL"), "{}", stdout(&none));
}

#[test]
fn a_bad_gate_is_a_usage_error_before_the_target_is_reached() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 9: an unreachable target would be exit 3; the bad gate must come first.
    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--url",
            "http://127.0.0.1:9/",
            "-d",
            "1",
            "--gate",
            "latency < 500ms",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--gate") && err.contains("unknown metric `latency`"),
        "{err}"
    );
    assert_eq!(err.matches("gate `").count(), 1, "said once: {err}");
}

#[test]
fn history_outside_a_git_repository_is_exit_2_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfgate(dir.path(), &["history"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not inside a git repository") && stderr(&out).contains("--repo"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_merge_and_analyze_take_the_shared_flag_names() {
    let dir = tempfile::tempdir().unwrap();
    // `run -d/-c` like `load`: the flags parse, and the missing config is what stops it (exit 2).
    let out = perfgate(dir.path(), &["run", "-d", "1", "-c", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no such config file"),
        "{}",
        stderr(&out)
    );
    // `merge -C FILE`.
    let out = perfgate(
        dir.path(),
        &["merge", "-C", "nope.toml", "-o", "m.json", "missing.json"],
    );
    assert!(
        !stderr(&out).contains("unexpected argument"),
        "{}",
        stderr(&out)
    );
    // `analyze --git-branch` (the code branch), with `--branch` kept as its old name.
    for flag in ["--git-branch", "--branch"] {
        let out = perfgate(dir.path(), &["analyze", "--history", ".", flag, "main"]);
        assert!(
            !stderr(&out).contains("unexpected argument"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn huge_or_nan_numbers_from_flags_and_the_environment_are_exit_2_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["load", "--url", "http://127.0.0.1:9/", "-d", "1e19"][..],
        &[
            "load",
            "--url",
            "http://127.0.0.1:9/",
            "-d",
            "1",
            "--timeout",
            "1e300",
        ][..],
        &[
            "load",
            "--url",
            "http://127.0.0.1:9/",
            "-d",
            "1",
            "--timeout",
            "nan",
        ][..],
    ] {
        let out = perfgate(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("out of range"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = perfgate_e2e::perfgate_env(
        dir.path(),
        &["load", "--url", "http://127.0.0.1:9/", "-d", "1"],
        &[("PERFORMANCE_TEST_DURATION", "1e300")],
    );
    // The flag wins over the variable, but the variable is still checked.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("PERFORMANCE_TEST_DURATION"),
        "{}",
        stderr(&out)
    );
}

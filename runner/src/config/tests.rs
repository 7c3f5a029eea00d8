use super::*;
use crate::targets::mcp::{McpCall, SessionMode};

fn resolve(text: &str, env: &[(&str, &str)], flags: Overrides) -> Result<Settings> {
    let cfg = parse_str(text, "perfgate.toml")?;
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::resolve(Some((&cfg, Path::new("perfgate.toml"), text)), &env, &flags)
}

const BASIC: &str = r#"
[target]
base_url = "http://127.0.0.1:9"

[[operations]]
name = "a"
path = "/a"

[load]
duration_seconds = 20
concurrent_users = 4
"#;

#[test]
fn the_ab_section_is_read_under_its_old_name_too_but_not_twice() {
    let ab = format!("{BASIC}\n[ab]\nbase_url = \"http://127.0.0.1:8\"\ntrials = 4\n");
    let s = resolve(&ab, &[], Overrides::default()).unwrap();
    assert_eq!(s.ab.as_ref().map(|a| a.trials), Some(4));
    let old = ab.replace("[ab]", "[baseline]");
    let s = resolve(&old, &[], Overrides::default()).unwrap();
    assert_eq!(s.ab.map(|a| a.base_url), Some("http://127.0.0.1:8".into()));
    let both = format!("{ab}\n[baseline]\nbase_url = \"http://127.0.0.1:8\"\n");
    let err = resolve(&both, &[], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("perfgate.toml:") && err.contains("keep `[ab]`"),
        "{err}"
    );
    let bad = ab.replace("trials = 4", "trials = 2");
    let err = resolve(&bad, &[], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `ab.trials`"), "{err}");
}

#[test]
fn the_ab_threshold_defaults_to_ten_percent_and_is_range_checked_with_its_line() {
    let ab = format!("{BASIC}\n[ab]\nbase_url = \"http://127.0.0.1:8\"\n");
    let s = resolve(&ab, &[], Overrides::default()).unwrap();
    assert_eq!(s.ab.map(|a| a.threshold_percent), Some(10.0));
    let set = format!("{ab}threshold_percent = 25\n");
    let s = resolve(&set, &[], Overrides::default()).unwrap();
    assert_eq!(s.ab.map(|a| a.threshold_percent), Some(25.0));
    let zero = format!("{ab}threshold_percent = 0\n");
    let err = resolve(&zero, &[], Overrides::default())
        .unwrap_err()
        .to_string();
    let line = zero
        .lines()
        .position(|l| l.starts_with("threshold_percent"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("perfgate.toml:{line}:")) && err.contains("ab.threshold_percent"),
        "{err}"
    );
}

#[test]
fn precedence_is_flag_env_file_default() {
    let s = resolve(BASIC, &[], Overrides::default()).unwrap();
    assert_eq!(s.load.duration, Duration::from_secs(20));
    assert_eq!(s.load.users, 4);
    assert_eq!(s.benchmark.iterations, 100);
    let env = [
        ("PERFORMANCE_TEST_DURATION", "7"),
        ("PERFORMANCE_TEST_ITERATIONS", "9"),
    ];
    let s = resolve(BASIC, &env, Overrides::default()).unwrap();
    assert_eq!(s.load.duration, Duration::from_secs(7));
    assert_eq!(s.benchmark.iterations, 9);
    let flags = Overrides {
        duration: Some(3.0),
        concurrency: Some(2),
        ..Default::default()
    };
    let s = resolve(BASIC, &env, flags).unwrap();
    assert_eq!(s.load.duration, Duration::from_secs(3));
    assert_eq!(s.load.users, 2);
}

#[test]
fn shards_divide_the_load_and_add_up() {
    let base = resolve(BASIC, &[], Overrides::default()).unwrap();
    let mut users = 0;
    for i in 1..=3 {
        let mut s = base.clone();
        s.apply_shard(i, 3).unwrap();
        users += s.load.users;
        assert_eq!(s.digest, base.digest);
        assert_eq!(s.shard.unwrap().index, i);
    }
    assert_eq!(users, base.load.users);
    let mut s = base.clone();
    assert!(s.apply_shard(5, 5).is_err(), "4 users cannot feed 5 shards");
    assert!(s.apply_shard(0, 2).is_err());
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = "[load]\nduration_seconds = 5\nconcurent_users = 3\n";
    let err = parse_str(text, "perfgate.toml").unwrap_err().to_string();
    assert!(err.starts_with("perfgate.toml:3:"), "{err}");
    assert!(err.contains("load.concurent_users"), "{err}");
}

#[test]
fn wrong_type_names_file_line_and_key() {
    let text = "[load]\nduration_seconds = \"ten\"\n";
    let err = parse_str(text, "perfgate.toml").unwrap_err().to_string();
    assert!(err.starts_with("perfgate.toml:2:"), "{err}");
    assert!(err.contains("load.duration_seconds"), "{err}");
}

#[test]
fn operation_without_path_or_command_is_an_error_with_position() {
    let text = "[target]\nbase_url = \"http://127.0.0.1:1\"\n\n[[operations]]\nname = \"x\"\n";
    let err = resolve(text, &[], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("perfgate.toml:4:"), "{err}");
    assert!(err.contains("needs `path`"), "{err}");
}

#[test]
fn gate_for_a_missing_operation_is_an_error() {
    let text = format!("{BASIC}\n[gates.operations]\nnope = [\"p95 < 1ms\"]\n");
    let err = resolve(&text, &[], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("gates.operations.nope") && err.contains("perfgate.toml:"),
        "{err}"
    );
}

#[test]
fn bad_env_value_names_the_variable() {
    let err = resolve(
        BASIC,
        &[("PERFORMANCE_TEST_CONCURRENCY", "many")],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("PERFORMANCE_TEST_CONCURRENCY"), "{err}");
}

#[test]
fn env_expansion_in_headers_and_digest_ignores_secret_values() {
    let text = BASIC.replace(
        "[[operations]]",
        "[target.headers]\nAuthorization = \"Bearer ${TOKEN}\"\n\n[[operations]]",
    );

    let a = resolve(&text, &[("TOKEN", "s3cret")], Overrides::default()).unwrap();
    let b = resolve(&text, &[("TOKEN", "other")], Overrides::default()).unwrap();
    match &a.operations[0].kind {
        OperationKind::Http { headers, .. } => {
            assert_eq!(headers["Authorization"], "Bearer s3cret")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.digest, b.digest);
}

#[test]
fn monitoring_flags_env_and_file() {
    let text = BASIC.replace("[target]\n", "[target]\npropagate_trace_context = true\n");
    let env = [
        ("PERFORMANCE_PUSHGATEWAY_URL", "http://gw:9091"),
        ("PERFORMANCE_METRICS_ADDR", ":9999"),
    ];
    let s = resolve(&text, &env, Overrides::default()).unwrap();
    assert_eq!(s.monitoring.pushgateway.as_deref(), Some("http://gw:9091"));
    assert_eq!(
        s.monitoring.metrics_addr,
        Some("127.0.0.1:9999".parse().unwrap())
    );
    assert!(s.monitoring.propagate_trace_context);
    let flags = Overrides {
        pushgateway: Some("http://other:9091/p".into()),
        metrics_addr: Some("0.0.0.0:9464".into()),
        ..Default::default()
    };
    let s = resolve(&text, &env, flags).unwrap();
    assert_eq!(
        s.monitoring.pushgateway.as_deref(),
        Some("http://other:9091/p")
    );
    // Typed on the command line: the user's choice.
    assert!(!s.monitoring.metrics_addr.unwrap().ip().is_loopback());
    let s = resolve(BASIC, &[], Overrides::default()).unwrap();
    assert_eq!(s.monitoring, MonitoringSettings::default());
}

#[test]
fn monitoring_refuses_bad_urls_and_exposing_the_endpoint_from_the_environment() {
    let err = resolve(
        BASIC,
        &[("PERFORMANCE_METRICS_ADDR", "0.0.0.0:9464")],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("PERFORMANCE_METRICS_ADDR") && err.contains("--metrics-addr"),
        "{err}"
    );
    let flags = Overrides {
        // https:// works now; a scheme that is neither is refused, without the password in the message.
        pushgateway: Some("ftp://user:pw@gw".into()),
        ..Default::default()
    };
    let err = resolve(BASIC, &[], flags).unwrap_err().to_string();
    assert!(
        err.contains("--pushgateway") && !err.contains("pw@"),
        "{err}"
    );
    let flags = Overrides {
        metrics_addr: Some("localhost".into()),
        ..Default::default()
    };
    let err = resolve(BASIC, &[], flags).unwrap_err().to_string();
    assert!(err.contains("--metrics-addr"), "{err}");
}

const MCP: &str = r#"
[mcp]
command = "my-server"
args = ["--stdio"]
env = { TOKEN = "${TOKEN}" }
session = "shared"

[[operations]]
name = "t"
tool = "search"
arguments = { q = "x", limit = 3 }

[[operations]]
name = "r"
resource = "file:///a"

[[operations]]
name = "p"
prompt = "summary"
arguments = { topic = "y" }

[[operations]]
name = "l"
list_tools = true

[gates.operations]
"mcp.initialize" = ["p95 < 100ms"]
"#;

#[test]
fn mcp_section_and_operations_resolve() {
    let s = resolve(MCP, &[("TOKEN", "s3cret")], Overrides::default()).unwrap();
    let m = s.mcp.as_ref().unwrap();
    assert_eq!(m.session, SessionMode::Shared);
    match &m.endpoint {
        Endpoint::Stdio(c) => {
            assert_eq!(c.command, "my-server");
            assert_eq!(c.env["TOKEN"], "s3cret");
        }
        other => panic!("{other:?}"),
    }
    let kinds: Vec<&OperationKind> = s.operations.iter().map(|o| &o.kind).collect();
    match kinds[0] {
        OperationKind::Mcp(McpCall::Tool { name, arguments }) => {
            assert_eq!(name, "search");
            assert_eq!(arguments.as_ref().unwrap()["limit"], 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        kinds[1],
        &OperationKind::Mcp(McpCall::Resource {
            uri: "file:///a".into()
        })
    );
    assert!(matches!(
        kinds[2],
        OperationKind::Mcp(McpCall::Prompt { .. })
    ));
    assert_eq!(kinds[3], &OperationKind::Mcp(McpCall::ListTools));
    // The digest does not depend on environment values (secrets).
    let other = resolve(MCP, &[("TOKEN", "other")], Overrides::default()).unwrap();
    assert_eq!(s.digest, other.digest);
}

#[test]
fn mcp_errors_name_file_line_and_key() {
    let err = |text: &str| {
        resolve(text, &[], Overrides::default())
            .unwrap_err()
            .to_string()
    };
    let e = err(&MCP.replace("session = \"shared\"", "session = \"pooled\""));
    assert!(
        e.starts_with("perfgate.toml:6:") && e.contains("mcp.session"),
        "{e}"
    );
    let e = err(&MCP.replace("args = [", "url = \"http://127.0.0.1:1/mcp\"\nargs = ["));
    assert!(e.contains("not both"), "{e}");
    let e = err("[[operations]]\nname = \"t\"\ntool = \"x\"\n");
    assert!(
        e.starts_with("perfgate.toml:1:") && e.contains("no [mcp] section"),
        "{e}"
    );
    let e = err(&MCP.replace("resource = \"file:///a\"", "resource = \"a\"\ntool = \"b\""));
    assert!(e.contains("only one of"), "{e}");
    let e = err(&MCP.replace("arguments = { q = \"x\", limit = 3 }", "arguments = [1, 2]"));
    assert!(
        e.contains("operations.arguments") && e.contains("perfgate.toml:11:"),
        "{e}"
    );
    let e = parse_str("[mcp]\ncomand = \"x\"\n", "perfgate.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("perfgate.toml:2:") && e.contains("mcp.comand"),
        "{e}"
    );
    let e = err("[mcp]\nurl = \"ftp://x/mcp\"\n");
    assert!(e.contains("mcp.url"), "{e}");
    let e = err(&MCP.replace(
        "[gates.operations]\n\"mcp.initialize\"",
        "[gates.operations]\n\"mcp.init\"",
    ));
    assert!(e.contains("no operation named `mcp.init`"), "{e}");
}

#[test]
fn the_projects_p95_gate_is_the_stress_stop_rule_unless_stress_sets_its_own() {
    let text = format!(
        "{BASIC}\n[gates]\nall = [\"p95 < 200ms\", \"p95 < 300ms\", \"error_rate < 5%\"]\n"
    );
    let s = resolve(&text, &[], Overrides::default()).unwrap();
    assert_eq!(s.stress.rules.max_p95_ms, 200.0);
    assert_eq!(s.gates.p95_limit_ms(), 200.0);
    let own = format!("{text}\n[stress]\nmax_p95_ms = 900\n");
    let s = resolve(&own, &[], Overrides::default()).unwrap();
    assert_eq!(s.stress.rules.max_p95_ms, 900.0);
    let default = resolve(BASIC, &[], Overrides::default()).unwrap();
    assert_eq!(default.stress.rules.max_p95_ms, 500.0);
}

#[test]
fn a_bad_gate_names_file_line_column_and_key_once() {
    let text = format!("{BASIC}\n[gates]\nall = [\"p95 < 1s\", \"latency < 500ms\"]\n");
    let err = resolve(&text, &[], Overrides::default())
        .unwrap_err()
        .to_string();
    let line = text.lines().position(|l| l.starts_with("all =")).unwrap() + 1;
    assert!(err.starts_with(&format!("perfgate.toml:{line}:")), "{err}");
    assert!(err.contains("key `gates.all`"), "{err}");
    assert_eq!(err.matches("gate `").count(), 1, "{err}");
}

#[test]
fn flags_and_variables_are_range_checked_with_their_names() {
    let flags = Overrides {
        duration: Some(1e19),
        ..Overrides::default()
    };
    let err = resolve(BASIC, &[], flags).unwrap_err().to_string();
    assert!(
        err.starts_with("--duration: 10000000000000000000 is out of range"),
        "{err}"
    );
    let err = resolve(
        BASIC,
        &[("PERFORMANCE_TEST_DURATION", "1e300")],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("PERFORMANCE_TEST_DURATION"), "{err}");
    let err = resolve(
        &format!("{BASIC}\n[[operations]]\nname = \"b\"\npath = \"/b\"\ntimeout = nan\n"),
        &[],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("key `operations.timeout`: nan"), "{err}");
}

#[test]
fn a_ramp_up_as_long_as_the_test_is_clamped_so_every_user_starts() {
    let text = BASIC.replace(
        "concurrent_users = 4",
        "concurrent_users = 4\nramp_up_seconds = 60",
    );
    let s = resolve(&text, &[], Overrides::default()).unwrap();
    assert_eq!(s.load.ramp_up, Duration::from_secs(10));
}

#[test]
fn a_memory_gate_without_a_process_to_measure_is_warned_about_before_the_run() {
    let gated = format!("{BASIC}\n[gates]\nall = [\"p95 < 1s\", \"memory_mb < 512\"]\n");
    let s = resolve(&gated, &[], Overrides::default()).unwrap();
    let w = s.unmeasurable_gate_warning().expect("a warning");
    assert!(
        w.contains("not evaluated") && w.contains("[service]"),
        "{w}"
    );
    let with_pid = gated.replace("[target]\n", "[target]\npid = 1\n");
    let s = resolve(&with_pid, &[], Overrides::default()).unwrap();
    assert_eq!(s.unmeasurable_gate_warning(), None);
    let plain = resolve(BASIC, &[], Overrides::default()).unwrap();
    assert_eq!(plain.unmeasurable_gate_warning(), None);
}

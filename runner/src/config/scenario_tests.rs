//! Tests of `[[scenarios]]` and `[[load.stages]]` parsing: positions of errors, variables, data files.

use super::scenarios::resolve_scenarios;
use super::stages::{arrival_time, intended_at, resolve_stages, users_at, Stage, StageModel};

const JOURNEY: &str = r#"
[[scenarios]]
name = "journey"
data_file = "users.csv"

[[scenarios.steps]]
name = "login"
method = "post"
path = "/login"
json = { user = "${username}", password = "${password}" }
extract = { token = { json = "/token" } }
checks = [{ name = "has token", json = "/token", exists = true }]

[[scenarios.steps]]
name = "create"
method = "POST"
path = "/items"
headers = { Authorization = "Bearer ${token}" }
body = "{\"n\": ${random_int(1,100)}, \"ref\": \"${uuid}-${seq}\"}"
extract = { id = { regex = "\"id\":\\s*\"?([0-9a-z-]+)" } }
think_time_ms = 50

[[scenarios.steps]]
name = "fetch"
path = "/items/${id}"
headers = { Authorization = "Bearer ${token}" }
checks = [
  { name = "same id", json = "/id", matches = "^[0-9a-z-]+$" },
  { name = "json", header = "content-type" },
  { name = "named", body_contains = "name" },
]
"#;

fn dir_with(name: &str, contents: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "perfgate-scen-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), contents).unwrap();
    d
}

#[test]
fn a_journey_resolves_with_its_steps_variables_and_rows() {
    let dir = dir_with("users.csv", "username,password\nann,a1\nbob,b2\n");
    let s = resolve_scenarios(JOURNEY, "perfgate.toml", &dir).unwrap();
    assert_eq!(s.len(), 1);
    let j = &s[0];
    assert_eq!(
        j.operation_names(),
        [
            "journey/login",
            "journey/create",
            "journey/fetch",
            "journey"
        ]
    );
    assert_eq!(j.steps[0].method, "POST");
    assert_eq!(j.steps[1].think_time.as_millis(), 50);
    assert_eq!(j.steps[2].checks.len(), 3);
    // Users take rows in turn, wrapping.
    assert_eq!(j.row(0)["username"], "ann");
    assert_eq!(j.row(1)["username"], "bob");
    assert_eq!(j.row(2)["username"], "ann");
    let mut g = crate::scenario::Generator::new(1);
    let body = j.steps[0].body.as_ref().unwrap();
    assert_eq!(body.1.as_deref(), Some("application/json"));
    let rendered = body.0.render(&j.row(1), &mut g).unwrap();
    let v: serde_json::Value = serde_json::from_str(&rendered).unwrap();
    assert_eq!(v["user"], "bob");
}

#[test]
fn json_lines_data_files_are_read() {
    let text = JOURNEY.replace("users.csv", "users.jsonl");
    let dir = dir_with(
        "users.jsonl",
        "{\"username\":\"ann\",\"password\":1}\n\n{\"username\":\"cy\",\"password\":\"c\"}\n",
    );
    let s = resolve_scenarios(&text, "perfgate.toml", &dir).unwrap();
    assert_eq!(s[0].data.len(), 2);
    assert_eq!(s[0].row(0)["password"], "1");
    assert_eq!(s[0].row(3)["username"], "cy");
}

#[test]
fn an_undefined_variable_is_named_with_its_position() {
    let dir = dir_with("users.csv", "username,password\nann,a1\n");
    let text = JOURNEY.replace("/items/${id}", "/items/${item_id}");
    let e = resolve_scenarios(&text, "perfgate.toml", &dir)
        .unwrap_err()
        .to_string();
    let line = text.lines().position(|l| l.contains("${item_id}")).unwrap() + 1;
    assert!(e.contains(&format!("perfgate.toml:{line}:")), "{e}");
    assert!(e.contains("variable `item_id` is not defined"), "{e}");
    // A step cannot use what it extracts itself, only later steps can.
    let text = JOURNEY.replace("path = \"/login\"", "path = \"/login/${token}\"");
    let e = resolve_scenarios(&text, "perfgate.toml", &dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("variable `token`"), "{e}");
    // A column missing from the data file.
    let dir = dir_with("users.csv", "username\nann\n");
    let e = resolve_scenarios(JOURNEY, "perfgate.toml", &dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("variable `password`"), "{e}");
}

#[test]
fn unknown_keys_and_bad_checks_are_config_errors_with_positions() {
    let dir = dir_with("users.csv", "username,password\nann,a1\n");
    let text = JOURNEY.replace("think_time_ms = 50", "think_time = 50");
    let e = resolve_scenarios(&text, "perfgate.toml", &dir)
        .unwrap_err()
        .to_string();
    let line = text
        .lines()
        .position(|l| l.starts_with("think_time ="))
        .unwrap()
        + 1;
    assert!(e.contains(&format!("perfgate.toml:{line}:")), "{e}");
    assert!(e.contains("think_time"), "{e}");
    let text = JOURNEY.replace("exists = true", "exists = true, equals = 1");
    let e = resolve_scenarios(&text, "perfgate.toml", &dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("check `has token`"), "{e}");
    let text = JOURNEY.replace("matches = \"^[0-9a-z-]+$\"", "matches = \"([\"");
    let e = resolve_scenarios(&text, "perfgate.toml", &dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid regex"), "{e}");
    let e = resolve_scenarios(
        JOURNEY,
        "perfgate.toml",
        std::path::Path::new("/nonexistent"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("scenarios.data_file") && e.contains(":4:"),
        "{e}"
    );
}

#[test]
fn stages_ramp_linearly_from_the_previous_level() {
    let text = r#"
[load]
duration_seconds = 10
[[load.stages]]
duration_seconds = 10
users = 20
[[load.stages]]
duration_seconds = 30
users = 20
[[load.stages]]
duration_seconds = 5
users = 0
"#;
    let s = resolve_stages(text, "perfgate.toml").unwrap().unwrap();
    assert_eq!(s.model, StageModel::Users);
    assert_eq!(s.duration_seconds(), 45.0);
    assert_eq!(s.peak(), 20.0);
    assert_eq!(intended_at(&s.stages, 0.0), 0.0);
    assert_eq!(intended_at(&s.stages, 5.0), 10.0);
    assert_eq!(intended_at(&s.stages, 25.0), 20.0);
    assert_eq!(intended_at(&s.stages, 42.5), 10.0);
    assert_eq!(intended_at(&s.stages, 100.0), 0.0);
    assert_eq!(
        (s.stage_at(0.0), s.stage_at(10.0), s.stage_at(44.9)),
        (0, 1, 2)
    );
    let spike = [Stage {
        duration_seconds: 1.0,
        level: 100.0,
    }];
    assert_eq!(intended_at(&spike, 0.5), 50.0);
    assert!(resolve_stages("[load]\nduration_seconds = 3\n", "x")
        .unwrap()
        .is_none());
}

#[test]
fn bad_stages_are_refused_with_their_position() {
    let both = "[load]\n[[load.stages]]\nduration_seconds = 5\nusers = 2\ntarget_rps = 3\n";
    let e = resolve_stages(both, "perfgate.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("perfgate.toml:") && e.contains("either `users`"),
        "{e}"
    );
    let mixed = "[[load.stages]]\nduration_seconds = 5\nusers = 2\n[[load.stages]]\nduration_seconds = 5\ntarget_rps = 3\n";
    let e = resolve_stages(mixed, "perfgate.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("same model"), "{e}");
    let typo = "[[load.stages]]\nduration = 5\nusers = 2\n";
    let e = resolve_stages(typo, "perfgate.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("perfgate.toml:2:1") && e.contains("duration"),
        "{e}"
    );
    let zero = "[[load.stages]]\nduration_seconds = 0\nusers = 2\n";
    let e = resolve_stages(zero, "perfgate.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("load.stages.duration_seconds"), "{e}");
}

#[test]
fn ramping_arrivals_follow_the_rates_integral() {
    let stages = [
        Stage {
            duration_seconds: 10.0,
            level: 10.0,
        },
        Stage {
            duration_seconds: 5.0,
            level: 10.0,
        },
    ];
    // 0 -> 10/s over 10 s is 50 arrivals, then 10/s for 5 s is 50 more.
    let times: Vec<f64> = (0..).map_while(|k| arrival_time(&stages, k)).collect();
    assert_eq!(times.len(), 100);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // Half of the ramp's arrivals come in its last 30 %: N(t) = t^2/2, so the 25th is at sqrt(50) s.
    assert!((times[25] - 50f64.sqrt()).abs() < 1e-9, "{}", times[25]);
    assert!((times[50] - 10.0).abs() < 1e-9);
    assert!((times[60] - 11.0).abs() < 1e-9);
    // A constant rate is evenly spaced.
    let flat = [
        Stage {
            duration_seconds: 2.0,
            level: 0.0,
        },
        Stage {
            duration_seconds: 1.0,
            level: 4.0,
        },
    ];
    assert!(arrival_time(&flat, 0).unwrap() > 1.0);
    assert!(arrival_time(
        &[Stage {
            duration_seconds: 1.0,
            level: 0.0
        }],
        0
    )
    .is_none());
}

#[test]
fn ramping_users_start_in_order_and_the_newest_stop_first() {
    let spike = [
        Stage {
            duration_seconds: 2.0,
            level: 4.0,
        },
        Stage {
            duration_seconds: 1.0,
            level: 4.0,
        },
        Stage {
            duration_seconds: 2.0,
            level: 0.0,
        },
    ];
    let at: Vec<u32> = [0.0, 0.5, 1.0, 2.0, 2.5, 3.5, 4.0, 5.0]
        .iter()
        .map(|t| users_at(&spike, *t))
        .collect();
    assert_eq!(at, [0, 1, 2, 4, 4, 3, 2, 0]);
}

//! The action's inputs, read from `INPUT_*` variables and checked before anything runs.
//!
//! GitHub names an input's variable `INPUT_` + the input's name upper-cased, hyphens kept
//! (`INPUT_FAIL-ON`), and `perfgate action` reads that name first, as a JavaScript or Docker action would.
//! A composite action has to pass inputs itself, and some shells drop variables whose names contain a
//! hyphen before starting a child, so `action.yml` passes them with underscores (`INPUT_FAIL_ON`), which
//! are read second. An empty value means "not given". A bad value stops the step with exit 2 and names the
//! input and the values it accepts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::ValueEnum as _;

use crate::commands::pipeline::TestTypeArg;
use perfgate::error::{Error, Result};

/// Every input of `action.yml`, by name. A test checks that `action.yml` declares exactly these.
pub const INPUT_NAMES: &[&str] = &[
    "config",
    "test-type",
    "github-token",
    "reports-branch",
    "publish",
    "comment",
    "fail-on",
    "duration",
    "concurrency",
    "working-directory",
    "perfgate-version",
    "mode",
    "from",
    "bench-command",
    "bench-format",
    "bench-output",
    "bench-suite",
    "alert",
    "alert-cc",
];

/// The variable GitHub would set for input `name` (`INPUT_FAIL-ON`).
pub fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.to_ascii_uppercase())
}

/// The portable spelling `action.yml` uses (`INPUT_FAIL_ON`).
pub fn input_var_portable(name: &str) -> String {
    input_var(name).replace('-', "_")
}

/// The value of input `name`, trimmed, from either spelling; `None` when unset or empty.
pub fn input(env: &BTreeMap<String, String>, name: &str) -> Option<String> {
    [input_var(name), input_var_portable(name)]
        .iter()
        .filter_map(|k| env.get(k))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// When to publish the run to the reports branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// On a push to the default branch and on a schedule.
    Auto,
    Always,
    Never,
}

/// When to write the pull request comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentWhen {
    /// On pull requests: always.
    Auto,
    Always,
    /// When something got better or worse, or a gate failed (an existing comment is always kept current).
    OnChange,
    /// When something got worse or a gate failed (an existing comment is always kept current).
    OnRegression,
    Never,
}

/// How a regression on the default branch is reported (`alert`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertMode {
    /// One sticky issue per suite: opened on a regression, commented while it lasts, closed on recovery.
    Issue,
    /// A comment on the pushed commit, for each regressing run.
    CommitComment,
    Off,
}

/// What fails the step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailOn {
    pub gate: bool,
    pub regression: bool,
}

/// What `perfgate action` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Run the suite, then comment (pull request) or publish (default branch, schedule) as the event asks.
    Auto,
    /// Run the suite and write the report directory; needs no write permission (the `pull_request` half).
    Run,
    /// Comment and publish from a report directory written by `--mode run` (the `workflow_run` half).
    Report,
}

/// The parsed inputs.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub config: PathBuf,
    pub test_type: TestTypeArg,
    pub github_token: String,
    pub reports_branch: String,
    pub publish: Publish,
    pub comment: CommentWhen,
    pub fail_on: FailOn,
    pub duration: Option<f64>,
    pub concurrency: Option<u32>,
    pub working_directory: Option<PathBuf>,
    pub perfgate_version: Option<String>,
    pub mode: Mode,
    pub from: Option<PathBuf>,
    /// A microbenchmark harness to run (`sh -c`) instead of the perfgate suite (`bench-command`).
    pub bench_command: Option<String>,
    /// The format of its output (`bench-format`; see `perfgate ingest --format`).
    pub bench_format: Option<crate::commands::ingest::IngestFormat>,
    /// The files it writes (`bench-output`, whitespace-separated) [default: its stdout; criterion:
    /// target/criterion].
    pub bench_output: Vec<PathBuf>,
    /// The suite name of the harness's runs (`bench-suite`). When set and the `config` file exists, one step
    /// runs both: the perfgate suite, then the harness as this second suite (a mixed suite).
    pub bench_suite: Option<String>,
    /// How a default-branch regression is reported (`alert`).
    pub alert: AlertMode,
    /// GitHub logins to @-mention in the alert (`alert-cc`), without the `@`.
    pub alert_cc: Vec<String>,
}

fn bad(name: &str, value: &str, accepted: &str) -> Error {
    Error::Usage(format!(
        "input `{name}` ({}) is {value:?}; expected {accepted}",
        input_var(name)
    ))
}

impl Inputs {
    /// Reads every input from `env`.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Inputs> {
        let get = |name: &str| input(env, name);
        let test_type = match get("test-type") {
            None => TestTypeArg::Analysis,
            Some(v) => TestTypeArg::from_str(&v, true)
                .map_err(|_| bad("test-type", &v, "benchmark, load, stress, analysis or all"))?,
        };
        let publish = match get("publish").as_deref().map(str::to_ascii_lowercase) {
            None => Publish::Auto,
            Some(v) => match v.as_str() {
                "auto" => Publish::Auto,
                "always" | "true" => Publish::Always,
                "never" | "false" => Publish::Never,
                _ => return Err(bad("publish", &v, "auto, always (true) or never (false)")),
            },
        };
        let comment = match get("comment").as_deref().map(str::to_ascii_lowercase) {
            None => CommentWhen::Auto,
            Some(v) => match v.as_str() {
                "auto" => CommentWhen::Auto,
                "always" => CommentWhen::Always,
                "on-change" => CommentWhen::OnChange,
                "on-regression" => CommentWhen::OnRegression,
                "never" | "false" => CommentWhen::Never,
                _ => {
                    return Err(bad(
                        "comment",
                        &v,
                        "auto, always, on-change, on-regression or never",
                    ))
                }
            },
        };
        let fail_on = match get("fail-on") {
            None => FailOn {
                gate: true,
                regression: true,
            },
            Some(v) => parse_fail_on(&v)?,
        };
        let duration = match get("duration") {
            None => None,
            Some(v) => Some(
                v.parse::<f64>()
                    .ok()
                    .filter(|d| d.is_finite() && *d > 0.0)
                    .ok_or_else(|| bad("duration", &v, "a number of seconds > 0"))?,
            ),
        };
        let concurrency = match get("concurrency") {
            None => None,
            Some(v) => Some(
                v.parse::<u32>()
                    .ok()
                    .filter(|c| *c > 0)
                    .ok_or_else(|| bad("concurrency", &v, "a whole number ≥ 1"))?,
            ),
        };
        let mode = match get("mode") {
            None => Mode::Auto,
            Some(v) => {
                Mode::from_str(&v, true).map_err(|_| bad("mode", &v, "auto, run or report"))?
            }
        };
        let reports_branch = get("reports-branch").unwrap_or_else(|| "perf-reports".into());
        if reports_branch.starts_with('-') || reports_branch.contains(char::is_whitespace) {
            return Err(bad("reports-branch", &reports_branch, "a branch name"));
        }
        let bench_format = match get("bench-format") {
            None => None,
            Some(v) => Some(
                crate::commands::ingest::IngestFormat::from_str(&v, true).map_err(|_| {
                    bad(
                        "bench-format",
                        &v,
                        "criterion, libtest, go, pytest, hyperfine, jmh, gbench, bmf, gab-smaller or gab-bigger",
                    )
                })?,
            ),
        };
        let bench_command = get("bench-command");
        if bench_command.is_some() != bench_format.is_some() {
            return Err(Error::Usage(
                "inputs `bench-command` and `bench-format` go together: the command runs the harness, the format \
                 says how to read its output"
                    .into(),
            ));
        }
        let alert = match get("alert").as_deref().map(str::to_ascii_lowercase) {
            None => AlertMode::Issue,
            Some(v) => match v.as_str() {
                "issue" => AlertMode::Issue,
                "commit-comment" => AlertMode::CommitComment,
                "off" | "never" | "false" => AlertMode::Off,
                _ => return Err(bad("alert", &v, "issue, commit-comment or off")),
            },
        };
        let alert_cc = match get("alert-cc") {
            None => Vec::new(),
            Some(v) => parse_logins(&v)?,
        };
        let bench_output = get("bench-output")
            .map(|v| v.split_whitespace().map(PathBuf::from).collect())
            .unwrap_or_default();
        let bench_suite = get("bench-suite");
        if let Some(v) = &bench_suite {
            if bench_command.is_none() {
                return Err(Error::Usage(
                    "input `bench-suite` names the harness's suite: it needs `bench-command` and `bench-format`"
                        .into(),
                ));
            }
            let allowed = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
            if !v.chars().all(allowed) || v.starts_with('/') || v.len() > 200 {
                return Err(bad(
                    "bench-suite",
                    v,
                    "a suite name (letters, digits, `-`, `_`, `.`, `/`)",
                ));
            }
        }
        Ok(Inputs {
            alert,
            alert_cc,
            bench_command,
            bench_format,
            bench_output,
            bench_suite,
            config: get("config")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(perfgate::config::DEFAULT_CONFIG)),
            test_type,
            github_token: get("github-token").unwrap_or_default(),
            reports_branch,
            publish,
            comment,
            fail_on,
            duration,
            concurrency,
            working_directory: get("working-directory").map(PathBuf::from),
            perfgate_version: get("perfgate-version"),
            mode,
            from: get("from").map(PathBuf::from),
        })
    }
}

/// `alice, @bob org/team`: GitHub logins (or `org/team` names) separated by commas or spaces, the `@`
/// optional; returned without it, each once, in the order given.
fn parse_logins(v: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in v
        .split([',', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let name = part.strip_prefix('@').unwrap_or(part);
        if !valid_login(name) {
            return Err(bad(
                "alert-cc",
                v,
                "GitHub logins or org/team names separated by commas (`alice, @bob`); a login is letters, digits \
                 and single hyphens, at most 39 characters",
            ));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// A GitHub login (letters, digits, single inner hyphens, 1–39 characters), or `org/team` (a team slug:
/// letters, digits, `-` and `_`).
fn valid_login(s: &str) -> bool {
    let user = |u: &str| {
        (1..=39).contains(&u.len())
            && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !u.starts_with('-')
            && !u.ends_with('-')
            && !u.contains("--")
    };
    match s.split_once('/') {
        Some((org, team)) => {
            user(org)
                && !team.is_empty()
                && team.len() <= 100
                && team
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        }
        None => user(s),
    }
}

fn parse_fail_on(v: &str) -> Result<FailOn> {
    let mut f = FailOn::default();
    for part in v.split([',', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        match part.to_ascii_lowercase().as_str() {
            "gate" | "gates" => f.gate = true,
            "regression" | "regressions" => f.regression = true,
            "never" | "none" => {
                if v.split([',', ' ']).filter(|p| !p.trim().is_empty()).count() > 1 {
                    return Err(bad(
                        "fail-on",
                        v,
                        "`never` alone, or a list of gate and regression",
                    ));
                }
            }
            _ => {
                return Err(bad(
                    "fail-on",
                    v,
                    "gate, regression (comma-separated) or never",
                ))
            }
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (input_var(k), v.to_string()))
            .collect()
    }

    #[test]
    fn both_spellings_are_read_githubs_first() {
        let mut e = BTreeMap::new();
        e.insert("INPUT_FAIL_ON".to_string(), "never".to_string());
        assert_eq!(Inputs::from_env(&e).unwrap().fail_on, FailOn::default());
        e.insert("INPUT_FAIL-ON".to_string(), "gate".to_string());
        assert!(Inputs::from_env(&e).unwrap().fail_on.gate);
        e.insert("INPUT_FAIL-ON".to_string(), " ".to_string());
        assert!(
            !Inputs::from_env(&e).unwrap().fail_on.gate,
            "empty falls through to the other spelling"
        );
    }

    #[test]
    fn defaults_when_nothing_is_given() {
        let i = Inputs::from_env(&BTreeMap::new()).unwrap();
        assert_eq!(i.config, PathBuf::from("perfgate.toml"));
        assert_eq!(i.test_type, TestTypeArg::Analysis);
        assert_eq!(i.reports_branch, "perf-reports");
        assert_eq!(
            (i.publish, i.comment, i.mode),
            (Publish::Auto, CommentWhen::Auto, Mode::Auto)
        );
        assert_eq!(
            i.fail_on,
            FailOn {
                gate: true,
                regression: true
            }
        );
        assert_eq!(input_var("fail-on"), "INPUT_FAIL-ON");
    }

    #[test]
    fn values_parse_and_empty_means_default() {
        let i = Inputs::from_env(&env(&[
            ("test-type", "Benchmark"),
            ("publish", "false"),
            ("comment", "on-regression"),
            ("fail-on", "regression"),
            ("duration", "2.5"),
            ("concurrency", "4"),
            ("mode", "report"),
            ("config", ""),
        ]))
        .unwrap();
        assert_eq!(i.test_type, TestTypeArg::Benchmark);
        assert_eq!(
            (i.publish, i.comment, i.mode),
            (Publish::Never, CommentWhen::OnRegression, Mode::Report)
        );
        assert_eq!(
            i.fail_on,
            FailOn {
                gate: false,
                regression: true
            }
        );
        assert_eq!((i.duration, i.concurrency), (Some(2.5), Some(4)));
        assert_eq!(i.config, PathBuf::from("perfgate.toml"));
        assert_eq!(parse_fail_on("never").unwrap(), FailOn::default());
        assert_eq!(
            parse_fail_on("gate, regression").unwrap(),
            FailOn {
                gate: true,
                regression: true
            }
        );
    }

    #[test]
    fn alert_defaults_to_an_issue_and_cc_logins_lose_their_at() {
        let i = Inputs::from_env(&BTreeMap::new()).unwrap();
        assert_eq!((i.alert, i.alert_cc.len()), (AlertMode::Issue, 0));
        let i = Inputs::from_env(&env(&[
            ("alert", "Commit-Comment"),
            ("alert-cc", " alice, @bob\n@octo-org/perf-team  Alice,"),
        ]))
        .unwrap();
        assert_eq!(i.alert, AlertMode::CommitComment);
        assert_eq!(i.alert_cc, ["alice", "bob", "octo-org/perf-team"]);
        assert_eq!(
            Inputs::from_env(&env(&[("alert", "off")])).unwrap().alert,
            AlertMode::Off
        );
        let long = "a".repeat(40);
        assert!(parse_logins(&long).is_err());
        assert!(parse_logins(&long[..39]).is_ok());
    }

    #[test]
    fn bench_suite_needs_the_harness_and_a_plain_name() {
        let harness = [
            ("bench-command", "cargo bench"),
            ("bench-format", "criterion"),
        ];
        let with = |suite: &str| {
            let mut v = harness.to_vec();
            v.push(("bench-suite", suite));
            Inputs::from_env(&env(&v))
        };
        assert_eq!(
            with("micro/rust").unwrap().bench_suite.as_deref(),
            Some("micro/rust")
        );
        assert!(Inputs::from_env(&env(&harness))
            .unwrap()
            .bench_suite
            .is_none());
        let err = with("a b").unwrap_err().to_string();
        assert!(
            err.contains("input `bench-suite`") && err.contains("a suite name"),
            "{err}"
        );
        let err = Inputs::from_env(&env(&[("bench-suite", "micro")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs `bench-command`"), "{err}");
    }

    #[test]
    fn bad_values_name_the_input_and_the_choices() {
        for (k, v) in [
            ("comment", "sometimes"),
            ("fail-on", "gate,never"),
            ("fail-on", "slow"),
            ("duration", "-1"),
            ("concurrency", "0"),
            ("test-type", "soak"),
            ("mode", "both"),
            ("alert", "email"),
            ("alert-cc", "alice, bob smith!"),
            ("alert-cc", "@@carol"),
            ("alert-cc", "-dave"),
            ("alert-cc", "erin--x"),
        ] {
            let e = Inputs::from_env(&env(&[(k, v)])).unwrap_err();
            assert_eq!(e.exit_status(), perfgate::ExitStatus::Usage);
            assert!(e.to_string().contains(&format!("input `{k}`")), "{e}");
        }
    }
}

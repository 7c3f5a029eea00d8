//! Alerts for the default branch: when a run on it (a push or a schedule) regresses, say so where the team
//! will see it — one sticky GitHub issue per suite (input `alert: issue`, the default) or a comment on the
//! pushed commit (`alert: commit-comment`) — and close the issue when the series has recovered.
//!
//! **What raises an alert** is the verdict the Action already computed: the unacknowledged regressions of
//! the run's comparison with the branch's history ([`super::judge::compare_with_branch`]), and change
//! points that the history gains with this run and that made a metric worse (a slow creep that no single
//! run's verdict catches).
//!
//! **While it lasts.** The run after a regression is judged against a history that now holds the slow run,
//! which widens the baseline's noise: its own verdict may well say "unchanged" while the service is as slow
//! as the night before. So the issue's body keeps, in a hidden JSON block, each regressed series with the
//! baseline and noise floor of the run that first flagged it; a later run is still regressed while its value
//! is beyond that floor in the worse direction ([`perfgate_reports::analysis::compare::decide`], the
//! comparison's own rule), and the issue is closed — recovered — when no series is. A regression an
//! acknowledgement in the config now covers counts as resolved.
//!
//! Everything here but [`run`] is pure: the state, the decision and the Markdown, unit-tested below.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use perfgate_reports::analysis::changepoint::ChangePointSettings;
use perfgate_reports::analysis::compare::decide;
use perfgate_reports::analysis::optimizer::format_p;
use perfgate_reports::analysis::trend::{analyze_history, ChangePointReport};
use perfgate_reports::analysis::{Comparison, ComparisonRow, Verdict};
use perfgate_reports::metric::Metric;
use perfgate_reports::record::TestType;
use perfgate_reports::render::comparison::{markdown_rows, plain_op_cell};
use perfgate_reports::render::escape::{code_span, escape_prose};
use perfgate_reports::RunRecord;

use super::inputs::AlertMode;
use super::{Done, Inputs, Level, Note};
use crate::github::alert::{self as gh_alert, AlertOutcome};
use crate::github::{ApiError, Context, GitHub, RetryPolicy};

/// The hidden marker that finds a suite's alert (issue or commit comment) again:
/// `<!-- perfgate-alert suite=NAME -->`, the suite name cleaned as in the pull request comment's marker.
pub fn marker(suite: &str) -> String {
    perfgate_reports::render::pr_comment::comment_marker(suite).replacen(
        "perfgate:comment",
        "perfgate-alert",
        1,
    )
}

/// The marker of one run's comment on the issue (a re-run of the same workflow run edits it).
pub fn run_marker(suite: &str, run: &str) -> String {
    format!(
        "{} run={} -->",
        marker(suite).trim_end_matches(" -->"),
        perfgate_reports::render::pr_comment::marker_token(run)
    )
}

const STATE_OPEN: &str = "<!-- perfgate-alert-state ";

/// A regressed series the open issue follows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tracked {
    pub test_type: TestType,
    pub operation: String,
    pub metric: Metric,
    /// The baseline when the regression was first seen: the level a recovery returns to.
    pub base: f64,
    /// The threshold and noise floor a change from `base` had to beat then (percent; points for the error
    /// rate).
    pub threshold_percent: f64,
    #[serde(default)]
    pub noise_percent: Option<f64>,
    /// The run and commit that first showed it.
    pub since_run: String,
    #[serde(default)]
    pub since_sha: Option<String>,
}

impl Tracked {
    fn same_series(&self, r: &ComparisonRow) -> bool {
        self.test_type == r.test_type && self.operation == r.operation && self.metric == r.metric
    }

    /// The change of `head` from the level before the regression: percent, or points for the error rate.
    fn change(&self, head: f64) -> Option<f64> {
        if self.metric == Metric::ErrorRate {
            Some(head - self.base)
        } else if self.base > 0.0 && head.is_finite() {
            Some((head / self.base - 1.0) * 100.0)
        } else {
            None
        }
    }
}

/// What the open issue follows, kept in its body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    #[serde(default)]
    pub series: Vec<Tracked>,
}

/// Most series the state follows (about 170 characters each, within GitHub's 65,536 per body); a series
/// past these is followed again only while its own runs' verdicts flag it.
pub const MAX_TRACKED: usize = 200;

/// The state block of an issue body: JSON inside an HTML comment, every `>` escaped so the JSON can never
/// close the comment. At most [`MAX_TRACKED`] series.
pub fn state_block(s: &AlertState) -> String {
    let kept = AlertState {
        series: s.series.iter().take(MAX_TRACKED).cloned().collect(),
    };
    let json = serde_json::to_string(&kept)
        .unwrap_or_else(|_| "{}".into())
        .replace('>', "\\u003e");
    format!("{STATE_OPEN}{json} -->")
}

/// The state kept in an issue body; empty when the body has none (a human's edit removed it).
pub fn state_of(body: &str) -> AlertState {
    body.find(STATE_OPEN)
        .map(|i| &body[i + STATE_OPEN.len()..])
        .and_then(|rest| rest.find(" -->").map(|j| &rest[..j]))
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

/// A change point that the history gained with this run and that made a metric worse.
#[derive(Clone, Debug, PartialEq)]
pub struct NewChange {
    pub test_type: TestType,
    pub operation: String,
    pub metric: Metric,
    pub report: ChangePointReport,
}

/// The regressing change points of `history` + `head` that `history` alone does not have (same series,
/// same first run). Stress steps are left out, as in the comparison.
pub fn new_change_points(history: &[RunRecord], head: &RunRecord) -> Vec<NewChange> {
    let settings = ChangePointSettings::default();
    let before = analyze_history(history, &[], &settings);
    let mut with_head: Vec<RunRecord> = history.to_vec();
    with_head.push(head.clone());
    let after = analyze_history(&with_head, &[], &settings);
    let mut out = Vec::new();
    for s in after.series.iter().filter(|s| s.key.concurrency.is_none()) {
        let known = before
            .series
            .iter()
            .find(|b| b.key == s.key)
            .map(|b| b.change_points.as_slice())
            .unwrap_or_default();
        for c in s.change_points.iter().filter(|c| c.regression) {
            if !known.iter().any(|k| k.run_id == c.run_id) {
                out.push(NewChange {
                    test_type: s.key.test_type,
                    operation: s.key.operation.clone(),
                    metric: s.key.metric,
                    report: c.clone(),
                });
            }
        }
    }
    out
}

/// One regressed series in this run.
#[derive(Clone, Debug, PartialEq)]
pub struct Standing {
    pub series: Tracked,
    /// The row to show: the current comparison's row of the series, measured from `series.base`.
    pub row: ComparisonRow,
    /// First seen in this run.
    pub new: bool,
    /// The change point that raised it, when that is what did.
    pub change_point: Option<ChangePointReport>,
}

/// Decides which series are regressed after this run: the ones `open` follows that are still beyond their
/// floor, then this run's unacknowledged regressions and new regressing change points. Empty: nothing is
/// regressed (with an open issue: it recovered).
pub fn assess(
    c: &Comparison,
    open: Option<&AlertState>,
    changes: &[NewChange],
    run_id: &str,
    sha: Option<&str>,
) -> Vec<Standing> {
    let mut out: Vec<Standing> = Vec::new();
    for t in open.map(|s| s.series.as_slice()).unwrap_or_default() {
        let Some(row) = c.rows.iter().find(|r| t.same_series(r)) else {
            continue; // the operation is gone
        };
        if row.acknowledged.is_some() {
            continue;
        }
        let Some(change) = row.head.and_then(|h| t.change(h)) else {
            continue;
        };
        if decide(t.metric, change, t.threshold_percent, t.noise_percent) != Verdict::Regressed {
            continue;
        }
        let mut shown = row.clone();
        shown.base = Some(t.base);
        shown.change_percent = Some(change);
        shown.noise_percent = t.noise_percent;
        shown.threshold_percent = t.threshold_percent;
        if row.verdict != Verdict::Regressed {
            // Not this run's verdict (its baseline holds the slow runs): no p-value of its own to show.
            shown.p_value = None;
            shown.mdc_percent = None;
        }
        shown.verdict = Verdict::Regressed;
        out.push(Standing {
            series: t.clone(),
            row: shown,
            new: false,
            change_point: None,
        });
    }
    for row in c.unacknowledged_regressions() {
        if out.iter().any(|s| s.series.same_series(row)) {
            continue;
        }
        let Some(base) = row.base else { continue };
        out.push(Standing {
            series: Tracked {
                test_type: row.test_type,
                operation: row.operation.clone(),
                metric: row.metric,
                base,
                threshold_percent: row.threshold_percent,
                noise_percent: row.noise_percent,
                since_run: run_id.to_string(),
                since_sha: sha.map(str::to_string),
            },
            row: row.clone(),
            new: true,
            change_point: None,
        });
    }
    for ch in changes {
        let Some(row) = c.rows.iter().find(|r| {
            r.test_type == ch.test_type && r.operation == ch.operation && r.metric == ch.metric
        }) else {
            continue;
        };
        if row.acknowledged.is_some() || out.iter().any(|s| s.series.same_series(row)) {
            continue;
        }
        let t = Tracked {
            test_type: ch.test_type,
            operation: ch.operation.clone(),
            metric: ch.metric,
            base: ch.report.before_mean,
            threshold_percent: c.threshold_percent,
            noise_percent: row.noise_percent,
            since_run: ch.report.run_id.clone(),
            since_sha: ch.report.sha.clone(),
        };
        let mut shown = row.clone();
        shown.base = Some(t.base);
        shown.change_percent = row.head.and_then(|h| t.change(h));
        shown.p_value = Some(ch.report.p_value);
        shown.mdc_percent = None;
        shown.verdict = Verdict::Regressed;
        out.push(Standing {
            series: t,
            row: shown,
            new: true,
            change_point: Some(ch.report.clone()),
        });
    }
    out
}

/// Where and what the run was, for the alert's text.
#[derive(Clone, Debug, Default)]
pub struct AlertRun {
    pub suite: String,
    pub branch: String,
    pub run_id: String,
    pub sha: Option<String>,
    pub commit_url: Option<String>,
    pub run_url: Option<String>,
    /// Logins to mention, without the `@`.
    pub cc: Vec<String>,
}

impl AlertRun {
    fn commit(&self) -> String {
        let sha7: String = self
            .sha
            .as_deref()
            .unwrap_or("unknown")
            .chars()
            .take(7)
            .collect();
        match &self.commit_url {
            Some(u) => format!("[{}]({u})", code_span(&sha7)),
            None => code_span(&sha7),
        }
    }

    fn run_link(&self) -> String {
        match &self.run_url {
            Some(u) => format!("[workflow run]({u})"),
            None => "workflow run".into(),
        }
    }

    fn cc_line(&self) -> Option<String> {
        (!self.cc.is_empty()).then(|| {
            let names: Vec<String> = self.cc.iter().map(|n| format!("@{n}")).collect();
            format!("cc {}", names.join(" "))
        })
    }
}

/// The issue's title.
pub fn title(a: &AlertRun) -> String {
    format!("perfgate: suite `{}` regressed on `{}`", a.suite, a.branch)
}

/// Most series listed in a body or comment: GitHub refuses bodies over 65,536 characters, and a suite that
/// regressed everywhere needs no more to be noticed. The state block keeps them all.
const MAX_LISTED: usize = 40;

fn rows_table(standings: &[Standing]) -> String {
    let mut t = markdown_rows(
        standings.iter().take(MAX_LISTED).map(|s| &s.row),
        &plain_op_cell,
    )
    .to_markdown();
    if standings.len() > MAX_LISTED {
        let _ = writeln!(
            t,
            "\n… and {} more regressed series (see the workflow run's summary).",
            standings.len() - MAX_LISTED
        );
    }
    t
}

fn series_name(t: &Tracked) -> String {
    format!(
        "{} {} {}",
        code_span(&t.operation),
        t.test_type,
        t.metric.key()
    )
}

/// The issue's body (or the commit comment, with `state` `None`): what regressed in this run, measured
/// from the level before the regression, how sure, since when; the links and the cc line. Unchanged
/// operations are not listed.
pub fn body(a: &AlertRun, standings: &[Standing], state: Option<&AlertState>) -> String {
    let mut out = marker(&a.suite);
    out.push('\n');
    if let Some(s) = state {
        out.push_str(&state_block(s));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "### perfgate · {} regressed on {}\n",
        code_span(&a.suite),
        code_span(&a.branch)
    );
    let n = standings.len();
    let _ = writeln!(
        out,
        "**{n} series regressed** in run {} at commit {} ({}), measured from the level before the regression \
         on {}:\n",
        code_span(&a.run_id),
        a.commit(),
        a.run_link(),
        code_span(&a.branch)
    );
    out.push_str(&rows_table(standings));
    out.push('\n');
    // The table says what and how sure; what it cannot say is since when, and what a change point found.
    for s in standings.iter().take(MAX_LISTED) {
        let since = match &s.series.since_sha {
            Some(sha) => format!(
                "run {} (commit {})",
                code_span(&s.series.since_run),
                code_span(&sha.chars().take(7).collect::<String>())
            ),
            None => format!("run {}", code_span(&s.series.since_run)),
        };
        let line = match &s.change_point {
            Some(cp) => format!(
                "a change point in the history of {}, {:+.1}% (p {}), first in {since}",
                code_span(&a.branch),
                cp.magnitude_percent,
                format_p(cp.p_value)
            ),
            None if s.new => continue,
            None => format!("regressed since {since}"),
        };
        let _ = writeln!(out, "- {}: {line}", series_name(&s.series));
    }
    if let Some(cc) = a.cc_line() {
        let _ = writeln!(out, "\n{cc}");
    }
    if state.is_some() {
        let _ = writeln!(
            out,
            "\n<sub>perfgate edits this issue and comments on it for each run on {} that is still regressed, and \
             closes it when a run is back within the noise of the level before.</sub>",
            code_span(&a.branch)
        );
    }
    out
}

/// The short comment a later regressed run adds to the open issue (watchers are notified).
pub fn still_comment(a: &AlertRun, standings: &[Standing]) -> String {
    let mut out = run_marker(&a.suite, &a.run_id);
    let new = standings.iter().filter(|s| s.new).count();
    let _ = writeln!(
        out,
        "\nStill regressed in run {} at commit {} ({}){}:\n",
        code_span(&a.run_id),
        a.commit(),
        a.run_link(),
        if new > 0 {
            format!(", {new} newly")
        } else {
            String::new()
        }
    );
    for s in standings.iter().take(MAX_LISTED) {
        let _ = writeln!(
            out,
            "- {} {}{}: {}",
            code_span(&s.series.operation),
            s.series.test_type,
            if s.new { " (new)" } else { "" },
            escape_prose(&s.row.sentence())
        );
    }
    out
}

/// The comment that closes the issue, and the issue's last body.
pub fn recovered(a: &AlertRun, c: &Comparison, open: &AlertState) -> (String, String) {
    let mut lines = String::new();
    for t in &open.series {
        let now = c
            .rows
            .iter()
            .find(|r| t.same_series(r))
            .and_then(|r| r.head);
        let now = match now {
            Some(h) => format!(
                "{} → {} (was regressed since run {})",
                t.metric.format_value(t.base),
                t.metric.format_value(h),
                code_span(&t.since_run)
            ),
            None => "no longer measured".into(),
        };
        let _ = writeln!(lines, "- {}: {now}", series_name(t));
    }
    let what = format!(
        "Recovered in run {} at commit {} ({}): every series is back within the noise of the level before \
         the regression.\n\n{lines}",
        code_span(&a.run_id),
        a.commit(),
        a.run_link()
    );
    let comment = format!("{}\n{what}", run_marker(&a.suite, &a.run_id));
    let body = format!(
        "{}\n### perfgate · {} on {} — recovered\n\n{what}",
        marker(&a.suite),
        code_span(&a.suite),
        code_span(&a.branch)
    );
    (comment, body)
}

/// Raises, updates or closes the alert of a default-branch run, as input `alert` asks. Never fails the
/// step: a refusal (403) is a warning naming the permission, anything else a warning with GitHub's answer.
pub(super) fn run(
    inputs: &Inputs,
    ctx: &Context,
    done: &mut Done,
    changes: &[NewChange],
    branch: &str,
) {
    if inputs.alert == AlertMode::Off || done.record.incomplete.is_some() {
        return;
    }
    let Some(comparison) = done
        .record
        .analysis
        .as_ref()
        .and_then(|a| a.comparison.clone())
    else {
        return; // no history yet: nothing to judge a regression by
    };
    let Some(repo) = ctx.repository.clone() else {
        return;
    };
    let sha = ctx.sha.clone().or_else(|| done.record.git.sha.clone());
    let a = AlertRun {
        suite: done.record.suite.clone(),
        branch: branch.to_string(),
        run_id: ctx
            .run_id
            .clone()
            .unwrap_or_else(|| done.record.run_id.clone()),
        commit_url: sha.as_deref().and_then(|s| ctx.commit_url(s)),
        sha: sha.clone(),
        run_url: ctx.run_url(),
        cc: inputs.alert_cc.clone(),
    };
    let quiet = assess(&comparison, None, changes, &a.run_id, sha.as_deref()).is_empty();
    if inputs.alert == AlertMode::CommitComment && quiet {
        return;
    }
    if inputs.github_token.is_empty() {
        if !quiet {
            done.notes.push(Note {
                level: Level::Warning,
                text: "no alert for this regression: no token (input `github-token`)".into(),
            });
        }
        return;
    }
    let permission = match inputs.alert {
        AlertMode::CommitComment => "contents: write",
        _ => "issues: write",
    };
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ApiError::Setup(format!("tokio runtime: {e}")))
        .and_then(|rt| {
            rt.block_on(async {
                let gh = GitHub::new(
                    &ctx.api_url,
                    &inputs.github_token,
                    &repo,
                    RetryPolicy::from_env(),
                )?;
                let m = marker(&a.suite);
                if inputs.alert == AlertMode::CommitComment {
                    let Some(sha) = &a.sha else {
                        return Ok(None);
                    };
                    let standings = assess(&comparison, None, changes, &a.run_id, Some(sha));
                    let text = body(&a, &standings, None);
                    return gh_alert::comment_on_commit(&gh, sha, &m, &text)
                        .await
                        .map(Some);
                }
                let open = gh_alert::find_open(&gh, &m).await?;
                let state = open.as_ref().map(|i| state_of(&i.body));
                let standings = assess(
                    &comparison,
                    state.as_ref(),
                    changes,
                    &a.run_id,
                    sha.as_deref(),
                );
                match (open, standings.is_empty()) {
                    (None, true) => Ok(None),
                    (Some(issue), true) => {
                        let (comment, last) = recovered(
                            &a,
                            &comparison,
                            state.as_ref().unwrap_or(&AlertState::default()),
                        );
                        gh_alert::resolve(
                            &gh,
                            &issue,
                            &last,
                            &comment,
                            &run_marker(&a.suite, &a.run_id),
                        )
                        .await
                        .map(Some)
                    }
                    (open, false) => {
                        let next = AlertState {
                            series: standings.iter().map(|s| s.series.clone()).collect(),
                        };
                        let text = body(&a, &standings, Some(&next));
                        let comment = still_comment(&a, &standings);
                        gh_alert::raise(
                            &gh,
                            &m,
                            open.as_ref(),
                            &title(&a),
                            &text,
                            &comment,
                            &run_marker(&a.suite, &a.run_id),
                        )
                        .await
                        .map(Some)
                    }
                }
            })
        });
    match result {
        Ok(None) => {}
        Ok(Some(outcome)) => {
            let what = match &outcome {
                AlertOutcome::Opened(i) => format!("opened alert issue #{}", i.number),
                AlertOutcome::Updated(i) => format!("updated alert issue #{}", i.number),
                AlertOutcome::Closed(i) => {
                    format!("the suite recovered: closed alert issue #{}", i.number)
                }
                AlertOutcome::CommitComment(_) => "commented on the commit".into(),
            };
            done.notes.push(Note {
                level: Level::Notice,
                text: format!("{what}: {}", outcome.url()),
            });
            done.alert_url = Some(outcome.url().to_string());
        }
        // A run that regressed nothing by itself only looked for an open issue to close: without the
        // permission no issue can have been opened, so a refusal here is not worth a warning every night.
        Err(e) if quiet => done.notes.push(Note {
            level: Level::Notice,
            text: format!("could not look for an open alert issue to close: {e}"),
        }),
        Err(e) if e.is_forbidden() => done.notes.push(Note {
            level: Level::Warning,
            text: format!(
                "no alert on GitHub: {e}. The alert needs `permissions: {permission}` for this job's token \
                 (or input `alert: off`); the result is in this job's summary."
            ),
        }),
        Err(e) => done.notes.push(Note {
            level: Level::Warning,
            text: format!("no alert on GitHub: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_reports::analysis::comparison::{NoiseSource, RunRef};

    fn row(op: &str, metric: Metric, base: f64, head: f64, verdict: Verdict) -> ComparisonRow {
        ComparisonRow {
            test_type: TestType::Benchmark,
            operation: op.into(),
            metric,
            base: Some(base),
            head: Some(head),
            change_percent: Some((head / base - 1.0) * 100.0),
            noise_percent: Some(4.0),
            noise_source: NoiseSource::History,
            threshold_percent: 5.0,
            p_value: Some(0.0004),
            verdict,
            mdc_percent: Some(6.0),
            baseline_runs: Some(8),
            acknowledged: None,
            note: None,
        }
    }

    fn comparison(rows: Vec<ComparisonRow>) -> Comparison {
        Comparison {
            base: RunRef {
                label: "main (8 runs)".into(),
                run_id: None,
                sha: None,
                branch: Some("main".into()),
                runs: 8,
            },
            head: RunRef {
                label: "head".into(),
                run_id: Some("r9".into()),
                sha: None,
                branch: Some("main".into()),
                runs: 1,
            },
            method: "history".into(),
            threshold_percent: 5.0,
            rows,
            notes: Vec::new(),
        }
    }

    fn run() -> AlertRun {
        AlertRun {
            suite: "api".into(),
            branch: "main".into(),
            run_id: "9001".into(),
            sha: Some("abcdef0123456789".into()),
            commit_url: Some("https://github.com/o/r/commit/abcdef0123456789".into()),
            run_url: Some("https://github.com/o/r/actions/runs/9001".into()),
            cc: vec!["alice".into(), "octo/perf".into()],
        }
    }

    #[test]
    fn markers_name_the_suite_and_cannot_close_the_comment() {
        assert_eq!(marker("api"), "<!-- perfgate-alert suite=api -->");
        assert_eq!(marker("a -->b"), "<!-- perfgate-alert suite=a_--_b -->");
        assert_eq!(
            run_marker("api", "12/3"),
            "<!-- perfgate-alert suite=api run=12_3 -->"
        );
        assert!(!run_marker("api", "1").contains(&marker("api")));
    }

    #[test]
    fn the_state_round_trips_through_the_body_even_with_a_comment_closer_in_a_name() {
        let s = AlertState {
            series: vec![Tracked {
                test_type: TestType::Benchmark,
                operation: "odd --> name".into(),
                metric: Metric::P95,
                base: 20.5,
                threshold_percent: 5.0,
                noise_percent: Some(3.0),
                since_run: "9000".into(),
                since_sha: None,
            }],
        };
        let block = state_block(&s);
        assert_eq!(block.matches("-->").count(), 1, "{block}");
        let body = format!("{}\n{block}\ntext", marker("api"));
        assert_eq!(state_of(&body), s);
        assert_eq!(state_of("no state here"), AlertState::default());
        assert_eq!(
            state_of(&format!("{STATE_OPEN}not json -->")),
            AlertState::default()
        );
    }

    #[test]
    fn a_regression_opens_lists_only_regressed_rows_and_stays_until_the_level_is_back() {
        let first = comparison(vec![
            row("search", Metric::P50, 20.0, 80.0, Verdict::Regressed),
            row("health", Metric::P50, 1.0, 1.01, Verdict::Unchanged),
        ]);
        let st = assess(&first, None, &[], "9001", Some("abc"));
        assert_eq!(st.len(), 1);
        assert!(st[0].new && st[0].series.base == 20.0);
        let state = AlertState {
            series: st.iter().map(|s| s.series.clone()).collect(),
        };
        let text = body(&run(), &st, Some(&state));
        assert!(text.starts_with(&marker("api")), "{text}");
        assert!(
            text.contains("`search`") && !text.contains("`health`"),
            "{text}"
        );
        assert!(text.contains("+300%"), "{text}");
        assert!(text.contains("cc @alice @octo/perf"), "{text}");
        assert!(
            text.contains("https://github.com/o/r/actions/runs/9001"),
            "{text}"
        );
        assert!(text.contains("[`abcdef0`](https://github.com/o/r/commit/abcdef0123456789)"));
        assert_eq!(state_of(&text), state);

        // The next run's own verdict says unchanged (its baseline holds the slow run), but it is as slow.
        let second = comparison(vec![row(
            "search",
            Metric::P50,
            35.0,
            79.0,
            Verdict::Unchanged,
        )]);
        let st2 = assess(&second, Some(&state), &[], "9002", None);
        assert_eq!(st2.len(), 1);
        assert!(!st2[0].new);
        assert_eq!(
            st2[0].row.base,
            Some(20.0),
            "measured from the level before"
        );
        assert_eq!(st2[0].row.p_value, None);
        assert_eq!(st2[0].series.since_run, "9001");
        let c = still_comment(&run(), &st2);
        assert!(c.starts_with(&run_marker("api", "9001")), "{c}");
        assert!(
            c.contains("Still regressed") && c.contains("`search`"),
            "{c}"
        );

        // Back within 5 % (the floor: max(threshold, noise)) of 20 ms: recovered.
        let third = comparison(vec![row(
            "search",
            Metric::P50,
            50.0,
            20.6,
            Verdict::Improved,
        )]);
        assert!(assess(&third, Some(&state), &[], "9003", None).is_empty());
        let (comment, last) = recovered(&run(), &third, &state);
        assert!(
            comment.contains("Recovered") && comment.contains("20.6"),
            "{comment}"
        );
        assert!(last.starts_with(&marker("api")) && !last.contains(STATE_OPEN));
        // An acknowledged regression is resolved too.
        let mut acked = row("search", Metric::P50, 35.0, 80.0, Verdict::Regressed);
        acked.acknowledged = Some(perfgate_reports::analysis::comparison::AckNote {
            reason: "known".into(),
            until: chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
        });
        assert!(assess(&comparison(vec![acked]), Some(&state), &[], "9004", None).is_empty());
    }

    #[test]
    fn a_suite_that_regressed_everywhere_stays_within_githubs_body_limit() {
        let rows: Vec<ComparisonRow> = (0..400)
            .map(|i| {
                row(
                    &format!("operation-{i:03}"),
                    Metric::P95,
                    20.0,
                    90.0,
                    Verdict::Regressed,
                )
            })
            .collect();
        let st = assess(&comparison(rows), None, &[], "9001", None);
        let state = AlertState {
            series: st.iter().map(|s| s.series.clone()).collect(),
        };
        let text = body(&run(), &st, Some(&state));
        assert!(text.chars().count() < 65_536, "{}", text.len());
        assert!(text.contains("… and 360 more regressed series"));
        assert_eq!(
            state_of(&text).series.len(),
            MAX_TRACKED,
            "the state keeps as many as fit"
        );
        assert!(still_comment(&run(), &st).chars().count() < 65_536);
    }

    #[test]
    fn a_new_regressing_change_point_raises_an_alert_measured_from_before_it() {
        let c = comparison(vec![row(
            "search",
            Metric::P95,
            22.0,
            23.5,
            Verdict::Unchanged,
        )]);
        let ch = NewChange {
            test_type: TestType::Benchmark,
            operation: "search".into(),
            metric: Metric::P95,
            report: ChangePointReport {
                run_id: "r7".into(),
                sha: Some("1234567890".into()),
                commit_message: None,
                started_at: chrono::Utc::now(),
                before_mean: 20.0,
                after_mean: 23.0,
                magnitude_percent: 15.0,
                p_value: 0.001,
                regression: true,
            },
        };
        let st = assess(&c, None, std::slice::from_ref(&ch), "9001", None);
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].series.since_run, "r7");
        assert_eq!(st[0].row.base, Some(20.0));
        let text = body(&run(), &st, None);
        assert!(
            text.contains("change point") && text.contains("`1234567`"),
            "{text}"
        );
        assert!(
            !text.contains("perfgate-alert-state"),
            "a commit comment has no state"
        );
    }
}

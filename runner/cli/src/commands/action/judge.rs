//! The verdict of a run in CI: the baseline it is judged against, what fails the step, and the annotations.
//!
//! The baseline is the history of the base branch (the pull request's base, or the pushed branch itself) on
//! the reports branch, limited to runs of the same suite on the same kind of machine, judged by
//! [`perfgate_reports::analysis::baseline::compare_with_history`]. Not finding a baseline never fails a
//! step — a project's first pull request has none — but it is said plainly in the summary.
//!
//! What fails the step is the `fail-on` input: failed gates, and significant regressions that the
//! config's `[gates] regression` policy treats as failures (`"warn"` keeps them as warnings).

use std::path::Path;

use perfgate_reports::analysis::baseline::{compare_with_history, HistorySettings};
use perfgate_reports::analysis::Comparison;
use perfgate_reports::RunRecord;

use super::inputs::FailOn;
use crate::github::workflow::{annotation, Level};
use crate::reports_branch::{fetch_baseline, FetchBaselineOptions};
use perfgate::error::ExitStatus;

/// The comparison with the history of `base_branch` and that history (oldest first, without `record`),
/// or why there is none.
pub fn compare_with_branch(
    repo: &Path,
    record: &RunRecord,
    reports_branch: &str,
    base_branch: &str,
) -> Result<(Comparison, Vec<RunRecord>), String> {
    let mut opts = FetchBaselineOptions::new(repo, base_branch);
    opts.branch = reports_branch.to_string();
    opts.fingerprint = Some(record.environment.fingerprint.clone());
    opts.suite = Some(record.suite.clone());
    let baseline = fetch_baseline(&opts).map_err(|e| {
        format!("could not read the baseline from the `{reports_branch}` branch: {e}")
    })?;
    if baseline.commit.is_none() {
        return Err(format!(
            "no baseline yet: the reports branch `{reports_branch}` does not exist (runs on `{base_branch}` publish to it)"
        ));
    }
    let history: Vec<RunRecord> = baseline
        .history
        .runs
        .into_iter()
        .map(|r| r.record)
        .filter(|r| r.run_id != record.run_id)
        .collect();
    if history.is_empty() {
        return Err(format!(
            "no baseline yet: the reports branch has no runs of suite `{}` on `{base_branch}` from this kind of machine",
            record.suite
        ));
    }
    let comparison = compare_with_history(record, &history, &HistorySettings::default());
    Ok((comparison, history))
}

/// The capacity fit of the newest run in `history` that has one (a stress run), for the comment's "capacity
/// moved" line.
pub fn base_capacity(history: &[RunRecord]) -> Option<perfgate_reports::capacity::Capacity> {
    history
        .iter()
        .filter_map(|r| Some((r.started_at, r.stress.as_ref()?.capacity.as_ref()?)))
        .max_by_key(|(t, _)| *t)
        .map(|(_, c)| c.clone())
}

/// Counts of a run's verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub failed_gates: usize,
    /// Significant regressions not acknowledged in the config.
    pub regressions: usize,
    pub improvements: usize,
}

/// Counts the gates and comparison rows of `record`'s analysis.
pub fn tally(record: &RunRecord) -> Tally {
    let Some(a) = &record.analysis else {
        return Tally::default();
    };
    let counts = a
        .comparison
        .as_ref()
        .map(|c| c.counts())
        .unwrap_or_default();
    Tally {
        failed_gates: a.failed_gates().count(),
        regressions: counts.regressed.saturating_sub(counts.acknowledged),
        improvements: counts.improved,
    }
}

/// `pass`, `warn` or `fail`, as the analysis says (`pass` without one).
pub fn status(record: &RunRecord) -> &'static str {
    record
        .analysis
        .as_ref()
        .map(|a| a.status.as_str())
        .unwrap_or("pass")
}

/// The exit status `fail-on` implies.
pub fn exit_status(t: &Tally, fail_on: FailOn, regression_fails: bool) -> ExitStatus {
    let gate = fail_on.gate && t.failed_gates > 0;
    let regression = fail_on.regression && regression_fails && t.regressions > 0;
    if gate || regression {
        ExitStatus::GateFailed
    } else {
        ExitStatus::Pass
    }
}

/// One annotation per failed gate (`error` when gates fail the step) and per open regression (`error`
/// when regressions fail the step, else `warning`).
pub fn annotations(record: &RunRecord, fail_on: FailOn, regression_fails: bool) -> Vec<String> {
    let Some(a) = &record.analysis else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let gate_level = if fail_on.gate {
        Level::Error
    } else {
        Level::Warning
    };
    for g in a.failed_gates() {
        out.push(annotation(
            gate_level,
            &format!("perfgate: gate failed ({})", g.operation),
            &format!("{} {}: {}", g.test_type.as_str(), g.operation, g.message),
        ));
    }
    let reg_level = if fail_on.regression && regression_fails {
        Level::Error
    } else {
        Level::Warning
    };
    if let Some(c) = &a.comparison {
        for row in c.unacknowledged_regressions() {
            out.push(annotation(
                reg_level,
                &format!("perfgate: regression ({})", row.operation),
                &format!(
                    "{} {}: {} against {}",
                    row.test_type.as_str(),
                    row.operation,
                    row.sentence(),
                    c.base.label
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_selects_what_fails_the_step() {
        let both = FailOn {
            gate: true,
            regression: true,
        };
        let gates_only = FailOn {
            gate: true,
            regression: false,
        };
        let t = Tally {
            failed_gates: 0,
            regressions: 2,
            improvements: 0,
        };
        assert_eq!(exit_status(&t, both, true), ExitStatus::GateFailed);
        assert_eq!(exit_status(&t, both, false), ExitStatus::Pass);
        assert_eq!(exit_status(&t, gates_only, true), ExitStatus::Pass);
        assert_eq!(exit_status(&t, FailOn::default(), true), ExitStatus::Pass);
        let g = Tally {
            failed_gates: 1,
            ..Tally::default()
        };
        assert_eq!(exit_status(&g, gates_only, true), ExitStatus::GateFailed);
        assert_eq!(exit_status(&g, FailOn::default(), true), ExitStatus::Pass);
    }
}

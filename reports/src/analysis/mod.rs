//! Analysis: everything that judges a run. `reports/ANALYSIS.md` gives the method and the measured detection.
//!
//! * [`compare`] — two runs row by row, with direction, threshold and noise floor, and the verdict vocabulary
//!   (regressed, improved, unchanged, new, missing);
//! * [`baseline`] — a run against the history of its branch (prediction intervals, Benjamini–Hochberg,
//!   minimum detectable change);
//! * [`changepoint`] and [`trend`] — change points of a series and of a whole history;
//! * [`ab`] — interleaved A/B trials (Mann–Whitney, bootstrap);
//! * [`acknowledge`] — known regressions that warn until a date;
//! * [`optimizer`] — per-operation status and evidence-led recommendations;
//! * [`crate::gates`] — absolute limits (`p95 < 500ms`);
//! * [`significance`], [`series`], [`rng`] — the building blocks; [`eval`] — the evaluation harness;
//!
//! and [`analyze`], which puts them together into the [`AnalysisSection`] stored in the run record's
//! `analysis` field, with one overall status: `pass`, `warn` or `fail`.

pub mod ab;
pub mod acknowledge;
pub mod baseline;
pub mod changepoint;
pub mod compare;
pub mod eval;
pub mod optimizer;
pub mod rng;
pub mod series;
pub mod significance;
pub mod trend;

use serde::{Deserialize, Serialize};

use crate::gates::{evaluate, GateResult, Gates, RegressionPolicy};
use crate::record::RunRecord;

pub use ab::{compare_trials, TrialSettings};
pub use acknowledge::{apply_acknowledgements, AckOutcome, Acknowledgement};
pub use baseline::{compare_with_history, HistorySettings};
pub use changepoint::ChangePointSettings;
pub use compare::{compare_runs, CompareSettings, Comparison, ComparisonRow, Verdict};
pub use optimizer::{
    optimize, OperationAnalysis, OptimizerSettings, Recommendation, RecommendationType, Severity,
    Status,
};
pub use trend::{analyze_history, HistoryChanges};

/// The overall outcome of a run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OverallStatus {
    /// No gate failed, no unacknowledged regression, nothing worth a warning.
    #[default]
    Pass,
    /// Nothing failed, but something deserves a look (acknowledged or warn-only regressions, warnings).
    Warn,
    /// A gate failed, or a regression did under `regression = "fail"`. Exit code 1.
    Fail,
}

impl OverallStatus {
    /// `pass`, `warn`, `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            OverallStatus::Pass => "pass",
            OverallStatus::Warn => "warn",
            OverallStatus::Fail => "fail",
        }
    }
}

/// The `analysis` section of a run record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisSection {
    /// pass, warn or fail.
    pub status: OverallStatus,
    /// Why the status is what it is, one line per reason ("2 gates failed", "1 regression (warn only)").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Every gate on every benchmark and load operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateResult>,
    /// Per benchmark/load operation: `status` and `recommendations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationAnalysis>,
    /// Findings about the run as a whole (generator, memory timeline, stress curve).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<Recommendation>,
    /// The comparison with the baseline, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

impl AnalysisSection {
    /// The gates that failed.
    pub fn failed_gates(&self) -> impl Iterator<Item = &GateResult> {
        self.gates.iter().filter(|g| !g.passed && !g.not_evaluated)
    }

    /// The gates on a metric that was not measured (neither passed nor failed).
    pub fn unevaluated_gates(&self) -> impl Iterator<Item = &GateResult> {
        self.gates.iter().filter(|g| g.not_evaluated)
    }
}

/// Analyses a run: evaluates `gates`, runs the optimizer (with the comparison, when there is one) and decides
/// the overall status.
///
/// Status rules: `fail` when a gate failed, or when an unacknowledged regression exists and
/// `gates.regression` is `fail`; else `warn` when a regression exists (acknowledged, or under `warn`), when an
/// operation is `warning`/`critical`, or when a run-level finding is `medium` or `high` (e.g. the runner was
/// saturated); else `pass`.
pub fn analyze(
    record: &RunRecord,
    gates: &Gates,
    comparison: Option<Comparison>,
    settings: &OptimizerSettings,
) -> AnalysisSection {
    let gate_results = evaluate(record, gates);
    let opt = optimize(record, comparison.as_ref(), settings);
    let mut status = OverallStatus::Pass;
    let mut reasons = Vec::new();
    let failed = gate_results
        .iter()
        .filter(|g| !g.passed && !g.not_evaluated)
        .count();
    if failed > 0 {
        status = OverallStatus::Fail;
        reasons.push(format!(
            "{failed} gate{} failed",
            if failed == 1 { "" } else { "s" }
        ));
    }
    if let Some(c) = &comparison {
        let counts = c.counts();
        let open = counts.regressed - counts.acknowledged;
        if open > 0 {
            let plural = if open == 1 { "" } else { "s" };
            match gates.regression {
                RegressionPolicy::Fail => {
                    status = OverallStatus::Fail;
                    reasons.push(format!("{open} regression{plural}"));
                }
                RegressionPolicy::Warn => {
                    status = status.max(OverallStatus::Warn);
                    reasons.push(format!("{open} regression{plural} (regression = \"warn\")"));
                }
            }
        }
        if counts.acknowledged > 0 {
            status = status.max(OverallStatus::Warn);
            reasons.push(format!(
                "{} acknowledged regression{}",
                counts.acknowledged,
                if counts.acknowledged == 1 { "" } else { "s" }
            ));
        }
    }
    let flagged = opt
        .operations
        .iter()
        .filter(|o| o.status != Status::Ok)
        .count();
    if flagged > 0 {
        status = status.max(OverallStatus::Warn);
        reasons.push(format!(
            "{flagged} operation{} with warnings",
            if flagged == 1 { "" } else { "s" }
        ));
    }
    for r in opt.run.iter().filter(|r| r.severity >= Severity::Medium) {
        status = status.max(OverallStatus::Warn);
        reasons.push(r.message.clone());
    }
    AnalysisSection {
        status,
        reasons,
        gates: gate_results,
        operations: opt.operations,
        recommendations: opt.run,
        comparison,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::default_gates;
    use crate::test_support::{op, record_with};

    #[test]
    fn status_follows_gates_regressions_and_policy() {
        let base = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        let ok = analyze(&base, &default_gates(), None, &OptimizerSettings::default());
        assert_eq!(ok.status, OverallStatus::Pass, "{:?}", ok.reasons);

        let slow = record_with(vec![op("a", 400.0, 100.0, 1000, 0)]);
        let a = analyze(&slow, &default_gates(), None, &OptimizerSettings::default());
        assert_eq!(a.status, OverallStatus::Fail);
        assert_eq!(a.failed_gates().count(), 1);
        assert!(a.reasons[0].contains("1 gate failed"));

        let head = record_with(vec![op("a", 13.0, 100.0, 1000, 0)]);
        let c = compare_runs(&base, &head, &CompareSettings::default());
        let a = analyze(
            &head,
            &default_gates(),
            Some(c.clone()),
            &OptimizerSettings::default(),
        );
        assert_eq!(a.status, OverallStatus::Fail, "{:?}", a.reasons);
        let mut warn_only = default_gates();
        warn_only.regression = RegressionPolicy::Warn;
        let a = analyze(&head, &warn_only, Some(c), &OptimizerSettings::default());
        assert_eq!(a.status, OverallStatus::Warn, "{:?}", a.reasons);
    }

    #[test]
    fn the_section_round_trips_inside_a_record() {
        let mut rec = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        let base = rec.clone();
        let c = compare_runs(&base, &rec, &CompareSettings::default());
        rec.analysis = Some(analyze(
            &rec,
            &default_gates(),
            Some(c),
            &OptimizerSettings::default(),
        ));
        let bytes = rec.to_json_pretty();
        let back = RunRecord::from_json_slice(&bytes, "x.json").unwrap();
        assert_eq!(back, rec);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["analysis"]["status"], "pass");
        assert_eq!(v["analysis"]["operations"][0]["status"], "ok");
        assert_eq!(v["analysis"]["gates"][0]["gate"], "p95 <= 500ms");
    }
}

//! What the trend site shows, computed: the history split into the series the analysis may compare, each
//! series' change points, the regressions of each series' newest run, the judged run for the compare page,
//! and the project's gates.
//!
//! `perfgate-web` renders these values and computes nothing; `perfgate site build|serve` and `perfgate
//! publish` load the records and call [`site_input`]. Every conclusion comes from the function the CLI uses
//! for the same question, with the same settings, so the site and the terminal never disagree:
//!
//! * change points: [`analyze_history`] with [`ChangePointSettings::default`] on each group of runs that share
//!   suite, branch and environment fingerprint — what `perfgate analyze --history DIR --branch B
//!   --fingerprint F` prints for that group;
//! * regressions: [`compare_with_history`] of each group's newest run against the runs before it (a group
//!   of one run falls back to the comparison stored in its record);
//! * gate status: the project's [`Gates`] ([`Gates::for_operation`]), the defaults when there is no config;
//! * the compare page: the [`Comparison`] stored in the newest judged record, as the PR comment shows it.

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::changepoint::ChangePointSettings;
use crate::analysis::trend::{analyze_history, ChangePointReport};
use crate::analysis::{
    compare_with_history, Comparison, ComparisonRow, HistorySettings, Recommendation, Verdict,
};
use crate::gates::{default_gates, GateExpr, Gates};
use crate::metric::Metric;
use crate::record::{OperationResult, RunRecord, TestType};

/// Identifies one series of the site: an operation of a suite under one schedule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationKey {
    pub suite: String,
    pub test_type: TestType,
    pub operation: String,
}

impl OperationKey {
    pub fn new(
        suite: impl Into<String>,
        test_type: TestType,
        operation: impl Into<String>,
    ) -> Self {
        Self {
            suite: suite.into(),
            test_type,
            operation: operation.into(),
        }
    }
}

impl std::fmt::Display for OperationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} / {} / {}",
            self.suite, self.test_type, self.operation
        )
    }
}

/// A change point the site marks: the report `perfgate analyze` prints, with the series it was found in.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkedChange {
    pub key: OperationKey,
    pub metric: Metric,
    pub change: ChangePointReport,
}

impl MarkedChange {
    /// The first run after the change.
    pub fn run_id(&self) -> &str {
        &self.change.run_id
    }

    /// "p95 +23.0 % since 1a2b3c4".
    pub fn label(&self) -> String {
        let sha = self
            .change
            .sha
            .as_deref()
            .map_or("nogit", |s| &s[..s.len().min(7)]);
        format!(
            "{} {:+.1} % since {sha}",
            self.metric.key(),
            self.change.magnitude_percent
        )
    }
}

/// A regression the analysis flagged for one run of an operation: the comparison row that says so.
#[derive(Clone, Debug, PartialEq)]
pub struct FlaggedRegression {
    pub key: OperationKey,
    pub run_id: String,
    pub row: ComparisonRow,
}

/// A run with the comparison it was judged by (the compare page).
#[derive(Clone, Debug, PartialEq)]
pub struct JudgedRun {
    pub head: RunRecord,
    pub comparison: Comparison,
}

impl JudgedRun {
    /// `head` with the comparison stored in its analysis, if it was judged against a baseline.
    pub fn of(head: &RunRecord) -> Option<Self> {
        let comparison = head.analysis.as_ref()?.comparison.clone()?;
        Some(Self {
            head: head.clone(),
            comparison,
        })
    }

    /// One row per operation: its most notable metric (a regression first, then an improvement, a new or
    /// missing row, else p95), in the comparison's order.
    pub fn rows_per_operation(&self) -> Vec<&ComparisonRow> {
        let notability = |r: &ComparisonRow| {
            let rank = match r.verdict {
                Verdict::Regressed if r.acknowledged.is_none() => 0,
                Verdict::Regressed => 1,
                Verdict::Improved => 2,
                Verdict::New => 3,
                Verdict::Missing => 4,
                Verdict::Unchanged => 5,
            };
            (rank, r.metric != Metric::P95)
        };
        let mut by_op: BTreeMap<(TestType, &str), &ComparisonRow> = BTreeMap::new();
        for row in &self.comparison.rows {
            let slot = by_op.entry((row.test_type, &row.operation)).or_insert(row);
            if notability(row) < notability(slot) {
                *slot = row;
            }
        }
        by_op.into_values().collect()
    }
}

/// Everything a site is rendered from.
#[derive(Clone, Debug)]
pub struct SiteInput {
    /// Every run to show, in any order (the site sorts them by start time).
    pub records: Vec<RunRecord>,
    /// Change points of every series.
    pub change_points: Vec<MarkedChange>,
    /// Regressions of each series' newest run.
    pub regressions: Vec<FlaggedRegression>,
    /// The run the compare page shows.
    pub compare: Option<JudgedRun>,
    /// The project's gates (the defaults without a config): an operation's status and the charts' limits.
    pub gates: Gates,
}

impl Default for SiteInput {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            change_points: Vec::new(),
            regressions: Vec::new(),
            compare: None,
            gates: default_gates(),
        }
    }
}

/// Which runs the analysis may compare with each other: same suite, branch and environment fingerprint.
pub type Group = (String, Option<String>, String);

/// The group of a run.
pub fn group_of(r: &RunRecord) -> Group {
    (
        r.suite.clone(),
        r.git.branch.clone(),
        r.environment.fingerprint.clone(),
    )
}

/// `records` split into [`Group`]s, oldest run first in each. Copies carry no latency histograms: the
/// analysis reads summary values only, and a decoded histogram takes ~190 KB.
pub fn series_groups(records: &[RunRecord]) -> BTreeMap<Group, Vec<RunRecord>> {
    let mut groups: BTreeMap<Group, Vec<RunRecord>> = BTreeMap::new();
    for r in records {
        groups
            .entry(group_of(r))
            .or_default()
            .push(without_histograms(r));
    }
    for runs in groups.values_mut() {
        runs.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.run_id.cmp(&b.run_id))
        });
    }
    groups
}

fn without_histograms(r: &RunRecord) -> RunRecord {
    let mut c = r.clone();
    if let Some(b) = c.benchmark.as_mut() {
        b.operations.iter_mut().for_each(|o| o.histogram = None);
    }
    if let Some(l) = c.load.as_mut() {
        l.operations.iter_mut().for_each(|o| o.histogram = None);
        l.overall.histogram = None;
    }
    if let Some(s) = c.stress.as_mut() {
        for step in &mut s.steps {
            step.operations.iter_mut().for_each(|o| o.histogram = None);
        }
    }
    c
}

/// The change points of one group of runs, exactly as `perfgate analyze` finds them with its defaults.
pub fn change_points_of(suite: &str, runs: &[RunRecord]) -> Vec<MarkedChange> {
    analyze_history(runs, &[], &ChangePointSettings::default())
        .series
        .into_iter()
        .flat_map(|series| {
            let key = OperationKey::new(suite, series.key.test_type, series.key.operation.clone());
            let metric = series.key.metric;
            series
                .change_points
                .into_iter()
                .map(move |change| MarkedChange {
                    key: key.clone(),
                    metric,
                    change,
                })
        })
        .collect()
}

/// The site input for `records` judged by `gates`: change points, flagged regressions of each group's newest
/// run, and the newest judged run for the compare page.
pub fn site_input(records: Vec<RunRecord>, gates: Gates) -> SiteInput {
    let mut change_points = Vec::new();
    let mut regressions = Vec::new();
    let hist_settings = HistorySettings::default();
    for ((suite, _, _), mut runs) in series_groups(&records) {
        change_points.extend(change_points_of(&suite, &runs));
        let Some(head) = runs.pop() else { continue };
        let rows: Vec<ComparisonRow> = if runs.is_empty() {
            head.analysis
                .as_ref()
                .and_then(|a| a.comparison.as_ref())
                .map(|c| c.unacknowledged_regressions().cloned().collect())
                .unwrap_or_default()
        } else {
            compare_with_history(&head, &runs, &hist_settings)
                .unacknowledged_regressions()
                .cloned()
                .collect()
        };
        regressions.extend(rows.into_iter().map(|row| FlaggedRegression {
            key: OperationKey::new(&suite, row.test_type, row.operation.clone()),
            run_id: head.run_id.clone(),
            row,
        }));
    }
    // The compare page: the newest run that was judged against a baseline (the Action judges every run).
    let compare = records
        .iter()
        .filter(|r| r.analysis.as_ref().is_some_and(|a| a.comparison.is_some()))
        .max_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.run_id.cmp(&b.run_id))
        })
        .and_then(JudgedRun::of);
    SiteInput {
        records,
        change_points,
        regressions,
        compare,
        gates,
    }
}

/// The gates of `gates` that `op` fails. An operation without a value for a gated metric (it completed no
/// request) fails that gate, as in [`crate::gates::evaluate`].
pub fn failed_gates<'g>(gates: &'g Gates, op: &OperationResult) -> Vec<&'g GateExpr> {
    gates
        .for_operation(&op.operation_name)
        .into_iter()
        .filter(|g| !g.metric.value(op).is_some_and(|v| g.passes(v)))
        .collect()
}

/// The smallest change `row` can flag: the history's minimum detectable change (80 % power) when the row has
/// one, else the larger of its threshold and its noise floor (percent; points for the error rate).
pub fn min_detectable_percent(row: &ComparisonRow) -> f64 {
    row.mdc_percent.unwrap_or_else(|| {
        let threshold = row.threshold_percent;
        row.noise_percent.map_or(threshold, |n| n.max(threshold))
    })
}

/// The recommendations stored in a record's analysis, per operation then for the run as a whole, each
/// message once per operation.
pub fn recommendations(r: &RunRecord) -> Vec<(Option<&str>, &Recommendation)> {
    let Some(a) = &r.analysis else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    let per_op = a.operations.iter().flat_map(|op| {
        op.recommendations
            .iter()
            .map(move |rec| (Some(op.operation.as_str()), rec))
    });
    let run_wide = a.recommendations.iter().map(|rec| (None, rec));
    per_op
        .chain(run_wide)
        .filter(|(op, rec)| seen.insert((*op, rec.message.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::SplitMix64;
    use crate::analysis::{compare_runs, AnalysisSection, CompareSettings};
    use crate::test_support::{op, record_with, t0};

    /// 30 runs of `step` and `flat` on main; `step`'s latency is 25 % higher from run 15; `tput` serves 30 %
    /// fewer requests per second from run 15.
    fn history() -> Vec<RunRecord> {
        let mut r = SplitMix64::new(7);
        (0..30)
            .map(|i| {
                let f = (0.01 * r.normal()).exp();
                let level = if i >= 15 { 1.25 } else { 1.0 };
                let tput = if i >= 15 { 0.7 } else { 1.0 };
                let mut rec = record_with(vec![
                    op("step", 10.0 * level * f, 100.0, 1000, 0),
                    op("flat", 5.0 * f, 100.0, 1000, 0),
                    op("tput", 5.0 * f, 100.0 * tput * f, 1000, 0),
                ]);
                rec.run_id = format!("r{i:02}");
                rec.git.branch = Some("main".into());
                rec.git.sha = Some(format!("{i:07}abcdef"));
                rec.started_at = t0() + chrono::Duration::hours(i);
                rec
            })
            .collect()
    }

    #[test]
    fn change_points_are_the_ones_analyze_history_finds_per_group() {
        let mut recs = history();
        // The same history on another machine is a series of its own.
        let other: Vec<RunRecord> = recs
            .iter()
            .map(|r| {
                let mut o = r.clone();
                o.run_id = format!("{}-arm", r.run_id);
                o.environment.fingerprint = "arm".into();
                o
            })
            .collect();
        recs.extend(other);
        let input = site_input(recs.clone(), default_gates());
        for (group, runs) in series_groups(&recs) {
            let direct = analyze_history(&runs, &[], &ChangePointSettings::default());
            let ours: Vec<&MarkedChange> = input
                .change_points
                .iter()
                .filter(|c| runs.iter().any(|r| r.run_id == c.change.run_id))
                .collect();
            let theirs: Vec<&ChangePointReport> = direct
                .series
                .iter()
                .flat_map(|s| s.change_points.iter())
                .collect();
            assert_eq!(ours.len(), theirs.len(), "{group:?}");
            for (a, b) in ours.iter().zip(theirs) {
                assert_eq!(&a.change, b);
            }
        }
        let step = input
            .change_points
            .iter()
            .find(|c| {
                c.key.operation == "step"
                    && c.metric == Metric::P95
                    && !c.run_id().ends_with("-arm")
            })
            .expect("the step is found");
        assert_eq!(step.run_id(), "r15");
        assert!(step.change.regression);
        assert_eq!(
            step.label(),
            format!("p95 {:+.1} % since 0000015", step.change.magnitude_percent)
        );
        let tput = input
            .change_points
            .iter()
            .find(|c| c.key.operation == "tput" && c.metric == Metric::Rps)
            .expect("the throughput drop is found");
        assert!(tput.change.magnitude_percent < 0.0);
        assert!(tput.change.regression, "a throughput drop is a regression");
        assert!(input
            .change_points
            .iter()
            .all(|c| c.key.operation != "flat"));
    }

    #[test]
    fn groups_split_by_suite_branch_and_machine_oldest_first() {
        let mut recs = history();
        recs.reverse();
        recs[0].git.branch = Some("feature".into());
        let groups = series_groups(&recs);
        assert_eq!(groups.len(), 2);
        let main = &groups[&(
            "default".to_string(),
            Some("main".to_string()),
            recs[1].environment.fingerprint.clone(),
        )];
        assert_eq!(main.len(), 29);
        assert!(main.windows(2).all(|w| w[0].started_at <= w[1].started_at));
    }

    #[test]
    fn the_compare_page_keeps_the_comparison_and_one_row_per_operation() {
        let mut recs = history();
        let c = compare_runs(&recs[14], &recs[15], &CompareSettings::default());
        recs[15].analysis = Some(AnalysisSection {
            comparison: Some(c.clone()),
            ..Default::default()
        });
        let input = site_input(recs.clone(), default_gates());
        let judged = input.compare.as_ref().expect("a compare page");
        assert_eq!(judged.head.run_id, "r15");
        assert_eq!(
            judged.comparison, c,
            "the comparison the CLI stored, unchanged"
        );
        let rows = judged.rows_per_operation();
        let ops: Vec<&str> = rows.iter().map(|r| r.operation.as_str()).collect();
        assert_eq!(ops, vec!["flat", "step", "tput"]);
        let step = rows.iter().find(|r| r.operation == "step").unwrap();
        assert_eq!(step.verdict, Verdict::Regressed);
        let tput = rows.iter().find(|r| r.operation == "tput").unwrap();
        assert_eq!(
            (tput.metric, tput.verdict),
            (Metric::Rps, Verdict::Regressed)
        );
        let flat = rows.iter().find(|r| r.operation == "flat").unwrap();
        assert_eq!(
            (flat.metric, flat.verdict),
            (Metric::P95, Verdict::Unchanged)
        );
    }

    #[test]
    fn the_newest_run_of_each_group_is_judged_against_the_runs_before_it() {
        let mut recs = history();
        recs.truncate(20);
        let mut head = recs[19].clone();
        head.run_id = "head".into();
        head.started_at += chrono::Duration::hours(1);
        if let Some(b) = head.benchmark.as_mut() {
            b.operations[1].latency_ms.p95 *= 2.0;
        }
        recs.push(head);
        let input = site_input(recs, default_gates());
        assert!(input.regressions.iter().any(|r| r.run_id == "head"
            && r.key.operation == "flat"
            && r.row.metric == Metric::P95));
        assert!(input.regressions.iter().all(|r| r.run_id == "head"));
    }

    #[test]
    fn failed_gates_follow_the_project_gates() {
        let slow = op("a", 300.0, 100.0, 1000, 0);
        assert!(failed_gates(&default_gates(), &slow).is_empty());
        let strict = Gates::parse_all(&["p95 < 200ms"]).unwrap();
        let failed = failed_gates(&strict, &slow);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].to_string(), "p95 < 200ms");
        let mut idle = op("a", 1.0, 100.0, 1000, 0);
        idle.total_requests = 0;
        assert_eq!(failed_gates(&strict, &idle).len(), 1, "no value fails");
    }
}

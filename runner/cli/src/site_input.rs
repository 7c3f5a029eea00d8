//! What the trend site is built from: run records plus the analysis's conclusions about them.
//!
//! `perfgate-web` only renders and `perfgate-reports` only analyses; this module joins them for
//! `perfgate site build|serve` and for the site that `perfgate publish` writes to the reports branch. It splits
//! the history into series the analysis may compare (same suite, branch and environment fingerprint), finds
//! each series' change points ([`analyze_history`]), judges the newest run of each series against the runs
//! before it ([`compare_with_history`]; a series of one run falls back to the comparison stored in its
//! record), collects the recommendations stored in every record, and maps all of it onto [`SiteInput`].

use std::collections::{BTreeMap, BTreeSet};

use perfgate_reports::analysis::compare::{ComparisonRow, Verdict};
use perfgate_reports::analysis::{
    analyze_history, compare_with_history, ChangePointSettings, Comparison, HistorySettings,
};
use perfgate_reports::metric::Metric;
use perfgate_reports::record::TestType;
use perfgate_reports::RunRecord;
use perfgate_web::{
    ChangePoint, CompareRow, FlaggedRegression, OperationKey, Recommendation, SiteInput,
};

/// Which runs may be compared with each other: same suite, branch and machine.
type Group = (String, Option<String>, String);

fn group_of(r: &RunRecord) -> Group {
    (
        r.suite.clone(),
        r.git.branch.clone(),
        r.environment.fingerprint.clone(),
    )
}

/// A copy of `r` without latency histograms: the analysis reads summary values only, and a decoded
/// histogram takes ~190 KB.
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

/// The site input for `records`: change points, flagged regressions of each series' newest run and the
/// stored recommendations.
pub fn site_input(records: Vec<RunRecord>) -> SiteInput {
    let mut groups: BTreeMap<Group, Vec<RunRecord>> = BTreeMap::new();
    for r in &records {
        groups
            .entry(group_of(r))
            .or_default()
            .push(without_histograms(r));
    }
    let mut change_points = Vec::new();
    let mut regressions = Vec::new();
    let cp_settings = ChangePointSettings::default();
    let hist_settings = HistorySettings::default();
    for ((suite, _, _), mut runs) in groups {
        for series in analyze_history(&runs, &[], &cp_settings).series {
            let key = OperationKey::new(
                suite.clone(),
                series.key.test_type,
                series.key.operation.clone(),
            );
            for cp in series.change_points {
                let sha = cp.sha.as_deref().map_or("nogit", |s| &s[..s.len().min(7)]);
                change_points.push(ChangePoint {
                    key: key.clone(),
                    metric: series.key.metric.key().to_string(),
                    before: cp.before_mean,
                    after: cp.after_mean,
                    magnitude_percent: cp.magnitude_percent,
                    p_value: Some(cp.p_value),
                    label: format!(
                        "{} {:+.1} % since {sha}",
                        series.key.metric.key(),
                        cp.magnitude_percent
                    ),
                    run_id: cp.run_id,
                });
            }
        }
        runs.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.run_id.cmp(&b.run_id))
        });
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
        for row in rows {
            regressions.push(flagged(&suite, &head.run_id, &row));
        }
    }
    let recommendations = records.iter().flat_map(recommendations_of).collect();
    // The compare page: the newest run that was judged against a baseline (the Action judges every run).
    let compare = records
        .iter()
        .filter_map(|r| Some((r, r.analysis.as_ref()?.comparison.as_ref()?)))
        .max_by(|a, b| {
            a.0.started_at
                .cmp(&b.0.started_at)
                .then_with(|| a.0.run_id.cmp(&b.0.run_id))
        })
        .and_then(|(head, c)| web_comparison(head, c, &records));
    SiteInput {
        records,
        change_points,
        regressions,
        compare,
        recommendations,
    }
}

/// The compare page's input from a judged run: one row per operation, carrying its most notable metric
/// (a regression first, then an improvement, else p95). The base is the run the comparison names, or, for a
/// comparison with a history of runs, the newest run of that history in `records`.
pub fn web_comparison(
    head: &RunRecord,
    c: &Comparison,
    records: &[RunRecord],
) -> Option<perfgate_web::Comparison> {
    let named = c
        .base
        .run_id
        .as_ref()
        .and_then(|id| records.iter().find(|r| &r.run_id == id));
    let base = named.or_else(|| {
        records
            .iter()
            .filter(|r| {
                r.suite == head.suite
                    && r.run_id != head.run_id
                    && r.started_at <= head.started_at
                    && (c.base.branch.is_none() || r.git.branch == c.base.branch)
            })
            .max_by_key(|r| r.started_at)
    })?;
    let notability = |r: &ComparisonRow| {
        let rank = match r.verdict {
            Verdict::Regressed => 0,
            Verdict::Improved => 1,
            Verdict::New => 2,
            Verdict::Missing => 3,
            Verdict::Unchanged => 4,
        };
        (rank, r.metric != Metric::P95)
    };
    let mut by_op: BTreeMap<(TestType, &str), &ComparisonRow> = BTreeMap::new();
    for row in &c.rows {
        let slot = by_op.entry((row.test_type, &row.operation)).or_insert(row);
        if notability(row) < notability(slot) {
            *slot = row;
        }
    }
    let rows = by_op
        .into_values()
        .map(|row| CompareRow {
            key: OperationKey::new(&head.suite, row.test_type, row.operation.clone()),
            verdict: match row.verdict {
                Verdict::Regressed => perfgate_web::Verdict::Regressed,
                Verdict::Improved => perfgate_web::Verdict::Improved,
                Verdict::Unchanged => perfgate_web::Verdict::Unchanged,
                Verdict::New => perfgate_web::Verdict::New,
                Verdict::Missing => perfgate_web::Verdict::Missing,
            },
            metric: row.metric.key().to_string(),
            base_value: row.base,
            head_value: row.head,
            delta_percent: row.change_percent,
            p_value: row.p_value,
            note: match (&row.acknowledged, &row.note) {
                (Some(ack), _) => Some(format!("acknowledged until {}: {}", ack.until, ack.reason)),
                (None, Some(n)) => Some(n.clone()),
                (None, None) => None,
            },
        })
        .collect();
    Some(perfgate_web::Comparison {
        base: base.clone(),
        head: head.clone(),
        rows,
    })
}

fn flagged(suite: &str, run_id: &str, row: &ComparisonRow) -> FlaggedRegression {
    FlaggedRegression {
        key: OperationKey::new(suite, row.test_type, row.operation.clone()),
        run_id: run_id.to_string(),
        metric: row.metric.key().to_string(),
        before: row.base.unwrap_or(f64::NAN),
        after: row.head.unwrap_or(f64::NAN),
        magnitude_percent: row.change_percent.unwrap_or(0.0),
        p_value: row.p_value,
        label: row.sentence(),
    }
}

/// The recommendations stored in a record's `analysis` (per operation, then for the run as a whole).
fn recommendations_of(r: &RunRecord) -> Vec<Recommendation> {
    let Some(a) = &r.analysis else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    let per_op = a.operations.iter().flat_map(|op| {
        op.recommendations
            .iter()
            .map(move |rec| (Some(op.operation.clone()), rec))
    });
    let run_wide = a.recommendations.iter().map(|rec| (None, rec));
    per_op
        .chain(run_wide)
        .filter(|(op, rec)| seen.insert((op.clone(), rec.message.clone())))
        .map(|(operation, rec)| Recommendation {
            run_id: r.run_id.clone(),
            operation,
            kind: rec.kind.as_str().to_string(),
            severity: rec.severity.as_str().to_string(),
            message: rec.message.clone(),
            suggestions: rec.suggestions.clone(),
        })
        .collect()
}

//! Acknowledgements: a known regression warns instead of failing, until a date.
//!
//! ```toml
//! [[acknowledge]]
//! operation = "export_report"
//! metric = "p95"            # optional: every metric of the operation when absent
//! reason = "PDF engine upgrade, tracked in #123"
//! until = "2027-01-31"      # last day it holds
//! ```
//!
//! An active acknowledgement marks matching regressed rows (`acknowledged`), which then count as warnings, not
//! failures. An expired one no longer covers anything and is reported, so a stale entry is noticed and
//! removed instead of hiding a regression for ever. The current date is passed in (`today`): this crate never
//! reads the clock.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::compare::{AckNote, Comparison, Verdict};
use crate::metric::Metric;

/// One `[[acknowledge]]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// The operation name.
    pub operation: String,
    /// `None`: every metric of the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<Metric>,
    /// Why the regression is accepted; shown wherever the row is.
    pub reason: String,
    /// The last day the acknowledgement holds (`YYYY-MM-DD`).
    pub until: NaiveDate,
}

impl Acknowledgement {
    /// True on and before `until`.
    pub fn is_active(&self, today: NaiveDate) -> bool {
        today <= self.until
    }

    fn matches(&self, operation: &str, metric: Metric) -> bool {
        self.operation == operation && self.metric.is_none_or(|m| m == metric)
    }
}

/// What applying acknowledgements did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AckOutcome {
    /// Rows turned into warnings.
    pub applied: usize,
    /// Entries whose date has passed (whether or not they matched anything).
    pub expired: Vec<Acknowledgement>,
    /// Active entries that matched no regression (maybe fixed: the entry can go).
    pub unused: Vec<Acknowledgement>,
}

/// Marks the regressed rows of `comparison` covered by an active acknowledgement, and adds notes about
/// expired and unused entries to the comparison.
pub fn apply_acknowledgements(
    comparison: &mut Comparison,
    acks: &[Acknowledgement],
    today: NaiveDate,
) -> AckOutcome {
    let mut out = AckOutcome::default();
    let mut used = vec![false; acks.len()];
    for row in comparison
        .rows
        .iter_mut()
        .filter(|r| r.verdict == Verdict::Regressed)
    {
        if let Some((i, ack)) = acks
            .iter()
            .enumerate()
            .find(|(_, a)| a.is_active(today) && a.matches(&row.operation, row.metric))
        {
            used[i] = true;
            row.acknowledged = Some(AckNote {
                reason: ack.reason.clone(),
                until: ack.until,
            });
            out.applied += 1;
        } else if let Some(ack) = acks
            .iter()
            .find(|a| !a.is_active(today) && a.matches(&row.operation, row.metric))
        {
            let note = format!(
                "{} {} regressed; its acknowledgement expired on {} ({})",
                row.operation,
                row.metric.key(),
                ack.until,
                ack.reason
            );
            row.note = Some(match row.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
    }
    for (i, ack) in acks.iter().enumerate() {
        if !ack.is_active(today) {
            out.expired.push(ack.clone());
            comparison.notes.push(format!(
                "Acknowledgement for {}{} expired on {}: remove it from perfgate.toml or extend `until` ({}).",
                ack.operation,
                ack.metric.map(|m| format!(" {m}")).unwrap_or_default(),
                ack.until,
                ack.reason
            ));
        } else if !used[i] {
            out.unused.push(ack.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::{compare_runs, CompareSettings};
    use crate::record::TestType;
    use crate::test_support::{op, record_with};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn regressed_comparison() -> Comparison {
        let base = record_with(vec![
            op("export", 100.0, 100.0, 1000, 0),
            op("search", 100.0, 100.0, 1000, 0),
        ]);
        let head = record_with(vec![
            op("export", 150.0, 100.0, 1000, 0),
            op("search", 150.0, 100.0, 1000, 0),
        ]);
        compare_runs(&base, &head, &CompareSettings::default())
    }

    #[test]
    fn an_active_acknowledgement_turns_a_regression_into_a_warning() {
        let mut c = regressed_comparison();
        let acks = vec![Acknowledgement {
            operation: "export".into(),
            metric: Some(Metric::P95),
            reason: "PDF engine upgrade".into(),
            until: day("2027-01-31"),
        }];
        let out = apply_acknowledgements(&mut c, &acks, day("2027-01-31"));
        assert_eq!(out.applied, 1);
        let row = c.row(TestType::Benchmark, "export", Metric::P95).unwrap();
        assert_eq!(
            row.acknowledged.as_ref().unwrap().reason,
            "PDF engine upgrade"
        );
        assert!(c
            .row(TestType::Benchmark, "export", Metric::P50)
            .unwrap()
            .acknowledged
            .is_none());
        assert!(c
            .row(TestType::Benchmark, "search", Metric::P95)
            .unwrap()
            .acknowledged
            .is_none());
        assert_eq!(c.counts().acknowledged, 1);
        assert_eq!(
            c.unacknowledged_regressions()
                .filter(|r| r.operation == "export" && r.metric == Metric::P95)
                .count(),
            0
        );
        assert!(out.expired.is_empty() && out.unused.is_empty());
    }

    #[test]
    fn an_expired_acknowledgement_covers_nothing_and_is_reported() {
        let mut c = regressed_comparison();
        let acks = vec![Acknowledgement {
            operation: "export".into(),
            metric: None,
            reason: "PDF engine upgrade".into(),
            until: day("2027-01-31"),
        }];
        let out = apply_acknowledgements(&mut c, &acks, day("2027-02-01"));
        assert_eq!(out.applied, 0);
        assert_eq!(out.expired.len(), 1);
        assert_eq!(c.counts().acknowledged, 0);
        let row = c.row(TestType::Benchmark, "export", Metric::P95).unwrap();
        assert!(
            row.note
                .as_deref()
                .unwrap()
                .contains("expired on 2027-01-31"),
            "{row:?}"
        );
        assert!(c
            .notes
            .iter()
            .any(|n| n.contains("expired on 2027-01-31") && n.contains("extend `until`")));
    }

    #[test]
    fn an_entry_without_metric_covers_every_metric_and_unused_entries_are_listed() {
        let mut c = regressed_comparison();
        let acks = vec![
            Acknowledgement {
                operation: "search".into(),
                metric: None,
                reason: "r".into(),
                until: day("2030-01-01"),
            },
            Acknowledgement {
                operation: "gone".into(),
                metric: None,
                reason: "r".into(),
                until: day("2030-01-01"),
            },
        ];
        let out = apply_acknowledgements(&mut c, &acks, day("2027-01-01"));
        let search_regressed = c
            .rows
            .iter()
            .filter(|r| r.operation == "search" && r.verdict == Verdict::Regressed)
            .count();
        assert_eq!(out.applied, search_regressed);
        assert!(search_regressed >= 4);
        assert_eq!(out.unused.len(), 1);
        assert_eq!(out.unused[0].operation, "gone");
    }

    #[test]
    fn parses_from_config_shape() {
        let a: Acknowledgement = serde_json::from_value(serde_json::json!({
            "operation": "export", "metric": "p95", "reason": "known", "until": "2027-01-31"
        }))
        .unwrap();
        assert_eq!(a.metric, Some(Metric::P95));
        let bad = serde_json::from_value::<Acknowledgement>(serde_json::json!({
            "operation": "export", "reason": "known", "until": "31.01.2027"
        }));
        assert!(bad.is_err());
    }
}

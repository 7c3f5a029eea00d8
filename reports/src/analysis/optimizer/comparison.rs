//! Regressions against the baseline as recommendations ("P95 latency increased by 45% (120 ms → 174 ms)"),
//! with the same evidence-led suggestions as the operation's own findings.

use super::context::{Context, RegressedRows};
use super::operation::{cause_suggestions, kind_of, sample_hint};
use super::settings::Targets;
use crate::analysis::compare::{Comparison, ComparisonRow};
use crate::analysis::section::{Recommendation, RecommendationType, Severity};
use crate::metric::Metric;
use crate::record::{OperationResult, TestType};

pub(super) fn comparison_findings(
    op: &OperationResult,
    test_type: TestType,
    c: &Comparison,
    regressed: &RegressedRows<'_>,
    ctx: &Context,
    t: &Targets,
    out: &mut Vec<Recommendation>,
) {
    let rows: Vec<&ComparisonRow> = regressed
        .get(&(test_type, op.operation_name.as_str()))
        .cloned()
        .unwrap_or_default();
    // One recommendation per kind: the headline is p95 when it regressed (the metric gates use), else the
    // largest change; the other regressed metrics of the kind follow in the same message.
    let mut kinds: Vec<RecommendationType> = rows.iter().map(|r| kind_of(r.metric)).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let group: Vec<&ComparisonRow> = rows
            .iter()
            .copied()
            .filter(|r| kind_of(r.metric) == kind)
            .collect();
        let magnitude = |r: &ComparisonRow| r.change_percent.map(f64::abs).unwrap_or(0.0);
        let Some(head) = group
            .iter()
            .copied()
            .find(|r| r.metric == Metric::P95)
            .or_else(|| {
                group
                    .iter()
                    .copied()
                    .max_by(|a, b| magnitude(a).total_cmp(&magnitude(b)))
            })
        else {
            continue;
        };
        let mut severity = if group
            .iter()
            .any(|r| magnitude(r) >= 3.0 * r.threshold_percent)
        {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut suggestions = Vec::new();
        let acks: Vec<_> = group
            .iter()
            .filter_map(|r| r.acknowledged.as_ref())
            .collect();
        if !acks.is_empty() && acks.len() == group.len() {
            severity = Severity::Low;
        }
        for ack in acks {
            let line = format!("Acknowledged until {}: {}", ack.until, ack.reason);
            if !suggestions.contains(&line) {
                suggestions.push(line);
            }
        }
        if let Some(sha) = c.base.sha.as_deref() {
            let short: String = sha.chars().take(7).collect();
            suggestions.push(format!(
                "The change is between {short} and this commit: bisect with `perfgate run` on the commits in between."
            ));
        }
        match kind {
            RecommendationType::Latency => suggestions.extend(cause_suggestions(op, ctx, t)),
            RecommendationType::Errors => {
                if let Some(e) = op.errors.iter().max_by_key(|(_, n)| **n) {
                    suggestions.push(format!("Most failures are `{}`{}.", e.0, sample_hint(op)));
                }
            }
            RecommendationType::Memory => suggestions.push(
                "Look for new caches, buffers or per-request allocations in the change; a load test's memory timeline shows whether it keeps growing.".to_string(),
            ),
            RecommendationType::Cpu => suggestions.push(
                "Profile both commits under the same load and diff the flamegraphs.".to_string(),
            ),
            _ => {}
        }
        let mut message = head.sentence();
        if let Some(p) = head.p_value {
            message.push_str(&format!(", p = {}", format_p(p)));
        }
        let others: Vec<String> = group
            .iter()
            .filter(|r| r.metric != head.metric)
            .map(|r| format!("{} {}", r.metric.key(), r.change_text()))
            .collect();
        if !others.is_empty() {
            message.push_str("; also ");
            message.push_str(&others.join(", "));
        }
        out.push(Recommendation {
            kind,
            severity,
            message,
            suggestions,
        });
    }
}

/// A p-value with sensible precision: `0.003`, `<0.001`.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

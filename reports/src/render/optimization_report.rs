//! `optimization_report_<ts>.md`: the optimizer's report as Markdown.
//!
//! Order follows what a reader acts on: the status and its reasons, the comparison with the baseline (changed
//! rows first, the rest counted), then recommendations by severity — run-level findings (generator, memory
//! timeline, stress curve) before per-operation ones, critical operations before warnings — and last an
//! overview of every operation's status. Names from the config are Markdown-escaped.

use std::fmt::Write as _;

use crate::analysis::compare::{Comparison, Verdict};
use crate::analysis::optimizer::{format_p, Recommendation, Status};
use crate::analysis::AnalysisSection;
use crate::metric::{format_ms, sig, Metric};
use crate::record::RunRecord;

use super::escape::{code_span, escape_markdown, escape_prose};
use super::table::{Align, Table};

/// Renders the optimization report of `record` from its `analysis` field (a record without analysis gets a
/// report that says so). `comparison`, when given, is shown instead of the one stored in the analysis.
pub fn render(record: &RunRecord, comparison: Option<&Comparison>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Optimization report — suite {}\n",
        code_span(&record.suite)
    );
    let mut meta = format!(
        "Run {} · commit {}",
        code_span(&record.run_id),
        code_span(record.sha7())
    );
    if let Some(b) = &record.git.branch {
        let _ = write!(meta, " ({})", escape_markdown(b));
    }
    let _ = write!(
        meta,
        " · {}",
        record.started_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(out, "{meta}\n");
    let Some(a) = &record.analysis else {
        out.push_str("No analysis was run for this record.\n");
        return out;
    };
    let _ = writeln!(out, "**Status: {}**\n", a.status.as_str().to_uppercase());
    for r in &a.reasons {
        let _ = writeln!(out, "- {}", escape_prose(r));
    }
    if !a.reasons.is_empty() {
        out.push('\n');
    }
    if let Some(c) = comparison.or(a.comparison.as_ref()) {
        comparison_section(c, &mut out);
    }
    recommendations_section(a, &mut out);
    overview_section(record, a, &mut out);
    out
}

fn comparison_section(c: &Comparison, out: &mut String) {
    let n = c.counts();
    let _ = writeln!(
        out,
        "## Comparison with {}\n",
        escape_markdown(&c.base.label)
    );
    let _ = writeln!(
        out,
        "{} regressed, {} improved, {} unchanged, {} new, {} missing (threshold {}%, method `{}`).\n",
        n.regressed,
        n.improved,
        n.unchanged,
        n.new,
        n.missing,
        sig(c.threshold_percent),
        c.method
    );
    let mut t = Table::new(&[
        ("Operation", Align::Left),
        ("Metric", Align::Left),
        ("Base", Align::Right),
        ("Head", Align::Right),
        ("Change", Align::Right),
        ("Noise", Align::Right),
        ("p", Align::Right),
        ("Verdict", Align::Left),
    ]);
    for r in c.rows.iter().filter(|r| r.verdict != Verdict::Unchanged) {
        let val = |v: Option<f64>| {
            v.map(|v| r.metric.format_value(v))
                .unwrap_or_else(|| "—".into())
        };
        let noise = match r.noise_percent {
            Some(n) if r.metric == Metric::ErrorRate => format!("±{} pts", sig(n)),
            Some(n) => format!("±{}%", sig(n)),
            None => "—".into(),
        };
        let mut verdict = r.verdict.as_str().to_string();
        if let Some(ack) = &r.acknowledged {
            let _ = write!(
                verdict,
                " (acknowledged until {}: {})",
                ack.until,
                escape_markdown(&ack.reason)
            );
        }
        t.row(vec![
            format!("{} {}", code_span(&r.operation), r.test_type),
            r.metric.key().to_string(),
            val(r.base),
            val(r.head),
            r.change_text(),
            noise,
            r.p_value.map(format_p).unwrap_or_else(|| "—".into()),
            verdict,
        ]);
    }
    if t.is_empty() {
        out.push_str(&format!("{}\n\n", c.quiet_sentence()));
    } else {
        out.push_str(&t.to_markdown());
        out.push('\n');
    }
    for note in &c.notes {
        let _ = writeln!(out, "> {}", escape_prose(note));
    }
    if !c.notes.is_empty() {
        out.push('\n');
    }
}

fn write_rec(r: &Recommendation, out: &mut String) {
    let _ = writeln!(
        out,
        "- **{} · {}** — {}",
        r.severity.as_str(),
        r.kind.as_str(),
        escape_prose(&r.message)
    );
    for s in &r.suggestions {
        let _ = writeln!(out, "  - {}", escape_prose(s));
    }
}

fn recommendations_section(a: &AnalysisSection, out: &mut String) {
    out.push_str("## Recommendations\n\n");
    let mut ops: Vec<_> = a
        .operations
        .iter()
        .filter(|o| !o.recommendations.is_empty())
        .collect();
    if ops.is_empty() && a.recommendations.is_empty() {
        out.push_str("None: every operation is within its limits.\n\n");
        return;
    }
    if !a.recommendations.is_empty() {
        out.push_str("### The run\n\n");
        let mut recs: Vec<_> = a.recommendations.iter().collect();
        recs.sort_by_key(|r| std::cmp::Reverse(r.severity));
        for r in recs {
            write_rec(r, out);
        }
        out.push('\n');
    }
    ops.sort_by_key(|o| std::cmp::Reverse(o.status));
    for o in ops {
        let _ = writeln!(
            out,
            "### {} ({}) — {}\n",
            code_span(&o.operation),
            o.test_type,
            o.status.as_str()
        );
        let mut recs: Vec<_> = o.recommendations.iter().collect();
        recs.sort_by_key(|r| std::cmp::Reverse(r.severity));
        for r in recs {
            write_rec(r, out);
        }
        out.push('\n');
    }
}

fn overview_section(record: &RunRecord, a: &AnalysisSection, out: &mut String) {
    if a.operations.is_empty() {
        return;
    }
    out.push_str("## Operations\n\n");
    let mut t = Table::new(&[
        ("Operation", Align::Left),
        ("Type", Align::Left),
        ("Status", Align::Left),
        ("p95", Align::Right),
        ("rps", Align::Right),
        ("Errors", Align::Right),
        ("Gates", Align::Left),
    ]);
    for o in &a.operations {
        let res = record
            .operations()
            .find(|(t, r)| *t == o.test_type && r.operation_name == o.operation);
        let (p95, rps, err) = match res {
            Some((_, r)) => (
                if r.total_requests == 0 {
                    "—".into()
                } else {
                    format_ms(r.latency_ms.p95)
                },
                sig(r.throughput_rps),
                format!("{}%", sig(r.error_rate_percent())),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let gates: Vec<_> = a
            .gates
            .iter()
            .filter(|g| g.test_type == o.test_type && g.operation == o.operation)
            .collect();
        let failed: Vec<String> = gates
            .iter()
            .filter(|g| !g.passed && !g.not_evaluated)
            .map(|g| code_span(&g.gate))
            .collect();
        let unevaluated: Vec<String> = gates
            .iter()
            .filter(|g| g.not_evaluated)
            .map(|g| code_span(&g.gate))
            .collect();
        let mut gates_cell = if gates.is_empty() {
            "—".to_string()
        } else if !failed.is_empty() {
            format!("fail: {}", failed.join(", "))
        } else if unevaluated.len() < gates.len() {
            "pass".to_string()
        } else {
            String::new()
        };
        if !unevaluated.is_empty() {
            if !gates_cell.is_empty() {
                gates_cell.push_str("; ");
            }
            gates_cell.push_str(&format!(
                "not evaluated ({}): {}",
                super::words::NOT_MEASURED,
                unevaluated.join(", ")
            ));
        }
        let status = match o.status {
            Status::Critical => "**critical**".to_string(),
            s => s.as_str().to_string(),
        };
        t.row(vec![
            code_span(&o.operation),
            o.test_type.to_string(),
            status,
            p95,
            rps,
            err,
            gates_cell,
        ]);
    }
    out.push_str(&t.to_markdown());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{compare_runs, judge, CompareSettings, JudgeSettings};
    use crate::test_support::{op, record_with, t0};

    #[test]
    fn report_has_comparison_recommendations_and_overview() {
        let base = record_with(vec![
            op("get|items", 100.0, 100.0, 1000, 0),
            op("ok_op", 10.0, 100.0, 1000, 0),
        ]);
        let mut head = record_with(vec![
            op("get|items", 145.0, 100.0, 1000, 0),
            op("ok_op", 10.0, 100.0, 1000, 0),
        ]);
        let c = compare_runs(&base, &head, &CompareSettings::default());
        judge(
            &mut head,
            &JudgeSettings::default(),
            Some(c),
            t0().date_naive(),
        );
        let md = render(&head, None);
        assert!(
            md.starts_with("# Optimization report — suite `default`\n"),
            "{md}"
        );
        assert!(md.contains("**Status: FAIL**"), "{md}");
        assert!(
            md.contains("## Comparison with run run1 on main (0123456)"),
            "{md}"
        );
        assert!(
            md.contains("| `get\\|items` benchmark | p95 | 150 ms | 218 ms | +45% |"),
            "{md}"
        );
        assert!(
            !md.contains("| `ok_op` benchmark | p95"),
            "unchanged rows are not listed: {md}"
        );
        assert!(
            md.contains("### `get\\|items` (benchmark) — critical"),
            "{md}"
        );
        assert!(md.contains("- **high · latency** — P95 latency increased by 45% (150 ms → 218 ms), p = &lt;0.001; also p50 +45%, p99 +45%, avg +45%\n  - The change is between 0123456 and this commit: bisect with `perfgate run`"), "{md}");
        assert!(
            md.contains("| `ok_op` | benchmark | ok | 15 ms | 100 | 0% | pass |"),
            "{md}"
        );
    }

    #[test]
    fn without_analysis_the_report_says_so() {
        let md = render(&record_with(vec![]), None);
        assert!(md.contains("No analysis was run"));
    }
}

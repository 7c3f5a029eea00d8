//! `perfgate analyze --history DIR`: the change points of a branch's history, as text or Markdown.

use std::fmt::Write as _;

use crate::analysis::optimizer::format_p;
use crate::analysis::trend::HistoryChanges;

use super::escape::{code_span, escape_prose};
use super::table::{Align, Table};

fn rows(h: &HistoryChanges, md: bool) -> Table {
    let mut t = Table::new(&[
        ("operation", Align::Left),
        ("metric", Align::Left),
        ("commit", Align::Left),
        ("run", Align::Left),
        ("before", Align::Right),
        ("after", Align::Right),
        ("change", Align::Right),
        ("p", Align::Right),
        ("", Align::Left),
    ]);
    for s in &h.series {
        for c in &s.change_points {
            let sha: String = c.sha.as_deref().unwrap_or("—").chars().take(7).collect();
            let m = s.key.metric;
            t.row(vec![
                if md {
                    format!("{} {}", code_span(&s.key.operation), s.key.test_type)
                } else {
                    format!("{} ({})", s.key.operation, s.key.test_type)
                },
                m.key().to_string(),
                if md { code_span(&sha) } else { sha },
                c.run_id.clone(),
                m.format_value(c.before_mean),
                m.format_value(c.after_mean),
                format!("{:+.1}%", c.magnitude_percent),
                format_p(c.p_value),
                if c.regression {
                    "regression".into()
                } else {
                    "improvement".into()
                },
            ]);
        }
    }
    t
}

/// Plain text: one line per change point.
pub fn to_text(h: &HistoryChanges) -> String {
    let n: usize = h.series.iter().map(|s| s.change_points.len()).sum();
    let mut out = format!(
        "{} in {} series over {}\n",
        super::words::count(n, "change point"),
        h.series.len(),
        super::words::count(h.runs, "run")
    );
    if n > 0 {
        out.push('\n');
        out.push_str(&rows(h, false).to_text(""));
    }
    out
}

/// Markdown: a heading and a table; commit messages are listed below it.
pub fn to_markdown(h: &HistoryChanges) -> String {
    let n: usize = h.series.iter().map(|s| s.change_points.len()).sum();
    let mut out = format!(
        "### Change points\n\n{n} in {} series over {}.\n\n",
        h.series.len(),
        super::words::count(h.runs, "run")
    );
    if n > 0 {
        out.push_str(&rows(h, true).to_markdown());
        let mut msgs: Vec<(String, String)> = h
            .series
            .iter()
            .flat_map(|s| s.change_points.iter())
            .filter_map(|c| {
                Some((
                    c.sha.as_deref()?.chars().take(7).collect(),
                    c.commit_message.clone()?,
                ))
            })
            .collect();
        msgs.sort();
        msgs.dedup();
        if !msgs.is_empty() {
            out.push('\n');
            for (sha, msg) in msgs {
                let _ = writeln!(out, "- {}: {}", code_span(&sha), escape_prose(&msg));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::SeriesKey;
    use crate::analysis::trend::{ChangePointReport, SeriesChanges};
    use crate::metric::Metric;
    use crate::record::TestType;
    use crate::test_support::t0;

    #[test]
    fn renders_each_change_point_with_commit_and_size() {
        let h = HistoryChanges {
            runs: 30,
            settings: None,
            series: vec![SeriesChanges {
                key: SeriesKey {
                    test_type: TestType::Load,
                    operation: "search".into(),
                    metric: Metric::P95,
                },
                runs: 30,
                change_points: vec![ChangePointReport {
                    run_id: "r12".into(),
                    sha: Some("abcdef0123".into()),
                    commit_message: Some("Add *fancy* cache".into()),
                    started_at: t0(),
                    before_mean: 100.0,
                    after_mean: 130.0,
                    magnitude_percent: 30.0,
                    p_value: 0.0001,
                    regression: true,
                }],
            }],
        };
        let text = to_text(&h);
        assert!(
            text.starts_with("1 change point in 1 series over 30 runs"),
            "{text}"
        );
        assert!(
            text.contains(
                "search (load)  p95     abcdef0  r12  100 ms  130 ms  +30.0%  <0.001  regression"
            ),
            "{text}"
        );
        let md = to_markdown(&h);
        assert!(md.contains("| `search` load | p95 | `abcdef0` | r12 | 100 ms | 130 ms | +30.0% | <0.001 | regression |"), "{md}");
        assert!(md.contains("- `abcdef0`: Add \\*fancy\\* cache"), "{md}");
    }
}

//! `perfgate compare BASE HEAD --format md|json|text`: one comparison in three formats.
//!
//! * `json` — the [`Comparison`] itself (stable field names: `rows[].verdict`, `change_percent`, …);
//! * `text` — a headline and an aligned table of every row, for a terminal;
//! * `md` — the headline, a table of the changed rows, every row in a collapsed `<details>`.
//!
//! [`headline`] ("2 regressions, 1 improvement, 37 unchanged") is shared with the PR comment.

use std::fmt::Write as _;
use std::str::FromStr;

use crate::analysis::compare::{Comparison, ComparisonRow, Verdict};
use crate::analysis::optimizer::format_p;
use crate::metric::{sig, Metric};

use super::escape::{code_span, escape_prose};
use super::table::{Align, Table};

/// An output format of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `md`
    Markdown,
    /// `json`
    Json,
    /// `text`
    Text,
}

/// An unknown `--format` value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}`; expected md, json or text")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "text" | "txt" => Ok(Format::Text),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// Renders `c` in `format`.
pub fn render(c: &Comparison, format: Format) -> Vec<u8> {
    match format {
        Format::Markdown => to_markdown(c).into_bytes(),
        Format::Json => to_json(c),
        Format::Text => to_text(c).into_bytes(),
    }
}

/// Pretty JSON with a trailing newline.
pub fn to_json(c: &Comparison) -> Vec<u8> {
    // Plain data with string keys: serialization cannot fail.
    let mut v = serde_json::to_vec_pretty(c).unwrap_or_default();
    v.push(b'\n');
    v
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Operations whose every row has `verdict` (new or missing operations, counted once each).
fn whole_operations(c: &Comparison, verdict: Verdict) -> usize {
    let mut all_match: std::collections::BTreeMap<(crate::record::TestType, &str), bool> =
        Default::default();
    for r in &c.rows {
        let e = all_match
            .entry((r.test_type, r.operation.as_str()))
            .or_insert(true);
        *e &= r.verdict == verdict;
    }
    all_match.values().filter(|v| **v).count()
}

/// "2 regressions (1 acknowledged), 1 improvement, 37 unchanged, 1 new operation": regressions, improvements
/// and unchanged count rows (operation × metric); new and missing count operations.
pub fn headline(c: &Comparison) -> String {
    let n = c.counts();
    let mut parts = Vec::new();
    let mut reg = plural(n.regressed, "regression", "regressions");
    if n.acknowledged > 0 {
        let _ = write!(reg, " ({} acknowledged)", n.acknowledged);
    }
    parts.push(reg);
    parts.push(plural(n.improved, "improvement", "improvements"));
    parts.push(format!("{} unchanged", n.unchanged));
    let new_ops = whole_operations(c, Verdict::New);
    let missing_ops = whole_operations(c, Verdict::Missing);
    if new_ops > 0 {
        parts.push(plural(new_ops, "new operation", "new operations"));
    }
    if missing_ops > 0 {
        parts.push(plural(
            missing_ops,
            "missing operation",
            "missing operations",
        ));
    }
    parts.join(", ")
}

fn value(r: &ComparisonRow, v: Option<f64>) -> String {
    match v {
        Some(v) => r.metric.format_value(v),
        None if r.metric.is_resource() => super::words::NOT_MEASURED.into(),
        None => "—".into(),
    }
}

/// "±3.1%" / "±0.4 pts" / "—".
pub fn noise_text(r: &ComparisonRow) -> String {
    match r.noise_percent {
        Some(n) if r.metric == Metric::ErrorRate => format!("±{} pts", sig(n)),
        Some(n) => format!("±{}%", sig(n)),
        None => "—".into(),
    }
}

/// The minimum detectable change of a history row: "≥12%" ("—" when unknown).
pub fn mdc_text(r: &ComparisonRow) -> String {
    match r.mdc_percent {
        Some(m) if r.metric == Metric::ErrorRate => format!("≥{} pts", sig(m)),
        Some(m) => format!("≥{}%", sig(m)),
        None => "—".into(),
    }
}

/// The verdict cell: "regressed", "regressed (acknowledged)".
pub fn verdict_text(r: &ComparisonRow) -> String {
    match &r.acknowledged {
        Some(_) => format!("{} (acknowledged)", r.verdict.as_str()),
        None => r.verdict.as_str().to_string(),
    }
}

/// Plain text: headline, then every row aligned.
pub fn to_text(c: &Comparison) -> String {
    let mut out = format!("perfgate compare: {} → {}\n", c.base.label, c.head.label);
    let _ = writeln!(out, "{}\n", headline(c));
    let mut t = Table::new(&[
        ("operation", Align::Left),
        ("type", Align::Left),
        ("metric", Align::Left),
        ("base", Align::Right),
        ("head", Align::Right),
        ("change", Align::Right),
        ("noise", Align::Right),
        ("p", Align::Right),
        ("detects", Align::Right),
        ("verdict", Align::Left),
    ]);
    for r in &c.rows {
        let mut cells = vec![r.operation.clone(), r.test_type.to_string()];
        cells.extend(metric_cells(r));
        t.row(cells);
    }
    out.push_str(&t.to_text(""));
    if c.rows.iter().any(|r| r.mdc_percent.is_some()) {
        out.push_str("detects: the smallest change this series' gate catches (80% power, alone in the run)\n");
    }
    for note in &c.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// A Markdown table of `rows`; operation names go through `op_cell` (code span, maybe a link).
pub fn markdown_rows<'a>(
    rows: impl Iterator<Item = &'a ComparisonRow>,
    op_cell: &dyn Fn(&ComparisonRow) -> String,
) -> Table {
    let mut t = Table::new(&[
        ("Operation", Align::Left),
        ("Metric", Align::Left),
        ("Base", Align::Right),
        ("Head", Align::Right),
        ("Change", Align::Right),
        ("Noise", Align::Right),
        ("p", Align::Right),
        ("Detects", Align::Right),
        ("Verdict", Align::Left),
    ]);
    for r in rows {
        let mut cells = vec![op_cell(r)];
        cells.extend(metric_cells(r));
        t.row(cells);
    }
    t
}

/// A row's cells from the metric on: metric, base, head, change, noise, p, detects, verdict.
fn metric_cells(r: &ComparisonRow) -> [String; 8] {
    [
        r.metric.key().into(),
        value(r, r.base),
        value(r, r.head),
        r.change_text(),
        noise_text(r),
        r.p_value.map(format_p).unwrap_or_else(|| "—".into()),
        mdc_text(r),
        verdict_text(r),
    ]
}

/// The default operation cell: `` `name` `` and the schedule.
pub fn plain_op_cell(r: &ComparisonRow) -> String {
    format!("{} {}", code_span(&r.operation), r.test_type)
}

/// Markdown: headline, the changed rows, every row collapsed.
pub fn to_markdown(c: &Comparison) -> String {
    let mut out = format!(
        "### perfgate: {}\n\nBase: {} · Head: {}\n\n",
        escape_prose(&headline(c)),
        escape_prose(&c.base.label),
        escape_prose(&c.head.label)
    );
    let changed = markdown_rows(
        c.rows.iter().filter(|r| r.verdict != Verdict::Unchanged),
        &plain_op_cell,
    );
    if changed.is_empty() {
        let _ = write!(out, "{}\n\n", c.quiet_sentence());
    } else {
        out.push_str(&changed.to_markdown());
        out.push('\n');
    }
    let _ = write!(
        out,
        "<details><summary>All {} rows</summary>\n\n{}\n</details>\n",
        c.rows.len(),
        markdown_rows(c.rows.iter(), &plain_op_cell).to_markdown()
    );
    for note in &c.notes {
        let _ = write!(out, "\n> {}\n", escape_prose(note));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::{compare_runs, CompareSettings};
    use crate::test_support::{op, record_with};

    fn sample() -> Comparison {
        let base = record_with(vec![
            op("a", 100.0, 100.0, 1000, 0),
            op("b", 100.0, 100.0, 1000, 0),
            op("gone", 1.0, 100.0, 1000, 0),
        ]);
        let head = record_with(vec![
            op("a", 100.0, 100.0, 1000, 0),
            op("b", 150.0, 100.0, 1000, 0),
            op("fresh", 1.0, 100.0, 1000, 0),
        ]);
        compare_runs(&base, &head, &CompareSettings::default())
    }

    #[test]
    fn headline_counts_rows_and_whole_operations() {
        assert_eq!(
            headline(&sample()),
            "4 regressions, 0 improvements, 12 unchanged, 1 new operation, 1 missing operation"
        );
    }

    #[test]
    fn formats_parse_and_render() {
        assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
        assert!("xml"
            .parse::<Format>()
            .unwrap_err()
            .to_string()
            .contains("md, json or text"));
        let c = sample();
        let json: serde_json::Value = serde_json::from_slice(&render(&c, Format::Json)).unwrap();
        assert_eq!(json["method"], "two_runs");
        assert!(json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["verdict"] == "regressed" && r["metric"] == "p95"));
        let text = String::from_utf8(render(&c, Format::Text)).unwrap();
        assert!(text.contains("4 regressions"));
        assert!(
            text.lines().any(|l| l.starts_with("b ")
                && l.contains("p95")
                && l.contains("+50%")
                && l.ends_with("regressed")),
            "{text}"
        );
        let md = String::from_utf8(render(&c, Format::Markdown)).unwrap();
        assert!(
            md.contains("| `b` benchmark | p95 | 150 ms | 225 ms | +50% |"),
            "{md}"
        );
        assert!(
            md.contains("<details><summary>All 32 rows</summary>"),
            "{md}"
        );
        let changed_table = md.split("<details>").next().unwrap();
        assert!(
            !changed_table.contains("| `a` benchmark"),
            "unchanged rows only in details: {md}"
        );
    }

    #[test]
    fn history_rows_show_what_the_gate_can_detect() {
        use crate::analysis::baseline::{compare_with_history, HistorySettings};
        let hist: Vec<_> = (0..12)
            .map(|i| {
                let f = 1.0 + 0.02 * ((i * 7 % 5) as f64 - 2.0);
                let mut r = record_with(vec![op("a", 100.0 * f, 100.0, 1000, 0)]);
                r.run_id = format!("h{i}");
                r.started_at = crate::test_support::t0() + chrono::Duration::hours(i);
                r
            })
            .collect();
        let head = record_with(vec![op("a", 101.0, 100.0, 1000, 0)]);
        let c = compare_with_history(&head, &hist, &HistorySettings::default());
        let text = to_text(&c);
        let p95 = text
            .lines()
            .find(|l| l.starts_with("a ") && l.contains(" p95 "))
            .unwrap();
        assert!(p95.contains('≥') && p95.ends_with("unchanged"), "{text}");
        assert!(text.contains("detects: the smallest change"), "{text}");
        let md = to_markdown(&c);
        assert!(md.contains("| Detects |"), "{md}");
    }
}

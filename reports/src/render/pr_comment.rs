//! The sticky pull-request comment.
//!
//! Layout: a hidden marker line (the Action finds and updates its comment by it), the status and the verdict
//! headline ("2 regressions, 1 improvement, 37 unchanged"), failed gates, a table of the **changed rows
//! only**, and everything else — all rows, recommendations, notes — in collapsed `<details>` blocks. Links (the
//! workflow run, the site's operation pages, the base commit) are passed in.
//!
//! GitHub rejects comments over 65,536 characters, so the body is built within a budget: the header, gates and
//! footer always fit; changed rows are added while they fit (then "… and N more"); each `<details>` block is
//! added only if it fits whole. Names from configs are Markdown-escaped; URLs are percent-encoded where they
//! could end a link.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::analysis::compare::{Comparison, ComparisonRow, Verdict};
use crate::analysis::OverallStatus;
use crate::record::RunRecord;

use super::comparison::{headline, markdown_rows};
use super::escape::{code_span, escape_markdown, escape_prose};

/// GitHub's limit on a comment body, in characters.
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// The hidden first line that identifies perfgate's comment for `suite`:
/// `<!-- perfgate:comment suite=NAME -->`. Characters other than letters, digits, `.`, `_` and `-` in the
/// suite name become `_`, so the marker can never close the HTML comment early.
pub fn comment_marker(suite: &str) -> String {
    format!("<!-- perfgate:comment suite={} -->", marker_token(suite))
}

/// `s` with every character other than letters, digits, `.`, `_` and `-` replaced by `_`: safe inside a
/// hidden HTML-comment marker.
pub fn marker_token(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Links shown in the comment; all optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommentLinks {
    /// The workflow run (`https://github.com/o/r/actions/runs/1`).
    pub run_url: Option<String>,
    /// The trend site's home page.
    pub site_url: Option<String>,
    /// The base commit (`https://github.com/o/r/commit/<sha>`).
    pub base_commit_url: Option<String>,
    /// The site's page of each operation, by operation name.
    pub operation_urls: BTreeMap<String, String>,
}

/// Everything the comment is made from.
#[derive(Clone, Debug)]
pub struct CommentInput<'a> {
    /// The suite name (marker and title).
    pub suite: &'a str,
    /// The head run; its `analysis` gives status, gates and recommendations (and the comparison, unless
    /// `comparison` is given).
    pub head: &'a RunRecord,
    /// A comparison to show instead of the one in the head's analysis.
    pub comparison: Option<&'a Comparison>,
    /// Optional links.
    pub links: CommentLinks,
    /// The base run's stress capacity: the head's is shown when it moved from this
    /// ([`crate::capacity::moved`]).
    pub base_capacity: Option<&'a crate::capacity::Capacity>,
}

/// Renders the comment body within [`MAX_COMMENT_CHARS`].
pub fn render(input: &CommentInput<'_>) -> String {
    render_with_limit(input, MAX_COMMENT_CHARS)
}

/// Percent-encodes the characters that would end or break a Markdown link target.
fn url(u: &str) -> String {
    let mut out = String::with_capacity(u.len());
    for c in u.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '"' => out.push_str("%22"),
            '\n' | '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Renders the comment body within `max_chars` characters.
pub fn render_with_limit(input: &CommentInput<'_>, max_chars: usize) -> String {
    let analysis = input.head.analysis.as_ref();
    let comparison = input
        .comparison
        .or(analysis.and_then(|a| a.comparison.as_ref()));
    let status = analysis.map(|a| a.status);
    let links = &input.links;

    // Header (always shown).
    let mut head = comment_marker(input.suite);
    head.push('\n');
    let badge = match status {
        Some(OverallStatus::Fail) => "❌ **fail**",
        Some(OverallStatus::Warn) => "⚠️ **warn**",
        Some(OverallStatus::Pass) => "✅ **pass**",
        None => "**no analysis**",
    };
    let _ = writeln!(
        head,
        "### perfgate · {} — {badge}\n",
        code_span(input.suite)
    );
    if let Some(c) = comparison {
        let mut base = escape_prose(&c.base.label);
        if let Some(u) = &links.base_commit_url {
            base = format!("[{base}]({})", url(u));
        }
        let _ = writeln!(
            head,
            "**{}** compared with {base}.\n",
            escape_prose(&headline(c))
        );
    }
    if let Some(line) = input
        .head
        .stress
        .as_ref()
        .and_then(|s| crate::capacity::moved(input.base_capacity, s.capacity.as_ref()?))
    {
        let _ = writeln!(head, "**Capacity:** {}\n", escape_prose(&line));
    }
    if let Some(a) = analysis {
        let failed: Vec<_> = a.failed_gates().collect();
        if !failed.is_empty() {
            let _ = writeln!(
                head,
                "**{} failed gate{}:**\n",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" }
            );
            for g in failed.iter().take(20) {
                let _ = writeln!(
                    head,
                    "- {} ({}): {}",
                    code_span(&g.operation),
                    g.test_type,
                    escape_prose(&g.message)
                );
            }
            if failed.len() > 20 {
                let _ = writeln!(head, "- … and {} more", failed.len() - 20);
            }
            head.push('\n');
        }
        let unevaluated: Vec<String> = a
            .unevaluated_gates()
            .map(|g| code_span(&g.gate))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !unevaluated.is_empty() {
            let _ = writeln!(
                head,
                "Not evaluated ({}): {}\n",
                super::words::NOT_MEASURED,
                unevaluated.join(", ")
            );
        }
    }

    // Footer (always shown).
    let mut foot = String::new();
    let mut link_parts = Vec::new();
    if let Some(u) = &links.run_url {
        link_parts.push(format!("[workflow run]({})", url(u)));
    }
    if let Some(u) = &links.site_url {
        link_parts.push(format!("[trends]({})", url(u)));
    }
    if let Some(u) = &links.base_commit_url {
        link_parts.push(format!("[base commit]({})", url(u)));
    }
    let _ = write!(
        foot,
        "\n<sub>perfgate · run {} · commit {}",
        code_span(&input.head.run_id),
        code_span(input.head.sha7())
    );
    if input.head.git.dirty {
        // The numbers are of a tree that is not the commit: say so where the commit is named.
        foot.push_str(" + uncommitted changes");
    }
    if !link_parts.is_empty() {
        let _ = write!(foot, " · {}", link_parts.join(" · "));
    }
    foot.push_str("</sub>\n");

    let mut out = head;
    let budget = max_chars.saturating_sub(chars(&foot));
    let op_cell = |r: &ComparisonRow| {
        let name = code_span(&r.operation);
        match links.operation_urls.get(&r.operation) {
            Some(u) => format!("[{name}]({}) {}", url(u), r.test_type),
            None => format!("{name} {}", r.test_type),
        }
    };

    if let Some(c) = comparison {
        // Changed rows: regressions first, then improvements, new, missing.
        let mut changed: Vec<&ComparisonRow> = c
            .rows
            .iter()
            .filter(|r| r.verdict != Verdict::Unchanged)
            .collect();
        changed.sort_by_key(|r| r.verdict);
        if changed.is_empty() {
            push_if_fits(&mut out, &format!("{}\n", c.quiet_sentence()), budget);
        } else {
            let table = markdown_rows(changed.iter().copied(), &op_cell).to_markdown();
            let mut lines = table.lines();
            let header: String = lines.by_ref().take(2).map(|l| format!("{l}\n")).collect();
            let rows: Vec<&str> = lines.collect();
            let reserve = 80; // room for the "… and N more" line
            if chars(&out) + chars(&header) + reserve <= budget {
                out.push_str(&header);
                let mut used = chars(&out);
                let mut shown = 0;
                for row in &rows {
                    let n = chars(row) + 1;
                    if used + n + reserve > budget {
                        break;
                    }
                    out.push_str(row);
                    out.push('\n');
                    used += n;
                    shown += 1;
                }
                if shown < rows.len() {
                    let _ = writeln!(
                        out,
                        "\n… and {} more changed rows (see the workflow run).",
                        rows.len() - shown
                    );
                }
            }
        }
        out.push('\n');
        let all = markdown_rows(c.rows.iter(), &op_cell).to_markdown();
        let block = format!(
            "<details><summary>All {} rows</summary>\n\n{all}\n</details>\n\n",
            c.rows.len()
        );
        push_if_fits(&mut out, &block, budget);
    }
    if let Some(a) = analysis {
        let mut recs = String::new();
        for r in &a.recommendations {
            let _ = writeln!(
                recs,
                "- **{} · {}** — {}",
                r.severity.as_str(),
                r.kind.as_str(),
                escape_prose(&r.message)
            );
        }
        for o in a
            .operations
            .iter()
            .filter(|o| !o.recommendations.is_empty())
        {
            for r in &o.recommendations {
                let _ = writeln!(
                    recs,
                    "- {} ({}) **{} · {}** — {}",
                    code_span(&o.operation),
                    o.status.as_str(),
                    r.severity.as_str(),
                    r.kind.as_str(),
                    escape_prose(&r.message)
                );
            }
        }
        if !recs.is_empty() {
            let block =
                format!("<details><summary>Recommendations</summary>\n\n{recs}\n</details>\n\n");
            push_if_fits(&mut out, &block, budget);
        }
    }
    let mut notes: Vec<String> = Vec::new();
    if let Some(c) = comparison {
        notes.extend(c.notes.iter().cloned());
    }
    notes.extend(input.head.warnings.iter().cloned());
    if !notes.is_empty() {
        let body: String = notes
            .iter()
            .map(|n| format!("- {}\n", escape_markdown(n)))
            .collect();
        let block = format!("<details><summary>Notes</summary>\n\n{body}\n</details>\n");
        push_if_fits(&mut out, &block, budget);
    }
    // The header alone can exceed a tiny limit (tests); cut by characters as a last resort.
    if chars(&out) > budget {
        out = out.chars().take(budget).collect();
    }
    out.push_str(&foot);
    if chars(&out) > max_chars {
        out = out.chars().take(max_chars).collect();
    }
    out
}

fn push_if_fits(out: &mut String, block: &str, budget: usize) {
    if chars(out) + chars(block) <= budget {
        out.push_str(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::{compare_runs, CompareSettings};
    use crate::analysis::{judge, JudgeSettings};
    use crate::record::OperationResult;
    use crate::test_support::{op, record_with, t0};

    fn head_with(ops_base: Vec<OperationResult>, ops_head: Vec<OperationResult>) -> RunRecord {
        let base = record_with(ops_base);
        let mut head = record_with(ops_head);
        let c = compare_runs(&base, &head, &CompareSettings::default());
        judge(
            &mut head,
            &JudgeSettings::default(),
            Some(c),
            t0().date_naive(),
        );
        head
    }

    fn input(head: &RunRecord) -> CommentInput<'_> {
        CommentInput {
            base_capacity: None,
            suite: "api",
            head,
            comparison: None,
            links: CommentLinks::default(),
        }
    }

    #[test]
    fn a_run_of_a_dirty_work_tree_says_so_next_to_its_commit() {
        let mut head = head_with(
            vec![op("a", 10.0, 100.0, 100, 0)],
            vec![op("a", 10.0, 100.0, 100, 0)],
        );
        assert!(!render(&input(&head)).contains("uncommitted"));
        head.git.dirty = true;
        let body = render(&input(&head));
        assert!(body.contains("+ uncommitted changes"), "{body}");
    }

    #[test]
    fn marker_is_first_and_cannot_be_broken() {
        assert_eq!(comment_marker("api"), "<!-- perfgate:comment suite=api -->");
        assert_eq!(
            comment_marker("a b-->c"),
            "<!-- perfgate:comment suite=a_b--_c -->"
        );
        let head = head_with(
            vec![op("a", 10.0, 100.0, 100, 0)],
            vec![op("a", 10.0, 100.0, 100, 0)],
        );
        let body = render(&input(&head));
        assert!(
            body.starts_with("<!-- perfgate:comment suite=api -->\n"),
            "{body}"
        );
    }

    #[test]
    fn shows_headline_changed_rows_and_collapses_the_rest() {
        let head = head_with(
            vec![
                op("search", 100.0, 100.0, 1000, 0),
                op("list", 10.0, 100.0, 1000, 0),
            ],
            vec![
                op("search", 400.0, 100.0, 1000, 0),
                op("list", 10.0, 100.0, 1000, 0),
            ],
        );
        let mut inp = input(&head);
        inp.links.run_url = Some("https://github.com/o/r/actions/runs/1".into());
        inp.links.base_commit_url = Some("https://github.com/o/r/commit/abc".into());
        inp.links.operation_urls.insert(
            "search".into(),
            "https://o.github.io/r/ops/search (1).html".into(),
        );
        let body = render(&inp);
        assert!(body.contains("❌ **fail**"), "{body}");
        assert!(body.contains("**4 regressions, 0 improvements, 12 unchanged** compared with [run run1 on main (0123456)](https://github.com/o/r/commit/abc)."), "{body}");
        assert!(body.contains("**1 failed gate:**"), "{body}");
        assert!(body.contains("| [`search`](https://o.github.io/r/ops/search%20%281%29.html) benchmark | p95 | 150 ms | 600 ms | +300% |"), "{body}");
        let before_details = body.split("<details>").next().unwrap();
        assert!(
            !before_details.contains("`list`"),
            "unchanged rows only in details"
        );
        assert!(body.contains("<details><summary>All 16 rows</summary>"));
        assert!(body.contains("<details><summary>Recommendations</summary>"));
        assert!(body.contains("[workflow run](https://github.com/o/r/actions/runs/1)"));
    }

    #[test]
    fn names_are_escaped() {
        let head = head_with(
            vec![op("a|b *x* @team <i>", 10.0, 100.0, 100, 0)],
            vec![op("a|b *x* @team <i>", 50.0, 100.0, 100, 0)],
        );
        let body = render(&input(&head));
        assert!(
            body.contains("`a\\|b *x* @team <i>`"),
            "code spans keep names literal, pipes escaped: {body}"
        );
        assert!(!body.contains("<i>a"), "{body}");
        assert!(!body.contains("| a|b"), "{body}");
    }

    #[test]
    fn the_body_never_exceeds_65536_characters() {
        // 3000 operations with long names, all regressed: far beyond the limit uncapped.
        let name = |i: usize| format!("operation_with_a_rather_long_name_number_{i:05}_é");
        let base: Vec<_> = (0..3000)
            .map(|i| op(&name(i), 10.0, 100.0, 100, 0))
            .collect();
        let head_ops: Vec<_> = (0..3000)
            .map(|i| op(&name(i), 20.0, 100.0, 100, 0))
            .collect();
        let head = head_with(base, head_ops);
        let body = render(&input(&head));
        assert!(
            body.chars().count() <= MAX_COMMENT_CHARS,
            "{}",
            body.chars().count()
        );
        assert!(body.chars().count() > 60_000, "uses the room it has");
        assert!(body.starts_with("<!-- perfgate:comment suite=api -->"));
        assert!(body.contains("more changed rows (see the workflow run)"));
        assert!(body.trim_end().ends_with("</sub>"), "footer survives");
        assert!(
            !body.contains("<details><summary>All"),
            "a block that does not fit whole is left out"
        );
        // A small limit is honoured too.
        let small = render_with_limit(&input(&head), 2000);
        assert!(small.chars().count() <= 2000);
    }
}

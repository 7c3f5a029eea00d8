//! Markdown escaping for text that comes from users: operation names, error samples, reasons.
//!
//! Names end up inside GitHub-flavoured Markdown (PR comments, job summaries, reports). Escaping keeps a name
//! like `get_*_items|v2` from turning into emphasis or breaking a table row, keeps `<script>` from becoming
//! HTML, and keeps `@team` from pinging a team.

/// Escapes `s` for use inside Markdown text and table cells: backslash-escapes the characters that make
/// emphasis, code, links, strikethrough and table cells (backslash, backtick, `*`, `_`, `[`, `]`, `~`, `|`), turns
/// `<`, `>` and `&` into entities, breaks `@mentions` with a zero-width space and folds newlines into spaces.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@\u{200b}"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes perfgate's own prose (recommendations, reasons) that may quote user text: like
/// [`escape_markdown`] but keeps backticks and underscores, so the code spans perfgate writes (`` `--shard 1/N` ``,
/// `PERFORMANCE_ENABLE_TRACING`) still render. GitHub does not emphasize intraword underscores.
pub fn escape_prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '*' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@\u{200b}"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Puts `s` in an inline code span that survives any backticks inside it, for table cells. `|` is still
/// escaped (GitHub splits table cells on it even inside code).
pub fn code_span(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", clean.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_specials_are_neutralized() {
        assert_eq!(escape_markdown("get_*_items|v2"), "get\\_\\*\\_items\\|v2");
        assert_eq!(escape_markdown("<script>"), "&lt;script&gt;");
        assert_eq!(escape_markdown("ping @team"), "ping @\u{200b}team");
        assert_eq!(escape_markdown("a\nb"), "a b");
        assert_eq!(escape_markdown("plain name"), "plain name");
    }

    #[test]
    fn prose_keeps_code_spans() {
        assert_eq!(
            escape_prose("use `--shard 1/N` on a|b"),
            "use `--shard 1/N` on a\\|b"
        );
        assert_eq!(escape_prose("MY_VAR <x>"), "MY_VAR &lt;x&gt;");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code_span("search"), "`search`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x`"), "`` `x` ``");
        assert_eq!(code_span("a|b"), "`a\\|b`");
    }
}

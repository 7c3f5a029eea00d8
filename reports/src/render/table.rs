//! Tables for the text outputs (aligned columns, as on a terminal) and for Markdown.
//!
//! The text summary, the stdout table and the Markdown reports all show operations in rows; this keeps column
//! alignment (numbers right-aligned, text left-aligned, widths by characters, not bytes) in one place.

use super::escape::escape_markdown;

/// How a column is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table of strings with a header row.
#[derive(Clone, Debug, Default)]
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(headers: &[(&str, Align)]) -> Self {
        Self {
            headers: headers.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are empty, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells = cells;
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Aligned plain text, each line prefixed by `indent`, columns two spaces apart, no trailing spaces.
    pub fn to_text(&self, indent: &str) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|(h, _)| h.chars().count())
            .collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let mut s = String::from(indent);
            for (i, c) in cells.iter().enumerate() {
                let pad = widths[i] - c.chars().count();
                let last = i + 1 == n;
                match self.headers[i].1 {
                    Align::Left => {
                        s.push_str(c);
                        if !last {
                            s.push_str(&" ".repeat(pad));
                        }
                    }
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                }
                if !last {
                    s.push_str("  ");
                }
            }
            s.trim_end().to_string() + "\n"
        };
        let mut out = line(self.headers.iter().map(|(h, _)| h.as_str()).collect());
        for r in &self.rows {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out
    }

    /// A GitHub-flavoured Markdown table. Header cells are escaped; body cells are taken as Markdown (escape
    /// user text with [`escape_markdown`] before adding it).
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("|");
        for (h, _) in &self.headers {
            out.push(' ');
            out.push_str(&escape_markdown(h));
            out.push_str(" |");
        }
        out.push_str("\n|");
        for (_, a) in &self.headers {
            out.push_str(match a {
                Align::Left => " :--- |",
                Align::Right => " ---: |",
            });
        }
        out.push('\n');
        for r in &self.rows {
            out.push('|');
            for c in r {
                out.push(' ');
                out.push_str(c);
                out.push_str(" |");
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_columns_align_by_characters() {
        let mut t = Table::new(&[("operation", Align::Left), ("p95", Align::Right)]);
        t.row(vec!["µ-op".into(), "1.2 ms".into()]);
        t.row(vec!["search".into(), "12.3 ms".into()]);
        assert_eq!(
            t.to_text("  "),
            "  operation      p95\n  µ-op        1.2 ms\n  search     12.3 ms\n"
        );
    }

    #[test]
    fn markdown_has_alignment_row() {
        let mut t = Table::new(&[("Op", Align::Left), ("p95", Align::Right)]);
        t.row(vec!["a".into()]);
        assert_eq!(t.to_markdown(), "| Op | p95 |\n| :--- | ---: |\n| a |  |\n");
    }
}

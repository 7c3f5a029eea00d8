//! GitHub Actions' file and stdout protocols: step outputs, the job summary and annotations.
//!
//! A step talks to the runner by appending to the files named in `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`
//! and by printing `::warning ::`/`::error ::` lines. Values are written so that no content can forge
//! another output or command: outputs use the multi-line `name<<DELIMITER` form with a random delimiter that
//! is checked not to occur in the value, and annotation text is percent-escaped as the runner expects
//! (`%`, `\r`, `\n`, and in properties also `:` and `,`).

use std::io::Write as _;
use std::path::Path;

use rand::Rng as _;

use perfgate::error::{Error, Result};

/// The severity of an annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Notice,
    Warning,
    Error,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Notice => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`title=…`) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation line, e.g. `::warning title=perfgate regression::search p95 +45%25`.
pub fn annotation(level: Level, title: &str, message: &str) -> String {
    format!(
        "::{} title={}::{}",
        level.command(),
        escape_property(title),
        escape_data(message)
    )
}

/// Appends `name=value` to the `GITHUB_OUTPUT` file in the multi-line form, which is safe for any value.
pub fn append_output(path: &Path, name: &str, value: &str) -> Result<()> {
    let delimiter = loop {
        let d = format!("perfgate_{:016x}", rand::rng().random::<u64>());
        if !value.contains(&d) {
            break d;
        }
    };
    append(
        path,
        format!("{name}<<{delimiter}\n{value}\n{delimiter}\n").as_bytes(),
    )
}

/// Appends Markdown to the job summary (`GITHUB_STEP_SUMMARY`).
pub fn append_summary(path: &Path, markdown: &str) -> Result<()> {
    let mut text = markdown.trim_end().to_string();
    text.push_str("\n\n");
    append(path, text.as_bytes())
}

fn append(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))
}

/// Parses a `GITHUB_OUTPUT` file back into `(name, value)` pairs (both forms); used by tests and by
/// `perfgate action` to check what it wrote.
pub fn parse_outputs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            out.push((name.to_string(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            out.push((name.to_string(), value.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_text_cannot_start_another_command() {
        let line = annotation(
            Level::Warning,
            "p95: search, GET",
            "up 45%\n::error::forged",
        );
        assert_eq!(
            line,
            "::warning title=p95%3A search%2C GET::up 45%25%0A::error::forged"
        );
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn outputs_round_trip_any_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        append_output(&p, "status", "pass").unwrap();
        append_output(&p, "evil", "a\nregressions=99\nb").unwrap();
        append_output(&p, "empty", "").unwrap();
        let parsed = parse_outputs(&std::fs::read_to_string(&p).unwrap());
        assert_eq!(
            parsed,
            vec![
                ("status".into(), "pass".into()),
                ("evil".into(), "a\nregressions=99\nb".into()),
                ("empty".into(), "".into()),
            ]
        );
    }

    #[test]
    fn summary_appends_paragraphs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.md");
        append_summary(&p, "# one\n").unwrap();
        append_summary(&p, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "# one\n\ntwo\n\n");
    }
}

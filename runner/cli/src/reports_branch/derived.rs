//! Derived files: everything on the reports branch that is computed from the run files.
//!
//! After every change to `runs/` the publisher recomputes, from the runs that are on the branch:
//! `index.json` (always, by [`perfgate_reports::index`]) and whatever a [`SiteHook`] returns (the trend
//! site, rendered by `perfgate-web`; the publisher does not know how). The paths a hook produced are listed in
//! [`MANIFEST_FILE`], so that a page the hook stops producing (an operation was renamed, its runs were
//! pruned) is deleted on the next publish, while files the user put at the root themselves (`CNAME`, a
//! README) are never touched.

use perfgate_reports::layout::{is_run_file, INDEX_FILE, RUNS_DIR};
use perfgate_reports::History;

/// Lists the paths the site hook wrote last time, one per line.
pub const MANIFEST_FILE: &str = ".perfgate/derived-files";

/// A file to write at the branch root: `path` is relative (`index.html`, `ops/search.html`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Renders files derived from the whole history (the trend site). Called on every publish, after a push
/// race too, with every readable run on the new tip (and the files that were skipped).
///
/// Implemented for closures `Fn(&History) -> Result<Vec<DerivedFile>, String>`.
pub trait SiteHook: Send + Sync {
    /// The files to write at the branch root. An error aborts the publish (nothing is pushed).
    fn render(&self, history: &History) -> Result<Vec<DerivedFile>, String>;
}

impl<F> SiteHook for F
where
    F: Fn(&History) -> Result<Vec<DerivedFile>, String> + Send + Sync,
{
    fn render(&self, history: &History) -> Result<Vec<DerivedFile>, String> {
        self(history)
    }
}

/// Why a hook's path was refused.
pub fn check_derived_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.starts_with('/') || path.contains('\\') {
        return Err("paths must be relative and use '/'".into());
    }
    if path.chars().any(|c| c.is_control()) {
        return Err("paths must not contain control characters".into());
    }
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err("paths must not contain empty, '.' or '..' segments".into());
    }
    if path == INDEX_FILE || path == MANIFEST_FILE || path == ".perfgate" {
        return Err(format!("{path} is written by the publisher itself"));
    }
    if is_run_file(path) || path == RUNS_DIR {
        return Err(
            "runs/**/*.json are run files (the site may put pages such as runs/<id>.html there)"
                .into(),
        );
    }
    if path.starts_with(".perfgate/") {
        return Err(".perfgate/ is reserved for the publisher's state".into());
    }
    if path == ".git" || path.starts_with(".git/") {
        return Err(".git is not a file git can store".into());
    }
    Ok(())
}

/// Parses the manifest (one path per line; blank lines ignored).
pub fn parse_manifest(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && check_derived_path(l).is_ok())
        .map(String::from)
        .collect()
}

/// The manifest for a set of paths (sorted, one per line).
pub fn manifest_bytes(paths: &[&str]) -> Vec<u8> {
    let mut sorted: Vec<&str> = paths.to_vec();
    sorted.sort_unstable();
    let mut out = String::new();
    for p in sorted {
        out.push_str(p);
        out.push('\n');
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_escaping_paths_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "./x",
            "a//b",
            "runs/2026/x.json",
            "runs",
            "index.json",
            ".perfgate/derived-files",
            ".git/config",
            "a\\b",
            "new\nline",
        ] {
            assert!(
                check_derived_path(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        for ok in [
            "index.html",
            "ops/search.html",
            ".nojekyll",
            "assets/app.css",
            "CNAME",
        ] {
            assert!(check_derived_path(ok).is_ok(), "{ok:?} should be allowed");
        }
    }

    #[test]
    fn manifest_round_trips_sorted_and_drops_bad_lines() {
        let bytes = manifest_bytes(&["b.html", "a.html"]);
        assert_eq!(bytes, b"a.html\nb.html\n");
        assert_eq!(
            parse_manifest(b"a.html\n\n../x\nb.html\n"),
            ["a.html", "b.html"]
        );
    }

    #[test]
    fn closures_are_hooks() {
        let hook = |h: &History| {
            Ok(vec![DerivedFile {
                path: "count.txt".into(),
                bytes: h.runs.len().to_string().into_bytes(),
            }])
        };
        let files = SiteHook::render(&hook, &History::default()).expect("renders");
        assert_eq!(files[0].bytes, b"0");
    }
}

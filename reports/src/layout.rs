//! Where things live on the reports branch.
//!
//! The branch is perfgate's database, so its layout is a contract shared by the publisher, the history
//! reader, retention and the site: one immutable file per run at
//! `runs/YYYY/MM/<timestamp>-<sha7>-<runid>.json` (so concurrent publishers never write the same path), and
//! derived files such as [`INDEX_FILE`] at the root (regenerated from the run files, never appended to).
//! The timestamp in the name is the run's start in UTC (`20261127T100000Z`): names sort by time and
//! retention can age a file from its name alone, even when its content is unreadable.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::record::RunRecord;

/// Folder of the run files.
pub const RUNS_DIR: &str = "runs";
/// The derived index of every run, at the branch root.
pub const INDEX_FILE: &str = "index.json";
/// `strftime` form of the timestamp that starts every run file name.
pub const TIMESTAMP_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const TIMESTAMP_LEN: usize = 16;

/// The branch-relative path of a record's file, e.g. `runs/2026/11/20261127T100000Z-0123456-r1.json`.
///
/// Characters outside `[A-Za-z0-9_-]` in the SHA or run id become `_`, so a record from outside can never
/// name a path outside its folder.
pub fn run_file_path(rec: &RunRecord) -> String {
    let t = rec.started_at;
    let run_id = if rec.run_id.is_empty() {
        "run".to_string()
    } else {
        sanitize(&rec.run_id)
    };
    format!(
        "{RUNS_DIR}/{}/{}-{}-{}.json",
        t.format("%Y/%m"),
        t.format(TIMESTAMP_FORMAT),
        sanitize(rec.sha7()),
        run_id
    )
}

/// The bytes of a run file on the branch: compact JSON and a newline. Run files are immutable and read by
/// programs (history, the site, `jq`), so indentation — a third of a pretty record — is not worth its space.
pub fn run_file_bytes(rec: &RunRecord) -> Vec<u8> {
    // Plain data with string keys: serialization cannot fail.
    let mut out = serde_json::to_vec(rec).unwrap_or_default();
    out.push(b'\n');
    out
}

/// True for a path under `runs/` ending in `.json` (the files the history reads).
pub fn is_run_file(path: &str) -> bool {
    path.starts_with("runs/") && path.ends_with(".json")
}

/// The start time encoded in a run file's name; `None` when the name does not follow the layout.
pub fn time_from_run_file_name(path: &str) -> Option<DateTime<Utc>> {
    let name = path.rsplit('/').next()?;
    let stamp = name.get(..TIMESTAMP_LEN)?;
    NaiveDateTime::parse_from_str(stamp, TIMESTAMP_FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_fixtures::record_at;

    #[test]
    fn path_has_month_folders_timestamp_sha_and_id() {
        let mut r = record_at("r1", "2026-11-27T10:00:00Z", "main", "fp");
        r.git.sha = Some("0123456789abcdef".into());
        let p = run_file_path(&r);
        assert_eq!(p, "runs/2026/11/20261127T100000Z-0123456-r1.json");
        assert!(is_run_file(&p));
        assert_eq!(time_from_run_file_name(&p), Some(r.started_at));
    }

    #[test]
    fn hostile_ids_cannot_escape_the_folder() {
        let mut r = record_at("../../etc/passwd", "2026-01-02T03:04:05Z", "main", "fp");
        r.git.sha = None;
        let p = run_file_path(&r);
        assert_eq!(
            p,
            "runs/2026/01/20260102T030405Z-nogit-______etc_passwd.json"
        );
        assert_eq!(p.matches('/').count(), 3);
    }

    #[test]
    fn names_outside_the_layout_have_no_time() {
        assert_eq!(time_from_run_file_name("runs/2026/11/broken.json"), None);
        assert_eq!(time_from_run_file_name(""), None);
        assert!(!is_run_file("index.json"));
        assert!(!is_run_file("runs/2026/11/x.txt"));
    }
}

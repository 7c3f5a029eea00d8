//! Writing reports to disk: the file names users know, written atomically.
//!
//! Files go to `performance_results/` (or `--output-dir`) with the original framework's names and a
//! `YYYYmmdd_HHMMSS` stamp, plus `metrics_<ts>.prom` (Prometheus text format) and perfgate's `run_<ts>.json`.
//! The stamp is followed by the run id (`benchmark_results_20261127_090503_<runid>.json`), so runs started in
//! the same second — quick runs one after another, or concurrent ones into one folder — never overwrite each
//! other; a run id that is already there (one given twice with `PERFGATE_RUN_ID`) gets `-2`, `-3`, ….
//! Each file is written to a temporary name in the same directory and renamed, so a reader (or a CI artifact
//! upload, or node_exporter's textfile collector) never sees half a file; temporary files left by a process
//! that died mid-write (SIGKILL) are removed by the next run. The directory is checked before the run starts:
//! a run that cannot save its results should fail in a second, not after ten minutes.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use perfgate_reports::record::RunRecord;

use crate::error::{Error, Result};

/// The `<ts>` of file names.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%d_%H%M%S").to_string()
}

/// The part of every file name after the prefix: `<ts>_<runid>` (`-s<index>` for a shard), made unique in
/// `dir` by a counter when a run with this id already wrote there.
pub fn file_stem(dir: &Path, record: &RunRecord) -> String {
    let id: String = record
        .run_id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut base = format!("{}_{id}", stamp(record.started_at));
    if let Some(shard) = &record.shard {
        base.push_str(&format!("-s{}", shard.index));
    }
    let taken = |stem: &str| dir.join(format!("run_{stem}.json")).exists();
    if !taken(&base) {
        return base;
    }
    (2u32..)
        .map(|n| format!("{base}-{n}"))
        .find(|stem| !taken(stem))
        .unwrap_or(base)
}

/// Removes temporary files (`.NAME.tmp-PID`, `.perfgate-write-test-PID`) whose writer is no longer running:
/// what a process killed mid-write leaves behind. A file of a live process (a concurrent run) is kept.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            continue;
        }
        let pid = name
            .rsplit_once(".tmp-")
            .or_else(|| name.rsplit_once(".perfgate-write-test-"))
            .and_then(|(_, pid)| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !process_alive(pid) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Whether process `pid` exists (a signal 0 probe). Elsewhere than Unix: assumed alive, nothing is removed.
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Creates the directory, proves it is writable, and removes temporary files of dead writers.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::Usage(format!(
            "output directory {}: {e} (set --output-dir)",
            dir.display()
        ))
    })?;
    let probe = dir.join(format!(".perfgate-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        Error::Usage(format!(
            "output directory {} is not writable: {e} (set --output-dir)",
            dir.display()
        ))
    })?;
    let _ = std::fs::remove_file(probe);
    remove_stale_temp_files(dir);
    Ok(())
}

/// Writes `bytes` to `path` atomically (temp file + rename in the same directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// What was written for a run.
#[derive(Debug, Default, Clone)]
pub struct WrittenFiles {
    pub files: Vec<PathBuf>,
    pub run_record: Option<PathBuf>,
}

/// The per-section JSON files keep the seed's shape: a small header and the section's results.
fn section_json(record: &RunRecord, test_type: &str, body: serde_json::Value) -> Vec<u8> {
    let value = serde_json::json!({
        "test_type": test_type,
        "run_id": record.run_id,
        "suite": record.suite,
        "timestamp": record.started_at,
        "git_sha": record.git.sha,
        "environment": record.environment,
        "results": body,
    });
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Writes every report file of a run into `dir`.
pub fn write_run(
    dir: &Path,
    record: &RunRecord,
    optimization_report_md: &str,
    summary_txt: &str,
) -> Result<WrittenFiles> {
    let ts = file_stem(dir, record);
    let mut written = WrittenFiles::default();
    let mut put = |name: String, bytes: &[u8]| -> Result<PathBuf> {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        written.files.push(path.clone());
        Ok(path)
    };
    if let Some(b) = &record.benchmark {
        put(
            format!("benchmark_results_{ts}.json"),
            &section_json(
                record,
                "benchmark",
                serde_json::to_value(&b.operations).unwrap_or_default(),
            ),
        )?;
    }
    if let Some(l) = &record.load {
        put(
            format!("load_results_{ts}.json"),
            &section_json(record, "load", serde_json::to_value(l).unwrap_or_default()),
        )?;
    }
    if let Some(s) = &record.stress {
        put(
            format!("stress_results_{ts}.json"),
            &section_json(
                record,
                "stress",
                serde_json::to_value(s).unwrap_or_default(),
            ),
        )?;
    }
    put(
        format!("optimization_report_{ts}.md"),
        optimization_report_md.as_bytes(),
    )?;
    put(
        format!("performance_summary_{ts}.txt"),
        summary_txt.as_bytes(),
    )?;
    // node_exporter's textfile-collector format; `suite` tells several suites' files apart in one directory.
    put(
        format!("metrics_{ts}.prom"),
        perfgate_reports::render::prometheus::render(record, &[("suite", record.suite.clone())])
            .as_bytes(),
    )?;
    let run = put(format!("run_{ts}.json"), &record.to_json_pretty())?;
    written.run_record = Some(run);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn unwritable_dir_is_a_usage_error_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = prepare_dir(&file.join("sub")).unwrap_err();
        assert_eq!(err.exit_status(), crate::ExitStatus::Usage);
        assert!(err.to_string().contains("--output-dir"), "{err}");
    }

    fn record(run_id: &str) -> RunRecord {
        let at = DateTime::parse_from_rfc3339("2026-11-27T09:05:03Z")
            .unwrap()
            .with_timezone(&Utc);
        RunRecord {
            schema: perfgate_reports::record::SCHEMA.into(),
            run_id: run_id.into(),
            suite: "s".into(),
            test_type: "benchmark".into(),
            started_at: at,
            finished_at: at,
            git: Default::default(),
            environment: Default::default(),
            config_digest: String::new(),
            shard: None,
            benchmark: None,
            load: None,
            stress: None,
            analysis: None,
            system: Default::default(),
            targets: vec![],
            warnings: vec![],
            incomplete: None,
        }
    }

    #[test]
    fn runs_in_the_same_second_get_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_run(dir.path(), &record("a1b2c3"), "md", "txt").unwrap();
        let b = write_run(dir.path(), &record("d4e5f6"), "md", "txt").unwrap();
        let again = write_run(dir.path(), &record("d4e5f6"), "md", "txt").unwrap();
        let name = |w: &WrittenFiles| {
            w.run_record
                .as_ref()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        assert_eq!(name(&a), "run_20261127_090503_a1b2c3.json");
        assert_eq!(name(&b), "run_20261127_090503_d4e5f6.json");
        assert_eq!(name(&again), "run_20261127_090503_d4e5f6-2.json");
        let count = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(count, a.files.len() * 3, "nothing overwritten");
        let odd = file_stem(dir.path(), &record("gh/1 2"));
        assert_eq!(odd, "20261127_090503_gh-1-2");
    }

    #[cfg(unix)]
    #[test]
    fn temp_files_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A child that has exited (and been reaped): its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!(".run_x.json.tmp-{dead}"));
        let probe = dir.path().join(format!(".perfgate-write-test-{dead}"));
        let live = dir.path().join(format!(
            ".run_y.json.tmp-{}",
            std::os::unix::process::parent_id()
        ));
        let other = dir.path().join(".keep.tmp-notapid");
        for p in [&stale, &probe, &live, &other] {
            std::fs::write(p, b"partial").unwrap();
        }
        prepare_dir(dir.path()).unwrap();
        assert!(!stale.exists() && !probe.exists(), "stale files removed");
        assert!(live.exists() && other.exists(), "others kept");
    }

    #[test]
    fn stamp_format() {
        let t = DateTime::parse_from_rfc3339("2026-11-27T09:05:03Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(stamp(t), "20261127_090503");
    }
}

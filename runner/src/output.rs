//! Writing reports to disk: the file names users know, written atomically.
//!
//! Files go to `performance_results/` (or `--output-dir`) with the original framework's names and a
//! `YYYYmmdd_HHMMSS` stamp, plus `metrics_<ts>.prom` (Prometheus text format) and perfgate's `run_<ts>.json`.
//! Each file is written to a temporary name in the same directory and renamed, so a reader (or a CI artifact
//! upload, or node_exporter's textfile collector) never sees half a file. The directory is checked before the run starts:
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

/// Creates the directory and proves it is writable.
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
    let ts = stamp(record.started_at);
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

    #[test]
    fn stamp_format() {
        let t = DateTime::parse_from_rfc3339("2026-11-27T09:05:03Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(stamp(t), "20261127_090503");
    }
}

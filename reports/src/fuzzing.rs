//! Entry points for the fuzz targets in `fuzz/` and for replaying the inputs they found.
//!
//! Each function feeds arbitrary bytes to one reader of outside input and, when the reader accepts them,
//! exercises what callers do next (percentiles, merging, writing back out, history and analysis), so a
//! value that passes the reader but breaks a later step is found too. They must never panic or abort;
//! the fuzz targets and `tests/fuzz_regressions.rs` call exactly these.

use chrono::{DateTime, Utc};

use crate::histogram::LatencyHistogram;
use crate::import::ImportContext;
use crate::record::RunRecord;

/// The histogram decoder, on raw bytes and on the bytes read as base64 text.
pub fn histogram(data: &[u8]) {
    let decoded = [
        LatencyHistogram::from_v2_bytes(data).ok(),
        std::str::from_utf8(data)
            .ok()
            .and_then(|t| LatencyHistogram::from_base64(t).ok()),
    ];
    for h in decoded.into_iter().flatten() {
        let _ = h.summary();
        let _ = h.percentile_distribution(5);
        let mut ours = LatencyHistogram::new();
        ours.record_us(1_000);
        ours.merge(&h);
        let _ = ours.summary();
        let back = LatencyHistogram::from_base64(&h.to_base64());
        assert!(
            back.is_ok(),
            "a decoded histogram encodes to something readable"
        );
    }
}

/// The run-record reader, then the history and analysis every reader of a folder of records runs.
pub fn run_record(data: &[u8]) {
    let Ok(record) = RunRecord::from_json_slice(data, "fuzz.json") else {
        return;
    };
    let json = record.to_json_pretty();
    assert!(
        RunRecord::from_json_slice(&json, "again.json").is_ok(),
        "a record perfgate read, it can read again once written"
    );
    let history = crate::History::from_files([
        ("fuzz.json".to_string(), data.to_vec()),
        ("written.json".to_string(), json),
    ]);
    let _ = history.series();
    let _ = crate::index::Index::build(&history).to_json_bytes();
}

/// The reports branch index reader.
pub fn index(data: &[u8]) {
    if let Ok(index) = crate::index::Index::from_json_slice(data, "index.json") {
        let _ = index.to_json_bytes();
    }
}

fn context() -> ImportContext {
    ImportContext {
        source: "fuzz.json".into(),
        run_id: "fuzz".into(),
        started_at: DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        suite: "fuzz".into(),
        operation: "op".into(),
        concurrency: Some(4),
        environment: Default::default(),
        git: Default::default(),
    }
}

fn imported(record: Result<RunRecord, crate::import::ImportError>) {
    if let Ok(record) = record {
        let json = record.to_json_pretty();
        assert!(
            RunRecord::from_json_slice(&json, "imported.json").is_ok(),
            "an imported record is a readable record"
        );
    }
}

/// The oha importer.
pub fn import_oha(data: &[u8]) {
    imported(crate::import::oha::import(data, &context()));
}

/// The k6 importer.
pub fn import_k6(data: &[u8]) {
    imported(crate::import::k6::import(data, &context()));
}

/// Every microbenchmark reader (`perfgate ingest`): the first byte picks the format, the rest is the input;
/// an accepted record also goes through history and the index, as a published one would.
pub fn ingest(data: &[u8]) {
    use crate::import::{bmf, criterion, gbench, go, hyperfine, jmh, libtest, pytest_benchmark};
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let ctx = context();
    let record = match which % 11 {
        0 => libtest::import(rest, &ctx),
        1 => go::import(rest, &ctx),
        2 => pytest_benchmark::import(rest, &ctx),
        3 => hyperfine::import(rest, &ctx),
        4 => jmh::import(rest, &ctx),
        5 => gbench::import(rest, &ctx),
        6 => bmf::import_bmf(rest, &ctx),
        7 => bmf::import_gab(rest, &ctx, which & 0x80 != 0),
        8 => criterion::import_messages(rest, &ctx),
        _ => {
            // The tree: benchmark.json and sample.json split at the first NUL byte.
            let (b, s) = match rest.iter().position(|&c| c == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &b""[..]),
            };
            criterion::import_tree(
                &[criterion::TreeEntry {
                    dir: "fuzz/new".into(),
                    benchmark_json: b.to_vec(),
                    sample_json: s.to_vec(),
                }],
                &ctx,
            )
        }
    };
    if let Ok(record) = record {
        let json = record.to_json_pretty();
        assert!(
            RunRecord::from_json_slice(&json, "ingested.json").is_ok(),
            "an ingested record is a readable record"
        );
        let history = crate::History::from_files([("ingested.json".to_string(), json)]);
        let _ = history.series();
        let _ = crate::index::Index::build(&history).to_json_bytes();
    }
}

/// The inputs kept for a fuzz target, sorted by path: every file of `fuzz/<kind>/<target>/` (`kind` is
/// `regressions` or `seeds`) under the workspace root `root`, but `.gitkeep`. For the regression tests that
/// replay them under `cargo test`; panics (a test helper) when the folder cannot be read.
pub fn kept_inputs(root: &std::path::Path, kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = root.join("fuzz").join(kind).join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_none_or(|n| n != ".gitkeep"))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p.display().to_string(), bytes)
        })
        .collect();
    out.sort();
    out
}

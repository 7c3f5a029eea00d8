//! Exports of a run to other tools' formats, so teams keep their dashboards while they adopt perfgate.
//!
//! One module per format, each a pure function from a [`RunRecord`] to bytes ([`export`]); the caller writes
//! them. [`bmf`] is Bencher Metric Format (`bencher run --adapter json`), [`gab`] is github-action-benchmark's
//! `customSmallerIsBetter` / `customBiggerIsBetter` input. Both name a result `<test type>/<operation>`
//! (prefixed by the suite when it is not `default`) and cover benchmark and load operations and the load
//! test's overall result.

pub mod bmf;
pub mod gab;
mod names;

use crate::record::RunRecord;

/// The formats `perfgate export --format` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Bencher Metric Format JSON.
    Bmf,
    /// github-action-benchmark `customSmallerIsBetter` (latencies, error rate, memory, CPU).
    GabSmaller,
    /// github-action-benchmark `customBiggerIsBetter` (throughput).
    GabBigger,
}

/// The record in `format`, as pretty JSON with a trailing newline.
pub fn export(record: &RunRecord, format: ExportFormat) -> Vec<u8> {
    let value = match format {
        ExportFormat::Bmf => bmf::to_bmf(record),
        ExportFormat::GabSmaller => gab::to_gab(record, gab::Direction::SmallerIsBetter),
        ExportFormat::GabBigger => gab::to_gab(record, gab::Direction::BiggerIsBetter),
    };
    // A serde_json::Value always serializes.
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
    out.push(b'\n');
    out
}

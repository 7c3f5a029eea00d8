//! History: a folder of run records turned into per-operation time series.
//!
//! The reports branch keeps one immutable file per run. Everything that looks back in time — the trend site,
//! the baseline of a pull request, change-point detection — starts here: the caller (the runner, which owns
//! all I/O) reads the files and hands over `(path, bytes)` pairs; [`History::from_files`] parses them, sorts
//! the runs by time and keeps the files it could not read as named [`Skipped`] warnings. A corrupt file or a
//! record written by a newer perfgate never stops the rest of the history from loading, and nothing panics.
//!
//! Invariants of a [`History`]:
//! - `runs` are sorted by `started_at`, ties broken by `run_id`, so every consumer sees the same order;
//! - a `run_id` appears at most once (a second file with the same id is skipped and named);
//! - every file that was handed in is either in `runs` or in `skipped`.
//!
//! Series are keyed by [`SeriesKey`] `(test_type, operation, concurrency, metric)`; `concurrency` is only
//! set for stress steps, where the same operation is measured once per step. A load section's `overall`
//! result appears as the operation [`OVERALL_OPERATION`].

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::metric::{Metric, COMPARED_METRICS};
use crate::record::{OperationResult, RunRecord, TestType};

/// Operation name under which a load section's `overall` result appears in series and in the index.
/// The parentheses keep it apart from any real operation name.
pub const OVERALL_OPERATION: &str = "(overall)";

/// One run record with the path it was read from (relative to the branch root, e.g.
/// `runs/2026/11/20261127T100000Z-0123456-r1.json`).
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedRun {
    pub path: String,
    pub record: RunRecord,
}

/// A file that was left out of the history, and why. `reason` is a full sentence that already names the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Whether [`parse_run_file`] decodes the latency histograms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Histograms {
    Keep,
    /// Leave every `histogram` as `None` (a few times faster to read).
    Skip,
}

/// Reads one run file; an unreadable one becomes a [`Skipped`] naming the file.
pub fn parse_run_file(
    path: &str,
    bytes: &[u8],
    histograms: Histograms,
) -> Result<RunRecord, Skipped> {
    let skipped = |e: crate::record::RecordError| Skipped {
        path: path.to_string(),
        reason: e.to_string(),
    };
    match histograms {
        Histograms::Keep => RunRecord::from_json_slice(bytes, path).map_err(skipped),
        Histograms::Skip => {
            let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|source| {
                skipped(crate::record::RecordError::Json {
                    path: path.to_string(),
                    source,
                })
            })?;
            strip_histograms(&mut value);
            RunRecord::from_json_value(value, path).map_err(skipped)
        }
    }
}

/// Removes every `"histogram": "<base64>"` member, wherever a record keeps one.
fn strip_histograms(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map
                .get("histogram")
                .is_some_and(serde_json::Value::is_string)
            {
                map.remove("histogram");
            }
            map.values_mut().for_each(strip_histograms);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_histograms),
        _ => {}
    }
}

/// Which runs to keep. `None` keeps everything for that field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Keep runs whose `git.branch` equals this (e.g. `main`).
    pub branch: Option<String>,
    /// Keep runs whose `environment.fingerprint` equals this: only runs on the same kind of machine compare.
    pub fingerprint: Option<String>,
    /// Keep runs of this suite.
    pub suite: Option<String>,
}

impl HistoryFilter {
    /// True when `record` passes every set field.
    pub fn matches(&self, record: &RunRecord) -> bool {
        let branch_ok = self
            .branch
            .as_deref()
            .is_none_or(|b| record.git.branch.as_deref() == Some(b));
        let fp_ok = self
            .fingerprint
            .as_deref()
            .is_none_or(|f| record.environment.fingerprint == f);
        let suite_ok = self.suite.as_deref().is_none_or(|s| record.suite == s);
        branch_ok && fp_ok && suite_ok
    }
}

/// The runs of a reports branch (or any folder of run records), oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Readable runs, sorted by start time (then run id).
    pub runs: Vec<LoadedRun>,
    /// Files that were not used, each with the reason.
    pub skipped: Vec<Skipped>,
}

impl History {
    /// Parses every `(path, bytes)` pair with [`RunRecord::from_json_slice`]. Unreadable files (not JSON, not a
    /// run record, an unknown major version, invalid fields) and duplicate run ids go to `skipped`.
    pub fn from_files<I>(files: I) -> History
    where
        I: IntoIterator<Item = (String, Vec<u8>)>,
    {
        Self::from_parsed(files.into_iter().map(|(path, bytes)| {
            let parsed = parse_run_file(&path, &bytes, Histograms::Keep);
            (path, parsed)
        }))
    }

    /// Like [`from_files`](Self::from_files) but without decoding the latency histograms (every
    /// `histogram` is `None`). Decoding them is most of the cost of reading a run file; the index, series,
    /// tables and exports only need the summary numbers.
    pub fn from_files_without_histograms<I>(files: I) -> History
    where
        I: IntoIterator<Item = (String, Vec<u8>)>,
    {
        Self::from_parsed(files.into_iter().map(|(path, bytes)| {
            let parsed = parse_run_file(&path, &bytes, Histograms::Skip);
            (path, parsed)
        }))
    }

    /// Builds a history from files parsed with [`parse_run_file`] (callers that cache parsed files between
    /// attempts use this). Duplicate run ids keep the file whose path sorts first.
    pub fn from_parsed<I>(parsed: I) -> History
    where
        I: IntoIterator<Item = (String, Result<RunRecord, Skipped>)>,
    {
        let mut parsed: Vec<(String, Result<RunRecord, Skipped>)> = parsed.into_iter().collect();
        // Process in path order so that which of two duplicates wins does not depend on the caller's order.
        parsed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut runs = Vec::with_capacity(parsed.len());
        let mut skipped = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (path, result) in parsed {
            match result {
                Ok(record) => {
                    if let Some(first) = seen.get(&record.run_id) {
                        skipped.push(Skipped {
                            reason: format!(
                                "{path}: run id \"{}\" already read from {first}; this copy is ignored",
                                record.run_id
                            ),
                            path,
                        });
                        continue;
                    }
                    seen.insert(record.run_id.clone(), path.clone());
                    runs.push(LoadedRun { path, record });
                }
                Err(s) => skipped.push(s),
            }
        }
        Self::from_parts(runs, skipped)
    }

    /// Like [`History::from_files`], but decodes latency histograms only for the newest `histogram_runs` runs
    /// (by `started_at`); older runs keep their summary percentiles and lose `histogram`. A decoded histogram
    /// takes ~190 KB, so a history of 1,000 runs × 50 operations cannot keep them all; the newest runs' pages
    /// are the ones that draw full distributions. `None` keeps every histogram.
    pub fn from_files_bounded<I>(files: I, histogram_runs: Option<usize>) -> History
    where
        I: IntoIterator<Item = (String, Vec<u8>)>,
    {
        let Some(keep) = histogram_runs else {
            return Self::from_files(files);
        };
        let mut files: Vec<(String, Vec<u8>)> = files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        // Parse to JSON values first (a histogram is a compact string there), rank by start time, strip the
        // histograms of all but the newest `keep`, then decode.
        let mut values: Vec<(String, Result<serde_json::Value, Vec<u8>>)> = files
            .into_iter()
            .map(|(path, bytes)| {
                let v = serde_json::from_slice::<serde_json::Value>(&bytes).map_err(|_| bytes);
                (path, v)
            })
            .collect();
        let mut ranked: Vec<(String, usize)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, (_, v))| {
                let started = v.as_ref().ok()?.get("started_at")?.as_str()?.to_string();
                Some((started, i))
            })
            .collect();
        // Newest first (RFC 3339 UTC timestamps sort as text); files without a start time keep nothing.
        ranked.sort_by(|a, b| b.cmp(a));
        let mut strip = vec![true; values.len()];
        for (_, i) in ranked.into_iter().take(keep) {
            strip[i] = false;
        }
        let parsed = values.drain(..).enumerate().map(|(i, (path, value))| {
            let decoded = match value {
                Ok(mut v) => {
                    if strip[i] {
                        strip_histograms(&mut v);
                    }
                    RunRecord::from_json_value(v, &path)
                }
                // Not JSON: let the record parser name the error the same way `from_files` does.
                Err(bytes) => RunRecord::from_json_slice(&bytes, &path),
            };
            let decoded = decoded.map_err(|err| Skipped {
                path: path.clone(),
                reason: err.to_string(),
            });
            (path, decoded)
        });
        Self::from_parsed(parsed.collect::<Vec<_>>())
    }

    /// Builds a history from records that are already parsed (e.g. a run that is being published and the
    /// runs already on the branch). Duplicate run ids keep the first occurrence.
    pub fn from_runs(runs: Vec<LoadedRun>) -> History {
        let mut seen = HashSet::new();
        let mut kept = Vec::with_capacity(runs.len());
        let mut skipped = Vec::new();
        for run in runs {
            if seen.insert(run.record.run_id.clone()) {
                kept.push(run);
            } else {
                skipped.push(Skipped {
                    reason: format!(
                        "{}: run id \"{}\" appears twice; this copy is ignored",
                        run.path, run.record.run_id
                    ),
                    path: run.path,
                });
            }
        }
        Self::from_parts(kept, skipped)
    }

    fn from_parts(mut runs: Vec<LoadedRun>, skipped: Vec<Skipped>) -> History {
        runs.sort_by(|a, b| {
            a.record
                .started_at
                .cmp(&b.record.started_at)
                .then_with(|| a.record.run_id.cmp(&b.record.run_id))
        });
        History { runs, skipped }
    }

    /// The runs that pass `filter` (skipped files are kept, so warnings are not lost by filtering).
    pub fn filtered(&self, filter: &HistoryFilter) -> History {
        History {
            runs: self
                .runs
                .iter()
                .filter(|r| filter.matches(&r.record))
                .cloned()
                .collect(),
            skipped: self.skipped.clone(),
        }
    }

    /// The newest `n` runs (still oldest first).
    pub fn last(&self, n: usize) -> &[LoadedRun] {
        &self.runs[self.runs.len().saturating_sub(n)..]
    }

    /// The run with this id.
    pub fn get(&self, run_id: &str) -> Option<&LoadedRun> {
        self.runs.iter().find(|r| r.record.run_id == run_id)
    }

    /// Every series of every operation, in key order; points oldest first.
    pub fn series(&self) -> Vec<Series> {
        let mut map: BTreeMap<SeriesKey, Vec<Point>> = BTreeMap::new();
        for run in &self.runs {
            let rec = &run.record;
            for m in measured_operations(rec) {
                for metric in SERIES_METRICS {
                    let Some(value) = series_value(metric, m.result) else {
                        continue;
                    };
                    let key = SeriesKey {
                        test_type: m.test_type,
                        operation: m.name.to_string(),
                        concurrency: m.concurrency,
                        metric,
                    };
                    map.entry(key).or_default().push(Point {
                        run_id: rec.run_id.clone(),
                        time: rec.started_at,
                        sha: rec.git.sha.clone(),
                        value,
                    });
                }
            }
        }
        map.into_iter()
            .map(|(key, points)| Series { key, points })
            .collect()
    }

    /// The series of one key (empty when no run measured it).
    pub fn series_for(&self, key: &SeriesKey) -> Series {
        let points = self
            .runs
            .iter()
            .flat_map(|run| {
                measured_operations(&run.record)
                    .filter(|m| {
                        m.test_type == key.test_type
                            && m.concurrency == key.concurrency
                            && m.name == key.operation
                    })
                    .filter_map(|m| series_value(key.metric, m.result))
                    .map(|value| Point {
                        run_id: run.record.run_id.clone(),
                        time: run.record.started_at,
                        sha: run.record.git.sha.clone(),
                        value,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Series {
            key: key.clone(),
            points,
        }
    }
}

/// One measured operation of a record: where it was measured and its result.
#[derive(Clone, Copy, Debug)]
pub struct MeasuredOp<'a> {
    pub test_type: TestType,
    /// Concurrency of the stress step; `None` for benchmark and load.
    pub concurrency: Option<u32>,
    /// The operation's name ([`OVERALL_OPERATION`] for a load section's overall result).
    pub name: &'a str,
    pub result: &'a OperationResult,
}

/// Every measured operation of a record, in section order (benchmark, load with its overall result first,
/// stress steps).
pub fn measured_operations(rec: &RunRecord) -> impl Iterator<Item = MeasuredOp<'_>> {
    fn op(
        test_type: TestType,
        concurrency: Option<u32>,
        result: &OperationResult,
    ) -> MeasuredOp<'_> {
        MeasuredOp {
            test_type,
            concurrency,
            name: result.operation_name.as_str(),
            result,
        }
    }
    let bench = rec.benchmark.iter().flat_map(move |b| {
        b.operations
            .iter()
            .map(move |o| op(TestType::Benchmark, None, o))
    });
    let load = rec.load.iter().flat_map(move |l| {
        let has_overall = !l.operations.is_empty() || l.overall.total_requests > 0;
        let overall = has_overall.then_some(MeasuredOp {
            test_type: TestType::Load,
            concurrency: None,
            name: OVERALL_OPERATION,
            result: &l.overall,
        });
        overall.into_iter().chain(
            l.operations
                .iter()
                .map(move |o| op(TestType::Load, None, o)),
        )
    });
    let stress = rec.stress.iter().flat_map(move |s| {
        s.steps.iter().flat_map(move |step| {
            step.operations
                .iter()
                .map(move |o| op(TestType::Stress, Some(step.concurrency), o))
        })
    });
    bench.chain(load).chain(stress)
}

/// The metrics every series is built for (the per-operation numbers a trend is drawn of).
pub const SERIES_METRICS: [Metric; 10] = COMPARED_METRICS;

/// A metric's value as a point of a series: [`Metric::value`], minus values that mean "not measured" rather
/// than a measurement, so they are left out instead of drawn as a drop to zero:
/// - a latency of 0 ms (every completed request takes at least 1 µs; imports from tools that do not report a
///   percentile, such as k6 without `p(99)`, leave it at 0);
/// - a memory of 0 MB (a running process always has resident memory);
/// - a CPU of 0 % when nobody's CPU was sampled (`resource_source` empty, as in imported runs).
pub fn series_value(metric: Metric, op: &OperationResult) -> Option<f64> {
    let v = metric.value(op)?;
    let unmeasured = match metric {
        m if m.is_latency() => v <= 0.0,
        Metric::MemoryMb => v <= 0.0,
        Metric::CpuPercent => v <= 0.0 && op.resource_source.is_empty(),
        _ => false,
    };
    (!unmeasured).then_some(v)
}

/// Identifies one series: which schedule, which operation, at which stress step, which number. The one key
/// of the crate: history series, comparison rows, change points and known noise floors all use it. It
/// serializes as `operation` (the name comparison rows and change points use); `operation_name`, which
/// `perfgate history --json` wrote before, is still read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeriesKey {
    /// The schedule that measured it.
    pub test_type: TestType,
    /// The operation name from the config ([`OVERALL_OPERATION`] for a load section's overall result).
    #[serde(alias = "operation_name")]
    pub operation: String,
    /// Concurrency of the stress step; `None` for benchmark and load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    pub metric: Metric,
}

impl SeriesKey {
    /// A benchmark or load key (no stress step).
    pub fn new(test_type: TestType, operation: impl Into<String>, metric: Metric) -> Self {
        SeriesKey {
            test_type,
            operation: operation.into(),
            concurrency: None,
            metric,
        }
    }
}

impl std::fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.test_type, self.operation)?;
        if let Some(c) = self.concurrency {
            write!(f, "@{c}")?;
        }
        write!(f, "/{}", self.metric)
    }
}

/// One run's value of a series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub run_id: String,
    /// When the run started.
    pub time: DateTime<Utc>,
    /// Full commit SHA of the code under test, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    pub value: f64,
}

/// A metric of one operation over time, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub key: SeriesKey,
    pub points: Vec<Point>,
}

impl Series {
    /// The values alone, oldest first (what the statistics functions take).
    pub fn values(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.value).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_fixtures::{record_at, with_op};

    fn file(rec: &RunRecord) -> (String, Vec<u8>) {
        (crate::layout::run_file_path(rec), rec.to_json_pretty())
    }

    #[test]
    fn sorts_by_time_and_names_corrupt_and_future_files() {
        let a = record_at("a", "2026-11-02T10:00:00Z", "main", "fp1");
        let b = record_at("b", "2026-11-01T10:00:00Z", "main", "fp1");
        let mut future =
            serde_json::to_value(record_at("c", "2026-11-03T10:00:00Z", "main", "fp1"))
                .expect("record serializes");
        future["schema"] = "perfgate/run@2".into();
        let files = vec![
            file(&a),
            (
                "runs/2026/11/broken.json".to_string(),
                b"{ not json".to_vec(),
            ),
            (
                "runs/2026/11/future.json".to_string(),
                serde_json::to_vec(&future).expect("value serializes"),
            ),
            file(&b),
            ("runs/2026/11/empty.json".to_string(), Vec::new()),
        ];
        let h = History::from_files(files);
        let ids: Vec<&str> = h.runs.iter().map(|r| r.record.run_id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        let skipped: Vec<&str> = h.skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            skipped,
            [
                "runs/2026/11/broken.json",
                "runs/2026/11/empty.json",
                "runs/2026/11/future.json"
            ]
        );
        for s in &h.skipped {
            assert!(s.reason.contains(&s.path), "{s}");
        }
        assert!(h.skipped[2].reason.contains("perfgate/run@2"));
    }

    #[test]
    fn histograms_can_be_left_undecoded() {
        let mut r = record_at("h", "2026-11-02T10:00:00Z", "main", "fp1");
        with_op(&mut r, "search", 10.0, 100.0, 1000, 0);
        let mut h = crate::histogram::LatencyHistogram::new();
        h.record_us(1234);
        if let Some(b) = r.benchmark.as_mut() {
            b.operations[0].histogram = Some(h);
        }
        let files = vec![file(&r), ("runs/bad.json".to_string(), b"[".to_vec())];
        let full = History::from_files(files.clone());
        let light = History::from_files_without_histograms(files);
        assert!(full.runs[0]
            .record
            .operations()
            .all(|(_, o)| o.histogram.is_some()));
        assert!(light.runs[0]
            .record
            .operations()
            .all(|(_, o)| o.histogram.is_none()));
        assert_eq!(light.series(), full.series());
        assert_eq!(light.skipped, full.skipped);
        let mut without = full.runs[0].record.clone();
        if let Some(b) = without.benchmark.as_mut() {
            b.operations[0].histogram = None;
        }
        assert_eq!(light.runs[0].record, without);
    }

    #[test]
    fn bounded_load_keeps_histograms_of_the_newest_runs_only() {
        let mut files = Vec::new();
        for day in 1..=5 {
            let mut rec = record_at(
                &format!("r{day}"),
                &format!("2026-11-0{day}T10:00:00Z"),
                "main",
                "fp1",
            );
            with_op(&mut rec, "get", 20.0, 100.0, 100, 0);
            let mut h = crate::histogram::LatencyHistogram::new();
            h.record_us_n(20_000, 100);
            if let Some(b) = rec.benchmark.as_mut() {
                b.operations[0].histogram = Some(h);
            }
            files.push(file(&rec));
        }
        files.push(("runs/2026/11/broken.json".to_string(), b"{ nope".to_vec()));
        let with_hist = |h: &History| -> Vec<String> {
            h.runs
                .iter()
                .filter(|r| r.record.operations().any(|(_, o)| o.histogram.is_some()))
                .map(|r| r.record.run_id.clone())
                .collect()
        };
        let all = History::from_files(files.clone());
        assert_eq!(with_hist(&all).len(), 5, "the fixture has histograms");
        let bounded = History::from_files_bounded(files.clone(), Some(2));
        assert_eq!(with_hist(&bounded), ["r4", "r5"]);
        assert_eq!(bounded.runs.len(), 5);
        assert_eq!(bounded.skipped, all.skipped);
        // Apart from histograms, the runs are the same.
        let p95 = |h: &History| -> Vec<f64> {
            h.runs
                .iter()
                .flat_map(|r| r.record.operations().map(|(_, o)| o.latency_ms.p95))
                .collect()
        };
        assert_eq!(p95(&bounded), p95(&all));
        assert_eq!(History::from_files_bounded(files, None), all);
    }

    #[test]
    fn duplicate_run_ids_are_skipped_and_named() {
        let a = record_at("same", "2026-11-02T10:00:00Z", "main", "fp1");
        let files = vec![
            ("runs/x/2.json".to_string(), a.to_json_pretty()),
            ("runs/x/1.json".to_string(), a.to_json_pretty()),
        ];
        let h = History::from_files(files);
        assert_eq!(h.runs.len(), 1);
        assert_eq!(h.runs[0].path, "runs/x/1.json");
        assert_eq!(h.skipped.len(), 1);
        assert_eq!(h.skipped[0].path, "runs/x/2.json");
        assert!(h.skipped[0].reason.contains("runs/x/1.json"));
    }

    #[test]
    fn filters_by_branch_fingerprint_and_suite() {
        let mut recs = [
            record_at("1", "2026-11-01T00:00:00Z", "main", "fp1"),
            record_at("2", "2026-11-02T00:00:00Z", "feature", "fp1"),
            record_at("3", "2026-11-03T00:00:00Z", "main", "fp2"),
            record_at("4", "2026-11-04T00:00:00Z", "main", "fp1"),
        ];
        recs[3].suite = "other".into();
        let h = History::from_files(recs.iter().map(file));
        let ids = |h: &History| -> Vec<String> {
            h.runs.iter().map(|r| r.record.run_id.clone()).collect()
        };
        let f = HistoryFilter {
            branch: Some("main".into()),
            fingerprint: Some("fp1".into()),
            suite: None,
        };
        assert_eq!(ids(&h.filtered(&f)), ["1", "4"]);
        let f = HistoryFilter {
            suite: Some("default".into()),
            ..Default::default()
        };
        assert_eq!(ids(&h.filtered(&f)), ["1", "2", "3"]);
        assert_eq!(ids(&h.filtered(&HistoryFilter::default())).len(), 4);
        assert_eq!(h.last(2).len(), 2);
        assert_eq!(h.last(2)[1].record.run_id, "4");
        assert_eq!(h.last(10).len(), 4);
    }

    #[test]
    fn builds_series_per_operation_and_metric() {
        let mut r1 = record_at("r1", "2026-11-01T00:00:00Z", "main", "fp");
        let mut r2 = record_at("r2", "2026-11-02T00:00:00Z", "main", "fp");
        with_op(&mut r1, "search", 10.0, 100.0, 1000, 10);
        with_op(&mut r2, "search", 12.0, 90.0, 1000, 0);
        with_op(&mut r2, "resolve", 3.0, 400.0, 500, 0);
        let h = History::from_files([file(&r2), file(&r1)]);
        let series = h.series();
        let p95 = series
            .iter()
            .find(|s| s.key == SeriesKey::new(TestType::Benchmark, "search", Metric::P95))
            .expect("search p95 series");
        assert_eq!(p95.values(), [10.0, 12.0]);
        assert_eq!(p95.points[0].run_id, "r1");
        assert_eq!(p95.points[1].sha.as_deref(), Some("sha-r2"));
        let err = h.series_for(&SeriesKey::new(
            TestType::Benchmark,
            "search",
            Metric::ErrorRate,
        ));
        assert_eq!(err.values(), [1.0, 0.0]);
        let rps = h.series_for(&SeriesKey::new(TestType::Benchmark, "resolve", Metric::Rps));
        assert_eq!(rps.values(), [400.0]);
        assert_eq!(rps.points[0].run_id, "r2");
        // Every metric of every operation: 2 operations × 8 metrics.
        assert_eq!(series.len(), 16);
        assert!(series.windows(2).all(|w| w[0].key < w[1].key));
    }

    #[test]
    fn unmeasured_values_are_not_points() {
        let mut r = record_at("r", "2026-11-01T00:00:00Z", "main", "fp");
        with_op(&mut r, "idle", 1.0, 1.0, 0, 0);
        if let Some(b) = r.benchmark.as_mut() {
            b.operations[0].memory_usage_mb = Some(0.0);
            b.operations[0].latency_ms.avg = f64::NAN;
        }
        let h = History::from_files([file(&r)]);
        for m in [
            Metric::P50,
            Metric::Avg,
            Metric::ErrorRate,
            Metric::MemoryMb,
        ] {
            let s = h.series_for(&SeriesKey::new(TestType::Benchmark, "idle", m));
            assert!(s.points.is_empty(), "{m} should have no point");
        }
    }

    #[test]
    fn load_overall_and_stress_steps_have_their_own_keys() {
        use crate::record::{LoadSection, StressSection, StressStep};
        let mut r = record_at("r", "2026-11-01T00:00:00Z", "main", "fp");
        with_op(&mut r, "search", 10.0, 100.0, 1000, 0);
        let op = r
            .benchmark
            .take()
            .expect("with_op sets benchmark")
            .operations[0]
            .clone();
        r.load = Some(LoadSection {
            overall: OperationResult {
                throughput_rps: 250.0,
                ..op.clone()
            },
            operations: vec![op.clone()],
            ..Default::default()
        });
        r.stress = Some(StressSection {
            steps: [5u32, 10]
                .into_iter()
                .map(|c| StressStep {
                    concurrency: c,
                    operations: vec![OperationResult {
                        throughput_rps: f64::from(c) * 10.0,
                        ..op.clone()
                    }],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        });
        let h = History::from_files([file(&r)]);
        let overall = h.series_for(&SeriesKey::new(
            TestType::Load,
            OVERALL_OPERATION,
            Metric::Rps,
        ));
        assert_eq!(overall.values(), [250.0]);
        let step10 = h.series_for(&SeriesKey {
            concurrency: Some(10),
            ..SeriesKey::new(TestType::Stress, "search", Metric::Rps)
        });
        assert_eq!(step10.values(), [100.0]);
        assert_eq!(
            step10.key.to_string(),
            "stress/search@10/rps",
            "display form used in messages"
        );
        // One spelling out, both read back.
        let json = serde_json::to_value(&step10.key).expect("key serializes");
        assert_eq!(json["operation"], "search");
        assert_eq!(json["concurrency"], 10);
        let old: SeriesKey = serde_json::from_value(serde_json::json!({
            "test_type": "stress", "operation_name": "search", "concurrency": 10, "metric": "rps"
        }))
        .expect("the old field name is read");
        assert_eq!(old, step10.key);
    }
}

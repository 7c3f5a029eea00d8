//! Series of one metric of one operation across run records, oldest first.
//!
//! The baseline and change-point analyses work on plain `&[f64]`; this module turns already loaded and
//! filtered records (same environment fingerprint, same branch — the history loader's job) into those series,
//! remembering which record each value came from so results can name the commit.

use std::collections::BTreeMap;

use crate::metric::Metric;
use crate::record::{RunRecord, TestType};

use super::compare::SeriesKey;

/// One series: values with the index of the record each came from (records without the operation are
/// skipped, so indices can jump).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// `(record index, value)`, oldest first.
    pub points: Vec<(usize, f64)>,
}

impl Series {
    /// Just the values.
    pub fn values(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.1).collect()
    }
}

/// Sorts records oldest first (by start time, then run id, so equal times stay deterministic).
pub fn chronological<'a>(records: impl IntoIterator<Item = &'a RunRecord>) -> Vec<&'a RunRecord> {
    let mut v: Vec<&RunRecord> = records.into_iter().collect();
    v.sort_by(|a, b| {
        a.started_at
            .cmp(&b.started_at)
            .then_with(|| a.run_id.cmp(&b.run_id))
    });
    v
}

/// The series of every benchmark and load operation × `metrics` in `records` (given oldest first).
pub fn extract(records: &[&RunRecord], metrics: &[Metric]) -> BTreeMap<SeriesKey, Series> {
    let mut out: BTreeMap<SeriesKey, Series> = BTreeMap::new();
    for (i, rec) in records.iter().enumerate() {
        for (test_type, op) in rec.operations().filter(|(t, _)| *t != TestType::Stress) {
            for &metric in metrics {
                if let Some(v) = metric.value(op) {
                    out.entry(SeriesKey::new(test_type, op.operation_name.clone(), metric))
                        .or_default()
                        .points
                        .push((i, v));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{op, record_with, t0};

    #[test]
    fn series_follow_time_order_and_skip_absent_operations() {
        let mut a = record_with(vec![op("x", 10.0, 100.0, 10, 0)]);
        a.started_at = t0() + chrono::Duration::hours(2);
        let mut b = record_with(vec![
            op("x", 20.0, 100.0, 10, 0),
            op("y", 5.0, 100.0, 10, 0),
        ]);
        b.started_at = t0();
        let recs = [a, b];
        let ordered = chronological(&recs);
        let s = extract(&ordered, &[Metric::P50]);
        let key = |o: &str| SeriesKey::new(TestType::Benchmark, o, Metric::P50);
        assert_eq!(s[&key("x")].points, vec![(0, 20.0), (1, 10.0)]);
        assert_eq!(s[&key("y")].points, vec![(0, 5.0)]);
    }
}

//! Change points across a branch's history of run records (`perfgate analyze --history DIR`).
//!
//! Runs [`changepoint::detect_suite`] on every operation × metric series of already loaded records (same
//! environment fingerprint and branch — the history loader's job) and names each change point's commit: the
//! first run after the change. The site marks these on its charts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::changepoint::{self, ChangePointSettings};
use super::compare::SeriesKey;
use super::series::{chronological, extract};
use crate::metric::{Metric, COMPARED_METRICS};
use crate::record::RunRecord;

/// One change point, with the run where it first shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangePointReport {
    /// The first run after the change.
    pub run_id: String,
    /// Its commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// Its commit message (first line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
    /// When it ran.
    pub started_at: DateTime<Utc>,
    /// Mean before the change (back to the previous change point).
    pub before_mean: f64,
    /// Mean after (up to the next).
    pub after_mean: f64,
    /// `(after / before − 1) × 100`.
    pub magnitude_percent: f64,
    /// Adjusted p-value of the split (see `changepoint`).
    pub p_value: f64,
    /// True when the change made the metric worse (direction-aware: a throughput drop is a regression).
    pub regression: bool,
}

/// The change points of one series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesChanges {
    /// Which series.
    #[serde(flatten)]
    pub key: SeriesKey,
    /// How many runs the series has.
    pub runs: usize,
    /// Oldest first.
    pub change_points: Vec<ChangePointReport>,
}

/// The change points of a whole history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryChanges {
    /// Runs analysed.
    pub runs: usize,
    /// The settings used.
    pub settings: Option<ChangePointSettings>,
    /// Only series with at least one change point.
    pub series: Vec<SeriesChanges>,
}

/// Finds the change points of every series in `history` (any order; sorted by start time). `metrics` empty
/// means the compared metrics (p50, p95, p99, avg, rps, error rate, memory, CPU); the error rate is skipped
/// (mostly zeros: no log scale).
pub fn analyze_history(
    history: &[RunRecord],
    metrics: &[Metric],
    s: &ChangePointSettings,
) -> HistoryChanges {
    let ordered = chronological(history);
    let metrics: Vec<Metric> = if metrics.is_empty() {
        COMPARED_METRICS.to_vec()
    } else {
        metrics.to_vec()
    }
    .into_iter()
    .filter(|m| *m != Metric::ErrorRate)
    .collect();
    let mut out = Vec::new();
    let all = extract(&ordered, &metrics);
    let values: Vec<Vec<f64>> = all.values().map(|s| s.values()).collect();
    let refs: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
    // All series together: the false-alarm level holds for the whole analysis, not per series.
    let found = changepoint::detect_suite(&refs, s);
    for (((key, series), values), cps) in all.into_iter().zip(&values).zip(found) {
        if cps.is_empty() {
            continue;
        }
        let change_points = cps
            .into_iter()
            .filter_map(|cp| {
                let rec = ordered.get(series.points.get(cp.index)?.0)?;
                let worse =
                    (cp.after_mean - cp.before_mean) * key.metric.direction().worse_sign() > 0.0;
                Some(ChangePointReport {
                    run_id: rec.run_id.clone(),
                    sha: rec.git.sha.clone(),
                    commit_message: rec.git.commit_message.clone(),
                    started_at: rec.started_at,
                    before_mean: cp.before_mean,
                    after_mean: cp.after_mean,
                    magnitude_percent: cp.magnitude_percent,
                    p_value: cp.p_value,
                    regression: worse,
                })
            })
            .collect();
        out.push(SeriesChanges {
            key,
            runs: values.len(),
            change_points,
        });
    }
    HistoryChanges {
        runs: ordered.len(),
        settings: Some(s.clone()),
        series: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::SplitMix64;
    use crate::record::TestType;
    use crate::test_support::{op, record_with, t0};

    #[test]
    fn names_the_commit_of_each_change_and_its_direction() {
        let mut r = SplitMix64::new(4);
        let recs: Vec<RunRecord> = (0..30)
            .map(|i| {
                let level = if (12..20).contains(&i) { 1.3 } else { 1.0 };
                let f = level * (0.02 * r.normal()).exp();
                let mut rec = record_with(vec![
                    op("a", 10.0 * f, 100.0 / f, 1000, 0),
                    op("flat", 5.0, 100.0, 1000, 0),
                ]);
                rec.run_id = format!("r{i}");
                rec.git.sha = Some(format!("{i:07}abcdef"));
                rec.started_at = t0() + chrono::Duration::hours(i);
                rec
            })
            .rev()
            .collect();
        let h = analyze_history(
            &recs,
            &[Metric::P95, Metric::Rps],
            &ChangePointSettings::default(),
        );
        assert_eq!(h.runs, 30);
        let p95 = h
            .series
            .iter()
            .find(|s| s.key == SeriesKey::new(TestType::Benchmark, "a", Metric::P95))
            .unwrap();
        let ids: Vec<&str> = p95
            .change_points
            .iter()
            .map(|c| c.run_id.as_str())
            .collect();
        assert_eq!(ids, vec!["r12", "r20"]);
        assert!(p95.change_points[0].regression && !p95.change_points[1].regression);
        assert_eq!(p95.change_points[0].sha.as_deref(), Some("0000012abcdef"));
        let rps = h
            .series
            .iter()
            .find(|s| s.key.metric == Metric::Rps)
            .unwrap();
        assert!(
            rps.change_points[0].regression,
            "a throughput drop is a regression"
        );
        assert!(h.series.iter().all(|s| s.key.operation != "flat"));
    }
}

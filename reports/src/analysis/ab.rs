//! A/B interleaved trials: the mode for noisy shared runners.
//!
//! The engine runs short trials of the base target and the head target alternately (base, head; head, base;
//! … default 6 pairs), so drift of the machine (a noisy neighbour, thermal throttling, a cache warming) hits
//! both trials of a pair alike. This module judges the trial-level results: for each operation × metric it
//! has one value per trial and side.
//!
//! * **Test**: a **paired** t-test on the log ratios `ln(head_i / base_i)` of the trials of pair `i` (for
//!   the error rate: the differences in points). The pair is what interleaving buys: drift between pairs
//!   cancels, while an unpaired test (Mann–Whitney, used before) counts it as noise. Measured on two loopback
//!   servers under a shared 0–20 % drift (`runner/examples/ab_drift.rs`, ANALYSIS.md): with 8 pairs over 20
//!   operations, Mann–Whitney caught a +10 % step in 25 % of jobs; its exact p-value also cannot go below
//!   `2 / C(2n, n)` (0.0022 for 6 a side), too large for a lone change among 120 series. A pair disturbed by
//!   a drift step inside it widens the spread of the ratios: the test gets more cautious, not wrong.
//! * **Effect and noise**: the change is the geometric mean of the ratios, `exp(mean) − 1`; the noise is the
//!   half-width of its 95 % t interval; the minimum detectable change is the change the row would flag with
//!   80 % power as the only change among the series.
//! * **Many series**: p-values go through Benjamini–Hochberg at `fdr_q` (default 5 %), and the change must
//!   exceed the threshold (default 10 %).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compare::{
    make_row, CompareSettings, Comparison, NoiseSource, RunRef, SeriesKey, Verdict,
};
use super::series::{extract, Series};
use super::significance::{benjamini_hochberg, t_two_sided_p, t_upper_quantile};
use crate::metric::{Metric, COMPARED_METRICS};
use crate::record::RunRecord;

/// Settings of a trial comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialSettings {
    /// Smallest relative change that counts (default 10).
    pub threshold_percent: f64,
    /// Smallest error-rate change, percentage points (default 1).
    pub error_rate_threshold_points: f64,
    /// False discovery rate across the series (default 0.05).
    pub fdr_q: f64,
    /// The metrics compared.
    pub metrics: Vec<Metric>,
}

impl Default for TrialSettings {
    fn default() -> Self {
        Self {
            threshold_percent: 10.0,
            error_rate_threshold_points: 1.0,
            fdr_q: 0.05,
            metrics: COMPARED_METRICS.to_vec(),
        }
    }
}

/// Fewest pairs a series needs to be tested (a t-test of 2 pairs has 1 degree of freedom).
pub const MIN_PAIRS: usize = 3;

/// One series judged from its pairs of trials.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialJudgement {
    /// Pairs tested.
    pub pairs: usize,
    /// Percent (points for the error rate): the geometric mean of the head/base ratios, minus 1.
    pub change_percent: f64,
    /// Raw two-sided p-value of the paired t-test.
    pub p_value: f64,
    /// 95 % interval of the change, percent (points for the error rate).
    pub interval_percent: (f64, f64),
    /// The change this series flags with 80 % power at two-sided level `alpha` (see [`judge_pairs`]).
    pub mdc_percent: f64,
}

/// Judges one series from `(base, head)` pairs of trial values at the two-sided level `alpha` a lone change
/// must reach (for the minimum detectable change). `None` with fewer than [`MIN_PAIRS`] pairs, a value that is
/// not finite, or a relative metric with a value ≤ 0.
pub fn judge_pairs(pairs: &[(f64, f64)], metric: Metric, alpha: f64) -> Option<TrialJudgement> {
    let n = pairs.len();
    if n < MIN_PAIRS || pairs.iter().any(|(b, h)| !(b.is_finite() && h.is_finite())) {
        return None;
    }
    let points = metric == Metric::ErrorRate;
    if !points && pairs.iter().any(|(b, h)| *b <= 0.0 || *h <= 0.0) {
        return None;
    }
    let d: Vec<f64> = pairs
        .iter()
        .map(|(b, h)| if points { h - b } else { (h / b).ln() })
        .collect();
    let m = crate::stats::mean(&d)?;
    let se = crate::stats::sample_stddev(&d)? / (n as f64).sqrt();
    let df = (n - 1) as f64;
    let p = if se > 0.0 {
        t_two_sided_p(m / se, df)?
    } else if m == 0.0 {
        1.0
    } else {
        0.0
    };
    let to_percent = |x: f64| if points { x } else { (x.exp() - 1.0) * 100.0 };
    let half = t_upper_quantile(0.025, df)? * se;
    let reach = (t_upper_quantile(alpha / 2.0, df)? + t_upper_quantile(0.2, df)?) * se;
    Some(TrialJudgement {
        pairs: n,
        change_percent: to_percent(m),
        p_value: p,
        interval_percent: (to_percent(m - half), to_percent(m + half)),
        mdc_percent: to_percent(reach),
    })
}

/// The values of trial `i` on both sides, for every trial both sides have.
fn pairs(base: Option<&Series>, head: Option<&Series>) -> Vec<(f64, f64)> {
    let (Some(b), Some(h)) = (base, head) else {
        return Vec::new();
    };
    b.points
        .iter()
        .filter_map(|&(i, bv)| {
            h.points
                .iter()
                .find(|&&(j, _)| j == i)
                .map(|&(_, hv)| (bv, hv))
        })
        .collect()
}

/// Compares interleaved trials: `base[i]` and `head[i]` are the records of the i-th trial of each side.
pub fn compare_trials(base: &[RunRecord], head: &[RunRecord], s: &TrialSettings) -> Comparison {
    let b_refs: Vec<&RunRecord> = base.iter().collect();
    let h_refs: Vec<&RunRecord> = head.iter().collect();
    let bs = extract(&b_refs, &s.metrics);
    let hs = extract(&h_refs, &s.metrics);
    let mut keys: Vec<&SeriesKey> = bs.keys().chain(hs.keys()).collect();
    keys.sort();
    keys.dedup();
    let cs = CompareSettings {
        threshold_percent: s.threshold_percent,
        error_rate_threshold_points: s.error_rate_threshold_points,
        metrics: s.metrics.clone(),
        ..CompareSettings::default()
    };
    let paired: Vec<(&SeriesKey, Vec<(f64, f64)>)> = keys
        .into_iter()
        .map(|key| (key, pairs(bs.get(key), hs.get(key))))
        .collect();
    // A lone change must reach fdr_q / m under Benjamini–Hochberg: the level of each row's detectable change.
    let testable = paired.iter().filter(|(_, p)| p.len() >= MIN_PAIRS).count();
    let alpha = s.fdr_q / testable.max(1) as f64;
    let mut rows = Vec::new();
    let mut tested: Vec<(usize, f64)> = Vec::new();
    for (key, pairs) in &paired {
        let values = |side: &BTreeMap<SeriesKey, Series>| {
            side.get(*key).map(Series::values).unwrap_or_default()
        };
        let (bv, hv) = (values(&bs), values(&hs));
        let j = judge_pairs(pairs, key.metric, alpha);
        let Some(mut row) = make_row(
            (*key).clone(),
            crate::stats::median(&bv),
            crate::stats::median(&hv),
            !bv.is_empty(),
            !hv.is_empty(),
            j.as_ref()
                .map(|j| (j.interval_percent.1 - j.interval_percent.0) / 2.0),
            NoiseSource::Trials,
            &cs,
        ) else {
            continue;
        };
        row.baseline_runs = Some(pairs.len());
        if let Some(j) = j {
            row.change_percent = Some(j.change_percent);
            row.mdc_percent = Some(j.mdc_percent);
            tested.push((rows.len(), j.p_value));
        } else if matches!(row.verdict, Verdict::Regressed | Verdict::Improved) {
            // No test possible: the threshold alone cannot be trusted with trials; say unchanged.
            row.verdict = Verdict::Unchanged;
        }
        rows.push(row);
    }
    let qs = benjamini_hochberg(&tested.iter().map(|t| t.1).collect::<Vec<_>>());
    for ((i, _), q) in tested.iter().zip(qs) {
        let row = &mut rows[*i];
        row.p_value = Some(q);
        let change = row.change_percent.unwrap_or(0.0);
        let threshold = row.threshold_percent;
        row.verdict = if q <= s.fdr_q {
            super::compare::decide(row.metric, change, threshold, None)
        } else {
            Verdict::Unchanged
        };
    }
    let n = base.len().min(head.len());
    let mut notes = vec![format!(
        "A/B interleaved trials: {} base and {} head trials; a paired t-test per series on the head/base ratios of the trials of each pair, Benjamini–Hochberg at {}% over {} series; noise is the 95% interval of the change.",
        base.len(),
        head.len(),
        crate::metric::sig(s.fdr_q * 100.0),
        tested.len()
    )];
    if n < MIN_PAIRS {
        notes.push(format!(
            "Only {n} pairs of trials: at least {MIN_PAIRS} are needed to test a change."
        ));
    }
    let side = |recs: &[RunRecord], what: &str| match recs.first() {
        Some(r) => {
            let mut rr = RunRef::of(r);
            rr.label = match &rr.sha {
                Some(_) => format!("{what} build at {} ({} trials)", r.sha7(), recs.len()),
                None => format!("{what} build ({} trials)", recs.len()),
            };
            rr.runs = recs.len();
            rr
        }
        None => RunRef {
            label: format!("{what} (no trials)"),
            ..Default::default()
        },
    };
    Comparison {
        base: side(base, "base"),
        head: side(head, "head"),
        method: "trials".into(),
        threshold_percent: s.threshold_percent,
        rows,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::SplitMix64;
    use crate::record::TestType;
    use crate::test_support::{op, record_with};

    fn trials(n: usize, level: f64, drift: &[f64], seed: u64) -> Vec<RunRecord> {
        let mut r = SplitMix64::new(seed);
        (0..n)
            .map(|i| {
                let f = level * drift[i % drift.len()] * (0.02 * r.normal()).exp();
                record_with(vec![op("a", 10.0 * f, 100.0 / f, 1000, 0)])
            })
            .collect()
    }

    #[test]
    fn a_shift_under_shared_drift_is_found_and_no_shift_is_not() {
        // The machine drifts by ±15 % across trials; both sides see the same drift (interleaved).
        let drift = [1.0, 1.15, 0.9, 1.1, 0.95, 1.12];
        let base = trials(6, 1.0, &drift, 1);
        let head = trials(6, 1.25, &drift, 2);
        let s = TrialSettings {
            metrics: vec![Metric::P95],
            ..TrialSettings::default()
        };
        let c = compare_trials(&base, &head, &s);
        let row = c.row(TestType::Benchmark, "a", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
        assert_eq!(row.noise_source, NoiseSource::Trials);
        assert_eq!(row.baseline_runs, Some(6));
        let same = trials(6, 1.0, &drift, 3);
        let c = compare_trials(&base, &same, &s);
        assert_eq!(
            c.row(TestType::Benchmark, "a", Metric::P95)
                .unwrap()
                .verdict,
            Verdict::Unchanged
        );
        assert_eq!(c.method, "trials");
        assert!(
            c.base.label.starts_with("base build") && c.base.label.ends_with("(6 trials)"),
            "{}",
            c.base.label
        );
    }

    #[test]
    fn pairs_cancel_drift_that_an_unpaired_test_would_count_as_noise() {
        // Drift of ±15 % between pairs, 1 % within a pair: 8 pairs see a 5 % step that a test of the two
        // sides' spreads (±10 %) could not, and an A/A comparison under the same drift stays quiet.
        let drift = [1.0, 1.15, 0.9, 1.1, 0.95, 1.12, 0.87, 1.05];
        let noisy = |level: f64, seed: u64| {
            let mut r = SplitMix64::new(seed);
            drift
                .iter()
                .map(|d| {
                    let f = level * d * (0.01 * r.normal()).exp();
                    record_with(vec![op("a", 10.0 * f, 100.0 / f, 1000, 0)])
                })
                .collect::<Vec<_>>()
        };
        let s = TrialSettings {
            metrics: vec![Metric::P50],
            threshold_percent: 3.0,
            ..TrialSettings::default()
        };
        let base = noisy(1.0, 1);
        let row = |head: &[RunRecord]| {
            compare_trials(&base, head, &s)
                .row(TestType::Benchmark, "a", Metric::P50)
                .cloned()
                .unwrap()
        };
        let slower = row(&noisy(1.05, 2));
        assert_eq!(slower.verdict, Verdict::Regressed, "{slower:?}");
        let change = slower.change_percent.unwrap();
        assert!((change - 5.0).abs() < 1.5, "{slower:?}");
        // The noise is the interval of the paired change (~1 %), not the ±15 % drift.
        assert!(slower.noise_percent.unwrap() < 2.5, "{slower:?}");
        assert!(slower.mdc_percent.unwrap() < 5.0, "{slower:?}");
        assert_eq!(slower.baseline_runs, Some(8));
        assert_eq!(row(&noisy(1.0, 3)).verdict, Verdict::Unchanged);
    }

    #[test]
    fn a_pair_disturbed_inside_makes_the_test_cautious_not_wrong() {
        // A/A, but in one pair the machine slowed by 30 % between the base and the head trial.
        let pairs: Vec<(f64, f64)> = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98]
            .iter()
            .enumerate()
            .map(|(i, b)| (*b, if i == 3 { b * 1.3 } else { b * 1.001 }))
            .collect();
        let j = judge_pairs(&pairs, Metric::P95, 0.05).unwrap();
        assert!(j.p_value > 0.05, "{j:?}");
        assert!(
            j.interval_percent.0 < 0.0 && j.interval_percent.1 > 0.0,
            "{j:?}"
        );
    }

    #[test]
    fn too_few_trials_are_noted_and_not_tested() {
        let base = trials(2, 1.0, &[1.0], 1);
        let head = trials(2, 2.0, &[1.0], 2);
        let c = compare_trials(&base, &head, &TrialSettings::default());
        assert!(
            c.notes.iter().any(|n| n.contains("at least 3 are needed")),
            "{:?}",
            c.notes
        );
        // Two pairs cannot be tested: even a doubling stays unchanged rather than judged by the threshold.
        let row = c.row(TestType::Benchmark, "a", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Unchanged, "{row:?}");
        assert_eq!(row.p_value, None);
    }

    #[test]
    fn judge_pairs_reports_interval_points_and_detectable_change() {
        let j = judge_pairs(
            &[(10.0, 12.0), (11.0, 13.0), (10.5, 12.5)],
            Metric::P95,
            0.05,
        )
        .unwrap();
        let geo = ((12.0f64 / 10.0 * 13.0 / 11.0 * 12.5 / 10.5).ln() / 3.0).exp();
        assert!(
            (j.change_percent - (geo - 1.0) * 100.0).abs() < 1e-9,
            "{j:?}"
        );
        let (lo, hi) = j.interval_percent;
        assert!(lo < j.change_percent && j.change_percent < hi, "{j:?}");
        assert!(j.mdc_percent > 0.0 && j.pairs == 3);
        let e = judge_pairs(
            &[(0.0, 2.0), (0.0, 3.0), (0.0, 2.5)],
            Metric::ErrorRate,
            0.05,
        )
        .unwrap();
        assert_eq!(e.change_percent, 2.5);
        assert!(judge_pairs(&[(1.0, 1.0), (1.0, 1.0)], Metric::P95, 0.05).is_none());
        assert!(judge_pairs(&[(0.0, 1.0); 3], Metric::P95, 0.05).is_none());
    }
}

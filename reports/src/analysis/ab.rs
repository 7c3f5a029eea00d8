//! A/B interleaved trials: the mode for noisy shared runners.
//!
//! The engine runs short trials of the base target and the head target alternately (A B A B …, default 6
//! each), so drift of the machine (a noisy neighbour, thermal throttling, a cache warming) hits both sides
//! alike. This module judges the trial-level results: for each operation × metric it has 6 values per side.
//!
//! * **Test**: Mann–Whitney U (exact null distribution for these sample sizes): no assumption about the
//!   shape of the noise, robust to one disturbed trial.
//! * **Effect and noise**: the change is `median(head) / median(base) − 1`; its 95 % percentile-bootstrap
//!   interval (seeded, so reports are reproducible) is shown as the noise.
//! * **Many series**: p-values go through Benjamini–Hochberg at `fdr_q` (default 5 %), and the change must
//!   exceed the threshold (default 10 %).
//!
//! **Resolution.** With n trials a side the smallest two-sided p-value Mann–Whitney can give is
//! `2 / C(2n, n)`: 0.0022 for 6 a side, 0.00016 for 8, 0.000011 for 10. Under Benjamini–Hochberg a lone change
//! among m series needs `p ≤ fdr_q / m`, so 6 trials a side can flag a lone change among at most about 20
//! series; [`min_trials_for`] says how many trials a suite needs. The comparison notes when a suite is too
//! large for its trial count.

use serde::{Deserialize, Serialize};

use super::compare::{
    make_row, CompareSettings, Comparison, NoiseSource, RunRef, SeriesKey, Verdict,
};
use super::series::extract;
use super::significance::{benjamini_hochberg, bootstrap_median_ratio, mann_whitney};
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
    /// Bootstrap resamples (default 2000).
    pub bootstrap_iterations: usize,
    /// Seed of the bootstrap (default fixed, so the same trials give the same report).
    pub seed: u64,
    /// The metrics compared.
    pub metrics: Vec<Metric>,
}

impl Default for TrialSettings {
    fn default() -> Self {
        Self {
            threshold_percent: 10.0,
            error_rate_threshold_points: 1.0,
            fdr_q: 0.05,
            bootstrap_iterations: 2000,
            seed: 0x5eed_0fab,
            metrics: COMPARED_METRICS.to_vec(),
        }
    }
}

/// The smallest two-sided Mann–Whitney p-value with `n` trials a side: `2 / C(2n, n)`.
pub fn min_p_value(n: usize) -> f64 {
    let mut c = 1.0f64;
    for k in 0..n {
        c = c * (2 * n - k) as f64 / (k + 1) as f64;
    }
    (2.0 / c).min(1.0)
}

/// Trials a side needed so that a lone change among `series` series can reach FDR level `fdr_q`.
pub fn min_trials_for(series: usize, fdr_q: f64) -> usize {
    let need = fdr_q / series.max(1) as f64;
    (2..=50).find(|&n| min_p_value(n) <= need).unwrap_or(50)
}

/// One series judged from trials.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialJudgement {
    /// Median of the base trials.
    pub base_median: f64,
    /// Median of the head trials.
    pub head_median: f64,
    /// Percent (points for the error rate).
    pub change_percent: f64,
    /// Raw two-sided Mann–Whitney p-value.
    pub p_value: f64,
    /// 95 % bootstrap interval of the change, percent (relative metrics only).
    pub interval_percent: Option<(f64, f64)>,
}

/// Judges one series from its trial values (`None` when either side is empty or not finite).
pub fn judge_trials(
    base: &[f64],
    head: &[f64],
    metric: Metric,
    s: &TrialSettings,
) -> Option<TrialJudgement> {
    let mw = mann_whitney(base, head)?;
    let bm = crate::stats::median(base)?;
    let hm = crate::stats::median(head)?;
    let (change, interval) = if metric == Metric::ErrorRate {
        (hm - bm, None)
    } else if bm != 0.0 {
        let ci = bootstrap_median_ratio(base, head, s.bootstrap_iterations, 0.05, s.seed)
            .map(|(lo, hi)| (lo * 100.0, hi * 100.0));
        ((hm / bm - 1.0) * 100.0, ci)
    } else {
        return None;
    };
    Some(TrialJudgement {
        base_median: bm,
        head_median: hm,
        change_percent: change,
        p_value: mw.p_value,
        interval_percent: interval,
    })
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
    let mut rows = Vec::new();
    let mut tested: Vec<(usize, f64)> = Vec::new();
    for key in keys {
        let bv = bs.get(key).map(|x| x.values()).unwrap_or_default();
        let hv = hs.get(key).map(|x| x.values()).unwrap_or_default();
        let j = judge_trials(&bv, &hv, key.metric, s);
        let (bm, hm) = (crate::stats::median(&bv), crate::stats::median(&hv));
        let noise = j
            .as_ref()
            .and_then(|j| j.interval_percent)
            .map(|(lo, hi)| (hi - lo) / 2.0);
        let Some(mut row) = make_row(
            key.clone(),
            bm,
            hm,
            !bv.is_empty(),
            !hv.is_empty(),
            noise,
            NoiseSource::Trials,
            &cs,
        ) else {
            continue;
        };
        row.baseline_runs = Some(bv.len().min(hv.len()));
        if let Some(j) = j {
            row.change_percent = Some(j.change_percent);
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
        "A/B interleaved trials: {} base and {} head trials; Mann–Whitney U per series, Benjamini–Hochberg at {}% over {} series; noise is the 95% bootstrap interval of the change in medians.",
        base.len(),
        head.len(),
        crate::metric::sig(s.fdr_q * 100.0),
        tested.len()
    )];
    if n > 0 && !tested.is_empty() && min_p_value(n) > s.fdr_q / tested.len() as f64 {
        notes.push(format!(
            "With {n} trials a side the smallest possible p-value is {:.4}: a lone change among {} series cannot reach significance. Use {} trials a side.",
            min_p_value(n),
            tested.len(),
            min_trials_for(tested.len(), s.fdr_q)
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
    fn min_p_values_match_the_binomial_formula() {
        assert!((min_p_value(6) - 2.0 / 924.0).abs() < 1e-12);
        assert!((min_p_value(8) - 2.0 / 12870.0).abs() < 1e-12);
        assert_eq!(min_trials_for(1, 0.05), 4);
        // 0.05 / 40 = 0.00125: 6 a side (0.0022) is not enough, 7 (0.00058) is.
        assert_eq!(min_trials_for(40, 0.05), 7);
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
    fn too_few_trials_for_the_suite_is_noted() {
        let base = trials(3, 1.0, &[1.0], 1);
        let head = trials(3, 2.0, &[1.0], 2);
        let c = compare_trials(&base, &head, &TrialSettings::default());
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("cannot reach significance")),
            "{:?}",
            c.notes
        );
        // With 3 a side even a doubling is not significant: the mode needs more trials.
        assert_eq!(
            c.row(TestType::Benchmark, "a", Metric::P95)
                .unwrap()
                .verdict,
            Verdict::Unchanged
        );
    }

    #[test]
    fn judge_trials_reports_interval_and_points() {
        let s = TrialSettings::default();
        let j = judge_trials(&[10.0, 11.0, 10.5], &[12.0, 13.0, 12.5], Metric::P95, &s).unwrap();
        assert!((j.change_percent - 19.047).abs() < 0.01);
        let (lo, hi) = j.interval_percent.unwrap();
        assert!(lo <= j.change_percent && j.change_percent <= hi);
        let e = judge_trials(&[0.0, 0.0], &[2.0, 3.0], Metric::ErrorRate, &s).unwrap();
        assert_eq!(e.change_percent, 2.5);
        assert!(judge_trials(&[], &[1.0], Metric::P95, &s).is_none());
    }
}

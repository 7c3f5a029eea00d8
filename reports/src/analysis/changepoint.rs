//! Change points in a series: where a branch's performance moved, by how much, and how sure we are.
//!
//! The method is the one Hunter and its successor Apache Otava use on MongoDB's and DataStax's CI histories
//! (Fleming et al., "Hunter: Using Change Point Detection to Hunt for Performance Regressions", ICPE 2023):
//!
//! 1. **E-divisive means** (Matteson & James, "A Nonparametric Approach for Multiple Change Point Analysis of
//!    Multivariate Data", JASA 109(505), 2014) with exponent α = 1 proposes the split τ that maximizes
//!    `Q(τ) = m·n/(m+n) · (2/(m·n)·Σ|xᵢ−yⱼ| − 2/(m(m−1))·Σ|xᵢ−xₖ| − 2/(n(n−1))·Σ|yⱼ−yₗ|)`.
//! 2. Instead of E-divisive's permutation test (random, slow), a split is tested with a two-sample t-test
//!    between the segments on either side — deterministic, and what makes Hunter usable in CI. perfgate uses
//!    Welch's form (unequal variances): with Student's pooled form, one slow run next to a normal one at the end
//!    of a series tests as a "change". Values are compared on a log scale (timings are log-normal; a ratio is
//!    symmetric there).
//!    Because the split tested is the *best* of all positions, its p-value is multiplied by the number of
//!    positions (Bonferroni); without that, a stable series with 10 % noise shows a "change" in one of ten
//!    30-run histories.
//! 3. Binary segmentation proposes candidates down to the smallest segments; then every candidate is
//!    re-tested against its neighbours only, and the weakest is dropped until all pass (`max_p_value`,
//!    `min_magnitude_percent`) — backward elimination, as Otava's candidate pruning does.
//! 4. Long series are cut into overlapping windows (Hunter's approach, so that old, large shifts do not mask
//!    recent small ones); candidates from all windows are merged and re-tested on the whole series.
//!
//! A gradual creep shows as one or more change points inside the ramp; a regression that later recovers shows
//! as two change points of opposite sign, when it held for `min_level` runs (default 5; shorter excursions in
//! a noisy series are blips). The segment after a change point needs `min_segment` values
//! (default 3), so a change is reported at the earliest three runs after it happened: one or two slow runs
//! alone are outliers, not a change. (The per-run gate in [`super::baseline`] judges a single new run.)

use serde::{Deserialize, Serialize};

use super::significance::welch_t_test;
use crate::stats::mean;

/// Settings of change-point detection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangePointSettings {
    /// A change point is kept only when the (Bonferroni-adjusted) t-test between its neighbouring segments
    /// gives `p ≤` this (default 0.01).
    pub max_p_value: f64,
    /// … and the means of those segments differ by at least this many percent (default 5).
    pub min_magnitude_percent: f64,
    /// Fewest values on each side of a change point (default 3). The defaults (3, `p ≤ 0.01`, test span 10,
    /// level 5) were chosen on synthetic series (`analysis::eval`, 400 series a cell): they find 96–97 % of
    /// 10 % steps at 3 % noise within 10 runs (median delay 4), with false change points in at most 0.8 % of
    /// stable series at 3 % noise and 1.2 % at 10 % noise. `min_segment` 2 reports a run earlier but found only
    /// 90 %, with 2 % false ones at 3 % noise.
    pub min_segment: usize,
    /// Fewest values of a level between two change points (default 5): shorter excursions in a noisy series
    /// are blips, not steps.
    pub min_level: usize,
    /// Window length for long series (default 60); windows overlap by half.
    pub window: usize,
    /// At most this many values on each side of a change point enter its test (default 10): a change is
    /// judged against its recent surroundings, and the Bonferroni factor stays bounded, so a long stable
    /// history does not make a fresh change harder to see.
    pub test_span: usize,
}

impl Default for ChangePointSettings {
    fn default() -> Self {
        Self {
            max_p_value: 0.01,
            min_magnitude_percent: 5.0,
            min_segment: 3,
            min_level: 5,
            window: 60,
            test_span: 10,
        }
    }
}

/// One change point in a series of values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangePoint {
    /// Index of the first value after the change.
    pub index: usize,
    /// Mean of the segment before (back to the previous change point).
    pub before_mean: f64,
    /// Mean of the segment after (up to the next change point).
    pub after_mean: f64,
    /// `(after / before − 1) × 100`.
    pub magnitude_percent: f64,
    /// Two-sided p-value of the Welch t-test between the two segments, times the number of positions the
    /// change point could have taken between its neighbours (Bonferroni for having picked the best split).
    pub p_value: f64,
}

/// Finds the change points of `values` (oldest first). Values must be positive and finite; anything else (or
/// fewer than `2·min_segment` values) gives no change point.
pub fn detect(values: &[f64], settings: &ChangePointSettings) -> Vec<ChangePoint> {
    let min_seg = settings.min_segment.max(1);
    if values.len() < 2 * min_seg || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Vec::new();
    }
    let logs: Vec<f64> = values.iter().map(|v| v.ln()).collect();
    let w = settings.window.max(4 * min_seg);
    let mut candidates: Vec<usize> = Vec::new();
    if logs.len() <= w {
        split(&logs, 0, logs.len(), min_seg, &mut candidates);
    } else {
        let stride = w / 2;
        let mut start = 0;
        loop {
            let end = (start + w).min(logs.len());
            split(&logs, start, end, min_seg, &mut candidates);
            if end == logs.len() {
                break;
            }
            start += stride;
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    prune(&logs, values, candidates, settings)
}

/// The t-test and magnitude of a split at `tau` of `[a, b)`. The p-value is multiplied by the number of
/// positions the split could have taken in `[a, b)` (Bonferroni): the split was chosen as the most different
/// one, so its raw p-value is too small by about that factor.
fn test_split(
    logs: &[f64],
    a: usize,
    tau: usize,
    b: usize,
    min_seg: usize,
    span: usize,
) -> Option<(f64, f64)> {
    // Bonferroni over the positions a split could take in a full test window (`span` a side), whatever
    // the neighbours: with the current segment instead, spurious change points a few runs apart shrank each
    // other's correction to nothing and a noisy series filled with blips.
    let full = (2 * span.max(min_seg)).min(logs.len());
    let positions = (full + 1).saturating_sub(2 * min_seg).max(1) as f64;
    let a = a.max(tau.saturating_sub(span.max(min_seg)));
    let b = b.min(tau + span.max(min_seg));
    // (a, b) are already cut to `span` values on each side of tau.
    let p = (welch_t_test(&logs[a..tau], &logs[tau..b])? * positions).min(1.0);
    let before = mean(&logs[a..tau])?;
    let after = mean(&logs[tau..b])?;
    Some((p, ((after - before).exp() - 1.0) * 100.0))
}

/// Binary segmentation of `[a, b)` with the E-divisive statistic, down to the smallest segments: every split
/// is a candidate; [`prune`] decides which survive. (Gating each split by its own test would miss a regression
/// that recovers: the first split of up-then-down data mixes both levels on one side and tests weakly.)
fn split(logs: &[f64], a: usize, b: usize, min_seg: usize, out: &mut Vec<usize>) {
    if b - a < 2 * min_seg {
        return;
    }
    let Some(tau) = best_split(&logs[a..b], min_seg).map(|t| t + a) else {
        return;
    };
    out.push(tau);
    split(logs, a, tau, min_seg, out);
    split(logs, tau, b, min_seg, out);
}

/// The split maximizing the E-divisive Q statistic (α = 1), `None` when no split leaves `min_seg` on each side.
fn best_split(x: &[f64], min_seg: usize) -> Option<usize> {
    let n = x.len();
    if n < 2 * min_seg {
        return None;
    }
    // within[a][b] = Σ_{a ≤ i < k < b} |x_i − x_k|, built from row sums so that any block is O(1).
    // row[i][k] = Σ_{i < j < k} |x_i − x_j| (prefix along the row).
    let mut row = vec![vec![0.0; n + 1]; n];
    for i in 0..n {
        for k in (i + 1)..=n {
            let add = if k - 1 > i {
                (x[i] - x[k - 1]).abs()
            } else {
                0.0
            };
            row[i][k] = row[i][k - 1] + add;
        }
    }
    // within(a, b) = Σ_{i=a}^{b−1} row[i][b] restricted to j ≥ i+1, i.e. row[i][b] (j < b).
    let within = |a: usize, b: usize| -> f64 { (a..b).map(|i| row[i][b]).sum() };
    let total = within(0, n);
    let mut best: Option<(usize, f64)> = None;
    for tau in min_seg..=(n - min_seg) {
        let left = within(0, tau);
        let right = within(tau, n);
        let cross = total - left - right;
        let (m, k) = (tau as f64, (n - tau) as f64);
        let wl = if tau >= 2 {
            2.0 * left / (m * (m - 1.0))
        } else {
            0.0
        };
        let wr = if n - tau >= 2 {
            2.0 * right / (k * (k - 1.0))
        } else {
            0.0
        };
        let q = m * k / (m + k) * (2.0 * cross / (m * k) - wl - wr);
        if best.is_none_or(|(_, bq)| q > bq) {
            best = Some((tau, q));
        }
    }
    best.map(|(t, _)| t)
}

/// Re-tests each candidate against its neighbours; drops the weakest failing one until all pass.
fn prune(
    logs: &[f64],
    values: &[f64],
    mut cps: Vec<usize>,
    s: &ChangePointSettings,
) -> Vec<ChangePoint> {
    // Why candidate `i` fails (its p-value, 1.0 for too small a step), or `None` when it stands. A test
    // depends only on the candidate and its two neighbours, so after a removal only the two candidates
    // beside it are tested again (the loop would otherwise be quadratic in t-tests).
    // A level between two change points must hold for `min_level` runs: in a noisy series, spurious change
    // points come in pairs a few runs apart (a blip up and back), each making the other look significant.
    // The weaker of two close ones fails, and the other is tested again without it. The first and last
    // segments only need `min_segment` runs, so a fresh step is still reported a few runs after it happened.
    let min_level = s.min_level.max(s.min_segment);
    let fails = |cps: &[usize], i: usize| -> Option<f64> {
        let a = if i == 0 { 0 } else { cps[i - 1] };
        let b = cps.get(i + 1).copied().unwrap_or(logs.len());
        let crowded =
            (i > 0 && cps[i] - a < min_level) || (i + 1 < cps.len() && b - cps[i] < min_level);
        match test_split(logs, a, cps[i], b, s.min_segment.max(1), s.test_span) {
            Some((p, mag)) => {
                if mag.abs() < s.min_magnitude_percent {
                    Some(1.0)
                } else if p > s.max_p_value || crowded {
                    Some(p)
                } else {
                    None
                }
            }
            None => Some(1.0),
        }
    };
    let mut verdicts: Vec<Option<f64>> = (0..cps.len()).map(|i| fails(&cps, i)).collect();
    loop {
        let mut worst: Option<(usize, f64)> = None;
        for (i, v) in verdicts.iter().enumerate() {
            if let Some(p) = *v {
                if worst.is_none_or(|(_, wp)| p > wp) {
                    worst = Some((i, p));
                }
            }
        }
        let Some((i, _)) = worst else { break };
        cps.remove(i);
        verdicts.remove(i);
        if i > 0 {
            verdicts[i - 1] = fails(&cps, i - 1);
        }
        if i < cps.len() {
            verdicts[i] = fails(&cps, i);
        }
    }
    cps.iter()
        .enumerate()
        .filter_map(|(i, &tau)| {
            let a = if i == 0 { 0 } else { cps[i - 1] };
            let b = cps.get(i + 1).copied().unwrap_or(logs.len());
            let (p, _) = test_split(logs, a, tau, b, s.min_segment.max(1), s.test_span)?;
            let before = mean(&values[a..tau])?;
            let after = mean(&values[tau..b])?;
            Some(ChangePoint {
                index: tau,
                before_mean: before,
                after_mean: after,
                magnitude_percent: (after / before - 1.0) * 100.0,
                p_value: p,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::SplitMix64;

    fn noisy(levels: &[(usize, f64)], cov: f64, seed: u64) -> Vec<f64> {
        let mut r = SplitMix64::new(seed);
        levels
            .iter()
            .flat_map(|&(n, level)| (0..n).map(move |_| level).collect::<Vec<_>>())
            .map(|level| level * (cov * r.normal()).exp())
            .collect()
    }

    #[test]
    fn blips_in_a_long_noisy_series_are_not_steps_but_a_held_level_is() {
        // 10 % noise over 300 runs: without the level rule, blips a few runs long piled up here.
        let mut spurious = 0;
        for seed in 1..=10 {
            let xs = noisy(&[(300, 100.0)], 0.10, seed);
            spurious += detect(&xs, &ChangePointSettings::default()).len();
        }
        assert!(
            spurious <= 3,
            "{spurious} change points in 10 stable series"
        );
        // A 30 % regression held for 8 runs, then fixed: both edges are found.
        let ys = noisy(&[(30, 100.0), (8, 130.0), (30, 100.0)], 0.03, 3);
        let idx: Vec<usize> = detect(&ys, &ChangePointSettings::default())
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(idx, [30, 38]);
    }

    #[test]
    fn finds_a_step_with_its_size() {
        let xs = noisy(&[(20, 100.0), (15, 120.0)], 0.02, 1);
        let cps = detect(&xs, &ChangePointSettings::default());
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 20);
        assert!((cps[0].magnitude_percent - 20.0).abs() < 3.0, "{cps:?}");
        assert!(cps[0].p_value < 1e-6);
        assert!((cps[0].before_mean - 100.0).abs() < 2.0);
    }

    #[test]
    fn stable_noise_has_no_change_point() {
        for seed in 0..20 {
            let xs = noisy(&[(40, 100.0)], 0.03, seed);
            assert!(
                detect(&xs, &ChangePointSettings::default()).is_empty(),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn a_regression_that_recovers_shows_two_change_points() {
        let xs = noisy(&[(15, 100.0), (8, 130.0), (15, 100.0)], 0.02, 3);
        let cps = detect(&xs, &ChangePointSettings::default());
        let idx: Vec<usize> = cps.iter().map(|c| c.index).collect();
        assert_eq!(idx, vec![15, 23], "{cps:?}");
        assert!(cps[0].magnitude_percent > 20.0 && cps[1].magnitude_percent < -15.0);
    }

    #[test]
    fn gradual_creep_is_visible() {
        // +1% per run for 30 runs after a flat start.
        let mut r = SplitMix64::new(9);
        let xs: Vec<f64> = (0..50)
            .map(|i| {
                let level = if i < 20 {
                    100.0
                } else {
                    100.0 * 1.01f64.powi(i - 19)
                };
                level * (0.01 * r.normal()).exp()
            })
            .collect();
        let cps = detect(&xs, &ChangePointSettings::default());
        assert!(!cps.is_empty(), "creep must show");
        assert!(
            cps.iter()
                .all(|c| c.magnitude_percent > 0.0 && c.index > 15),
            "{cps:?}"
        );
    }

    #[test]
    fn one_or_two_slow_runs_at_the_end_are_not_a_change_three_are() {
        let mut xs = noisy(&[(20, 100.0)], 0.02, 5);
        xs.push(150.0);
        assert!(detect(&xs, &ChangePointSettings::default()).is_empty());
        xs.push(151.0);
        assert!(detect(&xs, &ChangePointSettings::default()).is_empty());
        xs.push(149.0);
        let cps = detect(&xs, &ChangePointSettings::default());
        assert_eq!(cps.iter().map(|c| c.index).collect::<Vec<_>>(), vec![20]);
    }

    #[test]
    fn long_series_use_windows_and_keep_old_and_new_changes() {
        let xs = noisy(&[(80, 100.0), (80, 150.0), (60, 140.0)], 0.01, 11);
        let cps = detect(&xs, &ChangePointSettings::default());
        let idx: Vec<usize> = cps.iter().map(|c| c.index).collect();
        assert_eq!(idx, vec![80, 160], "{cps:?}");
    }

    #[test]
    fn bad_input_gives_nothing() {
        assert!(detect(&[], &ChangePointSettings::default()).is_empty());
        assert!(detect(&[1.0, f64::NAN, 2.0, 3.0], &ChangePointSettings::default()).is_empty());
        assert!(detect(&[1.0, 0.0, 2.0, 3.0], &ChangePointSettings::default()).is_empty());
    }
}

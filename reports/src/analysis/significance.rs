//! Significance tests and their building blocks, over plain `f64` slices.
//!
//! Each function takes numbers and returns numbers, `None` for empty, too short or non-finite input. Sources:
//!
//! * Student-t prediction interval for one new observation: `x̄ ± t(1−α/2, n−1) · s · √(1 + 1/n)`
//!   (NIST/SEMATECH e-Handbook of Statistical Methods, §7.1.6 / Hahn & Meeker, *Statistical Intervals*, 1991,
//!   §4.7). Its test form, `t = (y − x̄) / (s·√(1+1/n))` with n−1 degrees of freedom, gives the p-value.
//! * Modified z-score for outliers, `0.6745·(x − median)/MAD`, flagged above 3.5 by Iglewicz & Hoaglin, *How to
//!   Detect and Handle Outliers*, 1993 (the rule hyperfine uses).
//! * Benjamini & Hochberg, "Controlling the false discovery rate", J. R. Stat. Soc. B 57(1), 1995: step-up
//!   adjusted p-values.
//! * Mann & Whitney, "On a test of whether one of two random variables is stochastically larger than the
//!   other", Ann. Math. Stat. 18(1), 1947: U statistic; exact null distribution by the recurrence
//!   `N(u; m, n) = N(u − n; m − 1, n) + N(u; m, n − 1)` for small samples without ties, normal approximation
//!   with tie and continuity corrections otherwise.
//! * Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 13: percentile bootstrap interval.
//! * Welch, "The generalization of 'Student's' problem when several different population variances are
//!   involved", Biometrika 34, 1947: the unequal-variance two-sample t-test (for change points).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::stats::{mean, median, sample_stddev};

use super::rng::SplitMix64;

/// The `1 − p` quantile of Student's t with `df` degrees of freedom (e.g. `p = 0.025` for a two-sided 95 %
/// interval). `None` for `df < 1` or `p` outside (0, 1).
pub fn t_upper_quantile(p: f64, df: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0 && df >= 1.0) {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    let q = t.inverse_cdf(1.0 - p);
    q.is_finite().then_some(q)
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
pub fn t_two_sided_p(t_stat: f64, df: f64) -> Option<f64> {
    if !t_stat.is_finite() || df.is_nan() || df < 1.0 {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * t.sf(t_stat.abs())).clamp(0.0, 1.0))
}

/// The standard normal CDF.
pub fn normal_cdf(z: f64) -> f64 {
    // Normal::new(0, 1) cannot fail.
    Normal::new(0.0, 1.0).map(|n| n.cdf(z)).unwrap_or(f64::NAN)
}

/// The `1 − p` quantile of the standard normal (e.g. `p = 0.025` → 1.96). `None` for `p` outside (0, 1).
pub fn normal_upper_quantile(p: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    let q = Normal::new(0.0, 1.0).ok()?.inverse_cdf(1.0 - p);
    q.is_finite().then_some(q)
}

/// Two-sided p-value of a standard normal statistic.
pub fn normal_two_sided_p(z: f64) -> Option<f64> {
    z.is_finite()
        .then(|| (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0))
}

/// A Student-t prediction interval for the next value of a sample, and the test of a new value against it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PredictionInterval {
    /// Sample size.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub stddev: f64,
    /// Lower and upper bound at the requested confidence.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl PredictionInterval {
    /// The interval at confidence `1 − alpha` for one new value drawn like `xs`. Needs 3 values and a
    /// positive spread (a constant history predicts nothing about noise).
    pub fn new(xs: &[f64], alpha: f64) -> Option<Self> {
        if xs.len() < 3 {
            return None;
        }
        let m = mean(xs)?;
        let s = sample_stddev(xs)?;
        // A constant sample (up to rounding of its mean) has no spread to predict from.
        if s.is_nan() || s <= 1e-12 * m.abs() || s == 0.0 {
            return None;
        }
        let n = xs.len() as f64;
        let half = t_upper_quantile(alpha / 2.0, n - 1.0)? * s * (1.0 + 1.0 / n).sqrt();
        Some(Self {
            n: xs.len(),
            mean: m,
            stddev: s,
            low: m - half,
            high: m + half,
        })
    }

    /// The t statistic of a new value `y`.
    pub fn t_stat(&self, y: f64) -> f64 {
        let n = self.n as f64;
        (y - self.mean) / (self.stddev * (1.0 + 1.0 / n).sqrt())
    }

    /// Two-sided p-value of `y` coming from the same distribution as the sample.
    pub fn p_value(&self, y: f64) -> Option<f64> {
        t_two_sided_p(self.t_stat(y), self.n as f64 - 1.0)
    }
}

/// Indices of values whose modified z-score `0.6745·|x − median| / MAD` exceeds `limit` (Iglewicz & Hoaglin
/// recommend 3.5). With MAD = 0 (over half the values equal) nothing is flagged: there is no spread to measure
/// against.
pub fn mad_outliers(xs: &[f64], limit: f64) -> Vec<usize> {
    let Some(med) = median(xs) else {
        return Vec::new();
    };
    let Some(mad) = crate::stats::mad(xs) else {
        return Vec::new();
    };
    if mad == 0.0 {
        return Vec::new();
    }
    xs.iter()
        .enumerate()
        .filter(|(_, x)| 0.6745 * (*x - med).abs() / mad > limit)
        .map(|(i, _)| i)
        .collect()
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the input order. A test is a discovery at FDR level `q`
/// when its adjusted value is `≤ q`. Non-finite p-values are treated as 1.
pub fn benjamini_hochberg(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut idx: Vec<usize> = (0..m).collect();
    let p = |i: usize| {
        if ps[i].is_finite() {
            ps[i].clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    idx.sort_by(|&a, &b| p(a).total_cmp(&p(b)));
    let mut adj = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        let v = (p(i) * m as f64 / (rank + 1) as f64).min(1.0);
        running = running.min(v);
        adj[i] = running;
    }
    adj
}

/// Welch's two-sample t-test (unequal variances, Welch–Satterthwaite degrees of freedom): two-sided p-value
/// that `a` and `b` share a mean. Needs two values on each side. Two constant samples give 1 when equal and 0
/// when not.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (ma, mb) = (mean(a)?, mean(b)?);
    let (sa, sb) = (sample_stddev(a)?, sample_stddev(b)?);
    let (va, vb) = (sa * sa / na, sb * sb / nb);
    let se2 = va + vb;
    if se2.is_nan() || se2 <= 0.0 {
        return Some(if ma == mb { 1.0 } else { 0.0 });
    }
    let t = (mb - ma) / se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    t_two_sided_p(t, df.max(1.0))
}

/// The result of a Mann–Whitney U test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of the second sample: the number of pairs where `b` is larger (ties count ½).
    pub u_b: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// `U_b / (n_a·n_b)`: the probability that a value of `b` exceeds one of `a` (0.5 = no shift).
    pub prob_b_greater: f64,
    /// True when the exact null distribution was used.
    pub exact: bool,
}

/// Mann–Whitney U test of `a` against `b` (two-sided). Exact when both samples have at most 30 values and
/// there are no ties; normal approximation with tie and continuity corrections otherwise.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    if a.is_empty() || b.is_empty() || a.iter().chain(b).any(|x| !x.is_finite()) {
        return None;
    }
    let (na, nb) = (a.len(), b.len());
    // Ranks with ties averaged.
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, false))
        .chain(b.iter().map(|&x| (x, true)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let mut ranks = vec![0.0; n];
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for rank in ranks.iter_mut().take(j + 1).skip(i) {
            *rank = r;
        }
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let rank_b: f64 = all
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| v.1)
        .map(|(_, r)| r)
        .sum();
    let u_b = rank_b - (nb * (nb + 1)) as f64 / 2.0;
    let nn = (na * nb) as f64;
    let prob = u_b / nn;
    let has_ties = tie_term > 0.0;
    if !has_ties && na <= 30 && nb <= 30 {
        let dist = exact_u_distribution(na, nb);
        let total: f64 = dist.iter().sum();
        let u = u_b.round() as usize;
        let lower: f64 = dist[..=u.min(dist.len() - 1)].iter().sum::<f64>() / total;
        let upper: f64 = dist[u.min(dist.len() - 1)..].iter().sum::<f64>() / total;
        let p = (2.0 * lower.min(upper)).min(1.0);
        return Some(MannWhitney {
            u_b,
            p_value: p,
            prob_b_greater: prob,
            exact: true,
        });
    }
    let mu = nn / 2.0;
    let nf = n as f64;
    let var = nn / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var.is_nan() || var <= 0.0 {
        return Some(MannWhitney {
            u_b,
            p_value: 1.0,
            prob_b_greater: prob,
            exact: false,
        });
    }
    let z = ((u_b - mu).abs() - 0.5).max(0.0) / var.sqrt();
    let p = (2.0 * (1.0 - normal_cdf(z))).min(1.0);
    Some(MannWhitney {
        u_b,
        p_value: p,
        prob_b_greater: prob,
        exact: false,
    })
}

/// Counts of each U value (0 ..= m·n) under the null hypothesis, for sample sizes m and n.
fn exact_u_distribution(m: usize, n: usize) -> Vec<f64> {
    // table[i][j] = distribution for sizes (i, j); built bottom-up with the recurrence.
    let max_u = m * n;
    let mut prev_row: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect(); // i = 0: U is 0 in one way.
    for i in 1..=m {
        let mut row: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        row.push(vec![1.0]); // j = 0
        for j in 1..=n {
            let size = i * j + 1;
            let mut d = vec![0.0; size];
            // N(u; i, j) = N(u − j; i − 1, j) + N(u; i, j − 1)
            for (u, slot) in d.iter_mut().enumerate() {
                let a = if u >= j {
                    prev_row[j].get(u - j).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                let b = row[j - 1].get(u).copied().unwrap_or(0.0);
                *slot = a + b;
            }
            row.push(d);
        }
        prev_row = row;
    }
    let mut d = prev_row.swap_remove(n);
    d.resize(max_u + 1, 0.0);
    d
}

/// Percentile bootstrap interval (confidence `1 − alpha`) of `median(b) / median(a) − 1`, from `iterations`
/// resamples drawn with a seeded generator (so the same data always gives the same interval).
pub fn bootstrap_median_ratio(
    a: &[f64],
    b: &[f64],
    iterations: usize,
    alpha: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    if a.is_empty() || b.is_empty() || iterations < 10 || a.iter().chain(b).any(|x| !x.is_finite())
    {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let mut ra = vec![0.0; a.len()];
    let mut rb = vec![0.0; b.len()];
    let mut ratios = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        for x in ra.iter_mut() {
            *x = a[rng.below(a.len())];
        }
        for x in rb.iter_mut() {
            *x = b[rng.below(b.len())];
        }
        let (ma, mb) = (median(&ra)?, median(&rb)?);
        if ma != 0.0 {
            ratios.push(mb / ma - 1.0);
        }
    }
    if ratios.len() < 10 {
        return None;
    }
    ratios.sort_by(|x, y| x.total_cmp(y));
    let at =
        |q: f64| ratios[((q * (ratios.len() - 1) as f64).round() as usize).min(ratios.len() - 1)];
    Some((at(alpha / 2.0), at(1.0 - alpha / 2.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_tables() {
        // t(0.975, 9) = 2.262, t(0.975, 1) = 12.706, t(0.995, 29) = 2.756 (standard tables).
        assert!(close(t_upper_quantile(0.025, 9.0).unwrap(), 2.262, 1e-3));
        assert!(close(t_upper_quantile(0.025, 1.0).unwrap(), 12.706, 1e-3));
        assert!(close(t_upper_quantile(0.005, 29.0).unwrap(), 2.756, 1e-3));
        assert!(close(t_two_sided_p(2.262, 9.0).unwrap(), 0.05, 1e-3));
        assert_eq!(t_upper_quantile(0.025, 0.0), None);
        assert_eq!(t_two_sided_p(f64::NAN, 5.0), None);
    }

    #[test]
    fn prediction_interval_contains_the_mean_and_widens_for_small_samples() {
        let xs = [10.0, 11.0, 9.0, 10.5, 9.5];
        let pi = PredictionInterval::new(&xs, 0.05).unwrap();
        assert!(pi.low < 10.0 && pi.high > 10.0);
        // s = 0.79, t(.975,4) = 2.776, √1.2: half ≈ 2.40.
        assert!(close(pi.high - pi.mean, 2.40, 0.01), "{pi:?}");
        assert!(close(pi.p_value(pi.high).unwrap(), 0.05, 1e-6));
        let more: Vec<f64> = xs.iter().cycle().take(40).copied().collect();
        let wide = PredictionInterval::new(&more, 0.05).unwrap();
        assert!(wide.high - wide.mean < pi.high - pi.mean);
        assert_eq!(PredictionInterval::new(&[1.0, 1.0, 1.0], 0.05), None);
        assert_eq!(PredictionInterval::new(&[1.0, 2.0], 0.05), None);
    }

    #[test]
    fn mad_outliers_flag_the_far_value_and_survive_zero_mad() {
        assert_eq!(mad_outliers(&[10.0, 10.2, 9.9, 10.1, 30.0], 3.5), vec![4]);
        assert!(mad_outliers(&[5.0, 5.0, 5.0, 9.0], 3.5).is_empty());
        assert!(mad_outliers(&[], 3.5).is_empty());
    }

    #[test]
    fn benjamini_hochberg_matches_the_paper_procedure() {
        // m = 4: sorted p 0.01, 0.02, 0.03, 0.5 → 0.04, 0.04, 0.04, 0.5.
        let q = benjamini_hochberg(&[0.03, 0.5, 0.01, 0.02]);
        let expected = [0.04, 0.5, 0.04, 0.04];
        for (a, b) in q.iter().zip(expected) {
            assert!(close(*a, b, 1e-12), "{q:?}");
        }
        // Monotone and capped at 1.
        let q = benjamini_hochberg(&[0.9, 0.95, f64::NAN]);
        assert!(q.iter().all(|v| *v <= 1.0));
        assert_eq!(q[2], 1.0);
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn mann_whitney_exact_and_approximate() {
        // Complete separation, 6 vs 6: exact two-sided p = 2 / C(12,6) = 2/924.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let r = mann_whitney(&a, &b).unwrap();
        assert!(r.exact);
        assert!(close(r.p_value, 2.0 / 924.0, 1e-12), "{r:?}");
        assert_eq!(r.prob_b_greater, 1.0);
        // Interleaved: no evidence.
        let r = mann_whitney(&[1.0, 3.0, 5.0, 7.0], &[2.0, 4.0, 6.0, 8.0]).unwrap();
        assert!(r.p_value > 0.5, "{r:?}");
        // The exact distribution sums to C(m+n, m).
        let d = exact_u_distribution(4, 5);
        assert_eq!(d.iter().sum::<f64>(), 126.0);
        // Ties: the normal approximation.
        let r = mann_whitney(&[1.0, 1.0, 2.0, 2.0], &[2.0, 3.0, 3.0, 3.0]).unwrap();
        assert!(!r.exact && r.p_value < 0.2 && r.p_value > 0.0, "{r:?}");
        assert_eq!(mann_whitney(&[], &[1.0]), None);
    }

    #[test]
    fn welch_t_test_detects_a_shift_and_not_noise() {
        let a = [10.0, 10.1, 9.9, 10.05, 9.95];
        let b = [11.0, 11.1, 10.9, 11.05];
        assert!(welch_t_test(&a, &b).unwrap() < 1e-5);
        assert!(welch_t_test(&a, &[10.0, 10.02]).unwrap() > 0.5);
        // One outlier next to a normal value is not a shift.
        assert!(welch_t_test(&a, &[10.0, 15.0]).unwrap() > 0.1);
        assert_eq!(welch_t_test(&[1.0], &[2.0, 3.0]), None);
        assert_eq!(welch_t_test(&[1.0, 1.0], &[1.0, 1.0]), Some(1.0));
    }

    #[test]
    fn bootstrap_interval_is_deterministic_and_covers_the_shift() {
        let a = [100.0, 102.0, 98.0, 101.0, 99.0, 100.5];
        let b = [120.0, 122.0, 118.0, 121.0, 119.0, 120.5];
        let ci = bootstrap_median_ratio(&a, &b, 2000, 0.05, 7).unwrap();
        assert_eq!(Some(ci), bootstrap_median_ratio(&a, &b, 2000, 0.05, 7));
        assert!(ci.0 > 0.15 && ci.1 < 0.25, "{ci:?}");
        assert_eq!(bootstrap_median_ratio(&[], &b, 100, 0.05, 1), None);
    }
}

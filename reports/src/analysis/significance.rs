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

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::stats::{mean, median, sample_stddev};

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
}

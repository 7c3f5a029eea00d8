//! Capacity from the stress curve: the Universal Scalability Law fitted to throughput vs users.
//!
//! Why it exists: a stress test stops at a breaking point, but users ask "how many users can the service take
//! before p95 passes the gate?". Gunther's Universal Scalability Law models a closed system's throughput at `N`
//! users as
//!
//! ```text
//! X(N) = λN / (1 + σ(N−1) + κN(N−1))
//! ```
//!
//! with `λ` the throughput of one user, `σ` contention (serialisation, 0 ≤ σ < 1) and `κ` coherency (crosstalk,
//! κ ≥ 0). Its peak is at `N* = sqrt((1−σ)/κ)`. Little's law for a closed system with think time `Z` gives the
//! mean response time `R(N) = N / X(N) − Z`; the p95 is predicted as `R(N)` times the measured p95/mean ratio
//! (the median over the steps), and the users at which it crosses the p95 gate are reported.
//!
//! The fit is a non-linear least squares on throughput, hand-written (≈ 100 lines) rather than taken from a
//! crate: the problem has three parameters and a handful of points, and the crates that do Levenberg–Marquardt
//! (`levenberg-marquardt`, `argmin`) bring nalgebra/ndarray, far heavier than the problem on a 2-core build.
//! It starts from a variable projection (for each `λ` on a log grid, `σ, κ` solve a linear least squares of
//! `λN/X − 1 = σ(N−1) + κN(N−1)`), then refines all three by Levenberg–Marquardt with σ, κ kept in range.
//!
//! Pure: numbers in, numbers out. When the steps are too few (fewer than 4 distinct user counts: three
//! parameters need a residual) or the fit is poor (R² below [`MIN_R_SQUARED`]), [`Capacity`] says so in
//! `note` and carries no prediction.

use serde::{Deserialize, Serialize};

use crate::record::StressStep;

/// Below this R² the fit is called poor and no prediction is printed.
pub const MIN_R_SQUARED: f64 = 0.90;
/// Fewest distinct user counts a fit needs.
pub const MIN_STEPS: usize = 4;
/// The prediction of users at the p95 gate looks no further than this multiple of the largest step.
const SEARCH_LIMIT_FACTOR: f64 = 100.0;

/// One measured stress step, as the fit sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurvePoint {
    pub users: f64,
    pub throughput_rps: f64,
    /// Mean and p95 latency at this step, ms (0 when unknown).
    pub mean_ms: f64,
    pub p95_ms: f64,
}

impl CurvePoint {
    /// The point of a recorded stress step.
    pub fn from_step(s: &StressStep) -> Self {
        Self {
            users: f64::from(s.concurrency),
            throughput_rps: s.throughput_rps,
            mean_ms: s.latency_ms.avg,
            p95_ms: s.latency_ms.p95,
        }
    }
}

/// The USL fit and what follows from it. Stored in the record under `stress.capacity`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Capacity {
    /// `fitted`, `poor_fit` or `too_few_steps`.
    pub status: String,
    /// Human sentence: the answer, or why there is none.
    pub note: String,
    /// Steps used by the fit.
    pub points: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_rps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa: Option<f64>,
    /// Coefficient of determination of the throughput fit (1 is perfect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r_squared: Option<f64>,
    /// Root-mean-square residual of the throughput fit, rps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rmse_rps: Option<f64>,
    /// `N* = sqrt((1−σ)/κ)`: the users at which throughput peaks (absent when κ ≈ 0: no peak in sight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_users: Option<f64>,
    /// `X(N*)`, or the asymptote `λ/σ` when there is no peak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_throughput_rps: Option<f64>,
    /// The p95 gate the prediction is made for, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_gate_ms: Option<f64>,
    /// Users at which the predicted p95 reaches the gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users_at_p95_gate: Option<f64>,
    /// True when the steps themselves crossed the gate, so `users_at_p95_gate` is read off the measured points
    /// (interpolated between the last step under the gate and the first over it), not predicted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub p95_gate_measured: bool,
}

impl Capacity {
    /// True when the numbers are worth printing.
    pub fn is_fitted(&self) -> bool {
        self.status == "fitted"
    }

    /// The fitted throughput at `n` users, when fitted.
    pub fn throughput_at(&self, n: f64) -> Option<f64> {
        let (l, s, k) = (self.lambda_rps?, self.sigma?, self.kappa?);
        Some(usl(l, s, k, n))
    }

    /// One line for summaries and comments.
    pub fn line(&self) -> String {
        self.note.clone()
    }
}

/// `X(N)` of the Universal Scalability Law.
pub fn usl(lambda: f64, sigma: f64, kappa: f64, n: f64) -> f64 {
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// Fits the USL to the stress steps of a record. `think_time_ms` is the users' think time; `p95_gate_ms` the gate
/// the prediction is for.
pub fn from_steps(steps: &[StressStep], think_time_ms: f64, p95_gate_ms: Option<f64>) -> Capacity {
    let points: Vec<CurvePoint> = steps.iter().map(CurvePoint::from_step).collect();
    estimate(&points, think_time_ms, p95_gate_ms)
}

/// Fits the USL to `points` and predicts the peak and the users at the p95 gate.
pub fn estimate(points: &[CurvePoint], think_time_ms: f64, p95_gate_ms: Option<f64>) -> Capacity {
    let pts: Vec<CurvePoint> = points
        .iter()
        .copied()
        .filter(|p| p.users >= 1.0 && p.throughput_rps.is_finite() && p.throughput_rps > 0.0)
        .collect();
    let mut distinct: Vec<f64> = pts.iter().map(|p| p.users).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut out = Capacity {
        points: pts.len(),
        p95_gate_ms,
        ..Default::default()
    };
    if distinct.len() < MIN_STEPS {
        out.status = "too_few_steps".into();
        out.note = format!(
            "capacity: not estimated — {} step(s) with throughput, the USL fit needs at least {MIN_STEPS}",
            distinct.len()
        );
        return out;
    }
    let data: Vec<(f64, f64)> = pts.iter().map(|p| (p.users, p.throughput_rps)).collect();
    let Some((l, s, k)) = fit(&data) else {
        out.status = "poor_fit".into();
        out.note = "capacity: not estimated — the USL fit did not converge".into();
        return out;
    };
    let (r2, rmse) = quality(&data, l, s, k);
    out.lambda_rps = Some(l);
    out.sigma = Some(s);
    out.kappa = Some(k);
    out.r_squared = Some(r2);
    out.rmse_rps = Some(rmse);
    if r2.is_nan() || r2 < MIN_R_SQUARED {
        out.status = "poor_fit".into();
        out.note = format!(
            "capacity: not estimated — the USL fits the stress curve poorly (R² {r2:.2} < {MIN_R_SQUARED:.2}, \
             residual {rmse:.1} rps)"
        );
        return out;
    }
    out.status = "fitted".into();
    let peak = (k > 1e-12).then(|| ((1.0 - s) / k).sqrt());
    out.peak_users = peak;
    out.max_throughput_rps = match peak {
        Some(n) => Some(usl(l, s, k, n.max(1.0))),
        None if s > 1e-12 => Some(l / s),
        None => None,
    };
    // A measurement beats the model: when a step already passed the gate, the answer is read off the steps.
    let measured = p95_gate_ms.and_then(|g| measured_crossing(&pts, g));
    out.p95_gate_measured = measured.is_some();
    out.users_at_p95_gate = measured
        .or_else(|| p95_gate_ms.and_then(|g| users_at_gate(&pts, l, s, k, think_time_ms, g)));
    out.note = sentence(&out, &pts);
    out
}

/// Relative change above which the capacity is said to have moved.
pub const MOVED_FRACTION: f64 = 0.10;

/// The line to show when the head's capacity moved from the base's: the peak throughput or the users at the p95
/// gate changed by more than [`MOVED_FRACTION`], or one of the two fits became (or stopped being) usable.
/// `None` when nothing moved, or when neither fit is usable.
pub fn moved(base: Option<&Capacity>, head: &Capacity) -> Option<String> {
    let base = base?;
    let change = |b: Option<f64>, h: Option<f64>| match (b, h) {
        (Some(b), Some(h)) if b > 0.0 => Some((h / b - 1.0) * 100.0),
        _ => None,
    };
    match (base.is_fitted(), head.is_fitted()) {
        (false, false) => None,
        (true, false) => Some(format!("no longer estimated — {}", head.note)),
        (false, true) => Some(head.note.clone()),
        (true, true) => {
            let x = change(base.max_throughput_rps, head.max_throughput_rps);
            let n = change(base.users_at_p95_gate, head.users_at_p95_gate);
            let big = |c: Option<f64>| c.is_some_and(|c| c.abs() > MOVED_FRACTION * 100.0);
            let gate_appeared =
                base.users_at_p95_gate.is_some() != head.users_at_p95_gate.is_some();
            if !(big(x) || big(n) || gate_appeared) {
                return None;
            }
            let mut parts = Vec::new();
            if let Some(x) = x {
                parts.push(format!("max throughput {x:+.0}%"));
            }
            if let Some(n) = n {
                parts.push(format!("users at the p95 gate {n:+.0}%"));
            }
            Some(format!("{} ({})", head.note, parts.join(", ")))
        }
    }
}

fn sentence(c: &Capacity, pts: &[CurvePoint]) -> String {
    let mut s = format!(
        "capacity (USL, R² {:.2}): σ {:.4}, κ {:.6}",
        c.r_squared.unwrap_or(0.0),
        c.sigma.unwrap_or(0.0),
        c.kappa.unwrap_or(0.0)
    );
    match (c.peak_users, c.max_throughput_rps) {
        (Some(n), Some(x)) => s.push_str(&format!(
            "; throughput peaks at {x:.1} rps near {n:.0} users"
        )),
        (None, Some(x)) => s.push_str(&format!(
            "; no peak in sight, throughput tends to {x:.1} rps"
        )),
        _ => s.push_str("; throughput still grows linearly"),
    }
    let max_measured = pts.iter().map(|p| p.users).fold(0.0, f64::max);
    match (c.p95_gate_ms, c.users_at_p95_gate) {
        (Some(g), Some(n)) if c.p95_gate_measured => s.push_str(&format!(
            "; p95 passed {g:.0} ms at about {n:.0} users (measured)"
        )),
        (Some(g), Some(n)) => {
            s.push_str(&format!(
                "; p95 predicted to pass {g:.0} ms at {n:.0} users"
            ));
            if n > 2.0 * max_measured {
                s.push_str(&format!(
                    " (extrapolated beyond {max_measured:.0} measured)"
                ));
            }
        }
        (Some(g), None) => s.push_str(&format!("; p95 not predicted to pass {g:.0} ms")),
        _ => {}
    }
    s
}

/// Users at which the measured p95 first reached `gate_ms`, interpolated linearly between the last step below
/// it and the first at or above it; `None` when no step reached it.
fn measured_crossing(pts: &[CurvePoint], gate_ms: f64) -> Option<f64> {
    let mut by_users: Vec<&CurvePoint> = pts.iter().filter(|p| p.p95_ms > 0.0).collect();
    by_users.sort_by(|a, b| a.users.total_cmp(&b.users));
    let i = by_users.iter().position(|p| p.p95_ms >= gate_ms)?;
    let over = by_users[i];
    Some(match i.checked_sub(1).map(|j| by_users[j]) {
        Some(under) if over.p95_ms > under.p95_ms && over.users > under.users => {
            under.users
                + (over.users - under.users) * (gate_ms - under.p95_ms)
                    / (over.p95_ms - under.p95_ms)
        }
        _ => over.users,
    })
}

/// Users at which the predicted p95 first reaches `gate_ms`. `R(N) = N/X(N) − Z` (Little's law), p95 = R × the
/// median measured p95/R ratio. `None` when the ratio is unknown or the gate is not reached within the search.
fn users_at_gate(
    pts: &[CurvePoint],
    l: f64,
    s: f64,
    k: f64,
    think_ms: f64,
    gate_ms: f64,
) -> Option<f64> {
    let response_ms = |n: f64| (n / usl(l, s, k, n)) * 1000.0 - think_ms;
    let mut ratios: Vec<f64> = pts
        .iter()
        .filter(|p| p.p95_ms > 0.0)
        .map(|p| {
            // Little's law on the measured point; fall back to the measured mean where N/X is swamped by Z.
            let r = (p.users / p.throughput_rps) * 1000.0 - think_ms;
            let r = if r > 0.0 { r } else { p.mean_ms };
            p.p95_ms / r
        })
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let p95 = |n: f64| ratio * response_ms(n);
    if p95(1.0) >= gate_ms {
        return Some(1.0);
    }
    let max_measured = pts.iter().map(|p| p.users).fold(1.0, f64::max);
    let limit = max_measured * SEARCH_LIMIT_FACTOR;
    // R(N) rises monotonically for σ, κ ≥ 0: find a bracket by doubling, then bisect.
    let mut hi = 2.0;
    while p95(hi) < gate_ms {
        hi *= 2.0;
        if hi > limit {
            return None;
        }
    }
    let mut lo = hi / 2.0;
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if p95(mid) >= gate_ms {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

fn quality(data: &[(f64, f64)], l: f64, s: f64, k: f64) -> (f64, f64) {
    let mean = data.iter().map(|d| d.1).sum::<f64>() / data.len() as f64;
    let ss_tot: f64 = data.iter().map(|d| (d.1 - mean).powi(2)).sum();
    let ss_res: f64 = data.iter().map(|d| (d.1 - usl(l, s, k, d.0)).powi(2)).sum();
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    };
    (r2, (ss_res / data.len() as f64).sqrt())
}

fn sse(data: &[(f64, f64)], l: f64, s: f64, k: f64) -> f64 {
    data.iter().map(|d| (d.1 - usl(l, s, k, d.0)).powi(2)).sum()
}

fn clamp(s: f64, k: f64) -> (f64, f64) {
    (s.clamp(0.0, 0.999_999), k.max(0.0))
}

/// For a fixed λ, the linear least squares of `λN/X − 1 = σ(N−1) + κN(N−1)` (σ, κ clamped into range).
fn project(data: &[(f64, f64)], l: f64) -> (f64, f64) {
    let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(n, x) in data {
        let y = l * n / x - 1.0;
        let u = n - 1.0;
        let v = n * (n - 1.0);
        a11 += u * u;
        a12 += u * v;
        a22 += v * v;
        b1 += u * y;
        b2 += v * y;
    }
    let det = a11 * a22 - a12 * a12;
    if det.abs() < 1e-300 {
        return (0.0, 0.0);
    }
    let s = (b1 * a22 - b2 * a12) / det;
    let k = (a11 * b2 - a12 * b1) / det;
    if k < 0.0 {
        // κ = 0: σ alone.
        return clamp(if a11 > 0.0 { b1 / a11 } else { 0.0 }, 0.0);
    }
    if s < 0.0 {
        return clamp(0.0, if a22 > 0.0 { b2 / a22 } else { 0.0 });
    }
    clamp(s, k)
}

/// Least-squares USL parameters `(λ, σ, κ)` for `(users, throughput)` points.
pub fn fit(data: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    // λ is at least the best per-user throughput (X(N)/N ≤ λ for σ, κ ≥ 0); search λ from there upward.
    let base = data.iter().map(|&(n, x)| x / n).fold(0.0, f64::max);
    if !(base > 0.0 && base.is_finite()) {
        return None;
    }
    let mut best = (f64::INFINITY, base, 0.0, 0.0);
    for i in 0..=200 {
        let l = base * 10f64.powf(f64::from(i) / 100.0); // base … 100 × base
        let (s, k) = project(data, l);
        let e = sse(data, l, s, k);
        if e < best.0 {
            best = (e, l, s, k);
        }
    }
    let (mut err, mut p) = (best.0, [best.1, best.2, best.3]);
    let mut mu = 1e-3;
    for _ in 0..500 {
        // Jacobian of the residuals r_i = X_i − f(N_i) with respect to (λ, σ, κ), analytically.
        let mut jtj = [[0.0; 3]; 3];
        let mut jtr = [0.0; 3];
        for &(n, x) in data {
            let d = 1.0 + p[1] * (n - 1.0) + p[2] * n * (n - 1.0);
            let f = p[0] * n / d;
            let g = [n / d, -f * (n - 1.0) / d, -f * n * (n - 1.0) / d];
            let r = x - f;
            for a in 0..3 {
                jtr[a] += g[a] * r;
                for b in 0..3 {
                    jtj[a][b] += g[a] * g[b];
                }
            }
        }
        let mut improved = false;
        while mu < 1e12 {
            let mut m = jtj;
            for (a, row) in m.iter_mut().enumerate() {
                row[a] += mu * jtj[a][a].max(1e-30);
            }
            let Some(step) = solve3(m, jtr) else {
                mu *= 10.0;
                continue;
            };
            let l = (p[0] + step[0]).max(1e-12);
            let (s, k) = clamp(p[1] + step[1], p[2] + step[2]);
            let e = sse(data, l, s, k);
            if e < err {
                let rel = (err - e) / err.max(1e-300);
                p = [l, s, k];
                err = e;
                mu = (mu / 10.0).max(1e-12);
                improved = rel > 1e-12;
                break;
            }
            mu *= 10.0;
        }
        if !improved {
            break;
        }
    }
    p.iter()
        .all(|v| v.is_finite())
        .then_some((p[0], p[1], p[2]))
}

/// Solves a 3×3 system by Cramer's rule.
fn solve3(m: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if !d.is_finite() || d.abs() < 1e-300 {
        return None;
    }
    let mut out = [0.0; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let mut mc = m;
        for r in 0..3 {
            mc[r][c] = b[r];
        }
        *o = det(&mc) / d;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(l: f64, s: f64, k: f64, users: &[f64], noise: &[f64]) -> Vec<CurvePoint> {
        users
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let x = usl(l, s, k, n)
                    * (1.0 + noise.get(i % noise.len().max(1)).copied().unwrap_or(0.0));
                // A closed system without think time: mean R = N/X; p95 = 2 × mean.
                let mean = n / x * 1000.0;
                CurvePoint {
                    users: n,
                    throughput_rps: x,
                    mean_ms: mean,
                    p95_ms: 2.0 * mean,
                }
            })
            .collect()
    }

    fn within(got: f64, want: f64, frac: f64) -> bool {
        (got - want).abs() <= frac * want.abs()
    }

    #[test]
    fn recovers_known_sigma_kappa_from_an_exact_curve() {
        let users: Vec<f64> = (1..=10).map(|i| f64::from(i) * 5.0).collect();
        for &(l, s, k) in &[
            (100.0, 0.05, 0.0002),
            (1000.0, 0.02, 0.001),
            (40.0, 0.2, 0.00005),
        ] {
            let c = estimate(&curve(l, s, k, &users, &[0.0]), 0.0, None);
            assert!(c.is_fitted(), "{c:?}");
            assert!(within(c.sigma.unwrap(), s, 0.10), "σ {c:?} want {s}");
            assert!(within(c.kappa.unwrap(), k, 0.10), "κ {c:?} want {k}");
            assert!(within(c.lambda_rps.unwrap(), l, 0.10), "λ {c:?}");
            let n_star = ((1.0 - s) / k).sqrt();
            assert!(
                within(c.peak_users.unwrap(), n_star, 0.10),
                "N* {c:?} want {n_star}"
            );
            assert!(c.r_squared.unwrap() > 0.999);
        }
    }

    #[test]
    fn recovers_sigma_kappa_within_ten_percent_under_one_percent_noise() {
        let users: Vec<f64> = (1..=12).map(|i| f64::from(i) * 4.0).collect();
        let noise = [0.01, -0.008, 0.004, -0.01, 0.006, -0.003];
        let (l, s, k) = (200.0, 0.03, 0.0008);
        let c = estimate(&curve(l, s, k, &users, &noise), 0.0, None);
        assert!(c.is_fitted(), "{c:?}");
        assert!(within(c.sigma.unwrap(), s, 0.10), "σ {c:?}");
        assert!(within(c.kappa.unwrap(), k, 0.10), "κ {c:?}");
    }

    #[test]
    fn predicts_users_at_the_p95_gate_by_littles_law() {
        let users: Vec<f64> = (1..=8).map(|i| f64::from(i) * 5.0).collect();
        let (l, s, k) = (100.0, 0.05, 0.0002);
        let c = estimate(&curve(l, s, k, &users, &[0.0]), 0.0, Some(500.0));
        // p95 = 2 × N/X(N) s; find N where it is 0.5 s, independently, by scanning.
        let want = (1..100_000)
            .map(|i| f64::from(i) / 10.0)
            .find(|&n| 2.0 * n / usl(l, s, k, n) * 1000.0 >= 500.0)
            .unwrap();
        let got = c.users_at_p95_gate.expect("a crossing");
        assert!(within(got, want, 0.02), "got {got}, want {want}");
        assert!(
            c.note.contains("p95 predicted to pass 500 ms"),
            "{}",
            c.note
        );
    }

    #[test]
    fn a_gate_the_steps_already_passed_is_read_off_the_steps() {
        // Throughput scales by the USL, but p95 blows up past 25 users far faster than Little's law says
        // (a queue in front of a lock): 922 ms at 40 users. No model may put the 500 ms crossing beyond that.
        let pts: Vec<CurvePoint> = (1..=8u32)
            .map(|k| {
                let n = f64::from(k * 5);
                let x = usl(95.0, 0.02, 0.0012, n);
                let p95 = if n <= 25.0 {
                    10.0 + n * 0.5
                } else {
                    22.0 + (n - 25.0).powi(2) * 4.0
                };
                CurvePoint {
                    users: n,
                    throughput_rps: x,
                    mean_ms: n / x * 1000.0,
                    p95_ms: p95,
                }
            })
            .collect();
        let c = estimate(&pts, 0.0, Some(500.0));
        assert!(c.is_fitted(), "{c:?}");
        assert!(c.p95_gate_measured);
        // 30 users: 122 ms, 35 users: 422 ms, 40 users: 922 ms → 500 ms at 35 + 5 × 78/500.
        let n = c.users_at_p95_gate.unwrap();
        assert!((n - 35.78).abs() < 0.01, "{n}");
        assert!(
            c.note
                .contains("p95 passed 500 ms at about 36 users (measured)"),
            "{}",
            c.note
        );
    }

    #[test]
    fn think_time_is_subtracted_before_scaling() {
        let users: Vec<f64> = (1..=6).map(|i| f64::from(i) * 10.0).collect();
        // Users think 100 ms, each request takes 10 ms until contention: X = N / (R + Z).
        let pts: Vec<CurvePoint> = users
            .iter()
            .map(|&n| {
                let x = usl(9.0909, 0.01, 0.0001, n);
                let r = n / x * 1000.0 - 100.0;
                CurvePoint {
                    users: n,
                    throughput_rps: x,
                    mean_ms: r,
                    p95_ms: 3.0 * r,
                }
            })
            .collect();
        let c = estimate(&pts, 100.0, Some(200.0));
        let n = c.users_at_p95_gate.expect("a crossing");
        let r = n / usl(9.0909, 0.01, 0.0001, n) * 1000.0 - 100.0;
        assert!(
            within(3.0 * r, 200.0, 0.05),
            "p95 at {n} users = {}",
            3.0 * r
        );
    }

    #[test]
    fn too_few_steps_and_poor_fits_say_so_without_numbers() {
        let c = estimate(
            &curve(100.0, 0.05, 0.0002, &[5.0, 10.0, 15.0], &[0.0]),
            0.0,
            Some(500.0),
        );
        assert_eq!(c.status, "too_few_steps");
        assert!(c.note.contains("needs at least 4"), "{}", c.note);
        assert!(c.peak_users.is_none() && c.users_at_p95_gate.is_none());

        // A zig-zag no USL curve follows.
        let zig: Vec<CurvePoint> = [
            (5.0, 100.0),
            (10.0, 20.0),
            (15.0, 110.0),
            (20.0, 15.0),
            (25.0, 120.0),
            (30.0, 10.0),
        ]
        .iter()
        .map(|&(n, x)| CurvePoint {
            users: n,
            throughput_rps: x,
            mean_ms: 1.0,
            p95_ms: 2.0,
        })
        .collect();
        let c = estimate(&zig, 0.0, Some(500.0));
        assert_eq!(c.status, "poor_fit", "{c:?}");
        assert!(c.note.contains("poorly"), "{}", c.note);
        assert!(c.peak_users.is_none() && c.max_throughput_rps.is_none());
    }

    #[test]
    fn linear_scaling_has_no_peak_and_no_gate_crossing() {
        let users: Vec<f64> = (1..=6).map(|i| f64::from(i) * 5.0).collect();
        let c = estimate(&curve(50.0, 0.0, 0.0, &users, &[0.0]), 0.0, Some(500.0));
        assert!(c.is_fitted(), "{c:?}");
        assert!(
            c.peak_users.is_none() || c.peak_users.unwrap() > 1000.0,
            "{c:?}"
        );
        assert!(
            c.users_at_p95_gate.is_none() || c.users_at_p95_gate.unwrap() > 1000.0,
            "{c:?}"
        );
    }

    #[test]
    fn a_capacity_that_moved_is_named_and_one_that_stayed_is_not() {
        let users: Vec<f64> = (1..=8).map(|i| f64::from(i) * 5.0).collect();
        let base = estimate(
            &curve(100.0, 0.05, 0.0002, &users, &[0.0]),
            0.0,
            Some(500.0),
        );
        let same = estimate(
            &curve(101.0, 0.05, 0.0002, &users, &[0.0]),
            0.0,
            Some(500.0),
        );
        let worse = estimate(
            &curve(100.0, 0.10, 0.0008, &users, &[0.0]),
            0.0,
            Some(500.0),
        );
        assert_eq!(moved(Some(&base), &same), None);
        let line = moved(Some(&base), &worse).expect("moved");
        assert!(line.contains("max throughput -"), "{line}");
        assert_eq!(moved(None, &worse), None);
    }

    #[test]
    fn old_records_without_capacity_still_read() {
        let s: crate::record::StressSection =
            serde_json::from_str(r#"{"steps":[],"conclusion":"x"}"#).expect("reads");
        assert!(s.capacity.is_none());
    }
}

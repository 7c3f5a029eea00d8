//! Baselines from history: judge a new run against the last N runs of the same branch and machine.
//!
//! **Method.** For each series (operation × metric) the last `window` values (default 20) are taken, cut at
//! the most recent change point (so an old, already known shift does not widen the noise estimate, and a head
//! run is never judged against a level the branch has left), optionally far-off values are set aside by the
//! modified z-score
//! (`outlier_z`, off by default — see there why), and a
//! **Student-t prediction interval** for one new value is built on the log scale:
//! `mean ± t(1−α/2, n−1) · s · √(1 + 1/n)`. Its test form gives each series a p-value for "the new value comes
//! from the same distribution".
//!
//! **Why this interval.** Timings are close to log-normal, so on the log scale the t interval is exact for the
//! noise model perfgate's evaluation uses and nearly so in practice; it accounts for the uncertainty of `s`
//! with few runs (a z interval from 8 runs under-covers badly), and its p-values are what a false-discovery
//! procedure needs. A median/MAD interval is more robust to outliers but has no exact p-value; perfgate gets
//! the robustness from the change-point cut instead; an outlier that stays in only widens the interval (fewer
//! alarms, never more).
//!
//! **Many series, one run.** A run compares dozens of series at once; testing each at 5 % would raise a false
//! alarm in most runs. The p-values of all series of the run go through the **Benjamini–Hochberg** procedure
//! (FDR level `fdr_q`, default 1 %): under "nothing changed" it also bounds the chance of *any* false alarm in
//! the run by `fdr_q`.
//!
//! **Verdict.** A row is a regression (or improvement) when its BH-adjusted p-value is `≤ fdr_q` **and** its
//! change exceeds the threshold (default 5 % in history mode — see [`HistorySettings`]).
//!
//! **Too few runs.** A series with fewer than `min_runs` usable runs (default 5) — a young history, or few
//! runs since its last change point — cannot measure its own noise. It is judged like two single runs (see
//! [`super::compare`]): against the geometric mean of what runs there are, with a run-to-run noise of
//! `max(prior, spread of those runs)` (prior [`HistorySettings::run_to_run_percent`], 3 %), in the same
//! Benjamini–Hochberg pool; the row and the comparison's notes say how many runs it had and since which run.
//!
//! **Minimum detectable change.** Each row carries the smallest change the gate detects with 80 % power when it
//! is the only change in the run: `max(ln(1+threshold), t_crit·se) + z₀.₈·se` on the log scale, with
//! `se = s·√(1+1/n)` and `t_crit` at the Bonferroni level `fdr_q / m` (BH's level for a lone discovery).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::changepoint::{self, ChangePointSettings};
use super::compare::Z95;
use super::compare::{
    cov_to_sigma, decide, make_row, round_sig, CompareSettings, Comparison, NoiseSource, RunRef,
    SeriesKey, Verdict, RUN_TO_RUN_PRIOR_PERCENT, Z_POWER_80,
};
use super::series::{chronological, extract};
use super::significance::{
    benjamini_hochberg, mad_outliers, normal_two_sided_p, normal_upper_quantile, t_upper_quantile,
    PredictionInterval,
};
use crate::metric::{Metric, COMPARED_METRICS};
use crate::record::{RunRecord, TestType};

/// Settings of the history baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistorySettings {
    /// How many recent runs form the baseline (default 20).
    pub window: usize,
    /// Fewer usable runs than this: threshold only (default 5).
    pub min_runs: usize,
    /// False discovery rate across all series of a run (default 0.01).
    pub fdr_q: f64,
    /// Smallest relative change that can be a regression (default 5; with history the prediction interval
    /// judges the noise, so the threshold only sets what is worth reporting).
    pub threshold_percent: f64,
    /// Smallest error-rate change, in percentage points (default 1).
    pub error_rate_threshold_points: f64,
    /// Modified z-score above which a history value is set aside; `None` (the default) keeps every value.
    /// Measured at 10 % noise with 10 runs (2000 runs of 50 operations): trimming at Iglewicz & Hoaglin's 3.5
    /// raised false alarms to 4 % of runs, at 8 to 1.4 %, without trimming 0.6 % — a MAD from 10 runs is itself
    /// noisy, so trimming removes ordinary values and shrinks the interval. An outlier left in only widens it.
    pub outlier_z: Option<f64>,
    /// Change points that cut the baseline.
    pub changepoints: ChangePointSettings,
    /// The metrics compared.
    pub metrics: Vec<Metric>,
    /// Run-to-run coefficient of variation (percent) assumed for a series with too few runs to measure its
    /// own (default [`RUN_TO_RUN_PRIOR_PERCENT`]).
    pub run_to_run_percent: f64,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            window: 20,
            min_runs: 5,
            fdr_q: 0.01,
            threshold_percent: 5.0,
            error_rate_threshold_points: 1.0,
            outlier_z: None,
            changepoints: ChangePointSettings::default(),
            metrics: COMPARED_METRICS.to_vec(),
            run_to_run_percent: RUN_TO_RUN_PRIOR_PERCENT,
        }
    }
}

/// What the history says about one series and one new value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesJudgement {
    /// The baseline value: geometric mean of the usable runs (median in the fallback).
    pub baseline: Option<f64>,
    /// Runs the baseline is built from (after trimming).
    pub runs_used: usize,
    /// History values set aside as outliers.
    pub outliers: usize,
    /// True when the baseline starts after a change point inside the window.
    pub cut_at_change_point: bool,
    /// Where the baseline starts in the `history` slice given (the last change point, or the window's start).
    pub start: usize,
    /// `(head / baseline − 1) × 100` (points for the error rate).
    pub change_percent: Option<f64>,
    /// Unadjusted two-sided p-value; `None` when nothing could be tested.
    pub p_value: Option<f64>,
    /// Half-width of the 95 % prediction interval, percent (points for the error rate).
    pub noise_percent: Option<f64>,
    /// Minimum detectable change (80 % power, lone discovery), percent.
    pub mdc_percent: Option<f64>,
    /// True when there were fewer than `min_runs` usable runs: judged against the run-to-run prior (or, for
    /// the error rate and other point metrics, by the threshold alone).
    pub fallback: bool,
}

/// Judges `head` against `history` (oldest first) of one series. `tests_in_run` is the number of series
/// judged in the same run (for the minimum detectable change); `in_points` selects the error-rate scale
/// (absolute points, no logarithm).
pub fn judge_series(
    history: &[f64],
    head: f64,
    in_points: bool,
    tests_in_run: usize,
    s: &HistorySettings,
) -> SeriesJudgement {
    let finite: Vec<(usize, f64)> = history
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect();
    let recent = &finite[finite.len().saturating_sub(s.window)..];
    let recent_values: Vec<f64> = recent.iter().map(|p| p.1).collect();
    let log_ok = !in_points && recent_values.iter().all(|v| *v > 0.0) && head > 0.0;
    // Cut at the last change point (log scale needs positive values), however few runs remain after it: the
    // runs before it are another level, and judging against them says nothing about the head.
    let mut cut = false;
    let mut from = 0;
    let mut bounds: Vec<usize> = Vec::new();
    if log_ok {
        bounds = changepoint::detect(&recent_values, &s.changepoints)
            .iter()
            .map(|c| c.index)
            .collect();
        if let Some(&last) = bounds.last() {
            from = last;
            cut = true;
        }
    }
    let threshold = if in_points {
        s.error_rate_threshold_points
    } else {
        s.threshold_percent
    };
    let alpha = s.fdr_q / tests_in_run.max(1) as f64;
    let mdc_of = |crit: Option<f64>, se: f64| {
        crit.map(|t| {
            round_sig(if log_ok {
                let d = (1.0 + threshold / 100.0).ln().max(t * se) + Z_POWER_80 * se;
                (d.exp() - 1.0) * 100.0
            } else {
                threshold.max(t * se) + Z_POWER_80 * se
            })
        })
    };
    // Few runs since the last change point, but a window that can measure the noise: the level is the mean
    // of the runs since the change, the noise is pooled over the window's segments (each around its own
    // mean), Student-t with n − segments degrees of freedom.
    let k = recent_values.len() - from;
    if cut && k < s.min_runs && head.is_finite() {
        let logs: Vec<f64> = recent_values.iter().map(|v| v.ln()).collect();
        let mut edges = vec![0];
        edges.extend(&bounds);
        edges.push(logs.len());
        let mut ss = 0.0;
        for w in edges.windows(2) {
            let seg = &logs[w[0]..w[1]];
            let m = crate::stats::mean(seg).unwrap_or(0.0);
            ss += seg.iter().map(|x| (x - m).powi(2)).sum::<f64>();
        }
        let df = logs.len() as f64 - (edges.len() - 1) as f64;
        let level = crate::stats::mean(&logs[from..]);
        if let (true, Some(m)) = (df >= 2.0 && ss > 0.0, level) {
            let sd = (ss / df).sqrt();
            let se = sd * (1.0 + 1.0 / k as f64).sqrt();
            let t = (head.ln() - m) / se;
            let half = t_upper_quantile(0.025, df).unwrap_or(Z95) * se;
            return SeriesJudgement {
                baseline: Some(m.exp()),
                runs_used: k,
                outliers: 0,
                cut_at_change_point: true,
                start: recent[from].0,
                change_percent: Some((head / m.exp() - 1.0) * 100.0),
                p_value: super::significance::t_two_sided_p(t, df),
                noise_percent: Some(round_sig((half.exp() - 1.0) * 100.0)),
                mdc_percent: mdc_of(t_upper_quantile(alpha / 2.0, df), se),
                fallback: false,
            };
        }
    }
    let start = recent.get(from).map_or(history.len(), |p| p.0);
    let used: Vec<f64> = recent_values[from..].to_vec();
    let outliers = s
        .outlier_z
        .map(|z| mad_outliers(&used, z))
        .unwrap_or_default();
    let used: Vec<f64> = used
        .iter()
        .enumerate()
        .filter(|(i, _)| !outliers.contains(i))
        .map(|(_, v)| *v)
        .collect();
    let scale = |v: f64| if log_ok { v.ln() } else { v };
    let xs: Vec<f64> = used.iter().map(|v| scale(*v)).collect();
    let pi = if used.len() >= s.min_runs.max(3) && head.is_finite() {
        PredictionInterval::new(&xs, 0.05)
    } else {
        None
    };
    match pi {
        Some(pi) => {
            let base = if log_ok { pi.mean.exp() } else { pi.mean };
            let change = if in_points {
                Some(head - base)
            } else if base != 0.0 {
                Some((head / base - 1.0) * 100.0)
            } else {
                None
            };
            let half = pi.high - pi.mean;
            let noise = if log_ok {
                (half.exp() - 1.0) * 100.0
            } else {
                half
            };
            let se = pi.stddev * (1.0 + 1.0 / pi.n as f64).sqrt();
            SeriesJudgement {
                baseline: Some(base),
                runs_used: pi.n,
                outliers: outliers.len(),
                cut_at_change_point: cut,
                start,
                change_percent: change,
                p_value: pi.p_value(scale(head)),
                noise_percent: Some(round_sig(noise)),
                mdc_percent: mdc_of(t_upper_quantile(alpha / 2.0, pi.n as f64 - 1.0), se),
                fallback: false,
            }
        }
        None if log_ok && !used.is_empty() => {
            // Too few runs to measure the noise: the run-to-run prior, or the spread of the runs there are
            // when it is wider.
            let k = used.len() as f64;
            let m = crate::stats::mean(&xs).unwrap_or(0.0);
            let spread = crate::stats::sample_stddev(&xs)
                .filter(|v| v.is_finite())
                .unwrap_or(0.0);
            let sigma = cov_to_sigma(s.run_to_run_percent / 100.0).max(spread);
            let se = sigma * (1.0 + 1.0 / k).sqrt();
            // Equal runs: their value itself (the mean of logs would round it).
            let base = if spread <= 1e-12 { used[0] } else { m.exp() };
            let tested = se > 0.0;
            SeriesJudgement {
                baseline: Some(base),
                runs_used: used.len(),
                outliers: outliers.len(),
                cut_at_change_point: cut,
                start,
                change_percent: Some((head / base - 1.0) * 100.0),
                p_value: if tested {
                    normal_two_sided_p((head.ln() - m) / se)
                } else {
                    None
                },
                noise_percent: tested.then(|| round_sig(((Z95 * se).exp() - 1.0) * 100.0)),
                mdc_percent: if tested {
                    mdc_of(normal_upper_quantile(alpha / 2.0), se)
                } else {
                    None
                },
                fallback: true,
            }
        }
        None => {
            let base = crate::stats::median(&used);
            let change = base.and_then(|b| {
                if in_points {
                    Some(head - b)
                } else if b != 0.0 {
                    Some((head / b - 1.0) * 100.0)
                } else {
                    None
                }
            });
            SeriesJudgement {
                baseline: base,
                runs_used: used.len(),
                outliers: outliers.len(),
                cut_at_change_point: cut,
                start,
                change_percent: change,
                p_value: None,
                noise_percent: None,
                mdc_percent: None,
                fallback: true,
            }
        }
    }
}

/// The run-to-run coefficient of variation (percent) of every series of `history` with at least `min_runs`
/// runs since its last change point (within the last `window` runs): what a comparison of two single runs
/// uses instead of the prior when a history is at hand ([`CompareSettings::run_to_run`]).
pub fn run_to_run_from_history(
    history: &[RunRecord],
    s: &HistorySettings,
) -> std::collections::BTreeMap<SeriesKey, f64> {
    let ordered = chronological(history);
    extract(&ordered, &s.metrics)
        .into_iter()
        .filter(|(k, _)| k.metric != Metric::ErrorRate)
        .filter_map(|(k, series)| {
            let values = series.values();
            let recent = &values[values.len().saturating_sub(s.window)..];
            if recent.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                return None;
            }
            let from = changepoint::detect(recent, &s.changepoints)
                .last()
                .map_or(0, |c| c.index);
            let logs: Vec<f64> = recent[from..].iter().map(|v| v.ln()).collect();
            if logs.len() < s.min_runs.max(3) {
                return None;
            }
            let sd = crate::stats::sample_stddev(&logs)?;
            let cov = ((sd * sd).exp() - 1.0).sqrt() * 100.0;
            cov.is_finite().then_some((k, cov))
        })
        .collect()
}

/// One series of a run for [`judge_run`]: its history (oldest first), the new value and the metric.
#[derive(Clone, Copy, Debug)]
pub struct SeriesInput<'a> {
    /// Past values, oldest first.
    pub history: &'a [f64],
    /// The new value.
    pub head: f64,
    /// Which metric (the error rate is judged in points).
    pub metric: Metric,
}

/// The judgement of one series within a run, after the false-discovery control.
#[derive(Clone, Debug, PartialEq)]
pub struct RunJudgement {
    /// The series-level judgement.
    pub series: SeriesJudgement,
    /// Benjamini–Hochberg adjusted p-value; `None` in the fallback.
    pub q_value: Option<f64>,
    /// The verdict after FDR and threshold.
    pub verdict: Verdict,
}

/// Judges every series of one run together: each against its own history, then Benjamini–Hochberg across
/// all tested series, then the threshold. This is the whole decision of [`compare_with_history`] on plain
/// numbers (the evaluation harness drives it directly).
pub fn judge_run(inputs: &[SeriesInput<'_>], s: &HistorySettings) -> Vec<RunJudgement> {
    let m = inputs.len();
    let judged: Vec<SeriesJudgement> = inputs
        .iter()
        .map(|i| judge_series(i.history, i.head, i.metric == Metric::ErrorRate, m, s))
        .collect();
    let tested: Vec<usize> = (0..m).filter(|&i| judged[i].p_value.is_some()).collect();
    let ps: Vec<f64> = tested.iter().filter_map(|&i| judged[i].p_value).collect();
    let mut qs: Vec<Option<f64>> = vec![None; m];
    for (&i, q) in tested.iter().zip(benjamini_hochberg(&ps)) {
        qs[i] = Some(q);
    }
    judged
        .into_iter()
        .zip(qs)
        .zip(inputs)
        .map(|((j, q), input)| {
            let threshold = if input.metric == Metric::ErrorRate {
                s.error_rate_threshold_points
            } else {
                s.threshold_percent
            };
            let verdict = match (j.change_percent, q) {
                (None, _) => Verdict::Unchanged,
                (Some(c), None) => decide(input.metric, c, threshold, None),
                (Some(c), Some(q)) if q <= s.fdr_q => decide(input.metric, c, threshold, None),
                _ => Verdict::Unchanged,
            };
            RunJudgement {
                series: j,
                q_value: q,
                verdict,
            }
        })
        .collect()
}

/// Compares `head` with the history of its branch and machine. `history` must already be filtered to the
/// same environment fingerprint and branch (the history loader's job) and must not contain `head`; its order
/// does not matter (it is sorted by start time).
pub fn compare_with_history(
    head: &RunRecord,
    history: &[RunRecord],
    s: &HistorySettings,
) -> Comparison {
    let ordered = chronological(history);
    let series = extract(&ordered, &s.metrics);
    let head_series = extract(&[head], &s.metrics);
    let last_ops: BTreeSet<(TestType, String)> = ordered
        .last()
        .map(|r| {
            r.operations()
                .filter(|(t, _)| *t != TestType::Stress)
                .map(|(t, o)| (t, o.operation_name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut keys: BTreeSet<SeriesKey> = head_series.keys().cloned().collect();
    // Series of the most recent history run that the head lacks are "missing".
    keys.extend(
        series
            .keys()
            .filter(|k| last_ops.contains(&(k.test_type, k.operation.clone())))
            .cloned(),
    );
    let compare_settings = CompareSettings {
        threshold_percent: s.threshold_percent,
        error_rate_threshold_points: s.error_rate_threshold_points,
        metrics: s.metrics.clone(),
        ..CompareSettings::default()
    };
    let mut rows = Vec::new();
    let mut fallbacks = 0usize;
    let mut constants = 0usize;
    let mut cuts = 0usize;
    // Rows without a head value or without history are missing/new; the rest are judged together.
    let mut judged_keys: Vec<(SeriesKey, Vec<f64>, f64)> = Vec::new();
    for key in keys {
        let hist: Vec<f64> = series.get(&key).map(|s| s.values()).unwrap_or_default();
        let head_v = head_series
            .get(&key)
            .and_then(|s| s.points.first().map(|p| p.1));
        match head_v {
            None => {
                let base = crate::stats::median(&hist);
                rows.extend(make_row(
                    key,
                    base,
                    None,
                    true,
                    false,
                    None,
                    NoiseSource::None,
                    &compare_settings,
                ));
            }
            Some(hv) if hist.is_empty() => {
                rows.extend(make_row(
                    key,
                    None,
                    Some(hv),
                    false,
                    true,
                    None,
                    NoiseSource::None,
                    &compare_settings,
                ));
            }
            Some(hv) => judged_keys.push((key, hist, hv)),
        }
    }
    let inputs: Vec<SeriesInput> = judged_keys
        .iter()
        .map(|(k, h, v)| SeriesInput {
            history: h,
            head: *v,
            metric: k.metric,
        })
        .collect();
    let judgements = judge_run(&inputs, s);
    let tested = judgements.iter().filter(|j| j.q_value.is_some()).count();
    let mut prior_rows = 0usize;
    let mut prior_cut_rows = 0usize;
    let mut short_cuts = 0usize;
    for ((key, _, hv), j) in judged_keys.into_iter().zip(judgements) {
        let enough = j.series.runs_used >= s.min_runs;
        let constant = j.series.fallback && enough;
        let prior = j.series.fallback && !enough && j.series.p_value.is_some();
        if j.series.fallback && !constant && !prior {
            fallbacks += 1;
        }
        if constant {
            constants += 1;
        }
        if prior {
            prior_rows += 1;
            if j.series.cut_at_change_point {
                prior_cut_rows += 1;
            }
        }
        if j.series.cut_at_change_point {
            cuts += 1;
        }
        // The run the baseline starts at (the first after the last change point).
        let since = series
            .get(&key)
            .and_then(|sr| sr.points.get(j.series.start))
            .and_then(|p| ordered.get(p.0))
            .map(|r| r.run_id.clone());
        let Some(mut row) = make_row(
            key,
            j.series.baseline,
            Some(hv),
            true,
            true,
            j.series.noise_percent,
            if j.series.fallback && j.series.p_value.is_some() {
                NoiseSource::RunToRun
            } else {
                NoiseSource::History
            },
            &compare_settings,
        ) else {
            continue;
        };
        row.change_percent = j.series.change_percent;
        row.mdc_percent = j.series.mdc_percent;
        row.baseline_runs = Some(j.series.runs_used);
        row.p_value = j.q_value.map(round_sig);
        row.verdict = j.verdict;
        let runs = |n: usize| format!("{n} run{}", if n == 1 { "" } else { "s" });
        let of_history = match (&since, j.series.cut_at_change_point) {
            (Some(id), true) => format!("since the change point at run {id}"),
            _ => "of history".to_string(),
        };
        let pooled = !j.series.fallback && j.series.runs_used < s.min_runs;
        if pooled {
            short_cuts += 1;
            row.note = Some(format!(
                "only {} {of_history}: level from those runs, noise pooled over the window",
                runs(j.series.runs_used)
            ));
        } else if constant && j.series.p_value.is_some() {
            row.note = Some(format!(
                "history has no spread (every run equal): judged against a run-to-run prior of {}%",
                crate::metric::sig(s.run_to_run_percent)
            ));
        } else if constant {
            row.note = Some("history has no spread (every run equal): threshold alone".to_string());
        } else if prior {
            row.note = Some(format!(
                "only {} {of_history}, too few to measure its noise: judged against a run-to-run prior of {}%",
                runs(j.series.runs_used),
                crate::metric::sig(s.run_to_run_percent)
            ));
        } else if j.series.fallback {
            row.note = Some(format!(
                "only {} {of_history}: threshold alone",
                runs(j.series.runs_used)
            ));
        }
        rows.push(row);
    }
    rows.sort_by(|a, b| {
        (a.test_type, &a.operation, a.metric).cmp(&(b.test_type, &b.operation, b.metric))
    });
    let mut notes = vec![format!(
        "Baseline: Student-t prediction interval over up to {} runs per series since its last change point; false discovery rate {}% across {} series (Benjamini–Hochberg); threshold {}%.",
        s.window,
        crate::metric::sig(s.fdr_q * 100.0),
        tested,
        crate::metric::sig(s.threshold_percent)
    )];
    if short_cuts > 0 {
        notes.push(format!(
            "{short_cuts} series had fewer than {} runs since their last change point: the baseline is the level of those runs, with the noise pooled over the window around each level's own mean; their minimum detectable change is wider.",
            s.min_runs
        ));
    }
    if prior_rows > 0 {
        notes.push(format!(
            "{prior_rows} series had fewer than {} runs{} to measure their noise and were judged like two single runs, against a run-to-run prior of {}% per run: a change below their minimum detectable change would not show.",
            s.min_runs,
            if prior_cut_rows > 0 {
                format!(" ({prior_cut_rows} of them since a change point)")
            } else {
                String::new()
            },
            crate::metric::sig(s.run_to_run_percent)
        ));
    }
    if fallbacks > 0 {
        notes.push(format!(
            "{fallbacks} series had fewer than {} usable runs of history and were judged by the {}% threshold alone.",
            s.min_runs,
            crate::metric::sig(s.threshold_percent)
        ));
    }
    if constants > 0 {
        notes.push(format!(
            "{constants} series have no spread in their history (e.g. an error rate that was always 0) and were judged by the threshold alone (error rates) or against the run-to-run prior."
        ));
    }
    if cuts > 0 {
        notes.push(format!(
            "{cuts} series start their baseline after a change point in the window."
        ));
    }
    let base = match ordered.last() {
        Some(last) => {
            let branch = last.git.branch.clone();
            RunRef {
                label: match &branch {
                    Some(b) => format!("the last {} runs of {}", ordered.len().min(s.window), b),
                    None => format!("the last {} runs", ordered.len().min(s.window)),
                },
                run_id: Some(last.run_id.clone()),
                sha: last.git.sha.clone(),
                branch,
                runs: ordered.len().min(s.window),
            }
        }
        None => RunRef {
            label: "no history".into(),
            runs: 0,
            ..Default::default()
        },
    };
    Comparison {
        base,
        head: RunRef::of(head),
        method: "history".into(),
        threshold_percent: s.threshold_percent,
        rows,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::SplitMix64;
    use crate::test_support::{op, record_with, t0};

    fn history(n: usize, cov: f64, seed: u64, ops: &[&str]) -> Vec<RunRecord> {
        let mut r = SplitMix64::new(seed);
        (0..n)
            .map(|i| {
                let ops = ops
                    .iter()
                    .map(|name| {
                        let f = (cov * r.normal()).exp();
                        op(name, 100.0 * f, 100.0 / f, 1000, 0)
                    })
                    .collect();
                let mut rec = record_with(ops);
                rec.run_id = format!("h{i}");
                rec.started_at = t0() + chrono::Duration::hours(i as i64);
                rec
            })
            .collect()
    }

    #[test]
    fn a_clear_step_is_a_regression_and_noise_is_not() {
        let hist = history(15, 0.03, 1, &["a", "b", "c"]);
        let head = record_with(vec![
            op("a", 125.0, 80.0, 1000, 0),
            op("b", 101.0, 99.0, 1000, 0),
            op("c", 99.0, 101.0, 1000, 0),
        ]);
        let c = compare_with_history(&head, &hist, &HistorySettings::default());
        let row = c.row(TestType::Benchmark, "a", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
        assert!(row.p_value.unwrap() <= 0.01);
        assert_eq!(row.noise_source, NoiseSource::History);
        assert_eq!(row.baseline_runs, Some(15));
        let mdc = row.mdc_percent.unwrap();
        assert!(mdc > 5.0 && mdc < 25.0, "{mdc}");
        assert_eq!(
            c.row(TestType::Benchmark, "a", Metric::Rps)
                .unwrap()
                .verdict,
            Verdict::Regressed
        );
        for o in ["b", "c"] {
            assert_eq!(
                c.row(TestType::Benchmark, o, Metric::P95).unwrap().verdict,
                Verdict::Unchanged
            );
        }
        assert_eq!(c.method, "history");
        assert!(
            c.base.label.contains("last 15 runs of main"),
            "{}",
            c.base.label
        );
        assert!(c.notes[0].contains("Benjamini–Hochberg"));
    }

    #[test]
    fn short_history_falls_back_to_the_threshold_and_says_so() {
        let hist = history(3, 0.03, 2, &["a"]);
        let head = record_with(vec![op("a", 120.0, 100.0, 1000, 0)]);
        let c = compare_with_history(&head, &hist, &HistorySettings::default());
        let row = c.row(TestType::Benchmark, "a", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Regressed);
        // Three runs cannot measure the noise: the run-to-run prior judges, and the row says so.
        assert!(
            row.note
                .as_deref()
                .unwrap()
                .contains("only 3 runs of history"),
            "{row:?}"
        );
        assert_eq!(row.noise_source, NoiseSource::RunToRun);
        assert!(
            row.p_value.unwrap() < 0.01 && row.mdc_percent.is_some(),
            "{row:?}"
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("fewer than 5 runs to measure their noise")),
            "{:?}",
            c.notes
        );
        // +6%: beyond the history threshold (5%), inside what three runs can see.
        let head = record_with(vec![op("a", 106.0, 100.0, 1000, 0)]);
        let c = compare_with_history(&head, &hist, &HistorySettings::default());
        let row = c.row(TestType::Benchmark, "a", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Unchanged, "{row:?}");
        assert!(row.mdc_percent.unwrap() > 6.0, "{row:?}");
    }

    #[test]
    fn fdr_keeps_a_borderline_value_among_many_series_quiet() {
        // One series at p ≈ 0.003 alone would pass 1%, but among 40 series BH needs ≤ 0.01/40.
        let names: Vec<String> = (0..40).map(|i| format!("op{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let hist = history(20, 0.03, 3, &refs);
        let p95s: Vec<f64> = hist
            .iter()
            .map(|r| r.benchmark.as_ref().unwrap().operations[0].latency_ms.p95)
            .collect();
        let pi = PredictionInterval::new(&p95s.iter().map(|v| v.ln()).collect::<Vec<_>>(), 0.05)
            .unwrap();
        // A value at t = 3.4 (p ≈ 0.003), 10%+ above the baseline.
        let target = (pi.mean + 3.4 * pi.stddev * (1.0 + 1.0 / 20.0f64).sqrt()).exp();
        let mut ops: Vec<_> = refs.iter().map(|n| op(n, 100.0, 100.0, 1000, 0)).collect();
        ops[0] = op("op0", target / 1.5, 100.0, 1000, 0);
        let head = record_with(ops);
        let s = HistorySettings {
            metrics: vec![Metric::P95],
            ..HistorySettings::default()
        };
        let c = compare_with_history(&head, &hist, &s);
        let row = c.row(TestType::Benchmark, "op0", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Unchanged, "{row:?}");
        // Alone, the same value is a regression.
        let head_alone = record_with(vec![op("op0", target / 1.5, 100.0, 1000, 0)]);
        let c = compare_with_history(&head_alone, &hist, &s);
        let row = c.row(TestType::Benchmark, "op0", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
    }

    #[test]
    fn an_old_change_point_does_not_widen_the_baseline() {
        // 10 runs at 100, then 10 at 150: the baseline is the recent 150 level.
        let mut hist = history(10, 0.01, 4, &["a"]);
        let later = history(10, 0.01, 5, &["a"]);
        for (i, mut r) in later.into_iter().enumerate() {
            for o in r.benchmark.as_mut().unwrap().operations.iter_mut() {
                o.latency_ms.p95 *= 1.5;
            }
            r.started_at = t0() + chrono::Duration::hours(10 + i as i64);
            r.run_id = format!("l{i}");
            hist.push(r);
        }
        let mut head = record_with(vec![op("a", 100.0, 100.0, 1000, 0)]);
        // 12% above the recent level (p95 of `op` is 1.5 × p50).
        head.benchmark.as_mut().unwrap().operations[0]
            .latency_ms
            .p95 = 150.0 * 1.5 * 1.12;
        let c = compare_with_history(&head, &hist, &HistorySettings::default());
        let row = c.row(TestType::Benchmark, "a", Metric::P95).unwrap();
        assert_eq!(row.baseline_runs, Some(10));
        assert!((row.base.unwrap() - 225.0).abs() < 5.0, "{row:?}");
        assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
        assert!(c.notes.iter().any(|n| n.contains("after a change point")));
    }

    #[test]
    fn a_zero_error_rate_history_judges_new_errors_by_points() {
        let hist = history(10, 0.02, 7, &["a"]);
        let head = record_with(vec![op("a", 100.0, 100.0, 1000, 30)]);
        let c = compare_with_history(&head, &hist, &HistorySettings::default());
        let row = c.row(TestType::Benchmark, "a", Metric::ErrorRate).unwrap();
        assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
        assert_eq!(row.change_percent, Some(3.0));
        assert!(
            row.note.as_deref().unwrap().contains("no spread"),
            "{row:?}"
        );
        assert!(
            c.notes.iter().any(|n| n.contains("no spread")),
            "{:?}",
            c.notes
        );
        assert!(
            !c.notes.iter().any(|n| n.contains("fewer than")),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn new_and_missing_operations() {
        let hist = history(10, 0.02, 6, &["old", "kept"]);
        let head = record_with(vec![
            op("kept", 100.0, 100.0, 1000, 0),
            op("fresh", 100.0, 100.0, 1000, 0),
        ]);
        let c = compare_with_history(&head, &hist, &HistorySettings::default());
        assert_eq!(
            c.row(TestType::Benchmark, "old", Metric::P95)
                .unwrap()
                .verdict,
            Verdict::Missing
        );
        assert_eq!(
            c.row(TestType::Benchmark, "fresh", Metric::P95)
                .unwrap()
                .verdict,
            Verdict::New
        );
    }

    #[test]
    fn run_to_run_noise_is_measured_from_history_since_the_last_change() {
        // 10 runs at 1 % noise, then a 50 % step and 10 more: the noise is that of the recent level.
        let mut hist = history(10, 0.01, 8, &["a"]);
        for (i, mut r) in history(10, 0.01, 9, &["a"]).into_iter().enumerate() {
            for o in r.benchmark.as_mut().unwrap().operations.iter_mut() {
                o.latency_ms.p95 *= 1.5;
            }
            r.started_at = t0() + chrono::Duration::hours(10 + i as i64);
            r.run_id = format!("l{i}");
            hist.push(r);
        }
        let cov = run_to_run_from_history(&hist, &HistorySettings::default());
        let p95 = cov[&SeriesKey::new(TestType::Benchmark, "a", Metric::P95)];
        assert!(p95 > 0.4 && p95 < 2.0, "{p95}");
        // Too few runs: nothing measured, the prior stays.
        let short = run_to_run_from_history(&hist[..3], &HistorySettings::default());
        assert!(short.is_empty(), "{short:?}");
    }

    #[test]
    fn judge_series_handles_degenerate_input() {
        let s = HistorySettings::default();
        let j = judge_series(&[], 10.0, false, 1, &s);
        assert!(j.fallback && j.baseline.is_none() && j.change_percent.is_none());
        let j = judge_series(&[5.0; 10], 5.0, false, 1, &s);
        assert!(j.fallback, "constant history has no noise estimate");
        assert_eq!(j.runs_used, 10);
        assert_eq!(j.change_percent, Some(0.0));
        let j = judge_series(&[0.0; 10], 3.0, true, 1, &s);
        assert_eq!(j.change_percent, Some(3.0));
    }
}

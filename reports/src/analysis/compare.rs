//! Comparing two runs: per operation and metric, the change, the noise it must beat, and a verdict.
//!
//! A row is a regression (or an improvement) only when its change exceeds the threshold (default 10 %)
//! **and** is significant against the row's noise. The noise comes, best first, from the series' history
//! (see [`crate::analysis::baseline`]), from A/B trials, or — for two single runs — from two terms:
//!
//! * **within-run sampling error** of each run:
//!   * a percentile: the distribution-free confidence interval of a quantile from order statistics (the ranks
//!     `n·q ± z·√(n·q·(1−q))`, W. J. Conover, *Practical Nonparametric Statistics*, 3rd ed., §3.2), read off
//!     the run's HDR histogram;
//!   * the mean: the standard error `s/√n`;
//!   * throughput: the standard error of the per-second rates of the load timeline (benchmarks: the mean's);
//!   * the error rate: the binomial standard error `√(p(1−p)/n)`, in percentage points;
//!
//!   under "no change" both runs sample one distribution, so the wider of the two estimates stands for both
//!   (`√2·max(e_base, e_head)`);
//! * **run-to-run noise**: two runs of the same build on a shared machine differ by more than their sampling
//!   error (another VM, another neighbour, another CPU frequency). Two single runs cannot measure that, so
//!   each run is given a run-to-run coefficient of variation: the series' own, measured from its history when
//!   the caller has one ([`CompareSettings::run_to_run`]), else a documented **prior of 3 %**
//!   ([`CompareSettings::run_to_run_percent`]; 3 % is typical of a shared CI runner). On the log scale the
//!   difference of two runs then has the standard error `√(2·σ_rr² + 2·e²)`.
//!
//! Each row gets a two-sided z-test p-value on the log scale (percentage points for the error rate); the
//! p-values of all rows of the comparison go through **Benjamini–Hochberg** at [`CompareSettings::fdr_q`]
//! (default 1 %): a suite of 50 operations has ~400 rows, and testing each at 5 % flagged nearly every A/A
//! pair. Each row also states its **minimum detectable change** (80 % power, alone in the comparison):
//! what two runs on this machine can and cannot see. A percentile with fewer than [`MIN_TAIL_SAMPLES`]
//! requests above it in either run (p99 of 30 requests is the slowest one) is not judged at all: the row
//! says how many requests it would take. Memory and CPU have no within-run model: the run-to-run term alone.
//!
//! The error rate is compared in percentage points (0 % → 3 % is "+3 points"; a relative change from 0 has no
//! meaning); its threshold is [`CompareSettings::error_rate_threshold_points`]; no run-to-run term applies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::significance::{benjamini_hochberg, normal_two_sided_p, normal_upper_quantile};
use crate::metric::{Metric, COMPARED_METRICS};
use crate::record::{OperationResult, RunRecord, TestType};

pub use super::comparison::{
    AckNote, Comparison, ComparisonRow, NoiseSource, RunRef, Verdict, VerdictCounts, FEW_RUNS,
};

/// Normal quantile for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

pub use crate::history::SeriesKey;

/// The run-to-run prior: two runs of one build on a shared CI runner differ by about this coefficient of
/// variation per run (percent) when nothing is known about the series.
pub const RUN_TO_RUN_PRIOR_PERCENT: f64 = 3.0;

/// Settings of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompareSettings {
    /// Smallest relative change (percent) that can be a regression or improvement. Default 10.
    pub threshold_percent: f64,
    /// Smallest change of the error rate, in percentage points, that can be a regression. Default 1.
    pub error_rate_threshold_points: f64,
    /// The metrics to compare. Default: p50, p95, p99, avg, rps, error rate, memory, CPU.
    pub metrics: Vec<Metric>,
    /// Two-sided normal quantile for the within-run noise floor. Default 1.96 (95 %).
    pub z: f64,
    /// Noise floors known from elsewhere (history, trials), in percent (points for the error rate); they replace
    /// the within-run estimate for their series.
    #[serde(default, skip)]
    pub known_noise: BTreeMap<SeriesKey, (f64, NoiseSource)>,
    /// False discovery rate across the rows of a two-run comparison (Benjamini–Hochberg). Default 0.01.
    pub fdr_q: f64,
    /// Run-to-run coefficient of variation of one run (percent) for series without a measured one. Default
    /// [`RUN_TO_RUN_PRIOR_PERCENT`].
    pub run_to_run_percent: f64,
    /// Run-to-run coefficient of variation per series, measured from history (percent;
    /// [`crate::analysis::baseline::run_to_run_from_history`]); replaces the prior for its series.
    #[serde(default, skip)]
    pub run_to_run: BTreeMap<SeriesKey, f64>,
}

impl Default for CompareSettings {
    fn default() -> Self {
        Self {
            threshold_percent: 10.0,
            error_rate_threshold_points: 1.0,
            metrics: COMPARED_METRICS.to_vec(),
            z: Z95,
            known_noise: BTreeMap::new(),
            fdr_q: 0.01,
            run_to_run_percent: RUN_TO_RUN_PRIOR_PERCENT,
            run_to_run: BTreeMap::new(),
        }
    }
}

impl RunRef {
    /// Describes one run record.
    pub fn of(record: &RunRecord) -> Self {
        let branch = record.git.branch.clone();
        let label = match &branch {
            Some(b) => format!("run {} on {} ({})", record.run_id, b, record.sha7()),
            None => format!("run {} ({})", record.run_id, record.sha7()),
        };
        Self {
            label,
            run_id: Some(record.run_id.clone()),
            sha: record.git.sha.clone(),
            branch,
            runs: 1,
        }
    }
}

/// Decides a verdict from a change, a threshold and a noise floor (all in the same unit: percent, or points for
/// the error rate). A change must exceed both to count; its sign and the metric's direction say which way.
pub fn decide(metric: Metric, change: f64, threshold: f64, noise: Option<f64>) -> Verdict {
    let floor = threshold.max(noise.unwrap_or(0.0));
    if !change.is_finite() || change.abs() <= floor {
        return Verdict::Unchanged;
    }
    if change * metric.direction().worse_sign() > 0.0 {
        Verdict::Regressed
    } else {
        Verdict::Improved
    }
}

/// The operations of the benchmark and load sections (stress steps are compared by the stress summary, not
/// per row: their operations repeat per step).
fn comparable_ops(rec: &RunRecord) -> BTreeMap<(TestType, String), &OperationResult> {
    rec.operations()
        .filter(|(t, _)| *t != TestType::Stress)
        .map(|(t, o)| ((t, o.operation_name.clone()), o))
        .collect()
}

/// Compares `head` with `base` row by row (see the module docs for the rule).
pub fn compare_runs(base: &RunRecord, head: &RunRecord, settings: &CompareSettings) -> Comparison {
    let b_ops = comparable_ops(base);
    let h_ops = comparable_ops(head);
    let mut keys: Vec<&(TestType, String)> = b_ops.keys().chain(h_ops.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut rows = Vec::new();
    let mut thin_rows: Vec<String> = Vec::new();
    // (row index, change on the test's scale, its standard error, log scale?) of the rows tested together.
    let mut tests: Vec<(usize, f64, f64, bool)> = Vec::new();
    let mut measured_rr = 0usize;
    for key in keys {
        let b = b_ops.get(key).copied();
        let h = h_ops.get(key).copied();
        for &metric in &settings.metrics {
            let bv = b.and_then(|o| metric.value(o));
            let hv = h.and_then(|o| metric.value(o));
            let series = SeriesKey::new(key.0, key.1.clone(), metric);
            let known = settings.known_noise.get(&series).copied();
            let thin = match (b, h, known) {
                (Some(b), Some(h), None) => thin_tail(metric, b, h),
                _ => None,
            };
            // The standard error of the change between the two runs, when it can be tested.
            let test = match (b, h, bv, hv, known, &thin) {
                (Some(bo), Some(ho), Some(x), Some(y), None, None) => {
                    let within = within_run_se(metric, bo, base, ho, head);
                    if metric == Metric::ErrorRate {
                        within.map(|se| (y - x, se, false))
                    } else if x > 0.0 && y > 0.0 {
                        let rr = match settings.run_to_run.get(&series) {
                            Some(&c) => {
                                measured_rr += 1;
                                c
                            }
                            None => settings.run_to_run_percent,
                        };
                        let rr = cov_to_sigma(rr / 100.0);
                        let se = (2.0 * rr * rr + within.map_or(0.0, |e| e * e)).sqrt();
                        Some(((y / x).ln(), se, true))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            let (noise, source) = match (known, test) {
                (Some((n, s)), _) => (Some(n), s),
                (None, Some((_, se, log))) => (
                    Some(round_sig(if log {
                        ((settings.z * se).exp() - 1.0) * 100.0
                    } else {
                        settings.z * se
                    })),
                    if log {
                        NoiseSource::RunToRun
                    } else {
                        NoiseSource::WithinRun
                    },
                ),
                (None, None) => (None, NoiseSource::None),
            };
            let Some(mut row) = make_row(
                series,
                bv,
                hv,
                b.is_some(),
                h.is_some(),
                noise,
                source,
                settings,
            ) else {
                continue;
            };
            if let Some(note) = thin {
                row.verdict = Verdict::Unchanged;
                row.noise_percent = None;
                row.noise_source = NoiseSource::None;
                row.note = Some(note);
                thin_rows.push(format!(
                    "`{}` {} {}",
                    row.operation,
                    row.test_type.as_str(),
                    row.metric.label()
                ));
            }
            if let Some((d, se, log)) = test {
                if se > 0.0 && d.is_finite() {
                    tests.push((rows.len(), d, se, log));
                } else if d == 0.0 {
                    // Two equal values without spread (no errors in either run): nothing to test.
                    row.verdict = Verdict::Unchanged;
                }
            }
            rows.push(row);
        }
    }
    // Benjamini–Hochberg over every tested row; a change must be significant *and* beyond the threshold.
    let ps: Vec<f64> = tests
        .iter()
        .map(|&(_, d, se, _)| normal_two_sided_p(d / se).unwrap_or(1.0))
        .collect();
    let qs = benjamini_hochberg(&ps);
    let m = tests.len();
    let z_lone = normal_upper_quantile(settings.fdr_q / (2.0 * m.max(1) as f64));
    for (&(i, _, se, log), q) in tests.iter().zip(qs) {
        let row = &mut rows[i];
        row.p_value = Some(round_sig(q));
        if q > settings.fdr_q {
            row.verdict = Verdict::Unchanged;
        } else if let Some(c) = row.change_percent {
            row.verdict = decide(row.metric, c, row.threshold_percent, None);
        }
        row.mdc_percent = z_lone.map(|z| {
            round_sig(if log {
                let d = (1.0 + row.threshold_percent / 100.0).ln().max(z * se) + Z_POWER_80 * se;
                (d.exp() - 1.0) * 100.0
            } else {
                row.threshold_percent.max(z * se) + Z_POWER_80 * se
            })
        });
    }
    let mut notes = Vec::new();
    if m > 0 {
        let rr = if measured_rr > 0 {
            format!(
                "measured from history for {measured_rr} row(s), a prior of {}% per run for the rest",
                crate::metric::sig(settings.run_to_run_percent)
            )
        } else {
            format!(
                "a prior of {}% per run (two runs cannot measure it; judge against history to use the measured one)",
                crate::metric::sig(settings.run_to_run_percent)
            )
        };
        notes.push(format!(
            "Two single runs: each row's noise is its within-run sampling error plus run-to-run noise ({rr}); false discovery rate {}% across {m} rows (Benjamini–Hochberg); threshold {}%. \"detects\" is the smallest change each row can see.",
            crate::metric::sig(settings.fdr_q * 100.0),
            crate::metric::sig(settings.threshold_percent)
        ));
    }
    if !thin_rows.is_empty() {
        let shown: Vec<&str> = thin_rows.iter().take(5).map(String::as_str).collect();
        let more = thin_rows.len().saturating_sub(shown.len());
        notes.push(format!(
            "{} high-percentile row(s) not judged: too few requests above the percentile to compare two single \
             runs ({}{}); raise the iterations or duration, or judge against history or in the A/B mode",
            thin_rows.len(),
            shown.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ));
    }
    Comparison {
        base: RunRef::of(base),
        head: RunRef::of(head),
        method: "two_runs".into(),
        threshold_percent: settings.threshold_percent,
        rows,
        notes,
    }
}

/// `v` to 6 significant digits: stored numbers read back equal (a JSON float with 17 digits may not), and
/// no reader needs more.
pub(crate) fn round_sig(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{v:.5e}").parse().unwrap_or(v)
}

/// z for 80 % power.
pub(crate) const Z_POWER_80: f64 = 0.841_621_233_572_914_3;

/// The log-scale σ of a log-normal with coefficient of variation `cov` (a fraction).
pub fn cov_to_sigma(cov: f64) -> f64 {
    (1.0 + cov * cov).ln().sqrt()
}

/// Builds one row from the two values (shared with the history and trial comparisons).
#[allow(clippy::too_many_arguments)]
pub(crate) fn make_row(
    series: SeriesKey,
    base: Option<f64>,
    head: Option<f64>,
    in_base: bool,
    in_head: bool,
    noise: Option<f64>,
    noise_source: NoiseSource,
    settings: &CompareSettings,
) -> Option<ComparisonRow> {
    let metric = series.metric;
    let threshold = if metric == Metric::ErrorRate {
        settings.error_rate_threshold_points
    } else {
        settings.threshold_percent
    };
    let mut note = None;
    let (change, verdict) = match (base, head) {
        (None, None) if in_base && in_head => return None,
        (None, None) => return None,
        (None, Some(_)) => (None, Verdict::New),
        (Some(_), None) => (None, Verdict::Missing),
        (Some(b), Some(h)) => {
            let change = if metric == Metric::ErrorRate {
                Some(h - b)
            } else if b == 0.0 {
                if h != 0.0 {
                    note = Some("base is 0: no relative change".to_string());
                }
                None
            } else {
                Some((h - b) / b.abs() * 100.0)
            };
            let verdict = match change {
                Some(c) => decide(metric, c, threshold, noise),
                None => Verdict::Unchanged,
            };
            (change, verdict)
        }
    };
    Some(ComparisonRow {
        test_type: series.test_type,
        operation: series.operation,
        metric,
        base,
        head,
        change_percent: change,
        noise_percent: noise,
        noise_source: if noise.is_some() {
            noise_source
        } else {
            NoiseSource::None
        },
        threshold_percent: threshold,
        p_value: None,
        verdict,
        mdc_percent: None,
        baseline_runs: None,
        acknowledged: None,
        note,
    })
}

/// The within-run standard error of the change of `metric` between two results: on the log scale (a
/// fraction) for relative metrics, in percentage points for the error rate; `None` when there is no sampling
/// model for it (memory, CPU) or not enough data.
pub fn within_run_se(
    metric: Metric,
    base: &OperationResult,
    base_rec: &RunRecord,
    head: &OperationResult,
    head_rec: &RunRecord,
) -> Option<f64> {
    if metric == Metric::ErrorRate {
        let se = |o: &OperationResult| {
            let n = o.total_requests as f64;
            let p = o.error_rate_percent() / 100.0;
            (n > 0.0).then(|| (p * (1.0 - p) / n).sqrt() * 100.0)
        };
        let (a, b) = (se(base)?, se(head)?);
        return Some((a * a + b * b).sqrt());
    }
    let (a, b) = (
        relative_se(metric, base, base_rec)?,
        relative_se(metric, head, head_rec)?,
    );
    // Under "no change" both runs sample one distribution: the wider of the two estimates is the better
    // estimate of that distribution's spread for both (a tight base run must not make one slow request in
    // the head run look like a regression).
    let e = a.max(b);
    let v = (2.0 * e * e).sqrt();
    v.is_finite().then_some(v)
}

/// Fewer requests above a percentile than this, and two single runs cannot judge it: the order-statistic
/// interval needs a few samples in the tail, and below that one slow request moves p99 by any amount.
pub const MIN_TAIL_SAMPLES: f64 = 5.0;

/// When either run has too few requests to judge `metric` (a high percentile) against the other, the note
/// that says so and how many requests it would take.
fn thin_tail(metric: Metric, base: &OperationResult, head: &OperationResult) -> Option<String> {
    let q = quantile_of(metric)?;
    let n = base.total_requests.min(head.total_requests);
    if n as f64 * (1.0 - q) >= MIN_TAIL_SAMPLES {
        return None;
    }
    let needed = (MIN_TAIL_SAMPLES / (1.0 - q)).ceil();
    Some(format!(
        "{n} requests are too few to compare {} of two single runs (needs {needed:.0}); more iterations, \
         history or the A/B mode can judge it",
        metric.label()
    ))
}

fn quantile_of(metric: Metric) -> Option<f64> {
    match metric {
        Metric::P50 => Some(0.50),
        Metric::P90 => Some(0.90),
        Metric::P95 => Some(0.95),
        Metric::P99 => Some(0.99),
        Metric::P999 => Some(0.999),
        _ => None,
    }
}

/// The relative standard error of one result's metric (a fraction), when a sampling model exists.
fn relative_se(metric: Metric, op: &OperationResult, rec: &RunRecord) -> Option<f64> {
    let n = op.total_requests as f64;
    if n < 2.0 {
        return None;
    }
    if let Some(q) = quantile_of(metric) {
        let h = op.histogram.as_ref()?;
        let n = h.count() as f64;
        if n < 2.0 {
            return None;
        }
        // Conover §3.2: the ranks n·q ± √(n·q·(1−q)) bound one standard error of the sample quantile.
        let half = (n * q * (1.0 - q)).sqrt() / n;
        let lo = h.quantile_ms((q - half).max(0.0));
        let hi = h.quantile_ms((q + half).min(1.0));
        let mid = h.quantile_ms(q);
        return (mid > 0.0).then(|| (hi - lo) / 2.0 / mid);
    }
    match metric {
        Metric::Avg => {
            let l = &op.latency_ms;
            (l.avg > 0.0).then(|| l.stddev / n.sqrt() / l.avg)
        }
        Metric::Rps => {
            let timeline = rec
                .load
                .as_ref()
                .filter(|l| l.operations.iter().any(|o| std::ptr::eq(o, op)))
                .map(|l| &l.timeline);
            match timeline {
                // Per-second rates of the whole mix: their spread is the best available for any operation.
                Some(t) if t.len() >= 3 => {
                    // Skip the first second (ramp-up) and the last (partial).
                    let rates: Vec<f64> = t[1..t.len() - 1].iter().map(|p| p.rps).collect();
                    let m = crate::stats::mean(&rates)?;
                    let s = crate::stats::sample_stddev(&rates)?;
                    (m > 0.0).then(|| s / (rates.len() as f64).sqrt() / m)
                }
                _ => {
                    let l = &op.latency_ms;
                    (l.avg > 0.0).then(|| l.stddev / n.sqrt() / l.avg)
                }
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::LatencyHistogram;
    use crate::test_support::{op, record_with};

    fn settings() -> CompareSettings {
        CompareSettings::default()
    }

    #[test]
    fn one_slow_request_among_thirty_is_not_a_p99_regression() {
        let run = |tail_us: u64| {
            let mut h = LatencyHistogram::new();
            for i in 0..29 {
                h.record_us(11_200 + i * 3);
            }
            h.record_us(tail_us);
            let mut o = op("get", 11.3, 88.0, 30, 0);
            o.latency_ms = h.summary();
            o.histogram = Some(h);
            record_with(vec![o])
        };
        let (base, head) = (run(11_300), run(12_900));
        let c = compare_runs(&base, &head, &settings());
        let p99 = c.row(TestType::Benchmark, "get", Metric::P99).unwrap();
        assert!(p99.change_percent.unwrap() > 10.0, "{p99:?}");
        assert_eq!(p99.verdict, Verdict::Unchanged, "{p99:?}");
        assert!(
            p99.note.as_deref().unwrap().contains("needs 500"),
            "{p99:?}"
        );
        // p50 has 15 requests on either side: it is judged (and unchanged).
        let p50 = c.row(TestType::Benchmark, "get", Metric::P50).unwrap();
        assert!(p50.note.is_none(), "{p50:?}");
        assert_eq!(p50.noise_source, NoiseSource::RunToRun);
    }

    #[test]
    fn every_verdict_type() {
        let base = record_with(vec![
            op("same", 100.0, 100.0, 1000, 0),
            op("slower", 100.0, 100.0, 1000, 0),
            op("faster", 100.0, 100.0, 1000, 0),
            op("gone", 100.0, 100.0, 1000, 0),
        ]);
        let head = record_with(vec![
            op("same", 103.0, 100.0, 1000, 0),
            op("slower", 150.0, 100.0, 1000, 0),
            op("faster", 50.0, 100.0, 1000, 0),
            op("added", 100.0, 100.0, 1000, 0),
        ]);
        let c = compare_runs(&base, &head, &settings());
        let v = |o: &str, m| c.row(TestType::Benchmark, o, m).unwrap().verdict;
        assert_eq!(v("same", Metric::P95), Verdict::Unchanged);
        assert_eq!(v("slower", Metric::P95), Verdict::Regressed);
        assert_eq!(v("faster", Metric::P95), Verdict::Improved);
        assert_eq!(v("gone", Metric::P95), Verdict::Missing);
        assert_eq!(v("added", Metric::P95), Verdict::New);
        let row = c.row(TestType::Benchmark, "slower", Metric::P95).unwrap();
        assert_eq!(row.change_percent.map(|c| c.round()), Some(50.0));
        assert_eq!(
            row.sentence(),
            "P95 latency increased by 50% (150 ms → 225 ms)"
        );
        assert_eq!(row.change_text(), "+50%");
        let counts = c.counts();
        // Every metric but the microbenchmark ones, which these operations do not report.
        let reported = COMPARED_METRICS
            .iter()
            .filter(|m| !m.is_microbench_extra())
            .count();
        assert_eq!(counts.new, reported);
        assert_eq!(counts.missing, reported);
    }

    #[test]
    fn allocations_per_op_are_compared_like_latency() {
        let with = |name: &str, bytes: f64, allocs: f64| {
            let mut o = op(name, 0.001, 1e6, 100, 0);
            o.extra_metrics.insert("bytes_per_op".into(), bytes);
            o.extra_metrics.insert("allocs_per_op".into(), allocs);
            o
        };
        let base = record_with(vec![with("parse", 512.0, 4.0), with("same", 64.0, 2.0)]);
        let head = record_with(vec![with("parse", 1024.0, 9.0), with("same", 64.0, 2.0)]);
        let c = compare_runs(&base, &head, &settings());
        let row = |o: &str, m| c.row(TestType::Benchmark, o, m).unwrap();
        assert_eq!(
            row("parse", Metric::AllocsPerOp).verdict,
            Verdict::Regressed
        );
        assert_eq!(row("parse", Metric::BytesPerOp).verdict, Verdict::Regressed);
        assert_eq!(
            row("parse", Metric::BytesPerOp).sentence(),
            "Allocated bytes per op increased by 100% (512 B → 1 KiB)"
        );
        assert_eq!(row("same", Metric::AllocsPerOp).verdict, Verdict::Unchanged);
        // Operations without them (a load test) get no rows for them at all.
        let plain = record_with(vec![op("x", 10.0, 100.0, 1000, 0)]);
        let c = compare_runs(&plain, &plain, &settings());
        assert!(c.rows.iter().all(|r| !r.metric.is_microbench_extra()));
    }

    #[test]
    fn throughput_direction_is_higher_is_better() {
        let base = record_with(vec![
            op("a", 100.0, 100.0, 1000, 0),
            op("b", 100.0, 100.0, 1000, 0),
        ]);
        let head = record_with(vec![
            op("a", 100.0, 70.0, 1000, 0),
            op("b", 100.0, 130.0, 1000, 0),
        ]);
        let c = compare_runs(&base, &head, &settings());
        assert_eq!(
            c.row(TestType::Benchmark, "a", Metric::Rps)
                .unwrap()
                .verdict,
            Verdict::Regressed
        );
        assert_eq!(
            c.row(TestType::Benchmark, "b", Metric::Rps)
                .unwrap()
                .verdict,
            Verdict::Improved
        );
        assert_eq!(decide(Metric::P95, -20.0, 10.0, None), Verdict::Improved);
        assert_eq!(decide(Metric::Rps, -20.0, 10.0, None), Verdict::Regressed);
    }

    #[test]
    fn a_change_must_beat_both_threshold_and_noise() {
        // 15% over a 10% threshold, but noise is 20%: unchanged.
        assert_eq!(
            decide(Metric::P95, 15.0, 10.0, Some(20.0)),
            Verdict::Unchanged
        );
        // 15% with noise 2%: regressed. 8% with noise 2%: under the threshold.
        assert_eq!(
            decide(Metric::P95, 15.0, 10.0, Some(2.0)),
            Verdict::Regressed
        );
        assert_eq!(
            decide(Metric::P95, 8.0, 10.0, Some(2.0)),
            Verdict::Unchanged
        );
        assert_eq!(
            decide(Metric::P95, f64::NAN, 10.0, None),
            Verdict::Unchanged
        );
    }

    #[test]
    fn within_run_noise_uses_the_histograms() {
        // Few, widely spread samples: a 30% change of p50 sits inside the sampling error (and p95 of 10
        // requests is not judged at all).
        let mk = |scale: f64, n: u64| {
            let mut h = LatencyHistogram::new();
            for i in 0..n {
                // Log-uniform from 1 ms to 100 ms: a long tail, as latencies have.
                let u = ((i * 7919) % 1000) as f64 / 1000.0;
                h.record_us((1000.0 * 100f64.powf(u) * scale) as u64);
            }
            let mut o = op("x", 1.0, 100.0, n, 0);
            o.latency_ms = h.summary();
            o.histogram = Some(h);
            o
        };
        let base = record_with(vec![mk(1.0, 10)]);
        let head = record_with(vec![mk(1.3, 10)]);
        let c = compare_runs(&base, &head, &settings());
        let row = c.row(TestType::Benchmark, "x", Metric::P50).unwrap();
        assert_eq!(row.noise_source, NoiseSource::RunToRun);
        assert!(row.noise_percent.unwrap() > 30.0, "{row:?}");
        assert_eq!(row.verdict, Verdict::Unchanged);
        let p95 = c.row(TestType::Benchmark, "x", Metric::P95).unwrap();
        assert!(p95.note.is_some() && p95.noise_percent.is_none(), "{p95:?}");
        // Many samples: the sampling error vanishes and the run-to-run prior (3% a run) is what is left: the
        // 95% noise is 1.96·√2·3% ≈ 8.7%, and the same 30% is far outside it.
        let base = record_with(vec![mk(1.0, 20_000)]);
        let head = record_with(vec![mk(1.3, 20_000)]);
        let c = compare_runs(&base, &head, &settings());
        let row = c.row(TestType::Benchmark, "x", Metric::P95).unwrap();
        let noise = row.noise_percent.unwrap();
        assert!(noise > 8.5 && noise < 10.0, "{row:?}");
        assert_eq!(row.verdict, Verdict::Regressed);
        // Without the prior the floor is the sampling error alone.
        let s = CompareSettings {
            run_to_run_percent: 0.0,
            ..settings()
        };
        let c = compare_runs(&base, &head, &s);
        let row = c.row(TestType::Benchmark, "x", Metric::P95).unwrap();
        assert!(row.noise_percent.unwrap() < 5.0, "{row:?}");
    }

    #[test]
    fn two_runs_test_every_row_together_and_state_what_they_can_see() {
        // 50 operations, each 1.06× slower in the head: inside the run-to-run prior, so nothing is flagged
        // (before: a 10% threshold and the within-run floor alone flagged such pairs), while one operation
        // 40% slower is, and every tested row states its minimum detectable change.
        let names: Vec<String> = (0..50).map(|i| format!("op{i}")).collect();
        let base = record_with(names.iter().map(|n| op(n, 100.0, 100.0, 1000, 0)).collect());
        let mut head_ops: Vec<_> = names.iter().map(|n| op(n, 112.0, 89.0, 1000, 0)).collect();
        head_ops[7] = op("op7", 140.0, 71.0, 1000, 0);
        let head = record_with(head_ops);
        let c = compare_runs(&base, &head, &settings());
        let regressed: Vec<&str> = c
            .unacknowledged_regressions()
            .map(|r| r.operation.as_str())
            .collect();
        assert!(
            !regressed.is_empty() && regressed.iter().all(|o| *o == "op7"),
            "{regressed:?}"
        );
        let row = c.row(TestType::Benchmark, "op3", Metric::P95).unwrap();
        assert_eq!(row.verdict, Verdict::Unchanged, "{row:?}");
        // +12% is beyond the 10% threshold but not significant among 350 rows with 3% run-to-run noise.
        assert!(
            row.change_percent.unwrap() > 10.0 && row.p_value.unwrap() > 0.01,
            "{row:?}"
        );
        let mdc = row.mdc_percent.unwrap();
        assert!(mdc > 20.0 && mdc < 30.0, "{mdc}");
        assert!(
            c.notes[0].contains("prior of 3% per run") && c.notes[0].contains("Benjamini–Hochberg"),
            "{:?}",
            c.notes
        );
        // A run-to-run noise measured from history replaces the prior for its series.
        let mut s = settings();
        s.run_to_run
            .insert(SeriesKey::new(TestType::Benchmark, "op3", Metric::P95), 0.5);
        let c = compare_runs(&base, &head, &s);
        let row = c.row(TestType::Benchmark, "op3", Metric::P95).unwrap();
        assert!(row.mdc_percent.unwrap() < mdc, "{row:?}");
        assert!(
            c.notes[0].contains("measured from history for 1 row"),
            "{:?}",
            c.notes
        );
    }

    #[test]
    fn error_rate_is_compared_in_points() {
        let base = record_with(vec![op("a", 10.0, 100.0, 10_000, 0)]);
        let head = record_with(vec![op("a", 10.0, 100.0, 10_000, 300)]);
        let c = compare_runs(&base, &head, &settings());
        let row = c.row(TestType::Benchmark, "a", Metric::ErrorRate).unwrap();
        assert_eq!(row.change_percent, Some(3.0));
        assert_eq!(row.verdict, Verdict::Regressed);
        assert_eq!(row.change_text(), "+3.0 pts");
        assert!(
            row.sentence().starts_with("Error rate rose by 3.0 points"),
            "{}",
            row.sentence()
        );
    }

    #[test]
    fn known_noise_replaces_the_within_run_estimate() {
        let base = record_with(vec![op("a", 100.0, 100.0, 1000, 0)]);
        let head = record_with(vec![op("a", 125.0, 100.0, 1000, 0)]);
        let mut s = settings();
        s.known_noise.insert(
            SeriesKey::new(TestType::Benchmark, "a", Metric::P95),
            (30.0, NoiseSource::History),
        );
        let c = compare_runs(&base, &head, &s);
        let row = c.row(TestType::Benchmark, "a", Metric::P95).unwrap();
        assert_eq!(
            (row.verdict, row.noise_source),
            (Verdict::Unchanged, NoiseSource::History)
        );
        // Memory and CPU have no within-run model: the run-to-run term alone.
        let mem = c.row(TestType::Benchmark, "a", Metric::MemoryMb).unwrap();
        assert_eq!(mem.noise_source, NoiseSource::RunToRun);
    }
}

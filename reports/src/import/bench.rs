//! The shared half of every microbenchmark reader: one benchmark's numbers → one operation of a
//! `microbench` run record.
//!
//! Harnesses give three kinds of data, and the record keeps which so that the statistics fit it:
//!
//! * **per-sample times** (criterion's samples, hyperfine's `times`, pytest-benchmark's saved rounds, Go's
//!   `-count=N` lines, JMH's iterations, Google Benchmark's repetitions): exact percentiles, mean and standard
//!   deviation over the samples; `total_requests` is the sample count, so the comparison's within-run error of
//!   the mean (`s/√n`) is real. When every sample is at least [`HISTOGRAM_MIN_NS`] the samples are also kept
//!   as the HDR histogram (µs resolution), which gives the percentiles their order-statistics error too;
//! * **mean ± deviation** only (libtest, pytest-benchmark without saved data, Google Benchmark aggregates):
//!   every percentile is set to the centre value and the deviation is the reported one over the reported
//!   number of samples — an approximation (a normal distribution is assumed); the record's warnings say so;
//! * **one number** (BMF, github-action-benchmark JSON, a single Go line): `total_requests` is 1, which has no
//!   within-run sampling model, so the change is judged by the series' history (or the run-to-run prior).
//!
//! Times are stored in the record's milliseconds, unrounded (a 12 ns benchmark is `0.000012`), and
//! `throughput_rps` is operations per second (1 / mean). Bytes and allocations per operation (Go's `B/op`
//! and `allocs/op`) go into the operation's `extra_metrics` and are compared, gated and charted like latency
//! ([`Extra::metric`]); other metrics a harness adds (`MB/s`, custom `b.ReportMetric` units, BMF's other
//! measures) are listed in the record's notes only.

use crate::histogram::LatencyHistogram;
use crate::latency::LatencyMs;
use crate::record::{BenchmarkSection, OperationResult, RunRecord, SCHEMA};

use super::{ImportContext, ImportError};

/// Samples below this (100 µs) are not put into the µs histogram: its resolution would be coarser than 1 %.
pub const HISTOGRAM_MIN_NS: f64 = 100_000.0;
/// Most samples one benchmark may bring (a corrupt or hostile file could claim billions).
pub const MAX_SAMPLES: usize = 1 << 20;
/// Most benchmarks one file may bring.
pub const MAX_BENCHMARKS: usize = 100_000;

/// What one benchmark measured, in nanoseconds per operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Timing {
    /// One time per sample (each already divided by its iteration count).
    Samples(Vec<f64>),
    /// A centre value (mean or median) and a standard deviation over `n` samples.
    MeanDev { centre: f64, stddev: f64, n: u64 },
    /// One number, nothing about its spread.
    Single(f64),
}

/// A metric beside time (bytes, allocations, a throughput), with its unit and direction.
#[derive(Clone, Debug, PartialEq)]
pub struct Extra {
    pub name: String,
    pub unit: String,
    pub value: f64,
    pub higher_is_better: bool,
}

impl Extra {
    /// The judged metric this extra is, if perfgate compares it: bytes and allocations per operation (Go's
    /// `B/op` and `allocs/op`, or perfgate's own BMF measures `bytes-per-op`, `allocs-per-op` read back). Others are only listed.
    pub fn metric(&self) -> Option<crate::metric::Metric> {
        use crate::metric::Metric;
        let unit = self.unit.trim();
        let name = self.name.trim();
        if unit == "B/op" || name == "bytes-per-op" || name == Metric::BytesPerOp.key() {
            Some(Metric::BytesPerOp)
        } else if unit == "allocs/op"
            || name == "allocs-per-op"
            || name == Metric::AllocsPerOp.key()
        {
            Some(Metric::AllocsPerOp)
        } else {
            None
        }
    }
}

/// One benchmark of a harness's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Bench {
    pub name: String,
    pub timing: Timing,
    /// Runs of the benchmark that failed (hyperfine's non-zero exit codes).
    pub failures: u64,
    pub extras: Vec<Extra>,
}

impl Bench {
    pub fn new(name: impl Into<String>, timing: Timing) -> Self {
        Bench {
            name: name.into(),
            timing,
            failures: 0,
            extras: vec![],
        }
    }
}

/// Nanoseconds per unit of a harness's time unit (`ns`, `us`/`µs`, `ms`, `s`, with an optional `/op`,
/// `/iter` suffix); `None` for a unit that is not a time.
pub fn ns_per(unit: &str) -> Option<f64> {
    let u = unit.trim();
    let u = u
        .strip_suffix("/op")
        .or_else(|| u.strip_suffix("/iter"))
        .unwrap_or(u)
        .trim();
    Some(match u {
        "ns" | "nanoseconds" => 1.0,
        "us" | "µs" | "μs" | "microseconds" => 1e3,
        "ms" | "milliseconds" => 1e6,
        "s" | "sec" | "seconds" => 1e9,
        _ => return None,
    })
}

/// A shape error naming the file.
pub(crate) fn shape(ctx: &ImportContext, what: impl Into<String>) -> ImportError {
    ImportError::Shape {
        path: ctx.source.clone(),
        what: what.into(),
    }
}

fn ms(ns: f64) -> f64 {
    // Nine significant digits: the record stays readable and no harness measures finer.
    let v = ns / 1e6;
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let mag = 10f64.powi(8 - v.abs().log10().floor() as i32);
    if mag.is_finite() && mag > 0.0 {
        let r = (v * mag).round() / mag;
        if r.is_finite() {
            return r;
        }
    }
    v
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    // Linear interpolation between closest ranks (type 7, as numpy and criterion).
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// One benchmark as an operation; an error for a time that is not a finite positive-or-zero number.
fn operation(ctx: &ImportContext, b: &Bench) -> Result<OperationResult, ImportError> {
    let bad = |what: &str| {
        shape(
            ctx,
            format!("benchmark \"{}\": {what}", b.name.escape_debug()),
        )
    };
    let check = |v: f64| (0.0..1e18).contains(&v);
    let (latency, n, histogram, total_ns) = match &b.timing {
        Timing::Samples(xs) => {
            if xs.is_empty() {
                return Err(bad("no samples"));
            }
            if xs.len() > MAX_SAMPLES {
                return Err(bad(&format!("more than {MAX_SAMPLES} samples")));
            }
            if let Some(x) = xs.iter().find(|x| !check(**x)) {
                return Err(bad(&format!("sample time {x} ns is not a time")));
            }
            let mut s = xs.clone();
            s.sort_by(|a, b| a.total_cmp(b));
            let mean = s.iter().sum::<f64>() / s.len() as f64;
            let sd = crate::stats::sample_stddev(&s).unwrap_or(0.0);
            let histogram = (s[0] >= HISTOGRAM_MIN_NS).then(|| {
                let mut h = LatencyHistogram::new();
                for x in &s {
                    h.record_us((x / 1e3).round() as u64);
                }
                h
            });
            let l = LatencyMs {
                min: ms(s[0]),
                max: ms(s[s.len() - 1]),
                p50: ms(quantile(&s, 0.50)),
                p90: ms(quantile(&s, 0.90)),
                p95: ms(quantile(&s, 0.95)),
                p99: ms(quantile(&s, 0.99)),
                p999: ms(quantile(&s, 0.999)),
                avg: ms(mean),
                stddev: ms(sd),
            };
            (l, s.len() as u64, histogram, s.iter().sum::<f64>())
        }
        Timing::MeanDev { centre, stddev, n } => {
            if !check(*centre) || !check(*stddev) {
                return Err(bad(&format!("time {centre} ± {stddev} ns is not a time")));
            }
            let l = flat(ms(*centre), ms(*stddev));
            let n = (*n).clamp(1, MAX_SAMPLES as u64);
            (l, n, None, centre * n as f64)
        }
        Timing::Single(v) => {
            if !check(*v) {
                return Err(bad(&format!("time {v} ns is not a time")));
            }
            let l = flat(ms(*v), 0.0);
            (l, 1, None, *v)
        }
    };
    let mut extra_metrics = std::collections::BTreeMap::new();
    for e in &b.extras {
        if let Some(m) = e.metric() {
            if !(0.0..1e18).contains(&e.value) {
                return Err(bad(&format!("{} {} is out of range", e.value, e.unit)));
            }
            extra_metrics.insert(m.key().to_string(), e.value);
        }
    }
    let failed = b.failures.min(n);
    let rps = if latency.avg > 0.0 {
        let r = 1000.0 / latency.avg;
        if r.is_finite() {
            (r * 1000.0).round() / 1000.0
        } else {
            0.0
        }
    } else {
        0.0
    };
    Ok(OperationResult {
        operation_name: b.name.clone(),
        total_requests: n,
        successful_requests: n - failed,
        failed_requests: failed,
        latency_ms: latency,
        throughput_rps: rps,
        success_rate_percent: crate::histogram::round3((n - failed) as f64 * 100.0 / n as f64),
        duration_seconds: crate::histogram::round3(total_ns / 1e9),
        histogram,
        extra_metrics,
        ..Default::default()
    })
}

/// Latencies of a benchmark known only by one centre value (ms): every percentile is that value.
fn flat(c: f64, stddev: f64) -> LatencyMs {
    LatencyMs {
        min: c,
        max: c,
        p50: c,
        p90: c,
        p95: c,
        p99: c,
        p999: c,
        avg: c,
        stddev,
    }
}

/// The kind of statistics a set of benchmarks supports, for the record's warnings (shown by the PR comment
/// and the site).
fn statistics_note(benches: &[Bench]) -> Vec<String> {
    let (mut samples, mut meandev, mut single) = (0, 0, 0);
    for b in benches {
        match b.timing {
            Timing::Samples(_) => samples += 1,
            Timing::MeanDev { .. } => meandev += 1,
            Timing::Single(_) => single += 1,
        }
    }
    let mut notes = vec![];
    if samples > 0 {
        notes.push(format!(
            "statistics: {samples} benchmark(s) with per-sample times: within-run noise is measured"
        ));
    }
    if meandev > 0 {
        notes.push(format!(
            "statistics: {meandev} benchmark(s) with only a centre value ± deviation: percentiles are the centre \
             value and within-run noise is approximated from the deviation (normal distribution assumed)"
        ));
    }
    if single > 0 {
        notes.push(format!(
            "statistics: {single} benchmark(s) with a single number: no within-run noise, judged by history alone"
        ));
    }
    notes
}

/// Wraps benchmarks into a `microbench` run record (the benchmarks in its `benchmark` section, one operation
/// each, in the file's order). Two benchmarks with one name are an error (their series would mix).
pub fn record(
    ctx: &ImportContext,
    tool: &str,
    benches: Vec<Bench>,
    mut warnings: Vec<String>,
) -> Result<RunRecord, ImportError> {
    if benches.is_empty() {
        return Err(shape(
            ctx,
            format!("no benchmarks found in this {tool} output"),
        ));
    }
    if benches.len() > MAX_BENCHMARKS {
        return Err(shape(ctx, format!("more than {MAX_BENCHMARKS} benchmarks")));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut ops = Vec::with_capacity(benches.len());
    let mut total_s = 0.0;
    for b in &benches {
        if b.name.trim().is_empty() {
            return Err(shape(ctx, "a benchmark has an empty name"));
        }
        if !seen.insert(b.name.as_str()) {
            return Err(shape(
                ctx,
                format!("two benchmarks are named \"{}\"", b.name.escape_debug()),
            ));
        }
        let op = operation(ctx, b)?;
        total_s += op.duration_seconds;
        ops.push(op);
    }
    let mut all = vec![format!("imported from {tool} ({})", ctx.source)];
    all.extend(statistics_note(&benches));
    for b in &benches {
        for e in b.extras.iter().filter(|e| e.metric().is_none()) {
            all.push(format!(
                "extra metric (listed, not compared): {} {} = {} {} ({} is better)",
                b.name,
                e.name,
                crate::metric::sig(e.value),
                e.unit,
                if e.higher_is_better {
                    "higher"
                } else {
                    "lower"
                }
            ));
        }
    }
    all.append(&mut warnings);
    let millis = (total_s.clamp(0.0, super::MAX_IMPORTED_SECONDS) * 1000.0).round() as i64;
    let finished = chrono::Duration::try_milliseconds(millis)
        .and_then(|d| ctx.started_at.checked_add_signed(d))
        .unwrap_or(ctx.started_at);
    let iterations = ops.iter().map(|o| o.total_requests).sum();
    Ok(RunRecord {
        schema: SCHEMA.into(),
        run_id: ctx.run_id.clone(),
        suite: ctx.suite.clone(),
        test_type: "microbench".into(),
        started_at: ctx.started_at,
        finished_at: finished,
        git: ctx.git.clone(),
        environment: ctx.environment.clone(),
        config_digest: format!("imported-{tool}"),
        shard: None,
        benchmark: Some(BenchmarkSection {
            iterations,
            warmup_iterations: 0,
            operations: ops,
            system: Default::default(),
        }),
        load: None,
        stress: None,
        analysis: None,
        system: Default::default(),
        targets: vec![],
        warnings: all,
        incomplete: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::ctx;

    #[test]
    fn samples_give_exact_percentiles_and_a_histogram_only_when_coarse_enough() {
        let xs: Vec<f64> = (1..=100).map(|i| i as f64 * 1000.0).collect(); // 1..100 µs
        let rec = record(
            &ctx("c"),
            "t",
            vec![
                Bench::new("fast", Timing::Samples(xs.clone())),
                Bench::new(
                    "slow",
                    Timing::Samples(xs.iter().map(|x| x * 1000.0).collect()),
                ),
            ],
            vec![],
        )
        .expect("record");
        assert_eq!(rec.test_type, "microbench");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert_eq!(ops[0].total_requests, 100);
        assert_eq!(ops[0].latency_ms.p50, 0.0505);
        assert_eq!(ops[0].latency_ms.min, 0.001);
        assert!(ops[0].histogram.is_none());
        let h = ops[1].histogram.as_ref().expect("histogram for ms samples");
        assert_eq!(h.count(), 100);
        assert!((ops[0].throughput_rps - 1e9 / 50_500.0).abs() < 0.01);
        let back = RunRecord::from_json_slice(&rec.to_json_pretty(), "x").expect("round trip");
        assert_eq!(back, rec);
    }

    #[test]
    fn nanosecond_times_survive_and_kinds_are_noted() {
        let rec = record(
            &ctx("c"),
            "t",
            vec![
                Bench::new("a", Timing::Single(12.0)),
                Bench::new(
                    "b",
                    Timing::MeanDev {
                        centre: 1234.0,
                        stddev: 56.0,
                        n: 50,
                    },
                ),
            ],
            vec![],
        )
        .expect("record");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert_eq!(ops[0].latency_ms.p95, 0.000012);
        assert_eq!(ops[0].total_requests, 1);
        assert_eq!(ops[1].total_requests, 50);
        assert_eq!(ops[1].latency_ms.stddev, 0.000056);
        assert!(rec.warnings.iter().any(|w| w.contains("history alone")));
        assert!(rec.warnings.iter().any(|w| w.contains("approximated")));
    }

    #[test]
    fn bad_benchmarks_are_named_errors() {
        let dup = record(
            &ctx("f.json"),
            "t",
            vec![
                Bench::new("a", Timing::Single(1.0)),
                Bench::new("a", Timing::Single(2.0)),
            ],
            vec![],
        )
        .unwrap_err();
        assert!(
            dup.to_string().starts_with("f.json: two benchmarks"),
            "{dup}"
        );
        let nan = record(
            &ctx("f.json"),
            "t",
            vec![Bench::new("a", Timing::Samples(vec![1.0, f64::NAN]))],
            vec![],
        )
        .unwrap_err();
        assert!(nan.to_string().contains("not a time"), "{nan}");
        let none = record(&ctx("f.json"), "t", vec![], vec![]).unwrap_err();
        assert!(none.to_string().contains("no benchmarks"), "{none}");
    }
}

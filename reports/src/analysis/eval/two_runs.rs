//! Evaluation of `perfgate compare` of two single runs: A/A false alarms and recall of a step, on synthetic
//! run records with real HDR histograms (the path `compare_runs` takes on real runs).
//!
//! **Generator.** 50 operations; operation `i` has a typical latency `L_i` (2–40 ms). In one run, its
//! requests are `L_i · f · exp(σ_w·Z − σ_w²/2)` with `σ_w = 0.25` (the within-run spread of a service's
//! latencies) and `f` the run's factor for that operation, log-normal with coefficient of variation `cov`:
//! the **run-to-run** drift (another VM, another neighbour) that two runs cannot see from inside. Memory and
//! CPU drift by the same law. Each run records `requests` requests per operation into an HDR histogram, and
//! the record's summary (percentiles, mean, stddev, throughput) is read off it, as the engine does.
//!
//! *A/A*: both runs from the same levels; a pair is flagged when **any** row regressed. *Step*: operation 0's
//! latencies are `1 + step` times slower in the head run; recall is the fraction of pairs where its p50, p95
//! or mean row regressed (the throughput row of a benchmark follows the mean).

use serde::Serialize;

use super::super::compare::{compare_runs, CompareSettings, Verdict};
use super::super::rng::SplitMix64;
use super::lognormal;
use crate::histogram::LatencyHistogram;
use crate::metric::Metric;
use crate::record::{
    BenchmarkSection, Environment, GitInfo, OperationResult, RunRecord, SystemSummary, TestType,
    SCHEMA,
};

/// Parameters of the two-run evaluation.
#[derive(Clone, Debug)]
pub struct TwoRunConfig {
    /// Operations per run.
    pub operations: usize,
    /// Requests per operation and run.
    pub requests: usize,
    /// Within-run spread of request latencies (log-scale σ).
    pub within_sigma: f64,
    /// Pairs per cell.
    pub trials: usize,
    /// PRNG seed.
    pub seed: u64,
    /// The settings evaluated.
    pub settings: CompareSettings,
}

impl Default for TwoRunConfig {
    fn default() -> Self {
        Self {
            operations: 50,
            requests: 500,
            within_sigma: 0.25,
            trials: 400,
            seed: 20261202,
            settings: CompareSettings::default(),
        }
    }
}

/// One row of the two-run table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TwoRunRow {
    /// Run-to-run noise, coefficient of variation in percent.
    pub cov_percent: f64,
    /// Step of operation 0 in the head run, percent (0 for A/A).
    pub step_percent: f64,
    /// A/A: fraction of pairs with any regressed row. Step: fraction with the stepped operation regressed.
    pub flagged: f64,
    /// Median minimum detectable change of the p95 rows (percent), when the comparison states one.
    pub median_p95_mdc: Option<f64>,
}

fn operation(
    name: String,
    level_ms: f64,
    factor: f64,
    cfg: &TwoRunConfig,
    rng: &mut SplitMix64,
) -> OperationResult {
    let mut h = LatencyHistogram::new();
    let s = cfg.within_sigma;
    for _ in 0..cfg.requests {
        let ms = level_ms * factor * (s * rng.normal() - s * s / 2.0).exp();
        h.record_us((ms * 1000.0).max(1.0) as u64);
    }
    let latency_ms = h.summary();
    let total = cfg.requests as u64;
    let duration_seconds = latency_ms.avg * total as f64 / 1000.0;
    OperationResult {
        operation_name: name,
        total_requests: total,
        successful_requests: total,
        failed_requests: 0,
        throughput_rps: if duration_seconds > 0.0 {
            total as f64 / duration_seconds
        } else {
            0.0
        },
        latency_ms,
        success_rate_percent: 100.0,
        memory_usage_mb: None,
        cpu_usage_percent: None,
        resource_source: "target".into(),
        duration_seconds,
        histogram: Some(h),
        ..Default::default()
    }
}

/// A benchmark record of `ops` (name, level, run factor, memory, CPU).
fn record(id: &str, ops: Vec<OperationResult>) -> RunRecord {
    let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    RunRecord {
        schema: SCHEMA.into(),
        run_id: id.into(),
        suite: "default".into(),
        test_type: "benchmark".into(),
        started_at: t,
        finished_at: t,
        git: GitInfo::default(),
        environment: Environment {
            fingerprint: "eval".into(),
            ..Default::default()
        },
        config_digest: "eval".into(),
        shard: None,
        benchmark: Some(BenchmarkSection {
            iterations: 0,
            warmup_iterations: 0,
            operations: ops,
            system: SystemSummary::default(),
        }),
        load: None,
        stress: None,
        analysis: None,
        system: SystemSummary::default(),
        targets: vec![],
        warnings: vec![],
        incomplete: None,
    }
}

/// One synthetic run: every operation drifts by its own run factor; operation 0 is `1 + step` slower.
fn run(
    id: &str,
    levels: &[f64],
    cov: f64,
    step: f64,
    cfg: &TwoRunConfig,
    rng: &mut SplitMix64,
) -> RunRecord {
    let ops = levels
        .iter()
        .enumerate()
        .map(|(i, &level)| {
            let f = lognormal(rng, 1.0, cov) * if i == 0 { 1.0 + step } else { 1.0 };
            let mut o = operation(format!("op{i:02}"), level, f, cfg, rng);
            o.memory_usage_mb = Some(lognormal(rng, 64.0, cov));
            o.cpu_usage_percent = Some(lognormal(rng, 20.0, cov));
            o
        })
        .collect();
    record(id, ops)
}

/// A/A (`step` 0) or a step of operation 0, at run-to-run noise `cov`.
pub fn eval_two_runs(cfg: &TwoRunConfig, cov: f64, step: f64) -> TwoRunRow {
    let mut rng = SplitMix64::new(cfg.seed ^ (cov.to_bits() >> 3) ^ step.to_bits().rotate_left(11));
    let mut flagged = 0usize;
    let mut mdcs = Vec::new();
    for _ in 0..cfg.trials {
        let levels: Vec<f64> = (0..cfg.operations)
            .map(|_| 2.0 * 20f64.powf(rng.next_f64()))
            .collect();
        let base = run("base", &levels, cov, 0.0, cfg, &mut rng);
        let head = run("head", &levels, cov, step, cfg, &mut rng);
        let c = compare_runs(&base, &head, &cfg.settings);
        let hit = if step == 0.0 {
            c.rows.iter().any(|r| r.verdict == Verdict::Regressed)
        } else {
            [Metric::P50, Metric::P95, Metric::Avg].iter().any(|&m| {
                c.row(TestType::Benchmark, "op00", m)
                    .is_some_and(|r| r.verdict == Verdict::Regressed)
            })
        };
        flagged += usize::from(hit);
        mdcs.extend(
            c.rows
                .iter()
                .filter(|r| r.metric == Metric::P95)
                .filter_map(|r| r.mdc_percent),
        );
    }
    TwoRunRow {
        cov_percent: cov * 100.0,
        step_percent: step * 100.0,
        flagged: flagged as f64 / cfg.trials as f64,
        median_p95_mdc: crate::stats::median(&mdcs),
    }
}

/// The two-run table as Markdown.
pub fn markdown_table(rows: &[TwoRunRow], cfg: &TwoRunConfig) -> String {
    let mut out = format!(
        "Two runs (`perfgate compare`; {} pairs per cell, {} operations × {} requests, within-run σ {}, seed {})\n\n\
         | run-to-run CoV | step of one operation | pairs flagged | median p95 minimum detectable change |\n\
         | ---: | ---: | ---: | ---: |\n",
        cfg.trials, cfg.operations, cfg.requests, cfg.within_sigma, cfg.seed
    );
    for r in rows {
        out.push_str(&format!(
            "| {}% | {} | {:.1}% | {} |\n",
            r.cov_percent,
            if r.step_percent == 0.0 {
                "none (A/A: any row)".to_string()
            } else {
                format!("+{}% (that operation)", r.step_percent)
            },
            r.flagged * 100.0,
            r.median_p95_mdc
                .map(|m| format!("{m:.0}%"))
                .unwrap_or_else(|| "—".into())
        ));
    }
    out
}

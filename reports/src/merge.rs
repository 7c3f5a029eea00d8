//! Merging the shards of a sharded run into one run record, losslessly.
//!
//! A project that outgrows one machine runs `perfgate run --shard i/N` on N machines (a GitHub Actions
//! matrix); each shard generates its share of the load and writes a record with `shard: {index, total}`.
//! [`merge_shards`] turns them into the record one machine would have written for the whole load:
//! - per operation, counts and error kinds are **summed** and the HDR **histograms added**, and every
//!   latency statistic (min … p999, mean, stddev) is **recomputed from the merged histogram** — so p99 of the
//!   merged run is the p99 of all requests, not an average of p99s; throughputs are summed (the shards ran at
//!   the same time);
//! - load timelines are aligned by second since the phase started (requests, errors, rps and users summed;
//!   the per-second percentiles, which have no histogram, are request-weighted means and flagged as such);
//! - stress steps are matched by position, their concurrency summed; the breaking point is the first step at
//!   which any shard stopped;
//! - shards of different configurations (`config_digest`), suites, test types or commits are refused: they
//!   are not parts of one run. Shards from machines with different fingerprints are merged with a warning.
//!
//! The analysis section is dropped (it judged one shard); analyse the merged record again.

use std::collections::{BTreeMap, BTreeSet};

use crate::histogram::{round3, LatencyHistogram};
use crate::record::{
    BenchmarkSection, BreakingPoint, LatencyMs, LoadSection, OperationResult, ProcessUsage,
    RunRecord, Shard, StressSection, StressStep, SystemSummary, TargetInfo, TimelinePoint,
};

/// Why shards could not be merged. Messages name the files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: give the shard files (perfgate merge shard-*.json -o run.json)")]
    Empty,
    #[error("{path} is not a shard (it has no \"shard\" field); only records of `perfgate run --shard i/N` merge")]
    NotAShard { path: String },
    #[error("{0}")]
    Mismatch(Box<Mismatch>),
    #[error("{path} and {other} are both shard {index}/{total}")]
    DuplicateShard {
        path: String,
        other: String,
        index: u32,
        total: u32,
    },
    #[error("shard(s) {missing} of {total} are missing; pass every shard, or allow a partial merge (--allow-partial)")]
    MissingShards { missing: String, total: u32 },
}

/// Two shards that disagree on something that must be equal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{path} has {field} \"{found}\" but {first_path} has \"{expected}\": shards of different {what} are not \
     parts of one run"
)]
pub struct Mismatch {
    pub path: String,
    pub first_path: String,
    pub field: &'static str,
    pub what: &'static str,
    pub expected: String,
    pub found: String,
}

/// Options of a merge.
#[derive(Clone, Debug, Default)]
pub struct MergeOptions {
    /// Merge even when some shards are missing (a failed matrix job); the record says which.
    pub allow_partial: bool,
    /// Run id of the merged record; default: the shards' common run id, or the first shard's id + `-merged`.
    pub run_id: Option<String>,
}

/// Merges shard records (each with the file it came from, for messages). See the module documentation.
pub fn merge_shards(
    shards: &[(String, RunRecord)],
    opts: &MergeOptions,
) -> Result<RunRecord, MergeError> {
    let mut sorted: Vec<(&String, &RunRecord, Shard)> = Vec::with_capacity(shards.len());
    for (path, rec) in shards {
        let shard = rec
            .shard
            .ok_or_else(|| MergeError::NotAShard { path: path.clone() })?;
        sorted.push((path, rec, shard));
    }
    sorted.sort_by_key(|(_, _, s)| s.index);
    let Some(&(first_path, first, first_shard)) = sorted.first() else {
        return Err(MergeError::Empty);
    };
    check_same(&sorted, first_path, first)?;
    let total = first_shard.total;
    let mut seen: BTreeMap<u32, &String> = BTreeMap::new();
    for (path, _, s) in &sorted {
        if let Some(other) = seen.insert(s.index, path) {
            return Err(MergeError::DuplicateShard {
                path: (*path).clone(),
                other: other.clone(),
                index: s.index,
                total,
            });
        }
    }
    let missing: Vec<String> = (1..=total)
        .filter(|i| !seen.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    let mut warnings = Vec::new();
    if !missing.is_empty() {
        if !opts.allow_partial {
            return Err(MergeError::MissingShards {
                missing: missing.join(", "),
                total,
            });
        }
        warnings.push(format!(
            "partial merge: shard(s) {} of {total} are missing; the load was {} of {total} of the configured load",
            missing.join(", "),
            sorted.len()
        ));
    }
    let fingerprints: BTreeSet<&str> = sorted
        .iter()
        .map(|(_, r, _)| r.environment.fingerprint.as_str())
        .collect();
    if fingerprints.len() > 1 {
        warnings.push(format!(
            "shards ran on {} different kinds of machine (fingerprints {}); the record keeps shard {}'s",
            fingerprints.len(),
            fingerprints.into_iter().collect::<Vec<_>>().join(", "),
            first_shard.index
        ));
    }
    for (_, rec, s) in &sorted {
        for w in &rec.warnings {
            warnings.push(format!("shard {}/{}: {w}", s.index, s.total));
        }
    }

    let recs: Vec<&RunRecord> = sorted.iter().map(|(_, r, _)| *r).collect();
    let mut merged = first.clone();
    merged.run_id = opts.run_id.clone().unwrap_or_else(|| {
        if recs.iter().all(|r| r.run_id == first.run_id) {
            first.run_id.clone()
        } else {
            format!("{}-merged", first.run_id)
        }
    });
    merged.shard = None;
    merged.started_at = recs
        .iter()
        .map(|r| r.started_at)
        .min()
        .unwrap_or(first.started_at);
    merged.finished_at = recs
        .iter()
        .map(|r| r.finished_at)
        .max()
        .unwrap_or(first.finished_at);
    merged.analysis = None;
    merged.system = merge_system(recs.iter().map(|r| &r.system));
    merged.targets = merge_targets(&recs);
    merged.benchmark = merge_benchmark(&recs, &mut warnings);
    merged.load = merge_load(&recs, &mut warnings);
    merged.stress = merge_stress(&recs, &mut warnings);
    merged.warnings = warnings;
    Ok(merged)
}

fn check_same(
    sorted: &[(&String, &RunRecord, Shard)],
    first_path: &str,
    first: &RunRecord,
) -> Result<(), MergeError> {
    type Getter = fn(&RunRecord) -> String;
    let checks: [(&'static str, &'static str, Getter); 5] = [
        ("config_digest", "configurations", |r| {
            r.config_digest.clone()
        }),
        ("suite", "suites", |r| r.suite.clone()),
        ("test_type", "test types", |r| r.test_type.clone()),
        ("git.sha", "commits", |r| {
            r.git.sha.clone().unwrap_or_default()
        }),
        ("shard total", "shard counts", |r| {
            r.shard.map(|s| s.total.to_string()).unwrap_or_default()
        }),
    ];
    for (path, rec, _) in sorted {
        for (field, what, get) in &checks {
            let (expected, found) = (get(first), get(rec));
            if expected != found {
                return Err(MergeError::Mismatch(Box::new(Mismatch {
                    path: (*path).clone(),
                    first_path: first_path.to_string(),
                    field,
                    what,
                    expected,
                    found,
                })));
            }
        }
    }
    Ok(())
}

/// Combines the interleaved trials of one side of an A/B run (`[baseline]`) into the sections one run of
/// that side would have written. Unlike shards, trials ran one after another on the same machine: counts and
/// histograms add up as for shards, but a throughput is the mean of the trials' throughputs (not their sum),
/// the load's users and target rate are one trial's, its duration is the sum, and the timelines are laid end
/// to end.
pub fn merge_trials(
    trials: &[&RunRecord],
    warnings: &mut Vec<String>,
) -> (Option<BenchmarkSection>, Option<LoadSection>) {
    let mean_rps = |ops: &mut [OperationResult], parts: &[&[OperationResult]]| {
        for op in ops.iter_mut() {
            let rates: Vec<f64> = parts
                .iter()
                .filter_map(|list| list.iter().find(|o| o.operation_name == op.operation_name))
                .map(|o| o.throughput_rps)
                .collect();
            if !rates.is_empty() {
                op.throughput_rps = round3(rates.iter().sum::<f64>() / rates.len() as f64);
            }
        }
    };
    let mut benchmark = merge_benchmark(trials, warnings);
    if let Some(b) = benchmark.as_mut() {
        let parts: Vec<&[OperationResult]> = trials
            .iter()
            .filter_map(|r| r.benchmark.as_ref())
            .map(|b| b.operations.as_slice())
            .collect();
        mean_rps(&mut b.operations, &parts);
    }
    let mut load = merge_load(trials, warnings);
    if let Some(l) = load.as_mut() {
        let sections: Vec<&LoadSection> = trials.iter().filter_map(|r| r.load.as_ref()).collect();
        let parts: Vec<&[OperationResult]> =
            sections.iter().map(|s| s.operations.as_slice()).collect();
        mean_rps(&mut l.operations, &parts);
        let overall: Vec<&[OperationResult]> = sections
            .iter()
            .map(|s| std::slice::from_ref(&s.overall))
            .collect();
        mean_rps(std::slice::from_mut(&mut l.overall), &overall);
        if let Some(first) = sections.first() {
            l.concurrent_users = first.concurrent_users;
            l.target_rps = first.target_rps;
        }
        l.duration_seconds = round3(sections.iter().map(|s| s.duration_seconds).sum());
        let mut timeline = Vec::new();
        let mut offset = 0;
        for s in &sections {
            timeline.extend(s.timeline.iter().map(|p| TimelinePoint {
                second: p.second + offset,
                ..p.clone()
            }));
            offset += s.timeline.iter().map(|p| p.second + 1).max().unwrap_or(0);
        }
        l.timeline = timeline;
    }
    (benchmark, load)
}

/// Merges the results of one operation from several shards.
pub fn merge_operation(parts: &[&OperationResult], warnings: &mut Vec<String>) -> OperationResult {
    let Some(first) = parts.first() else {
        return OperationResult::default();
    };
    let total: u64 = parts.iter().map(|o| o.total_requests).sum();
    let successful: u64 = parts.iter().map(|o| o.successful_requests).sum();
    let failed: u64 = parts.iter().map(|o| o.failed_requests).sum();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for o in parts {
        for (k, v) in &o.errors {
            *errors.entry(k.clone()).or_default() += v;
        }
    }
    let mut samples: Vec<String> = Vec::new();
    for s in parts.iter().flat_map(|o| o.error_samples.iter()) {
        if samples.len() < 10 && !samples.contains(s) {
            samples.push(s.clone());
        }
    }
    let all_have_histograms = parts.iter().all(|o| o.histogram.is_some());
    let (histogram, latency_ms) = if all_have_histograms {
        let mut h = LatencyHistogram::new();
        for o in parts {
            if let Some(oh) = &o.histogram {
                h.merge(oh);
            }
        }
        let summary = if h.is_empty() {
            LatencyMs::default()
        } else {
            h.summary()
        };
        (Some(h), summary)
    } else {
        warnings.push(format!(
            "operation {}: a shard has no histogram, so its merged percentiles are request-weighted means \
             (approximate)",
            first.operation_name
        ));
        let summaries: Vec<(&LatencyMs, u64)> = parts
            .iter()
            .map(|o| (&o.latency_ms, o.total_requests))
            .collect();
        (None, weighted_latency(&summaries))
    };
    let weights: Vec<f64> = parts.iter().map(|o| o.total_requests as f64).collect();
    OperationResult {
        operation_name: first.operation_name.clone(),
        total_requests: total,
        successful_requests: successful,
        failed_requests: failed,
        latency_ms,
        throughput_rps: round3(parts.iter().map(|o| o.throughput_rps).sum()),
        success_rate_percent: if total == 0 {
            0.0
        } else {
            round3(successful as f64 * 100.0 / total as f64)
        },
        // Each shard measured its own machine (or its own copy of the target): the worst one is shown.
        memory_usage_mb: parts
            .iter()
            .filter_map(|o| o.memory_usage_mb)
            .reduce(f64::max),
        cpu_usage_percent: parts
            .iter()
            .filter_map(|o| o.cpu_usage_percent)
            .reduce(f64::max),
        resource_source: first.resource_source.clone(),
        memory_delta_mb: parts
            .iter()
            .filter_map(|o| o.memory_delta_mb)
            .reduce(f64::max),
        cpu_delta_percent: parts
            .iter()
            .filter_map(|o| o.cpu_delta_percent)
            .reduce(f64::max),
        errors,
        error_samples: samples,
        duration_seconds: parts.iter().map(|o| o.duration_seconds).fold(0.0, f64::max),
        spawn_overhead_ms: weighted_opt(parts.iter().map(|o| o.spawn_overhead_ms), &weights),
        histogram,
        // Per-op figures (bytes, allocations): the request-weighted mean over the parts that have them.
        extra_metrics: parts
            .iter()
            .flat_map(|o| o.extra_metrics.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|k| {
                let v = weighted_opt(
                    parts.iter().map(|o| o.extra_metrics.get(k).copied()),
                    &weights,
                )?;
                Some((k.clone(), v))
            })
            .collect(),
    }
}

/// Request-weighted means of latency summaries (`(summary, requests)`), for parts without histograms; min
/// and max are the extremes of the parts that had requests.
fn weighted_latency(parts: &[(&LatencyMs, u64)]) -> LatencyMs {
    let w: Vec<f64> = parts.iter().map(|(_, n)| *n as f64).collect();
    let mean = |f: fn(&LatencyMs) -> f64| {
        weighted(parts.iter().map(|(l, _)| f(l)), &w).map_or(0.0, round3)
    };
    LatencyMs {
        min: parts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(l, _)| l.min)
            .reduce(f64::min)
            .unwrap_or(0.0),
        max: parts.iter().map(|(l, _)| l.max).fold(0.0, f64::max),
        p50: mean(|l| l.p50),
        p90: mean(|l| l.p90),
        p95: mean(|l| l.p95),
        p99: mean(|l| l.p99),
        p999: mean(|l| l.p999),
        avg: mean(|l| l.avg),
        stddev: mean(|l| l.stddev),
    }
}

fn weighted(values: impl Iterator<Item = f64>, weights: &[f64]) -> Option<f64> {
    let (mut sum, mut wsum) = (0.0, 0.0);
    for (v, w) in values.zip(weights) {
        if v.is_finite() && *w > 0.0 {
            sum += v * w;
            wsum += w;
        }
    }
    (wsum > 0.0).then(|| sum / wsum)
}

fn weighted_opt(values: impl Iterator<Item = Option<f64>>, weights: &[f64]) -> Option<f64> {
    let vals: Vec<Option<f64>> = values.collect();
    if vals.iter().all(Option::is_none) {
        return None;
    }
    weighted(vals.iter().map(|v| v.unwrap_or(f64::NAN)), weights).map(round3)
}

/// Merges operations matched by name, in the order they first appear.
fn merge_operation_lists<'a>(
    lists: impl Iterator<Item = &'a [OperationResult]>,
    warnings: &mut Vec<String>,
) -> Vec<OperationResult> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_name: BTreeMap<&str, Vec<&OperationResult>> = BTreeMap::new();
    for list in lists {
        for op in list {
            if !by_name.contains_key(op.operation_name.as_str()) {
                order.push(&op.operation_name);
            }
            by_name.entry(&op.operation_name).or_default().push(op);
        }
    }
    order
        .into_iter()
        .map(|name| merge_operation(&by_name[name], warnings))
        .collect()
}

fn merge_benchmark(recs: &[&RunRecord], warnings: &mut Vec<String>) -> Option<BenchmarkSection> {
    let parts: Vec<&BenchmarkSection> = recs.iter().filter_map(|r| r.benchmark.as_ref()).collect();
    let first = parts.first()?;
    Some(BenchmarkSection {
        iterations: parts.iter().map(|b| b.iterations).sum(),
        warmup_iterations: first.warmup_iterations,
        operations: merge_operation_lists(parts.iter().map(|b| b.operations.as_slice()), warnings),
        system: merge_system(parts.iter().map(|b| &b.system)),
    })
}

fn merge_load(recs: &[&RunRecord], warnings: &mut Vec<String>) -> Option<LoadSection> {
    let parts: Vec<&LoadSection> = recs.iter().filter_map(|r| r.load.as_ref()).collect();
    let first = parts.first()?;
    let overall_parts: Vec<&OperationResult> = parts.iter().map(|l| &l.overall).collect();
    let target_rps = parts
        .iter()
        .map(|l| l.target_rps)
        .try_fold(0.0, |acc, t| t.map(|t| acc + t));
    Some(LoadSection {
        model: first.model.clone(),
        duration_seconds: parts.iter().map(|l| l.duration_seconds).fold(0.0, f64::max),
        concurrent_users: parts.iter().map(|l| l.concurrent_users).sum(),
        ramp_up_seconds: parts.iter().map(|l| l.ramp_up_seconds).fold(0.0, f64::max),
        target_rps,
        late_starts: parts.iter().map(|l| l.late_starts).sum(),
        dropped_starts: parts.iter().map(|l| l.dropped_starts).sum(),
        overall: merge_operation(&overall_parts, warnings),
        operations: merge_operation_lists(parts.iter().map(|l| l.operations.as_slice()), warnings),
        timeline: merge_timelines(parts.iter().map(|l| l.timeline.as_slice())),
        system: merge_system(parts.iter().map(|l| &l.system)),
    })
}

/// Aligns timelines by second since the phase started and adds them up.
pub fn merge_timelines<'a>(
    timelines: impl Iterator<Item = &'a [TimelinePoint]>,
) -> Vec<TimelinePoint> {
    let mut by_second: BTreeMap<u32, Vec<&TimelinePoint>> = BTreeMap::new();
    for t in timelines {
        for p in t {
            by_second.entry(p.second).or_default().push(p);
        }
    }
    by_second
        .into_iter()
        .map(|(second, points)| {
            let w: Vec<f64> = points.iter().map(|p| p.requests as f64).collect();
            let pct = |f: fn(&TimelinePoint) -> f64| {
                weighted(points.iter().map(|p| f(p)), &w).map_or(0.0, round3)
            };
            let opt_max = |f: fn(&TimelinePoint) -> Option<f64>| {
                points.iter().filter_map(|p| f(p)).reduce(f64::max)
            };
            TimelinePoint {
                second,
                requests: points.iter().map(|p| p.requests).sum(),
                errors: points.iter().map(|p| p.errors).sum(),
                rps: round3(points.iter().map(|p| p.rps).sum()),
                p50_ms: pct(|p| p.p50_ms),
                p95_ms: pct(|p| p.p95_ms),
                p99_ms: pct(|p| p.p99_ms),
                active_users: points.iter().map(|p| p.active_users).sum(),
                memory_mb: opt_max(|p| p.memory_mb),
                cpu_percent: opt_max(|p| p.cpu_percent),
                runner_memory_mb: opt_max(|p| p.runner_memory_mb),
                runner_cpu_percent: opt_max(|p| p.runner_cpu_percent),
                disk_read_bytes_per_sec: opt_max(|p| p.disk_read_bytes_per_sec),
                disk_written_bytes_per_sec: opt_max(|p| p.disk_written_bytes_per_sec),
                net_received_bytes_per_sec: opt_max(|p| p.net_received_bytes_per_sec),
                net_sent_bytes_per_sec: opt_max(|p| p.net_sent_bytes_per_sec),
            }
        })
        .collect()
}

fn merge_stress(recs: &[&RunRecord], warnings: &mut Vec<String>) -> Option<StressSection> {
    let parts: Vec<&StressSection> = recs.iter().filter_map(|r| r.stress.as_ref()).collect();
    parts.first()?;
    let common = parts.iter().map(|s| s.steps.len()).min().unwrap_or(0);
    if parts.iter().any(|s| s.steps.len() != common) {
        warnings.push(format!(
            "stress: shards stopped after different numbers of steps; the merged test keeps the {common} steps \
             every shard ran"
        ));
    }
    let mut steps = Vec::with_capacity(common);
    for i in 0..common {
        let at: Vec<&StressStep> = parts.iter().map(|s| &s.steps[i]).collect();
        let operations =
            merge_operation_lists(at.iter().map(|s| s.operations.as_slice()), warnings);
        let total: u64 = at.iter().map(|s| s.total_requests).sum();
        let failed: u64 = operations.iter().map(|o| o.failed_requests).sum();
        let latency_ms = step_latency(&operations).unwrap_or_else(|| {
            let summaries: Vec<(&LatencyMs, u64)> = at
                .iter()
                .map(|s| (&s.latency_ms, s.total_requests))
                .collect();
            weighted_latency(&summaries)
        });
        steps.push(StressStep {
            concurrency: at.iter().map(|s| s.concurrency).sum(),
            duration_seconds: at.iter().map(|s| s.duration_seconds).fold(0.0, f64::max),
            total_requests: total,
            throughput_rps: round3(at.iter().map(|s| s.throughput_rps).sum()),
            error_rate_percent: if total == 0 {
                0.0
            } else {
                round3(failed as f64 * 100.0 / total as f64)
            },
            latency_ms,
            operations,
            stop_reason: at.iter().find_map(|s| s.stop_reason.clone()),
        });
    }
    let broke_at = steps.iter().position(|s| s.stop_reason.is_some());
    let breaking_point = broke_at.map(|i| BreakingPoint {
        concurrency: steps[i].concurrency,
        reason: steps[i].stop_reason.clone().unwrap_or_default(),
    });
    let last_good = match broke_at {
        Some(0) => None,
        Some(i) => Some(steps[i - 1].concurrency),
        None => steps.last().map(|s| s.concurrency),
    };
    let conclusion = match (&breaking_point, steps.last()) {
        (Some(b), _) => format!("breaking point at {} users: {}", b.concurrency, b.reason),
        (None, Some(s)) => format!("no breaking point found up to {} users", s.concurrency),
        (None, None) => "no stress step ran".to_string(),
    };
    Some(StressSection {
        steps,
        last_good_concurrency: last_good,
        breaking_point,
        conclusion,
        system: merge_system(parts.iter().map(|s| &s.system)),
        // The merged steps have no single think time to fit with; the fit belongs to one run's steps.
        capacity: None,
    })
}

/// Latency of a whole step from its operations' merged histograms, when every one has a histogram.
fn step_latency(ops: &[OperationResult]) -> Option<LatencyMs> {
    let mut h = LatencyHistogram::new();
    for o in ops {
        h.merge(o.histogram.as_ref()?);
    }
    (!h.is_empty()).then(|| h.summary())
}

fn merge_process<'a>(parts: impl Iterator<Item = &'a ProcessUsage>) -> Option<ProcessUsage> {
    let parts: Vec<&ProcessUsage> = parts.collect();
    let first = parts.first()?;
    let max = |f: fn(&ProcessUsage) -> f64| parts.iter().map(|p| f(p)).fold(0.0, f64::max);
    Some(ProcessUsage {
        pid: first.pid,
        cpu_avg_percent: max(|p| p.cpu_avg_percent),
        cpu_max_percent: max(|p| p.cpu_max_percent),
        rss_avg_mb: max(|p| p.rss_avg_mb),
        rss_max_mb: max(|p| p.rss_max_mb),
        rss_start_mb: first.rss_start_mb,
        rss_end_mb: max(|p| p.rss_end_mb),
        pids: first.pids.clone(),
        disk_read_bytes_per_sec: first.disk_read_bytes_per_sec,
        disk_written_bytes_per_sec: first.disk_written_bytes_per_sec,
        net_received_bytes_per_sec: first.net_received_bytes_per_sec,
        net_sent_bytes_per_sec: first.net_sent_bytes_per_sec,
        exited: parts.iter().find_map(|p| p.exited.clone()),
    })
}

/// Resource usage of several machines: the busiest machine's numbers (each shard had its own).
fn merge_system<'a>(parts: impl Iterator<Item = &'a SystemSummary>) -> SystemSummary {
    let parts: Vec<&SystemSummary> = parts.collect();
    SystemSummary {
        runner: merge_process(parts.iter().filter_map(|s| s.runner.as_ref())),
        target: merge_process(parts.iter().filter_map(|s| s.target.as_ref())),
        host_cpu_percent: parts
            .iter()
            .filter_map(|s| s.host_cpu_percent)
            .reduce(f64::max),
        runner_saturated: parts.iter().any(|s| s.runner_saturated),
    }
}

fn merge_targets(recs: &[&RunRecord]) -> Vec<TargetInfo> {
    let mut out: Vec<TargetInfo> = Vec::new();
    for t in recs.iter().flat_map(|r| r.targets.iter()) {
        if !out.iter().any(|o| o.name == t.name) {
            out.push(t.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_fixtures::record_at;

    /// Deterministic latencies in µs with a long tail.
    fn latencies(n: u64) -> Vec<u64> {
        (0..n)
            .map(|i| {
                let x = (i * 7919) % 10_000;
                if x < 9_800 {
                    800 + x * 3
                } else {
                    40_000 + (x - 9_800) * 9_000
                }
            })
            .collect()
    }

    /// An operation result over `values` (every 50th one failed), as the engine would write it.
    fn op_over(name: &str, values: &[u64], seconds: f64) -> OperationResult {
        let mut h = LatencyHistogram::new();
        for v in values {
            h.record_us(*v);
        }
        let total = values.len() as u64;
        let failed = total / 50;
        OperationResult {
            operation_name: name.into(),
            total_requests: total,
            successful_requests: total - failed,
            failed_requests: failed,
            latency_ms: h.summary(),
            throughput_rps: round3(total as f64 / seconds),
            success_rate_percent: round3((total - failed) as f64 * 100.0 / total as f64),
            memory_usage_mb: Some(50.0),
            cpu_usage_percent: Some(20.0),
            errors: [("http_5xx".to_string(), failed)].into_iter().collect(),
            duration_seconds: seconds,
            histogram: Some(h),
            ..Default::default()
        }
    }

    fn load_record(id: &str, ops: Vec<OperationResult>, shard: Option<Shard>) -> RunRecord {
        let mut r = record_at(id, "2026-11-01T10:00:00Z", "main", "fp");
        let overall = {
            let mut w = Vec::new();
            merge_operation(&ops.iter().collect::<Vec<_>>(), &mut w)
        };
        r.test_type = "load".into();
        r.shard = shard;
        r.load = Some(LoadSection {
            model: "closed".into(),
            duration_seconds: 60.0,
            concurrent_users: 10,
            overall: OperationResult {
                operation_name: "overall".into(),
                ..overall
            },
            operations: ops,
            timeline: (0..3)
                .map(|s| TimelinePoint {
                    second: s,
                    requests: 100,
                    errors: 1,
                    rps: 100.0,
                    p50_ms: 1.0 + f64::from(s),
                    p95_ms: 5.0,
                    p99_ms: 9.0,
                    active_users: 10,
                    memory_mb: Some(40.0 + f64::from(s)),
                    cpu_percent: None,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        });
        r
    }

    #[test]
    fn four_shards_equal_one_run_over_the_same_requests() {
        let search = latencies(20_000);
        let resolve: Vec<u64> = latencies(8_000).iter().map(|v| v * 3).collect();
        let whole = load_record(
            "whole",
            vec![
                op_over("search", &search, 60.0),
                op_over("resolve", &resolve, 60.0),
            ],
            None,
        );
        // Deal the same requests to 4 shards, round-robin.
        let shards: Vec<(String, RunRecord)> = (0..4u32)
            .map(|k| {
                let part = |v: &[u64]| -> Vec<u64> {
                    v.iter().skip(k as usize).step_by(4).copied().collect()
                };
                let rec = load_record(
                    "run-42",
                    vec![
                        op_over("search", &part(&search), 60.0),
                        op_over("resolve", &part(&resolve), 60.0),
                    ],
                    Some(Shard {
                        index: k + 1,
                        total: 4,
                    }),
                );
                (format!("shard-{}.json", k + 1), rec)
            })
            .collect();
        let merged = merge_shards(&shards, &MergeOptions::default()).expect("merges");
        assert_eq!(merged.run_id, "run-42");
        assert_eq!(merged.shard, None);
        let (m, w) = (
            merged.load.as_ref().expect("load"),
            whole.load.as_ref().expect("load"),
        );
        for (mo, wo) in m
            .operations
            .iter()
            .zip(&w.operations)
            .chain([(&m.overall, &w.overall)])
        {
            assert_eq!(mo.operation_name, wo.operation_name);
            assert_eq!(mo.total_requests, wo.total_requests);
            assert_eq!(mo.failed_requests, wo.failed_requests);
            assert_eq!(mo.errors, wo.errors);
            assert_eq!(
                mo.histogram, wo.histogram,
                "{}: same histogram",
                mo.operation_name
            );
            assert_eq!(mo.latency_ms.p50, wo.latency_ms.p50);
            assert_eq!(mo.latency_ms.p95, wo.latency_ms.p95);
            assert_eq!(mo.latency_ms.p99, wo.latency_ms.p99);
            assert_eq!(mo.latency_ms.p999, wo.latency_ms.p999);
            assert_eq!(
                (mo.latency_ms.min, mo.latency_ms.max),
                (wo.latency_ms.min, wo.latency_ms.max)
            );
            assert!((mo.latency_ms.avg - wo.latency_ms.avg).abs() <= 0.001);
            assert!((mo.throughput_rps - wo.throughput_rps).abs() < 0.01);
        }
        assert_eq!(m.concurrent_users, 40);
        // Timelines aligned by second: 4 × 100 requests per second.
        assert_eq!(m.timeline.len(), 3);
        assert_eq!(m.timeline[2].requests, 400);
        assert_eq!(m.timeline[2].active_users, 40);
        assert_eq!(m.timeline[2].p50_ms, 3.0);
        assert_eq!(m.timeline[2].memory_mb, Some(42.0));
        assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
    }

    #[test]
    fn error_counts_add_up_per_kind() {
        let mut a = op_over("x", &latencies(100), 10.0);
        let mut b = op_over("x", &latencies(300), 10.0);
        a.errors = [("timeout".to_string(), 2)].into_iter().collect();
        b.errors = [("timeout".to_string(), 3), ("connect".to_string(), 1)]
            .into_iter()
            .collect();
        a.error_samples = vec!["timed out".into()];
        b.error_samples = vec!["timed out".into(), "refused".into()];
        let m = merge_operation(&[&a, &b], &mut Vec::new());
        assert_eq!(m.errors["timeout"], 5);
        assert_eq!(m.errors["connect"], 1);
        assert_eq!(m.error_samples, ["timed out", "refused"]);
        assert_eq!(m.total_requests, 400);
        assert_eq!(m.failed_requests, 2 + 6);
    }

    #[test]
    fn trials_add_requests_but_average_throughput_and_lay_timelines_end_to_end() {
        let all = latencies(3_000);
        let trials: Vec<RunRecord> = all
            .chunks(1_000)
            .map(|c| load_record("t", vec![op_over("search", c, 10.0)], None))
            .collect();
        let refs: Vec<&RunRecord> = trials.iter().collect();
        let (benchmark, load) = merge_trials(&refs, &mut Vec::new());
        assert!(benchmark.is_none());
        let load = load.expect("load section");
        let op = &load.operations[0];
        assert_eq!(op.total_requests, 3_000);
        // One trial's rate, not three trials' summed (they ran one after another).
        assert_eq!(
            op.throughput_rps,
            trials[0].load.as_ref().unwrap().operations[0].throughput_rps
        );
        assert_eq!(load.overall.total_requests, 3_000);
        assert_eq!(load.concurrent_users, 10);
        assert_eq!(load.duration_seconds, 180.0);
        // Percentiles of all requests, from the added histograms.
        let whole = op_over("search", &all, 30.0);
        assert_eq!(op.latency_ms.p99, whole.latency_ms.p99);
        let seconds: Vec<u32> = load.timeline.iter().map(|p| p.second).collect();
        assert_eq!(seconds, (0..9).collect::<Vec<_>>());
    }

    fn shard(i: u32, n: u32) -> RunRecord {
        load_record(
            "r",
            vec![op_over("search", &latencies(100), 10.0)],
            Some(Shard { index: i, total: n }),
        )
    }

    #[test]
    fn shards_of_different_configs_are_refused_naming_both_files() {
        let a = shard(1, 2);
        let mut b = shard(2, 2);
        b.config_digest = "other-config".into();
        let err = merge_shards(
            &[("a.json".into(), a), ("b.json".into(), b)],
            &MergeOptions::default(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("b.json") && msg.contains("a.json") && msg.contains("config_digest"),
            "{msg}"
        );
        assert!(
            msg.contains("other-config") && msg.contains("configurations"),
            "{msg}"
        );
    }

    #[test]
    fn other_refusals_name_the_problem() {
        let mut c = shard(2, 2);
        c.git.sha = Some("different".into());
        let err = merge_shards(
            &[("1".into(), shard(1, 2)), ("2".into(), c)],
            &MergeOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("commits"), "{err}");

        let err = merge_shards(
            &[("1".into(), shard(1, 2)), ("1b".into(), shard(1, 2))],
            &MergeOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, MergeError::DuplicateShard { .. }), "{err}");

        let mut plain = shard(1, 2);
        plain.shard = None;
        let err = merge_shards(&[("p.json".into(), plain)], &MergeOptions::default()).unwrap_err();
        assert!(
            err.to_string().starts_with("p.json is not a shard"),
            "{err}"
        );

        assert_eq!(
            merge_shards(&[], &MergeOptions::default()).unwrap_err(),
            MergeError::Empty
        );
    }

    #[test]
    fn missing_shards_are_refused_unless_partial_is_allowed() {
        let parts = vec![
            ("1".to_string(), shard(1, 3)),
            ("3".to_string(), shard(3, 3)),
        ];
        let err = merge_shards(&parts, &MergeOptions::default()).unwrap_err();
        assert!(
            err.to_string().starts_with("shard(s) 2 of 3 are missing"),
            "{err}"
        );
        let merged = merge_shards(
            &parts,
            &MergeOptions {
                allow_partial: true,
                run_id: Some("custom".into()),
            },
        )
        .expect("partial merge");
        assert_eq!(merged.run_id, "custom");
        assert!(
            merged.warnings[0].starts_with("partial merge: shard(s) 2 of 3"),
            "{:?}",
            merged.warnings
        );
    }

    #[test]
    fn stress_steps_sum_concurrency_and_find_the_breaking_point() {
        let step = |c: u32, stop: Option<&str>| StressStep {
            concurrency: c,
            duration_seconds: 10.0,
            total_requests: 100,
            throughput_rps: 10.0,
            operations: vec![op_over("search", &latencies(100), 10.0)],
            stop_reason: stop.map(String::from),
            ..Default::default()
        };
        let mut a = shard(1, 2);
        let mut b = shard(2, 2);
        a.stress = Some(StressSection {
            steps: vec![step(5, None), step(10, None), step(15, None)],
            ..Default::default()
        });
        b.stress = Some(StressSection {
            steps: vec![step(5, None), step(10, Some("p95 over 500 ms"))],
            ..Default::default()
        });
        let merged = merge_shards(
            &[("a".into(), a), ("b".into(), b)],
            &MergeOptions::default(),
        )
        .expect("merge");
        let s = merged.stress.expect("stress");
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[1].concurrency, 20);
        assert_eq!(s.steps[1].total_requests, 200);
        assert_eq!(s.breaking_point.as_ref().map(|b| b.concurrency), Some(20));
        assert_eq!(s.last_good_concurrency, Some(10));
        assert_eq!(s.conclusion, "breaking point at 20 users: p95 over 500 ms");
        assert!(merged
            .warnings
            .iter()
            .any(|w| w.contains("different numbers of steps")));
        // The step latency comes from the merged histograms.
        assert!(s.steps[0].latency_ms.p99 > 0.0);
    }

    #[test]
    fn without_histograms_the_merge_is_approximate_and_says_so() {
        let mut a = op_over("x", &latencies(100), 10.0);
        let mut b = op_over("x", &latencies(300), 10.0);
        a.histogram = None;
        b.histogram = None;
        let mut warnings = Vec::new();
        let m = merge_operation(&[&a, &b], &mut warnings);
        assert!(m.histogram.is_none());
        assert_eq!(warnings.len(), 1);
        let expected = (a.latency_ms.p95 * 100.0 + b.latency_ms.p95 * 300.0) / 400.0;
        assert!((m.latency_ms.p95 - round3(expected)).abs() < 1e-9);
    }
}

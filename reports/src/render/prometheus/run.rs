//! The families of a finished run: the run's identity, then every benchmark, load and stress result.

use std::collections::BTreeMap;

use super::families::{empty_families, RUN_INFO, RUN_TIMESTAMP};
use super::text::{encode, Family, MetricKind};
use crate::histogram::LatencyHistogram;
use crate::record::{LatencyMs, OperationResult, RunRecord, TestType};

/// The `operation` label of a load test's whole mix (`load.overall` in the record).
pub const ALL_OPERATIONS: &str = "all";

/// Every family of a finished run. `const_labels` are added to every sample (the textfile passes `suite`;
/// a Pushgateway push passes none, because its grouping key labels every series and pushed metrics must not
/// repeat them).
pub fn run_families(record: &RunRecord, const_labels: &[(&'static str, String)]) -> Vec<Family> {
    let mut info = Family::new(
        RUN_INFO,
        MetricKind::Gauge,
        "The run these metrics come from (always 1): join on it to show the commit or run id.",
    );
    let mut labels = vec![
        ("run_id", record.run_id.clone()),
        ("test_type", record.test_type.clone()),
        ("commit", record.git.sha.clone().unwrap_or_default()),
        ("branch", record.git.branch.clone().unwrap_or_default()),
        ("version", record.environment.perfgate_version.clone()),
    ];
    labels.extend(const_labels.iter().cloned());
    info.push(labels, 1.0);
    let mut stamp = Family::new(
        RUN_TIMESTAMP,
        MetricKind::Gauge,
        "When the run finished, in seconds since the Unix epoch.",
    );
    stamp.push(
        const_labels.to_vec(),
        record.finished_at.timestamp_millis() as f64 / 1000.0,
    );

    let mut fam = empty_families();
    if let Some(b) = &record.benchmark {
        for op in &b.operations {
            fam.add_operation(TestType::Benchmark.as_str(), op, const_labels);
        }
        fam.add_system(TestType::Benchmark.as_str(), &b.system, const_labels);
    }
    if let Some(l) = &record.load {
        for op in &l.operations {
            fam.add_operation(TestType::Load.as_str(), op, const_labels);
        }
        // The whole mix's percentiles cannot be derived from the operations' ones; its requests and
        // duration can, so only its latency is exposed.
        if l.operations.len() > 1 {
            fam.add_latency(
                TestType::Load.as_str(),
                ALL_OPERATIONS,
                &l.overall.latency_ms,
                const_labels,
            );
        }
        fam.add_system(TestType::Load.as_str(), &l.system, const_labels);
    }
    if let Some(s) = &record.stress {
        for op in stress_per_operation(&s.steps) {
            fam.add_operation(TestType::Stress.as_str(), &op, const_labels);
        }
        fam.add_system(TestType::Stress.as_str(), &s.system, const_labels);
    }
    let mut out = vec![info, stamp];
    out.extend(fam.into_vec());
    out
}

/// The text exposition of a finished run (see [`run_families`] for `const_labels`).
pub fn render(record: &RunRecord, const_labels: &[(&'static str, String)]) -> String {
    encode(&run_families(record, const_labels))
}

/// One result per operation over all stress steps: requests and durations add up; latencies come from the
/// merged histograms when every step has one, else the worst step's value of each percentile.
pub fn stress_per_operation(steps: &[crate::record::StressStep]) -> Vec<OperationResult> {
    let mut order: Vec<String> = Vec::new();
    let mut parts: BTreeMap<String, Vec<&OperationResult>> = BTreeMap::new();
    for step in steps {
        for op in &step.operations {
            if !parts.contains_key(&op.operation_name) {
                order.push(op.operation_name.clone());
            }
            parts.entry(op.operation_name.clone()).or_default().push(op);
        }
    }
    order
        .into_iter()
        .filter_map(|name| {
            let list = parts.remove(&name)?;
            let mut r = OperationResult {
                operation_name: name,
                ..Default::default()
            };
            let mut hist = Some(LatencyHistogram::new());
            for op in &list {
                r.total_requests += op.total_requests;
                r.successful_requests += op.successful_requests;
                r.failed_requests += op.failed_requests;
                r.duration_seconds += op.duration_seconds;
                hist = match (hist, &op.histogram) {
                    (Some(mut h), Some(o)) => {
                        h.merge(o);
                        Some(h)
                    }
                    _ => None,
                };
            }
            r.latency_ms = match hist {
                Some(h) if !h.is_empty() => h.summary(),
                _ => worst(&list),
            };
            Some(r)
        })
        .collect()
}

fn worst(list: &[&OperationResult]) -> LatencyMs {
    let mut w = LatencyMs::default();
    for op in list {
        let l = &op.latency_ms;
        w.p50 = w.p50.max(l.p50);
        w.p90 = w.p90.max(l.p90);
        w.p95 = w.p95.max(l.p95);
        w.p99 = w.p99.max(l.p99);
        w.p999 = w.p999.max(l.p999);
        w.max = w.max.max(l.max);
    }
    w
}

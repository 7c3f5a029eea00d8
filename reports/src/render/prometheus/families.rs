//! perfgate's metric names and the per-operation families both a finished run ([`super::run_families`]) and
//! the live `/metrics` page fill, so the two expose the same series.

use super::text::{Family, MetricKind};
use crate::record::{LatencyMs, OperationResult, SystemSummary};

/// `performance_test_duration_seconds{test_type,operation}`: measured wall time of an operation's phase.
pub const DURATION: &str = "performance_test_duration_seconds";
/// `performance_test_requests_total{test_type,operation,status}`: completed requests, `status` = `success` | `error`.
pub const REQUESTS: &str = "performance_test_requests_total";
/// `performance_test_latency_seconds{test_type,operation,percentile}`: `percentile` = `p50` … `p999`, `max`.
pub const LATENCY: &str = "performance_test_latency_seconds";
/// `performance_test_memory_usage_mb{test_type,source}`: peak RSS of the target (or the runner).
pub const MEMORY: &str = "performance_test_memory_usage_mb";
/// `performance_test_cpu_usage_percent{test_type,source}`: average CPU, percent of one core.
pub const CPU: &str = "performance_test_cpu_usage_percent";
/// `performance_test_run_info{run_id,test_type,commit,branch,version}`: always 1.
pub const RUN_INFO: &str = "performance_test_run_info";
/// `performance_test_run_timestamp_seconds`: when the run finished (Unix time).
pub const RUN_TIMESTAMP: &str = "performance_test_run_timestamp_seconds";
/// `performance_test_active_users{test_type}`: virtual users in the last second (live endpoint only).
pub const ACTIVE_USERS: &str = "performance_test_active_users";

/// Empty families of the per-operation and per-test-type metrics, in exposition order.
pub fn empty_families() -> Families {
    Families {
        duration: Family::new(
            DURATION,
            MetricKind::Gauge,
            "Measured wall time of the operation's phase, in seconds.",
        ),
        requests: Family::new(
            REQUESTS,
            MetricKind::Counter,
            "Completed requests by status (success or error).",
        ),
        latency: Family::new(
            LATENCY,
            MetricKind::Gauge,
            "Request latency at a percentile (p50, p90, p95, p99, p999, max), in seconds.",
        ),
        memory: Family::new(
            MEMORY,
            MetricKind::Gauge,
            "Peak resident memory during the test, MB (source: target process, or perfgate itself when the target's pid is unknown).",
        ),
        cpu: Family::new(
            CPU,
            MetricKind::Gauge,
            "Average CPU during the test, percent of one core (source: target process or perfgate).",
        ),
    }
}

/// The per-operation and per-test-type families of a run (or of a run in progress).
#[derive(Clone, Debug, PartialEq)]
pub struct Families {
    pub duration: Family,
    pub requests: Family,
    pub latency: Family,
    pub memory: Family,
    pub cpu: Family,
}

impl Families {
    /// Adds one operation's result: duration, requests by status and the latency percentiles.
    pub fn add_operation(
        &mut self,
        test_type: &str,
        op: &OperationResult,
        const_labels: &[(&'static str, String)],
    ) {
        let mut labels = vec![
            ("test_type", test_type.to_string()),
            ("operation", op.operation_name.clone()),
        ];
        labels.extend(const_labels.iter().cloned());
        self.duration.push(labels, op.duration_seconds);
        self.add_requests(
            test_type,
            &op.operation_name,
            op.successful_requests,
            op.failed_requests,
            const_labels,
        );
        self.add_latency(test_type, &op.operation_name, &op.latency_ms, const_labels);
    }

    /// Adds `performance_test_requests_total` for both statuses (0 included, so ratios never lack a series).
    pub fn add_requests(
        &mut self,
        test_type: &str,
        operation: &str,
        success: u64,
        error: u64,
        const_labels: &[(&'static str, String)],
    ) {
        for (status, n) in [("success", success), ("error", error)] {
            let mut l = vec![
                ("test_type", test_type.to_string()),
                ("operation", operation.to_string()),
                ("status", status.to_string()),
            ];
            l.extend(const_labels.iter().cloned());
            self.requests.push(l, n as f64);
        }
    }

    /// Adds the latency percentiles of a summary (milliseconds in the record, seconds here).
    pub fn add_latency(
        &mut self,
        test_type: &str,
        operation: &str,
        ms: &LatencyMs,
        const_labels: &[(&'static str, String)],
    ) {
        for (p, v) in [
            ("p50", ms.p50),
            ("p90", ms.p90),
            ("p95", ms.p95),
            ("p99", ms.p99),
            ("p999", ms.p999),
            ("max", ms.max),
        ] {
            self.add_percentile(test_type, operation, p, v, const_labels);
        }
    }

    /// Adds one latency percentile given in milliseconds.
    pub fn add_percentile(
        &mut self,
        test_type: &str,
        operation: &str,
        percentile: &str,
        value_ms: f64,
        const_labels: &[(&'static str, String)],
    ) {
        let mut l = vec![
            ("test_type", test_type.to_string()),
            ("operation", operation.to_string()),
            ("percentile", percentile.to_string()),
        ];
        l.extend(const_labels.iter().cloned());
        // Through whole nanoseconds, so that 11.943 ms prints as 0.011943 and not 0.011942999999999999.
        self.latency.push(l, (value_ms * 1e6).round() / 1e9);
    }

    /// Adds memory (MB) and CPU (%) of one test type.
    pub fn add_resources(
        &mut self,
        test_type: &str,
        source: &str,
        memory_mb: Option<f64>,
        cpu_percent: Option<f64>,
        const_labels: &[(&'static str, String)],
    ) {
        let labels = || {
            let mut l = vec![
                ("test_type", test_type.to_string()),
                ("source", source.to_string()),
            ];
            l.extend(const_labels.iter().cloned());
            l
        };
        if let Some(m) = memory_mb {
            self.memory.push(labels(), m);
        }
        if let Some(c) = cpu_percent {
            self.cpu.push(labels(), c);
        }
    }

    /// Adds a section's resource summary: the target's when known, else the runner's.
    pub fn add_system(
        &mut self,
        test_type: &str,
        system: &SystemSummary,
        const_labels: &[(&'static str, String)],
    ) {
        let (source, usage) = match (&system.target, &system.runner) {
            (Some(t), _) => ("target", t),
            (None, Some(r)) => ("runner", r),
            (None, None) => return,
        };
        self.add_resources(
            test_type,
            source,
            Some(usage.rss_max_mb),
            Some(usage.cpu_avg_percent),
            const_labels,
        );
    }

    /// The families in exposition order.
    pub fn into_vec(self) -> Vec<Family> {
        vec![
            self.duration,
            self.requests,
            self.latency,
            self.memory,
            self.cpu,
        ]
    }
}

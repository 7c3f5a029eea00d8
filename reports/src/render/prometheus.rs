//! Prometheus text exposition (format 0.0.4) of a run: the textfile, the Pushgateway body and the live
//! `/metrics` page all come from here.
//!
//! The metric names are a contract kept from the framework perfgate grew from (users' dashboards query them):
//! `performance_test_duration_seconds{test_type,operation}`,
//! `performance_test_requests_total{test_type,operation,status}`,
//! `performance_test_latency_seconds{test_type,operation,percentile}`,
//! `performance_test_memory_usage_mb{test_type,source}` and `performance_test_cpu_usage_percent{test_type,source}`,
//! plus `performance_test_run_info{run_id,test_type,commit,branch,version}` (always 1) and
//! `performance_test_run_timestamp_seconds`, which carry what identifies a run without turning every run
//! into new series of the other metrics (join them with `group_left` when a panel needs the commit).
//!
//! The encoder is written here rather than taken from `prometheus-client`: that crate does not escape label
//! values (prometheus/client_rust#151), and operation names come from users' configs; it also speaks
//! OpenMetrics (`# EOF`, counters declared without `_total`), which node_exporter's textfile collector and the
//! Pushgateway read as a different family. The format is small: `# HELP`/`# TYPE` once per family, one line per
//! sample, label values escaped (`\\`, `\"`, `\n`), no timestamps (the textfile collector rejects them).
//! Every family keeps one label set for all its samples, and a repeated label set is dropped, so the output
//! is always accepted by the Pushgateway's consistency check.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::histogram::LatencyHistogram;
use crate::record::{LatencyMs, OperationResult, RunRecord, SystemSummary, TestType};

/// The `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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

/// The `operation` label of a load test's whole mix (`load.overall` in the record).
pub const ALL_OPERATIONS: &str = "all";

/// Counter or gauge (perfgate exposes no histograms: its percentiles come from HDR histograms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
}

impl MetricKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
        }
    }
}

/// One sample: label pairs (names are perfgate's, values may come from users) and a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

/// A metric family: a name, its help and type, and its samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: MetricKind,
    pub samples: Vec<Sample>,
}

impl Family {
    pub fn new(name: &'static str, kind: MetricKind, help: &'static str) -> Self {
        Self {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    /// Adds a sample unless one with the same label values is already there (the first one wins), so a
    /// user's operation named like an aggregate never produces a duplicate series.
    pub fn push(&mut self, labels: Vec<(&'static str, String)>, value: f64) {
        if self.samples.iter().any(|s| s.labels == labels) {
            return;
        }
        self.samples.push(Sample { labels, value });
    }
}

/// Encodes families in the text format. Families without samples are left out.
pub fn encode(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(f.help));
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
        for s in &f.samples {
            out.push_str(f.name);
            if !s.labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in s.labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(k);
                    out.push_str("=\"");
                    push_label_value(&mut out, v);
                    out.push('"');
                }
                out.push('}');
            }
            out.push(' ');
            out.push_str(&format_value(s.value));
            out.push('\n');
        }
    }
    out
}

/// Escapes a label value: backslash, double quote and line feed (the only escapes the format has).
pub fn escape_label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    push_label_value(&mut out, v);
    out
}

fn push_label_value(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(h: &str) -> String {
    h.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A float as the format spells it (`+Inf`, `-Inf`, `NaN`; Rust's `Display` never uses exponents).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{LoadSection, ProcessUsage, StressSection, StressStep};
    use crate::test_support::record_with;

    fn op(name: &str, ok: u64, failed: u64, p95_ms: f64) -> OperationResult {
        let mut h = LatencyHistogram::new();
        for _ in 0..ok + failed {
            h.record_us((p95_ms * 1000.0) as u64);
        }
        OperationResult {
            operation_name: name.into(),
            total_requests: ok + failed,
            successful_requests: ok,
            failed_requests: failed,
            latency_ms: h.summary(),
            duration_seconds: 2.5,
            histogram: Some(h),
            ..Default::default()
        }
    }

    type Exposition = openmetrics_parser::MetricsExposition<
        openmetrics_parser::PrometheusType,
        openmetrics_parser::PrometheusValue,
    >;

    fn parse(text: &str) -> Exposition {
        openmetrics_parser::prometheus::parse_prometheus(text)
            .unwrap_or_else(|e| panic!("not valid text format: {e:?}\n{text}"))
    }

    fn value(exp: &Exposition, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
        use openmetrics_parser::PrometheusValue as V;
        exp.families.get(family)?.iter_samples().find_map(|s| {
            let set = s.get_labelset().ok()?;
            labels
                .iter()
                .all(|(k, v)| set.get_label_value(k) == Some(*v))
                .then(|| match &s.value {
                    V::Gauge(n) | V::Unknown(n) => n.as_f64(),
                    V::Counter(c) => c.value.as_f64(),
                    _ => f64::NAN,
                })
        })
    }

    #[test]
    fn a_run_parses_back_with_names_labels_and_values() {
        let mut rec = record_with(vec![op("chat_resolution", 98, 2, 12.0)]);
        rec.benchmark.as_mut().unwrap().system.target = Some(ProcessUsage {
            rss_max_mb: 64.5,
            cpu_avg_percent: 12.25,
            ..Default::default()
        });
        let text = render(&rec, &[("suite", "checkout".into())]);
        let exp = parse(&text);
        let bench = [
            ("test_type", "benchmark"),
            ("operation", "chat_resolution"),
            ("suite", "checkout"),
        ];
        let with = |extra: (&'static str, &'static str)| {
            let mut l = bench.to_vec();
            l.push(extra);
            l
        };
        assert_eq!(value(&exp, DURATION, &bench), Some(2.5));
        assert_eq!(
            value(&exp, REQUESTS, &with(("status", "success"))),
            Some(98.0)
        );
        assert_eq!(value(&exp, REQUESTS, &with(("status", "error"))), Some(2.0));
        let p95 = value(&exp, LATENCY, &with(("percentile", "p95"))).unwrap();
        assert!((p95 - 0.012).abs() < 0.0001, "{p95}");
        let mem = [("test_type", "benchmark"), ("source", "target")];
        assert_eq!(value(&exp, MEMORY, &mem), Some(64.5));
        assert_eq!(value(&exp, CPU, &mem), Some(12.25));
        assert_eq!(
            value(
                &exp,
                RUN_INFO,
                &[
                    ("run_id", "run1"),
                    ("commit", "0123456789abcdef0123456789abcdef01234567"),
                    ("branch", "main"),
                ]
            ),
            Some(1.0)
        );
        assert_eq!(
            value(&exp, RUN_TIMESTAMP, &[("suite", "checkout")]),
            Some(rec.finished_at.timestamp() as f64)
        );
        // Types are declared, so `rate()` and friends treat the counter as one.
        assert!(text.contains("# TYPE performance_test_requests_total counter\n"));
        assert!(text.contains("# TYPE performance_test_latency_seconds gauge\n"));
    }

    #[test]
    fn user_names_are_escaped_and_survive_a_round_trip() {
        let name = "get \"x\"\\path\nline2";
        let rec = record_with(vec![op(name, 1, 0, 1.0)]);
        let text = render(&rec, &[]);
        assert!(
            text.contains(r#"operation="get \"x\"\\path\nline2""#),
            "{text}"
        );
        // One sample per line: the newline in the name did not split a line.
        assert!(text
            .lines()
            .all(|l| l.starts_with('#') || l.starts_with("performance_test_")));
        let exp = parse(&text);
        assert_eq!(
            value(&exp, DURATION, &[("operation", name)]),
            Some(2.5),
            "{text}"
        );
    }

    #[test]
    fn latencies_in_seconds_print_without_float_noise() {
        let mut f = empty_families();
        f.add_percentile("load", "a", "p90", 11.943, &[]);
        assert_eq!(f.latency.samples[0].value, 0.011943);
        assert!(encode(&f.into_vec()).contains("} 0.011943\n"));
    }

    #[test]
    fn values_use_the_formats_spelling() {
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(0.000001), "0.000001");
        assert_eq!(format_value(3.0), "3");
    }

    #[test]
    fn no_series_repeats_even_when_an_operation_is_called_all() {
        let mut rec = record_with(vec![]);
        rec.benchmark = None;
        rec.load = Some(LoadSection {
            model: "closed".into(),
            overall: op("all", 30, 0, 9.0),
            operations: vec![op("all", 10, 0, 1.0), op("b", 20, 0, 2.0)],
            ..Default::default()
        });
        let text = render(&rec, &[]);
        let exp = parse(&text);
        // The user's operation keeps the name; the aggregate does not overwrite it.
        let p95 = value(
            &exp,
            LATENCY,
            &[("operation", "all"), ("percentile", "p95")],
        )
        .unwrap();
        assert!((p95 - 0.001).abs() < 0.0001, "{p95}");
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let mut keys: Vec<&str> = lines
            .iter()
            .map(|l| l.rsplit_once(' ').unwrap().0)
            .collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate series in\n{text}");
    }

    #[test]
    fn load_with_several_operations_exposes_the_mix_latency() {
        let mut rec = record_with(vec![]);
        rec.benchmark = None;
        rec.load = Some(LoadSection {
            model: "closed".into(),
            overall: op("all", 30, 0, 9.0),
            operations: vec![op("a", 10, 0, 1.0), op("b", 20, 0, 2.0)],
            ..Default::default()
        });
        let exp = parse(&render(&rec, &[]));
        let p95 = value(
            &exp,
            LATENCY,
            &[("operation", ALL_OPERATIONS), ("percentile", "p95")],
        )
        .unwrap();
        assert!((p95 - 0.009).abs() < 0.0001);
        // Requests of the mix are not repeated (sum() over operations gives them).
        assert_eq!(
            value(&exp, REQUESTS, &[("operation", ALL_OPERATIONS)]),
            None
        );
    }

    #[test]
    fn stress_steps_add_up_per_operation_with_merged_percentiles() {
        let mut rec = record_with(vec![]);
        rec.benchmark = None;
        let step = |c: u32, o: OperationResult| StressStep {
            concurrency: c,
            operations: vec![o],
            ..Default::default()
        };
        rec.stress = Some(StressSection {
            steps: vec![
                step(5, op("s", 90, 0, 1.0)),
                step(10, op("s", 10, 5, 100.0)),
            ],
            ..Default::default()
        });
        let merged = stress_per_operation(&rec.stress.as_ref().unwrap().steps);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].total_requests, 105);
        assert_eq!(merged[0].failed_requests, 5);
        assert_eq!(merged[0].duration_seconds, 5.0);
        // 15 of 105 requests took 100 ms: p95 of the merged histogram is 100 ms, p50 is 1 ms.
        assert!((merged[0].latency_ms.p95 - 100.0).abs() < 0.1);
        assert!((merged[0].latency_ms.p50 - 1.0).abs() < 0.01);
        let exp = parse(&render(&rec, &[]));
        assert_eq!(
            value(
                &exp,
                REQUESTS,
                &[("test_type", "stress"), ("status", "success")]
            ),
            Some(100.0)
        );
    }

    #[test]
    fn without_histograms_stress_takes_the_worst_step() {
        let mut a = op("s", 10, 0, 1.0);
        let mut b = op("s", 10, 0, 50.0);
        a.histogram = None;
        b.histogram = None;
        let steps = vec![
            StressStep {
                operations: vec![a],
                ..Default::default()
            },
            StressStep {
                operations: vec![b],
                ..Default::default()
            },
        ];
        let merged = stress_per_operation(&steps);
        assert!((merged[0].latency_ms.p95 - 50.0).abs() < 0.1);
    }

    #[test]
    fn empty_families_are_left_out() {
        let mut rec = record_with(vec![]);
        rec.benchmark = None;
        let text = render(&rec, &[]);
        assert!(!text.contains(REQUESTS), "{text}");
        assert!(text.contains(RUN_INFO));
        parse(&text);
    }
}

//! Tests of the exposition: parsed back with a real Prometheus text parser.

use super::*;
use crate::histogram::LatencyHistogram;
use crate::record::{LoadSection, OperationResult, ProcessUsage, StressSection, StressStep};
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

//! Parsing, scoping, limits and evaluation of gates.

use super::*;
use crate::limits::{self, Limits};
use crate::metric::Metric;
use crate::record::TestType;
use crate::record::{LatencyMs, OperationResult, StressSection, StressStep};
use crate::test_support::record_with;

fn op(name: &str, p95: f64, rps: f64, failed: u64) -> OperationResult {
    OperationResult {
        operation_name: name.into(),
        total_requests: 100,
        successful_requests: 100 - failed,
        failed_requests: failed,
        latency_ms: LatencyMs {
            p50: p95 / 2.0,
            p95,
            p99: p95 * 1.5,
            avg: p95 / 2.0,
            ..Default::default()
        },
        throughput_rps: rps,
        success_rate_percent: (100 - failed) as f64,
        memory_usage_mb: Some(100.0),
        cpu_usage_percent: Some(50.0),
        ..Default::default()
    }
}

#[test]
fn parses_the_documented_expressions() {
    let cases = [
        ("p95 < 500ms", Metric::P95, Comparator::Lt, 500.0),
        ("p99 <= 1s", Metric::P99, Comparator::Le, 1000.0),
        ("avg<200ms", Metric::Avg, Comparator::Lt, 200.0),
        ("error_rate < 5%", Metric::ErrorRate, Comparator::Lt, 5.0),
        ("rps >= 10", Metric::Rps, Comparator::Ge, 10.0),
        ("memory_mb < 512", Metric::MemoryMb, Comparator::Lt, 512.0),
        ("cpu_percent < 80", Metric::CpuPercent, Comparator::Lt, 80.0),
        ("p(95)<500", Metric::P95, Comparator::Lt, 500.0),
        ("p50 > 250us", Metric::P50, Comparator::Gt, 0.25),
        ("memory_mb <= 1GB", Metric::MemoryMb, Comparator::Le, 1024.0),
        (
            "bytes_per_op <= 2KiB",
            Metric::BytesPerOp,
            Comparator::Le,
            2048.0,
        ),
        (
            "allocs_per_op < 3",
            Metric::AllocsPerOp,
            Comparator::Lt,
            3.0,
        ),
    ];
    for (text, metric, cmp, limit) in cases {
        let g: GateExpr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!((g.metric, g.comparator), (metric, cmp), "{text}");
        assert!((g.limit - limit).abs() < 1e-9, "{text}: {}", g.limit);
    }
    let g: GateExpr = "p99 <= 1s".parse().unwrap();
    assert_eq!(g.to_string(), "p99 <= 1s");
}

#[test]
fn parse_errors_say_what_was_expected() {
    let err = |s: &str| s.parse::<GateExpr>().unwrap_err();
    assert_eq!(err("  "), GateParseError::Empty);
    assert!(matches!(
        err("p95 500ms"),
        GateParseError::MissingOperator { .. }
    ));
    let e = err("latency < 5ms");
    assert!(matches!(e, GateParseError::UnknownMetric { .. }));
    assert!(e.to_string().contains("`latency`") && e.to_string().contains("p95"));
    let e = err("p95 < fast");
    assert!(matches!(e, GateParseError::BadNumber { .. }), "{e}");
    assert!(e.to_string().contains("expected a number after `<`"), "{e}");
    let e = err("p95 < 5kg");
    assert!(e.to_string().contains("`ms`, `s` or `us`"), "{e}");
    let e = err("error_rate < 0.05");
    assert!(e.to_string().contains("`%`"), "{e}");
    assert!(matches!(err("rps >= 10ms"), GateParseError::BadUnit { .. }));
}

#[test]
fn serde_uses_the_expression_string() {
    let cfg: GatesConfig = serde_json::from_value(serde_json::json!({
        "all": ["p95 < 300ms"],
        "operations": {"export": ["p95 < 2s"]},
        "regression": "warn"
    }))
    .unwrap();
    let gates: Gates = cfg.into();
    assert_eq!(gates.regression, RegressionPolicy::Warn);
    let json = serde_json::to_value(&gates.gates[0]).unwrap();
    assert_eq!(json["expr"], "p95 < 300ms");
    let bad: Result<GatesConfig, _> =
        serde_json::from_value(serde_json::json!({"all": ["p95 < soon"]}));
    assert!(bad.unwrap_err().to_string().contains("p95 < soon"));
    let absent: Gates = GatesConfig::default().into();
    assert_eq!(absent, default_gates());
}

#[test]
fn operation_gate_overrides_the_global_gate_on_the_same_metric() {
    let gates = default_gates().with_operation("export", ["p95 < 2s".parse().unwrap()]);
    let export = gates.for_operation("export");
    assert_eq!(export.len(), 3);
    assert!(export
        .iter()
        .any(|g| g.metric == Metric::P95 && g.limit == 2000.0));
    assert!(!export
        .iter()
        .any(|g| g.metric == Metric::P95 && g.limit == 500.0));
    let other = gates.for_operation("search");
    assert!(other
        .iter()
        .any(|g| g.metric == Metric::P95 && g.limit == 500.0));
}

#[test]
fn limits_come_from_the_own_gate_then_the_all_operations_gate_then_the_default() {
    assert_eq!(default_gates().limits(None), Limits::DEFAULT);
    assert_eq!(Gates::new().limits(Some("x")), Limits::DEFAULT);
    let gates = Gates::parse_all(&["p95 < 300ms", "p95 < 400ms", "rps > 50"])
        .unwrap()
        .with_operation("export", ["p95 < 5s".parse().unwrap()]);
    let all = gates.limits(None);
    assert_eq!((all.p95_ms, all.min_rps), (300.0, 50.0));
    assert_eq!(all.error_rate_percent, limits::ERROR_RATE_PERCENT);
    assert_eq!(gates.limits(Some("search")).p95_ms, 300.0);
    let export = gates.limits(Some("export"));
    assert_eq!((export.p95_ms, export.min_rps), (5000.0, 50.0));
    assert!(gates.has_own("export", Metric::P95) && !gates.has_own("search", Metric::P95));
    // A lower bound on latency is not a latency limit.
    let odd = Gates::parse_all(&["p95 > 1ms"]).unwrap();
    assert_eq!(odd.limits(None).p95_ms, limits::P95_MS);
    assert!(odd.limit_gate(None, Metric::P95).is_none());
}

#[test]
fn default_gates_pass_and_fail_on_the_right_operations() {
    let mut rec = record_with(vec![
        op("fast", 100.0, 50.0, 0),
        op("slow", 600.0, 50.0, 0),
        op("flaky", 100.0, 50.0, 6),
        op("trickle", 100.0, 5.0, 0),
    ]);
    // Stress steps are never gated.
    rec.stress = Some(StressSection {
        steps: vec![StressStep {
            concurrency: 50,
            operations: vec![op("fast", 5000.0, 1.0, 90)],
            ..Default::default()
        }],
        ..Default::default()
    });
    let results = evaluate(&rec, &default_gates());
    assert_eq!(results.len(), 12);
    let failed: Vec<(&str, Metric)> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| (r.operation.as_str(), r.metric))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("slow", Metric::P95),
            ("flaky", Metric::ErrorRate),
            ("trickle", Metric::Rps)
        ]
    );
    let slow = results
        .iter()
        .find(|r| r.operation == "slow" && r.metric == Metric::P95)
        .unwrap();
    assert_eq!(slow.actual, Some(600.0));
    assert!(
        slow.message.contains("600 ms") && slow.message.contains("fails p95 <= 500ms"),
        "{}",
        slow.message
    );
}

fn no_requests(name: &str) -> OperationResult {
    let mut empty = op(name, 0.0, 0.0, 0);
    empty.total_requests = 0;
    empty.successful_requests = 0;
    empty
}

#[test]
fn an_operation_without_requests_fails_whatever_the_gates() {
    let rec = record_with(vec![no_requests("dead"), op("alive", 100.0, 50.0, 0)]);
    for gates in [
        Gates::parse_all(&["p95 < 500ms"]).unwrap(),
        Gates::new(),
        // A side operation's `rps >= 0` passes at 0 rps: the row must not.
        Gates::new().with_operation("dead", ["rps >= 0".parse().unwrap()]),
    ] {
        let r = evaluate(&rec, &gates);
        let dead: Vec<_> = r.iter().filter(|g| g.operation == "dead").collect();
        assert_eq!(dead.len(), 1, "{r:?}");
        assert!(!dead[0].passed && dead[0].actual.is_none());
        assert_eq!(dead[0].gate, "rps > 0");
        assert!(
            dead[0].message.contains("no request completed"),
            "{}",
            dead[0].message
        );
        assert!(r
            .iter()
            .filter(|g| g.operation == "alive")
            .all(|g| g.passed));
    }
}

#[test]
fn a_stress_step_or_a_run_without_requests_fails() {
    let mut rec = record_with(vec![op("a", 100.0, 50.0, 0)]);
    rec.stress = Some(StressSection {
        steps: vec![
            StressStep {
                concurrency: 5,
                total_requests: 100,
                operations: vec![op("a", 100.0, 50.0, 0)],
                ..Default::default()
            },
            StressStep {
                concurrency: 10,
                ..Default::default()
            },
        ],
        ..Default::default()
    });
    let r = evaluate(&rec, &Gates::new());
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!((r[0].test_type, r[0].passed), (TestType::Stress, false));
    assert!(
        r[0].message.contains("at 10 concurrent users"),
        "{}",
        r[0].message
    );

    // A load test whose every request failed to complete: no operation rows at all.
    let mut rec = record_with(vec![]);
    rec.benchmark = None;
    rec.load = Some(crate::record::LoadSection {
        concurrent_users: 20000,
        ..Default::default()
    });
    for gates in [default_gates(), Gates::new()] {
        let r = evaluate(&rec, &gates);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            (r[0].test_type, r[0].operation.as_str(), r[0].passed),
            (TestType::Load, ALL_OPERATIONS, false)
        );
        assert!(r[0].message.contains("whole run"), "{}", r[0].message);
    }
    assert_eq!(completed_requests(&rec), 0);
    assert_eq!(
        completed_requests(&record_with(vec![op("a", 1.0, 1.0, 0)])),
        100
    );
}

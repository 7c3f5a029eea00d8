//! The optimizer's rules, each from a record built to show (or not show) its evidence.

use super::*;
use crate::analysis::compare::{compare_runs, CompareSettings};
use crate::gates::Gates;
use crate::record::{
    BreakingPoint, LoadSection, OperationResult, ProcessUsage, StressSection, StressStep,
    TimelinePoint,
};
use crate::test_support::{op, record_with};

fn load_with(ops: Vec<OperationResult>, timeline: Vec<TimelinePoint>, users: u32) -> RunRecord {
    let mut rec = record_with(vec![]);
    rec.benchmark = None;
    rec.load = Some(LoadSection {
        model: "closed".into(),
        duration_seconds: timeline.len() as f64,
        concurrent_users: users,
        overall: ops.first().cloned().unwrap_or_default(),
        operations: ops,
        timeline,
        ..Default::default()
    });
    rec
}

fn point(second: u32, users: u32, p95: f64, p99: f64, mem: Option<f64>) -> TimelinePoint {
    TimelinePoint {
        second,
        requests: 100,
        rps: 100.0,
        p50_ms: p95 / 2.0,
        p95_ms: p95,
        p99_ms: p99,
        active_users: users,
        memory_mb: mem,
        ..Default::default()
    }
}

fn find<'a>(o: &'a Optimization, name: &str) -> &'a OperationAnalysis {
    o.operations.iter().find(|a| a.operation == name).unwrap()
}

#[test]
fn healthy_operations_are_ok_without_recommendations() {
    let rec = record_with(vec![op("fine", 10.0, 100.0, 1000, 0)]);
    let o = optimize(&rec, None, &OptimizerSettings::default());
    assert_eq!(find(&o, "fine").status, Status::Ok);
    assert!(find(&o, "fine").recommendations.is_empty());
    assert!(o.run.is_empty());
}

#[test]
fn timeouts_point_at_the_stress_step_where_they_start() {
    let mut bad = op("search", 100.0, 50.0, 1000, 80);
    bad.errors = [("timeout".to_string(), 80)].into_iter().collect();
    let mut rec = record_with(vec![bad.clone()]);
    let step = |c: u32, timeouts: u64| {
        let mut o = op("search", 100.0, 50.0, 100, timeouts);
        if timeouts > 0 {
            o.errors.insert("timeout".into(), timeouts);
        }
        StressStep {
            concurrency: c,
            throughput_rps: 50.0 * c as f64,
            operations: vec![o],
            ..Default::default()
        }
    };
    rec.stress = Some(StressSection {
        steps: vec![step(5, 0), step(10, 0), step(15, 7)],
        breaking_point: Some(BreakingPoint {
            concurrency: 15,
            reason: "error rate 7% > 5%".into(),
        }),
        ..Default::default()
    });
    let o = optimize(&rec, None, &OptimizerSettings::default());
    let a = find(&o, "search");
    assert_eq!(a.status, Status::Critical);
    let errs = a
        .recommendations
        .iter()
        .find(|r| r.kind == RecommendationType::Errors)
        .unwrap();
    assert_eq!(errs.severity, Severity::High);
    assert!(errs.message.contains("timeout 80"), "{}", errs.message);
    assert!(
        errs.suggestions[0].contains("start at 15 concurrent users"),
        "{:?}",
        errs.suggestions
    );
    assert!(errs.suggestions[0].contains("pool"));
    let bp = o
        .run
        .iter()
        .find(|r| r.message.starts_with("Breaking point"))
        .unwrap();
    assert!(
        bp.suggestions
            .iter()
            .any(|s| s.contains("Timeouts start at 15")),
        "{:?}",
        bp.suggestions
    );
}

#[test]
fn four_xx_is_blamed_on_the_test_not_the_service() {
    let mut o4 = op("login", 10.0, 100.0, 100, 100);
    o4.errors = [("http_4xx".to_string(), 100)].into_iter().collect();
    o4.error_samples = vec!["401 Unauthorized".into()];
    let o = optimize(&record_with(vec![o4]), None, &OptimizerSettings::default());
    let r = &find(&o, "login").recommendations[0];
    assert!(
        r.suggestions[0].contains("test's request is wrong") && r.suggestions[0].contains("401"),
        "{r:?}"
    );
}

#[test]
fn memory_growth_over_the_timeline_is_a_leak_but_a_plateau_is_not() {
    let growing: Vec<TimelinePoint> = (0..30)
        .map(|s| point(s, 10, 20.0, 30.0, Some(100.0 + 2.0 * s as f64)))
        .collect();
    let rec = load_with(vec![op("a", 10.0, 100.0, 3000, 0)], growing, 10);
    let o = optimize(&rec, None, &OptimizerSettings::default());
    let leak = o
        .run
        .iter()
        .find(|r| r.kind == RecommendationType::Memory)
        .expect("leak finding");
    assert_eq!(leak.severity, Severity::High);
    assert!(leak.message.contains("still growing"), "{}", leak.message);
    assert!(leak.suggestions[0].contains("leak"));
    // The same growth over 10 s: too short to call it a leak.
    let short: Vec<TimelinePoint> = (0..10)
        .map(|s| point(s, 10, 20.0, 30.0, Some(100.0 + 4.0 * s as f64)))
        .collect();
    let rec = load_with(vec![op("a", 10.0, 100.0, 1000, 0)], short, 10);
    let o = optimize(&rec, None, &OptimizerSettings::default());
    let r = o
        .run
        .iter()
        .find(|r| r.kind == RecommendationType::Memory)
        .expect("a low finding");
    assert_eq!(r.severity, Severity::Low);
    assert!(r.message.contains("too short"), "{}", r.message);
    // Grows during the first seconds, then flat: a cache warming up.
    let plateau: Vec<TimelinePoint> = (0..30)
        .map(|s| point(s, 10, 20.0, 30.0, Some(100.0 + 4.0 * (s.min(8)) as f64)))
        .collect();
    let rec = load_with(vec![op("a", 10.0, 100.0, 3000, 0)], plateau, 10);
    let o = optimize(&rec, None, &OptimizerSettings::default());
    assert!(
        o.run.iter().all(|r| r.kind != RecommendationType::Memory),
        "{:?}",
        o.run
    );
}

#[test]
fn tail_latency_suggestions_follow_the_timeline() {
    let mut tail = op("feed", 10.0, 100.0, 3000, 0);
    tail.latency_ms.p99 = 120.0;
    // Spikes in 2 of 30 seconds: stalls.
    let spiky: Vec<TimelinePoint> = (0..30)
        .map(|s| {
            point(
                s,
                10,
                20.0,
                if s == 7 || s == 19 { 400.0 } else { 30.0 },
                None,
            )
        })
        .collect();
    let o = optimize(
        &load_with(vec![tail.clone()], spiky, 10),
        None,
        &OptimizerSettings::default(),
    );
    let r = find(&o, "feed")
        .recommendations
        .iter()
        .find(|r| r.message.contains("P99"))
        .unwrap();
    assert!(
        r.suggestions[0].contains("seconds 7, 19") && r.suggestions[0].contains("stalls"),
        "{:?}",
        r.suggestions
    );
    // Latency rising with users: queuing.
    let ramp: Vec<TimelinePoint> = (0..30)
        .map(|s| point(s, 1 + s, 10.0 + 5.0 * s as f64, 30.0, None))
        .collect();
    let o = optimize(
        &load_with(vec![tail.clone()], ramp, 30),
        None,
        &OptimizerSettings::default(),
    );
    let r = find(&o, "feed")
        .recommendations
        .iter()
        .find(|r| r.message.contains("P99"))
        .unwrap();
    assert!(
        r.suggestions.iter().any(|s| s.contains("queue")),
        "{:?}",
        r.suggestions
    );
    // One request at a time: no queue to blame.
    let o = optimize(
        &record_with(vec![tail]),
        None,
        &OptimizerSettings::default(),
    );
    let r = find(&o, "feed")
        .recommendations
        .iter()
        .find(|r| r.message.contains("P99"))
        .unwrap();
    assert!(
        r.suggestions[0].contains("one at a time"),
        "{:?}",
        r.suggestions
    );
}

#[test]
fn high_latency_with_low_cpu_points_at_waiting_and_high_cpu_at_profiling() {
    let mut waiting = op("slow_io", 400.0, 20.0, 100, 0);
    waiting.cpu_usage_percent = Some(5.0);
    let mut busy = op("slow_cpu", 400.0, 20.0, 100, 0);
    busy.cpu_usage_percent = Some(95.0);
    let o = optimize(
        &record_with(vec![waiting, busy]),
        None,
        &OptimizerSettings::default(),
    );
    let io = &find(&o, "slow_io").recommendations[0];
    assert_eq!(io.kind, RecommendationType::Latency);
    assert!(
        io.suggestions[0].contains("waiting"),
        "{:?}",
        io.suggestions
    );
    let cpu = &find(&o, "slow_cpu").recommendations[0];
    assert!(
        cpu.suggestions[0].contains("CPU-bound"),
        "{:?}",
        cpu.suggestions
    );
    // Nobody configured a CPU threshold: 95% is evidence for a suggestion, not a finding.
    assert!(o
        .operations
        .iter()
        .flat_map(|a| &a.recommendations)
        .chain(&o.run)
        .all(|r| r.kind != RecommendationType::Cpu));
}

#[test]
fn a_saturated_runner_is_a_generator_finding() {
    let mut rec = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
    rec.system.runner_saturated = true;
    rec.system.runner = Some(ProcessUsage {
        cpu_avg_percent: 197.0,
        ..Default::default()
    });
    let o = optimize(&rec, None, &OptimizerSettings::default());
    let g = o
        .run
        .iter()
        .find(|r| r.kind == RecommendationType::Generator)
        .unwrap();
    assert_eq!(g.severity, Severity::High);
    assert!(
        g.message.contains("197% CPU") && g.message.contains("runner's"),
        "{}",
        g.message
    );
    assert!(g.suggestions.iter().any(|s| s.contains("shard")));
}

#[test]
fn regressions_from_a_comparison_become_recommendations() {
    let base = record_with(vec![op("a", 100.0, 100.0, 1000, 0)]);
    let head = record_with(vec![op("a", 145.0, 100.0, 1000, 0)]);
    let c = compare_runs(&base, &head, &CompareSettings::default());
    let o = optimize(&head, Some(&c), &OptimizerSettings::default());
    let a = find(&o, "a");
    let r = a
        .recommendations
        .iter()
        .find(|r| r.message.starts_with("P95 latency increased by 45%"))
        .unwrap();
    assert_eq!(r.kind, RecommendationType::Latency);
    assert_eq!(r.severity, Severity::High);
    assert!(r.suggestions[0].contains("0123456"), "{:?}", r.suggestions);
    assert_eq!(a.status, Status::Critical);
}

fn all_recs(o: &Optimization) -> impl Iterator<Item = &Recommendation> {
    o.operations
        .iter()
        .flat_map(|a| &a.recommendations)
        .chain(&o.run)
}

fn settings(gates: Gates) -> OptimizerSettings {
    OptimizerSettings::from_gates(&gates)
}

#[test]
fn a_passing_operation_gate_is_the_target() {
    // p95 = 900 ms under its own `p95 < 5s`: not critical, not "above the 500 ms target", and no advice to
    // add the gate it has.
    let rec = record_with(vec![op("export", 600.0, 20.0, 100, 0)]);
    let gates =
        crate::gates::default_gates().with_operation("export", ["p95 < 5s".parse().unwrap()]);
    let o = optimize(&rec, None, &settings(gates));
    let a = find(&o, "export");
    assert_eq!(a.status, Status::Ok, "{:?}", a.recommendations);
    assert!(
        all_recs(&o).all(|r| !r.message.contains("500 ms")
            && r.suggestions
                .iter()
                .all(|s| !s.contains("set its own gate"))),
        "{:?}",
        a.recommendations
    );
    // Without the operation's gate, the all-operations gate applies; without any, the default target.
    let o = optimize(&rec, None, &settings(crate::gates::default_gates()));
    let r = &find(&o, "export").recommendations[0];
    assert!(
        r.message.contains("above the gate `p95 <= 500ms`"),
        "{}",
        r.message
    );
    assert!(r.suggestions.iter().any(|s| s.contains("set its own gate")));
    let o = optimize(&rec, None, &OptimizerSettings::default());
    let r = &find(&o, "export").recommendations[0];
    assert!(
        r.message.contains("above the 500 ms target"),
        "{}",
        r.message
    );
}

#[test]
fn a_failing_gate_gets_a_recommendation() {
    // A sub-millisecond operation under `p95 < 0.2ms`.
    let rec = record_with(vec![op("ping", 0.4, 2000.0, 1000, 0)]);
    let gates = Gates::new().with_operation("ping", ["p95 < 0.2ms".parse().unwrap()]);
    let o = optimize(&rec, None, &settings(gates));
    let a = find(&o, "ping");
    assert_eq!(a.status, Status::Critical, "{:?}", a.recommendations);
    let r = &a.recommendations[0];
    assert!(
        r.message.contains("the gate `p95 < 0.2ms`"),
        "{}",
        r.message
    );
    assert!(
        r.suggestions
            .iter()
            .any(|s| s.contains("raise its own gate")),
        "{:?}",
        r.suggestions
    );
    // A gate no dedicated rule covers (p99, a lower bound) still gets one.
    let gates = Gates::parse_all(&["p99 < 0.5ms", "p50 > 1ms"]).unwrap();
    let o = optimize(&rec, None, &settings(gates));
    let msgs: Vec<&str> = find(&o, "ping")
        .recommendations
        .iter()
        .map(|r| r.message.as_str())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("P99 latency") && m.contains("`p99 < 0.5ms`"))
            && msgs.iter().any(|m| m.contains("`p50 > 1ms`")),
        "{msgs:?}"
    );
    // A passing gate is silent.
    let gates = Gates::parse_all(&["p99 < 50ms"]).unwrap();
    let o = optimize(&rec, None, &settings(gates));
    assert!(find(&o, "ping").recommendations.is_empty());
}

#[test]
fn the_tail_ratio_rule_has_an_absolute_floor_and_respects_the_target() {
    // p99 8× the median at sub-10 ms: jitter, not a finding.
    let mut fast = op("fast", 0.5, 5000.0, 10000, 0);
    fast.latency_ms.p99 = 4.0;
    let o = optimize(
        &record_with(vec![fast]),
        None,
        &OptimizerSettings::default(),
    );
    assert!(find(&o, "fast").recommendations.is_empty());
    // 120 ms at a 10 ms median, inside the 500 ms target: informational.
    let mut tail = op("feed", 10.0, 100.0, 3000, 0);
    tail.latency_ms.p99 = 120.0;
    let o = optimize(
        &record_with(vec![tail.clone()]),
        None,
        &OptimizerSettings::default(),
    );
    let a = find(&o, "feed");
    assert_eq!(a.recommendations[0].severity, Severity::Low);
    assert_eq!(a.status, Status::Ok);
    // Past the target it is a warning.
    let gates = Gates::parse_all(&["p95 < 100ms"]).unwrap();
    let o = optimize(&record_with(vec![tail]), None, &settings(gates));
    assert_eq!(find(&o, "feed").status, Status::Warning);
}

#[test]
fn no_gc_pauses_without_evidence_of_a_managed_runtime() {
    let mut tail = op("feed", 10.0, 100.0, 3000, 0);
    tail.latency_ms.p99 = 600.0;
    let spiky: Vec<TimelinePoint> = (0..30)
        .map(|s| point(s, 10, 20.0, if s == 7 { 900.0 } else { 30.0 }, None))
        .collect();
    for rec in [
        record_with(vec![tail.clone()]),
        load_with(vec![tail.clone()], spiky, 10),
        load_with(vec![tail], vec![], 10),
    ] {
        let o = optimize(&rec, None, &OptimizerSettings::default());
        for r in all_recs(&o) {
            assert!(
                r.suggestions.iter().all(|s| !s.contains("GC")),
                "{:?}",
                r.suggestions
            );
        }
    }
}

#[test]
fn cpu_and_memory_thresholds_warn_only_when_configured_and_once_per_phase() {
    let ops: Vec<OperationResult> = ["a", "b", "c"]
        .iter()
        .map(|n| {
            let mut o = op(n, 10.0, 300.0, 3000, 0);
            o.cpu_usage_percent = Some(95.0);
            o.memory_usage_mb = Some(700.0);
            o
        })
        .collect();
    let rec = load_with(ops, vec![], 10);
    let o = optimize(&rec, None, &OptimizerSettings::default());
    assert!(all_recs(&o)
        .all(|r| r.kind != RecommendationType::Cpu && r.kind != RecommendationType::Memory));
    assert!(o.operations.iter().all(|a| a.status == Status::Ok));

    let gates = Gates::parse_all(&["cpu_percent < 80", "memory_mb < 512"]).unwrap();
    let o = optimize(&rec, None, &settings(gates));
    assert!(o.operations.iter().all(|a| a.recommendations.is_empty()));
    let cpu: Vec<_> = o
        .run
        .iter()
        .filter(|r| r.kind == RecommendationType::Cpu)
        .collect();
    let mem: Vec<_> = o
        .run
        .iter()
        .filter(|r| r.kind == RecommendationType::Memory)
        .collect();
    assert_eq!((cpu.len(), mem.len()), (1, 1), "{:?}", o.run);
    assert!(
        cpu[0].message.contains("95%") && cpu[0].message.contains("a, b, c"),
        "{}",
        cpu[0].message
    );
    assert!(
        mem[0].message.contains("the gate `memory_mb < 512`"),
        "{}",
        mem[0].message
    );
    // The environment's thresholds, without gates, work the same.
    let s = OptimizerSettings {
        cpu_threshold_percent: Some(90.0),
        ..OptimizerSettings::default()
    };
    let o = optimize(&rec, None, &s);
    assert_eq!(
        o.run
            .iter()
            .filter(|r| r.kind == RecommendationType::Cpu)
            .count(),
        1
    );
}

#[test]
fn a_saturated_host_is_blamed_once_per_run() {
    let mut healthy = load_with(
        vec![
            op("a", 0.3, 9000.0, 90000, 0),
            op("b", 0.3, 9000.0, 90000, 0),
        ],
        vec![],
        10,
    );
    if let Some(l) = healthy.load.as_mut() {
        l.system.host_cpu_percent = Some(99.0);
    }
    let o = optimize(&healthy, None, &OptimizerSettings::default());
    let host: Vec<_> = o
        .run
        .iter()
        .filter(|r| r.message.contains("host's CPU"))
        .collect();
    assert_eq!(host.len(), 1, "{:?}", o.run);
    // Healthy otherwise: informational.
    assert_eq!(host[0].severity, Severity::Low);
    assert!(o.operations.iter().all(|a| a.recommendations.is_empty()));

    // With a slow operation, the host is blamed first, in the operation's suggestions and at medium.
    let mut slow = healthy.clone();
    if let Some(l) = slow.load.as_mut() {
        l.operations[0].latency_ms.p95 = 800.0;
    }
    let o = optimize(&slow, None, &OptimizerSettings::default());
    let host = o
        .run
        .iter()
        .find(|r| r.message.contains("host's CPU"))
        .unwrap();
    assert_eq!(host.severity, Severity::Medium);
    let r = &find(&o, "a").recommendations[0];
    assert!(
        r.suggestions[0].contains("host's CPU was at 99%"),
        "{:?}",
        r.suggestions
    );
    // A stress test drives the host to its limit on purpose: its reading does not count.
    let mut stress = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
    stress.stress = Some(StressSection::default());
    stress.system.host_cpu_percent = Some(100.0);
    let o = optimize(&stress, None, &OptimizerSettings::default());
    assert!(
        o.run.iter().all(|r| !r.message.contains("host")),
        "{:?}",
        o.run
    );
}

#[test]
fn a_saturated_runner_is_blamed_in_the_operations_findings() {
    let mut rec = record_with(vec![op("a", 600.0, 100.0, 1000, 0)]);
    rec.system.runner_saturated = true;
    rec.system.host_cpu_percent = Some(100.0);
    let o = optimize(&rec, None, &OptimizerSettings::default());
    let r = &find(&o, "a").recommendations[0];
    assert!(
        r.suggestions[0].contains("perfgate itself was saturated"),
        "{:?}",
        r.suggestions
    );
    // One run-level finding, naming the host too; no second one about the host.
    let g: Vec<_> = o
        .run
        .iter()
        .filter(|r| r.message.contains("saturated") || r.message.contains("host"))
        .collect();
    assert_eq!(g.len(), 1, "{:?}", o.run);
    assert!(
        g[0].message.contains("host's CPU at 100%"),
        "{}",
        g[0].message
    );
}

#[test]
fn an_operation_without_requests_is_critical_with_reasons() {
    let mut dead = op("dead", 1.0, 0.0, 0, 0);
    dead.total_requests = 0;
    let mut rec = load_with(vec![dead], vec![], 20000);
    if let Some(l) = rec.load.as_mut() {
        l.ramp_up_seconds = 10.0;
        l.duration_seconds = 5.0;
    }
    let o = optimize(&rec, None, &OptimizerSettings::default());
    let a = find(&o, "dead");
    assert_eq!(a.status, Status::Critical);
    assert_eq!(a.recommendations.len(), 1);
    let r = &a.recommendations[0];
    assert!(r.message.contains("No request completed"));
    assert!(r
        .suggestions
        .iter()
        .any(|s| s.contains("20000 concurrent users")));
    assert!(r.suggestions.iter().any(|s| s.contains("ramp_up_seconds")));
}

#[test]
fn a_healthy_service_under_moderate_load_has_no_warning() {
    // nginx serving a static file at -c 10 on a 2-core runner: sub-millisecond, thousands of rps, the host
    // busy, the service using some CPU, a p99 a few times the median.
    let ops: Vec<OperationResult> = ["index", "asset"]
        .iter()
        .map(|n| {
            let mut o = op(n, 0.35, 8000.0, 80000, 0);
            o.latency_ms.p99 = 2.5;
            o.cpu_usage_percent = Some(85.0);
            o.memory_usage_mb = Some(9.0);
            o
        })
        .collect();
    let timeline: Vec<TimelinePoint> = (0..10)
        .map(|s| point(s, 10, 0.6, if s == 4 { 9.0 } else { 2.5 }, Some(9.0)))
        .collect();
    let mut rec = load_with(ops, timeline, 10);
    if let Some(l) = rec.load.as_mut() {
        l.system.host_cpu_percent = Some(100.0);
    }
    let o = optimize(&rec, None, &settings(crate::gates::default_gates()));
    assert!(
        all_recs(&o).all(|r| r.severity == Severity::Low),
        "{:?}",
        all_recs(&o).collect::<Vec<_>>()
    );
    assert!(o.operations.iter().all(|a| a.status == Status::Ok));
}

//! `performance_summary_<ts>.txt`: a plain-text summary of one run, for a terminal or a CI log.
//!
//! Sections in order: what ran where, the overall status, warnings (runner saturation first: it changes what
//! every number below means), one table per schedule (p50/p95/p99/rps/success per operation), the stress steps
//! with the breaking point, the gates, the comparison counts and the recommendations. Only the record is read;
//! the analysis, when present, comes from its `analysis` field.

use std::fmt::Write as _;

use crate::analysis::optimizer::format_p;
use crate::analysis::{AnalysisSection, Verdict};
use crate::metric::{format_ms, sig};
use crate::record::{OperationResult, RunRecord};

use super::table::{Align, Table};

/// Renders the text summary of `record`.
pub fn render(record: &RunRecord) -> String {
    let mut out = String::new();
    let title = format!("perfgate performance summary — suite {}", record.suite);
    let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
    header(record, &mut out);
    if let Some(a) = &record.analysis {
        let _ = write!(out, "\nStatus: {}", a.status.as_str().to_uppercase());
        if !a.reasons.is_empty() {
            let _ = write!(out, " — {}", a.reasons.join("; "));
        }
        out.push('\n');
    }
    warnings(record, &mut out);
    if let Some(b) = &record.benchmark {
        let _ = writeln!(
            out,
            "\nBenchmark ({} iterations per operation after {} warm-up)",
            b.iterations, b.warmup_iterations
        );
        out.push_str(&operations_table(b.operations.iter(), None));
    }
    if let Some(l) = &record.load {
        let mut what = format!(
            "\nLoad ({} model, {} users, {} s",
            l.model,
            l.concurrent_users,
            sig(l.duration_seconds)
        );
        if l.ramp_up_seconds > 0.0 {
            let _ = write!(what, ", ramp-up {} s", sig(l.ramp_up_seconds));
        }
        if let Some(t) = l.target_rps {
            let _ = write!(what, ", target {} rps", sig(t));
        }
        what.push(')');
        let _ = writeln!(out, "{what}");
        out.push_str(&operations_table(l.operations.iter(), Some(&l.overall)));
        if l.late_starts > 0 || l.dropped_starts > 0 {
            let _ = writeln!(
                out,
                "  Generator: {} requests started late, {} never started",
                l.late_starts, l.dropped_starts
            );
        }
    }
    if let Some(s) = &record.stress {
        out.push_str("\nStress\n");
        let mut t = Table::new(&[
            ("users", Align::Right),
            ("requests", Align::Right),
            ("rps", Align::Right),
            ("p50", Align::Right),
            ("p95", Align::Right),
            ("p99", Align::Right),
            ("errors", Align::Right),
            ("stopped because", Align::Left),
        ]);
        for st in &s.steps {
            t.row(vec![
                st.concurrency.to_string(),
                st.total_requests.to_string(),
                sig(st.throughput_rps),
                format_ms(st.latency_ms.p50),
                format_ms(st.latency_ms.p95),
                format_ms(st.latency_ms.p99),
                format!("{}%", sig(st.error_rate_percent)),
                st.stop_reason.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&t.to_text("  "));
        match &s.breaking_point {
            Some(bp) => {
                let _ = writeln!(
                    out,
                    "  Breaking point: {} users — {}",
                    bp.concurrency, bp.reason
                );
                if let Some(c) = s.last_good_concurrency {
                    let _ = writeln!(out, "  Last good step: {c} users");
                }
            }
            // Every step passed: one line says so (the conclusion already names the highest step).
            None if !s.conclusion.is_empty() => {
                let _ = writeln!(out, "  Breaking point: none — {}", s.conclusion);
            }
            None => {
                let _ = writeln!(out, "  Breaking point: none found");
            }
        }
        if let Some(c) = &s.capacity {
            let _ = writeln!(out, "  {}", c.line());
        }
    }
    if let Some(a) = &record.analysis {
        gates(a, &mut out);
        comparison(a, &mut out);
        recommendations(a, &mut out);
    }
    out
}

fn header(r: &RunRecord, out: &mut String) {
    let secs = (r.finished_at - r.started_at).num_milliseconds() as f64 / 1000.0;
    let _ = writeln!(out, "Run:      {} ({})", r.run_id, r.test_type);
    let _ = writeln!(
        out,
        "Started:  {}  (took {} s)",
        r.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        sig(secs)
    );
    let mut commit = r.sha7().to_string();
    if let Some(b) = &r.git.branch {
        let _ = write!(commit, " on {b}");
    }
    if let Some(pr) = r.git.pr_number {
        let _ = write!(commit, " (PR #{pr})");
    }
    if r.git.dirty {
        commit.push_str(" + uncommitted changes");
    }
    let _ = writeln!(out, "Commit:   {commit}");
    let e = &r.environment;
    let mut machine = format!(
        "{} {}, {} cores, {} GiB",
        e.os, e.arch, e.cpu_cores, e.memory_gib
    );
    if !e.cpu_model.is_empty() {
        let _ = write!(machine, ", {}", e.cpu_model);
    }
    if !e.runner_kind.is_empty() {
        let _ = write!(machine, ", {}", e.runner_kind);
    }
    let _ = writeln!(out, "Machine:  {machine}");
    if let Some(s) = r.shard {
        let _ = writeln!(out, "Shard:    {}/{}", s.index, s.total);
    }
}

fn warnings(r: &RunRecord, out: &mut String) {
    let saturated = r.system.runner_saturated
        || r.benchmark
            .as_ref()
            .is_some_and(|b| b.system.runner_saturated)
        || r.load.as_ref().is_some_and(|l| l.system.runner_saturated)
        || r.stress.as_ref().is_some_and(|s| s.system.runner_saturated);
    let mut lines = Vec::new();
    if saturated {
        lines.push(
            "RUNNER SATURATED: perfgate used most of its CPU; latency and throughput below measure the runner, not the service."
                .to_string(),
        );
    }
    lines.extend(r.warnings.iter().cloned());
    if lines.is_empty() {
        return;
    }
    out.push_str("\nWarnings\n");
    for l in lines {
        let _ = writeln!(out, "  ! {l}");
    }
}

fn operations_table<'a>(
    ops: impl Iterator<Item = &'a OperationResult>,
    overall: Option<&OperationResult>,
) -> String {
    let mut t = Table::new(&[
        ("operation", Align::Left),
        ("requests", Align::Right),
        ("p50", Align::Right),
        ("p95", Align::Right),
        ("p99", Align::Right),
        ("rps", Align::Right),
        ("success", Align::Right),
        ("memory", Align::Right),
        ("CPU", Align::Right),
    ]);
    let row = |o: &OperationResult, name: &str| {
        let lat = |v: f64| {
            if o.total_requests == 0 {
                "—".to_string()
            } else {
                format_ms(v)
            }
        };
        vec![
            name.to_string(),
            o.total_requests.to_string(),
            lat(o.latency_ms.p50),
            lat(o.latency_ms.p95),
            lat(o.latency_ms.p99),
            sig(o.throughput_rps),
            format!("{}%", sig(o.success_rate_percent)),
            o.memory_usage_mb
                .map_or(super::words::NOT_MEASURED.into(), |m| {
                    format!("{} MB", sig(m))
                }),
            o.cpu_usage_percent
                .map_or(super::words::NOT_MEASURED.into(), |c| {
                    format!("{}%", sig(c))
                }),
        ]
    };
    for o in ops {
        t.row(row(o, &o.operation_name));
    }
    if let Some(o) = overall {
        t.row(row(o, "(all)"));
    }
    t.to_text("  ")
}

fn gates(a: &AnalysisSection, out: &mut String) {
    if a.gates.is_empty() {
        return;
    }
    let failed: Vec<_> = a.failed_gates().collect();
    let unevaluated: Vec<_> = a.unevaluated_gates().collect();
    let _ = write!(
        out,
        "\nGates: {} checked, {} passed, {} failed",
        a.gates.len(),
        a.gates.len() - failed.len() - unevaluated.len(),
        failed.len()
    );
    if !unevaluated.is_empty() {
        let _ = write!(out, ", {} not evaluated", unevaluated.len());
    }
    out.push('\n');
    for g in failed {
        let _ = writeln!(
            out,
            "  FAIL  {} {}: {}",
            g.test_type, g.operation, g.message
        );
    }
    for g in unevaluated {
        let _ = writeln!(
            out,
            "  NOT EVALUATED  {} {}: {}",
            g.test_type, g.operation, g.message
        );
    }
}

fn comparison(a: &AnalysisSection, out: &mut String) {
    let Some(c) = &a.comparison else { return };
    let n = c.counts();
    let _ = writeln!(
        out,
        "\nCompared with {}: {} regressed, {} improved, {} unchanged, {} new, {} missing",
        c.base.label, n.regressed, n.improved, n.unchanged, n.new, n.missing
    );
    for r in c
        .rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Regressed | Verdict::Improved))
    {
        let mut line = format!(
            "  {:<9} {} {}: {}",
            r.verdict.as_str().to_uppercase(),
            r.test_type,
            r.operation,
            r.sentence()
        );
        if let Some(p) = r.p_value {
            let _ = write!(line, ", p = {}", format_p(p));
        }
        if let Some(ack) = &r.acknowledged {
            let _ = write!(line, " [acknowledged until {}: {}]", ack.until, ack.reason);
        }
        let _ = writeln!(out, "{line}");
    }
    for note in &c.notes {
        let _ = writeln!(out, "  note: {note}");
    }
}

fn recommendations(a: &AnalysisSection, out: &mut String) {
    let flagged: Vec<_> = a
        .operations
        .iter()
        .filter(|o| !o.recommendations.is_empty())
        .collect();
    if flagged.is_empty() && a.recommendations.is_empty() {
        return;
    }
    out.push_str("\nRecommendations\n");
    for r in &a.recommendations {
        let _ = writeln!(
            out,
            "  [{} {}] {}",
            r.severity.as_str(),
            r.kind.as_str(),
            r.message
        );
        for s in &r.suggestions {
            let _ = writeln!(out, "      - {s}");
        }
    }
    for o in flagged {
        let _ = writeln!(
            out,
            "  {} {} ({})",
            o.test_type,
            o.operation,
            o.status.as_str()
        );
        for r in &o.recommendations {
            let _ = writeln!(
                out,
                "    [{} {}] {}",
                r.severity.as_str(),
                r.kind.as_str(),
                r.message
            );
            for s in &r.suggestions {
                let _ = writeln!(out, "        - {s}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{compare_runs, judge, CompareSettings, JudgeSettings};
    use crate::record::{BreakingPoint, LatencyMs, StressSection, StressStep};
    use crate::test_support::{op, record_with, t0};

    #[test]
    fn unmeasured_memory_is_printed_as_such_and_its_gate_is_not_evaluated() {
        let mut o = op("health", 2.0, 500.0, 1000, 0);
        o.memory_usage_mb = None;
        o.cpu_usage_percent = None;
        o.resource_source.clear();
        let mut rec = record_with(vec![o]);
        let gates = crate::gates::Gates::parse_all(&["memory_mb < 1", "p95 < 500ms"]).unwrap();
        crate::analysis::judge(
            &mut rec,
            &crate::analysis::JudgeSettings::new(gates),
            None,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        );
        let a = rec.analysis.clone().unwrap();
        let g = a
            .gates
            .iter()
            .find(|g| g.gate.starts_with("memory"))
            .unwrap();
        assert!(g.not_evaluated && !g.passed, "{g:?}");
        assert_eq!(a.failed_gates().count(), 0);
        assert_ne!(a.status, crate::analysis::OverallStatus::Fail);
        rec.analysis = Some(a);
        let s = render(&rec);
        assert!(
            s.contains("Gates: 2 checked, 1 passed, 0 failed, 1 not evaluated"),
            "{s}"
        );
        assert!(
            s.contains("NOT EVALUATED  benchmark health: memory_mb: not measured"),
            "{s}"
        );
        assert!(
            s.contains(&format!("{0}  {0}", crate::render::NOT_MEASURED)),
            "{s}"
        );
    }

    #[test]
    fn summary_shows_tables_stress_gates_and_warnings() {
        let base = record_with(vec![
            op("chat_resolution", 20.0, 50.0, 1000, 0),
            op("search", 100.0, 9.0, 200, 0),
        ]);
        let mut rec = record_with(vec![
            op("chat_resolution", 20.0, 50.0, 1000, 10),
            op("search", 400.0, 9.0, 200, 0),
        ]);
        rec.system.runner_saturated = true;
        rec.warnings.push("target exited with status 1".into());
        rec.stress = Some(StressSection {
            steps: vec![
                StressStep {
                    concurrency: 5,
                    total_requests: 500,
                    throughput_rps: 100.0,
                    latency_ms: LatencyMs {
                        p50: 10.0,
                        p95: 20.0,
                        p99: 30.0,
                        ..Default::default()
                    },
                    ..Default::default()
                },
                StressStep {
                    concurrency: 10,
                    total_requests: 520,
                    throughput_rps: 104.0,
                    error_rate_percent: 7.5,
                    latency_ms: LatencyMs {
                        p50: 50.0,
                        p95: 900.0,
                        p99: 1500.0,
                        ..Default::default()
                    },
                    stop_reason: Some("error rate 7.5% > 5%".into()),
                    ..Default::default()
                },
            ],
            last_good_concurrency: Some(5),
            breaking_point: Some(BreakingPoint {
                concurrency: 10,
                reason: "error rate 7.5% > 5%".into(),
            }),
            conclusion: "breaking point at 10 users".into(),
            ..Default::default()
        });
        let c = compare_runs(&base, &rec, &CompareSettings::default());
        judge(
            &mut rec,
            &JudgeSettings::default(),
            Some(c),
            t0().date_naive(),
        );
        let s = render(&rec);
        assert!(
            s.starts_with("perfgate performance summary — suite default\n"),
            "{s}"
        );
        // p99 of 200 requests is the second-slowest request: not judged (compare::MIN_TAIL_SAMPLES).
        assert!(s.contains("Status: FAIL — 2 gates failed; 3 regressions; 2 operations with warnings; The runner was saturated"), "{s}");
        assert!(s.contains("RUNNER SATURATED"), "{s}");
        assert!(s.contains("! target exited with status 1"));
        // The benchmark table, aligned.
        assert!(
            s.contains(
                "  operation        requests     p50     p95     p99  rps  success  memory  CPU\n"
            ),
            "{s}"
        );
        assert!(
            s.contains(
                "  chat_resolution      1000   20 ms   30 ms   40 ms   50      99%   64 MB  20%\n"
            ),
            "{s}"
        );
        assert!(
            s.contains("  Breaking point: 10 users — error rate 7.5% > 5%"),
            "{s}"
        );
        assert!(s.contains("1.5 s"), "stress p99 in seconds: {s}");
        assert!(s.contains("Gates: 6 checked, 4 passed, 2 failed"), "{s}");
        assert!(
            s.contains("FAIL  benchmark search: p95 = 600 ms, fails p95 <= 500ms"),
            "{s}"
        );
        assert!(
            s.contains("FAIL  benchmark search: rps = 9 rps, fails rps >= 10"),
            "{s}"
        );
        assert!(
            s.contains(
                "REGRESSED benchmark search: P95 latency increased by 300% (150 ms → 600 ms)"
            ),
            "{s}"
        );
        assert!(s.contains("[high latency] P95 latency increased by 300% (150 ms → 600 ms), p = <0.001; also p50 +300%, avg +300%"), "{s}");
        assert!(
            s.contains("[high generator] The runner was saturated"),
            "{s}"
        );
        assert!(!s.lines().any(|l| l.ends_with(' ')), "no trailing spaces");
    }

    #[test]
    fn a_record_without_analysis_still_renders() {
        let s = render(&record_with(vec![op("a", 1.0, 1000.0, 10, 0)]));
        assert!(s.contains("Benchmark (100 iterations per operation after 5 warm-up)"));
        assert!(!s.contains("Status:"));
    }
}

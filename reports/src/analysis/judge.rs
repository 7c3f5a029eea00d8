//! The verdict: one pure function that judges a run record, once, the same way on every path.
//!
//! The CLI's `run`, `load` and `merge`, the A/B mode, the Action and the library API all end a run by calling
//! [`judge`] with the project's [`JudgeSettings`]. It applies the `[[acknowledge]]` entries to the comparison,
//! turns expired ones into record warnings (never twice, so judging a record again is harmless), evaluates the
//! gates (plus the rule that a run, operation or stress step completing no request fails), runs the optimizer
//! with targets taken from the same gates, and stores the result in `record.analysis`. The stress stop rule and
//! the site read their limits from the same settings ([`JudgeSettings::p95_limit_ms`],
//! [`JudgeSettings::limits`]), so a project's `[gates]` mean one thing everywhere.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::acknowledge::{apply_acknowledgements, AckOutcome, Acknowledgement};
use super::compare::Comparison;
use super::optimizer::{optimize, OptimizerSettings, Severity, Status};
use super::section::{AnalysisSection, OverallStatus};
use crate::gates::{default_gates, evaluate, Comparator, GateExpr, Gates, RegressionPolicy};
use crate::limits::Limits;
use crate::metric::Metric;
use crate::record::RunRecord;

/// Everything the verdict depends on besides the record: the gates (with the regression policy), the
/// acknowledgements and the side operations. Built from the config in one place (the runner's settings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JudgeSettings {
    /// The gates in force, incl. `regression = "fail" | "warn"` and the memory/CPU thresholds when configured.
    pub gates: Gates,
    /// The `[[acknowledge]]` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledgements: Vec<Acknowledgement>,
    /// Operations that run as a side effect of the schedule, not as the user's operations (`mcp.initialize`
    /// runs once per session): no default throughput gate, no throughput findings, and a p95 limit of their
    /// own (10 s) instead of the all-operations one. Error-rate gates still apply, and gates of their own
    /// (`[gates.operations]`) replace these defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub side_operations: Vec<String>,
}

impl Default for JudgeSettings {
    /// The [default gates](default_gates), no acknowledgement, no side operation.
    fn default() -> Self {
        Self::new(default_gates())
    }
}

impl JudgeSettings {
    /// Judges by `gates`, without acknowledgements or side operations.
    pub fn new(gates: Gates) -> Self {
        Self {
            gates,
            acknowledgements: Vec::new(),
            side_operations: Vec::new(),
        }
    }

    /// Adds `[[acknowledge]]` entries.
    pub fn with_acknowledgements(
        mut self,
        acks: impl IntoIterator<Item = Acknowledgement>,
    ) -> Self {
        self.acknowledgements.extend(acks);
        self
    }

    /// Adds side operations (e.g. `mcp.initialize`).
    pub fn with_side_operations<S: Into<String>>(
        mut self,
        operations: impl IntoIterator<Item = S>,
    ) -> Self {
        self.side_operations
            .extend(operations.into_iter().map(Into::into));
        self
    }

    /// The p95 limit, ms, of `operation` (`None`: of anything without gates of its own, such as a stress
    /// step): its own p95 gate, else the all-operations p95 gate, else the default 500 ms. The stress stop
    /// rule uses `p95_limit_ms(None)`.
    pub fn p95_limit_ms(&self, operation: Option<&str>) -> f64 {
        self.limits(operation).p95_ms
    }

    /// The p95, error-rate and throughput limits of `operation`, as [`p95_limit_ms`](Self::p95_limit_ms).
    /// A side operation has no throughput floor (`min_rps` 0) unless it has an rps gate of its own.
    pub fn limits(&self, operation: Option<&str>) -> Limits {
        self.gates_in_force().limits(operation)
    }

    /// The gates evaluated on a record: [`JudgeSettings::gates`], where a side operation without an rps
    /// gate of its own gets `rps >= 0` in place of the all-operations floor, and without a p95 gate of its
    /// own `p95 <= 10s` ([`limits::SIDE_OPERATION_P95_MS`](crate::limits::SIDE_OPERATION_P95_MS)) in place
    /// of the all-operations p95 gate.
    pub fn gates_in_force(&self) -> Gates {
        let mut gates = self.gates.clone();
        for op in &self.side_operations {
            if !gates.has_own(op, Metric::Rps) {
                gates = gates.with_operation(op, [GateExpr::new(Metric::Rps, Comparator::Ge, 0.0)]);
            }
            if !gates.has_own(op, Metric::P95) {
                gates = gates.with_operation(
                    op,
                    [GateExpr::new(
                        Metric::P95,
                        Comparator::Le,
                        crate::limits::SIDE_OPERATION_P95_MS,
                    )],
                );
            }
        }
        gates
    }

    /// The optimizer's settings: its targets are the gates in force, and side operations get no throughput
    /// findings.
    pub fn optimizer_settings(&self) -> OptimizerSettings {
        OptimizerSettings {
            side_operations: self.side_operations.clone(),
            ..OptimizerSettings::from_gates(&self.gates_in_force())
        }
    }
}

/// What [`judge`] decided, besides what it stored in `record.analysis`.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// pass, warn or fail (as stored in `record.analysis.status`). `fail` means exit code 1.
    pub status: OverallStatus,
    /// The comparison's notes as it arrived (which baseline was used, what was left out), for the caller to
    /// print; notes about acknowledgements are in [`Judgement::warnings_added`] and the stored comparison.
    pub notes: Vec<String>,
    /// What applying the acknowledgements did (rows acknowledged, expired and unused entries).
    pub acknowledgements: AckOutcome,
    /// Warnings this call added to `record.warnings` (expired acknowledgements); empty when the record
    /// already had them.
    pub warnings_added: Vec<String>,
}

impl Judgement {
    /// True when the run failed (a gate, a run without requests, or a regression under `regression = "fail"`).
    pub fn failed(&self) -> bool {
        self.status == OverallStatus::Fail
    }
}

/// Judges `record`: acknowledgements, gates, recommendations and the overall status, stored in
/// `record.analysis` (replacing an earlier judgement). `comparison` is the caller's comparison with a
/// baseline (a run, the branch's history or A/B trials), if any; `today` decides which acknowledgements are
/// still active (this crate never reads the clock).
pub fn judge(
    record: &mut RunRecord,
    settings: &JudgeSettings,
    mut comparison: Option<Comparison>,
    today: NaiveDate,
) -> Judgement {
    let notes = comparison
        .as_ref()
        .map(|c| c.notes.clone())
        .unwrap_or_default();
    let acknowledgements = match comparison.as_mut() {
        Some(c) => apply_acknowledgements(c, &settings.acknowledgements, today),
        None => AckOutcome {
            expired: settings
                .acknowledgements
                .iter()
                .filter(|a| !a.is_active(today))
                .cloned()
                .collect(),
            ..AckOutcome::default()
        },
    };
    let mut warnings_added = Vec::new();
    for ack in &acknowledgements.expired {
        let warning = format!(
            "acknowledgement for {}{} expired on {} ({}): remove it from perfgate.toml or extend `until`",
            ack.operation,
            ack.metric.map(|m| format!(" {m}")).unwrap_or_default(),
            ack.until,
            ack.reason
        );
        if !record.warnings.contains(&warning) {
            record.warnings.push(warning.clone());
            warnings_added.push(warning);
        }
    }
    let section = analyze(
        record,
        &settings.gates_in_force(),
        comparison,
        &settings.optimizer_settings(),
    );
    let status = section.status;
    record.analysis = Some(section);
    Judgement {
        status,
        notes,
        acknowledgements,
        warnings_added,
    }
}

/// Analyses a run: evaluates `gates`, runs the optimizer (with the comparison, when there is one) and decides
/// the overall status. The inner step of [`judge`](judge()), which derives `gates` and `settings` from one
/// [`JudgeSettings`] and applies acknowledgements first; call that instead.
///
/// Status rules: `fail` when a gate failed (including the `rps > 0` row of anything that completed no
/// request, see [`evaluate`]), or when an unacknowledged regression exists and
/// `gates.regression` is `fail`; else `warn` when a regression exists (acknowledged, or under `warn`), when an
/// operation is `warning`/`critical`, or when a run-level finding is `medium` or `high` (e.g. the runner was
/// saturated); else `pass`.
pub fn analyze(
    record: &RunRecord,
    gates: &Gates,
    comparison: Option<Comparison>,
    settings: &OptimizerSettings,
) -> AnalysisSection {
    let gate_results = evaluate(record, gates);
    let opt = optimize(record, comparison.as_ref(), settings);
    let mut status = OverallStatus::Pass;
    let mut reasons = Vec::new();
    let failed = gate_results
        .iter()
        .filter(|g| !g.passed && !g.not_evaluated)
        .count();
    if failed > 0 {
        status = OverallStatus::Fail;
        reasons.push(format!(
            "{failed} gate{} failed",
            if failed == 1 { "" } else { "s" }
        ));
    }
    if let Some(c) = &comparison {
        let counts = c.counts();
        let open = counts.regressed - counts.acknowledged;
        if open > 0 {
            let plural = if open == 1 { "" } else { "s" };
            match gates.regression {
                RegressionPolicy::Fail => {
                    status = OverallStatus::Fail;
                    reasons.push(format!("{open} regression{plural}"));
                }
                RegressionPolicy::Warn => {
                    status = status.max(OverallStatus::Warn);
                    reasons.push(format!("{open} regression{plural} (regression = \"warn\")"));
                }
            }
        }
        if counts.acknowledged > 0 {
            status = status.max(OverallStatus::Warn);
            reasons.push(format!(
                "{} acknowledged regression{}",
                counts.acknowledged,
                if counts.acknowledged == 1 { "" } else { "s" }
            ));
        }
    }
    let flagged = opt
        .operations
        .iter()
        .filter(|o| o.status != Status::Ok)
        .count();
    if flagged > 0 {
        status = status.max(OverallStatus::Warn);
        reasons.push(format!(
            "{flagged} operation{} with warnings",
            if flagged == 1 { "" } else { "s" }
        ));
    }
    for r in opt.run.iter().filter(|r| r.severity >= Severity::Medium) {
        status = status.max(OverallStatus::Warn);
        reasons.push(r.message.clone());
    }
    AnalysisSection {
        status,
        reasons,
        gates: gate_results,
        operations: opt.operations,
        recommendations: opt.run,
        comparison,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::{compare_runs, CompareSettings};
    use crate::analysis::optimizer::{RecommendationType, Severity, Status};
    use crate::record::{LoadSection, SystemSummary, TestType};
    use crate::test_support::{op, record_with};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ack(until: &str) -> Acknowledgement {
        Acknowledgement {
            operation: "a".into(),
            metric: None,
            reason: "known, #12".into(),
            until: day(until),
        }
    }

    #[test]
    fn defaults_are_the_framework_limits() {
        let s = JudgeSettings::default();
        assert_eq!(s.gates, default_gates());
        assert_eq!(s.p95_limit_ms(None), crate::limits::P95_MS);
        assert_eq!(s.limits(Some("x")), Limits::DEFAULT);
        let own = JudgeSettings::new(
            Gates::parse_all(&["p95 < 200ms"])
                .unwrap()
                .with_operation("export", ["p95 < 2s".parse().unwrap()]),
        );
        assert_eq!(own.p95_limit_ms(None), 200.0);
        assert_eq!(own.p95_limit_ms(Some("search")), 200.0);
        assert_eq!(own.p95_limit_ms(Some("export")), 2000.0);
    }

    #[test]
    fn a_healthy_run_passes_and_is_stored() {
        let mut rec = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        let j = judge(&mut rec, &JudgeSettings::default(), None, day("2026-12-01"));
        assert_eq!(j.status, OverallStatus::Pass);
        assert!(!j.failed());
        let a = rec.analysis.as_ref().unwrap();
        assert_eq!(a.status, OverallStatus::Pass, "{:?}", a.reasons);
        assert_eq!(a.gates.len(), 3);
    }

    #[test]
    fn acknowledgements_apply_and_expired_ones_warn_once() {
        let base = record_with(vec![op("a", 100.0, 100.0, 1000, 0)]);
        let mut head = record_with(vec![op("a", 145.0, 100.0, 1000, 0)]);
        let mut c = compare_runs(&base, &head, &CompareSettings::default());
        c.notes.push("compared with the run of 0123456".into());
        let active = JudgeSettings::default().with_acknowledgements([ack("2026-12-31")]);
        let j = judge(&mut head, &active, Some(c.clone()), day("2026-12-01"));
        assert_eq!(j.status, OverallStatus::Warn, "{:?}", head.analysis);
        assert_eq!(
            j.notes,
            vec!["compared with the run of 0123456".to_string()]
        );
        assert!(j.acknowledgements.applied > 0);
        assert!(j.warnings_added.is_empty() && head.warnings.is_empty());

        // The same entry after its date: the regression fails again, and the record says why, once.
        let expired = JudgeSettings::default().with_acknowledgements([ack("2026-11-30")]);
        let j = judge(&mut head, &expired, Some(c.clone()), day("2026-12-01"));
        assert_eq!(j.status, OverallStatus::Fail);
        assert_eq!(j.warnings_added.len(), 1);
        assert!(
            head.warnings[0].contains("expired on 2026-11-30"),
            "{:?}",
            head.warnings
        );
        let again = judge(&mut head, &expired, Some(c), day("2026-12-01"));
        assert!(again.warnings_added.is_empty());
        assert_eq!(head.warnings.len(), 1);
        // Without a comparison, an expired entry still warns.
        let mut other = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        judge(&mut other, &expired, None, day("2026-12-01"));
        assert_eq!(other.warnings.len(), 1);
    }

    #[test]
    fn regressions_follow_the_policy_in_the_gates() {
        let base = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        let mut head = record_with(vec![op("a", 13.0, 100.0, 1000, 0)]);
        let c = compare_runs(&base, &head, &CompareSettings::default());
        let mut warn = JudgeSettings::default();
        warn.gates.regression = crate::gates::RegressionPolicy::Warn;
        let j = judge(&mut head, &warn, Some(c.clone()), day("2026-12-01"));
        assert_eq!(j.status, OverallStatus::Warn);
        let j = judge(
            &mut head,
            &JudgeSettings::default(),
            Some(c),
            day("2026-12-01"),
        );
        assert_eq!(j.status, OverallStatus::Fail);
        assert!(head.analysis.unwrap().comparison.is_some());
    }

    #[test]
    fn a_side_operation_has_no_throughput_floor_nor_throughput_findings() {
        let init = op("mcp.initialize", 20.0, 0.5, 4, 0);
        let mut rec = record_with(vec![op("tool", 10.0, 100.0, 1000, 0), init]);
        let plain = judge(
            &mut rec.clone(),
            &JudgeSettings::default(),
            None,
            day("2026-12-01"),
        );
        assert_eq!(plain.status, OverallStatus::Fail);

        let s = JudgeSettings::default().with_side_operations(["mcp.initialize"]);
        assert_eq!(s.limits(Some("mcp.initialize")).min_rps, 0.0);
        assert_eq!(s.limits(Some("tool")).min_rps, crate::limits::MIN_RPS);
        let j = judge(&mut rec, &s, None, day("2026-12-01"));
        let a = rec.analysis.unwrap();
        assert_eq!(j.status, OverallStatus::Pass, "{:?}", a.reasons);
        let init = a
            .operations
            .iter()
            .find(|o| o.operation == "mcp.initialize")
            .unwrap();
        assert_eq!(init.status, Status::Ok);
        assert!(init
            .recommendations
            .iter()
            .all(|r| r.kind != RecommendationType::Throughput));
        // Its own rps gate still counts.
        let own = JudgeSettings::new(
            default_gates().with_operation("mcp.initialize", ["rps >= 1".parse().unwrap()]),
        )
        .with_side_operations(["mcp.initialize"]);
        assert_eq!(own.limits(Some("mcp.initialize")).min_rps, 1.0);
    }

    #[test]
    fn a_side_operation_has_its_own_latency_limit_not_the_all_operations_one() {
        // A Node MCP server starts a session in ~1.6 s: not a failed quick look.
        let s = JudgeSettings::default().with_side_operations(["mcp.initialize"]);
        assert_eq!(
            s.p95_limit_ms(Some("mcp.initialize")),
            crate::limits::SIDE_OPERATION_P95_MS
        );
        assert_eq!(s.p95_limit_ms(Some("tool")), crate::limits::P95_MS);
        let mut slow_start = record_with(vec![
            op("tool", 10.0, 100.0, 1000, 0),
            op("mcp.initialize", 1600.0, 0.5, 4, 0),
        ]);
        let j = judge(&mut slow_start, &s, None, day("2026-12-01"));
        assert_eq!(j.status, OverallStatus::Pass, "{:?}", slow_start.analysis);
        // A server that never answers its session start still fails it.
        let mut hung = record_with(vec![
            op("tool", 10.0, 100.0, 1000, 0),
            op("mcp.initialize", 20_000.0, 0.5, 4, 0),
        ]);
        assert!(judge(&mut hung, &s, None, day("2026-12-01")).failed());
        // Its own gate replaces the default.
        let own = JudgeSettings::new(
            default_gates().with_operation("mcp.initialize", ["p95 < 1s".parse().unwrap()]),
        )
        .with_side_operations(["mcp.initialize"]);
        assert_eq!(own.p95_limit_ms(Some("mcp.initialize")), 1000.0);
    }

    #[test]
    fn the_optimizer_targets_are_the_gates_in_force() {
        // `p95 < 5s` on a 900 ms operation passes: no "above the 500 ms target", no advice to add that gate.
        let mut rec = record_with(vec![op("export", 600.0, 20.0, 100, 0)]);
        let s = JudgeSettings::new(
            default_gates().with_operation("export", ["p95 < 5s".parse().unwrap()]),
        );
        let j = judge(&mut rec, &s, None, day("2026-12-01"));
        let a = rec.analysis.unwrap();
        assert_eq!(j.status, OverallStatus::Pass, "{:?}", a.reasons);
        let export = &a.operations[0];
        assert!(
            export
                .recommendations
                .iter()
                .all(|r| r.severity < Severity::Medium && !r.message.contains("target")),
            "{:?}",
            export.recommendations
        );
    }

    #[test]
    fn zero_requests_fail_the_run_even_without_gates() {
        let mut rec = record_with(vec![]);
        rec.benchmark = None;
        rec.load = Some(LoadSection {
            concurrent_users: 20000,
            system: SystemSummary::default(),
            ..Default::default()
        });
        let j = judge(
            &mut rec,
            &JudgeSettings::new(Gates::new()),
            None,
            day("2026-12-01"),
        );
        assert_eq!(j.status, OverallStatus::Fail);
        let a = rec.analysis.unwrap();
        let g = a.failed_gates().next().unwrap();
        assert_eq!(g.test_type, TestType::Load);
        assert!(g.message.contains("no request completed"), "{}", g.message);
        assert!(a.reasons[0].contains("1 gate failed"), "{:?}", a.reasons);
    }

    #[test]
    fn status_follows_gates_regressions_and_policy() {
        let base = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        let ok = analyze(&base, &default_gates(), None, &OptimizerSettings::default());
        assert_eq!(ok.status, OverallStatus::Pass, "{:?}", ok.reasons);

        let slow = record_with(vec![op("a", 400.0, 100.0, 1000, 0)]);
        let a = analyze(&slow, &default_gates(), None, &OptimizerSettings::default());
        assert_eq!(a.status, OverallStatus::Fail);
        assert_eq!(a.failed_gates().count(), 1);
        assert!(a.reasons[0].contains("1 gate failed"));

        let head = record_with(vec![op("a", 13.0, 100.0, 1000, 0)]);
        let c = compare_runs(&base, &head, &CompareSettings::default());
        let a = analyze(
            &head,
            &default_gates(),
            Some(c.clone()),
            &OptimizerSettings::default(),
        );
        assert_eq!(a.status, OverallStatus::Fail, "{:?}", a.reasons);
        let mut warn_only = default_gates();
        warn_only.regression = RegressionPolicy::Warn;
        let a = analyze(&head, &warn_only, Some(c), &OptimizerSettings::default());
        assert_eq!(a.status, OverallStatus::Warn, "{:?}", a.reasons);
    }

    #[test]
    fn the_section_round_trips_inside_a_record() {
        let mut rec = record_with(vec![op("a", 10.0, 100.0, 1000, 0)]);
        let base = rec.clone();
        let c = compare_runs(&base, &rec, &CompareSettings::default());
        rec.analysis = Some(analyze(
            &rec,
            &default_gates(),
            Some(c),
            &OptimizerSettings::default(),
        ));
        let bytes = rec.to_json_pretty();
        let back = RunRecord::from_json_slice(&bytes, "x.json").unwrap();
        assert_eq!(back, rec);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["analysis"]["status"], "pass");
        assert_eq!(v["analysis"]["operations"][0]["status"], "ok");
        assert_eq!(v["analysis"]["gates"][0]["gate"], "p95 <= 500ms");
    }
}

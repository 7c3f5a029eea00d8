//! The optimizer: per operation a status and recommendations that follow the evidence in the run record.
//!
//! This is the original framework's `PerformanceOptimizer`, kept in shape (`status` ok|warning|critical,
//! `recommendations[{type, severity, message, suggestions[]}]`, types latency, throughput, errors, memory, cpu,
//! generator) but not in its habit of printing a fixed list. Each suggestion is chosen by what the record shows:
//!
//! * timeouts that start at a concurrency level (stress steps, load users) → pools and timeouts;
//! * connection errors → listen backlog, connection limits, file descriptors;
//! * 4xx → the test's request is wrong, not the service slow;
//! * p99 far above p50 (and at least 10 ms) → queuing when latency rises with concurrency, periodic stalls when
//!   the per-second p99 spikes, slow paths when requests run one at a time; a tail inside the p95 target is
//!   informational;
//! * high latency with high CPU → CPU-bound (profile); with low CPU → waiting (downstream, locks, pools); on a
//!   host at ≥ 90 % CPU or a saturated runner → the machine or the generator first;
//! * memory rising over the load timeline without levelling off → a leak or an unbounded cache;
//! * throughput flat while stress concurrency rises → the service's capacity was reached;
//! * the runner saturated, or open-model starts late → the numbers are the generator's: add shards; the host's
//!   CPU at ≥ 90 % → the machine's.
//!
//! Limits follow the configuration ([`OptimizerSettings`]): an operation's p95 target is its own gate, else
//! the all-operations gate, else the default; a failing gate always gets a recommendation; memory and CPU are
//! judged only against a configured threshold, and once per phase, not once per operation.
//!
//! With a comparison, every unacknowledged regression becomes a recommendation ("P95 latency increased by
//! 45% (120 ms → 174 ms)"), with the same evidence-led suggestions.
//!
//! Files: `settings` (what an operation is held to), `context` (the record around an operation),
//! `operation` (its findings), `comparison` (regressions as findings), `run` (findings about the whole run).
//!
//! A status is `critical` when any recommendation of the operation is `high`, `warning` when any is `medium`,
//! `ok` otherwise (`low` ones are informational).

mod comparison;
mod context;
mod operation;
mod run;
mod settings;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::section::{OperationAnalysis, Recommendation, RecommendationType, Severity, Status};
pub use comparison::format_p;
pub use run::memory_leak_finding;
pub use settings::{OptimizerSettings, HOST_SATURATED_PERCENT};

use crate::analysis::compare::{Comparison, Verdict};
use crate::record::{RunRecord, TestType};
use context::{Context, RegressedRows};
use operation::{
    error_findings, gate_findings, latency_findings, no_request_finding, throughput_findings,
};
use run::{generator_findings, stress_findings, ResourceFindings};

/// The optimizer's findings for one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Optimization {
    /// One entry per benchmark and load operation.
    pub operations: Vec<OperationAnalysis>,
    /// Findings about the run as a whole (the generator, memory over the load timeline, the stress curve).
    pub run: Vec<Recommendation>,
}

/// Derives a status from recommendations.
pub fn status_of(recs: &[Recommendation]) -> Status {
    match recs.iter().map(|r| r.severity).max() {
        Some(Severity::High) => Status::Critical,
        Some(Severity::Medium) => Status::Warning,
        _ => Status::Ok,
    }
}

/// Analyses `record` (and the comparison, when there is one) into per-operation and run-level findings.
pub fn optimize(
    record: &RunRecord,
    comparison: Option<&Comparison>,
    settings: &OptimizerSettings,
) -> Optimization {
    let mut operations = Vec::new();
    // Regressed rows by operation, so a suite of thousands of operations stays linear.
    let mut regressed: RegressedRows<'_> = BTreeMap::new();
    for r in comparison.iter().flat_map(|c| c.rows.iter()) {
        if r.verdict == Verdict::Regressed {
            regressed
                .entry((r.test_type, r.operation.as_str()))
                .or_default()
                .push(r);
        }
    }
    let mut resources = ResourceFindings::default();
    for (test_type, op) in record.operations().filter(|(t, _)| *t != TestType::Stress) {
        let ctx = Context::new(record, test_type);
        let targets = settings.targets(&op.operation_name);
        let mut recs = Vec::new();
        if op.total_requests == 0 {
            recs.push(no_request_finding(&ctx));
            operations.push(OperationAnalysis {
                test_type,
                operation: op.operation_name.clone(),
                status: status_of(&recs),
                recommendations: recs,
            });
            continue;
        }
        let mut explained = Vec::new();
        latency_findings(op, &ctx, &targets, settings, &mut recs, &mut explained);
        error_findings(op, &ctx, &targets, &mut recs, &mut explained);
        throughput_findings(op, &ctx, &targets, &mut recs, &mut explained);
        explained.extend(resources.add(test_type, op, &targets));
        gate_findings(op, &ctx, &targets, &explained, &mut recs);
        if let Some(c) = comparison {
            comparison::comparison_findings(
                op, test_type, c, &regressed, &ctx, &targets, &mut recs,
            );
        }
        operations.push(OperationAnalysis {
            test_type,
            operation: op.operation_name.clone(),
            status: status_of(&recs),
            recommendations: recs,
        });
    }
    let mut run = Vec::new();
    let troubled = operations.iter().any(|o| o.status != Status::Ok);
    generator_findings(record, troubled, &mut run);
    run.extend(resources.into_recommendations());
    if let Some(load) = &record.load {
        if let Some(r) = memory_leak_finding(load) {
            run.push(r);
        }
    }
    if let Some(stress) = &record.stress {
        stress_findings(stress, &mut run);
    }
    Optimization { operations, run }
}

//! Gates applied to a run record: one [`GateResult`] per gate and operation, plus the rule that anything
//! which completed no request fails.

use super::expr::GateExpr;
use super::set::Gates;
use crate::analysis::section::{Comparator, GateResult};
use crate::metric::Metric;
use crate::record::{RunRecord, TestType};

/// Evaluates `gates` on every benchmark and load operation of `record` (stress steps are not gated).
///
/// Whatever the gates, a run must complete requests: an operation, a stress step or a whole run that
/// completed none fails with one row `rps > 0` ("no request completed") in place of its gates — with no
/// request there is nothing to check them on, and a gate that cannot be checked does not pass silently.
pub fn evaluate(record: &RunRecord, gates: &Gates) -> Vec<GateResult> {
    let mut out = Vec::new();
    for (test_type, op) in record.operations().filter(|(t, _)| *t != TestType::Stress) {
        if op.total_requests == 0 {
            out.push(no_request(
                test_type,
                &op.operation_name,
                "no request completed",
            ));
            continue;
        }
        for expr in gates.for_operation(&op.operation_name) {
            let actual = expr.metric.value(op);
            let passed = actual.is_some_and(|a| expr.passes(a));
            // A gate on memory or CPU that was not measured is neither a pass nor a failure of the service.
            let not_evaluated = actual.is_none() && expr.metric.is_resource();
            let message = match actual {
                None if not_evaluated => format!(
                    "{}: {}, not evaluated ({})",
                    expr.metric.key(),
                    crate::render::words::NOT_MEASURED,
                    expr
                ),
                Some(a) => format!(
                    "{} = {}, {} {}",
                    expr.metric.key(),
                    expr.metric.format_value(a),
                    if passed { "passes" } else { "fails" },
                    expr
                ),
                None => format!(
                    "{}: no value (no request completed), fails {}",
                    expr.metric.key(),
                    expr
                ),
            };
            out.push(GateResult {
                test_type,
                operation: op.operation_name.clone(),
                gate: expr.to_string(),
                metric: expr.metric,
                comparator: expr.comparator,
                limit: expr.limit,
                actual,
                passed,
                not_evaluated,
                message,
            });
        }
    }
    for step in record.stress.iter().flat_map(|s| &s.steps) {
        if step.total_requests == 0 && step.operations.iter().all(|o| o.total_requests == 0) {
            out.push(no_request(
                TestType::Stress,
                ALL_OPERATIONS,
                &format!(
                    "no request completed at {} concurrent users",
                    step.concurrency
                ),
            ));
        }
    }
    if out.iter().all(|g| g.passed) && completed_requests(record) == 0 {
        let test_type = if record.load.is_some() {
            TestType::Load
        } else if record.benchmark.is_some() {
            TestType::Benchmark
        } else if record.stress.is_some() {
            TestType::Stress
        } else {
            match record.test_type.as_str() {
                "load" => TestType::Load,
                "stress" => TestType::Stress,
                _ => TestType::Benchmark,
            }
        };
        out.push(no_request(
            test_type,
            ALL_OPERATIONS,
            "no request completed in the whole run",
        ));
    }
    out
}

/// The operation name of rows about a whole phase or run.
pub const ALL_OPERATIONS: &str = "(all)";

/// Requests completed by every schedule of `record` (successes and failures).
pub fn completed_requests(record: &RunRecord) -> u64 {
    let bench: u64 = record
        .benchmark
        .iter()
        .flat_map(|b| &b.operations)
        .map(|o| o.total_requests)
        .sum();
    let load = record.load.as_ref().map_or(0, |l| {
        l.overall
            .total_requests
            .max(l.operations.iter().map(|o| o.total_requests).sum())
    });
    let stress: u64 = record
        .stress
        .iter()
        .flat_map(|s| &s.steps)
        .map(|st| {
            st.total_requests
                .max(st.operations.iter().map(|o| o.total_requests).sum())
        })
        .sum();
    bench + load + stress
}

/// The failed row of something that completed no request.
fn no_request(test_type: TestType, operation: &str, why: &str) -> GateResult {
    let expr = GateExpr::new(Metric::Rps, Comparator::Gt, 0.0);
    GateResult {
        test_type,
        operation: operation.to_string(),
        gate: expr.to_string(),
        metric: expr.metric,
        comparator: expr.comparator,
        limit: expr.limit,
        actual: None,
        passed: false,
        not_evaluated: false,
        message: format!("{why}, fails {expr}"),
    }
}

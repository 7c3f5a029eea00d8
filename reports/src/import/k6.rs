//! A k6 summary export as a run record.
//!
//! Reads `k6 run --summary-export=FILE` (the flat legacy format: `metrics.http_req_duration.{avg, min, med,
//! max, p(90), p(95)}`) and the JSON `handleSummary()` receives (the same numbers under `…values`). Times are
//! milliseconds. `http_reqs.count` is the number of requests and `http_req_failed.passes` the number that
//! failed (a "pass" of that rate metric is a `true`, i.e. a failure). `p(99)` and `p(99.9)` are only present
//! when `--summary-trend-stats` asked for them; otherwise they stay "not measured" and a warning says how to
//! get them. k6 does not say which executor ran; dropped iterations (only arrival-rate executors drop)
//! mark the run as an open-model test.

use serde_json::Value;

use crate::histogram::round3;
use crate::record::{LatencyMs, OperationResult, RunRecord};

use super::{load_record, num, parse, ImportContext, ImportError, Imported};

/// The numbers of one k6 metric, whichever of the two layouts the file uses.
fn metric<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let m = v.get("metrics")?.get(name)?;
    Some(m.get("values").filter(|x| x.is_object()).unwrap_or(m))
}

/// Converts a k6 summary export into a `load` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let shape = |what: &str| ImportError::Shape {
        path: ctx.source.clone(),
        what: format!("{what} — is this a k6 summary export (k6 run --summary-export=FILE)?"),
    };
    if !v.get("metrics").is_some_and(Value::is_object) {
        return Err(shape("no \"metrics\" object"));
    }
    let duration = metric(&v, "http_req_duration")
        .ok_or_else(|| shape("no metrics.http_req_duration (did the test make HTTP requests?)"))?;
    let reqs = metric(&v, "http_reqs").ok_or_else(|| shape("no metrics.http_reqs"))?;
    let total =
        num(reqs, &["count"]).ok_or_else(|| shape("no number at metrics.http_reqs.count"))? as u64;
    let rate = num(reqs, &["rate"]).unwrap_or(0.0);
    let failed = metric(&v, "http_req_failed")
        .and_then(|m| num(m, &["passes"]))
        .unwrap_or(0.0) as u64;
    let failed = failed.min(total);
    let ms = |key: &str| num(duration, &[key]).map_or(0.0, round3);
    let mut warnings = Vec::new();
    if num(duration, &["p(99)"]).is_none() {
        warnings.push(
            "k6 reported no p(99): add --summary-trend-stats=\"avg,min,med,max,p(90),p(95),p(99),p(99.9)\""
                .to_string(),
        );
    }
    let latency_ms = LatencyMs {
        min: ms("min"),
        max: ms("max"),
        p50: ms("med"),
        p90: ms("p(90)"),
        p95: ms("p(95)"),
        p99: ms("p(99)"),
        p999: ms("p(99.9)"),
        avg: ms("avg"),
        stddev: 0.0,
    };
    let seconds = if rate > 0.0 { total as f64 / rate } else { 0.0 };
    let users = metric(&v, "vus_max")
        .or_else(|| metric(&v, "vus"))
        .and_then(|m| num(m, &["max"]).or_else(|| num(m, &["value"])))
        .unwrap_or(f64::from(ctx.concurrency.unwrap_or(0))) as u32;
    let dropped = metric(&v, "dropped_iterations")
        .and_then(|m| num(m, &["count"]))
        .map(|c| c as u64);
    let op = OperationResult {
        operation_name: ctx.operation.clone(),
        total_requests: total,
        successful_requests: total - failed,
        failed_requests: failed,
        latency_ms,
        throughput_rps: round3(rate),
        success_rate_percent: if total == 0 {
            0.0
        } else {
            round3((total - failed) as f64 * 100.0 / total as f64)
        },
        errors: if failed > 0 {
            [("http_failed".to_string(), failed)].into_iter().collect()
        } else {
            Default::default()
        },
        error_samples: if failed > 0 {
            vec!["k6 http_req_failed: status outside expected_response, or no response".into()]
        } else {
            vec![]
        },
        duration_seconds: round3(seconds),
        ..Default::default()
    };
    load_record(
        ctx,
        Imported {
            tool: "k6",
            op,
            model: if dropped.is_some() { "open" } else { "closed" },
            duration_seconds: seconds,
            concurrent_users: users,
            dropped_starts: dropped.unwrap_or(0),
            warnings,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::series_value;
    use crate::import::test_ctx::{ctx, sample};
    use crate::metric::Metric;

    #[test]
    fn reads_a_real_k6_summary_export() {
        let rec = import(&sample("k6-summary-export-real.json"), &ctx("k6.json")).expect("imports");
        let load = rec.load.as_ref().expect("load");
        let op = &load.operations[0];
        assert_eq!(op.total_requests, 1597);
        assert_eq!(op.failed_requests, 0);
        assert_eq!(op.latency_ms.p50, 2.969);
        assert_eq!(op.latency_ms.p95, 11.388);
        assert_eq!(op.latency_ms.max, 60.209);
        assert_eq!(op.throughput_rps, 531.653);
        assert_eq!(load.concurrent_users, 17);
        assert_eq!(load.dropped_starts, 7);
        assert_eq!(load.model, "open");
        assert!(
            (load.duration_seconds - 3.004).abs() < 0.001,
            "{}",
            load.duration_seconds
        );
        // p(99) was not exported: not measured, not zero.
        assert_eq!(series_value(Metric::P99, op), None);
        assert_eq!(series_value(Metric::P95, op), Some(11.388));
        assert_eq!(series_value(Metric::CpuPercent, op), None);
        assert!(rec.warnings.iter().any(|w| w.contains("p(99)")));
        RunRecord::from_json_slice(&rec.to_json_pretty(), "x").expect("valid record");
    }

    #[test]
    fn reads_handle_summary_layout_and_failures() {
        let json = br#"{"metrics": {
            "http_req_duration": {"type": "trend", "contains": "time", "values": {"avg": 5, "min": 1, "med": 4, "max": 50, "p(90)": 9, "p(95)": 12, "p(99)": 30}},
            "http_reqs": {"type": "counter", "values": {"count": 1000, "rate": 100}},
            "http_req_failed": {"type": "rate", "values": {"rate": 0.02, "passes": 20, "fails": 980}},
            "vus": {"type": "gauge", "values": {"value": 1, "min": 1, "max": 25}}
        }}"#;
        let rec = import(json, &ctx("summary.json")).expect("imports");
        let load = rec.load.as_ref().expect("load");
        let op = &load.operations[0];
        assert_eq!((op.total_requests, op.failed_requests), (1000, 20));
        assert_eq!(op.latency_ms.p99, 30.0);
        assert_eq!(op.success_rate_percent, 98.0);
        assert_eq!(load.concurrent_users, 25);
        assert_eq!(load.model, "closed");
        assert_eq!(load.duration_seconds, 10.0);
        assert!(!rec.warnings.iter().any(|w| w.contains("p(99)")));
    }

    #[test]
    fn other_files_are_named_errors() {
        let err = import(&sample("oha-output.json"), &ctx("oha.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("oha.json: no \"metrics\" object"),
            "{err}"
        );
        let err = import(br#"{"metrics": {"vus": {"max": 1}}}"#, &ctx("k.json")).unwrap_err();
        assert!(err.to_string().contains("http_req_duration"), "{err}");
    }

    #[test]
    fn a_rate_that_implies_an_endless_test_is_a_named_error() {
        let json = br#"{"metrics": {"http_req_duration": {"avg": 1}, "http_reqs": {"count": 1e18, "rate": 1e-300}}}"#;
        let err = import(json, &ctx("k.json")).unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}

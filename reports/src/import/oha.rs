//! oha's JSON output (`oha --output-format json`, or `-j` before 1.10) as a run record.
//!
//! Both shapes in use are read: 1.8 (`summary`, `latencyPercentiles`, `statusCodeDistribution`,
//! `errorDistribution`) and 1.16, which adds `metrics.latency_ms` and first-byte fields — the common keys are
//! the same, so one reader serves both. Times in oha's output are seconds.
//!
//! Counting follows perfgate, not oha: a request counts when it completed; 2xx responses are successes,
//! other statuses and connection errors are failures (by kind). Requests oha cut off at the end of a `-z`
//! run ("aborted due to deadline") never completed, so they are not counted — oha's own `requestsPerSec`
//! includes them, so the imported throughput (completed / duration) is slightly lower; a warning says by how
//! many.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::histogram::round3;
use crate::record::{LatencyMs, OperationResult, RunRecord};

use super::{error_kind, load_record, num, parse, ImportContext, ImportError, Imported};

const DEADLINE: &str = "aborted due to deadline";

/// Converts oha JSON output into a `load` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let shape = |what: &str| ImportError::Shape {
        path: ctx.source.clone(),
        what: format!("{what} — is this oha's JSON output (oha --output-format json)?"),
    };
    if !v.get("summary").is_some_and(Value::is_object) {
        return Err(shape("no \"summary\" object"));
    }
    let duration =
        num(&v, &["summary", "total"]).ok_or_else(|| shape("no number at summary.total"))?;
    let statuses = counts(&v, "statusCodeDistribution").map_err(|k| shape(&k))?;
    let errors_by_message = counts(&v, "errorDistribution").map_err(|k| shape(&k))?;

    let overflow = || shape("the request counts overflow a 64-bit count");
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut successes = 0u64;
    for (code, n) in &statuses {
        let kind = match code.parse::<u16>() {
            Ok(200..=299) => {
                successes = successes.checked_add(*n).ok_or_else(overflow)?;
                continue;
            }
            Ok(400..=499) => "http_4xx",
            Ok(500..=599) => "http_5xx",
            _ => "http_status",
        };
        add(&mut errors, kind, *n).ok_or_else(overflow)?;
    }
    let mut warnings = Vec::new();
    let mut samples = Vec::new();
    for (message, n) in &errors_by_message {
        if message == DEADLINE {
            warnings.push(format!(
                "{n} request(s) oha aborted at the end of the run were not counted (oha's requestsPerSec counts them)"
            ));
            continue;
        }
        add(&mut errors, error_kind(message), *n).ok_or_else(overflow)?;
        if samples.len() < 5 {
            samples.push(message.clone());
        }
    }
    let failed = errors
        .values()
        .try_fold(0u64, |sum, n| sum.checked_add(*n))
        .ok_or_else(overflow)?;
    let total = successes.checked_add(failed).ok_or_else(overflow)?;
    let secs = |path: &[&str]| num(&v, path).map_or(0.0, |s| round3(s * 1000.0));
    let pct = |key: &str| secs(&["latencyPercentiles", key]);
    let latency_ms = LatencyMs {
        min: secs(&["summary", "fastest"]),
        max: secs(&["summary", "slowest"]),
        p50: pct("p50"),
        p90: pct("p90"),
        p95: pct("p95"),
        p99: pct("p99"),
        p999: pct("p99.9"),
        avg: secs(&["summary", "average"]),
        stddev: 0.0,
    };
    if v.get("latencyPercentiles").is_none() {
        warnings.push("oha reported no latency percentiles".into());
    }
    let op = OperationResult {
        operation_name: ctx.operation.clone(),
        total_requests: total,
        successful_requests: successes,
        failed_requests: failed,
        latency_ms,
        throughput_rps: if duration > 0.0 {
            round3(total as f64 / duration)
        } else {
            0.0
        },
        success_rate_percent: if total == 0 {
            0.0
        } else {
            round3(successes as f64 * 100.0 / total as f64)
        },
        errors,
        error_samples: samples,
        duration_seconds: round3(duration),
        ..Default::default()
    };
    load_record(
        ctx,
        Imported {
            tool: "oha",
            op,
            model: "closed",
            duration_seconds: duration,
            concurrent_users: ctx.concurrency.unwrap_or(0),
            dropped_starts: 0,
            warnings,
        },
    )
}

/// Adds `n` to the count of `kind`; `None` on overflow.
fn add(errors: &mut BTreeMap<String, u64>, kind: &str, n: u64) -> Option<()> {
    let count = errors.entry(kind.to_string()).or_default();
    *count = count.checked_add(n)?;
    Some(())
}

/// A `{ "key": count }` object (absent means empty).
fn counts(v: &Value, key: &str) -> Result<BTreeMap<String, u64>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, n)| {
                n.as_f64()
                    .filter(|x| *x >= 0.0 && x.fract() == 0.0)
                    .map(|x| (k.clone(), x as u64))
                    .ok_or_else(|| format!("{key}.{k} is not a count"))
            })
            .collect(),
        Some(_) => Err(format!("{key} is not an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::{ctx, sample};

    #[test]
    fn reads_oha_1_8_output() {
        let rec = import(&sample("oha-output.json"), &ctx("oha-output.json")).expect("imports");
        let load = rec.load.as_ref().expect("load section");
        let op = &load.operations[0];
        assert_eq!(op.operation_name, "get_root");
        // 3175 responses, all 200; 20 requests aborted at the deadline are not counted.
        assert_eq!(
            (
                op.total_requests,
                op.successful_requests,
                op.failed_requests
            ),
            (3175, 3175, 0)
        );
        assert_eq!(op.latency_ms.p50, 11.042);
        assert_eq!(op.latency_ms.p99, 43.48);
        assert_eq!(op.latency_ms.p999, 8207.158);
        assert_eq!(op.latency_ms.min, 2.435);
        assert_eq!(op.latency_ms.max, 8238.461);
        assert!((op.throughput_rps - 3175.0 / 10.002234488).abs() < 0.01);
        assert_eq!(load.duration_seconds, 10.002);
        assert!(
            rec.warnings
                .iter()
                .any(|w| w.starts_with("20 request(s) oha aborted")),
            "{:?}",
            rec.warnings
        );
        assert_eq!(
            rec.finished_at - rec.started_at,
            chrono::Duration::milliseconds(10_002)
        );
        // The imported record is a valid record.
        let back = RunRecord::from_json_slice(&rec.to_json_pretty(), "x").expect("round trip");
        assert_eq!(back, rec);
    }

    #[test]
    fn reads_oha_1_16_output_with_errors() {
        let mut c = ctx("oha-1.16-output.json");
        c.concurrency = Some(50);
        let rec = import(&sample("oha-1.16-output.json"), &c).expect("imports");
        let load = rec.load.as_ref().expect("load");
        let op = &load.operations[0];
        assert_eq!(op.total_requests, 657_431);
        assert_eq!(load.concurrent_users, 50);
        assert_eq!(op.latency_ms.p95, 0.738);
        assert_eq!(op.latency_ms.p99, 4.272);
        assert!((op.throughput_rps - 657_431.0 / 5.002958104).abs() < 0.01);
        assert_eq!(load.overall.total_requests, op.total_requests);
    }

    #[test]
    fn statuses_and_errors_become_perfgate_error_kinds() {
        let json = br#"{"summary": {"successRate": 0.9, "total": 2.0, "slowest": 0.5, "fastest": 0.001, "average": 0.01},
            "latencyPercentiles": {"p50": 0.01, "p90": 0.02, "p95": 0.03, "p99": 0.04, "p99.9": 0.05},
            "statusCodeDistribution": {"200": 90, "404": 3, "503": 4, "302": 1},
            "errorDistribution": {"connection refused (os error 111)": 2, "aborted due to deadline": 5, "timeout": 1}}"#;
        let rec = import(json, &ctx("t.json")).expect("imports");
        let op = &rec.load.as_ref().expect("load").operations[0];
        assert_eq!(op.total_requests, 101);
        assert_eq!(op.failed_requests, 11);
        assert_eq!(op.errors["http_4xx"], 3);
        assert_eq!(op.errors["http_5xx"], 4);
        assert_eq!(op.errors["http_status"], 1);
        assert_eq!(op.errors["connect"], 2);
        assert_eq!(op.errors["timeout"], 1);
        assert_eq!(op.throughput_rps, 50.5);
    }

    #[test]
    fn other_files_are_named_errors() {
        let err = import(b"{\"metrics\": {}}", &ctx("k6.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("k6.json: no \"summary\" object"),
            "{err}"
        );
        let err = import(b"not json", &ctx("x.json")).unwrap_err();
        assert!(
            err.to_string().starts_with("x.json: not valid JSON"),
            "{err}"
        );
        let err = import(
            br#"{"summary": {"total": 1}, "statusCodeDistribution": {"200": "x"}}"#,
            &ctx("y.json"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("statusCodeDistribution.200"),
            "{err}"
        );
    }

    #[test]
    fn out_of_range_durations_and_counts_are_named_errors_not_panics() {
        // The fuzzed input that panicked in `DateTime + Duration`: a total of 1e300 seconds.
        for total in ["1e300", "-5", "1e16"] {
            let json = format!(
                r#"{{"summary": {{"total": {total}}}, "statusCodeDistribution": {{"200": 1}}}}"#
            );
            let err = import(json.as_bytes(), &ctx("o.json")).unwrap_err();
            assert!(
                err.to_string().starts_with("o.json: the test's duration")
                    && err.to_string().contains("out of range"),
                "{total}: {err}"
            );
        }
        let json =
            br#"{"summary": {"total": 1}, "statusCodeDistribution": {"200": 1e19, "201": 1e19}}"#;
        let err = import(json, &ctx("o.json")).unwrap_err();
        assert!(err.to_string().contains("overflow"), "{err}");
    }
}

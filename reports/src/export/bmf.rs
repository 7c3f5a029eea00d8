//! Bencher Metric Format (BMF): `{ "<benchmark>": { "<measure>": { "value", "lower_value", "upper_value" } } }`.
//!
//! Latencies go to Bencher's built-in `latency` measure (nanoseconds: the mean, with min and max as its
//! bounds) and to `latency-p50`, `latency-p95`, `latency-p99` (nanoseconds); throughput to the built-in
//! `throughput` measure (operations per second); plus `error-rate` (%), and `memory` (MB) and `cpu` (%) when
//! they were measured, and `bytes-per-op` and `allocs-per-op` when a microbenchmark harness reported them.
//! Bencher creates measures it does not know by their slug.
//! See <https://bencher.dev/docs/reference/bencher-metric-format>.

use serde_json::{json, Map, Value};

use crate::history::series_value;
use crate::metric::Metric;
use crate::record::RunRecord;

use super::names::exported_operations;

const NS_PER_MS: f64 = 1_000_000.0;

/// The BMF object of a run.
pub fn to_bmf(record: &RunRecord) -> Value {
    let mut benchmarks = Map::new();
    for (name, m) in exported_operations(record) {
        let op = m.result;
        let mut measures = Map::new();
        let ns = |ms: f64| (ms * NS_PER_MS).round();
        if let Some(avg) = series_value(Metric::Avg, op) {
            measures.insert(
                "latency".into(),
                json!({
                    "value": ns(avg),
                    "lower_value": ns(op.latency_ms.min),
                    "upper_value": ns(op.latency_ms.max),
                }),
            );
        }
        for (slug, metric) in [
            ("latency-p50", Metric::P50),
            ("latency-p95", Metric::P95),
            ("latency-p99", Metric::P99),
        ] {
            if let Some(v) = series_value(metric, op) {
                measures.insert(slug.into(), json!({ "value": ns(v) }));
            }
        }
        for (slug, metric) in [
            ("throughput", Metric::Rps),
            ("error-rate", Metric::ErrorRate),
            ("memory", Metric::MemoryMb),
            ("cpu", Metric::CpuPercent),
            ("bytes-per-op", Metric::BytesPerOp),
            ("allocs-per-op", Metric::AllocsPerOp),
        ] {
            if let Some(v) = series_value(metric, op) {
                measures.insert(slug.into(), json!({ "value": v }));
            }
        }
        benchmarks.insert(name, Value::Object(measures));
    }
    Value::Object(benchmarks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{export, ExportFormat};
    use crate::run_fixtures::{record_at, with_op};

    /// Validates `value` against the subset of JSON Schema the BMF schema uses (`type`, `properties`,
    /// `patternProperties` with `.+`, `required`). Returns the first violation.
    fn validate(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        if let Some(t) = schema.get("type").and_then(Value::as_str) {
            let ok = match t {
                "object" => value.is_object(),
                "number" => value.is_number(),
                "string" => value.is_string(),
                "array" => value.is_array(),
                other => {
                    return Err(format!(
                        "{at}: schema type {other} not supported by this check"
                    ))
                }
            };
            if !ok {
                return Err(format!("{at}: expected {t}, got {value}"));
            }
        }
        let Some(obj) = value.as_object() else {
            return Ok(());
        };
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    return Err(format!("{at}: missing required {r}"));
                }
            }
        }
        for (k, v) in obj {
            let path = format!("{at}/{k}");
            if let Some(sub) = schema.get("properties").and_then(|p| p.get(k)) {
                validate(sub, v, &path)?;
            }
            if let Some(pp) = schema.get("patternProperties").and_then(Value::as_object) {
                for (pattern, sub) in pp {
                    assert_eq!(pattern, ".+", "only the pattern the BMF schema uses");
                    if !k.is_empty() {
                        validate(sub, v, &path)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn sample(name: &str) -> Value {
        let bytes = crate::test_support::sample_bytes(name);
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn validator_accepts_bencher_samples_and_rejects_broken_ones() {
        let schema = sample("bmf-schema.json");
        for s in [
            "bmf-example.json",
            "bmf-report-latency.json",
            "bmf-report-dhat.json",
        ] {
            validate(&schema, &sample(s), s).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(validate(&schema, &json!({"b": {"latency": {"lower_value": 1}}}), "").is_err());
        assert!(validate(&schema, &json!({"b": {"latency": {"value": "1"}}}), "").is_err());
    }

    #[test]
    fn export_is_valid_bmf_with_bencher_units() {
        let mut r = record_at("r", "2026-11-01T10:00:00Z", "main", "fp");
        with_op(&mut r, "search", 12.5, 250.0, 1000, 10);
        r.suite = "api".into();
        let bytes = export(&r, ExportFormat::Bmf);
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        validate(&sample("bmf-schema.json"), &v, "").unwrap_or_else(|e| panic!("{e}"));
        let m = &v["api/benchmark/search"];
        assert_eq!(m["latency-p95"]["value"], 12_500_000.0, "ns");
        assert_eq!(m["latency"]["lower_value"], 1_250_000.0);
        assert_eq!(m["throughput"]["value"], 250.0);
        assert_eq!(m["error-rate"]["value"], 1.0);
        assert_eq!(m["memory"]["value"], 42.0);
        assert_eq!(v.as_object().map(|o| o.len()), Some(1));
    }

    #[test]
    fn operations_without_requests_are_left_out() {
        let mut r = record_at("r", "2026-11-01T10:00:00Z", "main", "fp");
        with_op(&mut r, "never", 1.0, 0.0, 0, 0);
        let v = to_bmf(&r);
        assert_eq!(v, json!({}));
    }
}

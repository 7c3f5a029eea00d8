//! github-action-benchmark's custom tool input: a JSON array of `{name, unit, value, range?, extra?}`.
//!
//! The action takes one direction per file (`tool: customSmallerIsBetter` or `customBiggerIsBetter`), so a
//! run exports as two arrays: latencies (p50, p95, p99, mean with its standard deviation as `range`), error
//! rate, memory and CPU are smaller-is-better; throughput is bigger-is-better. `extra` carries the request
//! count and the commit for the chart's tooltip.
//! See <https://github.com/benchmark-action/github-action-benchmark#examples>.

use serde_json::{json, Value};

use crate::history::series_value;
use crate::metric::{sig, Metric};
use crate::record::RunRecord;

use super::names::exported_operations;

/// Which of the action's two custom tools the array is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    SmallerIsBetter,
    BiggerIsBetter,
}

/// The metrics exported in each direction, with the label and unit shown on the action's charts.
fn metrics(direction: Direction) -> &'static [(Metric, &'static str, &'static str)] {
    match direction {
        Direction::SmallerIsBetter => &[
            (Metric::P50, "p50 latency", "ms"),
            (Metric::P95, "p95 latency", "ms"),
            (Metric::P99, "p99 latency", "ms"),
            (Metric::Avg, "mean latency", "ms"),
            (Metric::ErrorRate, "error rate", "%"),
            (Metric::MemoryMb, "memory", "MB"),
            (Metric::CpuPercent, "CPU", "%"),
        ],
        Direction::BiggerIsBetter => &[(Metric::Rps, "throughput", "req/s")],
    }
}

/// The array for one direction.
pub fn to_gab(record: &RunRecord, direction: Direction) -> Value {
    let mut out = Vec::new();
    for (name, m) in exported_operations(record) {
        let op = m.result;
        let extra = format!(
            "requests: {}\nrun: {}\ncommit: {}",
            op.total_requests,
            record.run_id,
            record.sha7()
        );
        for (metric, label, unit) in metrics(direction) {
            let Some(value) = series_value(*metric, op) else {
                continue;
            };
            let mut entry = json!({
                "name": format!("{name} - {label}"),
                "unit": unit,
                "value": value,
                "extra": extra,
            });
            if *metric == Metric::Avg && op.latency_ms.stddev > 0.0 {
                entry["range"] = json!(format!("± {}", sig(op.latency_ms.stddev)));
            }
            out.push(entry);
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_fixtures::{record_at, with_op};

    /// The shape github-action-benchmark accepts for custom tools (its `CustomBenchmarkResult`): an array
    /// of objects with a string `name` and `unit`, a numeric `value`, optional `range` (string or number)
    /// and `extra` (string), and nothing else.
    fn check_shape(v: &Value) -> Result<(), String> {
        let arr = v.as_array().ok_or("not an array")?;
        for (i, e) in arr.iter().enumerate() {
            let o = e.as_object().ok_or(format!("[{i}] not an object"))?;
            for k in o.keys() {
                if !["name", "unit", "value", "range", "extra"].contains(&k.as_str()) {
                    return Err(format!("[{i}] unknown key {k}"));
                }
            }
            if !o.get("name").is_some_and(Value::is_string)
                || !o.get("unit").is_some_and(Value::is_string)
            {
                return Err(format!("[{i}] name and unit must be strings"));
            }
            if !o.get("value").is_some_and(Value::is_number) {
                return Err(format!("[{i}] value must be a number"));
            }
            if o.get("range")
                .is_some_and(|r| !r.is_string() && !r.is_number())
            {
                return Err(format!("[{i}] range must be a string or number"));
            }
            if o.get("extra").is_some_and(|x| !x.is_string()) {
                return Err(format!("[{i}] extra must be a string"));
            }
        }
        Ok(())
    }

    fn sample(name: &str) -> Value {
        let bytes = crate::test_support::sample_bytes(name);
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn the_shape_check_accepts_the_actions_own_fixtures() {
        for s in [
            "gab-custom-smaller.json",
            "gab-custom-smaller-2.json",
            "gab-custom-bigger.json",
        ] {
            check_shape(&sample(s)).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        assert!(check_shape(&json!([{"name": "x", "unit": "ms", "value": "1"}])).is_err());
        assert!(check_shape(&json!({"name": "x"})).is_err());
    }

    #[test]
    fn smaller_and_bigger_arrays_split_the_metrics_by_direction() {
        let mut r = record_at("r9", "2026-11-01T10:00:00Z", "main", "fp");
        with_op(&mut r, "search", 20.0, 150.0, 400, 4);
        let smaller = to_gab(&r, Direction::SmallerIsBetter);
        let bigger = to_gab(&r, Direction::BiggerIsBetter);
        check_shape(&smaller).unwrap_or_else(|e| panic!("{e}"));
        check_shape(&bigger).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = smaller
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "benchmark/search - p50 latency",
                "benchmark/search - p95 latency",
                "benchmark/search - p99 latency",
                "benchmark/search - mean latency",
                "benchmark/search - error rate",
                "benchmark/search - memory",
                "benchmark/search - CPU"
            ]
        );
        assert_eq!(smaller[1]["value"], 20.0);
        assert_eq!(smaller[3]["range"], "± 5");
        assert_eq!(smaller[4]["value"], 1.0);
        assert!(smaller[0]["extra"]
            .as_str()
            .is_some_and(|x| x.contains("requests: 400")));
        assert_eq!(bigger.as_array().map(Vec::len), Some(1));
        assert_eq!(bigger[0]["name"], "benchmark/search - throughput");
        assert_eq!(bigger[0]["unit"], "req/s");
        assert_eq!(bigger[0]["value"], 150.0);
    }
}

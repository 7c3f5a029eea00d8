//! Bencher Metric Format (`{"bench": {"latency": {"value": 88.0, "lower_value": …, "upper_value": …}}}`) and
//! github-action-benchmark's custom JSON (`[{"name", "unit", "value", "range"?}]`) — the two formats
//! `perfgate export` writes, read back.
//!
//! Both carry one number per benchmark and measure, so a benchmark is judged by its history alone. BMF
//! `latency` is in ns and `build-time` in seconds; `throughput` (operations per second) becomes the time per
//! operation (1 / value) when there is no latency. A measure that is not a time (file size, dhat's byte
//! counts) is kept as an extra metric in the warnings; a benchmark with only such measures cannot be judged
//! as a time and is named in a warning. github-action-benchmark's file does not say which way is better:
//! the caller says (`gab-smaller` / `gab-bigger`); a time unit (`ns`, `ms/iter`, …) becomes the benchmark's
//! time, an ops-per-second unit (`ops/s`, `req/s`) its time per operation.

use serde_json::Value;

use super::bench::{ns_per, record, shape, Bench, Extra, Timing};
use super::{parse, ImportContext, ImportError};
use crate::record::RunRecord;

/// Converts a BMF JSON file into a `microbench` run record.
pub fn import_bmf(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let map = v
        .as_object()
        .ok_or_else(|| shape(ctx, "not a JSON object — is this Bencher Metric Format?"))?;
    let mut benches = vec![];
    let mut warnings = vec![];
    for (name, measures) in map {
        let err = |what: &str| shape(ctx, format!("{name:?}: {what}"));
        let measures = measures
            .as_object()
            .ok_or_else(|| err("not an object of measures"))?;
        let mut timing = None;
        let mut extras = vec![];
        for (m, body) in measures {
            let value = body
                .get("value")
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite())
                .ok_or_else(|| err(&format!("{m}.value is not a number")))?;
            match m.as_str() {
                "latency" => timing = Some(Timing::Single(value)),
                "build-time" if timing.is_none() => timing = Some(Timing::Single(value * 1e9)),
                "throughput" if timing.is_none() && value > 0.0 => {
                    timing = Some(Timing::Single(1e9 / value))
                }
                _ => extras.push(Extra {
                    name: m.clone(),
                    unit: String::new(),
                    value,
                    higher_is_better: m == "throughput",
                }),
            }
        }
        match timing {
            Some(t) => {
                let mut b = Bench::new(name.clone(), t);
                b.extras = extras;
                benches.push(b);
            }
            None => warnings.push(format!(
                "bmf: \"{name}\" has no latency, throughput or build-time measure; not judged"
            )),
        }
    }
    record(ctx, "BMF", benches, warnings)
}

/// Converts github-action-benchmark custom JSON into a run record; `bigger_is_better` is the tool the file
/// was written for (`customBiggerIsBetter`).
pub fn import_gab(
    bytes: &[u8],
    ctx: &ImportContext,
    bigger_is_better: bool,
) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let list = v.as_array().ok_or_else(|| {
        shape(
            ctx,
            "not a JSON array — is this github-action-benchmark custom JSON?",
        )
    })?;
    let mut benches = vec![];
    let mut warnings = vec![];
    for (i, b) in list.iter().enumerate() {
        let err = |what: &str| shape(ctx, format!("[{i}]: {what}"));
        let name = b
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| err("no \"name\" string"))?;
        let unit = b.get("unit").and_then(Value::as_str).unwrap_or("");
        let value = b
            .get("value")
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite())
            .ok_or_else(|| err("no number at \"value\""))?;
        let per_second = unit
            .strip_suffix("/s")
            .or_else(|| unit.strip_suffix("/sec"))
            .is_some();
        let ns = match (bigger_is_better, ns_per(unit)) {
            (false, Some(scale)) => Some(value * scale),
            (true, _) if per_second && value > 0.0 => Some(1e9 / value),
            _ => None,
        };
        match ns {
            Some(ns) => benches.push(Bench::new(name, Timing::Single(ns))),
            None => warnings.push(format!(
                "github-action-benchmark: \"{name}\" ({} {unit}, {} is better) is not a time; not judged",
                crate::metric::sig(value),
                if bigger_is_better { "bigger" } else { "smaller" }
            )),
        }
    }
    record(ctx, "github-action-benchmark", benches, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::{ctx, sample};

    #[test]
    fn reads_bencher_examples() {
        let rec = import_bmf(&sample("bmf-example.json"), &ctx("b.json")).expect("imports");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        let names: Vec<&str> = ops.iter().map(|o| o.operation_name.as_str()).collect();
        assert_eq!(names, ["/bin/sh -c ./my_build_script.sh", "benchmark_name"]);
        assert_eq!(ops[0].latency_ms.p50, 87_000.0);
        assert_eq!(ops[1].latency_ms.p50, 0.000088);
        assert!(rec
            .warnings
            .iter()
            .any(|w| w.contains("\"my_binary\" has no latency")));
        let err = import_bmf(&sample("bmf-report-dhat.json"), &ctx("d.json")).unwrap_err();
        assert!(err.to_string().contains("no benchmarks"), "{err}");
        let err = import_bmf(br#"{"a": {"latency": {"value": "x"}}}"#, &ctx("d.json")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.json: \"a\": latency.value is not a number"
        );
    }

    #[test]
    fn reads_github_action_benchmark_custom_json() {
        let rec = import_gab(&sample("gab-custom-smaller-2.json"), &ctx("g.json"), false)
            .expect("imports");
        let op = &rec.benchmark.as_ref().expect("bench").operations[0];
        assert_eq!(
            (op.operation_name.as_str(), op.latency_ms.p50),
            ("No instrumentation", 0.0000909439)
        );
        let rec =
            import_gab(&sample("gab-custom-bigger.json"), &ctx("g.json"), true).expect("imports");
        let op = &rec.benchmark.as_ref().expect("bench").operations[0];
        assert_eq!(op.throughput_rps, 70.0);
        assert!(rec.warnings.iter().any(|w| w.contains("Free Memory")));
    }
}

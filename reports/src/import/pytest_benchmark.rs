//! pytest-benchmark's JSON (`pytest --benchmark-json=FILE`).
//!
//! Each entry of `benchmarks` has `stats` in seconds. With `--benchmark-save-data` (or
//! `--benchmark-json` plus `--benchmark-save-data`) `stats.data` holds every round's time: those are the
//! samples. Without it only `mean`, `stddev` and `rounds` are there: a mean ± deviation benchmark. The name
//! is `fullname` (`tests/test_x.py::test_parse[10]`), which stays unique across files.

use serde_json::Value;

use super::bench::{record, shape, Bench, Timing, MAX_SAMPLES};
use super::{parse, ImportContext, ImportError};
use crate::record::RunRecord;

/// Converts pytest-benchmark JSON into a `microbench` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let list = v
        .get("benchmarks")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            shape(
                ctx,
                "no \"benchmarks\" array — is this pytest --benchmark-json output?",
            )
        })?;
    let mut benches = vec![];
    for (i, b) in list.iter().enumerate() {
        let err = |what: &str| shape(ctx, format!("benchmarks[{i}]: {what}"));
        let name = ["fullname", "name"]
            .iter()
            .find_map(|k| b.get(*k).and_then(Value::as_str))
            .ok_or_else(|| err("no \"fullname\" string"))?;
        let stats = b.get("stats").ok_or_else(|| err("no \"stats\" object"))?;
        let s = |k: &str| {
            stats
                .get(k)
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite())
        };
        let timing = match stats.get("data").and_then(Value::as_array) {
            Some(data) if data.len() >= 2 => {
                if data.len() > MAX_SAMPLES {
                    return Err(err("too many rounds in stats.data"));
                }
                let xs = data
                    .iter()
                    .enumerate()
                    .map(|(j, x)| {
                        x.as_f64()
                            .map(|x| x * 1e9)
                            .ok_or_else(|| err(&format!("stats.data[{j}] is not a number")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Timing::Samples(xs)
            }
            _ => {
                let mean = s("mean").ok_or_else(|| err("no number at stats.mean"))?;
                let rounds = s("rounds").unwrap_or(1.0).clamp(1.0, MAX_SAMPLES as f64) as u64;
                match s("stddev") {
                    Some(sd) if rounds >= 2 => Timing::MeanDev {
                        centre: mean * 1e9,
                        stddev: sd * 1e9,
                        n: rounds,
                    },
                    _ => Timing::Single(mean * 1e9),
                }
            }
        };
        benches.push(Bench::new(name, timing));
    }
    record(ctx, "pytest-benchmark", benches, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::ctx;

    #[test]
    fn rounds_are_samples_and_stats_alone_are_mean_dev() {
        let json = br#"{"machine_info":{},"benchmarks":[
            {"group":null,"name":"test_a","fullname":"t.py::test_a","stats":{"min":1e-6,"max":3e-6,"mean":2e-6,
             "stddev":1e-6,"rounds":3,"median":2e-6,"data":[1e-6,2e-6,3e-6]}},
            {"name":"test_b","fullname":"t.py::test_b","stats":{"mean":0.5,"stddev":0.01,"rounds":5}}]}"#;
        let rec = import(json, &ctx("p.json")).expect("imports");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert_eq!(ops[0].total_requests, 3);
        assert_eq!(ops[0].latency_ms.p50, 0.002);
        assert_eq!(ops[1].total_requests, 5);
        assert_eq!(ops[1].latency_ms.avg, 500.0);
        assert_eq!(ops[1].latency_ms.stddev, 10.0);
        let err = import(
            br#"{"benchmarks":[{"fullname":"x","stats":{}}]}"#,
            &ctx("p.json"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.json: benchmarks[0]: no number at stats.mean"
        );
    }
}

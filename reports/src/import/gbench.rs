//! Google Benchmark's JSON (`--benchmark_format=json` or `--benchmark_out=FILE`).
//!
//! Entries are grouped by `run_name` (the name without the `_mean`/`_stddev` suffix). With
//! `--benchmark_repetitions=N` each repetition is an `iteration` entry: their `real_time`s are the samples.
//! With `--benchmark_report_aggregates_only` only `aggregate` entries remain: `mean` and `stddev` over
//! `repetitions` make a mean ± deviation benchmark (the `median` stands in when there is no mean). One
//! iteration entry is a single number. `real_time` (wall) is used, as the console reporter's first column.

use std::collections::BTreeMap;

use serde_json::Value;

use super::bench::{ns_per, record, shape, Bench, Timing, MAX_SAMPLES};
use super::{parse, ImportContext, ImportError};
use crate::record::RunRecord;

#[derive(Default)]
struct Group {
    reps: Vec<f64>,
    aggs: BTreeMap<String, f64>,
    n: u64,
}

/// Converts Google Benchmark JSON into a `microbench` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let list = v
        .get("benchmarks")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            shape(
                ctx,
                "no \"benchmarks\" array — is this --benchmark_format=json output?",
            )
        })?;
    let mut order = vec![];
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (i, b) in list.iter().enumerate() {
        let err = |what: &str| shape(ctx, format!("benchmarks[{i}]: {what}"));
        if b.get("error_occurred").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let name = ["run_name", "name"]
            .iter()
            .find_map(|k| b.get(*k).and_then(Value::as_str))
            .ok_or_else(|| err("no \"name\" string"))?;
        let unit = b.get("time_unit").and_then(Value::as_str).unwrap_or("ns");
        let scale =
            ns_per(unit).ok_or_else(|| err(&format!("time_unit {unit:?} is not a time")))?;
        let t = b
            .get("real_time")
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite())
            .ok_or_else(|| err("no number at \"real_time\""))?;
        if !groups.contains_key(name) {
            order.push(name.to_string());
        }
        let g = groups.entry(name.to_string()).or_default();
        match b
            .get("run_type")
            .and_then(Value::as_str)
            .unwrap_or("iteration")
        {
            "aggregate" => {
                let agg = b
                    .get("aggregate_name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                g.aggs.insert(agg.to_string(), t * scale);
                g.n = b.get("repetitions").and_then(Value::as_u64).unwrap_or(0);
            }
            _ => {
                g.reps.push(t * scale);
                if g.reps.len() > MAX_SAMPLES {
                    return Err(err("too many repetitions"));
                }
            }
        }
    }
    let mut benches = vec![];
    for name in order {
        let Some(g) = groups.remove(&name) else {
            continue;
        };
        let centre = g.aggs.get("mean").or_else(|| g.aggs.get("median")).copied();
        let timing = if g.reps.len() >= 2 {
            Timing::Samples(g.reps)
        } else if let (Some(c), Some(sd)) = (centre, g.aggs.get("stddev")) {
            Timing::MeanDev {
                centre: c,
                stddev: *sd,
                n: g.n.max(2),
            }
        } else if let Some(x) = g.reps.first().copied().or(centre) {
            Timing::Single(x)
        } else {
            // Only aggregates like `cv` or a complexity fit (`_BigO`, `_RMS`): nothing to judge a time by.
            continue;
        };
        benches.push(Bench::new(name, timing));
    }
    record(ctx, "Google Benchmark", benches, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::{ctx, sample};

    #[test]
    fn reads_real_output() {
        let rec = import(&sample("gbench.json"), &ctx("g.json")).expect("imports");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].operation_name, "fib_10");
        assert_eq!(ops[0].latency_ms.p50, 0.000214989801);
        assert_eq!(ops[1].total_requests, 1);
    }

    #[test]
    fn repetitions_are_samples_and_aggregates_mean_dev() {
        let json = br#"{"benchmarks":[
            {"name":"a/repeats:3","run_name":"a/repeats:3","run_type":"iteration","repetitions":3,"real_time":10,"time_unit":"us"},
            {"name":"a/repeats:3","run_name":"a/repeats:3","run_type":"iteration","repetitions":3,"real_time":12,"time_unit":"us"},
            {"name":"a/repeats:3","run_name":"a/repeats:3","run_type":"iteration","repetitions":3,"real_time":11,"time_unit":"us"},
            {"name":"a/repeats:3_mean","run_name":"a/repeats:3","run_type":"aggregate","aggregate_name":"mean","repetitions":3,"real_time":11,"time_unit":"us"},
            {"name":"b_mean","run_name":"b","run_type":"aggregate","aggregate_name":"mean","repetitions":5,"real_time":2,"time_unit":"ms"},
            {"name":"b_stddev","run_name":"b","run_type":"aggregate","aggregate_name":"stddev","repetitions":5,"real_time":0.1,"time_unit":"ms"}]}"#;
        let rec = import(json, &ctx("g.json")).expect("imports");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert_eq!((ops[0].total_requests, ops[0].latency_ms.p50), (3, 0.011));
        assert_eq!(
            (
                ops[1].total_requests,
                ops[1].latency_ms.avg,
                ops[1].latency_ms.stddev
            ),
            (5, 2.0, 0.1)
        );
        let err = import(
            br#"{"benchmarks":[{"name":"x","real_time":"1"}]}"#,
            &ctx("g.json"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "g.json: benchmarks[0]: no number at \"real_time\""
        );
    }
}
